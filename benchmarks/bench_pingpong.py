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
import time
from typing import Any, Dict

from _common import Bench, fmt_rate, fmt_ratio, median

FRAMEWORKS = ("picoos", "pycos", "asyncio", "uvloop")


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
        t0 = time.perf_counter()
        for i in range(n):
            other.send(i)
            x = yield task.receive()
            if x != i:
                raise RuntimeError("sent %r, got back %r" % (i, x))
        elapsed = time.perf_counter() - t0
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
        t0 = time.perf_counter()
        for i in range(n):
            to_pong.put_nowait(i)
            x = await to_ping.get()
            if x != i:
                raise RuntimeError("sent %r, got back %r" % (i, x))
        elapsed = time.perf_counter() - t0
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
    rates, results = {}, {}
    for fw, runs in bench.run_rounds(params, rounds).items():
        if "error" in runs[-1]:
            results[fw] = runs[-1]
            continue
        times = [t for r in runs for t in r["times"]]
        results[fw] = res = dict(runs[0], times=times)
        res["rate"] = n / median(times)
        res["best"] = n / min(times)
        rates[fw] = res["rate"]
    ref = rates.get("picoos")
    rows = []
    for fw in args.frameworks:
        res = results[fw]
        if "error" in res:
            rows.append([fw, "ERROR: " + res["error"]])
        else:
            rows.append([fw, res.get("version", "?"), fmt_rate(res["rate"]),
                         fmt_rate(res["best"]), fmt_ratio(res["rate"], ref)])
    bench.table(["framework", "version", "round trips/s", "best", "vs picoos"], rows)
    if "picoos" in args.frameworks and "pycos" in args.frameworks:
        p, o = rates.get("picoos"), rates.get("pycos")
        ok = None if p is None or o is None else p >= 3.0 * o
        bench.check("picoos >= 3x pycos", ok,
                    "(%s)" % fmt_ratio(p, o) if ok is not None else "(a side failed)")
    return bench.finish(["pingpong %s: %s round trips/s" % (fw, fmt_rate(r))
                         for fw, r in rates.items()])


if __name__ == "__main__":
    sys.exit(main())
