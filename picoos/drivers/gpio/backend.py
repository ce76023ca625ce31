"""The seam between the GPIO API and what actually moves the pins.

Why this module exists: the same user code must run on a Raspberry Pi
(ioctls on /dev/gpiochipN) and on a desktop or in CI (a fake chip whose
request fd is a pipe, so the kernel's real notifier path still runs).  The
user-facing `Chip` and `LineRequest` talk only to the three small classes
below; a backend implements them.  This follows gpiozero's pin factories:
a base class that lists what a backend must and may override, and a choice
made by argument, then the PICOOS_GPIO_BACKEND environment variable, then
what the machine has.

A backend must override:

* `GpioBackend.chip_paths()`   - the chips that exist, e.g. ['/dev/gpiochip0'].
* `GpioBackend.open_chip(path)` - a `ChipHandle`; ChipNotFoundError,
  GpioPermissionError.
* `ChipHandle.info()`, `ChipHandle.line_info(offset)`,
  `ChipHandle.request(offsets, settings, consumer, event_buffer_size)` (a
  `RequestHandle`; LineBusyError, GpioConfigError), `ChipHandle.close()`.
* `RequestHandle.fd` (a pollable fd that is readable when edge events wait,
  non-blocking, yielding whole 48-byte gpio_v2_line_event records),
  `get_values(mask)`, `set_values(bits, mask)`, `set_config(settings)`,
  `close()`.

A backend may override:

* `GpioBackend.find_chip(spec)` - how a path, 'gpiochipN' or a label is
  resolved (the default opens each chip and compares).
* `RequestHandle.read_events(max_bytes)` - the default is a non-blocking
  `os.read` on `fd`.
"""
from __future__ import annotations

import logging
import os
from typing import List, Optional, Sequence, Union

from picoos.drivers.gpio.errors import ChipNotFoundError, UnknownBackendError
from picoos.drivers.gpio.settings import ChipInfo, LineInfo, LineSettings

__all__ = ["GpioBackend", "ChipHandle", "RequestHandle", "get_backend", "BACKEND_ENV"]

log = logging.getLogger("picoos.drivers.gpio")

BACKEND_ENV = "PICOOS_GPIO_BACKEND"


class RequestHandle:
    """Lines held by one request.  Bit i of a mask is the i-th requested line."""

    #: pollable, non-blocking fd; readable when edge events are waiting
    fd: int = -1

    def get_values(self, mask: int) -> int:
        """Logical values of the lines in `mask`, as bits."""
        raise NotImplementedError

    def set_values(self, bits: int, mask: int) -> None:
        """Set the logical values of the output lines in `mask`."""
        raise NotImplementedError

    def set_config(self, settings: Sequence[LineSettings]) -> None:
        """Reconfigure every line of the request (one settings per line)."""
        raise NotImplementedError

    def read_events(self, max_bytes: int) -> bytes:
        """Whatever whole events are buffered (b'' if none); never blocks."""
        try:
            return os.read(self.fd, max_bytes)
        except BlockingIOError:
            return b""

    def close(self) -> None:
        raise NotImplementedError


class ChipHandle:
    """An open chip."""

    path: str = ""

    def info(self) -> ChipInfo:
        raise NotImplementedError

    def line_info(self, offset: int) -> LineInfo:
        raise NotImplementedError

    def request(self, offsets: Sequence[int], settings: Sequence[LineSettings],
                consumer: str, event_buffer_size: int = 0) -> RequestHandle:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class GpioBackend:
    """Makes chip handles; see the module docstring for what to override."""

    #: short name used by get_backend() and PICOOS_GPIO_BACKEND
    name = "base"

    def chip_paths(self) -> List[str]:
        raise NotImplementedError

    def open_chip(self, path: str) -> ChipHandle:
        raise NotImplementedError

    def find_chip(self, spec: str) -> ChipHandle:
        """Open the chip named by a path, a kernel name ('gpiochip0') or a label.

        Raises ChipNotFoundError listing what exists when nothing matches.
        """
        if not isinstance(spec, str) or not spec:
            raise ChipNotFoundError("chip %r: expected a path, a name like 'gpiochip0' "
                                    "or a label like 'pinctrl-bcm2711'" % (spec,))
        paths = self.chip_paths()
        if spec in paths or spec.startswith("/"):
            return self.open_chip(spec)
        for path in paths:
            if os.path.basename(path) == spec:
                return self.open_chip(path)
        seen = []
        denied: Optional[OSError] = None
        for path in paths:
            try:
                handle = self.open_chip(path)
            except PermissionError as exc:
                denied = exc        # keep looking; report it if nothing matches
                continue
            except ChipNotFoundError:
                continue            # e.g. a device node that is not a GPIO chip
            info = handle.info()
            if info.label == spec:
                return handle
            handle.close()
            seen.append("%s [%s]" % (info.name, info.label))
        hint = ""
        if denied is not None:
            hint = "; some chips could not be opened (%s)" % denied
        raise ChipNotFoundError("no GPIO chip with path, name or label %r (backend %s has: %s)%s"
                                % (spec, self.name, ", ".join(seen) or "no chips", hint))


_shared_fake: Optional[GpioBackend] = None


def _machine_has_gpio() -> bool:
    try:
        return any(n.startswith("gpiochip") for n in os.listdir("/dev"))
    except OSError:
        return False


def get_backend(backend: Union[None, str, GpioBackend] = None) -> GpioBackend:
    """Choose a backend: the argument, then $PICOOS_GPIO_BACKEND, then the machine.

    `backend` may be a GpioBackend instance (used as is) or a name: 'real'
    (ioctls on /dev/gpiochipN) or 'fake' (one FakeBackend per process,
    shaped like a Raspberry Pi 4 header, so every Chip opened by name sees
    the same fake lines; `get_backend('fake').drive_high(...)` drives them).  Without either, a machine with /dev/gpiochip*
    gets the real backend and any other the fake one, with a warning in the
    log.  Raises UnknownBackendError (a ValueError) for another name.
    """
    if isinstance(backend, GpioBackend):
        return backend
    source = "argument"
    if backend is None:
        backend = os.environ.get(BACKEND_ENV) or None
        source = "$" + BACKEND_ENV
    if backend is None:
        if _machine_has_gpio():
            backend = "real"
        else:
            log.warning("no /dev/gpiochip* on this machine: using the fake GPIO backend "
                        "(set %s=real or fake to choose)", BACKEND_ENV)
            backend = "fake"
    if backend == "real":
        from picoos.drivers.gpio.real import RealBackend
        return RealBackend()
    if backend == "fake":
        global _shared_fake
        if _shared_fake is None:
            from picoos.drivers.gpio.fake import FakeBackend
            _shared_fake = FakeBackend()
        return _shared_fake
    raise UnknownBackendError("GPIO backend %r from %s is not known: expected 'real', "
                              "'fake' or a GpioBackend instance" % (backend, source))

