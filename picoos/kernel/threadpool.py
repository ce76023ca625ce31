"""Running blocking calls in threads, for work with no pollable fd.

`AsyncThreadPool(n).async_task(fn, ...)` is pycos's API; `run_in_thread`
uses a pool shared by the kernel (made on first use) and is what drivers use
for regular files, which epoll cannot wait on.  A worker thread hands the
result back through the kernel's thread-safe inbox; the waiting task gets
the value, or the exception `fn` raised.
"""
import logging
import os
import threading
from collections import deque

from .errors import KernelClosed
from .task import WAITING
from .traps import Trap

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
                kernel._ready_exc(task, KernelClosed("thread pool has been terminated; "
                                                      "make a new AsyncThreadPool"))
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
    if call.cancelled or task._undo is not call:
        return
    task._undo = None
    if ok:
        kernel._ready_with(task, value)
    else:
        kernel._ready_exc(task, value)


def run_in_thread(fn, *args, **kwargs):
    """Trap: run `fn(*args, **kwargs)` in the kernel's shared thread pool."""
    return _ThreadCall(None, fn, args, kwargs)


class AsyncDBCursor:
    """Run a DB-API cursor's blocking calls in a thread pool (pycos API):
    `yield cursor.execute(query, args)`."""

    def __init__(self, thread_pool, cursor):
        self._pool = thread_pool
        self._cursor = cursor

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def execute(self, query, args=None):
        if args is None:
            # DB-API drivers such as sqlite3 refuse an explicit None
            return self._pool.async_task(self._cursor.execute, query)
        return self._pool.async_task(self._cursor.execute, query, args)

    def executemany(self, query, args):
        return self._pool.async_task(self._cursor.executemany, query, args)

    def callproc(self, proc, args=()):
        return self._pool.async_task(self._cursor.callproc, proc, args)
