"""Discovery across real interfaces: kernels in network namespaces.

Three namespaces ("hosts") hang off a bridge in a fourth ("the switch"), by
veth pairs. Each runs a kernel that only discovers (never calls peer());
every kernel must find every other one - by IPv4 broadcast, by IPv4
multicast, and by IPv6 link-local multicast. A kernel with another secret
on the same segment must find nobody and be found by nobody. Needs root
and iproute2; skipped with the reason otherwise.
"""
import json
import os
import select
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.netns

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BOUND = 30.0


def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=check)


def _can_make_namespaces():
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    name = "pcs-probe-%d" % os.getpid()
    r = _ip("netns", "add", name, check=False)
    if r.returncode != 0:
        return "cannot create a network namespace: %s" % r.stderr.strip()
    _ip("netns", "del", name, check=False)
    return None


@pytest.fixture
def lan():
    """A switch namespace with a bridge and three host namespaces."""
    why = _can_make_namespaces()
    if why:
        print("netns tests skipped: " + why)
        pytest.skip(why)
    tag = "%d" % (os.getpid() % 100000)
    hub = "pcs-hub-" + tag
    hosts = ["pcs-h%d-%s" % (i, tag) for i in range(1, 4)]
    made = []
    try:
        for ns in [hub] + hosts:
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", hub, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        _ip("-n", hub, "link", "set", "br0", "up")
        for i, ns in enumerate(hosts, 1):
            _ip("-n", hub, "link", "add", "v%d" % i, "type", "veth", "peer", "name", "eth0",
                "netns", ns)
            _ip("-n", hub, "link", "set", "v%d" % i, "master", "br0", "up")
            _ip("-n", ns, "addr", "add", "10.97.5.%d/24" % i, "dev", "eth0")
            _ip("-n", ns, "addr", "add", "fd97::%d/64" % i, "dev", "eth0", "nodad")
            _ip("-n", ns, "link", "set", "eth0", "up")
        yield hosts
    finally:
        for ns in made:
            _ip("netns", "del", ns, check=False)


