"""HMAC-SHA256 without loading OpenSSL, for the node daemon's memory budget.

``import hmac`` (or ``hashlib``) maps OpenSSL's libcrypto into the process:
about 3.7 MiB of a node daemon's 15 MiB idle budget, for a few hashes a
second. The interpreter's built-in SHA-256 (``_sha256``, ``_sha2`` from
3.12) gives the same digests, so the dist layer computes HMAC (RFC 2104)
on it and keeps a key's padded inner and outer states for reuse. Where the
built-in module is missing, hashlib is used.
"""
from __future__ import annotations

try:
    from _sha2 import sha256 as _sha256  # Python 3.12+
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # Python 3.9 - 3.11
    except ImportError:  # pragma: no cover - a build without the built-in hashes
        from hashlib import sha256 as _sha256

try:
    from _operator import _compare_digest as compare_digest  # what hmac.compare_digest is
except ImportError:  # pragma: no cover
    from hmac import compare_digest  # noqa: F401 (re-exported)

BLOCK = 64
SIZE = 32


class HmacKey:
    """A key ready for HMAC-SHA256: ``HmacKey(key).mac(b"a", b"b")``."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes):
        if len(key) > BLOCK:
            key = _sha256(key).digest()
        key = key.ljust(BLOCK, b"\x00")
        self._inner = _sha256(bytes(b ^ 0x36 for b in key))
        self._outer = _sha256(bytes(b ^ 0x5C for b in key))

    def mac(self, *parts: bytes) -> bytes:
        """HMAC-SHA256 of the concatenated ``parts``."""
        inner = self._inner.copy()
        for part in parts:
            inner.update(part)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def hmac_sha256(key: bytes, *parts: bytes) -> bytes:
    """One-off HMAC-SHA256 of the concatenated ``parts`` under ``key``."""
    return HmacKey(key).mac(*parts)
