# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mount a path lookup reaches, on live mounts, against what the kernel, stat and findmnt say.

Every mount is made in a private mount namespace (unshare -m) of its own, so the host's table never
changes: a shared root with an rshared self-bind and s3fs under it (the kernel lists a propagated copy
of the s3fs mount after the one that is reached), a mount placed beneath another with
move_mount(MOVE_MOUNT_BENEATH), names with bytes the kernel does not escape, an empty source, and a
mount over the root. The kernel's answer is the mount id of an O_PATH descriptor of the path
(/proc/self/fdinfo) and st_dev; findmnt must name the same mount point, source and type.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

import fusehelpers
import project_env  # noqa: E402  (tests/conftest.py puts tools/testbed on the path)
from realparts import require_real  # noqa: E402  (tests/conftest.py puts tests/ on the path)
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import find_mount, read_mountinfo

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE = os.path.join(ROOT, '.venv', 'bin', 'ansible')

# Places a detached copy of the mount at argv[1] beneath the mount on top of argv[2] (Linux 6.5+).
BENEATH = r'''
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_OPEN_TREE, SYS_MOVE_MOUNT = 428, 429
AT_FDCWD, OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC = -100, 1, 0o2000000
MOVE_MOUNT_F_EMPTY_PATH, MOVE_MOUNT_BENEATH = 0x4, 0x200
fd = libc.syscall(SYS_OPEN_TREE, AT_FDCWD, sys.argv[1].encode(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)
if fd < 0:
    sys.exit('open_tree: %s' % os.strerror(ctypes.get_errno()))
if libc.syscall(SYS_MOVE_MOUNT, fd, b'', AT_FDCWD, sys.argv[2].encode(),
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_BENEATH) != 0:
    sys.exit('move_mount(MOVE_MOUNT_BENEATH): %s' % os.strerror(ctypes.get_errno()))
'''


@pytest.fixture(autouse=True)
def real_parts():
    """These tests need root, /dev/fuse, s3fs, unshare, nsenter and findmnt (require_real names the one missing)."""
    missing = fusehelpers.missing_host_requirements()
    for command in ('nsenter', 'findmnt', 'mount'):
        if missing is None and not shutil.which(command):
            missing = 'needs %s' % command
    if missing:
        require_real('mount namespaces with tmpfs and s3fs mounts', missing)


class Namespace(object):
    """Commands, the kernel's answers and modules inside one private mount namespace (a MountNamespace)."""

    def __init__(self, namespace):
        self.pid = namespace.proc.pid

    @property
    def mountinfo_path(self):
        return '/proc/%d/mountinfo' % self.pid

    def command(self, argv):
        return ['nsenter', '-t', str(self.pid), '-m', '--'] + list(argv)

    def run(self, *argv):
        proc = subprocess.run(self.command(argv), capture_output=True, check=False, timeout=60)
        assert proc.returncode == 0, '%r failed: %s' % (argv, proc.stderr.decode('utf-8', 'replace'))
        return proc.stdout

    def entries(self):
        errors = []
        entries = read_mountinfo(self.mountinfo_path, errors=errors)
        assert errors == [], errors
        return entries

    def outside(self, path):
        """path as reached from this process: through the namespace's root, into its mounts."""
        return '/proc/%d/root%s' % (self.pid, path)

    def kernel_mount(self, path):
        """(mount id, 'major:minor') of the mount the kernel's lookup of path reaches."""
        fd = os.open(self.outside(path), os.O_PATH)
        try:
            with open('/proc/self/fdinfo/%d' % fd) as handle:
                mount_id = [int(line.split()[1]) for line in handle if line.startswith('mnt_id:')][0]
            st_dev = os.fstat(fd).st_dev
        finally:
            os.close(fd)
        return mount_id, '%d:%d' % (os.major(st_dev), os.minor(st_dev))

    def findmnt(self, path):
        """findmnt's rows for the mount point of path (all mounts on that point), as {id: row}."""
        output = self.run('findmnt', '--json', '--output', 'ID,PARENT,TARGET,SOURCE,FSTYPE,PROPAGATION',
                          '--target', path)
        return dict((row['id'], row) for row in json.loads(output.decode('utf-8'))['filesystems'])

    def run_module(self, module, args):
        """Run a module through Ansible inside the namespace, so it reads its own /proc/self/mountinfo."""
        env = project_env.ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json')
        argv = [ANSIBLE, 'localhost', '-c', 'local', '-m', module, '-a', json.dumps(args)]
        proc = subprocess.run(self.command(argv), env=env, capture_output=True, text=True, timeout=300, check=False)
        try:
            return json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']
        except ValueError:
            raise AssertionError('ansible printed no JSON:\n%s\n%s' % (proc.stdout, proc.stderr))


@pytest.fixture
def private_namespace(namespaces):
    """A new private mount namespace whose / is then made shared, as systemd makes it on a host."""
    namespace = Namespace(namespaces('private'))
    namespace.run('mount', '--make-shared', '/')
    return namespace


