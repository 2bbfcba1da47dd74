# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the mount table parser, on recorded mountinfo and fstab text."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

import pytest

from ansible_collections.mountkit.aws.plugins.module_utils import mountinfo
from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import (
    check_alive, find_fstab_entry, find_mount, lookup_chain, matching_options, missing_options, normalize_option,
    option_matches, parse_fstab, parse_mountinfo, parse_warnings, present_options, read_fstab, read_mountinfo,
    unescape,
)

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'fixtures')

# testbed.md section 7, verbatim.
S3FS_LINE = ('43 27 0:39 / /mnt/s3fs rw,nosuid,nodev,relatime - fuse.s3fs s3fs '
             'rw,user_id=0,group_id=0,allow_other')
MOUNTPOINT_LINE = ('42 27 0:39 / /mnt/s3 rw,nosuid,nodev,noatime - fuse mountpoint-s3 '
                   'rw,user_id=0,group_id=0,default_permissions,allow_other')
EFS_PROXY_LINE = ('120 27 0:52 / /mnt/efs rw,relatime shared:75 - nfs4 127.0.0.1:/ '
                  'rw,vers=4.1,rsize=1048576,wsize=1048576,namlen=255,hard,noresvport,proto=tcp,port=20049,'
                  'timeo=600,retrans=2,sec=sys,clientaddr=127.0.0.1,local_lock=none,addr=127.0.0.1')
# upstream-facts.md section 2 (a /proc/mounts line, for the option list).
EFS_OPTIONS = ('rw,relatime,vers=4.1,rsize=1048576,wsize=1048576,namlen=255,hard,noresvport,proto=tcp,'
               'port=20252,timeo=600,retrans=2,sec=sys,clientaddr=127.0.0.1,local_lock=none,addr=127.0.0.1').split(',')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def live_shapes():
    """The table recorded on a live kernel (see the fixture's description), as the text the kernel wrote."""
    with open(os.path.join(FIXTURES, 'mountinfo_live_shapes.json'), encoding='utf-8') as handle:
        return '\n'.join(json.load(handle)['lines']) + '\n'


def single(line):
    entries = parse_mountinfo(line)
    assert len(entries) == 1
    return entries[0]


class TestReferenceLines:
    def test_s3fs(self):
        entry = single(S3FS_LINE)
        assert (entry.mount_id, entry.parent_id, entry.major_minor) == (43, 27, '0:39')
        assert entry.root == '/'
        assert entry.mount_point == '/mnt/s3fs'
        assert entry.mount_options == ['rw', 'nosuid', 'nodev', 'relatime']
        assert entry.optional_fields == []
        assert entry.propagation == 'private'
        assert entry.fstype == 'fuse.s3fs'
        assert entry.source == 's3fs'
        assert entry.super_options == ['rw', 'user_id=0', 'group_id=0', 'allow_other']

    def test_mountpoint_s3(self):
        entry = single(MOUNTPOINT_LINE)
        assert entry.fstype == 'fuse'
        assert entry.source == 'mountpoint-s3'
        assert entry.mount_options == ['rw', 'nosuid', 'nodev', 'noatime']
        assert 'default_permissions' in entry.super_options
        assert entry.has_option('allow_other')
        assert entry.has_option('noatime')

    def test_efs_proxy(self):
        entry = single(EFS_PROXY_LINE)
        assert entry.mount_point == '/mnt/efs'
        assert entry.fstype == 'nfs4'
        assert entry.source == '127.0.0.1:/'
        assert entry.propagation == 'shared'
        assert entry.peer_group == 75
        assert entry.master is None
        assert entry.optional_fields == ['shared:75']
        assert missing_options(['vers=4.1', 'rsize=1048576', 'wsize=1048576', 'hard', 'timeo=600', 'retrans=2',
                                'noresvport', 'port'], entry.options) == []
        assert present_options(['soft', 'vers=3', 'port=2049'], entry.options) == []

    def test_reference_fixture_finds_each_mount(self):
        entries = parse_mountinfo(fixture('mountinfo_reference.txt'))
        assert [e.mount_point for e in entries] == ['/', '/mnt/s3fs', '/mnt/s3', '/mnt/efs', '/mnt/efs-direct']
        assert find_mount(entries, '/mnt/s3fs/a/b').source == 's3fs'
        assert find_mount(entries, '/mnt/s3').source == 'mountpoint-s3'
        assert find_mount(entries, '/mnt/efs-direct/x').source == 'fs-0123456789abcdef0.efs.us-east-1.amazonaws.com:/'
        assert not find_mount(entries, '/mnt/efs-direct').has_option('port')

    def test_to_dict_is_plain(self):
        data = single(EFS_PROXY_LINE).to_dict()
        assert data['mount_point'] == '/mnt/efs'
        assert data['peer_group'] == 75
        assert data['propagation'] == 'shared'
        assert set(data) >= {'mount_id', 'parent_id', 'major_minor', 'root', 'mount_point', 'mount_options',
                             'optional_fields', 'propagation', 'peer_group', 'master', 'unbindable', 'fstype',
                             'source', 'super_options'}


