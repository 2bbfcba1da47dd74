#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ecs_drain
short_description: Drain this ECS container instance of its tasks, or make it active again
version_added: "0.1.0"
description:
  - Learns the cluster and the container instance ARN of the host from the ECS agent's local introspection
    endpoint (O(introspection_url)), unless O(cluster) and O(container_instance) are given.
  - With O(state=drained), sets the container instance to C(DRAINING) through the ECS API
    (C(UpdateContainerInstancesState)) so that services move their tasks to other instances, then waits at
    most O(wait_timeout) seconds until no task runs on it any more.
  - With O(state=active), sets it to C(ACTIVE) again.
  - On a host where no ECS agent answers and O(cluster) is not given, does nothing and returns
    RV(ecs_instance=false), so the module can run on every Docker host.
  - Used by the M(mountkit.aws.docker_propagation) role before it restarts dockerd, which would stop every task.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  state:
    description:
      - V(drained) to set C(DRAINING) and wait for the tasks to leave, V(active) to set C(ACTIVE).
    type: str
    choices: [drained, active]
    required: true
  introspection_url:
    description:
      - URL of the ECS agent's introspection metadata, which names the cluster and the container instance ARN.
    type: str
    default: http://localhost:51678/v1/metadata
  introspection_timeout:
    description:
      - Seconds to wait for the introspection endpoint.
    type: float
    default: 5
  cluster:
    description:
      - Cluster name or ARN. Read from the introspection endpoint when not given.
    type: str
  container_instance:
    description:
      - Container instance ARN or id. Read from the introspection endpoint when not given.
      - Required when O(cluster) is given.
    type: str
  wait_timeout:
    description:
      - With O(state=drained), the most seconds to wait for the running and pending tasks to leave. V(0)
        does not wait.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two reads of the container instance while waiting.
    type: float
    default: 5
  fail_on_timeout:
    description:
      - Fail when tasks still run after O(wait_timeout). When false, RV(drained) tells.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The region defaults to the one in the container instance ARN.
  - In check mode the state is read and the change reported, but not made, and nothing is waited for.
  - Needs C(ecs:DescribeContainerInstances), C(ecs:UpdateContainerInstancesState) and C(ecs:ListTasks).
seealso:
  - name: Container instance draining
    description: How ECS moves service tasks off a draining container instance.
    link: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-draining.html
'''

EXAMPLES = r'''
- name: Drain this container instance before restarting dockerd
  mountkit.aws.ecs_drain:
    state: drained
    wait_timeout: 900
  register: drain

- name: Let ECS place tasks here again
  mountkit.aws.ecs_drain:
    state: active
  when: drain.ecs_instance
'''

RETURN = r'''
ecs_instance:
  description: Whether the host is an ECS container instance (the agent answered, or O(cluster) was given).
  returned: always
  type: bool
cluster:
  description: The cluster of the container instance.
  returned: when ecs_instance
  type: str
container_instance_arn:
  description: The container instance ARN.
  returned: when ecs_instance
  type: str
status_before:
  description: The container instance status before the change, for example V(ACTIVE).
  returned: when ecs_instance
  type: str
status:
  description: The container instance status afterwards (in check mode, the one it would have).
  returned: when ecs_instance
  type: str
drained:
  description: With O(state=drained), whether no task runs or is pending on the instance any more.
  returned: when ecs_instance and state is drained
  type: bool
running_tasks:
  description: ARNs of the tasks still on the instance at the end.
  returned: when ecs_instance
  type: list
  elements: str
