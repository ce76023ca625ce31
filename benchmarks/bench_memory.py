#!/usr/bin/env python3
"""Memory per suspended task: what does an idle task cost?

For each framework and each N (default 10k, 100k, 300k, 1M) a fresh process
starts its kernel or loop, runs one main task that reads the resident set
size (RSS, from /proc/self/statm), spawns N tasks that each immediately
block forever, waits until all N are blocked, reads RSS again and reports
``(RSS after - RSS before) / N`` bytes per task. ``gc.collect()`` runs before
both readings so that garbage does not count.

How a task blocks:

- picoos and pycos: ``yield task.suspend()`` (the task record, its generator
  and the kernel's task-table entry stay);
- asyncio: ``await event.wait()`` on one shared, never-set ``asyncio.Event``
  (the Task, its coroutine and the waiter future stay).

Why it matters: picoos targets a Pi Zero (512 MiB); a gateway holding one
task per connection or per sensor must not spend kilobytes on each.
Goal: picoos <= 400 B per task at 1M (pycos measured about 1,650 B, asyncio
about 1,170 B).

When matplotlib is importable the figures are also drawn to
benchmarks/results/bench_memory.png.

    python benchmarks/bench_memory.py [--quick] [--sizes 10000,100000]
"""
from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any, Dict, List

from _common import (RESULTS_DIR, Bench, emit_and_exit, fmt_int, fmt_ratio, rss_bytes)

FRAMEWORKS = ("picoos", "pycos", "asyncio")
DEFAULT_SIZES = (10000, 100000, 300000, 1000000)
GOAL_BYTES = 400


def _measured(n: int, before: int, after: int, create_s: float) -> Dict[str, Any]:
    return {"n": n, "rss_before": before, "rss_after": after,
            "per_task": (after - before) / n, "create_s": create_s}


