"""Linux epoll backend (level-triggered)."""
import select

from .base import translate

_IN = select.EPOLLIN | select.EPOLLPRI
_OUT = select.EPOLLOUT
_ERR = select.EPOLLERR | select.EPOLLHUP | getattr(select, "EPOLLRDHUP", 0)
_TO_EPOLL = (0, _IN, _OUT, _IN | _OUT)


class Notifier:
    name = "epoll"
    per_file = True

    def __init__(self):
        self._ep = select.epoll()
        self._poll = self._ep.poll

    def fileno(self):
        return self._ep.fileno()

    def register(self, fd, mask):
        try:
            self._ep.register(fd, _TO_EPOLL[mask])
        except FileExistsError:
            self._ep.modify(fd, _TO_EPOLL[mask])

    def modify(self, fd, mask):
        try:
            self._ep.modify(fd, _TO_EPOLL[mask])
        except FileNotFoundError:
            # the fd was closed and reused behind our back: watch it afresh
            self._ep.register(fd, _TO_EPOLL[mask])

    # a MOD to the same mask: ENOENT when a new file has the number
    refresh = modify

    def unregister(self, fd):
        try:
            self._ep.unregister(fd)
        except (OSError, ValueError):
            pass

    def wait(self, timeout):
        events = self._poll(-1 if timeout is None else timeout)
        return translate(events, _IN, _OUT, _ERR)

    def close(self):
        self._ep.close()
