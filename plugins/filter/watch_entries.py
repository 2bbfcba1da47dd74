# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: watch_entries
short_description: The mount_watch role's entries for the mounts the storage roles plan
version_added: "0.2.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Takes the registered results of a looped M(mountkit.aws.mount_plan) task (one per backend, C(item) the
    backend) and returns one watch entry per planned mount that is to be mounted, with what the planner
    expects of it (type, source, options present and absent, propagation) and the systemd unit that heals it.
  - A Mountpoint mount made by its own unit is healed through that unit; any other mount through the C(.mount)
    unit systemd made of its fstab line, named in O(mount_units).
positional: _input
options:
  _input:
    description: The C(results) of the looped M(mountkit.aws.mount_plan) task.
    type: list
    elements: dict
    required: true
  mount_units:
    description: Mount point to systemd C(.mount) unit name, for the mounts made from fstab.
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Turn the plans into watch entries
  ansible.builtin.set_fact:
    entries: "{{ plans.results | mountkit.aws.watch_entries(mount_units={'/srv/s3': 'srv-s3.mount'}) }}"
'''

RETURN = r'''
_value:
  description: Entries with C(path), C(backend), C(fstype), C(source), C(options_present), C(options_absent),
    C(propagation) and C(unit).
  type: list
  elements: dict
'''


def watch_entries(plan_results, mount_units=None):
    units = mount_units or {}
    entries = []
    for plan in plan_results or ():
        for mount in plan.get('mounts') or ():
            if mount.get('state') != 'mounted' or 'expect' not in mount:
                continue
            expect = mount['expect']
            entries.append({
                'path': mount['path'], 'backend': plan.get('item'), 'fstype': expect['fstype'],
                'source': expect.get('source', ''),
                'options_present': expect.get('options_present', []),
                'options_absent': expect.get('options_absent', []),
                'propagation': expect.get('propagation', 'any'),
                'unit': mount.get('unit') if mount.get('method', '') == 'systemd' else units[mount['path']],
            })
    return entries


class FilterModule(object):
    def filters(self):
        return {'watch_entries': watch_entries}
