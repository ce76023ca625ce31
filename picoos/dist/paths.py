"""Keeping file names from peers inside their destination directory.

A client names the files it ships and a job names the files it sends back;
both names come from the other side of the network, so every one of them is
checked here before a file is opened. pycos checked with a bare
``startswith`` and let ``../`` through; this module resolves the real path
and compares whole path components.
"""
from __future__ import annotations

import os

from picoos.dist.errors import DistError


class UnsafePath(DistError, PermissionError):
    """A peer-supplied file name points outside its destination directory."""


def safe_join(base: str, name: str) -> str:
    """``base/name`` when it stays inside ``base``; raises UnsafePath otherwise.

    ``name`` must be relative, without ``..`` parts, NUL bytes or a drive,
    and must not resolve (through symlinks) outside ``base``.
    """
    if not isinstance(name, str) or not name or "\x00" in name:
        raise UnsafePath(f"file name {name!r} is not a non-empty string without NUL bytes")
    norm = name.replace("\\", "/")
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    if norm.startswith("/") or any(p == ".." for p in parts) or not parts:
        raise UnsafePath(f"file name {name!r} leaves the destination directory; "
                         f"expected a relative name without '..'")
    base_real = os.path.realpath(base)
    path = os.path.realpath(os.path.join(base_real, *parts))
    if os.path.commonpath([base_real, path]) != base_real or path == base_real:
        raise UnsafePath(f"file name {name!r} resolves outside {base!r}")
    return path
