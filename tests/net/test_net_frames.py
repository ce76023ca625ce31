"""Frames: encoding, decoding, limits, MACs and every documented error."""
import struct

import pytest

from picoos.net import errors
from picoos.net.wire import (
    DEFAULT_MAX_FRAME, HANDSHAKE_MAX_FRAME, HEADER_SIZE, MAC_SIZE, MAGIC,
    PROTOCOL_VERSION, Frame, FrameDecoder, FrameType, encode_frame,
)

KEY = b"k" * 32


def header(magic=MAGIC, version=PROTOCOL_VERSION, ftype=FrameType.DATA, flags=0, reserved=0, length=0):
    return struct.pack(">4sBBBBI", magic, version, ftype, flags, reserved, length)


def test_round_trip_many_frames_fed_byte_by_byte():
    data = b"".join(encode_frame(FrameType.PING, b"x" * i) for i in range(5))
    dec = FrameDecoder()
    got = []
    for i in range(len(data)):
        dec.feed(data[i:i + 1])
        got.extend(dec.frames())
    assert got == [Frame(FrameType.PING, b"x" * i) for i in range(5)]
    assert dec.buffered == 0
    dec.eof()   # nothing half read: no error


def test_mac_round_trip_and_sequence():
    frames = [encode_frame(FrameType.DATA, b"m%d" % i, mac_key=KEY, seq=i) for i in range(3)]
    dec = FrameDecoder()
    dec.set_mac_key(KEY, DEFAULT_MAX_FRAME)
    dec.feed(b"".join(frames))
    assert [f.payload for f in dec.frames()] == [b"m0", b"m1", b"m2"]
    assert len(frames[0]) == HEADER_SIZE + 2 + MAC_SIZE


@pytest.mark.parametrize("case", ["replay", "reorder", "altered", "wrong-key", "dropped"])
def test_mac_rejects_tampering(case):
    f = [encode_frame(FrameType.DATA, b"m%d" % i, mac_key=KEY, seq=i) for i in range(3)]
    stream = {
        "replay": f[0] + f[0],
        "reorder": f[1] + f[0],
        "altered": f[0][:HEADER_SIZE] + b"X1" + f[0][HEADER_SIZE + 2:],
        "wrong-key": encode_frame(FrameType.DATA, b"m0", mac_key=b"z" * 32, seq=0),
        "dropped": f[0] + f[2],
    }[case]
    dec = FrameDecoder()
    dec.set_mac_key(KEY)
    dec.feed(stream)
    with pytest.raises(errors.BadMacError, match="MAC check"):
        dec.frames()
    # the decoder stays dead: a corrupt stream is never resynchronised
    with pytest.raises(errors.BadMacError):
        dec.next_frame()


def test_bad_magic_reported_from_first_bytes():
    dec = FrameDecoder()
    dec.feed(b"GET / HTTP/1.0")
    with pytest.raises(errors.BadMagicError, match="expected magic"):
        dec.next_frame()
    dec = FrameDecoder()
    dec.feed(b"Pc")     # a correct prefix is not an error yet
    assert dec.next_frame() is None
    dec.feed(b"x")
    with pytest.raises(errors.BadMagicError):
        dec.next_frame()


@pytest.mark.parametrize("hdr,exc,msg", [
    (header(version=2), errors.UnsupportedVersionError, "expected version 1"),
    (header(ftype=99), errors.UnknownFrameTypeError, "frame type 99"),
    (header(flags=1), errors.BadFlagsError, "expected 0"),
    (header(reserved=7), errors.BadFlagsError, "expected 0"),
    (header(length=HANDSHAKE_MAX_FRAME + 1), errors.FrameTooLargeError, "limit on this link is 1024"),
])
def test_bad_headers(hdr, exc, msg):
    dec = FrameDecoder()
    dec.feed(hdr)
    with pytest.raises(exc, match=msg):
        dec.next_frame()
    assert issubclass(exc, ValueError) and issubclass(exc, errors.NetError)


def test_oversized_rejected_before_payload_arrives():
    dec = FrameDecoder(max_len=100)
    dec.feed(header(length=2 ** 32 - 1))     # a 4 GiB claim, no payload sent
    with pytest.raises(errors.FrameTooLargeError):
        dec.next_frame()


def test_truncated_at_eof():
    dec = FrameDecoder()
    dec.feed(encode_frame(FrameType.PING, b"abc")[:-1])
    assert dec.next_frame() is None
    with pytest.raises(errors.TruncatedFrameError, match="stream ended 14 bytes into a frame"):
        dec.eof()


def test_encode_errors():
    with pytest.raises(errors.UnknownFrameTypeError):
        encode_frame(0)
    with pytest.raises(errors.FrameTooLargeError):
        encode_frame(FrameType.DATA, b"x" * 11, max_len=10)
    with pytest.raises(ValueError):
        FrameDecoder(max_len=-1)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        FrameDecoder().set_mac_key(b"short")


def test_buffer_compacts_on_long_streams():
    dec = FrameDecoder(max_len=1 << 20)
    f = encode_frame(FrameType.DATA, b"y" * 1000)
    for _ in range(200):
        dec.feed(f + f[:500])           # always leave half a frame pending
        dec.frames()
        dec.feed(f[500:])
        dec.frames()
    assert dec.buffered == 0
    assert len(dec._buf) < 70000
