#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mount_flags
short_description: Assert how a path is mounted, and that the mount answers
version_added: "0.1.0"
description:
  - Finds the mount that a lookup of O(path) reaches in a mount table (C(/proc/<pid>/mountinfo)) and
    checks it against expectations - file system type, source, options, propagation, fstab options -
    and that the mount is alive, i.e. not a dead FUSE mount (C(ENOTCONN)) or a hung NFS mount.
  - Which mount is reached is decided from the parent and mount ids of the table, as the kernel walks
    the path, not from the order of its lines. With several mounts stacked on one point, the one on top
    is checked; a copy that mount propagation placed under another mount, or a mount placed beneath
    another (C(MOVE_MOUNT_BENEATH)), is not. Only where the ids cannot tell does the later line win.
  - A line of the mount table that cannot be parsed is left out with a warning naming the table and
    line number, and listed in RV(parse_problems). When its mount point covers the path checked, that
    is a problem too, since the path may be on that mount.
  - Every unmet expectation becomes one item of RV(problems), saying what was expected and what was
    found; the module fails when there is any.
  - With O(mounts), checks all of a host's mounts in one task.
  - Reads only; nothing on the host is changed.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  path:
    description:
      - Absolute path to check; usually a mount point. The mount checked is the one a lookup of it reaches.
      - Exactly one of O(path) and O(mounts) is required.
    type: path
  mounts:
    description:
      - Several mounts to check in one call, each with expectations of its own. The mount table and
        fstab are read once, and every mount gets its own liveness check with its own O(timeout).
      - An expectation an item leaves out takes the value of the module option of the same name.
      - The result is then in RV(checks), one item per mount in this order, and RV(problems) names
        the path of each problem.
    type: list
    elements: dict
    suboptions:
      path:
        description: Absolute path to check, as O(path).
        type: path
        required: true
      fstype:
        description: As O(fstype).
        type: str
      source:
        description: As O(source).
        type: str
      options_present:
        description: As O(options_present).
        type: list
        elements: str
      options_absent:
        description: As O(options_absent).
        type: list
        elements: str
      propagation:
        description: As O(propagation).
        type: str
        choices: [shared, slave, private, unbindable, any]
      fstab_options_present:
        description: As O(fstab_options_present).
        type: list
        elements: str
      check_alive:
        description: As O(check_alive).
        type: bool
  mountinfo_path:
    description:
      - Mount table to read.
      - Use C(/proc/<pid>/mountinfo) to check what another process sees, for example C(dockerd) or a
        container's init. Paths are then relative to that process's root, and the liveness check goes
        through C(/proc/<pid>/root) so it reaches that process's mounts.
    type: path
    default: /proc/self/mountinfo
  fstab_path:
    description:
      - fstab(5) file in which to look up the entry for the mount point.
      - A missing file is treated as empty.
    type: path
    default: /etc/fstab
  fstype:
    description:
      - Shell-style pattern the file system type must match, for example V(fuse.s3fs), V(fuse) (Mountpoint
        for Amazon S3) or V(nfs4).
    type: str
  source:
    description:
      - Shell-style pattern the mount source must match, for example V(s3fs:*), V(mountpoint-s3) or
        V(127.0.0.1:/).
    type: str
  options_present:
    description:
      - Options that must be set, looked up in both the per-mount and the superblock options.
      - A bare name (V(rsize)) accepts any value; V(key=value) needs that value.
      - V(vers) and V(nfsvers) are the same option; V(vers=4) accepts any NFS 4.x, V(vers=4.1) only 4.1.
      - Example for EFS C([hard, timeo=600, retrans=2, noresvport, vers=4.1]).
    type: list
    elements: str
    default: []
  options_absent:
    description:
      - Options that must not be set, matched like O(options_present); for example V(soft).
    type: list
    elements: str
    default: []
  propagation:
    description:
      - Required mount propagation, read from the optional fields of the mount table.
      - V(shared) needs a peer group (C(shared:N)), also when the mount is a slave too.
      - V(slave) needs a master (C(master:N)).
      - V(private) needs neither, and not V(unbindable).
      - V(any) does not check.
    type: str
    choices: [shared, slave, private, unbindable, any]
    default: any
  fstab_options_present:
    description:
      - Options the fstab entry for the mount point must carry, for example C([_netdev, nofail]) or
        V(x-systemd.automount). Matched like O(options_present).
      - A missing fstab entry is a problem when this is not empty.
    type: list
    elements: str
    default: []
  check_alive:
    description:
      - Stat O(path) and look up a random name below it in a child process, within O(timeout).
      - C(ENOTCONN), C(ECONNABORTED) or C(ESTALE) mean a dead mount; no answer means a hung mount. Both
        are problems, as is any other error.
    type: bool
    default: true
