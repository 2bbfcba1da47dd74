# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared parts of the bench/ scripts: clean-up, statistics, results, hosts, S3 servers and Ansible runs.

Not a script; `python bench/<name>.py` puts bench/ on sys.path, so the scripts import it as `benchlib`.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
RESULTS_DIR = os.path.join(BENCH, "results")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
IMAGE = os.environ.get("MOUNTKIT_IMAGE", "mountkit/debian-systemd:bookworm")
CACHE = os.environ.get("MOUNTKIT_CACHE", "/var/cache/mountkit")
RUN_DIR = os.environ.get("MOUNTKIT_RUN", "/run/mountkit")
# Every container a bench starts carries this label, so `docker ps --filter label=io.mountkit.bench` finds
# what a killed (SIGKILL) run left behind.
LABEL = "io.mountkit.bench"
MIB = 1024 * 1024

sys.path.insert(0, os.path.join(ROOT, "tools", "testbed"))
from s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server  # noqa: E402  pylint: disable=wrong-import-position
from systemd_host import docker_run_args  # noqa: E402  pylint: disable=wrong-import-position
import project_env  # noqa: E402  pylint: disable=wrong-import-position


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- clean-up -------------------------------------------------------------------------------------------

class Cleanup:
    """Undo actions, run last-in first-out; one that fails does not stop the others."""

    def __init__(self):
        self._actions = []

    def push(self, label, func, *args, **kwargs):
        self._actions.append((label, func, args, kwargs))

    def run(self):
        while self._actions:
            label, func, args, kwargs = self._actions.pop()
            try:
                func(*args, **kwargs)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                log("clean-up: %s failed: %s" % (label, exc))


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def run_main(func, argv=None):
    """Run func(cleanup) and always clean up, also after Ctrl-C, SIGTERM or SIGHUP; returns the exit code."""
    cleanup = Cleanup()
    # Also when started in the background, where SIGINT arrives ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    code = 1
    try:
        code = func(cleanup, argv)
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        code = 130
    except BenchError as exc:
        log("error: %s" % exc)
        code = 1
    finally:
        # A second Ctrl-C must not leave containers or servers behind.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        cleanup.run()
    return code


class BenchError(Exception):
    """A failed step: reported on one line, then everything is cleaned up."""


# --- command line and results ---------------------------------------------------------------------------

def parser(name, doc):
    result = argparse.ArgumentParser(prog="python bench/%s.py" % name, description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    result.add_argument("--rounds", type=int, default=5, help="measured rounds, each running every contender once "
                        "(default 5)")
    result.add_argument("--warmup", type=int, default=1, help="unrecorded rounds first (default 1)")
    result.add_argument("--out", help="JSON result file (default bench/results/%s.json)" % name)
    result.add_argument("--keep-logs", action="store_true", help="keep the state directory with every "
                        "ansible-playbook log and print where it is")
    return result


class LoadWatcher(threading.Thread):
    """The 1-minute load average every 10 s while a bench runs: how much else was running."""

    samples = []

    def __init__(self):
        super().__init__(daemon=True)

    def run(self):
        while True:
            LoadWatcher.samples.append(os.getloadavg()[0])
            time.sleep(10)


def machine():
    """Where and when: the figures mean little without the machine and its load."""
    LoadWatcher().start()
    mem_kib = 0
    cpu = platform.processor()
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    cores = os.cpu_count()
    gib = round(mem_kib / 1024 / 1024)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": "the bench machine: %d cores, %d GiB" % (cores, gib),
        "cores": cores,
        "memory_gib": gib,
        "cpu": cpu,
        "kernel": platform.release(),
        "load_start": [round(x, 2) for x in os.getloadavg()],
    }


def summarize(samples):
    """Median and spread of one contender's samples; spread is (max - min) / median."""
    if not samples:
        return {"n": 0}
    med = statistics.median(samples)
    return {
        "n": len(samples),
        "median": round(med, 4),
        "min": round(min(samples), 4),
        "max": round(max(samples), 4),
        "spread_pct": round(100.0 * (max(samples) - min(samples)) / med, 1) if med else None,
        "samples": [round(x, 4) for x in samples],
    }


