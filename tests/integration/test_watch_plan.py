# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mount_watch_from_roles: the role's planning step (tasks/plan.yml, read only) run by ansible-playbook on this
machine turns the storage roles' variables into watch entries that are exactly the planners' expectations."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
import yaml

from project_env import ansible_env  # tests/conftest.py puts it on the path
from ansible_collections.mountkit.aws.plugins.module_utils import plan_efs, plan_mountpoint_s3, plan_s3fs

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, '.venv')

S3FS = [{'bucket': 'watch-plan-one', 'path': '/mnt/watch-plan/s3-x', 'url': 'http://127.0.0.1:9', 'path_style': True,
         'aws_access_key_id': 'AKIDWATCHPLAN', 'aws_secret_access_key': 'watch-plan-secret'},
        # Mounts that are not to be mounted are not watched.
        {'bucket': 'watch-plan-gone', 'path': '/mnt/watch-plan/gone', 'state': 'absent'}]
MOUNTPOINT = [{'bucket': 'watch-plan-two', 'path': '/mnt/watch-plan/mp', 'region': 'us-east-1', 'read_only': True}]
EFS = [{'file_system_id': 'fs-0123456789abcdef0', 'mount_target_ip': '127.0.0.1', 'path': '/mnt/watch-plan/efs'}]


def settings(backend, **variables):
    """The role's defaults with variables over them, as mount_plan gives them to the planner."""
    with open(os.path.join(ROOT, 'roles', backend, 'defaults', 'main.yml')) as handle:
        values = yaml.safe_load(handle)
    values.update(variables)
    return values


def mount_s3_version():
    try:
        return subprocess.run(['/usr/bin/mount-s3', '--version'], capture_output=True, text=True, timeout=30,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ''


def run_plan(tmp_path, variables):
    playbook = tmp_path / 'plan.yml'
    playbook.write_text(json.dumps([{
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'tasks': [{'ansible.builtin.include_role': {'name': 'mountkit.aws.mount_watch', 'tasks_from': 'plan.yml'}},
                  {'ansible.builtin.debug': {'var': 'mount_watch__derived'}}]}]))
    (tmp_path / 'vars.json').write_text(json.dumps(variables))
    proc = subprocess.run([os.path.join(VENV, 'bin', 'ansible-playbook'), '-i', 'localhost,', str(playbook),
                           '-e', '@' + str(tmp_path / 'vars.json'), '-e', 'ansible_python_interpreter=' + sys.executable],
                          env=ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json'),
                          capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    return proc, json.loads(proc.stdout)


def test_watch_entries_are_the_planners_expectations(tmp_path):
    proc, output = run_plan(tmp_path, {'mount_watch_from_roles': True, 's3fs_mounts': S3FS,
                                       'mountpoint_s3_mounts': MOUNTPOINT, 'efs_mounts': EFS})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    derived = output['plays'][0]['tasks'][-1]['hosts']['localhost']['mount_watch__derived']
    by_path = dict((entry['path'], entry) for entry in derived)
    assert sorted(by_path) == ['/mnt/watch-plan/efs', '/mnt/watch-plan/mp', '/mnt/watch-plan/s3-x']
    # What each planner itself expects of the same mounts (role defaults for everything else).
    expected = {
        '/mnt/watch-plan/s3-x': ('s3fs', plan_s3fs.plan(settings('s3fs', s3fs_mounts=S3FS[:1]), {})),
        '/mnt/watch-plan/mp': ('mountpoint_s3', plan_mountpoint_s3.plan(
            settings('mountpoint_s3', mountpoint_s3_mounts=MOUNTPOINT), {'version': mount_s3_version()})),
        '/mnt/watch-plan/efs': ('efs', plan_efs.plan(settings('efs', efs_mounts=EFS),
                                                     {'efs_utils_installed': os.path.exists('/sbin/mount.efs')})),
    }
    for path, (backend, plan) in expected.items():
        expect = plan['mounts'][0]['expect']
        entry = by_path[path]
        assert entry['backend'] == backend
        assert (entry['fstype'], entry['source'], entry['options_present'], entry['options_absent'],
                entry['propagation']) == (expect['fstype'], expect['source'], expect['options_present'],
                                          expect.get('options_absent', []), expect.get('propagation', 'any')), entry
    # Healing restarts each mount's own unit: systemd's .mount unit of an fstab line (a '-' in the path escaped),
    # the service of a Mountpoint unit.
    assert by_path['/mnt/watch-plan/s3-x']['unit'] == 'mnt-watch\\x2dplan-s3\\x2dx.mount'
    assert by_path['/mnt/watch-plan/efs']['unit'] == 'mnt-watch\\x2dplan-efs.mount'
    assert by_path['/mnt/watch-plan/mp']['unit'] == 'mount-s3-mnt-watch\\x2dplan-mp.service'
    assert by_path['/mnt/watch-plan/mp']['options_absent'] == []
    # No secret of the storage roles reaches the output.
    assert 'watch-plan-secret' not in proc.stdout


def test_a_problem_in_a_storage_role_stops_in_its_planners_words(tmp_path):
    proc, output = run_plan(tmp_path, {'mount_watch_from_roles': True,
                                       's3fs_mounts': [dict(S3FS[0], path='mnt/relative')]})
    assert proc.returncode != 0
    assert "s3fs_mounts[0].path must be absolute, got 'mnt/relative'" in proc.stdout
