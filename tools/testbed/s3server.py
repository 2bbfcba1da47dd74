"""A local S3 server (moto) on 127.0.0.1 for tests, molecule and the demo.

Usable as a library (``S3Server``) and as a command:

    s3server.py start --state-dir DIR [--port N] [--bucket NAME ...]
    s3server.py stop --state-dir DIR
    s3server.py env --state-dir DIR
    s3server.py serve --port N        (the server process itself; ``start`` runs it)

``start`` prints shell-style ``KEY=VALUE`` lines (endpoint and credentials) and
writes them to ``DIR/s3server.env``; ``stop`` ends the server and removes DIR.

The server is moto's own WSGI application behind ``GeneralPurposeAnswers``, which answers the
requests moto mishandles the way a general purpose bucket does (see its docstring).

What Mountpoint 1.17-1.24 sends beyond 1.16, against moto 5.2.5 (read in both sources):
- RenameObject (1.19+, ``PUT /key?renameObject``, ``x-amz-rename-source``): moto stores an empty
  destination and keeps the source; refused here with 501 NotImplemented, as a general purpose bucket.
- PutObject with ``x-amz-write-offset-bytes`` (``--incremental-upload``, directory buckets only): moto
  overwrites the object with the appended bytes alone; refused here the same way (the status a general
  purpose bucket gives is inferred, not observed).
- CreateSession (``GET /bucket?session``, S3 Express sign-in for directory buckets and ``--cache-xz``):
  moto answers it as ListObjects (200). Not changed: directory-bucket behaviour cannot be exercised on
  this server at all, and Mountpoint fails loudly on the unexpected answer.
- CRC64NVME full-object checksums (1.23 ``--upload-checksums crc64nvme``), ``x-amz-checksum-mode`` on
  HeadObject/GetObject and ``If-Match``/``If-None-Match`` on PutObject and GetObject: moto implements them.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    """One moto server process, in its own process group so stop() leaves nothing behind.

    Another S3 implementation subclasses it with its own command() and ready().
    """

    name = "moto"

    def __init__(self, state_dir, port=None):
        self.state_dir = os.path.abspath(state_dir)
        self.port = port or free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.pid = None

    @property
    def env(self):
        return {
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_PORT": str(self.port),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "S3_SERVER_PID": str(self.pid),
        }

    def command(self):
        return [sys.executable, os.path.abspath(__file__), "serve", "--port", str(self.port)]

    def process_env(self):
        return None

    def ready(self):
        """Whether the server answers; raises OSError (or URLError) while it does not."""
        urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1).close()

    def start(self, timeout=30):
        os.makedirs(self.state_dir, exist_ok=True)
        log = open(os.path.join(self.state_dir, "server.log"), "ab")
        proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=self.process_env(),
        )
        log.close()
        self.pid = proc.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("%s server exited early; see %s/server.log" % (self.name, self.state_dir))
            try:
                self.ready()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("%s server not ready after %ss" % (self.name, timeout))
        self._write_env()
        return self

    def _write_env(self):
        with open(os.path.join(self.state_dir, "s3server.env"), "w") as handle:
            for key, value in self.env.items():
                handle.write("%s=%s\n" % (key, value))
        with open(os.path.join(self.state_dir, "s3server.json"), "w") as handle:
            json.dump({"port": self.port, "pid": self.pid}, handle)

    @classmethod
    def attach(cls, state_dir):
        with open(os.path.join(state_dir, "s3server.json")) as handle:
            data = json.load(handle)
        server = cls(state_dir, data["port"])
        server.pid = data["pid"]
        return server

    def client(self):
        import boto3  # only the library users need boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def create_buckets(self, names):
        client = self.client()
        for name in names:
            client.create_bucket(Bucket=name)

    def api(self, path, data):
        """POST to moto's control API, e.g. reset-auth to switch IAM enforcement on."""
        request = urllib.request.Request(
            self.endpoint + path, data=data.encode(), headers={"Content-Type": "text/plain"}
        )
        urllib.request.urlopen(request, timeout=10).close()

    def signal(self, signum):
        os.killpg(self.pid, signum)

    def stop(self, timeout=10):
        if self.pid:
            try:
                os.killpg(self.pid, signal.SIGCONT)  # a paused (hung) server must be able to exit
                os.killpg(self.pid, signal.SIGTERM)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline and _alive(self.pid):
                    time.sleep(0.1)
                if _alive(self.pid):
                    os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.pid = None
        shutil.rmtree(self.state_dir, ignore_errors=True)


