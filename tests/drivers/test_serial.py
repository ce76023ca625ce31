"""AsyncSerial against real pseudo-terminals.

The slave side of a pty is opened by path with AsyncSerial, exactly as a
UART device node would be; the master side (raw mode) plays the device at
the other end of the cable, through an AsyncFile in the same kernel.  Every
test runs its own kernel with ``picoos.run``; nothing sleeps to wait for
something to happen.
"""
import errno
import os
import struct
import sys
import tty

import pytest

import picoos
import picoos.drivers.serial as serial_mod
from picoos.drivers.asyncfile import AsyncFile
from picoos.drivers.errors import (DriverClosedError, DriverError,
                                   InvalidArgumentError, InvalidTypeError,
                                   MissingDependencyError, SerialConfigError,
                                   SerialDisconnectedError, SerialError,
                                   SerialTimeoutError)
from picoos.drivers.serial import AsyncSerial
from picoos.kernel.scheduler import Kernel
from picoos.kernel.traps import sleep

BOUND = 30   # seconds; only a hang reaches it


class Pty:
    """A pseudo-terminal: ``path`` for AsyncSerial, ``master`` fd for the
    far end.  ``hang_up()`` is the cable being pulled."""

    def __init__(self):
        self.master, slave = os.openpty()
        tty.setraw(self.master)
        self.path = os.ttyname(slave)
        # AsyncSerial opens its own fd on the path; ours is not needed.
        os.close(slave)
        self.far = None

    def far_end(self):
        """The master side as an AsyncFile (call inside the kernel)."""
        if self.far is None:
            self.far = AsyncFile(self.master)
        return self.far

    def hang_up(self):
        if self.far is not None:
            self.far.close()
        else:
            os.close(self.master)
        self.master = -1

    def close(self):
        if self.master >= 0:
            self.hang_up()


@pytest.fixture
def pty_pair():
    p = Pty()
    yield p
    p.close()


class Counter:
    """Wraps a kernel wait trap factory and counts the calls."""

    def __init__(self, real):
        self.real, self.calls = real, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


@pytest.fixture
def wait_counts(monkeypatch):
    r = Counter(serial_mod.wait_readable)
    w = Counter(serial_mod.wait_writable)
    monkeypatch.setattr(serial_mod, "wait_readable", r)
    monkeypatch.setattr(serial_mod, "wait_writable", w)
    return r, w


# ------------------------------------------------------------ line protocol
def device_echo(far, stop=b"QUIT\n"):
    """The device: answers each command line with 'OK <command>'."""
    buf = b""
    while True:
        chunk = yield far.read(256, timeout=BOUND)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield far.write(b"OK " + line + b"\r\n", full=True, timeout=BOUND)
            if line + b"\n" == stop:
                return


def test_line_protocol_request_reply(pty_pair, notifier):
    def main():
        far = pty_pair.far_end()
        dev = picoos.Task(device_echo, far)
        replies = []
        with AsyncSerial(pty_pair.path, baudrate=9600) as port:
            for cmd in (b"AT\n", b"AT+GMR\n", b"QUIT\n"):
                n = yield port.write(cmd, timeout=BOUND)
                assert n == len(cmd)
                replies.append((yield port.readline(timeout=BOUND)))
            yield port.drain(timeout=BOUND)
        yield dev.finish()
        return replies

    assert Kernel(notifier=notifier).run(main) == [b"OK AT\r\n", b"OK AT+GMR\r\n", b"OK QUIT\r\n"]


def test_read_until_custom_terminator_and_size(pty_pair):
    def main():
        with AsyncSerial(pty_pair.path) as port:
            # (written after opening: opening a port flushes its input)
            os.write(pty_pair.master, b"abc>>def>>ghijklmno")
            return [(yield port.read_until(b">>", timeout=BOUND)),
                    (yield port.read_until(b">>", timeout=BOUND)),
                    (yield port.read_until(b">>", size=4, timeout=BOUND)),
                    (yield port.read(100, timeout=BOUND))]

    assert run(main) == [b"abc>>", b"def>>", b"ghij", b"klmno"]


def test_terminator_split_across_reads(pty_pair):
    def far_writer(far):
        for part in (b"hello\r", b"\nworld\r", b"\n"):
            yield far.write(part, full=True)
            yield sleep(0.01)

    def main():
        t = picoos.Task(far_writer, pty_pair.far_end())
        with AsyncSerial(pty_pair.path) as port:
            lines = [(yield port.read_until(b"\r\n", timeout=BOUND)),
                     (yield port.read_until(b"\r\n", timeout=BOUND))]
        yield t.finish()
        return lines

    assert run(main) == [b"hello\r\n", b"world\r\n"]


