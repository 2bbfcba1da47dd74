# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults that a managed host must survive, and that the collection must report.

On this machine: what each backend does when S3 takes PutObject or GetObject away or the bucket goes (the
permission matrix), and a killed FUSE daemon under a mount. On the container host (hostbed.py), with the
s3fs and mountpoint_s3 roles: the S3 endpoint down at converge, a killed daemon and the role run after it,
a restart of the converged host, and a boot with the endpoint down.

The NFS server going away is proven on a kernel NFS client in the VM of molecule/efs (tasks/outage.yml).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import fusehelpers
import hostbed
from ansible_collections.mountkit.aws.plugins.module_utils.io_probe import SHORT_READ
from s3server import S3Server

MISSING = fusehelpers.missing_host_requirements()
pytestmark = [pytest.mark.integration, pytest.mark.skipif(MISSING is not None, reason=str(MISSING))]

SIZE = 65536

# --- the permission matrix, on this machine --------------------------------------------------------------


@pytest.fixture(scope='module')
def matrix_server(tmp_path_factory):
    server = S3Server(str(tmp_path_factory.mktemp('s3-matrix'))).start()
    yield server
    server.stop()


def errno_of(call, *args):
    """('ok', value) or (errno name, None)."""
    try:
        return 'ok', call(*args)
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno)), None


def write_file(path):
    """Create, write, fsync and close; the result of each call."""
    report = {}
    report['open'], fd = errno_of(os.open, path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    if fd is None:
        return report
    report['write'] = errno_of(os.write, fd, os.urandom(SIZE))[0]
    report['fsync'] = errno_of(os.fsync, fd)[0]
    report['close'] = errno_of(os.close, fd)[0]
    return report


def read_file(path):
    """Open and read to the end; the result of each call and the bytes read."""
    report = {}
    report['open'], fd = errno_of(os.open, path, os.O_RDONLY)
    if fd is None:
        return report, None
    chunks = []

    def read_all():
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                return
            chunks.append(block)
    report['read'] = errno_of(read_all)[0]
    os.close(fd)
    return report, b''.join(chunks)


def deny(server, bucket, action):
    server.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17',
        'Statement': [{'Effect': 'Deny', 'Principal': '*', 'Action': action, 'Resource': 'arn:aws:s3:::%s/*' % bucket}],
    }))


def keys_of(server, bucket):
    return sorted(item['Key'] for item in server.client().list_objects_v2(Bucket=bucket).get('Contents', []))


def delete_bucket(server, bucket):
    client = server.client()
    for key in keys_of(server, bucket):
        client.delete_object(Bucket=bucket, Key=key)
    client.delete_bucket(Bucket=bucket)


# backend, fault, what the failing calls return. The same observations as molecule/s3fs and
# molecule/mountpoint_s3 (and the test bed's fault table), gathered in one place.
MATRIX = [
    pytest.param('s3fs', 'put-denied', {'write': 'ok', 'fsync': 'EPERM', 'close': 'EPERM'},
                 id='s3fs-PutObject-denied-EPERM-at-fsync-and-close'),
    pytest.param('mountpoint_s3', 'put-denied', {'write': 'ok', 'fsync': 'EIO', 'close': 'EIO'},
                 id='mountpoint_s3-PutObject-denied-EIO-at-fsync-and-close'),
    pytest.param('s3fs', 'get-denied', {'open': 'ok', 'read': 'EPERM'}, id='s3fs-GetObject-denied-EPERM-at-read'),
    pytest.param('mountpoint_s3', 'get-denied', {'open': 'ok', 'read': 'EIO'},
                 id='mountpoint_s3-GetObject-denied-EIO-at-read'),
    # What io_semantics (read_existing) observes while it watches the file and the bucket goes. s3fs opens
    # the file it knew, even after a stat of it failed, and reads 0 bytes without an error; when its read
    # races the deletion it fails with ENOENT instead, so up to three attempts are made. mount-s3 fails the
    # open (ENOENT while the object is gone, EIO once the bucket is), or, when the deletion falls between an
    # open and its read, the read with EIO: an error either way, never a short read.
    pytest.param('s3fs', 'bucket-deleted', {'read_existing': SHORT_READ, 'detail': 'seed.bin: read 0 of 65536 '},
                 id='s3fs-bucket-deleted-silent-empty-read-reported-SHORT_READ'),
    pytest.param('mountpoint_s3', 'bucket-deleted', {'read_existing': 'an error at open or read'},
                 id='mountpoint_s3-bucket-deleted-ENOENT-or-EIO-at-open-or-read'),
]
# Errors a read may honestly give, depending on when it meets the deletion.
HONEST = {'s3fs': ('ENOENT',), 'mountpoint_s3': ('ENOENT', 'EIO')}


