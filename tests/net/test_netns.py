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

    def wait_peers(self, want, deadline, drops=0):
        while not (want <= self.peers and self.drops >= drops):
            left = deadline - time.monotonic()
            line = self._line(max(left, 0)) if left > 0 else None
            if not line:
                return False
            if line[0] == "PEER":
                self.peers.add((line[1], int(line[2])))
            elif line[0] == "DROPS":
                self.drops = int(line[1])
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
