# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: verify_setting_problems
short_description: What is wrong with playbooks/verify.yml's own settings
version_added: "0.2.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Checks the audit's settings (C(mountkit_verify_*)) before any check runs and returns one problem per bad
    value, each naming its variable. An empty list means the audit may run.
  - Probe locations must be directories relative to a mount, without C(.), C(..), blanks or quotes, so a write
    probe can never leave the mount; per-mount locations must name mounts the audit checks.
positional: _input
options:
  _input:
    description:
      - The settings with their defaults applied, under the names of the variables without C(mountkit_verify_),
        that is C(probe_dir), C(probe_dirs), C(read_count), C(timeout), C(io) and C(handoff).
    type: dict
    required: true
  targets:
    description: The mounts the audit checks (P(mountkit.aws.verify_targets#filter)).
    type: list
    elements: dict
    required: true
  host:
    description: The host's name, for the messages.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Check the audit's settings
  vars:
    mountkit_verify_setting_problems: >-
      {{ {'probe_dir': mountkit_verify_probe_dir | default('', true), 'probe_dirs': mountkit_verify_probe_dirs | default({}),
          'read_count': mountkit_verify_read_count | default(3), 'timeout': mountkit_verify_timeout | default(10),
          'io': mountkit_verify_io | default(true), 'handoff': mountkit_verify_handoff | default(false)}
         | mountkit.aws.verify_setting_problems(mountkit_verify_targets, inventory_hostname) }}
  ansible.builtin.assert:
    that: mountkit_verify_setting_problems | length == 0
    fail_msg: "{{ mountkit_verify_setting_problems | join('; ') }}"
'''

RETURN = r'''
_value:
  description: One sentence per bad setting, naming the variable and the value it got.
  type: list
  elements: str
'''

import re

from collections.abc import Mapping

# A relative directory of plain names; '.' and '..' components are refused on their own below.
PROBE_DIR_RE = re.compile(r'^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*$')
DOT_COMPONENT_RE = re.compile(r'(^|/)\.\.?(/|$)')
COUNT_RE = re.compile(r'^[0-9]+$')
SECONDS_RE = re.compile(r'^[0-9]+(\.[0-9]+)?$')
BOOLEAN_WORDS = ('true', 'false', 'yes', 'no', '1', '0', 'on', 'off')
TRUE_WORDS = ('true', 'yes', '1', 'on')


def is_probe_dir(value):
    return isinstance(value, str) and bool(PROBE_DIR_RE.match(value)) and not DOT_COMPONENT_RE.search(value)


def verify_setting_problems(settings, targets, host):
    problems = []
    global_dir = settings.get('probe_dir') or ''
    if not isinstance(global_dir, str) or (global_dir and not is_probe_dir(global_dir)):
        problems.append("mountkit_verify_probe_dir must be a directory relative to each mount, without '.', '..', "
                        "blanks or quotes, such as .mountkit-audit, got '%s'" % (global_dir,))
    dirs = settings.get('probe_dirs', {})
    if not isinstance(dirs, Mapping):
        problems.append("mountkit_verify_probe_dirs must map mount points to directories relative to them, got '%s'"
                        % (dirs,))
    else:
        checked = [target.get('path') for target in targets or ()]
        for path, directory in dirs.items():
            if path not in checked:
                problems.append("mountkit_verify_probe_dirs names '%s', which is not a mounted managed mount of %s"
                                % (path, host))
            elif not is_probe_dir(directory):
                problems.append("mountkit_verify_probe_dirs['%s'] must be a directory relative to the mount, without "
                                "'.', '..', blanks or quotes, got '%s'" % (path, directory))
    count = str(settings.get('read_count', 3))
    if not COUNT_RE.match(count):
        problems.append("mountkit_verify_read_count must be a whole number 0 or more, got '%s'" % count)
    timeout = str(settings.get('timeout', 10))
    if not SECONDS_RE.match(timeout) or float(timeout) <= 0:
        problems.append("mountkit_verify_timeout must be a positive number of seconds, got '%s'" % timeout)
    for key, default in (('io', True), ('handoff', False)):
        value = settings.get(key, default)
        if str(value).lower() not in BOOLEAN_WORDS:
            problems.append("mountkit_verify_%s must be true or false, got '%s'" % (key, value))
    if str(settings.get('handoff', False)).lower() in TRUE_WORDS and not global_dir and not dirs:
        problems.append('mountkit_verify_handoff writes only in a probe location: set mountkit_verify_probe_dir or '
                        'mountkit_verify_probe_dirs too')
    return problems


class FilterModule(object):
    def filters(self):
        return {'verify_setting_problems': verify_setting_problems}
