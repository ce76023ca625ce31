"""Requests answered into a function (RPS._call_then) and requests or
replies written in the caller's step (Peer.post_now): two networked kernels
in one process, on loopback."""
import pickle
import threading

from picoos.kernel.task import MonitorStatus
from picoos.net import RPS
from picoos.net.links import ONLINE

from net_helpers import kernel_pair

BOUND = 10


def square(x, task=None):
    return x * x
    yield  # a generator function, as an RPS needs


def _pair(amain):
    """Kernel B registers `square`; `amain(a, b, task)` runs on kernel A."""
    def bmain(b, task, ready):
        assert RPS(square).register() == 0
        ready.set()
        return
        yield  # a generator function

    return kernel_pair(bmain, amain, bound=BOUND, pulse_interval=0.5, peer_timeout=5.0)


def _collect(task, n):
    got = []
    while len(got) < n:
        msg = yield task.receive(BOUND)
        assert msg is not None, "timed out after %r" % (got,)
        got.append(msg)
    return got


def test_call_then_gives_the_task_before_its_end_and_leaves_no_watch():
    def amain(a, b, task):
        rps = yield RPS.locate("square", b.location, BOUND)
        assert isinstance(rps, RPS)
        # the watcher gets the task's MonitorStatus; the callback tells the
        # same task about the reply, so their order is the order they were read
        events = []

        def done(rtask):
            events.append(("started", rtask, rtask.is_alive()))
            task.send("started")
        assert rps._call_then((7,), {}, task, done) == 0
        msgs = yield from _collect(task, 2)
        assert msgs[0] == "started"
        status = msgs[1]
        assert isinstance(status, MonitorStatus) and status.type is StopIteration
        assert status.value == 49
        (_, rtask, alive), = events
        assert status.info == rtask and alive     # registered before its end was read
        assert (yield rtask.finish(BOUND)) == 49
        # its end untracked every watch: nothing is kept per ended task
        return a._watches.get(b.location, {}).get(rtask)

    assert _pair(amain) is None


def test_call_then_arguments_that_do_not_pickle_and_no_peer():
    def amain(a, b, task):
        rps = yield RPS.locate("square", b.location, BOUND)
        got = []
        assert rps._call_then((threading.Lock(),), {}, task,
                              lambda r: (got.append(r), task.send("answer"))) == 0
        assert (yield task.receive(BOUND)) == "answer"
        # the exception that kept the request from being sent; the peer stays
        assert isinstance(got[0], (pickle.PicklingError, TypeError)), got
        assert a._peers[b.location].state == ONLINE
        assert (yield (yield rps(5)).finish(BOUND)) == 25
        # a handle for a kernel that is not a peer: -1, and no callback
        far = RPS._from_ref(a, "square", a._refs._location("127.0.0.1", 9))
        called = []
        assert far._call_then((1,), {}, task, called.append) == -1
        return called

    assert _pair(amain) == []


def test_post_now_writes_once_per_input_then_batches():
    def amain(a, b, task):
        rps = yield RPS.locate("square", b.location, BOUND)
        peer = a._peers[b.location]
        # wait for the sender to park (it may still be sending the locate)
        while not peer.idle or peer.queue:
            yield task.sleep(0.01)
        peer.wrote = False      # as after an input from B (B's own requests may have come)
        answers = []
        for x in (2, 3, 4):
            rps._call_then((x,), {}, task, lambda r: (answers.append(r), task.send("r")))
        # the first request was written here; the others wait for the sender
        assert peer.wrote and len(peer.queue) == 2 and not peer.idle
        yield from _collect(task, 6)      # three replies and three MonitorStatus
        values = []
        for rtask in answers:
            values.append((yield rtask.finish(BOUND)))
        return values

    assert _pair(amain) == [4, 9, 16]


def test_post_now_hands_a_cut_short_write_to_the_sender():
    """A write the socket takes only part of is finished by the sender, in
    order, before anything queued after it."""
    class Short:
        def __init__(self, sock):
            self.sock = sock

        def send(self, data):
            return self.sock.send(data[:5])

    def amain(a, b, task):
        rps = yield RPS.locate("square", b.location, BOUND)
        peer = a._peers[b.location]
        while not peer.idle or peer.queue:
            yield task.sleep(0.01)
        peer.wrote = False      # as after an input from B (B's own requests may have come)
        peer.direct = Short(peer.direct)
        answers = []
        rps._call_then((6,), {}, task, lambda r: (answers.append(r), task.send("r")))
        assert peer.unsent and not peer.idle
        rtask = yield rps(8)      # queued behind the unsent bytes
        yield from _collect(task, 2)     # the first reply and its MonitorStatus
        return (yield answers[0].finish(BOUND)), (yield rtask.finish(BOUND)), peer.unsent

    assert _pair(amain) == (36, 64, b"")
