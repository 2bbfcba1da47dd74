#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mount_plan
short_description: Validate a storage role's variables and plan every mount, on the controller
version_added: "0.2.0"
description:
  - The one model of each backend (C(s3fs), C(mountpoint_s3), C(efs)). Reads the backend role's variables as
    the host sees them (inventory, play, extra vars), falling back to the role's defaults for any left unset,
    and returns the validated, rendered mounts with what a healthy mount looks like.
  - The storage roles use it to validate their input before changing anything, and to decide one action per
    mount. C(playbooks/verify.yml) uses it to learn what to check, so the role and the audit cannot disagree.
  - Every problem names the variable it is about, for example C(s3fs_mounts[1].prefix must end with '/').
  - Runs on the controller only (an action plugin); secrets never appear in what it returns.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  backend:
    description: The backend, named like its role.
    type: str
    required: true
    choices: [s3fs, mountpoint_s3, efs]
  facts:
    description: Host facts the planner needs, such as the installed tool version (C(version)).
    type: dict
  state:
    description:
      - The result of M(mountkit.aws.mount_state) for the planned paths. When given, each mount gets the
        action that brings it to its wanted state (RV(mounts[].action)), and a foreign file system mounted
        at a managed path becomes a problem.
    type: dict
  changed_paths:
    description:
      - Mount points whose configuration (fstab line, unit, credentials) this run changed. Used to decide
        on a running mount the host's record does not know (for example one mounted at boot).
    type: list
    elements: str
  fail_on_problems:
    description: Fail when there is any problem. With V(false) the problems are only returned.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Validate and plan the s3fs mounts
  mountkit.aws.mount_plan:
    backend: s3fs
  register: s3fs__plan

- name: Decide what each mount needs
  mountkit.aws.mount_plan:
    backend: s3fs
    state: "{{ s3fs__state }}"
    changed_paths: "{{ s3fs__changed_paths }}"
  register: s3fs__plan
'''

RETURN = r'''
mounts:
  description:
    - One entry per mount of the role's list, in order, without secrets. Common keys are listed; each
      backend adds what its tasks render (fstab source and options, unit names, ...).
  returned: always
  type: list
  elements: dict
  contains:
    index:
      description: Position in the role's list.
      type: int
    path:
      description: Mount point.
      type: str
    label:
      description: Short text naming the mount, for loop labels and messages.
      type: str
    state:
      description: V(mounted), V(present) or V(absent).
      type: str
    digest:
      description: SHA-256 over every setting the mount is made from.
      type: str
    expect:
      description: What M(mountkit.aws.mount_flags) must find, as one item of its O(mountkit.aws.mount_flags#module:mounts).
      type: dict
    probe:
      description: What M(mountkit.aws.io_semantics) must be told about the mount (profile, read_only, ...).
      type: dict
    action:
      description: With O(state), V(none), V(mount), V(remount) or V(unmount).
      type: str
    reason:
      description: With O(state), why that action.
      type: str
expectations:
  description:
    - The RV(mounts[].expect) of the mounts that should be mounted, in order; they can be passed as they are to
      O(mountkit.aws.mount_flags#module:mounts).
  returned: always
  type: list
  elements: dict
problems:
  description: Every problem found, each naming its variable.
  returned: always
  type: list
  elements: str
helper:
  description: For V(efs), the mount helper chosen (V(efs) or V(nfs)); other backend-wide choices of a planner
    are returned the same way, under their own names.
  returned: when the backend makes the choice
  type: str
backend:
  description: The backend planned.
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            backend=dict(type='str', required=True, choices=['s3fs', 'mountpoint_s3', 'efs']),
            facts=dict(type='dict'),
            state=dict(type='dict'),
            changed_paths=dict(type='list', elements='str'),
            fail_on_problems=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    module.fail_json(msg='mountkit.aws.mount_plan runs on the controller as an action plugin; '
                         'call it as a task, not with a module path')


if __name__ == '__main__':
    main()
