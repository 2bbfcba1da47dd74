# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rendering of validated EFS mounts: the fstab entry and what the kernel must show once it is mounted.

Takes the normalised mount that ``plan_efs`` validated (it never sees bad input) and returns strings and
lists only; the planner owns every rule about what is allowed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# AWS's recommended NFS options, in the order of its documentation.
RECOMMENDED = (('nfsvers', '4.1'), ('rsize', '1048576'), ('wsize', '1048576'), ('hard', None), ('timeo', '600'),
               ('retrans', '2'), ('noresvport', None))
RECOMMENDED_VALUES = dict(RECOMMENDED)
# Per-mount VFS flags the kernel shows in mountinfo as given; other extra options are not expected live
# (mount.nfs rewrites some, e.g. actimeo becomes acregmin,acregmax,...).
VFS_FLAGS = ('ro', 'noexec', 'nosuid', 'nodev', 'noatime', 'nodiratime', 'relatime')


def glob_escape(text):
    """Escape a literal for the shell-style patterns of mount_flags (fnmatch)."""
    return re.sub(r'([*?\[])', r'[\1]', text)


def option_name(option):
    return option.split('=', 1)[0].strip().lower()


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


def live_expectations(overrides, extras=()):
    """(present, absent): options the kernel must and must not show (mountinfo spells nfsvers as vers)."""
    present = ['vers=' + overrides.get('nfsvers', '4.1')]
    for key in ('rsize', 'wsize'):
        present.append('%s=%s' % (key, overrides.get(key, RECOMMENDED_VALUES[key])))
    soft = 'soft' in overrides
    present.append('soft' if soft else 'hard')
    for key in ('timeo', 'retrans'):
        present.append('%s=%s' % (key, overrides.get(key, RECOMMENDED_VALUES[key])))
    absent = ['hard' if soft else 'soft']
    if 'resvport' in overrides:
        absent.append('noresvport')
    else:
        present.append('noresvport')
    flags = [option for option in extras if option_name(option) in VFS_FLAGS]
    present.extend(flags)
    return present, absent


def nfs_host(mount, region, dns_suffix):
    """The server part of a plain NFS source; region is known to be set when a DNS name is built."""
    if mount['mount_target_ip']:
        ip = mount['mount_target_ip']
        return '[%s]' % ip if ':' in ip else ip
    if not mount['file_system_id'].startswith('fs-'):
        return mount['file_system_id']
    suffix = dns_suffix or ('amazonaws.com.cn' if region.startswith('cn-') else 'amazonaws.com')
    return '%s%s.efs.%s.%s' % (mount['az'] + '.' if mount['az'] else '', mount['file_system_id'], region, suffix)


def render(mount, helper, region='', dns_suffix=''):
    """The fstab entry and live expectations of one validated mount.

    mount: path, file_system_id, subpath, mount_target_ip, az, region, access_point, awsprofile, tls, iam,
    nofail, overrides (recommended options replaced), extras (other options, in order).
    """
    overrides, extras, nofail = mount['overrides'], mount['extras'], mount['nofail']
    subpath = mount['subpath']
    if helper == 'nfs':
        src = '%s:%s' % (nfs_host(mount, mount['region'] or region, dns_suffix), subpath)
        options = nfs_options(overrides) + ['_netdev'] + (['nofail'] if nofail else []) + extras
        fstype = 'nfs4'
        source_pattern = glob_escape(src)
        fstab_expect = ['_netdev'] + (['nofail'] if nofail else [])
    else:
        src = mount['file_system_id'] + ('' if subpath == '/' else ':' + subpath)
        efs_opts = ['_netdev']
        efs_opts += ['tls'] if mount['tls'] else []
        efs_opts += ['iam'] if mount['iam'] else []
        efs_opts += ['accesspoint=' + mount['access_point']] if mount['access_point'] else []
        efs_opts += ['awsprofile=' + mount['awsprofile']] if mount['awsprofile'] else []
        efs_opts += ['region=' + mount['region']] if mount['region'] else []
        efs_opts += ['az=' + mount['az']] if mount['az'] else []
        efs_opts += ['mounttargetip=' + mount['mount_target_ip']] if mount['mount_target_ip'] else []
        efs_opts += ['nofail'] if nofail else []
        options = efs_opts + overrides_in_order(overrides) + extras
        fstype = 'efs'
        # efs-utils mounts through its local proxy (efs-utils 2 and later, also without TLS: 127.0.0.1:/path
        # with a port= from the configured range) or stunnel (127.0.0.1), or straight to the mount target.
        source_pattern = '*:' + glob_escape(subpath)
        fstab_expect = [o for o in efs_opts if option_name(o) in ('_netdev', 'nofail', 'tls', 'iam', 'accesspoint')]
    present, absent = live_expectations(overrides, extras)
    opts = ','.join(options)
    return {
        'src': src,
        'fstype': fstype,
        'options': options,
        'opts': opts,
        'line': '%s %s %s %s 0 0' % (src, mount['path'], fstype, opts),
        'expect': {
            'path': mount['path'],
            'fstype': 'nfs4',
            'source': source_pattern,
            'options_present': present,
            'options_absent': absent,
            'fstab_options_present': fstab_expect,
            'propagation': 'any',
            'check_alive': True,
        },
    }
