# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the checks of mountkit.aws.mount_flags (the module itself runs in the integration tests)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import find_mount, parse_fstab, parse_mountinfo
from ansible_collections.mountkit.aws.plugins.modules import mount_flags

TABLE = parse_mountinfo(
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n'
    '43 27 0:39 / /mnt/s3fs rw,nosuid,nodev,relatime - fuse.s3fs s3fs:bucket rw,user_id=0,group_id=0,allow_other\n'
    '120 27 0:52 / /mnt/efs rw,relatime shared:75 - nfs4 127.0.0.1:/ rw,vers=4.1,rsize=1048576,hard,timeo=600\n'
    '121 27 0:53 / /mnt/slave rw,relatime shared:4 master:75 - nfs4 127.0.0.1:/ rw,vers=4.1\n'
    '122 27 0:54 / /mnt/unbindable rw,relatime unbindable - tmpfs tmpfs rw\n'
)


def params(**overrides):
    base = dict(path='/mnt/efs', mountinfo_path='/proc/self/mountinfo', fstab_path='/etc/fstab', fstype=None,
                source=None, options_present=[], options_absent=[], propagation='any', fstab_options_present=[],
                check_alive=True, timeout=10.0, mounts=None)
    base.update(overrides)
    return base


def problems_for(path, **overrides):
    return mount_flags.mount_problems(find_mount(TABLE, path), params(path=path, **overrides))


def test_all_expectations_met():
    assert problems_for('/mnt/efs', fstype='nfs*', source='127.0.0.1:/', propagation='shared',
                        options_present=['nfsvers=4.1', 'hard', 'rsize'], options_absent=['soft']) == []


def test_each_unmet_expectation_is_one_problem():
    problems = problems_for('/mnt/s3fs/dir', fstype='nfs4', source='mountpoint-s3', propagation='shared',
                            options_present=['allow_other', 'default_permissions'], options_absent=['nodev'])
    assert problems == [
        "fstype: expected 'nfs4', found 'fuse.s3fs' (mount at /mnt/s3fs)",
        "source: expected 'mountpoint-s3', found 's3fs:bucket' (mount at /mnt/s3fs)",
        "options_present: 'default_permissions' is not set (mount options: rw,nosuid,nodev,relatime; "
        "super options: rw,user_id=0,group_id=0,allow_other)",
        "options_absent: 'nodev' is set (found 'nodev')",
        'propagation: expected shared, found private (optional fields: none; mount at /mnt/s3fs)',
    ]


def test_source_glob():
    assert problems_for('/mnt/s3fs', source='s3fs:*') == []


@pytest.mark.parametrize('path, wanted, ok', [
    ('/mnt/efs', 'shared', True),
    ('/mnt/efs', 'slave', False),
    ('/mnt/slave', 'slave', True),
    ('/mnt/slave', 'shared', True),     # shared and slave at once
    ('/mnt/slave', 'private', False),
    ('/mnt/unbindable', 'unbindable', True),
    ('/mnt/unbindable', 'private', False),
    ('/mnt/s3fs', 'private', True),
    ('/mnt/s3fs', 'any', True),
])
def test_propagation(path, wanted, ok):
    assert (problems_for(path, propagation=wanted) == []) is ok


def test_versions_in_messages():
    assert problems_for('/mnt/efs', options_absent=['nfsvers']) == ["options_absent: 'nfsvers' is set (found 'vers=4.1')"]


def test_no_mount():
    assert mount_flags.mount_problems(None, params(path='/x')) == ['no mount covers /x in /proc/self/mountinfo']


def test_fstab_problems():
    entries = parse_fstab('srv:/ /mnt/efs nfs4 nfsvers=4.1,hard 0 0\n')
    assert mount_flags.fstab_problems(entries[0], ['_netdev', 'hard'], '/etc/fstab', '/mnt/efs', True) == [
        "fstab_options_present: '_netdev' is not in the options of /etc/fstab line 1 (nfsvers=4.1,hard)"]
    assert mount_flags.fstab_problems(None, ['_netdev'], '/etc/fstab', '/mnt/efs', True) == [
        'fstab_options_present: /etc/fstab has no entry for /mnt/efs']
    assert 'does not exist' in mount_flags.fstab_problems(None, ['_netdev'], '/nope', '/mnt/efs', False)[0]
    assert mount_flags.fstab_problems(None, [], '/etc/fstab', '/mnt/efs', True) == []


def test_alive_problem():
    assert mount_flags.alive_problem('ok', None, '/m', 10) is None
    assert 'is dead (ENOTCONN)' in mount_flags.alive_problem('dead', 'ENOTCONN', '/m', 10)
    assert 'within 2.5s (hung mount)' in mount_flags.alive_problem('hung', 'ETIMEDOUT', '/m', 2.5)
    assert 'failed with EIO' in mount_flags.alive_problem('error', 'EIO', '/m', 10)


