"""Steering a client's fleet: which nodes and servers take jobs, and stopping jobs.

The :class:`~picoos.dist.client.Client` mixes this in; it is the part of
dispycos's client API that acts on nodes and servers rather than on jobs:
``nodes()``, ``servers()``, ``tasks()``, enable/suspend/resume/close/restart
of nodes and servers, ``node_allocate``, ``abandon_zombie``,
``terminate(job)`` and ``send_file``. As in dispycos, the control calls
return at once (``yield client.enable_node(...)`` in a task gives None) and
report what happened through status messages; a node or server the client
does not know is an error here (ValueError naming the known ones), not a
silent no-op. Closing a node or server waits for its running jobs unless
told to terminate them. As in dispycos, ``servers()`` gives the servers'
Locations, ``nodes()`` the IP addresses of the nodes in use (set up, not
suspended or closed; one entry per node, so two nodes sharing an address
appear twice) and ``tasks(where)`` the remote tasks of the jobs running
there (what ``yield client.rtask(...)`` gave); the client's own
:class:`~picoos.dist.jobs.Job` records are ``_running_jobs()``.

A node is named by its address (``"192.168.1.7"``, or a host name that
resolves to it: the first node there), the ``Location`` of the node
(``avail_info.location``) or of any of its servers, ``"addr:port"`` of its
daemon or its name; a server by its ``Location`` or ``"addr:port"`` string.

Discussion: with ``disable_nodes`` a node is attached and its servers are
started (so its Location, the first server's kernel, can take files: until
code is installed there they land in the session folder, where
``node_setup`` runs and which is the parent of every server's folder), but
no server is set up or used until ``enable_node``; with
``disable_servers`` (and a ``server_setup``) each server waits, its code
installed, for ``enable_server``. A waiting server holds no lock the others
need, so enabling them in any order works.
"""
from __future__ import annotations

import os
import threading
from typing import Any, List, Optional

from picoos.dist import protocol as P
from picoos.dist.allocate import DispycosNodeAllocate
from picoos.dist.errors import DistError, SetupError
from picoos.dist.fleet import (CLOSED, CLOSING, LOST, READY, SUSPENDED, NodeLink, ServerLink,
                               parse_address)
from picoos.dist.jobs import QUEUED, TERMINATED, Job
from picoos.dist.status import DispycosStatus, Scheduler, deliver


# the longest default zombie period a node gets for abandon_zombie (seconds)
MAX_ZOMBIE_PERIOD = 50.0


def _host_address(name: str) -> Optional[str]:
    """The IP address a host name resolves to, or None."""
    if not name or ":" in name:
        return None
    import socket
    try:
        return socket.gethostbyname(name)
    except (OSError, UnicodeError):
        return None


def _where(value: Any) -> str:
    """A node/server reference (Location or string) as a string."""
    if isinstance(value, str):
        return value
    if hasattr(value, "addr") and hasattr(value, "port"):
        return f"{value.addr}:{value.port}"
    raise TypeError(f"{value!r} is a {type(value).__name__}; expected a Location or "
                    f"an 'addr[:port]' / name string")


