"""deploy/install.sh and uninstall.sh, run for real in Debian bookworm trees.

For each architecture (amd64; arm64 and armhf under qemu, as on 64- and
32-bit Raspberry Pi OS) a fresh copy of a debootstrap tree gets picoos
installed from a wheel of this work tree, the way a user installs offline.
The tests run in file order on one tree per architecture: install, check
what it made, install again (nothing may change), bad arguments, then
uninstall and purge. There is no systemd running in a chroot, so the unit is
installed and enabled, not started.
"""
from __future__ import annotations

import hashlib
import os
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Dict, Tuple

import pytest

from deploy_rootfs import REPO, cache_dir, copy_deploy_into, timed

pytestmark = pytest.mark.deploy

INSTALL = "/srv/picoos-deploy/install.sh"
UNINSTALL = "/srv/picoos-deploy/uninstall.sh"
# What install.sh may touch; a second run must leave all of it as it was.
WATCHED = ("/etc/picoos", "/opt/picoos", "/var/lib/picoos", "/etc/systemd/system",
           "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/var/lib/dpkg/status")


@pytest.fixture(scope="module")
def installed(chroot, arch, picoos_wheel):
    """The chroot after one ``install.sh --from WHEEL``; gives (chroot, wheel path inside, output)."""
    wheel = copy_deploy_into(chroot, picoos_wheel)
    with timed(f"{arch}: install.sh (first run)"):
        proc = chroot.run(["bash", INSTALL, "--from", wheel])
    # kept for reading after the run: which steps ran, whether a compiler was needed
    (cache_dir() / f"install-{arch}.log").write_text(proc.stdout)
    assert proc.returncode == 0, f"install.sh failed on {arch}:\n{proc.stdout[-8000:]}"
    return chroot, wheel, proc.stdout


def snapshot(chroot) -> Dict[str, Tuple]:
    """Type, mode, owner, size, mtime and (for files under /etc) content hash of WATCHED."""
    out: Dict[str, Tuple] = {}

    def note(path: Path) -> None:
        st = path.lstat()
        rel = "/" + str(path.relative_to(chroot.root))
        extra = ""
        if stat.S_ISLNK(st.st_mode):
            extra = os.readlink(path)
        elif stat.S_ISREG(st.st_mode) and rel.startswith("/etc/"):
            extra = hashlib.sha256(path.read_bytes()).hexdigest()
        out[rel] = (stat.S_IFMT(st.st_mode), st.st_mode & 0o7777, st.st_uid, st.st_gid,
                    st.st_size if not stat.S_ISDIR(st.st_mode) else 0, st.st_mtime_ns, extra)

    for top in WATCHED:
        p = chroot.path(top)
        if not p.exists():
            continue
        note(p)
        if p.is_dir() and not p.is_symlink():
            for dirpath, dirnames, filenames in os.walk(p):
                for name in dirnames + filenames:
                    note(Path(dirpath) / name)
    return out


def ids(chroot, name: str) -> Tuple[int, int]:
    """(uid, gid) of user ``name`` inside the chroot."""
    uid = int(chroot.run(["id", "-u", name], check=True).stdout)
    gid = int(chroot.run(["id", "-g", name], check=True).stdout)
    return uid, gid


def test_install_reports_enabled_not_started(installed):
    _, _, out = installed
    assert "created system user picoos" in out
    assert "not started (running in a chroot)" in out, out


def test_user_and_groups(installed):
    chroot = installed[0]
    groups = chroot.run(["id", "-nG", "picoos"], check=True).stdout.split()
    assert set(groups) >= {"picoos", "gpio", "dialout"}, groups
    entry = chroot.run(["getent", "passwd", "picoos"], check=True).stdout.strip().split(":")
    assert entry[5] == "/var/lib/picoos" and entry[6] == "/usr/sbin/nologin", entry
    assert int(entry[2]) < 1000, "expected a system user (uid below 1000)"
    for g in ("gpio", "dialout"):
        assert chroot.run(["getent", "group", g]).returncode == 0, f"group {g} missing"


def test_venv_has_picoos_with_node_extras(installed):
    chroot = installed[0]
    proc = chroot.run(["/opt/picoos/venv/bin/python", "-c",
                       "import picoos, psutil, serial, sys; print(sys.prefix, picoos.__file__)"])
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.startswith("/opt/picoos/venv "), proc.stdout
    assert "/opt/picoos/venv/lib/" in proc.stdout


