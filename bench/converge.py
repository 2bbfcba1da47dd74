# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/converge: what an idempotent re-run of site.yml costs over gathering the same facts.

    python bench/converge.py [--rounds 5] [--warmup 1] [--docker-propagation] [--top 15] [--out FILE]

Starts a local S3 server (moto) and one disposable systemd container host, converges it once with site.yml
(two s3fs and two mount-s3 mounts; --docker-propagation adds the docker_propagation role and an inner
Docker engine), then alternates, round by round:

  site.yml     ansible-playbook site.yml, a re-run; its recap must show changed=0 and failed=0
  facts-only   a playbook with the same plays (hosts, gather_facts) as site.yml and no tasks, so it
               starts Ansible and gathers exactly the facts site.yml gathers

Both run with the profile_tasks callback. Prints the median and spread of each, the tasks where site.yml
spends its time (median over the rounds), and last `converge ratio=X.XX` (site.yml / facts-only; goals:
<= 3.0, and <= 25 tasks run). Writes bench/results/converge.json.

What limits the figure: the controller's CPU (each task forks a worker, renders its templates and sends a
module through `docker exec`; 2 cores are shared with the host's own work), not the S3 server: a re-run
makes only a few requests (preflight and mount checks).
"""

import os
import statistics
import sys

import benchlib

NAME = "converge"
# Tasks an idempotent re-run may run (recap "ok") on this host shape.
TASKS_RUN_GOAL = 25


def noop_playbook(state):
    plays = [{"name": "facts only: %s" % name, "hosts": hosts, "gather_facts": gather, "tasks": []}
             for name, hosts, gather in benchlib.site_plays()]
    return benchlib.write_json(os.path.join(state, "facts-only.yml"), plays)


def role_of(task):
    # profile_tasks names a role's task "mountkit.aws.s3fs : Mount"; play-level tasks have no prefix.
    return task.split(" : ", 1)[0] if " : " in task else "(playbooks)"


def main(cleanup, argv):
    opts = benchlib.parser(NAME, __doc__)
    opts.add_argument("--docker-propagation", action="store_true",
                      help="also apply docker_propagation (the host runs its own Docker engine)")
    opts.add_argument("--top", type=int, default=15, help="tasks to list from the profile (default 15)")
    args = opts.parse_args(argv)
    result = {"name": NAME, "machine": benchlib.machine(), "settings": {
        "rounds": args.rounds, "warmup": args.warmup, "docker_propagation": args.docker_propagation,
        "mounts": "2 s3fs + 2 mount-s3 on one systemd container host", "endpoint": "moto"}}
    state = benchlib.state_dir(cleanup, NAME, args.keep_logs)
    inventory, env, first = benchlib.four_mount_host(cleanup, state, NAME, args.docker_propagation)[1:]
    result["first_converge_s"] = round(first.seconds, 2)
    noop = noop_playbook(state)
    env = dict(env, ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.profile_tasks",
               PROFILE_TASKS_TASK_OUTPUT_LIMIT="all")

    contenders = {
        "site.yml": lambda tag: benchlib.run_playbook(state, tag, "site.yml", inventory, env=env).check(
            "site.yml re-run", changed_zero=True),
        "facts-only": lambda tag: benchlib.run_playbook(state, tag, noop, inventory, env=env).check(
            "facts-only play"),
    }
    times = {name: [] for name in contenders}
    profiles = {}
    task_counts = []
    for rnd, order in benchlib.rotations(list(contenders), args.warmup + args.rounds):
        measured = rnd >= args.warmup
        for name in order:
            run = contenders[name]("%s-%d" % (name.replace(".", "-"), rnd))
            benchlib.log("round %d%s: %-10s %6.2f s" % (
                rnd - args.warmup + 1, "" if measured else " (warm-up)", name, run.seconds))
            if measured:
                times[name].append(run.seconds)
                if name == "site.yml":
                    counts = next(iter(run.recap().values()))
                    task_counts.append((counts.get("ok", 0), counts.get("skipped", 0)))
                    # Tasks of the same name (fact gathering per play, fuse included by both roles) add up.
                    per_run = {}
                    for task, seconds in run.profile():
                        per_run[task] = per_run.get(task, 0.0) + seconds
                    for task, seconds in per_run.items():
                        profiles.setdefault(task, []).append(seconds)

    summaries = {name: benchlib.summarize(samples) for name, samples in times.items()}
    result["contenders"] = summaries
    tasks = sorted(((statistics.median(v), task) for task, v in profiles.items()), reverse=True)
    roles = {}
    for seconds, task in tasks:
        roles[role_of(task)] = roles.get(role_of(task), 0.0) + seconds
    result["profile_top"] = [{"task": task, "median_s": round(s, 3)} for s, task in tasks[:args.top]]
    result["profile_by_role_s"] = {k: round(v, 2) for k, v in sorted(roles.items(), key=lambda kv: -kv[1])}
    result["profile_tasks_total_s"] = round(sum(seconds for seconds, _task in tasks), 2)
    result["tasks_profiled"] = len(tasks)
    result["site_yml_tasks"] = {"ok": task_counts[-1][0], "skipped": task_counts[-1][1]}
    per_task = summaries["site.yml"]["median"] / max(1, sum(task_counts[-1]))
    result["site_yml_seconds_per_task"] = round(per_task, 3)
    ratio = summaries["site.yml"]["median"] / summaries["facts-only"]["median"]
    result["ratio"] = round(ratio, 2)
    result["goal"] = "<= 3.0; <= %d tasks run" % TASKS_RUN_GOAL

    benchlib.write_result(NAME, result, args.out)
    print("converge: %s" % benchlib.machine_note(result))
    print("first converge (not measured): %.1f s" % first.seconds)
    for name, summary in summaries.items():
        print(benchlib.stat_line(name, summary, "s"))
    print("site.yml re-run: %d tasks ok (changed=0; goal <= %d), %d skipped: %.2f s per task on average" % (
        task_counts[-1][0], TASKS_RUN_GOAL, task_counts[-1][1], per_task))
    print("\nwhere site.yml spends its time (median per task over %d rounds; %d tasks, %.1f s in tasks):" % (
        args.rounds, len(tasks), result["profile_tasks_total_s"]))
    for seconds, task in tasks[:args.top]:
        print("  %6.2f s  %s" % (seconds, task))
    print("by role / playbook:")
    for role, seconds in result["profile_by_role_s"].items():
        print("  %6.2f s  %s" % (seconds, role))
    print("converge ratio=%.2f" % ratio)
    return 0


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