def test_alive_check_path_follows_the_other_process_root():
    assert mount_flags.alive_check_path('/mnt/x', '/proc/self/mountinfo') == '/mnt/x'
    assert mount_flags.alive_check_path('/mnt/x', '/proc/1234/mountinfo') == '/proc/1234/root/mnt/x'
    assert mount_flags.alive_check_path('/mnt/x', '/proc/%d/mountinfo' % os.getpid()) == '/mnt/x'
    assert mount_flags.alive_check_path('/mnt/x', '/tmp/recorded-mountinfo') == '/mnt/x'


def test_validate_names_the_parameter():
    errors = mount_flags.validate(params(path='mnt/x', timeout=0, mountinfo_path='/proc/0/nope'))
    assert errors == ["path must be absolute, got 'mnt/x'", 'timeout must be greater than 0, got 0',
                      'mountinfo_path /proc/0/nope does not exist']


def test_validate_names_the_mount_item():
    errors = mount_flags.validate(params(path=None, mounts=[{'path': '/mnt/a'}, {'path': 'mnt/b'}]))
    assert errors == ["mounts[1].path must be absolute, got 'mnt/b'"]
    assert mount_flags.validate(params(path=None, mounts=[])) == ['mounts must list at least one mount']


def test_each_mount_item_takes_the_module_expectations_it_leaves_out():
    item_defaults = dict((name, None) for name in mount_flags.EXPECTATION_OPTIONS)
    checks = mount_flags.mount_checks(params(path=None, fstype='fuse.s3fs', options_absent=['ro'], mounts=[
        dict(item_defaults, path='/mnt/a'),
        dict(item_defaults, path='/mnt/b', fstype='nfs4', options_absent=[], check_alive=False),
    ]))
    assert [(c['path'], c['fstype'], c['options_absent'], c['check_alive']) for c in checks] == [
        ('/mnt/a', 'fuse.s3fs', ['ro'], True),
        ('/mnt/b', 'nfs4', [], False),
    ]


def test_one_mount_is_checked_without_mounts():
    assert [c['path'] for c in mount_flags.mount_checks(params(path='/mnt/efs'))] == ['/mnt/efs']


def test_check_mount_on_a_recorded_table():
    fstab = parse_fstab('srv:/ /mnt/efs nfs4 nfsvers=4.1,hard,_netdev 0 0\n')
    result = mount_flags.check_mount(params(path='/mnt/efs/', fstype='nfs4', fstab_options_present=['_netdev'],
                                            check_alive=False), TABLE, [], fstab, True)
    assert (result['path'], result['is_mount_point'], result['alive'], result['problems']) == (
        '/mnt/efs', True, 'not_checked', [])
    assert result['fstab']['line_number'] == 1
    missing = mount_flags.check_mount(params(path='/mnt/gone', fstab_options_present=['_netdev'], check_alive=False),
                                      TABLE, [], fstab, True)
    assert missing['mount']['mount_point'] == '/'
    assert missing['problems'] == ['fstab_options_present: /etc/fstab has no entry for /']


def test_the_visible_mount_is_judged_not_a_propagated_copy_listed_later():
    table = parse_mountinfo(
        '47 46 254:0 / / rw,relatime shared:2 - ext4 /dev/vda rw\n'
        '69 47 0:40 / /srv/t rw,relatime shared:3 - tmpfs base rw\n'
        '70 69 0:40 /shared-dir /srv/t/shared-dir rw,relatime shared:3 - tmpfs base rw\n'
        '71 70 0:41 / /srv/t/shared-dir/s3 rw,nosuid,nodev,relatime master:4 - fuse.s3fs s3fs:b rw,user_id=0\n'
        '72 69 0:41 / /srv/t/shared-dir/s3 rw,nosuid,nodev,relatime shared:4 - fuse.s3fs s3fs:b rw,user_id=0\n')
    result = mount_flags.check_mount(params(path='/srv/t/shared-dir/s3', propagation='shared', check_alive=False),
                                     table, [], [], False)
    assert result['mount']['mount_id'] == 71
    assert result['problems'] == ['propagation: expected shared, found slave (optional fields: master:4; '
                                  'mount at /srv/t/shared-dir/s3)']


def test_a_line_not_parsed_on_the_path_is_a_problem():
    errors = []
    table = parse_mountinfo('27 1 254:0 / / rw - ext4 /dev/vda rw\n'
                            '43 27 0:39 / /mnt/s3fs rw,nosuid - fuse.s3fs\n'
                            '44 27 0:40 / /mnt/other rw shared:x - tmpfs t rw\n', errors=errors)
    result = mount_flags.check_mount(params(path='/mnt/s3fs/dir', check_alive=False), table, errors, [], False)
    assert result['mount']['mount_point'] == '/'
    assert result['problems'] == [
        'mount table: /proc/self/mountinfo line 2 (mount point /mnt/s3fs) cannot be parsed, so /mnt/s3fs/dir may be '
        'on a mount not checked']
    elsewhere = mount_flags.check_mount(params(path='/mnt/efs', check_alive=False), table, errors, [], False)
    assert elsewhere['problems'] == []
    assert mount_flags.parse_problems(errors) == [
        {'line_number': 2, 'reason': '8 space-separated fields, at least 9 expected', 'mount_point': '/mnt/s3fs'},
        {'line_number': 3, 'reason': "shared peer group is not a number: 'x'", 'mount_point': '/mnt/other'},
    ]
