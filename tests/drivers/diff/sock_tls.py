"""TLS AsyncSocket over loopback with pycos's certfile/keyfile arguments.

A self-signed certificate made with the openssl command serves on both
ends (the client trusts exactly that certificate). A differential program
(see tests/diffprog.py): sock_tls.out is what it printed on pycos.
"""
import os
import socket
import subprocess
import tempfile

import picoos as pycos

DIR = tempfile.mkdtemp()
CERT = os.path.join(DIR, "cert.pem")
KEY = os.path.join(DIR, "key.pem")
SERVER = []     # the server task's lines, printed after the client's (task order may vary)


def make_cert():
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", KEY, "-out", CERT],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def server(lsock, task=None):
    conn, addr = yield lsock.accept()
    SERVER.append("server accepted: AsyncSocket %s, cipher %s"
                  % (isinstance(conn, pycos.AsyncSocket), conn.cipher() is not None))
    data = yield conn.recvall(5)
    SERVER.append("server recvall: %r" % bytes(data))
    msg = yield conn.recv_msg()
    SERVER.append("server recv_msg: %d bytes, %r..." % (len(msg), bytes(msg[:8])))
    r = yield conn.send_msg(b"reply over tls")
    SERVER.append("server send_msg: %s" % (r,))
    SERVER.append("server recv at eof: %r" % bytes((yield conn.recv(10))))
    conn.close()


def main(task=None):
    lsock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM),
                              keyfile=KEY, certfile=CERT)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(2)
    srv = pycos.Task(server, lsock)
    sock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM), certfile=CERT)
    r = yield sock.connect(lsock.getsockname())
    print("client connect:", r)
    print("client cipher: %s" % (sock.cipher() is not None))
    print("client send:", (yield sock.send(b"hello")))
    print("client send_msg:", (yield sock.send_msg(b"m" * 200000)))
    data = yield sock.recv_msg()
    print("client recv_msg: %r" % bytes(data))
    sock.close()
    yield srv.finish()
    lsock.close()
    print("\n".join(SERVER))


if __name__ == "__main__":
    make_cert()
    pycos.Task(main).value()
