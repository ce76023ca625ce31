"""pycos compatibility: `import picoos.netpycos` (as pycos's `pycos.netpycos`).

pycos programs that use the network import `pycos.netpycos`, which gives
every name of `pycos` with `Pycos` replaced by the networked scheduler,
plus `PeerStatus` and `RPS`. This module does the same for picoos, so such
programs port by renaming their imports: `import pycos` becomes `import
picoos as pycos` and `import pycos.netpycos` becomes `import
picoos.netpycos` (or `import picoos.netpycos as pycos`).

As in pycos, importing this module makes the network part of picoos for
the whole program, on purpose and only here:

- the default kernel made on first use (the first task, or `Pycos()`) is
  the networked `Pycos`, with its defaults (discovery on; without a secret
  it listens on loopback only and finds the kernels of the same host);
- `picoos.Pycos`, `picoos.RPS` and `picoos.PeerStatus` name the networked
  versions, because pycos programs write `pycos.Pycos(secret=...)` and
  `pycos.RPS(...)` after `import pycos.netpycos`.

Create `Pycos(secret=..., ...)` yourself before any task to choose
settings. Code that must not see these changes imports `picoos.net`
instead, which changes nothing.
"""
import picoos as _picoos

for _name in _picoos.__all__:
    if _name != "logger":       # resolved on use: it may set up pycos-style output
        globals()[_name] = getattr(_picoos, _name)

from picoos.net import RPS, MsgTimeout, NetKernel, PeerStatus, Pycos  # noqa: E402,F401

__all__ = sorted(set(_picoos.__all__) | {"Pycos", "PeerStatus", "RPS", "MsgTimeout",
                                         "NetKernel"})
del _name


def __getattr__(name):
    if name == "logger":
        return _picoos.logger
    raise AttributeError("module 'picoos.netpycos' has no attribute %r" % name)


def _networked_default():
    return Pycos()


# the default kernel made on first use is the networked one, and the
# package's names are the networked ones (pycos does both on this import)
from picoos.kernel import context as _context  # noqa: E402
_context.make_default = _networked_default
_picoos.Pycos = Pycos
_picoos.RPS = RPS
_picoos.PeerStatus = PeerStatus
