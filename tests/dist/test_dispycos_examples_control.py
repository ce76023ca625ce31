"""Fleet control as in dispycos: pycos's examples that hold nodes and servers
back (``disable_nodes``, ``disable_servers``) or restart servers
(``restart_servers``), plus the control calls on real nodes.

The three examples (``examples/dispycos_client9_node.py``,
``dispycos_client9_server.py``, ``dispycos_client10.py``: pycos's programs
with only their imports renamed) run together against their own
``picoos-node`` processes on loopback; each test checks every checksum an
example printed against the data file it names. client9_node uses two nodes,
on 127.0.0.1 and 127.0.0.2, so that each node's ``node_setup`` gets its own
file (the example enables a node by its address).
"""
import hashlib
import os
import queue
import re
import subprocess
import sys
import time

import pytest

import ctlfuncs
from picoos.dist.allocate import DispycosNodeAllocate
from picoos.dist.client import Client
from picoos.dist.status import STATUS_NAMES, Scheduler
from test_dispycos_examples import EXAMPLES, SITE, Node, _env

RUN_LIMIT = 200.0     # client10's jobs sleep 2..5 s for each of ~12 hash algorithms, twice
WAIT = 60             # generous bound: only a real hang reaches it
PULSE = 0.5
PICOOS_EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "picoos", "examples")


def _data_dir(path, count):
    """``count`` small .py files with different contents; name -> bytes."""
    os.makedirs(path)
    files = {}
    for i in range(count):
        name = f"data{i}.py"
        data = ("# data file %d\n" % i + "x = %r\n" % (str(i) * (50 + i))).encode()
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
        files[name] = data
    return files


