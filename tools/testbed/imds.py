"""An EC2 instance metadata service (IMDS) for test hosts, on the standard library's http.server.

    imds.py serve --state-dir DIR [--address 169.254.169.254] [--port 80] [--imdsv1]
                  [--role NAME] [--lifetime SECONDS] [--iam-endpoint URL [--enforce-iam]]

It answers what the FUSE tools read on an instance: the IMDSv2 session token (``PUT /latest/api/token``), the
instance id, placement, the instance identity document and the instance role's temporary credentials
(``/latest/meta-data/iam/security-credentials/<role>``). Without ``--imdsv1`` every GET needs a token
(HttpTokens=required, 401 otherwise); with it, GETs without a token are answered too (HttpTokens=optional).

Credentials come from the local S3 server (moto) named by ``--iam-endpoint``: each generation is an STS
session of a moto role of its own, so the S3 server accepts exactly the credentials served. A generation is
served until a third of its lifetime remains; then the next one is issued, and when its ``Expiration``
passes its role loses its permissions. With ``--enforce-iam`` the server's IAM checks are switched on (moto's
reset-auth), so credentials that expired really stop working. Without ``--iam-endpoint`` the credentials are
the local server's fixed test keys, with a session token and an expiration.

It must listen only inside a network namespace made for the test host (where 169.254.169.254 is an address
on that namespace's loopback), never on the machine's own interfaces; the test harness does that.
``DIR/imds.json`` records what was served (generations, requests by kind), for tests to read.
"""

import argparse
import datetime
import http.server
import json
import os
import secrets
import socketserver
import sys
import threading
import time

