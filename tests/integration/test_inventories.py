# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped inventories, read by ansible-inventory as a user's run reads them.

inventories/example gives the groups and variables the README documents; inventories/aws_ec2.yml, run
against moto's EC2 on 127.0.0.1 (the plugin's endpoint_url through AWS_URL), groups tagged instances and gives
hosts reached through Systems Manager their instance id as ansible_host.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess

import pytest

from project_env import ansible_env  # tests/conftest.py puts tools/testbed on the path
from s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY_BIN = os.path.join(ROOT, '.venv', 'bin', 'ansible-inventory')
ROLE_GROUPS = ('docker_hosts', 's3fs_hosts', 'efs_hosts', 'mountpoint_s3_hosts')

pytestmark = pytest.mark.integration


def inventory_list(*sources, **env):
    """ansible-inventory --list of the sources (paths from the project's root), as one inventory."""
    argv = [INVENTORY_BIN, '--list']
    for source in sources:
        argv += ['-i', os.path.join(ROOT, source)]
    proc = subprocess.run(argv, capture_output=True, text=True, env=ansible_env(**env), cwd=ROOT, timeout=120,
                          check=False)
    assert proc.returncode == 0, 'ansible-inventory %s failed:\n%s' % (' '.join(argv[1:]), proc.stderr)
    # A source the plugin could not parse is only a warning; it must not pass as an empty inventory.
    assert 'Unable to parse' not in proc.stderr and 'Failed to parse' not in proc.stderr, proc.stderr
    return plain(json.loads(proc.stdout))


def plain(value):
    """The JSON without ansible-inventory's wrapping of values from plugins ({"__ansible_unsafe": value})."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def group_hosts(inventory, group):
    """Every host of group, through its children too."""
    found = set(inventory.get(group, {}).get('hosts', []))
    for child in inventory.get(group, {}).get('children', []):
        found |= group_hosts(inventory, child)
    return found


# --- the static example -------------------------------------------------------------------------------------------
def test_example_inventory_groups_and_variables():
    inventory = inventory_list('inventories/example')
    hostvars = inventory['_meta']['hostvars']
    assert set(hostvars) == {'ecs-node-a', 'ecs-node-b', 'batch-1'}
    assert group_hosts(inventory, 'ecs_cluster') == {'ecs-node-a', 'ecs-node-b'}
    assert group_hosts(inventory, 'ec2_hosts') == {'batch-1'}
    # A host gets a role by being in its group (site.yml's plays).
    for group in ('docker_hosts', 's3fs_hosts', 'efs_hosts'):
        assert group_hosts(inventory, group) == {'ecs-node-a', 'ecs-node-b'}, group
    assert group_hosts(inventory, 'mountpoint_s3_hosts') == {'batch-1'}

    for name, host in hostvars.items():
        assert host['ansible_user'] == 'ec2-user', name
        assert host['mountkit_preflight'] is True, name
        # Credentials come from the instance profile: no key anywhere in the inventory.
        assert 'aws_secret_access_key' not in json.dumps(host), name
    for name in ('ecs-node-a', 'ecs-node-b'):
        host = hostvars[name]
        assert host['docker_propagation_shared_paths'] == ['/srv/shared']
        # Every shared mount sits under the propagated parent, so tasks see it.
        for mount in host['s3fs_mounts'] + host['efs_mounts']:
            assert mount['path'].startswith('/srv/shared/'), mount
        assert all('aws_access_key_id' not in mount for mount in host['s3fs_mounts'])
        assert 'mountpoint_s3_mounts' not in host
    assert hostvars['ecs-node-a']['mountkit_availability_zone'] == 'us-east-1a'
    batch = hostvars['batch-1']
    assert [mount['path'] for mount in batch['mountpoint_s3_mounts']] == ['/mnt/datasets', '/mnt/output']
    assert 's3fs_mounts' not in batch and 'efs_mounts' not in batch


# --- the aws_ec2 plugin against moto's EC2 ---------------------------------------------------------------------------
@pytest.fixture(scope='module')
def ec2_server(tmp_path_factory):
    """One moto server for the module: its EC2 holds the instances."""
    server = S3Server(str(tmp_path_factory.mktemp('ec2server'))).start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def ec2_instances(ec2_server):
    """Instances in moto's EC2: (name -> instance description), including ones the inventory must leave out."""
    import boto3

    ec2 = boto3.client('ec2', endpoint_url=ec2_server.endpoint, region_name=REGION,
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    image = ec2.describe_images()['Images'][0]['ImageId']
    wanted = {
        'web-1': ([('mountkit', 's3fs,docker')], 'us-east-1a'),
        'batch-1': ([('mountkit', 'mountpoint_s3')], 'us-east-1b'),
        'ecs-1': ([('mountkit', 's3fs, efs ,docker'), ('mountkit-connection', 'ssm')], 'us-east-1a'),
        'untagged-1': ([], 'us-east-1a'),
        'stopped-1': ([('mountkit', 's3fs')], 'us-east-1a'),
    }
    instances = {}
    for name, (tags, zone) in wanted.items():
        tag_list = [{'Key': 'Name', 'Value': name}] + [{'Key': key, 'Value': value} for key, value in tags]
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType='t3.micro',
                                     Placement={'AvailabilityZone': zone},
                                     TagSpecifications=[{'ResourceType': 'instance', 'Tags': tag_list}])['Instances'][0]
        instances[name] = instance
    ec2.stop_instances(InstanceIds=[instances['stopped-1']['InstanceId']])
    return instances


