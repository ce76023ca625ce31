"""`import picoos.netpycos` gives pycos.netpycos's names."""
import subprocess
import sys


def test_names_match_pycos_netpycos():
    import picoos.netpycos as np
    from picoos.kernel.location import Location
    from picoos.net import node
    assert np.Pycos is node.Pycos and np.Location is Location
    for name in ("Task", "Channel", "MonitorStatus", "PeerStatus", "RPS", "Lock", "Event",
                 "AsyncSocket", "Location", "CategorizeMessages", "HotSwapException"):
        assert name in np.__all__ and getattr(np, name) is not None
    assert np.PeerStatus.Online == 1 and np.PeerStatus.Offline == 0


def test_port_of_a_pycos_program():
    """A pycos-style program (scheduler first, then tasks, value() from the
    main thread) runs unchanged on the import swap."""
    prog = r'''
import picoos.netpycos as pycos

scheduler = pycos.Pycos(host="127.0.0.1", discover_peers=False)

def server(task=None):
    task.register("server")
    msg = yield task.receive()
    return msg * 2

def client(task=None):
    s = yield pycos.Task.locate("server", scheduler.location, timeout=5)
    s.send(21)
    return "sent"

srv = pycos.Task(server)
print(pycos.Task(client).value(), srv.value(), flush=True)
'''
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["sent", "42"], out.stderr


def test_import_names_the_networked_classes_on_picoos():
    """As pycos.netpycos patches pycos: after `import picoos as pycos;
    import picoos.netpycos`, `pycos.Pycos(secret=...)` and `pycos.RPS` are
    the networked ones (pycos programs are written that way)."""
    prog = r'''
import picoos as pycos
import picoos.kernel.scheduler as sched
assert pycos.Pycos is sched.Pycos
import picoos.netpycos
import picoos.net as net
assert pycos.Pycos is net.Pycos and pycos.RPS is net.RPS and pycos.PeerStatus is net.PeerStatus
s = pycos.Pycos(host="127.0.0.1", discover_peers=False, tcp_port=0)
assert pycos.Pycos.instance() is s and s.location is not None
def f(task=None):
    yield task.sleep(0)
    return pycos.RPS(g).register()
def g(task=None):
    yield task.sleep(0)
print("registered", pycos.Task(f).value(), flush=True)
'''
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["registered", "0"], out.stderr


def test_default_tcp_port_is_9705_when_free(tmp_path):
    """tcp_port=None (pycos's default): 9705 if free, else any free port."""
    import socket

    from picoos.net import DEFAULT_TCP_PORT, NetKernel
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", DEFAULT_TCP_PORT))
        free = True
    except OSError:
        free = False
    finally:
        probe.close()
    a = NetKernel(host="127.0.0.1", discover_peers=False, dest_path=str(tmp_path))
    b = NetKernel(host="127.0.0.1", discover_peers=False, dest_path=str(tmp_path))
    try:
        if free:
            assert a.location.port == DEFAULT_TCP_PORT
        assert b.location.port not in (0, a.location.port)
    finally:
        a._shutdown()
        b._shutdown()


def test_default_tcp_port_lost_between_bind_and_listen(tmp_path, monkeypatch):
    """Two kernels starting at once may both bind the default port (it is
    bound with SO_REUSEADDR); the one whose listen() comes second takes any
    free port instead of failing with 'Address already in use'."""
    import socket

    from picoos.net import node

    other = socket.socket()
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    other.bind(("127.0.0.1", 0))            # bound, not listening yet
    port = other.getsockname()[1]
    real_socket = socket.socket

    class OtherListensFirst(real_socket):
        def listen(self, *args):
            if self.getsockname()[1] == port and other.fileno() >= 0:
                other.listen(1)             # the other kernel wins the race
            return super().listen(*args)

    monkeypatch.setattr(node, "DEFAULT_TCP_PORT", port)
    monkeypatch.setattr(socket, "socket", OtherListensFirst)
    try:
        k = node.NetKernel(host="127.0.0.1", discover_peers=False, dest_path=str(tmp_path))
    finally:
        monkeypatch.setattr(socket, "socket", real_socket)
    try:
        assert k.location.port not in (0, port)
    finally:
        k._shutdown()
        other.close()


