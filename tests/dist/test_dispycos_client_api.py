"""What dispycos's Client calls return and how its jobs share a server, on real nodes.

As in dispycos: ``nodes()`` gives IP addresses (and every node call takes
one), ``tasks(where)`` the remote tasks of the running jobs, a task
(generator) job started with ``rtask`` has its server to itself while
``io_rtask`` jobs run beside each other, ``abandon_zombie`` lets a node
end the session of a client that left it idle, and a restarted server
keeps its Location.
"""
import os
import signal
import time

import pytest

import apifuncs
import picoos
from picoos.dist.client import Client
from picoos.dist.status import Scheduler
from test_dispycos_examples_control import Statuses

WAIT = 60             # generous bound: only a real hang reaches it
PULSE = 0.5


def _until(predicate, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {predicate}")
        time.sleep(0.02)


def _client(nodes, statuses=None, **kw):
    kw.setdefault("pulse_interval", PULSE)
    return Client([apifuncs], nodes=[n.addr for n in nodes],
                  status_task=statuses.q if statuses else None, **kw)


def test_nodes_are_ip_addresses_that_every_node_call_takes(start_node):
    node = start_node("-c", "2")
    st = Statuses()
    client = _client([node], st)
    try:
        client.schedule(timeout=WAIT)
        assert client.wait_servers(2, WAIT)
        assert client.nodes() == ["127.0.0.1"]
        (addr,) = client.nodes()
        client.suspend_node(addr)
        st.wait(Scheduler.NodeSuspended)
        assert client.nodes() == []               # as dispycos: a suspended node is not listed
        client.resume_node("localhost")           # a host name is resolved to its address
        st.wait(Scheduler.NodeResumed)
        assert client.nodes() == [addr]
        # the Location of any of the node's servers names the node too
        node_loc = st.wait(Scheduler.NodeDiscovered)[0].info.avail_info.location
        (second,) = [s for s in client.servers() if s != node_loc]
        client.suspend_node(second)
        st.wait(Scheduler.NodeSuspended, 2)
        client.resume_node(second)
        st.wait(Scheduler.NodeResumed, 2)
        assert client.run(apifuncs.pid).result(WAIT)
        with pytest.raises(ValueError, match="unknown node"):
            client.suspend_node("10.255.255.1")
        client.close_node(addr)
        st.wait(Scheduler.NodeClosed)
        assert client.nodes() == []
    finally:
        client.close(timeout=WAIT)


def test_tasks_are_the_remote_tasks_of_the_running_jobs(start_node):
    node = start_node("-c", "2")
    client = _client([node])
    try:
        client.schedule(timeout=WAIT)
        assert client.wait_servers(2, WAIT)
        first, second = client.servers()
        j1 = client.run_at(first, apifuncs.hold)
        j2 = client.run_at(second, apifuncs.hold)
        _until(lambda: j1.rtask is not None and j2.rtask is not None)
        r1, r2 = j1.rtask, j2.rtask
        assert isinstance(r1, picoos.Task) and r1.location == first
        assert set(client.tasks()) == {r1, r2}
        for where in ("127.0.0.1", "localhost", node.addr, "node0"):
            assert set(client.tasks(where)) == {r1, r2}, where
        assert client.tasks(first) == [r1] and client.tasks(str(second)) == [r2]
        assert client.tasks("10.255.255.1") == []
        r1.send("hello")
        assert j1.result(WAIT) == "hello"
        _until(lambda: client.tasks() == [r2])
        assert client.terminate(r2) is True        # a task from tasks() can be terminated
        assert j2.wait(WAIT) and j2.state == "terminated"
        assert client.tasks() == [] and client.terminate(r2) is False
    finally:
        client.close(timeout=WAIT)


def test_task_jobs_have_their_server_to_themselves(start_node):
    node = start_node("-c", "1")
    client = _client([node])     # prefetch (2 by default) is for plain-function jobs
    try:
        client.schedule(timeout=WAIT)
        jobs = [client.run(apifuncs.exclusive, 0.3) for _ in range(3)]
        results = [j.result(WAIT) for j in jobs]
        assert len({pid for _, pid in results}) == 1       # all on the one server
        assert [most for most, _ in results] == [1, 1, 1]  # never two at once
    finally:
        client.close(timeout=WAIT)


def test_io_jobs_run_beside_each_other(start_node):
    node = start_node("-c", "1")
    client = _client([node])
    try:
        client.schedule(timeout=WAIT)
        jobs = [client.run_async(apifuncs.together, 3) for _ in range(3)]
        assert [j.result(WAIT) for j in jobs] == [3, 3, 3]
    finally:
        client.close(timeout=WAIT)


def _rtask_waits_for_the_server(client, task=None):
    """As in dispycos, ``yield client.rtask(...)`` gives the task once the
    server is free: by then the job before it has ended."""
    assert (yield client.schedule(timeout=WAIT)) == 0
    first = yield client.rtask(apifuncs.exclusive, 0.2)
    assert client.tasks() == [first]
    second = yield client.rtask(apifuncs.exclusive, 0.01)
    assert client.tasks() == [second], client.tasks()
    done = [(yield first()), (yield second())]
    yield client.close()
    return [most for most, _ in done]


def test_rtask_returns_when_the_server_is_free(start_node):
    node = start_node("-c", "1")
    client = _client([node])
    assert picoos.run(_rtask_waits_for_the_server, client) == [1, 1]


@pytest.mark.parametrize("at_start", [True, False])
def test_abandon_zombie_lets_a_node_give_up_an_idle_client(start_node, at_start):
    node = start_node("-c", "1")
    st = Statuses()
    client = _client([node], st, pulse_interval=0.3, abandon_zombie_nodes=at_start)
    try:
        client.schedule(timeout=WAIT)
        assert client.run(apifuncs.pid).result(WAIT)
        assert client.node_zombie_period(client._node("127.0.0.1")) == \
            (pytest.approx(3.0) if at_start else 0.0)
        if not at_start:
            client.abandon_zombie(client.nodes()[0], True)   # from now on, for this node
        # idle for ten heartbeats (3 s): the node ends the session for good (the
        # client does not dial it again)
        st.wait(Scheduler.NodeDisconnected)
        _until(lambda: client.targets == [] and client.nodes() == [])
    finally:
        client.close(timeout=WAIT)


def test_abandon_zombie_off_again_for_every_node(start_node):
    node = start_node("-c", "1")
    client = _client([node], pulse_interval=0.2, abandon_zombie_nodes=True)
    try:
        client.schedule(timeout=WAIT)
        link = client._node(node.addr)
        client.abandon_zombie(None, False)
        assert client.node_zombie_period(link) == 0.0
        client.abandon_zombie(link.loc, True)       # a node named by its Location
        assert client.node_zombie_period(link) == pytest.approx(2.0)
        with pytest.raises(ValueError, match="unknown node"):
            client.abandon_zombie("10.255.255.1", True)
    finally:
        client.close(timeout=WAIT)


def test_a_restarted_server_keeps_its_location(start_node):
    node = start_node("-c", "2")
    st = Statuses()
    client = _client([node], st)
    try:
        client.schedule(timeout=WAIT)
        assert client.wait_servers(2, WAIT)
        loc = client.servers()[0]
        before = client.run_at(loc, apifuncs.pid).result(WAIT)
        client.restart_server(loc)
        assert st.wait(Scheduler.ServerClosed)[0].info == loc
        st.wait(Scheduler.ServerInitialized, 3)
        assert st.seen[-1].info == loc and loc in client.servers()
        after = client.run_at(loc, apifuncs.pid).result(WAIT)
        assert after != before                      # a fresh process at the same Location
        # a server that dies is replaced at its Location too
        other = [s for s in client.servers() if s != loc][0]
        pid = client.run_at(other, apifuncs.pid).result(WAIT)
        os.kill(pid, signal.SIGKILL)
        st.wait(Scheduler.ServerInitialized, 4)
        assert st.seen[-1].info == other
        assert client.run_at(other, apifuncs.pid).result(WAIT) != pid
    finally:
        client.close(timeout=WAIT)


def test_a_restarted_node_keeps_its_servers_locations(start_node):
    node = start_node("-c", "2")
    st = Statuses()
    client = _client([node], st)
    try:
        client.schedule(timeout=WAIT)
        assert client.wait_servers(2, WAIT)
        before = set(client.servers())
        pids = {client.run_at(s, apifuncs.pid).result(WAIT) for s in before}
        client.restart_node("127.0.0.1")
        st.wait(Scheduler.NodeClosed)
        st.wait(Scheduler.ServerInitialized, 4)
        assert set(client.servers()) == before       # fresh processes at the same Locations
        again = {client.run_at(s, apifuncs.pid).result(WAIT) for s in before}
        assert not again & pids
    finally:
        client.close(timeout=WAIT)


def test_an_io_job_does_not_wait_behind_queued_task_jobs(start_node):
    node = start_node("-c", "1")
    client = _client([node])
    try:
        client.schedule(timeout=WAIT)
        first, second = client.run(apifuncs.hold), client.run(apifuncs.hold)
        _until(lambda: first.rtask is not None)
        assert client.run_async(apifuncs.pid).result(WAIT)
        assert second.state == "queued"             # the server is still first's alone
        first.rtask.send(1)
        _until(lambda: second.rtask is not None)
        second.rtask.send(2)
        assert (first.result(WAIT), second.result(WAIT)) == (1, 2)
    finally:
        client.close(timeout=WAIT)
