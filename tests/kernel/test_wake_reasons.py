"""A task woken for one reason and hit by another before it runs.

A task that waits can be woken by what it waits for (a message, a lock
handed over, a resume) and, before it runs, be thrown into, hot-swapped or
terminated.  What it was handed must not be lost: a message goes back to the
mailbox, a lock goes on to the next waiter.  And a throw or swap aimed at a
task waiting on a lock takes effect at once, as for sleep or receive.

Also here: the kernel's task table keeps creation order, in which shutdown
closes the tasks that are left.
"""
from __future__ import annotations

import pytest

from picoos import Lock, RLock, Semaphore, Task


class Boom(Exception):
    pass


def test_message_to_receiver_survives_a_throw_before_it_runs(kernel):
    log = []

    def receiver(task=None):
        try:
            yield task.receive()
            log.append("received before the throw")
        except Boom:
            log.append("Boom")
        log.append(("then", (yield task.receive(timeout=0, alarm_value="empty"))))
        log.append(("then", (yield task.receive(timeout=0, alarm_value="empty"))))

    def main(task=None):
        r = Task(receiver)
        yield task.sleep(1)
        assert r.send("m1") == 0         # wakes r with m1 ...
        assert r.throw(Boom()) == 0      # ... but r gets Boom first
        assert r.send("m2") == 0
        yield r.finish()

    kernel.run(main)
    assert log == ["Boom", ("then", "m1"), ("then", "m2")]


def test_message_to_receiver_survives_a_hot_swap_before_it_runs(kernel):
    log = []

    def new(task=None):
        log.append(("new", (yield task.receive(timeout=0, alarm_value="empty"))))

    def old(task=None):
        task.hot_swappable(True)
        yield task.receive()
        log.append("old received")

    def main(task=None):
        t = Task(old)
        yield task.sleep(1)
        t.send("m1")
        t.hot_swap(new)
        yield t.finish()

    kernel.run(main)
    assert log == [("new", "m1")]


def test_resume_then_throw_gives_the_exception(kernel):
    log = []

    def sleeper(task=None):
        try:
            log.append((yield task.suspend()))
        except Boom:
            log.append("Boom")

    def main(task=None):
        s = Task(sleeper)
        yield task.sleep(1)
        s.resume("v")
        s.throw(Boom())
        yield s.finish()

    kernel.run(main)
    assert log == ["Boom"]


def test_received_message_is_not_given_twice_after_a_plain_yield(kernel):
    # a task woken by a message that then yields a plain value and is thrown
    # into while queued must not get the message back in its mailbox
    log = []

    def receiver(task=None):
        log.append((yield task.receive()))
        try:
            yield "plain"
        except Boom:
            log.append("Boom")
        log.append((yield task.receive(timeout=0, alarm_value="empty")))

    def main(task=None):
        r = Task(receiver)
        yield task.sleep(1)
        r.send("m1")
        yield task.sleep(0)      # r runs, takes m1, yields "plain" (queued)
        r.throw(Boom())
        yield r.finish()

    kernel.run(main)
    assert log == ["m1", "Boom", "empty"]


def _lock_waiter_setup(cls):
    lock = cls()
    log = []

    def holder(task=None):
        yield lock.acquire()
        yield task.sleep(10)
        log.append(("holder releases", task._kernel.clock.now()))
        lock.release()

    return lock, log, holder


@pytest.mark.parametrize("cls", [Lock, RLock, Semaphore])
def test_throw_into_lock_waiter_takes_effect_at_once(kernel, cls):
    lock, log, holder = _lock_waiter_setup(cls)

    def waiter(task=None):
        try:
            yield lock.acquire()
            log.append("got lock")
        except Boom:
            log.append(("Boom", task._kernel.clock.now()))

    def main(task=None):
        h = Task(holder)
        yield task.sleep(1)
        w = Task(waiter)
        yield task.sleep(1)
        assert w.throw(Boom()) == 0
        yield w.finish()
        assert len(lock._waiters) == 0
        yield h.finish()
        # the lock is free again, nobody is stuck on it
        assert (yield lock.acquire(timeout=0)) is True
        lock.release()

    kernel.run(main)
    assert log == [("Boom", 2.0), ("holder releases", 10.0)]


def test_hot_swap_of_lock_waiter_takes_effect_at_once(kernel):
    lock, log, holder = _lock_waiter_setup(Lock)

    def new(task=None):
        log.append(("swapped", task._kernel.clock.now()))
        yield task.sleep(0)

    def waiter(task=None):
        task.hot_swappable(True)
        yield lock.acquire()
        log.append("got lock")

    def main(task=None):
        h = Task(holder)
        yield task.sleep(1)
        w = Task(waiter)
        yield task.sleep(1)
        assert w.hot_swap(new) == 0
        yield w.finish()
        assert len(lock._waiters) == 0
        yield h.finish()
        assert not lock.locked()

    kernel.run(main)
    assert log == [("swapped", 2.0), ("holder releases", 10.0)]


