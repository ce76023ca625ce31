"""Which kernel is "the" kernel for the code running now, and how a call made
in another thread reaches it.

picoos runs one kernel per thread.  A kernel thread (the default kernel's
background thread, or any thread inside `picoos.run`) finds its kernel in
`by_thread`; every other thread (typically the program's main thread) talks
to the default kernel, which is created on first use.

A thread that is not a kernel's may also run a task's own code for it (a
generator step run in a worker thread so that it may block, see `act_for`).
Such a thread *acts for* that task: `current_task()` there is the task, and
the calls that act for the calling task without a `yield` (`Lock.release`,
`Event.set`, closing an fd...) must still change the kernel's state in the
kernel's thread.  `kernel_side` is the one path for that: a method marked
with it runs at once in a kernel thread, and from a thread acting for a
task it is queued to the task's kernel (its thread-safe inbox) and runs
there as that task.

This tiny module exists so that tasks, locks and channels can find their
kernel without importing the scheduler (and so without import cycles).
"""
import threading
from functools import wraps
from threading import get_ident

#: thread ident -> the kernel running in that thread
by_thread = {}

#: ``_acting.task``: in a thread that runs a task's code for it outside its
#: kernel's thread, that task (see `act_for`)
_acting = threading.local()

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
    runs for it, see `act_for`), or None."""
    k = by_thread.get(get_ident())
    if k is not None:
        return k._current
    return getattr(_acting, "task", None)


def act_for(task):
    """Make the calling thread (not a kernel thread) act for `task` until
    `act_for(None)`: it runs the task's own code outside the kernel's thread.

    There `current_task()` (and so `Pycos.cur_task()`) is `task`, and every
    `kernel_side` call runs in the kernel's thread as `task` (see
    `call_in_kernel`).
    """
    _acting.task = task


def acting_task():
    """The task this thread acts for (see `act_for`), or None; always None
    in a kernel thread."""
    if get_ident() in by_thread:
        return None
    return getattr(_acting, "task", None)


def kernel_side(method):
    """Mark a method that changes kernel-owned state for the calling task
    without a `yield` (a lock's release, an event's set).

    In a kernel thread, or a thread that acts for no task, it runs at once.
    In a thread acting for a task (`act_for`), it runs in that task's
    kernel's thread as the task (`call_in_kernel`); the caller gets its
    result or exception, as if it had run there.
    """
    kernels = by_thread

    @wraps(method)
    def call(*args):
        if get_ident() in kernels:
            return method(*args)
        task = getattr(_acting, "task", None)
        if task is not None:
            return call_in_kernel(task._kernel, task, method, args)
        return method(*args)
    return call


def call_in_kernel(kernel, task, fn, args):
    """Run `fn(*args)` in `kernel`'s thread (with `task` as its current
    task, if not None) and wait for it; give its result or raise its
    exception.  For a thread that is not `kernel`'s: the kernel's state then
    changes in its own thread only, after what this thread asked for before.
    A kernel that has shut down has no thread: `fn` runs in the caller's."""
    done = threading.Event()
    outcome = []

    def run():
        saved, kernel._current = kernel._current, task
        try:
            outcome.append((True, fn(*args)))
        except BaseException as exc:
            outcome.append((False, exc))
        finally:
            kernel._current = saved
            done.set()
    if kernel._threadsafe(run) != 0:
        return fn(*args)
    while not done.wait(1.0):
        if kernel._closed:
            # shut down after taking the call but before running it
            if not done.is_set():
                return fn(*args)
    ok, value = outcome[0]
    if ok:
        return value
    raise value
