"""The handshake: both ends prove they know the shared secret.

pycos sent a static token in clear text and unpickled requests before
checking it. picoos instead runs a challenge/response handshake in both
directions on every new link, with fresh random nonces from each side, and
nothing on the link is deserialized until it has finished. It also derives
a per-link session key, from which the per-direction MAC keys of
`wire.FrameDecoder` come, so frames after the handshake cannot be forged,
replayed or reordered (see docs/protocol.md for the exact transcript).

    initiator (I)                         responder (R)
    HELLO      nI (32 random bytes)  -->
                                     <--  CHALLENGE  nR, proofR
    check proofR == H(K, "server"|nI|nR)
    RESPONSE   proofI                -->
                                          check proofI == H(K, "client"|nI|nR)
                                     <--  WELCOME
    session = H(K, "session"|nI|nR); I->R key and R->I key derived from it

H is HMAC-SHA256, K the shared secret. Distinct labels stop a proof from one
role being reflected as the other's; the fresh nonces stop replays of old
transcripts. Either side refuses with a REFUSE frame carrying a short
reason, so both ends can log why a link was dropped.

Like wire.py this module does no I/O. A `Handshake` consumes frames and
produces bytes to send; the link task does the socket work.
"""
from __future__ import annotations

import os
from typing import Callable, Optional, Union

from picoos.net.digest import compare_digest, hmac_sha256
from picoos.net.errors import AuthError
from picoos.net.wire import HANDSHAKE_MAX_FRAME, Frame, FrameType, encode_frame

__all__ = ["NONCE_SIZE", "Handshake", "SessionKeys", "secret_bytes"]

NONCE_SIZE = 32
_LABEL = b"picoos-auth-v1 "
_REASON_MAX = 200


def secret_bytes(secret: Union[str, bytes, None]) -> bytes:
    """The shared secret as bytes (str is UTF-8 encoded; None means none)."""
    if secret is None:
        return b""
    if isinstance(secret, str):
        return secret.encode("utf-8")
    if isinstance(secret, (bytes, bytearray)):
        return bytes(secret)
    raise TypeError("secret must be str or bytes, got %s" % type(secret).__name__)


def _h(key: bytes, label: bytes, *parts: bytes) -> bytes:
    return hmac_sha256(key, _LABEL + label, *parts)


class SessionKeys:
    """The keys a finished handshake yields: one MAC key per direction."""

    __slots__ = ("send_key", "recv_key")

    def __init__(self, send_key: bytes, recv_key: bytes) -> None:
        self.send_key = send_key    # MACs the frames we send
        self.recv_key = recv_key    # verifies the frames we receive


