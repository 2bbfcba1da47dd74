# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Compare what running Docker containers see at a managed mount point with what the host sees.

A container binds a host directory when it starts. Unless the bind propagates mounts from the host
(slave or shared), later host mounts never reach it: after a FUSE daemon dies and the host remounts,
the container keeps the dead or older mount, and a container started before the mount sees the bare
directory underneath, where its writes land on the root disk.

For each container the mount table of its init process (/proc/<pid>/mountinfo) is read and the path
is looked up inside its namespace through /proc/<pid>/root, in a child process bounded in time.

Only the Python standard library is used, so modules can run on any target.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import posixpath
import socket

try:
    import http.client as http_client
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2
    import httplib as http_client  # noqa: F401
    from urllib import quote  # noqa: F401

from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import (
    check_alive, find_mount, normalize_path, path_is_under, read_mountinfo)

DEFAULT_SOCKET = '/var/run/docker.sock'

# Views, from best to worst. Only 'live' passes.
VIEWS = ('live', 'stale', 'shadowed', 'dead', 'exited', 'error')

# Docker's names for bind propagation that passes host mounts into the container.
RECEIVING_PROPAGATION = ('rslave', 'slave', 'rshared', 'shared')


class DockerError(Exception):
    pass


class _UnixHTTPConnection(http_client.HTTPConnection):
    """HTTP over the Docker daemon's unix socket, with a timeout on connect and every read."""

    def __init__(self, socket_path, timeout):
        http_client.HTTPConnection.__init__(self, 'localhost', timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class DockerAPI(object):
    """The few read-only calls of the Docker Engine API this check needs."""

    def __init__(self, socket_path=DEFAULT_SOCKET, timeout=10.0):
        self.socket_path = socket_path
        self.timeout = timeout

    def get(self, path):
        """GET path; returns (status, decoded JSON or None)."""
        connection = _UnixHTTPConnection(self.socket_path, self.timeout)
        try:
            connection.request('GET', path, headers={'Host': 'docker'})
            response = connection.getresponse()
            body = response.read()
        except (OSError, IOError, socket.timeout, http_client.HTTPException) as exc:
            raise DockerError('Docker API %s on %s failed: %s' % (path, self.socket_path, exc))
        finally:
            connection.close()
        try:
            data = json.loads(body.decode('utf-8')) if body else None
        except ValueError:
            data = None
        return response.status, data

    def running_containers(self):
        status, data = self.get('/containers/json')
        if status != 200 or not isinstance(data, list):
            raise DockerError('Docker API /containers/json answered %s: %s' % (status, data))
        return data

    def inspect(self, container_id):
        """The container's inspect document, or None when it is gone."""
        status, data = self.get('/containers/%s/json' % quote(container_id, safe=''))
        if status == 404:
            return None
        if status != 200 or not isinstance(data, dict):
            raise DockerError('Docker API inspect of %s answered %s: %s' % (container_id, status, data))
        return data


def container_path(bind_source, bind_destination, managed_path):
    """Where a bind of bind_source at bind_destination shows managed_path, or None if it does not."""
    source = normalize_path(bind_source)
    if not path_is_under(managed_path, source):
        return None
    relative = posixpath.relpath(managed_path, source)
    destination = normalize_path(bind_destination)
    return destination if relative == '.' else posixpath.join(destination, relative)


def binds_of(document, managed_paths):
    """(managed path, mount dict, path in the container) for each bind of a managed path or a parent of it."""
    found = []
    for mount in document.get('Mounts') or []:
        if mount.get('Type') != 'bind' or not mount.get('Source') or not mount.get('Destination'):
            continue
        for managed in managed_paths:
            inside = container_path(mount['Source'], mount['Destination'], managed)
            if inside is not None:
                found.append((managed, mount, inside))
    return found


def _within(root, path, mount_point):
    """The path inside a mount's file system that path (under mount_point) reaches."""
    relative = posixpath.relpath(path, mount_point)
    return normalize_path(root if relative == '.' else posixpath.join(root, relative))


def _identity(entry, path):
    """What a path reaches through a mount entry: (major:minor, path within the file system)."""
    return entry.major_minor, _within(entry.root, path, normalize_path(entry.mount_point))


def _describe(entry):
    return '%s %s (%s, mount id %s)' % (entry.fstype, entry.source, entry.major_minor, entry.mount_id)


class HostView(object):
    """The host's mount at a managed path, and the file system the path lies on without it."""

    def __init__(self, entries, path):
        self.path = path
        self.entry = find_mount(entries, path)
        self.mounted = self.entry is not None and normalize_path(self.entry.mount_point) == path
        parent = posixpath.dirname(path) if path != '/' else '/'
        # The directory that a missing mount leaves visible lives on the file system of its parent.
        self.underneath = find_mount(entries, parent) if self.mounted else self.entry

    def to_dict(self):
        return {
            'path': self.path,
            'mounted': self.mounted,
            'fstype': self.entry.fstype if self.mounted else None,
            'source': self.entry.source if self.mounted else None,
            'major_minor': self.entry.major_minor if self.mounted else None,
            'mount_id': self.entry.mount_id if self.mounted else None,
        }


def _bind_entry(entries, destination):
    """The container's mount for its bind destination (the topmost one at exactly that point)."""
    entry = find_mount(entries, destination)
    if entry is not None and normalize_path(entry.mount_point) == normalize_path(destination):
        return entry
    return None


def _still_running(pid, start_time):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except (OSError, IOError, IndexError):
        return False
    return start_time is None or fields[19] == start_time


def _start_time(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IOError, IndexError):
        return None


def classify(host, container_entries, inside, alive_state, alive_detail):
    """Classify one container's view of host.path, seen at inside in its mount table.

    Returns (view, detail, container mount entry or None).
    """
    entry = find_mount(container_entries, inside)
    if entry is None:
        return 'error', 'no mount in the container covers %s' % inside, None
    mounted_there = normalize_path(entry.mount_point) == inside
    if alive_state in ('dead', 'hung'):
        return 'dead', '%s answers %s (%s)' % (inside, alive_detail, 'hung' if alive_state == 'hung' else 'dead mount'), entry
    if alive_state == 'error':
        return 'error', '%s in the container: %s' % (inside, alive_detail), entry
    seen = _identity(entry, inside)
    if host.mounted and seen == _identity(host.entry, host.path):
        return 'live', 'sees the host mount %s' % _describe(host.entry), entry
    underneath = host.underneath is not None and seen == _identity(host.underneath, host.path)
    if not mounted_there or underneath:
        if host.mounted:
            return 'shadowed', ('sees the directory underneath %s, not the host mount %s: writes land on %s'
                                % (host.path, _describe(host.entry), _describe(entry))), entry
        return 'shadowed', ('sees the directory underneath %s; the host has no mount there either'
                            % host.path), entry
    if host.mounted:
        return 'stale', ('sees an older mount %s, not the host\'s current %s'
                         % (_describe(entry), _describe(host.entry))), entry
    return 'stale', ('sees a mount %s that the host no longer has at %s' % (_describe(entry), host.path)), entry


def receives_host_mounts(bind_entry, docker_propagation):
    """True when the bind passes later host mounts into the container (slave or shared).

    The container's mount table is the truth; Docker's recorded propagation is the fallback.
    """
    if bind_entry is not None:
        return bind_entry.master is not None or bind_entry.peer_group is not None
    return (docker_propagation or 'rprivate') in RECEIVING_PROPAGATION


def check_container(document, managed_paths, host_views, timeout):
    """One result per (managed path, bind) of a container: view, detail, propagation."""
    name = (document.get('Name') or '').lstrip('/') or document.get('Id', '')[:12]
    state = document.get('State') or {}
    pid = state.get('Pid') or 0
    results = []
    binds = binds_of(document, managed_paths)
    if not binds:
        return results
    start_time = _start_time(pid) if pid else None

    def row(managed, mount, inside, **fields):
        item = {
            'container': name,
            'id': document.get('Id'),
            'pid': pid,
            'labels': (document.get('Config') or {}).get('Labels') or {},
            'restart_policy': ((document.get('HostConfig') or {}).get('RestartPolicy') or {}).get('Name') or 'no',
            'path': managed,
            'bind_source': mount.get('Source'),
            'destination': mount.get('Destination'),
            'container_path': inside,
            'docker_propagation': mount.get('Propagation') or None,
            'host': host_views[managed].to_dict(),
        }
        item.update(fields)
        return item

    for managed, mount, inside in binds:
        if not state.get('Running') or not pid or start_time is None:
            results.append(row(managed, mount, inside, view='exited', receives_host_mounts=None, container_mount=None,
                               detail='the container is not running'))
            continue
        try:
            entries = read_mountinfo('/proc/%d/mountinfo' % pid)
        except (OSError, IOError) as exc:
            results.append(row(managed, mount, inside, view='exited', receives_host_mounts=None, container_mount=None,
                               detail='the container exited during the check (%s)' % exc))
            continue
        alive_state, alive_detail = check_alive('/proc/%d/root%s' % (pid, inside), timeout)
        # A lookup that failed because the process went away is an exit, not a broken view.
        if not _still_running(pid, start_time):
            results.append(row(managed, mount, inside, view='exited', receives_host_mounts=None, container_mount=None,
                               detail='the container exited during the check'))
            continue
        view, detail, entry = classify(host_views[managed], entries, inside, alive_state, alive_detail)
        bind_entry = _bind_entry(entries, mount.get('Destination'))
        receives = receives_host_mounts(bind_entry, mount.get('Propagation'))
        if not receives:
            detail += ('; bind %s:%s is %s and lacks rslave: will not see a remount'
                       % (mount.get('Source'), mount.get('Destination'),
                          mount.get('Propagation') or (bind_entry.propagation if bind_entry else 'private')))
        results.append(row(managed, mount, inside, view=view, detail=detail, receives_host_mounts=receives,
                           container_mount=({'mount_point': entry.mount_point, 'fstype': entry.fstype,
                                             'source': entry.source, 'major_minor': entry.major_minor,
                                             'mount_id': entry.mount_id, 'propagation': entry.propagation}
                                            if entry is not None else None)))
    return results


def check_containers(managed_paths, socket_path=DEFAULT_SOCKET, timeout=10.0, host_mountinfo='/proc/self/mountinfo',
                     names=None):
    """Check every running container that binds a managed path or a parent of it.

    Returns the list of results of check_container, containers in the order Docker lists them.
    """
    managed_paths = [normalize_path(path) for path in managed_paths]
    host_entries = read_mountinfo(host_mountinfo)
    host_views = dict((path, HostView(host_entries, path)) for path in managed_paths)
    api = DockerAPI(socket_path, timeout)
    results = []
    for summary in api.running_containers():
        container_names = [name.lstrip('/') for name in summary.get('Names') or []]
        if names and not set(names) & set(container_names):
            continue
        document = api.inspect(summary['Id'])
        if document is None:
            # Listed, then gone before inspect: the listing still names it and its binds.
            document = {'Id': summary['Id'], 'Name': (container_names or [''])[0], 'State': {'Running': False},
                        'Config': {'Labels': summary.get('Labels') or {}}, 'Mounts': summary.get('Mounts') or []}
        results.extend(check_container(document, managed_paths, host_views, timeout))
    return results
