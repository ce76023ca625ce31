"""picoos.dist: farm jobs from a desktop client to a fleet of picoos nodes.

Only re-exports, loaded on first use (PEP 562) so that ``picoos-node --help``
and ``import picoos.dist.node`` stay cheap on a small board.
"""
from __future__ import annotations

_EXPORTS = {
    "Client": "picoos.dist.client",
    "Job": "picoos.dist.client",
    "DispycosStatus": "picoos.dist.status",
    "Scheduler": "picoos.dist.status",
    "DispycosNodeAllocate": "picoos.dist.allocate",
    "DispycosNodeInfo": "picoos.dist.allocate",
    "DispycosNodeAvailInfo": "picoos.dist.allocate",
    "NodeConfig": "picoos.dist.config",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'picoos.dist' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
