"""Waiting on file descriptors, over every notifier backend this machine
has: readiness, timeouts, one waiter per direction, closing wakes waiters.

Real socketpairs and pipes; times are exact fake times (autojump).
"""
from __future__ import annotations

import errno
import os
import socket

import pytest

from picoos import Task
from picoos.kernel.errors import (BusyResourceError, ClosedResourceError, InvalidArgument,
                                  PicoosError)
from picoos.kernel.io import fd_closed, wait_readable, wait_writable
from picoos.kernel.notifier import READ, WRITE, available, choose
from picoos.kernel.scheduler import Kernel
from picoos.testing import FakeClock, wait_all_tasks_blocked


@pytest.fixture(params=available())
def nkernel(request):
    """A fake-clock kernel using one notifier backend."""
    k = Kernel(notifier=request.param, clock=FakeClock())
    assert k.notifier_name == request.param
    yield k
    if not k._closed:
        k._shutdown()


@pytest.fixture
def sockpair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def pipe():
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    fds = [r, w]
    yield fds
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def test_available_lists_what_choose_accepts():
    names = available()
    assert names[-1] == "select" and len(names) == len(set(names))
    for name in names:
        n = choose(name)
        assert n.name == name
        n.close()
    with pytest.raises(InvalidArgument, match="unknown notifier 'nope'"):
        choose("nope")
    missing = [n for n in ("epoll", "kqueue", "poll") if n not in names]
    for name in missing:
        with pytest.raises(InvalidArgument, match="not available"):
            choose(name)


def test_env_variable_chooses_backend(monkeypatch):
    monkeypatch.setenv("PICOOS_NOTIFIER", "select")
    n = choose()
    assert n.name == "select"
    n.close()


def test_wait_readable_socket(nkernel, sockpair):
    a, b = sockpair
    order = []

    def reader(task=None):
        ok = yield wait_readable(a)                 # object with fileno()
        order.append(("readable", ok, a.recv(100), task._kernel.clock.now()))

    def main(task=None):
        r = Task(reader)
        yield task.sleep(3)
        order.append("sending")
        b.send(b"ping")
        yield r.finish()

    nkernel.run(main)
    assert order == ["sending", ("readable", True, b"ping", 3.0)]


def test_wait_readable_pipe_and_eof(nkernel, pipe):
    r, w = pipe

    def main(task=None):
        os.write(w, b"x")
        ok1 = yield wait_readable(r)
        data = os.read(r, 10)
        os.close(w)
        pipe.remove(w)
        ok2 = yield wait_readable(r, timeout=5)      # EOF counts as readable
        return ok1, data, ok2, os.read(r, 10), task._kernel.clock.now()

    assert nkernel.run(main) == (True, b"x", True, b"", 0.0)


def test_wait_writable_after_buffer_full(nkernel, sockpair):
    a, b = sockpair

    def main(task=None):
        assert (yield wait_writable(a)) is True
        sent = 0
        try:
            while True:
                sent += a.send(b"\0" * 65536)
        except BlockingIOError:
            pass
        full = yield wait_writable(a, timeout=2)
        t_full = task._kernel.clock.now()

        def drainer(task=None):
            yield task.sleep(1)
            got = 0
            while got < sent:
                yield wait_readable(b)
                got += len(b.recv(1 << 20))

        Task(drainer)
        ok = yield wait_writable(a, timeout=60)
        return full, t_full, ok

    assert nkernel.run(main) == (False, 2.0, True)


def test_timeouts_give_false_at_exact_times(nkernel, sockpair, pipe):
    a, b = sockpair

    def main(task=None):
        marks = []
        marks.append((yield wait_readable(a, timeout=1.5)))
        marks.append(task._kernel.clock.now())
        marks.append((yield wait_readable(pipe[0], timeout=2)))
        marks.append(task._kernel.clock.now())
        marks.append((yield wait_readable(a, timeout=0)))      # poll
        # the timed-out waiter left no trace: a new wait works
        b.send(b"!")
        marks.append((yield wait_readable(a, timeout=10)))
        marks.append(task._kernel.clock.now())
        return marks

    assert nkernel.run(main) == [False, 1.5, False, 3.5, False, True, 3.5]


def test_second_reader_is_busy(nkernel, sockpair):
    a, b = sockpair

    def first(task=None):
        return (yield wait_readable(a))

    def main(task=None):
        f = Task(first)
        yield task.sleep(0)
        with pytest.raises(BusyResourceError, match="already waits to read fd %d" % a.fileno()):
            yield wait_readable(a)
        # a writer on the same fd is a different direction: allowed
        w = yield wait_writable(a, timeout=1)
        b.send(b"x")
        return (yield f.finish()), w

    assert nkernel.run(main) == (True, True)
    assert issubclass(BusyResourceError, RuntimeError)


def test_reader_and_writer_on_one_fd(nkernel, sockpair):
    a, b = sockpair
    order = []

    def reader(task=None):
        ok = yield wait_readable(a)
        order.append(("reader", ok, task._kernel.clock.now()))

    def main(task=None):
        Task(reader)
        yield wait_all_tasks_blocked()
        ok = yield wait_writable(a)
        order.append(("writer", ok))
        yield task.sleep(2)
        b.send(b"x")

    nkernel.run(main)
    assert order == [("writer", True), ("reader", True, 2.0)]


