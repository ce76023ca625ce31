"""The job side of a server process: starting, stopping and serving a job.

:mod:`picoos.dist.server` is the process (its settings, shipped code,
session and client link); this module is what happens per job there:

- :func:`job_entry`, the body of every job task, registered on the
  server's networked kernel as the RPS ``JOB_ENTRY``: it picks the shipped
  function, runs a generator job's code in a thread of its own
  (:mod:`picoos.dist.jobthread`) and a plain function in the kernel's pool,
  CPU jobs one at a time;
- :class:`JobControl`, the server's job-stopping part: ``terminate``
  (JobTerminated raised in a plain job's thread, KeyboardInterrupt then
  termination for a generator job when the client closes) and, for a job
  that ignores it, ending the process after handing the waiting jobs back;
- what a job's code may call: :func:`send_file`,
  :func:`dispycos_close_server`, :func:`dispycos_close_node` and
  :func:`current_job_id` (also importable from :mod:`picoos.dist.server`).

Every function here finds the process's server in ``_current``, which
:func:`picoos.dist.server.main` sets before any job can start.
"""
from __future__ import annotations

import os
import socket
import threading
from typing import TYPE_CHECKING, Any, Optional, Tuple

from picoos.dist import protocol as P
from picoos.dist.errors import DistError, JobTerminated

if TYPE_CHECKING:
    from picoos.dist.server import Server

_current: "Optional[Server]" = None   # this process's server (set by server.main)
TERMINATE_GRACE = 0.5   # seconds a running job has to honour JobTerminated
FILE_ACK_TIMEOUT = 120.0  # seconds the client has to confirm a file from send_file()
_job_ctx = threading.local()


def send_file(path: str, name: Optional[str] = None) -> None:
    """Send ``path`` (a file on this server) to the client, as ``name``.

    Call it from inside a plain-function job (it blocks until the client
    has the file, so the file is there before the job's result, which
    travels over the kernel link). Generator jobs use the kernel's
    ``yield pycos.Pycos().send_file(location, path)`` instead. Raises
    DistError outside a job or when the client refused the file,
    TimeoutError when the client does not confirm it in time.
    """
    server = _current
    if server is None or server.link is None:
        raise DistError("send_file() works only inside a job running on a picoos server")
    name = name or os.path.basename(path)
    done = threading.Event()
    server.file_acks[name] = done
    with open(path, "rb") as f:
        while True:
            data = f.read(P.FILE_CHUNK)
            last = len(data) < P.FILE_CHUNK
            server.link.send((P.FILE, name, data, last))
            if last:
                break
    if not done.wait(FILE_ACK_TIMEOUT):
        raise TimeoutError(f"the client did not confirm file {name!r} within "
                           f"{FILE_ACK_TIMEOUT:g}s")
    error = server.file_acks.pop(name, None)
    if isinstance(error, str):
        raise DistError(f"the client refused file {name!r}: {error}")


def dispycos_close_server(terminate: bool = False, restart: bool = False) -> None:
    """Close this server, from a job (a dispycos name, visible to shipped code).

    The client stops sending jobs here and asks the node to stop the
    process once its jobs are done (``terminate``: ends them now);
    ``restart`` (or the client's ``restart_servers``) has the node start a
    fresh server in its place. Raises DistError outside a server.
    """
    _to_client((P.SERVER_CLOSE, bool(terminate), bool(restart)))


def dispycos_close_node(terminate: bool = False) -> None:
    """Release this node from the client, from a job (a dispycos name):
    every server of the node closes after its jobs (``terminate``: now)."""
    _to_client((P.NODE_CLOSE, bool(terminate)))


def _to_client(msg: tuple) -> None:
    server = _current
    if server is None or server.link is None:
        raise DistError(f"{msg[0]} works only inside a job running on a picoos server")
    server.reply(msg)


def current_job_id() -> Optional[int]:
    """The id of the job running in this thread, or None."""
    return getattr(_job_ctx, "job_id", None)


