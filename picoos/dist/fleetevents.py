"""What the fleet tells a client about its nodes and servers.

The :class:`~picoos.dist.client.Client` mixes this in. The links of
:mod:`picoos.dist.fleet` (a reader task per node and per server control
link), the keeper and dispatcher (:mod:`picoos.dist.dispatch`) and the job
monitor (:mod:`picoos.dist.netjobs`) call these methods when a node is
discovered, rejoins, is suspended, closes or is lost, when a node starts a
server (which is then connected and set up in a task of its own) and when
a server is found, closed or lost. A lost server's jobs are queued again
(``retry``, up to ``max_tries``) or reported abandoned here; every change
reaches the program as a ``DispycosStatus`` message. A job's result is not
a fleet event: ``Client.job_result`` records it.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from picoos.dist.fleet import CLOSED, CLOSING, LOST, READY, SUSPENDED, NodeLink, ServerLink
from picoos.dist.jobs import ABANDONED, QUEUED
from picoos.dist.status import DispycosStatus, Scheduler, deliver

log = logging.getLogger("picoos.dist")


class FleetEvents:
    """Node and server lifecycle for :class:`~picoos.dist.client.Client`
    (uses its ``_lock``, ``_cv``, ``_nodes``, ``_servers``, queues,
    ``_rtasks``, ``_recent``, ``counts``, ``_errors``, ``targets``,
    ``_file_events``, ``_closed``, ``max_tries`` and ``status_task``, and
    ``_spawn``/``_find_entry``/``close_node`` of its other parts)."""

    def add_server(self, node: NodeLink, sid: int, port: int, pid: int,
                   srv: Optional[ServerLink] = None) -> None:
        srv = srv or ServerLink(node, sid, port, pid)
        with self._lock:
            node.servers[sid] = srv
        self._spawn(self._connect_server, srv)

    def _connect_server(self, srv: ServerLink, task: Any = None) -> Any:
        """A task: connect and set up one server, then find its job entry."""
        task.set_daemon()
        node = srv.node
        try:    # the node's first server runs node_setup while the others wait
            yield srv.connect(self)
        except Exception as exc:
            log.error("server %s not usable: %s", srv.location, exc)
            self._errors[node.key] = str(exc)
            srv.state = CLOSED
            srv.close()
            if srv.node_setup_failed:
                self.close_node(node.key, terminate=True)
            deliver(self.status_task, DispycosStatus(Scheduler.ServerAbandoned,
                                                     srv.loc or srv.location))
            return
        # the server takes jobs once its kernel's job entry is found (jobs then
        # reach it in the order they were dispatched)
        self._spawn(self._find_entry, srv)

    def server_discovered(self, srv: ServerLink) -> None:
        """The server told where its kernel listens (called while connecting)."""
        deliver(self.status_task, DispycosStatus(Scheduler.ServerDiscovered, srv.loc))

    def server_lost(self, srv: ServerLink, reason: str) -> None:
        with self._cv:
            if srv.state in (LOST, CLOSED):
                return
            was_closing = srv.state == CLOSING
            srv.state = CLOSED if was_closing else LOST
            self._servers.pop(srv.location, None)
            srv.node.servers.pop(srv.sid, None)
            lost = list(srv.inflight.values()) + list(srv.io_jobs.values())
            srv.inflight.clear()
            srv.io_jobs.clear()
            for rtask in [r for r, (_, s) in self._rtasks.items() if s is srv]:
                del self._rtasks[rtask]     # their MonitorStatus will never come
            rerun = []
            for job in lost:
                if job.done():
                    continue
                if job.retry and job.tries < self.max_tries and not self._closed:
                    job.state, job.server = QUEUED, None
                    rerun.append(job)
                    self.counts["rerun"] += 1
                else:
                    job._finish_lost(ABANDONED, f"server {srv.location} lost: {reason}")
                    self.counts["abandoned"] += 1
                    self._recent.append(job)
            for job in reversed(rerun):
                if job.where and job.where not in (srv.node.name, srv.node.addr, srv.node.key):
                    self._pinned.insert(0, job)
                else:
                    job.where = None   # its pinned server is gone: anywhere will do
                    self._queue.appendleft(job)
            self._cv.notify_all()
        srv.close()
        if lost:
            log.warning("server %s lost (%s): %d jobs queued again, %d abandoned",
                        srv.location, reason, len(rerun), len(lost) - len(rerun))
        deliver(self.status_task, DispycosStatus(
            Scheduler.ServerClosed if was_closing else Scheduler.ServerDisconnected,
            srv.loc or srv.location))
        for job in lost:
            job._wake()
            deliver(self.status_task, DispycosStatus(Scheduler.TaskAbandoned, job))

    def node_lost(self, node: NodeLink, reason: str) -> None:
        with self._cv:
            if node.state in (LOST, CLOSED):
                return
            closing = node.state == CLOSING
            node.state = CLOSED if closing else LOST
            servers = list(node.servers.values())
            self._cv.notify_all()
        log.warning("node %s (%s) %s: %s", node.name, node.key,
                    "closed" if closing else "lost", reason)
        for srv in servers:
            self.server_lost(srv, f"node {node.name} {reason}")
        node.close()
        self._errors[node.key] = reason
        deliver(self.status_task, DispycosStatus(
            Scheduler.NodeClosed if closing else Scheduler.NodeDisconnected, node.info()))

    def forget_node(self, node: NodeLink) -> None:
        """Stop dialling ``node`` (it closed us for good, e.g. zombie period)."""
        target = (node.addr, node.port)
        if target in self.targets:
            self.targets.remove(target)

    def node_discovered(self, node: NodeLink) -> None:
        with self._lock:
            old = self._nodes.get(node.key)
            if old is not None:
                node.done = old.done       # a node that rejoins keeps its tally
            self._nodes[node.key] = node
        deliver(self.status_task, DispycosStatus(Scheduler.NodeDiscovered, node.info()))

    def node_service(self, node: NodeLink, state: str) -> None:
        if state == "stop" and node.state == READY:
            node.state = SUSPENDED
            deliver(self.status_task, DispycosStatus(Scheduler.NodeSuspended, node.info()))

    def file_done(self, where: str, name: str, error: Optional[str]) -> None:
        event = self._file_events.pop((where, name), None)
        if event is not None:
            event.error = error
            event.set()
