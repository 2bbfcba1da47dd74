# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the probe runner and operations, on a local file system."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.mountkit.aws.plugins.module_utils import io_probe
from ansible_collections.mountkit.aws.plugins.module_utils.bounded_call import ChildOutcome, errno_name, run_in_child
from ansible_collections.mountkit.aws.plugins.module_utils.io_probe import (
    DATA_MISMATCH, NOT_RUN, OPERATIONS, PROBE_DIR_NAME, READ_EXISTING, SHORT_READ, TIMED_OUT, ProbeMismatch,
    compare_bytes, outcome_to_result, run_operation, run_probe,
)
from ansible_collections.mountkit.aws.plugins.module_utils.io_profiles import expected_results, result_matches


def _sleep(seconds):
    time.sleep(seconds)


def _raise_errno(number):
    raise OSError(number, os.strerror(number))


def _print_and_return(value):
    sys.stdout.write('child output must not reach the caller\n')
    sys.stdout.flush()
    os.write(1, b'nor through fd 1\n')
    return value


class TestRunInChild:
    def test_value(self):
        outcome = run_in_child(_print_and_return, ({'a': 1},), 5)
        assert outcome.value == {'a': 1}
        assert not outcome.timed_out

    def test_child_output_is_discarded(self, capfd):
        run_in_child(_print_and_return, (1,), 5)
        out, _err = capfd.readouterr()
        assert 'must not reach' not in out and 'nor through' not in out

    def test_errno(self):
        outcome = run_in_child(_raise_errno, (errno.EPERM,), 5)
        assert outcome.errno == errno.EPERM
        assert outcome.strerror == os.strerror(errno.EPERM)

    def test_other_exception(self):
        outcome = run_in_child(int, ('not a number',), 5)
        assert outcome.error.startswith('ValueError')

    def test_timeout_returns_on_time_and_kills_the_child(self):
        started = time.time()
        outcome = run_in_child(_sleep, (30,), 0.3)
        assert outcome.timed_out
        assert time.time() - started < 2
        assert not outcome.abandoned
        with pytest.raises(OSError):
            os.kill(outcome.pid, 0)

    def test_timed_out_child_does_not_hold_the_callers_output(self):
        # The caller's stdout is a pipe, as under Ansible: it must reach EOF although the child sleeps on.
        code = ('import sys; sys.path[:0] = %r\n'
                'from ansible_collections.mountkit.aws.plugins.module_utils import bounded_call\n'
                'bounded_call.REAP_GRACE = 0\n'
                'import signal, os\n'
                'os.kill = lambda pid, sig: None  # simulate a child the kernel will not let die\n'
                'print(bounded_call.run_in_child(__import__("time").sleep, (20,), 0.2).abandoned)\n' % (sys.path,))
        started = time.time()
        proc = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, timeout=15, check=False)
        assert proc.stdout.strip() == b'True'
        assert time.time() - started < 10


class TestCompare:
    def test_equal(self):
        assert compare_bytes(b'abc', b'abc') == 3

    def test_short_read(self):
        with pytest.raises(ProbeMismatch) as info:
            compare_bytes(b'abcdef', b'abc')
        assert info.value.result == SHORT_READ
        assert 'read back 3 of 6 bytes' in info.value.detail

    def test_zeros(self):
        with pytest.raises(ProbeMismatch) as info:
            compare_bytes(b'abcd', b'\0\0\0\0')
        assert info.value.result == DATA_MISMATCH
        assert 'all zero bytes' in info.value.detail and 'offset 0' in info.value.detail

    def test_longer(self):
        with pytest.raises(ProbeMismatch) as info:
            compare_bytes(b'ab', b'abc')
        assert info.value.result == DATA_MISMATCH and '1 more than written' in info.value.detail


class TestResults:
    def test_errno_names(self):
        assert errno_name(errno.EPERM) == 'EPERM'
        assert errno_name(errno.ENOTSUP) in ('ENOTSUP', 'EOPNOTSUPP')
        assert errno_name(99999) == 'ERRNO_99999'

    def test_precondition_is_named(self):
        outcome = ChildOutcome(errno=errno.EIO, strerror='Input/output error', step='fsync',
                               precondition=True, seconds=0.1)
        result = outcome_to_result(outcome, 10)
        assert result['observed'] == 'EIO'
        assert result['detail'] == 'EIO at precondition fsync: Input/output error'

    def test_timeout(self):
        result = outcome_to_result(ChildOutcome(timed_out=True, abandoned=True, pid=42, seconds=3), 3)
        assert result['observed'] == TIMED_OUT
        assert 'left behind' in result['detail']


