"""A networked kernel with discovery on, for the network-namespace tests.

Run as `python discoproc.py '<json config>'` inside a namespace. Prints
`READY <addr> <port>`, then `PEER <addr> <port> <name>` for every peer that
comes online (found by discovery only: it never calls peer()), `DROPS <n>`
when the count of discovery datagrams it dropped changes, and exits when
stdin closes. With "relay_to": [addr, port] it first peers with that kernel
(relay=True) and prints `RELAYED <result>`.
"""
import faulthandler
import json
import logging
import sys
import threading

faulthandler.enable()   # a test that sees no READY gets the stacks (SIGABRT)
_out = threading.Lock()


def say(text):
    """One whole line on stdout: the main thread (READY) and the kernel's
    thread (PEER, DROPS) write at once, and print() writes the text and its
    newline separately, so lines could run into each other."""
    with _out:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(relativeCreated)d %(name)s %(levelname)s %(message)s")

from picoos.kernel.task import Task  # noqa: E402
from picoos.net import PeerStatus, Pycos  # noqa: E402

cfg = json.loads(sys.argv[1])
kernel = Pycos(name=cfg["name"], host=cfg["host"], secret=cfg["secret"],
               tcp_port=cfg.get("tcp_port", 0), udp_port=cfg.get("udp_port", 9705),
               discover_peers=True,
               ipv4_udp_multicast=cfg.get("multicast", False),
               discover_interval=cfg.get("interval", 0.5), pulse_interval=0.5)


def watch(task=None):
    task.set_daemon()
    kernel.peer_status(task)
    while True:
        st = yield task.receive()
        if st.status == PeerStatus.Online:
            say("PEER %s %d %s" % (st.location.addr, st.location.port, st.name))


def drops(task=None):
    """Report signed-by-someone-else datagrams this kernel dropped."""
    task.set_daemon()
    seen = 0
    while True:
        yield task.sleep(0.2)
        if kernel._discovery_drops != seen:
            seen = kernel._discovery_drops
            say("DROPS %d" % seen)


def relay_to(addr, port, task=None):
    """peer() across subnets, asking the peer to announce us on its LAN."""
    from picoos.kernel.location import Location
    r = yield kernel.peer(Location(addr, port), relay=True)
    say("RELAYED %d" % r)


Task(watch)
Task(drops)
if cfg.get("relay_to"):
    Task(relay_to, *cfg["relay_to"])
say("READY %s %d" % (kernel.location.addr, kernel.location.port))
sys.stdin.read()
kernel.terminate()
