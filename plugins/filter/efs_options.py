# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: efs_options
short_description: Validate EFS mount definitions and render their fstab entries and expected live options
version_added: "0.1.0"
author:
  - mountkit.aws maintainers (@mountkit)
description:
  - Takes the list of mounts of the C(mountkit.aws.efs) role (C(efs_mounts)) and returns, per mount, the fstab
    entry to write with M(ansible.posix.mount) and what M(mountkit.aws.mount_flags) must find once it is
    mounted, together with every problem in the input.
  - With O(helper=nfs) the entry is a plain C(nfs4) mount with the options AWS recommends,
    C(nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev), plus C(nofail).
    Its source is the mount target IP, the given DNS name, or the file system's DNS name
    C([az.]fs-id.efs.region.amazonaws.com), followed by C(:/subpath).
  - With O(helper=efs) the entry has type C(efs), for the amazon-efs-utils mount helper, with C(_netdev)
    and C(tls), C(iam), C(accesspoint=...) as asked; efs-utils adds the NFS options itself.
  - Options in a mount's C(options) replace the recommended value of the same option (C(timeo=900)
    replaces C(timeo=600), C(soft) replaces C(hard)); others are appended.
  - With O(helper=nfs), mounts of one file system (the same C(mount_target_ip), file system id or DNS name)
    must agree on their NFS options, since the kernel shares them between such mounts; C(nosharecache) opts
    a mount out.
  - Problems name the element and key, for example C(efs_mounts[1].access_point needs tls).
    Nothing is raised for bad input; the caller decides (the role fails on any problem).
positional: _input
options:
  _input:
    description: The mounts, as the role's C(efs_mounts) list (dicts with C(file_system_id), C(path), ...).
    type: list
    elements: dict
    required: true
  helper:
    description: Mount helper the entries are rendered for; C(auto) must be resolved before.
    type: str
    choices: [nfs, efs]
    default: nfs
  region:
    description:
      - AWS Region of the file systems, used for DNS names in C(nfs) mode. A mount's own C(region) wins.
    type: str
  dns_suffix:
    description:
      - Domain after the Region in DNS names. Empty means C(amazonaws.com), or C(amazonaws.com.cn) for
        C(cn-*) Regions.
    type: str
  allow_soft:
    description: Accept C(soft) in a mount's options (with C(timeo) of at least 150).
    type: bool
    default: false
  nofail:
    description: Default of each mount's C(nofail).
    type: bool
    default: true
  var:
    description: Variable name used in problem messages.
    type: str
    default: efs_mounts
'''

EXAMPLES = r'''
- name: Render the mounts for plain NFS
  ansible.builtin.set_fact:
    efs_spec: "{{ efs_mounts | mountkit.aws.efs_options(helper='nfs', region='us-east-1') }}"

- name: Stop on bad input
  ansible.builtin.assert:
    that: efs_spec.problems | length == 0
    fail_msg: "{{ efs_spec.problems | join('; ') }}"

# [{file_system_id: fs-0123456789abcdef0, path: /mnt/efs}] with helper=nfs renders
#   src:  fs-0123456789abcdef0.efs.us-east-1.amazonaws.com:/
#   opts: nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev,nofail
# and with helper=efs
#   src:  fs-0123456789abcdef0    fstype: efs    opts: _netdev,tls,nofail
'''

RETURN = r'''
_value:
  description: The rendered mounts and the problems found.
  type: dict
  contains:
    problems:
      description: One message per problem; empty when the input is valid.
      type: list
      elements: str
    mounts:
      description:
        - One entry per input element, in order (rendered as far as the input allows).
        - Keys C(index), C(path), C(state), C(src), C(fstype), C(opts) (comma-separated),
          C(options) (list), C(line) (the fstab line), and C(expect) - what the live mount must show,
          as arguments of M(mountkit.aws.mount_flags) (C(fstype), C(source), C(options_present),
          C(options_absent), C(fstab_options_present)).
      type: list
      elements: dict
