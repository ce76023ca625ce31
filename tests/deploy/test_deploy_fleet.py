"""Fleet provisioning files: the Ansible playbooks and the cloud-init user-data.

The playbooks are checked by ansible-playbook itself (--syntax-check and
--list-tasks against the example inventory), with ansible-core from PyPI in a
cached venv. The user-data is checked by cloud-init's own schema validator,
run inside a Debian tree that has the cloud-init package, so nothing is
installed on this machine.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from deploy_rootfs import DEPLOY, Chroot, pristine, timed, work_dir

pytestmark = pytest.mark.deploy

ANSIBLE = DEPLOY / "ansible"
USER_DATA = DEPLOY / "cloud-init" / "user-data"
PLAYBOOKS = ("site.yml", "rotate-secret.yml")


def ansible(tools_venv, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(tools_venv / "bin" / "ansible-playbook"), *args], cwd=ANSIBLE,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env={"PATH": f"{tools_venv / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8",
                               "ANSIBLE_NOCOLOR": "1", "HOME": "/root"})


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax(tools_venv, playbook):
    proc = ansible(tools_venv, "-i", "inventory.example.ini", "--syntax-check", playbook)
    assert proc.returncode == 0, proc.stdout
    assert "WARNING" not in proc.stdout and "ERROR" not in proc.stdout, proc.stdout


def test_playbooks_reach_every_node_in_the_inventory(tools_venv):
    proc = ansible(tools_venv, "-i", "inventory.example.ini", "--list-hosts", *PLAYBOOKS)
    assert proc.returncode == 0, proc.stdout
    for host in ("pi-kitchen.local", "pi-garage.local", "pi-shed.local"):
        assert host in proc.stdout, proc.stdout


def test_rotation_stages_everywhere_before_switching(tools_venv):
    proc = ansible(tools_venv, "-i", "inventory.example.ini", "--list-tasks", "rotate-secret.yml")
    assert proc.returncode == 0, proc.stdout
    plays = re.findall(r"^  play #\d+ \([^)]*\): (.*?)\s+TAGS:", proc.stdout, re.M)
    assert plays == [
        "New secret on the control machine", "Stage the new secret on every node",
        "Switch every node to the new secret",
        "Make the new secret the current one on the control machine"], proc.stdout


def test_playbooks_are_yaml_with_no_tabs(tools_venv):
    for name in PLAYBOOKS:
        text = (ANSIBLE / name).read_text()
        assert "\t" not in text, name


def test_user_data_header_and_yaml(tools_venv):
    text = USER_DATA.read_text()
    assert text.splitlines()[0] == "#cloud-config", "cloud-init needs '#cloud-config' as line 1"
    proc = subprocess.run([str(tools_venv / "bin" / "python"), "-c",
                           "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); "
                           "assert isinstance(d, dict), type(d); print(sorted(d))", str(USER_DATA)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    for key in ("runcmd", "users", "packages"):
        assert f"'{key}'" in proc.stdout, proc.stdout
    assert "install.sh" in text and "--secret-file" in text


def test_user_data_passes_cloud_init_schema():
    # debootstrap does not resolve virtual packages: python3-cryptography needs
    # the cffi backend named explicitly
    base = pristine("amd64", ("cloud-init", "python3-cffi-backend"))
    with Chroot(base, work_dir("cloud-init"), "amd64") as chroot:
        shutil.copy(USER_DATA, chroot.path("/root/user-data"))
        with timed("amd64: cloud-init schema"):
            proc = chroot.run(["cloud-init", "schema", "--config-file", "/root/user-data"])
    assert proc.returncode == 0, proc.stdout
    assert "Valid cloud-config" in proc.stdout, proc.stdout
