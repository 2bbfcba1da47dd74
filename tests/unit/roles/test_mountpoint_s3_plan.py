"""The mountpoint_s3 planner: every Mountpoint option as a key, its first version, the combinations Mountpoint
refuses, and the two renderings (command line for the systemd method, fstab options for mount.mount-s3)."""

import os

import pytest
import yaml

from ansible_collections.mountkit.aws.plugins.module_utils import plan_mountpoint_s3 as planner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
with open(os.path.join(ROOT, 'roles', 'mountpoint_s3', 'defaults', 'main.yml')) as handle:
    DEFAULTS = yaml.safe_load(handle)
with open(os.path.join(ROOT, 'roles', 'mountpoint_s3', 'meta', 'argument_specs.yml')) as handle:
    SPEC = yaml.safe_load(handle)['argument_specs']['main']['options']


def settings(mounts, **role):
    result = dict(DEFAULTS)
    result['mountpoint_s3_mounts'] = mounts
    result.update(('mountpoint_s3_' + key, value) for key, value in role.items())
    return result


def mount(**keys):
    result = {'bucket': 'logs', 'path': '/mnt/logs'}
    result.update(keys)
    return result


def one(facts=None, **keys):
    result = planner.plan(settings([mount(**keys)]), facts if facts is not None else {'version': '1.24.0'})
    assert result['problems'] == []
    return result['mounts'][0]


def problems(mounts, facts=None, **role):
    return planner.plan(settings(mounts, **role), facts if facts is not None else {'version': '1.24.0'})['problems']


# --- the option table ---------------------------------------------------------------------------------

def test_every_option_has_an_argument_spec_and_a_version():
    mount_spec = SPEC['mountpoint_s3_mounts']['options']
    for key, flag, _kind, since in planner.OPTIONS:
        assert key in mount_spec, key
        assert planner.VERSION_RE.match(since), key
        assert '--' + flag in ' '.join(mount_spec[key]['description']), key
    assert set(mount_spec) == set(planner.KEYS)


ISSUE_20_FLAGS = ('transfer-acceleration dual-stack requester-pays bucket-type expected-bucket-owner infer-content-type '
                  'upload-checksums no-sign-request profile incremental-upload auto-unmount allow-root '
                  'maximum-throughput-gbps memory-target part-size bind ca-bundle log-metrics otlp-endpoint '
                  'otlp-export-interval debug-crt no-log negative-metadata-ttl cache-xz user-agent-prefix region '
                  'endpoint-url force-path-style storage-class sse sse-kms-key-id read-only allow-delete '
                  'allow-overwrite allow-other uid gid dir-mode file-mode max-threads read-part-size write-part-size '
                  'log-directory debug cache metadata-ttl max-cache-size').split()


def test_every_1_24_option_is_a_key():
    assert sorted(set(ISSUE_20_FLAGS) - set(planner.FLAGS)) == []


# --- rendering ----------------------------------------------------------------------------------------

def test_defaults_render_no_options():
    planned = one()
    assert planned['args'] == []
    assert planned['fstab_src'] == 's3://logs/'
    assert planned['fstab_opts'] == '_netdev,nosuid,nodev,nofail'
    assert planned['unit'] == 'mount-s3-mnt-logs.service'
    assert planned['env_file'] == '/etc/mountkit/mountpoint-s3/mount-s3-mnt-logs.service'[:-len('.service')] + '.env'


EVERY = dict(
    prefix='team/a/', region='eu-west-1', endpoint_url='http://127.0.0.1:9000', force_path_style=True,
    transfer_acceleration=True, dual_stack=True, requester_pays=True, bucket_type='general-purpose',
    storage_class='STANDARD_IA', expected_bucket_owner='111122223333', sse='aws:kms',
    sse_kms_key_id='arn:aws:kms:eu-west-1:111122223333:key/k-1', upload_checksums='crc64nvme',
    infer_content_type=True, profile='ops', allow_delete=True, allow_overwrite=True, auto_unmount=True,
    allow_other=True, uid=1000, gid='1000', file_mode='0640', dir_mode='0750', maximum_throughput_gbps=10,
    max_threads=32, memory_target=2048, read_part_size=16777216, write_part_size=16777216, bind=['eth0', 'eth1'],
    ca_bundle='/etc/ssl/private-ca.pem', log_directory='/var/log/mount-s3', log_metrics=True,
    otlp_endpoint='http://127.0.0.1:4318', otlp_export_interval=60, debug=True, debug_crt=True,
    cache='/var/cache/s3', metadata_ttl='indefinite', negative_metadata_ttl='5', max_cache_size=1024,
    cache_xz='shared--use1-az4--x-s3', user_agent_prefix='fleet/7', extra_args=['--some-future-flag=1'],
)


