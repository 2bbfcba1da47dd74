# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's filters (playbooks/verify.yml): targets from the plans, its settings' problems, its report rows."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.mountkit.aws.plugins.filter.verify_rows import verify_rows
from ansible_collections.mountkit.aws.plugins.filter.verify_setting_problems import verify_setting_problems
from ansible_collections.mountkit.aws.plugins.filter.verify_targets import verify_targets

PLANS = {'results': [
    {'item': 's3fs', 'problems': [], 'mounts': [
        {'path': '/a', 'state': 'mounted', 'expect': {'path': '/a'}, 'probe': {'profile': 's3fs', 's3': {'bucket': 'b'}}},
        {'path': '/gone', 'state': 'absent', 'expect': {'path': '/gone'}},
        {'path': '/ro', 'state': 'mounted', 'expect': {'path': '/ro'}, 'probe': {'s3': {'bucket': 'b'}, 'read_only': True}}]},
    {'item': 'mountpoint_s3', 'problems': ['mountpoint_s3_mounts[0].bucket is required'], 'mounts': []},
    {'item': 'efs', 'failed': True, 'msg': 'planner crashed'},
]}
TARGETS = verify_targets(PLANS['results'])
DEFAULTS = {'probe_dir': '', 'probe_dirs': {}, 'read_count': 3, 'timeout': 10, 'io': True, 'handoff': False}


def test_targets_are_the_mounted_mounts_with_expectations_in_plan_order():
    assert TARGETS == [
        {'backend': 's3fs', 'path': '/a', 'expect': {'path': '/a'}, 'probe': {'profile': 's3fs', 's3': {'bucket': 'b'}}},
        {'backend': 's3fs', 'path': '/ro', 'expect': {'path': '/ro'}, 'probe': {'s3': {'bucket': 'b'}, 'read_only': True}}]


def test_targets_of_a_mount_without_expectations_or_probe():
    plans = [{'item': 'efs', 'mounts': [{'path': '/x', 'state': 'mounted'},
                                        {'path': '/y', 'state': 'mounted', 'expect': {}}]}]
    assert verify_targets(plans) == [{'backend': 'efs', 'path': '/y', 'expect': {}, 'probe': {}}]


def test_default_settings_have_no_problem():
    assert verify_setting_problems(DEFAULTS, TARGETS, 'h1') == []


@pytest.mark.parametrize('bad, message', [
    ({'probe_dir': '/tmp/p'}, "mountkit_verify_probe_dir must be a directory relative to each mount, without '.', "
                              "'..', blanks or quotes, such as .mountkit-audit, got '/tmp/p'"),
    ({'probe_dir': 'p/../..'}, "mountkit_verify_probe_dir must be a directory relative"),
    ({'probe_dir': 'a b'}, "got 'a b'"),
    ({'probe_dir': 5}, "mountkit_verify_probe_dir must be a directory relative to each mount"),
    ({'probe_dirs': {'/elsewhere': 'p'}}, "mountkit_verify_probe_dirs names '/elsewhere', which is not a mounted "
                                          "managed mount of h1"),
    ({'probe_dirs': {'/a': '../up'}}, "mountkit_verify_probe_dirs['/a'] must be a directory relative to the mount, "
                                      "without '.', '..', blanks or quotes, got '../up'"),
    ({'probe_dirs': {'/a': 7}}, "mountkit_verify_probe_dirs['/a'] must be a directory relative to the mount"),
    ({'probe_dirs': ['p']}, "mountkit_verify_probe_dirs must map mount points to directories relative to them, "
                            "got '['p']'"),
    ({'read_count': -1}, "mountkit_verify_read_count must be a whole number 0 or more, got '-1'"),
    ({'read_count': 2.0}, "mountkit_verify_read_count must be a whole number 0 or more, got '2.0'"),
    ({'timeout': 0}, "mountkit_verify_timeout must be a positive number of seconds, got '0'"),
    ({'timeout': '1e3'}, "mountkit_verify_timeout must be a positive number of seconds, got '1e3'"),
    ({'io': 'maybe'}, "mountkit_verify_io must be true or false, got 'maybe'"),
    ({'handoff': 2}, "mountkit_verify_handoff must be true or false, got '2'"),
    ({'handoff': True}, "mountkit_verify_handoff writes only in a probe location: set mountkit_verify_probe_dir or "
                        "mountkit_verify_probe_dirs too"),
])
def test_bad_setting(bad, message):
    problems = verify_setting_problems(dict(DEFAULTS, **bad), TARGETS, 'h1')
    assert len(problems) == 1 and message in problems[0], problems


@pytest.mark.parametrize('good', [{'probe_dir': '.mountkit-audit'}, {'probe_dirs': {'/a': 'audit/probes'}},
                                  {'read_count': '0'}, {'timeout': '2.5'}, {'io': 'off'}, {'io': False},
                                  {'handoff': 'yes', 'probe_dir': 'p'}, {'handoff': 1, 'probe_dirs': {'/ro': 'p'}}])
def test_good_setting(good):
    assert verify_setting_problems(dict(DEFAULTS, **good), TARGETS, 'h1') == []


def test_every_bad_setting_is_named_in_order():
    bad = dict(DEFAULTS, probe_dir='/x', read_count='z', io='q')
    assert [problem.split(' ')[0] for problem in verify_setting_problems(bad, TARGETS, 'h1')] == [
        'mountkit_verify_probe_dir', 'mountkit_verify_read_count', 'mountkit_verify_io']


def by_check(rows):
    return dict(((row['path'], row['check']), row) for row in rows)