class TestEscapes:
    @pytest.mark.parametrize('raw, decoded', [
        (r'/mnt/with\040space', '/mnt/with space'),
        (r'/mnt/with\011tab', '/mnt/with\ttab'),
        (r'/mnt/with\012newline', '/mnt/with\nnewline'),
        (r'/mnt/back\134slash', '/mnt/back\\slash'),
        (r'/mnt/\134040literal', '/mnt/\\040literal'),
        (r'/plain', '/plain'),
        (r'/mnt/caf\303\251', u'/mnt/caf\u00e9'),
    ])
    def test_unescape(self, raw, decoded):
        assert unescape(raw) == decoded

    def test_tricky_paths(self):
        entries = parse_mountinfo(fixture('mountinfo_tricky.txt'))
        points = [entry.mount_point for entry in entries]
        assert points == ['/', '/mnt/with space', '/mnt/with\ttab', '/mnt/with\nnewline', '/mnt/back\\slash',
                          '/mnt/bind target', '/mnt/s3 bucket', '/mnt/selinux', u'/mnt/caf\u00e9']
        assert find_mount(entries, '/mnt/with space/file').mount_id == 50
        assert find_mount(entries, '/mnt/with').mount_id == 27
        assert find_mount(entries, '/mnt/with\nnewline').mount_id == 52
        assert find_mount(entries, '/mnt/back\\slash/x').mount_id == 53

    def test_bind_root_and_source_are_decoded(self):
        entries = parse_mountinfo(fixture('mountinfo_tricky.txt'))
        bind = find_mount(entries, '/mnt/bind target')
        assert bind.root == '/srv/data dir'
        assert find_mount(entries, '/mnt/s3 bucket').source == 's3fs:my bucket'

    def test_quoted_option_keeps_its_commas(self):
        entry = find_mount(parse_mountinfo(fixture('mountinfo_tricky.txt')), '/mnt/selinux')
        assert entry.super_options == ['rw', 'vers=4.2', 'context="system_u:object_r:container_file_t:s0:c1,c2"',
                                       'hard']


class TestPropagation:
    @pytest.fixture
    def entries(self):
        return parse_mountinfo(fixture('mountinfo_propagation.txt'))

    @pytest.mark.parametrize('path, propagation, peer_group, master, unbindable', [
        ('/srv/shared', 'shared', 2, None, False),
        ('/srv/shared/s3', 'shared', 3, None, False),
        ('/srv/slave', 'slave', None, 2, False),
        ('/srv/both', 'slave', 5, 2, False),
        ('/srv/unbindable', 'unbindable', None, None, True),
        ('/srv/private', 'private', None, None, False),
        ('/', 'private', None, None, False),
    ])
    def test_fields(self, entries, path, propagation, peer_group, master, unbindable):
        entry = find_mount(entries, path)
        assert entry.mount_point == path
        assert (entry.propagation, entry.peer_group, entry.master, entry.unbindable) == \
            (propagation, peer_group, master, unbindable)

    def test_propagate_from(self, entries):
        entry = find_mount(entries, '/srv/from')
        assert (entry.propagation, entry.master, entry.propagate_from) == ('slave', 7, 2)
        assert entry.optional_fields == ['master:7', 'propagate_from:2']


