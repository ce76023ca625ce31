"""The task record and its pycos-compatible methods.

A task is a generator (`def f(task=None): ... yield ...`) or a coroutine
(`async def f(task=None): ... await ...`) plus this record.  The record is
kept as small as possible because a board may hold hundreds of thousands of
suspended tasks: ten slots, and everything few tasks use (a name of their
own, monitors, a sub-call stack, hot-swap state, waiters for the result)
lives in a `_Rare` record allocated on first use (`taskstate.py`: the
states and that record; `taskfn.py`: how the task function is called).

Methods that can block return traps (see `traps.py`); methods that cannot
block act at once and return pycos's status codes (0 for done, -1 for an
invalid target).  Calls from a thread other than the task's kernel thread
are handed to the kernel through its thread-safe inbox.
"""
from collections import deque
from threading import get_ident
import logging

from . import context
from .errors import InvalidArgument, WrongContext
from .taskfn import _code_kind, make_generator
from .taskstate import (DONE, READY, SUSPENDED, RECEIVING, WAITING, MESSAGE,  # noqa: F401
                        _Rare, at_swap_point)
from .traps import Trap, Value

__all__ = ["Task", "MonitorStatus", "HotSwapException"]

logger = logging.getLogger("picoos.kernel")

_kernel_of_thread = context.by_thread.get


class HotSwapException(Exception):
    """Thrown into a task to replace its generator (see `Task.hot_swap`).

    `exc.args[0]` is the new generator.  A task that lets the exception
    propagate is swapped (its queued messages are kept); a task that catches
    it declines the swap.
    """


class MonitorStatus:
    """What a monitor receives when a task it watches ends.

    `info` is the task; `type` is `StopIteration` when the task returned
    (then `value` is its return value) and also when it was terminated
    (then `value` is the value the task was last resumed with, as in
    pycos), otherwise the exception's type (then `value` is the formatted
    traceback).  A failed task's own value is its MonitorStatus.
    `terminated` is True for a task that was terminated (the one way to
    tell it from a task that returned).
    """

    __slots__ = ("info", "type", "value", "exception", "terminated")

    def __init__(self, info, type, value=None, exception=None, terminated=False):
        self.info = info
        self.type = type
        self.value = value
        #: the exception object itself (local failures only; not sent to peers)
        self.exception = exception
        #: True when the task was terminated (its type is then StopIteration)
        self.terminated = terminated

    def __reduce__(self):
        if self.terminated:
            return (MonitorStatus, (self.info, self.type, self.value, None, True))
        return (MonitorStatus, (self.info, self.type, self.value))

    def __repr__(self):
        t = getattr(self.type, "__name__", self.type)
        v = self.value
        if isinstance(v, str) and len(v) > 60:
            v = v[:57] + "..."
        return "MonitorStatus(%r, %s, %r)" % (self.info, t, v)


def _check_timeout(timeout, what):
    """`timeout` as the kernel takes it: None (no limit) or seconds >= 0.

    A negative timeout counts as 0, as in pycos: the call gives its alarm
    value (or False, None...) at once instead of waiting.  Raises
    `InvalidArgument` for anything but None or a number.
    """
    if timeout is None:
        return None
    if timeout.__class__ is not float and timeout.__class__ is not int:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise InvalidArgument("%s: timeout must be a number of seconds or None, got %r"
                                  % (what, timeout))
    if timeout < 0:
        return 0
    return timeout


