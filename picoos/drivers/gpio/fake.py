"""A fake GPIO backend whose request fds are real pipes.

Why this module exists: tests and desktops have no GPIO chip, but the code
that waits for edges must still be the code that runs on a Pi.  Each fake
line request hands out the read end of a pipe as its "request fd"; when a
test drives an input (`drive_high()` / `drive_low()`), the fake packs a
48-byte gpio_v2_line_event exactly as the kernel would and writes it into
the other end, so the task waiting in `wait_edge()` is woken by the picoos
notifier, not by a callback.  Outputs are recorded: `states(line)` is the
history of levels on the wire, in the spirit of gpiozero's MockPin.

What is simulated: chips with labels and line names, consumers and EBUSY,
directions, active-low (values and edges are logical, the wire is physical),
bias (a free input follows its pull), open-drain/open-source (the released
state floats to the outside drive or the pull), edge detection per the
requested edge, sequence numbers, and the kernel's event buffer: when it is
full the oldest event is dropped, which shows as a seqno gap.  Not simulated:
debounce timing (the period is stored and reported, edges are not filtered)
and the hardware timestamp engine.  The fake is not thread-safe: drive it
from the kernel's thread (a task, or the test around `picoos.run`).
"""
from __future__ import annotations

import fcntl
import os
import struct
import termios
import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from picoos.drivers.gpio import uapi
from picoos.drivers.gpio.backend import ChipHandle, GpioBackend, RequestHandle
from picoos.drivers.gpio.errors import (ChipNotFoundError, GpioConfigError, GpioError,
                                        LineBusyError, LineNotFoundError)
from picoos.drivers.gpio.settings import ChipInfo, LineInfo, LineSettings

__all__ = ["FakeBackend", "FakeLine"]

LineRef = Union[str, int]

_EVENT_SIZE = uapi.LINE_EVENT.size


class FakeLine:
    """The simulated wire of one line and who holds it."""

    __slots__ = (
        "offset", "name",
        "level",        # physical level on the wire now, 0 or 1
        "external",     # level forced from outside (drive_high/low), or None
        "request",      # FakeRequest holding the line, or None
        "index",        # position of the line in that request
        "settings",     # LineSettings while requested
        "output",       # logical value the program drives, for outputs
        "history",      # [(monotonic ns, level)], one entry per change
    )

    def __init__(self, offset: int, name: str) -> None:
        self.offset = offset
        self.name = name
        self.level = 0
        self.external: Optional[int] = None
        self.request: Optional[FakeRequest] = None
        self.index = -1
        self.settings: Optional[LineSettings] = None
        self.output = 0
        self.history: List[Tuple[int, int]] = [(time.monotonic_ns(), 0)]

    def wire_level(self) -> int:
        """What the wire settles to, given who drives it."""
        s = self.settings
        if s is not None and s.direction == "output":
            phys = self.output ^ s.active_low
            released = ((s.drive == "open-drain" and phys == 1)
                        or (s.drive == "open-source" and phys == 0))
            if not released:
                return phys
            # an open-drain "1" / open-source "0" lets the line float
        if self.external is not None:
            return self.external
        bias = s.bias if s is not None else "as-is"
        if bias == "pull-up":
            return 1
        if bias == "pull-down":
            return 0
        if s is not None and s.direction == "output":
            return 1 if s.drive == "open-drain" else 0   # released, no pull: assume the board's
        return self.level                                # floating: keeps its last level


