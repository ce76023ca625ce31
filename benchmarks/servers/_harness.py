"""Driver-side helpers shared by bench_echo.py and bench_c10k.py.

Both benchmarks start an echo server from this folder in its own process,
drive it with the C load generator (benchmarks/loadgen.c, compiled here at
run time with gcc) and read the server's CPU time and memory from /proc.
Keeping that machinery in one place makes the two benchmarks measure the
same way.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
REPO = os.path.dirname(BENCH)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# name -> command line (after the interpreter) of each server
SERVERS: Dict[str, List[str]] = {
    "picoos": [os.path.join(HERE, "echo_picoos.py")],
    "picoos-async": [os.path.join(HERE, "echo_picoos.py"), "--style", "async"],
    "pycos": [os.path.join(HERE, "echo_pycos.py")],
    "asyncio": [os.path.join(HERE, "echo_asyncio.py")],
    "uvloop": [os.path.join(HERE, "echo_asyncio.py"), "--uvloop"],
    "asyncio-protocol": [os.path.join(HERE, "echo_asyncio_protocol.py")],
    "uvloop-protocol": [os.path.join(HERE, "echo_asyncio_protocol.py"), "--uvloop"],
}


def _bench_common():
    """benchmarks/_common.py (the runner's shared module) for the machine
    line and the JSON hand-off, so these scripts report like the others."""
    if BENCH not in sys.path:
        sys.path.append(BENCH)
    import _common
    return _common


def machine_line() -> str:
    return _bench_common().machine_line()


def strace_counts(path: str) -> Dict[str, int]:
    """Calls per syscall from an `strace -c` summary file."""
    counts: Dict[str, int] = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            # "% time  seconds  usecs/call  calls  [errors]  syscall"
            if len(parts) in (5, 6) and parts[3].isdigit() and parts[-1] != "total":
                counts[parts[-1]] = counts.get(parts[-1], 0) + int(parts[3])
    return counts


class Strace:
    """`strace -c -f` attached to a server: counts its syscalls (slowly)."""

    def __init__(self, pid: int) -> None:
        exe = shutil.which("strace")
        if not exe:
            raise BenchError("--syscalls needs strace (apt-get install strace)")
        self.path = os.path.join(tempfile.mkdtemp(prefix="picoos-strace-"), "counts")
        atexit.register(shutil.rmtree, os.path.dirname(self.path), True)
        self.proc = subprocess.Popen([exe, "-c", "-f", "-o", self.path, "-p", str(pid)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # strace says "Process N attached" once it is in place
        line = self.proc.stderr.readline()
        if "attached" not in line:
            self.proc.kill()
            raise BenchError("strace could not attach to the server: %r (ptrace allowed?)"
                             % line.strip())

    def stop(self) -> Dict[str, int]:
        self.proc.terminate()
        self.proc.wait(30)
        self.proc.stderr.close()
        return strace_counts(self.path)


class Report:
    """Goal verdicts and figures, printed and handed to benchmarks/run.py."""

    def __init__(self, name: str, quick: bool) -> None:
        self.name = name
        self.quick = quick
        self.records: List[dict] = []
        self.checks: List[dict] = []
        self.failed: List[str] = []

    def check(self, goal: str, ok: Optional[bool], detail: str) -> None:
        verdict = "UNKNOWN" if ok is None else ("MET" if ok else "NOT MET")
        if self.quick:
            detail += " [quick run: not a verdict]"
        self.checks.append({"goal": goal, "verdict": verdict, "detail": detail})
        print("goal: %-40s %-8s %s" % (goal, verdict, detail), flush=True)

    def finish(self) -> None:
        common = _bench_common()
        path = os.environ.get(common.JSON_ENV)
        if not path:
            return
        payload = {"bench": self.name, "machine": common.machine_info(), "quick": self.quick,
                   "records": self.records, "checks": self.checks, "summary": [],
                   "failed": sorted(set(self.failed))}
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump(payload, f, indent=1)


class BenchError(RuntimeError):
    """A benchmark could not run (no gcc, a server died, bad output)."""


def build_loadgen() -> str:
    """Compile loadgen.c into a temporary directory; return the binary's path."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if not gcc:
        raise BenchError("the load generator needs a C compiler: install gcc")
    tmp = tempfile.mkdtemp(prefix="picoos-loadgen-")
    atexit.register(shutil.rmtree, tmp, True)
    out = os.path.join(tmp, "loadgen")
    subprocess.run([gcc, "-O2", "-o", out, os.path.join(BENCH, "loadgen.c")], check=True)
    return out


def _pin(cpu: Optional[int]):
    """preexec_fn pinning a child to one CPU, so server and client do not fight."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def cpus() -> List[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


class Server:
    """An echo server child process; the port comes from its "PORT n" line."""

    def __init__(self, name: str, extra: List[str] = (), cpu: Optional[int] = None,
                 env: Optional[Dict[str, str]] = None):
        if name not in SERVERS:
            raise BenchError(f"unknown server {name!r}; expected one of {sorted(SERVERS)}")
        self.name = name
        child_env = dict(os.environ)
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (REPO, child_env.get("PYTHONPATH")) if p)
        child_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable] + SERVERS[name] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_pin(cpu), env=child_env)
        self.port = 0
        for line in self.proc.stdout:
            if line.startswith("PORT "):
                self.port = int(line.split()[1])
                break
        if not self.port:
            self.proc.wait(10)
            raise BenchError(f"server {name} did not start: {self.proc.stderr.read()[-2000:]}")

    def cpu_times(self) -> Tuple[float, float]:
        """(utime, stime) of the server process in seconds, from /proc/<pid>/stat."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # after the ")" closing comm, utime and stime are fields 12 and 13 (0-based 11, 12)
        return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK

    def cpu_seconds(self) -> float:
        """utime + stime of the server process."""
        return sum(self.cpu_times())

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.proc.pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(f"server {self.name} exited ({self.proc.returncode}): "
                             f"{self.proc.stderr.read()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def parse_result(line: str) -> Dict[str, float]:
    if not line.startswith("RESULT "):
        raise BenchError(f"unexpected load generator output {line!r}; expected 'RESULT ...'")
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


class LoadGen:
    """The C load generator as a child process speaking a line protocol."""

    def __init__(self, binary: str, args: List[str], cpu: Optional[int] = None):
        self.proc = subprocess.Popen([binary] + [str(a) for a in args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=_pin(cpu))

    def expect(self, prefix: str) -> str:
        line = self.proc.stdout.readline()
        if not line.startswith(prefix):
            self.proc.kill()
            raise BenchError(f"load generator said {line!r}, expected {prefix!r}: "
                             f"{self.proc.stderr.read()[-2000:]}")
        return line.strip()

    def finish(self) -> str:
        """Let the load generator close its connections and exit; return its stderr."""
        self.proc.stdin.write("\n")
        self.proc.stdin.close()
        self.proc.wait(60)
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return err
