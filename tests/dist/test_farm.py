"""The client farming jobs to real node processes on loopback."""
import os
import queue
import subprocess
import sys

import pytest

import jobfuncs
from picoos.dist.allocate import DispycosNodeAllocate
from picoos.dist.client import Client
from picoos.dist.errors import (ClientClosed, ComponentError, JobAbandoned, NodeUnavailable,
                                PicoosError)
from picoos.dist.status import STATUS_NAMES, Scheduler

PULSE = 0.5
WAIT = 60  # generous bound: only a real hang reaches it


def client_for(nodes, components=(jobfuncs.square,), **kw):
    kw.setdefault("pulse_interval", PULSE)
    return Client(list(components), nodes=[n.addr if hasattr(n, "addr") else n for n in nodes],
                  **kw)


def statuses(q):
    out = []
    while True:
        try:
            out.append(q.get_nowait())
        except queue.Empty:
            return out


def test_farm_jobs_over_two_nodes(start_node):
    a, b = start_node("-c", "2"), start_node("-c", "1")
    with client_for([a, b], [jobfuncs.digest, jobfuncs.where_am_i]) as client:
        client.schedule(timeout=WAIT)
        assert client.wait_servers(3, WAIT)
        jobs = [client.run(jobfuncs.digest, i) for i in range(300)]
        results = [j.result(WAIT) for j in jobs]
        assert results == [jobfuncs.digest(i) for i in range(300)]
        nodes_used = {j.node_name for j in jobs}
        assert len(nodes_used) == 2, nodes_used
        pids = {client.run(jobfuncs.where_am_i).result(WAIT) for _ in range(30)}
        assert os.getpid() not in pids and a.proc.pid not in pids and b.proc.pid not in pids
        snap = client.snapshot()
        assert snap["jobs"]["done"] >= 330 and len(snap["nodes"]) == 2


def test_dispatcher_and_keeper_are_tasks_not_threads(start_node):
    """The dispatcher and the keeper are tasks on the client's kernel: a
    plain thread's job goes through the dispatcher task, and close() ends
    both."""
    import threading
    node = start_node("-c", "1")
    with client_for([node]) as client:
        client.schedule(timeout=WAIT)
        names = {t.name for t in threading.enumerate()}
        assert not {"client-dispatch", "client-keeper"} & names, names
        tasks = (client._dispatch_task, client._keeper_task)
        assert all(t.is_alive() and t._kernel is client._kernel for t in tasks)
        assert [client.run(jobfuncs.square, i) for i in range(20)][-1].result(WAIT) == 361
    assert [t.value(WAIT) for t in tasks] == [0, 0]     # both ended by close()


def test_job_exception_comes_back_with_its_traceback(start_node):
    node = start_node("-c", "1")
    with client_for([node], [jobfuncs.fail]) as client:
        client.schedule(timeout=WAIT)
        job = client.run(jobfuncs.fail, 7)
        status = job.value(WAIT)
        assert status.type is ValueError
        assert "bad input 7" in status.value and "raise ValueError" in status.value
        with pytest.raises(ValueError, match="bad input 7") as info:
            job.result()
        assert "in fail" in info.value.remote_traceback


def test_classes_and_instances_travel(start_node):
    node = start_node("-c", "1")
    with client_for([node], [jobfuncs.Point, jobfuncs.move]) as client:
        client.schedule(timeout=WAIT)
        moved = client.run(jobfuncs.move, jobfuncs.Point(1, 2), 2).result(WAIT)
        assert (moved.x, moved.y) == (3, 2) and moved.norm2() == 13


