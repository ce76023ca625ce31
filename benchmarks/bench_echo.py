"""TCP echo benchmark: picoos side by side with pycos, asyncio and uvloop.

Why: the echo loop (recv 64 bytes, send them back) is the hot path of every
socket driver, so it shows the per-call cost of AsyncSocket, the kernel's
task switch and the notifier. One C load generator (loadgen.c, compiled
with gcc at run time) drives each server in turn with C = 10, 100 and 1000
closed-loop connections over loopback (--pin puts server and load generator
on separate CPUs). For each run we print requests/s, p99 round-trip
latency, the SERVER's CPU time per request (utime+stime from
/proc/<pid>/stat across the measured window) and ratios to picoos.

    python benchmarks/bench_echo.py            # full run (~1 minute)
    python benchmarks/bench_echo.py --quick    # short windows, for CI
    python benchmarks/bench_echo.py --servers picoos,pycos --conns 1000
    python benchmarks/bench_echo.py --syscalls   # syscalls per request (strace)

Goal at C=1000 (issue "Async I/O"): picoos >= 2x pycos requests/s and
<= 0.5x pycos server CPU per request.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "servers"))

from _harness import (BenchError, LoadGen, Report, Server, Strace,  # noqa: E402
                      build_loadgen, cpus, machine_line, parse_result)

DEFAULT_SERVERS = "picoos,picoos-async,pycos,asyncio,uvloop"


def measure(binary: str, server: Server, conns: int, warmup: float, seconds: float,
            msgsize: int, cpu) -> Dict[str, float]:
    gen = LoadGen(binary, ["echo", "127.0.0.1", server.port, conns, warmup, seconds, msgsize],
                  cpu=cpu)
    ramp = gen.expect("MEASURE")
    user0, sys0 = server.cpu_times()
    result = parse_result(gen.expect("RESULT"))
    user1, sys1 = server.cpu_times()
    cpu0, cpu1 = user0 + sys0, user1 + sys1
    gen.finish()
    server.check_alive()
    # seconds until every connection had been accepted and answered once
    result["ramp_s"] = float(ramp.split("ramp_s=")[1]) if "ramp_s=" in ramp else 0.0
    n = result["requests"] or float("inf")
    result["cpu_us_per_req"] = (cpu1 - cpu0) * 1e6 / n
    # user time is the framework's own work, system time mostly the socket
    # syscalls every server makes alike
    result["user_us_per_req"] = (user1 - user0) * 1e6 / n
    result["sys_us_per_req"] = (sys1 - sys0) * 1e6 / n
    return result


def count_syscalls(binary: str, name: str, conns: int, msgsize: int) -> Dict[str, float]:
    """Syscalls the server makes per request, counted by strace in a run of
    its own (strace slows the server, so no timing is taken from it)."""
    server = Server(name, ["--nofile", str(conns + 256)])
    try:
        tracer = Strace(server.proc.pid)
        try:
            gen = LoadGen(binary, ["echo", "127.0.0.1", server.port, conns, 0.2, 1.0, msgsize])
            gen.expect("MEASURE")
            gen.expect("RESULT")
            gen.finish()
        finally:
            counts = tracer.stop()
    finally:
        server.stop()
    # every echoed request is exactly one successful write of the reply
    replies = sum(counts.get(k, 0) for k in ("sendto", "send", "write", "writev", "sendmsg"))
    if not replies:
        raise BenchError("strace saw no writes from %s" % name)
    per = {k: v / replies for k, v in counts.items()}
    per["total"] = sum(counts.values()) / replies
    return per


def syscall_table(found: List[Tuple[str, int, Dict[str, float]]]) -> str:
    out = ["| server | C | syscalls/request | reads | writes | epoll_ctl | epoll_wait | other |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, c, per in found:
        reads = sum(per.get(k, 0) for k in ("recvfrom", "recv", "read", "readv", "recvmsg"))
        writes = sum(per.get(k, 0) for k in ("sendto", "send", "write", "writev", "sendmsg"))
        ctl = per.get("epoll_ctl", 0)
        wait = per.get("epoll_wait", 0) + per.get("epoll_pwait", 0)
        other = per["total"] - reads - writes - ctl - wait
        out.append("| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |"
                   % (name, c, per["total"], reads, writes, ctl, wait, other))
    return "\n".join(out)


def table(rows: List[Tuple[str, int, Dict[str, float]]], base: str) -> str:
    ref = {c: r for n, c, r in rows if n == base}
    out = ["| server | C | req/s | p99 latency (us) | server CPU/req (us) | of which user (us) "
           "| req/s vs %s | CPU/req vs %s | errors |" % (base, base),
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, c, r in rows:
        b = ref.get(c)
        rps_ratio = "%.2fx" % (r["rps"] / b["rps"]) if b and b["rps"] else "-"
        cpu_ratio = ("%.2fx" % (r["cpu_us_per_req"] / b["cpu_us_per_req"])
                     if b and b["cpu_us_per_req"] else "-")
        out.append("| %s | %d | %s | %.0f | %.2f | %.2f | %s | %s | %d |" % (
            name, c, format(int(r["rps"]), ","), r["p99_us"], r["cpu_us_per_req"],
            r["user_us_per_req"], rps_ratio, cpu_ratio, r["errors"]))
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows (0.3 s + 1 s)")
    parser.add_argument("--servers", default=DEFAULT_SERVERS,
                        help="comma-separated, from: picoos, picoos-async, pycos, asyncio, "
                             "uvloop, asyncio-protocol, uvloop-protocol")
    parser.add_argument("--conns", default="10,100,1000")
    parser.add_argument("--seconds", type=float, default=3.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--msgsize", type=int, default=64)
    # Not pinned by default: pycos runs its notifier in a second thread, and
    # pinning its process to one CPU cut its throughput by 3-10x here, which
    # would flatter picoos. --pin shows the single-core (Pi Zero) picture.
    parser.add_argument("--pin", action="store_true",
                        help="pin the server to one CPU and the load generator to another")
    parser.add_argument("--syscalls", action="store_true",
                        help="instead of timing, count each server's syscalls per request "
                             "with strace (a figure the machine's load does not change)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 1.0, 0.3
    names = [s for s in args.servers.split(",") if s]
    conn_counts = [int(c) for c in args.conns.split(",") if c]

    report = Report("echo", args.quick)
    print(machine_line(), flush=True)
    binary = build_loadgen()
    if args.syscalls:
        found = []
        for name in names:
            for c in conn_counts:
                try:
                    per = count_syscalls(binary, name, c, args.msgsize)
                except BenchError as exc:
                    print("%s C=%d: %s" % (name, c, exc), flush=True)
                    continue
                found.append((name, c, per))
                print("%-16s C=%-5d %.2f syscalls per request" % (name, c, per["total"]),
                      flush=True)
        print()
        print(syscall_table(found))
        return 0 if len(found) == len(names) * len(conn_counts) else 1
    avail = cpus()
    server_cpu, client_cpu = ((avail[0], avail[1]) if len(avail) >= 2 and args.pin
                              else (None, None))
    print("echo benchmark: %d-byte request/response over loopback, %.1f s per run after "
          "%.1f s warm-up; server pinned to CPU %s, load generator to CPU %s; Python %s"
          % (args.msgsize, args.seconds, args.warmup, "-" if server_cpu is None else server_cpu,
             "-" if client_cpu is None else client_cpu,
             sys.version.split()[0]), flush=True)
    rows = []
    failed = []
    for name in names:
        try:
            server = Server(name, ["--nofile", str(max(conn_counts) + 256)], cpu=server_cpu)
        except BenchError as exc:
            print("%s: could not start: %s" % (name, exc), flush=True)
            failed.append(name)
            report.failed.append(name)
            continue
        try:
            for c in conn_counts:
                r = measure(binary, server, c, args.warmup, args.seconds, args.msgsize,
                            client_cpu)
                rows.append((name, c, r))
                report.records.append({"framework": name, "params": {"conns": c},
                                       "result": r})
                print("%-16s C=%-5d %9s req/s  p99 %7.0f us  server CPU %6.2f us/req "
                      "(user %.2f + sys %.2f)  errors %d  (all connections served after %.2f s)"
                      % (name, c, format(int(r["rps"]), ","), r["p99_us"],
                         r["cpu_us_per_req"], r["user_us_per_req"], r["sys_us_per_req"],
                         r["errors"], r["ramp_s"]), flush=True)
        except BenchError as exc:
            print("%s: failed: %s" % (name, exc), flush=True)
            failed.append(name)
            report.failed.append(name)
        finally:
            server.stop()

    base = "picoos" if any(n == "picoos" for n, _, _ in rows) else (rows[0][0] if rows else "")
    print()
    print(table(rows, base))
    by = {(n, c): r for n, c, r in rows}
    c = max(conn_counts)
    p, q = by.get(("picoos", c)), by.get(("pycos", c))
    print()
    if p and q:
        rps, cpu = p["rps"] / q["rps"], p["cpu_us_per_req"] / q["cpu_us_per_req"]
        report.check("echo C=%d req/s >= 2x pycos" % c, rps >= 2.0,
                     "picoos %s req/s = %.2fx pycos %s" % (format(int(p["rps"]), ","), rps,
                                                          format(int(q["rps"]), ",")))
        report.check("echo C=%d server CPU/req <= 0.5x pycos" % c, cpu <= 0.5,
                     "picoos %.2f us = %.2fx pycos %.2f us" % (p["cpu_us_per_req"], cpu,
                                                             q["cpu_us_per_req"]))
    else:
        report.check("echo C=%d vs pycos" % c, None, "picoos or pycos did not run")
    report.finish()
    errors = sum(int(r["errors"]) for _, _, r in rows)
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