def _checksum(alg, data):
    csum = getattr(hashlib, alg)()
    csum.update(data)
    return csum.hexdigest()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Runs the three examples at once; name -> (exit code, output, data files)."""
    base = str(tmp_path_factory.mktemp("control"))
    work = os.path.join(base, "work")
    os.makedirs(work)
    for name in ("dispycos_client9_node", "dispycos_client9_server", "dispycos_client10"):
        with open(os.path.join(EXAMPLES, name + ".py")) as f, \
                open(os.path.join(work, name + ".py"), "w") as g:
            g.write(f.read())
    site = os.path.join(base, "site")
    os.makedirs(site)
    with open(os.path.join(site, "sitecustomize.py"), "w") as f:
        f.write(SITE)
    # client9_node reads int(argv[1]) before it looks for a directory of that name
    node_files = _data_dir(os.path.join(work, "2"), 2)
    c10_files = _data_dir(os.path.join(work, "c10data"), 3)
    server_files = {}
    for path in sorted(os.listdir(PICOOS_EXAMPLES)):
        if path.endswith(".py"):
            with open(os.path.join(PICOOS_EXAMPLES, path), "rb") as f:
                server_files[path] = f.read()
    plan = {   # example -> (arguments, node hosts, cpus per node, its data files)
        "dispycos_client9_node": (["2"], ["127.0.0.1", "127.0.0.2"], 2, node_files),
        "dispycos_client9_server": (["2"], ["127.0.0.1"], 2, server_files),
        "dispycos_client10": (["c10data", "3"], ["127.0.0.1"], 2, c10_files),
    }
    nodes, procs = [], {}
    try:
        for name, (args, hosts, cpus, _) in plan.items():
            mine = [Node(os.path.join(base, f"node-{name}-{i}"), cpus, host)
                    for i, host in enumerate(hosts)]
            nodes.extend(mine)
            env = _env(mine[0], site)
            env["PICOOS_NODES"] = ",".join(n.addr for n in mine)
            procs[name] = subprocess.Popen(
                [sys.executable, os.path.join(work, name + ".py")] + args, cwd=work, env=env,
                text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + RUN_LIMIT
        results = {}
        for name, proc in procs.items():
            try:
                out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
                out += "\n[killed: still running after %ss]" % RUN_LIMIT
            results[name] = (proc.returncode, out, plan[name][3])
        return results
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for node in nodes:
            node.stop()


def _ok(runs, name):
    rc, out, files = runs[name]
    assert rc == 0, out
    assert "Traceback" not in out and "**" not in out, out
    return out, files


def _check_sums(found, files, out):
    for alg, fname, csum in found:
        name = os.path.basename(fname)
        assert name in files, (name, out)
        assert csum == _checksum(alg, files[name]), (alg, name, out)


def test_client9_node_setup_on_each_enabled_node_feeds_every_server(runs):
    out, files = _ok(runs, "dispycos_client9_node")
    # each node got its own file at its Location (the first server's kernel) ...
    sent = re.findall(r"Sending \S*?(data\d\.py) to (127\.0\.0\.\d)", out)
    assert sorted(sent) == [("data0.py", "127.0.0.1"), ("data1.py", "127.0.0.2")] or \
        sorted(sent) == [("data0.py", "127.0.0.2"), ("data1.py", "127.0.0.1")], out
    # ... node_setup read it there, and every job on every server of the node
    # computed its checksum from the data node_setup left in memory
    found = re.findall(r"^ +(\w+)sum for (\S+): ([0-9a-f]+)$", out, re.M)
    assert len(found) == 15, out
    _check_sums(found, files, out)
    assert {os.path.basename(f) for _, f, _ in found} == set(files), out


def test_client9_server_setup_runs_when_each_server_is_enabled(runs):
    out, files = _ok(runs, "dispycos_client9_server")
    sent = re.findall(r"Sending \S+/(\w+\.py) to (127\.0\.0\.1:\d+)", out)
    assert len(sent) == 2 and len({loc for _, loc in sent}) == 2, out   # one per server
    found = re.findall(r"^ +(\w+)sum for (\S+): ([0-9a-f]+)$", out, re.M)
    assert len(found) == 15, out
    _check_sums(found, files, out)
    # each server's server_setup loaded the file sent to it, and jobs ran on both
    assert {f for _, f, _ in found} == {name for name, _ in sent}, out


def test_client10_closed_servers_are_restarted(runs):
    out, files = _ok(runs, "dispycos_client10")
    sent = re.findall(r"Sending (data\d\.py) to (127\.0\.0\.1:\d+)", out)
    assert sorted(name for name, _ in sent) == sorted(files), out
    # two servers, three files: the third went to a server started in place
    # of one that closed itself with dispycos_close_server(), at its Location
    # (as a restarted dispycos server is)
    assert len(sent) == 3 and len({loc for _, loc in sent}) == 2, out
    found = re.findall(r'(\w+)sum for "(data\d\.py)": ([0-9a-f]+)', out)
    _check_sums(found, files, out)
    algs = {alg for alg, _, _ in found}
    assert len(algs) >= 10, out
    for name in files:                       # every algorithm for every file
        assert {alg for alg, f, _ in found if f == name} == algs, (name, out)


# -- the control calls on real nodes ---------------------------------------------------------


class Statuses:
    """The status messages a client sent so far, and waiting for one."""

    def __init__(self):
        self.q = queue.Queue()
        self.seen = []

    def wait(self, code, count=1, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while sum(1 for m in self.seen if m.status == code) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {STATUS_NAMES[code]} (x{count}) within {timeout}s: "
                                     f"{[m.name for m in self.seen]}")
            try:
                self.seen.append(self.q.get(timeout=left))
            except queue.Empty:
                pass
        return [m for m in self.seen if m.status == code]

    def names(self):
        while True:
            try:
                self.seen.append(self.q.get_nowait())
            except queue.Empty:
                return [m.name for m in self.seen]


def _client(node, statuses, **kw):
    kw.setdefault("pulse_interval", PULSE)
    return Client([ctlfuncs], nodes=[node.addr], status_task=statuses.q, **kw)


def _send_file(client, location, path):
    """netpycos send_file from the client's kernel; its result."""
    out = queue.Queue()

    def sender(task=None):
        out.put((yield client._kernel.send_file(location, path, overwrite=True, timeout=10)))
    client._spawn(sender)
    return out.get(timeout=WAIT)


def test_disabled_node_waits_for_enable_node_and_its_file(start_node, tmp_path):
    node = start_node("-c", "2")
    st = Statuses()
    client = _client(node, st, node_setup=ctlfuncs.read_and_remove, disable_nodes=True)
    try:
        # held back: schedule() returns at once, the program enables what it hears of
        assert client.schedule(timeout=WAIT) == 0
        info = st.wait(Scheduler.NodeDiscovered)[0].info
        avail = info.avail_info
        loc = avail.location
        assert loc.addr == "127.0.0.1" and info.cpus == 2
        assert 0 <= avail.cpu <= 100 and 0 <= avail.swap <= 100     # percent idle / free
        assert avail.memory > 0 and avail.disk > 0
        assert client.nodes() == [] and client.servers() == []
        assert Scheduler.NodeInitialized not in [m.status for m in st.seen]
        data = tmp_path / "input.txt"
        data.write_text("sent to the node's location")
        assert _send_file(client, loc, str(data)) == 0
        client.enable_node(loc.addr, "input.txt")
        st.wait(Scheduler.NodeInitialized)
        st.wait(Scheduler.ServerInitialized, 2)
        assert client.nodes() == [node.host]
        # node_setup ran once (it deleted its input) and both servers see its data
        seen = {}
        for server in client.servers():
            value, pid = client.run_at(server, ctlfuncs.plain_node_data).result(WAIT)
            seen[pid] = value
        assert list(seen.values()) == ["sent to the node's location"] * 2
        names = st.names()
        assert names.index("NodeDiscovered") < names.index("NodeInitialized") < \
            names.index("ServerDiscovered") < names.index("ServerInitialized")
    finally:
        client.close(timeout=WAIT)


