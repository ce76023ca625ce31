"""Errors raised by the picoos kernel.

Every error picoos raises derives from `PicoosError`, so an application can
catch "anything picoos refused" in one place.  Each leaf also derives from the
standard exception a Python programmer would reach for first (`ValueError`
for a bad argument, `TimeoutError` for a timeout, `OSError` for a closed
descriptor), so existing handlers keep working.
"""


class PicoosError(Exception):
    """Base class of every error raised by picoos."""


class TaskError(PicoosError, TypeError):
    """A task was created from something that is not a task function
    (a generator function or an `async def` function)."""


class InvalidArgument(PicoosError, ValueError):
    """An argument has a value the operation cannot accept (for example a
    negative timeout)."""


class WrongContext(PicoosError, RuntimeError):
    """An operation was called from the wrong place: a task-only call from a
    plain thread, or a thread-only call (`Task.value`) from inside a task."""


class LockNotOwned(PicoosError, RuntimeError):
    """A lock, rlock, condition or semaphore was released by a task that does
    not hold it."""


class BusyResourceError(PicoosError, RuntimeError):
    """A second task tried to wait on a file descriptor for the same
    direction (read or write) that another task is already waiting on."""


class ClosedResourceError(PicoosError, OSError):
    """The file descriptor a task was waiting on was closed under it."""

    def __init__(self, message: str = "file descriptor was closed while a task waited on it"):
        import errno
        super().__init__(errno.EBADF, message)


class KernelClosed(PicoosError, RuntimeError):
    """The kernel the operation was addressed to has already shut down."""