def test_hot_swap_of_task_given_the_lock_passes_it_on(kernel):
    lock = Lock()
    log = []

    def new(task=None):
        log.append("swapped")
        yield task.sleep(0)

    def waiter(task=None):
        task.hot_swappable(True)
        yield lock.acquire()
        log.append("first waiter got lock")

    def second(task=None):
        yield lock.acquire()
        log.append("second waiter got lock")
        lock.release()

    def main(task=None):
        yield lock.acquire()
        w = Task(waiter)
        s = Task(second)
        yield task.sleep(1)
        lock.release()            # handed to w ...
        w.hot_swap(new)           # ... which is swapped before it runs
        yield w.finish()
        yield s.finish()

    kernel.run(main)
    # w passed the lock on (s runs first), then starts over as `new`
    assert log == ["second waiter got lock", "swapped"]


# -- shutdown --------------------------------------------------------------

def test_shutdown_closes_remaining_tasks_in_creation_order(kernel):
    closed = []

    def daemon(i, task=None):
        task.set_daemon()
        try:
            yield task.suspend()
        finally:
            closed.append(i)

    def main(task=None):
        # enough tasks that a hash-ordered set would not keep this order;
        # ids are reused after tasks end, so interleave short-lived ones
        for i in range(200):
            Task(daemon, i)
            if i % 3 == 0:
                yield task.sleep(0)
        yield task.sleep(0)

    kernel.run(main)
    assert closed == list(range(200))


def test_default_kernel_terminate_closes_tasks_in_creation_order(run_py):
    proc = run_py("""
        import threading
        import picoos

        started = threading.Event()

        def waiter(i, task=None):
            if i == 99:
                started.set()     # tasks start in creation order
            try:
                yield task.suspend()
            finally:
                print(i, flush=True)

        tasks = [picoos.Task(waiter, i) for i in range(100)]
        assert started.wait(30)
        picoos.Pycos.instance().terminate()
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(i) for i in range(100)]


def test_task_table_drops_finished_tasks_and_keeps_creation_order(kernel):
    def quick(task=None):
        yield task.sleep(0)

    def slow(task=None):
        yield task.sleep(10)

    def main(task=None):
        early = Task(slow)
        quicks = [Task(quick) for _ in range(5000)]
        late = Task(slow)
        for q in quicks:
            yield q.finish()
        yield task.sleep(1)
        assert kernel.tasks() == [task, early, late]
        # finished tasks are not kept for ever
        assert len(kernel._tasks) < 100
        return len(kernel.tasks())

    assert kernel.run(main) == 3


def test_self_throw_then_receive_keeps_the_message_and_runs_once(kernel):
    log = []

    def selfish(task=None):
        task.send("m1")
        task.throw(Boom())          # arrives at the next yield
        try:
            yield task.receive()    # a message is there: still Boom first
            log.append("received")
        except Boom:
            log.append("Boom")
        log.append((yield task.receive(timeout=0, alarm_value="empty")))
        log.append((yield task.receive(timeout=0, alarm_value="empty")))

    kernel.run(selfish)
    assert log == ["Boom", "m1", "empty"]


def test_self_terminated_task_does_not_take_a_free_lock(kernel):
    lock = Lock()

    def quitter(task=None):
        task.terminate()            # takes effect at the next yield
        yield lock.acquire()

    def main(task=None):
        q = Task(quitter)
        yield q.finish()
        return lock.locked()

    assert kernel.run(main) is False


def test_hot_swap_waits_for_a_thread_pool_call_under_way(kernel):
    # an asynchronous operation under way is not cut short by a swap (the
    # swap comes when it completes, its result is dropped)
    import threading
    from picoos import AsyncThreadPool

    log = []
    go = threading.Event()
    pool = AsyncThreadPool(1)

    def blocking():
        assert go.wait(30)
        log.append("call done")
        return 1

    def new(task=None):
        log.append("swapped")
        yield task.sleep(0)

    def worker(task=None):
        task.hot_swappable(True)
        log.append(("result", (yield pool.async_task(blocking))))

    def main(task=None):
        w = Task(worker)
        yield task.sleep(1)
        assert w.hot_swap(new) == 0
        yield task.sleep(1)
        assert log == []
        go.set()
        yield w.finish()

    kernel.run(main)
    pool.terminate()
    assert log == ["call done", "swapped"]
