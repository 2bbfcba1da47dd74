# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The efs planner as the role and verify.yml use it: settings, helper choice, plan shape, and expectations
that accept what the kernel shows for valid per-mount overrides (recorded mount tables)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.mountkit.aws.plugins.module_utils import mount_model, plan_efs
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import parse_mountinfo
from ansible_collections.mountkit.aws.plugins.modules import mount_flags

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
with open(os.path.join(ROOT, 'roles', 'efs', 'defaults', 'main.yml')) as handle:
    DEFAULTS = yaml.safe_load(handle)
FS = 'fs-0123456789abcdef0'
NFS_OPTS = 'vers=4.1,rsize=1048576,wsize=1048576,namlen=255,%s,noresvport,proto=tcp,timeo=%s,retrans=2,sec=sys'


def plan(mounts, facts=None, **settings):
    settings.setdefault('efs_mounts', mounts)
    return plan_efs.plan(dict(DEFAULTS, **settings), facts or {})


def line(path, source, super_options, mount_options='rw,relatime'):
    """One mountinfo line of an NFS mount, as the kernel writes it."""
    return '40 25 0:45 / %s %s shared:50 - nfs4 %s rw,%s\n' % (path, mount_options, source, super_options)


def live_problems(entry, table):
    mount = parse_mountinfo(table)[0]
    params = dict(mountinfo_path='/proc/self/mountinfo', **dict((key, entry['expect'].get(key)) for key in (
        'path', 'fstype', 'source', 'options_present', 'options_absent', 'propagation')))
    return mount_flags.mount_problems(mount, params)


# --- per-mount overrides pass the role's check and the audit alike (both read expect) -----------------------

@pytest.mark.parametrize('options, settings, table', [
    ([], {}, line('/mnt/efs', '10.0.1.25:/', NFS_OPTS % ('hard', 600))),
    (['timeo=900'], {}, line('/mnt/efs', '10.0.1.25:/', NFS_OPTS % ('hard', 900))),
    (['soft', 'timeo=150'], {'efs_allow_soft': True}, line('/mnt/efs', '10.0.1.25:/', NFS_OPTS % ('soft', 150))),
    (['noexec', 'lookupcache=positive'], {}, line('/mnt/efs', '10.0.1.25:/', NFS_OPTS % ('hard', 600)
                                                  + ',lookupcache=pos', 'rw,noexec,relatime')),
    (['ro'], {}, line('/mnt/efs', '10.0.1.25:/', NFS_OPTS % ('hard', 600), 'ro,relatime')),
])
def test_valid_overrides_match_the_live_mount(options, settings, table):
    entry = plan([{'file_system_id': FS, 'path': '/mnt/efs', 'mount_target_ip': '10.0.1.25', 'options': options}],
                 **settings)
    assert entry['problems'] == []
    assert live_problems(entry['mounts'][0], table) == []


def test_a_mount_without_its_override_is_caught():
    entry = plan([{'file_system_id': FS, 'path': '/mnt/efs', 'mount_target_ip': '10.0.1.25',
                   'options': ['timeo=900', 'ro']}])['mounts'][0]
    found = live_problems(entry, line('/mnt/efs', '10.0.1.25:/', NFS_OPTS % ('hard', 600)))
    assert any("'timeo=900' is not set" in problem for problem in found), found
    assert any("'ro' is not set" in problem for problem in found), found


def test_read_only_mounts_are_probed_as_read_only():
    entry = plan([{'file_system_id': FS, 'path': '/mnt/efs', 'mount_target_ip': '10.0.1.25', 'options': ['ro']}])
    assert entry['mounts'][0]['probe']['read_only'] is True


@pytest.mark.parametrize('subpath, source', [('/', '127.0.0.1:/'), ('/app', '127.0.0.1:/app')])
def test_efs_utils_2_shape_is_accepted(subpath, source):
    """efs-utils 2 and later mount through efs-proxy on 127.0.0.1 with a port from its range, even without TLS."""
    for tls in (True, False):
        entry = plan([{'file_system_id': FS, 'path': '/mnt/efs', 'subpath': subpath, 'tls': tls}],
                     efs_mount_helper='efs')['mounts'][0]
        table = line('/mnt/efs', source, (NFS_OPTS % ('hard', 600)).replace('proto=tcp', 'proto=tcp,port=20127'))
        assert live_problems(entry, table) == []


def test_efs_utils_mount_of_another_subpath_is_caught():
    entry = plan([{'file_system_id': FS, 'path': '/mnt/efs', 'subpath': '/app'}], efs_mount_helper='efs')['mounts'][0]
    found = live_problems(entry, line('/mnt/efs', '127.0.0.1:/other', NFS_OPTS % ('hard', 600)))
    assert found and found[0].startswith("source: expected '*:/app'")


# --- plan shape -------------------------------------------------------------------------------------------

def test_plan_shape_and_digest():
    result = plan([{'file_system_id': FS, 'path': '/mnt/efs', 'mount_target_ip': '10.0.1.25'},
                   {'file_system_id': FS, 'path': '/mnt/old', 'mount_target_ip': '10.0.1.25', 'state': 'absent'}])
    first, second = result['mounts']
    assert result['helper'] == 'nfs'
    assert set(first) >= {'index', 'path', 'label', 'state', 'digest', 'expect', 'probe', 'src', 'fstype', 'opts'}
    assert first['digest'] == mount_model.digest(first['src'], first['fstype'], first['opts'])
    assert second['state'] == 'absent' and second['index'] == 1
    changed = plan([{'file_system_id': FS, 'path': '/mnt/efs', 'mount_target_ip': '10.0.1.25', 'options': ['noexec']}])
    assert changed['mounts'][0]['digest'] != first['digest']