'''

import json
import time

from ansible.module_utils.urls import open_url

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.mountkit.aws.plugins.module_utils.aws_preflight import aws_errors, describe_error

STATUS_FOR_STATE = {'drained': 'DRAINING', 'active': 'ACTIVE'}


def read_introspection(module):
    """(cluster, container instance ARN) from the agent, or None when nothing answers there."""
    url = module.params['introspection_url']
    try:
        response = open_url(url, timeout=module.params['introspection_timeout'], use_proxy=False)
        data = json.loads(response.read().decode('utf-8'))
    except ValueError as exc:
        module.fail_json(msg='The ECS agent at %s answered with something other than JSON: %s' % (url, exc))
    except Exception:  # pylint: disable=broad-except
        # Connection refused, timeout, HTTP error: no agent on this host.
        return None
    if not isinstance(data, dict) or not data.get('Cluster') or not data.get('ContainerInstanceArn'):
        module.fail_json(msg='The ECS agent at %s does not name its cluster and container instance yet: %s'
                             % (url, data))
    return data['Cluster'], data['ContainerInstanceArn']


def region_of(arn):
    parts = (arn or '').split(':')
    return parts[3] if len(parts) > 5 and parts[0] == 'arn' and parts[3] else None


class Drain(object):
    def __init__(self, module, client, cluster, instance):
        self.module = module
        self.client = client
        self.cluster = cluster
        self.instance = instance

    def call(self, what, method, **kwargs):
        try:
            return getattr(self.client, method)(**kwargs)
        except aws_errors() as exc:
            self.module.fail_json(msg='%s of container instance %s in cluster %s failed: %s'
                                      % (what, self.instance, self.cluster, describe_error(exc)))

    def describe(self):
        answer = self.call('DescribeContainerInstances', 'describe_container_instances',
                           cluster=self.cluster, containerInstances=[self.instance])
        instances = answer.get('containerInstances') or []
        if not instances:
            failures = answer.get('failures') or []
            self.module.fail_json(msg='Container instance %s not found in cluster %s: %s'
                                      % (self.instance, self.cluster, failures))
        return instances[0]

    def tasks(self):
        arns = []
        for desired in ('RUNNING', 'PENDING'):
            answer = self.call('ListTasks', 'list_tasks', cluster=self.cluster, containerInstance=self.instance,
                               desiredStatus=desired)
            arns.extend(answer.get('taskArns') or [])
        return sorted(set(arns))

    def set_status(self, status):
        answer = self.call('UpdateContainerInstancesState', 'update_container_instances_state',
                           cluster=self.cluster, containerInstances=[self.instance], status=status)
        if answer.get('failures'):
            self.module.fail_json(msg='Setting container instance %s in cluster %s to %s failed: %s'
                                      % (self.instance, self.cluster, status, answer['failures']))

    @staticmethod
    def busy(instance):
        return (instance.get('runningTasksCount') or 0) + (instance.get('pendingTasksCount') or 0)

    def wait_drained(self):
        """Poll until no task runs or is pending, at most wait_timeout seconds; True when drained."""
        deadline = time.time() + self.module.params['wait_timeout']
        while True:
            if self.busy(self.describe()) == 0 and not self.tasks():
                return True
            remaining = deadline - time.time()
            if remaining <= 0:
                return False
            time.sleep(min(self.module.params['poll_interval'], remaining))


def main():
    argument_spec = dict(
        state=dict(type='str', choices=['drained', 'active'], required=True),
        introspection_url=dict(type='str', default='http://localhost:51678/v1/metadata'),
        introspection_timeout=dict(type='float', default=5),
        cluster=dict(type='str'),
        container_instance=dict(type='str'),
        wait_timeout=dict(type='int', default=600),
        poll_interval=dict(type='float', default=5),
        fail_on_timeout=dict(type='bool', default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_by={'cluster': 'container_instance'})
    params = module.params
    if params['wait_timeout'] < 0:
        module.fail_json(msg='wait_timeout must be 0 or more seconds, got %s' % params['wait_timeout'])
    for name in ('poll_interval', 'introspection_timeout'):
        if not params[name] > 0:
            module.fail_json(msg='%s must be a positive number of seconds, got %s' % (name, params[name]))
    if not params['introspection_url'].startswith(('http://', 'https://')):
        module.fail_json(msg='introspection_url must be an http:// or https:// URL, got %r'
                             % params['introspection_url'])
    if params['container_instance'] and not params['cluster']:
        module.fail_json(msg='container_instance needs cluster')

    if params['cluster']:
        cluster, instance = params['cluster'], params['container_instance']
    else:
        found = read_introspection(module)
        if found is None:
            module.exit_json(changed=False, ecs_instance=False,
                             msg='No ECS agent answers at %s: not an ECS container instance' % params['introspection_url'])
        cluster, instance = found

    region = module.region or region_of(instance)
    client = module.client('ecs', **({'region': region} if region else {}))
    drain = Drain(module, client, cluster, instance)
    described = drain.describe()
    before = described.get('status')
    wanted = STATUS_FOR_STATE[params['state']]
    changed = before != wanted
    if changed and not module.check_mode:
        drain.set_status(wanted)
    result = dict(changed=changed, ecs_instance=True, cluster=cluster,
                  container_instance_arn=described.get('containerInstanceArn') or instance,
                  status_before=before, status=wanted)
    if params['state'] == 'drained':
        if module.check_mode:
            result['drained'] = drain.busy(described) == 0
        else:
            result['drained'] = drain.wait_drained()
        result['running_tasks'] = drain.tasks()
        if not result['drained'] and params['fail_on_timeout'] and not module.check_mode:
            module.fail_json(msg='%d tasks still run on container instance %s after %s seconds of draining: %s'
                                 % (len(result['running_tasks']), instance, params['wait_timeout'],
                                    ', '.join(result['running_tasks'])), **result)
    else:
        result['running_tasks'] = drain.tasks()
    module.exit_json(**result)


if __name__ == '__main__':
    main()
