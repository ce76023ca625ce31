"""Lost peers, wrong secrets and hostile clients, with real processes."""
import os
import pickle
import signal
import socket
import struct

import pytest

from picoos.kernel.task import MonitorStatus, Task
from picoos.net import RPS, InsecureConfigError, NetKernel, PeerLostError
from picoos.net.wire import FrameType, encode_frame

from net_helpers import run_net, wait_stopped

BOUND = 10


@pytest.mark.parametrize("how", ["SIGKILL", "SIGSTOP"])
def test_lost_peer_tells_monitors_waiters_and_status(child, how):
    """SIGKILL closes the sockets at once; SIGSTOP leaves them open and
    silent, so only the heartbeat time-out (1 s here) can notice."""
    c = child()

    def main(kernel, task):
        kernel.peer_status(task)
        yield kernel.peer(c.location)
        online = yield task.receive(BOUND)
        slow = yield Task.locate("echo", c.location, timeout=BOUND)
        assert (yield task.monitor(slow)) == 0
        slow_rps = yield RPS.locate("slow", c.location, timeout=BOUND)
        rs = yield slow_rps()
        t0 = kernel.clock.now()
        os.kill(c.proc.pid, getattr(signal, how))
        # a waiter that started before the loss: finish() of a remote task
        value = yield rs.finish(timeout=BOUND)
        msgs = []
        for _ in range(2):
            msgs.append((yield task.receive(BOUND)))
        elapsed = kernel.clock.now() - t0
        after = yield slow.deliver("x", timeout=BOUND)
        return online, value, msgs, elapsed, after, kernel.peers()

    try:
        online, value, msgs, elapsed, after, peers = run_net(main)
    finally:
        if how == "SIGSTOP":
            os.kill(c.proc.pid, signal.SIGKILL)
    assert online.status == 1
    monitor = [m for m in msgs if isinstance(m, MonitorStatus)]
    status = [m for m in msgs if not isinstance(m, MonitorStatus)]
    assert len(monitor) == 1 and monitor[0].type is PeerLostError
    assert str(c.location) in monitor[0].value
    assert status[0].status == 0 and status[0].location == c.location
    assert isinstance(value, MonitorStatus) and value.type is PeerLostError
    assert after == -1 and peers == []
    # peer_timeout is 1 s; allow scheduling slack, never the 10 s bound
    assert elapsed < 5.0


def test_pending_deliver_fails_when_peer_dies(child):
    c = child()

    def main(kernel, task):
        yield kernel.peer(c.location)
        echo = yield Task.locate("echo", c.location, timeout=BOUND)
        os.kill(c.proc.pid, signal.SIGSTOP)
        wait_stopped(c.proc.pid)    # else the child may still answer
        try:
            # no reply can come: the deliver must end with the peer's loss
            return (yield echo.deliver("late", timeout=None))
        finally:
            os.kill(c.proc.pid, signal.SIGKILL)

    assert run_net(main) == -1


def test_wrong_secret_refused_on_both_sides(child, caplog):
    c = child(secret="the-right-one")

    def main(kernel, task):
        return (yield kernel.peer(c.location)), kernel.peers()

    assert run_net(main, secret="a-wrong-one") == (-1, [])
    assert "handshake failed: peer failed to prove the shared secret (wrong secret?)" in caplog.text
    # the child reads our REFUSE asynchronously: wait for its log line
    assert c.wait_log("refused: peer refused the handshake: authentication failed: wrong "
                      "secret"), c.stop()
    assert "is online" not in c.stop()


def _raw(location, data, read=True):
    s = socket.create_connection((location.addr, location.port), timeout=BOUND)
    try:
        s.sendall(data)
        if not read:
            return b""
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return got
            got += chunk
    finally:
        s.close()


def _still_serves(c):
    def main(kernel, task):
        yield kernel.peer(c.location)
        echo = yield Task.locate("echo", c.location, timeout=BOUND)
        echo.send((task, "alive"))
        return (yield task.receive(BOUND))
    return run_net(main) == ("echo", "alive")


