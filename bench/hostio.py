# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The I/O that bench/datapath.py runs inside the container host, timed there (docker exec's own start-up
stays out of the figures). Prints one JSON object: seconds, bytes, and this process's CPU seconds and peak
RSS. Standard library only, plus boto3 (Debian's python3-boto3) for the S3 API contenders.

    python3 hostio.py write FILE BYTES            sequential write, fsync, close
    python3 hostio.py read FILE                   sequential read after dropping the file's cached pages
    python3 hostio.py small PREFIX COUNT BYTES    create files PREFIX00000... of BYTES each, one by one
    python3 hostio.py api-put BUCKET KEY BYTES CONCURRENCY PART
    python3 hostio.py api-get BUCKET KEY CONCURRENCY PART
    python3 hostio.py api-small BUCKET PREFIX COUNT BYTES

The API commands read S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment.
"""

import io
import json
import os
import resource
import sys
import time

BLOCK = 1024 * 1024
# Incompressible, non-zero data, made once: the writer's CPU goes to the transfer, not to a generator.
PATTERN = os.urandom(BLOCK)


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write_file(path, size):
    view = memoryview(PATTERN)
    with open(path, "wb", buffering=0) as handle:
        left = size
        while left:
            chunk = min(left, BLOCK)
            left -= handle.write(view[:chunk])
        # Both FUSE daemons upload by fsync or close at the latest; fsync makes the end explicit.
        os.fsync(handle.fileno())
    return size


def read_file(path):
    buf = bytearray(BLOCK)
    total = 0
    with open(path, "rb", buffering=0) as handle:
        # Pages kept from the write would make this a read from memory.
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        while True:
            count = handle.readinto(buf)
            if not count:
                break
            total += count
    return total


def small_files(prefix, count, size):
    # Flat names (PREFIX00000, ...): no directory, so no directory marker object, which not every S3
    # server stores (s3s-fs keeps objects as files and answers 500 for a key ending in "/").
    data = PATTERN[:size]
    for i in range(count):
        with open("%s%05d" % (prefix, i), "wb") as handle:
            handle.write(data)
    return count * size


class PatternStream(io.RawIOBase):
    """size bytes of PATTERN as a non-seekable stream, so boto3 reads it part by part like a pipe."""

    def __init__(self, size):
        super().__init__()
        self.left = size
        self.offset = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.left, BLOCK - self.offset)
        buffer[:count] = PATTERN[self.offset:self.offset + count]
        self.offset = (self.offset + count) % BLOCK
        self.left -= count
        return count


def _client(concurrency=10):
    import boto3  # pylint: disable=import-outside-toplevel  # the file commands must not need it
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                        config=Config(s3={"addressing_style": "path"}, max_pool_connections=concurrency + 2))


def _transfer_config(concurrency, part):
    from boto3.s3.transfer import TransferConfig  # pylint: disable=import-outside-toplevel

    return TransferConfig(multipart_threshold=part, multipart_chunksize=part, max_concurrency=concurrency,
                          io_chunksize=BLOCK, use_threads=True)


def main(argv):
    command, args = argv[0], argv[1:]
    prepared = None
    if command.startswith("api-"):
        # Client and transfer manager are ready before the clock starts, like a mounted daemon.
        concurrency = int(args[3]) if command == "api-put" else int(args[2]) if command == "api-get" else 1
        prepared = _client(concurrency)
    started_cpu, started = _cpu(), time.monotonic()
    if command == "write":
        done = write_file(args[0], int(args[1]))
    elif command == "read":
        done = read_file(args[0])
    elif command == "small":
        done = small_files(args[0], int(args[1]), int(args[2]))
    elif command == "api-put":
        bucket, key, size, concurrency, part = args[0], args[1], int(args[2]), int(args[3]), int(args[4])
        prepared.upload_fileobj(PatternStream(size), bucket, key, Config=_transfer_config(concurrency, part))
        done = size
    elif command == "api-get":
        bucket, key, concurrency, part = args[0], args[1], int(args[2]), int(args[3])
        with open(os.devnull, "wb") as sink:
            prepared.download_fileobj(bucket, key, sink, Config=_transfer_config(concurrency, part))
        done = None  # after the clock stops
    elif command == "api-small":
        bucket, prefix, count, size = args[0], args[1], int(args[2]), int(args[3])
        data = PATTERN[:size]
        for i in range(count):
            prepared.put_object(Bucket=bucket, Key="%s%05d" % (prefix, i), Body=data)
        done = count * size
    else:
        raise SystemExit("unknown command %s" % command)
    seconds = time.monotonic() - started
    if done is None:
        done = prepared.head_object(Bucket=args[0], Key=args[1])["ContentLength"]
    json.dump({"seconds": seconds, "bytes": done, "cpu_s": _cpu() - started_cpu,
               "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
