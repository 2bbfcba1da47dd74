# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input is rejected before anything on the host changes, with a message that names the variable.

Role cases apply one role to the disposable container host (hostbed.py) with the case's variables as
``-e @vars.json``; the host's state (fstab, fuse.conf, systemd units, packages, credential trees, mounts)
is recorded before and after each run and must be identical. Module cases run the module on localhost;
the directory or bucket they point at must be unchanged afterwards.

All runs of a kind start at once in one module-scoped fixture (Ansible's start-up dominates); each test
then checks its own case.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

import hostbed

ROOT = hostbed.ROOT
SECRET = 'mk:Canary/Secret+Colon7'
KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0000-4000-8000-000000000000'
EFS_ID = 'fs-0123456789abcdef0'
# Any .deb URL makes amazon-efs-utils "installable", so the efs helper is chosen; nothing is fetched before
# validation ends.
EFS_UTILS_DEB = 'https://packages.example.invalid/amazon-efs-utils_2.4.1-1_amd64.deb'
# The arg-spec check of a role lists what is allowed after this.
SUPPORTED = 'Supported parameters include: '


def s3fs(**keys):
    mount = {'bucket': 'mk-bad-input', 'path': '/mnt/bad/s3fs'}
    mount.update(keys)
    return mount


def mountpoint(**keys):
    mount = {'bucket': 'mk-bad-input', 'path': '/mnt/bad/mountpoint'}
    mount.update(keys)
    return mount


def efs(**keys):
    mount = {'file_system_id': EFS_ID, 'path': '/mnt/bad/efs', 'mount_target_ip': '127.0.0.1'}
    mount.update(keys)
    return mount


class Case(object):
    """One bad input: the role (or module) it goes to, the variables, and what the message must say."""

    def __init__(self, case_id, target, variables, expect):
        self.id = case_id
        self.target = target
        self.variables = variables
        self.expect = expect

    def param(self):
        return pytest.param(self, id=self.id)


ROLE_CASES = [
    # --- s3fs ---------------------------------------------------------------------------------------
    Case('s3fs-relative-path', 's3fs', {'s3fs_mounts': [s3fs(path='mnt/media')]},
         ["s3fs_mounts[0].path must be absolute, got 'mnt/media'"]),
    Case('s3fs-same-path-twice', 's3fs', {'s3fs_mounts': [s3fs(), s3fs(bucket='mk-other')]},
         ["s3fs_mounts[1].path '/mnt/bad/s3fs' is already s3fs_mounts[0].path; every mount needs its own path"]),
    Case('s3fs-nested-path', 's3fs', {'s3fs_mounts': [s3fs(), s3fs(path='/mnt/bad/s3fs/inner')]},
         ["s3fs_mounts[1].path '/mnt/bad/s3fs/inner' and s3fs_mounts[0].path '/mnt/bad/s3fs' lie inside each other",
          'mount points must not be nested']),
    Case('s3fs-bucket-uppercase', 's3fs', {'s3fs_mounts': [s3fs(bucket='MediaBucket')]},
         ["s3fs_mounts[0].bucket must be 3-63 lowercase letters, digits, '.' or '-'", "got 'MediaBucket'"]),
    Case('s3fs-bucket-underscore', 's3fs', {'s3fs_mounts': [s3fs(bucket='media_bucket')]},
         ["s3fs_mounts[0].bucket must be 3-63 lowercase letters", "got 'media_bucket'"]),
    Case('s3fs-bucket-2-chars', 's3fs', {'s3fs_mounts': [s3fs(bucket='ab')]},
         ["s3fs_mounts[0].bucket must be 3-63 lowercase letters", "got 'ab'"]),
    Case('s3fs-bucket-64-chars', 's3fs', {'s3fs_mounts': [s3fs(bucket='b' * 64)]},
         ["s3fs_mounts[0].bucket must be 3-63 lowercase letters", "got '%s'" % ('b' * 64)]),
    Case('s3fs-prefix-without-slash', 's3fs', {'s3fs_mounts': [s3fs(prefix='uploads')]},
         ["s3fs_mounts[0].prefix must end with '/', got 'uploads'"]),
    Case('s3fs-secret-with-colon', 's3fs',
         {'s3fs_mounts': [s3fs(aws_access_key_id='AKIAMOUNTKITBADINPUT', aws_secret_access_key=SECRET)]},
         ["s3fs_mounts[0].aws_secret_access_key must not contain whitespace or ':' (value not shown)"]),
    Case('s3fs-relative-cache-dir', 's3fs', {'s3fs_mounts': [s3fs(cache_dir='var/cache/s3fs')]},
         ["s3fs_mounts[0].cache_dir must be absolute, got 'var/cache/s3fs'"]),
    Case('s3fs-unknown-key', 's3fs', {'s3fs_mounts': [s3fs(cache_directory='/var/cache/s3fs')]},
         ['s3fs_mounts.cache_directory', SUPPORTED, 'cache_dir']),
    Case('s3fs-option-set-by-role', 's3fs', {'s3fs_mounts': [s3fs(options=['allow_other'])]},
         ["s3fs_mounts[0].options[0] 'allow_other' is set by the role; use the mount's allow_other instead"]),
    Case('s3fs-retries-zero', 's3fs', {'s3fs_mounts': [s3fs()], 's3fs_retries': 0},
         ["s3fs_retries must be a whole number between 1 and 10, got '0'"]),
    Case('s3fs-verify-timeout-zero', 's3fs', {'s3fs_mounts': [s3fs()], 's3fs_verify_timeout': 0},
         ["s3fs_verify_timeout must be a whole number between 1 and 600, got '0'"]),
    Case('s3fs-unknown-state', 's3fs', {'s3fs_mounts': [s3fs(state='enabled')]},
         ['value of state must be one of: mounted, present, absent, got: enabled found in s3fs_mounts']),
    Case('s3fs-unknown-owner', 's3fs', {'s3fs_mounts': [s3fs(owner='mk-no-such-user')]},
         ["s3fs_mounts[0].owner 'mk-no-such-user' is not a user on this host; create it first or give a number"]),
    Case('s3fs-cache-dir-shared-by-one-bucket', 's3fs',
         {'s3fs_mounts': [s3fs(cache_dir='/var/cache/s3fs'), s3fs(path='/mnt/bad/s3fs2', cache_dir='/var/cache/s3fs')]},
         ['s3fs_mounts[1] and s3fs_mounts[0] mount bucket mk-bad-input with the same cache_dir /var/cache/s3fs']),
    Case('s3fs-imds-version-unknown', 's3fs', {'s3fs_mounts': [s3fs()], 's3fs_imds_version': 'v3'},
         ['value of s3fs_imds_version must be one of: auto, v1, v2, got: v3']),
    Case('s3fs-verify-always-not-bool', 's3fs', {'s3fs_mounts': [s3fs()], 's3fs_verify_always': 'sometimes'},
         ['s3fs_verify_always', 'sometimes']),
    # The image's s3fs is Debian 12's 1.90, which reads an instance role without an IMDSv2 token.
    Case('s3fs-instance-role-on-imdsv2-with-s3fs-1.90', 's3fs', {'s3fs_mounts': [s3fs()], 's3fs_imds_version': 'v2'},
         ['s3fs_mounts[0] uses the instance role (iam_role), but the installed s3fs 1.90 cannot read it on this '
          'IMDSv2-only host', 'install s3fs 1.91 or later (s3fs_package_url), allow IMDSv1 on the instance '
          '(HttpTokens=optional), or give the mount access keys']),
    # --- mountpoint_s3 ------------------------------------------------------------------------------
    Case('mountpoint_s3-relative-path', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(path='mnt/s3')]},
         ["mountpoint_s3_mounts[0].path must be absolute, got 'mnt/s3'"]),
    Case('mountpoint_s3-same-path-twice', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(), mountpoint(prefix='other/')]},
         ["mountpoint_s3_mounts[1].path '/mnt/bad/mountpoint' is already mountpoint_s3_mounts[0].path; every mount "
          "needs its own path"]),
    Case('mountpoint_s3-nested-path', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(), mountpoint(path='/mnt/bad/mountpoint/inner')]},
         ["mountpoint_s3_mounts[1].path '/mnt/bad/mountpoint/inner' and mountpoint_s3_mounts[0].path "
          "'/mnt/bad/mountpoint' lie inside each other", 'mount points must not be nested']),
    Case('mountpoint_s3-bucket-uppercase', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(bucket='Logs')]},
         ["mountpoint_s3_mounts[0].bucket must be 3-63 lowercase letters, digits, '.' or '-'", "got 'Logs'"]),
    Case('mountpoint_s3-bucket-underscore', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(bucket='team_logs')]},
         ["mountpoint_s3_mounts[0].bucket must be 3-63 lowercase letters", "got 'team_logs'"]),
    Case('mountpoint_s3-bucket-2-chars', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(bucket='ab')]},
         ["mountpoint_s3_mounts[0].bucket must be 3-63 lowercase letters", "got 'ab'"]),
    Case('mountpoint_s3-bucket-64-chars', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(bucket='b' * 64)]},
         ["mountpoint_s3_mounts[0].bucket must be 3-63 lowercase letters", "got '%s'" % ('b' * 64)]),
    Case('mountpoint_s3-prefix-without-slash', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(prefix='logs')]},
         ["mountpoint_s3_mounts[0].prefix must end with '/', got 'logs'"]),
    Case('mountpoint_s3-allow-other-with-allow-root', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(allow_other=True, allow_root=True)]},
         ['mountpoint_s3_mounts[0]: allow_other and allow_root are mutually exclusive', 'set at most one']),
    Case('mountpoint_s3-kms-key-without-sse', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(sse_kms_key_id=KMS_KEY)]},
         ["mountpoint_s3_mounts[0].sse_kms_key_id needs sse 'aws:kms' or 'aws:kms:dsse', got sse ''"]),
    Case('mountpoint_s3-read-only-with-allow-delete', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(read_only=True, allow_delete=True)]},
         ['mountpoint_s3_mounts[0]: read_only cannot be combined with allow_delete']),
    Case('mountpoint_s3-relative-cache', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(cache='cache/s3')]},
         ["mountpoint_s3_mounts[0].cache must be absolute, got 'cache/s3'"]),
    Case('mountpoint_s3-unknown-key', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(readonly=True)]},
         ['mountpoint_s3_mounts.readonly', SUPPORTED, 'read_only']),
    Case('mountpoint_s3-unquoted-file-mode', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(file_mode=420)]},
         ["mountpoint_s3_mounts[0].file_mode must be an octal mode such as '0750' (quoted in YAML), got '420'"]),
    Case('mountpoint_s3-version-not-semver', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint()], 'mountpoint_s3_version': 'v1.16'},
         ["mountpoint_s3_version must be 'latest' or X.Y.Z, got 'v1.16'"]),
    Case('mountpoint_s3-short-gpg-fingerprint', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint()], 'mountpoint_s3_gpg_fingerprints': ['6F1C3B3AEF4B030B']},
         ["mountpoint_s3_gpg_fingerprints[0] must be a 40-digit hex OpenPGP fingerprint (spaces allowed), "
          "got '6F1C3B3AEF4B030B'"]),
    Case('mountpoint_s3-unknown-install-method', 'mountpoint_s3', {'mountpoint_s3_install_method': 'pip'},
         ['value of mountpoint_s3_install_method must be one of: auto, dnf, url, package, got: pip']),
    # --- docker_propagation and fuse ----------------------------------------------------------------
    Case('docker_propagation-relative-path', 'docker_propagation', {'docker_propagation_shared_paths': ['srv/shared']},
         ["docker_propagation_shared_paths[0] must be an absolute, normalised directory", "got 'srv/shared'"]),
    Case('docker_propagation-nested-path', 'docker_propagation',
         {'docker_propagation_shared_paths': ['/srv/shared', '/srv/shared/s3']},
         ["docker_propagation_shared_paths[1] '/srv/shared/s3' lies under '/srv/shared'", 'list only the parent']),
    Case('docker_propagation-service-without-suffix', 'docker_propagation', {'docker_propagation_service': 'docker'},
         ["docker_propagation_service must be a systemd service name ending in '.service', got 'docker'"]),
    Case('docker_propagation-timeout-zero', 'docker_propagation', {'docker_propagation_timeout': 0},
         ['docker_propagation_timeout must be a positive number of seconds, got 0']),
    Case('docker_propagation-restart-unknown', 'docker_propagation', {'docker_propagation_restart': 'soon'},
         ['docker_propagation_restart', 'now, when_idle, never', 'soon']),
    Case('docker_propagation-drain-timeout-negative', 'docker_propagation', {'docker_propagation_ecs_drain_timeout': -1},
         ['docker_propagation_ecs_drain_timeout must be 0 or more seconds, got -1']),
    Case('docker_propagation-introspection-url-not-http', 'docker_propagation',
         {'docker_propagation_ecs_introspection_url': 'localhost:51678/v1/metadata'},
         ["docker_propagation_ecs_introspection_url must be an http:// or https:// URL, got 'localhost:51678/v1/metadata'"]),
    Case('docker_propagation-daemon-config-relative', 'docker_propagation',
         {'docker_propagation_daemon_config': 'daemon.json'},
         ["docker_propagation_daemon_config must be an absolute file path, got 'daemon.json'"]),
    Case('docker_propagation-mount-path-relative', 'docker_propagation', {'docker_propagation_mount_paths': ['srv/s3']},
         ["docker_propagation_mount_paths[0] must be an absolute, normalised mount point", "got 'srv/s3'"]),
    Case('fuse-mount-max-zero', 'fuse', {'fuse_mount_max': 0},
         ['fuse_mount_max must be a positive integer or null, got 0']),
    Case('fuse-mount-max-negative', 'fuse', {'fuse_mount_max': -3},
         ['fuse_mount_max must be a positive integer or null, got -3']),
    Case('fuse-mount-max-not-a-number', 'fuse', {'fuse_mount_max': 'many'},
         ["argument 'fuse_mount_max' is of type str and we were unable to convert to int"]),
    Case('mountpoint_s3-verify-timeout-zero', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint()], 'mountpoint_s3_verify_timeout': 0},
         ["mountpoint_s3_verify_timeout must be a whole number between 1 and 600, got '0'"]),
    Case('mountpoint_s3-restart-sec-negative', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint()], 'mountpoint_s3_restart_sec': -1},
         ["mountpoint_s3_restart_sec must be a whole number between 0 and 3600, got '-1'"]),
    Case('mountpoint_s3-negative-uid', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(uid=-1)]},
         ["mountpoint_s3_mounts[0].uid must be a whole number between 1 and 4294967294, got '-1'"]),
    Case('mountpoint_s3-negative-gid', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(gid=-5)]},
         ["mountpoint_s3_mounts[0].gid must be a whole number between 1 and 4294967294, got '-5'"]),
    Case('mountpoint_s3-cache-size-zero', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(cache='/var/cache/mk-bad', max_cache_size=0)]},
         ["mountpoint_s3_mounts[0].max_cache_size must be a whole number 1 or more, got '0'"]),
    # Options of Mountpoint 1.18-1.24 and the combinations Mountpoint refuses.
    Case('mountpoint_s3-option-newer-than-pinned-version', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(memory_target=2048)], 'mountpoint_s3_version': '1.22.3'},
         ['mountpoint_s3_mounts[0].memory_target (--memory-target) needs Mountpoint 1.24.0 or later, but '
          'mountpoint_s3_version pins 1.22.3']),
    Case('mountpoint_s3-crc64nvme-on-old-version', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(upload_checksums='crc64nvme')], 'mountpoint_s3_version': '1.16.2'},
         ['mountpoint_s3_mounts[0].upload_checksums (--upload-checksums crc64nvme) needs Mountpoint 1.23.0']),
    Case('mountpoint_s3-s3-uri-with-prefix', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(bucket='s3://mk-bad-input/a/', prefix='b/')]},
         ['mountpoint_s3_mounts[0].prefix cannot be combined with an s3:// URI in bucket']),
    Case('mountpoint_s3-incremental-upload-general-purpose', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(incremental_upload=True)]},
         ["mountpoint_s3_mounts[0].incremental_upload needs an S3 Express One Zone directory bucket; 'mk-bad-input' "
          "is a general purpose bucket"]),
    Case('mountpoint_s3-part-size-with-read-part-size', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(part_size=8388608, read_part_size=8388608)]},
         ['mountpoint_s3_mounts[0].part_size cannot be combined with read_part_size']),
    Case('mountpoint_s3-no-log-with-debug', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(no_log=True, debug=True)]},
         ['mountpoint_s3_mounts[0].no_log cannot be combined with debug']),
    Case('mountpoint_s3-otlp-interval-without-endpoint', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(otlp_export_interval=30)]},
         ['mountpoint_s3_mounts[0].otlp_export_interval needs otlp_endpoint']),
    Case('mountpoint_s3-memory-target-too-small', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(memory_target=100)]},
         ["mountpoint_s3_mounts[0].memory_target must be a whole number 512 or more, got '100'"]),
    Case('mountpoint_s3-expected-owner-not-an-account', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(expected_bucket_owner='team-a')]},
         ["mountpoint_s3_mounts[0].expected_bucket_owner must be a 12-digit AWS account id, got 'team-a'"]),
    Case('mountpoint_s3-bad-interface', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(bind=['eth0', 'no such interface'])]},
         ["mountpoint_s3_mounts[0].bind[1] must be a network interface name"]),
    Case('mountpoint_s3-relative-ca-bundle', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(ca_bundle='certs/ca.pem')]},
         ["mountpoint_s3_mounts[0].ca_bundle must be absolute, got 'certs/ca.pem'"]),
    Case('mountpoint_s3-unknown-checksum', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(upload_checksums='sha1')]},
         ['value of upload_checksums must be one of: crc32c, crc64nvme, off, got: sha1']),
    Case('mountpoint_s3-uid-zero', 'mountpoint_s3', {'mountpoint_s3_mounts': [mountpoint(uid=0)]},
         ["mountpoint_s3_mounts[0].uid must be a whole number between 1 and 4294967294, got '0'"]),
    Case('mountpoint_s3-extra-arg-with-a-key', 'mountpoint_s3',
         {'mountpoint_s3_mounts': [mountpoint(extra_args=['--requester-pays'])]},
         ["mountpoint_s3_mounts[0].extra_args[0] '--requester-pays' has a key of its own; use "
          "mountpoint_s3_mounts[0].requester_pays instead"]),
    # --- efs (its validation, without a mount) --------------------------------------------------------
    Case('efs-access-point-without-tls', 'efs',
         {'efs_mount_helper': 'efs', 'efs_utils_package_url': EFS_UTILS_DEB,
          'efs_mounts': [efs(mount_target_ip=None, access_point='fsap-0123456789abcdef0', tls=False)]},
         ['efs_mounts[0].access_point needs tls: true']),
    Case('efs-soft-without-opt-in', 'efs', {'efs_mounts': [efs(options=['soft'])]},
         ['efs_mounts[0].options asks for soft', 'set efs_allow_soft: true to accept that']),
    Case('efs-soft-timeo-below-150', 'efs',
         {'efs_allow_soft': True, 'efs_mounts': [efs(options=['soft', 'timeo=100'])]},
         ['efs_mounts[0].options asks for soft with timeo=100; AWS requires timeo of at least 150']),
    Case('efs-id-not-fs-hex', 'efs', {'efs_mounts': [efs(file_system_id='fs-12ab')]},
         ["efs_mounts[0].file_system_id must be a file system id (fs- and 8 to 40 lowercase hex digits",
          "got 'fs-12ab'"]),
    Case('efs-id-uppercase-hex', 'efs', {'efs_mounts': [efs(file_system_id='fs-0123456789ABCDEF0')]},
         ["efs_mounts[0].file_system_id must be a file system id", "got 'fs-0123456789ABCDEF0'"]),
    Case('efs-port-range-privileged', 'efs', {'efs_utils_port_range_lower': 80, 'efs_mounts': [efs()]},
         ["efs_utils_port_range_lower must be a whole number between 1024 and 65535, got '80'"]),
    Case('efs-utils-config-bad-key', 'efs', {'efs_utils_config': {'mount': {'Bad Key': 'x'}}, 'efs_mounts': [efs()]},
         ['efs_utils_config must map section names', 'these are not: mount.Bad Key']),
    Case('efs-nested-paths', 'efs', {'efs_mounts': [efs(), efs(path='/mnt/bad/efs/inner')]},
         ["efs_mounts[1].path '/mnt/bad/efs/inner' and efs_mounts[0].path '/mnt/bad/efs' lie inside each other"]),
    # --- mount_watch ------------------------------------------------------------------------------------
    Case('mount_watch-relative-path', 'mount_watch', {'mount_watch_mounts': [{'path': 'mnt/data'}]},
         ["mount_watch_mounts[0].path must be an absolute, normalized path without a trailing '/', got 'mnt/data'"]),
    Case('mount_watch-same-path-twice', 'mount_watch',
         {'mount_watch_mounts': [{'path': '/mnt/bad/watch'}, {'path': '/mnt/bad/watch', 'backend': 'efs'}]},
         ["mount_watch_mounts[1].path '/mnt/bad/watch' is listed more than once"]),
    Case('mount_watch-unit-not-a-unit', 'mount_watch',
         {'mount_watch_mounts': [{'path': '/mnt/bad/watch', 'unit': 'docker'}]},
         ["mount_watch_mounts[0].unit must be a systemd unit name ending in .service or .mount, got 'docker'"]),
    Case('mount_watch-unit-and-remount', 'mount_watch',
         {'mount_watch_mounts': [{'path': '/mnt/bad/watch', 'unit': 'mnt-bad-watch.mount',
                                  'remount': ['/usr/bin/mount', '/mnt/bad/watch']}]},
         ['mount_watch_mounts[0]: set at most one of unit and remount']),
    Case('mount_watch-remount-relative-command', 'mount_watch',
         {'mount_watch_mounts': [{'path': '/mnt/bad/watch', 'remount': ['mount', '/mnt/bad/watch']}]},
         ['mount_watch_mounts[0].remount must be a command as a list whose first item is an absolute path']),
    Case('mount_watch-option-with-comma', 'mount_watch',
         {'mount_watch_mounts': [{'path': '/mnt/bad/watch', 'options_present': ['rw,noatime']}]},
         ['mount_watch_mounts[0].options_present items must be single mount options without blanks or commas']),
    Case('mount_watch-unknown-propagation', 'mount_watch',
         {'mount_watch_mounts': [{'path': '/mnt/bad/watch', 'propagation': 'rshared'}]},
         ['propagation', 'shared, slave, private, unbindable, any', 'rshared']),
    Case('mount_watch-unknown-key', 'mount_watch', {'mount_watch_mounts': [{'path': '/mnt/bad/watch', 'fs_type': 'nfs4'}]},
         ['mount_watch_mounts.fs_type', SUPPORTED, 'fstype']),
    Case('mount_watch-unknown-state', 'mount_watch', {'mount_watch_state': 'enabled'},
         ['mount_watch_state', 'present, absent', 'enabled']),
    Case('mount_watch-interval-too-short', 'mount_watch', {'mount_watch_interval': 5, 'mount_watch_timeout': 2},
         ['mount_watch_interval must be between 10 and 86400 seconds, got 5']),
    Case('mount_watch-interval-not-a-number', 'mount_watch', {'mount_watch_interval': 'often'},
         ["argument 'mount_watch_interval' is of type str and we were unable to convert to int"]),
    Case('mount_watch-timeout-not-below-interval', 'mount_watch', {'mount_watch_timeout': 60},
         ['mount_watch_timeout must be at least 1 second and less than mount_watch_interval (60), got 60']),
    Case('mount_watch-backoff-max-below-initial', 'mount_watch',
         {'mount_watch_heal_backoff_initial': 600, 'mount_watch_heal_backoff_max': 60},
         ['mount_watch_heal_backoff_max must be at least mount_watch_heal_backoff_initial (600)', 'got 60']),
    Case('mount_watch-max-per-hour-zero', 'mount_watch', {'mount_watch_heal_max_per_hour': 0},
         ['mount_watch_heal_max_per_hour must be between 1 and 60, got 0']),
    Case('mount_watch-heal-timeout-zero', 'mount_watch', {'mount_watch_heal_timeout': 0},
         ['mount_watch_heal_timeout must be between 1 and 600 seconds, got 0']),
    Case('mount_watch-heal-not-a-bool', 'mount_watch', {'mount_watch_heal': 'maybe'},
         ["argument 'mount_watch_heal' is of type str and we were unable to convert to bool"]),
    Case('mount_watch-relative-textfile-dir', 'mount_watch', {'mount_watch_textfile_dir': 'var/lib/node-exporter'},
         ['mount_watch_textfile_dir must be an absolute, normalized path without blanks']),
    Case('mount_watch-state-dir-inside-install-dir', 'mount_watch',
         {'mount_watch_state_dir': '/usr/local/lib/mountkit-watch/state'},
         ['mount_watch_state_dir must not lie inside mount_watch_install_dir (/usr/local/lib/mountkit-watch)']),
    Case('mount_watch-absent-option-with-blank', 'mount_watch',
         {'mount_watch_mounts': [{'path': '/mnt/bad/watch', 'options_absent': ['ro rw']}]},
         ['mount_watch_mounts[0].options_absent items must be single mount options without blanks or commas']),
    Case('mount_watch-unknown-container-views', 'mount_watch', {'mount_watch_container_views': 'sometimes'},
         ['mount_watch_container_views', 'auto, always, never', 'sometimes']),
    Case('mount_watch-relative-docker-socket', 'mount_watch', {'mount_watch_docker_socket': 'run/docker.sock'},
         ['mount_watch_docker_socket must be an absolute, normalized path without blanks']),
    # The storage roles' planners judge their own variables, in their own words, before anything changes.
    Case('mount_watch-from-roles-bad-s3fs-path', 'mount_watch',
         {'mount_watch_from_roles': True, 's3fs_mounts': [s3fs(path='mnt/media')]},
         ["s3fs_mounts[0].path must be absolute, got 'mnt/media'"]),
]

