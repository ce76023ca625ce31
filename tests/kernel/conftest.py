"""Kernel tests only: a hang watchdog.

A kernel test that deadlocks (a task waiting for something that never
comes) would block the whole run, since the kernel then sleeps in the
notifier for ever.  The watchdog dumps every thread's traceback to
$TMPDIR/picoos-test-hang-<pid>.txt (pytest's capture would swallow stderr)
and ends the run after a bound that only a real hang reaches.  It is here,
not in tests/conftest.py, because other layers have legitimately slow tests.
"""
from __future__ import annotations

import faulthandler
import os
import tempfile

import pytest

# seconds; healthy kernel tests take milliseconds
HANG_BOUND = 60.0
HANG_FILE = os.path.join(tempfile.gettempdir(), "picoos-test-hang-%d.txt" % os.getpid())


@pytest.fixture(autouse=True)
def _hang_watchdog(request):
    with open(HANG_FILE, "w") as f:
        f.write("hung in %s\n" % request.node.nodeid)
        f.flush()
        faulthandler.dump_traceback_later(HANG_BOUND, exit=True, file=f)
        yield
        faulthandler.cancel_dump_traceback_later()
    # no hang: the file holds nothing worth keeping
    os.unlink(HANG_FILE)
