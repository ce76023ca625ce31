"""Differential tests: pycos programs give the same output under picoos.

Each `diff/p*.py` is a small program written against pycos's API (`import
pycos`) that prints what the kernel API gives back (return codes, values of
`yield`, timeouts, monitor statuses, lock results...).  `<program>.expected`
is its output recorded under pycos 4.12.2 (`diff/record.sh`), task ids and
addresses replaced by placeholders.  Here each program runs under picoos in
a fresh interpreter (with `pycos` bound to `picoos`, the user's port) and
its output must equal the recording, except for the deviations listed in
DEVIATIONS, each a place where picoos does deliberately better.

pycos itself is not needed to run these tests.
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DIFF = os.path.join(HERE, "diff")
ROOT = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(DIFF, "p*.py")))

# program -> [(text in pycos's output, text in picoos's output, why)]
DEVIATIONS = {
    "p05_terminate.py": [
        # terminating a task inside a sub-call closes the inner generator first
        # (pycos drops the caller stack, so the outer finally runs first, at
        # garbage collection)
        ("outer finally\nterminate -> 0\nsub finally\n",
         "terminate -> 0\nsub finally\nouter finally\n",
         "finally blocks run innermost first, when the task is terminated"),
    ],
    "p15_terminate_all.py": [
        # atexit functions are called once the kernel has ended its tasks, as
        # pycos documents ("called after the scheduler has terminated"); pycos
        # 4.12.2 calls them first
        ("atexit ran\nstuck 0 closed\nstuck 1 closed\nstuck 2 closed\n",
         "stuck 0 closed\nstuck 1 closed\nstuck 2 closed\natexit ran\n",
         "atexit functions run after the kernel terminated its tasks"),
    ],
    "p18_channels.py": [
        # a subscriber that has ended is dropped by deliver, as by send (pycos
        # drops it on send only, and keeps it for ever after a deliver)
        ("unsubscribe a -> 0", "unsubscribe a -> -1",
         "deliver drops subscribers that have ended"),
    ],
}


def expected_output(program):
    with open(os.path.join(DIFF, program[:-3] + ".expected")) as f:
        text = f.read()
    for pycos_text, picoos_text, _why in DEVIATIONS.get(program, ()):
        assert pycos_text in text, "deviation for %s no longer applies: %r" % (program, pycos_text)
        text = text.replace(pycos_text, picoos_text)
    return text


def test_every_program_has_a_recording():
    assert len(PROGRAMS) >= 20
    for program in PROGRAMS:
        assert os.path.exists(os.path.join(DIFF, program[:-3] + ".expected")), program


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_output_matches_pycos(program):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PICOOS_NOTIFIER", None)
    proc = subprocess.run([sys.executable, os.path.join(DIFF, "run_prog.py"), program],
                          cwd=DIFF, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected_output(program), proc.stderr