MODULE_CASES = [
    Case('mount_flags-relative-path', 'mount_flags', {'path': 'mnt/s3'}, ["path must be absolute, got 'mnt/s3'"]),
    Case('mount_flags-missing-mountinfo', 'mount_flags',
         {'path': '/mnt', 'mountinfo_path': '/proc/999999999/mountinfo'},
         ['mountinfo_path /proc/999999999/mountinfo does not exist']),
    Case('mount_flags-timeout-zero', 'mount_flags', {'path': '/mnt', 'timeout': 0},
         ['timeout must be greater than 0, got 0']),
    Case('mount_flags-timeout-negative', 'mount_flags', {'path': '/mnt', 'timeout': -5},
         ['timeout must be greater than 0, got -5']),
    Case('mount_flags-unknown-propagation', 'mount_flags', {'path': '/mnt', 'propagation': 'rshared'},
         ['propagation', 'shared, slave, private, unbindable, any', 'rshared']),
    Case('mount_flags-relative-path-in-mounts', 'mount_flags', {'mounts': [{'path': '/mnt'}, {'path': 'mnt/b'}]},
         ["mounts[1].path must be absolute, got 'mnt/b'"]),
    Case('mount_flags-path-and-mounts', 'mount_flags', {'path': '/mnt', 'mounts': [{'path': '/mnt'}]},
         ['mutually exclusive', 'path', 'mounts']),
    Case('mount_flags-unknown-key-in-mounts', 'mount_flags', {'mounts': [{'path': '/mnt', 'fs_type': 'nfs4'}]},
         ['fs_type', 'mounts']),
    Case('io_semantics-unknown-operation-in-expect', 'io_semantics',
         {'profile': 's3fs', 'expect': {'rename_files': 'ok'}},
         ['expect has unknown operation(s) rename_files; known: create_write_read']),
    Case('io_semantics-unknown-result-in-expect', 'io_semantics', {'expect': {'unlink': 'EWHAT'}},
         ["expect: unlink: unknown result 'EWHAT' (use ok, an errno name such as EPERM"]),
    Case('io_semantics-bad-size', 'io_semantics', {'size': 'lots'}, ["size not a size: 'lots'"]),
    Case('io_semantics-zero-size', 'io_semantics', {'size': 0}, ['size must be greater than 0, got 0']),
    Case('io_semantics-flag-of-another-profile', 'io_semantics', {'profile': 's3fs', 'allow_delete': True},
         ['profile: allow_delete applies only to profile mountpoint_s3']),
    Case('io_semantics-timeout-zero', 'io_semantics', {'timeout': 0}, ['timeout must be greater than 0, got 0']),
    Case('io_semantics-relative-path', 'io_semantics', {'path': 'scratch'}, ["path must be absolute, got 'scratch'"]),
    Case('s3_preflight-prefix-without-slash', 's3_preflight', {'prefix': 'logs'},
         ["prefix must end with '/', got 'logs'"]),
    Case('s3_preflight-prefix-with-leading-slash', 's3_preflight', {'prefix': '/logs/'},
         ["prefix must not start with '/' (S3 keys have no leading slash), got '/logs/'"]),
    Case('efs_preflight-bad-file-system-id', 'efs_preflight', {'file_system_id': 'fs-XYZ'},
         ['file_system_id must be fs- followed by 8 to 40 lowercase hexadecimal digits', "got 'fs-XYZ'"]),
    Case('efs_preflight-bad-mount-target-ip', 'efs_preflight',
         {'file_system_id': EFS_ID, 'mount_target_ip': '10.0.0.300'},
         ["mount_target_ip must be an IP address, got '10.0.0.300'"]),
    Case('io_semantics-probe-dir-outside-path', 'io_semantics', {'probe_dir': 'probes/../../etc'},
         ["probe_dir must stay below path, without '..', got 'probes/../../etc'"]),
    Case('io_semantics-probe-dir-absolute', 'io_semantics', {'probe_dir': '/tmp/probes'},
         ["probe_dir must be relative to path, got '/tmp/probes'"]),
    Case('io_semantics-bad-version', 'io_semantics', {'profile': 'mountpoint_s3', 'version': 'latest'},
         ["version: not a version: 'latest' (use a release such as 1.16.2)"]),
    Case('io_semantics-version-of-another-profile', 'io_semantics', {'profile': 's3fs', 'version': '1.24.0'},
         ['profile: version applies only to profile mountpoint_s3']),
    Case('io_semantics-unknown-bucket-type', 'io_semantics', {'profile': 'mountpoint_s3', 'bucket_type': 'express'},
         ['bucket_type', 'general_purpose, directory', 'express']),
    Case('io_semantics-incremental-upload-on-general-purpose', 'io_semantics',
         {'profile': 'mountpoint_s3', 'incremental_upload': True},
         ['incremental_upload needs bucket_type directory']),
    Case('io_semantics-empty-dir-without-bucket', 'io_semantics', {'operations': ['empty_dir']},
         ['operations: empty_dir needs bucket']),
    Case('io_semantics-bucket-prefix-without-slash', 'io_semantics', {'bucket': 'mk-any', 'bucket_prefix': 'logs'},
         ["bucket_prefix must end with '/' and not start with it, got 'logs'"]),
    Case('io_semantics-open-writers-zero', 'io_semantics', {'operations': ['open_writers'], 'open_writers': 0},
         ['open_writers must be 1 to 4096, got 0']),
    Case('s3_handoff-without-probe-dir', 's3_handoff', {}, ['missing required arguments: probe_dir']),
    Case('s3_handoff-probe-dir-outside-path', 's3_handoff', {'probe_dir': 'handoff/../..'},
         ["probe_dir must name a directory below path, without '..', got 'handoff/../..'"]),
    Case('s3_handoff-probe-dir-absolute', 's3_handoff', {'probe_dir': '/srv/handoff'},
         ["probe_dir must be a directory relative to path, got '/srv/handoff'"]),
    Case('s3_handoff-zero-appear-timeout', 's3_handoff', {'probe_dir': 'handoff', 'appear_timeout': 0},
         ['appear_timeout must be greater than 0, got 0']),
    Case('s3_handoff-bucket-prefix-without-slash', 's3_handoff', {'probe_dir': 'handoff', 'bucket_prefix': 'logs'},
         ["bucket_prefix must end with '/' and not start with it, got 'logs'"]),
]


