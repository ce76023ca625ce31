"""References: how tasks and channels on other machines look here.

A message may carry a Task or a Channel (a reply-to task, a monitor, a
subscriber). It never carries its state: the pickler turns it into a small
tuple, and the receiver turns the tuple into either its own local object
(the task came home) or a proxy - `RemoteTask` / `RemoteChannel` - whose
methods send requests to the kernel that owns the real one. The proxies
subclass the kernel's Task and Channel, so code that sends, delivers,
monitors or subscribes does not care where the other end lives (`isinstance
(x, Task)` holds, monitors and channels accept them).

Reference tuples (inside pickles, see docs/protocol.md):

    ("t", export id, name, addr, port)   a task
    ("c", name, addr, port)              a channel
    ("r", name, addr, port)              an RPS
    ("x", module, qualname)              an exception class (not builtin)

A local task gets an export id the first time it is sent; the id is never
reused, so a stale reference can never reach a different task.
"""
from __future__ import annotations

import logging
import threading
import weakref
from itertools import count
from typing import Any, Optional

from picoos.kernel.channel import Channel
from picoos.kernel.location import Location
from picoos.kernel.task import DONE, READY, MonitorStatus, Task
from picoos.kernel.traps import Value

__all__ = ["RemoteTask", "RemoteChannel", "RefTable", "RemoteError", "remote_exception_class"]

log = logging.getLogger("picoos.net")

_PLAIN = frozenset((int, float, str, bytes, bool, type(None), tuple, list, dict, set,
                    frozenset, bytearray, complex))


class RemoteTask(Task):
    """A task on another kernel (made by the net layer, not by users).

    `send`, `deliver`, `terminate`, `monitor`/`notify` and `finish` work as
    on a local task and go over the network; `receive`, `suspend`,
    `resume`, `throw` and hot swapping belong to the task's own kernel and
    return -1 here, as in pycos.
    """

    __slots__ = ("_rid", "_rname", "_rloc", "_finishers", "__weakref__")

    def __init__(self, kernel, rid: int, name: str, location: Location) -> None:
        # no Task.__init__: there is nothing to run here
        self._kernel = kernel       # the local networked kernel that talks for it
        self._state = READY         # DONE once a MonitorStatus says it ended
        self._result = None         # its value once DONE
        self._gen = self._value = self._exc = self._timer = self._undo = None
        self._mbox = self._rare = None
        self._rid = rid             # export id on its own kernel
        self._rname = name          # its name there
        self._rloc = location       # its kernel's Location
        self._finishers = None      # WaitQueue of local tasks in finish(), or None

    @property
    def name(self) -> str:
        return self._rname

    @property
    def location(self) -> Location:
        return self._rloc

    def __repr__(self) -> str:
        return "%s/%s@%s" % (self._rname, self._rid, self._rloc)

    def __eq__(self, other) -> bool:
        return isinstance(other, RemoteTask) and self._rid == other._rid and \
            self._rloc == other._rloc

    def __hash__(self) -> int:
        return hash((self._rid, self._rloc))

    def __reduce__(self):
        return self._kernel._task_reference(self)

    # -- operations that go to the task's kernel -------------------------

    def send(self, message) -> int:
        """Queue `message` for the remote task; 0, or -1 if its kernel is
        not a connected peer. Safe from any thread."""
        return self._kernel._remote_send(self, message)

    def deliver(self, message, timeout=None):
        """`n = yield rtask.deliver(msg, timeout)`: 1 delivered, 0 no reply
        within `timeout`, -1 the task or its kernel is gone."""
        return self._kernel._remote_deliver(self, message, timeout)

    def terminate(self) -> int:
        return self._kernel._remote_post(self._rloc, ("term", self._rid))

    def _watch(self, monitor):
        return self._kernel._remote_watch(self, monitor)

    def notify(self, monitor) -> int:
        return self._kernel._remote_notify(self, monitor)

    def finish(self, timeout=None):
        """`v = yield rtask.finish()` / `yield rtask()`: the remote task's
        value (its MonitorStatus if it failed; the value it was last resumed
        with if it was terminated; None if its kernel was lost)."""
        return self._kernel._remote_finish(self, timeout)

    __call__ = finish

    def value(self, timeout=None):
        """From a thread: wait for the remote task's value (None on timeout)."""
        if self._state == DONE:
            return self._result
        ev = threading.Event()

        def waiter(task=None):
            yield self.finish()
            ev.set()
        self._kernel._threadsafe(self._kernel._spawn_daemon, waiter)
        if ev.wait(timeout):
            return self._result
        return None

    def is_alive(self) -> bool:
        return self._state != DONE

    # -- operations that only the task's own kernel can do --------------

    def _invalid(self, what):
        log.warning("%s: task %r lives on another kernel; %s is not possible from here",
                    what, self, what)
        return -1

    def receive(self, timeout=None, alarm_value=None):
        return Value(self._invalid("receive"))

    recv = receive

    def suspend(self, timeout=None, alarm_value=None):
        return Value(self._invalid("suspend"))

    sleep = suspend

    def resume(self, update=None) -> int:
        return self._invalid("resume")

    wakeup = resume

    def throw(self, *args) -> int:
        return self._invalid("throw")

    def hot_swap(self, target, *args, **kwargs) -> int:
        return self._invalid("hot_swap")

    def hot_swappable(self, flag) -> int:
        return self._invalid("hot_swappable")

    def set_daemon(self, flag=True) -> int:
        return self._invalid("set_daemon")

    def register(self, name=None) -> int:
        return self._invalid("register")

    def unregister(self, name=None) -> int:
        return self._invalid("unregister")

    # -- set by the net layer -------------------------------------------

    def _ended(self, status: MonitorStatus) -> None:
        """The task ended (a MonitorStatus arrived, or its kernel was lost)."""
        if self._state == DONE:
            return
        self._state = DONE
        if status.type is StopIteration:
            # a returned task, or a terminated one (its last resume value)
            self._result = status.value
        else:
            self._result = status
        if self._finishers:
            self._finishers.wake_all(self._result)


