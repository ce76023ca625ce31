"""A generator job's code runs in its own thread, its traps on the kernel.

Each test runs a kernel in the test's thread (picoos.run) and a job driven
by run_threaded; the job's code blocks on threading.Events that other tasks
on the kernel set, so a kernel blocked by the job would never get there
(the waits are bounds that only such a hang reaches).
"""
from __future__ import annotations

import threading

import picoos
from picoos.dist.jobthread import run_threaded
from picoos.kernel.threadpool import run_in_thread

BOUND = 30.0


def _job_task(job, *args):
    def entry(task=None):
        return (yield run_threaded(job(*args, task=task)))
    return picoos.Task(entry)


def test_job_code_blocks_its_thread_not_the_kernel():
    kernel_ran = threading.Event()
    where = {}

    def job(task=None):
        where["job"] = threading.get_ident()
        # blocks this step until a task on the kernel runs: the kernel is free
        assert kernel_ran.wait(BOUND)
        msg = yield task.receive()             # a trap, run on the kernel
        yield task.sleep(0)
        got = yield sub(msg)                   # a sub-generator
        plain = yield "plain"                  # a plain value comes back
        return (got, plain)

    def sub(msg):
        yield picoos.Task(lambda task=None: (yield task.sleep(0))).finish()
        return msg * 2

    def main(task=None):
        where["kernel"] = threading.get_ident()
        job_task = _job_task(job)
        kernel_ran.set()
        job_task.send(21)
        return (yield job_task.finish())

    assert picoos.run(main) == (42, "plain")
    assert where["job"] != where["kernel"]


def test_job_exception_fails_its_task():
    def job(task=None):
        yield task.sleep(0)
        raise ValueError("bad input 7")

    def main(task=None):
        job_task = _job_task(job)
        status = yield job_task.finish()
        return [status]        # (run() raises the exception of a MonitorStatus it returns)

    status, = picoos.run(main)
    assert isinstance(status, picoos.MonitorStatus) and status.type is ValueError
    assert "bad input 7" in status.value


def test_throw_while_the_job_runs_reaches_it_at_its_next_yield():
    started, gate = threading.Event(), threading.Event()

    def job(task=None):
        started.set()
        assert gate.wait(BOUND)           # busy in its thread when the throw comes
        try:
            yield task.sleep(BOUND)
        except KeyboardInterrupt:
            return "interrupted"
        return "slept"

    def main(task=None):
        job_task = _job_task(job)
        yield run_in_thread(started.wait, BOUND)
        job_task.throw(KeyboardInterrupt)
        gate.set()
        return (yield job_task.finish())

    assert picoos.run(main) == "interrupted"


def test_throw_while_the_job_waits_on_a_trap():
    def job(task=None):
        try:
            yield task.receive()
        except KeyboardInterrupt:
            yield task.sleep(0)
            return "interrupted"

    def main(task=None):
        job_task = _job_task(job)
        yield task.sleep(0.05)           # the job is waiting in receive (or soon will)
        job_task.throw(KeyboardInterrupt)
        return (yield job_task.finish())

    assert picoos.run(main) == "interrupted"


def test_terminate_while_the_job_runs_closes_it_after_the_step():
    started, gate, closed = threading.Event(), threading.Event(), threading.Event()

    def job(task=None):
        try:
            started.set()
            assert gate.wait(BOUND)
            yield task.sleep(BOUND)
        finally:
            closed.set()

    def main(task=None):
        job_task = _job_task(job)
        yield run_in_thread(started.wait, BOUND)
        job_task.terminate()
        value = yield job_task.finish()
        assert not closed.is_set()          # its step still runs
        gate.set()
        yield run_in_thread(closed.wait, BOUND)
        return value

    picoos.run(main)
    assert closed.is_set()