extends_documentation_fragment:
  - mountkit.aws.probe
attributes:
  check_mode:
    description: Reads only, so it runs in check mode exactly as without it.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
  platform:
    description: Linux (C(/proc/<pid>/mountinfo)).
    support: full
    platforms: posix
seealso:
  - module: mountkit.aws.io_semantics
  - module: ansible.posix.mount
'''

EXAMPLES = r'''
- name: EFS is mounted with the options AWS recommends
  mountkit.aws.mount_flags:
    path: /mnt/efs
    fstype: nfs4
    options_present: [vers=4.1, rsize=1048576, wsize=1048576, hard, timeo=600, retrans=2, noresvport]
    options_absent: [soft]
    fstab_options_present: [_netdev]

- name: An s3fs mount is alive and shared, so containers started later see it
  mountkit.aws.mount_flags:
    path: /srv/shared/s3
    fstype: fuse.s3fs
    source: "s3fs:*"
    propagation: shared
    timeout: 5

- name: Mountpoint for Amazon S3 as dockerd sees it
  mountkit.aws.mount_flags:
    path: /mnt/s3
    mountinfo_path: "/proc/{{ dockerd_pid }}/mountinfo"
    fstype: fuse
    source: mountpoint-s3
    options_present: [nosuid, nodev]

- name: Every mount of a host in one call, s3fs ones with their own expectations
  mountkit.aws.mount_flags:
    mounts:
      - path: /mnt/s3/reports
        fstype: fuse.s3fs
        source: "s3fs:*"
        fstab_options_present: [_netdev]
      - path: /mnt/s3/logs
        fstype: fuse
        source: mountpoint-s3
    options_absent: [ro]
    timeout: 5
  register: host_mounts

- name: Record the mount without failing the play
  mountkit.aws.mount_flags:
    path: /mnt/data
    check_alive: false
  register: data_mount
  ignore_errors: true
'''

RETURN = r'''
mount:
  description:
    - The mount entry that a lookup of O(path) reaches, or V(null) when the table has none.
  returned: when O(path) is given
  type: dict
  sample:
    mount_id: 43
    parent_id: 27
    major_minor: "0:39"
    root: /
    mount_point: /mnt/s3fs
    mount_options: [rw, nosuid, nodev, relatime]
    optional_fields: ["shared:2"]
    propagation: shared
    peer_group: 2
    master: null
    propagate_from: null
    unbindable: false
    fstype: fuse.s3fs
    source: "s3fs:bucket"
    super_options: [rw, user_id=0, group_id=0, allow_other]
    line_number: 24
  contains:
    mount_point:
      description: Where the file system is mounted (escapes such as C(\040) decoded).
      type: str
    root:
      description: Path inside the file system that is mounted there (not C(/) for bind mounts).
      type: str
    fstype:
      description: File system type, C(fuse.<subtype>) for FUSE file systems with a subtype.
      type: str
    source:
      description: Mount source (device, C(host:/export), FUSE fsname).
      type: str
    mount_options:
      description: Per-mount options.
      type: list
      elements: str
    super_options:
      description: Superblock options; FUSE and NFS settings appear here.
      type: list
      elements: str
    propagation:
      description: One of C(shared), C(slave) (also when shared and slave), C(private), C(unbindable).
      type: str
    peer_group:
      description: Peer group id from C(shared:N), or V(null).
      type: int
    master:
      description: Master peer group id from C(master:N), or V(null).
      type: int
fstab:
  description: The fstab entry for the mount point (or for O(path) when nothing is mounted), or V(null).
  returned: when O(path) is given
  type: dict
  sample:
    source: "fs-12345678.efs.us-east-1.amazonaws.com:/"
    mount_point: /mnt/efs
    fstype: nfs4
    options: [nfsvers=4.1, hard, _netdev]
    dump: 0
    passno: 0
    line_number: 7
    netdev: true
    nofail: false
    systemd_options: {}
