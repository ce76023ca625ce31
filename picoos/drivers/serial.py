"""Awaitable serial ports: ``AsyncSerial``.

Why this exists: a board talks to GPS modules, modems, microcontrollers
and consoles over UARTs, and a task waiting for the next line must not
stop the rest of the system.  pyserial knows how to open and configure a
port on every platform (baud rate, framing, flow control, exclusive
lock), so it does exactly that and nothing more.  Its own non-blocking
``write`` spins on a full output buffer and its reads block a thread, so
all data moves through the port's fd here, the picoos way: try the
syscall, on EAGAIN wait in the kernel's notifier, try again.

A hang-up (USB adapter unplugged, the far side of a pty closed) shows up
as a read of 0 bytes, EIO, or POLLHUP.  The port is switched to VMIN=1
right after pyserial configures it, so a 0-byte read can only mean a
hang-up: the waiting task gets ``SerialDisconnectedError`` (a
``ConnectionError``), the port is closed, and other tasks waiting on it
get the same error - one wake-up each, no spinning.

Reads go through a small buffer: ``read_until``/``readline`` may read past
the terminator and keep the rest; a read that times out keeps what it
collected, so nothing received is ever lost.

Every I/O method is a ``@coro``: ``line = yield port.readline()`` in a
generator task, ``line = await port.readline()`` in an ``async def`` task.
``async for line in port`` yields lines.
"""
from __future__ import annotations

import errno
import fcntl
import logging
import os
import struct
import termios
from typing import Any, Optional, Union

from picoos.kernel.errors import ClosedResourceError
from picoos.kernel.io import fd_closed, wait_readable, wait_writable
from picoos.kernel.traps import coro, sleep
from picoos.drivers._retry import byte_view, check_timeout, deadline_of, remaining
from picoos.drivers.errors import (DriverClosedError, InvalidArgumentError,
                                   InvalidTypeError, MissingDependencyError,
                                   SerialConfigError, SerialDisconnectedError,
                                   SerialError, SerialTimeoutError)

__all__ = ["AsyncSerial", "default_port"]

logger = logging.getLogger("picoos.drivers")

# Where the board's main UART lives when no board profile says otherwise
# (Raspberry Pi OS links /dev/serial0 to the UART on the GPIO header).
FALLBACK_PORT = "/dev/serial0"

_READ_CHUNK = 4096
# Linux values; termios exposes them only on some Python builds.
_TIOCSBRK = getattr(termios, "TIOCSBRK", 0x5427)
_TIOCCBRK = getattr(termios, "TIOCCBRK", 0x5428)
_TIOCINQ = getattr(termios, "TIOCINQ", getattr(termios, "FIONREAD", 0x541B))
_TIOCOUTQ = getattr(termios, "TIOCOUTQ", 0x5411)
# errnos with which a tty says "the device is gone"
_HANGUP_ERRNOS = (errno.EIO, errno.ENXIO, errno.ENODEV)
# drain() sleeps at most this long between looks at the output queue, so a
# port whose baud rate is not what we think still finishes promptly.
_DRAIN_MAX_NAP = 0.05

Buffer = Union[bytes, bytearray, memoryview]


def _import_pyserial():
    try:
        import serial
    except ImportError as exc:
        raise MissingDependencyError(
            "AsyncSerial needs pyserial, which is not installed: "
            "pip install picoos[serial]  (or: pip install pyserial)") from exc
    if not hasattr(serial, "Serial"):
        raise MissingDependencyError(
            "the 'serial' module found (%s) is not pyserial; install it with "
            "pip install picoos[serial]" % getattr(serial, "__file__", "?"))
    return serial


def default_port() -> str:
    """The detected board's header UART (``picoos.drivers.board.default_uart``),
    or ``/dev/serial0`` when the board module is not available.

    Raises the board module's ``BoardError`` when the board is known to
    have no header UART (pass a port path then).
    """
    try:
        from picoos.drivers import board
    except ImportError as exc:
        if getattr(exc, "name", None) not in ("picoos.drivers.board", None):
            raise
        return FALLBACK_PORT
    default_uart = getattr(board, "default_uart", None)
    if default_uart is None:
        return FALLBACK_PORT
    return default_uart(required=True)


def _ioctl_int(fd: int, request: int) -> int:
    return struct.unpack("i", fcntl.ioctl(fd, request, b"\0\0\0\0"))[0]


