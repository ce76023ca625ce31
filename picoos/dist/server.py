"""A server process: runs the jobs one client sends, one at a time.

A node daemon starts one of these per CPU for each client and never runs
client code itself; a job that crashes or hangs takes down only its server,
which the node replaces. The node talks to a server over its stdin/stdout
(settings in, listening port out; stdin closing means "the node is gone:
exit").

Each server is a networked kernel (:mod:`picoos.net`, same secret and TLS
settings as its node, loopback when the node has none). A job is a real
picoos task on that kernel: the client starts it through the registered
entry point ``picoos.dist.job`` (an RPS, so it runs only for an
authenticated peer, and only code the client shipped), gets a
``RemoteTask`` back, and talks to it with ``send``/``deliver``; the job's
end reaches the client as a ``MonitorStatus`` from the net layer. The
session's control messages (code, setup functions, files, terminate) use
the authenticated control link (:mod:`picoos.dist.wire`).

Shipped code is installed as modules under the names it had on the client
(``__main__`` included), so instances of shipped classes pickle the same way
in both directions. Generator jobs run as tasks of the kernel, their code
in a thread of their own (:mod:`picoos.dist.jobthread`: a job may block
between two yields without stopping the kernel); plain function jobs run in
the kernel's thread pool, CPU jobs one at a time, I/O jobs (``run_async``)
beside them.

What happens per job (the job entry, stopping a job, and the calls a job
makes: :func:`send_file` sends a file back to the client) is
:mod:`picoos.dist.serverjobs`; those names are importable from here too.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import socket
import sys
import threading
import traceback
import types
from typing import Any, Dict, Optional, Tuple

from picoos.dist import protocol as P
from picoos.dist import serverjobs
from picoos.dist import wire
from picoos.dist.errors import DistError
from picoos.dist.paths import safe_join
# the calls a job makes and the job entry live in serverjobs; they stay
# importable from here, where shipped code and clients look for them
from picoos.dist.serverjobs import (FILE_ACK_TIMEOUT, JOB_ENTRY, TERMINATE_GRACE,  # noqa: F401
                                    _KERNEL_FLAGS, JobControl, current_job_id,
                                    dispycos_close_node, dispycos_close_server, job_entry,
                                    send_file)

log = logging.getLogger("picoos.dist")


#: modules shipped code sees as globals on a server, as on a dispycos server
_SERVER_MODULES = ("os", "sys", "time", "socket", "re", "stat", "signal", "shutil", "platform",
                   "pickle", "traceback", "hashlib")


class _Stop(Exception):
    pass


class Server(JobControl):
    """One server process's state: shipped modules, setup queue, client link;
    running and stopping jobs is :class:`~picoos.dist.serverjobs.JobControl`."""

    def __init__(self, settings: Dict[str, Any]):
        self.sid: int = settings["sid"]
        self.settings = settings
        self.secret: str = settings.get("secret", "")
        self.host: str = settings.get("host", "127.0.0.1")
        self.workdir: str = ""                       # set when a client's session starts
        self.session_dir: str = ""                   # ... and the session's (node's) folder
        self.in_session = threading.Event()
        self.max_file_size: int = settings.get("max_file_size", 0)
        self.ssl_context = None
        if settings.get("certfile"):
            self.ssl_context = wire.server_ssl_context(settings["certfile"], settings["keyfile"],
                                                       settings.get("cafile", ""))
        self.link: Optional[wire.Link] = None
        self.jobs: "queue.Queue[Optional[tuple]]" = queue.Queue()   # setup functions
        self.threads: Dict[int, int] = {}           # job id -> thread running it (plain fns)
        self.job_tasks: Dict[int, Any] = {}         # job id -> task running a generator job
        self.job_code: set = set()                  # ... of those, the ones whose code started
        self.waiting: set = set()                   # CPU jobs waiting for the CPU slot
        self.cancelled: set = set()
        self.paces: Dict[Tuple[str, str], Any] = {}   # job function -> jobthread.Pace
        self.kernel: Any = None                     # this process's networked kernel
        self.cpu_lock: Any = None                   # picoos Lock: one CPU job at a time
        self.exiting = False
        self.modules: Dict[str, types.ModuleType] = {}
        self._files: Dict[str, Any] = {}
        self.file_acks: Dict[str, Any] = {}         # name -> Event (then the error or None)

    # -- setup -----------------------------------------------------------------

    def start_session(self, workdir: str, session: Optional[str] = None) -> None:
        os.makedirs(workdir, exist_ok=True)
        os.chdir(workdir)
        sys.path.insert(0, workdir)   # shipped .py files import like local modules
        self.workdir = workdir
        self.session_dir = session or workdir
        if self.kernel is not None:
            # Discussion: the node's first server's kernel is the node's
            # Location, so until the client installs code here, files sent to
            # this kernel are the node's: they land in the session directory,
            # where node_setup runs (and jobs find them in '..'). Then
            # files sent to this server land where its jobs run.
            self.kernel.dest_path = os.path.realpath(self.session_dir)
        self.in_session.set()

    def _own_files(self) -> None:
        if self.kernel is not None and self.workdir:
            self.kernel.dest_path = os.path.realpath(self.workdir)

    def listen(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:    # a restarted server keeps the port of the one it replaces if it can
            sock.bind((self.host, self.settings.get("ctl_port", 0)))
        except OSError:
            sock.bind((self.host, 0))
        sock.listen(4)
        return sock

    def install(self, components: Dict[str, Any]) -> None:
        """Install shipped modules: each a name, import lines and source."""
        for name, imports, source in components.get("modules", []):
            mod = self.modules.get(name)
            if mod is None:
                mod = types.ModuleType(name)
                mod.__file__ = f"<picoos shipped {name}>"
                self.modules[name] = mod
                sys.modules[name] = mod     # so pickle finds shipped classes by name
            if "pycos" not in mod.__dict__:
                # as on a dispycos server, jobs find the (networked) kernel's
                # API as ``pycos`` without importing it themselves
                import picoos.netpycos
                mod.__dict__["pycos"] = picoos.netpycos
                mod.__dict__.setdefault("dispycos_close_server", dispycos_close_server)
                mod.__dict__.setdefault("dispycos_close_node", dispycos_close_node)
                # the standard modules a dispycos server's code finds without
                # importing them (its jobs run in the node program's globals)
                import importlib
                for std in _SERVER_MODULES:
                    mod.__dict__.setdefault(std, importlib.import_module(std))
            for line in imports:
                try:
                    exec(line, mod.__dict__)
                except Exception:  # an import the job may not need; it fails loudly if used
                    log.debug("shipped import failed on server %s: %s", self.sid, line)
            # keep the source where traceback can find it: a job's traceback then
            # shows the failing line, not just a line number
            import linecache
            key = f"<picoos shipped {name} #{len(linecache.cache)}>"
            linecache.cache[key] = (len(source), None, source.splitlines(True), key)
            exec(compile(source, key, "exec"), mod.__dict__)

    def lookup(self, ref: Tuple[str, str]) -> Any:
        modname, qualname = ref
        mod = self.modules.get(modname) or sys.modules.get(modname)
        if mod is None:
            __import__(modname)
            mod = sys.modules[modname]
        obj: Any = mod
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj

    # -- running ---------------------------------------------------------------

    def call(self, ref: Tuple[str, str], args: tuple, kwargs: dict) -> Any:
        fn = self.lookup(ref)
        return run_callable(fn, args, kwargs)

    def worker(self) -> None:
        """Runs the setup functions, in order, outside the kernel's thread."""
        while True:
            item = self.jobs.get()
            if item is None:
                return
            self.run_setup(*item[1:])

    def run_setup(self, tag: str, ref: Tuple[str, str], args: tuple, kwargs: dict) -> None:
        from picoos.dist import nodestate
        try:
            if tag == "node-state":     # take over what node_setup bound on another server
                nodestate.load(self.modules, self.session_dir)
                value = 0
            elif tag == "node":         # runs in the node's folder, as on a dispycos node
                before = nodestate.snapshot(self.modules)
                os.chdir(self.session_dir)
                try:
                    value = self.call(ref, args, kwargs)
                finally:
                    os.chdir(self.workdir)
                if value in (None, 0):
                    nodestate.save(self.modules, before, self.session_dir)
            else:
                value = self.call(ref, args, kwargs)
            msg = (P.SETUP_DONE, tag, None, value)
        except BaseException as exc:
            msg = (P.SETUP_DONE, tag, describe_error(exc), None)
        self.reply(msg)

    def reply(self, msg: tuple, job_id: Optional[int] = None) -> None:
        link = self.link
        if link is None:
            return
        try:
            link.send(msg)
        except (OSError, EOFError):
            return
        except Exception as exc:  # an unpicklable result: say so instead of hanging
            if job_id is None:
                return
            err = (type(exc).__name__, f"result of job {job_id} cannot be sent back: {exc}",
                   traceback.format_exc(), None)
            try:
                link.send((P.RESULT, job_id, P.ERROR, err))
            except Exception:
                pass

    # -- the client link ------------------------------------------------------------

    def serve_link(self, link: wire.Link) -> None:
        self.link = link
        # first, where this server's networked kernel listens: jobs start there
        link.send((P.NETLOC, self.kernel.location.port if self.kernel is not None else 0))
        while True:
            try:
                msg = link.recv()
            except (EOFError, OSError):
                break
            kind = msg[0]
            if kind == P.TERMINATE:
                self.terminate(*msg[1:3])
            elif kind == P.SETUP:
                self.jobs.put(msg)
            elif kind == P.INIT:
                self._own_files()
                try:
                    self.install(msg[1])
                    link.send((P.INIT_DONE, None))
                except BaseException as exc:
                    link.send((P.INIT_DONE, describe_error(exc)))
            elif kind == P.FILE:
                self.receive_file(*msg[1:])
            elif kind == P.FILE_DONE:
                event = self.file_acks.get(msg[1])
                if event is not None:
                    self.file_acks[msg[1]] = msg[2]
                    event.set()
            elif kind == P.PING:
                link.send((P.PONG, msg[1]))
            elif kind == P.CLOSE:
                raise _Stop()
        if self.link is link:
            self.link = None
        if self.exiting:
            os._exit(0)

    def receive_file(self, name: str, data: bytes, last: bool) -> None:
        f = self._files.get(name)
        error = None
        try:
            if f is None:
                f = open(safe_join(self.workdir, name), "wb")
                self._files[name] = f
            f.write(data)
            if self.max_file_size and f.tell() > self.max_file_size:
                raise DistError(f"file {name!r} is larger than max_file_size "
                                f"{self.max_file_size}")
        except Exception as exc:
            error = str(exc)
            last = True
        if last:
            self._files.pop(name, None)
            if f is not None:
                f.close()
            if self.link is not None:
                self.link.send((P.FILE_DONE, name, error))


