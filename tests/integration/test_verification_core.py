# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mount_flags and io_semantics on real mounts, run through Ansible.

s3fs against a local S3 server, a dead FUSE mount, a hung S3 server under s3fs, and
propagation as seen from other mount namespaces.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import signal
import threading
import time

import pytest

import fusehelpers

MISSING = fusehelpers.missing_host_requirements()
pytestmark = [pytest.mark.integration, pytest.mark.skipif(MISSING is not None, reason=str(MISSING))]

FAST_FAILING_S3FS = ['retries=1', 'connect_timeout=2', 'readwrite_timeout=5']


def bucket_state(server):
    """{key: etag} of every object, to prove what a probe did or did not leave in the bucket."""
    client = server.client()
    state = {}
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=server.bucket):
        for item in page.get('Contents', []):
            state[item['Key']] = item['ETag']
    return state


def tree_digest(root):
    """{relative path: sha256} of every file under root (symlinks and the probe's own runs excluded)."""
    digests = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, 'rb') as handle:
                digests[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return digests


class TestS3fs:
    def test_mount_flags_on_s3fs(self, run_module, s3fs_mount, shared_s3_server):
        result = run_module('mountkit.aws.mount_flags', {
            'path': s3fs_mount.mount_point, 'fstype': 'fuse.s3fs', 'source': 's3fs:*',
            'options_present': ['nosuid', 'nodev', 'user_id=0'], 'options_absent': ['ro'],
            'propagation': 'private', 'timeout': 5})
        assert not result.get('failed'), result.get('msg')
        assert result['alive'] == 'ok'
        assert result['is_mount_point'] is True
        assert result['mount']['source'] == 's3fs:%s' % shared_s3_server.bucket
        assert result['mount']['fstype'] == 'fuse.s3fs'
        assert result['problems'] == []
        assert result['changed'] is False

    def test_mount_flags_names_every_unmet_expectation(self, run_module, s3fs_mount):
        sub = os.path.join(s3fs_mount.mount_point, 'not-a-mount-point')
        result = run_module('mountkit.aws.mount_flags', {
            'path': sub, 'fstype': 'nfs4', 'options_present': ['hard'], 'propagation': 'shared',
            'fstab_options_present': ['_netdev'], 'fstab_path': '/nonexistent/fstab', 'timeout': 5})
        assert result['failed']
        assert result['is_mount_point'] is False
        assert result['mount']['mount_point'] == s3fs_mount.mount_point
        assert [problem.split(':')[0] for problem in result['problems']] == [
            'fstype', 'options_present', 'propagation', 'fstab_options_present', 'alive']
        for problem in result['problems']:
            assert problem in result['msg']
        # The mount answers, but the path below it does not exist.
        assert (result['alive'], result['alive_detail']) == ('error', 'ENOENT')

    def test_mount_flags_checks_several_mounts_in_one_call(self, run_module, s3fs_mount):
        result = run_module('mountkit.aws.mount_flags', {
            'mounts': [{'path': s3fs_mount.mount_point},
                       {'path': '/srv/mountkit-not-mounted', 'check_alive': False},
                       {'path': s3fs_mount.mount_point, 'propagation': 'shared'}],
            'fstype': 'fuse.s3fs', 'timeout': 5})
        assert result['failed']
        assert 'mount' not in result
        first, missing, unshared = result['checks']
        assert (first['path'], first['alive'], first['problems']) == (s3fs_mount.mount_point, 'ok', [])
        assert missing['alive'] == 'not_checked'
        assert missing['problems'] == ["fstype: expected 'fuse.s3fs', found '%s' (mount at %s)"
                                       % (missing['mount']['fstype'], missing['mount']['mount_point'])]
        assert [problem.split(':')[0] for problem in unshared['problems']] == ['propagation']
        assert result['problems'] == ['/srv/mountkit-not-mounted: ' + missing['problems'][0],
                                      s3fs_mount.mount_point + ': ' + unshared['problems'][0]]
        assert result['msg'].startswith('2 of 3 mounts with problems: ')

    def test_io_semantics_s3fs_profile_passes(self, run_module, s3fs_mount, shared_s3_server):
        before = bucket_state(shared_s3_server)
        result = run_module('mountkit.aws.io_semantics', {
            'path': s3fs_mount.mount_point, 'profile': 's3fs', 'size': '2M', 'timeout': 20})
        assert not result.get('failed'), result.get('msg')
        assert result['problems'] == []
        assert all(item['pass'] for item in result['outcomes'].values()), result['outcomes']
        observed = dict((name, item['observed']) for name, item in result['outcomes'].items())
        assert observed['hardlink'] == 'ENOTSUP'
        assert observed['xattr'] in ('ENOTSUP', 'ok')
        assert observed['rename_dir'] == 'ok'
        assert result['bytes_verified'] >= 2 * 1024 * 1024
        assert result['leftovers'] == []
        assert result['changed'] is False
        assert result['scratch_dir'].startswith(os.path.join(s3fs_mount.mount_point, '.mountkit-probe') + '/')
        assert not os.path.exists(result['scratch_dir'])
        assert bucket_state(shared_s3_server) == before

    def test_files_next_to_the_scratch_dir_are_untouched(self, run_module, s3fs_mount, shared_s3_server):
        root = s3fs_mount.mount_point
        older_run = os.path.join(root, '.mountkit-probe', 'older-run')
        os.makedirs(older_run)
        os.makedirs(os.path.join(root, 'data'))
        for path, size in ((os.path.join(root, 'neighbour.bin'), 70000),
                           (os.path.join(root, 'data', 'nested.bin'), 1234),
                           (os.path.join(older_run, 'keep.bin'), 4096)):
            with open(path, 'wb') as handle:
                handle.write(os.urandom(size))
        try:
            files_before, bucket_before = tree_digest(root), bucket_state(shared_s3_server)
            result = run_module('mountkit.aws.io_semantics', {'path': root, 'profile': 's3fs', 'size': '256K'})
            assert not result.get('failed'), result.get('msg')
            assert tree_digest(root) == files_before
            assert bucket_state(shared_s3_server) == bucket_before
            assert os.listdir(os.path.join(root, '.mountkit-probe')) == ['older-run']
        finally:
            for path in ('neighbour.bin', 'data/nested.bin', '.mountkit-probe/older-run/keep.bin'):
                os.unlink(os.path.join(root, path))
            for path in ('data', '.mountkit-probe/older-run', '.mountkit-probe'):
                os.rmdir(os.path.join(root, path))

    def test_check_mode_writes_nothing(self, run_module, s3fs_mount, shared_s3_server):
        bucket_before, listing_before = bucket_state(shared_s3_server), os.listdir(s3fs_mount.mount_point)
        result = run_module('mountkit.aws.io_semantics', {
            'path': s3fs_mount.mount_point, 'profile': 'mountpoint_s3', 'allow_delete': True,
            'operations': ['sequential', 'unlink', 'create_write_read']}, check=True)
        assert not result.get('failed'), result.get('msg')
        assert result['changed'] is False
        assert result['operations'] == ['create_write_read', 'unlink', 'sequential']
        assert set(item['observed'] for item in result['outcomes'].values()) == {'NOT_RUN'}
        assert result['outcomes']['unlink']['expected'] == ['ok']
        assert result['mount']['fstype'] == 'fuse.s3fs'
        assert bucket_state(shared_s3_server) == bucket_before
        assert os.listdir(s3fs_mount.mount_point) == listing_before
        assert not os.path.exists(os.path.join(s3fs_mount.mount_point, '.mountkit-probe'))

    def test_mismatch_is_reported_and_can_be_tolerated(self, run_module, s3fs_mount):
        args = {'path': s3fs_mount.mount_point, 'profile': 'mountpoint_s3', 'operations': ['unlink', 'mkdir']}
        failed = run_module('mountkit.aws.io_semantics', args)
        assert failed['failed']
        assert failed['problems'] == ['unlink: expected EPERM, observed ok']
        assert 'unlink: expected EPERM, observed ok' in failed['msg']
        tolerated = run_module('mountkit.aws.io_semantics', dict(args, fail_on_mismatch=False))
        assert not tolerated.get('failed')
        assert tolerated['problems'] == ['unlink: expected EPERM, observed ok']
        assert tolerated['outcomes']['mkdir']['pass'] is True


class TestDeadMount:
    def test_dead_fuse_mount(self, run_module, tmp_path, cleanup_mounts):
        path = str(tmp_path / 'dead')
        os.mkdir(path)
        fusehelpers.dead_fuse_mount(path)
        cleanup_mounts.append(path)
        started = time.time()
        result = run_module('mountkit.aws.mount_flags', {'path': path, 'fstype': 'fuse', 'timeout': 5})
        assert time.time() - started < 5 + 10
        assert result['failed']
        assert result['alive'] == 'dead'
        assert result['alive_detail'] == 'ENOTCONN'
        assert result['mount']['source'] == 'mountkit-dead'
        assert result['problems'] == ['alive: %s is dead (ENOTCONN); unmount it (umount -l) and mount it again' % path]

        probe = run_module('mountkit.aws.io_semantics', {'path': path, 'profile': 'nfs', 'timeout': 5})
        assert probe['failed']
        assert set(item['observed'] for item in probe['outcomes'].values()) == {'ENOTCONN'}
        assert len(probe['problems']) == 1 and 'ENOTCONN' in probe['problems'][0]


class TestHungServer:
    def test_server_paused_before_the_probe(self, run_module, s3_server, s3fs_factory):
        mount = s3fs_factory(s3_server, extra_options=FAST_FAILING_S3FS)
        s3_server.signal(signal.SIGSTOP)
        started = time.time()
        result = run_module('mountkit.aws.io_semantics', {'path': mount.mount_point, 'profile': 's3fs', 'timeout': 3},
                            timeout=60)
        elapsed = time.time() - started
        s3_server.signal(signal.SIGCONT)
        assert elapsed < 3 + 10, elapsed
        assert result['failed']
        assert result['hung'] == 'create scratch directory'
        assert set(item['observed'] for item in result['outcomes'].values()) == {'ETIMEDOUT'}
        assert result['problems'][-1].startswith('mount hung: no answer within 3s')
        assert result['leftovers'][0]['error'] == 'ETIMEDOUT'

    def test_server_paused_during_the_probe(self, run_module, s3_server, s3fs_factory):
        mount = s3fs_factory(s3_server, extra_options=FAST_FAILING_S3FS)
        client = s3_server.client()
        paused = threading.Event()

        def pause_once_the_probe_writes():
            deadline = time.time() + 30
            while time.time() < deadline:
                listing = client.list_objects_v2(Bucket=s3_server.bucket, Prefix='.mountkit-probe/')
                # The first file object, not a directory marker: the operations have started.
                if any(not item['Key'].endswith('/') for item in listing.get('Contents', [])):
                    s3_server.signal(signal.SIGSTOP)
                    paused.set()
                    return
                time.sleep(0.02)
        watcher = threading.Thread(target=pause_once_the_probe_writes)
        watcher.start()
        started = time.time()
        try:
            result = run_module('mountkit.aws.io_semantics', {
                'path': mount.mount_point, 'profile': 's3fs', 'size': '32M', 'timeout': 3}, timeout=90)
        finally:
            watcher.join()
            s3_server.signal(signal.SIGCONT)
        elapsed = time.time() - started
        assert paused.is_set()
        assert result['failed']
        # outcomes is a dict (its order is not kept through Ansible); operations gives the run order.
        observed = [result['outcomes'][name]['observed'] for name in result['operations']]
        assert set(observed) & {'ETIMEDOUT', 'EIO'}, result['outcomes']
        if result['hung']:
            hung_at = result['operations'].index(result['hung'])
            assert observed[hung_at] == 'ETIMEDOUT'
            assert set(observed[hung_at + 1:]) <= {'NOT_RUN'}
            assert 'mount hung' in result['problems'][-1]
        # One timeout per hanging step, not one per operation.
        assert elapsed < 3 * 4 + 10, elapsed


class TestPropagationInOtherNamespaces:
    def test_shared_slave_private(self, run_module, tmp_path, shared_s3_server, passwd_file, namespaces, cleanup_mounts,
                                  s3fs_factory):
        parent = str(tmp_path / 'shared-parent')
        os.mkdir(parent)
        fusehelpers.make_shared_bind(parent)
        cleanup_mounts.append(parent)
        children = dict((propagation, namespaces(propagation)) for propagation in ('shared', 'slave', 'private'))
        # Mounted after the namespaces exist: it must propagate to the shared and slave ones only.
        mount = s3fs_factory(shared_s3_server, mount_point=os.path.join(parent, 's3'))

        for propagation in ('shared', 'slave'):
            result = run_module('mountkit.aws.mount_flags', {
                'path': mount.mount_point, 'mountinfo_path': children[propagation].mountinfo_path,
                'fstype': 'fuse.s3fs', 'propagation': propagation, 'timeout': 5})
            assert not result.get('failed'), result.get('msg')
            assert result['mount']['propagation'] == propagation
            assert result['alive'] == 'ok'
        assert result['mount']['master'] is not None  # the slave's master is the host's peer group

        private = run_module('mountkit.aws.mount_flags', {
            'path': mount.mount_point, 'mountinfo_path': children['private'].mountinfo_path,
            'fstype': 'fuse.s3fs', 'propagation': 'shared', 'check_alive': False})
        assert private['failed']
        assert private['mount']['mount_point'] == parent
        assert private['mount']['propagation'] == 'private'
        assert private['alive'] == 'not_checked'
        assert private['problems'] == [
            "fstype: expected 'fuse.s3fs', found 'ext4' (mount at %s)" % parent,
            'propagation: expected shared, found private (optional fields: none; mount at %s)' % parent,
        ]


class TestBadInput:
    def test_io_semantics_names_each_bad_parameter(self, run_module):
        result = run_module('mountkit.aws.io_semantics', {
            'path': 'relative/dir', 'timeout': 0, 'size': 'lots', 'expect': {'renam_file': 'ok'}})
        assert result['failed']
        for fragment in ("path must be absolute, got 'relative/dir'", 'timeout must be greater than 0',
                         "size not a size: 'lots'", 'expect has unknown operation(s) renam_file'):
            assert fragment in result['msg']

    def test_io_semantics_unknown_operation_and_flag(self, run_module):
        result = run_module('mountkit.aws.io_semantics', {'path': '/tmp', 'operations': ['mkdir', 'teleport']})
        assert result['failed'] and 'operations' in result['msg'] and 'teleport' in result['msg']
        result = run_module('mountkit.aws.io_semantics', {'path': '/tmp', 'profile': 's3fs', 'allow_delete': True})
        assert result['failed'] and 'allow_delete applies only to profile mountpoint_s3' in result['msg']

    def test_mount_flags_names_each_bad_parameter(self, run_module):
        result = run_module('mountkit.aws.mount_flags', {
            'path': 'mnt', 'timeout': -1, 'mountinfo_path': '/proc/0/mountinfo'})
        assert result['failed']
        for fragment in ("path must be absolute, got 'mnt'", 'timeout must be greater than 0',
                         'mountinfo_path /proc/0/mountinfo does not exist'):
            assert fragment in result['msg']