class TestOperationsOnLocalDisk:
    """A local POSIX file system does everything the nfs profile expects."""

    @pytest.mark.parametrize('name', OPERATIONS)
    def test_operation(self, tmp_path, name):
        result = run_operation(name, str(tmp_path), size=3 * 1024 * 1024 + 5, timeout=20)
        assert result_matches(expected_results('nfs')[name], result['observed']), result

    def test_sequential_verifies_size(self, tmp_path):
        result = run_operation('sequential', str(tmp_path), size=1000, timeout=10)
        assert result['bytes_verified'] == 1000

    def test_failure_names_the_step(self, tmp_path):
        os.chmod(str(tmp_path), 0o500)
        try:
            result = run_operation('append', str(tmp_path / 'missing'), timeout=10)
        finally:
            os.chmod(str(tmp_path), 0o700)
        assert result['observed'] == 'ENOENT'
        assert result['detail'].startswith('ENOENT at precondition open(O_CREAT|O_EXCL|O_WRONLY)')


class TestRunProbe:
    def test_full_probe_cleans_up_and_leaves_neighbours_alone(self, tmp_path):
        neighbour = tmp_path / 'keep.txt'
        neighbour.write_bytes(b'precious')
        report = run_probe(str(tmp_path), size=4096, timeout=20)
        assert set(report['results']) == set(OPERATIONS)
        assert report['leftovers'] == []
        assert report['hung'] is None
        assert report['scratch_dir'].startswith(str(tmp_path / PROBE_DIR_NAME) + '/')
        assert sorted(os.listdir(str(tmp_path))) == ['keep.txt']
        assert neighbour.read_bytes() == b'precious'
        assert report['bytes_verified'] >= 4096

    def test_existing_probe_dir_is_kept(self, tmp_path):
        (tmp_path / PROBE_DIR_NAME).mkdir()
        (tmp_path / PROBE_DIR_NAME / 'other-run').mkdir()
        report = run_probe(str(tmp_path), ['mkdir'], timeout=10)
        assert report['leftovers'] == []
        assert os.listdir(str(tmp_path / PROBE_DIR_NAME)) == ['other-run']

    def test_symlinked_probe_dir_is_refused(self, tmp_path):
        outside = tmp_path / 'outside'
        outside.mkdir()
        inside = tmp_path / 'mount'
        inside.mkdir()
        os.symlink(str(outside), str(inside / PROBE_DIR_NAME))
        report = run_probe(str(inside), ['mkdir', 'unlink'], timeout=10)
        assert set(item['observed'] for item in report['results'].values()) == {'ENOTDIR'}
        assert report['scratch_failure']['observed'] == 'ENOTDIR'
        assert os.listdir(str(outside)) == []

    def test_read_only_directory_reports_the_errno_for_every_operation(self, tmp_path):
        os.chmod(str(tmp_path), 0o500)
        try:
            report = run_probe(str(tmp_path), ['create_write_read', 'mkdir'], timeout=10)
        finally:
            os.chmod(str(tmp_path), 0o700)
        if os.geteuid() == 0:
            assert report['scratch_failure'] is None  # root ignores the mode
        else:
            assert set(item['observed'] for item in report['results'].values()) == {'EACCES'}

    def test_leftovers_are_reported(self, tmp_path, monkeypatch):
        real_unlink = os.unlink

        def refuse(path, *args, **kwargs):
            if path.endswith('create_write_read.dat'):
                raise OSError(errno.EPERM, 'Deletes are disabled', path)
            return real_unlink(path, *args, **kwargs)
        monkeypatch.setattr(os, 'unlink', refuse)
        report = run_probe(str(tmp_path), ['create_write_read'], timeout=10)
        paths = dict((item['path'], item['error']) for item in report['leftovers'])
        assert paths[os.path.join(report['scratch_dir'], 'create_write_read.dat')] == 'EPERM'
        assert paths[report['scratch_dir']] == 'ENOTEMPTY'

    def test_hung_mount_skips_the_rest(self, tmp_path, monkeypatch):
        calls = []

        def hangs(workdir, size):
            time.sleep(30)
        monkeypatch.setitem(io_probe.OPERATION_FUNCTIONS, 'fsync', hangs)

        def liveness(path, timeout):
            calls.append(timeout)
            return 'hung', 'ETIMEDOUT'
        started = time.time()
        report = run_probe(str(tmp_path), ['create_write_read', 'fsync', 'append', 'sequential'], timeout=0.5,
                           liveness=liveness)
        assert time.time() - started < 5
        assert report['hung'] == 'fsync'
        assert report['results']['create_write_read']['observed'] == 'ok'
        assert report['results']['fsync']['observed'] == TIMED_OUT
        assert [report['results'][name]['observed'] for name in ('append', 'sequential')] == [NOT_RUN, NOT_RUN]
        assert calls == [0.5]
        assert report['leftovers'] == [{'path': report['scratch_dir'], 'error': TIMED_OUT}]

    def test_slow_but_answering_mount_is_not_hung(self, tmp_path, monkeypatch):
        monkeypatch.setitem(io_probe.OPERATION_FUNCTIONS, 'fsync', lambda workdir, size: time.sleep(30))
        report = run_probe(str(tmp_path), ['fsync', 'mkdir'], timeout=0.5, liveness=lambda p, t: ('ok', None))
        assert report['hung'] is None
        assert report['results']['mkdir']['observed'] == 'ok'
        assert report['leftovers'] == []


