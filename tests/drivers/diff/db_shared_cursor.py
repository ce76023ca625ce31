"""Tasks sharing one AsyncDBCursor: its calls must run one at a time
(a DB-API cursor is not thread-safe; sqlite3 crashes the interpreter when
two threads use one cursor at once).

A differential program (see tests/diffprog.py): db_shared_cursor.out is
what the same program printed on pycos.
"""
import sqlite3

import picoos as pycos


def main(task=None):
    pool = pycos.AsyncThreadPool(4)
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    cursor = pycos.AsyncDBCursor(pool, conn.cursor())
    yield cursor.execute("CREATE TABLE t (k TEXT, v INTEGER)", ())

    def writer(i, task=None):
        for j in range(20):
            yield cursor.execute("INSERT INTO t VALUES (?, ?)", ("w%d" % i, j))

    writers = [pycos.Task(writer, i) for i in range(4)]
    for t in writers:
        yield t.finish()
    yield cursor.execute("SELECT COUNT(*) FROM t WHERE k LIKE 'w%'", ())
    print("rows from four writers:", (yield cursor.fetchone()))
    conn.close()
    pool.terminate()


if __name__ == "__main__":
    pycos.Task(main).value()
