"""Keeping file names from peers inside their destination directory.

A client names the files it ships and a job names the files it sends back;
both names come from the other side of the network, so every one of them is
checked before a file is opened. The check is picoos.net's
(:func:`picoos.net.files.resolve`: whole path components, symlinks
resolved); this module only adapts dist's names, which may carry a relative
folder ("data/input.csv"), and gives dist's error type.
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