def test_a_default_audit_reports_each_check_and_why_it_did_not_run():
    flags = {'checks': [{'path': '/a', 'alive': 'ok', 'mount': {'fstype': 'fuse.s3fs'}, 'problems': []},
                        {'path': '/ro', 'alive': 'hung', 'problems': ['no answer within 10 s']}]}
    read = {'results': [{'item': [TARGETS[0], {'files': [{'path': '/a/f1'}, {'path': '/a/f2'}]}],
                         'bytes_verified': 2048, 'outcomes': {'read_existing': 'ok'}},
                        {'skipped': True}]}
    skipped_loop = {'results': [{'skipped': True}, {'skipped': True}]}
    rows = verify_rows(TARGETS, 'h1', PLANS, flags, read, skipped_loop, skipped_loop, DEFAULTS)
    assert [(row['backend'], row['path'], row['check'], row['status']) for row in rows] == [
        ('mountpoint_s3', '*', 'plan', 'fail'), ('efs', '*', 'plan', 'fail'),
        ('s3fs', '/a', 'mount_flags', 'pass'), ('s3fs', '/a', 'read_existing', 'pass'),
        ('s3fs', '/a', 'io_semantics', 'skipped'), ('s3fs', '/a', 's3_handoff', 'skipped'),
        ('s3fs', '/ro', 'mount_flags', 'fail'), ('s3fs', '/ro', 'read_existing', 'skipped'),
        ('s3fs', '/ro', 'io_semantics', 'skipped'), ('s3fs', '/ro', 's3_handoff', 'skipped')]
    assert rows[0]['detail'] == 'mountpoint_s3_mounts[0].bucket is required'
    assert rows[1]['detail'] == 'planner crashed'
    rows = by_check(rows)
    assert rows['/a', 'mount_flags']['detail'] == 'alive ok'
    assert rows['/a', 'mount_flags']['details'] == {'mount': {'fstype': 'fuse.s3fs'}, 'alive': 'ok',
                                                    'expected': {'path': '/a'}}
    assert rows['/a', 'read_existing']['detail'] == '2048 bytes read from 2 existing file(s), twice alike'
    assert rows['/a', 'io_semantics']['detail'].startswith('writes only in a probe location: none named')
    assert rows['/a', 's3_handoff']['detail'] == 'opt-in (mountkit_verify_handoff: true)'
    assert rows['/ro', 'mount_flags']['detail'] == 'no answer within 10 s'
    assert rows['/ro', 'read_existing']['detail'] == 'mount not alive'
    assert rows['/ro', 'io_semantics']['details'] is None
    # Skipped rows carry their keys in the report's order.
    assert list(rows['/ro', 'io_semantics']) == ['host', 'backend', 'path', 'check', 'status', 'details', 'detail']
    assert list(rows['/a', 'read_existing']) == ['host', 'backend', 'path', 'check', 'status', 'detail', 'details']


def test_an_opt_in_audit_reports_probes_handoffs_and_failures():
    flags = {'checks': [{'path': '/a', 'alive': 'ok', 'problems': []}, {'path': '/ro', 'alive': 'ok', 'problems': []}]}
    probe = {'results': [{'bytes_verified': 4096, 'scratch_dir': '/a/p/.mountkit-probe/x', 'outcomes': {},
                          'leftovers': ['/a/p/.mountkit-probe/x/f']},
                         {'msg': 'timed out'}]}
    handoffs = {'results': [{'to_s3': {'bytes': 300}, 'from_s3': {'seconds_to_appear': 0.53}, 'leftovers': []},
                            {'skipped': True}]}
    settings = dict(DEFAULTS, handoff=True, probe_dir='p', read_count=0)
    rows = by_check(verify_rows(TARGETS, 'h1', {'results': []}, flags, {'results': []}, probe, handoffs, settings))
    assert rows['/a', 'read_existing']['detail'] == 'disabled (mountkit_verify_read_count: 0)'
    assert rows['/a', 'io_semantics']['detail'] == '4096 bytes verified in /a/p/.mountkit-probe/x, 1 path(s) left there'
    assert rows['/ro', 'io_semantics']['status'] == 'fail' and rows['/ro', 'io_semantics']['detail'] == 'timed out'
    assert rows['/a', 's3_handoff']['detail'] == 'mount to S3 API: 300 bytes intact; S3 API to mount: 0.53 s to appear'
    assert rows['/ro', 's3_handoff']['detail'] == 'read-only mount'


def test_a_handoff_that_failed_or_never_ran_fails():
    flags = {'checks': [{'alive': 'ok', 'problems': []}, {'alive': 'ok', 'problems': []}]}
    handoffs = {'results': [{'to_s3': {'bytes': 1}, 'failed': True, 'msg': 'AccessDenied'}, {}]}
    settings = dict(DEFAULTS, handoff=True, probe_dir='p')
    rows = by_check(verify_rows(TARGETS, 'h1', {}, flags, {}, {}, handoffs, settings))
    assert (rows['/a', 's3_handoff']['status'], rows['/a', 's3_handoff']['detail']) == ('fail', 'AccessDenied')
    assert (rows['/ro', 's3_handoff']['status'], rows['/ro', 's3_handoff']['detail']) == ('fail', 's3_handoff did not run')


def test_mount_flags_that_stopped_early_fails_every_mount_with_its_message():
    rows = verify_rows(TARGETS, 'h1', {}, {'failed': True, 'msg': 'cannot read /proc/self/mountinfo'}, {}, {}, {},
                       dict(DEFAULTS, io='no'))
    flags = [row for row in rows if row['check'] == 'mount_flags']
    assert [(row['status'], row['detail']) for row in flags] == [('fail', 'cannot read /proc/self/mountinfo')] * 2
    assert all(row['detail'] == 'disabled (mountkit_verify_io: false)' for row in rows if row['status'] == 'skipped')
