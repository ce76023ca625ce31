"""Termination, throw, and waiting for a task's end (finish, `yield t()`).

A terminated task must leave no trace where it waited: not in a lock's
queue, not in a timer, not as a receiver.
"""
from __future__ import annotations

import pytest

from picoos import Lock, Task
from picoos.kernel.errors import InvalidArgument, WrongContext


def test_terminate_task_blocked_on_lock_leaves_queue(kernel):
    order = []
    lock = Lock()

    def holder(task=None):
        yield lock.acquire()
        yield task.sleep(10)
        order.append(("holder releases", task._kernel.clock.now()))
        lock.release()

    def blocked(tag, task=None):
        try:
            yield lock.acquire()
            order.append((tag, "acquired", task._kernel.clock.now()))
            lock.release()
        finally:
            order.append((tag, "finally"))

    def main(task=None):
        Task(holder)
        yield task.sleep(0)
        b1 = Task(blocked, "b1")
        b2 = Task(blocked, "b2")
        yield task.sleep(1)
        assert list(lock._waiters) == [b1, b2]
        assert b1.terminate() == 0
        yield task.sleep(0)
        # the terminated task is gone from the lock's queue at once
        assert list(lock._waiters) == [b2]
        yield b2.finish()
        return b1.is_alive(), lock.locked()

    assert kernel.run(main) == (False, False)
    # b1 never got the lock; the hand-off went straight to b2
    assert order == [("b1", "finally"), ("holder releases", 10.0),
                     ("b2", "acquired", 10.0), ("b2", "finally")]


def test_terminate_task_blocked_on_receive(kernel):
    order = []

    def receiver(task=None):
        try:
            yield task.receive()
        except GeneratorExit:
            order.append("GeneratorExit at receive")
            raise

    def main(task=None):
        r = Task(receiver)
        yield task.sleep(0)
        r.terminate()
        yield r.finish()
        # a message now finds a finished task
        return r.send("too late"), r.is_alive()

    assert kernel.run(main) == (-1, False)
    assert order == ["GeneratorExit at receive"]


def test_terminate_sleeping_task_cancels_its_timer(kernel):
    def sleeper(task=None):
        yield task.sleep(1000)

    def main(task=None):
        s = Task(sleeper)
        yield task.sleep(2)
        s.terminate()
        yield s.finish()
        return task._kernel.clock.now()

    assert kernel.run(main) == 2.0
    # nothing waited for the 1000 s timer
    assert kernel.clock.now() == 2.0


def test_self_terminate(kernel):
    order = []

    def worker(task=None):
        try:
            order.append("before")
            task.terminate()
            yield task.sleep(5)
            order.append("after (must not run)")
        finally:
            order.append(("finally", task._kernel.clock.now()))

    def main(task=None):
        w = Task(worker)
        v = yield w.finish()
        return v, w.is_alive()

    assert kernel.run(main) == (None, False)
    assert order == ["before", ("finally", 0.0)]


def test_terminate_task_inside_subcall_closes_every_level(kernel):
    order = []

    def inner_wait(t):
        try:
            yield t.receive()
        finally:
            order.append("inner finally")

    def outer(task=None):
        try:
            yield inner_wait(task)
        finally:
            order.append("outer finally")

    def main(task=None):
        o = Task(outer)
        yield task.sleep(0)
        o.terminate()
        yield o.finish()

    kernel.run(main)
    assert order == ["inner finally", "outer finally"]


def test_terminate_finished_task_is_minus_one(kernel):
    def quick(task=None):
        yield

    def main(task=None):
        q = Task(quick)
        yield q.finish()
        return q.terminate()

    assert kernel.run(main) == -1


def test_terminate_task_that_yields_in_finally(kernel, caplog):
    # a generator that yields while being closed cannot be closed cleanly:
    # the kernel logs it and still ends the task
    def stubborn(task=None):
        try:
            yield task.receive()
        finally:
            yield task.sleep(1)

    def main(task=None):
        s = Task(stubborn)
        yield task.sleep(0)
        s.terminate()
        yield s.finish()
        return s.is_alive()

    assert kernel.run(main) is False
    assert "raised" in caplog.text


