# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input rules shared by every storage backend of mountkit.aws.

Each check takes a value and ``at``, the name of the variable as the user wrote it (for example
``s3fs_mounts[1].prefix``), and returns a list of problems; an empty list means the value is fine.
Every message starts with ``at`` and says what is allowed, so roles can show it as it is. Values
that may be secret are never put into a message.

Only the Python standard library is used: the planners run on the controller, and the mount
health checker runs on hosts without Ansible.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

BUCKET_RE = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
IPV4_RE = re.compile(r'^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$')
# S3 reserves these for access points, Object Lambda, multi-region access points and table buckets.
RESERVED_BUCKET_PREFIXES = ('xn--', 'sthree-', 'amzn-s3-demo-')
RESERVED_BUCKET_SUFFIXES = ('-s3alias', '--ol-s3', '.mrap', '--table-s3')
# S3 Express One Zone: <base>--<zone id>--x-s3, e.g. logs--use1-az4--x-s3.
DIRECTORY_BUCKET_RE = re.compile(r'^[a-z0-9][a-z0-9-]*--[a-z0-9]+-az[0-9]+--x-s3$')

REGION_RE = re.compile(r'^[a-z]{2}(-[a-z]+)+-[0-9]+$')
URL_RE = re.compile(r'^https?://[^\s,/"\\]+(/[^\s,"\\]*)?$')
OCTAL_MODE_RE = re.compile(r'^0?[0-7]{3}$')
NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]*[$]?$')
OPTION_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.:+-]*(=[^\s,"\\]*)?$')
# Whitespace, commas and control characters cannot be written into fstab, unit files or option strings
# without escaping that each tool reads differently; such paths are refused everywhere.
UNSAFE_PATH_RE = re.compile(r'[\s,"\\\x00-\x1f\x7f]')


def bucket_problems(bucket, at, directory_buckets=False):
    """S3 bucket naming rules; directory_buckets admits S3 Express names (<base>--<az id>--x-s3)."""
    bucket = '' if bucket is None else str(bucket)
    allowed = ("must be 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or "
               "digit, without '..', '.-' or '-.', not an IP address and not a reserved name")
    if not BUCKET_RE.match(bucket):
        return ["%s %s, got '%s'" % (at, allowed, bucket)]
    if '..' in bucket or '.-' in bucket or '-.' in bucket or IPV4_RE.match(bucket):
        return ["%s %s, got '%s'" % (at, allowed, bucket)]
    for reserved in RESERVED_BUCKET_PREFIXES:
        if bucket.startswith(reserved):
            return ["%s must not start with '%s' (reserved by S3), got '%s'" % (at, reserved, bucket)]
    for reserved in RESERVED_BUCKET_SUFFIXES:
        if bucket.endswith(reserved):
            return ["%s must not end with '%s' (reserved by S3), got '%s'" % (at, reserved, bucket)]
    if bucket.endswith('--x-s3'):
        if not directory_buckets:
            return ["%s is an S3 Express directory bucket, which this backend cannot mount, got '%s'" % (at, bucket)]
        if not DIRECTORY_BUCKET_RE.match(bucket):
            return ["%s must look like <name>--<zone id>--x-s3 for a directory bucket, got '%s'" % (at, bucket)]
    return []


def is_directory_bucket(bucket):
    return bool(DIRECTORY_BUCKET_RE.match(str(bucket or '')))


def prefix_problems(prefix, at):
    """A key prefix: relative, ending with '/', no empty, '.' or '..' segments, nothing fstab cannot carry."""
    if prefix in (None, ''):
        return []
    prefix = str(prefix)
    if prefix.startswith('/'):
        return ["%s must not start with '/', got '%s'" % (at, prefix)]
    if not prefix.endswith('/'):
        return ["%s must end with '/', got '%s'" % (at, prefix)]
    segments = prefix[:-1].split('/')
    if any(segment in ('', '.', '..') for segment in segments) or UNSAFE_PATH_RE.search(prefix):
        return ["%s must be path segments each ending with '/', without empty, '.' or '..' segments, "
                "whitespace, commas, quotes or backslashes, got '%s'" % (at, prefix)]
    return []


def absolute_path_problems(path, at, allow_root=False):
    """An absolute, normalised path without anything fstab or unit files would need escaped."""
    path = '' if path is None else str(path)
    if not path.startswith('/'):
        return ["%s must be absolute, got '%s'" % (at, path)]
    if path == '/':
        return [] if allow_root else ["%s must not be '/', got '/'" % at]
    segments = path[1:].split('/')
    if any(segment in ('', '.', '..') for segment in segments) or UNSAFE_PATH_RE.search(path):
        return ["%s must be a normalised absolute path without a trailing '/', '//', '.' or '..' segments, "
                "whitespace, commas, quotes or backslashes, got '%s'" % (at, path)]
    return []


def path_overlap_problems(named_paths):
    """Duplicated or nested mount points among (at, path) pairs, in order; each pair is compared once.

    Pairs whose path is itself invalid should be left out by the caller.
    """
    problems = []
    seen = []
    for at, path in named_paths:
        for other_at, other in seen:
            if other == path:
                problems.append("%s '%s' is already %s; every mount needs its own path" % (at, path, other_at))
            elif path.startswith(other + '/') or other.startswith(path + '/'):
                problems.append("%s '%s' and %s '%s' lie inside each other; mount points must not be nested"
                                % (at, path, other_at, other))
        seen.append((at, path))
    return problems


def mode_problems(mode, at):
    """A file or directory mode as a quoted octal string: YAML reads an unquoted 0644 as the number 420."""
    if mode is None or mode == '':
        return []
    if not isinstance(mode, str) or not OCTAL_MODE_RE.match(mode):
        return ["%s must be an octal mode such as '0750' (quoted in YAML), got '%s'" % (at, mode)]
    return []


def mode_value(mode):
    """'0750' -> 0o750."""
    return int(str(mode), 8)


def id_problems(value, at):
    """A numeric user or group id."""
    if value is None or value == '':
        return []
    if isinstance(value, bool) or not re.match(r'^[0-9]+$', str(value)):
        return ["%s must be a user or group id (0 or more), got '%s'" % (at, value)]
    return []


def owner_problems(value, at):
    """A user or group given by name or number."""
    if value is None or value == '':
        return []
    text = str(value)
    if isinstance(value, bool) or not (text.isdigit() or NAME_RE.match(text)):
        return ["%s must be a user or group name or number, got '%s'" % (at, value)]
    return []


def region_problems(region, at):
    if region in (None, ''):
        return []
    if not REGION_RE.match(str(region)):
        return ["%s must be a region name such as eu-west-1, got '%s'" % (at, region)]
    return []


def url_problems(url, at):
    if url in (None, ''):
        return []
    if not URL_RE.match(str(url)):
        return ["%s must be an http:// or https:// URL without whitespace, commas, quotes or backslashes, "
                "got '%s'" % (at, url)]
    return []


def option_problems(option, at, managed=None):
    """One mount option ('name' or 'name=value'); managed maps names the role sets itself to the key to use."""
    text = '' if option is None else str(option)
    if not OPTION_RE.match(text):
        return ["%s must be one option, 'name' or 'name=value', without commas, whitespace, quotes or "
                "backslashes, got '%s'" % (at, text)]
    name = text.split('=', 1)[0]
    if managed and name in managed:
        return ["%s '%s' is set by the role; use %s instead" % (at, text, managed[name])]
    return []


def range_problems(value, at, low, high=None):
    """A whole number within [low, high] (high None: no upper bound)."""
    try:
        number = int(value)
        whole = not isinstance(value, bool) and str(number) == str(value).strip()
    except (TypeError, ValueError):
        whole = False
    if not whole or number < low or (high is not None and number > high):
        bound = ('between %d and %d' % (low, high)) if high is not None else ('%d or more' % low)
        return ["%s must be a whole number %s, got '%s'" % (at, bound, value)]
    return []


def choice_problems(value, at, choices):
    if value not in choices:
        return ["%s must be one of %s, got '%s'" % (at, ', '.join(str(choice) for choice in choices), value)]
    return []


def pair_problems(first, second, at, first_name, second_name):
    """Two settings that go together: both or neither (values are not shown: they may be secret)."""
    if bool(first) != bool(second):
        return ['%s needs both %s and %s, or neither' % (at, first_name, second_name)]
    return []


def secret_problems(value, at, forbidden=':'):
    """A secret that must not hold whitespace or the given separators; the value itself is never shown."""
    if value in (None, ''):
        return []
    text = str(value)
    if re.search(r'\s', text) or any(char in text for char in forbidden):
        return ["%s must not contain whitespace or %s (value not shown)" % (at, ' '.join(repr(c) for c in forbidden))]
    return []


TRUE = ('true', 'yes', 'on', '1', 'y', 't')
FALSE = ('false', 'no', 'off', '0', 'n', 'f', '')


def to_bool(value):
    """A YAML or string boolean as Ansible reads one; None and '' are false; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    text = '' if value is None else str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(value)


def flag(value, default, at):
    """A boolean setting as (its value, problems): unset (None) takes default, and so does a value that is
    no boolean, with a problem naming `at`."""
    if value is None:
        return default, []
    try:
        return to_bool(value), []
    except ValueError:
        return default, ["%s must be true or false, got '%s'" % (at, value)]


def slug(path):
    """A file-name-safe name for a mount point: '/mnt/a b/c' -> 'mnt-a_b-c'."""
    return re.sub(r'[^A-Za-z0-9._-]', '_', str(path).strip('/').replace('/', '-')) or 'root'
