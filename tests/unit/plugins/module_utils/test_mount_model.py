"""The one remount strategy: decisions from the plan, the live mount and the host's record."""

import pytest

from ansible_collections.mountkit.aws.plugins.module_utils import mount_model as model

FUSE = ('fuse.s3fs',)
NEW = {'path': '/mnt/a', 'state': 'mounted', 'digest': 'new'}
UP = {'mounted': True, 'fstype': 'fuse.s3fs', 'source': 's3fs:b', 'alive': 'ok'}


@pytest.mark.parametrize('mount, live, recorded, changed, action', [
    (NEW, {'mounted': False}, None, False, 'mount'),
    (NEW, None, 'old', False, 'mount'),
    (NEW, UP, 'new', True, 'none'),
    (NEW, UP, 'old', False, 'remount'),
    (NEW, UP, None, False, 'none'),
    (NEW, UP, None, True, 'remount'),
    (NEW, dict(UP, alive='dead'), 'new', False, 'remount'),
    (NEW, dict(UP, alive='hung'), 'new', False, 'remount'),
    (NEW, dict(UP, alive='error'), 'new', False, 'none'),
    (dict(NEW, state='absent'), UP, 'new', False, 'unmount'),
    (dict(NEW, state='absent'), {'mounted': False}, None, False, 'none'),
    (dict(NEW, state='present'), UP, 'old', True, 'none'),
    (dict(NEW, state='present'), {'mounted': False}, None, False, 'none'),
])
def test_decide(mount, live, recorded, changed, action):
    assert model.decide(mount, live, recorded, changed, FUSE)[0] == action


def test_a_foreign_file_system_is_refused_or_left_alone():
    ext4 = {'mounted': True, 'fstype': 'ext4', 'source': '/dev/vdb', 'alive': 'ok'}
    action, reason = model.decide(NEW, ext4, None, False, FUSE)
    assert action == 'refuse'
    assert reason == '/mnt/a is already a mount point of type ext4 (/dev/vdb); unmount it first or choose another path'
    assert model.decide(dict(NEW, state='absent'), ext4, None, False, FUSE)[0] == 'none'


def test_lost_restart_is_applied_by_the_next_run():
    """Two mounts change; the second fails to come back. The first keeps its new digest, the second its old
    one, so the next run remounts only the second."""
    mounts = [dict(path='/mnt/a', state='mounted', digest='a2'), dict(path='/mnt/b', state='mounted', digest='b2')]
    state = {'mounts': {'/mnt/a': UP, '/mnt/b': UP}, 'record': {'/mnt/a': 'a1', '/mnt/b': 'b1', '/other': 'x'}}
    decided, problems = model.decide_all(mounts, state, fstypes=FUSE)
    assert problems == []
    assert [m['action'] for m in decided] == ['remount', 'remount']
    record = model.updated_record(state['record'], decided, {'/mnt/a'})
    assert record == {'/mnt/a': 'a2', '/mnt/b': 'b1', '/other': 'x'}
    again, no_problems = model.decide_all(mounts, {"mounts": state["mounts"], "record": record}, fstypes=FUSE)
    assert no_problems == []
    assert [m['action'] for m in again] == ['none', 'remount']


def test_record_drops_absent_mounts_and_keeps_unknown_paths():
    mounts = [dict(path='/mnt/a', state='absent', digest='a', action='unmount'),
              dict(path='/mnt/b', state='mounted', digest='b', action='none')]
    assert model.updated_record({'/mnt/a': 'a', '/keep': 'k'}, mounts, set()) == {'/keep': 'k', '/mnt/b': 'b'}


def test_digest_is_stable_and_sensitive():
    assert model.digest({'a': 1, 'b': [1, 2]}) == model.digest({'b': [1, 2], 'a': 1})
    assert model.digest('x') != model.digest('y')
    assert model.record_path('s3fs') == '/run/mountkit/s3fs.json'
