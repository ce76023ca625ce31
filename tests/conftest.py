"""Fixtures shared by the whole test suite (kept small on purpose).

- `kernel`: a fresh `Kernel` with an autojumping `FakeClock`, to be run in
  the test's own thread with `kernel.run(main)`; `kernel.clock.now()` gives
  exact fake times.  No background thread, no real sleeping.
- `run_py`: runs a short Python script in a fresh interpreter (for what
  touches process-wide state: the default background kernel, interpreter
  exit, `import picoos` side effects) and returns the finished process.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from picoos.kernel import context
from picoos.kernel.scheduler import Kernel
from picoos.testing import FakeClock

# a script that takes this long hangs; healthy ones take well under a second
SCRIPT_BOUND = 30.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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

    def run(source, timeout=SCRIPT_BOUND, env=None):
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.pop("PICOOS_NOTIFIER", None)
        if env:
            full_env.update(env)
        return subprocess.run([sys.executable, "-c", textwrap.dedent(source)],
                              capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT, env=full_env)

    return run
