#!/usr/bin/env python3
"""Import time: how long does ``import picoos`` take on a cold process?

On a Pi Zero every command-line tool and every node restart pays the
package's import time, so picoos keeps its heavy parts lazy (PEP 562).
This script runs, each in a fresh process and several times over,

    python -X importtime -c "import picoos"
    python -X importtime -c "import pycos"
    python -X importtime -c "import asyncio"     (a reference point)
    python -c pass                               (the interpreter alone)

and reports the median *cumulative* import time of the package as Python
itself measures it (the last line of the ``-X importtime`` report, which
is the top-level module with everything it pulled in), plus the median
wall-clock time of the whole process. The runs are interleaved (one of
each, then again) so that a burst of load on the machine hits all of them
alike, and one warm-up round first makes sure every ``.pyc`` is written.
Goal: picoos <= 0.5x pycos.

    python benchmarks/bench_import.py [--quick] [--repeat R]
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

from _common import REPO_ROOT, Bench, fmt_ratio, median

#: label -> the module imported ('' for the bare interpreter)
TARGETS = {"picoos": "picoos", "pycos": "pycos", "asyncio": "asyncio", "bare": ""}


class ImportTimeError(Exception):
    """A ``-X importtime`` run failed or printed something unexpected."""


def parse_importtime(stderr: str, module: str) -> float:
    """Cumulative import time of ``module`` in seconds, from ``-X importtime`` output.

    The report prints a module after everything it imports, so the last
    line is the top-level import; it must name ``module``.
    """
    lines = [ln for ln in stderr.splitlines() if ln.startswith("import time:")]
    if not lines:
        raise ImportTimeError("no '-X importtime' lines in the output; expected lines like "
                              "'import time: <self> | <cumulative> | <module>'")
    fields = lines[-1][len("import time:"):].split("|")
    if len(fields) != 3:
        raise ImportTimeError("cannot read importtime line %r; expected three '|'-separated "
                              "fields" % (lines[-1],))
    name = fields[2].strip()
    if name != module:
        raise ImportTimeError("last importtime line is for %r, expected %r (did the import "
                              "fail?)" % (name, module))
    try:
        return int(fields[1]) / 1e6
    except ValueError:
        raise ImportTimeError("cumulative field %r of %r is not a number of microseconds"
                              % (fields[1].strip(), lines[-1])) from None


def run_once(module: str, timeout: float) -> Dict[str, Any]:
    """One fresh interpreter; returns import seconds (None for bare) and wall seconds."""
    if module:
        # the assert costs nothing measurable and catches a namespace
        # package (a folder without __init__.py) passing as a fast import
        code = ("import %s as _m; assert getattr(_m, '__file__', None), "
                "'%s imported as a namespace package: no __init__.py found'" % (module, module))
        cmd = [sys.executable, "-X", "importtime", "-c", code]
    else:
        cmd = [sys.executable, "-c", "pass"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=timeout,
                          universal_newlines=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        errs = [ln for ln in proc.stderr.splitlines()
                if ln.strip() and not ln.startswith("import time:")]
        raise ImportTimeError(errs[-1] if errs else "exit status %d" % proc.returncode)
    return {"import": parse_importtime(proc.stderr, module) if module else None, "wall": wall}


def main() -> int:
    bench = Bench("import", __doc__, tuple(TARGETS))
    bench.parser.add_argument("--repeat", type=int, help="runs per target (default 15)")
    args = bench.parse_args()
    repeat = args.repeat if args.repeat is not None else (5 if args.quick else 15)
    if repeat < 1:
        bench.parser.error("--repeat must be >= 1")
    bench.header("cold-process import time, median of %d runs each" % repeat)
    samples: Dict[str, List[Dict[str, Any]]] = {t: [] for t in args.frameworks}
    errors: Dict[str, str] = {}
    for round_no in range(repeat + 1):  # round 0 is the warm-up
        for target in args.frameworks:
            if target in errors:
                continue
            try:
                one = run_once(TARGETS[target], min(args.timeout, 120.0))
            except (ImportTimeError, subprocess.TimeoutExpired) as e:
                errors[target] = str(e)
                continue
            if round_no:
                samples[target].append(one)
    figures: Dict[str, Dict[str, Optional[float]]] = {}
    for target in args.frameworks:
        if target in errors:
            res: Dict[str, Any] = {"error": errors[target]}
        else:
            imports = [s["import"] for s in samples[target] if s["import"] is not None]
            res = {"import": median(imports) if imports else None,
                   "import_min": min(imports) if imports else None,
                   "wall": median(s["wall"] for s in samples[target]), "runs": samples[target]}
            figures[target] = res
        bench.record(target, {"module": TARGETS[target], "repeat": repeat}, res)
    ref = figures.get("picoos", {}).get("import")
    bare_wall = figures.get("bare", {}).get("wall")
    rows = []
    for target in args.frameworks:
        label = ("import " + TARGETS[target]) if TARGETS[target] else "python -c pass"
        if target in errors:
            rows.append([label, "ERROR: " + errors[target]])
            continue
        f = figures[target]
        ms = (lambda x: "-" if x is None else "%.1f" % (x * 1e3))
        rows.append([label, ms(f["import"]), ms(f["import_min"]),
                     fmt_ratio(f["import"], ref), ms(f["wall"]),
                     ms(None if bare_wall is None or not TARGETS[target]
                        else f["wall"] - bare_wall)])
    bench.table(["run", "import ms", "min ms", "vs picoos", "process ms",
                 "over bare ms"], rows)
    bench.figure("import time, median cumulative ms (-X importtime)",
                 {t: "%.1f (%s)" % (f["import"] * 1e3, fmt_ratio(f["import"], ref))
                  for t, f in figures.items() if f.get("import") is not None})
    if "picoos" in args.frameworks and "pycos" in args.frameworks:
        p = figures.get("picoos", {}).get("import")
        o = figures.get("pycos", {}).get("import")
        ok = None if p is None or o is None else p <= 0.5 * o
        bench.check("picoos import <= 0.5x pycos", ok,
                    "(%s)" % fmt_ratio(p, o) if ok is not None else "(a side failed)")
    return bench.finish(["import %s: %.1f ms" % (t, f["import"] * 1e3)
                         for t, f in figures.items() if f.get("import") is not None])


if __name__ == "__main__":
    sys.exit(main())
