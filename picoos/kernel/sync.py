"""Locks for tasks: Lock, RLock, Condition, Event, Semaphore (pycos API).

They mirror `threading`, but a call that may block returns a trap: use
`yield lock.acquire()` in a generator task, `await lock.acquire()` in an
`async def` task (or `async with lock:`).  Waiters are woken in FIFO order and
a released lock is handed straight to the oldest waiter, so no task can
overtake one that waits.  All primitives park tasks in a `WaitQueue`; a
timed-out or terminated waiter is taken out by the kernel through it.

A primitive belongs to the kernel (thread) whose tasks use it; it is not a
lock between threads.  Its state changes in that kernel's thread only: the
methods that change it without a `yield` are marked `kernel_side`, so that
a thread running a task's code for it (see `context.act_for`) has them run
in the kernel's thread.
"""
from threading import get_ident

from . import context
from .context import kernel_side
from .errors import InvalidArgument, LockNotOwned, WrongContext
from .task import _check_timeout
from .traps import Trap, coro, wait_op
from .waitq import WaitQueue

__all__ = ["Lock", "RLock", "Condition", "Event", "Semaphore"]


_kernel_of_thread = context.by_thread.get


def _me(what):
    # in a kernel thread (the common case) without a further call
    kernel = _kernel_of_thread(get_ident())
    task = kernel._current if kernel is not None else context.current_task()
    if task is None:
        raise WrongContext("%s must be called from a task" % what)
    return task


def _lock_timeout(blocking, timeout, what):
    """threading's convention: timeout -1 (or None) means wait forever; as in
    pycos, so does any other negative timeout."""
    if timeout == -1 or timeout is None:
        timeout = None
    else:
        checked = _check_timeout(timeout, what)
        timeout = None if timeout < 0 else checked
    if not blocking:
        if timeout is not None:
            raise InvalidArgument("%s: a timeout cannot be given with blocking=False" % what)
        timeout = 0
    return timeout


class _Acquire(Trap):
    __slots__ = ("lock", "timeout")

    def __init__(self, lock, timeout):
        self.lock = lock
        self.timeout = timeout

    def _apply(self, kernel, task):
        lock = self.lock
        # a task with an exception pending (it threw into or terminated
        # itself) gets that instead, so it must not take the lock
        if task._exc is None and lock._try_take(task):
            kernel._ready_with(task, True)
        elif self.timeout == 0:
            kernel._ready_with(task, False)
        else:
            return _wait_for(lock, task, self.timeout)


@wait_op
def _wait_for(lock, task, timeout):
    """Wait (as a sub-call of `task`) until `lock` is handed over.

    Discussion: a release hands the lock (or permit) straight to the oldest
    waiter.  If that waiter is terminated or thrown into before it runs, the
    exception arrives here, where the waiter never learns it got the lock:
    pass it on, or every later waiter would wait for ever.
    """
    try:
        got = yield lock._waiters.wait(timeout, False)
    except BaseException:
        lock._abandon(task)
        raise
    if got:
        lock._taken(task)
    return got


class _AsyncWith:
    """`async with lock:` support shared by the lock types."""

    __slots__ = ()

    async def __aenter__(self):
        await self.acquire()
        return self

    async def __aexit__(self, exc_type, exc, tb):
        self.release()
        return False


class Lock(_AsyncWith):
    """A mutual-exclusion lock for tasks."""

    __slots__ = ("_owner", "_waiters")

    def __init__(self):
        self._owner = None
        self._waiters = WaitQueue()

    def acquire(self, blocking=True, timeout=-1):
        """Trap: take the lock; gives True, or False when not `blocking` or
        after `timeout` seconds."""
        return _Acquire(self, _lock_timeout(blocking, timeout, "Lock.acquire"))

    def _try_take(self, task):
        if self._owner is None:
            self._owner = task
            return True
        return False

    @kernel_side
    def release(self):
        """Release the lock (no `yield` needed).  Raises `LockNotOwned` when
        the calling task does not hold it."""
        task = _me("Lock.release")
        if self._owner is not task:
            raise LockNotOwned("Lock.release: task %r does not hold this lock (%s)"
                               % (task, "held by %r" % (self._owner,) if self._owner else "unlocked"))
        nxt = self._waiters.wake_first(True)
        self._owner = nxt

    def locked(self) -> bool:
        return self._owner is not None

    def _abandon(self, task):
        if self._owner is task:
            self._owner = self._waiters.wake_first(True)

    def _taken(self, task):
        pass


