"""The client's side of jobs as tasks: its kernel, starting a job, reading its end.

A job runs as a picoos task on a server's networked kernel (see
:mod:`picoos.dist.server`). This module is the small glue on the client's
networked kernel that :class:`~picoos.dist.client.Client` uses: which
kernel to use (the program's default one, networked; created here with the
client's secret when the program has none yet), how a job is started
through the server's registered job entry (an RPS, so only after the
kernels authenticated each other), and what a job's ``MonitorStatus``
means for the client's bookkeeping.
"""
from __future__ import annotations

import logging
import pickle
from typing import Any, Optional, Tuple

from picoos.dist import protocol as P
from picoos.dist.errors import DistError, JobTerminated

log = logging.getLogger("picoos.dist")

START_TIMEOUT = 30.0   # seconds a server's kernel has to find and start the job entry


def client_kernel(client: Any) -> Tuple[Any, bool]:
    """The networked kernel the client's jobs start from, and whether it is
    the client's own.

    The program's default kernel when it is networked (``import
    picoos.dispycos`` or ``picoos.netpycos`` made it so) and has the
    client's secret: then job tasks and the program's tasks can message each
    other. Otherwise (no kernel yet, a plain one, another secret) a private
    networked kernel with the client's secret and TLS files, which the client
    runs in a thread of its own; that suits programs that use the client
    from plain threads (``job.result()``).
    """
    from picoos.kernel import context
    from picoos.net import NetKernel
    from picoos.net.auth import secret_bytes
    kernel = context.default
    if kernel is not None and not kernel._quit and isinstance(kernel, NetKernel) and \
            secret_bytes(client.secret) == kernel._secret:
        return kernel, False
    if client.ssl_context is not None and not client.certfile:
        # a server's kernel also connects to the client's kernel (to send
        # messages and MonitorStatus), so that kernel must accept TLS too
        raise DistError("TLS needs the client's own certfile/keyfile as well as cafile: the "
                        "servers' kernels connect back to the client's kernel over TLS")
    kwargs = {}
    if client.certfile:
        kwargs.update(certfile=client.certfile, keyfile=client.keyfile or None,
                      cafile=client.cafile or None)
    kernel = NetKernel(name=client.name, secret=client.secret, discover_peers=False, udp_port=0,
                       **kwargs)
    return kernel, True


def find_entry(srv: Any):
    """Sub-call: connect to server ``srv``'s kernel and find its job entry;
    True when found (kept in ``srv.rps``)."""
    from picoos.net import RPS
    from picoos.dist.server import JOB_ENTRY
    rps = yield RPS.locate(JOB_ENTRY, srv.loc, START_TIMEOUT)
    if not isinstance(rps, RPS):
        log.warning("server %s: no job entry found on its kernel", srv.location)
        return False
    srv.rps = rps
    return True


def start_job(srv: Any, job: Any, monitor: Any):
    """Sub-call (``yield start_job(...)``): start ``job`` on server ``srv``.

    Gives ``(rtask, None)`` on success; ``(None, None)`` when the server's
    kernel could not be reached or refused (the job may run elsewhere);
    ``(None, error tuple)`` when the job itself cannot be sent (e.g. its
    arguments do not pickle).
    """
    from picoos.kernel.task import Task
    try:
        if srv.rps is None and not (yield find_entry(srv)):
            return None, None
        rtask = yield srv.rps(job.id, job.ref, job.args, job.kwargs, job.io, monitor)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        import traceback
        return None, (type(exc).__name__, f"arguments of job {job.id} cannot be sent: {exc}",
                      traceback.format_exc(), None)
    if not isinstance(rtask, Task):
        return None, None
    return rtask, None


def outcome(status: Any) -> Tuple[Optional[str], Any]:
    """A job task's MonitorStatus as (state, value) for ``Client.job_result``.

    State None means the server's kernel was lost (the server's loss
    decides what happens to the job: run again or abandoned).
    """
    from picoos.net.errors import PeerLostError
    kind = status.type
    if kind is StopIteration:
        return P.OK, status.value
    if kind is GeneratorExit or kind is JobTerminated:
        return P.TERMINATED, None
    if kind is PeerLostError:
        return None, status.value
    tb = status.value if isinstance(status.value, str) else repr(status.value)
    name = getattr(kind, "__name__", str(kind))
    last = tb.strip().splitlines()[-1] if tb.strip() else name
    message = last.split(": ", 1)[1] if last.startswith(name) and ": " in last else last
    blob = None
    if isinstance(kind, type) and issubclass(kind, BaseException):
        try:
            blob = pickle.dumps(kind(message))
        except Exception:      # an exception class that needs other arguments
            blob = None
    return P.ERROR, (name, message, tb, blob)
