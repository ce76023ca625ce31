"""Shared plumbing for the benchmark scripts in this folder.

Why this exists: every benchmark compares picoos with pycos, asyncio and
asyncio+uvloop *in the same invocation*, and each framework must be measured
in a fresh process of its own so that one framework's heap, threads or import
side effects cannot disturb another's figure. That parent/worker dance, the
table printing, the machine header and the JSON hand-off to ``run.py`` are the
same for every script, so they live here once.

How a benchmark script uses it (bench_spawn.py is a complete example)::

    from _common import Bench
    bench = Bench("spawn", __doc__, ("picoos", "pycos", "asyncio", "uvloop"))
    bench.worker(picoos=work_picoos, pycos=work_pycos, ...)  # in a worker: never returns
    args = bench.parse_args()                   # --quick, --frameworks, --profile, ...
    runs = bench.run_rounds({"n": 100000}, 3)   # fresh processes, interleaved
    bench.table(headers, rows)
    bench.figure("label", {"picoos": "...", ...})   # a row of run.py's README table
    bench.check("picoos >= 3x pycos", ok, "(3.4x)")  # a goal verdict
    sys.exit(bench.finish(summary_lines))

Worker protocol: the parent runs ``python <script> --worker FRAMEWORK
--params JSON``; the worker calls the function registered for FRAMEWORK with
the params dict and prints its result dict as one line ``@@RESULT@@ {json}``
on stdout, then leaves with ``os._exit(0)`` (tearing down a million suspended
tasks, or waiting for pycos's non-daemon tasks at exit, would only add noise
and time). Anything else a framework prints (pycos logs to stdout) is ignored.
A worker that raises, crashes or times out gives a result ``{"error": ...}``,
which the tables print in place of the figure.

JSON hand-off: when the environment variable ``PICOOS_BENCH_JSON`` names a
file (``run.py --json`` sets it) or ``--json-out PATH`` is given,
``Bench.finish`` writes the script's results there.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
RESULT_MARK = "@@RESULT@@ "
JSON_ENV = "PICOOS_BENCH_JSON"
PROFILE_ENV = "PICOOS_BENCH_PROFILE"

# the worker's profiler when --profile asked for one (see emit_and_exit)
_profiler: Any = None

#: every framework a benchmark may compare, in table order
ALL_FRAMEWORKS = ("picoos", "pycos", "asyncio", "uvloop")


class BenchError(ValueError):
    """A benchmark was called wrongly (bad argument, unknown framework).

    Not a picoos.PicoosError on purpose: the parent side of a benchmark never
    imports picoos, so that a broken picoos shows up as an error row in the
    table instead of stopping the run.
    """


# --------------------------------------------------------------- measuring

def rss_bytes() -> int:
    """Resident set size of this process in bytes.

    /proc/self/statm is read directly: it costs no import and no allocation
    worth speaking of, so reading it does not move the figure it measures.
    psutil is the fallback on systems without /proc.
    """
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import psutil  # only off Linux
        return psutil.Process().memory_info().rss


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of an already sorted sequence."""
    if not sorted_values:
        raise BenchError("percentile of an empty sample; expected at least one value")
    if not 0 <= pct <= 100:
        raise BenchError("percentile %r out of range; expected 0..100" % (pct,))
    # nearest rank: the smallest value with at least pct% of the sample <= it
    k = math.ceil(pct / 100.0 * len(sorted_values)) - 1
    return sorted_values[max(0, min(len(sorted_values) - 1, k))]


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def run_asyncio(coro_fn: Callable[..., Any], *args: Any, uvloop: bool = False) -> Any:
    """Run ``coro_fn(*args)`` on a fresh asyncio loop (uvloop's if asked)."""
    import asyncio
    if not uvloop:
        return asyncio.run(coro_fn(*args))
    import uvloop as _uvloop
    if hasattr(_uvloop, "run"):
        return _uvloop.run(coro_fn(*args))
    loop = _uvloop.new_event_loop()
    try:
        return loop.run_until_complete(coro_fn(*args))
    finally:
        loop.close()


