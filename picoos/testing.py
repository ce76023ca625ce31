"""Tools for testing picoos programs without sleeping.

* `FakeClock` replaces the kernel's clock.  Time stands still until it is
  advanced — by `advance(seconds)`, or automatically (`autojump=True`, the
  default) whenever every task is blocked and the next thing that can happen
  is a timer: the clock jumps straight to it.  A test of code that sleeps
  for an hour runs in microseconds, and its timing is exact.
* `wait_all_tasks_blocked()` is a trap that resumes the calling task once
  every other task is blocked (waiting on a message, a lock, a timer or
  I/O) and no I/O is pending: the moment to look at the state of a system.
* `run(fn, *args, clock=None, notifier=None, **kwargs)` runs `fn` as the
  main task of a fresh kernel in this thread with a fake clock (by default),
  and returns its result.

Example::

    from picoos import testing

    def test_timeout():
        def main(task=None):
            msg = yield task.receive(timeout=30, alarm_value='late')
            return msg, task._kernel.clock.now()
        assert testing.run(main) == ('late', 30.0)
"""
from .kernel import context
from .kernel.errors import InvalidArgument, WrongContext
from .kernel.traps import Trap

__all__ = ["FakeClock", "wait_all_tasks_blocked", "run"]


class FakeClock:
    """A clock under the test's control (see the module docstring).

    `autojump_threshold` is how many real seconds the kernel first waits for
    I/O before jumping to the next timer (0: jump at once)."""

    #: timers fire at their exact deadlines (no 1 ms buckets as with the system clock)
    timer_resolution = 0

    def __init__(self, start=0.0, autojump=True, autojump_threshold=0.0):
        self._now = float(start)
        self.autojump = autojump
        self.autojump_threshold = autojump_threshold
        self.jumps = 0

    def now(self) -> float:
        return self._now

    def advance(self, seconds):
        """Move time forward by `seconds` (>= 0).  Timers now due fire when
        the kernel next looks at its timers: once the ready queue is empty
        (or every 64 steps while tasks keep it busy); `yield
        wait_all_tasks_blocked()` after `advance` is a sure point."""
        if seconds < 0:
            raise InvalidArgument("FakeClock.advance: cannot go back in time (%r)" % (seconds,))
        self._now += seconds
        k = context.default
        if k is not None and context.current_kernel() is None and k.clock is self:
            k._threadsafe(lambda: None)

    def timeout_for(self, deadline):
        if deadline is None:
            return None
        if deadline <= self._now:
            return 0
        return self.autojump_threshold if self.autojump else None

    def idle(self, deadline):
        if self.autojump and deadline > self._now:
            self._now = deadline
            self.jumps += 1


class _WaitAllBlocked(Trap):
    __slots__ = ()

    def _apply(self, kernel, task):
        from .kernel.task import WAITING
        kernel._idle_waiters.append(task)
        task._state = WAITING
        task._undo = _IdleUndo(kernel)


class _IdleUndo:
    __slots__ = ("kernel",)

    def __init__(self, kernel):
        self.kernel = kernel

    def discard(self, task):
        try:
            self.kernel._idle_waiters.remove(task)
        except ValueError:
            pass


def wait_all_tasks_blocked():
    """Trap: resume once every other task of this kernel is blocked.

    Use as `yield wait_all_tasks_blocked()` (or `await`).  Raises
    `WrongContext` outside a task."""
    if context.current_task() is None:
        raise WrongContext("wait_all_tasks_blocked() must be used from a task")
    return _WaitAllBlocked()


def run(fn, *args, clock=None, notifier=None, **kwargs):
    """Run `fn(*args, **kwargs)` on a fresh kernel in this thread, with
    `clock` (default: a new autojumping FakeClock); return its value."""
    from .kernel.scheduler import Kernel
    return Kernel(notifier=notifier, clock=clock if clock is not None else FakeClock()).run(
        fn, *args, **kwargs)