def test_async_for_lines_in_async_def_task(pty_pair):
    async def main():
        got = []
        async with AsyncSerial(pty_pair.path) as port:
            os.write(pty_pair.master, b"$GPGGA,1\n$GPGGA,2\n$END\n")
            async for line in port:
                got.append(line)
                if line == b"$END\n":
                    break
        return got

    assert run(main) == [b"$GPGGA,1\n", b"$GPGGA,2\n", b"$END\n"]


# ---------------------------------------------------------- binary framing
def frame(payload):
    return struct.pack(">H", len(payload)) + payload


def test_length_prefixed_frames_in_odd_chunks(pty_pair):
    # payloads full of newlines, zeros, XON/XOFF bytes: raw mode passes them
    payloads = [bytes(range(256)), b"", b"\n\n\x00\x11\x13", os.urandom(3000), b"x"]
    stream = b"".join(frame(p) for p in payloads)

    def far_writer(far):
        pos, step = 0, 1
        while pos < len(stream):
            yield far.write(stream[pos:pos + step], full=True, timeout=BOUND)
            pos += step
            step = step * 3 % 1021 + 1      # 1, 4, 13, 40, ... odd sizes
            yield sleep(0)

    def main():
        t = picoos.Task(far_writer, pty_pair.far_end())
        got = []
        with AsyncSerial(pty_pair.path) as port:
            for _ in payloads:
                (length,) = struct.unpack(">H", (yield port.read_exactly(2, timeout=BOUND)))
                got.append((yield port.read_exactly(length, timeout=BOUND)) if length else b"")
        yield t.finish()
        return got

    assert run(main) == payloads


def test_big_write_while_far_side_drains_slowly(pty_pair, wait_counts, notifier):
    wait_r, wait_w = wait_counts
    payload = os.urandom(256 * 1024)    # many times the pty's buffer
    reads = []

    def slow_reader(far):
        got = bytearray()
        while len(got) < len(payload):
            chunk = yield far.read(1024, timeout=BOUND)
            assert chunk, "pty closed early"
            got += chunk
            reads.append(len(chunk))
            yield sleep(0.0005)
        return bytes(got)

    def main():
        t = picoos.Task(slow_reader, pty_pair.far_end())
        with AsyncSerial(pty_pair.path) as port:
            n = yield port.write(payload, timeout=BOUND)
            yield port.drain(timeout=BOUND)
        return n, (yield t.finish())

    n, data = Kernel(notifier=notifier).run(main)
    assert n == len(payload) and data == payload
    # the writer had to wait for room, and it waited in the notifier: at
    # most one wake-up per read the far side made (a busy loop would show
    # thousands more)
    assert 0 < wait_w.calls <= len(reads) + 1


# ---------------------------------------------------------------- timeouts
def test_read_timeout_then_data_is_not_lost(pty_pair):
    def main():
        with AsyncSerial(pty_pair.path) as port:
            with pytest.raises(SerialTimeoutError) as info:
                yield port.read(10, timeout=0.05)
            os.write(pty_pair.master, b"partial")
            with pytest.raises(SerialTimeoutError):
                yield port.readline(timeout=0.05)
            assert port.in_waiting == 7
            os.write(pty_pair.master, b" line\n")
            line = yield port.readline(timeout=BOUND)
            return info.value, line

    err, line = run(main)
    assert isinstance(err, TimeoutError) and isinstance(err, DriverError)
    assert "within 0.05 s" in str(err)
    assert line == b"partial line\n"


def test_write_timeout_reports_bytes_written(pty_pair):
    def main():
        with AsyncSerial(pty_pair.path) as port:
            with pytest.raises(SerialTimeoutError) as info:
                # nobody reads the far side, so the pty fills up
                yield port.write(b"z" * (1 << 20), timeout=0.1)
            return info.value

    err = run(main)
    assert 0 < err.written < (1 << 20)
    assert "bytes written within 0.1 s" in str(err)


def test_reset_input_buffer_and_in_waiting(pty_pair):
    def main():
        with AsyncSerial(pty_pair.path) as port:
            os.write(pty_pair.master, b"stale data\nmore")
            first = yield port.read(5, timeout=BOUND)
            port.reset_input_buffer()
            assert port.in_waiting == 0
            os.write(pty_pair.master, b"fresh\n")
            return first, (yield port.readline(timeout=BOUND))

    assert run(main) == (b"stale", b"fresh\n")


def test_send_break_and_reset_output_buffer(pty_pair):
    def main():
        with AsyncSerial(pty_pair.path) as port:
            yield port.send_break(0.01)
            port.reset_output_buffer()
            assert port.out_waiting == 0
            yield port.write(b"after break\n", timeout=BOUND)
        far = pty_pair.far_end()
        return (yield far.read(100, timeout=BOUND))

    assert run(main).endswith(b"after break\n")