class RemoteChannel(Channel):
    """A channel on another kernel: `subscribe`, `unsubscribe`, `send` and
    `deliver` go to its kernel; the rest belongs to the owner."""

    def __init__(self, kernel, name: str, location: Location) -> None:
        # no Channel.__init__: the channel is not ours to register
        self._name = name
        self._kernel = kernel
        self._rloc = location
        self._transform = None
        self._subscribers = {}
        self._closed = False

    @property
    def location(self) -> Location:
        return self._rloc

    def __repr__(self) -> str:
        return "%s@%s" % (self._name, self._rloc)

    def __eq__(self, other) -> bool:
        return isinstance(other, RemoteChannel) and self._name == other._name and \
            self._rloc == other._rloc

    def __hash__(self) -> int:
        return hash((self._name, self._rloc))

    def __reduce__(self):
        return self._kernel._channel_reference(self)

    def subscribe(self, subscriber, timeout=None):
        return self._kernel._remote_channel_op(self, "subscribe", subscriber, timeout)

    def unsubscribe(self, subscriber, timeout=None):
        return self._kernel._remote_channel_op(self, "unsubscribe", subscriber, timeout)

    def send(self, message) -> int:
        return self._kernel._remote_post(self._rloc, ("csend", self._name, message))

    def deliver(self, message, timeout=None, n=0):
        return self._kernel._remote_channel_deliver(self, message, timeout, n)

    def set_transform(self, transform) -> int:
        log.warning("set_transform: channel %r lives on another kernel", self)
        return -1

    def close(self):
        log.warning("close: channel %r lives on another kernel; nothing closed", self)

    def register(self) -> int:
        return -1

    def unregister(self) -> int:
        return -1


class RemoteError(Exception):
    """Base of stand-ins for exception classes a peer raised that cannot
    be imported here (their name and module are kept)."""


_stand_ins = {}


def remote_exception_class(module: str, qualname: str) -> type:
    """The exception class `module.qualname`, imported if possible, else a
    stand-in subclass of RemoteError with the same name."""
    import importlib
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            return obj
    except Exception:   # noqa: BLE001 - any import failure means "not here"
        pass
    key = (module, qualname)
    cls = _stand_ins.get(key)
    if cls is None:
        cls = _stand_ins[key] = type(qualname.rsplit(".", 1)[-1], (RemoteError,),
                                     {"__module__": module, "__qualname__": qualname})
    return cls


