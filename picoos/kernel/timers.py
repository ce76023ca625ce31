"""The kernel's timers: timed waits (sleep, receive and wait timeouts).

A mixin of `Kernel` (kept apart from the scheduling loop so each module reads
as one concept).  A task in a timed wait holds its entry (task, alarm) in
`_timer`; cancelling the timer only clears that field and counts the dead
entry, which is skipped when its bucket ends (or dropped by a compaction
once dead entries are half of all).  `Kernel.__init__` makes the tables.
"""
from heapq import heappush, heappop, heapify

from .taskstate import READY


class Timers:
    """Timers of the kernel (mixin of `Kernel`)."""

    def _set_timer(self, task, timeout, alarm):
        # Discussion: timers that end within the same clock tick (1 ms with the
        # system clock) share a bucket, so 10k sleeping tasks cost a few heap
        # operations per millisecond instead of one each.  A bucket ends at
        # the first tick boundary strictly after every deadline in it, so no
        # timer fires early; a fake clock has resolution 0 (exact deadlines).
        deadline = self.clock.now() + timeout
        scale = self._timer_scale
        key = (int(deadline * scale) + 1) / scale if scale else deadline
        entry = (task, alarm)
        task._timer = entry
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = [entry]
            heappush(self._timer_keys, key)
        else:
            bucket.append(entry)
        self._timer_entries += 1

    def _cancel_timer(self, task):
        task._timer = None
        self._dead_timers += 1

    def _fire_timers(self):
        keys = self._timer_keys
        now = self.clock.now()
        ready = self._ready
        while keys and keys[0] <= now:
            bucket = self._buckets.pop(heappop(keys))
            self._timer_entries -= len(bucket)
            for entry in bucket:
                task = entry[0]
                if task._timer is not entry:
                    self._dead_timers -= 1
                    continue
                task._timer = None
                undo = task._undo
                if undo is not None:
                    task._undo = None
                    undo.discard(task)
                task._state = READY
                task._value = entry[1]
                ready.append(task)
        dead = self._dead_timers
        if dead > 1024 and dead > self._timer_entries // 2:
            self._compact_timers()

    def _compact_timers(self):
        """Drop cancelled entries (many receives with long timeouts that got
        their message) so they do not pile up until their bucket ends."""
        buckets = {}
        entries = 0
        for key, bucket in self._buckets.items():
            live = [e for e in bucket if e[0]._timer is e]
            if live:
                buckets[key] = live
                entries += len(live)
        self._buckets = buckets
        self._timer_keys = keys = list(buckets)
        heapify(keys)
        self._timer_entries = entries
        self._dead_timers = 0
