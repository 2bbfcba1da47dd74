# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one run of the mount_watch checker costs, per run and per mount, against a plain stat.

N s3fs mounts (default 4) of a local moto server are made on this machine. The checker is installed as the
role installs it (mountkit-watch.py next to copies of mountinfo.py and what it imports) and run as the timer
runs it, a fresh `python3` per run, with healing off. Contenders, interleaved in every round:

  checker     one run over the N mounts (mounted, type, source, options, propagation, stat + lookup in a
              child process per mount, metrics and status written atomically)
  checker-1   one run over one mount: the difference to `checker` is the cost of each further mount
  checker+docker  `checker` with container views on: Docker's API (list and inspect every running container)
              and, for one container binding the mounts' parent, its mount table and a stat per mount
  stat        coreutils `stat` of the N mount points in one process (the floor: a process and a stat each)

Each round runs every contender --runs times and records the mean wall time and CPU (user + system of the
process and everything it forked, from getrusage). Prints medians and spreads, the marginal cost per mount
((checker - checker-1) / (N - 1)), and last `watch ratio=X.XX` (checker / stat wall time). Result in
bench/results/watch.json. Takes about a minute.
"""

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

import benchlib

NAME = "watch"
BUCKET = "mountkit-bench-watch"
CHECKER = os.path.join(benchlib.ROOT, "roles", "mount_watch", "files", "mountkit-watch.py")
MODULE_UTILS = os.path.join(benchlib.ROOT, "plugins", "module_utils")
IMPORT = re.compile(r"from ansible_collections\.mountkit\.aws\.plugins\.module_utils\.(\w+) import")


def install_checker(directory):
    """The role's layout: the checker and the module_utils it imports (mountinfo.py, container_views.py and
    their imports), in one directory."""
    os.makedirs(directory)
    shutil.copy(CHECKER, os.path.join(directory, "mountkit-watch.py"))
    pending, names = ["mountinfo", "container_views"], set()
    while pending:
        name = pending.pop()
        if name not in names:
            names.add(name)
            with open(os.path.join(MODULE_UTILS, name + ".py"), encoding="utf-8") as handle:
                pending.extend(IMPORT.findall(handle.read()))
    for name in names:
        shutil.copy(os.path.join(MODULE_UTILS, name + ".py"), os.path.join(directory, name + ".py"))
    return os.path.join(directory, "mountkit-watch.py")


def write_config(path, state, mount_points, containers=False):
    config = {
        "mounts": [{"path": mount_point, "backend": "s3fs", "fstype": "fuse.s3fs", "source": "s3fs:" + BUCKET,
                    "options_present": ["rw", "user_id=0"], "propagation": "any", "unit": "", "remount": []}
                   for mount_point in mount_points],
        "timeout": 10, "textfile_dir": os.path.join(state, "textfile"),
        "status_file": path + ".status.json",
        "heal": {"enabled": False, "backoff_initial": 60, "backoff_max": 3600, "max_per_hour": 6, "timeout": 60},
        "containers": {"enabled": containers, "socket": "/var/run/docker.sock", "budget": 30},
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    return path


def mount_s3fs(cleanup, endpoint, passwd_file, mount_point):
    os.makedirs(mount_point)
    options = ",".join(["url=%s" % endpoint, "use_path_request_style", "passwd_file=%s" % passwd_file,
                        "fsname=s3fs:%s" % BUCKET, "subtype=s3fs"])
    proc = subprocess.Popen(["s3fs", BUCKET, mount_point, "-f", "-o", options], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    cleanup.push("stop s3fs %d" % proc.pid, stop_s3fs, proc, mount_point)
    deadline = time.time() + 20
    while not os.path.ismount(mount_point):
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("s3fs did not mount %s" % mount_point)
        time.sleep(0.1)


def start_container(cleanup, state, parent):
    """One container binding the mounts' parent, from an image of the host's /bin/sh (no registry)."""
    tag = "mountkit-bench/watch:%d" % os.getpid()
    script = ('set -eu -o pipefail; libs=$(ldd /bin/sh 2>/dev/null | grep -o "/[^ ]*" | sed "s|^/||" || true); '
              'tar -C / --dereference -c bin/sh $libs | docker import - "$1"')
    subprocess.run(["bash", "-c", script, "import", tag], check=True, capture_output=True)
    cleanup.push("remove image %s" % tag, subprocess.run, ["docker", "image", "rm", "--force", tag],
                 check=False, capture_output=True)
    name = "mountkit-bench-watch-%d" % os.getpid()
    subprocess.run(["docker", "run", "--detach", "--interactive", "--name", name, "--network", "none",
                    "-v", "%s:/data" % parent, tag, "/bin/sh", "-c", "read -r line"],
                   check=True, capture_output=True)
    cleanup.push("remove container %s" % name, subprocess.run, ["docker", "rm", "--force", name],
                 check=False, capture_output=True)
    return name


def stop_s3fs(proc, mount_point):
    subprocess.run(["fusermount", "-u", mount_point], check=False, capture_output=True)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def timed(argv):
    """(wall seconds, CPU seconds of the process and its waited-for descendants) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (argv[0], proc.returncode, proc.stdout + proc.stderr))
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench(cleanup, argv):
    cli = benchlib.parser(NAME, __doc__)
    cli.add_argument("--mounts", type=int, default=4, help="s3fs mounts to watch (default 4, at least 2)")
    cli.add_argument("--runs", type=int, default=10, help="runs of each contender per round (default 10)")
    args = cli.parse_args(argv)
    if args.mounts < 2:
        cli.error("--mounts must be at least 2")
    result = {"bench": NAME, "machine": benchlib.machine(), "mounts": args.mounts, "runs_per_round": args.runs,
              "rounds": args.rounds, "warmup": args.warmup}
    state = benchlib.state_dir(cleanup, NAME, args.keep_logs)
    server = benchlib.start_endpoint(cleanup, "moto", state, [BUCKET])
    passwd_file = os.path.join(state, "passwd")
    with open(os.open(passwd_file, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="ascii") as handle:
        handle.write("%s:%s\n" % (benchlib.ACCESS_KEY, benchlib.SECRET_KEY))
    mount_points = [os.path.join(state, "mnt", "m%d" % index) for index in range(args.mounts)]
    for mount_point in mount_points:
        mount_s3fs(cleanup, server.endpoint, passwd_file, mount_point)
    os.makedirs(os.path.join(state, "textfile"))
    container = start_container(cleanup, state, os.path.join(state, "mnt"))
    checker = install_checker(os.path.join(state, "install"))
    python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
    contenders = {
        "checker": [python, "-I", "-B", checker, "--config",
                    write_config(os.path.join(state, "all.json"), state, mount_points)],
        "checker-1": [python, "-I", "-B", checker, "--config",
                      write_config(os.path.join(state, "one.json"), state, mount_points[:1])],
        "checker+docker": [python, "-I", "-B", checker, "--config",
                           write_config(os.path.join(state, "docker.json"), state, mount_points, True)],
        "stat": ["stat", "--"] + mount_points,
    }
    walls = dict((name, []) for name in contenders)
    cpus = dict((name, []) for name in contenders)
    for rnd, order in benchlib.rotations(list(contenders), args.warmup + args.rounds):
        for name in order:
            samples = [timed(contenders[name]) for _run in range(args.runs)]
            if rnd >= args.warmup:
                walls[name].append(sum(wall for wall, _cpu in samples) / args.runs)
                cpus[name].append(sum(cpu for _wall, cpu in samples) / args.runs)
    with open(os.path.join(state, "all.json.status.json"), encoding="utf-8") as handle:
        status = json.load(handle)
    if status["errors"] or not all(state_["alive"] for state_ in status["mounts"].values()):
        raise RuntimeError("the checker did not see every mount alive: %s" % status)
    with open(os.path.join(state, "docker.json.status.json"), encoding="utf-8") as handle:
        status = json.load(handle)
    views = [row["view"] for row in status.get("container_views") or [] if row["container"] == container]
    if status["errors"] or views != ["live"] * args.mounts:
        raise RuntimeError("the checker did not see the container's views live: %s" % status)
    result["wall_s"] = dict((name, benchlib.summarize(samples)) for name, samples in walls.items())
    result["cpu_s"] = dict((name, benchlib.summarize(samples)) for name, samples in cpus.items())
    per_mount = dict(
        (kind, (figures["checker"]["median"] - figures["checker-1"]["median"]) / (args.mounts - 1))
        for kind, figures in (("wall_s", result["wall_s"]), ("cpu_s", result["cpu_s"])))
    result["per_further_mount"] = dict((kind, round(value, 5)) for kind, value in per_mount.items())
    ratio = result["wall_s"]["checker"]["median"] / result["wall_s"]["stat"]["median"]
    result["ratio"] = round(ratio, 2)
    result["ratio_means"] = "checker / stat, wall time of one run over %d mounts" % args.mounts
    result["container_views"] = dict(
        (kind, round(result[kind]["checker+docker"]["median"] - result[kind]["checker"]["median"], 5))
        for kind in ("wall_s", "cpu_s"))
    print(benchlib.machine_note(result))
    for name in contenders:
        print(benchlib.stat_line("%s wall per run" % name, result["wall_s"][name], "s"))
        print(benchlib.stat_line("%s CPU per run" % name, result["cpu_s"][name], "s"))
    print("per further mount: wall %.1f ms, CPU %.1f ms" % (per_mount["wall_s"] * 1000, per_mount["cpu_s"] * 1000))
    print("container views (one container, %d binds): wall %.1f ms, CPU %.1f ms more per run"
          % (args.mounts, result["container_views"]["wall_s"] * 1000, result["container_views"]["cpu_s"] * 1000))
    benchlib.write_result(NAME, result, args.out)
    print("%s ratio=%.2f" % (NAME, ratio))
    return 0


if __name__ == "__main__":
    sys.exit(benchlib.run_main(bench))
