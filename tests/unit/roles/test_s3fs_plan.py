"""The s3fs planner (plugins/module_utils/plan_s3fs.py): rendering, every input rule, digests, versions, IMDS.

The role's defaults are read from roles/s3fs/defaults/main.yml, as mountkit.aws.mount_plan does. The
version strings are those of the real packages: `s3fs --version` of Debian 12's 1.90 is recorded here;
trixie's 1.95 and sid's 1.97 print the same line with their numbers.
"""

import json
import os

import pytest
import yaml

from ansible_collections.mountkit.aws.plugins.module_utils import mount_model
from ansible_collections.mountkit.aws.plugins.module_utils import plan_s3fs as planner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
with open(os.path.join(ROOT, 'roles', 's3fs', 'defaults', 'main.yml')) as handle:
    DEFAULTS = yaml.safe_load(handle)

BOOKWORM = 'Amazon Simple Storage Service File System V1.90 (commit:unknown) with OpenSSL'
SECRET = 'mk/Plan+Secret-9f2c'
KEY_ID = 'AKIAMKPLANUNITTEST01'


def settings(*mounts, **extra):
    values = dict(DEFAULTS)
    values['s3fs_mounts'] = list(mounts)
    values.update(extra)
    return values


def mount(**keys):
    value = {'bucket': 'media', 'path': '/srv/media'}
    value.update(keys)
    return value


def keyed(**keys):
    values = {'aws_access_key_id': KEY_ID, 'aws_secret_access_key': SECRET}
    values.update(keys)
    return mount(**values)


def plan(*mounts, **kwargs):
    facts = kwargs.pop('facts', {'version': BOOKWORM})
    return planner.plan(settings(*mounts, **kwargs), facts)


def only(*mounts, **kwargs):
    result = plan(*mounts, **kwargs)
    assert result['problems'] == []
    return result['mounts']


def opts(planned):
    return planned['opts'].split(',')


# --- rendering -------------------------------------------------------------------------------------------

def test_keys_mount_renders_the_fstab_line_of_the_role():
    planned = only(keyed(prefix='uploads/', owner='www-data', group='33', mode='0750', allow_other=True,
                         region='eu-west-1', options=['umask=0022']),
                   facts={'version': BOOKWORM, 'users': {'www-data': 33}})[0]
    assert planned['src'] == 'media:/uploads'
    assert planned['label'] == '/srv/media (media:/uploads)'
    assert opts(planned) == [
        '_netdev', 'nofail', 'fsname=s3fs:media', 'subtype=s3fs', 'passwd_file=/etc/s3fs/passwd-srv-media',
        'url=https://s3.eu-west-1.amazonaws.com', 'endpoint=eu-west-1', 'allow_other', 'mp_umask=027', 'uid=33',
        'gid=33', 'enable_content_md5', 'multipart_size=10', 'parallel_count=20', 'max_stat_cache_size=100000',
        'stat_cache_expire=60', 'retries=3', 'connect_timeout=10', 'readwrite_timeout=60', 'umask=0022']
    assert (planned['owner'], planned['group'], planned['mode']) == ('www-data', '33', '0750')
    assert planned['passwd_file'] == planned['passwd_managed'] == '/etc/s3fs/passwd-srv-media'
    assert planned['has_keys'] and planned['credentials'] == 'keys'


def test_public_read_only_mount_with_cache_and_an_overridden_tuning_option():
    planned = only(mount(public=True, cache_dir='/var/cache/s3fs', nofail=False, url='http://127.0.0.1:9000',
                         path_style=True, options=['ro', 'stat_cache_expire=30']))[0]
    assert opts(planned)[:9] == ['_netdev', 'fsname=s3fs:media', 'subtype=s3fs', 'public_bucket=1',
                                 'url=http://127.0.0.1:9000', 'use_path_request_style',
                                 'use_cache=/var/cache/s3fs', 'del_cache', 'enable_content_md5']
    assert 'stat_cache_expire=60' not in opts(planned) and opts(planned)[-2:] == ['ro', 'stat_cache_expire=30']
    assert planned['cache_paths'] == ['/var/cache/s3fs/media', '/var/cache/s3fs/.media.stat',
                                      '/var/cache/s3fs/.media.mirror']
    assert planned['passwd_file'] == '' and planned['passwd_managed'] == '/etc/s3fs/passwd-srv-media'
    assert planned['expect'] == {'path': '/srv/media', 'fstype': 'fuse.s3fs', 'source': 's3fs:media',
                                 'options_present': ['ro'], 'fstab_options_present': ['_netdev'],
                                 'check_alive': True}
    assert planned['probe'] == {'profile': 's3fs', 'read_only': True, 'allow_delete': False,
                                'allow_overwrite': False,
                                's3': {'index': 0, 'bucket': 'media', 'prefix': '', 'region': None,
                                       'endpoint_url': 'http://127.0.0.1:9000'}}