TOKEN_PATH = "/latest/api/token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TOKEN_TTL = 21600
TEST_ACCESS_KEY = "testing"
TEST_SECRET_KEY = "testing"
ACCOUNT_ID = "123456789012"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def iso8601(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FixedCredentials:
    """The local server's fixed keys, for an S3 server that checks no credentials."""

    def __init__(self, lifetime):
        self.lifetime = lifetime

    def issue(self, generation):
        return {"AccessKeyId": TEST_ACCESS_KEY, "SecretAccessKey": TEST_SECRET_KEY,
                "Token": "mountkit-session-%d-%s" % (generation, secrets.token_hex(8))}

    def revoke(self, generation):
        pass


class MotoRoleSessions:
    """One moto role and STS session per generation; revoking a generation deletes its role's policy."""

    def __init__(self, endpoint, region, enforce):
        import boto3  # the test bed's Python environment has it; the fixed-credentials mode does not need it

        self.endpoint = endpoint
        self.region = region
        self.session_name = "mountkit-instance"
        if enforce:
            # Checks off while our administrator is made with the fixed keys, so a restarted service can
            # set up against a server that already checks.
            self.reset_auth(b"inf")
        setup = dict(endpoint_url=endpoint, region_name=region,
                     aws_access_key_id=TEST_ACCESS_KEY, aws_secret_access_key=TEST_SECRET_KEY)
        iam = boto3.client("iam", **setup)
        # An administrator of our own, because the fixed test keys stop working once IAM checks are on.
        admin = "mountkit-imds-admin-%s" % secrets.token_hex(4)
        admin_arn = iam.create_user(UserName=admin)["User"]["Arn"]
        # With IAM checks on, moto lets only the principal named in a role's trust policy assume it.
        self.trust_policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"}]})
        iam.put_user_policy(UserName=admin, PolicyName="all", PolicyDocument=ALLOW_ALL)
        key = iam.create_access_key(UserName=admin)["AccessKey"]
        admin_keys = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id=key["AccessKeyId"],
                          aws_secret_access_key=key["SecretAccessKey"])
        self.iam = boto3.client("iam", **admin_keys)
        self.sts = boto3.client("sts", **admin_keys)
        self.prefix = "mountkit-imds-%s-gen" % secrets.token_hex(4)
        if enforce:
            self.reset_auth(b"0")

    def reset_auth(self, allowed_unchecked_requests):
        """moto's switch: how many requests it serves before checking IAM ("inf": never checks)."""
        import urllib.request

        request = urllib.request.Request(self.endpoint + "/moto-api/reset-auth", data=allowed_unchecked_requests,
                                         headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(request, timeout=10).close()

    def issue(self, generation):
        role = "%s-%d" % (self.prefix, generation)
        arn = self.iam.create_role(RoleName=role, AssumeRolePolicyDocument=self.trust_policy)["Role"]["Arn"]
        self.iam.put_role_policy(RoleName=role, PolicyName="s3", PolicyDocument=ALLOW_ALL)
        found = self.sts.assume_role(RoleArn=arn, RoleSessionName=self.session_name)["Credentials"]
        return {"AccessKeyId": found["AccessKeyId"], "SecretAccessKey": found["SecretAccessKey"],
                "Token": found["SessionToken"]}

    def revoke(self, generation):
        self.iam.delete_role_policy(RoleName="%s-%d" % (self.prefix, generation), PolicyName="s3")


class MetadataService:
    """What the service knows and serves; thread-safe."""

    def __init__(self, args, credentials):
        self.args = args
        self.credentials = credentials
        self.lock = threading.Lock()
        self.tokens = {}
        self.generations = []
        self.requests = {"token": 0, "unauthorized": 0, "credentials": 0, "other": 0}
        self.state_path = os.path.join(args.state_dir, "imds.json")
        self.started = time.time()

    # --- tokens --------------------------------------------------------------------------------------------
    def new_token(self, ttl):
        token = secrets.token_urlsafe(40)
        with self.lock:
            now = time.time()
            self.tokens = dict((key, expiry) for key, expiry in self.tokens.items() if expiry > now)
            self.tokens[token] = now + ttl
            self.requests["token"] += 1
            self._save()
        return token

    def token_valid(self, token):
        with self.lock:
            expiry = self.tokens.get(token)
        return expiry is not None and expiry > time.time()

    def count(self, kind):
        with self.lock:
            self.requests[kind] += 1
            self._save()

    # --- credentials -----------------------------------------------------------------------------------------
    def current_credentials(self):
        """The generation to serve now: a new one once a third of the current one's lifetime remains."""
        with self.lock:
            now = time.time()
            current = self.generations[-1] if self.generations else None
            if current is None or current["expires"] - now < self.args.lifetime / 3.0:
                number = len(self.generations) + 1
                issued = dict(self.credentials.issue(number), generation=number, issued=now,
                              expires=now + self.args.lifetime, revoked=False, served=0)
                self.generations.append(issued)
                current = issued
            current["served"] += 1
            self.requests["credentials"] += 1
            self._save()
            return {"Code": "Success", "LastUpdated": iso8601(current["issued"]), "Type": "AWS-HMAC",
                    "AccessKeyId": current["AccessKeyId"], "SecretAccessKey": current["SecretAccessKey"],
                    "Token": current["Token"], "Expiration": iso8601(current["expires"])}

    def revoke_expired(self):
        with self.lock:
            now = time.time()
            for generation in self.generations:
                if not generation["revoked"] and generation["expires"] <= now:
                    self.credentials.revoke(generation["generation"])
                    generation["revoked"] = True
                    self._save()

    def _save(self):
        state = {
            "address": self.args.address, "port": self.args.port, "imdsv1": self.args.imdsv1,
            "role": self.args.role, "lifetime": self.args.lifetime, "requests": self.requests,
            "generations": [dict((key, value) for key, value in generation.items() if key != "SecretAccessKey")
                            for generation in self.generations],
        }
        temporary = self.state_path + ".tmp"
        with open(temporary, "w") as handle:
            json.dump(state, handle, indent=1)
        os.replace(temporary, self.state_path)

    # --- documents -----------------------------------------------------------------------------------------
    def identity_document(self):
        args = self.args
        return json.dumps({
            "accountId": ACCOUNT_ID, "architecture": "x86_64", "availabilityZone": args.availability_zone,
            "imageId": "ami-0mountkit00000000", "instanceId": args.instance_id, "instanceType": "t3.micro",
            "pendingTime": iso8601(self.started), "privateIp": "10.0.0.10", "region": args.region,
            "version": "2017-09-30",
        }, indent=2)

    def document(self, path):
        """(status, content type, body) of a GET."""
        args = self.args
        role_prefix = "/latest/meta-data/iam/security-credentials/"
        fixed = {
            "/latest/meta-data/": "ami-id\nplacement/\ninstance-id\ninstance-type\niam/\n",
            "/latest/meta-data/instance-id": args.instance_id,
            # mount-s3 derives its default throughput target from it.
            "/latest/meta-data/instance-type": "t3.micro",
            "/latest/meta-data/ami-id": "ami-0mountkit00000000",
            "/latest/meta-data/placement/": "availability-zone\nregion\n",
            "/latest/meta-data/placement/availability-zone": args.availability_zone,
            "/latest/meta-data/placement/region": args.region,
            "/latest/meta-data/iam/": "info\nsecurity-credentials/\n",
            "/latest/meta-data/iam/info": json.dumps({
                "Code": "Success", "LastUpdated": iso8601(self.started),
                "InstanceProfileArn": "arn:aws:iam::%s:instance-profile/%s" % (ACCOUNT_ID, args.role),
                "InstanceProfileId": "AIPAMOUNTKIT0000000000"}),
            role_prefix: args.role,
            "/latest/dynamic/instance-identity/document": self.identity_document(),
        }
        if path in fixed:
            self.count("other")
            kind = "application/json" if fixed[path].startswith("{") else "text/plain"
            return 200, kind, fixed[path]
        if path in (role_prefix + args.role, role_prefix + args.role + "/"):
            return 200, "text/plain", json.dumps(self.current_credentials(), indent=2)
        self.count("other")
        return 404, "text/plain", "Not Found"


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "EC2ws"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    @property
    def service(self):
        return self.server.service

    def log_message(self, fmt, *args):  # one line per request, into the state directory's log
        sys.stderr.write("%s %s\n" % (iso8601(time.time()), fmt % args))

    def reply(self, status, body, content_type="text/plain", headers=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path != TOKEN_PATH:
            self.reply(404, "Not Found")
            return
        # Like EC2: a forwarded request is refused, so a proxy on the host cannot hand tokens out.
        if self.headers.get("X-Forwarded-For"):
            self.reply(403, "Forbidden")
            return
        try:
            ttl = int(self.headers.get(TTL_HEADER, ""))
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= MAX_TOKEN_TTL:
            self.reply(400, "Bad Request")
            return
        self.reply(200, self.service.new_token(ttl), headers={TTL_HEADER: str(ttl)})

    def do_GET(self):
        token = self.headers.get(TOKEN_HEADER)
        # A token that is sent must be valid, also where IMDSv1 is allowed.
        missing = token is None and not self.service.args.imdsv1
        if missing or (token is not None and not self.service.token_valid(token)):
            self.service.count("unauthorized")
            self.reply(401, "Unauthorized")
            return
        status, content_type, body = self.service.document(self.path.split("?")[0])
        self.reply(status, body, content_type)

    def do_POST(self):
        self.reply(405, "Method Not Allowed")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(args):
    os.makedirs(args.state_dir, exist_ok=True)
    if args.iam_endpoint:
        credentials = MotoRoleSessions(args.iam_endpoint, args.region, args.enforce_iam)
    else:
        credentials = FixedCredentials(args.lifetime)
    service = MetadataService(args, credentials)
    server = Server((args.address, args.port), Handler)
    server.service = service
    service._save()  # the state file appears once the service listens

    def revoke_loop():
        while True:
            time.sleep(0.5)
            try:
                service.revoke_expired()
            except Exception as error:  # a failed revocation is logged; the next round tries again
                sys.stderr.write("revocation failed: %s\n" % error)

    threading.Thread(target=revoke_loop, daemon=True).start()
    sys.stderr.write("listening on %s:%d\n" % (args.address, args.port))
    sys.stderr.flush()
    server.serve_forever()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("serve", help="answer metadata requests until stopped")
    run.add_argument("--state-dir", required=True)
    run.add_argument("--address", default="169.254.169.254")
    run.add_argument("--port", type=int, default=80)
    run.add_argument("--imdsv1", action="store_true", help="answer GETs without a token (HttpTokens=optional)")
    run.add_argument("--role", default="mountkit-instance-role")
    run.add_argument("--lifetime", type=float, default=21600.0, help="seconds each credential generation lives")
    run.add_argument("--iam-endpoint", help="moto server whose IAM and STS issue the credentials")
    run.add_argument("--enforce-iam", action="store_true", help="switch the server's IAM checks on")
    run.add_argument("--region", default="us-east-1")
    run.add_argument("--availability-zone", default="us-east-1a")
    run.add_argument("--instance-id", default="i-0123456789abcdef0")
    args = parser.parse_args(argv)
    if args.lifetime < 3:
        parser.error("--lifetime must be at least 3 seconds, got %s" % args.lifetime)
    serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
