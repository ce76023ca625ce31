"""A held set of GPIO lines: values, reconfiguration and edge events.

Why this module exists: once lines are requested, everything a program does
with them goes through the request fd - read and write values, change the
configuration, and wait for edges.  `LineRequest` is that fd holder.  Edges
are read with a non-blocking retry loop that waits on the picoos notifier
(`wait_readable`), so a task waiting for a button press costs no thread and
no callback, and `yield req.wait_edge()` / `await req.wait_edge()` /
`async for ev in req.edges()` all run on the one scheduler.
"""
from __future__ import annotations

import collections
import logging
from typing import Deque, Dict, List, Mapping, Optional, Sequence, Union

from picoos.kernel.errors import ClosedResourceError
from picoos.kernel.io import fd_closed, wait_readable
from picoos.kernel.traps import coro

from picoos.drivers.gpio.backend import RequestHandle
from picoos.drivers.gpio.errors import GpioConfigError, LineNotFoundError, RequestReleasedError
from picoos.drivers.gpio.events import EdgeEvent, EventDecoder
from picoos.drivers.gpio.settings import LineSettings

__all__ = ["LineRequest"]

log = logging.getLogger("picoos.drivers.gpio")

LineRef = Union[str, int]

# read up to this many events per syscall (the kernel's default buffer for one line)
_READ_EVENTS = 16