def role_vars(case):
    """A case's variables; EFS mounts drop keys set to None (used to leave out the default mount_target_ip)."""
    variables = dict(case.variables)
    if 'efs_mounts' in variables:
        variables['efs_mounts'] = [dict((key, value) for key, value in mount.items() if value is not None)
                                   for mount in variables['efs_mounts']]
    return variables


def run_role_case(bed, case, extra=None):
    before = bed.snapshot()
    variables = role_vars(case)
    variables.update(extra or {})
    run = bed.playbook(roles=['mountkit.aws.%s' % case.target], extra_vars=variables, timeout=300)
    return {'run': run, 'before': before, 'after': bed.snapshot()}


def has_role(name):
    return os.path.isdir(os.path.join(ROOT, 'roles', name))


@pytest.fixture(scope='module')
def role_results(host_bed):
    """Every on-time role case, four at a time against the one host."""
    cases = [case for case in ROLE_CASES if has_role(case.target)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip([case.id for case in cases], pool.map(lambda case: run_role_case(host_bed, case), cases)))
    return results


def changed_tasks(run):
    return [name for name, result in run.task_results() if result.get('changed')]


def check_role_case(case, result):
    run = result['run']
    assert run.rc != 0, run.describe()
    # Nothing was reported changed, and nothing did change.
    assert changed_tasks(run) == [], run.describe()
    for section, text in result['before'].items():
        assert result['after'].get(section) == text, 'host changed in %s by %s' % (section, run.describe())
    message = run.message
    for fragment in case.expect:
        assert fragment in message, 'expected %r in the failure of %s' % (fragment, run.describe())
    assert SECRET not in run.output


