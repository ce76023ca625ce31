"""Signed UDP discovery of nodes."""
import socket
import time

import pytest

import jobfuncs
from picoos.dist.client import Client
from picoos.dist.discovery import MAGIC, DiscoveryCodec
from picoos.dist.errors import NodeUnavailable


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_codec_accepts_once_and_rejects_forgeries(monkeypatch):
    codec, other = DiscoveryCodec("s"), DiscoveryCodec("not s")
    data = codec.encode("pong", name="pi", port=9706)
    body = DiscoveryCodec("s").decode(data)
    assert body["name"] == "pi" and body["port"] == 9706
    assert other.decode(data) is None                       # wrong secret
    fresh = DiscoveryCodec("s")
    assert fresh.decode(data) is not None and fresh.decode(data) is None   # replay
    tampered = data[:-40] + bytes([data[-40] ^ 1]) + data[-39:]
    assert DiscoveryCodec("s").decode(tampered) is None
    assert DiscoveryCodec("s").decode(b"garbage") is None
    assert DiscoveryCodec("s").decode(MAGIC + b"x" * 2000) is None
    real = time.time
    monkeypatch.setattr("picoos.dist.discovery.time.time", lambda: real() - 1000)
    stale = codec.encode("pong", name="pi", port=1)          # sent by a clock 1000 s behind
    monkeypatch.setattr("picoos.dist.discovery.time.time", real)
    assert DiscoveryCodec("s").decode(stale) is None


def test_client_finds_a_node_by_broadcast(start_node):
    port = free_udp_port()
    node = start_node("-c", "1", "--secret", "fleet", "--host", "127.0.0.1",
                      "--udp-port", str(port))
    client = Client([jobfuncs.square], secret="fleet", udp_port=port, pulse_interval=0.5)
    assert client.discover
    client.schedule(timeout=30)
    assert client.nodes() == [node.addr]
    assert client.run(jobfuncs.square, 7).result(30) == 49
    client.close(timeout=30)


def test_wrong_secret_finds_nothing(start_node):
    port = free_udp_port()
    start_node("-c", "1", "--secret", "fleet", "--host", "127.0.0.1", "--udp-port", str(port))
    client = Client([jobfuncs.square], secret="intruder", udp_port=port, pulse_interval=0.5)
    with pytest.raises(NodeUnavailable):
        client.schedule(timeout=2)
    assert client.targets == []
    client.close(timeout=5)