def test_instance_role_is_the_default_and_an_empty_role_passes_none():
    assert 'iam_role=auto' in opts(only(mount())[0])
    assert 'iam_role=reader' in opts(only(mount(iam_role='reader'))[0])
    planned = only(mount(), s3fs_iam_role='')[0]
    assert not [option for option in opts(planned) if option.startswith(('iam_role', 'passwd_file', 'public'))]
    assert planned['credentials'] == ''


def test_own_passwd_file_is_named_and_not_removed():
    planned = only(mount(passwd_file='/etc/keys/media'))[0]
    assert 'passwd_file=/etc/keys/media' in opts(planned)
    assert planned['passwd_managed'] == '' and not planned['has_keys']


def test_role_wide_defaults_apply_and_a_mount_overrides_them():
    mounts = only(mount(), mount(path='/srv/b', allow_other=False, enable_content_md5=True),
                  s3fs_allow_other=True, s3fs_enable_content_md5=False, s3fs_region='us-west-2',
                  s3fs_options=['max_dirty_data=512'])
    assert 'allow_other' in opts(mounts[0]) and 'enable_content_md5' not in opts(mounts[0])
    assert 'allow_other' not in opts(mounts[1]) and 'enable_content_md5' in opts(mounts[1])
    assert 'endpoint=us-west-2' in opts(mounts[0]) and opts(mounts[0])[-1] == 'max_dirty_data=512'


def test_state_and_root_owner():
    planned = only(mount(state='present', owner='root', group='root'))[0]
    assert planned['state'] == 'present'
    assert not [option for option in opts(planned) if option.startswith(('uid=', 'gid='))]


def test_names_are_resolved_from_getent_results():
    getent = [{'item': 'passwd www-data', 'ansible_facts': {'getent_passwd': {'www-data': ['x', '33', '33']}}},
              {'item': 'group adm', 'ansible_facts': {'getent_group': {'adm': ['x', '4', '']}}},
              {'item': 'passwd ghost', 'ansible_facts': {'getent_passwd': {'ghost': None}}}]
    result = planner.plan(settings(mount(owner='www-data', group='adm')), {'version': BOOKWORM, 'getent': getent})
    assert result['problems'] == []
    assert 'uid=33' in opts(result['mounts'][0]) and 'gid=4' in opts(result['mounts'][0])
    # What later calls pass again.
    assert result['facts']['users'] == {'www-data': '33', 'ghost': None} and result['facts']['groups'] == {'adm': '4'}
    again = planner.plan(settings(mount(owner='www-data', group='adm')), result['facts'])
    assert again['mounts'][0]['digest'] == result['mounts'][0]['digest']


def test_unknown_owner_is_a_problem_except_in_check_mode():
    result = plan(mount(owner='ghost'), facts={'version': BOOKWORM, 'users': {'ghost': None}})
    assert result['problems'] == ["s3fs_mounts[0].owner 'ghost' is not a user on this host; create it first or "
                                  "give a number"]
    result = plan(mount(owner='ghost'), facts={'version': BOOKWORM, 'users': {'ghost': None}, 'check_mode': True})
    assert result['problems'] == []


def test_names_not_looked_up_are_no_problem_for_an_audit():
    """playbooks/verify.yml plans without host facts; it needs the expectations only."""
    result = planner.plan(settings(mount(owner='www-data', group='www-data')), {})
    assert result['problems'] == [] and result['mounts'][0]['expect']['source'] == 's3fs:media'


