"""RPS: functions a kernel lets its peers run.

Nothing a peer sends can make this kernel run code of the peer's choosing
by name, except an `RPS`: a generator function the program registered on
purpose. A peer finds it with `yield RPS.locate(name, location)` and
calls it, `rtask = yield rps(*args)`, which creates a task running the
function on the RPS's kernel and gives back a (remote) task: send to it,
monitor it, or wait for its value with `yield rtask.finish()` /
`yield rtask()`.
"""
from __future__ import annotations

import inspect
import logging
from typing import Any, Callable, Optional

from picoos.kernel import context
from picoos.kernel.location import Location
from picoos.kernel.task import DONE, Task
from picoos.kernel.traps import coro
from picoos.net.errors import NetError

__all__ = ["RPS", "RPSError"]

log = logging.getLogger("picoos.net")

_PRUNE = 64     # see RPS._prune_at


class RPSError(NetError, TypeError):
    """An RPS was made from something that is not a generator function."""


class RPS:
    """A registered function remote peers may run (pycos's RPS).

    `RPS(fn, name=None)`: `fn` must be a generator function (it becomes a
    task's body); `name` defaults to its `__name__`. Call `register()` to
    make it findable. Raises `RPSError` (a `TypeError`) otherwise.
    """

    __slots__ = ("_fn", "_name", "_location", "_kernel", "_monitors", "_rtasks", "_prune_at")

    def __init__(self, method: Callable, name: Optional[str] = None) -> None:
        if not (inspect.isgeneratorfunction(method) or inspect.iscoroutinefunction(method)):
            raise RPSError("RPS needs a generator function (or async def), got %r" % (method,))
        self._fn = method           # the function (None for a remote handle)
        self._name = name or method.__name__
        self._location = None       # None: local; else the owner's Location
        self._kernel = None         # the kernel it is registered on / talks through
        self._monitors = []         # local tasks told about tasks it creates
        self._rtasks = []           # remote tasks created through this handle
        self._prune_at = _PRUNE     # forget ended ones when _rtasks grows this long

    @classmethod
    def _from_ref(cls, kernel, name: str, location: Location) -> "RPS":
        if location == kernel.location:
            local = kernel._rpss.get(name)
            if local is not None:
                return local
        rps = cls.__new__(cls)
        rps._fn = None
        rps._name = name
        rps._location = location
        rps._kernel = kernel
        rps._monitors = []
        rps._rtasks = []
        rps._prune_at = _PRUNE
        return rps

    def _picoos_ref(self, kernel):
        loc = self._location or kernel.location
        return ("r", self._name, loc.addr, loc.port)

    @property
    def name(self) -> str:
        return self._name

    @property
    def location(self) -> Optional[Location]:
        if self._location is not None:
            return self._location
        return self._kernel.location if self._kernel is not None else None

    def __repr__(self) -> str:
        return "RPS(%s@%s)" % (self._name, self.location)

    def __eq__(self, other) -> bool:
        return isinstance(other, RPS) and self._name == other._name and \
            self.location == other.location

    def __hash__(self) -> int:
        return hash((self._name, self.location))

    def register(self) -> int:
        """Make this RPS findable by peers; 0, or -1 if the name is taken
        (also by this RPS: registered twice is -1, as in pycos)."""
        if self._fn is None:
            return -1
        kernel = context.kernel_for_caller()
        table = getattr(kernel, "_rpss", None)
        if table is None:
            log.warning("RPS %r: the kernel is not networked (create picoos.net.Pycos first)",
                        self._name)
            return -1
        if self._name in table:
            return -1
        table[self._name] = self
        self._kernel = kernel
        return 0

    def unregister(self) -> int:
        if self._kernel is None or self._kernel._rpss.get(self._name) is not self:
            return -1
        del self._kernel._rpss[self._name]
        return 0

    @staticmethod
    def locate(name: str, location: Optional[Location] = None, timeout: Optional[float] = None):
        """`rps = yield RPS.locate(name, location, timeout)`: the RPS or None."""
        kernel = context.kernel_for_caller()
        if not hasattr(kernel, "_locate_rps"):
            raise NetError("RPS.locate needs a networked kernel (picoos.net.Pycos)")
        return kernel._locate_rps(name, location, timeout)

    def monitor(self, task: Task) -> int:
        """Make `task` a monitor of every task this handle creates."""
        if not isinstance(task, Task):
            return -1
        if task not in self._monitors:
            self._monitors.append(task)
        return 0

    def _start(self, args, kwargs) -> Optional[Task]:
        # on the owning kernel: only a registered function ever gets here
        try:
            return Task(self._fn, *args, **(kwargs or {}))
        except Exception as exc:    # noqa: BLE001 - a peer's bad arguments
            log.warning("RPS %r could not start with %r: %s", self._name, args, exc)
            return None

    def __call__(self, *args: Any, **kwargs: Any):
        """`rtask = yield rps(*args, **kwargs)`: run it; the (remote) task,
        or None when the call failed."""
        return self._call(args, kwargs, None)

    @coro
    def _call(self, args: tuple, kwargs: dict, watcher: Optional[Task]):
        """The call, with `watcher`: a local task made a monitor of the new
        task on its own kernel before it runs, so it learns how the task
        ends even when that is at once (the kernel's collector when None;
        the dist client passes its job monitor, saving a second
        MonitorStatus per job)."""
        if self._location is None or self._location == getattr(self._kernel, "location", None):
            task = self._start(args, kwargs)
            if task is not None:
                if watcher is not None:
                    task.notify(watcher)
                for m in self._monitors:
                    task.notify(m)
            return task
        kernel = self._kernel
        if kernel._collector is None:
            return None
        if watcher is None:
            watcher = kernel._collector
        from picoos.net.requests import LOST, TIMED_OUT
        rtask = yield kernel._request([self._location], "run_rps",
                                      (self._name, args, kwargs, watcher), 10)
        if rtask is None or rtask is LOST or rtask is TIMED_OUT or not isinstance(rtask, Task):
            log.warning("RPS %r at %s: the call failed (%s)", self._name, self._location,
                        "no reply" if rtask is TIMED_OUT else "refused or lost")
            return None
        self._started(rtask, watcher)
        return rtask

    def _call_then(self, args: tuple, kwargs: dict, watcher: Task, done) -> int:
        """As `_call` for an RPS on a peer, with no task waiting: `done(rtask)`
        runs in this kernel's thread with the new (remote) task once the peer
        replies; with None when the call failed (refused, or the peer lost);
        with the exception when the arguments cannot be serialized. Gives 0,
        or -1 when the peer is not connected (`done` is then not called).
        Only from the kernel's thread."""
        kernel = self._kernel
        if self._location is None or kernel._collector is None:
            return -1

        def answered(rtask):
            if isinstance(rtask, BaseException):
                done(rtask)
            elif not isinstance(rtask, Task):
                log.warning("RPS %r at %s: the call failed (refused or lost)", self._name,
                            self._location)
                done(None)
            else:
                self._started(rtask, watcher)
                done(rtask)
        return kernel._post_request(self._location, "run_rps",
                                    (self._name, args, kwargs, watcher), answered)

    def _started(self, rtask: Task, watcher: Task) -> None:
        # runs as the reply is read, before any later message from that peer
        # (the task's MonitorStatus may come in the same batch)
        kernel = self._kernel
        if rtask._state != DONE:    # (its end, read already, untracked the watches)
            # the collector in the watch list means "this kernel learns how
            # the task ends" (finish() then asks nothing more of the peer)
            kernel._track_watch(rtask, kernel._collector)
            if watcher is not kernel._collector:
                kernel._track_watch(rtask, watcher)
        for m in self._monitors:
            rtask.notify(m)
        rtasks = self._rtasks
        rtasks.append(rtask)
        if len(rtasks) >= self._prune_at:
            # only the ones still running matter to close(): a handle that
            # starts a task per job must not keep every one it ever made
            self._rtasks = rtasks = [t for t in rtasks if t.is_alive()]
            self._prune_at = max(_PRUNE, 2 * len(rtasks))

    def close(self) -> int:
        """Terminate the tasks this handle created that still run."""
        for t in self._rtasks:
            if t.is_alive():
                t.terminate()
        self._rtasks = []
        return 0
