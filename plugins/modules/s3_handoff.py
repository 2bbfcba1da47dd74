#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: s3_handoff
short_description: Prove that files hand over between an S3 mount and the S3 API, both ways
version_added: "0.2.0"
description:
  - Checks what teams rely on when one system writes a file on an S3 mount (Mountpoint for Amazon S3 or
    s3fs) and another reads the object through the S3 API, and the other way round.
  - "Mount to API: writes a new file under O(probe_dir) through the mount - open, write, fsync, close, each
    result checked - then reads the object through the S3 API (GetObject) and compares size and SHA-256."
  - "API to mount: puts an object under O(probe_dir) through the S3 API (PutObject), then reads the file
    through the mount until it shows the same size and SHA-256 or O(appear_timeout) passes, and reports how
    many seconds that took (metadata TTLs and caches show here)."
  - Afterwards both files are deleted through the mount. Where the mount refuses deletes (Mountpoint
    without C(--allow-delete)) they stay under O(probe_dir) and are returned in RV(leftovers); nothing is
    ever written outside O(probe_dir).
  - Fails whenever a step fails or a comparison differs, for example when the upload is denied; it never
    passes on a half-done hand-off.
  - Opt-in. It writes to the bucket, so run it only where a probe location is set aside.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  path:
    description:
      - Absolute path where the bucket is mounted (the mount point), showing the bucket at O(bucket_prefix).
    type: path
    required: true
  probe_dir:
    description:
      - Directory below O(path), relative to it, set aside for probes. Both probe files are written in it, and
        it is created when missing.
      - Must not be empty, absolute, or contain C(..).
    type: str
    required: true
  bucket:
    description:
      - The bucket the mount shows.
    type: str
    required: true
  bucket_prefix:
    description:
      - The prefix the bucket is mounted under (C(mount-s3 --prefix)); it must end with C(/). Empty for the
        whole bucket.
    type: str
    default: ''
  size:
    description:
      - Bytes of each probe file.
      - Must be greater than 0.
    type: int
    default: 65536
  appear_timeout:
    description:
      - Seconds to wait for the object put through the S3 API to read back whole through the mount.
      - Must be greater than 0.
    type: float
    default: 60
extends_documentation_fragment:
  - mountkit.aws.probe
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The S3 API is called with the host's credential chain unless connection options say otherwise, which by
    default is the chain the mount itself uses (environment, profile, instance or task role).
attributes:
  check_mode:
    description: In check mode nothing is written; the planned paths and keys are returned.
    support: full
  diff_mode:
    description: There is no diff.
    support: none
  platform:
    description: Linux.
    support: full
    platforms: posix
seealso:
  - module: mountkit.aws.io_semantics
  - module: mountkit.aws.s3_preflight
'''

EXAMPLES = r'''
- name: Files written on the host reach the bucket, and objects put by others reach the host
  mountkit.aws.s3_handoff:
    path: /mnt/s3
    probe_dir: handoff-probes
    bucket: team-data
    region: eu-west-1
  register: handoff

- name: How long an object put through the API took to show on the mount
  ansible.builtin.debug:
    msg: "{{ handoff.from_s3.seconds_to_appear }} s"

- name: Against an S3-compatible endpoint, a mount of the prefix reports/
  mountkit.aws.s3_handoff:
    path: /mnt/reports
    probe_dir: probes
    bucket: scratch
    bucket_prefix: reports/
    endpoint_url: http://127.0.0.1:9000
    access_key: "{{ s3_access_key }}"
    secret_key: "{{ s3_secret_key }}"
'''

RETURN = r'''
to_s3:
  description: The file written through the mount and what the S3 API returned for it.
  returned: always
  type: dict
  sample:
    path: /mnt/s3/handoff-probes/handoff-0f6a4c1e-to-s3.bin
    key: handoff-probes/handoff-0f6a4c1e-to-s3.bin
    bytes: 65536
    sha256: 4c1e...
    write: ok
    object_bytes: 65536
    object_sha256: 4c1e...
    match: true
  contains:
    write:
      description: V(ok), or the errno name and the call that failed (open, write, fsync or close).
      type: str
    match:
      description: Whether the object has the size and SHA-256 of the file written; V(null) when not read.
      type: bool
from_s3:
  description: The object put through the S3 API and how it showed through the mount.
  returned: always
  type: dict
  sample:
    key: handoff-probes/handoff-0f6a4c1e-from-s3.bin
    path: /mnt/s3/handoff-probes/handoff-0f6a4c1e-from-s3.bin
    bytes: 65536
    sha256: 9ab0...
    put: ok
    match: true
    seconds_to_appear: 0.02
    reads: 1
  contains:
    seconds_to_appear:
      description: Seconds from the end of PutObject until the mount read the same bytes; V(null) if never.
      type: float
    last_read:
      description: What the last read through the mount gave when it did not match.
      type: str
