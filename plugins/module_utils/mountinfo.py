# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one parser for mount tables in mountkit.aws.

Reads /proc/<pid>/mountinfo (proc(5)) and fstab(5), finds the mount a lookup of a path reaches,
compares mount options (with aliases such as nfsvers/vers) and tells a live mount from a
dead (ENOTCONN) or hung one without ever blocking the caller.

Only the Python standard library is used, so modules can run on any target.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import posixpath
import re
import uuid

from ansible_collections.mountkit.aws.plugins.module_utils.bounded_call import errno_name, run_in_child

PROPAGATION_TYPES = ('shared', 'slave', 'private', 'unbindable')

# Option names that mean the same thing; the key is rewritten to the value before comparing.
OPTION_ALIASES = {
    'nfsvers': 'vers',
}

# Options whose value is a version: a wanted 'vers=4' accepts any 4.x.
VERSION_OPTIONS = ('vers',)

# errnos that mean the mount cannot serve any more and must be remounted.
DEAD_ERRNOS = (errno.ENOTCONN, errno.ECONNABORTED, errno.ESTALE)

# Appended by the kernel to a mount point whose directory was deleted.
DELETED_SUFFIX = '//deleted'

_OCTAL_ESCAPE = re.compile(br'\\([0-7]{3})')


def unescape(field):
    r"""Decode the octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) used in mount tables."""
    if '\\' not in field:
        return field
    raw = field.encode('utf-8', 'surrogateescape')
    raw = _OCTAL_ESCAPE.sub(lambda match: bytes(bytearray([int(match.group(1), 8) & 0xff])), raw)
    return raw.decode('utf-8', 'surrogateescape')


def split_options(text):
    """Split a comma-separated option string, keeping commas inside double quotes (SELinux contexts)."""
    if not text:
        return []
    options = []
    current = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == ',' and not quoted:
            options.append(''.join(current))
            current = []
        else:
            current.append(char)
    options.append(''.join(current))
    return [unescape(option) for option in options if option != '']


def normalize_path(path):
    """Lexically normalise an absolute path; symlinks are not resolved (that would touch the file system)."""
    if not path or not path.startswith('/'):
        raise ValueError('path must be absolute, got %r' % (path,))
    path = posixpath.normpath(path)
    if path.startswith('//'):
        path = '/' + path.lstrip('/')
    return path


def path_is_under(path, mount_point):
    """True when mount_point is path itself or one of its ancestors, on path-component boundaries."""
    if mount_point == '/':
        return True
    return path == mount_point or path.startswith(mount_point + '/')


class MountEntry(object):
    """One line of /proc/<pid>/mountinfo."""

    __slots__ = ('mount_id', 'parent_id', 'major_minor', 'root', 'mount_point', 'mount_options',
                 'optional_fields', 'propagation', 'peer_group', 'master', 'propagate_from',
                 'unbindable', 'fstype', 'source', 'super_options', 'line_number')

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields.get(name))

    @property
    def options(self):
        """Per-mount options followed by superblock options; FUSE and NFS settings live in the latter."""
        return list(self.mount_options) + list(self.super_options)

    def has_option(self, wanted):
        return option_matches(wanted, self.options)

    def to_dict(self):
        return dict((name, getattr(self, name)) for name in self.__slots__)

    def __repr__(self):
        return 'MountEntry(%d %s %s %s)' % (self.mount_id, self.mount_point, self.fstype, self.source)


class FstabEntry(object):
    """One entry of fstab(5)."""

    __slots__ = ('source', 'mount_point', 'fstype', 'options', 'dump', 'passno', 'line_number')

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields.get(name))

    @property
    def netdev(self):
        return '_netdev' in self.options

    @property
    def nofail(self):
        return 'nofail' in self.options

    @property
    def systemd_options(self):
        """The x-systemd.* options as a dict; a bare flag maps to None."""
        result = {}
        for option in self.options:
            if option.startswith('x-systemd.'):
                key, value = split_option(option)
                result[key] = value
        return result

    def has_option(self, wanted):
        return option_matches(wanted, self.options)

    def to_dict(self):
        result = dict((name, getattr(self, name)) for name in self.__slots__)
        result.update(netdev=self.netdev, nofail=self.nofail, systemd_options=self.systemd_options)
        return result

    def __repr__(self):
        return 'FstabEntry(%s %s %s)' % (self.source, self.mount_point, self.fstype)


def _malformed(errors, line_number, line, reason, mount_point=None):
    if errors is None:
        raise ValueError('line %d: %s: %r' % (line_number, reason, line))
    errors.append({'line_number': line_number, 'line': line, 'reason': reason, 'mount_point': mount_point})


