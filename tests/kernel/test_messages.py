"""Message passing: send, deliver, receive/recv, and CategorizeMessages."""
from __future__ import annotations

import logging

import pytest

from picoos import CategorizeMessages, Task
from picoos.kernel.errors import InvalidArgument


def test_send_queues_fifo_and_receive_takes_oldest(kernel):
    def main(task=None):
        for i in range(5):
            assert task.send(i) == 0
        got = []
        for _ in range(5):
            got.append((yield task.receive()))
        return got

    assert kernel.run(main) == [0, 1, 2, 3, 4]


def test_send_wakes_blocked_receiver(kernel):
    order = []

    def receiver(task=None):
        order.append("receiving")
        msg = yield task.recv()
        order.append(("got", msg, task._kernel.clock.now()))

    def main(task=None):
        r = Task(receiver)
        yield task.sleep(7)
        order.append("sending")
        assert r.send("hello") == 0
        order.append("sent")
        yield r.finish()

    kernel.run(main)
    assert order == ["receiving", "sending", "sent", ("got", "hello", 7.0)]


def test_send_to_finished_task_returns_minus_one(kernel, caplog):
    def quick(task=None):
        yield

    def main(task=None):
        q = Task(quick)
        yield q.finish()
        with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
            status = q.send("late")
        n = yield q.deliver("late")
        return status, n

    assert kernel.run(main) == (-1, -1)
    assert "has finished" in caplog.text


def test_deliver_returns_one_and_message_arrives(kernel):
    order = []

    def receiver(task=None):
        order.append(("got", (yield task.receive())))
        order.append(("got", (yield task.receive())))

    def main(task=None):
        r = Task(receiver)
        n1 = yield r.deliver("a")
        n2 = yield r.deliver("b", timeout=3)
        order.append(("delivered", n1, n2))
        yield r.finish()

    kernel.run(main)
    assert ("delivered", 1, 1) in order
    assert [o for o in order if o[0] == "got"] == [("got", "a"), ("got", "b")]


def test_receive_timeout_gives_alarm_value(kernel):
    def main(task=None):
        a = yield task.receive(timeout=2.5)
        b = yield task.receive(timeout=1, alarm_value="nothing")
        return a, b, task._kernel.clock.now()

    assert kernel.run(main) == (None, "nothing", 3.5)


def test_message_before_timeout_cancels_it(kernel):
    def receiver(task=None):
        msg = yield task.receive(timeout=10, alarm_value="late")
        return msg, task._kernel.clock.now()

    def main(task=None):
        r = Task(receiver)
        yield task.sleep(4)
        r.send("on time")
        return (yield r.finish())

    assert kernel.run(main) == ("on time", 4.0)
    # the cancelled timer left nothing behind to wait for
    assert kernel.clock.now() == 4.0


def test_receive_poll_with_zero_timeout(kernel):
    def main(task=None):
        empty = yield task.receive(0, "empty")
        task.send("m")
        full = yield task.receive(0, "empty")
        return empty, full

    assert kernel.run(main) == ("empty", "m")


def test_receive_negative_timeout_polls(kernel):
    def main(task=None):
        empty = yield task.receive(-1, alarm_value="none")
        task.send("m")
        return empty, (yield task.receive(-1, alarm_value="none"))

    assert kernel.run(main) == ("none", "m")


def test_messages_keep_order_across_many_senders(kernel):
    def sender(target, tag, task=None):
        for i in range(3):
            target.send((tag, i))
            yield task.sleep(0)

    def main(task=None):
        for tag in "ab":
            Task(sender, task, tag)
        got = []
        for _ in range(6):
            got.append((yield task.receive()))
        return got

    assert kernel.run(main) == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]


def test_none_is_a_valid_message(kernel):
    def main(task=None):
        task.send(None)
        return (yield task.receive(timeout=5, alarm_value="alarm"))

    assert kernel.run(main) is None
    assert kernel.clock.now() == 0.0


# -- CategorizeMessages ------------------------------------------------------

def _kind(msg):
    return msg[0] if isinstance(msg, tuple) else None


def test_categorize_receive_by_category(kernel):
    def main(task=None):
        cm = CategorizeMessages(task)
        cm.add(_kind)
        for m in [("a", 1), "plain1", ("b", 1), ("a", 2), "plain2"]:
            task.send(m)
        b = yield cm.receive("b")
        a1 = yield cm.receive("a")
        plain = yield cm.receive()
        a2 = yield cm.recv("a")
        plain2 = yield cm.receive(None)
        return b, a1, plain, a2, plain2

    assert kernel.run(main) == (("b", 1), ("a", 1), "plain1", ("a", 2), "plain2")


def test_categorize_waits_for_category_and_times_out(kernel):
    order = []

    def sender(target, task=None):
        yield task.sleep(1)
        target.send(("x", 1))
        yield task.sleep(1)
        target.send(("y", 1))

    def main(task=None):
        cm = CategorizeMessages(task)
        cm.add(_kind)
        Task(sender, task)
        y = yield cm.receive("y", timeout=10)
        order.append((y, task._kernel.clock.now()))
        z = yield cm.receive("z", timeout=3, alarm_value="no z")
        order.append((z, task._kernel.clock.now()))
        x = yield cm.receive("x", timeout=0)
        order.append(x)

    kernel.run(main)
    assert order == [(("y", 1), 2.0), ("no z", 5.0), ("x", 1)]


def test_categorize_newest_function_first_and_remove(kernel):
    def by_type(msg):
        return type(msg).__name__

    def small_ints(msg):
        return "small" if isinstance(msg, int) and msg < 10 else None

    def main(task=None):
        cm = CategorizeMessages(task)
        cm.add(by_type)
        cm.add(small_ints)            # added last: asked first
        for m in (5, 50, "s"):
            task.send(m)
        small = yield cm.receive("small")
        big = yield cm.receive("int")
        cm.remove(small_ints)
        task.send(3)
        three = yield cm.receive("int")
        s = yield cm.receive("str")
        return small, big, three, s

    assert kernel.run(main) == (5, 50, 3, "s")


def test_categorize_bad_functions(kernel, caplog):
    def two_args(a, b):
        return None

    def main(task=None):
        cm = CategorizeMessages(task)
        with pytest.raises(InvalidArgument, match="callable"):
            cm.add("nope")
        with pytest.raises(InvalidArgument, match="two_args must take one argument"):
            cm.add(two_args)
        cm.add(lambda m, extra=None: None)          # a default is fine
        with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
            cm.remove(_kind)
        with pytest.raises(InvalidArgument, match="timeout"):
            yield cm.receive("a", timeout="1")
        # as in pycos, a negative timeout polls
        assert (yield cm.receive("a", timeout=-1, alarm_value="none")) == "none"
        return "ok"

    assert kernel.run(main) == "ok"
    assert "was not added" in caplog.text
