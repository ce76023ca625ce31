"""Fixtures for the deploy tests: a picoos wheel, Debian trees per architecture, timings.

These tests build root filesystems and run the install scripts in them, so
they take minutes and need root. They run only when asked for with
``-m deploy`` (``./dev test-deploy``); a plain ``pytest`` deselects them
(deselected, not skipped: nothing here pretends to have passed).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

import deploy_rootfs as rootfs  # tests/deploy is on sys.path (no __init__.py: pytest's rootdir layout)
from deploy_rootfs import TIMINGS, pristine, timed

REPO = rootfs.REPO
HERE = Path(__file__).resolve().parent
ARCHES = ("amd64", "arm64", "armhf")


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    markexpr = config.getoption("markexpr", default="") or ""
    if "deploy" in markexpr:
        return
    mine = [it for it in items if Path(str(it.fspath)).resolve().is_relative_to(HERE)]
    if mine:
        config.hook.pytest_deselected(items=mine)
        items[:] = [it for it in items if it not in mine]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if TIMINGS:
        terminalreporter.section("deploy timings (seconds)")
        for key in sorted(TIMINGS):
            terminalreporter.write_line(f"{key:40s} {TIMINGS[key]:8.1f}")


@pytest.fixture(scope="session")
def picoos_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of picoos built from this work tree (tracked and new files, not ignored ones).

    Built from a copy so the build leaves nothing in the tree other people work in.
    """
    src = tmp_path_factory.mktemp("src")
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO,
                           check=True, stdout=subprocess.PIPE).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source = REPO / name
        if source.is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, src / name)
    out = tmp_path_factory.mktemp("wheel")
    with timed("wheel build"):
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                               "-w", str(out), str(src)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout[-4000:]}"
    wheels = list(out.glob("picoos-*.whl"))
    assert len(wheels) == 1, f"expected one picoos wheel, got {wheels}"
    return wheels[0]


@pytest.fixture
def tools_venv() -> Path:
    """A venv with ansible-core (and PyYAML through it), kept in the cache folder."""
    venv = rootfs.cache_dir() / "tools-venv"
    py = venv / "bin" / "python"
    if not (venv / "bin" / "ansible-playbook").exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        with timed("tools venv (ansible-core)"):
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "ansible-core", "PyYAML"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.returncode == 0, f"pip install ansible-core failed:\n{proc.stdout[-4000:]}"
    return venv


@pytest.fixture(scope="module", params=ARCHES)
def arch(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def chroot(arch: str) -> Iterator[rootfs.Chroot]:
    """A fresh copy of the ``arch`` tree with mounts; always unmounted and deleted afterwards."""
    base = pristine(arch)
    with timed(f"{arch}: copy tree and mount"):
        ch = rootfs.Chroot(base, rootfs.work_dir(arch), arch)
        ch.__enter__()
    try:
        yield ch
    finally:
        ch.close()
