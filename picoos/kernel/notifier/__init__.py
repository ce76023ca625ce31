"""Notifier backends: how the kernel waits for file descriptors.

One module per system interface (`epoll`, `kqueue`, `poll`, `select`), each
with a class `Notifier` behind the interface described in `base.py`.
`choose()` picks the backend: the `name` argument, else the environment
variable `PICOOS_NOTIFIER`, else the best this system has.
"""
from .base import READ, WRITE, available, choose

__all__ = ["READ", "WRITE", "available", "choose"]
