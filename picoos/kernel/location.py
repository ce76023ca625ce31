"""Where a kernel runs: an address and a TCP port (pycos's Location)."""
import ipaddress

__all__ = ["Location"]


class Location:
    """`Location(host, tcp_port)`; `host` is an IP address or a name, which
    is resolved to an address.  Raises ValueError for a bad port or a name
    that does not resolve."""

    __slots__ = ("addr", "port")

    def __init__(self, host, tcp_port):
        try:
            self.addr = str(ipaddress.ip_address(host))
        except ValueError:
            import socket
            try:
                self.addr = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)[0][4][0]
            except (OSError, UnicodeError) as e:
                from .errors import InvalidArgument
                raise InvalidArgument("Location: cannot resolve host %r: %s" % (host, e)) from None
        try:
            port = int(tcp_port)
        except (TypeError, ValueError):
            port = -1
        if not 0 <= port <= 65535:
            from .errors import InvalidArgument
            raise InvalidArgument("Location: tcp_port must be 0..65535, got %r" % (tcp_port,))
        self.port = port

    def __eq__(self, other):
        return isinstance(other, Location) and self.port == other.port and self.addr == other.addr

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((self.addr, self.port))

    def __repr__(self):
        return "%s:%s" % (self.addr, self.port)

    def __getstate__(self):
        return (self.addr, self.port)

    def __setstate__(self, state):
        self.addr, self.port = state