# ------------------------------------------------------------------ unplug
def test_unplug_wakes_waiting_reader_once(pty_pair, wait_counts, notifier):
    wait_r, _ = wait_counts

    def unplug():
        pty_pair.hang_up()
        yield sleep(0)

    def main():
        port = AsyncSerial(pty_pair.path)
        picoos.Task(unplug)
        with pytest.raises(SerialDisconnectedError) as info:
            yield port.readline(timeout=BOUND)
        assert port.closed
        with pytest.raises(SerialDisconnectedError):
            yield port.read(1)          # later calls say why, too
        port.close()
        return info.value

    err = Kernel(notifier=notifier).run(main)
    assert isinstance(err, ConnectionError) and isinstance(err, DriverError)
    assert "hung up" in str(err)
    assert wait_r.calls == 1            # parked once, woken once, no spinning


def test_unplug_wakes_blocked_writer_and_reader(pty_pair, wait_counts, notifier):
    wait_r, wait_w = wait_counts
    outcome = {}

    def reader(port):
        try:
            yield port.read(1, timeout=BOUND)
        except SerialDisconnectedError:
            outcome["reader"] = "disconnected"

    def writer(port):
        try:
            yield port.write(b"w" * (1 << 20), timeout=BOUND)
        except SerialDisconnectedError:
            outcome["writer"] = "disconnected"

    def main():
        port = AsyncSerial(pty_pair.path)
        tr, tw = picoos.Task(reader, port), picoos.Task(writer, port)
        while wait_w.calls == 0 or wait_r.calls == 0:   # both parked
            yield sleep(0)
        pty_pair.hang_up()
        yield tr.finish()
        yield tw.finish()
        return port.closed

    assert Kernel(notifier=notifier).run(main) is True
    assert outcome == {"reader": "disconnected", "writer": "disconnected"}
    assert wait_r.calls == 1 and wait_w.calls == 1


def test_unplug_before_write(pty_pair):
    def main():
        port = AsyncSerial(pty_pair.path)
        pty_pair.hang_up()
        with pytest.raises(SerialDisconnectedError):
            yield port.write(b"hello")
        return port.closed

    assert run(main) is True


def test_close_wakes_waiter_and_later_calls_fail(pty_pair):
    def waiter(port, seen):
        try:
            yield port.read(1)
        except OSError as exc:
            seen.append(exc.errno)

    def main():
        seen = []
        port = AsyncSerial(pty_pair.path)
        t = picoos.Task(waiter, port, seen)
        yield sleep(0)
        yield sleep(0)
        port.close()
        yield t.finish()
        with pytest.raises(DriverClosedError):
            yield port.read(1)
        port.close()
        return seen

    assert run(main) == [errno.EBADF]


def test_context_manager_propagates_and_closes(pty_pair):
    with pytest.raises(ZeroDivisionError):
        with AsyncSerial(pty_pair.path) as port:
            1 / 0
    assert port.closed


# ---------------------------------------------------------------- settings
def test_settings_reach_the_tty(pty_pair):
    import termios
    with AsyncSerial(pty_pair.path, baudrate=9600, stopbits=2, rtscts=True) as port:
        iflag, oflag, cflag, lflag, ispeed, ospeed, cc = termios.tcgetattr(port.fileno())
        assert ispeed == ospeed == termios.B9600
        # (a pty forces CS8 and no parity; tests/drivers/hw checks those on a UART)
        assert cflag & termios.CSTOPB and cflag & termios.CRTSCTS
        assert not lflag & (termios.ICANON | termios.ECHO)      # raw
        assert cc[termios.VMIN] == 1 and cc[termios.VTIME] == 0  # 0 bytes = hang-up
        assert not os.get_blocking(port.fileno())
        port.configure(baudrate=57600, stopbits=1)
        iflag, oflag, cflag, lflag, ispeed, ospeed, cc = termios.tcgetattr(port.fileno())
        assert ispeed == termios.B57600 and not cflag & termios.CSTOPB
        assert cc[termios.VMIN] == 1


# ------------------------------------------------------------- bad input
def test_bad_settings_are_clear_errors(pty_pair):
    with pytest.raises(SerialConfigError) as info:
        AsyncSerial(pty_pair.path, baudrate=-5)
    assert "positive int" in str(info.value)
    with pytest.raises(SerialConfigError) as info:
        AsyncSerial(pty_pair.path, parity="X")
    assert isinstance(info.value, ValueError) and pty_pair.path in str(info.value)
    with pytest.raises(SerialConfigError):
        AsyncSerial(pty_pair.path, bytesize=9)
    with pytest.raises(InvalidArgumentError) as info:
        AsyncSerial(pty_pair.path, timeout=1)
    assert "pass timeout= to each read" in str(info.value)
    with pytest.raises(InvalidTypeError):
        AsyncSerial(1234)