def test_fd_closed_wakes_waiters_with_error(nkernel, sockpair):
    a, b = sockpair
    order = []

    def reader(task=None):
        try:
            yield wait_readable(a, timeout=100)
        except ClosedResourceError as e:
            order.append(("reader", e.errno, task._kernel.clock.now()))

    def writer(task=None):
        # fill the buffer so the writer really blocks
        try:
            while True:
                a.send(b"\0" * 65536)
        except BlockingIOError:
            pass
        try:
            yield wait_writable(a)
        except ClosedResourceError as e:
            order.append(("writer", isinstance(e, OSError), isinstance(e, PicoosError)))

    def main(task=None):
        Task(reader)
        Task(writer)
        yield task.sleep(4)
        fd_closed(a)
        fd_closed(a)                      # twice: harmless
        fd_closed(12345)                  # never waited on: harmless
        yield wait_all_tasks_blocked()
        return task._kernel.clock.now()

    # the 100 s timer was cancelled: nothing kept the clock going
    assert nkernel.run(main) == 4.0
    assert order == [("reader", errno.EBADF, 4.0), ("writer", True, True)]


def test_fd_closed_then_fd_reused(nkernel):
    def main(task=None):
        r, w = os.pipe()
        try:
            assert (yield wait_readable(r, timeout=1)) is False
            fd_closed(r)
        finally:
            os.close(r)
            os.close(w)
        # the same fd number comes back for a new pipe: waiting must work
        r2, w2 = os.pipe()
        try:
            os.write(w2, b"y")
            return r2 == r, (yield wait_readable(r2, timeout=1))
        finally:
            fd_closed(r2)
            os.close(r2)
            os.close(w2)

    same, ok = nkernel.run(main)
    assert ok is True


def test_level_triggered_repeat_waits(nkernel, sockpair):
    a, b = sockpair

    def main(task=None):
        b.send(b"abcdefgh")
        got = b""
        for _ in range(3):
            assert (yield wait_readable(a)) is True
            got += a.recv(2)
        # data left and nobody waits: the kernel must not spin or lose it
        yield task.sleep(1)
        assert (yield wait_readable(a)) is True
        return got + a.recv(10)

    assert nkernel.run(main) == b"abcdefgh"


def test_bad_fd_arguments(kernel):
    def main(task=None):
        with pytest.raises(InvalidArgument, match=">= 0"):
            wait_readable(-1)
        with pytest.raises(InvalidArgument, match="fileno"):
            wait_writable("nope")
        with pytest.raises(InvalidArgument, match="timeout"):
            wait_readable(0, timeout="1")
        yield

    kernel.run(main)


def test_terminate_fd_waiter_frees_the_slot(nkernel, sockpair):
    a, b = sockpair

    def waiter(task=None):
        yield wait_readable(a)

    def main(task=None):
        w = Task(waiter)
        yield task.sleep(0)
        w.terminate()
        yield w.finish()
        b.send(b"z")
        return (yield wait_readable(a, timeout=1))

    assert nkernel.run(main) is True


def test_many_pipes_fifo_wake(nkernel):
    order = []
    pipes = [os.pipe() for _ in range(20)]

    def reader(i, r, task=None):
        yield wait_readable(r)
        order.append((i, os.read(r, 10)))

    def main(task=None):
        ts = [Task(reader, i, r) for i, (r, _w) in enumerate(pipes)]
        yield wait_all_tasks_blocked()
        for i, (_r, w) in enumerate(pipes):
            if i % 2:
                os.write(w, b"%d" % i)
        yield wait_all_tasks_blocked()
        for i, (_r, w) in enumerate(pipes):
            if not i % 2:
                os.write(w, b"%d" % i)
        for t in ts:
            yield t.finish()

    try:
        nkernel.run(main)
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)
    assert sorted(order) == sorted((i, b"%d" % i) for i in range(20))
    # every odd pipe was served before any even one
    assert [i % 2 for i, _ in order] == [1] * 10 + [0] * 10


# -- an fd closed without fd_closed() ------------------------------------------
# The kernel keeps an fd registered after its wait ends. epoll and kqueue drop
# the registration themselves when the file closes; a new file that gets the
# same number must still be watched when a task waits on it.

def test_closed_without_notice_and_reused_readable(nkernel):
    def main(task=None):
        r, w = os.pipe()
        os.write(w, b"x")
        first = yield wait_readable(r, 2)
        os.close(r)
        os.close(w)
        r2, w2 = os.pipe()
        try:
            assert r2 == r                 # the lowest free number comes back
            os.write(w2, b"y")
            second = yield wait_readable(r2, 2)
            return first, second, os.read(r2, 10), task._kernel.clock.now()
        finally:
            fd_closed(r2)
            os.close(r2)
            os.close(w2)

    assert nkernel.run(main) == (True, True, b"y", 0.0)