class LineRequest:
    """Lines requested from one chip; release with close() or `with`.

    Lines are named by their line name ('GPIO17') or chip offset (17), as in
    the request.  Values are logical: 1 means active (low on the wire for an
    active-low line).
    """

    def __init__(self, handle: RequestHandle, chip_path: str, offsets: Sequence[int],
                 names: Sequence[str], settings: Sequence[LineSettings], consumer: str) -> None:
        self._handle: Optional[RequestHandle] = handle
        self.chip_path = chip_path
        self.offsets = tuple(offsets)
        self.names = tuple(names)
        self.consumer = consumer
        self._settings = list(settings)
        # the value each output was last set to, so reconfiguring keeps it
        self._outputs = [s.value or 0 for s in settings]
        self._fd = handle.fd
        self._index: Dict[LineRef, int] = {}
        for i, (off, name) in enumerate(zip(self.offsets, self.names)):
            self._index[off] = i
            if name:
                self._index.setdefault(name, i)
        what = "%s %s" % (chip_path, ",".join(n or str(o) for o, n in zip(self.offsets, self.names)))
        self._decoder = EventDecoder(dict(zip(self.offsets, self.names)), what)
        self._pending: Deque[EdgeEvent] = collections.deque()

    # ---- plumbing
    def _live(self) -> RequestHandle:
        if self._handle is None:
            raise RequestReleasedError("lines %s of %s were released; request them again"
                                       % (list(self.names or self.offsets), self.chip_path))
        return self._handle

    def _i(self, line: LineRef) -> int:
        try:
            return self._index[line]
        except (KeyError, TypeError):
            raise LineNotFoundError("line %r is not part of this request (it holds %s)"
                                    % (line, ", ".join(n or str(o) for o, n in
                                                       zip(self.offsets, self.names)))) from None

    def fileno(self) -> int:
        """The request fd (readable when edge events wait)."""
        self._live()
        return self._fd

    @property
    def closed(self) -> bool:
        return self._handle is None

    @property
    def lost(self) -> int:
        """Edge events the kernel dropped over the life of this request."""
        return self._decoder.lost_total

    def settings(self, line: LineRef) -> LineSettings:
        return self._settings[self._i(line)]

    # ---- values
    def get_value(self, line: LineRef) -> int:
        """The logical value (0/1) of one line."""
        i = self._i(line)
        return (self._live().get_values(1 << i) >> i) & 1

    def get_values(self, lines: Optional[Sequence[LineRef]] = None) -> List[int]:
        """Logical values of `lines` (default: all, in request order), one read."""
        idx = list(range(len(self.offsets))) if lines is None else [self._i(ln) for ln in lines]
        mask = 0
        for i in idx:
            mask |= 1 << i
        bits = self._live().get_values(mask)
        return [(bits >> i) & 1 for i in idx]

    def set_value(self, line: LineRef, value: int) -> None:
        """Drive one output line to a logical value (0/1 or a bool)."""
        self.set_values({line: value})

    def set_values(self, values: Mapping[LineRef, int]) -> None:
        """Drive several output lines at once: {line: 0/1}."""
        handle = self._live()
        bits = mask = 0
        for line, value in values.items():
            i = self._i(line)
            if self._settings[i].direction != "output":
                raise GpioConfigError("cannot set %s: it is requested as %r, not 'output'; "
                                      "reconfigure(direction='output') first"
                                      % (line, self._settings[i].direction))
            if value not in (0, 1):     # True/False compare equal to 1/0
                raise GpioConfigError("value %r for %s: expected 0 or 1" % (value, line))
            mask |= 1 << i
            if value:
                bits |= 1 << i
        if mask:
            handle.set_values(bits, mask)
            for i in range(len(self._outputs)):
                if mask & (1 << i):
                    self._outputs[i] = (bits >> i) & 1

    # ---- configuration
    def reconfigure(self, settings: Union[LineSettings, Mapping[LineRef, LineSettings]]) -> None:
        """Change the settings of all lines (one LineSettings) or of some ({line: settings}).

        An output keeps its current value unless the new settings give one.
        """
        handle = self._live()
        new = list(self._settings)
        if isinstance(settings, LineSettings):
            new = [settings] * len(new)
        elif isinstance(settings, Mapping):
            for line, s in settings.items():
                if not isinstance(s, LineSettings):
                    raise GpioConfigError("settings for %r: expected LineSettings, got %r" % (line, s))
                new[self._i(line)] = s
        else:
            raise GpioConfigError("reconfigure() expects LineSettings or {line: LineSettings}, "
                                  "got %r" % (settings,))
        sent = [s.replace(value=self._outputs[i]) if s.direction == "output" and s.value is None else s
                for i, s in enumerate(new)]
        handle.set_config(sent)
        self._settings = new
        for i, s in enumerate(sent):
            if s.direction == "output":
                self._outputs[i] = s.value or 0

    # ---- edges
    def _fill(self) -> bool:
        """Read whatever events are buffered; True if any are now pending."""
        data = self._live().read_events(_READ_EVENTS * 48)
        if data:
            self._pending.extend(self._decoder.decode(data))
        return bool(self._pending)

    def read_edges(self) -> List[EdgeEvent]:
        """All events buffered now, without waiting (maybe [])."""
        self._fill()
        out = list(self._pending)
        self._pending.clear()
        return out

    @coro
    def wait_edge(self, timeout: Optional[float] = None):
        """Wait for the next edge event; `yield`/`await` it.  None on timeout.

        Needs at least one line requested with edge='rising'/'falling'/'both'.
        Raises RequestReleasedError after release; a task waiting while the
        request is released gets picoos's ClosedResourceError.
        """
        if not any(s.edge != "none" for s in self._settings):
            raise GpioConfigError("no line of this request watches edges: request or "
                                  "reconfigure it with edge='rising', 'falling' or 'both'")
        while True:
            if self._pending or self._fill():
                return self._pending.popleft()
            # Discussion: the notifier is level-triggered and the request fd
            # is readable exactly while events are buffered, so a wake-up
            # without data is rare; waiting again with the full timeout then
            # can only lengthen the wait, never lose an event.
            if not (yield wait_readable(self._fd, timeout)):
                return None

    def edges(self, timeout: Optional[float] = None) -> "_EdgeIterator":
        """`async for ev in req.edges(timeout)`: events until `timeout` passes without one
        (forever when timeout is None) or the request is released."""
        return _EdgeIterator(self, timeout)

    # ---- release
    def close(self) -> None:
        """Release the lines (wakes any task waiting for an edge with an error)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            fd_closed(self._fd)
            handle.close()
            self._pending.clear()

    release = close

    def __enter__(self) -> "LineRequest":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_handle", None) is not None:
            log.warning("line request %s %s was not released; releasing it now",
                        self.chip_path, list(self.names or self.offsets))
            try:
                self._handle.close()
            except Exception:
                pass
            self._handle = None

    def __repr__(self) -> str:
        state = "released" if self._handle is None else "fd %d" % self._fd
        return "<LineRequest %s %s (%s)>" % (self.chip_path,
                                             ",".join(n or str(o) for o, n in zip(self.offsets, self.names)),
                                             state)


class _EdgeIterator:
    __slots__ = ("_req", "_timeout")

    def __init__(self, req: LineRequest, timeout: Optional[float]) -> None:
        self._req = req
        self._timeout = timeout

    def __aiter__(self) -> "_EdgeIterator":
        return self

    async def __anext__(self) -> EdgeEvent:
        if self._req.closed:
            raise StopAsyncIteration
        try:
            ev = await self._req.wait_edge(self._timeout)
        except ClosedResourceError:
            if self._req.closed:        # released by another task: the stream ends
                raise StopAsyncIteration from None
            raise
        if ev is None:
            raise StopAsyncIteration
        return ev
