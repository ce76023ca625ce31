"""LineSettings: words to flags, and bad combinations refused with clear errors."""
import pytest

from picoos.drivers.errors import DriverError
from picoos.drivers.gpio import uapi
from picoos.drivers.gpio.errors import GpioConfigError, GpioError
from picoos.drivers.gpio.settings import LineInfo, LineSettings


def test_flags_for_common_settings():
    s = LineSettings("input", bias="pull-up", edge="both", active_low=True, debounce=0.005)
    assert s.flags() == (uapi.FLAG_INPUT | uapi.FLAG_BIAS_PULL_UP | uapi.FLAG_EDGE_RISING
                         | uapi.FLAG_EDGE_FALLING | uapi.FLAG_ACTIVE_LOW)
    assert s.debounce_us() == 5000
    o = LineSettings("output", value=1, drive="open-drain", bias="disabled")
    assert o.flags() == uapi.FLAG_OUTPUT | uapi.FLAG_OPEN_DRAIN | uapi.FLAG_BIAS_DISABLED
    assert LineSettings("input", edge="rising", event_clock="realtime").flags() == (
        uapi.FLAG_INPUT | uapi.FLAG_EDGE_RISING | uapi.FLAG_EVENT_CLOCK_REALTIME)
    assert LineSettings("as-is").flags() == 0


@pytest.mark.parametrize("kwargs, message", [
    (dict(direction="input", drive="open-drain"), "open-drain.*needs direction='output'"),
    (dict(direction="input", drive="open-source"), "open-source.*needs direction='output'"),
    (dict(direction="output", edge="rising"), "edge='rising' needs direction='input'"),
    (dict(direction="output", debounce=0.01), "debounce needs direction='input'"),
    (dict(direction="input", value=1), "value=1 needs direction='output'"),
    (dict(direction="as-is", bias="pull-up"), "bias='pull-up' needs direction"),
    (dict(direction="sideways"), "direction='sideways' is not valid"),
    (dict(direction="input", bias="up"), "bias='up' is not valid: expected one of"),
    (dict(direction="input", edge="up"), "edge='up' is not valid"),
    (dict(direction="output", value=2), "value=2: expected 0 or 1"),
    (dict(direction="input", debounce=-1), "debounce=-1: expected seconds"),
    (dict(direction="input", active_low="yes"), "active_low='yes'"),
])
def test_bad_combinations(kwargs, message):
    direction = kwargs.pop("direction")
    with pytest.raises(GpioConfigError, match=message) as info:
        LineSettings(direction, **kwargs)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, GpioError) and isinstance(info.value, DriverError)


def test_immutable_replace_and_equality():
    s = LineSettings("input", bias="pull-down")
    with pytest.raises(AttributeError):
        s.bias = "pull-up"
    t = s.replace(edge="falling")
    assert t.edge == "falling" and t.bias == "pull-down" and s.edge == "none"
    assert s == LineSettings("input", bias="pull-down") and hash(s) == hash(LineSettings("input", bias="pull-down"))
    assert repr(t) == "LineSettings('input', edge='falling', bias='pull-down')"
    with pytest.raises(GpioConfigError):
        s.replace(drive="open-drain")


def test_line_info_decodes_flags():
    info = LineInfo.from_flags(4, "GPIO4", "me", uapi.FLAG_USED | uapi.FLAG_OUTPUT | uapi.FLAG_OPEN_SOURCE
                               | uapi.FLAG_BIAS_PULL_DOWN | uapi.FLAG_ACTIVE_LOW)
    assert (info.used, info.direction, info.drive, info.bias, info.active_low, info.edge) == (
        True, "output", "open-source", "pull-down", True, "none")
    info = LineInfo.from_flags(5, "", "", uapi.FLAG_INPUT | uapi.FLAG_EDGE_FALLING, 2500)
    assert (info.used, info.direction, info.edge, info.debounce, info.bias) == (
        False, "input", "falling", 0.0025, "as-is")
