"""AsyncDBCursor shared by several tasks: its calls run one at a time in
call order (a DB-API cursor is not thread-safe), without blocking the
kernel thread; a task resumed from its call reads its own results; an
exception reaches its caller and the next call still runs; a task that
leaves (terminated, thrown into) never stalls the cursor.

A gated fake cursor makes the order observable: each `execute(key)` blocks
in its pool thread until the test opens that key's gate. sqlite3 is the
real thing.
"""
from __future__ import annotations

import sqlite3
import threading

import pytest

import picoos
from picoos import AsyncThreadPool, Task
from picoos.kernel.threadpool import run_in_thread
from picoos.testing import wait_all_tasks_blocked

BOUND = 20.0          # seconds; only a hang reaches it


class GatedCursor:
    """A cursor whose `execute(key)` records which calls overlap and waits
    until the test opens the gate of `key`; key "bad" raises."""

    def __init__(self, keys):
        self.gates = {k: threading.Event() for k in keys}
        self.started = {k: threading.Event() for k in keys}
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.order = []
        self.last = None
        self.rowcount = -1

    def execute(self, key, args=None):
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.order.append(key)
        self.started[key].set()
        try:
            if not self.gates[key].wait(BOUND):
                raise AssertionError("gate %r never opened" % (key,))
            if key == "bad":
                raise ValueError("bad query")
            self.last = key
            self.rowcount = 1
            return self
        finally:
            with self.lock:
                self.active -= 1

    def fetchone(self):
        return (self.last,)


def started(fake, key):
    """Trap: wait (in a shared-pool thread) until the call of `key` started."""
    return run_in_thread(fake.started[key].wait, BOUND)


@pytest.fixture
def pool():
    p = AsyncThreadPool(4)
    yield p
    p.terminate()


def test_calls_run_one_at_a_time_in_call_order(kernel, pool):
    keys = [2, 0, "bad", 3, 1]
    fake = GatedCursor(keys)
    cursor = picoos.AsyncDBCursor(pool, fake)
    got = []

    def user(key, task=None):
        try:
            r = yield cursor.execute(key)
        except ValueError as e:
            got.append((key, "raised", str(e)))
            return
        # resumed before the next call starts: the results are this call's
        got.append((key, r is fake, cursor.fetchone(), cursor.rowcount))

    def main(task=None):
        users = [Task(user, k) for k in keys]       # calls made in this order
        yield wait_all_tasks_blocked()
        # every task has made its call; only the first went to a thread
        assert pool._pending == 1
        for k in keys:
            assert (yield started(fake, k)) is True
            # the kernel runs on (this task) while the call is in its thread
            assert fake.order[-1] == k and fake.active == 1
            fake.gates[k].set()
        for u in users:
            yield u.finish()

    kernel.run(main)
    assert fake.order == keys and fake.max_active == 1
    assert got == [(2, True, (2,), 1), (0, True, (0,), 1), ("bad", "raised", "bad query"),
                   (3, True, (3,), 1), (1, True, (1,), 1)]


def test_sqlite_shared_cursor_each_task_reads_its_own_rows(kernel, pool):
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    cursor = picoos.AsyncDBCursor(pool, conn.cursor())
    rounds = 25
    got = {}
    errors = []

    def user(i, task=None):
        rows = []
        for j in range(rounds):
            if i == 2 and j == 10:
                try:
                    yield cursor.execute("SELECT x FROM nowhere", ())
                except sqlite3.OperationalError as e:
                    errors.append((i, j, str(e)))
                continue
            yield cursor.execute("SELECT ?, ?", (i, j))
            rows.append((yield cursor.fetchone()))
        got[i] = rows

    def main(task=None):
        users = [Task(user, i) for i in range(5)]
        for u in users:
            yield u.finish()

    try:
        kernel.run(main)
    finally:
        conn.close()
    assert errors == [(2, 10, "no such table: nowhere")]
    for i in range(5):
        assert got[i] == [(i, j) for j in range(rounds) if not (i == 2 and j == 10)]


