"""Fixtures for the net tests (helpers live in net_helpers.py)."""
import json
import logging
import os
import subprocess
import sys

import pytest

from net_helpers import NODEPROC, SECRET, Child, _read_ready


@pytest.fixture
def child(tmp_path):
    children = []

    def start(**cfg):
        cfg.setdefault("secret", SECRET)
        cfg.setdefault("dest", str(tmp_path / ("dest%d" % len(children))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))]
            + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        proc = subprocess.Popen([sys.executable, NODEPROC, json.dumps(cfg)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        c = Child(proc, _read_ready(proc), cfg["dest"])
        children.append(c)
        return c

    yield start
    for c in children:
        c.stop()


@pytest.fixture(autouse=True)
def _net_logs(caplog):
    caplog.set_level(logging.INFO, logger="picoos.net")