def test_closed_without_notice_and_reused_not_yet_ready(nkernel):
    # the new file becomes readable only later: the wait must see that
    def main(task=None):
        a, b = socket.socketpair()
        b.send(b"x")
        assert (yield wait_readable(a, 2)) is True
        fd = a.fileno()
        a.close()
        b.close()
        c, d = socket.socketpair()
        try:
            assert c.fileno() == fd

            def sender(task=None):
                yield task.sleep(3)
                d.send(b"late")

            Task(sender)
            ok = yield wait_readable(c, 10)
            return ok, c.recv(10), task._kernel.clock.now()
        finally:
            fd_closed(c)
            c.close()
            d.close()

    assert nkernel.run(main) == (True, b"late", 3.0)


def test_closed_without_notice_and_reused_writable(nkernel):
    def main(task=None):
        a, b = socket.socketpair()
        assert (yield wait_writable(a, 2)) is True
        fd = a.fileno()
        a.close()
        b.close()
        c, d = socket.socketpair()
        try:
            assert c.fileno() == fd
            ok = yield wait_writable(c, 2)
            return ok, task._kernel.clock.now()
        finally:
            fd_closed(c)
            c.close()
            d.close()

    assert nkernel.run(main) == (True, 0.0)


def test_closed_without_notice_and_reused_both_directions(nkernel):
    # registered for reading and writing, then only read on the new file
    def main(task=None):
        a, b = socket.socketpair()
        b.send(b"x")
        assert (yield wait_readable(a, 2)) is True
        assert a.recv(1) == b"x"       # so the read registration is kept
        assert (yield wait_writable(a, 2)) is True
        fd = a.fileno()
        a.close()
        b.close()
        c, d = socket.socketpair()
        try:
            assert c.fileno() == fd
            d.send(b"z")
            r = yield wait_readable(c, 2)
            w = yield wait_writable(c, 2)
            return r, w, c.recv(10), task._kernel.clock.now()
        finally:
            fd_closed(c)
            c.close()
            d.close()

    assert nkernel.run(main) == (True, True, b"z", 0.0)


@pytest.mark.parametrize("read_first", [True, False], ids=["read-kept", "read-dropped"])
def test_closed_without_notice_not_reused(nkernel, read_first):
    # waiting on a kept fd that is closed now: no hang, the task meets EBADF
    # at once (from the wait, or from the system call it retries), and so
    # does a task waiting in the other direction.  read_first: the pending
    # byte is read, so the read registration is kept; else it fires with
    # nobody waiting and is dropped while the writer waits
    order = []

    def writer(fd, task=None):
        ok = yield wait_writable(fd, 5)
        order.append(("writer woken", ok, task._kernel.clock.now()))

    def main(task=None):
        a, b = socket.socketpair()
        a.setblocking(False)
        b.send(b"x")
        assert (yield wait_readable(a, 2)) is True
        if read_first:
            assert a.recv(1) == b"x"
        try:
            while True:
                a.send(b"\0" * 65536)
        except BlockingIOError:
            pass
        fd = a.fileno()
        Task(writer, fd)               # waits to write on the full socket
        yield wait_all_tasks_blocked()
        a.close()
        b.close()
        try:
            yield wait_readable(fd, 5)
            os.read(fd, 1)
        except OSError as e:
            order.append(("reader", e.errno, task._kernel.clock.now()))
        yield wait_all_tasks_blocked()

    nkernel.run(main)
    assert ("reader", errno.EBADF, 0.0) in order
    assert ("writer woken", True, 0.0) in order


def test_kqueue_backend_re_adds_filters(monkeypatch):
    # kqueue is not on every test machine: its backend runs here against a
    # stand-in for the system interface that records each change list
    import types

    from picoos.kernel.notifier import kqueue as kq_backend
    lists = []

    class FakeKqueue:
        def control(self, changes, n, timeout):
            lists.append([c for c in changes])
            if any(flags == "delete" and ident == 9 for ident, _f, flags in changes):
                raise OSError(errno.ENOENT, "gone with the closed fd")
            return []

        def close(self):
            pass

    fake = types.SimpleNamespace(kqueue=FakeKqueue, kevent=lambda fd, flt, flags: (fd, flt, flags),
                                 KQ_FILTER_READ="r", KQ_FILTER_WRITE="w",
                                 KQ_EV_ADD="add", KQ_EV_DELETE="delete")
    monkeypatch.setattr(kq_backend, "select", fake)
    n = kq_backend.Notifier()
    assert n.per_file is True
    n.register(5, READ)
    n.refresh(5, READ)                 # a new file may have the number: add again
    n.modify(5, READ | WRITE)
    n.modify(5, WRITE)
    assert lists == [[(5, "r", "add")], [(5, "r", "add")],
                     [(5, "r", "add"), (5, "w", "add")],
                     [(5, "r", "delete")], [(5, "w", "add")]]
    del lists[:]
    n.register(9, READ | WRITE)
    n.unregister(9)                    # the system dropped the filters already: no error
    n.unregister(9)
    assert lists == [[(9, "r", "add"), (9, "w", "add")], [(9, "r", "delete"), (9, "w", "delete")]]
    n.close()
