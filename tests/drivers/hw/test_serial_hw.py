"""AsyncSerial on a real 16550 UART, inside the hwvm VM.

The VM wires /dev/ttyS1 (``HWVM_UART``) to /dev/ttyS2 (``HWVM_UART_PEER``)
like a null-modem cable; both ends are opened with AsyncSerial, so the
real 8250 driver, its interrupts and its buffers are in the path that the
pty tests cannot reach.  Run with ``tests/hwvm_run.sh``.  The VM emulates
its CPU in software here (about 20x slower), hence the generous bounds;
they only matter if something hangs.

Not covered here: unplug.  The UART has no carrier to lose (the VM reports
the modem lines always on), so hang-up is tested with ptys only.
"""
import os
import struct

import pytest

import picoos
import picoos.drivers.serial as serial_mod
from picoos.drivers.errors import SerialTimeoutError
from picoos.drivers.serial import AsyncSerial
from picoos.kernel.traps import sleep

pytestmark = pytest.mark.hwvm

UART = os.environ.get("HWVM_UART")
PEER = os.environ.get("HWVM_UART_PEER")
if not (os.environ.get("HWVM") and UART and PEER):
    pytest.skip("needs the hwvm VM with a wired UART pair (HWVM_UART, HWVM_UART_PEER); "
                "run tests/hwvm_run.sh", allow_module_level=True)

# below the suite's 60 s hang watchdog, so a hang fails one test cleanly
BOUND = 50
BAUD = 115200


def open_pair():
    port, peer = AsyncSerial(UART, baudrate=BAUD), AsyncSerial(PEER, baudrate=BAUD)
    # whatever an earlier test or the boot left in the wires
    port.reset_input_buffer()
    peer.reset_input_buffer()
    return port, peer


def run(fn, *args):
    return picoos.run(fn, *args)


def echo_device(peer, count):
    for _ in range(count):
        line = yield peer.readline(timeout=BOUND)
        yield peer.write(b"OK " + line, timeout=BOUND)


def test_line_protocol_over_real_uart():
    commands = [b"AT\n", b"AT+VERSION\n", b"PING %d\n" % 12345]

    def main():
        port, peer = open_pair()
        with port, peer:
            dev = picoos.Task(echo_device, peer, len(commands))
            replies = []
            for cmd in commands:
                yield port.write(cmd, timeout=BOUND)
                replies.append((yield port.readline(timeout=BOUND)))
            yield dev.finish()
            return replies

    assert run(main) == [b"OK " + c for c in commands]


def test_length_prefixed_frames_over_real_uart():
    payloads = [bytes(range(256)), b"\n\x00\x11\x13\xff", os.urandom(1500), b""]

    def sender(peer):
        for p in payloads:
            yield peer.write(struct.pack(">H", len(p)) + p, timeout=BOUND)

    def main():
        port, peer = open_pair()
        with port, peer:
            t = picoos.Task(sender, peer)
            got = []
            for _ in payloads:
                (n,) = struct.unpack(">H", (yield port.read_exactly(2, timeout=BOUND)))
                got.append((yield port.read_exactly(n, timeout=BOUND)) if n else b"")
            yield t.finish()
            return got

    assert run(main) == payloads


def test_big_write_waits_for_the_uart(monkeypatch):
    # bigger than the driver's transmit buffer, smaller than what the
    # receiving tty buffers without flow control (64 KiB)
    payload = os.urandom(32 * 1024)
    waits = []
    real_wait = serial_mod.wait_writable
    monkeypatch.setattr(serial_mod, "wait_writable",
                        lambda *a, **k: waits.append(1) or real_wait(*a, **k))

    def reader(peer):
        got = bytearray()
        while len(got) < len(payload):
            got += yield peer.read(4096, timeout=BOUND)
            yield sleep(0)
        return bytes(got)

    def main():
        port, peer = open_pair()
        with port, peer:
            t = picoos.Task(reader, peer)
            n = yield port.write(payload, timeout=BOUND)
            yield port.drain(timeout=BOUND)
            assert port.out_waiting == 0
            return n, (yield t.finish())

    n, data = run(main)
    assert n == len(payload) and data == payload
    assert waits, "a 32 KiB write should have waited for the UART at least once"


def test_timeout_then_data_on_real_uart():
    def main():
        port, peer = open_pair()
        with port, peer:
            with pytest.raises(SerialTimeoutError):
                yield port.read(1, timeout=0.5)
            yield peer.write(b"12345", timeout=BOUND)
            yield peer.drain(timeout=BOUND)
            first = yield port.read(1, timeout=BOUND)
            rest = yield port.read_exactly(4, timeout=BOUND)
            return first + rest

    assert run(main) == b"12345"


def test_send_break_then_data_still_flows():
    def main():
        port, peer = open_pair()
        with port, peer:
            yield port.send_break(0.05)
            yield port.write(b"after\n", timeout=BOUND)
            # the break arrives as a NUL byte (raw mode, IGNBRK off) or not at all
            return (yield peer.readline(timeout=BOUND))

    line = run(main)
    assert line.lstrip(b"\x00") == b"after\n"


def test_framing_settings_reach_the_uart():
    import termios
    with AsyncSerial(UART, baudrate=9600, bytesize=7, parity="E", stopbits=2) as port:
        cflag, ispeed, cc = (lambda a: (a[2], a[4], a[6]))(termios.tcgetattr(port.fileno()))
        assert ispeed == termios.B9600
        assert (cflag & termios.CSIZE) == termios.CS7
        assert cflag & termios.PARENB and not cflag & termios.PARODD
        assert cflag & termios.CSTOPB
        assert cc[termios.VMIN] == 1
        port.configure(bytesize=8, parity="N", stopbits=1, baudrate=BAUD)
        cflag = termios.tcgetattr(port.fileno())[2]
        assert (cflag & termios.CSIZE) == termios.CS8 and not cflag & termios.PARENB


def test_same_framing_both_ends_passes_7e1_data():
    def main():
        port = AsyncSerial(UART, baudrate=BAUD, bytesize=7, parity="E")
        peer = AsyncSerial(PEER, baudrate=BAUD, bytesize=7, parity="E")
        port.reset_input_buffer()
        peer.reset_input_buffer()
        with port, peer:
            yield port.write(b"7E1 text\n", timeout=BOUND)
            return (yield peer.readline(timeout=BOUND))

    assert run(main) == b"7E1 text\n"
