# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: latest_stdout
short_description: The output of the newest command that succeeded
version_added: "0.2.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Takes registered results of M(ansible.builtin.command) tasks, newest first, and returns the standard output of
    the first one that ran and exited with 0; an empty string when none did.
  - The mountpoint_s3 role reads C(mount-s3 --version) before and, after an install, again; the planner must see the
    version that is installed now, and nothing (so a fresh install) when the binary is missing.
  - Results of tasks that were skipped or never ran (pass V({}) for an undefined one) count as not succeeded.
positional: _input
options:
  _input:
    description: Registered command results, newest first.
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
- name: Plan with the version installed now
  mountkit.aws.mount_plan:
    backend: mountpoint_s3
    facts:
      version: >-
        {{ [mountpoint_s3__version_after_install | default({}), mountpoint_s3__version_probe | default({})]
           | mountkit.aws.latest_stdout }}
'''

RETURN = r'''
_value:
  description: The standard output of the newest command that exited with 0, or an empty string.
  type: str
'''


def latest_stdout(results):
    for result in results or ():
        if isinstance(result, dict) and result.get('rc', 1) == 0:
            return result.get('stdout', '')
    return ''


class FilterModule(object):
    def filters(self):
        return {'latest_stdout': latest_stdout}
