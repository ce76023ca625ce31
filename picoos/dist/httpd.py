"""The fleet web monitor: a JSON API and one live page, from the standard library.

A client starts it on request (``Monitor(client).start()``) to watch the
fleet from a browser: nodes with their CPU, memory, temperature and jobs,
servers and recent jobs. The page (``static/``) polls the JSON API; nothing
comes from a CDN, so it works on a fleet with no internet.

Read-only by default. Actions (suspend/resume a node, terminate a job) are
enabled only when the monitor gets a token; each action is a POST carrying
that token in the ``X-Picoos-Token`` header, compared in constant time.
Only a fixed whitelist of static files is served, so no request path can
reach the file system (pycos served ``/../../`` paths).

Runs in its own daemon thread (``http.server.ThreadingHTTPServer``).
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

log = logging.getLogger("picoos.dist")

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
# URL path -> (file in static/, content type). Nothing else is ever opened.
STATIC_FILES: Dict[str, Tuple[str, str]] = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/monitor.js": ("monitor.js", "application/javascript; charset=utf-8"),
    "/monitor.css": ("monitor.css", "text/css; charset=utf-8"),
}
TOKEN_HEADER = "X-Picoos-Token"
MAX_BODY = 4096


class Monitor:
    """The web monitor of one client.

    ``token``: enables the actions API for requests that carry it; None
    (default) keeps the monitor read-only. ``host`` defaults to loopback:
    pass ``"0.0.0.0"`` to watch from another machine.
    """

    def __init__(self, client: Any, host: str = "127.0.0.1", port: int = 8181,
                 token: Optional[str] = None):
        if token is not None and len(token) < 8:
            raise ValueError("the monitor token must be at least 8 characters; "
                             "use e.g. secrets.token_urlsafe()")
        self.client = client
        self.token = token
        self._static: Dict[str, bytes] = {}
        for name, _ in set(STATIC_FILES.values()):
            with open(os.path.join(STATIC_DIR, name), "rb") as f:
                self._static[name] = f.read()
        handler = type("Handler", (_Handler,), {"monitor": self})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.host, self.port = self.server.server_address[:2]
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> "Monitor":
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name="picoos-monitor")
        self._thread.start()
        log.info("fleet monitor at %s", self.url)
        return self

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the API ---------------------------------------------------------------------

    def api(self, path: str) -> Optional[Any]:
        snap = self.client.snapshot()
        if path == "/api/fleet":
            snap["actions"] = self.token is not None
            return snap
        if path == "/api/nodes":
            return snap["nodes"]
        if path == "/api/servers":
            return snap["servers"]
        if path == "/api/jobs":
            return {"counts": snap["jobs"], "recent": snap["recent_jobs"]}
        return None

    def action(self, path: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        client = self.client
        try:
            if path == "/api/actions/suspend_node":
                client.suspend_node(_field(body, "node"))
            elif path == "/api/actions/resume_node":
                client.resume_node(_field(body, "node"))
            elif path == "/api/actions/terminate_job":
                job_id = body.get("job")
                if not isinstance(job_id, int):
                    return 400, {"error": "field 'job' must be a job id (integer)"}
                job = next((j for j in client._running_jobs() if j.id == job_id), None)
                if job is None:
                    return 404, {"error": f"job {job_id} is not running"}
                client.terminate(job)
            else:
                return 404, {"error": f"no action {path!r}"}
        except ValueError as exc:
            return 404, {"error": str(exc)}
        return 200, {"ok": True}


def _field(body: Dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {name!r} must be a non-empty string")
    return value


class _Handler(BaseHTTPRequestHandler):
    monitor: Monitor
    server_version = "picoos-monitor"
    sys_version = ""

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("monitor: " + fmt, *args)

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self'; style-src 'self'")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, obj: Any) -> None:
        self._send(code, json.dumps(obj, default=str).encode(), "application/json")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        static = STATIC_FILES.get(path)
        if static is not None:
            self._send(200, self.monitor._static[static[0]], static[1])
            return
        if path.startswith("/api/"):
            data = self.monitor.api(path)
            if data is not None:
                self._json(200, data)
                return
        self._json(404, {"error": f"no such page {path!r}"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        token = self.monitor.token
        given = self.headers.get(TOKEN_HEADER, "")
        if token is None:
            self._json(403, {"error": "actions are disabled: start the monitor with a token"})
            return
        if not hmac.compare_digest(given.encode(), token.encode()):
            self._json(403, {"error": f"missing or wrong {TOKEN_HEADER} header"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._json(400, {"error": f"body must be JSON of at most {MAX_BODY} bytes"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            self._json(400, {"error": "body must be a JSON object"})
            return
        code, reply = self.monitor.action(path, body)
        self._json(code, reply)
