"""pycos's socket chat examples, run on picoos as real processes.

chat_server.py / chat_server2.py relay `send_msg` messages between
chat_client.py processes; chat_sock_server.py does the same with one task
owning the member list, for chat_sock_client.py, and tells members who
joined and left. Each test starts a server and clients as a user would in
several terminals (on a free loopback port given on the command line),
types lines into the clients' stdin and checks what the other clients
print. Waits are on printed lines, with bounds only a hang reaches.
"""
from __future__ import annotations

import os
import signal
import socket
import struct

import pytest


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def say_until_heard(speaker, listener, text):
    """A server adds a client to its members in the task serving the
    connection, which may run after the client has connected and read its
    first line: say `text` (numbered) until `listener` has printed one; the
    id the listener saw the speaker under."""
    for i in range(20):
        speaker.send("%s %d" % (text, i))
        try:
            return listener.expect(r"  (\d+) says: \S*%s \d+" % text, bound=1.5).group(1)
        except AssertionError:
            continue
    raise AssertionError("%r was never heard:\n%s" % (text, listener.out))


@pytest.mark.parametrize("server_name", ["chat_server.py", "chat_server2.py"])
def test_chat_server_relays_between_clients(example, server_name):
    port = free_port()
    server = example(server_name, "127.0.0.1", port)
    server.expect(r"server at \('127\.0\.0\.1', %s\)" % port)
    alice = example("chat_client.py", "127.0.0.1", port)
    bob = example("chat_client.py", "127.0.0.1", port)
    bob_id = say_until_heard(bob, alice, "hello from bob")
    # bob is a member now (he was heard), so alice's first line reaches him
    alice.send("hello from alice")
    alice_id = bob.expect(r"  (\d+) says: \S*hello from alice\b").group(1)
    assert alice_id != bob_id
    # alice leaves; the server keeps serving the others
    alice.finish(stdin=["quit"])
    carol = example("chat_client.py", "127.0.0.1", port)
    carol_id = say_until_heard(carol, bob, "carol here")
    assert carol_id != bob_id
    bob.send("welcome carol")
    carol.expect(r"  %s says: \S*welcome carol\b" % bob_id)
    out = bob.finish(stdin=["quit"])
    assert "hello from alice" in out and "carol here" in out
    assert "welcome carol" not in out     # a sender does not hear itself
    assert "hello from bob" not in carol.out   # nor does one who joined later
    carol.finish(stdin=["exit"])
    server.finish(stdin=["quit"])


def _recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


@pytest.mark.parametrize("server_name", ["chat_server.py", "chat_server2.py"])
def test_chat_server_quits_while_clients_are_connected(example, server_name):
    # "quit": the server's main thread closes every member's socket while
    # their tasks wait in recv_msg on them.  Those tasks stay waiting (as in
    # pycos) instead of waking and changing the member set the main thread
    # walks ("Set changed size during iteration").  Many members make the
    # old race all but certain.
    port = free_port()
    server = example(server_name, "127.0.0.1", port)
    server.expect(r"server at \('127\.0\.0\.1', %s\)" % port)
    members = [socket.create_connection(("127.0.0.1", int(port)), timeout=30)
               for _ in range(40)]
    try:
        # the last to connect is served by the newest task: once every other
        # member has heard it, all the (FIFO-scheduled) tasks have joined
        msg = b"roll call"
        members[-1].sendall(struct.pack(">L", len(msg)) + msg)
        for sock in members[:-1]:
            size = struct.unpack(">L", _recv_exactly(sock, 4))[0]
            assert b"says: " in _recv_exactly(sock, size)
        out = server.finish(stdin=["quit"])
        assert "Traceback" not in out and "changed size" not in out
    finally:
        for sock in members:
            sock.close()


def test_chat_sock_server_tells_who_joined_said_and_left(example):
    port = free_port()
    server = example("chat_sock_server.py", "127.0.0.1", port)
    server.expect(r"server at \('127\.0\.0\.1', %s\)" % port)
    server.expect(r"Ctrl-C to terminate server")
    alice = example("chat_sock_client.py", "127.0.0.1", port)
    alice_id = alice.expect(r"id: (\d+)").group(1)
    bob = example("chat_sock_client.py", "127.0.0.1", port)
    bob_id = bob.expect(r"id: (\d+)").group(1)
    assert alice_id != bob_id
    # the server handles join and broadcast in one task, in order: once
    # alice has heard that bob joined, bob is a member
    alice.expect(r"(?m)^%s joined$" % bob_id)
    alice.send("hello from alice")
    bob.expect(r"(?m)^%s says: hello from alice$" % alice_id)
    bob.send("hi alice")
    alice.expect(r"(?m)^%s says: hi alice$" % bob_id)
    alice.send("")            # empty lines are not sent
    alice.finish(stdin=["quit"])
    bob.expect(r"(?m)^%s left$" % alice_id)
    out = bob.finish(stdin=["quit"])
    assert "says: hi alice" not in out and "joined" not in out
    # the server's main thread waits in a blocking accept(): Ctrl-C ends it,
    # it tells its task to stop and exits
    os.kill(server.proc.pid, signal.SIGINT)
    server.finish()