_DECIMAL = re.compile(r'^[0-9]+$')


def _parse_int(text, what):
    if not _DECIMAL.match(text):
        raise ValueError('%s is not a number: %r' % (what, text))
    return int(text)


_MAJOR_MINOR = re.compile(r'^[0-9]+:[0-9]+$')


def _parse_mountinfo_line(line):
    # The kernel separates fields with one space and escapes space, tab, newline and backslash
    # inside them; every other byte (CR, U+00A0, U+3000, ...) is written as is. So split on ' '
    # only: str.split() would also cut at those bytes, and an empty source gives an empty field.
    fields = line.split(' ')
    if len(fields) < 9:
        raise ValueError('%d space-separated fields, at least 9 expected' % len(fields))
    for position, name in enumerate(('mount id', 'parent id', 'major:minor', 'root', 'mount point',
                                     'mount options')):
        if fields[position] == '':
            raise ValueError('%s (field %d) is empty' % (name, position + 1))
    mount_id = _parse_int(fields[0], 'mount id')
    parent_id = _parse_int(fields[1], 'parent id')
    if not _MAJOR_MINOR.match(fields[2]):
        raise ValueError('major:minor is not two numbers: %r' % fields[2])
    try:
        separator = fields.index('-', 6)
    except ValueError:
        raise ValueError('no " - " separator after the sixth field')
    optional_fields = fields[6:separator]
    after = fields[separator + 1:]
    if len(after) < 2:
        raise ValueError('fewer than two fields after the separator')
    if after[0] == '':
        raise ValueError('file system type is empty')
    peer_group = master = propagate_from = None
    unbindable = False
    for field in optional_fields:
        tag, _sep, value = field.partition(':')
        if tag == '':
            raise ValueError('empty optional field (two spaces in a row)')
        if tag == 'shared':
            peer_group = _parse_int(value, 'shared peer group')
        elif tag == 'master':
            master = _parse_int(value, 'master peer group')
        elif tag == 'propagate_from':
            propagate_from = _parse_int(value, 'propagate_from peer group')
        elif tag == 'unbindable':
            unbindable = True
    # A shared+slave mount is reported as 'slave' (it receives from its master); peer_group still shows it is shared.
    if unbindable:
        propagation = 'unbindable'
    elif master is not None:
        propagation = 'slave'
    elif peer_group is not None:
        propagation = 'shared'
    else:
        propagation = 'private'
    return MountEntry(
        mount_id=mount_id,
        parent_id=parent_id,
        major_minor=fields[2],
        root=unescape(fields[3]),
        mount_point=unescape(fields[4]),
        mount_options=split_options(fields[5]),
        optional_fields=optional_fields,
        propagation=propagation,
        peer_group=peer_group,
        master=master,
        propagate_from=propagate_from,
        unbindable=unbindable,
        fstype=unescape(after[0]),
        source=unescape(after[1]),
        # The last field; the kernel escapes it like the others, but nothing can follow it to be misread.
        super_options=split_options(' '.join(after[2:])),
    )


def _mount_point_of_bad_line(line):
    """The mount point field of a line that did not parse, if it looks like one (absolute), else None."""
    fields = line.split(' ')
    if len(fields) > 4 and fields[4].startswith('/'):
        return unescape(fields[4])
    return None


def parse_mountinfo(text, errors=None):
    """Parse mountinfo text into MountEntry objects, in table order.

    A line that does not have the kernel's shape raises ValueError, unless a list is passed as
    errors: then it is recorded there (line_number, line, reason, and mount_point when the
    fifth field looks like one) and left out. Only empty lines are skipped silently.
    """
    entries = []
    for line_number, line in enumerate(text.split('\n'), 1):
        if line == '':
            continue
        try:
            entry = _parse_mountinfo_line(line)
        except (ValueError, IndexError) as exc:
            _malformed(errors, line_number, line, str(exc), _mount_point_of_bad_line(line))
            continue
        entry.line_number = line_number
        entries.append(entry)
    return entries


def parse_warnings(path, errors):
    """One message per line of the table at path that could not be parsed (errors from parse_mountinfo)."""
    return ['%s line %d cannot be parsed and was left out: %s: %r' % (path, error['line_number'], error['reason'],
                                                                      error['line'])
            for error in errors]


def _read_text(path):
    # Mount tables may hold bytes that are not UTF-8; keep them round-trippable.
    with open(path, 'rb') as handle:
        return handle.read().decode('utf-8', 'surrogateescape')


def read_mountinfo(path='/proc/self/mountinfo', errors=None):
    return parse_mountinfo(_read_text(path), errors)


