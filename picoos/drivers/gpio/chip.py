"""The user-facing GPIO chip: find it, list its lines, request lines.

Why this module exists: programs should name hardware the way the board's
documentation does - a chip by its label ('pinctrl-bcm2711') and a line by
its name ('GPIO17') - because chip numbers and even offsets moved between
kernels and between Pi models.  `Chip` resolves those names through the
chosen backend and hands out `LineRequest`s; it holds only the chip fd.

    with Chip("pinctrl-bcm2711") as chip:
        with chip.request_input("GPIO17", bias="pull-up", edge="falling",
                                debounce=0.005) as button:
            ev = yield button.wait_edge()
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from picoos.drivers.gpio.backend import ChipHandle, GpioBackend, get_backend
from picoos.drivers.gpio.errors import (ChipNotFoundError, GpioConfigError, GpioError,
                                        LineNotFoundError, RequestReleasedError)
from picoos.drivers.gpio.lines import LineRequest
from picoos.drivers.gpio.settings import ChipInfo, LineInfo, LineSettings

__all__ = ["Chip", "find_line", "list_chips", "DEFAULT_CONSUMER"]

LineRef = Union[str, int]
BackendArg = Union[None, str, GpioBackend]

DEFAULT_CONSUMER = "picoos"


class Chip:
    """An open GPIO chip.

    `chip` is a path ('/dev/gpiochip0'), a kernel name ('gpiochip0') or a
    label ('pinctrl-rp1').  `backend` picks the backend (see get_backend()).
    Raises ChipNotFoundError (a FileNotFoundError) or GpioPermissionError.
    Closing the chip does not release lines already requested from it.
    """

    def __init__(self, chip: str, *, backend: BackendArg = None) -> None:
        self.backend = get_backend(backend)
        self._handle: Optional[ChipHandle] = self.backend.find_chip(chip)
        info = self._handle.info()
        self.path, self.name, self.label, self.num_lines = info.path, info.name, info.label, info.num_lines
        self._by_name: Optional[Dict[str, int]] = None

    def _live(self) -> ChipHandle:
        if self._handle is None:
            raise RequestReleasedError("chip %s [%s] is closed" % (self.path, self.label))
        return self._handle

    def info(self) -> ChipInfo:
        return ChipInfo(self.path, self.name, self.label, self.num_lines)

    # ---- lines
    def line_offset(self, line: LineRef) -> int:
        """The offset of a line given by name (or by offset, checked).

        Raises LineNotFoundError (a LookupError) naming the chip.
        """
        if isinstance(line, bool) or not isinstance(line, (str, int)):
            raise LineNotFoundError("line %r: expected a line name like 'GPIO17' or an offset" % (line,))
        if isinstance(line, int):
            if 0 <= line < self.num_lines:
                return line
            raise LineNotFoundError("%s [%s] has no line at offset %d (lines 0..%d)"
                                    % (self.path, self.label, line, self.num_lines - 1))
        if self._by_name is None:
            names: Dict[str, int] = {}
            for info in self.lines():
                if info.name:
                    names.setdefault(info.name, info.offset)   # first wins, as in libgpiod
            self._by_name = names
        try:
            return self._by_name[line]
        except KeyError:
            raise LineNotFoundError("%s [%s] has no line named %r" % (self.path, self.label, line)) from None

    def line_info(self, line: LineRef) -> LineInfo:
        """Name, consumer and current configuration of one line."""
        return self._live().line_info(self.line_offset(line))

    def lines(self) -> List[LineInfo]:
        """Every line of the chip with its name, consumer and configuration."""
        handle = self._live()
        return [handle.line_info(i) for i in range(self.num_lines)]

    # ---- requests
    def request(self, lines: Union[Mapping[LineRef, LineSettings], Sequence[LineRef]],
                settings: Optional[LineSettings] = None, *, consumer: str = DEFAULT_CONSUMER,
                event_buffer_size: int = 0) -> LineRequest:
        """Request several lines at once.

        Either `lines` is {line: LineSettings}, or a list of lines and
        `settings` applies to all of them.  `event_buffer_size` is how many
        edge events the kernel keeps before dropping the oldest (0: 16 per
        line).  Raises LineNotFoundError, LineBusyError (an OSError, EBUSY),
        GpioConfigError (a ValueError).
        """
        if isinstance(lines, Mapping):
            if settings is not None:
                raise GpioConfigError("give either {line: settings} or lines plus settings, not both")
            pairs: List[Tuple[LineRef, LineSettings]] = list(lines.items())
        elif isinstance(lines, (str, int)):
            raise GpioConfigError("request() takes a list of lines or {line: settings}; "
                                  "use request_input()/request_output() for one line")
        else:
            pairs = [(ln, settings if settings is not None else LineSettings()) for ln in lines]
        if not pairs:
            raise GpioConfigError("request() needs at least one line")
        for ln, s in pairs:
            if not isinstance(s, LineSettings):
                raise GpioConfigError("settings for line %r: expected LineSettings, got %r" % (ln, s))
        if not isinstance(event_buffer_size, int) or not 0 <= event_buffer_size <= 1024:
            raise GpioConfigError("event_buffer_size=%r: expected 0..1024" % (event_buffer_size,))
        offsets = [self.line_offset(ln) for ln, _s in pairs]
        if len(set(offsets)) != len(offsets):
            raise GpioConfigError("lines %s name the same line twice" % [ln for ln, _s in pairs])
        handle = self._live()
        names = [ln if isinstance(ln, str) else "" for ln, _s in pairs]
        if not all(names):
            # a line asked for by offset still reports its name in events
            names = [n or handle.line_info(o).name for n, o in zip(names, offsets)]
        try:
            req = handle.request(offsets, [s for _l, s in pairs], consumer, event_buffer_size)
        except ValueError as exc:
            if isinstance(exc, GpioError):
                raise
            raise GpioConfigError(str(exc)) from None
        return LineRequest(req, self.path, offsets, names, [s for _l, s in pairs], consumer)

    def request_input(self, line: LineRef, *, bias: str = "as-is", active_low: bool = False,
                      edge: str = "none", debounce: Optional[float] = None,
                      event_clock: str = "monotonic", consumer: str = DEFAULT_CONSUMER,
                      event_buffer_size: int = 0) -> LineRequest:
        """Request one line as an input (see LineSettings for the words)."""
        s = LineSettings("input", bias=bias, active_low=active_low, edge=edge,
                         debounce=debounce, event_clock=event_clock)
        return self.request({line: s}, consumer=consumer, event_buffer_size=event_buffer_size)

    def request_output(self, line: LineRef, value: int = 0, *, drive: str = "push-pull",
                       bias: str = "as-is", active_low: bool = False,
                       consumer: str = DEFAULT_CONSUMER) -> LineRequest:
        """Request one line as an output driven to `value` (logical) at once."""
        s = LineSettings("output", value=int(value) if isinstance(value, bool) else value,
                         drive=drive, bias=bias, active_low=active_low)
        return self.request({line: s}, consumer=consumer)

    # ---- life
    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()

    def __enter__(self) -> "Chip":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<Chip %s [%s] %d lines%s>" % (self.path, self.label, self.num_lines,
                                              " closed" if self._handle is None else "")


def list_chips(backend: BackendArg = None) -> List[ChipInfo]:
    """Every chip the backend can open (chips it may not open are skipped)."""
    b = get_backend(backend)
    out = []
    for path in b.chip_paths():
        try:
            handle = b.open_chip(path)
        except (PermissionError, ChipNotFoundError):
            continue
        try:
            out.append(handle.info())
        finally:
            handle.close()
    return out


def find_line(name: str, backend: BackendArg = None) -> Tuple[str, int]:
    """Find a line by name on any chip: (chip path, offset).

    Raises LineNotFoundError when no chip has a line of that name.
    """
    b = get_backend(backend)
    for info in list_chips(b):
        with Chip(info.path, backend=b) as chip:
            try:
                return chip.path, chip.line_offset(name)
            except LineNotFoundError:
                continue
    raise LineNotFoundError("no GPIO chip has a line named %r (backend %s)" % (name, b.name))
