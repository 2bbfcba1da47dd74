#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: container_views
short_description: Tell whether running Docker containers see the host's live mounts
version_added: "0.1.0"
description:
  - For every running Docker container that binds one of O(paths) or a parent of it, compares the
    container's view of the path with the host's, and tells whether the bind passes later host mounts
    into the container.
  - The container's mount table is read from the host (C(/proc/<pid>/mountinfo) of its init process)
    and the path is looked up inside the container's mount namespace through C(/proc/<pid>/root), in a
    child process that is given up on after O(timeout) seconds.
  - "Each view is one of: V(live) (the container reaches the host's current mount and it answers),
    V(dead) (C(ENOTCONN) or no answer within O(timeout)), V(shadowed) (no mount there: the container sees
    the directory underneath the mount point, and its writes land on the host's disk), V(stale) (an
    older mount than the host's current one, told apart by device number C(major:minor) and the path
    within the file system), V(exited) (the container stopped before or during the check) or V(error)."
  - A bind with Docker's default C(rprivate) propagation does not see mounts made on the host after the
    container started, so it cannot recover from a remount; RV(containers[].receives_host_mounts) is
    false for it. ECS task definitions get C(rslave) by appending it to C(containerPath), for example
    C(/data:rslave).
  - Talks to the Docker Engine API over its unix socket with the Python standard library; no Docker SDK
    is needed on the host. Reads only.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  paths:
    description:
      - Absolute paths of the managed mount points on the host.
    type: list
    elements: path
    required: true
  names:
    description:
      - Check only the containers with one of these names. All running containers when empty.
    type: list
    elements: str
    default: []
  docker_socket:
    description:
      - Path of the Docker daemon's unix socket.
    type: path
    default: /var/run/docker.sock
  timeout:
    description:
      - Seconds for each Docker API call and for the lookup of each path inside each container.
    type: float
    default: 10
  fail_on_problem:
    description:
      - Fail when any view is not V(live) (V(exited) excepted) or, with O(require_receiving), when a bind
        does not receive host mounts.
    type: bool
    default: false
  require_receiving:
    description:
      - Count a bind that does not receive host mounts (no C(rslave) or C(rshared)) as a problem.
    type: bool
    default: true
notes:
  - Supports check mode; it reads only, so the result is the same.
  - Needs root to read other processes' mount tables and roots.
  - A symbolic link inside the container on the way to the destination is resolved against the
    host's root, not the container's.
seealso:
  - module: mountkit.aws.mount_flags
'''

EXAMPLES = r'''
- name: Check the containers that bind the S3 mounts
  mountkit.aws.container_views:
    paths:
      - /srv/s3/logs
      - /srv/s3/data
  register: views

- name: Fail when a task container does not see the live mount
  mountkit.aws.container_views:
    paths: [/srv/s3/logs]
    names: [ecs-app-1-web-abcdef]
    fail_on_problem: true
'''

RETURN = r'''
containers:
  description: One item per container and managed path it binds (directly or through a parent).
  returned: always
  type: list
  elements: dict
  contains:
    container:
      description: Name of the container.
      type: str
    id:
      description: Id of the container.
      type: str
    path:
      description: The managed path on the host.
      type: str
    bind_source:
      description: Host directory of the bind.
      type: str
    destination:
      description: Where the bind appears in the container.
      type: str
    container_path:
      description: Where the managed path appears in the container.
      type: str
    view:
      description: V(live), V(dead), V(shadowed), V(stale), V(exited) or V(error).
      type: str
    receives_host_mounts:
      description: Whether the bind passes later host mounts into the container (slave or shared); null when exited.
      type: bool
    docker_propagation:
      description: The bind's propagation as Docker records it, for example V(rprivate) or V(rslave).
      type: str
    restart_policy:
      description: The container's restart policy name.
      type: str
    labels:
      description: The container's labels (ECS tasks carry C(com.amazonaws.ecs.*) labels).
      type: dict
    detail:
      description: What the container sees, in words.
      type: str
    host:
      description: The host's mount at the path (mounted, fstype, source, major_minor, mount_id).
      type: dict
    container_mount:
      description: The mount the container reaches at the path.
      type: dict
  sample:
    - container: web
      path: /srv/s3/logs
      destination: /data
      container_path: /data/logs
      view: shadowed
      receives_host_mounts: false
      detail: "sees the directory underneath /srv/s3/logs, not the host mount fuse.s3fs s3fs (0:61, mount id 812)"
problems:
  description: One sentence per container view that is not live, or bind that does not receive host mounts.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mountkit.aws.plugins.module_utils.container_views import DockerError, check_containers


def problems_of(results, require_receiving):
    problems = []
    for item in results:
        where = '%s:%s (%s)' % (item['container'], item['container_path'], item['path'])
        if item['view'] not in ('live', 'exited'):
            problems.append('%s is %s: %s' % (where, item['view'], item['detail']))
        elif require_receiving and item['receives_host_mounts'] is False:
            problems.append('%s: %s' % (where, item['detail']))
    return problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='path', required=True),
            names=dict(type='list', elements='str', default=[]),
            docker_socket=dict(type='path', default='/var/run/docker.sock'),
            timeout=dict(type='float', default=10),
            fail_on_problem=dict(type='bool', default=False),
            require_receiving=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    paths = module.params['paths']
    for index, path in enumerate(paths):
        if not path or not path.startswith('/'):
            module.fail_json(msg='paths[%d] must be an absolute path, got %r' % (index, path))
    if not module.params['timeout'] > 0:
        module.fail_json(msg='timeout must be a positive number of seconds, got %s' % module.params['timeout'])
    try:
        results = check_containers(paths, socket_path=module.params['docker_socket'],
                                   timeout=module.params['timeout'], names=module.params['names'])
    except DockerError as exc:
        module.fail_json(msg=str(exc), containers=[], problems=[])
    problems = problems_of(results, module.params['require_receiving'])
    if module.params['fail_on_problem'] and problems:
        module.fail_json(msg='; '.join(problems), containers=results, problems=problems)
    module.exit_json(changed=False, containers=results, problems=problems)


if __name__ == '__main__':
    main()
