"""The states a task is in, and the part of its record few tasks use.

The kernel's modules (the scheduler, wait queues, fd waits, the thread pool)
read and set a task's state; they take these names from here rather than
from `task.py`, which holds the task's public methods.  A task record keeps
its common fields in slots; `_Rare` holds the rest and is allocated on first
use, and `at_swap_point` says when a hot swap may replace a task's generator.
"""
from .traps import is_wait_op

# task states
DONE = 0        # finished; `_result` holds its value
READY = 1       # in the ready queue, or running
SUSPENDED = 2   # in suspend/sleep: `resume` wakes it
RECEIVING = 3   # in receive: `send` wakes it
WAITING = 4     # parked on a trap (lock, I/O, finish...): `_undo` undoes it
MESSAGE = 5     # in the ready queue, resumed with a received message in `_value`

# Discussion: a task woken by a message is MESSAGE, not READY, until it runs,
# so that a throw, hot swap or termination that reaches it first puts the
# message back at the front of its mailbox instead of dropping it.  Other
# wake-ups carry nothing that can be lost (a resume value, a timeout's alarm)
# or hand over a resource inside a sub-call that passes it on when an
# exception arrives there (locks, see sync._wait_for).


class _Rare:
    """Parts of a task that few tasks use; allocated on first use."""

    __slots__ = (
        "name",            # name given by hot swap (else the generator's)
        "daemon",          # True: the kernel does not wait for this task
        "callers",         # generators suspended in `yield subgen` (stack)
        "monitors",        # tasks to receive a MonitorStatus at the end
        "finish_waiters",  # WaitQueue of tasks in `yield task.finish()`
        "done_events",     # threading.Events of threads in `task.value()`
        "hot_swappable",   # True while the task accepts a hot swap
        "swap",            # generator waiting to replace this one
        "names",           # names this task is registered under
    )

    def __init__(self):
        self.name = None
        self.daemon = False
        self.callers = []
        self.monitors = None
        self.finish_waiters = None
        self.done_events = None
        self.hot_swappable = False
        self.swap = None
        self.names = None


def at_swap_point(task) -> bool:
    """True when a hot swap may replace `task`'s generator now: the task is
    not inside a sub-call of its own (whose state a swap would throw away),
    though it may wait inside one of the kernel's wait operations (a lock,
    a condition...), which pass the HotSwapException on to the task's yield."""
    callers = task._rare.callers
    if not callers:
        return True
    for gen in callers[1:]:
        if not is_wait_op(gen):
            return False
    return is_wait_op(task._gen)