class Stopwatch:
    """Wall-clock and process CPU time since creation.

    CPU time is reported next to wall time because a shared machine's load
    stretches wall time unevenly between runs, while the CPU seconds a
    process itself burns move much less. For pycos, whose kernel runs in a
    background thread, process CPU time still counts that thread.
    """

    __slots__ = ("wall0", "cpu0")

    def __init__(self) -> None:
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()

    def read(self) -> List[float]:
        """[wall seconds, CPU seconds] since creation."""
        return [time.perf_counter() - self.wall0, time.process_time() - self.cpu0]


def framework_version(framework: str) -> str:
    """Version string of a framework, for the result record (worker side)."""
    if framework in ("asyncio",):
        return platform.python_version()
    mod = sys.modules.get("uvloop" if framework == "uvloop" else framework)
    return str(getattr(mod, "__version__", "?")) if mod else "?"


# --------------------------------------------------------------- formatting

def fmt_rate(x: Optional[float]) -> str:
    """A per-second figure: 1234567 -> '1.23M', 45600 -> '45.6k'."""
    if x is None:
        return "-"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return "%.3g%s" % (x / scale, suffix)
    return "%.3g" % x


def fmt_int(x: Optional[float]) -> str:
    return "-" if x is None else "{:,}".format(int(round(x)))


def fmt_ms(x: Optional[float]) -> str:
    """Seconds shown as milliseconds."""
    return "-" if x is None else "%.2f" % (x * 1e3)


