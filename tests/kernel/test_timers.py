"""Sleeping, suspending, resuming, timeouts, and the fake clock kit.

Every time asserted here is an exact fake time: `FakeClock` (autojump)
moves straight to the next timer when all tasks are blocked.
"""
from __future__ import annotations

import logging

import pytest

from picoos import Task, testing
from picoos.kernel.errors import InvalidArgument, WrongContext
from picoos.kernel.scheduler import Kernel
from picoos.kernel.traps import sleep
from picoos.testing import FakeClock, wait_all_tasks_blocked


def test_sleep_exact_fake_time(kernel):
    def main(task=None):
        now = task._kernel.clock.now
        marks = [now()]
        yield task.sleep(1.5)
        marks.append(now())
        yield task.suspend(2)
        marks.append(now())
        yield sleep(0.25)           # the module-level trap
        marks.append(now())
        return marks

    assert kernel.run(main) == [0.0, 1.5, 3.5, 3.75]


def test_sleep_timeout_gives_alarm_value(kernel):
    def main(task=None):
        a = yield task.sleep(3, alarm_value="alarm")
        b = yield task.suspend(1)
        return a, b, task._kernel.clock.now()

    assert kernel.run(main) == ("alarm", None, 4.0)


def test_timers_fire_in_deadline_order_ties_in_set_order(kernel):
    order = []

    def sleeper(tag, t, task=None):
        yield task.sleep(t)
        order.append((tag, task._kernel.clock.now()))

    def main(task=None):
        Task(sleeper, "c", 3)
        Task(sleeper, "a", 1)
        Task(sleeper, "b1", 2)
        Task(sleeper, "b2", 2)
        Task(sleeper, "zero", 0)
        yield

    kernel.run(main)
    assert order == [("zero", 0.0), ("a", 1.0), ("b1", 2.0), ("b2", 2.0), ("c", 3.0)]


def test_resume_wakes_suspended_task_with_value(kernel):
    order = []

    def sleeper(task=None):
        v = yield task.suspend()
        order.append(("woke", v, task._kernel.clock.now()))
        v = yield task.sleep(10, alarm_value="alarm")
        order.append(("woke", v, task._kernel.clock.now()))

    def main(task=None):
        s = Task(sleeper)
        yield task.sleep(2)
        order.append("resume 1")
        assert s.resume("first") == 0
        yield task.sleep(3)
        order.append("wakeup 2")
        assert s.wakeup("second") == 0       # alias
        yield s.finish()

    kernel.run(main)
    assert order == ["resume 1", ("woke", "first", 2.0), "wakeup 2", ("woke", "second", 5.0)]
    # the cancelled 10 s timer did not keep the kernel (or the clock) going
    assert kernel.clock.now() == 5.0


def test_resume_of_non_suspended_task_is_ignored(kernel, caplog):
    def receiver(task=None):
        msg = yield task.receive()
        return msg

    def main(task=None):
        r = Task(receiver)
        yield task.sleep(0)
        with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
            assert r.resume("not for you") == 0
        r.send("message")
        value = yield r.finish()
        assert r.resume("late") == -1        # finished
        return value

    assert kernel.run(main) == "message"
    assert "not suspended" in caplog.text


def test_resume_from_another_task_before_it_suspends_is_ignored(kernel):
    # resume reaches a READY task (it has not suspended yet): ignored, so the
    # later suspend times out
    def sleeper(task=None):
        return (yield task.suspend(5, alarm_value="timed out"))

    def main(task=None):
        s = Task(sleeper)
        s.resume("too early")
        return (yield s.finish())

    assert kernel.run(main) == "timed out"


def test_timeout_zero_polls(kernel):
    order = []

    def other(task=None):
        order.append("other ran")
        yield

    def main(task=None):
        Task(other)
        a = yield task.sleep(0, alarm_value="poll")
        order.append(("sleep0", a))
        b = yield task.receive(0, alarm_value="empty")
        order.append(("recv0", b))
        return task._kernel.clock.now()

    assert kernel.run(main) == 0.0
    # sleep(0) is a scheduling point: the other ready task runs first
    assert order == ["other ran", ("sleep0", "poll"), ("recv0", "empty")]


@pytest.mark.parametrize("bad", ["1", [1], True])
def test_bad_timeouts_raise_invalid_argument(kernel, bad):
    def main(task=None):
        for call in (lambda: task.sleep(bad), lambda: task.suspend(bad, "a"),
                     lambda: task.receive(bad), lambda: task.recv(bad, "a"),
                     lambda: task.finish(bad), lambda: task.deliver(1, bad)):
            with pytest.raises(InvalidArgument, match="timeout"):
                call()
        yield
        return "ok"

    assert kernel.run(main) == "ok"
    assert issubclass(InvalidArgument, ValueError)