def test_malformed_and_oversized_frames_dropped(child):
    c = child()
    # garbage: closed without a reply
    assert _raw(c.location, b"GET / HTTP/1.0\r\n\r\n") == b""
    # a HELLO header claiming 2 GiB: closed on the header, payload never sent
    header = struct.pack(">4sBBBBI", b"PcOS", 1, FrameType.HELLO, 0, 0, 2 ** 31)
    assert _raw(c.location, header) == b""
    # an unknown protocol version
    assert _raw(c.location, struct.pack(">4sBBBBI", b"PcOS", 9, 1, 0, 0, 0)) == b""
    assert _still_serves(c)
    log = c.stop()
    assert "expected magic" in log
    assert "the limit on this link is 1024" in log
    assert "expected version 1" in log


def test_pickle_before_auth_is_never_loaded(child, tmp_path):
    """pycos unpickled requests before checking auth; picoos must not."""
    c = child()
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, ("touch %s" % marker,))

    payload = pickle.dumps(Exploit())
    for frame in (encode_frame(FrameType.DATA, payload),
                  encode_frame(FrameType.HELLO, b"n" * 32) + encode_frame(FrameType.DATA, payload)):
        reply = _raw(c.location, frame)
        assert b"PcOS" in reply or reply == b""
    assert _still_serves(c)
    assert not marker.exists()
    assert "before the handshake finished: refusing it unread" in c.stop()


def test_silent_client_dropped_after_handshake_timeout(child):
    c = child()
    s = socket.create_connection((c.location.addr, c.location.port), timeout=BOUND)
    try:
        # the child's handshake_timeout is its default 10 s; we only check
        # that a silent client does not block other peers meanwhile
        assert _still_serves(c)
    finally:
        s.close()


def test_no_secret_only_on_loopback(caplog):
    with pytest.raises(InsecureConfigError, match="not loopback"):
        NetKernel(host="0.0.0.0", discover_peers=False)
    k = NetKernel(host="0.0.0.0", discover_peers=False, allow_insecure=True)
    k._listener.close()
    assert "INSECURE" in caplog.text and "WITHOUT A SECRET" in caplog.text
    k2 = NetKernel(host="127.0.0.1", discover_peers=False)   # loopback: allowed quietly
    k2._listener.close()
    assert k2.location.addr == "127.0.0.1"


def test_no_secret_refuses_non_loopback_peers(caplog):
    from picoos.kernel.location import Location

    def main(kernel, task):
        return (yield kernel.peer(Location("192.0.2.7", 9)))

    assert run_net(main, secret="") == -1
    assert "no secret is set" in caplog.text


@pytest.mark.parametrize("kw,msg", [
    (dict(pulse_interval=0), "pulse_interval"),
    (dict(pulse_interval=2, peer_timeout=1), "longer than pulse_interval"),
    (dict(tcp_port=70000), "tcp_port"),
    (dict(max_file_size=-1), "max_file_size"),
    (dict(keyfile="k.pem"), "without certfile"),
])
def test_bad_arguments(kw, msg):
    with pytest.raises(ValueError, match=msg):
        NetKernel(host="127.0.0.1", discover_peers=False, **kw)


def test_peer_that_cannot_connect_back_is_dropped(caplog):
    """A listener that completes the handshake but never connects back
    (as a kernel behind NAT would) is declared lost, with the reason."""
    import threading
    from picoos.kernel.location import Location
    from picoos.net.link import Link
    from net_helpers import SECRET

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def one_way_peer():
        conn, _ = srv.accept()
        link = Link(SECRET, initiator=False)
        link.start()
        while True:
            data = conn.recv(65536)
            if not data:
                break
            events = link.receive_data(data)
            if ("authenticated", None) in events:
                link.send_info({"name": "one-way", "location": ["127.0.0.1", port]})
            conn.sendall(link.data_to_send())
        conn.close()

    th = threading.Thread(target=one_way_peer, daemon=True)
    th.start()
    loc = Location("127.0.0.1", port)

    def main(kernel, task):
        kernel.peer_status(task)
        assert (yield kernel.peer(loc)) == 0
        online = yield task.receive(BOUND)
        offline = yield task.receive(BOUND)
        return online.status, offline.status

    try:
        assert run_net(main, connect_timeout=0.5, handshake_timeout=0.5) == (1, 0)
        assert "did not connect back within 1 s" in caplog.text
    finally:
        srv.close()
        th.join(BOUND)
