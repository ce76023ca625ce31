#!/usr/bin/env python3
"""Remote messages between two processes on loopback: picoos vs pycos netpycos.

Two networked kernels in two processes (the worker, and a server process it
starts) with the same secret. The server registers an `echo` task, which
sends every (reply_to, x) it receives back to reply_to, and a `sink` task,
which counts messages and answers when it has them all. The worker
connects with `peer(Location)`, locates both, then measures:

- round trips/s: send (self, i) to echo, wait for the reply; N times
  (default 20,000). Each round trip is two remote messages, each through
  the whole stack (pickle, frame, MAC for picoos; pycos's own request
  path), one at a time: this is latency.
- messages/s and MB/s one way: M messages (default 50,000) of 1 KiB sent
  back to back to the sink, until it reports it has them all: this is
  throughput.

Figures are medians over fresh processes (picoos and pycos interleaved).
picoos links are authenticated (HMAC handshake, per-frame MAC); pycos
sends its auth token in clear with every request. Goal: picoos >= 2x
pycos on round trips/s.

    python benchmarks/bench_net.py [--quick] [--n N] [--m M] [--size BYTES] [--rounds P]
"""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from typing import Any, Dict

from _common import REPO_ROOT, Bench, fmt_rate, fmt_ratio, median

FRAMEWORKS = ("picoos", "pycos")
SECRET = "bench-secret"


# ---------------------------------------------------------------- server side

def serve(framework: str) -> None:
    """The server process: echo and sink tasks until stdin closes."""
    if framework == "picoos":
        import picoos.netpycos as mod
        kernel = mod.Pycos(host="127.0.0.1", secret=SECRET, discover_peers=False,
                           name="bench-server")
    else:
        import logging
        import pycos.netpycos as mod
        mod.logger.setLevel(logging.WARNING)
        kernel = mod.Pycos(host="127.0.0.1", udp_port=0, secret=SECRET, discover_peers=False,
                           name="bench-server")

    def echo(task=None):
        task.set_daemon()
        task.register("echo")
        while True:
            reply_to, x = yield task.receive()
            reply_to.send(x)

    def sink(task=None):
        task.set_daemon()
        task.register("sink")
        while True:
            reply_to, m = yield task.receive()
            for _ in range(m):
                yield task.receive()
            reply_to.send(m)

    mod.Task(echo)
    mod.Task(sink)
    loc = kernel.location
    print("READY %s %d" % (loc.addr, loc.port), flush=True)
    sys.stdin.read()
    os._exit(0)


def _start_server(framework: str):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (REPO_ROOT, os.environ.get("PYTHONPATH", "")) if p))
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", framework],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    buf = b""
    deadline = time.monotonic() + 60
    while True:
        r, _, _ = select.select([proc.stdout], [], [], max(0, deadline - time.monotonic()))
        if not r:
            proc.kill()
            raise RuntimeError("%s server did not start" % framework)
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            raise RuntimeError("%s server exited at start" % framework)
        buf += chunk
        for line in buf.split(b"\n"):
            parts = line.split()
            if len(parts) == 3 and parts[0] == b"READY":
                return proc, parts[1].decode(), int(parts[2])


# ---------------------------------------------------------------- worker side

