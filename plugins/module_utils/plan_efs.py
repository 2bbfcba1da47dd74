# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The efs role's planner: validates the role's variables and plans each mount (see mount_model).

``plan(settings, facts)``: settings are the role's ``efs_*`` variables (defaults filled in); facts are what
the host tells: ``efs_utils_installed`` (``/sbin/mount.efs`` exists), ``distribution`` and ``os_family``.
Facts left out are not checked (the audit plans without knowing whether efs-utils could be installed).
The rendering of a valid mount lives in ``efs_render``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.mountkit.aws.plugins.module_utils import mount_model
from ansible_collections.mountkit.aws.plugins.module_utils import mount_rules
from ansible_collections.mountkit.aws.plugins.module_utils.efs_render import RECOMMENDED_VALUES, live_expectations, render

# efs-utils mounts through mount.nfs4, so live mounts of both helpers are nfs4.
FSTYPES = ('nfs4', 'nfs', 'efs')
VAR = 'efs_mounts'
HELPERS = ('auto', 'efs', 'nfs')

FS_ID_RE = re.compile(r'^fs-[0-9a-f]{8,40}$')
ACCESS_POINT_RE = re.compile(r'^fsap-[0-9a-f]{8,40}$')
DNS_LABEL_RE = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')
# Availability Zone names (us-east-1a) and Local Zones (us-east-1-bos-1a).
AZ_RE = re.compile(r'^[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)?[a-z]$')
AWSPROFILE_RE = re.compile(r'^[A-Za-z0-9_.+@-]+$')
CONFIG_SECTION_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
CONFIG_KEY_RE = re.compile(r'^[a-z0-9][a-z0-9_]*$')
RELEASE_TAG_RE = re.compile(r'^v?[0-9]+\.[0-9]+\.[0-9]+$')

KEYS = ('file_system_id', 'path', 'subpath', 'mount_target_ip', 'az', 'region', 'access_point', 'tls', 'iam',
        'awsprofile', 'options', 'nofail', 'state')
NUMERIC = ('rsize', 'wsize', 'timeo', 'retrans')
# EFS serves NFS 4.0 and 4.1 only.
NFS_VERSIONS = ('4', '4.0', '4.1')
# Minimum timeo (tenths of a second) AWS accepts for soft mounts.
SOFT_MIN_TIMEO = 150
# Options only mount.efs understands; mount.nfs rejects them.
EFS_UTILS_ONLY = ('tls', 'notls', 'iam', 'accesspoint', 'awsprofile', 'awscredsuri', 'region', 'az', 'mounttargetip',
                  'netns', 'crossaccount', 'tlsport', 'verify', 'ocsp', 'noocsp', 'cafile', 'stunnel')
# efs-utils options that have a key of their own in a mount definition.
DEDICATED = {'tls': 'tls', 'notls': 'tls', 'iam': 'iam', 'accesspoint': 'access_point', 'awsprofile': 'awsprofile',
             'region': 'region', 'az': 'az', 'mounttargetip': 'mount_target_ip'}


def is_dns_name(name):
    labels = name.lower().rstrip('.').split('.')
    if len(name) > 253 or len(labels) < 2:
        return False
    return all(DNS_LABEL_RE.match(label) for label in labels) and not labels[-1].isdigit()


def split_option(option):
    key, sep, value = option.partition('=')
    return key.strip().lower(), (value if sep else None)