def test_missing_port_is_serial_error(tmp_path):
    with pytest.raises(SerialError) as info:
        AsyncSerial(str(tmp_path / "ttyNOPE"))
    assert info.value.errno == errno.ENOENT
    assert isinstance(info.value, OSError) and "ttyNOPE" in str(info.value)
    with pytest.raises(SerialError) as info:
        AsyncSerial(os.devnull)
    assert info.value.errno == errno.ENOTTY
    assert "not a terminal device" in str(info.value)


def test_bad_call_arguments(pty_pair):
    def main():
        with AsyncSerial(pty_pair.path) as port:
            for call, exc in ((lambda: port.read(0), InvalidArgumentError),
                              (lambda: port.read("1"), InvalidTypeError),
                              (lambda: port.read_until(b""), InvalidTypeError),
                              (lambda: port.read_until("\n"), InvalidTypeError),
                              (lambda: port.write("text"), InvalidTypeError),
                              (lambda: port.read(1, timeout=-1), InvalidArgumentError),
                              (lambda: port.send_break(0), InvalidArgumentError)):
                with pytest.raises(exc):
                    yield call()
            with pytest.raises(InvalidArgumentError):
                port.configure(no_such_setting=1)
            with pytest.raises(SerialConfigError):
                port.configure(baudrate="fast")
            port.configure(baudrate=9600)
            assert port.baudrate == 9600
            # configure() keeps the port non-blocking with VMIN=1
            os.write(pty_pair.master, b"ok\n")
            return (yield port.readline(timeout=BOUND))

    assert run(main) == b"ok\n"


def test_missing_pyserial_names_the_extra(monkeypatch, pty_pair):
    monkeypatch.setitem(sys.modules, "serial", None)   # import serial -> ImportError
    with pytest.raises(MissingDependencyError) as info:
        AsyncSerial(pty_pair.path)
    assert isinstance(info.value, ImportError)
    assert "pip install picoos[serial]" in str(info.value)


def test_default_port_comes_from_board_module(monkeypatch):
    import types
    board = types.ModuleType("picoos.drivers.board")
    board.default_uart = lambda required=False: "/dev/ttyAMA0"
    monkeypatch.setitem(sys.modules, "picoos.drivers.board", board)
    import picoos.drivers
    monkeypatch.setattr(picoos.drivers, "board", board, raising=False)
    assert serial_mod.default_port() == "/dev/ttyAMA0"


def test_board_without_uart_is_a_clear_error(monkeypatch):
    import types
    import picoos.drivers

    class BoardError(Exception):
        pass

    def default_uart(required=False):
        assert required, "AsyncSerial(port=None) must ask for a UART it can open"
        raise BoardError("board generic has no known header UART; pass the serial device path")

    board = types.ModuleType("picoos.drivers.board")
    board.default_uart = default_uart
    monkeypatch.setitem(sys.modules, "picoos.drivers.board", board)
    monkeypatch.setattr(picoos.drivers, "board", board, raising=False)
    with pytest.raises(BoardError, match="pass the serial device path"):
        AsyncSerial()


def test_port_none_opens_the_default_port(monkeypatch, pty_pair):
    monkeypatch.setattr(serial_mod, "default_port", lambda: pty_pair.path)
    with AsyncSerial() as port:
        assert port.port == pty_pair.path


def run(fn, *args):
    return picoos.run(fn, *args)


# -------------------------------------------------- timeouts on a fake clock
def test_timeouts_follow_the_kernel_clock(kernel, pty_pair):
    # the conftest kernel runs on an autojumping FakeClock: a 500 s timeout
    # expires at once in real time, exactly 500 s later in kernel time
    def main():
        with AsyncSerial(pty_pair.path) as port:
            start = kernel.clock.now()
            with pytest.raises(SerialTimeoutError):
                yield port.readline(timeout=500)
            return kernel.clock.now() - start

    assert kernel.run(main) == pytest.approx(500)


def test_default_port_falls_back_without_board_module(monkeypatch):
    import picoos.drivers
    monkeypatch.setitem(sys.modules, "picoos.drivers.board", None)
    monkeypatch.delattr(picoos.drivers, "board", raising=False)
    assert serial_mod.default_port() == "/dev/serial0"


def test_serial_lines_example_pty_self_demo():
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(root, "examples", "serial_lines.py"),
                           "--pty", "HELLO", "STATUS"],
                          capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout.decode()
    assert "HELLO      -> OK HELLO" in out
    assert "STATUS     -> STATUS 2 commands served" in out
    assert "device served 2 commands" in out
