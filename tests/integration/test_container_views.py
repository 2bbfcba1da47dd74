# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""container_views against the real Docker engine: s3fs (local S3 server) under an rshared parent, containers
with plain (rprivate) and rslave binds, then the daemon killed, hung, remounted and unmounted."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import signal
import subprocess

import pytest

import containerhelpers
import fusehelpers
from project_env import ansible_env  # tests/conftest.py puts tools/testbed on the path
from ansible_collections.mountkit.aws.plugins.module_utils.container_views import HostView, check_container
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import read_mountinfo

MODULE = 'mountkit.aws.container_views'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures('real_fuse_and_docker')]


@pytest.fixture
def containers(unique_name):
    """Start containers named <unique>-<suffix>; all are removed afterwards."""
    started = []

    class Containers(object):
        def run(self, suffix, volume, restart=None):
            name = '%s-%s' % (unique_name, suffix)
            started.append(name)
            return containerhelpers.run_container(name, self.image, volume, restart)

        def create_via_api(self, suffix, binds):
            name = '%s-%s' % (unique_name, suffix)
            started.append(name)
            return containerhelpers.create_container_via_api(name, self.image, binds)
    yield Containers()
    for name in started:
        containerhelpers.remove_container(name)


@pytest.fixture
def parent(tmp_path, containers, shell_image):
    """An rshared parent directory D with the mount point D/mnt; unmounted after the containers are gone."""
    containers.image = shell_image
    path = str(tmp_path / 'parent')
    containerhelpers.make_rshared_parent(path)
    os.makedirs(os.path.join(path, 'mnt'))
    yield path
    fusehelpers.unmount(os.path.join(path, 'mnt'))
    fusehelpers.unmount(path)


def views(run_module, paths, names, **extra):
    result = run_module(MODULE, dict(paths=paths, names=names, timeout=extra.pop('timeout', 5), **extra))
    assert not result.get('failed'), result
    return dict((item['container'], item) for item in result['containers']), result


def write_on_host(mount_point, name, text):
    with open(os.path.join(mount_point, name), 'w') as handle:
        handle.write(text)


def test_remount_after_a_killed_daemon_reaches_only_the_rslave_bind(
        run_module, parent, containers, shared_s3_server, s3fs_factory):
    mount_point = os.path.join(parent, 'mnt')
    first = s3fs_factory(shared_s3_server, mount_point)
    plain = containers.run('plain', '%s:/data' % parent, restart='always')
    rslave = containers.run('rslave', '%s:/data:rslave' % parent)

    seen, result = views(run_module, [mount_point], [plain, rslave])
    assert seen[plain]['view'] == 'live' and seen[rslave]['view'] == 'live', result
    assert seen[plain]['container_path'] == '/data/mnt'
    assert seen[plain]['docker_propagation'] == 'rprivate'
    assert seen[plain]['receives_host_mounts'] is False
    assert 'lacks rslave: will not see a remount' in seen[plain]['detail']
    assert seen[rslave]['receives_host_mounts'] is True
    assert seen[plain]['restart_policy'] == 'always'
    # The live plain bind is still a problem: it cannot follow a remount.
    assert any(problem.startswith('%s:/data/mnt' % plain) for problem in result['problems'])
    assert not any(problem.startswith(rslave) for problem in result['problems'])

    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    seen, result = views(run_module, [mount_point], [plain, rslave])
    assert seen[plain]['view'] == 'dead' and seen[rslave]['view'] == 'dead', result
    assert 'ENOTCONN' in seen[plain]['detail']

    # The host remounts: the unit or role unmounts the dead mount and mounts again.
    fusehelpers.unmount(mount_point)
    s3fs_factory(shared_s3_server, mount_point)
    write_on_host(mount_point, 'after-remount', 'new mount\n')
    seen, result = views(run_module, [mount_point], [plain, rslave])
    assert seen[rslave]['view'] == 'live', result
    assert seen[plain]['view'] == 'dead', result
    assert containerhelpers.docker_exec(rslave, 'read -r l < /data/mnt/after-remount && echo "$l"').stdout == 'new mount\n'
    assert containerhelpers.docker_exec(plain, 'read -r l < /data/mnt/after-remount').returncode != 0