def test_executemany_and_callproc_wait_their_turn(kernel, pool):
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    cursor = picoos.AsyncDBCursor(pool, conn.cursor())

    def writer(i, task=None):
        yield cursor.executemany("INSERT INTO t VALUES (?, ?)", [(i, j) for j in range(50)])

    def main(task=None):
        yield cursor.execute("CREATE TABLE t (i INTEGER, j INTEGER)")
        ws = [Task(writer, i) for i in range(6)]
        for w in ws:
            yield w.finish()
        yield cursor.execute("SELECT COUNT(*), SUM(i), SUM(j) FROM t")
        row = cursor.fetchone()
        # sqlite3 has no stored procedures: the error comes back to the caller
        with pytest.raises(AttributeError):
            yield cursor.callproc("nope")
        yield cursor.execute("SELECT COUNT(*) FROM t")
        return row, cursor.fetchone()

    try:
        assert kernel.run(main) == ((300, 50 * 15, 6 * 1225), (300,))
    finally:
        conn.close()


def test_terminated_tasks_do_not_run_or_overlap(kernel, pool):
    keys = ["a", "b", "c"]
    fake = GatedCursor(keys)
    cursor = picoos.AsyncDBCursor(pool, fake)
    got = []

    def user(key, task=None):
        got.append((key, (yield cursor.execute(key)) is fake))

    def main(task=None):
        a, b, c = [Task(user, k) for k in keys]
        assert (yield started(fake, "a")) is True
        b.terminate()              # waiting for its turn: its call never runs
        a.terminate()              # its call is in a thread: c waits until it ends
        yield a.finish()
        yield b.finish()
        yield wait_all_tasks_blocked()
        assert fake.order == ["a"]
        fake.gates["a"].set()
        assert (yield started(fake, "c")) is True
        fake.gates["c"].set()
        yield c.finish()

    kernel.run(main)
    assert fake.order == ["a", "c"] and fake.max_active == 1
    assert got == [("c", True)]


@pytest.mark.parametrize("how", ["terminate", "throw"])
def test_task_leaving_after_its_turn_came_frees_the_cursor(kernel, pool, how):
    # b is given the cursor when a's call ends, but a runs first and makes
    # b leave before b could start its call
    fake = GatedCursor(["a", "b", "c"])
    for ev in fake.gates.values():
        ev.set()
    cursor = picoos.AsyncDBCursor(pool, fake)
    tasks = {}
    got = []

    def user(key, task=None):
        try:
            yield cursor.execute(key)
        except KeyError:
            got.append((key, "thrown"))
            return
        got.append(key)
        if key == "a":
            if how == "terminate":
                tasks["b"].terminate()
            else:
                tasks["b"].throw(KeyError("go away"))

    def main(task=None):
        for k in "abc":
            tasks[k] = Task(user, k)
        for k in "abc":
            yield tasks[k].finish()

    kernel.run(main)
    assert fake.order == ["a", "c"]
    assert got == (["a", "c"] if how == "terminate" else ["a", ("b", "thrown"), "c"])


def test_direct_calls_pass_through(kernel, pool):
    fake = GatedCursor(["x"])
    fake.gates["x"].set()
    fake.row_factory = tuple           # a callable value, not a method: as it is
    cursor = picoos.AsyncDBCursor(pool, fake)

    def main(task=None):
        r = yield cursor.execute("x")
        return r is fake, cursor.fetchone(), cursor.rowcount, cursor.max_active

    assert kernel.run(main) == (True, ("x",), 1, 1)
    assert cursor.row_factory is tuple
    with pytest.raises(AttributeError):
        cursor.no_such_attribute


def test_async_def_tasks_share_a_cursor(kernel, pool):
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    cursor = picoos.AsyncDBCursor(pool, conn.cursor())
    got = {}

    async def user(i, task=None):
        rows = []
        for j in range(10):
            await cursor.execute("SELECT ?, ?", (i, j))
            rows.append(cursor.fetchone())
        with pytest.raises(sqlite3.OperationalError):
            await cursor.execute("SELECT x FROM nowhere")
        got[i] = rows

    def main(task=None):
        users = [Task(user, i) for i in range(4)]
        for u in users:
            yield u.finish()

    try:
        kernel.run(main)
    finally:
        conn.close()
    assert got == {i: [(i, j) for j in range(10)] for i in range(4)}
