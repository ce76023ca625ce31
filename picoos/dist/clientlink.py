"""The client's control links to nodes and servers, as tasks on its kernel.

The client speaks the same control protocol as :mod:`picoos.dist.wire` (the
net layer's sans-I/O :class:`picoos.net.link.Link`: HMAC handshake on the
shared secret before anything is unpickled, a MAC and sequence number on
every frame, optional TLS, pickled tuples inside), so node daemons and
servers cannot tell the two apart. The node daemon and the servers keep the
blocking :class:`picoos.dist.wire.Link`; the client, which holds a link per
node and per server, runs each of its links on its networked kernel with an
:class:`~picoos.drivers.asyncsocket.AsyncSocket` instead of threads:

- :func:`connect` (a ``@coro``) dials, runs TLS and the handshake;
- :meth:`AsyncLink.recv` (a ``@coro``) gives the next message; whoever owns
  the link reads it (the task setting the node or server up, then its reader
  task in :mod:`picoos.dist.fleet`);
- :meth:`AsyncLink.send` may be called from any thread or task: it seals the
  frame at once (so frames leave in the order they were sent) and leaves the
  writing to the link's **writer** task, the only one that writes to the
  socket and the only one that closes it, in the kernel's thread.

Discussion (time-outs): the reader and the writer share the socket, and
so its time-out, which each wait reads when it begins. An idle link has
none: its reader waits for data without a timer (a node's liveness is
judged by its heartbeats, in :mod:`picoos.dist.dispatch`), and the writer
closing the socket wakes it. The writer sets :data:`IO_WAIT` while it
writes and clears it after; a write wait that times out means "no
progress", which ends the link only when it is being closed, so a peer
that takes nothing cannot hold ``close()`` for longer than that. A reader
wait that begins meanwhile may time out too: the reader just waits again.
``recv(timeout)`` (the set-up steps) sets its own bound for each wait.
While the writer has bytes to flush it is not a daemon task, so the kernel
does not stop with a DETACH still unsent.
A plain thread that sends while more than :data:`HIGH_WATER` bytes wait
(files in chunks) blocks until the writer caught up; a task cannot block,
and uses ``yield link.drain()`` after a big message instead.
"""
from __future__ import annotations

import collections
import logging
import pickle
import socket
import threading
import time
from typing import Any, Deque, List, Optional, Tuple

from picoos.dist.errors import AuthError, ProtocolError
from picoos.dist.wire import HANDSHAKE_TIMEOUT, MAX_FRAME, _feed, _tune
from picoos.drivers.asyncsocket import AsyncSocket, SocketTimeout
from picoos.kernel import context
from picoos.kernel.threadpool import run_in_thread
from picoos.kernel.traps import coro
from picoos.net import link as _link

log = logging.getLogger("picoos.dist")

IO_WAIT = 2.0              # seconds a write may wait without progress
HIGH_WATER = 4 << 20       # unsent bytes above which senders wait for the writer
_RECV = 1 << 16


