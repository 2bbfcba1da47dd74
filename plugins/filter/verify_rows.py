# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: verify_rows
short_description: The report rows of one host's audit in playbooks/verify.yml
version_added: "0.2.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Turns what playbooks/verify.yml registered on a host into rows for M(mountkit.aws.verify_report), one per mount
    and check (C(mount_flags), C(read_existing), C(io_semantics), and C(s3_handoff) for S3 mounts), plus a failed
    C(plan) row for each backend whose planner found problems or did not run.
  - A check that did not run is a C(skipped) row that says why (I/O off, no probe location, mount not alive, ...).
  - "A check failed when it reported problems or returned none of its results (the tasks run with
    C(failed_when: false), so their C(failed) says nothing)."
positional: _input
options:
  _input:
    description: The mounts checked (P(mountkit.aws.verify_targets#filter)), in the order the check loops ran over them.
    type: list
    elements: dict
    required: true
  host:
    description: The host's name.
    type: str
    required: true
  plans:
    description: The registered loop of M(mountkit.aws.mount_plan) over backends.
    type: dict
    required: true
  flags:
    description: The registered M(mountkit.aws.mount_flags) result for all targets.
    type: dict
    required: true
  read:
    description: The registered loop of M(mountkit.aws.io_semantics) C(read_existing) over the targets.
    type: dict
    required: true
  probe:
    description: The registered loop of M(mountkit.aws.io_semantics) write probes over the targets.
    type: dict
    required: true
  handoffs:
    description: The registered loop of M(mountkit.aws.s3_handoff) over the targets.
    type: dict
    required: true
  settings:
    description: The audit's settings with defaults applied, keys C(io), C(read_count) and C(handoff) (checked
      before with P(mountkit.aws.verify_setting_problems#filter)).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Collect this host's results
  ansible.builtin.set_fact:
    mountkit_verify_results: >-
      {{ mountkit_verify_targets | mountkit.aws.verify_rows(
           inventory_hostname, mountkit_verify_plans, mountkit_verify_flags, mountkit_verify_read,
           mountkit_verify_probe, mountkit_verify_handoffs, mountkit_verify_settings) }}
'''

RETURN = r'''
_value:
  description: Rows for M(mountkit.aws.verify_report)'s O(mountkit.aws.verify_report#module:results).
  type: list
  elements: dict
  contains:
    host:
      description: The host.
      type: str
    backend:
      description: The backend of the mount.
      type: str
    path:
      description: The mount point; C(*) for a backend's C(plan) row.
      type: str
    check:
      description: C(plan), C(mount_flags), C(read_existing), C(io_semantics) or C(s3_handoff).
      type: str
    status:
      description: C(pass), C(fail) or C(skipped).
      type: str
    detail:
      description: One line for the summary.
      type: str
    details:
      description: What the check returned that the JSON report keeps; null for skipped checks.
      type: dict
'''

from ansible_collections.mountkit.aws.plugins.module_utils.mount_rules import to_bool

IO_OFF = 'disabled (mountkit_verify_io: false)'
NOT_ALIVE = 'mount not alive'


def field(value, *keys, **default):
    """value[k1][k2]...; default when a key is missing or a step is no mapping (as Jinja's default() reads it)."""
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return default.get('default')
        value = value[key]
    return value


def nth_result(registered, index):
    """The index-th result of a registered loop; a skipped one when the loop never reached it."""
    results = field(registered, 'results', default=[]) or []
    return results[index] if index < len(results) else {'skipped': True}


def failure(result, fallback=''):
    return '; '.join(str(item) for item in result.get('problems', [result.get('msg', fallback)]))


def failed(result, needed):
    return len(result.get('problems', [])) > 0 or needed not in result


def left(result, what):
    leftovers = result.get('leftovers', [])
    return (', %d %s' % (len(leftovers), what)) if leftovers else ''


def plan_rows(host, plans):
    rows = []
    for plan in field(plans, 'results', default=[]) or []:
        if len(plan.get('problems', [])) > 0 or 'mounts' not in plan:
            rows.append({'host': host, 'backend': plan.get('item'), 'path': '*', 'check': 'plan', 'status': 'fail',
                         'detail': failure(plan, 'mount_plan did not run'), 'details': None})
    return rows


def skipped(row, check, detail):
    return dict(row, check=check, status='skipped', details=None, detail=detail)


def verify_rows(targets, host, plans, flags, read, probe, handoffs, settings):
    io_on = to_bool(settings.get('io', True))
    handoff_on = to_bool(settings.get('handoff', False))
    read_count = int(settings.get('read_count', 3))
    checks = field(flags, 'checks', default=[]) or []
    rows = plan_rows(host, plans)
    for index, target in enumerate(targets or ()):
        row = {'host': host, 'backend': target.get('backend'), 'path': target.get('path')}
        # Without checks, mount_flags stopped before checking any mount (bad parameters, unreadable tables).
        flag = checks[index] if index < len(checks) else {'msg': field(flags, 'msg', default='mount_flags did not run')}
        alive = flag.get('alive', '') == 'ok'
        flags_failed = failed(flag, 'alive')
        rows.append(dict(row, check='mount_flags', status='fail' if flags_failed else 'pass',
                         detail=failure(flag) if flags_failed else 'alive %s' % flag.get('alive', ''),
                         details={'mount': flag.get('mount'), 'alive': flag.get('alive'),
                                  'expected': target.get('expect')}))

        result = nth_result(read, index)
        if not result.get('skipped', False):
            bad = failed(result, 'outcomes')
            rows.append(dict(row, check='read_existing', status='fail' if bad else 'pass',
                             detail=failure(result) if bad else '%s bytes read from %d existing file(s), twice alike'
                             % (result.get('bytes_verified', 0), len(result['item'][1]['files'])),
                             details={'outcomes': result.get('outcomes')}))
        else:
            rows.append(skipped(row, 'read_existing',
                                IO_OFF if not io_on
                                else 'disabled (mountkit_verify_read_count: 0)' if read_count == 0
                                else NOT_ALIVE if not alive
                                else 'no regular file of at most 16 MiB at the top of the mount to read'))

        result = nth_result(probe, index)
        if not result.get('skipped', False):
            bad = failed(result, 'outcomes')
            rows.append(dict(row, check='io_semantics', status='fail' if bad else 'pass',
                             detail=failure(result) if bad else '%s bytes verified in %s%s' % (
                                 result.get('bytes_verified', 0), result.get('scratch_dir', '?'),
                                 left(result, 'path(s) left there')),
                             details={'outcomes': result.get('outcomes'), 'leftovers': result.get('leftovers', [])}))
        else:
            rows.append(skipped(row, 'io_semantics',
                                IO_OFF if not io_on
                                else NOT_ALIVE if not alive
                                else 'writes only in a probe location: none named (mountkit_verify_probe_dir or '
                                     'mountkit_verify_probe_dirs)'))

        probe_facts = target.get('probe') or {}
        if 's3' not in probe_facts:
            continue
        result = nth_result(handoffs, index)
        if not result.get('skipped', False):
            bad = failed(result, 'to_s3') or result.get('failed', False)
            rows.append(dict(row, check='s3_handoff', status='fail' if bad else 'pass',
                             detail=failure(result, 's3_handoff did not run') if bad
                             else 'mount to S3 API: %s bytes intact; S3 API to mount: %s s to appear%s' % (
                                 field(result, 'to_s3', 'bytes', default=0),
                                 field(result, 'from_s3', 'seconds_to_appear', default='?'),
                                 left(result, 'probe file(s) left')),
                             details={'to_s3': result.get('to_s3'), 'from_s3': result.get('from_s3'),
                                      'leftovers': result.get('leftovers', [])}))
        else:
            rows.append(skipped(row, 's3_handoff',
                                IO_OFF if not io_on
                                else 'opt-in (mountkit_verify_handoff: true)' if not handoff_on
                                else NOT_ALIVE if not alive
                                else 'read-only mount' if probe_facts.get('read_only', False)
                                else 'writes only in a probe location: none named for this mount'))
    return rows


class FilterModule(object):
    def filters(self):
        return {'verify_rows': verify_rows}
