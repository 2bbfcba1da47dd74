# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Expected I/O behaviour of each supported file system, as data.

A profile maps every probe operation (io_probe.ALL_OPERATIONS) to the result that file system
is known to give: 'ok', an errno name, or a silent-failure name (DATA_MISMATCH, ...). A value
may be a tuple of acceptable results where versions differ. Edit the tables below when a
new release changes behaviour; nothing else needs to change.

Mountpoint for Amazon S3 has one table per release range and bucket type
(MOUNTPOINT_S3_RELEASES); a release picks the newest range that starts at or below it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import re

from ansible_collections.mountkit.aws.plugins.module_utils.io_probe import (
    ALL_OPERATIONS, NO_EFFECT, READ_EXISTING, SPECIAL_RESULTS, TIMED_OUT, NOT_RUN,
)

OK = 'ok'

# Mountpoint for Amazon S3 1.16-1.18 on a general purpose bucket, default flags (doc/SEMANTICS.md, fs.rs,
# fuse.rs), checked against a real mount-s3 1.16.2 mount.
MOUNTPOINT_S3_1_16 = {
    'create_write_read': OK,
    'fsync': OK,                          # completes the upload
    'sync_open': 'EINVAL',                # O_SYNC/O_DSYNC opens are refused
    # The close completes the upload; a later write through a dup'd handle finds it completed (EIO).
    # Up to 1.21 the open right after a close could also fail now and then (EPERM).
    'reopen_after_close': ('EIO', 'EPERM'),
    'rename_replace': 'ENOSYS',
    'append': 'EPERM',                    # O_APPEND on an existing object is refused at open, even with --allow-overwrite
    'overwrite_trunc': 'EPERM',           # needs --allow-overwrite
    'partial_overwrite': ('EPERM', 'EINVAL', 'EBADF'),  # writes must start at 0; O_RDWR handles are one-way
    'truncate': 'EPERM',
    'rename_file': 'ENOSYS',              # only directory buckets rename (v1.19+)
    'rename_dir': 'ENOSYS',
    'unlink': 'EPERM',                    # needs --allow-delete ("Deletes are disabled")
    'mkdir': OK,                          # local until a file is written inside
    'rmdir': OK,                          # a new local, empty directory may be removed
    'symlink': 'EPERM',
    'hardlink': 'EPERM',                  # fuse.rs answers link with EPERM on purpose
    'chmod': 'EPERM',
    'xattr': 'ENOTSUP',                   # the kernel turns FUSE ENOSYS into EOPNOTSUPP (== ENOTSUP)
    'sequential': OK,
    'read_existing': OK,                  # files that were there read back whole, every time
    'empty_dir': NO_EFFECT,               # an empty directory is never an object; it is gone after a remount
    'open_writers': OK,                   # no cap on files open for writing before 1.24
}
MOUNTPOINT_S3 = MOUNTPOINT_S3_1_16

# 1.19: RenameObject is tried on every bucket; a general purpose bucket answers NotImplemented (ENOSYS, and
# Mountpoint remembers it). Checks made before asking S3 answer first: a directory (EPERM), an existing
# destination without --allow-overwrite (EEXIST) - or ENOSYS once a refusal is remembered.
MOUNTPOINT_S3_1_19 = dict(MOUNTPOINT_S3_1_16, rename_dir=('EPERM', 'ENOSYS'), rename_replace=('EEXIST', 'ENOSYS'))
# 1.22: an open after a close succeeds and invalidates older duplicate handles (EBADF).
MOUNTPOINT_S3_1_22 = dict(MOUNTPOINT_S3_1_19, reopen_after_close='EBADF')
# 1.24: files open for writing are capped at (memory target - max(128 MiB, target / 8) - read part size) /
# write part size, 47 at the smallest target with 8 MiB parts; an open past the cap fails with ENOMEM.
# Whether open_writers reaches it depends on its count and the mount's --memory-target: both are accepted, and
# an operator who knows the cap sets expect (open_writers=ENOMEM with a count above it).
MOUNTPOINT_S3_1_24 = dict(MOUNTPOINT_S3_1_22, open_writers=(OK, 'ENOMEM'))

# Directory buckets (S3 Express One Zone). Before 1.19 they behave as general purpose buckets here.
MOUNTPOINT_S3_DIRECTORY_1_16 = dict(MOUNTPOINT_S3_1_16)
# 1.19: files rename (RenameObject); directories never (EPERM); onto an existing file only with --allow-overwrite.
MOUNTPOINT_S3_DIRECTORY_1_19 = dict(MOUNTPOINT_S3_1_16, rename_file=OK, rename_replace='EEXIST', rename_dir='EPERM')
MOUNTPOINT_S3_DIRECTORY_1_22 = dict(MOUNTPOINT_S3_DIRECTORY_1_19, reopen_after_close='EBADF')
MOUNTPOINT_S3_DIRECTORY_1_24 = dict(MOUNTPOINT_S3_DIRECTORY_1_22, open_writers=(OK, 'ENOMEM'))

