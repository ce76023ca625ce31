"""The real GPIO backend against the kernel's gpio-sim chip, inside tools/hwvm.

Run with tests/hwvm_run.sh (or `./dev hwtest`).  Outside the VM every test
here is skipped with the reason printed (pytest -rs).

The VM makes one gpio-sim chip (HWVM_GPIOCHIP, label 'hwvm-sim'), named only
when hwvm was given --gpio-names.  So that these tests find lines by name
whatever flags the VM was started with, the `sim` fixture makes a second
gpio-sim chip of its own through configfs, labelled 'picoos-hw' with lines
named 'GPIO0'..'GPIO15' like a Pi header, and removes it afterwards.  The
outside world drives an input by writing 'pull-up'/'pull-down' to
sim_gpioK/pull and reads an output from sim_gpioK/value.  Quick successive
pulls can merge into one edge, so every test waits for each event before
the next pull.
"""
import errno
import os
import time

import pytest

import picoos
from picoos.drivers.gpio import (Chip, ChipNotFoundError, LineBusyError, LineNotFoundError,
                                 LineSettings)
from picoos.drivers.gpio.real import RealBackend

pytestmark = [
    pytest.mark.hwvm,
    pytest.mark.skipif(not os.environ.get("HWVM_GPIOCHIP"),
                       reason="needs the gpio-sim chip of tools/hwvm (run tests/hwvm_run.sh)"),
]

BOUND = 60.0     # seconds; the VM is software-emulated and slow, only a hang reaches it
CONFIGFS = "/sys/kernel/config/gpio-sim"
LABEL = "picoos-hw"
NUM_LINES = 16


class Sim:
    """A gpio-sim chip made for the test: its /dev path and its sysfs knobs."""

    def __init__(self):
        self.dir = os.path.join(CONFIGFS, "picoos-hw-%d" % os.getpid())
        bank = os.path.join(self.dir, "bank0")
        os.mkdir(self.dir)
        os.mkdir(bank)
        self._write(os.path.join(bank, "num_lines"), str(NUM_LINES))
        self._write(os.path.join(bank, "label"), LABEL)
        for i in range(NUM_LINES):
            os.mkdir(os.path.join(bank, "line%d" % i))
            self._write(os.path.join(bank, "line%d" % i, "name"), "GPIO%d" % i)
        self._write(os.path.join(self.dir, "live"), "1")
        chip_name = self._read(os.path.join(bank, "chip_name"))
        dev_name = self._read(os.path.join(self.dir, "dev_name"))
        self.path = "/dev/" + chip_name
        self.sysfs = "/sys/devices/platform/%s/%s" % (dev_name, chip_name)
        # devtmpfs creates the node before live=1 returns (no udev needed)
        assert os.path.exists(self.path), "%s did not appear" % self.path

    @staticmethod
    def _write(path, text):
        with open(path, "w") as f:
            f.write(text)

    @staticmethod
    def _read(path):
        with open(path) as f:
            return f.read().strip()

    def pull(self, offset, up):
        self._write("%s/sim_gpio%d/pull" % (self.sysfs, offset), "pull-up" if up else "pull-down")

    def value(self, offset):
        return int(self._read("%s/sim_gpio%d/value" % (self.sysfs, offset)))

    def remove(self):
        self._write(os.path.join(self.dir, "live"), "0")
        bank = os.path.join(self.dir, "bank0")
        for i in range(NUM_LINES):
            os.rmdir(os.path.join(bank, "line%d" % i))
        os.rmdir(bank)
        os.rmdir(self.dir)


@pytest.fixture
def sim():
    s = Sim()
    try:
        yield s
    finally:
        s.remove()


@pytest.fixture
def real():
    return RealBackend()


def test_hwvm_chip_by_path_and_label(real):
    path = os.environ["HWVM_GPIOCHIP"]
    with Chip(path, backend=real) as chip:
        assert chip.label == "hwvm-sim" and chip.num_lines >= 1
    with Chip("hwvm-sim", backend=real) as chip:
        assert chip.path == path
        assert len(chip.lines()) == chip.num_lines
    with Chip(os.path.basename(path), backend=real) as chip:
        assert chip.path == path


