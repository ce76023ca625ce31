"""The dist control link (picoos.net's link over a blocking socket), and safe paths."""
import os
import socket
import threading

import pytest

from picoos.dist import wire
from picoos.dist.errors import AuthError, ProtocolError
from picoos.dist.paths import UnsafePath, safe_join
from picoos.net.wire import FrameType, encode_frame


def pair(server_secret, client_secret):
    """An accepted and a connected link over loopback (or the errors)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    out = {}

    def accept():
        conn, addr = lsock.accept()
        try:
            out["server"] = wire.accept_link(conn, server_secret, addr)
        except Exception as exc:
            out["server_error"] = exc
            conn.close()
    t = threading.Thread(target=accept)
    t.start()
    try:
        out["client"] = wire.connect_link(lsock.getsockname(), client_secret)
    except Exception as exc:
        out["client_error"] = exc
    t.join(30)
    lsock.close()
    return out


def test_round_trip_both_ways():
    links = pair("s", "s")
    links["client"].send(("hello", [1, 2, 3]))
    assert links["server"].recv(timeout=10) == ("hello", [1, 2, 3])
    links["server"].send({"x": b"\x00" * 100000})
    assert links["client"].recv(timeout=10) == {"x": b"\x00" * 100000}
    links["client"].close()
    with pytest.raises((EOFError, OSError)):
        links["server"].recv(timeout=10)
    links["server"].close()


def test_send_nowait_skips_while_another_thread_sends():
    links = pair("s", "s")
    client = links["client"]
    with client._wlock:         # another thread is in the middle of a send
        assert client.send_nowait(("beat", 1)) is False
    assert client.send_nowait(("beat", 2)) is True
    client.send(("after", 3))
    # the skipped message never went out; the frames that did are in order
    assert links["server"].recv(timeout=10) == ("beat", 2)
    assert links["server"].recv(timeout=10) == ("after", 3)
    client.close()
    links["server"].close()


def test_wrong_secret_fails_on_both_sides():
    links = pair("right", "wrong")
    assert isinstance(links["server_error"], AuthError)
    assert isinstance(links["client_error"], AuthError)
    assert "secret" in str(links["client_error"])


def test_forged_frame_is_refused_before_unpickling(monkeypatch):
    links = pair("s", "s")
    unpickled = []
    links["server"]._proto._loads = lambda data: unpickled.append(data)
    # a well-formed DATA frame whose MAC was made without the session key
    payload = b"cos\nsystem\n(S'echo pwned'\ntR."
    links["client"].sock.sendall(encode_frame(FrameType.DATA, payload, mac_key=os.urandom(32),
                                              seq=0))
    with pytest.raises((AuthError, ProtocolError), match="MAC|mac"):
        links["server"].recv(timeout=10)
    assert unpickled == []
    links["client"].close()
    links["server"].close()


def test_replayed_frame_is_refused():
    links = pair("s", "s")
    captured = []
    real = links["client"].sock.sendall
    links["client"].sock = _Tap(links["client"].sock, captured)
    links["client"].send("once")
    assert links["server"].recv(timeout=10) == "once"
    real(captured[0])                     # the same bytes again
    with pytest.raises((AuthError, ProtocolError)):
        links["server"].recv(timeout=10)
    links["server"].close()


class _Tap:
    def __init__(self, sock, captured):
        self._sock, self._captured = sock, captured

    def sendall(self, data):
        self._captured.append(data)
        return self._sock.sendall(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


def test_oversized_and_garbage_frames():
    links = pair("s", "s")
    key = links["client"]._proto._send_key
    big = encode_frame(FrameType.DATA, b"x" * (wire.MAX_FRAME + 1), mac_key=key, seq=0,
                       max_len=2 * wire.MAX_FRAME)
    links["client"].sock.sendall(big[:4096])
    with pytest.raises(ProtocolError):
        links["server"].recv(timeout=10)
    links = pair("s", "s")
    links["client"].sock.sendall(b"GET / HTTP/1.1\r\n\r\n" + b"x" * 64)
    with pytest.raises(ProtocolError, match="bad frame"):
        links["server"].recv(timeout=10)
    with pytest.raises(ProtocolError, match="larger than the frame limit"):
        links["client"].send(b"y" * (wire.MAX_FRAME + 1))


def test_not_a_picoos_peer():
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)

    def greet():
        conn, _ = lsock.accept()
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" + b"x" * 40)
        conn.close()
    t = threading.Thread(target=greet)
    t.start()
    with pytest.raises((ProtocolError, AuthError), match="picoos"):
        wire.connect_link(lsock.getsockname(), "s")
    t.join(10)
    lsock.close()


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../x", "", "a\x00b", ".", "a/.."])
def test_unsafe_names_are_refused(tmp_path, name):
    with pytest.raises(UnsafePath):
        safe_join(str(tmp_path), name)


def test_symlink_out_is_refused(tmp_path):
    (tmp_path / "out").symlink_to("/etc")
    with pytest.raises(UnsafePath):
        safe_join(str(tmp_path), "out/passwd")
    assert safe_join(str(tmp_path), "sub/f.txt") == str(tmp_path / "sub" / "f.txt")
