#!/usr/bin/env python3
"""Farming jobs through a node on loopback: picoos dist vs pycos dispycos.

Each framework, in a fresh process per round, starts its node daemon on
127.0.0.1 with 2 servers (``picoos-node -c 2`` / ``dispycosnode --cpus 2``)
and a client, then measures:

- start to first result: from the worker's first line (before the node
  process is spawned) to the first job's result in the client;
- jobs/s: N trivial jobs (default 2,000) submitted at once, until the last
  result is back;
- sequential latency: M jobs (default 200) one after another, each
  submitted only when the previous result is back (p50 and p90);
- the client process's threads (counted during the burst of N jobs) and
  its CPU time per job over that burst (user + system, ``process_time``).

The job is the same pycos-style generator for both (``def compute(x,
task=None): return x * x; yield``): dispycos requires generator jobs. On
picoos each job is a task on the server's networked kernel, started
through the server's registered job entry. The "picoos (thread, ...)"
row drives the client from a plain thread (``client.run(...).result()``);
"picoos (dispycos API)" runs the very same task code as the dispycos row
(``rtask = yield client.rtask(...)``, ``yield rtask()``) on picoos's
networked kernel; "picoos (plain function)" runs a plain function, which
the server runs in a thread of its kernel's pool.

The goals are judged on the "picoos (dispycos API)" row: it is the only
one that runs the same program as the dispycos row (the same calls in the
same order, each ``yield client.rtask(...)`` waiting for its job to start,
as dispycos's does). The other rows show what a thread-driven client
(``client.run(...).result()``, all jobs queued at once) and plain
functions cost; they are reported, not judged.

Why it matters: the dist layer's overhead per job bounds how small a job
may be before farming it out stops paying. Goals: picoos >= 3x dispycos
jobs/s and p50 latency <= 0.5x dispycos.

    python benchmarks/bench_dist.py [--quick] [--jobs N] [--seq M] [--rounds R]
"""
from __future__ import annotations

import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List

T0 = time.perf_counter()  # the worker's start, for "start to first result"

from _common import Bench, fmt_ms, fmt_rate, fmt_ratio, median, percentile  # noqa: E402

FRAMEWORKS = ("picoos", "pycos")


def compute(x, task=None):
    return x * x
    yield  # unreachable: a generator function, as dispycos requires


def compute_plain(x):
    return x * x


def _dispycos_style(pycos: Any, client: Any, params: Dict[str, Any], out: Dict[str, Any],
                    task: Any = None) -> Any:
    """The benchmark as a dispycos program: the same code for both systems."""
    if (yield client.schedule()):
        raise RuntimeError("could not schedule the client")
    rt = yield client.rtask(compute, 3)
    first = yield rt()
    out["first"] = time.perf_counter() - T0
    assert first == 9
    n = params["jobs"]
    t, cpu = time.perf_counter(), time.process_time()
    rts = []
    for i in range(n):
        rts.append((yield client.rtask(compute, i)))
    out["threads"] = threading.active_count()
    results = []
    for rt in rts:
        results.append((yield rt()))
    out["rate"] = n / (time.perf_counter() - t)
    out["cpu_job"] = (time.process_time() - cpu) / n
    assert results == [i * i for i in range(n)], results[:5]
    lat = []
    for i in range(params["seq"]):
        s = time.perf_counter()
        rt = yield client.rtask(compute, i)
        yield rt()
        lat.append(time.perf_counter() - s)
    lat.sort()
    out["p50"], out["p90"] = percentile(lat, 50), percentile(lat, 90)
    yield client.close()


