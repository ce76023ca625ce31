"""Helpers every driver's retry loop uses: timeouts on the kernel's clock,
bytes-like arguments, and helper tasks whose errors reach their caller.

Not public API; `asyncfile`, `pipe` and `serial` share them.
"""
from __future__ import annotations

from typing import Any, Optional

from picoos.kernel.clock import SYSTEM_CLOCK
from picoos.kernel.scheduler import Pycos
from picoos.kernel.task import Task
from picoos.drivers.errors import InvalidArgumentError, InvalidTypeError


def byte_view(buf: Any) -> memoryview:
    """`buf` as a memoryview of bytes; `InvalidTypeError` for str or a
    non-buffer (a clear message instead of a TypeError deep in os.write)."""
    if isinstance(buf, str):
        raise InvalidTypeError("write() needs bytes, not str; encode the text first")
    try:
        return memoryview(buf).cast("B")
    except TypeError:
        raise InvalidTypeError("write() needs a bytes-like object, got %r"
                               % type(buf).__name__) from None


def check_timeout(timeout: Any) -> None:
    """Reject a timeout that is not None or a number >= 0."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidTypeError("timeout must be None or seconds (a number), got %r" % (timeout,))
    if timeout < 0 or timeout != timeout:
        raise InvalidArgumentError("timeout must be None or >= 0 seconds, got %r" % (timeout,))


def now() -> float:
    """The time on the running kernel's clock (a FakeClock in tests)."""
    kernel = Pycos.scheduler()
    return (kernel.clock if kernel is not None else SYSTEM_CLOCK).now()


def deadline_of(timeout: Optional[float]) -> Optional[float]:
    """The kernel-clock time at which ``timeout`` expires (None: never)."""
    return None if timeout is None else now() + timeout


def remaining(deadline: Optional[float]) -> Optional[float]:
    """Seconds left until ``deadline`` (may be <= 0), None if no deadline."""
    return None if deadline is None else deadline - now()


def _caught(gen):
    """Task body for spawn(): run ``gen``, return ("ok", value) or ("error", exc)."""
    try:
        return "ok", (yield gen)
    except Exception as exc:   # handed to the caller of spawn(), not lost
        return "error", exc


def spawn(genfunc, *args):
    """Start ``genfunc(*args)`` as a task of the current kernel; return the
    Task.  ``(yield joined(task))`` gives its value or raises its error."""
    return Task(_caught, genfunc(*args))


def joined(task):
    """Generator: wait for a task made by ``spawn`` and give back its result."""
    kind, value = yield task.finish()
    if kind == "error":
        raise value
    return value
