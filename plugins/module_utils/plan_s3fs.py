# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The s3fs planner: the s3fs role's variables and the host's facts in, validated and rendered mounts out.

``facts`` (all optional, read on the host by the role before it plans):

- ``version``: the output of ``s3fs --version`` (or just ``1.90``); unknown before s3fs is installed.
- ``users`` / ``groups``: owner and group names mapped to their number, or None for a name the host lacks;
  or ``getent``: the results of an ``ansible.builtin.getent`` loop whose items are ``'passwd <name>'`` or
  ``'group <name>'``.
- ``imds``: what the host's instance metadata service answered to a request without a token: ``v2``
  (401: IMDSv2 only), ``v1`` (answered) or ``none`` (unreachable, not on EC2).
- ``check_mode``: names that do not exist yet are no problem (an earlier role would create them).

The mounts never hold a key; the keys only go into each mount's digest, so a rotated key remounts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mountkit.aws.plugins.module_utils import mount_model
from ansible_collections.mountkit.aws.plugins.module_utils import mount_rules as rules

FSTYPES = ('fuse.s3fs',)

# Options derived from other keys of a mount; refused in `options` so each has one source.
MANAGED_OPTIONS = {
    '_netdev': 'nothing (always set)',
    'nofail': "the mount's nofail",
    'fsname': "the mount's bucket",
    'subtype': 'nothing (always set)',
    'passwd_file': "the mount's aws_access_key_id/aws_secret_access_key or passwd_file",
    'iam_role': "the mount's iam_role",
    'public_bucket': "the mount's public",
    'url': "the mount's url",
    'endpoint': "the mount's region",
    'region': "the mount's region",
    'use_path_request_style': "the mount's path_style",
    'use_cache': "the mount's cache_dir",
    'del_cache': "the mount's cache_dir",
    'allow_other': "the mount's allow_other",
    'mp_umask': "the mount's mode",
    'uid': "the mount's owner",
    'gid': "the mount's group",
    'enable_content_md5': "the mount's enable_content_md5",
}

# Tuned options in fstab order: (variable, s3fs option, lowest, highest). A mount's own option of the same
# name replaces the role's value.
TUNING = (
    ('s3fs_multipart_size', 'multipart_size', 5, 5120),
    ('s3fs_parallel_count', 'parallel_count', 1, 100),
    ('s3fs_max_stat_cache_size', 'max_stat_cache_size', 0, 100000000),
    ('s3fs_stat_cache_expire', 'stat_cache_expire', 0, 31536000),
    ('s3fs_retries', 'retries', 1, 10),
    ('s3fs_connect_timeout', 'connect_timeout', 1, 300),
    ('s3fs_readwrite_timeout', 'readwrite_timeout', 1, 600),
)
OTHER_RANGES = (('s3fs_verify_timeout', 1, 600),)

# s3fs releases that changed what the role may render.
IMDSV2_SINCE = (1, 91)        # reads instance-role credentials with an IMDSv2 token
NOOBJ_CACHE_DEFAULT = (1, 92)  # negative cache on by default; enable_noobj_cache only warns
FUSE3_SINCE = (1, 96)         # FUSE 3; endpoint -> region; parallel_count folded into max_thread_count
IMDS_CHOICES = ('auto', 'v1', 'v2')

VERSION_RE = re.compile(r'(?:^|[^0-9.])V?([0-9]+)\.([0-9]+)(?:\.[0-9]+)?')
PACKAGE_URL_RE = re.compile(r'^(https?://|/)\S+\.(deb|rpm)$')


def parse_version(text):
    """'Amazon Simple Storage Service File System V1.90 (commit:...)' or '1.90' -> (1, 90); None if unknown."""
    if not text:
        return None
    match = VERSION_RE.search(str(text))
    return (int(match.group(1)), int(match.group(2))) if match else None


def version_text(version):
    return '%d.%d' % version if version else None


def pick(mount, key, default):
    """A mount's own value of key, or the role-wide default when it is unset (None)."""
    value = mount.get(key)
    return default if value is None else value


def text(value):
    return '' if value is None else str(value)


def option_name(option):
    return str(option).split('=', 1)[0]


def render_for_version(options, version):
    """Rename or drop what the installed s3fs no longer takes; unknown versions keep the long-standing names,
    which every release still reads."""
    if not version:
        return options
    result = []
    for option in options:
        name = option_name(option)
        if version >= FUSE3_SINCE and name == 'nonempty':
            continue  # FUSE 3 mounts over non-empty directories anyway, and its mount refuses the option
        if version >= NOOBJ_CACHE_DEFAULT and name == 'enable_noobj_cache':
            continue  # the default since 1.92
        if version >= FUSE3_SINCE and name == 'parallel_count':
            option = 'max_thread_count' + option[len(name):]
        result.append(option)
    return result


