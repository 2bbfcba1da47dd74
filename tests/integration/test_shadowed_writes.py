# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""shadowed_writes against a real s3fs mount (local S3 server) over a directory that got files while nothing was
mounted there: found byte for byte beneath the live mount, moved aside on request without losing a byte, and the
host's mount table the same before and after."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os

import pytest

MODULE = 'mountkit.aws.shadowed_writes'

pytestmark = pytest.mark.integration


def mount_table(tmp_path):
    """(mount id, mount point) of the mounts under the test's directory or on a scratch directory of the
    module; the rest of the host's table belongs to whatever else runs on the machine."""
    with open('/proc/self/mountinfo') as handle:
        rows = [tuple(line.split()[i] for i in (0, 4)) for line in handle]
    return sorted(row for row in rows if row[1].startswith(str(tmp_path)) or 'mountkit-beneath-' in row[1])


def sha256(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture
def written_while_unmounted(tmp_path):
    """A mount point directory with two files written into it while nothing was mounted there."""
    mount_point = tmp_path / 'mnt'
    (mount_point / 'jobs').mkdir(parents=True)
    files = {'task.log': b'line written while the mount was absent\n', 'jobs/result.bin': os.urandom(300000)}
    for name, data in files.items():
        (mount_point / name).write_bytes(data)
    return str(mount_point), files


def test_an_unmounted_mount_point_shows_its_files(real_fuse, run_module, written_while_unmounted):
    path, files = written_while_unmounted
    result = run_module(MODULE, {'path': path})
    assert not result.get('failed'), result
    assert result['mounted'] is False
    assert result['count'] == 2 and result['bytes'] == sum(len(data) for data in files.values())


# nonempty: s3fs on FUSE 2 (Debian 12's 1.90) refuses a mount point that holds files.
def test_files_beneath_a_live_s3fs_mount(real_fuse, run_module, shared_s3_server, s3fs_factory,
                                         written_while_unmounted, tmp_path):
    path, files = written_while_unmounted
    s3fs_factory(shared_s3_server, mount_point=path, extra_options=['nonempty'])
    # The mount hides them: the host sees the bucket there.
    assert 'task.log' not in os.listdir(path)
    table = mount_table(tmp_path)
    assert len(table) == 1

    found = run_module(MODULE, {'path': path, 'list_limit': 5})
    assert not found.get('failed'), found
    assert found['mounted'] is True and not found['changed']
    assert found['count'] == 2
    assert found['bytes'] == sum(len(data) for data in files.values())
    assert found['others'] == 1  # the directory jobs
    assert dict((item['name'], (item['size'], item['sha256'])) for item in found['files']) == dict(
        (name, (len(data), hashlib.sha256(data).hexdigest())) for name, data in files.items())

    aside = str(tmp_path / 'aside')
    would = run_module(MODULE, {'path': path, 'move_to': aside}, check=True)
    assert would['changed'] and would['moved'] == ['jobs', 'task.log'], would
    assert not os.path.exists(aside)

    moved = run_module(MODULE, {'path': path, 'move_to': aside})
    assert moved['changed'], moved
    assert moved['moved'] == ['jobs', 'task.log'] and moved['conflicts'] == []
    assert moved['mismatched'] == [] and moved['remaining'] == 0
    for name, data in files.items():
        assert sha256(os.path.join(aside, name)) == hashlib.sha256(data).hexdigest()

    again = run_module(MODULE, {'path': path, 'move_to': aside})
    assert not again['changed'] and again['count'] == 0, again
    # The mount is still there, and no mount came or went.
    assert mount_table(tmp_path) == table
    assert 'task.log' not in os.listdir(path)


def test_a_name_already_aside_is_left_beneath(real_fuse, run_module, shared_s3_server, s3fs_factory,
                                              written_while_unmounted, tmp_path):
    path, files = written_while_unmounted
    aside = tmp_path / 'aside'
    aside.mkdir()
    (aside / 'task.log').write_bytes(b'an earlier copy\n')
    s3fs_factory(shared_s3_server, mount_point=path, extra_options=['nonempty'])
    result = run_module(MODULE, {'path': path, 'move_to': str(aside)})
    assert result['failed'] and result['changed'], result
    assert result['conflicts'] == ['task.log'] and result['moved'] == ['jobs']
    assert 'left underneath, because %s already has them: task.log' % aside in result['msg']
    assert (aside / 'task.log').read_bytes() == b'an earlier copy\n'
    assert run_module(MODULE, {'path': path})['count'] == 1


def test_fail_on_found(real_fuse, run_module, written_while_unmounted):
    path, files = written_while_unmounted
    result = run_module(MODULE, {'path': path, 'fail_on_found': True})
    assert result['failed'] and not result['changed']
    assert '2 file(s), %d byte(s) beneath the mount at %s' % (sum(len(d) for d in files.values()), path) in result['msg']
