"""Awaitable files: ``AsyncFile`` (and ``AsyncPipe``, from ``pipe.py``).

Why this exists: a task must be able to read a child process's output, a
pipe or a pseudo-terminal without stopping every other task.  Both classes
keep pycos's API (``read(size, full, timeout)``, ``write(buf, full,
timeout)``, ``readline``, ``communicate``, ...) so pycos programs port by
changing the import, and fix what pycos got wrong: an int fd works, the
context manager never swallows exceptions, closing wakes waiting tasks,
and a child that exits early gives EOF or ``BrokenPipe`` instead of a hang.

How: an fd the notifier can watch (pipe, pty, socket, character device
with poll support) is switched to non-blocking mode and every operation is
the usual driver loop - try the syscall, on EAGAIN ``yield
wait_readable/wait_writable`` and try again.  Regular files (and anything
else epoll refuses, such as ``/dev/null``) are always "ready" yet may block
on the disk, so their syscalls run in the kernel's thread pool instead;
the caller cannot tell the difference.

Every public operation is a ``@coro``: use it as ``data = yield f.read()``
in a generator task or ``data = await f.read()`` in an ``async def`` task.
"""
from __future__ import annotations

import errno
import logging
import os
import select
import stat
import sys
from typing import Any, List, Optional, Union

from picoos.kernel.io import fd_closed, wait_readable, wait_writable
from picoos.kernel.threadpool import run_in_thread
from picoos.kernel.traps import coro
from picoos.drivers._retry import byte_view, check_timeout, deadline_of, remaining
from picoos.drivers.errors import (BrokenPipe, DriverClosedError,
                                   DriverTimeoutError, InvalidArgumentError,
                                   InvalidTypeError)

__all__ = ["AsyncFile", "AsyncPipe"]

logger = logging.getLogger("picoos.drivers")

# Bytes asked for per read when the caller did not bound the size: a full
# Linux pipe (64 KiB) in one call; the buffer is transient, so even a Pi
# Zero does not mind.
_CHUNK = 65536
# Reads made on behalf of readline() ask for at least this much and keep
# the rest buffered; one syscall per line would be slow.
_LINE_CHUNK = 4096

Buffer = Union[bytes, bytearray, memoryview]


def _is_pollable(fd: int) -> bool:
    """True if the notifier can wait on ``fd``.

    Regular files, directories and block devices never are.  Character
    devices differ (a pty is, ``/dev/null`` is not), so on Linux we ask
    epoll itself with a throw-away instance: it refuses (EPERM) exactly
    the fds the kernel's notifier could not watch either.
    """
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISBLK(mode):
        return False
    if not hasattr(select, "epoll"):    # not Linux: trust the file type
        return True
    ep = select.epoll()
    try:
        ep.register(fd, select.EPOLLIN)
    except PermissionError:
        return False
    finally:
        ep.close()
    return True