def test_job_code_uses_locks_events_and_the_current_task():
    # calls that act for the calling task (no yield) work from the job's
    # thread: they run in the kernel's thread, before the job's next trap
    order = []

    def job(lock, cond, sem, event, task=None):
        assert picoos.Pycos.cur_task() is task
        yield lock.acquire()
        order.append("job has lock")
        lock.release()
        yield cond.acquire()
        cond.notify()
        cond.release()
        sem.release()
        event.set()
        yield task.sleep(0)
        return "job done"

    def other(lock, cond, sem, task=None):
        yield cond.acquire()
        notified = yield cond.wait(BOUND)
        cond.release()
        yield lock.acquire()
        order.append("other has lock")
        lock.release()
        got = yield sem.acquire(timeout=BOUND)
        return (notified, got)

    def main(task=None):
        lock, cond, sem, event = picoos.Lock(), picoos.Condition(), picoos.Semaphore(0), \
            picoos.Event()
        waiter = picoos.Task(other, lock, cond, sem)
        yield task.sleep(0)                 # other waits on the condition
        job_task = _job_task(job, lock, cond, sem, event)
        done = yield event.wait(BOUND)
        return (done, (yield job_task.finish()), (yield waiter.finish()))

    assert picoos.run(main) == (True, "job done", (True, True))
    assert order == ["job has lock", "other has lock"]


def test_event_set_between_the_job_making_its_wait_and_the_kernel_running_it():
    # the job's code makes the wait while the flag is clear; the flag is set
    # before the kernel gets the wait: it must not wait for ever
    made, gate = threading.Event(), threading.Event()

    def job(event, task=None):
        wait = event.wait(BOUND)
        made.set()
        assert gate.wait(BOUND)
        return (yield wait)

    def main(task=None):
        event = picoos.Event()
        job_task = _job_task(job, event)
        yield run_in_thread(made.wait, BOUND)
        event.set()
        gate.set()
        return (yield job_task.finish())

    assert picoos.run(main) is True


def test_async_def_job():
    async def job(n, task=None):
        await task.sleep(0)
        msg = await task.receive()
        return (n, msg, threading.get_ident())

    def main(task=None):
        job_task = _job_task(job, 5)
        job_task.send("hi")
        return (yield job_task.finish()), threading.get_ident()

    (n, msg, job_thread), kernel_thread = picoos.run(main)
    assert (n, msg) == (5, "hi") and job_thread != kernel_thread


def test_pace_moves_short_steps_into_the_kernel_and_back_for_good():
    from picoos.dist import jobthread
    from picoos.dist.jobthread import INLINE_AFTER, LONG, SHORT, Pace
    pace = Pace("f")
    for _ in range(INLINE_AFTER - 1):
        pace.ran(SHORT / 2, inline=False)
    assert not pace.inline()
    pace.ran(SHORT * 2, inline=False)            # one longer step: start counting again
    for _ in range(INLINE_AFTER):
        pace.ran(SHORT / 2, inline=False)
    assert pace.inline()
    pace.ran(LONG / 2, inline=True)              # a bit slower in the kernel: still fine
    assert pace.inline()
    pace.ran(LONG, inline=True)                  # held the kernel up: threads for good
    assert not pace.inline()
    for _ in range(2 * INLINE_AFTER):
        pace.ran(SHORT / 2, inline=False)
    assert not pace.inline() and pace.blocks
    assert jobthread.INLINE_AFTER == INLINE_AFTER


def test_a_job_with_short_steps_runs_them_in_the_kernel_thread_until_one_is_long():
    import time
    from picoos.dist.jobthread import INLINE_AFTER, LONG, Pace
    pace = Pace("job")
    threads = []

    def job(block, task=None):
        threads.append(threading.get_ident())
        yield task.sleep(0)
        if block:
            time.sleep(LONG * 1.5)
        threads.append(threading.get_ident())
        return block

    def entry(block, task=None):
        return (yield run_threaded(job(block, task=task), pace))

    def main(task=None):
        kernel = threading.get_ident()
        for _ in range((INLINE_AFTER + 1) // 2):        # two short steps a job
            assert (yield picoos.Task(entry, False).finish()) is False
        threaded = [t for t in threads if t != kernel]
        assert pace.inline() and len(threaded) == len(threads)
        del threads[:]
        assert (yield picoos.Task(entry, False).finish()) is False
        inline = threads == [kernel, kernel]
        del threads[:]
        assert (yield picoos.Task(entry, True).finish()) is True   # its 2nd step is long
        blocked = pace.blocks
        del threads[:]
        assert (yield picoos.Task(entry, False).finish()) is False
        return inline, blocked, kernel not in threads

    assert picoos.run(main) == (True, True, True)
