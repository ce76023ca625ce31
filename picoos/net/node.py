"""The networked kernel: a picoos kernel that other machines can reach.

`NetKernel` is the kernel (one thread, one scheduler) plus a TCP listener,
a UDP discovery socket and the peer table. It starts no thread of its own
for the network: the accept loop, one connector/sender per peer, one
reader per link, the discovery listener and announcer and a housekeeping
task are ordinary daemon tasks of the same kernel (links.py, udp.py).
`Pycos` is the pycos-compatible default kernel made networked: creating it
starts the kernel's background thread, and every `Task` the program makes
runs on it.

Everything that needs the secret (handshake, discovery signatures) is
configured here, and here the one rule about running without a secret is
enforced: only when every address the kernel listens on is loopback, or
with `allow_insecure=True`, which is logged loudly (docs/protocol.md).
"""
from __future__ import annotations

import errno
import logging
import os
import socket
import tempfile
from threading import get_ident
from typing import List, Optional, Union

from picoos.drivers import tls
from picoos.drivers.asyncsocket import AsyncSocket
from picoos.kernel import context
from picoos.kernel import scheduler as _sched
from picoos.kernel.location import Location
from picoos.kernel.task import Task
from picoos.kernel.traps import coro
from picoos.kernel.waitq import WaitQueue
from picoos.net import addrs as _addrs
from picoos.net.auth import secret_bytes
from picoos.net.codec import Codec
from picoos.net.errors import InsecureConfigError, NetError
from picoos.net.links import CLOSED, CONNECTING, ONLINE, Peer, accept_loop, peer_sender
from picoos.net.locate import Locating, MsgTimeout
from picoos.net.refs import RefTable
from picoos.net.requests import Pending
from picoos.net.service import NetService
from picoos.net.transfer import FileTransfer
from picoos.net.udp import Discovery
from picoos.net.wire import DEFAULT_MAX_FRAME

__all__ = ["NetKernel", "Pycos", "PeerStatus", "DEFAULT_UDP_PORT", "DEFAULT_TCP_PORT",
           "MsgTimeout"]

log = logging.getLogger("picoos.net")

DEFAULT_UDP_PORT = 9705
DEFAULT_TCP_PORT = 9705     # tried first when tcp_port is None (as pycos does)


class PeerStatus:
    """Message sent to tasks registered with `peer_status()`."""

    Online = 1
    Offline = 0

    __slots__ = ("location", "name", "status")

    def __init__(self, location: Location, name: str, status: int) -> None:
        self.location = location
        self.name = name
        self.status = status

    def __repr__(self) -> str:
        return "PeerStatus(%s, %r, %s)" % (self.location, self.name,
                                           "Online" if self.status else "Offline")