def _alive(pid):
    try:
        # Reap it if it is our child; otherwise just probe it.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# Requests that moto 5.2.5 answers as a plain PutObject although a general purpose bucket refuses them:
# (what gives them away, the header S3 names in its error). Mountpoint >= 1.19 sends RenameObject on every
# bucket and treats NotImplemented as "this bucket cannot rename" (ENOSYS); moto would store an empty
# destination and keep the source. x-amz-write-offset-bytes (append, Mountpoint --incremental-upload) is
# for directory buckets only; moto would replace the object with the appended bytes alone.
UNSUPPORTED_PUTS = (
    ("query", "renameObject", "x-amz-rename-source"),
    ("header", "HTTP_X_AMZ_WRITE_OFFSET_BYTES", "x-amz-write-offset-bytes"),
)

NOT_IMPLEMENTED_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>NotImplemented</Code>"
    "<Message>A header you provided implies functionality that is not implemented</Message>"
    "<Header>%s</Header><RequestId>%s</RequestId><HostId>%s</HostId></Error>"
)


class GeneralPurposeAnswers:
    """WSGI middleware in front of moto: refuse what a general purpose bucket does not implement.

    Such a request gets S3's answer, 501 NotImplemented with an S3 XML error naming the header;
    everything else goes to moto unchanged.
    """

    def __init__(self, app):
        self.app = app

    @staticmethod
    def unsupported_header(environ):
        if environ.get("REQUEST_METHOD") != "PUT":
            return None
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        for where, name, header in UNSUPPORTED_PUTS:
            if (where == "query" and name in query) or (where == "header" and name in environ):
                return header
        return None

    def __call__(self, environ, start_response):
        header = self.unsupported_header(environ)
        if header is None:
            return self.app(environ, start_response)
        _drain(environ)
        request_id = uuid.uuid4().hex[:16].upper()
        body = (NOT_IMPLEMENTED_XML % (header, request_id, uuid.uuid4().hex)).encode()
        start_response("501 Not Implemented", [
            ("Content-Type", "application/xml"),
            ("Content-Length", str(len(body))),
            ("x-amz-request-id", request_id),
        ])
        return [body]


def _drain(environ):
    """Read the refused request's body, so the connection stays usable for the next request."""
    try:
        remaining = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        remaining = 0
    stream = environ.get("wsgi.input")
    while stream is not None and remaining > 0:
        block = stream.read(min(remaining, 1 << 20))
        if not block:
            break
        remaining -= len(block)


def serve(port, host="127.0.0.1"):
    """Run moto's server application, wrapped in GeneralPurposeAnswers, until SIGTERM."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    os.environ.setdefault("MOTO_PORT", str(port))  # moto builds its own URLs (e.g. presigned) from it
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, GeneralPurposeAnswers(app), threaded=True, request_handler=MotoRequestHandler)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "env", "serve"])
    parser.add_argument("--state-dir")
    parser.add_argument("--port", type=int)
    parser.add_argument("--bucket", action="append", default=[])
    args = parser.parse_args(argv)

    if args.action == "serve":
        if not args.port:
            parser.error("serve needs --port")
        serve(args.port)
        return 0
    if not args.state_dir:
        parser.error("%s needs --state-dir" % args.action)
    if args.action == "start":
        if os.path.exists(os.path.join(args.state_dir, "s3server.json")):
            parser.error("a server already runs for %s; stop it first" % args.state_dir)
        server = S3Server(args.state_dir, args.port).start()
        server.create_buckets(args.bucket)
    else:
        try:
            server = S3Server.attach(args.state_dir)
        except FileNotFoundError:
            if args.action == "stop":
                return 0  # nothing to stop
            parser.error("no server runs for %s" % args.state_dir)
        if args.action == "stop":
            server.stop()
            return 0
    for key, value in server.env.items():
        print("%s=%s" % (key, value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
