"""pycos's dispycos example programs, imports renamed, run on picoos.

Each example in ``examples/`` is pycos's own program with only its imports
changed (tests/compat/port_examples.py makes the copies). It runs as a real
process against a real ``picoos-node`` of its own (one or two server
processes, each a networked kernel); ``PICOOS_NODES`` tells the client where
the node is (the examples find nodes by broadcast). All of them run at the
same time, so the module's wall time is that of the slowest: the examples
that simply run to the end are started first, then the interactive ones are
driven one after the other (stdin, their web monitor, Ctrl-C) while the
others run, and each test reads its example's output to check that every
job ran and returned the right thing.
"""
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "examples")
READY = re.compile(r"picoos-node ready (\S+):(\d+) ")
RUN_LIMIT = 150.0      # seconds an example may take (client8's jobs block 50..100 s)
STEP_LIMIT = 60.0      # seconds for one step of an interactive example

# example -> (its command-line argument, servers on its node)
BATCH = {
    "dispycos_client1": ("4", 2),
    "dispycos_client2": ("4", 2),
    "dispycos_client3": ("4", 2),
    "dispycos_client4": ("2", 2),
    "dispycos_client5": ("2", 2),
    "dispycos_client7": ("4", 2),
    "dispycos_client8": ("2", 2),
    "dispycos_live_analytics": (None, 2),
    "dispycos_live_analytics_channel": (None, 2),
    "dispycos_mem_servers": ("2", 1),
    "dispycos_cloud_computing": ("2", 1),
}

# imported at start-up by every example process: shows picoos's log (pycos's
# logger prints; the examples' INFO lines are part of what the tests read)
SITE = "import logging\nlogging.basicConfig(level=logging.INFO, format='%(name)s %(message)s')\n"

# dispycos_mem_servers farms out the files of the package's own examples
# folder (os.path.dirname(pycos.__file__)/examples): pycos ships its examples
# inside the package, picoos does not, so in that example's process the
# package's __file__ names a folder holding two data files instead
MEM_SITE = "import picoos\npicoos.__file__ = {!r}\n"
MEM_FILES = ["dispycos_client1.py", "dispycos_client3.py"]

MONITOR = re.compile(r"dispycos monitor for \S+ at (http://\S+)")


class Node:
    """A picoos-node with ``cpus`` servers on a loopback address (``host``)."""

    def __init__(self, dest, cpus=2, host="127.0.0.1", name="exnode"):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "picoos.dist.node", "--daemon", "--tcp-port", "0",
             "--udp-port", "0", "-c", str(cpus), "-i", host, "--dest-path", dest,
             "--name", name],
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


def _site(path, text):
    os.makedirs(path)
    with open(os.path.join(path, "sitecustomize.py"), "w") as f:
        f.write(text)
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    base = tmp_path_factory.mktemp("examples")
    work = str(base / "work")
    shutil.copytree(EXAMPLES, work)
    site = _site(str(base / "site"), SITE)
    package = base / "package"
    os.makedirs(package / "examples")
    for name in MEM_FILES:
        shutil.copy(os.path.join(EXAMPLES, name), str(package / "examples"))
    mem_site = _site(str(base / "site-mem"), SITE + MEM_SITE.format(str(package / "__init__.py")))
    return str(base), work, {"site": site, "mem": mem_site, "package": str(package)}


# -- interactive examples: each step waits on what the example prints or serves

def _read_until(proc, pattern, limit, count=1):
    """Lines from ``proc`` up to the ``count``-th one matching ``pattern``."""
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
            count -= 1
            if count == 0:
                return "".join(seen)
    raise AssertionError(f"no {pattern!r} within {limit}s:\n" + "".join(seen))


def _say(proc, text):
    proc.stdin.write(text)
    proc.stdin.flush()


def _jobs(url, until=None, limit=STEP_LIMIT):
    """The job counts of the example's web monitor (its JSON API), once
    ``until(counts)`` holds."""
    deadline = time.monotonic() + limit
    while True:
        with urllib.request.urlopen(url + "api/jobs", timeout=10) as reply:
            counts = json.load(reply)["counts"]
        if until is None or until(counts):
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs at {url} stayed at {counts}")
        time.sleep(0.1)      # polling the monitor's own figures, not a guess


def _drive_httpd1(proc):
    seen = _read_until(proc, MONITOR, STEP_LIMIT)
    url = MONITOR.search(seen).group(1)
    _say(proc, "0.5\n1\nabc\n")          # two jobs and a line that is not a number
    counts = _jobs(url, lambda c: c["done"] + c["failed"] >= 2)
    _say(proc, "quit\n")
    return seen, counts