# (first release of the range, general purpose table, directory bucket table), oldest first. Releases older
# than the first range use the first; the test bed builds 1.16.2.
MOUNTPOINT_S3_RELEASES = (
    ((1, 16, 0), MOUNTPOINT_S3_1_16, MOUNTPOINT_S3_DIRECTORY_1_16),
    ((1, 19, 0), MOUNTPOINT_S3_1_19, MOUNTPOINT_S3_DIRECTORY_1_19),
    ((1, 22, 0), MOUNTPOINT_S3_1_22, MOUNTPOINT_S3_DIRECTORY_1_22),
    ((1, 24, 0), MOUNTPOINT_S3_1_24, MOUNTPOINT_S3_DIRECTORY_1_24),
)
BUCKET_TYPES = ('general_purpose', 'directory')

# Flags of mount-s3 and the operations they change.
MOUNTPOINT_S3_ALLOW_DELETE = {
    'unlink': OK,
}
MOUNTPOINT_S3_ALLOW_OVERWRITE = {
    'overwrite_trunc': OK,                # only with O_TRUNC; append and partial writes stay refused
}
# Directory buckets that rename (1.19+): --allow-overwrite also lets a rename replace a file.
MOUNTPOINT_S3_DIRECTORY_ALLOW_OVERWRITE = {
    'rename_replace': OK,
}
# --incremental-upload (directory buckets only): O_APPEND writes append to the object.
MOUNTPOINT_S3_INCREMENTAL_UPLOAD = {
    'append': OK,
}

# s3fs-fuse 1.90 against an S3 API, observed (testbed.md section 5).
S3FS = {
    'create_write_read': OK,
    'fsync': OK,
    'sync_open': OK,
    'reopen_after_close': OK,
    'rename_replace': OK,
    'empty_dir': OK,                      # the 'dir/' marker object keeps it
    'open_writers': OK,
    'append': OK,                         # re-uploads the whole object
    'overwrite_trunc': OK,
    'partial_overwrite': OK,
    # Without use_cache, truncate(path, n) turns the object into n zero bytes (s3fs bug); ok with use_cache.
    'truncate': (OK, 'DATA_MISMATCH'),
    'rename_file': OK,                    # server-side copy + delete, not atomic
    'rename_dir': OK,
    'unlink': OK,
    'mkdir': OK,                          # writes a 'dir/' marker object
    'rmdir': OK,
    'symlink': OK,
    'hardlink': 'ENOTSUP',
    'chmod': OK,
    'xattr': ('ENOTSUP', OK),             # ENOTSUP observed with 1.90; builds with xattr support store them
    'sequential': OK,
    'read_existing': OK,                  # files that were there read back whole, every time
}

# Amazon EFS (NFSv4.1) or any POSIX NFS export.
NFS = {
    'create_write_read': OK,
    'fsync': OK,
    'sync_open': OK,
    'reopen_after_close': OK,
    'rename_replace': OK,
    'empty_dir': OK,                      # only meaningful where a bucket backs the mount
    'open_writers': OK,
    'append': OK,
    'overwrite_trunc': OK,
    'partial_overwrite': OK,
    'truncate': OK,
    'rename_file': OK,
    'rename_dir': OK,
    'unlink': OK,
    'mkdir': OK,
    'rmdir': OK,
    'symlink': OK,
    'hardlink': OK,
    'chmod': OK,
    'xattr': ('ENOTSUP', OK),             # NFSv4.1 (EFS) has no user xattrs; NFSv4.2 servers may
    'sequential': OK,
    'read_existing': OK,                  # files that were there read back whole, every time
}

PROFILES = {
    'mountpoint_s3': MOUNTPOINT_S3,
    's3fs': S3FS,
    'nfs': NFS,
    'none': {},
}

# A read-only mount refuses to create the scratch directory, so every operation that needs one reports
# that; files that are there still read.
READ_ONLY = dict((name, 'EROFS') for name in ALL_OPERATIONS if name != READ_EXISTING)

PROFILE_FLAGS = ('allow_delete', 'allow_overwrite', 'read_only')
MOUNTPOINT_ONLY_FLAGS = ('allow_delete', 'allow_overwrite', 'incremental_upload')

_VERSION = re.compile(r'(?:^|\s|v)(\d+)\.(\d+)(?:\.(\d+))?(?:[-+.\w]*)\s*$')


