"""A generator job's own code runs in a thread of its own, its traps on the kernel.

A dispycos job is a generator task, and dispycos lets its code block between
two ``yield``\\ s (a long computation, ``time.sleep``) while the server keeps
answering the network. On a picoos server the jobs' tasks live on the
server's networked kernel, whose thread also sends heartbeats and reads the
links: a job that blocked that thread for longer than the peer timeout would
make the client declare the server lost.

So a generator job is driven from here: each step of the generator (the
code between two ``yield``\\ s) runs in a thread that belongs to the job, and
what it yields (a trap, a sub-generator, a plain value) is handed to the
kernel in the job's task, as if the job had yielded it there. The task, its
mailbox, its monitors and everything the client sees are unchanged; only the
Python code of the job runs elsewhere, so the kernel never waits on it. The
kernel's API is safe from other threads (creating tasks, send, throw), and
traps are plain objects, so job code may use both in the job thread.

An exception thrown into the job's task (``KeyboardInterrupt`` when the
client closes, a remote ``throw``) while a step runs is thrown into the
generator at its next ``yield``, once the step is done; terminating the task
closes the generator after the running step.

The job's thread acts for its task: ``Pycos.cur_task()`` there is the task,
and the calls that act for the calling task without a ``yield``
(``Lock.release``, ``Condition.notify``, ``Event.set``,
``Semaphore.release``) are handed to the kernel's thread, where they run
before the job's next trap. Tasks, locks and channels the job makes belong
to the default kernel, which on a server is the server's kernel.

The threads come from one pool per process that grows when every thread is
busy and keeps idle ones: a job costs a thread start only when more jobs
than ever before are in the middle of a step at once (starting a thread per
job doubled the cost of a short job).
"""
from __future__ import annotations

import threading
from typing import Any, Generator

from picoos.kernel import context
from picoos.kernel.threadpool import AsyncThreadPool


class _Step:
    """The outcome of one step: what the generator yielded, returned or raised."""

    __slots__ = ("kind", "value", "done")

    def __init__(self) -> None:
        self.kind = ""
        self.value: Any = None
        self.done = threading.Event()


def _advance(task: Any, gen: Generator, throw: bool, value: Any, step: _Step) -> None:
    # in the job's thread, which runs this code for the job's task: the
    # kernel's calls that act for the calling task (Lock.release, Event.set,
    # Pycos.cur_task(), ...) find it, and run in the kernel's thread
    context.driven.task = task
    try:
        out = gen.throw(value) if throw else gen.send(value)
        step.kind, step.value = "yield", out
    except StopIteration as stop:
        step.kind, step.value = "return", stop.value
    except BaseException as exc:  # the job's own exception, handed to its task
        step.kind, step.value = "raise", exc
    finally:
        context.driven.task = None
    step.done.set()


_POOL_MAX = 256            # jobs whose steps can run at the same time
_pool: "AsyncThreadPool | None" = None


def _job_pool() -> AsyncThreadPool:
    global _pool
    if _pool is None:
        _pool = AsyncThreadPool(_POOL_MAX)
    return _pool


def _close(gen: Generator, step: "_Step | None" = None) -> None:
    if step is not None:
        step.done.wait()          # in a thread of its own: the step still runs
    try:
        gen.close()
    except BaseException:  # a job that ignores GeneratorExit: it is ended anyway
        pass


def run_threaded(gen: Generator) -> Any:
    """Drive generator ``gen`` as a sub-call of the current task (``return
    (yield run_threaded(gen))``), running its code in a thread of its own."""
    pool = _job_pool()
    task = context.current_task()
    throw, value = False, None
    step = _Step()
    step.done.set()
    try:
        while True:
            step = _Step()
            pending = None
            try:
                yield pool.async_task(_advance, task, gen, throw, value, step)
            except GeneratorExit:
                raise
            except BaseException as exc:
                pending = exc
            while not step.done.is_set():
                # thrown in while the step ran: wait for it (in another
                # thread of the pool) and throw it next
                try:
                    yield pool.async_task(step.done.wait)
                except GeneratorExit:
                    raise
                except BaseException as exc:
                    pending = pending or exc
            if step.kind == "return":
                return step.value
            if step.kind == "raise":
                raise step.value
            if pending is not None:
                throw, value = True, pending
                continue
            try:
                value = yield step.value      # the job's trap, run by its task here
                throw = False
            except GeneratorExit:
                raise
            except BaseException as exc:
                throw, value = True, exc
    finally:
        if step.done.is_set():
            _close(gen)
        else:
            threading.Thread(target=_close, args=(gen, step), daemon=True,
                             name="picoos-job-close").start()
