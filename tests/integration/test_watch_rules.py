# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mount_watch alerting rules and exposition, checked by Prometheus' own promtool (Debian's prometheus).

promtool check rules parses the rules; promtool test rules replays the synthetic series of
tests/prometheus/mountkit-alerts_test.yml; promtool check metrics lints what the checker writes, rendered
here from a run on recorded mountinfo (the molecule scenario lints what node_exporter serves on a host).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib.util
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, 'roles', 'mount_watch', 'files', 'mountkit-alerts.yml')
RULE_TESTS = os.path.join(ROOT, 'tests', 'prometheus')
CHECKER = os.path.join(ROOT, 'roles', 'mount_watch', 'files', 'mountkit-watch.py')
FIXTURE = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'mountinfo_reference.txt')


@pytest.fixture(scope='module')
def promtool():
    path = shutil.which('promtool')
    if path is None:
        # Not a skip: without promtool nothing here is proven. tools/setup.sh installs it.
        pytest.fail('real part missing: promtool (Debian package prometheus; run make setup)', pytrace=False)
    return path


def run(argv, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert proc.returncode == 0, '%s failed:\n%s%s' % (' '.join(argv), proc.stdout, proc.stderr)
    return proc


def test_rules_parse(promtool):
    assert 'SUCCESS: 8 rules found' in run([promtool, 'check', 'rules', RULES]).stdout


def test_rules_fire_on_synthetic_series(promtool):
    tests = sorted(name for name in os.listdir(RULE_TESTS) if name.endswith('.yml'))
    assert tests
    run([promtool, 'test', 'rules'] + tests, cwd=RULE_TESTS)


def test_checker_exposition_passes_promtool(promtool, tmp_path):
    spec = importlib.util.spec_from_file_location('mountkit_watch_rules', CHECKER)
    watch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(watch)
    from ansible_collections.mountkit.aws.plugins.module_utils import mountinfo
    (tmp_path / 'textfile').mkdir()
    config = {
        'mounts': [{'path': '/mnt/s3fs', 'backend': 's3fs', 'fstype': 'fuse.s3fs'},
                   {'path': '/mnt/efs', 'backend': 'efs', 'fstype': 'nfs4', 'propagation': 'private'},
                   # Healing runs only this harmless command here.
                   {'path': '/mnt/gone', 'backend': 'other', 'remount': ['/bin/false']}],
        'timeout': 2, 'textfile_dir': str(tmp_path / 'textfile'), 'status_file': str(tmp_path / 'status.json'),
        'heal': {'enabled': True, 'backoff_initial': 60, 'backoff_max': 600, 'max_per_hour': 3, 'timeout': 10},
        'mountinfo': FIXTURE,
    }
    # The recorded mounts do not exist here: their liveness is whatever a stat of the path says (not alive).
    watch.run_once(config, mountinfo, emit=lambda line: None)
    text = (tmp_path / 'textfile' / 'mountkit_watch.prom').read_text()
    assert 'mountkit_mount_heal_attempts_total' in text
    run([promtool, 'check', 'metrics'], input=text)
