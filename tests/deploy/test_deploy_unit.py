"""deploy/picoos-node.service: the hardening it promises, scored by systemd itself.

``systemd-analyze verify`` needs the unit's program to exist, so it runs in
the installed chroots (test_deploy_install.py); here the unit is read as
text and scored with ``systemd-analyze security --offline=true``.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from typing import Dict, List

import pytest

from deploy_rootfs import DEPLOY

pytestmark = pytest.mark.deploy

UNIT = DEPLOY / "picoos-node.service"
# systemd's own scale: 0 is locked down, 10 is "UNSAFE"; below 2 it says "OK"
MAX_EXPOSURE = 2.0


def settings() -> Dict[str, Dict[str, List[str]]]:
    """section -> key -> values (a key may repeat, as DeviceAllow does)."""
    out: Dict[str, Dict[str, List[str]]] = {}
    section = ""
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out.setdefault(section, {})
            continue
        key, value = line.split("=", 1)
        out[section].setdefault(key, []).append(value)
    return out


def one(section: str, key: str) -> str:
    values = settings()[section].get(key, [])
    assert len(values) == 1, f"expected one {key}= in [{section}], found {values}"
    return values[0]


def systemd_analyze() -> str:
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail("systemd-analyze not found; expected the Debian package systemd "
                    "(apt-get install -y systemd)", pytrace=False)
    return exe


def test_runs_as_picoos_with_device_groups():
    assert one("Service", "User") == "picoos"
    assert one("Service", "Group") == "picoos"
    assert set(one("Service", "SupplementaryGroups").split()) == {"gpio", "dialout"}
    assert one("Service", "ExecStart").startswith(
        "/opt/picoos/venv/bin/picoos-node --config /etc/picoos/node.conf")


def test_restarts_on_failure_and_is_wanted_at_boot():
    assert one("Service", "Restart") == "on-failure"
    assert one("Install", "WantedBy") == "multi-user.target"
    assert "network-online.target" in one("Unit", "After")


def test_file_system_is_read_only_but_the_state_folder():
    assert one("Service", "ProtectSystem") == "strict"
    assert one("Service", "StateDirectory") == "picoos"
    assert one("Service", "ProtectHome") == "yes"
    assert one("Service", "PrivateTmp") == "yes"
    assert one("Service", "NoNewPrivileges") == "yes"


def test_devices_closed_except_gpio_and_serial():
    assert one("Service", "DevicePolicy") == "closed"
    allowed = {v.split()[0]: v.split()[1] for v in settings()["Service"]["DeviceAllow"]}
    for group in ("char-gpiochip", "char-ttyS", "char-ttyAMA"):
        assert allowed.get(group) == "rw", f"{group} must be allowed rw, got {allowed}"
    # these would hide the serial ports or the GPIO chips from the node
    assert "PrivateDevices" not in settings()["Service"]


def test_network_stays_reachable():
    families = one("Service", "RestrictAddressFamilies").split()
    assert {"AF_INET", "AF_INET6", "AF_UNIX"} <= set(families)
    assert "PrivateNetwork" not in settings()["Service"]
    assert "IPAddressDeny" not in settings()["Service"]


def test_security_exposure_is_low():
    proc = subprocess.run([systemd_analyze(), "security", "--offline=true", "--no-pager", str(UNIT)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", proc.stdout)
    assert m, f"no exposure figure in:\n{proc.stdout[-3000:]}"
    assert float(m.group(1)) <= MAX_EXPOSURE, proc.stdout
    # --offline also lints the file: no complaints about keys or values
    assert "Unknown key" not in proc.stdout and "Failed to parse" not in proc.stdout, proc.stdout
