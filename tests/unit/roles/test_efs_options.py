# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option logic of the efs role: validation (plan_efs) and rendering (efs_render) of efs_mounts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.mountkit.aws.plugins.module_utils import plan_efs

FS = 'fs-0123456789abcdef0'
AP = 'fsap-0123456789abcdef0'
RECOMMENDED = 'nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport'
LIVE = ['vers=4.1', 'rsize=1048576', 'wsize=1048576', 'hard', 'timeo=600', 'retrans=2', 'noresvport']


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
with open(os.path.join(ROOT, 'roles', 'efs', 'defaults', 'main.yml')) as handle:
    DEFAULTS = yaml.safe_load(handle)


def render(mounts, helper='nfs', region='', dns_suffix='', allow_soft=False, nofail=True):
    """The planner with the role's defaults and the given settings, on a host that tells nothing."""
    settings = dict(DEFAULTS, efs_mounts=mounts, efs_mount_helper=helper, efs_region=region,
                    efs_dns_suffix=dns_suffix, efs_allow_soft=allow_soft, efs_nofail=nofail)
    result = plan_efs.plan(settings, {})
    return {'mounts': result['mounts'], 'problems': result['problems']}


def one(mount, **kwargs):
    result = render([mount], **kwargs)
    assert result['problems'] == []
    return result['mounts'][0]


def problems(mounts, **kwargs):
    if isinstance(mounts, dict):
        mounts = [mounts]
    return render(mounts, **kwargs)['problems']


def test_live_mounts_of_both_helpers_are_nfs():
    assert 'nfs4' in plan_efs.FSTYPES


# --- plain NFS ---------------------------------------------------------------------------------------------

def test_nfs_defaults_are_exactly_aws_recommendation_plus_nofail():
    mount = one({'file_system_id': FS, 'path': '/mnt/efs'}, region='us-east-1')
    assert mount['fstype'] == 'nfs4'
    assert mount['src'] == FS + '.efs.us-east-1.amazonaws.com:/'
    assert mount['opts'] == RECOMMENDED + ',_netdev,nofail'
    assert mount['line'] == '%s /mnt/efs nfs4 %s,_netdev,nofail 0 0' % (mount['src'], RECOMMENDED)
    assert mount['state'] == 'mounted'
    assert mount['expect'] == {
        'path': '/mnt/efs',
        'fstype': 'nfs4',
        'source': mount['src'],
        'options_present': LIVE,
        'options_absent': ['soft'],
        'fstab_options_present': ['_netdev', 'nofail'],
        'propagation': 'any',
        'check_alive': True,
    }
    assert mount['probe'] == {'profile': 'nfs', 'read_only': False, 'allow_delete': False, 'allow_overwrite': False}


def test_nofail_can_be_dropped_globally_and_per_mount():
    assert one({'file_system_id': FS, 'path': '/a'}, region='us-east-1', nofail=False)['opts'] == \
        RECOMMENDED + ',_netdev'
    mount = one({'file_system_id': FS, 'path': '/a', 'nofail': False}, region='us-east-1')
    assert mount['opts'] == RECOMMENDED + ',_netdev'
    assert mount['expect']['fstab_options_present'] == ['_netdev']
    assert one({'file_system_id': FS, 'path': '/a', 'nofail': 'yes'}, region='us-east-1', nofail=False)['opts'] \
        .endswith('_netdev,nofail')


@pytest.mark.parametrize('mount, src', [
    ({'mount_target_ip': '10.0.1.25'}, '10.0.1.25:/'),
    ({'mount_target_ip': '127.0.0.1', 'subpath': '/team'}, '127.0.0.1:/team'),
    ({'mount_target_ip': 'fd00::25', 'subpath': 'a/b/'}, '[fd00::25]:/a/b'),
    ({'az': 'us-east-1a'}, 'us-east-1a.' + FS + '.efs.us-east-1.amazonaws.com:/'),
    ({'region': 'cn-north-1'}, FS + '.efs.cn-north-1.amazonaws.com.cn:/'),
    ({'region': 'eu-west-1', 'subpath': '/x'}, FS + '.efs.eu-west-1.amazonaws.com:/x'),
])
def test_nfs_sources(mount, src):
    mount.update(file_system_id=FS, path='/mnt/efs')
    assert one(mount, region='us-east-1')['src'] == src


