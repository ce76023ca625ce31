"""TCP echo server on picoos: the server the echo and C10K benchmarks measure.

One task per connection, `recv` then `sendall` through picoos's AsyncSocket,
the kernel running in the main thread via `picoos.run`. `--style async`
serves with `async def` tasks instead of generator tasks; `--notifier`
picks the notifier backend.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import picoos  # noqa: E402
from picoos.drivers.asyncsocket import AsyncSocket  # noqa: E402

from _listen import announce, listen, parse_args  # noqa: E402


def serve_conn(conn, bufsize):
    try:
        while True:
            data = yield conn.recv(bufsize)
            if not data:
                break
            yield conn.sendall(data)
    except OSError:
        pass
    conn.close()


async def serve_conn_async(conn, bufsize):
    try:
        while True:
            data = await conn.recv(bufsize)
            if not data:
                break
            await conn.sendall(data)
    except OSError:
        pass
    conn.close()


def accept_loop(lsock, bufsize, handler):
    lsock = AsyncSocket(lsock)
    announce(lsock)
    while True:
        conn, _ = yield lsock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        picoos.Task(handler, conn, bufsize)


def main():
    style = "gen"
    if "--style" in sys.argv:
        i = sys.argv.index("--style")
        style = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    notifier = None
    if "--notifier" in sys.argv:
        i = sys.argv.index("--notifier")
        notifier = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    if notifier:
        os.environ["PICOOS_NOTIFIER"] = notifier
    args = parse_args(__doc__)
    lsock = listen(args)
    handler = serve_conn_async if style == "async" else serve_conn
    picoos.run(accept_loop, lsock, args.bufsize, handler)


if __name__ == "__main__":
    main()