def test_bad_timeout_message_names_the_call(kernel):
    def main(task=None):
        with pytest.raises(InvalidArgument, match=r"suspend: timeout must be a number of seconds "
                                                  r"or None, got '2'"):
            task.sleep("2")
        yield

    kernel.run(main)


@pytest.mark.parametrize("negative", [-1, -0.001])
def test_negative_timeouts_give_the_alarm_at_once(kernel, negative):
    # as in pycos: a timeout <= 0 does not wait
    def other(task=None):
        yield task.receive()

    def main(task=None):
        o = Task(other)
        got = [(yield task.sleep(negative)), (yield task.suspend(negative, "a")),
               (yield task.receive(negative)), (yield task.recv(negative, "r")),
               (yield o.finish(negative)), (yield o.deliver(1, negative))]
        task.send("queued")
        got.append((yield task.receive(negative, "r")))
        return got, kernel.clock.now()

    assert kernel.run(main) == ([None, "a", None, "r", None, 1, "queued"], 0.0)


def test_module_sleep_outside_task_is_wrong_context():
    with pytest.raises(WrongContext, match="sleep"):
        sleep(1)


# -- FakeClock -----------------------------------------------------------

def test_autojump_counts_jumps_and_is_exact():
    clock = FakeClock(start=100.0)

    def main(task=None):
        for _ in range(5):
            yield task.sleep(3600)
        return task._kernel.clock.now()

    assert testing.run(main, clock=clock) == 100.0 + 5 * 3600
    assert clock.jumps == 5


def test_advance_from_a_task_without_autojump():
    clock = FakeClock(autojump=False)
    order = []

    def sleeper(task=None):
        yield task.sleep(10)
        order.append(("sleeper", clock.now()))

    def main(task=None):
        Task(sleeper)
        yield task.sleep(0)
        clock.advance(4)
        yield task.sleep(0)
        order.append(("after 4", clock.now()))
        clock.advance(6)
        # the due timer fires once the kernel runs out of ready tasks
        yield wait_all_tasks_blocked()
        order.append(("after 10", clock.now()))

    testing.run(main, clock=clock)
    assert order == [("after 4", 4.0), ("sleeper", 10.0), ("after 10", 10.0)]
    assert clock.jumps == 0


def test_advance_backwards_refused():
    clock = FakeClock()
    with pytest.raises(InvalidArgument, match="back in time"):
        clock.advance(-1)


def test_wait_all_tasks_blocked_sees_everyone_parked(kernel):
    order = []

    def worker(i, task=None):
        for step in range(i):
            yield task.sleep(0)
        order.append(("worker parked", i))
        msg = yield task.receive()
        order.append(("worker got", i, msg))

    def main(task=None):
        ws = [Task(worker, i) for i in (3, 1, 2)]
        yield wait_all_tasks_blocked()
        order.append("all blocked")
        for w in ws:
            w.send("go")
        yield wait_all_tasks_blocked()
        order.append(("all done", [w.is_alive() for w in ws]))

    kernel.run(main)
    assert order == [("worker parked", 1), ("worker parked", 2), ("worker parked", 3),
                     "all blocked",
                     ("worker got", 3, "go"), ("worker got", 1, "go"), ("worker got", 2, "go"),
                     ("all done", [False, False, False])]


def test_wait_all_tasks_blocked_before_timers_fire(kernel):
    # a task sleeping on a timer counts as blocked: the waiter runs first,
    # at the same fake time
    order = []

    def sleeper(task=None):
        yield task.sleep(5)
        order.append(("sleeper", task._kernel.clock.now()))

    def main(task=None):
        Task(sleeper)
        yield wait_all_tasks_blocked()
        order.append(("blocked", task._kernel.clock.now()))

    kernel.run(main)
    assert order == [("blocked", 0.0), ("sleeper", 5.0)]


def test_wait_all_tasks_blocked_outside_task():
    with pytest.raises(WrongContext):
        wait_all_tasks_blocked()


def test_many_timers_with_cancellation_keep_order():
    # enough cancelled timers to trigger the heap clean-up
    woken = []

    def sleeper(i, task=None):
        v = yield task.sleep(1000 + i, alarm_value="timeout")
        woken.append((i, v))

    def main(task=None):
        ts = [Task(sleeper, i) for i in range(3000)]
        yield task.sleep(0)
        for i, t in enumerate(ts):
            if i % 3:
                t.resume("resumed")
        yield task.sleep(0)
        return task._kernel.clock.now()

    assert testing.run(main) == 0.0
    resumed = [i for i in range(3000) if i % 3]
    timed = [i for i in range(3000) if not i % 3]
    assert woken == [(i, "resumed") for i in resumed] + [(i, "timeout") for i in timed]


def test_kernel_with_system_clock_short_sleep():
    # the real clock path: a tiny sleep must end and take at least that long
    def main(task=None):
        clock = task._kernel.clock
        t0 = clock.now()
        yield task.sleep(0.01)
        return clock.now() - t0

    assert Kernel().run(main) >= 0.01
