#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: s3_preflight
short_description: Check that a bucket and the host's credentials are ready for an S3 mount
version_added: "0.1.0"
description:
  - Checks, before anything is mounted, that an S3 bucket exists, that it is in the expected region, and that the
    credentials can do what Mountpoint for Amazon S3 (C(mount-s3)) needs under the mount prefix.
  - Permissions are proved by trying them rather than by reading policies, so identity policies, bucket policies,
    permission boundaries, SCPs and KMS key policies all count.
  - The tries work on a unique probe key C(<prefix>.mountkit-preflight/<uuid>) under the mount prefix.
    C(s3:ListBucket) is tried with ListObjectsV2 under the prefix, C(s3:PutObject) with a small PutObject,
    C(s3:GetObject) by reading the probe back and comparing the bytes, C(s3:AbortMultipartUpload) with
    CreateMultipartUpload and AbortMultipartUpload, and C(s3:DeleteObject) by deleting the probe.
  - When the probe cannot be written, C(s3:GetObject) and C(s3:AbortMultipartUpload) are tried on the absent probe
    key instead; S3 answers C(NoSuchKey) or C(NoSuchUpload) when the action is allowed and C(AccessDenied) when
    it is not.
  - The probe object is deleted whenever the credentials allow it, also with O(allow_delete=false); whatever
    cannot be cleaned up is returned in RV(leftovers) and warned about.
  - Fails when a problem is found, unless O(fail_on_problems=false).
author:
  - mountkit.aws maintainers (@mountkit)
