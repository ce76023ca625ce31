"""Errors raised by the GPIO driver.

Why a module of its own: user code that drives pins wants to catch "that
line is taken" or "there is no such chip" without parsing errno values, and
code that does not care about GPIO wants to catch the plain stdlib type
(`OSError`, `LookupError`, `ValueError`).  So every class here subclasses
`GpioError` (and through it picoos's `DriverError` / `PicoosError`) *and*
the stdlib type a user would reach for.
"""
from __future__ import annotations

import errno

from picoos.drivers.errors import DriverError

__all__ = [
    "GpioError",
    "ChipNotFoundError",
    "LineNotFoundError",
    "LineBusyError",
    "GpioPermissionError",
    "GpioConfigError",
    "RequestReleasedError",
    "UnknownBackendError",
]


class GpioError(DriverError):
    """Base of every GPIO error."""


class ChipNotFoundError(GpioError, FileNotFoundError):
    """No GPIO chip matches the given path, name or label."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.ENOENT, message)

    def __str__(self) -> str:
        return self.strerror


class LineNotFoundError(GpioError, LookupError):
    """The chip has no line with the given name or offset."""


class LineBusyError(GpioError, OSError):
    """The line is already requested (by this or another process): EBUSY."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EBUSY, message)

    def __str__(self) -> str:
        return self.strerror


class GpioPermissionError(GpioError, PermissionError):
    """The chip device cannot be opened: not in the `gpio` group, or not root."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, message)

    def __str__(self) -> str:
        return self.strerror


class GpioConfigError(GpioError, ValueError):
    """A bad line setting or flag combination, or one the kernel refused."""


class RequestReleasedError(GpioError, ValueError):
    """The line request was released; like I/O on a closed file."""


class UnknownBackendError(GpioError, ValueError):
    """A GPIO backend name (argument or PICOOS_GPIO_BACKEND) that is not known."""
