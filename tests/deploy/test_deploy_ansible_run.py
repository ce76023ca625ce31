"""The fleet playbooks run for real, on a Debian tree standing in for one board.

ansible-core is installed inside a fresh amd64 tree and the playbooks run
there with the local connection: the tree is both the control machine and
the one node of the inventory. That exercises what the syntax check cannot:
the secret made once and shared, install.sh driven by Ansible (and a second
run changing nothing), and the rotation's stage-then-switch on the node's
real config file. Only the restart is a no-op here (no systemd in a chroot).
"""
from __future__ import annotations

import re
import stat

import pytest

from deploy_rootfs import Chroot, copy_deploy_into, pristine, timed, work_dir

pytestmark = pytest.mark.deploy

PLAYS = "/srv/picoos-deploy/ansible"
SECRET = f"{PLAYS}/secrets/picoos.secret"


def conf_secret(chroot: Chroot) -> str:
    text = chroot.path("/etc/picoos/node.conf").read_text()
    found = re.findall(r"^secret = (\S+)$", text, re.M)
    assert len(found) == 1, text
    return found[0]


def recap(out: str) -> dict:
    m = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out)
    assert m, out[-4000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups())))


@pytest.fixture(scope="module")
def board(picoos_wheel):
    base = pristine("amd64")
    with Chroot(base, work_dir("ansible"), "amd64") as chroot:
        wheel = copy_deploy_into(chroot, picoos_wheel)
        with timed("amd64: ansible-core inside the tree"):
            chroot.run(["bash", "-c", "apt-get update -q && apt-get install -y -q python3-venv"],
                       check=True)
            chroot.run(["python3", "-m", "venv", "/root/ansible"], check=True)
            chroot.run(["/root/ansible/bin/pip", "install", "-q", "ansible-core"], check=True)
        chroot.path(f"{PLAYS}/inventory.ini").write_text(
            "[picoos_nodes]\n"
            "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 "
            f"picoos_from={wheel}\n")
        yield chroot


def playbook(chroot: Chroot, name: str):
    return chroot.run(["bash", "-c", f"cd {PLAYS} && /root/ansible/bin/ansible-playbook "
                                     f"-i inventory.ini {name}"],
                      env={"ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "0"})


def test_site_installs_with_the_fleet_secret(board):
    with timed("amd64: ansible site.yml (first run)"):
        proc = playbook(board, "site.yml")
    assert proc.returncode == 0, proc.stdout[-6000:]
    secret = board.path(SECRET).read_text().strip()
    assert len(secret) == 43
    assert stat.S_IMODE(board.path(SECRET).stat().st_mode) == 0o600
    assert conf_secret(board) == secret
    assert board.path("/etc/systemd/system/multi-user.target.wants/picoos-node.service").is_symlink()
    assert not board.path("/run/picoos-install.secret").exists()


def test_site_second_run_changes_nothing(board):
    proc = playbook(board, "site.yml")
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert recap(proc.stdout)["changed"] == 0, proc.stdout[-6000:]


def test_rotation_puts_one_new_secret_everywhere(board):
    old = board.path(SECRET).read_text().strip()
    with timed("amd64: ansible rotate-secret.yml"):
        proc = playbook(board, "rotate-secret.yml")
    assert proc.returncode == 0, proc.stdout[-6000:]
    new = board.path(SECRET).read_text().strip()
    assert new != old and len(new) == 43
    assert conf_secret(board) == new
    assert not board.path(SECRET + ".new").exists()
    assert not board.path("/etc/picoos/node.conf.next").exists()
    st = board.path("/etc/picoos/node.conf").stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0
    # the node still accepts its config after the rotation
    check = board.run(["runuser", "-u", "picoos", "--", "/opt/picoos/venv/bin/picoos-node",
                       "--config", "/etc/picoos/node.conf", "--save-config", "/dev/null"])
    assert check.returncode == 0, check.stdout
