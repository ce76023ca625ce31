"""The dist link: HMAC handshake, per-frame MACs, limits; the lean HMAC."""
import hashlib
import hmac
import os
import socket
import threading

import pytest

from picoos.dist import wire
from picoos.dist.digest import HmacKey, hmac_sha256
from picoos.dist.errors import AuthError, ProtocolError
from picoos.dist.paths import UnsafePath, safe_join


@pytest.mark.parametrize("key", [b"", b"k", b"x" * 64, b"y" * 200])
def test_lean_hmac_matches_the_stdlib(key):
    for msg in (b"", b"abc", os.urandom(1000)):
        assert hmac_sha256(key, msg[:3], msg[3:]) == hmac.new(key, msg, hashlib.sha256).digest()
        assert HmacKey(key).mac(msg) == hmac.new(key, msg, hashlib.sha256).digest()


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


def test_wrong_secret_fails_on_both_sides():
    links = pair("right", "wrong")
    assert isinstance(links["server_error"], AuthError)
    assert isinstance(links["client_error"], AuthError)
    assert "secret" in str(links["client_error"])


def test_forged_frame_is_refused_before_unpickling():
    links = pair("s", "s")
    # a frame with a valid header but a MAC made without the session key
    payload = b"cos\nsystem\n(S'echo pwned'\ntR."
    links["client"].sock.sendall(wire._HEADER.pack(wire.VERSION, len(payload)) +
                                 b"\x00" * wire.MAC + payload)
    with pytest.raises(AuthError, match="HMAC"):
        links["server"].recv(timeout=10)
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
    with pytest.raises(AuthError):
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


def test_oversized_and_bad_version_frames():
    links = pair("s", "s")
    links["client"].sock.sendall(wire._HEADER.pack(wire.VERSION, wire.MAX_FRAME + 1))
    with pytest.raises(ProtocolError, match="exceeds"):
        links["server"].recv(timeout=10)
    links = pair("s", "s")
    links["client"].sock.sendall(wire._HEADER.pack(99, 1))
    with pytest.raises(ProtocolError, match="version 99"):
        links["server"].recv(timeout=10)


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
    with pytest.raises(ProtocolError, match="not a picoos"):
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
