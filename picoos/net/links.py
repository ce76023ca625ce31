"""The tasks that move frames: accept loop, connector/sender, readers.

Between two kernels A and B there are two links (docs/protocol.md, "Links"):
A->B, which A opened and on which only A sends, and B->A. Each link has a
reader task; each peer has one sender task, which first opens the outgoing
link (connect, TLS, handshake, INFO) and then turns queued messages into
frames, batching whatever is queued into one write, and sends a PING when
nothing else went out for `pulse_interval` seconds. A request or a reply
to an idle peer skips the sender (`Peer.post_now`): it is written in the
step that posts it, so an answer leaves before the work its request set
off, once per input from that peer (what follows in the same burst is
batched by the sender as before). A reader reads with a
time-out of `peer_timeout` on the incoming link (the peer's sender pings
it), so a silent peer is noticed within that bound; any error, EOF, bad
frame or failed MAC on either link ends the peer (`kernel._peer_lost`).

Every task here is small and has one job (STYLE habit 13); they are daemon
tasks, so they never keep a program alive.
"""
from __future__ import annotations

import logging
import socket
import ssl
from collections import deque
from typing import Optional

from picoos.drivers.asyncsocket import AsyncSocket
from picoos.kernel.location import Location
from picoos.kernel.traps import coro
from picoos.kernel.waitq import WaitQueue
from picoos.net.errors import AuthError, FrameError, NetError, PeerLostError
from picoos.net.link import (
    EVENT_AUTHENTICATED, EVENT_BAD_MESSAGE, EVENT_BYE, EVENT_INFO, EVENT_MESSAGE, Link,
)

__all__ = ["Peer", "accept_loop", "peer_sender", "CONNECTING", "ONLINE", "CLOSED"]

log = logging.getLogger("picoos.net")

CONNECTING, ONLINE, CLOSED = "connecting", "online", "closed"
# bytes asked of each read: below malloc's mmap threshold (128 KiB), since
# recv() allocates the whole size before it shrinks the result, and an
# mmap'd buffer made every read of a small message cost ~15 us more
_RECV = 64 * 1024
_BATCH = 128        # messages per write at most


class Peer:
    """What this kernel knows about one other kernel."""

    __slots__ = ("location", "name", "state", "queue", "sender", "idle", "socks",
                 "waiters", "reason", "stream", "closing", "link", "inbound", "busy", "out",
                 "direct", "wrote", "unsent")

    def __init__(self, location: Location, stream: bool = False) -> None:
        self.location = location    # the peer's Location (from its INFO / our peer() call)
        self.name = ""              # the peer's kernel name, from its INFO
        self.state = CONNECTING     # CONNECTING -> ONLINE -> CLOSED
        self.queue = deque()        # messages waiting for the sender
        self.sender = None          # the sender task
        self.idle = False           # the sender is parked waiting for messages
        self.socks = []             # AsyncSockets of this peer's links (closed when lost)
        self.waiters = WaitQueue()  # tasks in peer() waiting for ONLINE/CLOSED
        self.reason = ""            # why it was closed
        self.stream = stream        # pycos's stream_send flag (kept for compatibility)
        self.closing = False        # close_peer(): send what is queued, then BYE
        self.link = None            # the outgoing Link once authenticated
        self.inbound = False        # the peer's own link to us is up (it can reach us)
        self.busy = False           # the sender is writing a batch (a write is half done)
        self.out = None             # the AsyncSocket of the outgoing link, once up
        self.direct = None          # its plain socket, when post_now may write to it
        self.wrote = False          # post_now wrote since the peer's last input
        self.unsent = b""           # bytes post_now could not write: the sender's first

    def __repr__(self) -> str:
        return "Peer(%s %r %s)" % (self.location, self.name, self.state)

    def post(self, msg) -> bool:
        if self.state == CLOSED:
            return False
        self.queue.append(msg)
        if self.idle:
            self.idle = False
            self.sender.resume(None)
        return True

    def post_now(self, msg) -> bool:
        """As `post`, for a request or a reply: written in the caller's step
        when the sender is idle with nothing queued, saving the sender's step
        and letting a reply leave before the work its request started (a
        task made by an RPS). Once per input from the peer: more messages
        posted meanwhile are batched by the sender as usual. Only in the
        kernel's thread."""
        if self.wrote or not self.idle or self.queue or self.direct is None or self.closing \
                or self.state != ONLINE:
            return self.post(msg)
        link = self.link
        try:
            link.send_message(msg)
        except Exception:   # noqa: BLE001 - the sender reports an unpicklable message
            return self.post(msg)
        data = link.data_to_send()
        self.wrote = True
        try:
            n = self.direct.send(data)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            n = 0           # the sender meets the error again and ends the peer
        if n < len(data):
            self.unsent = data[n:]
            self.idle = False
            self.sender.resume(None)
        return True