def test_dns_name_is_used_as_given_and_needs_no_region():
    rendered = one({'file_system_id': 'efs.example.internal', 'path': '/mnt/efs', 'subpath': '/data'})
    assert rendered['src'] == 'efs.example.internal:/data'


def test_dns_suffix_override():
    rendered = one({'file_system_id': FS, 'path': '/m'}, region='us-iso-east-1', dns_suffix='c2s.ic.gov')
    assert rendered['src'] == FS + '.efs.us-iso-east-1.c2s.ic.gov:/'


def test_source_pattern_escapes_glob_characters():
    rendered = one({'file_system_id': FS, 'path': '/m', 'mount_target_ip': 'fd00::1'})
    assert rendered['expect']['source'] == '[[]fd00::1]:/'


def test_region_is_needed_for_a_file_system_id_without_ip():
    assert problems({'file_system_id': FS, 'path': '/m'}) == [
        'efs_mounts[0] needs a Region for the DNS name of %s: set efs_region (or efs_mounts[0].region), or give '
        'efs_mounts[0].mount_target_ip' % FS]


def test_overrides_replace_the_recommended_value_in_place():
    rendered = one({'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1',
                    'options': ['timeo=900', 'vers=4.0', 'noatime', 'rsize=65536', 'hard', 'noresvport']})
    assert rendered['opts'] == ('nfsvers=4.0,rsize=65536,wsize=1048576,hard,timeo=900,retrans=2,noresvport,'
                                '_netdev,nofail,noatime')
    # noatime is a per-mount flag the kernel shows as given.
    assert rendered['expect']['options_present'] == ['vers=4.0', 'rsize=65536', 'wsize=1048576', 'hard', 'timeo=900',
                                                     'retrans=2', 'noresvport', 'noatime']


def test_soft_with_opt_in_replaces_hard_and_is_expected_live():
    rendered = one({'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1',
                    'options': ['soft', 'timeo=150']}, allow_soft=True)
    assert rendered['opts'].startswith('nfsvers=4.1,rsize=1048576,wsize=1048576,soft,timeo=150,')
    assert 'soft' in rendered['expect']['options_present']
    assert rendered['expect']['options_absent'] == ['hard']


def test_resvport_replaces_noresvport():
    rendered = one({'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1', 'options': ['resvport']})
    assert ',resvport,' in rendered['opts'] and 'noresvport' not in rendered['opts']
    assert 'noresvport' in rendered['expect']['options_absent']


def test_duplicates_of_always_rendered_options_are_dropped():
    rendered = one({'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1',
                    'options': ['_netdev', 'nofail', 'retrans=2']})
    assert rendered['opts'] == RECOMMENDED + ',_netdev,nofail'


@pytest.mark.parametrize('options, allow_soft, message', [
    (['soft'], False, 'efs_mounts[0].options asks for soft: a soft NFS mount returns I/O errors'),
    (['soft', 'timeo=100'], True, 'efs_mounts[0].options asks for soft with timeo=100; AWS requires timeo of at least'
                                  ' 150 (15 s)'),
    (['hard', 'soft'], True, 'efs_mounts[0].options[1] hard and soft exclude each other'),
    (['nfsvers=4.2'], False, "EFS speaks NFS 4.0 and 4.1 only; nfsvers must be one of 4, 4.0, 4.1, got '4.2'"),
    (['vers=3'], False, "got '3'"),
    (['timeo=abc'], False, "efs_mounts[0].options[0] timeo needs a positive whole number, got 'timeo=abc'"),
    (['retrans=0'], False, 'retrans needs a positive whole number'),
    (['timeo=600', 'timeo=900'], False, 'efs_mounts[0].options[1] sets timeo a second time'),
    (['noatime,nodiratime'], False, 'efs_mounts[0].options[0] must be one mount option without blanks, commas'),
    (["a'b"], False, 'must be one mount option'),
    (['a b'], False, 'must be one mount option'),
    ([''], False, 'must be one mount option'),
    ([3], False, 'must be one mount option'),
    (['hard=1'], False, "hard takes no value, got 'hard=1'"),
    (['tls'], False, "efs_mounts[0].options[0] 'tls' is an amazon-efs-utils option; plain NFS"),
    (['accesspoint=' + AP], False, 'is an amazon-efs-utils option'),
    ('soft', False, "efs_mounts[0].options must be a list of mount options, got 'soft'"),
])
def test_bad_options_are_named(options, allow_soft, message):
    found = problems({'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1', 'options': options},
                     allow_soft=allow_soft)
    assert len(found) == 1 and message in found[0], found


