"""Which board is this, and what does it have: profiles, detection, health.

Why this module exists: a node must tell its client what it runs on (model,
CPU temperature, throttling, memory), and programs must find the header
UART and GPIO lines without hard-coding numbers that differ between Pi
models and kernels.  The facts per board are data in `boards/*.json`
(installed as the package `picoos.boards`); this module loads them, matches
`/proc/device-tree/model` against them, and reads the live figures.

Every reader takes `root` (default '/') and reads `<root>/proc/...` and
`<root>/sys/...`, so tests run against fake trees in a temporary directory.

What is read, and where:

* model: `proc/device-tree/model` (NUL-terminated), else
  `sys/firmware/devicetree/base/model` (what /proc/device-tree links to).
* CPU temperature: `sys/class/thermal/thermal_zone0/temp`, millidegrees C.
* throttling: the Raspberry Pi firmware driver's `get_throttled` attribute
  (`sys/devices/platform/soc/soc:firmware/get_throttled`, and the Pi 5's
  `sys/devices/platform/soc@*/*firmware/get_throttled`): the same hex
  bit field as `vcgencmd get_throttled`, without running vcgencmd.  Where
  it is missing, the `rpi_volt` hwmon's `in0_lcrit_alarm` still tells
  under-voltage now.  Neither exists on other boards: None.
* memory: `proc/meminfo` (MemTotal, MemAvailable; kB -> bytes).

Profile schema (one JSON object per file): id, name, model_match (prefixes
of the device-tree model), soc, ram_mb (sizes sold), gpio.chip_label and
gpio.num_lines (the header chip), header ({"pin": {"line", "offset",
"aliases", "function"} or {"power"}}), uarts ({"primary": path, ...}),
leds ({"ACT": [sysfs names to try]}), notes.
"""
from __future__ import annotations

import glob
import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, Iterable, NamedTuple, Optional, Tuple

from picoos.drivers.errors import DriverError

__all__ = [
    "BoardError", "BoardProfile", "HeaderPin", "Throttled", "BoardInfo",
    "load_profiles", "get_profile", "read_model", "detect_board", "model",
    "cpu_temperature", "throttled", "memory", "board_info", "default_uart",
    "header_line", "led",
]

log = logging.getLogger("picoos.drivers.board")

GENERIC_ID = "generic-linux"


class BoardError(DriverError, LookupError):
    """A board profile, pin or UART that does not exist (or a broken profile file)."""


class HeaderPin(NamedTuple):
    pin: int
    line: Optional[str]          # kernel line name, e.g. 'GPIO17'; None for power pins
    offset: Optional[int]        # offset on the header chip
    aliases: Tuple[str, ...]     # names other kernels give the line
    function: Optional[str]      # e.g. 'UART TXD'
    power: Optional[str]         # '3V3', '5V', 'GND' for power pins


class BoardProfile:
    """One board's facts, from its JSON file."""

    __slots__ = ("id", "name", "model_match", "soc", "ram_mb", "chip_label", "num_lines",
                 "header", "uarts", "leds", "notes")

    def __init__(self, data: Dict[str, Any], source: str = "?") -> None:
        try:
            self.id: str = data["id"]
            self.name: str = data["name"]
            self.model_match: Tuple[str, ...] = tuple(data.get("model_match", ()))
            self.soc: Optional[str] = data.get("soc")
            self.ram_mb: Tuple[int, ...] = tuple(data.get("ram_mb", ()))
            gpio = data.get("gpio") or {}
            self.chip_label: Optional[str] = gpio.get("chip_label")
            self.num_lines: Optional[int] = gpio.get("num_lines")
            self.header: Dict[int, HeaderPin] = {}
            for pin, e in (data.get("header") or {}).items():
                self.header[int(pin)] = HeaderPin(int(pin), e.get("line"), e.get("offset"),
                                                  tuple(e.get("aliases", ())), e.get("function"),
                                                  e.get("power"))
            self.uarts: Dict[str, str] = dict(data.get("uarts") or {})
            self.leds: Dict[str, Tuple[str, ...]] = {k: tuple(v) for k, v in (data.get("leds") or {}).items()}
            self.notes: str = data.get("notes", "")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BoardError("board profile %s is malformed (%s: %s); expected the schema "
                             "described in picoos.drivers.board" % (source, type(exc).__name__, exc)) from None

    def matches(self, model_text: str) -> int:
        """Length of the longest model_match prefix of `model_text` (0: no match)."""
        return max((len(m) for m in self.model_match if model_text.startswith(m)), default=0)

    def pin(self, pin: int) -> HeaderPin:
        try:
            return self.header[pin]
        except KeyError:
            raise BoardError("%s has no header pin %r (pins: %s)"
                             % (self.name, pin, "%d..%d" % (min(self.header), max(self.header))
                                if self.header else "no header")) from None

    def line_by_gpio(self, gpio: int) -> HeaderPin:
        """The header pin wired to BCM GPIO number `gpio`."""
        for hp in self.header.values():
            if hp.offset == gpio and hp.line is not None:
                return hp
        raise BoardError("%s has no GPIO%d on its header" % (self.name, gpio))

    def __repr__(self) -> str:
        return "<BoardProfile %s>" % self.id


