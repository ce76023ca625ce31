"""The fleet web monitor: JSON API, static whitelist, token-guarded actions,
and the page itself in headless Chromium."""
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

import jobfuncs
from picoos.dist.client import Client
from picoos.dist.httpd import TOKEN_HEADER, Monitor

TOKEN = "s3cret-token-for-tests"


class RecordingClient:
    """Stands in for a Client: a fixed snapshot and a record of actions."""

    def __init__(self):
        self.calls = []

    def snapshot(self):
        return {"client": "c", "time": 0, "elapsed": 1.0,
                "jobs": {"submitted": 3, "done": 2, "failed": 0, "abandoned": 0,
                         "terminated": 0, "rerun": 0, "duplicates_dropped": 0,
                         "queued": 0, "running": 1, "rate": 2.0},
                "nodes": [{"name": "pi-a", "addr": "127.0.0.1", "port": 1, "state": "ready"}],
                "servers": [{"location": "127.0.0.1:2"}],
                "recent_jobs": [{"id": 1, "state": "done"}]}

    def suspend_node(self, node):
        if node != "127.0.0.1:1":
            raise ValueError(f"unknown node {node!r}")
        self.calls.append(("suspend", node))

    def resume_node(self, node):
        self.calls.append(("resume", node))

    def _running_jobs(self, where=None):
        return []


@pytest.fixture
def monitor():
    started = []

    def start(token=None, client=None):
        mon = Monitor(client or RecordingClient(), port=0, token=token).start()
        started.append(mon)
        return mon
    yield start
    for mon in started:
        mon.shutdown()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            return res.status, res.headers.get("Content-Type"), res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type"), err.read()


def post(url, body, token=None, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    if token is not None:
        req.add_header(TOKEN_HEADER, token)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_page_and_api(monitor):
    mon = monitor()
    status, ctype, body = get(mon.url)
    assert status == 200 and ctype.startswith("text/html") and b"monitor.js" in body
    assert b"http://" not in body and b"https://" not in body       # no CDN
    assert get(mon.url + "monitor.js")[0] == 200
    assert get(mon.url + "monitor.css")[0] == 200
    fleet = json.loads(get(mon.url + "api/fleet")[2])
    assert fleet["nodes"][0]["name"] == "pi-a" and fleet["actions"] is False
    assert json.loads(get(mon.url + "api/nodes")[2])[0]["name"] == "pi-a"
    assert json.loads(get(mon.url + "api/servers")[2]) == [{"location": "127.0.0.1:2"}]
    assert json.loads(get(mon.url + "api/jobs")[2])["counts"]["done"] == 2


@pytest.mark.parametrize("path", [
    "../../../../etc/passwd", "..%2f..%2fetc/passwd", "%2e%2e/%2e%2e/etc/passwd",
    "static/../httpd.py", "httpd.py", "static/index.html", "index.html/../../httpd.py",
    "api/../../etc/passwd", "api/nope",
])
def test_no_path_reaches_the_file_system(monitor, path):
    mon = monitor()
    status, _, body = get(mon.url + path)
    assert status == 404, path
    assert b"root:" not in body and b"import" not in body


def test_actions_need_a_token(monitor):
    ro = monitor()
    status, reply = post(ro.url + "api/actions/suspend_node", {"node": "127.0.0.1:1"}, TOKEN)
    assert status == 403 and "disabled" in reply["error"]
    client = RecordingClient()
    rw = monitor(token=TOKEN, client=client)
    assert json.loads(get(rw.url + "api/fleet")[2])["actions"] is True
    assert post(rw.url + "api/actions/suspend_node", {"node": "127.0.0.1:1"})[0] == 403
    assert post(rw.url + "api/actions/suspend_node", {"node": "127.0.0.1:1"}, "wrong")[0] == 403
    assert client.calls == []
    assert post(rw.url + "api/actions/suspend_node", {"node": "127.0.0.1:1"}, TOKEN) == \
        (200, {"ok": True})
    assert client.calls == [("suspend", "127.0.0.1:1")]
    status, reply = post(rw.url + "api/actions/suspend_node", {"node": "nowhere"}, TOKEN)
    assert status == 404 and "unknown node" in reply["error"]
    status, reply = post(rw.url + "api/actions/suspend_node", None, TOKEN, raw=b"{not json")
    assert status == 400 and "JSON" in reply["error"]
    status, reply = post(rw.url + "api/actions/terminate_job", {"job": "7"}, TOKEN)
    assert status == 400 and "job id" in reply["error"]
    status, reply = post(rw.url + "api/actions/terminate_job", {"job": 7}, TOKEN)
    assert status == 404 and "not running" in reply["error"]
    assert post(rw.url + "api/actions/reboot", {}, TOKEN)[0] == 404


def test_short_token_is_refused():
    with pytest.raises(ValueError, match="at least 8"):
        Monitor(RecordingClient(), port=0, token="short")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-quic", "--no-first-run", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"]


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.browser
def test_page_shows_the_fleet_in_chromium(start_node, monitor, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium not installed (apt-get install -y chromium chromium-driver)")
    a, b = start_node("-c", "1", "--name", "pi-alpha"), start_node("-c", "1", "--name", "pi-beta")
    client = Client([jobfuncs.square], nodes=[a.addr, b.addr], pulse_interval=0.5)
    client.schedule(timeout=60)
    assert client.wait_servers(2, 60)
    for job in [client.run(jobfuncs.square, i) for i in range(20)]:
        job.result(60)
    mon = client.start_monitor(port=0)
    monitors_to_stop = [mon]

    def run_chromium(*extra):
        profile = tmp_path / f"profile{len(os.listdir(tmp_path))}"
        cmd = [browser] + CHROMIUM_FLAGS + [f"--user-data-dir={profile}",
                                            "--virtual-time-budget=5000"] + list(extra) + [mon.url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    dom = run_chromium("--dump-dom").stdout
    assert 'data-node="pi-alpha"' in dom and 'data-node="pi-beta"' in dom, dom[-2000:]
    assert "20 done" in dom
    shot = tmp_path / "monitor.png"
    run_chromium(f"--screenshot={shot}", "--window-size=1200,700")
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("PICOOS_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    client.close(timeout=60)
    for m in monitors_to_stop:
        m.shutdown()
