"""Keeping file names from peers inside their destination directory.

A client names the files it ships and a job names the files it sends back;
both names come from the other side of the network, so every one of them is
checked before a file is opened. The check is picoos.net's
(:func:`picoos.net.files.resolve`: whole path components, symlinks
resolved); this module only adapts dist's names, which may carry a relative
folder ("data/input.csv"), and gives dist's error type; and puts a file
the client shipped into each server's folder (:func:`link_or_copy`).
"""
from __future__ import annotations

from picoos.dist.errors import DistError


class UnsafePath(DistError, PermissionError):
    """A peer-supplied file name points outside its destination directory."""


def safe_join(base: str, name: str) -> str:
    """``base/name`` when it stays inside ``base``; raises UnsafePath otherwise.

    ``name`` must be relative, without ``..`` parts, NUL bytes or a drive,
    and must not resolve (through symlinks) outside ``base``.
    """
    from picoos.net.errors import PathEscapeError
    from picoos.net.files import resolve
    if not isinstance(name, str) or not name:
        raise UnsafePath(f"file name {name!r}: expected a non-empty relative name")
    folder, _, leaf = name.replace("\\", "/").rpartition("/")
    try:
        return resolve(base, leaf, folder or None)
    except PathEscapeError as exc:
        raise UnsafePath(f"file name {name!r} leaves the destination directory {base!r}: "
                         f"{exc}") from None


def link_or_copy(source: str, target: str) -> None:
    """Make ``target`` (its folder too) a hard link to ``source``, or a copy
    where the file system has no hard links; an old ``target`` is replaced."""
    import os
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    try:
        os.link(source, target)
    except OSError:
        with open(source, "rb") as src, open(target, "wb") as dst:
            while True:
                chunk = src.read(1 << 16)
                if not chunk:
                    break
                dst.write(chunk)