def start_kernel(server: "Server") -> Any:
    """Start this process's networked kernel and register the job entry."""
    from picoos.kernel.sync import Lock
    from picoos.net import RPS, Pycos
    options = dict(name=f"picoos-server-{server.sid}-{os.getpid()}", host=server.host,
                   udp_port=0, discover_peers=False, secret=server.secret,
                   certfile=server.settings.get("certfile") or None,
                   keyfile=server.settings.get("keyfile") or None,
                   cafile=server.settings.get("cafile") or None,
                   dest_path=os.getcwd(),     # the node's dest_path (our cwd)
                   max_file_size=server.max_file_size or None,
                   pulse_interval=server.settings.get("pulse_interval", 2.0))
    try:    # a restarted server keeps the Location of the one it replaces if it can
        kernel = Pycos(tcp_port=server.settings.get("net_port", 0), **options)
    except OSError:
        kernel = Pycos(tcp_port=0, **options)
    server.kernel = kernel
    server.cpu_lock = Lock()
    if RPS(job_entry, name=JOB_ENTRY).register() != 0:
        raise DistError(f"cannot register the job entry {JOB_ENTRY!r} on the server kernel")
    return kernel


def describe_error(exc: BaseException) -> tuple:
    """(type name, message, traceback text, pickled exception or None)."""
    import pickle
    try:
        blob = pickle.dumps(exc)
        pickle.loads(blob)
    except Exception:
        blob = None
    return (type(exc).__name__, str(exc), traceback.format_exc(), blob)


