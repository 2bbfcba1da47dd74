"""A write across an S3 fault, run on the managed host by the s3fs scenario.

    python3 fault_io.py write PATH --size N [--fsync] [--ready FILE --go FILE]
        open and write N bytes; with --ready/--go, create FILE (ready) and wait for the go file
        before fsync and close, so that the fault is injected while the file is open and dirty.

Prints one JSON object: the result of each call (ok or the errno name) and how long it took.
"""

import argparse
import errno
import json
import os
import sys
import time


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["write"])
    parser.add_argument("path")
    parser.add_argument("--size", type=int, default=65536)
    parser.add_argument("--fsync", action="store_true")
    parser.add_argument("--ready")
    parser.add_argument("--go")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    report = {"action": args.action, "path": args.path}
    write(args, report)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
