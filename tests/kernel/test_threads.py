"""Threads and the kernel: the thread pool (AsyncThreadPool, run_in_thread),
`Task.value()` from a thread, and calls from many threads at once into a
kernel (send, Task creation, terminate) — every message must arrive
exactly once."""
from __future__ import annotations

import threading

import pytest

import picoos
from picoos import AsyncThreadPool, Task
from picoos.kernel import context
from picoos.kernel.errors import InvalidArgument, PicoosError
from picoos.kernel.scheduler import Kernel
from picoos.kernel.threadpool import run_in_thread
from picoos.testing import FakeClock

BOUND = 20.0          # seconds; only a hang reaches it


class KernelThread:
    """Run `main` on a fresh kernel in a background thread; `.task` is the
    main task once `.started` is set."""

    def __init__(self, main, *args):
        self.kernel = Kernel(clock=FakeClock())
        self.started = threading.Event()
        self.result = None
        self.error = None

        def wrapper(task=None):
            self.task = task
            self.started.set()
            return (yield main(task, *args))

        def body():
            try:
                self.result = self.kernel.run(wrapper)
            except BaseException as e:     # reported by join()
                self.error = e
            finally:
                self.started.set()

        self.thread = threading.Thread(target=body, name="test-kernel", daemon=True)
        self.thread.start()
        assert self.started.wait(BOUND)

    def join(self):
        self.thread.join(BOUND)
        assert not self.thread.is_alive(), "kernel thread did not end"
        if self.error is not None:
            raise self.error
        return self.result


# -- thread pool ---------------------------------------------------------------

def test_pool_result_and_exception(kernel):
    pool = AsyncThreadPool(2)
    caller_threads = []

    def work(a, b=0):
        caller_threads.append(threading.current_thread().name)
        return a + b

    def fails(msg):
        raise ValueError(msg)

    def main(task=None):
        v1 = yield pool.async_task(work, 1, b=2)
        v2 = yield pool.async_task(work, args=(5,), kwargs={"b": 5})
        with pytest.raises(ValueError, match="from thread"):
            yield pool.async_task(fails, "from thread")
        v3 = yield run_in_thread(work, 10)
        return v1, v2, v3

    try:
        assert kernel.run(main) == (3, 10, 10)
    finally:
        pool.terminate()
    assert caller_threads and all(n == "picoos-pool" for n in caller_threads)


def test_pool_many_calls_from_many_tasks(kernel):
    pool = AsyncThreadPool(3)
    gate = threading.Barrier(3, timeout=BOUND)

    def square(i):
        if i < 3:
            # the first three calls run at the same time in three threads
            gate.wait()
        return i * i

    def caller(i, task=None):
        return (yield pool.async_task(square, i))

    def main(task=None):
        ts = [Task(caller, i) for i in range(50)]
        out = []
        for t in ts:
            out.append((yield t.finish()))
        return out

    try:
        assert kernel.run(main) == [i * i for i in range(50)]
    finally:
        pool.terminate()
    assert len(pool._threads) == 3


def test_pool_join_and_bad_size():
    with pytest.raises(InvalidArgument, match="num_threads"):
        AsyncThreadPool(0)
    pool = AsyncThreadPool(1)
    pool.join()                  # nothing submitted: returns at once
    pool.terminate()


def test_terminate_task_waiting_for_thread_drops_result(kernel):
    release = threading.Event()
    done = threading.Event()

    def slow():
        release.wait(BOUND)
        done.set()
        return "ignored"

    def waiter(task=None):
        yield run_in_thread(slow)
        return "must not get here"

    def main(task=None):
        w = Task(waiter)
        yield task.sleep(0)
        w.terminate()
        v = yield w.finish()
        release.set()
        # keep the kernel alive until the late result has come in
        ok = yield run_in_thread(done.wait, BOUND)
        return v, ok

    assert kernel.run(main) == (None, True)


# -- value() from a thread -------------------------------------------------------

def test_value_from_a_thread():
    def main(task):
        msg = yield task.receive()
        return "got " + msg

    kt = KernelThread(main)
    assert kt.task.value(timeout=0.01) is None          # not finished yet
    assert kt.task.send("go") == 0                       # from this thread
    assert kt.task.value(timeout=BOUND) == "got go"
    assert kt.task.value() == "got go"                   # finished: at once
    assert kt.join() == "got go"


def test_value_of_failed_task_is_monitor_status():
    def main(task):
        yield task.receive()
        raise KeyError("k")

    kt = KernelThread(main)
    kt.task.send("x")
    st = kt.task.value(timeout=BOUND)
    assert isinstance(st, picoos.MonitorStatus) and st.type is KeyError
    with pytest.raises(KeyError):
        kt.join()


