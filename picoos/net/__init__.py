"""picoos.net: networked kernels, remote tasks and channels, RPS.

Re-exports only; see node.py (the networked kernel), locate.py, links.py, service.py,
refs.py, rps.py, and docs/protocol.md for the wire protocol and security.
"""
from picoos.net.errors import *  # noqa: F401,F403
from picoos.net.node import (DEFAULT_TCP_PORT, DEFAULT_UDP_PORT, MsgTimeout, NetKernel,
                             PeerStatus, Pycos)
from picoos.net.refs import RemoteChannel, RemoteTask
from picoos.net.rps import RPS, RPSError
from picoos.kernel.location import Location

__all__ = ["Pycos", "NetKernel", "PeerStatus", "RPS", "RPSError", "Location", "RemoteTask",
           "RemoteChannel", "DEFAULT_UDP_PORT", "DEFAULT_TCP_PORT", "MsgTimeout"]
