"""The global names node_setup binds, handed to every server of the node.

``node_setup`` runs once per node (on its first server), typically to read
data into memory for the jobs: ``global data; data = open(f).read()``.
Every server of the node must then see those names, yet each server is a
process of its own and node_setup may not be repeatable (it may delete its
input file). So the server that ran it saves what it bound into the
session directory, and each other server of the node (and any server that
replaces one later) loads that file before it takes jobs.

What is saved: for each shipped module, the names node_setup added or
rebound. A module object is saved as its name and imported again; a value
that cannot be pickled (an open file, a lock) is skipped and named in the
log, since it cannot exist in another process anyway. Each server holds its
own copy of the data; dispycos's forked servers share one copy until
written.
"""
from __future__ import annotations

import io
import logging
import os
import pickle
import types
from typing import Any, Dict, List

log = logging.getLogger("picoos.dist")

STATE_FILE = ".picoos-node-setup.pickle"


def snapshot(modules: Dict[str, types.ModuleType]) -> Dict[str, Dict[str, Any]]:
    """The shipped modules' namespaces (shallow copies), before node_setup."""
    return {name: dict(mod.__dict__) for name, mod in modules.items()}


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, types.ModuleType):
            return ("module", obj.__name__)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: Any, modules: Dict[str, types.ModuleType]):
        super().__init__(f)
        self._modules = modules

    def persistent_load(self, pid: Any) -> Any:
        kind, name = pid
        if kind != "module":
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        if name in self._modules:
            return self._modules[name]
        import importlib
        return importlib.import_module(name)


def _dumps(value: Any) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buf.getvalue()


def save(modules: Dict[str, types.ModuleType], before: Dict[str, Dict[str, Any]],
         directory: str) -> List[str]:
    """Save the names bound since ``before`` into ``directory``; returns the
    names skipped because their values cannot be pickled."""
    changed: Dict[str, Dict[str, bytes]] = {}
    skipped = []
    for modname, mod in modules.items():
        old = before.get(modname, {})
        for name, value in list(mod.__dict__.items()):
            if name in old and old[name] is value:
                continue
            try:
                changed.setdefault(modname, {})[name] = _dumps(value)
            except Exception as exc:     # anything pickle refuses: a file, a lock, ...
                skipped.append(f"{modname}.{name}")
                log.warning("node_setup bound %s.%s, which cannot reach the node's other "
                            "servers: %s", modname, name, exc)
    path = os.path.join(directory, STATE_FILE)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(changed, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return skipped


def load(modules: Dict[str, types.ModuleType], directory: str) -> int:
    """Bind the saved names in this server's shipped modules; how many.

    Raises FileNotFoundError when node_setup has not saved any here.
    """
    with open(os.path.join(directory, STATE_FILE), "rb") as f:
        changed = pickle.load(f)
    count = 0
    for modname, names in changed.items():
        mod = modules.get(modname)
        if mod is None:
            continue
        for name, blob in names.items():
            mod.__dict__[name] = _Unpickler(io.BytesIO(blob), modules).load()
            count += 1
    return count
