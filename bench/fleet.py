# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/fleet: how converge time grows with the number of hosts, with as many forks as hosts.

    python bench/fleet.py [--sizes 1,5,10,20] [--rounds 5] [--out FILE]
    python bench/fleet.py --sizes 1,5 --rounds 1       # a quick look

Starts a local S3 server (moto). For every fleet size N, in an order that rotates from round to round, it
starts N fresh systemd container hosts, converges them with `ansible-playbook site.yml -f N` (one s3fs
mount per host, each host its own key prefix in one bucket), notes the memory, and removes them. Before the
first round it converges one host once, unmeasured, so no size pays for cold caches.

Prints, per N, the median and spread of the converge time, time(N) / time(1), the controller's peak
memory (proportional set size of ansible-playbook and all its forks and `docker exec` clients, sampled every
second) and the hosts' memory, summed over the containers from their memory cgroups: in use after the
converge (what `docker stats` shows, which itself reported 0 B for these hosts on a cgroup v1 engine) and
peak (page cache included), the core-seconds the machine spent and those of the controller alone
(ansible-playbook, its forks and their `docker exec` clients, per host), then last `fleet ratio=X.XX`
(time at the largest N / time at N=1; goal <= 4 at N=20).
Writes bench/results/fleet.json.

What limits the figure: the controller's CPU. Each host's tasks are forked workers that render templates
and run `docker exec`, and every host runs its own module Pythons; on 2 cores, 20 forks take turns. The
S3 server answers only the preflight and mount checks.
"""

import concurrent.futures
import os
import resource
import sys
import time

import benchlib

NAME = "fleet"


def start_fleet(names, label):
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(10, len(names))) as pool:
        list(pool.map(lambda n: benchlib.start_host(None, n, label), names))
    benchlib.wait_hosts(names)


def children_cpu_seconds():
    """User + system CPU of every process this script started and waited for, their descendants included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def converge(state, server, names, tag):
    inventory = benchlib.write_json(os.path.join(state, "inventory-%s.yml" % tag), benchlib.mounts_inventory(
        names, server.endpoint, s3fs_count=1, bucket="mountkit-bench"))
    run = benchlib.run_playbook(state, tag, "site.yml", inventory, env=benchlib.ansible_env(state),
                                args=["-f", str(len(names))], sample_memory=True)
    run.check("converge of %d hosts" % len(names))
    failed = {h: c for h, c in run.recap().items() if c.get("failed") or c.get("unreachable")}
    if failed or len(run.recap()) < len(names):
        raise benchlib.BenchError("converge %s: hosts failed or missing: %s" % (tag, failed))
    return run


