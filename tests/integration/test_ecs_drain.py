# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecs_drain against moto's ECS on 127.0.0.1 and an ECS agent introspection endpoint served by the test."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import threading
import time
import uuid

try:
    from http.server import BaseHTTPRequestHandler, HTTPServer
except ImportError:  # pragma: no cover
    from BaseHTTPServer import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest

from s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server, free_port

MODULE = 'mountkit.aws.ecs_drain'

pytestmark = pytest.mark.integration


class Introspection(object):
    """Serves GET /v1/metadata on 127.0.0.1 like the ECS agent; body is what the test sets."""

    def __init__(self, body):
        self.body = body
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                payload = owner.body if isinstance(owner.body, bytes) else json.dumps(owner.body).encode()
                self.send_response(200 if self.path == '/v1/metadata' else 404)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d/v1/metadata' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Cluster(object):
    def __init__(self, server):
        self.server = server
        kwargs = dict(endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                      aws_secret_access_key=SECRET_KEY)
        self.ecs = boto3.client('ecs', **kwargs)
        ec2 = boto3.client('ec2', **kwargs)
        self.name = 'mountkit-drain-%s' % uuid.uuid4().hex[:8]
        self.ecs.create_cluster(clusterName=self.name)
        instance = ec2.run_instances(ImageId='ami-12345678', MinCount=1, MaxCount=1)['Instances'][0]
        document = json.dumps({'instanceId': instance['InstanceId'], 'region': REGION})
        self.arn = self.ecs.register_container_instance(
            cluster=self.name, instanceIdentityDocument=document)['containerInstance']['containerInstanceArn']
        self.ecs.register_task_definition(family='task', containerDefinitions=[
            {'name': 'app', 'image': 'app', 'memory': 64}])

    def start_task(self):
        return self.ecs.start_task(cluster=self.name, taskDefinition='task',
                                   containerInstances=[self.arn])['tasks'][0]['taskArn']

    def stop_task(self, arn):
        self.ecs.stop_task(cluster=self.name, task=arn)

    @property
    def status(self):
        return self.ecs.describe_container_instances(
            cluster=self.name, containerInstances=[self.arn])['containerInstances'][0]['status']


@pytest.fixture(scope='module')
def ecs_server(tmp_path_factory):
    """One moto server for the module; each test gets a cluster of its own."""
    server = S3Server(str(tmp_path_factory.mktemp('ecs-moto'))).start()
    yield server
    server.stop()


@pytest.fixture
def cluster(ecs_server):
    return Cluster(ecs_server)


@pytest.fixture
def agent(cluster):
    endpoint = Introspection({'Cluster': cluster.name, 'ContainerInstanceArn': cluster.arn,
                              'Version': 'Amazon ECS Agent - v1.89.0'}).start()
    yield endpoint
    endpoint.stop()


def drain_args(server, agent_url, **extra):
    args = dict(introspection_url=agent_url, endpoint_url=server.endpoint, access_key=ACCESS_KEY,
                secret_key=SECRET_KEY, poll_interval=0.2)
    args.update(extra)
    return args


def test_a_host_without_an_ecs_agent_is_left_alone(run_module, ecs_server):
    url = 'http://127.0.0.1:%d/v1/metadata' % free_port()
    result = run_module(MODULE, drain_args(ecs_server, url, state='drained'))
    assert not result.get('failed') and not result['changed'], result
    assert result['ecs_instance'] is False and url in result['msg']


def test_drain_then_activate_from_the_introspection_endpoint(run_module, ecs_server, cluster, agent):
    checked = run_module(MODULE, drain_args(ecs_server, agent.url, state='drained'), check=True)
    assert checked['changed'] and checked['status'] == 'DRAINING' and checked['status_before'] == 'ACTIVE', checked
    assert cluster.status == 'ACTIVE'

    result = run_module(MODULE, drain_args(ecs_server, agent.url, state='drained'))
    assert not result.get('failed'), result
    assert result['changed'] and result['drained'] and result['running_tasks'] == []
    assert result['cluster'] == cluster.name and result['container_instance_arn'] == cluster.arn
    assert cluster.status == 'DRAINING'
    again = run_module(MODULE, drain_args(ecs_server, agent.url, state='drained'))
    assert not again['changed'] and again['drained'], again

    result = run_module(MODULE, drain_args(ecs_server, agent.url, state='active'))
    assert result['changed'] and result['status_before'] == 'DRAINING', result
    assert cluster.status == 'ACTIVE'
    assert not run_module(MODULE, drain_args(ecs_server, agent.url, state='active'))['changed']


def test_drain_waits_for_the_tasks_to_leave(run_module, ecs_server, cluster, agent):
    task = cluster.start_task()

    def stop_when_draining():
        # The scheduler's part: once the instance drains, its task is stopped (elsewhere it would be replaced).
        for _attempt in range(600):
            if cluster.status == 'DRAINING':
                cluster.stop_task(task)
                return
            time.sleep(0.1)
    scheduler = threading.Thread(target=stop_when_draining, daemon=True)
    scheduler.start()
    result = run_module(MODULE, drain_args(ecs_server, agent.url, state='drained', wait_timeout=120))
    scheduler.join(5)
    assert not result.get('failed'), result
    assert result['drained'] and result['running_tasks'] == [], result


def test_drain_gives_up_after_the_wait_and_names_the_tasks(run_module, ecs_server, cluster, agent):
    task = cluster.start_task()
    result = run_module(MODULE, drain_args(ecs_server, agent.url, state='drained', wait_timeout=1))
    assert result.get('failed') and task in result['msg'] and 'after 1 seconds' in result['msg'], result
    assert result['running_tasks'] == [task]
    relaxed = run_module(MODULE, drain_args(ecs_server, agent.url, state='drained', wait_timeout=0,
                                            fail_on_timeout=False))
    assert not relaxed.get('failed') and relaxed['drained'] is False and not relaxed['changed'], relaxed


def test_explicit_cluster_and_instance_need_no_agent(run_module, ecs_server, cluster):
    url = 'http://127.0.0.1:%d/v1/metadata' % free_port()
    result = run_module(MODULE, drain_args(ecs_server, url, state='drained', cluster=cluster.name,
                                           container_instance=cluster.arn))
    assert not result.get('failed') and result['changed'] and cluster.status == 'DRAINING', result


def test_an_agent_that_does_not_know_its_instance_fails_clearly(run_module, ecs_server):
    endpoint = Introspection({'Cluster': 'mountkit-drain', 'Version': 'Amazon ECS Agent - v1.89.0'}).start()
    try:
        result = run_module(MODULE, drain_args(ecs_server, endpoint.url, state='drained'))
    finally:
        endpoint.stop()
    assert result.get('failed') and 'does not name its cluster and container instance' in result['msg'], result


@pytest.mark.parametrize('args, named', [
    (dict(wait_timeout=-1), 'wait_timeout'),
    (dict(introspection_url='ftp://127.0.0.1/v1/metadata'), 'introspection_url'),
    (dict(container_instance='arn:aws:ecs:us-east-1:123456789012:container-instance/x/y'), 'container_instance'),
])
def test_bad_input_names_the_option(run_module, ecs_server, args, named):
    full = drain_args(ecs_server, 'http://127.0.0.1:%d/v1/metadata' % free_port(), state='drained')
    full.update(args)
    result = run_module(MODULE, full)
    assert result.get('failed') and named in result['msg'], result
