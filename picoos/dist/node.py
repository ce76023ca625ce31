"""``picoos-node``: the command that runs a node daemon on a board.

This module is only the command line: it reads ``--config`` and the flags,
checks them (:mod:`picoos.dist.config`), sets up logging and hands over to
:mod:`picoos.dist.daemon`, which is imported only after parsing so that
``picoos-node --help`` works on a bare Python (no psutil, no netifaces) and
returns at once even on a Pi Zero.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List, Optional  # the CLI process only; the daemon is exec'd

from picoos.dist import config as _config
from picoos.dist.errors import ConfigError

DESCRIPTION = """\
Run a picoos node: a daemon that serves one client at a time and runs one
server process per CPU for it. Servers execute the computations the client
sends; this process never runs client code. Settings come from --config
(an INI file with a [node] section whose keys are the long option names
with underscores, e.g. tcp_port = 9706) and are overridden by flags.
"""

EPILOG = """\
Without a secret the node listens on 127.0.0.1 only and refuses any other
address: code is only accepted from peers that prove they know the secret,
or from this machine. Example:

  picoos-node --config /etc/picoos/node.conf
  picoos-node -i 0.0.0.0 --secret-file /etc/picoos/secret -c -1
"""


def _opt(parser: argparse.ArgumentParser, *names: str, **kw: Any) -> None:
    # Accept pycos's underscore spelling (--tcp_port) next to --tcp-port, so
    # dispycosnode command lines keep working; only the dashed one is shown.
    longs = [n for n in names if n.startswith("--")]
    aliases = [n.replace("-", "_").replace("__", "--", 1) for n in longs if "-" in n[2:]]
    kw.setdefault("default", None)
    parser.add_argument(*names, **kw)
    if aliases:
        alias_kw = dict(kw, help=argparse.SUPPRESS)
        alias_kw["dest"] = kw.get("dest") or longs[0][2:].replace("-", "_")
        parser.add_argument(*aliases, **alias_kw)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``picoos-node`` (every default is None: unset)."""
    p = argparse.ArgumentParser(prog="picoos-node", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="FILE",
                   help="read settings from this INI file ([node] section), e.g. "
                        "/etc/picoos/node.conf; flags override it")
    p.add_argument("--save-config", "--save_config", metavar="FILE", dest="save_config",
                   help="write the effective settings (file + flags) to FILE and exit")
    net = p.add_argument_group("network")
    _opt(net, "-i", "--host", metavar="ADDR",
         help="address to listen on (default: 127.0.0.1 without a secret, "
              "0.0.0.0 with one)")
    _opt(net, "--ext-host", metavar="ADDR",
         help="address clients should use to reach this node, when it is behind "
              "NAT (default: the listening address)")
    _opt(net, "--tcp-port", type=int, metavar="PORT",
         help=f"TCP port clients connect to; 0 picks a free one "
              f"(default: {_config.DEFAULT_TCP_PORT})")
    net.add_argument("--node-ports", "--node_ports", dest="node_ports", action="append",
                     metavar="PORT", help=argparse.SUPPRESS)   # dispycosnode's spelling
    _opt(net, "--udp-port", type=int, metavar="PORT",
         help=f"UDP port where the node answers clients' signed discovery broadcasts; "
              f"0 disables discovery "
              f"(default: {_config.DEFAULT_UDP_PORT})")
    _opt(net, "-n", "--name", help="name shown to clients and in the web monitor "
                                   "(default: the host name)")
    sec = p.add_argument_group("security")
    _opt(sec, "-s", "--secret",
         help="shared secret clients must prove they know (HMAC challenge); prefer "
              "--secret-file, since a flag is visible in the process list")
    _opt(sec, "--secret-file", metavar="FILE",
         help="read the shared secret from the first line of FILE")
    _opt(sec, "--certfile", metavar="PEM", help="TLS certificate; enables TLS on every link")
    _opt(sec, "--keyfile", metavar="PEM", help="TLS private key (with --certfile)")
    _opt(sec, "--cafile", metavar="PEM",
         help="CA bundle; when given, clients must present a certificate it signed")
    work = p.add_argument_group("work")
    _opt(work, "-c", "--cpus", type=int, metavar="N",
         help="server processes to run: 0 = one per CPU (default), N > 0 = N, "
              "N < 0 = one per CPU leaving -N CPUs free (e.g. -c -1)")
    _opt(work, "--dest-path", metavar="DIR",
         help="directory for files clients send; each client gets its own "
              "subdirectory, removed when the client leaves "
              "(default: <tmp>/picoos-node-<tcp_port>)")
    _opt(work, "--max-file-size", metavar="SIZE", type=_size_arg,
         help="largest file a client may send, e.g. 10M (default: no limit)")
    _opt(work, "--serve", type=int, metavar="N",
         help="exit after serving N clients (default: -1, serve forever)")
    _opt(work, "--no-prestart", dest="prestart", action="store_const", const=False,
         help="start server processes only when a client attaches (saves their memory "
              "on an idle board; a client then waits for them to start)")
    timing = p.add_argument_group("timing")
    _opt(timing, "--pulse-interval", "--heartbeat", dest="pulse_interval", type=float,
         metavar="SECONDS",
         help=f"heartbeat period; a side silent for 3 periods is declared lost "
              f"(default: {_config.DEFAULT_PULSE:g})")
    _opt(timing, "--zombie-period", type=float, metavar="SECONDS",
         help="close a client that has run no job for this long (default: 0, never)")
    _opt(timing, "--service-start", metavar="HH:MM",
         help="time of day when the node starts accepting clients")
    _opt(timing, "--service-stop", metavar="HH:MM",
         help="time of day after which no new jobs are accepted (running ones finish)")
    _opt(timing, "--service-end", metavar="HH:MM",
         help="time of day when running jobs are terminated and the client is closed")
    run = p.add_argument_group("process")
    run.add_argument("--daemon", action="store_true", default=None,
                   help="do not read commands from the terminal (for systemd); without it "
                        "the node reads 'status' and 'quit' from stdin")
    run.add_argument("--clean", action="store_const", const=True, default=None,
                     help="at start, remove the session folders that earlier runs of a "
                          "node left in --dest-path (a node that was killed cannot clean "
                          "up; its server processes end by themselves when it dies)")
    run.add_argument("-d", "--debug", action="store_const", const=2, dest="debug",
                     help="debug log output (same as -vv)")
    run.add_argument("-v", "--verbose", action="count", default=None,
                     help="more log output (-v info, -vv debug)")
    run.add_argument("-q", "--quiet", action="store_true",
                     help="log warnings and errors only")
    return p