def _drive_httpd2(proc):
    seen = _read_until(proc, MONITOR, STEP_LIMIT)
    url = MONITOR.search(seen).group(1)
    _say(proc, "a\nb\n")                  # two jobs, each sleeping 20..50 s
    seen += _read_until(proc, r"^rtask \S+ started", STEP_LIMIT, count=2)
    counts = _jobs(url)
    _say(proc, "quit\n")
    return seen, counts


def _drive_remote_scheduler(proc):
    seen = _read_until(proc, r"^Allocate 127\.0\.0\.1 ", STEP_LIMIT)
    _say(proc, "0.5\n1\n")
    seen += _read_until(proc, r"Received reply for", STEP_LIMIT, count=2)
    _say(proc, "quit\n")
    return seen, None


def _drive_kbd_int(proc):
    # the first result of each server's job comes at once; then Ctrl-C, on
    # which the example closes the client and ends
    seen = _read_until(proc, r"update from", STEP_LIMIT)
    proc.send_signal(signal.SIGINT)
    return seen, None


# example -> (argument, servers on its node, driver)
INTERACTIVE = {
    "dispycos_httpd1": (None, 1, _drive_httpd1),
    "dispycos_httpd2": (None, 1, _drive_httpd2),
    "dispycos_remote_scheduler": ("127.0.0.1", 2, _drive_remote_scheduler),
    "dispycos_kbd_int": (None, 2, _drive_kbd_int),
}


def _run_interactive(name, base, work, sites):
    arg, cpus, drive = INTERACTIVE[name]
    node = Node(os.path.join(base, "node-" + name), cpus)
    proc = _start(name, arg, work, node, sites["site"], stdin=subprocess.PIPE)
    try:
        seen, info = drive(proc)
        out, _ = proc.communicate(timeout=STEP_LIMIT)
        return proc.returncode, seen + out, info
    except (AssertionError, OSError, subprocess.TimeoutExpired) as exc:
        proc.kill()
        out, _ = proc.communicate()
        return None, f"{exc}\n{out}", None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        node.stop()


@pytest.fixture(scope="module")
def batch(workdir):
    """Runs every example but mas; example name -> (exit code, output, info
    an interactive example's driver collected)."""
    base, work, sites = workdir
    nodes, procs = {}, {}
    results = {}
    try:
        for name, (arg, cpus) in BATCH.items():
            nodes[name] = Node(os.path.join(base, "node-" + name), cpus)
            site = sites["mem"] if name == "dispycos_mem_servers" else sites["site"]
            procs[name] = _start(name, arg, work, nodes[name], site)
        deadline = time.monotonic() + RUN_LIMIT
        for name in INTERACTIVE:           # while the others run
            results[name] = _run_interactive(name, base, work, sites)
        for name, proc in procs.items():
            try:
                out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
                out += "\n[killed: still running after %ss]" % RUN_LIMIT
            results[name] = (proc.returncode, out, None)
        return results
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for node in nodes.values():
            node.stop()


def _ok(batch, name):
    rc, out, _ = batch[name]
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




def test_client8_jobs_that_block_their_thread_still_get_messages(batch):
    # each job adds up 5 numbers in 10..20, sleeping each one off with
    # time.sleep (no yield) while the client keeps sending the next
    out = _ok(batch, "dispycos_client8")
    started = re.findall(r"job (\d) processed by (\S+)", out)
    assert sorted(i for i, _ in started) == ["0", "1"], out
    results = re.findall(r"(\S+) computed result: ([\d.]+)", out)
    assert sorted(loc for loc, _ in results) == sorted(loc for _, loc in started), out
    assert all(50 <= float(total) <= 100 for _, total in results), out


def test_live_analytics_channel_streams_a_channel_to_two_jobs(batch):
    out = _ok(batch, "dispycos_live_analytics_channel")
    signals = re.findall(r"trend signal at.*", out)
    positions = []
    for line in signals:
        match = re.match(r"trend signal at +(\d+): (high|low) / (-?\d\.\d\d)$", line)
        assert match, line
        positions.append(int(match.group(1)))
        # the moving average of 10 numbers in -1..1 crossed the 0.4 threshold
        assert 0.4 <= abs(float(match.group(3))) <= 1.0 and \
            (match.group(2) == "high") == (float(match.group(3)) > 0), line
    assert positions == sorted(positions) and all(p < 1000 for p in positions), out
    assert "closed: client closed" in out, out     # after both jobs returned


