"""send_file / del_file between two networked kernels (processes) on
loopback: return codes for a new file, the same file again, a changed file
with and without overwrite, a sub-directory, refused paths, a file over
max_file_size, a missing file, a location that is not a peer.

The program runs as the client and starts itself as the server (argument
`server`), which lists what landed under its dest_path at the end. A
differential program (see tests/diffprog.py): net_files.out is what the
same program printed on pycos.
"""
import os
import socket
import subprocess
import sys

import picoos.netpycos as pycos

SECRET = "differential secret"


def kernel(name, **kwargs):
    return pycos.Pycos(host="127.0.0.1", tcp_port=0, udp_port=0, discover_peers=False,
                       secret=SECRET, name=name, **kwargs)


def server_main(task=None):
    task.register("control")
    print("PORT %d" % task.location.port)
    sys.stdout.flush()
    msg = yield task.receive()
    print("REPORT")
    print("control got %r" % (msg,))


def server():
    dest = os.path.abspath("server_dest")
    os.makedirs(dest)
    scheduler = kernel("server", dest_path=dest, max_file_size=4096)
    pycos.Task(server_main).value()
    root = scheduler.dest_path
    for d, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        rel = os.path.relpath(d, root)
        for name in sorted(files):
            with open(os.path.join(d, name), "rb") as f:
                print("file %s: %r" % (os.path.normpath(os.path.join(rel, name)), f.read()))
        if rel != "." and not files and not dirs:
            print("empty dir %s" % rel)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def show(label, value):
    if isinstance(value, os.stat_result):
        value = "os.stat_result(size=%d)" % value.st_size
    print("%s: %s" % (label, value))


def client_main(port, task=None):
    scheduler = pycos.Pycos.instance()
    loc = pycos.Location("127.0.0.1", port)
    show("peer", (yield scheduler.peer(loc)))
    os.makedirs("outbox")
    path = os.path.join("outbox", "data.txt")
    write(path, b"first version")
    show("send_file new", (yield scheduler.send_file(loc, path, timeout=5)))
    show("send_file same again", (yield scheduler.send_file(loc, path, timeout=5)))
    write(path, b"second, longer version")
    show("send_file changed, no overwrite", (yield scheduler.send_file(loc, path, timeout=5)))
    show("send_file changed, overwrite", (yield scheduler.send_file(loc, path, overwrite=True,
                                                                    timeout=5)))
    show("send_file dir", (yield scheduler.send_file(loc, path, dir="sub/inner", timeout=5)))
    show("send_file dir kept", (yield scheduler.send_file(loc, path, dir="keep", timeout=5)))
    show("send_file absolute dir", (yield scheduler.send_file(loc, path, dir="/tmp",
                                                              timeout=5)))
    show("send_file dir with ..", (yield scheduler.send_file(loc, path, dir="../escape",
                                                             timeout=5)))
    big = os.path.join("outbox", "big.bin")
    write(big, b"x" * 5000)
    show("send_file over max_file_size", (yield scheduler.send_file(loc, big, timeout=5)))
    show("send_file missing file", (yield scheduler.send_file(loc, "no-such-file", timeout=5)))
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    stranger = pycos.Location("127.0.0.1", probe.getsockname()[1])
    probe.close()
    show("send_file to a non-peer", (yield scheduler.send_file(stranger, path, timeout=5)))

    show("del_file", (yield scheduler.del_file(loc, "data.txt", timeout=5)))
    show("del_file again", (yield scheduler.del_file(loc, "data.txt", timeout=5)))
    show("del_file in dir", (yield scheduler.del_file(loc, "data.txt", dir="sub/inner",
                                                      timeout=5)))
    show("del_file dir with ..", (yield scheduler.del_file(loc, "data.txt", dir="../escape",
                                                           timeout=5)))
    control = yield pycos.Task.locate("control", location=loc, timeout=5)
    control.send("stop")


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
    for line in out.split("REPORT\n", 1)[-1].splitlines():
        print("server|", line)


if __name__ == "__main__":
    if sys.argv[1:] == ["server"]:
        server()
    else:
        client()
