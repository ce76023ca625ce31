"""The client: ships a computation to a fleet of nodes and farms jobs to it.

``Client`` keeps dispycos's names (``schedule``, ``rtask``/``run``,
``run_at``, ``io_rtask``/``run_async``, ``nodes``, ``servers``, ``tasks``,
``close``, node and server control, ``DispycosNodeAllocate`` filters and
``DispycosStatus`` messages) and adds what a fleet of boards needs:

- a node silent for three heartbeats, or one whose link breaks, is declared
  lost; its jobs are reported abandoned and those submitted with
  ``retry=True`` are queued again and run elsewhere. Results are keyed by
  job id, so a late result from a lost server is dropped, never delivered
  twice;
- a lost node is dialled again every heartbeat and rejoins when it is back;
- ``snapshot()`` feeds the web monitor (:mod:`picoos.dist.httpd`) and the
  terminal progress line (:mod:`picoos.dist.progress`).

Jobs are picoos tasks on the servers' networked kernels: the client side
runs on the program's networked kernel (the default one; made here when the
program has none yet), starts each job through the servers' registered job
entry and gets a ``RemoteTask`` back (``rtask = yield client.rtask(...)``).
Each job's ``MonitorStatus`` comes back to one job-monitor task; a server
whose kernel link drops (``peer_status``) is lost at once.

The client is this module's job bookkeeping (queue, submission, results,
close, snapshot) plus mixins: :mod:`picoos.dist.fleetevents` (what the
fleet reports about nodes and servers: found, set up, closed, lost; a lost
server's jobs are queued again or abandoned there),
:mod:`picoos.dist.control` (node and server control),
:mod:`picoos.dist.netjobs` (jobs as tasks) and :mod:`picoos.dist.dispatch`.

What runs where: the client's work runs as tasks on that kernel (in the
program's kernel thread, or in the one thread of the private kernel made
here). :mod:`picoos.dist.dispatch` has the dispatcher (queue -> servers),
the keeper (heartbeats, liveness, re-dialling), a dial task per node being
attached and, with ``discover``, the discovery task (UDP pings and pongs);
:mod:`picoos.dist.fleet` has a task per server being connected and set up
and a reader task per node and per server control link;
:mod:`picoos.dist.clientlink` a writer task per link. Other threads: the
kernel's pool (reading and writing files, waiting for code shipped after
start-up), a short-lived one per node or server that
:mod:`picoos.dist.control` closes once its jobs are done, and the
program's own: plain threads submit and wait for jobs
(``client.run(...).result()``), so all job bookkeeping is under one lock;
a task of the client's kernel never waits for that lock longer than
another holder's short update.
"""
from __future__ import annotations

import collections
import logging
import os
import socket
import tempfile
import threading
import time
from typing import Any, Deque, Dict, Iterable, List, Optional, Tuple

from picoos.dist import protocol as P
from picoos.dist import wire
from picoos.dist.allocate import DispycosNodeAllocate, ask_filter
from picoos.dist.components import Computation
from picoos.dist.control import FleetControl
from picoos.dist.dispatch import Dispatcher, WakingCondition
from picoos.dist.netjobs import TaskJobs
from picoos.dist.config import DEFAULT_TCP_PORT, DEFAULT_UDP_PORT
from picoos.dist.errors import ClientClosed, NodeUnavailable
from picoos.dist.fleet import CLOSING, READY, SUSPENDED, NodeLink, ServerLink, parse_address
from picoos.dist.fleetevents import FleetEvents
from picoos.dist.jobs import ABANDONED, QUEUED, TERMINATED, Job, in_task_or_blocking
from picoos.dist.status import DispycosStatus, Scheduler, deliver
from picoos.kernel.context import current_task

log = logging.getLogger("picoos.dist")

# seconds a generator job has to finish after KeyboardInterrupt when the
# client closes with terminate=True (dispycos gives its jobs 5)
CLOSE_GRACE = 5.0


