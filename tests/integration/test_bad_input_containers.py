# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input to the container checks and recovery: shadowed_writes, container_views and
playbooks/recover_containers.yml. Each is rejected with a message that names the option or variable, before
anything changes: the directory a module points at keeps its files, and every container keeps its state.
Same shape as test_bad_input.py; the cases of a kind run at once in a module-scoped fixture."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import containerhelpers
from project_env import ansible_env
from test_bad_input import Case, assert_rejected_unchanged

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.integration

MODULE_CASES = [
    Case('shadowed_writes-relative-path', 'shadowed_writes', {'path': 'srv/s3'}, ["path must be absolute, got 'srv/s3'"]),
    Case('shadowed_writes-relative-move-to', 'shadowed_writes', {'move_to': 'aside'},
         ["move_to must be an absolute directory path, got 'aside'"]),
    Case('shadowed_writes-move-to-above-path', 'shadowed_writes', {'move_to': '/'},
         ['move_to / must lie outside the mount point', 'and not above it']),
    Case('shadowed_writes-list-limit-negative', 'shadowed_writes', {'list_limit': -1},
         ['list_limit must be 0 to 1000, got -1']),
    Case('shadowed_writes-timeout-zero', 'shadowed_writes', {'timeout': 0}, ['timeout must be greater than 0, got 0']),
    Case('shadowed_writes-unknown-option', 'shadowed_writes', {'move_into': '/var/tmp'},
         ['move_into', 'Supported parameters include', 'move_to']),
    Case('container_views-relative-path', 'container_views', {'paths': ['/srv/s3', 'srv/x']},
         ["paths[1] must be an absolute path, got 'srv/x'"]),
    Case('container_views-timeout-zero', 'container_views', {'paths': ['/srv/s3'], 'timeout': 0},
         ['timeout must be a positive number of seconds, got 0']),
]

PLAYBOOK_CASES = [
    Case('recover-unknown-view', 'recover_containers', {'mountkit_recover_views': ['dead', 'gone']},
         ['mountkit_recover_views must be one or more of: dead, shadowed, stale', 'gone']),
    Case('recover-dry-run-not-bool', 'recover_containers', {'mountkit_recover_dry_run': 'maybe'},
         ["argument 'mountkit_recover_dry_run'", 'maybe']),
    Case('recover-relative-path', 'recover_containers', {'mountkit_recover_paths': ['/srv/s3', 'srv/x']},
         ['mountkit_recover_paths must hold absolute paths, got ["srv/x"]']),
    Case('recover-label-with-blank', 'recover_containers', {'mountkit_recover_labels': ['com.amazonaws.ecs.cluster=a b']},
         ['mountkit_recover_labels items must be key or key=value without blanks']),
    Case('recover-wait-zero', 'recover_containers', {'mountkit_recover_wait': 0},
         ['mountkit_recover_wait must be 1 or more seconds, got 0']),
    Case('recover-stop-timeout-negative', 'recover_containers', {'mountkit_recover_stop_timeout': -1},
         ['mountkit_recover_stop_timeout must be 0 or more seconds, got -1']),
    Case('recover-timeout-not-a-number', 'recover_containers', {'mountkit_recover_timeout': 'soon'},
         ["argument 'mountkit_recover_timeout'", 'float']),
    Case('recover-names-not-a-list', 'recover_containers', {'mountkit_recover_names': {'web': 1}},
         ["argument 'mountkit_recover_names'", 'list']),
]


@pytest.fixture(scope='module')
def module_results(run_module, tmp_path_factory):
    def run(case):
        directory = tmp_path_factory.mktemp('bad-input-%s' % case.target)
        (directory / 'written.txt').write_text('kept\n')
        args = dict(case.variables)
        if case.target == 'shadowed_writes':
            args.setdefault('path', str(directory))
        before = sorted(os.listdir(str(directory)))
        result = run_module('mountkit.aws.%s' % case.target, args)
        return {'result': result, 'before': before, 'after': sorted(os.listdir(str(directory)))}
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip([case.id for case in MODULE_CASES], pool.map(run, MODULE_CASES)))


@pytest.mark.parametrize('case', [case.param() for case in MODULE_CASES])
def test_module_rejects_bad_input(case, module_results):
    assert_rejected_unchanged(case, module_results[case.id])


def container_states():
    """Id, running state and start of every container of the local Docker engine."""
    ids = subprocess.run(['docker', 'ps', '--all', '--quiet', '--no-trunc'], capture_output=True, text=True,
                         check=True).stdout.split()
    if not ids:
        return []
    return sorted(subprocess.run(['docker', 'inspect', '--format', '{{.Id}} {{.State.Running}} {{.State.StartedAt}}']
                                 + ids, capture_output=True, text=True, check=False).stdout.splitlines())


def run_playbook(case, tmp_path_factory):
    directory = tmp_path_factory.mktemp('bad-input-recover')
    variables = dict(case.variables, mountkit_recover_hosts='localhost')
    argv = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', os.path.join(ROOT, 'playbooks', 'recover_containers.yml'),
            '-e', json.dumps(variables)]
    proc = subprocess.run(argv, env=ansible_env(ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_LOCALHOST_WARNING='0'),
                          capture_output=True, text=True, timeout=300, check=False, cwd=str(directory))
    data = json.loads(proc.stdout)
    failed = []
    changed = []
    for play in data['plays']:
        for task in play['tasks']:
            for result in task['hosts'].values():
                if result.get('failed'):
                    failed.append(result.get('msg', ''))
                if result.get('changed'):
                    changed.append(task['task']['name'])
    return {'rc': proc.returncode, 'failed': failed, 'changed': changed}


@pytest.fixture(scope='module')
def playbook_results(tmp_path_factory):
    missing = containerhelpers.missing_docker()
    if missing:
        pytest.fail('the recovery cases check that no container changes, which needs the Docker engine: %s' % missing)
    before = container_states()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip([case.id for case in PLAYBOOK_CASES],
                           pool.map(lambda case: run_playbook(case, tmp_path_factory), PLAYBOOK_CASES)))
    return {'results': results, 'before': before, 'after': container_states()}


@pytest.mark.parametrize('case', [case.param() for case in PLAYBOOK_CASES])
def test_recover_containers_rejects_bad_input(case, playbook_results):
    outcome = playbook_results['results'][case.id]
    assert outcome['rc'] != 0, outcome
    assert outcome['changed'] == [], outcome
    assert len(outcome['failed']) == 1, outcome
    for fragment in case.expect:
        assert fragment in outcome['failed'][0], 'expected %r in %r' % (fragment, outcome['failed'][0])
    assert playbook_results['after'] == playbook_results['before']
