"""The dist layer's authenticated message link between client, node and servers.

Every connection between a client and a node daemon or a server process is
a :class:`Link`. Before a single byte is deserialized both ends prove that
they know the shared secret with fresh nonces (HMAC-SHA256, mutual), and
derive a session key from the exchange. After that every frame carries an
HMAC over a per-direction sequence number and its payload, so a frame cannot
be forged, replayed or reordered by someone on the path even without TLS;
only then is the payload unpickled. TLS (``ssl.SSLContext``) can wrap the
socket for confidentiality.

Frame on the wire::

    version (1 byte) | length (4 bytes, big-endian) | mac (32 bytes) | payload

Discussion: the link is a plain blocking socket used from threads. A node
serves one client, so a node has a handful of links; the dist layer keeps
one reader thread per link and serialises writers with a lock.
"""
from __future__ import annotations

import logging
import os
import pickle
import socket
import struct
import threading

from picoos.dist.digest import HmacKey, compare_digest, hmac_sha256
from picoos.dist.errors import AuthError, ProtocolError

log = logging.getLogger("picoos.dist")

VERSION = 1
MAGIC = b"PCOSDIST"
NONCE = 32
MAC = 32
MAX_FRAME = 32 << 20          # a file travels in chunks far below this
HANDSHAKE_TIMEOUT = 10.0
_HEADER = struct.Struct("!BI")
_SEQ = struct.Struct("!Q")


_mac = hmac_sha256


class Link:
    """An authenticated, framed, pickling connection over one socket.

    Made by :func:`accept_link` (the listening side) or :func:`connect_link`.
    ``send`` may be called from any thread; ``recv`` from one reader thread.
    """

    def __init__(self, sock: socket.socket, key: bytes, role: bytes, peer: "tuple[str, int]"):
        self.sock = sock
        self.peer = peer               # (host, port) of the other end
        self._key = HmacKey(key)
        self._out_dir = role           # b"a" (acceptor) or b"c" (connector)
        self._in_dir = b"c" if role == b"a" else b"a"
        self._out_seq = 0
        self._in_seq = 0
        self._wlock = threading.Lock()
        self.closed = False

    def send(self, obj: object) -> None:
        """Pickle and send one message. Raises ConnectionError when the link is down."""
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > MAX_FRAME:
            raise ProtocolError(f"message of {len(payload)} bytes is larger than the "
                                f"frame limit {MAX_FRAME}; send big data as a file")
        with self._wlock:
            if self.closed:
                raise ConnectionResetError(f"link to {self.peer} is closed")
            mac = self._key.mac(self._out_dir, _SEQ.pack(self._out_seq), payload)
            self._out_seq += 1
            try:
                self.sock.sendall(_HEADER.pack(VERSION, len(payload)) + mac + payload)
            except OSError:
                self.close()
                raise

    def recv(self, timeout: "float | None" = None) -> object:
        """Receive one message; raises EOFError when the peer closed the link,
        ProtocolError/AuthError for a bad frame, socket.timeout on timeout."""
        self.sock.settimeout(timeout)
        head = _recv_exact(self.sock, _HEADER.size)
        version, length = _HEADER.unpack(head)
        if version != VERSION:
            raise ProtocolError(f"frame version {version} from {self.peer}; expected {VERSION}")
        if length > MAX_FRAME:
            raise ProtocolError(f"frame of {length} bytes from {self.peer} exceeds the "
                                f"limit of {MAX_FRAME}")
        mac = _recv_exact(self.sock, MAC)
        payload = _recv_exact(self.sock, length)
        want = self._key.mac(self._in_dir, _SEQ.pack(self._in_seq), payload)
        if not compare_digest(mac, want):
            raise AuthError(f"frame from {self.peer} failed its HMAC check "
                            f"(forged, replayed or reordered); closing the link")
        self._in_seq += 1
        return pickle.loads(payload)

    def close(self) -> None:
        """Close the socket; a reader blocked in ``recv`` gets EOFError/OSError."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if not k:
            raise EOFError("connection closed by peer")
        got += k
    return bytes(buf)


def accept_link(sock: socket.socket, secret: str, peer: "tuple[str, int]",
                ssl_context: object = None) -> Link:
    """Run the listening side of the handshake on an accepted socket.

    Raises AuthError when the peer does not prove it knows ``secret``.
    """
    sock.settimeout(HANDSHAKE_TIMEOUT)
    if ssl_context is not None:
        sock = ssl_context.wrap_socket(sock, server_side=True)
    key = secret.encode()
    nonce_a = os.urandom(NONCE)
    sock.sendall(MAGIC + bytes([VERSION]) + nonce_a)
    try:
        reply = _recv_exact(sock, NONCE + MAC)
    except EOFError:
        raise AuthError(f"{peer} closed the connection during the handshake") from None
    nonce_c, proof = reply[:NONCE], reply[NONCE:]
    if not compare_digest(proof, _mac(key, b"c", nonce_a, nonce_c)):
        raise AuthError(f"{peer} does not know the shared secret; connection refused")
    sock.sendall(_mac(key, b"a", nonce_c, nonce_a))
    sock.settimeout(None)
    _tune(sock)
    return Link(sock, _mac(key, b"k", nonce_a, nonce_c), b"a", peer)


def connect_link(addr: "tuple[str, int]", secret: str, timeout: float = HANDSHAKE_TIMEOUT,
                 ssl_context: object = None) -> Link:
    """Connect to ``addr`` and run the connecting side of the handshake.

    Raises OSError (ConnectionRefusedError, socket.timeout) when the peer is
    unreachable and AuthError when either side's proof fails.
    """
    sock = socket.create_connection(addr, timeout=timeout)
    try:
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=addr[0])
        key = secret.encode()
        hello = _recv_exact(sock, len(MAGIC) + 1 + NONCE)
        if hello[:len(MAGIC)] != MAGIC:
            raise ProtocolError(f"{addr[0]}:{addr[1]} is not a picoos node or server")
        if hello[len(MAGIC)] != VERSION:
            raise ProtocolError(f"{addr[0]}:{addr[1]} speaks dist protocol version "
                                f"{hello[len(MAGIC)]}; expected {VERSION}")
        nonce_a = hello[len(MAGIC) + 1:]
        nonce_c = os.urandom(NONCE)
        sock.sendall(nonce_c + _mac(key, b"c", nonce_a, nonce_c))
        try:
            proof = _recv_exact(sock, MAC)
        except (EOFError, ConnectionResetError):
            raise AuthError(f"{addr[0]}:{addr[1]} rejected the shared secret") from None
        if not compare_digest(proof, _mac(key, b"a", nonce_c, nonce_a)):
            raise AuthError(f"{addr[0]}:{addr[1]} does not know the shared secret")
    except BaseException:
        sock.close()
        raise
    sock.settimeout(None)
    _tune(sock)
    return Link(sock, _mac(key, b"k", nonce_a, nonce_c), b"c", addr)


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
