# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The mountpoint_s3 role's planner: validates the role's variables and plans each mount (see mount_model).

``plan(settings, facts)``: settings are the role's ``mountpoint_s3_*`` variables (defaults filled in); facts
are what the host tells: ``version``, the version ``mount-s3 --version`` reports ('' when it does not answer).
Without ``version`` in facts (an audit that did not ask) nothing is checked against a version.

Every Mountpoint option is a key of a mount, described once in OPTIONS with the first release that has it.
A mount renders both ways: command-line arguments for the systemd method and fstab options for
``mount.mount-s3`` (1.18 and later).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mountkit.aws.plugins.module_utils import mount_model
from ansible_collections.mountkit.aws.plugins.module_utils import mount_rules

# A live Mountpoint mount is plain fuse (no subtype) with source mountpoint-s3, from either method.
FSTYPES = ('fuse',)
SOURCE = 'mountpoint-s3'
VAR = 'mountpoint_s3_mounts'

# The first release with the fstab helper mount.mount-s3 and the s3://bucket/prefix/ argument.
FSTAB_VERSION = '1.18.0'
METHODS = ('auto', 'systemd', 'fstab')
INSTALL_METHODS = ('auto', 'dnf', 'url', 'package')
BUCKET_TYPES = ('general-purpose', 'directory')

# (key, flag, kind, first release with it). Kinds: switch (a flag without value), text, int, octal, path,
# url, ttl, choice lists, bucket, interfaces. Order is the order of the command line and fstab options.
OPTIONS = (
    # Bucket
    ('region', 'region', 'region', '1.0.0'),
    ('endpoint_url', 'endpoint-url', 'url', '1.0.0'),
    ('force_path_style', 'force-path-style', 'switch', '1.0.0'),
    ('transfer_acceleration', 'transfer-acceleration', 'switch', '1.0.0'),
    ('dual_stack', 'dual-stack', 'switch', '1.0.0'),
    ('requester_pays', 'requester-pays', 'switch', '1.0.0'),
    ('bucket_type', 'bucket-type', BUCKET_TYPES, '1.3.0'),
    ('storage_class', 'storage-class', 'word', '1.0.0'),
    ('expected_bucket_owner', 'expected-bucket-owner', 'account', '1.0.0'),
    ('sse', 'sse', ('aws:kms', 'aws:kms:dsse', 'AES256'), '1.5.0'),
    ('sse_kms_key_id', 'sse-kms-key-id', 'kms_arn', '1.5.0'),
    ('upload_checksums', 'upload-checksums', ('crc32c', 'crc64nvme', 'off'), '1.7.0'),
    ('infer_content_type', 'infer-content-type', 'switch', '1.23.0'),
    # Credentials
    ('no_sign_request', 'no-sign-request', 'switch', '1.0.0'),
    ('profile', 'profile', 'word', '1.0.0'),
    # Mount
    ('read_only', 'read-only', 'switch', '1.0.0'),
    ('allow_delete', 'allow-delete', 'switch', '1.0.0'),
    ('allow_overwrite', 'allow-overwrite', 'switch', '1.4.0'),
    ('incremental_upload', 'incremental-upload', 'switch', '1.12.0'),
    ('auto_unmount', 'auto-unmount', 'switch', '1.0.0'),
    ('allow_root', 'allow-root', 'switch', '1.0.0'),
    ('allow_other', 'allow-other', 'switch', '1.0.0'),
    ('uid', 'uid', 'id', '1.0.0'),
    ('gid', 'gid', 'id', '1.0.0'),
    ('file_mode', 'file-mode', 'octal', '1.0.0'),
    ('dir_mode', 'dir-mode', 'octal', '1.0.0'),
    # Client
    ('maximum_throughput_gbps', 'maximum-throughput-gbps', 'positive', '1.0.0'),
    ('max_threads', 'max-threads', 'positive', '1.0.0'),
    ('memory_target', 'memory-target', 'memory', '1.24.0'),
    ('part_size', 'part-size', 'positive', '1.0.0'),
    ('read_part_size', 'read-part-size', 'positive', '1.8.0'),
    ('write_part_size', 'write-part-size', 'positive', '1.8.0'),
    ('bind', 'bind', 'interfaces', '1.9.0'),
    ('ca_bundle', 'ca-bundle', 'path', '1.23.0'),
    # Logging
    ('log_directory', 'log-directory', 'path', '1.0.0'),
    ('log_metrics', 'log-metrics', 'switch', '1.0.0'),
    ('otlp_endpoint', 'otlp-endpoint', 'url', '1.21.0'),
    ('otlp_export_interval', 'otlp-export-interval', 'positive', '1.21.0'),
    ('debug', 'debug', 'switch', '1.0.0'),
    ('debug_crt', 'debug-crt', 'switch', '1.0.0'),
    ('no_log', 'no-log', 'switch', '1.0.0'),
    # Cache
    ('cache', 'cache', 'path', '1.2.0'),
    ('metadata_ttl', 'metadata-ttl', 'ttl', '1.2.0'),
    ('negative_metadata_ttl', 'negative-metadata-ttl', 'ttl', '1.15.0'),
    ('max_cache_size', 'max-cache-size', 'positive', '1.2.0'),
    ('cache_xz', 'cache-xz', 'bucket', '1.11.0'),
    # Advanced
    ('user_agent_prefix', 'user-agent-prefix', 'agent', '1.1.0'),
)
# Values that arrived later than their option.
VALUE_VERSIONS = {
    ('upload_checksums', 'crc64nvme'): '1.23.0',
    ('metadata_ttl', 'minimal'): '1.7.0',
    ('metadata_ttl', 'indefinite'): '1.7.0',
    ('negative_metadata_ttl', 'minimal'): '1.15.0',
    ('negative_metadata_ttl', 'indefinite'): '1.15.0',
}
FLAGS = dict((flag, key) for key, flag, _kind, _since in OPTIONS)
FLAGS['prefix'] = 'prefix'
OTHER_KEYS = ('bucket', 'path', 'prefix', 'state', 'nofail', 'extra_args', 'aws_access_key_id',
              'aws_secret_access_key', 'aws_session_token', 'environment')
