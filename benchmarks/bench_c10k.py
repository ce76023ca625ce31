"""C10K benchmark: 10,000 open connections on one picoos kernel, and what they cost.

Why: a board serving a fleet, or a node with many peers, holds thousands of
mostly idle connections; what matters then is memory per connection and
that none of them is dropped. The C load generator (loadgen.c, `hold` mode)
opens N connections to an echo server at once, keeps every one open, and
has each do a few 64-byte request/response rounds with all of them in
flight together. With every connection still open we read the server's
RSS from /proc/<pid>/statm; (RSS - RSS before the first connection) / N is
the cost of one connection: the kernel's task, the socket object, the
suspended recv and the notifier's bookkeeping (kernel socket buffers are
not in RSS). The same run is made against pycos and asyncio.

    python benchmarks/bench_c10k.py            # 10,000 connections, 5 rounds each
    python benchmarks/bench_c10k.py --quick    # 10,000 connections, 1 round
    python benchmarks/bench_c10k.py --conns 20000 --servers picoos

Goal (issue "Async I/O"): zero errors and <= 1.5 KB of server RSS per
connection (pycos ~3.0 KB, asyncio Protocol ~1.7 KB).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "servers"))

from _harness import BenchError, LoadGen, Report, Server, build_loadgen, machine_line  # noqa: E402

DEFAULT_SERVERS = "picoos,picoos-async,pycos,asyncio,asyncio-protocol,uvloop-protocol"


def raise_nofile(need: int) -> None:
    """Raise our soft fd limit so the children (load generator, servers)
    inherit it; say so, since it changes the machine's behaviour."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        print("RLIMIT_NOFILE soft limit %d is enough for %d fds" % (soft, need))
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        raise BenchError("need %d file descriptors but the hard RLIMIT_NOFILE is %d; raise it "
                         "(ulimit -Hn) or use --conns" % (need, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    print("raised the soft RLIMIT_NOFILE from %d to %d for this run" % (soft, need))


def run_one(binary: str, name: str, conns: int, rounds: int, msgsize: int) -> dict:
    server = Server(name, ["--nofile", str(conns + 256)])
    try:
        base = server.rss_bytes()
        gen = LoadGen(binary, ["hold", "127.0.0.1", server.port, conns, rounds, msgsize])
        try:
            line = gen.expect("RESULT")
            gen.expect("READY")
            server.check_alive()
            held = server.rss_bytes()
        finally:
            err = gen.finish() if gen.proc.poll() is None else gen.proc.stderr.read()
        server.check_alive()
    finally:
        server.stop()
    result = {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    result.update(base_rss=base, held_rss=held, per_conn=(held - base) / conns,
                  loadgen_stderr=err.strip())
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round per connection")
    parser.add_argument("--servers", default=DEFAULT_SERVERS)
    parser.add_argument("--conns", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--msgsize", type=int, default=64)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1
    names = [s for s in args.servers.split(",") if s]
    report = Report("c10k", args.quick)
    print(machine_line(), flush=True)
    # the load generator needs one fd per connection, the server one more
    raise_nofile(args.conns + 256)
    binary = build_loadgen()
    print("C10K: %d connections held open, %d x %d-byte round(s) each, all in flight together; "
          "Python %s" % (args.conns, args.rounds, args.msgsize, sys.version.split()[0]),
          flush=True)
    rows, failed = [], []
    for name in names:
        try:
            r = run_one(binary, name, args.conns, args.rounds, args.msgsize)
        except BenchError as exc:
            print("%s: failed: %s" % (name, exc), flush=True)
            failed.append(name)
            report.failed.append(name)
            continue
        rows.append((name, r))
        report.records.append({"framework": name, "params": {"conns": args.conns,
                                                              "rounds": args.rounds},
                               "result": r})
        print("%-16s alive %5d/%d  errors %d  %6.2f s  RSS %6.1f -> %6.1f MiB  %5.0f B/conn%s"
              % (name, r["alive"], args.conns, r["errors"], r["seconds"],
                 r["base_rss"] / 2 ** 20, r["held_rss"] / 2 ** 20, r["per_conn"],
                 ("  (" + r["loadgen_stderr"] + ")") if r["loadgen_stderr"] else ""), flush=True)
    base = dict(rows).get("picoos")
    print()
    print("| server | connections alive | errors | server RSS per connection | vs picoos | "
          "wall time (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        ratio = "%.2fx" % (r["per_conn"] / base["per_conn"]) if base and base["per_conn"] else "-"
        print("| %s | %d / %d | %d | %s B | %s | %.2f |" % (
            name, r["alive"], args.conns, r["errors"], format(int(r["per_conn"]), ","), ratio,
            r["seconds"]))
    print()
    if base:
        report.check("C10K RSS per connection <= 1.5 KB", base["per_conn"] <= 1500,
                     "picoos %s B/conn%s" % (format(int(base["per_conn"]), ","), "".join(
                         ", %s %s B" % (n, format(int(r["per_conn"]), ","))
                         for n, r in rows if n in ("pycos", "asyncio-protocol"))))
        report.check("C10K zero errors, all connections alive",
                     not base["errors"] and base["alive"] == args.conns,
                     "picoos %d/%d alive, %d errors" % (base["alive"], args.conns,
                                                         base["errors"]))
    else:
        report.check("C10K picoos", None, "picoos did not run")
    report.finish()
    bad = [n for n, r in rows if r["errors"] or r["alive"] != args.conns]
    return 1 if failed or bad else 0


if __name__ == "__main__":
    sys.exit(main())
