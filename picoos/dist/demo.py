"""``./dev demo``: a fleet farming a real batch, losing a node, and finishing.

Without ``--nodes`` it starts three ``picoos-node`` processes on loopback
(the embedded default: no boards needed), farms a batch of prime-counting
jobs (primes below 10 million, in segments) with a retry-safe client,
kills one node with SIGKILL part-way through to show its jobs being rerun
elsewhere, checks the answer, and prints what happened and the web monitor
URL. ``--nodes pi-a,pi-b:9706`` drives real boards instead (then a secret
is needed: ``--secret-file``).
"""
from __future__ import annotations

import argparse
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from typing import List, Optional

LOCAL_NODES = 3
SEGMENT = 5000


def count_primes(lo: int, hi: int) -> int:
    """Primes p with lo <= p < hi (a segmented sieve: real CPU work)."""
    if hi <= 2:
        return 0
    lo = max(lo, 2)
    limit = int(hi ** 0.5) + 1
    small = bytearray([1]) * (limit + 1)
    small[0:2] = b"\x00\x00"
    for i in range(2, int(limit ** 0.5) + 1):
        if small[i]:
            small[i * i::i] = bytearray(len(small[i * i::i]))
    seg = bytearray([1]) * (hi - lo)
    for p in range(2, limit + 1):
        if small[p]:
            start = max(p * p, (lo + p - 1) // p * p)
            if start < hi:
                seg[start - lo::p] = bytearray(len(seg[start - lo::p]))
    return sum(seg)


def _start_local_node(index: int, dest: str, secret: str) -> "subprocess.Popen[str]":
    args = [sys.executable, "-m", "picoos.dist.node", "--daemon", "--tcp-port", "0",
            "--udp-port", "0", "-c", "1", "--name", f"local-{index + 1}",
            "--dest-path", os.path.join(dest, f"node{index + 1}"), "--pulse-interval", "0.5",
            "-q"]
    if secret:
        args += ["--secret", secret, "--host", "127.0.0.1"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, start_new_session=True)


def _ready_address(proc: "subprocess.Popen[str]", timeout: float = 60.0) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    match = re.search(r"ready (\S+:\d+)", line)
    if not match:
        raise SystemExit(f"demo: a local node did not start (got {line!r})")
    return match.group(1)


def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


def _kill_board(proc: "subprocess.Popen[str]") -> None:
    """SIGKILL a node and its server processes, as pulling a board's plug would."""
    for pid in [proc.pid] + _children(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``python -m picoos.dist.demo`` and ``picoos-demo``."""
    parser = argparse.ArgumentParser(prog="picoos-demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", help="comma-separated host[:port] of real nodes "
                                        "(default: start 3 local nodes)")
    parser.add_argument("--jobs", type=int, default=2000, help="jobs in the batch (default 2000)")
    parser.add_argument("--secret", default="", help="shared secret of the nodes")
    parser.add_argument("--secret-file", help="read the shared secret from this file")
    parser.add_argument("--no-kill", action="store_true",
                        help="do not kill a node part-way (local fleet only)")
    parser.add_argument("--monitor-port", type=int, default=8181,
                        help="web monitor port (default 8181; 0 = any free port)")
    parser.add_argument("--keep-monitor", action="store_true",
                        help="keep the web monitor running after the batch until Ctrl-C")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: expected at least 1")
    secret = args.secret
    if args.secret_file:
        with open(args.secret_file) as f:
            secret = f.readline().strip()

    import logging
    # the demo reports losses itself; the library's warnings would break the progress line
    logging.getLogger("picoos").setLevel(logging.ERROR)
    from picoos.dist.client import Client
    from picoos.dist.httpd import Monitor
    from picoos.dist.progress import Progress

    procs: List["subprocess.Popen[str]"] = []
    tmp = tempfile.mkdtemp(prefix="picoos-demo-")
    t_start = time.monotonic()
    if args.nodes:
        addrs = [a.strip() for a in args.nodes.split(",") if a.strip()]
        kill = None
    else:
        print(f"starting {LOCAL_NODES} local picoos-node processes on loopback ...")
        procs = [_start_local_node(i, tmp, secret) for i in range(LOCAL_NODES)]
        addrs = [_ready_address(p) for p in procs]
        kill = None if args.no_kill else procs[1]
    client = Client([count_primes], nodes=addrs, pulse_interval=0.5, retry=True, secret=secret,
                    dest_path=os.path.join(tmp, "client"))
    monitor = None
    try:
        try:
            monitor = Monitor(client, port=args.monitor_port).start()
        except OSError:
            monitor = Monitor(client, port=0).start()
        print(f"web monitor: {monitor.url}")
        client.schedule(timeout=60)
        client.wait_servers(len(addrs), 30)
        print(f"fleet: {', '.join(addrs)} ({len(client.servers())} servers); "
              f"farming {args.jobs} jobs")
        t_batch = time.monotonic()
        jobs = [client.run(count_primes, i * SEGMENT, (i + 1) * SEGMENT) for i in range(args.jobs)]
        progress = Progress(client, total=args.jobs).start()
        killed_at = None
        total = 0
        for n, job in enumerate(jobs):
            total += job.result(timeout=600)
            if kill is not None and killed_at is None and n >= args.jobs * 0.4:
                killed_at = n
                victim = next(x for x in client.snapshot()["nodes"] if x["addr"] + ":" +
                              str(x["port"]) == addrs[1])
                _kill_board(kill)
                sys.stderr.write("\r\x1b[K") if progress.enabled else None
                print(f"killed node {victim['name']} ({addrs[1]}) with SIGKILL after "
                      f"{n + 1} results; its jobs will run elsewhere")
        progress.stop()
        elapsed = time.monotonic() - t_batch
        snap = client.snapshot()
        counts = snap["jobs"]
        limit = args.jobs * SEGMENT
        print()
        print(f"primes below {limit:,}: {total:,}", end="")
        if limit == 10_000_000:
            print("  (correct)" if total == 664_579 else "  (WRONG: expected 664,579)")
        else:
            print()
        print(f"jobs done: {counts['done']}/{args.jobs}, rerun after node loss: {counts['rerun']}, "
              f"abandoned: {counts['abandoned']}, duplicate results dropped: "
              f"{counts['duplicates_dropped']}")
        for node in snap["nodes"]:
            print(f"  {node['name']:>10} {node['addr']}:{node['port']}  {node['state']:<9} "
                  f"{node['done']:>5} jobs")
        print(f"batch time {elapsed:.2f}s ({args.jobs / elapsed:.0f} jobs/s), "
              f"total {time.monotonic() - t_start:.2f}s")
        print(f"web monitor: {monitor.url}")
        if args.keep_monitor:
            print("monitor kept running; Ctrl-C to stop")
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
        ok = counts["done"] == args.jobs and counts["abandoned"] == 0
        return 0 if ok else 1
    finally:
        client.close(terminate=True, timeout=30)
        if monitor is not None:
            monitor.shutdown()
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