class TestFindMount:
    @pytest.fixture
    def entries(self):
        return parse_mountinfo(fixture('mountinfo_stacked.txt'))

    def test_last_stacked_mount_wins(self, entries):
        assert find_mount(entries, '/mnt/stack').source == 'upper'
        assert find_mount(entries, '/mnt/stack/deep/file').source == 'upper'

    def test_stacked_without_parent_links_last_in_table_wins(self):
        text = ('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n'
                '10 99 0:1 / /mnt/x rw - tmpfs first rw\n'
                '11 98 0:2 / /mnt/x rw - tmpfs second rw\n')
        assert find_mount(parse_mountinfo(text), '/mnt/x/y').source == 'second'

    def test_mount_over_an_ancestor_hides_earlier_mounts(self, entries):
        assert find_mount(entries, '/mnt/outer/inner/f').source == 'visible-inner'
        assert find_mount(entries, '/mnt/outer/other').source == 'outer-over'

    def test_submount_of_a_covered_mount_is_hidden(self, entries):
        # /mnt/s3/sub sits on s3-lower, which s3-upper now covers.
        assert find_mount(entries, '/mnt/s3/sub/file').source == 's3-upper'

    def test_component_boundaries(self, entries):
        assert find_mount(entries, '/mnt/stacked').mount_id == 27
        assert find_mount(entries, '/mnt/stack2').mount_id == 27
        assert find_mount(entries, '/mnt/stack/').source == 'upper'

    def test_path_is_normalised_lexically(self, entries):
        assert find_mount(entries, '/mnt/./stack//a/../b').source == 'upper'
        assert find_mount(entries, '//mnt/stack').source == 'upper'

    def test_relative_path_is_refused(self, entries):
        with pytest.raises(ValueError):
            find_mount(entries, 'mnt/stack')

    def test_nothing_covers(self):
        text = '50 40 0:1 / /only rw - tmpfs tmpfs rw\n'
        assert find_mount(parse_mountinfo(text), '/elsewhere') is None


@pytest.fixture(scope='module')
def live_entries():
    errors = []
    entries = parse_mountinfo(live_shapes(), errors=errors)
    assert errors == []
    return entries


