# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real Docker containers for the integration tests: a tiny image made from the host's /bin/sh (no registry),
containers started with the docker CLI or created through the Engine API over its unix socket the way the
ECS agent creates them, and rshared parent directories. Everything is removed by name afterwards."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import socket
import subprocess

try:
    import http.client as http_client
except ImportError:  # pragma: no cover
    import httplib as http_client

DOCKER_SOCKET = '/var/run/docker.sock'


def missing_docker():
    """Why real containers cannot run here, or None."""
    if not shutil.which('docker'):
        return 'needs the docker CLI'
    if subprocess.call(['docker', 'info'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
        return 'needs a running Docker engine'
    return None


def build_shell_image(tag):
    """An image holding only the host's /bin/sh and the libraries it links, imported without a registry."""
    script = ('set -eu -o pipefail; libs=$(ldd /bin/sh 2>/dev/null | grep -o "/[^ ]*" | sed "s|^/||" || true); '
              'tar -C / --dereference -c bin/sh $libs | docker import --change \'CMD ["/bin/sh"]\' - "$1"')
    subprocess.run(['bash', '-c', script, 'build', tag], check=True, stdout=subprocess.DEVNULL)
    return tag


def remove_image(tag):
    subprocess.call(['docker', 'image', 'rm', '--force', tag], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_container(name, image, volume, restart=None):
    """docker run -v volume, kept alive by a shell waiting on stdin that is never written."""
    argv = ['docker', 'run', '--detach', '--interactive', '--name', name, '--network', 'none', '-v', volume]
    if restart:
        argv += ['--restart', restart]
    subprocess.run(argv + [image, '/bin/sh', '-c', 'read -r line'], check=True, stdout=subprocess.DEVNULL)
    return name


def docker_exec(name, command, timeout=30):
    return subprocess.run(['docker', 'exec', name, '/bin/sh', '-c', command], capture_output=True, text=True,
                          timeout=timeout, check=False)


def remove_container(name):
    subprocess.call(['docker', 'rm', '--force', name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class _UnixConnection(http_client.HTTPConnection):
    def __init__(self, path, timeout=30):
        http_client.HTTPConnection.__init__(self, 'localhost', timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def docker_api(method, path, body=None):
    """One Engine API call over the unix socket; returns (status, decoded JSON or None)."""
    connection = _UnixConnection(DOCKER_SOCKET)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers={'Content-Type': 'application/json', 'Host': 'docker'})
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, (json.loads(data) if data else None)


def create_container_via_api(name, image, binds, restart='always'):
    """Create and start a container with HostConfig.Binds as given, as the ECS agent builds them."""
    status, created = docker_api('POST', '/containers/create?name=%s' % name, {
        'Image': image,
        'Cmd': ['/bin/sh', '-c', 'read -r line'],
        'OpenStdin': True,
        'HostConfig': {'Binds': list(binds), 'NetworkMode': 'none', 'RestartPolicy': {'Name': restart}},
    })
    if status != 201:
        raise RuntimeError('container create answered %s: %s' % (status, created))
    status, started = docker_api('POST', '/containers/%s/start' % created['Id'])
    if status != 204:
        raise RuntimeError('container start answered %s: %s' % (status, started))
    return name


def inspect(name):
    return json.loads(subprocess.check_output(['docker', 'inspect', name]))[0]


def make_rshared_parent(path):
    """Bind path onto itself and make it recursively shared, as docker_propagation does."""
    os.makedirs(path, exist_ok=True)
    subprocess.check_call(['mount', '--bind', path, path])
    subprocess.check_call(['mount', '--make-rshared', path])
