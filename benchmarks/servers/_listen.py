"""Shared start-up for the benchmark echo servers.

Every server script takes the same arguments, binds the same way and prints
its port in the same format, so benchmarks/bench_echo.py and bench_c10k.py
can start any of them and treat them alike. Kept free of picoos imports so
the pycos/asyncio servers do not load picoos at all.
"""
from __future__ import annotations

import argparse
import resource
import socket
import sys


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--backlog", type=int, default=4096)
    parser.add_argument("--bufsize", type=int, default=4096,
                        help="bytes asked for per recv")
    parser.add_argument("--nofile", type=int, default=0,
                        help="raise the soft RLIMIT_NOFILE to at least this")
    return parser.parse_args()


def raise_nofile(need: int) -> None:
    """Raise the soft fd limit (C10K needs more than the usual 1024)."""
    if not need:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        print(f"server: raised soft RLIMIT_NOFILE {soft} -> {new}", file=sys.stderr, flush=True)


def listen(args: argparse.Namespace) -> socket.socket:
    raise_nofile(args.nofile)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(args.backlog)
    return sock


def announce(sock: socket.socket) -> None:
    """Tell the benchmark driver where we listen (one line on stdout)."""
    print(f"PORT {sock.getsockname()[1]}", flush=True)
