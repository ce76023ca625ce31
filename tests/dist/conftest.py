"""Real node daemons on loopback for the dist tests."""
import os
import re
import select
import signal
import subprocess
import sys

import pytest

READY = re.compile(r"picoos-node ready (\S+):(\d+) ")


class NodeProc:
    """A running ``picoos-node`` process and the port it listens on."""

    def __init__(self, args, env=None):
        self.args = args
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "picoos.dist.node", "--daemon", "--tcp-port", "0",
             "--udp-port", "0"] + args,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            start_new_session=True)
        self.port = None
        self.line = self._ready_line(60.0)
        match = READY.search(self.line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"node did not start: {self.line!r} "
                                 f"{self.proc.stderr.read() if self.proc.poll() is not None else ''}")
        self.host, self.port = match.group(1), int(match.group(2))
        self.addr = f"{self.host}:{self.port}"

    def _ready_line(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else ""

    def server_pids(self):
        """pids of this node's server processes (children)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def kill_all(self, sig=signal.SIGKILL):
        """Signal the node and its servers, as losing the board would."""
        pids = self.server_pids()
        os.kill(self.proc.pid, sig)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


@pytest.fixture
def start_node(tmp_path):
    nodes = []

    def start(*args, **kw):
        extra = list(args)
        if "--name" not in extra and "-n" not in extra:
            extra += ["--name", f"node{len(nodes)}"]
        if "--dest-path" not in extra:
            extra += ["--dest-path", str(tmp_path / f"node{len(nodes)}")]
        node = NodeProc(extra, **kw)
        nodes.append(node)
        return node
    yield start
    for node in nodes:
        node.stop()
