"""Finding nodes on the LAN: signed UDP discovery between clients and nodes.

A client that is not given node addresses (or is asked to discover more)
broadcasts a *ping* to the nodes' UDP port; every node that can verify it
answers the sender with a *pong* naming its TCP port. The datagrams are
picoos.net's (:class:`picoos.net.discovery.DiscoveryCodec`): plain JSON
signed with HMAC-SHA256 under a key derived from the shared secret, stamped
with the sender's clock and a random nonce; stale, replayed or unsigned
datagrams are dropped, and nothing is ever unpickled. A pong only leads to a
TCP connection, which must still pass the full handshake
(:mod:`picoos.dist.wire`). This module is the socket side of that codec:
the node daemon answers on a blocking socket in a thread of its own; the
client's :class:`Discoverer` only sends pings and reads pongs, and its
socket is waited on by a task of the client's kernel
(:meth:`picoos.dist.dispatch.Dispatcher._discover`).
"""
from __future__ import annotations

import socket
import time
from typing import Any, Optional, Tuple

from picoos.net.discovery import MAX_DATAGRAM, DiscoveryCodec
from picoos.net.errors import DiscoveryError

__all__ = ["DiscoveryCodec", "serve_discovery", "Discoverer"]


def _decode(codec: DiscoveryCodec, data: bytes) -> Optional[Any]:
    """The datagram's Announcement, or None when it is not valid for us."""
    try:
        return codec.decode(data, time.time())
    except DiscoveryError:
        return None


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
        ann = _decode(codec, data)
        if ann is None or ann.kind != "ping":
            continue
        reply = codec.encode("pong", name, tcp_port, time.time(),
                             addrs=[ext_host] if ext_host else None)
        try:
            sock.sendto(reply, addr)
        except OSError:
            pass


class Discoverer:
    """Client side: broadcast pings and read the nodes' pongs (``sock`` is
    for the caller to wait on; ``close()`` closes it)."""

    def __init__(self, secret: str, udp_port: int, extra: Tuple[str, ...] = ("127.0.0.1",)):
        self.codec = DiscoveryCodec(secret)
        self.udp_port = udp_port
        self.extra = extra
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.bind(("", 0))

    def ping(self) -> None:
        data = self.codec.encode("ping", "picoos-client", 1, time.time())
        for dest in ("<broadcast>",) + tuple(self.extra):
            try:
                self.sock.sendto(data, (dest, self.udp_port))
            except OSError:
                pass    # no broadcast route (a container): the extra addresses still work

    def pong(self, data: bytes, addr: Tuple[str, int]) -> Optional[Tuple[Tuple[str, int], str]]:
        """A datagram from ``addr`` read as a node's pong: ((host, tcp port),
        node name), or None when it is not a valid pong for us."""
        ann = _decode(self.codec, data)
        if ann is None or ann.kind != "pong":
            return None
        host = ann.addrs[0] if ann.addrs else addr[0]
        if host in ("0.0.0.0", "::", ""):
            host = addr[0]
        return (host, ann.port), ann.name

    def close(self) -> None:
        self.sock.close()
