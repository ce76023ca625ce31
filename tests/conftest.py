"""Fixtures shared by the whole test suite (kept small on purpose).

- `kernel`: a fresh `Kernel` with an autojumping `FakeClock`, to be run in
  the test's own thread with `kernel.run(main)`; `kernel.clock.now()` gives
  exact fake times.  No background thread, no real sleeping.
- `run_py`: runs a short Python script in a fresh interpreter (for what
  touches process-wide state: the default background kernel, interpreter
  exit, `import picoos` side effects) and returns the finished process.
- A hang watchdog: a test that deadlocks dumps every thread's traceback to
  $TMPDIR/picoos-test-hang-<pid>.txt and ends the run after a generous bound,
  instead of hanging CI forever (pytest's capture would swallow stderr).
"""
from __future__ import annotations

import faulthandler
import os
import subprocess
import sys
import tempfile
import textwrap

import pytest

from picoos.kernel import context
from picoos.kernel.scheduler import Kernel
from picoos.testing import FakeClock

# only a real hang reaches this; healthy tests take milliseconds
HANG_BOUND = 60.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


HANG_FILE = os.path.join(tempfile.gettempdir(), "picoos-test-hang-%d.txt" % os.getpid())


@pytest.fixture(autouse=True)
def _hang_watchdog(request):
    with open(HANG_FILE, "w") as f:
        f.write("hung in %s\n" % request.node.nodeid)
        f.flush()
        faulthandler.dump_traceback_later(HANG_BOUND, exit=True, file=f)
        yield
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def kernel():
    """A fresh kernel on a fake clock; `kernel.run(fn, ...)` runs it here."""
    k = Kernel(clock=FakeClock())
    yield k
    if not k._closed:
        # the test built the kernel but never ran it: release its fds
        k._shutdown()
    # a test must not leave this thread registered as a kernel thread
    assert context.current_kernel() is None


@pytest.fixture
def run_py():
    """`run_py(source, timeout=...)`: run `source` with this interpreter in
    a fresh process (cwd = repository root); return the CompletedProcess."""

    def run(source, timeout=HANG_BOUND / 2, env=None):
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.pop("PICOOS_NOTIFIER", None)
        if env:
            full_env.update(env)
        return subprocess.run([sys.executable, "-c", textwrap.dedent(source)],
                              capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT, env=full_env)

    return run
