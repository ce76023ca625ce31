"""Message payloads: pickle, but only between authenticated peers.

Once a link has passed the handshake (auth.py) both ends have proved they
hold the shared secret, and the messages they exchange are arbitrary Python
objects, as in pycos: pickle is the right tool for that. It is also a
remote-code-execution primitive, which is why nothing in picoos calls
`loads` on bytes from a link that has not finished the handshake
(link.Link enforces this; tests/net/test_fuzz.py counts it). A shared
secret is therefore equivalent to the right to run code on every peer;
docs/protocol.md says so.

Tasks, channels and RPS handles never travel as their state: a `Codec`
made by a networked kernel replaces them by a small reference tuple
(kind, id, name, address, port) through pickle's `persistent_id`, and the
receiving kernel turns the tuple back into its local object or a remote
proxy through `persistent_load`. Each kernel has its own Codec, so several
networked kernels can live in one process (tests do that).
"""
from __future__ import annotations

import io
import pickle
from typing import Any, Callable

__all__ = ["Codec", "dumps", "loads", "PROTOCOL"]

PROTOCOL = min(pickle.HIGHEST_PROTOCOL, 5)


class Codec:
    """Pickle with references: `to_ref(obj)` returns a small tuple for an
    object that must travel as a reference (else None); `from_ref(tuple)`
    gives the object back on the receiving side."""

    __slots__ = ("_to_ref", "_from_ref")

    def __init__(self, to_ref: Callable[[Any], Any], from_ref: Callable[[Any], Any]) -> None:
        self._to_ref = to_ref
        self._from_ref = from_ref

    def dumps(self, obj: Any) -> bytes:
        buf = io.BytesIO()
        p = _Pickler(buf, PROTOCOL)
        # pickle calls this for every object of a message: the function
        # itself, not a method that calls it, saves a Python frame each time
        p.persistent_id = self._to_ref
        p.dump(obj)
        return buf.getvalue()

    def loads(self, data: bytes) -> Any:
        """Only for DATA frames of an authenticated link: this is pickle."""
        u = _Unpickler(io.BytesIO(data))
        u.persistent_load = self._from_ref
        return u.load()


class _Pickler(pickle.Pickler):
    """A pickler whose ``persistent_id`` may be set per instance."""


class _Unpickler(pickle.Unpickler):
    """An unpickler whose ``persistent_load`` may be set per instance."""


def dumps(obj: Any) -> bytes:
    """Serialize a message with no references (tasks are refused)."""
    return pickle.dumps(obj, PROTOCOL)


def loads(data: bytes) -> Any:
    """Deserialize a message from an authenticated link (never call it on
    anything else: this is pickle)."""
    return pickle.loads(data)