def _kernel_tasks(mod: Any, framework: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """Shared body for picoos and pycos: the API is the same.

    The result is emitted from inside the main task, because the kernel
    would never return while N tasks stay suspended.
    """
    n = params["n"]

    def idle(state, task=None):
        task = task if task is not None else mod.Pycos.cur_task()
        state[0] += 1
        if state[0] == n:
            state[1].send(None)  # the last one in: every task is blocked now
        yield task.suspend()

    def main(task=None):
        task = task if task is not None else mod.Pycos.cur_task()
        gc.collect()
        before = rss_bytes()
        state = [0, task]
        t0 = time.perf_counter()
        for _ in range(n):
            mod.Task(idle, state)
        yield task.receive()
        create_s = time.perf_counter() - t0
        gc.collect()
        emit_and_exit(_measured(n, before, rss_bytes(), create_s), framework)

    if framework == "picoos":
        mod.run(main)
    else:
        mod.Task(main).value()
    raise RuntimeError("the kernel returned before the main task reported its figures")


def work_picoos(params: Dict[str, Any]) -> Dict[str, Any]:
    import picoos
    return _kernel_tasks(picoos, "picoos", params)


def work_pycos(params: Dict[str, Any]) -> Dict[str, Any]:
    import pycos
    return _kernel_tasks(pycos, "pycos", params)


def work_asyncio(params: Dict[str, Any]) -> Dict[str, Any]:
    import asyncio
    n = params["n"]

    async def main():
        loop = asyncio.get_running_loop()
        never = asyncio.Event()
        all_blocked = loop.create_future()
        state = [0]

        async def idle():
            state[0] += 1
            if state[0] == n:
                all_blocked.set_result(None)
            await never.wait()

        gc.collect()
        before = rss_bytes()
        t0 = time.perf_counter()
        for _ in range(n):
            loop.create_task(idle())
        await all_blocked
        create_s = time.perf_counter() - t0
        gc.collect()
        emit_and_exit(_measured(n, before, rss_bytes(), create_s), "asyncio")

    asyncio.run(main())
    raise RuntimeError("the loop returned before the main task reported its figures")


def _parse_sizes(text: str) -> List[int]:
    try:
        sizes = [int(float(s)) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError("--sizes %r: expected comma-separated task counts such as "
                         "10000,100000" % (text,)) from None
    if not sizes or min(sizes) < 1:
        raise ValueError("--sizes %r: expected one or more counts >= 1" % (text,))
    return sizes


def _plot(results: Dict[str, Dict[int, Dict[str, Any]]], sizes: List[int]) -> str:
    """Draw bytes/task against N; '' if matplotlib is not importable."""
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display on a board or in CI
        import matplotlib.pyplot as plt
    except Exception:
        return ""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for fw, by_n in results.items():
        xs = [n for n in sizes if "error" not in by_n[n]]
        if xs:
            ax.plot(xs, [by_n[n]["per_task"] for n in xs], marker="o", label=fw)
    ax.axhline(GOAL_BYTES, color="grey", linestyle="--", linewidth=1,
               label="picoos goal (%d B)" % GOAL_BYTES)
    ax.set_xscale("log")
    ax.set_xlabel("suspended tasks (N)")
    ax.set_ylabel("RSS per suspended task (bytes)")
    ax.set_title("Memory per suspended task")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, "bench_memory.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main() -> int:
    bench = Bench("memory", __doc__, FRAMEWORKS)
    bench.worker(picoos=work_picoos, pycos=work_pycos, asyncio=work_asyncio)
    bench.parser.add_argument("--sizes", help="comma-separated task counts "
                              "(default 10000,100000,300000,1000000; --quick: 10000)")
    bench.parser.add_argument("--no-plot", action="store_true", help="do not draw the PNG")
    args = bench.parse_args()
    try:
        sizes = _parse_sizes(args.sizes) if args.sizes else (
            [10000] if args.quick else list(DEFAULT_SIZES))
    except ValueError as e:
        bench.parser.error(str(e))
    bench.header("RSS per suspended task, N = %s" % ", ".join("{:,}".format(n) for n in sizes))
    results: Dict[str, Dict[int, Dict[str, Any]]] = {fw: {} for fw in args.frameworks}
    rows = []
    for n in sizes:
        for fw in args.frameworks:
            res = bench.run_worker(fw, {"n": n})
            bench.record(fw, {"n": n}, res)
            results[fw][n] = res
        ref = results.get("picoos", {}).get(n, {}).get("per_task")
        for fw in args.frameworks:
            res = results[fw][n]
            if "error" in res:
                rows.append([fw, fmt_int(n), "ERROR: " + res["error"]])
            else:
                rows.append([fw, fmt_int(n), "%.1f" % (res["rss_before"] / 2**20),
                             "%.1f" % (res["rss_after"] / 2**20), fmt_int(res["per_task"]),
                             fmt_ratio(res["per_task"], ref), "%.2f" % res["create_s"]])
    bench.table(["framework", "N", "RSS before MiB", "RSS after MiB", "B/task",
                 "vs picoos", "create s"], rows)

    # the same figures as a matrix, the shape the README table takes
    print()
    matrix = []
    for fw in args.frameworks:
        matrix.append([fw] + [("ERROR" if "error" in results[fw][n]
                               else fmt_int(results[fw][n]["per_task"])) for n in sizes])
    bench.table(["B/task"] + ["{:,}".format(n) for n in sizes], matrix)

    for n in sizes:
        ref = results.get("picoos", {}).get(n, {}).get("per_task")
        bench.figure("RSS per suspended task, %s tasks" % "{:,}".format(n),
                     {fw: "%s B (%s)" % (fmt_int(r[n]["per_task"]), fmt_ratio(r[n]["per_task"], ref))
                      for fw, r in results.items() if "error" not in r[n]})
    top = max(sizes)
    if "picoos" in args.frameworks:
        res = results["picoos"][top]
        ok = None if "error" in res else res["per_task"] <= GOAL_BYTES
        where = "at {:,}".format(top) + ("" if top == 1000000 else " (goal is set at 1,000,000)")
        bench.check("picoos <= %d B/task %s" % (GOAL_BYTES, where), ok,
                    "(%s B)" % fmt_int(res.get("per_task")) if ok is not None else "(failed)")
    if not args.no_plot:
        path = _plot(results, sizes)
        print("plot: %s" % (path or "skipped (matplotlib is not importable)"))
    summary = ["memory %s @%s: %s B/task" % (fw, "{:,}".format(top), fmt_int(r[top].get("per_task")))
               for fw, r in results.items() if "error" not in r[top]]
    return bench.finish(summary)


if __name__ == "__main__":
    sys.exit(main())
