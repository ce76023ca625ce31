"""Imports point down: kernel <- drivers <- net <- dist (DESIGN.md).

A kernel module importing a driver, or a driver importing the net layer,
would drag heavy modules into `import picoos` on a small board and tangle
the layers; this test reads every module's imports (without importing it)
and fails naming the offending line.
"""
import ast
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "picoos"
RANK = {"kernel": 0, "drivers": 1, "net": 2, "dist": 3}


def _layer(module: str):
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "picoos" and parts[1] in RANK:
        return parts[1]
    return None


def _imports(path: pathlib.Path, package: str):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            yield node.lineno, mod
            for a in node.names:
                yield node.lineno, mod + "." + a.name


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            package = ".".join(parts[:-1])
        else:
            package = ".".join(parts[:-1])
        module = ".".join(parts if parts[-1] != "__init__" else parts[:-1])
        yield path, module, package


@pytest.mark.parametrize("path,module,package", list(_modules()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_imports_point_down(path, module, package):
    layer = _layer(module)
    if layer is None:
        return      # top-level compatibility modules may use any layer
    bad = []
    for lineno, imported in _imports(path, package):
        other = _layer(imported)
        if other is not None and RANK[other] > RANK[layer]:
            bad.append("%s:%d imports %s" % (path.name, lineno, imported))
    assert not bad, "layer %r must not import from higher layers: %s" % (layer, "; ".join(bad))


def test_layering_sees_every_layer():
    seen = {_layer(m) for _, m, _ in _modules()}
    assert {"kernel", "drivers", "net", "dist"} <= seen


# names that programs and the layers above import from a kernel module, and
# the module that defines each since a split: the old path must keep working
# and give the same object (a copy would make isinstance checks fail)
_MOVED = [
    ("picoos.kernel.scheduler", "Kernel", "picoos.kernel.loop"),
    ("picoos.kernel.scheduler", "current_task_or_error", "picoos.kernel.loop"),
    ("picoos.kernel.task", "DONE", "picoos.kernel.taskstate"),
    ("picoos.kernel.task", "READY", "picoos.kernel.taskstate"),
    ("picoos.kernel.task", "WAITING", "picoos.kernel.taskstate"),
    ("picoos.kernel.task", "MESSAGE", "picoos.kernel.taskstate"),
    ("picoos.kernel.task", "_Rare", "picoos.kernel.taskstate"),
    ("picoos.kernel.task", "at_swap_point", "picoos.kernel.taskstate"),
    ("picoos.kernel.task", "make_generator", "picoos.kernel.taskfn"),
]


@pytest.mark.parametrize("old,name,home", _MOVED)
def test_moved_names_stay_importable(old, name, home):
    import importlib
    assert getattr(importlib.import_module(old), name) is \
        getattr(importlib.import_module(home), name)


def test_public_kernel_names_keep_their_modules():
    # MonitorStatus and HotSwapException travel pickled between kernels,
    # which find their class by module name
    import picoos
    from picoos.kernel import scheduler, task
    assert picoos.Task is task.Task and picoos.MonitorStatus is task.MonitorStatus
    assert task.MonitorStatus.__module__ == "picoos.kernel.task"
    assert task.HotSwapException.__module__ == "picoos.kernel.task"
    # importing picoos.netpycos makes picoos.Pycos name the networked kernel
    assert picoos.Pycos is scheduler.Pycos or (
        "picoos.netpycos" in sys.modules and picoos.Pycos is sys.modules["picoos.netpycos"].Pycos)
    assert picoos.run is scheduler.run
    assert picoos.Kernel is scheduler.Kernel