def test_hwvm_chip_input_by_offset(real):
    sysfs = os.environ["HWVM_GPIOSIM_SYSFS"]
    with Chip(os.environ["HWVM_GPIOCHIP"], backend=real) as chip, chip.request_input(0) as req:
        for level in ("pull-up", "pull-down"):
            with open(sysfs + "/sim_gpio0/pull", "w") as f:
                f.write(level)
            assert req.get_value(0) == (level == "pull-up")


def test_missing_chip_and_unknown_line(real, sim):
    with pytest.raises(ChipNotFoundError, match="no GPIO chip with path, name or label 'pinctrl-rp1'"):
        Chip("pinctrl-rp1", backend=real)
    with Chip(LABEL, backend=real) as chip:
        with pytest.raises(LineNotFoundError, match="has no line named 'GPIO99'"):
            chip.request_input("GPIO99")


def test_lines_names_and_consumers(real, sim):
    with Chip(LABEL, backend=real) as chip:
        assert chip.path == sim.path and chip.num_lines == NUM_LINES
        assert chip.line_offset("GPIO7") == 7
        with chip.request_output("GPIO3", 1, consumer="picoos-test"):
            info = chip.line_info("GPIO3")
            assert (info.name, info.consumer, info.used, info.direction) == (
                "GPIO3", "picoos-test", True, "output")
            assert [i.name for i in chip.lines()] == ["GPIO%d" % i for i in range(NUM_LINES)]
        assert not chip.line_info("GPIO3").used       # released by the with block


def test_busy_line(real, sim):
    with Chip(LABEL, backend=real) as chip, chip.request_input("GPIO1"):
        with pytest.raises(LineBusyError) as info:
            chip.request_output("GPIO1")
        assert info.value.errno == errno.EBUSY


def test_kernel_refuses_nothing_we_check_first(real, sim):
    # a bad flag combination never reaches the kernel: same error as with the fake
    from picoos.drivers.gpio import GpioConfigError
    with Chip(LABEL, backend=real) as chip:
        with pytest.raises(GpioConfigError, match="open-drain"):
            chip.request({"GPIO1": LineSettings("input", drive="open-drain")})


def test_inputs_bias_and_active_low(real, sim):
    with Chip(LABEL, backend=real) as chip:
        with chip.request({"GPIO4": LineSettings("input", bias="pull-up"),
                           "GPIO5": LineSettings("input", bias="pull-down", active_low=True)}) as req:
            assert chip.line_info("GPIO4").bias == "pull-up"
            assert req.get_values() == [1, 1]     # pulled up; pulled down but active low
            sim.pull(4, up=False)
            sim.pull(5, up=True)
            assert req.get_values() == [0, 0]


def test_outputs_drive_the_wire(real, sim):
    with Chip(LABEL, backend=real) as chip:
        with chip.request({"GPIO8": LineSettings("output", value=1),
                           "GPIO9": LineSettings("output", active_low=True)}) as req:
            assert (sim.value(8), sim.value(9)) == (1, 1)
            req.set_values({"GPIO8": 0, "GPIO9": 1})
            assert (sim.value(8), sim.value(9)) == (0, 0)
            assert req.get_values() == [0, 1]
            req.reconfigure({"GPIO9": LineSettings("input", bias="pull-up")})
            assert chip.line_info("GPIO9").direction == "input"
            assert req.get_value("GPIO9") == 1
            req.reconfigure({"GPIO9": LineSettings("output", value=1)})
            assert sim.value(9) == 1 and chip.line_info("GPIO9").direction == "output"