def test_every_option_maps_to_its_flag():
    planned = one(**EVERY)
    assert planned['args'] == [
        '--prefix=team/a/', '--region=eu-west-1', '--endpoint-url=http://127.0.0.1:9000', '--force-path-style',
        '--transfer-acceleration', '--dual-stack', '--requester-pays', '--bucket-type=general-purpose',
        '--storage-class=STANDARD_IA', '--expected-bucket-owner=111122223333', '--sse=aws:kms',
        '--sse-kms-key-id=arn:aws:kms:eu-west-1:111122223333:key/k-1', '--upload-checksums=crc64nvme',
        '--infer-content-type', '--profile=ops', '--allow-delete', '--allow-overwrite', '--auto-unmount',
        '--allow-other', '--uid=1000', '--gid=1000', '--file-mode=0640', '--dir-mode=0750',
        '--maximum-throughput-gbps=10', '--max-threads=32', '--memory-target=2048', '--read-part-size=16777216',
        '--write-part-size=16777216', '--bind=eth0', '--bind=eth1', '--ca-bundle=/etc/ssl/private-ca.pem',
        '--log-directory=/var/log/mount-s3', '--log-metrics', '--otlp-endpoint=http://127.0.0.1:4318',
        '--otlp-export-interval=60', '--debug', '--debug-crt', '--cache=/var/cache/s3',
        '--metadata-ttl=indefinite', '--negative-metadata-ttl=5', '--max-cache-size=1024',
        '--cache-xz=shared--use1-az4--x-s3', '--user-agent-prefix=fleet/7', '--some-future-flag=1',
    ]
    # fstab: the prefix moves into the source; flags lose their dashes; _netdev,nosuid,nodev come first.
    assert planned['fstab_src'] == 's3://logs/team/a/'
    opts = planned['fstab_opts'].split(',')
    assert opts[:4] == ['_netdev', 'nosuid', 'nodev', 'nofail']
    assert [opt for opt in opts if opt.startswith('bind=')] == ['bind=eth0', 'bind=eth1']
    assert 'upload-checksums=crc64nvme' in opts and 'allow-delete' in opts and 'some-future-flag=1' in opts
    assert not [opt for opt in opts if opt.startswith('-') or opt.startswith('prefix')]
    assert len(opts) == len(planned['args']) + 4 - 1  # no prefix; bind twice in both


def test_fstab_spells_read_only_as_ro_and_escapes_commas_backslashes_and_quotes():
    planned = one(read_only=True, nofail=False, user_agent_prefix='a,b')
    assert planned['fstab_opts'] == '_netdev,nosuid,nodev,ro,user-agent-prefix=a\\,b'
    assert planner.fstab_escape('x\\y"z,w') == 'x\\\\y\\"z\\,w'
    assert '--read-only' in planned['args']


def test_unit_names_follow_systemd_escape():
    assert planner.systemd_escape_path('/mnt/s3/b-rw') == 'mnt-s3-b\\x2drw'
    assert planner.systemd_escape_path('/srv/.hidden/x:y_z') == 'srv-.hidden-x:y_z'
    assert planner.systemd_escape_path('/.a') == '\\x2ea'
    assert planner.systemd_escape_path('/mnt/ü') == 'mnt-\\xc3\\xbc'


def test_s3_uri_bucket_is_split_into_bucket_and_prefix():
    planned = one(bucket='s3://logs/app/')
    assert (planned['bucket'], planned['prefix'], planned['args'][0]) == ('logs', 'app/', '--prefix=app/')
    assert planned['fstab_src'] == 's3://logs/app/'