def stat_line(label, summary, unit, width=34):
    if not summary.get("n"):
        return "%-*s (no samples)" % (width, label)
    return "%-*s median %9.3f %-5s  min %9.3f  max %9.3f  spread %5.1f%%  (n=%d)" % (
        width, label, summary["median"], unit, summary["min"], summary["max"], summary["spread_pct"] or 0.0,
        summary["n"])


def rotations(names, rounds):
    """Round r runs the contenders starting at r mod n, so each one takes every position in turn."""
    count = len(names)
    for rnd in range(rounds):
        start = rnd % count
        yield rnd, names[start:] + names[:start]


def machine_note(result):
    """One line for the output: machine, date and load."""
    info = result["machine"]
    note = "%s; %s; load %s at start" % (info["machine"], info["date"], info["load_start"][0])
    if "load_1min_during" in info:
        note += ", 1-min load during the run median %(median)s, max %(max)s" % info["load_1min_during"]
    return note


def write_result(name, result, out=None):
    """Add the load seen during the run, and write the JSON result (bench/results/NAME.json by default)."""
    result["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
    if LoadWatcher.samples:
        result["machine"]["load_1min_during"] = {
            "median": round(statistics.median(LoadWatcher.samples), 2), "max": round(max(LoadWatcher.samples), 2)}
    path = out or os.path.join(RESULTS_DIR, "%s.json" % name)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(path + ".tmp", path)
    log("result written to %s" % path)
    return path


def state_dir(cleanup, name, keep=False):
    os.makedirs(RUN_DIR, exist_ok=True)
    path = tempfile.mkdtemp(prefix="bench-%s-" % name, dir=RUN_DIR)
    if keep:
        cleanup.push("note logs", log, "logs kept in %s" % path)
    else:
        cleanup.push("remove " + path, shutil.rmtree, path, True)
    return path


# --- processes seen from the host ----------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of a process (not of its children)."""
    with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy():
    """(busy, total) jiffies of all CPUs, to tell how saturated the machine was during a transfer."""
    with open("/proc/stat", encoding="ascii") as handle:
        values = [int(x) for x in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def reset_peak_rss(pid):
    # Writing 5 to clear_refs resets VmHWM, so the next reading is the peak of what follows.
    try:
        with open("/proc/%d/clear_refs" % pid, "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _children_map():
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="ascii") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree_pss_mib(pid):
    """Proportional set size of a process and all its descendants: shared pages counted once in total."""
    children = _children_map()
    todo, total = [pid], 0
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            with open("/proc/%d/smaps_rollup" % current, encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total / 1024.0


class TreeMemorySampler(threading.Thread):
    """Samples tree_pss_mib(pid) every interval seconds; .peak is the highest sum seen."""

    def __init__(self, pid, interval=1.0):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0.0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_pss_mib(self.pid))
            self._stop_event.wait(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join()


# --- containers ------------------------------------------------------------------------------------------

def docker(*args, check=True, timeout=300, input_text=None):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=timeout,
                          input=input_text, check=False)
    if check and proc.returncode != 0:
        raise BenchError("docker %s failed: %s" % (" ".join(args[:3]), proc.stderr.strip()[-500:]))
    return proc


def start_host(cleanup, name, bench, docker_engine=False, tmp_tmpfs=False):
    """A disposable systemd host like the one tools/demo.sh starts: FUSE, the host network (to reach the
    S3 server on 127.0.0.1), systemd as PID 1. docker_engine adds what an inner Docker engine needs.
    With cleanup None the caller removes it (e.g. by label, see remove_labelled)."""
    if cleanup is not None:
        cleanup.push("remove container " + name, docker, "rm", "-f", "-v", name, check=False)
    flags = ["--label", "%s=%s" % (LABEL, bench)]
    if docker_engine:
        flags += ["--cap-add", "NET_ADMIN", "--tmpfs", "/var/lib/docker:size=512m"]
    if tmp_tmpfs:
        # The container's root is on the engine's storage driver (fuse-overlayfs here); s3fs stages files
        # in /tmp, so a tmpfs keeps that driver out of the data-path figures.
        flags += ["--tmpfs", "/tmp:size=4g"]
    docker(*docker_run_args(name, IMAGE, flags))
    return name


def remove_labelled(bench):
    """Remove every container started with this bench label."""
    ids = docker("ps", "-aq", "--filter", "label=%s=%s" % (LABEL, bench)).stdout.split()
    if ids:
        docker("rm", "-f", "-v", *ids, timeout=600)


def wait_hosts(names, timeout=120):
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        state = docker("exec", pending[0], "systemctl", "is-system-running", check=False).stdout.strip()
        if state in ("running", "degraded"):
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            raise BenchError("%s: systemd not running after %ss (%s)" % (pending[0], timeout, state))
        time.sleep(0.3)


def enable_inner_docker(name):
    # The host's own engine must leave the shared network alone, as in tools/demo.sh.
    script = ('mkdir -p /etc/docker && printf "%s\\n" \'{"iptables": false, "ip-forward": false, '
              '"ip-masq": false, "bridge": "none"}\' >/etc/docker/daemon.json && '
              'systemctl enable --now docker.socket docker.service')
    docker("exec", name, "sh", "-c", script)


def host_processes(name):
    """[(host pid, command line)] of a container's processes, as the host sees them."""
    out = docker("top", name, "-eo", "pid,args").stdout.splitlines()[1:]
    result = []
    for line in out:
        pid, args = (line.strip().split(None, 1) + [""])[:2]
        if pid.isdigit():
            result.append((int(pid), args.strip()))
    return result


def _cgroup_memory_files(name):
    cid = docker("inspect", "-f", "{{.Id}}", name).stdout.strip()
    for directory in ("/sys/fs/cgroup/memory/docker/%s" % cid, "/sys/fs/cgroup/system.slice/docker-%s.scope" % cid,
                      "/sys/fs/cgroup/docker/%s" % cid):
        if os.path.isdir(directory):
            return directory
    return None


def container_memory_mib(name):
    """(in use, peak) MiB of a container's memory cgroup. In use is what `docker stats` shows (usage minus
    inactive page cache), read here because `docker stats --no-stream` reported 0 B for these systemd hosts
    on the bench machine's engine (cgroup v1, cgroupfs driver). Peak includes page cache."""
    directory = _cgroup_memory_files(name)
    if directory is None:
        return None, None

    def read(filename):
        try:
            with open(os.path.join(directory, filename), encoding="ascii") as handle:
                return handle.read()
        except OSError:
            return None

    stat = dict(line.split() for line in (read("memory.stat") or "").splitlines() if " " in line)
    if read("memory.usage_in_bytes") is not None:  # cgroup v1
        usage = int(read("memory.usage_in_bytes"))
        inactive = int(stat.get("total_inactive_file", 0))
        peak = int(read("memory.max_usage_in_bytes") or 0)
    else:  # cgroup v2
        usage = int(read("memory.current") or 0)
        inactive = int(stat.get("inactive_file", 0))
        peak = int(read("memory.peak") or 0)
    return max(0, usage - inactive) / MIB, peak / MIB


# --- S3 servers ------------------------------------------------------------------------------------------

def mount_s3_deb():
    """The test bed's mount-s3 package (built from crates.io once, then cached)."""
    proc = subprocess.run(["bash", os.path.join(ROOT, "tools", "testbed", "build-mount-s3.sh")],
                          capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise BenchError("tools/testbed/build-mount-s3.sh failed: %s" % proc.stderr[-800:])
    return proc.stdout.strip().splitlines()[-1]


class S3sFsServer(S3Server):
    """s3s-fs (crates.io): the S3 API in native code, objects kept as files under data_dir."""

    name = "s3s-fs"

    def __init__(self, state_dir, binary, data_dir):
        super().__init__(state_dir)
        self.binary = binary
        self.data_dir = data_dir

    def command(self):
        return [self.binary, "--host", "127.0.0.1", "--port", str(self.port), "--access-key", ACCESS_KEY,
                "--secret-key", SECRET_KEY, self.data_dir]

    def process_env(self):
        return dict(os.environ, RUST_LOG="error")

    def ready(self):
        socket.create_connection(("127.0.0.1", self.port), timeout=1).close()

    def start(self, timeout=30):
        os.makedirs(self.data_dir, exist_ok=True)
        return super().start(timeout)

    def stop(self, timeout=10):
        super().stop(timeout)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def s3_client(endpoint):
    import boto3  # pylint: disable=import-outside-toplevel  # only the benches that talk S3 need it
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name=REGION,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))


def start_endpoint(cleanup, kind, directory, buckets):
    if kind == "moto":
        server = S3Server(os.path.join(directory, "moto"))
    else:
        binary = s3s_fs_binary()
        # /dev/shm: objects in memory, so the server's disk is not what the data path measures.
        data_dir = tempfile.mkdtemp(prefix="mountkit-bench-s3s-fs-", dir="/dev/shm")
        server = S3sFsServer(os.path.join(directory, "s3s-fs"), binary, data_dir)
    cleanup.push("stop %s server" % kind, server.stop)
    server.start()
    client = s3_client(server.endpoint)
    for bucket in buckets:
        client.create_bucket(Bucket=bucket)
    log("%s S3 server on %s (pid %s)" % (kind, server.endpoint, server.pid))
    return server


def s3s_fs_binary():
    proc = subprocess.run(["bash", os.path.join(BENCH, "build-s3s-fs.sh")], capture_output=True, text=True,
                          check=False, timeout=3600)
    if proc.returncode != 0:
        raise BenchError("bench/build-s3s-fs.sh failed: %s" % proc.stderr[-800:])
    return proc.stdout.strip().splitlines()[-1]


# --- Ansible ---------------------------------------------------------------------------------------------

def ansible_env(state, extra=None):
    return project_env.ansible_env(
        # verify.yml writes its reports here, not into the working tree.
        MOUNTKIT_REPORT_DIR=os.path.join(state, "reports"),
        PYTHONUNBUFFERED="1",
        **(extra or {}))


class PlaybookRun:
    """One timed ansible-playbook run; output goes to a log file in the state directory."""

    def __init__(self, seconds, returncode, output, log_path, controller_peak_mib=None):
        self.seconds = seconds
        self.returncode = returncode
        self.output = output
        self.log_path = log_path
        self.controller_peak_mib = controller_peak_mib

    def recap(self):
        """{host: {ok: n, changed: n, unreachable: n, failed: n, ...}} from the PLAY RECAP."""
        hosts = {}
        for match in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", self.output, re.M):
            hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
        return hosts

    def profile(self):
        """[(task, seconds)] from the profile_tasks summary after the recap."""
        tail = self.output.split("PLAY RECAP", 1)[-1]
        return [(m.group(1).strip(), float(m.group(2)))
                for m in re.finditer(r"^(.+?) -{3,} (\d+(?:\.\d+)?)s\s*$", tail, re.M)]

    def check(self, what, changed_zero=False):
        if self.returncode != 0:
            raise BenchError("%s failed (rc %d); last lines of %s:\n%s" % (
                what, self.returncode, self.log_path, "\n".join(self.output.splitlines()[-25:])))
        recap = self.recap()
        if not recap:
            raise BenchError("%s: no PLAY RECAP in %s" % (what, self.log_path))
        if changed_zero:
            changed = {host: counts.get("changed") for host, counts in recap.items() if counts.get("changed")}
            if changed:
                raise BenchError("%s is not idempotent: changed %s; see %s" % (what, changed, self.log_path))
        return self


def run_playbook(state, label, playbook, inventory, args=(), env=None, timeout=3600, sample_memory=False):
    """Run ansible-playbook from the collection root and time it (start to exit, as a user sees it)."""
    log_path = os.path.join(state, "%s.log" % label)
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), playbook, "-i", inventory] + list(args)
    with open(log_path, "w+", encoding="utf-8") as out:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                stdin=subprocess.DEVNULL, start_new_session=True)
        sampler = TreeMemorySampler(proc.pid) if sample_memory else None
        if sampler:
            sampler.start()
        try:
            returncode = proc.wait(timeout=timeout)
        except BaseException:
            # Interrupted or timed out: the run and its forks go with it.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            if sampler:
                sampler.stop()
        seconds = time.monotonic() - started
        out.seek(0)
        output = out.read()
    return PlaybookRun(seconds, returncode, output, log_path, sampler.peak if sampler else None)


