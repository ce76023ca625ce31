"""Which nodes a client uses, and how much of each: allocation filters.

``DispycosNodeAllocate`` keeps dispycos's constructor and ``allocate()``
contract (return the number of servers to use, 0 to skip the node, < 0 to
let the next filter decide), and adds a filter on the board model, since a
picoos fleet mixes Pi generations. Subclass it and override ``allocate``
for rules of your own.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Optional


class DispycosNodeAvailInfo:
    """A node's free resources, as dispycos reports them: cpu (percent
    idle), memory and disk (bytes available), swap (percent free), plus the
    board's temperature; ``location`` is the node's Location (its first
    server's kernel, which takes ``send_file``)."""

    def __init__(self, location: Any, cpu: float, memory: int, disk: int, swap: float,
                 temperature: Optional[float] = None):
        self.location = location
        self.cpu = cpu
        self.memory = memory
        self.disk = disk
        self.swap = swap
        self.temperature = temperature

    @classmethod
    def from_figures(cls, location: Any, fig: Dict[str, Any]) -> "DispycosNodeAvailInfo":
        return cls(location, round(100.0 - fig.get("cpu_busy", 0.0), 1),
                   fig.get("memory_available", 0), fig.get("disk_free", 0),
                   round(100.0 - fig.get("swap_used_percent", 0.0), 1),
                   fig.get("temperature"))


class DispycosNodeInfo:
    """A node as the client knows it (``info`` of node status messages)."""

    def __init__(self, name: str, addr: str, cpus: int, platform: str,
                 avail_info: Optional[DispycosNodeAvailInfo], model: Optional[str] = None,
                 port: int = 0):
        self.name = name
        self.addr = addr
        self.port = port
        self.cpus = cpus
        self.platform = platform
        self.avail_info = avail_info
        self.model = model

    def __repr__(self) -> str:
        return f"<node {self.name} {self.addr}:{self.port} cpus={self.cpus}>"


class DispycosNodeAllocate:
    """A filter on nodes: address (``*`` wildcards), port, platform regex,
    CPUs (n to use, or -n to leave free), minimum memory and disk (bytes),
    board model regex (e.g. ``"Raspberry Pi [45]"``)."""

    def __init__(self, node: str, port: Optional[int] = None, platform: str = "",
                 cpus: Optional[int] = None, memory: Optional[int] = None,
                 disk: Optional[int] = None, model: str = ""):
        if not isinstance(node, str) or not node:
            raise ValueError(f"node {node!r} is not a host name or address pattern; "
                             f"expected e.g. '192.168.1.*' or 'pi-kitchen'")
        self.node = node
        self.port = port
        self.platform = platform
        self.cpus = cpus
        self.memory = memory
        self.disk = disk
        self.model = model
        pattern = re.escape(node).replace(r"\*", ".*")
        self._node_rex = re.compile(f"^{pattern}$", re.IGNORECASE)

    @property
    def is_pattern(self) -> bool:
        """True when ``node`` has a wildcard (a filter only, not an address to dial)."""
        return "*" in self.node

    def matches(self, addr: str, name: str, port: int) -> bool:
        """Whether this filter is about the node at ``addr``/``name``."""
        if self.port and port and self.port != port:
            return False
        return bool(self._node_rex.match(addr) or self._node_rex.match(name))

    def allocate(self, ip_addr: str, name: str, platform: str, cpus: int, memory: int,
                 disk: int, model: Optional[str] = None) -> int:
        """Servers to use on this node: > 0 use that many, 0 skip it, < 0 not my call.

        A node whose platform does not match is not this filter's business
        (-1, as in dispycos): the next filter decides, and a node no filter
        decides about is used in full. A board model that does not match
        (picoos's own filter) skips the node.
        """
        if self.platform and not re.search(self.platform, platform, re.IGNORECASE):
            return -1
        if self.model and not re.search(self.model, model or "", re.IGNORECASE):
            return 0
        # a figure the node could not measure (0) does not rule it out, as in dispycos
        if (self.memory and memory and memory < self.memory) or \
                (self.disk and disk and disk < self.disk):
            return 0
        if self.cpus is None:
            return cpus
        if self.cpus >= 0:
            return min(self.cpus, cpus) if self.cpus <= cpus else 0
        return max(cpus + self.cpus, 0)

    def __repr__(self) -> str:
        return f"DispycosNodeAllocate({self.node!r}, port={self.port})"


def ask_filter(alloc: DispycosNodeAllocate, ip_addr: str, name: str, platform: str,
               cpus: int, memory: int, disk: int, model: Optional[str]) -> int:
    """``alloc.allocate(...)``, with the board model only when that method
    takes it: a dispycos program's subclass overrides ``allocate`` with
    dispycos's six arguments."""
    import inspect
    try:
        params = inspect.signature(alloc.allocate).parameters
    except (TypeError, ValueError):
        params = {}
    if "model" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return alloc.allocate(ip_addr, name, platform, cpus, memory, disk, model=model)
    return alloc.allocate(ip_addr, name, platform, cpus, memory, disk)