class AsyncLink:
    """An authenticated, framed, pickling link run by tasks of the client's kernel.

    Made by :func:`connect` in a task of that kernel. ``send`` and ``close``
    are safe from any thread; ``recv`` and ``drain`` are for the one task
    that reads the link.
    """

    def __init__(self, sock: AsyncSocket, proto: "_link.Link", peer: Tuple[str, int],
                 events: List[Tuple[str, Any]]):
        from picoos.kernel.task import Task
        self.sock = sock
        self.peer = peer               # (host, port) of the other end
        self._proto = proto            # MACs and sequence numbers; sealed frames wait in it
        self._events: Deque[Tuple[str, Any]] = collections.deque(events)
        self._lock = threading.Lock()  # guards the fields below and the proto's output
        self._room = threading.Condition(self._lock)   # plain threads wait for the writer
        self._unsent = 0               # bytes sealed and not yet written
        self._signalled = False        # a wake-up is on its way to the writer
        self._closing = False          # no more sends; the writer flushes and closes
        self._drainers: List[Any] = []  # tasks in drain()
        self.closed = False            # the socket is closed
        self._writer = Task(self._write_loop)

    # -- sending -------------------------------------------------------------------

    def send(self, obj: object) -> None:
        """Pickle ``obj`` and queue it for the peer; never blocks a task.

        Raises ConnectionResetError when the link is closed (or closing),
        ProtocolError when the message is larger than a frame may be. A
        plain thread waits while more than HIGH_WATER bytes are unsent.
        """
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > MAX_FRAME:
            raise ProtocolError(f"message of {len(payload)} bytes is larger than the "
                                f"frame limit {MAX_FRAME}; send big data as a file")
        in_kernel = context.current_task() is not None
        with self._lock:
            if not in_kernel:
                while self._unsent > HIGH_WATER and not self._closing:
                    self._room.wait(IO_WAIT)
            if self._closing:
                raise ConnectionResetError(f"link to {self.peer} is closed")
            self._proto.send_bytes(payload)
            self._unsent += len(payload)
            wake = not self._signalled
            self._signalled = True
        if wake:
            self._writer.send(None)

    @coro
    def drain(self):
        """Wait until at most HIGH_WATER bytes are unsent (in a task)."""
        me = context.current_task()
        try:
            while True:
                with self._lock:
                    if self._unsent <= HIGH_WATER or self._closing:
                        return None
                    if me not in self._drainers:
                        self._drainers.append(me)
                yield me.receive(IO_WAIT)
        finally:
            with self._lock:
                if me in self._drainers:
                    self._drainers.remove(me)

    def close(self) -> None:
        """Send what is queued, then close (done by the writer task). Safe
        from any thread; closing twice is harmless."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            wake = not self._signalled
            self._signalled = True
            self._room.notify_all()
        if wake and self._writer.send(None) < 0:
            self._shut()            # the kernel has stopped: nobody else will

    def _shut(self) -> None:
        self.closed = True
        self.sock.close()

    def _write_loop(self, task: Any = None) -> Any:
        task.set_daemon()
        sock, proto = self.sock, self._proto
        try:
            while True:
                with self._lock:
                    data = proto.data_to_send()
                    closing = self._closing
                    if not data:
                        self._signalled = False
                if not data:
                    if closing:
                        return
                    yield task.receive()
                    continue
                task.set_daemon(False)     # the kernel waits for these bytes
                sock.settimeout(IO_WAIT)
                view = memoryview(data)
                while view:
                    try:
                        sent = yield sock.sendall(view)
                    except SocketTimeout:
                        if self._closing:   # a peer that takes nothing holds no close()
                            raise
                        continue
                    if sent is None:
                        break
                    view = view[sent:]
                sock.settimeout(None)
                task.set_daemon(True)
                with self._lock:
                    self._unsent = max(0, self._unsent - len(data))
                    self._room.notify_all()
                    drainers, self._drainers = self._drainers, []
                for t in drainers:
                    t.send(None)
        except Exception as exc:   # reset, broken pipe, timeout: the reader reports the loss
            log.debug("link to %s: write failed: %s: %s", self.peer, type(exc).__name__, exc)
        finally:
            with self._lock:
                self._closing = True
                self._room.notify_all()
                drainers, self._drainers = self._drainers, []
            for t in drainers:
                t.send(None)
            self._shut()            # wakes a reader waiting on the socket

    # -- receiving ---------------------------------------------------------------

    @coro
    def recv(self, timeout: Optional[float] = None):
        """Receive one message (``msg = yield link.recv()``).

        Raises EOFError when the peer closed the link, ProtocolError or
        AuthError for a bad frame, OSError when the link was closed here,
        and SocketTimeout (a ``socket.timeout``) when ``timeout`` seconds
        pass without a message.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        sock = self.sock
        while True:
            events = self._events
            while events:
                kind, value = events.popleft()
                if kind == _link.EVENT_MESSAGE:
                    return value
                if kind == _link.EVENT_BYE:
                    raise EOFError(f"{self.peer} closed the link")
                if kind == _link.EVENT_BAD_MESSAGE:
                    raise ProtocolError(f"message from {self.peer} cannot be read: {value}")
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SocketTimeout(f"no message from {self.peer} within {timeout:g}s")
                sock.settimeout(left)
            try:
                data = yield sock.recv(_RECV)
            except SocketTimeout:
                continue        # the deadline above, or a wait begun during a write
            if not data:
                raise EOFError(f"{self.peer} closed the connection")
            events.extend(_feed(self._proto, data, self.peer))


def _family(host: str) -> int:
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(fam, host.split("%", 1)[0])
            return fam
        except OSError:
            pass
    return 0


@coro
def connect(addr: Tuple[str, int], secret: str, timeout: float = HANDSHAKE_TIMEOUT,
            ssl_context: Any = None):
    """Dial ``addr``, run TLS (with ``ssl_context``) and the connecting side
    of the handshake; gives an :class:`AsyncLink` (in a task of the kernel
    that is to run the link).

    Raises OSError (ConnectionRefusedError, SocketTimeout, socket.gaierror)
    when the peer is unreachable, AuthError when either side's proof fails
    (a wrong shared secret), ProtocolError when the other end is not a
    picoos node or server.
    """
    host, port = addr[0], int(addr[1])
    peer = (host, port)
    fam = _family(host)
    sockaddr: Any = (host, port)
    if not fam:     # a host name: looked up in the pool, the kernel keeps running
        infos = yield run_in_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        if not infos:
            raise socket.gaierror(f"no address found for {host!r}")
        fam, sockaddr = infos[0][0], infos[0][4]
    sock = AsyncSocket(socket.socket(fam, socket.SOCK_STREAM), ssl_context=ssl_context)
    try:
        sock.settimeout(timeout)
        yield sock.connect(sockaddr)
        sock.settimeout(HANDSHAKE_TIMEOUT)
        proto = _link.Link(secret, True, max_frame=MAX_FRAME, loads=pickle.loads)
        proto.start()                   # our HELLO
        yield sock.sendall(proto.data_to_send())
        while True:
            try:
                data = yield sock.recv(_RECV)
            except ConnectionResetError:
                data = b""
            if not data:
                raise AuthError(f"{peer} closed the connection during the handshake "
                                f"(a wrong shared secret, or not a picoos node)")
            try:
                events = _feed(proto, data, peer)
            except (AuthError, ProtocolError):
                out = proto.data_to_send()      # the REFUSE that tells the peer why
                if out:
                    try:
                        sock.send(out)          # one try, no wait: best effort
                    except OSError:
                        pass
                raise
            out = proto.data_to_send()
            if out:
                yield sock.sendall(out)
            for i, (kind, _) in enumerate(events):
                if kind == _link.EVENT_AUTHENTICATED:
                    sock.settimeout(None)       # see "time-outs" above
                    _tune(sock)
                    return AsyncLink(sock, proto, peer, events[i + 1:])
    except BaseException:
        sock.close()
        raise
