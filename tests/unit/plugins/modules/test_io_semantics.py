# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the checks of mountkit.aws.io_semantics (the module itself runs in the integration tests)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.mountkit.aws.plugins.module_utils.io_probe import OPERATIONS
from ansible_collections.mountkit.aws.plugins.module_utils.io_profiles import expected_results
from ansible_collections.mountkit.aws.plugins.modules import io_semantics


def params(**overrides):
    base = dict(path='/mnt/s3', profile='none', allow_delete=False, allow_overwrite=False, read_only=False,
                expect={}, operations=None, size='1M', timeout=10.0, fail_on_mismatch=True, existing_files=[],
                watch=0.0)
    base.update(overrides)
    return base


@pytest.mark.parametrize('value, size', [
    (4096, 4096), ('4096', 4096), ('64K', 65536), ('1M', 1048576), ('1MiB', 1048576), ('1 MB', 1048576),
    ('2G', 2 * 1024 ** 3), ('2gib', 2 * 1024 ** 3),
])
def test_parse_size(value, size):
    assert io_semantics.parse_size(value) == size


@pytest.mark.parametrize('value', [0, -1, '0', 'lots', '', True, '1Q'])
def test_parse_size_rejects(value):
    with pytest.raises(ValueError):
        io_semantics.parse_size(value)


def test_validate_ok():
    errors, size, expected, _existing = io_semantics.validate(
        params(profile='mountpoint_s3', allow_delete=True, size='2M'))
    assert errors == [] and size == 2 * 1024 * 1024
    assert expected['unlink'] == ('ok',)


@pytest.mark.parametrize('overrides, message', [
    (dict(path='relative'), "path must be absolute, got 'relative'"),
    (dict(timeout=0), 'timeout must be greater than 0, got 0'),
    (dict(timeout=-2.5), 'timeout must be greater than 0, got -2.5'),
    (dict(size='huge'), "size not a size: 'huge'"),
    (dict(size=0), 'size must be greater than 0, got 0'),
    (dict(expect={'renam': 'ok'}), 'expect has unknown operation(s) renam; known: create_write_read'),
    (dict(expect={'unlink': 'EPERMS'}), "expect: unlink: unknown result 'EPERMS'"),
    (dict(profile='s3fs', allow_delete=True), 'profile: allow_delete applies only to profile mountpoint_s3'),
    (dict(existing_files=['../etc/passwd']), "existing_files: '../etc/passwd' must name a file below path"),
    (dict(existing_files=['/etc/passwd']), "existing_files: '/etc/passwd' is not below path /mnt/s3"),
    (dict(existing_files=['/mnt/s3']), "existing_files: '/mnt/s3' is not below path /mnt/s3"),
    (dict(existing_files=['']), "existing_files: '' must name a file below path"),
    (dict(watch=5.0), 'watch needs existing_files to read'),
    (dict(existing_files=['a'], watch=-1.0), 'watch must be 0 or more seconds, got -1.0'),
    (dict(operations=['read_existing']), 'operations: read_existing needs existing_files'),
])
def test_validate_names_the_parameter(overrides, message):
    errors = io_semantics.validate(params(**overrides))[0]
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_selected_operations_keep_canonical_order():
    assert io_semantics.selected_operations(None) == list(OPERATIONS)
    assert io_semantics.selected_operations(['sequential', 'mkdir', 'fsync']) == ['fsync', 'mkdir', 'sequential']


def test_existing_files_are_read_first_whenever_given():
    assert io_semantics.selected_operations(None, ['a']) == ['read_existing'] + list(OPERATIONS)
    assert io_semantics.selected_operations(['fsync'], ['a']) == ['read_existing', 'fsync']
    assert io_semantics.selected_operations(['read_existing'], ['a']) == ['read_existing']


@pytest.mark.parametrize('name, relative', [
    ('seed.bin', 'seed.bin'), ('./a//b/c.txt', 'a/b/c.txt'), ('/mnt/s3/a/b', 'a/b'), ('/mnt/s3/./a', 'a'),
])
def test_existing_files_become_relative_to_path(name, relative):
    assert io_semantics.existing_relative('/mnt/s3', name) == relative


def test_silent_read_of_existing_file_is_a_problem_even_when_no_scratch_directory_can_be_made():
    report = {'scratch_failure': result('ENOENT', 'scratch directory not created: ENOENT at mkdir'), 'hung': None,
              'results': {'read_existing': result('SHORT_READ', 'seed.bin: read 0 of 65536 bytes without an error'),
                          'fsync': result('ENOENT', 'scratch directory not created: ENOENT at mkdir')}}
    problems = io_semantics.probe_problems(report, expected_results('s3fs'), 10)
    assert problems[0] == ('read_existing: expected ok, observed SHORT_READ '
                           '(seed.bin: read 0 of 65536 bytes without an error)')
    assert problems[1].startswith('scratch directory not created: ENOENT at mkdir, so every operation reports ENOENT')
    assert 'read_existing' not in problems[1]


def result(observed, detail=None):
    return {'observed': observed, 'detail': detail, 'bytes_verified': 0, 'seconds': 0.1}


