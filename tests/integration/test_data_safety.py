# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""io_semantics never touches data that is not its own.

Files that exist before a probe - in the mount root, in a subdirectory and next to its scratch directory (an
older run's leftover) - and the bucket's objects are byte-for-byte the same afterwards, on s3fs and on
Mountpoint for Amazon S3 (real mounts on this machine, against a local S3 server). Each run uses a scratch
directory of its own, and a run cut short by a hung server leaves at most that directory, which it reports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import signal
import threading
import time
import uuid

import pytest

import fusehelpers
from s3server import S3Server

MISSING = fusehelpers.missing_host_requirements()
pytestmark = [pytest.mark.integration, pytest.mark.skipif(MISSING is not None, reason=str(MISSING))]

PROBE_DIR = '.mountkit-probe'
# Objects put through the S3 API before the probe; the keys are also the paths under the mount.
SEEDS = {
    'root.bin': 70000,
    'data/nested.bin': 1234,
    '%s/older-run/keep.bin' % PROBE_DIR: 4096,
}
PROFILES = {
    's3fs': {'profile': 's3fs'},
    # Without --allow-delete the probe cannot remove its files: they stay, and are reported.
    'mountpoint_s3': {'profile': 'mountpoint_s3'},
}


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    server = S3Server(str(tmp_path_factory.mktemp('s3-data'))).start()
    yield server
    server.stop()


@pytest.fixture
def seeded(server):
    """A new bucket with the seed objects; returns its name."""
    bucket = 'mk-data-%s' % uuid.uuid4().hex[:8]
    client = server.client()
    client.create_bucket(Bucket=bucket)
    for key, size in SEEDS.items():
        client.put_object(Bucket=bucket, Key=key, Body=os.urandom(size))
    return bucket


def objects(server, bucket):
    """{key: (ETag, sha256 of the body)} of every object."""
    client = server.client()
    found = {}
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=bucket):
        for item in page.get('Contents', []):
            body = client.get_object(Bucket=bucket, Key=item['Key'])['Body'].read()
            found[item['Key']] = (item['ETag'], hashlib.sha256(body).hexdigest())
    return found


def files(root, skip=None):
    """{relative path: sha256} of every file under root, read through the mount; skip is a directory left out."""
    found = {}
    for directory, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if os.path.join(directory, name) != skip]
        for name in names:
            path = os.path.join(directory, name)
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def scratch_prefix(mount, scratch_dir):
    """The bucket prefix of a scratch directory under the mount."""
    return os.path.relpath(scratch_dir, mount.mount_point) + '/'


def outside(found, prefix):
    return dict((key, value) for key, value in found.items() if not key.startswith(prefix))


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_existing_files_and_objects_are_untouched(backend, server, seeded, bucket_mounts, run_module):
    mount = bucket_mounts(backend, server, seeded)
    files_before, objects_before = files(mount.mount_point), objects(server, seeded)
    assert sorted(files_before) == sorted(SEEDS)

    args = dict(PROFILES[backend], path=mount.mount_point, size='256K', timeout=20)
    result = run_module('mountkit.aws.io_semantics', args)
    assert not result.get('failed'), result.get('msg')
    scratch = result['scratch_dir']
    prefix = scratch_prefix(mount, scratch)
    assert prefix.startswith(PROBE_DIR + '/') and prefix != '%s/older-run/' % PROBE_DIR

    assert files(mount.mount_point, skip=scratch) == files_before
    objects_after = objects(server, seeded)
    assert outside(objects_after, prefix) == objects_before
    # What the probe could not remove is its own, and it says so.
    left = sorted(set(objects_after) - set(objects_before))
    reported = [os.path.relpath(item['path'], mount.mount_point) for item in result['leftovers']]
    assert all(path == prefix[:-1] or path.startswith(prefix) for path in reported), reported
    covered = [key for key in left if key in reported or any(key.startswith(path + '/') for path in reported)]
    assert covered == left, reported
    if backend == 's3fs':
        assert left == [] and not os.path.exists(scratch)


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_scratch_prefix_is_unique_per_run(backend, server, seeded, bucket_mounts, run_module):
    mount = bucket_mounts(backend, server, seeded)
    args = dict(PROFILES[backend], path=mount.mount_point, operations=['create_write_read', 'mkdir'])
    first, second = run_module('mountkit.aws.io_semantics', args), run_module('mountkit.aws.io_semantics', args)
    for result in (first, second):
        assert not result.get('failed'), result.get('msg')
        assert os.path.dirname(result['scratch_dir']) == os.path.join(mount.mount_point, PROBE_DIR)
    assert first['scratch_dir'] != second['scratch_dir']
    # Each run's leftovers (mount-s3 without --allow-delete) lie in its own directory only.
    for result in (first, second):
        scratch = result['scratch_dir']
        assert all(item['path'] == scratch or item['path'].startswith(scratch + '/') for item in result['leftovers'])


def pause_when_the_probe_writes(server, bucket, paused, timeout=60):
    """SIGSTOP the server once the probe's first file object exists: the run is then mid-way."""
    client = server.client()
    deadline = time.time() + timeout
    while time.time() < deadline:
        listing = client.list_objects_v2(Bucket=bucket, Prefix=PROBE_DIR + '/')
        if any(not item['Key'].endswith('/') and '/older-run/' not in item['Key']
               for item in listing.get('Contents', [])):
            server.signal(signal.SIGSTOP)
            paused.set()
            return
        time.sleep(0.02)


def settled(server, bucket, quiet=2.0, timeout=60):
    """The objects once s3fs has finished the uploads it held while the server was paused."""
    deadline = time.time() + timeout
    last = objects(server, bucket)
    stable_since = time.time()
    while time.time() < deadline:
        time.sleep(0.5)
        now = objects(server, bucket)
        if now != last:
            last, stable_since = now, time.time()
        elif time.time() - stable_since >= quiet:
            break
    return last


def test_interrupted_run_leaves_only_its_own_reported_scratch_files(server, seeded, bucket_mounts, run_module):
    mount = bucket_mounts('s3fs', server, seeded)
    files_before, objects_before = files(mount.mount_point), objects(server, seeded)
    paused = threading.Event()
    watcher = threading.Thread(target=pause_when_the_probe_writes, args=(server, seeded, paused))
    watcher.start()
    try:
        result = run_module('mountkit.aws.io_semantics', {'path': mount.mount_point, 'profile': 's3fs',
                                                          'size': '32M', 'timeout': 3}, timeout=120)
    finally:
        watcher.join()
        server.signal(signal.SIGCONT)
    assert paused.is_set()
    assert result['failed']
    assert 'ETIMEDOUT' in [item['observed'] for item in result['outcomes'].values()], result['outcomes']

    scratch = result['scratch_dir']
    prefix = scratch_prefix(mount, scratch)
    objects_after = settled(server, seeded)
    new = sorted(set(objects_after) - set(objects_before))
    assert outside(objects_after, prefix) == objects_before
    assert all(key.startswith(prefix) for key in new), new
    # Something of the run was left behind, and the result says where.
    assert new and result['leftovers'], (new, result['leftovers'])
    assert all(item['path'] == scratch or item['path'].startswith(scratch + '/') for item in result['leftovers'])
    assert 'could not be removed, see leftovers' in result['msg']
    assert files(mount.mount_point, skip=scratch) == files_before
