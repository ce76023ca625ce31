"""pycos compatibility: ``import picoos.httpd`` and ``picoos.httpd.HTTPServer(client)``.

dispycos programs start pycos's web monitor for a client with
``pycos.httpd.HTTPServer(client)`` and stop it with ``httpd.shutdown()``.
This module gives them picoos's fleet monitor (:mod:`picoos.dist.httpd`,
read-only) under that name, so such programs port by renaming imports.
"""
from __future__ import annotations

import errno
import logging
from typing import Any, Optional

__all__ = ["HTTPServer"]

log = logging.getLogger("picoos.dist")


class HTTPServer:
    """The web monitor of ``client`` (pycos's signature).

    ``host=''`` (pycos's default) serves on loopback: the monitor shows the
    fleet and its jobs, so listening beyond this machine must be asked for
    with ``host='0.0.0.0'``. When ``port`` is taken, a free port is used and
    logged (``.url`` says which). ``certfile``/``keyfile`` serve HTTPS.
    ``poll_sec``, ``DocumentRoot`` and ``show_task_args`` are accepted for
    compatibility (the page polls the JSON API itself). Raises ValueError
    for a bad port, OSError when no port can be bound.
    """

    def __init__(self, client: Any, host: str = "", port: int = 8181, poll_sec: float = 10,
                 DocumentRoot: Optional[str] = None, keyfile: Optional[str] = None,
                 certfile: Optional[str] = None, show_task_args: bool = True) -> None:
        from picoos.dist.httpd import Monitor
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 65536:
            raise ValueError("port must be an int in 0..65535, got %r" % (port,))
        host = host or "127.0.0.1"
        try:
            monitor = Monitor(client, host=host, port=port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or port == 0:
                raise
            monitor = Monitor(client, host=host, port=0)
            log.warning("port %d is taken: the monitor of client %s uses port %d",
                        port, getattr(client, "name", client), monitor.port)
        if certfile:
            from picoos.drivers import tls
            ctx = tls.server_context(certfile, keyfile)
            monitor.server.socket = ctx.wrap_socket(monitor.server.socket, server_side=True)
        elif keyfile:
            raise ValueError("keyfile given without certfile: HTTPS needs the certificate")
        self.client = client
        self.monitor = monitor.start()
        if certfile:
            self.url = monitor.url.replace("http://", "https://", 1)
        else:
            self.url = monitor.url
        log.info("dispycos monitor for %s at %s", getattr(client, "name", client), self.url)

    def shutdown(self, wait: bool = True) -> None:
        """Stop serving (``wait`` is accepted for pycos compatibility)."""
        self.monitor.shutdown()
