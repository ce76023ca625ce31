"""The GPIO API on the fake backend, without a kernel: chips, lines, values.

Edge waiting through the notifier is in test_gpio_edges.py; here the edge
records are read straight from the request fd (read_edges), which proves
the fake writes what the kernel would.
"""
import errno
import os

import pytest

from picoos.drivers.errors import DriverError
from picoos.drivers.gpio import (Chip, ChipNotFoundError, FakeBackend, GpioConfigError, GpioError,
                                 LineBusyError, LineNotFoundError, LineSettings,
                                 RequestReleasedError, find_line, list_chips)


@pytest.fixture
def fake():
    return FakeBackend([("pinctrl-test", ["GPIO%d" % i for i in range(8)]),
                        ("expander", ["LED_A", "", "BTN"])])


def test_open_chip_by_label_path_and_name(fake):
    for spec in ("pinctrl-test", "/dev/fake-gpiochip0", "fake-gpiochip0"):
        with Chip(spec, backend=fake) as chip:
            assert (chip.label, chip.num_lines, chip.path) == ("pinctrl-test", 8, "/dev/fake-gpiochip0")
    with Chip("expander", backend=fake) as chip:
        assert chip.name == "fake-gpiochip1"
        assert "expander" in repr(chip)


def test_missing_chip_is_a_clear_file_not_found_error(fake):
    with pytest.raises(ChipNotFoundError, match=r"no GPIO chip with path, name or label 'nope'.*"
                                                r"fake-gpiochip0 \[pinctrl-test\]") as info:
        Chip("nope", backend=fake)
    assert isinstance(info.value, FileNotFoundError) and info.value.errno == errno.ENOENT
    assert isinstance(info.value, DriverError)
    with pytest.raises(ChipNotFoundError, match="expected a path"):
        Chip("", backend=fake)
    with pytest.raises(ChipNotFoundError, match="no GPIO chip at /dev/gpiochip9"):
        Chip("/dev/gpiochip9", backend=fake)


def test_list_lines_with_names_and_consumers(fake):
    with Chip("expander", backend=fake) as chip:
        with chip.request_output("LED_A", 1, consumer="blinker"):
            lines = chip.lines()
            assert [(i.offset, i.name, i.consumer, i.used, i.direction) for i in lines] == [
                (0, "LED_A", "blinker", True, "output"), (1, "", "", False, "input"),
                (2, "BTN", "", False, "input")]
            assert chip.line_info("LED_A").consumer == "blinker"
        assert chip.line_info(0).used is False
    assert [c.label for c in list_chips(fake)] == ["pinctrl-test", "expander"]
    assert find_line("BTN", fake) == ("/dev/fake-gpiochip1", 2)
    with pytest.raises(LineNotFoundError, match="no GPIO chip has a line named 'GPIO99'"):
        find_line("GPIO99", fake)


