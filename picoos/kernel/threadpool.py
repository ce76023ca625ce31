"""Running blocking calls in threads, for work with no pollable fd.

`AsyncThreadPool(n).async_task(fn, ...)` is pycos's API; `run_in_thread`
uses a pool shared by the kernel (made on first use) and is what drivers use
for regular files, which epoll cannot wait on.  A worker thread hands the
result back through the kernel's thread-safe inbox; the waiting task gets
the value, or the exception `fn` raised.  `AsyncDBCursor` runs the calls
made on one DB-API cursor one at a time, in call order.
"""
import logging
import os
import threading
from collections import deque

from .errors import KernelClosed
from .taskstate import WAITING
from .traps import Trap, coro

__all__ = ["AsyncThreadPool", "AsyncDBCursor", "run_in_thread"]

logger = logging.getLogger("picoos.kernel")


class _ThreadCall(Trap):
    __slots__ = ("pool", "fn", "args", "kwargs", "cancelled")

    def __init__(self, pool, fn, args, kwargs):
        self.pool = pool
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.cancelled = False

    def _apply(self, kernel, task):
        pool = self.pool
        if pool is None:
            pool = kernel._pool
            if pool is None:
                pool = kernel._pool = AsyncThreadPool(min(8, (os.cpu_count() or 1) + 2))
        task._undo = self
        task._state = WAITING
        pool._submit(kernel, task, self)

    def discard(self, task):
        # the task stopped waiting (terminated): drop the result when it comes
        self.cancelled = True

    def _finished(self):
        """Called in the kernel thread once the call is over (after its
        result went to the task, or was dropped)."""


class AsyncThreadPool:
    """A pool of `num_threads` threads for blocking calls (pycos API).

    Threads start when the first call is submitted.
    """

    def __init__(self, num_threads=4):
        if not isinstance(num_threads, int) or num_threads < 1:
            from .errors import InvalidArgument
            raise InvalidArgument("num_threads must be an int >= 1, got %r" % (num_threads,))
        self._num_threads = num_threads
        self._threads = []
        self._jobs = deque()
        self._cond = threading.Condition()
        self._pending = 0
        self._stopping = False

    def async_task(self, target, *args, **kwargs):
        """Trap: run `target(*args, **kwargs)` in a pool thread; use as
        `value = yield pool.async_task(fn, ...)`.  The exception `target`
        raises is raised in the task."""
        if not args and "args" in kwargs:
            args = tuple(kwargs.pop("args"))
            kwargs = dict(kwargs.pop("kwargs", {}))
        return _ThreadCall(self, target, args, kwargs)

    def _submit(self, kernel, task, call):
        with self._cond:
            if self._stopping:
                _deliver(kernel, task, call, False,
                         KernelClosed("thread pool has been terminated; make a new AsyncThreadPool"))
                return
            self._jobs.append((kernel, task, call))
            self._pending += 1
            if len(self._threads) < self._num_threads and self._pending > self._idle():
                t = threading.Thread(target=self._worker, name="picoos-pool", daemon=True)
                t._picoos_idle = False
                self._threads.append(t)
                t.start()
            self._cond.notify()

    def _idle(self):
        return sum(1 for t in self._threads if getattr(t, "_picoos_idle", False))

    def _worker(self):
        me = threading.current_thread()
        while True:
            with self._cond:
                while not self._jobs and not self._stopping:
                    me._picoos_idle = True
                    self._cond.wait()
                me._picoos_idle = False
                if not self._jobs:
                    return
                kernel, task, call = self._jobs.popleft()
            try:
                value = call.fn(*call.args, **call.kwargs)
                ok = True
            except BaseException as e:  # handed to the task, not lost
                value = e
                ok = False
            kernel._threadsafe(_deliver, kernel, task, call, ok, value)
            with self._cond:
                self._pending -= 1
                self._cond.notify_all()

    def join(self):
        """Wait (from a thread) until every submitted call has finished."""
        with self._cond:
            while self._pending:
                self._cond.wait()

    def terminate(self, wait=True):
        """Stop the threads once the submitted calls are done."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if wait:
            for t in self._threads:
                if t is not threading.current_thread():
                    t.join()


def _deliver(kernel, task, call, ok, value):
    if not call.cancelled and task._undo is call:
        task._undo = None
        if ok:
            kernel._ready_with(task, value)
        else:
            kernel._ready_exc(task, value)
    call._finished()


def run_in_thread(fn, *args, **kwargs):
    """Trap: run `fn(*args, **kwargs)` in the kernel's shared thread pool."""
    return _ThreadCall(None, fn, args, kwargs)



