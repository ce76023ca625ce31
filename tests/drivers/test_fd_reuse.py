"""A socket or file dropped without close() must not haunt its fd number.

The kernel keeps an fd registered in the notifier after a wait (no system
call per wait). A driver object that the garbage collector closes must
therefore tell the kernel, or the next socket or pipe that gets the same
fd number waits on a registration the notifier has silently dropped, and
never wakes. pycos programs drop connections without close() all the time
(chat_server.py forgets a client that left).
"""
from __future__ import annotations

import gc
import os
import socket

from picoos.asyncfile import AsyncFile
from picoos.drivers.asyncsocket import AsyncSocket
from picoos.kernel.task import Task
from picoos.testing import wait_all_tasks_blocked


def _recv(sock, n, task=None):
    return (yield sock.recv(n))


def _read(f, n, task=None):
    return (yield f.read(n))


def _read_after_blocked(read, obj, feed):
    """Start `read(obj, 10)` in a task, wait until it blocks, then `feed()`;
    the read's result (the task keeps no reference to `obj` after it)."""
    def main(task=None):
        reader = Task(read, obj, 10)
        yield wait_all_tasks_blocked()
        feed()
        return (yield reader.finish())
    return main


def test_dropped_socket_fd_reused_by_next_connection(run_io):
    def main(task=None):
        lsock = AsyncSocket(socket.socket())
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(4)
        addr = lsock.getsockname()
        first = socket.create_connection(addr)
        conn, _ = yield lsock.accept()
        fd = conn.fileno()
        assert (yield _read_after_blocked(_recv, conn, first.close)()) == b""
        del conn        # forgotten, not closed
        gc.collect()
        second = socket.create_connection(addr)
        conn2, _ = yield lsock.accept()
        assert conn2.fileno() == fd     # the number came back
        got = yield _read_after_blocked(_recv, conn2, lambda: second.sendall(b"hi"))()
        for s in (second, conn2, lsock):
            s.close()
        return got

    assert run_io(main) == b"hi"


def test_dropped_asyncfile_fd_reused_by_next_pipe(run_io):
    def main(task=None):
        r, w = os.pipe()
        rd = AsyncFile(os.fdopen(r, "rb", 0))
        assert (yield _read_after_blocked(_read, rd, lambda: os.close(w))()) == b""
        del rd
        gc.collect()
        r2, w2 = os.pipe()
        assert r2 == r
        rd2 = AsyncFile(os.fdopen(r2, "rb", 0))
        got = yield _read_after_blocked(_read, rd2, lambda: os.write(w2, b"hi"))()
        rd2.close()
        os.close(w2)
        return got

    assert run_io(main) == b"hi"


def test_rewrapped_socket_is_not_forgotten_while_the_other_wrapper_lives(run_io):
    # AsyncSocket(async_sock) shares the socket: dropping one wrapper must
    # not wake (or unregister) a task waiting through the other
    def main(task=None):
        a, b = socket.socketpair()
        outer = AsyncSocket(a)
        inner = AsyncSocket(outer)
        reader = Task(_recv, inner, 10)
        yield wait_all_tasks_blocked()
        del outer           # while the reader waits through inner
        gc.collect()
        b.sendall(b"ok")
        got = yield reader.finish()
        inner.close()
        b.close()
        return got

    assert run_io(main) == b"ok"
