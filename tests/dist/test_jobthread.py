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