def test_resume_throw_terminate_from_a_thread():
    def sleeper(task=None):
        return (yield task.suspend())

    def receiver(task=None):
        try:
            yield task.receive()
        except KeyError:
            return "thrown"

    def victim(task=None):
        yield task.receive()

    def main(task):
        return [Task(sleeper), Task(receiver), Task(victim)]
        yield

    kt = KernelThread(lambda task: main(task))
    s, r, v = kt.task.value(timeout=BOUND)
    assert s.resume("resumed") == 0
    assert r.throw(KeyError("k")) == 0
    assert v.terminate() == 0
    assert s.value(timeout=BOUND) == "resumed"
    assert r.value(timeout=BOUND) == "thrown"
    assert v.value(timeout=BOUND) is None and not v.is_alive()
    kt.join()


# -- many threads at once --------------------------------------------------------

def test_many_threads_send_every_message_arrives_once():
    nthreads, per_thread = 8, 500
    total = nthreads * per_thread

    def main(task):
        got = []
        while len(got) < total:
            got.append((yield task.receive()))
        extra = yield task.receive(0, "none")
        return got, extra

    kt = KernelThread(main)
    barrier = threading.Barrier(nthreads, timeout=BOUND)

    def sender(i):
        barrier.wait()
        for j in range(per_thread):
            assert kt.task.send((i, j)) == 0

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(BOUND)
    got, extra = kt.join()
    assert extra == "none"
    assert sorted(got) == [(i, j) for i in range(nthreads) for j in range(per_thread)]
    # each thread's messages keep their order
    for i in range(nthreads):
        assert [j for (k, j) in got if k == i] == list(range(per_thread))


@pytest.fixture
def default_kernel():
    """The process-wide default kernel (background thread), shut down after
    the test so that later tests start without one."""
    assert context.default is None or context.default._quit
    k = picoos.Pycos.instance()
    yield k
    k.terminate()
    assert context.default is None
    assert not k._thread.is_alive() or k._stopped.is_set()


def test_many_threads_create_tasks_and_send(default_kernel):
    nthreads, per_thread = 6, 100
    total = nthreads * per_thread

    def collector(task=None):
        seen = []
        while len(seen) < total:
            seen.append((yield task.receive()))
        return seen

    def child(dest, i, j, task=None):
        dest.send((i, j, task._kernel is default_kernel))
        yield

    coll = Task(collector)
    assert coll._kernel is default_kernel
    barrier = threading.Barrier(nthreads, timeout=BOUND)

    def creator(i):
        barrier.wait()
        for j in range(per_thread):
            Task(child, coll, i, j)

    threads = [threading.Thread(target=creator, args=(i,)) for i in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(BOUND)
    seen = coll.value(timeout=BOUND)
    assert seen is not None, "not every task ran"
    assert sorted(seen) == [(i, j, True) for i in range(nthreads) for j in range(per_thread)]
    assert default_kernel.join(timeout=BOUND) is True


def test_default_kernel_identity_and_cur_task(default_kernel):
    assert picoos.Pycos() is default_kernel
    assert picoos.Pycos.instance() is default_kernel
    assert picoos.Pycos.cur_task() is None            # not a kernel thread

    def who(task=None):
        return picoos.Pycos.cur_task() is task, picoos.Pycos.instance() is default_kernel
        yield

    assert Task(who).value(timeout=BOUND) == (True, True)
    assert default_kernel.is_alive()


def test_kernel_errors_are_picoos_errors():
    from picoos.kernel import errors
    for name in ("TaskError", "InvalidArgument", "WrongContext", "LockNotOwned",
                 "BusyResourceError", "ClosedResourceError", "KernelClosed"):
        assert issubclass(getattr(errors, name), PicoosError), name
    assert picoos.PicoosError is PicoosError


def test_channel_send_from_threads(default_kernel):
    nthreads, per_thread = 4, 200
    ch = picoos.Channel("from-threads")          # belongs to the default kernel
    assert ch._kernel is default_kernel

    def listener(task=None):
        yield ch.subscribe(task)
        got = []
        while len(got) < nthreads * per_thread:
            got.append((yield task.receive()))
        return got

    lis = Task(listener)

    def subscribed(task=None):
        # FIFO: the listener has subscribed once this task has run
        yield
    Task(subscribed).value(timeout=BOUND)

    def sender(i):
        for j in range(per_thread):
            ch.send((i, j))

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(BOUND)
    got = lis.value(timeout=BOUND)
    assert got is not None
    assert sorted(got) == [(i, j) for i in range(nthreads) for j in range(per_thread)]


def test_async_db_cursor(kernel):
    import sqlite3
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    pool = AsyncThreadPool(1)
    cursor = picoos.AsyncDBCursor(pool, conn.cursor())

    def main(task=None):
        yield cursor.execute("create table t (k text, v int)")
        yield cursor.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2)])
        yield cursor.execute("select v from t where k = ?", ("b",))
        row = cursor.fetchone()               # passed through to the cursor
        with pytest.raises(sqlite3.OperationalError):
            yield cursor.execute("select * from missing_table")
        return row

    try:
        assert kernel.run(main) == (2,)
    finally:
        pool.terminate()
        conn.close()


