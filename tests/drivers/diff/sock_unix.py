"""AsyncSocket on Unix-domain sockets: a socketpair and a listening path.

A differential program (see tests/diffprog.py): sock_unix.out is what the
same program printed on pycos.
"""
import os
import socket
import tempfile

import picoos as pycos


def main(task=None):
    a, b = socket.socketpair()
    a, b = pycos.AsyncSocket(a), pycos.AsyncSocket(b)
    print("send_msg:", (yield a.send_msg(b"over a socketpair")))
    print("recv_msg: %r" % bytes((yield b.recv_msg())))
    def reader(task=None):
        return len((yield a.recvall(300000)))

    rd = pycos.Task(reader)
    print("sendall:", (yield b.sendall(b"x" * 300000)))
    print("recvall len:", (yield rd.finish()))
    a.close()
    print("recv after the peer closed: %r" % bytes((yield b.recv(10))))
    b.close()

    path = os.path.join(tempfile.mkdtemp(), "sock")
    lsock = pycos.AsyncSocket(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    lsock.bind(path)
    lsock.listen(2)
    c = pycos.AsyncSocket(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    print("connect:", (yield c.connect(path)))
    conn, addr = yield lsock.accept()
    print("accept: AsyncSocket %s" % isinstance(conn, pycos.AsyncSocket))
    yield c.send(b"ping")
    print("recv: %r" % bytes((yield conn.recvall(4))))
    for s in (c, conn, lsock):
        s.close()


if __name__ == "__main__":
    pycos.Task(main).value()
