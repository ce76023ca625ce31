"""Message payloads: pickle, but only between authenticated peers.

Once a link has passed the handshake (auth.py) both ends have proved they
hold the shared secret, and the messages they exchange are arbitrary Python
objects, as in pycos: pickle is the right tool for that. It is also a
remote-code-execution primitive, which is why nothing in picoos calls
`loads` on bytes from a link that has not finished the handshake
(link.Link enforces this, tests/net/test_fuzz.py counts it). A shared
secret is therefore equivalent to the right to run code on every peer;
docs/protocol.md says so.

Tasks, channels, RPS handles and locations never travel as their full
state: the pickler replaces them by a small reference (kind, name, id,
location) through `persistent_id`, and the receiving kernel turns the
reference back into its local object or a remote proxy through
`persistent_load`. The resolver that does both is installed by the
networked kernel (`set_resolver`); without one, references are not
allowed and pickling a Task raises.
"""
from __future__ import annotations

import io
import pickle
from typing import Any, Callable, Optional

__all__ = ["dumps", "loads", "set_resolver", "PROTOCOL"]

PROTOCOL = pickle.HIGHEST_PROTOCOL if pickle.HIGHEST_PROTOCOL < 5 else 5

# to_ref(obj) -> a small tuple, or None for "pickle it normally";
# from_ref(tuple) -> the object. Set by the networked kernel.
_to_ref: Optional[Callable[[Any], Any]] = None
_from_ref: Optional[Callable[[Any], Any]] = None


def set_resolver(to_ref: Optional[Callable[[Any], Any]],
                 from_ref: Optional[Callable[[Any], Any]]) -> None:
    """Install how references are made and resolved (None removes them)."""
    global _to_ref, _from_ref
    _to_ref, _from_ref = to_ref, from_ref


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return _to_ref(obj) if _to_ref is not None else None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        if _from_ref is None:
            raise pickle.UnpicklingError("message holds a reference %r but no networked "
                                         "kernel is running to resolve it" % (pid,))
        return _from_ref(pid)


def dumps(obj: Any) -> bytes:
    """Serialize a message for an authenticated link."""
    if _to_ref is None:
        return pickle.dumps(obj, PROTOCOL)
    buf = io.BytesIO()
    _Pickler(buf, PROTOCOL).dump(obj)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    """Deserialize a message from an authenticated link (never call it on
    anything else: this is pickle)."""
    return _Unpickler(io.BytesIO(data)).load()
