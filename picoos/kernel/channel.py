"""Channels: publish/subscribe between tasks (pycos API).

A message sent to a channel goes to every subscriber, task or channel (so
channels can be stacked); each subscribed task gets it in its mailbox as if
sent to it directly.  A transform function can rewrite or drop messages.
Subscribers are kept in subscription order, so delivery order is
deterministic.  A networked kernel lets channels be located and subscribed
to from other machines (see `picoos.net`).
"""
import logging

from . import context
from .errors import InvalidArgument
from .task import Task, _check_timeout
from .traps import coro, wait_op
from .waitq import WaitQueue

__all__ = ["Channel"]

logger = logging.getLogger("picoos.kernel")


def _check_transform(transform):
    if transform is None:
        return None
    if not callable(transform):
        raise InvalidArgument("channel transform must be callable(name, message), got %r"
                              % (transform,))
    code = getattr(transform, "__code__", None)
    if code is not None and not code.co_flags & 0x04:   # no *args
        nargs = code.co_argcount - (1 if hasattr(transform, "__self__") else 0)
        ndef = len(getattr(transform, "__defaults__", None) or ())
        if not nargs - ndef <= 2 <= nargs:
            raise InvalidArgument("channel transform %s must take 2 arguments (channel name, "
                                  "message), it takes %d" % (transform.__name__, nargs))
    return transform


class Channel:
    """A named broadcast channel.

    `transform(name, message)` may return a new message, or None to drop
    it.  Raises `InvalidArgument` for a bad name or transform.
    """

    def __init__(self, name, transform=None):
        if not isinstance(name, str) or not name:
            raise InvalidArgument("channel name must be a non-empty string, got %r" % (name,))
        self._name = name
        self._transform = _check_transform(transform)
        self._subscribers = {}          # subscriber -> None (ordered set)
        self._subscribe_waiters = WaitQueue()
        self._kernel = context.kernel_for_caller()
        self._closed = False
        channels = self._kernel._channels
        if name in channels:
            logger.warning("channel name %r is already in use; the new channel replaces it "
                           "for locate()", name)
        channels[name] = self

    @property
    def name(self) -> str:
        return self._name

    @property
    def location(self):
        return self._kernel.location

    def __repr__(self):
        # the name, as in pycos; references to channels on other machines
        # add "@location" (see picoos.net)
        return self._name

    def __reduce__(self):
        return self._kernel._channel_reference(self)

    def set_transform(self, transform) -> int:
        self._transform = _check_transform(transform)
        return 0

    @coro
    def subscribe(self, subscriber, timeout=None):
        """Add a task or channel as subscriber (`yield ch.subscribe(t)`);
        gives 0, or -1 for an invalid subscriber."""
        if not isinstance(subscriber, (Task, Channel)) or subscriber is self or self._closed:
            logger.warning("subscribe: invalid subscriber %r for channel %r", subscriber, self)
            return -1
        if subscriber not in self._subscribers:
            self._subscribers[subscriber] = None
            self._subscribe_waiters.wake_all(True)
        return 0
        yield

    @coro
    def unsubscribe(self, subscriber, timeout=None):
        """Remove a subscriber (`yield ch.unsubscribe(t)`); gives 0, or -1
        if it was not subscribed."""
        if self._subscribers.pop(subscriber, 0) is None:
            return 0
        return -1
        yield

    def subscribers(self):
        return list(self._subscribers)

    def _transformed(self, message):
        try:
            return self._transform(self._name, message)
        except Exception:
            logger.exception("transform of channel %r failed; message dropped", self)
            return None

    def send(self, message) -> int:
        """Send `message` to every subscriber now (no `yield` needed).
        Returns 0.  Subscribers that are no longer valid are dropped."""
        kernel = self._kernel
        if context.current_kernel() is not kernel:
            return kernel._threadsafe(self.send, message)
        if self._transform is not None:
            # a transform returning None drops the message; None itself is a message
            message = self._transformed(message)
            if message is None:
                return 0
        for sub in list(self._subscribers):
            if sub.send(message) != 0:
                self._subscribers.pop(sub, None)
        return 0

    @coro
    @wait_op
    def deliver(self, message, timeout=None, n=0):
        """Deliver `message` once at least `n` subscribers are there (`yield
        ch.deliver(msg, timeout, n)`).  Gives the number of tasks it reached
        (through stacked channels too), 0 if `n` subscribers did not come
        within `timeout`, -1 for a bad `n`."""
        timeout = _check_timeout(timeout, "Channel.deliver")
        if not isinstance(n, int) or n < 0:
            return -1
        if self._transform is not None:
            # a transform returning None drops the message (at once, without
            # waiting for subscribers); None itself is a message
            message = self._transformed(message)
            if message is None:
                return 0
        kernel = self._kernel
        deadline = None if timeout is None else kernel.clock.now() + timeout
        while len(self._subscribers) < n:
            left = None if deadline is None else deadline - kernel.clock.now()
            if left is not None and left <= 0:
                return 0
            if not (yield self._subscribe_waiters.wait(left, False)):
                return 0
        reached = 0
        for sub in list(self._subscribers):
            if isinstance(sub, Channel):
                left = None if deadline is None else max(0, deadline - kernel.clock.now())
                got = yield sub.deliver(message, left)
            else:
                got = yield sub.deliver(message, timeout)
            if got is not None and got > 0:
                reached += got
            elif got is not None and got < 0:
                self._subscribers.pop(sub, None)
        return reached

    def close(self):
        """Drop every subscriber and the channel's name."""
        self._closed = True
        self._subscribers.clear()
        self._subscribe_waiters.wake_all(False)
        if self._kernel._channels.get(self._name) is self:
            del self._kernel._channels[self._name]

    def register(self) -> int:
        """Make the channel findable with `Channel.locate` (channels are
        registered under their name when created)."""
        self._kernel._channels[self._name] = self
        return 0

    def unregister(self) -> int:
        if self._kernel._channels.get(self._name) is self:
            del self._kernel._channels[self._name]
            return 0
        return -1

    @staticmethod
    def locate(name, location=None, timeout=None):
        """Trap: find a channel by name (`yield Channel.locate(name)`);
        gives the channel or None."""
        timeout = _check_timeout(timeout, "Channel.locate")
        return context.kernel_for_caller()._locate_channel(name, location, timeout)
