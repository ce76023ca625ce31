"""Task creation, sub-calls, identity, names and daemon flag."""
from __future__ import annotations

import functools

import pytest

import picoos
from picoos import Task, testing
from picoos.kernel.errors import InvalidArgument, PicoosError, TaskError, WrongContext


# -- creation and `task` injection ---------------------------------------

def test_task_param_injected_positional_default(kernel):
    seen = []

    def child(a, b=2, task=None):
        seen.append((a, b, task is picoos.Pycos.cur_task()))
        yield

    def main(task=None):
        Task(child, 1)
        Task(child, 1, 3)
        yield task.sleep(0)

    kernel.run(main)
    assert seen == [(1, 2, True), (1, 3, True)]


def test_task_param_injected_keyword_only(kernel):
    seen = []

    def child(a, *, task=None):
        seen.append((a, task is picoos.Pycos.cur_task()))
        yield

    def main(task=None):
        t = Task(child, "x")
        yield t.finish()
        return t

    kernel.run(main)
    assert seen == [("x", True)]


def test_task_param_not_injected_without_none_default(kernel):
    # picoos's documented rule: only a `task` parameter whose default is None
    # is filled in, and an explicit task= argument is kept.  (pycos 4.12.2
    # fills any defaulted `task` parameter and raises TypeError for an
    # explicit one.)
    seen = []

    def child(task="mine"):
        seen.append(task)
        yield

    def gen_no_task(x):
        seen.append(x)
        yield

    def main(task=None):
        Task(child)
        Task(gen_no_task, 7)
        yield task.sleep(0)

    kernel.run(main)
    assert seen == ["mine", 7]


def test_explicit_task_argument_is_kept(kernel):
    seen = []

    def child(task=None):
        seen.append(task)
        yield

    def main(task=None):
        Task(child, task="given")
        yield task.sleep(0)

    kernel.run(main)
    assert seen == ["given"]


def test_target_args_kwargs_form(kernel):
    seen = []

    def child(a, b, c=0, task=None):
        seen.append((a, b, c, isinstance(task, Task)))
        return a + b + c
        yield

    def main(task=None):
        t = Task(target=child, args=(1, 2), kwargs={"c": 3})
        return (yield t.finish())

    assert kernel.run(main) == 6
    assert seen == [(1, 2, 3, True)]


def test_partial_and_generator_object_targets(kernel):
    def child(a, b):
        return a * b
        yield

    def main(task=None):
        t1 = Task(functools.partial(child, 6), 7)
        t2 = Task(child(2, 3))
        return (yield t1.finish()), (yield t2.finish())

    assert kernel.run(main) == (42, 6)


def plain_function(task=None):
    return 1


def test_plain_function_raises_task_error_naming_it(kernel):
    def main(task=None):
        with pytest.raises(TaskError, match="plain_function"):
            Task(plain_function)
        yield task.sleep(0)
        return "ok"

    assert kernel.run(main) == "ok"
    # TaskError is what both picoos and plain-Python handlers catch
    assert issubclass(TaskError, PicoosError) and issubclass(TaskError, TypeError)


def test_bad_targets_raise_task_error(kernel):
    def gen(x):
        yield x

    def main(task=None):
        with pytest.raises(TaskError, match="needs a generator function"):
            Task()
        with pytest.raises(TaskError, match="got 42"):
            Task(42)
        with pytest.raises(TaskError, match="already created generator"):
            Task(gen(1), 2)
        with pytest.raises(TaskError, match="returned 'int'"):
            Task(functools.partial(plain_function))
        yield task.sleep(0)
        return "ok"

    assert kernel.run(main) == "ok"


def test_run_plain_function_is_task_error():
    with pytest.raises(TaskError, match="plain_function"):
        testing.run(plain_function)


# -- sub-calls, plain values ---------------------------------------------

