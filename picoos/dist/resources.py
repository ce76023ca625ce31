"""What a node reports about itself: CPU, memory, disk, swap and its board.

A client picks nodes by these figures (allocation filters) and the web
monitor shows them, so every node sends them in its heartbeats.

On Linux the figures come straight from ``/proc`` and ``os.statvfs``:
importing psutil costs a node daemon about as much memory as the rest of it
(the idle budget is 15 MiB), and the few numbers needed are one file read
each. psutil is used where there is no ``/proc`` (macOS, BSD). Board facts
(model, temperature, throttling) come from :mod:`picoos.drivers.board` when
it is installed, else from the device tree and thermal zone directly. The
node daemon itself reads those few files directly (``use_driver=False``):
the driver module and what it imports cost more than 2 MiB of its budget.
No typing import for the same reason (annotations stay strings).

Every path is relative to a ``root`` so tests run against fake trees.
"""
from __future__ import annotations

import os


class Resources:
    """Samples this machine's load; keeps the previous CPU sample for rates.

    ``root`` prefixes ``/proc`` and ``/sys`` (a fake tree in tests);
    ``disk_path`` is the filesystem whose free space is reported.
    """

    def __init__(self, root: str = "/", disk_path: str = "/", use_driver: bool = True):
        self.root = root
        self.disk_path = disk_path
        self.use_driver = use_driver
        self._last_cpu: "tuple[int, int] | None" = None
        self._psutil: object = None
        if not os.path.exists(self._path("proc/meminfo")):
            try:
                import psutil  # only where /proc is missing: see the module docstring
                self._psutil = psutil
            except ImportError:
                self._psutil = None

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def _read(self, rel: str) -> "str | None":
        try:
            with open(self._path(rel), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return None

    # -- CPU -----------------------------------------------------------------

    def cpu_count(self) -> int:
        """Number of CPUs the node may use."""
        try:
            return len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return os.cpu_count() or 1

    def cpu_busy(self) -> float:
        """Percent of CPU time busy since the previous call (first call: since boot)."""
        if self._psutil is not None:
            return float(self._psutil.cpu_percent(None))
        text = self._read("proc/stat")
        if not text:
            return 0.0
        parts = text.split("\n", 1)[0].split()
        if not parts or parts[0] != "cpu":
            return 0.0
        values = [int(v) for v in parts[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)   # idle + iowait
        total = sum(values[:8])                                      # guest is inside user
        last, self._last_cpu = self._last_cpu, (idle, total)
        if last is not None:
            idle, total = idle - last[0], total - last[1]
        if total <= 0:
            return 0.0
        return round(100.0 * (total - idle) / total, 1)

    # -- memory, swap, disk ---------------------------------------------------

    def _meminfo(self) -> "dict[str, int]":
        out: "dict[str, int]" = {}
        for line in (self._read("proc/meminfo") or "").splitlines():
            key, _, rest = line.partition(":")
            fields = rest.split()
            if fields and fields[0].isdigit():
                scale = 1024 if len(fields) > 1 and fields[1].lower() == "kb" else 1
                out[key.strip()] = int(fields[0]) * scale
        return out

    def memory(self) -> "dict[str, int]":
        """``{"total", "available"}`` bytes of RAM; ``{"swap_total", "swap_free"}``."""
        if self._psutil is not None:
            vm, sw = self._psutil.virtual_memory(), self._psutil.swap_memory()
            return {"total": vm.total, "available": vm.available,
                    "swap_total": sw.total, "swap_free": sw.free}
        info = self._meminfo()
        available = info.get("MemAvailable")
        if available is None:  # kernels before 3.14 have no MemAvailable
            available = info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0)
        return {"total": info.get("MemTotal", 0), "available": available,
                "swap_total": info.get("SwapTotal", 0), "swap_free": info.get("SwapFree", 0)}

    def disk(self) -> "dict[str, int]":
        """``{"total", "free"}`` bytes on ``disk_path`` (free for unprivileged users)."""
        try:
            st = os.statvfs(self.disk_path)
        except (OSError, AttributeError):
            return {"total": 0, "free": 0}
        return {"total": st.f_blocks * st.f_frsize, "free": st.f_bavail * st.f_frsize}

    # -- board ------------------------------------------------------------------

    def board(self) -> "dict[str, object]":
        """``{"model", "temperature", "throttled", "throttled_since_boot"}``;
        None for what this machine does not expose."""
        drv = None
        if self.use_driver:
            try:
                from picoos.drivers import board as drv  # lazy: the driver may be absent
            except ImportError:
                drv = None
        if drv is not None:
            try:
                flags = drv.throttled(self.root)
                return {"model": drv.model(self.root),
                        "temperature": drv.cpu_temperature(self.root),
                        "throttled": None if flags is None else flags.now(),
                        "throttled_since_boot": None if flags is None else bool(flags)}
            except Exception:  # a driver fault must not take the heartbeat down
                pass
        info: "dict[str, object]" = {"model": None, "temperature": None, "throttled": None,
                                "throttled_since_boot": None}
        model = self._read("proc/device-tree/model")
        if model:
            info["model"] = model.strip("\x00\n ")
        temp = self._read("sys/class/thermal/thermal_zone0/temp")
        if temp and temp.strip().lstrip("-").isdigit():
            info["temperature"] = round(int(temp.strip()) / 1000.0, 1)
        # the Raspberry Pi firmware driver exposes vcgencmd's get_throttled here
        raw = self._read("sys/devices/platform/soc/soc:firmware/get_throttled")
        if raw and raw.strip():
            try:
                bits = int(raw.strip(), 16)
                info["throttled"], info["throttled_since_boot"] = bool(bits & 0xF), bits != 0
            except ValueError:
                pass
        return info

    @staticmethod
    def platform() -> str:
        """``Linux-6.6.31-rpi-v8-aarch64``: what allocation filters match (the
        ``platform`` module would cost the daemon memory for this one string)."""
        if not hasattr(os, "uname"):
            import platform
            return platform.platform(terse=True)
        u = os.uname()
        return f"{u.sysname}-{u.release}-{u.machine}"

    # -- all at once -------------------------------------------------------------

    def sample(self) -> "dict[str, object]":
        """One heartbeat's worth of figures, all plain JSON-able values."""
        mem = self.memory()
        disk = self.disk()
        swap_total = mem["swap_total"]
        swap_used = (100.0 * (swap_total - mem["swap_free"]) / swap_total) if swap_total else 0.0
        out: "dict[str, object]" = {
            "cpus": self.cpu_count(),
            "cpu_busy": self.cpu_busy(),
            "memory_total": mem["total"],
            "memory_available": mem["available"],
            "swap_total": swap_total,
            "swap_used_percent": round(swap_used, 1),
            "disk_total": disk["total"],
            "disk_free": disk["free"],
            "platform": self.platform(),
            "machine": os.uname().machine if hasattr(os, "uname") else "",
        }
        out.update(self.board())
        return out
