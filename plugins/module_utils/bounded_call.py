# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run one call in a forked child and wait for it at most a given time.

A call that touches a mount (stat, open, write) can hang for good when the FUSE daemon is
stuck or the NFS server is gone. Running it in a child lets the caller give up on time: the
child is killed, or abandoned if the kernel keeps it in uninterruptible sleep. The child
closes every inherited file descriptor, so an abandoned child cannot hold the caller's
output pipe (Ansible's) open either.

Only the Python standard library is used, so modules can run on any target.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import select
import signal
import sys
import time

DEFAULT_TIMEOUT = 10.0

# How long a killed child gets to be reaped before it is left behind.
REAP_GRACE = 0.5


def errno_name(number):
    return errno.errorcode.get(number, 'ERRNO_%d' % number)


class NamedResult(Exception):
    """Raised by a call to report a named result (with a detail) instead of a value or an errno."""

    def __init__(self, result, detail):
        super(NamedResult, self).__init__(detail)
        self.result = result
        self.detail = detail


class ChildOutcome(object):
    """What a child reported: value on success, else errno/result/error; timed_out if it never answered."""

    __slots__ = ('value', 'errno', 'strerror', 'step', 'precondition', 'result', 'error', 'timed_out',
                 'abandoned', 'pid', 'seconds')

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


def _open_fds():
    try:
        return [int(name) for name in os.listdir('/proc/self/fd')]
    except OSError:
        return range(3, 1024)


def _detach_from_parent(keep_fd):
    """In the child: stdio to /dev/null and every other inherited descriptor closed."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for fd in _open_fds():
        if fd > 2 and fd != keep_fd:
            try:
                os.close(fd)
            except OSError:
                pass
    # Python-level streams may wrap descriptors just closed; point them at /dev/null too.
    sys.stdout = sys.stderr = os.fdopen(os.dup(1), 'w')


def _report(func, args):
    try:
        return {'value': func(*args)}
    except NamedResult as exc:
        return {'result': exc.result, 'strerror': exc.detail}
    except (OSError, IOError) as exc:
        if exc.errno is None:
            return {'error': '%s: %s' % (type(exc).__name__, exc)}
        # probe_step and probe_precondition label the failing call, when the caller set them.
        return {'errno': exc.errno, 'strerror': exc.strerror, 'step': getattr(exc, 'probe_step', None),
                'precondition': getattr(exc, 'probe_precondition', False)}
    except Exception as exc:  # pylint: disable=broad-except
        return {'error': '%s: %s' % (type(exc).__name__, exc)}


def _reap(pid, grace):
    """Collect the child; True if it is gone. A child stuck in the kernel is left to init."""
    deadline = time.time() + grace
    while True:
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except OSError:
            return True
        if done == pid:
            return True
        if time.time() >= deadline:
            return False
        time.sleep(0.01)


def run_in_child(func, args=(), timeout=DEFAULT_TIMEOUT):
    """Run func(*args) in a forked child and wait at most timeout seconds for its JSON-able result.

    On timeout the child is sent SIGKILL and, if the kernel does not let it die at once (a
    request in flight on a hung mount), abandoned: abandoned is True and the caller moves on.
    """
    read_fd, write_fd = os.pipe()
    started = time.time()
    pid = os.fork()
    if pid == 0:  # child: never return into the caller's code
        status = 1
        try:
            os.close(read_fd)
            _detach_from_parent(write_fd)
            data = json.dumps(_report(func, args)).encode('utf-8')
            while data:
                data = data[os.write(write_fd, data):]
            status = 0
        finally:
            os._exit(status)  # pylint: disable=protected-access
    os.close(write_fd)
    chunks = []
    timed_out = False
    try:
        deadline = started + timeout
        while True:
            remaining = deadline - time.time()
            if remaining <= 0:
                timed_out = True
                break
            ready, _w, _x = select.select([read_fd], [], [], remaining)
            if ready:
                chunk = os.read(read_fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_fd)
    seconds = round(time.time() - started, 3)
    if timed_out:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        return ChildOutcome(timed_out=True, abandoned=not _reap(pid, REAP_GRACE), pid=pid, seconds=seconds)
    # The child has answered; its exit may still wait on the kernel, so do not wait forever.
    if not _reap(pid, REAP_GRACE):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        _reap(pid, REAP_GRACE)
    try:
        payload = json.loads(b''.join(chunks).decode('utf-8'))
    except ValueError:
        return ChildOutcome(error='child process exited without a result', pid=pid, seconds=seconds)
    return ChildOutcome(pid=pid, seconds=seconds, **payload)
