# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Expected I/O behaviour of each supported file system, as data.

A profile maps every probe operation (io_probe.ALL_OPERATIONS) to the result that file system
is known to give: 'ok', an errno name, or a silent-failure name (DATA_MISMATCH, ...). A value
may be a tuple of acceptable results where versions differ. Edit the tables below when a
new release changes behaviour; nothing else needs to change.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

from ansible_collections.mountkit.aws.plugins.module_utils.io_probe import (
    ALL_OPERATIONS, OPERATIONS, SPECIAL_RESULTS, TIMED_OUT, NOT_RUN,
)

OK = 'ok'

# Mountpoint for Amazon S3 on a general purpose bucket, default flags (doc/SEMANTICS.md, fs.rs, fuse.rs),
# checked against a real mount-s3 1.16.2 mount.
MOUNTPOINT_S3 = {
    'create_write_read': OK,
    'fsync': OK,                          # completes the upload
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
}

# Flags of mount-s3 and the operations they change.
MOUNTPOINT_S3_ALLOW_DELETE = {
    'unlink': OK,
}
MOUNTPOINT_S3_ALLOW_OVERWRITE = {
    'overwrite_trunc': OK,                # only with O_TRUNC; append and partial writes stay refused
}

# s3fs-fuse 1.90 against an S3 API, observed (testbed.md section 5).
S3FS = {
    'create_write_read': OK,
    'fsync': OK,
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
READ_ONLY = dict((name, 'EROFS') for name in OPERATIONS)

PROFILE_FLAGS = ('allow_delete', 'allow_overwrite', 'read_only')
MOUNTPOINT_ONLY_FLAGS = ('allow_delete', 'allow_overwrite')


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


def expected_results(profile, allow_delete=False, allow_overwrite=False, read_only=False, overrides=None):
    """Expected results per operation: {op: tuple of results, or None when nothing is expected}.

    Flags: allow_delete / allow_overwrite (mountpoint_s3 only) and read_only (any profile).
    overrides ({op: result or list}) win over the profile. Raises ValueError on unknown
    profiles, flags that do not apply, unknown operations or result names.
    """
    if profile not in PROFILES:
        raise ValueError('unknown profile %r (use one of %s)' % (profile, ', '.join(sorted(PROFILES))))
    if profile != 'mountpoint_s3':
        for name, value in (('allow_delete', allow_delete), ('allow_overwrite', allow_overwrite)):
            if value:
                raise ValueError('%s applies only to profile mountpoint_s3' % name)
    table = dict(PROFILES[profile])
    if profile == 'mountpoint_s3':
        if allow_delete:
            table.update(MOUNTPOINT_S3_ALLOW_DELETE)
        if allow_overwrite:
            table.update(MOUNTPOINT_S3_ALLOW_OVERWRITE)
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