# ---------------------------------------------------------------- loading
def _profile_texts() -> Iterable[Tuple[str, str]]:
    """(source, JSON text) of every profile: installed package, else source tree."""
    try:
        from importlib.resources import files
        folder = files("picoos.boards")
        entries = [e for e in folder.iterdir() if e.name.endswith(".json")]
    except (ImportError, ModuleNotFoundError, TypeError):
        entries = []
    if entries:
        for e in sorted(entries, key=lambda e: e.name):
            yield "picoos.boards/" + e.name, e.read_text(encoding="utf-8")
        return
    # running from a checkout that is not installed: <repo>/boards
    folder_path = Path(__file__).resolve().parents[2] / "boards"
    for p in sorted(folder_path.glob("*.json")):
        yield str(p), p.read_text(encoding="utf-8")


_PROFILES: Optional[Dict[str, BoardProfile]] = None


def load_profiles(reload: bool = False) -> Dict[str, BoardProfile]:
    """All board profiles by id (loaded once).  Raises BoardError on a broken file."""
    global _PROFILES
    if _PROFILES is None or reload:
        out: Dict[str, BoardProfile] = {}
        for source, text in _profile_texts():
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise BoardError("board profile %s is not valid JSON: %s" % (source, exc)) from None
            prof = BoardProfile(data, source)
            out[prof.id] = prof
        if GENERIC_ID not in out:
            raise BoardError("board profiles not found (looked in the picoos.boards package and "
                             "the source tree's boards/): is picoos installed with its data?")
        _PROFILES = out
    return _PROFILES


def get_profile(board_id: str) -> BoardProfile:
    profiles = load_profiles()
    try:
        return profiles[board_id]
    except KeyError:
        raise BoardError("no board profile %r; known: %s" % (board_id, ", ".join(sorted(profiles)))) from None


# ---------------------------------------------------------------- readers
def _read(root: str, rel: str, binary: bool = False) -> Any:
    path = os.path.join(root, rel)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return raw if binary else raw.decode("utf-8", "replace")


def read_model(root: str = "/") -> Optional[str]:
    """The device-tree model string (NUL and whitespace stripped), or None."""
    for rel in ("proc/device-tree/model", "sys/firmware/devicetree/base/model"):
        raw = _read(root, rel, binary=True)
        if raw is not None:
            text = raw.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
            if text:
                return text
    return None


def detect_board(root: str = "/") -> BoardProfile:
    """The profile whose model_match fits the machine best; the generic one otherwise."""
    text = read_model(root)
    profiles = load_profiles()
    if text:
        best = max(profiles.values(), key=lambda p: p.matches(text))
        if best.matches(text):
            return best
        log.debug("no board profile matches model %r; using %s", text, GENERIC_ID)
    return profiles[GENERIC_ID]


def model(root: str = "/") -> Optional[str]:
    """The machine's model: the device-tree string (None without a device tree).

    The name the node reports; `detect_board(root).name` is the profile's."""
    return read_model(root)


def cpu_temperature(root: str = "/") -> Optional[float]:
    """CPU temperature in degrees C (one decimal), or None where not exposed."""
    raw = _read(root, "sys/class/thermal/thermal_zone0/temp")
    try:
        return round(int(raw.strip()) / 1000.0, 1) if raw is not None else None
    except ValueError:
        log.debug("unreadable thermal_zone0/temp %r", raw)
        return None


class Throttled(NamedTuple):
    """The firmware's throttling bits (vcgencmd get_throttled), decoded."""
    raw: int
    under_voltage: bool
    freq_capped: bool
    throttled: bool
    soft_temp_limit: bool
    under_voltage_occurred: bool
    freq_capped_occurred: bool
    throttled_occurred: bool
    soft_temp_limit_occurred: bool

    @classmethod
    def from_bits(cls, raw: int) -> "Throttled":
        b = lambda n: bool(raw & (1 << n))  # noqa: E731
        return cls(raw, b(0), b(1), b(2), b(3), b(16), b(17), b(18), b(19))

    def __bool__(self) -> bool:       # anything to report, now or since boot
        return self.raw != 0

    def now(self) -> bool:
        return bool(self.raw & 0xF)


