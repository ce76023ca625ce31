"""Two networked kernels in one process (one per thread): IPv6, value()."""
import threading

from picoos.kernel.task import Task
from picoos.kernel.threadpool import run_in_thread

from net_helpers import kernel_pair

BOUND = 10


def _pair(host, bmain, amain):
    return kernel_pair(bmain, amain, host=host, bound=BOUND)


def test_ipv6_loopback():
    def bmain(kernel, task, ready):
        def echo(task=None):
            task.register("echo")
            sender, x = yield task.receive()
            sender.send(x * 2)
        Task(echo)
        ready.set()
        yield task.sleep(0)

    def amain(kernel, b, task):
        assert kernel.location.addr == "::1"
        assert (yield kernel.peer(b.location)) == 0
        echo = yield Task.locate("echo", b.location, timeout=BOUND)
        echo.send((task, 21))
        return (yield task.receive(BOUND))

    assert _pair("::1", bmain, amain) == 42


def test_remote_value_from_a_thread():
    """RemoteTask.value() blocks a plain thread until the remote task ends."""
    def bmain(kernel, task, ready):
        def worker(task=None):
            task.register("worker")
            yield task.receive()
            return "finished"
        Task(worker)
        ready.set()
        yield task.sleep(0)

    def amain(kernel, b, task):
        w = yield Task.locate("worker", b.location, timeout=BOUND)
        # watch it before it can end (finish with timeout 0 installs the watch)
        assert (yield w.finish(timeout=0)) is None
        got = {}
        th = threading.Thread(target=lambda: got.setdefault("v", w.value(BOUND)))
        th.start()
        w.send("go")
        yield run_in_thread(th.join, BOUND)
        return got.get("v")

    assert _pair("127.0.0.1", bmain, amain) == "finished"