def test_subcall_return_values_several_levels(kernel):
    order = []

    def level3(x):
        # a sub-call is a plain generator call: no `task` injection there
        order.append("l3")
        yield picoos.Pycos.cur_task().sleep(1)
        return x + 1

    def level2(x):
        order.append("l2")
        y = yield level3(x)
        return y * 10

    def level1(x):
        order.append("l1")
        y = yield level2(x)
        order.append("l1-back")
        return y + 5

    def main(task=None):
        v = yield level1(1)
        return v, task._kernel.clock.now()

    assert kernel.run(main) == (25, 1.0)
    assert order == ["l1", "l2", "l3", "l1-back"]


def test_subcall_exception_travels_up_several_levels(kernel):
    order = []

    def bottom():
        yield picoos.Pycos.cur_task().sleep(0.5)
        raise KeyError("deep")

    def middle():
        try:
            yield bottom()
        finally:
            order.append("middle-finally")

    def top():
        yield middle()
        order.append("not reached")

    def main(task=None):
        try:
            yield top()
        except KeyError as e:
            order.append(("caught", e.args[0]))
        return "done"

    assert kernel.run(main) == "done"
    assert order == ["middle-finally", ("caught", "deep")]


def test_subcall_exception_caught_midway_and_value_returned(kernel):
    def bottom():
        raise ValueError("x")
        yield

    def middle():
        try:
            yield bottom()
        except ValueError:
            return "recovered"

    def main(task=None):
        return (yield middle())

    assert kernel.run(main) == "recovered"


def test_uncaught_subcall_exception_fails_task(kernel):
    def bottom():
        raise ZeroDivisionError("sub")
        yield

    def main(task=None):
        yield bottom()

    with pytest.raises(ZeroDivisionError, match="sub"):
        kernel.run(main)


def test_yield_plain_value_gives_it_back(kernel):
    def main(task=None):
        a = yield 5
        b = yield "text"
        c = yield None
        d = yield [1, 2]
        return a, b, c, d

    assert kernel.run(main) == (5, "text", None, [1, 2])


def test_yield_plain_value_is_a_scheduling_point(kernel):
    order = []

    def other(task=None):
        order.append("other")
        yield

    def main(task=None):
        Task(other)
        order.append("main-1")
        yield 1
        order.append("main-2")

    kernel.run(main)
    assert order == ["main-1", "other", "main-2"]


def test_ready_queue_is_fifo(kernel):
    order = []

    def worker(i, task=None):
        for step in range(3):
            order.append((i, step))
            yield task.sleep(0)

    def main(task=None):
        ts = [Task(worker, i) for i in range(3)]
        for t in ts:
            yield t.finish()

    kernel.run(main)
    assert order == [(i, s) for s in range(3) for i in range(3)]


# -- identity ------------------------------------------------------------

def test_name_repr_location_is_alive(kernel):
    def child_fn(task=None):
        yield task.sleep(1)

    def main(task=None):
        t = Task(child_fn)
        info = (t.name, repr(t), t.location, t.is_alive())
        yield t.finish()
        return t, info, t.is_alive(), task.name

    t, (name, rep, loc, alive), alive_after, main_name = kernel.run(main)
    assert name == "child_fn"
    assert rep == "child_fn/%d" % id(t)
    assert loc is None
    assert alive is True and alive_after is False
    assert main_name == "main"


def test_async_task_name(kernel):
    async def acoro(task=None):
        return task.name

    assert kernel.run(acoro) == "acoro"


def test_register_locate_unregister(kernel):
    def server(task=None):
        yield task.receive()

    def main(task=None):
        s = Task(server)
        assert s.register("srv") == 0
        assert (yield Task.locate("srv")) is s
        assert s.register() == 0                      # default: its name
        assert (yield Task.locate("server")) is s
        other = Task(server)
        assert other.register("srv") == -1           # taken
        assert other.register("") == -1              # invalid
        assert other.register("^x") == -1            # reserved prefix
        assert s.unregister("srv") == 0
        assert s.unregister("srv") == -1
        assert (yield Task.locate("srv")) is None
        s.send("stop")
        other.send("stop")
        yield s.finish()
        # a finished task's names are dropped
        return (yield Task.locate("server"))

    assert kernel.run(main) is None


