# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The mount model shared by every backend: one remount strategy and the shape of a plan.

A backend's planner (``plan_<backend>.py``) turns the role's variables into a plan::

    {'problems': [...], 'mounts': [{'index', 'path', 'label', 'state', 'digest', 'expect', 'probe', ...}]}

``digest`` covers every setting the running mount is made from (secrets only as part of the hash).
``expect`` is one item of ``mountkit.aws.mount_flags``' ``mounts`` option; ``probe`` holds what
``mountkit.aws.io_semantics`` needs. The role's own checks and ``playbooks/verify.yml`` both read
``expect`` and ``probe``, so they cannot disagree.

The remount strategy: each host keeps a record (``RECORD_DIR/<backend>.json``, on tmpfs so it goes at
reboot like the mounts it describes) of the digest every running mount was made with. After the mount
step it is rewritten from that step's per-mount results, before the role fails on any of them. ``decide`` compares the live mount and the record with the
plan, so a change that a failed run could not apply is applied by the next run, mount by mount.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json

RECORD_DIR = '/run/mountkit'
ACTIONS = ('none', 'mount', 'remount', 'unmount')
STATES = ('mounted', 'present', 'absent')


def record_path(backend):
    return '%s/%s.json' % (RECORD_DIR, backend)


def digest(*parts):
    """A stable SHA-256 over JSON-serialisable parts (dict keys sorted)."""
    text = json.dumps(parts, sort_keys=True, separators=(',', ':'), default=str)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def decide(mount, live, recorded, changed=False, fstypes=None):
    """The action for one planned mount, and why.

    mount: an entry of a plan (needs 'state' and 'digest').
    live: what ``mountkit.aws.mount_state`` found at the path: {'mounted', 'fstype', 'source', 'alive'}.
    recorded: the digest this mount was made with per the host's record, or None when unknown (never
      recorded, or the host rebooted and mounted it at boot from the configuration on disk).
    changed: whether this run changed the configuration the mount is made from; used only when the
      record does not know the mount.
    fstypes: the file-system types this backend mounts; a mount of another type at the path is refused.

    Returns (action, reason); action is one of ACTIONS, or 'refuse' with the reason as a problem.
    """
    live = live or {}
    mounted = bool(live.get('mounted'))
    ours = mounted and (not fstypes or live.get('fstype') in fstypes)
    state = mount.get('state', 'mounted')
    if mounted and not ours:
        if state == 'absent':
            return 'none', 'another file system (%s) is mounted there; left alone' % live.get('fstype')
        return 'refuse', ('%s is already a mount point of type %s (%s); unmount it first or choose another path'
                          % (mount.get('path'), live.get('fstype'), live.get('source')))
    if state == 'absent':
        return ('unmount', 'set to absent') if ours else ('none', 'absent')
    if state == 'present':
        # 'present' configures only: a running mount is left as it is, a missing one is not started.
        return 'none', 'present: configured, not mounted by the role'
    if not ours:
        return 'mount', 'not mounted'
    alive = live.get('alive')
    if alive in ('dead', 'hung'):
        return 'remount', 'the mount is %s (%s)' % (alive, live.get('detail') or alive)
    if recorded is not None:
        if recorded != mount.get('digest'):
            return 'remount', 'its settings changed since it was mounted'
        return 'none', 'up to date'
    if changed:
        return 'remount', 'its configuration changed in this run'
    return 'none', 'mounted from the current configuration'


def decide_all(mounts, state, changed_paths=(), fstypes=None):
    """decide() for every planned mount; returns copies with 'action' and 'reason' added, plus problems."""
    state = state or {}
    live_mounts = state.get('mounts') or {}
    record = state.get('record') or {}
    decided = []
    problems = []
    for mount in mounts:
        action, reason = decide(mount, live_mounts.get(mount['path']), record.get(mount['path']),
                                mount['path'] in changed_paths, fstypes)
        if action == 'refuse':
            problems.append(reason)
        entry = dict(mount)
        entry.update(action=action, reason=reason)
        decided.append(entry)
    return decided, problems


def updated_record(record, mounts, succeeded_paths):
    """The record after a run: mounts that (re)mounted or were already up to date keep their plan digest,
    absent ones leave; entries of paths this plan does not manage are kept."""
    managed = dict((mount['path'], mount) for mount in mounts)
    result = dict((path, value) for path, value in (record or {}).items() if path not in managed)
    for path, mount in managed.items():
        if mount.get('state') != 'mounted':
            continue
        if mount.get('action') == 'none' or path in succeeded_paths:
            result[path] = mount['digest']
        elif path in (record or {}):
            result[path] = record[path]
    return result