class Task:
    """A task: created and scheduled at once, as in pycos.

    `Task(fn, *args, **kwargs)` calls `fn(*args, **kwargs)` (adding
    `task=<this task>` when `fn` has a `task=None` parameter) and schedules
    the resulting generator or coroutine on the caller's kernel.

    Raises `TaskError` (a `TypeError`) when `fn` is not a generator function
    or `async def` function.
    """

    __slots__ = (
        # identity and execution
        "_gen",      # generator/coroutine being run (top of the sub-call stack)
        "_kernel",   # the kernel that runs this task (one kernel per thread)
        "_state",    # DONE, READY, SUSPENDED, RECEIVING, WAITING or MESSAGE
        "_value",    # value the task is (last) resumed with: a terminated task's value
        "_exc",      # exception to throw into the task when it resumes
        # waiting
        "_timer",    # heap entry of the current timed wait, or None
        "_undo",     # while WAITING: object whose discard(task) undoes the wait
        # messaging
        "_mbox",     # deque of messages not yet received, or None
        # result
        "_result",   # return value once DONE (MonitorStatus after a failure)
        "_rare",     # _Rare record, or None
    )

    def __init__(self, *args, **kwargs):
        kernel = _kernel_of_thread(get_ident())
        # fast path: a plain generator/async function seen before
        try:
            target = args[0]
            wants = _code_kind[target.__code__]
        except (IndexError, AttributeError, KeyError):
            self._gen = make_generator(self, args, kwargs)
        else:
            if wants and kwargs.get("task") is None:
                kwargs["task"] = self
            self._gen = target(*args[1:], **kwargs)
        self._state = READY
        self._value = None
        self._exc = None
        self._timer = None
        self._undo = None
        self._mbox = None
        self._result = None
        self._rare = None
        if kernel is not None:
            self._kernel = kernel
            kernel._tasks.append(self)
            kernel._ready.append(self)
        else:
            kernel = self._kernel = context.kernel_for_caller()
            kernel._spawn(self)

    # -- identity -------------------------------------------------------

    @property
    def name(self) -> str:
        """The task's name: its function's name (as in pycos)."""
        rare = self._rare
        if rare is not None:
            if rare.name is not None:
                return rare.name
            if rare.callers:
                # in a sub-call: the task is still named after its own function
                return rare.callers[0].__name__
        return self._gen.__name__

    @property
    def location(self):
        """The `Location` of the kernel running this task (None when that
        kernel is not networked)."""
        return self._kernel.location

    def __repr__(self):
        # "name/id" as in pycos; references to tasks on other machines add
        # "@location" (see picoos.net)
        return "%s/%s" % (self.name, id(self))

    def __reduce__(self):
        return self._kernel._task_reference(self)

    def _rare_part(self) -> _Rare:
        rare = self._rare
        if rare is None:
            rare = self._rare = _Rare()
        return rare

    def _in_kernel_thread(self) -> bool:
        return self._kernel._tid == get_ident()

    def _from_thread(self, what, fn, *args) -> int:
        """Hand `fn(*args)` to the kernel thread.  A task that has ended
        stays ended, so another thread can report that at once (-1), as a
        call from the kernel thread does."""
        if self._state == DONE:
            logger.warning("%s: task %r has finished", what, self)
            return -1
        return self._kernel._threadsafe(fn, *args)

    # -- suspending and resuming ---------------------------------------

    def suspend(self, timeout=None, alarm_value=None):
        """Trap: suspend the current task until `resume` or `timeout` seconds.

        Use as `value = yield task.suspend(timeout)`.  The value is what
        `resume` passed, or `alarm_value` when the timeout expired (at
        once for a timeout <= 0).  Raises `InvalidArgument` for a
        non-numeric timeout.
        """
        if timeout is None and alarm_value is None:
            return _SUSPEND_FOREVER
        return _Suspend(_check_timeout(timeout, "suspend"), alarm_value)

    sleep = suspend

    def resume(self, update=None) -> int:
        """Wake this task if it is in `suspend`/`sleep`, giving it `update`.

        Returns 0; -1 if the task has finished.  A task that is not
        suspended ignores the resume (as in pycos), with a warning.
        """
        if self._kernel._tid != get_ident():
            return self._from_thread("resume", self.resume, update)
        state = self._state
        if state == SUSPENDED:
            self._kernel._wake(self, update)
            return 0
        if state == DONE:
            logger.warning("resume: task %r has finished", self)
            return -1
        logger.warning("resume: task %r is not suspended; resume ignored", self)
        return 0

    wakeup = resume

    # -- messages --------------------------------------------------------

    def send(self, message) -> int:
        """Send `message` to this task; never blocks (no `yield` needed).

        Wakes the task if it waits in `receive`, else queues the message.
        Returns 0, or -1 if the task has finished.  Safe from any thread.
        """
        kernel = self._kernel
        if kernel._tid != get_ident():
            return self._from_thread("send", self.send, message)
        state = self._state
        if state == RECEIVING:
            if self._timer is not None:
                kernel._cancel_timer(self)
            self._state = MESSAGE
            self._value = message
            kernel._ready.append(self)
        elif state == DONE:
            logger.warning("send: task %r has finished; message dropped", self)
            return -1
        else:
            mbox = self._mbox
            if mbox is None:
                self._mbox = deque((message,))
            else:
                mbox.append(message)
        return 0

    def deliver(self, message, timeout=None):
        """Trap: send `message` and report whether it was delivered.

        Use as `n = yield task.deliver(msg)`: 1 when delivered, 0 when it
        could not be delivered within `timeout`, < 0 when the task is not
        valid.  For a local task delivery is immediate.
        """
        _check_timeout(timeout, "deliver")
        return Value(1 if self.send(message) == 0 else -1)

    def receive(self, timeout=None, alarm_value=None):
        """Trap: take the oldest message, waiting up to `timeout` seconds.

        Use as `msg = yield task.receive()`; gives `alarm_value` when the
        timeout expires first.  `timeout=0` polls the mailbox.
        """
        if timeout is None and alarm_value is None:
            return _RECEIVE_FOREVER
        return _Receive(_check_timeout(timeout, "receive"), alarm_value)

    recv = receive

    # -- exceptions, termination ----------------------------------------

    def throw(self, *args) -> int:
        """Throw an exception into this task where it waits.

        Accepts an exception instance, a class, or pycos's `(type, value[,
        traceback])` form.  Returns 0, or -1 if the task has finished.
        """
        if not args:
            raise InvalidArgument("throw() needs an exception (instance or class)")
        if len(args) == 1 and isinstance(args[0], tuple):
            args = args[0]
        exc = args[0]
        if len(args) > 1 and args[1] is not None:
            exc = args[1]
            if not isinstance(exc, BaseException):
                exc = args[0](exc)
        if isinstance(exc, type) and issubclass(exc, BaseException):
            exc = exc()
        if not isinstance(exc, BaseException):
            raise InvalidArgument("throw() needs an exception, got %r" % (exc,))
        if self._kernel._tid != get_ident():
            return self._from_thread("throw", self._kernel._throw, self, exc)
        return self._kernel._throw(self, exc)

    def terminate(self) -> int:
        """Terminate this task: its generator is closed (GeneratorExit is
        raised where it waits, so `finally` blocks run).  As in pycos, its
        monitors get `MonitorStatus(task, StopIteration, v)` and its value
        (`finish`, `value`) is `v`, the value it was last resumed with; that
        status has `terminated` True.  Returns 0, or -1 if the task has
        already finished.  Safe from any thread.
        """
        kernel = self._kernel
        if kernel._tid != get_ident():
            return self._from_thread("terminate", kernel._terminate, self)
        return kernel._terminate(self)

    # -- results ----------------------------------------------------------

    def finish(self, timeout=None):
        """Trap: wait (from a task) for this task to end; gives its value.

        Use as `v = yield other.finish()` or `v = yield other()`.  Gives
        None when `timeout` expires first.
        """
        return _Finish(self, _check_timeout(timeout, "finish"))

    __call__ = finish

    def value(self, timeout=None):
        """Wait (from a thread, not a task) for this task to end; return its
        value, or None when `timeout` expires first.

        Raises `WrongContext` when called from inside the task's own kernel
        thread, where it would block the kernel forever: use `yield
        task.finish()` there.
        """
        _check_timeout(timeout, "value")
        kernel = self._kernel
        if self._state == DONE:
            return self._result
        if kernel._tid == get_ident():
            raise WrongContext("Task.value() blocks its thread; inside a task use "
                               "'yield task.finish()' instead")
        import threading
        event = threading.Event()
        kernel._threadsafe(kernel._add_done_event, self, event)
        if event.wait(timeout):
            return self._result
        return None

    def is_alive(self) -> bool:
        """True until the task has finished."""
        return self._state != DONE

    # -- monitoring ----------------------------------------------------

    def monitor(self, observe):
        """Trap: make this task a monitor of `observe` (`yield
        task.monitor(other)`).  When `observe` ends, this task receives a
        `MonitorStatus` message.  Gives 0, or -1 if `observe` is invalid.
        """
        if not isinstance(observe, Task):
            raise InvalidArgument("monitor() watches a Task, got %r" % (observe,))
        return observe._watch(self)

    def notify(self, monitor) -> int:
        """Make `monitor` a monitor of this task (the reverse of `monitor`)."""
        if not isinstance(monitor, Task):
            raise InvalidArgument("notify() needs a Task as monitor, got %r" % (monitor,))
        if self._kernel._tid != get_ident():
            return self._from_thread("notify", self._kernel._add_monitor, self, monitor)
        return self._kernel._add_monitor(self, monitor)

    def _watch(self, monitor):
        # overridden by the net layer's remote task references
        return Value(self.notify(monitor))

    # -- hot swap ------------------------------------------------------

    @context.kernel_side
    def hot_swappable(self, flag) -> int:
        """Allow (`True`) or refuse hot swapping of this task; call it from
        the task itself.  A swap requested while refused waits until this
        is called with True."""
        if self._kernel._current is not self:
            logger.warning("hot_swappable: must be called by task %r itself", self)
            return -1
        rare = self._rare_part()
        rare.hot_swappable = bool(flag)
        if flag and rare.swap is not None and at_swap_point(self):
            self._kernel._start_swap(self)
        return 0

    def hot_swap(self, target, *args, **kwargs) -> int:
        """Replace this task's generator with `target(*args, **kwargs)`.

        The task gets `HotSwapException(new_generator)` where it waits; if
        it lets it propagate, the new generator takes over with the same
        mailbox.  Returns 0 (the swap may be postponed until the task is
        hot-swappable and not in a sub-call of its own; waiting for a lock,
        a condition or a message category does not postpone it), -1 if the
        task has finished.
        """
        gen = make_generator(self, (target,) + args, kwargs)
        kernel = self._kernel
        if kernel._tid != get_ident():
            return self._from_thread("hot_swap", kernel._request_swap, self, gen)
        return kernel._request_swap(self, gen)

    # -- daemon, names ---------------------------------------------------

    def set_daemon(self, flag=True) -> int:
        """Mark this task a daemon (True): the kernel does not wait for it
        at exit (`Pycos.finish`, `picoos.run`)."""
        kernel = self._kernel
        if kernel._tid != get_ident():
            return kernel._threadsafe(kernel._set_daemon, self, bool(flag))
        return kernel._set_daemon(self, bool(flag))

    def register(self, name=None) -> int:
        """Register this task under `name` (default: its name) so that
        `Task.locate(name)` finds it, also from peers on a networked
        kernel.  Returns 0, or -1 when the name is taken or invalid."""
        return self._kernel._register_task(self, name if name is not None else self.name)

    def unregister(self, name=None) -> int:
        """Undo `register`."""
        return self._kernel._unregister_task(self, name if name is not None else self.name)

    @staticmethod
    def scheduler():
        """The kernel of the calling kernel thread, else the default kernel
        (None if none has been started)."""
        return context.current_kernel() or context.default

    @staticmethod
    def locate(name, location=None, timeout=None):
        """Trap: find a task registered under `name` (`yield
        Task.locate(name)`); gives the task or None."""
        timeout = _check_timeout(timeout, "locate")
        return context.kernel_for_caller()._locate_task(name, location, timeout)


