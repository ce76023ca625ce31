"""Finding nodes on the LAN: signed UDP discovery between clients and nodes.

A client that is not given node addresses (or is asked to discover more)
broadcasts a *ping* to the nodes' UDP port; every node that can verify it
answers the sender with a *pong* naming its TCP port. A datagram is plain
JSON signed with HMAC-SHA256 under a key derived from the shared secret,
stamped with the sender's clock and a random nonce; stale, replayed or
unsigned datagrams are dropped, and nothing is ever unpickled. A pong only
leads to a TCP connection, which must still pass the full handshake
(:mod:`picoos.dist.wire`).

Discussion: the net layer has the same idea for networked kernels, but
importing ``picoos.net`` loads the whole net layer, which a node daemon
with a 15 MiB budget cannot afford; this is the dist layer's own ~100 lines.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import time
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple

MAGIC = b"PcDD1"
MAC = 32
MAX_DATAGRAM = 1024
WINDOW = 120.0          # seconds a datagram's clock may differ from ours


class DiscoveryCodec:
    """Signs and verifies discovery datagrams for one secret."""

    def __init__(self, secret: str, window: float = WINDOW):
        self._key = hmac.new(secret.encode(), b"picoos-dist-discovery", hashlib.sha256).digest()
        self.window = window
        self._seen: "OrderedDict[str, float]" = OrderedDict()

    def encode(self, kind: str, **fields: Any) -> bytes:
        body = dict(fields, kind=kind, ts=round(time.time(), 3), nonce=os.urandom(12).hex())
        data = MAGIC + json.dumps(body, separators=(",", ":")).encode()
        return data + hmac.new(self._key, data, hashlib.sha256).digest()

    def decode(self, data: bytes) -> Optional[Dict[str, Any]]:
        """The datagram's fields, or None when it is not valid for us."""
        if len(data) > MAX_DATAGRAM or len(data) < len(MAGIC) + MAC or \
                not data.startswith(MAGIC):
            return None
        signed, mac = data[:-MAC], data[-MAC:]
        if not hmac.compare_digest(mac, hmac.new(self._key, signed, hashlib.sha256).digest()):
            return None
        try:
            body = json.loads(signed[len(MAGIC):].decode())
        except ValueError:
            return None
        if not isinstance(body, dict) or not isinstance(body.get("nonce"), str) \
                or not isinstance(body.get("ts"), (int, float)):
            return None
        now = time.time()
        if abs(now - body["ts"]) > self.window or body["nonce"] in self._seen:
            return None
        self._seen[body["nonce"]] = now
        while self._seen and (len(self._seen) > 4096 or
                              now - next(iter(self._seen.values())) > self.window):
            self._seen.popitem(last=False)
        return body


def serve_discovery(sock: socket.socket, codec: DiscoveryCodec, name: str, tcp_port: int,
                    ext_host: str, stopping: Any) -> None:
    """Node side: answer valid pings on ``sock`` until ``stopping`` is set."""
    sock.settimeout(1.0)
    while not stopping.is_set():
        try:
            data, addr = sock.recvfrom(MAX_DATAGRAM + 1)
        except socket.timeout:
            continue
        except OSError:
            return
        body = codec.decode(data)
        if body is None or body.get("kind") != "ping":
            continue
        reply = codec.encode("pong", name=name, port=tcp_port, host=ext_host)
        try:
            sock.sendto(reply, addr)
        except OSError:
            pass


class Discoverer:
    """Client side: broadcast pings, collect the nodes that answer."""

    def __init__(self, secret: str, udp_port: int, extra: Tuple[str, ...] = ("127.0.0.1",)):
        self.codec = DiscoveryCodec(secret)
        self.udp_port = udp_port
        self.extra = extra
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.bind(("", 0))

    def ping(self) -> None:
        data = self.codec.encode("ping")
        for dest in ("<broadcast>",) + tuple(self.extra):
            try:
                self.sock.sendto(data, (dest, self.udp_port))
            except OSError:
                pass    # no broadcast route (a container): the extra addresses still work

    def collect(self, timeout: float) -> Dict[Tuple[str, int], str]:
        """Pongs received within ``timeout``: {(host, tcp port): node name}."""
        found: Dict[Tuple[str, int], str] = {}
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return found
            self.sock.settimeout(left)
            try:
                data, addr = self.sock.recvfrom(MAX_DATAGRAM + 1)
            except socket.timeout:
                return found
            except OSError:
                return found
            body = self.codec.decode(data)
            if body is None or body.get("kind") != "pong":
                continue
            port = body.get("port")
            if not isinstance(port, int) or not 0 < port < 65536:
                continue
            host = body.get("host") or addr[0]
            if not isinstance(host, str) or host in ("0.0.0.0", "::"):
                host = addr[0]
            found[(host, port)] = str(body.get("name", ""))

    def close(self) -> None:
        self.sock.close()
