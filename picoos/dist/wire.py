"""The dist layer's control link between client, node daemon and servers.

The node daemon keeps its own small protocol with a client (attach, start
servers, heartbeats, files: :mod:`picoos.dist.protocol`), but not its own
security: a :class:`Link` is a blocking-socket driver around
:class:`picoos.net.link.Link`, the net layer's sans-I/O link. So the same
code as between networked kernels proves both ends know the shared secret
(challenge-response HMAC-SHA256, docs/protocol.md) before a single byte is
deserialized, and checks the MAC and sequence number of every frame, which
stops forged, replayed or reordered frames. TLS (``ssl.SSLContext``) can wrap
the socket for secrecy. The payloads are plain pickled tuples.

Discussion: the link is a plain blocking socket used from threads, which
keeps the node daemon free of the kernel (its memory budget is tight). A
node serves one client, so it has a handful of links; one reader thread per
link, writers serialised with a lock. The client, which holds a link per
node and per server, speaks the same protocol from tasks of its kernel
instead (:mod:`picoos.dist.clientlink`).
"""
from __future__ import annotations

import logging
import pickle
import socket
import threading
from typing import Any, List, Tuple

from picoos.dist.errors import AuthError, ProtocolError
from picoos.net import errors as _net_errors
from picoos.net import link as _link
from picoos.net.wire import DEFAULT_MAX_FRAME

log = logging.getLogger("picoos.dist")

MAX_FRAME = DEFAULT_MAX_FRAME   # a file travels in chunks far below this
HANDSHAKE_TIMEOUT = 10.0
_RECV = 1 << 16


class Link:
    """An authenticated, framed, pickling connection over one socket.

    Made by :func:`accept_link` (the listening side) or :func:`connect_link`.
    ``send`` may be called from any thread; ``recv`` from one reader thread.
    """

    def __init__(self, sock: socket.socket, proto: "_link.Link", peer: Tuple[str, int],
                 events: List[Tuple[str, Any]]):
        self.sock = sock
        self.peer = peer               # (host, port) of the other end
        self._proto = proto            # the net layer's link state (MACs, sequence numbers)
        self._events = events          # received, not yet returned
        self._wlock = threading.Lock()
        self.closed = False

    def send(self, obj: object) -> None:
        """Pickle and send one message. Raises ConnectionError when the link is down,
        ProtocolError when the message is larger than a frame may be."""
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > MAX_FRAME:
            raise ProtocolError(f"message of {len(payload)} bytes is larger than the "
                                f"frame limit {MAX_FRAME}; send big data as a file")
        with self._wlock:
            self._send_locked(payload)

    def send_nowait(self, obj: object) -> bool:
        """As send(), for a small message that may be skipped: False at once
        (nothing sent) when another thread is sending on this link."""
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        if not self._wlock.acquire(blocking=False):
            return False
        try:
            self._send_locked(payload)
        finally:
            self._wlock.release()
        return True

    def _send_locked(self, payload: bytes) -> None:
        if self.closed:
            raise ConnectionResetError(f"link to {self.peer} is closed")
        self._proto.send_bytes(payload)
        try:
            self.sock.sendall(self._proto.data_to_send())
        except OSError:
            self.close()
            raise

    def recv(self, timeout: "float | None" = None) -> object:
        """Receive one message; raises EOFError when the peer closed the link,
        ProtocolError/AuthError for a bad frame, socket.timeout on timeout."""
        while True:
            while self._events:
                kind, value = self._events.pop(0)
                if kind == _link.EVENT_MESSAGE:
                    return value
                if kind == _link.EVENT_BYE:
                    raise EOFError(f"{self.peer} closed the link")
                if kind == _link.EVENT_BAD_MESSAGE:
                    raise ProtocolError(f"message from {self.peer} cannot be read: {value}")
            self.sock.settimeout(timeout)
            data = self.sock.recv(_RECV)
            if not data:
                raise EOFError("connection closed by peer")
            self._events.extend(_feed(self._proto, data, self.peer))

    def close(self) -> None:
        """Close the socket; a reader blocked in ``recv`` gets EOFError/OSError."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def _feed(proto: "_link.Link", data: bytes, peer: Any) -> List[Tuple[str, Any]]:
    try:
        return proto.receive_data(data)
    except _net_errors.AuthError as exc:
        raise AuthError(f"{peer}: {exc}") from None
    except _net_errors.FrameError as exc:
        raise ProtocolError(f"bad frame from {peer}: {exc}") from None


def _handshake(sock: socket.socket, secret: str, initiator: bool, peer: Any) -> Link:
    proto = _link.Link(secret, initiator, max_frame=MAX_FRAME, loads=pickle.loads)
    proto.start()                   # the connecting side's HELLO; nothing for the other
    out = proto.data_to_send()
    if out:
        sock.sendall(out)
    events: List[Tuple[str, Any]] = []
    while True:
        try:
            data = sock.recv(_RECV)
        except ConnectionResetError:
            data = b""
        if not data:
            raise AuthError(f"{peer} closed the connection during the handshake "
                            f"(a wrong shared secret, or not a picoos node)")
        try:
            events = _feed(proto, data, peer)
        finally:
            out = proto.data_to_send()      # a reply, or the REFUSE that says why
            if out:
                try:
                    sock.sendall(out)
                except OSError:
                    pass
        for i, (kind, _) in enumerate(events):
            if kind == _link.EVENT_AUTHENTICATED:
                sock.settimeout(None)
                _tune(sock)
                return Link(sock, proto, peer, events[i + 1:])


def accept_link(sock: socket.socket, secret: str, peer: Tuple[str, int],
                ssl_context: object = None) -> Link:
    """Run the listening side of the handshake on an accepted socket.

    Raises AuthError when the peer does not prove it knows ``secret``,
    ProtocolError when it does not speak picoos.
    """
    sock.settimeout(HANDSHAKE_TIMEOUT)
    if ssl_context is not None:
        sock = ssl_context.wrap_socket(sock, server_side=True)
    return _handshake(sock, secret, False, peer)


def connect_link(addr: Tuple[str, int], secret: str, timeout: float = HANDSHAKE_TIMEOUT,
                 ssl_context: object = None) -> Link:
    """Connect to ``addr`` and run the connecting side of the handshake.

    Raises OSError (ConnectionRefusedError, socket.timeout) when the peer is
    unreachable, AuthError when either side's proof fails, ProtocolError
    when the other end is not a picoos node or server.
    """
    sock = socket.create_connection(addr, timeout=timeout)
    try:
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=addr[0])
        return _handshake(sock, secret, True, tuple(addr[:2]))
    except BaseException:
        sock.close()
        raise


def _tune(sock: socket.socket) -> None:
    # small request/reply frames: do not let Nagle hold them back
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


def server_ssl_context(certfile: str, keyfile: str, cafile: str = "") -> object:
    """An SSLContext for the listening side (client certificates when cafile)."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    if cafile:
        ctx.load_verify_locations(cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def client_ssl_context(cafile: str = "", certfile: str = "", keyfile: str = "") -> object:
    """An SSLContext for the connecting side.

    Without ``cafile`` the node's certificate is not verified: the HMAC
    handshake already authenticates the node; TLS then adds secrecy.
    """
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if cafile:
        ctx.load_verify_locations(cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if certfile:
        ctx.load_cert_chain(certfile, keyfile or None)
    return ctx
