"""Debian root filesystems to install picoos into, for the deploy tests.

The deploy scripts change a whole system (users, groups, /opt, /etc, systemd
units), so they are tested where that is safe and real: a fresh Debian
bookworm tree made by debootstrap, entered with chroot. ARM trees (arm64 for
64-bit Pi OS, armhf for 32-bit) run under qemu-user emulation through
binfmt_misc, so the install runs on an ARM Python as it would on a board.

debootstrap is slow (minutes), so each pristine tree is built once into a
cache folder keyed by suite, architecture and extra packages, and every test
works on a throw-away copy of it. The package mirror comes from this
machine's own apt sources at run time; no mirror is named in the repository.

Safety: a copy has the host's /proc, /sys and /dev (and pip's local index
folders) bind-mounted into it. Deleting a tree while such a mount is alive
would delete the host's files through it, so :class:`Chroot` unmounts every
mount under its tree (deepest first) in ``finally`` and refuses to delete
anything while a mount remains; deletion never crosses file systems.
"""
from __future__ import annotations

import configparser
import glob
import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import pytest

SUITE = "bookworm"
# What a Raspberry Pi OS Lite image already has that debootstrap's default
# variant lacks: Python 3 and the CA bundle. python3-venv is deliberately
# left out: install.sh must add it, as it must on a fresh Pi.
BASE_PACKAGES = ("python3", "ca-certificates")
# The debootstrap name of each architecture and the qemu binfmt entry it needs.
QEMU_BINFMT = {"amd64": None, "arm64": "qemu-aarch64", "armhf": "qemu-arm"}
REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
# "arch: step" -> seconds, printed at the end of a run by conftest.py
TIMINGS: Dict[str, float] = {}
HOST_TOOLS = {"debootstrap": "debootstrap", "chroot": "coreutils",
              "update-binfmts": "binfmt-support", "systemd-analyze": "systemd"}


class DeployTestError(RuntimeError):
    """The machine cannot run the deploy tests (not root, tool missing, no mirror)."""


def cache_dir() -> Path:
    """Where pristine trees are kept between runs ($PICOOS_DEPLOY_CACHE overrides)."""
    base = os.environ.get("PICOOS_DEPLOY_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "picoos-deploy"


def check_host(arch: str) -> None:
    """Raise DeployTestError naming what to install when this machine cannot build ``arch``."""
    if os.geteuid() != 0:
        raise DeployTestError("the deploy tests need root (debootstrap, chroot, mount); "
                              "run ./dev test-deploy as root")
    missing = sorted({pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None})
    if QEMU_BINFMT.get(arch) and shutil.which(QEMU_BINFMT[arch] + "-static") is None:
        missing.append("qemu-user-static")
    if missing:
        raise DeployTestError("missing host tools; expected them installed with: apt-get update "
                              "&& apt-get install -y " + " ".join(sorted(set(missing))))


def host_mirror(suite: str = SUITE) -> str:
    """The first apt source of this machine that serves ``suite`` (main).

    Reads /etc/apt/sources.list, sources.list.d/*.list (one-line form) and
    sources.list.d/*.sources (deb822). $PICOOS_DEPLOY_MIRROR overrides.
    """
    override = os.environ.get("PICOOS_DEPLOY_MIRROR")
    if override:
        return override
    for uri, suites, comps in _apt_sources():
        if suite in suites and "main" in comps:
            return uri
    raise DeployTestError(f"no apt source for suite {suite!r} with component 'main' in "
                          f"/etc/apt/sources.list*; expected one, or set PICOOS_DEPLOY_MIRROR")


def _apt_sources() -> Iterable[tuple]:
    one_line = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    for path in one_line:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            line = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
            if len(line) >= 3 and line[0] == "deb":
                yield line[1], {line[2]}, set(line[3:])
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in re.split(r"\n\s*\n", Path(path).read_text()):
            fields: Dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.strip()
            if "deb" not in fields.get("types", "").split():
                continue
            if fields.get("enabled", "yes").lower() == "no":
                continue
            suites = set(fields.get("suites", "").split())
            comps = set(fields.get("components", "").split())
            for uri in fields.get("uris", "").split():
                yield uri, suites, comps


def ensure_binfmt(arch: str) -> None:
    """Make the kernel run ``arch`` binaries through qemu (needed after every boot)."""
    entry = QEMU_BINFMT.get(arch)
    if entry is None:
        return
    mnt = "/proc/sys/fs/binfmt_misc"
    if not os.path.exists(os.path.join(mnt, "register")):
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", mnt], check=True)
    subprocess.run(["update-binfmts", "--enable", entry], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status = Path(mnt, entry)
    if not status.exists() or "enabled" not in status.read_text():
        raise DeployTestError(f"binfmt entry {entry} is not enabled after update-binfmts "
                              f"--enable; expected qemu-user-static to register it")


def pristine_rootfs(arch: str, extra: Sequence[str] = (), suite: str = SUITE) -> Path:
    """The cached debootstrap tree for ``arch`` with BASE_PACKAGES + ``extra``; built if needed."""
    check_host(arch)
    ensure_binfmt(arch)
    include = sorted(set(BASE_PACKAGES) | set(extra))
    key = hashlib.sha256(",".join(include).encode()).hexdigest()[:10]
    target = cache_dir() / f"{suite}-{arch}-{key}"
    stamp = target.with_name(target.name + ".ok")
    if stamp.exists() and (target / "usr/bin/python3").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        remove_tree(target)
    started = time.monotonic()
    cmd = ["debootstrap", f"--arch={arch}", "--include=" + ",".join(include),
           suite, str(target), host_mirror(suite)]
    log = target.with_name(target.name + ".log")
    with open(log, "wb") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        remove_tree(target)
        tail = log.read_text(errors="replace")[-3000:]
        raise DeployTestError(f"debootstrap for {arch} failed (exit {proc.returncode}); "
                              f"last lines of {log}:\n{tail}")
    stamp.write_text(f"{cmd}\nseconds={time.monotonic() - started:.0f}\n")
    return target


def mounts_under(root: Path) -> List[str]:
    """Mount points at or below ``root``, deepest first."""
    prefix = str(root.resolve())
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_all(root: Path) -> None:
    """Unmount everything under ``root``; lazily for a busy mount. Raises if any remain."""
    for _ in range(3):
        points = mounts_under(root)
        if not points:
            return
        for point in points:
            if subprocess.run(["umount", point], stderr=subprocess.DEVNULL).returncode != 0:
                subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)
    left = mounts_under(root)
    if left:
        raise DeployTestError(f"could not unmount {left}; not deleting {root}")


def remove_tree(root: Path) -> None:
    """Delete a tree after unmounting everything in it; never crosses file systems."""
    unmount_all(root)
    subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=True)


