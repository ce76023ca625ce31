"""The wait queue every blocking primitive parks its tasks in.

Locks, conditions, events, semaphores, channels and "wait for a task to
finish" all need the same three things: park the current task (optionally
with a timeout), wake the first or all parked tasks with a value, and let the
kernel take a task out again when its timeout expires or it is terminated.
A `WaitQueue` is itself the undo record the kernel keeps in `task._undo`:
the kernel calls `discard(task)`, nothing else, so primitives never reach
into the scheduler and the scheduler knows no primitive.
"""
from collections import deque

from .taskstate import WAITING
from .traps import Trap

__all__ = ["WaitQueue"]


class WaitQueue(deque):
    """FIFO of parked tasks."""

    __slots__ = ()

    def park(self, kernel, task, timeout=None, alarm=None):
        """Park `task` (the running task, inside a trap's `_apply`).

        After `timeout` seconds (None: never) the kernel takes it out and
        resumes it with `alarm`.
        """
        self.append(task)
        task._undo = self
        task._state = WAITING
        if timeout is not None:
            kernel._set_timer(task, timeout, alarm)

    def wait(self, timeout=None, alarm=None):
        """Trap: park the current task here until woken (gives the wake-up
        value), or `alarm` after `timeout` seconds (0: at once)."""
        return _Park(self, timeout, alarm)

    def discard(self, task):
        """Take `task` out (timeout, termination, thrown exception)."""
        try:
            self.remove(task)
        except ValueError:
            pass

    def wake_first(self, value=True):
        """Resume the oldest parked task with `value`; return it (or None)."""
        if not self:
            return None
        task = self.popleft()
        task._kernel._wake(task, value)
        return task

    def wake_all(self, value=True):
        """Resume every parked task with `value`, oldest first."""
        while self:
            task = self.popleft()
            task._kernel._wake(task, value)


class _Park(Trap):
    __slots__ = ("queue", "timeout", "alarm")

    def __init__(self, queue, timeout, alarm):
        self.queue = queue
        self.timeout = timeout
        self.alarm = alarm

    def _apply(self, kernel, task):
        if self.timeout == 0:
            kernel._ready_with(task, self.alarm)
        else:
            self.queue.park(kernel, task, self.timeout, self.alarm)
