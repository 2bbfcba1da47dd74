"""Shared input rules: each rule once, on the values that sit at its edges."""

import pytest

from ansible_collections.mountkit.aws.plugins.module_utils import mount_rules as rules


@pytest.mark.parametrize('bucket', ['abc', 'my-bucket', 'logs.example.com', 'a' * 63, '0bucket9'])
def test_valid_bucket_names(bucket):
    assert rules.bucket_problems(bucket, 'b') == []


@pytest.mark.parametrize('bucket, fragment', [
    ('ab', 'must be 3-63'),
    ('a' * 64, 'must be 3-63'),
    ('My-Bucket', 'must be 3-63'),
    ('-bucket', 'must be 3-63'),
    ('bucket-', 'must be 3-63'),
    ('my..bucket', 'must be 3-63'),
    ('my.-bucket', 'must be 3-63'),
    ('192.168.5.4', 'must be 3-63'),
    ('xn--bucket', "must not start with 'xn--'"),
    ('sthree-bucket', "must not start with 'sthree-'"),
    ('amzn-s3-demo-bucket', "must not start with 'amzn-s3-demo-'"),
    ('bucket-s3alias', "must not end with '-s3alias'"),
    ('bucket--ol-s3', "must not end with '--ol-s3'"),
    ('bucket.mrap', "must not end with '.mrap'"),
    ('bucket--table-s3', "must not end with '--table-s3'"),
    (None, "got ''"),
])
def test_invalid_bucket_names_name_the_variable(bucket, fragment):
    problems = rules.bucket_problems(bucket, 'x_mounts[2].bucket')
    assert len(problems) == 1
    assert problems[0].startswith('x_mounts[2].bucket ')
    assert fragment in problems[0]


def test_directory_buckets_only_where_the_backend_mounts_them():
    name = 'logs--use1-az4--x-s3'
    assert rules.bucket_problems(name, 'b', directory_buckets=True) == []
    assert 'directory bucket' in rules.bucket_problems(name, 'b')[0]
    assert rules.is_directory_bucket(name)
    assert not rules.is_directory_bucket('logs')
    assert '<name>--<zone id>--x-s3' in rules.bucket_problems('logs--x-s3', 'b', directory_buckets=True)[0]


@pytest.mark.parametrize('prefix', [None, '', 'logs/', 'a/b/c/', "it's(1)/*!_.-/"])
def test_valid_prefixes(prefix):
    assert rules.prefix_problems(prefix, 'p') == []


@pytest.mark.parametrize('prefix, fragment', [
    ('/logs/', "must not start with '/'"),
    ('logs', "must end with '/'"),
    ('a//b/', 'without empty'),
    ('a/../b/', "'..'"),
    ('./', "'.'"),
    ('a b/', 'whitespace'),
    ('a,b/', 'commas'),
])
def test_invalid_prefixes(prefix, fragment):
    problems = rules.prefix_problems(prefix, 'm[0].prefix')
    assert len(problems) == 1 and problems[0].startswith('m[0].prefix ') and fragment in problems[0]


@pytest.mark.parametrize('path', ['/mnt/s3', '/srv/shared/media-1', '/a'])
def test_valid_paths(path):
    assert rules.absolute_path_problems(path, 'p') == []


@pytest.mark.parametrize('path, fragment', [
    ('mnt/s3', 'must be absolute'),
    ('', 'must be absolute'),
    ('/', "must not be '/'"),
    ('/mnt/s3/', 'normalised'),
    ('/mnt//s3', 'normalised'),
    ('/mnt/./s3', 'normalised'),
    ('/mnt/../s3', 'normalised'),
    ('/mnt/a b', 'whitespace'),
    ('/mnt/a,b', 'commas'),
    ('/mnt/a\rb', 'whitespace'),
    ('/mnt/a\u00a0b', 'whitespace'),
])
def test_invalid_paths(path, fragment):
    problems = rules.absolute_path_problems(path, 'm[3].path')
    assert len(problems) == 1 and problems[0].startswith('m[3].path ') and fragment in problems[0]


def test_root_only_where_allowed():
    assert rules.absolute_path_problems('/', 'p', allow_root=True) == []


def test_overlapping_paths_are_named_once_each():
    problems = rules.path_overlap_problems([('a[0].path', '/mnt/x'), ('a[1].path', '/mnt/x'),
                                            ('b[0].path', '/mnt/x/inner'), ('b[1].path', '/mnt/xy')])
    assert problems == [
        "a[1].path '/mnt/x' is already a[0].path; every mount needs its own path",
        "b[0].path '/mnt/x/inner' and a[0].path '/mnt/x' lie inside each other; mount points must not be nested",
        "b[0].path '/mnt/x/inner' and a[1].path '/mnt/x' lie inside each other; mount points must not be nested",
    ]


