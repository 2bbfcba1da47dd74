# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: mounted_paths
short_description: The mount points the storage roles keep mounted on a host
version_added: "0.2.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Takes lists of mount entries (C(s3fs_mounts), C(mountpoint_s3_mounts), C(efs_mounts)) and returns the
    C(path) of every entry whose C(state) is V(mounted) (the roles' default), each path once, in the order given.
  - The container checks of C(playbooks/verify.yml) and C(playbooks/recover_containers.yml) look at these paths.
positional: _input
options:
  _input:
    description: The roles' mount lists; an undefined one may be given as V([]).
    type: list
    elements: list
    required: true
'''

EXAMPLES = r'''
- name: The managed mount points of this host
  ansible.builtin.set_fact:
    managed: >-
      {{ [s3fs_mounts | default([]), mountpoint_s3_mounts | default([]), efs_mounts | default([])]
         | mountkit.aws.mounted_paths }}
'''

RETURN = r'''
_value:
  description: Mount points, each once.
  type: list
  elements: str
'''


def mounted_paths(mount_lists):
    paths = []
    for mounts in mount_lists or ():
        for mount in mounts or ():
            if mount.get('state', 'mounted') == 'mounted' and mount.get('path') not in paths:
                paths.append(mount.get('path'))
    return paths


class FilterModule(object):
    def filters(self):
        return {'mounted_paths': mounted_paths}
