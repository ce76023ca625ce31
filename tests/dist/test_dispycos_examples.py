"""pycos's dispycos example programs, imports renamed, run on picoos.

Each example in ``examples/`` is pycos's own program with only its imports
changed. It runs as a real process against a real ``picoos-node`` (two
server processes, each a networked kernel); ``PICOOS_NODES`` tells the
client where the node is (the examples find nodes by broadcast). The
examples that simply run to the end are started together (they mostly wait
on their jobs' sleeps) and each test reads its example's output to check
that every job ran and returned.
"""
import os
import re
import select
import shutil
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "examples")
READY = re.compile(r"picoos-node ready (\S+):(\d+) ")
RUN_LIMIT = 150.0      # seconds an example may take (their jobs sleep 2..10 s)

# example -> its command-line argument (number of jobs or data files)
BATCH = {
    "dispycos_client1": "4",
    "dispycos_client2": "4",
    "dispycos_client3": "4",
    "dispycos_client4": "2",
    "dispycos_client7": "4",
    "dispycos_live_analytics": None,
}

# imported at start-up by every example process: shows picoos's log (pycos's
# logger prints; the examples' INFO lines are part of what the tests read)
SITE = "import logging\nlogging.basicConfig(level=logging.INFO, format='%(name)s %(message)s')\n"


class Node:
    """A picoos-node with two servers on loopback."""

    def __init__(self, dest):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "picoos.dist.node", "--daemon", "--tcp-port", "0",
             "--udp-port", "0", "-c", "2", "--dest-path", dest, "--name", "exnode"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 60.0)
        line = self.proc.stdout.readline() if ready else ""
        match = READY.search(line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"node did not start: {line!r}")
        self.addr = f"{match.group(1)}:{match.group(2)}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def _env(node, site_dir):
    env = dict(os.environ, PICOOS_NODES=node.addr, PYTHONUNBUFFERED="1")
    root = os.path.dirname(os.path.dirname(HERE))
    env["PYTHONPATH"] = os.pathsep.join([site_dir, root, env.get("PYTHONPATH", "")])
    return env


def _start(name, arg, workdir, node, site_dir, stdin=None):
    cmd = [sys.executable, os.path.join(workdir, name + ".py")] + ([arg] if arg else [])
    return subprocess.Popen(cmd, cwd=workdir, env=_env(node, site_dir), text=True,
                            stdin=stdin if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    base = tmp_path_factory.mktemp("examples")
    work = str(base / "work")
    shutil.copytree(EXAMPLES, work)
    site = str(base / "site")
    os.makedirs(site)
    with open(os.path.join(site, "sitecustomize.py"), "w") as f:
        f.write(SITE)
    return str(base), work, site


@pytest.fixture(scope="module")
def batch(workdir):
    """Runs the batch examples together; example name -> (exit code, output)."""
    base, work, site = workdir
    nodes, procs = {}, {}
    try:
        for name, arg in BATCH.items():
            nodes[name] = Node(os.path.join(base, "node-" + name))
            procs[name] = _start(name, arg, work, nodes[name], site)
        deadline = time.monotonic() + RUN_LIMIT
        results = {}
        for name, proc in procs.items():
            try:
                out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
                out += "\n[killed: still running after %ss]" % RUN_LIMIT
            results[name] = (proc.returncode, out)
        return results
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for node in nodes.values():
            node.stop()


def _ok(batch, name):
    rc, out = batch[name]
    assert rc == 0, out
    assert "Traceback" not in out and "**" not in out, out
    return out


def test_client1_jobs_run_on_the_servers(batch):
    out = _ok(batch, "dispycos_client1")
    where = re.findall(r"job (\d) processed by (\S+)", out)
    assert sorted(int(i) for i, _ in where) == [0, 1, 2, 3], out
    assert len({loc for _, loc in where}) == 2, out       # both servers took jobs


def test_client2_remote_tasks_return_their_results(batch):
    out = _ok(batch, "dispycos_client2")
    results = re.findall(r"result for (\d) from (\S+): \w{3} \w{3}", out)
    assert sorted(int(i) for i, _ in results) == [0, 1, 2, 3], out


def test_client3_shipped_class_and_task_reference_as_argument(batch):
    out = _ok(batch, "dispycos_client3")
    requests = dict(re.findall(r"request (\d): ([\d.]+)", out))
    results = re.findall(r"result for job \d: (\d): ([\d.]+)", out)
    assert sorted(i for i, _ in results) == ["0", "1", "2", "3"], out
    for i, root in results:       # each job sent back sqrt of its request
        assert abs(float(root) ** 2 - float(requests[i])) < 1e-6, (i, out)


def test_client4_files_travel_both_ways(batch, workdir):
    out = _ok(batch, "dispycos_client4")
    done = re.findall(r"job (\d) output is in (\S+)", out)
    assert sorted(i for i, _ in done) == ["0", "1"], out
    for _, path in done:
        data = os.path.join(os.path.dirname(path), os.path.basename(path)[len("result-"):])
        with open(path) as f, open(data) as g:
            lines = f.read().splitlines()
            source = g.read().splitlines()
        assert lines == ["%d: %d" % (n, len(line)) for n, line in enumerate(source, 1)]


def test_client7_status_task_gets_monitor_status_of_jobs(batch):
    out = _ok(batch, "dispycos_client7")
    started = re.findall(r"rtask_proc started at (\S+) with ([\d.]+)", out)
    finished = re.findall(r"rtask_proc at (\S+) finished with ([\d.]+)", out)
    assert len(started) == 4 and sorted(started) == sorted(finished), out


def test_live_analytics_streams_messages_to_two_jobs(batch):
    out = _ok(batch, "dispycos_live_analytics")
    for line in re.findall(r"trend signal at.*", out):
        assert re.match(r"trend signal at +\d+: (high|low) / -?\d\.\d\d$", line), line
    # the client closes only after both jobs returned
    assert "closed: client closed" in out, out


def _read_until(proc, pattern, limit):
    seen = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError(f"no {pattern!r} within {limit}s:\n" + "".join(seen))


def test_mas_agents_on_the_servers_talk_to_each_other_and_the_client(workdir):
    base, work, site = workdir
    node = Node(os.path.join(base, "node-mas"))
    proc = _start("dispycos_mas", None, work, node, site, stdin=subprocess.PIPE)
    try:
        # agents started on both servers find each other (peer_status,
        # Task.locate) and report new extremes to the client task
        seen = _read_until(proc, r"Update from \S+: [\d.]+ / [\d.]+", RUN_LIMIT)
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        out, _ = proc.communicate(timeout=60)
        out = seen + out
        assert proc.returncode == 0, out
        assert "Traceback" not in out, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        node.stop()
