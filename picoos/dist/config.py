"""The node daemon's settings: one record, read from a config file and flags.

A board is set up once (``/etc/picoos/node.conf`` written by the deploy
tools) and then started by systemd, so the file is the normal way to
configure a node and flags are for trying things out. The file is INI
(``configparser``, available on every supported Python) with one
``[node]`` section whose keys are the long option names with underscores::

    [node]
    name = pi-kitchen
    host = 0.0.0.0
    tcp_port = 9706
    secret_file = /etc/picoos/secret
    cpus = -1
    dest_path = /var/lib/picoos

Flags given on the command line override the file. Every value is checked
here, once, so the daemon itself never sees a half-valid setting; a bad
entry raises :class:`~picoos.dist.errors.ConfigError` naming the file, the
key and what was expected.

This module is imported by ``picoos-node --help``: keep it to the standard
library's light modules.
"""
from __future__ import annotations

import os

from picoos.dist.errors import ConfigError

# Discussion: the node daemon imports this module, and its idle memory budget
# is 15 MiB; typing, dataclasses, re and configparser together cost ~3 MiB.
# So the record is a plain class, annotations stay strings (never evaluated),
# and the parsers are imported inside the functions that need them.

DEFAULT_TCP_PORT = 9706
DEFAULT_UDP_PORT = 9705
DEFAULT_PULSE = 10.0
SECTION = "node"

_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}

# name -> (type, default, meaning); the order is the order of a saved file
FIELDS = {
    "host": (str, "", '"" means: loopback without a secret, all interfaces with one'),
    "ext_host": (str, "", "address clients should use (NAT); empty = host"),
    "tcp_port": (int, DEFAULT_TCP_PORT, "clients connect here; 0 picks a free port"),
    "udp_port": (int, DEFAULT_UDP_PORT, "discovery datagrams; 0 disables discovery"),
    "name": (str, "", "empty = the host name"),
    "secret": (str, "", "shared secret"),
    "secret_file": (str, "", "file with the shared secret on its first line"),
    "certfile": (str, "", "TLS certificate"),
    "keyfile": (str, "", "TLS key"),
    "cafile": (str, "", "CA bundle for client certificates"),
    "dest_path": (str, "", "empty = <tmpdir>/picoos-node-<tcp_port>"),
    "max_file_size": (int, 0, "bytes; 0 = no limit beyond the frame limit"),
    "cpus": (int, 0, "0 = all, n > 0 = n servers, n < 0 = leave -n CPUs free"),
    "pulse_interval": (float, DEFAULT_PULSE, "heartbeat period in seconds"),
    "zombie_period": (float, 0.0, "seconds a client may stay idle; 0 = forever"),
    "service_start": (str, "", "HH:MM"),
    "service_stop": (str, "", "HH:MM: no new jobs after this"),
    "service_end": (str, "", "HH:MM: running jobs are terminated"),
    "serve": (int, -1, "exit after this many clients; -1 = never"),
    "prestart": (bool, True, "start servers before a client comes (faster attach)"),
    "daemon": (bool, False, "do not read commands from the terminal"),
    "clean": (bool, False, "at start, remove what earlier node runs left in dest_path"),
    "verbose": (int, 0, "-1 quiet, 0 info, 2 debug"),
}


