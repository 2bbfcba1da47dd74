"""A local S3 server (moto) on 127.0.0.1 for tests, molecule and the demo.

Usable as a library (``S3Server``) and as a command:

    s3server.py start --state-dir DIR [--port N] [--bucket NAME ...]
    s3server.py stop --state-dir DIR
    s3server.py env --state-dir DIR

``start`` prints shell-style ``KEY=VALUE`` lines (endpoint and credentials) and
writes them to ``DIR/s3server.env``; ``stop`` ends the server and removes DIR.
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
import urllib.request

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
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "env"])
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--port", type=int)
    parser.add_argument("--bucket", action="append", default=[])
    args = parser.parse_args(argv)

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
