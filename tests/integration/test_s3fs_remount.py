# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The s3fs role's remounts on the container host (hostbed.py): a pending restart is never lost.

Two s3fs mounts change options in one run and the second cannot come back (its bucket is gone). The first
must run with its new options after that run, the failure must name the second mount with s3fs's own
message, and the run after the bucket returns must remount the second alone. A run after that changes
nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from s3server import S3Server

BUCKETS = ('mk-remount-a', 'mk-remount-b')
PATHS = ('/mnt/remount/a', '/mnt/remount/b')
KEYS = ('AKIAMKREMOUNTS3FS001', 'mkRemount/S3fs+Canary-5e7d1c')
RECORD = '/run/mountkit/s3fs.json'


def role_vars(endpoint, option=None):
    return {'s3fs_mounts': [
        {'bucket': bucket, 'path': path, 'url': endpoint, 'region': 'us-east-1', 'path_style': True,
         'aws_access_key_id': KEYS[0], 'aws_secret_access_key': KEYS[1], 'options': [option] if option else []}
        for bucket, path in zip(BUCKETS, PATHS)],
        # A missing bucket surfaces within seconds.
        's3fs_retries': 1, 's3fs_connect_timeout': 2, 's3fs_verify_timeout': 10}


def daemons(bed):
    """{mount point: (pid, command line)} of the s3fs processes."""
    found = {}
    for line in bed.sh('pgrep -a -x s3fs || true').splitlines():
        pid, _sep, args = line.partition(' ')
        for path in PATHS:
            if (' %s ' % path) in args:
                found[path] = (int(pid), args)
    return found


def changed_tasks(run):
    return [name for name, result in run.task_results() if result.get('changed')]


@pytest.fixture(scope='module')
def runs(host_bed, tmp_path_factory):
    server = S3Server(str(tmp_path_factory.mktemp('s3-remount'))).start()
    host_bed.reset()
    try:
        server.create_buckets(list(BUCKETS))
        found = {'first': host_bed.playbook(roles=['mountkit.aws.s3fs'], extra_vars=role_vars(server.endpoint))}
        found['before'] = daemons(host_bed)
        # Both mounts change; the second one's bucket is gone, so its s3fs gives up after mount returned.
        server.client().delete_bucket(Bucket=BUCKETS[1])
        found['failed'] = host_bed.playbook(roles=['mountkit.aws.s3fs'],
                                            extra_vars=role_vars(server.endpoint, 'max_dirty_data=256'))
        found['after_failure'] = daemons(host_bed)
        found['record_after_failure'] = json.loads(host_bed.read(RECORD))
        server.create_buckets([BUCKETS[1]])
        found['recovered'] = host_bed.playbook(roles=['mountkit.aws.s3fs'],
                                               extra_vars=role_vars(server.endpoint, 'max_dirty_data=256'))
        found['after_recovery'] = daemons(host_bed)
        found['again'] = host_bed.playbook(roles=['mountkit.aws.s3fs'],
                                           extra_vars=role_vars(server.endpoint, 'max_dirty_data=256'))
        found['at_the_end'] = daemons(host_bed)
        yield found
    finally:
        host_bed.reset()
        server.stop()


def test_both_mounts_come_up(runs):
    assert runs['first'].rc == 0, runs['first'].describe()
    assert sorted(runs['before']) == sorted(PATHS)


def test_failure_names_the_second_mount_with_s3fs_message(runs):
    run = runs['failed']
    assert run.rc != 0, run.describe()
    assert 's3fs mount %s (%s)' % (PATHS[1], BUCKETS[1]) in run.message, run.describe()
    assert 'bucket or key not found' in run.message, run.describe()
    assert PATHS[0] not in run.message
    assert KEYS[1] not in run.output


def test_first_mount_runs_with_its_new_options_after_the_failed_run(runs):
    before, after = runs['before'][PATHS[0]], runs['after_failure'][PATHS[0]]
    assert after[0] != before[0], 'the first mount was not remounted'
    assert 'max_dirty_data=256' in after[1]
    # The second is not running; the record keeps what the first now runs with.
    assert PATHS[1] not in runs['after_failure']
    assert set(runs['record_after_failure']) >= {PATHS[0]}


def test_next_run_mounts_the_second_alone(runs):
    run = runs['recovered']
    assert run.rc == 0, run.describe()
    assert runs['after_recovery'][PATHS[0]] == runs['after_failure'][PATHS[0]], 'the first mount was remounted again'
    assert 'max_dirty_data=256' in runs['after_recovery'][PATHS[1]][1]


def test_a_run_after_that_changes_nothing(runs):
    run = runs['again']
    assert run.rc == 0, run.describe()
    assert changed_tasks(run) == []
    assert runs['at_the_end'] == runs['after_recovery']
