"""The client's side of jobs as tasks: its kernel, starting a job, reading its end.

A job runs as a picoos task on a server's networked kernel (see
:mod:`picoos.dist.server`). This module is the small glue on the client's
networked kernel that :class:`~picoos.dist.client.Client` uses: which
kernel to use (the program's default one, networked; created here with the
client's secret when the program has none yet), how a job is started
through the server's registered job entry (an RPS, so only after the
kernels authenticated each other), and what a job's ``MonitorStatus``
means for the client's bookkeeping.
"""
from __future__ import annotations

import logging
import pickle
import threading
from typing import Any, Optional, Tuple

from picoos.dist import protocol as P
from picoos.dist.errors import DistError, JobTerminated
from picoos.dist.fleet import READY, SUSPENDED, ServerLink
from picoos.dist.jobs import QUEUED, Job
from picoos.dist.status import DispycosStatus, Scheduler, deliver

log = logging.getLogger("picoos.dist")

START_TIMEOUT = 30.0   # seconds a server's kernel has to find and start the job entry


def client_kernel(client: Any) -> Tuple[Any, bool]:
    """The networked kernel the client's jobs start from, and whether it is
    the client's own.

    The program's default kernel when it is networked (``import
    picoos.dispycos`` or ``picoos.netpycos`` made it so) and has the
    client's secret: then job tasks and the program's tasks can message each
    other. Otherwise (no kernel yet, a plain one, another secret) a private
    networked kernel with the client's secret and TLS files, which the client
    runs in a thread of its own; that suits programs that use the client
    from plain threads (``job.result()``).
    """
    from picoos.kernel import context
    from picoos.net import NetKernel
    from picoos.net.auth import secret_bytes
    kernel = context.default
    if kernel is not None and not kernel._quit and isinstance(kernel, NetKernel) and \
            secret_bytes(client.secret) == kernel._secret:
        return kernel, False
    if client.ssl_context is not None and not client.certfile:
        # a server's kernel also connects to the client's kernel (to send
        # messages and MonitorStatus), so that kernel must accept TLS too
        raise DistError("TLS needs the client's own certfile/keyfile as well as cafile: the "
                        "servers' kernels connect back to the client's kernel over TLS")
    kwargs = {}
    if client.certfile:
        kwargs.update(certfile=client.certfile, keyfile=client.keyfile or None,
                      cafile=client.cafile or None)
    kernel = NetKernel(name=client.name, secret=client.secret, discover_peers=False, udp_port=0,
                       **kwargs)
    return kernel, True


def find_entry(srv: Any):
    """Sub-call: connect to server ``srv``'s kernel and find its job entry;
    True when found (kept in ``srv.rps``)."""
    from picoos.net import RPS
    from picoos.dist.server import JOB_ENTRY
    rps = yield RPS.locate(JOB_ENTRY, srv.loc, START_TIMEOUT)
    if not isinstance(rps, RPS):
        log.warning("server %s: no job entry found on its kernel", srv.location)
        return False
    srv.rps = rps
    return True


def outcome(status: Any) -> Tuple[Optional[str], Any]:
    """A job task's MonitorStatus as (state, value) for ``Client.job_result``.

    State None means the server's kernel was lost (the server's loss
    decides what happens to the job: run again or abandoned).
    """
    from picoos.net.errors import PeerLostError
    kind = status.type
    # a terminated task's status has type StopIteration (pycos semantics)
    # and is marked `terminated`
    if getattr(status, "terminated", False) or kind is JobTerminated:
        return P.TERMINATED, None
    if kind is StopIteration:
        return P.OK, status.value
    if kind is PeerLostError:
        return None, status.value
    tb = status.value if isinstance(status.value, str) else repr(status.value)
    name = getattr(kind, "__name__", str(kind))
    last = tb.strip().splitlines()[-1] if tb.strip() else name
    message = last.split(": ", 1)[1] if last.startswith(name) and ": " in last else last
    blob = None
    if isinstance(kind, type) and issubclass(kind, BaseException):
        try:
            blob = pickle.dumps(kind(message))
        except Exception:      # an exception class that needs other arguments
            blob = None
    return P.ERROR, (name, message, tb, blob)


