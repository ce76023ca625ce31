"""Steering a client's fleet: which nodes and servers take jobs, and stopping jobs.

The :class:`~picoos.dist.client.Client` mixes this in; it is the part of
dispycos's client API that acts on nodes and servers rather than on jobs:
``nodes()``, ``servers()``, ``tasks()``, suspend/resume/enable/close/restart
of nodes and servers, ``terminate(job)`` and ``send_file``. Closing a node
or server waits for its running jobs unless told to terminate them.
"""
from __future__ import annotations

import os
import threading
from typing import Any, List, Optional

from picoos.dist import protocol as P
from picoos.dist.errors import DistError
from picoos.dist.fleet import CLOSING, READY, SUSPENDED, NodeLink, ServerLink, parse_address
from picoos.dist.jobs import QUEUED, TERMINATED, Job
from picoos.dist.status import DispycosStatus, Scheduler, deliver


class FleetControl:
    """Node and server control for :class:`~picoos.dist.client.Client`
    (uses its ``_lock``, ``_cv``, ``_nodes``, ``_servers``, queues and
    ``status_task``)."""

    def _node(self, node: str) -> NodeLink:
        for n in self._nodes.values():
            if node in (n.key, n.name, n.addr):
                return n
        raise ValueError(f"unknown node {node!r}; known nodes: {sorted(self._nodes)}")

    def _server(self, location: str) -> ServerLink:
        for n in self._nodes.values():
            for s in n.servers.values():
                if s.location == location:
                    return s
        raise ValueError(f"unknown server {location!r}; expected one of {self.servers()}")

    def nodes(self) -> List[str]:
        """Addresses (``host:port``) of the nodes in use."""
        return [n.key for n in self._nodes.values() if n.state in (READY, SUSPENDED)]

    def servers(self) -> List[str]:
        """Locations (``host:port``) of the servers ready for jobs."""
        return list(self._servers)

    def tasks(self, where: Optional[str] = None) -> List[Job]:
        """Jobs running now (on node/server ``where`` if given)."""
        with self._lock:
            out = []
            for n in self._nodes.values():
                for s in n.servers.values():
                    if where is None or where in (s.location, n.key, n.name, n.addr):
                        out.extend(s.inflight.values())
                        out.extend(s.io_jobs.values())
            return out

    def suspend_node(self, node: str) -> None:
        """Send no new jobs to ``node``; running ones finish."""
        n = self._node(node)
        if n.state == READY:
            n.state = SUSPENDED
            deliver(self.status_task, DispycosStatus(Scheduler.NodeSuspended, n.info()))

    def resume_node(self, node: str) -> None:
        n = self._node(node)
        if n.state == SUSPENDED:
            with self._cv:
                n.state = READY
                self._cv.notify_all()
            deliver(self.status_task, DispycosStatus(Scheduler.NodeResumed, n.info()))

    def enable_node(self, node: str, *setup_args: Any) -> None:
        """Use ``node`` (``host[:port]``): dial it if new, resume it if suspended."""
        if setup_args:
            self.node_setup_args = setup_args
        try:
            self.resume_node(node)
            return
        except ValueError:
            pass
        target = parse_address(node, self.node_port)
        if target not in self.targets:
            self.targets.append(target)

    def suspend_server(self, location: str) -> None:
        s = self._server(location)
        if s.state == READY:
            s.state = SUSPENDED
            deliver(self.status_task, DispycosStatus(Scheduler.ServerSuspended, location))

    def resume_server(self, location: str) -> None:
        s = self._server(location)
        if s.state == SUSPENDED:
            with self._cv:
                s.state = READY
                self._cv.notify_all()
            deliver(self.status_task, DispycosStatus(Scheduler.ServerResumed, location))

    enable_server = resume_server

    def close_server(self, location: str, terminate: bool = False, restart: bool = False) -> None:
        """Stop a server after its jobs (or terminating them); ``restart`` starts a new one."""
        s = self._server(location)
        s.state = CLOSING
        if terminate:
            for job in list(s.inflight.values()) + list(s.io_jobs.values()):
                self.terminate(job)
        self._drain_then(lambda: not s.inflight and not s.io_jobs,
                         lambda: s.node.send((P.CLOSE_SERVER, s.sid, terminate, restart)))

    def restart_server(self, location: str, terminate: bool = False) -> None:
        self.close_server(location, terminate=terminate, restart=True)

    def close_node(self, node: str, terminate: bool = False) -> None:
        """Stop using ``node`` after its jobs finish (or terminating them)."""
        n = self._node(node) if isinstance(node, str) else node
        target = (n.addr, n.port)
        if target in self.targets:
            self.targets.remove(target)
        n.state = CLOSING
        if terminate:
            for job in self.tasks(n.key):
                self.terminate(job)

        def finish() -> None:
            n.send((P.DETACH, terminate))
            self.node_lost(n, "closed by the client")
        self._drain_then(lambda: not self.tasks(n.key), finish)

    def restart_node(self, node: str, *setup_args: Any, terminate: bool = False) -> None:
        n = self._node(node)
        self.close_node(n.key, terminate=terminate)
        self.enable_node(n.key, *setup_args)

    def _drain_then(self, drained: Any, action: Any) -> None:
        def wait() -> None:
            with self._cv:
                while not drained():
                    self._cv.wait(0.5)
            action()
        threading.Thread(target=wait, daemon=True, name="drain").start()

    def terminate(self, job: Job) -> bool:
        """Terminate a queued or running job; True if it was not done yet."""
        with self._cv:
            if job.done():
                return False
            if job.state == QUEUED:
                for q in (self._queue, self._pinned):
                    if job in q:
                        q.remove(job)
                job._finish_lost(TERMINATED, "terminated before it started")
                self.counts["terminated"] += 1
                self._cv.notify_all()
                deliver(self.status_task, DispycosStatus(Scheduler.TaskTerminated, job))
                return True
            srv = job.server
            rtask = job.rtask
        if srv is not None:
            try:   # a plain-function job runs in a thread: the server stops it
                srv.send((P.TERMINATE, job.id))
            except OSError:
                pass
        if rtask is not None:
            rtask.terminate()     # a generator job is a task: end it
        return True

    def send_file(self, node: str, path: str, timeout: float = 60.0) -> None:
        """Copy a file into ``node``'s session directory (where jobs run)."""
        n = self._node(node)
        name = os.path.basename(path)
        event = threading.Event()
        event.error = None  # type: ignore[attr-defined]
        self._file_events[(n.key, name)] = event
        with open(path, "rb") as f:
            while True:
                data = f.read(P.FILE_CHUNK)
                last = len(data) < P.FILE_CHUNK
                if not n.send((P.FILE, name, data, last)):
                    raise ConnectionError(f"node {node} is not connected")
                if last:
                    break
        if not event.wait(timeout):
            raise TimeoutError(f"node {node} did not confirm file {name!r} in {timeout}s")
        if event.error:  # type: ignore[attr-defined]
            raise DistError(f"node {node} refused file {name!r}: {event.error}")

