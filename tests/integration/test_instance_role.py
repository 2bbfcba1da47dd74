# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both FUSE backends mount with instance-role credentials from an instance metadata service (IMDS).

Each test host is a systemd container with a network namespace of its own (``--network none``). Inside that
namespace, and nowhere else, the test runs the project's IMDS (tools/testbed/imds.py) on 169.254.169.254:80 and
a moto server on the namespace's 127.0.0.1. The IMDS hands out STS sessions of moto roles and moto checks IAM,
so the S3 server accepts exactly the credentials served, and credentials whose Expiration passed are refused.

s3fs mounts with ``iam_role=auto``, mount-s3 with its default credential chain; neither gets keys in its
environment or in files. Debian 12's s3fs 1.90 reads the role name without an IMDSv2 token (fixed in 1.91), so
it fails where IMDSv2 is required and works where IMDSv1 is allowed (with ``imdsv1only``); Debian 13's s3fs
1.95 works IMDSv2-only.

A host rebooted with no IMDS still boots: the fstab line or unit the roles write (rendered here by their planners
and template) fails with the tool's own error, and the mount comes up once the IMDS answers.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shlex
import signal
import subprocess
import time
import uuid

import pytest

import hostbed  # tests/integration/conftest.py puts this directory on the path
import jinja2
import yaml
from ansible_collections.mountkit.aws.plugins.module_utils import plan_mountpoint_s3
from ansible_collections.mountkit.aws.plugins.module_utils import plan_s3fs
from realparts import require_real

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = os.path.join(ROOT, '.venv', 'bin', 'python')
IMDS = os.path.join(ROOT, 'tools', 'testbed', 'imds.py')
IMDS_ADDRESS = '169.254.169.254'
S3_PORT = 9000
S3_ENDPOINT = 'http://127.0.0.1:%d' % S3_PORT
BUCKET = 'mountkit-role'
ROLE = 'mountkit-instance-role'
IMAGES = {'bookworm': 'mountkit/debian-systemd:bookworm', 'trixie': 'mountkit/debian-systemd:trixie'}
# Seconds each credential generation lives in the rotation tests: long enough for a mount and some I/O, short
# enough that the test outlives two generations quickly.
SHORT_LIFETIME = 12

pytestmark = pytest.mark.integration

# Run inside the test host (its python3-boto3), so the S3 server is reached from the host's own namespace.
S3_CLIENT_SCRIPT = r'''
import json, sys, boto3, botocore.exceptions
args = json.loads(sys.argv[1])
client = boto3.client("s3", endpoint_url=args["endpoint"], region_name="us-east-1",
                      aws_access_key_id=args["key"], aws_secret_access_key=args["secret"],
                      aws_session_token=args.get("token"))
try:
    if args["action"] == "create":
        client.create_bucket(Bucket=args["bucket"])
        print(json.dumps({"ok": True}))
    elif args["action"] == "get":
        body = client.get_object(Bucket=args["bucket"], Key=args["key_name"])["Body"].read()
        print(json.dumps({"ok": True, "body": body.decode()}))
    else:
        client.list_objects_v2(Bucket=args["bucket"])
        print(json.dumps({"ok": True}))
except botocore.exceptions.ClientError as error:
    print(json.dumps({"ok": False, "code": error.response["Error"]["Code"]}))
'''


def missing_part(image):
    """The real part these tests need that is not here, or None."""
    if os.geteuid() != 0:
        return 'root'
    for command in ('docker', 'nsenter'):
        if subprocess.call(['which', command], stdout=subprocess.DEVNULL) != 0:
            return 'the %s command' % command
    if subprocess.call(['docker', 'image', 'inspect', image], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL) != 0:
        return 'the image %s (make setup, or tools/testbed/build-image.sh %s)' % (image, image.split(':')[1])
    return None


