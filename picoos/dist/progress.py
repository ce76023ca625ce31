"""A one-line progress display for a terminal: done/total, rate, nodes busy.

Long batches need a sign of life, but a log file or a pipe must not fill
with carriage returns, so the line is drawn only when the stream is a
terminal (or when forced, for tests).
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Optional, TextIO


class Progress:
    """Redraws ``client.snapshot()`` as one line every ``interval`` seconds."""

    def __init__(self, client: Any, total: Optional[int] = None, stream: Optional[TextIO] = None,
                 interval: float = 0.5, force: bool = False):
        self.client = client
        self.total = total
        self.stream = stream or sys.stderr
        self.interval = interval
        self.enabled = force or bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def line(self) -> str:
        """The current progress line (without the carriage return)."""
        snap = self.client.snapshot()
        jobs = snap["jobs"]
        total = self.total if self.total is not None else jobs["submitted"]
        finished = jobs["done"] + jobs["failed"] + jobs["abandoned"] + jobs["terminated"]
        busy = sum(1 for n in snap["nodes"] if n["state"] == "ready" and n["running"])
        ready = sum(1 for n in snap["nodes"] if n["state"] in ("ready", "suspended"))
        pct = 100.0 * finished / total if total else 0.0
        extra = ""
        if jobs["failed"] or jobs["abandoned"]:
            extra += f", {jobs['failed']} failed, {jobs['abandoned']} abandoned"
        if jobs["rerun"]:
            extra += f", {jobs['rerun']} rerun"
        return (f"{finished}/{total} jobs ({pct:5.1f}%), {jobs['rate']:.0f} jobs/s, "
                f"{busy}/{ready} nodes busy{extra}")

    def start(self) -> "Progress":
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True, name="progress")
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.draw()

    def draw(self) -> None:
        self.stream.write("\r\x1b[K" + self.line())
        self.stream.flush()

    def stop(self) -> None:
        """Stop redrawing; leave the final line on screen."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self.draw()
            self.stream.write("\n")
            self.stream.flush()