# -- throw ---------------------------------------------------------------

def test_throw_into_waiting_task(kernel):
    def victim(task=None):
        try:
            yield task.receive(timeout=100)
        except ValueError as e:
            return "caught %s at %s" % (e, task._kernel.clock.now())

    def main(task=None):
        v = Task(victim)
        yield task.sleep(3)
        assert v.throw(ValueError("oops")) == 0
        return (yield v.finish())

    assert kernel.run(main) == "caught oops at 3.0"
    assert kernel.clock.now() == 3.0


def test_throw_forms_class_and_tuple(kernel):
    caught = []

    def victim(task=None):
        for _ in range(3):
            try:
                yield task.receive()
            except Exception as e:
                caught.append((type(e), e.args))

    def main(task=None):
        v = Task(victim)
        yield task.sleep(0)
        v.throw(KeyError)
        yield task.sleep(0)
        v.throw((ValueError, "pair"))
        yield task.sleep(0)
        v.throw(TypeError, TypeError("inst"), None)
        yield v.finish()
        with pytest.raises(InvalidArgument):
            v.throw()
        with pytest.raises(InvalidArgument, match="needs an exception"):
            task.throw("not an exception")
        return v.throw(KeyError)

    assert kernel.run(main) == -1
    assert caught == [(KeyError, ()), (ValueError, ("pair",)), (TypeError, ("inst",))]


def test_uncaught_thrown_exception_fails_task(kernel):
    def victim(task=None):
        yield task.receive()

    def main(task=None):
        v = Task(victim)
        yield task.sleep(0)
        v.throw(RuntimeError("thrown"))
        st = yield v.finish()
        return st.type, "thrown" in st.value

    assert kernel.run(main) == (RuntimeError, True)


# -- finish ------------------------------------------------------------

def test_finish_and_call_give_value(kernel):
    def child(x, task=None):
        yield task.sleep(x)
        return x * 10

    def main(task=None):
        a = Task(child, 2)
        b = Task(child, 1)
        va = yield a.finish()
        vb = yield b()
        return va, vb, task._kernel.clock.now()

    assert kernel.run(main) == (20, 10, 2.0)


def test_finish_timeout_gives_none(kernel):
    def slow(task=None):
        yield task.sleep(10)
        return "slow"

    def main(task=None):
        s = Task(slow)
        early = yield s.finish(timeout=3)
        t_early = task._kernel.clock.now()
        poll = yield s.finish(timeout=0)
        late = yield s.finish(timeout=30)
        return early, t_early, poll, late, task._kernel.clock.now()

    assert kernel.run(main) == (None, 3.0, None, "slow", 10.0)


def test_many_waiters_on_finish_wake_in_order(kernel):
    order = []

    def target(task=None):
        yield task.sleep(5)
        return "t"

    def waiter(i, t, task=None):
        order.append((i, (yield t.finish())))

    def main(task=None):
        t = Task(target)
        ws = [Task(waiter, i, t) for i in range(4)]
        for w in ws:
            yield w.finish()

    kernel.run(main)
    assert order == [(i, "t") for i in range(4)]


def test_finish_of_self_is_wrong_context(kernel):
    def main(task=None):
        with pytest.raises(WrongContext, match="its own end"):
            yield task.finish()
        return "ok"

    assert kernel.run(main) == "ok"


def test_value_inside_kernel_thread_is_wrong_context(kernel):
    def child(task=None):
        yield task.sleep(1)

    def main(task=None):
        c = Task(child)
        with pytest.raises(WrongContext, match="yield task.finish"):
            c.value()
        yield c.finish()
        # once finished, value() is safe anywhere: it does not block
        return c.value()

    assert kernel.run(main) is None
