"""One authenticated link to a peer, without the sockets.

A link is a TCP (optionally TLS) connection between two networked kernels.
This class holds everything about a link that is not I/O: the frame decoder,
the handshake, the sequence numbers and MAC keys, and the rule that decides
when a payload may be deserialized - only DATA frames, and only after the
handshake has finished in both directions. Keeping that rule in one small
sans-I/O class is what lets the fuzz test drive the exact code the network
tasks run, and count deserializations.

Use:

    link = Link(secret, initiator=True, loads=codec.loads)
    link.start()
    sock.sendall(link.data_to_send())
    for event in link.receive_data(sock.recv(65536)):
        ...                             # (kind, value) tuples, see EVENT_*
    link.send_message(obj)              # after EVENT_AUTHENTICATED
"""
from __future__ import annotations

import json
from typing import Any, Callable, List, Optional, Tuple, Union

from picoos.net.auth import Handshake
from picoos.net.errors import AuthError, FrameError
from picoos.net.wire import (
    DEFAULT_MAX_FRAME, HANDSHAKE_MAX_FRAME, FrameDecoder, FrameType, encode_frame,
)

__all__ = ["Link", "EVENT_AUTHENTICATED", "EVENT_INFO", "EVENT_MESSAGE",
           "EVENT_PING", "EVENT_BYE", "EVENT_BAD_MESSAGE", "INFO_MAX"]

EVENT_AUTHENTICATED = "authenticated"   # value: None
EVENT_INFO = "info"                     # value: dict decoded from JSON
EVENT_MESSAGE = "message"               # value: the deserialized object
EVENT_PING = "ping"                     # value: None
EVENT_BYE = "bye"                       # value: None
EVENT_BAD_MESSAGE = "bad-message"       # value: the exception loads raised

INFO_MAX = 4096     # an INFO frame is a small JSON object

Event = Tuple[str, Any]

_HANDSHAKE_TYPES = frozenset((FrameType.HELLO, FrameType.CHALLENGE, FrameType.RESPONSE,
                              FrameType.WELCOME, FrameType.REFUSE))


def _default_loads(data: bytes):
    # looked up at call time so tests can patch picoos.net.codec.loads
    from picoos.net import codec
    return codec.loads(data)


