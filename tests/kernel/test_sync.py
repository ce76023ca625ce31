"""Lock, RLock, Condition, Event, Semaphore: FIFO hand-off, timeouts,
ownership errors, and `async with`."""
from __future__ import annotations

import pytest

from picoos import Condition, Event, Lock, RLock, Semaphore, Task
from picoos.testing import wait_all_tasks_blocked
from picoos.kernel.errors import InvalidArgument, LockNotOwned, PicoosError, WrongContext


def _now():
    from picoos import Pycos
    return Pycos.cur_task()._kernel.clock.now()


# -- Lock ------------------------------------------------------------------

@pytest.mark.parametrize("cls", [Lock, RLock, Semaphore])
def test_fifo_hand_off(kernel, cls):
    order = []
    lock = cls()

    def worker(i, task=None):
        yield lock.acquire()
        order.append(("got", i, _now()))
        yield task.sleep(1)
        lock.release()

    def main(task=None):
        ws = [Task(worker, i) for i in range(4)]
        for w in ws:
            yield w.finish()

    kernel.run(main)
    assert order == [("got", i, float(i)) for i in range(4)]


def test_released_lock_cannot_be_overtaken(kernel):
    # the lock is handed to the oldest waiter: a task arriving after the
    # release, before the waiter runs, does not get it
    order = []
    lock = Lock()

    def waiter(task=None):
        yield lock.acquire()
        order.append("waiter")
        lock.release()

    def latecomer(task=None):
        ok = yield lock.acquire(blocking=False)
        order.append(("latecomer try", ok))

    def main(task=None):
        yield lock.acquire()
        w = Task(waiter)
        yield task.sleep(0)
        Task(latecomer)                    # ready before the waiter is woken
        lock.release()
        assert lock.locked()               # already the waiter's
        yield w.finish()

    kernel.run(main)
    # the latecomer tried first (and failed); its answer comes back after
    # the waiter's turn
    assert order == ["waiter", ("latecomer try", False)]


def test_lock_acquire_timeout_and_nonblocking(kernel):
    lock = Lock()

    def holder(task=None):
        yield lock.acquire()
        yield task.sleep(10)
        lock.release()

    def main(task=None):
        Task(holder)
        yield task.sleep(0)
        nb = yield lock.acquire(blocking=False)
        timed = yield lock.acquire(timeout=3)
        t_timed = _now()
        assert list(lock._waiters) == []   # the timed-out waiter left the queue
        got = yield lock.acquire(timeout=20)
        t_got = _now()
        lock.release()
        return nb, timed, t_timed, got, t_got, lock.locked()

    assert kernel.run(main) == (False, False, 3.0, True, 10.0, False)


def test_lock_bad_arguments(kernel):
    lock = Lock()

    def main(task=None):
        with pytest.raises(InvalidArgument, match="blocking=False"):
            lock.acquire(blocking=False, timeout=1)
        with pytest.raises(InvalidArgument, match="timeout"):
            lock.acquire(timeout="2")
        with pytest.raises(InvalidArgument, match="timeout"):
            Event().wait("1")
        with pytest.raises(InvalidArgument, match="Semaphore value"):
            Semaphore(-1)
        yield

    kernel.run(main)


def test_negative_timeouts(kernel):
    # as in pycos: for a lock any negative timeout waits for ever (threading's
    # -1); for Event/Condition.wait it is no wait at all
    lock = Lock()
    order = []

    def holder(task=None):
        yield lock.acquire()
        yield task.sleep(5)
        order.append("holder releases")
        lock.release()

    def main(task=None):
        Task(holder)
        yield task.sleep(1)
        got = yield lock.acquire(timeout=-2)
        order.append(("got lock", got, kernel.clock.now()))
        lock.release()
        ev = Event()
        order.append(("event", (yield ev.wait(-1)), kernel.clock.now()))
        cond = Condition()
        yield cond.acquire()
        order.append(("condition", (yield cond.wait(-0.5)), cond._owner is task))
        cond.release()

    kernel.run(main)
    assert order == ["holder releases", ("got lock", True, 5.0), ("event", False, 5.0),
                     ("condition", False, True)]