def test_expectations_and_probe():
    planned = one(read_only=True, allow_other=True, bucket='fast--use1-az4--x-s3')
    assert planned['expect'] == {
        'path': '/mnt/logs', 'fstype': 'fuse', 'source': 'mountpoint-s3',
        'options_present': ['nosuid', 'nodev', 'ro', 'allow_other'], 'options_absent': [],
        'fstab_options_present': ['_netdev', 'nosuid', 'nodev'], 'check_alive': True}
    assert planned['probe'] == {'profile': 'mountpoint_s3', 'read_only': True, 'allow_delete': False,
                                'allow_overwrite': False, 'version': '1.24.0', 'bucket_type': 'directory',
                                'incremental_upload': False,
                                's3': {'index': 0, 'bucket': 'fast--use1-az4--x-s3', 'prefix': '', 'region': None,
                                       'endpoint_url': None}}
    assert planner.FSTYPES == ('fuse',)
    # io_semantics spells the bucket types with '_'.
    assert one()['probe']['bucket_type'] == 'general_purpose'


def test_digest_changes_with_options_and_secrets_but_secrets_stay_out_of_the_plan():
    keys = dict(aws_access_key_id='AKIAEXAMPLE', aws_secret_access_key='s3cr3t/Value')
    first = one(facts={'version': '1.16.2'}, **keys)
    rotated_keys = dict(keys)
    rotated_keys['aws_secret_access_key'] = 'other'
    rotated = one(facts={'version': '1.16.2'}, **rotated_keys)
    changed = one(facts={'version': '1.16.2'}, metadata_ttl='2', **keys)
    assert len({first['digest'], rotated['digest'], changed['digest']}) == 3
    assert 's3cr3t' not in repr(first) and 'AKIAEXAMPLE' not in repr(first)
    assert first['needs_env'] and first['method'] == 'systemd'


# --- the method --------------------------------------------------------------------------------------

@pytest.mark.parametrize('version, keys, method', [
    ('1.16.2', {}, 'systemd'),
    ('1.18.0', {}, 'fstab'),
    ('1.24.0', {'environment': {'AWS_MAX_ATTEMPTS': '3'}}, 'systemd'),
    ('', {}, 'systemd'),
])
def test_auto_method(version, keys, method):
    assert one(facts={'version': version}, **keys)['method'] == method


def test_fstab_method_refused_before_1_18_and_with_credentials():
    found = problems([mount()], facts={'version': '1.16.2'}, mount_method='fstab')
    assert found == ["mountpoint_s3_mount_method is 'fstab', but mount-s3 1.16.2 is installed, which has no fstab "
                     "helper (mount.mount-s3 ships with 1.18.0 and later); use 'systemd' or 'auto'"]
    found = problems([mount(aws_access_key_id='A', aws_secret_access_key='B')], mount_method='fstab')
    assert 'access keys and environment need the systemd method' in found[0]


# --- versions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('keys, needed', [
    ({'memory_target': 1024}, 'memory_target (--memory-target) needs Mountpoint 1.24.0 or later'),
    ({'ca_bundle': '/etc/ca.pem'}, 'ca_bundle (--ca-bundle) needs Mountpoint 1.23.0 or later'),
    ({'infer_content_type': True}, 'infer_content_type (--infer-content-type) needs Mountpoint 1.23.0'),
    ({'upload_checksums': 'crc64nvme'}, 'upload_checksums (--upload-checksums crc64nvme) needs Mountpoint 1.23.0'),
    ({'otlp_endpoint': 'http://127.0.0.1:4318'}, 'otlp_endpoint (--otlp-endpoint) needs Mountpoint 1.21.0'),
    ({'bucket': 's3://logs/app/'}, 'bucket as an s3:// URI needs Mountpoint 1.18.0 or later'),
])
def test_options_newer_than_the_installed_version_are_refused(keys, needed):
    found = problems([mount(**keys)], facts={'version': '1.16.2'})
    assert len(found) == 1, found
    assert found[0].startswith('mountpoint_s3_mounts[0].' + needed), found
    assert 'but mount-s3 1.16.2 is installed' in found[0], found


def test_the_pinned_version_counts_before_the_installed_one():
    found = problems([mount(memory_target=1024)], facts={'version': '1.24.0'}, version='1.22.3')
    assert found == ['mountpoint_s3_mounts[0].memory_target (--memory-target) needs Mountpoint 1.24.0 or later, '
                     'but mountpoint_s3_version pins 1.22.3']
    # Nothing installed and 'latest' to install: not known yet, nothing refused.
    assert problems([mount(memory_target=1024)], facts={'version': ''}) == []
    # Audits that do not read the version check nothing against one.
    assert problems([mount(memory_target=1024)], facts={}) == []


