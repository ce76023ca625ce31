"""Sorting a task's messages into categories (pycos's CategorizeMessages).

A task that gets several kinds of messages can receive one kind first:
categorizing functions map each message to a category, messages of other
categories are kept aside until asked for.
"""
import logging
from collections import deque

from .errors import InvalidArgument
from .task import _check_timeout
from .traps import coro, wait_op

__all__ = ["CategorizeMessages"]

logger = logging.getLogger("picoos.kernel")


class CategorizeMessages:
    """Categorize the messages of `task` (call its methods from that task)."""

    def __init__(self, task):
        self._task = task
        self._categories = {None: deque()}
        self._categorize = []

    def add(self, categorize):
        """Add a function `categorize(message) -> category or None`; the most
        recently added function is asked first.  Raises `InvalidArgument`
        when `categorize` is not a one-argument callable."""
        if not callable(categorize):
            raise InvalidArgument("categorize function must be callable, got %r" % (categorize,))
        code = getattr(categorize, "__code__", None)
        if code is not None and not code.co_flags & 0x04:
            nargs = code.co_argcount - (1 if hasattr(categorize, "__self__") else 0)
            ndef = len(getattr(categorize, "__defaults__", None) or ())
            if not nargs - ndef <= 1 <= nargs:
                raise InvalidArgument("categorize function %s must take one argument (the "
                                      "message), it takes %d" % (categorize.__name__, nargs))
        self._categorize.insert(0, categorize)

    def remove(self, categorize):
        """Remove a function added earlier."""
        try:
            self._categorize.remove(categorize)
        except ValueError:
            logger.warning("CategorizeMessages.remove: %r was not added", categorize)

    def _category_of(self, msg):
        for fn in self._categorize:
            c = fn(msg)
            if c is not None:
                return c
        return None

    @coro
    @wait_op
    def receive(self, category=None, timeout=None, alarm_value=None):
        """Get the oldest message of `category`, waiting up to `timeout`
        seconds for one (`msg = yield cm.receive(category)`); gives
        `alarm_value` on timeout."""
        timeout = _check_timeout(timeout, "CategorizeMessages.receive")
        bucket = self._categories.get(category)
        if bucket:
            return bucket.popleft()
        kernel = self._task._kernel
        deadline = None if timeout is None else kernel.clock.now() + timeout
        marker = _TIMEOUT
        while True:
            left = None if deadline is None else max(0, deadline - kernel.clock.now())
            msg = yield self._task.receive(left, marker)
            if msg is marker:
                return alarm_value
            c = self._category_of(msg)
            if c == category:
                return msg
            b = self._categories.get(c)
            if b is None:
                b = self._categories[c] = deque()
            b.append(msg)

    recv = receive


class _Timeout:
    __slots__ = ()


_TIMEOUT = _Timeout()
