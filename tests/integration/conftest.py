# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the integration tests: run_module, S3 servers, s3fs mounts, mount namespaces."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import uuid
import signal
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import containerhelpers  # noqa: E402  (needs the path above)
import fusehelpers  # noqa: E402  (needs the path above)
import hostbed  # noqa: E402  (needs the path above)
from realparts import require_real  # noqa: E402  (tests/conftest.py puts tests/ on the path)
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
def real_fuse():
    """FUSE mounts on this machine itself; a missing part fails under CI (realparts)."""
    missing = fusehelpers.missing_host_requirements()
    if missing:
        require_real('FUSE on this machine', missing)


@pytest.fixture(scope='module')
def real_fuse_and_docker(request):
    """Real FUSE mounts and the Docker engine for the container tests; a missing part fails the module."""
    missing = fusehelpers.missing_host_requirements() or containerhelpers.missing_docker()
    if missing:
        pytest.fail('%s needs real FUSE mounts and the Docker engine: %s' % (request.module.__name__, missing))


@pytest.fixture(scope='module')
def shell_image(request):
    """A throwaway image with a shell, built locally for one test module and removed after it."""
    tag = 'mountkit-test/%s:%s' % (request.module.__name__.replace('_', '-'), uuid.uuid4().hex[:8])
    containerhelpers.build_shell_image(tag)
    yield tag
    containerhelpers.remove_image(tag)


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


def stop_mounts(started):
    """Stop (server, mount) pairs, newest first, resuming a paused server so its mount can unmount."""
    for server, mount in reversed(started):
        if server.pid:
            server.signal(signal.SIGCONT)
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
    stop_mounts(started)


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


@pytest.fixture(scope='session')
def host_bed(tmp_path_factory):
    """The session's one disposable systemd container host (hostbed.py); removed at the end, also on failure."""
    missing = hostbed.missing_requirements()
    if missing:
        require_real('a disposable systemd container host', missing)
    bed = hostbed.HostBed(str(tmp_path_factory.mktemp('hostbed')))
    try:
        bed.start()
        yield bed
    finally:
        bed.stop()


@pytest.fixture(scope='session')
def mount_s3_deb():
    """The test-bed mount-s3 package (cached by tools/testbed/build-mount-s3.sh); the binary sits next to it."""
    proc = subprocess.run(['bash', os.path.join(hostbed.ROOT, 'tools', 'testbed', 'build-mount-s3.sh')],
                          capture_output=True, text=True, check=False)
    lines = proc.stdout.split()
    if proc.returncode != 0 or not lines or not os.path.isfile(lines[-1]):
        require_real('the mount-s3 package (tools/testbed/build-mount-s3.sh)', proc.stderr.strip()[-500:])
    return lines[-1]


@pytest.fixture(scope='session')
def mount_s3_binary(mount_s3_deb):
    return os.path.join(os.path.dirname(mount_s3_deb), 'mount-s3')


@pytest.fixture
def bucket_mounts(passwd_file, mount_s3_binary, tmp_path):
    """Mount any bucket of a server with s3fs or mount-s3 on this machine: start(backend, server, bucket, ...).

    s3fs gets the fast-failing options of the fault tests; every mount is stopped afterwards, after a paused
    server was resumed.
    """
    started = []

    def start(backend, server, bucket, extra=()):
        mount_point = str(tmp_path / ('%s-%s' % (backend, bucket)))
        if backend == 's3fs':
            mount = fusehelpers.S3fsMount(server.endpoint, bucket, mount_point, passwd_file,
                                          ['retries=1', 'connect_timeout=2', 'readwrite_timeout=5'] + list(extra))
        else:
            mount = hostbed.MountpointMount(mount_s3_binary, server.endpoint, bucket, mount_point, extra)
        started.append((server, mount))
        return mount.start()
    yield start
    stop_mounts(started)