def work_dir(label: str) -> Path:
    """A new folder for a throw-away tree, under the cache, named after this process.

    Not under pytest's tmp_path: pytest deletes old tmp folders with rmtree,
    which would follow a bind mount left behind by a killed run.
    """
    base = cache_dir() / "work"
    base.mkdir(parents=True, exist_ok=True)
    n = 0
    while (base / f"{os.getpid()}-{label}-{n}").exists():
        n += 1
    path = base / f"{os.getpid()}-{label}-{n}"
    path.mkdir()
    return path


def sweep_stale_work() -> None:
    """Unmount and delete trees left by runs that were killed (their process is gone)."""
    base = cache_dir() / "work"
    if not base.is_dir():
        return
    for entry in base.iterdir():
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            remove_tree(entry)


class Chroot:
    """A throw-away copy (an overlay) of a pristine tree, with what programs inside need mounted.

    Use as a context manager: mounts are made on entry and always undone on
    exit, and the copy is deleted.
    """

    def __init__(self, pristine: Path, workdir: Path, arch: str) -> None:
        # workdir is this tree's own folder: it is deleted as a whole on close
        self.pristine = pristine
        self.root = workdir / f"root-{arch}"
        self.arch = arch

    def __enter__(self) -> "Chroot":
        try:
            self._make_root()
            self._mount()
            self._copy_host_config()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Unmount everything, then delete the tree's folder."""
        unmount_all(self.root)
        if self.root.parent.exists():
            remove_tree(self.root.parent)

    def _make_root(self) -> None:
        # An overlay on the pristine tree costs nothing and leaves it
        # untouched; where overlayfs is missing, copy the tree instead.
        upper, work = self.root.parent / "upper", self.root.parent / "overlay-work"
        for d in (self.root, upper, work):
            d.mkdir(parents=True, exist_ok=True)
        opts = f"lowerdir={self.pristine},upperdir={upper},workdir={work}"
        if subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, str(self.root)],
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.root.rmdir()
            subprocess.run(["cp", "-a", str(self.pristine), str(self.root)], check=True)

    def _bind(self, src: str, dest: str, readonly: bool = False) -> None:
        target = self.root / dest.lstrip("/")
        if os.path.isdir(src):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch(exist_ok=True)
        subprocess.run(["mount", "--bind", src, str(target)], check=True)
        if readonly:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)

    def _mount(self) -> None:
        subprocess.run(["mount", "-t", "proc", "proc", str(self.root / "proc")], check=True)
        subprocess.run(["mount", "-t", "sysfs", "sysfs", str(self.root / "sys")], check=True)
        # read-only binds: device I/O still works, but nothing deleting the
        # tree (even a careless rmtree) can remove the host's device nodes
        self._bind("/dev", "/dev", readonly=True)
        self._bind("/dev/pts", "/dev/pts", readonly=True)
        # POSIX shared memory (multiprocessing, ansible) gets its own tmpfs
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs",
                        str(self.root / "dev/shm")], check=True)
        for folder in pip_local_folders():
            self._bind(folder, folder, readonly=True)

    def _copy_host_config(self) -> None:
        # DNS, pip's configuration and any extra CA certificates of this
        # machine, so apt and pip inside reach what the host reaches.
        shutil.copy("/etc/resolv.conf", self.root / "etc/resolv.conf", follow_symlinks=True)
        for src in pip_config_files():
            dest = self.root / src.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest)
        # The local CAs go where update-ca-certificates finds them (apt runs
        # it when a package adds certificates); the host's bundle, which
        # already holds them, replaces the tree's at once instead of running
        # update-ca-certificates now (half a minute under qemu).
        extra = sorted(glob.glob("/usr/local/share/ca-certificates/**/*.crt", recursive=True))
        for src in extra:
            dest = self.root / src.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest)
        bundle = "/etc/ssl/certs/ca-certificates.crt"
        if extra and os.path.isfile(bundle):
            shutil.copy(bundle, self.root / bundle.lstrip("/"))
        # Nothing started by a package script may escape into the host.
        policy = self.root / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)

    def path(self, inside: str) -> Path:
        """The host path of ``inside`` (an absolute path in the chroot)."""
        return self.root / inside.lstrip("/")

    def run(self, cmd: Sequence[str], check: bool = False, timeout: float = 1800,
            env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        """Run ``cmd`` inside the chroot; output captured as text."""
        full_env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "LANG": "C.UTF-8", "HOME": "/root", "DEBIAN_FRONTEND": "noninteractive"}
        # pip's settings given through the environment on this machine
        full_env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
        full_env.update(env or {})
        proc = subprocess.run(["chroot", str(self.root), *cmd], env=full_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode} in the "
                                 f"{self.arch} chroot:\n{proc.stdout[-6000:]}")
        return proc


