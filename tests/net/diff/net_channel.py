"""A channel of this kernel with a subscriber on another kernel (process),
and a remote task that monitors a local one: Channel.locate from the far
side, remote subscribe/unsubscribe, deliver with n and a timeout, and the
MonitorStatus a remote monitor gets.

The program runs as the client and starts itself as the server (argument
`server`), which reports what it saw at the end. A differential program
(see tests/diffprog.py): net_channel.out is what the same program printed
on pycos.
"""
import subprocess
import sys

import picoos.netpycos as pycos

SECRET = "differential secret"
SEEN = []


def kernel(name):
    return pycos.Pycos(host="127.0.0.1", tcp_port=0, udp_port=0, discover_peers=False,
                       secret=SECRET, name=name)


# -- server ------------------------------------------------------------

def reader(last, task=None):
    while True:
        msg = yield task.receive()
        SEEN.append("reader got %r" % (msg,))
        if msg == last:
            break


def watcher(task=None):
    msg = yield task.receive()
    SEEN.append("watcher got MonitorStatus %s: type %s, value %r"
                % (isinstance(msg, pycos.MonitorStatus), msg.type.__name__, msg.value))


def server_main(task=None):
    task.register("control")
    print("PORT %d" % task.location.port)
    sys.stdout.flush()
    client = yield task.receive()
    chan = yield pycos.Channel.locate("client_chan", location=client.location, timeout=5)
    SEEN.append("located client's channel: %s" % isinstance(chan, pycos.Channel))
    rd = pycos.Task(reader, "two")
    SEEN.append("subscribe remote: %s" % (yield chan.subscribe(rd)))
    client.send("subscribed")
    worker = yield task.receive()
    w = pycos.Task(watcher)
    SEEN.append("monitor remote task: %s" % (yield w.monitor(worker)))
    client.send("monitoring")
    msg = yield task.receive()
    SEEN.append("control got %r" % (msg,))
    SEEN.append("unsubscribe remote: %s" % (yield chan.unsubscribe(rd)))
    client.send("unsubscribed")
    yield rd.finish()
    yield w.finish()
    msg = yield task.receive()
    SEEN.append("control got %r" % (msg,))


def server():
    kernel("server")
    pycos.Task(server_main).value()
    print("REPORT")
    for line in SEEN:
        print(line)


# -- client ------------------------------------------------------------

def worker(task=None):
    msg = yield task.receive()
    return "worker done with %r" % (msg,)


def client_main(port, task=None):
    scheduler = pycos.Pycos.instance()
    loc = pycos.Location("127.0.0.1", port)
    print("peer:", (yield scheduler.peer(loc)))
    chan = pycos.Channel("client_chan")
    print("register channel:", chan.register())
    control = yield pycos.Task.locate("control", location=loc, timeout=5)
    control.send(task)
    print("server says:", (yield task.receive(timeout=10)))
    print("deliver n=1:", (yield chan.deliver("one", timeout=5, n=1)))
    print("send:", chan.send("two"))
    print("deliver n=2, one subscriber:", (yield chan.deliver("three", timeout=0.5, n=2)))
    w = pycos.Task(worker)
    control.send(w)
    print("server says:", (yield task.receive(timeout=10)))
    w.send("job")
    print("worker value:", (yield w.finish()))
    control.send("unsubscribe")
    print("server says:", (yield task.receive(timeout=10)))
    print("deliver n=1, no subscriber:", (yield chan.deliver("nobody", timeout=0.5, n=1)))
    local = pycos.Task(reader, "last")
    yield chan.subscribe(local)
    print("deliver to a local subscriber:", (yield chan.deliver("last", timeout=5, n=1)))
    yield local.finish()
    control.send("done")


def client():
    proc = subprocess.Popen([sys.executable, __file__, "server"], stdout=subprocess.PIPE,
                            text=True)
    line = ""
    while not line.startswith("PORT "):
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the server ended before it told its port")
    kernel("client")
    pycos.Task(client_main, int(line.split()[1])).value()
    out = proc.stdout.read()
    proc.wait()
    for line in SEEN:
        print("client|", line)
    for line in out.split("REPORT\n", 1)[-1].splitlines():
        print("server|", line)


if __name__ == "__main__":
    if sys.argv[1:] == ["server"]:
        server()
    else:
        client()
