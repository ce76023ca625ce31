"""AsyncSocket over real loopback sockets, on every notifier backend.

Each test runs its tasks on a fresh kernel in the test's thread (`run_io`
from conftest, parametrized over epoll/poll/select) with a watchdog, so a
hang fails the test instead of stalling the run.
"""
import errno
import socket
import struct
import threading

import pytest

from picoos.drivers.asyncsocket import AsyncSocket, MessageTooLarge, SocketTimeout
from picoos.drivers.errors import DriverError, InvalidArgumentError, InvalidTypeError
from picoos.drivers.tls import TLSConfigError
from picoos.kernel.io import wait_readable
from picoos.kernel.errors import BusyResourceError, ClosedResourceError, PicoosError
from picoos.kernel.scheduler import Pycos
from picoos.kernel.task import Task
from picoos.kernel.traps import Value


def listener(host="127.0.0.1", family=socket.AF_INET, backlog=128):
    sock = AsyncSocket(socket.socket(family, socket.SOCK_STREAM))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(backlog)
    return sock


def echo_server(lsock, nconns=1):
    """Serve `nconns` connections one task each; return the bytes echoed."""
    total = []

    def serve(conn):
        n = 0
        while True:
            data = yield conn.recv(4096)
            if not data:
                break
            n += len(data)
            yield conn.sendall(data)
        conn.close()
        total.append(n)

    tasks = []
    for _ in range(nconns):
        conn, addr = yield lsock.accept()
        assert isinstance(conn, AsyncSocket)
        assert addr[0] == lsock.getsockname()[0]
        tasks.append(Task(serve, conn))
    lsock.close()
    for t in tasks:
        yield t.finish()
    return sum(total)


def ipv6_available():
    if not socket.has_ipv6:
        return "Python was built without IPv6"
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError as exc:
        return "cannot make an IPv6 socket: %s" % exc
    try:
        s.bind(("::1", 0))
    except OSError as exc:
        return "cannot bind ::1: %s" % exc
    finally:
        s.close()
    return None


# ---------------------------------------------------------------- TCP echo

def test_echo_generator_tasks(run_io):
    def main():
        lsock = listener()
        server = Task(echo_server, lsock)
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        got = []
        for i in range(5):
            msg = b"ping %d" % i
            yield client.sendall(msg)
            got.append((yield client.recvall(len(msg))))
        client.shutdown(socket.SHUT_WR)
        assert (yield client.recv(10)) == b""  # server closed after our EOF
        client.close()
        echoed = yield server.finish()
        return got, echoed

    got, echoed = run_io(main)
    assert got == [b"ping %d" % i for i in range(5)]
    assert echoed == sum(len(b"ping %d" % i) for i in range(5))


def test_echo_async_def_tasks(run_io):
    async def client(addr):
        sock = AsyncSocket(socket.socket())
        await sock.connect(addr)
        await sock.send_msg(b"hello")
        await sock.send(b"x" * 3)
        reply = await sock.recv_msg()
        tail = await sock.recvall(3)
        sock.close()
        return reply, tail

    def main():
        lsock = listener()
        server = Task(echo_server, lsock)
        result = yield Task(client, lsock.getsockname()).finish()
        yield server.finish()
        return result

    assert run_io(main) == (b"hello", b"xxx")


def test_large_transfer_uses_the_slow_paths(run_io):
    # 4 MiB does not fit in loopback socket buffers, so sendall and recvall
    # must wait on the notifier many times
    payload = bytes(range(256)) * (4 * 4096)

    def reader(conn):
        data = yield conn.recvall(len(payload))
        conn.close()
        return data

    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        t = Task(reader, conn)
        result = yield client.sendall(payload)
        data = yield t.finish()
        client.close()
        lsock.close()
        return result, data

    result, data = run_io(main)
    assert result is None
    assert data == payload


