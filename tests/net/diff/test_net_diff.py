"""Networked programs print on picoos what they printed on pycos 4.12.2.

Each program here starts a second networked kernel (itself, as `server`)
and exercises pycos's net API across the two processes on loopback: peer,
peers, peer_status, Task/Channel/RPS.locate, remote send/deliver/monitor/
terminate, channel subscribe/deliver, RPS calls, send_file/del_file. Its
`.out` is what it printed on pycos (see tests/diffprog.py); the test runs
the picoos version and wants the same lines, except for the differences
listed here with their reasons.
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

#: (pycos's line, picoos's line, why) per program
KNOWN = {
    "net_misc.py": [
        ("value by adder(): None", "value by adder(): 42",
         "pycos's finish() of a task found with Task.locate waits out its timeout and gives "
         "None; picoos gives the remote task's result"),
        ("close_peer: None", "close_peer: 0",
         "pycos's close_peer has no result; picoos gives 0 (-1 for a location that is not "
         "a peer)"),
    ],
    "net_files.py": [
        ("send_file same again: 0", "send_file same again: 1",
         "pycos documents 1 for 'the same file is already there' but returns 0"),
    ],
}


def test_every_program_has_a_recording():
    missing = [p for p in PROGRAMS if not os.path.exists(os.path.join(HERE, p[:-3] + ".out"))]
    assert not missing and len(PROGRAMS) >= 2, missing


@pytest.mark.parametrize("program", PROGRAMS)
def test_prints_what_pycos_printed(program):
    if program == "net_misc.py" and shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    problem = compare(os.path.join(HERE, program), known=KNOWN.get(program, ()))
    assert problem is None, problem