def _picoos(params: Dict[str, Any]) -> Dict[str, Any]:
    from picoos.dist.client import Client
    tmp = tempfile.mkdtemp(prefix="bench-dist-")
    node = subprocess.Popen([sys.executable, "-m", "picoos.dist.node", "--daemon", "--tcp-port",
                             "0", "--udp-port", "0", "-c", "2", "-q", "--dest-path", tmp],
                            stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([node.stdout], [], [], 60)
        line = node.stdout.readline() if ready else ""
        addr = re.search(r"ready (\S+:\d+)", line).group(1)
        if params.get("job") == "api":
            import picoos.netpycos as pycos
            from picoos.dispycos import Client as DClient
            out: Dict[str, Any] = {}
            dclient = DClient([compute], nodes=[addr], pulse_interval=2.0)
            pycos.Task(_dispycos_style, pycos, dclient, params, out).value()
            return out
        fn = compute_plain if params.get("job") == "plain" else compute
        client = Client([fn], nodes=[addr], pulse_interval=2.0)
        client.schedule(timeout=60)
        first = client.run(fn, 3).result(60)
        t_first = time.perf_counter() - T0
        assert first == 9
        if not client.wait_servers(2, 60):
            raise RuntimeError("the node did not start 2 servers")
        n = params["jobs"]
        t, cpu = time.perf_counter(), time.process_time()
        jobs = [client.run(fn, i) for i in range(n)]
        threads = threading.active_count()
        results = [j.result(120) for j in jobs]
        rate = n / (time.perf_counter() - t)
        cpu_job = (time.process_time() - cpu) / n
        assert results == [i * i for i in range(n)]
        lat: List[float] = []
        for i in range(params["seq"]):
            s = time.perf_counter()
            client.run(fn, i).result(60)
            lat.append(time.perf_counter() - s)
        client.close(timeout=60)
    finally:
        node.terminate()
        node.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
    lat.sort()
    return {"first": t_first, "rate": rate, "p50": percentile(lat, 50),
            "p90": percentile(lat, 90), "threads": threads, "cpu_job": cpu_job}


def _pycos(params: Dict[str, Any]) -> Dict[str, Any]:
    node = subprocess.Popen([sys.executable, "-m", "pycos.dispycosnode", "-i", "127.0.0.1",
                             "--cpus", "2", "--daemon", "--clean"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import pycos
        import pycos.netpycos
        from pycos.dispycos import Client, DispycosNodeAllocate
        out: Dict[str, Any] = {}
        pycos.netpycos.Pycos(host="127.0.0.1")
        client = Client([compute], nodes=[DispycosNodeAllocate("127.0.0.1")])
        pycos.Task(_dispycos_style, pycos, client, params, out).value()
        return out
    finally:
        node.terminate()
        try:
            node.wait(30)
        except subprocess.TimeoutExpired:
            node.kill()


def main() -> int:
    bench = Bench("dist", __doc__, frameworks=FRAMEWORKS)
    bench.worker(picoos=_picoos, pycos=_pycos)
    bench.parser.add_argument("--jobs", type=int, default=2000)
    bench.parser.add_argument("--seq", type=int, default=200)
    bench.parser.add_argument("--rounds", type=int, default=3)
    args = bench.parse_args()
    if args.jobs < 1 or args.seq < 1 or args.rounds < 1:
        bench.parser.error("--jobs, --seq and --rounds must be >= 1")
    if args.quick:
        args.jobs, args.seq, args.rounds = 300, 50, 1
    bench.header(f"{args.jobs} jobs at once and {args.seq} sequential jobs through a node "
                 f"with 2 servers on loopback ({args.rounds} rounds)")
    params = {"jobs": args.jobs, "seq": args.seq}
    rows_in: Dict[str, List[Dict[str, Any]]] = {}
    for _ in range(args.rounds):
        for fw in args.frameworks:
            res = bench.run_worker(fw, params)
            bench.record(fw, params, res)
            rows_in.setdefault(fw, []).append(res)
        if "picoos" in args.frameworks:
            plain = dict(params, job="plain")
            res = bench.run_worker("picoos", plain)
            bench.record("picoos", plain, res)
            rows_in.setdefault("picoos (plain function)", []).append(res)
            api = dict(params, job="api")
            res = bench.run_worker("picoos", api)
            bench.record("picoos", api, res)
            rows_in.setdefault("picoos (dispycos API)", []).append(res)

    def fig(name: str, key: str) -> Any:
        vals = [r[key] for r in rows_in.get(name, []) if "error" not in r]
        return median(vals) if vals else None

    ref_rate, ref_p50 = fig("pycos", "rate"), fig("pycos", "p50")
    rows = []
    labels = {"picoos": "picoos (thread, run().result())"}
    for name in rows_in:
        errs = [r["error"] for r in rows_in[name] if "error" in r]
        if errs:
            rows.append([labels.get(name, name), "error: " + errs[0][:60], "", "", "", "", ""])
            continue
        rows.append([labels.get(name, name), fmt_ms(fig(name, "first")), fmt_rate(fig(name, "rate")),
                     fmt_ratio(fig(name, "rate"), ref_rate), fmt_ms(fig(name, "p50")),
                     fmt_ms(fig(name, "p90")),
                     fmt_ratio(ref_p50, fig(name, "p50")) if ref_p50 else "—"])
    bench.table(["framework", "start to 1st result", "jobs/s", "vs dispycos",
                 "seq p50", "seq p90", "p50 speed-up"], rows)
    client_rows = []
    for name in rows_in:
        ok = [r for r in rows_in[name] if "error" not in r and "cpu_job" in r]
        if ok:
            threads = median([r["threads"] for r in ok])
            cpu_job = median([r["cpu_job"] for r in ok])
            client_rows.append([labels.get(name, name), f"{threads:.0f}",
                                f"{cpu_job * 1e6:.0f} us"])
    bench.table(["client process", "threads", "CPU per job"], client_rows)
    judged = "picoos (dispycos API)"     # the same program as the dispycos row
    rate, p50 = fig(judged, "rate"), fig(judged, "p50")
    known = None not in (rate, ref_rate, p50, ref_p50)
    bench.check("jobs/s >= 3x dispycos", (rate >= 3 * ref_rate) if known else None,
                f"{rate / ref_rate:.1f}x" if known else "a side failed")
    bench.check("seq p50 latency <= 0.5x dispycos", (p50 <= 0.5 * ref_p50) if known else None,
                f"{p50 / ref_p50:.2f}x" if known else "a side failed")
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