class TaskJobs:
    """The Client's jobs-as-tasks part (a mixin of :class:`~picoos.dist.client.Client`).

    These methods run on the client's networked kernel: one task creates the
    tasks plain threads ask for, one receives every job's MonitorStatus, one
    watches peers going offline. Starting a job is one request whose reply
    is handled as it is read (``_job_started``); a task per job only when its
    server still needs code or its job entry found first.
    """

    def _wait_started(self, job: Job, task: Any = None) -> Any:
        # a sub-call of the caller's task: sleep until the job's remote task
        # exists (the job monitor resumes us) or the job ended without one
        from picoos.kernel import context
        me = context.current_task()
        while job.rtask is None and not job.done():
            job._waiters.append(me)
            try:
                yield me.suspend(1.0)
            finally:
                if me in job._waiters:
                    job._waiters.remove(me)
        return job.rtask

    def _start_net(self) -> None:
        self._kernel, own = client_kernel(self)
        ready = threading.Event()
        if own:
            threading.Thread(target=self._kernel.run, args=(self._net_main, ready, own),
                             daemon=True, name="client-kernel").start()
        else:
            from picoos.kernel.task import Task
            Task(self._net_main, ready, own)
        if not ready.wait(30.0):
            raise DistError("the client's networked kernel did not start within 30s")

    def _net_main(self, ready: threading.Event, own: bool, task: Any = None) -> Any:
        """The client's first task on its kernel: starts the job monitor, the
        peer watcher, the dispatcher and the keeper, then creates the tasks
        other threads ask for (a task made in a plain thread would belong to
        the default kernel)."""
        from picoos.kernel.task import Task
        if not own:
            task.set_daemon()
        self._spawner = task
        self._monitor = Task(self._job_monitor)
        self._kernel.peer_status(Task(self._peer_watcher))
        self._dispatch_task = Task(self._dispatch_loop)
        self._keeper_task = Task(self._keeper)
        ready.set()
        while True:
            msg = yield task.receive()
            if msg is None:
                return 0
            fn, args = msg
            Task(fn, *args)

    def _spawn(self, fn: Any, *args: Any) -> None:
        self._spawner.send((fn, args))

    def _launch(self, job: Job, srv: ServerLink, payloads: list) -> None:
        """Start a job just taken to ``srv`` (in the kernel's thread, without
        the client's lock): at once when the server has its code and its
        job entry is known, else through a task that sees to those first."""
        if payloads or srv.installed < srv.sent or srv.rps is None:
            from picoos.kernel.task import Task
            Task(self._start_job, job, srv, payloads)
        else:
            self._post_start(job, srv)

    def _start_job(self, job: Job, srv: ServerLink, payloads: list, task: Any = None) -> Any:
        if payloads or srv.installed < srv.sent:
            # code added after start-up goes first, on the control link, and
            # every job waits until the server installed it
            from picoos.kernel.threadpool import run_in_thread
            if not (yield run_in_thread(self._ship_code, job, srv, payloads)):
                return
        if srv.rps is None and not (yield find_entry(srv)):
            self._job_started(job, srv, None)
            return
        self._post_start(job, srv)

    def _post_start(self, job: Job, srv: ServerLink) -> None:
        # one request to the server's job entry; no task waits for the reply:
        # _job_started runs as it is read. The job monitor is the new task's
        # watcher, made its monitor on the server before the task runs (so
        # the job entry needs no monitor argument)
        call = (job.id, job.ref, job.args, job.kwargs, job.io, None)
        if srv.rps._call_then(call, {}, self._monitor,
                              lambda rtask: self._job_started(job, srv, rtask)) != 0:
            self._job_started(job, srv, None)

    def _job_started(self, job: Job, srv: ServerLink, rtask: Any) -> None:
        """The server's answer to a job start: its remote task; None when
        its kernel could not be reached or refused (the job may run
        elsewhere); the exception that kept the job from being sent (its
        arguments do not pickle)."""
        error = None
        if isinstance(rtask, BaseException):
            import traceback
            exc, rtask = rtask, None
            error = (type(exc).__name__, f"arguments of job {job.id} cannot be sent: {exc}",
                     "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
                     None)
        if rtask is None:
            with self._cv:
                running = job.server is srv and not job.done()
                if running:
                    (srv.io_jobs if job.io else srv.inflight).pop(job.id, None)
                    if error is None:     # never started: run it elsewhere
                        job.tries -= 1
                        job.state, job.server = QUEUED, None
                        (self._pinned if job.where else self._queue).insert(0, job)
                    else:                 # e.g. arguments that cannot be pickled
                        job._finish_error(error)
                        self.counts["failed"] += 1
                        self._recent.append(job)
                    self._cv.notify_all()
            job._wake()
            if running and error is None:
                self.server_lost(srv, "its kernel did not start the job")
            elif running:
                deliver(self.status_task, DispycosStatus(Scheduler.TaskFinished, job))
            return
        with self._cv:
            current = job.server is srv and not job.done()
            if current:
                job.rtask = rtask
                self._rtasks[rtask] = (job, srv)
        if not current:        # the server was lost while the job started
            rtask.terminate()
            return
        job._wake()
        deliver(self.status_task, DispycosStatus(Scheduler.TaskStarted, job))

    def _job_monitor(self, task: Any = None) -> Any:
        from picoos.kernel.task import MonitorStatus, Task
        task.set_daemon()
        while True:
            msg = yield task.receive()
            if not isinstance(msg, MonitorStatus):
                continue
            # Discussion: a job that ends at once has its MonitorStatus in the
            # same batch as the reply that started it, right after it (the
            # server posts the reply before the task runs). The reader hands
            # the reply to _job_started, which registers the rtask, before
            # it reads the status, so the entry is there.
            with self._lock:
                entry = self._rtasks.pop(msg.info, None)
            if entry is None:       # a job whose server was lost meanwhile
                continue
            job, srv = entry
            state, value = outcome(msg)
            if state is None:          # its server was lost: the server's loss decides
                self.server_lost(srv, str(msg.value))
                continue
            self.job_result(srv, job.id, state, value)
            if isinstance(self.status_task, Task):
                self.status_task.send(msg)      # dispycos tells the status task too

    def _peer_watcher(self, task: Any = None) -> Any:
        from picoos.net import PeerStatus
        task.set_daemon()
        while True:
            msg = yield task.receive()
            if not isinstance(msg, PeerStatus) or msg.status != PeerStatus.Offline:
                continue
            with self._lock:
                lost = [s for n in self._nodes.values() for s in n.servers.values()
                        if s.loc == msg.location]
            for srv in lost:
                self.server_lost(srv, "its kernel's link dropped")

    def _find_entry(self, srv: ServerLink, task: Any = None) -> Any:
        ok = yield find_entry(srv)
        node = srv.node
        if not ok:
            self._errors[node.key] = f"server {srv.location}: its kernel has no job entry"
            self.server_lost(srv, "its kernel could not be reached")
            return
        with self._cv:
            if node.state not in (READY, SUSPENDED) or self._closed or srv.state != READY:
                srv.close()
                return
            self._servers[srv.location] = srv
            self._cv.notify_all()
        deliver(self.status_task, DispycosStatus(Scheduler.ServerInitialized, srv.loc))
