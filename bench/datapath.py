# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/datapath: sequential and small-file throughput through the mounts the roles create, against the
same transfer through the S3 API, and the memory of the mount daemons.

    python bench/datapath.py [--size 1G] [--files 1000] [--file-size 4K] [--concurrency 10] [--part-size 8M]
                             [--server s3s-fs|moto] [--rounds 5] [--warmup 1] [--out FILE]

Starts a local S3 server and one disposable systemd container host, converges it with site.yml (one
s3fs mount with the role's tuned defaults, one mount-s3 mount), mounts s3fs a second time by hand with the
same fstab options minus the role's tuning options (s3fs's stock defaults), then alternates, round by round:

  mount-s3     write --size through the mount-s3 mount (fsync, close), then read it back
  s3fs-tuned   the same through the role's s3fs mount
  s3fs-stock   the same through the untuned s3fs mount
  api          the same object through boto3's transfer manager (--concurrency threads, --part-size parts,
               mount-s3's default part size), from the same host to the same endpoint

and then --files creates of --file-size each (one writer, one file after the other) per backend, with
sequential PutObject calls for the API. All I/O runs and is timed inside the host (bench/hostio.py); reads
drop the file's cached pages first. Peak RSS of each mount daemon is reset before and read after each
transfer (/proc/PID/clear_refs, VmHWM); the server's and the daemon's CPU time show which side is busy.

Prints medians and spreads in MB/s (10^6 bytes per second) and files/s, the peak RSS, who used the CPU,
whether the endpoint is the ceiling, then `datapath-s3fs ratio=X.XX` (s3fs tuned / stock, goal >= 1.3) and
last `datapath ratio=X.XX` (mount-s3 / API, goal >= 0.8). A transfer's throughput is 2 x size over the
time of its write plus its read. Writes bench/results/datapath.json (or datapath-moto.json with --server moto).

What limits the figure: the endpoint and the CPU. moto is one Python process and tops out near 130 MB/s, so
with --server moto every contender meets the same ceiling; the default server is s3s-fs (a Rust S3 server
built by bench/build-s3s-fs.sh, objects in /dev/shm). With s3s-fs, client, FUSE daemon and server share the
2 cores: a contender that needs more CPU per byte (FUSE copies, s3fs's staging file and Content-MD5) loses.
"""

import ast
import json
import os
import re
import statistics
import subprocess
import sys
import time

import benchlib

NAME = "datapath"
SEQUENTIAL = ["mount-s3", "s3fs-tuned", "s3fs-stock", "api"]
HOSTIO = "/usr/local/lib/mountkit-bench/hostio.py"
BUCKET = "mountkit-bench"
PARENT = "/srv/bench"


def parse_size(text):
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?\s*", str(text), re.I)
    if not match:
        raise ValueError("not a size: %r" % text)
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024 ** power)


def tuning_option_names():
    """The options the s3fs role adds for tuning (TUNING in its planner); the stock mount drops them. Read from
    the source, since the planner imports the collection's other module_utils."""
    path = os.path.join(benchlib.ROOT, "plugins", "module_utils", "plan_s3fs.py")
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "TUNING" for t in node.targets):
            # parallel_count is max_thread_count from s3fs 1.96 on; drop both.
            return sorted(set(row[1] for row in ast.literal_eval(node.value)) | {"max_thread_count"})
    raise benchlib.BenchError("no TUNING in %s" % path)


def parse_variant(text):
    """'LABEL:opt=v,opt=v' -> (LABEL, {opt: 'opt=v'}): an s3fs mount with the role's options, these replaced."""
    label, _sep, options = text.partition(":")
    if not re.fullmatch(r"[a-z0-9]+", label) or not options:
        raise ValueError("not LABEL:OPTION=VALUE[,...] with a lower-case alphanumeric LABEL: %r" % text)
    return label, {o.split("=", 1)[0]: o for o in options.split(",") if o}


