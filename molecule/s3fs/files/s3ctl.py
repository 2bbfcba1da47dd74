"""S3-side actions of the s3fs scenario, run on the controller against the local S3 server.

    s3ctl.py --env-file F seed --data-bucket B --public-bucket P
    s3ctl.py --env-file F deny-put --bucket B | allow-put --bucket B | delete-bucket --bucket B

F is the KEY=VALUE file written by tools/testbed/s3server.py. Output is one JSON object.
"""

import argparse
import json
import sys

import boto3
from botocore.exceptions import ClientError

# Objects of the public bucket; only those under the prefix are visible through the prefix mount.
PUBLIC_OBJECTS = {
    "shared/hello.txt": b"hello from the public bucket\n",
    "outside.txt": b"outside the mounted prefix\n",
}


def read_env(path):
    env = {}
    with open(path) as handle:
        for line in handle:
            key, value = line.strip().partition("=")[::2]
            if key:
                env[key] = value
    return env


def client(env):
    return boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
    )


def ensure_bucket(s3, bucket):
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)


def seed(s3, args):
    ensure_bucket(s3, args.data_bucket)
    ensure_bucket(s3, args.public_bucket)
    # moto does not let anonymous callers read through a bucket policy, only through object ACLs.
    for key, body in PUBLIC_OBJECTS.items():
        s3.put_object(Bucket=args.public_bucket, Key=key, Body=body, ACL="public-read")
    return {"buckets": [args.data_bucket, args.public_bucket], "public_objects": sorted(PUBLIC_OBJECTS)}


def deny_put(s3, args):
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::%s/*" % args.bucket,
        }],
    }
    s3.put_bucket_policy(Bucket=args.bucket, Policy=json.dumps(policy))
    return {"bucket": args.bucket, "policy": "deny s3:PutObject"}


def allow_put(s3, args):
    s3.delete_bucket_policy(Bucket=args.bucket)
    return {"bucket": args.bucket, "policy": None}


def delete_bucket(s3, args):
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=args.bucket, Key=item["Key"])
            deleted += 1
    s3.delete_bucket(Bucket=args.bucket)
    return {"bucket": args.bucket, "objects_deleted": deleted}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-file", required=True)
    actions = parser.add_subparsers(dest="action", required=True)
    seeding = actions.add_parser("seed")
    seeding.add_argument("--data-bucket", required=True)
    seeding.add_argument("--public-bucket", required=True)
    for name in ("deny-put", "allow-put", "delete-bucket"):
        actions.add_parser(name).add_argument("--bucket", required=True)
    args = parser.parse_args(argv)

    s3 = client(read_env(args.env_file))
    handler = {
        "seed": seed, "deny-put": deny_put, "allow-put": allow_put, "delete-bucket": delete_bucket,
    }[args.action]
    print(json.dumps(handler(s3, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
