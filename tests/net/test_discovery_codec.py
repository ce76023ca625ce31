"""Discovery datagrams: signed JSON, windows and replays."""
import json

import pytest

from picoos.net import errors
from picoos.net.discovery import DISCOVERY_MAGIC, MAX_DATAGRAM, DiscoveryCodec

NOW = 1_700_000_000.0


def test_round_trip():
    c = DiscoveryCodec("s")
    d = c.encode("ping", "node-1", 9706, NOW, addrs=["10.0.0.2"], relay=True)
    assert d.startswith(DISCOVERY_MAGIC) and b"cos\n" not in d
    a = DiscoveryCodec("s").decode(d, NOW + 1)
    assert (a.kind, a.name, a.port, a.addrs, a.relay) == ("ping", "node-1", 9706, ["10.0.0.2"], True)


def test_wrong_secret_and_tampering():
    d = DiscoveryCodec("s").encode("ping", "n", 1, NOW)
    with pytest.raises(errors.BadSignatureError, match="another secret"):
        DiscoveryCodec("other").decode(d, NOW)
    tampered = d.replace(b'"port":1', b'"port":2')
    with pytest.raises(errors.BadSignatureError):
        DiscoveryCodec("s").decode(tampered, NOW)


def test_replay_and_window():
    c = DiscoveryCodec("s", window=60)
    d = c.encode("ping", "n", 1, NOW)
    c.decode(d, NOW)
    with pytest.raises(errors.ReplayError, match="already seen"):
        c.decode(d, NOW + 1)
    with pytest.raises(errors.ReplayError, match="window is 60 s"):
        DiscoveryCodec("s", window=60).decode(d, NOW + 61)
    with pytest.raises(errors.ReplayError):
        DiscoveryCodec("s", window=60).decode(d, NOW - 61)


def test_nonce_memory_is_bounded():
    c = DiscoveryCodec("s", window=1000, max_nonces=10)
    for i in range(50):
        c.decode(c.encode("ping", "n", 1, NOW + i), NOW + i)
    assert len(c._seen) <= 10


@pytest.mark.parametrize("data,msg", [
    (b"", "too short"),
    (b"XXXX" + b"\x01" + b"{}" + b"0" * 32, "does not start with"),
    (DISCOVERY_MAGIC + b"\x09{}" + b"0" * 32, "version 9"),
    (b"P" * (MAX_DATAGRAM + 1), "limit is"),
])
def test_malformed(data, msg):
    with pytest.raises(errors.DiscoveryError, match=msg):
        DiscoveryCodec("s").decode(data, NOW)


def test_signed_but_bad_body():
    # a peer with the secret but a broken body still gets a clear error
    import hashlib, hmac
    c = DiscoveryCodec("s")
    for body, msg in [(b"\xff", "not UTF-8 JSON"), (b"[1]", "expected an object"),
                      (json.dumps({"kind": "ping", "port": "x"}).encode(), "expected kind")]:
        signed = DISCOVERY_MAGIC + b"\x01" + body
        with pytest.raises(errors.DiscoveryError, match=msg):
            c.decode(signed + hmac.new(c._key, signed, hashlib.sha256).digest(), NOW)


def test_encode_errors():
    c = DiscoveryCodec("s")
    with pytest.raises(ValueError, match="kind must be"):
        c.encode("hello", "n", 1, NOW)
    with pytest.raises(ValueError, match="port must be"):
        c.encode("ping", "n", 0, NOW)
    with pytest.raises(ValueError, match="limit is"):
        c.encode("ping", "n" * 2000, 1, NOW)
    with pytest.raises(ValueError, match="window"):
        DiscoveryCodec("s", window=0)