class RefTable:
    """Export ids for local tasks and the cache of proxies (one per kernel)."""

    def __init__(self, kernel) -> None:
        self._kernel = kernel
        self._ids = count(1)
        self.exports = {}               # export id -> local Task
        self._export_id = {}            # local Task -> export id
        self._tasks = weakref.WeakValueDictionary()      # (loc, id) -> RemoteTask
        self._channels = weakref.WeakValueDictionary()   # (loc, name) -> RemoteChannel
        self._locs = {}                 # (addr, port) of a reference -> its Location

    def export(self, task: Task) -> int:
        eid = self._export_id.get(task)
        if eid is None:
            eid = next(self._ids)
            self._export_id[task] = eid
            self.exports[eid] = task
        return eid

    def sweep(self) -> int:
        """Forget exported tasks that have ended; return how many."""
        dead = [eid for eid, t in self.exports.items() if not t.is_alive()]
        for eid in dead:
            del self._export_id[self.exports.pop(eid)]
        return len(dead)

    def to_ref(self, obj: Any) -> Optional[tuple]:
        if obj.__class__ in _PLAIN:
            return None
        loc = self._kernel.location
        if isinstance(obj, RemoteTask):
            return ("t", obj._rid, obj._rname, obj._rloc.addr, obj._rloc.port)
        if isinstance(obj, Task):
            return ("t", self.export(obj), obj.name, loc.addr, loc.port)
        if isinstance(obj, RemoteChannel):
            return ("c", obj._name, obj._rloc.addr, obj._rloc.port)
        if isinstance(obj, Channel):
            return ("c", obj._name, loc.addr, loc.port)
        if isinstance(obj, type):
            if issubclass(obj, BaseException) and obj.__module__ != "builtins":
                # a MonitorStatus names its exception class; the receiver may
                # not be able to import it (a class in the sender's __main__)
                return ("x", obj.__module__, obj.__qualname__)
            return None
        to_ref = getattr(obj, "_picoos_ref", None)      # RPS
        if to_ref is not None:
            return to_ref(self._kernel)
        return None

    def from_ref(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid:
            raise ValueError("malformed reference %r" % (pid,))
        kind = pid[0]
        me = self._kernel.location
        if kind == "t":
            _, eid, name, addr, port = pid
            loc = self._location(addr, port)
            if loc == me:
                task = self.exports.get(eid)
                if task is not None:
                    return task
            key = (loc, eid)
            proxy = self._tasks.get(key)
            if proxy is None:
                proxy = self._tasks[key] = RemoteTask(self._kernel, eid, name, loc)
                if loc == me:
                    proxy._state = DONE     # a local task that has ended and been forgotten
            return proxy
        if kind == "c":
            _, name, addr, port = pid
            loc = self._location(addr, port)
            if loc == me:
                ch = self._kernel._channels.get(name)
                if ch is not None:
                    return ch
            key = (loc, name)
            proxy = self._channels.get(key)
            if proxy is None:
                proxy = self._channels[key] = RemoteChannel(self._kernel, name, loc)
            return proxy
        if kind == "r":
            from picoos.net.rps import RPS
            _, name, addr, port = pid
            return RPS._from_ref(self._kernel, name, self._location(addr, port))
        if kind == "x":
            return remote_exception_class(pid[1], pid[2])
        raise ValueError("unknown reference kind %r in %r" % (kind, pid))

    def _location(self, addr: Any, port: Any) -> Location:
        # nearly every message names a task, and parsing its address each
        # time was a good part of a message's cost: peers are few, so their
        # Locations are kept (bounded, in case a peer sends many addresses)
        key = (addr, port)
        loc = self._locs.get(key)
        if loc is None:
            loc = Location(addr, port)
            if len(self._locs) >= 256:
                self._locs.clear()
            self._locs[key] = loc
        return loc

    def remote_tasks_at(self, location: Location):
        return [t for (loc, _), t in list(self._tasks.items()) if loc == location]