def _shrink_later(path, data, delay):
    """In a child of the test: after delay, leave the file at half its length (a silent loss)."""
    pid = os.fork()
    if pid == 0:
        try:
            time.sleep(delay)
            with open(path, 'r+b') as handle:
                handle.truncate(len(data) // 2)
        finally:
            os._exit(0)  # pylint: disable=protected-access
    return pid


class TestReadExisting:
    def test_files_read_whole_every_time(self, tmp_path):
        (tmp_path / 'a.bin').write_bytes(b'x' * 5000)
        (tmp_path / 'sub').mkdir()
        (tmp_path / 'sub' / 'b.bin').write_bytes(b'y' * 3000)
        report = run_probe(str(tmp_path), [READ_EXISTING], existing_files=['a.bin', 'sub/b.bin'], watch=0.3)
        result = report['results'][READ_EXISTING]
        assert result['observed'] == 'ok', result
        assert result['bytes_verified'] == 8000
        assert result['detail'].endswith('each returned the same 8000 bytes')
        # Only reads: no scratch directory, and the files are as they were.
        assert report['scratch_dir'] is None and sorted(os.listdir(str(tmp_path))) == ['a.bin', 'sub']
        assert (tmp_path / 'a.bin').read_bytes() == b'x' * 5000

    def test_a_file_that_shrinks_while_watched_is_a_short_read(self, tmp_path):
        data = os.urandom(65536)
        (tmp_path / 'seed.bin').write_bytes(data)
        pid = _shrink_later(str(tmp_path / 'seed.bin'), data, 0.3)
        report = run_probe(str(tmp_path), [READ_EXISTING], existing_files=['seed.bin'], watch=5)
        os.waitpid(pid, 0)
        result = report['results'][READ_EXISTING]
        assert result['observed'] == SHORT_READ, result
        assert 'seed.bin: read 32768 of 65536 bytes without an error' in result['detail']
        assert result['seconds'] < 4  # the first anomaly ends the watch

    def test_other_bytes_than_before_are_a_mismatch(self, tmp_path):
        path = tmp_path / 'seed.bin'
        path.write_bytes(b'a' * 4096)
        pid = os.fork()
        if pid == 0:
            try:
                time.sleep(0.3)
                with open(str(path), 'r+b') as handle:
                    handle.write(b'b' * 4096)
            finally:
                os._exit(0)  # pylint: disable=protected-access
        report = run_probe(str(tmp_path), [READ_EXISTING], existing_files=['seed.bin'], watch=5)
        os.waitpid(pid, 0)
        assert report['results'][READ_EXISTING]['observed'] == DATA_MISMATCH

    def test_missing_file_reports_its_errno(self, tmp_path):
        report = run_probe(str(tmp_path), [READ_EXISTING], existing_files=['gone.bin'])
        result = report['results'][READ_EXISTING]
        assert result['observed'] == 'ENOENT'
        assert result['detail'].startswith('ENOENT at lstat of gone.bin')

    def test_final_symlink_is_not_followed(self, tmp_path):
        outside = tmp_path / 'outside.txt'
        outside.write_bytes(b'secret')
        (tmp_path / 'mnt').mkdir()
        os.symlink(str(outside), str(tmp_path / 'mnt' / 'link'))
        report = run_probe(str(tmp_path / 'mnt'), [READ_EXISTING], existing_files=['link'])
        result = report['results'][READ_EXISTING]
        assert result['observed'] == 'ERROR' and 'not a regular file' in result['detail'], result

    def test_directory_symlink_leading_outside_is_refused(self, tmp_path):
        (tmp_path / 'outside').mkdir()
        (tmp_path / 'outside' / 'f').write_bytes(b'secret')
        (tmp_path / 'mnt').mkdir()
        os.symlink(str(tmp_path / 'outside'), str(tmp_path / 'mnt' / 'dir'))
        report = run_probe(str(tmp_path / 'mnt'), [READ_EXISTING], existing_files=['dir/f'])
        result = report['results'][READ_EXISTING]
        assert result['observed'] == 'ERROR' and 'outside' in result['detail'], result

    def test_fifo_does_not_block(self, tmp_path):
        os.mkfifo(str(tmp_path / 'pipe'))
        report = run_probe(str(tmp_path), [READ_EXISTING], existing_files=['pipe'], timeout=5)
        result = report['results'][READ_EXISTING]
        assert result['observed'] == 'ERROR' and 'not a regular file' in result['detail'], result

    def test_runs_before_the_scratch_operations(self, tmp_path):
        (tmp_path / 'seed.bin').write_bytes(b'z' * 100)
        report = run_probe(str(tmp_path), [READ_EXISTING, 'create_write_read'], existing_files=['seed.bin'])
        assert list(report['results']) == [READ_EXISTING, 'create_write_read']
        assert all(item['observed'] == 'ok' for item in report['results'].values())
        assert sorted(os.listdir(str(tmp_path))) == ['seed.bin']


class TestVersionAwareOperations:
    """The operations added for Mountpoint's release differences, on a local file system (everything works)."""

    @pytest.mark.parametrize('name', ['sync_open', 'reopen_after_close', 'rename_replace'])
    def test_local_file_system_passes(self, tmp_path, name):
        result = run_operation(name, str(tmp_path), timeout=10)
        assert result['observed'] == 'ok', result
        assert result['bytes_verified'] == io_probe.SMALL

    def test_rename_replace_leaves_the_source_data_at_the_target(self, tmp_path):
        io_probe.op_rename_replace(str(tmp_path), 0)
        assert sorted(os.listdir(str(tmp_path))) == ['rename_replace.dst']
        assert os.path.getsize(str(tmp_path / 'rename_replace.dst')) == io_probe.SMALL

    def test_reopen_after_close_writes_through_the_duplicate(self, tmp_path):
        io_probe.op_reopen_after_close(str(tmp_path), 0)
        assert os.path.getsize(str(tmp_path / 'reopen_after_close.dat')) == io_probe.SMALL + len(b'more')


class TestDirectoryPair:
    def test_pair_and_remount_check(self, tmp_path):
        pair = io_probe.make_directory_pair(str(tmp_path))
        assert os.path.isdir(pair['empty']) and os.path.getsize(pair['file']) == io_probe.SMALL
        assert io_probe.check_directory_pair_after_remount(pair) is True
        os.rmdir(pair['empty'])
        assert io_probe.check_directory_pair_after_remount(pair) is False

    def test_judge(self, tmp_path):
        pair = {'empty': '/m/p/empty.dir', 'full': '/m/p/full.dir', 'file': '/m/p/full.dir/file.dat'}
        listing = {'/m/p/full.dir': ['p/full.dir/file.dat'], '/m/p/empty.dir': []}
        verdict = io_probe.judge_directory_pair(pair, listing.get)
        assert verdict['observed'] == 'NO_EFFECT' and 'vanishes at a remount' in verdict['detail']
        listing['/m/p/empty.dir'] = ['p/empty.dir/']
        assert io_probe.judge_directory_pair(pair, listing.get)['observed'] == 'ok'
        listing['/m/p/full.dir'] = []
        verdict = io_probe.judge_directory_pair(pair, listing.get)
        assert verdict['observed'] == 'NO_EFFECT' and 'file written' in verdict['detail']

    def test_run_probe_lists_the_bucket_in_the_caller(self, tmp_path):
        seen = []

        def keys_under(path):
            seen.append(os.path.basename(path))
            return ['k']
        report = run_probe(str(tmp_path), ['empty_dir'], keys_under=keys_under)
        assert report['results']['empty_dir']['observed'] == 'ok'
        assert seen == ['full.dir', 'empty.dir'] and report['leftovers'] == []

    def test_without_a_bucket_view_it_is_an_error(self, tmp_path):
        report = run_probe(str(tmp_path), ['empty_dir'])
        assert report['results']['empty_dir']['observed'] == 'ERROR'


def test_probe_root_is_made_when_missing_and_everything_stays_in_it(tmp_path):
    root = tmp_path / 'mnt'
    root.mkdir()
    (root / 'existing.txt').write_bytes(b'x')
    report = run_probe(str(root), ['create_write_read', 'mkdir'], probe_root=str(root / 'ops' / 'probes'))
    assert report['scratch_dir'].startswith(str(root / 'ops' / 'probes' / PROBE_DIR_NAME) + '/')
    assert report['leftovers'] == []
    assert sorted(os.listdir(str(root))) == ['existing.txt', 'ops']
    assert os.listdir(str(root / 'ops' / 'probes')) == []


def test_open_writers_holds_them_all_open(tmp_path):
    report = run_probe(str(tmp_path), ['open_writers'], open_writers=5)
    result = report['results']['open_writers']
    assert result['observed'] == 'ok' and result['detail'] == '5 files were open for writing at once'
    assert report['leftovers'] == []


def test_open_writers_names_the_open_that_failed(tmp_path):
    with pytest.raises(OSError) as caught:
        io_probe.op_open_writers(str(tmp_path / 'missing'), 3)
    assert caught.value.probe_step == 'open of writer 1 (0 open)'
