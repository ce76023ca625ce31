"""Interface addresses, with and without netifaces."""
import socket

import pytest

from picoos.net import addrs


@pytest.mark.parametrize("addr,mask,reported,want", [
    ("10.97.5.1", "255.255.255.0", None, "10.97.5.255"),
    ("10.97.5.1", "255.255.255.0", "10.97.5.1", "10.97.5.255"),   # `ip addr add` without brd
    ("10.97.5.1", "255.255.255.0", "10.97.5.127", "10.97.5.127"),  # the reported one wins
    ("10.0.0.1", "255.255.255.254", None, None),                   # /31: no broadcast
    ("127.0.0.1", "255.0.0.0", None, None),
    ("10.0.0.1", None, None, None),
])
def test_broadcast(addr, mask, reported, want):
    assert addrs._broadcast(addr, mask, reported) == want


def test_stdlib_fallback_finds_loopback(monkeypatch):
    monkeypatch.setattr(addrs, "_from_netifaces", lambda: None)
    found = addrs.interface_addrs()
    v4 = [a.addr for a in found if a.family == socket.AF_INET]
    assert "127.0.0.1" in v4
    assert all(a.broadcast is None for a in found if a.addr == "127.0.0.1")


def test_loopback_and_wildcard():
    assert addrs.is_loopback("127.0.0.1") and addrs.is_loopback("::1")
    assert not addrs.is_loopback("10.0.0.1") and not addrs.is_loopback("not an address")
    assert addrs.is_wildcard("0.0.0.0") and addrs.is_wildcard("::") and addrs.is_wildcard("")
