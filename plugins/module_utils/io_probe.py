# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Probe operations that show what a mounted file system really does.

The operations write their own files in a scratch directory; read_existing only reads files
that were there before, to catch silent loss of data the probe did not write.

Every operation runs in a forked child with a timeout, so a hung mount (FUSE daemon stuck,
NFS server gone) never blocks the caller: the child is killed, or abandoned if the kernel
keeps it in uninterruptible sleep. The child closes every inherited file descriptor, so an
abandoned child cannot hold Ansible's output pipe open either.

An operation's result is 'ok', the errno name of the first failing call (EPERM, EIO, ...),
ETIMEDOUT when it did not finish in time, or a name for a silent failure: SHORT_READ (fewer
bytes read back than written, no error), DATA_MISMATCH (wrong bytes), NO_EFFECT (the call
succeeded but its effect is not visible).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import hashlib
import os
import stat
import time
import uuid

from ansible_collections.mountkit.aws.plugins.module_utils.bounded_call import (
    NamedResult, errno_name, run_in_child,
)

OK = 'ok'
TIMED_OUT = 'ETIMEDOUT'
SHORT_READ = 'SHORT_READ'
DATA_MISMATCH = 'DATA_MISMATCH'
NO_EFFECT = 'NO_EFFECT'
NOT_RUN = 'NOT_RUN'
UNEXPECTED_ERROR = 'ERROR'
SILENT_RESULTS = (SHORT_READ, DATA_MISMATCH, NO_EFFECT)
SPECIAL_RESULTS = (OK, SHORT_READ, DATA_MISMATCH, NO_EFFECT, NOT_RUN, UNEXPECTED_ERROR)

# Canonical order; cheap single-file operations first, the bulk transfer last.
OPERATIONS = (
    'create_write_read', 'fsync', 'sync_open', 'append', 'overwrite_trunc', 'partial_overwrite', 'truncate',
    'reopen_after_close', 'rename_file', 'rename_replace', 'rename_dir', 'unlink', 'mkdir', 'rmdir', 'symlink',
    'hardlink', 'chmod', 'xattr', 'sequential',
)

# Reads files that were there before the probe, instead of writing new ones; runs first, without scratch.
READ_EXISTING = 'read_existing'
# Compares the mount with the bucket seen through the S3 API; runs only when asked and given that view.
EMPTY_DIR = 'empty_dir'
# Holds many files open for writing at once (Mountpoint 1.24 caps them); runs only when asked.
OPEN_WRITERS = 'open_writers'
DEFAULT_OPEN_WRITERS = 16
ALL_OPERATIONS = OPERATIONS + (EMPTY_DIR, OPEN_WRITERS, READ_EXISTING)

PROBE_DIR_NAME = '.mountkit-probe'
DEFAULT_SIZE = 1024 * 1024
DEFAULT_TIMEOUT = 10.0
SMALL = 8192
CHUNK = 1024 * 1024
XATTR_NAME = 'user.mountkit.probe'
SYMLINK_TARGET = 'mountkit-symlink-target'


class ProbeMismatch(NamedResult):
    """A call succeeded but its effect was wrong: result is SHORT_READ, DATA_MISMATCH or NO_EFFECT."""


class _Step(object):
    """Label the call that fails, so a result says where: 'EPERM at open(O_APPEND)'."""

    def __init__(self, label, precondition=False):
        self.label = label
        self.precondition = precondition

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc is not None and not hasattr(exc, 'probe_step'):
            try:
                exc.probe_step = self.label
                exc.probe_precondition = self.precondition
            except AttributeError:
                pass
        return False


def _write_all(fd, data):
    view = memoryview(data)
    while len(view):
        view = view[os.write(fd, view):]


def _close_quietly(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def _write_file(path, flags, flags_label, data, sync=False, offset=None, precondition=False):
    """open(flags), optionally lseek to offset, write data, optionally fsync, close; each call a step."""
    with _Step('open(%s)' % flags_label, precondition):
        fd = os.open(path, flags, 0o644)
    try:
        if offset is not None:
            with _Step('lseek', precondition):
                os.lseek(fd, offset, os.SEEK_SET)
        with _Step('write' if offset is None else 'write at offset %d' % offset, precondition):
            _write_all(fd, data)
        if sync:
            with _Step('fsync', precondition):
                os.fsync(fd)
    except BaseException:
        _close_quietly(fd)
        raise
    with _Step('close', precondition):
        os.close(fd)


def write_new_file(path, data):
    """Create path, write data, fsync and close it, each call a step (the errno names the one that failed)."""
    _write_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 'O_CREAT|O_EXCL|O_WRONLY', data, sync=True)


