# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/verify.yml on real s3fs and mount-s3 mounts of the container host (hostbed.py).

The roles converge mounts with per-mount overrides (owner and group, an extra option, read-only); verify.yml
takes its expectations from the same planners and must pass them. A default run leaves the bucket exactly as
it was (keys, sizes, ETags through the S3 API); a run with a named probe location writes only below it. The
JSON and JUnit reports are read back. Bad values of the audit's own settings stop it before any check.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import xml.etree.ElementTree as ET

import pytest

import fusehelpers
import hostbed
from realparts import require_real
from s3server import S3Server

pytestmark = [pytest.mark.integration]

BUCKET = 'mk-audit'
PROBE_DIR = '.mountkit-audit'
# mount point -> (backend, key prefix)
MOUNTS = {
    '/mnt/audit/s3fs': ('s3fs', 's3fs/'),
    '/mnt/audit/mountpoint': ('mountpoint_s3', 'mountpoint/'),
    '/mnt/audit/mountpoint-ro': ('mountpoint_s3', 'mountpoint/'),
}
SEED = {
    's3fs/seed.bin': os.urandom(300 * 1024),
    's3fs/notes.txt': b'handed over\n',
    's3fs/deep/inner.txt': b'below the top\n',
    'mountpoint/seed.bin': os.urandom(200 * 1024),
    'mountpoint/deep/inner.txt': b'below the top\n',
    'outside/untouched.txt': b'not under any mount\n',
}
VERIFY = os.path.join(hostbed.ROOT, 'playbooks', 'verify.yml')


def role_vars(url, deb):
    """Both roles' mounts, each with overrides of its own."""
    keys = {'aws_access_key_id': 'AKIAMKAUDIT000000001', 'aws_secret_access_key': 'mkAudit/Canary+Secret-1'}
    s3fs = dict(keys, bucket=BUCKET, prefix='s3fs/', path='/mnt/audit/s3fs', url=url, region='us-east-1',
                path_style=True, owner='1000', group='1000', options=['stat_cache_expire=30'])
    mountpoint = dict(keys, bucket=BUCKET, prefix='mountpoint/', region='us-east-1', endpoint_url=url,
                      force_path_style=True, environment={'AWS_EC2_METADATA_DISABLED': 'true'})
    return {
        's3fs_mounts': [s3fs], 's3fs_retries': 1, 's3fs_connect_timeout': 2,
        'mountpoint_s3_package_src': deb, 'mountpoint_s3_verify_signature': False,
        'mountpoint_s3_mounts': [dict(mountpoint, path='/mnt/audit/mountpoint', uid=1000, gid=1000),
                                 dict(mountpoint, path='/mnt/audit/mountpoint-ro', read_only=True)],
    }


def listing(server):
    """(key, size, ETag) of every object in the bucket, through the S3 API."""
    client = server.client()
    found = []
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=BUCKET):
        found.extend((item['Key'], item['Size'], item['ETag']) for item in page.get('Contents', []))
    return sorted(found)


def outside_probe_location(objects):
    probes = tuple(prefix + PROBE_DIR + '/' for _backend, prefix in MOUNTS.values())
    return [item for item in objects if not item[0].startswith(probes)]


def rows(report):
    return dict(((row['path'], row['check']), row) for row in report['results'])


def read_reports(directory):
    with open(os.path.join(directory, 'mountkit-verify.json')) as handle:
        report = json.load(handle)
    junit = ET.parse(os.path.join(directory, 'mountkit-verify.xml')).getroot().find('testsuite')
    return report, junit


