"""Discovery: kernels on a LAN find each other by UDP.

Each networked kernel with `discover_peers=True` binds UDP `udp_port`
(9705 by default, shared by every kernel on the host through SO_REUSEADDR),
and every `discover_interval` seconds - not only at start, so a board that
boots later or a link that flapped is found again - sends a signed "ping"
(discovery.py) to the broadcast address of each IPv4 subnet, or with
`ipv4_udp_multicast=True` (pycos's option) to the IPv4 multicast group
239.255.97.5 instead; a kernel on an IPv6 address uses the link-local
group ff02::9705 on every interface. A kernel
that receives a valid ping from a kernel it does not know connects to it;
the TCP handshake then decides whether it really is one of us. A peer
reached across subnets with `peer(loc, relay=True)` re-announces us on its
own subnets, so kernels there find us too.

Kernels that listen on loopback only (the default without a secret) find
the other kernels of the same host: the discovery socket is bound to the
loopback broadcast address 127.255.255.255 and announcements go there, so
every such kernel of the host hears them - a broadcast reaches every
socket bound to the port, where a unicast datagram to a port shared with
SO_REUSEADDR/SO_REUSEPORT would reach only one - and nothing from the LAN
can (no other host can send to that address). Where the system does not
know that address (it is Linux's), the IPv4 multicast group is used on the
loopback interface instead. Loopback discovery always uses IPv4, also for
a kernel on ::1 (the datagram carries the address to connect to).

Two tasks do this: the listener and the announcer (STYLE habit 13).
"""
from __future__ import annotations

import logging
import socket
import struct
import time

from picoos.drivers.asyncsocket import AsyncSocket
from picoos.kernel.location import Location
from picoos.net import addrs as _addrs
from picoos.net.discovery import MAX_DATAGRAM, DiscoveryCodec
from picoos.net.errors import DiscoveryError

__all__ = ["Discovery", "MCAST_V4", "MCAST_V6", "LOOPBACK_BCAST"]

log = logging.getLogger("picoos.net")

MCAST_V4 = "239.255.97.5"
MCAST_V6 = "ff02::9705"
LOOPBACK_BCAST = "127.255.255.255"


class Discovery:
    """Mixin of the networked kernel: the discovery socket and its tasks."""

    def _open_udp(self) -> AsyncSocket:
        self._dcodec = DiscoveryCodec(self._secret, window=self._discovery_window)
        self._discovery_drops = 0
        if self._loopback_only:
            return self._open_loopback_udp()
        v6 = ":" in self.location.addr
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        raw = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if not v6:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            raw.bind(("", self._udp_port))
            self._join_multicast(raw, v6)
        except OSError:
            raw.close()
            raise
        self._udp_raw = raw
        self._loop_target = None
        return AsyncSocket(raw)

    def _open_loopback_udp(self) -> AsyncSocket:
        """The discovery socket of a loopback-only kernel (module docstring):
        it must not hear (or be steered by) the LAN, yet must hear every
        other kernel of this host."""
        port = self._udp_port
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            try:
                raw.bind((LOOPBACK_BCAST, port))
                self._loop_target = (LOOPBACK_BCAST, port)
            except OSError:
                # no loopback broadcast here (not Linux): multicast on lo
                raw.bind((MCAST_V4, port))
                lo = socket.inet_aton("127.0.0.1")
                raw.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                               socket.inet_aton(MCAST_V4) + lo)
                raw.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, lo)
                raw.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
                raw.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
                self._loop_target = (MCAST_V4, port)
        except OSError:
            raw.close()
            raise
        self._udp_raw = raw
        return AsyncSocket(raw)

    def _join_multicast(self, raw, v6: bool) -> None:
        try:
            if v6:
                group = socket.inet_pton(socket.AF_INET6, MCAST_V6)
                for _, ifname in socket.if_nameindex():
                    idx = socket.if_nametoindex(ifname)
                    try:
                        raw.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                                       group + struct.pack("@I", idx))
                    except OSError:
                        pass
            else:
                for a in _addrs.interface_addrs():
                    if a.family == socket.AF_INET and not _addrs.is_loopback(a.addr):
                        mreq = socket.inet_aton(MCAST_V4) + socket.inet_aton(a.addr)
                        try:
                            raw.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
                        except OSError:
                            pass
                raw.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        except OSError as exc:
            log.info("discovery: cannot join multicast group: %s", exc)

    def _targets(self):
        port = self._udp_port
        if self._loopback_only:
            return [self._loop_target]
        if ":" in self.location.addr:
            out = []
            for _, ifname in socket.if_nameindex():
                out.append((MCAST_V6, port, 0, socket.if_nametoindex(ifname)))
            return out
        if self._ipv4_multicast:
            # one send per interface: a board may have no multicast route
            return [(MCAST_V4, port, a.addr) for a in _addrs.interface_addrs()
                    if a.family == socket.AF_INET and not _addrs.is_loopback(a.addr)]
        out = []
        for a in _addrs.interface_addrs():
            if a.family == socket.AF_INET and a.broadcast and (a.broadcast, port) not in out:
                out.append((a.broadcast, port))
        return out

    def _announce(self, name=None, port=None, addrs=None, kind="ping") -> int:
        """Send one signed announcement to every discovery target; the
        number of datagrams that went out."""
        if self._udp_sock is None:
            return 0
        data = self._dcodec.encode(kind, name or self.name, port or self.location.port,
                                   time.time(), addrs=addrs or [self.location.addr])
        sent = 0
        for target in self._targets():
            try:
                if len(target) == 4:
                    self._udp_raw.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF,
                                             target[3])
                elif len(target) == 3:
                    self._udp_raw.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                                             socket.inet_aton(target[2]))
                    target = target[:2]
            except OSError:
                continue
            try:
                self._udp_raw.sendto(data, target)
                sent += 1
            except OSError as exc:
                log.debug("discovery: cannot send to %s: %s", target, exc)
        return sent

    def discover_peers(self, port=None) -> int:
        """Announce this kernel now (pycos name); gives the datagram count."""
        if self._tid is not None and self._tid != __import__("threading").get_ident():
            return self._threadsafe(self._announce)
        return self._announce()

    def _udp_listener(self, task=None):
        task.set_daemon()
        sock = self._udp_sock
        while True:
            try:
                data, src = yield sock.recvfrom(MAX_DATAGRAM + 1)
            except GeneratorExit:
                raise
            except OSError as exc:
                if self._closing:
                    return
                log.debug("discovery: recvfrom failed: %s", exc)
                yield task.sleep(0.1)
                continue
            try:
                ann = self._dcodec.decode(data, time.time())
            except DiscoveryError as exc:
                self._discovery_drops += 1
                log.debug("discovery datagram from %s dropped: %s", src, exc)
                continue
            if self._loopback_only and not _addrs.is_loopback(src[0]):
                # cannot arrive on 127.255.255.255; defence in depth for the
                # multicast fallback, which the LAN could reach
                self._discovery_drops += 1
                continue
            addr = ann.addrs[0] if ann.addrs else src[0]
            try:
                loc = Location(addr, ann.port)
            except ValueError:
                continue
            if loc == self.location or loc in self._peers or self._closing:
                continue
            if not self._allowed_peer(loc):
                continue
            log.info("discovered %r at %s", ann.name, loc)
            self._new_peer(loc)

    def _announcer(self, task=None):
        task.set_daemon()
        while True:
            self._announce()
            yield task.sleep(self.discover_interval)
