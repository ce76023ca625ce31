"""The client's side of one node and of one server: connect, set up, listen.

A :class:`NodeLink` attaches to a node daemon, ships the computation's
files, asks for servers, runs ``node_setup`` and then reads the node's
heartbeats and server events. A :class:`ServerLink` connects to one server
process, installs the code, runs ``server_setup`` and then reads results.
Everything here runs as tasks on the client's networked kernel, over
:class:`~picoos.dist.clientlink.AsyncLink`: attaching and setting up are
``@coro`` steps of the task dialling the node (or connecting the server),
and once a link is set up one small reader task per link takes its
messages. What they learn goes to the :class:`~picoos.dist.client.Client`,
which owns the job bookkeeping.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from picoos.dist import clientlink
from picoos.dist import protocol as P
from picoos.dist.allocate import DispycosNodeAvailInfo, DispycosNodeInfo
from picoos.dist.errors import DistError, NodeUnavailable, ProtocolError, SetupError
from picoos.dist.paths import safe_join
from picoos.dist.status import DispycosStatus, Scheduler, deliver
from picoos.dist.wire import HANDSHAKE_TIMEOUT
from picoos.kernel import context
from picoos.kernel.threadpool import run_in_thread
from picoos.kernel.traps import coro

log = logging.getLogger("picoos.dist")

SETUP_TIMEOUT = 120.0

# states of nodes and servers
CONNECTING, READY, SUSPENDED, CLOSING, CLOSED, LOST = (
    "connecting", "ready", "suspended", "closing", "closed", "lost")


@coro
def _expect(link: clientlink.AsyncLink, kind: str, timeout: float,
            on_other: Optional[Callable[[tuple], None]] = None):
    """Read messages until one of ``kind``; others go to ``on_other``.
    Raises TimeoutError when none comes within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {kind!r} reply from {link.peer} within {timeout:g}s")
        try:
            msg = yield link.recv(timeout=left)
        except clientlink.SocketTimeout:
            continue        # the deadline check above says so
        if msg[0] == kind:
            return msg
        if on_other is not None:
            on_other(msg)


@coro
def _until(client: Any, ready: Callable[[], Any]):
    """Wait in a task until ``ready()`` (called with the client's lock held;
    it may raise) gives something other than None, which is the result.
    Every change the client announces (``_cv.notify_all``) wakes the task to
    look again."""
    me = context.current_task()
    try:
        while True:
            with client._cv:
                value = ready()
                if value is not None:
                    return value
                client._cv.wake_task(me)
            yield me.receive(1.0)      # the time-out only guards against a missed change
    finally:
        with client._cv:
            client._cv.drop_task(me)   # no message for a task that has moved on


