"""Shared pytest fixtures: the collection on sys.path, a local S3 server, and running modules through Ansible."""

import json
import os
import subprocess
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
COLLECTIONS = os.path.join(VENV, "collections")

# Unit tests import the collection as ansible_collections.mountkit.aws, like Ansible does.
sys.path.insert(0, COLLECTIONS)
sys.path.insert(0, os.path.join(ROOT, "tools", "testbed"))

import project_env  # noqa: E402  (needs the path above)
from s3server import S3Server  # noqa: E402  (needs the path above)


def ansible_env(**extra):
    """The project's Ansible environment, with one JSON result per run for the tests to read."""
    return project_env.ansible_env(
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", **extra)


def ansible_run_module(module, args, check=False, timeout=300):
    """Run one module on localhost through ansible (not by import) and return its result dict."""
    cmd = [os.path.join(VENV, "bin", "ansible"), "localhost", "-c", "local", "-m", module, "-a", json.dumps(args)]
    if check:
        cmd.append("--check")
    proc = subprocess.run(cmd, env=ansible_env(), capture_output=True, text=True, timeout=timeout, check=False)
    try:
        output = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible printed no JSON:\n%s\n%s" % (proc.stdout, proc.stderr))
    return output["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.fixture(scope="session")
def run_module():
    """ansible_run_module, as a fixture for test modules that are not importable by name."""
    return ansible_run_module


@pytest.fixture
def s3_server(tmp_path_factory):
    """A fresh moto server on a free 127.0.0.1 port, with bucket 'mountkit-test'; stopped afterwards."""
    server = S3Server(str(tmp_path_factory.mktemp("s3server"))).start()
    server.bucket = "mountkit-test"
    server.create_buckets([server.bucket])
    yield server
    server.stop()


@pytest.fixture
def unique_name():
    return "mk-" + uuid.uuid4().hex[:8]