def test_a_mount_replaced_while_the_old_daemon_runs_is_stale_in_a_plain_bind(
        run_module, parent, containers, shared_s3_server, s3fs_factory):
    mount_point = os.path.join(parent, 'mnt')
    s3fs_factory(shared_s3_server, mount_point)
    plain = containers.run('plain', '%s:/data' % parent)
    rslave = containers.run('rslave', '%s:/data:rslave' % parent)

    # Unmounted on the host only: the plain bind keeps its copy, and the old daemon keeps serving it.
    subprocess.check_call(['umount', mount_point])
    s3fs_factory(shared_s3_server, mount_point)
    seen, result = views(run_module, [mount_point], [plain, rslave])
    assert seen[plain]['view'] == 'stale', result
    assert seen[plain]['container_mount']['major_minor'] != seen[plain]['host']['major_minor']
    assert seen[rslave]['view'] == 'live', result
    assert seen[rslave]['container_mount']['major_minor'] == seen[rslave]['host']['major_minor']


def test_containers_started_before_the_mount_see_the_directory_underneath(
        run_module, parent, containers, shared_s3_server, s3fs_factory):
    mount_point = os.path.join(parent, 'mnt')
    plain_parent = containers.run('plain-parent', '%s:/data' % parent)
    plain_direct = containers.run('plain-direct', '%s:/data' % mount_point)
    rslave = containers.run('rslave', '%s:/data:rslave' % parent)

    seen, result = views(run_module, [mount_point], [plain_parent, plain_direct, rslave])
    assert all(item['view'] == 'shadowed' for item in seen.values()), result
    assert 'the host has no mount there either' in seen[rslave]['detail']

    s3fs_factory(shared_s3_server, mount_point)
    seen, result = views(run_module, [mount_point], [plain_parent, plain_direct, rslave])
    assert seen[plain_parent]['view'] == 'shadowed', result
    assert seen[plain_direct]['view'] == 'shadowed', result
    assert seen[plain_direct]['container_path'] == '/data'
    assert seen[rslave]['view'] == 'live', result
    assert 'writes land on' in seen[plain_parent]['detail']

    # What the shadowed task writes stays on the host's disk, under the mount point.
    assert containerhelpers.docker_exec(plain_direct, 'echo lost > /data/shadowed-write').returncode == 0
    assert not os.path.exists(os.path.join(mount_point, 'shadowed-write'))

    failed = run_module(MODULE, dict(paths=[mount_point], names=[plain_parent, rslave], fail_on_problem=True))
    assert failed.get('failed') and plain_parent in failed['msg'] and 'shadowed' in failed['msg'], failed


def test_a_hung_daemon_is_dead_within_the_timeout(run_module, parent, containers, shared_s3_server, s3fs_factory):
    mount_point = os.path.join(parent, 'mnt')
    mount = s3fs_factory(shared_s3_server, mount_point)
    rslave = containers.run('rslave', '%s:/data:rslave' % parent)
    os.kill(mount.proc.pid, signal.SIGSTOP)
    try:
        seen, result = views(run_module, [mount_point], [rslave], timeout=2)
    finally:
        os.kill(mount.proc.pid, signal.SIGCONT)
    assert seen[rslave]['view'] == 'dead', result
    assert 'hung' in seen[rslave]['detail']


def test_an_api_created_bind_with_rslave_in_the_container_path_sees_a_later_mount(
        run_module, parent, containers, shared_s3_server, s3fs_factory):
    """The ECS agent passes containerPath '/data:rslave' into HostConfig.Binds as '<host>:/data:rslave'."""
    mount_point = os.path.join(parent, 'mnt')
    task = containers.create_via_api('ecs-task', ['%s:/data:rslave' % parent])
    plain_task = containers.create_via_api('ecs-plain-task', ['%s:/data' % parent])
    assert [m['Propagation'] for m in containerhelpers.inspect(task)['Mounts']] == ['rslave']
    assert containerhelpers.inspect(task)['HostConfig']['RestartPolicy']['Name'] == 'always'

    s3fs_factory(shared_s3_server, mount_point)
    write_on_host(mount_point, 'marker', 'from s3\n')
    assert containerhelpers.docker_exec(task, 'read -r l < /data/mnt/marker && echo "$l"').stdout == 'from s3\n'
    assert containerhelpers.docker_exec(plain_task, 'read -r l < /data/mnt/marker').returncode != 0

    seen, result = views(run_module, [mount_point], [task, plain_task])
    assert seen[task]['view'] == 'live' and seen[task]['receives_host_mounts'] is True, result
    assert seen[plain_task]['view'] == 'shadowed' and seen[plain_task]['receives_host_mounts'] is False, result
    assert any(plain_task in problem and 'lacks rslave' in problem for problem in result['problems'])


