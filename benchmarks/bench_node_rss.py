#!/usr/bin/env python3
"""Idle node memory: picoos-node vs pycos's dispycosnode, same machine, same run.

Each framework's node daemon is started on 127.0.0.1 with 2 CPUs and left
idle (no client). Once it is ready and its resident size has been steady
for a second, the benchmark reads VmRSS from /proc of the daemon process
and of its child processes (servers):

- daemon RSS: the process that stays up on a board between clients;
- tree RSS: daemon plus the server processes it keeps ready.

picoos is measured twice: with its default pre-started servers (ready for a
client at once, like dispycosnode's) and with ``--no-prestart`` (servers
start only when a client attaches).

Why it matters: a node runs on a Pi Zero with 512 MB beside the board's
real job; the daemon must stay small. Goal: idle picoos daemon RSS <= 15 MiB.

    python benchmarks/bench_node_rss.py [--quick] [--rounds R]
"""
from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

from _common import Bench, median

FRAMEWORKS = ("picoos", "pycos")
MIB = 1 << 20


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


def _tree(pid: int) -> List[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _settle(pid: int, want_children: int, timeout: float = 60.0) -> Dict[str, Any]:
    """Wait until the tree has its servers and its RSS is steady for 1 s."""
    deadline = time.monotonic() + timeout
    last, steady_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        tree = _tree(pid)
        total = sum(_rss(p) for p in tree)
        if len(tree) - 1 >= want_children and abs(total - last) < 64 * 1024:
            if time.monotonic() - steady_since >= 1.0:
                return {"daemon": _rss(pid), "tree": total, "procs": len(tree)}
        else:
            steady_since = time.monotonic()
        last = total
        time.sleep(0.2)   # a benchmark sampling memory, not a test waiting on an event
    raise RuntimeError(f"node tree did not settle in {timeout:.0f}s")


def _picoos(params: Dict[str, Any]) -> Dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="bench-rss-")
    args = [sys.executable, "-m", "picoos.dist.node", "--daemon", "--tcp-port", "0",
            "--udp-port", "0", "-c", "2", "-q", "--dest-path", tmp]
    if not params.get("prestart", True):
        args.append("--no-prestart")
    node = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([node.stdout], [], [], 60)
        line = node.stdout.readline() if ready else ""
        if not re.search(r"ready \S+:\d+", line):
            raise RuntimeError(f"picoos-node did not start: {line!r}")
        return _settle(node.pid, 2 if params.get("prestart", True) else 0)
    finally:
        node.terminate()
        node.wait(30)


def _pycos(params: Dict[str, Any]) -> Dict[str, Any]:
    node = subprocess.Popen([sys.executable, "-m", "pycos.dispycosnode", "-i", "127.0.0.1",
                             "--cpus", "2", "--daemon", "--clean"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return _settle(node.pid, 0)    # dispycosnode starts its servers only for a client
    finally:
        node.terminate()
        try:
            node.wait(30)
        except subprocess.TimeoutExpired:
            node.kill()


def main() -> int:
    bench = Bench("node_rss", __doc__, frameworks=FRAMEWORKS)
    bench.worker(picoos=_picoos, pycos=_pycos)
    bench.parser.add_argument("--rounds", type=int, default=3)
    args = bench.parse_args()
    if args.rounds < 1:
        bench.parser.error("--rounds must be >= 1")
    rounds = 1 if args.quick else args.rounds
    bench.header(f"idle node daemon, 2 CPUs, on loopback ({rounds} rounds)")
    runs = [("picoos (pre-started servers)", "picoos", {"prestart": True}),
            ("picoos --no-prestart", "picoos", {"prestart": False}),
            ("pycos dispycosnode", "pycos", {})]
    got: Dict[str, List[Dict[str, Any]]] = {}
    for _ in range(rounds):
        for label, fw, params in runs:
            if fw not in args.frameworks:
                continue
            res = bench.run_worker(fw, params)
            bench.record(fw, params, res)
            got.setdefault(label, []).append(res)
    rows = []
    for label, results in got.items():
        ok = [r for r in results if "error" not in r]
        if not ok:
            rows.append([label, "error: " + results[0]["error"][:60], "", ""])
            continue
        rows.append([label, "%.1f" % (median(r["daemon"] for r in ok) / MIB),
                     "%.1f" % (median(r["tree"] for r in ok) / MIB), ok[0]["procs"]])
    bench.table(["node", "daemon RSS MiB", "tree RSS MiB", "processes"], rows)
    ours = [r["daemon"] for r in got.get("picoos (pre-started servers)", []) if "error" not in r]
    bench.check("idle picoos daemon RSS <= 15 MiB",
                (median(ours) <= 15 * MIB) if ours else None,
                "%.1f MiB" % (median(ours) / MIB) if ours else "picoos failed")
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
