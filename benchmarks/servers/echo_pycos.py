"""TCP echo server on pycos 4.12.2: the baseline picoos must beat.

Written the way pycos's own examples serve a socket: one task per
connection, `recv` then `sendall` through pycos.AsyncSocket.
"""
import signal
import socket
import threading

import pycos

from _listen import announce, listen, parse_args


def serve_conn(conn, bufsize, task=None):
    try:
        while True:
            data = yield conn.recv(bufsize)
            if not data:
                break
            yield conn.sendall(data)
    except (ConnectionError, OSError):
        pass
    conn.close()


def accept_loop(lsock, bufsize, task=None):
    lsock = pycos.AsyncSocket(lsock)
    while True:
        conn, _ = yield lsock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pycos.Task(serve_conn, conn, bufsize)


def main():
    args = parse_args(__doc__)
    lsock = listen(args)
    pycos.Task(accept_loop, lsock, args.bufsize)
    announce(lsock)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()


if __name__ == "__main__":
    main()
