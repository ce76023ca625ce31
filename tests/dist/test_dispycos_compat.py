"""A dispycos-style client program, ported by changing its import."""
import picoos
from picoos.dispycos import *  # noqa: F401,F403 - the point of the test

import jobfuncs


def compute(n, task=None):
    # a pycos-style job: a generator task that sleeps on the server's kernel
    yield task.sleep(0.01)
    return n * 2


def client_proc(client, njobs, task=None):
    if (yield client.schedule(timeout=60)):
        raise Exception("could not schedule client")
    rtasks = []
    for i in range(njobs):
        rtask = yield client.rtask(compute, i)
        rtasks.append(rtask)
    results = []
    for rtask in rtasks:
        results.append((yield rtask()))
    yield client.close()
    return results


def test_names_match_pycos_dispycos():
    import picoos.dispycos
    assert set(picoos.dispycos.__all__) == {"Scheduler", "Client", "Computation", "DispycosStatus",
                            "DispycosTaskInfo", "DispycosNodeInfo", "DispycosNodeAvailInfo",
                            "DispycosNodeAllocate"}
    assert Computation is Client  # noqa: F405
    assert Scheduler.NodeDiscovered == 2 and Scheduler.TaskFinished == 22  # noqa: F405


def test_pycos_style_program_runs_on_a_picoos_kernel(start_node):
    node = start_node("-c", "2")
    client = Client([compute, jobfuncs.square], nodes=[node.addr],  # noqa: F405
                    pulse_interval=0.5)
    assert picoos.run(client_proc, client, 10) == [2 * i for i in range(10)]


# a dispycos program in a process of its own (its default kernel is the
# networked one, as in a real program): failures, messages both ways,
# task references as arguments, task.location inside the job
PROGRAM = r'''
import sys
import picoos as pycos
import picoos.netpycos
from picoos.dispycos import *


def fails(n, task=None):
    yield task.sleep(0.01)
    raise ValueError("bad n %d" % n)


def echo(reply_to, task=None):
    while True:
        msg = yield task.receive()
        if msg is None:
            return str(task.location)
        yield reply_to.deliver(("echo", msg, str(task.location)))


def client_proc(task=None):
    assert (yield client.schedule()) == 0
    bad = yield client.rtask(fails, 7)
    assert isinstance(bad, pycos.Task), bad
    status = yield bad()
    assert isinstance(status, pycos.MonitorStatus), status
    assert status.type is ValueError and "bad n 7" in status.value, status
    job = yield client.rtask(echo, task)
    assert isinstance(job, pycos.Task) and job.location is not None
    for i in range(3):
        assert (yield job.deliver(i)) == 1
        kind, value, where = yield task.receive(timeout=30)
        assert (kind, value, where) == ("echo", i, str(job.location)), (kind, value, where)
    job.send(None)
    assert (yield job()) == str(job.location)
    assert job.location in client.servers()
    yield client.close()
    print("ALL OK")


client = Client([fails, echo])
pycos.Task(client_proc).value()
'''


def test_dispycos_program_failures_and_messages_both_ways(start_node, tmp_path):
    import os
    import subprocess
    import sys
    node = start_node("-c", "1")
    script = tmp_path / "program.py"
    script.write_text(PROGRAM)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PICOOS_NODES=node.addr,
               PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0 and "ALL OK" in out.stdout, out.stdout + out.stderr


def test_a_filter_overriding_allocate_with_dispycos_arguments_is_asked_without_model():
    from picoos.dist.allocate import ask_filter

    class Dispycos(DispycosNodeAllocate):        # dispycos's six arguments
        def allocate(self, ip_addr, name, platform, cpus, memory, disk):
            return cpus - 1

    class WithModel(DispycosNodeAllocate):
        def allocate(self, ip_addr, name, platform, cpus, memory, disk, model=None):
            return 1 if model == "Pi 4" else 0

    args = ("10.0.0.1", "pi", "Linux", 4, 1 << 30, 1 << 30)
    assert ask_filter(Dispycos("*"), *args, "Pi 4") == 3
    assert ask_filter(WithModel("*"), *args, "Pi 4") == 1
    assert ask_filter(WithModel("*"), *args, "Pi 5") == 0
    assert ask_filter(DispycosNodeAllocate("*", model="Pi 5"), *args, "Pi 4") == 0
    assert ask_filter(DispycosNodeAllocate("*", model="Pi 4"), *args, "Pi 4") == 4


