"""Status messages a client sends to its ``status_task``.

The names and numbers follow dispycos (``Scheduler.NodeDiscovered`` and so
on) so that a pycos status task ports unchanged: it receives
``DispycosStatus(status, info)`` where ``info`` is a
:class:`~picoos.dist.allocate.DispycosNodeInfo` for node events, the
server's location string for server events and the
:class:`~picoos.dist.client.Job` for task events.
"""
from __future__ import annotations

from typing import Any, Dict


class Scheduler:
    """Status codes (dispycos names and values)."""

    NodeIgnore = 1
    NodeDiscovered = 2
    NodeInitialized = 3
    NodeSuspended = 4
    NodeResumed = 5
    NodeClosed = 6
    NodeDisconnected = 7
    NodeAbandoned = 8

    ServerDiscovered = 12
    ServerInitialized = 13
    ServerSuspended = 14
    ServerResumed = 15
    ServerClosed = 16
    ServerDisconnected = 17
    ServerAbandoned = 18

    TaskStarted = 21
    TaskFinished = 22
    TaskAbandoned = 23
    TaskTerminated = 24
    TaskCreated = TaskStarted

    ClientScheduled = 31
    ClientClosed = 32


STATUS_NAMES: Dict[int, str] = {
    value: name for name, value in vars(Scheduler).items()
    if isinstance(value, int) and name != "TaskCreated"
}


class DispycosStatus:
    """One status message: ``status`` (a Scheduler code) and its ``info``."""

    __slots__ = ("status", "info")

    def __init__(self, status: int, info: Any):
        self.status = status
        self.info = info

    @property
    def name(self) -> str:
        """The code's name, e.g. ``"NodeDiscovered"``."""
        return STATUS_NAMES.get(self.status, str(self.status))

    def __repr__(self) -> str:
        return f"DispycosStatus({self.name}, {self.info!r})"


def deliver(target: Any, msg: Any) -> None:
    """Hand ``msg`` to a status target: a task (``send``), a queue (``put``)
    or a plain callable. Errors in the target are the target's business."""
    if target is None:
        return
    send = getattr(target, "send", None) or getattr(target, "put", None)
    if send is not None:
        send(msg)
    elif callable(target):
        target(msg)
    else:
        raise TypeError(f"status_task {target!r} has no send()/put() and is not callable; "
                        f"expected a Task, a queue or a function")
