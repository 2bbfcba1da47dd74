"""The mount_watch checker's logic on recorded input: metrics rendering, backoff, state changes, one run.

The checker (roles/mount_watch/files/mountkit-watch.py) is loaded from its file; it uses the collection's
mountinfo module, as it does on a host from its copy. The last test installs it the way the role does (the
checker and copies of the module_utils in one directory) and runs it with an isolated Python, without Ansible.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import types

from ansible_collections.mountkit.aws.plugins.module_utils import mountinfo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CHECKER = os.path.join(ROOT, 'roles', 'mount_watch', 'files', 'mountkit-watch.py')
MODULE_UTILS = os.path.join(ROOT, 'plugins', 'module_utils')
FIXTURES = os.path.join(ROOT, 'tests', 'unit', 'fixtures')

spec = importlib.util.spec_from_file_location('mountkit_watch', CHECKER)
watch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(watch)

HEAL = {'enabled': True, 'backoff_initial': 60, 'backoff_max': 3600, 'max_per_hour': 6, 'timeout': 30}
S3FS = {'path': '/mnt/s3fs', 'backend': 's3fs', 'fstype': 'fuse.s3fs'}
EFS = {'path': '/mnt/efs', 'backend': 'efs', 'fstype': 'nfs4'}


def result(up=1, alive=1, options_ok=1, propagation_ok=1, detail=None, seconds=0.01):
    return {'up': up, 'alive': alive, 'options_ok': options_ok, 'propagation_ok': propagation_ok,
            'detail': detail, 'seconds': seconds}


def recorded_mountinfo(alive_state=('ok', None)):
    """The mountinfo module with check_alive answering as recorded (no real stat)."""
    fake = types.SimpleNamespace(**dict((name, getattr(mountinfo, name)) for name in dir(mountinfo)
                                        if not name.startswith('__')))
    fake.check_alive = lambda path, timeout: alive_state
    return fake


def reference_entries():
    return mountinfo.read_mountinfo(os.path.join(FIXTURES, 'mountinfo_reference.txt'))


# --- metrics ------------------------------------------------------------------------------------------------

RUN = {'duration': 0.25, 'errors': 0, 'errors_total': 2, 'last_success': 1796500000.5,
       'heals': {'/mnt/s3fs': {'ok': 1, 'failed': 2, 'skipped': 3}}}


def test_metrics_have_help_type_and_one_gauge_per_mount_and_state():
    items = [dict(S3FS, heal_command=['systemctl', 'restart', 'mnt-s3fs.mount']), dict(EFS, heal_command=[])]
    text = watch.render_metrics(items, {'/mnt/s3fs': result(alive=0), '/mnt/efs': result(options_ok=0)}, RUN)
    lines = text.splitlines()
    assert 'mountkit_mount_up{path="/mnt/s3fs",backend="s3fs",fstype="fuse.s3fs"} 1' in lines
    assert 'mountkit_mount_alive{path="/mnt/s3fs",backend="s3fs",fstype="fuse.s3fs"} 0' in lines
    assert 'mountkit_mount_options_ok{path="/mnt/efs",backend="efs",fstype="nfs4"} 0' in lines
    assert 'mountkit_mount_propagation_ok{path="/mnt/efs",backend="efs",fstype="nfs4"} 1' in lines
    assert 'mountkit_mount_heal_attempts_total{path="/mnt/s3fs",backend="s3fs",fstype="fuse.s3fs",result="failed"} 2' \
        in lines
    assert 'mountkit_mount_heal_skipped_total{path="/mnt/s3fs",backend="s3fs",fstype="fuse.s3fs"} 3' in lines
    # Heal counters only for mounts that can be healed.
    assert not [line for line in lines if line.startswith('mountkit_mount_heal') and '/mnt/efs' in line]
    assert 'mountkit_watch_last_success_timestamp_seconds 1796500000.5' in lines
    assert 'mountkit_watch_errors_total 2' in lines
    assert 'mountkit_watch_mounts 2' in lines
    families = re.findall(r'^# TYPE (\S+) (\S+)$', text, re.M)
    assert ('mountkit_mount_up', 'gauge') in families
    assert ('mountkit_watch_errors_total', 'counter') in families
    assert len(re.findall(r'^# HELP ', text, re.M)) == len(families)
    # No timestamps: every sample is a name (with labels) and one value.
    for line in lines:
        if not line.startswith('#'):
            assert re.match(r'^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$', line), line
    assert text.endswith('\n')


def test_label_values_are_escaped():
    item = {'path': '/mnt/we"ird\\dir', 'backend': 'other', 'fstype': '', 'heal_command': []}
    text = watch.render_metrics([item], {item['path']: result()}, dict(RUN, heals={}))
    assert 'mountkit_mount_up{path="/mnt/we\\"ird\\\\dir",backend="other",fstype=""} 1' in text.splitlines()


def test_no_last_success_sample_before_the_first_successful_run():
    text = watch.render_metrics([], {}, dict(RUN, last_success=None, errors=1))
    assert 'mountkit_watch_last_success_timestamp_seconds' not in text
    assert 'mountkit_watch_run_errors 1' in text.splitlines()


# --- backoff and cap -----------------------------------------------------------------------------------------

def test_first_attempt_is_allowed_at_once():
    assert watch.heal_decision({'attempts': [], 'failures': 0}, 1000.0, HEAL) == (True, None, 1000.0)


def test_backoff_doubles_after_each_failure_up_to_the_maximum():
    now = 100000.0
    for failures, wait in ((1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (12, 3600)):
        history = {'attempts': [now], 'failures': failures}
        allowed, reason, next_allowed = watch.heal_decision(history, now + wait - 1, dict(HEAL, max_per_hour=60))
        assert not allowed and 'backing off' in reason
        assert next_allowed == now + wait
        assert watch.heal_decision(history, now + wait, dict(HEAL, max_per_hour=60))[0]


def test_a_success_resets_the_backoff():
    assert watch.heal_decision({'attempts': [5000.0], 'failures': 0}, 5001.0, HEAL)[0]


def test_cap_per_hour_counts_attempts_of_the_last_hour_only():
    now = 50000.0
    recent = [now - 3000 + 100 * index for index in range(6)]
    allowed, reason, next_allowed = watch.heal_decision({'attempts': recent, 'failures': 0}, now, HEAL)
    assert not allowed and 'cap of 6 attempts per hour' in reason
    assert next_allowed == recent[0] + 3600
    old = [now - 7200 + index for index in range(6)]
    assert watch.heal_decision({'attempts': old, 'failures': 0}, now, HEAL)[0]


# --- checks and state changes -------------------------------------------------------------------------------

def test_check_mount_on_recorded_mountinfo():
    healthy = recorded_mountinfo()
    entries = reference_entries()
    good = watch.check_mount(healthy, entries, dict(S3FS, source='s3fs', options_present=['allow_other']), 5)
    assert (good['up'], good['alive'], good['options_ok'], good['propagation_ok']) == (1, 1, 1, 1)
    drift = watch.check_mount(healthy, entries, dict(EFS, options_present=['vers=4.1', 'noac'],
                                                     propagation='private'), 5)
    assert (drift['up'], drift['options_ok'], drift['propagation_ok']) == (1, 0, 0)
    assert 'options missing: noac' in drift['detail'] and 'propagation shared, expected private' in drift['detail']
    wrong_type = watch.check_mount(healthy, entries, {'path': '/mnt/s3', 'fstype': 'fuse.s3fs'}, 5)
    assert wrong_type['up'] == 0 and wrong_type['detail'] == 'fstype fuse, expected fuse.s3fs'
    missing = watch.check_mount(healthy, entries, {'path': '/mnt/nowhere'}, 5)
    assert missing['up'] == 0 and missing['detail'] == 'not mounted'
    dead = watch.check_mount(recorded_mountinfo(('dead', 'ENOTCONN')), entries, S3FS, 5)
    assert (dead['up'], dead['alive']) == (1, 0) and dead['detail'] == 'dead (ENOTCONN)'


def test_check_mount_matches_as_mount_flags_does():
    """Shell patterns for type and source (the efs planner's source is one), options that must be absent, and
    propagation read as mount_flags reads it (shared passes for shared, not for slave)."""
    healthy = recorded_mountinfo()
    entries = reference_entries()
    planned = watch.check_mount(healthy, entries, dict(EFS, fstype='nfs*', source='*:/', options_absent=['soft'],
                                                       propagation='shared'), 5)
    assert (planned['up'], planned['options_ok'], planned['propagation_ok']) == (1, 1, 1), planned
    unwanted = watch.check_mount(healthy, entries, dict(EFS, options_absent=['hard']), 5)
    assert unwanted['options_ok'] == 0 and 'options set that should not be: hard' in unwanted['detail']
    other_source = watch.check_mount(healthy, entries, dict(EFS, source='*:/team'), 5)
    assert other_source['up'] == 0 and other_source['detail'] == 'source 127.0.0.1:/, expected *:/team'
    slave = watch.check_mount(healthy, entries, dict(EFS, propagation='slave'), 5)
    assert slave['propagation_ok'] == 0


def test_container_views_are_one_gauge_per_view_with_container_labels():
    rows = [{'container': 'app', 'path': '/mnt/s3fs', 'container_path': '/data', 'view': 'stale', 'detail': 'x',
             'receives_host_mounts': False},
            # A path the checker does not watch is never reported.
            {'container': 'app', 'path': '/elsewhere', 'container_path': '/x', 'view': 'live', 'detail': '',
             'receives_host_mounts': True}]
    text = watch.render_metrics([dict(S3FS, heal_command=[])], {'/mnt/s3fs': result()},
                                dict(RUN, containers=rows, views=('live', 'stale', 'dead')))
    lines = text.splitlines()
    assert 'mountkit_container_view{path="/mnt/s3fs",backend="s3fs",fstype="fuse.s3fs",container="app",view="stale"} 1' \
        in lines
    assert 'mountkit_container_view{path="/mnt/s3fs",backend="s3fs",fstype="fuse.s3fs",container="app",view="live"} 0' \
        in lines
    assert len([line for line in lines if line.startswith('mountkit_container_view{')]) == 3
    assert '# TYPE mountkit_container_view gauge' in lines
    # Without Docker (containers None) there is no such family at all.
    assert 'mountkit_container_view' not in watch.render_metrics([dict(S3FS, heal_command=[])],
                                                                 {'/mnt/s3fs': result()}, RUN)


def test_container_journal_lines_only_for_changes():
    row = {'container': 'app', 'path': '/mnt/s3fs', 'container_path': '/data', 'view': 'dead', 'detail': 'ENOTCONN'}
    assert watch.container_changes({'app /mnt/s3fs': 'dead'}, [row]) == []
    assert watch.container_changes({'app /mnt/s3fs': 'live'}, [row]) == [
        '<4>container app sees /mnt/s3fs at /data: live -> dead: ENOTCONN']


def test_journal_lines_only_for_changes():
    items = [S3FS, EFS]
    first = {'/mnt/s3fs': result(), '/mnt/efs': result()}
    assert watch.state_changes({}, first, items) == [
        '<5>mount /mnt/s3fs (s3fs) unknown -> ok', '<5>mount /mnt/efs (efs) unknown -> ok']
    assert watch.state_changes(first, first, items) == []
    dead = dict(first, **{'/mnt/s3fs': result(alive=0, detail='dead (ENOTCONN)')})
    assert watch.state_changes(first, dead, items) == ['<4>mount /mnt/s3fs (s3fs) ok -> dead: dead (ENOTCONN)']
    # A different detail or duration alone is no change.
    assert watch.state_changes(dead, dict(dead, **{'/mnt/s3fs': result(alive=0, detail='hung', seconds=5)}), items) == []


# --- one run, with real files and heal commands ---------------------------------------------------------------

def run_config(tmp_path, mounts, heal=None):
    textfile_dir = tmp_path / 'textfile'
    textfile_dir.mkdir(exist_ok=True)
    return {'mounts': mounts, 'timeout': 5, 'textfile_dir': str(textfile_dir),
            'status_file': str(tmp_path / 'status.json'), 'heal': dict(HEAL, **(heal or {})),
            'mountinfo': os.path.join(FIXTURES, 'mountinfo_reference.txt')}


def test_run_heals_with_backoff_and_keeps_state_between_runs(tmp_path):
    mounts = [{'path': '/mnt/gone', 'backend': 's3fs', 'fstype': 'fuse.s3fs', 'remount': [shutil.which('false')]},
              dict(S3FS)]
    lines = []
    config = run_config(tmp_path, mounts)
    assert watch.run_once(json.loads(json.dumps(config)), recorded_mountinfo(), now=10000.0, emit=lines.append) == 0
    assert '<4>heal /mnt/gone by %s: failed: exit 1' % shutil.which('false') in lines
    assert '<4>mount /mnt/gone (s3fs) unknown -> down: not mounted' in lines
    status = json.loads((tmp_path / 'status.json').read_text())
    assert status['heal']['/mnt/gone']['failures'] == 1 and status['heal_counts']['/mnt/gone']['failed'] == 1
    # 30 s later: within the 60 s backoff; no new state line.
    lines[:] = []
    watch.run_once(json.loads(json.dumps(config)), recorded_mountinfo(), now=10030.0, emit=lines.append)
    assert lines == ['<5>heal /mnt/gone skipped: backing off 60 s after 1 failed attempt(s)']
    metrics = (tmp_path / 'textfile' / 'mountkit_watch.prom').read_text()
    assert 'mountkit_mount_heal_skipped_total{path="/mnt/gone",backend="s3fs",fstype="fuse.s3fs"} 1' in metrics
    assert 'mountkit_watch_last_success_timestamp_seconds 10030.0' in metrics
    # Only the metrics file is left in the textfile directory: the temp file was renamed.
    assert os.listdir(str(tmp_path / 'textfile')) == ['mountkit_watch.prom']


def test_run_without_heal_never_runs_commands(tmp_path):
    marker = tmp_path / 'ran'
    mounts = [{'path': '/mnt/gone', 'remount': ['/bin/sh', '-c', 'touch %s' % marker]}]
    lines = []
    watch.run_once(run_config(tmp_path, mounts, {'enabled': False}), recorded_mountinfo(), emit=lines.append)
    assert not marker.exists()
    assert not [line for line in lines if 'heal' in line]


def test_unreadable_mount_table_is_a_checker_error(tmp_path):
    config = dict(run_config(tmp_path, [dict(S3FS)]), mountinfo=str(tmp_path / 'missing'))
    lines = []
    assert watch.run_once(config, recorded_mountinfo(), emit=lines.append) == 1
    assert [line for line in lines if line.startswith('<3>cannot read the mount table')]
    metrics = (tmp_path / 'textfile' / 'mountkit_watch.prom').read_text()
    assert 'mountkit_watch_run_errors 1' in metrics and 'mountkit_watch_errors_total 1' in metrics
    assert 'mountkit_watch_last_success_timestamp_seconds' not in metrics


# --- the installed layout -------------------------------------------------------------------------------------

def checker_module_utils():
    """mountinfo, container_views and every collection module they import, as the role copies them."""
    pending, names = ['mountinfo', 'container_views'], []
    while pending:
        name = pending.pop()
        if name not in names:
            names.append(name)
            pending.extend(re.findall(r'from ansible_collections\.mountkit\.aws\.plugins\.module_utils\.(\w+) import',
                                      open(os.path.join(MODULE_UTILS, name + '.py')).read()))
    return names


def test_installed_layout_runs_without_ansible(tmp_path):
    """The checker and the module_utils it imports, in one directory, run with an isolated Python."""
    install = tmp_path / 'install'
    install.mkdir()
    shutil.copy(CHECKER, str(install / 'mountkit-watch.py'))
    names = checker_module_utils()
    for name in names:
        shutil.copy(os.path.join(MODULE_UTILS, name + '.py'), str(install / (name + '.py')))
    config = run_config(tmp_path, [{'path': '/', 'backend': 'other', 'fstype': '', 'source': '',
                                    'options_present': [], 'propagation': 'any', 'unit': '', 'remount': []}],
                        {'enabled': False})
    config['mountinfo'] = '/proc/self/mountinfo'
    (tmp_path / 'watch.json').write_text(json.dumps(config))
    # -I: no user site, no PYTHONPATH; the venv's ansible is not importable from here either.
    proc = subprocess.run([sys.executable, '-I', '-B', str(install / 'mountkit-watch.py'),
                           '--config', str(tmp_path / 'watch.json')],
                          capture_output=True, text=True, timeout=60, check=False, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == '<5>mount / (other) unknown -> ok\n'
    metrics = (tmp_path / 'textfile' / 'mountkit_watch.prom').read_text()
    assert 'mountkit_mount_alive{path="/",backend="other",fstype=""} 1' in metrics


def test_checker_copies_are_stdlib_only():
    """What the role copies (mountinfo.py, container_views.py and their collection imports) imports only the
    stdlib and each other."""
    names = checker_module_utils()
    sources = [open(os.path.join(MODULE_UTILS, name + '.py')).read() for name in names]
    for module in re.findall(r'^(?:from|import) (\S+)', '\n'.join(sources), re.M):
        assert module == '__future__' or module.startswith('ansible_collections.mountkit.aws.plugins.module_utils.') \
            or module.split('.')[0] in sys.stdlib_module_names, module