class Handshake:
    """One side of the handshake on one link.

    `initiator=True` for the side that connected. Use:

        hs = Handshake(secret, initiator=True)
        out = hs.start()              # bytes to send (b"" for the responder)
        out = hs.receive(frame)       # for each frame until hs.done
        keys = hs.keys                # SessionKeys once done

    `receive` raises `AuthError` when the peer fails to prove the secret,
    refuses ours, or sends a frame that does not belong at this point of
    the handshake. In the first two cases `refusal` holds a REFUSE frame the
    caller should try to send before closing, so the peer logs the reason
    too. After an error the handshake is dead: every later call raises.
    """

    __slots__ = ("_secret", "initiator", "_rand", "_state", "_my_nonce",
                 "_peer_nonce", "keys", "refusal", "_error")

    # states
    _START, _WAIT_CHALLENGE, _WAIT_WELCOME, _WAIT_HELLO, _WAIT_RESPONSE, _DONE, _FAILED = range(7)

    def __init__(self, secret: Union[str, bytes, None], initiator: bool,
                 rand: Callable[[int], bytes] = os.urandom) -> None:
        self._secret = secret_bytes(secret)
        self.initiator = bool(initiator)
        self._rand = rand                   # nonce source (tests may fix it)
        self._state = self._START
        self._my_nonce = b""
        self._peer_nonce = b""
        self.keys: Optional[SessionKeys] = None     # set when done
        self.refusal = b""                  # REFUSE frame to send after an AuthError
        self._error: Optional[AuthError] = None

    @property
    def done(self) -> bool:
        return self._state == self._DONE

    def start(self) -> bytes:
        """Begin: the initiator's HELLO frame, or b"" for the responder."""
        if self._state != self._START:
            raise AuthError("handshake already started")
        if self.initiator:
            self._my_nonce = self._nonce()
            self._state = self._WAIT_CHALLENGE
            return encode_frame(FrameType.HELLO, self._my_nonce, max_len=HANDSHAKE_MAX_FRAME)
        self._state = self._WAIT_HELLO
        return b""

    def _nonce(self) -> bytes:
        n = self._rand(NONCE_SIZE)
        if not isinstance(n, bytes) or len(n) != NONCE_SIZE:
            raise ValueError("nonce source must return %d bytes" % NONCE_SIZE)
        return n

    def _fail(self, msg: str, refuse: Optional[str] = None) -> None:
        self._state = self._FAILED
        if refuse is not None:
            self.refusal = encode_frame(FrameType.REFUSE, refuse.encode("utf-8")[:_REASON_MAX])
        self._error = AuthError(msg)
        raise self._error

    def receive(self, frame: Frame) -> bytes:
        """Consume one handshake frame; return the bytes to send in reply."""
        if self._state == self._FAILED:
            raise AuthError("handshake already failed: %s" % (self._error,))
        if self._state == self._DONE:
            raise AuthError("handshake already finished; frame type %d is not a handshake frame"
                            % frame.type)
        if self._state == self._START:
            raise AuthError("handshake not started: call start() first")
        ftype, payload = frame.type, frame.payload
        if ftype == FrameType.REFUSE:
            reason = payload[:_REASON_MAX].decode("utf-8", "replace")
            self._fail("peer refused the handshake: %s" % (reason or "no reason given"))
        want = {self._WAIT_CHALLENGE: FrameType.CHALLENGE,
                self._WAIT_WELCOME: FrameType.WELCOME,
                self._WAIT_HELLO: FrameType.HELLO,
                self._WAIT_RESPONSE: FrameType.RESPONSE}[self._state]
        if ftype != want:
            self._fail("handshake protocol violation: got a %s frame, expected %s"
                       % (FrameType.NAMES.get(ftype, str(ftype)), FrameType.NAMES[want]),
                       refuse="protocol violation: expected %s" % FrameType.NAMES[want])
        return getattr(self, "_on_" + FrameType.NAMES[ftype].lower())(payload)

    # -- responder -----------------------------------------------------------

    def _on_hello(self, payload: bytes) -> bytes:
        if len(payload) != NONCE_SIZE:
            self._fail("HELLO carries %d bytes: expected a %d-byte nonce" % (len(payload), NONCE_SIZE),
                       refuse="bad HELLO")
        self._peer_nonce = payload
        self._my_nonce = self._nonce()
        proof = _h(self._secret, b"server", payload, self._my_nonce)
        self._state = self._WAIT_RESPONSE
        return encode_frame(FrameType.CHALLENGE, self._my_nonce + proof)

    def _on_response(self, payload: bytes) -> bytes:
        want = _h(self._secret, b"client", self._peer_nonce, self._my_nonce)
        if len(payload) != len(want) or not compare_digest(payload, want):
            self._fail("peer failed to prove the shared secret (wrong secret?)",
                       refuse="authentication failed: wrong secret")
        self._finish(self._peer_nonce, self._my_nonce)
        return encode_frame(FrameType.WELCOME)

    # -- initiator -----------------------------------------------------------

    def _on_challenge(self, payload: bytes) -> bytes:
        if len(payload) != 2 * NONCE_SIZE:
            self._fail("CHALLENGE carries %d bytes: expected %d (nonce + proof)"
                       % (len(payload), 2 * NONCE_SIZE), refuse="bad CHALLENGE")
        nonce, proof = payload[:NONCE_SIZE], payload[NONCE_SIZE:]
        want = _h(self._secret, b"server", self._my_nonce, nonce)
        if not compare_digest(proof, want):
            self._fail("peer failed to prove the shared secret (wrong secret?)",
                       refuse="authentication failed: wrong secret")
        if nonce == self._my_nonce:
            # our own nonce echoed back: a reflection attempt
            self._fail("peer echoed our nonce: refusing a reflected handshake",
                       refuse="reflected nonce")
        self._peer_nonce = nonce
        self._state = self._WAIT_WELCOME
        return encode_frame(FrameType.RESPONSE, _h(self._secret, b"client", self._my_nonce, nonce))

    def _on_welcome(self, payload: bytes) -> bytes:
        if payload:
            self._fail("WELCOME carries %d bytes: expected none" % len(payload),
                       refuse="bad WELCOME")
        self._finish(self._my_nonce, self._peer_nonce)
        return b""

    def _finish(self, n_init: bytes, n_resp: bytes) -> None:
        session = _h(self._secret, b"session", n_init, n_resp)
        i2r = _h(session, b"initiator->responder")
        r2i = _h(session, b"responder->initiator")
        self.keys = SessionKeys(i2r, r2i) if self.initiator else SessionKeys(r2i, i2r)
        self._secret = b""      # not needed any more; do not keep it per link
        self._state = self._DONE