def test_send_msg_recv_msg_framing(run_io):
    big = b"z" * 300000

    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()

        def sender():
            yield client.send_msg(b"one")
            yield client.send_msg(b"")
            yield client.send_msg(big)
            yield client.send_msg(bytearray(b"two"))
            client.close()

        t = Task(sender)
        got = []
        for _ in range(5):
            got.append((yield conn.recv_msg()))
        yield t.finish()
        conn.close()
        lsock.close()
        return got

    got = run_io(main)
    # the empty message and end of stream both read as b'' (as in pycos)
    assert got == [b"one", b"", big, b"two", b""]


def test_recv_msg_stream_ending_inside_a_message(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        yield client.sendall(struct.pack(">L", 10) + b"short")
        client.close()
        msg = yield conn.recv_msg()
        conn.close()
        lsock.close()
        return msg

    assert run_io(main) == b""


def test_recv_msg_max_size_and_timeout_inside_a_message(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        # a hostile length: refused before any payload is read or allocated
        yield client.sendall(struct.pack(">L", 2 ** 32 - 1))
        with pytest.raises(MessageTooLarge, match="4294967295"):
            yield conn.recv_msg(max_size=1024)
        with pytest.raises(InvalidArgumentError, match="max_size"):
            conn.recv_msg(max_size=-1)
        # half a message, then silence: a timeout, not a fake end of stream
        conn2, _ = yield from accept_pair(lsock)
        peer, srv = conn2
        yield peer.sendall(struct.pack(">L", 10) + b"half")
        srv.settimeout(0.05)
        with pytest.raises(socket.timeout):
            yield srv.recv_msg()
        for s in (client, conn, peer, srv, lsock):
            s.close()
        return True

    assert run_io(main)


def accept_pair(lsock):
    """Connect a new client to `lsock`; return ((client, server), addr)."""
    client = AsyncSocket(socket.socket())
    yield client.connect(lsock.getsockname())
    server, addr = yield lsock.accept()
    return (client, server), addr


def test_recvall_at_end_of_stream_returns_empty(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        yield client.sendall(b"abc")
        client.close()
        data = yield conn.recvall(10)
        conn.close()
        lsock.close()
        return data

    assert run_io(main) == b""


def test_recv_into(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        buf = bytearray(16)
        waiter = Task(lambda: (yield conn.recv_into(buf, 8)))
        yield client.sendall(b"0123456789")
        n = yield waiter.finish()
        n2 = yield conn.recv_into(memoryview(buf)[n:])
        for s in (client, conn, lsock):
            s.close()
        return n, n2, bytes(buf[:n + n2])

    n, n2, data = run_io(main)
    assert (n, n2, data) == (8, 2, b"0123456789")


def test_many_clients(run_io):
    nclients, rounds = 200, 5

    def client(addr, i):
        sock = AsyncSocket(socket.socket())
        yield sock.connect(addr)
        replies = []
        for r in range(rounds):
            msg = b"client %d round %d" % (i, r)
            yield sock.sendall(msg)
            replies.append((yield sock.recvall(len(msg))))
        sock.close()
        return replies

    def main():
        lsock = listener(backlog=nclients)
        server = Task(echo_server, lsock, nclients)
        clients = [Task(client, lsock.getsockname(), i) for i in range(nclients)]
        results = []
        for t in clients:
            results.append((yield t.finish()))
        echoed = yield server.finish()
        return results, echoed

    results, echoed = run_io(main)
    for i, replies in enumerate(results):
        assert replies == [b"client %d round %d" % (i, r) for r in range(rounds)]
    assert echoed == sum(len(b"client %d round %d" % (i, r))
                         for i in range(nclients) for r in range(rounds))


def test_ipv6_echo(run_io):
    reason = ipv6_available()
    if reason:
        print("IPv6 test skipped: %s" % reason)
        pytest.skip(reason)

    def main():
        lsock = listener("::1", socket.AF_INET6)
        server = Task(echo_server, lsock)
        client = AsyncSocket(socket.socket(socket.AF_INET6))
        yield client.connect(lsock.getsockname())
        yield client.send_msg(b"over v6")
        reply = yield client.recv_msg()
        peer = client.getpeername()
        client.close()
        yield server.finish()
        return reply, peer

    reply, peer = run_io(main)
    assert reply == b"over v6"
    assert peer[0] == "::1"


def test_create_connection(run_io):
    def main():
        lsock = listener()
        server = Task(echo_server, lsock)
        sock = AsyncSocket(socket.socket())
        yield sock.create_connection(lsock.getsockname(), timeout=5,
                                     source_address=("127.0.0.1", 0))
        assert sock.gettimeout() == 5.0
        yield sock.sendall(b"hi")
        reply = yield sock.recvall(2)
        sock.close()
        yield server.finish()
        return reply

    assert run_io(main) == b"hi"


def test_connect_by_host_name_resolves_in_a_thread(run_io):
    # "localhost" comes from /etc/hosts: no network needed
    def main():
        lsock = listener()
        server = Task(echo_server, lsock)
        sock = AsyncSocket(socket.socket())
        yield sock.connect(("localhost", lsock.getsockname()[1]))
        yield sock.sendall(b"by name")
        reply = yield sock.recvall(7)
        sock.close()
        yield server.finish()
        return reply

    assert run_io(main) == b"by name"


def test_connect_refused_raises_in_the_task(run_io):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    addr = probe.getsockname()
    probe.close()  # nothing listens on addr now

    def main():
        sock = AsyncSocket(socket.socket())
        try:
            yield sock.connect(addr)
        except ConnectionRefusedError as exc:
            return exc.errno
        finally:
            sock.close()
        return None

    assert run_io(main) == errno.ECONNREFUSED


# ---------------------------------------------------------------- UDP

def test_udp_sendto_recvfrom(run_io):
    def main():
        a = AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        b = AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        waiter = Task(lambda: (yield b.recvfrom(100)))
        n = yield a.sendto(b"datagram 1", b.getsockname())
        got1 = yield waiter.finish()
        yield a.sendto(b"datagram 2", 0, b.getsockname())
        got2 = yield b.recvfrom(100)
        # connected UDP: send/recv
        a.connect(b.getsockname())
        yield b.sendto(b"reply", a.getsockname())
        got3 = yield a.recv(100)
        yield a.send(b"via send")
        got4 = yield b.recvfrom(100)
        addr_a = a.getsockname()
        a.close()
        b.close()
        return n, got1, got2, got3, got4, addr_a

    n, got1, got2, got3, got4, addr_a = run_io(main)
    assert n == len(b"datagram 1")
    assert got1 == (b"datagram 1", addr_a)
    assert got2 == (b"datagram 2", addr_a)
    assert got3 == b"reply"
    assert got4 == (b"via send", addr_a)


def test_udp_recvfrom_timeout(run_io):
    def main():
        sock = AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.05)
        try:
            with pytest.raises(socket.timeout):
                yield sock.recvfrom(10)
        finally:
            sock.close()
        return True

    assert run_io(main)


# ---------------------------------------------------------------- timeouts

def test_recv_timeout_raises_socket_timeout(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        conn.settimeout(0.05)
        try:
            yield conn.recv(10)
        except socket.timeout as exc:
            err = exc
        else:
            err = None
        # the socket still works after a timeout
        yield client.sendall(b"late")
        data = yield conn.recv(10)
        for s in (client, conn, lsock):
            s.close()
        return err, data

    err, data = run_io(main)
    assert isinstance(err, SocketTimeout)
    assert isinstance(err, socket.timeout) and isinstance(err, PicoosError)
    assert data == b"late"


def test_recvall_timeout_returns_partial_data(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        conn.settimeout(0.05)
        yield client.sendall(b"part")
        data = yield conn.recvall(100)
        with pytest.raises(socket.timeout):
            yield conn.recvall(100)
        for s in (client, conn, lsock):
            s.close()
        return data

    assert run_io(main) == b"part"


def test_sendall_timeout_returns_count_sent(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()  # never reads
        client.settimeout(0.05)
        payload = b"x" * (16 * 2 ** 20)
        sent = yield client.sendall(payload)
        # buffers are full now: nothing more can go, so a timeout is raised
        with pytest.raises(socket.timeout):
            yield client.sendall(payload)
        for s in (client, conn, lsock):
            s.close()
        return sent

    sent = run_io(main)
    assert isinstance(sent, int) and 0 < sent < 16 * 2 ** 20


def test_accept_timeout_and_zero_timeout(run_io):
    def main():
        lsock = listener()
        lsock.settimeout(0.05)
        with pytest.raises(socket.timeout):
            yield lsock.accept()
        lsock.settimeout(0)  # 0: do not wait at all
        with pytest.raises(socket.timeout):
            yield lsock.accept()
        lsock.close()
        return True

    assert run_io(main)


def test_silent_peer_times_out_and_nothing_hangs(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        conn.settimeout(0.05)
        with pytest.raises(socket.timeout):
            yield conn.recv_msg()
        for s in (client, conn, lsock):
            s.close()
        return True

    assert run_io(main)


# ---------------------------------------------------------------- peers going away

def test_close_wakes_waiting_tasks(run_io):
    def reader(sock):
        try:
            yield sock.recv(10)
        except ClosedResourceError as exc:
            return exc
        return None

    def acceptor(lsock):
        try:
            yield lsock.accept()
        except ClosedResourceError as exc:
            return exc
        return None

    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        r = Task(reader, conn)
        a = Task(acceptor, lsock)
        # let both reach their wait, then close the sockets under them
        yield None
        conn.close()
        lsock.close()
        err_r = yield r.finish()
        err_a = yield a.finish()
        client.close()
        return err_r, err_a

    err_r, err_a = run_io(main)
    for err in (err_r, err_a):
        assert isinstance(err, ClosedResourceError)
        assert isinstance(err, OSError) and err.errno == errno.EBADF


def test_reset_peer_raises_in_waiting_task(run_io):
    def reader(conn):
        try:
            data = yield conn.recv(10)
        except ConnectionResetError as exc:
            return exc
        return data

    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        r = Task(reader, conn)
        yield None  # the reader is now waiting
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # sends RST
        err = yield r.finish()
        # a call made after the reset fails at once too (or reads EOF)
        try:
            later = yield conn.send(b"x")
        except OSError as exc:
            later = exc
        conn.close()
        lsock.close()
        return err, later

    err, later = run_io(main)
    assert isinstance(err, ConnectionResetError)
    assert isinstance(later, OSError)


def test_half_close_reads_eof_and_can_still_send(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        yield client.sendall(b"request")
        client.shutdown(socket.SHUT_WR)
        got = yield conn.recvall(7)
        eof = yield conn.recv(10)
        yield conn.sendall(b"answer after your EOF")
        conn.close()
        reply = yield client.recvall(21)
        client.close()
        lsock.close()
        return got, eof, reply

    assert run_io(main) == (b"request", b"", b"answer after your EOF")


def test_two_readers_on_one_socket_is_an_error(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        first = Task(lambda: (yield conn.recv(10)))
        yield None
        with pytest.raises(BusyResourceError):
            yield conn.recv(10)
        yield client.sendall(b"for first")
        data = yield first.finish()
        for s in (client, conn, lsock):
            s.close()
        return data

    assert run_io(main) == b"for first"


# ---------------------------------------------------------------- the fast path

def test_completed_calls_allocate_no_generator(run_io):
    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        pending = conn.recv(10)  # nothing there yet: an operation that waits
        assert type(pending) is not Value
        pending.close()
        fast_send = client.sendall(b"ready")
        assert type(fast_send) is Value
        yield fast_send
        assert (yield wait_readable(conn, 10))
        fast_recv = conn.recvall(5)
        assert type(fast_recv) is Value
        data = yield fast_recv
        for s in (client, conn, lsock):
            s.close()
        return data

    assert run_io(main) == b"ready"


def test_await_waiting_recv_timeout_and_close(run_io):
    # the waiting operations under `await`: data, timeout, closed under us
    async def reader(conn, main_task):
        got = [await conn.recv(10)]
        conn.settimeout(0.05)
        try:
            await conn.recv(10)
        except socket.timeout:
            got.append("timeout")
        conn.settimeout(None)
        main_task.send("about to wait")  # main runs only once we are parked
        try:
            await conn.recv(10)
        except ClosedResourceError:
            got.append("closed")
        return got

    def main():
        task = Pycos.cur_task()
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        r = Task(reader, conn, task)
        yield None  # reader waits in its first recv
        yield client.sendall(b"first")
        assert (yield task.receive()) == "about to wait"
        conn.close()
        got = yield r.finish()
        client.close()
        lsock.close()
        return got

    assert run_io(main) == [b"first", "timeout", "closed"]


def test_terminating_a_task_blocked_in_recv(run_io):
    cleaned = []

    def reader(conn):
        try:
            yield conn.recv(10)
        finally:
            cleaned.append(True)

    def main():
        lsock = listener()
        client = AsyncSocket(socket.socket())
        yield client.connect(lsock.getsockname())
        conn, _ = yield lsock.accept()
        r = Task(reader, conn)
        yield None
        r.terminate()
        yield r.finish()
        # the fd is free for a new reader
        yield client.sendall(b"again")
        data = yield conn.recv(10)
        for s in (client, conn, lsock):
            s.close()
        return data

    assert run_io(main) == b"again"
    assert cleaned == [True]


# ---------------------------------------------------------------- plumbing

def test_attribute_passthrough_context_manager_and_double_close(run_io):
    raw = socket.socket()
    with pytest.raises(KeyError):
        with AsyncSocket(raw) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
            assert sock.family == socket.AF_INET
            assert sock.fileno() == raw.fileno()
            raise KeyError("must not be swallowed")
    assert sock.closed and raw.fileno() == -1
    sock.close()  # twice is harmless
    with pytest.raises(AttributeError):
        sock.no_such_attribute


def test_bad_arguments_give_clear_errors():
    with pytest.raises(InvalidTypeError, match="socket.socket"):
        AsyncSocket(object())
    raw = socket.socket()
    try:
        sock = AsyncSocket(raw)
        with pytest.raises(InvalidTypeError, match="timeout"):
            sock.settimeout("1")
        with pytest.raises(InvalidArgumentError, match=">= 0"):
            sock.settimeout(-1)
        with pytest.raises(InvalidArgumentError, match="bufsize"):
            sock.recvall(-1)

        class Huge:
            def __len__(self):
                return 2 ** 32

        with pytest.raises(MessageTooLarge):
            sock.send_msg(Huge())
        with pytest.raises(TLSConfigError, match="certfile"):
            AsyncSocket(raw, keyfile="key.pem")
        with pytest.raises(TLSConfigError, match="ssl_version"):
            AsyncSocket(raw, certfile="c.pem", ssl_version=12345)
        with pytest.raises(InvalidTypeError, match="SSLContext"):
            AsyncSocket(raw, ssl_context="not a context")
    finally:
        raw.close()
    closed = socket.socket()
    closed.close()
    with pytest.raises(InvalidArgumentError, match="closed"):
        AsyncSocket(closed)
    for cls in (SocketTimeout, MessageTooLarge):
        assert issubclass(cls, DriverError) and issubclass(cls, PicoosError)


def test_rewrapping_shares_the_socket(run_io):
    raw = socket.socket()
    a = AsyncSocket(raw)
    a.settimeout(3)
    b = AsyncSocket(a)
    assert b.fileno() == raw.fileno()
    b.close()
    assert raw.fileno() == -1


# ---------------------------------------------------------------- blocking=True

def test_blocking_mode_is_synchronous():
    lsock = AsyncSocket(socket.socket(), blocking=True)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    results = {}

    def peer():
        s = AsyncSocket(socket.create_connection(lsock.getsockname()), blocking=True)
        s.send_msg(b"sync message")
        results["reply"] = s.recvall(4)
        results["eof"] = s.recv_msg()
        s.close()

    t = threading.Thread(target=peer)
    t.start()
    try:
        lsock.settimeout(20)
        conn, addr = lsock.accept()
        assert isinstance(conn, AsyncSocket) and conn.gettimeout() == 20
        assert conn.recv_msg() == b"sync message"
        assert conn.sendall(b"done") is None
        conn.close()
    finally:
        t.join(20)
        lsock.close()
    assert not t.is_alive()
    assert results == {"reply": b"done", "eof": b""}
