"""The node daemon behind ``picoos-node``: serves one client at a time.

The daemon accepts authenticated links from clients. The client that
attaches gets a session: a private directory under ``dest_path`` and one
server process (:mod:`picoos.dist.server`) per CPU, which the client then
talks to directly. The daemon itself never runs client code; it watches its
servers (replacing one that dies and telling the client), sends heartbeats
with the node's figures (:mod:`picoos.dist.resources`), declares a silent
client lost after three heartbeat periods, enforces the service window and
zombie period, and on SIGTERM tells the client, stops the servers and
removes the session's files.

Small threads, each with one job: accept loop, one reader per link, the
pulse loop, one watcher per server process.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from picoos.dist import protocol as P
from picoos.dist import wire
from picoos.dist.config import NodeConfig, is_loopback, parse_hhmm
from picoos.dist.errors import ConfigError, DistError
from picoos.dist.paths import link_or_copy, remove_stale_sessions, remove_tree, safe_join
from picoos.dist.resources import Resources

log = logging.getLogger("picoos.dist")

SERVER_START_TIMEOUT = 30.0
SERVER_CMD = "from picoos.dist.server import main; main()"


class ServerProc:
    """A server process of a session."""

    def __init__(self, sid: int, proc: subprocess.Popen, port: int, net_port: int = 0):
        self.sid = sid
        self.proc = proc
        self.port = port           # its control link
        self.net_port = net_port   # its networked kernel (its Location's port)
        self.closing = False       # set when we stop it on purpose


class Session:
    """One attached client: its link, directory and servers."""

    def __init__(self, node: "NodeDaemon", link: wire.Link, client: str, pulse: float):
        self.node = node
        self.link = link
        self.client = client
        self.pulse = pulse
        self.servers: "dict[int, ServerProc]" = {}
        self.last_heard = time.monotonic()
        self.last_busy = time.monotonic()
        self.zombie = 0.0
        self.ended = threading.Event()
        self.lock = threading.Lock()
        node.session_counter += 1
        self.dir = os.path.join(node.dest_path, f"session-{node.session_counter}-{os.getpid()}")
        os.makedirs(self.dir, exist_ok=True)
        self._files: "dict[str, object]" = {}
        self.shipped: "list[str]" = []     # names of the files the client shipped

    # -- servers ---------------------------------------------------------------

    def start_servers(self, count: int) -> "list[ServerProc]":
        servers = self.node.take_servers(count)
        for srv in servers:
            self.adopt(srv)
        return servers

    def server_dir(self, srv: ServerProc) -> str:
        """Where ``srv``'s jobs run: its own folder in the session directory.

        Discussion: as on a dispycos node, the client's shipped files sit in
        the parent of a job's working folder (``os.path.join('..', name)``
        finds them) and each server has a folder of its own for the files
        sent to it; the shipped files are also linked into every server's
        folder, so a job finds them by their base name too."""
        return os.path.join(self.dir, f"server-{srv.sid}")

    def adopt(self, srv: ServerProc) -> None:
        assert srv.proc.stdin is not None
        workdir = self.server_dir(srv)
        os.makedirs(workdir, exist_ok=True)
        with self.lock:    # a file finished after this is linked by receive_file
            self.servers[srv.sid] = srv
            shipped = list(self.shipped)
        for name in shipped:
            self._link_shipped(name, workdir)
        srv.proc.stdin.write((json.dumps({"workdir": workdir, "session": self.dir}) +
                              "\n").encode())
        srv.proc.stdin.flush()
        threading.Thread(target=self._watch_server, args=(srv,), daemon=True,
                         name=f"watch-server-{srv.sid}").start()

    def _watch_server(self, srv: ServerProc) -> None:
        assert srv.proc.stdout is not None
        srv.proc.stdout.read()            # returns at EOF: the process is gone
        status = srv.proc.wait()
        with self.lock:
            self.servers.pop(srv.sid, None)
        if srv.closing or self.ended.is_set():
            return
        log.warning("server %s (pid %s) died with status %s; starting a new one",
                    srv.sid, srv.proc.pid, status)
        self.send((P.SERVER_LOST, srv.sid, status))
        self.replace_server(srv)

    def replace_server(self, old: ServerProc) -> None:
        """Start a server in place of ``old`` (which has exited) on its ports
        when they are free, so it keeps its Location, as a restarted dispycos
        server does; tell the client."""
        try:
            new = self.node.spawn_servers(1, [(old.port, old.net_port)])[0]
            self.adopt(new)
        except (OSError, DistError) as exc:
            log.error("cannot replace server %s: %s", old.sid, exc)
            return
        self.send((P.SERVER_UP, new.sid, new.port, new.proc.pid))

    def restart_server(self, srv: ServerProc, terminate: bool) -> None:
        """close_server with restart: stop ``srv``, wait for it to exit (its
        ports are then free), start its replacement."""
        self.stop_server(srv, terminate=True, grace=3.0 if terminate else 10.0)
        if not self.ended.is_set():
            self.replace_server(srv)

    @staticmethod
    def stop_server(srv: ServerProc, terminate: bool = True, grace: float = 3.0) -> None:
        srv.closing = True
        try:
            assert srv.proc.stdin is not None
            srv.proc.stdin.close()        # the server exits when its stdin closes
        except OSError:
            pass
        if terminate:
            try:
                srv.proc.wait(grace)
            except subprocess.TimeoutExpired:
                srv.proc.kill()
                srv.proc.wait()

    # -- messages ----------------------------------------------------------------

    def send(self, msg: tuple) -> bool:
        try:
            self.link.send(msg)
            return True
        except (OSError, EOFError):
            return False

    def handle(self, msg: tuple) -> None:
        kind = msg[0]
        self.last_heard = time.monotonic()
        if kind == P.HEARTBEAT:
            if msg[1]:
                self.last_busy = self.last_heard
        elif kind == P.START:
            count = self.node.cfg.server_count() if not msg[1] else min(
                msg[1], self.node.cfg.server_count())
            started = [(srv.sid, srv.port, srv.proc.pid) for srv in self.start_servers(count)]
            self.last_busy = time.monotonic()
            self.send((P.SERVERS, started))
        elif kind == P.FILE:
            self.receive_file(*msg[1:])
        elif kind == P.CLOSE_SERVER:
            _, sid, terminate, restart = msg
            srv = self.servers.get(sid)
            if srv is not None and restart:     # waits for the old process: not here
                threading.Thread(target=self.restart_server, args=(srv, terminate),
                                 daemon=True, name=f"restart-server-{sid}").start()
            elif srv is not None:
                self.stop_server(srv, terminate)
        elif kind == P.ZOMBIE:
            self.set_zombie(msg[1])
        elif kind == P.DETACH:
            self.end("client closed", tell=False)

    def set_zombie(self, seconds: float) -> None:
        """The client's zombie period (0: none); the node's own limit, when
        it has one, applies too and the stricter one wins."""
        limits = [z for z in (self.node.cfg.zombie_period, seconds) if z]
        self.zombie = float(min(limits)) if limits else 0.0

    def receive_file(self, name: str, data: bytes, last: bool) -> None:
        error = None
        f = self._files.get(name)
        try:
            if f is None:
                f = open(safe_join(self.dir, name), "wb")
                self._files[name] = f
            f.write(data)
            limit = self.node.cfg.max_file_size
            if limit and f.tell() > limit:
                raise DistError(f"file {name!r} is larger than this node's "
                                f"max_file_size of {limit} bytes")
        except Exception as exc:
            error, last = str(exc), True
        if last:
            self._files.pop(name, None)
            if f is not None:
                f.close()
            if error is None:
                with self.lock:
                    servers = list(self.servers.values())
                    self.shipped.append(name)
                try:
                    for srv in servers:
                        self._link_shipped(name, self.server_dir(srv))
                except OSError as exc:
                    error = f"file {name!r} cannot be put in the servers' folders: {exc}"
            self.send((P.FILE_DONE, name, error))

    def _link_shipped(self, name: str, workdir: str) -> None:
        """Put shipped file ``name`` into a server's folder (a hard link, or a
        copy where the file system has none)."""
        link_or_copy(safe_join(self.dir, name), safe_join(workdir, name))

    def end(self, reason: str, tell: bool = True, final: bool = False) -> None:
        """Stop the servers, remove the directory, drop the link (idempotent).

        ``final``: the client should not come back (zombie); otherwise it may
        dial again (the node restarts, the service window opens again)."""
        if self.ended.is_set():
            return
        self.ended.set()
        log.info("session with %s ends: %s", self.client, reason)
        if tell:
            self.send((P.CLOSING, reason, final))
        with self.lock:
            servers = list(self.servers.values())
        for srv in servers:
            self.stop_server(srv, terminate=False)
        for srv in servers:
            self.stop_server(srv, terminate=True)
        # the next servers take these ports, so that the node's servers keep
        # their Locations over sessions (restart_node) as dispycos's do
        self.node.free_ports = [(srv.port, srv.net_port) for srv in servers]
        for f in self._files.values():
            f.close()
        remove_tree(self.dir)
        self.link.close()
        self.node.session_ended(self)


class NodeDaemon:
    """The daemon: listens, attaches one client at a time, beats its heart."""

    def __init__(self, cfg: NodeConfig):
        self.cfg = cfg
        self.secret = cfg.read_secret()
        self.host = cfg.listen_host()
        if not self.secret and not is_loopback(self.host):
            raise ConfigError(f"refusing to accept code on {self.host} without a secret; "
                              f"set --secret/--secret-file or listen on 127.0.0.1")
        self.name = cfg.name or socket.gethostname()
        self.dest_path = cfg.dest_path or os.path.join(
            os.environ.get("TMPDIR") or "/tmp", f"picoos-node-{cfg.tcp_port or os.getpid()}")
        os.makedirs(self.dest_path, exist_ok=True)
        if cfg.clean:
            remove_stale_sessions(self.dest_path)
        self.ssl_context = (wire.server_ssl_context(cfg.certfile, cfg.keyfile, cfg.cafile)
                            if cfg.certfile else None)
        self.resources = Resources(disk_path=self.dest_path, use_driver=False)
        self.session: "Session | None" = None
        self.session_counter = 0
        self.sid_counter = 0
        self.pool: "list[ServerProc]" = []          # pre-started servers waiting for a client
        self.free_ports: "list[tuple[int, int]]" = []   # ports of the last session's servers
        self._attached = threading.Event()         # set when a client attaches
        self._refilled = threading.Event()         # clear while a pre-start runs
        self._refilled.set()
        self.served = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((self.host, cfg.tcp_port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {self.host}:{cfg.tcp_port}: "
                              f"{exc.strerror}") from None
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.udp: "socket.socket | None" = None
        if cfg.udp_port:
            self.udp = self._bind_udp(cfg.udp_port)
        self._window = [parse_hhmm(cfg.service_start, "service_start"),
                        parse_hhmm(cfg.service_stop, "service_stop"),
                        parse_hhmm(cfg.service_end, "service_end")]

    # -- server processes -------------------------------------------------------------

    def spawn_servers(self, count: int,
                      ports: "list[tuple[int, int]] | None" = None) -> "list[ServerProc]":
        """Start ``count`` server processes at once and wait for their ports.

        ``ports``: (control, kernel) ports each should take if they are free.
        Raises DistError when one exits before it listens.
        """
        cfg = self.cfg
        settings = {"secret": self.secret, "host": self.host, "max_file_size": cfg.max_file_size,
                    "certfile": cfg.certfile, "keyfile": cfg.keyfile, "cafile": cfg.cafile,
                    "loglevel": logging.getLogger("picoos").getEffectiveLevel()}
        procs = []
        for i in range(count):
            with self.lock:
                self.sid_counter += 1
                sid = self.sid_counter
            wanted = {}
            if ports and i < len(ports):
                wanted = {"ctl_port": ports[i][0], "net_port": ports[i][1]}
            proc = subprocess.Popen([sys.executable, "-c", SERVER_CMD], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, close_fds=True, cwd=self.dest_path,
                                    start_new_session=True)
            assert proc.stdin is not None
            proc.stdin.write((json.dumps(dict(settings, sid=sid, **wanted)) + "\n").encode())
            proc.stdin.flush()
            procs.append((sid, proc))
        out = []
        for sid, proc in procs:     # they start in parallel; collect the ports in turn
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                proc.wait()
                raise DistError(f"server process {sid} exited with status {proc.returncode} "
                                f"before it listened")
            reply = json.loads(line)
            out.append(ServerProc(sid, proc, reply["port"], reply.get("net_port", 0)))
        return out

    def take_servers(self, count: int) -> "list[ServerProc]":
        """``count`` servers for a session: pre-started ones first."""
        # a pre-start under way finishes sooner than a second set started beside it
        self._refilled.wait(SERVER_START_TIMEOUT)
        with self.lock:
            taken, self.pool = self.pool[:count], self.pool[count:]
        taken = [s for s in taken if s.proc.poll() is None]
        if len(taken) < count:
            taken += self.spawn_servers(count - len(taken), self._take_free_ports())
        return taken

    def _take_free_ports(self) -> "list[tuple[int, int]]":
        with self.lock:
            ports, self.free_ports = self.free_ports, []
        return ports

    def refill_pool(self) -> None:
        """Pre-start servers so the next client gets them without waiting."""
        if not self.cfg.prestart or self.stopping.is_set():
            return
        with self.lock:
            missing = self.cfg.server_count() - len(self.pool)
            if missing <= 0 or not self._refilled.is_set():
                return
            self._refilled.clear()
        try:
            fresh = self.spawn_servers(missing, self._take_free_ports())
        except (OSError, DistError) as exc:
            log.error("cannot pre-start servers: %s", exc)
            return
        finally:
            self._refilled.set()
        with self.lock:
            self.pool.extend(fresh)
            if self.stopping.is_set():
                fresh, self.pool = self.pool, []
            else:
                fresh = []
        for srv in fresh:
            Session.stop_server(srv)

    def _bind_udp(self, port: int) -> "socket.socket | None":
        # a public node listens on every interface so that broadcasts reach it
        host = "" if self.host in ("0.0.0.0", "::") else self.host
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            log.warning("discovery off: cannot bind UDP port %d: %s", port, exc.strerror)
            sock.close()
            return None
        return sock

    # -- service window -----------------------------------------------------------

    def in_service(self, state: str = "start") -> bool:
        """Whether now is inside the window for ``state`` (start/stop/end)."""
        start, stop, end = self._window
        # accepting clients and accepting jobs both end at the stop time (or
        # at the end time when there is no stop time); running jobs at the end
        limit = end if state == "end" or stop is None else stop
        if start is None and limit is None:
            return True
        tm = time.localtime()
        now = tm.tm_hour * 60 + tm.tm_min
        begin = start if start is not None else 0
        finish = limit if limit is not None else 24 * 60
        if begin <= finish:
            return begin <= now < finish
        return now >= begin or now < finish        # a window across midnight

    # -- info -----------------------------------------------------------------------

    def info(self) -> "dict[str, object]":
        figures = self.resources.sample()
        figures.update({"name": self.name, "host": self.cfg.ext_host or self.host,
                        "port": self.port, "servers": self.cfg.server_count(),
                        "pid": os.getpid()})
        return figures

    # -- threads ---------------------------------------------------------------------

    def accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve_conn, args=(conn, addr[:2]), daemon=True,
                             name=f"link-{addr[0]}:{addr[1]}").start()

    def serve_conn(self, conn: socket.socket, addr: tuple) -> None:
        try:
            link = wire.accept_link(conn, self.secret, addr, self.ssl_context)
            msg = link.recv(timeout=wire.HANDSHAKE_TIMEOUT)
        except (DistError, OSError, EOFError) as exc:
            log.warning("refused %s:%s: %s", addr[0], addr[1], exc)
            conn.close()
            return
        if msg[0] == P.INFO:
            link.send((P.INFO, self.info()))
            link.close()
            return
        if msg[0] != P.ATTACH:
            link.close()
            return
        _, client, pulse, zombie = msg
        with self.lock:
            busy = self.session is not None and not self.session.ended.is_set()
            if busy:
                reason = f"node {self.name} is serving {self.session.client}"
            elif not self.in_service("start") or self.stopping.is_set():
                busy, reason = True, f"node {self.name} is outside its service window"
            else:
                session = self.session = Session(self, link, client,
                                                 pulse or self.cfg.pulse_interval)
                session.set_zombie(zombie)
        if busy:
            link.send((P.BUSY, reason))
            link.close()
            return
        log.info("client %s attached from %s", client, addr[0])
        self._attached.set()
        link.send((P.ATTACHED, self.info()))
        while not session.ended.is_set():
            try:
                msg = link.recv()
            except (EOFError, OSError, DistError):
                session.end("client link lost", tell=False)
                break
            try:
                session.handle(msg)
            except Exception as exc:  # a bad request ends the session, not the node
                log.exception("bad request from %s", client)
                session.end(f"bad request: {exc}")

    def pulse_loop(self) -> None:
        while not self.stopping.is_set():
            session = self.session
            if session is None or session.ended.is_set():
                # idle: wake at once when a client attaches, so its first
                # heartbeat is not late
                self._attached.wait(1.0)
                self._attached.clear()
                continue
            if self.stopping.wait(session.pulse):
                return
            session = self.session
            if session is None or session.ended.is_set():
                continue
            now = time.monotonic()
            if now - session.last_heard > 3 * session.pulse:
                session.end("client silent for 3 heartbeats", tell=False)
                continue
            zombie = session.zombie
            if zombie and now - session.last_busy > zombie:
                session.end(f"client idle for more than {zombie:g}s (zombie period)", final=True)
                continue
            if not self.in_service("end"):
                session.end("service window ended")
                continue
            if not self.in_service("stop"):
                session.send((P.SERVICE, "stop"))
            session.send((P.PULSE, self.info()))

    def session_ended(self, session: Session) -> None:
        with self.lock:
            if self.session is session:
                self.session = None
            self.served += 1
            if self.cfg.serve > 0 and self.served >= self.cfg.serve:
                log.info("served %d clients; exiting", self.served)
                self.stopping.set()
                return
        threading.Thread(target=self.refill_pool, daemon=True, name="prestart").start()

    def stdin_loop(self) -> None:
        for line in sys.stdin:
            cmd = line.strip().lower()
            if cmd in ("quit", "exit"):
                break
            if cmd == "status":
                session = self.session
                who = session.client if session else "no client"
                servers = len(session.servers) if session else 0
                print(f"{self.name} on {self.host}:{self.port}: {who}, {servers} servers",
                      flush=True)
        else:
            return            # stdin closed (e.g. started from a script): keep running
        self.stopping.set()

    def shutdown(self) -> None:
        self.stopping.set()
        try:
            self.sock.close()
        except OSError:
            pass
        session = self.session
        if session is not None:
            session.end("node shutting down")
        # a pre-start under way would leave orphans if the process ended now
        self._refilled.wait(SERVER_START_TIMEOUT)
        with self.lock:
            pool, self.pool = self.pool, []
        for srv in pool:
            Session.stop_server(srv)

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT, ``quit`` or ``serve`` clients; return 0."""
        def on_signal(signum: int, frame: object) -> None:
            self.stopping.set()
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        # servers first: their start-up is the longest wait for the first client
        threading.Thread(target=self.refill_pool, daemon=True, name="prestart").start()
        self.resources.sample()   # warm up (first CPU sample) before clients come
        threading.Thread(target=self.accept_loop, daemon=True, name="accept").start()
        threading.Thread(target=self.pulse_loop, daemon=True, name="pulse").start()
        if self.udp is not None:
            from picoos.dist.discovery import DiscoveryCodec, serve_discovery
            threading.Thread(target=serve_discovery, daemon=True, name="discovery",
                             args=(self.udp, DiscoveryCodec(self.secret), self.name, self.port,
                                   self.cfg.ext_host, self.stopping)).start()
        if not self.cfg.daemon and sys.stdin is not None and sys.stdin.isatty():
            threading.Thread(target=self.stdin_loop, daemon=True, name="stdin").start()
        log.info("node %s listening on %s:%d with %d servers", self.name, self.host,
                 self.port, self.cfg.server_count())
        # a line parents and tests can wait on instead of sleeping
        print(f"picoos-node ready {self.host}:{self.port} name={self.name}", flush=True)
        while not self.stopping.wait(1.0):
            pass
        self.shutdown()
        return 0


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose < 0 else logging.INFO if verbose < 2 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def run_node(cfg: NodeConfig) -> int:
    """Run a node daemon with ``cfg`` until it is told to stop."""
    return NodeDaemon(cfg).run()


def main_fd(fd: int) -> None:
    """Entry point of the lean daemon process: settings arrive as JSON on ``fd``."""
    with os.fdopen(fd, "rb") as f:
        values = json.loads(f.read())
    cfg = NodeConfig(**values)
    setup_logging(cfg.verbose)
    try:
        status = run_node(cfg)
    except ConfigError as exc:
        sys.stderr.write(f"picoos-node: error: {exc}\n")
        status = 2
    sys.exit(status)
