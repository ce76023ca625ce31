"""Discovery datagrams: how kernels announce themselves on a LAN.

A networked kernel broadcasts (and multicasts) a small datagram now and
then saying "a picoos kernel named X listens on TCP port P". Anyone on the
segment can send UDP datagrams, so pycos's habit of unpickling them was a
remote-code-execution hole. Here a datagram is plain JSON, never a pickle,
signed with an HMAC keyed from the shared secret, and carries a wall-clock
timestamp and a random nonce: a datagram outside the time window, or one
whose nonce was already seen inside it, is dropped. A valid datagram only
ever leads to a TCP connection that must still pass the full handshake
(auth.py), so even a replayed one can do no more than cause a connect.

Datagram layout (see docs/protocol.md):

    magic    4 bytes  b"PcDS"
    version  1 byte   DISCOVERY_VERSION
    body     JSON object, UTF-8
    mac      32 bytes HMAC-SHA256(discovery key, magic|version|body)

This module does no I/O; `now` is always passed in (wall-clock seconds,
because the peers do not share a monotonic clock).
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Union

from picoos.net.auth import secret_bytes
from picoos.net.digest import compare_digest, hmac_sha256
from picoos.net.errors import BadSignatureError, DiscoveryError, ReplayError

__all__ = ["DISCOVERY_MAGIC", "DISCOVERY_VERSION", "MAX_DATAGRAM", "Announcement",
           "DiscoveryCodec"]

DISCOVERY_MAGIC = b"PcDS"
DISCOVERY_VERSION = 1
MAX_DATAGRAM = 1200         # fits one Ethernet frame with IPv6 headers
_MAC = 32
_KINDS = ("ping", "pong")   # ping: please connect to me; pong: reply to a ping


class Announcement:
    """A verified discovery datagram's content."""

    __slots__ = ("kind", "name", "port", "addrs", "ts", "nonce", "relay")

    def __init__(self, kind: str, name: str, port: int, addrs: List[str],
                 ts: float, nonce: str, relay: bool = False) -> None:
        self.kind = kind        # "ping" or "pong"
        self.name = name        # the sender's kernel name
        self.port = port        # the sender's TCP port
        self.addrs = addrs      # addresses the sender says it listens on
        self.ts = ts            # sender's wall clock when sent
        self.nonce = nonce      # hex, unique per datagram
        self.relay = relay      # receiver should re-broadcast it on its LAN

    def __repr__(self) -> str:
        return "Announcement(%s %r port %d addrs %s)" % (self.kind, self.name, self.port, self.addrs)


class DiscoveryCodec:
    """Sign and verify discovery datagrams for one shared secret.

    `window` is how far (seconds) a datagram's timestamp may be from our
    clock; boards without a real-time clock should get a wider window until
    NTP has run. `encode()` never fails on valid arguments; `decode()`
    raises `DiscoveryError` (a `ValueError`) or its leaves
    `BadSignatureError` / `ReplayError` for anything it drops.
    """

    def __init__(self, secret: Union[str, bytes, None], window: float = 120.0,
                 max_nonces: int = 4096) -> None:
        if not window > 0:
            raise ValueError("window must be > 0 seconds, got %r" % (window,))
        self._key = hmac_sha256(secret_bytes(secret), b"picoos-discovery-v1")
        self.window = float(window)
        self._seen: "OrderedDict[str, float]" = OrderedDict()   # nonce -> timestamp
        self._max_nonces = max_nonces

    def encode(self, kind: str, name: str, port: int, now: float,
               addrs: Optional[List[str]] = None, relay: bool = False) -> bytes:
        if kind not in _KINDS:
            raise ValueError("kind must be one of %s, got %r" % (_KINDS, kind))
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError("port must be an int in 1..65535, got %r" % (port,))
        body: Dict[str, Any] = {"kind": kind, "name": str(name), "port": port,
                                "addrs": list(addrs or ()), "ts": round(float(now), 3),
                                "nonce": os.urandom(16).hex()}
        if relay:
            body["relay"] = True
        data = DISCOVERY_MAGIC + bytes((DISCOVERY_VERSION,)) + \
            json.dumps(body, separators=(",", ":")).encode("utf-8")
        data += hmac_sha256(self._key, data)
        if len(data) > MAX_DATAGRAM:
            raise ValueError("announcement is %d bytes: the limit is %d (shorten name/addrs)"
                             % (len(data), MAX_DATAGRAM))
        return data

    def decode(self, data: bytes, now: float) -> Announcement:
        if len(data) > MAX_DATAGRAM:
            raise DiscoveryError("datagram is %d bytes: the limit is %d" % (len(data), MAX_DATAGRAM))
        if len(data) < 5 + _MAC or data[:4] != DISCOVERY_MAGIC:
            raise DiscoveryError("datagram does not start with %r or is too short (%d bytes)"
                                 % (DISCOVERY_MAGIC, len(data)))
        if data[4] != DISCOVERY_VERSION:
            raise DiscoveryError("discovery version %d: expected %d" % (data[4], DISCOVERY_VERSION))
        signed, mac = data[:-_MAC], data[-_MAC:]
        if not compare_digest(mac, hmac_sha256(self._key, signed)):
            raise BadSignatureError("discovery datagram signature does not verify "
                                    "(sender uses another secret, or it was forged)")
        # the signature is good: the sender knows the secret. Still parse
        # defensively - an old or buggy peer must not crash us.
        try:
            body = json.loads(signed[5:].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DiscoveryError("discovery body is not UTF-8 JSON: %s" % exc) from None
        if not isinstance(body, dict):
            raise DiscoveryError("discovery body is a %s: expected an object" % type(body).__name__)
        kind, name, port = body.get("kind"), body.get("name"), body.get("port")
        addrs, ts, nonce = body.get("addrs", []), body.get("ts"), body.get("nonce")
        if (kind not in _KINDS or not isinstance(name, str) or type(port) is not int
                or not 0 < port < 65536 or not isinstance(addrs, list)
                or not all(isinstance(a, str) for a in addrs)
                or type(ts) not in (int, float) or not isinstance(nonce, str)
                or not 16 <= len(nonce) <= 64):
            raise DiscoveryError("discovery body %r: expected kind, name, port 1..65535, "
                                 "addrs list of str, numeric ts and a nonce" % (body,))
        if abs(now - ts) > self.window:
            raise ReplayError("discovery datagram is %.0f s from our clock: the window is %.0f s "
                              "(replayed, or the clocks disagree)" % (now - ts, self.window))
        self._expire(now)
        if nonce in self._seen:
            raise ReplayError("discovery datagram nonce %s was already seen: replay dropped" % nonce)
        self._seen[nonce] = ts
        while len(self._seen) > self._max_nonces:
            self._seen.popitem(last=False)
        return Announcement(kind, name, port, addrs, float(ts), nonce, bool(body.get("relay")))

    def _expire(self, now: float) -> None:
        # nonces older than the window cannot be replayed anyway (ts check)
        seen = self._seen
        while seen:
            nonce, ts = next(iter(seen.items()))
            if now - ts <= self.window:
                break
            seen.popitem(last=False)
