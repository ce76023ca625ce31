"""Errors raised by picoos drivers (files, pipes, serial ports, GPIO).

Why a module of its own: every driver fails in the same few ways (a
timeout, a peer that went away, a closed handle, a bad argument, a missing
optional dependency), and users want to catch those by the standard type
they already know (``TimeoutError``, ``BrokenPipeError``,
``ConnectionError``, ``ValueError``, ``ImportError``) *or* by "anything a
picoos driver raised" (``DriverError``).  So every leaf here subclasses
``DriverError`` and one standard exception type.

Hardware families add their own leaves in their own ``errors.py`` (for
example ``picoos/drivers/gpio/errors.py``) by subclassing ``DriverError``.
"""
from __future__ import annotations

from picoos.kernel.errors import PicoosError

__all__ = [
    "DriverError",
    "DriverTimeoutError",
    "DriverClosedError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "NotAProcessError",
    "MissingDependencyError",
    "BrokenPipe",
    "SerialError",
    "SerialConfigError",
    "SerialTimeoutError",
    "SerialDisconnectedError",
]


class DriverError(PicoosError):
    """Base of every error raised by a picoos driver."""


class DriverTimeoutError(DriverError, TimeoutError):
    """An operation's ``timeout`` expired before anything was transferred.

    ``TimeoutError`` is an ``OSError`` (``IOError``), so code written for
    pycos, which raised ``IOError('timedout')``, keeps working.
    """


class DriverClosedError(DriverError, ValueError):
    """An operation was started on a file, pipe or port that is closed.

    A ``ValueError``, like the standard library's "I/O operation on closed
    file".  (A task already *waiting* when the handle is closed is woken by
    the kernel with ``picoos.kernel.errors.ClosedResourceError`` instead.)
    """


class InvalidArgumentError(DriverError, ValueError):
    """An argument had an acceptable type but an unusable value."""


class InvalidTypeError(DriverError, TypeError):
    """An argument had the wrong type (for example ``str`` where bytes go)."""


class NotAProcessError(InvalidTypeError, ValueError):
    """``AsyncPipe`` was given something other than a ``subprocess.Popen``.

    Also a ``ValueError``: the type pycos programs catch there."""


class MissingDependencyError(DriverError, ImportError):
    """An optional package a driver needs is not installed."""


class BrokenPipe(DriverError, BrokenPipeError):
    """The reading end of a pipe went away (a child process exited early)."""


class SerialError(DriverError, OSError):
    """A serial port could not be opened or operated."""


class SerialConfigError(DriverError, ValueError):
    """A serial port setting (baud rate, parity, ...) was not acceptable."""


class SerialTimeoutError(DriverTimeoutError):
    """A serial read or write did not complete within its ``timeout``."""


class SerialDisconnectedError(DriverError, ConnectionError):
    """The serial device hung up (unplugged, or the far side of a pty closed).

    Raised in the task that was waiting; the port is closed by then.
    """
