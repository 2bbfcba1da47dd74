# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the expected-behaviour tables and how results are compared with them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.mountkit.aws.plugins.module_utils import io_profiles
from ansible_collections.mountkit.aws.plugins.module_utils.io_probe import (
    ALL_OPERATIONS, OPERATIONS, OPERATION_FUNCTIONS, READ_EXISTING,
)
from ansible_collections.mountkit.aws.plugins.module_utils.io_profiles import (
    PROFILES, canonical_result, expected_results, normalize_expected, result_matches,
)


def test_every_operation_has_a_probe():
    assert set(OPERATION_FUNCTIONS) == set(OPERATIONS)


@pytest.mark.parametrize('profile', ['mountpoint_s3', 's3fs', 'nfs'])
def test_profiles_cover_every_operation_with_known_results(profile):
    assert set(PROFILES[profile]) == set(ALL_OPERATIONS)
    for value in PROFILES[profile].values():
        normalize_expected(value)  # raises on an unknown name


def test_none_profile_expects_nothing():
    assert expected_results('none') == dict((name, None) for name in ALL_OPERATIONS)


@pytest.mark.parametrize('profile', ['mountpoint_s3', 's3fs', 'nfs'])
def test_existing_files_read_whole_on_every_mount_even_read_only(profile):
    assert expected_results(profile)[READ_EXISTING] == ('ok',)
    assert expected_results(profile, read_only=True)[READ_EXISTING] == ('ok',)
    assert expected_results(profile, read_only=True)['create_write_read'] == ('EROFS',)


def test_mountpoint_defaults_follow_the_documented_semantics():
    expected = expected_results('mountpoint_s3')
    assert expected['create_write_read'] == ('ok',)
    assert expected['unlink'] == ('EPERM',)
    assert expected['overwrite_trunc'] == ('EPERM',)
    assert 'ENOSYS' in expected['rename_file']
    assert expected['hardlink'] == ('EPERM',)
    assert expected['mkdir'] == ('ok',)


def test_mountpoint_flags():
    expected = expected_results('mountpoint_s3', allow_delete=True, allow_overwrite=True)
    assert expected['unlink'] == ('ok',)
    assert expected['overwrite_trunc'] == ('ok',)
    assert 'ok' not in expected['append']
    assert 'ok' not in expected['partial_overwrite']


def test_flags_do_not_leak_between_calls():
    expected_results('mountpoint_s3', allow_delete=True)
    assert expected_results('mountpoint_s3')['unlink'] == ('EPERM',)
    assert io_profiles.MOUNTPOINT_S3['unlink'] == 'EPERM'


@pytest.mark.parametrize('profile', ['mountpoint_s3', 's3fs', 'nfs', 'none'])
def test_read_only_expects_erofs_from_every_operation_that_writes(profile):
    expected = expected_results(profile, read_only=True)
    assert set(expected[name] for name in OPERATIONS) == {('EROFS',)}


@pytest.mark.parametrize('flag', ['allow_delete', 'allow_overwrite'])
@pytest.mark.parametrize('profile', ['s3fs', 'nfs', 'none'])
def test_mountpoint_flags_refused_elsewhere(profile, flag):
    with pytest.raises(ValueError, match='%s applies only to profile mountpoint_s3' % flag):
        expected_results(profile, **{flag: True})


def test_s3fs_matches_observed_semantics():
    expected = expected_results('s3fs')
    assert expected['hardlink'] == ('ENOTSUP',)
    assert 'DATA_MISMATCH' in expected['truncate']
    assert expected['rename_dir'] == ('ok',)


def test_overrides_win():
    expected = expected_results('s3fs', overrides={'rename_file': ['ENOSYS', 'exdev'], 'xattr': 'OK'})
    assert expected['rename_file'] == ('ENOSYS', 'EXDEV')
    assert expected['xattr'] == ('ok',)
    assert expected['unlink'] == ('ok',)


@pytest.mark.parametrize('overrides, message', [
    ({'renam_file': 'ok'}, "unknown operation 'renam_file'"),
    ({'unlink': 'EPERMS'}, "unlink: unknown result 'EPERMS'"),
    ({'unlink': []}, 'unlink: an empty list accepts nothing'),
    ({'unlink': 3}, 'unlink: a result must be a non-empty string'),
])
def test_bad_overrides(overrides, message):
    with pytest.raises(ValueError, match=message):
        expected_results('s3fs', overrides=overrides)


def test_unknown_profile():
    with pytest.raises(ValueError, match='unknown profile'):
        expected_results('gcsfuse')


@pytest.mark.parametrize('name, canonical', [
    ('ok', 'ok'), ('OK', 'ok'), ('eperm', 'EPERM'), ('ETIMEDOUT', 'ETIMEDOUT'),
    ('short_read', 'SHORT_READ'), ('DATA_MISMATCH', 'DATA_MISMATCH'), ('NO_EFFECT', 'NO_EFFECT'),
    ('EOPNOTSUPP', 'EOPNOTSUPP'),
])
def test_canonical_result(name, canonical):
    assert canonical_result(name) == canonical


@pytest.mark.parametrize('expected, observed, matches', [
    (('ok',), 'ok', True),
    (('EPERM',), 'ok', False),
    (('ENOSYS', 'EXDEV'), 'EXDEV', True),
    (('EOPNOTSUPP',), 'ENOTSUP', True),     # same errno on Linux
    (('ENOTSUP',), 'EOPNOTSUPP', True),
    (('EAGAIN',), 'EWOULDBLOCK', True),
    (('EIO',), 'ETIMEDOUT', False),
    (('ok',), 'NOT_RUN', False),
    (None, 'EIO', None),
])
def test_result_matches(expected, observed, matches):
    assert result_matches(expected, observed) is matches