def test_judge():
    expected = expected_results('mountpoint_s3')
    results = {'unlink': result('ok'), 'rename_file': result('ENOSYS', 'ENOSYS at rename: Function not implemented'),
               'hardlink': result('EPERM', 'x')}
    problems = io_semantics.judge(results, expected)
    assert problems == ['unlink: expected EPERM, observed ok']
    assert results['unlink']['pass'] is False and results['unlink']['expected'] == ['EPERM']
    assert results['rename_file']['pass'] is True


def test_judge_without_expectations():
    results = {'unlink': result('EIO')}
    assert io_semantics.judge(results, expected_results('none')) == []
    assert results['unlink']['pass'] is None and results['unlink']['expected'] is None


def report(results, hung=None, failure=None):
    return {'results': results, 'hung': hung, 'scratch_failure': failure, 'leftovers': []}


def test_hung_mount_is_one_problem():
    results = {'create_write_read': result('ok'), 'fsync': result('ETIMEDOUT', 'no answer within 3s'),
               'append': result('NOT_RUN'), 'sequential': result('NOT_RUN')}
    problems = io_semantics.probe_problems(report(results, hung='fsync'), expected_results('s3fs'), 3)
    assert problems == ['fsync: expected ok, observed ETIMEDOUT (no answer within 3s)',
                        'mount hung: no answer within 3s during fsync; not run: append, sequential']


def test_scratch_failure_is_one_problem():
    failure = result('EROFS', 'scratch directory not created: EROFS at mkdir .mountkit-probe: Read-only file system')
    results = dict((name, dict(failure)) for name in ('create_write_read', 'mkdir'))
    problems = io_semantics.probe_problems(report(results, failure=failure), expected_results('s3fs'), 10)
    assert problems == ['scratch directory not created: EROFS at mkdir .mountkit-probe: Read-only file system, '
                        'so every operation reports EROFS; not expected by: create_write_read, mkdir']
    problems = io_semantics.probe_problems(report(dict((n, dict(failure)) for n in results), failure=failure),
                                           expected_results('s3fs', read_only=True), 10)
    assert problems == []


def test_scratch_timeout_is_reported_as_hung():
    failure = result('ETIMEDOUT', 'scratch directory not created: no answer within 2s')
    results = dict((name, dict(failure)) for name in ('create_write_read', 'mkdir'))
    problems = io_semantics.probe_problems(report(results, hung='create scratch directory', failure=failure),
                                           expected_results('s3fs'), 2)
    assert problems == ['mount hung: no answer within 2s during create scratch directory']


@pytest.mark.parametrize('overrides, message', [
    (dict(probe_dir='../elsewhere'), "probe_dir must stay below path, without '..', got '../elsewhere'"),
    (dict(probe_dir='/srv/probes'), "probe_dir must be relative to path, got '/srv/probes'"),
    (dict(profile='mountpoint_s3', version='newest'), "version: not a version: 'newest'"),
    (dict(profile='nfs', version='1.24.0'), 'profile: version applies only to profile mountpoint_s3'),
    (dict(profile='s3fs', bucket_type='directory'), 'profile: bucket_type applies only to profile mountpoint_s3'),
    (dict(profile='mountpoint_s3', incremental_upload=True), 'incremental_upload needs bucket_type directory'),
    (dict(operations=['empty_dir']), 'operations: empty_dir needs bucket'),
    (dict(bucket='b', bucket_prefix='logs'), "bucket_prefix must end with '/' and not start with it, got 'logs'"),
    (dict(bucket='b', bucket_prefix='/logs/'), "bucket_prefix must end with '/' and not start with it"),
    (dict(bucket=''), 'bucket must not be empty'),
])
def test_validate_names_each_new_parameter(overrides, message):
    errors = io_semantics.validate(params(**overrides))[0]
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_validate_versions_and_bucket_types():
    errors, _size, expected, _existing = io_semantics.validate(params(
        profile='mountpoint_s3', version='1.24.0', bucket_type='directory', incremental_upload=True))
    assert errors == []
    assert expected['append'] == ('ok',) and expected['reopen_after_close'] == ('EBADF',)


@pytest.mark.parametrize('value, relative', [(None, ''), ('', ''), ('probes', 'probes'), ('./a//b/', 'a/b')])
def test_probe_dir_is_relative(value, relative):
    assert io_semantics.relative_probe_dir(value) == relative


def test_empty_dir_joins_the_default_set_only_with_a_bucket():
    assert 'empty_dir' not in io_semantics.selected_operations(None)
    assert io_semantics.selected_operations(None, bucket='b')[-1] == 'empty_dir'
    assert io_semantics.selected_operations(['empty_dir', 'fsync']) == ['fsync', 'empty_dir']


@pytest.mark.parametrize('count', [0, 5000])
def test_open_writers_bounds(count):
    errors = io_semantics.validate(params(open_writers=count))[0]
    assert errors == ['open_writers must be 1 to 4096, got %d' % count]


def test_open_writers_runs_only_when_listed():
    assert 'open_writers' not in io_semantics.selected_operations(None, bucket='b')
    assert io_semantics.selected_operations(['open_writers', 'fsync']) == ['fsync', 'open_writers']
