"""Edge events: what a line request hands to a task when an input changes.

Why this module exists: the kernel writes raw 48-byte records into the
line-request fd; a program wants "GPIO17 rose at t, and 3 events were lost
before it".  `EdgeEvent` is that record, and `EventDecoder` turns raw records
into events while watching the sequence numbers: the kernel drops the
*oldest* events when its buffer fills up, which shows only as a gap in
`seqno`.  picoos reports the gap on the next event (`ev.lost`) and logs a
warning instead of hiding it.
"""
from __future__ import annotations

import logging
from typing import Dict, List, Sequence

from picoos.drivers.gpio import uapi

__all__ = ["EdgeEvent", "EventDecoder", "RISING", "FALLING"]

log = logging.getLogger("picoos.drivers.gpio")

RISING = "rising"
FALLING = "falling"


class EdgeEvent:
    """One edge on one line of a request.

    kind:          'rising' or 'falling' (logical: an active-low line that
                   goes low on the wire reports 'rising').
    timestamp_ns:  the kernel's timestamp (CLOCK_MONOTONIC unless the line
                   asked for event_clock='realtime').
    offset, name:  the line on its chip ('' when the line has no name).
    seqno:         position among all events of the request (from 1).
    line_seqno:    position among the events of this line (from 1).
    lost:          events the kernel dropped (buffer overflow) just before
                   this one, across the whole request; 0 normally.
    """

    __slots__ = ("kind", "timestamp_ns", "offset", "name", "seqno", "line_seqno", "lost")

    def __init__(self, kind: str, timestamp_ns: int, offset: int, name: str,
                 seqno: int, line_seqno: int, lost: int = 0) -> None:
        self.kind = kind
        self.timestamp_ns = timestamp_ns
        self.offset = offset
        self.name = name
        self.seqno = seqno
        self.line_seqno = line_seqno
        self.lost = lost

    @property
    def rising(self) -> bool:
        return self.kind == RISING

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EdgeEvent):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        lost = ", lost=%d" % self.lost if self.lost else ""
        return ("EdgeEvent(%s %s (offset %d), t=%d ns, seqno=%d, line_seqno=%d%s)"
                % (self.kind, self.name or "?", self.offset, self.timestamp_ns,
                   self.seqno, self.line_seqno, lost))


class EventDecoder:
    """Raw event bytes -> EdgeEvents, with loss detection by sequence numbers.

    One decoder per line request.  `names` maps offset -> line name.
    `lost_total` counts every event lost over the request's life.
    """

    __slots__ = ("_names", "_last_seqno", "lost_total", "_what")

    def __init__(self, names: Dict[int, str], what: str = "line request") -> None:
        self._names = names
        self._last_seqno = 0       # kernel seqnos start at 1 for each request
        self.lost_total = 0
        self._what = what

    def decode(self, data: bytes) -> List[EdgeEvent]:
        return self.from_raw(uapi.unpack_events(data))

    def from_raw(self, raws: Sequence[uapi.RawEvent]) -> List[EdgeEvent]:
        out = []
        for raw in raws:
            if raw.id == uapi.EVENT_RISING:
                kind = RISING
            elif raw.id == uapi.EVENT_FALLING:
                kind = FALLING
            else:
                log.warning("%s: ignoring edge event with unknown id %d (offset %d)",
                            self._what, raw.id, raw.offset)
                continue
            # Discussion: seqno counts every event the kernel *generated* for
            # this request, so a jump means the buffer overflowed and the
            # oldest events were discarded before we read them.
            lost = raw.seqno - self._last_seqno - 1 if raw.seqno > self._last_seqno else 0
            self._last_seqno = max(self._last_seqno, raw.seqno)
            if lost:
                self.lost_total += lost
                log.warning("%s: %d edge event(s) lost before seqno %d (kernel event buffer "
                            "overflowed; read events faster or ask for a larger "
                            "event_buffer_size)", self._what, lost, raw.seqno)
            out.append(EdgeEvent(kind, raw.timestamp_ns, raw.offset,
                                 self._names.get(raw.offset, ""), raw.seqno,
                                 raw.line_seqno, lost))
        return out