def _create(path, data, sync, precondition=False):
    """Write a new file. As a precondition it is fsynced, so Mountpoint completes the upload."""
    _write_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 'O_CREAT|O_EXCL|O_WRONLY', data, sync=sync,
                precondition=precondition)


def _read_exact(fd, length):
    parts = []
    remaining = length
    while remaining > 0:
        block = os.read(fd, min(remaining, CHUNK))
        if not block:
            break
        parts.append(block)
        remaining -= len(block)
    return b''.join(parts)


def _read_all(path):
    with _Step('open(O_RDONLY) to read back'):
        fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        with _Step('read back'):
            while True:
                block = os.read(fd, CHUNK)
                if not block:
                    break
                parts.append(block)
    finally:
        _close_quietly(fd)
    return b''.join(parts)


def _first_difference(expected, actual):
    for offset in range(min(len(expected), len(actual))):
        if expected[offset] != actual[offset]:
            return offset
    return min(len(expected), len(actual))


def compare_bytes(expected, actual):
    """Return len(expected) when equal; raise ProbeMismatch(SHORT_READ or DATA_MISMATCH) otherwise."""
    if actual == expected:
        return len(expected)
    offset = _first_difference(expected, actual)
    zeros = ' (all zero bytes)' if actual and actual.count(b'\0') == len(actual) else ''
    if len(actual) < len(expected):
        raise ProbeMismatch(SHORT_READ, 'read back %d of %d bytes without an error%s; first difference at offset %d'
                            % (len(actual), len(expected), zeros, offset))
    if len(actual) > len(expected):
        raise ProbeMismatch(DATA_MISMATCH, 'read back %d bytes, %d more than written%s; first difference at offset %d'
                            % (len(actual), len(actual) - len(expected), zeros, offset))
    raise ProbeMismatch(DATA_MISMATCH, 'read back %d bytes that differ from those written%s; first difference at offset %d'
                        % (len(actual), zeros, offset))


def _verify(path, expected):
    return compare_bytes(expected, _read_all(path))


def _assert_gone(path, what):
    try:
        os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return
        raise
    raise ProbeMismatch(NO_EFFECT, '%s succeeded but %s still exists' % (what, os.path.basename(path)))


def _verified(count):
    return {'bytes_verified': count}


def op_create_write_read(workdir, size):
    path = os.path.join(workdir, 'create_write_read.dat')
    data = os.urandom(SMALL)
    _create(path, data, sync=False)
    return _verified(_verify(path, data))


def op_fsync(workdir, size):
    path = os.path.join(workdir, 'fsync.dat')
    data = os.urandom(SMALL)
    _create(path, data, sync=True)
    return _verified(_verify(path, data))