class ServerLink:
    """One server process of a node, as the client sees it."""

    def __init__(self, node: "NodeLink", sid: int, port: int, pid: int):
        self.node = node
        self.sid = sid
        self.port = port
        self.pid = pid
        self.location = f"{node.addr}:{port}"  # "addr:port" of its kernel once connected
        self.loc: Any = None                   # picoos Location of its networked kernel
        self.rps: Any = None                   # the job entry (an RPS handle), once found
        self.link: Optional[clientlink.AsyncLink] = None
        self.state = CONNECTING
        self.inflight: Dict[int, Any] = {}     # job id -> Job (CPU jobs)
        self.io_jobs: Dict[int, Any] = {}      # job id -> Job (I/O jobs)
        self.done = 0
        self.sent = 0                          # code payloads sent to the server
        self.installed = 0                     # ... and installed there
        self.enable_args: Optional[tuple] = None   # server_setup arguments from enable_server
        self.node_setup_failed = False
        self._recv_files: Dict[str, Any] = {}

    @coro
    def open(self, client: Any):
        """Connect to the server's control link and learn where its kernel
        listens (``loc``); raises OSError/TimeoutError/AuthError."""
        if self.link is not None:
            return None
        self.link = yield clientlink.connect((self.node.addr, self.port), client.secret,
                                             ssl_context=client.ssl_context)
        _, net_port = yield _expect(self.link, P.NETLOC, SETUP_TIMEOUT)
        from picoos.kernel.location import Location
        self.loc = Location(self.node.addr, net_port)
        self.location = str(self.loc)
        return None

    @coro
    def connect(self, client: Any):
        """Connect, install the code, run the setup functions; raises on failure.

        The node's first server (the node's Location) runs ``node_setup``
        (with the node's arguments) while the others wait; they then take over the global
        names it bound (:mod:`picoos.dist.nodestate`). With
        ``disable_servers`` and a ``server_setup``, the server waits here for
        ``enable_server`` (whose arguments ``server_setup`` gets).
        """
        owner = client.node_setup_ref is not None and self.loc is not None and \
            self.loc == self.node.loc
        try:
            yield self._connect(client, owner)
        except BaseException:
            if owner and not self.node.setup_done:
                self.node_setup_failed = True     # the node cannot be set up: close it
            raise

    @coro
    def _connect(self, client: Any, owner: bool):
        node = self.node
        yield self.open(client)
        payloads = client.init_payloads()
        for payload in payloads:
            self.link.send((P.INIT, payload))
            _, err = yield _expect(self.link, P.INIT_DONE, SETUP_TIMEOUT)
            if err is not None:
                raise SetupError(f"server {self.location} cannot install the computation: "
                                 f"{err[0]}: {err[1]}\n{err[2]}")
        self.sent = self.installed = len(payloads)
        if client.node_setup_ref is not None:
            if owner:                    # the server holding the node's files runs it
                yield self._setup("node", client.node_setup_ref, node.setup_args)
                with client._cv:
                    node.setup_done = True
                    client._cv.notify_all()
                deliver(client.status_task,
                        DispycosStatus(Scheduler.NodeInitialized, node.info()))
            else:                        # the others go on once node_setup is done
                yield _until(client, lambda: self._node_set_up(client))
                yield self._setup("node-state", None, ())
        elif not node.setup_done:
            with node.lock:
                if not node.setup_done:
                    node.setup_done = True
                    deliver(client.status_task,
                            DispycosStatus(Scheduler.NodeInitialized, node.info()))
        client.server_discovered(self)
        args = client.server_setup_args
        if client.server_setup_ref is not None and client.disable_servers:
            args = yield _until(client, lambda: client.enabled_args(self))
        if client.server_setup_ref is not None:
            yield self._setup("server", client.server_setup_ref, args)
        self.state = READY
        from picoos.kernel.task import Task
        Task(self._reader, client)

    def _node_set_up(self, client: Any) -> Optional[bool]:
        node = self.node
        if node.setup_done:
            return True
        if node.state in (LOST, CLOSED, CLOSING) or client._closed:
            raise SetupError(f"node {node.key} closed before its setup")
        if node.owner_lost:
            self.node_setup_failed = True
            raise SetupError(f"node {node.key}: the server holding its files "
                             f"(its Location) exited before node_setup ran")
        return None

    @coro
    def _setup(self, tag: str, ref: Any, args: tuple):
        assert self.link is not None
        self.link.send((P.SETUP, tag, ref, tuple(args), {}))
        _, _, err, value = yield _expect(self.link, P.SETUP_DONE, SETUP_TIMEOUT)
        if err is not None:
            raise SetupError(f"{tag}_setup failed on {self.location}: {err[0]}: "
                             f"{err[1]}\n{err[2]}")
        if value not in (None, 0):
            raise SetupError(f"{tag}_setup on {self.location} returned {value!r}; "
                             f"expected 0 (or None) for success")

    def _reader(self, client: Any, task: Any = None) -> Any:
        task.set_daemon()
        link = self.link
        assert link is not None
        while True:
            try:
                msg = yield link.recv()
            except Exception as exc:  # EOF, reset, bad frame: the server is gone to us
                client.server_lost(self, f"link lost ({type(exc).__name__}: {exc})")
                return
            kind = msg[0]
            if kind == P.RESULT:
                client.job_result(self, msg[1], msg[2], msg[3])
            elif kind == P.FILE:
                yield self._file_part(client, *msg[1:])
            elif kind == P.INIT_DONE:
                if msg[1] is not None:
                    log.error("server %s failed to install code: %s", self.location, msg[1][1])
                with client._cv:
                    self.installed += 1
                    client._cv.notify_all()
            elif kind == P.FILE_DONE:
                client.file_done(self.location, msg[1], msg[2])
            elif kind == P.LEAVING:
                self.state = CLOSING
            elif kind == P.SERVER_CLOSE:     # a job called dispycos_close_server()
                client.close_server(self.location, terminate=msg[1], restart=msg[2])
            elif kind == P.NODE_CLOSE:       # a job called dispycos_close_node()
                client.close_node(self.node.key, terminate=msg[1])

    @coro
    def _file_part(self, client: Any, name: str, data: bytes, last: bool):
        # a regular file: opened and written in the kernel's thread pool
        f = self._recv_files.get(name)
        try:
            if f is None:
                f = yield run_in_thread(open, safe_join(client.dest_path, name), "wb")
                self._recv_files[name] = f
            yield run_in_thread(f.write, data)
        except Exception as exc:  # a bad name from a server must not kill the reader
            log.error("file %r from %s refused: %s", name, self.location, exc)
            error: Optional[str] = str(exc)
            last = True
        else:
            error = None
        if last:
            if f is not None:
                self._recv_files.pop(name, None)
                yield run_in_thread(f.close)
            try:   # the job waits for this, so the file is here before its result
                self.send((P.FILE_DONE, name, error))
            except OSError:
                pass

    def send(self, msg: tuple) -> None:
        """Queue ``msg`` for the server (any thread); OSError when the link is down."""
        assert self.link is not None
        self.link.send(msg)

    def close(self) -> None:
        if self.link is not None:
            self.link.close()

    def describe(self) -> Dict[str, Any]:
        return {"location": self.location, "node": self.node.name, "pid": self.pid,
                "state": self.state, "running": len(self.inflight) + len(self.io_jobs),
                "done": self.done}