def test_installed_package_runs_a_kernel(installed):
    """Every subpackage made it into the wheel: the kernel with its notifier,
    board profiles as package data, the net and dist layers."""
    chroot = installed[0]
    script = ("import picoos, picoos.net, picoos.dist.client\n"
              "from picoos.drivers import board\n"
              "assert board.load_profiles(), 'no board profiles installed'\n"
              "def main(task=None):\n"
              "    yield task.sleep(0.01)\n"
              "    return 'ok'\n"
              "print(picoos.run(main))\n")
    proc = chroot.run(["/opt/picoos/venv/bin/python", "-c", script])
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip().endswith("ok"), proc.stdout


def test_node_help_runs(installed, arch):
    chroot = installed[0]
    with timed(f"{arch}: picoos-node --help"):
        proc = chroot.run(["/opt/picoos/venv/bin/picoos-node", "--help"])
    assert proc.returncode == 0, proc.stdout
    assert "--config" in proc.stdout and "--secret-file" in proc.stdout, proc.stdout


def test_node_runs_from_the_installed_config_as_the_service_user(installed, arch):
    # What the unit's ExecStart runs, as its user, minus systemd (not running
    # in a chroot). The chroot shares this machine's network, so the node is
    # kept on loopback, on a free port, with discovery broadcasts off.
    chroot = installed[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # setpriv changes user and execs, as systemd does (runuser would stay in
    # between and answer SIGTERM itself)
    cmd = ["chroot", str(chroot.root), "setpriv", "--reuid=picoos", "--regid=picoos", "--init-groups",
           "/opt/picoos/venv/bin/picoos-node", "--config", "/etc/picoos/node.conf", "--daemon",
           "--host", "127.0.0.1", "--tcp-port", str(port), "--udp-port", "0", "--cpus", "1"]
    with timed(f"{arch}: node up on loopback"):
        node = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "node did not listen within 120 s"
                try:
                    # between attempts, wait on the node itself: it must not exit
                    node.wait(timeout=0.2)
                    raise AssertionError(f"node exited {node.returncode}:\n"
                                         f"{node.stdout.read().decode(errors='replace')}")
                except subprocess.TimeoutExpired:
                    pass
        finally:
            node.terminate()
            try:
                out, _ = node.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                node.kill()
                out, _ = node.communicate()
    assert node.returncode == 0, f"node exited {node.returncode} on SIGTERM:\n{out.decode(errors='replace')}"


def test_config_owner_mode_and_secret(installed):
    chroot = installed[0]
    conf = chroot.path("/etc/picoos/node.conf")
    st = conf.stat()
    uid, gid = ids(chroot, "picoos")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, gid, 0o640)
    assert uid != 0
    d = chroot.path("/etc/picoos").stat()
    assert (d.st_uid, d.st_gid, stat.S_IMODE(d.st_mode)) == (0, gid, 0o750)
    text = conf.read_text()
    secrets = [line.split("=", 1)[1].strip() for line in text.splitlines()
               if line.startswith("secret")]
    assert len(secrets) == 1 and len(secrets[0]) >= 32, text
    state = chroot.path("/var/lib/picoos").stat()
    assert (state.st_uid, state.st_gid, stat.S_IMODE(state.st_mode)) == (uid, gid, 0o750)


def test_only_root_and_service_user_can_read_config(installed):
    chroot = installed[0]
    chroot.run(["useradd", "--no-create-home", "someone"], check=True)
    try:
        denied = chroot.run(["runuser", "-u", "someone", "--", "cat", "/etc/picoos/node.conf"])
        assert denied.returncode != 0 and "Permission denied" in denied.stdout, denied.stdout
        allowed = chroot.run(["runuser", "-u", "picoos", "--", "cat", "/etc/picoos/node.conf"])
        assert allowed.returncode == 0 and "secret = " in allowed.stdout, allowed.stdout
    finally:
        chroot.run(["userdel", "someone"], check=True)


def test_unit_installed_and_enabled(installed):
    chroot = installed[0]
    unit = chroot.path("/etc/systemd/system/picoos-node.service")
    src = REPO / "deploy" / "picoos-node.service"
    assert unit.read_bytes() == src.read_bytes()
    link = chroot.path("/etc/systemd/system/multi-user.target.wants/picoos-node.service")
    assert link.is_symlink()
    assert os.readlink(link) == "/etc/systemd/system/picoos-node.service"
    assert chroot.run(["systemctl", "is-enabled", "picoos-node.service"]).stdout.strip() == "enabled"