def wait_for(predicate, timeout, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class NamespaceProcess(object):
    """A process of this machine's file system that runs in the test host's network namespace, in a process
    group of its own, so stop() ends it and all it started."""

    def __init__(self, netns, argv, log_path):
        self.log_path = log_path
        with open(log_path, 'ab') as log:
            self.proc = subprocess.Popen(['nsenter', '--net=' + netns, '--'] + list(argv), stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def running(self):
        return self.proc.poll() is None

    def log(self):
        with open(self.log_path, errors='replace') as handle:
            return handle.read()[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(10)
                    break
                except subprocess.TimeoutExpired:
                    continue


class InstanceHost(hostbed.HostBed):
    """A systemd container host in a network namespace of its own, with the IMDS and S3 server it uses."""

    def __init__(self, image, workdir):
        super(InstanceHost, self).__init__(workdir, name='mountkit-role-%s' % uuid.uuid4().hex[:8], image=image,
                                           network='none')
        self.netns = None
        self.s3 = None
        self.imds = None
        self.imds_state = None

    # --- the host --------------------------------------------------------------------------------------------
    def start(self, timeout=90):
        super(InstanceHost, self).start(timeout)
        pid = int(subprocess.check_output(['docker', 'inspect', '-f', '{{.State.Pid}}', self.name], text=True))
        self.netns = '/proc/%d/ns/net' % pid
        self.in_netns(['ip', 'link', 'set', 'lo', 'up'])
        self.in_netns(['ip', 'address', 'add', IMDS_ADDRESS + '/32', 'dev', 'lo'])
        return self

    def restart(self, timeout=90):
        """A reboot: the container gets a new network namespace, which has only the loopback address again. Its
        servers go (they ran in the old namespace); the IMDS address comes back, with nothing listening on it."""
        self.stop_servers()
        state = super(InstanceHost, self).restart(timeout)
        pid = int(subprocess.check_output(['docker', 'inspect', '-f', '{{.State.Pid}}', self.name], text=True))
        self.netns = '/proc/%d/ns/net' % pid
        self.in_netns(['ip', 'link', 'set', 'lo', 'up'])
        self.in_netns(['ip', 'address', 'add', IMDS_ADDRESS + '/32', 'dev', 'lo'])
        return state

    def in_netns(self, argv):
        return subprocess.run(['nsenter', '--net=' + self.netns, '--'] + list(argv), capture_output=True,
                              text=True, check=True, timeout=30)

    def stop(self):
        self.stop_servers()
        super(InstanceHost, self).stop()

    def sh(self, script, check=True, timeout=120):
        """The whole result, not only its output: the tests look at the exit code too."""
        return self.exec(['sh', '-c', script], check=check, timeout=timeout)

    def addresses(self):
        return self.in_netns(['ip', '-o', 'address', 'show']).stdout

    # --- its servers -----------------------------------------------------------------------------------------
    def start_servers(self, imdsv1=False, lifetime=21600, imds=True):
        """moto on the namespace's 127.0.0.1 with the test bucket, then (if imds) the IMDS with IAM checks on."""
        self.stop_servers()
        self.s3 = NamespaceProcess(self.netns, [PYTHON, '-m', 'moto.server', '-H', '127.0.0.1', '-p', str(S3_PORT)],
                                   os.path.join(self.workdir, 's3.log'))
        ready = wait_for(lambda: self.s3_call('list', key='testing', secret='testing', check=False) is not None
                         or not self.s3.running(), 30, interval=0.3)
        assert ready and self.s3.running(), 'moto did not start in %s: %s' % (self.name, self.s3.log())
        assert self.s3_call('create', key='testing', secret='testing')['ok']
        if imds:
            self.start_imds(imdsv1, lifetime)
        return self

    def start_imds(self, imdsv1=False, lifetime=21600):
        self.imds_state = os.path.join(self.workdir, 'imds-%s' % uuid.uuid4().hex[:6])
        argv = [PYTHON, IMDS, 'serve', '--state-dir', self.imds_state, '--role', ROLE, '--lifetime', str(lifetime),
                '--iam-endpoint', S3_ENDPOINT, '--enforce-iam']
        if imdsv1:
            argv.append('--imdsv1')
        os.makedirs(self.imds_state)
        self.imds = NamespaceProcess(self.netns, argv, os.path.join(self.imds_state, 'imds.log'))
        listening = wait_for(lambda: os.path.exists(os.path.join(self.imds_state, 'imds.json'))
                             or not self.imds.running(), 30)
        assert listening and self.imds.running(), 'the IMDS did not start: %s' % self.imds.log()

    def stop_servers(self):
        for server in (self.imds, self.s3):
            if server is not None:
                server.stop()
        self.imds = self.s3 = None

    def imds_record(self):
        with open(os.path.join(self.imds_state, 'imds.json')) as handle:
            return json.load(handle)

    def s3_call(self, action, key, secret, token=None, key_name=None, check=True):
        """An S3 request from inside the host with the given credentials; its JSON outcome."""
        args = {'action': action, 'endpoint': S3_ENDPOINT, 'bucket': BUCKET, 'key': key, 'secret': secret,
                'token': token, 'key_name': key_name}
        proc = self.exec(['python3', '-c', S3_CLIENT_SCRIPT, json.dumps(args)], check=False, timeout=60)
        try:
            return json.loads(proc.stdout)
        except ValueError:
            if check:
                raise AssertionError('S3 request from %s failed: %s%s' % (self.name, proc.stdout, proc.stderr))
            return None

    def metadata(self, path, token=None, method='GET', headers=()):
        """(HTTP status, body) of a metadata request made with curl inside the host."""
        argv = ['curl', '-s', '-m', '5', '-X', method, '-w', '\n%{http_code}']
        if token:
            argv += ['-H', 'X-aws-ec2-metadata-token: ' + token]
        for header in headers:
            argv += ['-H', header]
        proc = self.exec(argv + ['http://%s%s' % (IMDS_ADDRESS, path)], check=False)
        body, _sep, status = proc.stdout.rpartition('\n')
        return int(status or 0), body

    def token(self):
        status, body = self.metadata('/latest/api/token', method='PUT',
                                     headers=['X-aws-ec2-metadata-token-ttl-seconds: 300'])
        assert status == 200, 'token request answered %s' % status
        return body

    def role_credentials(self):
        status, body = self.metadata('/latest/meta-data/iam/security-credentials/' + ROLE, token=self.token())
        assert status == 200, body
        return json.loads(body)

    # --- mounts ----------------------------------------------------------------------------------------------
    def mount(self, backend, mount_point, options=(), timeout=30):
        """Start s3fs (iam_role=auto) or mount-s3 (default chain) in the foreground inside the host, with no
        keys; return (mounted, the tool's output)."""
        log = '/root/%s.log' % backend
        if backend == 's3fs':
            command = ['s3fs', BUCKET, mount_point, '-f', '-o', ','.join(
                ['iam_role=auto', 'url=' + S3_ENDPOINT, 'use_path_request_style', 'retries=2',
                 'connect_timeout=3', 'readwrite_timeout=10', 'dbglevel=info'] + list(options))]
        else:
            command = ['/usr/local/bin/mount-s3', BUCKET, mount_point, '--foreground', '--endpoint-url', S3_ENDPOINT,
                       '--force-path-style', '--region', 'us-east-1'] + list(options)
        script = 'mkdir -p %s && exec env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY %s >%s 2>&1' % (
            mount_point, ' '.join("'%s'" % word for word in command), log)
        self.exec(['systemd-run', '--unit', 'mountkit-test-%s' % backend, '--collect', '--quiet',
                   'sh', '-c', script])
        mounted = wait_for(lambda: self.is_mounted(mount_point) or not self.unit_active(backend), timeout)
        mounted = bool(mounted) and self.is_mounted(mount_point)
        return mounted, self.sh('cat %s' % log, check=False).stdout

    def unit_active(self, backend):
        return self.exec(['systemctl', 'is-active', 'mountkit-test-%s' % backend], check=False).stdout.strip() in (
            'active', 'activating')

    def is_mounted(self, mount_point):
        return self.exec(['mountpoint', '-q', mount_point], check=False).returncode == 0

    def unmount(self, backend, mount_point):
        self.exec(['umount', mount_point], check=False)
        self.exec(['systemctl', 'stop', 'mountkit-test-%s' % backend], check=False)
        if self.is_mounted(mount_point):
            self.exec(['umount', '-l', mount_point], check=False)

    def write_read(self, path, text):
        """Write text, fsync, read it back through the mount; the text read."""
        script = ('import os, sys\n'
                  'path, text = sys.argv[1], sys.argv[2]\n'
                  'fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n'
                  'os.write(fd, text.encode()); os.fsync(fd); os.close(fd)\n'
                  'print(open(path).read(), end="")\n')
        return self.exec(['python3', '-c', script, path, text], timeout=90).stdout


def start_host(platform, tmp_path_factory, request):
    image = IMAGES[platform]
    missing = missing_part(image)
    if missing:
        require_real(missing, 'instance-role tests')
    host = InstanceHost(image, str(tmp_path_factory.mktemp('role-%s' % platform)))
    request.addfinalizer(host.stop)
    return host.start()


@pytest.fixture(scope='module')
def bookworm_host(tmp_path_factory, request):
    return start_host('bookworm', tmp_path_factory, request)


@pytest.fixture(scope='module')
def mount_s3_host(bookworm_host, mount_s3_binary):
    """The bookworm host with the test-bed mount-s3 (Mountpoint 1.16.2) in /usr/local/bin."""
    subprocess.check_call(['docker', 'cp', mount_s3_binary, '%s:/usr/local/bin/mount-s3' % bookworm_host.name])
    return bookworm_host


@pytest.fixture(scope='module')
def trixie_host(tmp_path_factory, request):
    return start_host('trixie', tmp_path_factory, request)


@pytest.fixture
def servers():
    """Hosts whose servers a test started; stopped (and their mounts undone) afterwards, also on failure."""
    used = []

    def start(host, **kwargs):
        used.append(host)
        return host.start_servers(**kwargs)
    yield start
    for host in used:
        for backend in ('s3fs', 'mount-s3'):
            host.unmount(backend, '/mnt/%s' % backend)
        host.stop_servers()


def s3fs_version(host):
    return host.exec(['s3fs', '--version']).stdout.split('\n')[0]


# --- the metadata service itself --------------------------------------------------------------------------------
def test_imds_answers_like_ec2_only_inside_the_host_namespace(bookworm_host, servers):
    host = servers(bookworm_host)
    # Only the host's namespace has the address; this machine's own interfaces do not.
    assert IMDS_ADDRESS in host.addresses()
    assert IMDS_ADDRESS not in subprocess.check_output(['ip', '-o', 'address', 'show'], text=True)

    # IMDSv2 only: no token, a wrong token, or a token request without TTL are refused.
    assert host.metadata('/latest/meta-data/instance-id')[0] == 401
    assert host.metadata('/latest/meta-data/instance-id', token='not-a-token')[0] == 401
    assert host.metadata('/latest/api/token', method='PUT')[0] == 400
    assert host.metadata('/latest/api/token', method='PUT', headers=[
        'X-aws-ec2-metadata-token-ttl-seconds: 60', 'X-Forwarded-For: 10.0.0.1'])[0] == 403
    token = host.token()
    assert host.metadata('/latest/meta-data/instance-id', token=token) == (200, 'i-0123456789abcdef0')
    assert host.metadata('/latest/meta-data/placement/availability-zone', token=token) == (200, 'us-east-1a')
    assert host.metadata('/latest/meta-data/placement/region', token=token) == (200, 'us-east-1')
    status, document = host.metadata('/latest/dynamic/instance-identity/document', token=token)
    assert status == 200
    assert dict((key, json.loads(document)[key]) for key in ('region', 'availabilityZone', 'instanceId')) == {
        'region': 'us-east-1', 'availabilityZone': 'us-east-1a', 'instanceId': 'i-0123456789abcdef0'}
    assert host.metadata('/latest/meta-data/iam/security-credentials/', token=token) == (200, ROLE)
    assert host.metadata('/latest/meta-data/no-such-thing', token=token)[0] == 404

    credentials = host.role_credentials()
    assert credentials['Code'] == 'Success'
    assert set(credentials) >= {'AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration'}
    # The S3 server checks IAM: the role's session works, the fixed test keys and a forged session do not.
    assert host.s3_call('list', credentials['AccessKeyId'], credentials['SecretAccessKey'], credentials['Token'])['ok']
    assert not host.s3_call('list', 'testing', 'testing')['ok']
    assert not host.s3_call('list', credentials['AccessKeyId'], credentials['SecretAccessKey'], 'forged')['ok']

    # IMDSv1 allowed: a GET without a token is answered; a wrong token is still refused.
    host.imds.stop()
    host.start_imds(imdsv1=True)
    assert host.metadata('/latest/meta-data/instance-id') == (200, 'i-0123456789abcdef0')
    assert host.metadata('/latest/meta-data/instance-id', token='not-a-token')[0] == 401


def test_credentials_stop_working_after_expiration(bookworm_host, servers):
    host = servers(bookworm_host, lifetime=SHORT_LIFETIME)
    first = host.role_credentials()
    args = (first['AccessKeyId'], first['SecretAccessKey'], first['Token'])
    assert host.s3_call('list', *args)['ok']
    assert wait_for(lambda: host.imds_record()['generations'][0]['revoked'], SHORT_LIFETIME + 10)
    assert host.s3_call('list', *args) == {'ok': False, 'code': 'AccessDenied'}
    second = host.role_credentials()
    assert second['AccessKeyId'] != first['AccessKeyId']
    assert host.s3_call('list', second['AccessKeyId'], second['SecretAccessKey'], second['Token'])['ok']


# --- mounts with role credentials, rotation -----------------------------------------------------------------------
def prove_mount_survives_rotation(host, backend, mount_point):
    """Real I/O with the first credentials, again after they expired and were revoked; returns the record."""
    first = host.role_credentials()
    assert host.write_read(mount_point + '/before.txt', 'written with the first credentials') == \
        'written with the first credentials'
    # Wait past the first generation's Expiration: it is revoked, so from now on only fresh credentials work.
    assert wait_for(lambda: host.imds_record()['generations'][0]['revoked'], SHORT_LIFETIME + 15), \
        host.imds_record()
    assert not host.s3_call('list', first['AccessKeyId'], first['SecretAccessKey'], first['Token'])['ok']
    assert host.write_read(mount_point + '/after.txt', 'written after rotation') == 'written after rotation'
    assert host.exec(['cat', mount_point + '/before.txt']).stdout == 'written with the first credentials'
    fresh = host.role_credentials()
    stored = host.s3_call('get', fresh['AccessKeyId'], fresh['SecretAccessKey'], fresh['Token'],
                          key_name='after.txt')
    assert stored == {'ok': True, 'body': 'written after rotation'}, '%s: %s' % (backend, stored)
    record = host.imds_record()
    assert len(record['generations']) >= 2, record
    return record


def test_s3fs_190_needs_imdsv1_and_imdsv1only(bookworm_host, servers):
    host = servers(bookworm_host)
    assert 'V1.90' in s3fs_version(host)
    mounted, output = host.mount('s3fs', '/mnt/s3fs')
    assert not mounted, 's3fs 1.90 mounted with iam_role=auto on an IMDSv2-only host:\n' + output
    assert 'could not load IAM role name' in output, output
    assert host.imds_record()['requests']['unauthorized'] >= 1

    host.imds.stop()
    host.start_imds(imdsv1=True, lifetime=SHORT_LIFETIME)
    # imdsv1only: no token at all. (Without it, 1.90 takes a token first; its credential request then failed
    # now and then with curl's "Unsupported protocol", so the option is what makes 1.90 dependable here.)
    mounted, output = host.mount('s3fs', '/mnt/s3fs', ['imdsv1only'])
    assert mounted, output
    prove_mount_survives_rotation(host, 's3fs', '/mnt/s3fs')


def test_s3fs_195_mounts_imdsv2_only_and_survives_rotation(trixie_host, servers):
    host = servers(trixie_host, lifetime=SHORT_LIFETIME)
    assert 'V1.95' in s3fs_version(host)
    mounted, output = host.mount('s3fs', '/mnt/s3fs')
    assert mounted, output
    record = prove_mount_survives_rotation(host, 's3fs', '/mnt/s3fs')
    assert record['requests']['token'] >= 1


def test_mount_s3_default_chain_imdsv2_only_survives_rotation(mount_s3_host, servers):
    host = servers(mount_s3_host, lifetime=SHORT_LIFETIME)
    mounted, output = host.mount('mount-s3', '/mnt/mount-s3')
    assert mounted, output
    record = prove_mount_survives_rotation(host, 'mount-s3', '/mnt/mount-s3')
    assert record['requests']['token'] >= 1


# --- no metadata service at mount time ---------------------------------------------------------------------------
@pytest.mark.parametrize('platform,backend,expected', [
    ('bookworm', 's3fs', 'could not load IAM role name'),
    ('trixie', 's3fs', 'could not load IAM role name'),
    ('mount_s3', 'mount-s3', 'No signing credentials available'),
])
def test_unreachable_imds_gives_the_tools_own_error(platform, backend, expected, request, servers):
    host = servers(request.getfixturevalue('%s_host' % platform), imds=False)
    mounted, output = host.mount(backend, '/mnt/%s' % backend)
    assert not mounted, output
    assert expected.lower() in output.lower(), output


# --- no metadata service at boot ----------------------------------------------------------------------------------
BOOT_MOUNT = '/mnt/boot'
BOOT_UNIT = 'mnt-boot.mount'


def role_fstab_line(host, path):
    """The fstab line the s3fs role writes for an instance-role mount of the test bucket, rendered by its planner
    with the role's defaults for the host's s3fs."""
    with open(os.path.join(ROOT, 'roles', 's3fs', 'defaults', 'main.yml')) as handle:
        settings = yaml.safe_load(handle)
    settings['s3fs_mounts'] = [{'bucket': BUCKET, 'path': path, 'url': S3_ENDPOINT, 'path_style': True,
                                'iam_role': 'auto'}]
    planned = plan_s3fs.plan(settings, {'version': s3fs_version(host), 'imds': 'v2'})
    assert not planned['problems'], planned['problems']
    mount = planned['mounts'][0]
    assert 'nofail' in mount['opts'].split(','), mount['opts']
    return '%s %s fuse.s3fs %s 0 0' % (mount['src'], mount['path'], mount['opts'])


def unit_journal(host, unit):
    return host.exec(['journalctl', '-b', '--no-pager', '-o', 'cat', '-u', unit], check=False).stdout


def test_s3fs_fstab_mount_without_imds_at_boot_boots_then_mounts_when_imds_is_back(trixie_host, servers):
    """s3fs daemonizes before it asks the IMDS for the role, so systemd sees the fstab mount made; s3fs's first
    request then fails, it ends its FUSE session and the mount goes (the unit is deactivated, not failed). The
    boot goes on either way, and the reason is s3fs's own, in the mount unit's journal."""
    host = trixie_host
    line = role_fstab_line(host, BOOT_MOUNT)
    host.sh('mkdir -p %s && cp /etc/fstab /root/fstab.before-boot-test && echo %s >> /etc/fstab'
            % (BOOT_MOUNT, shlex.quote(line)))
    try:
        # A reboot with no metadata service (nothing listens on its address): restart() fails unless systemd
        # finishes booting (running, or degraded), so a mount that held the boot up would fail here.
        assert host.restart() in ('running', 'degraded')
        assert host.exec(['systemctl', 'is-active', 'multi-user.target'], check=False).stdout.strip() == 'active'
        assert wait_for(lambda: 'could not load IAM role name' in unit_journal(host, BOOT_UNIT), 90), \
            unit_journal(host, BOOT_UNIT)
        assert wait_for(lambda: not host.is_mounted(BOOT_MOUNT), 30), 'a dead s3fs mount stayed at ' + BOOT_MOUNT
        assert host.system_state() in ('running', 'degraded')

        # The metadata service (and the bucket) back: the next mount attempt mounts, with role credentials.
        servers(host)
        host.exec(['systemctl', 'start', BOOT_UNIT], timeout=60)
        assert host.is_mounted(BOOT_MOUNT)
        assert host.write_read(BOOT_MOUNT + '/after-boot.txt', 'mounted once the IMDS answered') == \
            'mounted once the IMDS answered'
        assert host.imds_record()['requests']['credentials'] >= 1
        fresh = host.role_credentials()
        stored = host.s3_call('get', fresh['AccessKeyId'], fresh['SecretAccessKey'], fresh['Token'],
                              key_name='after-boot.txt')
        assert stored == {'ok': True, 'body': 'mounted once the IMDS answered'}, stored
    finally:
        host.exec(['umount', BOOT_MOUNT], check=False)
        host.sh('cp /root/fstab.before-boot-test /etc/fstab && systemctl daemon-reload', check=False)


def role_mount_s3_unit(path):
    """(unit name, text) of the systemd unit the mountpoint_s3 role writes for an instance-role mount of the test
    bucket with the test bed's mount-s3 (1.16: a unit, no fstab helper), rendered by its planner and template."""
    with open(os.path.join(ROOT, 'roles', 'mountpoint_s3', 'defaults', 'main.yml')) as handle:
        settings = yaml.safe_load(handle)
    settings['mountpoint_s3_binary'] = '/usr/local/bin/mount-s3'
    settings['mountpoint_s3_mounts'] = [{'bucket': BUCKET, 'path': path, 'endpoint_url': S3_ENDPOINT,
                                         'force_path_style': True, 'region': 'us-east-1'}]
    planned = plan_mountpoint_s3.plan(settings, {'version': 'mount-s3 1.16.2'})
    assert not planned['problems'], planned['problems']
    mount = planned['mounts'][0]
    assert mount['method'] == 'systemd' and not mount['needs_env'], mount
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, 'roles', 'mountpoint_s3',
                                                                               'templates')))
    text = templates.get_template('mount-s3.service.j2').render(
        mount=mount, mount_args=mount['args'], mount_s3_binary=settings['mountpoint_s3_binary'],
        fusermount='/usr/bin/fusermount', environment_file='', restart_sec=settings['mountpoint_s3_restart_sec'])
    return mount['unit'], text