_THROTTLE_GLOBS = (
    "sys/devices/platform/soc/soc:firmware/get_throttled",
    "sys/devices/platform/soc*/*firmware/get_throttled",
)


def throttled(root: str = "/") -> Optional[Throttled]:
    """Throttling flags from the firmware driver (see module doc), or None."""
    for pattern in _THROTTLE_GLOBS:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            raw = _read(root, os.path.relpath(path, root))
            if raw is None:
                continue
            try:
                return Throttled.from_bits(int(raw.strip(), 16))
            except ValueError:
                log.debug("unreadable %s: %r", path, raw)
    for name_path in sorted(glob.glob(os.path.join(root, "sys/class/hwmon/hwmon*/name"))):
        if (_read(root, os.path.relpath(name_path, root)) or "").strip() == "rpi_volt":
            alarm = _read(root, os.path.relpath(os.path.join(os.path.dirname(name_path),
                                                             "in0_lcrit_alarm"), root))
            if alarm is not None and alarm.strip() in ("0", "1"):
                return Throttled.from_bits(1 if alarm.strip() == "1" else 0)
    return None


def memory(root: str = "/") -> Optional[Dict[str, int]]:
    """{'total': bytes, 'available': bytes} from /proc/meminfo, or None."""
    raw = _read(root, "proc/meminfo")
    if raw is None:
        return None
    kb: Dict[str, int] = {}
    for line in raw.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kb[key.strip()] = int(parts[0])
    if "MemTotal" not in kb:
        return None
    available = kb.get("MemAvailable", kb.get("MemFree", 0) + kb.get("Cached", 0))
    return {"total": kb["MemTotal"] * 1024, "available": available * 1024}


class BoardInfo(NamedTuple):
    """What a node reports about its board."""
    board: str                      # profile id
    name: str                       # profile name
    model: Optional[str]            # device-tree model string
    cpu_temperature: Optional[float]
    throttled: Optional[Throttled]
    memory_total: Optional[int]     # bytes
    memory_available: Optional[int]

    def as_dict(self) -> Dict[str, Any]:
        d = self._asdict()
        t = self.throttled
        d["throttled"] = None if t is None else {k: v for k, v in t._asdict().items()}
        return d


def board_info(root: str = "/") -> BoardInfo:
    """Everything above in one record."""
    prof = detect_board(root)
    mem = memory(root) or {}
    return BoardInfo(prof.id, prof.name, read_model(root), cpu_temperature(root),
                     throttled(root), mem.get("total"), mem.get("available"))


# ---------------------------------------------------------------- uses
def default_uart(root: str = "/", *, required: bool = False) -> Optional[str]:
    """The detected board's header UART ('/dev/serial0' on a Pi).

    None on a board whose profile names no UART; with required=True a
    BoardError saying so instead.
    """
    prof = detect_board(root)
    path = prof.uarts.get("primary")
    if path is None and required:
        raise BoardError("board %s (model %r) has no known header UART; pass the serial "
                         "device path explicitly" % (prof.id, read_model(root)))
    return path


def led(name: str, root: str = "/") -> Optional[str]:
    """The sysfs directory of the detected board's LED 'ACT' or 'PWR', or None.

    Kernels before 6.x name them led0/led1; the profile lists both names and
    the first that exists under <root>/sys/class/leds wins.
    """
    prof = detect_board(root)
    if name not in prof.leds:
        raise BoardError("%s has no LED %r (it has: %s)"
                         % (prof.name, name, ", ".join(sorted(prof.leds)) or "none"))
    for candidate in prof.leds[name]:
        path = os.path.join(root, "sys/class/leds", candidate)
        if os.path.isdir(path):
            return path
    return None


def header_line(pin: int, root: str = "/") -> Tuple[str, str, Tuple[str, ...]]:
    """(chip label, line name, other names) for a header pin of the detected board.

    Raises BoardError for a power pin, an unknown pin or a board without a header.
    """
    prof = detect_board(root)
    hp = prof.pin(pin)
    if hp.line is None or prof.chip_label is None:
        raise BoardError("%s header pin %d is %s, not a GPIO line"
                         % (prof.name, pin, hp.power or "not a GPIO"))
    return prof.chip_label, hp.line, hp.aliases