def test_soft_at_exactly_150_is_accepted():
    assert problems({'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1',
                     'options': ['soft', 'timeo=150']}, allow_soft=True) == []


@pytest.mark.parametrize('key, value', [('tls', True), ('iam', True), ('access_point', AP), ('awsprofile', 'ops')])
def test_efs_utils_features_need_the_efs_helper(key, value):
    mount = {'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1', key: value}
    if key == 'awsprofile':
        mount['iam'] = True
    found = problems(mount)
    assert ('efs_mounts[0].%s needs the amazon-efs-utils mount helper (efs_mount_helper: efs)' % key) in \
        ' '.join(found)


# --- amazon-efs-utils --------------------------------------------------------------------------------------

def test_efs_defaults_are_tls_netdev_nofail():
    rendered = one({'file_system_id': FS, 'path': '/mnt/efs'}, helper='efs')
    assert rendered['fstype'] == 'efs'
    assert rendered['src'] == FS
    assert rendered['opts'] == '_netdev,tls,nofail'
    assert rendered['expect']['fstype'] == 'nfs4'
    # efs-utils adds the NFS options itself; the kernel must show them all the same.
    assert rendered['expect']['options_present'] == LIVE
    assert rendered['expect']['source'] == '*:/'
    assert rendered['expect']['fstab_options_present'] == ['_netdev', 'tls', 'nofail']


def test_efs_with_every_feature():
    rendered = one({'file_system_id': FS, 'path': '/mnt/efs', 'subpath': '/app', 'iam': True, 'access_point': AP,
                    'awsprofile': 'ops', 'region': 'eu-west-1', 'az': 'eu-west-1b',
                    'options': ['tlsport=20500', 'timeo=900', 'crossaccount']}, helper='efs')
    assert rendered['src'] == FS + ':/app'
    assert rendered['opts'] == ('_netdev,tls,iam,accesspoint=%s,awsprofile=ops,region=eu-west-1,az=eu-west-1b,'
                                'nofail,timeo=900,tlsport=20500,crossaccount' % AP)
    assert 'timeo=900' in rendered['expect']['options_present']
    assert rendered['expect']['source'] == '*:/app'
    assert rendered['expect']['fstab_options_present'] == ['_netdev', 'tls', 'iam', 'accesspoint=' + AP, 'nofail']


def test_efs_without_tls_and_with_a_mount_target_ip():
    rendered = one({'file_system_id': FS, 'path': '/m', 'tls': False, 'mount_target_ip': '10.0.0.7'}, helper='efs')
    assert rendered['opts'] == '_netdev,mounttargetip=10.0.0.7,nofail'


def test_efs_soft_is_passed_on_only_with_the_opt_in():
    mount = {'file_system_id': FS, 'path': '/m', 'options': ['soft']}
    assert 'efs_allow_soft' in ' '.join(problems(mount, helper='efs'))
    assert one(mount, helper='efs', allow_soft=True)['opts'] == '_netdev,tls,nofail,soft'


@pytest.mark.parametrize('mount, message', [
    ({'iam': True, 'tls': False}, 'efs_mounts[0].iam needs tls: true'),
    ({'access_point': AP, 'tls': 'no'}, 'efs_mounts[0].access_point needs tls: true'),
    ({'awsprofile': 'ops'}, 'efs_mounts[0].awsprofile needs iam: true'),
    ({'options': ['accesspoint=' + AP]}, "efs_mounts[0].options[0] sets 'accesspoint'; use efs_mounts[0].access_point"),
    ({'options': ['iam']}, 'use efs_mounts[0].iam instead'),
    ({'options': ['notls']}, 'use efs_mounts[0].tls instead'),
    ({'options': ['mounttargetip=1.2.3.4']}, 'use efs_mounts[0].mount_target_ip instead'),
])
def test_efs_rejections(mount, message):
    mount.update(file_system_id=FS, path='/m')
    found = problems(mount, helper='efs')
    assert any(message in problem for problem in found), found