class Host:
    """The converged host: its mounts, their daemons' host PIDs, and hostio.py runs inside it."""

    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.paths = {}
        self.daemons = {}

    def exec(self, *args, timeout=3600):
        env = ["-e", "S3_ENDPOINT_URL=" + self.server.endpoint, "-e", "AWS_ACCESS_KEY_ID=" + benchlib.ACCESS_KEY,
               "-e", "AWS_SECRET_ACCESS_KEY=" + benchlib.SECRET_KEY]
        return benchlib.docker("exec", *env, self.name, *args, timeout=timeout)

    def hostio(self, *args):
        proc = self.exec("python3", HOSTIO, *[str(a) for a in args])
        return json.loads(proc.stdout)

    def mount_by_hand(self, tuned_path, path, src, drop=(), replace=None):
        """Mount src at path with the fstab options of the role's mount at tuned_path, minus the options named
        in drop, with those in replace ({name: 'name=value'}) put in (or added)."""
        replace = dict(replace or {})
        fields = None
        for line in self.exec("cat", "/etc/fstab").stdout.splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[1] == tuned_path:
                fields = parts
        if not fields:
            raise benchlib.BenchError("no fstab entry for %s" % tuned_path)
        # fstab-only words (_netdev, nofail) mean nothing to s3fs itself.
        opts = []
        for option in fields[3].split(","):
            name = option.split("=", 1)[0]
            if name in list(drop) + ["_netdev", "nofail"]:
                continue
            opts.append(replace.pop(name, option))
        opts += list(replace.values())
        self.exec("mkdir", "-p", path)
        self.exec("s3fs", src, path, "-o", ",".join(opts))
        deadline = time.monotonic() + 30
        while benchlib.docker("exec", self.name, "mountpoint", "-q", path, check=False).returncode:
            if time.monotonic() > deadline:
                raise benchlib.BenchError("the s3fs mount did not appear at %s" % path)
            time.sleep(0.2)
        return ",".join(opts)

    def find_daemons(self):
        for pid, args in benchlib.host_processes(self.name):
            words = args.split()
            for name, path in self.paths.items():
                if path in words and words[0].split("/")[-1] in ("s3fs", "mount-s3"):
                    self.daemons[name] = pid
        missing = [n for n in self.paths if n not in self.daemons]
        if missing:
            raise benchlib.BenchError("no daemon found for %s" % missing)


class SlowLink:
    """bench/slowlink.py before a server: what the host uses instead of the server (endpoint, and the server's
    pid for the probes)."""

    def __init__(self, cleanup, server, state, rtt_ms, mbps_per_connection):
        self.pid = server.pid
        log = open(os.path.join(state, "slowlink.log"), "w", encoding="utf-8")
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with  # stopped by cleanup
            [sys.executable, os.path.join(benchlib.BENCH, "slowlink.py"), "--upstream-port",
             server.endpoint.rsplit(":", 1)[1], "--rtt-ms", str(rtt_ms), "--mbps", str(mbps_per_connection)],
            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        cleanup.push("stop slowlink", self.stop)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("port="):
            raise benchlib.BenchError("bench/slowlink.py did not start; see %s/slowlink.log" % state)
        self.endpoint = "http://127.0.0.1:%s" % line.split("=", 1)[1]
        benchlib.log("slowlink on %s: +%s ms round trip, %s MB/s per connection, before %s" % (
            self.endpoint, rtt_ms, mbps_per_connection, server.endpoint))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Probe:
    """CPU of the daemon, the server and the machine, and the daemon's and server's peak RSS, over one step."""

    def __init__(self, daemon_pid, server_pid):
        self.pids = {"daemon": daemon_pid, "server": server_pid}
        self.cpu, self.busy, self.started, self.result = {}, (0, 0), 0.0, {}

    def __enter__(self):
        self.cpu = {}
        for key, pid in self.pids.items():
            if pid:
                benchlib.reset_peak_rss(pid)
                self.cpu[key] = benchlib.cpu_seconds(pid)
        self.busy = benchlib.machine_busy()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.started
        busy, total = benchlib.machine_busy()
        self.result = {"machine_busy_pct": round(100.0 * (busy - self.busy[0]) / max(1, total - self.busy[1]), 1)}
        for key, pid in self.pids.items():
            if pid:
                self.result[key + "_cores"] = round((benchlib.cpu_seconds(pid) - self.cpu[key]) / wall, 2)
                self.result[key + "_peak_rss_mib"] = round(benchlib.peak_rss_mib(pid) or 0.0, 1)
        return False