def test_files_travel_both_ways(start_node, tmp_path):
    data = tmp_path / "input.txt"
    data.write_text("hello from the client")
    node = start_node("-c", "1")
    dest = tmp_path / "back"
    with client_for([node], [jobfuncs.read_shipped, jobfuncs.make_file, str(data)],
                    dest_path=str(dest)) as client:
        client.schedule(timeout=WAIT)
        assert client.run(jobfuncs.read_shipped, "input.txt").result(WAIT) == \
            "hello from the client"
        assert client.run(jobfuncs.make_file, "out.txt", "made on a server").result(WAIT) == 16
        assert (dest / "out.txt").read_text() == "made on a server"
        later = tmp_path / "later.txt"
        later.write_text("sent after schedule")
        client.send_file(node.addr, str(later))
        assert client.run(jobfuncs.read_shipped, "later.txt").result(WAIT) == \
            "sent after schedule"
        # a job cannot send a file outside the client's destination
        bad = client.run(jobfuncs.make_file, "../escape.txt", "x")
        bad.result(WAIT)
        assert not (tmp_path / "escape.txt").exists()


def test_setup_functions_run_once_per_node_and_per_server(start_node, tmp_path):
    node = start_node("-c", "2")
    client = client_for([node], [jobfuncs.scaled], node_setup=jobfuncs.setup_node,
                        node_setup_args=("marker.txt",), server_setup=jobfuncs.setup_server,
                        server_setup_args=(10,))
    client.schedule(timeout=WAIT)
    assert client.wait_servers(2, WAIT)
    assert {client.run(jobfuncs.scaled, 4).result(WAIT) for _ in range(20)} == {40}
    # node_setup runs in the node's folder, the parent of each server's (as in dispycos)
    assert client.run(jobfuncs.read_shipped, os.path.join("..", "marker.txt")).result(WAIT) == \
        "node setup ran"
    client.close(timeout=WAIT)


def test_failing_setup_makes_the_node_unusable(start_node):
    node = start_node("-c", "1")
    client = client_for([node], [jobfuncs.square], server_setup=jobfuncs.failing_setup)
    with pytest.raises(NodeUnavailable, match="setup cannot work here"):
        client.schedule(timeout=5)
    client.close(timeout=5)


def test_allocation_filters(start_node):
    node = start_node("-c", "2")
    client = Client([jobfuncs.square], pulse_interval=PULSE,
                    nodes=[DispycosNodeAllocate("127.0.0.1", port=node.port, cpus=1)])
    client.schedule(timeout=WAIT)
    assert not client.wait_servers(2, 1.0)          # the filter allows one server
    assert len(client.servers()) == 1
    client.close(timeout=WAIT)
    statusq = queue.Queue()
    greedy = Client([jobfuncs.square], pulse_interval=PULSE, status_task=statusq,
                    nodes=[DispycosNodeAllocate("127.0.0.1", port=node.port,
                                                memory=1 << 60)])
    with pytest.raises(NodeUnavailable):
        greedy.schedule(timeout=2)
    assert Scheduler.NodeIgnore in [m.status for m in statuses(statusq)]
    greedy.close(timeout=5)
    rex = Client([jobfuncs.square], pulse_interval=PULSE,
                 nodes=[DispycosNodeAllocate("127.0.0.1", port=node.port, platform="Linux",
                                             model="Raspberry Pi 9")])
    with pytest.raises(NodeUnavailable):
        rex.schedule(timeout=2)
    rex.close(timeout=5)


def test_allocate_contract():
    alloc = DispycosNodeAllocate("192.168.1.*", cpus=-1, memory=1000)
    assert alloc.is_pattern and alloc.matches("192.168.1.7", "pi", 9706)
    assert not alloc.matches("10.0.0.1", "pi", 9706)
    assert alloc.allocate("192.168.1.7", "pi", "Linux", 4, 5000, 10) == 3
    assert alloc.allocate("192.168.1.7", "pi", "Linux", 4, 500, 10) == 0
    assert DispycosNodeAllocate("x", cpus=8).allocate("x", "x", "Linux", 4, 0, 0) == 0
    with pytest.raises(ValueError, match="host name"):
        DispycosNodeAllocate("")


