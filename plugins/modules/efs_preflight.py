#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: efs_preflight
short_description: Check that an Amazon EFS file system can be mounted from a host
version_added: "0.1.0"
description:
  - Checks, before anything is mounted, the causes of failed EFS mounts that the EFS and EC2 APIs show.
  - The file system exists and is C(available).
  - An C(available) mount target is in the host's Availability Zone, or has the address given in
    O(mount_target_ip).
  - The mount target's security groups allow inbound TCP 2049 (NFS) from the host's security groups or address,
    and the host's security groups allow it outbound.
  - The access point exists, belongs to the file system and is C(available).
  - Every problem is returned as a sentence that says what to change. Fails when a problem is found, unless
    O(fail_on_problems=false).
author:
  - mountkit.aws maintainers (@mountkit)
options:
  file_system_id:
    description:
      - The ID of the file system, C(fs-) followed by 8 to 40 hexadecimal digits.
    type: str
    required: true
  availability_zone:
    description:
      - The Availability Zone of the host, by name (V(us-east-1b)) or ID (V(use1-az2)). The mount target in that
        zone is checked.
    type: str
  mount_target_ip:
    description:
      - The address of the mount target the host mounts through (the C(mounttargetip=) option of C(mount.efs)).
        The mount target with that address is checked, whatever its zone.
    type: str
  instance_id:
    description:
      - An EC2 instance to take the host's Availability Zone, security groups and private address from
        (DescribeInstances).
      - O(availability_zone), O(mount_target_ip), O(security_group_ids) and O(source_cidr) take precedence over
        what the instance says.
      - Without O(availability_zone), O(mount_target_ip) and O(instance_id) the zone is not checked, and the
        security groups of every mount target are.
    type: str
  security_group_ids:
    description:
      - The security groups of the host (of the instance, or of the task's network interface).
      - Inbound rules of the mount target's groups that name one of them let the host in; their outbound rules
        must let it out.
    type: list
    elements: str
  source_cidr:
    description:
      - The address or network the host reaches the mount target from, for example V(10.0.1.5) or V(10.0.1.0/24).
      - Inbound rules whose CIDR contains it let the host in.
    type: str
  access_point_id:
    description:
      - The access point the host mounts through (the C(accesspoint=) option of C(mount.efs)), C(fsap-) followed by
        8 to 40 hexadecimal digits.
    type: str
  fail_on_problems:
    description:
      - Fail the task when a problem is found. With V(false) the problems are only returned.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The checks only read, so check mode runs all of them.
  - Network ACLs, route tables, DNS resolution and the host's NFS client are not checked.
  - Rules that name a managed prefix list are reported but not evaluated.
  - The credentials need C(elasticfilesystem:DescribeFileSystems), C(elasticfilesystem:DescribeMountTargets),
    C(elasticfilesystem:DescribeMountTargetSecurityGroups), C(elasticfilesystem:DescribeAccessPoints),
    C(ec2:DescribeSecurityGroups) and, with O(instance_id), C(ec2:DescribeInstances).
seealso:
  - module: mountkit.aws.s3_preflight
  - name: Troubleshooting Amazon EFS mount issues
    description: The AWS guide to failed EFS mounts.
    link: https://docs.aws.amazon.com/efs/latest/ug/troubleshooting-efs-mounting.html
'''

EXAMPLES = r'''
- name: Check the file system from this instance's point of view
  mountkit.aws.efs_preflight:
    file_system_id: fs-0123456789abcdef0
    region: us-east-1
    instance_id: "{{ ansible_ec2_instance_id }}"
    access_point_id: fsap-0123456789abcdef0

- name: Check for a host known by zone and security group
  mountkit.aws.efs_preflight:
    file_system_id: fs-0123456789abcdef0
    region: us-east-1
    availability_zone: us-east-1b
    security_group_ids: [sg-0a1b2c3d4e5f60718]

- name: Check the mount target a host outside the VPC uses, by address
  mountkit.aws.efs_preflight:
    file_system_id: fs-0123456789abcdef0
    region: us-east-1
    mount_target_ip: 10.0.1.25
    source_cidr: 192.168.10.0/24
    fail_on_problems: false
  register: efs_preflight
'''

RETURN = r'''
file_system:
  description: The file system, or V(null) when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: The file system ID.
      type: str
    state:
      description: Its C(LifeCycleState).
      type: str
    name:
      description: Its C(Name) tag.
      type: str
    availability_zone:
      description: The zone of a One Zone file system, V(null) for a regional one.
      type: str
  sample: {"id": "fs-0123456789abcdef0", "state": "available", "name": "shared", "availability_zone": null}
mount_target:
  description: The mount target the host would use, or V(null) when there is none or the zone is unknown.
  returned: always
  type: dict
  contains:
    id:
      description: The mount target ID.
      type: str
    availability_zone:
      description: Its Availability Zone name.
      type: str
    availability_zone_id:
      description: Its Availability Zone ID.
      type: str
    ip_address:
      description: Its IPv4 address.
      type: str
    subnet_id:
      description: Its subnet.
      type: str
    vpc_id:
      description: Its VPC.
      type: str
    state:
      description: Its C(LifeCycleState).
      type: str
    security_groups:
      description: Its security groups, when they were read.
      type: list
      elements: str
  sample: {"id": "fsmt-0123456789abcdef0", "availability_zone": "us-east-1b", "availability_zone_id": "use1-az2",
           "ip_address": "10.0.2.17", "subnet_id": "subnet-0123456789abcdef0", "vpc_id": "vpc-0123456789abcdef0",
           "state": "available", "security_groups": ["sg-0123456789abcdef0"]}
mount_targets:
  description: All mount targets of the file system, in the same form as RV(mount_target).
  returned: always
  type: list
  elements: dict
host:
  description: What the checks took the host to be, from the options and O(instance_id).
  returned: always
  type: dict
  sample: {"availability_zone": "us-east-1b", "mount_target_ip": null, "security_group_ids": ["sg-0a1b2c3d4e5f60718"],
           "source_cidr": "10.0.2.40/32", "instance_id": "i-0123456789abcdef0", "subnet_id": "subnet-0123456789abcdef0",
           "vpc_id": "vpc-0123456789abcdef0"}
access_point:
  description: The access point, or V(null) when none was given or it does not exist.
  returned: always
  type: dict
  sample: {"id": "fsap-0123456789abcdef0", "file_system_id": "fs-0123456789abcdef0", "state": "available",
           "path": "/app"}
checks:
  description:
    - The outcome of each check, by name (V(instance), V(file_system), V(mount_target), V(security_groups),
      V(host_egress), V(access_point)).
    - V(status) is V(ok), V(failed), V(error) (the API call failed) or V(skipped); V(detail) says why.
  returned: always
  type: dict
  sample:
    file_system: {"status": "ok", "detail": "fs-0123456789abcdef0 is available"}
    security_groups: {"status": "failed", "detail": "no inbound rule allows TCP 2049 from sg-0a1b2c3d4e5f60718"}
problems:
  description: What stops the mount from working, each with what to do about it.
  returned: always
  type: list
  elements: str
  sample:
    - "No mount target for fs-0123456789abcdef0 in us-east-1b: create one in a subnet of that AZ (EFS console →
      Network); otherwise mounts fail with 'mount.nfs4: Connection reset by peer' or time out"
