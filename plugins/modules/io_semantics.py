#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: io_semantics
short_description: Prove what a mounted file system really does with files
version_added: "0.1.0"
description:
  - Runs file operations in a fresh scratch directory C(<path>/<probe_dir>/.mountkit-probe/<uuid>/) and
    compares what happens with what the file system is expected to do, taken from a built-in profile
    (O(profile)) and overridden per operation by O(expect).
  - For Mountpoint for Amazon S3 the expectations follow the installed release (O(version)) and the
    bucket type (O(bucket_type)), one table per release range.
  - Each operation runs in a child process with O(timeout). Its result is V(ok), the errno name of
    the first failing call (V(EPERM), V(EIO), V(ENOTSUP), V(ENOSYS), V(EINVAL), V(EROFS), ...),
    V(ETIMEDOUT) when it did not finish in time, or a silent failure - V(SHORT_READ) (fewer bytes read
    back than written, without an error), V(DATA_MISMATCH) (other bytes than written) or V(NO_EFFECT)
    (the call succeeded but changed nothing).
  - A hung mount never hangs the play. When an operation times out and a lookup on the mount does not
    answer either, the remaining operations are skipped (V(NOT_RUN)) and the module returns.
  - Nothing outside the scratch directory is written. What cannot be removed afterwards is reported in
    RV(leftovers) - on Mountpoint for Amazon S3 without C(--allow-delete) every file written stays in
    the bucket under C(.mountkit-probe/). Set O(probe_dir) to a location set aside for probes to keep
    such leftovers there.
  - Files that were on the mount before (O(existing_files)) are only read, to catch data that goes
    missing silently - a read that ends early or returns other bytes without an error.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  path:
    description:
      - Absolute path of a directory on the mount to probe, usually the mount point.
    type: path
    required: true
  profile:
    description:
      - Expected behaviour to compare with.
      - V(mountpoint_s3) - Mountpoint for Amazon S3 (C(mount-s3)) on a general purpose bucket; see
        O(allow_delete) and O(allow_overwrite).
      - V(s3fs) - s3fs-fuse; C(truncate) may read back zeros (a known s3fs bug without C(use_cache)),
        hard links and xattrs are not supported.
      - V(nfs) - Amazon EFS or another NFS export; everything works, xattrs only with NFS 4.2.
      - V(none) - no expectations; RV(outcomes) are reported but nothing fails unless O(expect) says so.
    type: str
    choices: [mountpoint_s3, s3fs, nfs, none]
    default: none
  version:
    description:
      - The Mountpoint for Amazon S3 release the mount runs, such as V(1.16.2) or V(1.24.0); picks the table
        of expectations for its release range (1.16, 1.19, 1.22, 1.24).
      - When omitted, C(mount-s3 --version) is read on the host if the binary is found (in E(PATH),
        C(/usr/bin) or C(/opt/aws/mountpoint-s3/bin)); otherwise the oldest table (1.16) is assumed.
        RV(mountpoint) says which was used.
      - Only with O(profile=mountpoint_s3).
    type: str
  bucket_type:
    description:
      - The kind of bucket Mountpoint mounts. V(directory) is an S3 Express One Zone directory bucket, where
        files rename (since 1.19) and O(incremental_upload) appends. Default V(general_purpose).
      - Only with O(profile=mountpoint_s3).
    type: str
    choices: [general_purpose, directory]
  incremental_upload:
    description:
      - The Mountpoint mount was started with C(--incremental-upload), so C(append) must work.
      - Only with O(profile=mountpoint_s3) and O(bucket_type=directory).
    type: bool
    default: false
  open_writers:
    description:
      - How many files V(open_writers) holds open for writing at once; 1 to 4096.
      - On Mountpoint each open writer reserves a write part (8 MiB by default) of memory while it is open.
    type: int
    default: 16
  probe_dir:
    description:
      - Directory below O(path), relative to it, where the scratch directory is made, for example a
        location set aside for probes. It is created when missing. Default is O(path) itself.
      - Must not contain C(..).
    type: str
  bucket:
    description:
      - The bucket the mount shows. With it, V(empty_dir) compares the mount with the bucket through the S3
        API (boto3, ListObjectsV2), using the connection options below - the same credential chain as the
        mount when none are given.
    type: str
  bucket_prefix:
    description:
      - The prefix the bucket is mounted under (C(mount-s3 --prefix), s3fs C(bucket:/path) as C(path/)); it
        must end with C(/). Empty for the whole bucket.
    type: str
    default: ''
  allow_delete:
    description:
      - The Mountpoint mount was started with C(--allow-delete), so C(unlink) must work.
      - Only with O(profile=mountpoint_s3).
    type: bool
    default: false
  allow_overwrite:
    description:
      - The Mountpoint mount was started with C(--allow-overwrite), so an overwrite with C(O_TRUNC)
        must work, and on a directory bucket (1.19+) a rename onto an existing file.
      - Only with O(profile=mountpoint_s3).
    type: bool
    default: false
  read_only:
    description:
      - The mount is read-only, so every operation must fail with V(EROFS) (the scratch directory
        cannot even be created).
    type: bool
    default: false
  expect:
    description:
      - Expected result per operation, overriding the profile. A value is one result or a list of
        acceptable results, for example C(rename_file=[ENOSYS, EXDEV]) or C(xattr=ok).
      - Results are V(ok), errno names (V(ENOTSUP) and V(EOPNOTSUPP) are the same errno), V(ETIMEDOUT),
        V(SHORT_READ), V(DATA_MISMATCH) or V(NO_EFFECT).
      - Keys are operation names as in O(operations).
    type: dict
    default: {}
  operations:
    description:
      - Operations to run, in this order whatever the order given. Default is all of them.
      - V(create_write_read) - create a new file, write, close, read back and compare.
      - V(fsync) - create, write, fsync, close, read back.
      - V(sync_open) - create a file opened with C(O_SYNC), write, close, read back.
      - V(append) - open an existing file with C(O_APPEND) and write.
      - V(overwrite_trunc) - open an existing file with C(O_TRUNC) and write new content.
      - V(partial_overwrite) - open an existing file read-write and write in the middle.
      - V(truncate) - truncate an existing file to half its size.
      - V(reopen_after_close) - write a file, duplicate the handle, close the original, open the file again
        and read it, then write through the duplicate.
      - V(rename_file), V(rename_replace), V(rename_dir) - rename a file; rename a file onto an existing one;
        rename a directory holding a file.
      - V(unlink) - delete a file.
      - V(mkdir), V(rmdir) - create an empty directory; remove one.
      - V(symlink), V(hardlink) - create a symbolic link; a hard link to a file.
      - V(chmod) - change a file's mode to 0600 and check it.
      - V(xattr) - set and read back a C(user.) extended attribute.
      - V(sequential) - write O(size) bytes sequentially, read them back and compare.
      - V(empty_dir) - make an empty directory and one holding a file, then list the bucket (O(bucket)) below
        each. V(ok) when both are in the bucket; V(NO_EFFECT) when the empty one is not (Mountpoint keeps it
        in memory only, so it is gone after a remount). Runs by default only when O(bucket) is set.
      - V(open_writers) - open O(open_writers) new files for writing at once, write a byte to each, close
        them. Mountpoint 1.24 caps files open for writing (from C(--memory-target)); past the cap an open
        fails with V(ENOMEM). Runs only when listed.
      - V(read_existing) - read each of O(existing_files) to its end, once or for O(watch) seconds. A read
        that returns fewer bytes than the file's size, or fewer or other bytes than the first read of that
        file, is a V(SHORT_READ) or V(DATA_MISMATCH); an error is its errno. It runs first, needs no
        scratch directory, and runs whenever O(existing_files) is set.
      - Files that an operation needs to exist beforehand are created (and fsynced, which completes a
        Mountpoint upload) inside the scratch directory first; if that fails, the operation reports
        that error.
    type: list
    elements: str
    choices: [create_write_read, fsync, sync_open, append, overwrite_trunc, partial_overwrite, truncate,
              reopen_after_close, rename_file, rename_replace, rename_dir, unlink, mkdir, rmdir, symlink, hardlink,
              chmod, xattr, sequential, empty_dir, open_writers, read_existing]
  existing_files:
    description:
      - Files already on the mount to read (V(read_existing)), relative to O(path) or absolute below it.
        They are opened read-only, never through a final symlink, and must resolve to regular files
        below O(path).
      - Nothing may write to them while they are read; a change reads as V(DATA_MISMATCH).
    type: list
    elements: str
    default: []
  watch:
    description:
      - Seconds to read O(existing_files) again and again (about 20 times a second), for example while
        a failover or an outage is under way. The first error or anomaly ends the watch.
      - V(0) reads each file once. O(timeout) is added for the last round to finish.
    type: float
    default: 0
  size:
    description:
      - Bytes written and read back by the V(sequential) operation; a number, or a string with a unit
        such as V(64K), V(1M), V(1MiB), V(1G).
      - O(timeout) applies to this operation too; raise it for large sizes.
    type: raw
    default: 1M
  fail_on_mismatch:
    description:
      - Fail when any result differs from the expectation. With V(false) the differences are still
        listed in RV(problems).
    type: bool
    default: true
  region:
    description:
      - With O(bucket), the AWS region of the S3 client; E(AWS_REGION) or E(AWS_DEFAULT_REGION) may also be used.
    type: str
  aws_profile:
    description:
      - With O(bucket), a named AWS profile of the host; E(AWS_PROFILE) may also be used. (O(profile) is the
        expectation profile.) Mutually exclusive with O(access_key), O(secret_key) and O(session_token).
    type: str
  endpoint_url:
    description:
      - With O(bucket), the S3 endpoint to use instead of AWS's, as given to the mount (C(--endpoint-url),
        s3fs C(url)); E(AWS_ENDPOINT_URL) may also be used.
    type: str
  access_key:
    description:
      - With O(bucket), an AWS access key ID; E(AWS_ACCESS_KEY_ID) may also be used. Without keys or a
        profile boto3 finds credentials itself (environment, instance or task role), like the mount.
    type: str
  secret_key:
    description:
      - With O(bucket), the AWS secret access key; E(AWS_SECRET_ACCESS_KEY) may also be used.
    type: str
  session_token:
    description:
      - With O(bucket), an AWS session token for temporary credentials; E(AWS_SESSION_TOKEN) may also be used.
    type: str
