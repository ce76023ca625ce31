"""The Linux GPIO character device uAPI v2, as bytes.

Why this module exists: the real backend talks to `/dev/gpiochipN` with
`fcntl.ioctl` and plain `struct` packing, so picoos needs no C extension and
no libgpiod.  Everything that knows a byte offset or an ioctl number lives
here and nowhere else; the rest of the driver deals in Python values.

The layouts follow `<linux/gpio.h>` (every struct is padded to 8 bytes with
`__aligned_u64`, so they are identical on 32- and 64-bit ARM and x86-64).
Sizes and offsets were checked with gcc against the header; the tests check
the ioctl numbers computed here against the values gcc printed.
"""
from __future__ import annotations

import struct
from typing import List, NamedTuple, Sequence, Tuple

# ---------------------------------------------------------------- limits
NAME_SIZE = 32            # GPIO_MAX_NAME_SIZE, name/label/consumer incl. NUL
LINES_MAX = 64            # GPIO_V2_LINES_MAX, lines in one request
NUM_ATTRS_MAX = 10        # GPIO_V2_LINE_NUM_ATTRS_MAX

# ---------------------------------------------------------------- line flags
FLAG_USED = 1 << 0
FLAG_ACTIVE_LOW = 1 << 1
FLAG_INPUT = 1 << 2
FLAG_OUTPUT = 1 << 3
FLAG_EDGE_RISING = 1 << 4
FLAG_EDGE_FALLING = 1 << 5
FLAG_OPEN_DRAIN = 1 << 6
FLAG_OPEN_SOURCE = 1 << 7
FLAG_BIAS_PULL_UP = 1 << 8
FLAG_BIAS_PULL_DOWN = 1 << 9
FLAG_BIAS_DISABLED = 1 << 10
FLAG_EVENT_CLOCK_REALTIME = 1 << 11
FLAG_EVENT_CLOCK_HTE = 1 << 12

# attribute ids of gpio_v2_line_attribute
ATTR_FLAGS = 1
ATTR_OUTPUT_VALUES = 2
ATTR_DEBOUNCE = 3

# gpio_v2_line_event.id
EVENT_RISING = 1
EVENT_FALLING = 2

# ---------------------------------------------------------------- structs
CHIP_INFO = struct.Struct("<32s32sI")                 # gpiochip_info, 68
LINE_ATTRIBUTE = struct.Struct("<IIQ")                # 16
CONFIG_ATTRIBUTE = struct.Struct("<IIQQ")             # attribute + mask, 24
CONFIG_HEAD = struct.Struct("<QI20x")                 # flags, num_attrs, pad[5]
LINE_CONFIG_SIZE = CONFIG_HEAD.size + NUM_ATTRS_MAX * CONFIG_ATTRIBUTE.size  # 272
REQUEST_HEAD = struct.Struct("<%dI32s" % LINES_MAX)   # offsets[64], consumer
REQUEST_TAIL = struct.Struct("<II20xi")               # num_lines, ebs, pad[5], fd
LINE_REQUEST_SIZE = REQUEST_HEAD.size + LINE_CONFIG_SIZE + REQUEST_TAIL.size  # 592
REQUEST_FD_OFFSET = LINE_REQUEST_SIZE - 4             # 588
LINE_VALUES = struct.Struct("<QQ")                    # bits, mask, 16
INFO_HEAD = struct.Struct("<32s32sIIQ")               # name, consumer, offset, num_attrs, flags
LINE_INFO_SIZE = INFO_HEAD.size + NUM_ATTRS_MAX * LINE_ATTRIBUTE.size + 16  # 256
LINE_EVENT = struct.Struct("<QIIII24x")               # 48

assert CHIP_INFO.size == 68 and LINE_CONFIG_SIZE == 272
assert LINE_REQUEST_SIZE == 592 and LINE_INFO_SIZE == 256 and LINE_EVENT.size == 48

# ---------------------------------------------------------------- ioctls
_IOC_WRITE = 1
_IOC_READ = 2