def write_json(path, data):
    # JSON is YAML, so inventories and playbooks written this way load as YAML too.
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    return path


def site_plays(path=None):
    """(name, hosts, gather_facts) of every play site.yml runs, following import_playbook."""
    import yaml  # pylint: disable=import-outside-toplevel  # comes with ansible-core

    path = path or os.path.join(ROOT, "site.yml")
    with open(path, encoding="utf-8") as handle:
        entries = yaml.safe_load(handle) or []
    plays = []
    for entry in entries:
        target = entry.get("ansible.builtin.import_playbook") or entry.get("import_playbook")
        if target:
            plays.extend(site_plays(os.path.join(os.path.dirname(path), target)))
        else:
            plays.append((entry.get("name", ""), entry["hosts"], entry.get("gather_facts", True)))
    return plays


# --- the converged host of bench/converge and bench/verify -----------------------------------------------

def mounts_inventory(hosts, endpoint, deb=None, s3fs_count=1, mountpoint_count=0, docker_engine=False,
                     bucket="mountkit-bench", parent="/srv/shared"):
    """An inventory like inventories/local, for the hosts given, with each host's own key prefixes.

    Paths under `parent`: s3fs1, s3fs2, ... and mountpoint1, ...; prefixes start with the host's name, so
    hosts that share a bucket never share objects. No hyphen in the last path component: the role's
    EnvironmentFile= line would carry a systemd-escaped \\x2d that systemd unescapes (see bench/README.md)."""
    host_vars = {}
    for host in hosts:
        s3fs = [{
            "bucket": bucket, "prefix": "%s/s3fs%d/" % (host, i + 1), "path": "%s/s3fs%d" % (parent, i + 1),
            "url": endpoint, "region": REGION, "path_style": True, "allow_other": True,
            "aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY,
        } for i in range(s3fs_count)]
        mountpoint = [{
            "bucket": bucket, "prefix": "%s/mountpoint%d/" % (host, i + 1),
            "path": "%s/mountpoint%d" % (parent, i + 1), "region": REGION, "endpoint_url": endpoint,
            "force_path_style": True, "allow_delete": True, "allow_other": True,
            "aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY,
        } for i in range(mountpoint_count)]
        host_vars[host] = {"s3fs_mounts": s3fs, "mountpoint_s3_mounts": mountpoint}
    common = {
        "ansible_connection": "community.docker.docker",
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    if mountpoint_count:
        # An air-gapped install from the test bed's unsigned build, as inventories/local does it.
        common.update({"mountpoint_s3_package_src": deb, "mountpoint_s3_verify_signature": False})
    if docker_engine:
        common["docker_propagation_shared_paths"] = [parent]
    children = {}
    if docker_engine:
        children["docker_hosts"] = {"hosts": {h: {} for h in hosts}}
    if mountpoint_count:
        children["mountpoint_s3_hosts"] = {"hosts": {h: {} for h in hosts}}
    if s3fs_count:
        children["s3fs_hosts"] = {"hosts": {h: {} for h in hosts}}
    return {"all": {"vars": common, "hosts": host_vars, "children": children}}


def four_mount_host(cleanup, state, bench, docker_engine=False):
    """A moto server and one systemd container host converged by site.yml with two s3fs and two mount-s3
    mounts (plus Docker propagation when asked); returns (host, inventory path, env, first converge)."""
    deb = mount_s3_deb()
    server = start_endpoint(cleanup, "moto", state, ["mountkit-bench"])
    host = "mountkit-bench-%s-%d" % (bench, os.getpid())
    start_host(cleanup, host, bench, docker_engine=docker_engine)
    wait_hosts([host])
    if docker_engine:
        enable_inner_docker(host)
    inventory = write_json(os.path.join(state, "inventory.yml"), mounts_inventory(
        [host], server.endpoint, deb, s3fs_count=2, mountpoint_count=2, docker_engine=docker_engine))
    env = ansible_env(state)
    log("first converge of %s (not measured)" % host)
    first = run_playbook(state, "converge-first", "site.yml", inventory, env=env).check("first converge")
    log("first converge: %.1f s" % first.seconds)
    return host, inventory, env, first