KEYS = OTHER_KEYS + tuple(key for key, _flag, _kind, _since in OPTIONS)
# Options whose effect --no-log refuses.
LOGGING_KEYS = ('log_directory', 'debug', 'debug_crt', 'log_metrics')
# Flags the role sets itself or that would break the unit or the fstab helper.
RESERVED_FLAGS = {'foreground': 'nothing (the unit and the fstab helper rely on mount-s3 forking)',
                  'f': 'nothing (the unit and the fstab helper rely on mount-s3 forking)',
                  'help': 'nothing', 'version': 'nothing'}

VERSION_RE = re.compile(r'^[0-9]+\.[0-9]+\.[0-9]+$')
FINGERPRINT_RE = re.compile(r'^[0-9A-Fa-f]{40}$')
ACCOUNT_RE = re.compile(r'^[0-9]{12}$')
KMS_ARN_RE = re.compile(r'^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$')
WORD_RE = re.compile(r'^[A-Za-z0-9_.:+@/-]+$')
AGENT_RE = re.compile(r'^[\x21-\x7e]+( [\x21-\x7e]+)*$')
INTERFACE_RE = re.compile(r'^[A-Za-z0-9_.:@-]{1,15}$')
ENV_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
S3_URI_RE = re.compile(r'^s3://([^/]+)/(.*)$')
EXTRA_ARG_RE = re.compile(r'^--([A-Za-z0-9][A-Za-z0-9-]*)(=[^\s,"\\]*)?$')
# mount-s3 refuses a memory target under 512 MiB.
MIN_MEMORY_TARGET = 512


