"""picoos.net: networked kernels, remote tasks and channels, RPS.

Re-exports only; see node.py (the networked kernel), locate.py, links.py,
service.py, refs.py, rps.py, and docs/protocol.md for the wire protocol and security.

The names load on first use (PEP 562), so that a process that needs only
the sans-I/O parts (the node daemon uses picoos.net.wire, auth, link,
discovery and files) does not pay for the networked kernel.
"""
from __future__ import annotations

from typing import Any

_EXPORTS = {
    "Pycos": "picoos.net.node",
    "NetKernel": "picoos.net.node",
    "PeerStatus": "picoos.net.node",
    "DEFAULT_UDP_PORT": "picoos.net.node",
    "DEFAULT_TCP_PORT": "picoos.net.node",
    "MsgTimeout": "picoos.net.node",
    "RemoteTask": "picoos.net.refs",
    "RemoteChannel": "picoos.net.refs",
    "RPS": "picoos.net.rps",
    "RPSError": "picoos.net.rps",
    "Location": "picoos.kernel.location",
}

__all__ = ["Pycos", "NetKernel", "PeerStatus", "RPS", "RPSError", "Location", "RemoteTask",
           "RemoteChannel", "DEFAULT_UDP_PORT", "DEFAULT_TCP_PORT", "MsgTimeout"]


def __getattr__(name: str) -> Any:
    import importlib
    module = _EXPORTS.get(name)
    if module is None:
        # the error classes (picoos.net.errors.__all__) are re-exported too;
        # import_module, since "from picoos.net import errors" would call
        # this function again while the submodule is not loaded
        errors = importlib.import_module("picoos.net.errors")
        if name in errors.__all__:
            value = getattr(errors, name)
            globals()[name] = value
            return value
        raise AttributeError("module 'picoos.net' has no attribute %r" % (name,))
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    import importlib
    errors = importlib.import_module("picoos.net.errors")
    return sorted(set(globals()) | set(_EXPORTS) | set(errors.__all__))