def credential_kind(mount, iam_default):
    """'keys', 'passwd_file', 'public', 'iam_role' or '' (s3fs's own lookup)."""
    if text(mount.get('aws_access_key_id')):
        return 'keys'
    if text(mount.get('passwd_file')):
        return 'passwd_file'
    if mount.get('public'):
        return 'public'
    if text(pick(mount, 'iam_role', iam_default)):
        return 'iam_role'
    return ''


def global_problems(settings, facts):
    problems = []
    for name, _option, low, high in TUNING:
        problems += rules.range_problems(settings.get(name), name, low, high)
    for name, low, high in OTHER_RANGES:
        problems += rules.range_problems(settings.get(name), name, low, high)
    passwd_dir = settings.get('s3fs_passwd_dir')
    problems += rules.absolute_path_problems(passwd_dir, 's3fs_passwd_dir')
    problems += rules.url_problems(settings.get('s3fs_url'), 's3fs_url')
    problems += rules.region_problems(settings.get('s3fs_region'), 's3fs_region')
    iam_role = text(settings.get('s3fs_iam_role'))
    if re.search(r'[,\s"\\]', iam_role):
        problems.append("s3fs_iam_role must be 'auto', a role name or '', got '%s'" % iam_role)
    problems += rules.choice_problems(settings.get('s3fs_imds_version', 'auto'), 's3fs_imds_version', IMDS_CHOICES)
    package_url = text(settings.get('s3fs_package_url'))
    if package_url and not PACKAGE_URL_RE.match(package_url):
        problems.append("s3fs_package_url must be an http(s) URL or absolute path of a .deb or .rpm file, got '%s'"
                        % package_url)
    for index, option in enumerate(settings.get('s3fs_options') or []):
        problems += rules.option_problems(option, 's3fs_options[%d]' % index, MANAGED_OPTIONS)
    return problems


def mount_problems(mount, at, settings):
    """Rules of one mount that need no other mount."""
    problems = []
    problems += rules.bucket_problems(mount.get('bucket'), at + '.bucket')
    problems += rules.prefix_problems(mount.get('prefix'), at + '.prefix')
    problems += rules.absolute_path_problems(mount.get('path'), at + '.path')
    problems += rules.choice_problems(mount.get('state') or 'mounted', at + '.state', mount_model.STATES)
    key_id, secret = text(mount.get('aws_access_key_id')), text(mount.get('aws_secret_access_key'))
    problems += rules.pair_problems(key_id, secret, at, 'aws_access_key_id', 'aws_secret_access_key')
    problems += rules.secret_problems(key_id, at + '.aws_access_key_id')
    problems += rules.secret_problems(secret, at + '.aws_secret_access_key')
    explicit_role = text(mount.get('iam_role'))
    if len([kind for kind in (key_id or secret, mount.get('public'), explicit_role) if kind]) > 1:
        problems.append('%s sets more than one of access keys, public and iam_role; choose one' % at)
    if re.search(r'[,\s"\\]', explicit_role):
        problems.append("%s.iam_role must be 'auto' or a role name without commas or whitespace, got '%s'"
                        % (at, explicit_role))
    if text(mount.get('passwd_file')):
        problems += rules.absolute_path_problems(mount.get('passwd_file'), at + '.passwd_file')
    if text(mount.get('cache_dir')):
        problems += rules.absolute_path_problems(mount.get('cache_dir'), at + '.cache_dir')
    problems += rules.url_problems(mount.get('url'), at + '.url')
    problems += rules.region_problems(mount.get('region'), at + '.region')
    problems += rules.mode_problems(mount.get('mode'), at + '.mode')
    problems += rules.owner_problems(mount.get('owner'), at + '.owner')
    problems += rules.owner_problems(mount.get('group'), at + '.group')
    for index, option in enumerate(mount.get('options') or []):
        problems += rules.option_problems(option, '%s.options[%d]' % (at, index), MANAGED_OPTIONS)
    return problems


def numeric_id(name, kind, at, facts, problems):
    """The number s3fs's uid/gid option needs for a name or number; root and unset need none."""
    name = text(name)
    if not name or name == 'root':
        return None
    if name.isdigit():
        return name
    known = facts.get(kind) or {}
    if known.get(name) is not None:
        return str(known[name])
    if name not in known or facts.get('check_mode'):
        # Not looked up (an audit that only needs the expectations), or check mode, where an earlier role
        # of the play may still create it.
        return name
    problems.append("%s '%s' is not a %s on this host; create it first or give a number"
                    % (at, name, 'user' if kind == 'users' else 'group'))
    return name