class JobControl:
    """Running and stopping jobs, for :class:`~picoos.dist.server.Server`
    (uses its ``kernel``, ``link``, ``reply``, ``threads``, ``job_tasks``,
    ``job_code``, ``waiting``, ``cancelled`` and ``exiting``)."""

    def call_plain(self, job_id: int, fn: Any, args: tuple, kwargs: dict) -> Any:
        """Run a plain-function job in a pool thread (called via run_in_thread)."""
        self.threads[job_id] = threading.get_ident()
        _job_ctx.job_id = job_id
        try:
            return fn(*args, **kwargs)
        finally:
            _job_ctx.job_id = None
            self.threads.pop(job_id, None)

    def terminate(self, job_id: int, grace: Optional[float] = None) -> None:
        """Stop a plain-function job running in a thread (generator jobs are
        ended by the client with ``rtask.terminate()``). With ``grace`` (the
        client closes with terminate=True), a generator job gets
        KeyboardInterrupt first, as on a closing dispycos server: it may catch
        it and finish within ``grace`` seconds, else it is terminated."""
        kernel = self.kernel
        if kernel is not None and threading.get_ident() != kernel._tid:
            # Discussion: a job's start reply may leave before its task's
            # first step (which records it in job_tasks); the task was ready
            # before that, so in the kernel's thread the step has run
            kernel._threadsafe(self.terminate, job_id, grace)
            return
        task = self.job_tasks.get(job_id)
        if grace is not None and task is not None:
            if job_id not in self.job_code:
                # its code has not started: interrupt it once it has, where
                # it can catch the KeyboardInterrupt
                from picoos.kernel.task import Task
                Task(self._interrupt_when_started, job_id, grace)
                return
            self._interrupt(task, grace)
            return
        ident = self.threads.get(job_id)
        if ident is not None:
            # raise JobTerminated inside the thread at its next bytecode; a job
            # blocked in C (time.sleep, a socket) never gets there, hence the timer
            import ctypes
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(JobTerminated))
            timer = threading.Timer(TERMINATE_GRACE, self._force_stop, args=(job_id,))
            timer.daemon = True
            timer.start()
        else:
            self.cancelled.add(job_id)

    @staticmethod
    def _interrupt(task: Any, grace: float) -> None:
        task.throw(KeyboardInterrupt)
        timer = threading.Timer(grace, task.terminate)
        timer.daemon = True
        timer.start()

    def _interrupt_when_started(self, job_id: int, grace: float, task: Any = None) -> Any:
        task.set_daemon()
        while job_id in self.job_tasks and job_id not in self.job_code:
            yield task.sleep(0.005)
        job = self.job_tasks.get(job_id)
        if job is not None:
            self._interrupt(job, grace)

    def _force_stop(self, job_id: int) -> None:
        """The job ignored JobTerminated: end this process (the node starts a
        fresh server) after handing the jobs waiting here back to the client."""
        if job_id not in self.threads:
            return
        self.reply((P.LEAVING,))          # first, so the client sends nothing more here
        self.reply((P.RESULT, job_id, P.TERMINATED, None))
        for waiting in list(self.waiting):
            self.reply((P.RESULT, waiting, P.REQUEUE, None))
        # Discussion: exiting now could reset the connection and drop these
        # replies in the client's receive queue; send FIN instead and exit when
        # the client closes its end (or after a bound).
        self.exiting = True
        link = self.link
        if link is not None:
            try:
                link.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        timer = threading.Timer(5.0, os._exit, args=(0,))
        timer.daemon = True
        timer.start()


JOB_ENTRY = "picoos.dist.job"   # the RPS name clients start jobs with


def job_entry(job_id: int, ref: Tuple[str, str], args: tuple, kwargs: dict, io: bool,
              monitor: Any, task: Any = None) -> Any:
    """The body of every job task (registered as the RPS ``JOB_ENTRY``).

    ``monitor`` (the client's job monitor, a remote task) becomes this
    task's monitor before anything can fail, so the client always learns how
    the job ended. ``ref`` names a function the client shipped; nothing else
    can be run. A generator function runs as a sub-call of this task, so
    ``task`` inside the job is the task the client holds a reference to.
    """
    server = _current
    if monitor is not None:
        task.notify(monitor)
    if server is None:
        raise DistError("job entry called outside a picoos server process")
    if job_id in server.cancelled:
        server.cancelled.discard(job_id)
        raise JobTerminated(f"job {job_id} was terminated before it started")
    fn = server.lookup(ref)
    code = getattr(fn, "__code__", None)
    if code is not None and code.co_flags & _KERNEL_FLAGS:
        if _takes_task(code) and "task" not in kwargs:
            kwargs = dict(kwargs, task=task)
        from picoos.dist.jobthread import Pace, run_threaded
        server.job_tasks[job_id] = task
        pace = server.paces.get(ref)
        if pace is None:
            pace = server.paces[ref] = Pace(getattr(fn, "__qualname__", str(ref)))
        if not pace.inline():
            # one turn first: the reply that gives the client this task
            # (queued just before it started) goes out before the job's
            # thread competes with this kernel's thread
            yield None
        try:
            # the job's code runs in a thread of its own, so a job that blocks
            # between two yields (time.sleep, a computation) never stops this
            # kernel's heartbeats and links; its traps still run in this task.
            # A function whose steps proved short runs them here instead.
            server.job_code.add(job_id)
            return (yield run_threaded(fn(*args, **kwargs), pace))
        finally:
            server.job_tasks.pop(job_id, None)
            server.job_code.discard(job_id)
    from picoos.kernel.threadpool import run_in_thread
    if io:
        return (yield run_in_thread(server.call_plain, job_id, fn, args, kwargs))
    server.waiting.add(job_id)
    try:
        yield server.cpu_lock.acquire()
    finally:
        server.waiting.discard(job_id)
    try:
        if job_id in server.cancelled:
            server.cancelled.discard(job_id)
            raise JobTerminated(f"job {job_id} was terminated before it started")
        return (yield run_in_thread(server.call_plain, job_id, fn, args, kwargs))
    finally:
        server.cpu_lock.release()


def _takes_task(code: Any) -> bool:
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    return "task" in names


# CO_GENERATOR | CO_COROUTINE: checked directly, since importing inspect costs
# a server process ~20 ms at start-up on a small board
_KERNEL_FLAGS = 0x20 | 0x80