def _until(predicate, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {predicate}")
        time.sleep(0.05)


def test_enable_node_before_the_node_attaches(start_node):
    node = start_node("-c", "1")
    st = Statuses()
    client = _client(node, st, node_setup=ctlfuncs.load_node, disable_nodes=True)
    try:
        client.enable_node("127.0.0.1", "early")   # not attached yet: kept for it
        client.schedule(timeout=WAIT)
        st.wait(Scheduler.NodeInitialized)
        assert client.run(ctlfuncs.node_data).result(WAIT)[0] == "early"
        assert client.targets == [(node.host, node.port)]     # no other address dialled
    finally:
        client.close(timeout=WAIT)


def test_node_whose_location_died_before_enable_is_closed(start_node):
    node = start_node("-c", "2")
    st = Statuses()
    client = _client(node, st, node_setup=ctlfuncs.load_node, disable_nodes=True)
    try:
        client.schedule(timeout=WAIT)
        st.wait(Scheduler.NodeDiscovered)
        link = client._nodes[node.addr]
        os.kill(link._pending[0].pid, 9)       # the server that is the node's Location
        _until(lambda: link.owner_lost)
        client.enable_node(node.addr, "data")
        # node_setup cannot run where the node's files were: the node is given up
        st.wait(Scheduler.NodeClosed)
        assert Scheduler.NodeInitialized not in [m.status for m in st.seen]
        assert client.nodes() == []
    finally:
        client.close(timeout=WAIT)


def test_node_setup_globals_reach_every_server_and_replacements(start_node):
    node = start_node("-c", "2")
    st = Statuses()
    client = _client(node, st, node_setup=ctlfuncs.load_node, node_setup_args=("shared",),
                     restart_servers=True)
    try:
        client.schedule(timeout=WAIT)
        assert client.wait_servers(2, WAIT)
        digest = hashlib.sha1(b"shared").hexdigest()
        first = [client.run_at(s, ctlfuncs.node_data).result(WAIT) for s in client.servers()]
        assert [r[:2] for r in first] == [("shared", digest)] * 2
        assert len({r[2] for r in first}) == 2
        # a server started later (restart_servers) takes over node_setup's names too
        old = client.servers()[0]
        client.close_server(old)
        st.wait(Scheduler.ServerClosed)
        st.wait(Scheduler.ServerInitialized, 3)
        new = client.servers()
        assert len(new) == 2 and old in new        # the replacement keeps its Location
        again = {client.run_at(s, ctlfuncs.node_data).result(WAIT) for s in new}
        assert {r[:2] for r in again} == {("shared", digest)}
        assert not {r[2] for r in again} <= {r[2] for r in first}     # a fresh process
    finally:
        client.close(timeout=WAIT)


def test_disabled_servers_get_their_own_setup_arguments(start_node):
    node = start_node("-c", "2")
    st = Statuses()
    client = _client(node, st, server_setup=ctlfuncs.set_factor, disable_servers=True)
    try:
        # held back: schedule() returns at once, the program enables what it hears of
        assert client.schedule(timeout=WAIT) == 0
        found = [m.info for m in st.wait(Scheduler.ServerDiscovered, 2)]
        # both servers wait, code installed, for enable_server
        assert Scheduler.ServerInitialized not in [m.status for m in st.seen]
        assert client.servers() == []
        client.enable_server(found[0], 3)
        client.enable_server(str(found[1]), 5)
        st.wait(Scheduler.ServerInitialized, 2)
        results = {str(loc): client.run_at(loc, ctlfuncs.scaled, 2).result(WAIT)[0]
                   for loc in found}
        assert results == {str(found[0]): 6, str(found[1]): 10}
        # enable_server on a ready server is a resume: nothing changes
        client.enable_server(found[0], 99)
        assert client.run_at(found[0], ctlfuncs.scaled, 1).result(WAIT)[0] == 3
        client.suspend_server(found[0])
        assert found[0] in client.servers()
        jobs = [client.run(ctlfuncs.scaled, 1) for _ in range(6)]
        assert {j.result(WAIT)[0] for j in jobs} == {5}          # only the other one
        client.resume_server(found[0])
        names = st.names()
        assert "ServerSuspended" in names and "ServerResumed" in names
    finally:
        client.close(timeout=WAIT)


def test_job_closing_its_server_with_and_without_restart(start_node):
    node = start_node("-c", "2")
    st = Statuses()
    client = _client(node, st)
    try:
        client.schedule(timeout=WAIT)
        assert client.wait_servers(2, WAIT)
        first, second = client.servers()
        # without restart_servers: the server closes and is not replaced
        gone = client.run_at(first, ctlfuncs.close_me).result(WAIT)
        assert st.wait(Scheduler.ServerClosed)[0].info == first
        assert client.servers() == [second]
        pids = {client.run(ctlfuncs.pid).result(WAIT) for _ in range(4)}
        assert gone not in pids and len(pids) == 1
        # dispycos_close_server(restart=True): a fresh process takes its place
        client.run_at(second, ctlfuncs.close_me, True).result(WAIT)
        st.wait(Scheduler.ServerClosed, 2)
        st.wait(Scheduler.ServerInitialized, 3)
        assert client.servers() == [second]        # a fresh process at its Location
        assert client.run(ctlfuncs.pid).result(WAIT) not in pids | {gone}
    finally:
        client.close(timeout=WAIT)


def test_control_calls_take_locations_and_report_as_dispycos(start_node):
    node = start_node("-c", "1")
    st = Statuses()
    client = _client(node, st)
    try:
        assert client.node_allocate(DispycosNodeAllocate("127.0.0.1")) == -1   # not scheduled
        client.schedule(timeout=WAIT)
        assert client.wait_servers(1, WAIT)
        info = st.wait(Scheduler.NodeDiscovered)[0].info
        loc = info.avail_info.location
        assert client.suspend_node(loc) is None
        assert st.wait(Scheduler.NodeSuspended)[0].info.addr == "127.0.0.1"
        assert client.resume_node(loc.addr) is None
        st.wait(Scheduler.NodeResumed)
        assert client.run(ctlfuncs.pid).result(WAIT)
        assert client.node_allocate(DispycosNodeAllocate("10.0.0.*", cpus=0)) == 0
        assert client.node_allocate("10.0.0.1") == -1
        assert client.abandon_zombie(loc, True) is None
        assert client.abandon_zombie(None, False) is None
        with pytest.raises(ValueError, match="unknown server"):
            client.enable_server("127.0.0.1:1")
        with pytest.raises(TypeError, match="expected a Location"):
            client.suspend_node(42)
        server = client.servers()[0]
        client.suspend_server(server)          # the node's only server: the node too
        assert st.wait(Scheduler.ServerSuspended)[0].info == server
        st.wait(Scheduler.NodeSuspended, 2)
        client.resume_server(server)
        st.wait(Scheduler.ServerResumed)
        st.wait(Scheduler.NodeResumed, 2)
        assert client.run(ctlfuncs.pid).result(WAIT)
        assert client.restart_server(server) is None
        st.wait(Scheduler.ServerClosed)
        st.wait(Scheduler.ServerInitialized, 2)
        assert client.servers() == [server]        # a fresh process at its Location
    finally:
        client.close(timeout=WAIT)


def test_restart_node_runs_node_setup_again_with_new_arguments(start_node):
    node = start_node("-c", "1")
    st = Statuses()
    client = _client(node, st, node_setup=ctlfuncs.load_node, node_setup_args=("before",))
    try:
        client.schedule(timeout=WAIT)
        assert client.run(ctlfuncs.node_data).result(WAIT)[0] == "before"
        client.restart_node(node.addr, "after")
        st.wait(Scheduler.NodeClosed)
        assert Scheduler.ServerDisconnected not in [m.status for m in st.seen]
        st.wait(Scheduler.ServerClosed)
        st.wait(Scheduler.NodeInitialized, 2)
        assert client.wait_servers(1, WAIT)
        assert client.run(ctlfuncs.node_data).result(WAIT)[0] == "after"
    finally:
        client.close(timeout=WAIT)
    # closing the client closes its servers too (ServerClosed, as in dispycos)
    assert st.wait(Scheduler.ServerClosed, 2)
    assert Scheduler.ServerDisconnected not in [m.status for m in st.seen]


def test_options_are_checked():
    with pytest.raises(ValueError, match="status_task"):
        Client([ctlfuncs], nodes=["127.0.0.1:1"], disable_nodes=True)
    with pytest.raises(ValueError, match="status_task"):
        Client([ctlfuncs], nodes=["127.0.0.1:1"], disable_servers=True)
    # a platform filter that does not match leaves the node to the next filter
    # (dispycos: the catch-all at the end uses it in full)
    windows_off = DispycosNodeAllocate("*", platform="Windows", cpus=0)
    assert windows_off.allocate("10.0.0.1", "pi", "Linux-6.1-aarch64", 4, 1 << 30, 1 << 30) == -1
    assert windows_off.allocate("10.0.0.1", "pc", "Windows-10", 4, 1 << 30, 1 << 30) == 0
    needs_memory = DispycosNodeAllocate("*", memory=1 << 20)
    assert needs_memory.allocate("10.0.0.1", "pi", "Linux", 4, 1 << 10, 0) == 0
    assert needs_memory.allocate("10.0.0.1", "pi", "Linux", 4, 0, 0) == 4    # not measured