def parse_version(text):
    """(major, minor, patch) from '1.16.2', 'v1.24', or `mount-s3 --version` output ('mount-s3 1.16.2').

    ValueError if there is no version in it.
    """
    if not isinstance(text, str):
        raise ValueError('a version must be a string such as 1.16.2, got %r' % (text,))
    first_line = text.strip().splitlines()[0] if text.strip() else ''
    match = _VERSION.search(first_line)
    if not match:
        raise ValueError("not a version: '%s' (use a release such as 1.16.2)" % text.strip())
    return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def mountpoint_release_range(version=None):
    """The first release (as 'X.Y') of the table range that version falls in; the oldest without version."""
    release = parse_version(version) if version is not None else MOUNTPOINT_S3_RELEASES[0][0]
    chosen = MOUNTPOINT_S3_RELEASES[0]
    for entry in MOUNTPOINT_S3_RELEASES:
        if release >= entry[0]:
            chosen = entry
    return chosen


def mountpoint_table(version=None, bucket_type='general_purpose'):
    """(range start 'X.Y', table) of Mountpoint's expectations for a release and bucket type."""
    if bucket_type not in BUCKET_TYPES:
        raise ValueError('unknown bucket type %r (use one of %s)' % (bucket_type, ', '.join(BUCKET_TYPES)))
    first, general, directory = mountpoint_release_range(version)
    return '%d.%d' % first[:2], dict(directory if bucket_type == 'directory' else general)


def _errno_number(name):
    value = getattr(errno, name, None) if name.startswith('E') else None
    return value if isinstance(value, int) else None


def canonical_result(name):
    """Spell a result name canonically ('OK' -> 'ok', 'eperm' -> 'EPERM'); ValueError if unknown."""
    if not isinstance(name, str) or not name:
        raise ValueError('a result must be a non-empty string, got %r' % (name,))
    if name.lower() == OK:
        return OK
    upper = name.upper()
    if upper in SPECIAL_RESULTS or upper == TIMED_OUT or _errno_number(upper) is not None:
        return upper
    raise ValueError('unknown result %r (use ok, an errno name such as EPERM, or one of %s)'
                     % (name, ', '.join(r for r in SPECIAL_RESULTS if r != OK)))


def normalize_expected(value):
    """A single result or a list of results -> tuple of canonical names."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError('an empty list accepts nothing')
        return tuple(canonical_result(item) for item in value)
    return (canonical_result(value),)


def result_matches(expected, observed):
    """True if observed is one of expected; errno aliases (ENOTSUP/EOPNOTSUPP) compare by number.

    None when there is no expectation. NOT_RUN never matches.
    """
    if expected is None:
        return None
    if observed == NOT_RUN:
        return False
    observed_number = _errno_number(observed)
    for candidate in expected:
        if candidate == observed:
            return True
        number = _errno_number(candidate)
        if number is not None and number == observed_number:
            return True
    return False


def expected_results(profile, allow_delete=False, allow_overwrite=False, read_only=False, overrides=None,
                     version=None, bucket_type=None, incremental_upload=False):
    """Expected results per operation: {op: tuple of results, or None when nothing is expected}.

    Flags: allow_delete / allow_overwrite / incremental_upload, version (a Mountpoint release,
    default the oldest table) and bucket_type (general_purpose or directory) for mountpoint_s3
    only; read_only for any profile. overrides ({op: result or list}) win over the profile.
    Raises ValueError on unknown profiles, flags that do not apply, unknown operations,
    versions or result names.
    """
    if profile not in PROFILES:
        raise ValueError('unknown profile %r (use one of %s)' % (profile, ', '.join(sorted(PROFILES))))
    if profile != 'mountpoint_s3':
        for name, value in (('allow_delete', allow_delete), ('allow_overwrite', allow_overwrite),
                            ('incremental_upload', incremental_upload), ('version', version),
                            ('bucket_type', bucket_type)):
            if value:
                raise ValueError('%s applies only to profile mountpoint_s3' % name)
    table = dict(PROFILES[profile])
    if profile == 'mountpoint_s3':
        bucket_type = bucket_type or 'general_purpose'
        if incremental_upload and bucket_type != 'directory':
            raise ValueError('incremental_upload needs bucket_type directory (Mountpoint appends only on '
                             'directory buckets)')
        table = mountpoint_table(version, bucket_type)[1]
        if allow_delete:
            table.update(MOUNTPOINT_S3_ALLOW_DELETE)
        if allow_overwrite:
            table.update(MOUNTPOINT_S3_ALLOW_OVERWRITE)
            if bucket_type == 'directory' and table['rename_file'] == OK:
                table.update(MOUNTPOINT_S3_DIRECTORY_ALLOW_OVERWRITE)
        if incremental_upload:
            table.update(MOUNTPOINT_S3_INCREMENTAL_UPLOAD)
    if read_only:
        table.update(READ_ONLY)
    expected = dict((name, normalize_expected(table[name]) if name in table else None) for name in ALL_OPERATIONS)
    for name, value in (overrides or {}).items():
        if name not in ALL_OPERATIONS:
            raise ValueError('unknown operation %r (use one of %s)' % (name, ', '.join(ALL_OPERATIONS)))
        try:
            expected[name] = normalize_expected(value)
        except ValueError as exc:
            raise ValueError('%s: %s' % (name, exc))
    return expected
