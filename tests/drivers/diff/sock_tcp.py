"""TCP AsyncSocket over loopback: return values, EOF and errors.

A differential program: it prints what each call gives; the same program
with its imports renamed to pycos printed sock_tcp.out (see record.py).
"""
import errno
import socket

import picoos as pycos


LINES = {}     # task's part -> its lines; printed part by part (task order may vary)


def show(label, value, part="main"):
    if isinstance(value, (bytes, bytearray)):
        value = "data %r" % bytes(value)
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], pycos.AsyncSocket):
        value = "(AsyncSocket, %s)" % type(value[1]).__name__
    elif isinstance(value, float):
        value = "%g" % value
    LINES.setdefault(part, []).append("%s: %s" % (label, value))


def error(label, exc, part="main"):
    LINES.setdefault(part, []).append(
        # the exact class differs by Python version (socket.timeout became
        # TimeoutError in 3.10); what a program catches is printed
        "%s: timeout=%s oserror=%s errno=%s" % (label, isinstance(exc, socket.timeout),
                                                isinstance(exc, OSError),
                                                errno.errorcode.get(getattr(exc, "errno", None))))


def flush():
    for part in sorted(LINES):
        for line in LINES[part]:
            print("%s| %s" % (part, line))
    LINES.clear()


def listener():
    sock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def server(lsock, task=None):
    pair = yield lsock.accept()
    show("accept", pair, "server")
    conn = pair[0]
    data = yield conn.recvall(5)
    show("server recvall 5", data, "server")
    data = yield conn.recvall(100000)
    show("server recvall 100000 len", len(data), "server")
    show("server recv_msg", (yield conn.recv_msg()), "server")
    show("server recv_msg empty", (yield conn.recv_msg()), "server")
    show("server send_msg", (yield conn.send_msg(b"reply")), "server")
    show("server sendall", (yield conn.sendall(b"abc")), "server")
    # wait for the client to say it is ready for the end of stream
    show("server recv go", (yield conn.recv(2)), "server")
    conn.close()


def client(addr, task=None):
    sock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    show("connect", (yield sock.connect(addr)), "client")
    show("send", (yield sock.send(b"hello")), "client")
    show("sendall", (yield sock.sendall(b"x" * 100000)), "client")
    show("send_msg", (yield sock.send_msg(b"message one")), "client")
    show("send_msg empty", (yield sock.send_msg(b"")), "client")
    msg = yield sock.recv_msg()
    show("recv_msg", msg, "client")
    show("recv_msg type", type(msg).__name__, "client")
    data = yield sock.recvall(3)
    show("recvall 3", data, "client")
    show("recvall type", type(data).__name__, "client")
    yield sock.send(b"go")
    show("recv at eof", (yield sock.recv(10)), "client")
    show("recvall at eof", (yield sock.recvall(10)), "client")
    show("recv_msg at eof", (yield sock.recv_msg()), "client")
    sock.close()


def timeouts(task=None):
    lsock = listener()
    addr = lsock.getsockname()
    lsock.settimeout(0.1)
    try:
        yield lsock.accept()
        print("accept: no timeout")
    except Exception as exc:
        error("accept timeout", exc)
    sock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    yield sock.connect(addr)
    lsock.settimeout(None)
    conn, _ = yield lsock.accept()
    sock.settimeout(0.1)
    show("gettimeout", sock.gettimeout())
    try:
        data = yield sock.recv(10)
        show("recv", data)
    except Exception as exc:
        error("recv timeout", exc)
    yield conn.send(b"abc")
    try:
        data = yield sock.recvall(10)
        show("recvall partial before timeout", data)
    except Exception as exc:
        error("recvall timeout", exc)
    try:
        data = yield sock.recvall(10)
        show("recvall nothing before timeout", data)
    except Exception as exc:
        error("recvall timeout", exc)
    try:
        data = yield sock.recv_msg()
        show("recv_msg nothing before timeout", data)
    except Exception as exc:
        error("recv_msg timeout", exc)
    sock.close()
    conn.close()
    lsock.close()


def refused(task=None):
    # a port that nothing listens on: bind one, close it
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    addr = probe.getsockname()
    probe.close()
    sock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    try:
        yield sock.connect(addr)
        show("connect refused", "connected?")
    except Exception as exc:
        # the type and errno vary (an OSError carrying ECONNREFUSED in its
        # args or a ConnectionRefusedError): that it is an OSError is the API
        show("connect refused: OSError", isinstance(exc, OSError))
    sock.close()


def create_conn(task=None):
    lsock = listener()
    addr = lsock.getsockname()
    sock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    show("create_connection", (yield sock.create_connection(addr, timeout=5)))
    show("create_connection timeout", sock.gettimeout())
    conn, _ = yield lsock.accept()
    yield sock.sendall(b"ping")
    show("accepted recvall", (yield conn.recvall(4)))
    for s in (sock, conn, lsock):
        s.close()


def main(task=None):
    lsock = listener()
    srv = pycos.Task(server, lsock)
    cli = pycos.Task(client, lsock.getsockname())
    yield srv.finish()
    yield cli.finish()
    lsock.close()
    yield pycos.Task(timeouts).finish()
    yield pycos.Task(refused).finish()
    yield pycos.Task(create_conn).finish()
    flush()


def sync_part():
    # blocking=True: plain calls from a thread that is not the kernel's
    lsock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM), blocking=True)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(2)
    sock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM), blocking=True)
    show("sync connect", sock.connect(lsock.getsockname()))
    pair = lsock.accept()
    show("sync accept", pair)
    conn = pair[0]
    show("sync send", sock.send(b"hey"))
    show("sync recvall", conn.recvall(3))
    show("sync send_msg", sock.send_msg(b"sync message"))
    msg = conn.recv_msg()
    show("sync recv_msg", msg)
    show("sync recv_msg type", type(msg).__name__)
    show("sync sendall", conn.sendall(b"done"))
    show("sync recv", sock.recv(4))
    sock.settimeout(0.1)
    try:
        show("sync recv", sock.recv(4))
    except Exception as exc:
        error("sync recv timeout", exc)
    conn.close()
    show("sync recv at eof", sock.recv(4))
    show("sync recv_msg at eof", sock.recv_msg())
    sock.close()
    lsock.close()


if __name__ == "__main__":
    pycos.Task(main).value()
    sync_part()
    flush()
