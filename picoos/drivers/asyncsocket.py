"""AsyncSocket: a socket that tasks can wait on without blocking the kernel.

Why this exists: sockets are how picoos tasks talk to the world (the net
layer's peers, the dist layer's nodes, any TCP/UDP service), and a board
may hold thousands of them. `AsyncSocket` keeps pycos's API - `accept`,
`connect`, `recv`, `recvall`, `recvfrom`, `recv_into`, `send`, `sendto`,
`sendall`, `send_msg`/`recv_msg`, `settimeout`, `create_connection`,
TLS with `keyfile`/`certfile` - so pycos programs port by changing the
import, and works as `data = yield sock.recv(n)` in generator tasks and as
`data = await sock.recv(n)` in `async def` tasks. `blocking=True` gives the
same methods as plain synchronous calls, for threads outside the kernel.

How: the wrapped socket is non-blocking and every operation first tries
the syscall. Only on EAGAIN (or OpenSSL's want-read/want-write) does it
return something that waits on the kernel's notifier and retries: a small
`_Retry` object for single-syscall operations (recv, send, ...), a `@coro`
generator for the multi-step ones (recvall, sendall, accept, connect, the
TLS handshake).

Discussion (the fast path): the echo benchmark is the hot path of every
server, and there a `send` nearly always completes at once, and under load
so does most `recv`. So an operation that completes on the first try
allocates no generator: the method returns the kernel's ready-made `Value`
trap holding the result, and the task resumes through the ready queue like
after any other `yield`.
Errors other than EAGAIN (a reset, a refused connect) are raised by the
call itself, which to the task is the same line as the `yield`/`await`.

Discussion (timeouts): `settimeout(t)` bounds each wait for progress, as in
pycos: `recvall`/`sendall` that made some progress before the wait expired
return what they have (the bytes received / the count sent); with no
progress they raise `socket.timeout` (here `SocketTimeout`, which is also a
`socket.timeout`).

Discussion (closing): `close()` first calls the kernel's `fd_closed(fd)`,
so when a task closes the socket, a task blocked in `recv` on it is woken
with `ClosedResourceError` instead of hanging.  Closed from another thread
(a program's main thread at exit), the socket is dropped from the kernel
before it is closed, and a task waiting on it stays waiting, as in pycos.

Discussion (TLS): decrypted bytes may sit inside OpenSSL while the fd is not
readable. Since every read tries `recv` before waiting, buffered bytes are
returned at once and a reader never waits on the notifier with data already
decrypted; `recvall` checks `pending()` before waiting between chunks. On
plain TCP a peer's reset raises `ConnectionResetError` in the waiting task.
Through TLS the `ssl` module of some Python versions (3.11 here) reports a
reset as end of stream (b''), others raise `ConnectionResetError`; picoos
passes on what `ssl` says rather than guess (TLS 1.3 peers that close with
session tickets unread reset the connection routinely).
"""
from __future__ import annotations

import errno
import logging
import socket
import ssl
import struct
import sys
from typing import Any, Optional, Tuple, Union

from picoos.drivers import tls
from picoos.drivers.errors import DriverError, InvalidArgumentError, InvalidTypeError
from picoos.kernel.io import fd_closed, wait_readable, wait_writable
from picoos.kernel.threadpool import run_in_thread
from picoos.kernel.traps import Value, coro

__all__ = ["AsyncSocket", "SocketTimeout", "MessageTooLarge"]

logger = logging.getLogger("picoos.drivers")

Buffer = Union[bytes, bytearray, memoryview]

# everything that means "not now, try after a wait"
_AGAIN = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
_MSG_HEADER = struct.Struct(">L")
# largest single recv in recvall/recv_msg: a peer announcing a 4 GiB message
# must not make us allocate 4 GiB before a byte has arrived
_CHUNK = 256 * 1024
_OUT = 1   # _Retry flags: the operation writes
_FLIP = 2  # OpenSSL needs the other direction first
# indexed by _OUT: the OpenSSL error that flips a read / a write
_FLIPPED = (ssl.SSLWantWriteError, ssl.SSLWantReadError)
_INPROGRESS = (errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK, errno.EAGAIN)


