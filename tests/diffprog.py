"""Differential programs: the same program run on picoos and on pycos.

A program in tests/drivers/diff/ or tests/net/diff/ is written for picoos
(`import picoos as pycos`, `import picoos.netpycos as pycos`) and prints
what each call it makes gives back: return values, exception types, the
messages tasks receive - never addresses, times or fd numbers. Its
`<name>.out` beside it is what the same program printed on pycos 4.12.2,
with only its imports renamed (`to_pycos`). The tests run the picoos
version and compare line by line; the recording does not need pycos at
test time.

Record again after changing a program (needs pycos installed, as in the
development venv):

    .venv/bin/python tests/diffprog.py record tests/drivers/diff/sock_tcp.py ...
    .venv/bin/python tests/diffprog.py compare tests/net/diff/*.py   # both, side by side

Where picoos differs from pycos on purpose (a defect fixed, or a
difference owned elsewhere and reported), the test passes `known`: pairs
of (pycos's line, picoos's line) with the reason, applied to the recording
before comparing, so the .out always stays exactly what pycos printed.
"""
from __future__ import annotations

import difflib
import os
import re
import signal
import subprocess
import sys
import tempfile
from typing import List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: a program that takes this long hangs; healthy ones take a few seconds
BOUND = 60.0

_RENAMES = [
    (re.compile(r"^(\s*)import picoos\.netpycos as pycos\b", re.M),
     r"\1import pycos.netpycos as pycos"),
    (re.compile(r"^(\s*)import picoos as pycos\b", re.M), r"\1import pycos"),
    (re.compile(r"^(\s*)import picoos\.(\w+)", re.M), r"\1import pycos.\2"),
    (re.compile(r"^(\s*)from picoos(\.\w+)? import ", re.M), r"\1from pycos\2 import "),
]
# pycos logs its version (and some warnings) on stdout with a time stamp
_PYCOS_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d pycos - .*\n?", re.M)


def to_pycos(source: str) -> str:
    """The program with its picoos imports renamed to pycos's."""
    for pat, rep in _RENAMES:
        source = pat.sub(rep, source)
    return source


def run(path: str, impl: str = "picoos", python: Optional[str] = None,
        bound: float = BOUND) -> subprocess.CompletedProcess:
    """Run the program at `path` on `impl` ("picoos" or "pycos") in a fresh
    temporary directory (its cwd, also TMPDIR); the finished process with
    text stdout/stderr."""
    with open(path) as f:
        source = f.read()
    if impl == "pycos":
        source = to_pycos(source)
    with tempfile.TemporaryDirectory(prefix="picoos-diff-") as tmp:
        prog = os.path.join(tmp, os.path.basename(path))
        with open(prog, "w") as f:
            f.write(source)
        env = dict(os.environ)
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        env["PYTHONUNBUFFERED"] = "1"
        env["TMPDIR"] = tmp
        env.pop("PICOOS_NOTIFIER", None)
        child = subprocess.Popen([python or sys.executable, prog], cwd=tmp, env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = child.communicate(timeout=bound)
        except subprocess.TimeoutExpired:
            # a hang: end it and whatever it started, keep what it printed
            os.killpg(child.pid, signal.SIGKILL)
            out, err = child.communicate()
            err += "\n[diffprog: killed after %s s]" % bound
        proc = subprocess.CompletedProcess(child.args, child.returncode, out, err)
    if impl == "pycos":
        proc.stdout = _strip_pycos_log(proc.stdout)
    return proc


def _strip_pycos_log(text: str) -> str:
    """`text` without pycos's log records (a time-stamped line; one that
    carries a traceback runs on to the next blank line)."""
    out = []
    in_trace = False
    for line in text.splitlines(keepends=True):
        if in_trace:
            in_trace = bool(line.strip())
            continue
        if _PYCOS_LOG.match(line):
            in_trace = "Traceback (most recent call last)" in line
            continue
        out.append(line)
    return "".join(out)


def out_path(path: str) -> str:
    return os.path.splitext(path)[0] + ".out"


def expected(path: str, known=()) -> List[str]:
    """The recorded lines, with each (pycos_line, picoos_line, why) of
    `known` swapped in; a pair whose pycos line is not in the recording
    is an error (the recording or the program changed)."""
    with open(out_path(path)) as f:
        lines = f.read().splitlines()
    for theirs, ours, why in known:
        if theirs not in lines:
            raise AssertionError("known difference %r (%s) is not in %s"
                                 % (theirs, why, out_path(path)))
        lines[lines.index(theirs)] = ours
    return lines


def compare(path: str, python: Optional[str] = None, known=()) -> Optional[str]:
    """Run the picoos version; None if it printed the recorded lines (with
    the `known` differences), else a diff plus its stderr (for the test's
    failure message)."""
    proc = run(path, "picoos", python)
    got = proc.stdout.splitlines()
    want = expected(path, known)
    if got == want and proc.returncode == 0:
        return None
    diff = "\n".join(difflib.unified_diff(want, got, "pycos (recorded)", "picoos", lineterm=""))
    return "exit status %s\n%s\n--- stderr:\n%s" % (proc.returncode, diff, proc.stderr[-4000:])


def main(argv: List[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("record", "compare"):
        print("usage: diffprog.py record|compare PROGRAM.py ...", file=sys.stderr)
        return 2
    status = 0
    for path in argv[1:]:
        theirs = run(path, "pycos")
        if theirs.returncode != 0:
            print("%s: pycos run failed (%s):\n%s" % (path, theirs.returncode, theirs.stderr))
            status = 1
            continue
        if argv[0] == "record":
            with open(out_path(path), "w") as f:
                f.write(theirs.stdout)
            print("recorded %s (%d lines)" % (out_path(path), len(theirs.stdout.splitlines())))
        else:
            ours = run(path, "picoos")
            diff = list(difflib.unified_diff(theirs.stdout.splitlines(),
                                             ours.stdout.splitlines(), "pycos", "picoos",
                                             lineterm=""))
            print("== %s: %s" % (path, "same" if not diff and ours.returncode == 0 else
                                 "DIFFERENT (exit %s)" % ours.returncode))
            for ln in diff:
                print(ln)
            if ours.returncode:
                print(ours.stderr[-3000:])
            status |= bool(diff) or bool(ours.returncode)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