# --- rules: every message names its variable ----------------------------------------------------------------

@pytest.mark.parametrize('mounts, extra, expected', [
    ([mount(bucket='Media')], {}, "s3fs_mounts[0].bucket must be 3-63 lowercase letters"),
    ([mount(bucket='media-s3alias')], {}, "s3fs_mounts[0].bucket must not end with '-s3alias'"),
    ([mount(bucket='logs--use1-az4--x-s3')], {}, 's3fs_mounts[0].bucket is an S3 Express directory bucket'),
    ([mount(prefix='logs')], {}, "s3fs_mounts[0].prefix must end with '/', got 'logs'"),
    ([mount(prefix='/logs/')], {}, "s3fs_mounts[0].prefix must not start with '/', got '/logs/'"),
    ([mount(path='srv/media')], {}, "s3fs_mounts[0].path must be absolute, got 'srv/media'"),
    ([mount(path='/srv/a b')], {}, "s3fs_mounts[0].path must be a normalised absolute path"),
    ([mount(), mount(bucket='other')], {},
     "s3fs_mounts[1].path '/srv/media' is already s3fs_mounts[0].path; every mount needs its own path"),
    ([mount(), mount(path='/srv/media/in')], {},
     "s3fs_mounts[1].path '/srv/media/in' and s3fs_mounts[0].path '/srv/media' lie inside each other"),
    ([mount(state='enabled')], {}, "s3fs_mounts[0].state must be one of mounted, present, absent, got 'enabled'"),
    ([mount(aws_access_key_id=KEY_ID)], {},
     's3fs_mounts[0] needs both aws_access_key_id and aws_secret_access_key, or neither'),
    ([keyed(public=True)], {}, 's3fs_mounts[0] sets more than one of access keys, public and iam_role'),
    ([mount(iam_role='a,b')], {}, "s3fs_mounts[0].iam_role must be 'auto' or a role name"),
    ([mount(passwd_file='keys')], {}, "s3fs_mounts[0].passwd_file must be absolute, got 'keys'"),
    ([mount(cache_dir='/var/cache/')], {}, 's3fs_mounts[0].cache_dir must be a normalised absolute path'),
    ([mount(url='ftp://x')], {}, 's3fs_mounts[0].url must be an http:// or https:// URL'),
    ([mount(region='EU')], {}, "s3fs_mounts[0].region must be a region name such as eu-west-1, got 'EU'"),
    ([mount(mode=750)], {}, "s3fs_mounts[0].mode must be an octal mode such as '0750'"),
    ([mount(owner='a b')], {}, "s3fs_mounts[0].owner must be a user or group name or number, got 'a b'"),
    ([mount(group='-x')], {}, "s3fs_mounts[0].group must be a user or group name or number"),
    ([mount(options=['ro,rw'])], {}, "s3fs_mounts[0].options[0] must be one option"),
    ([mount(options=['allow_other'])], {},
     "s3fs_mounts[0].options[0] 'allow_other' is set by the role; use the mount's allow_other instead"),
    ([mount(options=['endpoint=x'])], {}, "use the mount's region instead"),
    ([mount()], {'s3fs_options': ['uid=0']}, "s3fs_options[0] 'uid=0' is set by the role; use the mount's owner"),
    ([mount()], {'s3fs_retries': 0}, "s3fs_retries must be a whole number between 1 and 10, got '0'"),
    ([mount()], {'s3fs_multipart_size': 4}, 's3fs_multipart_size must be a whole number between 5 and 5120'),
    ([mount()], {'s3fs_parallel_count': 'many'}, 's3fs_parallel_count must be a whole number between 1 and 100'),
    ([mount()], {'s3fs_verify_timeout': 0}, 's3fs_verify_timeout must be a whole number between 1 and 600'),
    ([mount()], {'s3fs_passwd_dir': 'etc/s3fs'}, "s3fs_passwd_dir must be absolute, got 'etc/s3fs'"),
    ([mount()], {'s3fs_url': 'http://a b'}, 's3fs_url must be an http:// or https:// URL'),
    ([mount()], {'s3fs_region': 'mars'}, "s3fs_region must be a region name such as eu-west-1, got 'mars'"),
    ([mount()], {'s3fs_iam_role': 'a b'}, "s3fs_iam_role must be 'auto', a role name or '', got 'a b'"),
    ([mount()], {'s3fs_imds_version': 'v3'}, "s3fs_imds_version must be one of auto, v1, v2, got 'v3'"),
    ([mount()], {'s3fs_package_url': 'https://x/s3fs.tar'},
     "s3fs_package_url must be an http(s) URL or absolute path of a .deb or .rpm file"),
    ([keyed(), keyed(path='/srv/b', passwd_file='/etc/s3fs/passwd-srv-media')], {},
     's3fs_mounts[1] and s3fs_mounts[0] would share the passwd file /etc/s3fs/passwd-srv-media'),
    ([mount(cache_dir='/c'), mount(path='/srv/b', cache_dir='/c')], {},
     's3fs_mounts[1] and s3fs_mounts[0] mount bucket media with the same cache_dir /c'),
])
def test_bad_input_is_named(mounts, extra, expected):
    result = plan(*mounts, **extra)
    assert any(expected in problem for problem in result['problems']), result['problems']


