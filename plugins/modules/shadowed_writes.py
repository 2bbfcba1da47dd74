#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: shadowed_writes
short_description: Find files written beneath a mount point while its mount was absent
version_added: "0.1.0"
description:
  - Looks at the directory underneath the mount at O(path), which the mount hides, and reports the
    files there (how many, how many bytes, and the first few names with size and SHA-256).
  - Such files were written while nothing was mounted at O(path), for example by a container that
    started before the mount at boot or kept the bare directory after a remount. They never reached
    S3 or EFS and fill the host's disk.
  - The directory is reached through a bind of the file system that holds it, made in a child process
    that first leaves the host's mount namespace and makes every mount private there. The bind is
    read-only and carries no submounts, so the mount point shows its own directory. The host's mount
    table does not change, and the child is given up on after O(timeout) seconds.
  - Reports only, unless O(move_to) is set. Never deletes anything.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  path:
    description:
      - Absolute path of the mount point on the host. It may be mounted or not.
    type: path
    required: true
  move_to:
    description:
      - Move everything found underneath into this directory, by name, keeping every byte.
      - Must be an absolute path on the same file system as the directory underneath (the file system
        that holds O(path)'s directory), outside O(path); it is created with mode C(0700) if missing.
        A move is a C(rename), so no byte is copied; sizes and SHA-256 digests are compared afterwards.
      - An entry whose name already exists in O(move_to) is left where it is and named in
        RV(conflicts).
    type: path
  list_limit:
    description:
      - How many files to name in RV(files), in name order.
    type: int
    default: 10
  timeout:
    description:
      - Seconds for the whole look (and move), in a child process.
    type: float
    default: 30
  fail_on_found:
    description:
      - Fail when files are found underneath (after moving them, with O(move_to)).
    type: bool
    default: false
notes:
  - Supports check mode; with O(move_to) it reports what it would move and moves nothing.
  - Needs root (C(CAP_SYS_ADMIN)) for the private mount namespace. Where that is refused the module
    fails with RV(cannot_run) set, so an audit can report the check as skipped.
  - Uses a temporary empty directory as the bind's target; it is removed afterwards.
seealso:
  - module: mountkit.aws.container_views
'''

EXAMPLES = r'''
- name: Report files hidden beneath an S3 mount
  mountkit.aws.shadowed_writes:
    path: /srv/s3/logs
  register: hidden

- name: Move them aside into a directory on the root file system, keeping every byte
  mountkit.aws.shadowed_writes:
    path: /srv/s3/logs
    move_to: /var/lib/mountkit/shadowed/srv-s3-logs
  when: hidden.count > 0
'''

RETURN = r'''
path:
  description: The mount point.
  returned: always
  type: str
mounted:
  description: Whether something is mounted at RV(path) on the host.
  returned: success
  type: bool
underlying:
  description: The mount that holds the directory underneath (mount_point, fstype, source, major_minor, mount_id, root).
  returned: success
  type: dict
count:
  description: Number of regular files underneath, at any depth.
  returned: success
  type: int
bytes:
  description: Their total size.
  returned: success
  type: int
others:
  description: Number of other entries underneath (directories, symbolic links, ...).
  returned: success
  type: int
files:
  description: The first O(list_limit) regular files, by name (relative to RV(path)), with size and sha256.
  returned: success
  type: list
  elements: dict
  sample:
    - name: task.log
      size: 51
      sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
moved:
  description: Names moved into O(move_to) (or that would be, in check mode).
  returned: when O(move_to) is set
  type: list
  elements: str
conflicts:
  description: Names left underneath because O(move_to) already has an entry of that name.
  returned: when O(move_to) is set
  type: list
  elements: str
mismatched:
  description: Files whose size or SHA-256 differs after the move (none, unless the file changed meanwhile).
  returned: when O(move_to) is set and not in check mode
  type: list
  elements: str
remaining:
  description: Regular files still underneath after the move.
  returned: when O(move_to) is set and not in check mode
  type: int
cannot_run:
  description: True when the check cannot run on this host (for example without root); the module fails.
  returned: on failure
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mountkit.aws.plugins.module_utils.shadowed_writes import CannotRun, look_beneath


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            move_to=dict(type='path'),
            list_limit=dict(type='int', default=10),
            timeout=dict(type='float', default=30),
            fail_on_found=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path = params['path']
    if not path.startswith('/'):
        module.fail_json(msg='path must be absolute, got %r' % path, path=path)
    if params['move_to'] is not None and not params['move_to'].startswith('/'):
        module.fail_json(msg='move_to must be an absolute directory path, got %r' % params['move_to'], path=path)
    if not 0 <= params['list_limit'] <= 1000:
        module.fail_json(msg='list_limit must be 0 to 1000, got %s' % params['list_limit'], path=path)
    if not params['timeout'] > 0:
        module.fail_json(msg='timeout must be greater than 0, got %g' % params['timeout'], path=path)
    try:
        # In check mode move_to is validated as in a real run and what would move is named.
        result = look_beneath(path, move_to=params['move_to'], list_limit=params['list_limit'],
                              timeout=params['timeout'], dry_run=module.check_mode)
    except ValueError as exc:
        module.fail_json(msg=str(exc), path=path)
    except CannotRun as exc:
        module.fail_json(msg='cannot look beneath %s: %s' % (path, exc), path=path, cannot_run=True)
    except (OSError, IOError) as exc:
        module.fail_json(msg='looking beneath %s failed: %s' % (path, exc.strerror or exc), path=path)
    changed = bool(result.get('moved'))
    problems = []
    if result.get('mismatched'):
        problems.append('%d moved file(s) differ from what was found: %s'
                        % (len(result['mismatched']), ', '.join(result['mismatched'][:10])))
    if result.get('conflicts'):
        problems.append('left underneath, because %s already has them: %s'
                        % (params['move_to'], ', '.join(result['conflicts'][:10])))
    if params['fail_on_found'] and result['count'] + result['others'] > 0:
        problems.append('%d file(s), %d byte(s) beneath the mount at %s' % (result['count'], result['bytes'], path))
    if problems:
        module.fail_json(msg='; '.join(problems), changed=changed, **result)
    module.exit_json(changed=changed, **result)


if __name__ == '__main__':
    main()
