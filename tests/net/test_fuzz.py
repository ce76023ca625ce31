"""Fuzz the decoder, the handshake and the discovery codec.

Thousands of random and mutated inputs go into the same sans-I/O objects the
network tasks use. Allowed outcomes: the documented errors (FrameError,
AuthError, DiscoveryError - all picoos NetErrors) or nothing. Never another
exception, never a hang, and never a call to the deserializer before the
handshake finished: `picoos.net.codec.loads` is patched to count calls.
"""
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picoos.net import codec
from picoos.net.discovery import DiscoveryCodec
from picoos.net.errors import AuthError, DiscoveryError, FrameError
from picoos.net.link import EVENT_AUTHENTICATED, Link
from picoos.net.wire import FrameType, encode_frame

COUNTS = {"inputs": 0, "rejected": 0, "loads_before_auth": 0, "loads_after_auth": 0,
          "authenticated": 0}


@pytest.fixture(autouse=True)
def counting_loads(monkeypatch):
    def counted(data):
        COUNTS["loads_after_auth" if counted.authed else "loads_before_auth"] += 1
        return None
    counted.authed = False
    monkeypatch.setattr(codec, "loads", counted)
    return counted


def _valid_transcript():
    """A real initiator's bytes, frame by frame, for mutation."""
    a, b = Link("s", True), Link("s", False)
    a.start()
    b.start()
    hello = a.data_to_send()
    b.receive_data(hello)
    a.receive_data(b.data_to_send())
    response = a.data_to_send()
    return [hello, response, encode_frame(FrameType.DATA, b"\x80\x04K\x01.")]


def _feed(link, chunks):
    COUNTS["inputs"] += 1
    try:
        for c in chunks:
            for kind, _ in link.receive_data(c):
                if kind == EVENT_AUTHENTICATED:
                    COUNTS["authenticated"] += 1
    except (FrameError, AuthError):
        COUNTS["rejected"] += 1


frame_types = st.sampled_from(sorted(FrameType.ALL) + [0, 6, 99, 255])


@st.composite
def frames(draw):
    """Structurally plausible frames with random fields: reach deep states."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            payload = draw(st.binary(max_size=80))
            out.append(encode_frame(draw(st.sampled_from(sorted(FrameType.ALL))), payload))
        else:
            out.append(draw(st.binary(max_size=64)))
    return out


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.binary(max_size=200), max_size=5))
def test_random_bytes_into_responder(chunks):
    _feed(_start(Link("s", False)), chunks)


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(frames())
def test_random_frames_into_both_roles(chunks):
    _feed(_start(Link("s", False)), chunks)
    _feed(_start(Link("s", True)), chunks)


def _start(link):
    link.start()
    link.data_to_send()
    return link


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_mutated_transcripts(data):
    """Flip, cut and splice bytes of a genuine handshake + DATA frame."""
    chunks = list(_valid_transcript())
    blob = bytearray(b"".join(chunks))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        i = data.draw(st.integers(0, max(0, len(blob) - 1)))
        if op == "flip" and blob:
            blob[i] ^= data.draw(st.integers(1, 255))
        elif op == "cut":
            del blob[i:i + data.draw(st.integers(1, 16))]
        else:
            blob[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    # the responder never saw the genuine HELLO: a mutated RESPONSE can't pass
    _feed(_start(Link("s", False)), [bytes(blob)])


def _authenticated_responder():
    a, b = Link("s", True), Link("s", False)
    a.start()
    b.start()
    b.receive_data(a.data_to_send())
    a.receive_data(b.data_to_send())
    b.receive_data(a.data_to_send())
    assert b.authenticated
    b.data_to_send()
    return b


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(frames())
def test_random_frames_after_auth(counting_loads, chunks):
    """After the handshake, frames without a valid MAC never reach loads."""
    counting_loads.authed = True
    link = _authenticated_responder()
    COUNTS["inputs"] += 1
    try:
        for c in chunks:
            link.receive_data(c)
    except (FrameError, AuthError):
        COUNTS["rejected"] += 1


def test_random_discovery_datagrams():
    rng = random.Random(1234)
    c = DiscoveryCodec("s")
    good = c.encode("ping", "n", 9, 1000.0)
    dropped = 0
    for i in range(5000):
        if i % 2:
            d = bytearray(good)
            d[rng.randrange(len(d))] ^= rng.randrange(1, 256)
            d = bytes(d)
        else:
            d = os.urandom(rng.randrange(0, 1300))
        try:
            c.decode(d, 1000.0)
        except DiscoveryError:
            dropped += 1
    assert dropped == 5000     # a single flipped bit always breaks the signature
    print("\ndiscovery fuzz: 5000 datagrams, %d dropped, 0 accepted" % dropped)


def test_zz_report_counts():
    """Runs last in this module: the counts of everything above."""
    print("\nlink fuzz: %(inputs)d inputs, %(rejected)d rejected with FrameError/AuthError, "
          "%(authenticated)d authenticated, deserializations before auth: %(loads_before_auth)d, "
          "forged frames deserialized after auth: %(loads_after_auth)d" % COUNTS)
    assert COUNTS["inputs"] >= 3500
    assert COUNTS["loads_before_auth"] == 0
    assert COUNTS["loads_after_auth"] == 0      # no forged frame passes the per-frame MAC
    assert COUNTS["authenticated"] == 0
