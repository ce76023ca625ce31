"""Awaitable subprocess pipes: ``AsyncPipe`` (pycos API).

Why this exists: a task must be able to feed a child process and read its
output (or a whole pipeline's) without stopping every other task, and a
child that exits early must give EOF or ``BrokenPipe``, never a hang.  The
streams are ``AsyncFile`` objects; ``communicate`` runs its feeder and
readers as helper tasks so a child blocked writing stderr cannot deadlock
one blocked reading stdin.
"""
from __future__ import annotations

import logging
import os
import subprocess
from typing import Any, List, Optional, Sequence

from picoos.kernel.io import fd_closed, wait_readable
from picoos.kernel.threadpool import run_in_thread
from picoos.kernel.traps import coro
from picoos.drivers._retry import check_timeout, deadline_of, joined, remaining, spawn
from picoos.drivers.asyncfile import _CHUNK, AsyncFile, Buffer
from picoos.drivers.errors import (BrokenPipe, DriverTimeoutError, InvalidArgumentError,
                                   InvalidTypeError, NotAProcessError)

__all__ = ["AsyncPipe"]

logger = logging.getLogger("picoos.drivers")


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
                raise NotAProcessError("AsyncPipe: %s must be a subprocess.Popen, got %r"
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
