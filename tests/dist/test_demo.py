"""The main demo end to end, and the progress line."""
import io
import subprocess
import sys

from picoos.dist import demo
from picoos.dist.progress import Progress


def test_count_primes_is_right():
    assert demo.count_primes(0, 100) == 25
    assert sum(demo.count_primes(i * 1000, (i + 1) * 1000) for i in range(10)) == 1229
    assert demo.count_primes(0, 2) == 0


def test_demo_survives_a_killed_node():
    out = subprocess.run([sys.executable, "-m", "picoos.dist.demo", "--jobs", "400",
                          "--monitor-port", "0"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "killed node local-2" in out.stdout
    assert "jobs done: 400/400" in out.stdout and "abandoned: 0" in out.stdout
    assert "duplicate results dropped: 0" in out.stdout
    assert "web monitor: http://127.0.0.1:" in out.stdout


def test_demo_rejects_bad_arguments():
    out = subprocess.run([sys.executable, "-m", "picoos.dist.demo", "--jobs", "0"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "expected at least 1" in out.stderr


class FakeClient:
    def snapshot(self):
        return {"jobs": {"submitted": 10, "done": 4, "failed": 1, "abandoned": 0,
                         "terminated": 0, "rerun": 2, "rate": 12.0},
                "nodes": [{"state": "ready", "running": 1}, {"state": "ready", "running": 0},
                          {"state": "lost", "running": 0}]}


def test_progress_line_and_terminal_only():
    stream = io.StringIO()
    progress = Progress(FakeClient(), total=10, stream=stream)
    assert not progress.enabled                     # not a terminal: stays quiet
    assert progress.line() == ("5/10 jobs ( 50.0%), 12 jobs/s, 1/2 nodes busy, "
                               "1 failed, 0 abandoned, 2 rerun")
    forced = Progress(FakeClient(), total=10, stream=stream, interval=0.01, force=True).start()
    forced.stop()
    assert stream.getvalue().endswith("2 rerun\n")
