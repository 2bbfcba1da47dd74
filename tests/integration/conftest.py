# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the integration tests: run_module, S3 servers, s3fs mounts, mount namespaces."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fusehelpers  # noqa: E402  (needs the path above)
from s3server import S3Server  # noqa: E402  (tests/conftest.py puts tools/testbed on the path)


def pytest_configure(config):
    config.addinivalue_line('markers', 'integration: runs modules through Ansible against real services and mounts')


@pytest.fixture(scope='module')
def shared_s3_server(tmp_path_factory):
    """One S3 server for the tests of a module that never pause it."""
    server = S3Server(str(tmp_path_factory.mktemp('s3server-shared'))).start()
    server.bucket = 'mountkit-shared'
    server.create_buckets([server.bucket])
    yield server
    server.stop()


@pytest.fixture(scope='module')
def passwd_file(tmp_path_factory):
    return fusehelpers.write_passwd_file(str(tmp_path_factory.mktemp('s3fs-credentials')))


@pytest.fixture(scope='module')
def s3fs_mount(shared_s3_server, passwd_file, tmp_path_factory):
    """s3fs mounted on the shared server for the whole module."""
    mount = fusehelpers.S3fsMount(shared_s3_server.endpoint, shared_s3_server.bucket,
                                  str(tmp_path_factory.mktemp('s3fs') / 'mnt'), passwd_file).start()
    yield mount
    mount.stop()


@pytest.fixture
def s3fs_factory(passwd_file, tmp_path):
    """Start s3fs mounts on any server; all of them are stopped afterwards, paused servers resumed first."""
    started = []

    def start(server, mount_point=None, extra_options=()):
        mount = fusehelpers.S3fsMount(server.endpoint, server.bucket, mount_point or str(tmp_path / 'mnt'),
                                      passwd_file, extra_options)
        started.append((server, mount))
        return mount.start()
    yield start
    for server, mount in reversed(started):
        if server.pid:
            server.signal(signal.SIGCONT)
        mount.stop()


@pytest.fixture
def namespaces():
    """Start MountNamespace children; all are killed afterwards."""
    started = []

    def start(propagation):
        namespace = fusehelpers.MountNamespace(propagation)
        started.append(namespace)
        return namespace.start()
    yield start
    for namespace in started:
        namespace.stop()


@pytest.fixture
def cleanup_mounts():
    """Paths appended here are unmounted afterwards, last first."""
    paths = []
    yield paths
    for path in reversed(paths):
        fusehelpers.unmount(path)