class SocketTimeout(DriverError, socket.timeout):
    """A socket operation made no progress within the socket's timeout.

    A `socket.timeout` (a `TimeoutError` on Python 3.10+), as pycos raised."""


class MessageTooLarge(DriverError, ValueError):
    """`send_msg` was given more than a 4-byte length prefix can describe."""


def _timed_out() -> SocketTimeout:
    return SocketTimeout("timed out")


def _check_timeout(timeout: Any) -> Optional[float]:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidTypeError("timeout must be None or seconds (a number), got %r" % (timeout,))
    if not timeout >= 0:
        raise InvalidArgumentError("timeout must be None or >= 0 seconds, got %r" % (timeout,))
    return float(timeout)


# Discussion: the slow paths are told which way to wait by a flag ("flip":
# OpenSSL wants the other direction) rather than by the EAGAIN exception
# itself. A kept exception holds its traceback, and through it the frame of
# the call that failed: ~540 bytes per waiting socket, which at 10,000
# connections was a quarter of the memory.

def _wait_in(fd: int, flip: bool, timeout: Optional[float]):
    """The trap a read waits on: readable, unless OpenSSL said it must write
    first (`flip`: renegotiation, key update)."""
    return wait_writable(fd, timeout) if flip else wait_readable(fd, timeout)


def _wait_out(fd: int, flip: bool, timeout: Optional[float]):
    """The trap a write waits on: writable, unless OpenSSL must read first."""
    return wait_readable(fd, timeout) if flip else wait_writable(fd, timeout)


class _Retry:
    """A single-syscall operation (recv, send, ...) waiting to be retried.

    Discussion: this is what `recv` returns when the first try hit EAGAIN:
    the one object a connection holds while it waits, so at 10,000
    connections its size is the driver's share of the memory. A generator
    doing the same (wait, retry, return) costs ~250 bytes and a few calls
    more to start; this slotted object speaks the generator protocol the
    kernel runs sub-calls with (`send`, `throw`, `close`) and the iterator
    protocol `await` uses, in ~100 bytes.

    `send(None)` starts it, `send(True)` means "the fd is ready",
    `send(False)` "the timeout expired": each returns the next wait trap or
    ends with StopIteration(result), as a generator would.
    """

    __slots__ = ("owner", "op", "args", "flags")

    __name__ = "AsyncSocket.wait"  # what a task's name shows while it waits here

    def __init__(self, owner: "AsyncSocket", op: str, args: tuple, flags: int) -> None:
        self.owner = owner
        self.op = op        # name of the socket method to retry
        self.args = args
        self.flags = flags  # _OUT: a write; _FLIP: OpenSSL wants the other direction

    def _apply(self, kernel, task):
        return self  # run as a sub-call of the task (see traps.SubCall)

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        return self.send(None)

    def send(self, ready):
        owner = self.owner
        if ready is not None:
            if not ready:
                raise _timed_out()
            try:
                result = getattr(owner._sock, self.op)(*self.args)
            except _AGAIN as exc:
                self.flags = (self.flags & _OUT) | (
                    _FLIP if isinstance(exc, _FLIPPED[self.flags & _OUT]) else 0)
            else:
                raise StopIteration(result)
        # readable for reads, writable for writes; the other way round when
        # OpenSSL asked for it
        if (self.flags == _OUT) or (self.flags == _FLIP):
            return wait_writable(owner._fd, owner._timeout)
        return wait_readable(owner._fd, owner._timeout)

    def throw(self, typ, val=None, tb=None):
        # an error aimed at the waiting task (closed fd, terminate, throw):
        # nothing to clean up, so let it travel up to the caller
        if val is None:
            val = typ() if isinstance(typ, type) else typ
        raise val.with_traceback(tb) if tb is not None else val

    def close(self):
        pass