def watch_while_bucket_goes(run_module, backend, server, bucket, mount):
    """Run io_semantics on seed.bin for a while, delete the bucket under it, and return its read_existing result."""
    args = {'path': mount.mount_point, 'profile': backend, 'operations': ['read_existing'],
            'existing_files': ['seed.bin'], 'watch': 20, 'fail_on_mismatch': False}
    with ThreadPoolExecutor(max_workers=1) as pool:
        watch = pool.submit(run_module, 'mountkit.aws.io_semantics', args)
        # Ansible's start-up, then a few good reads.
        time.sleep(4)
        delete_bucket(server, bucket)
        return watch.result()['outcomes']['read_existing']


@pytest.mark.parametrize('backend, fault, expected', MATRIX)
def test_permission_loss_and_silent_reads(backend, fault, expected, matrix_server, bucket_mounts, run_module):
    bucket = 'mk-matrix-%s' % uuid.uuid4().hex[:8]
    client = matrix_server.client()
    client.create_bucket(Bucket=bucket)
    seed = os.urandom(SIZE)
    client.put_object(Bucket=bucket, Key='seed.bin', Body=seed)
    mount = bucket_mounts(backend, matrix_server, bucket)
    path = os.path.join(mount.mount_point, 'seed.bin')

    if fault == 'put-denied':
        keys_before = keys_of(matrix_server, bucket)
        deny(matrix_server, bucket, 's3:PutObject')
        observed = write_file(os.path.join(mount.mount_point, 'written.bin'))
        # Failing loudly is not enough: nothing may have been stored either.
        assert keys_of(matrix_server, bucket) == keys_before
    elif fault == 'get-denied':
        deny(matrix_server, bucket, 's3:GetObject')
        observed = read_file(path)[0]
    else:
        outcomes = []
        for _attempt in range(3):
            # Known to the mount, then gone with its bucket; never passed.
            assert read_file(path)[1] == seed
            outcome = watch_while_bucket_goes(run_module, backend, matrix_server, bucket, mount)
            outcomes.append(outcome)
            assert outcome['pass'] is False, outcome
            if backend != 's3fs' or outcome['observed'] == SHORT_READ:
                break
            assert outcome['observed'] in HONEST[backend], outcome
            client.create_bucket(Bucket=bucket)
            client.put_object(Bucket=bucket, Key='seed.bin', Body=seed)
            mount.stop()
            mount = bucket_mounts(backend, matrix_server, bucket)
        observed = {'read_existing': outcome['observed'], 'detail': outcome['detail'][:len(expected.get('detail', ''))],
                    'attempts': outcomes}
        if backend == 'mountpoint_s3' and outcome['observed'] in HONEST[backend]:
            assert outcome['detail'].startswith(('%s at open(' % outcome['observed'],
                                                 '%s at read of ' % outcome['observed'])), outcome
            observed['read_existing'] = 'an error at open or read'
    assert dict((key, observed.get(key)) for key in expected) == expected, observed


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_killed_daemon_leaves_a_dead_mount_that_mount_flags_reports(backend, matrix_server, bucket_mounts, run_module):
    bucket = 'mk-killed-%s' % uuid.uuid4().hex[:8]
    matrix_server.client().create_bucket(Bucket=bucket)
    mount = bucket_mounts(backend, matrix_server, bucket)
    os.kill(mount.proc.pid, signal.SIGKILL)
    mount.proc.wait(10)
    started = time.time()
    result = run_module('mountkit.aws.mount_flags', {'path': mount.mount_point, 'timeout': 5})
    assert time.time() - started < 5 + 20
    assert result['failed']
    assert (result['alive'], result['alive_detail']) == ('dead', 'ENOTCONN')
    assert 'is dead (ENOTCONN); unmount it (umount -l) and mount it again' in result['msg']