def _new_socket(family: int) -> socket.socket:
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _flush_refusal(sock, link) -> None:
    # best effort: tell the peer why, without waiting on a slow socket
    data = link.data_to_send()
    if data:
        try:
            sock._sock.send(data)
        except OSError:
            pass


@coro
def open_link(kernel, location: Location):
    """Connect to `location`, run TLS and the handshake, send our INFO.

    Gives (AsyncSocket, Link). Raises `AuthError` for a refused handshake,
    `OSError` / `socket.timeout` for connection problems.
    """
    fam = socket.AF_INET6 if ":" in location.addr else socket.AF_INET
    sock = AsyncSocket(_new_socket(fam), ssl_context=kernel._client_ctx)
    sock.settimeout(kernel.connect_timeout)
    try:
        yield sock.connect((location.addr, location.port))
        link = Link(kernel._secret, initiator=True, max_frame=kernel.max_frame,
                    loads=kernel._codec.loads, dumps=kernel._codec.dumps)
        link.start()
        yield sock.sendall(link.data_to_send())
        info = None
        # the responder sends WELCOME and its INFO together
        while info is None:
            data = yield sock.recv(4096)
            if not data:
                link.eof()
                raise AuthError("%s closed the link during the handshake" % (location,))
            try:
                events = link.receive_data(data)
            except (AuthError, FrameError):
                _flush_refusal(sock, link)
                raise
            out = link.data_to_send()
            if out:
                yield sock.sendall(out)
            for kind, value in events:
                if kind == EVENT_INFO:
                    info = value
                elif kind != EVENT_AUTHENTICATED:
                    raise FrameError("%s sent %s before its INFO" % (location, kind))
        link.send_info(kernel._info())
        yield sock.sendall(link.data_to_send())
    except BaseException:
        sock.close()
        raise
    return sock, link, info


def peer_sender(kernel, peer: Peer, task=None):
    """Open the outgoing link to `peer`, then send its queued messages."""
    task.set_daemon()
    try:
        sock, link, info = yield open_link(kernel, peer.location)
    except AuthError as exc:
        log.error("peer %s: handshake failed: %s", peer.location, exc)
        kernel._peer_lost(peer, "handshake failed: %s" % exc)
        return
    except (OSError, NetError) as exc:
        log.warning("peer %s: cannot connect: %s", peer.location, exc)
        kernel._peer_lost(peer, "cannot connect: %s" % exc)
        return
    if peer.state == CLOSED:
        sock.close()
        return
    peer.socks.append(sock)
    peer.out = sock
    peer.link = link
    raw = sock._sock
    # post_now writes frames itself on a plain socket (a TLS write cut short
    # must be retried with the same bytes, which only the sender does)
    peer.direct = None if isinstance(raw, ssl.SSLSocket) else raw
    name = info.get("name")
    if isinstance(name, str) and not peer.name:
        peer.name = name
    # the peer never sends on this link; reading it only notices its end
    kernel._spawn_daemon(link_reader, kernel, sock, link, peer, False)
    kernel._peer_online(peer)
    queue = peer.queue
    pulse = kernel.pulse_interval
    # replies come on the peer's link to us: if it cannot reach us (wrong
    # ext_host, NAT, firewall) say so instead of letting requests hang
    connect_back_by = kernel.clock.now() + kernel.connect_timeout + kernel.handshake_timeout
    try:
        while peer.state != CLOSED:
            if not queue and not peer.unsent:
                if peer.closing:
                    break
                peer.idle = True
                yield task.suspend(pulse)
                peer.idle = False
                if peer.state == CLOSED:
                    break
                if not peer.inbound and kernel.clock.now() > connect_back_by:
                    kernel._peer_lost(peer, "it did not connect back within %.0f s: it cannot "
                                      "reach this kernel at %s (set ext_host?)"
                                      % (kernel.connect_timeout + kernel.handshake_timeout,
                                         kernel.location))
                    break
                if not queue and not peer.closing and not peer.unsent:
                    link.send_ping()
            # batch what is queued into one write, but not without bound:
            # a burst of sends must not become one huge buffer
            n = 0
            while queue and n < _BATCH:
                msg = queue.popleft()
                n += 1
                try:
                    link.send_message(msg)
                except Exception as exc:    # noqa: BLE001 - an unpicklable user message
                    kernel._unsendable(peer, msg, exc)
            data = link.data_to_send()
            if peer.unsent:     # sealed before anything queued now: it goes first
                data = peer.unsent + data
                peer.unsent = b""
            peer.wrote = False
            if data:
                peer.busy = True
                n = yield sock.sendall(data)
                peer.busy = False
                if n is not None:
                    raise PeerLostError("peer %s did not take data for %s s"
                                        % (peer.location, kernel.peer_timeout))
        if peer.closing and peer.state != CLOSED:
            link.send_bye()
            yield sock.sendall(link.data_to_send())
            kernel._peer_lost(peer, "closed by us")
    except (OSError, NetError) as exc:
        kernel._peer_lost(peer, "send failed: %s" % exc)
    except Exception as exc:    # noqa: BLE001
        log.exception("sender to %s failed", peer.location)
        kernel._peer_lost(peer, "internal error: %r" % (exc,))
    finally:
        sock.close()


