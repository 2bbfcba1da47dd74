# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mountkit.aws.s3_handoff on real s3fs and mount-s3 mounts of the local S3 server.

A file written through the mount must reach the bucket intact and an object put through the API must read
back through the mount; everything the check writes stays under its probe directory; a denied upload fails
the check loudly.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import uuid

import pytest


pytestmark = [pytest.mark.integration, pytest.mark.usefixtures('real_fuse')]

PROBE_DIR = 'handoff-probes'
BACKENDS = {
    's3fs': [],
    'mount-s3': [],                           # no --allow-delete: the probe files stay, under PROBE_DIR
    'mount-s3 --allow-delete': ['--allow-delete'],
}


@pytest.fixture(scope='module')
def server(shared_s3_server):
    """Each test makes its own bucket on the module's one server."""
    return shared_s3_server


@pytest.fixture
def bucket(server):
    name = 'mk-handoff-%s' % uuid.uuid4().hex[:8]
    client = server.client()
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key='data/existing.bin', Body=b'e' * 5000)
    return name


def mount(bucket_mounts, backend, server, bucket):
    return bucket_mounts('s3fs' if backend == 's3fs' else 'mount-s3', server, bucket, BACKENDS[backend])


def handoff_args(server, bucket, mount_point, **extra):
    args = dict(path=mount_point, probe_dir=PROBE_DIR, bucket=bucket, endpoint_url=server.endpoint,
                access_key='testing', secret_key='testing', region='us-east-1', profile='', size=200000,
                appear_timeout=30)
    args.update(extra)
    return args


def objects(server, bucket):
    listed = server.client().list_objects_v2(Bucket=bucket).get('Contents', [])
    return dict((item['Key'], (item['Size'], item['ETag'])) for item in listed)


def outside_probe_dir(before, after):
    """Objects added, changed or removed anywhere but under PROBE_DIR/."""
    keys = set(before) | set(after)
    return sorted(key for key in keys if not key.startswith(PROBE_DIR + '/') and before.get(key) != after.get(key))


@pytest.mark.parametrize('backend', sorted(BACKENDS))
def test_handoff_both_ways(backend, server, bucket, bucket_mounts, run_module):
    mounted = mount(bucket_mounts, backend, server, bucket)
    before = objects(server, bucket)
    result = run_module('mountkit.aws.s3_handoff', handoff_args(server, bucket, mounted.mount_point))
    assert not result.get('failed'), result.get('msg')
    to_s3, from_s3 = result['to_s3'], result['from_s3']
    assert to_s3['write'] == 'ok' and to_s3['match'] is True
    assert to_s3['object_bytes'] == 200000 and to_s3['object_sha256'] == to_s3['sha256']
    assert to_s3['key'].startswith(PROBE_DIR + '/') and to_s3['path'].startswith(mounted.mount_point + '/')
    assert from_s3['put'] == 'ok' and from_s3['match'] is True and from_s3['reads'] >= 1
    assert isinstance(from_s3['seconds_to_appear'], float)
    after = objects(server, bucket)
    assert outside_probe_dir(before, after) == []
    if backend == 'mount-s3':
        # Deletes are refused: both files stay, reported, under the probe directory only.
        assert result['changed'] is True
        assert sorted(item['key'] for item in result['leftovers']) == sorted([from_s3['key'], to_s3['key']])
        assert set(item['error'] for item in result['leftovers']) == {'EPERM'}
        assert to_s3['key'] in after and from_s3['key'] in after
    else:
        assert result['leftovers'] == [] and result['changed'] is False
        assert to_s3['key'] not in after and from_s3['key'] not in after


@pytest.mark.parametrize('backend', ['s3fs', 'mount-s3'])
def test_denied_upload_fails_loudly(backend, server, bucket, bucket_mounts, run_module):
    mounted = mount(bucket_mounts, backend, server, bucket)
    server.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17',
        'Statement': [{'Effect': 'Deny', 'Principal': '*', 'Action': 's3:PutObject',
                       'Resource': 'arn:aws:s3:::%s/*' % bucket}],
    }))
    before = objects(server, bucket)
    args = handoff_args(server, bucket, mounted.mount_point, appear_timeout=2)
    result = run_module('mountkit.aws.s3_handoff', args)
    assert result.get('failed') is True, result
    assert result['to_s3']['write'] != 'ok' and result['to_s3']['match'] is not True
    assert result['to_s3']['write'].split(' ')[0] in ('EIO', 'EPERM', 'EACCES'), result['to_s3']
    assert '403' in result['from_s3']['put'] and result['from_s3']['match'] is not True
    assert 'mount to S3: writing' in result['msg'] and 'S3 to mount: PutObject' in result['msg']
    assert outside_probe_dir(before, objects(server, bucket)) == []


def test_check_mode_writes_nothing(server, bucket, bucket_mounts, run_module):
    mounted = mount(bucket_mounts, 's3fs', server, bucket)
    before = objects(server, bucket)
    result = run_module('mountkit.aws.s3_handoff', handoff_args(server, bucket, mounted.mount_point), check=True)
    assert not result.get('failed') and not result['changed'], result
    assert result['to_s3']['write'] is None and result['from_s3']['put'] is None
    assert objects(server, bucket) == before