def test_aws_ec2_inventory_groups_tagged_instances(ec2_server, ec2_instances):
    inventory = inventory_list('inventories/aws_ec2.yml', AWS_URL=ec2_server.endpoint, AWS_ACCESS_KEY_ID=ACCESS_KEY,
                               AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION=REGION)
    hostvars = inventory['_meta']['hostvars']
    # Running instances with a mountkit tag only, named by their Name tag.
    assert set(hostvars) == {'web-1', 'batch-1', 'ecs-1'}
    assert group_hosts(inventory, 's3fs_hosts') == {'web-1', 'ecs-1'}
    assert group_hosts(inventory, 'docker_hosts') == {'web-1', 'ecs-1'}
    assert group_hosts(inventory, 'efs_hosts') == {'ecs-1'}
    assert group_hosts(inventory, 'mountpoint_s3_hosts') == {'batch-1'}
    assert group_hosts(inventory, 'az_us_east_1a') == {'web-1', 'ecs-1'}
    assert group_hosts(inventory, 'az_us_east_1b') == {'batch-1'}

    # Systems Manager hosts: the instance id is the address aws_ssm connects to.
    assert group_hosts(inventory, 'ssm_hosts') == {'ecs-1'}
    ecs = hostvars['ecs-1']
    assert ecs['ansible_connection'] == 'amazon.aws.aws_ssm'
    assert ecs['ansible_host'] == ec2_instances['ecs-1']['InstanceId']
    for name in ('web-1', 'batch-1'):
        assert hostvars[name]['ansible_connection'] == 'ssh'
        assert hostvars[name]['ansible_host'] == ec2_instances[name]['PrivateIpAddress']
    for name, host in hostvars.items():
        assert host['mountkit_availability_zone'] == ec2_instances[name]['Placement']['AvailabilityZone']
        assert host['mountkit_security_group_ids'] == [
            group['GroupId'] for group in ec2_instances[name]['SecurityGroups']]


def test_aws_ec2_inventory_with_the_example_group_vars(ec2_server, ec2_instances):
    """The README's combination: the dynamic inventory for hosts, the example's group_vars for settings."""
    inventory = inventory_list('inventories/aws_ec2.yml', 'inventories/example', AWS_URL=ec2_server.endpoint,
                               AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION=REGION)
    hostvars = inventory['_meta']['hostvars']
    # The example's static hosts come along; web-1 is only in the dynamic one and gets the example's all.yml.
    assert {'web-1', 'ecs-1', 'ecs-node-a', 'batch-1'} <= set(hostvars)
    web = hostvars['web-1']
    assert web['ansible_user'] == 'ec2-user' and web['mountkit_preflight'] is True
    assert web['ansible_host'] == ec2_instances['web-1']['PrivateIpAddress']
    assert group_hosts(inventory, 's3fs_hosts') >= {'web-1', 'ecs-1', 'ecs-node-a', 'ecs-node-b'}