# --- the container host ------------------------------------------------------------------------------------

BUCKET = 'mk-faults'
S3FS_PATH = '/mnt/faults/s3fs'
MOUNTPOINT_PATH = '/mnt/faults/mountpoint'
UNIT = 'mount-s3-mnt-faults-mountpoint.service'
PATHS = {'s3fs': S3FS_PATH, 'mountpoint_s3': MOUNTPOINT_PATH}
EXPECTED_MOUNT = {'s3fs': ('fuse.s3fs', 's3fs:%s' % BUCKET), 'mountpoint_s3': ('fuse', 'mountpoint-s3')}
# A drop-in (in /run, gone at reboot) that keeps systemd from restarting mount-s3 for ten minutes, as a
# role run inside any RestartSec window would find the unit.
HOLD_RESTART = ('mkdir -p /run/systemd/system/%s.d && printf "[Service]\\nRestartSec=600\\n" '
                '>/run/systemd/system/%s.d/hold.conf && systemctl daemon-reload' % (UNIT, UNIT))
RELEASE_RESTART = 'rm -rf /run/systemd/system/%s.d && systemctl daemon-reload && systemctl restart %s' % (UNIT, UNIT)


class Endpoint(object):
    """The local S3 server the container host uses; down() and up() keep its port, like an outage would."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.server = None
        self.port = None

    def up(self):
        self.server = S3Server(self.state_dir, self.port).start()
        self.port = self.server.port
        self.server.create_buckets([BUCKET])
        return self

    def down(self):
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port


@pytest.fixture(scope='module')
def endpoint(tmp_path_factory):
    server = Endpoint(str(tmp_path_factory.mktemp('s3-faults') / 'server')).up()
    yield server
    server.down()


@pytest.fixture(scope='module')
def bed(host_bed):
    """The container host, reset before and after this module."""
    host_bed.reset()
    yield host_bed
    host_bed.reset()


# Canaries (the local server takes any key): failure paths quote journals and tool output, and must not show them.
KEYS = {'s3fs': ('AKIAMKFAULTSS3FS0001', 'mkFaults/S3fs+Canary-4c1d9e'),
        'mountpoint_s3': ('AKIAMKFAULTSMP000002', 'mkFaults/Mountpoint+Canary-8e2a7b')}


def role_vars(backend, url, deb):
    key_id, secret = KEYS[backend]
    if backend == 's3fs':
        return {'s3fs_mounts': [{'bucket': BUCKET, 'prefix': 's3fs/', 'path': S3FS_PATH, 'url': url,
                                 'region': 'us-east-1', 'path_style': True, 'aws_access_key_id': key_id,
                                 'aws_secret_access_key': secret}],
                # An outage surfaces within seconds instead of minutes.
                's3fs_retries': 1, 's3fs_connect_timeout': 2, 's3fs_readwrite_timeout': 5, 's3fs_verify_timeout': 10}
    return {'mountpoint_s3_package_src': deb, 'mountpoint_s3_verify_signature': False,
            'mountpoint_s3_mounts': [{'bucket': BUCKET, 'prefix': 'mountpoint/', 'path': MOUNTPOINT_PATH,
                                      'region': 'us-east-1', 'endpoint_url': url, 'force_path_style': True,
                                      'aws_access_key_id': key_id, 'aws_secret_access_key': secret,
                                      'environment': {'AWS_EC2_METADATA_DISABLED': 'true', 'AWS_MAX_ATTEMPTS': '2'}}]}


def converge_both(bed, url, deb):
    """Both roles at once (they touch different files), as {backend: PlaybookRun}."""
    backends = ('s3fs', 'mountpoint_s3')
    runs = bed.playbooks([{'roles': ['mountkit.aws.%s' % backend], 'extra_vars': role_vars(backend, url, deb),
                           'verbosity': 3} for backend in backends])
    return dict(zip(backends, runs))


def verify_playbook(bed, url, deb, report_dir):
    variables = dict(role_vars('s3fs', url, deb), **role_vars('mountpoint_s3', url, deb))
    variables.update(mountkit_verify_io=False, mountkit_verify_timeout=5, mountkit_report_dir=report_dir)
    return bed.playbook(os.path.join(hostbed.ROOT, 'playbooks', 'verify.yml'), extra_vars=variables, verbosity=3)


def check_mount(bed, backend, timeout=5):
    fstype, source = EXPECTED_MOUNT[backend]
    return bed.module('mountkit.aws.mount_flags', {'path': PATHS[backend], 'fstype': fstype, 'source': source,
                                                   'timeout': timeout})


def wait_for_mount(bed, backend, timeout=60):
    deadline = time.time() + timeout
    while True:
        result = check_mount(bed, backend)
        if not result.get('failed') or time.time() > deadline:
            return result
        time.sleep(2)


def unit_active(bed):
    return bed.exec(['systemctl', 'is-active', UNIT], check=False).stdout.strip() == 'active'


def fstab_lines(bed, path):
    return [line for line in bed.read('/etc/fstab').splitlines()
            if len(line.split()) > 1 and line.split()[1] == path]


def unit_text(bed):
    return bed.sh('cat /etc/systemd/system/%s 2>/dev/null || true' % UNIT)


def what_was_written(bed):
    """The s3fs fstab lines; the mountpoint_s3 fstab lines and unit."""
    return {'s3fs': fstab_lines(bed, S3FS_PATH),
            'mountpoint_s3': (fstab_lines(bed, MOUNTPOINT_PATH), unit_text(bed))}


@pytest.fixture(scope='module')
def endpoint_down_at_converge(bed, endpoint, mount_s3_deb):
    """Converge with the endpoint down, then again once it is back on the same port."""
    endpoint.down()
    try:
        failed = converge_both(bed, endpoint.url, mount_s3_deb)
        left = what_was_written(bed)
    finally:
        endpoint.up()
    # systemd starts mount-s3 again by itself (Restart=on-failure) once S3 answers; the role run in between
    # is the subject of test_role_run_recovers_a_killed_daemon[mountpoint_s3].
    assert fusehelpers.wait_for(lambda: unit_active(bed), 60, interval=1), bed.sh('systemctl status %s || true' % UNIT)
    converged = converge_both(bed, endpoint.url, mount_s3_deb)
    return {'failed': failed, 'left': left, 'converged': converged, 'written': what_was_written(bed)}


# What each tool says when S3 does not answer, as the role must quote it.
TOOL_ERRORS = {
    # s3fs forks before it checks the bucket: the mount is gone or dead by the time the role looks.
    's3fs': ['s3fs mount %s (%s:/s3fs)' % (S3FS_PATH, BUCKET), 's3fs said:', 'unable to connect'],
    'mountpoint_s3': ['Mountpoint for Amazon S3 at %s (%s) failed' % (MOUNTPOINT_PATH, UNIT), 'mount-s3 says:',
                      'Error: Failed to create S3 client'],
}


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_endpoint_down_at_converge_fails_with_the_tools_error(backend, endpoint_down_at_converge):
    run = endpoint_down_at_converge['failed'][backend]
    assert run.rc != 0, run.describe()
    for fragment in TOOL_ERRORS[backend]:
        assert fragment in run.message, run.describe()


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_endpoint_down_at_converge_leaves_fstab_consistent(backend, endpoint_down_at_converge):
    left, written = endpoint_down_at_converge['left'][backend], endpoint_down_at_converge['written'][backend]
    if backend == 's3fs':
        # No line, or the complete line of the successful run.
        assert len(written) == 1
        assert left in ([], written)
    else:
        # The systemd method writes no fstab line; its unit is missing or complete.
        assert left[0] == [] and written[0] == []
        assert left[1] in ('', written[1])


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_run_after_the_endpoint_returns_converges(backend, endpoint_down_at_converge, bed):
    run = endpoint_down_at_converge['converged'][backend]
    assert run.rc == 0, run.describe()
    result = check_mount(bed, backend)
    assert not result.get('failed'), result['msg']


@pytest.fixture(scope='module')
def killed_daemons(bed, endpoint, mount_s3_deb, endpoint_down_at_converge, tmp_path_factory):
    """SIGKILL both FUSE daemons, check the mounts, run verify.yml, then run both roles again."""
    for backend in PATHS:
        assert endpoint_down_at_converge['converged'][backend].rc == 0
    bed.sh(HOLD_RESTART)
    try:
        pids = [bed.pid_of('s3fs %s' % S3FS_PATH),
                int(bed.exec(['systemctl', 'show', '--property=MainPID', '--value', UNIT]).stdout)]
        bed.exec(['kill', '-KILL'] + [str(pid) for pid in pids])

        def timed_check(backend):
            started = time.time()
            result = check_mount(bed, backend)
            return dict(result, seconds=time.time() - started)
        with ThreadPoolExecutor(max_workers=2) as pool:
            checks = dict(zip(PATHS, pool.map(timed_check, PATHS)))
        verify = verify_playbook(bed, endpoint.url, mount_s3_deb, str(tmp_path_factory.mktemp('reports')))
        reruns = converge_both(bed, endpoint.url, mount_s3_deb)
        after = dict((backend, check_mount(bed, backend)) for backend in PATHS)
    finally:
        bed.sh(RELEASE_RESTART)
    return {'checks': checks, 'verify': verify, 'reruns': reruns, 'after': after}


def test_killed_s3fs_is_reported_dead_within_the_timeout(killed_daemons):
    result = killed_daemons['checks']['s3fs']
    assert (result['alive'], result['alive_detail']) == ('dead', 'ENOTCONN'), result
    # The module's timeout, plus Ansible's start-up on a busy machine.
    assert result['seconds'] < 5 + 20


def test_killed_mount_s3_is_reported_missing(killed_daemons):
    # The unit's ExecStopPost detaches the dead mount at once, so what is left is a directory on the root file
    # system: mount_flags reports that no Mountpoint mount is there.
    result = killed_daemons['checks']['mountpoint_s3']
    assert result['failed'] and not result['is_mount_point'], result
    assert "fstype: expected 'fuse'" in result['msg'] and "source: expected 'mountpoint-s3'" in result['msg']
    assert result['seconds'] < 5 + 20


def failed_mounts_in_summary(run):
    """Paths whose mount_flags check the summary table of verify.yml (printed before it fails) lists as failed."""
    summary = [result['msg'] for name, result in run.task_results() if name == 'Show the summary'][0].splitlines()
    return sorted(path for path in PATHS.values()
                  if [line for line in summary if path in line and 'mount_flags' in line and 'fail' in line])


def test_verify_playbook_fails_and_reports_each_killed_mount(killed_daemons):
    run = killed_daemons['verify']
    assert run.rc != 0, run.describe()
    assert '2 checks failed' in run.message, run.describe()
    assert failed_mounts_in_summary(run) == sorted(PATHS.values())


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_verify_playbook_failure_names_each_killed_mount(backend, killed_daemons):
    run = killed_daemons['verify']
    assert run.rc != 0, run.describe()
    assert PATHS[backend] in run.message, run.describe()


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_role_run_recovers_a_killed_daemon(backend, killed_daemons):
    run = killed_daemons['reruns'][backend]
    assert run.rc == 0, run.describe()
    assert not killed_daemons['after'][backend].get('failed'), killed_daemons['after'][backend]['msg']


@pytest.fixture(scope='module')
def restarted(bed, killed_daemons):
    """A restart (reboot) of the converged host, once both mounts are up again after killed_daemons."""
    del killed_daemons
    assert fusehelpers.wait_for(lambda: unit_active(bed), 60, interval=1)
    assert not wait_for_mount(bed, 's3fs').get('failed')
    return bed.restart()


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_mounts_return_after_a_restart_of_the_host(backend, bed, restarted):
    assert restarted in ('running', 'degraded')
    result = wait_for_mount(bed, backend)
    assert not result.get('failed'), result['msg']
    assert result['alive'] == 'ok'


def test_endpoint_down_at_boot_host_boots_and_verify_fails_on_both_mounts(bed, endpoint, mount_s3_deb, tmp_path):
    endpoint.down()
    try:
        # wait_booted() fails unless systemd reaches running or degraded: nofail keeps the boot going.
        state = bed.restart()
        verify = verify_playbook(bed, endpoint.url, mount_s3_deb, str(tmp_path))
    finally:
        endpoint.up()
    assert state in ('running', 'degraded')
    assert verify.rc != 0, verify.describe()
    assert '2 checks failed' in verify.message, verify.describe()
    assert failed_mounts_in_summary(verify) == sorted(PATHS.values())