class Client(FleetEvents, FleetControl, TaskJobs, Dispatcher):
    """A computation plus the fleet it runs on; see the module docstring.

    ``components``: functions, classes, modules and file paths to ship.
    ``nodes``: ``"host[:port]"`` strings and ``DispycosNodeAllocate``
    filters (one without ``*`` is also dialled). ``status_task``: a picoos
    Task, a queue or a callable that receives ``DispycosStatus`` messages.
    ``retry``: default for jobs (rerun elsewhere when their node is lost).
    ``zombie_period``: seconds without jobs after which nodes close this
    client (the node's own limit applies too; the stricter one wins).
    ``tls``: wrap every link in TLS (on by default when ``cafile`` or
    ``certfile`` is given; nodes then need ``--certfile``/``--keyfile``).
    ``discover``: find nodes by signed UDP broadcast on ``udp_port``
    (default: when no node address is given). Without ``nodes``, the
    environment variable ``PICOOS_NODES`` ("host[:port],...") names them.

    Fleet control as in dispycos (:mod:`picoos.dist.control`):
    ``disable_nodes``: a discovered node (``NodeDiscovered``, whose
    ``info.avail_info.location`` accepts ``send_file``) is used only after
    ``enable_node(addr, *node_setup_args)``; ``disable_servers``: with a
    ``server_setup``, a server (``ServerDiscovered``) is used only after
    ``enable_server(location, *server_setup_args)``; ``restart_servers``: a
    server that is closed (``close_server``, or a job calling
    ``dispycos_close_server()``) is replaced by a fresh process. Both
    ``disable_*`` options need a ``status_task`` to hear of the discoveries.
    ``node_allocations`` (old dispycos name) is added to ``nodes``;
    ``abandon_zombie_nodes``: nodes may give this client up when it leaves
    them idle (see ``abandon_zombie``); ``ping_interval`` is accepted for
    dispycos programs. A silent node is always given up after three heartbeats.
    """

    def __init__(self, components: Iterable[Any] = (), nodes: Iterable[Any] = (),
                 status_task: Any = None, node_setup: Any = None, server_setup: Any = None,
                 disable_nodes: bool = False, disable_servers: bool = False,
                 pulse_interval: float = 10.0, node_allocations: Iterable[Any] = (),
                 ping_interval: Optional[float] = None, restart_servers: bool = False,
                 zombie_period: Optional[float] = None, abandon_zombie_nodes: bool = False, *,
                 node_setup_args: tuple = (), server_setup_args: tuple = (),
                 secret: str = "", certfile: str = "", keyfile: str = "", cafile: str = "",
                 dest_path: Optional[str] = None, retry: bool = False, max_tries: int = 3,
                 prefetch: int = 2, name: Optional[str] = None,
                 connect_timeout: float = 5.0, node_port: int = DEFAULT_TCP_PORT,
                 discover: Optional[bool] = None, udp_port: int = DEFAULT_UDP_PORT,
                 tls: Optional[bool] = None):
        if pulse_interval <= 0:
            raise ValueError(f"pulse_interval = {pulse_interval!r}; expected seconds > 0")
        if zombie_period is not None and zombie_period < 0:
            raise ValueError(f"zombie_period = {zombie_period!r}; expected seconds >= 0")
        if zombie_period:
            pulse_interval = min(pulse_interval, zombie_period / 3.0)
        self.zombie_period = float(zombie_period or 0.0)
        if prefetch < 1 or max_tries < 1:
            raise ValueError(f"prefetch = {prefetch}, max_tries = {max_tries}; expected >= 1")
        if (disable_nodes or disable_servers) and status_task is None:
            raise ValueError("disable_nodes/disable_servers need a status_task: it hears of "
                             "discovered nodes and servers and enables them")
        self.disable_nodes, self.disable_servers = bool(disable_nodes), bool(disable_servers)
        self.restart_servers = bool(restart_servers)
        self.ping_interval = ping_interval
        self.abandon_zombie_nodes = bool(abandon_zombie_nodes)
        self._node_args: Dict[Tuple[str, int], tuple] = {}   # enable_node before attach
        nodes = list(nodes or ()) + list(node_allocations or ())
        self.computation = Computation(components)
        self.node_setup, self.node_setup_args = node_setup, tuple(node_setup_args)
        self.server_setup, self.server_setup_args = server_setup, tuple(server_setup_args)
        self.node_setup_ref = self.computation.ensure(node_setup) if node_setup else None
        self.server_setup_ref = self.computation.ensure(server_setup) if server_setup else None
        self.status_task = status_task
        self.pulse_interval = float(pulse_interval)
        self.secret = secret
        if tls is None:
            tls = bool(cafile or certfile)
        self.ssl_context = wire.client_ssl_context(cafile, certfile, keyfile) if tls else None
        self.certfile, self.keyfile, self.cafile = certfile, keyfile, cafile
        # a folder made here is removed at close() when nothing was sent back into it
        self._own_dest = dest_path is None
        self.dest_path = dest_path or tempfile.mkdtemp(prefix="picoos-client-")
        os.makedirs(self.dest_path, exist_ok=True)
        self.retry, self.max_tries, self.prefetch = retry, max_tries, prefetch
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.connect_timeout = connect_timeout
        self.node_port = node_port
        self.allocations: List[DispycosNodeAllocate] = []
        self.targets: List[Tuple[str, int]] = []
        for entry in nodes or ():
            self._add_node_entry(entry)
        if not self.targets and os.environ.get("PICOOS_NODES"):
            # nodes named outside the program (e.g. for dispycos programs,
            # which find nodes by broadcast): "host[:port],host[:port]"
            for entry in os.environ["PICOOS_NODES"].split(","):
                if entry.strip():
                    self._add_node_entry(entry.strip())
        # without node addresses, nodes are found by signed UDP broadcasts
        self.discover = (not self.targets) if discover is None else discover
        self.udp_port = udp_port
        self._payloads: List[Dict[str, Any]] = []
        self._take_code()
        self._lock = threading.RLock()
        self._cv = WakingCondition(self._lock, self._kick)   # also wakes the dispatcher
        self._queue: Deque[Job] = collections.deque()
        self._pinned: List[Job] = []                # jobs that must run at a given place
        self._next_id = 1
        self._nodes: Dict[str, NodeLink] = {}       # "addr:port" -> NodeLink
        self._servers: Dict[str, ServerLink] = {}   # location -> ready ServerLink
        self._dialling: Dict[str, Any] = {}        # "addr:port" -> task attaching to it
        self._next_dial: Dict[Tuple[str, int], float] = {}
        self._errors: Dict[str, str] = {}           # last error per target, for messages
        self._file_events: Dict[Tuple[str, str], Any] = {}
        self._recent: Deque[Job] = collections.deque(maxlen=200)
        self.counts = collections.Counter()         # submitted, done, failed, ...
        self.started_at: Optional[float] = None
        self._scheduled = False
        self._closed = False
        self._closing = False        # close() has begun: no new jobs from now on
        self._kernel: Any = None                    # the networked kernel jobs start from
        self._monitor: Any = None                   # task receiving the jobs' MonitorStatus
        self._spawner: Any = None                   # task creating tasks on that kernel
        self._dispatch_task: Any = None             # task taking queued jobs to servers
        self._kicked = False                        # ... and already woken for them
        self._keeper_task: Any = None               # task: heartbeats, liveness, dialling
        self._rtasks: Dict[Any, Tuple[Job, ServerLink]] = {}   # RemoteTask -> (job, server)
        self._fn_refs: Dict[Any, Tuple[str, str]] = {}   # job function -> its ref, once known

    # -- configuration ------------------------------------------------------------------

    def _add_node_entry(self, entry: Any) -> None:
        if isinstance(entry, DispycosNodeAllocate):
            self.allocations.append(entry)
            if not entry.is_pattern:
                self.targets.append((entry.node, entry.port or self.node_port))
        elif isinstance(entry, str):
            self.targets.append(parse_address(entry, self.node_port))
        else:
            raise TypeError(f"nodes entry {entry!r} is a {type(entry).__name__}; expected "
                            f"'host[:port]' or DispycosNodeAllocate")

    def _take_code(self) -> None:
        if self.computation.pending():
            self._payloads.append(self.computation.take())

    def init_payloads(self) -> List[Dict[str, Any]]:
        return list(self._payloads)

    def allocation(self, node: NodeLink) -> int:
        """Servers to use on ``node`` per the filters (0 = do not use it)."""
        fig = node.figures
        cpus = int(fig.get("servers") or fig.get("cpus") or 1)
        for alloc in self.allocations:
            if not alloc.matches(node.addr, node.name, node.port):
                continue
            count = ask_filter(alloc, node.addr, node.name, fig.get("platform", ""), cpus,
                               fig.get("memory_available", 0), fig.get("disk_free", 0),
                               fig.get("model"))
            if count >= 0:
                return count
        # as in dispycos, a node no filter decides about is used in full
        return cpus

    # -- scheduling ----------------------------------------------------------------------

    def schedule(self, timeout: Optional[float] = None, location: Any = None) -> Any:
        """Start using the fleet; returns 0 once a server is ready (at once
        when nodes or servers are held back until the program enables them).

        In a picoos task use ``yield client.schedule()``. Raises
        NodeUnavailable (with each node's last error) when ``timeout``
        passes without a ready server. ``location`` (dispycos's host name or
        Location of a shared scheduler) is accepted for dispycos programs:
        a picoos client schedules its jobs itself, on the nodes it is given
        or finds, so there is no scheduler to reach; TypeError for other types.
        """
        if location is not None and not (isinstance(location, str) or
                                         hasattr(location, "addr")):
            raise TypeError(f"location must be a host name or a Location, got {location!r}")
        if location is not None:
            log.debug("client %s schedules its own jobs (scheduler location %s not used)",
                      self.name, location)
        return in_task_or_blocking(self._schedule, timeout)

    def _schedule(self, timeout: Optional[float]) -> int:
        if self._closed:
            raise ClientClosed("this client was closed; create a new one")
        if not self._scheduled:
            self._start_net()
            self._scheduled = True
            self.started_at = time.time()
        deadline = None if timeout is None else time.monotonic() + timeout
        # with nodes or servers held back (disable_nodes/disable_servers) the
        # program enables them once it hears of them, maybe only after this
        # returns: waiting for a ready server here could wait for ever
        held_back = self.disable_nodes or (self.disable_servers and
                                           self.server_setup_ref is not None)
        with self._cv:
            while not self._servers and not held_back:
                if not self.targets and not self._dialling and not self.discover:
                    raise NodeUnavailable("no node left to try (closed after failures: " +
                                          ("; ".join(f"{k}: {v}" for k, v in self._errors.items())
                                           or "none") + ")")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    tried = "; ".join(f"{k}: {v}" for k, v in self._errors.items()) or \
                        ", ".join(f"{h}:{p}" for h, p in self.targets)
                    raise NodeUnavailable(f"no server ready after {timeout:g}s (tried {tried})")
                self._cv.wait(0.2 if left is None else min(left, 0.2))
        deliver(self.status_task, DispycosStatus(Scheduler.ClientScheduled, self))
        return 0

    def wait_servers(self, count: int, timeout: float) -> bool:
        """Block until ``count`` servers are ready; True if they are in time."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while len(self._servers) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(min(left, 0.2))
        return True

    # -- submitting ---------------------------------------------------------------------

    def submit(self, fn: Any, args: tuple = (), kwargs: Optional[dict] = None, *,
               retry: Optional[bool] = None, where: Optional[str] = None,
               io: bool = False) -> Job:
        """Queue ``fn(*args, **kwargs)``; returns its Job at once.

        ``retry`` (default: the client's) lets the job run again elsewhere
        when its server is lost; ``where`` pins it to a node (name or
        address) or a server location; ``io`` runs it without a CPU slot.
        Raises ClientClosed after close(), ComponentError for code that
        cannot be shipped.
        """
        return self._submit(fn, args, kwargs, retry, where, io, False)

    def _submit(self, fn: Any, args: tuple, kwargs: Optional[dict], retry: Optional[bool],
                where: Any, io: bool, here: bool) -> Job:
        # here: the caller is a task of the client's kernel, which takes
        # jobs to free servers itself (the dispatcher task is not woken)
        if self._closed or self._closing:
            raise ClientClosed("this client was closed; it takes no more jobs" if self._closed
                               else "this client is closing; it takes no more jobs")
        try:
            ref = self._fn_refs.get(fn)
        except TypeError:          # an unhashable callable
            ref = None
        if ref is None:
            ref = self.computation.ensure(fn)
            try:
                self._fn_refs[fn] = ref
            except TypeError:
                pass
        if where is not None:
            where = str(where)      # a Location (dispycos's server info) or a name
        with self._cv:
            self._take_code()
            job = Job(self._next_id, fn, ref, tuple(args), dict(kwargs) if kwargs else {}, io,
                      self.retry if retry is None else retry, where)
            self._next_id += 1
            (self._pinned if where else self._queue).append(job)
            self.counts["submitted"] += 1
            picked = self._take_jobs() if here else ()
            self._cv.notify_all()
        for job_, srv, payloads in picked:
            self._launch(job_, srv, payloads)
        return job

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a CPU job (one at a time per server); dispycos ``rtask``.

        In a task of the client's kernel, ``rtask = yield client.run(...)``
        gives the job's remote task (a ``picoos.Task``) once a server has
        started it, or None if it could not start. From a plain thread it
        returns the :class:`Job` at once.
        """
        return self._submit_started(fn, args, kwargs)

    rtask = run

    def run_at(self, where: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """As run(), on node/server ``where`` (a name, "addr:port" or Location)."""
        return self._submit_started(fn, args, kwargs, where=where)

    rtask_at = run_at

    def run_async(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """As run(), for an I/O job: it runs beside the CPU jobs; ``io_rtask``."""
        return self._submit_started(fn, args, kwargs, io=True)

    io_rtask = run_async

    def io_rtask_at(self, where: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return self._submit_started(fn, args, kwargs, where=where, io=True)

    def _submit_started(self, fn: Any, args: tuple, kwargs: dict, where: Any = None,
                        io: bool = False) -> Any:
        task = current_task()
        if task is None:
            return self._submit(fn, args, kwargs, None, where, io, False)
        if self._closing and not self._closed:
            # a task that starts a job while the client closes (say, on a
            # ServerInitialized status that came late) gets None, as for a
            # job that could not start; the job would keep close() waiting
            log.warning("client %s is closing: %s not started", self.name,
                        getattr(fn, "__name__", fn))
            return None
        job = self._submit(fn, args, kwargs, None, where, io, task._kernel is self._kernel)
        return self._wait_started(job)

    def map(self, fn: Any, iterable: Iterable[Any], retry: Optional[bool] = None) -> List[Job]:
        """Submit ``fn(x)`` for each x; returns the jobs in order."""
        return [self.submit(fn, (x,), retry=retry) for x in iterable]

    # -- results (what the fleet reports on nodes and servers: picoos.dist.fleetevents) ---------

    def job_result(self, srv: ServerLink, job_id: int, state: str, value: Any) -> None:
        with self._cv:
            job = srv.inflight.pop(job_id, None) or srv.io_jobs.pop(job_id, None)
            if job is None or job.done() or job.server is not srv:
                self.counts["duplicates"] += 1      # late or repeated: the first one won
                return
            if state == P.REQUEUE:
                job.state, job.server, job.tries = QUEUED, None, job.tries - 1
                if job.where:
                    self._pinned.insert(0, job)
                else:
                    self._queue.appendleft(job)
                self._cv.notify_all()
                return
            if state == P.OK:
                job._finish_ok(value)
                self.counts["done"] += 1
            elif state == P.TERMINATED:
                job._finish_lost(TERMINATED, "terminated on request")
                self.counts["terminated"] += 1
            else:
                job._finish_error(value)
                self.counts["failed"] += 1
            srv.done += 1
            srv.node.done += 1
            self._recent.append(job)
            self._cv.notify_all()
        status = Scheduler.TaskTerminated if state == P.TERMINATED else Scheduler.TaskFinished
        job._wake()
        deliver(self.status_task, DispycosStatus(status, job))

    # -- closing ------------------------------------------------------------------------------

    def close(self, await_io: bool = False, terminate: bool = False,
              timeout: Optional[float] = None) -> Any:
        """Wait for the jobs (or terminate them), release the nodes; returns 0.

        In a picoos task use ``yield client.close()``.
        """
        return in_task_or_blocking(self._close, await_io, terminate, timeout)

    def _close(self, await_io: bool, terminate: bool, timeout: Optional[float]) -> int:
        if self._closed:
            return 0
        self._closing = True
        deadline = None if timeout is None else time.monotonic() + timeout
        if terminate:
            for job in list(self._queue) + list(self._pinned) + self._running_jobs():
                self.terminate(job, grace=CLOSE_GRACE)
        with self._cv:
            while self._queue or self._pinned or any(
                    s.inflight or (await_io and s.io_jobs) for s in self._servers.values()):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                if not self._servers and not self._dialling and self._queue and not any(
                        n.state in (READY, SUSPENDED) for n in self._nodes.values()) \
                        and left is None and not self.targets:
                    break          # nothing can ever run them
                self._cv.wait(0.2 if left is None else min(left, 0.2))
            self._closed = True
            if self._own_dest:
                try:
                    os.rmdir(self.dest_path)    # only if empty: files sent back are kept
                except OSError:
                    pass
            left_over = list(self._queue) + list(self._pinned)
            self._queue.clear()
            self._pinned.clear()
            nodes = list(self._nodes.values())
            self._cv.notify_all()
        for job in left_over:
            job._finish_lost(ABANDONED, "client closed before it ran")
        for node in nodes:
            if node.state in (READY, SUSPENDED, CLOSING):
                node.state = CLOSING
                self._servers_closing(node)     # ServerClosed, not disconnected
                node.send((P.DETACH, terminate))
                self.node_lost(node, "client closed")
        deliver(self.status_task, DispycosStatus(Scheduler.ClientClosed, self))
        for task in (self._keeper_task, self._dispatch_task):
            if task is not None:
                task.send(None)          # they see _closed and end
        if self._spawner is not None:
            self._spawner.send(None)     # a private kernel then shuts down
        return 0

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._close(False, exc[0] is not None, None)

    def start_monitor(self, host: str = "127.0.0.1", port: int = 8181,
                      token: Optional[str] = None) -> Any:
        """Start the fleet web monitor (:mod:`picoos.dist.httpd`) for this client.

        Read-only unless ``token`` is given; returns the Monitor (``.url``,
        ``.shutdown()``). Raises OSError when the port is taken.
        """
        from picoos.dist.httpd import Monitor
        return Monitor(self, host=host, port=port, token=token).start()

    # -- monitoring -------------------------------------------------------------------------

    def snapshot(self) -> Dict[str, Any]:
        """The fleet and the jobs as plain data (web monitor, progress line)."""
        with self._lock:
            nodes = [n.describe() for n in self._nodes.values()]
            servers = [s.describe() for n in self._nodes.values() for s in n.servers.values()]
            running = sum(s["running"] for s in servers)
            counts = dict(self.counts)
            queued = len(self._queue) + len(self._pinned)
            recent = [j.describe() for j in list(self._recent)[-50:]]
            recent += [j.describe() for j in self._running_jobs()]
        elapsed = (time.time() - self.started_at) if self.started_at else 0.0
        finished = counts.get("done", 0) + counts.get("failed", 0)
        return {"client": self.name, "time": time.time(), "elapsed": round(elapsed, 1),
                "jobs": {"submitted": counts.get("submitted", 0), "done": counts.get("done", 0),
                         "failed": counts.get("failed", 0), "abandoned": counts.get("abandoned", 0),
                         "terminated": counts.get("terminated", 0), "rerun": counts.get("rerun", 0),
                         "duplicates_dropped": counts.get("duplicates", 0),
                         "queued": queued, "running": running,
                         "rate": round(finished / elapsed, 1) if elapsed else 0.0},
                "nodes": nodes, "servers": servers, "recent_jobs": recent}
