"""pycos compatibility: `import picoos.netpycos as pycos`.

pycos programs that use the network import `pycos.netpycos`, which gives
every name of `pycos` with `Pycos` replaced by the networked scheduler,
plus `PeerStatus` and `RPS`. This module does the same for picoos, so such
programs port by changing that one import. The networked `Pycos` must be
created before the first task (it becomes the default kernel).
"""
import picoos as _picoos

for _name in _picoos.__all__:
    globals()[_name] = getattr(_picoos, _name)

from picoos.net import RPS, MsgTimeout, NetKernel, PeerStatus, Pycos  # noqa: E402,F401

__all__ = sorted(set(_picoos.__all__) | {"Pycos", "PeerStatus", "RPS", "MsgTimeout",
                                         "NetKernel"})
del _name