def test_unknown_line_name_or_offset(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with pytest.raises(LineNotFoundError, match=r"has no line named 'GPIO17'") as info:
            chip.request_input("GPIO17")
        assert isinstance(info.value, LookupError) and isinstance(info.value, GpioError)
        with pytest.raises(LineNotFoundError, match="no line at offset 8 .lines 0..7."):
            chip.line_info(8)
        with pytest.raises(LineNotFoundError, match="expected a line name"):
            chip.line_offset(1.5)


def test_busy_line_is_ebusy(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with chip.request_input("GPIO3", consumer="first"):
            with pytest.raises(LineBusyError, match="already requested by 'first'") as info:
                chip.request_output("GPIO3")
            assert isinstance(info.value, OSError) and info.value.errno == errno.EBUSY
        # released on leaving the with block: the line can be taken again
        chip.request_output("GPIO3").close()


def test_outputs_set_values_and_record_history(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with chip.request({"GPIO1": LineSettings("output", value=1),
                           "GPIO2": LineSettings("output", active_low=True)}) as req:
            assert req.get_values() == [1, 0]
            assert fake.level("GPIO1") == 1 and fake.level("GPIO2") == 1   # active low: 0 -> high
            req.set_value("GPIO1", 0)
            req.set_values({"GPIO1": 1, "GPIO2": True})
            assert req.get_values(["GPIO2", "GPIO1"]) == [1, 1]
            assert req.get_value(1) == 1          # by offset, too
    assert fake.states("GPIO1") == [0, 1, 0, 1]
    assert fake.states("GPIO2") == [0, 1, 0]


def test_inputs_follow_the_outside_world_and_bias(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with chip.request_input("GPIO4", bias="pull-up") as up, \
                chip.request_input("GPIO5", bias="pull-down", active_low=True) as down:
            assert up.get_value("GPIO4") == 1 and down.get_value("GPIO5") == 1
            fake.drive_low("GPIO4")
            fake.drive_high("GPIO5")
            assert up.get_value("GPIO4") == 0 and down.get_value("GPIO5") == 0
            fake.drive("GPIO4", None)         # let go: the pull-up wins again
            assert up.get_value("GPIO4") == 1
    with pytest.raises(ValueError, match="expected 0, 1 or None"):
        fake.drive("GPIO4", 5)


def test_open_drain_releases_the_line(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with chip.request_output("GPIO6", 0, drive="open-drain", bias="pull-up") as req:
            assert fake.level("GPIO6") == 0
            fake.drive_low("GPIO6")           # another device on the bus holds it low
            req.set_value("GPIO6", 1)
            assert fake.level("GPIO6") == 0
            fake.drive("GPIO6", None)
            assert fake.level("GPIO6") == 1


def test_setting_an_input_and_bad_values_are_refused(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with chip.request_input("GPIO1") as req:
            with pytest.raises(GpioConfigError, match="requested as 'input', not 'output'"):
                req.set_value("GPIO1", 1)
            with pytest.raises(LineNotFoundError, match="not part of this request .it holds GPIO1"):
                req.get_value("GPIO2")
        with chip.request_output("GPIO1") as req:
            with pytest.raises(GpioConfigError, match="value 2 for GPIO1: expected 0 or 1"):
                req.set_value("GPIO1", 2)
        with pytest.raises(GpioConfigError, match="open-drain.*needs direction='output'"):
            chip.request({"GPIO1": LineSettings("input", drive="open-drain")})


def test_bad_request_arguments(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with pytest.raises(GpioConfigError, match="same line twice"):
            chip.request(["GPIO1", 1])
        with pytest.raises(GpioConfigError, match="at least one line"):
            chip.request([])
        with pytest.raises(GpioConfigError, match="takes a list of lines"):
            chip.request("GPIO1")
        with pytest.raises(GpioConfigError, match="expected LineSettings"):
            chip.request({"GPIO1": "input"})
        with pytest.raises(GpioConfigError, match="not both"):
            chip.request({"GPIO1": LineSettings()}, LineSettings())
        with pytest.raises(GpioConfigError, match="event_buffer_size=5000"):
            chip.request(["GPIO1"], event_buffer_size=5000)
        with pytest.raises(ValueError, match="consumer"):
            chip.request(["GPIO1"], consumer="x" * 40)


def test_reconfigure_input_to_output_keeps_values(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with chip.request(["GPIO1", "GPIO2"], LineSettings("output")) as req:
            req.set_values({"GPIO1": 1})
            req.reconfigure({"GPIO2": LineSettings("input", bias="pull-up")})
            assert chip.line_info("GPIO2").direction == "input"
            assert chip.line_info("GPIO2").bias == "pull-up"
            assert req.get_values() == [1, 1]
            req.reconfigure(LineSettings("output", drive="open-source"))   # all lines
            assert req.get_values() == [1, 0]      # GPIO1 kept its value, GPIO2 starts at 0
            assert chip.line_info("GPIO1").drive == "open-source"
            with pytest.raises(GpioConfigError, match="expects LineSettings"):
                req.reconfigure("output")


def test_release_closes_fd_and_later_use_is_a_clear_error(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        req = chip.request_input("GPIO1", edge="both")
        fd = req.fileno()
        os.fstat(fd)
        with req:
            pass
        assert req.closed and "released" in repr(req)
        with pytest.raises(OSError):
            os.fstat(fd)
        with pytest.raises(RequestReleasedError, match="were released; request them again"):
            req.get_value("GPIO1")
        req.close()      # twice is fine
    with pytest.raises(RequestReleasedError, match="is closed"):
        chip.lines()


def test_edges_are_written_as_kernel_records_into_the_request_fd(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with chip.request({"GPIO1": LineSettings("input", edge="both"),
                           "GPIO2": LineSettings("input", edge="rising", active_low=True),
                           "GPIO3": LineSettings("input")}) as req:
            assert req.read_edges() == []
            fake.drive_high("GPIO1")
            fake.drive_low("GPIO1")
            fake.drive_high("GPIO2")          # active low: logical falling, not watched
            fake.drive_low("GPIO2")           # logical rising
            fake.drive_high("GPIO3")          # no edge detection on GPIO3
            evs = req.read_edges()
    assert [(e.kind, e.name, e.offset, e.seqno, e.line_seqno, e.lost) for e in evs] == [
        ("rising", "GPIO1", 1, 1, 1, 0), ("falling", "GPIO1", 1, 2, 2, 0),
        ("rising", "GPIO2", 2, 3, 1, 0)]
    assert evs[0].timestamp_ns <= evs[1].timestamp_ns <= evs[2].timestamp_ns


def test_full_event_buffer_drops_the_oldest_and_the_gap_is_reported(fake):
    with Chip("pinctrl-test", backend=fake) as chip:
        with chip.request_input("GPIO1", edge="both", event_buffer_size=4) as req:
            for _ in range(5):
                fake.drive_high("GPIO1")
                fake.drive_low("GPIO1")
            evs = req.read_edges()
            assert [e.seqno for e in evs] == [7, 8, 9, 10]
            assert [e.lost for e in evs] == [6, 0, 0, 0]
            assert req.lost == 6


def test_line_by_offset_still_reports_its_name(fake):
    with Chip("expander", backend=fake) as chip:
        with chip.request([2, 1], LineSettings("input", edge="both")) as req:
            assert req.names == ("BTN", "")
            fake.drive_high(2, chip="expander")
            assert [e.name for e in req.read_edges()] == ["BTN"]
            with pytest.raises(ChipNotFoundError, match="no fake chip 'other'"):
                fake.drive_high(1, chip="other")


def test_default_fake_is_shaped_like_a_pi_4():
    with Chip("pinctrl-bcm2711", backend="fake") as chip:
        assert chip.num_lines == 58 and chip.line_offset("GPIO17") == 17
