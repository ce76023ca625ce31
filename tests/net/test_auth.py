"""The handshake and the link state machine, without sockets."""
import pytest

from picoos.net import errors
from picoos.net.auth import Handshake
from picoos.net.link import (
    EVENT_AUTHENTICATED, EVENT_BAD_MESSAGE, EVENT_BYE, EVENT_INFO, EVENT_MESSAGE, EVENT_PING, Link,
)
from picoos.net.wire import Frame, FrameDecoder, FrameType, encode_frame


def pump(a, b):
    """Shuttle bytes between two links until both are quiet; return events per side."""
    ev_a, ev_b = [], []
    for _ in range(10):
        da, db = a.data_to_send(), b.data_to_send()
        if not da and not db:
            break
        if da:
            ev_b += b.receive_data(da)
        if db:
            ev_a += a.receive_data(db)
    return ev_a, ev_b


def pair(sa="s3cret", sb="s3cret"):
    a, b = Link(sa, initiator=True), Link(sb, initiator=False)
    a.start()
    b.start()
    return a, b


def test_handshake_then_messages_both_ways():
    a, b = pair()
    ev_a, ev_b = pump(a, b)
    assert ev_a == [(EVENT_AUTHENTICATED, None)] and ev_b == [(EVENT_AUTHENTICATED, None)]
    a.send_info({"name": "a", "port": 1})
    a.send_message({"hello": [1, 2]})
    a.send_ping()
    b.send_message(("reply", 3))
    ev_a, ev_b = pump(a, b)
    assert ev_b == [(EVENT_INFO, {"name": "a", "port": 1}), (EVENT_MESSAGE, {"hello": [1, 2]}),
                    (EVENT_PING, None)]
    assert ev_a == [(EVENT_MESSAGE, ("reply", 3))]
    a.send_bye()
    assert pump(a, b)[1] == [(EVENT_BYE, None)]


def test_wrong_secret_refused_on_both_sides():
    a, b = pair("right", "wrong")
    hello = a.data_to_send()
    b.receive_data(hello)
    challenge = b.data_to_send()
    # the initiator sees the responder cannot prove the secret
    with pytest.raises(errors.AuthError, match="wrong secret"):
        a.receive_data(challenge)
    refusal = a.data_to_send()
    # ... and tells it why, so the responder logs a clear reason too
    with pytest.raises(errors.AuthError, match="peer refused the handshake: authentication failed"):
        b.receive_data(refusal)
    assert not a.authenticated and not b.authenticated


def test_responder_refuses_initiator_with_wrong_secret():
    # an initiator that skips the check of the responder's proof still fails
    hs_i = Handshake("wrong", initiator=True)
    b = Link("right", initiator=False)
    b.start()
    b.receive_data(hs_i.start())
    dec = FrameDecoder()
    dec.feed(b.data_to_send())
    ch = dec.next_frame()
    nonce = ch.payload[:32]
    import hashlib, hmac
    forged = hmac.new(b"wrong", b"picoos-auth-v1 client" + hs_i._my_nonce + nonce, hashlib.sha256).digest()
    with pytest.raises(errors.AuthError, match="failed to prove the shared secret"):
        b.receive_data(encode_frame(FrameType.RESPONSE, forged))
    assert b"authentication failed" in b.data_to_send()


def test_data_before_auth_is_refused_unread():
    calls = []
    b = Link("s", initiator=False, loads=lambda d: calls.append(d))
    b.start()
    with pytest.raises(errors.AuthError, match="DATA frame before the handshake"):
        b.receive_data(encode_frame(FrameType.DATA, b"cos\nsystem\n"))
    assert calls == []


def test_out_of_order_handshake_frame():
    b = Link("s", initiator=False)
    b.start()
    with pytest.raises(errors.AuthError, match="got a RESPONSE frame, expected HELLO"):
        b.receive_data(encode_frame(FrameType.RESPONSE, b"x" * 32))
    assert b"protocol violation" in b.data_to_send()


def test_bad_nonce_length_and_reflection():
    b = Link("s", initiator=False)
    b.start()
    with pytest.raises(errors.AuthError, match="expected a 32-byte nonce"):
        b.receive_data(encode_frame(FrameType.HELLO, b"short"))
    # a responder that echoes the initiator's nonce is refused
    fixed = b"n" * 32
    a = Link("s", initiator=True, rand=lambda n: fixed)
    r = Link("s", initiator=False, rand=lambda n: fixed)
    a.start()
    r.start()
    r.receive_data(a.data_to_send())
    with pytest.raises(errors.AuthError, match="echoed our nonce"):
        a.receive_data(r.data_to_send())


def test_send_before_auth_raises():
    a = Link("s", initiator=True)
    with pytest.raises(errors.AuthError, match="before the handshake"):
        a.send_message(1)


def test_bad_info_and_bad_message():
    def boom(data):
        raise ValueError("cannot import thing")
    a, b = Link("s", True), Link("s", False, loads=boom)
    a.start()
    b.start()
    pump(a, b)
    a.send_message(1)
    assert pump(a, b)[1][0][0] == EVENT_BAD_MESSAGE     # the link survives a bad object
    a._seal(FrameType.INFO, b"[1]")
    with pytest.raises(errors.FrameError, match="expected a JSON object"):
        pump(a, b)


def test_session_keys_differ_per_link_and_direction():
    a1, b1 = pair()
    pump(a1, b1)
    a2, b2 = pair()
    pump(a2, b2)
    assert a1._send_key != a2._send_key
    assert a1._send_key == b1._decoder._key and b1._send_key == a1._decoder._key
    assert a1._send_key != b1._send_key
    # a frame recorded on link 1 does not verify on link 2 (no cross-link replay)
    a1.send_message("pay me")
    with pytest.raises(errors.BadMacError):
        b2.receive_data(a1.data_to_send())


def test_handshake_api_misuse():
    hs = Handshake("s", initiator=True)
    with pytest.raises(errors.AuthError, match="not started"):
        hs.receive(Frame(FrameType.HELLO, b""))
    hs.start()
    with pytest.raises(errors.AuthError, match="already started"):
        hs.start()
    with pytest.raises(TypeError, match="secret must be str or bytes"):
        Handshake(123, initiator=True)
