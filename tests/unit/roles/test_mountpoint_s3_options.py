"""Option rendering of the mountpoint_s3 role: command line, fstab entry, systemd unit and environment file.

The templates use plain Jinja only, so they are rendered here with jinja2 and the settings of Ansible's
template module (trim_blocks), without a host.
"""

import json
import os
import shlex

import jinja2
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TEMPLATES = os.path.join(ROOT, "roles", "mountpoint_s3", "templates")

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    trim_blocks=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def options(mount):
    return json.loads(ENV.get_template("mount_options.json.j2").render(mount=mount))


def unit(mount, environment_file=""):
    return ENV.get_template("mount-s3.service.j2").render(
        mount=mount,
        mount_args=options(mount)["args"],
        mount_s3_binary="/usr/bin/mount-s3",
        fusermount="/usr/bin/fusermount",
        environment_file=environment_file,
        restart_sec=5,
    )


def unit_lines(text):
    """key -> list of values of a rendered unit file."""
    result = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            result.setdefault(key, []).append(value)
    return result


def test_defaults_render_no_options():
    rendered = options({"bucket": "logs", "path": "/mnt/logs"})
    assert rendered == {
        "args": [],
        "fstab_src": "s3://logs/",
        "fstab_opts": "_netdev,nosuid,nodev,nofail",
    }


def test_every_option_maps_to_its_flag():
    mount = {
        "bucket": "data", "path": "/mnt/data", "prefix": "team/a/", "region": "eu-west-1",
        "endpoint_url": "http://127.0.0.1:9000", "force_path_style": True, "allow_delete": True,
        "allow_overwrite": True, "allow_other": True, "uid": 1000, "gid": 1000, "file_mode": "0640",
        "dir_mode": "0750", "cache": "/var/cache/s3", "max_cache_size": 1024, "metadata_ttl": "indefinite",
        "storage_class": "STANDARD_IA", "sse": "aws:kms", "sse_kms_key_id": "arn:aws:kms:eu-west-1:1:key/k",
        "upload_checksums": "off", "max_threads": 32, "read_part_size": 16777216, "write_part_size": 16777216,
        "debug": True, "log_directory": "/var/log/mount-s3", "profile": "ops",
        "extra_args": ["--requester-pays", "--expected-bucket-owner=111122223333"],
    }
    rendered = options(mount)
    assert rendered["args"] == [
        "--prefix=team/a/", "--region=eu-west-1", "--endpoint-url=http://127.0.0.1:9000",
        "--storage-class=STANDARD_IA", "--sse=aws:kms", "--sse-kms-key-id=arn:aws:kms:eu-west-1:1:key/k",
        "--upload-checksums=off", "--profile=ops", "--uid=1000", "--gid=1000", "--file-mode=0640",
        "--dir-mode=0750", "--max-threads=32", "--read-part-size=16777216", "--write-part-size=16777216",
        "--cache=/var/cache/s3", "--max-cache-size=1024", "--metadata-ttl=indefinite",
        "--log-directory=/var/log/mount-s3", "--force-path-style", "--allow-delete", "--allow-overwrite",
        "--allow-other", "--debug", "--requester-pays", "--expected-bucket-owner=111122223333",
    ]
    # The fstab form: the prefix moves into the source, options lose their dashes.
    assert rendered["fstab_src"] == "s3://data/team/a/"
    opts = rendered["fstab_opts"].split(",")
    assert opts[:4] == ["_netdev", "nosuid", "nodev", "nofail"]
    assert "region=eu-west-1" in opts and "allow-delete" in opts and "requester-pays" in opts
    assert "expected-bucket-owner=111122223333" in opts
    assert not [opt for opt in opts if opt.startswith("-") or opt.startswith("prefix")]


def test_read_only_is_ro_in_fstab_and_nofail_can_be_dropped():
    rendered = options({"bucket": "b", "path": "/p", "read_only": True, "nofail": False})
    assert rendered["args"] == ["--read-only"]
    assert rendered["fstab_opts"] == "_netdev,nosuid,nodev,ro"


@pytest.mark.parametrize("value", [False, "false", "no", None])
def test_false_switches_are_left_out(value):
    assert options({"bucket": "b", "path": "/p", "allow_delete": value, "debug": value})["args"] == []


def test_zero_uid_is_kept():
    assert options({"bucket": "b", "path": "/p", "uid": 0, "gid": 0})["args"] == ["--uid=0", "--gid=0"]


def test_unit_runs_forking_mount_s3_and_unmounts_with_fusermount():
    text = unit({"bucket": "logs", "path": "/mnt/logs", "prefix": "app/", "allow_delete": True})
    lines = unit_lines(text)
    assert lines["Type"] == ["forking"]
    assert lines["ExecStart"] == ["/usr/bin/mount-s3 --prefix=app/ --allow-delete logs /mnt/logs"]
    assert lines["ExecStop"] == ["/usr/bin/fusermount -u /mnt/logs"]
    assert lines["ExecStopPost"] == ["-/usr/bin/fusermount -u -z -q /mnt/logs"]
    assert lines["Restart"] == ["on-failure"]
    assert lines["After"] == ["network-online.target"] and lines["Wants"] == ["network-online.target"]
    assert lines["WantedBy"] == ["remote-fs.target"]
    assert lines["AssertPathIsDirectory"] == ["/mnt/logs"]
    assert "EnvironmentFile" not in lines
    assert "s3://logs/app/" in lines["Description"][0]


def test_unit_quotes_words_for_systemd():
    text = unit({"bucket": "b", "path": "/mnt/with space", "cache": "/var/cache/100%",
                 "extra_args": ["--user-agent-prefix=$HOME"]}, environment_file="/etc/x/e.env")
    lines = unit_lines(text)
    assert lines["EnvironmentFile"] == ["/etc/x/e.env"]
    exec_start = lines["ExecStart"][0]
    # systemd expands % and $, so both are doubled; a word with a blank is double-quoted.
    assert "--cache=/var/cache/100%%" in exec_start
    assert "--user-agent-prefix=$$HOME" in exec_start
    assert shlex.split(exec_start)[-1] == "/mnt/with space"
    assert lines["AssertPathIsDirectory"] == ["/mnt/with space"]


def test_environment_file_name_is_a_literal_glob_pattern():
    # systemd globs EnvironmentFile=, so the \x2d of an escaped unit name would otherwise read as 'x2d'.
    env_file = "/etc/mountkit/mountpoint-s3/mount-s3-srv-team\\x2da[1]?.env"
    lines = unit_lines(unit({"bucket": "b", "path": "/srv/team-a"}, environment_file=env_file))
    assert lines["EnvironmentFile"] == ["/etc/mountkit/mountpoint-s3/mount-s3-srv-team\\\\x2da\\[1]\\?.env"]


def test_environment_file_escapes_values():
    text = ENV.get_template("mount-s3.env.j2").render(
        env_vars={"AWS_SECRET_ACCESS_KEY": 'a"b\\c$d', "AWS_ACCESS_KEY_ID": "AKIA"})
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == ['AWS_ACCESS_KEY_ID="AKIA"', 'AWS_SECRET_ACCESS_KEY="a\\"b\\\\c\\$d"']