class MountCheck(object):
    """Validates one element of efs_mounts into a normalised mount; problems go to the shared list."""

    def __init__(self, index, item, ctx, problems):
        self.index = index
        self.item = item
        self.ctx = ctx
        self.problems = problems
        self.name = '%s[%d]' % (VAR, index)

    def problem(self, key, text):
        self.problems.append('%s%s %s' % (self.name, '.' + key if key else '', text))

    def string(self, key, required=False):
        value = self.item.get(key)
        if value is None or (isinstance(value, str) and value.strip() == '' and not required):
            if required:
                self.problem(key, 'is required')
            return None
        if not isinstance(value, str):
            self.problem(key, 'must be a string, got %r' % (value,))
            return None
        return value.strip()

    def flag(self, key, default):
        value, problems = mount_rules.flag(self.item.get(key), default, '%s.%s' % (self.name, key))
        self.problems.extend(problems)
        return value

    def check(self):
        item, helper = self.item, self.ctx['helper']
        unknown = sorted(set(item) - set(KEYS))
        if unknown:
            self.problem('', 'has unknown keys %s; allowed are %s' % (', '.join(unknown), ', '.join(KEYS)))
        state = self.string('state') or 'mounted'
        if state not in mount_model.STATES:
            self.problem('state', 'must be one of %s, got %r' % (', '.join(mount_model.STATES), state))
        path = self.string('path', required=True)
        if path is not None:
            self.problems.extend(mount_rules.absolute_path_problems(path, self.name + '.path'))
        fs_id = self.check_fs_id()
        subpath = self.check_subpath()
        ip = self.check_ip()
        az = self.string('az')
        if az is not None:
            if not AZ_RE.match(az):
                self.problem('az', "must be an Availability Zone name such as 'us-east-1a', got %r" % az)
            if ip is not None:
                self.problem('az', 'and mount_target_ip exclude each other; give one of them')
            if fs_id is not None and not fs_id.startswith('fs-'):
                self.problem('az', 'needs a file system id in file_system_id, not a DNS name')
        region = self.string('region')
        if region is not None:
            self.problems.extend(mount_rules.region_problems(region, self.name + '.region'))
        access_point = self.string('access_point')
        if access_point is not None and not ACCESS_POINT_RE.match(access_point):
            self.problem('access_point', "must be an access point id (fsap- and 8 to 40 lowercase hex digits), "
                                         "got %r" % access_point)
        awsprofile = self.string('awsprofile')
        if awsprofile is not None and not AWSPROFILE_RE.match(awsprofile):
            self.problem('awsprofile', 'must be a profile name of letters, digits and _.+@-, got %r' % awsprofile)
        iam = self.flag('iam', False)
        tls = self.flag('tls', helper == 'efs')
        nofail = self.flag('nofail', self.ctx['nofail'])

        if helper == 'nfs':
            for key, wanted in (('tls', tls), ('iam', iam), ('access_point', access_point),
                                ('awsprofile', awsprofile)):
                if wanted:
                    self.problem(key, 'needs the amazon-efs-utils mount helper (efs_mount_helper: efs); '
                                      'plain NFS has no TLS, IAM or access points%s' % self.ctx['why_nfs'])
        else:
            if iam and not tls:
                self.problem('iam', 'needs tls: true (efs-utils sends IAM credentials only over TLS)')
            if access_point is not None and not tls:
                self.problem('access_point', 'needs tls: true (efs-utils mounts access points only over TLS)')
        if awsprofile is not None and not iam:
            self.problem('awsprofile', 'needs iam: true (the profile supplies the IAM credentials)')
        if helper == 'nfs' and ip is None and fs_id is not None and fs_id.startswith('fs-') \
                and not (region or self.ctx['region']):
            self.problem('', 'needs a Region for the DNS name of %s: set efs_region (or %s.region), or give '
                             '%s.mount_target_ip' % (fs_id, self.name, self.name))
        overrides, extras = self.check_options()
        return {'index': self.index, 'path': path, 'state': state, 'file_system_id': fs_id, 'subpath': subpath,
                'mount_target_ip': ip, 'az': az, 'region': region, 'access_point': access_point,
                'awsprofile': awsprofile, 'iam': iam, 'tls': tls, 'nofail': nofail, 'overrides': overrides,
                'extras': extras}

    def check_fs_id(self):
        fs_id = self.string('file_system_id', required=True)
        if fs_id is None:
            return None
        if FS_ID_RE.match(fs_id):
            return fs_id
        if is_dns_name(fs_id):
            return fs_id.rstrip('.')
        self.problem('file_system_id', "must be a file system id (fs- and 8 to 40 lowercase hex digits, e.g. "
                                       "'fs-0123456789abcdef0') or a DNS name, got %r" % fs_id)
        return None

    def check_subpath(self):
        raw = self.string('subpath') or '/'
        # 'data', '/data' and '/data/' all name the same directory.
        subpath = '/' + raw.strip('/') if raw != '/' else '/'
        if subpath != '/' and (mount_rules.absolute_path_problems(subpath, 'subpath') or ':' in subpath):
            self.problem('subpath', "must be a normalised directory of the file system such as '/data' "
                                    "(no '.', '..', blanks, backslashes, ':' or ','), got %r" % raw)
        return subpath

    def check_ip(self):
        ip = self.string('mount_target_ip')
        if ip is None:
            return None
        try:
            return str(ipaddress.ip_address(ip))
        except ValueError:
            self.problem('mount_target_ip', 'must be an IPv4 or IPv6 address, got %r' % ip)
            return None

    def check_options(self):
        """Split the options into overrides of the recommended ones and the rest."""
        overrides = {}
        extras = []
        raw = self.item.get('options')
        if raw is None:
            raw = []
        if not isinstance(raw, (list, tuple)):
            self.problem('options', 'must be a list of mount options, got %r' % (raw,))
            return overrides, extras
        helper = self.ctx['helper']
        for pos, option in enumerate(raw):
            where = '%s.options[%d]' % (self.name, pos)
            if not isinstance(option, str) or mount_rules.option_problems(option, where):
                self.problem('options[%d]' % pos, 'must be one mount option without blanks, commas or quotes, '
                                                  'got %r' % (option,))
                continue
            key, value = split_option(option)
            if key == 'vers':
                key = 'nfsvers'
            if key in EFS_UTILS_ONLY:
                if helper == 'nfs':
                    self.problem('options[%d]' % pos, "%r is an amazon-efs-utils option; plain NFS "
                                                      "(efs_mount_helper: nfs) does not understand it" % option)
                elif key in DEDICATED:
                    self.problem('options[%d]' % pos, 'sets %r; use %s.%s instead' % (key, self.name, DEDICATED[key]))
                else:
                    extras.append(option)
                continue
            if key in ('_netdev', 'nofail'):
                continue  # always rendered; nofail through the nofail key
            problem = self.override(key, value, overrides)
            if problem:
                self.problem('options[%d]' % pos, problem)
            elif key not in RECOMMENDED_VALUES and key not in ('soft', 'resvport'):
                extras.append(option)
        if 'soft' in overrides:
            timeo = int(overrides.get('timeo', RECOMMENDED_VALUES['timeo']))
            if not self.ctx['allow_soft']:
                self.problem('options', 'asks for soft: a soft NFS mount returns I/O errors on timeouts and can '
                                        'corrupt data; set efs_allow_soft: true to accept that')
            elif timeo < SOFT_MIN_TIMEO:
                self.problem('options', 'asks for soft with timeo=%d; AWS requires timeo of at least %d (%d s) '
                                        'for soft mounts' % (timeo, SOFT_MIN_TIMEO, SOFT_MIN_TIMEO // 10))
        return overrides, extras

    @staticmethod
    def override(key, value, overrides):
        """Record an override of a recommended option; returns a problem text or None."""
        if key == 'nfsvers':
            if value not in NFS_VERSIONS:
                return ('EFS speaks NFS 4.0 and 4.1 only; nfsvers must be one of %s, got %r'
                        % (', '.join(NFS_VERSIONS), value))
        elif key in NUMERIC:
            if value is None or not value.isdigit() or int(value) <= 0:
                return '%s needs a positive whole number, got %r' % (key, '%s=%s' % (key, value))
            value = str(int(value))
        elif key in ('hard', 'soft'):
            if value is not None:
                return '%s takes no value, got %r' % (key, '%s=%s' % (key, value))
            if ('soft' if key == 'hard' else 'hard') in overrides:
                return 'hard and soft exclude each other'
            overrides[key] = None
            return None
        elif key in ('noresvport', 'resvport'):
            overrides.pop('noresvport' if key == 'resvport' else 'resvport', None)
            overrides[key] = None
            return None
        if key in RECOMMENDED_VALUES:
            if key in overrides and overrides[key] != value:
                return 'sets %s a second time' % key
            overrides[key] = value
        return None


def setting_problems(settings):
    """Problems of the role's settings other than efs_mounts."""
    problems = []
    if settings.get('efs_mount_helper') not in HELPERS:
        problems.extend(mount_rules.choice_problems(settings.get('efs_mount_helper'), 'efs_mount_helper', HELPERS))
    problems.extend(mount_rules.region_problems(settings.get('efs_region'), 'efs_region'))
    problems.extend(mount_rules.range_problems(settings.get('efs_mount_timeout'), 'efs_mount_timeout', 1))
    try:
        if float(settings.get('efs_verify_timeout')) <= 0:
            raise ValueError()
    except (TypeError, ValueError):
        problems.append("efs_verify_timeout must be a positive number of seconds, got '%s'"
                        % settings.get('efs_verify_timeout'))
    lower, upper = settings.get('efs_utils_port_range_lower'), settings.get('efs_utils_port_range_upper')
    ports = (mount_rules.range_problems(lower, 'efs_utils_port_range_lower', 1024, 65535)
             + mount_rules.range_problems(upper, 'efs_utils_port_range_upper', 1024, 65535))
    problems.extend(ports)
    if not ports and int(lower) > int(upper):
        problems.append('efs_utils_port_range_lower (%s) must not be above efs_utils_port_range_upper (%s)'
                        % (lower, upper))
    for name in ('efs_utils_retry_nfs_mount_command_count', 'efs_utils_retry_nfs_mount_command_timeout_sec',
                 'efs_utils_watchdog_poll_interval_sec'):
        problems.extend(mount_rules.range_problems(settings.get(name), name, 1))
    for name in ('efs_utils_install', 'efs_utils_fips_mode', 'efs_utils_retry_nfs_mount_command', 'efs_utils_watchdog',
                 'efs_ecs_volume_plugin', 'efs_nofail', 'efs_allow_soft', 'efs_verify'):
        problems.extend(mount_rules.flag(settings.get(name), False, name)[1])
    problems.extend(config_problems(settings.get('efs_utils_config')))
    src, url = settings.get('efs_utils_package_src'), settings.get('efs_utils_package_url')
    if src and url:
        problems.append('Give efs_utils_package_src (a file on the controller) or efs_utils_package_url, not both')
    if url and not re.match(r'^(https?|ftp)://[^\s]+$', str(url)):
        problems.append("efs_utils_package_url must be an http, https or ftp URL, got '%s'" % url)
    version = settings.get('efs_utils_build_version')
    if version and not RELEASE_TAG_RE.match(str(version)):
        problems.append("efs_utils_build_version must be a release tag of aws/efs-utils such as 'v2.4.1', never a "
                        "branch (master, main) or a commit; got '%s'" % version)
    return problems


def config_problems(config):
    """efs_utils_config ends up in an INI file that efs-utils reads with configparser."""
    if config in (None, ''):
        return []
    if not isinstance(config, dict):
        return ['efs_utils_config must map section names to dicts of key: value, got %r' % (config,)]
    bad = []
    for section, keys in config.items():
        if not CONFIG_SECTION_RE.match(str(section)) or not isinstance(keys, dict):
            bad.append(str(section))
            continue
        for key, value in keys.items():
            if not CONFIG_KEY_RE.match(str(key)) or re.search(r'[\n\r]', str(value)):
                bad.append('%s.%s' % (section, key))
    if bad:
        return ["efs_utils_config must map section names (letters, digits, '_', '.', '-') to dicts of key: value "
                "(lowercase letters, digits and '_'; one-line values); these are not: %s" % ', '.join(bad)]
    return []


def choose_helper(settings, facts):
    """(helper, why_nfs): the mount helper, and for auto choosing nfs a note for messages."""
    wanted = settings.get('efs_mount_helper')
    if wanted in ('efs', 'nfs'):
        return wanted, ''
    if facts.get('efs_utils_installed') or installable(settings, facts):
        return 'efs', ''
    return 'nfs', ('. efs_mount_helper auto chose plain NFS because amazon-efs-utils is neither installed nor '
                   'installable here (see efs_utils_package_src and efs_utils_package_url)')


def installable(settings, facts):
    try:
        install = mount_rules.to_bool(settings.get('efs_utils_install'))
    except ValueError:
        return False
    return install and bool(facts.get('distribution') == 'Amazon' or settings.get('efs_utils_package_src')
                            or settings.get('efs_utils_package_url') or settings.get('efs_utils_build_version'))


def host_problems(settings, facts, helper):
    """What the host must offer for the efs helper; only with the facts that tell it."""
    if helper != 'efs' or 'efs_utils_installed' not in facts:
        return []
    problems = []
    package = settings.get('efs_utils_package_src') or settings.get('efs_utils_package_url') or ''
    if not facts['efs_utils_installed'] and not installable(settings, facts):
        problems.append(
            "efs_mount_helper is efs, but /sbin/mount.efs is missing and %s. Upstream publishes no .deb: build one "
            "with ./build-deb.sh from a release tag of github.com/aws/efs-utils and set efs_utils_package_src or "
            "efs_utils_package_url, or use efs_mount_helper nfs"
            % ('efs_utils_install is false' if not mount_rules.to_bool(settings.get('efs_utils_install'))
               else '%s has no amazon-efs-utils package' % facts.get('distribution')))
    fmt = {'Debian': 'deb', 'RedHat': 'rpm'}.get(facts.get('os_family'))
    if package and fmt and not str(package).endswith('.' + fmt):
        problems.append('%s installs .%s packages, got efs_utils_package_%s %s'
                        % (facts.get('distribution'), fmt, 'src' if settings.get('efs_utils_package_src') else 'url',
                           package))
    if settings.get('efs_utils_build_version') and not package and not facts['efs_utils_installed']:
        problems.append(
            'efs_utils_build_version=%s: building amazon-efs-utils on the host is not implemented (it needs Rust, '
            'Go, cmake and perl there). Build the package on a build host (git clone --branch %s '
            'https://github.com/aws/efs-utils && ./build-deb.sh or make rpm), then set efs_utils_package_src or '
            'efs_utils_package_url and leave efs_utils_build_version empty'
            % (settings['efs_utils_build_version'], settings['efs_utils_build_version']))
    return problems


def shared_option_problems(checked, rendered):
    """The kernel shares one superblock, and with it the NFS options, between plain NFS mounts of one file
    system from one server (efs-utils gives each mount a tunnel of its own); nosharecache opts out."""
    problems = []
    first_of = {}
    for mount, plan in zip(checked, rendered):
        if plan['state'] != 'mounted' or mount['file_system_id'] is None and mount['mount_target_ip'] is None:
            continue
        if 'nosharecache' in [split_option(option)[0] for option in mount['extras']]:
            continue
        server = mount['mount_target_ip'] or mount['file_system_id']
        signature = live_expectations(mount['overrides'])[0]
        first = first_of.setdefault(server, (mount, signature))
        if first[0] is mount or first[1] == signature:
            continue
        other, other_signature = first
        problems.append(
            '%s[%d].options ask for %s, but %s[%d] mounts the same file system (%s) with %s: the kernel shares NFS '
            'options between mounts of one file system, so %s[%d] would silently get those of %s[%d]. Use the same '
            'NFS options, or add nosharecache to %s[%d].options'
            % (VAR, mount['index'], ','.join(o for o in signature if o not in other_signature), VAR, other['index'],
               server, ','.join(o for o in other_signature if o not in signature), VAR, mount['index'], VAR,
               other['index'], VAR, mount['index']))
    return problems


def plan(settings, facts):
    facts = facts or {}
    problems = setting_problems(settings)
    helper, why_nfs = choose_helper(settings, facts)
    result = {'problems': problems, 'mounts': [], 'helper': helper}
    mounts = settings.get(VAR)
    if mounts is None:
        mounts = []
    if not isinstance(mounts, (list, tuple)):
        problems.append('%s must be a list of mounts, got %r' % (VAR, mounts))
        return result
    region = settings.get('efs_region') or ''
    if mount_rules.region_problems(region, 'efs_region'):
        region = ''
    try:
        allow_soft, nofail = mount_rules.to_bool(settings.get('efs_allow_soft')), mount_rules.to_bool(settings.get('efs_nofail'))
    except ValueError:
        allow_soft, nofail = False, True
    ctx = {'helper': helper, 'region': region, 'allow_soft': allow_soft, 'nofail': nofail, 'why_nfs': why_nfs}
    checked = []
    for index, item in enumerate(mounts):
        if not isinstance(item, dict):
            problems.append('%s[%d] must be a dict with file_system_id and path, got %r' % (VAR, index, item))
            continue
        before = len(problems)
        mount = MountCheck(index, item, ctx, problems).check()
        mount['valid'] = len(problems) == before
        checked.append(mount)
    problems.extend(mount_rules.path_overlap_problems(
        [('%s[%d].path' % (VAR, mount['index']), mount['path']) for mount in checked
         if mount['path'] and not mount_rules.absolute_path_problems(mount['path'], '')]))
    problems.extend(host_problems(settings, facts, helper))
    dns_suffix = (settings.get('efs_dns_suffix') or '').strip()
    for mount in checked:
        entry = {'index': mount['index'], 'path': mount['path'], 'label': mount['path'], 'state': mount['state']}
        if mount['valid']:
            entry.update(render(mount, helper, region, dns_suffix))
            entry['digest'] = mount_model.digest(entry['src'], entry['fstype'], entry['opts'])
            entry['probe'] = {'profile': 'nfs', 'read_only': 'ro' in mount['extras'], 'allow_delete': False,
                              'allow_overwrite': False}
        result['mounts'].append(entry)
    valid = [mount for mount in checked if mount['valid']]
    if helper == 'nfs':
        problems.extend(shared_option_problems(valid, [m for m in result['mounts'] if 'src' in m]))
    return result
