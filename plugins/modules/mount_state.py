#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mount_state
short_description: Read what is mounted at a list of paths, whether it answers, and the host's mount record
version_added: "0.2.0"
description:
  - The "read state" step of the storage roles. For each path it reports whether a file system is mounted
    exactly there (the one a path lookup reaches), its type and source, and whether it answers within
    O(timeout) (a dead FUSE mount or a hung NFS mount is reported, never waited on).
  - Also reads the host's record of the settings each running mount was made with (see O(record)), which
    the roles' planners compare with the wanted settings to decide what to remount.
  - Reads only; never fails because of what it finds.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  paths:
    description: Absolute mount points to look at.
    type: list
    elements: path
    required: true
  record:
    description:
      - JSON file mapping mount points to the digest of the settings they were mounted with. A missing
        file is an empty record.
    type: path
  check_alive:
    description: Check that each mounted file system answers.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each mount to answer.
    type: float
    default: 10
'''

EXAMPLES = r'''
- name: Read the state of the s3fs mounts
  mountkit.aws.mount_state:
    paths: [/mnt/logs, /mnt/media]
    record: /run/mountkit/s3fs.json
  register: s3fs__state
'''

RETURN = r'''
mounts:
  description: Per path, what is mounted there.
  returned: always
  type: dict
  sample:
    /mnt/logs: {mounted: true, fstype: fuse.s3fs, source: "s3fs:logs", alive: ok, detail: null}
    /mnt/media: {mounted: false, fstype: null, source: null, alive: null, detail: null}
record:
  description: The record read from O(record); empty when there is none.
  returned: always
  type: dict
problems:
  description: Lines of the mount table or record that could not be read, for warnings.
  returned: always
  type: list
  elements: str
'''

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import (
    check_alive, find_mount, normalize_path, read_mountinfo)


def live_state(entries, path, alive, timeout):
    entry = find_mount(entries, path)
    if entry is None or normalize_path(entry.mount_point) != normalize_path(path):
        return dict(mounted=False, fstype=None, source=None, options=[], alive=None, detail=None)
    state, detail = check_alive(path, timeout) if alive else (None, None)
    return dict(mounted=True, fstype=entry.fstype, source=entry.source, options=entry.options,
                alive=state, detail=detail)


def read_record(path, problems):
    if not path:
        return {}
    try:
        with open(path) as handle:
            record = json.load(handle)
    except (IOError, OSError):
        return {}
    except ValueError as exc:
        problems.append('%s is not JSON (%s); taken as empty' % (path, exc))
        return {}
    if not isinstance(record, dict):
        problems.append('%s is not a JSON object; taken as empty' % path)
        return {}
    return record


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='path', required=True),
            record=dict(type='path'),
            check_alive=dict(type='bool', default=True),
            timeout=dict(type='float', default=10),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout must be a positive number of seconds, got %s' % params['timeout'])
    for index, path in enumerate(params['paths']):
        if not path.startswith('/'):
            module.fail_json(msg="paths[%d] must be absolute, got '%s'" % (index, path))
    problems = []
    errors = []
    entries = read_mountinfo(errors=errors)
    problems.extend('/proc/self/mountinfo line %d could not be read: %s' % (error['line_number'], error['reason'])
                    for error in errors)
    mounts = dict((path, live_state(entries, path, params['check_alive'], params['timeout']))
                  for path in params['paths'])
    record = read_record(params['record'], problems)
    for problem in problems:
        module.warn(problem)
    module.exit_json(changed=False, mounts=mounts, record=record, problems=problems)


if __name__ == '__main__':
    main()
