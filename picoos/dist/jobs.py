"""A job: one function call a client farms out, and how its result comes back.

A :class:`Job` is the client's record of one job (``client.submit(...)``,
and ``client.run(...)`` from a plain thread; in a task, ``yield
client.run(...)`` gives the job's remote task itself, ``job.rtask``). It records where the job ran, how many times it was
tried, and its outcome. Waiting for it works from a plain thread
(``job.result()``, ``job.value()``) and from a picoos task
(``value = yield job()``), where the wait is handed to the kernel's thread
pool so the task's kernel keeps running.

A failed job's value is its ``MonitorStatus(job, exception type, traceback
text)``, as in pycos; ``job.result()`` raises the remote exception instead,
with the server's traceback in its ``remote_traceback`` attribute.
"""
from __future__ import annotations

import pickle
import threading
import time
from typing import Any, Optional, Tuple

from picoos.dist.errors import JobAbandoned, JobTerminated, JobTimeout

try:
    from picoos.kernel.task import MonitorStatus
except ImportError:  # pragma: no cover - only while the kernel is not installed
    class MonitorStatus:  # type: ignore[no-redef]
        """How a task ended: ``info`` (the job), ``type`` and ``value``."""

        def __init__(self, info: Any, type: Any, value: Any = None):
            self.info = info
            self.type = type
            self.value = value

QUEUED, RUNNING, DONE, FAILED, ABANDONED, TERMINATED = (
    "queued", "running", "done", "failed", "abandoned", "terminated")


class RemoteError(Exception):
    """Stands in for a job's exception whose class the client cannot rebuild."""


class Job:
    """One submitted call; see the module docstring."""

    def __init__(self, job_id: int, fn: Any, ref: Tuple[str, str], args: tuple, kwargs: dict,
                 io: bool = False, retry: bool = False, where: Optional[str] = None):
        self.id = job_id
        self.name = getattr(fn, "__name__", str(fn))
        self.ref = ref
        self.args = args
        self.kwargs = kwargs
        self.io = io                       # an I/O job: takes no CPU slot
        code = getattr(fn, "__code__", None)
        # a generator (or async) function runs as a task on its server: as a
        # CPU job it has that server to itself, like a dispycos rtask
        self.task_job = code is not None and bool(code.co_flags & 0xA0)
        self.retry = retry                 # may be rerun elsewhere if its server is lost
        self.where = where                 # node or server it must run on, or None
        self.state = QUEUED
        self.tries = 0
        self.server: Any = None            # the ServerLink running it now
        self.location: Optional[str] = None  # "host:port" of the server that ran it last
        self.node_name: Optional[str] = None
        self.submit_time = time.time()
        self.start_time: Optional[float] = None
        self.end_time: Optional[float] = None
        self._value: Any = None
        self._error: Optional[BaseException] = None
        self._status: Optional[MonitorStatus] = None
        self._done = threading.Event()
        self.rtask: Any = None             # its task on the server (a RemoteTask) once started
        self._waiters: list = []           # client tasks waiting for it to start

    # -- completion (called by the client) ----------------------------------------

    def _finish_ok(self, value: Any) -> None:
        self._value = value
        self._status = MonitorStatus(self, StopIteration, value)
        self._complete(DONE)

    def _finish_error(self, err: tuple) -> None:
        type_name, message, tb, blob = err
        exc: Optional[BaseException] = None
        if blob is not None:
            try:
                exc = pickle.loads(blob)
            except Exception:
                exc = None
        if not isinstance(exc, BaseException):
            exc = RemoteError(f"{type_name}: {message}")
        exc.remote_traceback = tb  # type: ignore[attr-defined]
        self._error = exc
        self._status = MonitorStatus(self, type(exc), tb)
        self._complete(FAILED)

    def _finish_lost(self, state: str, reason: str) -> None:
        cls = JobTerminated if state == TERMINATED else JobAbandoned
        exc = cls(f"job {self.id} ({self.name}) {state}: {reason}")
        self._error = exc
        self._status = MonitorStatus(self, cls, str(exc))
        self._complete(state)

    def _complete(self, state: str) -> None:
        self.state = state
        self.end_time = time.time()
        self.server = None
        self._done.set()
        self._wake()

    def _wake(self) -> None:
        """Wake the tasks in ``yield client.run(...)`` waiting for this job."""
        waiters, self._waiters = self._waiters, []   # each is woken once
        for task in waiters:
            task.resume(None)

    # -- waiting -----------------------------------------------------------------------

    def done(self) -> bool:
        """True once the job finished, failed, was abandoned or terminated."""
        return self._done.is_set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until done or ``timeout``; True when done."""
        return self._done.wait(timeout)

    def value(self, timeout: Optional[float] = None) -> Any:
        """The result, or the ``MonitorStatus`` of a failure (pycos semantics).

        Raises JobTimeout when ``timeout`` passes first.
        """
        if not self._done.wait(timeout):
            raise JobTimeout(f"job {self.id} ({self.name}) not done after {timeout}s")
        return self._value if self.state == DONE else self._status

    finish = value

    def result(self, timeout: Optional[float] = None) -> Any:
        """The result; raises the job's own exception (or JobAbandoned,
        JobTerminated) on failure and JobTimeout when ``timeout`` passes."""
        if not self._done.wait(timeout):
            raise JobTimeout(f"job {self.id} ({self.name}) not done after {timeout}s")
        if self.state == DONE:
            return self._value
        assert self._error is not None
        raise self._error

    @property
    def status(self) -> Optional[MonitorStatus]:
        """``MonitorStatus`` once done, else None."""
        return self._status

    @property
    def task(self) -> Any:
        """dispycos's ``DispycosTaskInfo.task``: the job's remote task once it
        started, else the job itself."""
        return self.rtask if self.rtask is not None else self

    @property
    def exception(self) -> Optional[BaseException]:
        return self._error

    def __call__(self, timeout: Optional[float] = None) -> Any:
        """``value = yield job()`` inside a picoos task; ``job()`` elsewhere blocks."""
        return in_task_or_blocking(self.value, timeout)

    def __repr__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"<Job {self.id} {self.name} {self.state}{where}>"

    def describe(self) -> dict:
        """A JSON-able summary for the web monitor."""
        return {"id": self.id, "name": self.name, "state": self.state,
                "node": self.node_name, "server": self.location, "tries": self.tries,
                "start": self.start_time, "end": self.end_time}


def in_task_or_blocking(fn: Any, *args: Any) -> Any:
    """Inside a picoos task return a trap that runs ``fn`` in the kernel's
    thread pool (so ``yield``/``await`` works); elsewhere call it now."""
    try:
        from picoos.kernel.scheduler import Pycos
        from picoos.kernel.threadpool import run_in_thread
    except ImportError:
        return fn(*args)
    if Pycos.cur_task() is None:
        return fn(*args)
    return run_in_thread(fn, *args)
