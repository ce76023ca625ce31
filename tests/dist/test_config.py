"""picoos-node's command line and config file: values, precedence, errors."""
import os
import subprocess
import sys

import pytest

from picoos.dist import config, node
from picoos.dist.errors import ConfigError, PicoosError


def write(tmp_path, text, name="node.conf"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_defaults_are_a_loopback_node():
    cfg = node.load([])
    assert cfg.tcp_port == config.DEFAULT_TCP_PORT
    assert cfg.listen_host() == "127.0.0.1"
    assert cfg.serve == -1 and cfg.cpus == 0


def test_file_values_are_read_and_converted(tmp_path):
    path = write(tmp_path, """
[node]
name = pi-kitchen
tcp_port = 9800
cpus = -1
max_file_size = 10M
pulse_interval = 2.5
daemon = yes
service_start = 08:00
""")
    cfg = node.load(["--config", path])
    assert cfg.name == "pi-kitchen" and cfg.tcp_port == 9800 and cfg.cpus == -1
    assert cfg.max_file_size == 10 << 20 and cfg.pulse_interval == 2.5
    assert cfg.daemon is True


def test_flags_override_the_file(tmp_path):
    path = write(tmp_path, "[node]\ntcp_port = 9800\nname = a\n")
    cfg = node.load(["--config", path, "--tcp-port", "9900", "-c", "-1"])
    assert cfg.tcp_port == 9900 and cfg.name == "a" and cfg.cpus == -1
    # pycos spelling of the same flag
    assert node.load(["--config", path, "--tcp_port", "9901"]).tcp_port == 9901


def test_secret_makes_the_default_host_public(tmp_path):
    assert node.load(["--secret", "s"]).listen_host() == "0.0.0.0"
    secret = write(tmp_path, "hunter2\n", "secret")
    cfg = node.load(["--secret-file", secret])
    assert cfg.read_secret() == "hunter2" and cfg.listen_host() == "0.0.0.0"


@pytest.mark.parametrize("text, words", [
    ("[node]\ntcp_port = lots\n", ["tcp_port", "'lots'", "whole number"]),
    ("[node]\ncolour = red\n", ["unknown key", "'colour'"]),
    ("tcp_port = 1\n", ["line 1", "[node]"]),
    ("[node]\nthis line is wrong\n", ["line 2", "this line is wrong"]),
    ("[nod]\ntcp_port = 1\n", ["no [node] section", "[nod]"]),
    ("[node]\ntcp_port = 1\ntcp_port = 2\n", ["line 3", "tcp_port"]),
    ("[node]\nservice_start = 25:00\n", ["service_start", "HH:MM"]),
    ("[node]\nmax_file_size = big\n", ["max_file_size", "10M"]),
    ("[node]\ntcp_port = 70000\n", ["tcp_port", "0..65535"]),
    ("[node]\ndaemon = perhaps\n", ["daemon", "yes/no"]),
    ("[node]\ncpus = 4096\n", ["cpus", "CPUs"]),
])
def test_malformed_config_names_the_problem(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        node.load(["--config", path])
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert isinstance(info.value, ValueError) and isinstance(info.value, PicoosError)


def test_bad_combinations(tmp_path):
    with pytest.raises(ConfigError, match="certfile and keyfile"):
        node.load(["--certfile", write(tmp_path, "x", "c.pem")])
    with pytest.raises(ConfigError, match="one of them"):
        node.load(["--secret", "a", "--secret-file", write(tmp_path, "b", "s")])
    with pytest.raises(ConfigError, match="cannot be read"):
        node.load(["--config", str(tmp_path / "missing.conf")])
    with pytest.raises(ConfigError, match="is empty"):
        node.load(["--secret-file", write(tmp_path, "\n", "empty")]).read_secret()


def test_cpu_count_rules():
    cfg = config.NodeConfig(cpus=-1)
    assert cfg.server_count(4) == 3
    assert config.NodeConfig(cpus=2).server_count(4) == 2
    assert config.NodeConfig(cpus=0).server_count(4) == 4
    with pytest.raises(ConfigError, match="leave no CPU"):
        config.NodeConfig(cpus=-4).server_count(4)


def test_save_config_round_trips(tmp_path):
    out = str(tmp_path / "saved.conf")
    cfg = node.load(["--name", "x", "--cpus", "1", "--no-prestart", "--save-config", out])
    again = node.load(["--config", out])
    assert again == cfg


def test_main_reports_errors_without_traceback(tmp_path, capsys):
    assert node.main(["--tcp-port", "99999"]) == 2
    err = capsys.readouterr().err
    assert "tcp_port = 99999" in err and "Traceback" not in err


def test_help_needs_no_psutil_and_imports_little(tmp_path):
    # psutil and netifaces hidden by a sitecustomize that fails their import
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('psutil', 'netifaces'):\n"
        "            raise ImportError('blocked for the test: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.getcwd()]))
    code = ("import sys, runpy\n"
            "sys.argv = ['picoos-node', '--help']\n"
            "try:\n"
            "    runpy.run_module('picoos.dist.node', run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "heavy = {'psutil', 'netifaces', 'ssl', 'picoos.dist.daemon', 'picoos.dist.client'}\n"
            "print('LOADED', sorted(heavy & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert "--secret-file" in out.stdout and "--zombie-period" in out.stdout, out.stderr
    assert "LOADED []" in out.stdout


def test_dispycosnode_flags_debug_node_ports_and_clean():
    cfg = node.load(["-d", "--node_ports", "9800", "--clean"])
    assert (cfg.verbose, cfg.tcp_port, cfg.clean) == (2, 9800, True)
    assert node.load(["--node_ports", "9801,9802"]).tcp_port == 9801
    assert node.load([]).clean is False
    with pytest.raises(ConfigError, match="node_ports = 'abc' is not a port number"):
        node.load(["--node_ports", "abc"])


def test_clean_removes_only_folders_of_nodes_that_are_gone(tmp_path):
    from picoos.dist.paths import remove_stale_sessions
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"session-3-{gone.pid}"
    (dead / "server-1").mkdir(parents=True)
    (dead / "server-1" / "data.txt").write_text("x")
    alive = tmp_path / f"session-1-{os.getpid()}"
    alive.mkdir()
    other = tmp_path / "keep-me"
    other.mkdir()
    assert remove_stale_sessions(str(tmp_path)) == [dead.name]
    assert not dead.exists() and alive.exists() and other.exists()