def main(cleanup, argv):
    opts = benchlib.parser(NAME, __doc__)
    opts.add_argument("--sizes", default="1,5,10,20", help="fleet sizes, comma-separated; must include 1 "
                      "(default 1,5,10,20)")
    opts.set_defaults(warmup=0)
    args = opts.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",")})
    if 1 not in sizes:
        opts.error("--sizes must include 1, the reference")
    label = "fleet-%d" % os.getpid()
    result = {"name": NAME, "machine": benchlib.machine(), "settings": {
        "rounds": args.rounds, "warmup_rounds": args.warmup, "sizes": sizes, "forks": "N",
        "mounts": "one s3fs mount per systemd container host", "endpoint": "moto"}}
    state = benchlib.state_dir(cleanup, NAME, args.keep_logs)
    server = benchlib.start_endpoint(cleanup, "moto", state, ["mountkit-bench"])
    # Pushed after the server, so the hosts go first.
    cleanup.push("remove the fleet", benchlib.remove_labelled, label)

    benchlib.log("warming up: one host, unmeasured")
    names = ["mountkit-bench-fleet-%d-warm" % os.getpid()]
    start_fleet(names, label)
    benchlib.log("warm-up converge: %.1f s" % converge(state, server, names, "warm").seconds)
    benchlib.remove_labelled(label)

    samples = {n: {"seconds": [], "controller_mib": [], "containers_mib": [], "containers_peak_mib": [],
                   "core_seconds": [], "controller_core_seconds": [], "busy_pct": []} for n in sizes}
    for rnd, order in benchlib.rotations(sizes, args.warmup + args.rounds):
        measured = rnd >= args.warmup
        for size in order:
            names = ["mountkit-bench-fleet-%d-%02d" % (os.getpid(), i) for i in range(size)]
            started = time.monotonic()
            start_fleet(names, label)
            boot = time.monotonic() - started
            busy_before = benchlib.machine_busy()
            children_before = children_cpu_seconds()
            run = converge(state, server, names, "n%d-r%d" % (size, rnd))
            # ansible-playbook, its forks and their `docker exec` clients: the controller's own share, which
            # other work on the machine does not inflate (the hosts' processes belong to the engine).
            controller_seconds = children_cpu_seconds() - children_before
            busy_after = benchlib.machine_busy()
            # Core-seconds the whole machine spent (controller, hosts, server): with N hosts sharing the
            # cores, t(N) cannot fall below this over the number of cores.
            core_seconds = (busy_after[0] - busy_before[0]) / benchlib.CLOCK_TICKS
            busy_pct = 100.0 * (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
            memory = [benchlib.container_memory_mib(n) for n in names]
            in_use, peak = sum(m[0] or 0.0 for m in memory), sum(m[1] or 0.0 for m in memory)
            benchlib.remove_labelled(label)
            benchlib.log("round %d%s: N=%-2d converge %7.1f s  (hosts up in %.0f s)  controller %.0f MiB  "
                         "hosts %.0f MiB (peak %.0f MiB)  CPU %.0f core-s (controller %.1f), %.0f %% busy" % (
                             rnd - args.warmup + 1, "" if measured else " (warm-up)", size, run.seconds, boot,
                             run.controller_peak_mib, in_use, peak, core_seconds, controller_seconds, busy_pct))
            if measured:
                entry = samples[size]
                entry["seconds"].append(run.seconds)
                entry["controller_mib"].append(run.controller_peak_mib)
                entry["containers_mib"].append(in_use)
                entry["containers_peak_mib"].append(peak)
                entry["core_seconds"].append(core_seconds)
                entry["controller_core_seconds"].append(controller_seconds)
                entry["busy_pct"].append(busy_pct)

    base = benchlib.summarize(samples[1]["seconds"])["median"]
    per_size = {}
    cores = result["machine"]["cores"]
    lines = ["%4s  %-72s %8s %14s %14s %14s %12s %8s %10s %16s" % (
        "N", "converge time", "t(N)/t(1)", "controller MiB", "hosts MiB", "hosts peak MiB", "CPU core-s",
        "busy %", "CPU floor", "ctrl core-s/host")]
    for size in sizes:
        entry = samples[size]
        summary = benchlib.summarize(entry["seconds"])
        per_size[str(size)] = {
            "seconds": summary,
            "ratio_to_1": round(summary["median"] / base, 2),
            "controller_peak_pss_mib": round(max(entry["controller_mib"]), 1),
            "containers_in_use_mib": round(max(entry["containers_mib"]), 1),
            "containers_cgroup_peak_mib": round(max(entry["containers_peak_mib"]), 1),
            "cpu_core_seconds": benchlib.summarize(entry["core_seconds"])["median"],
            "machine_busy_pct": round(benchlib.summarize(entry["busy_pct"])["median"], 1),
            "controller_core_seconds": round(benchlib.summarize(entry["controller_core_seconds"])["median"], 2),
        }
        per_size[str(size)]["controller_core_seconds_per_host"] = round(
            per_size[str(size)]["controller_core_seconds"] / size, 2)
        # The shortest t(N) the CPU work allows, relative to t(1): the ratio this machine could reach at best.
        per_size[str(size)]["cpu_floor_ratio"] = round(per_size[str(size)]["cpu_core_seconds"] / cores / base, 2)
        lines.append("%4d  %-72s %8.2f %14.0f %14.0f %14.0f %12.0f %8.0f %10.2f %16.2f" % (
            size, benchlib.stat_line("", summary, "s", width=0).strip(), summary["median"] / base,
            per_size[str(size)]["controller_peak_pss_mib"], per_size[str(size)]["containers_in_use_mib"],
            per_size[str(size)]["containers_cgroup_peak_mib"], per_size[str(size)]["cpu_core_seconds"],
            per_size[str(size)]["machine_busy_pct"], per_size[str(size)]["cpu_floor_ratio"],
            per_size[str(size)]["controller_core_seconds_per_host"]))
    result["sizes"] = per_size
    ratio = per_size[str(sizes[-1])]["ratio_to_1"]
    result["ratio"] = ratio
    result["ratio_of"] = "t(%d) / t(1)" % sizes[-1]
    result["goal"] = "<= 4 at N=20"
    benchlib.write_result(NAME, result, args.out)
    print("fleet: %s; forks = N; one s3fs mount per host" % benchlib.machine_note(result))
    print("\n".join(lines))
    print("(memory: the largest value over the rounds; hosts = sum over the N containers; CPU: core-seconds the "
          "whole machine spent during the converge, median; CPU floor: those over %d cores, over t(1); ctrl "
          "core-s/host: CPU of ansible-playbook, its forks and docker exec clients, median, over N)" % cores)
    print("fleet ratio=%.2f" % ratio)
    return 0


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
