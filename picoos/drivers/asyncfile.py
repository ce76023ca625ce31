"""Awaitable files and subprocess pipes: ``AsyncFile`` and ``AsyncPipe``.

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
import subprocess
from typing import Any, List, Optional, Sequence, Union

from picoos.kernel.clock import SYSTEM_CLOCK
from picoos.kernel.scheduler import Pycos
from picoos.kernel.io import fd_closed, wait_readable, wait_writable
from picoos.kernel.task import Task
from picoos.kernel.threadpool import run_in_thread
from picoos.kernel.traps import coro
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


# ------------------------------------------------ helpers shared by drivers
# (picoos.drivers.serial uses these too; they are not public API.)

def check_timeout(timeout: Any) -> None:
    """Reject a timeout that is not None or a number >= 0."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidTypeError("timeout must be None or seconds (a number), got %r" % (timeout,))
    if timeout < 0 or timeout != timeout:
        raise InvalidArgumentError("timeout must be None or >= 0 seconds, got %r" % (timeout,))


def now() -> float:
    """The time on the running kernel's clock (a FakeClock in tests)."""
    kernel = Pycos.scheduler()
    return (kernel.clock if kernel is not None else SYSTEM_CLOCK).now()


def deadline_of(timeout: Optional[float]) -> Optional[float]:
    """The kernel-clock time at which ``timeout`` expires (None: never)."""
    return None if timeout is None else now() + timeout


def remaining(deadline: Optional[float]) -> Optional[float]:
    """Seconds left until ``deadline`` (may be <= 0), None if no deadline."""
    return None if deadline is None else deadline - now()


def _caught(gen):
    """Task body for spawn(): run ``gen``, return ("ok", value) or ("error", exc)."""
    try:
        return "ok", (yield gen)
    except Exception as exc:   # handed to the caller of spawn(), not lost
        return "error", exc


def spawn(genfunc, *args):
    """Start ``genfunc(*args)`` as a task of the current kernel; return the
    Task.  ``(yield joined(task))`` gives its value or raises its error."""
    return Task(_caught, genfunc(*args))


def joined(task):
    """Generator: wait for a task made by ``spawn`` and give back its result."""
    kind, value = yield task.finish()
    if kind == "error":
        raise value
    return value


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
        if isinstance(buf, str):
            raise InvalidTypeError("write() needs bytes, not str; encode the text first")
        try:
            view = memoryview(buf).cast("B")
        except TypeError:
            raise InvalidTypeError("write() needs a bytes-like object, got %r"
                                   % type(buf).__name__) from None
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


def _feed_input(stdin: AsyncFile, data: Any):
    """Generator for communicate(): write ``data`` to ``stdin``, then close it.

    ``data`` is bytes-like, ``str`` (UTF-8), an ``AsyncFile``, or a file
    object (its ``read`` is called in the thread pool when it has an fd,
    directly otherwise).  A child that exits without reading everything
    is not an error here - as with ``subprocess.communicate`` its exit
    status tells the story.
    """
    try:
        if isinstance(data, str):
            data = data.encode()
        if isinstance(data, (bytes, bytearray, memoryview)):
            yield stdin.write(data, full=True)
            return
        while True:
            if isinstance(data, AsyncFile):
                chunk = yield data.read(_CHUNK)
            elif hasattr(data, "fileno"):
                chunk = yield run_in_thread(data.read, _CHUNK)
            else:
                chunk = data.read(_CHUNK)
            if not chunk:
                break
            if isinstance(chunk, str):
                chunk = chunk.encode()
            yield stdin.write(chunk, full=True)
    except BrokenPipe:
        logger.debug("communicate: child stopped reading its input")
    finally:
        stdin.close()


def _drain(src: AsyncFile):
    """Generator for communicate(): everything ``src`` gives until EOF."""
    try:
        return (yield src.read())
    finally:
        src.close()


