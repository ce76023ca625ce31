"""Signed UDP discovery of nodes."""
import socket
import time

import pytest

import jobfuncs
from picoos.dist.client import Client
from picoos.dist.discovery import DiscoveryCodec, _decode
from picoos.dist.errors import NodeUnavailable


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_node_and_client_speak_the_net_layers_signed_datagrams():
    # the codec is picoos.net's (its own tests cover forgeries, replays and
    # clock skew); here: the node's pong is what the client reads
    codec = DiscoveryCodec("s")
    data = codec.encode("pong", "pi", 9706, time.time(), addrs=["10.0.0.7"])
    ann = _decode(DiscoveryCodec("s"), data)
    assert (ann.kind, ann.name, ann.port, ann.addrs) == ("pong", "pi", 9706, ["10.0.0.7"])
    assert _decode(DiscoveryCodec("not s"), data) is None           # wrong secret
    fresh = DiscoveryCodec("s")
    assert _decode(fresh, data) is not None and _decode(fresh, data) is None   # replay
    assert _decode(DiscoveryCodec("s"), b"garbage") is None
    stale = codec.encode("pong", "pi", 1, time.time() - 1000)       # a clock 1000 s behind
    assert _decode(DiscoveryCodec("s"), stale) is None


def test_client_finds_a_node_by_broadcast(start_node):
    port = free_udp_port()
    node = start_node("-c", "1", "--secret", "fleet", "--host", "127.0.0.1",
                      "--udp-port", str(port))
    client = Client([jobfuncs.square], secret="fleet", udp_port=port, pulse_interval=0.5)
    assert client.discover
    client.schedule(timeout=30)
    assert client.nodes() == [node.host]
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