def empty_prefix(client, prefix):
    """Delete every object under prefix (the server keeps objects in memory)."""
    paginator = client.get_paginator("list_objects_v2")
    count = 0
    for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=BUCKET, Delete={"Objects": keys, "Quiet": True})
            count += len(keys)
    return count


def mbps(nbytes, seconds):
    return nbytes / seconds / 1e6


def main(cleanup, argv):  # pylint: disable=too-many-locals,too-many-statements
    opts = benchlib.parser(NAME, __doc__)
    opts.add_argument("--size", default="1G", help="bytes per sequential transfer, e.g. 64M, 1G (default 1G)")
    opts.add_argument("--files", type=int, default=1000, help="small files per round and backend (default 1000)")
    opts.add_argument("--file-size", default="4K", help="size of each small file (default 4K)")
    opts.add_argument("--concurrency", type=int, default=10,
                      help="boto3 max_concurrency (default 10)")
    opts.add_argument("--part-size", default="8M", help="boto3 part size (default 8M, mount-s3's default)")
    opts.add_argument("--server", choices=["s3s-fs", "moto"], default="s3s-fs", help="S3 server (default s3s-fs)")
    opts.add_argument("--rtt-ms", type=float, default=0.0,
                      help="put bench/slowlink.py before the server: round-trip time it adds (default: no proxy)")
    opts.add_argument("--link-mbps", type=float, default=0.0,
                      help="with the proxy: MB/s per connection and direction (default 80 when --rtt-ms is set)")
    opts.add_argument("--s3fs-variant", action="append", default=[], metavar="LABEL:OPT=V[,OPT=V]",
                      help="one more contender, s3fs-LABEL: s3fs mounted by hand with the role's options, these "
                           "replaced, e.g. p20m10:parallel_count=20,multipart_size=10 (repeatable)")
    opts.add_argument("--contenders", default="",
                      help="comma-separated subset to run, e.g. s3fs-tuned,s3fs-stock (default: all)")
    args = opts.parse_args(argv)
    try:
        variants = dict(parse_variant(v) for v in args.s3fs_variant)
    except ValueError as exc:
        opts.error("--s3fs-variant: %s" % exc)
    contenders = SEQUENTIAL + ["s3fs-" + label for label in variants]
    if args.contenders:
        wanted = [c.strip() for c in args.contenders.split(",") if c.strip()]
        unknown = sorted(set(wanted) - set(contenders))
        if unknown:
            opts.error("--contenders: unknown %s (known: %s)" % (", ".join(unknown), ", ".join(contenders)))
        contenders = [c for c in contenders if c in wanted]
    if args.link_mbps and not args.rtt_ms:
        opts.error("--link-mbps needs --rtt-ms (use --rtt-ms 0.001 for a bandwidth cap alone)")
    if args.rtt_ms and not args.link_mbps:
        args.link_mbps = 80.0
    size, file_size, part = parse_size(args.size), parse_size(args.file_size), parse_size(args.part_size)
    name = NAME if args.server == "s3s-fs" else "%s-%s" % (NAME, args.server)
    if args.rtt_ms:
        name += "-link"
    tuning = tuning_option_names()
    result = {"name": name, "machine": benchlib.machine(), "settings": {
        "rounds": args.rounds, "warmup": args.warmup, "server": args.server, "size_bytes": size,
        "files": args.files, "file_size_bytes": file_size, "api_concurrency": args.concurrency,
        "api_part_size_bytes": part, "s3fs_stock_drops": tuning, "contenders": contenders,
        "s3fs_variants": {label: sorted(opts_.values()) for label, opts_ in variants.items()},
        "link": {"rtt_ms": args.rtt_ms, "mbps_per_connection": args.link_mbps} if args.rtt_ms else None}}

    state = benchlib.state_dir(cleanup, NAME, args.keep_logs)
    deb = benchlib.mount_s3_deb()
    server = benchlib.start_endpoint(cleanup, args.server, state, [BUCKET])
    client = benchlib.s3_client(server.endpoint)  # the controller's checks go straight to the server
    if args.rtt_ms:
        server = SlowLink(cleanup, server, state, args.rtt_ms, args.link_mbps)
    host = Host("mountkit-bench-datapath-%d" % os.getpid(), server)
    benchlib.start_host(cleanup, host.name, NAME, tmp_tmpfs=True)
    benchlib.wait_hosts([host.name])
    benchlib.docker("exec", host.name, "mkdir", "-p", os.path.dirname(HOSTIO))
    benchlib.docker("cp", os.path.join(benchlib.BENCH, "hostio.py"), "%s:%s" % (host.name, HOSTIO))
    inventory = benchlib.write_json(os.path.join(state, "inventory.yml"), benchlib.mounts_inventory(
        [host.name], server.endpoint, deb, s3fs_count=1, mountpoint_count=int("mount-s3" in contenders), bucket=BUCKET,
        parent=PARENT))
    benchlib.log("converging %s with site.yml" % host.name)
    benchlib.run_playbook(state, "converge", "site.yml", inventory, env=benchlib.ansible_env(state)).check(
        "converge")
    paths = {"mount-s3": PARENT + "/mountpoint1", "s3fs-tuned": PARENT + "/s3fs1", "s3fs-stock": PARENT + "/s3fsstock"}
    paths.update({"s3fs-" + label: PARENT + "/s3fs" + label for label in variants})
    host.paths = {c: p for c, p in paths.items() if c in contenders}
    prefixes = {c: "%s/%s/" % (host.name, p.rsplit("/", 1)[1]) for c, p in paths.items()}
    prefixes["api"] = "%s/api/" % host.name
    if "s3fs-stock" in contenders:
        result["settings"]["s3fs_stock_options"] = host.mount_by_hand(
            paths["s3fs-tuned"], paths["s3fs-stock"], "%s:/%s" % (BUCKET, prefixes["s3fs-stock"].rstrip("/")), tuning)
    for label, replace in variants.items():
        name = "s3fs-" + label
        if name in contenders:
            result["settings"].setdefault("s3fs_variant_options", {})[label] = host.mount_by_hand(
                paths["s3fs-tuned"], paths[name], "%s:/%s" % (BUCKET, prefixes[name].rstrip("/")), replace=replace)
    host.find_daemons()
    benchlib.log("daemons (host pids): %s" % host.daemons)

    seq = {c: {"write": [], "read": [], "transfer": [], "probes": []} for c in contenders}
    small = {c: [] for c in contenders}
    for rnd, order in benchlib.rotations(contenders, args.warmup + args.rounds):
        measured = rnd >= args.warmup
        tag = "round %d%s" % (rnd - args.warmup + 1, "" if measured else " (warm-up)")
        for contender in order:
            key = "%sseq-%d" % (prefixes[contender], rnd)
            probes = {}
            daemon = host.daemons.get(contender)
            with Probe(daemon, server.pid) as probe:
                if contender == "api":
                    wrote = host.hostio("api-put", BUCKET, key, size, args.concurrency, part)
                else:
                    wrote = host.hostio("write", "%s/seq-%d" % (host.paths[contender], rnd), size)
            probes["write"] = probe.result
            head = client.head_object(Bucket=BUCKET, Key=key)
            if head["ContentLength"] != size:
                raise benchlib.BenchError("%s wrote %d bytes, expected %d" % (key, head["ContentLength"], size))
            with Probe(daemon, server.pid) as probe:
                if contender == "api":
                    read = host.hostio("api-get", BUCKET, key, args.concurrency, part)
                else:
                    read = host.hostio("read", "%s/seq-%d" % (host.paths[contender], rnd))
            probes["read"] = probe.result
            if read["bytes"] != size:
                raise benchlib.BenchError("%s read %d bytes back, expected %d" % (contender, read["bytes"], size))
            if contender == "api":
                # The client plays the daemon's part: its own memory and CPU, as hostio.py measured them.
                for step, out in (("write", wrote), ("read", read)):
                    probes[step]["client_peak_rss_mib"] = round(out["peak_rss_mib"], 1)
                    probes[step]["daemon_cores"] = round(out["cpu_s"] / out["seconds"], 2)
            client.delete_object(Bucket=BUCKET, Key=key)
            benchlib.log("%s: %-10s write %7.1f MB/s  read %7.1f MB/s  server %s/%s cores" % (
                tag, contender, mbps(size, wrote["seconds"]), mbps(size, read["seconds"]),
                probes["write"].get("server_cores"), probes["read"].get("server_cores")))
            if measured:
                seq[contender]["write"].append(mbps(size, wrote["seconds"]))
                seq[contender]["read"].append(mbps(size, read["seconds"]))
                seq[contender]["transfer"].append(mbps(2 * size, wrote["seconds"] + read["seconds"]))
                seq[contender]["probes"].append(probes)
        if not args.files:
            continue
        for contender in order:
            prefix = "%ssmall-%d-" % (prefixes[contender], rnd)
            with Probe(host.daemons.get(contender), server.pid) as probe:
                if contender == "api":
                    made = host.hostio("api-small", BUCKET, prefix, args.files, file_size)
                else:
                    made = host.hostio("small", "%s/small-%d-" % (host.paths[contender], rnd), args.files, file_size)
            rate = args.files / made["seconds"]
            benchlib.log("%s: %-10s %d x %d B: %7.1f files/s  server %s cores" % (
                tag, contender, args.files, file_size, rate, probe.result.get("server_cores")))
            stored = empty_prefix(client, prefix)
            if stored != args.files:
                raise benchlib.BenchError("%s: %d objects under %s, expected %d" % (
                    contender, stored, prefix, args.files))
            if measured:
                small[contender].append({"rate": rate, "probe": probe.result})

    report(result, seq, small, args, (size, file_size, part))
    if "s3fs_tuned_over_stock" in result["ratios"]:
        print("datapath-s3fs ratio=%.2f" % result["ratios"]["s3fs_tuned_over_stock"])
    if "mountpoint_over_api" in result["ratios"]:
        print("datapath ratio=%.2f" % result["ratios"]["mountpoint_over_api"])
    return 0


