"""testinfra checks of the s3fs scenario: run by verify.yml on the controller as
pytest --hosts=docker://<instance>, with the scenario's values in S3FS_SCENARIO_* variables."""

import os
import uuid

import boto3
import pytest

SCENARIO = dict((key[len("S3FS_SCENARIO_"):].lower(), value) for key, value in os.environ.items()
                if key.startswith("S3FS_SCENARIO_"))


def read_env(path):
    with open(path) as handle:
        return dict(line.strip().split("=", 1) for line in handle if "=" in line)


@pytest.fixture(scope="module")
def s3():
    env = read_env(SCENARIO["env_file"])
    return boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_DEFAULT_REGION"])


def fstab_entry(host, mount_point):
    for line in host.file("/etc/fstab").content_string.splitlines():
        fields = line.split()
        if len(fields) >= 4 and not line.lstrip().startswith("#") and fields[1] == mount_point:
            return fields
    raise AssertionError("no fstab entry for %s" % mount_point)


def test_fstab_lines(host):
    fields = fstab_entry(host, SCENARIO["data_path"])
    options = fields[3].split(",")
    assert (fields[0], fields[2]) == (SCENARIO["data_bucket"], "fuse.s3fs")
    assert options[:2] == ["_netdev", "nofail"]
    assert "fsname=s3fs:" + SCENARIO["data_bucket"] in options and "subtype=s3fs" in options
    assert "enable_content_md5" in options
    assert any(option.startswith("passwd_file=") for option in options)

    fields = fstab_entry(host, SCENARIO["public_path"])
    options = fields[3].split(",")
    assert (fields[0], fields[2]) == (SCENARIO["public_bucket"] + ":/shared", "fuse.s3fs")
    assert options[:2] == ["_netdev", "nofail"]
    assert "public_bucket=1" in options and "ro" in options
    # The mount's own stat_cache_expire replaces the role's, it is not added next to it.
    assert [option for option in options if option.startswith("stat_cache_expire=")] == ["stat_cache_expire=30"]


def test_passwd_file(host):
    passwd_file = [option.split("=", 1)[1] for option in fstab_entry(host, SCENARIO["data_path"])[3].split(",")
                   if option.startswith("passwd_file=")][0]
    handle = host.file(passwd_file)
    assert (handle.user, handle.group, handle.mode) == ("root", "root", 0o600)
    directory = host.file(os.path.dirname(passwd_file))
    assert (directory.user, directory.mode) == ("root", 0o700)
    assert "AKIA" not in host.file("/etc/fstab").content_string


def test_mount_point_owner_and_mode(host):
    root = host.file(SCENARIO["data_path"])
    assert (root.user, root.group, root.mode) == ("www-data", "www-data", 0o750)


def test_user_allow_other(host):
    assert "user_allow_other" in host.file("/etc/fuse.conf").content_string.splitlines()


def test_written_through_mount_is_read_through_api(host, s3):
    name = "from-mount-%s.txt" % uuid.uuid4().hex
    text = "written through s3fs %s\n" % name
    host.run_test("printf %%s %s > %s/%s", text, SCENARIO["data_path"], name)
    body = s3.get_object(Bucket=SCENARIO["data_bucket"], Key=name)["Body"].read().decode()
    assert body == text


def test_written_through_api_is_read_through_mounts(host, s3):
    name = "from-api-%s.txt" % uuid.uuid4().hex
    s3.put_object(Bucket=SCENARIO["data_bucket"], Key=name, Body=b"data " + name.encode())
    assert host.file("%s/%s" % (SCENARIO["data_path"], name)).content_string == "data " + name
    s3.put_object(Bucket=SCENARIO["public_bucket"], Key="shared/" + name, Body=b"public " + name.encode(),
                  ACL="public-read")
    assert host.file("%s/%s" % (SCENARIO["public_path"], name)).content_string == "public " + name


def test_public_mount_shows_only_its_prefix(host):
    listing = host.run_test("ls -A %s", SCENARIO["public_path"]).stdout.split()
    assert "hello.txt" in listing and "outside.txt" not in listing and "shared" not in listing


def test_public_mount_is_read_only(host):
    result = host.run("touch %s/refused", SCENARIO["public_path"])
    assert result.rc != 0 and "Read-only file system" in result.stderr


def test_keys_absent_from_converge_output():
    with open(os.path.join(SCENARIO["logs"], "converge-vvv.log")) as handle:
        output = handle.read()
    # That run rewrote the passwd file and remounted, so every task that handles a key ran at -vvv --diff.
    assert "censored due to no_log" in output and "changed=" in output
    for value in (SCENARIO["access_key"], SCENARIO["secret"], SCENARIO["rotated_secret"]):
        assert value not in output
