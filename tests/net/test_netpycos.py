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