class Host:
    def __init__(self, ns, cfg):
        env = dict(os.environ, PYTHONPATH=ROOT)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "discoproc.py"),
             json.dumps(cfg)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env)
        self.peers = set()
        self.drops = 0
        self.relayed = None
        self._buf = b""
        line = self._line(BOUND)
        assert line and line[0] == "READY", (line, self.stop())
        self.location = (line[1], int(line[2]))

    def _line(self, bound):
        # our own line buffer: a buffered readline() may swallow several
        # lines, after which select() no longer reports them
        deadline = time.monotonic() + bound
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            r, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not r:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode().split()

    def wait_peers(self, want, deadline, drops=0, relayed=False):
        while not (want <= self.peers and self.drops >= drops
                   and (not relayed or self.relayed is not None)):
            left = deadline - time.monotonic()
            line = self._line(max(left, 0)) if left > 0 else None
            if not line:
                return False
            if line[0] == "PEER":
                self.peers.add((line[1], int(line[2])))
            elif line[0] == "DROPS":
                self.drops = int(line[1])
            elif line[0] == "RELAYED":
                self.relayed = int(line[1])
        return True

    def stop(self):
        try:
            _, err = self.proc.communicate(b"", timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode(errors="replace")


def _run(hosts, cfgs, wants=None, drops=(0, 0, 0)):
    """Start a kernel per host; wait until each has the peers it wants
    (default: all others) and has dropped at least `drops` datagrams."""
    started = [Host(ns, cfg) for ns, cfg in zip(hosts, cfgs)]
    try:
        deadline = time.monotonic() + BOUND
        results = []
        for i, h in enumerate(started):
            want = {o.location for o in started if o is not h} if wants is None else \
                {started[j].location for j in wants[i]}
            results.append(h.wait_peers(want, deadline, drops[i]))
        return started, results
    finally:
        logs = [h.stop() for h in started]
        for h, log in zip(started, logs):
            h.log = log


@pytest.mark.parametrize("mode", ["broadcast", "multicast", "ipv6"])
def test_discovery_across_namespaces(lan, mode):
    cfgs = []
    for i in range(1, 4):
        host = "fd97::%d" % i if mode == "ipv6" else "10.97.5.%d" % i
        cfgs.append({"name": "h%d" % i, "host": host, "secret": "lan-secret",
                     "multicast": mode == "multicast"})
    started, results = _run(lan, cfgs)
    for h, ok in zip(started, results):
        assert ok, "%s found only %s:\n%s" % (h.location, h.peers, h.log)


def test_other_secret_finds_nobody(lan):
    cfgs = [{"name": "h1", "host": "10.97.5.1", "secret": "lan-secret"},
            {"name": "h2", "host": "10.97.5.2", "secret": "lan-secret"},
            {"name": "x3", "host": "10.97.5.3", "secret": "another-secret"}]
    # h1 and h2 must find each other, and every kernel must have dropped
    # announcements signed with the other secret (each sends one per 0.5 s)
    started, results = _run(lan, cfgs, wants=[[1], [0], []], drops=(3, 3, 6))
    assert results == [True, True, True], [h.log for h in started]
    assert started[0].peers == {started[1].location}
    assert started[1].peers == {started[0].location}
    assert started[2].peers == set()


@pytest.fixture
def two_subnets():
    """h1, h2 on 10.97.5.0/24 and h3 on 10.97.6.0/24, joined by a router."""
    why = _can_make_namespaces()
    if why:
        print("netns tests skipped: " + why)
        pytest.skip(why)
    tag = "%d" % (os.getpid() % 100000)
    hubs = ["pcs-sa-" + tag, "pcs-sb-" + tag]
    router = "pcs-rt-" + tag
    hosts = ["pcs-r%d-%s" % (i, tag) for i in range(1, 4)]
    made = []
    try:
        for ns in hubs + [router] + hosts:
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        for hub in hubs:
            _ip("-n", hub, "link", "add", "br0", "type", "bridge")
            _ip("-n", hub, "link", "set", "br0", "up")
        subprocess.run(["ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
                       check=True)
        for j, (hub, net) in enumerate(zip(hubs, ("10.97.5", "10.97.6"))):
            _ip("-n", hub, "link", "add", "r%d" % j, "type", "veth", "peer", "name",
                "eth%d" % j, "netns", router)
            _ip("-n", hub, "link", "set", "r%d" % j, "master", "br0", "up")
            _ip("-n", router, "addr", "add", "%s.254/24" % net, "dev", "eth%d" % j)
            _ip("-n", router, "link", "set", "eth%d" % j, "up")
        for i, ns in enumerate(hosts, 1):
            hub, net = (hubs[0], "10.97.5") if i < 3 else (hubs[1], "10.97.6")
            _ip("-n", hub, "link", "add", "v%d" % i, "type", "veth", "peer", "name", "eth0",
                "netns", ns)
            _ip("-n", hub, "link", "set", "v%d" % i, "master", "br0", "up")
            _ip("-n", ns, "addr", "add", "%s.%d/24" % (net, i), "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "route", "add", "default", "via", "%s.254" % net)
        yield hosts
    finally:
        for ns in made:
            _ip("netns", "del", ns, check=False)


def test_relay_announces_a_kernel_on_another_subnet(two_subnets):
    """h3 (other subnet) peers with h1 with relay=True; h1 announces h3 on
    its LAN, so h2 finds h3 although no broadcast of h3's ever reached it."""
    cfg = {"secret": "lan-secret", "interval": 0.5}
    h1 = Host(two_subnets[0], dict(cfg, name="h1", host="10.97.5.1", tcp_port=9801))
    h2 = Host(two_subnets[1], dict(cfg, name="h2", host="10.97.5.2"))
    h3 = None
    try:
        deadline = time.monotonic() + BOUND
        assert h2.wait_peers({h1.location}, deadline), h2.stop()
        h3 = Host(two_subnets[2], dict(cfg, name="h3", host="10.97.6.3",
                                       relay_to=["10.97.5.1", 9801]))
        assert h2.wait_peers({h1.location, h3.location}, deadline), (h2.stop(), h3.stop())
        assert h3.wait_peers({h1.location, h2.location}, deadline, relayed=True), h3.stop()
        assert h3.relayed == 0
    finally:
        logs = [h.stop() for h in (h1, h2, h3) if h is not None]
    assert "discovered 'h3' at 10.97.6.3" in logs[1]
