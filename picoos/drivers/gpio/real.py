"""The real GPIO backend: ioctls on /dev/gpiochipN (Linux GPIO uAPI v2).

Why this module exists: it is the only code that touches the kernel.  It is
pure Python (`fcntl.ioctl` plus the packing in `uapi`), needs no libgpiod,
and turns errno values into picoos's GPIO errors with messages that say
which line or chip was meant.  The line-request fd the kernel hands back is
made non-blocking so edge events are read through the picoos notifier.
"""
from __future__ import annotations

import errno
import fcntl
import glob
import os
import re
from typing import List, Sequence

from picoos.drivers.gpio import uapi
from picoos.drivers.gpio.backend import ChipHandle, GpioBackend, RequestHandle
from picoos.drivers.gpio.errors import (ChipNotFoundError, GpioConfigError, GpioError,
                                        GpioPermissionError, LineBusyError, LineNotFoundError)
from picoos.drivers.gpio.settings import ChipInfo, LineInfo, LineSettings

__all__ = ["RealBackend"]


def _chip_number(path: str) -> int:
    m = re.search(r"(\d+)$", path)
    return int(m.group(1)) if m else -1


def _why(exc: OSError) -> str:
    return "%s [%s]" % (exc.strerror or exc, errno.errorcode.get(exc.errno or 0, exc.errno))


class RealRequest(RequestHandle):
    __slots__ = ("fd", "_chip", "_offsets")

    def __init__(self, fd: int, chip: "RealChip", offsets: Sequence[int]) -> None:
        self.fd = fd
        self._chip = chip
        self._offsets = tuple(offsets)

    def get_values(self, mask: int) -> int:
        buf = uapi.pack_line_values(0, mask)
        self._ioctl(uapi.V2_LINE_GET_VALUES, buf, "read values of")
        return uapi.unpack_line_values(buf)[0] & mask

    def set_values(self, bits: int, mask: int) -> None:
        self._ioctl(uapi.V2_LINE_SET_VALUES, uapi.pack_line_values(bits, mask), "set values of")

    def set_config(self, settings: Sequence[LineSettings]) -> None:
        config = _pack_config(settings)
        self._ioctl(uapi.V2_LINE_SET_CONFIG, bytearray(config), "reconfigure")

    def _ioctl(self, number: int, buf: bytearray, doing: str) -> None:
        try:
            fcntl.ioctl(self.fd, number, buf, True)
        except OSError as exc:
            what = "lines %s of %s" % (list(self._offsets), self._chip.path)
            if exc.errno in (errno.EPERM, errno.EINVAL):
                raise GpioConfigError("cannot %s %s: the kernel refused (%s); check the "
                                      "direction and flags of the lines" % (doing, what, _why(exc))) from exc
            raise GpioError("cannot %s %s: %s" % (doing, what, _why(exc))) from exc

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)


def _pack_config(settings: Sequence[LineSettings]) -> bytes:
    bits = mask = 0
    for i, s in enumerate(settings):
        if s.direction == "output":
            mask |= 1 << i
            if s.value:
                bits |= 1 << i
    try:
        return uapi.pack_line_config([s.flags() for s in settings],
                                     [s.debounce_us() for s in settings], bits, mask)
    except ValueError as exc:
        raise GpioConfigError(str(exc)) from None


class RealChip(ChipHandle):
    __slots__ = ("path", "_fd")

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self._fd = fd

    def _check(self) -> int:
        if self._fd < 0:
            raise GpioError("chip %s is closed" % self.path)
        return self._fd

    def info(self) -> ChipInfo:
        buf = bytearray(uapi.CHIP_INFO.size)
        try:
            fcntl.ioctl(self._check(), uapi.GET_CHIPINFO, buf, True)
        except OSError as exc:
            if exc.errno in (errno.ENOTTY, errno.EINVAL):
                raise ChipNotFoundError("%s is not a GPIO chip (%s)" % (self.path, _why(exc))) from exc
            raise GpioError("cannot read chip info of %s: %s" % (self.path, _why(exc))) from exc
        raw = uapi.unpack_chip_info(buf)
        return ChipInfo(self.path, raw.name, raw.label, raw.lines)

    def line_info(self, offset: int) -> LineInfo:
        buf = uapi.pack_line_info_query(offset)
        try:
            fcntl.ioctl(self._check(), uapi.V2_GET_LINEINFO, buf, True)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                raise LineNotFoundError("%s has no line at offset %d" % (self.path, offset)) from exc
            raise GpioError("cannot read line %d of %s: %s" % (offset, self.path, _why(exc))) from exc
        raw = uapi.unpack_line_info(buf)
        return LineInfo.from_flags(raw.offset, raw.name, raw.consumer, raw.flags, raw.debounce_us)

    def request(self, offsets: Sequence[int], settings: Sequence[LineSettings],
                consumer: str, event_buffer_size: int = 0) -> RequestHandle:
        try:
            buf = uapi.pack_line_request(offsets, consumer, _pack_config(settings), event_buffer_size)
        except ValueError as exc:
            raise GpioConfigError(str(exc)) from None
        try:
            fcntl.ioctl(self._check(), uapi.V2_GET_LINE, buf, True)
        except OSError as exc:
            what = "lines %s of %s" % (list(offsets), self.path)
            if exc.errno == errno.EBUSY:
                raise LineBusyError("%s: a line is already requested by another consumer "
                                    "(see Chip.lines() for who holds it)" % what) from exc
            if exc.errno == errno.EINVAL:
                raise GpioConfigError("the kernel refused to request %s with these settings "
                                      "(%s): an offset is out of range or the chip does not "
                                      "support a flag" % (what, _why(exc))) from exc
            if exc.errno in (errno.EPERM, errno.EACCES):
                raise GpioPermissionError("cannot request %s: %s" % (what, _why(exc))) from exc
            raise GpioError("cannot request %s: %s" % (what, _why(exc))) from exc
        fd = uapi.request_fd(buf)
        # edge events are read through the notifier: never block the kernel
        os.set_blocking(fd, False)
        return RealRequest(fd, self, offsets)

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


class RealBackend(GpioBackend):
    """Chips under /dev (or another directory, for tests and containers)."""

    name = "real"

    def __init__(self, dev_dir: str = "/dev") -> None:
        self.dev_dir = dev_dir

    def chip_paths(self) -> List[str]:
        return sorted(glob.glob(os.path.join(self.dev_dir, "gpiochip*")), key=_chip_number)

    def open_chip(self, path: str) -> ChipHandle:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ChipNotFoundError("no GPIO chip at %s (chips here: %s)"
                                    % (path, ", ".join(self.chip_paths()) or "none")) from None
        except PermissionError as exc:
            raise GpioPermissionError("cannot open %s: %s; add the user to the group that owns "
                                      "it (usually 'gpio') or run as root" % (path, _why(exc))) from None
        except OSError as exc:
            raise GpioError("cannot open GPIO chip %s: %s" % (path, _why(exc))) from exc
        chip = RealChip(path, fd)
        try:
            chip.info()       # fails clearly on a path that is not a GPIO chip
        except BaseException:
            chip.close()
            raise
        return chip