class RLock(_AsyncWith):
    """A lock the holding task may take again; released when every acquire
    has been matched by a release."""

    __slots__ = ("_owner", "_depth", "_waiters")

    def __init__(self):
        self._owner = None
        self._depth = 0
        self._waiters = WaitQueue()

    def acquire(self, blocking=True, timeout=-1):
        """Trap: take the lock (again, if the task holds it)."""
        return _Acquire(self, _lock_timeout(blocking, timeout, "RLock.acquire"))

    def _try_take(self, task):
        if self._owner is None:
            self._owner = task
            self._depth = 1
            return True
        if self._owner is task:
            self._depth += 1
            return True
        return False

    @kernel_side
    def release(self):
        """Release once.  Raises `LockNotOwned` when the caller does not hold it."""
        task = _me("RLock.release")
        if self._owner is not task:
            raise LockNotOwned("RLock.release: task %r does not hold this lock (%s)"
                               % (task, "held by %r" % (self._owner,) if self._owner else "unlocked"))
        self._depth -= 1
        if self._depth == 0:
            self._hand_over()

    def _hand_over(self):
        nxt = self._waiters.wake_first(True)
        self._owner = nxt
        self._depth = 1 if nxt is not None else 0

    def locked(self) -> bool:
        return self._owner is not None

    def _abandon(self, task):
        if self._owner is task:
            self._hand_over()

    def _taken(self, task):
        pass


class Condition(RLock):
    """A condition variable with its own re-entrant lock (as pycos's)."""

    __slots__ = ("_notified",)

    def __init__(self):
        RLock.__init__(self)
        self._notified = WaitQueue()

    @coro
    @wait_op
    def wait(self, timeout=None):
        """Release the lock, wait for `notify` (or `timeout` seconds), take
        the lock back.  Gives True when notified, False on timeout.  Raises
        `LockNotOwned` when the caller does not hold the lock."""
        timeout = _check_timeout(timeout, "Condition.wait")
        task = _me("Condition.wait")
        if self._owner is not task:
            raise LockNotOwned("Condition.wait: task %r does not hold the condition's lock" % task)
        depth = self._depth
        self._hand_over()
        notified = yield self._notified.wait(timeout, False)
        yield _Acquire(self, None)
        self._depth = depth
        return notified

    @kernel_side
    def notify(self, n=1):
        """Wake up to `n` waiting tasks (they retake the lock in turn)."""
        task = _me("Condition.notify")
        if self._owner is not task:
            raise LockNotOwned("Condition.notify: task %r does not hold the condition's lock" % task)
        for _ in range(n):
            if self._notified.wake_first(True) is None:
                break

    @kernel_side
    def notify_all(self):
        """Wake every waiting task."""
        task = _me("Condition.notify_all")
        if self._owner is not task:
            raise LockNotOwned("Condition.notify_all: task %r does not hold the condition's lock"
                               % task)
        self._notified.wake_all(True)

    notifyAll = notify_all


class Event:
    """A flag tasks can wait for."""

    __slots__ = ("_flag", "_waiters")

    def __init__(self):
        self._flag = False
        self._waiters = WaitQueue()

    @kernel_side
    def set(self):
        """Set the flag and wake every waiting task (no `yield` needed)."""
        self._flag = True
        self._waiters.wake_all(True)

    @kernel_side
    def clear(self):
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    isSet = is_set

    def wait(self, timeout=None):
        """Trap: wait until the flag is set; gives True, or False after
        `timeout` seconds."""
        return _EventWait(self, _check_timeout(timeout, "Event.wait"))


class _EventWait(Trap):
    # the flag is read when the kernel applies the trap, not when it is made:
    # code running outside the kernel's thread may make it before a set()
    __slots__ = ("event", "timeout")

    def __init__(self, event, timeout):
        self.event = event
        self.timeout = timeout

    def _apply(self, kernel, task):
        event = self.event
        if event._flag:
            kernel._ready_with(task, True)
        elif self.timeout == 0:
            kernel._ready_with(task, False)
        else:
            event._waiters.park(kernel, task, self.timeout, False)


class Semaphore(_AsyncWith):
    """A counter of permits; `acquire` waits while it is zero."""

    __slots__ = ("_value", "_waiters", "_handed")

    def __init__(self, value=1):
        if not isinstance(value, int) or value < 0:
            raise InvalidArgument("Semaphore value must be an int >= 0, got %r" % (value,))
        self._value = value
        self._waiters = WaitQueue()
        self._handed = None     # tasks given a permit that have not run yet

    def acquire(self, blocking=True, timeout=None):
        """Trap: take a permit; gives True, or False when not `blocking` or
        after `timeout` seconds."""
        return _Acquire(self, _lock_timeout(blocking, timeout, "Semaphore.acquire"))

    def _try_take(self, task):
        if self._value > 0:
            self._value -= 1
            return True
        return False

    @kernel_side
    def release(self):
        """Give a permit back; the oldest waiter gets it directly."""
        task = self._waiters.wake_first(True)
        if task is None:
            self._value += 1
        else:
            if self._handed is None:
                self._handed = set()
            self._handed.add(task)

    def _abandon(self, task):
        if self._handed and task in self._handed:
            self._handed.discard(task)
            self.release()

    def _taken(self, task):
        if self._handed:
            self._handed.discard(task)

    @property
    def value(self) -> int:
        return self._value
