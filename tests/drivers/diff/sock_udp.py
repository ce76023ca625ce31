"""UDP AsyncSocket over loopback: sendto/recvfrom, timeouts, sync calls.

A differential program (see tests/diffprog.py): sock_udp.out is what the
same program printed on pycos.
"""
import socket

import picoos as pycos


def udp_socket(blocking=False):
    sock = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), blocking=blocking)
    sock.bind(("127.0.0.1", 0))
    return sock


def main(task=None):
    a, b = udp_socket(), udp_socket()
    b_addr = b.getsockname()
    for i in range(3):
        n = yield a.sendto(b"datagram %d" % i, b_addr)
        print("sendto:", n)
    for i in range(3):
        data, addr = yield b.recvfrom(100)
        print("recvfrom: %r from sender %s" % (bytes(data), addr == a.getsockname()))
    # a reply with recv on a connected datagram socket
    a.connect(b_addr)
    yield a.send(b"connected")
    data, addr = yield b.recvfrom(100)
    print("recvfrom connected: %r" % bytes(data))
    yield b.sendto(b"back", a.getsockname())
    print("recv on connected: %r" % bytes((yield a.recv(100))))
    b.settimeout(0.1)
    try:
        r = yield b.recvfrom(100)
        print("recvfrom gave", r)
    except Exception as exc:
        print("recvfrom timeout: socket.timeout %s" % isinstance(exc, socket.timeout))
    a.close()
    b.close()


def sync_part():
    a, b = udp_socket(True), udp_socket(True)
    print("sync sendto:", a.sendto(b"sync", b.getsockname()))
    data, addr = b.recvfrom(100)
    print("sync recvfrom: %r from sender %s" % (bytes(data), addr == a.getsockname()))
    b.settimeout(0.1)
    try:
        b.recvfrom(100)
    except Exception as exc:
        print("sync recvfrom timeout: socket.timeout %s" % isinstance(exc, socket.timeout))
    a.close()
    b.close()


if __name__ == "__main__":
    pycos.Task(main).value()
    sync_part()
