"""poll(2) backend, for systems without epoll or kqueue (and for tests)."""
import select

from .base import translate

_IN = select.POLLIN | select.POLLPRI
_OUT = select.POLLOUT
_ERR = select.POLLERR | select.POLLHUP | select.POLLNVAL
_TO_POLL = (0, _IN, _OUT, _IN | _OUT)


class Notifier:
    name = "poll"
    per_file = False

    def __init__(self):
        self._p = select.poll()

    def register(self, fd, mask):
        self._p.register(fd, _TO_POLL[mask])

    def modify(self, fd, mask):
        try:
            self._p.modify(fd, _TO_POLL[mask])
        except FileNotFoundError:
            self._p.register(fd, _TO_POLL[mask])

    refresh = modify

    def unregister(self, fd):
        try:
            self._p.unregister(fd)
        except (KeyError, OSError):
            pass

    def wait(self, timeout):
        if timeout is None:
            ms = None
        else:
            ms = int(timeout * 1000)
            if ms < timeout * 1000:
                ms += 1     # round up: never wake before the deadline
        return translate(self._p.poll(ms), _IN, _OUT, _ERR)

    def close(self):
        self._p = None
