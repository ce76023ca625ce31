"""Networked kernels over TLS (certfile/keyfile): peer by location and by
name, a peer with another secret, a location where nothing listens,
close_peer and the Offline status, names and values of remote tasks.

The program runs as the client and starts itself twice as a server
(`server <name> <secret>`), each printing what it saw at the end. A
differential program (see tests/diffprog.py): net_misc.out is what the
same program printed on pycos.
"""
import os
import socket
import subprocess
import sys

import picoos.netpycos as pycos

SECRET = "differential secret"
CERT = os.path.abspath("cert.pem")
KEY = os.path.abspath("key.pem")


def kernel(name, secret):
    return pycos.Pycos(host="127.0.0.1", tcp_port=0, udp_port=0, discover_peers=False,
                       secret=secret, name=name, certfile=CERT, keyfile=KEY)


def adder(task=None):
    task.register("adder")
    a, b = yield task.receive()
    return a + b


def server_main(task=None):
    task.register("control")
    pycos.Task(adder)
    print("PORT %d" % task.location.port)
    sys.stdout.flush()
    msg = yield task.receive()
    print("REPORT")
    print("control got %r" % (msg,))


def server(name, secret):
    kernel(name, secret)
    pycos.Task(server_main).value()


def start_server(name, secret):
    proc = subprocess.Popen([sys.executable, __file__, "server", name, secret],
                            stdout=subprocess.PIPE, text=True)
    line = ""
    while not line.startswith("PORT "):
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("server %s ended before it told its port" % name)
    return proc, int(line.split()[1])


def status_line(msg):
    if isinstance(msg, pycos.PeerStatus):
        return "PeerStatus(name=%r, status=%s)" % (
            msg.name, "Online" if msg.status == pycos.PeerStatus.Online else
            "Offline" if msg.status == pycos.PeerStatus.Offline else msg.status)
    return repr(msg)


def client_main(good_port, bad_port, task=None):
    scheduler = pycos.Pycos.instance()
    scheduler.peer_status(task)
    good = pycos.Location("127.0.0.1", good_port)
    bad = pycos.Location("127.0.0.1", bad_port)
    print("peer with another secret:", (yield scheduler.peer(bad)))
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    nowhere = pycos.Location("127.0.0.1", probe.getsockname()[1])
    probe.close()
    print("peer where nothing listens:", (yield scheduler.peer(nowhere)))
    print("peer over TLS:", (yield scheduler.peer(good)))
    print("status:", status_line((yield task.receive(timeout=10))))
    print("peers:", [loc == good for loc in scheduler.peers()])
    loc = yield scheduler.locate("good_server", timeout=5)
    print("locate peer by name: Location %s, the server %s" % (isinstance(loc, pycos.Location),
                                                               loc == good))
    print("locate unknown peer name:", (yield scheduler.locate("no such server", timeout=1)))
    print("Task.locate on no peer:", (yield pycos.Task.locate("adder", location=bad,
                                                              timeout=1)))

    adder = yield pycos.Task.locate("adder", timeout=5)
    print("remote task: name %r, location is the server %s, str ends with the location %s"
          % (adder.name, adder.location == good, str(adder).endswith("@" + str(good))))
    print("send:", adder.send((20, 22)))
    print("value by adder():", (yield adder(timeout=5)))
    print("terminate after it ended:", adder.terminate())
    print("send after it ended:", adder.send((1, 2)))

    print("close_peer:", (yield scheduler.close_peer(good)))
    print("status:", status_line((yield task.receive(timeout=10))))
    print("peers after close_peer:", scheduler.peers())
    print("peer again:", (yield scheduler.peer(good)))
    print("status:", status_line((yield task.receive(timeout=10))))
    control = yield pycos.Task.locate("control", location=good, timeout=5)
    control.send("stop")
    print("status when it went away:", status_line((yield task.receive(timeout=20))))


def client():
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", KEY, "-out", CERT],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    good, good_port = start_server("good_server", SECRET)
    bad, bad_port = start_server("bad_server", "another secret")
    kernel("client", SECRET)
    pycos.Task(client_main, good_port, bad_port).value()
    out = good.stdout.read()
    good.wait()
    bad.stdin = None
    bad.kill()
    bad.wait()
    for line in out.split("REPORT\n", 1)[-1].splitlines():
        print("server|", line)


if __name__ == "__main__":
    if sys.argv[1:2] == ["server"]:
        server(sys.argv[2], sys.argv[3])
    else:
        client()
