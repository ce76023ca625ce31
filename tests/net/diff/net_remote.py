"""Two networked kernels (processes) on loopback: peer, locate, remote
send/deliver/monitor/terminate, remote channel, RPS, peer status.

The program runs as the client and starts itself as the server (argument
`server`); the server reports what it saw on its stdout, which the client
prints at the end. A differential program (see tests/diffprog.py):
net_remote.out is what the same program printed on pycos.
"""
import subprocess
import sys

import picoos.netpycos as pycos

SECRET = "differential secret"


def kernel(name):
    return pycos.Pycos(host="127.0.0.1", tcp_port=0, udp_port=0, discover_peers=False,
                       secret=SECRET, name=name)


# -- server ------------------------------------------------------------

SEEN = []


def echo(task=None):
    task.register("echo")
    while True:
        msg = yield task.receive()
        if msg == "quit":
            break
        sender, data = msg
        SEEN.append("echo got %r" % (data,))
        sender.send(("echo", data))
    return "echo done"


def failer(task=None):
    task.register("failer")
    msg = yield task.receive()
    raise ValueError("failer asked to fail with %r" % (msg,))


def sleeper(task=None):
    task.register("sleeper")
    try:
        yield task.receive()
    except GeneratorExit:
        SEEN.append("sleeper terminated")
        raise


def chan_reader(chan, task=None):
    yield chan.subscribe(task)
    while True:
        msg = yield task.receive()
        SEEN.append("channel reader got %r" % (msg,))
        if msg == "last":
            break


# (they take a moment: an RPS task that ends before its caller has the
# reply is a race the program does not mean to test)
def rps_div(a, b, task=None):
    yield task.sleep(0.3)
    return a // b


def server_main(task=None):
    task.register("control")
    chan = pycos.Channel("news")
    chan.register()
    reader = pycos.Task(chan_reader, chan)
    pycos.Task(echo)
    pycos.Task(failer)
    pycos.Task(sleeper)
    rps = pycos.RPS(rps_div, name="divide")
    SEEN.append("RPS register: %s" % rps.register())
    SEEN.append("RPS register again: %s" % rps.register())
    print("PORT %d" % task.location.port)
    sys.stdout.flush()
    msg = yield task.receive()
    SEEN.append("control got %r" % (msg,))
    yield reader.finish()


def server():
    kernel("server")
    pycos.Task(server_main).value()
    print("REPORT")
    for line in SEEN:
        print(line)


# -- client ------------------------------------------------------------

def describe_status(msg):
    if isinstance(msg, pycos.MonitorStatus):
        value = msg.value
        if isinstance(value, str) and "Traceback" in value:
            value = "traceback %s" % value.strip().splitlines()[-1].split(":")[0]
        return "MonitorStatus(type=%s, value=%r)" % (getattr(msg.type, "__name__", msg.type),
                                                     value)
    if isinstance(msg, pycos.PeerStatus):
        return "PeerStatus(name=%r, status=%s)" % (msg.name, {pycos.PeerStatus.Online: "Online",
                                                             pycos.PeerStatus.Offline: "Offline"}
                                                   .get(msg.status, msg.status))
    return repr(msg)


