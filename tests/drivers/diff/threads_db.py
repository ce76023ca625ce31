"""AsyncThreadPool and AsyncDBCursor (with sqlite3).

A differential program (see tests/diffprog.py): threads_db.out is what the
same program printed on pycos.
"""
import sqlite3
import threading

import picoos as pycos


def square(x):
    return x * x, threading.current_thread() is not threading.main_thread()


def fail(msg):
    raise ValueError(msg)


def main(task=None):
    pool = pycos.AsyncThreadPool(2)
    print("async_task result:", (yield pool.async_task(square, 7)))
    print("async_task kwargs:", (yield pool.async_task(int, "ff", base=16)))
    print("async_task Thread-style args/kwargs:",
          (yield pool.async_task(int, args=("11",), kwargs={"base": 2})))
    try:
        r = yield pool.async_task(fail, "bad input")
        print("async_task of a failing function gave:", r)
    except Exception as exc:
        print("async_task raised: %s %s" % (type(exc).__name__, exc))
    results = []

    def worker(i, task=None):
        r = yield pool.async_task(square, i)
        results.append((i, r[0]))

    tasks = [pycos.Task(worker, i) for i in range(6)]
    for t in tasks:
        yield t.finish()
    print("six workers:", sorted(results))

    conn = sqlite3.connect(":memory:", check_same_thread=False)
    cursor = pycos.AsyncDBCursor(pool, conn.cursor())
    r = yield cursor.execute("CREATE TABLE t (k TEXT, v INTEGER)", ())
    print("execute create: %s" % type(r).__name__)
    r = yield cursor.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2), ("c", 3)])
    print("executemany: %s rowcount %s" % (type(r).__name__, cursor.rowcount))
    yield cursor.execute("SELECT k, v FROM t WHERE v >= ? ORDER BY k", (2,))
    print("fetchone:", (yield cursor.fetchone()))
    print("fetchall:", (yield cursor.fetchall()))
    yield cursor.execute("SELECT k FROM t ORDER BY v", ())
    print("fetchmany 2:", (yield cursor.fetchmany(2)))
    try:
        yield cursor.execute("SELECT nothing FROM nowhere", ())
        print("bad query did not raise")
    except Exception as exc:
        print("bad query raised: %s" % type(exc).__name__)

    conn.close()
    pool.terminate()


if __name__ == "__main__":
    pycos.Task(main).value()