# --- identifiers, paths and structure ----------------------------------------------------------------------

@pytest.mark.parametrize('fs_id', ['fs-12345678', 'fs-' + 'a' * 40, FS, 'fs-0123.efs.us-east-1.amazonaws.com',
                                   'nfs.internal.example.com'])
def test_good_file_system_ids(fs_id):
    mount = {'file_system_id': fs_id, 'path': '/m', 'mount_target_ip': '10.0.0.1'}
    assert problems(mount) == []


@pytest.mark.parametrize('fs_id', ['fs-1234567', 'fs-' + 'a' * 41, 'fs-0123456789ABCDEF0', 'fs-xyz12345', '12345678',
                                   'fs_12345678', 'localhost', 'fs-12345678.', 'bad..name.com', ''])
def test_bad_file_system_ids(fs_id):
    found = problems({'file_system_id': fs_id, 'path': '/m', 'mount_target_ip': '10.0.0.1'})
    assert len(found) == 1
    assert found[0].startswith('efs_mounts[0].file_system_id ')


def test_missing_required_keys():
    assert problems({}) == ['efs_mounts[0].path is required', 'efs_mounts[0].file_system_id is required']


@pytest.mark.parametrize('path', ['relative', '/a/../b', '/a/', '//a', '/', '/a/./b', '/with space', '/back\\slash'])
def test_bad_paths(path):
    found = problems({'file_system_id': FS, 'path': path, 'mount_target_ip': '10.0.0.1'})
    assert found and all(problem.startswith('efs_mounts[0].path ') for problem in found), found


@pytest.mark.parametrize('subpath', ['/a/../b', '..', '/a b', '/a:b', '/a,b', '/./a'])
def test_bad_subpaths(subpath):
    found = problems({'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1', 'subpath': subpath})
    assert len(found) == 1 and found[0].startswith('efs_mounts[0].subpath '), found


@pytest.mark.parametrize('key, value, message', [
    ('mount_target_ip', '10.0.0.256', 'must be an IPv4 or IPv6 address'),
    ('az', 'use1-az1', "must be an Availability Zone name such as 'us-east-1a'"),
    ('region', 'us-east', "must be a region name such as eu-west-1"),
    ('access_point', 'fsap-XYZ', 'must be an access point id'),
    ('state', 'unmounted', 'must be one of mounted, present, absent'),
    ('tls_port', 1, 'has unknown keys tls_port'),
    ('iam', 'maybe', 'must be true or false'),
    ('path', 5, 'must be a string'),
])
def test_bad_values(key, value, message):
    mount = {'file_system_id': FS, 'path': '/m', 'region': 'us-east-1'}
    mount[key] = value
    found = problems(mount, helper='efs')
    assert any(message in problem and problem.startswith('efs_mounts[0]') for problem in found), found


def test_az_and_mount_target_ip_exclude_each_other():
    found = problems({'file_system_id': FS, 'path': '/m', 'az': 'us-east-1a', 'mount_target_ip': '10.0.0.1'})
    assert found == ['efs_mounts[0].az and mount_target_ip exclude each other; give one of them']


def test_az_needs_a_file_system_id():
    found = problems({'file_system_id': 'nfs.example.com', 'path': '/m', 'az': 'us-east-1a'})
    assert found == ['efs_mounts[0].az needs a file system id in file_system_id, not a DNS name']


def test_local_zone_az_is_accepted():
    assert one({'file_system_id': FS, 'path': '/m', 'az': 'us-east-1-bos-1a'}, region='us-east-1')['src'] \
        .startswith('us-east-1-bos-1a.')


