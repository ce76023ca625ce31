"""`async def` tasks and generator tasks on one scheduler: the same traps,
`@coro` operations, messages between the two styles, one FIFO order."""
from __future__ import annotations

import pytest

from picoos import Lock, Task, coro
from picoos.kernel.errors import InvalidArgument
from picoos.kernel.traps import SubCall, Value, sleep


@coro
def add_later(a, b, delay):
    yield sleep(delay)
    return a + b


@coro
def fail_later(delay):
    yield sleep(delay)
    raise KeyError("from coro")


def test_async_main_task(kernel):
    async def main(task=None):
        await task.sleep(2)
        msg = await task.receive(timeout=1, alarm_value="alarm")
        return msg, task._kernel.clock.now()

    assert kernel.run(main) == ("alarm", 3.0)


def test_coro_yield_and_await_give_same_result(kernel):
    async def async_user(task=None):
        return await add_later(1, 2, 1)

    def gen_user(task=None):
        return (yield add_later(3, 4, 2))

    def main(task=None):
        a = Task(async_user)
        g = Task(gen_user)
        return (yield a.finish()), (yield g.finish()), task._kernel.clock.now()

    assert kernel.run(main) == (3, 7, 2.0)


def test_coro_exception_reaches_both_styles(kernel):
    async def async_user(task=None):
        try:
            await fail_later(1)
        except KeyError as e:
            return "async caught %s" % e.args[0]

    def gen_user(task=None):
        try:
            yield fail_later(1)
        except KeyError as e:
            return "gen caught %s" % e.args[0]

    def main(task=None):
        a, g = Task(async_user), Task(gen_user)
        return (yield a.finish()), (yield g.finish())

    assert kernel.run(main) == ("async caught from coro", "gen caught from coro")


def test_generator_and_async_interleave_fifo(kernel):
    order = []

    async def a_worker(tag, task=None):
        for i in range(3):
            order.append((tag, i))
            await task.sleep(0)

    def g_worker(tag, task=None):
        for i in range(3):
            order.append((tag, i))
            yield task.sleep(0)

    def main(task=None):
        ts = [Task(a_worker, "A"), Task(g_worker, "G"), Task(a_worker, "B")]
        for t in ts:
            yield t.finish()

    kernel.run(main)
    assert order == [(tag, i) for i in range(3) for tag in "AGB"]


def test_messages_between_styles(kernel):
    async def pong(task=None):
        while True:
            msg = await task.receive()
            if msg is None:
                return "pong done"
            sender, n = msg
            sender.send(n + 1)

    def main(task=None):
        p = Task(pong)
        n = 0
        for _ in range(100):
            p.send((task, n))
            n = yield task.receive()
        p.send(None)
        return n, (yield p.finish())

    assert kernel.run(main) == (100, "pong done")


def test_async_task_monitor_terminate_and_finish(kernel):
    async def forever(task=None):
        try:
            await task.receive()
        finally:
            order.append("async finally")

    order = []

    async def main(task=None):
        t = Task(forever)
        await task.monitor(t)
        await task.sleep(1)
        t.terminate()
        st = await task.receive()
        v = await t.finish()
        return st.type, st.value, st.terminated, v

    # as in pycos: StopIteration with the value it was last resumed with
    assert kernel.run(main) == (StopIteration, None, True, None)
    assert order == ["async finally"]


def test_async_failure_is_raised_by_run(kernel):
    async def main(task=None):
        await task.sleep(1)
        raise ValueError("async failed")

    with pytest.raises(ValueError, match="async failed"):
        kernel.run(main)


def test_async_await_lock_and_plain_value_trap(kernel):
    lock = Lock()

    async def main(task=None):
        got = await lock.acquire()
        lock.release()
        v = await Value("immediate")
        return got, v

    assert kernel.run(main) == (True, "immediate")


def test_subcall_object(kernel):
    def gen(x):
        yield sleep(0)
        return x * 2

    async def main(task=None):
        return await SubCall(gen(21))

    assert kernel.run(main) == 42
    assert "gen" in repr(SubCall(gen(1)))


def test_async_negative_timeout(kernel):
    async def main(task=None):
        assert await task.sleep(-1, "now") == "now"
        with pytest.raises(InvalidArgument):
            await task.sleep("1")
        return "ok"

    assert kernel.run(main) == "ok"