def _client(framework: str, params: Dict[str, Any]) -> Dict[str, Any]:
    proc, addr, port = _start_server(framework)
    try:
        if framework == "picoos":
            import picoos.netpycos as mod
            kernel = mod.Pycos(host="127.0.0.1", secret=SECRET, discover_peers=False,
                               name="bench-client")
        else:
            import logging
            import pycos.netpycos as mod
            mod.logger.setLevel(logging.WARNING)
            kernel = mod.Pycos(host="127.0.0.1", udp_port=0, secret=SECRET,
                               discover_peers=False, name="bench-client")
        n, m, size = params["n"], params["m"], params["size"]

        def main(task=None):
            loc = mod.Location(addr, port)
            yield kernel.peer(loc)
            echo = yield mod.Task.locate("echo", loc, timeout=30)
            sink = yield mod.Task.locate("sink", loc, timeout=30)
            if echo is None or sink is None:
                raise RuntimeError("server tasks not found")
            for i in range(200):        # warm up the links
                echo.send((task, i))
                yield task.receive()
            t0 = time.perf_counter()
            for i in range(n):
                echo.send((task, i))
                x = yield task.receive()
                if x != i:
                    raise RuntimeError("sent %r, got back %r" % (i, x))
            rtt = time.perf_counter() - t0
            payload = b"x" * size
            sink.send((task, m))
            t0 = time.perf_counter()
            for _ in range(m):
                sink.send(payload)
            got = yield task.receive()
            thr = time.perf_counter() - t0
            if got != m:
                raise RuntimeError("sink counted %r of %d" % (got, m))
            return {"rtt_time": rtt, "thr_time": thr}

        res = mod.Task(main).value()
        if not isinstance(res, dict):
            raise RuntimeError("client task failed: %r" % (res,))
        return res
    finally:
        proc.stdin.close()
        proc.wait(30)


def work_picoos(params):
    return _client("picoos", params)


def work_pycos(params):
    res = _client("pycos", params)
    import pycos
    res["version"] = pycos.__version__
    return res


def main() -> int:
    if "--serve" in sys.argv:
        serve(sys.argv[sys.argv.index("--serve") + 1])
    bench = Bench("net", __doc__, FRAMEWORKS)
    bench.worker(picoos=work_picoos, pycos=work_pycos)
    bench.parser.add_argument("--n", type=int, help="round trips (default 20000)")
    bench.parser.add_argument("--m", type=int, help="one-way messages (default 50000)")
    bench.parser.add_argument("--size", type=int, default=1024,
                              help="one-way message payload in bytes (default 1024)")
    bench.parser.add_argument("--rounds", type=int,
                              help="fresh process pairs per framework (default 3)")
    args = bench.parse_args()
    n = args.n if args.n is not None else (1000 if args.quick else 20000)
    m = args.m if args.m is not None else (2000 if args.quick else 50000)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if n < 1 or m < 1 or rounds < 1 or args.size < 0:
        bench.parser.error("--n, --m, --rounds must be >= 1 and --size >= 0")
    bench.header("remote messages between 2 processes on loopback: %s round trips, %s "
                 "one-way messages of %d B; median of %d process pairs"
                 % ("{:,}".format(n), "{:,}".format(m), args.size, rounds))
    params = {"n": n, "m": m, "size": args.size}
    figures, results = {}, {}
    for fw, runs in bench.run_rounds(params, rounds).items():
        if "error" in runs[-1]:
            results[fw] = runs[-1]
            continue
        rt = median(r["rtt_time"] for r in runs)
        tt = median(r["thr_time"] for r in runs)
        results[fw] = dict(runs[0])
        figures[fw] = (n / rt, m / tt, m * args.size / tt / 1e6)
    ref = figures.get("picoos")
    rows = []
    for fw in args.frameworks:
        if fw not in figures:
            rows.append([fw, "ERROR: " + results[fw]["error"]])
            continue
        f = figures[fw]
        version = results[fw].get("version", "0.1.0" if fw == "picoos" else "?")
        rows.append([fw, version, fmt_rate(f[0]), fmt_ratio(f[0], ref and ref[0]),
                     fmt_rate(f[1]), "%.1f" % f[2], fmt_ratio(f[1], ref and ref[1])])
    bench.table(["framework", "version", "round trips/s", "vs picoos", "msgs/s one way",
                 "MB/s", "vs picoos"], rows)
    if "picoos" in figures and "pycos" in figures:
        p, o = figures["picoos"][0], figures["pycos"][0]
        bench.check("picoos >= 2x pycos round trips/s", p >= 2 * o, "(%s)" % fmt_ratio(p, o))
    elif "picoos" in args.frameworks and "pycos" in args.frameworks:
        bench.check("picoos >= 2x pycos round trips/s", None, "(a side failed)")
    return bench.finish(["net %s: %s round trips/s, %s msgs/s" % (fw, fmt_rate(f[0]),
                                                                  fmt_rate(f[1]))
                         for fw, f in figures.items()])


if __name__ == "__main__":
    sys.exit(main())
