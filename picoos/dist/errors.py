"""Errors of the dist layer (node daemon, servers, client, web monitor).

Every class subclasses picoos's ``PicoosError`` and the standard exception a
caller would already catch, so ``except ValueError`` around a bad config or
``except ConnectionError`` around a refused node keeps working without
knowing picoos.
"""
from __future__ import annotations

try:
    from picoos.kernel.errors import PicoosError
except ImportError:  # pragma: no cover - only while the kernel is not installed
    # Discussion: the dist layer must stay importable (``picoos-node --help``)
    # even in a partial checkout; this stand-in keeps the hierarchy intact.
    class PicoosError(Exception):  # type: ignore[no-redef]
        """Base of every picoos error (stand-in until picoos.kernel exists)."""


class DistError(PicoosError):
    """Base of the dist layer's errors."""


class ConfigError(DistError, ValueError):
    """A node option or config file entry is malformed or out of range."""


class AuthError(DistError, ConnectionError):
    """A peer failed the shared-secret handshake or sent a forged frame."""


class ProtocolError(DistError, ConnectionError):
    """A peer sent a frame that is malformed, too large or out of order."""


class NodeUnavailable(DistError, ConnectionError):
    """A node refused the client (busy with another client, out of service)."""


class ComponentError(DistError, TypeError):
    """A computation component cannot be shipped to a server."""


class JobAbandoned(DistError, ConnectionError):
    """The server running a job was lost before the job finished."""


class JobTerminated(DistError, RuntimeError):
    """A job was terminated on request before it finished."""


class SetupError(DistError, RuntimeError):
    """A node_setup or server_setup function failed on a server."""


class ClientClosed(DistError, RuntimeError):
    """The client was closed; it takes no more jobs."""


class JobTimeout(DistError, TimeoutError):
    """Waiting for a job's result took longer than the given timeout."""