def client_main(port, task=None):
    status = pycos.Task(status_watch)
    scheduler = pycos.Pycos.instance()
    scheduler.peer_status(status)
    server_loc = pycos.Location("127.0.0.1", port)
    print("peer:", (yield scheduler.peer(server_loc)))
    print("peer again:", (yield scheduler.peer(server_loc)))
    print("peers:", [loc == server_loc for loc in scheduler.peers()])

    echo = yield pycos.Task.locate("echo", location=server_loc, timeout=5)
    print("locate echo: Task %s, at server %s" % (isinstance(echo, pycos.Task),
                                                  echo.location == server_loc))
    echo2 = yield pycos.Task.locate("echo", timeout=5)
    print("locate echo anywhere: same %s" % (echo2 == echo))
    print("locate missing:", (yield pycos.Task.locate("no such task", location=server_loc,
                                                      timeout=1)))

    print("send:", echo.send((task, "sent")))
    print("reply:", (yield task.receive(timeout=5)))
    print("deliver:", (yield echo.deliver((task, "delivered"), timeout=5)))
    print("reply:", (yield task.receive(timeout=5)))

    failer = yield pycos.Task.locate("failer", location=server_loc, timeout=5)
    print("monitor:", (yield task.monitor(failer)))
    failer.send("boom")
    msg = yield task.receive(timeout=5)
    print("failer status:", describe_status(msg), "info is failer:", msg.info == failer)

    sleeper = yield pycos.Task.locate("sleeper", location=server_loc, timeout=5)
    yield task.monitor(sleeper)
    print("terminate:", sleeper.terminate())
    msg = yield task.receive(timeout=5)
    print("sleeper status:", describe_status(msg))
    print("send to ended task:", sleeper.send("anyone?"))
    print("deliver to ended task:", (yield sleeper.deliver("anyone?", timeout=2)))

    yield task.monitor(echo)
    echo.send("quit")
    msg = yield task.receive(timeout=5)
    print("echo status:", describe_status(msg))

    chan = yield pycos.Channel.locate("news", location=server_loc, timeout=5)
    print("locate channel: Channel %s" % isinstance(chan, pycos.Channel))
    print("subscribe:", (yield chan.subscribe(task)))
    print("channel deliver n=2:", (yield chan.deliver("first", timeout=5, n=2)))
    print("got:", (yield task.receive(timeout=5)))
    print("channel send:", (yield chan.send("second")))
    print("got:", (yield task.receive(timeout=5)))
    print("unsubscribe:", (yield chan.unsubscribe(task)))
    print("channel deliver n=1:", (yield chan.deliver("last", timeout=5, n=1)))
    print("missing channel:", (yield pycos.Channel.locate("no such channel",
                                                          location=server_loc, timeout=1)))

    # (one RPS.locate: a second one to the same peer waits forever on pycos)
    div = yield pycos.RPS.locate("divide", location=server_loc, timeout=5)
    print("locate RPS: RPS %s" % isinstance(div, pycos.RPS))
    print("RPS monitor:", div.monitor(task))
    rtask = yield div(7, 2)
    print("RPS call gives a Task:", isinstance(rtask, pycos.Task))
    msg = yield task.receive(timeout=5)
    print("divide status:", describe_status(msg), "info is the task:", msg.info == rtask)
    rtask = yield div(9, 3)
    print("divide value by rtask():", (yield rtask(timeout=5)))
    print("divide status:", describe_status((yield task.receive(timeout=5))))
    rtask = yield div(1, 0)
    print("divide by 0 status:", describe_status((yield task.receive(timeout=5))))
    print("missing RPS:", (yield pycos.RPS.locate("no such rps", location=server_loc,
                                                  timeout=1)))

    control = yield pycos.Task.locate("control", location=server_loc, timeout=5)
    control.send("stop")
    for line in (yield status.finish()):
        print(line)


def status_watch(task=None):
    # the server's Online status, then Offline when it goes away (printed
    # at the end: when Online arrives relative to peer() may vary)
    seen = []
    for _ in range(2):
        msg = yield task.receive(timeout=20)
        seen.append("peer status: %s" % describe_status(msg))
        if msg is None:
            break
    return seen


def client():
    proc = subprocess.Popen([sys.executable, __file__, "server"], stdout=subprocess.PIPE,
                            text=True)
    line = ""
    while not line.startswith("PORT "):
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the server ended before it told its port")
    port = int(line.split()[1])
    kernel("client")
    pycos.Task(client_main, port).value()
    out = proc.stdout.read()
    proc.wait()
    for line in out.split("REPORT\n", 1)[-1].splitlines():
        print("server|", line)


if __name__ == "__main__":
    if sys.argv[1:] == ["server"]:
        server()
    else:
        client()