@pytest.fixture(scope='module')
def world(host_bed, mount_s3_deb, tmp_path_factory):
    """A seeded bucket, both roles converged, and the audit run by default and with a probe location."""
    if fusehelpers.missing_host_requirements():
        require_real('FUSE on this machine', fusehelpers.missing_host_requirements())
    server = S3Server(str(tmp_path_factory.mktemp('s3-audit'))).start()
    host_bed.reset()
    try:
        server.create_buckets([BUCKET])
        client = server.client()
        for key, body in SEED.items():
            client.put_object(Bucket=BUCKET, Key=key, Body=body)
        variables = role_vars(server.endpoint, mount_s3_deb)
        converged = host_bed.playbooks([{'roles': ['mountkit.aws.%s' % backend], 'extra_vars': variables}
                                        for backend in ('s3fs', 'mountpoint_s3')])
        for run in converged:
            assert run.rc == 0, run.describe()
        runs = {}
        before = listing(server)
        for name, extra in (('default', {}),
                            ('opt-in', {'mountkit_verify_probe_dir': PROBE_DIR, 'mountkit_verify_handoff': True})):
            reports = str(tmp_path_factory.mktemp('reports-' + name))
            run = host_bed.playbook(VERIFY, extra_vars=dict(variables, mountkit_report_dir=reports,
                                                            mountkit_verify_timeout=20, **extra))
            runs[name] = {'run': run, 'reports': read_reports(reports) if run.rc == 0 else None,
                          'after': listing(server)}
        yield {'before': before, 'runs': runs}
    finally:
        host_bed.reset()
        server.stop()


def test_default_audit_passes_and_leaves_the_bucket_as_it_was(world):
    default = world['runs']['default']
    assert default['run'].rc == 0, default['run'].describe()
    assert default['after'] == world['before']


def test_opt_in_audit_writes_only_below_the_probe_location(world):
    opt_in = world['runs']['opt-in']
    assert opt_in['run'].rc == 0, opt_in['run'].describe()
    assert outside_probe_location(opt_in['after']) == world['before']


@pytest.mark.parametrize('path', sorted(MOUNTS))
def test_expectations_of_overridden_mounts_pass(world, path):
    report, _junit = world['runs']['default']['reports']
    row = rows(report)[(path, 'mount_flags')]
    assert row['status'] == 'pass', row
    assert row['backend'] == MOUNTS[path][0]


def test_default_audit_reads_existing_files_and_skips_writes_with_a_reason(world):
    report, _junit = world['runs']['default']['reports']
    found = rows(report)
    for path in MOUNTS:
        assert found[(path, 'read_existing')]['status'] == 'pass', found[(path, 'read_existing')]
        write = found[(path, 'io_semantics')]
        assert write['status'] == 'skipped'
        assert 'none named (mountkit_verify_probe_dir or mountkit_verify_probe_dirs)' in write['detail']
        handoff = found[(path, 's3_handoff')]
        assert handoff['status'] == 'skipped' and handoff['detail'] == 'opt-in (mountkit_verify_handoff: true)'
    assert report['counts'] == {'pass': 2 * len(MOUNTS), 'fail': 0, 'skipped': 2 * len(MOUNTS)}


def test_opt_in_audit_probes_each_mount_in_its_probe_location(world):
    report, _junit = world['runs']['opt-in']['reports']
    found = rows(report)
    for path in MOUNTS:
        write = found[(path, 'io_semantics')]
        assert write['status'] == 'pass', write
        handoff = found[(path, 's3_handoff')]
        if not path.endswith('-ro'):
            assert '%s/%s/.mountkit-probe/' % (path, PROBE_DIR) in write['detail'], write
            # Written through the mount, read through the S3 API, and the other way round.
            assert handoff['status'] == 'pass', handoff
            assert handoff['details']['to_s3']['match'] is True and handoff['details']['from_s3']['match'] is True
            assert handoff['details']['to_s3']['key'].startswith(MOUNTS[path][1] + PROBE_DIR + '/')
        else:
            assert handoff['status'] == 'skipped' and handoff['detail'] == 'read-only mount', handoff
    assert report['counts']['fail'] == 0 and report['counts']['skipped'] == 1


