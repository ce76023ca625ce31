"""Choosing a backend, and the real backend's errors on a machine without GPIO."""
import errno
import logging

import pytest

from picoos.drivers.gpio import (BACKEND_ENV, Chip, ChipNotFoundError, FakeBackend, GpioBackend,
                                 UnknownBackendError, get_backend)
from picoos.drivers.gpio import backend as backend_mod
from picoos.drivers.gpio.real import RealBackend


def test_argument_wins_over_environment(monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "real")
    mine = FakeBackend()
    assert get_backend(mine) is mine
    assert isinstance(get_backend("fake"), FakeBackend)
    assert get_backend("fake") is get_backend("fake")     # one fake world per process


def test_environment_then_machine(monkeypatch, caplog):
    monkeypatch.setenv(BACKEND_ENV, "fake")
    assert isinstance(get_backend(), FakeBackend)
    monkeypatch.setenv(BACKEND_ENV, "real")
    assert isinstance(get_backend(), RealBackend)
    monkeypatch.delenv(BACKEND_ENV)
    monkeypatch.setattr(backend_mod, "_machine_has_gpio", lambda: True)
    assert isinstance(get_backend(), RealBackend)
    monkeypatch.setattr(backend_mod, "_machine_has_gpio", lambda: False)
    with caplog.at_level(logging.WARNING, logger="picoos.drivers.gpio"):
        assert isinstance(get_backend(), FakeBackend)
    assert "using the fake GPIO backend" in caplog.text


def test_unknown_backend_names(monkeypatch):
    with pytest.raises(UnknownBackendError, match="'lgpio' from argument is not known") as info:
        get_backend("lgpio")
    assert isinstance(info.value, ValueError)
    monkeypatch.setenv(BACKEND_ENV, "mock")
    with pytest.raises(UnknownBackendError, match=r"'mock' from \$PICOOS_GPIO_BACKEND"):
        get_backend()


def test_base_class_lists_what_must_be_overridden():
    b = GpioBackend()
    with pytest.raises(NotImplementedError):
        b.chip_paths()
    for name in ("chip_paths", "open_chip", "find_chip"):
        assert name in backend_mod.__doc__


def test_real_backend_missing_chip(tmp_path):
    real = RealBackend(dev_dir=str(tmp_path))
    assert real.chip_paths() == []
    with pytest.raises(ChipNotFoundError, match="no GPIO chip with path, name or label "
                                                "'pinctrl-bcm2711' .backend real has: no chips") as info:
        Chip("pinctrl-bcm2711", backend=real)
    assert info.value.errno == errno.ENOENT
    with pytest.raises(ChipNotFoundError, match=r"no GPIO chip at .*gpiochip0 \(chips here: none\)"):
        Chip(str(tmp_path / "gpiochip0"), backend=real)


def test_real_backend_refuses_a_file_that_is_not_a_chip(tmp_path):
    fake_chip = tmp_path / "gpiochip0"
    fake_chip.write_bytes(b"")
    real = RealBackend(dev_dir=str(tmp_path))
    assert real.chip_paths() == [str(fake_chip)]
    with pytest.raises(ChipNotFoundError, match="is not a GPIO chip"):
        Chip(str(fake_chip), backend=real)
    with pytest.raises(ChipNotFoundError, match="is not a GPIO chip"):
        Chip("gpiochip0", backend=real)
    # looking for a label skips it and says what was found
    with pytest.raises(ChipNotFoundError, match="label 'pinctrl-rp1' .backend real has: no chips"):
        Chip("pinctrl-rp1", backend=real)


def test_real_backend_permission_error(tmp_path, monkeypatch):
    # the tests may run as root, who opens anything: make open() answer EACCES
    from picoos.drivers.gpio import GpioPermissionError
    from picoos.drivers.gpio import real as real_mod

    def denied(path, flags):
        raise PermissionError(errno.EACCES, "Permission denied", path)
    monkeypatch.setattr(real_mod.os, "open", denied)
    with pytest.raises(GpioPermissionError, match="group that owns it") as info:
        Chip(str(tmp_path / "gpiochip0"), backend=RealBackend(dev_dir=str(tmp_path)))
    assert isinstance(info.value, PermissionError) and info.value.errno == errno.EACCES