class _CursorCall(_ThreadCall):
    """A call on an AsyncDBCursor: when it is over, the cursor goes to the
    next task waiting for it."""
    __slots__ = ("cursor",)

    def __init__(self, cursor, fn, args):
        _ThreadCall.__init__(self, cursor._pool, cursor._run_locked, (fn, args), {})
        self.cursor = cursor

    def _finished(self):
        self.cursor._next()


class _Turn(Trap):
    """Wait until the cursor is free; then the task may start its call."""
    __slots__ = ("cursor", "kernel", "task", "granted")

    def __init__(self, cursor):
        self.cursor = cursor
        self.kernel = None
        self.task = None
        self.granted = False

    def _apply(self, kernel, task):
        cursor = self.cursor
        with cursor._lock:
            if cursor._busy:
                self.kernel = kernel
                self.task = task
                task._undo = self
                task._state = WAITING
                cursor._waiting.append(self)
                return
            cursor._busy = True
            self.granted = True
        kernel._ready_with(task, None)

    def discard(self, task):
        with self.cursor._lock:
            try:
                self.cursor._waiting.remove(self)
            except ValueError:
                pass


class AsyncDBCursor:
    """Run a DB-API cursor's blocking calls in a thread pool (pycos API):
    `yield cursor.execute(query, args)`.

    A DB-API cursor is not thread-safe, so the calls made on one
    AsyncDBCursor run one at a time, in the order they were made; the other
    tasks wait without holding a thread.  A task resumed from its call runs
    before the next call starts, so it can read the results (`fetchone()`
    and the other attributes are passed through to the cursor) in that step.
    """

    def __init__(self, thread_pool, cursor):
        self._pool = thread_pool
        self._cursor = cursor
        self._lock = threading.Lock()    # guards _busy and _waiting
        self._busy = False               # a call runs, or a task was given the cursor
        self._waiting = deque()          # _Turn of each task waiting, in call order
        self._mutex = threading.Lock()   # held while any thread uses the cursor

    def __getattr__(self, name):
        attr = getattr(self._cursor, name)
        if getattr(attr, "__self__", None) is not self._cursor:
            return attr         # not a method of the cursor (a value, row_factory...)

        def locked(*args, **kwargs):
            # a direct call (fetchone...) never overlaps a call in a pool thread
            with self._mutex:
                return attr(*args, **kwargs)
        return locked

    def _run_locked(self, fn, args):
        with self._mutex:
            return fn(*args)

    def _next(self):
        """The cursor is free: give it to the first waiting task."""
        with self._lock:
            if not self._waiting:
                self._busy = False
                return
            turn = self._waiting.popleft()
            turn.granted = True
        kernel = turn.kernel
        if kernel._tid == threading.get_ident():
            kernel._wake(turn.task, None)
        else:
            kernel._threadsafe(_grant, turn)

    @coro
    def _call(self, fn, args):
        # wait for the cursor, then run `fn(*args)` in the pool (works with
        # `yield` and `await`)
        turn = None
        with self._lock:
            if self._busy:
                turn = _Turn(self)
            else:
                self._busy = True
        if turn is not None:
            try:
                yield turn
            except BaseException:
                # thrown into or terminated before the call started
                if turn.granted:
                    self._next()
                raise
        return (yield _CursorCall(self, fn, args))

    def execute(self, query, args=None):
        if args is None:
            # DB-API drivers such as sqlite3 refuse an explicit None
            return self._call(self._cursor.execute, (query,))
        return self._call(self._cursor.execute, (query, args))

    def executemany(self, query, args):
        return self._call(self._cursor.executemany, (query, args))

    def callproc(self, proc, args=()):
        return self._call(self._cursor.callproc, (proc, args))


def _grant(turn):
    # in the waiting task's kernel thread
    if turn.task._undo is turn:
        turn.kernel._wake(turn.task, None)
