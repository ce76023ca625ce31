"""Starting jobs: from a task of the client's own networked kernel (the
dispycos program shape, where the task takes its job to a free server
itself) and from a plain thread (through the dispatcher task); a job whose
arguments cannot be sent fails, and its server stays in use."""
import subprocess
import sys
import textwrap
import threading

import pytest

import jobfuncs
from picoos.dist.client import Client

WAIT = 60   # generous bound: only a real hang reaches it

# a dispycos-shaped program: its tasks run on the default kernel, made
# networked by the import, which the client's jobs start from
PROGRAM = textwrap.dedent('''
    import sys, threading
    import picoos.netpycos as pycos
    from picoos.dispycos import Client

    def compute(x, task=None):
        return x * x
        yield

    def main(client, task=None):
        if (yield client.schedule()):
            raise RuntimeError("not scheduled")
        assert client._kernel is task._kernel     # the path under test
        rtasks = []
        for i in range(40):
            rtasks.append((yield client.rtask(compute, i)))
        assert all(isinstance(r, pycos.Task) for r in rtasks), rtasks
        values = []
        for r in rtasks:
            values.append((yield r()))
        bad = yield client.rtask(compute, threading.Lock())
        after = yield client.rtask(compute, 12)
        last = yield after()
        yield client.close()
        print("RESULT", values == [i * i for i in range(40)], bad, last,
              client.counts["failed"], client.counts.get("abandoned", 0),
              len(client._rtasks), len(client._kernel._watches.get(after.location, {})))

    client = Client([compute], nodes=[sys.argv[1]], pulse_interval=0.5)
    pycos.Task(main, client).value()
''')


def test_tasks_start_their_jobs_on_the_clients_kernel(start_node, tmp_path):
    node = start_node("-c", "2")
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    out = subprocess.run([sys.executable, str(script), node.addr], capture_output=True,
                         text=True, timeout=WAIT)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, out.stdout + out.stderr
    # all started and done in order; the job that cannot be sent gives None
    # (as a job that could not start) and counts as failed, nothing was
    # abandoned (its server was not lost), and no job leaves a record behind
    assert line[0].split() == ["RESULT", "True", "None", "144", "1", "0", "0", "0"], \
        out.stdout + out.stderr


def test_thread_job_with_arguments_that_cannot_be_sent(start_node):
    node = start_node("-c", "1")
    with Client([jobfuncs.square], nodes=[node.addr], pulse_interval=0.5) as client:
        client.schedule(timeout=WAIT)
        job = client.run(jobfuncs.square, threading.Lock())
        with pytest.raises(Exception, match="cannot be sent"):
            job.result(WAIT)
        assert client.run(jobfuncs.square, 9).result(WAIT) == 81
        assert client.counts["failed"] == 1 and not client.counts.get("abandoned")
