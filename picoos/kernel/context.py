"""Which kernel is "the" kernel for the code running now.

picoos runs one kernel per thread.  A kernel thread (the default kernel's
background thread, or any thread inside `picoos.run`) finds its kernel in
`by_thread`; every other thread (typically the program's main thread) talks
to the default kernel, which is created on first use.

This tiny module exists so that tasks, locks and channels can find their
kernel without importing the scheduler (and so without import cycles).
"""
import threading
from threading import get_ident

#: thread ident -> the kernel running in that thread
by_thread = {}

#: ``driven.task``: in a thread that runs a task's code for it outside its
#: kernel's thread (picoos.dist.jobthread), that task
driven = threading.local()

#: the default kernel (a `Pycos` running in a background thread), or None
default = None

#: set by the scheduler module: creates and starts the default kernel
make_default = None


def kernel_for_caller():
    """The kernel a new task, lock or channel made by the caller belongs to."""
    k = by_thread.get(get_ident())
    if k is not None:
        return k
    k = default
    if k is None or k._quit:
        if make_default is None:
            from . import scheduler  # noqa: F401  (installs make_default)
        k = make_default()
    return k


def current_kernel():
    """The kernel running in this thread, or None."""
    return by_thread.get(get_ident())


def current_task():
    """The task running in this thread's kernel (or whose code this thread
    runs for it), or None."""
    k = by_thread.get(get_ident())
    if k is not None:
        return k._current
    return getattr(driven, "task", None)


def elsewhere(task, fn, *args):
    """Called in a thread that runs `task`'s code outside its kernel's thread:
    queue `fn(*args)` to run in that thread as `task` (after what the task
    did before, before what it yields next) and return True.  False in the
    kernel's own thread: the caller goes on itself."""
    kernel = task._kernel
    if kernel._tid == get_ident():
        return False
    kernel._threadsafe(_run_as, kernel, task, fn, args)
    return True


def _run_as(kernel, task, fn, args):
    saved, kernel._current = kernel._current, task
    try:
        fn(*args)
    except Exception:  # nobody to hand it to: the caller's thread has moved on
        import logging
        logging.getLogger("picoos.kernel").exception(
            "%s for task %r failed", getattr(fn, "__qualname__", fn), task)
    finally:
        kernel._current = saved