def version_tuple(version):
    return tuple(int(part) for part in str(version).split('.'))


def at_least(version, wanted):
    return version_tuple(version) >= version_tuple(wanted)


def parse_version(text):
    """'mount-s3 1.16.2' (or '1.16.2') -> '1.16.2'; '' when there is none."""
    match = re.search(r'([0-9]+\.[0-9]+\.[0-9]+)', str(text or ''))
    return match.group(1) if match else ''


def systemd_escape_path(path):
    """What ``systemd-escape --path`` prints: '/mnt/s3/b-rw' -> 'mnt-s3-b\\x2drw'."""
    text = str(path).strip('/')
    if not text:
        return '-'
    out = []
    for index, char in enumerate(text):
        if char == '/':
            out.append('-')
        elif char.isascii() and (char.isalnum() or char in ':_.') and not (index == 0 and char == '.'):
            out.append(char)
        else:
            out.extend('\\x%02x' % byte for byte in char.encode('utf-8'))
    return ''.join(out)


def fstab_escape(value):
    """An option value as mount.mount-s3 splits its option string: ',' '\\' and '"' behind a backslash."""
    return re.sub(r'([,\\"])', r'\\\1', str(value))


class MountCheck(object):
    """Validates one element of mountpoint_s3_mounts into a normalised mount; problems go to the shared list."""

    def __init__(self, index, item, problems):
        self.index = index
        self.item = item
        self.problems = problems
        self.name = '%s[%d]' % (VAR, index)
        self.values = {}

    def at(self, key):
        return '%s.%s' % (self.name, key)

    def problem(self, key, text):
        self.problems.append('%s %s' % (self.at(key) if key else self.name + ':', text))

    def given(self, key):
        value = self.item.get(key)
        return value is not None and not (isinstance(value, str) and value.strip() == '')

    def flag(self, key, default=False):
        value, problems = mount_rules.flag(self.item.get(key), default, self.at(key))
        self.problems.extend(problems)
        return value

    def text(self, key):
        if not self.given(key):
            return None
        value = self.item[key]
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.problem(key, "must be a string, got '%s'" % (value,))
            return None
        return str(value).strip()

    def option(self, key, kind):
        """The validated value of one option (None when unset or invalid)."""
        if kind == 'switch':
            return True if self.flag(key) else None
        if kind == 'interfaces':
            return self.interfaces(key)
        if not self.given(key):
            return None
        value = self.item[key]
        at = self.at(key)
        found = []
        if isinstance(kind, tuple):
            found = mount_rules.choice_problems(str(value), at, kind)
        elif kind == 'region':
            found = mount_rules.region_problems(value, at)
        elif kind == 'url':
            found = mount_rules.url_problems(value, at)
        elif kind == 'path':
            found = mount_rules.absolute_path_problems(value, at)
        elif kind == 'bucket':
            found = mount_rules.bucket_problems(value, at, directory_buckets=True)
            if not found and not mount_rules.is_directory_bucket(value):
                found = ["%s must be an S3 Express One Zone directory bucket (<name>--<zone id>--x-s3), got '%s'"
                         % (at, value)]
        elif kind == 'octal':
            found = mount_rules.mode_problems(value, at)
        elif kind == 'id':
            # mount-s3 takes 1 and up: root owns the files when the option is left out.
            found = mount_rules.range_problems(value, at, 1, 4294967294)
        elif kind == 'positive':
            found = mount_rules.range_problems(value, at, 1)
        elif kind == 'memory':
            found = mount_rules.range_problems(value, at, MIN_MEMORY_TARGET)
            if found:
                found = ['%s (MiB; Mountpoint needs at least %d)' % (found[0], MIN_MEMORY_TARGET)]
        elif kind == 'ttl':
            if not re.match(r'^([0-9]+|minimal|indefinite)$', str(value)) or isinstance(value, bool):
                found = ["%s must be a number of seconds, 'minimal' or 'indefinite', got '%s'" % (at, value)]
        elif kind == 'account':
            if not ACCOUNT_RE.match(str(value)):
                found = ["%s must be a 12-digit AWS account id, got '%s'" % (at, value)]
        elif kind == 'kms_arn':
            if not KMS_ARN_RE.match(str(value)):
                found = ["%s must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); key ids and aliases "
                         "are refused by Mountpoint, got '%s'" % (at, value)]
        elif kind == 'word':
            if not WORD_RE.match(str(value)):
                found = ["%s must be letters, digits and _.:+@/- only, got '%s'" % (at, value)]
        elif kind == 'agent':
            if not AGENT_RE.match(str(value)) or len(str(value)) > 256:
                found = ["%s must be printable ASCII words separated by single blanks (256 characters at most), "
                         "got '%s'" % (at, value)]
        self.problems.extend(found)
        if found:
            return None
        if kind in ('id', 'positive', 'memory'):
            return int(value)
        return str(value).strip()

    def interfaces(self, key):
        value = self.item.get(key)
        if value is None or value == [] or value == '':
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            self.problem(key, "must be a list of network interface names, got '%s'" % (value,))
            return None
        good = []
        for position, name in enumerate(value):
            if not isinstance(name, str) or not INTERFACE_RE.match(name):
                self.problems.append("%s[%d] must be a network interface name (1-15 letters, digits or _.:@-), "
                                     "got '%s'" % (self.at(key), position, name))
            else:
                good.append(name)
        return good if len(good) == len(value) else None

    def check(self):
        item = self.item
        unknown = sorted(str(key) for key in item if key not in KEYS)
        if unknown:
            self.problem('', 'has unknown keys %s' % ', '.join(unknown))
        state = str(item.get('state') or 'mounted')
        if state not in mount_model.STATES:
            self.problems.extend(mount_rules.choice_problems(state, self.at('state'), mount_model.STATES))
        path = self.text('path')
        path_ok = path is not None and not mount_rules.absolute_path_problems(path, self.at('path'))
        self.problems.extend(mount_rules.absolute_path_problems(path, self.at('path')))
        bucket, prefix, uri = self.bucket_and_prefix()
        for key, flag, kind, _since in OPTIONS:
            value = self.option(key, kind)
            if value is not None:
                self.values[key] = value
        extra = self.extra_args()
        self.combinations(bucket, uri)
        env, has_keys = self.credentials()
        return {'index': self.index, 'path': path if path_ok else None, 'state': state, 'bucket': bucket,
                'prefix': prefix, 'values': self.values, 'extra_args': extra, 'env': env, 'has_keys': has_keys,
                'nofail': self.flag('nofail', True), 's3_uri': uri}

    def bucket_and_prefix(self):
        """bucket may also be s3://bucket/prefix/ (the form of Mountpoint 1.18), which excludes prefix."""
        bucket = self.text('bucket')
        prefix = self.text('prefix') or ''
        uri = False
        if bucket is None:
            self.problem('bucket', 'is required')
            return None, prefix, uri
        match = S3_URI_RE.match(bucket)
        if bucket.startswith('s3://'):
            uri = True
            if not match:
                self.problem('bucket', "must be a bucket name or s3://<bucket>/<prefix>/ (with the '/' after the "
                                       "bucket), got '%s'" % bucket)
                return None, prefix, uri
            if prefix:
                self.problem('prefix', "cannot be combined with an s3:// URI in bucket (Mountpoint refuses "
                                       "--prefix with an S3 URI); put the prefix into the URI or use bucket and "
                                       "prefix, got '%s' and '%s'" % (bucket, prefix))
            bucket, prefix = match.group(1), match.group(2)
        found = mount_rules.bucket_problems(bucket, self.at('bucket'), directory_buckets=True)
        self.problems.extend(found)
        self.problems.extend(mount_rules.prefix_problems(prefix, self.at('prefix')))
        return (None if found else bucket), prefix, uri

    def extra_args(self):
        value = self.item.get('extra_args') or []
        if not isinstance(value, (list, tuple)):
            self.problem('extra_args', "must be a list of options such as '--name' or '--name=value', got '%s'"
                         % (value,))
            return []
        good = []
        for position, arg in enumerate(value):
            at = '%s[%d]' % (self.at('extra_args'), position)
            match = EXTRA_ARG_RE.match(str(arg))
            if not match:
                self.problems.append("%s must be one option, '--name' or '--name=value', without blanks, commas, "
                                     "quotes or backslashes, got '%s'" % (at, arg))
                continue
            name = match.group(1)
            if name in RESERVED_FLAGS:
                self.problems.append("%s '%s' is refused: use %s" % (at, arg, RESERVED_FLAGS[name]))
            elif name in FLAGS:
                self.problems.append("%s '%s' has a key of its own; use %s.%s instead"
                                     % (at, arg, self.name, FLAGS[name]))
            else:
                good.append(str(arg))
        return good

    def combinations(self, bucket, uri):
        """Settings that Mountpoint (or the role) refuses together."""
        values = self.values
        if values.get('allow_other') and values.get('allow_root'):
            self.problem('', 'allow_other and allow_root are mutually exclusive (allow_other already lets root '
                             'in); set at most one')
        if values.get('read_only'):
            clashing = [key for key in ('allow_delete', 'allow_overwrite', 'incremental_upload') if values.get(key)]
            if clashing:
                self.problem('', 'read_only cannot be combined with %s' % ' or '.join(clashing))
        if 'part_size' in values:
            clashing = [key for key in ('read_part_size', 'write_part_size') if key in values]
            if clashing:
                self.problem('part_size', 'cannot be combined with %s (Mountpoint refuses both); set part_size or '
                                          'the read and write part sizes' % ' and '.join(clashing))
        if values.get('no_log'):
            clashing = [key for key in LOGGING_KEYS if values.get(key)]
            if clashing:
                self.problem('no_log', 'cannot be combined with %s (Mountpoint refuses logging options with '
                                       '--no-log)' % ', '.join(clashing))
        if 'otlp_export_interval' in values and 'otlp_endpoint' not in values:
            self.problem('otlp_export_interval', 'needs otlp_endpoint')
        if 'max_cache_size' in values and 'cache' not in values:
            self.problem('max_cache_size', 'needs cache (a cache directory)')
        if 'sse_kms_key_id' in values and values.get('sse') not in ('aws:kms', 'aws:kms:dsse'):
            self.problem('sse_kms_key_id', "needs sse 'aws:kms' or 'aws:kms:dsse', got sse '%s'"
                         % (values.get('sse') or ''))
        if values.get('incremental_upload') and bucket:
            directory = (values.get('bucket_type') == 'directory'
                         or ('bucket_type' not in values and mount_rules.is_directory_bucket(bucket)))
            if not directory:
                self.problem('incremental_upload', "needs an S3 Express One Zone directory bucket; '%s' is a "
                                                   "general purpose bucket (Mountpoint appends only on directory "
                                                   "buckets)" % bucket)
        if values.get('no_sign_request') and (self.given('aws_access_key_id') or 'profile' in values):
            self.problem('', 'no_sign_request cannot be combined with profile or access keys')

    def credentials(self):
        has_key = self.given('aws_access_key_id')
        self.problems.extend(mount_rules.pair_problems(
            has_key, self.given('aws_secret_access_key'), self.name, 'aws_access_key_id', 'aws_secret_access_key'))
        if self.given('aws_session_token') and not has_key:
            self.problem('aws_session_token', 'needs aws_access_key_id and aws_secret_access_key')
        for key in ('aws_access_key_id', 'aws_secret_access_key', 'aws_session_token'):
            self.problems.extend(mount_rules.secret_problems(self.item.get(key), self.at(key), forbidden=''))
        if has_key and 'profile' in self.values:
            self.problem('', 'profile cannot be combined with aws_access_key_id; use one source of credentials')
        env = {}
        environment = self.item.get('environment') or {}
        if not isinstance(environment, dict):
            self.problem('environment', "must be a mapping of variable names to values, got '%s'" % (environment,))
            environment = {}
        for name, value in environment.items():
            if not ENV_NAME_RE.match(str(name)):
                self.problem('environment', "names must be shell variable names, got '%s'" % name)
            else:
                env[str(name)] = '' if value is None else str(value)
        if has_key:
            env['AWS_ACCESS_KEY_ID'] = str(self.item['aws_access_key_id'])
            env['AWS_SECRET_ACCESS_KEY'] = str(self.item.get('aws_secret_access_key') or '')
            if self.given('aws_session_token'):
                env['AWS_SESSION_TOKEN'] = str(self.item['aws_session_token'])
        return env, has_key