def _ioc(direction: int, nr: int, size: int) -> int:
    # asm-generic/ioctl.h: dir(2) | size(14) | type(8) | nr(8); the GPIO
    # type is 0xB4.  x86 and ARM use the generic layout.
    return (direction << 30) | (size << 16) | (0xB4 << 8) | nr


GET_CHIPINFO = _ioc(_IOC_READ, 0x01, CHIP_INFO.size)
GET_LINEINFO_UNWATCH = _ioc(_IOC_READ | _IOC_WRITE, 0x0C, 4)
V2_GET_LINEINFO = _ioc(_IOC_READ | _IOC_WRITE, 0x05, LINE_INFO_SIZE)
V2_GET_LINEINFO_WATCH = _ioc(_IOC_READ | _IOC_WRITE, 0x06, LINE_INFO_SIZE)
V2_GET_LINE = _ioc(_IOC_READ | _IOC_WRITE, 0x07, LINE_REQUEST_SIZE)
V2_LINE_SET_CONFIG = _ioc(_IOC_READ | _IOC_WRITE, 0x0D, LINE_CONFIG_SIZE)
V2_LINE_GET_VALUES = _ioc(_IOC_READ | _IOC_WRITE, 0x0E, LINE_VALUES.size)
V2_LINE_SET_VALUES = _ioc(_IOC_READ | _IOC_WRITE, 0x0F, LINE_VALUES.size)


# ---------------------------------------------------------------- values
class RawChipInfo(NamedTuple):
    name: str
    label: str
    lines: int


class RawLineInfo(NamedTuple):
    name: str
    consumer: str
    offset: int
    flags: int
    debounce_us: int      # 0 when the line has no debounce attribute


class RawEvent(NamedTuple):
    timestamp_ns: int
    id: int
    offset: int
    seqno: int
    line_seqno: int


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def encode_name(text: str, what: str = "consumer") -> bytes:
    """Encode a consumer label for the kernel (at most 31 bytes plus NUL)."""
    raw = text.encode("utf-8")
    if len(raw) >= NAME_SIZE or b"\0" in raw:
        raise ValueError("%s %r: expected at most %d bytes without NUL"
                         % (what, text, NAME_SIZE - 1))
    return raw


def unpack_chip_info(buf: bytes) -> RawChipInfo:
    name, label, lines = CHIP_INFO.unpack(bytes(buf))
    return RawChipInfo(_cstr(name), _cstr(label), lines)


def pack_line_info_query(offset: int) -> bytearray:
    """A gpio_v2_line_info with only `offset` set, for V2_GET_LINEINFO."""
    buf = bytearray(LINE_INFO_SIZE)
    struct.pack_into("<I", buf, 64, offset)
    return buf


def unpack_line_info(buf: bytes) -> RawLineInfo:
    name, consumer, offset, num_attrs, flags = INFO_HEAD.unpack_from(buf, 0)
    debounce_us = 0
    for i in range(min(num_attrs, NUM_ATTRS_MAX)):
        attr_id, _pad, value = LINE_ATTRIBUTE.unpack_from(buf, INFO_HEAD.size + i * LINE_ATTRIBUTE.size)
        if attr_id == ATTR_FLAGS:
            flags = value                 # not sent by current kernels; honoured if it is
        elif attr_id == ATTR_DEBOUNCE:
            debounce_us = value & 0xFFFFFFFF
    return RawLineInfo(_cstr(name), _cstr(consumer), offset, flags, debounce_us)


