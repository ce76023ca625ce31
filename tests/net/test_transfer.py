"""send_file / del_file between real processes; paths never escape."""
import os

from net_helpers import run_net

BOUND = 10


def _send(c, *calls):
    def main(kernel, task):
        out = []
        for fn, args, kw in calls:
            out.append((yield getattr(kernel, fn)(c.location, *args, **kw)))
        return out
    return run_net(main)


def test_send_file_then_same_then_overwrite_then_delete(child, tmp_path):
    c = child()
    src = tmp_path / "data.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 17))      # several chunks
    r = _send(c, ("send_file", (str(src),), {"dir": "jobs/1"}),
              ("send_file", (str(src),), {"dir": "jobs/1"}))
    assert r == [0, 1]      # sent, then "already there"
    dst = os.path.join(c.dest, "jobs", "1", "data.bin")
    assert open(dst, "rb").read() == src.read_bytes()
    src.write_bytes(b"changed")
    os.utime(src, (1, 1))
    r = _send(c, ("send_file", (str(src),), {"dir": "jobs/1"}),
              ("send_file", (str(src),), {"dir": "jobs/1", "overwrite": True}))
    assert r == [-1, 0]     # exists and differs: refused without overwrite
    assert open(dst, "rb").read() == b"changed"
    assert _send(c, ("del_file", ("data.bin",), {"dir": "jobs/1"})) == [0]
    assert not os.path.exists(dst)
    # no half file left behind: the directories send_file made went with
    # their last file (as in pycos); dest_path itself stays
    assert not os.path.exists(os.path.join(c.dest, "jobs"))
    assert os.path.isdir(c.dest)


def test_paths_never_leave_dest_path(child, tmp_path):
    c = child()
    outside = tmp_path / "outside"
    outside.mkdir()
    os.makedirs(c.dest, exist_ok=True)
    os.symlink(str(outside), os.path.join(c.dest, "link"))
    src = tmp_path / "f.txt"
    src.write_text("x")
    (outside / "victim").write_text("keep me")
    r = _send(c,
              ("send_file", (str(src),), {"dir": "../outside"}),
              ("send_file", (str(src),), {"dir": "/etc"}),        # refused before sending
              ("send_file", (str(src),), {"dir": "link"}),        # symlink out of dest
              ("del_file", ("victim",), {"dir": "../outside"}),
              ("del_file", ("victim",), {"dir": "link"}),
              ("del_file", ("../outside/victim",), {}))
    assert r == [-1, -1, -1, -1, -1, -1]
    assert sorted(os.listdir(outside)) == ["victim"]
    assert (outside / "victim").read_text() == "keep me"
    log = c.stop()
    assert "'..' component" in log and "outside dest_path" in log


def test_max_file_size(child, tmp_path):
    c = child(max_file_size=1000)
    src = tmp_path / "big"
    src.write_bytes(b"b" * 1001)
    assert _send(c, ("send_file", (str(src),), {})) == [-1]
    assert not os.path.exists(os.path.join(c.dest, "big"))
    assert "accepts at most 1000" in c.stop()


def test_send_file_local_errors(child, tmp_path):
    c = child()
    assert _send(c, ("send_file", (str(tmp_path / "missing"),), {}),
                 ("send_file", (str(tmp_path),), {})) == [-1, -1]
