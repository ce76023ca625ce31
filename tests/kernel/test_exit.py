"""The default kernel (`Pycos`, a process-wide singleton in a background
thread) and interpreter exit.  Each test runs a small script in a fresh
interpreter, since the default kernel and `atexit` are per process.

A script that hangs (a daemon task awaited at exit, a join that never
returns) hits the subprocess timeout and fails the test.
"""
from __future__ import annotations


def _ok(proc):
    assert proc.returncode == 0, "script failed:\n%s\n%s" % (proc.stdout, proc.stderr)
    return proc.stdout.splitlines()


def test_exit_awaits_non_daemon_tasks_not_daemons(run_py):
    proc = run_py("""
        import picoos

        def worker(task=None):
            msg = yield task.receive()
            # still running when the main module has ended
            yield task.sleep(0.2)
            print("worker done", msg, flush=True)

        def daemon(task=None):
            task.set_daemon()
            try:
                yield task.sleep(3600)
                print("daemon woke", flush=True)
            finally:
                print("daemon closed", flush=True)

        w = picoos.Task(worker)
        d = picoos.Task(daemon)
        w.send("go")
        print("main end", flush=True)
        # falling off the end of the main module
    """)
    # the worker was awaited; the daemon was closed at shutdown, not awaited
    # (awaiting it would take an hour and hit the subprocess timeout)
    assert _ok(proc) == ["main end", "worker done go", "daemon closed"]


def test_atexit_priority_order_and_finish(run_py):
    proc = run_py("""
        import picoos

        k = picoos.Pycos.instance()
        k.atexit(1, print, "low", flush=True)
        k.atexit(10, print, "high", flush=True)
        k.atexit(5, print, "mid", flush=True)

        def worker(task=None):
            yield task.receive()
            print("worker done", flush=True)

        w = picoos.Task(worker)
        w.send(1)
        k.finish()                   # waits for the worker, then shuts down
        print("after finish", k.is_alive(), w.is_alive(), flush=True)
        # nothing is left to wait for: no timeout needed
        print("join after finish", k.join(), flush=True)
    """)
    assert _ok(proc) == ["worker done", "high", "mid", "low", "after finish False False",
                         "join after finish True"]


def test_instance_cur_task_join(run_py):
    proc = run_py("""
        import threading
        import picoos

        assert threading.active_count() == 1       # nothing started on import
        k = picoos.Pycos.instance()
        assert picoos.Pycos() is k and picoos.Pycos.instance() is k
        assert picoos.Pycos.cur_task() is None
        print("threads", threading.active_count(), flush=True)

        def worker(task=None):
            assert picoos.Pycos.cur_task() is task
            assert picoos.Pycos.instance() is k
            msg = yield task.receive()
            return msg

        w = picoos.Task(worker)
        assert w._kernel is k
        print("join early", k.join(timeout=0.01), flush=True)
        w.send("m")
        print("join", k.join(timeout=20), w.value(timeout=20), flush=True)

        def daemon(task=None):
            yield task.suspend()
        d = picoos.Task(daemon)
        d.set_daemon()
        print("join with daemon", k.join(timeout=20), flush=True)
    """)
    assert _ok(proc) == ["threads 2", "join early False", "join True m",
                         "join with daemon True"]


def test_terminate_kills_everything_at_once(run_py):
    proc = run_py("""
        import picoos

        def blocked(i, task=None):
            try:
                yield task.receive()
            finally:
                print("closed", i, flush=True)

        k = picoos.Pycos.instance()
        ts = [picoos.Task(blocked, i) for i in range(3)]
        k.atexit(0, print, "atexit", flush=True)

        def probe(task=None):
            yield

        # FIFO: once the probe has run, every task above waits in receive
        picoos.Task(probe).value(timeout=20)
        k.terminate()
        print("alive", k.is_alive(), [t.is_alive() for t in ts], flush=True)
    """)
    lines = _ok(proc)
    assert sorted(lines[:3]) == ["closed 0", "closed 1", "closed 2"]
    assert lines[3:] == ["atexit", "alive False [False, False, False]"]


def test_new_default_kernel_after_finish(run_py):
    proc = run_py("""
        import picoos

        def f(x, task=None):
            yield task.sleep(0)
            return x

        k1 = picoos.Pycos.instance()
        print(picoos.Task(f, 1).value(timeout=20), flush=True)
        k1.finish()
        k2 = picoos.Pycos.instance()
        print(k2 is not k1, picoos.Task(f, 2).value(timeout=20), flush=True)
    """)
    assert _ok(proc) == ["1", "True 2"]


def test_finish_from_a_task_is_wrong_context(run_py):
    proc = run_py("""
        import picoos
        from picoos.kernel.errors import WrongContext

        def t(task=None):
            k = picoos.Pycos.instance()
            for call in (k.finish, k.terminate, k.join):
                try:
                    call()
                except WrongContext as e:
                    print("refused", call.__name__, flush=True)
            yield

        picoos.Task(t).value(timeout=20)
    """)
    assert _ok(proc) == ["refused finish", "refused terminate", "refused join"]


def test_failed_task_in_default_kernel_is_logged_once(run_py):
    proc = run_py("""
        import logging
        import picoos
        logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")

        def bad(task=None):
            yield task.sleep(0)
            raise RuntimeError("exploded")

        st = picoos.Task(bad).value(timeout=20)
        print("value", type(st).__name__, st.type.__name__, flush=True)
    """)
    assert _ok(proc) == ["value MonitorStatus RuntimeError"]
    assert proc.stderr.count("RuntimeError: exploded") == 1
    assert "picoos.kernel WARNING" in proc.stderr


def test_fake_clock_advance_from_main_thread(run_py):
    # advance() from outside the kernel thread wakes the default kernel
    proc = run_py("""
        import picoos
        from picoos.testing import FakeClock

        clock = FakeClock(autojump=False)
        k = picoos.Pycos(clock=clock)

        def sleeper(task=None):
            yield task.sleep(50)
            return clock.now()

        s = picoos.Task(sleeper)
        print("before", s.value(timeout=0.05), flush=True)
        clock.advance(50)
        print("after", s.value(timeout=20), flush=True)
    """)
    assert _ok(proc) == ["before None", "after 50.0"]
