# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One disposable systemd container host for the integration tests, and ansible-playbook runs against it.

The host is started like tools/demo.sh starts the demo host (systemd as PID 1, FUSE, the host network to
reach a local S3 server on 127.0.0.1), but without an inner Docker engine. Playbooks reach it with
``community.docker.docker``; the inventory puts it in every group the playbooks target.

``snapshot()`` records what a role may change (fstab, fuse.conf, systemd units, packages, the credential
trees, the mount table) so a test can prove that a run changed nothing. ``reset()`` removes what the storage
roles made, so test modules can share the host without restarting it.

``MountpointMount`` runs the test-bed mount-s3 on this machine itself, for tests that need no managed host.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import fusehelpers
from project_env import ansible_env  # tests/conftest.py puts tools/testbed on the path
from systemd_host import docker_run_args

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, '.venv')
IMAGE = os.environ.get('MOUNTKIT_IMAGE', 'mountkit/debian-systemd:bookworm')
GROUPS = ('s3fs_hosts', 'mountpoint_s3_hosts', 'efs_hosts')

# Everything a storage role may change on a host, one section per line of output: '## name' heads a section.
SNAPSHOT_SCRIPT = r'''
section() { printf '## %s\n' "$1"; }
section fstab; sha256sum /etc/fstab 2>&1
section fuse.conf; sha256sum /etc/fuse.conf 2>&1
section systemd-files; find /etc/systemd/system /run/systemd/system -printf '%p %y %m %l\n' 2>/dev/null | sort
section systemd-digests; find /etc/systemd/system -type f -exec sha256sum {} + | sort
section unit-files; systemctl list-unit-files --no-legend --no-pager | sort
section packages; dpkg-query -W | sort
section credentials; for d in /etc/s3fs /etc/mountkit; do
  [ -e "$d" ] && find "$d" -printf '%p %y %m %u\n' && find "$d" -type f -exec sha256sum {} +
done | sort
section mounts; awk '{print $5, $(NF-2)}' /proc/1/mountinfo | sort
'''

# Undo the storage roles: units, mounts, fstab lines, credentials, records. Packages stay installed, so later
# converges are faster; tests that need a pristine package list run before any converge.
RESET_SCRIPT = r'''
for unit in $(systemctl list-unit-files --no-legend 'mount-s3-*' | awk '{print $1}'); do
  systemctl disable --now "$unit" >/dev/null 2>&1 || true
done
rm -rf /etc/systemd/system/mount-s3-* /run/systemd/system/mount-s3-*
systemctl daemon-reload
for mount_point in $(awk '$(NF-2) ~ /^fuse/ && $5 != "/" {print $5}' /proc/1/mountinfo | sort -r); do
  umount "$mount_point" 2>/dev/null || umount -l "$mount_point"
done
cp /root/.mountkit-pristine/fstab /etc/fstab
cp /root/.mountkit-pristine/fuse.conf /etc/fuse.conf
rm -rf /etc/s3fs /etc/mountkit /run/mountkit /run/mountkit-s3fs.json /var/cache/s3fs /var/cache/mount-s3*
'''


def missing_requirements():
    """Why the container host cannot be started here, or None."""
    if os.geteuid() != 0:
        return 'needs root'
    if not os.path.exists('/dev/fuse'):
        return 'needs /dev/fuse'
    if not shutil.which('docker'):
        return 'needs the docker CLI'
    if subprocess.call(['docker', 'image', 'inspect', IMAGE], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL) != 0:
        return 'needs the image %s (tools/testbed/build-image.sh) and a running Docker engine' % IMAGE
    return None


class PlaybookRun(object):
    """What one ansible-playbook run printed. With the json callback, ``failures`` lists the failed tasks."""

    def __init__(self, args, rc, stdout, stderr, seconds):
        self.args = args
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    @property
    def output(self):
        return self.stdout + self.stderr

    def json(self):
        try:
            return json.loads(self.stdout)
        except ValueError:
            raise AssertionError('ansible-playbook printed no JSON (rc %s):\n%s\n%s'
                                 % (self.rc, self.stdout, self.stderr))

    def task_results(self):
        """(task name, host result) of every task in the run, in order."""
        for play in self.json()['plays']:
            for task in play['tasks']:
                for result in task['hosts'].values():
                    yield task['task']['name'], result

    def failures(self):
        """(task name, [messages]) of each failed task that was not ignored, in order; a loop gives one message
        per failed item."""
        found = []
        for name, result in self.task_results():
            if not result.get('failed') or result.get('ignore_errors'):
                continue
            messages = [item.get('msg', '') for item in result.get('results', []) if item.get('failed')]
            found.append((name, [result.get('msg', '')] + messages))
        return found

    @property
    def message(self):
        """The messages of the task that ended the run."""
        failures = self.failures()
        return ' | '.join(failures[-1][1]) if failures else ''

    def describe(self):
        return 'ansible-playbook %s: rc %s after %.1fs\n%s\n%s' % (
            ' '.join(self.args), self.rc, self.seconds, self.message or self.stdout[-3000:], self.stderr[-2000:])