_FSTAB_BLANKS = re.compile(r'[ \t]+')


def parse_fstab(text, errors=None):
    """Parse fstab text into FstabEntry objects, skipping comments and blank lines.

    dump and passno default to 0 when missing. Malformed lines are handled as in parse_mountinfo.
    """
    entries = []
    for line_number, line in enumerate(text.split('\n'), 1):
        # Fields are separated by blanks (space, tab) only, as mount(8) reads them; other bytes belong to a field.
        fields = _FSTAB_BLANKS.split(line.strip(' \t'))
        if fields == [''] or fields[0].startswith('#'):
            continue
        if len(fields) < 3:
            _malformed(errors, line_number, line, 'fewer than three fields')
            continue
        if len(fields) > 6:
            _malformed(errors, line_number, line, 'more than six fields')
            continue
        try:
            dump = _parse_int(fields[4], 'dump') if len(fields) > 4 else 0
            passno = _parse_int(fields[5], 'passno') if len(fields) > 5 else 0
        except ValueError as exc:
            _malformed(errors, line_number, line, str(exc))
            continue
        entries.append(FstabEntry(
            source=unescape(fields[0]),
            mount_point=unescape(fields[1]),
            fstype=unescape(fields[2]),
            options=split_options(fields[3]) if len(fields) > 3 else [],
            dump=dump,
            passno=passno,
            line_number=line_number,
        ))
    return entries


def read_fstab(path='/etc/fstab', errors=None):
    return parse_fstab(_read_text(path), errors)


def _covering(entries, path):
    """(table index, normalised mount point, entry) of each entry whose mount point is path or an ancestor."""
    covering = []
    for index, entry in enumerate(entries):
        # The kernel marks a mount point whose directory was deleted; no lookup leads there.
        if entry.mount_point.startswith('/') and not entry.mount_point.endswith(DELETED_SUFFIX):
            mount_point = normalize_path(entry.mount_point)
            if path_is_under(path, mount_point):
                covering.append((index, mount_point, entry))
    return covering


def _last_listed_deepest(candidates):
    """Table order, where ids cannot decide: a mount listed later over the same point or an ancestor
    hides an earlier one; of the rest, the deepest mount point wins, then the last listed."""
    visible = [candidate for candidate in candidates
               if not any(later[0] > candidate[0] and path_is_under(candidate[1], later[1]) for later in candidates)]
    return max(visible, key=lambda candidate: (len(candidate[1]), candidate[0])) if visible else None


def lookup_chain(entries, path):
    """The mounts a lookup of path crosses, from the process root to the mount it reaches (a list).

    This follows the kernel's path walk on the parent/child ids of the table, not its order:
    - The walk starts at a mount whose parent is not in the table (the root mount; in a chroot
      several can be). Which of those covers path is unknown from ids, so table order decides.
    - From a mount, the walk enters the child mounted on the first component of path that has
      one: of the children whose mount point covers path, the one with the shortest mount point.
      A child deeper down sits on a directory that this one covers (a propagated copy, or a
      submount of a mount that was covered later) and is never reached.
    - Mounts on the same point stack: the one mounted on top has the lower one as its parent
      (also for one placed beneath with MOVE_MOUNT_BENEATH, which takes the lower one's place),
      so the walk climbs to the top. Children of one parent on the same point (kernels before
      4.11 made such side mounts) cannot be told apart by ids: the last listed wins.
    - A mount on the process root itself (mount point '/' above the root mount) is not entered:
      lookups start at the root, below it, until the process changes its root.
    """
    path = normalize_path(path)
    candidates = _covering(entries, path)
    listed_ids = set(entry.mount_id for entry in entries)
    children = {}
    top_level = []
    for candidate in candidates:
        entry = candidate[2]
        if entry.parent_id in listed_ids and entry.parent_id != entry.mount_id:
            children.setdefault(entry.parent_id, []).append(candidate)
        else:
            top_level.append(candidate)
    current = _last_listed_deepest(top_level)
    chain = []
    visited = set()
    while current is not None and current[0] not in visited:
        visited.add(current[0])
        chain.append(current[2])
        reachable = [child for child in children.get(current[2].mount_id, ()) if child[1] != '/']
        if not reachable:
            break
        nearest = min(len(child[1]) for child in reachable)
        current = max((child for child in reachable if len(child[1]) == nearest), key=lambda child: child[0])
    return chain


def find_mount(entries, path):
    """Return the MountEntry that a lookup of path reaches (see lookup_chain), or None."""
    chain = lookup_chain(entries, path)
    return chain[-1] if chain else None