def test_a_container_that_exits_during_the_check_is_reported(parent, containers, shared_s3_server, s3fs_factory):
    mount_point = os.path.join(parent, 'mnt')
    s3fs_factory(shared_s3_server, mount_point)
    name = containers.run('exiting', '%s:/data' % parent)
    document = containerhelpers.inspect(name)
    subprocess.check_call(['docker', 'kill', name], stdout=subprocess.DEVNULL)
    host_views = {mount_point: HostView(read_mountinfo(), mount_point)}
    [item] = check_container(document, [mount_point], host_views, 5)
    assert item['view'] == 'exited' and item['container'] == name, item


def test_check_mode_and_unrelated_containers(run_module, parent, containers, shared_s3_server, s3fs_factory):
    mount_point = os.path.join(parent, 'mnt')
    s3fs_factory(shared_s3_server, mount_point)
    other = containers.run('unrelated', '/etc:/data')
    result = run_module(MODULE, dict(paths=[mount_point], names=[other]), check=True)
    assert not result.get('failed') and not result['changed'] and result['containers'] == [], result


def test_bad_input_names_the_option(run_module):
    result = run_module(MODULE, dict(paths=['relative/path']))
    assert result.get('failed') and 'paths[0]' in result['msg'], result
    result = run_module(MODULE, dict(paths=['/srv'], timeout=0))
    assert result.get('failed') and 'timeout' in result['msg'], result


def test_verify_task_file_reports_one_row_per_container_and_path(
        parent, containers, shared_s3_server, s3fs_factory, tmp_path):
    mount_point = os.path.join(parent, 'mnt')
    s3fs_factory(shared_s3_server, mount_point)
    plain = containers.run('plain', '%s:/data' % parent)
    rslave = containers.run('rslave', '%s:/data:rslave' % parent)
    out = tmp_path / 'rows.json'
    playbook = tmp_path / 'verify_containers.yml'
    playbook.write_text(json.dumps([{
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'vars': {'s3fs_mounts': [{'bucket': shared_s3_server.bucket, 'path': mount_point},
                                 {'bucket': 'absent', 'path': '/srv/not-mounted', 'state': 'absent'}],
                 'mountkit_verify_container_names': [plain, rslave],
                 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'tasks': [
            {'ansible.builtin.include_tasks': os.path.join(ROOT, 'playbooks', 'tasks', 'verify_containers.yml')},
            {'ansible.builtin.copy': {'content': '{{ mountkit_verify_container_results | to_json }}',
                                      'dest': str(out), 'mode': '0600'}},
        ],
    }]))
    proc = subprocess.run([os.path.join(ROOT, '.venv', 'bin', 'ansible-playbook'), '-i', 'localhost,', str(playbook)],
                          env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())
    # Beside the container rows, one shadowed_writes row per managed mount point: nothing was written beneath it.
    beneath = [row for row in results if row['check'] == 'shadowed_writes']
    assert [(row['path'], row['status']) for row in beneath] == [(mount_point, 'pass')], beneath
    rows = dict((row['path'], row) for row in results if row['check'] != 'shadowed_writes')
    assert set(rows) == {'%s:/data/mnt' % plain, '%s:/data/mnt' % rslave}, rows
    assert rows['%s:/data/mnt' % rslave]['status'] == 'pass'
    assert rows['%s:/data/mnt' % plain]['status'] == 'fail'
    assert 'lacks rslave' in rows['%s:/data/mnt' % plain]['detail']
    assert all(row['backend'] == 'docker' and row['check'] == 'container_view' and row['host'] == 'localhost'
               for row in rows.values())
