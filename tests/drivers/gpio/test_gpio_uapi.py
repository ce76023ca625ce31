"""uAPI v2 packing checked against numbers computed by gcc from <linux/gpio.h>."""
import struct

import pytest

from picoos.drivers.gpio import uapi


def test_ioctl_numbers_match_the_header():
    # printed by a C program including <linux/gpio.h> (see notes/gpio-uapi.md)
    assert uapi.GET_CHIPINFO == 0x8044B401
    assert uapi.V2_GET_LINEINFO == 0xC100B405
    assert uapi.V2_GET_LINEINFO_WATCH == 0xC100B406
    assert uapi.GET_LINEINFO_UNWATCH == 0xC004B40C
    assert uapi.V2_GET_LINE == 0xC250B407
    assert uapi.V2_LINE_SET_CONFIG == 0xC110B40D
    assert uapi.V2_LINE_GET_VALUES == 0xC010B40E
    assert uapi.V2_LINE_SET_VALUES == 0xC010B40F


def test_struct_sizes():
    assert uapi.CHIP_INFO.size == 68
    assert uapi.LINE_CONFIG_SIZE == 272
    assert uapi.LINE_REQUEST_SIZE == 592
    assert uapi.REQUEST_FD_OFFSET == 588
    assert uapi.LINE_INFO_SIZE == 256
    assert uapi.LINE_EVENT.size == 48
    assert uapi.LINE_VALUES.size == 16


def test_line_request_layout():
    cfg = uapi.pack_line_config([uapi.FLAG_INPUT, uapi.FLAG_OUTPUT], [0, 0], 0b10, 0b10)
    buf = uapi.pack_line_request([17, 27], "button", cfg, event_buffer_size=32)
    assert len(buf) == 592
    assert struct.unpack_from("<2I", buf, 0) == (17, 27)
    assert buf[256:256 + 7] == b"button\0"
    assert buf[288:288 + 272] == cfg
    assert struct.unpack_from("<II", buf, 560) == (2, 32)
    assert uapi.request_fd(buf) == -1
    struct.pack_into("<i", buf, 588, 9)
    assert uapi.request_fd(buf) == 9


def test_line_config_uses_most_common_flags_as_default_and_attributes_for_the_rest():
    inp = uapi.FLAG_INPUT | uapi.FLAG_BIAS_PULL_UP
    out = uapi.FLAG_OUTPUT
    cfg = uapi.pack_line_config([inp, out, inp], [5000, 0, 0], 0b010, 0b010)
    flags, nattrs = struct.unpack_from("<QI", cfg, 0)
    assert flags == inp
    assert nattrs == 3
    attrs = [struct.unpack_from("<IIQQ", cfg, 32 + 24 * i) for i in range(nattrs)]
    assert attrs == [
        (uapi.ATTR_FLAGS, 0, out, 0b010),
        (uapi.ATTR_OUTPUT_VALUES, 0, 0b010, 0b010),
        (uapi.ATTR_DEBOUNCE, 0, 5000, 0b001),
    ]
    # unused attribute slots stay zero
    assert cfg[32 + 24 * 3:] == bytes(272 - 32 - 24 * 3)


def test_line_config_too_many_distinct_settings_is_a_clear_error():
    flags = [uapi.FLAG_INPUT | (i << 20) for i in range(12)]
    with pytest.raises(ValueError, match="at most 10 fit"):
        uapi.pack_line_config(flags, [0] * 12, 0, 0)


def test_bad_request_arguments():
    cfg = uapi.pack_line_config([uapi.FLAG_INPUT], [0], 0, 0)
    with pytest.raises(ValueError, match="1..64 line offsets"):
        uapi.pack_line_request([], "x", cfg)
    with pytest.raises(ValueError, match="at most 31 bytes"):
        uapi.pack_line_request([1], "c" * 32, cfg)
    with pytest.raises(ValueError, match="one flags and one debounce"):
        uapi.pack_line_config([1, 2], [0], 0, 0)


def test_line_info_and_chip_info_unpack():
    buf = bytearray(256)
    struct.pack_into("<32s32sIIQ", buf, 0, b"GPIO17", b"button", 17, 1,
                     uapi.FLAG_USED | uapi.FLAG_INPUT | uapi.FLAG_EDGE_FALLING)
    struct.pack_into("<IIQ", buf, 80, uapi.ATTR_DEBOUNCE, 0, 5000)
    info = uapi.unpack_line_info(buf)
    assert info == uapi.RawLineInfo("GPIO17", "button", 17,
                                    uapi.FLAG_USED | uapi.FLAG_INPUT | uapi.FLAG_EDGE_FALLING, 5000)
    chip = uapi.unpack_chip_info(struct.pack("<32s32sI", b"gpiochip0", b"pinctrl-bcm2711", 58))
    assert chip == ("gpiochip0", "pinctrl-bcm2711", 58)


def test_values_and_events_round_trip():
    assert uapi.unpack_line_values(uapi.pack_line_values(0b111, 0b101)) == (0b101, 0b101)
    data = uapi.pack_event(123, uapi.EVENT_RISING, 17, 1, 1) + uapi.pack_event(456, uapi.EVENT_FALLING, 27, 2, 1)
    assert len(data) == 96
    assert uapi.unpack_events(data) == [(123, 1, 17, 1, 1), (456, 2, 27, 2, 1)]
    with pytest.raises(ValueError, match="not a multiple of 48"):
        uapi.unpack_events(data[:50])
