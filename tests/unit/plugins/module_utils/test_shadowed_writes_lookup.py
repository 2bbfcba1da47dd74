# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for shadowed_writes: which mount holds a mount point's own directory (recorded mountinfo text),
what a scan of a directory counts, and the refusals of move_to. The bind itself is tested for real in
tests/integration/test_shadowed_writes.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

import pytest

from ansible_collections.mountkit.aws.plugins.module_utils.mountinfo import parse_mountinfo
from ansible_collections.mountkit.aws.plugins.module_utils.shadowed_writes import (
    CannotRun, look_beneath, scan, underlying_mount)

# A container host as docker_propagation leaves it: /srv/shared bound onto itself (rshared), an s3fs mount
# under it, and a second s3fs mount stacked on the first after a remount.
TABLE = '\n'.join([
    '27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '60 27 254:0 /srv/shared /srv/shared rw,relatime shared:40 - ext4 /dev/vda rw',
    '61 60 0:50 / /srv/shared/boot rw,nosuid,nodev,relatime shared:41 - fuse.s3fs s3fs rw,user_id=0,group_id=0',
    '62 61 0:51 / /srv/shared/boot rw,nosuid,nodev,relatime shared:42 - fuse.s3fs s3fs rw,user_id=0,group_id=0',
    '70 27 0:60 / /var/lib/docker rw,relatime - ext4 /dev/vdb rw',
]) + '\n'


@pytest.fixture
def entries():
    return parse_mountinfo(TABLE)


def test_underneath_a_stacked_mount_is_the_parent_bind(entries):
    entry, mounted = underlying_mount(entries, '/srv/shared/boot')
    assert mounted
    assert entry.mount_id == 60


def test_an_unmounted_mount_point_lies_on_the_mount_that_covers_it(entries):
    entry, mounted = underlying_mount(entries, '/srv/shared/other')
    assert not mounted
    assert entry.mount_id == 60


def test_a_mount_on_the_root_file_system(entries):
    entry, mounted = underlying_mount(entries, '/var/lib/docker')
    assert mounted
    assert entry.mount_id == 27


def write_table(tmp_path):
    path = tmp_path / 'mountinfo'
    path.write_text(TABLE)
    return str(path)


@pytest.mark.parametrize('move_to, message', [
    ('/srv/shared/boot/aside', 'must lie outside the mount point /srv/shared/boot'),
    ('/srv', 'must lie outside the mount point /srv/shared/boot and not above it'),
    ('/var/lib/docker/aside', 'must be on the file system underneath /srv/shared/boot (ext4 /dev/vda at /srv/shared)'),
    ('/var/tmp/aside', 'must be on the file system underneath /srv/shared/boot'),
])
def test_move_to_is_refused_before_any_look(tmp_path, move_to, message):
    with pytest.raises(ValueError) as failure:
        look_beneath('/srv/shared/boot', move_to=move_to, mountinfo_path=write_table(tmp_path),
                     scratch_parent=str(tmp_path))
    assert message in str(failure.value)
    # Refused before the scratch directory was made.
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mountinfo']


def test_no_mount_holds_the_path(tmp_path):
    path = tmp_path / 'mountinfo'
    path.write_text('61 60 0:50 / /srv/shared/boot rw - fuse.s3fs s3fs rw\n')
    with pytest.raises(CannotRun):
        look_beneath('/srv/shared/boot', mountinfo_path=str(path))


def test_scan_counts_files_bytes_and_others(tmp_path):
    (tmp_path / 'b.log').write_bytes(b'0123456789')
    (tmp_path / 'a.txt').write_bytes(b'hello\n')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'c.bin').write_bytes(b'\0' * 100)
    (tmp_path / 'link').symlink_to('a.txt')
    found = scan(str(tmp_path), list_limit=2, digest_all=True)
    assert found['count'] == 3
    assert found['bytes'] == 116
    assert found['others'] == 2  # the directory and the symbolic link
    assert [item['name'] for item in found['files']] == ['a.txt', 'b.log']
    assert found['files'][0]['sha256'] == hashlib.sha256(b'hello\n').hexdigest()
    assert found['digests']['sub/c.bin'] == [100, hashlib.sha256(b'\0' * 100).hexdigest()]
    assert found['top'] == ['a.txt', 'b.log', 'link', 'sub']


def test_scan_without_digests_names_nothing(tmp_path):
    (tmp_path / 'a.txt').write_bytes(b'x')
    found = scan(str(tmp_path), list_limit=0, digest_all=False)
    assert found['count'] == 1 and found['files'] == [] and found['digests'] == {}