class FleetControl:
    """Node and server control for :class:`~picoos.dist.client.Client`
    (uses its ``_lock``, ``_cv``, ``_nodes``, ``_servers``, queues and
    ``status_task``)."""

    # -- finding nodes and servers ------------------------------------------------------

    def _matching_nodes(self, node: Any) -> List[NodeLink]:
        """The nodes ``node`` names (see the module docstring), best match first."""
        key = _where(node)
        nodes = list(self._nodes.values())
        found = [n for n in nodes if key == n.key or (n.loc is not None and key == str(n.loc))
                 or any(s.location == key for s in n.servers.values())]
        if found:
            return found
        if isinstance(node, str):
            found = [n for n in nodes if key in (n.name, n.addr)]
            if found:
                return found
            addr = _host_address(key)
        else:
            addr = node.addr        # a Location of no known server: its node's address
        return [n for n in nodes if n.addr == addr] if addr else []

    def _node(self, node: Any, prefer: Optional[Any] = None) -> NodeLink:
        """The node named by ``node``; among several at one address, the
        first for which ``prefer(node)`` is true."""
        if isinstance(node, NodeLink):
            return node
        found = self._matching_nodes(node)
        if found:
            if prefer is not None:
                for n in found:
                    if prefer(n):
                        return n
            return found[0]
        raise ValueError(f"unknown node {_where(node)!r}; known nodes: {sorted(self._nodes)}")

    def _server(self, location: Any) -> ServerLink:
        key = _where(location)
        for n in self._nodes.values():
            for s in n.servers.values():
                if s.location == key:
                    return s
        raise ValueError(f"unknown server {key!r}; expected one of "
                         f"{[s.location for n in self._nodes.values() for s in n.servers.values()]}")

    def preset_node_args(self, node: NodeLink) -> Optional[tuple]:
        """node_setup arguments given with enable_node/restart_node before
        ``node`` attached (it is then enabled at once), else None."""
        args = self._node_args.pop((node.addr, node.port), None)
        if args is None:
            args = self._node_args.pop((node.addr, None), None)
        return args

    # -- lists ----------------------------------------------------------------------------

    def nodes(self) -> List[str]:
        """IP addresses of the nodes in use: set up for this client, not
        suspended or closed (as dispycos's ``yield client.nodes()``)."""
        return [n.addr for n in self._nodes.values()
                if n.state == READY and n.enabled and n.setup_done]

    def servers(self) -> List[Any]:
        """Locations of the servers ready for jobs (``str()`` gives ``host:port``)."""
        return [s.loc for s in self._servers.values()]

    def tasks(self, where: Optional[Any] = None) -> List[Any]:
        """Remote tasks of the jobs running now (as dispycos's ``yield
        client.tasks(where)``): on the node or server ``where`` names (an
        address, host name, Location, ``"addr:port"`` or node name), or
        everywhere when it is None. A job counts once its task has started."""
        return [job.rtask for job in self._running_jobs(where) if job.rtask is not None]

    def _running_jobs(self, where: Optional[Any] = None) -> List[Job]:
        """The client's records of the jobs on servers now (at ``where``:
        a NodeLink or what ``tasks()`` takes), started or being started."""
        with self._lock:
            nodes = list(self._nodes.values())
            server_key = None
            if isinstance(where, NodeLink):
                nodes = [where]
            elif where is not None:
                server_key = _where(where)
                nodes = self._matching_nodes(where)
            out = []
            for n in nodes:
                servers = list(n.servers.values())
                if any(s.location == server_key for s in servers):
                    servers = [s for s in servers if s.location == server_key]
                for s in servers:
                    out.extend(s.inflight.values())
                    out.extend(s.io_jobs.values())
            return out

    # -- nodes ------------------------------------------------------------------------------

    def enable_node(self, node: Any, *setup_args: Any) -> None:
        """Use ``node``: set up a node held back by ``disable_nodes``
        (``node_setup(*setup_args)`` runs there; without arguments it gets
        the client's ``node_setup_args``), resume a suspended one, or dial
        an address the client does not know yet (``"host[:port]"``): it is
        used, set up with these arguments, as soon as it attaches."""
        args = setup_args if setup_args else None
        try:
            n = self._node(node, prefer=lambda n: not n.enabled)
        except ValueError:
            if not isinstance(node, str):
                raise
            host, port = parse_address(node, 0)
            self._node_args[(host, port or None)] = args if args is not None else \
                self.node_setup_args
            if not port and any(t[0] == host for t in self.targets):
                return            # a node being dialled there gets the arguments
            target = (host, port or self.node_port)
            if target not in self.targets:
                self.targets.append(target)
            return
        if n.state in (LOST, CLOSED):
            self._node_args[(n.addr, n.port)] = args if args is not None else \
                self.node_setup_args
            self._dial_again(n)
        elif not n.enable(self, args):
            self.resume_node(n.key)

    def suspend_node(self, node: Any) -> None:
        """Send no new jobs to ``node``; running ones finish."""
        n = node if isinstance(node, NodeLink) else \
            self._node(node, prefer=lambda n: n.state == READY)
        if n.state == READY:
            n.state = SUSPENDED
            deliver(self.status_task, DispycosStatus(Scheduler.NodeSuspended, n.info()))

    def resume_node(self, node: Any) -> None:
        """Send jobs to a suspended ``node`` again."""
        n = node if isinstance(node, NodeLink) else \
            self._node(node, prefer=lambda n: n.state == SUSPENDED)
        if n.state == SUSPENDED:
            with self._cv:
                n.state = READY
                self._cv.notify_all()
            deliver(self.status_task, DispycosStatus(Scheduler.NodeResumed, n.info()))

    def close_node(self, node: Any, terminate: bool = False) -> None:
        """Stop using ``node`` after its jobs finish (or terminating them)."""
        n = node if isinstance(node, NodeLink) else self._node(node)
        target = (n.addr, n.port)
        if target in self.targets:
            self.targets.remove(target)
        n.state = CLOSING
        if terminate:
            for job in self._running_jobs(n):
                self.terminate(job)

        def finish() -> None:
            self._servers_closing(n)
            n.send((P.DETACH, terminate))
            self.node_lost(n, "closed by the client")
        self._drain_then(lambda: not self._running_jobs(n), finish)

    def _servers_closing(self, n: NodeLink) -> None:
        """Mark ``n``'s servers as closing: when its link ends they are
        reported closed (ServerClosed), not disconnected."""
        with self._lock:
            for s in n.servers.values():
                if s.state not in (LOST, CLOSED):
                    s.state = CLOSING

    def restart_node(self, node: Any, *setup_args: Any, terminate: bool = False) -> None:
        """Close ``node`` (after its jobs, or terminating them) and start
        over with fresh servers; ``node_setup`` runs again, with
        ``setup_args`` when given (else the node's last ones)."""
        n = self._node(node)
        self._node_args[(n.addr, n.port)] = tuple(setup_args) if setup_args else n.setup_args
        self.close_node(n, terminate=terminate)
        self._drain_then(lambda: n.state in (CLOSED, LOST), lambda: self._dial_again(n))

    def _dial_again(self, n: NodeLink) -> None:
        # a closed node is forgotten, so that the keeper dials its address anew
        with self._lock:
            if self._nodes.get(n.key) is n and n.state == CLOSED:
                del self._nodes[n.key]
        target = (n.addr, n.port)
        if target not in self.targets:
            self.targets.append(target)

    def node_allocate(self, node_allocate: DispycosNodeAllocate) -> int:
        """Add an allocation filter ahead of the others (replacing one for
        the same node); one naming a single node is also dialled. 0 when
        taken, -1 for a non-filter or before ``schedule()``."""
        if not isinstance(node_allocate, DispycosNodeAllocate) or not self._scheduled:
            return -1
        self.allocations[:] = [node_allocate] + [a for a in self.allocations
                                                 if a.node != node_allocate.node]
        if not node_allocate.is_pattern:
            target = (node_allocate.node, node_allocate.port or self.node_port)
            if target not in self.targets:
                self.targets.append(target)
        return 0

    def abandon_zombie(self, location: Any, flag: bool) -> None:
        """Whether the node at ``location`` (None: every node, now and
        later) may give this client up as a zombie.

        As on a dispycos node, the flag lets a node end the session of a
        client that has left it idle (no job running) for the zombie period:
        the client's ``zombie_period`` or, without one, ten heartbeats (at
        most 50 s); its servers and files are then freed and the client
        reports it closed. A node's own ``--zombie-period`` applies whatever
        the flag. A node that stops answering is given up after three
        missed heartbeats either way (its jobs are abandoned, or run again
        with ``retry``), as dispycos's scheduler abandons a zombie node.
        """
        flag = bool(flag)
        flags = self._zombie_flags()
        if location is None:
            self.abandon_zombie_nodes = flag
            flags.clear()                        # the client's flag for every node
            nodes = list(self._nodes.values())
            for n in nodes:
                n.abandon_zombie = None
        else:
            n = self._node(location)
            n.abandon_zombie = flags[n.key] = flag   # kept should the node rejoin
            nodes = [n]
        for n in nodes:
            if n.state in (READY, SUSPENDED):
                n.send((P.ZOMBIE, self.node_zombie_period(n)))

    def node_zombie_period(self, node: NodeLink) -> float:
        """Idle seconds after which ``node`` may give this client up (0: never)."""
        if self.zombie_period:
            return self.zombie_period
        flag = self._zombie_flags().get(node.key, node.abandon_zombie)
        if flag is None:
            flag = self.abandon_zombie_nodes
        return min(MAX_ZOMBIE_PERIOD, 10 * self.pulse_interval) if flag else 0.0

    def _zombie_flags(self) -> dict:
        """abandon_zombie() flags given for single nodes, by "addr:port"."""
        flags = getattr(self, "_node_zombie_flags", None)
        if flags is None:
            flags = self._node_zombie_flags = {}
        return flags

    # -- servers ----------------------------------------------------------------------------

    def enable_server(self, location: Any, *setup_args: Any) -> None:
        """Use a server held back by ``disable_servers``: its
        ``server_setup(*setup_args)`` runs (without arguments: the client's
        ``server_setup_args``), then it takes jobs. A suspended server is
        resumed."""
        s = self._server(location)
        with self._cv:
            if s.enable_args is None and s.state not in (READY, SUSPENDED, CLOSING):
                s.enable_args = tuple(setup_args) if setup_args else self.server_setup_args
                self._cv.notify_all()
                return
        self.resume_server(s.location)

    def enabled_args(self, srv: ServerLink) -> Optional[tuple]:
        """With the lock held: the server_setup arguments enable_server() gave
        ``srv``, None while it has not been called (a server's set-up waits).
        Raises SetupError when the server, its node or the client closed first."""
        if srv.enable_args is None and (self._closed or srv.state in (LOST, CLOSED, CLOSING) or
                                        srv.node.state in (LOST, CLOSED, CLOSING)):
            raise SetupError(f"server {srv.location} closed before it was enabled")
        return srv.enable_args

    def suspend_server(self, location: Any) -> None:
        """Send no new jobs to this server; running ones finish. Suspending
        a node's last active server suspends the node (as in dispycos)."""
        s = self._server(location)
        if s.state == READY:
            s.state = SUSPENDED
            deliver(self.status_task, DispycosStatus(Scheduler.ServerSuspended, s.loc))
            if not any(o.state == READY for o in s.node.servers.values()):
                self.suspend_node(s.node)

    def resume_server(self, location: Any) -> None:
        """Send jobs to a suspended server again (and to its node, if that
        was suspended)."""
        s = self._server(location)
        if s.state == SUSPENDED:
            with self._cv:
                s.state = READY
                self._cv.notify_all()
            deliver(self.status_task, DispycosStatus(Scheduler.ServerResumed, s.loc))
            if s.node.state == SUSPENDED:
                self.resume_node(s.node)

    def close_server(self, location: Any, terminate: bool = False,
                     restart: bool = False) -> None:
        """Stop a server after its jobs (or terminating them). With
        ``restart`` (or the client's ``restart_servers``) the node starts a
        fresh server process in its place."""
        s = self._server(location)
        if s.state in (CLOSED, LOST):
            return
        restart = bool(restart or self.restart_servers)
        s.state = CLOSING
        with self._cv:
            self._cv.notify_all()        # a server waiting for enable_server gives up
        if terminate:
            for job in list(s.inflight.values()) + list(s.io_jobs.values()):
                self.terminate(job)
        self._drain_then(lambda: not s.inflight and not s.io_jobs,
                         lambda: s.node.send((P.CLOSE_SERVER, s.sid, terminate, restart)))

    def restart_server(self, location: Any, terminate: bool = False) -> None:
        """Close the server (as close_server) and start a fresh process in its place."""
        self.close_server(location, terminate=terminate, restart=True)

    def _drain_then(self, drained: Any, action: Any) -> None:
        def wait() -> None:
            with self._cv:
                while not drained():
                    self._cv.wait(0.5)
            action()
        threading.Thread(target=wait, daemon=True, name="drain").start()

    # -- jobs and files ----------------------------------------------------------------------

    def terminate(self, job: Any, grace: Optional[float] = None) -> bool:
        """Terminate a queued or running job (a :class:`Job`, or the remote
        task ``tasks()`` lists); True if it was not done yet.

        With ``grace`` (seconds), a running generator job first gets
        KeyboardInterrupt on its server, and may catch it and finish within
        that time (dispycos's close with terminate=True); then it is ended.
        """
        if not isinstance(job, Job):
            with self._lock:
                entry = self._rtasks.get(job)
            if entry is None:
                return False        # not a running job's task (or it has ended)
            job = entry[0]
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
        sent = False
        if srv is not None:
            try:   # a plain-function job runs in a thread: the server stops it
                srv.send((P.TERMINATE, job.id) if grace is None else
                         (P.TERMINATE, job.id, grace))
                sent = True
            except OSError:
                pass
        if rtask is not None and (grace is None or not sent):
            rtask.terminate()     # a generator job is a task: end it
        return True

    def send_file(self, node: Any, path: str, timeout: float = 60.0) -> None:
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
