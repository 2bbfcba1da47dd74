"""mountkit.aws.efs_preflight through Ansible against moto: one healthy set-up, one test per problem.

moto runs in a thread of this process (ThreadedMotoServer), so the module reaches it over HTTP like a real
endpoint while the tests can still put resources into states the API cannot create (e.g. 'creating').
"""

import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

MODULE = "mountkit.aws.efs_preflight"
REGION = "us-east-1"


def ingress(ec2, group_id, protocol, from_port, to_port, source_group=None, cidr=None):
    permission = {"IpProtocol": protocol, "FromPort": from_port, "ToPort": to_port}
    if source_group:
        permission["UserIdGroupPairs"] = [{"GroupId": source_group}]
    if cidr:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])


@pytest.fixture(scope="module")
def world():
    """A VPC with subnets in us-east-1a/b, a host, and one file system per scenario, each with a mount target in
    us-east-1a behind its own security group."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = "http://%s:%d" % server.get_host_and_port()
    try:
        kwargs = dict(endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                      region_name=REGION)
        ec2, efs = boto3.client("ec2", **kwargs), boto3.client("efs", **kwargs)
        w = dict(endpoint=endpoint, ec2=ec2, efs=efs)

        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet_a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1b")

        def group(name):
            return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]

        w["host_sg"] = group("host")
        w["locked_sg"] = group("host-without-egress")
        ec2.revoke_security_group_egress(GroupId=w["locked_sg"], IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        # Any of moto's stock images; the filter keeps the answer (and the test) small.
        image = ec2.describe_images(Owners=["amazon"], Filters=[
            {"Name": "name", "Values": ["amzn2-ami-hvm-*-x86_64-gp2"]}])["Images"][0]["ImageId"]
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet_a["SubnetId"],
                                     SecurityGroupIds=[w["host_sg"]])["Instances"][0]
        w["instance"] = instance["InstanceId"]
        w["instance_ip"] = instance["PrivateIpAddress"]

        # scenario -> inbound rules of its mount target's security group
        scenarios = {
            "by_group": [("tcp", 2049, 2049, w["host_sg"], None), ("tcp", 2049, 2049, w["locked_sg"], None)],
            "by_cidr": [("tcp", 2049, 2049, None, "10.0.1.0/24")],
            "closed": [("tcp", 22, 22, w["host_sg"], None)],
            "near_miss": [("udp", 2049, 2049, w["host_sg"], None), ("tcp", 2000, 2048, w["host_sg"], None)],
            "creating": [("tcp", 2049, 2049, w["host_sg"], None)],
            "mt_creating": [("tcp", 2049, 2049, w["host_sg"], None)],
        }
        for name, rules in scenarios.items():
            sg = group("efs-" + name)
            for rule in rules:
                ingress(ec2, sg, *rule)
            fs = efs.create_file_system(CreationToken=name, Tags=[{"Key": "Name", "Value": name}])["FileSystemId"]
            mt = efs.create_mount_target(FileSystemId=fs, SubnetId=subnet_a["SubnetId"], SecurityGroups=[sg])
            w[name] = dict(fs=fs, sg=sg, mt=mt["MountTargetId"], mt_ip=mt["IpAddress"])
        w["ap"] = efs.create_access_point(FileSystemId=w["by_group"]["fs"])["AccessPointId"]
        w["ap_of_other_fs"] = efs.create_access_point(FileSystemId=w["by_cidr"]["fs"])["AccessPointId"]

        # States the API cannot produce, set in moto's in-process backend.
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.efs.models import efs_backends

        backend = efs_backends[DEFAULT_ACCOUNT_ID][REGION]
        backend.file_systems_by_id[w["creating"]["fs"]].life_cycle_state = "creating"
        backend.mount_targets_by_id[w["mt_creating"]["mt"]].life_cycle_state = "creating"
        yield w
    finally:
        # The backends live in this process: empty them so no other test sees these resources.
        urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", method="POST"), timeout=10).close()
        server.stop()


# scenario -> the module's arguments (besides the connection); all run at once in ``results``.
SCENARIOS = {
    "healthy": lambda w: dict(file_system_id=w["by_group"]["fs"], instance_id=w["instance"], access_point_id=w["ap"]),
    "fs_missing": lambda w: dict(file_system_id="fs-0123456789abcdef0", availability_zone="us-east-1a"),
    "fs_creating": lambda w: dict(file_system_id=w["creating"]["fs"], availability_zone="us-east-1a",
                                  security_group_ids=[w["host_sg"]]),
    "no_mt_in_zone": lambda w: dict(file_system_id=w["by_group"]["fs"], availability_zone="us-east-1b",
                                    security_group_ids=[w["host_sg"]]),
    "mt_creating": lambda w: dict(file_system_id=w["mt_creating"]["fs"], availability_zone="use1-az6",
                                  security_group_ids=[w["host_sg"]]),
    "sg_closed": lambda w: dict(file_system_id=w["closed"]["fs"], availability_zone="us-east-1a",
                                security_group_ids=[w["host_sg"]], source_cidr="10.0.1.5"),
    "sg_by_group": lambda w: dict(file_system_id=w["by_group"]["fs"], availability_zone="us-east-1a",
                                  security_group_ids=[w["host_sg"]]),
    "sg_by_cidr": lambda w: dict(file_system_id=w["by_cidr"]["fs"], availability_zone="us-east-1a",
                                 source_cidr="10.0.1.77/32"),
    "sg_near_miss": lambda w: dict(file_system_id=w["near_miss"]["fs"], availability_zone="us-east-1a",
                                   security_group_ids=[w["host_sg"]]),
    "no_egress": lambda w: dict(file_system_id=w["by_group"]["fs"], availability_zone="us-east-1a",
                                security_group_ids=[w["locked_sg"]]),
    "ap_missing": lambda w: dict(file_system_id=w["by_group"]["fs"], availability_zone="us-east-1a",
                                 security_group_ids=[w["host_sg"]], access_point_id="fsap-0123456789abcdef0"),
    "ap_other_fs": lambda w: dict(file_system_id=w["by_group"]["fs"], availability_zone="us-east-1a",
                                  security_group_ids=[w["host_sg"]], access_point_id=w["ap_of_other_fs"]),
    "bad_fs_id": lambda w: dict(file_system_id="fs-XYZ", availability_zone="us-east-1a"),
}


@pytest.fixture(scope="module")
def results(world, run_module):
    """Every scenario's result; they only read, so they run concurrently (Ansible's start-up dominates)."""
    connection = dict(endpoint_url=world["endpoint"], access_key="testing", secret_key="testing", region=REGION,
                      profile="")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = dict((name, pool.submit(run_module, MODULE, dict(connection, **make(world))))
                       for name, make in SCENARIOS.items())
        return dict((name, future.result()) for name, future in futures.items())


def statuses(result):
    return {name: check["status"] for name, check in result["checks"].items()}


def test_healthy_via_instance_lookup(results, world):
    result = results["healthy"]
    assert not result.get("failed"), result["msg"]
    assert result["problems"] == []
    assert statuses(result) == dict(instance="ok", file_system="ok", mount_target="ok", security_groups="ok",
                                    host_egress="ok", access_point="ok")
    assert result["host"]["availability_zone"] == "us-east-1a"
    assert result["host"]["security_group_ids"] == [world["host_sg"]]
    assert result["host"]["source_cidr"] == world["instance_ip"] + "/32"
    assert result["file_system"] == dict(id=world["by_group"]["fs"], state="available", name="by_group",
                                         availability_zone=None)
    assert result["mount_target"]["id"] == world["by_group"]["mt"]
    assert result["mount_target"]["security_groups"] == [world["by_group"]["sg"]]
    assert result["access_point"]["file_system_id"] == world["by_group"]["fs"]


def test_file_system_missing(results):
    result = results["fs_missing"]
    assert result["failed"]
    assert result["file_system"] is None
    assert statuses(result)["file_system"] == "failed"
    assert result["problems"] == [
        "File system fs-0123456789abcdef0 does not exist in us-east-1 (for these credentials' account): fix "
        "file_system_id or region; otherwise mount.efs fails with 'Failed to resolve "
        "\"fs-0123456789abcdef0.efs.us-east-1.amazonaws.com\"'"
    ]


def test_file_system_not_available(results, world):
    result = results["fs_creating"]
    assert result["failed"]
    assert result["file_system"]["state"] == "creating"
    assert statuses(result)["file_system"] == "failed"
    assert result["problems"] == [
        "File system %s is 'creating', not 'available': wait until it is available (or recreate it if it is in "
        "'error'); mounts fail until then" % world["creating"]["fs"]
    ]


def test_no_mount_target_in_the_hosts_zone(results, world):
    result = results["no_mt_in_zone"]
    assert result["failed"]
    assert result["mount_target"] is None
    assert statuses(result)["mount_target"] == "failed"
    assert result["problems"] == [
        "No mount target for %s in us-east-1b: create one in a subnet of that AZ (EFS console → Network); otherwise "
        "mounts fail with 'mount.nfs4: Connection reset by peer' or time out (mount targets exist at %s in "
        "us-east-1a; mounting across zones needs mounttargetip=)"
        % (world["by_group"]["fs"], world["by_group"]["mt_ip"])
    ]


def test_mount_target_not_available(results, world):
    scenario = world["mt_creating"]
    result = results["mt_creating"]  # the zone given by ID
    assert result["failed"]
    assert statuses(result)["mount_target"] == "failed"
    assert result["problems"] == [
        "Mount target %s of %s in us-east-1a is 'creating', not 'available': wait for it (or recreate it if it is "
        "in 'error'); mounts through it fail until then" % (scenario["mt"], scenario["fs"])
    ]


def test_security_group_without_2049(results, world):
    scenario = world["closed"]
    result = results["sg_closed"]
    assert result["failed"]
    assert statuses(result)["security_groups"] == "failed"
    assert result["problems"] == [
        "Security group %s of mount target %s does not allow TCP 2049 from %s or 10.0.1.5/32: add an inbound rule "
        "for TCP 2049 from %s to %s; otherwise mounts time out (through efs-utils: 'mount.nfs4: Connection reset "
        "by peer') (found only: %s tcp 22 from %s; NFS needs TCP 2049)"
        % (scenario["sg"], scenario["mt"], world["host_sg"], world["host_sg"], scenario["sg"], scenario["sg"],
           world["host_sg"])
    ]


def test_security_group_allows_2049_from_the_hosts_group(results, world):
    result = results["sg_by_group"]
    assert not result.get("failed"), result["msg"]
    assert statuses(result)["security_groups"] == "ok"
    assert "%s tcp 2049 from %s" % (world["by_group"]["sg"], world["host_sg"]) in \
        result["checks"]["security_groups"]["detail"]


def test_security_group_allows_2049_from_the_hosts_cidr(results):
    result = results["sg_by_cidr"]
    assert not result.get("failed"), result["msg"]
    assert statuses(result)["security_groups"] == "ok"
    assert statuses(result)["host_egress"] == "skipped"  # the host's groups are unknown
    assert "tcp 2049 from 10.0.1.0/24" in result["checks"]["security_groups"]["detail"]


def test_wrong_protocol_and_port_range_do_not_count(results, world):
    scenario = world["near_miss"]
    result = results["sg_near_miss"]
    assert result["failed"]
    assert statuses(result)["security_groups"] == "failed"
    assert len(result["problems"]) == 1
    assert result["problems"][0].endswith(
        "(found only: %s udp 2049 from %s; %s tcp 2000-2048 from %s; NFS needs TCP 2049)"
        % (scenario["sg"], world["host_sg"], scenario["sg"], world["host_sg"]))


def test_host_group_without_outbound_2049(results, world):
    scenario = world["by_group"]
    result = results["no_egress"]
    assert result["failed"]
    assert statuses(result)["security_groups"] == "ok"
    assert statuses(result)["host_egress"] == "failed"
    assert result["problems"] == [
        "Security group %s of the host does not allow outbound TCP 2049 to mount target %s (%s) or its security "
        "groups %s: add an outbound rule for TCP 2049 to %s; otherwise mounts time out"
        % (world["locked_sg"], scenario["mt"], scenario["mt_ip"], scenario["sg"], scenario["sg"])
    ]


def test_access_point_missing(results, world):
    result = results["ap_missing"]
    assert result["failed"]
    assert result["access_point"] is None
    assert statuses(result)["access_point"] == "failed"
    assert result["problems"] == [
        "Access point fsap-0123456789abcdef0 does not exist in us-east-1: fix access_point_id (the accesspoint= "
        "mount option) or create the access point on %s; mounts through it fail" % world["by_group"]["fs"]
    ]


def test_access_point_of_another_file_system(results, world):
    fs, other = world["by_group"]["fs"], world["by_cidr"]["fs"]
    result = results["ap_other_fs"]
    assert result["failed"]
    assert statuses(result)["access_point"] == "failed"
    assert result["problems"] == [
        "Access point %s belongs to %s, not to %s: use an access point of %s (or mount %s); the mount is refused"
        % (world["ap_of_other_fs"], other, fs, fs, other)
    ]


def test_bad_file_system_id_is_an_argument_error(results):
    result = results["bad_fs_id"]
    assert result["failed"]
    assert result["msg"] == ("file_system_id must be fs- followed by 8 to 40 lowercase hexadecimal digits "
                             "(for example fs-0123456789abcdef0), got 'fs-XYZ'")
    assert "checks" not in result