options:
  bucket:
    description:
      - Name of the bucket to mount.
    type: str
    required: true
  prefix:
    description:
      - The prefix the bucket is mounted under (C(mount-s3 --prefix)); it must end with C(/).
      - Empty for the whole bucket.
    type: str
    default: ''
  region:
    description:
      - The region the bucket is expected in. It is also the region of the S3 client, like C(mount-s3 --region).
      - The E(AWS_REGION) or E(AWS_DEFAULT_REGION) environment variables may also be used.
      - Without a region the bucket's region is returned but not compared.
    type: str
    aliases: [ aws_region ]
  allow_delete:
    description:
      - Whether the mount deletes objects (C(mount-s3 --allow-delete)). Only then is C(s3:DeleteObject) required.
    type: bool
    default: false
  checks:
    description:
      - The checks to run.
      - V(bucket) checks that the bucket exists (HeadBucket); V(region) compares its region with O(region).
      - V(list), V(put), V(get), V(multipart) and V(delete) try C(s3:ListBucket), C(s3:PutObject),
        C(s3:GetObject), C(s3:AbortMultipartUpload) and C(s3:DeleteObject).
    type: list
    elements: str
    choices: [ bucket, region, list, put, get, multipart, delete ]
    default: [ bucket, region, list, put, get, multipart, delete ]
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
  - In check mode only the read-only checks run (HeadBucket, the bucket's region and C(s3:ListBucket)); the write
    checks are returned as skipped.
  - While the checks run, the probe shows up as a C(.mountkit-preflight/) directory in listings of the prefix.
  - On a versioned bucket, removing the probe's versions needs C(s3:DeleteObjectVersion); without it they stay and
    are returned in RV(leftovers).
seealso:
  - name: Mountpoint for Amazon S3 configuration, IAM permissions
    description: The permissions C(mount-s3) needs.
    link: https://github.com/awslabs/mountpoint-s3/blob/main/doc/CONFIGURATION.md
  - module: mountkit.aws.efs_preflight
'''

EXAMPLES = r'''
- name: Check the bucket and the instance role before mounting with mount-s3 --allow-delete
  mountkit.aws.s3_preflight:
    bucket: team-data
    prefix: reports/
    region: eu-west-1
    allow_delete: true

- name: Only collect the findings
  mountkit.aws.s3_preflight:
    bucket: team-data
    region: eu-west-1
    fail_on_problems: false
  register: s3_preflight

- name: Show what the role lacks
  ansible.builtin.debug:
    var: s3_preflight.missing_permissions

- name: Read-only checks against an S3-compatible server
  mountkit.aws.s3_preflight:
    bucket: scratch
    endpoint_url: http://127.0.0.1:9000
    access_key: "{{ s3_access_key }}"
    secret_key: "{{ s3_secret_key }}"
    checks: [bucket, list]
'''

RETURN = r'''
bucket_exists:
  description:
    - Whether the bucket exists.
    - V(null) when it could not be told, for example with rejected credentials or an unreachable endpoint.
  returned: always
  type: bool
  sample: true
bucket_region:
  description: The bucket's region, or V(null) when it could not be read.
  returned: always
  type: str
  sample: eu-west-1
region_matches:
  description: Whether the bucket is in O(region); V(null) when that was not compared.
  returned: always
  type: bool
  sample: true
probe_key:
  description: The key the write checks used.
  returned: always
  type: str
  sample: reports/.mountkit-preflight/5f0c1e9d3a7b4c2e8d6f1a0b9c8d7e6f
permissions:
  description:
    - For each IAM action Mountpoint needs, what the try showed.
    - V(status) is V(ok), V(denied), V(error) or V(skipped); V(detail) says what was tried and what S3 answered;
      V(required) says whether the mount needs the action.
  returned: always
  type: dict
  sample:
    "s3:ListBucket": {"status": "ok", "detail": "ListObjectsV2 under 'reports/' succeeded", "required": true}
    "s3:GetObject": {"status": "denied", "detail": "GetObject answered AccessDenied: Access Denied", "required": true}
missing_permissions:
  description: The required IAM actions that were denied.
  returned: always
  type: list
  elements: str
  sample: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"]
problems:
  description: What stops the mount from working, each with what to do about it.
  returned: always
  type: list
  elements: str
  sample:
    - "s3:GetObject is denied on arn:aws:s3:::team-data/reports/* (GetObject answered AccessDenied: Access Denied):
      allow it for the identity the mount uses, otherwise reading files fails with 'Input/output error'"
leftovers:
  description: What the checks created but could not remove.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(object), V(object_version), V(delete_marker) or V(multipart_upload).
      type: str
    key:
      description: The object key.
      type: str
    id:
      description: The version or upload ID, V(null) for a plain object.
      type: str
  sample: [{"kind": "object", "key": "reports/.mountkit-preflight/5f0c1e9d3a7b4c2e8d6f1a0b9c8d7e6f", "id": null}]
'''

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.mountkit.aws.plugins.module_utils.aws_preflight import (
    CREDENTIALS,
    DENIED,
    NOT_FOUND,
    UNREACHABLE,
    aws_errors,
    describe_error,
    error_headers,
    error_kind,
    exit_with_result,
    partition,
    preflight_client,
)

ALL_CHECKS = ['bucket', 'region', 'list', 'put', 'get', 'multipart', 'delete']
WRITE_CHECKS = ('put', 'get', 'multipart', 'delete')

# check name -> IAM action, in the order of Mountpoint's documented minimal policy.
ACTIONS = (
    ('list', 's3:ListBucket'),
    ('get', 's3:GetObject'),
    ('put', 's3:PutObject'),
    ('multipart', 's3:AbortMultipartUpload'),
    ('delete', 's3:DeleteObject'),
)

# What a mount-s3 mount does without each action, so a problem names the symptom the operator would see.
CONSEQUENCES = {
    's3:ListBucket': "mount-s3 cannot mount the bucket and directory listings fail",
    's3:GetObject': "reading files fails with 'Input/output error'",
    's3:PutObject': "writing files fails with 'Input/output error'",
    's3:AbortMultipartUpload': "failed uploads leave incomplete multipart uploads behind, which are billed",
    's3:DeleteObject': "deleting files fails",
}

PROBE_DIR = '.mountkit-preflight/'


class Stop(Exception):
    """Raised when no further S3 call can tell anything (bad credentials, no endpoint, no bucket)."""


class S3Preflight(object):

    def __init__(self, module):
        self.module = module
        params = module.params
        self.bucket = params['bucket']
        self.prefix = params['prefix'] or ''
        self.expected_region = module.region or None
        self.allow_delete = params['allow_delete']
        self.checks = set(params['checks'])
        self.client = preflight_client(module, 's3')

        token = uuid.uuid4().hex
        self.key = self.prefix + PROBE_DIR + token
        self.body = ('mountkit.aws s3_preflight probe %s\n' % token).encode('ascii')
        self.probe_written = False
        self.probe_version = None
        self.list_response = None  # (response, exception) of a ListObjectsV2 already made

        self.bucket_exists = None
        self.bucket_region = None
        self.region_matches = None
        self.problems = []
        self.leftovers = []
        self.permissions = {}
        for check, action in ACTIONS:
            required = self.allow_delete if action == 's3:DeleteObject' else True
            self.permissions[action] = dict(status='skipped', detail='not in checks', required=required)

    # --- helpers ---------------------------------------------------------------------------------------------

    @property
    def uri(self):
        return 's3://%s/%s' % (self.bucket, self.prefix)

    def arn(self, action):
        base = 'arn:%s:s3:::%s' % (partition(self.bucket_region or self.expected_region), self.bucket)
        return base if action == 's3:ListBucket' else '%s/%s*' % (base, self.prefix)

    def call(self, operation, **kwargs):
        """Run one S3 operation; returns (response, None) or (None, exception)."""
        try:
            return getattr(self.client, operation)(**kwargs), None
        except aws_errors() as e:
            return None, e

    def stop_on(self, operation, exc):
        """Turn an error that makes every other call pointless into a problem, and stop."""
        kind = error_kind(exc)
        if kind == CREDENTIALS:
            self.problems.append(
                'The credentials were rejected (%s answered %s): fix access_key/secret_key/session_token, the '
                'profile or the instance role; every request of the mount would fail the same way'
                % (operation, describe_error(exc)))
        elif kind == UNREACHABLE:
            self.problems.append(
                'S3 is unreachable at %s (%s): check endpoint_url, DNS, the proxy settings and the route to S3 '
                '(S3 gateway endpoint or NAT)' % (self.client.meta.endpoint_url, describe_error(exc)))
        else:
            self.problems.append('%s on bucket %s failed (%s): nothing else could be checked'
                                 % (operation, self.bucket, describe_error(exc)))
        raise Stop(describe_error(exc))

    def record(self, check, status, detail):
        action = dict(ACTIONS)[check]
        if check in self.checks:
            self.permissions[action].update(status=status, detail=detail)

    def record_error(self, check, operation, exc):
        """Record a failed try: denied, or an error; bad credentials and no endpoint stop everything."""
        kind = error_kind(exc)
        if kind in (CREDENTIALS, UNREACHABLE):
            self.stop_on(operation, exc)
        status = 'denied' if kind == DENIED else 'error'
        self.record(check, status, '%s answered %s' % (operation, describe_error(exc)))

    # --- checks ----------------------------------------------------------------------------------------------

    def list_prefix(self):
        if self.list_response is None:
            # Like mount-s3 listing the mount's root: the prefix with '/' as delimiter.
            self.list_response = self.call('list_objects_v2', Bucket=self.bucket, Prefix=self.prefix,
                                           Delimiter='/', MaxKeys=1)
        return self.list_response

    def check_bucket(self):
        operation = 'HeadBucket'
        response, exc = self.call('head_bucket', Bucket=self.bucket)
        if exc is None:
            self.bucket_exists = True
            headers = response.get('ResponseMetadata', {}).get('HTTPHeaders', {})
            self.bucket_region = response.get('BucketRegion') or headers.get('x-amz-bucket-region')
            return
        # AWS names the bucket's region even on a 403 or a redirect.
        self.bucket_region = error_headers(exc).get('x-amz-bucket-region')
        kind = error_kind(exc)
        if kind == DENIED:
            # A HEAD error has no body, so a 403 does not say why. ListObjectsV2, authorized by the same
            # s3:ListBucket, answers with a code (AccessDenied, InvalidAccessKeyId, ...).
            operation = 'ListObjectsV2'
            response, exc = self.list_prefix()
            if exc is None:
                self.bucket_exists = True
                return
            kind = error_kind(exc)
            if kind == DENIED:
                self.bucket_exists = True  # S3 answers 403 rather than 404 only for buckets that exist
                return
        if kind == NOT_FOUND:
            self.bucket_exists = False
            where = ' in region %s' % self.expected_region if self.expected_region else ''
            self.problems.append(
                "Bucket %s does not exist%s: fix the bucket name or create the bucket; mount-s3 refuses to mount "
                "a bucket that does not exist" % (self.bucket, where))
            raise Stop('the bucket does not exist')
        if self.bucket_region:
            self.bucket_exists = True  # a redirect to the bucket's region
            return
        self.stop_on(operation, exc)

    def check_region(self):
        if 'region' not in self.checks:
            return
        detail = None
        if self.bucket_region is None:
            response, exc = self.call('get_bucket_location', Bucket=self.bucket)
            if exc is None:
                location = response.get('LocationConstraint') or 'us-east-1'
                self.bucket_region = 'eu-west-1' if location == 'EU' else location
            else:
                detail = 'GetBucketLocation answered %s' % describe_error(exc)
        if not self.expected_region:
            return
        if self.bucket_region is None:
            self.module.warn("The region of bucket %s could not be read (%s), so it was not compared with %s"
                             % (self.bucket, detail, self.expected_region))
            return
        self.region_matches = self.bucket_region == self.expected_region
        if not self.region_matches:
            self.problems.append(
                "Bucket %s is in %s, not in %s: set the region to %s (mount-s3 --region %s; s3fs endpoint=%s); "
                "with the wrong region S3 redirects or refuses the mount's requests"
                % (self.bucket, self.bucket_region, self.expected_region, self.bucket_region,
                   self.bucket_region, self.bucket_region))

    def check_list(self):
        response, exc = self.list_prefix()
        if exc is None:
            self.record('list', 'ok', "ListObjectsV2 under '%s' succeeded" % self.prefix)
        else:
            self.record_error('list', 'ListObjectsV2', exc)

    def check_put(self):
        response, exc = self.call('put_object', Bucket=self.bucket, Key=self.key, Body=self.body)
        if exc is None:
            self.probe_written = True
            self.probe_version = response.get('VersionId')
            self.record('put', 'ok', 'PutObject wrote %d bytes to %s' % (len(self.body), self.key))
        else:
            self.record_error('put', 'PutObject', exc)

    def check_get(self):
        response, exc = self.call('get_object', Bucket=self.bucket, Key=self.key)
        if exc is None:
            data = response['Body'].read()
            if not self.probe_written or data == self.body:
                self.record('get', 'ok', 'GetObject read the probe back unchanged')
            else:
                self.record('get', 'error', 'GetObject returned %d bytes that differ from the %d written; something '
                                            'between the host and S3 alters objects' % (len(data), len(self.body)))
            return
        if not self.probe_written and error_kind(exc) == NOT_FOUND:
            self.record('get', 'ok', 'allowed: GetObject of the absent probe key answered %s' % describe_error(exc))
            return
        if (not self.probe_written and error_kind(exc) == DENIED
                and self.permissions['s3:ListBucket']['status'] != 'ok'):
            # Without s3:ListBucket, S3 answers AccessDenied for every absent key, allowed to read or not.
            self.record('get', 'error', 'cannot tell: GetObject of the absent probe key answered %s, which S3 also '
                                        'answers when s3:ListBucket is missing' % describe_error(exc))
            return
        self.record_error('get', 'GetObject', exc)

    def check_multipart(self):
        response, exc = self.call('create_multipart_upload', Bucket=self.bucket, Key=self.key)
        if exc is None:
            upload_id = response['UploadId']
            response, exc = self.call('abort_multipart_upload', Bucket=self.bucket, Key=self.key, UploadId=upload_id)
            if exc is None:
                self.record('multipart', 'ok', 'CreateMultipartUpload and AbortMultipartUpload succeeded')
                return
            self.leftovers.append(dict(kind='multipart_upload', key=self.key, id=upload_id))
            self.record_error('multipart', 'AbortMultipartUpload', exc)
            return
        if error_kind(exc) in (CREDENTIALS, UNREACHABLE):
            self.stop_on('CreateMultipartUpload', exc)
        create_error = describe_error(exc)
        if self.permissions['s3:PutObject']['status'] == 'ok':
            # mount-s3 uploads every file as a multipart upload, so this breaks writes even though PutObject works.
            self.problems.append(
                'CreateMultipartUpload under %s is refused (%s) although PutObject is allowed: mount-s3 uploads files '
                'as multipart uploads, so writing files fails; check the conditions of the policies (for example on '
                's3:x-amz-server-side-encryption)' % (self.uri, create_error))
        # With no upload of its own, abort one that does not exist: NoSuchUpload means the action is allowed.
        response, exc = self.call('abort_multipart_upload', Bucket=self.bucket, Key=self.key,
                                  UploadId='mountkit-preflight-%s' % uuid.uuid4().hex)
        if exc is None or error_kind(exc) == NOT_FOUND:
            answer = describe_error(exc) if exc is not None else 'success'
            self.record('multipart', 'ok', 'allowed: AbortMultipartUpload of an unknown upload answered %s '
                                           '(CreateMultipartUpload answered %s)' % (answer, create_error))
            return
        self.record_error('multipart', 'AbortMultipartUpload', exc)

    def check_delete(self):
        """Try s3:DeleteObject and remove the probe; the permission counts only when 'delete' is checked."""
        if not self.probe_written and not (self.allow_delete and 'delete' in self.checks):
            if 'delete' in self.checks:
                self.record('delete', 'skipped', 'not required without allow_delete, and no probe to remove')
            return
        response, exc = self.call('delete_object', Bucket=self.bucket, Key=self.key)
        if exc is not None:
            if self.probe_written:
                self.leftovers.append(dict(kind='object', key=self.key, id=self.probe_version))
            self.record_error('delete', 'DeleteObject', exc)
            return
        what = 'deleted the probe' if self.probe_written else 'deleting the absent probe key succeeded'
        self.record('delete', 'ok', 'DeleteObject %s' % what)
        # On a versioned bucket the delete only added a delete marker; remove it and the probe's version too.
        versions = []
        if self.probe_version is not None:
            versions.append(('object_version', self.probe_version))
        if response.get('DeleteMarker') and response.get('VersionId') is not None:
            versions.append(('delete_marker', response['VersionId']))
        for kind, version in versions:
            response, exc = self.call('delete_object', Bucket=self.bucket, Key=self.key, VersionId=version)
            if exc is not None:
                self.leftovers.append(dict(kind=kind, key=self.key, id=version))

    def run(self):
        try:
            if self.checks & set(['bucket', 'region']):
                self.check_bucket()
            self.check_region()
            if self.bucket_region and self.bucket_region != self.client.meta.region_name:
                # Sign the probes for the bucket's own region instead of relying on redirects.
                self.client = preflight_client(self.module, 's3', region=self.bucket_region)
            if 'list' in self.checks:
                self.check_list()
            if self.module.check_mode:
                for check, action in ACTIONS:
                    if check in WRITE_CHECKS and check in self.checks:
                        self.record(check, 'skipped', 'check mode: write checks are not run')
            else:
                if 'put' in self.checks:
                    self.check_put()
                if 'get' in self.checks:
                    self.check_get()
                if 'multipart' in self.checks:
                    self.check_multipart()
                self.check_delete()
        except Stop as e:
            for check, action in ACTIONS:
                permission = self.permissions[action]
                untouched = permission['status'] == 'skipped' and permission['detail'] == 'not in checks'
                if check in self.checks and untouched:
                    permission['detail'] = 'not tried: %s' % e
        return self.report()

    def report(self):
        missing = []
        for check, action in ACTIONS:
            permission = self.permissions[action]
            if not permission['required']:
                continue
            if permission['status'] == 'denied':
                missing.append(action)
                problem = ('%s is denied on %s (%s): allow it for the identity the mount uses, otherwise %s'
                           % (action, self.arn(action), permission['detail'], CONSEQUENCES[action]))
                if 'kms:' in permission['detail'].lower():
                    problem += ('; the denial comes from KMS, so the key policy must also allow kms:Decrypt '
                                '(and kms:GenerateDataKey to write)')
                self.problems.append(problem)
            elif permission['status'] == 'error':
                self.problems.append('%s could not be verified on %s: %s'
                                     % (action, self.arn(action), permission['detail']))
        for leftover in self.leftovers:
            if leftover['kind'] == 'multipart_upload':
                how = 'abort it (aws s3api abort-multipart-upload --bucket %s --key %s --upload-id %s)' % (
                    self.bucket, leftover['key'], leftover['id'])
            elif leftover['id'] is None:
                how = 'delete it (aws s3 rm s3://%s/%s)' % (self.bucket, leftover['key'])
            else:
                how = 'delete it (aws s3api delete-object --bucket %s --key %s --version-id %s)' % (
                    self.bucket, leftover['key'], leftover['id'])
            self.module.warn('The preflight could not remove its %s s3://%s/%s%s: %s'
                             % (leftover['kind'].replace('_', ' '), self.bucket, leftover['key'],
                                ' (%s)' % leftover['id'] if leftover['id'] else '', how))

        if self.problems:
            msg = '%d problem(s) with %s: %s' % (len(self.problems), self.uri, ' | '.join(self.problems))
        else:
            msg = '%s is ready to be mounted' % self.uri
            if self.module.check_mode:
                msg += ' as far as the read-only checks show (check mode: write checks skipped)'
        return dict(
            changed=bool(self.leftovers),
            msg=msg,
            bucket_exists=self.bucket_exists,
            bucket_region=self.bucket_region,
            region_matches=self.region_matches,
            probe_key=self.key,
            permissions=self.permissions,
            missing_permissions=missing,
            problems=self.problems,
            leftovers=self.leftovers,
        )


def main():
    argument_spec = dict(
        bucket=dict(type='str', required=True),
        prefix=dict(type='str', default=''),
        allow_delete=dict(type='bool', default=False),
        checks=dict(type='list', elements='str', choices=ALL_CHECKS, default=ALL_CHECKS),
        fail_on_problems=dict(type='bool', default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    prefix = module.params['prefix'] or ''
    if prefix and not prefix.endswith('/'):
        module.fail_json(msg="prefix must end with '/', got %r" % prefix)
    if prefix.startswith('/'):
        module.fail_json(msg="prefix must not start with '/' (S3 keys have no leading slash), got %r" % prefix)
    if not module.params['bucket']:
        module.fail_json(msg='bucket must not be empty')

    exit_with_result(module, S3Preflight(module).run())


if __name__ == '__main__':
    main()
