"""Helpers for the net tests: child kernels in real processes, a test kernel."""
import os
import select
import subprocess
import threading

from picoos.kernel.location import Location
from picoos.kernel.threadpool import run_in_thread
from picoos.net import NetKernel

NODEPROC = os.path.join(os.path.dirname(__file__), "nodeproc.py")
SECRET = "test-secret-3b1f"


class Child:
    """A networked kernel in a subprocess (see nodeproc.py)."""

    def __init__(self, proc, location, dest):
        self.proc = proc
        self.location = location
        self.dest = dest
        self._stderr = None
        self._seen = ""     # stderr read so far by wait_log

    def wait_log(self, text: str, bound: float = 10.0) -> bool:
        """Wait until the child has logged `text` (or `bound` seconds)."""
        import time
        deadline = time.monotonic() + bound
        while text not in self._seen:
            left = deadline - time.monotonic()
            r, _, _ = select.select([self.proc.stderr], [], [], max(left, 0))
            if not r:
                return False
            chunk = os.read(self.proc.stderr.fileno(), 65536)
            if not chunk:
                return False
            self._seen += chunk.decode(errors="replace")
        return True

    def stop(self) -> str:
        """Stop the process (if still running); give its log."""
        if self._stderr is None:
            try:
                _, rest = self.proc.communicate("", timeout=20)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                self.proc.kill()
                _, rest = self.proc.communicate()
            self._stderr = self._seen + (rest or "")
        return self._stderr


def _read_ready(proc, bound=30.0):
    r, _, _ = select.select([proc.stdout], [], [], bound)
    if not r:
        proc.kill()
        raise AssertionError("child kernel did not start within %s s:\n%s"
                             % (bound, proc.communicate()[1]))
    line = proc.stdout.readline().split()
    if not line or line[0] != "READY":
        raise AssertionError("child kernel failed: %r\n%s" % (line, proc.communicate()[1]))
    return Location(line[1], int(line[2]))


def run_net(main, secret=SECRET, **kw):
    """Run `main(kernel)` as the main task of a fresh networked kernel on
    loopback in this thread; give its result."""
    kw.setdefault("host", "127.0.0.1")
    kw.setdefault("discover_peers", False)
    kw.setdefault("tcp_port", 0)      # not the well-known 9705 a real program may want
    kw.setdefault("pulse_interval", 0.2)
    kw.setdefault("peer_timeout", 1.0)
    kernel = NetKernel(secret=secret, **kw)

    def wrapper(task=None):
        return (yield from main(kernel, task))
    return kernel.run(wrapper)


def wait_stopped(pid: int, bound: float = 10.0) -> None:
    """Wait until every thread of process `pid` is stopped. A SIGSTOP is
    delivered asynchronously: a kernel thread of the child may still handle
    a message for a moment after kill() returned (seen under load)."""
    import time
    deadline = time.monotonic() + bound
    while True:
        states = []
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except OSError:
                pass        # a thread that just ended
        if states and all(s in "tT" for s in states):
            return
        if time.monotonic() > deadline:
            raise AssertionError("process %d not stopped within %s s: %s" % (pid, bound, states))
        time.sleep(0.001)   # polling the process state itself


def kernel_pair(bmain, amain, host="127.0.0.1", bound=10.0, pulse_interval=0.2,
                peer_timeout=1.0):
    """Two networked kernels in this process, each in a thread of its own.

    `bmain(b, task, ready)` runs on kernel B and sets `ready` once A may use
    it; B stays up until `amain(a, b, task)`, run on kernel A in the calling
    thread, is done. Gives what `amain` returns."""
    opts = dict(host=host, secret=SECRET, discover_peers=False,
                pulse_interval=pulse_interval, peer_timeout=peer_timeout)
    b = NetKernel(**opts)
    a = NetKernel(**opts)
    ready, done = threading.Event(), threading.Event()

    def b_main(task=None):
        yield from bmain(b, task, ready)
        yield run_in_thread(done.wait, 3 * bound)   # keep B up until A is done with it

    th = threading.Thread(target=lambda: b.run(b_main))
    th.start()
    try:
        assert ready.wait(bound)

        def a_main(task=None):
            return (yield from amain(a, b, task))
        return a.run(a_main)
    finally:
        done.set()
        th.join(bound)