extends_documentation_fragment:
  - mountkit.aws.probe
notes:
  - The S3 connection options and boto3 are used only with O(bucket).
attributes:
  check_mode:
    description: In check mode nothing is written; the planned operations and expectations are returned.
    support: full
  diff_mode:
    description: There is no diff.
    support: none
  platform:
    description: Linux.
    support: full
    platforms: posix
seealso:
  - module: mountkit.aws.mount_flags
'''

EXAMPLES = r'''
- name: s3fs behaves as s3fs should
  mountkit.aws.io_semantics:
    path: /mnt/s3fs
    profile: s3fs

- name: Mountpoint started with --allow-delete; rename errnos differ between releases
  mountkit.aws.io_semantics:
    path: /mnt/s3
    profile: mountpoint_s3
    allow_delete: true
    expect:
      rename_file: [ENOSYS, EXDEV, ENOTSUP]

- name: Mountpoint 1.24 on a directory bucket with --incremental-upload, probing only under probes/
  mountkit.aws.io_semantics:
    path: /mnt/express
    profile: mountpoint_s3
    version: 1.24.0
    bucket_type: directory
    incremental_upload: true
    probe_dir: probes

- name: Empty directories never reach the bucket on Mountpoint (read through the S3 API)
  mountkit.aws.io_semantics:
    path: /mnt/s3
    profile: mountpoint_s3
    operations: [empty_dir]
    bucket: team-data
    bucket_prefix: reports/
    probe_dir: probes
    region: eu-west-1

