"""The kernel's table of tasks waiting on file descriptors.

A mixin of `Kernel`: which task waits to read or write which fd (one of
each per fd), what mask each fd is registered with in the notifier, and what
to do with the notifier's events.  An fd stays registered after its waiter
is woken, so a socket that is read again and again costs no notifier system
call per wait; a direction is dropped only when it fires with nobody waiting.

Discussion (closed fds): epoll and kqueue watch an open file, not an fd
number: when a kept fd is closed without `fd_closed()` they forget it, and a
new file that gets the same number would not be watched although the table
says it is.  So a wait that begins on a kept registration refreshes it with
the backend (`refresh`: one system call on those two, none on poll and
select, which watch numbers), which re-adds a forgotten fd.  That is still
cheaper than registering only while a task waits (two calls per wait), and
checking later instead (only for waits the next poll does not wake) saved
nothing measurable: such a wait began because the fd was not ready.
"""
import logging
import os

from .errors import BusyResourceError, ClosedResourceError
from .notifier import READ, WRITE

logger = logging.getLogger("picoos.kernel")


class FdWaits:
    """Fd waits of the kernel (mixin of `Kernel`)."""

    # -- file descriptors ------------------------------------------------

    def _add_fd_waiter(self, fd, mask, task):
        table = self._readers if mask == READ else self._writers
        other = table.get(fd)
        if other is not None:
            raise BusyResourceError("task %r already waits to %s fd %d; one %s per fd at a time"
                                    % (other, "read" if mask == READ else "write", fd,
                                       "reader" if mask == READ else "writer"))
        cur = self._fd_mask.get(fd, 0)
        try:
            if not cur & mask:
                if cur:
                    self._notifier.modify(fd, cur | mask)
                else:
                    self._notifier.register(fd, mask)
                self._fd_mask[fd] = cur | mask
            elif self._notifier.per_file:
                # kept from an earlier wait: the fd may be a new file by now
                self._notifier.refresh(fd, cur)
        except OSError:
            if cur:
                # closed (or now a file the notifier refuses): forget it; a
                # waiter in the other direction retries and meets the error
                self._notifier.unregister(fd)
                del self._fd_mask[fd]
                waiter = (self._writers if mask == READ else self._readers).pop(fd, None)
                if waiter is not None:
                    self._wake(waiter, True)
            raise
        table[fd] = task

    def _remove_fd_waiter(self, fd, mask, task):
        table = self._readers if mask == READ else self._writers
        if table.get(fd) is task:
            del table[fd]

    def _poll(self, timeout):
        """Wait for fd events up to `timeout`; wake their tasks; return the
        number of events."""
        events = self._notifier.wait(timeout)
        if not events:
            return 0
        readers = self._readers
        writers = self._writers
        for fd, mask in events:
            if fd == self._wake_r:
                try:
                    while os.read(fd, 4096):
                        pass
                except (BlockingIOError, OSError):
                    pass
                continue
            unwanted = 0
            if mask & READ:
                task = readers.pop(fd, None)
                if task is None:
                    unwanted = READ
                else:
                    self._wake(task, True)
            if mask & WRITE:
                task = writers.pop(fd, None)
                if task is None:
                    unwanted |= WRITE
                else:
                    self._wake(task, True)
            if unwanted:
                # ready but nobody waits: stop watching that direction, or the
                # level-triggered notifier would report it again and again
                cur = self._fd_mask.get(fd, 0)
                new = cur & ~unwanted
                if fd in readers:
                    new |= READ
                if fd in writers:
                    new |= WRITE
                if new != cur:
                    try:
                        if new:
                            self._notifier.modify(fd, new)
                            self._fd_mask[fd] = new
                        else:
                            self._notifier.unregister(fd)
                            self._fd_mask.pop(fd, None)
                    except OSError:
                        self._notifier.unregister(fd)
                        self._fd_mask.pop(fd, None)
        return len(events)

    def _fd_closed(self, fd, wake=True):
        for table in (self._readers, self._writers):
            task = table.pop(fd, None)
            if task is not None:
                if not wake:
                    # its wait's undo finds the table entry gone: a no-op
                    logger.debug("fd %d closed from another thread: task %r stays waiting "
                                 "on it", fd, task)
                    continue
                if task._timer is not None:
                    self._cancel_timer(task)
                task._undo = None
                self._ready_exc(task, ClosedResourceError())
        if fd in self._fd_mask:
            del self._fd_mask[fd]
            self._notifier.unregister(fd)
