"""pycos's own example programs run on picoos with only their imports renamed.

Each test runs one example (and its server, if it has one) as real
processes from tests/compat/examples/ (copies made by port_examples.py),
feeds stdin where the example reads commands, and checks from what it
prints that it did its job: every message a client sent was processed,
every checksum matches, every RPS call came back. Servers and clients run
on one host, as pycos's README tells users to try them; networked ones find
each other by discovery (without a secret: on loopback; with one: on the
host's LAN address), never by a peer() the example does not make.

Examples that show their results only through `pycos.logger` run through
run_example.py (see there: a stand-in until picoos.logger prints like
pycos's logger). Many examples sleep random.uniform(...) seconds; the
waits here are bounds that only a hang reaches, never sleeps.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import time
import urllib.request

import pytest

from example_procs import BOUND

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/net/tcp"),
                                reason="needs Linux /proc/net/tcp to see a port listen")


def wait_listening(port: int, bound: float = BOUND) -> None:
    """Wait until some socket listens on TCP `port` (read from /proc, so
    no test connection disturbs the example's count of connections)."""
    hexport = ":%04X" % port
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(path) as f:
                    next(f)
                    for line in f:
                        local, state = line.split()[1], line.split()[3]
                        if local.endswith(hexport) and state == "0A":   # LISTEN
                            return
            except OSError:
                pass
        time.sleep(0.01)    # polling the port's state itself, not a guess
    raise AssertionError("nothing listens on port %d after %s s" % (port, bound))


def sha1_of(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


# -- networked examples: server and client processes ---------------------

def test_remote_task_server_processes_every_client_message(example):
    server = example("remote_task_server.py")
    client = example("remote_task_client.py")
    # the client's locate runs before discovery has found the server: it
    # must wait for it; 10 clients x 3 messages, then the client ends
    client.finish()
    done = set()
    while len(done) < 30:
        done.add(int(server.expect(r"  done with msg_id (\d+): client \d, msg \d").group(1)))
    assert done == set(range(1, 31))
    server.finish(stdin=["quit"])


def test_remote_channel_delivers_to_both_subscribers(example):
    server = example("remote_channel_server.py")
    client = example("remote_channel_client.py")
    out = client.finish()
    assert "server is at 127.0.0.1:" in out
    # deliver(n=2) waits for the server's receiver, which subscribes after 5 s
    assert out.count("  Delivered to: 2") == 10, out
    for i in range(10):
        assert 'Received "message %d" from sender_proc at 127.0.0.1:' % i in out
        server.expect(r'Received "message %d" from sender_proc at 127\.0\.0\.1:\d+' % i)
    server.finish(stdin=["quit"])


def test_rps_node_runs_the_script_the_client_sent(example):
    server = example("rps_node_server.py")
    server.send("auth words")
    client = example("rps_node_client.py")
    client.send("auth words")
    out = client.finish()
    assert re.search(r"script output: b'\S*rps_update_scripts/node_update_script\.py done\\n'",
                     out), out
    assert "script failed" not in out
    server.expect(r"RPS node_update_rps\S* running \S+node_update_script\.py for client: "
                  r"client_proc")
    server.finish(stdin=["quit"])


def test_rps_pico_service_answers_five_requests(example):
    server = example("rps_pico_service.py")
    client = example("rps_pico_client.py")
    out = client.finish()
    assert "pico service RPS is at" in out
    results = re.findall(r"result: \w{3} \w{3} +\d+ [\d:]+ \d{4}, from: pico_service/\S+", out)
    assert len(results) == 5, out
    assert "failed" not in out and "invalid reply" not in out
    server.finish(stdin=["quit"])


def test_pico_service_task_replies_to_a_located_task(example):
    server = example("pico_service_task.py")
    client = example("pico_client_task.py")
    out = client.finish()
    assert "pico service task is at" in out
    assert re.search(r"result: \w{3} \w{3} +\d+ [\d:]+ \d{4}, from: pico_service/\S+", out), out
    assert "failed to get reply" not in out
    server.finish(stdin=["quit"])


def test_rps_monitor_gets_every_task_status(example):
    server = example("rps_monitor_server.py")
    client = example("rps_monitor_client.py")
    out = client.finish()
    assert "RPS is at" in out
    # b=0 is refused by the server function (its exception comes back in
    # the MonitorStatus); the other four return their message
    assert re.search(r"RPS rps_server/\S+ failed with: .*invalid invocation: 0", out, re.S), out
    for i in range(1, 5):
        assert re.search(r"RPS rps_server/\S+ finished with: msg:%d\b" % i, out), out
    server.finish(stdin=["quit"])


def test_rps_log_watch_streams_matching_lines(example, tmp_path):
    log = tmp_path / "auth.log"
    log.write_text("boot ok\nlogin FAILED for bob\nsomething else\n")
    server = example("rps_log_watch_server.py", str(log), "failed")
    client = example("rps_log_watch_client.py")
    # found by peer_status (discovery), then the RPS streams tail|grep lines
    client.expect(r"\d+\.\d+\.\d+\.\d+: login FAILED for bob")
    with open(log, "a") as f:
        f.write("all fine\nlogin failed again for eve\n")
    client.expect(r"\d+\.\d+\.\d+\.\d+: login failed again for eve")
    out = client.finish(stdin=["quit"])
    assert "all fine" not in out and "boot ok" not in out
    server.finish(stdin=["quit"])


def test_chat_channel_between_two_clients(example):
    # as in two terminals.  A client reads its stdin only once it has joined
    # and subscribed, so lines sent to bob go out once bob is in; alice may
    # still be on her way in, so bob says hello until alice has heard one
    # (each try waits on alice's output; only a broken chat exhausts them)
    server = example("chat_chan_server.py")
    alice = example("chat_chan_client.py")
    bob = example("chat_chan_client.py")
    for i in range(20):
        bob.send("hello %d from bob" % i)
        try:
            b_id = alice.expect(r"    (\d) says: hello \d+ from bob", bound=1.5).group(1)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("alice never heard bob:\n" + alice.out)
    alice.send("hello from alice")
    a_id = bob.expect(r"    (\d) says: hello from alice").group(1)
    assert a_id != b_id
    alice.send("SHOUTING IS DROPPED BY THE TRANSFORM")
    alice.send("quit")
    bob.expect(r"    %s left :-\(" % a_id)
    out = bob.finish(stdin=["quit"])
    assert "SHOUTING" not in out
    alice.finish()
    server.finish(stdin=["quit"])


# -- single-process examples ---------------------------------------------

def test_udp_datagrams(example):
    out = example("udp.py").finish()
    assert len(re.findall(r"Received \"b'client socket: \d+'\" from 127\.0\.0\.1:\d+", out)) == 50


def test_sock_server_and_client(example):
    server = example("sock_server.py")
    wait_listening(8010)
    out = example("sock_client.py", "5").finish()
    assert sorted(re.findall(r"(\d) connected", out)) == ["0", "1", "2", "3", "4"], out
    got = set()
    while len(got) < 5:
        got.add(server.expect(r"recieved: b'(\d): -{100,300}/'").group(1))
    out = server.finish(stdin=["quit"])
    assert "Received 5 messages" in out


def test_client_server_messages(example):
    out = example("client_server.py").finish()
    ids = sorted(int(i) for i in re.findall(r"Received msg_id (\d+): client \d, msg \d", out))
    assert ids == list(range(1, 31)), out


def test_tasks_sleep_and_end(example):
    out = example("tasks.py").finish()
    for n in range(10):
        assert re.search(r"process %d sleeping for [\d.]+ seconds" % n, out)
        assert re.search(r"process %d terminating" % n, out)


def test_channel_sum_and_product(example):
    out = example("channel.py").finish(bound=5)
    sent = [float(x) for x in re.findall(r"sent ([\d.]+)", out)]
    assert len(sent) == 4
    total = float(re.search(r"sum: ([\d.]+)", out).group(1))
    prod = float(re.search(r"prod: ([\d.]+)", out).group(1))
    assert total == pytest.approx(sum(sent), abs=1e-5)
    assert prod == pytest.approx(sent[0] * sent[1] * sent[2] * sent[3], rel=1e-5)


@pytest.mark.skipif(sys.version_info >= (3, 13),
                    reason="the example loads its functions with exec() and then reads them "
                    "from locals(), which Python 3.13 no longer allows (PEP 667); it fails "
                    "the same way on pycos")
def test_hotswap_replaces_client_and_server(example):
    p = example("hotswap.py")
    p.expect(r"server_proc/\S+ received: 1(?!\d)")
    p.send("client")
    p.expect(r"\* client_proc2/\S+: sending 42")
    p.expect(r"server_proc/\S+ received: 42")
    p.send("server")
    p.expect(r"new function: server_proc2, 2")
    p.expect(r"\* server_proc2/\S+ received: \d+,  (log|sqrt)=[\d.]+")
    p.finish(stdin=["quit"])


def test_socket_afile_checksums_match(example, tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(os.urandom(300 * 1024))
    out = example("socket_afile.py", str(data)).finish()
    want = sha1_of(str(data))
    assert "client sha1 csum: %s" % want in out, out
    assert "server sha1 csum: %s" % want in out, out
    assert int(re.search(r"chunks: (\d+)", out).group(1)) >= 1


def test_pipe_csum_both_ways(example, tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("".join("line %d of the input\n" % i for i in range(20000)))
    out = example("pipe_csum.py", str(data)).finish()
    want = sha1_of(str(data))
    assert "communicate sha1sum: b'%s  -\\n'" % want in out, out
    assert "     feeder sha1sum: b'%s  -\\n'" % want in out, out


def test_pipe_grep_counts_matching_lines(example, tmp_path):
    inp = tmp_path / "grep.inp"
    lines = ["an error here\n", "all fine\n", "ERROR: two words\n", "no problem\n"] * 50
    inp.write_text("".join(lines))
    out = example("pipe_grep.py", str(inp)).finish()
    matching = [ln for ln in lines if "error" in ln.lower()]
    want = [len(matching), sum(len(ln.split()) for ln in matching), sum(map(len, matching))]
    assert [int(x) for x in out.split()] == want, out


def test_webserver_answers(example):
    server = example("webserver.py")
    wait_listening(8010)
    for _ in range(3):
        with urllib.request.urlopen("http://127.0.0.1:8010/", timeout=BOUND) as r:
            assert r.read() == b"Pong!"
    server.finish(stdin=["quit"])