class _Suspend(Trap):
    __slots__ = ("timeout", "alarm")

    def __init__(self, timeout, alarm):
        self.timeout = timeout
        self.alarm = alarm

    def _apply(self, kernel, task):
        timeout = self.timeout
        if timeout is None:
            task._state = SUSPENDED
        elif timeout > 0:
            task._state = SUSPENDED
            kernel._set_timer(task, timeout, self.alarm)
        else:
            kernel._ready_with(task, self.alarm)


class _Receive(Trap):
    __slots__ = ("timeout", "alarm")

    def __init__(self, timeout, alarm):
        self.timeout = timeout
        self.alarm = alarm

    def _apply(self, kernel, task):
        mbox = task._mbox
        if mbox:
            task._state = MESSAGE
            task._value = mbox.popleft()
            kernel._ready.append(task)
            return
        timeout = self.timeout
        if timeout is None:
            task._state = RECEIVING
        elif timeout > 0:
            task._state = RECEIVING
            kernel._set_timer(task, timeout, self.alarm)
        else:
            kernel._ready_with(task, self.alarm)


class _Finish(Trap):
    __slots__ = ("target", "timeout")

    def __init__(self, target, timeout):
        self.target = target
        self.timeout = timeout

    def _apply(self, kernel, task):
        target = self.target
        if target is task:
            kernel._ready_exc(task, WrongContext("task %r cannot wait for its own end" % task))
        elif target._state == DONE:
            kernel._ready_with(task, target._result)
        elif target._kernel is not kernel:
            kernel._ready_exc(task, WrongContext(
                "finish(): task %r runs on another kernel (thread); use value() there" % target))
        elif self.timeout == 0:
            kernel._ready_with(task, None)
        else:
            from .waitq import WaitQueue
            rare = target._rare_part()
            if rare.finish_waiters is None:
                rare.finish_waiters = WaitQueue()
            rare.finish_waiters.park(kernel, task, self.timeout, None)


_SUSPEND_FOREVER = _Suspend(None, None)
_RECEIVE_FOREVER = _Receive(None, None)