is_mount_point:
  description: Whether O(path) is itself the mount point of RV(mount).
  returned: when O(path) is given
  type: bool
  sample: true
alive:
  description:
    - C(ok), C(dead) (C(ENOTCONN), C(ECONNABORTED), C(ESTALE)), C(hung) (no answer within O(timeout)),
      C(error) (another errno, see RV(alive_detail)) or C(not_checked).
  returned: when O(path) is given
  type: str
  sample: ok
alive_detail:
  description: errno name behind RV(alive), or V(null).
  returned: when O(path) is given
  type: str
  sample: ENOTCONN
problems:
  description:
    - One item per unmet expectation, stating what was expected and what was found.
    - With O(mounts), each item starts with the path it is about.
  returned: always
  type: list
  elements: str
  sample:
    - "fstype: expected 'fuse.s3fs', found 'ext4' (mount at /)"
    - "alive: /mnt/s3fs is dead (ENOTCONN); unmount it (umount -l) and mount it again"
parse_problems:
  description:
    - The lines of the mount table at O(mountinfo_path) that could not be parsed and were left out.
  returned: always
  type: list
  elements: dict
  sample:
    - line_number: 31
      reason: no " - " separator after the sixth field
      mount_point: /mnt/x
  contains:
    line_number:
      description: Line number in the table, from 1.
      type: int
    reason:
      description: Why the line could not be parsed.
      type: str
    mount_point:
      description: The mount point field of the line, decoded, when it looks like one; else V(null).
      type: str
checks:
  description:
    - One result per item of O(mounts), in that order, with the keys returned for O(path) alone
      (RV(mount), RV(fstab), RV(is_mount_point), RV(alive), RV(alive_detail), RV(problems)) and the
      normalized C(path).
  returned: when O(mounts) is given
  type: list
  elements: dict
  sample:
    - path: /mnt/s3/reports
      mount: {mount_point: /mnt/s3/reports, fstype: fuse.s3fs, source: "s3fs:reports"}
      fstab: {mount_point: /mnt/s3/reports, fstype: fuse.s3fs, options: [_netdev, allow_other]}
      is_mount_point: true
      alive: ok
      alive_detail: null
      problems: []
