"""pycos-compatible names for the dist layer: ``from picoos.dispycos import *``.

A dispycos client program ports by changing its import from
``pycos.dispycos`` to ``picoos.dispycos``; the names below map onto
:mod:`picoos.dist`. ``Computation`` is dispycos's older name of ``Client``,
and ``DispycosTaskInfo`` is the record status messages carry for jobs
(picoos's :class:`~picoos.dist.jobs.Job`, which has the same ``task``,
``args``, ``kwargs`` and ``start_time`` fields).
"""
# as pycos's dispycos does, make the default kernel networked: job tasks on
# the servers and the client's tasks message each other across machines
import picoos.netpycos  # noqa: E402,F401
from picoos.dist.allocate import DispycosNodeAllocate, DispycosNodeAvailInfo, DispycosNodeInfo
from picoos.dist.client import Client
from picoos.dist.jobs import Job as DispycosTaskInfo
from picoos.dist.status import DispycosStatus, Scheduler

Computation = Client

# dispycos's limits on heartbeats, in seconds (picoos checks only that a pulse is > 0)
MinPulseInterval = 10
MaxPulseInterval = 10 * MinPulseInterval
MsgTimeout = 10

__all__ = ["Scheduler", "Client", "Computation", "DispycosStatus", "DispycosTaskInfo",
           "DispycosNodeInfo", "DispycosNodeAvailInfo", "DispycosNodeAllocate"]
