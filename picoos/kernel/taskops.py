"""What the kernel does behind the Task methods, and at the end of a task.

A mixin of `Kernel` (kept apart from the scheduling loop so each module reads
as one concept): throwing into, terminating, monitoring and hot-swapping
tasks, their names, and what happens when a task returns, fails or is
terminated (monitors told, waiters woken, names released).  Everything here
runs in the kernel thread; `Task` routes calls from other threads through the
kernel's inbox first.
"""
import logging
import os
from types import GeneratorType, CoroutineType

from collections import deque

from .task import MonitorStatus, HotSwapException
from .taskstate import DONE, READY, MESSAGE, WAITING, at_swap_point
from .waitq import WaitQueue
from .traps import Value

logger = logging.getLogger("picoos.kernel")

_SUBCALL_TYPES = (GeneratorType, CoroutineType)


class _Terminate:
    """Marker in `task._exc`: close the task instead of resuming it."""

    __slots__ = ()

    def __repr__(self):
        return "<terminate>"


_TERMINATE = _Terminate()


_KERNEL_FRAME = os.path.join("kernel", "loop.py")


def format_failure(exc):
    """The traceback string a monitor gets for a task's uncaught exception:
    the frames of the task's own code (its generator and sub-calls), without
    the kernel frames that resumed each generator."""
    import traceback
    root = te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    seen = set()
    while te is not None and id(te) not in seen:
        seen.add(id(te))
        te.stack[:] = [f for f in te.stack
                       if not (f.name == "_run" and f.filename.endswith(_KERNEL_FRAME))]
        te = te.__cause__ or te.__context__
    return "".join(root.format())


