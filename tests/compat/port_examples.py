"""Regenerate tests/compat/examples/ and tests/dist/examples/ from pycos's
own example programs.

The compat tests run pycos's example programs on picoos with nothing but
their imports renamed; this script makes those copies, so the rename is
mechanical and can be checked: every line of a copy after its header is the
original line, except lines that import pycos. Run it with the interpreter
whose site-packages hold pycos 4.12.2:

    .venv/bin/python tests/compat/port_examples.py

The copies are test fixtures (the one place pycos's text may appear in
this repository) and each one says where it came from in its header.
"""
from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "examples")
DIST_OUT = os.path.join(os.path.dirname(HERE), "dist", "examples")

#: the examples the compat tests run (plus the helper files they load)
EXAMPLES = [
    "remote_task_server.py", "remote_task_client.py",
    "remote_channel_server.py", "remote_channel_client.py",
    "rps_node_server.py", "rps_node_client.py", "node_update_script.py",
    "rps_pico_service.py", "rps_pico_client.py",
    "pico_service_task.py", "pico_client_task.py",
    "rps_monitor_server.py", "rps_monitor_client.py",
    "rps_log_watch_server.py", "rps_log_watch_client.py",
    "chat_chan_server.py", "chat_chan_client.py",
    "udp.py", "sock_server.py", "sock_client.py", "client_server.py", "tasks.py",
    "channel.py", "hotswap.py", "hotswap_funcs.py", "socket_afile.py", "pipe_csum.py",
    "pipe_grep.py", "webserver.py",
    "chat_server.py", "chat_server2.py", "chat_client.py",
    "chat_sock_server.py", "chat_sock_client.py",
]

HEADER = ("# ported from pycos's examples, imports renamed: a copy of pycos 4.12.2's\n"
          "# examples/%s (Apache 2.0, by Giridhar Pemmasani) in which only the import\n"
          "# lines differ, so that it runs on picoos. A test fixture of tests/compat.\n")

#: the dispycos examples tests/dist runs (plus the files they ship)
DIST_EXAMPLES = [
    "dispycos_client1.py", "dispycos_client2.py", "dispycos_client3.py",
    "dispycos_client4.py", "dispycos_client5.py", "dispycos_client5_proc.py",
    "dispycos_client7.py", "dispycos_client8.py", "dispycos_kbd_int.py",
    "dispycos_httpd1.py", "dispycos_httpd2.py", "dispycos_mem_servers.py",
    "dispycos_mas.py", "dispycos_live_analytics.py", "dispycos_live_analytics_channel.py",
    "dispycos_remote_scheduler.py", "dispycos_cloud_computing.py",
    "dispycos_client9_node.py", "dispycos_client9_server.py", "dispycos_client10.py",
]

DIST_HEADER = "# ported from pycos's examples, imports renamed\n"

# (pattern, replacement) for whole import lines, tried in order
_RULES = [
    (re.compile(r"^(\s*)import pycos\.netpycos as pycos\b"), r"\1import picoos.netpycos as pycos"),
    (re.compile(r"^(\s*)from pycos\.(\w+) import "), r"\1from picoos.\2 import "),
    (re.compile(r"^(\s*)from pycos import "), r"\1from picoos import "),
]

# "import a, pycos.x, b": each imported name on its own
_IMPORT = re.compile(r"^(\s*)import (.+?)\s*$")
_ITEM = re.compile(r"^(pycos)(\.\w+)*(\s+as\s+(\w+))?$")


def _port_items(indent: str, items: str, bound: bool) -> str | None:
    """An ``import`` line with its pycos names renamed (None: no pycos name).

    ``import pycos.x`` binds the name ``pycos`` to the package; the renamed
    ``import picoos.x`` binds ``picoos``, so ``import picoos as pycos`` is
    added unless the scope binds ``pycos`` itself (``bound``)."""
    names = [i.strip() for i in items.split(",")]
    matches = [_ITEM.match(n) for n in names]
    if not any(matches):
        return None
    out, binds, needs = [], False, False
    for name, m in zip(names, matches):
        if not m:
            out.append(name)
        elif name == "pycos":
            out.append("picoos as pycos")
            binds = True
        else:
            out.append("picoos" + name[len("pycos"):])
            if m.group(3):
                binds = binds or m.group(4) == "pycos"
            else:
                needs = True
    line = indent + "import " + ", ".join(out)
    if needs and not binds and not bound:
        line += "; import picoos as pycos"
    return line


def _scopes_binding_pycos(source: str) -> set:
    """Line numbers of ``import`` statements whose scope (module or function)
    also binds ``pycos`` with ``import pycos`` or ``import ... as pycos``."""
    import ast
    lines: set = set()

    def visit(body):
        imports, binds = [], False
        stack = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(node.body if not isinstance(node, ast.Lambda) else [])
                continue
            if isinstance(node, ast.ClassDef):
                visit(node.body)
                continue
            if isinstance(node, ast.Import):
                imports.append(node.lineno)
                binds = binds or any((a.asname or a.name) == "pycos" for a in node.names)
            stack.extend(ast.iter_child_nodes(node))
        if binds:
            lines.update(imports)

    visit(ast.parse(source).body)
    return lines


def port(source: str) -> str:
    lines = source.splitlines(keepends=True)
    bound = _scopes_binding_pycos(source)
    out = []
    for lineno, ln in enumerate(lines, 1):
        body = ln.rstrip("\r\n")
        end = ln[len(body):]
        for pat, rep in _RULES:
            if pat.match(body):
                body = pat.sub(rep, body)
                break
        else:
            m = _IMPORT.match(body)
            if m:
                ported = _port_items(m.group(1), m.group(2), lineno in bound)
                if ported is not None:
                    body = ported
        out.append(body + end)
    return "".join(out)


def main() -> int:
    import pycos
    src_dir = os.path.join(os.path.dirname(pycos.__file__), "examples")
    for out_dir, names, header in ((OUT, EXAMPLES, HEADER),
                                   (DIST_OUT, DIST_EXAMPLES, DIST_HEADER)):
        os.makedirs(out_dir, exist_ok=True)
        for name in names:
            with open(os.path.join(src_dir, name)) as f:
                text = f.read()
            with open(os.path.join(out_dir, name), "w") as f:
                f.write((header % name if "%s" in header else header) + port(text))
        print("ported %d examples into %s" % (len(names), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
