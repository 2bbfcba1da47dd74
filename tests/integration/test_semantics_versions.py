# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""io_semantics knows the Mountpoint release: real runs on the test bed's mount-s3 1.16.2 and on s3fs.

- The release is read from `mount-s3 --version` when the binary is on the host, and its table passes.
- A newer release's table (1.24) does not pass on 1.16.2: the tables differ where Mountpoint changed.
- empty_dir: an empty directory made through Mountpoint is not in the bucket and is gone after a remount,
  while a directory holding a file persists; s3fs keeps both.
- probe_dir: an opt-in run leaves nothing outside the named location.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import uuid

import pytest

import fusehelpers
import hostbed
from project_env import ansible_env

from ansible_collections.mountkit.aws.plugins.module_utils import io_probe

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures('real_fuse')]

CREDENTIALS = dict(access_key='testing', secret_key='testing', region='us-east-1', aws_profile='')


@pytest.fixture(scope='module')
def server(shared_s3_server):
    """Each test makes its own bucket on the module's one server."""
    return shared_s3_server


@pytest.fixture
def bucket(server):
    name = 'mk-versions-%s' % uuid.uuid4().hex[:8]
    server.client().create_bucket(Bucket=name)
    return name


def keys(server, bucket):
    return sorted(item['Key'] for item in server.client().list_objects_v2(Bucket=bucket).get('Contents', []))


def run_with_path(module, args, extra_path):
    """Run a module through Ansible with extra_path first in PATH (where the host's mount-s3 is)."""
    env = ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json')
    env['PATH'] = extra_path + os.pathsep + env.get('PATH', os.environ.get('PATH', ''))
    proc = subprocess.run([os.path.join(hostbed.VENV, 'bin', 'ansible'), 'localhost', '-c', 'local', '-m', module,
                           '-a', json.dumps(args)], env=env, capture_output=True, text=True, timeout=300, check=False)
    return json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']


def test_installed_release_is_read_and_its_table_passes(server, bucket, bucket_mounts, mount_s3_binary):
    mounted = bucket_mounts('mount-s3', server, bucket)
    result = run_with_path('mountkit.aws.io_semantics', {'path': mounted.mount_point, 'profile': 'mountpoint_s3',
                                                         'size': '256K'}, os.path.dirname(mount_s3_binary))
    assert not result.get('failed'), result
    assert result['mountpoint'] == {'version': '1.16.2', 'source': 'mount-s3 --version', 'table': '1.16',
                                    'bucket_type': 'general_purpose'}
    outcomes = result['outcomes']
    assert outcomes['sync_open']['observed'] == 'EINVAL'
    assert outcomes['rename_file']['observed'] == 'ENOSYS'
    assert outcomes['rename_replace']['observed'] == 'ENOSYS'
    assert outcomes['reopen_after_close']['observed'] in ('EIO', 'EPERM')
    assert all(item['pass'] for item in outcomes.values()), outcomes


def test_without_the_binary_the_oldest_table_is_assumed(server, bucket, bucket_mounts, run_module):
    mounted = bucket_mounts('mount-s3', server, bucket)
    result = run_module('mountkit.aws.io_semantics', {'path': mounted.mount_point, 'profile': 'mountpoint_s3',
                                                      'operations': ['sync_open', 'rename_replace']})
    assert not result.get('failed'), result
    assert result['mountpoint']['table'] == '1.16' and result['mountpoint']['version'] is None
    assert result['mountpoint']['source'].startswith('oldest table assumed')


def test_a_newer_release_table_fails_on_1_16_where_mountpoint_changed(server, bucket, bucket_mounts, run_module):
    mounted = bucket_mounts('mount-s3', server, bucket)
    result = run_module('mountkit.aws.io_semantics', {
        'path': mounted.mount_point, 'profile': 'mountpoint_s3', 'version': '1.24.0',
        'operations': ['sync_open', 'reopen_after_close', 'rename_file', 'rename_replace']})
    assert result['failed'] is True
    assert result['mountpoint']['table'] == '1.24'
    failing = sorted(name for name, item in result['outcomes'].items() if not item['pass'])
    # 1.24 invalidates the duplicate handle (EBADF); 1.16 finds the upload completed. 1.19+ answers EEXIST
    # before asking S3 when the destination exists; 1.16 has no rename at all - ENOSYS is in both tables.
    assert failing == ['reopen_after_close'], result['outcomes']
    assert 'reopen_after_close: expected EBADF' in result['msg']