def _median_of(probes, step, key):
    values = [p[step][key] for p in probes if key in p[step]]
    return round(statistics.median(values), 2) if values else None


def _max_of(probes, step, key):
    values = [p[step][key] for p in probes if key in p[step]]
    return max(values) if values else None


def report(result, seq, small, args, sizes):
    """Fill result with summaries and ratios, and print the tables."""
    size, file_size, part = sizes
    contenders = {}
    for contender, data in seq.items():
        probes = data["probes"]
        entry = {
            "write_mbps": benchlib.summarize(data["write"]),
            "read_mbps": benchlib.summarize(data["read"]),
            "transfer_mbps": benchlib.summarize(data["transfer"]),
            "peak_rss_mib": {step: _max_of(probes, step, "daemon_peak_rss_mib" if contender != "api"
                                           else "client_peak_rss_mib") for step in ("write", "read")},
            "server_peak_rss_mib": {step: _max_of(probes, step, "server_peak_rss_mib") for step in ("write", "read")},
            "cores": {step: {who: _median_of(probes, step, who + "_cores") for who in ("daemon", "server")}
                      for step in ("write", "read")},
            "machine_busy_pct": {step: _median_of(probes, step, "machine_busy_pct") for step in ("write", "read")},
        }
        if small[contender]:
            entry["small_files_per_s"] = benchlib.summarize([s["rate"] for s in small[contender]])
            entry["small_server_cores"] = round(statistics.median(
                s["probe"].get("server_cores", 0.0) for s in small[contender]), 2)
        contenders[contender] = entry
    result["contenders"] = contenders

    def med(contender, metric):
        return contenders[contender][metric]["median"]

    def pair(key, top, bottom):
        if top in contenders and bottom in contenders:
            ratios[key] = med(top, "transfer_mbps") / med(bottom, "transfer_mbps")
            for step in ("write", "read"):
                ratios[key + "_" + step] = med(top, step + "_mbps") / med(bottom, step + "_mbps")

    ratios = {}
    pair("mountpoint_over_api", "mount-s3", "api")
    pair("s3fs_tuned_over_stock", "s3fs-tuned", "s3fs-stock")
    for name in contenders:
        if name.startswith("s3fs-") and name not in ("s3fs-tuned", "s3fs-stock"):
            pair(name.replace("-", "_") + "_over_stock", name, "s3fs-stock")
    result["ratios"] = {k: round(v, 2) for k, v in ratios.items()}
    result["goal"] = {"mountpoint_over_api": ">= 0.8", "s3fs_tuned_over_stock": ">= 1.3"}

    # Per step, the contenders during which the server was as busy as it can be: moto serves from one
    # Python process (about one core), s3s-fs from native threads (every core). Those contenders measured
    # the server; if they land on about the same figure, that figure is the endpoint's ceiling.
    server_limit = 1.0 if args.server == "moto" else float(os.cpu_count())
    bound = {}
    for step in ("write", "read"):
        names = [c for c in contenders if (contenders[c]["cores"][step]["server"] or 0.0) >= 0.8 * server_limit]
        figures = [med(c, step + "_mbps") for c in names]
        bound[step] = {"contenders": names, "mbps": [round(min(figures), 1), round(max(figures), 1)] if names else []}
    result["endpoint_bound"] = bound
    # On a saturated machine the figures say how the contenders share the CPU, not what they could do.
    busy = [contenders[c]["machine_busy_pct"][s] or 0.0 for c in contenders for s in ("write", "read")]
    result["machine_bound"] = statistics.median(busy) >= 90.0

    benchlib.write_result(result["name"], result, args.out)
    print("datapath: %s\nserver %s; %d MiB per transfer; boto3 %d threads x %d MiB parts" % (
        benchlib.machine_note(result), args.server, size // benchlib.MIB, args.concurrency, part // benchlib.MIB))
    for metric, label in (("write_mbps", "write"), ("read_mbps", "read"), ("transfer_mbps", "write+read")):
        print("\nsequential %s, MB/s:" % label)
        for contender in contenders:
            print("  " + benchlib.stat_line(contender, contenders[contender][metric], "MB/s", width=12))
    if args.files:
        print("\nsmall files, %d x %d B, files/s:" % (args.files, file_size))
        for contender in contenders:
            print("  " + benchlib.stat_line(contender, contenders[contender]["small_files_per_s"], "f/s", width=12))
    print("\nmemory and CPU during the sequential transfers (peak RSS over the rounds; cores = CPU s / wall s):")
    print("  %-12s %18s %18s %16s %16s %12s" % ("contender", "peak RSS w/r MiB", "server RSS w/r", "daemon cores w/r",
                                                "server cores w/r", "busy % w/r"))
    for contender, entry in contenders.items():
        cores = entry["cores"]
        print("  %-12s %8s / %-7s %8s / %-7s %7s / %-6s %7s / %-6s %5s / %-5s" % (
            contender, entry["peak_rss_mib"]["write"], entry["peak_rss_mib"]["read"],
            entry["server_peak_rss_mib"]["write"], entry["server_peak_rss_mib"]["read"],
            cores["write"]["daemon"], cores["read"]["daemon"], cores["write"]["server"], cores["read"]["server"],
            entry["machine_busy_pct"]["write"], entry["machine_busy_pct"]["read"]))
    print("  (daemon: the s3fs or mount-s3 process; for api, the boto3 client process)")
    print()
    for step, found in bound.items():
        if found["contenders"]:
            print("THE ENDPOINT IS THE BOTTLENECK for %ss of %s: %s used >= %.0f%% of the %.0f core(s) it can use, "
                  "and they reached %s-%s MB/s; those figures measure the server, not the client." % (
                      step, ", ".join(found["contenders"]), args.server, 80, server_limit, found["mbps"][0],
                      found["mbps"][1]))
        else:
            print("endpoint: %s had CPU to spare during every %s; it was not the ceiling." % (args.server, step))
    if args.server == "moto":
        print("moto reads the whole object for every ranged GET (then slices it), so its read ceiling falls as "
              "objects grow and rises with the reader's range size.")
    if result["machine_bound"]:
        print("THE CPU IS THE BOTTLENECK: the machine was %.0f%% busy (median over the transfers); client, FUSE "
              "daemon and server compete for %d cores." % (statistics.median(busy), os.cpu_count()))
    print()
    for key in ratios:
        if key.endswith(("_write", "_read")):
            continue
        label = {"mountpoint_over_api": "mount-s3 / API", "s3fs_tuned_over_stock": "s3fs tuned / stock"}.get(
            key, key.replace("_over_", " / ").replace("_", "-"))
        goal = {"mountpoint_over_api": " (goal >= 0.8)", "s3fs_tuned_over_stock": " (goal >= 1.3)"}.get(key, "")
        print("%s: write %.2f, read %.2f, write+read %.2f%s" % (
            label, ratios[key + "_write"], ratios[key + "_read"], ratios[key], goal))


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