def test_options_as_old_as_1_16_pass_on_1_16():
    keys = dict((key, value) for key, value in EVERY.items()
                if key not in ('memory_target', 'ca_bundle', 'infer_content_type', 'otlp_endpoint',
                               'otlp_export_interval', 'upload_checksums'))
    assert problems([mount(**keys)], facts={'version': '1.16.2'}) == []


def test_absent_mounts_are_not_checked_against_the_version():
    assert problems([mount(memory_target=1024, state='absent')], facts={'version': '1.16.2'}) == []


# --- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('keys, message', [
    ({'bucket': 's3://logs/app/', 'prefix': 'x/'}, 'mountpoint_s3_mounts[0].prefix cannot be combined with an s3:// '
                                                   'URI in bucket'),
    ({'incremental_upload': True}, "mountpoint_s3_mounts[0].incremental_upload needs an S3 Express One Zone "
                                   "directory bucket; 'logs' is a general purpose bucket"),
    ({'incremental_upload': True, 'bucket': 'fast--use1-az4--x-s3', 'bucket_type': 'general-purpose'},
     'incremental_upload needs an S3 Express One Zone directory bucket'),
    ({'allow_root': True, 'allow_other': True}, 'mountpoint_s3_mounts[0]: allow_other and allow_root are mutually '
                                                'exclusive'),
    ({'part_size': 8388608, 'read_part_size': 8388608}, 'mountpoint_s3_mounts[0].part_size cannot be combined with '
                                                        'read_part_size'),
    ({'no_log': True, 'debug': True, 'log_directory': '/var/log/x'},
     'mountpoint_s3_mounts[0].no_log cannot be combined with log_directory, debug'),
    ({'otlp_export_interval': 5}, 'mountpoint_s3_mounts[0].otlp_export_interval needs otlp_endpoint'),
    ({'max_cache_size': 5}, 'mountpoint_s3_mounts[0].max_cache_size needs cache'),
    ({'sse': 'AES256', 'sse_kms_key_id': 'arn:aws:kms:us-east-1:111122223333:key/k'},
     "mountpoint_s3_mounts[0].sse_kms_key_id needs sse 'aws:kms' or 'aws:kms:dsse', got sse 'AES256'"),
    ({'sse': 'aws:kms', 'sse_kms_key_id': 'alias/logs'}, 'sse_kms_key_id must be a KMS key ARN'),
    ({'read_only': True, 'allow_delete': True}, 'mountpoint_s3_mounts[0]: read_only cannot be combined with '
                                                'allow_delete'),
    ({'upload_checksums': 'md5'}, 'mountpoint_s3_mounts[0].upload_checksums must be one of crc32c, crc64nvme, off'),
    ({'bucket_type': 'express'}, 'mountpoint_s3_mounts[0].bucket_type must be one of general-purpose, directory'),
    ({'expected_bucket_owner': '1234'}, 'mountpoint_s3_mounts[0].expected_bucket_owner must be a 12-digit AWS '
                                        'account id'),
    ({'memory_target': 256}, 'mountpoint_s3_mounts[0].memory_target must be a whole number 512 or more'),
    ({'maximum_throughput_gbps': 0}, 'mountpoint_s3_mounts[0].maximum_throughput_gbps must be a whole number 1 or '
                                     'more'),
    ({'bind': ['eth0', 'a very long name']}, 'mountpoint_s3_mounts[0].bind[1] must be a network interface name'),
    ({'ca_bundle': 'certs/ca.pem'}, "mountpoint_s3_mounts[0].ca_bundle must be absolute, got 'certs/ca.pem'"),
    ({'otlp_endpoint': 'localhost:4318'}, 'mountpoint_s3_mounts[0].otlp_endpoint must be an http:// or https:// URL'),
    ({'negative_metadata_ttl': 'forever'}, "mountpoint_s3_mounts[0].negative_metadata_ttl must be a number of "
                                           "seconds, 'minimal' or 'indefinite'"),
    ({'cache_xz': 'logs'}, 'mountpoint_s3_mounts[0].cache_xz must be an S3 Express One Zone directory bucket'),
    ({'uid': 0}, 'mountpoint_s3_mounts[0].uid must be a whole number between 1 and 4294967294'),
    ({'user_agent_prefix': 'two  blanks'}, 'mountpoint_s3_mounts[0].user_agent_prefix must be printable ASCII'),
    ({'extra_args': ['--requester-pays']}, "mountpoint_s3_mounts[0].extra_args[0] '--requester-pays' has a key of "
                                           "its own; use mountpoint_s3_mounts[0].requester_pays instead"),
    ({'extra_args': ['--foreground']}, "mountpoint_s3_mounts[0].extra_args[0] '--foreground' is refused"),
    ({'extra_args': ['--a=b,c']}, "mountpoint_s3_mounts[0].extra_args[0] must be one option"),
    ({'no_sign_request': True, 'profile': 'ops'}, 'no_sign_request cannot be combined with profile'),
    ({'aws_access_key_id': 'AKIA'}, 'mountpoint_s3_mounts[0] needs both aws_access_key_id and aws_secret_access_key'),
    ({'debug': 'maybe'}, "mountpoint_s3_mounts[0].debug must be true or false, got 'maybe'"),
    ({'readonly': True}, 'mountpoint_s3_mounts[0]: has unknown keys readonly'),
    ({'state': 'enabled'}, "mountpoint_s3_mounts[0].state must be one of mounted, present, absent, got 'enabled'"),
    ({'bucket': 'Logs'}, "mountpoint_s3_mounts[0].bucket must be 3-63 lowercase letters"),
    ({'prefix': 'logs'}, "mountpoint_s3_mounts[0].prefix must end with '/', got 'logs'"),
    ({'path': 'mnt/x'}, "mountpoint_s3_mounts[0].path must be absolute, got 'mnt/x'"),
    ({'file_mode': 420}, "mountpoint_s3_mounts[0].file_mode must be an octal mode such as '0750'"),
])
def test_bad_input_names_the_key(keys, message):
    found = problems([mount(**keys)])
    assert any(message in problem for problem in found), found