def _size_arg(text: str) -> int:
    try:
        return _config.parse_size(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def load(argv: Optional[List[str]] = None) -> _config.NodeConfig:
    """Parse ``argv`` (and its --config file) into a checked NodeConfig.

    Raises ConfigError for a bad file or value; argparse exits for bad flags.
    """
    args = build_parser().parse_args(argv)
    flags: Dict[str, Any] = dict(vars(args))
    path = flags.pop("config")
    save = flags.pop("save_config")
    quiet = flags.pop("quiet")
    debug = flags.pop("debug")
    if debug:
        flags["verbose"] = debug
    if quiet:
        flags["verbose"] = -1
    ports = flags.pop("node_ports")
    if ports:
        # dispycosnode's --node_ports: the first is the node's port (its
        # servers' ports are picked free here, so the others are not needed)
        first = ports[0].split(",")[0].strip()
        try:
            flags["tcp_port"] = int(first)
        except ValueError:
            raise ConfigError(f"node_ports = {ports[0]!r} is not a port number; "
                              f"expected e.g. --node_ports 9706") from None
    file_values = _config.read_config_file(path) if path else {}
    cfg = _config.merge(file_values, flags)
    if save:
        _config.write_config_file(cfg, save)
    return cfg


def _exec_daemon(cfg: _config.NodeConfig) -> None:
    """Replace this process with a lean interpreter running only the daemon.

    Discussion: argparse, configparser and the site machinery stay resident
    once imported; an idle node must fit in 15 MiB, so the parsed settings
    are handed over through a pipe (not argv or the environment, where the
    secret would show) to ``python -S`` running :func:`daemon.main_fd`.
    The process id stays the same, so systemd and scripts see no change.
    """
    import json
    import os
    read_end, write_end = os.pipe()
    data = json.dumps(cfg.as_dict()).encode()
    if len(data) > 60000:   # the pipe must hold it all before the exec
        raise ConfigError("settings too large to hand to the daemon process")
    os.write(write_end, data)
    os.close(write_end)
    os.set_inheritable(read_end, True)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = (f"import sys; sys.path.insert(0, {package_root!r}); "
            f"from picoos.dist.daemon import main_fd; main_fd({read_end})")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-S", "-c", code])


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``picoos-node``; returns the process exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        cfg = load(argv)
    except ConfigError as exc:
        print(f"picoos-node: error: {exc}", file=sys.stderr)
        return 2
    if "--save-config" in argv or "--save_config" in argv or any(
            a.startswith(("--save-config=", "--save_config=")) for a in argv):
        return 0
    import os
    if os.name == "posix" and not os.environ.get("PICOOS_NODE_NO_EXEC"):
        _exec_daemon(cfg)            # does not return
    from picoos.dist import daemon  # in-process fallback (non-POSIX, debugging)
    daemon.setup_logging(cfg.verbose)
    try:
        return daemon.run_node(cfg)
    except ConfigError as exc:
        print(f"picoos-node: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
