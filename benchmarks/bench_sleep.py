#!/usr/bin/env python3
"""Many sleeping tasks: timer throughput and wake-up lateness.

T tasks (default 10,000) each sleep S times (default 10) for D seconds
(default 0.010). For every wake-up the task records its lateness: the
time it actually ran again minus the time it asked to be woken (both read
with time.monotonic() inside the task). Figures per framework, each in its
own fresh process:

- wake-ups/s: T*S divided by the time from the first spawn to the last
  task's last wake-up. With 10k tasks asking for a wake-up every 10 ms the
  ideal is about 1M/s; a kernel that cannot keep up falls behind and its
  wake-ups come late, so read this figure together with lateness.
- p50 / p99 / max lateness in milliseconds;
- total s and CPU s: the wall-clock and process CPU seconds of the run
  (CPU s well below total s means the kernel slept in its poll: it kept
  up; CPU s near total s means it was busy all along and fell behind).

Each figure is the median over 5 fresh processes per framework (--repeat),
run interleaved with the other frameworks. The wake-up rate is CPU-bound
(no Python kernel keeps up with 1M wake-ups/s), so on a shared machine the
wall-clock rate moves with other load from run to run; "per CPU s"
(wake-ups per second of the process's CPU time) is the steadier figure.

Goal: picoos wake-ups/s >= 2x pycos with p99 lateness no worse.

    python benchmarks/bench_sleep.py [--quick] [--tasks T] [--sleeps S] [--delay D]
"""
from __future__ import annotations

import sys
import time
from typing import Any, Dict, List

from _common import Bench, Stopwatch, fmt_ms, fmt_rate, fmt_ratio, median, percentile

FRAMEWORKS = ("picoos", "pycos", "asyncio", "uvloop")


def _summarise(late: List[float], times: List[float], params: Dict[str, Any]) -> Dict[str, Any]:
    elapsed, cpu = times
    expected = params["tasks"] * params["sleeps"]
    if len(late) != expected:
        raise RuntimeError("recorded %d wake-ups, expected %d" % (len(late), expected))
    late.sort()
    return {"elapsed": elapsed, "cpu": cpu, "wakeups": expected, "rate": expected / elapsed,
            "cpu_rate": expected / cpu if cpu > 0 else None,
            "p50": percentile(late, 50), "p99": percentile(late, 99), "max": late[-1],
            "min": late[0]}


def _kernel_tasks(mod: Any, params: Dict[str, Any]) -> Dict[str, Any]:
    """Shared body for picoos and pycos: the API is the same."""
    ntasks, nsleeps, delay = params["tasks"], params["sleeps"], params["delay"]
    late: List[float] = []
    now = time.monotonic

    def sleeper(state, task=None):
        task = task if task is not None else mod.Pycos.cur_task()
        for _ in range(nsleeps):
            due = now() + delay
            yield task.sleep(delay)
            late.append(now() - due)
        state[0] += 1
        if state[0] == ntasks:
            state[1].send(None)

    def main(task=None):
        task = task if task is not None else mod.Pycos.cur_task()
        state = [0, task]
        watch = Stopwatch()
        for _ in range(ntasks):
            mod.Task(sleeper, state)
        yield task.receive()
        return watch.read()

    if mod.__name__ == "picoos":
        times = mod.run(main)
    else:
        times = mod.Task(main).value()
    return _summarise(late, times, params)


def work_picoos(params: Dict[str, Any]) -> Dict[str, Any]:
    import picoos
    return _kernel_tasks(picoos, params)


def work_pycos(params: Dict[str, Any]) -> Dict[str, Any]:
    import pycos
    return _kernel_tasks(pycos, params)


def _asyncio(params: Dict[str, Any], uvloop: bool) -> Dict[str, Any]:
    import asyncio
    from _common import run_asyncio
    ntasks, nsleeps, delay = params["tasks"], params["sleeps"], params["delay"]
    late: List[float] = []
    now = time.monotonic

    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        state = [0]

        async def sleeper():
            for _ in range(nsleeps):
                due = now() + delay
                await asyncio.sleep(delay)
                late.append(now() - due)
            state[0] += 1
            if state[0] == ntasks:
                done.set_result(None)

        watch = Stopwatch()
        for _ in range(ntasks):
            loop.create_task(sleeper())
        await done
        return watch.read()

    result = _summarise(late, run_asyncio(main, uvloop=uvloop), params)
    if uvloop:
        import uvloop as _u
        result["version"] = _u.__version__
    return result


def work_asyncio(params: Dict[str, Any]) -> Dict[str, Any]:
    return _asyncio(params, uvloop=False)


def work_uvloop(params: Dict[str, Any]) -> Dict[str, Any]:
    return _asyncio(params, uvloop=True)