def test_secrets_never_appear_in_problems():
    found = problems([mount(aws_access_key_id='AKIA', aws_secret_access_key='bad secret', profile='x')])
    assert found and not any('bad secret' in problem for problem in found)


def test_overlapping_paths():
    found = problems([mount(), mount(path='/mnt/logs/inner'), mount(prefix='b/')])
    assert found == [
        "mountpoint_s3_mounts[1].path '/mnt/logs/inner' and mountpoint_s3_mounts[0].path '/mnt/logs' lie inside "
        "each other; mount points must not be nested",
        "mountpoint_s3_mounts[2].path '/mnt/logs' is already mountpoint_s3_mounts[0].path; every mount needs its "
        "own path",
        "mountpoint_s3_mounts[2].path '/mnt/logs' and mountpoint_s3_mounts[1].path '/mnt/logs/inner' lie inside "
        "each other; mount points must not be nested"]


@pytest.mark.parametrize('role, message', [
    ({'version': 'v1.16'}, "mountpoint_s3_version must be 'latest' or X.Y.Z, got 'v1.16'"),
    ({'gpg_fingerprints': ['6F1C3B3AEF4B030B']}, "mountpoint_s3_gpg_fingerprints[0] must be a 40-digit hex OpenPGP "
                                                 "fingerprint (spaces allowed), got '6F1C3B3AEF4B030B'"),
    ({'verify_timeout': 0}, "mountpoint_s3_verify_timeout must be a whole number between 1 and 600, got '0'"),
    ({'restart_sec': -1}, "mountpoint_s3_restart_sec must be a whole number between 0 and 3600, got '-1'"),
    ({'package_src': '/a.deb', 'package_url': 'http://b/a.deb'}, 'mountpoint_s3_package_src and '
                                                                 'mountpoint_s3_package_url exclude each other'),
    ({'install_method': 'package'}, "mountpoint_s3_install_method 'package' needs mountpoint_s3_package_src"),
    ({'install': False}, 'mountpoint_s3_install is false, but /usr/bin/mount-s3 --version does not answer'),
])
def test_role_settings(role, message):
    found = problems([mount()], facts={'version': ''}, **role)
    assert any(problem.startswith(message) for problem in found), found
