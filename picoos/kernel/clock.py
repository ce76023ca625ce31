"""Where the kernel gets the time from.

The kernel never calls `time.monotonic()` itself: it asks its clock.  The
system clock below is what programs use; `picoos.testing.FakeClock` is a
drop-in replacement that lets timer-heavy code be tested without sleeping.

A clock has three duties:

* `now()` — the current time in seconds (any epoch, monotonic);
* `timeout_for(deadline)` — how long the kernel may block in the notifier
  when the earliest timer is due at `deadline` (None: no timer);
* `idle(deadline)` — called when the kernel waited and nothing happened;
  the system clock ignores it, a fake clock may jump to `deadline`;
* `timer_resolution` — timers ending within one such tick share a bucket
  and fire at its end (0: exact deadlines).
"""
from time import monotonic


class SystemClock:
    """The real, monotonic clock."""

    __slots__ = ()

    #: timers ending within the same millisecond share one heap entry
    timer_resolution = 0.001

    now = staticmethod(monotonic)

    @staticmethod
    def timeout_for(deadline):
        if deadline is None:
            return None
        t = deadline - monotonic()
        return t if t > 0 else 0

    @staticmethod
    def idle(deadline):
        pass


SYSTEM_CLOCK = SystemClock()
