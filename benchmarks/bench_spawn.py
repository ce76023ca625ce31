#!/usr/bin/env python3
"""Spawn and complete many trivial tasks: how cheap is a task's whole life?

A parent task spawns N trivial tasks (default 100,000) one after another and
waits until the last of them has finished; the figure is N divided by the
time from the first spawn to the parent waking after the last completion
(tasks/s). Each framework runs in fresh processes (3 rounds, interleaved
with the other frameworks), each process repeating the run 3 times on a
fresh kernel or loop; the headline is the median of those 9 runs, "best"
the fastest.

Why it matters: picoos programs (and the dist layer's job runners) create a
task per request or per job; the cost of creating, first-running and
retiring a task bounds how fast they can go. Goal: picoos >= 3x pycos and
>= 1.5x asyncio+uvloop.

The children do no work and never block; each bumps a shared counter and
the last one wakes the parent (a message for picoos/pycos, a future for
asyncio). All frameworks time from inside the running kernel/loop, so
start-up and shut-down are not counted; wall-clock time gives the headline
and process CPU time a second, load-resistant figure ("per CPU s").

    python benchmarks/bench_spawn.py [--quick] [--n N] [--repeat R] [--rounds P]
"""
from __future__ import annotations

import sys
from typing import Any, Dict

from _common import Bench, Stopwatch, fmt_rate, rate_figures, rate_goal, rate_report

FRAMEWORKS = ("picoos", "pycos", "asyncio", "uvloop")
UNIT = "tasks/s"


def _kernel_tasks(mod: Any, params: Dict[str, Any]) -> Dict[str, Any]:
    """Shared body for picoos and pycos: the API is the same."""
    n = params["n"]

    def child(state):
        state[0] += 1
        if state[0] == n:
            state[1].send(None)
        return
        yield  # unreachable: makes this a generator function, as Task requires

    def main(task=None):
        task = task if task is not None else mod.Pycos.cur_task()
        state = [0, task]
        watch = Stopwatch()
        for _ in range(n):
            mod.Task(child, state)
        yield task.receive()
        elapsed = watch.read()
        if state[0] != n:
            raise RuntimeError("%d of %d children ran" % (state[0], n))
        return elapsed

    times = []
    for _ in range(params["repeat"]):
        if mod.__name__ == "picoos":
            times.append(mod.run(main))
        else:
            times.append(mod.Task(main).value())
    return {"times": times}


def work_picoos(params: Dict[str, Any]) -> Dict[str, Any]:
    import picoos
    return _kernel_tasks(picoos, params)


def work_pycos(params: Dict[str, Any]) -> Dict[str, Any]:
    import pycos
    return _kernel_tasks(pycos, params)


def _asyncio(params: Dict[str, Any], uvloop: bool) -> Dict[str, Any]:
    import asyncio
    from _common import run_asyncio
    n = params["n"]

    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        state = [0]

        async def child():
            state[0] += 1
            if state[0] == n:
                done.set_result(None)

        watch = Stopwatch()
        for _ in range(n):
            loop.create_task(child())
        await done
        return watch.read()

    times = [run_asyncio(main, uvloop=uvloop) for _ in range(params["repeat"])]
    if uvloop:
        import uvloop as _u
        return {"times": times, "version": _u.__version__}
    return {"times": times}


def work_asyncio(params: Dict[str, Any]) -> Dict[str, Any]:
    return _asyncio(params, uvloop=False)


def work_uvloop(params: Dict[str, Any]) -> Dict[str, Any]:
    return _asyncio(params, uvloop=True)


def main() -> int:
    bench = Bench("spawn", __doc__, FRAMEWORKS)
    bench.worker(picoos=work_picoos, pycos=work_pycos, asyncio=work_asyncio,
                 uvloop=work_uvloop)
    bench.parser.add_argument("--n", type=int, help="tasks per repetition (default 100000)")
    bench.parser.add_argument("--repeat", type=int, help="runs per process (default 3)")
    bench.parser.add_argument("--rounds", type=int,
                              help="fresh processes per framework, interleaved (default 3)")
    args = bench.parse_args()
    n = args.n if args.n is not None else (10000 if args.quick else 100000)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if n < 1 or repeat < 1 or rounds < 1:
        bench.parser.error("--n, --repeat and --rounds must be >= 1")
    bench.header("spawn + complete %s trivial tasks, median of %d runs (%d processes x %d)"
                 % ("{:,}".format(n), repeat * rounds, rounds, repeat))
    params = {"n": n, "repeat": repeat}
    results = rate_report(bench, bench.run_rounds(params, rounds), n, UNIT)
    rates = {fw: r["rate"] for fw, r in results.items() if "error" not in r}
    summary = ["spawn %s: %s" % (fw, fmt_rate(r)) for fw, r in rates.items()]
    rate_figures(bench, results, "spawn + complete %s tasks, tasks/s" % "{:,}".format(n))
    rate_goal(bench, results, "pycos", 3.0)
    rate_goal(bench, results, "uvloop", 1.5)
    return bench.finish(summary)


if __name__ == "__main__":
    sys.exit(main())
