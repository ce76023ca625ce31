"""Frames: how bytes on a picoos link are cut into messages.

A TCP stream has no message boundaries, and a peer may be anything that
connects to the port - a port scanner, an old picoos, an attacker. This
module turns the stream into frames and rejects everything that is not a
well-formed frame of a protocol version we speak, *before* any payload is
looked at. It does no I/O (sans-I/O): the link task feeds it the bytes it
received and sends the bytes it is given, so the decoder can be fuzzed
without sockets.

Frame layout (all integers big-endian; see docs/protocol.md):

    magic    4 bytes  b"PcOS"
    version  1 byte   PROTOCOL_VERSION
    type     1 byte   one of FrameType
    flags    1 byte   must be 0 in version 1
    reserved 1 byte   must be 0
    length   4 bytes  payload length, at most the link's limit
    payload  `length` bytes
    mac      32 bytes HMAC-SHA256, only once the link is authenticated

The MAC covers a 64-bit per-direction sequence number, the header and the
payload, so after the handshake a frame cannot be altered, dropped,
replayed or reordered without the receiver noticing.
"""
from __future__ import annotations

import struct
from typing import List, NamedTuple, Optional

from picoos.net.digest import MAC_SIZE as _DIGEST_SIZE
from picoos.net.digest import compare_digest, hmac_sha256
from picoos.net.errors import (
    BadFlagsError, BadMacError, BadMagicError, FrameTooLargeError,
    TruncatedFrameError, UnknownFrameTypeError, UnsupportedVersionError,
)

__all__ = [
    "MAGIC", "PROTOCOL_VERSION", "HEADER_SIZE", "MAC_SIZE", "FrameType",
    "Frame", "encode_frame", "FrameDecoder", "HANDSHAKE_MAX_FRAME",
    "DEFAULT_MAX_FRAME",
]

MAGIC = b"PcOS"
PROTOCOL_VERSION = 1
_HEADER = struct.Struct(">4sBBBBI")
HEADER_SIZE = _HEADER.size          # 12
MAC_SIZE = _DIGEST_SIZE    # 32
_SEQ = struct.Struct(">Q")

# Before the handshake a stranger may only make us buffer this much: the
# handshake messages are a few dozen bytes.
HANDSHAKE_MAX_FRAME = 1024
# After it, a trusted peer may send up to this much in one frame (files are
# sent in chunks well below it).
DEFAULT_MAX_FRAME = 16 * 1024 * 1024


class FrameType:
    """Frame type numbers of protocol version 1."""
    HELLO = 1       # initiator -> responder: initiator's nonce
    CHALLENGE = 2   # responder -> initiator: responder's nonce and proof
    RESPONSE = 3    # initiator -> responder: initiator's proof
    WELCOME = 4     # responder -> initiator: handshake accepted
    REFUSE = 5      # either way: handshake refused, UTF-8 reason
    INFO = 8        # first authenticated frame: JSON about the sender
    DATA = 16       # a pickled message (authenticated links only)
    PING = 17       # heartbeat, empty payload
    BYE = 18        # orderly close, empty payload

    ALL = frozenset((1, 2, 3, 4, 5, 8, 16, 17, 18))
    NAMES = {1: "HELLO", 2: "CHALLENGE", 3: "RESPONSE", 4: "WELCOME",
             5: "REFUSE", 8: "INFO", 16: "DATA", 17: "PING", 18: "BYE"}


KNOWN_FLAGS = 0     # version 1 defines no flag bits


class Frame(NamedTuple):
    """A decoded frame: its type number and payload bytes."""
    type: int
    payload: bytes


def _mac(key: bytes, seq: int, header: bytes, payload) -> bytes:
    return hmac_sha256(key, _SEQ.pack(seq), header, payload)


def encode_frame(ftype: int, payload: bytes = b"", *, mac_key: Optional[bytes] = None,
                 seq: int = 0, max_len: int = DEFAULT_MAX_FRAME) -> bytes:
    """Encode one frame; with `mac_key`, append the MAC for sequence `seq`.

    Raises `UnknownFrameTypeError` for a type not in `FrameType.ALL` and
    `FrameTooLargeError` when the payload is longer than `max_len`, so a
    sender learns about its own mistake instead of the peer dropping the
    link.
    """
    if ftype not in FrameType.ALL:
        raise UnknownFrameTypeError(
            "cannot encode frame type %r: expected one of %s" % (ftype, sorted(FrameType.ALL)))
    n = len(payload)
    if n > max_len:
        raise FrameTooLargeError(
            "%s payload is %d bytes, the limit is %d bytes" % (FrameType.NAMES[ftype], n, max_len))
    header = _HEADER.pack(MAGIC, PROTOCOL_VERSION, ftype, 0, 0, n)
    if mac_key is None:
        return header + payload
    return b"".join((header, payload, _mac(mac_key, seq, header, payload)))


