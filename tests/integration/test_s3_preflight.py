"""mountkit.aws.s3_preflight through Ansible against a real moto server: one healthy set-up, one test per problem.

The server enforces IAM, so each scenario runs with the user whose policy it is about (an admin for the rest).
Every scenario has its own bucket, so all of them run at once in the ``results`` fixture and each test then
checks its own result; Ansible's start-up dominates the run time.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from s3server import S3Server

MODULE = "mountkit.aws.s3_preflight"
ALL_ACTIONS = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"]


def connection(server, access_key, secret_key, region="us-east-1"):
    # Explicit values, so AWS_* variables of the calling environment cannot change what is tested.
    return dict(endpoint_url=server.endpoint, access_key=access_key, secret_key=secret_key, region=region,
                profile="")


def s3_client(server, keys=None):
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=keys["AccessKeyId"] if keys else "testing",
                        aws_secret_access_key=keys["SecretAccessKey"] if keys else "testing")


def keys_in(client, bucket):
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def bucket_arns(*buckets):
    return ["arn:aws:s3:::%s%s" % (bucket, suffix) for bucket in buckets for suffix in ("", "/*")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One moto server that enforces IAM, with a bucket per scenario, an admin and one user per policy under test.

    Buckets, users and keys are made before enforcement starts: from then on every request, IAM's included,
    needs credentials moto knows.
    """
    server = S3Server(str(tmp_path_factory.mktemp("s3-iam"))).start()
    try:
        client = s3_client(server)
        for bucket in ("healthy", "check-mode", "seed-000", "no-delete", "no-delete-kept"):
            client.create_bucket(Bucket=bucket)
        client.create_bucket(Bucket="bucket-in-ireland", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        iam = boto3.client("iam", endpoint_url=server.endpoint, aws_access_key_id="testing",
                           aws_secret_access_key="testing", region_name="us-east-1")
        policies = {
            "admin": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            # Seed 000: everything but s3:ListBucket was dropped from the role. (moto authorizes HeadBucket as
            # s3:HeadBucket, AWS as s3:ListBucket; the module confirms a 403 with ListObjectsV2, so this is enough.)
            "list-only": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::seed-000"}],
            "no-delete": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": bucket_arns("no-delete", "no-delete-kept")},
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": bucket_arns("no-delete", "no-delete-kept")},
            ],
        }
        server.keys = {}
        for user, statements in policies.items():
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName=user, PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": statements}))
            server.keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
        server.api("/moto-api/reset-auth", "0")  # no unauthenticated requests from now on
        server.admin = s3_client(server, server.keys["admin"])
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def results(server, run_module):
    def as_user(user, **kwargs):
        keys = server.keys[user]
        return connection(server, keys["AccessKeyId"], keys["SecretAccessKey"], **kwargs)

    runs = {
        "healthy": (dict(as_user("admin"), bucket="healthy", prefix="data/", allow_delete=True), False),
        "missing": (dict(as_user("admin"), bucket="no-such-bucket-here"), False),
        "wrong_region": (dict(as_user("admin", region="us-east-1"), bucket="bucket-in-ireland"), False),
        "check_mode": (dict(as_user("admin"), bucket="check-mode", allow_delete=True), True),
        "bad_prefix": (dict(as_user("admin"), bucket="healthy", prefix="logs"), False),
        "seed_000": (dict(as_user("list-only"), bucket="seed-000", prefix="logs/", allow_delete=True), False),
        "no_delete": (dict(as_user("no-delete"), bucket="no-delete", allow_delete=True), False),
        "no_delete_kept": (dict(as_user("no-delete"), bucket="no-delete-kept", allow_delete=False), False),
        "rejected": (dict(connection(server, "AKIAEXAMPLEUNKNOWN", "wrong"), bucket="healthy"), False),
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = dict((name, pool.submit(run_module, MODULE, args, check)) for name, (args, check) in runs.items())
        return dict((name, future.result()) for name, future in futures.items())


def test_healthy_bucket_has_no_problems(results, server):
    result = results["healthy"]
    assert not result.get("failed"), result["msg"]
    assert result["problems"] == []
    assert result["missing_permissions"] == []
    assert result["bucket_exists"] is True
    assert result["bucket_region"] == "us-east-1"
    assert result["region_matches"] is True
    assert {action: p["status"] for action, p in result["permissions"].items()} == dict.fromkeys(ALL_ACTIONS, "ok")
    assert result["probe_key"].startswith("data/.mountkit-preflight/")
    assert result["leftovers"] == [] and result["changed"] is False
    assert keys_in(server.admin, "healthy") == []  # the probe was cleaned up


def test_missing_bucket(results):
    result = results["missing"]
    assert result["failed"]
    assert result["bucket_exists"] is False
    assert result["problems"] == [
        "Bucket no-such-bucket-here does not exist in region us-east-1: fix the bucket name or create the bucket; "
        "mount-s3 refuses to mount a bucket that does not exist"
    ]
    assert all(p["status"] == "skipped" for p in result["permissions"].values())


def test_wrong_region(results):
    result = results["wrong_region"]
    assert result["failed"]
    assert result["bucket_region"] == "eu-west-1"
    assert result["region_matches"] is False
    assert result["problems"] == [
        "Bucket bucket-in-ireland is in eu-west-1, not in us-east-1: set the region to eu-west-1 "
        "(mount-s3 --region eu-west-1; s3fs endpoint=eu-west-1); with the wrong region S3 redirects or refuses "
        "the mount's requests"
    ]
    assert result["missing_permissions"] == []


def test_seed_000_role_with_only_list_bucket(results, server):
    result = results["seed_000"]
    assert result["failed"]
    assert result["missing_permissions"] == [
        "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"]
    assert result["permissions"]["s3:ListBucket"]["status"] == "ok"
    assert result["bucket_exists"] is True
    assert len(result["problems"]) == 4
    for action, problem in zip(result["missing_permissions"], result["problems"]):
        assert problem.startswith("%s is denied on arn:aws:s3:::seed-000/logs/* (" % action)
    assert result["problems"][0].endswith(
        "allow it for the identity the mount uses, otherwise reading files fails with 'Input/output error'")
    assert result["leftovers"] == []
    assert keys_in(server.admin, "seed-000") == []


def test_denied_delete_is_named_when_the_mount_deletes(results, server):
    result = results["no_delete"]
    assert result["failed"]
    assert result["missing_permissions"] == ["s3:DeleteObject"]
    assert result["problems"] == [
        "s3:DeleteObject is denied on arn:aws:s3:::no-delete/* (DeleteObject answered AccessDenied: Access Denied): "
        "allow it for the identity the mount uses, otherwise deleting files fails"
    ]
    # The probe could not be removed: it is reported, and really there.
    assert result["leftovers"] == [dict(kind="object", key=result["probe_key"], id=None)]
    assert result["changed"] is True
    assert keys_in(server.admin, "no-delete") == [result["probe_key"]]


def test_denied_delete_is_no_problem_without_allow_delete(results):
    result = results["no_delete_kept"]
    assert not result.get("failed"), result["msg"]
    assert result["problems"] == [] and result["missing_permissions"] == []
    assert result["permissions"]["s3:DeleteObject"] == dict(
        status="denied", detail="DeleteObject answered AccessDenied: Access Denied", required=False)
    assert result["leftovers"] == [dict(kind="object", key=result["probe_key"], id=None)]
    assert any(result["probe_key"] in warning for warning in result["warnings"])


def test_rejected_credentials(results):
    result = results["rejected"]
    assert result["failed"]
    assert result["bucket_exists"] is None
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith(
        "The credentials were rejected (ListObjectsV2 answered InvalidAccessKeyId: ")


def test_check_mode_runs_only_read_only_checks(results, server):
    result = results["check_mode"]
    assert not result.get("failed"), result["msg"]
    assert "write checks skipped" in result["msg"]
    statuses = {action: p["status"] for action, p in result["permissions"].items()}
    assert statuses == dict(dict.fromkeys(ALL_ACTIONS, "skipped"), **{"s3:ListBucket": "ok"})
    assert result["bucket_exists"] is True and result["region_matches"] is True
    assert keys_in(server.admin, "check-mode") == []


def test_prefix_must_end_with_slash(results):
    result = results["bad_prefix"]
    assert result["failed"]
    assert result["msg"] == "prefix must end with '/', got 'logs'"
