"""Monitors: MonitorStatus for returned, failed and terminated tasks, and
how a failure is logged and becomes the task's value."""
from __future__ import annotations

import logging

import pytest

from picoos import HotSwapException, MonitorStatus, Task
from picoos.kernel.errors import InvalidArgument


def _returns(x, task=None):
    yield task.sleep(1)
    return x


def _fails(task=None):
    yield task.sleep(2)
    raise KeyError("bad key")


def _forever(task=None):
    yield task.receive()


def test_monitor_sees_return_value(kernel):
    def main(task=None):
        t = Task(_returns, 41)
        assert (yield task.monitor(t)) == 0
        st = yield task.receive()
        return t, st

    t, st = kernel.run(main)
    assert isinstance(st, MonitorStatus)
    assert st.info is t and st.type is StopIteration and st.value == 41


def test_monitor_sees_exception_type_and_traceback(kernel, caplog):
    def main(task=None):
        t = Task(_fails)
        yield task.monitor(t)
        st = yield task.receive()
        return t, st

    with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
        t, st = kernel.run(main)
    assert st.info is t and st.type is KeyError
    assert isinstance(st.value, str)
    assert "Traceback" in st.value and "KeyError: 'bad key'" in st.value
    assert "_fails" in st.value                       # the failing frame is in the text
    # the failed task's value is its MonitorStatus (with the exception object)
    assert isinstance(t._result, MonitorStatus) and t._result.type is KeyError
    assert isinstance(t._result.exception, KeyError)
    # logged exactly once, through the picoos logger
    records = [r for r in caplog.records if "uncaught exception" in r.getMessage()]
    assert len(records) == 1
    assert records[0].name == "picoos.kernel" and records[0].levelno == logging.WARNING
    assert "bad key" in records[0].getMessage()


def test_failed_task_value_and_finish_give_monitor_status(kernel):
    def main(task=None):
        t = Task(_fails)
        v = yield t.finish()
        again = yield t()                   # finished already: at once
        return v, again

    v, again = kernel.run(main)
    assert isinstance(v, MonitorStatus) and v.type is KeyError
    assert again is v


def test_monitor_of_terminated_task_gets_stop_iteration_with_last_value(kernel):
    # pycos semantics: a terminated task ends as if it returned the value it
    # was last resumed with; `terminated` tells it from a task that returned
    def main(task=None):
        t = Task(_forever)
        yield task.monitor(t)
        yield task.sleep(1)
        assert t.terminate() == 0
        st = yield task.receive()
        return t, st

    t, st = kernel.run(main)
    assert st.info is t and st.type is StopIteration and st.value is None
    assert st.terminated is True
    assert t._result is None and not t.is_alive()


def test_terminated_task_value_is_its_last_resume_value(kernel):
    def sleeper(task=None):
        yield task.sleep(1, alarm_value="alarm")
        yield task.suspend()

    def receiver(task=None):
        yield task.receive()
        yield task.suspend()

    def plain(task=None):
        yield "given back"
        yield task.suspend()

    def resumed(task=None):
        yield task.suspend()
        yield task.receive()

    def main(task=None):
        tasks = [Task(sleeper), Task(receiver), Task(plain), Task(resumed)]
        for t in tasks:
            yield task.monitor(t)
        tasks[1].send("message")
        yield task.sleep(2)
        tasks[3].resume("resume value")
        yield task.sleep(1)
        for t in tasks:
            t.terminate()
        got = []
        for _ in tasks:
            st = yield task.receive()
            got.append((st.info.name, st.type, st.value, st.terminated))
        values = []
        for t in tasks:
            values.append((yield t.finish()))
        return got, values

    got, values = kernel.run(main)
    assert got == [("sleeper", StopIteration, "alarm", True),
                   ("receiver", StopIteration, "message", True),
                   ("plain", StopIteration, "given back", True),
                   ("resumed", StopIteration, "resume value", True)]
    assert values == ["alarm", "message", "given back", "resume value"]


def test_returned_task_status_is_not_terminated(kernel):
    def main(task=None):
        t = Task(_returns, "v")
        yield task.monitor(t)
        st = yield task.receive()
        return st

    st = kernel.run(main)
    assert st.type is StopIteration and st.value == "v" and st.terminated is False


def test_notify_is_monitor_reversed_and_many_monitors(kernel):
    order = []

    def watcher(tag, task=None):
        st = yield task.receive()
        order.append((tag, st.type, st.value))

    def main(task=None):
        t = Task(_returns, "v")
        w1 = Task(watcher, "w1")
        w2 = Task(watcher, "w2")
        assert t.notify(w1) == 0
        assert t.notify(w1) == 0          # not added twice
        yield w2.monitor(t)
        yield w1.finish()
        yield w2.finish()

    kernel.run(main)
    assert order == [("w1", StopIteration, "v"), ("w2", StopIteration, "v")]


def test_monitor_a_finished_task_is_minus_one(kernel, caplog):
    def main(task=None):
        t = Task(_returns, 1)
        yield t.finish()
        with caplog.at_level(logging.WARNING, logger="picoos.kernel"):
            return (yield task.monitor(t))

    assert kernel.run(main) == -1
    assert "already finished" in caplog.text


def test_monitor_bad_arguments(kernel):
    def main(task=None):
        with pytest.raises(InvalidArgument, match="Task"):
            task.monitor("not a task")
        with pytest.raises(InvalidArgument, match="Task"):
            task.notify(42)
        yield

    kernel.run(main)


def test_monitor_restarts_failed_task(kernel):
    # the classic pycos pattern: a monitor that restarts a worker that failed
    attempts = []

    def flaky(n, task=None):
        attempts.append(n)
        yield task.sleep(1)
        if n < 3:
            raise RuntimeError("attempt %d failed" % n)
        return "succeeded at %d" % n

    def supervisor(task=None):
        n = 1
        while True:
            t = Task(flaky, n)
            yield task.monitor(t)
            st = yield task.receive()
            if st.type is StopIteration:
                return st.value, task._kernel.clock.now()
            n += 1

    assert kernel.run(supervisor) == ("succeeded at 3", 3.0)
    assert attempts == [1, 2, 3]


def test_monitor_status_repr_and_pickle_form():
    st = MonitorStatus("info", KeyError, "x" * 100, KeyError("k"))
    r = repr(st)
    assert r.startswith("MonitorStatus('info', KeyError, 'xxx") and r.endswith("...')")
    # the exception object stays local: it is not part of the pickled form
    import pickle
    back = pickle.loads(pickle.dumps(st))
    assert (back.info, back.type, back.value, back.exception) == ("info", KeyError, "x" * 100, None)


def test_hot_swap_exception_type():
    assert issubclass(HotSwapException, Exception)


def test_failure_trace_shows_the_tasks_frames_not_the_kernels(kernel):
    def helper():
        yield None
        try:
            {}["k"]
        except KeyError as e:
            raise ValueError("from helper") from e

    def fails(task=None):
        yield task.sleep(1)
        yield helper()

    def main(task=None):
        t = Task(fails)
        return [(yield t.finish())]

    st, = kernel.run(main)
    assert st.type is ValueError
    frames = [line for line in st.value.splitlines() if line.startswith("  File")]
    assert [f.rsplit(" in ", 1)[1] for f in frames] == ["helper", "fails", "helper"]
    assert "The above exception was the direct cause" in st.value
    assert st.value.splitlines()[-1] == "ValueError: from helper"
    assert "scheduler.py" not in st.value
