# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: mount_record
short_description: The host's record of running mounts after a role's mount step
version_added: "0.2.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Takes the planned mounts (with their actions, from M(mountkit.aws.mount_plan)) and returns the record to
    write. Each mount that is up to date or (re)mounted in this run keeps the digest of its settings; a mount
    whose remount failed keeps its old digest, so the next run remounts it again; absent mounts leave.
  - Entries of mount points the plan does not manage are kept.
positional: _input
options:
  _input:
    description: The RV(mountkit.aws.mount_plan#module:mounts) of the plan, with actions.
    type: list
    elements: dict
    required: true
  record:
    description: The record read before the run (RV(mountkit.aws.mount_state#module:record)).
    type: dict
    required: true
  succeeded:
    description: Mount points that were (re)mounted successfully in this run.
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Record the settings each mount runs with
  ansible.builtin.copy:
    content: "{{ s3fs__plan.mounts | mountkit.aws.mount_record(s3fs__state.record, s3fs__succeeded) | to_nice_json }}"
    dest: /run/mountkit/s3fs.json
    mode: "0600"
'''

RETURN = r'''
_value:
  description: Mount point to settings digest.
  type: dict
'''

from ansible_collections.mountkit.aws.plugins.module_utils.mount_model import updated_record


def mount_record(mounts, record, succeeded):
    return updated_record(record, mounts, set(succeeded or ()))


class FilterModule(object):
    def filters(self):
        return {'mount_record': mount_record}