def settings_problems(settings):
    """The role-wide settings (installation, method, timings)."""
    problems = []
    version = str(settings.get('mountpoint_s3_version') or 'latest')
    if version != 'latest' and not VERSION_RE.match(version):
        problems.append("mountpoint_s3_version must be 'latest' or X.Y.Z, got '%s'" % version)
    problems.extend(mount_rules.choice_problems(settings.get('mountpoint_s3_install_method'),
                                                'mountpoint_s3_install_method', INSTALL_METHODS))
    problems.extend(mount_rules.choice_problems(settings.get('mountpoint_s3_mount_method'),
                                                'mountpoint_s3_mount_method', METHODS))
    for first, second in (('package_src', 'package_url'), ('signature_src', 'signature_url')):
        if settings.get('mountpoint_s3_' + first) and settings.get('mountpoint_s3_' + second):
            problems.append('mountpoint_s3_%s and mountpoint_s3_%s exclude each other; set at most one'
                            % (first, second))
    if settings.get('mountpoint_s3_install_method') == 'package' and not (
            settings.get('mountpoint_s3_package_src') or settings.get('mountpoint_s3_package_url')):
        problems.append("mountpoint_s3_install_method 'package' needs mountpoint_s3_package_src or "
                        "mountpoint_s3_package_url")
    fingerprints = settings.get('mountpoint_s3_gpg_fingerprints') or []
    if not isinstance(fingerprints, (list, tuple)) or not fingerprints:
        problems.append('mountpoint_s3_gpg_fingerprints must list at least one fingerprint')
    else:
        for index, fingerprint in enumerate(fingerprints):
            if not FINGERPRINT_RE.match(re.sub(r'\s', '', str(fingerprint))):
                problems.append("mountpoint_s3_gpg_fingerprints[%d] must be a 40-digit hex OpenPGP fingerprint "
                                "(spaces allowed), got '%s'" % (index, fingerprint))
    problems.extend(mount_rules.range_problems(settings.get('mountpoint_s3_verify_timeout'),
                                               'mountpoint_s3_verify_timeout', 1, 600))
    problems.extend(mount_rules.range_problems(settings.get('mountpoint_s3_restart_sec'),
                                               'mountpoint_s3_restart_sec', 0, 3600))
    for key in ('mountpoint_s3_binary', 'mountpoint_s3_fstab', 'mountpoint_s3_config_dir'):
        problems.extend(mount_rules.absolute_path_problems(settings.get(key), key))
    return problems


