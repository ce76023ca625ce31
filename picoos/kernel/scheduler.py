"""Starting a kernel: `run()` in the calling thread, or the default kernel.

`picoos.run(fn)` makes a `Kernel` in the calling thread and returns when
every non-daemon task has ended.  `Pycos` is the pycos-compatible default
kernel: a singleton that runs in a background daemon thread, so the main
thread may block (`input()`, a blocking socket) while tasks go on, and the
interpreter waits for non-daemon tasks at exit.  Creating a `Task` outside
any kernel thread starts it (`context.make_default`).

`Kernel` itself (the scheduling loop) is in `loop.py`; it is importable from
here too, where programs and the layers above have always found it.
"""
from threading import get_ident
import logging

from . import context
from .errors import WrongContext
from .loop import Kernel, current_task_or_error

__all__ = ["Kernel", "Pycos", "run", "current_task_or_error"]

logger = logging.getLogger("picoos.kernel")


def run(fn, *args, **kwargs):
    """Run `fn(*args, **kwargs)` as a task on a new kernel in the calling
    thread; return its value when every non-daemon task has ended.

    The task's exception, if it fails, is raised here.  No thread is
    started.  Use `Kernel(notifier=..., clock=...).run(fn)` to choose the
    notifier or the clock.
    """
    return Kernel().run(fn, *args, **kwargs)


class Pycos(Kernel):
    """The pycos-compatible default kernel, running in a background thread.

    `Pycos()` and `Pycos.instance()` return the one default kernel, creating
    and starting it on first use (creating a `Task` does that too).  The
    interpreter waits for its non-daemon tasks at exit.
    """

    _lock = None

    def __new__(cls, *args, **kwargs):
        inst = context.default
        if inst is not None and not inst._quit:
            if not isinstance(inst, cls):
                raise WrongContext("the default kernel (%s) already runs; create %s before "
                                   "any task" % (type(inst).__name__, cls.__name__))
            return inst
        if Pycos._lock is None:
            import threading
            Pycos._lock = threading.Lock()
        with Pycos._lock:
            inst = context.default
            if inst is None or inst._quit:
                inst = object.__new__(cls)
                inst._started = False
                context.default = inst
        return inst

    def __init__(self, *args, **kwargs):
        if getattr(self, "_started", True):
            return
        Kernel.__init__(self, notifier=kwargs.pop("notifier", None), clock=kwargs.pop("clock", None))
        self._start_thread()

    def _start_thread(self):
        import threading
        import atexit
        self._started = True
        self._stopped = threading.Event()
        ready = threading.Event()

        def main():
            self._tid = get_ident()
            context.by_thread[self._tid] = self
            ready.set()
            try:
                self._loop(stop_when_idle=False)
            except BaseException:
                logger.exception("picoos kernel thread failed")
            finally:
                try:
                    self._shutdown()
                finally:
                    context.by_thread.pop(self._tid, None)
                    self._stopped.set()

        self._thread = threading.Thread(target=main, name="picoos-kernel", daemon=True)
        self._thread.start()
        ready.wait()
        atexit.register(self._interpreter_exit)

    def _reraise_fatal(self):
        return False

    @classmethod
    def instance(cls, *args, **kwargs):
        """The kernel of the calling kernel thread, else the default kernel."""
        k = context.by_thread.get(get_ident())
        if k is not None:
            return k
        return cls(*args, **kwargs)

    @staticmethod
    def scheduler():
        """The kernel running in the calling thread, or None."""
        return context.by_thread.get(get_ident())

    @staticmethod
    def cur_task(scheduler=None):
        """The task running now (call it from a task), or None."""
        if scheduler is not None:
            return scheduler._current
        return context.current_task()

    def join(self, show_running=False, timeout=None) -> bool:
        """Wait (from a thread) until no non-daemon task is left; True if
        so, False when `timeout` expired first.  The kernel keeps running."""
        if self._tid == get_ident():
            raise WrongContext("join() blocks its thread; it cannot be called from a task")
        if show_running:
            for t in self.tasks():
                logger.info("waiting for %r", t)
        if self._stopped.is_set():
            # a kernel that has shut down has no task left (and would
            # drop the request below, leaving join() waiting for ever)
            return True
        import threading
        ev = threading.Event()
        self._threadsafe(self._when_idle, ev)
        return ev.wait(timeout)

    def finish(self):
        """Wait until every non-daemon task has ended, then shut down:
        daemon tasks are terminated and atexit functions run."""
        self._exit(wait=True)

    def terminate(self):
        """Shut down now: terminate every task, run atexit functions."""
        self._exit(wait=False)

    def is_alive(self) -> bool:
        return self._started and not self._stopped.is_set()

    def _exit(self, wait):
        if self._tid == get_ident():
            raise WrongContext("finish()/terminate() cannot be called from a task; "
                               "they wait for the kernel thread")
        if not self._started or self._stopped.is_set():
            return
        if wait:
            self.join()
        self._threadsafe(self._stop)
        self._stopped.wait()
        if context.default is self:
            context.default = None

    def _stop(self):
        self._quit = True

    def _interpreter_exit(self):
        if self._started and not self._stopped.is_set():
            self.finish()


def _make_default():
    return Pycos()


context.make_default = _make_default
