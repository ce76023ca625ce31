"""The kernel: runs tasks, timers and file-descriptor waits in one thread.

`Kernel` is a scheduler bound to one thread: its ready queue, the inbox
through which other threads reach it, the scheduling loop, and shutdown
(atexit functions).  Its mixins hold the rest: `TaskOps` (what happens to a
task: throw, terminate, monitors, hot swap, its end), `FdWaits` (tasks
waiting on file descriptors) and `Timers` (timed waits).  The ways to start
a kernel, `run()` in the calling thread and the default kernel `Pycos` in a
background thread, are in `scheduler.py`.

Discussion: inside the kernel thread nothing is locked.  Another thread that
creates a task, sends a message or resumes a task appends a call to the
kernel's inbox (a deque: append is atomic) and, if the kernel is asleep in
the notifier, writes a byte to its wake-up pipe.  The kernel sets
`_sleeping` *before* it looks at the inbox a last time, and a caller looks at
`_sleeping` *after* appending, so a wake-up can be redundant but never lost.

The ready queue is FIFO and timers fire in deadline order (ties in the order
they were set), so a program's run order is deterministic.  Every yield is a
scheduling point; a sub-call (`yield generator`) is not: it runs at once.
"""
from collections import deque
from itertools import count
from threading import get_ident
from types import GeneratorType, CoroutineType
import logging
import os

from . import context
from .clock import SYSTEM_CLOCK
from .errors import KernelClosed, WrongContext
from .fdwaits import FdWaits
from .notifier import READ, choose as choose_notifier
from .task import Task, MonitorStatus, HotSwapException
from .taskops import TaskOps, _TERMINATE
from .taskstate import _Rare, DONE, READY
from .timers import Timers

__all__ = ["Kernel", "current_task_or_error"]

logger = logging.getLogger("picoos.kernel")

_SUBCALL_TYPES = (GeneratorType, CoroutineType)


def current_task_or_error(what):
    task = context.current_task()
    if task is None:
        raise WrongContext("%s must be called from a task (running in a picoos kernel)" % what)
    return task