class HostBed(object):
    """A systemd container named ``name``; ``start()`` runs it, ``stop()`` removes it."""

    def __init__(self, workdir, name=None, image=IMAGE, network='host'):
        self.workdir = workdir
        self.name = name or 'mountkit-pytest-%d' % os.getpid()
        self.image = image
        # 'host' reaches a server on 127.0.0.1; 'none' is a network namespace of the host's own.
        self.network = network
        self.inventory = os.path.join(workdir, 'inventory.yml')
        self.started = False

    # --- the container ---------------------------------------------------------------------------------
    def start(self, timeout=90):
        subprocess.call(['docker', 'rm', '-f', self.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.check_call(['docker'] + docker_run_args(self.name, self.image, network=self.network),
                              stdout=subprocess.DEVNULL)
        self.started = True
        self.wait_booted(timeout)
        # What reset() puts back.
        self.sh('mkdir -p /root/.mountkit-pristine && cp /etc/fstab /etc/fuse.conf /root/.mountkit-pristine/')
        self._write_inventory()
        return self

    def system_state(self):
        proc = self.exec(['systemctl', 'is-system-running'], check=False, timeout=30)
        return proc.stdout.strip() or 'unknown'

    def wait_booted(self, timeout=90):
        """Wait until systemd has finished booting (running, or degraded when a unit failed); return the state."""
        deadline = time.time() + timeout
        state = 'unknown'
        while time.time() < deadline:
            state = self.system_state()
            if state in ('running', 'degraded'):
                return state
            time.sleep(0.5)
        raise RuntimeError('%s did not finish booting within %ss (state %s)' % (self.name, timeout, state))

    def restart(self, timeout=90):
        """docker restart: a reboot of the host (the /run tmpfs starts empty, fstab and units stay)."""
        subprocess.check_call(['docker', 'restart', '--time', '30', self.name], stdout=subprocess.DEVNULL)
        return self.wait_booted(timeout)

    def stop(self):
        if self.started:
            subprocess.call(['docker', 'rm', '-f', '-v', self.name], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
            self.started = False

    def exec(self, argv, check=True, timeout=120):
        proc = subprocess.run(['docker', 'exec', self.name] + list(argv), capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError('%s failed (rc %d): %s%s' % (' '.join(argv), proc.returncode, proc.stdout,
                                                              proc.stderr))
        return proc

    def sh(self, script, check=True, timeout=120):
        return self.exec(['sh', '-c', script], check=check, timeout=timeout).stdout

    def read(self, path):
        return self.sh('cat %s' % path)

    def snapshot(self):
        """{section: text} of everything a role may change; equal snapshots mean an unchanged host."""
        sections, name = {}, None
        for line in self.sh(SNAPSHOT_SCRIPT).splitlines():
            if line.startswith('## '):
                name = line[3:]
                sections[name] = []
            elif name is not None:
                sections[name].append(line)
        return dict((key, '\n'.join(value)) for key, value in sections.items())

    def reset(self):
        self.sh(RESET_SCRIPT, timeout=180)

    def pid_of(self, pattern):
        """Pid of the one process whose command line contains every word of pattern."""
        pids = []
        for line in self.sh('ps -eo pid=,args=').splitlines():
            pid, _sep, args = line.strip().partition(' ')
            if all(word in args.split() for word in pattern.split()):
                pids.append(int(pid))
        if len(pids) != 1:
            raise AssertionError('expected one process matching %r, found %s' % (pattern, pids))
        return pids[0]

    # --- Ansible ---------------------------------------------------------------------------------------
    def _write_inventory(self):
        host = {self.name: {}}
        inventory = {'all': {
            'vars': {'ansible_connection': 'community.docker.docker', 'ansible_python_interpreter': '/usr/bin/python3'},
            'hosts': host,
            'children': dict((group, {'hosts': host}) for group in GROUPS),
        }}
        with open(self.inventory, 'w') as handle:
            json.dump(inventory, handle, indent=1)

    def role_playbook(self, roles):
        """A playbook that applies roles (FQCNs) to the host, as a user's site playbook would."""
        handle, path = tempfile.mkstemp(prefix='play-', suffix='.yml', dir=self.workdir)
        with os.fdopen(handle, 'w') as stream:
            json.dump([{'name': 'Apply %s' % ', '.join(roles), 'hosts': 'all', 'gather_facts': False,
                        'roles': [{'role': role} for role in roles]}], stream)
        return path

    def playbook(self, playbook=None, roles=None, extra_vars=None, verbosity=0, callback='json', timeout=600):
        """Run ansible-playbook against the host; extra_vars go in through -e @file, like a user's vars file."""
        if playbook is None:
            playbook = self.role_playbook(roles)
        args = ['-i', self.inventory, playbook]
        if extra_vars is not None:
            handle, vars_path = tempfile.mkstemp(prefix='vars-', suffix='.json', dir=self.workdir)
            with os.fdopen(handle, 'w') as stream:
                json.dump(extra_vars, stream)
            args += ['-e', '@' + vars_path]
        if verbosity:
            args.append('-' + 'v' * verbosity)
        settings = {'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.%s' % callback}
        if callback == 'json':
            # -v output would break the JSON on stdout.
            settings['ANSIBLE_VERBOSE_TO_STDERR'] = '1'
        started = time.time()
        proc = subprocess.run([os.path.join(VENV, 'bin', 'ansible-playbook')] + args, capture_output=True,
                              text=True, timeout=timeout, env=ansible_env(**settings), cwd=self.workdir, check=False)
        return PlaybookRun(args, proc.returncode, proc.stdout, proc.stderr, time.time() - started)

    def playbooks(self, runs, workers=4):
        """Run several playbooks at once (each a dict of playbook() arguments); results in the same order."""
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda kwargs: self.playbook(**kwargs), runs))

    def module(self, module, args, timeout=300):
        """Run one module on the host with the ansible command; returns its result dict."""
        proc = subprocess.run([os.path.join(VENV, 'bin', 'ansible'), 'all', '-i', self.inventory, '-m', module,
                               '-a', json.dumps(args)], capture_output=True, text=True, timeout=timeout,
                              env=ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
                                              ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json'),
                              check=False)
        try:
            return json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts'][self.name]
        except (ValueError, KeyError, IndexError):
            raise AssertionError('ansible printed no result:\n%s\n%s' % (proc.stdout, proc.stderr))


class MountpointMount(object):
    """mount-s3 on this machine in the foreground, as our own child (like fusehelpers.S3fsMount), so its pid is
    known and it is stopped by it. The binary is the test-bed build that sits next to its package."""

    def __init__(self, binary, endpoint, bucket, mount_point, extra_args=()):
        self.binary = binary
        self.endpoint = endpoint
        self.bucket = bucket
        self.mount_point = mount_point
        self.extra_args = list(extra_args)
        self.proc = None

    def start(self, timeout=20):
        if not os.path.isdir(self.mount_point):
            os.makedirs(self.mount_point)
        # No instance metadata here, and two tries per request, so a fault surfaces in seconds.
        env = dict(os.environ, AWS_ACCESS_KEY_ID='testing', AWS_SECRET_ACCESS_KEY='testing',
                   AWS_EC2_METADATA_DISABLED='true', AWS_MAX_ATTEMPTS='2')
        self.proc = subprocess.Popen(
            [self.binary, self.bucket, self.mount_point, '--foreground', '--endpoint-url', self.endpoint,
             '--force-path-style', '--region', 'us-east-1'] + self.extra_args,
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        if not fusehelpers.wait_for(lambda: fusehelpers.is_mounted(self.mount_point) or self.proc.poll() is not None,
                                    timeout):
            self.stop()
            raise RuntimeError('mount-s3 did not mount %s within %ss' % (self.mount_point, timeout))
        if self.proc.poll() is not None:
            raise RuntimeError('mount-s3 exited with %s before mounting' % self.proc.returncode)
        return self

    def stop(self):
        fusehelpers.unmount(self.mount_point)
        if self.proc is not None:
            fusehelpers.stop_process(self.proc)
