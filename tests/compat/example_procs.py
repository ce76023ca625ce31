"""Run ported pycos examples as real processes and watch what they print.

An example is a program someone runs in a terminal: it prints as it goes,
may read commands from stdin, and may need a second program (its server)
running. `ExampleProc` starts one with its stdout (and stderr) on a pipe,
lets a test wait for a line it must print - with a generous bound that
only a hang reaches - and feed it stdin lines when the conversation calls
for them. Each example runs in its own session, so whatever it starts
(`tail -f`, `sha1sum`, ...) is ended with it, by process group id.
"""
from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from typing import List, Optional, Pattern, Union

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "examples")
ROOT = os.path.dirname(os.path.dirname(HERE))

#: seconds a wait may take before the example is taken to hang
BOUND = 30.0


class ExampleProc:
    """One example program running in a subprocess (cwd: the examples)."""

    def __init__(self, name: str, *args: str, tmp: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        env["PYTHONUNBUFFERED"] = "1"       # lines arrive as printed
        env["TMPDIR"] = tmp                 # dest_path of networked kernels lands here
        env.pop("PICOOS_NOTIFIER", None)
        cmd = [sys.executable, name] + list(args)
        self.name = name
        self.proc = subprocess.Popen(cmd, cwd=EXAMPLES, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.out = ""       # everything read so far
        self._pos = 0       # where the next expect() starts looking

    def _read(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.proc.stdout], [], [], left)
        if not r:
            return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            return False
        self.out += chunk.decode("utf-8", "replace")
        return True

    def expect(self, pattern: Union[str, Pattern], bound: float = BOUND) -> "re.Match":
        """Wait until the output (after the previous match) matches
        `pattern` (a regex string or compiled); give the match. Fails the
        test with the output so far if the program ends or `bound` passes."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + bound
        while True:
            m = rx.search(self.out, self._pos)
            if m:
                self._pos = m.end()
                return m
            if not self._read(deadline):
                raise AssertionError("%s: %r not printed within %s s (or it ended); output:\n%s"
                                     % (self.name, rx.pattern, bound, self.out))

    def _wait_exit(self, deadline: float) -> Optional[int]:
        """Read output until the program exits; its status (None: still
        running at `deadline`). A program's children may hold the pipe open
        after it ended (`tail -f`), so EOF is not the sign: its pidfd is
        (a short select round where there is no pidfd)."""
        pidfd = None
        if hasattr(os, "pidfd_open"):
            try:
                pidfd = os.pidfd_open(self.proc.pid)
            except OSError:
                pass
        out = self.proc.stdout
        try:
            while self.proc.poll() is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                fds = [out] if pidfd is None else [out, pidfd]
                r, _, _ = select.select(fds, [], [], left if pidfd is not None else min(left, 0.05))
                if out in r:
                    chunk = os.read(out.fileno(), 65536)
                    if not chunk:
                        return self.proc.wait(max(0.0, deadline - time.monotonic()) or None)
                    self.out += chunk.decode("utf-8", "replace")
            # it ended: take what it wrote, without waiting for its children
            while select.select([out], [], [], 0)[0]:
                chunk = os.read(out.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk.decode("utf-8", "replace")
            return self.proc.returncode
        except subprocess.TimeoutExpired:
            return None
        finally:
            if pidfd is not None:
                os.close(pidfd)

    def send(self, line: str) -> None:
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def finish(self, bound: float = BOUND, stdin: Optional[List[str]] = None) -> str:
        """Send the `stdin` lines, close stdin, wait for the program to
        exit on its own with status 0; give its whole output."""
        for line in stdin or ():
            self.send(line)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        rc = self._wait_exit(time.monotonic() + bound)
        if rc is None:
            raise AssertionError("%s did not exit within %s s; output:\n%s"
                                 % (self.name, bound, self.out))
        assert rc == 0, "%s exited with %s; output:\n%s" % (self.name, rc, self.out)
        return self.out

    def kill(self) -> None:
        """End the program and everything it started (its process group)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
