"""TLS contexts for picoos sockets, built with the modern `ssl.SSLContext` API.

Why this module exists: pycos wrapped sockets with `ssl.wrap_socket`, which
Python 3.12 removed, and its client side trusted whatever certificate file
it was given without saying so. picoos builds every TLS connection from an
`ssl.SSLContext` made here, with one rule: a client always verifies the
server's certificate. What differs between the helpers is only *what it is
verified against*:

- `client_context()` - the system's CA store (or `cafile`) and the host name,
  as a browser would: for talking to services on the internet.
- `fleet_client_context(cafile)` - a fleet's own CA (often self-signed, made
  when the fleet was set up). The chain must lead to that CA, but the host
  name is not checked, because boards are reached by addresses that change
  (DHCP, mDNS names) and the certificate cannot list them. This is the
  explicit opt-in for self-signed fleet certificates.
- `server_context(certfile, keyfile)` - the server side; with `cafile` it
  also requires and verifies client certificates (mutual TLS).

All contexts refuse anything older than TLS 1.2.
"""
from __future__ import annotations

import os
import ssl
from typing import Optional, Union

from picoos.drivers.errors import DriverError

__all__ = ["TLSConfigError", "client_context", "fleet_client_context", "server_context",
           "context_for_version"]

PathLike = Union[str, "os.PathLike[str]"]


class TLSConfigError(DriverError, ValueError):
    """A TLS option was missing, unreadable or inconsistent (a certificate
    file that does not exist, a key that does not match, a protocol version
    picoos does not allow)."""


def _check_file(what: str, path: Optional[PathLike]) -> Optional[str]:
    if path is None:
        return None
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise TLSConfigError("%s %r does not exist or is not a file; expected a PEM file"
                             % (what, path))
    return path


def _harden(ctx: ssl.SSLContext, minimum_version: Optional[ssl.TLSVersion]) -> ssl.SSLContext:
    floor = minimum_version or ssl.TLSVersion.TLSv1_2
    if floor < ssl.TLSVersion.TLSv1_2:
        raise TLSConfigError("minimum_version %r is too old; expected TLSv1_2 or newer" % (floor,))
    ctx.minimum_version = floor
    return ctx


def _load_chain(ctx: ssl.SSLContext, certfile: Optional[str], keyfile: Optional[str]) -> None:
    try:
        ctx.load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise TLSConfigError("cannot load certificate %r with key %r: %s; expected a PEM "
                             "certificate and its matching private key"
                             % (certfile, keyfile or certfile, exc)) from exc


def _load_ca(ctx: ssl.SSLContext, cafile: str) -> None:
    try:
        ctx.load_verify_locations(cafile=cafile)
    except (ssl.SSLError, OSError) as exc:
        raise TLSConfigError("cannot load CA certificates from %r: %s; expected PEM "
                             "certificates" % (cafile, exc)) from exc


def server_context(certfile: PathLike, keyfile: Optional[PathLike] = None, *,
                   cafile: Optional[PathLike] = None,
                   minimum_version: Optional[ssl.TLSVersion] = None) -> ssl.SSLContext:
    """A context for the accepting side.

    `certfile` holds the server certificate (and may hold the key too);
    `keyfile` the private key. With `cafile`, clients must present a
    certificate signed by that CA. Raises `TLSConfigError` for missing or
    unusable files.
    """
    if certfile is None:
        raise TLSConfigError("a TLS server needs certfile (its certificate); got None")
    certfile = _check_file("certfile", certfile)
    keyfile = _check_file("keyfile", keyfile)
    cafile = _check_file("cafile", cafile)
    ctx = _harden(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), minimum_version)
    _load_chain(ctx, certfile, keyfile)
    if cafile:
        _load_ca(ctx, cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def client_context(cafile: Optional[PathLike] = None, *, certfile: Optional[PathLike] = None,
                   keyfile: Optional[PathLike] = None, check_hostname: bool = True,
                   minimum_version: Optional[ssl.TLSVersion] = None) -> ssl.SSLContext:
    """A context for the connecting side that verifies the server.

    Without `cafile` the system's default CA store is trusted. The server's
    certificate must always chain to a trusted CA; `check_hostname=False`
    additionally skips the name check (prefer `fleet_client_context`, which
    says why). `certfile`/`keyfile` present a client certificate.
    """
    cafile = _check_file("cafile", cafile)
    certfile = _check_file("certfile", certfile)
    keyfile = _check_file("keyfile", keyfile)
    ctx = _harden(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), minimum_version)
    # PROTOCOL_TLS_CLIENT starts with CERT_REQUIRED and check_hostname on;
    # only the name check may be relaxed, never the verification.
    ctx.check_hostname = bool(check_hostname)
    if cafile:
        _load_ca(ctx, cafile)
    else:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
    if certfile:
        _load_chain(ctx, certfile, keyfile)
    return ctx


def fleet_client_context(cafile: PathLike, *, certfile: Optional[PathLike] = None,
                         keyfile: Optional[PathLike] = None,
                         minimum_version: Optional[ssl.TLSVersion] = None) -> ssl.SSLContext:
    """A client context pinned to a fleet's own (possibly self-signed) CA.

    Only certificates that chain to `cafile` are accepted - the system CA
    store is not loaded - and the host name is not checked. A self-signed
    server certificate can be its own `cafile`.
    """
    if cafile is None:
        raise TLSConfigError("fleet_client_context needs cafile (the fleet's CA or the "
                             "server's self-signed certificate); got None")
    return client_context(cafile, certfile=certfile, keyfile=keyfile, check_hostname=False,
                          minimum_version=minimum_version)


def context_for_version(ssl_version) -> Optional[ssl.TLSVersion]:
    """Translate pycos's `ssl_version` argument into a minimum TLS version.

    pycos passed an `ssl.PROTOCOL_*` constant to `ssl.wrap_socket`. picoos
    negotiates the best version both sides support, so the generic
    `PROTOCOL_TLS*` constants mean "no extra floor" (None); an
    `ssl.TLSVersion` is taken as the minimum. Anything else (the removed
    per-version protocols) raises `TLSConfigError`.
    """
    if ssl_version is None:
        return None
    if isinstance(ssl_version, ssl.TLSVersion):
        return ssl_version
    generic = {ssl.PROTOCOL_TLS, ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_SERVER}
    if ssl_version in generic:
        return None
    raise TLSConfigError("ssl_version %r is not supported; expected None, ssl.PROTOCOL_TLS or "
                         "an ssl.TLSVersion used as the minimum" % (ssl_version,))
