# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Find files written into a mount point's underlying directory while the mount was absent.

A process that writes to a mount point while nothing is mounted there (a FUSE daemon died, a
container kept the bare directory at boot) writes to the file system underneath. Once the mount is
back those files are hidden under it: they never reach S3 or EFS and fill the root disk.

The directory underneath is looked at through a bind of the file system that holds it, made in a
forked child that first leaves the host's mount namespace (unshare CLONE_NEWNS) and makes every mount
private there. A non-recursive bind carries no submounts, so the mount point shows its own directory.
The host's mount table never changes, and the namespace goes away with the child. The bind is
read-only unless files are to be moved aside; moving is a rename() within that one file system, so
every byte stays where it was written, and sizes and SHA-256 digests are compared before and after.

Only the Python standard library is used, so modules can run on any target.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ctypes
import ctypes.util
import errno
import hashlib
import os
import posixpath
import stat
import tempfile

from ansible_collections.mountkit.aws.plugins.module_utils.bounded_call import NamedResult, errno_name, run_in_child
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import (
    lookup_chain, normalize_path, path_is_under, read_mountinfo)

CLONE_NEWNS = 0x00020000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

# Errnos of unshare or mount that mean this host or user cannot make a private namespace or bind.
CANNOT_RUN_ERRNOS = (errno.EPERM, errno.EACCES, errno.ENOSYS, errno.EINVAL)


class CannotRun(Exception):
    """The check cannot run on this host (no privilege for a mount namespace, nothing underneath)."""


def underlying_mount(entries, path):
    """The mount that holds path's own directory: the last mount on the way to path that is not at path.

    Returns (entry or None, mounted), mounted being True when something is mounted at path itself.
    """
    path = normalize_path(path)
    chain = lookup_chain(entries, path)
    below = [entry for entry in chain if normalize_path(entry.mount_point) != path]
    mounted = len(below) != len(chain)
    return (below[-1] if below else None), mounted


def describe_entry(entry):
    if entry is None:
        return None
    return {'mount_point': entry.mount_point, 'fstype': entry.fstype, 'source': entry.source,
            'major_minor': entry.major_minor, 'mount_id': entry.mount_id, 'root': entry.root}


def _libc():
    libc = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    libc.unshare.argtypes = [ctypes.c_int]
    return libc


def _check(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, '%s: %s' % (what, os.strerror(number)))


def _bytes(path):
    return path.encode('utf-8', 'surrogateescape') if not isinstance(path, bytes) else path


def private_bind(source, target, read_only):
    """In the calling process: leave the host's mount namespace, then bind source (alone) at target.

    Must run in a throw-away child: the process keeps the new namespace until it exits.
    """
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS), 'unshare(CLONE_NEWNS)')
    # Copies of shared mounts stay peers of the host's; private ones pass nothing back.
    _check(libc.mount(b'none', b'/', None, MS_REC | MS_PRIVATE, None), 'making / private in the new namespace')
    _check(libc.mount(_bytes(source), _bytes(target), None, MS_BIND, None), 'bind of %s' % source)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | (MS_RDONLY if read_only else 0)
    _check(libc.mount(None, _bytes(target), None, flags, None), 'remount of the bind of %s' % source)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def scan(directory, list_limit, digest_all):
    """Regular files, other entries and bytes below directory (symlinks are not followed).

    Returns a dict: count (regular files), bytes, others (directories, links, ...), files (the first
    list_limit regular files in name order: name relative to directory, size, sha256), digests (every
    regular file's (size, sha256) when digest_all), top (the names directly in directory).
    """
    count = 0
    total = 0
    others = 0
    listed = []
    digests = {}
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        relative_root = posixpath.relpath(root, directory)
        for name in dirs:
            others += 1
        for name in sorted(files):
            full = posixpath.join(root, name)
            relative = name if relative_root == '.' else posixpath.join(relative_root, name)
            info = os.lstat(full)
            if not stat.S_ISREG(info.st_mode):
                others += 1
                continue
            count += 1
            total += info.st_size
            wanted = len(listed) < list_limit
            digest = sha256_of(full) if (wanted or digest_all) else None
            if wanted:
                listed.append({'name': relative, 'size': info.st_size, 'sha256': digest})
            if digest_all:
                digests[relative] = [info.st_size, digest]
    return {'count': count, 'bytes': total, 'others': others, 'files': listed, 'digests': digests,
            'top': sorted(os.listdir(directory))}