class AsyncPipe:
    """A subprocess (or a chain of them) with awaitable stdin/stdout/stderr.

    ``first`` and ``last`` are ``subprocess.Popen`` objects: writes go to
    ``first``'s stdin, reads come from ``last``'s stdout and stderr.  For a
    chain A | B | C built by hand (B's stdin is A's stdout, and so on),
    the parent must close its copies of the intermediate stdouts so an
    early exit downstream reaches the writers upstream as SIGPIPE / EPIPE;
    ``AsyncPipe(first, last)`` closes ``first.stdout`` itself, and
    ``AsyncPipe.pipeline(cmd_a, cmd_b, cmd_c)`` builds the whole chain
    correctly.  Other attributes (``pid``, ``returncode``, ``args``) are
    those of ``last``.
    """

    def __init__(self, first: subprocess.Popen, last: Optional[subprocess.Popen] = None,
                 *, _procs: Optional[Sequence[subprocess.Popen]] = None) -> None:
        if last is None:
            last = first
        for name, proc in (("first", first), ("last", last)):
            if not isinstance(proc, subprocess.Popen):
                raise InvalidTypeError("AsyncPipe: %s must be a subprocess.Popen, got %r"
                                       % (name, proc))
        self.first = first
        self.last = last
        self._procs: List[subprocess.Popen] = list(_procs) if _procs else (
            [first] if first is last else [first, last])
        if first is not last and first.stdout is not None:
            # The parent's copy of first's stdout would keep the pipe open
            # after the next stage exits: first would then block forever on
            # a full pipe instead of getting SIGPIPE.
            first.stdout.close()
        self.stdin = AsyncFile(first.stdin) if first.stdin is not None else None
        self.stdout = AsyncFile(last.stdout) if last.stdout is not None else None
        self.stderr = AsyncFile(last.stderr) if last.stderr is not None else None

    @classmethod
    def pipeline(cls, *commands: Sequence[str], stdin: Any = subprocess.PIPE,
                 stdout: Any = subprocess.PIPE, stderr: Any = None,
                 **popen_kwargs: Any) -> "AsyncPipe":
        """Start ``commands[0] | commands[1] | ...`` and return the pipe.

        Each command is an argv list (or a string with ``shell=True``);
        ``stdin`` goes to the first command, ``stdout`` and ``stderr`` to
        the last (the others inherit the parent's stderr).  Raises
        ``InvalidArgumentError`` when no command is given; if a command
        cannot be started the ones already started are killed.
        """
        if not commands:
            raise InvalidArgumentError("pipeline() needs at least one command")
        procs: List[subprocess.Popen] = []
        try:
            prev = None
            for i, cmd in enumerate(commands):
                is_last = i == len(commands) - 1
                proc = subprocess.Popen(
                    cmd, stdin=stdin if prev is None else prev.stdout,
                    stdout=stdout if is_last else subprocess.PIPE,
                    stderr=stderr if is_last else None, **popen_kwargs)
                if prev is not None and prev.stdout is not None:
                    prev.stdout.close()       # only the child reads it now
                procs.append(proc)
                prev = proc
        except BaseException:
            for proc in procs:
                proc.kill()
                proc.wait()
            raise
        return cls(procs[0], procs[-1], _procs=procs)

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found normally: pid, returncode, args...
        last = self.__dict__.get("last")
        if last is None:
            raise AttributeError(name)
        return getattr(last, name)

    # ---------------------------------------------------------- streams
    def _stream(self, name: str) -> AsyncFile:
        stream = getattr(self, name)
        if stream is None:
            raise InvalidArgumentError(
                "this pipe has no %s: start the process with %s=subprocess.PIPE" % (name, name))
        return stream

    def write(self, buf: Buffer, full: bool = False, timeout: Optional[float] = None):
        """Write to the first process's stdin (see ``AsyncFile.write``)."""
        return self._stream("stdin").write(buf, full=full, timeout=timeout)

    def read(self, size: int = 0, timeout: Optional[float] = None):
        """Read the last process's stdout (see ``AsyncFile.read``)."""
        return self._stream("stdout").read(size, timeout=timeout)

    def readline(self, size: int = 0, sizehint: int = 100, timeout: Optional[float] = None):
        """A line of the last process's stdout (see ``AsyncFile.readline``)."""
        return self._stream("stdout").readline(size, sizehint, timeout)

    def read_stderr(self, size: int = 0, timeout: Optional[float] = None):
        """Read the last process's stderr (see ``AsyncFile.read``)."""
        return self._stream("stderr").read(size, timeout=timeout)

    def readline_stderr(self, size: int = 0, sizehint: int = 100,
                        timeout: Optional[float] = None):
        """A line of the last process's stderr."""
        return self._stream("stderr").readline(size, sizehint, timeout)

    @coro
    def communicate(self, input: Any = None):
        """Send ``input``, read stdout and stderr to EOF, wait for the exit.

        Like ``Popen.communicate``: returns ``(stdout, stderr)``, each bytes
        or None when that stream is not a pipe.  ``input`` is bytes, str
        (UTF-8), an ``AsyncFile`` or a file object; stdin is closed
        afterwards (also when ``input`` is None).  Feeding, reading and
        waiting run as concurrent tasks, so large input and large output
        cannot deadlock.
        """
        if input is not None and self.stdin is None:
            raise InvalidArgumentError(
                "communicate(input) needs the first process started with stdin=subprocess.PIPE")
        if input is not None and not isinstance(input, (bytes, bytearray, memoryview, str)) \
                and not hasattr(input, "read"):
            raise InvalidTypeError("communicate(input): input must be bytes, str, an AsyncFile "
                                   "or a file object, got %r" % type(input).__name__)
        feeder = None
        if self.stdin is not None:
            if input is None:
                self.stdin.close()
            else:
                feeder = spawn(_feed_input, self.stdin, input)
        out_task = spawn(_drain, self.stdout) if self.stdout is not None else None
        err_task = spawn(_drain, self.stderr) if self.stderr is not None else None
        out = (yield joined(out_task)) if out_task is not None else None
        err = (yield joined(err_task)) if err_task is not None else None
        if feeder is not None:
            yield joined(feeder)
        yield self.wait()
        return out, err

    # -------------------------------------------------------- processes
    def poll(self) -> Optional[int]:
        """The last process's exit status, or None while it runs."""
        return self.last.poll()

    @coro
    def wait(self, timeout: Optional[float] = None):
        """Wait until every process of the pipe has exited; return the last
        one's exit status.  Raises ``DriverTimeoutError`` on ``timeout``."""
        check_timeout(timeout)
        deadline = deadline_of(timeout)
        for proc in self._procs:
            yield _wait_process(proc, deadline, timeout)
        return self.last.returncode

    def terminate(self) -> None:
        """Send SIGTERM to every process of the pipe that still runs."""
        self._signal_all("terminate")

    def kill(self) -> None:
        """Send SIGKILL to every process of the pipe that still runs."""
        self._signal_all("kill")

    def _signal_all(self, how: str) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                try:
                    getattr(proc, how)()
                except ProcessLookupError:
                    pass

    def close(self) -> None:
        """Close the parent's ends of stdin, stdout and stderr (tasks waiting
        on them are woken).  The processes are not signalled; closing stdin
        usually makes a filter finish."""
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> "AsyncPipe":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    async def __aenter__(self) -> "AsyncPipe":
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        self.close()


def _wait_process(proc: subprocess.Popen, deadline: Optional[float], timeout: Optional[float]):
    """Generator: wait for ``proc`` to exit without blocking the kernel.

    On Linux a pidfd becomes readable when the process exits, so it waits
    in the notifier like any fd; elsewhere ``Popen.wait`` runs in the
    thread pool.
    """
    if proc.poll() is not None:
        return proc.returncode
    pidfd_open = getattr(os, "pidfd_open", None)
    pidfd = -1
    if pidfd_open is not None:
        try:
            pidfd = pidfd_open(proc.pid)
        except OSError:      # too old a kernel, or already reaped
            pidfd = -1
    if pidfd < 0:
        left = remaining(deadline)
        try:
            return (yield run_in_thread(proc.wait, left))
        except subprocess.TimeoutExpired:
            raise DriverTimeoutError("process %d still running after %s s"
                                     % (proc.pid, timeout)) from None
    try:
        while proc.poll() is None:
            left = remaining(deadline)
            if (left is not None and left <= 0) or not (yield wait_readable(pidfd, left)):
                raise DriverTimeoutError("process %d still running after %s s"
                                         % (proc.pid, timeout))
    finally:
        fd_closed(pidfd)
        os.close(pidfd)
    return proc.returncode