class NodeConfig:
    """Everything a node daemon needs to know; defaults are a loopback test node.

    Attributes are the keys of :data:`FIELDS`. Raises TypeError for an
    unknown keyword.
    """

    __slots__ = tuple(FIELDS)

    def __init__(self, **values: object):
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown node settings {sorted(unknown)}; "
                            f"expected some of {list(FIELDS)}")
        for name, (_, default, _) in FIELDS.items():
            setattr(self, name, values.get(name, default))

    def as_dict(self) -> "dict[str, object]":
        return {name: getattr(self, name) for name in FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NodeConfig) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        shown = {k: ("***" if k == "secret" and v else v) for k, v in self.as_dict().items()}
        return f"NodeConfig({shown})"

    def read_secret(self) -> str:
        """The shared secret: ``secret`` or the first line of ``secret_file``.

        Raises ConfigError when the file cannot be read or is empty.
        """
        if self.secret_file:
            try:
                with open(self.secret_file, encoding="utf-8") as f:
                    value = f.readline().strip()
            except OSError as exc:
                raise ConfigError(f"secret_file {self.secret_file!r} cannot be read: "
                                  f"{exc.strerror}; expected a readable file with the "
                                  f"secret on its first line") from None
            if not value:
                raise ConfigError(f"secret_file {self.secret_file!r} is empty; "
                                  f"expected the secret on its first line")
            return value
        return self.secret

    def listen_host(self) -> str:
        """The address to bind: the explicit host, else loopback unless a secret is set."""
        if self.host:
            return self.host
        return "0.0.0.0" if (self.secret or self.secret_file) else "127.0.0.1"

    def server_count(self, available: "int | None" = None) -> int:
        """How many server processes to run for ``cpus`` on this machine."""
        n = available or os.cpu_count() or 1
        if self.cpus == 0:
            return n
        if self.cpus > 0:
            if self.cpus > n:
                raise ConfigError(f"cpus = {self.cpus} but this machine has {n} CPUs; "
                                  f"expected 1..{n}, 0 for all, or -k to leave k free")
            return self.cpus
        if -self.cpus >= n:
            raise ConfigError(f"cpus = {self.cpus} would leave no CPU on this machine "
                              f"with {n} CPUs; expected -1..-{n - 1}")
        return n + self.cpus


def is_loopback(host: str) -> bool:
    """True when ``host`` names only the loopback interface."""
    return host in ("localhost", "::1") or host.startswith("127.")


def parse_size(text: str, key: str = "max_file_size") -> int:
    """``'10M'`` -> 10485760; plain numbers are bytes."""
    import re
    m = re.fullmatch(r"\s*(\d+)\s*([kKmMgGtT]?)[iI]?[bB]?\s*", str(text))
    if not m:
        raise ConfigError(f"{key} = {text!r} is not a size; expected bytes or a number "
                          f"with a unit, e.g. 500K, 10M, 2G")
    return int(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]


def parse_hhmm(text: str, key: str) -> "int | None":
    """``'18:30'`` -> minutes after midnight; ``''`` -> None."""
    if not text:
        return None
    hh, sep, mm = text.strip().partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(hh) <= 2 and len(mm) == 2
            and int(hh) <= 23 and int(mm) <= 59):
        raise ConfigError(f"{key} = {text!r} is not a time of day; expected HH:MM, "
                          f"e.g. 08:30 or 22:00")
    return int(hh) * 60 + int(mm)


def _convert(key: str, raw: str, kind: type, where: str) -> object:
    raw = raw.strip()
    try:
        if kind is bool:
            low = raw.lower()
            if low in ("1", "yes", "true", "on"):
                return True
            if low in ("0", "no", "false", "off", ""):
                return False
            raise ValueError
        if key == "max_file_size":
            return parse_size(raw, key)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        return raw
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except ValueError:
        expected = {bool: "yes/no", int: "a whole number", float: "a number"}.get(kind, "text")
        raise ConfigError(f"{where}: {key} = {raw!r} is not valid; expected {expected}") from None


