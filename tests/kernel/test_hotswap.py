"""Hot swap: replacing a running task's generator, keeping its mailbox."""
from __future__ import annotations

import logging

from picoos import HotSwapException, Task
from picoos.kernel.errors import TaskError

import pytest


def _v2(tag, task=None):
    got = []
    while True:
        msg = yield task.receive(timeout=1, alarm_value=None)
        if msg is None:
            return (tag, got, task._kernel.clock.now())
        got.append(msg)


def test_swap_keeps_pending_messages(kernel):
    order = []

    def v1(task=None):
        task.hot_swappable(True)
        first = yield task.receive()
        order.append(("v1 got", first))
        try:
            yield task.sleep(100)
        except HotSwapException as e:
            order.append(("v1 swapped out", isinstance(e.args[0], type(_v2("x")))))
            raise

    def main(task=None):
        t = Task(v1)
        t.send("m1")
        yield task.sleep(1)
        # queued while v1 sleeps: they must survive the swap
        t.send("m2")
        t.send("m3")
        assert t.hot_swap(_v2, "v2") == 0
        result = yield t.finish()
        return t, result

    t, result = kernel.run(main)
    assert order == [("v1 got", "m1"), ("v1 swapped out", True)]
    # the new generator got `task` injected, read the old mailbox, then timed out
    assert result == ("v2", ["m2", "m3"], 2.0)
    assert t.name == "_v2"


def test_task_catching_hot_swap_declines(kernel):
    order = []

    def v1(task=None):
        task.hot_swappable(True)
        while True:
            try:
                msg = yield task.receive()
            except HotSwapException:
                order.append("declined")
                continue
            order.append(("v1", msg))
            if msg == "stop":
                return "still v1"

    def main(task=None):
        t = Task(v1)
        yield task.sleep(0)
        t.hot_swap(_v2, "v2")
        yield task.sleep(0)
        t.send("after")
        t.send("stop")
        return (yield t.finish()), t.name

    assert kernel.run(main) == ("still v1", "v1")
    assert order == ["declined", ("v1", "after"), ("v1", "stop")]


def test_swap_postponed_until_hot_swappable(kernel):
    order = []

    def v1(task=None):
        yield task.sleep(5)
        order.append(("v1 not swappable yet", task._kernel.clock.now()))
        task.hot_swappable(True)
        try:
            yield task.sleep(100)
        except HotSwapException:
            order.append(("v1 swapped", task._kernel.clock.now()))
            raise

    def main(task=None):
        t = Task(v1)
        yield task.sleep(1)
        assert t.hot_swap(_v2, "v2") == 0
        t.send("kept")
        return (yield t.finish())

    assert kernel.run(main) == ("v2", ["kept"], 6.0)
    assert order == [("v1 not swappable yet", 5.0), ("v1 swapped", 5.0)]


def test_swap_postponed_while_in_subcall(kernel):
    order = []

    def sub(task):
        yield task.sleep(4)
        order.append(("sub done", task._kernel.clock.now()))
        return "sub value"

    def v1(task=None):
        task.hot_swappable(True)
        try:
            v = yield sub(task)
            order.append(("v1 got", v))       # not reached: swapped at return
        except HotSwapException:
            order.append(("v1 swapped", task._kernel.clock.now()))
            raise

    def main(task=None):
        t = Task(v1)
        yield task.sleep(1)
        t.hot_swap(_v2, "v2")
        return (yield t.finish())

    assert kernel.run(main) == ("v2", [], 5.0)
    assert order == [("sub done", 4.0), ("v1 swapped", 4.0)]


def test_second_swap_request_replaces_first(kernel):
    def v1(task=None):
        yield task.sleep(3)
        task.hot_swappable(True)
        yield task.sleep(100)

    def main(task=None):
        t = Task(v1)
        yield task.sleep(1)
        t.hot_swap(_v2, "first")
        t.hot_swap(_v2, "second")
        return (yield t.finish())

    assert kernel.run(main) == ("second", [], 4.0)


def test_hot_swap_finished_task_and_bad_target(kernel, caplog):
    def quick(task=None):
        yield

    def plain(task=None):
        return 1

    def main(task=None):
        q = Task(quick)
        yield q.finish()
        with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
            status = q.hot_swap(_v2, "x")
        with pytest.raises(TaskError, match="plain"):
            task.hot_swap(plain)
        return status

    assert kernel.run(main) == -1
    assert "has finished" in caplog.text


def test_hot_swappable_only_by_the_task_itself(kernel, caplog):
    def other(task=None):
        yield task.receive()

    def main(task=None):
        o = Task(other)
        with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
            status = o.hot_swappable(True)
        o.terminate()
        yield o.finish()
        return status

    assert kernel.run(main) == -1
    assert "must be called by task" in caplog.text


def test_async_task_hot_swap(kernel):
    async def v1(task=None):
        task.hot_swappable(True)
        await task.sleep(100)

    async def v2(task=None):
        return ("async v2", await task.receive())

    def main(task=None):
        t = Task(v1)
        yield task.sleep(2)
        t.send("pending")
        t.hot_swap(v2)
        return (yield t.finish())

    assert kernel.run(main) == ("async v2", "pending")