class Link:
    """The protocol state of one link (see the module docstring).

    `receive_data` raises `FrameError` for a malformed frame and `AuthError`
    for a failed handshake; the link is then dead and the caller should
    send `data_to_send()` (it may hold a REFUSE frame) and close.
    """

    __slots__ = ("_decoder", "_hs", "_out", "_send_key", "_send_seq", "max_frame",
                 "_loads", "_dumps", "peer_info", "closed")

    def __init__(self, secret: Union[str, bytes, None], initiator: bool, *,
                 max_frame: int = DEFAULT_MAX_FRAME,
                 loads: Optional[Callable[[bytes], Any]] = None,
                 dumps: Optional[Callable[[Any], bytes]] = None,
                 rand=None) -> None:
        kw = {"rand": rand} if rand is not None else {}
        self._decoder = FrameDecoder(HANDSHAKE_MAX_FRAME)   # strangers get a small limit
        self._hs = Handshake(secret, initiator, **kw)       # None once authenticated
        self._out: List[bytes] = []         # encoded frames not yet taken by the sender
        self._send_key: Optional[bytes] = None
        self._send_seq = 0
        self.max_frame = max_frame          # payload limit after authentication
        self._loads = loads or _default_loads
        self._dumps = dumps
        self.peer_info: Optional[dict] = None   # the peer's INFO, once received
        self.closed = False                 # BYE received or sent

    @property
    def authenticated(self) -> bool:
        return self._send_key is not None

    def start(self) -> None:
        self._queue_raw(self._hs.start())

    def _queue_raw(self, data: bytes) -> None:
        if data:
            self._out.append(data)

    def data_to_send(self) -> bytes:
        """Take every byte queued for the peer."""
        if not self._out:
            return b""
        data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
        self._out.clear()
        return data

    def pending_output(self) -> bool:
        return bool(self._out)

    # -- sending (authenticated) --------------------------------------------

    def _seal(self, ftype: int, payload: bytes) -> None:
        if self._send_key is None:
            raise AuthError("cannot send %s before the handshake has finished"
                            % FrameType.NAMES[ftype])
        frame = encode_frame(ftype, payload, mac_key=self._send_key, seq=self._send_seq,
                             max_len=self.max_frame)
        self._send_seq += 1
        self._out.append(frame)

    def send_message(self, obj: Any) -> None:
        """Serialize `obj` and queue it as a DATA frame."""
        if self._dumps is None:
            from picoos.net import codec
            data = codec.dumps(obj)
        else:
            data = self._dumps(obj)
        self._seal(FrameType.DATA, data)

    def send_bytes(self, payload: bytes) -> None:
        """Queue an already serialized DATA payload."""
        self._seal(FrameType.DATA, payload)

    def send_info(self, info: dict) -> None:
        data = json.dumps(info, separators=(",", ":")).encode("utf-8")
        if len(data) > INFO_MAX:
            raise ValueError("INFO is %d bytes of JSON: the limit is %d" % (len(data), INFO_MAX))
        self._seal(FrameType.INFO, data)

    def send_ping(self) -> None:
        self._seal(FrameType.PING, b"")

    def send_bye(self) -> None:
        self._seal(FrameType.BYE, b"")
        self.closed = True

    # -- receiving ----------------------------------------------------------

    def receive_data(self, data: bytes) -> List[Event]:
        """Feed received bytes; return the events they complete, in order."""
        dec = self._decoder
        dec.feed(data)
        events: List[Event] = []
        while True:
            frame = dec.next_frame()
            if frame is None:
                return events
            ftype = frame.type
            if self._hs is not None:
                self._handshake_frame(frame, events)
            elif ftype == FrameType.DATA:
                try:
                    obj = self._loads(frame.payload)
                except Exception as exc:    # noqa: BLE001 - a trusted peer's bad object
                    events.append((EVENT_BAD_MESSAGE, exc))
                else:
                    events.append((EVENT_MESSAGE, obj))
            elif ftype == FrameType.PING:
                events.append((EVENT_PING, None))
            elif ftype == FrameType.INFO:
                events.append((EVENT_INFO, self._info(frame.payload)))
            elif ftype == FrameType.BYE:
                self.closed = True
                events.append((EVENT_BYE, None))
                return events
            else:
                raise FrameError("%s frame after the handshake: expected DATA, INFO, PING or BYE"
                                 % FrameType.NAMES[ftype])

    def eof(self) -> None:
        """The peer closed the stream; raises if it stopped mid-frame."""
        self._decoder.eof()

    def _handshake_frame(self, frame, events: List[Event]) -> None:
        hs = self._hs
        if frame.type not in _HANDSHAKE_TYPES:
            # never deserialize anything before authentication
            hs._state = hs._FAILED
            raise AuthError("%s frame before the handshake finished: refusing it unread"
                            % FrameType.NAMES[frame.type])
        try:
            reply = hs.receive(frame)
        except AuthError:
            self._queue_raw(hs.refusal)
            raise
        self._queue_raw(reply)
        if hs.done:
            keys = hs.keys
            self._send_key = keys.send_key
            self._decoder.set_mac_key(keys.recv_key, self.max_frame)
            self._hs = None
            events.append((EVENT_AUTHENTICATED, None))

    def _info(self, payload: bytes) -> dict:
        if len(payload) > INFO_MAX:
            raise FrameError("INFO frame is %d bytes: the limit is %d" % (len(payload), INFO_MAX))
        try:
            info = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise FrameError("INFO frame is not UTF-8 JSON: %s" % exc) from None
        if not isinstance(info, dict):
            raise FrameError("INFO frame holds a %s: expected a JSON object" % type(info).__name__)
        self.peer_info = info
        return info
