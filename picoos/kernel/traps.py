"""Traps: how a task asks the kernel to do something that may block.

A blocking call (`task.sleep`, `task.receive`, `lock.acquire`, a socket
read, ...) does not block: it returns a trap, a small object describing what
the task wants.  A generator task hands it to the kernel with `yield trap`,
an `async def` task with `await trap`; both end up in the same kernel loop,
which calls `trap._apply(kernel, task)`.  `_apply` either parks the task
(with a way to undo that, see `Task._undo`) or makes it ready again with a
value, and returns None.

Operations that are naturally written as generators (drivers that retry a
non-blocking syscall, a channel delivery that waits for subscribers) are
decorated with `@coro`: calling them returns a `SubCall`, which the kernel
runs as a sub-call of the task (`yield`) and which `await` drives directly.

Discussion: `_apply` is the only entry point into the kernel for a task, so
the scheduler does not need to know any trap type in advance; new blocking
operations (the net layer's requests, a GPIO edge wait) are new traps, not
new branches in the kernel loop.
"""
from functools import wraps

__all__ = ["Trap", "SubCall", "coro", "Value", "sleep", "wait_op", "is_wait_op"]


class Trap:
    """Base class of traps.

    A subclass must override `_apply(kernel, task)`: park the task or make
    it ready (`kernel._ready_with(task, value)`), return None.
    """

    __slots__ = ()

    def __await__(self):
        return (yield self)

    def _apply(self, kernel, task):  # pragma: no cover - abstract
        raise NotImplementedError("trap %r does not implement _apply" % type(self).__name__)


class Value(Trap):
    """A trap that resumes the task at once with `value`.

    Returned by calls that pycos requires to be used with `yield` but that
    can complete immediately; the task still passes through the ready queue,
    so the call is a scheduling point like every other `yield`.
    """

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def _apply(self, kernel, task):
        kernel._ready_with(task, self.value)


class SubCall:
    """A generator operation that is both yieldable and awaitable.

    `yield SubCall(gen)` runs `gen` as a sub-call of the current generator
    task (its return value is the value of the `yield`, its exception is
    raised at the `yield`); `await SubCall(gen)` delegates to `gen`.
    """

    __slots__ = ("gen",)

    def __init__(self, gen):
        self.gen = gen

    def __await__(self):
        return (yield from self.gen)

    def _apply(self, kernel, task):
        # the kernel pushes the returned generator as a sub-call
        return self.gen

    def __repr__(self):
        return "<SubCall %s>" % getattr(self.gen, "__qualname__", self.gen)


def coro(genfunc):
    """Decorate a generator function so its calls work with `yield` and `await`.

    Inside, yield only traps, other `@coro` calls or plain generators, and
    `return` the result.
    """
    @wraps(genfunc)
    def call(*args, **kwargs):
        return SubCall(genfunc(*args, **kwargs))
    call.__picoos_coro__ = genfunc
    return call


# code objects of the generator functions marked with @wait_op
_WAIT_OPS = set()


def wait_op(genfunc):
    """Mark a generator function as one of the kernel's wait operations.

    A task waiting inside such an operation (run as a sub-call) is still at
    its own `yield` as far as a hot swap is concerned: the operation must
    let every exception thrown into it propagate (after cleaning up), so a
    HotSwapException reaches the task's generator at once.
    """
    _WAIT_OPS.add(genfunc.__code__)
    return genfunc


def is_wait_op(gen) -> bool:
    """True if generator `gen` runs a function marked with @wait_op."""
    return getattr(gen, "gi_code", None) in _WAIT_OPS


def sleep(timeout, alarm_value=None):
    """A trap that suspends the current task for `timeout` seconds.

    The same as `task.sleep(timeout)` for code that has no reference to its
    task (for example inside an `async def` helper).
    """
    from .scheduler import current_task_or_error
    return current_task_or_error("sleep").sleep(timeout, alarm_value)
