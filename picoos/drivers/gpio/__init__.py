"""GPIO lines through the Linux GPIO character device (uAPI v2), awaitable.

This package only re-exports; see chip.py (Chip, find_line, list_chips),
lines.py (LineRequest), settings.py (LineSettings, LineInfo), events.py
(EdgeEvent), backend.py (the backend seam), real.py and fake.py.
"""
from picoos.drivers.gpio.backend import BACKEND_ENV, ChipHandle, GpioBackend, RequestHandle, get_backend
from picoos.drivers.gpio.chip import Chip, find_line, list_chips
from picoos.drivers.gpio.errors import (ChipNotFoundError, GpioConfigError, GpioError,
                                        GpioPermissionError, LineBusyError, LineNotFoundError,
                                        RequestReleasedError, UnknownBackendError)
from picoos.drivers.gpio.events import EdgeEvent
from picoos.drivers.gpio.fake import FakeBackend
from picoos.drivers.gpio.lines import LineRequest
from picoos.drivers.gpio.settings import ChipInfo, LineInfo, LineSettings

__all__ = [
    "Chip", "find_line", "list_chips", "LineRequest", "LineSettings", "LineInfo", "ChipInfo",
    "EdgeEvent", "GpioBackend", "ChipHandle", "RequestHandle", "get_backend", "BACKEND_ENV",
    "FakeBackend", "GpioError", "ChipNotFoundError", "LineNotFoundError", "LineBusyError",
    "GpioPermissionError", "GpioConfigError", "RequestReleasedError", "UnknownBackendError",
]