def test_systemd_analyze_verify_is_silent_in_the_installed_system(installed):
    # verify exits 0 even on unknown keys (it only warns), so any output fails
    chroot = installed[0]
    proc = chroot.run(["systemd-analyze", "verify", "/etc/systemd/system/picoos-node.service"])
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout


def test_second_run_changes_nothing(installed, arch):
    chroot, wheel, _ = installed
    before = snapshot(chroot)
    with timed(f"{arch}: install.sh (second run)"):
        proc = chroot.run(["bash", INSTALL, "--from", wheel])
    assert proc.returncode == 0, proc.stdout
    after = snapshot(chroot)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert changed == [], f"second install changed {changed[:20]}\n{proc.stdout}"
    for word in ("created", "installed", "wrote", "generated"):
        assert word not in proc.stdout, proc.stdout


def test_secret_file_replaces_secret_only(installed):
    chroot, wheel, _ = installed
    conf = chroot.path("/etc/picoos/node.conf")
    old = conf.read_text()
    chroot.path("/root/new.secret").write_text("n3w-fleet-secret-0123456789abcdef\n")
    proc = chroot.run(["bash", INSTALL, "--from", wheel, "--secret-file", "/root/new.secret",
                       "--tcp-port", "9800"])
    assert proc.returncode == 0, proc.stdout
    new = conf.read_text()
    assert "secret = n3w-fleet-secret-0123456789abcdef\n" in new
    assert "tcp_port = 9800\n" in new
    # every other line is kept as it was
    keep = [l for l in old.splitlines() if not l.startswith(("secret", "tcp_port"))]
    assert keep == [l for l in new.splitlines() if not l.startswith(("secret", "tcp_port"))]
    st = conf.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0


@pytest.mark.parametrize("args, message", [
    (["--secret", "short"], "expected at least 16"),
    (["--secret-file", "/nonexistent"], "not a readable file"),
    (["--secret", "a" * 20, "--secret-file", "/etc/hostname"], "not both"),
    (["--secret", "has a space in it ok"], "spaces"),
    (["--tcp-port", "70000"], "expected a number 1..65535"),
    (["--tcp-port", "http"], "expected a number 1..65535"),
    (["--from", "/nope/picoos.whl"], "no such file"),
    (["--from", "/etc/hostname"], "not a .whl"),
    (["--from"], "--from needs a value"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
])
def test_bad_arguments_are_refused_before_any_change(installed, args, message):
    chroot = installed[0]
    before = snapshot(chroot)
    proc = chroot.run(["bash", INSTALL, *args])
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stdout, proc.stdout
    assert snapshot(chroot) == before


def test_refuses_to_run_as_a_normal_user(installed):
    chroot = installed[0]
    proc = chroot.run(["runuser", "-u", "nobody", "--", "bash", INSTALL, "--no-start"])
    assert proc.returncode == 1 and "must run as root" in proc.stdout, proc.stdout
    proc = chroot.run(["runuser", "-u", "nobody", "--", "bash", UNINSTALL])
    assert proc.returncode == 1 and "must run as root" in proc.stdout, proc.stdout


def test_uninstall_keeps_config_then_purge_removes_everything(installed, arch):
    chroot = installed[0]
    with timed(f"{arch}: uninstall.sh"):
        proc = chroot.run(["bash", UNINSTALL])
    assert proc.returncode == 0, proc.stdout
    assert not chroot.path("/opt/picoos").exists()
    assert not chroot.path("/etc/systemd/system/picoos-node.service").exists()
    assert not chroot.path("/etc/systemd/system/multi-user.target.wants/picoos-node.service").is_symlink()
    assert chroot.path("/etc/picoos/node.conf").exists(), "plain uninstall must keep the config"
    assert chroot.run(["id", "picoos"]).returncode == 0

    proc = chroot.run(["bash", UNINSTALL, "--purge"])
    assert proc.returncode == 0, proc.stdout
    for gone in ("/etc/picoos", "/var/lib/picoos", "/opt/picoos"):
        assert not chroot.path(gone).exists(), gone
    assert chroot.run(["id", "picoos"]).returncode != 0
    assert chroot.run(["getent", "group", "picoos"]).returncode != 0
    # the shared device groups stay for everyone else
    assert chroot.run(["getent", "group", "gpio"]).returncode == 0
    # and a second purge has nothing left to do
    again = chroot.run(["bash", UNINSTALL, "--purge"])
    assert again.returncode == 0 and "removed" not in again.stdout, again.stdout