class FrameDecoder:
    """Cut a byte stream into frames, checking every header before buffering.

    `feed(data)` appends received bytes; `next_frame()` returns the next
    complete frame or None when more bytes are needed. Every check happens
    on the 12-byte header, so a bad or oversized frame is rejected before
    its payload is buffered. Any `FrameError` leaves the decoder unusable:
    the caller must close the link (resynchronising a corrupt stream is not
    safe).

    `set_mac_key(key)` switches the decoder to authenticated mode: from the
    next frame on, each frame must carry a valid MAC for the next sequence
    number, starting at 0. `max_len` may be raised at the same time (a
    stranger only gets `HANDSHAKE_MAX_FRAME`).
    """

    __slots__ = ("_buf", "_pos", "max_len", "_key", "_seq", "_broken")

    def __init__(self, max_len: int = HANDSHAKE_MAX_FRAME) -> None:
        if not isinstance(max_len, int) or max_len < 0:
            raise ValueError("max_len must be a non-negative int, got %r" % (max_len,))
        self._buf = bytearray()
        self._pos = 0           # start of the unread part of _buf
        self.max_len = max_len  # payload limit checked on every header
        self._key = None        # MAC key once authenticated, else None
        self._seq = 0           # sequence number the next MACed frame must carry
        self._broken = None     # the FrameError that ended this stream

    @property
    def authenticated(self) -> bool:
        return self._key is not None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as frames."""
        return len(self._buf) - self._pos

    def set_mac_key(self, key: bytes, max_len: Optional[int] = None) -> None:
        if not isinstance(key, (bytes, bytearray)) or len(key) < 16:
            raise ValueError("MAC key must be at least 16 bytes, got %r" % (type(key).__name__,))
        self._key = bytes(key)
        self._seq = 0
        if max_len is not None:
            self.max_len = max_len

    def feed(self, data) -> None:
        if self._broken is not None:
            raise self._broken
        if self._pos:
            if self._pos == len(self._buf):
                # everything consumed: drop it cheaply instead of memmoving
                self._buf.clear()
                self._pos = 0
            elif self._pos > 65536:
                # a frame is always pending: compact now and then so the
                # buffer does not grow with the stream
                del self._buf[:self._pos]
                self._pos = 0
        self._buf += data

    def eof(self) -> None:
        """The stream ended: raise `TruncatedFrameError` if a frame is half read."""
        if self.buffered:
            self._fail(TruncatedFrameError(
                "stream ended %d bytes into a frame: expected a complete frame "
                "(header %d bytes + payload%s)" % (
                    self.buffered, HEADER_SIZE, " + MAC" if self._key else "")))

    def _fail(self, exc):
        self._broken = exc
        raise exc

    def next_frame(self) -> Optional[Frame]:
        if self._broken is not None:
            raise self._broken
        buf, pos = self._buf, self._pos
        avail = len(buf) - pos
        if avail < HEADER_SIZE:
            # a wrong magic is reported as soon as the first bytes show it,
            # so a non-picoos client is dropped without waiting for more
            n = min(avail, 4)
            if n and bytes(buf[pos:pos + n]) != MAGIC[:n]:
                self._fail(BadMagicError(
                    "frame starts with %r: expected magic %r (is the peer a picoos kernel?)"
                    % (bytes(buf[pos:pos + n]), MAGIC)))
            return None
        magic, version, ftype, flags, reserved, length = _HEADER.unpack_from(buf, pos)
        if magic != MAGIC:
            self._fail(BadMagicError(
                "frame starts with %r: expected magic %r (is the peer a picoos kernel?)"
                % (magic, MAGIC)))
        if version != PROTOCOL_VERSION:
            self._fail(UnsupportedVersionError(
                "frame has protocol version %d: expected version %d" % (version, PROTOCOL_VERSION)))
        if ftype not in FrameType.ALL:
            self._fail(UnknownFrameTypeError(
                "frame type %d is not defined: expected one of %s" % (ftype, sorted(FrameType.ALL))))
        if flags & ~KNOWN_FLAGS or reserved:
            self._fail(BadFlagsError(
                "frame flags 0x%02x / reserved 0x%02x: expected 0 in protocol version %d"
                % (flags, reserved, PROTOCOL_VERSION)))
        if length > self.max_len:
            self._fail(FrameTooLargeError(
                "%s frame declares %d payload bytes: the limit on this link is %d"
                % (FrameType.NAMES[ftype], length, self.max_len)))
        total = HEADER_SIZE + length + (MAC_SIZE if self._key is not None else 0)
        if avail < total:
            return None
        start = pos + HEADER_SIZE
        payload = bytes(buf[start:start + length])
        if self._key is not None:
            header = bytes(buf[pos:start])
            got = bytes(buf[start + length:pos + total])
            want = _mac(self._key, self._seq, header, payload)
            if not compare_digest(got, want):
                self._fail(BadMacError(
                    "%s frame #%d failed its MAC check: it was altered, replayed or "
                    "reordered, or the peer uses another session key"
                    % (FrameType.NAMES[ftype], self._seq)))
            self._seq += 1
        self._pos = pos + total
        return Frame(ftype, payload)

    def frames(self) -> List[Frame]:
        """All complete frames buffered now."""
        out = []
        while True:
            f = self.next_frame()
            if f is None:
                return out
            out.append(f)