class TaskOps:
    """Task life-cycle operations of the kernel (mixin of `Kernel`)."""

    # -- the end of a task -------------------------------------------------

    def _task_returned(self, task, value):
        task._state = DONE
        task._result = value
        task._value = task._mbox = None
        self._ended += 1
        rare = task._rare
        if rare is not None:
            self._finalize(task, rare, StopIteration, value)
        if self._join_events and len(self._tasks) - self._ended == self._daemons:
            self._set_join_events()

    def _task_raised(self, task, exc):
        rare = task._rare
        if isinstance(exc, HotSwapException) and rare is not None and rare.hot_swappable \
                and exc.args and exc.args[0].__class__ in _SUBCALL_TYPES:
            self._swap(task, exc.args[0])
            return
        if isinstance(exc, GeneratorExit):
            self._task_terminated(task)
            return
        trace = format_failure(exc)
        logger.warning("task %r ended with an uncaught exception:\n%s", task, trace)
        status = MonitorStatus(task, type(exc), trace, exc)
        task._state = DONE
        task._result = status
        task._value = task._mbox = None
        self._ended += 1
        if rare is not None:
            self._finalize(task, rare, type(exc), trace)
        if self._join_events and len(self._tasks) - self._ended == self._daemons:
            self._set_join_events()
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) and self._reraise_fatal():
            self._fatal = exc

    def _reraise_fatal(self):
        return True

    def _task_terminated(self, task):
        # Discussion: as in pycos, a terminated task ends like one that
        # returned the value it was last resumed with; its MonitorStatus says
        # `terminated` so that code which must tell the two apart can
        task._state = DONE
        task._result = value = task._value
        task._value = None
        task._mbox = None
        self._ended += 1
        rare = task._rare
        if rare is not None:
            self._finalize(task, rare, StopIteration, value, True)
        if self._join_events and len(self._tasks) - self._ended == self._daemons:
            self._set_join_events()

    def _finalize(self, task, rare, kind, value, terminated=False):
        if rare.daemon:
            rare.daemon = False
            self._daemons -= 1
        rare.callers.clear()
        rare.swap = None
        if rare.names:
            for name in rare.names:
                if self._registry.get(name) is task:
                    del self._registry[name]
            rare.names = None
        monitors = rare.monitors
        if monitors:
            rare.monitors = None
            for m in monitors:
                if m.send(MonitorStatus(task, kind, value, None, terminated)) != 0:
                    logger.warning("monitor %r of %r is not valid", m, task)
        waiters = rare.finish_waiters
        if waiters:
            waiters.wake_all(task._result)
        events = rare.done_events
        if events:
            rare.done_events = None
            for ev in events:
                ev.set()

    def _close_task(self, task):
        """Terminate `task` (it is not running): close its generators."""
        rare = task._rare
        gens = [task._gen]
        if rare is not None and rare.callers:
            gens.extend(reversed(rare.callers))
            rare.callers.clear()
        for gen in gens:
            try:
                gen.close()
            except BaseException as e:  # a finally block failed or yielded
                logger.warning("closing %r of terminated task %r raised %r", gen, task, e)
        self._task_terminated(task)

    # -- operations behind Task methods ---------------------------------

    def _interrupt(self, task):
        """Make `task` (not running) run at once to get the exception now in
        `task._exc`: whatever it waits for is undone (timer, wait queue), a
        message it was woken with goes back to the front of its mailbox."""
        state = task._state
        if state == READY:
            return
        if state == MESSAGE:
            # already in the ready queue
            if task._exc is _TERMINATE:
                # its mailbox goes with it; the message stays its last value
                task._state = READY
                return
            mbox = task._mbox
            if mbox is None:
                task._mbox = deque((task._value,))
            else:
                mbox.appendleft(task._value)
            task._value = None
            task._state = READY
            return
        self._unwait(task)
        task._state = READY
        self._ready.append(task)

    def _throw(self, task, exc):
        if task._state == DONE or task._exc is _TERMINATE:
            logger.warning("throw: task %r has finished", task)
            return -1
        task._exc = exc
        if task is not self._current:
            self._interrupt(task)
        return 0

    def _terminate(self, task):
        if task._state == DONE:
            return -1
        task._exc = _TERMINATE
        if task is not self._current:
            self._interrupt(task)
        return 0

    def _add_monitor(self, task, monitor):
        if task._state == DONE:
            logger.warning("monitor: task %r has already finished", task)
            return -1
        rare = task._rare_part()
        if rare.monitors is None:
            rare.monitors = []
        if monitor not in rare.monitors:
            rare.monitors.append(monitor)
        return 0

    def _add_done_event(self, task, event):
        if task._state == DONE:
            event.set()
            return
        rare = task._rare_part()
        if rare.done_events is None:
            rare.done_events = []
        rare.done_events.append(event)

    def _set_daemon(self, task, flag):
        if task._state == DONE:
            return -1
        rare = task._rare_part()
        if rare.daemon != flag:
            rare.daemon = flag
            self._daemons += 1 if flag else -1
            if self._join_events and len(self._tasks) - self._ended == self._daemons:
                self._set_join_events()
        return 0

    def _request_swap(self, task, gen):
        if task._state == DONE:
            logger.warning("hot_swap: task %r has finished", task)
            gen.close()
            return -1
        rare = task._rare_part()
        if rare.swap is not None:
            rare.swap.close()
        rare.swap = gen
        if rare.hot_swappable and at_swap_point(task):
            self._start_swap(task)
        return 0

    def _start_swap(self, task):
        rare = task._rare
        gen, rare.swap = rare.swap, None
        if task._exc is _TERMINATE:
            gen.close()
            return
        task._exc = HotSwapException(gen)
        # Discussion: a task waiting in suspend, receive or a wait queue (a
        # lock, an event, another task's end) is swapped at once; one with an
        # asynchronous operation under way (a thread-pool call, an fd wait)
        # gets the swap when that operation completes, as pycos documents
        if task is not self._current and (task._state != WAITING
                                          or task._undo.__class__ is WaitQueue):
            self._interrupt(task)

    def _swap(self, task, gen):
        old = task._gen
        try:
            old.close()
        except BaseException as e:
            logger.warning("closing %r for hot swap of %r raised %r", old, task, e)
        task._gen = gen
        task._rare.name = gen.__name__
        task._state = READY
        task._value = None
        self._ready.append(task)

    # -- names -------------------------------------------------------------

    def _register_task(self, task, name):
        if not isinstance(name, str) or not name or name[0] == "^":
            logger.warning("register: invalid name %r (a non-empty string not starting "
                           "with '^' expected)", name)
            return -1
        if task._state == DONE:
            return -1
        holder = self._registry.get(name)
        if holder is not None and holder is not task:
            logger.warning("register: name %r is already taken by %r", name, holder)
            return -1
        self._registry[name] = task
        rare = task._rare_part()
        if rare.names is None:
            rare.names = []
        if name not in rare.names:
            rare.names.append(name)
        return 0

    def _unregister_task(self, task, name):
        if self._registry.get(name) is not task:
            return -1
        del self._registry[name]
        if task._rare is not None and task._rare.names and name in task._rare.names:
            task._rare.names.remove(name)
        return 0

    def _locate_task(self, name, location, timeout):
        # a networked kernel overrides this to ask its peers
        if location is not None and location != self.location:
            return Value(None)
        return Value(self._registry.get(name))

    def _locate_channel(self, name, location, timeout):
        if location is not None and location != self.location:
            return Value(None)
        return Value(self._channels.get(name))

    def _channel_reference(self, channel):
        raise TypeError("channel %r cannot be serialized: only a networked kernel "
                        "(picoos.net.Pycos) sends channels to other machines" % channel)

    def _task_reference(self, task):
        raise TypeError("task %r cannot be serialized: only a networked kernel "
                        "(picoos.net.Pycos) sends tasks to other machines" % task)
