# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: recover_plan
short_description: One recovery action per container whose view of a managed mount is not live
version_added: "0.2.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Takes the C(containers) list of M(mountkit.aws.container_views) and returns, in its order, one entry per
    container whose view is one of O(views) and that carries every label of O(labels).
  - A container is listed once, with its first matching path, however many managed paths it binds.
  - The action follows what will start the container anew. An ECS task (any C(com.amazonaws.ecs.) label) is
    stopped, and the ECS agent replaces it. A container with a restart policy has its init process stopped, so
    that Docker's policy starts it again. Any other container is restarted.
  - C(playbooks/recover_containers.yml) runs these actions one at a time.
positional: _input
options:
  _input:
    description: The C(containers) result of M(mountkit.aws.container_views).
    type: list
    elements: dict
    required: true
  views:
    description: The views to recover.
    type: list
    elements: str
    default: [dead, shadowed, stale]
  labels:
    description: Labels a container must all carry, each C(key) or C(key=value).
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Plan the recovery of ECS tasks of one cluster
  ansible.builtin.set_fact:
    recovery: >-
      {{ found.containers | mountkit.aws.recover_plan(labels=['com.amazonaws.ecs.cluster=prod']) }}
'''

RETURN = r'''
_value:
  description:
    - One entry per container to recover, with C(container), C(id), C(pid), C(view), C(path),
      C(container_path), C(restart_policy), C(detail), C(action) (V(stop), V(stop_init) or V(restart)) and
      C(why), the reason for that action in words.
  type: list
  elements: dict
'''

ECS_LABEL_PREFIX = 'com.amazonaws.ecs.'
DEFAULT_VIEWS = ('dead', 'shadowed', 'stale')


def has_labels(labels, wanted):
    """Every wanted 'key' is present and every 'key=value' has that value."""
    for want in wanted:
        key, sep, value = want.partition('=')
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def choose_action(labels, restart_policy):
    if any(key.startswith(ECS_LABEL_PREFIX) for key in labels):
        return 'stop', 'ECS task: the ECS agent replaces it'
    if restart_policy not in ('', 'no', None):
        return 'stop_init', 'restart policy %s: Docker starts it again' % restart_policy
    return 'restart', 'no restart policy: restarted in place'


def recover_plan(containers, views=DEFAULT_VIEWS, labels=()):
    plan, seen = [], set()
    for row in containers or ():
        row_labels = row.get('labels') or {}
        if row.get('view') not in views or row.get('id') in seen or not has_labels(row_labels, labels or ()):
            continue
        seen.add(row.get('id'))
        action, why = choose_action(row_labels, row.get('restart_policy'))
        entry = dict((key, row.get(key)) for key in ('container', 'id', 'pid', 'view', 'path', 'container_path',
                                                     'restart_policy', 'detail'))
        entry.update(action=action, why=why)
        plan.append(entry)
    return plan


class FilterModule(object):
    def filters(self):
        return {'recover_plan': recover_plan}