def link_reader(kernel, sock, link: Link, peer: Optional[Peer], inbound: bool, task=None):
    """Read frames from one link and hand its messages to the kernel.

    An inbound link starts unauthenticated: this task runs the responder's
    side of the handshake with a short time-out, then waits for the peer's
    INFO to learn which peer it is.
    """
    task.set_daemon()
    remote = None
    try:
        remote = sock.getpeername()
    except OSError:
        pass
    if inbound:
        sock.settimeout(kernel.handshake_timeout)
    else:
        sock.settimeout(None)   # our outgoing link: the peer is silent on it
    try:
        if inbound and kernel._server_ctx is not None:
            # TLS runs here, not in the accept loop, so a slow or silent
            # client cannot stall other connections
            raw = sock.unwrap()
            sock = AsyncSocket(kernel._server_ctx.wrap_socket(
                raw, server_side=True, do_handshake_on_connect=False))
            sock.settimeout(kernel.handshake_timeout)
            yield sock.do_handshake()
        while True:
            data = yield sock.recv(_RECV)
            if not data:
                link.eof()
                raise PeerLostError("link closed by the peer")
            if peer is not None:
                peer.wrote = False      # its answers to this input may be written at once
            try:
                events = link.receive_data(data)
            except AuthError as exc:
                _flush_refusal(sock, link)
                log.error("connection from %s refused: %s", remote, exc)
                raise
            out = link.data_to_send()
            if out:
                yield sock.sendall(out)
            for kind, value in events:
                if kind == EVENT_MESSAGE:
                    if peer is None:
                        raise FrameError("DATA before INFO: expected INFO first")
                    kernel._dispatch(peer, value)
                elif kind == EVENT_AUTHENTICATED:
                    # tell the initiator who we are, with the WELCOME
                    link.send_info(kernel._info())
                    yield sock.sendall(link.data_to_send())
                    sock.settimeout(kernel.handshake_timeout)
                elif kind == EVENT_INFO:
                    if peer is None and inbound:
                        peer = kernel._peer_from_info(value, remote, sock)
                        sock.settimeout(kernel.peer_timeout)
                elif kind == EVENT_BAD_MESSAGE:
                    log.warning("message from %s dropped: it does not unpickle here: %r",
                                peer.location if peer else remote, value)
                elif kind == EVENT_BYE:
                    raise PeerLostError("closed by the peer")
    except GeneratorExit:
        raise
    except PeerLostError as exc:
        if peer is not None:
            kernel._peer_lost(peer, str(exc))
    except socket.timeout:
        if peer is not None:
            kernel._peer_lost(peer, "no heartbeat for %s s" % kernel.peer_timeout)
        else:
            log.warning("connection from %s dropped: no handshake within %s s",
                        remote, kernel.handshake_timeout)
    except (OSError, NetError, ValueError) as exc:
        if peer is not None:
            kernel._peer_lost(peer, "%s: %s" % (type(exc).__name__, exc))
        elif not isinstance(exc, AuthError):
            log.warning("connection from %s dropped: %s", remote, exc)
    except Exception as exc:    # noqa: BLE001 - a bug here must not leave a half-dead peer
        log.exception("reader of link with %s failed", peer.location if peer else remote)
        if peer is not None:
            kernel._peer_lost(peer, "internal error: %r" % (exc,))
    finally:
        sock.close()


def accept_loop(kernel, listener: AsyncSocket, task=None):
    """Accept connections; each gets a reader that runs the handshake."""
    task.set_daemon()
    while True:
        try:
            conn, addr = yield listener.accept()
        except GeneratorExit:
            raise
        except OSError as exc:
            if kernel._closing:
                return
            # e.g. EMFILE: do not spin; connections wait in the backlog
            log.warning("accept failed: %s", exc)
            yield task.sleep(0.1)
            continue
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        link = Link(kernel._secret, initiator=False, max_frame=kernel.max_frame,
                    loads=kernel._codec.loads, dumps=kernel._codec.dumps)
        link.start()
        kernel._spawn_daemon(link_reader, kernel, conn, link, None, True)
