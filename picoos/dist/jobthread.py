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

The job's thread acts for its task (the kernel's ``context.act_for``):
``Pycos.cur_task()`` there is the task, and the calls that act for the
calling task without a ``yield`` (``Lock.release``, ``Condition.notify``,
``Event.set``, ``Semaphore.release``, closing a socket) run in the
kernel's thread while the job's thread waits for them. Tasks, locks
and channels the job makes belong to the default kernel, which on a server
is the server's kernel.

The threads come from one pool per process that grows when every thread is
busy and keeps idle ones: a job costs a thread start only when more jobs
than ever before are in the middle of a step at once (starting a thread per
job doubled the cost of a short job).

A thread costs each step two hand-overs between threads, which for a short
job is most of its time on the server. So the server learns the pace of
each job function (:class:`Pace`): once its steps ran short in a thread
many times in a row, its steps run in the kernel's thread like any task's;
a step there that runs long sends that function's steps back to a thread
for good (and says so in the log). A function whose steps block from the
start (``time.sleep`` between yields) therefore never blocks the kernel; one
that is quick many times and then blocks holds the kernel up for that one
step.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Generator, Optional

from picoos.kernel import context
from picoos.kernel.threadpool import AsyncThreadPool

log = logging.getLogger("picoos.dist")

SHORT = 0.002          # seconds: a step this short could have run in the kernel's thread
INLINE_AFTER = 50      # short steps in a row, in a thread, before steps run in the kernel's
LONG = 0.05            # seconds: a step in the kernel's thread this long sends them back


class Pace:
    """What a server learned about the steps of one job function."""

    __slots__ = ("name", "short", "blocks")

    def __init__(self, name: str) -> None:
        self.name = name        # the function, for the log
        self.short = 0          # short steps in a row (in a thread)
        self.blocks = False     # a step ran long in the kernel's thread: threads for good

    def inline(self) -> bool:
        return not self.blocks and self.short >= INLINE_AFTER

    def ran(self, seconds: float, inline: bool) -> None:
        if inline:
            if seconds >= LONG:
                self.blocks = True
                log.warning("job function %s held the server's kernel for %.2f s in one step; "
                            "its steps run in a thread from now on", self.name, seconds)
        elif seconds < SHORT:
            self.short += 1
        else:
            self.short = 0


class _Step:
    """The outcome of one step: what the generator yielded, returned or raised."""

    __slots__ = ("kind", "value", "done", "seconds")

    def __init__(self) -> None:
        self.kind = ""
        self.value: Any = None
        self.done = threading.Event()
        self.seconds = 0.0      # how long the step ran


def _advance(task: Any, gen: Generator, throw: bool, value: Any, step: _Step) -> None:
    # in the job's thread, which runs this code for the job's task: the
    # kernel's calls that act for the calling task (Lock.release, Event.set,
    # Pycos.cur_task(), ...) find it, and run in the kernel's thread; with
    # task None, in the kernel's thread itself
    if task is not None:
        context.act_for(task)
    start = time.perf_counter()
    try:
        out = gen.throw(value) if throw else gen.send(value)
        step.kind, step.value = "yield", out
    except StopIteration as stop:
        step.kind, step.value = "return", stop.value
    except BaseException as exc:  # the job's own exception, handed to its task
        step.kind, step.value = "raise", exc
    finally:
        step.seconds = time.perf_counter() - start
        if task is not None:
            context.act_for(None)
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


def run_threaded(gen: Generator, pace: Optional[Pace] = None) -> Any:
    """Drive generator ``gen`` as a sub-call of the current task (``return
    (yield run_threaded(gen))``), running its code in a thread of its own
    (or, once ``pace`` says its steps are short, in the kernel's thread)."""
    pool = _job_pool()
    task = context.current_task()
    throw, value = False, None
    step = _Step()
    step.done.set()
    try:
        while True:
            step = _Step()
            pending = None
            if pace is not None and pace.inline():
                _advance(None, gen, throw, value, step)
                pace.ran(step.seconds, True)
            else:
                try:
                    yield pool.async_task(_advance, task, gen, throw, value, step)
                except GeneratorExit:
                    raise
                except BaseException as exc:
                    pending = exc
                if pace is not None and step.done.is_set():
                    pace.ran(step.seconds, False)
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