@pytest.mark.parametrize('case', [case.param() for case in ROLE_CASES])
def test_role_rejects_bad_input(case, role_results):
    if not has_role(case.target):
        pytest.skip('roles/%s is not in this tree' % case.target)
    check_role_case(case, role_results[case.id])


def module_args(case, directory, server):
    """The case's arguments, completed so that a module that ignored them would act on directory or bucket."""
    args = dict(case.variables)
    if case.target in ('mount_flags', 'io_semantics', 's3_handoff') and 'mounts' not in args:
        args.setdefault('path', directory)
    if case.target in ('s3_preflight', 's3_handoff'):
        args.update(bucket=server.bucket, endpoint_url=server.endpoint, access_key='testing', secret_key='testing',
                    region='us-east-1', profile='')
    if case.target == 'efs_preflight':
        args.update(region='us-east-1', access_key='testing', secret_key='testing', profile='')
    return args


def bucket_keys(server):
    return sorted(item['Key'] for item in server.client().list_objects_v2(Bucket=server.bucket).get('Contents', []))


@pytest.fixture(scope='module')
def module_results(run_module, shared_s3_server, tmp_path_factory):
    """Every module case, four at a time; the directory they point at and the bucket are recorded around each."""
    def run(case):
        directory = str(tmp_path_factory.mktemp('bad-input-%s' % case.target))
        before = (sorted(os.listdir(directory)), bucket_keys(shared_s3_server))
        result = run_module('mountkit.aws.%s' % case.target, module_args(case, directory, shared_s3_server))
        return {'result': result, 'before': before,
                'after': (sorted(os.listdir(directory)), bucket_keys(shared_s3_server))}
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip([case.id for case in MODULE_CASES], pool.map(run, MODULE_CASES)))


def assert_rejected_unchanged(case, outcome):
    """The module failed, changed nothing, and its message names what the case expects."""
    result = outcome['result']
    assert result.get('failed'), result
    assert not result.get('changed'), result
    assert outcome['after'] == outcome['before']
    for fragment in case.expect:
        assert fragment in result['msg'], 'expected %r in %r' % (fragment, result['msg'])


@pytest.mark.parametrize('case', [case.param() for case in MODULE_CASES])
def test_module_rejects_bad_input(case, module_results):
    assert_rejected_unchanged(case, module_results[case.id])