@pytest.mark.parametrize('mode, ok', [('0750', True), ('644', True), (None, True), (420, False), ('0800', False),
                                      ('07550', False), ('rwx', False)])
def test_modes(mode, ok):
    assert (rules.mode_problems(mode, 'm.mode') == []) is ok


def test_mode_value():
    assert rules.mode_value('0750') == 0o750


@pytest.mark.parametrize('value, ok', [(0, True), ('1000', True), (None, True), (-1, False), ('abc', False),
                                       (True, False)])
def test_ids(value, ok):
    assert (rules.id_problems(value, 'm.uid') == []) is ok


@pytest.mark.parametrize('value, ok', [('root', True), ('www-data', True), ('1000', True), ('machine$', True),
                                       ('bad name', False), ('-x', False), (False, False)])
def test_owners(value, ok):
    assert (rules.owner_problems(value, 'm.owner') == []) is ok


@pytest.mark.parametrize('value, ok', [('eu-west-1', True), ('us-gov-west-1', True), ('', True),
                                       ('EU-WEST-1', False), ('eu-west', False), ('eu west 1', False)])
def test_regions(value, ok):
    assert (rules.region_problems(value, 'r') == []) is ok


@pytest.mark.parametrize('value, ok', [('https://s3.eu-west-1.amazonaws.com', True), ('http://127.0.0.1:9000', True),
                                       ('http://h/path/x', True), ('ftp://h', False), ('http://a b', False),
                                       ('https://h,x', False)])
def test_urls(value, ok):
    assert (rules.url_problems(value, 'u') == []) is ok


def test_options_and_managed_options():
    assert rules.option_problems('max_stat_cache_size=1000', 'o') == []
    assert rules.option_problems('ro', 'o') == []
    assert 'one option' in rules.option_problems('a,b', 'o[0]')[0]
    assert 'one option' in rules.option_problems('a b', 'o[0]')[0]
    assert rules.option_problems('uid=7', 'o[1]', {'uid': "the mount's owner"}) == [
        "o[1] 'uid=7' is set by the role; use the mount's owner instead"]


@pytest.mark.parametrize('value, ok', [(5, True), ('10', True), (1, True), (0, False), (11, False), ('x', False),
                                       (2.5, False), (True, False), (None, False)])
def test_ranges(value, ok):
    assert (rules.range_problems(value, 'n', 1, 10) == []) is ok


def test_open_ranges_and_choices():
    assert rules.range_problems(10 ** 9, 'n', 0) == []
    assert rules.range_problems(-1, 'n', 0) == ["n must be a whole number 0 or more, got '-1'"]
    assert rules.choice_problems('x', 'c', ('a', 'b')) == ["c must be one of a, b, got 'x'"]


def test_secrets_are_never_shown():
    assert rules.pair_problems('AKIA', '', 'm[0]', 'aws_access_key_id', 'aws_secret_access_key') == [
        'm[0] needs both aws_access_key_id and aws_secret_access_key, or neither']
    problems = rules.secret_problems('abc:def', 'm[0].aws_secret_access_key')
    assert problems and 'abc' not in problems[0] and 'value not shown' in problems[0]
    assert rules.secret_problems('abcdef', 'k') == []


def test_slug():
    assert rules.slug('/mnt/a b/c') == 'mnt-a_b-c'
    assert rules.slug('/') == 'root'


@pytest.mark.parametrize('value, expected', [(True, True), ('yes', True), ('On', True), (1, True), (False, False),
                                             ('no', False), (None, False), ('', False), (0, False)])
def test_to_bool(value, expected):
    assert rules.to_bool(value) is expected


def test_to_bool_refuses_anything_else():
    with pytest.raises(ValueError):
        rules.to_bool('maybe')


@pytest.mark.parametrize('value, default, expected', [
    (None, True, True), (None, False, False), ('no', True, False), ('yes', False, True), ('', True, False)])
def test_flag(value, default, expected):
    assert rules.flag(value, default, 'm[0].tls') == (expected, [])


def test_flag_names_the_setting_and_keeps_the_default():
    assert rules.flag('maybe', True, 'm[0].tls') == (True, ["m[0].tls must be true or false, got 'maybe'"])


def test_flag_reads_the_same_in_every_planner():
    """efs and mountpoint_s3 validate per-mount booleans with the one reader: the same words for the same value."""
    from ansible_collections.mountkit.aws.plugins.module_utils import plan_efs, plan_mountpoint_s3
    efs = plan_efs.MountCheck(0, {'tls': ['x']}, {}, [])
    s3 = plan_mountpoint_s3.MountCheck(0, {'debug': ['x']}, [])
    assert efs.flag('tls', True) is True and s3.flag('debug') is False
    assert efs.problems == ["efs_mounts[0].tls must be true or false, got '['x']'"]
    assert s3.problems == ["mountpoint_s3_mounts[0].debug must be true or false, got '['x']'"]