def target_version(settings, facts):
    """(version the mounts will run with, what it is); version '' when not known before installing."""
    installed = parse_version(facts.get('version'))
    pinned = str(settings.get('mountpoint_s3_version') or 'latest')
    install = mount_rules.to_bool(settings.get('mountpoint_s3_install', True))
    if install and VERSION_RE.match(pinned):
        return pinned, 'mountpoint_s3_version pins %s' % pinned
    if installed:
        return installed, 'mount-s3 %s is installed' % installed
    return '', ''


def version_problems(mount, name, version, why):
    """Options (and values) the version the mounts will run with does not have."""
    problems = []
    for key, flag, _kind, since in OPTIONS:
        value = mount['values'].get(key)
        if value is None:
            continue
        needed = VALUE_VERSIONS.get((key, str(value)), since)
        if version and not at_least(version, needed):
            shown = ('--%s' % flag) if needed == since else ('--%s %s' % (flag, value))
            problems.append('%s.%s (%s) needs Mountpoint %s or later, but %s' % (name, key, shown, needed, why))
    if mount['s3_uri'] and version and not at_least(version, FSTAB_VERSION):
        problems.append('%s.bucket as an s3:// URI needs Mountpoint %s or later, but %s; give bucket and prefix'
                        % (name, FSTAB_VERSION, why))
    return problems