'''

import ipaddress
import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.mountkit.aws.plugins.module_utils.aws_preflight import (
    CREDENTIALS,
    DENIED,
    NOT_FOUND,
    UNREACHABLE,
    aws_errors,
    describe_error,
    error_kind,
    exit_with_result,
    preflight_client,
)

NFS_PORT = 2049
CHECK_NAMES = ('instance', 'file_system', 'mount_target', 'security_groups', 'host_egress', 'access_point')
IAM_PREFIX = {'efs': 'elasticfilesystem', 'ec2': 'ec2'}

# Resource IDs: a prefix and 8 to 40 hex digits (8 for old IDs, 17 today; the API allows up to 40).
ID_PATTERNS = {
    'file_system_id': ('fs', re.compile(r'^fs-[0-9a-f]{8,40}$')),
    'access_point_id': ('fsap', re.compile(r'^fsap-[0-9a-f]{8,40}$')),
    'instance_id': ('i', re.compile(r'^i-[0-9a-f]{8,40}$')),
    'security_group_ids': ('sg', re.compile(r'^sg-[0-9a-f]{8,40}$')),
}

PROTOCOL_NAMES = {'6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6'}


class Stop(Exception):
    """No further API call can tell anything (rejected credentials, unreachable endpoint)."""


# --- security group rules (pure functions) --------------------------------------------------------------------

def describe_ports(permission):
    """'tcp 2049', 'tcp 2000-2048', 'udp 2049' or 'all traffic' for one IpPermissions entry."""
    protocol = str(permission.get('IpProtocol', '')).lower()
    if protocol in ('-1', 'all'):
        return 'all traffic'
    protocol = PROTOCOL_NAMES.get(protocol, protocol)
    low, high = permission.get('FromPort'), permission.get('ToPort')
    if low is None or high is None or (low in (-1, 0) and high in (-1, 65535)):
        return '%s all ports' % protocol
    return '%s %s' % (protocol, low if low == high else '%s-%s' % (low, high))


def allows_nfs(permission):
    """Whether one IpPermissions entry covers TCP 2049."""
    protocol = str(permission.get('IpProtocol', '')).lower()
    if protocol in ('-1', 'all'):
        return True
    if protocol not in ('tcp', '6'):
        return False
    low, high = permission.get('FromPort'), permission.get('ToPort')
    if low is None or high is None or low == -1:
        return True
    return low <= NFS_PORT <= high


def parse_network(value):
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return None


def matching_sources(permission, group_ids, network):
    """The sources (group IDs, CIDRs) of a rule that cover one of ``group_ids`` or all of ``network``."""
    found = []
    for pair in permission.get('UserIdGroupPairs') or []:
        if pair.get('GroupId') in group_ids:
            found.append(pair['GroupId'])
    if network is not None:
        cidrs = [r.get('CidrIp') for r in permission.get('IpRanges') or []]
        cidrs += [r.get('CidrIpv6') for r in permission.get('Ipv6Ranges') or []]
        for cidr in cidrs:
            rule_network = parse_network(cidr) if cidr else None
            # The whole source must be inside the rule's range: a /24 host network needs more than a /25 rule.
            if rule_network is not None and rule_network.version == network.version \
                    and network.subnet_of(rule_network):
                found.append(cidr)
    return found


def evaluate_rules(groups, direction, group_ids, network):
    """Sort the rules of ``groups`` that concern the peer into allowing, near misses and prefix lists.

    ``direction`` is 'IpPermissions' (inbound) or 'IpPermissionsEgress' (outbound); the peer is any of
    ``group_ids`` or the ``network``.
    """
    allowing, near_misses, prefix_lists = [], [], []
    for group in groups:
        for permission in group.get(direction) or []:
            sources = matching_sources(permission, group_ids, network)
            what = describe_ports(permission)
            if sources:
                text = '%s %s %s %s' % (group['GroupId'], what, 'from' if direction == 'IpPermissions' else 'to',
                                        ', '.join(sources))
                (allowing if allows_nfs(permission) else near_misses).append(text)
            elif allows_nfs(permission) and permission.get('PrefixListIds'):
                prefix_lists.append('%s %s with prefix list %s' % (
                    group['GroupId'], what, ', '.join(p.get('PrefixListId', '?') for p in permission['PrefixListIds'])))
    return allowing, near_misses, prefix_lists


# --- the checks -------------------------------------------------------------------------------------------------

class EFSPreflight(object):

    def __init__(self, module):
        self.module = module
        params = module.params
        self.fs_id = params['file_system_id']
        self.clients = {}
        self.region = self.client('efs').meta.region_name
        self.problems = []
        self.checks = dict((name, dict(status='skipped', detail='not applicable')) for name in CHECK_NAMES)
        self.file_system = None
        self.mount_target = None
        self.mount_targets = []
        self.access_point = None
        source = parse_network(params['source_cidr']) if params['source_cidr'] else None
        self.host = dict(
            availability_zone=params['availability_zone'],
            mount_target_ip=params['mount_target_ip'],
            security_group_ids=list(params['security_group_ids'] or []),
            source_cidr=str(source) if source else None,
            instance_id=params['instance_id'],
            subnet_id=None,
            vpc_id=None,
        )

    def client(self, service):
        if service not in self.clients:
            self.clients[service] = preflight_client(self.module, service)
        return self.clients[service]

    def call(self, service, operation, **kwargs):
        """Run one API call; returns (response, None) or (None, exception)."""
        try:
            return getattr(self.client(service), operation)(**kwargs), None
        except aws_errors() as e:
            return None, e

    def set_check(self, name, status, detail):
        self.checks[name] = dict(status=status, detail=detail)

    def api_failure(self, check, service, operation, exc):
        """Record a failed API call as the check's error; rejected credentials and no endpoint stop everything."""
        api_name = self.client(service).meta.method_to_api_mapping.get(operation, operation)
        action = '%s:%s' % (IAM_PREFIX[service], api_name)
        kind = error_kind(exc)
        self.set_check(check, 'error', '%s answered %s' % (api_name, describe_error(exc)))
        if kind == CREDENTIALS:
            self.problems.append('The credentials were rejected (%s answered %s): fix access_key/secret_key/'
                                 'session_token, the profile or the instance role' % (api_name, describe_error(exc)))
            raise Stop('credentials rejected')
        if kind == UNREACHABLE:
            self.problems.append('The %s API is unreachable at %s (%s): check region, endpoint_url and the route '
                                 'to the API' % (service.upper(), self.client(service).meta.endpoint_url,
                                                 describe_error(exc)))
            raise Stop('API unreachable')
        if kind == DENIED:
            self.problems.append('These credentials may not call %s (%s), so %s could not be checked: allow it '
                                 'for the identity running the preflight'
                                 % (action, describe_error(exc), check.replace('_', ' ')))
        else:
            self.problems.append('%s failed (%s), so %s could not be checked'
                                 % (api_name, describe_error(exc), check.replace('_', ' ')))

    # The host ----------------------------------------------------------------------------------------------

    def check_instance(self):
        instance_id = self.host['instance_id']
        if not instance_id:
            self.set_check('instance', 'skipped', 'no instance_id given')
            return
        response, exc = self.call('ec2', 'describe_instances', InstanceIds=[instance_id])
        if exc is not None:
            if error_kind(exc) == NOT_FOUND:
                self.set_check('instance', 'failed', describe_error(exc))
                self.problems.append('Instance %s does not exist in %s: fix instance_id or region'
                                     % (instance_id, self.region))
                return
            return self.api_failure('instance', 'ec2', 'describe_instances', exc)
        instances = [i for r in response.get('Reservations', []) for i in r.get('Instances', [])]
        if not instances:
            self.set_check('instance', 'failed', 'DescribeInstances returned nothing')
            self.problems.append('Instance %s does not exist in %s: fix instance_id or region'
                                 % (instance_id, self.region))
            return
        instance = instances[0]
        zone = instance.get('Placement', {}).get('AvailabilityZone')
        groups = [g['GroupId'] for g in instance.get('SecurityGroups', []) if g.get('GroupId')]
        address = instance.get('PrivateIpAddress')
        if not self.host['availability_zone'] and not self.host['mount_target_ip']:
            self.host['availability_zone'] = zone
        if not self.host['security_group_ids']:
            self.host['security_group_ids'] = groups
        if not self.host['source_cidr'] and address:
            self.host['source_cidr'] = '%s/32' % address
        self.host['subnet_id'] = instance.get('SubnetId')
        self.host['vpc_id'] = instance.get('VpcId')
        self.set_check('instance', 'ok', '%s is in %s, subnet %s, with security groups %s and address %s'
                       % (instance_id, zone, instance.get('SubnetId'), ', '.join(groups) or 'none', address))

    # The file system -----------------------------------------------------------------------------------------

    def check_file_system(self):
        response, exc = self.call('efs', 'describe_file_systems', FileSystemId=self.fs_id)
        if exc is not None:
            if error_kind(exc) == NOT_FOUND:
                self.set_check('file_system', 'failed', describe_error(exc))
                self.problems.append(
                    "File system %s does not exist in %s (for these credentials' account): fix file_system_id or "
                    "region; otherwise mount.efs fails with 'Failed to resolve \"%s.efs.%s.amazonaws.com\"'"
                    % (self.fs_id, self.region, self.fs_id, self.region))
            else:
                self.api_failure('file_system', 'efs', 'describe_file_systems', exc)
            return False
        fs = response['FileSystems'][0]
        self.file_system = dict(id=fs['FileSystemId'], state=fs.get('LifeCycleState'), name=fs.get('Name'),
                                availability_zone=fs.get('AvailabilityZoneName'))
        if self.file_system['state'] != 'available':
            self.set_check('file_system', 'failed', '%s is %s' % (self.fs_id, self.file_system['state']))
            self.problems.append(
                "File system %s is '%s', not 'available': wait until it is available (or recreate it if it is in "
                "'error'); mounts fail until then" % (self.fs_id, self.file_system['state']))
        else:
            self.set_check('file_system', 'ok', '%s is available' % self.fs_id)
        return True

    # Mount targets ---------------------------------------------------------------------------------------------

    @staticmethod
    def _target(mt):
        return dict(id=mt['MountTargetId'], availability_zone=mt.get('AvailabilityZoneName'),
                    availability_zone_id=mt.get('AvailabilityZoneId'), ip_address=mt.get('IpAddress'),
                    subnet_id=mt.get('SubnetId'), vpc_id=mt.get('VpcId'), state=mt.get('LifeCycleState'),
                    security_groups=None)

    def _where(self):
        return ', '.join('%s in %s' % (t['ip_address'], t['availability_zone']) for t in self.mount_targets)

    def check_mount_target(self):
        """Find the mount target the host uses; returns the mount targets whose security groups to check."""
        response, exc = self.call('efs', 'describe_mount_targets', FileSystemId=self.fs_id)
        if exc is not None:
            self.api_failure('mount_target', 'efs', 'describe_mount_targets', exc)
            return []
        self.mount_targets = [self._target(mt) for mt in response.get('MountTargets', [])]
        zone, address = self.host['availability_zone'], self.host['mount_target_ip']
        if not self.mount_targets:
            self.set_check('mount_target', 'failed', '%s has no mount targets' % self.fs_id)
            self.problems.append(
                "File system %s has no mount targets: create one in a subnet of the host's AZ (EFS console → "
                "Network); otherwise mounts fail with 'mount.nfs4: Connection reset by peer' or time out" % self.fs_id)
            return []
        if address:
            found = [t for t in self.mount_targets if t['ip_address'] == address]
            if not found:
                self.set_check('mount_target', 'failed', 'no mount target has address %s' % address)
                self.problems.append(
                    'No mount target of %s has the address %s (its mount targets: %s): set mount_target_ip '
                    '(mounttargetip=) to one of them' % (self.fs_id, address, self._where()))
                return []
        elif zone:
            found = [t for t in self.mount_targets if zone in (t['availability_zone'], t['availability_zone_id'])]
            if not found:
                self.set_check('mount_target', 'failed', 'no mount target in %s' % zone)
                self.problems.append(
                    "No mount target for %s in %s: create one in a subnet of that AZ (EFS console → Network); "
                    "otherwise mounts fail with 'mount.nfs4: Connection reset by peer' or time out (mount targets "
                    "exist at %s; mounting across zones needs mounttargetip=)" % (self.fs_id, zone, self._where()))
                return []
        else:
            self.set_check('mount_target', 'skipped', "the host's zone is unknown (give availability_zone, "
                                                      "mount_target_ip or instance_id); every mount target is "
                                                      "checked for its security groups")
            return self.mount_targets
        self.mount_target = found[0]
        target = self.mount_target
        if target['state'] != 'available':
            self.set_check('mount_target', 'failed', '%s is %s' % (target['id'], target['state']))
            self.problems.append(
                "Mount target %s of %s in %s is '%s', not 'available': wait for it (or recreate it if it is in "
                "'error'); mounts through it fail until then"
                % (target['id'], self.fs_id, target['availability_zone'], target['state']))
        else:
            self.set_check('mount_target', 'ok', '%s in %s (%s) is available'
                           % (target['id'], target['availability_zone'], target['ip_address']))
        return [target]

    # Security groups -------------------------------------------------------------------------------------------

    def describe_groups(self, check, group_ids):
        response, exc = self.call('ec2', 'describe_security_groups', GroupIds=sorted(group_ids))
        if exc is None:
            return response.get('SecurityGroups', [])
        if error_kind(exc) == NOT_FOUND:
            self.set_check(check, 'failed', describe_error(exc))
            whose = 'of the host' if check == 'host_egress' else 'of the mount target'
            self.problems.append('A security group %s does not exist in %s (%s): fix security_group_ids'
                                 % (whose, self.region, describe_error(exc)))
        else:
            self.api_failure(check, 'ec2', 'describe_security_groups', exc)
        return None

    def check_security_groups(self, targets):
        host_groups = set(self.host['security_group_ids'])
        network = parse_network(self.host['source_cidr']) if self.host['source_cidr'] else None
        if not targets:
            self.set_check('security_groups', 'skipped', 'no mount target to check')
            self.set_check('host_egress', 'skipped', 'no mount target to check')
            return
        if not host_groups and network is None:
            detail = 'give security_group_ids, source_cidr or instance_id to check the security groups'
            self.set_check('security_groups', 'skipped', detail)
            self.set_check('host_egress', 'skipped', detail)
            return
        # The host's groups first: when one does not exist, no rule naming it can be judged.
        host_group_details = self.describe_groups('host_egress', host_groups) if host_groups else []
        if host_group_details is None:
            self.set_check('security_groups', 'skipped', "not checked: the host's security groups could not be read")
            return

        for target in targets:
            response, exc = self.call('efs', 'describe_mount_target_security_groups', MountTargetId=target['id'])
            if exc is not None:
                return self.api_failure('security_groups', 'efs', 'describe_mount_target_security_groups', exc)
            target['security_groups'] = response.get('SecurityGroups') or []
        target_group_ids = set(g for t in targets for g in t['security_groups'])
        groups = self.describe_groups('security_groups', target_group_ids) if target_group_ids else []
        if groups is None:
            return
        by_id = dict((g['GroupId'], g) for g in groups)
        peer = ' or '.join(sorted(host_groups) + ([str(network)] if network is not None else []))
        suggested = sorted(host_groups)[0] if host_groups else str(network)

        inbound_ok, details = True, []
        for target in targets:
            target_groups = [by_id[g] for g in target['security_groups'] if g in by_id]
            allowing, near_misses, prefix_lists = evaluate_rules(target_groups, 'IpPermissions', host_groups, network)
            names = ', '.join(target['security_groups']) or 'none'
            if allowing:
                details.append('%s: %s' % (target['id'], '; '.join(allowing)))
                continue
            if prefix_lists:
                self.module.warn('Mount target %s: %s are not evaluated; check them by hand'
                                 % (target['id'], '; '.join(prefix_lists)))
            inbound_ok = False
            details.append('%s: no inbound rule allows TCP %d from %s' % (target['id'], NFS_PORT, peer))
            if not target['security_groups']:
                self.problems.append('Mount target %s has no security groups, so nothing lets the host in: attach '
                                     'one that allows TCP %d from %s' % (target['id'], NFS_PORT, peer))
                continue
            problem = ('Security group%s %s of mount target %s %s not allow TCP %d from %s: add an inbound rule for '
                       'TCP %d from %s to %s; otherwise mounts time out (through efs-utils: '
                       "'mount.nfs4: Connection reset by peer')"
                       % ('s' if len(target['security_groups']) > 1 else '', names, target['id'],
                          'do' if len(target['security_groups']) > 1 else 'does', NFS_PORT, peer, NFS_PORT, suggested,
                          target['security_groups'][0]))
            if near_misses:
                problem += ' (found only: %s; NFS needs TCP %d)' % ('; '.join(near_misses), NFS_PORT)
            self.problems.append(problem)
        self.set_check('security_groups', 'ok' if inbound_ok else 'failed', ' | '.join(details))
        self.check_host_egress(targets, host_groups, host_group_details)

    def check_host_egress(self, targets, host_groups, groups):
        # Security groups are stateful: replies need no rule, but the host's own outbound rules must allow 2049.
        if not host_groups:
            self.set_check('host_egress', 'skipped', "the host's security groups are unknown")
            return
        egress_ok, details = True, []
        for target in targets:
            address = parse_network(target['ip_address']) if target['ip_address'] else None
            allowing, near_misses, dummy = evaluate_rules(groups, 'IpPermissionsEgress', set(target['security_groups']),
                                                          address)
            if allowing:
                details.append('%s: %s' % (target['id'], '; '.join(allowing)))
                continue
            egress_ok = False
            details.append('%s: no outbound rule allows TCP %d' % (target['id'], NFS_PORT))
            self.problems.append(
                'Security group%s %s of the host %s not allow outbound TCP %d to mount target %s (%s) or its security '
                'groups %s: add an outbound rule for TCP %d to %s; otherwise mounts time out'
                % ('s' if len(groups) > 1 else '', ', '.join(sorted(host_groups)), 'do' if len(groups) > 1 else 'does',
                   NFS_PORT, target['id'], target['ip_address'], ', '.join(target['security_groups']) or 'none',
                   NFS_PORT, target['security_groups'][0] if target['security_groups'] else target['ip_address']))
        self.set_check('host_egress', 'ok' if egress_ok else 'failed', ' | '.join(details))

    # Access point ----------------------------------------------------------------------------------------------

    def check_access_point(self):
        ap_id = self.module.params['access_point_id']
        if not ap_id:
            self.set_check('access_point', 'skipped', 'no access_point_id given')
            return
        response, exc = self.call('efs', 'describe_access_points', AccessPointId=ap_id)
        if exc is not None:
            if error_kind(exc) == NOT_FOUND:
                self.set_check('access_point', 'failed', describe_error(exc))
                self.problems.append(
                    'Access point %s does not exist in %s: fix access_point_id (the accesspoint= mount option) or '
                    'create the access point on %s; mounts through it fail' % (ap_id, self.region, self.fs_id))
            else:
                self.api_failure('access_point', 'efs', 'describe_access_points', exc)
            return
        ap = response['AccessPoints'][0]
        self.access_point = dict(id=ap['AccessPointId'], file_system_id=ap.get('FileSystemId'),
                                 state=ap.get('LifeCycleState'), path=(ap.get('RootDirectory') or {}).get('Path'))
        if self.access_point['file_system_id'] != self.fs_id:
            self.set_check('access_point', 'failed', '%s belongs to %s' % (ap_id, self.access_point['file_system_id']))
            self.problems.append(
                'Access point %s belongs to %s, not to %s: use an access point of %s (or mount %s); the mount is '
                'refused' % (ap_id, self.access_point['file_system_id'], self.fs_id, self.fs_id,
                             self.access_point['file_system_id']))
        elif self.access_point['state'] != 'available':
            self.set_check('access_point', 'failed', '%s is %s' % (ap_id, self.access_point['state']))
            self.problems.append("Access point %s is '%s', not 'available': wait for it (or recreate it if it is in "
                                 "'error'); mounts through it fail until then" % (ap_id, self.access_point['state']))
        else:
            self.set_check('access_point', 'ok', '%s of %s is available' % (ap_id, self.fs_id))

    # ------------------------------------------------------------------------------------------------------------

    def run(self):
        try:
            self.check_instance()
            if self.check_file_system():
                self.check_security_groups(self.check_mount_target())
            self.check_access_point()
        except Stop as e:
            for check in self.checks.values():
                if check['status'] == 'skipped' and check['detail'] == 'not applicable':
                    check['detail'] = 'not checked: %s' % e
        for check in self.checks.values():
            if check['status'] == 'skipped' and check['detail'] == 'not applicable':
                check['detail'] = 'not checked: an earlier check failed'
        if self.problems:
            msg = '%d problem(s) with %s: %s' % (len(self.problems), self.fs_id, ' | '.join(self.problems))
        else:
            msg = '%s can be mounted as far as the EFS and EC2 APIs show' % self.fs_id
            # instance and access_point are skipped when not asked for; the others only for lack of host details.
            skipped = [name for name in CHECK_NAMES if self.checks[name]['status'] == 'skipped'
                       and name not in ('instance', 'access_point')]
            if skipped:
                msg += ' (not checked: %s)' % ', '.join(skipped)
        return dict(changed=False, msg=msg, file_system=self.file_system, mount_target=self.mount_target,
                    mount_targets=self.mount_targets, host=self.host, access_point=self.access_point,
                    checks=self.checks, problems=self.problems)


def validate(module):
    params = module.params
    for name, (prefix, pattern) in ID_PATTERNS.items():
        values = params[name]
        for value in (values if isinstance(values, list) else [values]):
            if value is not None and not pattern.match(value):
                module.fail_json(msg='%s must be %s- followed by 8 to 40 lowercase hexadecimal digits (for example '
                                     '%s-0123456789abcdef0), got %r' % (name, prefix, prefix, value))
    if params['mount_target_ip'] is not None:
        try:
            ipaddress.ip_address(str(params['mount_target_ip']))
        except ValueError:
            module.fail_json(msg='mount_target_ip must be an IP address, got %r' % params['mount_target_ip'])
    if params['source_cidr'] is not None and parse_network(params['source_cidr']) is None:
        module.fail_json(msg='source_cidr must be an address or a CIDR such as 10.0.1.5 or 10.0.1.0/24, got %r'
                             % params['source_cidr'])


def main():
    argument_spec = dict(
        file_system_id=dict(type='str', required=True),
        availability_zone=dict(type='str'),
        mount_target_ip=dict(type='str'),
        instance_id=dict(type='str'),
        security_group_ids=dict(type='list', elements='str'),
        source_cidr=dict(type='str'),
        access_point_id=dict(type='str'),
        fail_on_problems=dict(type='bool', default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              mutually_exclusive=[('availability_zone', 'mount_target_ip')])
    validate(module)

    exit_with_result(module, EFSPreflight(module).run())


if __name__ == '__main__':
    main()
