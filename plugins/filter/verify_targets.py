# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: verify_targets
short_description: The mounts playbooks/verify.yml checks, from each backend's plan
version_added: "0.2.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Takes the registered results of a loop of M(mountkit.aws.mount_plan) over backends and returns one target per
    mount that should be mounted and has expectations, in plan order.
  - A backend whose planner did not run (no RV(mountkit.aws.mount_plan#module:mounts)) contributes nothing; the
    report lists it as a failed C(plan) row (P(mountkit.aws.verify_rows#filter)).
positional: _input
options:
  _input:
    description: The C(results) of the looped M(mountkit.aws.mount_plan) task; each result's C(item) is its backend.
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
- name: Verify managed mounts
  hosts: all
  vars:
    mountkit_verify_targets: "{{ mountkit_verify_plans.results | default([]) | mountkit.aws.verify_targets }}"
  tasks:
    - name: Plan each backend's mounts
      mountkit.aws.mount_plan:
        backend: "{{ item }}"
        fail_on_problems: false
      register: mountkit_verify_plans
      loop: [s3fs, mountpoint_s3]
'''

RETURN = r'''
_value:
  description: One entry per mount to check.
  type: list
  elements: dict
  contains:
    backend:
      description: The backend whose plan holds the mount.
      type: str
    path:
      description: The mount point.
      type: str
    expect:
      description: The mount's expectations, an item of M(mountkit.aws.mount_flags)'s O(mountkit.aws.mount_flags#module:mounts).
      type: dict
    probe:
      description: What the I/O probes need to know about the mount (empty when the plan says nothing).
      type: dict
'''


def verify_targets(plan_results):
    targets = []
    for plan in plan_results or ():
        if 'mounts' not in plan:
            continue
        for mount in plan['mounts']:
            if mount.get('state') == 'mounted' and 'expect' in mount:
                targets.append({'backend': plan.get('item'), 'path': mount.get('path'), 'expect': mount['expect'],
                                'probe': mount.get('probe', {})})
    return targets


class FilterModule(object):
    def filters(self):
        return {'verify_targets': verify_targets}