class FakeRequest(RequestHandle):
    __slots__ = ("fd", "_write_fd", "_chip", "lines", "_capacity", "_seqno", "_line_seqno")

    def __init__(self, chip: "FakeChip", lines: Sequence[FakeLine], event_buffer_size: int) -> None:
        self._chip = chip
        self.lines = list(lines)
        # the kernel's default buffer: 16 events per line (at most 1024 in all)
        self._capacity = min(event_buffer_size or 16 * len(lines), 1024)
        self._seqno = 0
        self._line_seqno = [0] * len(lines)
        self.fd, self._write_fd = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._write_fd, False)

    def _check(self) -> None:
        if self.fd < 0:
            raise GpioError("fake request was closed")

    def get_values(self, mask: int) -> int:
        self._check()
        bits = 0
        for i, line in enumerate(self.lines):
            if mask & (1 << i):
                s = line.settings
                value = line.output if s.direction == "output" else line.level ^ s.active_low
                bits |= value << i
        return bits

    def set_values(self, bits: int, mask: int) -> None:
        self._check()
        for i, line in enumerate(self.lines):
            if mask & (1 << i):
                if line.settings.direction != "output":
                    raise GpioConfigError("cannot set %s: it is not an output" % (line.name or line.offset))
                line.output = (bits >> i) & 1
        self._chip.settle(self.lines)

    def set_config(self, settings: Sequence[LineSettings]) -> None:
        self._check()
        for line, s in zip(self.lines, settings):
            line.settings = s
            if s.direction == "output" and s.value is not None:
                line.output = s.value
        self._chip.settle(self.lines)

    def emit(self, line: FakeLine, rising: bool) -> None:
        """Queue an edge event for `line`, as the kernel's edge IRQ would."""
        self._seqno += 1
        self._line_seqno[line.index] += 1
        s = line.settings
        clock = time.CLOCK_REALTIME if s.event_clock == "realtime" else time.CLOCK_MONOTONIC
        record = uapi.pack_event(time.clock_gettime_ns(clock),
                                 uapi.EVENT_RISING if rising else uapi.EVENT_FALLING,
                                 line.offset, self._seqno, self._line_seqno[line.index])
        # the kernel keeps at most `capacity` events and drops the oldest
        pending = struct.unpack("i", fcntl.ioctl(self.fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        if pending >= self._capacity * _EVENT_SIZE:
            os.read(self.fd, _EVENT_SIZE)
        os.write(self._write_fd, record)

    def close(self) -> None:
        if self.fd < 0:
            return
        for line in self.lines:
            line.request, line.settings, line.index = None, None, -1
        self._chip.settle(self.lines)
        fd, wfd, self.fd, self._write_fd = self.fd, self._write_fd, -1, -1
        os.close(wfd)
        os.close(fd)


class FakeChip:
    """The state of one fake chip (shared by every handle opened on it)."""

    def __init__(self, path: str, label: str, names: Sequence[str]) -> None:
        self.path = path
        self.name = os.path.basename(path)
        self.label = label
        self.lines = [FakeLine(i, n) for i, n in enumerate(names)]
        self.consumers: Dict[int, str] = {}

    def settle(self, lines: Iterable[FakeLine]) -> None:
        """Recompute wire levels; record changes and raise edge events."""
        for line in lines:
            old, new = line.level, line.wire_level()
            if new == old:
                continue
            line.level = new
            line.history.append((time.monotonic_ns(), new))
            s = line.settings
            if line.request is not None and s.direction == "input" and s.edge != "none":
                rising = bool(new ^ s.active_low)       # edges are logical
                if s.edge == "both" or (s.edge == "rising") == rising:
                    line.request.emit(line, rising)

    def line(self, ref: LineRef) -> FakeLine:
        if isinstance(ref, int) and not isinstance(ref, bool):
            if 0 <= ref < len(self.lines):
                return self.lines[ref]
            raise LineNotFoundError("%s has no line at offset %d (it has %d lines)"
                                    % (self.path, ref, len(self.lines)))
        for line in self.lines:
            if line.name == ref:
                return line
        raise LineNotFoundError("%s [%s] has no line named %r" % (self.path, self.label, ref))


class FakeChipHandle(ChipHandle):
    def __init__(self, chip: FakeChip) -> None:
        self.path = chip.path
        self._chip: Optional[FakeChip] = chip

    def _state(self) -> FakeChip:
        if self._chip is None:
            raise GpioError("chip %s is closed" % self.path)
        return self._chip

    def info(self) -> ChipInfo:
        c = self._state()
        return ChipInfo(c.path, c.name, c.label, len(c.lines))

    def line_info(self, offset: int) -> LineInfo:
        line = self._state().line(offset)
        s = line.settings
        if s is None:
            flags = uapi.FLAG_INPUT
            return LineInfo.from_flags(offset, line.name, "", flags)
        flags = s.flags() | uapi.FLAG_USED
        if s.direction == "as-is":
            flags |= uapi.FLAG_INPUT
        return LineInfo.from_flags(offset, line.name, self._state().consumers.get(offset, ""),
                                   flags, s.debounce_us())

    def request(self, offsets: Sequence[int], settings: Sequence[LineSettings],
                consumer: str, event_buffer_size: int = 0) -> RequestHandle:
        chip = self._state()
        uapi.encode_name(consumer)
        lines = [chip.line(o) for o in offsets]
        for line in lines:
            if line.request is not None:
                raise LineBusyError("lines %s of %s: line %d (%s) is already requested by %r"
                                    % (list(offsets), chip.path, line.offset, line.name or "unnamed",
                                       chip.consumers.get(line.offset, "")))
        if len(set(offsets)) != len(offsets):
            raise GpioConfigError("lines %s of %s: an offset appears twice" % (list(offsets), chip.path))
        req = FakeRequest(chip, lines, event_buffer_size)
        for i, (line, s) in enumerate(zip(lines, settings)):
            line.request, line.index, line.settings = req, i, s
            line.output = s.value if s.value is not None else 0
            chip.consumers[line.offset] = consumer
        chip.settle(lines)
        return req

    def close(self) -> None:
        self._chip = None


class FakeBackend(GpioBackend):
    """Fake chips for tests and desktops.

    `chips` is a list of (label, line names) pairs; chip i gets the path
    '/dev/fake-gpiochip<i>'.  The default is one chip shaped like a
    Raspberry Pi 4's header chip (label 'pinctrl-bcm2711', lines 'GPIO0' ..
    'GPIO57'), so Pi code runs unchanged.
    """

    name = "fake"

    def __init__(self, chips: Optional[Sequence[Tuple[str, Sequence[str]]]] = None) -> None:
        if chips is None:
            chips = [("pinctrl-bcm2711", ["GPIO%d" % i for i in range(58)])]
        self.chips: List[FakeChip] = []
        for i, (label, names) in enumerate(chips):
            if not names:
                raise GpioConfigError("fake chip %r needs at least one line" % (label,))
            self.chips.append(FakeChip("/dev/fake-gpiochip%d" % i, label, list(names)))

    def chip_paths(self) -> List[str]:
        return [c.path for c in self.chips]

    def open_chip(self, path: str) -> ChipHandle:
        for c in self.chips:
            if c.path == path:
                return FakeChipHandle(c)
        raise ChipNotFoundError("no GPIO chip at %s (fake chips: %s)"
                                % (path, ", ".join(self.chip_paths())))

    # ---- helpers for tests: the "outside world"
    def line(self, ref: LineRef, chip: Union[None, int, str] = None) -> FakeLine:
        """The FakeLine for a name or offset (on chip index/label/path `chip`,
        default: the first chip that has a line of that name)."""
        if chip is None:
            if isinstance(ref, str):
                for c in self.chips:
                    if any(line.name == ref for line in c.lines):
                        return c.line(ref)
            return self.chips[0].line(ref)
        for i, c in enumerate(self.chips):
            if chip in (i, c.label, c.path, c.name):
                return c.line(ref)
        raise ChipNotFoundError("no fake chip %r (have: %s)" % (chip, ", ".join(c.label for c in self.chips)))

    def _chip_of(self, line: FakeLine) -> FakeChip:
        for c in self.chips:
            if line in c.lines:
                return c
        raise AssertionError("line without chip")

    def drive(self, ref: LineRef, level: Optional[int], chip: Union[None, int, str] = None) -> None:
        """Force the wire to `level` from outside (None: stop driving it)."""
        if level not in (0, 1, None):
            raise ValueError("level=%r: expected 0, 1 or None" % (level,))
        line = self.line(ref, chip)
        line.external = level
        self._chip_of(line).settle([line])

    def drive_high(self, ref: LineRef, chip: Union[None, int, str] = None) -> None:
        self.drive(ref, 1, chip)

    def drive_low(self, ref: LineRef, chip: Union[None, int, str] = None) -> None:
        self.drive(ref, 0, chip)

    def level(self, ref: LineRef, chip: Union[None, int, str] = None) -> int:
        """The physical level on the wire now."""
        return self.line(ref, chip).level

    def states(self, ref: LineRef, chip: Union[None, int, str] = None) -> List[int]:
        """Every level the wire has had, oldest first (starts with 0)."""
        return [level for _t, level in self.line(ref, chip).history]

    def clear_history(self, ref: LineRef, chip: Union[None, int, str] = None) -> None:
        line = self.line(ref, chip)
        line.history[:] = [(time.monotonic_ns(), line.level)]