class Kernel(TaskOps, FdWaits, Timers):
    """A task scheduler bound to one thread.

    `notifier` forces an I/O backend ("epoll", "kqueue", "poll", "select";
    default: $PICOOS_NOTIFIER, else the best available); `clock` replaces the
    system clock (see `picoos.testing.FakeClock`).
    """

    #: a plain kernel is not reachable from other machines
    location = None
    name = ""

    def __init__(self, notifier=None, clock=None):
        self.clock = clock if clock is not None else SYSTEM_CLOCK
        self._ready = deque()
        # every task not yet DONE, in creation order, plus finished ones not
        # yet dropped (`_ended` of them; dropped in batches by _drop_ended)
        self._tasks = []
        self._ended = 0
        self._daemons = 0
        self._current = None
        # timers: a heap of bucket deadlines, each bucket a list of
        # (task, alarm) entries in the order they were set
        self._timer_keys = []
        self._buckets = {}
        self._timer_entries = 0      # entries in buckets, cancelled ones included
        self._dead_timers = 0        # cancelled entries still in buckets
        res = getattr(self.clock, "timer_resolution", 0.001)
        self._timer_scale = 1.0 / res if res else 0.0
        self._seq = count()
        self._inbox = deque()        # calls from other threads
        self._sleeping = False
        self._tid = None
        self._quit = False
        self._closed = False
        self._fatal = None           # KeyboardInterrupt/SystemExit to re-raise from run()
        self._notifier = choose_notifier(notifier)
        self._readers = {}           # fd -> task waiting to read
        self._writers = {}           # fd -> task waiting to write
        self._fd_mask = {}           # fd -> mask registered with the notifier
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._notifier.register(self._wake_r, READ)
        self._idle_waiters = []      # tasks in testing.wait_all_tasks_blocked()
        self._join_events = []       # threading.Events set when no non-daemon task is left
        self._registry = {}          # name -> registered task
        self._channels = {}          # name -> channel
        self._atexit = []            # (priority, seq, fn, args, kwargs)
        self._pool = None            # thread pool for run_in_thread, made on first use

    # -- public API ------------------------------------------------------

    @property
    def locations(self) -> list:
        """Every `Location` this kernel is reachable at (empty when it is
        not networked)."""
        loc = self.location
        return [] if loc is None else [loc]

    @property
    def notifier_name(self) -> str:
        return self._notifier.name

    def run(self, fn, *args, **kwargs):
        """Run `fn(*args, **kwargs)` as a task in this thread until every
        non-daemon task has ended; return its value.

        If the task fails, its exception is raised here.  Daemon tasks still
        alive at the end are terminated.
        """
        tid = get_ident()
        if tid in context.by_thread:
            raise WrongContext("a picoos kernel already runs in this thread; "
                               "create tasks with Task() instead of calling run()")
        if self._closed:
            raise KernelClosed("this kernel has already run and been closed")
        self._tid = tid
        context.by_thread[tid] = self
        try:
            main = Task(fn, *args, **kwargs)
            self._loop(stop_when_idle=True)
        finally:
            try:
                self._shutdown()
            finally:
                del context.by_thread[tid]
        if self._fatal is not None:
            raise self._fatal
        result = main._result
        if isinstance(result, MonitorStatus) and result.exception is not None:
            raise result.exception
        return result

    def cur_task(self):
        return self._current

    def atexit(self, priority, func, *fargs, **fkwargs):
        """Call `func(*fargs, **fkwargs)` when the kernel shuts down;
        higher `priority` first."""
        self._atexit.append((priority, next(self._seq), func, fargs, fkwargs))

    def drop_atexit(self, priority, func):
        self._atexit = [a for a in self._atexit if not (a[0] == priority and a[2] == func)]

    def tasks(self):
        """The tasks that have not ended yet (a snapshot)."""
        return [t for t in self._tasks if t._state != DONE]

    # -- thread-safe entry ---------------------------------------------

    def _threadsafe(self, fn, *args):
        """Run `fn(*args)` in the kernel thread; return 0 (pycos status)."""
        if self._quit and self._closed:
            logger.warning("kernel has shut down; call %s dropped", getattr(fn, "__name__", fn))
            return -1
        self._inbox.append((fn, args))
        if self._sleeping:
            self._wake_up()
        return 0

    def _wake_up(self):
        try:
            os.write(self._wake_w, b"\0")
        except (BlockingIOError, OSError):
            pass

    def _drain_inbox(self):
        inbox = self._inbox
        while inbox:
            fn, args = inbox.popleft()
            try:
                fn(*args)
            except Exception:
                logger.exception("call %s from another thread failed", getattr(fn, "__name__", fn))

    # -- spawning and the ready queue ------------------------------------

    def _spawn(self, task):
        if self._tid == get_ident():
            self._tasks.append(task)
            self._ready.append(task)
        else:
            self._threadsafe(self._spawn_here, task)

    def _spawn_here(self, task):
        self._tasks.append(task)
        self._ready.append(task)

    def _ready_with(self, task, value):
        task._state = READY
        task._value = value
        self._ready.append(task)

    def _ready_exc(self, task, exc):
        task._state = READY
        task._exc = exc
        self._ready.append(task)

    def _wake(self, task, value):
        """Resume a parked task with `value`, undoing its timer."""
        if task._timer is not None:
            self._cancel_timer(task)
        task._undo = None
        task._state = READY
        task._value = value
        self._ready.append(task)

    def _unwait(self, task):
        """Undo whatever wait `task` is in (timer and parking)."""
        if task._timer is not None:
            self._cancel_timer(task)
        undo = task._undo
        if undo is not None:
            task._undo = None
            undo.discard(task)

    # -- the loop ----------------------------------------------------------

    def _loop(self, stop_when_idle):
        ready = self._ready
        inbox = self._inbox
        steps = 0
        while not self._quit:
            n = len(ready)
            if n:
                steps += self._run(n if n > 64 else 64)
                if self._fatal is not None:
                    return
                if inbox:
                    self._drain_inbox()
                if steps < 64 and ready:
                    continue
                # let I/O and timers in regularly even when tasks keep each other busy
                steps = 0
                if self._ended * 2 > len(self._tasks):
                    self._drop_ended()
                self._poll(0)
                if self._timer_keys:
                    self._fire_timers()
                continue
            steps = 0
            if inbox:
                self._drain_inbox()
                continue
            if self._timer_keys:
                self._fire_timers()
                if ready:
                    continue
            if self._idle_waiters:
                if self._poll(0) or ready or inbox:
                    continue
                waiters, self._idle_waiters = self._idle_waiters, []
                for task in waiters:
                    self._wake(task, True)
                continue
            if self._ended * 2 > len(self._tasks):
                self._drop_ended()
            if stop_when_idle and len(self._tasks) - self._ended == self._daemons:
                return
            deadline = self._timer_keys[0] if self._timer_keys else None
            timeout = self.clock.timeout_for(deadline)
            self._sleeping = True
            if inbox:
                timeout = 0
            got = self._poll(timeout)
            self._sleeping = False
            if not got and not ready and not inbox and deadline is not None:
                self.clock.idle(deadline)

    def _run(self, limit):
        """Run up to `limit` steps from the ready queue (fewer when it runs
        dry); return how many ran.  Tasks readied meanwhile run in the same
        call, which saves a trip through the loop per step when only one or
        two tasks are busy (a message ping-pong)."""
        ready = self._ready
        popleft = ready.popleft
        done = 0
        while ready and done < limit:
            done += 1
            task = popleft()
            self._current = task
            gen = task._gen
            exc = task._exc
            if exc is None:
                # _value stays: a terminated task's value is the one it was
                # last resumed with (pycos semantics)
                value = task._value
            else:
                task._exc = None
                value = None
                if exc is _TERMINATE:
                    self._close_task(task)
                    continue
            while True:
                try:
                    if exc is None:
                        r = gen.send(value)
                    else:
                        r = gen.throw(exc)
                except StopIteration as e:
                    rare = task._rare
                    if rare is None:
                        # the common end: inline of _task_returned
                        task._state = DONE
                        task._result = e.value
                        task._value = task._mbox = None
                        self._ended += 1
                        if self._join_events and len(self._tasks) - self._ended == self._daemons:
                            self._set_join_events()
                        break
                    if not rare.callers:
                        self._task_returned(task, e.value)
                        break
                    gen = task._gen = rare.callers.pop()
                    value = task._value = e.value
                    exc = None
                    if rare.swap is not None and rare.hot_swappable and not rare.callers:
                        exc = HotSwapException(rare.swap)
                        rare.swap = None
                    continue
                except BaseException as e:
                    rare = task._rare
                    if rare is None or not rare.callers:
                        self._task_raised(task, e)
                        break
                    gen = task._gen = rare.callers.pop()
                    exc = e
                    continue
                try:
                    apply = r._apply
                except AttributeError:
                    if r.__class__ in _SUBCALL_TYPES:
                        sub = r
                    else:
                        # a plain value is given back at the next turn
                        task._state = READY
                        task._value = r
                        ready.append(task)
                        break
                else:
                    try:
                        sub = apply(self, task)
                    except Exception as e:
                        exc = e
                        continue
                    if sub is None:
                        if task._exc is not None and task._state != READY:
                            # terminate/throw/hot swap aimed at the task while it ran
                            self._interrupt(task)
                        break
                rare = task._rare
                if rare is None:
                    rare = task._rare = _Rare()
                rare.callers.append(gen)
                gen = task._gen = sub
                value = task._value = None
                exc = None
        self._current = None
        return done

    # -- join / shutdown -------------------------------------------------

    def _drop_ended(self):
        # Discussion: finished tasks leave the task table in batches, not
        # one by one: appending to a list and counting ends is cheaper than
        # a set or dict insert and delete per task, and the list keeps
        # creation order (in which shutdown closes what is left).  A batch
        # is dropped once finished tasks are half the table, so the rebuild
        # costs O(1) per task and at most as many finished tasks as live
        # ones are kept (with their results) a while longer.
        self._tasks = [t for t in self._tasks if t._state != DONE]
        self._ended = 0

    def _when_idle(self, event):
        if len(self._tasks) - self._ended == self._daemons:
            event.set()
        else:
            self._join_events.append(event)

    def _set_join_events(self):
        events, self._join_events = self._join_events, []
        for ev in events:
            ev.set()

    def _shutdown(self):
        """Terminate what is left, run atexit functions, release resources."""
        if self._closed:
            return
        self._quit = True
        # in creation order, so what their finally blocks do is deterministic
        for task in list(self._tasks):
            if task._state == DONE:
                continue
            self._unwait(task)
            self._current = task
            try:
                self._close_task(task)
            finally:
                self._current = None
        self._tasks = []
        self._ended = 0
        self._ready.clear()
        self._timer_keys = []
        self._buckets = {}
        for ev in self._join_events:
            ev.set()
        self._join_events = []
        self._run_atexit()
        self._drain_inbox()
        if self._pool is not None:
            self._pool.terminate(wait=False)
        self._closed = True
        self._notifier.close()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _run_atexit(self):
        handlers = sorted(self._atexit, key=lambda a: (-a[0], a[1]))
        self._atexit = []
        for _prio, _seq, fn, args, kwargs in handlers:
            try:
                fn(*args, **kwargs)
            except Exception:
                logger.exception("atexit function %r failed", fn)