def test_status_messages_in_order(start_node):
    node = start_node("-c", "1")
    statusq = queue.Queue()
    client = client_for([node], status_task=statusq)
    client.schedule(timeout=WAIT)
    client.run(jobfuncs.square, 3).result(WAIT)
    client.close(timeout=WAIT)
    seen = [m.status for m in statuses(statusq)]
    # dispycos's order: a node is initialized (node_setup) before its servers are announced
    order = [Scheduler.NodeDiscovered, Scheduler.NodeInitialized, Scheduler.ServerDiscovered,
             Scheduler.ServerInitialized, Scheduler.TaskStarted, Scheduler.TaskFinished,
             Scheduler.ClientClosed]
    positions = [seen.index(s) for s in order]
    assert positions == sorted(positions), [STATUS_NAMES[m] for m in seen]
    assert Scheduler.NodeClosed in seen


def test_close_frees_the_node_for_the_next_client(start_node, tmp_path):
    node = start_node("-c", "1")
    first = client_for([node])
    first.schedule(timeout=WAIT)
    busy = client_for([node])
    with pytest.raises(NodeUnavailable, match="is serving"):
        busy.schedule(timeout=2)
    busy.close(timeout=5)
    job = first.run(jobfuncs.square, 5)
    first.close(timeout=WAIT)
    assert job.result(0) == 25
    with pytest.raises(ClientClosed):
        first.run(jobfuncs.square, 1)
    second = client_for([node])
    second.schedule(timeout=WAIT)
    assert second.run(jobfuncs.square, 6).result(WAIT) == 36
    second.close(timeout=WAIT)


def test_killed_node_jobs_rerun_without_loss_or_duplicates(start_node):
    a, b = start_node("-c", "2"), start_node("-c", "2")
    statusq = queue.Queue()
    client = client_for([a, b], [jobfuncs.slow_square], retry=True, status_task=statusq)
    client.schedule(timeout=WAIT)
    assert client.wait_servers(4, WAIT)
    jobs = [client.run(jobfuncs.slow_square, i, 0.02) for i in range(200)]
    # kill node a once it has finished some jobs and is running others
    for job in jobs:
        job.wait(WAIT)
        if sum(1 for j in jobs if j.done() and j.node_name == "node0") >= 40:
            break
    assert client.tasks(a.addr), "node a should be running jobs when it is killed"
    a.kill_all()
    results = [j.result(WAIT) for j in jobs]
    assert results == [i * i for i in range(200)]
    snap = client.snapshot()["jobs"]
    assert snap["done"] == 200 and snap["abandoned"] == 0
    assert snap["rerun"] >= 1
    finished = [m.info.id for m in statuses(statusq) if m.status == Scheduler.TaskFinished]
    assert len(finished) == len(set(finished)) == 200          # none delivered twice
    client.close(timeout=WAIT)


def test_killed_node_without_retry_abandons_its_jobs(start_node):
    a = start_node("-c", "1")
    client = client_for([a], [jobfuncs.sleeper])
    client.schedule(timeout=WAIT)
    job = client.run(jobfuncs.sleeper, 30)
    assert _wait_for(lambda: job.state == "running")
    a.kill_all()
    with pytest.raises(JobAbandoned, match="lost"):
        job.result(WAIT)
    client.close(timeout=5)


def test_cut_off_node_is_lost_within_three_heartbeats_and_rejoins(start_node):
    import signal
    import time
    a = start_node("-c", "1")
    statusq = queue.Queue()
    client = client_for([a], [jobfuncs.square], status_task=statusq, pulse_interval=0.3)
    client.schedule(timeout=WAIT)
    a.kill_all(signal.SIGSTOP)          # silent, but its sockets stay open
    stopped = time.monotonic()
    try:
        assert _wait_for(lambda: not client.nodes(), WAIT)
        lost_after = time.monotonic() - stopped
        assert lost_after < 3 * 0.3 + 2.0, lost_after   # 3 heartbeats plus scheduling slack
    finally:
        a.kill_all(signal.SIGCONT)
    # back again: the node ends the stale session, the client dials it again
    assert client.wait_servers(1, WAIT) and _wait_for(lambda: client.nodes(), WAIT)
    assert client.run(jobfuncs.square, 9).result(WAIT) == 81
    seen = [m.status for m in statuses(statusq)]
    assert seen.count(Scheduler.NodeDiscovered) == 2 and Scheduler.NodeDisconnected in seen
    client.close(timeout=WAIT)


