"""What a GPIO line is, and how a program wants it: settings and info records.

Why this module exists: users describe a line in words ("input, pull-up,
both edges, 5 ms debounce"), the kernel wants a flag word, and the fake
backend wants to simulate the same thing.  `LineSettings` is the one place
that checks a combination makes sense (open-drain only on an output, edges
only on an input, ...) and turns it into uAPI flags; `LineInfo` is the
reverse, what a chip reports about a line.  Both backends share them, so a
bad combination gets the same clear error with or without hardware.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from picoos.drivers.gpio import uapi
from picoos.drivers.gpio.errors import GpioConfigError

__all__ = ["LineSettings", "LineInfo", "ChipInfo",
           "DIRECTIONS", "EDGES", "BIASES", "DRIVES", "EVENT_CLOCKS"]

DIRECTIONS = ("as-is", "input", "output")
EDGES = ("none", "rising", "falling", "both")
BIASES = ("as-is", "pull-up", "pull-down", "disabled")
DRIVES = ("push-pull", "open-drain", "open-source")
EVENT_CLOCKS = ("monotonic", "realtime")

# the kernel stores the debounce period as u32 microseconds
_MAX_DEBOUNCE_S = 0xFFFFFFFF / 1e6


def _choice(what: str, value: str, allowed: tuple) -> str:
    if value not in allowed:
        raise GpioConfigError("%s=%r is not valid: expected one of %s"
                              % (what, value, ", ".join(repr(a) for a in allowed)))
    return value


class LineSettings:
    """How one line should be configured; immutable, checked on creation.

    direction: 'input', 'output' or 'as-is' (leave it as the kernel has it).
    edge:      'none', 'rising', 'falling', 'both' (inputs only).
    bias:      'as-is', 'pull-up', 'pull-down', 'disabled'.
    drive:     'push-pull', 'open-drain', 'open-source' (outputs only).
    active_low: values (and edges) are inverted relative to the wire.
    debounce:  seconds (float, e.g. 0.005), inputs only; None or 0 for none.
    value:     the initial logical value of an output (0 or 1).
    event_clock: 'monotonic' (default) or 'realtime' edge timestamps.

    Raises GpioConfigError (a ValueError) on an unknown word or a combination
    the kernel would refuse.
    """

    __slots__ = ("direction", "edge", "bias", "drive", "active_low", "debounce",
                 "value", "event_clock")

    def __init__(self, direction: str = "input", *, edge: str = "none", bias: str = "as-is",
                 drive: str = "push-pull", active_low: bool = False,
                 debounce: Optional[float] = None, value: Optional[int] = None,
                 event_clock: str = "monotonic") -> None:
        set_ = object.__setattr__
        set_(self, "direction", _choice("direction", direction, DIRECTIONS))
        set_(self, "edge", _choice("edge", edge, EDGES))
        set_(self, "bias", _choice("bias", bias, BIASES))
        set_(self, "drive", _choice("drive", drive, DRIVES))
        set_(self, "event_clock", _choice("event_clock", event_clock, EVENT_CLOCKS))
        if not isinstance(active_low, bool):
            raise GpioConfigError("active_low=%r: expected True or False" % (active_low,))
        set_(self, "active_low", active_low)
        if debounce is not None:
            if isinstance(debounce, bool) or not isinstance(debounce, (int, float)) \
                    or not 0 <= debounce <= _MAX_DEBOUNCE_S:
                raise GpioConfigError("debounce=%r: expected seconds between 0 and %.0f"
                                      % (debounce, _MAX_DEBOUNCE_S))
            debounce = float(debounce) or None
        set_(self, "debounce", debounce)
        if value is not None and value not in (0, 1):
            raise GpioConfigError("value=%r: expected 0 or 1" % (value,))
        set_(self, "value", None if value is None else int(value))
        self._check_combination()

    def _check_combination(self) -> None:
        if self.direction != "output":
            if self.drive != "push-pull":
                raise GpioConfigError("drive=%r needs direction='output' (got %r): open-drain "
                                      "and open-source only make sense on outputs"
                                      % (self.drive, self.direction))
            if self.value is not None:
                raise GpioConfigError("value=%r needs direction='output' (got %r)"
                                      % (self.value, self.direction))
        if self.direction != "input":
            if self.edge != "none":
                raise GpioConfigError("edge=%r needs direction='input' (got %r): edge "
                                      "events come from inputs only" % (self.edge, self.direction))
            if self.debounce:
                raise GpioConfigError("debounce needs direction='input' (got %r)" % self.direction)
        if self.direction == "as-is" and self.bias != "as-is":
            raise GpioConfigError("bias=%r needs direction 'input' or 'output' (got 'as-is')"
                                  % self.bias)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("LineSettings is immutable; use replace(%s=...)" % name)

    def replace(self, **changes: object) -> "LineSettings":
        """A copy with some settings changed (checked again)."""
        kw = {k: getattr(self, k) for k in self.__slots__}
        kw.update(changes)
        direction = kw.pop("direction")
        return LineSettings(direction, **kw)  # type: ignore[arg-type]

    # --- conversions used by the backends
    def flags(self) -> int:
        """The uAPI v2 flag word for these settings."""
        f = 0
        if self.direction == "input":
            f |= uapi.FLAG_INPUT
        elif self.direction == "output":
            f |= uapi.FLAG_OUTPUT
        if self.active_low:
            f |= uapi.FLAG_ACTIVE_LOW
        if self.edge in ("rising", "both"):
            f |= uapi.FLAG_EDGE_RISING
        if self.edge in ("falling", "both"):
            f |= uapi.FLAG_EDGE_FALLING
        f |= {"as-is": 0, "pull-up": uapi.FLAG_BIAS_PULL_UP,
              "pull-down": uapi.FLAG_BIAS_PULL_DOWN, "disabled": uapi.FLAG_BIAS_DISABLED}[self.bias]
        f |= {"push-pull": 0, "open-drain": uapi.FLAG_OPEN_DRAIN,
              "open-source": uapi.FLAG_OPEN_SOURCE}[self.drive]
        if self.event_clock == "realtime" and self.edge != "none":
            f |= uapi.FLAG_EVENT_CLOCK_REALTIME
        return f

    def debounce_us(self) -> int:
        return int(round(self.debounce * 1e6)) if self.debounce else 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LineSettings):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, k) for k in self.__slots__))

    def __repr__(self) -> str:
        defaults = LineSettings.__init__.__kwdefaults__ or {}
        parts = [repr(self.direction)]
        parts += ["%s=%r" % (k, getattr(self, k)) for k in self.__slots__[1:]
                  if getattr(self, k) != defaults.get(k)]
        return "LineSettings(%s)" % ", ".join(parts)


class ChipInfo(NamedTuple):
    """What a chip says about itself."""
    path: str        # e.g. /dev/gpiochip0
    name: str        # kernel name, e.g. gpiochip0
    label: str       # driver label, e.g. pinctrl-bcm2711
    num_lines: int


class LineInfo(NamedTuple):
    """What a chip says about one line (flags decoded into words)."""
    offset: int
    name: str            # '' when the line has no name
    consumer: str        # '' when nobody holds it
    used: bool
    direction: str       # 'input' or 'output'
    active_low: bool
    edge: str
    bias: str
    drive: str
    debounce: Optional[float]   # seconds
    event_clock: str

    @classmethod
    def from_flags(cls, offset: int, name: str, consumer: str, flags: int,
                   debounce_us: int = 0) -> "LineInfo":
        rising = bool(flags & uapi.FLAG_EDGE_RISING)
        falling = bool(flags & uapi.FLAG_EDGE_FALLING)
        edge = {(False, False): "none", (True, False): "rising",
                (False, True): "falling", (True, True): "both"}[(rising, falling)]
        if flags & uapi.FLAG_BIAS_PULL_UP:
            bias = "pull-up"
        elif flags & uapi.FLAG_BIAS_PULL_DOWN:
            bias = "pull-down"
        elif flags & uapi.FLAG_BIAS_DISABLED:
            bias = "disabled"
        else:
            bias = "as-is"      # the kernel does not know (or nobody set it)
        if flags & uapi.FLAG_OPEN_DRAIN:
            drive = "open-drain"
        elif flags & uapi.FLAG_OPEN_SOURCE:
            drive = "open-source"
        else:
            drive = "push-pull"
        return cls(offset=offset, name=name, consumer=consumer,
                   used=bool(flags & uapi.FLAG_USED),
                   direction="output" if flags & uapi.FLAG_OUTPUT else "input",
                   active_low=bool(flags & uapi.FLAG_ACTIVE_LOW), edge=edge, bias=bias,
                   drive=drive, debounce=debounce_us / 1e6 if debounce_us else None,
                   event_clock="realtime" if flags & uapi.FLAG_EVENT_CLOCK_REALTIME else "monotonic")