def command_args(mount):
    """mount-s3's options (without bucket and directory) for the systemd method."""
    args = ['--prefix=%s' % mount['prefix']] if mount['prefix'] else []
    for key, flag, kind, _since in OPTIONS:
        value = mount['values'].get(key)
        if value is None:
            continue
        if kind == 'switch':
            args.append('--' + flag)
        elif kind == 'interfaces':
            args.extend('--%s=%s' % (flag, name) for name in value)
        else:
            args.append('--%s=%s' % (flag, value))
    return args + list(mount['extra_args'])


def fstab_options(mount):
    """The option field of the fstab entry, as mount.mount-s3 reads it."""
    options = ['_netdev', 'nosuid', 'nodev'] + (['nofail'] if mount['nofail'] else [])
    for key, flag, kind, _since in OPTIONS:
        value = mount['values'].get(key)
        if value is None:
            continue
        if key == 'read_only':
            options.append('ro')
        elif kind == 'switch':
            options.append(flag)
        elif kind == 'interfaces':
            options.extend('%s=%s' % (flag, fstab_escape(name)) for name in value)
        else:
            options.append('%s=%s' % (flag, fstab_escape(value)))
    options.extend(arg[2:] for arg in mount['extra_args'])
    return ','.join(options)


def bucket_type(mount):
    if mount['values'].get('bucket_type'):
        return mount['values']['bucket_type']
    return 'directory' if mount_rules.is_directory_bucket(mount['bucket']) else 'general-purpose'


