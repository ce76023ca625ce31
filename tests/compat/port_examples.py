"""Regenerate tests/compat/examples/ from pycos's own example programs.

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
]

HEADER = ("# ported from pycos's examples, imports renamed: a copy of pycos 4.12.2's\n"
          "# examples/%s (Apache 2.0, by Giridhar Pemmasani) in which only the import\n"
          "# lines differ, so that it runs on picoos. A test fixture of tests/compat.\n")

# (pattern, replacement) for whole import lines, tried in order
_RULES = [
    (re.compile(r"^(\s*)import pycos\.netpycos as pycos\b"), r"\1import picoos.netpycos as pycos"),
    (re.compile(r"^(\s*)from pycos\.(\w+) import "), r"\1from picoos.\2 import "),
    (re.compile(r"^(\s*)from pycos import "), r"\1from picoos import "),
    (re.compile(r"^(\s*)import pycos\.(\w+)\s*$"), r"\1import picoos.\2"),
    (re.compile(r"^(\s*)import pycos\s*$"), r"\1import picoos as pycos"),
    (re.compile(r"^(\s*)import pycos,"), r"\1import picoos as pycos,"),
]


def port(source: str) -> str:
    lines = source.splitlines(keepends=True)
    binds_pycos = any(re.match(r"\s*import pycos(\s*$|\s*,|\s+as pycos)", ln) for ln in lines)
    out = []
    for ln in lines:
        body = ln.rstrip("\r\n")
        end = ln[len(body):]
        for pat, rep in _RULES:
            if pat.match(body):
                body = pat.sub(rep, body)
                if not binds_pycos and re.match(r"\s*import picoos\.\w+\s*$", body):
                    # "import pycos.x" also binds the name pycos: keep that
                    body += "; import picoos as pycos"
                break
        out.append(body + end)
    return "".join(out)


def main() -> int:
    import pycos
    src_dir = os.path.join(os.path.dirname(pycos.__file__), "examples")
    os.makedirs(OUT, exist_ok=True)
    for name in EXAMPLES:
        with open(os.path.join(src_dir, name)) as f:
            text = f.read()
        with open(os.path.join(OUT, name), "w") as f:
            f.write(HEADER % name + port(text))
    print("ported %d examples into %s" % (len(EXAMPLES), OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
