"""Requests to peers and the tasks waiting for their replies.

A task that asks a peer something (locate a task, deliver a message, run
an RPS) sends a `req` message with a fresh id and parks until the `rep`
with that id arrives, its time-out expires, or the peer is lost. A request
may go to several peers at once (`locate` without a location): the first
useful answer wins, and "nothing found" is known once every peer has said
so. `Pending` keeps that table; the parking uses the kernel's WaitQueue, so
a time-out or a termination takes the task out through the kernel's one
undo path. A request may instead hand its answer to a function
(`Pending.add_callback`): nothing parks, and the function runs in the
kernel's thread when the reply comes or the peer is lost.
"""
from __future__ import annotations

import logging
from itertools import count
from typing import Any, Dict, Tuple

from picoos.kernel.traps import Trap
from picoos.kernel.waitq import WaitQueue

__all__ = ["Pending", "TIMED_OUT", "LOST", "Group"]

log = logging.getLogger("picoos.net")


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "<%s>" % self.name


TIMED_OUT = _Marker("timed out")    # the wait's time-out expired first
LOST = _Marker("peer lost")         # every peer asked went away


class Group:
    """One question asked of `remaining` peers; answers go to `queue`."""

    __slots__ = ("queue", "remaining", "answer", "accept")

    def __init__(self, remaining: int, accept) -> None:
        self.queue = WaitQueue()    # the one waiting task
        self.remaining = remaining  # peers that have not answered yet
        self.answer = LOST          # what the waiter gets if all fail
        self.accept = accept        # answer -> True when it ends the wait


def _accept_any(value) -> bool:
    return True


class _Callback:
    """Stands in for a group's wait queue when a function takes the answer."""

    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        self.fn = fn

    def wake_first(self, value):
        fn, self.fn = self.fn, None     # an answer is given once
        if fn is not None:
            try:
                fn(value)
            except Exception:   # noqa: BLE001 - must not kill the link reader
                log.exception("handler of a reply failed")


class _Wait(Trap):
    __slots__ = ("group", "timeout")

    def __init__(self, group, timeout):
        self.group = group
        self.timeout = timeout

    def _apply(self, kernel, task):
        g = self.group
        if g.remaining <= 0:                # answered before we parked
            kernel._ready_with(task, g.answer)
        elif self.timeout == 0:
            kernel._ready_with(task, TIMED_OUT)
        else:
            g.queue.park(kernel, task, self.timeout, TIMED_OUT)


class Pending:
    """Request ids -> (group, peer location) of requests not answered yet."""

    def __init__(self) -> None:
        self._ids = count(1)
        self._table: Dict[int, Tuple[Group, Any]] = {}

    def __len__(self) -> int:
        return len(self._table)

    def group(self, n: int = 1, accept=lambda v: True) -> Group:
        return Group(n, accept)

    def add(self, group: Group, location) -> int:
        rid = next(self._ids)
        self._table[rid] = (group, location)
        return rid

    def add_callback(self, location, fn) -> int:
        """A request to the peer at `location` whose answer goes to
        `fn(answer)` (the reply, LOST, or the exception that kept the
        request from being sent); gives its id."""
        g = Group(1, _accept_any)
        g.queue = _Callback(fn)
        return self.add(g, location)

    def unsendable(self, rid: int, exc: BaseException) -> None:
        """Request `rid` could not be serialized: a function waiting for
        it gets `exc`, a task gets LOST."""
        entry = self._table.pop(rid, None)
        if entry is not None:
            g = entry[0]
            self._settle(g, exc if isinstance(g.queue, _Callback) else LOST, True)

    def wait(self, group: Group, timeout) -> Trap:
        """Trap: the first accepted answer, LOST, or TIMED_OUT."""
        return _Wait(group, timeout)

    def forget(self, group: Group) -> None:
        for rid in [r for r, (g, _) in self._table.items() if g is group]:
            del self._table[rid]

    def forget_id(self, rid: int) -> None:
        self._table.pop(rid, None)

    def answer(self, rid: int, value: Any) -> bool:
        """A reply arrived; False if nobody waits for it any more."""
        entry = self._table.pop(rid, None)
        if entry is None:
            return False
        self._settle(entry[0], value, True)
        return True

    def fail_location(self, location) -> int:
        """The peer at `location` is gone: count its requests as failed."""
        lost = [(rid, g) for rid, (g, loc) in self._table.items() if loc == location]
        for rid, g in lost:
            del self._table[rid]
            self._settle(g, LOST, False)
        return len(lost)

    def _settle(self, g: Group, value: Any, answered: bool) -> None:
        if g.remaining <= 0:
            return          # already settled; a late answer from another peer
        g.remaining -= 1
        if answered and g.accept(value):
            g.remaining = 0
            g.answer = value
        elif answered and g.answer is LOST:
            g.answer = value        # a "not found" beats "lost"
        if g.remaining <= 0:
            g.queue.wake_first(g.answer)