@pytest.mark.parametrize('name', ['default', 'opt-in'])
def test_junit_report_agrees_with_the_json_report(world, name):
    report, junit = world['runs'][name]['reports']
    cases = junit.findall('testcase')
    assert int(junit.get('tests')) == len(cases) == len(report['results'])
    assert int(junit.get('failures')) == report['counts']['fail'] == 0
    assert int(junit.get('skipped')) == report['counts']['skipped']
    skipped = sorted(case.get('name') for case in cases if case.find('skipped') is not None)
    assert skipped == sorted('%s %s' % (row['path'], row['check']) for row in report['results']
                             if row['status'] == 'skipped')


def test_summary_prints_as_one_aligned_table(world):
    run = world['runs']['default']['run']
    summary = [result['msg'] for name, result in run.task_results() if name == 'Show the summary'][0]
    assert isinstance(summary, str)
    lines = summary.splitlines()
    assert lines[0].split() == ['host', 'backend', 'path', 'check', 'status', 'detail']
    table = lines[:1 + 4 * len(MOUNTS)]
    # Every status starts at the same column.
    assert len(set(line.index(line.split()[4]) for line in table)) == 1
    assert any(line.startswith('%d pass, 0 fail, %d skipped' % (2 * len(MOUNTS), 2 * len(MOUNTS))) for line in lines)


BAD_SETTINGS = [
    ({'mountkit_verify_probe_dir': '/tmp/probes'}, "mountkit_verify_probe_dir must be a directory relative to each "
                                                   "mount, without '.', '..', blanks or quotes, such as "
                                                   ".mountkit-audit, got '/tmp/probes'"),
    ({'mountkit_verify_probe_dir': 'probes/../..'}, "mountkit_verify_probe_dir must be a directory relative"),
    ({'mountkit_verify_probe_dirs': {'/mnt/elsewhere': 'p'}},
     "mountkit_verify_probe_dirs names '/mnt/elsewhere', which is not a mounted managed mount of"),
    ({'mountkit_verify_probe_dirs': {'/mnt/audit/s3fs': '../up'}},
     "mountkit_verify_probe_dirs['/mnt/audit/s3fs'] must be a directory relative to the mount"),
    ({'mountkit_verify_probe_dirs': ['p']}, 'mountkit_verify_probe_dirs must map mount points to directories'),
    ({'mountkit_verify_read_count': -1}, "mountkit_verify_read_count must be a whole number 0 or more, got '-1'"),
    ({'mountkit_verify_timeout': 0}, "mountkit_verify_timeout must be a positive number of seconds, got '0'"),
    ({'mountkit_verify_io': 'maybe'}, "mountkit_verify_io must be true or false, got 'maybe'"),
    ({'mountkit_verify_handoff': 'maybe'}, "mountkit_verify_handoff must be true or false, got 'maybe'"),
    ({'mountkit_verify_handoff': True}, "mountkit_verify_handoff writes only in a probe location: set "
                                        "mountkit_verify_probe_dir or mountkit_verify_probe_dirs too"),
]


@pytest.fixture(scope='module')
def bad_runs(world, host_bed, mount_s3_deb, tmp_path_factory):
    """verify.yml with each bad setting, on the converged host (world keeps it converged until its end)."""
    del world
    variables = role_vars('http://127.0.0.1:9', mount_s3_deb)
    runs = []
    for index, (bad, _message) in enumerate(BAD_SETTINGS):
        reports = str(tmp_path_factory.mktemp('reports-bad-%d' % index))
        runs.append({'playbook': VERIFY, 'extra_vars': dict(variables, mountkit_report_dir=reports, **bad)})
    return host_bed.playbooks(runs)


@pytest.mark.parametrize('index', range(len(BAD_SETTINGS)), ids=[message.split(' ')[0] for _s, message in BAD_SETTINGS])
def test_bad_audit_settings_stop_it_before_any_check(bad_runs, index):
    run = bad_runs[index]
    assert run.rc != 0, run.describe()
    assert BAD_SETTINGS[index][1] in run.message, run.describe()
    ran = [name for name, _result in run.task_results()]
    assert 'Check how each mount is mounted, and that it answers' not in ran, ran
