"""select(2) backend: works everywhere, limited to fds below FD_SETSIZE."""
import select as _select

from .base import READ, WRITE


class Notifier:
    name = "select"
    per_file = False

    def __init__(self):
        self._r = set()
        self._w = set()

    def register(self, fd, mask):
        import os
        os.fstat(fd)            # refuse a closed fd now, not in wait()
        self.modify(fd, mask)

    def modify(self, fd, mask):
        if mask & READ:
            self._r.add(fd)
        else:
            self._r.discard(fd)
        if mask & WRITE:
            self._w.add(fd)
        else:
            self._w.discard(fd)

    refresh = modify

    def unregister(self, fd):
        self._r.discard(fd)
        self._w.discard(fd)

    def wait(self, timeout):
        try:
            r, w, x = _select.select(self._r, self._w, self._r | self._w, timeout)
        except (OSError, ValueError):
            return self._find_bad()
        out = {}
        for fd in r:
            out[fd] = READ
        for fd in w:
            out[fd] = out.get(fd, 0) | WRITE
        for fd in x:
            out[fd] = READ | WRITE
        return list(out.items())

    def _find_bad(self):
        # a watched fd was closed under us: report it so its waiter retries
        import os
        bad = []
        for fd in self._r | self._w:
            try:
                os.fstat(fd)
            except OSError:
                bad.append((fd, READ | WRITE))
        for fd, _ in bad:
            self.unregister(fd)
        return bad

    def close(self):
        self._r.clear()
        self._w.clear()