def fmt_ratio(x: Optional[float], ref: Optional[float]) -> str:
    """x / ref as '2.41x'; '-' if either side is missing."""
    if x is None or ref is None or ref == 0:
        return "-"
    return "%.2fx" % (x / ref)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
                 left: int = 1) -> str:
    """A plain-text table; the first ``left`` columns left-aligned (names),
    the rest right-aligned (figures).

    A row may be shorter than the headers (an error message): its last cell
    then runs on past the remaining columns instead of being cut.
    """
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [0] * len(headers)
    for r in cells:
        # a short row's last cell runs on, so it does not widen its column
        sized = r if len(r) == len(headers) else r[:-1]
        for i, c in enumerate(sized):
            widths[i] = max(widths[i], len(c))
    out = []
    for n, r in enumerate(cells):
        parts = []
        for i, c in enumerate(r):
            if len(r) < len(headers) and i == len(r) - 1:
                parts.append(c)  # an error message: let it run on
            elif i < left:
                parts.append(c.ljust(widths[i]))
            else:
                parts.append(c.rjust(widths[i]))
        out.append("  ".join(parts).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def machine_info() -> Dict[str, Any]:
    """What the figures were measured on; printed above every table."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def machine_line(info: Optional[Dict[str, Any]] = None) -> str:
    info = info or machine_info()
    line = "Python %s (%s) on %s, %s, %s CPUs" % (
        info["python"], info["implementation"], info["platform"],
        info["machine"], info["cpu_count"])
    if info.get("load_avg_1m") is not None:
        # a busy machine stretches wall times: say so next to the figures
        line += ", load average %.2f" % info["load_avg_1m"]
    return line


# --------------------------------------------------------------- the harness

class Bench:
    """One benchmark script: argument parsing, workers, tables, JSON."""

    def __init__(self, name: str, doc: Optional[str],
                 frameworks: Sequence[str] = ALL_FRAMEWORKS) -> None:
        if not frameworks or len(set(frameworks)) != len(frameworks):
            raise BenchError("frameworks %r: expected one or more distinct names"
                             % (frameworks,))
        self.name = name
        self.doc = (doc or "").strip()
        self.frameworks = tuple(frameworks)
        self.script = os.path.abspath(sys.argv[0])
        self.parser = argparse.ArgumentParser(
            description=self.doc.splitlines()[0] if self.doc else name)
        self.parser.add_argument("--quick", action="store_true",
                                 help="a short smoke run (small sizes, one repetition)")
        self.parser.add_argument("--frameworks", default=",".join(self.frameworks),
                                 help="comma-separated subset of: %s (default: all)"
                                 % ",".join(self.frameworks))
        self.parser.add_argument("--timeout", type=float, default=900.0,
                                 help="seconds one worker process may take (default 900)")
        self.parser.add_argument("--json-out", metavar="PATH",
                                 help="also write the results as JSON to PATH")
        self.parser.add_argument("--profile", metavar="FRAMEWORK",
                                 help="run FRAMEWORK's workers under cProfile and print "
                                 "where the time went (its figures are then slower)")
        # worker mode, used by the script on itself
        self.parser.add_argument("--worker", help=argparse.SUPPRESS)
        self.parser.add_argument("--params", default="{}", help=argparse.SUPPRESS)
        self.args: Optional[argparse.Namespace] = None
        self.machine = machine_info()
        self.records: List[Dict[str, Any]] = []
        self.checks: List[Dict[str, Any]] = []
        self.figures: List[Dict[str, Any]] = []

    # ---- worker side

    def worker(self, **funcs: Callable[[Dict[str, Any]], Dict[str, Any]]) -> None:
        """If this process is a worker, run the function for its framework.

        ``funcs`` maps framework name to ``fn(params) -> result dict``. In a
        worker this prints the result line and exits; in the parent it
        returns at once.
        """
        if "--worker" not in sys.argv:
            return
        args, _ = self.parser.parse_known_args()
        fn = funcs.get(args.worker)
        if fn is None:
            sys.stderr.write("no worker for framework %r; this script has: %s\n"
                             % (args.worker, ", ".join(sorted(funcs))))
            sys.stderr.flush()
            os._exit(2)
        global _profiler
        try:
            params = json.loads(args.params)
            if os.environ.get(PROFILE_ENV):
                import cProfile
                _profiler = cProfile.Profile()
                _profiler.enable()
            result = dict(fn(params))
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        emit_and_exit(result, args.worker)

    # ---- parent side

    def parse_args(self, argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
        self.args = self.parser.parse_args(argv)
        chosen = [f.strip() for f in self.args.frameworks.split(",") if f.strip()]
        bad = [f for f in chosen if f not in self.frameworks]
        if bad or not chosen:
            self.parser.error("--frameworks %r: expected a comma-separated subset of %s"
                              % (self.args.frameworks, ",".join(self.frameworks)))
        # keep table order stable whatever order the user typed
        self.args.frameworks = [f for f in self.frameworks if f in chosen]
        if self.args.profile is not None and self.args.profile not in self.frameworks:
            self.parser.error("--profile %r: expected one of %s"
                              % (self.args.profile, ",".join(self.frameworks)))
        return self.args

    def header(self, what: str) -> None:
        print("=" * 78)
        print("%s: %s" % (self.name, what))
        print(machine_line(self.machine))
        print("=" * 78, flush=True)

    def run_worker(self, framework: str, params: Dict[str, Any],
                   timeout: Optional[float] = None) -> Dict[str, Any]:
        """Run this script's worker for ``framework`` in a fresh process.

        Returns the worker's result dict, or ``{"error": "..."}`` if it
        failed, crashed, printed no result or ran past ``timeout``.
        """
        if framework not in self.frameworks:
            raise BenchError("framework %r is not part of %s; expected one of %s"
                             % (framework, self.name, ", ".join(self.frameworks)))
        if timeout is None:
            timeout = self.args.timeout if self.args else 900.0
        cmd = [sys.executable, self.script, "--worker", framework,
               "--params", json.dumps(params)]
        env = dict(os.environ)
        # measure the working tree's picoos even when it is not installed
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p)
        env.pop(JSON_ENV, None)
        env.pop(PROFILE_ENV, None)
        profile_path = None
        if self.args is not None and self.args.profile == framework:
            import tempfile
            fd, profile_path = tempfile.mkstemp(prefix="picoos-bench-", suffix=".prof")
            os.close(fd)
            env[PROFILE_ENV] = profile_path
        try:
            return self._run_cmd(cmd, env, timeout)
        finally:
            if profile_path:
                print_profile(profile_path, "%s %s %s" % (self.name, framework,
                                                          json.dumps(params)))
                os.unlink(profile_path)

    def _run_cmd(self, cmd: List[str], env: Dict[str, str], timeout: float) -> Dict[str, Any]:
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, timeout=timeout,
                                  universal_newlines=True)
        except subprocess.TimeoutExpired:
            return {"error": "timed out after %.0f s" % timeout}
        for line in reversed(proc.stdout.splitlines()):
            if line.startswith(RESULT_MARK):
                if proc.returncode == 0:
                    return json.loads(line[len(RESULT_MARK):])
                break
        return {"error": last_error_line(proc.stderr, proc.returncode)}

    def run_rounds(self, params: Dict[str, Any], rounds: int) -> Dict[str, List[Dict[str, Any]]]:
        """Run every chosen framework's worker ``rounds`` times, interleaved.

        One fresh process per framework per round, in the order picoos,
        pycos, ..., picoos, pycos, ...: a burst of load on the machine then
        hits every framework alike instead of spoiling one framework's
        figures. A framework whose worker fails is not run again; its list
        then ends with the error result. Every result is recorded.
        """
        if rounds < 1:
            raise BenchError("rounds=%r; expected >= 1" % (rounds,))
        out: Dict[str, List[Dict[str, Any]]] = {fw: [] for fw in self.args.frameworks}
        for _ in range(rounds):
            for fw in self.args.frameworks:
                if out[fw] and "error" in out[fw][-1]:
                    continue
                res = self.run_worker(fw, params)
                self.record(fw, params, res)
                out[fw].append(res)
        return out

    def record(self, framework: str, params: Dict[str, Any], result: Dict[str, Any]) -> None:
        """Keep one worker result for the JSON output."""
        self.records.append({"framework": framework, "params": params, "result": result})

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        print(format_table(headers, rows), flush=True)

    def figure(self, label: str, cells: Dict[str, str]) -> None:
        """Keep one headline row for run.py's README table: label, and the
        cell text per framework (frameworks left out show as '-')."""
        self.figures.append({"label": label, "cells": dict(cells)})

    def check(self, goal: str, ok: Optional[bool], detail: str) -> None:
        """Print and keep one goal line: MET, NOT MET, or UNKNOWN (a side failed)."""
        verdict = "UNKNOWN" if ok is None else ("MET" if ok else "NOT MET")
        if self.args is not None and self.args.quick:
            # quick sizes are a smoke test: e.g. 1,000 sleepers are bound by
            # the sleep itself, not by the kernel, so the verdict is only a hint
            detail += " [quick run: not a verdict]"
        self.checks.append({"goal": goal, "verdict": verdict, "detail": detail})
        print("goal: %-40s %-8s %s" % (goal, verdict, detail), flush=True)

    def finish(self, summary: Sequence[str] = ()) -> int:
        """Write JSON if asked; return the exit status for the script.

        The status is 1 if any worker failed, so a broken framework is not
        silently passed over by ``run.py``; the tables were printed anyway.
        """
        failed = sorted({r["framework"] for r in self.records if "error" in r["result"]})
        payload = {
            "bench": self.name,
            "machine": self.machine,
            "quick": bool(self.args and self.args.quick),
            "records": self.records,
            "checks": self.checks,
            "figures": self.figures,
            "summary": list(summary),
            "failed": failed,
        }
        paths = [p for p in ((self.args.json_out if self.args else None),
                             os.environ.get(JSON_ENV)) if p]
        for path in paths:
            d = os.path.dirname(os.path.abspath(path))
            os.makedirs(d, exist_ok=True)
            with open(path, "w") as f:
                json.dump(payload, f, indent=1)
        if failed:
            print("failed: %s (see the table)" % ", ".join(failed), flush=True)
        return 1 if failed else 0


def emit_and_exit(result: Dict[str, Any], framework: str) -> None:
    """Worker side: print the result line and leave the process at once.

    A worker may call this from inside a running task (bench_memory does:
    its suspended tasks never finish, so the kernel would never return).
    ``os._exit`` skips interpreter teardown, which for a million live tasks
    would cost seconds and measure nothing.
    """
    if _profiler is not None:
        _profiler.disable()
        _profiler.dump_stats(os.environ[PROFILE_ENV])
        result["profiled"] = True
    result = dict(result)
    result.setdefault("version", framework_version(framework))
    sys.stdout.write("\n" + RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def print_profile(path: str, title: str, top: int = 25) -> None:
    """Print the functions a profiled worker spent most internal time in."""
    import pstats
    if not os.path.getsize(path):
        print("profile of %s: the worker wrote none (it failed before reporting)" % title)
        return
    print("-" * 78)
    print("profile of %s (cProfile slows the run: ignore its figures)" % title)
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(top)
    print("-" * 78, flush=True)


def rate_report(bench: "Bench", runs: Dict[str, List[Dict[str, Any]]], n: int,
                unit: str) -> Dict[str, Dict[str, Any]]:
    """Print the table of a rate benchmark (spawn, ping-pong) and return rates.

    Each worker result holds ``times``: one [wall, cpu] pair per run. The
    headline is n / median wall time; "best" is n / the shortest wall time;
    "per CPU s" is n / median CPU time, the figure least moved by other load
    on the machine.
    """
    results: Dict[str, Dict[str, Any]] = {}
    for fw, fw_runs in runs.items():
        if "error" in fw_runs[-1]:
            results[fw] = fw_runs[-1]
            continue
        pairs = [t for r in fw_runs for t in r["times"]]
        walls = [w for w, _ in pairs]
        cpus = [c for _, c in pairs]
        results[fw] = {"version": fw_runs[0].get("version", "?"), "runs": len(pairs),
                       "rate": n / median(walls), "best": n / min(walls),
                       "cpu_rate": n / median(cpus) if median(cpus) > 0 else None}
    ref = results.get("picoos", {})
    rows = []
    for fw in bench.args.frameworks:
        res = results[fw]
        if "error" in res:
            rows.append([fw, "ERROR: " + res["error"]])
        else:
            rows.append([fw, res["version"], fmt_rate(res["rate"]), fmt_rate(res["best"]),
                         fmt_ratio(res["rate"], ref.get("rate")), fmt_rate(res["cpu_rate"]),
                         fmt_ratio(res["cpu_rate"], ref.get("cpu_rate"))])
    bench.table(["framework", "version", unit, "best", "vs picoos", "per CPU s",
                 "vs picoos (CPU)"], rows)
    return results


def rate_figures(bench: "Bench", results: Dict[str, Dict[str, Any]], label: str) -> None:
    """Headline rows of a rate benchmark for the README table."""
    ok = {fw: r for fw, r in results.items() if "error" not in r}
    ref = ok.get("picoos", {})
    bench.figure(label, {fw: "%s (%s)" % (fmt_rate(r["rate"]), fmt_ratio(r["rate"], ref.get("rate")))
                         for fw, r in ok.items()})
    bench.figure(label + ", per CPU second",
                 {fw: "%s (%s)" % (fmt_rate(r["cpu_rate"]),
                                   fmt_ratio(r["cpu_rate"], ref.get("cpu_rate")))
                  for fw, r in ok.items()})


def rate_goal(bench: "Bench", results: Dict[str, Dict[str, Any]], other: str,
              factor: float) -> None:
    """Goal line 'picoos >= factor x other', judged on the median wall rate."""
    if other not in bench.args.frameworks or "picoos" not in bench.args.frameworks:
        return
    p, o = results["picoos"], results[other]
    if "error" in p or "error" in o:
        bench.check("picoos >= %gx %s" % (factor, other), None, "(a side failed)")
        return
    bench.check("picoos >= %gx %s" % (factor, other), p["rate"] >= factor * o["rate"],
                "(%s wall; %s by CPU time)" % (fmt_ratio(p["rate"], o["rate"]),
                                               fmt_ratio(p["cpu_rate"], o["cpu_rate"])))


def last_error_line(stderr: str, returncode: int) -> str:
    """The line of a worker's stderr that says what went wrong."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    if lines:
        return lines[-1][:200]
    if returncode < 0:
        return "killed by signal %d" % -returncode
    return "exit status %d and no result printed" % returncode


def result_or_error(res: Dict[str, Any], key: str, fmt: Callable[[Any], str]) -> str:
    """A table cell: the formatted figure, or the worker's error."""
    if "error" in res:
        return "ERROR: " + res["error"]
    return fmt(res.get(key))