class NodeLink:
    """One attached node daemon."""

    def __init__(self, addr: str, port: int):
        self.addr = addr
        self.port = port
        self.name = f"{addr}:{port}"
        self.key = f"{addr}:{port}"
        self.link: Optional[clientlink.AsyncLink] = None
        self.state = CONNECTING
        self.figures: Dict[str, Any] = {}
        self.servers: Dict[int, ServerLink] = {}
        self.last_heard = time.monotonic()
        self.done = 0
        self.lock = threading.Lock()
        self.setup_done = False
        self.loc: Any = None                    # its Location: the first server's kernel
        self.enabled = False                    # its servers may be set up and used
        self.setup_args: tuple = ()             # node_setup's arguments on this node
        self._pending: List[ServerLink] = []    # servers started but not yet set up
        self._enable_lock = threading.Lock()
        self.abandon_zombie: Optional[bool] = None   # abandon_zombie() here (None: the client's)
        self.owner_lost = False                 # the server at ``loc`` exited before enable

    # -- attach ---------------------------------------------------------------------

    @coro
    def attach(self, client: Any):
        """Attach and start servers; gives how many the filters allow (0 = skip).

        Raises NodeUnavailable when the node is busy, OSError when it is
        unreachable, AuthError for a wrong secret.
        """
        self.link = yield clientlink.connect((self.addr, self.port), client.secret,
                                             timeout=client.connect_timeout,
                                             ssl_context=client.ssl_context)
        self.link.send((P.ATTACH, client.name, client.pulse_interval,
                        client.node_zombie_period(self)))
        reply = yield self.link.recv(timeout=HANDSHAKE_TIMEOUT)
        if reply[0] == P.BUSY:
            self.link.close()
            raise NodeUnavailable(f"node {self.key} refused: {reply[1]}")
        if reply[0] != P.ATTACHED:
            raise ProtocolError(f"node {self.key} answered {reply[0]!r} to attach")
        self.figures = reply[1]
        self.name = self.figures.get("name") or self.name
        self.last_heard = time.monotonic()
        count = client.allocation(self)
        if count <= 0:
            self.link.send((P.DETACH, False))
            self.link.close()
            return 0
        for path in client.computation.files:
            yield self.send_file(path)
        self.link.send((P.START, count))
        _, started = yield _expect(self.link, P.SERVERS, SETUP_TIMEOUT, self._early)
        if not started:
            raise NodeUnavailable(f"node {self.key} started no server")
        # The node's Location (avail_info.location of its status messages) is
        # its first server's kernel: a file sent there with send_file lands in
        # the session directory, the working directory of node_setup and jobs.
        servers = [ServerLink(self, sid, port, pid) for sid, port, pid in started]
        self._pending = servers        # closed with the node if anything below fails
        yield servers[0].open(client)
        self.loc = servers[0].loc
        preset = client.preset_node_args(self)
        self.setup_args = tuple(client.node_setup_args if preset is None else preset)
        self.state = READY
        from picoos.kernel.task import Task
        Task(self._reader, client)
        client.node_discovered(self)
        if preset is not None or not client.disable_nodes:
            self.enable(client)
        return count

    def enable(self, client: Any, setup_args: Optional[tuple] = None) -> bool:
        """Set up and use this node's servers (``node_setup`` gets ``setup_args``,
        default: the client's); False when it was already enabled."""
        with self._enable_lock:
            if self.enabled:
                return False
            self.enabled = True
            if setup_args is not None:
                self.setup_args = tuple(setup_args)
            pending, self._pending = self._pending, []
        for srv in pending:
            client.add_server(self, srv.sid, srv.port, srv.pid, srv)
        return True

    def _server_up(self, client: Any, sid: int, port: int, pid: int) -> None:
        with self._enable_lock:
            if not self.enabled:      # set up with the others once enabled
                self._pending.append(ServerLink(self, sid, port, pid))
                return
        client.add_server(self, sid, port, pid)

    def _server_gone(self, client: Any, sid: int, status: Any) -> None:
        with self._enable_lock:
            for srv in self._pending:
                if srv.sid == sid:
                    self._pending.remove(srv)
                    srv.close()
                    if srv.loc is not None and srv.loc == self.loc:
                        self.owner_lost = True
                    return
        srv = self.servers.get(sid)
        if srv is not None:
            client.server_lost(srv, f"process exited with status {status}")

    @coro
    def send_file(self, path: str, name: Optional[str] = None):
        """Ship a file into the node's session directory and wait for its receipt
        (the file is read in the kernel's thread pool)."""
        link = self.link
        assert link is not None
        name = name or os.path.basename(path)
        f = yield run_in_thread(open, path, "rb")
        try:
            while True:
                data = yield run_in_thread(f.read, P.FILE_CHUNK)
                last = len(data) < P.FILE_CHUNK
                link.send((P.FILE, name, data, last))
                if last:
                    break
                yield link.drain()
        finally:
            f.close()
        _, got, error = yield _expect(link, P.FILE_DONE, SETUP_TIMEOUT, self._early)
        if error:
            raise DistError(f"node {self.key} refused file {name!r}: {error}")

    def _early(self, msg: tuple) -> None:
        # heartbeats that arrive while attaching still count as signs of life
        if msg[0] == P.PULSE:
            self.figures = msg[1]
            self.last_heard = time.monotonic()

    # -- after attach -------------------------------------------------------------------

    def _reader(self, client: Any, task: Any = None) -> Any:
        task.set_daemon()
        link = self.link
        assert link is not None
        while True:
            try:
                msg = yield link.recv()
            except Exception as exc:
                client.node_lost(self, f"link lost ({type(exc).__name__}: {exc})")
                return
            self.last_heard = time.monotonic()
            kind = msg[0]
            if kind == P.PULSE:
                self.figures = msg[1]
            elif kind == P.SERVER_UP:
                self._server_up(client, *msg[1:4])
            elif kind == P.SERVER_LOST:
                self._server_gone(client, msg[1], msg[2])
            elif kind == P.SERVICE:
                client.node_service(self, msg[1])
            elif kind == P.FILE_DONE:
                client.file_done(self.key, msg[1], msg[2])
            elif kind == P.CLOSING:
                if msg[2]:
                    client.forget_node(self)
                client.node_lost(self, f"node closing: {msg[1]}")
                return

    def send(self, msg: tuple) -> bool:
        """Queue ``msg`` for the node (any thread); False when it is not connected."""
        try:
            assert self.link is not None
            self.link.send(msg)
            return True
        except (OSError, AssertionError):
            return False

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
        with self._enable_lock:
            pending, self._pending = self._pending, []
        for srv in pending:          # e.g. the first server's link, opened at attach
            srv.close()

    def info(self) -> DispycosNodeInfo:
        fig = self.figures
        return DispycosNodeInfo(self.name, self.addr, len(self.servers) or fig.get("servers", 0),
                                fig.get("platform", ""),
                                DispycosNodeAvailInfo.from_figures(self.location(), fig),
                                fig.get("model"), self.port)

    def location(self) -> Any:
        """The node's Location: its first server's kernel once known (files
        sent there with ``send_file`` land in the session directory), else
        the daemon's address."""
        if self.loc is not None:
            return self.loc
        from picoos.kernel.location import Location
        return Location(self.addr, self.port)

    def describe(self) -> Dict[str, Any]:
        fig = self.figures
        running = sum(len(s.inflight) + len(s.io_jobs) for s in self.servers.values())
        return {"name": self.name, "addr": self.addr, "port": self.port, "state": self.state,
                "servers": len(self.servers), "running": running, "done": self.done,
                "cpu_busy": fig.get("cpu_busy"), "cpus": fig.get("cpus"),
                "memory_total": fig.get("memory_total"),
                "memory_available": fig.get("memory_available"),
                "disk_free": fig.get("disk_free"), "swap_used_percent": fig.get("swap_used_percent"),
                "model": fig.get("model"), "temperature": fig.get("temperature"),
                "throttled": fig.get("throttled"), "platform": fig.get("platform"),
                "last_heard": round(time.monotonic() - self.last_heard, 1)}


def parse_address(text: str, default_port: int) -> Tuple[str, int]:
    """``"host"`` or ``"host:port"`` -> (host, port); raises ValueError."""
    host, sep, port = text.rpartition(":")
    if not sep or host.endswith("]") is False and ":" in host:
        return text.strip("[]"), default_port
    try:
        value = int(port)
    except ValueError:
        raise ValueError(f"node address {text!r} has a bad port {port!r}; "
                         f"expected host or host:port") from None
    if not 0 < value < 65536:
        raise ValueError(f"node address {text!r}: port {value} out of range 1..65535")
    return host.strip("[]"), value
