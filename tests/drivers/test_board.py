"""Board profiles, detection and health readers against fake /proc and /sys trees."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from picoos.drivers import board
from picoos.drivers.board import BoardError
from picoos.drivers.errors import DriverError

REPO = Path(__file__).resolve().parents[2]

MODELS = {
    "raspberrypi-zero-2w": "Raspberry Pi Zero 2 W Rev 1.0",
    "raspberrypi-3b-plus": "Raspberry Pi 3 Model B Plus Rev 1.3",
    "raspberrypi-4b": "Raspberry Pi 4 Model B Rev 1.5",
    "raspberrypi-5": "Raspberry Pi 5 Model B Rev 1.0",
    "raspberrypi-cm4": "Raspberry Pi Compute Module 4 Rev 1.1",
}


def make_root(tmp_path, model=None, temp=None, throttled=None, meminfo=None, pi5_firmware=False):
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    if model is not None:
        (root / "proc/device-tree").mkdir()
        (root / "proc/device-tree/model").write_bytes(model.encode() + b"\0")
    if temp is not None:
        d = root / "sys/class/thermal/thermal_zone0"
        d.mkdir(parents=True)
        (d / "temp").write_text(temp + "\n")
    if throttled is not None:
        d = root / ("sys/devices/platform/soc@107c000000/soc@107c000000:firmware" if pi5_firmware
                    else "sys/devices/platform/soc/soc:firmware")
        d.mkdir(parents=True)
        (d / "get_throttled").write_text(throttled + "\n")
    if meminfo is not None:
        (root / "proc/meminfo").write_text(meminfo)
    return str(root)


def test_all_required_profiles_exist_and_are_well_formed():
    profiles = board.load_profiles(reload=True)
    assert set(MODELS) | {"generic-linux"} <= set(profiles)
    for pid in MODELS:
        p = profiles[pid]
        assert p.chip_label in ("pinctrl-bcm2835", "pinctrl-bcm2711", "pinctrl-rp1")
        assert p.uarts["primary"] == "/dev/serial0"
        assert "ACT" in p.leds and p.ram_mb
        assert len(p.header) == 40
        gpios = sorted(hp.offset for hp in p.header.values() if hp.line)
        assert gpios == list(range(28))       # BCM GPIO 0..27 on the 40-pin header
        assert p.pin(11).line == "GPIO17" and p.pin(11).offset == 17
        assert p.pin(6).power == "GND" and p.pin(1).power == "3V3"
        assert p.line_by_gpio(14).pin == 8
    assert profiles["raspberrypi-5"].chip_label == "pinctrl-rp1"
    assert profiles["raspberrypi-4b"].chip_label == "pinctrl-bcm2711"
    assert profiles["raspberrypi-zero-2w"].chip_label == "pinctrl-bcm2835"
    assert "PWR" not in profiles["raspberrypi-zero-2w"].leds


@pytest.mark.parametrize("board_id, model_text", sorted(MODELS.items()))
def test_detection_from_device_tree_model(tmp_path, board_id, model_text):
    root = make_root(tmp_path, model=model_text)
    assert board.read_model(root) == model_text        # NUL stripped
    assert board.detect_board(root).id == board_id
    assert board.default_uart(root) == "/dev/serial0"


def test_unknown_or_missing_model_is_generic_without_uart(tmp_path):
    for root in (make_root(tmp_path / "a", model="Pine64 RockPro64 v2.1"), make_root(tmp_path / "b")):
        assert board.detect_board(root).id == "generic-linux"
        assert board.default_uart(root) is None
        with pytest.raises(BoardError, match="has no known header UART; pass the serial device") as info:
            board.default_uart(root, required=True)
        assert isinstance(info.value, LookupError) and isinstance(info.value, DriverError)
        with pytest.raises(BoardError, match="has no header pin 11"):
            board.header_line(11, root)


def test_model_falls_back_to_sysfs_device_tree(tmp_path):
    root = tmp_path / "root"
    d = root / "sys/firmware/devicetree/base"
    d.mkdir(parents=True)
    (d / "model").write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\0")
    assert board.detect_board(str(root)).id == "raspberrypi-4b"


def test_header_line_for_a_pin(tmp_path):
    root = make_root(tmp_path, model=MODELS["raspberrypi-4b"])
    assert board.header_line(11, root) == ("pinctrl-bcm2711", "GPIO17", ())
    label, name, aliases = board.header_line(3, root)
    assert (label, name) == ("pinctrl-bcm2711", "GPIO2") and "SDA1" in aliases
    with pytest.raises(BoardError, match="pin 6 is GND, not a GPIO line"):
        board.header_line(6, root)
    with pytest.raises(BoardError, match="has no header pin 41 .pins: 1..40."):
        board.header_line(41, root)


def test_board_info_reads_temperature_throttling_and_memory(tmp_path):
    meminfo = "MemTotal:        3884096 kB\nMemFree:  100 kB\nMemAvailable:    2000000 kB\n"
    root = make_root(tmp_path, model=MODELS["raspberrypi-4b"], temp="48312",
                     throttled="50005", meminfo=meminfo)
    info = board.board_info(root)
    assert info.board == "raspberrypi-4b" and info.name == "Raspberry Pi 4 Model B"
    assert info.model == MODELS["raspberrypi-4b"]
    assert info.cpu_temperature == 48.3
    t = info.throttled
    assert t.raw == 0x50005 and t.under_voltage and t.throttled and not t.freq_capped
    assert t.under_voltage_occurred and t.throttled_occurred and not t.soft_temp_limit_occurred
    assert t.now() and bool(t)
    assert (info.memory_total, info.memory_available) == (3884096 * 1024, 2000000 * 1024)
    d = info.as_dict()
    json.dumps(d)
    assert d["throttled"]["under_voltage"] is True


def test_throttled_zero_is_falsy_and_pi5_firmware_path(tmp_path):
    t = board.throttled(make_root(tmp_path, throttled="0x0", pi5_firmware=True))
    assert t is not None and not t and t.raw == 0


def test_throttled_from_rpi_volt_hwmon(tmp_path):
    root = tmp_path / "root"
    d = root / "sys/class/hwmon/hwmon1"
    d.mkdir(parents=True)
    (d / "name").write_text("rpi_volt\n")
    (d / "in0_lcrit_alarm").write_text("1\n")
    t = board.throttled(str(root))
    assert t.under_voltage and not t.under_voltage_occurred


def test_missing_or_garbled_sources_give_none(tmp_path):
    root = make_root(tmp_path, temp="hot", throttled="zz", meminfo="nothing useful\n")
    assert board.cpu_temperature(root) is None
    assert board.throttled(root) is None
    assert board.memory(root) is None
    empty = str(tmp_path / "empty")
    info = board.board_info(empty)
    assert (info.model, info.cpu_temperature, info.throttled, info.memory_total) == (None, None, None, None)
    assert board.model(empty) is None


def test_unknown_profile_and_broken_profile():
    with pytest.raises(BoardError, match="no board profile 'pi-9'; known: generic-linux"):
        board.get_profile("pi-9")
    with pytest.raises(BoardError, match="board profile x.json is malformed"):
        board.BoardProfile({"name": "no id"}, "x.json")


def test_profiles_load_from_an_installed_package(tmp_path):
    # install the package the way setup.py maps it (boards/ -> picoos.boards) into a
    # scratch site directory, and load the profiles there in a fresh interpreter
    site = tmp_path / "site"
    pkg = site / "picoos"
    (pkg / "drivers").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for name in ("__init__.py", "board.py", "errors.py"):
        src = REPO / "picoos/drivers" / name
        if src.exists():
            (pkg / "drivers" / name).write_text(src.read_text())
        else:
            (pkg / "drivers" / name).write_text("")
    (pkg / "kernel").mkdir()
    (pkg / "kernel" / "__init__.py").write_text("")
    (pkg / "kernel" / "errors.py").write_text((REPO / "picoos/kernel/errors.py").read_text())
    (pkg / "boards").mkdir()
    for f in (REPO / "boards").iterdir():
        if f.suffix in (".py", ".json"):
            (pkg / "boards" / f.name).write_text(f.read_text())
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "import picoos.drivers.board as b; p = b.load_profiles(); "
            "assert b.__file__.startswith(sys.argv[1]), b.__file__; "
            "print(sorted(p)); print(next(b._profile_texts())[0])")
    out = subprocess.run([sys.executable, "-I", "-c", code, str(site)], cwd=str(tmp_path),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "raspberrypi-5" in out.stdout and "picoos.boards/" in out.stdout


def test_led_paths_old_and_new_names(tmp_path):
    root = make_root(tmp_path, model=MODELS["raspberrypi-3b-plus"])
    (tmp_path / "root/sys/class/leds/led0").mkdir(parents=True)    # an older kernel's name
    assert board.led("ACT", root) == str(tmp_path / "root/sys/class/leds/led0")
    assert board.led("PWR", root) is None                        # known LED, not exposed here
    (tmp_path / "root/sys/class/leds/PWR").mkdir()
    assert board.led("PWR", root).endswith("leds/PWR")
    with pytest.raises(BoardError, match="has no LED 'RED' .it has: ACT, PWR."):
        board.led("RED", root)
