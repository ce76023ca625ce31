"""Channels: subscribe/unsubscribe (tasks and channels), send, deliver with
a subscriber count and timeout, transforms, close and locate."""
from __future__ import annotations

import logging

import pytest

from picoos import Channel, Task
from picoos.kernel.errors import InvalidArgument
from picoos.testing import wait_all_tasks_blocked


def _collector(log, tag, task=None):
    while True:
        msg = yield task.receive()
        if msg == "quit":
            return
        log.append((tag, msg))


def test_send_reaches_every_subscriber_in_order(kernel):
    log = []

    def main(task=None):
        ch = Channel("news")
        subs = [Task(_collector, log, tag) for tag in "abc"]
        for s in subs:
            assert (yield ch.subscribe(s)) == 0
        assert ch.subscribers() == subs
        assert ch.send("m1") == 0
        ch.send("m2")
        assert (yield ch.unsubscribe(subs[1])) == 0
        assert (yield ch.unsubscribe(subs[1])) == -1      # not subscribed any more
        ch.send("m3")
        ch.send("quit")
        subs[1].send("quit")
        for s in subs:
            yield s.finish()

    kernel.run(main)
    assert log == [("a", "m1"), ("b", "m1"), ("c", "m1"),
                   ("a", "m2"), ("b", "m2"), ("c", "m2"),
                   ("a", "m3"), ("c", "m3")]


def test_subscribe_twice_and_invalid_subscribers(kernel, caplog):
    def main(task=None):
        ch = Channel("c")
        assert (yield ch.subscribe(task)) == 0
        assert (yield ch.subscribe(task)) == 0
        with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
            bad = yield ch.subscribe("not a task")
            self_sub = yield ch.subscribe(ch)
        ch.send("once")
        got = yield task.receive()
        extra = yield task.receive(0, "none")
        return ch.subscribers() == [task], bad, self_sub, got, extra

    assert kernel.run(main) == (True, -1, -1, "once", "none")
    assert "invalid subscriber" in caplog.text


def test_stacked_channels(kernel):
    log = []

    def main(task=None):
        top = Channel("top")
        mid = Channel("mid", transform=lambda name, msg: "%s<%s>" % (name, msg))
        direct = Task(_collector, log, "direct")
        below = Task(_collector, log, "below")
        yield top.subscribe(direct)
        yield top.subscribe(mid)
        yield mid.subscribe(below)
        top.send("x")
        n = yield top.deliver("y")
        yield top.unsubscribe(mid)
        top.send("z")
        for t in (direct, below):
            t.send("quit")
            yield t.finish()
        return n

    # deliver counts the tasks reached through the stacked channel too
    assert kernel.run(main) == 2
    assert log == [("direct", "x"), ("below", "mid<x>"), ("direct", "y"),
                   ("below", "mid<y>"), ("direct", "z")]


def test_deliver_waits_for_n_subscribers(kernel):
    log = []

    def late_subscriber(ch, delay, tag, task=None):
        yield task.sleep(delay)
        yield ch.subscribe(task)
        log.append((tag, (yield task.receive()), task._kernel.clock.now()))

    def main(task=None):
        ch = Channel("wait")
        Task(late_subscriber, ch, 2, "a")
        Task(late_subscriber, ch, 5, "b")
        n = yield ch.deliver("hello", timeout=10, n=2)
        return n, task._kernel.clock.now()

    assert kernel.run(main) == (2, 5.0)
    assert log == [("a", "hello", 5.0), ("b", "hello", 5.0)]


def test_deliver_times_out_without_enough_subscribers(kernel):
    log = []

    def main(task=None):
        ch = Channel("few")
        t = Task(_collector, log, "only")
        yield ch.subscribe(t)
        n = yield ch.deliver("lost", timeout=3, n=2)
        when = task._kernel.clock.now()
        quick = yield ch.deliver("now", timeout=0, n=5)
        bad = yield ch.deliver("x", n=-1)
        t.send("quit")
        yield t.finish()
        return n, when, quick, bad

    assert kernel.run(main) == (0, 3.0, 0, -1)
    assert log == []              # nothing was sent when the count was not reached


def test_deliver_to_nobody_and_negative_timeout(kernel):
    def main(task=None):
        ch = Channel("empty")
        n = yield ch.deliver("m")
        # a negative timeout is no wait at all (pycos): nobody came in time
        late = yield ch.deliver("m", timeout=-1, n=1)
        return n, late, kernel.clock.now()

    assert kernel.run(main) == (0, 0, 0.0)


