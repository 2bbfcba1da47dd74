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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import project_env  # noqa: E402  (needs the path above)
from s3server import S3Server  # noqa: E402  (needs the path above)
from realparts import REQUIRE_REAL  # noqa: E402  (needs the path above)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI every skip, whatever raised it, is a failure that keeps its reason."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_REAL and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = "skipped under CI=true or MOUNTKIT_REQUIRE_REAL=1, which allow no skip: %s" % reason


def pytest_terminal_summary(terminalreporter):
    """Locally, list every skipped test's reason at the end, so a green run without real parts is visible."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons[reason] = reasons.get(reason, 0) + 1
    terminalreporter.section("skipped: these tests proved nothing here (CI fails on them)")
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line("%4d  %s" % (count, reason))


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
