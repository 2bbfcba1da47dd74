# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real mounts for the integration tests: s3fs against the local S3 server, a dead FUSE mount,
bind mounts and processes in other mount namespaces. Everything started here is stopped by pid
and every mount is unmounted (lazily as a last resort)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import time

from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import read_mountinfo

ACCESS_KEY = 'testing'
SECRET_KEY = 'testing'


def missing_host_requirements():
    """Why real FUSE mounts cannot be made here, or None."""
    if os.geteuid() != 0:
        return 'needs root'
    if not os.path.exists('/dev/fuse'):
        return 'needs /dev/fuse'
    for command in ('s3fs', 'unshare', 'umount'):
        if not shutil.which(command):
            return 'needs %s' % command
    return None


def wait_for(predicate, timeout, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def mount_points(mountinfo_path='/proc/self/mountinfo'):
    return [entry.mount_point for entry in read_mountinfo(mountinfo_path)]


def is_mounted(path):
    return path in mount_points()


def unmount(path, busy_wait=15):
    """Unmount path (all stacked layers); retry while busy, then detach lazily."""
    deadline = time.time() + busy_wait
    while is_mounted(path):
        if subprocess.call(['umount', path], stderr=subprocess.DEVNULL) == 0:
            continue
        if time.time() >= deadline:
            subprocess.call(['umount', '-l', path], stderr=subprocess.DEVNULL)
            if not is_mounted(path):
                break
        time.sleep(0.2)


def stop_process(proc, timeout=10):
    """End a child we started: wait, then SIGTERM, then SIGKILL, always by its pid."""
    if proc.poll() is not None:
        return
    try:
        proc.wait(timeout)
        return
    except subprocess.TimeoutExpired:
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def write_passwd_file(directory):
    path = os.path.join(directory, 'passwd-s3fs')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write('%s:%s\n' % (ACCESS_KEY, SECRET_KEY))
    return path


class S3fsMount(object):
    """s3fs in the foreground as our own child, so its pid is known and it can be stopped by it."""

    def __init__(self, endpoint, bucket, mount_point, passwd_file, extra_options=()):
        self.endpoint = endpoint
        self.bucket = bucket
        self.mount_point = mount_point
        self.passwd_file = passwd_file
        self.extra_options = list(extra_options)
        self.proc = None

    @property
    def options(self):
        return ','.join(['url=%s' % self.endpoint, 'use_path_request_style', 'passwd_file=%s' % self.passwd_file,
                         'fsname=s3fs:%s' % self.bucket, 'subtype=s3fs'] + self.extra_options)

    def start(self, timeout=15):
        if not os.path.isdir(self.mount_point):
            os.makedirs(self.mount_point)
        self.proc = subprocess.Popen(['s3fs', self.bucket, self.mount_point, '-f', '-o', self.options],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        if not wait_for(lambda: is_mounted(self.mount_point) or self.proc.poll() is not None, timeout):
            self.stop()
            raise RuntimeError('s3fs did not mount %s within %ss' % (self.mount_point, timeout))
        if self.proc.poll() is not None:
            raise RuntimeError('s3fs exited with %s before mounting' % self.proc.returncode)
        return self

    def stop(self):
        unmount(self.mount_point)
        if self.proc is not None:
            stop_process(self.proc)


def dead_fuse_mount(path, fsname='mountkit-dead'):
    """A FUSE mount whose /dev/fuse descriptor is closed at once: every access gives ENOTCONN."""
    libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    fd = os.open('/dev/fuse', os.O_RDWR)
    try:
        data = ('fd=%d,rootmode=40000,user_id=0,group_id=0' % fd).encode()
        if libc.mount(fsname.encode(), path.encode(), b'fuse', 0, data) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number), path)
    finally:
        os.close(fd)


def make_shared_bind(path):
    """Bind path onto itself and make it shared, so mounts below it propagate to peers and slaves."""
    subprocess.check_call(['mount', '--bind', path, path])
    subprocess.check_call(['mount', '--make-shared', path])


class MountNamespace(object):
    """A 'sleep' in a new mount namespace made by unshare with the given propagation."""

    def __init__(self, propagation, lifetime=120):
        self.propagation = propagation
        self.lifetime = lifetime
        self.proc = None

    @property
    def mountinfo_path(self):
        return '/proc/%d/mountinfo' % self.proc.pid

    def start(self, timeout=10):
        own = os.readlink('/proc/self/ns/mnt')
        self.proc = subprocess.Popen(['unshare', '-m', '--propagation', self.propagation, 'sleep', str(self.lifetime)],
                                     stdin=subprocess.DEVNULL)

        def entered():
            try:
                # unshare execs sleep once the namespace is ready.
                with open('/proc/%d/comm' % self.proc.pid) as handle:
                    return os.readlink('/proc/%d/ns/mnt' % self.proc.pid) != own and handle.read().strip() == 'sleep'
            except OSError:
                return False
        if not wait_for(entered, timeout):
            self.stop()
            raise RuntimeError('unshare --propagation %s did not start' % self.propagation)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
