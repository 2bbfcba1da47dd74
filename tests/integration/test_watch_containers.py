# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mount_watch's checker with the real Docker engine: what containers see at a real s3fs mount (local S3 server),
in its metrics, journal lines and status, judged by the collection's container_views module.

The checker is installed the way the role installs it (the checker next to copies of the module_utils it
imports) and run with an isolated Python, so it uses its copy of container_views, as on a host.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading

import pytest

import containerhelpers
import fusehelpers
from ansible_collections.mountkit.aws.plugins.module_utils import container_views

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKER = os.path.join(ROOT, 'roles', 'mount_watch', 'files', 'mountkit-watch.py')
MODULE_UTILS = os.path.join(ROOT, 'plugins', 'module_utils')
IMPORT = re.compile(r'from ansible_collections\.mountkit\.aws\.plugins\.module_utils\.(\w+) import')

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures('real_fuse_and_docker')]


@pytest.fixture
def installed(tmp_path):
    """The checker and the closure of module_utils that mountinfo.py and container_views.py import."""
    install = tmp_path / 'install'
    install.mkdir()
    shutil.copy(CHECKER, str(install / 'mountkit-watch.py'))
    pending, names = ['mountinfo', 'container_views'], set()
    while pending:
        name = pending.pop()
        if name not in names:
            names.add(name)
            pending.extend(IMPORT.findall(open(os.path.join(MODULE_UTILS, name + '.py')).read()))
    for name in names:
        shutil.copy(os.path.join(MODULE_UTILS, name + '.py'), str(install / (name + '.py')))
    return install


@pytest.fixture
def parent(tmp_path, unique_name, shell_image):
    """An rshared parent D with the mount point D/mnt, and containers named <unique>-<suffix> binding D."""
    path = str(tmp_path / 'parent')
    containerhelpers.make_rshared_parent(path)
    os.makedirs(os.path.join(path, 'mnt'))
    started = []

    def run(suffix, propagation=''):
        name = '%s-%s' % (unique_name, suffix)
        started.append(name)
        return containerhelpers.run_container(name, shell_image, '%s:/data%s' % (path, propagation))
    yield path, run
    for name in started:
        containerhelpers.remove_container(name)
    fusehelpers.unmount(os.path.join(path, 'mnt'))
    fusehelpers.unmount(path)


def run_checker(tmp_path, install, mount_point, containers):
    config = {
        'mounts': [{'path': mount_point, 'backend': 's3fs', 'fstype': 'fuse.s3fs', 'source': '', 'options_present': [],
                    'options_absent': [], 'propagation': 'any', 'unit': '', 'remount': []}],
        'timeout': 5, 'textfile_dir': str(tmp_path / 'textfile'), 'status_file': str(tmp_path / 'status.json'),
        'heal': {'enabled': False, 'backoff_initial': 60, 'backoff_max': 600, 'max_per_hour': 1, 'timeout': 10},
        'containers': containers,
    }
    (tmp_path / 'textfile').mkdir(exist_ok=True)
    (tmp_path / 'watch.json').write_text(json.dumps(config))
    # -I: no user site, no PYTHONPATH: only the installed copies are importable.
    proc = subprocess.run([sys.executable, '-I', '-B', str(install / 'mountkit-watch.py'),
                           '--config', str(tmp_path / 'watch.json')],
                          capture_output=True, text=True, timeout=120, check=False, cwd=str(tmp_path))
    metrics = (tmp_path / 'textfile' / 'mountkit_watch.prom').read_text()
    status = json.loads((tmp_path / 'status.json').read_text())
    return proc, metrics, status


def view_samples(metrics, container):
    """{view: value} of the mountkit_container_view series of one container."""
    return dict(re.findall(r'^mountkit_container_view\{[^}]*container="%s",view="(\w+)"\} (\d)$'
                           % re.escape(container), metrics, re.M))


def test_views_of_live_and_dead_binds_as_container_views_judges_them(
        tmp_path, installed, parent, shared_s3_server, s3fs_factory):
    path, run = parent
    mount_point = os.path.join(path, 'mnt')
    first = s3fs_factory(shared_s3_server, mount_point)
    plain = run('plain')
    rslave = run('rslave', ':rslave')
    docker = {'enabled': True, 'socket': containerhelpers.DOCKER_SOCKET, 'budget': 60}

    proc, metrics, status = run_checker(tmp_path, installed, mount_point, docker)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    labels = 'path="%s",backend="s3fs",fstype="fuse.s3fs",container="%s",view="live"} 1' % (mount_point, plain)
    assert 'mountkit_container_view{' + labels in metrics.splitlines()
    # One series per view, 1 for the one the container is in.
    assert view_samples(metrics, plain) == dict((view, '1' if view == 'live' else '0') for view in container_views.VIEWS)
    assert view_samples(metrics, rslave)['live'] == '1'
    assert 'container %s sees %s at /data/mnt: unknown -> live' % (plain, mount_point) in proc.stdout

    # The daemon dies and the host remounts: only the rslave bind follows; the plain one keeps the dead mount.
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    fusehelpers.unmount(mount_point)
    s3fs_factory(shared_s3_server, mount_point)
    proc, metrics, status = run_checker(tmp_path, installed, mount_point, docker)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert view_samples(metrics, plain)['dead'] == '1' and view_samples(metrics, plain)['live'] == '0', metrics
    assert view_samples(metrics, rslave)['live'] == '1', metrics
    # The same verdicts as container_views itself gives, one implementation.
    judged = dict((row['container'], row['view']) for row in container_views.check_containers([mount_point], timeout=5)
                  if row['container'] in (plain, rslave))
    assert judged == {plain: 'dead', rslave: 'live'}
    assert status['containers'] == {'%s %s' % (plain, mount_point): 'dead', '%s %s' % (rslave, mount_point): 'live'}
    # One journal line for the change, none for the unchanged rslave view.
    changes = [line for line in proc.stdout.splitlines() if line.startswith('<4>container ') or '<5>container ' in line]
    assert len(changes) == 1 and 'container %s sees %s at /data/mnt: live -> dead' % (plain, mount_point) in changes[0]
    assert 'mountkit_watch_run_errors 0' in metrics


def test_a_silent_docker_is_an_error_within_the_budget(tmp_path, installed):
    """A Docker socket that accepts and never answers: the pass is abandoned at its budget, the run goes on."""
    silent = str(tmp_path / 'silent.sock')
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(silent)
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except socket.timeout:
                continue
    thread = threading.Thread(target=accept)
    thread.start()
    try:
        proc, metrics, status = run_checker(tmp_path, installed, '/', {'enabled': True, 'socket': silent, 'budget': 2})
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()
    assert proc.returncode == 1
    assert status['errors'] == ['container views: no answer within 2 s']
    assert accepted, 'the checker never asked the socket'
    assert 'mountkit_watch_run_errors 1' in metrics
    # The mounts were still checked and written.
    assert 'mountkit_mount_up{path="/",backend="s3fs",fstype="fuse.s3fs"} 0' in metrics
    assert not any(line.startswith('mountkit_container_view') for line in metrics.splitlines())