def test_only_the_changed_mount_is_remounted():
    before = plan([{'file_system_id': FS, 'path': '/a', 'mount_target_ip': '10.0.0.1'},
                   {'file_system_id': FS, 'path': '/b', 'mount_target_ip': '10.0.0.1'}])['mounts']
    after = plan([{'file_system_id': FS, 'path': '/a', 'mount_target_ip': '10.0.0.1'},
                  {'file_system_id': FS, 'path': '/b', 'mount_target_ip': '10.0.0.1', 'options': ['noexec']}])['mounts']
    live = {'mounted': True, 'fstype': 'nfs4', 'source': '10.0.0.1:/', 'alive': 'ok'}
    state = {'mounts': {'/a': live, '/b': live}, 'record': dict((m['path'], m['digest']) for m in before)}
    decided, problems = mount_model.decide_all(after, state, (), plan_efs.FSTYPES)
    assert problems == []
    assert [m['action'] for m in decided] == ['none', 'remount']


# --- helper choice and host facts ------------------------------------------------------------------------

@pytest.mark.parametrize('settings, facts, helper', [
    ({}, {}, 'nfs'),
    ({}, {'efs_utils_installed': True}, 'efs'),
    ({}, {'distribution': 'Amazon'}, 'efs'),
    ({'efs_utils_install': False}, {'distribution': 'Amazon'}, 'nfs'),
    ({'efs_utils_package_url': 'https://example.invalid/a.deb'}, {}, 'efs'),
    ({'efs_mount_helper': 'nfs'}, {'efs_utils_installed': True}, 'nfs'),
])
def test_helper_choice(settings, facts, helper):
    assert plan([], facts, **settings)['helper'] == helper


def test_auto_choosing_nfs_says_why():
    found = plan([{'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1',
                   'access_point': 'fsap-0123456789abcdef0'}])['problems']
    assert len(found) == 1 and 'auto chose plain NFS because amazon-efs-utils is neither installed' in found[0]


@pytest.mark.parametrize('settings, facts, message', [
    ({'efs_mount_helper': 'efs'}, {'efs_utils_installed': False, 'distribution': 'Debian', 'os_family': 'Debian'},
     'efs_mount_helper is efs, but /sbin/mount.efs is missing and Debian has no amazon-efs-utils package'),
    ({'efs_mount_helper': 'efs', 'efs_utils_install': False}, {'efs_utils_installed': False},
     'missing and efs_utils_install is false'),
    ({'efs_mount_helper': 'efs', 'efs_utils_package_url': 'https://example.invalid/a.rpm'},
     {'efs_utils_installed': False, 'distribution': 'Debian', 'os_family': 'Debian'},
     'Debian installs .deb packages, got efs_utils_package_url https://example.invalid/a.rpm'),
    ({'efs_mount_helper': 'efs', 'efs_utils_build_version': 'v2.4.1'},
     {'efs_utils_installed': False, 'distribution': 'Debian', 'os_family': 'Debian'},
     'efs_utils_build_version=v2.4.1: building amazon-efs-utils on the host is not implemented'),
])
def test_host_problems(settings, facts, message):
    found = plan([], facts, **settings)['problems']
    assert any(message in problem for problem in found), found


def test_host_problems_need_the_facts():
    assert plan([], {}, efs_mount_helper='efs')['problems'] == []


# --- settings ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name, value, message', [
    ('efs_mount_timeout', 0, "efs_mount_timeout must be a whole number 1 or more, got '0'"),
    ('efs_verify_timeout', '-1', "efs_verify_timeout must be a positive number of seconds, got '-1'"),
    ('efs_utils_port_range_lower', 80, 'efs_utils_port_range_lower must be a whole number between 1024 and 65535'),
    ('efs_utils_port_range_upper', 20000, 'efs_utils_port_range_lower (20049) must not be above'),
    ('efs_utils_retry_nfs_mount_command_count', 0, 'efs_utils_retry_nfs_mount_command_count must be a whole number'),
    ('efs_utils_watchdog_poll_interval_sec', 'x', 'efs_utils_watchdog_poll_interval_sec must be a whole number'),
    ('efs_allow_soft', 'maybe', "efs_allow_soft must be true or false, got 'maybe'"),
    ('efs_utils_config', {'mount': {'Bad Key': 1}}, 'these are not: mount.Bad Key'),
    ('efs_utils_config', {'mount': 'x'}, 'these are not: mount'),
    ('efs_utils_config', {'mount': {'a': 'x\ny'}}, 'these are not: mount.a'),
    ('efs_utils_package_url', 'file:///tmp/a.deb', 'efs_utils_package_url must be an http, https or ftp URL'),
    ('efs_utils_build_version', 'master', 'never a branch (master, main)'),
    ('efs_mounts', {'path': '/m'}, 'efs_mounts must be a list of mounts'),
])
def test_bad_settings_are_named(name, value, message):
    found = plan([], **{name: value})['problems']
    assert any(message in problem for problem in found), found


def test_package_src_and_url_exclude_each_other():
    found = plan([], efs_utils_package_src='/tmp/a.deb', efs_utils_package_url='https://example.invalid/a.deb')
    assert found['problems'] == [
        'Give efs_utils_package_src (a file on the controller) or efs_utils_package_url, not both']


def test_defaults_are_valid():
    assert plan([]) == {'problems': [], 'mounts': [], 'helper': 'nfs'}
