#!/usr/bin/env python3
"""Message ping-pong between two tasks: the cost of one send + receive hop.

Task A sends a number to task B and waits for the reply; B receives it and
sends it back; repeat N times (default 200,000). The figure is round trips
per second: the median of 9 runs (3 fresh processes per framework,
interleaved with the other frameworks, each repeating the run 3 times on a
fresh kernel or loop); "best" is the fastest. A round trip is two messages
and two task switches.

picoos and pycos use their task mailboxes (``peer.send(x)`` and
``x = yield task.receive()``); asyncio and asyncio+uvloop use two unbounded
``asyncio.Queue`` objects (``put_nowait`` + ``await get()``), the idiomatic
equivalent. Goal: picoos >= 3x pycos.

    python benchmarks/bench_pingpong.py [--quick] [--n N] [--repeat R] [--rounds P]
"""
from __future__ import annotations

import sys
from typing import Any, Dict

from _common import Bench, Stopwatch, fmt_rate, rate_figures, rate_goal, rate_report

FRAMEWORKS = ("picoos", "pycos", "asyncio", "uvloop")
UNIT = "round trips/s"


def _kernel_tasks(mod: Any, params: Dict[str, Any]) -> Dict[str, Any]:
    """Shared body for picoos and pycos: the API is the same."""
    n = params["n"]

    def pong(peer, task=None):
        task = task if task is not None else mod.Pycos.cur_task()
        while True:
            x = yield task.receive()
            peer.send(x)
            if x < 0:
                return

    def ping(task=None):
        task = task if task is not None else mod.Pycos.cur_task()
        other = mod.Task(pong, task)
        watch = Stopwatch()
        for i in range(n):
            other.send(i)
            x = yield task.receive()
            if x != i:
                raise RuntimeError("sent %r, got back %r" % (i, x))
        elapsed = watch.read()
        other.send(-1)
        yield task.receive()
        return elapsed

    times = []
    for _ in range(params["repeat"]):
        if mod.__name__ == "picoos":
            times.append(mod.run(ping))
        else:
            times.append(mod.Task(ping).value())
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

    async def pong(inbox, outbox):
        while True:
            x = await inbox.get()
            outbox.put_nowait(x)
            if x < 0:
                return

    async def ping():
        to_pong, to_ping = asyncio.Queue(), asyncio.Queue()
        other = asyncio.get_running_loop().create_task(pong(to_pong, to_ping))
        watch = Stopwatch()
        for i in range(n):
            to_pong.put_nowait(i)
            x = await to_ping.get()
            if x != i:
                raise RuntimeError("sent %r, got back %r" % (i, x))
        elapsed = watch.read()
        to_pong.put_nowait(-1)
        await other
        return elapsed

    times = [run_asyncio(ping, uvloop=uvloop) for _ in range(params["repeat"])]
    result: Dict[str, Any] = {"times": times}
    if uvloop:
        import uvloop as _u
        result["version"] = _u.__version__
    return result


def work_asyncio(params: Dict[str, Any]) -> Dict[str, Any]:
    return _asyncio(params, uvloop=False)


def work_uvloop(params: Dict[str, Any]) -> Dict[str, Any]:
    return _asyncio(params, uvloop=True)


def main() -> int:
    bench = Bench("pingpong", __doc__, FRAMEWORKS)
    bench.worker(picoos=work_picoos, pycos=work_pycos, asyncio=work_asyncio,
                 uvloop=work_uvloop)
    bench.parser.add_argument("--n", type=int, help="round trips per repetition (default 200000)")
    bench.parser.add_argument("--repeat", type=int, help="runs per process (default 3)")
    bench.parser.add_argument("--rounds", type=int,
                              help="fresh processes per framework, interleaved (default 3)")
    args = bench.parse_args()
    n = args.n if args.n is not None else (10000 if args.quick else 200000)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if n < 1 or repeat < 1 or rounds < 1:
        bench.parser.error("--n, --repeat and --rounds must be >= 1")
    bench.header("ping-pong %s round trips between two tasks, median of %d runs "
                 "(%d processes x %d)" % ("{:,}".format(n), repeat * rounds, rounds, repeat))
    params = {"n": n, "repeat": repeat}
    results = rate_report(bench, bench.run_rounds(params, rounds), n, UNIT)
    rates = {fw: r["rate"] for fw, r in results.items() if "error" not in r}
    rate_figures(bench, results, "message ping-pong, round trips/s")
    rate_goal(bench, results, "pycos", 3.0)
    return bench.finish(["pingpong %s: %s round trips/s" % (fw, fmt_rate(r))
                         for fw, r in rates.items()])


if __name__ == "__main__":
    sys.exit(main())