def test_bad_tcp_port_is_refused():
    import pytest

    from picoos.net import NetKernel
    for bad in (-1, 70000, "9705", True):
        with pytest.raises(ValueError, match="tcp_port"):
            NetKernel(host="127.0.0.1", discover_peers=False, tcp_port=bad)


def test_dest_path_can_be_narrowed_but_not_left(tmp_path):
    """pycos's rps_node_server sets `scheduler.dest_path` to a folder under
    it; a path elsewhere is taken as relative to dest_path, and '..' that
    would leave it is refused."""
    import os

    import pytest

    from picoos.net import NetKernel
    k = NetKernel(host="127.0.0.1", discover_peers=False, tcp_port=0,
                  dest_path=str(tmp_path / "dest"))
    try:
        base = k.dest_path
        k.dest_path = os.path.join(base, "scripts")
        assert k.dest_path == os.path.join(base, "scripts") and os.path.isdir(k.dest_path)
        k.dest_path = "sub"         # relative: under the current one
        assert k.dest_path == os.path.join(base, "scripts", "sub")
        k.dest_path = "/elsewhere/x"    # outside: put under it, as pycos does
        assert k.dest_path == os.path.join(base, "scripts", "sub", "elsewhere", "x")
        with pytest.raises(ValueError, match="would leave"):
            k.dest_path = "../../../../.."
        with pytest.raises(ValueError, match="non-empty str"):
            k.dest_path = ""
        assert k.dest_path == os.path.join(base, "scripts", "sub", "elsewhere", "x")
    finally:
        k._shutdown()



def test_dispycos_ext_ip_addr_and_an_unresolvable_ext_host(tmp_path):
    """pycos's cloud example passes dispycos's ext_ip_addr (its node
    program's name for ext_host) with a placeholder host: the kernel starts
    at its own address with a warning; ext_ip_addr with an address is
    ext_host; both at once, or a name pycos does not know, is a TypeError."""
    import json
    prog = '''
import json, logging, sys
logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout)
import picoos.netpycos as pycos
try:
    k = pycos.Pycos(tcp_port=0, udp_port=0, discover_peers=False, **json.loads(sys.argv[1]))
    print("location", k.location.addr, flush=True)
except TypeError as exc:
    print("TypeError", exc, flush=True)
'''

    def run(**kw):
        out = subprocess.run([sys.executable, "-c", prog,
                              json.dumps(dict(kw, dest_path=str(tmp_path)))],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()

    lines = run(ext_ip_addr="router.ext.invalid")
    assert "ext_host 'router.ext.invalid' ignored: Location: cannot resolve host" in lines[0]
    assert lines[1:] == ["location 127.0.0.1"]
    assert run(ext_ip_addr="127.0.0.2") == ["location 127.0.0.2"]
    lines = run(ext_ip_addr="127.0.0.2", ext_host="127.0.0.3")
    assert len(lines) == 1 and "both ext_host and ext_ip_addr" in lines[0], lines
    lines = run(node="127.0.0.1")
    assert len(lines) == 1 and lines[0].startswith("TypeError") and "'node'" in lines[0], lines


def test_positional_arguments_in_pycos_order():
    """pycos's Pycos(udp_port, tcp_port, host, ext_host, socket_family,
    ipv4_udp_multicast, name, ...) may be called positionally."""
    prog = r'''
import socket
import picoos.netpycos as pycos
probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
s = pycos.Pycos(0, port, "127.0.0.1", None, None, False, "positional", False)
print(s.name, s.location.port == port, s.location.addr, flush=True)
'''
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["positional", "True", "127.0.0.1"], out.stdout + out.stderr
    prog = r'''
import picoos.netpycos as pycos
try:
    pycos.Pycos(0, udp_port=0, host="127.0.0.1")
except TypeError as exc:
    print("TypeError:", exc, flush=True)
'''
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60)
    assert "TypeError: Pycos() got multiple values for argument 'udp_port'" in out.stdout, \
        out.stdout + out.stderr
