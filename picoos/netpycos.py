"""pycos compatibility: `import picoos.netpycos as pycos`.

pycos programs that use the network import `pycos.netpycos`, which gives
every name of `pycos` with `Pycos` replaced by the networked scheduler,
plus `PeerStatus` and `RPS`. This module does the same for picoos, so such
programs port by changing that one import.

As in pycos, importing this module makes the network part of the default
kernel: the first task (or `Pycos()`) creates the networked `Pycos`, with
its defaults (discovery on, and without a secret it listens on loopback
only).  Create `Pycos(secret=..., ...)` yourself first to choose settings.
"""
import picoos as _picoos

for _name in _picoos.__all__:
    globals()[_name] = getattr(_picoos, _name)

from picoos.net import RPS, MsgTimeout, NetKernel, PeerStatus, Pycos  # noqa: E402,F401

__all__ = sorted(set(_picoos.__all__) | {"Pycos", "PeerStatus", "RPS", "MsgTimeout",
                                         "NetKernel"})
del _name


def _networked_default():
    return Pycos()


# the default kernel made on first use is the networked one (pycos does the
# same when pycos.netpycos is imported)
from picoos.kernel import context as _context  # noqa: E402
_context.make_default = _networked_default