- name: EFS, including a larger sequential transfer
  mountkit.aws.io_semantics:
    path: /mnt/efs
    profile: nfs
    size: 64M
    timeout: 60

- name: Read seeded files while the bucket's replication is switched over; any silent short read fails
  mountkit.aws.io_semantics:
    path: /mnt/s3fs
    profile: s3fs
    operations: [read_existing]
    existing_files: [seed/manifest.json, seed/sample.bin]
    watch: 60
  async: 120
  poll: 0
  register: watch_job

- name: Only observe, never fail
  mountkit.aws.io_semantics:
    path: /mnt/data
    operations: [create_write_read, rename_file, xattr]
    fail_on_mismatch: false
  register: probe

- name: Show what the file system did
  ansible.builtin.debug:
    msg: "{{ probe.outcomes | dict2items | map(attribute='value.observed') | list }}"
'''

RETURN = r'''
outcomes:
  description:
    - One entry per operation, keyed by operation name.
    - Not called C(results), which Ansible reserves for loops.
  returned: always
  type: dict
  sample:
    create_write_read:
      expected: [ok]
      observed: ok
      pass: true
      detail: 8192 bytes read back intact
      bytes_verified: 8192
      seconds: 0.05
    read_existing:
      expected: [ok]
      observed: SHORT_READ
      pass: false
      detail: "seed.bin: read 0 bytes without an error, 65536 before (read 12)"
      bytes_verified: 0
      seconds: 0.61
    hardlink:
      expected: [ENOTSUP]
      observed: ENOTSUP
      pass: true
      detail: "ENOTSUP at link: Operation not supported"
      bytes_verified: 0
      seconds: 0.03
  contains:
    expected:
      description: Acceptable results, or V(null) when nothing is expected.
      type: list
      elements: str
    observed:
      description:
        - V(ok), an errno name, V(ETIMEDOUT), V(SHORT_READ), V(DATA_MISMATCH), V(NO_EFFECT), V(NOT_RUN)
          (skipped, hung mount or check mode) or V(ERROR) (the probe itself failed).
      type: str
    pass:
      description: Whether observed is one of expected; V(null) when nothing is expected.
      type: bool
    detail:
      description: Which call failed and how, or what was verified.
      type: str
    bytes_verified:
      description:
        - Bytes read back and found identical to what was written; for V(read_existing), the bytes of
          the files read, each time the same.
      type: int
    seconds:
      description: Time the operation took.
      type: float
