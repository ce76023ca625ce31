"""The client's dispatcher and keeper: two small tasks on its networked kernel.

The :class:`~picoos.dist.client.Client` mixes this in. Jobs start on the
servers' kernels through the client's kernel, so choosing a server for a
job is done there too: the **dispatcher** task takes queued jobs to
servers with a free slot and starts them
(:meth:`~picoos.dist.netjobs.TaskJobs._launch`). A task of that kernel
that submits a job (``yield client.rtask(...)``) takes it to a server
itself when one is free (no dispatcher step in between), else wakes the
dispatcher without leaving the kernel's thread; a plain thread
(``client.run(...)``) wakes it through the kernel's thread-safe inbox. The
**keeper** task sends heartbeats, declares silent nodes lost and re-dials
lost ones every tick.

The keeper also starts a **dial** task per node to attach (connect,
handshake, files, ``node_setup``: :meth:`~picoos.dist.fleet.NodeLink.attach`)
and, when the client finds nodes by broadcast, the **discovery** task; it
ends both when the client closes.

Discussion: nothing here blocks the kernel's thread. Control links are
driven by tasks (:mod:`picoos.dist.clientlink`): a heartbeat is queued on
the node's link and written by its writer task, and code shipped after
start-up is sent and waited for in the kernel's thread pool, so a slow node
never stalls the jobs of the others.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, List, Optional, Tuple

from picoos.dist import protocol as P
from picoos.dist.errors import DistError
from picoos.dist.fleet import CLOSED, CLOSING, LOST, READY, SUSPENDED, NodeLink, ServerLink
from picoos.dist.jobs import QUEUED, RUNNING, Job
from picoos.dist.status import DispycosStatus, Scheduler, deliver

log = logging.getLogger("picoos.dist")

INSTALL_TIMEOUT = 120.0   # seconds a server has to install code shipped after start-up


class WakingCondition(threading.Condition):
    """The client's condition variable: a change that wakes its waiting
    threads also wakes the dispatcher task (``on_notify`` runs with the lock
    held, so it sees the queues as the change left them) and the tasks that
    asked with ``wake_task`` (a server's set-up waiting for its node's)."""

    def __init__(self, lock: Any, on_notify: Any):
        super().__init__(lock)
        self._on_notify = on_notify
        self._tasks: List[Any] = []     # tasks to send None at the next notify_all

    def wake_task(self, task: Any) -> None:
        """With the lock held: send ``task`` a message (None) at the next
        ``notify_all``; the task waits for it with ``receive``."""
        if task not in self._tasks:
            self._tasks.append(task)

    def drop_task(self, task: Any) -> None:
        """With the lock held: forget ``task`` (it no longer waits)."""
        if task in self._tasks:
            self._tasks.remove(task)

    def notify_all(self) -> None:
        super().notify_all()
        self._on_notify()
        if self._tasks:
            tasks, self._tasks = self._tasks, []
            for task in tasks:
                task.send(None)

    notifyAll = notify_all


class Dispatcher:
    """Dispatcher and keeper tasks for :class:`~picoos.dist.client.Client`
    (uses its ``_cv``, queues, ``_servers``, ``_nodes`` and targets)."""

    # -- waking the dispatcher ----------------------------------------------------------

    def _kick(self) -> None:
        # called with the lock held (WakingCondition.notify_all): wake the
        # dispatcher once for any number of changes, and only when jobs wait
        task = self._dispatch_task
        if task is not None and not self._kicked and (self._queue or self._pinned):
            self._kicked = True
            task.send(None)

    # -- choosing a server ----------------------------------------------------------------

    def _fits(self, srv: ServerLink, job: Job) -> bool:
        if srv.state != READY or srv.node.state != READY:
            return False
        if job.where and job.where not in (srv.location, srv.node.name, srv.node.addr,
                                           srv.node.key):
            return False
        if job.io:
            return True
        # as in dispycos, a task (generator) CPU job runs alone on its server
        # and the next one goes there only when it has ended; plain-function
        # jobs wait there up to ``prefetch`` deep (the server runs them in turn)
        if job.task_job or any(j.task_job for j in srv.inflight.values()):
            return not srv.inflight
        return len(srv.inflight) < self.prefetch

    def _pick(self) -> Tuple[Optional[Job], Optional[ServerLink]]:
        servers = list(self._servers.values())
        for i, job in enumerate(self._pinned):
            for srv in servers:
                if self._fits(srv, job):
                    del self._pinned[i]
                    return job, srv
        if self._queue:
            job = self._queue[0]
            best = None
            for srv in servers:
                if self._fits(srv, job) and (best is None or
                                             len(srv.inflight) < len(best.inflight)):
                    best = srv
            if best is not None:
                self._queue.popleft()
                return job, best
            # the first job waits for a free server; an I/O job behind it
            # needs no free slot and goes now (a dispycos io_rtask never
            # waits for CPU jobs)
            for i, job in enumerate(self._queue):
                if job.io:
                    srv = self._least_busy(servers, job)
                    if srv is None:
                        break
                    del self._queue[i]
                    return job, srv
        return None, None

    def _least_busy(self, servers: List[ServerLink], job: Job) -> Optional[ServerLink]:
        fit = [s for s in servers if self._fits(s, job)]
        return min(fit, key=lambda s: len(s.inflight) + len(s.io_jobs)) if fit else None

    # -- the dispatcher task ----------------------------------------------------------------

    def _take_jobs(self) -> List[Tuple[Job, ServerLink, list]]:
        """With the lock held: assign queued jobs to servers with a free slot."""
        picked: List[Tuple[Job, ServerLink, list]] = []
        while True:
            job, srv = self._pick()
            if job is None:
                return picked
            assert srv is not None
            job.state, job.server, job.location = RUNNING, srv, srv.location
            job.node_name = srv.node.name
            job.tries += 1
            job.start_time = time.time()
            (srv.io_jobs if job.io else srv.inflight)[job.id] = job
            payloads = self._payloads[srv.sent:] if srv.sent < len(self._payloads) else ()
            srv.sent = len(self._payloads)
            picked.append((job, srv, payloads))

    def _dispatch_loop(self, task: Any = None) -> Any:
        """Take queued jobs to servers with a free slot and start them."""
        task.set_daemon()
        while True:
            with self._cv:
                self._kicked = False
                picked = self._take_jobs()
                closed = self._closed
            for job, srv, payloads in picked:
                self._launch(job, srv, payloads)
            if closed and not picked:
                return 0
            # woken by _kick; the time-out only guards against a missed change
            yield task.receive(1.0)

    def _ship_code(self, job: Job, srv: ServerLink, payloads: list) -> bool:
        """In a pool thread: send code added after start-up and wait until
        the server installed it (a job that needs it comes on the kernel
        link); False when the server cannot be reached (the job is queued
        again)."""
        try:
            for payload in payloads:
                srv.send((P.INIT, payload))
            deadline = time.monotonic() + INSTALL_TIMEOUT
            with self._cv:
                while srv.installed < srv.sent and srv.state == READY:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise OSError(f"server {srv.location} did not install new code "
                                      f"within {INSTALL_TIMEOUT:g}s")
                    self._cv.wait(min(left, 0.5))
            return True
        except OSError as exc:
            with self._cv:       # never reached the server: safe to queue again
                (srv.io_jobs if job.io else srv.inflight).pop(job.id, None)
                if job.server is srv and not job.done():
                    job.tries -= 1
                    job.state, job.server = QUEUED, None
                    (self._pinned if job.where else self._queue).insert(0, job)
            self.server_lost(srv, f"send failed: {exc}")
            return False

    # -- the keeper task: heartbeats, liveness, dialling -------------------------------------

    def _keeper(self, task: Any = None) -> Any:
        from picoos.kernel.task import Task
        task.set_daemon()
        next_beat = 0.0
        tick = min(self.pulse_interval / 4.0, 0.5)
        finder = Task(self._discover) if self.discover else None
        while not self._closed:
            now = time.monotonic()
            with self._lock:
                nodes = list(self._nodes.values())
            beats = []
            for node in nodes:
                if node.state in (READY, SUSPENDED, CLOSING):
                    if now - node.last_heard > 3 * self.pulse_interval:
                        self.node_lost(node, "silent for 3 heartbeats")
                    elif now >= next_beat:
                        running = sum(len(s.inflight) + len(s.io_jobs)
                                      for s in node.servers.values())
                        beats.append((node, running + len(self._queue)))
            if now >= next_beat:
                next_beat = now + self.pulse_interval
            for target in self.targets:
                key = f"{target[0]}:{target[1]}"
                node = self._nodes.get(key)
                if node is not None and node.state not in (LOST,):
                    continue
                if key in self._dialling or now < self._next_dial.get(target, 0.0):
                    continue
                self._next_dial[target] = now + min(self.pulse_interval, 2.0)
                self._dialling[key] = Task(self._dial, target, key)
            for node, load in beats:
                node.send((P.HEARTBEAT, load))    # False: its reader reports the broken link
            # the keeper's tick; close() wakes it at once
            yield task.receive(tick)
        # closed: what is still being dialled or looked for is not wanted
        for other in [finder] + list(self._dialling.values()):
            if other is not None and other.is_alive():
                other.terminate()
        return 0

    def _discover(self, task: Any = None) -> Any:
        """Broadcast a ping every window and add the nodes that answer to the
        targets (the keeper dials them)."""
        from picoos.dist.discovery import Discoverer
        from picoos.drivers.asyncsocket import AsyncSocket, SocketTimeout
        from picoos.net.discovery import MAX_DATAGRAM
        task.set_daemon()
        finder = Discoverer(self.secret, self.udp_port)
        sock = AsyncSocket(finder.sock)
        window = min(self.pulse_interval, 2.0)
        try:
            while not self._closed:
                finder.ping()
                deadline = time.monotonic() + window
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    sock.settimeout(left)
                    try:
                        data, addr = yield sock.recvfrom(MAX_DATAGRAM + 1)
                    except SocketTimeout:
                        break
                    except OSError as exc:    # e.g. an ICMP error: try again next window
                        log.debug("discovery: %s", exc)
                        yield task.sleep(left)
                        break
                    found = finder.pong(data, addr)
                    if found is None:
                        continue
                    (host, port), name = found
                    wanted = not self.allocations or any(
                        a.matches(host, name, port) for a in self.allocations)
                    if wanted and (host, port) not in self.targets:
                        log.info("discovered node %s at %s:%d", name, host, port)
                        self.targets.append((host, port))
        finally:
            sock.close()

    def _dial(self, target: Tuple[str, int], key: str, task: Any = None) -> Any:
        """Attach to the node at ``target`` (a task the keeper starts)."""
        task.set_daemon()
        node = NodeLink(*target)
        attached = False
        try:
            count = yield node.attach(self)
            attached = True
            if count == 0:
                node.state = CLOSED
                deliver(self.status_task, DispycosStatus(Scheduler.NodeIgnore, node.info()))
                return
            self._errors.pop(key, None)
            if self._closed:     # close() came while attaching: it did not see this node
                self._servers_closing(node)
                node.state = CLOSING
                node.send((P.DETACH, False))
                self.node_lost(node, "client closed")
        except (OSError, EOFError, DistError, TimeoutError) as exc:
            node.state = LOST
            self._errors[key] = f"{type(exc).__name__}: {exc}"
            log.debug("node %s not attached: %s", key, exc)
        finally:
            if not attached:
                node.close()
            if self._dialling.get(key) is task:
                del self._dialling[key]