def test_finish_of_task_on_another_kernel_is_wrong_context(kernel):
    from picoos.kernel.errors import WrongContext

    def remote_main(task):
        return (yield task.receive())

    kt = KernelThread(remote_main)

    def main(task=None):
        with pytest.raises(WrongContext, match="another kernel"):
            yield kt.task.finish()
        # messages still cross kernels
        assert kt.task.send("bye") == 0
        yield

    kernel.run(main)
    assert kt.join() == "bye"


# -- calls from a thread that is not the kernel's --------------------------------

def test_fd_closed_from_another_thread_leaves_its_waiter_waiting(default_kernel):
    # as in pycos: a socket closed by the program's main thread does not wake
    # the task reading it (that task would run while the main thread goes on);
    # the kernel forgets the fd before the call returns, so a new file that
    # gets the same number is watched for its own waiter
    import socket
    from picoos.kernel.io import fd_closed, wait_readable
    from picoos.testing import wait_all_tasks_blocked

    a, b = socket.socketpair()
    woke = []

    def reader(task=None):
        try:
            woke.append((yield wait_readable(a)))
        except BaseException as exc:
            woke.append(type(exc).__name__)
            raise

    def blocked(task=None):
        yield wait_all_tasks_blocked()

    r = Task(reader)
    assert Task(blocked).value(timeout=BOUND) is None
    fd = a.fileno()
    fd_closed(a)
    assert fd not in default_kernel._readers and fd not in default_kernel._fd_mask
    a.close()
    c, d = socket.socketpair()
    try:
        def new_reader(task=None):
            return (yield wait_readable(c, timeout=BOUND))

        n = Task(new_reader)
        d.send(b"x")
        assert n.value(timeout=BOUND) is True
        assert r.is_alive() and woke == []
        r.terminate()
        assert r.value(timeout=BOUND) is None
        assert woke == ["GeneratorExit"]
    finally:
        for s in (b, c, d):
            s.close()


def test_a_thread_acting_for_a_task_changes_kernel_state_in_the_kernel_thread(kernel):
    # context.act_for: a thread running a task's own code; what it does for
    # the task without a yield (a lock's release, an event's set, closing an
    # fd: methods marked kernel_side) runs in the kernel's thread as that
    # task, and the thread gets the result or the exception
    import socket
    from picoos import Event, Lock
    from picoos.kernel.errors import ClosedResourceError, LockNotOwned
    from picoos.kernel.io import fd_closed, wait_readable

    class Probe:
        @context.kernel_side
        def where(self, arg):
            return threading.get_ident(), context.current_task(), arg

    lock, event = Lock(), Event()
    a, b = socket.socketpair()
    order = []

    def other(task=None):
        got = yield lock.acquire()
        order.append(("other got the lock", got))
        yield event.wait()
        lock.release()

    def reader(task=None):
        try:
            yield wait_readable(a)
        except ClosedResourceError:
            order.append("reader woken by the close")

    checks, others = [], []

    def body(task, kernel_thread):
        context.act_for(task)
        try:
            assert context.current_task() is task and context.acting_task() is task
            assert Probe().where(7) == (kernel_thread, task, 7)
            lock.release()
            # done in the kernel's thread before release() returned
            checks.append(("handed over", lock._owner is others[0]))
            with pytest.raises(LockNotOwned):
                lock.release()
            event.set()
            checks.append(("event set", event.is_set()))
            fd_closed(a)
        finally:
            context.act_for(None)
        assert context.current_task() is None and context.acting_task() is None
        assert Probe().where(1) == (threading.get_ident(), None, 1)   # acting for none
        return threading.get_ident()

    def main(task=None):
        yield lock.acquire()
        others.append(Task(other))
        Task(reader)
        yield task.sleep(0)             # both wait now
        where = yield run_in_thread(body, task, threading.get_ident())
        yield task.sleep(0)
        return where != threading.get_ident()

    try:
        assert kernel.run(main) is True
    finally:
        a.close()
        b.close()
    assert checks == [("handed over", True), ("event set", True)]
    assert order == [("other got the lock", True), "reader woken by the close"]


def test_hot_swappable_from_a_thread_acting_for_the_task(kernel):
    def body(task):
        context.act_for(task)
        try:
            return task.hot_swappable(True)
        finally:
            context.act_for(None)

    def outsider(task):
        return task.hot_swappable(True)      # acts for no task: refused

    def main(task=None):
        refused = yield run_in_thread(outsider, task)
        got = yield run_in_thread(body, task)
        yield task.sleep(0)
        return refused, got, task._rare.hot_swappable

    assert kernel.run(main) == (-1, 0, True)