class TestLiveShapes:
    """Answers for the table a live kernel wrote; the integration tests check the same shapes against stat."""

    @pytest.fixture
    def entries(self, live_entries):
        return live_entries

    def test_every_line_is_one_mount(self, entries):
        # str.splitlines() would also cut at the CR inside a mount point.
        assert len(entries) == len(live_shapes().rstrip('\n').split('\n')) == 19

    def test_propagated_copy_listed_later_is_hidden(self, entries):
        # 72 is the copy propagation put on the root of /srv/t, under the bind 70 of /srv/t/shared-dir.
        entry = find_mount(entries, '/srv/t/shared-dir/fuse/file')
        assert (entry.mount_id, entry.propagation, entry.master) == (71, 'slave', 4)
        assert [mount.mount_id for mount in lookup_chain(entries, '/srv/t/shared-dir/fuse')] == [47, 69, 70, 71]

    def test_mount_placed_beneath_is_not_on_top(self, entries):
        entry = find_mount(entries, '/srv/t/stack')
        assert (entry.mount_id, entry.source) == (73, 'top')
        assert [mount.mount_id for mount in lookup_chain(entries, '/srv/t/stack/x')] == [47, 69, 75, 73]

    def test_stacked_mounts_climb_to_the_top(self, entries):
        assert find_mount(entries, '/dev/shm/x').mount_id == 64
        assert find_mount(entries, '/dev/pts/0').mount_id == 66

    def test_mount_over_the_root_is_not_reached(self, entries):
        assert find_mount(entries, '/').mount_id == 47
        assert find_mount(entries, '/etc/fstab').mount_id == 47
        assert find_mount(entries, '/dev').mount_id == 62

    def test_empty_source(self, entries):
        entry = find_mount(entries, '/srv/t/names/empty')
        assert (entry.mount_id, entry.fstype, entry.source, entry.super_options) == (74, 'tmpfs', '', ['rw'])

    @pytest.mark.parametrize('path, mount_id, source', [
        (u'/srv/t/names/cr\rdir', 76, u'src\u00a0nbsp'),
        (u'/srv/t/names/nb\u00a0sp', 77, u'src\rcr'),
        (u'/srv/t/names/id\u3000sp', 78, u'src\u3000ideo'),
        (u'/srv/t/names/x\u00a0-\u00a0y', 79, u'dash'),
        (u'/srv/t/names/sp ace', 80, u's p'),
    ])
    def test_bytes_that_are_not_escaped_stay_in_their_field(self, entries, path, mount_id, source):
        entry = find_mount(entries, path + '/file')
        assert (entry.mount_id, entry.mount_point, entry.source) == (mount_id, path, source)
        peer_group = mount_id - 68
        assert (entry.fstype, entry.optional_fields, entry.super_options) == ('tmpfs', ['shared:%d' % peer_group], ['rw'])

    def test_a_cut_at_other_whitespace_would_invent_a_mount(self, entries):
        # Splitting on any whitespace makes '-' a field of the mount point of 79: no mount has such a point.
        assert not [entry for entry in entries if entry.mount_point in (u'/srv/t/names/x', '-', 'y')]

    def test_line_numbers(self, entries):
        assert [entry.line_number for entry in entries] == list(range(1, 20))


class TestLookupByIds:
    """Stacking from parent/child ids; table order only where the ids cannot decide."""

    def test_child_listed_before_its_parent(self):
        text = ('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n'
                '30 31 0:3 / /mnt/x rw - tmpfs upper rw\n'
                '31 1 0:2 / /mnt/x rw - tmpfs lower rw\n')
        assert find_mount(parse_mountinfo(text), '/mnt/x').source == 'upper'

    def test_deeper_mount_under_a_covered_directory_is_hidden(self):
        text = ('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n'
                '20 1 0:2 / /mnt rw - tmpfs over-mnt rw\n'
                '21 1 0:3 / /mnt/a/b rw - tmpfs under-it rw\n')
        assert find_mount(parse_mountinfo(text), '/mnt/a/b/c').source == 'over-mnt'

    def test_side_mounts_on_one_point_fall_back_to_table_order(self):
        # Kernels before 4.11 could give two children of one parent the same point.
        text = ('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n'
                '21 1 0:3 / /mnt/x rw - tmpfs first rw\n'
                '22 1 0:4 / /mnt/x rw - tmpfs second rw\n')
        assert find_mount(parse_mountinfo(text), '/mnt/x').source == 'second'

    def test_table_of_a_chrooted_process_has_several_top_mounts(self):
        # The mount holding the new root is not listed; mounts on it have an unlisted parent.
        text = ('100 5 0:20 / /proc rw - proc proc rw\n'
                '101 5 0:21 / /dev rw - tmpfs dev rw\n'
                '102 101 0:22 / /dev/pts rw - devpts devpts rw\n')
        entries = parse_mountinfo(text)
        assert find_mount(entries, '/dev/pts/1').mount_id == 102
        assert find_mount(entries, '/proc/self').mount_id == 100
        assert find_mount(entries, '/etc') is None

    def test_self_parent_is_a_top_mount(self):
        assert find_mount(parse_mountinfo('1 1 0:1 / / rw - rootfs rootfs rw\n'), '/x').mount_id == 1

    def test_parent_cycle_ends(self):
        text = ('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n'
                '20 21 0:2 / /mnt rw - tmpfs a rw\n'
                '21 20 0:3 / /mnt rw - tmpfs b rw\n')
        assert find_mount(parse_mountinfo(text), '/mnt/x').mount_id == 1

    def test_deleted_mount_point_is_not_reached(self):
        text = ('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n'
                '20 1 0:2 / /mnt/gone//deleted rw - tmpfs gone rw\n')
        entries = parse_mountinfo(text)
        assert find_mount(entries, '/mnt/gone/deleted').mount_id == 1
        assert entries[1].mount_point == '/mnt/gone//deleted'