operations:
  description: The operations run (or, in check mode, that would run), in order.
  returned: always
  type: list
  elements: str
  sample: [create_write_read, fsync, sequential]
bytes_verified:
  description: Total bytes read back and found identical to what was written.
  returned: always
  type: int
  sample: 1101824
scratch_dir:
  description:
    - The scratch directory used (or, in check mode, that would be used); V(null) when only
      V(read_existing) ran.
  returned: always
  type: str
  sample: /mnt/s3/.mountkit-probe/0f6a4c1e9a3b4e0d8c2f5b7a6d9e1c3f
leftovers:
  description:
    - What could not be removed afterwards, with the error that prevented it.
    - C(changed) is V(true) when this is not empty, since the files stay on the file system.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /mnt/s3/.mountkit-probe/0f6a4c1e9a3b4e0d8c2f5b7a6d9e1c3f/append.dat
      error: EPERM
  contains:
    path:
      description: Path left behind.
      type: str
    error:
      description: errno name of the failed removal, or V(ETIMEDOUT) when the mount hung.
      type: str
mountpoint:
  description:
    - For O(profile=mountpoint_s3), which table of expectations was used and why; V(null) otherwise.
  returned: always
  type: dict
  sample:
    version: 1.16.2
    source: mount-s3 --version
    table: "1.16"
    bucket_type: general_purpose
  contains:
    version:
      description: The release, or V(null) when it was not known.
      type: str
    source:
      description: V(version option), V(mount-s3 --version) or V(oldest table assumed).
      type: str
    table:
      description: First release of the range whose table was used.
      type: str
    bucket_type:
      description: The bucket type the expectations are for.
      type: str