def run_callable(fn: Any, args: tuple, kwargs: dict) -> Any:
    """Call a job function; generator and async functions run on a picoos kernel.

    pycos-style job functions are generators taking ``task=None``; they run
    on picoos's kernel when it is installed. Without it, a generator that
    only yields plain values still runs (each value is sent back, as pycos
    does for non-trap values).
    """
    code = getattr(fn, "__code__", None)
    if code is not None and code.co_flags & _KERNEL_FLAGS:
        runner = _kernel_runner()
        if runner is not None:
            return runner(fn, *args, **kwargs)
        gen = fn(*args, **kwargs)
        value = None
        try:
            while True:
                value = gen.send(value)
        except StopIteration as stop:
            return stop.value
    return fn(*args, **kwargs)


def _kernel_runner() -> Any:
    try:
        from picoos.kernel.scheduler import run
    except ImportError:
        return None
    return run


def _watch_stdin(server: Server) -> None:
    # the node holds our stdin: EOF means the node exited or closed us; a JSON
    # line hands this (pre-started) server to a client's session
    for line in sys.stdin:
        line = line.strip()
        if line == "quit":
            break
        if line.startswith("{"):
            where = json.loads(line)
            server.start_session(where["workdir"], where.get("session"))
    os._exit(0)


def main() -> None:
    """Entry point of a server process (started by the node daemon)."""
    line = sys.stdin.readline()
    if not line:
        os._exit(0)          # the node went away before it sent our settings
    settings = json.loads(line)
    server = serverjobs._current = Server(settings)
    logging.basicConfig(level=settings.get("loglevel", logging.WARNING),
                        format=f"%(asctime)s server-{server.sid} %(levelname)s %(message)s")
    sock = server.listen()
    start_kernel(server)
    try:
        sys.stdout.write(json.dumps({"port": sock.getsockname()[1], "pid": os.getpid(),
                                     "net_port": server.kernel.location.port}) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        os._exit(0)          # the node exited while we started: nobody to serve
    threading.Thread(target=_watch_stdin, args=(server,), daemon=True, name="stdin").start()
    threading.Thread(target=server.worker, daemon=True, name="worker").start()
    while True:
        conn, addr = sock.accept()
        server.in_session.wait()      # the node says which session before the client connects
        try:
            link = wire.accept_link(conn, server.secret, addr[:2], server.ssl_context)
        except (DistError, OSError, EOFError) as exc:
            log.warning("server %s refused %s: %s", server.sid, addr, exc)
            conn.close()
            continue
        try:
            server.serve_link(link)
        except _Stop:
            link.close()
            os._exit(0)


if __name__ == "__main__":
    main()
