"""kqueue backend for BSD and macOS.

Read and write interest are separate kqueue filters: a mask change adds the
filters of the new mask and deletes the others.
"""
import select

from .base import READ, WRITE


class Notifier:
    name = "kqueue"
    per_file = True

    def __init__(self):
        self._kq = select.kqueue()
        self._masks = {}

    def fileno(self):
        return self._kq.fileno()

    def _change(self, fd, old, new):
        # every filter of `new` is added, also those thought present (adding
        # a present filter only updates it): the fd may be a new file under
        # a number whose filters the system dropped when the old one closed
        adds = []
        drops = []
        for bit, flt in ((READ, select.KQ_FILTER_READ), (WRITE, select.KQ_FILTER_WRITE)):
            if new & bit:
                adds.append(select.kevent(fd, flt, select.KQ_EV_ADD))
            elif old & bit:
                drops.append(select.kevent(fd, flt, select.KQ_EV_DELETE))
        if drops:
            try:
                self._kq.control(drops, 0, 0)
            except OSError:
                pass            # gone already with a closed fd
        if adds:
            self._kq.control(adds, 0, 0)
        self._masks[fd] = new

    def register(self, fd, mask):
        self._change(fd, 0, mask)

    def modify(self, fd, mask):
        self._change(fd, self._masks.get(fd, 0), mask)

    refresh = modify

    def unregister(self, fd):
        old = self._masks.pop(fd, 0)
        try:
            self._change(fd, old, 0)
        except OSError:
            pass
        self._masks.pop(fd, None)

    def wait(self, timeout):
        n = max(len(self._masks) * 2, 1)
        out = {}
        for ev in self._kq.control(None, n, timeout):
            if ev.filter == select.KQ_FILTER_READ:
                bit = READ
            else:
                bit = WRITE
            if ev.flags & (select.KQ_EV_EOF | select.KQ_EV_ERROR):
                bit = READ | WRITE
            out[ev.ident] = out.get(ev.ident, 0) | bit
        return list(out.items())

    def close(self):
        self._kq.close()