def render(mount, index, settings, facts, version, problems):
    """One planned mount (no secret in it) from a valid s3fs_mounts element."""
    at = 's3fs_mounts[%d]' % index
    path = str(mount['path'])
    bucket = str(mount['bucket'])
    prefix = text(mount.get('prefix'))
    src = bucket + (':/' + prefix[:-1] if prefix else '')
    key_id, secret = text(mount.get('aws_access_key_id')), text(mount.get('aws_secret_access_key'))
    kind = credential_kind(mount, settings.get('s3fs_iam_role'))
    own_passwd = text(mount.get('passwd_file'))
    passwd_file = own_passwd or '%s/passwd-%s' % (settings.get('s3fs_passwd_dir'), rules.slug(path))
    region = text(mount.get('region')) or text(settings.get('s3fs_region'))
    custom_url = text(mount.get('url')) or text(settings.get('s3fs_url'))
    url = custom_url or ('https://s3.%s.amazonaws.com' % region if region else '')
    cache_dir = text(mount.get('cache_dir'))
    allow_other = bool(pick(mount, 'allow_other', settings.get('s3fs_allow_other')))
    nofail = bool(pick(mount, 'nofail', settings.get('s3fs_nofail')))
    content_md5 = bool(pick(mount, 'enable_content_md5', settings.get('s3fs_enable_content_md5')))
    mode = text(mount.get('mode'))
    state = mount.get('state') or 'mounted'
    fuse3 = bool(version and version >= FUSE3_SINCE)

    options = ['_netdev'] + (['nofail'] if nofail else []) + ['fsname=s3fs:' + bucket, 'subtype=s3fs']
    if kind in ('keys', 'passwd_file'):
        options.append('passwd_file=' + passwd_file)
    elif kind == 'public':
        options.append('public_bucket=1')
    elif kind == 'iam_role':
        options.append('iam_role=' + text(pick(mount, 'iam_role', settings.get('s3fs_iam_role'))))
    if url:
        options.append('url=' + url)
    if region:
        options.append(('region=' if fuse3 else 'endpoint=') + region)
    if mount.get('path_style'):
        options.append('use_path_request_style')
    if cache_dir:
        options += ['use_cache=' + cache_dir, 'del_cache']
    if allow_other:
        options.append('allow_other')
        if mode:
            options.append('mp_umask=%03o' % (0o777 - rules.mode_value(mode)))
    uid = numeric_id(mount.get('owner'), 'users', at + '.owner', facts, problems)
    gid = numeric_id(mount.get('group'), 'groups', at + '.group', facts, problems)
    if uid:
        options.append('uid=' + uid)
    if gid:
        options.append('gid=' + gid)
    if content_md5:
        options.append('enable_content_md5')
    extra = list(settings.get('s3fs_options') or []) + list(mount.get('options') or [])
    extra = render_for_version([str(option) for option in extra], version)
    overridden = set(option_name(option) for option in extra)
    for name, option, _low, _high in TUNING:
        if option == 'parallel_count' and fuse3:
            option = 'max_thread_count'
        if option not in overridden:
            options.append('%s=%s' % (option, int(settings.get(name))))
    options += extra
    opts = ','.join(options)
    read_only = 'ro' in overridden
    return {
        'index': index,
        'path': path,
        'label': '%s (%s)' % (path, src),
        'state': state,
        'bucket': bucket,
        'src': src,
        'opts': opts,
        'owner': text(mount.get('owner')) or 'root',
        'group': text(mount.get('group')) or 'root',
        'mode': mode or '0755',
        'credentials': kind,
        'has_keys': kind == 'keys',
        # The file the fstab line names, and the one the role removes when the mount no longer needs it.
        'passwd_file': passwd_file if kind in ('keys', 'passwd_file') else '',
        'passwd_managed': passwd_file if kind == 'keys' or not own_passwd else '',
        'cache_dir': cache_dir,
        'cache_paths': (['%s/%s' % (cache_dir, bucket), '%s/.%s.stat' % (cache_dir, bucket),
                         '%s/.%s.mirror' % (cache_dir, bucket)] if cache_dir else []),
        'nofail': nofail,
        'allow_other': allow_other,
        'digest': mount_model.digest(src, path, FSTYPES[0], opts, key_id, secret),
        'expect': {
            'path': path,
            'fstype': FSTYPES[0],
            'source': 's3fs:' + bucket,
            'options_present': ['ro' if read_only else 'rw'] + (['allow_other'] if allow_other else []),
            'fstab_options_present': ['_netdev'] + (['nofail'] if nofail else []),
            'check_alive': True,
        },
        'probe': {'profile': 's3fs', 'read_only': read_only, 'allow_delete': False, 'allow_overwrite': False,
                  # Where the S3 API finds the mount's objects, for the hand-off check (credentials stay in
                  # s3fs_mounts[index]).
                  's3': {'index': index, 'bucket': bucket, 'prefix': prefix, 'region': region or None,
                         'endpoint_url': custom_url or None}},
    }