# dispycos's close(terminate=True): running generator jobs get KeyboardInterrupt
# and have a few seconds to finish (reply, save state) before they are ended
CLOSING = r'''
import picoos as pycos
import picoos.netpycos
from picoos.dispycos import *


def polite(reply_to, task=None):
    try:
        yield task.sleep(300)
    except KeyboardInterrupt:
        yield task.sleep(0.2)          # a little work after the interrupt
        reply_to.send("polite saw KeyboardInterrupt")
        return "polite done"


def stubborn(reply_to, task=None):
    while True:
        try:
            yield task.sleep(300)
        except KeyboardInterrupt:
            reply_to.send("stubborn saw KeyboardInterrupt")


def client_proc(task=None):
    assert (yield client.schedule()) == 0
    jobs = []
    for fn in (polite, stubborn):
        jobs.append((yield client.rtask(fn, task)))
    assert all(isinstance(job, pycos.Task) for job in jobs), jobs
    yield client.close(terminate=True)
    got = []
    while True:
        msg = yield task.receive(timeout=0)
        if msg is None:
            break
        got.append(msg)
    print(sorted(got))
    values = []
    for job in jobs:
        values.append((yield job()))
    print(values)


client = Client([polite, stubborn])
pycos.Task(client_proc).value()
'''


def test_close_with_terminate_interrupts_generator_jobs_first(start_node, tmp_path):
    import os
    import subprocess
    import sys
    node = start_node("-c", "2")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PICOOS_NODES=node.addr, PYTHONPATH=root)
    script = tmp_path / "closing.py"
    script.write_text(CLOSING)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, cwd=str(tmp_path), timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        "['polite saw KeyboardInterrupt', 'stubborn saw KeyboardInterrupt']",
        "['polite done', None]"], out.stdout + out.stderr


# a task that starts a job while the client closes (dispycos_kbd_int starts
# one on each ServerInitialized, which can come after Ctrl-C) gets None, and
# close() does not wait for a job that would never end
CLOSING_LATE = r'''
import picoos as pycos
import picoos.netpycos
from picoos.dispycos import *


def endless(reply_to, task=None):
    while True:
        try:
            yield task.sleep(300)
        except KeyboardInterrupt:
            reply_to.send("interrupted")
            yield task.sleep(0.2)
            return "done"


def late(task=None):
    yield task.receive()                  # sent only once close() has begun
    print("late job: %s" % (yield client.rtask(endless, task)))


def client_proc(task=None):
    assert (yield client.schedule()) == 0
    watcher = pycos.Task(late)
    job = yield client.rtask(endless, watcher)
    assert isinstance(job, pycos.Task), job
    yield client.close(terminate=True)
    print("first job: %s" % (yield job()))
    yield watcher.finish()


client = Client([endless])
pycos.Task(client_proc).value()
'''


def test_a_job_started_while_the_client_closes_gets_none(start_node, tmp_path):
    import os
    import subprocess
    import sys
    node = start_node("-c", "1")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PICOOS_NODES=node.addr, PYTHONPATH=root)
    script = tmp_path / "closing_late.py"
    script.write_text(CLOSING_LATE)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, cwd=str(tmp_path), timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(out.stdout.splitlines()) == ["first job: done", "late job: None"], \
        out.stdout + out.stderr
    assert "is closing: endless not started" in out.stderr, out.stderr


def helpers(n, task=None):
    # a job whose code (run in its own thread) makes tasks, locks, events
    # and channels and blocks between yields: all of them belong to the
    # server's kernel and work with the job's yields
    import time

    def square(x, task=None):
        yield task.sleep(0.01)
        return x * x

    lock, done = picoos.Lock(), picoos.Event()
    channel = picoos.Channel("helpers-%d" % n)
    got = []

    def listener(task=None):
        yield channel.subscribe(task)
        done.set()
        got.append((yield task.receive()))

    listening = picoos.Task(listener)
    yield done.wait()
    yield lock.acquire()
    time.sleep(0.2)                       # blocks this job's thread only
    lock.release()
    channel.send(n)
    yield listening.finish()
    sub = picoos.Task(square, n)
    return ((yield sub.finish()), got, str(task.location) == str(sub.location))


def test_job_code_makes_tasks_locks_and_channels_of_the_server_kernel(start_node):
    node = start_node("-c", "1")
    client = Client([helpers], nodes=[node.addr], pulse_interval=0.5)  # noqa: F405

    def main(task=None):
        assert (yield client.schedule(timeout=60)) == 0
        jobs = []
        for n in (3, 4):
            jobs.append((yield client.rtask(helpers, n)))
        values = []
        for job in jobs:
            values.append((yield job()))
        yield client.close()
        return values

    assert picoos.run(main) == [(9, [3], True), (16, [4], True)]