class TestFieldSplitting:
    def test_empty_source_is_not_the_options(self):
        entry = single('74 69 0:44 / /mnt/x rw,relatime - tmpfs  rw,size=1024k')
        assert (entry.source, entry.super_options) == ('', ['rw', 'size=1024k'])

    @pytest.mark.parametrize('char', [u'\r', u'\u00a0', u'\u3000', u'\x0b', u'\x0c', u'\x1c', u'\x85', u'\u2028'])
    def test_only_a_space_separates_fields(self, char):
        entry = single(u'50 27 0:60 / /mnt/a%sb rw - tmpfs s%sr rw' % (char, char))
        assert (entry.mount_point, entry.source) == (u'/mnt/a%sb' % char, u's%sr' % char)

    def test_non_utf8_bytes_round_trip(self, tmp_path):
        path = tmp_path / 'mountinfo'
        path.write_bytes(b'27 1 8:1 / / rw - ext4 /dev/sda rw\n50 27 0:60 / /mnt/\xff\xfe rw - tmpfs t rw\n')
        entry = read_mountinfo(str(path))[1]
        assert entry.mount_point.encode('utf-8', 'surrogateescape') == b'/mnt/\xff\xfe'


class TestMalformed:
    def test_raises_by_default(self):
        with pytest.raises(ValueError, match='line 2'):
            parse_mountinfo('27 1 8:1 / / rw - ext4 /dev/sda rw\ngarbage line\n')

    def test_collects_errors_when_asked(self):
        errors = []
        entries = parse_mountinfo('27 1 8:1 / / rw - ext4 /dev/sda rw\nx y z\n\n28 27 0:1 / /t rw - tmpfs t rw',
                                  errors=errors)
        assert [entry.mount_id for entry in entries] == [27, 28]
        assert [error['line_number'] for error in errors] == [2]

    @pytest.mark.parametrize('line, reason', [
        ('27 1 8:1 / / rw ext4 /dev/sda rw', 'no " - " separator after the sixth field'),
        ('27 1 8:1 / / rw -', '7 space-separated fields, at least 9 expected'),
        ('27 1 8:1 / / rw - ext4', '8 space-separated fields, at least 9 expected'),
        ('27 1 8:1 / /  rw - ext4 /dev/sda rw', 'mount options (field 6) is empty'),
        ('27 1 8:1  / / rw - ext4 /dev/sda rw', 'root (field 4) is empty'),
        ('27 1 8:1 / / rw shared:1  - ext4 /dev/sda rw', 'empty optional field (two spaces in a row)'),
        ('27 1 8:1 / / rw -  /dev/sda rw', 'file system type is empty'),
        ('x 1 8:1 / / rw - ext4 /dev/sda rw', "mount id is not a number: 'x'"),
        ('27 1 sda / / rw - ext4 /dev/sda rw', "major:minor is not two numbers: 'sda'"),
        ('27 1 8:1 / / rw shared:x - ext4 /dev/sda rw', "shared peer group is not a number: 'x'"),
        ('27\t1 8:1 / / rw - ext4 /dev/sda rw', "mount id is not a number: '27\\t1'"),
        ('   ', '4 space-separated fields, at least 9 expected'),
    ])
    def test_each_reason(self, line, reason):
        errors = []
        assert parse_mountinfo('1 0 8:1 / / rw - ext4 /dev/vda rw\n' + line + '\n', errors=errors) != []
        assert [(error['line_number'], error['reason']) for error in errors] == [(2, reason)]

    def test_mount_point_of_a_bad_line_is_kept_when_it_looks_like_one(self):
        errors = []
        parse_mountinfo('27 1 8:1 / /mnt/with\\040space rw ext4 /dev/sda rw\nx y z\n', errors=errors)
        assert [error['mount_point'] for error in errors] == ['/mnt/with space', None]

    def test_warnings_name_the_table_and_line(self):
        errors = []
        parse_mountinfo('27 1 8:1 / / rw - ext4 /dev/sda rw\nx y z\n', errors=errors)
        assert parse_warnings('/proc/42/mountinfo', errors) == [
            "/proc/42/mountinfo line 2 cannot be parsed and was left out: "
            "3 space-separated fields, at least 9 expected: 'x y z'"]

    def test_missing_super_options_tolerated(self):
        assert single('28 27 0:1 / /t rw - tmpfs t').super_options == []

    def test_read_mountinfo_of_this_process(self):
        entries = read_mountinfo()
        assert find_mount(entries, '/') is not None