def imds_problems(mounts, settings, facts, version):
    """s3fs before 1.91 asks the instance metadata service without a token, which an IMDSv2-only host refuses."""
    if not version or version >= IMDSV2_SINCE:
        return []
    wanted = settings.get('s3fs_imds_version') or 'auto'
    imds = facts.get('imds') if wanted == 'auto' else wanted
    if imds != 'v2':
        return []
    how = ('the instance metadata service answered a request without a token with 401'
           if wanted == 'auto' else 's3fs_imds_version is v2')
    return ["s3fs_mounts[%d] uses the instance role (iam_role), but the installed s3fs %s cannot read it on this "
            "IMDSv2-only host (%s); install s3fs 1.91 or later (s3fs_package_url), allow IMDSv1 on the instance "
            "(HttpTokens=optional), or give the mount access keys" % (mount['index'], version_text(version), how)
            for mount in mounts if mount['state'] != 'absent' and mount['credentials'] == 'iam_role']


def ids_from_getent(results):
    """{'users': {name: uid or None}, 'groups': {name: gid or None}} from getent loop results."""
    found = {'users': {}, 'groups': {}}
    for result in results or []:
        if not isinstance(result, dict) or result.get('skipped') or not isinstance(result.get('item'), str):
            continue
        database, _sep, name = result['item'].partition(' ')
        kind = {'passwd': 'users', 'group': 'groups'}.get(database)
        if not kind or not name:
            continue
        entry = ((result.get('ansible_facts') or {}).get('getent_' + database) or {}).get(name)
        found[kind][name] = str(entry[1]) if entry and len(entry) > 1 else None
    return found


def normalized_facts(facts):
    """The facts as later calls should pass them again: version parsed, ids resolved."""
    facts = dict(facts or {})
    ids = ids_from_getent(facts.pop('getent', None))
    for kind in ('users', 'groups'):
        ids[kind].update(facts.get(kind) or {})
        facts[kind] = ids[kind]
    facts['version'] = version_text(parse_version(facts.get('version')))
    facts['check_mode'] = bool(facts.get('check_mode'))
    return facts


def plan(settings, facts=None):
    """{'problems', 'mounts', 'version' ('x.y' or None), 'instance_role' (bool), 'facts' (to pass again)}."""
    facts = normalized_facts(facts)
    version = parse_version(facts.get('version'))
    problems = global_problems(settings, facts)
    raw = settings.get('s3fs_mounts') or []
    valid = []
    named_paths = []
    for index, mount in enumerate(raw):
        at = 's3fs_mounts[%d]' % index
        if not isinstance(mount, dict):
            problems.append('%s must be a dictionary, got %r' % (at, type(mount).__name__))
            continue
        own = mount_problems(mount, at, settings)
        problems += own
        if not rules.absolute_path_problems(mount.get('path'), at + '.path'):
            named_paths.append((at + '.path', str(mount['path'])))
        if not own:
            valid.append((index, mount))
    problems += rules.path_overlap_problems(named_paths)

    # Rendering needs valid role-wide settings too (the tuning numbers).
    settings_valid = not problems
    mounts = [render(mount, index, settings, facts, version, problems) for index, mount in valid
              if settings_valid]
    # Files two mounts would share.
    passwd_owner, cache_owner = {}, {}
    for mount in mounts:
        at = 's3fs_mounts[%d]' % mount['index']
        if mount['has_keys']:
            other = passwd_owner.setdefault(mount['passwd_file'], at)
            if other != at:
                problems.append('%s and %s would share the passwd file %s; set passwd_file on one of them'
                                % (at, other, mount['passwd_file']))
        if mount['cache_dir']:
            other = cache_owner.setdefault((mount['cache_dir'], mount['bucket']), at)
            if other != at:
                problems.append('%s and %s mount bucket %s with the same cache_dir %s; s3fs would mix their '
                                'caches, give each its own' % (at, other, mount['bucket'], mount['cache_dir']))
    problems += imds_problems(mounts, settings, facts, version)
    instance_role = any(mount['credentials'] == 'iam_role' and mount['state'] != 'absent' for mount in mounts)
    return {
        'problems': problems,
        'mounts': mounts if settings_valid and len(valid) == len(raw) else [],
        'version': version_text(version),
        'instance_role': instance_role,
        # Whether the role must ask the host's metadata service: an instance role read by an s3fs before 1.91.
        'ask_imds': bool(instance_role and version and version < IMDSV2_SINCE and facts.get('imds') is None
                         and (settings.get('s3fs_imds_version') or 'auto') == 'auto'),
        'facts': facts,
    }