def _median_run(runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """One row from several runs: the median of each figure."""
    if len(runs) == 1:
        return runs[0]
    out = dict(runs[0])
    for key in ("elapsed", "cpu", "rate", "cpu_rate", "p50", "p99", "max"):
        out[key] = median(r[key] for r in runs)
    return out


def main() -> int:
    bench = Bench("sleep", __doc__, FRAMEWORKS)
    bench.worker(picoos=work_picoos, pycos=work_pycos, asyncio=work_asyncio,
                 uvloop=work_uvloop)
    bench.parser.add_argument("--tasks", type=int, help="sleeping tasks (default 10000)")
    bench.parser.add_argument("--sleeps", type=int, help="sleeps per task (default 10)")
    bench.parser.add_argument("--delay", type=float, default=0.010,
                              help="seconds per sleep (default 0.010)")
    bench.parser.add_argument("--repeat", type=int,
                              help="fresh processes per framework; each figure is the "
                              "median over them (default 5)")
    args = bench.parse_args()
    ntasks = args.tasks if args.tasks is not None else (1000 if args.quick else 10000)
    nsleeps = args.sleeps if args.sleeps is not None else (5 if args.quick else 10)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 5)
    if ntasks < 1 or nsleeps < 1 or repeat < 1 or not args.delay > 0:
        bench.parser.error("--tasks, --sleeps and --repeat must be >= 1 and --delay > 0")
    bench.header("%s tasks x %d sleeps of %g ms, median of %d runs"
                 % ("{:,}".format(ntasks), nsleeps, args.delay * 1e3, repeat))
    params = {"tasks": ntasks, "sleeps": nsleeps, "delay": args.delay}
    results = {fw: (runs[-1] if "error" in runs[-1] else _median_run(runs))
               for fw, runs in bench.run_rounds(params, repeat).items()}
    ok = {fw: r for fw, r in results.items() if "error" not in r}
    ref = ok.get("picoos", {}).get("rate")
    rows = []
    for fw in args.frameworks:
        res = results[fw]
        if "error" in res:
            rows.append([fw, "ERROR: " + res["error"]])
        else:
            rows.append([fw, res.get("version", "?"), fmt_rate(res["rate"]),
                         fmt_ratio(res["rate"], ref), "%.2f" % res["elapsed"],
                         "%.2f" % res["cpu"], fmt_rate(res["cpu_rate"]),
                         fmt_ms(res["p50"]), fmt_ms(res["p99"]), fmt_ms(res["max"])])
    bench.table(["framework", "version", "wake-ups/s", "vs picoos", "total s", "CPU s",
                 "per CPU s",
                 "p50 late ms", "p99 late ms", "max late ms"], rows)
    what = "%s tasks x %d sleeps of %g ms" % ("{:,}".format(ntasks), nsleeps, args.delay * 1e3)
    bench.figure(what + ", wake-ups/s", {fw: "%s (%s)" % (fmt_rate(r["rate"]),
                                                          fmt_ratio(r["rate"], ref))
                                         for fw, r in ok.items()})
    bench.figure(what + ", wake-ups per CPU second",
                 {fw: "%s (%s)" % (fmt_rate(r["cpu_rate"]),
                                   fmt_ratio(r["cpu_rate"], ok.get("picoos", {}).get("cpu_rate")))
                  for fw, r in ok.items()})
    bench.figure(what + ", p50 / p99 lateness ms",
                 {fw: "%s / %s" % (fmt_ms(r["p50"]), fmt_ms(r["p99"])) for fw, r in ok.items()})
    if "picoos" in args.frameworks and "pycos" in args.frameworks:
        p, o = ok.get("picoos"), ok.get("pycos")
        if p is None or o is None:
            bench.check("picoos >= 2x pycos wake-ups/s", None, "(a side failed)")
            bench.check("picoos p99 lateness <= pycos", None, "(a side failed)")
        else:
            bench.check("picoos >= 2x pycos wake-ups/s", p["rate"] >= 2 * o["rate"],
                        "(%s wall; %s by CPU time)" % (fmt_ratio(p["rate"], o["rate"]),
                                                       fmt_ratio(p["cpu_rate"], o["cpu_rate"])))
            bench.check("picoos p99 lateness <= pycos", p["p99"] <= o["p99"],
                        "(%s ms vs %s ms)" % (fmt_ms(p["p99"]), fmt_ms(o["p99"])))
    return bench.finish(["sleep %s: %s wake-ups/s, p99 late %s ms"
                         % (fw, fmt_rate(r["rate"]), fmt_ms(r["p99"])) for fw, r in ok.items()])


if __name__ == "__main__":
    sys.exit(main())
