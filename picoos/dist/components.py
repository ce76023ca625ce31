"""Turning a client's computation (functions, classes, modules, files) into
something a server can install.

Code travels as source, grouped by the module it came from, so a server
installs it under the same module name (``__main__`` included) and pickled
instances of shipped classes mean the same thing on both sides. Top-level
imports of those modules travel too, so a job may use ``hashlib`` imported
at the top of the client's script. Files travel as data into the session
directory, where jobs find them by their base name.
"""
from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
import types
from typing import Any, Dict, Iterable, List, Tuple

from picoos.dist.errors import ComponentError

Ref = Tuple[str, str]          # (module name, qualified name) of a shipped callable


def ref_of(fn: Any) -> Ref:
    """The (module, qualname) a server looks ``fn`` up by."""
    return (getattr(fn, "__module__", None) or "__main__", fn.__qualname__)


class Computation:
    """The code and files a client ships to every server, ready to send."""

    def __init__(self, components: Iterable[Any] = ()):
        self._sources: Dict[str, List[str]] = {}   # module name -> source blocks
        self._imports: Dict[str, List[str]] = {}
        self._whole: Dict[str, str] = {}          # modules shipped entirely
        self._shipped: set = set()                 # ids of shipped objects
        self.files: List[str] = []
        for comp in components:
            self.add(comp)

    def add(self, comp: Any) -> None:
        """Add one component; raises ComponentError when it cannot be shipped."""
        if isinstance(comp, str):
            if not os.path.isfile(comp):
                raise ComponentError(f"component {comp!r} is a string but not a file; "
                                     f"expected a function, class, module or file path")
            if comp not in self.files:
                self.files.append(comp)
        elif isinstance(comp, types.ModuleType):
            self._add_module(comp)
        elif inspect.isfunction(comp) or inspect.isclass(comp):
            self._add_code(comp)
        else:
            raise ComponentError(f"component {comp!r} of type {type(comp).__name__} cannot be "
                                 f"shipped; expected a function, class, module or file path")

    def ensure(self, fn: Any) -> Ref:
        """Make sure a job function is shipped (or importable); return its ref."""
        if inspect.isbuiltin(fn) or not (inspect.isfunction(fn) or inspect.isclass(fn)):
            if callable(fn) and getattr(fn, "__module__", None) and hasattr(fn, "__qualname__"):
                return ref_of(fn)          # e.g. math.factorial: imported on the server
            raise ComponentError(f"{fn!r} is not a function or class; a job must be one")
        if _installed(fn):
            return ref_of(fn)
        if id(fn) not in self._shipped:
            self._add_code(fn)
        return ref_of(fn)

    def pending(self) -> bool:
        return bool(self._sources or self._whole)

    def _add_module(self, mod: types.ModuleType) -> None:
        if mod.__name__ in self._whole:
            return
        try:
            source = inspect.getsource(mod)
        except (OSError, TypeError):
            raise ComponentError(f"module {mod.__name__!r} has no Python source to ship "
                                 f"(compiled or built in); install it on the nodes instead") from None
        self._whole[mod.__name__] = source

    def _add_code(self, obj: Any) -> None:
        name = getattr(obj, "__name__", repr(obj))
        if name == "<lambda>":
            raise ComponentError("a lambda cannot be shipped (its source is not a statement); "
                                 "define the function with def at module level")
        if "<locals>" in obj.__qualname__:
            raise ComponentError(f"{obj.__qualname__} is defined inside a function; "
                                 f"expected a module-level function or class")
        if _installed(obj):
            self._shipped.add(id(obj))
            return
        try:
            source = textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError):
            raise ComponentError(f"{obj.__qualname__} has no source to ship (defined "
                                 f"interactively or compiled); put it in a file") from None
        modname = obj.__module__ or "__main__"
        self._sources.setdefault(modname, []).append(source)
        if modname not in self._imports:
            self._imports[modname] = _module_imports(sys.modules.get(modname))
        self._shipped.add(id(obj))

    def take(self) -> Dict[str, Any]:
        """The INIT payload for what was added since the last take()."""
        modules = []
        for name, source in self._whole.items():
            modules.append((name, [], source))
        for name, blocks in self._sources.items():
            modules.append((name, self._imports.get(name, []), "\n\n".join(blocks)))
        self._whole, self._sources = {}, {}
        return {"modules": modules}


def _installed(obj: Any) -> bool:
    """True for code importable on a node by its module name (stdlib, picoos,
    site-packages): no need to ship it. The client's own scripts are shipped."""
    modname = getattr(obj, "__module__", None)
    if not modname or modname == "__main__":
        return False
    top = modname.split(".")[0]
    if top in sys.builtin_module_names or top == "picoos":
        return True
    mod = sys.modules.get(top)
    path = getattr(mod, "__file__", None) or ""
    stdlib = os.path.dirname(os.__file__)
    return path.startswith(stdlib) or "site-packages" in path or "dist-packages" in path


def _module_imports(mod: Any) -> List[str]:
    """Top-level import statements of ``mod``'s source, each as its own line."""
    if mod is None:
        return []
    try:
        tree = ast.parse(inspect.getsource(mod))
    except (OSError, TypeError, SyntaxError):
        return []
    lines = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and (node.level or node.module == "__future__"):
                continue
            lines.append(ast.unparse(node) if hasattr(ast, "unparse") else _unparse_import(node))
    return lines


def _unparse_import(node: Any) -> str:
    # ast.unparse arrived in 3.9; this is only a fallback for odd builds
    names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
    if isinstance(node, ast.Import):
        return f"import {names}"
    return f"from {node.module} import {names}"