def choose_method(settings, mounts, version):
    """auto: fstab from 1.18 on unless a mount needs access keys or environment, which only a unit carries."""
    method = settings.get('mountpoint_s3_mount_method') or 'auto'
    if method != 'auto':
        return method
    needs_env = any(mount['env'] for mount in mounts if mount['state'] != 'absent')
    return 'fstab' if version and at_least(version, FSTAB_VERSION) and not needs_env else 'systemd'


def plan(settings, facts):
    settings = settings or {}
    facts = facts or {}
    problems = settings_problems(settings)
    items = settings.get('mountpoint_s3_mounts') or []
    if not isinstance(items, (list, tuple)):
        return {'problems': problems + ["%s must be a list of mounts, got '%s'" % (VAR, items)], 'mounts': []}
    checked = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append("%s[%d] must be a mapping with bucket and path, got '%s'" % (VAR, index, item))
            continue
        checked.append(MountCheck(index, item, problems).check())
    problems.extend(mount_rules.path_overlap_problems(
        [('%s[%d].path' % (VAR, mount['index']), mount['path']) for mount in checked if mount['path']]))

    version, why = target_version(settings, facts)
    for mount in checked:
        if mount['state'] != 'absent':
            problems.extend(version_problems(mount, '%s[%d]' % (VAR, mount['index']), version, why))
    method = choose_method(settings, checked, version)
    if method == 'fstab':
        if version and not at_least(version, FSTAB_VERSION):
            problems.append("mountpoint_s3_mount_method is 'fstab', but %s, which has no fstab helper "
                            "(mount.mount-s3 ships with %s and later); use 'systemd' or 'auto'" % (why, FSTAB_VERSION))
        for mount in checked:
            if mount['state'] != 'absent' and mount['env']:
                problems.append("%s[%d]: access keys and environment need the systemd method (an fstab entry "
                                "cannot carry them); set mountpoint_s3_mount_method to systemd or auto, or use an "
                                "instance role or profile" % (VAR, mount['index']))
    install = mount_rules.to_bool(settings.get('mountpoint_s3_install', True))
    if 'version' in facts and not install and not parse_version(facts.get('version')) and checked:
        problems.append('mountpoint_s3_install is false, but %s --version does not answer; install mount-s3 or '
                        'set mountpoint_s3_install to true' % settings.get('mountpoint_s3_binary'))
    if problems:
        return {'problems': problems, 'mounts': []}
    return {'problems': [], 'mounts': [planned(settings, mount, method, version) for mount in checked],
            'method': method, 'version': version}