def read_config_file(path: str) -> "dict[str, object]":
    """The settings in an INI file's ``[node]`` section, converted and checked.

    Raises ConfigError for a missing/unreadable file, a syntax error (with its
    line number), a missing section, an unknown key or a bad value.
    """
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f, source=path)
    except OSError as exc:
        raise ConfigError(f"config file {path!r} cannot be read: {exc.strerror}") from None
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}: {exc.line.strip()!r} comes before any "
                          f"section; expected a [{SECTION}] header first") from None
    except configparser.ParsingError as exc:
        line, text = exc.errors[0]
        raise ConfigError(f"{path}, line {line}: cannot parse {text.strip()!r}; "
                          f"expected 'key = value'") from None
    except configparser.DuplicateOptionError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}: key {exc.option!r} is given twice") from None
    except configparser.DuplicateSectionError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}: section [{exc.section}] is given twice") from None
    except configparser.Error as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not parser.has_section(SECTION):
        found = ", ".join(f"[{s}]" for s in parser.sections()) or "no sections"
        raise ConfigError(f"{path}: no [{SECTION}] section (found {found}); "
                          f"expected the node's settings under [{SECTION}]")
    others = [s for s in parser.sections() if s != SECTION]
    if others:
        raise ConfigError(f"{path}: unknown section [{others[0]}]; expected only [{SECTION}]")
    kinds = {name: spec[0] for name, spec in FIELDS.items()}
    out: "dict[str, object]" = {}
    for key, raw in parser.items(SECTION):
        norm = key.replace("-", "_")
        if norm not in kinds:
            known = ", ".join(sorted(kinds))
            raise ConfigError(f"{path}, [{SECTION}]: unknown key {key!r}; known keys: {known}")
        out[norm] = _convert(norm, raw, kinds[norm], f"{path}, [{SECTION}]")
    return out


def validate(cfg: NodeConfig) -> NodeConfig:
    """Check ranges and combinations; return ``cfg`` unchanged when valid."""
    for key in ("tcp_port", "udp_port"):
        value = getattr(cfg, key)
        if not 0 <= value <= 65535:
            raise ConfigError(f"{key} = {value} is out of range; expected 0..65535")
    if cfg.pulse_interval <= 0 or cfg.pulse_interval > 3600:
        raise ConfigError(f"pulse_interval = {cfg.pulse_interval} is out of range; "
                          f"expected seconds in (0, 3600]")
    if cfg.zombie_period < 0:
        raise ConfigError(f"zombie_period = {cfg.zombie_period} is negative; "
                          f"expected seconds >= 0 (0 = no limit)")
    if cfg.max_file_size < 0:
        raise ConfigError(f"max_file_size = {cfg.max_file_size} is negative")
    if cfg.serve == 0 or cfg.serve < -1:
        raise ConfigError(f"serve = {cfg.serve} is not valid; expected a number of "
                          f"clients >= 1, or -1 to serve forever")
    for key in ("service_start", "service_stop", "service_end"):
        parse_hhmm(getattr(cfg, key), key)
    if cfg.secret and cfg.secret_file:
        raise ConfigError("both secret and secret_file are given; expected one of them")
    if bool(cfg.certfile) != bool(cfg.keyfile):
        raise ConfigError("certfile and keyfile must be given together for TLS "
                          f"(got certfile={cfg.certfile!r}, keyfile={cfg.keyfile!r})")
    for key in ("certfile", "keyfile", "cafile"):
        path = getattr(cfg, key)
        if path and not os.path.isfile(path):
            raise ConfigError(f"{key} = {path!r} does not exist; expected a PEM file")
    cfg.server_count()
    return cfg


def merge(file_values: "dict[str, object]", flag_values: "dict[str, object]") -> NodeConfig:
    """Defaults, then the file, then the flags that were actually given."""
    values: "dict[str, object]" = {}
    values.update(file_values)
    values.update({k: v for k, v in flag_values.items() if v is not None})
    return validate(NodeConfig(**values))


def write_config_file(cfg: NodeConfig, path: str) -> None:
    """Write ``cfg`` as an INI file that :func:`read_config_file` reads back."""
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser[SECTION] = {}
    for name in FIELDS:
        value = getattr(cfg, name)
        if isinstance(value, bool):
            value = "yes" if value else "no"
        parser[SECTION][name] = str(value)
    with open(path, "w", encoding="utf-8") as f:
        parser.write(f)
