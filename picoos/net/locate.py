"""Finding things on peers: `Task.locate`, `Channel.locate`, `RPS.locate`
and the kernel's `locate(peer_name)`, the way pycos does it.

A pycos program often locates a server task first thing, before discovery
has found the server's kernel. pycos keeps such a request and asks each
peer as it comes online, so the call waits until some peer has the name
(or its timeout passes). picoos does the same: without a location, every
online peer is asked, every peer that comes online later is asked when it
does, and all are asked again every `pulse_interval` seconds, since the
name may be registered after a first "no" (a server that registers its
task after reading a command). With a location only that kernel is asked,
after connecting to it. A mixin of the networked kernel (node.py).
"""
from __future__ import annotations

from typing import Optional

from picoos.kernel.traps import SubCall, Value
from picoos.net.links import ONLINE
from picoos.net.requests import LOST, TIMED_OUT

__all__ = ["Locating", "MsgTimeout"]

MsgTimeout = 10     # pycos's default seconds for requests that need a bound


class Locating:
    """Mixin of the networked kernel: the locate operations."""

    def locate(self, name: str, timeout: Optional[float] = None):
        """`loc = yield kernel.locate(name, timeout=None)`: the Location of
        the peer kernel called `name`. As in pycos it waits until such a
        peer comes online (found by discovery or `peer()`); None when
        `timeout` seconds pass first. Raises `ValueError` for a negative
        timeout."""
        if timeout is not None and (isinstance(timeout, bool) or
                                    not isinstance(timeout, (int, float)) or timeout < 0):
            raise ValueError("locate timeout must be None or seconds >= 0, got %r" % (timeout,))
        for p in list(self._peers.values()):
            if p.name == name and p.state == ONLINE:
                return Value(p.location)
        if timeout == 0:
            return Value(None)
        return SubCall(self._locate_peer(name, timeout))

    def _locate_peer(self, name, timeout):
        deadline = None if timeout is None else self.clock.now() + timeout
        while True:
            for p in list(self._peers.values()):
                if p.name == name and p.state == ONLINE:
                    return p.location
            left = None if deadline is None else deadline - self.clock.now()
            if left is not None and left <= 0:
                return None
            yield self._online_waiters.wait(left, False)

    # -- locate hooks of the kernel --------------------------------------

    def _locate_task(self, name, location, timeout):
        return self._locate("locate_task", self._registry, name, location, timeout)

    def _locate_channel(self, name, location, timeout):
        return self._locate("locate_channel", self._channels, name, location, timeout)

    def _locate_rps(self, name, location, timeout):
        return self._locate("locate_rps", self._rpss, name, location, timeout)

    def _locate(self, op, table, name, location, timeout):
        if location is None or location == self.location:
            found = table.get(name)
            if found is not None or location is not None or timeout == 0:
                return Value(found)
            return SubCall(self._locate_anywhere(op, table, name, timeout))
        return SubCall(self._locate_at(op, name, location, timeout))

    def _locate_at(self, op, name, location, timeout):
        """Ask the kernel at `location` only (connecting to it first)."""
        if location not in self._peers:
            if (yield self.peer(location)) != 0:
                return None
        r = yield self._request([location], op, (name,), timeout)
        return None if r is LOST or r is TIMED_OUT else r

    def _locate_anywhere(self, op, table, name, timeout):
        """pycos's locate without a location: wait until some peer has
        `name`. Every peer is asked; a peer that comes online later (found
        by discovery, or by `peer()`) is asked when it does, and all are
        asked again every `pulse_interval` seconds, since the name may be
        registered after a first "no". None once `timeout` (None: never)
        has passed."""
        clock = self.clock
        deadline = None if timeout is None else clock.now() + timeout
        found = lambda v: v is not None     # noqa: E731
        while True:
            got = table.get(name)           # registered here meanwhile
            if got is not None:
                return got
            left = None if deadline is None else deadline - clock.now()
            if left is not None and left <= 0:
                return None
            locations = [p.location for p in list(self._peers.values()) if p.state == ONLINE]
            if locations:
                # one round is bounded, so a peer that never answers cannot
                # keep the others' later answers (or a new peer) from us
                bound = MsgTimeout if left is None else min(left, MsgTimeout)
                r = yield self._request(locations, op, (name,), bound, accept=found)
                if r is not LOST and r is not TIMED_OUT and r is not None:
                    return r
                left = None if deadline is None else deadline - clock.now()
                if left is not None and left <= 0:
                    return None
            wait = self.pulse_interval if left is None else min(self.pulse_interval, left)
            yield self._online_waiters.wait(wait, False)

