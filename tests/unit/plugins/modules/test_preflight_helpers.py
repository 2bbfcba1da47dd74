# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the logic behind s3_preflight and efs_preflight (the modules themselves run in the integration
tests, against moto): security group rules, error kinds, argument checks, and importing without boto3."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from ansible_collections.mountkit.aws.plugins.module_utils import aws_preflight
from ansible_collections.mountkit.aws.plugins.modules import efs_preflight


def rule(protocol, low=None, high=None, groups=(), cidrs=(), cidrs6=(), prefix_lists=()):
    permission = {'IpProtocol': protocol, 'UserIdGroupPairs': [{'GroupId': g} for g in groups],
                  'IpRanges': [{'CidrIp': c} for c in cidrs], 'Ipv6Ranges': [{'CidrIpv6': c} for c in cidrs6],
                  'PrefixListIds': [{'PrefixListId': p} for p in prefix_lists]}
    if low is not None:
        permission.update(FromPort=low, ToPort=high)
    return permission


@pytest.mark.parametrize('permission, allowed, text', [
    (rule('-1'), True, 'all traffic'),
    (rule('tcp', 2049, 2049), True, 'tcp 2049'),
    (rule('6', 2049, 2049), True, 'tcp 2049'),
    (rule('tcp', 0, 65535), True, 'tcp all ports'),
    (rule('tcp', 1024, 4096), True, 'tcp 1024-4096'),
    (rule('tcp', 2000, 2048), False, 'tcp 2000-2048'),
    (rule('tcp', 2050, 2050), False, 'tcp 2050'),
    (rule('udp', 2049, 2049), False, 'udp 2049'),
    (rule('17', 0, 65535), False, 'udp all ports'),
    (rule('icmp', -1, -1), False, 'icmp all ports'),
])
def test_nfs_port_and_protocol(permission, allowed, text):
    assert efs_preflight.allows_nfs(permission) is allowed
    assert efs_preflight.describe_ports(permission) == text


@pytest.mark.parametrize('source, cidr, matches', [
    ('10.0.1.5/32', '10.0.0.0/16', True),
    ('10.0.1.0/24', '10.0.1.0/24', True),
    ('10.0.1.0/24', '10.0.1.0/25', False),  # only part of the host's network is allowed
    ('10.0.1.5/32', '0.0.0.0/0', True),
    ('10.0.1.5/32', '192.168.0.0/16', False),
    ('10.0.1.5/32', 'not-a-cidr', False),
])
def test_cidr_must_contain_the_source(source, cidr, matches):
    found = efs_preflight.matching_sources(rule('tcp', 2049, 2049, cidrs=[cidr]), set(), ipaddress.ip_network(source))
    assert found == ([cidr] if matches else [])


def test_ipv6_rules_only_match_ipv6_sources():
    permission = rule('tcp', 2049, 2049, cidrs6=['::/0'])
    assert efs_preflight.matching_sources(permission, set(), ipaddress.ip_network('10.0.1.5/32')) == []
    assert efs_preflight.matching_sources(permission, set(), ipaddress.ip_network('2001:db8::5/128')) == ['::/0']


def test_group_pairs_match_any_host_group():
    permission = rule('tcp', 2049, 2049, groups=['sg-11111111', 'sg-22222222'])
    assert efs_preflight.matching_sources(permission, {'sg-22222222', 'sg-33333333'}, None) == ['sg-22222222']
    assert efs_preflight.matching_sources(permission, {'sg-33333333'}, None) == []


def test_evaluate_rules_sorts_allowing_near_misses_and_prefix_lists():
    groups = [{'GroupId': 'sg-aaaaaaaa', 'IpPermissions': [
        rule('udp', 2049, 2049, groups=['sg-host0000']),
        rule('-1', groups=['sg-other000']),
        rule('tcp', 2049, 2049, prefix_lists=['pl-12345678']),
    ]}, {'GroupId': 'sg-bbbbbbbb', 'IpPermissions': [rule('tcp', 2049, 2049, cidrs=['10.0.0.0/16'])]}]
    allowing, near, prefix_lists = efs_preflight.evaluate_rules(
        groups, 'IpPermissions', {'sg-host0000'}, ipaddress.ip_network('10.0.1.5/32'))
    assert allowing == ['sg-bbbbbbbb tcp 2049 from 10.0.0.0/16']
    assert near == ['sg-aaaaaaaa udp 2049 from sg-host0000']
    assert prefix_lists == ['sg-aaaaaaaa tcp 2049 with prefix list pl-12345678']