class TestFstab:
    @pytest.fixture
    def parsed(self):
        errors = []
        return parse_fstab(fixture('fstab_sample.txt'), errors=errors), errors

    def test_comments_blank_lines_and_errors(self, parsed):
        entries, errors = parsed
        assert [entry.mount_point for entry in entries] == [
            '/', '/mnt/efs', '/mnt/efs-tls', '/mnt/s3', '/mnt/s3fs', '/mnt/with space', '/data', 'none', '/data']
        assert sorted(error['reason'] for error in errors) == ['dump is not a number: \'zero\'',
                                                               'fewer than three fields']

    def test_fields(self, parsed):
        entries, _errors = parsed
        efs = find_fstab_entry(entries, '/mnt/efs')
        assert efs.source == 'fs-0123456789abcdef0.efs.us-east-1.amazonaws.com:/'
        assert efs.fstype == 'nfs4'
        assert (efs.dump, efs.passno) == (0, 0)
        assert efs.netdev and not efs.nofail
        assert efs.has_option('vers=4.1')
        s3fs = find_fstab_entry(entries, '/mnt/s3fs')  # tab separated
        assert s3fs.options[-1] == 'url=https://s3.us-east-1.amazonaws.com'

    def test_mount_s3_entry(self, parsed):
        entry = find_fstab_entry(parsed[0], '/mnt/s3')
        assert entry.source == 's3://my-bucket/prefix/'
        assert entry.netdev and entry.nofail
        assert missing_options(['_netdev', 'nosuid', 'nodev', 'allow-delete', 'uid=7'], entry.options) == []

    def test_systemd_options_and_escapes(self, parsed):
        entry = find_fstab_entry(parsed[0], '/mnt/with space')
        assert entry.systemd_options == {'x-systemd.automount': None, 'x-systemd.idle-timeout': '60',
                                         'x-systemd.requires': 'network-online.target'}
        assert entry.to_dict()['systemd_options']['x-systemd.idle-timeout'] == '60'

    def test_missing_dump_and_passno_default_to_zero(self, parsed):
        entries = parsed[0]
        first_data = [entry for entry in entries if entry.mount_point == '/data'][0]
        assert (first_data.dump, first_data.passno) == (0, 0)

    def test_repeated_mount_point_last_wins(self, parsed):
        entry = find_fstab_entry(parsed[0], '/data')
        assert entry.source == '/dev/sdc1' and entry.passno == 2

    def test_exact_match_only(self, parsed):
        assert find_fstab_entry(parsed[0], '/mnt/s3fs/sub') is None

    def test_raises_without_error_list(self):
        with pytest.raises(ValueError):
            parse_fstab('only two\n')

    def test_fields_are_separated_by_blanks_only(self):
        entries = parse_fstab(u'srv:/a\u00a0b /mnt/x\u3000y nfs4 hard\t0 0\n   \n\t# note\n')
        assert [(e.source, e.mount_point, e.options) for e in entries] == [
            (u'srv:/a\u00a0b', u'/mnt/x\u3000y', ['hard'])]

    def test_read_fstab(self, tmp_path):
        path = tmp_path / 'fstab'
        path.write_text(u'/dev/sda1 / ext4 defaults 0 1\n')
        assert read_fstab(str(path))[0].passno == 1


