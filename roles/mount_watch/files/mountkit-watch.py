# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""mountkit-watch: check the mounts listed in a JSON config once, then write metrics and status.

Installed by the mountkit.aws.mount_watch role next to copies of the collection's own module_utils
(mountinfo.py, container_views.py and what they import), so a mount is judged here exactly as
mount_flags judges it, a container's view exactly as container_views does, and no Ansible is needed on
the host. A systemd timer runs it every interval.

Each run:
  * reads the mount table once and checks every listed mount: mounted (with the expected type and
    source), alive within the timeout (a stat and a lookup in a child process, abandoned if it hangs),
    options present, propagation as expected;
  * with Docker, tells for every running container that binds a watched path what it sees there
    (live, stale, shadowed, dead), judged by the collection's container_views module, read only and
    bounded in time as a whole;
  * optionally heals a mount that is not mounted or not alive (restart its unit or run its remount
    command), with exponential backoff and a cap per hour;
  * writes the Prometheus text exposition atomically into node_exporter's textfile directory and a
    JSON status file, which also keeps the previous states, heal history and counters;
  * prints one line (to the journal, through the unit) per mount whose state changed.

Exit status: 0 when the run completed (whatever the mounts' states), 1 when the checker itself failed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import fnmatch
import importlib.abc
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION_UTILS = 'ansible_collections.mountkit.aws.plugins.module_utils'
METRICS_FILE = 'mountkit_watch.prom'

STATES = ('up', 'alive', 'options_ok', 'propagation_ok')
STATE_HELP = {
    'up': 'Whether the path is a mount point with the expected file system type and source (1) or not (0).',
    'alive': 'Whether the mount answered a stat and a lookup within the timeout (1) or not (0).',
    'options_ok': 'Whether every expected mount option is present (1) or not (0).',
    'propagation_ok': 'Whether the mount propagation is as expected (1) or not (0).',
}

CONTAINER_VIEW_HELP = ('Whether a running container that binds the path sees it in this view (1) or not (0): live is '
                       'the host mount, stale an older mount, shadowed the directory underneath, dead a mount that '
                       'does not answer; exited and error when it could not be judged.')

# sd-daemon(3) priority prefixes, read by journald from a service's standard output.
NOTICE = '<5>'
WARNING = '<4>'
ERROR = '<3>'


class _LocalModuleUtils(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serve ansible_collections.mountkit.aws.plugins.module_utils.NAME from NAME.py in this directory.

    The copies keep their collection imports unchanged; the parent packages are empty namespaces.
    """

    def __init__(self, directory):
        self.directory = directory

    def find_spec(self, fullname, path=None, target=None):
        if fullname == COLLECTION_UTILS or COLLECTION_UTILS.startswith(fullname + '.'):
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        prefix = COLLECTION_UTILS + '.'
        if fullname.startswith(prefix) and '.' not in fullname[len(prefix):]:
            location = os.path.join(self.directory, fullname[len(prefix):] + '.py')
            if os.path.isfile(location):
                return importlib.util.spec_from_file_location(fullname, location)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__path__ = []


def load_module_utils(name, directory=HERE):
    """Import the copied module_utils module name (and through it, the modules it imports) from directory."""
    if not any(isinstance(finder, _LocalModuleUtils) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LocalModuleUtils(directory))
    return importlib.import_module('%s.%s' % (COLLECTION_UTILS, name))


def load_mountinfo(directory=HERE):
    return load_module_utils('mountinfo', directory)


# --- checking -----------------------------------------------------------------------------------------

def check_mount(mountinfo, entries, item, timeout):
    """Check one configured mount against the parsed mount table; returns a result dict."""
    started = time.time()
    path = mountinfo.normalize_path(item['path'])
    entry = mountinfo.find_mount(entries, path)
    result = {'up': 0, 'alive': 0, 'options_ok': 0, 'propagation_ok': 0, 'detail': None}
    if entry is None or mountinfo.normalize_path(entry.mount_point) != path:
        result['detail'] = 'not mounted'
    # Type and source are shell patterns, as in mount_flags (the planners' efs source is one).
    elif item.get('fstype') and not fnmatch.fnmatchcase(entry.fstype, item['fstype']):
        result['detail'] = 'fstype %s, expected %s' % (entry.fstype, item['fstype'])
    elif item.get('source') and not fnmatch.fnmatchcase(entry.source, item['source']):
        result['detail'] = 'source %s, expected %s' % (entry.source, item['source'])
    else:
        result['up'] = 1
        missing = mountinfo.missing_options(item.get('options_present') or [], entry.options)
        unwanted = mountinfo.present_options(item.get('options_absent') or [], entry.options)
        result['options_ok'] = 0 if missing or unwanted else 1
        wanted = item.get('propagation') or 'any'
        result['propagation_ok'] = 1 if propagation_matches(entry, wanted) else 0
        state, detail = mountinfo.check_alive(path, timeout)
        result['alive'] = 1 if state == 'ok' else 0
        problems = []
        if state != 'ok':
            problems.append('%s (%s)' % (state, detail))
        if missing:
            problems.append('options missing: %s' % ','.join(missing))
        if unwanted:
            problems.append('options set that should not be: %s' % ','.join(unwanted))
        if not result['propagation_ok']:
            problems.append('propagation %s, expected %s' % (entry.propagation, wanted))
        result['detail'] = '; '.join(problems) or None
    result['seconds'] = round(time.time() - started, 6)
    return result


def propagation_matches(entry, wanted):
    """The propagation rule of mount_flags: slave also when shared and slave, shared only if bindable."""
    if wanted == 'any':
        return True
    return {
        'shared': entry.peer_group is not None and not entry.unbindable,
        'slave': entry.master is not None,
        'private': entry.propagation == 'private',
        'unbindable': entry.unbindable,
    }.get(wanted, False)


def healthy(result):
    return bool(result['up'] and result['alive'])


def describe(result):
    """A short word for a mount's state, used in journal lines."""
    if not result['up']:
        return 'down'
    if not result['alive']:
        return 'dead'
    if not (result['options_ok'] and result['propagation_ok']):
        return 'drifted'
    return 'ok'


def state_changes(previous, current, items):
    """Journal lines for mounts whose states differ from the previous run (every mount on the first run)."""
    lines = []
    for item in items:
        path = item['path']
        now = current[path]
        before = (previous or {}).get(path)
        if before is not None and all(before.get(name) == now[name] for name in STATES):
            continue
        word = describe(now)
        prefix = NOTICE if word == 'ok' else WARNING
        was = describe(before) if before is not None else 'unknown'
        detail = ': %s' % now['detail'] if now.get('detail') else ''
        lines.append('%smount %s (%s) %s -> %s%s' % (prefix, path, item.get('backend', 'other'), was, word, detail))
    return lines


# --- container views ------------------------------------------------------------------------------------

def _container_rows(paths, socket_path, timeout, host_mountinfo):
    """In a child: container_views' verdict for every container binding a path, trimmed to what is reported."""
    container_views = load_module_utils('container_views')
    rows = container_views.check_containers(paths, socket_path=socket_path, timeout=timeout,
                                            host_mountinfo=host_mountinfo)
    return [dict((key, row.get(key)) for key in ('container', 'path', 'container_path', 'view', 'detail',
                                                 'receives_host_mounts')) for row in rows]


def check_container_views(config, paths):
    """(rows, error): what running containers see at the watched paths, or None when not asked for.

    container_views does the judging; it only reads (Docker's API with GET, /proc, a stat per bind). The
    whole pass runs in a child bounded by containers.budget, so a hung Docker or mount cannot hold the run.
    """
    settings = config.get('containers') or {}
    wanted = settings.get('enabled', False)
    socket_path = settings.get('socket') or '/var/run/docker.sock'
    if not wanted or not paths:
        return None, None
    if wanted == 'auto' and not os.path.exists(socket_path):
        return None, None
    bounded_call = load_module_utils('bounded_call')
    load_module_utils('container_views')
    budget = float(settings.get('budget') or 3 * config['timeout'])
    outcome = bounded_call.run_in_child(_container_rows, (paths, socket_path, float(config['timeout']),
                                                          config.get('mountinfo', '/proc/self/mountinfo')), budget)
    if outcome.timed_out:
        return None, 'container views: no answer within %g s' % budget
    if outcome.errno is not None:
        return None, 'container views: %s (%s)' % (outcome.strerror, bounded_call.errno_name(outcome.errno))
    if outcome.error or outcome.result:
        return None, 'container views: %s' % (outcome.error or outcome.strerror)
    return outcome.value or [], None


def container_changes(previous, rows):
    """Journal lines for containers whose view of a path differs from the previous run."""
    lines = []
    for row in rows:
        key = '%s %s' % (row['container'], row['path'])
        before = (previous or {}).get(key)
        if before == row['view']:
            continue
        prefix = NOTICE if row['view'] == 'live' else WARNING
        lines.append('%scontainer %s sees %s at %s: %s -> %s: %s' % (
            prefix, row['container'], row['path'], row['container_path'], before or 'unknown', row['view'],
            row['detail']))
    return lines


# --- self-healing -------------------------------------------------------------------------------------

def heal_decision(history, now, settings):
    """Whether a heal may be attempted now: (allowed, reason, next_allowed_timestamp).

    history: {'attempts': [timestamps], 'failures': consecutive unsuccessful attempts}. After n
    consecutive failures the next attempt waits backoff_initial * 2**(n-1), at most backoff_max;
    at most max_per_hour attempts fall within any hour.
    """
    attempts = [stamp for stamp in history.get('attempts', []) if stamp > now - 3600]
    failures = int(history.get('failures', 0))
    wait = 0.0
    if failures and attempts:
        wait = min(settings['backoff_initial'] * (2 ** (failures - 1)), settings['backoff_max'])
    next_allowed = (max(attempts) + wait) if attempts else now
    if len(attempts) >= settings['max_per_hour']:
        next_allowed = max(next_allowed, min(attempts) + 3600)
        return False, 'cap of %d attempts per hour reached' % settings['max_per_hour'], next_allowed
    if now < next_allowed:
        return False, 'backing off %.0f s after %d failed attempt(s)' % (wait, failures), next_allowed
    return True, None, now


def heal_command(item):
    if item.get('unit'):
        return ['systemctl', 'restart', item['unit']]
    return list(item.get('remount') or [])


def run_heal(argv, timeout):
    """Run a heal command; (ok, message)."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False, 'no answer within %s s' % timeout
    except OSError as exc:
        return False, str(exc)
    output = proc.stdout.decode('utf-8', 'replace').strip().replace('\n', ' | ')[-300:]
    if proc.returncode != 0:
        return False, 'exit %d%s' % (proc.returncode, ': ' + output if output else '')
    return True, output


# --- output -------------------------------------------------------------------------------------------

def _escape_label(value):
    return str(value).replace('\\', '\\\\').replace('\n', '\\n').replace('"', '\\"')


def _labels(pairs):
    return '{%s}' % ','.join('%s="%s"' % (name, _escape_label(value)) for name, value in pairs)


def _number(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def render_metrics(items, results, run):
    """The Prometheus text exposition (version 0.0.4) of one run, without timestamps.

    run: duration (seconds), errors (this run), errors_total, last_success (timestamp or None),
    heals: {path: {'ok': n, 'failed': n, 'skipped': n}}.
    """
    out = []

    def family(name, kind, text, samples):
        out.append('# HELP %s %s' % (name, text))
        out.append('# TYPE %s %s' % (name, kind))
        for labels, value in samples:
            out.append('%s%s %s' % (name, _labels(labels) if labels else '', _number(value)))

    def mount_labels(item):
        return [('path', item['path']), ('backend', item.get('backend') or 'other'), ('fstype', item.get('fstype') or '')]

    for state in STATES:
        family('mountkit_mount_%s' % state, 'gauge', STATE_HELP[state],
               [(mount_labels(item), results[item['path']][state]) for item in items if item['path'] in results])
    family('mountkit_mount_check_duration_seconds', 'gauge', 'Seconds the last check of the mount took.',
           [(mount_labels(item), results[item['path']]['seconds']) for item in items if item['path'] in results])
    heals = run.get('heals') or {}
    family('mountkit_mount_heal_attempts_total', 'counter',
           'Self-healing attempts on the mount since the status file was created, by result.',
           [(mount_labels(item) + [('result', result)], heals.get(item['path'], {}).get(result, 0))
            for item in items if item.get('heal_command') for result in ('ok', 'failed')])
    family('mountkit_mount_heal_skipped_total', 'counter',
           'Self-healing attempts left out because of backoff or the hourly cap.',
           [(mount_labels(item), heals.get(item['path'], {}).get('skipped', 0))
            for item in items if item.get('heal_command')])
    rows = run.get('containers')
    if rows is not None:
        labels_of = dict((item['path'], mount_labels(item)) for item in items)
        family('mountkit_container_view', 'gauge', CONTAINER_VIEW_HELP,
               [(labels_of[row['path']] + [('container', row['container']), ('view', view)], int(row['view'] == view))
                for row in rows if row['path'] in labels_of for view in run.get('views') or ()])
    family('mountkit_watch_mounts', 'gauge', 'Mounts the checker is configured to watch.', [(None, len(items))])
    family('mountkit_watch_duration_seconds', 'gauge', 'Seconds the last run of the checker took.',
           [(None, run['duration'])])
    family('mountkit_watch_run_errors', 'gauge', 'Errors of the checker itself in its last run.',
           [(None, run['errors'])])
    family('mountkit_watch_errors_total', 'counter', 'Errors of the checker itself since the status file was created.',
           [(None, run['errors_total'])])
    if run.get('last_success') is not None:
        family('mountkit_watch_last_success_timestamp_seconds', 'gauge',
               'Unix time at which the checker last completed a run without errors.', [(None, run['last_success'])])
    return '\n'.join(out) + '\n'


def write_atomically(path, text, mode=0o644):
    """Write text to path through a temp file in the same directory and a rename (readers never see half)."""
    directory = os.path.dirname(path)
    # The temp name must not end in .prom, or node_exporter could read it half written.
    handle, temp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(handle, 'w') as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def read_status(path):
    try:
        with open(path) as stream:
            status = json.load(stream)
        return status if isinstance(status, dict) else {}
    except (OSError, ValueError):
        return {}


# --- one run ------------------------------------------------------------------------------------------

def run_once(config, mountinfo, now=None, emit=print):
    """Check, heal, write. Returns the exit status."""
    started = time.time()
    now = started if now is None else now
    status = read_status(config['status_file'])
    previous = status.get('mounts', {})
    items = config['mounts']
    for item in items:
        item['heal_command'] = heal_command(item) if config['heal']['enabled'] else []
    errors = []
    results = {}
    try:
        entries = mountinfo.read_mountinfo(config.get('mountinfo', '/proc/self/mountinfo'))
    except (OSError, ValueError) as exc:
        entries = None
        errors.append('cannot read the mount table: %s' % exc)
    heal_state = status.get('heal', {})
    heal_counts = status.get('heal_counts', {})
    for item in items:
        path = item['path']
        if entries is None:
            continue
        try:
            result = check_mount(mountinfo, entries, item, config['timeout'])
        except Exception as exc:  # pylint: disable=broad-except
            errors.append('%s: check failed: %s: %s' % (path, type(exc).__name__, exc))
            continue
        history = heal_state.setdefault(path, {'attempts': [], 'failures': 0})
        counts = heal_counts.setdefault(path, {'ok': 0, 'failed': 0, 'skipped': 0})
        if healthy(result):
            history['failures'] = 0
        elif item['heal_command']:
            allowed, reason, next_allowed = heal_decision(history, now, config['heal'])
            if not allowed:
                counts['skipped'] += 1
                history['next_allowed'] = next_allowed
                emit('%sheal %s skipped: %s' % (NOTICE, path, reason))
            else:
                history['attempts'] = [stamp for stamp in history['attempts'] if stamp > now - 3600] + [now]
                ok, message = run_heal(item['heal_command'], config['heal']['timeout'])
                if ok:
                    entries = mountinfo.read_mountinfo(config.get('mountinfo', '/proc/self/mountinfo'))
                    result = check_mount(mountinfo, entries, item, config['timeout'])
                    ok = healthy(result)
                    message = message or ('mount %s' % describe(result))
                counts['ok' if ok else 'failed'] += 1
                history['failures'] = 0 if ok else history.get('failures', 0) + 1
                emit('%sheal %s by %s: %s%s' % (NOTICE if ok else WARNING, path, ' '.join(item['heal_command']),
                                                'ok' if ok else 'failed', ': ' + message if message else ''))
        results[path] = result
    for line in state_changes(previous, results, [item for item in items if item['path'] in results]):
        emit(line)
    rows, container_error = check_container_views(config, [item['path'] for item in items])
    if container_error:
        errors.append(container_error)
    for line in container_changes(status.get('containers'), rows or []):
        emit(line)
    for message in errors:
        emit(ERROR + message)
    errors_total = int(status.get('errors_total', 0)) + len(errors)
    last_success = status.get('last_success')
    if not errors:
        last_success = round(now, 3)
    run = {'duration': round(time.time() - started, 6), 'errors': len(errors), 'errors_total': errors_total,
           'last_success': last_success, 'heals': heal_counts, 'containers': rows,
           'views': load_module_utils('container_views').VIEWS if rows is not None else ()}
    status = {
        'version': 1, 'last_run': round(now, 3), 'last_success': last_success, 'errors_total': errors_total,
        'errors': errors, 'heal': heal_state, 'heal_counts': heal_counts,
        # Views of the last run that judged them; kept through a run that could not, like the mounts.
        'containers': (dict(('%s %s' % (row['container'], row['path']), row['view']) for row in rows)
                       if rows is not None else status.get('containers', {})),
        'container_views': rows if rows is not None else status.get('container_views'),
        # A mount that could not be checked keeps its previous state, so its next change is still logged once.
        'mounts': dict((item['path'], results.get(item['path'], previous.get(item['path'])))
                       for item in items if item['path'] in results or item['path'] in previous),
    }
    try:
        write_atomically(config['status_file'], json.dumps(status, indent=2, sort_keys=True) + '\n', 0o644)
        write_atomically(os.path.join(config['textfile_dir'], METRICS_FILE), render_metrics(items, results, run))
    except OSError as exc:
        emit('%scannot write status or metrics: %s' % (ERROR, exc))
        return 1
    return 1 if errors else 0


def load_config(path):
    with open(path) as stream:
        config = json.load(stream)
    for key in ('mounts', 'timeout', 'textfile_dir', 'status_file', 'heal'):
        if key not in config:
            raise ValueError('%s has no %r' % (path, key))
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--config', default='/etc/mountkit/watch.json')
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        mountinfo = load_mountinfo()
    except (OSError, ValueError, ImportError) as exc:
        print('%scannot start: %s' % (ERROR, exc), flush=True)
        return 1
    return run_once(config, mountinfo, emit=lambda line: print(line, flush=True))


if __name__ == '__main__':
    sys.exit(main())
