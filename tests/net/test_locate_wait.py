"""locate() without a location waits for a peer that has the name (pycos).

A pycos program locates a server task right after it starts, before
discovery has found the server's kernel; pycos keeps the request and asks
each peer as it comes online. picoos does the same for `Task.locate`,
`Channel.locate`, `RPS.locate` and the kernel's `locate(peer_name)`, and
gives None once a timeout passes.
"""
from picoos.kernel.channel import Channel
from picoos.kernel.task import Task
from picoos.net import RPS, RemoteChannel, RemoteTask

from net_helpers import run_net

BOUND = 10      # generous bound: only a real hang reaches it


def _start_parked(task, fn, *args):
    """Start `fn` as a task and let it run until it blocks."""
    t = Task(fn, *args)
    for _ in range(5):
        yield task.sleep(0)
    return t


def test_task_locate_waits_until_a_peer_with_the_name_comes_online(child):
    c = child()

    def main(kernel, task):
        def finder(task=None):
            return (yield Task.locate("echo"))      # no peer yet, no timeout
        f = yield from _start_parked(task, finder)
        assert f.is_alive(), "locate gave up while no peer was known"
        assert (yield kernel.peer(c.location)) == 0     # as discovery would
        found = yield f.finish(timeout=BOUND)
        return found

    found = run_net(main)
    assert isinstance(found, RemoteTask) and found.name == "echo"
    assert found.location == c.location


def test_channel_and_rps_locate_wait_too(child):
    c = child()

    def main(kernel, task):
        def find(what, task=None):
            if what == "channel":
                return (yield Channel.locate("news"))
            return (yield RPS.locate("square"))
        fc = yield from _start_parked(task, find, "channel")
        fr = yield from _start_parked(task, find, "rps")
        assert fc.is_alive() and fr.is_alive()
        yield kernel.peer(c.location)
        ch = yield fc.finish(timeout=BOUND)
        rps = yield fr.finish(timeout=BOUND)
        rtask = yield rps(7)
        return ch, rps, (yield rtask.finish(timeout=BOUND))

    ch, rps, value = run_net(main)
    assert isinstance(ch, RemoteChannel) and ch.location == c.location
    assert isinstance(rps, RPS) and rps.location == c.location
    assert value == 49


def test_locate_gives_none_when_its_timeout_passes(child):
    c = child()

    def main(kernel, task):
        t0 = kernel.clock.now()
        alone = yield Task.locate("echo", timeout=0.3)          # no peers at all
        waited_alone = kernel.clock.now() - t0
        yield kernel.peer(c.location)
        t0 = kernel.clock.now()
        missing = yield Task.locate("no-such-task", timeout=0.5)    # peers say no
        waited = kernel.clock.now() - t0
        zero = yield Task.locate("no-such-task", timeout=0)
        return alone, waited_alone, missing, waited, zero

    alone, waited_alone, missing, waited, zero = run_net(main)
    assert alone is None and 0.3 <= waited_alone < BOUND
    assert missing is None and 0.5 <= waited < BOUND
    assert zero is None


def test_locate_asks_again_for_a_name_registered_later(child):
    """A peer that said "no" is asked again: the name may come later."""
    c = child(pulse=0.2)

    def main(kernel, task):
        yield kernel.peer(c.location)
        ctl = yield Task.locate("control", c.location, timeout=BOUND)

        def finder(task=None):
            return (yield Task.locate("late-name", timeout=BOUND))
        f = yield from _start_parked(task, finder)
        assert f.is_alive()
        ctl.send(("register", "late-name", task))
        assert (yield task.receive(BOUND)) == ("registered", "late-name")
        found = yield f.finish(timeout=BOUND)
        return found

    found = run_net(main)
    assert isinstance(found, RemoteTask) and found.name == "parked"   # its function
    assert found.location == c.location


def test_kernel_locate_waits_for_a_peer_by_name(child):
    c = child(name="the-child")

    def main(kernel, task):
        def finder(task=None):
            return (yield kernel.locate("the-child", timeout=BOUND))
        f = yield from _start_parked(task, finder)
        assert f.is_alive()
        nobody = yield kernel.locate("nobody", timeout=0.2)
        yield kernel.peer(c.location)
        return nobody, (yield f.finish(timeout=BOUND))

    nobody, loc = run_net(main)
    assert nobody is None and loc == c.location


def test_locate_rejects_a_bad_timeout():
    import pytest

    def main(kernel, task):
        with pytest.raises(ValueError, match="timeout"):
            kernel.locate("x", timeout=-1)
        yield task.sleep(0)
        return True

    assert run_net(main)