def assert_agrees(namespace, path, entry):
    """The module's entry for path is the mount the kernel reaches, and the one findmnt lists there."""
    assert entry is not None, path
    assert (entry.mount_id, entry.major_minor) == namespace.kernel_mount(path), (path, entry)
    rows = namespace.findmnt(path)
    assert entry.mount_id in rows, (path, entry, rows)
    row = rows[entry.mount_id]
    assert (row['target'], row['source'] or '', row['fstype']) == (entry.mount_point, entry.source, entry.fstype)
    assert row['parent'] == entry.parent_id
    return row


@pytest.fixture
def s3fs_in_namespace(shared_s3_server, passwd_file):
    """Start s3fs in the foreground inside a namespace; unmounted there and stopped by pid afterwards."""
    started = []

    def start(namespace, mount_point):
        options = fusehelpers.S3fsMount(shared_s3_server.endpoint, shared_s3_server.bucket, mount_point,
                                        passwd_file).options
        proc = subprocess.Popen(namespace.command(['s3fs', shared_s3_server.bucket, mount_point, '-f', '-o', options]),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        started.append((namespace, mount_point, proc))

        def mounted():
            return proc.poll() is not None or any(
                entry.mount_point == mount_point and entry.fstype == 'fuse.s3fs' for entry in namespace.entries())
        assert fusehelpers.wait_for(mounted, 15) and proc.poll() is None, \
            's3fs did not mount %s: %s' % (mount_point, proc.stderr.read().decode('utf-8', 'replace')[-500:])
        return proc
    yield start
    for namespace, mount_point, proc in reversed(started):
        if proc.poll() is None:
            for argv in (['umount', mount_point], ['umount', '-l', mount_point]):
                if subprocess.call(namespace.command(argv), stderr=subprocess.DEVNULL) == 0:
                    break
        fusehelpers.stop_process(proc)
        proc.stderr.close()


class TestPropagatedCopy:
    def test_s3fs_under_an_rshared_self_bind_on_a_shared_root(self, private_namespace, s3fs_in_namespace, tmp_path,
                                                              run_module):
        namespace = private_namespace
        shared_dir = str(tmp_path / 'shared-dir')
        mount_point = os.path.join(shared_dir, 's3')
        os.makedirs(mount_point)
        namespace.run('mount', '--bind', shared_dir, shared_dir)
        namespace.run('mount', '--make-rshared', shared_dir)
        s3fs_in_namespace(namespace, mount_point)
        # The mount a lookup reaches becomes a slave; the copy propagation hid under the bind stays shared.
        namespace.run('mount', '--make-slave', mount_point)

        entries = namespace.entries()
        root = find_mount(entries, '/')
        on_point = [entry for entry in entries if entry.mount_point == mount_point]
        assert [entry.fstype for entry in on_point] == ['fuse.s3fs', 'fuse.s3fs']
        visible, copy = on_point
        assert (visible.propagation, copy.propagation, copy.parent_id) == ('slave', 'shared', root.mount_id)

        assert find_mount(entries, mount_point) is visible
        row = assert_agrees(namespace, mount_point, visible)
        assert row['propagation'] == 'private,slave'

        # mount_flags from outside, on the namespace's table (as docker_propagation reads dockerd's).
        result = run_module('mountkit.aws.mount_flags', {
            'path': mount_point, 'mountinfo_path': namespace.mountinfo_path, 'fstype': 'fuse.s3fs',
            'propagation': 'slave', 'timeout': 5})
        assert not result.get('failed'), result.get('msg')
        assert (result['mount']['mount_id'], result['alive'], result['parse_problems']) == (visible.mount_id, 'ok', [])
        shared = run_module('mountkit.aws.mount_flags', {
            'path': mount_point + '/dir', 'mountinfo_path': namespace.mountinfo_path, 'propagation': 'shared',
            'check_alive': False})
        assert shared['problems'] == ['propagation: expected shared, found slave (optional fields: master:%d; '
                                      'mount at %s)' % (visible.master, mount_point)]

        # io_semantics inside the namespace reads its own table.
        probe = namespace.run_module('mountkit.aws.io_semantics', {
            'path': mount_point, 'profile': 's3fs', 'operations': ['create_write_read'], 'timeout': 10})
        assert not probe.get('failed'), probe.get('msg')
        assert (probe['mount']['mount_id'], probe['mount']['propagation']) == (visible.mount_id, 'slave')


class TestMountBeneath:
    def test_a_mount_placed_beneath_is_reached_only_when_the_top_one_goes(self, private_namespace, tmp_path,
                                                                          run_module):
        if tuple(int(part) for part in re.match(r'(\d+)\.(\d+)', os.uname().release).groups()) < (6, 5):
            require_real('a kernel with move_mount(MOVE_MOUNT_BENEATH), Linux 6.5 or later', os.uname().release)
        namespace = private_namespace
        stack, stage = str(tmp_path / 'stack'), str(tmp_path / 'stage')
        os.makedirs(stack)
        os.makedirs(stage)
        namespace.run('mount', '-t', 'tmpfs', 'mk-top', stack)
        namespace.run('mount', '-t', 'tmpfs', 'mk-beneath', stage)
        namespace.run('mount', '--make-private', stage)
        namespace.run(sys.executable, '-c', BENEATH, stage, stack)
        namespace.run('umount', stage)

        entries = namespace.entries()
        top, beneath = [entry for entry in entries if entry.mount_point == stack]
        # The kernel lists the one placed beneath later; the one on top now has it as parent.
        assert (top.source, beneath.source, top.parent_id) == ('mk-top', 'mk-beneath', beneath.mount_id)
        assert find_mount(entries, stack + '/file') is top
        assert_agrees(namespace, stack, top)
        result = run_module('mountkit.aws.mount_flags', {
            'path': stack, 'mountinfo_path': namespace.mountinfo_path, 'source': 'mk-top', 'fstype': 'tmpfs'})
        assert not result.get('failed'), result.get('msg')
        assert result['mount']['mount_id'] == top.mount_id

        namespace.run('umount', stack)
        entry = find_mount(namespace.entries(), stack)
        assert (entry.mount_id, entry.source) == (beneath.mount_id, 'mk-beneath')
        assert_agrees(namespace, stack, entry)


# Names with bytes the kernel writes as they are (CR, U+00A0, U+3000), one where ' - ' would appear
# if those were separators, and one with a space, which the kernel escapes.
NAMES = [u'cr\rdir', u'nb\u00a0sp', u'ideo\u3000sp', u'x\u00a0-\u00a0y', u'sp ace']


class TestNamesAndSources:
    def test_bytes_that_are_not_escaped_and_an_empty_source(self, private_namespace, tmp_path, run_module):
        namespace = private_namespace
        base = str(tmp_path / 'names')
        mounts = []
        for index, name in enumerate(NAMES):
            path = os.path.join(base, name)
            os.makedirs(path)
            source = u'src-%d%s' % (index, name[2:])
            namespace.run('mount', '-t', 'tmpfs', source, path)
            mounts.append((path, source))
        empty = os.path.join(base, 'empty')
        os.makedirs(empty)
        namespace.run('mount', '-t', 'tmpfs', '', empty)
        mounts.append((empty, ''))

        entries = namespace.entries()
        for path, source in mounts:
            entry = find_mount(entries, os.path.join(path, 'file'))
            found = (entry.mount_point, entry.source, entry.fstype, entry.super_options[0])
            assert found == (path, source, 'tmpfs', 'rw')
            assert_agrees(namespace, path, entry)

        result = namespace.run_module('mountkit.aws.mount_flags', {
            'mounts': [{'path': path, 'source': source or None, 'fstype': 'tmpfs'} for path, source in mounts]})
        assert not result.get('failed'), result.get('msg')
        assert [(check['mount']['mount_point'], check['mount']['source']) for check in result['checks']] == mounts
        assert result['parse_problems'] == []

    def test_a_line_that_cannot_be_parsed_is_a_warning_with_its_line_number(self, private_namespace, tmp_path,
                                                                            run_module):
        namespace = private_namespace
        mount_point = str(tmp_path / 'cut')
        os.makedirs(mount_point)
        namespace.run('mount', '-t', 'tmpfs', 'mk-cut', mount_point)
        with open(namespace.mountinfo_path, 'rb') as handle:
            lines = handle.read().split(b'\n')
        number = [index for index, line in enumerate(lines, 1) if b' mk-cut ' in line][0]
        # The line as a reader that drops everything after the mount options would leave it.
        lines[number - 1] = b' '.join(lines[number - 1].split(b' ')[:6])
        recorded = tmp_path / 'mountinfo'
        recorded.write_bytes(b'\n'.join(lines))

        result = run_module('mountkit.aws.mount_flags', {
            'path': mount_point, 'mountinfo_path': str(recorded), 'check_alive': False})
        assert result['failed']
        assert result['parse_problems'] == [{'line_number': number, 'mount_point': mount_point,
                                             'reason': '6 space-separated fields, at least 9 expected'}]
        assert any(('%s line %d cannot be parsed' % (recorded, number)) in warning for warning in result['warnings'])
        assert result['problems'][0].startswith('mount table: %s line %d (mount point %s) cannot be parsed'
                                                % (recorded, number, mount_point))


class TestMountOverTheRoot:
    def test_lookups_from_the_root_do_not_enter_a_mount_over_it(self, private_namespace):
        namespace = private_namespace
        root = find_mount(namespace.entries(), '/')
        # After this, nothing more is run inside: a process entering the namespace would start on top.
        namespace.run('mount', '-t', 'tmpfs', 'mk-over-root', '/')
        entries = namespace.entries()
        over = [entry for entry in entries if entry.source == 'mk-over-root']
        assert [(entry.mount_point, entry.parent_id) for entry in over] == [('/', root.mount_id)]
        for path in ('/', '/etc'):
            entry = find_mount(entries, path)
            assert entry.mount_id == root.mount_id
            assert (entry.mount_id, entry.major_minor) == namespace.kernel_mount(path)
