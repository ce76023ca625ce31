"""Waiting on file descriptors: the traps every driver is built on.

A driver makes its fd non-blocking, tries its system call, and on EAGAIN
yields `wait_readable(fd)` or `wait_writable(fd)`; the kernel parks the task
until the notifier reports the fd ready.  Before closing an fd a driver calls
`fd_closed(fd)`, which wakes every task waiting on it with
`ClosedResourceError` instead of leaving it blocked forever.
"""
from . import context
from .errors import InvalidArgument
from .notifier import READ, WRITE
from .task import _check_timeout
from .taskstate import WAITING
from .traps import Trap

__all__ = ["wait_readable", "wait_writable", "fd_closed"]


def _fileno(fd):
    if isinstance(fd, int):
        if fd < 0:
            raise InvalidArgument("file descriptor must be >= 0, got %d" % fd)
        return fd
    try:
        return fd.fileno()
    except AttributeError:
        raise InvalidArgument("expected a file descriptor or an object with fileno(), got %r"
                              % (fd,)) from None


class _FdWait(Trap):
    """Park the task until `fd` is ready for `mask`; give True, or False
    after `timeout` seconds."""

    __slots__ = ("fd", "mask", "timeout", "kernel")

    def __init__(self, fd, mask, timeout):
        self.fd = fd
        self.mask = mask
        self.timeout = timeout
        self.kernel = None

    def _apply(self, kernel, task):
        if self.timeout == 0:
            kernel._ready_with(task, False)
            return
        kernel._add_fd_waiter(self.fd, self.mask, task)
        self.kernel = kernel
        task._undo = self
        task._state = WAITING
        if self.timeout is not None:
            kernel._set_timer(task, self.timeout, False)

    def discard(self, task):
        self.kernel._remove_fd_waiter(self.fd, self.mask, task)


def wait_readable(fd, timeout=None):
    """Trap: wait until `fd` is readable; gives True, or False on timeout."""
    return _FdWait(_fileno(fd), READ, _check_timeout(timeout, "wait_readable"))


def wait_writable(fd, timeout=None):
    """Trap: wait until `fd` is writable; gives True, or False on timeout."""
    return _FdWait(_fileno(fd), WRITE, _check_timeout(timeout, "wait_writable"))


def fd_closed(fd):
    """Tell the kernel `fd` is about to be closed.

    Called by a task (or code acting for one, see `context.act_for`): tasks
    waiting on `fd` get `ClosedResourceError`; the notifier forgets it.
    Called from another thread (a program's main thread), the default
    kernel forgets `fd` and tasks waiting on it stay waiting, as in pycos:
    they run on the kernel's thread at the same time as the caller, which
    may still be walking the data those tasks would change on waking.
    Either way, from another thread the call returns once the kernel has
    forgotten `fd`, so its number can be reused at once.
    """
    fd = _fileno(fd)
    k = context.current_kernel()
    if k is not None:
        k._fd_closed(fd)
        return
    task = context.acting_task()
    if task is not None:
        k = task._kernel
        context.call_in_kernel(k, task, k._fd_closed, (fd,))
        return
    k = context.default
    if k is not None and not k._quit:
        context.call_in_kernel(k, None, k._fd_closed, (fd, False))
