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

    __slots__ = ("_pickler", "_unpickler")

    def __init__(self, to_ref: Callable[[Any], Any], from_ref: Callable[[Any], Any]) -> None:
        class _Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                return to_ref(obj)

        class _Unpickler(pickle.Unpickler):
            def persistent_load(self, pid):
                return from_ref(pid)

        self._pickler = _Pickler
        self._unpickler = _Unpickler

    def dumps(self, obj: Any) -> bytes:
        buf = io.BytesIO()
        self._pickler(buf, PROTOCOL).dump(obj)
        return buf.getvalue()

    def loads(self, data: bytes) -> Any:
        """Only for DATA frames of an authenticated link: this is pickle."""
        return self._unpickler(io.BytesIO(data)).load()


def dumps(obj: Any) -> bytes:
    """Serialize a message with no references (tasks are refused)."""
    return pickle.dumps(obj, PROTOCOL)


def loads(data: bytes) -> Any:
    """Deserialize a message from an authenticated link (never call it on
    anything else: this is pickle)."""
    return pickle.loads(data)