def client_error(code, status=400):
    return ClientError({'Error': {'Code': code, 'Message': 'm'}, 'ResponseMetadata': {'HTTPStatusCode': status}},
                       'Operation')


@pytest.mark.parametrize('exc, kind', [
    (client_error('AccessDenied', 403), aws_preflight.DENIED),
    (client_error('403', 403), aws_preflight.DENIED),  # S3 HEAD answers have no body
    (client_error('UnauthorizedOperation', 403), aws_preflight.DENIED),
    (client_error('InvalidAccessKeyId', 403), aws_preflight.CREDENTIALS),
    (client_error('ExpiredToken', 400), aws_preflight.CREDENTIALS),
    (client_error('404', 404), aws_preflight.NOT_FOUND),
    (client_error('NoSuchBucket', 404), aws_preflight.NOT_FOUND),
    (client_error('FileSystemNotFound', 404), aws_preflight.NOT_FOUND),
    (client_error('InvalidGroup.NotFound'), aws_preflight.NOT_FOUND),
    (client_error('SlowDown', 503), aws_preflight.OTHER),
    (NoCredentialsError(), aws_preflight.CREDENTIALS),
    (EndpointConnectionError(endpoint_url='https://s3.example'), aws_preflight.UNREACHABLE),
])
def test_error_kind(exc, kind):
    assert aws_preflight.error_kind(exc) == kind


def test_describe_error_of_a_bare_head_status():
    assert aws_preflight.describe_error(ClientError({'Error': {'Code': '403'}}, 'HeadBucket')) == '403: Forbidden'


@pytest.mark.parametrize('region, partition', [
    ('us-east-1', 'aws'), ('cn-north-1', 'aws-cn'), ('us-gov-west-1', 'aws-us-gov'), (None, 'aws'),
])
def test_partition(region, partition):
    assert aws_preflight.partition(region) == partition


class FailJson(Exception):
    pass


class FakeModule(object):
    def __init__(self, **params):
        self.params = dict(file_system_id='fs-0123456789abcdef0', access_point_id=None, instance_id=None,
                           security_group_ids=None, mount_target_ip=None, source_cidr=None)
        self.params.update(params)

    def fail_json(self, msg, **kwargs):
        raise FailJson(msg)


@pytest.mark.parametrize('params, message', [
    (dict(file_system_id='fs-XYZ'), "file_system_id must be fs- followed by 8 to 40 lowercase hexadecimal digits "
                                    "(for example fs-0123456789abcdef0), got 'fs-XYZ'"),
    (dict(access_point_id='fs-01234567'), "access_point_id must be fsap- followed by"),
    (dict(security_group_ids=['sg-01234567', 'default']), "security_group_ids must be sg- followed by"),
    (dict(instance_id='i-nope'), "instance_id must be i- followed by"),
    (dict(mount_target_ip='10.0.1'), "mount_target_ip must be an IP address, got '10.0.1'"),
    (dict(source_cidr='10.0.1.0/33'), "source_cidr must be an address or a CIDR"),
])
def test_efs_arguments_are_validated(params, message):
    with pytest.raises(FailJson) as failure:
        efs_preflight.validate(FakeModule(**params))
    assert str(failure.value).startswith(message)


def test_valid_efs_arguments_pass():
    efs_preflight.validate(FakeModule(file_system_id='fs-12345678', access_point_id='fsap-0123456789abcdef0',
                                      instance_id='i-0123456789abcdef0', security_group_ids=['sg-0a1b2c3d'],
                                      mount_target_ip='10.0.1.25', source_cidr='10.0.1.5'))


def test_modules_import_without_boto3():
    # ansible-test's import test needs this, and a host without boto3 must get a clear failure, not a traceback.
    code = (
        "import sys\n"
        "sys.modules['boto3'] = sys.modules['botocore'] = None\n"
        "from ansible_collections.mountkit.aws.plugins.module_utils import aws_preflight\n"
        "from ansible_collections.mountkit.aws.plugins.modules import s3_preflight, efs_preflight\n"
        "assert aws_preflight.HAS_BOTO3 is False and 'boto3' in aws_preflight.BOTO3_IMP_ERR\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    subprocess.run([sys.executable, '-c', code], env=env, check=True)
