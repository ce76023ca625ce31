"""Remote tasks, channels, RPS and monitors between real processes."""

from picoos.kernel.channel import Channel
from picoos.kernel.task import MonitorStatus, Task
from picoos.net import RPS, RemoteTask
from picoos.net.refs import RemoteError

from net_helpers import run_net

BOUND = 10      # generous bound: only a real hang reaches it


def test_peer_locate_send_deliver(child):
    c = child()

    def main(kernel, task):
        assert (yield kernel.peer(c.location)) == 0
        assert kernel.peers() == [c.location]
        echo = yield Task.locate("echo", c.location, timeout=BOUND)
        assert isinstance(echo, RemoteTask) and echo.name == "echo"
        assert echo.location == c.location
        assert echo.send((task, "one")) == 0
        got = [(yield task.receive(BOUND))]
        assert (yield echo.deliver((task, "two"), timeout=BOUND)) == 1
        got.append((yield task.receive(BOUND)))
        # locate without a location asks every peer
        again = yield Task.locate("echo", timeout=BOUND)
        missing = yield Task.locate("no-such-task", c.location, timeout=BOUND)
        return got, again == echo, missing

    got, same, missing = run_net(main)
    assert got == [("echo", "one"), ("echo", "two")]
    assert same and missing is None


def test_remote_monitor_and_terminate(child):
    c = child()

    def main(kernel, task):
        yield kernel.peer(c.location)
        echo = yield Task.locate("echo", c.location, timeout=BOUND)
        assert (yield task.monitor(echo)) == 0
        echo.send("raise")
        failed = yield task.receive(BOUND)
        return failed

    st = run_net(main)
    assert isinstance(st, MonitorStatus) and st.type is KeyError
    assert "asked to fail" in st.value and isinstance(st.info, RemoteTask)


def test_rps_round_trip_and_failures(child):
    c = child()

    def main(kernel, task):
        yield kernel.peer(c.location)
        square = yield RPS.locate("square", c.location, timeout=BOUND)
        rt = yield square(12)
        value = yield rt.finish(timeout=BOUND)
        boom = yield RPS.locate("boom", c.location, timeout=BOUND)
        rb = yield boom()
        failed = yield rb()
        nothing = yield RPS.locate("os.system", c.location, timeout=BOUND)
        slow = yield RPS.locate("slow", c.location, timeout=BOUND)
        rs = yield slow()
        assert (yield task.monitor(rs)) == 0
        rs.terminate()
        term = yield task.receive(BOUND)
        return value, failed, nothing, term

    value, failed, nothing, term = run_net(main)
    assert value == 144
    assert isinstance(failed, MonitorStatus) and failed.type is ValueError
    assert "boom on purpose" in failed.value
    assert nothing is None      # only registered functions can be found or run
    # as in pycos: StopIteration with the last resume value; marked terminated
    assert term.type is StopIteration and term.value is None and term.terminated


def test_rps_handle_forgets_the_tasks_that_ended(child):
    """A handle that starts a task per call (a dist client: one per job)
    keeps only the ones still running, for close() to terminate."""
    c = child()

    def main(kernel, task):
        square = yield RPS.locate("square", c.location, timeout=BOUND)
        values = []
        for i in range(200):
            rt = yield square(i)
            values.append((yield rt.finish(timeout=BOUND)))
        slow = yield RPS.locate("slow", c.location, timeout=BOUND)
        running = yield slow()
        for i in range(100):
            rt = yield slow()
            rt.terminate()
            assert (yield rt.finish(timeout=BOUND)) is None
        kept = list(slow._rtasks)
        assert slow.close() == 0
        return values, len(square._rtasks), running in kept, (yield running.finish(BOUND))

    values, kept, running_kept, end = run_net(main)
    assert values == [i * i for i in range(200)]
    assert kept < 64            # not 200
    assert running_kept and end is None     # the running one was kept, and close() ended it


def test_exception_class_unknown_here(child):
    """A remote task fails with a class only its process knows: the monitor
    still gets a MonitorStatus naming it (a RemoteError stand-in)."""
    c = child()

    def main(kernel, task):
        custom = yield RPS.locate("custom", c.location, timeout=BOUND)
        rt = yield custom()
        return (yield rt.finish(timeout=BOUND))

    st = run_net(main)
    assert isinstance(st, MonitorStatus) and issubclass(st.type, RemoteError)
    assert st.type.__name__ == "ChildOnlyError" and "only the child knows" in st.value


def test_unregistered_function_never_runs(child):
    """Asking for an RPS by a name that is not registered runs nothing."""
    c = child()

    def main(kernel, task):
        yield kernel.peer(c.location)
        fake = RPS._from_ref(kernel, "os.system", c.location)
        return (yield fake("touch /tmp/picoos-pwned"))

    assert run_net(main) is None
    assert "is not registered here: refused" in c.stop()


def test_remote_channel_both_ways(child):
    c = child()

    def main(kernel, task):
        yield kernel.peer(c.location)
        # a local task subscribes to the child's channel
        news = yield Channel.locate("news", c.location, timeout=BOUND)
        assert (yield news.subscribe(task)) == 0
        assert news.send("to subscribers") == 0
        first = yield task.receive(BOUND)
        # the child's echo task subscribes to our channel: remote subscriber
        ours = Channel("ours")
        control = yield Task.locate("control", c.location, timeout=BOUND)
        control.send(("subscribe", ours, task))
        sub = yield task.receive(BOUND)
        n = yield ours.deliver((task, "via channel"), timeout=BOUND, n=1)
        echoed = yield task.receive(BOUND)
        assert (yield news.unsubscribe(task)) == 0
        return first, sub, n, echoed

    first, sub, n, echoed = run_net(main)
    assert first == "to subscribers"
    assert sub == ("subscribed", 0)
    assert n == 1 and echoed == ("echo", "via channel")


def test_child_locates_back(child):
    """References travel both ways: the child locates one of our tasks."""
    c = child()

    def main(kernel, task):
        task.register("home")
        yield kernel.peer(c.location)
        control = yield Task.locate("control", c.location, timeout=BOUND)
        control.send(("locate", kernel.location, "home", task))
        return (yield task.receive(BOUND))

    kind, found = run_net(main)
    assert kind == "located" and isinstance(found, Task) and not isinstance(found, RemoteTask)


def test_peer_status_messages(child):
    c = child()

    def main(kernel, task):
        kernel.peer_status(task)
        yield kernel.peer(c.location)
        online = yield task.receive(BOUND)
        yield kernel.close_peer(c.location)
        offline = yield task.receive(BOUND)
        return online, offline

    online, offline = run_net(main)
    assert (online.location, online.status) == (c.location, 1)
    assert (offline.location, offline.status, offline.name) == (c.location, 0, "child")
    assert c.wait_log("is offline: closed by the peer"), c.stop()