def _check_interval(name, value, minimum=0.0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= minimum:
        raise ValueError("%s must be a number of seconds > %s, got %r" % (name, minimum, value))
    return float(value)


def _listener(family, addr, port):
    """A listening TCP socket on (addr, port); closed again if bind or listen fails."""
    raw = socket.socket(family, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        raw.bind((addr, port))
        raw.listen(128)
    except OSError:
        raw.close()
        raise
    return raw


class NetKernel(Locating, NetService, FileTransfer, Discovery, _sched.Kernel):
    """A kernel with networking (see the module docstring).

    Use `NetKernel(...).run(main)` to run it in the calling thread, or the
    `Pycos` subclass for pycos's background-thread default kernel.

    `tcp_port=None` (the default, as in pycos) listens on port 9705 when it
    is free and on any free port otherwise, so the first kernel of a host
    has a known port; 0 always picks a free port. Kernels on one host share
    `udp_port` for discovery, and find each other on it (udp.py).

    Raises `InsecureConfigError` when there is no secret and the kernel
    would listen beyond loopback without `allow_insecure=True`; `ValueError`
    for a bad argument; `OSError` when a port cannot be bound.
    """

    def __init__(self, name: Optional[str] = None, host: Optional[str] = None,
                 ext_host: Optional[str] = None, tcp_port: Optional[int] = None,
                 udp_port: int = DEFAULT_UDP_PORT, discover_peers: bool = True,
                 secret: Union[str, bytes] = "", certfile: Optional[str] = None,
                 keyfile: Optional[str] = None, cafile: Optional[str] = None,
                 dest_path: Optional[str] = None, max_file_size: Optional[int] = None,
                 pulse_interval: float = 2.0, peer_timeout: Optional[float] = None,
                 connect_timeout: float = 10.0, handshake_timeout: float = 10.0,
                 discover_interval: float = 60.0, discovery_window: float = 120.0,
                 ipv4_udp_multicast: bool = False, allow_insecure: bool = False,
                 max_frame: int = DEFAULT_MAX_FRAME, notifier=None, clock=None,
                 socket_family=None) -> None:
        self._net_configure(name, host, ext_host, tcp_port, udp_port, discover_peers, secret,
                            certfile, keyfile, cafile, dest_path, max_file_size, pulse_interval,
                            peer_timeout, connect_timeout, handshake_timeout, discover_interval,
                            discovery_window, ipv4_udp_multicast, allow_insecure, max_frame)
        _sched.Kernel.__init__(self, notifier=notifier, clock=clock)
        self._net_bind()

    # -- configuration ---------------------------------------------------

    def _net_configure(self, name, host, ext_host, tcp_port, udp_port, discover_peers, secret,
                       certfile, keyfile, cafile, dest_path, max_file_size, pulse_interval,
                       peer_timeout, connect_timeout, handshake_timeout, discover_interval,
                       discovery_window, ipv4_udp_multicast, allow_insecure, max_frame):
        if tcp_port is not None and (isinstance(tcp_port, bool) or not isinstance(tcp_port, int)
                                     or not 0 <= tcp_port < 65536):
            raise ValueError("tcp_port must be an int in 0..65535 (0: any free port) or None "
                             "(9705 if free, else any), got %r" % (tcp_port,))
        if not isinstance(udp_port, int) or not 0 <= udp_port < 65536:
            raise ValueError("udp_port must be an int in 0..65535, got %r" % (udp_port,))
        if max_file_size is not None and (not isinstance(max_file_size, int) or max_file_size < 0):
            raise ValueError("max_file_size must be a non-negative int or None, got %r"
                             % (max_file_size,))
        self._secret = secret_bytes(secret)
        self.pulse_interval = _check_interval("pulse_interval", pulse_interval)
        self.peer_timeout = (_check_interval("peer_timeout", peer_timeout)
                             if peer_timeout is not None else 3 * self.pulse_interval + 1.0)
        if self.peer_timeout <= self.pulse_interval:
            raise ValueError("peer_timeout (%s s) must be longer than pulse_interval (%s s), "
                             "or every quiet peer would be declared lost"
                             % (self.peer_timeout, self.pulse_interval))
        self.connect_timeout = _check_interval("connect_timeout", connect_timeout)
        self.handshake_timeout = _check_interval("handshake_timeout", handshake_timeout)
        self.discover_interval = _check_interval("discover_interval", discover_interval)
        self.max_frame = max_frame
        self.name = name or socket.gethostname()
        if host is None:
            if self._secret or allow_insecure:
                host = _addrs.default_addr(socket.AF_INET) or "127.0.0.1"
            else:
                # without a secret only loopback is safe; say how to reach further
                host = "127.0.0.1"
                log.info("networked kernel %r has no secret: listening on loopback only "
                         "(give secret=... to reach other machines)", self.name)
        self._host = host
        bind_addr = "" if _addrs.is_wildcard(host) else Location(host, 1).addr
        self._bind_addr = bind_addr
        ext = None
        if ext_host is not None:
            from picoos.kernel.errors import InvalidArgument
            try:
                ext = Location(ext_host, 1).addr
            except InvalidArgument as exc:
                # as pycos does: the kernel still starts, at its own address
                log.warning("ext_host %r ignored: %s", ext_host, exc)
        if ext is None:
            ext = bind_addr or _addrs.default_addr(socket.AF_INET) or "127.0.0.1"
        self._ext_addr = ext
        loopback_only = bool(bind_addr) and _addrs.is_loopback(bind_addr)
        self._loopback_only = loopback_only
        self.allow_insecure = bool(allow_insecure)
        if not self._secret:
            if not loopback_only and not allow_insecure:
                raise InsecureConfigError(
                    "no secret given and the kernel would listen on %s, which is not loopback: "
                    "anyone who reaches the port could run code here. Give secret=..., listen "
                    "on 127.0.0.1/::1, or pass allow_insecure=True" % (host or "all addresses"))
            if not loopback_only:
                log.warning("INSECURE: networked kernel %r runs WITHOUT A SECRET on %s "
                            "(allow_insecure=True): anyone who can reach TCP port %s or UDP "
                            "port %s can run code on this machine", self.name, host,
                            tcp_port or "(any)", udp_port)
        self._server_ctx = self._client_ctx = None
        if certfile:
            self._server_ctx = tls.server_context(certfile, keyfile, cafile=cafile)
            self._client_ctx = tls.fleet_client_context(cafile or certfile, certfile=certfile,
                                                        keyfile=keyfile)
        elif keyfile or cafile:
            raise ValueError("keyfile/cafile given without certfile: TLS needs the kernel's "
                             "certificate (certfile)")
        if dest_path is None:
            # not ".../picoos": a folder of that name next to a script in /tmp
            # would shadow the picoos package for that script
            dest_path = os.path.join(tempfile.gettempdir(), "picoos-files")
        self._dest_path = os.path.realpath(dest_path)
        self.max_file_size = max_file_size
        self._tcp_port = tcp_port
        self._udp_port = udp_port
        self._discover = bool(discover_peers)
        self._ipv4_multicast = bool(ipv4_udp_multicast)
        self._discovery_window = discovery_window
        # state
        self._peers = {}            # Location -> Peer (not CLOSED)
        self._pending = Pending()   # requests waiting for replies
        self._watches = {}          # Location -> {RemoteTask: [local monitors]}
        self._status_tasks = []     # tasks registered with peer_status()
        self._rpss = {}             # name -> registered RPS
        self._incoming = {}         # (Location, transfer id) -> IncomingFile
        self._refs = RefTable(self)
        self._codec = Codec(self._refs.to_ref, self._refs.from_ref)
        self._collector = None      # daemon task that receives MonitorStatus for finish()
        self._online_waiters = WaitQueue()  # tasks in locate() waiting for a new peer
        self._closing = False
        self._listener = None
        self._udp_sock = None
        self.location = None

    def _net_bind(self):
        fam = socket.AF_INET6 if ":" in (self._bind_addr or self._ext_addr) else socket.AF_INET
        if self._tcp_port is None:
            try:
                raw = _listener(fam, self._bind_addr, DEFAULT_TCP_PORT)
            except OSError as exc:
                # another kernel of this host has it: with SO_REUSEADDR two
                # sockets may both bind the port, and the later listen() fails
                if exc.errno != errno.EADDRINUSE:
                    raise
                raw = _listener(fam, self._bind_addr, 0)
        else:
            raw = _listener(fam, self._bind_addr, self._tcp_port)
        port = raw.getsockname()[1]
        self._listener = AsyncSocket(raw)
        self.location = Location(self._ext_addr, port)
        os.makedirs(self._dest_path, exist_ok=True)
        if self._discover and self._udp_port:
            try:
                self._udp_sock = self._open_udp()
            except OSError as exc:
                # the kernel still works with peer(); say why nobody finds it
                log.warning("discovery is off: cannot bind UDP port %d (%s); another program "
                            "holds it without SO_REUSEADDR? Use peer() or another udp_port",
                            self._udp_port, exc)

    def _info(self) -> dict:
        return {"name": self.name, "location": [self.location.addr, self.location.port],
                "version": 1}

    # -- services ----------------------------------------------------------

    def _spawn_daemon(self, fn, *args):
        """Start a daemon task (from the kernel thread): network work never
        keeps a program alive."""
        t = Task(fn, *args)
        t.set_daemon()
        return t

    def _start_services(self):
        """Runs in the kernel thread: start the network tasks."""
        self._collector = Task(_collector)
        Task(accept_loop, self, self._listener)
        Task(_housekeeping, self)
        if self._udp_sock is not None:
            Task(self._udp_listener)
            Task(self._announcer)
        log.info("networked kernel %r at %s (%s, %s)", self.name, self.location,
                 "TLS" if self._server_ctx else "no TLS",
                 "discovery on UDP %d" % self._udp_port if self._udp_sock else "no discovery")

    def run(self, fn, *args, **kwargs):
        """Run `fn` as the main task with the network up; see Kernel.run."""
        def main(task=None):
            self._start_services()
            return (yield Task(fn, *args, **kwargs).finish())
        return _sched.Kernel.run(self, main)

    def _shutdown(self):
        if not self._closed:
            self._net_close()
        _sched.Kernel._shutdown(self)

    def _net_close(self):
        self._closing = True
        for peer in list(self._peers.values()):
            link = peer.link
            if link is not None and peer.state == ONLINE and peer.out and not peer.busy:
                self._flush_at_exit(peer, link)
            self._peer_lost(peer, "kernel shut down")
        if self._listener is not None:
            self._listener.close()
        if self._udp_sock is not None:
            self._udp_sock.close()

    def _flush_at_exit(self, peer: Peer, link) -> None:
        """Best effort at shutdown: send what tasks queued for the peer that
        its sender has not run for yet (a program's last `send` before it
        ends, as pycos delivers it), then BYE, so the peer knows this is no
        crash. Bounded by one short blocking write."""
        try:
            while peer.queue:
                msg = peer.queue.popleft()
                try:
                    link.send_message(msg)
                except Exception:   # noqa: BLE001 - an unpicklable message
                    pass
            link.send_bye()
            raw = peer.out._sock
            raw.settimeout(min(self.connect_timeout, 2.0))
            raw.sendall(peer.unsent + link.data_to_send())
        except (OSError, NetError):
            pass

    # -- peers -------------------------------------------------------------

    def _new_peer(self, location: Location, stream: bool = False) -> Peer:
        peer = Peer(location, stream)
        self._peers[location] = peer
        peer.sender = Task(peer_sender, self, peer)
        return peer

    def _allowed_peer(self, location: Location) -> bool:
        if self._secret or self.allow_insecure or _addrs.is_loopback(location.addr):
            return True
        log.error("refusing peer %s: no secret is set, and without one only loopback peers "
                  "are allowed (a stranger's kernel could run code here)", location)
        return False

    def _peer_from_info(self, info: dict, remote, sock) -> Peer:
        name, loc = info.get("name"), info.get("location")
        if not isinstance(name, str) or not isinstance(loc, list) or len(loc) != 2:
            raise NetError("peer INFO %r: expected name and location [addr, port]" % (info,))
        addr, port = loc
        if _addrs.is_wildcard(addr) and remote:
            addr = remote[0]
        location = Location(addr, port)
        peer = self._peers.get(location)
        if peer is None:
            peer = self._new_peer(location)
        peer.name = name
        peer.inbound = True
        peer.socks.append(sock)
        return peer

    def _peer_online(self, peer: Peer) -> None:
        peer.state = ONLINE
        peer.waiters.wake_all(True)
        # locate() without a location asks every new peer
        self._online_waiters.wake_all(True)
        log.info("peer %r at %s is online", peer.name, peer.location)
        self._tell_status(peer, PeerStatus.Online)

    def _peer_lost(self, peer: Peer, reason: str) -> None:
        if peer.state == CLOSED:
            return
        was_online = peer.state == ONLINE
        peer.state = CLOSED
        peer.reason = reason
        if self._peers.get(peer.location) is peer:
            del self._peers[peer.location]
        level = logging.INFO if reason in ("closed by us", "closed by the peer",
                                           "kernel shut down") else logging.WARNING
        log.log(level, "peer %r at %s is offline: %s", peer.name, peer.location, reason)
        for s in peer.socks:
            s.close()
        peer.socks = []
        if peer.idle:
            peer.idle = False
            peer.sender.resume(None)
        peer.waiters.wake_all(False)
        self._peer_gone(peer.location, reason)
        if was_online:
            self._tell_status(peer, PeerStatus.Offline)

    def _tell_status(self, peer: Peer, status: int) -> None:
        msg = PeerStatus(peer.location, peer.name, status)
        self._status_tasks = [t for t in self._status_tasks if t.is_alive()]
        for t in self._status_tasks:
            t.send(msg)

    # -- public API (pycos names) ----------------------------------------

    @coro
    def peer(self, loc: Location, udp_port: int = 0, stream_send: bool = False,
             relay: bool = False, timeout: Optional[float] = None):
        """`r = yield kernel.peer(Location(host, port))`: connect to the
        kernel there (also across subnets); 0 once the link is up and
        authenticated, -1 if it could not be made.

        With `relay=True` the peer also announces this kernel on its own
        subnets, so kernels there find it by discovery. `udp_port` and
        `stream_send` are accepted for pycos compatibility: picoos links
        are always persistent streams, and need no UDP to connect.
        Raises `ValueError` when `loc` is not a Location.
        """
        if not isinstance(loc, Location):
            raise ValueError("peer() needs a Location(host, tcp_port), got %r" % (loc,))
        if loc == self.location:
            return 0
        if not self._allowed_peer(loc):
            return -1
        peer = self._peers.get(loc)
        if peer is None:
            peer = self._new_peer(loc, stream_send)
        if peer.state == CONNECTING:
            ok = yield peer.waiters.wait(timeout or self.connect_timeout + self.handshake_timeout,
                               False)
            if not ok:
                return -1
        if peer.state != ONLINE:
            return -1
        if relay:
            yield self._request([loc], "relay", (self.name, self.location.port,
                                                 [self.location.addr]), MsgTimeout)
        return 0

    def peers(self) -> List[Location]:
        """Locations of the peers that are online now."""
        return [p.location for p in list(self._peers.values()) if p.state == ONLINE]

    def peer_status(self, task: Task) -> int:
        """Send `PeerStatus` messages about peers coming and going to `task`
        (None to stop). Peers already online are reported at once."""
        if self._tid != get_ident():
            return self._threadsafe(self.peer_status, task)
        if task is None:
            self._status_tasks = []
            return 0
        if not isinstance(task, Task):
            raise ValueError("peer_status() needs a Task, got %r" % (task,))
        if task not in self._status_tasks:
            self._status_tasks.append(task)
        for p in list(self._peers.values()):
            if p.state == ONLINE:
                task.send(PeerStatus(p.location, p.name, PeerStatus.Online))
        return 0

    @coro
    def close_peer(self, location: Location, timeout: Optional[float] = MsgTimeout):
        """`yield kernel.close_peer(loc)`: send what is queued, say BYE, close."""
        peer = self._peers.get(location)
        if peer is None:
            return -1
        if peer.state == ONLINE and peer.sender is not None and peer.sender.is_alive():
            peer.closing = True     # the sender sends what is queued, then BYE
            if peer.idle:
                peer.idle = False
                peer.sender.resume(None)
            yield peer.sender.finish(timeout)
        self._peer_lost(peer, "closed by us")
        return 0

    def _task_reference(self, task):
        raise TypeError("task %r travels to peers inside messages of a networked kernel; "
                        "it cannot be pickled on its own" % (task,))

    def _channel_reference(self, channel):
        raise TypeError("channel %r travels to peers inside messages of a networked kernel; "
                        "it cannot be pickled on its own" % (channel,))

    @property
    def dest_path(self) -> str:
        """Where files from peers land (`send_file`); settable, as in
        pycos: a relative path (or one outside the current dest_path) is
        put under the current one, so a program can only narrow it."""
        return self._dest_path

    @dest_path.setter
    def dest_path(self, path: str) -> None:
        if not isinstance(path, str) or not path:
            raise ValueError("dest_path must be a non-empty str, got %r" % (path,))
        base = self._dest_path
        full = os.path.realpath(path if os.path.isabs(path) else os.path.join(base, path))
        if os.path.commonpath([base, full]) != base:
            # as pycos does: a path elsewhere is taken as relative to dest_path
            full = os.path.realpath(os.path.join(
                base, os.path.splitdrive(path)[1].lstrip(os.sep)))
            if os.path.commonpath([base, full]) != base:
                raise ValueError("dest_path %r would leave %s (a '..' escapes it): give a "
                                 "folder inside it" % (path, base))
        os.makedirs(full, exist_ok=True)
        self._dest_path = full


def _collector(task=None):
    """Receives the MonitorStatus of remote tasks someone waits to finish
    (the bookkeeping happens when the message arrives, in _dispatch)."""
    task.set_daemon()
    while True:
        yield task.receive()


def _housekeeping(kernel, task=None):
    """Forget exported tasks that ended, every few pulses."""
    task.set_daemon()
    while True:
        yield task.sleep(max(kernel.pulse_interval * 5, 5.0))
        kernel._refs.sweep()


#: pycos's networked scheduler's parameters, in its order
_PYCOS_ARGS = ("udp_port", "tcp_port", "host", "ext_host", "socket_family", "ipv4_udp_multicast",
               "name", "discover_peers", "secret", "certfile", "keyfile", "notifier",
               "dest_path", "max_file_size")


class Pycos(NetKernel, _sched.Pycos):
    """pycos's networked scheduler: the default kernel, networked.

    `Pycos(...)` must be created before any task (it becomes the default
    kernel and starts its thread); later calls return the same instance.
    """

    def __new__(cls, *args, **kwargs):
        return _sched.Pycos.__new__(cls)

    def __init__(self, *args, **kwargs):
        if getattr(self, "_started", True):
            return
        if args:
            # positional arguments in pycos's order (udp_port first)
            if len(args) > len(_PYCOS_ARGS):
                raise TypeError("Pycos() takes at most %d positional arguments (%s), got %d"
                                % (len(_PYCOS_ARGS), ", ".join(_PYCOS_ARGS), len(args)))
            for key, value in zip(_PYCOS_ARGS, args):
                if key in kwargs:
                    raise TypeError("Pycos() got multiple values for argument %r" % key)
                kwargs[key] = value
            args = ()
        if "ext_ip_addr" in kwargs:
            # dispycos's name (its node program's option) for ext_host
            if kwargs.get("ext_host") is not None:
                raise TypeError("Pycos() got both ext_host and ext_ip_addr (dispycos's name "
                                "for ext_host): give one")
            kwargs["ext_host"] = kwargs.pop("ext_ip_addr")
        try:
            NetKernel.__init__(self, *args, **kwargs)
        except BaseException:
            # leave no half-made default kernel behind
            if context.default is self:
                context.default = None
            raise
        self._start_thread()
        self._threadsafe(self._start_services)

    @classmethod
    def instance(cls, *args, **kwargs):
        k = context.by_thread.get(get_ident())
        if k is not None:
            return k
        return cls(*args, **kwargs)