def pack_line_config(line_flags: Sequence[int], debounce_us: Sequence[int],
                     output_bits: int, output_mask: int) -> bytes:
    """Pack a gpio_v2_line_config for lines 0..n-1 of a request.

    `line_flags[i]` and `debounce_us[i]` are the wanted flags and debounce of
    the i-th requested line; `output_bits`/`output_mask` the initial output
    values.  The most common flag set becomes the config's default and the
    other lines get FLAGS attributes, so a request needs as few of the ten
    attribute slots as possible.  Raises ValueError when ten are not enough.
    """
    if len(line_flags) != len(debounce_us) or not 0 < len(line_flags) <= LINES_MAX:
        raise ValueError("expected 1..%d lines with one flags and one debounce value each"
                         % LINES_MAX)
    counts: dict = {}
    for f in line_flags:
        counts[f] = counts.get(f, 0) + 1
    # ties go to the flags of the earliest line, so packing is deterministic
    default = max(counts, key=lambda f: (counts[f], -line_flags.index(f)))
    attrs: List[Tuple[int, int, int]] = []       # (id, value, mask)
    by_flags: dict = {}
    for i, f in enumerate(line_flags):
        if f != default:
            by_flags[f] = by_flags.get(f, 0) | (1 << i)
    for f, mask in by_flags.items():
        attrs.append((ATTR_FLAGS, f, mask))
    if output_mask:
        attrs.append((ATTR_OUTPUT_VALUES, output_bits & output_mask, output_mask))
    by_period: dict = {}
    for i, us in enumerate(debounce_us):
        if us:
            by_period[us] = by_period.get(us, 0) | (1 << i)
    for us, mask in by_period.items():
        attrs.append((ATTR_DEBOUNCE, us, mask))
    if len(attrs) > NUM_ATTRS_MAX:
        raise ValueError("these line settings need %d kernel attributes, at most %d fit "
                         "in one request: give more lines the same settings or use "
                         "several requests" % (len(attrs), NUM_ATTRS_MAX))
    out = bytearray(LINE_CONFIG_SIZE)
    CONFIG_HEAD.pack_into(out, 0, default, len(attrs))
    for i, (attr_id, value, mask) in enumerate(attrs):
        CONFIG_ATTRIBUTE.pack_into(out, CONFIG_HEAD.size + i * CONFIG_ATTRIBUTE.size,
                                   attr_id, 0, value, mask)
    return bytes(out)


def pack_line_request(offsets: Sequence[int], consumer: str, config: bytes,
                      event_buffer_size: int = 0) -> bytearray:
    """Pack a gpio_v2_line_request; the kernel writes the new fd at REQUEST_FD_OFFSET."""
    if not 0 < len(offsets) <= LINES_MAX:
        raise ValueError("expected 1..%d line offsets, got %d" % (LINES_MAX, len(offsets)))
    if len(config) != LINE_CONFIG_SIZE:
        raise ValueError("line config must be %d bytes" % LINE_CONFIG_SIZE)
    padded = list(offsets) + [0] * (LINES_MAX - len(offsets))
    buf = bytearray(LINE_REQUEST_SIZE)
    REQUEST_HEAD.pack_into(buf, 0, *padded, encode_name(consumer))
    buf[REQUEST_HEAD.size:REQUEST_HEAD.size + LINE_CONFIG_SIZE] = config
    REQUEST_TAIL.pack_into(buf, REQUEST_HEAD.size + LINE_CONFIG_SIZE,
                           len(offsets), event_buffer_size, -1)
    return buf


def request_fd(buf: bytes) -> int:
    return struct.unpack_from("<i", buf, REQUEST_FD_OFFSET)[0]


def pack_line_values(bits: int, mask: int) -> bytearray:
    return bytearray(LINE_VALUES.pack(bits & mask, mask))


def unpack_line_values(buf: bytes) -> Tuple[int, int]:
    return LINE_VALUES.unpack(bytes(buf))


def pack_event(timestamp_ns: int, event_id: int, offset: int, seqno: int, line_seqno: int) -> bytes:
    """A gpio_v2_line_event as the kernel writes it (the fake backend uses this)."""
    return LINE_EVENT.pack(timestamp_ns, event_id, offset, seqno, line_seqno)


def unpack_events(buf: bytes) -> List[RawEvent]:
    """Decode whole 48-byte events; a trailing partial event is an error."""
    size = LINE_EVENT.size
    if len(buf) % size:
        raise ValueError("edge event data of %d bytes is not a multiple of %d" % (len(buf), size))
    return [RawEvent(*LINE_EVENT.unpack_from(buf, i)) for i in range(0, len(buf), size)]