@pytest.mark.parametrize('backend, expected', [('mount-s3', 'NO_EFFECT'), ('s3fs', 'ok')])
def test_empty_dir_compares_the_mount_with_the_bucket(backend, expected, server, bucket, bucket_mounts, run_module):
    mounted = bucket_mounts(backend, server, bucket)
    profile = 'mountpoint_s3' if backend == 'mount-s3' else 's3fs'
    result = run_module('mountkit.aws.io_semantics', dict(CREDENTIALS, path=mounted.mount_point, profile=profile,
                                                          operations=['empty_dir'], bucket=bucket,
                                                          endpoint_url=server.endpoint, probe_dir='probes'))
    assert not result.get('failed'), result.get('msg')
    outcome = result['outcomes']['empty_dir']
    assert outcome['observed'] == expected and outcome['pass'] is True, outcome
    if backend == 'mount-s3':
        assert 'vanishes at a remount' in outcome['detail']
    assert all(key.startswith('probes/') for key in keys(server, bucket))  # s3fs also marks probes/ itself


@pytest.mark.parametrize('backend, empty_survives', [('mount-s3', False), ('s3fs', True)])
def test_empty_directory_after_a_remount(backend, empty_survives, server, bucket, bucket_mounts):
    mounted = bucket_mounts(backend, server, bucket)
    workdir = os.path.join(mounted.mount_point, 'remount-check')
    os.mkdir(workdir)
    pair = io_probe.make_directory_pair(workdir)
    assert io_probe.judge_directory_pair(pair, lambda path: [
        key for key in keys(server, bucket) if key.startswith(os.path.relpath(path, mounted.mount_point) + '/')
    ])['observed'] == ('ok' if empty_survives else 'NO_EFFECT')
    mounted.stop()
    assert not fusehelpers.is_mounted(mounted.mount_point)
    mounted.start()
    assert io_probe.check_directory_pair_after_remount(pair) is empty_survives
    assert os.path.isdir(workdir)


def test_probe_dir_keeps_every_leftover_in_the_named_location(server, bucket, bucket_mounts, run_module):
    client = server.client()
    client.put_object(Bucket=bucket, Key='data/kept.bin', Body=b'k' * 3000)
    before = dict((item['Key'], item['ETag']) for item in client.list_objects_v2(Bucket=bucket)['Contents'])
    mounted = bucket_mounts('mount-s3', server, bucket)
    result = run_module('mountkit.aws.io_semantics', {'path': mounted.mount_point, 'profile': 'mountpoint_s3',
                                                      'probe_dir': 'ops/probes', 'size': '64K'})
    assert not result.get('failed'), result
    assert result['scratch_dir'].startswith(os.path.join(mounted.mount_point, 'ops/probes/.mountkit-probe/'))
    assert result['leftovers'] and result['changed'] is True  # no --allow-delete: files stay, in the location
    after = dict((item['Key'], item['ETag']) for item in client.list_objects_v2(Bucket=bucket)['Contents'])
    assert [key for key in after if key not in before and not key.startswith('ops/probes/')] == []
    assert dict((key, after[key]) for key in before) == before


def test_many_files_open_for_writing_below_any_cap(server, bucket, bucket_mounts, run_module):
    mounted = bucket_mounts('mount-s3', server, bucket, ['--allow-delete'])
    result = run_module('mountkit.aws.io_semantics', {'path': mounted.mount_point, 'profile': 'mountpoint_s3',
                                                      'version': '1.16.2', 'allow_delete': True,
                                                      'operations': ['open_writers'], 'open_writers': 12})
    assert not result.get('failed'), result.get('msg')
    outcome = result['outcomes']['open_writers']
    assert outcome['observed'] == 'ok' and outcome['detail'] == '12 files were open for writing at once'
    assert result['leftovers'] == [] and keys(server, bucket) == []