def test_mount_s3_unit_without_imds_at_boot_boots_then_mounts_when_imds_is_back(mount_s3_host, servers):
    """mount-s3 checks its credentials before it forks, so the unit fails with mount-s3's own error; the boot goes
    on, and the unit's restarts mount once the IMDS answers."""
    host = mount_s3_host
    unit, text = role_mount_s3_unit(BOOT_MOUNT)
    host.exec(['mkdir', '-p', BOOT_MOUNT])
    subprocess.run(['docker', 'exec', '-i', host.name, 'sh', '-c', 'cat > /etc/systemd/system/%s' % unit],
                   input=text, text=True, check=True, timeout=60)
    host.exec(['systemctl', 'daemon-reload'])
    host.exec(['systemctl', 'enable', unit])
    try:
        assert host.restart() in ('running', 'degraded')
        assert host.exec(['systemctl', 'is-active', 'multi-user.target'], check=False).stdout.strip() == 'active'
        assert wait_for(lambda: 'no signing credentials available' in unit_journal(host, unit).lower(), 90), \
            unit_journal(host, unit)
        assert not host.is_mounted(BOOT_MOUNT)

        # The metadata service back: the unit's next restart mounts, with role credentials.
        servers(host)
        assert wait_for(lambda: host.is_mounted(BOOT_MOUNT), 60), unit_journal(host, unit)
        assert host.write_read(BOOT_MOUNT + '/after-boot.txt', 'mounted once the IMDS answered') == \
            'mounted once the IMDS answered'
        assert host.imds_record()['requests']['credentials'] >= 1
    finally:
        host.exec(['systemctl', 'disable', '--now', unit], check=False)
        host.exec(['rm', '-f', '/etc/systemd/system/' + unit], check=False)
        host.exec(['systemctl', 'daemon-reload'], check=False)