def test_repeated_and_nested_paths():
    mounts = [
        {'file_system_id': FS, 'path': '/mnt/efs', 'mount_target_ip': '10.0.0.1'},
        {'file_system_id': FS, 'path': '/mnt/efs/inner', 'mount_target_ip': '10.0.0.1'},
        {'file_system_id': FS, 'path': '/mnt/efs', 'mount_target_ip': '10.0.0.1', 'state': 'absent'},
        {'file_system_id': FS, 'path': '/mnt/efs-team', 'mount_target_ip': '10.0.0.1'},
    ]
    assert problems(mounts) == [
        "efs_mounts[1].path '/mnt/efs/inner' and efs_mounts[0].path '/mnt/efs' lie inside each other; mount points "
        "must not be nested",
        "efs_mounts[2].path '/mnt/efs' is already efs_mounts[0].path; every mount needs its own path",
        "efs_mounts[2].path '/mnt/efs' and efs_mounts[1].path '/mnt/efs/inner' lie inside each other; mount points "
        "must not be nested",
    ]


def test_bad_structure():
    assert render('nope')['problems'] == ["efs_mounts must be a list of mounts, got 'nope'"]
    assert render(['nope'])['problems'] == ["efs_mounts[0] must be a dict with file_system_id and path, got 'nope'"]
    assert render(None) == {'mounts': [], 'problems': []}


def test_bad_global_region():
    assert problems({'file_system_id': FS, 'path': '/m', 'mount_target_ip': '10.0.0.1'}, region='virginia') == [
        "efs_region must be a region name such as eu-west-1, got 'virginia'"]


def test_unknown_helper_is_named():
    assert render([], helper='fuse')['problems'] == ["efs_mount_helper must be one of auto, efs, nfs, got 'fuse'"]


def test_absent_mounts_render_their_path():
    rendered = one({'file_system_id': FS, 'path': '/old', 'mount_target_ip': '10.0.0.1', 'state': 'absent'})
    assert rendered['state'] == 'absent' and rendered['path'] == '/old'


def test_several_problems_are_all_reported():
    found = problems([{'file_system_id': 'bad', 'path': 'rel', 'options': ['soft']},
                      {'file_system_id': FS, 'path': '/b', 'access_point': AP, 'tls': False}], helper='efs')
    assert [problem.split(' ', 1)[0] for problem in found] == [
        'efs_mounts[0].path', 'efs_mounts[0].file_system_id', 'efs_mounts[0].options', 'efs_mounts[1].access_point']


# --- mounts of one file system share their NFS options in the kernel ----------------------------------------

def test_mounts_of_one_file_system_must_agree_on_nfs_options():
    mounts = [{'file_system_id': FS, 'path': '/a', 'mount_target_ip': '10.0.0.1'},
              {'file_system_id': FS, 'path': '/b', 'mount_target_ip': '10.0.0.1', 'subpath': '/t',
               'options': ['timeo=900', 'noexec']}]
    assert problems(mounts) == [
        'efs_mounts[1].options ask for timeo=900, but efs_mounts[0] mounts the same file system (10.0.0.1) with '
        'timeo=600: the kernel shares NFS options between mounts of one file system, so efs_mounts[1] would '
        'silently get those of efs_mounts[0]. Use the same NFS options, or add nosharecache to efs_mounts[1].options']


@pytest.mark.parametrize('second', [
    {'mount_target_ip': '10.0.0.1', 'options': ['noexec', 'nosuid']},      # per-mount flags only
    {'mount_target_ip': '10.0.0.1', 'options': ['timeo=900', 'nosharecache']},
    {'mount_target_ip': '10.0.0.2', 'options': ['timeo=900']},             # another file system
    {'mount_target_ip': '10.0.0.1', 'options': ['timeo=900'], 'state': 'present'},
])
def test_mounts_that_may_differ(second):
    second.update(file_system_id=FS, path='/b')
    assert problems([{'file_system_id': FS, 'path': '/a', 'mount_target_ip': '10.0.0.1'}, second]) == []


def test_same_file_system_id_counts_as_one_file_system():
    found = problems([{'file_system_id': FS, 'path': '/a'},
                      {'file_system_id': FS, 'path': '/b', 'az': 'us-east-1a', 'options': ['soft']}],
                     region='us-east-1', allow_soft=True)
    assert len(found) == 1 and 'ask for soft, but efs_mounts[0] mounts the same file system (%s) with hard' % FS \
        in found[0]


def test_efs_utils_mounts_have_their_own_tunnels():
    assert problems([{'file_system_id': FS, 'path': '/a'},
                     {'file_system_id': FS, 'path': '/b', 'options': ['timeo=900']}], helper='efs') == []
