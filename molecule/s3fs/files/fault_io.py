"""File I/O across an S3 fault, run on the managed host by the s3fs scenario.

    python3 fault_io.py write PATH --size N [--fsync] [--ready FILE --go FILE]
        open and write N bytes; with --ready/--go, create FILE (ready) and wait for the go file
        before fsync and close, so that the fault is injected while the file is open and dirty.
    python3 fault_io.py read PATH [--ready FILE --gone URL]
        stat, open and read the whole file. With --ready/--gone, act as a busy reader: read it again
        and again (ready after the first read) until URL (a bucket) answers 404, and report the first
        read, the first read that differs from it, and one read after the bucket is gone. For about
        half a second after its object goes, s3fs reads a file it knew as empty, without an error.

Prints one JSON object: the result of each call (ok or the errno name) and how long it took.
"""

import argparse
import errno
import json
import os
import sys
import time
import urllib.error
import urllib.request


def timed(report, name, func, *args):
    start = time.monotonic()
    try:
        value = func(*args)
        report[name] = "ok"
        return value
    except OSError as exc:
        report[name] = errno.errorcode.get(exc.errno, str(exc.errno))
        return None
    finally:
        report[name + "_seconds"] = round(time.monotonic() - start, 2)


def wait_for(path, timeout):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit("no %s within %ss" % (path, timeout))
        time.sleep(0.1)


def write(args, report):
    fd = timed(report, "open", os.open, args.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    if fd is None:
        return
    timed(report, "write", os.write, fd, os.urandom(args.size))
    if args.ready:
        open(args.ready, "w").close()
        wait_for(args.go, args.timeout)
    if args.fsync:
        timed(report, "fsync", os.fsync, fd)
    timed(report, "close", os.close, fd)


def gone(url):
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=2).close()
    except urllib.error.HTTPError as exc:
        return exc.code == 404
    except OSError:
        pass
    return False


def read(args, report):
    if not args.gone:
        read_once(args, report)
        return
    deadline = time.monotonic() + args.timeout
    while not gone(args.gone):
        if time.monotonic() > deadline:
            raise SystemExit("%s still there after %ss" % (args.gone, args.timeout))
        attempt = {}
        read_once(args, attempt)
        if "before" not in report:
            report["before"] = attempt
            open(args.ready, "w").close()
        elif "changed" not in report and outcome(attempt) != outcome(report["before"]):
            report["changed"] = attempt
        time.sleep(0.05)
    report["after"] = {}
    read_once(args, report["after"])
    if "changed" not in report and outcome(report["after"]) != outcome(report["before"]):
        report["changed"] = report["after"]


def outcome(attempt):
    return (attempt.get("open"), attempt.get("read"), attempt.get("bytes"))


def read_once(args, report):
    stat = timed(report, "stat", os.stat, args.path)
    report["size"] = stat.st_size if stat else None
    fd = timed(report, "open", os.open, args.path, os.O_RDONLY)
    if fd is None:
        return
    chunks = []

    def read_all():
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                return
            chunks.append(block)

    timed(report, "read", read_all)
    report["bytes"] = sum(len(chunk) for chunk in chunks)
    timed(report, "close", os.close, fd)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["write", "read"])
    parser.add_argument("path")
    parser.add_argument("--size", type=int, default=65536)
    parser.add_argument("--fsync", action="store_true")
    parser.add_argument("--ready")
    parser.add_argument("--go")
    parser.add_argument("--gone")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    report = {"action": args.action, "path": args.path}
    (write if args.action == "write" else read)(args, report)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
