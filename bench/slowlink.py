# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/slowlink: a TCP proxy on 127.0.0.1 that makes a loopback S3 server look like S3 over a network.

    python bench/slowlink.py --upstream-port 9000 [--port N] [--rtt-ms 20] [--mbps 80]

Each connection's bytes reach the other side rtt/2 later, in both directions, so a request and its answer
cost one round trip; and each connection carries at most --mbps megabytes (10^6 bytes) per second in each
direction, like S3's per-connection throughput. Clients that open several connections at once (parallel
multipart parts) are therefore faster, as against S3; on bare loopback they are not.

Prints ``port=N`` once it listens. Used by bench/datapath.py (--rtt-ms, --link-mbps).
"""

import argparse
import asyncio
import sys
import time

CHUNK = 64 * 1024
# Chunks held per direction: a full queue stops reading, so TCP's flow control slows the sender down.
QUEUED_CHUNKS = 64


async def pump(reader, writer, delay, rate):
    """Copy reader to writer: each chunk leaves delay seconds after it arrived, at rate bytes/s at most."""
    queue = asyncio.Queue(maxsize=QUEUED_CHUNKS)

    async def receive():
        while True:
            data = await reader.read(CHUNK)
            await queue.put((time.monotonic(), data))
            if not data:
                return

    async def send():
        free_at = 0.0  # when the link has sent everything queued so far at the capped rate
        while True:
            arrived, data = await queue.get()
            now = time.monotonic()
            start = max(arrived + delay, free_at, now)
            if start > now:
                await asyncio.sleep(start - now)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()
            free_at = start + len(data) / rate

    receiving = asyncio.ensure_future(receive())
    try:
        await send()
    finally:
        receiving.cancel()


async def handle(client_reader, client_writer, args):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", args.upstream_port)
    except OSError:
        client_writer.close()
        return
    delay = args.rtt_ms / 2000.0
    rate = args.mbps * 1e6
    try:
        await asyncio.gather(pump(client_reader, server_writer, delay, rate),
                             pump(server_reader, client_writer, delay, rate))
    except (ConnectionError, OSError):
        pass
    finally:
        for writer in (client_writer, server_writer):
            writer.close()


async def serve(args):
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), "127.0.0.1", args.port)
    print("port=%d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream-port", type=int, required=True, help="the S3 server's port on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="round-trip time added (default 20)")
    parser.add_argument("--mbps", type=float, default=80.0, help="MB/s per connection and direction (default 80)")
    args = parser.parse_args(argv)
    if args.rtt_ms < 0 or args.mbps <= 0:
        parser.error("--rtt-ms must be >= 0 and --mbps > 0")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
