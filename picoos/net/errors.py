"""Errors of the net layer.

Every error here subclasses picoos's `PicoosError` (so `except PicoosError`
catches anything picoos raises) and the standard type a caller would already
be catching: a malformed frame is a `ValueError`, a failed handshake or a lost
peer is a `ConnectionError`, a time-out is a `TimeoutError`. Messages say what
was wrong and what was expected, because the usual reader is someone looking
at a log line from a board they cannot reach.
"""
from __future__ import annotations

from picoos.kernel.errors import PicoosError

__all__ = [
    "NetError", "FrameError", "BadMagicError", "UnsupportedVersionError",
    "FrameTooLargeError", "TruncatedFrameError", "UnknownFrameTypeError",
    "BadFlagsError", "BadMacError", "AuthError", "DiscoveryError",
    "BadSignatureError", "ReplayError", "InsecureConfigError",
    "PeerLostError", "PathEscapeError", "FileTooLargeError", "NetTimeoutError",
]


class NetError(PicoosError):
    """Base of every error raised by picoos.net."""


# -- frames (wire.py) -------------------------------------------------------

class FrameError(NetError, ValueError):
    """A frame on a link could not be decoded; the link must be closed."""


class BadMagicError(FrameError):
    """The first bytes of a frame are not picoos's magic (not a picoos peer)."""


class UnsupportedVersionError(FrameError):
    """The frame uses a protocol version this picoos does not speak."""


class FrameTooLargeError(FrameError):
    """The frame's declared length is above the link's limit."""


class TruncatedFrameError(FrameError):
    """The stream ended (or a buffer ran out) in the middle of a frame."""


class UnknownFrameTypeError(FrameError):
    """The frame type byte names no frame type of this protocol version."""


class BadFlagsError(FrameError):
    """The frame sets flag bits this protocol version does not define."""


class BadMacError(FrameError):
    """A frame's MAC did not verify: it was altered, replayed or reordered."""


# -- handshake (auth.py) ----------------------------------------------------

class AuthError(NetError, ConnectionError):
    """The peer did not prove knowledge of the shared secret, refused ours,
    or broke the handshake protocol. Nothing from it was deserialized."""


# -- discovery (discovery.py) -----------------------------------------------

class DiscoveryError(NetError, ValueError):
    """A discovery datagram was malformed; it is dropped."""


class BadSignatureError(DiscoveryError):
    """A discovery datagram's HMAC did not verify (wrong secret or forged)."""


class ReplayError(DiscoveryError):
    """A discovery datagram is outside the time window or was seen before."""


# -- configuration, peers and files -----------------------------------------

class InsecureConfigError(NetError, ValueError):
    """A networked kernel was asked to listen beyond loopback with no secret
    and without the explicit `allow_insecure=True` opt-out."""


class PeerLostError(NetError, ConnectionError):
    """The peer stopped answering (no heartbeat within the peer timeout) or
    its link closed; whatever waited on it is told with this type."""


class NetTimeoutError(NetError, TimeoutError):
    """A network request got no reply within its time-out."""


class PathEscapeError(NetError, ValueError):
    """A peer-supplied file path would leave the destination directory."""


class FileTooLargeError(NetError, ValueError):
    """A file is larger than the receiving kernel's `max_file_size`."""
