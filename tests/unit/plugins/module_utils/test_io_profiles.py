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
    assert set(OPERATION_FUNCTIONS) == set(ALL_OPERATIONS) - {READ_EXISTING}


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


@pytest.mark.parametrize('text, version', [
    ('1.16.2', (1, 16, 2)), ('v1.24', (1, 24, 0)), ('mount-s3 1.16.2', (1, 16, 2)),
    ('mount-s3 1.16.2-unofficial+fs0.1.3\n', (1, 16, 2)), ('1.23.0-dev', (1, 23, 0)),
])
def test_parse_version(text, version):
    assert io_profiles.parse_version(text) == version


@pytest.mark.parametrize('text', ['latest', '', 'one.two', None, 1.16])
def test_parse_version_rejects(text):
    with pytest.raises(ValueError):
        io_profiles.parse_version(text)


@pytest.mark.parametrize('version, table', [
    (None, '1.16'), ('1.10.0', '1.16'), ('1.16.2', '1.16'), ('1.18.9', '1.16'), ('1.19.0', '1.19'),
    ('1.21.0', '1.19'), ('1.22.0', '1.22'), ('1.23.0', '1.22'), ('1.24.0', '1.24'), ('2.0.0', '1.24'),
])
def test_release_picks_its_range(version, table):
    assert io_profiles.mountpoint_table(version)[0] == table


@pytest.mark.parametrize('first, general, directory', io_profiles.MOUNTPOINT_S3_RELEASES)
def test_every_release_table_covers_every_operation(first, general, directory):
    for table in (general, directory):
        assert set(table) == set(ALL_OPERATIONS)
        for value in table.values():
            normalize_expected(value)


def mountpoint(version, **flags):
    return expected_results('mountpoint_s3', version=version, **flags)


class TestMountpointReleases:
    """One test per release range and bucket type, from the upstream changelog and semantics."""

    def test_1_16_general_purpose(self):
        expected = mountpoint('1.16.2')
        assert expected == expected_results('mountpoint_s3')  # the oldest table is the default
        assert expected['rename_file'] == expected['rename_dir'] == expected['rename_replace'] == ('ENOSYS',)
        assert expected['sync_open'] == ('EINVAL',)
        assert expected['reopen_after_close'] == ('EIO', 'EPERM')
        assert expected['empty_dir'] == ('NO_EFFECT',)
        assert expected['append'] == ('EPERM',)

    def test_1_16_directory_bucket_has_no_rename_yet(self):
        expected = mountpoint('1.18.0', bucket_type='directory')
        assert expected['rename_file'] == ('ENOSYS',)

    def test_1_19_general_purpose(self):
        expected = mountpoint('1.19.0')
        assert expected['rename_file'] == ('ENOSYS',)
        assert expected['rename_dir'] == ('EPERM', 'ENOSYS')
        assert expected['rename_replace'] == ('EEXIST', 'ENOSYS')
        assert expected['reopen_after_close'] == ('EIO', 'EPERM')

    def test_1_19_directory_bucket_renames_files(self):
        expected = mountpoint('1.19.0', bucket_type='directory')
        assert expected['rename_file'] == ('ok',)
        assert expected['rename_dir'] == ('EPERM',)
        assert expected['rename_replace'] == ('EEXIST',)
        assert mountpoint('1.19.0', bucket_type='directory', allow_overwrite=True)['rename_replace'] == ('ok',)
        # --allow-overwrite does not make a general purpose bucket rename.
        assert mountpoint('1.19.0', allow_overwrite=True)['rename_replace'] == ('EEXIST', 'ENOSYS')

    def test_1_22_invalidates_duplicate_handles(self):
        for bucket_type in io_profiles.BUCKET_TYPES:
            assert mountpoint('1.22.0', bucket_type=bucket_type)['reopen_after_close'] == ('EBADF',)

    def test_1_24(self):
        expected = mountpoint('1.24.0')
        assert expected['reopen_after_close'] == ('EBADF',)
        assert expected['sync_open'] == ('EINVAL',)
        assert mountpoint('1.24.0', read_only=True)['create_write_read'] == ('EROFS',)
        assert mountpoint('1.24.0', bucket_type='directory')['rename_file'] == ('ok',)

    def test_incremental_upload_appends_on_directory_buckets_only(self):
        assert mountpoint('1.24.0', bucket_type='directory', incremental_upload=True)['append'] == ('ok',)
        assert mountpoint('1.24.0', bucket_type='directory')['append'] == ('EPERM',)
        with pytest.raises(ValueError, match='incremental_upload needs bucket_type directory'):
            mountpoint('1.24.0', incremental_upload=True)

    def test_release_tables_are_not_shared(self):
        mountpoint('1.24.0', allow_delete=True, bucket_type='directory', allow_overwrite=True)
        assert io_profiles.MOUNTPOINT_S3_DIRECTORY_1_24['unlink'] == 'EPERM'
        assert io_profiles.MOUNTPOINT_S3_DIRECTORY_1_24['rename_replace'] == 'EEXIST'


@pytest.mark.parametrize('flag, value', [('version', '1.24.0'), ('bucket_type', 'directory'),
                                         ('incremental_upload', True)])
def test_mountpoint_options_do_not_apply_to_other_profiles(flag, value):
    with pytest.raises(ValueError, match='%s applies only to profile mountpoint_s3' % flag):
        expected_results('s3fs', **{flag: value})


def test_unknown_bucket_type():
    with pytest.raises(ValueError, match='unknown bucket type'):
        mountpoint('1.24.0', bucket_type='express')


def test_open_writers_cap_only_from_1_24():
    assert mountpoint('1.22.0')['open_writers'] == ('ok',)
    assert mountpoint('1.24.0')['open_writers'] == ('ok', 'ENOMEM')
    assert expected_results('s3fs')['open_writers'] == ('ok',)


@pytest.mark.parametrize('name', ['empty_dir', 'open_writers', 'sync_open'])
def test_read_only_refuses_every_scratch_operation(name):
    assert mountpoint('1.24.0', read_only=True)[name] == ('EROFS',)