def test_edges_through_the_notifier(real, sim):
    def main(task=None):
        with Chip(LABEL, backend=real) as chip, \
                chip.request_input("GPIO2", bias="pull-down", edge="both") as req:
            got = []
            for up in (True, False, True):
                sim.pull(2, up)
                ev = yield req.wait_edge(BOUND)     # wait for each edge before the next pull
                assert ev is not None, "no edge within %s s" % BOUND
                got.append(ev)
            nothing = yield req.wait_edge(0.2)
            return got, nothing, req.lost

    evs, nothing, lost = picoos.run(main)
    assert [(e.kind, e.name, e.offset, e.seqno, e.line_seqno, e.lost) for e in evs] == [
        ("rising", "GPIO2", 2, 1, 1, 0), ("falling", "GPIO2", 2, 2, 2, 0), ("rising", "GPIO2", 2, 3, 3, 0)]
    assert evs[0].timestamp_ns <= evs[1].timestamp_ns <= evs[2].timestamp_ns
    # kernel timestamps are CLOCK_MONOTONIC
    assert 0 < evs[2].timestamp_ns <= time.monotonic_ns()
    assert nothing is None and lost == 0


def test_async_edges_on_several_lines(real, sim):
    # each step makes exactly one watched edge; unwatched edges in between
    steps = [[(10, False)], [(11, True)], [(10, True), (11, False), (11, True)], [(10, False)]]

    async def main(task=None):
        with Chip(LABEL, backend=real) as chip, \
                chip.request({"GPIO10": LineSettings("input", bias="pull-up", edge="falling"),
                              "GPIO11": LineSettings("input", bias="pull-down", edge="rising")}) as req:
            seen = []
            todo = iter(steps)
            for offset, up in next(todo):
                sim.pull(offset, up)
            async for ev in req.edges(timeout=BOUND):
                seen.append((ev.kind, ev.name, ev.line_seqno))
                step = next(todo, None)
                if step is None:
                    break
                for offset, up in step:
                    sim.pull(offset, up)
            return seen

    assert picoos.run(main) == [("falling", "GPIO10", 1), ("rising", "GPIO11", 1),
                                ("rising", "GPIO11", 2), ("falling", "GPIO10", 2)]


def test_debounce_is_configured_and_edges_still_arrive(real, sim):
    def main(task=None):
        with Chip(LABEL, backend=real) as chip, \
                chip.request_input("GPIO13", bias="pull-up", edge="falling", debounce=0.002) as req:
            info = chip.line_info("GPIO13")
            sim.pull(13, False)
            ev = yield req.wait_edge(BOUND)
            return info.debounce, ev and ev.kind

    assert picoos.run(main) == (0.002, "falling")


def test_realtime_event_clock(real, sim):
    def main(task=None):
        with Chip(LABEL, backend=real) as chip, \
                chip.request_input("GPIO12", bias="pull-down", edge="rising",
                                   event_clock="realtime") as req:
            sim.pull(12, True)
            return (yield req.wait_edge(BOUND))

    before = time.time_ns()
    ev = picoos.run(main)
    assert ev is not None and ev.kind == "rising"
    assert before - 10 ** 9 <= ev.timestamp_ns <= time.time_ns()


def test_button_led_example_on_the_real_backend(sim):
    # the outside world presses only after the example says what it saw:
    # every step waits on the example's own output, never on a timer
    import subprocess
    import sys
    from pathlib import Path
    example = Path(__file__).resolve().parents[3] / "examples" / "button_led.py"
    proc = subprocess.Popen([sys.executable, "-u", str(example), "--chip", LABEL, "--button", "GPIO6",
                             "--led", "GPIO7", "--presses", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PICOOS_GPIO_BACKEND="real"))
    try:
        assert proc.stdout.readline().startswith("waiting for GPIO6 on %s [%s]" % (sim.path, LABEL))
        assert sim.value(7) == 0                   # pulled up, active low: not pressed
        seen = []
        for _ in range(2):
            sim.pull(6, up=False)                  # press: the button shorts to ground
            seen.append(proc.stdout.readline().split(" at ")[0])
            seen.append(sim.value(7))
            sim.pull(6, up=True)
            seen.append(proc.stdout.readline().split(" at ")[0])
            seen.append(sim.value(7))
        # not communicate(): it reads the raw fds and would miss what
        # readline() has already buffered
        rest = proc.stdout.read()
        err = proc.stderr.read()
        proc.wait(BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert seen == ["GPIO6 pressed", 1, "GPIO6 released", 0] * 2
    assert rest.splitlines()[0] == "2 press(es) seen"