leftovers:
  description: Probe files that could not be deleted through the mount, with the error; all under O(probe_dir).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /mnt/s3/handoff-probes/handoff-0f6a4c1e-to-s3.bin
      key: handoff-probes/handoff-0f6a4c1e-to-s3.bin
      error: EPERM
problems:
  description: One item per failed step or comparison.
  returned: always
  type: list
  elements: str
  sample:
    - "mount to S3: fsync failed with EIO: Input/output error; the file did not reach the bucket"
'''

import hashlib
import os
import time
import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.mountkit.aws.plugins.module_utils.aws_preflight import describe_error, preflight_client
from ansible_collections.mountkit.aws.plugins.module_utils.bounded_call import errno_name, run_in_child
from ansible_collections.mountkit.aws.plugins.module_utils.io_probe import write_new_file
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import normalize_path


def relative_probe_dir(value):
    """probe_dir as a normalized relative path; ValueError naming what is wrong."""
    if not value or value.startswith('/'):
        raise ValueError("probe_dir must be a directory relative to path, got '%s'" % (value or ''))
    parts = [part for part in value.split('/') if part not in ('', '.')]
    if not parts or '..' in parts:
        raise ValueError("probe_dir must name a directory below path, without '..', got '%s'" % value)
    return '/'.join(parts)


def validate(params):
    errors = []
    if not params['path'].startswith('/'):
        errors.append("path must be absolute, got '%s'" % params['path'])
    try:
        relative_probe_dir(params['probe_dir'])
    except ValueError as exc:
        errors.append(str(exc))
    if not params['bucket']:
        errors.append('bucket must not be empty')
    prefix = params['bucket_prefix'] or ''
    if prefix and (not prefix.endswith('/') or prefix.startswith('/')):
        errors.append("bucket_prefix must end with '/' and not start with it, got '%s'" % prefix)
    if params['size'] <= 0:
        errors.append('size must be greater than 0, got %s' % params['size'])
    if params['appear_timeout'] <= 0:
        errors.append('appear_timeout must be greater than 0, got %s' % params['appear_timeout'])
    if params['timeout'] <= 0:
        errors.append('timeout must be greater than 0, got %s' % params['timeout'])
    return errors


def _write_in_dir(directory, path, data):
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    write_new_file(path, data)


def _read_digest(path):
    """(bytes read, SHA-256) of the whole file; only these cross back from the child."""
    digest = hashlib.sha256()
    count = 0
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
            count += len(block)
    return count, digest.hexdigest()


def _unlink(path):
    os.unlink(path)


def describe_outcome(outcome, timeout):
    """A failed child call as 'EIO at fsync: Input/output error', or None when it succeeded."""
    if outcome.timed_out:
        return 'ETIMEDOUT: no answer within %gs' % timeout
    if outcome.errno is not None:
        return '%s at %s: %s' % (errno_name(outcome.errno), outcome.step or 'the call', outcome.strerror)
    if outcome.error is not None:
        return outcome.error
    return None


class Handoff(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        self.timeout = params['timeout']
        self.bucket = params['bucket']
        root = normalize_path(params['path'])
        probe_dir = relative_probe_dir(params['probe_dir'])
        self.directory = os.path.join(root, probe_dir)
        name = 'handoff-%s' % uuid.uuid4().hex[:12]
        key_dir = (params['bucket_prefix'] or '') + probe_dir + '/'
        self.to_s3 = dict(path=os.path.join(self.directory, name + '-to-s3.bin'), key=key_dir + name + '-to-s3.bin',
                          bytes=params['size'], sha256=None, write=None, object_bytes=None, object_sha256=None,
                          match=None)
        self.from_s3 = dict(path=os.path.join(self.directory, name + '-from-s3.bin'),
                            key=key_dir + name + '-from-s3.bin', bytes=params['size'], sha256=None, put=None,
                            match=None, seconds_to_appear=None, reads=0, last_read=None)
        self.problems = []
        self.leftovers = []
        self.written = []

    def mount_to_s3(self, client):
        data = os.urandom(self.to_s3['bytes'])
        self.to_s3['sha256'] = hashlib.sha256(data).hexdigest()
        outcome = run_in_child(_write_in_dir, (self.directory, self.to_s3['path'], data), self.timeout)
        failure = describe_outcome(outcome, self.timeout)
        self.written.append(self.to_s3)  # it may exist on the mount even when its upload failed
        if failure:
            self.to_s3['write'] = failure
            self.problems.append('mount to S3: writing %s failed, %s; the file did not reach the bucket'
                                 % (self.to_s3['path'], failure))
            return
        self.to_s3['write'] = 'ok'
        try:
            body = client.get_object(Bucket=self.bucket, Key=self.to_s3['key'])['Body'].read()
        except Exception as exc:  # pylint: disable=broad-except
            self.problems.append('mount to S3: the write, fsync and close succeeded but GetObject of s3://%s/%s '
                                 'failed: %s' % (self.bucket, self.to_s3['key'], describe_error(exc)))
            return
        self.to_s3.update(object_bytes=len(body), object_sha256=hashlib.sha256(body).hexdigest())
        self.to_s3['match'] = (self.to_s3['object_bytes'] == self.to_s3['bytes']
                               and self.to_s3['object_sha256'] == self.to_s3['sha256'])
        if not self.to_s3['match']:
            self.problems.append('mount to S3: s3://%s/%s holds %d bytes (SHA-256 %s) but %d bytes (SHA-256 %s) '
                                 'were written' % (self.bucket, self.to_s3['key'], len(body),
                                                   self.to_s3['object_sha256'], self.to_s3['bytes'],
                                                   self.to_s3['sha256']))

    def s3_to_mount(self, client, appear_timeout):
        data = os.urandom(self.from_s3['bytes'])
        self.from_s3['sha256'] = hashlib.sha256(data).hexdigest()
        try:
            client.put_object(Bucket=self.bucket, Key=self.from_s3['key'], Body=data)
        except Exception as exc:  # pylint: disable=broad-except
            self.from_s3['put'] = describe_error(exc)
            self.problems.append('S3 to mount: PutObject of s3://%s/%s failed: %s'
                                 % (self.bucket, self.from_s3['key'], self.from_s3['put']))
            return
        self.from_s3['put'] = 'ok'
        self.written.append(self.from_s3)
        put_done = time.time()
        deadline = put_done + appear_timeout
        pause = 0.05
        while True:
            outcome = run_in_child(_read_digest, (self.from_s3['path'],), self.timeout)
            self.from_s3['reads'] += 1
            failure = describe_outcome(outcome, self.timeout)
            if failure is None:
                count, digest = outcome.value
                if count == self.from_s3['bytes'] and digest == self.from_s3['sha256']:
                    self.from_s3.update(match=True, seconds_to_appear=round(time.time() - put_done, 3),
                                        last_read=None)
                    return
                self.from_s3['last_read'] = '%d bytes (SHA-256 %s), not the object' % (count, digest)
            else:
                self.from_s3['last_read'] = failure
            if outcome.timed_out or time.time() + pause > deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        self.from_s3['match'] = False
        self.problems.append(
            'S3 to mount: %s did not read back as the object put through the API within %gs (%d read(s); last: %s)'
            % (self.from_s3['path'], appear_timeout, self.from_s3['reads'], self.from_s3['last_read']))

    def clean_up(self):
        for item in self.written:
            outcome = run_in_child(_unlink, (item['path'],), self.timeout)
            if outcome.errno is not None and errno_name(outcome.errno) == 'ENOENT':
                continue
            failure = describe_outcome(outcome, self.timeout)
            if failure:
                error = errno_name(outcome.errno) if outcome.errno is not None else failure
                self.leftovers.append(dict(path=item['path'], key=item['key'], error=error))


def main():
    argument_spec = dict(
        path=dict(type='path', required=True),
        probe_dir=dict(type='str', required=True),
        bucket=dict(type='str', required=True),
        bucket_prefix=dict(type='str', default=''),
        size=dict(type='int', default=65536),
        appear_timeout=dict(type='float', default=60),
        timeout=dict(type='float', default=10),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    errors = validate(module.params)
    if errors:
        module.fail_json(msg='; '.join(errors))
    handoff = Handoff(module)
    result = dict(changed=False, to_s3=handoff.to_s3, from_s3=handoff.from_s3, leftovers=[], problems=[])
    if module.check_mode:
        module.exit_json(msg='check mode: would write %s and put s3://%s/%s'
                             % (handoff.to_s3['path'], handoff.bucket, handoff.from_s3['key']), **result)
    client = preflight_client(module, 's3')
    handoff.mount_to_s3(client)
    handoff.s3_to_mount(client, module.params['appear_timeout'])
    handoff.clean_up()
    result.update(changed=bool(handoff.leftovers), leftovers=handoff.leftovers, problems=handoff.problems)
    left = ''
    if handoff.leftovers:
        left = '; %d probe file(s) left under %s (%s)' % (
            len(handoff.leftovers), handoff.directory, ', '.join(sorted(set(i['error'] for i in handoff.leftovers))))
        module.warn('s3_handoff could not delete its probe files through the mount%s' % left)
    if handoff.problems:
        module.fail_json(msg='hand-off through %s failed: %s%s' % (module.params['path'], ' | '.join(handoff.problems),
                                                                   left), **result)
    module.exit_json(msg='hand-off through %s works both ways: %d bytes reached s3://%s/%s intact; the object put '
                         'through the API read back whole after %ss%s'
                         % (module.params['path'], handoff.to_s3['bytes'], handoff.bucket, handoff.to_s3['key'],
                            handoff.from_s3['seconds_to_appear'], left), **result)


if __name__ == '__main__':
    main()
