#!/usr/bin/env python3
"""Button -> LED with picoos: the LED follows a push button, driven by edge events.

Why this example exists: it is the smallest whole program that shows the
GPIO driver the way it is meant to be used - chip found by label, lines by
name, the button's edges read by a task through the notifier (no thread, no
callback, no polling loop), and the same code running on a Raspberry Pi and,
with --fake, on a desktop.

Wiring on a Pi (40-pin header): a push button from pin 11 (GPIO17) to
ground (pin 9), an LED with a ~330 ohm resistor from pin 13 (GPIO27) to
ground (pin 14).  The button line uses the SoC's pull-up and is active-low,
so "pressed" reads as 1 and a press is a rising edge.

    python3 examples/button_led.py                 # on a Pi: Ctrl-C to stop
    python3 examples/button_led.py --presses 5     # stop after five presses
    python3 examples/button_led.py --fake          # desktop: a task "presses"

With --fake, a second task plays the finger: it presses and releases the
button a few times through the fake backend, and the LED's history is
printed at the end.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional

import picoos
from picoos.drivers import board
from picoos.drivers.gpio import Chip, FakeBackend, GpioError
from picoos.kernel.traps import sleep


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="An LED that follows a push button (picoos GPIO edges).")
    p.add_argument("--fake", action="store_true",
                   help="use the fake GPIO backend and simulate the button presses")
    p.add_argument("--chip", help="GPIO chip label or path (default: the detected board's header chip)")
    p.add_argument("--button", default="GPIO17", help="button line name (default GPIO17, pin 11)")
    p.add_argument("--led", default="GPIO27", help="LED line name (default GPIO27, pin 13)")
    p.add_argument("--presses", type=int, default=None,
                   help="stop after this many presses (default: run until Ctrl-C; 3 with --fake)")
    p.add_argument("--interval", type=float, default=0.2,
                   help="with --fake: seconds between simulated button changes")
    p.add_argument("-v", "--verbose", action="store_true", help="log picoos warnings and debug output")
    args = p.parse_args(argv)
    if args.fake and args.presses is None:
        args.presses = 3
    if args.presses is not None and args.presses < 1:
        p.error("--presses must be at least 1")
    return args


def follow(chip: Chip, button_name: str, led_name: str, presses: Optional[int]):
    """The program proper: mirror the button onto the LED, edge by edge."""
    async def run(task=None):
        button = chip.request_input(button_name, bias="pull-up", active_low=True,
                                    edge="both", debounce=0.01, consumer="button_led")
        led = chip.request_output(led_name, value=button.get_value(button_name), consumer="button_led")
        count = 0
        with button, led:
            print("waiting for %s on %s [%s]; LED on %s" % (button_name, chip.path, chip.label, led_name),
                  flush=True)   # lines go out as they happen, also into a pipe or a log
            async for ev in button.edges():
                led.set_value(led_name, 1 if ev.rising else 0)
                lost = " (%d events lost before this one)" % ev.lost if ev.lost else ""
                print("%s %s at %.6f s -> LED %s%s" % (ev.name, "pressed" if ev.rising else "released",
                                                     ev.timestamp_ns / 1e9, "on" if ev.rising else "off", lost),
                      flush=True)
                if not ev.rising:
                    count += 1
                    if presses is not None and count >= presses:
                        break
        return count
    return run


def finger(fake: FakeBackend, button_name: str, presses: int, interval: float):
    """With --fake: press and release the button `presses` times."""
    def run(task=None):
        for _ in range(presses):
            yield sleep(interval)
            fake.drive_low(button_name)      # the button shorts the line to ground
            yield sleep(interval)
            fake.drive_high(button_name)
    return run


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(name)s: %(message)s")
    profile = board.detect_board()
    label = args.chip or profile.chip_label
    fake = None
    if args.fake:
        # a fake chip shaped like the board (a Pi 4 header where the board is unknown)
        label = label or "pinctrl-bcm2711"
        fake = FakeBackend([(label, ["GPIO%d" % i for i in range(profile.num_lines or 58)])])
        fake.drive_high(args.button)          # the pull-up holds the line high until pressed
    elif label is None:
        print("this board (%s) has no known GPIO header chip: pass --chip LABEL, or --fake"
              % (board.read_model() or profile.name), file=sys.stderr)
        return 2
    try:
        with Chip(label, backend=fake) as chip:
            def top(task=None):
                if fake is not None:
                    picoos.Task(finger(fake, args.button, args.presses, args.interval))
                return (yield picoos.Task(follow(chip, args.button, args.led, args.presses)).finish())
            count = picoos.run(top)
    except GpioError as exc:
        print("button_led: %s" % exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    print("%d press(es) seen" % count)
    if fake is not None:
        print("LED history on the wire: %s" % fake.states(args.led))
    return 0


if __name__ == "__main__":
    sys.exit(main())