class AsyncSerial:
    """A serial port opened and configured by pyserial, read and written
    through the picoos notifier.

    ``port`` is a device path (None: the board's default UART, see
    ``default_port()``); the other arguments are pyserial's and mean the
    same (``bytesize`` 5-8, ``parity`` 'N' 'E' 'O' 'M' 'S', ``stopbits``
    1, 1.5, 2); extra keyword arguments go to ``serial.Serial``.

    Raises ``MissingDependencyError`` (an ``ImportError``) without
    pyserial, ``SerialConfigError`` (a ``ValueError``) for a bad setting,
    ``SerialError`` (an ``OSError``) if the port cannot be opened.
    """

    def __init__(self, port: Optional[str] = None, baudrate: int = 115200,
                 bytesize: int = 8, parity: str = "N", stopbits: float = 1,
                 rtscts: bool = False, xonxoff: bool = False, dsrdtr: bool = False,
                 exclusive: Optional[bool] = None, **serial_kwargs: Any) -> None:
        pyserial = _import_pyserial()
        if port is None:
            port = default_port()
        if not isinstance(port, (str, os.PathLike)):
            raise InvalidTypeError("port must be a device path (str), got %r" % (port,))
        port = os.fspath(port)
        if isinstance(baudrate, bool) or not isinstance(baudrate, int) or baudrate <= 0:
            raise SerialConfigError("baudrate must be a positive int, got %r" % (baudrate,))
        for name in ("timeout", "write_timeout", "inter_byte_timeout"):
            if name in serial_kwargs:
                raise InvalidArgumentError(
                    "%s is not a port setting here: pass timeout= to each read or "
                    "write instead" % name)
        self._port = port
        self._rbuf = bytearray()
        # Set when the device hung up, so tasks woken by the close learn why.
        self._hung_up = False
        try:
            self._serial = pyserial.Serial(
                port=port, baudrate=baudrate, bytesize=bytesize, parity=parity,
                stopbits=stopbits, rtscts=rtscts, xonxoff=xonxoff, dsrdtr=dsrdtr,
                exclusive=exclusive, timeout=0, **serial_kwargs)
        except ValueError as exc:
            raise SerialConfigError("cannot configure %s: %s" % (port, exc)) from exc
        except pyserial.SerialException as exc:
            code = _errno_of(exc)
            hint = " (not a terminal device)" if code == errno.ENOTTY else ""
            raise SerialError(code, "cannot open serial port %s%s: %s"
                              % (port, hint, exc)) from exc
        self._pyserial = pyserial
        self._fd = self._serial.fileno()
        try:
            self._make_raw_nonblocking()
        except BaseException:
            self._serial.close()
            raise
        logger.debug("opened %s at %d baud", port, baudrate)

    def _make_raw_nonblocking(self) -> None:
        # pyserial leaves VMIN=0 with timeout=0; then a read with no data
        # returns 0 bytes, which we could not tell from a hang-up.  VMIN=1
        # plus O_NONBLOCK makes "no data" EAGAIN and 0 bytes mean hang-up.
        attrs = termios.tcgetattr(self._fd)
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        termios.tcsetattr(self._fd, termios.TCSANOW, attrs)
        os.set_blocking(self._fd, False)

    # ------------------------------------------------------------ basics
    @property
    def port(self) -> str:
        return self._port

    @property
    def serial(self):
        """The underlying ``serial.Serial`` (for settings; do not read or
        write through it).  After changing settings on it call
        ``configure()`` with no arguments."""
        return self._serial

    def configure(self, **settings: Any) -> None:
        """Change port settings (``baudrate=9600``, ``parity='E'``, ...)
        through pyserial.  Raises ``SerialConfigError`` for a bad value."""
        self._check_open()
        for name, value in settings.items():
            if name in ("timeout", "write_timeout", "inter_byte_timeout", "port"):
                raise InvalidArgumentError("%s cannot be changed with configure()" % name)
            if not hasattr(self._serial, name):
                raise InvalidArgumentError("unknown serial setting %r" % name)
            try:
                setattr(self._serial, name, value)
            except ValueError as exc:
                raise SerialConfigError("%s=%r rejected for %s: %s"
                                        % (name, value, self._port, exc)) from exc
            except self._pyserial.SerialException as exc:
                raise SerialError(_errno_of(exc), "applying %s=%r to %s failed: %s"
                                  % (name, value, self._port, exc)) from exc
        # pyserial rewrote the termios settings (VMIN among them)
        self._make_raw_nonblocking()

    @property
    def baudrate(self) -> int:
        return self._serial.baudrate

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def fileno(self) -> int:
        return self._check_open()

    def _check_open(self) -> int:
        if self._fd < 0:
            if self._hung_up:
                raise SerialDisconnectedError(
                    "serial port %s hung up earlier and is closed" % self._port)
            raise DriverClosedError("serial port %s is closed" % self._port)
        return self._fd

    def close(self) -> None:
        """Close the port; tasks waiting on it are woken with
        ``ClosedResourceError``.  Closing twice is harmless."""
        fd = self._fd
        if fd < 0:
            return
        self._fd = -1
        fd_closed(fd)
        try:
            self._serial.close()
        except Exception as exc:   # pyserial may fail to restore a dead port
            logger.debug("closing %s: %s", self._port, exc)
        logger.debug("closed %s", self._port)

    def _hang_up(self, cause: Optional[BaseException]) -> None:
        """The device went away: close the port and raise in this task."""
        self._hung_up = True
        self.close()
        raise SerialDisconnectedError(
            "serial port %s hung up (device unplugged, or the other end of the "
            "pty closed); the port is closed now" % self._port) from cause

    def _closed_while_waiting(self, exc: ClosedResourceError) -> None:
        if self._hung_up:
            raise SerialDisconnectedError(
                "serial port %s hung up while this task waited on it" % self._port) from exc
        raise exc

    def __enter__(self) -> "AsyncSerial":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    async def __aenter__(self) -> "AsyncSerial":
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        self.close()

    def __aiter__(self) -> "AsyncSerial":
        return self

    async def __anext__(self) -> bytes:
        # Lines until the port is closed; a hang-up raises, as anywhere else.
        if self._fd < 0 and not self._hung_up:
            raise StopAsyncIteration
        return await self.readline()

    def __repr__(self) -> str:
        return "<AsyncSerial %s %s>" % (self._port, "closed" if self._fd < 0 else "open")

    # -------------------------------------------------------------- reading
    @property
    def in_waiting(self) -> int:
        """Bytes that can be read without waiting."""
        return len(self._rbuf) + _ioctl_int(self._check_open(), _TIOCINQ)

    @property
    def out_waiting(self) -> int:
        """Bytes written but not yet sent by the driver."""
        return _ioctl_int(self._check_open(), _TIOCOUTQ)

    def _fill(self, deadline: Optional[float]):
        """Generator: read what is there into the buffer.  True when some
        data came, False when the deadline passed first."""
        while True:
            fd = self._check_open()
            try:
                data = os.read(fd, _READ_CHUNK)
            except BlockingIOError:
                data = None
            except OSError as exc:
                if exc.errno in _HANGUP_ERRNOS:
                    self._hang_up(exc)
                raise SerialError(exc.errno, "read from %s failed: %s"
                                  % (self._port, exc.strerror)) from exc
            if data is not None:
                if not data:
                    self._hang_up(None)
                self._rbuf += data
                return True
            left = remaining(deadline)
            if left is not None and left <= 0:
                return False
            try:
                ready = yield wait_readable(fd, left)
            except ClosedResourceError as exc:
                self._closed_while_waiting(exc)
            if not ready:
                return False

    def _take(self, n: int) -> bytes:
        data = bytes(self._rbuf[:n])
        del self._rbuf[:n]
        return data

    def _timed_out(self, what: str, timeout: Optional[float]) -> SerialTimeoutError:
        return SerialTimeoutError(
            "%s on %s: not complete within %s s (%d bytes received so far are kept "
            "for the next read)" % (what, self._port, timeout, len(self._rbuf)))

    @coro
    def read(self, size: int = 1, timeout: Optional[float] = None):
        """Return between 1 and ``size`` bytes, as soon as any arrived.

        Raises ``SerialTimeoutError`` (a ``TimeoutError``) if nothing came
        within ``timeout`` seconds, ``SerialDisconnectedError`` on hang-up.
        """
        size = _positive_int("size", size)
        check_timeout(timeout)
        self._check_open()
        if not self._rbuf:
            if not (yield self._fill(deadline_of(timeout))):
                raise self._timed_out("read", timeout)
        return self._take(size)

    @coro
    def read_exactly(self, size: int, timeout: Optional[float] = None):
        """Return exactly ``size`` bytes (a length-prefixed frame, say).
        On timeout what came stays buffered and ``SerialTimeoutError`` is
        raised."""
        size = _positive_int("size", size)
        check_timeout(timeout)
        self._check_open()
        deadline = deadline_of(timeout)
        while len(self._rbuf) < size:
            if not (yield self._fill(deadline)):
                raise self._timed_out("read_exactly(%d)" % size, timeout)
        return self._take(size)

    @coro
    def read_until(self, terminator: bytes = b"\n", size: Optional[int] = None,
                   timeout: Optional[float] = None):
        """Read up to and including ``terminator`` (or ``size`` bytes, if
        that comes first).  On timeout the partial data stays buffered and
        ``SerialTimeoutError`` is raised."""
        if not isinstance(terminator, (bytes, bytearray)) or not terminator:
            raise InvalidTypeError("terminator must be non-empty bytes, got %r" % (terminator,))
        if size is not None:
            size = _positive_int("size", size)
        check_timeout(timeout)
        self._check_open()
        deadline = deadline_of(timeout)
        searched = 0
        tlen = len(terminator)
        while True:
            pos = self._rbuf.find(terminator, max(0, searched - tlen + 1))
            if pos >= 0 and (size is None or pos + tlen <= size):
                return self._take(pos + tlen)
            if size is not None and len(self._rbuf) >= size:
                return self._take(size)
            searched = len(self._rbuf)
            if not (yield self._fill(deadline)):
                raise self._timed_out("read_until(%r)" % (bytes(terminator),), timeout)

    def readline(self, size: Optional[int] = None, timeout: Optional[float] = None):
        """A line ending in ``b'\\n'`` (see ``read_until``)."""
        return self.read_until(b"\n", size, timeout)

    def reset_input_buffer(self) -> None:
        """Throw away everything received and not read yet."""
        fd = self._check_open()
        self._rbuf = bytearray()
        termios.tcflush(fd, termios.TCIFLUSH)

    def reset_output_buffer(self) -> None:
        """Throw away everything written and not sent yet."""
        termios.tcflush(self._check_open(), termios.TCOFLUSH)

    # -------------------------------------------------------------- writing
    @coro
    def write(self, data: Buffer, timeout: Optional[float] = None):
        """Write all of ``data``; return its length.

        Waits in the notifier whenever the output buffer is full.  Raises
        ``SerialTimeoutError`` (with ``.written`` set) if ``timeout``
        seconds pass first, ``SerialDisconnectedError`` on hang-up,
        ``InvalidTypeError`` for ``str``.  One writer task at a time.
        """
        view = byte_view(data)
        check_timeout(timeout)
        self._check_open()
        deadline = deadline_of(timeout)
        written = 0
        while written < len(view):
            fd = self._check_open()
            try:
                written += os.write(fd, view[written:])
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                if exc.errno in _HANGUP_ERRNOS:
                    self._hang_up(exc)
                raise SerialError(exc.errno, "write to %s failed: %s"
                                  % (self._port, exc.strerror)) from exc
            left = remaining(deadline)
            ready = False
            if left is None or left > 0:
                try:
                    ready = yield wait_writable(fd, left)
                except ClosedResourceError as exc:
                    self._closed_while_waiting(exc)
            if not ready:
                err = SerialTimeoutError(
                    "write on %s: %d of %d bytes written within %s s"
                    % (self._port, written, len(view), timeout))
                err.written = written
                raise err
        return written

    def _char_time(self) -> float:
        s = self._serial
        bits = 1 + s.bytesize + (0 if s.parity == "N" else 1) + float(s.stopbits)
        return bits / float(s.baudrate)

    @coro
    def drain(self, timeout: Optional[float] = None):
        """Wait until the driver has sent everything written.

        Sleeps about as long as the queued bytes take at the port's baud
        rate, then looks again; no busy loop and no thread.  (Bytes in the
        UART's own FIFO, at most a few dozen, may still be on the wire.)
        Raises ``SerialTimeoutError`` on ``timeout``.
        """
        check_timeout(timeout)
        deadline = deadline_of(timeout)
        while True:
            queued = _ioctl_int(self._check_open(), _TIOCOUTQ)
            if not queued:
                return None
            left = remaining(deadline)
            if left is not None and left <= 0:
                raise SerialTimeoutError("drain on %s: %d bytes still queued after %s s"
                                         % (self._port, queued, timeout))
            nap = min(max(queued * self._char_time(), 0.001), _DRAIN_MAX_NAP)
            yield sleep(nap if left is None else min(nap, left))

    flush = drain

    @coro
    def send_break(self, duration: float = 0.25):
        """Hold the line in the break condition for ``duration`` seconds
        (the task sleeps meanwhile; other tasks run)."""
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) \
                or not duration > 0:
            raise InvalidArgumentError("duration must be seconds > 0, got %r" % (duration,))
        fd = self._check_open()
        fcntl.ioctl(fd, _TIOCSBRK)
        try:
            yield sleep(duration)
        finally:
            if self._fd >= 0:
                fcntl.ioctl(self._fd, _TIOCCBRK)


def _errno_of(exc: BaseException) -> int:
    """The errno behind a pyserial error (it often keeps it only in the
    termios.error or OSError it was raised from)."""
    for e in (exc, exc.__cause__, exc.__context__):
        code = getattr(e, "errno", None)
        if isinstance(code, int):
            return code
        args = getattr(e, "args", ())
        if args and isinstance(args[0], int):
            return args[0]
    return errno.EIO


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError("%s must be an int, got %r" % (name, value))
    if value < 1:
        raise InvalidArgumentError("%s must be >= 1, got %d" % (name, value))
    return value