def find_fstab_entry(entries, path):
    """Return the fstab entry whose mount point is exactly path (the last one if repeated), or None."""
    path = normalize_path(path)
    found = None
    for entry in entries:
        if entry.mount_point.startswith('/') and normalize_path(entry.mount_point) == path:
            found = entry
    return found


def split_option(option):
    """'key=value' -> ('key', 'value'); a bare flag -> ('flag', None)."""
    key, sep, value = option.partition('=')
    return key, (value if sep else None)


def normalize_option(option):
    """Rewrite an option to its canonical spelling ('nfsvers=4.1' -> 'vers=4.1')."""
    key, value = split_option(option.strip())
    key = OPTION_ALIASES.get(key, key)
    return key if value is None else '%s=%s' % (key, value)


def _parse_version(value):
    major, sep, minor = value.partition('.')
    if not major.isdigit() or (sep and not minor.isdigit()):
        return None
    return int(major), (int(minor) if sep else None)


def _version_matches(wanted, actual):
    """'4' accepts any 4.x; '4.1' needs 4.1; a version without minor satisfies '.0' only below v4.

    NFSv4 without a minor means "negotiate", so an fstab 'vers=4' does not promise 4.0.
    """
    wanted_version, actual_version = _parse_version(wanted), _parse_version(actual)
    if wanted_version is None or actual_version is None:
        return wanted == actual
    (wanted_major, wanted_minor), (actual_major, actual_minor) = wanted_version, actual_version
    if wanted_major != actual_major:
        return False
    if wanted_minor is None or wanted_minor == actual_minor:
        return True
    return actual_minor is None and wanted_minor == 0 and actual_major < 4


def _canonical_pairs(options):
    pairs = [split_option(normalize_option(option)) for option in options]
    # Old spelling 'vers=4,minorversion=1' means vers=4.1.
    minor = [value for key, value in pairs if key == 'minorversion' and value is not None]
    if minor:
        pairs = [(key, '%s.%s' % (value, minor[-1]) if key == 'vers' and value and '.' not in value else value)
                 for key, value in pairs]
    return pairs


def option_matches(wanted, actual_options):
    """True when wanted is satisfied by actual_options.

    A bare 'key' matches 'key' and any 'key=...'; 'key=value' matches only that value
    (versions compare as in _version_matches). Aliases are applied on both sides.
    """
    wanted_key, wanted_value = split_option(normalize_option(wanted))
    for key, value in _canonical_pairs(actual_options):
        if key != wanted_key:
            continue
        if wanted_value is None:
            return True
        if value is None:
            continue
        if key in VERSION_OPTIONS and _version_matches(wanted_value, value):
            return True
        if value == wanted_value:
            return True
    return False


def missing_options(wanted_options, actual_options):
    """The wanted options that actual_options does not satisfy."""
    return [wanted for wanted in wanted_options if not option_matches(wanted, actual_options)]


def present_options(unwanted_options, actual_options):
    """The unwanted options that actual_options does satisfy."""
    return [unwanted for unwanted in unwanted_options if option_matches(unwanted, actual_options)]


def matching_options(wanted, actual_options):
    """The actual options that satisfy wanted (for messages such as "found 'nfsvers=3'")."""
    return [option for option in actual_options if option_matches(wanted, [option])]


def _stat_and_lookup(path, probe_name):
    """Stat path, then look up a name that cannot exist below it.

    The stat may be answered from the kernel's attribute cache; the lookup of a fresh name
    must reach the file system (FUSE daemon, NFS server), so it proves the mount answers.
    """
    os.stat(path)
    try:
        os.lstat(os.path.join(path, probe_name))
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.EACCES):
            raise
    return None


def check_alive(path, timeout=10.0):
    """Tell whether the mount at path answers, without blocking the caller longer than timeout.

    Returns (state, detail): state is 'ok', 'dead' (ENOTCONN, ECONNABORTED or ESTALE: remount
    needed), 'hung' (no answer within timeout) or 'error' (another errno, e.g. EIO or ENOENT);
    detail is the errno name, or None when ok. The stat runs in a child process that is
    abandoned if it hangs, so an unkillable (D state) child never blocks the caller.
    """
    outcome = run_in_child(_stat_and_lookup, (path, '.mountkit-alive-%s' % uuid.uuid4().hex), timeout)
    if outcome.timed_out:
        return 'hung', 'ETIMEDOUT'
    if outcome.errno is not None:
        name = errno_name(outcome.errno)
        return ('dead' if outcome.errno in DEAD_ERRNOS else 'error'), name
    if outcome.error:
        return 'error', outcome.error
    return 'ok', None
