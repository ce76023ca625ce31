"""Node policies: zombie period, serve N clients, service window, TLS."""
import queue
import subprocess
import time

import pytest

import jobfuncs
from picoos.dist.client import Client
from picoos.dist.config import NodeConfig
from picoos.dist.daemon import NodeDaemon
from picoos.dist.errors import DistError, NodeUnavailable
from picoos.dist.status import Scheduler

WAIT = 60


def test_idle_client_is_closed_after_the_zombie_period(start_node):
    node = start_node("-c", "1")
    statusq = queue.Queue()
    client = Client([jobfuncs.square], nodes=[node.addr], pulse_interval=0.3,
                    zombie_period=1.0, status_task=statusq)
    client.schedule(timeout=WAIT)
    assert client.run(jobfuncs.square, 2).result(WAIT) == 4
    seen = []
    deadline = time.monotonic() + WAIT
    while Scheduler.NodeDisconnected not in seen and time.monotonic() < deadline:
        seen.append(statusq.get(timeout=WAIT).status)
    assert Scheduler.NodeDisconnected in seen
    assert client.nodes() == [] and client.targets == []   # not dialled again
    client.close(timeout=5)


def test_serve_n_clients_then_exit(start_node):
    node = start_node("-c", "1", "--serve", "1")
    client = Client([jobfuncs.square], nodes=[node.addr], pulse_interval=0.5)
    client.schedule(timeout=WAIT)
    assert client.run(jobfuncs.square, 3).result(WAIT) == 9
    client.close(timeout=WAIT)
    assert node.proc.wait(WAIT) == 0


def _daemon(tmp_path, **kw):
    cfg = NodeConfig(tcp_port=0, udp_port=0, dest_path=str(tmp_path), prestart=False, **kw)
    return NodeDaemon(cfg)


@pytest.mark.parametrize("window, hhmm, start, stop, end", [
    (("08:00", "", "18:00"), (12, 0), True, True, True),
    (("08:00", "", "18:00"), (7, 59), False, False, False),
    (("08:00", "17:00", "18:00"), (17, 30), False, False, True),
    (("22:00", "", "06:00"), (23, 0), True, True, True),     # across midnight
    (("22:00", "", "06:00"), (5, 59), True, True, True),
    (("22:00", "", "06:00"), (12, 0), False, False, False),
    (("", "", ""), (3, 0), True, True, True),
])
def test_service_window(tmp_path, monkeypatch, window, hhmm, start, stop, end):
    daemon = _daemon(tmp_path, service_start=window[0], service_stop=window[1],
                     service_end=window[2])
    fake = time.struct_time((2026, 1, 1, hhmm[0], hhmm[1], 0, 3, 1, 0))
    monkeypatch.setattr("picoos.dist.daemon.time.localtime", lambda *a: fake)
    assert (daemon.in_service("start"), daemon.in_service("stop"),
            daemon.in_service("end")) == (start, stop, end)
    daemon.sock.close()


def test_node_outside_its_window_refuses_clients(start_node):
    now = time.localtime()
    later = f"{(now.tm_hour + 2) % 24:02d}:00"
    end = f"{(now.tm_hour + 3) % 24:02d}:00"
    node = start_node("-c", "1", "--service-start", later, "--service-end", end)
    client = Client([jobfuncs.square], nodes=[node.addr], pulse_interval=0.5)
    with pytest.raises(NodeUnavailable, match="service window"):
        client.schedule(timeout=2)
    client.close(timeout=5)


@pytest.fixture
def certs(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    out = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                          "-keyout", str(key), "-out", str(cert), "-days", "1",
                          "-subj", "/CN=localhost"], capture_output=True, timeout=60)
    if out.returncode != 0:
        pytest.skip("openssl cannot make a test certificate: " + out.stderr.decode()[-200:])
    return str(cert), str(key)


def test_tls_links(start_node, certs):
    cert, key = certs
    node = start_node("-c", "1", "--secret", "s", "--host", "127.0.0.1",
                      "--certfile", cert, "--keyfile", key)
    plain = Client([jobfuncs.square], nodes=[node.addr], secret="s", pulse_interval=0.5)
    with pytest.raises(NodeUnavailable):
        plain.schedule(timeout=2)
    plain.close(timeout=5)
    # the servers' kernels connect back to the client's kernel: it needs a
    # certificate of its own, and says so when it has none
    no_cert = Client([jobfuncs.square], nodes=[node.addr], secret="s", cafile=cert,
                     pulse_interval=0.5)
    with pytest.raises(DistError, match="certfile"):
        no_cert.schedule(timeout=WAIT)
    client = Client([jobfuncs.square], nodes=[node.addr], secret="s", cafile=cert,
                    certfile=cert, keyfile=key, pulse_interval=0.5)
    client.schedule(timeout=WAIT)
    assert client.run(jobfuncs.square, 8).result(WAIT) == 64
    srv = client._server(client.servers()[0])
    assert srv.link.sock.version().startswith("TLS")       # servers speak TLS too
    client.close(timeout=WAIT)
