"""The client's control links as kernel tasks (picoos.dist.clientlink), and a
client that runs its links, dials and discovery without threads of its own."""
import socket
import threading

import pytest

import jobfuncs
from picoos.dist import clientlink, wire
from picoos.dist.client import Client
from picoos.dist.errors import AuthError
from picoos.kernel.scheduler import Kernel

WAIT = 60  # generous bound: only a real hang reaches it


class BlockingPeer:
    """The listening side as node daemons and servers run it: wire.Link in a thread."""

    def __init__(self, secret):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.addr = self.lsock.getsockname()
        self.link = None
        self.error = None
        self.accepted = threading.Event()
        threading.Thread(target=self._accept, args=(secret,), daemon=True).start()

    def _accept(self, secret):
        conn, addr = self.lsock.accept()
        try:
            self.link = wire.accept_link(conn, secret, addr)
        except Exception as exc:
            self.error = exc
            conn.close()
        finally:
            self.accepted.set()
            self.lsock.close()


def run_in_kernel(fn, *args):
    """Run generator function ``fn`` as the main task of a kernel on the real clock."""
    return Kernel().run(fn, *args)


def test_async_link_and_blocking_link_speak_the_same_protocol():
    peer = BlockingPeer("s")

    def main(task=None):
        link = yield clientlink.connect(peer.addr, "s")
        link.send(("hello", [1, 2, 3]))
        echoed = yield link.recv(timeout=WAIT)
        link.send(("last", b"\x00" * 200000))
        link.close()             # what was queued still goes out first
        with pytest.raises(ConnectionResetError):
            link.send(("too late",))
        return echoed

    def echo():
        assert peer.accepted.wait(WAIT) and peer.error is None
        msg = peer.link.recv(timeout=WAIT)
        peer.link.send(("echo",) + msg)
        got.append(peer.link.recv(timeout=WAIT))
        try:
            peer.link.recv(timeout=WAIT)
        except (EOFError, OSError) as exc:
            got.append(type(exc))

    got = []
    t = threading.Thread(target=echo)
    t.start()
    assert run_in_kernel(main) == ("echo", "hello", [1, 2, 3])
    t.join(WAIT)
    assert got[0] == ("last", b"\x00" * 200000)
    assert issubclass(got[1], (EOFError, OSError))       # closed after the flush
    peer.link.close()


def test_wrong_secret_is_a_clear_error():
    peer = BlockingPeer("right")

    def main(task=None):
        with pytest.raises(AuthError) as info:
            yield clientlink.connect(peer.addr, "wrong")
        return str(info.value)

    message = run_in_kernel(main)
    assert "secret" in message or "refused" in message.lower(), message
    assert peer.accepted.wait(WAIT) and isinstance(peer.error, AuthError)


def test_unreachable_peer_is_an_oserror():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    addr = s.getsockname()
    s.close()                    # nothing listens there now

    def main(task=None):
        with pytest.raises(OSError):
            yield clientlink.connect(addr, "s", timeout=5)
        return "ok"

    assert run_in_kernel(main) == "ok"


def test_close_gives_up_on_a_peer_that_takes_nothing():
    """A peer that stops reading cannot hold close() (and so the kernel's
    exit) for ever: the writer gives up after IO_WAIT without progress."""
    peer = BlockingPeer("s")

    def main(task=None):
        link = yield clientlink.connect(peer.addr, "s")
        for i in range(32):            # far more than the socket buffers hold
            link.send(("chunk", i, b"x" * (1 << 20)))
        yield task.sleep(0)            # the writer starts and blocks
        link.close()
        yield link._writer.finish(WAIT)
        return link.closed

    assert run_in_kernel(main) is True
    assert peer.accepted.wait(WAIT) and peer.error is None
    peer.link.close()


def test_a_plain_thread_sending_waits_for_the_writer():
    """Senders in plain threads wait while HIGH_WATER bytes are unsent (a
    file sent in chunks does not pile up in memory); a task never waits."""
    peer = BlockingPeer("s")
    chunk = b"x" * (1 << 20)
    count = 3 * clientlink.HIGH_WATER // len(chunk)
    unsent = []

    def sender(link):
        for i in range(count):
            link.send(("chunk", i, chunk))
            unsent.append(link._unsent)
        link.close()

    def main(task=None):
        link = yield clientlink.connect(peer.addr, "s")
        threading.Thread(target=sender, args=(link,)).start()
        while not link.closed:     # the writer closes the link after the last chunk
            yield task.sleep(0.05)
        return 0

    received = []

    def reader():
        assert peer.accepted.wait(WAIT) and peer.error is None
        while True:
            try:
                received.append(peer.link.recv(timeout=WAIT)[1])
            except (EOFError, OSError):
                return

    t = threading.Thread(target=reader)
    t.start()
    run_in_kernel(main)
    t.join(WAIT)
    peer.link.close()
    assert received == list(range(count))
    assert max(unsent) <= clientlink.HIGH_WATER + len(chunk) + 1024