def test_client5_job_runs_a_shipped_program_through_pipes(batch):
    # the job starts the shipped dispycos_client5_proc.py from the parent of
    # its working folder ('..'), feeds it the client's 10 numbers and sends
    # each line it prints back to the client
    out = _ok(batch, "dispycos_client5")
    for job in (1, 2):
        lines = re.findall(r"job %d output: Line (\d+) - current time is \w+" % job, out)
        assert lines == [str(n) for n in range(1, 11)], out
        assert "job %d done" % job in out, out


def test_mem_servers_data_in_server_memory_and_restarted_servers(batch, workdir):
    rc, out, _ = batch["dispycos_mem_servers"]
    assert rc == 0, out
    package = workdir[2]["package"]
    results = list(re.finditer(r'server at (\S+) computed (\w+) for (\S+) as "(.*?)"$',
                               out, re.M | re.S))
    where = {}
    for match in results:
        loc, alg, name, result = match.groups()
        with open(os.path.join(package, "examples", name), "rb") as f:
            data = f.read()
        if alg.startswith("shake_"):      # hexdigest() needs a length: the example sends the error
            assert "TypeError" in result, match.group(0)
        else:
            assert result == hashlib.new(alg, data).hexdigest(), match.group(0)
        where.setdefault(name, set()).add(loc)
    assert sorted(where) == sorted(MEM_FILES), out
    assert all(len(re.findall(r"computed \w+ for %s as" % re.escape(name), out)) == 5
               for name in MEM_FILES), out
    # one server: after the first file, compute closed it with restart=True
    # and the second file went to the fresh server process, which took the
    # closed one's Location (as a restarted dispycos server does)
    assert all(len(locs) == 1 for locs in where.values()), where
    assert len(set.union(*where.values())) == 1, where
    for match in results:                  # the expected shake_* errors aside, none
        out = out.replace(match.group(0), "")
    assert "Traceback" not in out and "**" not in out, out


def test_cloud_computing_runs_with_an_unresolvable_ext_ip_addr(batch):
    out = _ok(batch, "dispycos_cloud_computing")
    assert "ext_host 'router.ext.ip' ignored" in out, out
    results = re.findall(r"result from (\S+): \((\d+), ([\d.]+)\)", out)
    assert sorted(i for _, i, _ in results) == ["0", "1"], out
    assert all(3 <= float(n) <= 10 for _, _, n in results), out


def test_httpd1_jobs_from_stdin_and_the_web_monitor(batch):
    rc, out, counts = batch["dispycos_httpd1"]
    assert rc == 0, out
    assert "Traceback" not in out, out
    assert '"abc" is not a number' in out, out
    # the monitor's JSON API saw both jobs end well; close(await_io=True) waited
    assert counts["done"] == 2 and counts["failed"] == 0, counts


def test_httpd2_status_task_and_the_web_monitor(batch):
    rc, out, counts = batch["dispycos_httpd2"]
    assert rc == 0, out
    assert "Traceback" not in out, out
    created = re.findall(r"^  (\d): rtask (\S+) created", out, re.M)
    assert [i for i, _ in created] == ["1", "2"], out
    started = re.findall(r"^rtask (\S+) started", out, re.M)
    assert sorted(started) == sorted(t for _, t in created), out
    assert counts["running"] == 2 and counts["submitted"] == 2, counts


def test_remote_scheduler_allocation_filter_and_replies(batch):
    rc, out, _ = batch["dispycos_remote_scheduler"]
    assert rc == 0, out
    assert "Traceback" not in out, out
    # NodeAllocate gets dispycos's six arguments and keeps one of the 2 CPUs
    assert re.search(r"^Allocate 127\.0\.0\.1 \(.+\): 2$", out, re.M), out
    created = re.findall(r"Task (\d) created for ([\d.]+) at (\S+)", out)
    assert [(i, n) for i, n, _ in created] == [("1", "0.5"), ("2", "1.0")], out
    assert len({loc for _, _, loc in created}) == 1, out
    replies = re.findall(r"Received reply for (\d) from (\S+): ", out)
    assert sorted(replies) == [("1", created[0][2]), ("2", created[0][2])], out


def test_kbd_int_ctrl_c_closes_the_client_and_ends(batch):
    rc, out, _ = batch["dispycos_kbd_int"]
    assert rc == 0, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    assert len(set(re.findall(r"server at (\S+) is available", out))) >= 1, out
    assert re.search(r"update from \S+: [\d.]+", out), out


def test_mas_agents_on_the_servers_talk_to_each_other_and_the_client(workdir):
    base, work, sites = workdir
    node = Node(os.path.join(base, "node-mas"))
    proc = _start("dispycos_mas", None, work, node, sites["site"], stdin=subprocess.PIPE)
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