class TestOptions:
    @pytest.mark.parametrize('wanted, actual, expected', [
        ('hard', ['rw', 'hard'], True),
        ('hard', ['rw', 'soft'], False),
        ('vers=4.1', ['vers=4.1'], True),
        ('nfsvers=4.1', ['vers=4.1'], True),
        ('vers=4.1', ['nfsvers=4.1'], True),
        ('vers=4', ['vers=4.1'], True),
        ('vers=4', ['vers=4.2'], True),
        ('vers=4.1', ['vers=4.2'], False),
        ('vers=4.1', ['vers=4'], False),
        ('vers=4.0', ['vers=4'], False),
        ('vers=4.0', ['vers=4.0'], True),
        ('vers=3', ['vers=3'], True),
        ('vers=3.0', ['vers=3'], True),
        ('vers=3', ['vers=4.1'], False),
        ('vers=4.1', ['vers=4', 'minorversion=1'], True),
        ('rsize', ['rsize=1048576'], True),
        ('rsize=1048576', ['rsize=1048576'], True),
        ('rsize=1048576', ['rsize=65536'], False),
        ('rsize=1048576', ['rsize'], False),
        ('timeo=600', ['timeo=60'], False),
        ('port', ['vers=4.1'], False),
        ('allow_other', ['rw', 'user_id=0', 'allow_other'], True),
        ('x-systemd.automount', ['x-systemd.automount'], True),
    ])
    def test_option_matches(self, wanted, actual, expected):
        assert option_matches(wanted, actual) is expected

    def test_normalize_option(self):
        assert normalize_option('nfsvers=4.1') == 'vers=4.1'
        assert normalize_option(' hard ') == 'hard'

    def test_missing_and_present(self):
        assert missing_options(['hard', 'timeo=600', 'retrans=2', 'noresvport', 'nfsvers=4.1'], EFS_OPTIONS) == []
        assert missing_options(['hard', 'soft', 'timeo=601'], EFS_OPTIONS) == ['soft', 'timeo=601']
        assert present_options(['soft'], EFS_OPTIONS) == []
        assert present_options(['hard', 'sec'], EFS_OPTIONS) == ['hard', 'sec']
        assert matching_options('sec', EFS_OPTIONS) == ['sec=sys']
        assert matching_options('nfsvers', EFS_OPTIONS) == ['vers=4.1']


class TestCheckAlive:
    def test_ok(self, tmp_path):
        assert check_alive(str(tmp_path), 5) == ('ok', None)

    def test_missing_path_is_an_error(self, tmp_path):
        assert check_alive(str(tmp_path / 'nope'), 5) == ('error', 'ENOENT')

    def test_file_is_ok(self, tmp_path):
        path = tmp_path / 'file'
        path.write_text(u'x')
        assert check_alive(str(path), 5) == ('ok', None)

    def test_enotconn_means_dead(self, monkeypatch, tmp_path):
        def stat_dead(path, name):
            raise OSError(107, 'Transport endpoint is not connected')
        monkeypatch.setattr(mountinfo, '_stat_and_lookup', stat_dead)
        assert check_alive(str(tmp_path), 5) == ('dead', 'ENOTCONN')

    def test_no_answer_means_hung_and_returns_on_time(self, monkeypatch, tmp_path):
        def stat_hangs(path, name):
            time.sleep(30)
        monkeypatch.setattr(mountinfo, '_stat_and_lookup', stat_hangs)
        started = time.time()
        assert check_alive(str(tmp_path), 0.5) == ('hung', 'ETIMEDOUT')
        assert time.time() - started < 3