def pip_config_files() -> List[str]:
    """pip configuration files of this machine (global and root's)."""
    candidates = ["/etc/pip.conf", "/etc/xdg/pip/pip.conf",
                  os.path.expanduser("~/.config/pip/pip.conf"), os.path.expanduser("~/.pip/pip.conf")]
    if os.environ.get("PIP_CONFIG_FILE"):
        candidates.append(os.environ["PIP_CONFIG_FILE"])
    return [p for p in candidates if os.path.isfile(p)]


def pip_local_folders() -> List[str]:
    """Local folders that pip's configuration or environment points at (file:// indexes, find-links)."""
    values: List[str] = []
    for path in pip_config_files():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path)
        except configparser.Error:
            continue
        for section in parser.sections():
            for key in ("index-url", "extra-index-url", "find-links"):
                values.extend(parser.get(section, key, fallback="").split())
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        values.extend(os.environ.get(key, "").split())
    folders = []
    for value in values:
        if value.startswith("file://"):
            value = value[len("file://"):]
        elif "://" in value:
            continue
        # an index URL names .../simple: mount the folder above, which holds the files too
        folder = os.path.dirname(value.rstrip("/")) if value.rstrip("/").endswith("/simple") else value
        if os.path.isdir(folder) and folder not in folders and folder != "/":
            folders.append(folder)
    return folders


class timed:
    """Record how long a block took under ``key`` in TIMINGS."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> "timed":
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        TIMINGS[self.key] = TIMINGS.get(self.key, 0.0) + time.monotonic() - self.start


def copy_deploy_into(chroot: Chroot, wheel: Path) -> str:
    """Put deploy/ and the wheel at /srv/picoos-deploy in the chroot (world-readable)."""
    dest = chroot.path("/srv/picoos-deploy")
    shutil.copytree(DEPLOY, dest)
    shutil.copy(wheel, dest / wheel.name)
    os.chmod(dest, 0o755)
    return f"/srv/picoos-deploy/{wheel.name}"


def pristine(arch: str, extra: Sequence[str] = ()) -> Path:
    """The cached tree for ``arch``, failing the test with the reason when it cannot be had."""
    try:
        sweep_stale_work()
        with timed(f"{arch}: debootstrap or cache hit" + (f" (+{','.join(extra)})" if extra else "")):
            return pristine_rootfs(arch, extra)
    except DeployTestError as exc:
        pytest.fail(str(exc), pytrace=False)
