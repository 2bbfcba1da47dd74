# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""recover_containers.yml on real Docker with real s3fs and mount-s3 mounts: an ECS-style task container (plain
bind of the rshared parent, restart policy always) keeps the dead mount after its daemon is killed and the host
remounts; the dry run lists it and changes nothing; the real run starts it anew and it reads the live mount."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import signal
import subprocess

import pytest

import containerhelpers
import fusehelpers
import hostbed
from project_env import ansible_env  # tests/conftest.py puts tools/testbed on the path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures('real_fuse_and_docker')]


class Backend(object):
    """Mount (and mount again) one bucket at one mount point with s3fs or mount-s3, as our own child."""

    def __init__(self, name, server, passwd_file, mount_s3_binary, mount_point):
        self.name, self.server, self.mount_point = name, server, mount_point
        self.passwd_file, self.mount_s3_binary = passwd_file, mount_s3_binary
        self.mounts = []

    def mount(self):
        if self.name == 's3fs':
            mount = fusehelpers.S3fsMount(self.server.endpoint, self.server.bucket, self.mount_point, self.passwd_file)
        else:
            mount = hostbed.MountpointMount(self.mount_s3_binary, self.server.endpoint, self.server.bucket,
                                            self.mount_point, ['--allow-delete'])
        self.mounts.append(mount)
        return mount.start()

    def stop(self):
        for mount in reversed(self.mounts):
            mount.stop()


@pytest.fixture
def task(tmp_path, unique_name, shell_image):
    """The rshared parent D, its mount point D/mnt and a container binding D plainly with restart policy always."""
    parent = str(tmp_path / 'parent')
    containerhelpers.make_rshared_parent(parent)
    os.makedirs(os.path.join(parent, 'mnt'))
    state = {'parent': parent, 'mount_point': os.path.join(parent, 'mnt'), 'name': unique_name + '-task',
             'image': shell_image}
    yield state
    containerhelpers.remove_container(state['name'])
    fusehelpers.unmount(state['mount_point'])
    fusehelpers.unmount(parent)


def recover(tmp_path, mount_point, name, dry_run):
    """The playbook's tasks on this machine for one mount point and one container; returns the plan."""
    out = tmp_path / ('plan-%s.json' % ('dry' if dry_run else 'run'))
    playbook = tmp_path / 'recover.yml'
    playbook.write_text(json.dumps([{
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'vars': {'mountkit_recover_paths': [mount_point], 'mountkit_recover_names': [name],
                 'mountkit_recover_dry_run': dry_run, 'mountkit_recover_wait': 60,
                 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'tasks': [
            {'ansible.builtin.include_tasks': os.path.join(ROOT, 'playbooks', 'tasks', 'recover_containers.yml')},
            {'ansible.builtin.copy': {'content': '{{ mountkit_recover_plan | to_json }}', 'dest': str(out),
                                      'mode': '0600'}},
        ],
    }]))
    proc = subprocess.run([os.path.join(ROOT, '.venv', 'bin', 'ansible-playbook'), '-i', 'localhost,', str(playbook)],
                          env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


def view_of(run_module, mount_point, name):
    result = run_module('mountkit.aws.container_views', {'paths': [mount_point], 'names': [name], 'timeout': 5})
    assert not result.get('failed'), result
    return dict((item['container'], item) for item in result['containers'])[name]


def started_at(name):
    return subprocess.check_output(['docker', 'inspect', '--format', '{{.State.StartedAt}}', name], text=True).strip()


@pytest.mark.parametrize('backend_name', ['s3fs', 'mountpoint_s3'])
def test_a_task_on_a_dead_mount_is_started_anew_and_reads_the_live_mount(
        backend_name, task, shared_s3_server, passwd_file, mount_s3_binary, run_module, tmp_path):
    mount_point, name = task['mount_point'], task['name']
    backend = Backend(backend_name, shared_s3_server, passwd_file, mount_s3_binary, mount_point)
    try:
        first = backend.mount()
        containerhelpers.run_container(name, task['image'], '%s:/data' % task['parent'], restart='always')
        assert view_of(run_module, mount_point, name)['view'] == 'live'

        # The daemon dies; the host remounts, as the role or the mount's unit does.
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait(10)
        fusehelpers.unmount(mount_point)
        backend.mount()
        marker = 'recover-%s-%s' % (backend_name, name)
        with open(os.path.join(mount_point, marker), 'w') as handle:
            handle.write('live mount\n')
        seen = view_of(run_module, mount_point, name)
        assert seen['view'] == 'dead', seen

        before = started_at(name)
        plan = recover(tmp_path, mount_point, name, dry_run=True)
        assert [(item['container'], item['view'], item['action']) for item in plan] == [(name, 'dead', 'stop_init')]
        assert started_at(name) == before
        assert view_of(run_module, mount_point, name)['view'] == 'dead'

        recover(tmp_path, mount_point, name, dry_run=False)
        assert started_at(name) != before
        assert view_of(run_module, mount_point, name)['view'] == 'live'
        read = containerhelpers.docker_exec(name, 'read -r line < /data/mnt/%s && echo "$line"' % marker)
        assert read.stdout == 'live mount\n', read
    finally:
        containerhelpers.remove_container(name)
        backend.stop()
