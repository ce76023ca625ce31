"""A networked kernel in its own process, for the multi-process tests.

Run as `python nodeproc.py '<json config>'`. It starts `picoos.net.Pycos`
on loopback with the given secret, offers a few services (a registered
`echo` task, RPS `square`/`boom`/`slow`/`custom`, a channel `news`,
and a `control` task that subscribes its echo task to a channel the test
names), prints `READY <addr> <port>` on stdout, and exits when stdin
closes. Its log goes to stderr, which the tests read.
"""
import json
import logging
import sys

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(name)s %(levelname)s %(message)s")

from picoos.kernel.channel import Channel  # noqa: E402
from picoos.kernel.task import Task  # noqa: E402
from picoos.net import RPS, Pycos  # noqa: E402

cfg = json.loads(sys.argv[1])
kernel = Pycos(name=cfg.get("name", "child"), host="127.0.0.1", secret=cfg.get("secret", ""),
               tcp_port=0,
               discover_peers=False, pulse_interval=cfg.get("pulse", 0.2),
               peer_timeout=cfg.get("peer_timeout", 1.0), dest_path=cfg.get("dest"),
               max_file_size=cfg.get("max_file_size"), certfile=cfg.get("certfile"),
               keyfile=cfg.get("keyfile"))


def echo(task=None):
    """Replies ('echo', data) to (sender, data); returns on 'quit'."""
    task.register("echo")
    while True:
        msg = yield task.receive()
        if msg == "quit":
            return "bye"
        if msg == "raise":
            raise KeyError("asked to fail")
        sender, data = msg
        sender.send(("echo", data))


def control(task=None):
    """('subscribe', channel, reply_to): subscribe echo to the channel;
    ('register', name, reply_to): start a task registered as `name`."""
    task.register("control")
    while True:
        msg = yield task.receive()
        if msg[0] == "subscribe":
            _, ch, reply_to = msg
            e = yield Task.locate("echo")
            r = yield ch.subscribe(e)
            reply_to.send(("subscribed", r))
        elif msg[0] == "register":
            # a task registered under a name chosen by the test, from now on
            _, name, reply_to = msg
            Task(parked, name)
            reply_to.send(("registered", name))
        elif msg[0] == "locate":
            _, loc, name, reply_to = msg
            t = yield Task.locate(name, loc, timeout=5)
            reply_to.send(("located", t))


def parked(name, task=None):
    task.register(name)
    yield task.receive()


def square(x, task=None):
    yield task.sleep(0)
    return x * x


class ChildOnlyError(Exception):
    """Defined in the child's __main__: the parent cannot import it."""


def custom(task=None):
    yield task.sleep(0)
    raise ChildOnlyError("only the child knows this class")


def boom(task=None):
    yield task.sleep(0)
    raise ValueError("boom on purpose")


def slow(task=None):
    yield task.sleep(3600)


def setup(task=None):
    Task(echo)
    Task(control)
    for fn in (square, boom, slow, custom):
        RPS(fn).register()
    Channel("news")
    yield task.sleep(0)


Task(setup).value()
print("READY %s %d" % (kernel.location.addr, kernel.location.port), flush=True)
sys.stdin.read()
kernel.terminate()
