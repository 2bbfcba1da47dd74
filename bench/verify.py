# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/verify: what verification costs, next to Ansible's own look at the mount table.

    python bench/verify.py [--rounds 5] [--warmup 1] [--out FILE]

Starts a local S3 server (moto) and one disposable systemd container host converged by site.yml with two
s3fs and two mount-s3 mounts, then alternates, round by round:

  verify-flags   ansible-playbook playbooks/verify.yml -e mountkit_verify_io=false: mount_flags on every
                 mount (flags, fstab, liveness) and the JSON/JUnit report
  mount_facts    a play of one task, ansible.builtin.mount_facts, on the same hosts
  io_semantics   one mountkit.aws.io_semantics task per mount, with the arguments verify.yml passes; each
                 task's time comes from the json callback (the module's round trip as a play sees it)

Prints the median and spread of each, the seconds of io_semantics per mount (goal <= 3 s on the local
endpoint), and last `verify ratio=X.XX` (verify-flags / mount_facts; goal <= 1.5). Writes
bench/results/verify.json.

What limits the figures: verify-flags and mount_facts, Ansible's start and one `docker exec` round trip per
task on the controller's CPU (2 cores shared with everything else); io_semantics, the FUSE daemons and the
S3 server: each operation waits for an upload or a listing, so moto's latency shows directly.
"""

import datetime
import json
import os
import sys

import benchlib

NAME = "verify"
HOSTS = "mountpoint_s3_hosts:s3fs_hosts:efs_hosts"  # the hosts line of playbooks/verify.yml


def mount_facts_playbook(state):
    play = [{"name": "mount_facts", "hosts": HOSTS, "gather_facts": False,
             "tasks": [{"name": "mount_facts", "ansible.builtin.mount_facts": {}}]}]
    return benchlib.write_json(os.path.join(state, "mount-facts.yml"), play)


def io_playbook(state, inventory):
    """One io_semantics task per mount, with what playbooks/verify.yml passes for that backend."""
    with open(inventory, encoding="utf-8") as handle:
        hosts = json.load(handle)["all"]["hosts"]
    host_vars = next(iter(hosts.values()))
    tasks = []
    for mount in host_vars["s3fs_mounts"]:
        tasks.append({"name": "s3fs %s" % mount["path"], "mountkit.aws.io_semantics": {
            "path": mount["path"], "profile": "s3fs", "read_only": False, "allow_delete": False,
            "allow_overwrite": False, "timeout": 10}})
    for mount in host_vars["mountpoint_s3_mounts"]:
        tasks.append({"name": "mount-s3 %s" % mount["path"], "mountkit.aws.io_semantics": {
            "path": mount["path"], "profile": "mountpoint_s3", "read_only": False,
            "allow_delete": mount.get("allow_delete", False), "allow_overwrite": mount.get("allow_overwrite", False),
            "timeout": 10}})
    play = [{"name": "io_semantics per mount", "hosts": HOSTS, "gather_facts": False, "tasks": tasks}]
    return benchlib.write_json(os.path.join(state, "io-semantics.yml"), play), [t["name"] for t in tasks]


def _instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def io_task_seconds(run):
    """{task name: (seconds, module's own seconds over its operations)} from json callback output."""
    start = run.output.find("{\n")
    if start < 0:
        raise benchlib.BenchError("no JSON in %s" % run.log_path)
    data = json.JSONDecoder().raw_decode(run.output[start:])[0]
    failed = {h: s for h, s in data["stats"].items() if s.get("failures") or s.get("unreachable")}
    if failed:
        raise benchlib.BenchError("io_semantics failed on %s; see %s" % (failed, run.log_path))
    result = {}
    for play in data["plays"]:
        for task in play["tasks"]:
            duration = task["task"]["duration"]
            seconds = (_instant(duration["end"]) - _instant(duration["start"])).total_seconds()
            module = 0.0
            for host_result in task["hosts"].values():
                if host_result.get("problems"):
                    raise benchlib.BenchError("io_semantics on %s: %s" % (
                        task["task"]["name"], host_result["problems"]))
                module += sum(o.get("seconds") or 0.0 for o in host_result.get("outcomes", {}).values())
            result[task["task"]["name"]] = (seconds, module)
    return result


def main(cleanup, argv):
    args = benchlib.parser(NAME, __doc__).parse_args(argv)
    result = {"name": NAME, "machine": benchlib.machine(), "settings": {
        "rounds": args.rounds, "warmup": args.warmup, "endpoint": "moto",
        "mounts": "2 s3fs + 2 mount-s3 on one systemd container host"}}
    state = benchlib.state_dir(cleanup, NAME, args.keep_logs)
    inventory, env = benchlib.four_mount_host(cleanup, state, NAME)[1:3]
    facts_play = mount_facts_playbook(state)
    io_play, io_tasks = io_playbook(state, inventory)
    json_env = dict(env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")

    def verify_flags(tag):
        return benchlib.run_playbook(state, tag, "playbooks/verify.yml", inventory, env=env,
                                     args=["-e", "mountkit_verify_io=false"]).check("verify.yml")

    def mount_facts(tag):
        return benchlib.run_playbook(state, tag, facts_play, inventory, env=env).check("mount_facts play")

    def io_semantics(tag):
        run = benchlib.run_playbook(state, tag, io_play, inventory, env=json_env)
        if run.returncode != 0:
            raise benchlib.BenchError("io_semantics play failed (rc %d); see %s" % (run.returncode, run.log_path))
        run.per_task = io_task_seconds(run)
        return run

    contenders = {"verify-flags": verify_flags, "mount_facts": mount_facts, "io_semantics": io_semantics}
    times = {name: [] for name in contenders}
    per_mount = {task: [] for task in io_tasks}
    per_mount_module = {task: [] for task in io_tasks}
    for rnd, order in benchlib.rotations(list(contenders), args.warmup + args.rounds):
        measured = rnd >= args.warmup
        for name in order:
            run = contenders[name]("%s-%d" % (name, rnd))
            benchlib.log("round %d%s: %-12s %6.2f s" % (
                rnd - args.warmup + 1, "" if measured else " (warm-up)", name, run.seconds))
            if not measured:
                continue
            times[name].append(run.seconds)
            if name == "io_semantics":
                for task, (seconds, module) in run.per_task.items():
                    per_mount[task].append(seconds)
                    per_mount_module[task].append(module)

    summaries = {name: benchlib.summarize(samples) for name, samples in times.items()}
    result["contenders"] = summaries
    result["io_semantics_per_mount_s"] = {task: benchlib.summarize(v) for task, v in per_mount.items()}
    result["io_semantics_operations_s"] = {task: benchlib.summarize(v) for task, v in per_mount_module.items()}
    ratio = summaries["verify-flags"]["median"] / summaries["mount_facts"]["median"]
    result["ratio"] = round(ratio, 2)
    result["goal"] = {"ratio": "<= 1.5", "io_semantics_per_mount_s": "<= 3"}
    worst = max(s["median"] for s in result["io_semantics_per_mount_s"].values())
    result["io_semantics_worst_mount_median_s"] = round(worst, 2)

    benchlib.write_result(NAME, result, args.out)
    print("verify: %s" % benchlib.machine_note(result))
    for name, summary in summaries.items():
        print(benchlib.stat_line(name, summary, "s"))
    print("\nio_semantics per mount (task as the play sees it; in brackets the operations' own seconds):")
    for task, summary in result["io_semantics_per_mount_s"].items():
        print("  " + benchlib.stat_line(task, summary, "s", width=32)
              + "  [%.2f s]" % result["io_semantics_operations_s"][task]["median"])
    print("verify io_semantics worst mount median=%.2f s (goal <= 3 s)" % worst)
    print("verify ratio=%.2f" % ratio)
    return 0


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
