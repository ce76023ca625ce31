"""Which kernel is "the" kernel for the code running now.

picoos runs one kernel per thread.  A kernel thread (the default kernel's
background thread, or any thread inside `picoos.run`) finds its kernel in
`by_thread`; every other thread (typically the program's main thread) talks
to the default kernel, which is created on first use.

This tiny module exists so that tasks, locks and channels can find their
kernel without importing the scheduler (and so without import cycles).
"""
from threading import get_ident

#: thread ident -> the kernel running in that thread
by_thread = {}

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
    """The task running in this thread's kernel, or None."""
    k = by_thread.get(get_ident())
    return k._current if k is not None else None
