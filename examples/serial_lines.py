"""A line protocol over a serial port with picoos.AsyncSerial.

Why: the everyday serial job on a board - send a command line, read the
reply line, with a timeout - written as picoos tasks, so a program can talk
to several devices (and do other work) at once without threads.

    python examples/serial_lines.py --port /dev/ttyUSB0 --baud 9600 AT ATI
    python examples/serial_lines.py --pty          # self-demo, no hardware

With ``--pty`` the script makes a pseudo-terminal, runs a small simulated
device on its far end (it answers every command with ``OK <command>`` and
``STATUS`` with a counter) and talks to it through the pty's device path,
exactly as it would through /dev/ttyS0.
"""
import argparse
import os
import sys
import tty

import picoos
from picoos.drivers.asyncfile import AsyncFile
from picoos.drivers.errors import SerialDisconnectedError, SerialTimeoutError
from picoos.drivers.serial import AsyncSerial


def simulated_device(master_fd):
    """The far end for --pty: answers each CR/LF-terminated command."""
    far = AsyncFile(master_fd)
    served = 0
    try:
        while True:
            line = yield far.readline()
            if not line:
                return served
            cmd = line.strip().decode(errors="replace")
            served += 1
            reply = "STATUS %d commands served" % served if cmd == "STATUS" else "OK " + cmd
            yield far.write((reply + "\r\n").encode(), full=True)
    finally:
        far.close()


def talk(port_path, baudrate, commands, timeout):
    """Send each command, print the reply; return the number answered."""
    answered = 0
    with AsyncSerial(port_path, baudrate=baudrate) as port:
        for cmd in commands:
            yield port.write(cmd.encode() + b"\r\n", timeout=timeout)
            try:
                reply = yield port.readline(timeout=timeout)
            except SerialTimeoutError:
                print("%-10s -> (no reply within %s s)" % (cmd, timeout))
                continue
            except SerialDisconnectedError as exc:
                print("device went away: %s" % exc)
                break
            answered += 1
            print("%-10s -> %s" % (cmd, reply.decode(errors="replace").rstrip()))
    return answered


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("commands", nargs="*", help="command lines to send (default: a demo set)")
    ap.add_argument("--port", help="serial device (default: the board's UART)")
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for a reply")
    ap.add_argument("--pty", action="store_true",
                    help="self-demo: talk to a simulated device on a pseudo-terminal")
    args = ap.parse_args(argv)
    commands = args.commands or ["AT", "ATI", "STATUS", "AT+RESET", "STATUS"]

    if not args.pty:
        answered = picoos.run(talk, args.port, args.baud, commands, args.timeout)
        return 0 if answered == len(commands) else 1

    master, slave = os.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    os.close(slave)
    print("simulated device on %s" % path)

    def demo():
        device = picoos.Task(simulated_device, master)
        answered = yield talk(path, args.baud, commands, args.timeout)
        # our port is closed now: the device reads EOF and finishes
        served = yield device.finish()
        print("device served %s commands" % served)
        return answered

    answered = picoos.run(demo)
    return 0 if answered == len(commands) else 1


if __name__ == "__main__":
    sys.exit(main())