'''

import ipaddress
import posixpath
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.six import string_types

FS_ID_RE = re.compile(r'^fs-[0-9a-f]{8,40}$')
ACCESS_POINT_RE = re.compile(r'^fsap-[0-9a-f]{8,40}$')
DNS_LABEL_RE = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')
REGION_RE = re.compile(r'^[a-z]{2}(-[a-z]+)+-[0-9]+$')
# Availability Zone names (us-east-1a) and Local Zones (us-east-1-bos-1a).
AZ_RE = re.compile(r'^[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)?[a-z]$')
AWSPROFILE_RE = re.compile(r'^[A-Za-z0-9_.+@-]+$')

KEYS = ('file_system_id', 'path', 'subpath', 'mount_target_ip', 'az', 'region', 'access_point', 'tls', 'iam',
        'awsprofile', 'options', 'nofail', 'state')
STATES = ('mounted', 'present', 'absent')

# AWS's recommended NFS options, in the order of its documentation.
RECOMMENDED = (('nfsvers', '4.1'), ('rsize', '1048576'), ('wsize', '1048576'), ('hard', None), ('timeo', '600'),
               ('retrans', '2'), ('noresvport', None))
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


def _split(option):
    key, sep, value = option.partition('=')
    return key.strip().lower(), (value if sep else None)


def _glob_escape(text):
    """Escape a literal for the shell-style patterns of mount_flags (fnmatch)."""
    return re.sub(r'([*?\[])', r'[\1]', text)


def _is_dns_name(name):
    labels = name.lower().rstrip('.').split('.')
    if len(name) > 253 or len(labels) < 2:
        return False
    return all(DNS_LABEL_RE.match(label) for label in labels) and not labels[-1].isdigit()


def _bool(value, default):
    if value is None:
        return default
    return boolean(value, strict=True)


class _Mount(object):
    """Validate and render one element; problems are appended to the shared list."""

    def __init__(self, index, item, ctx, problems):
        self.index = index
        self.item = item
        self.ctx = ctx
        self.problems = problems
        self.name = '%s[%d]' % (ctx['var'], index)
        self.server = None
        self.nfs_signature = None

    def problem(self, key, text):
        self.problems.append('%s%s %s' % (self.name, '.' + key if key else '', text))

    def string(self, key, required=False):
        value = self.item.get(key)
        if value is None or (isinstance(value, string_types) and value.strip() == '' and not required):
            if required:
                self.problem(key, 'is required')
            return None
        if not isinstance(value, string_types):
            self.problem(key, 'must be a string, got %r' % (value,))
            return None
        return value.strip()

    def flag(self, key, default):
        try:
            return _bool(self.item.get(key), default)
        except TypeError:
            self.problem(key, 'must be true or false, got %r' % (self.item.get(key),))
            return default

    def render(self):
        item = self.item
        ctx = self.ctx
        helper = ctx['helper']

        unknown = sorted(set(item) - set(KEYS))
        if unknown:
            self.problem('', 'has unknown keys %s; allowed are %s' % (', '.join(unknown), ', '.join(KEYS)))

        state = self.string('state') or 'mounted'
        if state not in STATES:
            self.problem('state', 'must be one of %s, got %r' % (', '.join(STATES), state))

        path = self.check_path()
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
        if region is not None and not REGION_RE.match(region):
            self.problem('region', "must be an AWS Region such as 'us-east-1', got %r" % region)
        access_point = self.string('access_point')
        if access_point is not None and not ACCESS_POINT_RE.match(access_point):
            self.problem('access_point', "must be an access point id (fsap- and 8 to 40 lowercase hex digits), "
                                         "got %r" % access_point)
        awsprofile = self.string('awsprofile')
        if awsprofile is not None and not AWSPROFILE_RE.match(awsprofile):
            self.problem('awsprofile', 'must be a profile name of letters, digits and _.+@-, got %r' % awsprofile)
        iam = self.flag('iam', False)
        tls = self.flag('tls', helper == 'efs')
        nofail = self.flag('nofail', ctx['nofail'])

        if helper == 'nfs':
            for key, wanted in (('tls', tls), ('iam', iam), ('access_point', access_point),
                                ('awsprofile', awsprofile)):
                if wanted:
                    self.problem(key, 'needs the amazon-efs-utils mount helper (efs_mount_helper: efs); '
                                      'plain NFS has no TLS, IAM or access points')
        else:
            if iam and not tls:
                self.problem('iam', 'needs tls: true (efs-utils sends IAM credentials only over TLS)')
            if access_point is not None and not tls:
                self.problem('access_point', 'needs tls: true (efs-utils mounts access points only over TLS)')
        if awsprofile is not None and not iam:
            self.problem('awsprofile', 'needs iam: true (the profile supplies the IAM credentials)')

        overrides, extras = self.check_options()
        nfs_opts = self.nfs_options(overrides)

        # The source and option list of the fstab entry.
        if helper == 'nfs':
            src = self.nfs_source(fs_id, ip, az, region, subpath)
            options = nfs_opts + ['_netdev'] + (['nofail'] if nofail else []) + extras
            fstype = 'nfs4'
            source_pattern = _glob_escape(src) if src else None
            fstab_expect = ['_netdev'] + (['nofail'] if nofail else [])
        else:
            src = (fs_id or '') + ('' if subpath == '/' else ':' + subpath)
            efs_opts = ['_netdev']
            efs_opts += ['tls'] if tls else []
            efs_opts += ['iam'] if iam else []
            efs_opts += ['accesspoint=' + access_point] if access_point else []
            efs_opts += ['awsprofile=' + awsprofile] if awsprofile else []
            efs_opts += ['region=' + region] if region else []
            efs_opts += ['az=' + az] if az else []
            efs_opts += ['mounttargetip=' + ip] if ip else []
            efs_opts += ['nofail'] if nofail else []
            options = efs_opts + overrides_in_order(overrides) + extras
            fstype = 'efs'
            # efs-utils mounts through its local proxy or stunnel (127.0.0.1) or straight to the target.
            source_pattern = '*:' + _glob_escape(subpath)
            fstab_expect = [o for o in efs_opts
                            if o.split('=', 1)[0] in ('_netdev', 'nofail', 'tls', 'iam', 'accesspoint')]

        live = self.live_expectations(overrides)
        # The kernel shares one superblock, and with it the NFS options, between mounts of one file system from
        # one server; efs-utils gives each mount a tunnel of its own.
        if helper == 'nfs' and src and 'nosharecache' not in [_split(o)[0] for o in extras]:
            self.server = ip or fs_id
            self.nfs_signature = live
        return {
            'index': self.index,
            'path': path,
            'state': state,
            'src': src,
            'fstype': fstype,
            'options': options,
            'opts': ','.join(options),
            'line': '%s %s %s %s 0 0' % (src, path, fstype, ','.join(options)),
            'expect': {
                'fstype': 'nfs4',
                'source': source_pattern,
                'options_present': live[0],
                'options_absent': live[1],
                'fstab_options_present': fstab_expect,
            },
        }

    def check_path(self):
        path = self.string('path', required=True)
        if path is None:
            return None
        if not path.startswith('/') or path.startswith('//') or posixpath.normpath(path) != path:
            self.problem('path', "must be an absolute, normalised path without a trailing '/', got %r" % path)
        elif path == '/':
            self.problem('path', "must not be '/'")
        if re.search(r'[\s\\]', path):
            self.problem('path', 'must not contain blanks or backslashes, got %r' % path)
        return path

    def check_fs_id(self):
        fs_id = self.string('file_system_id', required=True)
        if fs_id is None:
            return None
        if FS_ID_RE.match(fs_id):
            return fs_id
        if _is_dns_name(fs_id):
            return fs_id.rstrip('.')
        self.problem('file_system_id', "must be a file system id (fs- and 8 to 40 lowercase hex digits, e.g. "
                                       "'fs-0123456789abcdef0') or a DNS name, got %r" % fs_id)
        return None

    def check_subpath(self):
        raw = self.string('subpath') or '/'
        # 'data', '/data' and '/data/' all name the same directory.
        subpath = '/' + raw.strip('/') if raw != '/' else '/'
        if posixpath.normpath(subpath) != subpath or subpath.startswith('//') or re.search(r'[\s\\:,]', subpath):
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
        """Split the extra options into overrides of the recommended ones and the rest."""
        overrides = {}
        extras = []
        raw = self.item.get('options')
        if raw is None:
            raw = []
        if isinstance(raw, string_types) or not isinstance(raw, (list, tuple)):
            self.problem('options', 'must be a list of mount options, got %r' % (raw,))
            return overrides, extras
        helper = self.ctx['helper']
        recommended = dict(RECOMMENDED)
        for pos, option in enumerate(raw):
            where = 'options[%d]' % pos
            if not isinstance(option, string_types) or not option.strip() or re.search(r'[\s,\'"\\]', option):
                self.problem(where, 'must be one mount option without blanks, commas or quotes, got %r' % (option,))
                continue
            key, value = _split(option)
            if key == 'vers':
                key = 'nfsvers'
            if key in EFS_UTILS_ONLY:
                if helper == 'nfs':
                    self.problem(where, "%r is an amazon-efs-utils option; plain NFS (efs_mount_helper: nfs) "
                                        "does not understand it" % option)
                elif key in DEDICATED:
                    self.problem(where, 'sets %r; use %s.%s instead' % (key, self.name, DEDICATED[key]))
                else:
                    extras.append(option)
                continue
            if key in ('_netdev', 'nofail'):
                continue  # always rendered; nofail through the nofail key
            if key == 'nfsvers':
                if value not in NFS_VERSIONS:
                    self.problem(where, 'EFS speaks NFS 4.0 and 4.1 only; nfsvers must be one of %s, got %r'
                                 % (', '.join(NFS_VERSIONS), value))
                    continue
            elif key in NUMERIC:
                if value is None or not value.isdigit() or int(value) <= 0:
                    self.problem(where, '%s needs a positive whole number, got %r' % (key, option))
                    continue
                value = str(int(value))
            elif key in ('hard', 'soft'):
                if value is not None:
                    self.problem(where, '%s takes no value, got %r' % (key, option))
                    continue
                other = 'soft' if key == 'hard' else 'hard'
                if other in overrides:
                    self.problem(where, 'hard and soft exclude each other')
                    continue
                overrides[key] = None
                continue
            elif key in ('noresvport', 'resvport'):
                overrides.pop('noresvport' if key == 'resvport' else 'resvport', None)
                overrides[key] = None
                continue
            if key in recommended:
                if key in overrides and overrides[key] != value:
                    self.problem(where, 'sets %s a second time' % key)
                    continue
                overrides[key] = value
            else:
                extras.append(option)
        if 'soft' in overrides:
            timeo = int(overrides.get('timeo', recommended['timeo']))
            if not self.ctx['allow_soft']:
                self.problem('options', 'asks for soft: a soft NFS mount returns I/O errors on timeouts and can '
                                        'corrupt data; set efs_allow_soft: true to accept that')
            elif timeo < SOFT_MIN_TIMEO:
                self.problem('options', 'asks for soft with timeo=%d; AWS requires timeo of at least %d (%d s) '
                                        'for soft mounts' % (timeo, SOFT_MIN_TIMEO, SOFT_MIN_TIMEO // 10))
        return overrides, extras

    @staticmethod
    def nfs_options(overrides):
        """The recommended options with overrides applied in place."""
        rendered = []
        for key, default in RECOMMENDED:
            if key == 'hard' and 'soft' in overrides:
                rendered.append('soft')
            elif key == 'noresvport' and 'resvport' in overrides:
                rendered.append('resvport')
            elif default is None:
                rendered.append(key)
            else:
                rendered.append('%s=%s' % (key, overrides.get(key, default)))
        return rendered

    @staticmethod
    def live_expectations(overrides):
        """Options the kernel must show (mountinfo spells nfsvers as vers) and must not show."""
        present = ['vers=' + overrides.get('nfsvers', '4.1')]
        for key in ('rsize', 'wsize'):
            present.append('%s=%s' % (key, overrides.get(key, dict(RECOMMENDED)[key])))
        soft = 'soft' in overrides
        present.append('soft' if soft else 'hard')
        for key in ('timeo', 'retrans'):
            present.append('%s=%s' % (key, overrides.get(key, dict(RECOMMENDED)[key])))
        absent = ['hard' if soft else 'soft']
        if 'resvport' in overrides:
            absent.append('noresvport')
        else:
            present.append('noresvport')
        return present, absent

    def nfs_source(self, fs_id, ip, az, region, subpath):
        if ip is not None:
            host = '[%s]' % ip if ':' in ip else ip
        elif fs_id is None:
            return None
        elif not fs_id.startswith('fs-'):
            host = fs_id
        else:
            region = region or self.ctx['region']
            if not region:
                self.problem('', 'needs a Region for the DNS name of %s: set efs_region (or %s.region), or give '
                                 '%s.mount_target_ip' % (fs_id, self.name, self.name))
                return None
            suffix = self.ctx['dns_suffix'] or ('amazonaws.com.cn' if region.startswith('cn-') else 'amazonaws.com')
            host = '%s%s.efs.%s.%s' % (az + '.' if az else '', fs_id, region, suffix)
        return '%s:%s' % (host, subpath)


def overrides_in_order(overrides):
    """Overrides of the recommended options, for efs-utils, which fills in the rest itself."""
    rendered = []
    for key, _default in RECOMMENDED:
        if key == 'hard' and 'soft' in overrides:
            rendered.append('soft')
        elif key == 'noresvport' and 'resvport' in overrides:
            rendered.append('resvport')
        elif key in overrides and key not in ('hard', 'noresvport'):
            rendered.append('%s=%s' % (key, overrides[key]))
    return rendered


def efs_options(mounts, helper='nfs', region=None, dns_suffix=None, allow_soft=False, nofail=True,
                var='efs_mounts'):
    if helper not in ('nfs', 'efs'):
        raise AnsibleFilterError("efs_options: helper must be 'nfs' or 'efs', got %r" % (helper,))
    if mounts is None:
        mounts = []
    problems = []
    if isinstance(mounts, string_types) or not isinstance(mounts, (list, tuple)):
        return {'mounts': [], 'problems': ['%s must be a list of mounts, got %r' % (var, mounts)]}
    region = (region or '').strip()
    if region and not REGION_RE.match(region):
        problems.append("efs_region must be an AWS Region such as 'us-east-1', got %r" % region)
        region = ''
    ctx = {'helper': helper, 'region': region, 'dns_suffix': (dns_suffix or '').strip(),
           'allow_soft': _bool(allow_soft, False), 'nofail': _bool(nofail, True), 'var': var}

    rendered = []
    shared = {}
    for index, item in enumerate(mounts):
        if not isinstance(item, dict):
            problems.append('%s[%d] must be a dict with file_system_id and path, got %r' % (var, index, item))
            continue
        mount = _Mount(index, item, ctx, problems)
        rendered.append(mount.render())
        if mount.server is None or rendered[-1]['state'] != 'mounted':
            continue
        first = shared.setdefault(mount.server, mount)
        if first is not mount and first.nfs_signature != mount.nfs_signature:
            differ = [option for option in mount.nfs_signature[0] if option not in first.nfs_signature[0]]
            problems.append('%s[%d].options ask for %s, but %s[%d] mounts the same file system (%s) with %s: the '
                            'kernel shares NFS options between mounts of one file system, so %s[%d] would silently '
                            'get those of %s[%d]. Use the same NFS options, or add nosharecache to %s[%d].options'
                            % (var, index, ','.join(differ), var, first.index, mount.server,
                               ','.join(option for option in first.nfs_signature[0]
                                        if option not in mount.nfs_signature[0]),
                               var, index, var, first.index, var, index))

    # Paths: each once, and none inside another (the inner one would be hidden or mounted in the wrong order).
    seen = {}
    for mount in rendered:
        path = mount['path']
        if not path or not path.startswith('/'):
            continue
        if path in seen:
            problems.append('%s[%d].path repeats %r of %s[%d]; list each mount point once'
                            % (var, mount['index'], path, var, seen[path]))
            continue
        seen[path] = mount['index']
    for mount in rendered:
        for other in rendered:
            if other is mount or not mount['path'] or not other['path'] or other['path'] == '/':
                continue
            if mount['path'].startswith(other['path'] + '/'):
                problems.append('%s[%d].path %r lies inside %s[%d].path %r; EFS mounts must not be nested'
                                % (var, mount['index'], mount['path'], var, other['index'], other['path']))
    return {'mounts': rendered, 'problems': problems}


class FilterModule(object):
    def filters(self):
        return {'efs_options': efs_options}