@pytest.mark.parametrize("cls", [Lock, RLock, Condition])
def test_release_unowned_raises_lock_not_owned(kernel, cls):
    lock = cls()

    def owner(task=None):
        yield lock.acquire()
        yield task.receive()
        lock.release()

    def main(task=None):
        with pytest.raises(LockNotOwned, match="unlocked"):
            lock.release()
        o = Task(owner)
        yield task.sleep(0)
        with pytest.raises(LockNotOwned, match="held by"):
            lock.release()
        o.send("go")
        yield o.finish()
        return lock.locked()

    assert kernel.run(main) is False
    assert issubclass(LockNotOwned, PicoosError) and issubclass(LockNotOwned, RuntimeError)


def test_release_outside_task_is_wrong_context():
    with pytest.raises(WrongContext, match="Lock.release"):
        Lock().release()


# -- RLock -----------------------------------------------------------------

def test_rlock_reentrant_depth(kernel):
    lock = RLock()
    order = []

    def other(task=None):
        yield lock.acquire()
        order.append(("other", _now()))
        lock.release()

    def main(task=None):
        yield lock.acquire()
        yield lock.acquire()
        o = Task(other)
        yield task.sleep(1)
        lock.release()
        order.append(("still held", lock.locked()))
        yield task.sleep(1)
        lock.release()
        yield o.finish()

    kernel.run(main)
    assert order == [("still held", True), ("other", 2.0)]


# -- Condition ---------------------------------------------------------------

def test_condition_notify_wakes_in_order_and_relocks(kernel):
    cond = Condition()
    order = []
    items = []

    def consumer(i, task=None):
        yield cond.acquire()
        while not items:
            ok = yield cond.wait()
            order.append(("woken", i, ok))
        order.append(("consumed", i, items.pop(0), cond._owner is task))
        cond.release()

    def main(task=None):
        cs = [Task(consumer, i) for i in range(3)]
        yield task.sleep(1)
        yield cond.acquire()
        items.extend("ab")
        cond.notify(2)
        cond.release()
        yield task.sleep(1)
        yield cond.acquire()
        items.append("c")
        cond.notify_all()
        cond.release()
        for c in cs:
            yield c.finish()

    kernel.run(main)
    assert order == [("woken", 0, True), ("consumed", 0, "a", True),
                     ("woken", 1, True), ("consumed", 1, "b", True),
                     ("woken", 2, True), ("consumed", 2, "c", True)]


def test_condition_wait_timeout_reacquires(kernel):
    cond = Condition()

    def holder(task=None):
        # takes the lock while the waiter times out, keeps it 2 s more
        yield task.sleep(4)
        yield cond.acquire()
        yield task.sleep(2)
        cond.release()

    def main(task=None):
        Task(holder)
        yield cond.acquire()
        yield cond.acquire()                 # depth 2: wait restores it
        ok = yield cond.wait(timeout=5)
        t = _now()
        owned = cond._owner is task
        cond.release()
        still = cond.locked()
        cond.release()
        return ok, t, owned, still, cond.locked()

    # timeout at 5.0, but the holder has the lock from 4.0 to 6.0
    assert kernel.run(main) == (False, 6.0, True, True, False)


def test_condition_needs_the_lock(kernel):
    cond = Condition()

    def main(task=None):
        with pytest.raises(LockNotOwned):
            yield cond.wait()
        with pytest.raises(LockNotOwned):
            cond.notify()
        with pytest.raises(LockNotOwned):
            cond.notify_all()
        return "ok"

    assert kernel.run(main) == "ok"


def test_terminate_condition_waiter(kernel):
    cond = Condition()

    def waiter(task=None):
        yield cond.acquire()
        yield cond.wait()

    def main(task=None):
        w = Task(waiter)
        yield wait_all_tasks_blocked()
        assert not cond.locked()             # wait released it
        assert list(cond._notified) == [w]
        w.terminate()
        yield w.finish()
        return list(cond._notified), cond.locked()

    assert kernel.run(main) == ([], False)


# -- Event -------------------------------------------------------------------

def test_event_wakes_all_waiters_in_order(kernel):
    ev = Event()
    order = []

    def waiter(i, task=None):
        ok = yield ev.wait()
        order.append((i, ok, _now()))

    def main(task=None):
        ws = [Task(waiter, i) for i in range(3)]
        yield task.sleep(2)
        assert not ev.is_set()
        ev.set()
        for w in ws:
            yield w.finish()
        fast = yield ev.wait(timeout=0)       # already set
        ev.clear()
        timed = yield ev.wait(timeout=1.5)
        polled = yield ev.wait(0)
        return fast, timed, polled, _now()

    assert kernel.run(main) == (True, False, False, 3.5)
    assert order == [(0, True, 2.0), (1, True, 2.0), (2, True, 2.0)]