def test_a_secret_is_never_quoted():
    result = plan(keyed(aws_secret_access_key='has:colon ' + SECRET))
    assert result['problems'] == ["s3fs_mounts[0].aws_secret_access_key must not contain whitespace or ':' "
                                  "(value not shown)"]
    assert SECRET not in json.dumps(result)


def test_an_invalid_mount_plans_nothing():
    result = plan(mount(), mount(path='/srv/b', bucket='B'))
    assert result['mounts'] == [] and len(result['problems']) == 1


# --- digests and secrets --------------------------------------------------------------------------------------

def digest_of(**keys):
    return only(keyed(**keys))[0]['digest']


def test_digest_changes_with_keys_options_and_source_only():
    base = digest_of()
    assert digest_of() == base
    assert only(keyed(aws_secret_access_key='other'))[0]['digest'] != base
    assert only(keyed(aws_access_key_id='AKIAOTHER'))[0]['digest'] != base
    assert digest_of(options=['max_dirty_data=256']) != base
    assert digest_of(prefix='a/') != base
    assert digest_of(mode='0700') == base  # the mount point's mode without allow_other is not an option


def test_digest_covers_what_the_mount_is_made_from():
    planned = only(keyed())[0]
    assert planned['digest'] == mount_model.digest(planned['src'], planned['path'], 'fuse.s3fs', planned['opts'],
                                                   KEY_ID, SECRET)


def test_no_secret_in_the_returned_plan():
    result = plan(keyed(), keyed(path='/srv/b', aws_secret_access_key=SECRET + 'b'))
    text = json.dumps(result)
    assert SECRET not in text and KEY_ID not in text


def test_no_secret_in_the_plan_of_mount_plan_with_state():
    mounts = only(keyed())
    decided, problems = mount_model.decide_all(mounts, {'mounts': {}, 'record': {}}, fstypes=planner.FSTYPES)
    assert problems == [] and decided[0]['action'] == 'mount'
    assert SECRET not in json.dumps(decided) and KEY_ID not in json.dumps(decided)


# --- versions -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('text, version', [
    (BOOKWORM, (1, 90)),
    ('Amazon Simple Storage Service File System V1.97 (commit:ca3f1a5) with GnuTLS(gcrypt)', (1, 97)),
    ('1.95', (1, 95)),
    ('', None),
    (None, None),
    ('s3fs: command not found', None),
])
def test_version_is_read_from_s3fs_version(text, version):
    assert planner.parse_version(text) == version


def version_opts(version, **keys):
    return opts(only(keyed(region='eu-west-1', **keys), facts={'version': version})[0])


@pytest.mark.parametrize('version', [None, '1.90', '1.95'])
def test_before_1_96_endpoint_and_parallel_count(version):
    rendered = version_opts(version, options=['nonempty'])
    assert 'endpoint=eu-west-1' in rendered and 'parallel_count=20' in rendered
    assert 'region=eu-west-1' not in rendered and 'max_thread_count=20' not in rendered
    assert 'nonempty' in rendered