def _look_beneath(source, scratch, relative_dir, relative_dest, list_limit, dry_run):
    """Child body: bind source at scratch and scan (and, with relative_dest, move aside) beneath the mount."""
    moving = relative_dest is not None and not dry_run
    try:
        private_bind(source, scratch, read_only=not moving)
    except OSError as exc:
        if exc.errno in CANNOT_RUN_ERRNOS:
            raise NamedResult('cannot_run', '%s (%s)' % (exc.strerror, errno_name(exc.errno)))
        raise
    underneath = posixpath.join(scratch, relative_dir) if relative_dir != '.' else scratch
    if not os.path.isdir(underneath):
        raise NamedResult('missing', 'the mount point has no directory on the file system underneath')
    found = scan(underneath, list_limit, digest_all=moving)
    digests = found.pop('digests')
    top = found.pop('top')
    if relative_dest is None:
        return found
    destination = posixpath.join(scratch, relative_dest)
    found['moved'] = []
    found['conflicts'] = []
    if not top:
        return found
    if moving and not os.path.isdir(destination):
        os.makedirs(destination, 0o700)
    for name in top:
        target = posixpath.join(destination, name)
        # Never replace what is already there: that entry stays underneath, and is named.
        if os.path.lexists(target):
            found['conflicts'].append(name)
            continue
        if moving:
            os.rename(posixpath.join(underneath, name), target)
        found['moved'].append(name)
    if moving:
        after = scan(destination, 0, digest_all=True)['digests']
        found['mismatched'] = sorted(relative for relative, value in digests.items()
                                     if relative.split('/', 1)[0] in found['moved'] and after.get(relative) != value)
        found['remaining'] = scan(underneath, 0, digest_all=False)['count']
    return found


def look_beneath(path, move_to=None, list_limit=10, timeout=30.0, dry_run=False,
                 mountinfo_path='/proc/self/mountinfo', scratch_parent=None):
    """Look at what lies beneath the mount at path (or in its bare directory when nothing is mounted).

    Returns a dict with path, mounted, underlying (the mount holding the directory), count, bytes,
    others, files, and with move_to also move_to, moved and conflicts (what would move, with dry_run) and,
    unless dry_run, mismatched and remaining.
    Raises CannotRun when the check cannot run here, ValueError for a move_to it must refuse, and
    OSError (with a message) when the child fails or does not answer within timeout.
    """
    path = normalize_path(path)
    entries = read_mountinfo(mountinfo_path)
    entry, mounted = underlying_mount(entries, path)
    if entry is None:
        raise CannotRun('no mount in the table holds %s' % path)
    if entry.mount_point.endswith('//deleted') or not path_is_under(path, normalize_path(entry.mount_point)):
        raise CannotRun('the file system underneath %s is not reachable' % path)
    base = normalize_path(entry.mount_point)
    relative_dir = posixpath.relpath(path, base)
    relative_dest = None
    if move_to is not None:
        move_to = normalize_path(move_to)
        if path_is_under(move_to, path) or path_is_under(path, move_to):
            raise ValueError('move_to %s must lie outside the mount point %s and not above it' % (move_to, path))
        chain = lookup_chain(entries, move_to)
        if not chain or chain[-1].mount_id != entry.mount_id:
            raise ValueError('move_to %s must be on the file system underneath %s (%s %s at %s), so that a rename '
                             'keeps every byte' % (move_to, path, entry.fstype, entry.source, entry.mount_point))
        relative_dest = posixpath.relpath(move_to, base)
    scratch = tempfile.mkdtemp(prefix='mountkit-beneath-', dir=scratch_parent)
    try:
        outcome = run_in_child(_look_beneath, (base, scratch, relative_dir, relative_dest, list_limit, dry_run), timeout)
    finally:
        # The bind lived only in the child's namespace; the host sees an empty directory. rmdir, never a
        # recursive removal: whatever happens, nothing but that empty directory is deleted.
        try:
            os.rmdir(scratch)
        except OSError:
            pass
    if outcome.timed_out:
        raise OSError(errno.ETIMEDOUT, 'looking beneath %s took longer than %s seconds' % (path, timeout))
    if outcome.result in ('missing', 'cannot_run'):
        raise CannotRun(outcome.strerror)
    if outcome.errno is not None:
        raise OSError(outcome.errno, '%s (%s)' % (outcome.strerror, errno_name(outcome.errno)))
    if outcome.error:
        raise OSError(errno.EIO, outcome.error)
    result = outcome.value
    result.update(path=path, mounted=mounted, underlying=describe_entry(entry))
    if move_to is not None:
        result['move_to'] = move_to
    return result
