"""HMAC-SHA256 for the net layer, computed without OpenSSL.

Every frame after the handshake carries an HMAC-SHA256, and so do the
handshake proofs and the discovery datagrams. The standard `hmac` and
`hashlib` modules map OpenSSL's libcrypto into the process: several MiB of
resident memory, which the node daemon on a Pi Zero cannot spare, and it
uses this layer's sans-I/O parts (wire, auth, link, discovery). The
interpreter has its own SHA-256 built in (module `_sha2`, called `_sha256`
before Python 3.12); HMAC (RFC 2104) is two such hashes over the key padded
with two constants, so it is computed here on that, with the same digests
as `hmac.new(key, msg, hashlib.sha256)` (a test checks it). Only a Python
built without those modules falls back to hashlib.
"""
from __future__ import annotations

try:
    from _sha2 import sha256 as _sha256          # Python 3.12 and later
except ImportError:
    try:
        from _sha256 import sha256 as _sha256    # Python 3.9 - 3.11
    except ImportError:     # pragma: no cover - a build without built-in hashes
        from hashlib import sha256 as _sha256

try:
    # the constant-time comparison hmac.compare_digest is, without hmac
    from _operator import _compare_digest as compare_digest
except ImportError:     # pragma: no cover
    from hmac import compare_digest

__all__ = ["MAC_SIZE", "hmac_sha256", "compare_digest"]

MAC_SIZE = 32       # bytes of a SHA-256 digest
_BLOCK = 64         # SHA-256 block size: keys are padded to it

# the two RFC 2104 pads as translation tables: key.translate() XORs every
# byte in C, where a Python loop over 64 bytes would cost more than the hash
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


# key -> the two hashes after their padded key block: a link MACs every
# frame under one key, so each frame starts from copies of these
_STATES: dict = {}
_STATES_MAX = 64


def hmac_sha256(key: bytes, *parts) -> bytes:
    """HMAC-SHA256 under `key` of the concatenation of `parts` (bytes-like)."""
    if key.__class__ is not bytes:
        key = bytes(key)
    states = _STATES.get(key)
    if states is None:
        block = _sha256(key).digest() if len(key) > _BLOCK else key
        block = block.ljust(_BLOCK, b"\0")
        states = (_sha256(block.translate(_IPAD)), _sha256(block.translate(_OPAD)))
        if len(_STATES) >= _STATES_MAX:
            _STATES.clear()
        _STATES[key] = states
    inner = states[0].copy()
    for part in parts:
        inner.update(part)
    outer = states[1].copy()
    outer.update(inner.digest())
    return outer.digest()