class AsyncSocket:
    """A socket for tasks (pycos-compatible); see the module docstring.

    `AsyncSocket(sock, blocking=False, keyfile=None, certfile=None,
    ssl_version=None, *, ssl_context=None, server_hostname=None)`

    TLS: give either `ssl_context` (made with `picoos.drivers.tls`) or, as
    in pycos, `certfile` (+ `keyfile`). With `certfile` a listening socket
    serves TLS with that certificate, and a connecting socket requires the
    server to present exactly a certificate chaining to `certfile` (pycos's
    self-signed fleet setup; host names are not checked). Connections are
    wrapped when `accept` or `connect` completes, and the handshake runs
    through the notifier before either returns. Attributes not defined here
    (`getsockname`, `setsockopt`, `getpeercert`, ...) pass through to the
    wrapped socket.
    """

    __slots__ = ("_sock", "_fd", "_blocking", "_timeout", "_ctx", "_keyfile", "_certfile",
                 "_ssl_version", "_hostname", "__weakref__")

    def __init__(self, sock: Union[socket.socket, "AsyncSocket"], blocking: bool = False,
                 keyfile: Optional[str] = None, certfile: Optional[str] = None,
                 ssl_version: Any = None, *, ssl_context: Optional[ssl.SSLContext] = None,
                 server_hostname: Optional[str] = None) -> None:
        if isinstance(sock, AsyncSocket):
            # pycos allowed re-wrapping; share the same socket and settings
            keyfile = keyfile or sock._keyfile
            certfile = certfile or sock._certfile
            ssl_context = ssl_context or sock._ctx
            server_hostname = server_hostname or sock._hostname
            sock = sock._sock
        if not isinstance(sock, socket.socket):
            raise InvalidTypeError("AsyncSocket wraps a socket.socket, got %r" % (type(sock),))
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise InvalidTypeError("ssl_context must be an ssl.SSLContext, got %r"
                                   % (type(ssl_context),))
        if keyfile is not None and certfile is None:
            raise tls.TLSConfigError("keyfile given without certfile; TLS needs the certificate "
                                     "too")
        tls.context_for_version(ssl_version)  # reject unusable versions now, not at connect
        self._sock = sock
        self._fd = sock.fileno()
        if self._fd < 0:
            raise InvalidArgumentError("cannot wrap a closed socket")
        self._keyfile = keyfile
        self._certfile = certfile
        self._ssl_version = ssl_version
        self._ctx = ssl_context
        self._hostname = server_hostname
        self._timeout: Optional[float] = None
        self._blocking = None
        self.setblocking(blocking)

    # ------------------------------------------------------------ plumbing
    def __getattr__(self, name: str) -> Any:
        # only reached for names not defined here: the socket's own methods
        if name in AsyncSocket.__slots__:
            raise AttributeError(name)  # not initialised; do not recurse
        return getattr(self._sock, name)

    def __repr__(self) -> str:
        return "<AsyncSocket fd=%d %s>" % (self._fd, "blocking" if self._blocking else "async")

    def __enter__(self) -> "AsyncSocket":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.close()
        return False  # never swallow the exception (pycos did)

    def fileno(self) -> int:
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def setblocking(self, blocking: bool) -> None:
        """`True`: plain synchronous calls. `False`: calls for tasks."""
        blocking = bool(blocking)
        if blocking == self._blocking:
            return
        self._blocking = blocking
        if blocking:
            self._sock.settimeout(self._timeout)
        else:
            self._sock.setblocking(False)

    def settimeout(self, timeout: Optional[float]) -> None:
        """Bound each wait for progress to `timeout` seconds (None: no bound).

        A timed-out operation raises `SocketTimeout` (a `socket.timeout`).
        Raises `InvalidTypeError`/`InvalidArgumentError` for a bad value.
        """
        self._timeout = _check_timeout(timeout)
        if self._blocking:
            self._sock.settimeout(self._timeout)

    def gettimeout(self) -> Optional[float]:
        return self._timeout

    def unwrap(self) -> socket.socket:
        """Detach and return the underlying socket (left non-blocking)."""
        sock = self._sock
        if self._fd >= 0:
            fd_closed(self._fd)
        self._fd = -1
        return sock

    def __del__(self) -> None:
        # Dropped without close() (pycos programs often just forget a
        # connection): the garbage collector is about to close the socket.
        # The kernel must forget the fd first, or the next socket given the
        # same number would wait on a registration the kernel still
        # believes in, and never wake. Only when this wrapper is the
        # socket's last owner (the slot and getrefcount's argument).
        if getattr(self, "_fd", -1) >= 0 and sys.getrefcount(self._sock) <= 2:
            try:
                fd_closed(self._fd)
            except Exception:   # interpreter shutdown: nothing left to tell
                pass

    def close(self) -> None:
        """Close the socket; tasks waiting on it get `ClosedResourceError`.

        Closing twice is harmless.
        """
        fd = self._fd
        if fd < 0:
            return
        self._fd = -1
        # wake waiters and drop the fd from the notifier before the number
        # can be reused by another socket
        fd_closed(fd)
        self._sock.close()

    # ------------------------------------------------------------ reading
    def recv(self, bufsize: int, flags: int = 0):
        """Receive up to `bufsize` bytes; b'' at end of stream (yield/await)."""
        if self._blocking:
            return self._sock.recv(bufsize, flags)
        try:
            data = self._sock.recv(bufsize, flags)
        except _AGAIN as exc:
            return _Retry(self, "recv", (bufsize, flags),
                          _FLIP if isinstance(exc, ssl.SSLWantWriteError) else 0)
        return Value(data)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0):
        """Receive into `buffer`; the result is the byte count (0 at EOF)."""
        if self._blocking:
            return self._sock.recv_into(buffer, nbytes, flags)
        try:
            n = self._sock.recv_into(buffer, nbytes, flags)
        except _AGAIN as exc:
            return _Retry(self, "recv_into", (buffer, nbytes, flags),
                          _FLIP if isinstance(exc, ssl.SSLWantWriteError) else 0)
        return Value(n)

    def recvfrom(self, bufsize: int, flags: int = 0):
        """Receive a datagram: the result is `(data, address)`."""
        if self._blocking:
            return self._sock.recvfrom(bufsize, flags)
        try:
            return Value(self._sock.recvfrom(bufsize, flags))
        except _AGAIN as exc:
            return _Retry(self, "recvfrom", (bufsize, flags),
                          _FLIP if isinstance(exc, ssl.SSLWantWriteError) else 0)

    def recvall(self, bufsize: int, flags: int = 0):
        """Receive exactly `bufsize` bytes, as a `bytearray` (as in pycos).

        At end of stream before `bufsize` bytes the result is b'' (as in
        pycos; a truncated message is useless). If the timeout expires after
        some bytes arrived, those bytes are the result; with none,
        `SocketTimeout` is raised.
        """
        if bufsize < 0:
            raise InvalidArgumentError("recvall needs bufsize >= 0, got %r" % (bufsize,))
        if self._blocking:
            return self._recvall_sync(bufsize, flags)
        try:
            first = self._sock.recv(min(bufsize, _CHUNK), flags)
        except _AGAIN as exc:
            return self._recvall_slow(isinstance(exc, ssl.SSLWantWriteError), True, bytearray(),
                                      bufsize, flags)
        if len(first) == bufsize:
            return Value(bytearray(first) if first else first)
        if not first:
            return Value(b"")
        return self._recvall_slow(False, not _pending(self._sock), bytearray(first), bufsize,
                                  flags)

    @coro
    def _recvall_slow(self, flip, wait, buf, bufsize, flags):
        sock = self._sock
        while True:
            if wait and not (yield _wait_in(self._fd, flip, self._timeout)):
                if buf:
                    return buf
                raise _timed_out()
            try:
                chunk = sock.recv(min(bufsize - len(buf), _CHUNK), flags)
            except _AGAIN as again:
                flip = isinstance(again, ssl.SSLWantWriteError)
                wait = True
                continue
            if not chunk:
                return b""
            buf += chunk
            if len(buf) == bufsize:
                return buf
            # usually nothing more has arrived yet, so wait first - unless
            # OpenSSL holds decrypted bytes the notifier cannot see
            flip = False
            wait = not _pending(sock)

    def _recvall_sync(self, bufsize, flags):
        buf = bytearray()
        while len(buf) < bufsize:
            chunk = self._sock.recv(min(bufsize - len(buf), _CHUNK), flags)
            if not chunk:
                return b""
            buf += chunk
        return buf

    def recv_msg(self, max_size: Optional[int] = None):
        """Receive one message sent with `send_msg` (4-byte big-endian length
        prefix, then the payload); the result is the payload (a `bytearray`,
        as `recvall` gives).

        b'' at end of stream, also when the stream ends inside a message (as
        in pycos). With `max_size`, a longer announced length raises
        `MessageTooLarge` before any of the payload is read. If the timeout
        expires inside a message, `SocketTimeout` is raised (pycos returned
        b'' there, as if the peer had closed); the stream is out of step
        after that and should be closed.
        """
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, int)
                                     or max_size < 0):
            raise InvalidArgumentError("max_size must be None or an int >= 0, got %r"
                                       % (max_size,))
        if self._blocking:
            header = self._recvall_sync(4, 0)
            n = self._msg_length(header, max_size)
            return self._recvall_sync(n, 0) if n else b""
        return self._recv_msg_async(max_size)

    @staticmethod
    def _msg_length(header: bytes, max_size: Optional[int]) -> int:
        if len(header) != 4:
            if header:
                raise _timed_out()
            return 0
        n = _MSG_HEADER.unpack(header)[0]
        if max_size is not None and n > max_size:
            raise MessageTooLarge("peer announced a %d-byte message; at most %d accepted"
                                  % (n, max_size))
        return n

    @coro
    def _recv_msg_async(self, max_size):
        n = self._msg_length((yield self.recvall(4)), max_size)
        if not n:
            return b""
        data = yield self.recvall(n)
        if len(data) != n and data:
            raise _timed_out()
        return data

    # ------------------------------------------------------------ writing
    def send(self, data: Buffer, flags: int = 0):
        """Send some of `data`; the result is the number of bytes sent."""
        if self._blocking:
            return self._sock.send(data, flags)
        try:
            return Value(self._sock.send(data, flags))
        except _AGAIN as exc:
            return _Retry(self, "send", (data, flags),
                          _OUT | (_FLIP if isinstance(exc, ssl.SSLWantReadError) else 0))

    def sendto(self, data: Buffer, *args):
        """`sendto(data, address)` or `sendto(data, flags, address)`."""
        if self._blocking:
            return self._sock.sendto(data, *args)
        try:
            return Value(self._sock.sendto(data, *args))
        except _AGAIN:
            return _Retry(self, "sendto", (data,) + args, _OUT)

    def sendall(self, data: Buffer, flags: int = 0):
        """Send all of `data`; the result is None.

        If the timeout expires after part was sent, the result is the count
        sent (as in pycos); with nothing sent, `SocketTimeout` is raised.
        """
        if self._blocking:
            return self._sock.sendall(data, flags)
        try:
            sent = self._sock.send(data, flags)
        except _AGAIN as exc:
            return self._sendall_slow(isinstance(exc, ssl.SSLWantReadError), data, 0, flags)
        if sent == len(data):
            return Value(None)
        return self._sendall_slow(False, data, sent, flags)

    @coro
    def _sendall_slow(self, flip, data, sent, flags):
        sock = self._sock
        view = memoryview(data).cast("B")  # slices without copying
        total = len(view)
        while True:
            if not (yield _wait_out(self._fd, flip, self._timeout)):
                if sent:
                    return sent
                raise _timed_out()
            try:
                # OpenSSL insists a retried write passes the same buffer
                # contents, so retry with the unsent tail only after success
                sent += sock.send(view[sent:], flags)
            except _AGAIN as again:
                flip = isinstance(again, ssl.SSLWantReadError)
                continue
            if sent >= total:
                return None
            flip = False

    def send_msg(self, data: Buffer):
        """Send `data` as one message: a 4-byte big-endian length, then the
        bytes. `recv_msg` on the other side returns exactly `data`."""
        n = len(data)
        if n > 0xFFFFFFFF:
            raise MessageTooLarge("send_msg can send at most 4 GiB - 1 bytes, got %d" % n)
        return self.sendall(_MSG_HEADER.pack(n) + bytes(data))

    # ------------------------------------------------------------ connections
    def accept(self):
        """Accept a connection: the result is `(AsyncSocket, address)`.

        The new socket has this socket's blocking mode, timeout and TLS
        settings; for TLS the handshake is done before the result arrives.
        """
        if self._blocking:
            conn, addr = self._sock.accept()
            new = self._adopt(conn)
            if self._ctx is not None or self._certfile is not None:
                try:
                    new._sock = self._server_ctx().wrap_socket(conn, server_side=True)
                except BaseException:
                    new.close()
                    raise
            return new, addr
        try:
            conn, addr = self._sock.accept()
        except _AGAIN as exc:
            return self._accept_slow(isinstance(exc, ssl.SSLWantWriteError))
        if self._ctx is None and self._certfile is None:
            return Value((self._adopt(conn), addr))
        return self._accept_tls(conn, addr)

    @coro
    def _accept_slow(self, flip):
        while True:
            if not (yield _wait_in(self._fd, flip, self._timeout)):
                raise _timed_out()
            try:
                conn, addr = self._sock.accept()
                break
            except _AGAIN as again:
                flip = isinstance(again, ssl.SSLWantWriteError)
        if self._ctx is None and self._certfile is None:
            return self._adopt(conn), addr
        return (yield self._accept_tls(conn, addr))

    def _adopt(self, conn: socket.socket) -> "AsyncSocket":
        new = AsyncSocket(conn, blocking=self._blocking)
        new._timeout = self._timeout
        if self._blocking:
            conn.settimeout(self._timeout)
        return new

    def _server_ctx(self) -> ssl.SSLContext:
        if self._ctx is None:
            self._ctx = tls.server_context(self._certfile, self._keyfile,
                                           minimum_version=tls.context_for_version(
                                               self._ssl_version))
        return self._ctx

    @coro
    def _accept_tls(self, conn, addr):
        new = self._adopt(conn)
        try:
            new._sock = self._server_ctx().wrap_socket(conn, server_side=True,
                                                       do_handshake_on_connect=False)
            yield new._handshake()
        except BaseException as exc:
            logger.debug("TLS handshake with %s failed: %r", addr, exc)
            new.close()
            raise
        return new, addr

    def do_handshake(self):
        """Run the TLS handshake (done by `accept`/`connect` already)."""
        if self._blocking:
            return self._sock.do_handshake()
        return self._handshake()

    @coro
    def _handshake(self):
        sock = self._sock
        while True:
            try:
                sock.do_handshake()
                return None
            except _AGAIN as exc:
                flip = isinstance(exc, ssl.SSLWantWriteError)
            # wait outside the except block, which would keep the exception
            # (and its traceback) alive while suspended
            if not (yield _wait_in(self._fd, flip, self._timeout)):
                raise _timed_out()

    def connect(self, address: Any):
        """Connect to `address`; for TLS the handshake is done too. The
        result is 0 in a task (pycos's value) and None with `blocking=True`
        (the socket's own `connect`).

        A host name (not a numeric address) is looked up in the kernel's
        thread pool, so the DNS query does not stall other tasks. Raises the
        socket's error (`ConnectionRefusedError`, `socket.gaierror`, ...) in
        the task, or `SocketTimeout`.
        """
        tls_wanted = self._ctx is not None or self._certfile is not None
        if not self._blocking and _needs_lookup(self._sock.family, address):
            return self._connect_by_name(address, tls_wanted)
        if self._blocking:
            self._sock.connect(address)
            if tls_wanted:
                self._sock = self._client_ctx().wrap_socket(
                    self._sock, server_hostname=self._hostname_for(address))
            return None
        try:
            self._sock.connect(address)
        except _AGAIN:
            pass
        except OSError as exc:
            if exc.errno not in _INPROGRESS:
                raise
        else:
            if not tls_wanted:
                return Value(0)
        return self._connect_slow(address, tls_wanted)

    @coro
    def _connect_slow(self, address, tls_wanted):
        sock = self._sock
        if not (yield wait_writable(self._fd, self._timeout)):
            raise _timed_out()
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise OSError(err, "connect to %r failed: %s" % (address, _strerror(err)))
        if tls_wanted:
            self._sock = self._client_ctx().wrap_socket(
                sock, server_hostname=self._hostname_for(address),
                do_handshake_on_connect=False)
            yield self._handshake()
        return 0

    @coro
    def _connect_by_name(self, address, tls_wanted):
        host, port = address[0], address[1]
        infos = yield run_in_thread(socket.getaddrinfo, host, port, self._sock.family,
                                    self._sock.type)
        if not infos:
            raise socket.gaierror("no address found for %r" % (host,))
        sockaddr = infos[0][4]
        if self._hostname is None and tls_wanted:
            # verify the certificate against the name asked for, not the IP
            self._hostname = host
        return (yield self.connect(sockaddr))

    def _client_ctx(self) -> ssl.SSLContext:
        if self._ctx is None:
            # pycos's client trusted the certificate file it was given as its
            # CA: keep that, spelled as an explicit fleet (pinned CA) context
            self._ctx = tls.fleet_client_context(
                self._certfile, minimum_version=tls.context_for_version(self._ssl_version))
        return self._ctx

    def _hostname_for(self, address: Any) -> Optional[str]:
        if self._hostname is not None:
            return self._hostname
        if self._ctx is not None and self._ctx.check_hostname:
            host = address[0] if isinstance(address, tuple) else None
            if not host:
                raise tls.TLSConfigError("TLS with check_hostname needs server_hostname or a "
                                         "(host, port) address; got %r" % (address,))
            return host
        return None

    def create_connection(self, host_port: Tuple[str, int], timeout: Optional[float] = None,
                          source_address: Optional[Tuple[str, int]] = None):
        """pycos's `create_connection`: set the timeout, bind `source_address`
        if given, then connect this socket to `host_port`; the result is
        None."""
        if timeout is not None:
            self.settimeout(timeout)
        if source_address is not None:
            self._sock.bind(source_address)
        if self._blocking:
            self.connect(host_port)
            return None
        return self._connect_none(host_port)

    @coro
    def _connect_none(self, host_port):
        yield self.connect(host_port)
        return None


def _needs_lookup(family: int, address: Any) -> bool:
    """True if `address` names a host that must be resolved (not numeric)."""
    if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return False
    host = address[0]
    if not isinstance(host, str) or not host:
        return False
    try:
        socket.inet_pton(family, host.split("%", 1)[0])
        return False
    except OSError:
        return True


def _pending(sock: socket.socket) -> int:
    """Decrypted bytes OpenSSL holds for `sock` (0 for a plain socket)."""
    return sock.pending() if isinstance(sock, ssl.SSLSocket) else 0


def _strerror(err: int) -> str:
    import os
    return os.strerror(err)