def test_server_crash_inside_a_job(start_node):
    node = start_node("-c", "1")
    client = client_for([node], [jobfuncs.crash, jobfuncs.square])
    client.schedule(timeout=WAIT)
    crashed = client.run(jobfuncs.crash, 3)
    with pytest.raises(JobAbandoned):
        crashed.result(WAIT)
    # the node replaced the server; work goes on
    assert client.run(jobfuncs.square, 12).result(WAIT) == 144
    client.close(timeout=WAIT)


def test_wrong_secret_is_refused(start_node):
    node = start_node("-c", "1", "--secret", "right", "--host", "127.0.0.1")
    client = client_for([node], secret="wrong")
    with pytest.raises(NodeUnavailable, match="secret"):
        client.schedule(timeout=2)
    client.close(timeout=5)
    good = client_for([node], secret="right")
    good.schedule(timeout=WAIT)
    assert good.run(jobfuncs.square, 2).result(WAIT) == 4
    good.close(timeout=WAIT)


def test_node_refuses_public_address_without_secret(tmp_path):
    out = subprocess.run([sys.executable, "-m", "picoos.dist.node", "--daemon", "-i", "0.0.0.0",
                          "--tcp-port", "0", "--dest-path", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "without a secret" in out.stderr


def test_sigterm_shuts_down_cleanly(start_node, tmp_path):
    node = start_node("-c", "2", "--dest-path", str(tmp_path / "dest"))
    statusq = queue.Queue()
    client = client_for([node], [jobfuncs.sleeper], status_task=statusq)
    client.schedule(timeout=WAIT)
    job = client.run(jobfuncs.sleeper, 30)
    assert _wait_for(lambda: job.state == "running")
    servers = node.server_pids()
    assert len(servers) == 2 and os.listdir(tmp_path / "dest")
    node.proc.terminate()
    assert node.proc.wait(WAIT) == 0
    with pytest.raises(JobAbandoned):
        job.result(WAIT)
    assert os.listdir(tmp_path / "dest") == []          # session files removed
    assert _wait_for(lambda: all(not _alive(p) for p in servers))
    assert Scheduler.NodeDisconnected in [m.status for m in statuses(statusq)]
    client.close(timeout=5)


def test_terminate_a_running_job(start_node):
    node = start_node("-c", "1")
    client = client_for([node], [jobfuncs.sleeper, jobfuncs.square])
    client.schedule(timeout=WAIT)
    job = client.run(jobfuncs.sleeper, 30)
    behind = client.run(jobfuncs.square, 4)     # prefetched to the same server
    queued = client.run(jobfuncs.sleeper, 30)   # still in the client's queue
    assert _wait_for(lambda: job.state == "running" and behind.state == "running")
    assert client.terminate(queued) and queued.state == "terminated"
    assert client.terminate(job)
    with pytest.raises(PicoosError, match="terminated"):
        job.result(WAIT)
    # the job was stuck in C code, so the server was replaced; the job queued
    # behind it on that server was handed back and ran on the new one
    assert behind.result(WAIT) == 16
    assert client.run(jobfuncs.square, 3).result(WAIT) == 9
    assert not client.terminate(job)
    client.close(timeout=WAIT)


def test_bad_input_is_refused_clearly():
    with pytest.raises(TypeError, match="host\\[:port\\]"):
        Client([], nodes=[42])
    with pytest.raises(ComponentError, match="lambda"):
        Client([lambda x: x])
    with pytest.raises(ComponentError, match="not a file"):
        Client(["/no/such/file.dat"])
    with pytest.raises(ValueError, match="bad port"):
        Client([], nodes=["host:http"])
    with pytest.raises(ValueError, match="pulse_interval"):
        Client([], pulse_interval=0)

    def local(x):
        return x
    client = Client([])
    with pytest.raises(ComponentError, match="inside a function"):
        client.run(local, 1)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def _wait_for(cond, timeout=WAIT):
    import threading
    import time
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while not cond():
        if time.monotonic() > deadline:
            return False
        event.wait(0.02)   # polling a condition, not sleeping for a result
    return True


def test_idle_daemon_is_a_lean_process(start_node):
    # the daemon runs in a fresh `python -S` without the CLI's parsers and
    # without OpenSSL: what keeps an idle node inside its memory budget
    node = start_node("-c", "1", "--no-prestart")
    with open(f"/proc/{node.proc.pid}/cmdline", "rb") as f:
        argv = f.read().split(b"\0")
    assert b"-S" in argv and any(b"main_fd" in a for a in argv)
    with open(f"/proc/{node.proc.pid}/maps") as f:
        maps = f.read()
    assert "libcrypto" not in maps and "libssl" not in maps


def test_suspend_resume_and_restart(start_node):
    a, b = start_node("-c", "1"), start_node("-c", "1")
    statusq = queue.Queue()
    client = client_for([a, b], status_task=statusq)
    client.schedule(timeout=WAIT)
    assert client.wait_servers(2, WAIT)
    client.suspend_node(a.addr)
    jobs = [client.run(jobfuncs.square, i) for i in range(40)]
    assert [j.result(WAIT) for j in jobs] == [i * i for i in range(40)]
    assert {j.node_name for j in jobs} == {"node1"}          # only the running node
    client.resume_node(a.addr)
    jobs = [client.run(jobfuncs.slow_square, i, 0.01) for i in range(40)]
    assert [j.result(WAIT) for j in jobs] == [i * i for i in range(40)]
    assert {j.node_name for j in jobs} == {"node0", "node1"}
    old = [s for s in client.servers() if s.addr == "127.0.0.1" and
           client._server(s).node.key == b.addr][0]
    before = client.run_at(old, jobfuncs.where_am_i).result(WAIT)
    client.restart_server(old)
    seen = []
    assert _wait_for(lambda: seen.extend(m.status for m in statuses(statusq)) or
                     seen.count(Scheduler.ServerInitialized) == 3)
    # a fresh process in its place, at its Location (as in dispycos)
    assert old in client.servers() and len(client.servers()) == 2
    assert client.run_at(old, jobfuncs.where_am_i).result(WAIT) != before
    assert client.run_at(b.addr, jobfuncs.square, 5).result(WAIT) == 25
    seen += [m.status for m in statuses(statusq)]
    for status in (Scheduler.NodeSuspended, Scheduler.NodeResumed, Scheduler.ServerClosed):
        assert status in seen, STATUS_NAMES[status]
    assert seen.count(Scheduler.ServerInitialized) == 3
    with pytest.raises(ValueError, match="unknown node"):
        client.suspend_node("10.9.9.9:1")
    client.close(timeout=WAIT)


def test_run_async_jobs_run_beside_cpu_jobs(start_node):
    node = start_node("-c", "1")
    client = client_for([node], [jobfuncs.sleeper, jobfuncs.square])
    client.schedule(timeout=WAIT)
    blocker = client.run(jobfuncs.sleeper, 30)
    io_job = client.run_async(jobfuncs.square, 11)
    assert io_job.result(WAIT) == 121 and not blocker.done()
    client.close(terminate=True, timeout=WAIT)
    assert blocker.state in ("terminated", "abandoned")


def test_killed_node_restarted_on_its_port_rejoins(start_node, tmp_path):
    first = start_node("-c", "1", "--name", "phoenix")
    port = first.port
    statusq = queue.Queue()
    client = client_for([first], status_task=statusq)
    client.schedule(timeout=WAIT)
    assert client.run(jobfuncs.square, 2).result(WAIT) == 4
    first.kill_all()
    assert _wait_for(lambda: not client.nodes())
    again = start_node("-c", "1", "--name", "phoenix", "--tcp-port", str(port))
    assert again.port == port
    assert _wait_for(lambda: client.nodes() == [again.host]) and client.wait_servers(1, WAIT)
    assert client.run(jobfuncs.square, 3).result(WAIT) == 9
    seen = [m.status for m in statuses(statusq)]
    assert seen.count(Scheduler.NodeDiscovered) == 2
    client.close(timeout=WAIT)
