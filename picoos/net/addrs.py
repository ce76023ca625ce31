"""Which IP addresses this machine has, for listening and discovery.

A networked kernel needs its own addresses: to announce itself, to pick the
broadcast address of each IPv4 subnet, and to decide whether it listens on
loopback only (the one case where running without a secret is allowed).
netifaces gives the full picture when installed (it is optional: it has no
wheels for the newest Pythons); otherwise the standard library gives a good
enough one: /proc/net/if_inet6 for IPv6 on Linux, the SIOCGIFADDR and
SIOCGIFBRDADDR ioctls per interface for IPv4, and as a last resort a UDP
"connect" (no packet sent) to learn the default-route address.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from typing import List, NamedTuple, Optional

__all__ = ["IfAddr", "interface_addrs", "default_addr", "is_loopback", "is_wildcard"]

log = logging.getLogger("picoos.net")


class IfAddr(NamedTuple):
    """One address of one interface."""
    family: int                 # socket.AF_INET or AF_INET6
    addr: str                   # the address itself
    broadcast: Optional[str]    # IPv4 broadcast address of its subnet, if any
    ifname: str                 # interface name ("" when unknown)


def is_loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def is_wildcard(addr: str) -> bool:
    return addr in ("", "0.0.0.0", "::")


def _broadcast(addr: str, netmask: Optional[str], reported: Optional[str]) -> Optional[str]:
    """The subnet's broadcast address. An address added without `brd`
    reports none (or itself) as broadcast, so it is computed from the
    netmask; loopback and /31, /32 subnets have none."""
    if is_loopback(addr):
        return None
    if reported and reported not in ("0.0.0.0", addr):
        return reported
    if not netmask:
        return None
    try:
        net = ipaddress.ip_network("%s/%s" % (addr, netmask), strict=False)
    except ValueError:
        return None
    if net.prefixlen >= 31:
        return None
    return str(net.broadcast_address)


def _from_netifaces() -> Optional[List[IfAddr]]:
    try:
        import netifaces
    except ImportError:
        return None
    out = []
    for ifname in netifaces.interfaces():
        info = netifaces.ifaddresses(ifname)
        for fam in (netifaces.AF_INET, netifaces.AF_INET6):
            for a in info.get(fam, ()):
                addr = a.get("addr", "").split("%", 1)[0]
                if addr:
                    bcast = None
                    if fam == netifaces.AF_INET:
                        bcast = _broadcast(addr, a.get("netmask"), a.get("broadcast"))
                    out.append(IfAddr(socket.AF_INET if fam == netifaces.AF_INET else socket.AF_INET6,
                                      addr, bcast, ifname))
    return out


def _proc_ipv6() -> List[IfAddr]:
    out = []
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 6:
                    raw = fields[0]
                    addr = str(ipaddress.ip_address(":".join(raw[i:i + 4] for i in range(0, 32, 4))))
                    out.append(IfAddr(socket.AF_INET6, addr, None, fields[5]))
    except OSError:
        pass
    return out


def _proc_ipv4() -> List[IfAddr]:
    """IPv4 address and broadcast address of each interface (Linux ioctls)."""
    out = []
    try:
        import fcntl
        import struct
        names = [n for _, n in socket.if_nameindex()]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for name in names:
                req = struct.pack("256s", name.encode()[:15])
                try:
                    addr = socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x8915, req)[20:24])  # SIOCGIFADDR
                except OSError:
                    continue
                try:
                    bcast = socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x8919, req)[20:24])  # SIOCGIFBRDADDR
                except OSError:
                    bcast = None
                try:
                    mask = socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x891b, req)[20:24])  # SIOCGIFNETMASK
                except OSError:
                    mask = None
                out.append(IfAddr(socket.AF_INET, addr, _broadcast(addr, mask, bcast), name))
        finally:
            s.close()
    except (ImportError, OSError, AttributeError):
        pass
    return out


def interface_addrs() -> List[IfAddr]:
    """Every address of every interface that this machine reports."""
    got = _from_netifaces()
    if got is not None:
        return got
    out = _proc_ipv4() + _proc_ipv6()
    if not any(a.family == socket.AF_INET for a in out):
        addr = default_addr(socket.AF_INET)
        if addr:
            out.append(IfAddr(socket.AF_INET, addr, None, ""))
    return out


def default_addr(family: int = socket.AF_INET) -> Optional[str]:
    """The address the default route would use (no packet is sent)."""
    probe = ("192.0.2.1", 9) if family == socket.AF_INET else ("2001:db8::1", 9)
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.connect(probe)
        return s.getsockname()[0].split("%", 1)[0]
    except OSError:
        return None
    finally:
        s.close()
