"""Node resource figures, read from fake /proc and /sys trees."""
import os

from picoos.dist.resources import Resources

MEMINFO = """MemTotal:        3884376 kB
MemFree:          123456 kB
MemAvailable:    2000000 kB
Buffers:           10000 kB
Cached:            20000 kB
SwapTotal:        102396 kB
SwapFree:          51198 kB
"""


def make_tree(root, stat_line, meminfo=MEMINFO, model=None, temp=None, throttled=None):
    (root / "proc" / "device-tree").mkdir(parents=True, exist_ok=True)
    (root / "proc" / "stat").write_text(stat_line + "\ncpu0 1 2 3 4\n")
    (root / "proc" / "meminfo").write_text(meminfo)
    if model is not None:
        (root / "proc" / "device-tree" / "model").write_bytes(model)
    if temp is not None:
        zone = root / "sys" / "class" / "thermal" / "thermal_zone0"
        zone.mkdir(parents=True)
        (zone / "temp").write_text(temp)
    if throttled is not None:
        fw = root / "sys" / "devices" / "platform" / "soc" / "soc:firmware"
        fw.mkdir(parents=True)
        (fw / "get_throttled").write_text(throttled)


def test_memory_and_swap_from_meminfo(tmp_path):
    make_tree(tmp_path, "cpu 1 0 1 8 0 0 0 0 0 0")
    mem = Resources(root=str(tmp_path)).memory()
    assert mem == {"total": 3884376 * 1024, "available": 2000000 * 1024,
                   "swap_total": 102396 * 1024, "swap_free": 51198 * 1024}


def test_old_kernel_without_memavailable(tmp_path):
    text = "\n".join(l for l in MEMINFO.splitlines() if not l.startswith("MemAvailable"))
    make_tree(tmp_path, "cpu 1 0 1 8", meminfo=text)
    mem = Resources(root=str(tmp_path)).memory()
    assert mem["available"] == (123456 + 10000 + 20000) * 1024


def test_cpu_busy_is_the_delta_between_samples(tmp_path):
    make_tree(tmp_path, "cpu 10 0 10 80 0 0 0 0 0 0")
    res = Resources(root=str(tmp_path))
    assert res.cpu_busy() == 20.0          # since boot: 20 busy of 100
    (tmp_path / "proc" / "stat").write_text("cpu 85 0 10 85 0 0 0 0 0 0\n")
    assert res.cpu_busy() == 93.8          # 75 busy of 80 since the last sample


def test_board_facts_from_device_tree_and_thermal_zone(tmp_path):
    make_tree(tmp_path, "cpu 1 0 1 8", model=b"Raspberry Pi 4 Model B Rev 1.4\x00",
              temp="48312\n", throttled="50005\n")
    sample = Resources(root=str(tmp_path), disk_path=str(tmp_path)).sample()
    assert sample["model"] == "Raspberry Pi 4 Model B Rev 1.4"
    assert sample["temperature"] == 48.3
    assert sample["throttled"] is True and sample["throttled_since_boot"] is True
    assert sample["swap_used_percent"] == 50.0
    assert sample["disk_total"] > 0 and sample["disk_free"] > 0


def test_a_pc_has_no_board_facts(tmp_path):
    make_tree(tmp_path, "cpu 1 0 1 8")
    board = Resources(root=str(tmp_path)).board()
    assert board == {"model": None, "temperature": None, "throttled": None,
                     "throttled_since_boot": None}


def test_without_the_board_driver(tmp_path, monkeypatch):
    import sys
    make_tree(tmp_path, "cpu 1 0 1 8", model=b"Raspberry Pi Zero 2 W Rev 1.0\x00",
              temp="51000\n", throttled="0\n")
    monkeypatch.setitem(sys.modules, "picoos.drivers.board", None)   # import fails
    board = Resources(root=str(tmp_path)).board()
    assert board == {"model": "Raspberry Pi Zero 2 W Rev 1.0", "temperature": 51.0,
                     "throttled": False, "throttled_since_boot": False}


def test_real_machine_sample_is_sane():
    sample = Resources().sample()
    assert sample["cpus"] >= 1
    assert 0 < sample["memory_available"] <= sample["memory_total"]
    assert 0.0 <= sample["cpu_busy"] <= 100.0
    assert os.path.exists("/proc/meminfo")  # this suite runs on Linux