def _check_size(name: str, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError("%s must be an int (bytes), got %r" % (name, value))
    return value


class AsyncFile:
    """A file descriptor whose reads and writes suspend only the calling task.

    ``fd`` is an int file descriptor or any object with ``fileno()`` (a
    file object, a ``Popen``'s ``stdout``, a socket).  With ``closefd``
    true (the default) ``close()`` closes the fd (or the file object);
    with ``closefd=False`` it only detaches and restores the fd's original
    blocking mode.  Reads bypass a file object's own buffer: hand the
    object over before reading anything through it.

    Raises ``InvalidTypeError`` if ``fd`` is neither, ``InvalidArgumentError``
    if it is not an open descriptor.
    """

    def __init__(self, fd: Any, closefd: bool = True) -> None:
        if isinstance(fd, bool) or not (isinstance(fd, int) or hasattr(fd, "fileno")):
            raise InvalidTypeError(
                "AsyncFile needs an int file descriptor or an object with "
                "fileno(), got %r" % (fd,))
        self._file = None if isinstance(fd, int) else fd
        fileno = fd if isinstance(fd, int) else fd.fileno()
        if not isinstance(fileno, int) or fileno < 0:
            raise InvalidArgumentError(
                "fd %r is not valid: expected an open file descriptor (int >= 0)" % (fileno,))
        self._fd = fileno
        self._closefd = closefd
        try:
            self._pollable = _is_pollable(fileno)
        except OSError as exc:
            raise InvalidArgumentError("fd %d is not an open file descriptor (%s)"
                                       % (fileno, exc.strerror)) from exc
        self._tty = os.isatty(fileno)
        # Data read ahead by readline() and not yet returned.
        self._rbuf = bytearray()
        self._orig_blocking = os.get_blocking(fileno)
        if self._pollable and self._orig_blocking:
            os.set_blocking(fileno, False)

    # ------------------------------------------------------------ basics
    def fileno(self) -> int:
        """The file descriptor (``DriverClosedError`` once closed)."""
        self._check_open()
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def _check_open(self) -> None:
        if self._fd < 0:
            raise DriverClosedError("I/O operation on a closed AsyncFile")

    def __del__(self) -> None:
        # Dropped without close(): when this was the file object's last
        # owner, the garbage collector closes it next, and the kernel must
        # forget the fd before its number is reused (see AsyncSocket).
        f = self.__dict__.get("_file")
        if f is not None and self.__dict__.get("_fd", -1) >= 0 and self._closefd \
                and sys.getrefcount(f) <= 3:
            try:
                fd_closed(self._fd)
            except Exception:   # interpreter shutdown: nothing left to tell
                pass

    def close(self) -> None:
        """Close the file.  Tasks waiting on it are woken with
        ``ClosedResourceError``.  Closing twice is harmless."""
        fd = self._fd
        if fd < 0:
            return
        self._fd = -1
        self._rbuf = bytearray()
        # Wake waiters and drop the fd from the notifier before the number
        # can be reused by another open().
        fd_closed(fd)
        if not self._closefd:
            if self._pollable and self._orig_blocking:
                try:
                    os.set_blocking(fd, True)
                except OSError:
                    pass
            return
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:
                # A buffered writer flushing into a dead pipe; the fd is
                # closed all the same and there is no one left to tell.
                logger.debug("closing %r: %s", self._file, exc)
        else:
            os.close(fd)

    def __enter__(self) -> "AsyncFile":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()        # returns None: exceptions propagate

    async def __aenter__(self) -> "AsyncFile":
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._fd < 0 else "fd=%d" % self._fd
        kind = "poll" if self._pollable else "thread"
        return "<AsyncFile %s %s>" % (state, kind)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the file position (regular files; pycos's ``seek``); the new
        position.  Bytes ``readline`` read ahead are dropped.  Raises
        ``OSError`` (ESPIPE) on a pipe or socket."""
        self._check_open()
        if whence == os.SEEK_CUR:
            offset -= len(self._rbuf)     # relative to what the caller has read
        pos = os.lseek(self._fd, offset, whence)
        self._rbuf = bytearray()
        return pos

    def tell(self) -> int:
        """The file position as the caller sees it (regular files)."""
        self._check_open()
        return os.lseek(self._fd, 0, os.SEEK_CUR) - len(self._rbuf)

    # ------------------------------------------------ one syscall, retried
    def _read_chunk(self, n: int, deadline: Optional[float]):
        """Generator: bytes read (b'' at EOF), or None if the deadline passed."""
        if not self._pollable:
            return (yield run_in_thread(os.read, self._fd, n))
        while True:
            self._check_open()
            try:
                return os.read(self._fd, n)
            except BlockingIOError:
                pass
            except OSError as exc:
                # The master side of a pty reports a hung-up slave as EIO.
                if exc.errno == errno.EIO and self._tty:
                    return b""
                raise
            left = remaining(deadline)
            if left is not None and left <= 0:
                return None
            if not (yield wait_readable(self._fd, left)):
                return None

    def _write_chunk(self, view: memoryview, deadline: Optional[float]):
        """Generator: bytes written (> 0), or None if the deadline passed."""
        if not self._pollable:
            return (yield run_in_thread(os.write, self._fd, view))
        while True:
            self._check_open()
            try:
                n = os.write(self._fd, view)
                if n:
                    return n
            except BlockingIOError:
                pass
            except BrokenPipeError as exc:
                raise BrokenPipe(
                    "write to fd %d failed: the reading end is closed (did the "
                    "process reading it exit?)" % self._fd) from exc
            left = remaining(deadline)
            if left is not None and left <= 0:
                return None
            if not (yield wait_writable(self._fd, left)):
                return None

    def _take(self, n: int) -> bytes:
        """Up to ``n`` bytes (all if n <= 0) from the read-ahead buffer."""
        if n <= 0 or n >= len(self._rbuf):
            data, self._rbuf = bytes(self._rbuf), bytearray()
        else:
            data = bytes(self._rbuf[:n])
            del self._rbuf[:n]
        return data

    # ------------------------------------------------------- public I/O
    @coro
    def read(self, size: int = 0, full: bool = False, timeout: Optional[float] = None):
        """Read bytes.

        ``size <= 0`` reads until EOF.  Otherwise returns at most ``size``
        bytes as soon as some are available; with ``full`` true it keeps
        reading until it has ``size`` bytes or EOF.  Returns ``b''`` at EOF.

        ``timeout`` (seconds, for the whole call): if it expires after some
        data arrived, that data is returned; if nothing arrived,
        ``DriverTimeoutError`` (a ``TimeoutError``) is raised.

        Raises ``DriverClosedError`` if the file is closed, and
        ``ClosedResourceError`` if it is closed while this task waits.
        (Regular files never make a task wait for data, so ``timeout``
        has nothing to cut short there.)
        """
        size = _check_size("size", size)
        check_timeout(timeout)
        self._check_open()
        if size <= 0:
            size, full = 0, True
        deadline = deadline_of(timeout)
        chunks: List[bytes] = []
        got = 0
        if self._rbuf:
            data = self._take(size)
            chunks.append(data)
            got = len(data)
            if not full or got == size:
                return data
        while True:
            want = size - got if size else _CHUNK
            data = yield self._read_chunk(want, deadline)
            if data is None:
                if got:
                    break
                raise DriverTimeoutError(
                    "read from fd %d: no data within %s s" % (self._fd, timeout))
            if not data:
                break
            chunks.append(data)
            got += len(data)
            if not full or (size and got >= size):
                break
        return b"".join(chunks)

    @coro
    def write(self, buf: Buffer, full: bool = False, timeout: Optional[float] = None):
        """Write bytes; return how many were written.

        Without ``full`` one write is made as soon as the fd is writable
        (it may be partial); with ``full`` it continues until all of
        ``buf`` is written.  ``timeout`` (seconds, whole call): after a
        partial write the count so far is returned; with nothing written
        ``DriverTimeoutError`` is raised.

        Raises ``InvalidTypeError`` for ``str`` (encode it first),
        ``BrokenPipe`` (a ``BrokenPipeError``) if the reader is gone.
        """
        view = byte_view(buf)
        check_timeout(timeout)
        self._check_open()
        deadline = deadline_of(timeout)
        written = 0
        total = len(view)
        while written < total:
            n = yield self._write_chunk(view[written:], deadline)
            if n is None:
                if written:
                    break
                raise DriverTimeoutError(
                    "write to fd %d: nothing written within %s s" % (self._fd, timeout))
            written += n
            if not full:
                break
        return written

    @coro
    def readline(self, size: int = 0, sizehint: int = 100, timeout: Optional[float] = None):
        """Read one line, ending with ``b'\\n'``.

        Returns at most ``size`` bytes if ``size > 0`` (a longer line is
        returned in pieces), what is left at EOF (without a newline), or
        ``b''`` at EOF.  ``sizehint`` is accepted for pycos compatibility;
        reads ask for at least 4 KiB and keep the rest for the next call.
        On ``timeout`` the partial line stays buffered and
        ``DriverTimeoutError`` is raised.
        """
        size = _check_size("size", size)
        sizehint = _check_size("sizehint", sizehint)
        check_timeout(timeout)
        self._check_open()
        deadline = deadline_of(timeout)
        searched = 0
        while True:
            pos = self._rbuf.find(b"\n", searched)
            if pos >= 0 and (size <= 0 or pos < size):
                return self._take(pos + 1)
            if size > 0 and len(self._rbuf) >= size:
                return self._take(size)
            searched = len(self._rbuf)
            data = yield self._read_chunk(max(sizehint, _LINE_CHUNK), deadline)
            if data is None:
                raise DriverTimeoutError(
                    "readline from fd %d: no complete line within %s s "
                    "(%d bytes kept for the next read)" % (self._fd, timeout, len(self._rbuf)))
            if not data:
                return self._take(0)
            self._rbuf += data


# AsyncPipe lives in its own module; it is named here too because pycos
# programs find both classes in one place (pycos.asyncfile)
from picoos.drivers.pipe import AsyncPipe  # noqa: E402