def test_locate_elsewhere_on_plain_kernel_is_none(kernel):
    def main(task=None):
        task.register("me")
        return (yield Task.locate("me", location=picoos.Location("127.0.0.1", 1)))

    assert kernel.run(main) is None


def test_locate_negative_timeout_looks_once(kernel):
    def main(task=None):
        task.register("here")
        return (yield Task.locate("x", timeout=-1)), (yield Task.locate("here", timeout=-1))

    missing, found = kernel.run(main)
    assert missing is None and found is not None and found.name == "main"


def test_set_daemon_task_not_awaited_by_run(kernel):
    order = []

    def daemon(task=None):
        try:
            yield task.sleep(100)
            order.append("daemon woke")
        finally:
            order.append(("daemon closed", task._kernel.clock.now()))

    def worker(task=None):
        yield task.sleep(5)
        order.append("worker done")

    def main(task=None):
        d = Task(daemon)
        assert d.set_daemon() == 0
        Task(worker)
        yield task.sleep(0)
        return "main done"

    assert kernel.run(main) == "main done"
    assert order == ["worker done", ("daemon closed", 5.0)]


def test_set_daemon_false_makes_it_awaited_again(kernel):
    def daemon(task=None):
        yield task.sleep(100)
        return "slept"

    def main(task=None):
        d = Task(daemon)
        d.set_daemon(True)
        d.set_daemon(False)
        return d
        yield

    d = kernel.run(main)
    assert d._result == "slept" and kernel.clock.now() == 100.0


def test_cur_task_and_scheduler(kernel):
    def main(task=None):
        assert picoos.Pycos.cur_task() is task
        assert picoos.Pycos.scheduler() is kernel
        assert picoos.Pycos.instance() is kernel
        yield
        return "ok"

    assert kernel.run(main) == "ok"
    assert picoos.Pycos.cur_task() is None
    assert picoos.Pycos.scheduler() is None


def test_run_raises_task_exception():
    # picoos.run: the system clock, so no real timer here
    def main(task=None):
        yield task.sleep(0)
        raise OSError(5, "boom")

    with pytest.raises(OSError, match="boom"):
        picoos.run(main)


def test_run_returns_value_and_nested_run_refused(kernel):
    def inner(task=None):
        yield

    def main(task=None):
        with pytest.raises(WrongContext, match="already runs"):
            picoos.run(inner)
        yield
        return 3

    assert picoos.run(main) == 3
    assert kernel.run(main) == 3


def test_kernel_cannot_run_twice(kernel):
    def main(task=None):
        yield

    kernel.run(main)
    from picoos.kernel.errors import KernelClosed
    with pytest.raises(KernelClosed):
        kernel.run(main)


def test_kernel_atexit_priority_order(kernel):
    calls = []

    def main(task=None):
        kernel.atexit(1, calls.append, "low")
        kernel.atexit(10, calls.append, "high")
        kernel.atexit(5, calls.append, "mid-a")
        kernel.atexit(5, calls.append, "mid-b")
        kernel.atexit(7, calls.append, "dropped")
        kernel.drop_atexit(7, calls.append)
        yield

    kernel.run(main)
    assert calls == ["high", "mid-a", "mid-b", "low"]


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_fatal_exception_in_a_task_stops_run(kernel, exc):
    order = []

    def other(task=None):
        try:
            yield task.sleep(100)
        finally:
            order.append("other closed")

    def stopper(task=None):
        yield task.sleep(1)
        raise exc()

    def main(task=None):
        Task(other)
        Task(stopper)
        yield task.receive()

    with pytest.raises(exc):
        kernel.run(main)
    # everything left was closed on the way out
    assert order == ["other closed"]
    assert kernel.clock.now() == 1.0


def test_task_raising_generator_exit_itself_counts_as_terminated(kernel):
    def quitter(task=None):
        yield task.sleep(1)
        raise GeneratorExit

    def main(task=None):
        q = Task(quitter)
        yield task.monitor(q)
        st = yield task.receive()
        return st.type, st.terminated, (yield q.finish())

    assert kernel.run(main) == (StopIteration, True, None)
