"""Location: the address of a networked kernel (host and TCP port).

Tasks, channels and RPS handles on other machines are identified by their
name plus the Location of the kernel they live on; `peer()`, `locate()` and
`send_file()` take one. It is a value: two Locations for the same address
and port compare and hash equal, whatever spelling built them.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Tuple

__all__ = ["Location"]


def canonical_ip(host: str) -> str:
    """`host` (an IP literal or a name) as a canonical IP address string."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    try:
        info = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError("host %r does not resolve to an IP address: %s" % (host, exc)) from None
    return str(ipaddress.ip_address(info[0][4][0].split("%", 1)[0]))


class Location:
    """Where a networked kernel listens: `Location(host, tcp_port)`.

    `host` may be a name (resolved once, here) or an IPv4/IPv6 literal.
    Raises `ValueError` for a port outside 1..65535 or a host that does
    not resolve.
    """

    __slots__ = ("addr", "port")

    def __init__(self, host: str, tcp_port: int) -> None:
        try:
            port = int(tcp_port)
        except (TypeError, ValueError):
            raise ValueError("tcp_port %r: expected an int in 1..65535" % (tcp_port,)) from None
        if not 0 < port < 65536:
            raise ValueError("tcp_port %r: expected an int in 1..65535" % (tcp_port,))
        if not isinstance(host, str) or not host:
            raise ValueError("host %r: expected a host name or IP address string" % (host,))
        self.addr = canonical_ip(host)  # canonical IP string
        self.port = port                # TCP port of the kernel's listener

    @classmethod
    def _from_trusted(cls, addr: str, port: int) -> "Location":
        # for addresses that are already canonical (from our own sockets)
        loc = cls.__new__(cls)
        loc.addr, loc.port = addr, port
        return loc

    @property
    def sockaddr(self) -> Tuple[str, int]:
        return (self.addr, self.port)

    @property
    def family(self) -> int:
        return socket.AF_INET6 if ":" in self.addr else socket.AF_INET

    def __eq__(self, other) -> bool:
        return isinstance(other, Location) and self.port == other.port and self.addr == other.addr

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((self.addr, self.port))

    def __repr__(self) -> str:
        if ":" in self.addr:
            return "[%s]:%d" % (self.addr, self.port)
        return "%s:%d" % (self.addr, self.port)

    def __reduce__(self):
        return (Location._from_trusted, (self.addr, self.port))