@pytest.mark.parametrize('version', ['1.96', '1.97'])
def test_from_1_96_region_and_max_thread_count(version):
    rendered = version_opts(version, options=['nonempty'])
    assert 'region=eu-west-1' in rendered and 'max_thread_count=20' in rendered
    assert 'endpoint=eu-west-1' not in rendered and 'parallel_count=20' not in rendered
    # FUSE 3 has no nonempty option; it mounts over a non-empty directory anyway.
    assert 'nonempty' not in rendered


def test_from_1_96_an_own_parallel_count_becomes_max_thread_count():
    rendered = version_opts('1.97', options=['parallel_count=4'])
    assert 'max_thread_count=4' in rendered and 'max_thread_count=20' not in rendered
    assert not [option for option in rendered if option.startswith('parallel_count')]
    rendered = version_opts('1.90', options=['parallel_count=4'])
    assert 'parallel_count=4' in rendered and 'parallel_count=20' not in rendered


def test_from_1_92_enable_noobj_cache_is_the_default_and_dropped():
    assert 'enable_noobj_cache' in version_opts('1.91', options=['enable_noobj_cache'])
    assert 'enable_noobj_cache' not in version_opts('1.92', options=['enable_noobj_cache'])


def test_a_new_version_changes_the_digest_only_where_the_options_change():
    assert only(keyed(), facts={'version': '1.90'})[0]['digest'] == only(keyed(), facts={'version': '1.95'})[0]['digest']
    assert only(keyed(), facts={'version': '1.95'})[0]['digest'] != only(keyed(), facts={'version': '1.96'})[0]['digest']


# --- IMDSv2 and s3fs before 1.91 ---------------------------------------------------------------------------------

def imds_plan(version, imds=None, setting='auto', *mounts):
    facts = {'version': version}
    if imds:
        facts['imds'] = imds
    return planner.plan(settings(*(mounts or (mount(),)), s3fs_imds_version=setting), facts)


def test_refused_on_an_imdsv2_only_host_with_s3fs_1_90():
    result = imds_plan(BOOKWORM, 'v2')
    assert result['problems'] == [
        "s3fs_mounts[0] uses the instance role (iam_role), but the installed s3fs 1.90 cannot read it on this "
        "IMDSv2-only host (the instance metadata service answered a request without a token with 401); install "
        "s3fs 1.91 or later (s3fs_package_url), allow IMDSv1 on the instance (HttpTokens=optional), or give the "
        "mount access keys"]


def test_refused_when_told_the_host_is_imdsv2_only():
    result = imds_plan('1.90', None, 'v2')
    assert len(result['problems']) == 1 and '(s3fs_imds_version is v2)' in result['problems'][0]


@pytest.mark.parametrize('version, imds, setting', [
    ('1.91', 'v2', 'auto'),   # reads the token itself
    ('1.97', None, 'v2'),
    ('1.90', 'v1', 'auto'),   # IMDSv1 allowed
    ('1.90', 'none', 'auto'),  # not on EC2
    ('1.90', 'v2', 'v1'),     # the operator says IMDSv1 is allowed
    (None, 'v2', 'auto'),     # unknown before the install (check mode): nothing to refuse yet
])
def test_not_refused(version, imds, setting):
    assert imds_plan(version, imds, setting)['problems'] == []


def test_keys_public_and_absent_mounts_need_no_instance_role():
    result = imds_plan('1.90', 'v2', 'auto', keyed(), mount(path='/srv/p', public=True),
                       mount(path='/srv/gone', state='absent'), mount(path='/srv/none', iam_role=''))
    assert result['problems'] == [] and not result['instance_role'] and not result['ask_imds']


@pytest.mark.parametrize('version, imds, setting, ask', [
    ('1.90', None, 'auto', True),
    ('1.90', 'v2', 'auto', False),  # already asked
    ('1.91', None, 'auto', False),
    (None, None, 'auto', False),
    ('1.90', None, 'v1', False),
    ('1.90', None, 'v2', False),
])
def test_the_metadata_service_is_asked_only_when_it_matters(version, imds, setting, ask):
    assert imds_plan(version, imds, setting)['ask_imds'] is ask
