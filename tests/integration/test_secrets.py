# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access keys never show, and credential files are root's alone.

The s3fs and mountpoint_s3 roles converge the container host (hostbed.py) at -vvv with the default output, as
an operator sees it, with distinctive canary keys (the local S3 server takes any key). Neither the secret nor
the key id may appear anywhere in that output, nor in fstab, units, process lists or the journal; the files
that do hold them are 0600 root in 0700 root directories.

Failure paths (endpoint down, killed daemons) at -vvv are covered by test_faults.py, the bad-input message of
a secret with ':' by test_bad_input.py, and the mount-s3 package's signature check, which fails closed on a
key that is not listed, by molecule/mountpoint_s3 with a locally generated key.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from s3server import S3Server

BUCKET = 'mk-secrets'
S3FS_PATH = '/mnt/secrets/s3fs'
MOUNTPOINT_PATH = '/mnt/secrets/mountpoint'
PASSWD_FILE = '/etc/s3fs/passwd-mnt-secrets-s3fs'
ENV_FILE = '/etc/mountkit/mountpoint-s3/mount-s3-mnt-secrets-mountpoint.env'
UNIT = 'mount-s3-mnt-secrets-mountpoint.service'

S3FS_KEY = ('AKIAMKSECRETSS3FS001', 'mkSecrets/S3fs+Canary-0d9b5f27')
MOUNTPOINT_KEY = ('AKIAMKSECRETSMP00002', 'mkSecrets/Mountpoint+Canary-71c3e8a4')
SESSION_TOKEN = 'mkSecrets/SessionToken+Canary-3a6f0e19'
SECRETS = [S3FS_KEY[1], MOUNTPOINT_KEY[1], SESSION_TOKEN]
KEY_IDS = [S3FS_KEY[0], MOUNTPOINT_KEY[0]]


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    server = S3Server(str(tmp_path_factory.mktemp('s3-secrets'))).start()
    server.create_buckets([BUCKET])
    yield server
    server.stop()


@pytest.fixture(scope='module')
def converged(host_bed, server, mount_s3_deb):
    """Both roles at once at -vvv, default output; the host is reset before and after."""
    host_bed.reset()
    s3fs_vars = {'s3fs_mounts': [{
        'bucket': BUCKET, 'prefix': 's3fs/', 'path': S3FS_PATH, 'url': server.endpoint, 'region': 'us-east-1',
        'path_style': True, 'aws_access_key_id': S3FS_KEY[0], 'aws_secret_access_key': S3FS_KEY[1]}]}
    mountpoint_vars = {
        'mountpoint_s3_package_src': mount_s3_deb, 'mountpoint_s3_verify_signature': False,
        'mountpoint_s3_mounts': [{
            'bucket': BUCKET, 'prefix': 'mountpoint/', 'path': MOUNTPOINT_PATH, 'region': 'us-east-1',
            'endpoint_url': server.endpoint, 'force_path_style': True, 'aws_access_key_id': MOUNTPOINT_KEY[0],
            'aws_secret_access_key': MOUNTPOINT_KEY[1], 'aws_session_token': SESSION_TOKEN,
            'environment': {'AWS_EC2_METADATA_DISABLED': 'true'}}]}
    try:
        runs = host_bed.playbooks([
            {'roles': ['mountkit.aws.s3fs'], 'extra_vars': s3fs_vars, 'verbosity': 3, 'callback': 'default'},
            {'roles': ['mountkit.aws.mountpoint_s3'], 'extra_vars': mountpoint_vars, 'verbosity': 3,
             'callback': 'default'},
        ])
        yield dict(zip(('s3fs', 'mountpoint_s3'), runs))
    finally:
        host_bed.reset()


@pytest.mark.parametrize('backend', ['s3fs', 'mountpoint_s3'])
def test_converge_at_vvv_never_shows_the_keys(backend, converged):
    run = converged[backend]
    # A converge that failed early would prove nothing.
    assert run.rc == 0, run.describe()
    assert 'ESTABLISH DOCKER CONNECTION' in run.output  # it really ran at -vvv
    for value in SECRETS + KEY_IDS:
        assert run.output.count(value) == 0, 'a key of the canaries is in the output of %s' % backend


def stat(bed, path):
    """(mode, owner, group) of path on the host."""
    mode, owner, group = bed.sh('stat -c "%%a %%U %%G" %s' % path).split()
    return mode, owner, group


@pytest.mark.parametrize('path, mode, holds', [
    pytest.param(PASSWD_FILE, '600', '%s:%s' % S3FS_KEY, id='s3fs-passwd-file'),
    pytest.param('/etc/s3fs', '700', None, id='s3fs-passwd-dir'),
    pytest.param(ENV_FILE, '600', MOUNTPOINT_KEY[1], id='mount-s3-env-file'),
    pytest.param('/etc/mountkit/mountpoint-s3', '700', None, id='mount-s3-env-dir'),
])
def test_credential_files_are_root_only(path, mode, holds, converged, host_bed):
    assert converged['s3fs'].rc == 0 and converged['mountpoint_s3'].rc == 0
    assert stat(host_bed, path) == (mode, 'root', 'root')
    if holds:
        # The keys are there (and so this file is what the mount uses).
        assert holds in host_bed.read(path)


@pytest.mark.parametrize('place, command', [
    pytest.param('fstab', 'cat /etc/fstab', id='fstab'),
    pytest.param('units', 'cat /etc/systemd/system/%s' % UNIT, id='systemd-unit'),
    pytest.param('processes', 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "', id='process-command-lines'),
    pytest.param('journal', 'journalctl --no-pager --output=cat', id='journal'),
    pytest.param('records', 'cat /run/mountkit/s3fs.json', id='s3fs-mount-record'),
])
def test_keys_stay_out_of_host_files_and_processes(place, command, converged, host_bed):
    assert converged['s3fs'].rc == 0 and converged['mountpoint_s3'].rc == 0
    text = host_bed.sh(command)
    assert text.strip(), 'nothing read from the %s' % place
    if place == 'processes':
        # Both daemons run, so their command lines were read.
        assert S3FS_PATH in text and MOUNTPOINT_PATH in text
    for value in SECRETS:
        assert value not in text, 'a secret is in the %s' % place