def planned(settings, mount, method, version):
    """One planned mount: what the tasks render, what verification expects, and the digest of it all."""
    path = mount['path']
    name = 'mount-s3-%s' % systemd_escape_path(path)
    values = mount['values']
    read_only = bool(values.get('read_only'))
    args = command_args(mount)
    fstab_src = 's3://%s/%s' % (mount['bucket'], mount['prefix'])
    fstab_opts = fstab_options(mount)
    env_file = '%s/%s.env' % (settings.get('mountpoint_s3_config_dir'), name)
    options_present = ['nosuid', 'nodev'] + (['ro'] if read_only else []) \
        + (['allow_other'] if values.get('allow_other') else [])
    entry = {
        'index': mount['index'],
        'path': path,
        'label': path,
        'state': mount['state'],
        'method': method,
        'bucket': mount['bucket'],
        'prefix': mount['prefix'],
        'unit': name + '.service',
        'env_file': env_file,
        'needs_env': bool(mount['env']),
        'args': args,
        'fstab_src': fstab_src,
        'fstab_opts': fstab_opts,
        'read_only': read_only,
        'allow_other': bool(values.get('allow_other')),
        'cache': values.get('cache') or '',
        'log_directory': values.get('log_directory') or '',
        'expect': {
            'path': path,
            'fstype': 'fuse',
            'source': SOURCE,
            'options_present': options_present,
            'options_absent': [] if read_only else ['ro'],
            'fstab_options_present': ['_netdev', 'nosuid', 'nodev'] if method == 'fstab' else [],
            'check_alive': True,
        },
        'probe': {
            'profile': 'mountpoint_s3',
            'read_only': read_only,
            'allow_delete': bool(values.get('allow_delete')),
            'allow_overwrite': bool(values.get('allow_overwrite')),
            'version': version or None,
            # io_semantics names bucket types with '_' (general_purpose), Mountpoint's flag with '-'.
            'bucket_type': bucket_type(mount).replace('-', '_'),
            'incremental_upload': bool(values.get('incremental_upload')),
            # Where the S3 API finds the mount's objects, for the hand-off check (credentials stay in
            # mountpoint_s3_mounts[index]).
            's3': {'index': mount['index'], 'bucket': mount['bucket'], 'prefix': mount['prefix'] or '',
                   'region': values.get('region') or None, 'endpoint_url': values.get('endpoint_url') or None},
        },
    }
    # The secrets enter the digest only as part of the hash, so a rotated key restarts the mount.
    entry['digest'] = mount_model.digest(method, mount['bucket'], mount['prefix'], path, args, fstab_src, fstab_opts,
                                         sorted(mount['env'].items()), settings.get('mountpoint_s3_binary'),
                                         settings.get('mountpoint_s3_restart_sec'))
    return entry
