"""Driver programs print on picoos what they printed on pycos 4.12.2.

Each program here (sockets over loopback, TLS, AsyncFile on pipes,
AsyncPipe with real subprocesses, the thread pool and a sqlite3 cursor)
prints the return values and exception kinds of pycos's driver API; its
`.out` is what it printed on pycos (see tests/diffprog.py). The test runs
the picoos version in a fresh interpreter and wants the same lines.
"""
from __future__ import annotations

import glob
import os
import shutil

import pytest

from diffprog import compare

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(HERE, "*.py"))
                  if not os.path.basename(p).startswith("test_"))
#: programs that show a known picoos bug outside the drivers (owner told)
KNOWN_BROKEN = {}


def test_every_program_has_a_recording():
    missing = [p for p in PROGRAMS if not os.path.exists(os.path.join(HERE, p[:-3] + ".out"))]
    assert not missing and len(PROGRAMS) >= 7, missing


@pytest.mark.parametrize("program", [
    pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[p]))
    if p in KNOWN_BROKEN else p for p in PROGRAMS])
def test_prints_what_pycos_printed(program):
    if program == "sock_tls.py" and shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    problem = compare(os.path.join(HERE, program))
    assert problem is None, problem
