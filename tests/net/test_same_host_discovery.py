"""Kernels on one host find each other by discovery, as pycos's do.

pycos's examples run a server and a client in two terminals of one
machine; neither calls peer(). Without a secret a kernel listens on
loopback only, and its discovery goes to the loopback broadcast address,
which reaches every kernel of the host bound to the discovery port (a
unicast datagram to a port shared with SO_REUSEADDR would reach only one).
Each test uses its own free UDP port, so kernels of other tests or
programs on this host do not join in.
"""
import json
import os
import select
import socket
import subprocess
import sys
import time

import pytest

from picoos.net import addrs

DISCOPROC = os.path.join(os.path.dirname(__file__), "discoproc.py")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOUND = 15.0    # generous: announcements repeat every 0.5 s here


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Disco:
    """discoproc.py in a subprocess: a kernel that only discovers."""

    def __init__(self, **cfg):
        self._buf = ""
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, DISCOPROC, json.dumps(cfg)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        ready = self.line("READY", BOUND).split()
        self.location = (ready[1], int(ready[2]))
        self.peers = set()

    def line(self, prefix, bound):
        # own buffer over os.read: a buffered readline() could hold a
        # second line that select() then never reports
        deadline = time.monotonic() + bound
        while True:
            while "\n" in self._buf:
                ln, self._buf = self._buf.split("\n", 1)
                if ln.startswith(prefix):
                    return ln
            left = deadline - time.monotonic()
            r, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not r:
                raise AssertionError("no %s line within %s s" % (prefix, bound)
                                     + ("" if prefix != "READY" else self._log()))
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError("discoproc ended:\n%s" % self.proc.stderr.read())
            self._buf += chunk.decode()

    def _log(self):
        # the child did not start: show why (its stack, if it hangs)
        import signal as _signal
        try:
            self.proc.send_signal(_signal.SIGABRT)
            _, err = self.proc.communicate(timeout=BOUND)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            _, err = self.proc.communicate()
        return "; its log:\n%s" % err

    def wait_peer(self, location, bound=BOUND):
        deadline = time.monotonic() + bound
        while location not in self.peers:
            _, addr, port, _name = self.line("PEER", deadline - time.monotonic()).split()
            self.peers.add((addr, int(port)))

    def stop(self):
        try:
            self.proc.communicate("", timeout=BOUND)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def disco():
    started = []

    def start(**cfg):
        cfg.setdefault("interval", 0.5)
        d = Disco(**cfg)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def test_loopback_kernels_without_a_secret_find_each_other(disco):
    port = free_udp_port()
    a = disco(name="a", host="127.0.0.1", secret="", udp_port=port)
    b = disco(name="b", host="127.0.0.1", secret="", udp_port=port)
    c = disco(name="c", host="127.0.0.1", secret="", udp_port=port)
    for x, others in ((a, (b, c)), (b, (a, c)), (c, (a, b))):
        for o in others:
            x.wait_peer(o.location)
    assert a.location != b.location != c.location     # one TCP port each


def test_loopback_kernel_on_another_discovery_port_stays_apart(disco):
    port, other = free_udp_port(), free_udp_port()
    a = disco(name="a", host="127.0.0.1", secret="", udp_port=port)
    b = disco(name="b", host="127.0.0.1", secret="", udp_port=port)
    lone = disco(name="lone", host="127.0.0.1", secret="", udp_port=other)
    a.wait_peer(b.location)
    b.wait_peer(a.location)
    # several announcement rounds have passed both ways by now
    assert lone.location not in a.peers | b.peers
    with pytest.raises(AssertionError, match="no PEER line"):
        lone.wait_peer(a.location, bound=1.5)


def test_kernels_with_a_secret_on_the_hosts_address_find_each_other(disco):
    host = addrs.default_addr()
    if host is None or addrs.is_loopback(host):
        pytest.skip("this machine has no non-loopback IPv4 address")
    port = free_udp_port()
    a = disco(name="a", host=host, secret="s3cret-for-this-test", udp_port=port)
    b = disco(name="b", host=host, secret="s3cret-for-this-test", udp_port=port)
    a.wait_peer(b.location)
    b.wait_peer(a.location)


def test_ipv6_loopback_kernel_is_found_through_the_ipv4_loopback_broadcast(disco):
    """Loopback discovery always runs on IPv4; the datagram carries ::1."""
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = free_udp_port()
    a = disco(name="a6", host="::1", secret="", udp_port=port)
    b = disco(name="b4", host="127.0.0.1", secret="", udp_port=port)
    a.wait_peer(b.location)
    b.wait_peer(a.location)
    assert a.location[0] == "::1"


def _one_datagram(kernel, bound=BOUND):
    r, _, _ = select.select([kernel._udp_raw], [], [], bound)
    assert r, "no discovery datagram within %s s" % bound
    data, src = kernel._udp_raw.recvfrom(2048)
    return kernel._dcodec.decode(data, time.time()), src


@pytest.mark.parametrize("fallback", [False, True], ids=["loopback-broadcast", "multicast-on-lo"])
def test_loopback_announcement_reaches_every_kernel_of_the_host(monkeypatch, tmp_path, fallback):
    """Both ways a loopback-only kernel announces itself: the loopback
    broadcast address, and (where the system has none) the multicast group
    on the loopback interface - forced here with an address this host
    cannot bind."""
    from picoos.net import NetKernel, udp
    if fallback:
        monkeypatch.setattr(udp, "LOOPBACK_BCAST", "203.0.113.77")
    port = free_udp_port()
    kernels = [NetKernel(name=n, host="127.0.0.1", udp_port=port, tcp_port=0,
                         dest_path=str(tmp_path)) for n in ("a", "b", "c")]
    try:
        a, b, c = kernels
        assert a._targets() == [(udp.MCAST_V4 if fallback else "127.255.255.255", port)]
        assert a._announce() == 1
        for k in kernels:       # every one hears it, the sender too
            ann, src = _one_datagram(k)
            assert (ann.name, ann.port, ann.addrs) == ("a", a.location.port, ["127.0.0.1"])
            assert src[0] == "127.0.0.1"
    finally:
        for k in kernels:
            k._shutdown()