def test_transform_rewrites_and_drops(kernel):
    log = []

    def only_even_doubled(name, msg):
        if msg % 2:
            return None
        return msg * 2

    def main(task=None):
        ch = Channel("nums", transform=only_even_doubled)
        t = Task(_collector, log, "t")
        yield ch.subscribe(t)
        for i in range(5):
            ch.send(i)
        dropped = yield ch.deliver(7)
        delivered = yield ch.deliver(8)
        ch.set_transform(None)
        ch.send(1)
        t.send("quit")
        yield t.finish()
        return dropped, delivered

    assert kernel.run(main) == (0, 1)
    assert log == [("t", 0), ("t", 4), ("t", 8), ("t", 16), ("t", 1)]


def test_failing_transform_drops_message_and_logs(kernel, caplog):
    def broken(name, msg):
        raise ValueError("transform broke")

    def main(task=None):
        ch = Channel("b", transform=broken)
        yield ch.subscribe(task)
        with caplog.at_level(logging.ERROR, logger="picoos.kernel"):
            ch.send("m")
        return (yield task.receive(0, "nothing"))

    assert kernel.run(main) == "nothing"
    assert "transform broke" in caplog.text


def test_bad_transform_signature(kernel):
    def one_arg(msg):
        return msg

    def three_args(a, b, c):
        return c

    class Holder:
        def method(self, name, msg):
            return msg

    def main(task=None):
        with pytest.raises(InvalidArgument, match="one_arg must take 2 arguments"):
            Channel("x", transform=one_arg)
        with pytest.raises(InvalidArgument, match="it takes 3"):
            Channel("x", transform=three_args)
        with pytest.raises(InvalidArgument, match="callable"):
            Channel("x", transform="nope")
        ch = Channel("ok", transform=Holder().method)       # bound method: fine
        ch.set_transform(lambda *a: a[1])                   # *args: fine
        with pytest.raises(InvalidArgument):
            ch.set_transform(one_arg)
        with pytest.raises(InvalidArgument, match="non-empty string"):
            Channel("")
        with pytest.raises(InvalidArgument, match="non-empty string"):
            Channel(42)
        yield

    kernel.run(main)


def test_close_drops_subscribers_and_wakes_deliver(kernel):
    order = []

    def deliverer(ch, task=None):
        n = yield ch.deliver("m", n=3)
        order.append(("deliver gave", n, task._kernel.clock.now()))

    def main(task=None):
        ch = Channel("closing")
        yield ch.subscribe(task)
        d = Task(deliverer, ch)
        yield task.sleep(4)
        ch.close()
        yield d.finish()
        after = yield ch.subscribe(task)
        located = yield Channel.locate("closing")
        ch.send("after close")
        return ch.subscribers(), after, located, (yield task.receive(0, "empty"))

    assert kernel.run(main) == ([], -1, None, "empty")
    assert order == [("deliver gave", 0, 4.0)]


def test_locate_register_unregister(kernel, caplog):
    def main(task=None):
        ch = Channel("findme")
        assert repr(ch) == "findme" and ch.name == "findme" and ch.location is None
        found = yield Channel.locate("findme")
        missing = yield Channel.locate("nope")
        assert ch.unregister() == 0
        assert ch.unregister() == -1
        gone = yield Channel.locate("findme")
        assert ch.register() == 0
        back = yield Channel.locate("findme")
        with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
            newer = Channel("findme")
        replaced = yield Channel.locate("findme")
        import picoos
        elsewhere = yield Channel.locate("findme", location=picoos.Location("127.0.0.1", 9))
        return (found is ch, missing, gone, back is ch, replaced is newer, elsewhere)

    assert kernel.run(main) == (True, None, None, True, True, None)
    assert "already in use" in caplog.text


def test_subscriber_that_finished_is_dropped(kernel):
    def quick(task=None):
        yield

    def main(task=None):
        ch = Channel("d")
        q = Task(quick)
        yield ch.subscribe(q)
        yield ch.subscribe(task)
        yield q.finish()
        ch.send("m")
        n = yield ch.deliver("n")
        yield task.receive()
        yield task.receive()
        return ch.subscribers() == [task], n

    assert kernel.run(main) == (True, 1)


def test_channel_is_not_serializable_on_plain_kernel(kernel):
    import pickle

    def main(task=None):
        ch = Channel("p")
        with pytest.raises(TypeError, match="networked kernel"):
            pickle.dumps(ch)
        with pytest.raises(TypeError, match="networked kernel"):
            pickle.dumps(task)
        yield

    kernel.run(main)


def test_async_tasks_on_channel(kernel):
    log = []

    async def listener(ch, task=None):
        await ch.subscribe(task)
        log.append(await task.receive())

    def main(task=None):
        ch = Channel("async")
        t = Task(listener, ch)
        yield wait_all_tasks_blocked()
        n = yield ch.deliver("to async", n=1)
        yield t.finish()
        return n

    assert kernel.run(main) == 1
    assert log == ["to async"]