def op_append(workdir, size):
    path = os.path.join(workdir, 'append.dat')
    first, second = os.urandom(SMALL // 2), os.urandom(SMALL // 2)
    _create(path, first, sync=True, precondition=True)
    _write_file(path, os.O_WRONLY | os.O_APPEND, 'O_WRONLY|O_APPEND', second)
    return _verified(_verify(path, first + second))


def op_overwrite_trunc(workdir, size):
    path = os.path.join(workdir, 'overwrite_trunc.dat')
    _create(path, os.urandom(SMALL), sync=True, precondition=True)
    replacement = os.urandom(SMALL // 2)
    _write_file(path, os.O_WRONLY | os.O_TRUNC, 'O_WRONLY|O_TRUNC', replacement)
    return _verified(_verify(path, replacement))


def op_sync_open(workdir, size):
    path = os.path.join(workdir, 'sync_open.dat')
    data = os.urandom(SMALL)
    _write_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_SYNC, 'O_CREAT|O_EXCL|O_WRONLY|O_SYNC', data)
    return _verified(_verify(path, data))


def op_reopen_after_close(workdir, size):
    """Write, dup the handle, close the original, open again to read, then write through the duplicate.

    Tools such as dd and shells hold duplicates like this. Mountpoint completes the upload at the
    close; since 1.22 the new open invalidates the duplicate (EBADF), before that the duplicate
    found the upload completed (EIO) or the open failed now and then (EPERM).
    """
    path = os.path.join(workdir, 'reopen_after_close.dat')
    data = os.urandom(SMALL)
    with _Step('open(O_CREAT|O_EXCL|O_WRONLY)'):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    duplicate = None
    try:
        with _Step('write'):
            _write_all(fd, data)
        with _Step('dup'):
            duplicate = os.dup(fd)
        with _Step('close of the original handle'):
            os.close(fd)
        fd = None
        with _Step('open(O_RDONLY) after close'):
            reader = os.open(path, os.O_RDONLY)
        try:
            with _Step('read after reopen'):
                verified = compare_bytes(data, _read_exact(reader, SMALL + 1))
        finally:
            _close_quietly(reader)
        with _Step('write through the duplicate after the reopen'):
            _write_all(duplicate, b'more')
        with _Step('close of the duplicate'):
            os.close(duplicate)
        duplicate = None
    finally:
        for handle in (fd, duplicate):
            if handle is not None:
                _close_quietly(handle)
    return _verified(verified)


def op_partial_overwrite(workdir, size):
    path = os.path.join(workdir, 'partial_overwrite.dat')
    original = os.urandom(SMALL)
    patch = os.urandom(1024)
    offset = SMALL // 2
    _create(path, original, sync=True, precondition=True)
    _write_file(path, os.O_RDWR, 'O_RDWR', patch, offset=offset)
    return _verified(_verify(path, original[:offset] + patch + original[offset + len(patch):]))


def op_truncate(workdir, size):
    path = os.path.join(workdir, 'truncate.dat')
    original = os.urandom(SMALL)
    _create(path, original, sync=True, precondition=True)
    with _Step('truncate'):
        os.truncate(path, SMALL // 2)
    return _verified(_verify(path, original[:SMALL // 2]))


def op_rename_file(workdir, size):
    source = os.path.join(workdir, 'rename_file.src')
    target = os.path.join(workdir, 'rename_file.dst')
    data = os.urandom(SMALL)
    _create(source, data, sync=True, precondition=True)
    with _Step('rename'):
        os.rename(source, target)
    verified = _verify(target, data)
    _assert_gone(source, 'rename')
    return _verified(verified)


def op_rename_replace(workdir, size):
    """Rename a file onto an existing one (replacing rename)."""
    source = os.path.join(workdir, 'rename_replace.src')
    target = os.path.join(workdir, 'rename_replace.dst')
    data = os.urandom(SMALL)
    _create(source, data, sync=True, precondition=True)
    _create(target, os.urandom(SMALL // 2), sync=True, precondition=True)
    with _Step('rename onto an existing file'):
        os.rename(source, target)
    verified = _verify(target, data)
    _assert_gone(source, 'rename')
    return _verified(verified)


def op_rename_dir(workdir, size):
    source = os.path.join(workdir, 'rename_dir.src')
    target = os.path.join(workdir, 'rename_dir.dst')
    data = os.urandom(SMALL)
    with _Step('mkdir', precondition=True):
        os.mkdir(source, 0o755)
    # A file makes the directory exist remotely (Mountpoint, s3fs), which is what rename must move.
    _create(os.path.join(source, 'file.dat'), data, sync=True, precondition=True)
    with _Step('rename'):
        os.rename(source, target)
    verified = _verify(os.path.join(target, 'file.dat'), data)
    _assert_gone(source, 'rename')
    return _verified(verified)


def op_unlink(workdir, size):
    path = os.path.join(workdir, 'unlink.dat')
    _create(path, os.urandom(SMALL), sync=True, precondition=True)
    with _Step('unlink'):
        os.unlink(path)
    _assert_gone(path, 'unlink')
    return None


def op_mkdir(workdir, size):
    path = os.path.join(workdir, 'mkdir.dir')
    with _Step('mkdir'):
        os.mkdir(path, 0o755)
    with _Step('stat'):
        mode = os.lstat(path).st_mode
    if not stat.S_ISDIR(mode):
        raise ProbeMismatch(NO_EFFECT, 'mkdir succeeded but the new entry is not a directory')
    return None


def op_rmdir(workdir, size):
    path = os.path.join(workdir, 'rmdir.dir')
    with _Step('mkdir', precondition=True):
        os.mkdir(path, 0o755)
    with _Step('rmdir'):
        os.rmdir(path)
    _assert_gone(path, 'rmdir')
    return None


def op_symlink(workdir, size):
    path = os.path.join(workdir, 'symlink.lnk')
    with _Step('symlink'):
        os.symlink(SYMLINK_TARGET, path)
    with _Step('readlink'):
        target = os.readlink(path)
    if target != SYMLINK_TARGET:
        raise ProbeMismatch(DATA_MISMATCH, 'readlink returned %r instead of %r' % (target, SYMLINK_TARGET))
    return None


def op_hardlink(workdir, size):
    source = os.path.join(workdir, 'hardlink.src')
    target = os.path.join(workdir, 'hardlink.lnk')
    data = os.urandom(SMALL)
    _create(source, data, sync=True, precondition=True)
    with _Step('link'):
        os.link(source, target)
    return _verified(_verify(target, data))


def op_chmod(workdir, size):
    path = os.path.join(workdir, 'chmod.dat')
    _create(path, os.urandom(SMALL), sync=True, precondition=True)
    with _Step('chmod'):
        os.chmod(path, 0o600)
    with _Step('stat'):
        mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode != 0o600:
        raise ProbeMismatch(NO_EFFECT, 'chmod 0600 succeeded but the mode is %04o' % mode)
    return None


def op_xattr(workdir, size):
    path = os.path.join(workdir, 'xattr.dat')
    _create(path, os.urandom(SMALL), sync=True, precondition=True)
    if not hasattr(os, 'setxattr'):
        raise RuntimeError('extended attribute calls are not available on this platform')
    value = b'probe'
    with _Step('setxattr'):
        os.setxattr(path, XATTR_NAME, value)  # pylint: disable=no-member
    with _Step('getxattr'):
        read = os.getxattr(path, XATTR_NAME)  # pylint: disable=no-member
    if read != value:
        raise ProbeMismatch(DATA_MISMATCH, 'getxattr returned %r instead of %r' % (read, value))
    return None


EMPTY_DIR_NAME = 'empty.dir'
FULL_DIR_NAME = 'full.dir'
FULL_DIR_FILE = 'file.dat'


def make_directory_pair(workdir):
    """mkdir an empty directory and one holding a file (fsynced, so it is uploaded); both must stat as dirs.

    Returns {'empty': path, 'full': path, 'file': path}.
    """
    empty = os.path.join(workdir, EMPTY_DIR_NAME)
    full = os.path.join(workdir, FULL_DIR_NAME)
    with _Step('mkdir of the empty directory'):
        os.mkdir(empty, 0o755)
    with _Step('mkdir of the directory for a file', precondition=True):
        os.mkdir(full, 0o755)
    _create(os.path.join(full, FULL_DIR_FILE), os.urandom(SMALL), sync=True, precondition=True)
    for path in (empty, full):
        with _Step('stat of %s' % os.path.basename(path)):
            mode = os.lstat(path).st_mode
        if not stat.S_ISDIR(mode):
            raise ProbeMismatch(NO_EFFECT, 'mkdir succeeded but %s is not a directory' % os.path.basename(path))
    return {'empty': empty, 'full': full, 'file': os.path.join(full, FULL_DIR_FILE)}


def op_open_writers(workdir, count):
    """Open count new files for writing at once, write a byte to each, then close them all."""
    handles = []
    try:
        for number in range(1, count + 1):
            with _Step('open of writer %d (%d open)' % (number, len(handles))):
                handles.append(os.open(os.path.join(workdir, 'writer-%04d.dat' % number),
                                       os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            with _Step('write to writer %d' % number):
                _write_all(handles[-1], b'w')
        while handles:
            with _Step('close of writer %d' % len(handles)):
                os.close(handles.pop())
    finally:
        for handle in handles:
            _close_quietly(handle)
    return {'writers': count}


def op_empty_dir(workdir, size):
    return make_directory_pair(workdir)


def judge_directory_pair(pair, keys_under):
    """The bucket's side of empty_dir: keys_under(directory path) lists the keys below that directory.

    The directory holding a file must be in the bucket (else NO_EFFECT: the written file is not
    there). The empty one is 'ok' when the bucket holds it (a marker object, as s3fs writes) and
    NO_EFFECT when it holds nothing below it: the directory exists only in this mount's memory and
    is gone after a remount (Mountpoint). Returns {observed, detail}.
    """
    full_keys = keys_under(pair['full'])
    if not full_keys:
        return {'observed': NO_EFFECT, 'detail': 'the file written in %s is not in the bucket (no key below it)'
                                                 % FULL_DIR_NAME}
    empty_keys = keys_under(pair['empty'])
    if empty_keys:
        return {'observed': OK, 'detail': 'the empty directory is in the bucket as %s; the one holding a file as %s'
                                          % (', '.join(empty_keys), ', '.join(full_keys))}
    return {'observed': NO_EFFECT,
            'detail': 'mkdir succeeded but the bucket holds nothing below the empty directory, so it is local to '
                      'this mount and vanishes at a remount; the directory holding a file is in the bucket (%s)'
                      % ', '.join(full_keys)}


def check_directory_pair_after_remount(pair):
    """After a remount: the directory holding a file is still there; return whether the empty one survived."""
    with _Step('stat of %s after the remount' % FULL_DIR_NAME):
        if not stat.S_ISDIR(os.lstat(pair['full']).st_mode):
            raise ProbeMismatch(NO_EFFECT, '%s is no directory after the remount' % FULL_DIR_NAME)
    with _Step('read of %s after the remount' % FULL_DIR_FILE):
        if len(_read_all(pair['file'])) != SMALL:
            raise ProbeMismatch(SHORT_READ, '%s lost bytes across the remount' % FULL_DIR_FILE)
    try:
        os.lstat(pair['empty'])
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise
    return True


def _chunk_lengths(size):
    full, rest = divmod(size, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


def op_sequential(workdir, size):
    """Write size bytes sequentially, read them back and compare chunk by chunk (digests, not copies)."""
    path = os.path.join(workdir, 'sequential.dat')
    digests = []
    with _Step('open(O_CREAT|O_EXCL|O_WRONLY)'):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with _Step('write'):
            for length in _chunk_lengths(size):
                block = os.urandom(length)
                digests.append(hashlib.sha256(block).digest())
                _write_all(fd, block)
    except BaseException:
        _close_quietly(fd)
        raise
    with _Step('close'):
        os.close(fd)
    with _Step('open(O_RDONLY) to read back'):
        fd = os.open(path, os.O_RDONLY)
    try:
        offset = 0
        with _Step('read back'):
            for length, digest in zip(_chunk_lengths(size), digests):
                block = _read_exact(fd, length)
                if len(block) < length:
                    raise ProbeMismatch(SHORT_READ, 'read back %d of %d bytes without an error'
                                        % (offset + len(block), size))
                if hashlib.sha256(block).digest() != digest:
                    raise ProbeMismatch(DATA_MISMATCH, 'bytes %d-%d differ from what was written'
                                        % (offset, offset + length - 1))
                offset += length
            if os.read(fd, 1):
                raise ProbeMismatch(DATA_MISMATCH, 'file is longer than the %d bytes written' % size)
    finally:
        _close_quietly(fd)
    return _verified(size)


def _check_existing(root, relative):
    """lstat a file below root: its size, if it is a regular file that resolves below root."""
    path = os.path.join(root, relative)
    with _Step('lstat of %s' % relative):
        info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ProbeMismatch(UNEXPECTED_ERROR, '%s is not a regular file' % relative)
    # A directory symlink on the way could lead outside the mount; the probe reads only below root.
    if not os.path.realpath(path).startswith(os.path.realpath(root).rstrip('/') + '/'):
        raise ProbeMismatch(UNEXPECTED_ERROR, '%s resolves to a file outside %s' % (relative, root))
    return info.st_size


def _read_existing_once(root, relative):
    """stat, then open (never following a final symlink, never blocking) and read to the end.

    Returns (bytes read, digest, the errno name of a failed stat or None). As with most readers,
    a failed stat does not stop the open and read that follow: whether they then fail or
    silently return less is what this is looking for.
    """
    try:
        os.lstat(os.path.join(root, relative))
        stat_error = None
    except OSError as exc:
        stat_error = errno_name(exc.errno)
    with _Step('open(O_RDONLY) of %s' % relative):
        fd = os.open(os.path.join(root, relative), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        digest = hashlib.sha256()
        count = 0
        with _Step('read of %s' % relative):
            while True:
                block = os.read(fd, CHUNK)
                if not block:
                    break
                digest.update(block)
                count += len(block)
    finally:
        _close_quietly(fd)
    return count, digest.hexdigest(), stat_error


def op_read_existing(root, files, watch, pause=0.05):
    """Read files that existed before the probe, once or again and again for watch seconds.

    A read that ends short of the file's size (lstat, once at the start) or of the first read,
    or that returns other bytes than the first read, raises ProbeMismatch (SHORT_READ or
    DATA_MISMATCH): that is the silent loss (for example s3fs reading a deleted object as
    empty) that an errno would not show. The first anomaly or error ends the watch. Nothing is
    written.
    """
    sizes = dict((relative, _check_existing(root, relative)) for relative in files)
    first = {}
    reads = 0
    deadline = time.time() + watch
    while True:
        for relative in files:
            count, digest, stat_error = _read_existing_once(root, relative)
            reads += 1
            before = first.setdefault(relative, (count, digest))
            note = ' (read %d%s)' % (reads, ', after stat failed with %s' % stat_error if stat_error else '')
            if count < sizes[relative]:
                raise ProbeMismatch(SHORT_READ, '%s: read %d of %d bytes without an error%s'
                                    % (relative, count, sizes[relative], note))
            if count < before[0]:
                raise ProbeMismatch(SHORT_READ, '%s: read %d bytes without an error, %d before%s'
                                    % (relative, count, before[0], note))
            if (count, digest) != before:
                raise ProbeMismatch(DATA_MISMATCH, '%s: read %d bytes that differ from the %d read before%s'
                                    % (relative, count, before[0], note))
        if time.time() >= deadline:
            break
        time.sleep(pause)
    return {'bytes_verified': sum(count for count, _digest in first.values()), 'reads': reads}


OPERATION_FUNCTIONS = {
    'create_write_read': op_create_write_read,
    'fsync': op_fsync,
    'append': op_append,
    'sync_open': op_sync_open,
    'overwrite_trunc': op_overwrite_trunc,
    'partial_overwrite': op_partial_overwrite,
    'truncate': op_truncate,
    'reopen_after_close': op_reopen_after_close,
    'rename_file': op_rename_file,
    'rename_replace': op_rename_replace,
    'rename_dir': op_rename_dir,
    'unlink': op_unlink,
    'mkdir': op_mkdir,
    'rmdir': op_rmdir,
    'symlink': op_symlink,
    'hardlink': op_hardlink,
    'chmod': op_chmod,
    'xattr': op_xattr,
    'sequential': op_sequential,
    'empty_dir': op_empty_dir,
    'open_writers': op_open_writers,
}


def outcome_to_result(outcome, timeout):
    """Turn a ChildOutcome into {observed, detail, bytes_verified, seconds}."""
    result = {'observed': OK, 'detail': None, 'bytes_verified': 0, 'seconds': outcome.seconds}
    if outcome.timed_out:
        result['observed'] = TIMED_OUT
        result['detail'] = 'no answer within %gs; child process %d %s' % (
            timeout, outcome.pid, 'left behind (stuck in the kernel)' if outcome.abandoned else 'killed')
    elif outcome.errno is not None:
        result['observed'] = errno_name(outcome.errno)
        where = outcome.step or 'operation'
        if outcome.precondition:
            where = 'precondition %s' % where
        result['detail'] = '%s at %s: %s' % (result['observed'], where, outcome.strerror)
    elif outcome.result is not None:
        result['observed'] = outcome.result
        result['detail'] = outcome.strerror
    elif outcome.error is not None:
        result['observed'] = UNEXPECTED_ERROR
        result['detail'] = outcome.error
    else:
        value = outcome.value or {}
        result['bytes_verified'] = value.get('bytes_verified', 0)
        if 'reads' in value:
            result['detail'] = '%d read(s), each returned the same %d bytes' % (value['reads'], result['bytes_verified'])
        elif result['bytes_verified']:
            result['detail'] = '%d bytes read back intact' % result['bytes_verified']
    return result


def run_operation(name, workdir, size=DEFAULT_SIZE, timeout=DEFAULT_TIMEOUT):
    """Run one operation in a child inside workdir; returns {observed, detail, bytes_verified, seconds}."""
    return outcome_to_result(run_in_child(OPERATION_FUNCTIONS[name], (workdir, size), timeout), timeout)


def _make_scratch(parent, scratch, make_root=False):
    created_parent = False
    for _attempt in range(2):
        try:
            with _Step('mkdir %s' % PROBE_DIR_NAME):
                os.mkdir(parent, 0o700)
            created_parent = True
        except OSError as exc:
            if exc.errno == errno.ENOENT and make_root:
                # A named probe location may not exist yet (on an object store it exists once something is in it).
                with _Step('mkdir of the probe location %s' % os.path.dirname(parent)):
                    os.makedirs(os.path.dirname(parent), 0o755)
                continue
            if exc.errno != errno.EEXIST:
                raise
            # Never follow a symlink planted here: the probe must stay inside path.
            if not stat.S_ISDIR(os.lstat(parent).st_mode):
                raise OSError(errno.ENOTDIR, 'exists and is not a directory', parent)
        try:
            with _Step('mkdir of the scratch directory'):
                os.mkdir(scratch, 0o700)
            return {'created_parent': created_parent}
        except OSError as exc:
            if exc.errno != errno.ENOENT:  # a concurrent probe removed the shared parent: retry once
                raise
    raise OSError(errno.ENOENT, 'probe directory vanished twice', parent)


def create_scratch_dir(path, timeout=DEFAULT_TIMEOUT, make_root=False):
    """Create <path>/.mountkit-probe/<uuid>/ in a child; with make_root, path too when it is missing.

    Returns (scratch_dir, created_parent, failure): failure is None, or a result dict
    ({observed, detail, ...}) when the directory could not be made.
    """
    parent = os.path.join(path, PROBE_DIR_NAME)
    scratch = os.path.join(parent, uuid.uuid4().hex)
    outcome = run_in_child(_make_scratch, (parent, scratch, make_root), timeout)
    if outcome.timed_out or outcome.errno is not None or outcome.error is not None:
        failure = outcome_to_result(outcome, timeout)
        failure['detail'] = 'scratch directory not created: %s' % failure['detail']
        return scratch, False, failure
    return scratch, bool(outcome.value['created_parent']), None


def _remove_tree(scratch, parent):
    """Remove scratch bottom-up; return what is left as [{path, error}]. Symlinks are never followed."""
    leftovers = []

    def attempt(remove, path):
        try:
            remove(path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                leftovers.append({'path': path, 'error': errno_name(exc.errno)})

    for root, dirs, files in os.walk(scratch, topdown=False):
        for name in files:
            attempt(os.unlink, os.path.join(root, name))
        for name in dirs:
            path = os.path.join(root, name)
            attempt(os.unlink if os.path.islink(path) else os.rmdir, path)
    attempt(os.rmdir, scratch)
    if parent:
        try:
            os.rmdir(parent)
        except OSError:
            pass  # still used by another probe, or by our own leftovers
    return leftovers


def remove_scratch_dir(scratch, parent=None, timeout=DEFAULT_TIMEOUT):
    """Remove scratch (and parent if given and empty) in a child; return leftovers [{path, error}]."""
    outcome = run_in_child(_remove_tree, (scratch, parent), timeout)
    if outcome.timed_out:
        return [{'path': scratch, 'error': TIMED_OUT}]
    if outcome.errno is not None:
        return [{'path': scratch, 'error': errno_name(outcome.errno)}]
    if outcome.error is not None:
        return [{'path': scratch, 'error': outcome.error}]
    return outcome.value


def _not_run(report):
    return {'observed': NOT_RUN, 'bytes_verified': 0, 'seconds': 0,
            'detail': 'not run: the mount hung during %s' % report['hung']}


def _record(report, name, result, where, timeout, liveness):
    """Keep an operation's result; after a timeout, ask liveness whether the mount hangs."""
    report['results'][name] = result
    report['bytes_verified'] += result['bytes_verified']
    if result['observed'] == TIMED_OUT and liveness is not None:
        state, _detail = liveness(where, min(timeout, 3.0))
        if state == 'hung':
            report['hung'] = name


def _run_empty_dir(scratch, timeout, keys_under):
    """empty_dir: the directories are made in a child; the bucket is listed here, by keys_under."""
    outcome = run_in_child(op_empty_dir, (scratch, 0), timeout)
    result = outcome_to_result(outcome, timeout)
    if result['observed'] != OK:
        return result
    if keys_under is None:
        result.update(observed=UNEXPECTED_ERROR, detail='empty_dir needs the bucket seen through the S3 API')
        return result
    try:
        result.update(judge_directory_pair(outcome.value, keys_under))
    except Exception as exc:  # pylint: disable=broad-except
        result.update(observed=UNEXPECTED_ERROR, detail='listing the bucket failed: %s' % exc)
    return result


def run_probe(path, operations=OPERATIONS, size=DEFAULT_SIZE, timeout=DEFAULT_TIMEOUT, liveness=None,
              existing_files=(), watch=0.0, probe_root=None, keys_under=None, open_writers=DEFAULT_OPEN_WRITERS):
    """Run operations in a fresh scratch directory under probe_root (default path) and clean up after them.

    empty_dir needs keys_under(directory path) -> the bucket's keys below that directory.

    read_existing, if among operations, runs first and reads existing_files (relative to path)
    for watch seconds, with timeout + watch to finish; it needs no scratch directory, and none
    is made when it is the only operation.

    liveness(path, timeout) -> (state, detail) is asked after an operation times out; when it
    says 'hung' the remaining operations are not run (NOT_RUN), so a hung mount costs about
    one timeout instead of one per operation.

    Returns a dict: scratch_dir (None when none was needed), results {op: {observed, detail,
    bytes_verified, seconds}}, bytes_verified, leftovers [{path, error}], hung (the operation
    after which the mount was found hung, or None) and scratch_failure (None, or the result of
    the failed mkdir, which every scratch operation then reports too).
    """
    report = {'scratch_dir': None, 'results': {}, 'bytes_verified': 0, 'leftovers': [], 'hung': None,
              'scratch_failure': None}
    if READ_EXISTING in operations:
        outcome = run_in_child(op_read_existing, (path, list(existing_files), watch), timeout + watch)
        _record(report, READ_EXISTING, outcome_to_result(outcome, timeout + watch), path, timeout, liveness)
    scratch_operations = [name for name in operations if name != READ_EXISTING]
    if not scratch_operations:
        return report
    if report['hung']:
        for name in scratch_operations:
            report['results'][name] = _not_run(report)
        return report
    scratch, created_parent, failure = create_scratch_dir(probe_root or path, timeout,
                                                          make_root=bool(probe_root) and probe_root != path)
    report.update(scratch_dir=scratch, scratch_failure=failure)
    if failure is not None:
        for name in scratch_operations:
            report['results'][name] = dict(failure, seconds=0)
        if failure['observed'] == TIMED_OUT:
            report['hung'] = 'create scratch directory'
            report['leftovers'] = [{'path': scratch, 'error': TIMED_OUT}]
        return report
    for name in scratch_operations:
        if report['hung']:
            report['results'][name] = _not_run(report)
            continue
        if name == EMPTY_DIR:
            result = _run_empty_dir(scratch, timeout, keys_under)
        elif name == OPEN_WRITERS:
            result = outcome_to_result(run_in_child(op_open_writers, (scratch, open_writers), timeout), timeout)
            if result['observed'] == OK:
                result['detail'] = '%d files were open for writing at once' % open_writers
        else:
            result = run_operation(name, scratch, size, timeout)
        _record(report, name, result, scratch, timeout, liveness)
    if report['hung']:
        report['leftovers'] = [{'path': scratch, 'error': TIMED_OUT}]
    else:
        parent = os.path.dirname(scratch) if created_parent else None
        report['leftovers'] = remove_scratch_dir(scratch, parent, timeout)
    return report