hung:
  description: The step during which the mount stopped answering, or V(null).
  returned: always
  type: str
  sample: create_write_read
mount:
  description: The mount that covers O(path), as returned by M(mountkit.aws.mount_flags), or V(null).
  returned: always
  type: dict
  sample:
    mount_point: /mnt/s3fs
    fstype: fuse.s3fs
    source: "s3fs:bucket"
problems:
  description: One item per operation whose result differs from the expectation, plus a hung mount.
  returned: always
  type: list
  elements: str
  sample:
    - "rename_file: expected ENOSYS, observed ok"
'''

import os
import subprocess
import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.formatters import human_to_bytes
from ansible_collections.mountkit.aws.plugins.module_utils.aws_preflight import (
    aws_client, aws_connection_argument_spec, require_boto3,
)
from ansible_collections.mountkit.aws.plugins.module_utils.io_probe import (
    ALL_OPERATIONS, EMPTY_DIR, NOT_RUN, OPEN_WRITERS, OPERATIONS, PROBE_DIR_NAME, READ_EXISTING, TIMED_OUT,
    run_probe,
)
from ansible_collections.mountkit.aws.plugins.module_utils.io_profiles import (
    expected_results, mountpoint_table, parse_version, result_matches,
)

MOUNT_S3_DIRS = ['/usr/bin', '/usr/local/bin', '/opt/aws/mountpoint-s3/bin']
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import (
    check_alive, find_mount, normalize_path, parse_warnings, read_mountinfo,
)


def parse_size(value):
    """Bytes from an int or a string such as '64K', '1M', '1MiB'; ValueError if not a positive size."""
    if isinstance(value, bool):
        raise ValueError('not a size: %r' % (value,))
    if isinstance(value, int):
        size = value
    else:
        text = str(value).strip().upper()
        if text.endswith('IB'):
            text = text[:-2] + 'B'  # human_to_bytes reads K/KB/M/MB as powers of 1024 already
        try:
            size = human_to_bytes(text)
        except (TypeError, ValueError):
            raise ValueError("not a size: '%s'" % value)
    if size <= 0:
        raise ValueError('must be greater than 0, got %s' % value)
    return int(size)


def existing_relative(path, name):
    """name (relative to path, or absolute below it) as a normalized relative path; ValueError if outside."""
    root = os.path.normpath(path)
    if name.startswith('/'):
        full = os.path.normpath(name)
        if not full.startswith(root.rstrip('/') + '/'):
            raise ValueError("'%s' is not below path %s" % (name, root))
        name = full[len(root.rstrip('/')) + 1:]
    parts = [part for part in name.split('/') if part not in ('', '.')]
    if not parts or '..' in parts:
        raise ValueError("'%s' must name a file below path, without '..'" % name)
    return '/'.join(parts)


def relative_probe_dir(value):
    """probe_dir as a normalized relative path ('' for the mount root); ValueError if it leaves path."""
    if value is None:
        return ''
    if value.startswith('/'):
        raise ValueError("must be relative to path, got '%s'" % value)
    parts = [part for part in value.split('/') if part not in ('', '.')]
    if '..' in parts:
        raise ValueError("must stay below path, without '..', got '%s'" % value)
    return '/'.join(parts)


def validate(params):
    """(errors, size, expected, existing): errors are messages naming the parameter."""
    errors = []
    size = expected = None
    existing = []
    if not params['path'].startswith('/'):
        errors.append("path must be absolute, got '%s'" % params['path'])
    try:
        relative_probe_dir(params.get('probe_dir'))
    except ValueError as exc:
        errors.append('probe_dir %s' % exc)
    if params.get('version') is not None:
        try:
            parse_version(params['version'])
        except ValueError as exc:
            errors.append('version: %s' % exc)
    prefix = params.get('bucket_prefix') or ''
    if prefix and (not prefix.endswith('/') or prefix.startswith('/')):
        errors.append("bucket_prefix must end with '/' and not start with it, got '%s'" % prefix)
    if params.get('bucket') is not None and not params['bucket']:
        errors.append('bucket must not be empty')
    if not 1 <= params.get('open_writers', 16) <= 4096:
        errors.append('open_writers must be 1 to 4096, got %s' % params['open_writers'])
    if EMPTY_DIR in (params['operations'] or []) and not params.get('bucket'):
        errors.append('operations: empty_dir needs bucket (the bucket is read through the S3 API)')
    if params['timeout'] <= 0:
        errors.append('timeout must be greater than 0, got %s' % params['timeout'])
    if params['watch'] < 0:
        errors.append('watch must be 0 or more seconds, got %s' % params['watch'])
    if params['watch'] > 0 and not params['existing_files']:
        errors.append('watch needs existing_files to read')
    if READ_EXISTING in (params['operations'] or []) and not params['existing_files']:
        errors.append('operations: read_existing needs existing_files')
    for name in params['existing_files']:
        try:
            existing.append(existing_relative(params['path'], name))
        except ValueError as exc:
            errors.append('existing_files: %s' % exc)
    try:
        size = parse_size(params['size'])
    except ValueError as exc:
        errors.append('size %s' % exc)
    unknown = sorted(set(params['expect']) - set(ALL_OPERATIONS))
    if unknown:
        errors.append('expect has unknown operation(s) %s; known: %s' % (', '.join(unknown), ', '.join(ALL_OPERATIONS)))
    elif not any(item.startswith('version:') for item in errors):
        try:
            expected = expected_results(params['profile'], allow_delete=params['allow_delete'],
                                        allow_overwrite=params['allow_overwrite'], read_only=params['read_only'],
                                        overrides=params['expect'], version=params.get('version'),
                                        bucket_type=params.get('bucket_type'),
                                        incremental_upload=params.get('incremental_upload', False))
        except ValueError as exc:
            message = str(exc)
            if message.startswith('incremental_upload'):
                errors.append(message)
            elif params['expect'] and 'applies only' not in message:
                errors.append('expect: %s' % message)
            else:
                errors.append('profile: %s' % message)
    return errors, size, expected, existing


def selected_operations(requested, existing_files=(), bucket=None):
    """The operations in the order they run: read_existing (whenever there are files to read) first.

    empty_dir joins the default set only when a bucket is given to compare with.
    """
    first = [READ_EXISTING] if existing_files else []
    known = list(OPERATIONS) + [EMPTY_DIR, OPEN_WRITERS]
    if not requested:
        return first + list(OPERATIONS) + ([EMPTY_DIR] if bucket else [])
    return first + [name for name in known if name in requested]


def installed_mountpoint_version(module):
    """`mount-s3 --version` of the host as (version, None), or (None, why not)."""
    binary = module.get_bin_path('mount-s3', opt_dirs=MOUNT_S3_DIRS)
    if not binary:
        return None, 'mount-s3 not found'
    try:
        proc = subprocess.run([binary, '--version'], capture_output=True, text=True, timeout=10, check=False)
        return '.'.join(str(part) for part in parse_version(proc.stdout)), None
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return None, '%s --version: %s' % (binary, exc)


def mountpoint_choice(module, params):
    """Which Mountpoint release the expectations are for: ({version, source, table, bucket_type}, version)."""
    version, source = params.get('version'), 'version option'
    if version is None:
        version, why_not = installed_mountpoint_version(module)
        source = 'mount-s3 --version' if version else 'oldest table assumed (%s)' % why_not
    bucket_type = params.get('bucket_type') or 'general_purpose'
    table = mountpoint_table(version, bucket_type)[0]
    return dict(version=version, source=source, table=table, bucket_type=bucket_type), version


class _AwsOptions(object):
    """The module as aws_preflight expects it: its AWS profile is aws_profile here, profile being the expectations."""

    def __init__(self, module):
        self.params = dict(module.params, profile=module.params['aws_profile'])
        self.fail_json = module.fail_json
        self._name = module._name


def bucket_lister(module, params, mount_point):
    """keys_under(directory path on the mount) -> keys below that directory in the bucket (boto3)."""
    require_boto3(module)
    client = aws_client(_AwsOptions(module), 's3')
    prefix = params.get('bucket_prefix') or ''

    def keys_under(path):
        relative = os.path.relpath(path, mount_point)
        response = client.list_objects_v2(Bucket=params['bucket'], Prefix=prefix + relative + '/', MaxKeys=10)
        return [item['Key'] for item in response.get('Contents', [])]
    return keys_under


def judge(results, expected, report_each=True):
    """Add expected/pass to each result; return the problems, one per unexpected result.

    With report_each false only the names of failing operations are returned (they all failed
    the same way, and the caller reports that once).
    """
    problems = []
    for name, result in results.items():
        wanted = expected.get(name)
        result['expected'] = list(wanted) if wanted is not None else None
        result['pass'] = result_matches(wanted, result['observed'])
        if result['pass'] is not False or result['observed'] == NOT_RUN:
            continue
        if not report_each:
            problems.append(name)
            continue
        detail = ' (%s)' % result['detail'] if result.get('detail') else ''
        problems.append('%s: expected %s, observed %s%s' % (name, ' or '.join(wanted), result['observed'], detail))
    return problems


def probe_problems(report, expected, timeout):
    failure = report['scratch_failure']
    results = report['results']
    problems = judge(dict((name, results[name]) for name in results if name == READ_EXISTING), expected)
    in_scratch = dict((name, results[name]) for name in results if name != READ_EXISTING)
    if failure is None:
        problems += judge(in_scratch, expected)
    else:
        failing = judge(in_scratch, expected, report_each=False)
        if failing and failure['observed'] != TIMED_OUT:
            problems.append('%s, so every operation reports %s; not expected by: %s'
                            % (failure['detail'], failure['observed'], ', '.join(failing)))
    if report['hung']:
        skipped = [name for name, item in report['results'].items() if item['observed'] == NOT_RUN]
        problems.append('mount hung: no answer within %gs during %s%s'
                        % (timeout, report['hung'], '; not run: %s' % ', '.join(skipped) if skipped else ''))
    return problems


def covering_mount(path, warn):
    """The mount a lookup of path reaches, as a dict, or None; lines of the table not parsed are warned about."""
    errors = []
    try:
        entry = find_mount(read_mountinfo(errors=errors), path)
    except (IOError, OSError, ValueError):
        return None
    for message in parse_warnings('/proc/self/mountinfo', errors):
        warn(message)
    return entry.to_dict() if entry is not None else None


def main():
    # The connection options without their amazon.aws aliases: 'profile' here names the expectations.
    argument_spec = dict((name, dict(spec, aliases=[])) for name, spec in aws_connection_argument_spec().items())
    argument_spec['aws_profile'] = argument_spec.pop('profile')
    argument_spec.update(
        path=dict(type='path', required=True),
        profile=dict(type='str', default='none', choices=['mountpoint_s3', 's3fs', 'nfs', 'none']),
        version=dict(type='str'),
        bucket_type=dict(type='str', choices=['general_purpose', 'directory']),
        incremental_upload=dict(type='bool', default=False),
        allow_delete=dict(type='bool', default=False),
        allow_overwrite=dict(type='bool', default=False),
        read_only=dict(type='bool', default=False),
        expect=dict(type='dict', default={}),
        operations=dict(type='list', elements='str', choices=list(ALL_OPERATIONS)),
        existing_files=dict(type='list', elements='str', default=[]),
        watch=dict(type='float', default=0),
        size=dict(type='raw', default='1M'),
        timeout=dict(type='float', default=10),
        fail_on_mismatch=dict(type='bool', default=True),
        probe_dir=dict(type='str'),
        open_writers=dict(type='int', default=16),
        bucket=dict(type='str'),
        bucket_prefix=dict(type='str', default=''),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    errors, size, expected, existing = validate(params)
    if errors:
        module.fail_json(msg='; '.join(errors))
    mountpoint = None
    if params['profile'] == 'mountpoint_s3':
        mountpoint, version = mountpoint_choice(module, params)
        expected = expected_results('mountpoint_s3', allow_delete=params['allow_delete'],
                                    allow_overwrite=params['allow_overwrite'], read_only=params['read_only'],
                                    overrides=params['expect'], version=version,
                                    bucket_type=params['bucket_type'],
                                    incremental_upload=params['incremental_upload'])
    path = normalize_path(params['path'])
    probe_root = os.path.join(path, relative_probe_dir(params['probe_dir'])).rstrip('/') or '/'
    operations = selected_operations(params['operations'], existing, params['bucket'])
    mount = covering_mount(path, module.warn)
    result = dict(changed=False, operations=operations, bytes_verified=0, leftovers=[], hung=None,
                  mount=mount, mountpoint=mountpoint, problems=[])
    keys_under = None
    if EMPTY_DIR in operations:
        if mount is None:
            module.fail_json(msg='operations: empty_dir needs path on a mount of bucket %s; no mount covers %s'
                                 % (params['bucket'], path), **result)
        keys_under = bucket_lister(module, params, mount['mount_point'])

    if module.check_mode:
        needs_scratch = [name for name in operations if name != READ_EXISTING]
        result['scratch_dir'] = os.path.join(probe_root, PROBE_DIR_NAME, uuid.uuid4().hex) if needs_scratch else None
        result['outcomes'] = dict(
            (name, {'expected': list(expected[name]) if expected[name] is not None else None,
                    'observed': NOT_RUN, 'pass': None, 'detail': 'check mode: not run',
                    'bytes_verified': 0, 'seconds': 0})
            for name in operations)
        module.exit_json(msg='check mode: would run %d operation(s) under %s' % (len(operations), path), **result)

    report = run_probe(path, operations, size, params['timeout'], liveness=check_alive, existing_files=existing,
                       watch=params['watch'], probe_root=probe_root, keys_under=keys_under,
                       open_writers=params['open_writers'])
    problems = probe_problems(report, expected, params['timeout'])
    if report['leftovers']:
        module.warn('%d path(s) under %s could not be removed (%s), e.g. %s'
                    % (len(report['leftovers']), report['scratch_dir'],
                       ', '.join(sorted(set(item['error'] for item in report['leftovers']))),
                       report['leftovers'][0]['path']))
    result.update(
        changed=bool(report['leftovers']),
        outcomes=report['results'],
        bytes_verified=report['bytes_verified'],
        leftovers=report['leftovers'],
        scratch_dir=report['scratch_dir'],
        hung=report['hung'],
        problems=problems,
    )
    left = ('; %d path(s) could not be removed, see leftovers' % len(report['leftovers'])) if report['leftovers'] else ''
    if problems and params['fail_on_mismatch']:
        module.fail_json(msg='%d problem(s) probing %s: %s%s' % (len(problems), path, '; '.join(problems), left),
                         **result)
    judged = [item['pass'] for item in report['results'].values() if item['pass'] is not None]
    module.exit_json(msg='%d operation(s) run under %s; %d of %d with an expectation behaved as expected%s'
                     % (len(operations), path, judged.count(True), len(judged), left), **result)


if __name__ == '__main__':
    main()