'''

import fnmatch
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import (
    check_alive, find_fstab_entry, find_mount, matching_options, missing_options, normalize_path,
    parse_warnings, path_is_under, present_options, read_fstab, read_mountinfo,
)

_PROC_MOUNTINFO = re.compile(r'^/proc/(\d+)/(?:task/\d+/)?mountinfo$')


def alive_check_path(path, mountinfo_path):
    """Reach path as the process whose mount table is read sees it."""
    match = _PROC_MOUNTINFO.match(os.path.normpath(mountinfo_path))
    if match and int(match.group(1)) != os.getpid():
        return '/proc/%s/root%s' % (match.group(1), path)
    return path


def _options_text(entry):
    return 'mount options: %s; super options: %s' % (
        ','.join(entry.mount_options) or '-', ','.join(entry.super_options) or '-')


def mount_problems(entry, params):
    """Problems with the mount entry itself (type, source, options, propagation)."""
    path = params['path']
    if entry is None:
        return ['no mount covers %s in %s' % (path, params['mountinfo_path'])]
    problems = []
    where = 'mount at %s' % entry.mount_point
    if params['fstype'] and not fnmatch.fnmatchcase(entry.fstype, params['fstype']):
        problems.append("fstype: expected '%s', found '%s' (%s)" % (params['fstype'], entry.fstype, where))
    if params['source'] and not fnmatch.fnmatchcase(entry.source, params['source']):
        problems.append("source: expected '%s', found '%s' (%s)" % (params['source'], entry.source, where))
    for option in missing_options(params['options_present'], entry.options):
        problems.append("options_present: '%s' is not set (%s)" % (option, _options_text(entry)))
    for option in present_options(params['options_absent'], entry.options):
        found = ','.join(matching_options(option, entry.options)) or option
        problems.append("options_absent: '%s' is set (found '%s')" % (option, found))
    wanted = params['propagation']
    if wanted != 'any':
        satisfied = {
            'shared': entry.peer_group is not None and not entry.unbindable,
            'slave': entry.master is not None,
            'private': entry.propagation == 'private',
            'unbindable': entry.unbindable,
        }[wanted]
        if not satisfied:
            fields = ' '.join(entry.optional_fields) or 'none'
            problems.append('propagation: expected %s, found %s (optional fields: %s; %s)'
                            % (wanted, entry.propagation, fields, where))
    return problems


def fstab_problems(fstab_entry, wanted, fstab_path, lookup_path, fstab_exists):
    if not wanted:
        return []
    if fstab_entry is None:
        if not fstab_exists:
            return ['fstab_options_present: %s does not exist, so there is no entry for %s' % (fstab_path, lookup_path)]
        return ['fstab_options_present: %s has no entry for %s' % (fstab_path, lookup_path)]
    return ["fstab_options_present: '%s' is not in the options of %s line %d (%s)"
            % (option, fstab_path, fstab_entry.line_number, ','.join(fstab_entry.options) or '-')
            for option in missing_options(wanted, fstab_entry.options)]


def alive_problem(state, detail, path, timeout):
    if state == 'dead':
        return 'alive: %s is dead (%s); unmount it (umount -l) and mount it again' % (path, detail)
    if state == 'hung':
        return 'alive: %s did not answer a stat within %gs (hung mount)' % (path, timeout)
    if state == 'error':
        return 'alive: stat of %s failed with %s' % (path, detail)
    return None


# Expectations a mount in O(mounts) may set; the module's own value is the default for each.
EXPECTATION_OPTIONS = ('fstype', 'source', 'options_present', 'options_absent', 'propagation',
                       'fstab_options_present', 'check_alive')


def mount_checks(params):
    """One parameter dict per mount to check: O(path) alone, or each item of O(mounts)."""
    if params['mounts'] is None:
        return [dict(params)]
    checks = []
    for item in params['mounts']:
        check = dict(params)
        check['path'] = item['path']
        for name in EXPECTATION_OPTIONS:
            if item.get(name) is not None:
                check[name] = item[name]
        checks.append(check)
    return checks


def validate(params):
    """Messages for invalid parameters, each naming the parameter."""
    errors = []
    if params['mounts'] is None:
        paths = [('path', params['path'])]
    else:
        if not params['mounts']:
            errors.append('mounts must list at least one mount')
        paths = [('mounts[%d].path' % index, item['path']) for index, item in enumerate(params['mounts'])]
    for name, path in paths:
        if not path.startswith('/'):
            errors.append("%s must be absolute, got '%s'" % (name, path))
    if params['timeout'] <= 0:
        errors.append('timeout must be greater than 0, got %s' % params['timeout'])
    if not os.path.exists(params['mountinfo_path']):
        errors.append('mountinfo_path %s does not exist' % params['mountinfo_path'])
    return errors


def read_tables(module, params):
    """(mount entries, mount table lines not parsed, fstab entries, whether fstab exists).

    Lines that cannot be parsed become warnings.
    """
    parse_errors = []
    try:
        entries = read_mountinfo(params['mountinfo_path'], errors=parse_errors)
    except (IOError, OSError) as exc:
        module.fail_json(msg='mountinfo_path %s cannot be read: %s' % (params['mountinfo_path'], exc))
    for message in parse_warnings(params['mountinfo_path'], parse_errors):
        module.warn(message)
    fstab_exists = os.path.exists(params['fstab_path'])
    fstab_entries = []
    if fstab_exists:
        fstab_errors = []
        try:
            fstab_entries = read_fstab(params['fstab_path'], errors=fstab_errors)
        except (IOError, OSError) as exc:
            module.fail_json(msg='fstab_path %s cannot be read: %s' % (params['fstab_path'], exc))
        for error in fstab_errors:
            module.warn('%s line %d skipped: %s' % (params['fstab_path'], error['line_number'], error['reason']))
    return entries, parse_errors, fstab_entries, fstab_exists


def parse_problems(parse_errors):
    """The unparsed lines as RV(parse_problems): without the line text, which the warnings show."""
    return [dict((key, error[key]) for key in ('line_number', 'reason', 'mount_point')) for error in parse_errors]


def unparsed_mount_problems(parse_errors, path, mountinfo_path):
    """A line left out whose mount point covers path may be the mount that path is on."""
    return ['mount table: %s line %d (mount point %s) cannot be parsed, so %s may be on a mount not checked'
            % (mountinfo_path, error['line_number'], error['mount_point'], path)
            for error in parse_errors
            if error['mount_point'] is not None and path_is_under(path, normalize_path(error['mount_point']))]


def check_mount(params, entries, parse_errors, fstab_entries, fstab_exists):
    """The result for one mount: its entries, liveness and problems."""
    path = params['path'] = normalize_path(params['path'])
    entry = find_mount(entries, path)
    # The path's own entry first: when the mount is missing, the covering mount (often /) is the wrong one.
    lookup_path = path
    fstab_entry = find_fstab_entry(fstab_entries, path)
    if fstab_entry is None and entry is not None and entry.mount_point.startswith('/'):
        lookup_path = entry.mount_point
        fstab_entry = find_fstab_entry(fstab_entries, lookup_path)

    problems = unparsed_mount_problems(parse_errors, path, params['mountinfo_path'])
    problems.extend(mount_problems(entry, params))
    problems.extend(fstab_problems(fstab_entry, params['fstab_options_present'], params['fstab_path'],
                                   lookup_path, fstab_exists))
    alive, alive_detail = 'not_checked', None
    if params['check_alive']:
        alive, alive_detail = check_alive(alive_check_path(path, params['mountinfo_path']), params['timeout'])
        problem = alive_problem(alive, alive_detail, path, params['timeout'])
        if problem:
            problems.append(problem)
    return dict(
        path=path,
        mount=entry.to_dict() if entry is not None else None,
        fstab=fstab_entry.to_dict() if fstab_entry is not None else None,
        is_mount_point=entry is not None and normalize_path(entry.mount_point) == path,
        alive=alive,
        alive_detail=alive_detail,
        problems=problems,
    )


def main():
    expectations = dict(
        fstype=dict(type='str'),
        source=dict(type='str'),
        options_present=dict(type='list', elements='str', default=[]),
        options_absent=dict(type='list', elements='str', default=[]),
        propagation=dict(type='str', default='any', choices=['shared', 'slave', 'private', 'unbindable', 'any']),
        fstab_options_present=dict(type='list', elements='str', default=[]),
        check_alive=dict(type='bool', default=True),
    )
    # In mounts, an expectation left out takes the module's value, so no defaults there.
    per_mount = dict((name, dict(spec, default=None)) for name, spec in expectations.items())
    per_mount['path'] = dict(type='path', required=True)
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path'),
            mounts=dict(type='list', elements='dict', options=per_mount),
            mountinfo_path=dict(type='path', default='/proc/self/mountinfo'),
            fstab_path=dict(type='path', default='/etc/fstab'),
            timeout=dict(type='float', default=10),
            **expectations
        ),
        mutually_exclusive=[('path', 'mounts')],
        required_one_of=[('path', 'mounts')],
        supports_check_mode=True,
    )
    params = module.params
    errors = validate(params)
    if errors:
        module.fail_json(msg='; '.join(errors))
    tables = read_tables(module, params)
    checks = [check_mount(check, *tables) for check in mount_checks(params)]
    unparsed = parse_problems(tables[1])

    if params['mounts'] is None:
        result = checks[0]
        path = result.pop('path')
        problems = result['problems']
        if problems:
            module.fail_json(msg='%d problem(s) with the mount at %s: %s' % (len(problems), path, '; '.join(problems)),
                             changed=False, parse_problems=unparsed, **result)
        module.exit_json(msg='%s is mounted as expected' % path, changed=False, parse_problems=unparsed, **result)

    problems = ['%s: %s' % (check['path'], problem) for check in checks for problem in check['problems']]
    failing = len([check for check in checks if check['problems']])
    if problems:
        module.fail_json(msg='%d of %d mounts with problems: %s' % (failing, len(checks), '; '.join(problems)),
                         changed=False, checks=checks, problems=problems, parse_problems=unparsed)
    module.exit_json(msg='%d mounts are mounted as expected' % len(checks), changed=False, checks=checks,
                     problems=problems, parse_problems=unparsed)


if __name__ == '__main__':
    main()