def threads():
    """The threads of this process, but the kernels' pool workers."""
    return {t for t in threading.enumerate() if t.name != "picoos-pool"}


def new_threads_are_only_the_kernel(client, before):
    """The client started no thread but its private kernel's (if it has one);
    gives that thread, or None when the client uses the program's kernel."""
    own = [t for t in threading.enumerate() if t.ident == client._kernel._tid and
           t.name == "client-kernel"]
    assert threads() - before == set(own), threads() - before
    return own[0] if own else None


def closed_for_good(client, kernel_thread):
    client.close(timeout=WAIT)
    if kernel_thread is not None:       # a private kernel stops once all is closed
        kernel_thread.join(WAIT)
        assert not kernel_thread.is_alive()


def test_client_runs_links_as_tasks_and_close_ends_them(start_node):
    node_a = start_node("-c", "2")
    node_b = start_node("-c", "1")
    before = threads()
    client = Client([jobfuncs.square], nodes=[node_a.addr, node_b.addr], pulse_interval=0.5)
    client.schedule(timeout=WAIT)
    assert client.wait_servers(3, WAIT)
    assert client.run(jobfuncs.square, 9).result(WAIT) == 81
    # two nodes and three servers, and no thread for any of them
    kernel_thread = new_threads_are_only_the_kernel(client, before)
    links = [n.link for n in client._nodes.values()] + \
        [s.link for n in client._nodes.values() for s in n.servers.values()]
    assert len(links) == 5 and not any(link.closed for link in links)
    closed_for_good(client, kernel_thread)
    if kernel_thread is None:
        for link in links:          # the program's kernel goes on: wait for the writers
            link._writer.value(WAIT)
    assert all(link.closed for link in links)


def test_close_ends_a_dial_that_hangs_in_the_handshake():
    """A node that accepts and never answers keeps a dial waiting for the
    handshake; close() ends it at once (the peer sees the connection close)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    host, port = lsock.getsockname()
    client = Client([jobfuncs.square], nodes=[f"{host}:{port}"], pulse_interval=0.5)
    with pytest.raises(Exception):
        client.schedule(timeout=0.5)
    lsock.settimeout(WAIT)
    conn, _ = lsock.accept()      # the dial task connected and waits for our reply
    conn.settimeout(WAIT)
    key = f"{host}:{port}"
    dial = client._dialling[key]
    closed_for_good(client, None)
    dial.value(WAIT)
    # ended by close(), not by the handshake's time-out (which records an error)
    assert key not in client._errors, client._errors
    data = conn.recv(4096)        # the client's HELLO, then the end of the stream
    while data:
        data = conn.recv(4096)
    conn.close()
    lsock.close()


def test_discovery_is_a_task(start_node):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    udp_port = probe.getsockname()[1]
    probe.close()
    node = start_node("-c", "1", "--secret", "fleet", "--host", "127.0.0.1",
                      "--udp-port", str(udp_port))
    before = threads()
    client = Client([jobfuncs.square], secret="fleet", udp_port=udp_port, pulse_interval=0.5)
    client.schedule(timeout=WAIT)
    assert (node.host, node.port) in client.targets
    kernel_thread = new_threads_are_only_the_kernel(client, before)
    assert client.run(jobfuncs.square, 4).result(WAIT) == 16
    closed_for_good(client, kernel_thread)


def test_big_files_travel_both_ways_in_chunks(start_node, tmp_path):
    """Files of several chunks: shipped at attach (the dial task waits for
    the writer between chunks), sent later from a plain thread (send_file),
    and sent back by a job (written in the kernel's pool as chunks arrive)."""
    size = 3 * clientlink.HIGH_WATER // 2          # 6 chunks of 1 MiB
    text = "".join(chr(ord("a") + i % 26) for i in range(size))
    shipped = tmp_path / "big.txt"
    shipped.write_text(text)
    later = tmp_path / "later.txt"
    later.write_text(text[::-1])
    node = start_node("-c", "1")
    dest = tmp_path / "back"
    client = Client([jobfuncs.read_shipped, jobfuncs.make_file, str(shipped)],
                    nodes=[node.addr], pulse_interval=0.5, dest_path=str(dest))
    try:
        client.schedule(timeout=WAIT)
        assert client.run(jobfuncs.read_shipped, "big.txt").result(WAIT) == text
        client.send_file(node.addr, str(later))
        assert client.run(jobfuncs.read_shipped, "later.txt").result(WAIT) == text[::-1]
        assert client.run(jobfuncs.make_file, "made.txt", text).result(WAIT) == size
        assert (dest / "made.txt").read_text() == text
    finally:
        client.close(timeout=WAIT)
