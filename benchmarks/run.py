#!/usr/bin/env python3
"""Run the picoos benchmarks: every benchmarks/bench_*.py, or the ones named.

``./dev bench [names]`` calls this. Each benchmark script runs in its own
process (and each of them measures every framework in further fresh
processes), its tables stream to the terminal as they are printed, and a
summary with every goal verdict comes at the end. With ``--json`` the whole
run is also written to benchmarks/results/ (git-ignored) for later
comparison.

Names may be given as ``memory``, ``bench_memory`` or ``bench_memory.py``.
Scripts are discovered, not listed here, so a new ``bench_<name>.py`` takes
part as soon as it exists; it must run alone and accept ``--quick``. A
script that uses ``_common.Bench`` also hands its figures and goal verdicts
to this runner through the file named by ``PICOOS_BENCH_JSON``.

    python benchmarks/run.py [--quick] [--json] [--markdown] [--list] [names...]

Exit status: 0 if every script exited 0, 1 if any failed (a framework that
errored counts), 2 for a bad name or argument.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence

from _common import (BENCH_DIR, JSON_ENV, RESULTS_DIR, format_table, machine_info,
                     machine_line)


def discover() -> Dict[str, str]:
    """Benchmark short name -> script path, in name order."""
    found = {}
    for path in sorted(glob.glob(os.path.join(BENCH_DIR, "bench_*.py"))):
        found[os.path.basename(path)[len("bench_"):-len(".py")]] = path
    return found


def select(available: Dict[str, str], names: Sequence[str]) -> List[str]:
    """Resolve user-given names; raises ValueError naming what exists."""
    if not names:
        return list(available)
    chosen = []
    for raw in names:
        name = os.path.basename(raw)
        if name.endswith(".py"):
            name = name[:-3]
        if name.startswith("bench_"):
            name = name[len("bench_"):]
        if name not in available:
            raise ValueError("no benchmark %r; expected one of: %s"
                             % (raw, ", ".join(available) or "(none found)"))
        if name not in chosen:
            chosen.append(name)
    return chosen


def run_one(name: str, path: str, quick: bool, extra: Sequence[str],
            tmpdir: str) -> Dict[str, Any]:
    """Run one script with inherited stdout; collect its exit status and JSON."""
    json_path = os.path.join(tmpdir, name + ".json")
    env = dict(os.environ)
    env[JSON_ENV] = json_path
    cmd = [sys.executable, path] + (["--quick"] if quick else []) + list(extra)
    print("\n### %s: %s" % (name, " ".join(cmd[1:])), flush=True)
    t0 = time.perf_counter()
    try:
        rc = subprocess.call(cmd, env=env, stdin=subprocess.DEVNULL)
    except OSError as e:
        print("cannot start %s: %s" % (path, e), flush=True)
        rc = 127
    elapsed = time.perf_counter() - t0
    data: Optional[Dict[str, Any]] = None
    if os.path.exists(json_path):
        try:
            with open(json_path) as f:
                data = json.load(f)
        except ValueError as e:
            print("%s wrote unreadable JSON: %s" % (name, e), flush=True)
    return {"name": name, "script": os.path.relpath(path, os.path.dirname(BENCH_DIR)),
            "exit_status": rc, "seconds": round(elapsed, 2), "data": data}


def summarise(runs: List[Dict[str, Any]]) -> None:
    rows = []
    goals = []
    for r in runs:
        data = r["data"] or {}
        if r["exit_status"] == 0:
            status = "ok"
        elif data.get("failed"):
            status = "failed: " + ",".join(data["failed"])
        else:
            status = "exit %d" % r["exit_status"]
        rows.append([r["name"], status, "%.1f" % r["seconds"]])
        for c in data.get("checks", []):
            goals.append([r["name"], c["goal"], c["verdict"], c["detail"]])
    print("\n" + "=" * 78)
    print("summary")
    print("=" * 78)
    print(format_table(["benchmark", "status", "seconds"], rows, left=2))
    if goals:
        print()
        print(format_table(["benchmark", "goal", "verdict", "figures"], goals, left=4))
    print(flush=True)


#: README table columns: framework key -> column title
MARKDOWN_COLUMNS = (("picoos", "picoos"), ("pycos", "pycos 4.12.2"), ("asyncio", "asyncio"),
                    ("uvloop", "asyncio+uvloop"))


def markdown_table(runs: List[Dict[str, Any]], info: Dict[str, Any], command: str) -> str:
    """The headline figures of every Bench-based script as one markdown
    table, ready to paste into a README. Cells show the figure and its
    ratio to picoos; '-' where a framework was not measured or failed."""
    lines = ["Measured with `%s` on %s (%s)." % (command, machine_line(info), info["time_utc"]),
             "",
             "| figure | " + " | ".join(title for _, title in MARKDOWN_COLUMNS) + " |",
             "|---|" + "---|" * len(MARKDOWN_COLUMNS)]
    for r in runs:
        for fig in (r["data"] or {}).get("figures", []):
            cells = [fig["cells"].get(key, "-") for key, _ in MARKDOWN_COLUMNS]
            # a row's cells for names without a column (import's 'bare') are left out
            lines.append("| %s | %s |" % (fig["label"], " | ".join(cells)))
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(
        description="Run picoos benchmarks side by side with pycos and asyncio.",
        epilog="available: " + (", ".join(available) or "(none)"))
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="short smoke runs")
    parser.add_argument("--json", action="store_true",
                        help="write the results to benchmarks/results/<time>.json")
    parser.add_argument("--markdown", action="store_true",
                        help="end with the headline figures as a markdown table")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args, extra = parser.parse_known_args(argv)
    if args.list:
        for name, path in available.items():
            print("%-10s %s" % (name, os.path.relpath(path)))
        return 0
    try:
        chosen = select(available, args.names)
    except ValueError as e:
        parser.error(str(e))
    if extra and len(chosen) != 1:
        parser.error("options %s are passed to one benchmark script; name exactly one"
                     % " ".join(extra))
    info = machine_info()
    print(machine_line(info))
    print("benchmarks: %s%s" % (", ".join(chosen), " (quick)" if args.quick else ""), flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="picoos-bench-") as tmpdir:
        for name in chosen:
            runs.append(run_one(name, available[name], args.quick, extra, tmpdir))
    summarise(runs)
    if args.markdown:
        command = " ".join(["python benchmarks/run.py"] + [a for a in (argv if argv is not None
                                                                      else sys.argv[1:])])
        print(markdown_table(runs, info, command))
        print(flush=True)
    if args.json:
        os.makedirs(RESULTS_DIR, exist_ok=True)
        path = os.path.join(RESULTS_DIR, "bench-%s%s.json" % (
            time.strftime("%Y%m%d-%H%M%S", time.gmtime()), "-quick" if args.quick else ""))
        with open(path, "w") as f:
            json.dump({"machine": info, "argv": list(sys.argv), "quick": args.quick,
                       "runs": runs}, f, indent=1)
        print("results written to %s" % os.path.relpath(path), flush=True)
    return 0 if all(r["exit_status"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