# -- Semaphore ---------------------------------------------------------------

def test_semaphore_counts_and_times_out(kernel):
    sem = Semaphore(2)
    order = []

    def user(i, task=None):
        ok = yield sem.acquire(timeout=3)
        order.append((i, ok, _now()))
        if ok:
            yield task.sleep(5)
            sem.release()

    def main(task=None):
        us = [Task(user, i) for i in range(4)]
        for u in us:
            yield u.finish()
        nb = yield sem.acquire(blocking=False)
        return sem.value, nb

    assert kernel.run(main) == (1, True)
    assert order == [(0, True, 0.0), (1, True, 0.0), (2, False, 3.0), (3, False, 3.0)]


def test_semaphore_release_hands_to_oldest(kernel):
    sem = Semaphore(0)
    order = []

    def user(i, task=None):
        yield sem.acquire()
        order.append(i)

    def main(task=None):
        us = [Task(user, i) for i in range(3)]
        yield task.sleep(0)
        for _ in range(3):
            sem.release()
        for u in us:
            yield u.finish()
        return sem.value

    assert kernel.run(main) == 0
    assert order == [0, 1, 2]


# -- async with --------------------------------------------------------------

@pytest.mark.parametrize("cls", [Lock, RLock, Semaphore, Condition])
def test_async_with(kernel, cls):
    lock = cls()
    order = []

    async def user(i, task=None):
        async with lock:
            order.append(("in", i, _now()))
            await task.sleep(1)
            order.append(("out", i))

    def gen_user(task=None):
        yield lock.acquire()
        order.append(("in", "gen", _now()))
        lock.release()

    def main(task=None):
        ts = [Task(user, 0), Task(gen_user), Task(user, 1)]
        for t in ts:
            yield t.finish()

    kernel.run(main)
    assert order == [("in", 0, 0.0), ("out", 0), ("in", "gen", 1.0),
                     ("in", 1, 1.0), ("out", 1)]


def test_async_with_releases_on_exception(kernel):
    lock = Lock()

    async def main(task=None):
        with pytest.raises(KeyError):
            async with lock:
                raise KeyError("inside")
        return lock.locked()

    assert kernel.run(main) is False


# -- a waiter ended after the lock was handed to it, before it ran --------------

@pytest.mark.parametrize("how", ["terminate", "throw"])
@pytest.mark.parametrize("cls", [Lock, RLock, Semaphore])
def test_handed_over_lock_is_passed_on_when_waiter_dies(kernel, cls, how):
    lock = cls()
    order = []

    def doomed(task=None):
        try:
            yield lock.acquire()
            order.append("doomed got it")          # never: ended before it ran
        except KeyError:
            order.append("doomed caught KeyError")

    def next_in_line(task=None):
        ok = yield lock.acquire(timeout=5)
        order.append(("next", ok, _now()))
        if ok:
            lock.release()

    def main(task=None):
        yield lock.acquire()
        d = Task(doomed)
        n = Task(next_in_line)
        yield task.sleep(1)
        lock.release()                 # handed to `doomed`, which has not run
        if how == "terminate":
            d.terminate()
        else:
            d.throw(KeyError("k"))
        yield n.finish()
        yield d.finish()
        return lock.locked() if cls is not Semaphore else lock.value

    expected_end = False if cls is not Semaphore else 1
    assert kernel.run(main) == expected_end
    caught = ["doomed caught KeyError"] if how == "throw" else []
    assert order == caught + [("next", True, 1.0)]


def test_condition_reacquire_passed_on_when_waiter_dies(kernel):
    cond = Condition()
    order = []

    def waiter(tag, task=None):
        yield cond.acquire()
        yield cond.wait()
        order.append((tag, "relocked", _now()))
        cond.release()

    def main(task=None):
        a = Task(waiter, "a")
        b = Task(waiter, "b")
        yield wait_all_tasks_blocked()
        yield cond.acquire()
        cond.notify_all()
        yield task.sleep(1)
        cond.release()                 # the lock goes to `a`, not yet run
        a.terminate()
        yield b.finish()
        return cond.locked()

    assert kernel.run(main) is False
    assert order == [("b", "relocked", 1.0)]
