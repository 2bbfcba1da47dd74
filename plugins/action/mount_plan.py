# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller side of mountkit.aws.mount_plan: the role's variables in, the backend's plan out."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib
import os

import yaml

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.mountkit.aws.plugins.module_utils import mount_model

BACKENDS = ('s3fs', 'mountpoint_s3', 'efs')
ROLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles')


def role_defaults(backend):
    """The role's defaults/main.yml: variables the inventory leaves unset take these values, in the
    role and in playbooks that never run the role (verify.yml) alike."""
    path = os.path.join(ROLES_DIR, backend, 'defaults', 'main.yml')
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def planner(backend):
    return importlib.import_module('ansible_collections.mountkit.aws.plugins.module_utils.plan_%s' % backend)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('backend', 'facts', 'state', 'changed_paths', 'fail_on_problems'))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self._task.args
        backend = args.get('backend')
        if backend not in BACKENDS:
            raise AnsibleActionFail('backend must be one of %s, got %r' % (', '.join(BACKENDS), backend))
        prefix = backend + '_'
        settings = role_defaults(backend)
        for name in task_vars:
            # Internal variables (role__name) are the role's own working state, not input.
            if name.startswith(prefix) and not name.startswith(backend + '__'):
                settings[name] = self._templar.template(task_vars[name])
        facts = args.get('facts') or {}
        plan = planner(backend).plan(settings, facts)
        mounts, problems = plan['mounts'], list(plan['problems'])
        if args.get('state') is not None and not problems:
            mounts, refused = mount_model.decide_all(mounts, args['state'], args.get('changed_paths') or (),
                                                     getattr(planner(backend), 'FSTYPES', None))
            problems.extend(refused)
        # Backend-wide choices a planner makes (efs: the mount helper) go to the tasks as they are.
        result.update((key, value) for key, value in plan.items() if key not in ('mounts', 'problems'))
        result.update(changed=False, backend=backend, mounts=mounts, problems=problems,
                      # Items of mount_flags' mounts option, as they are: pass them straight to it.
                      expectations=[mount['expect'] for mount in mounts
                                    if mount.get('state') == 'mounted' and mount.get('expect')])
        if problems and args.get('fail_on_problems', True):
            result.update(failed=True, msg='; '.join(problems))
        return result
