"""Keeping file names from peers inside their destination directory.

A client names the files it ships and a job names the files it sends back;
both names come from the other side of the network, so every one of them is
checked before a file is opened. The check is picoos.net's
(:func:`picoos.net.files.resolve`: whole path components, symlinks
resolved); this module only adapts dist's names, which may carry a relative
folder ("data/input.csv"), and gives dist's error type; and puts a file
the client shipped into each server's folder (:func:`link_or_copy`); and
clears the session folders a node leaves behind (:func:`remove_tree`,
:func:`remove_stale_sessions`).
"""
from __future__ import annotations

import logging
import os

from picoos.dist.errors import DistError

log = logging.getLogger("picoos.dist")


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


def remove_stale_sessions(dest_path: str) -> "list[str]":
    """Remove the session folders in ``dest_path`` whose node process is gone.

    A session folder is ``session-<n>-<node pid>``; one whose pid no longer
    runs was left by a node that was killed. Returns the names removed.
    """
    removed = []
    for name in sorted(os.listdir(dest_path)):
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "session" or not parts[2].isdigit():
            continue
        pid = int(parts[2])
        if pid == os.getpid() or _pid_alive(pid):
            continue
        remove_tree(os.path.join(dest_path, name))
        removed.append(name)
    if removed:
        log.info("--clean: removed %d folder(s) left by earlier runs: %s", len(removed),
                 ", ".join(removed))
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True            # someone else's process: leave its folder alone
    return True


def remove_tree(path: str) -> None:
    """``shutil.rmtree(path, ignore_errors=True)`` without importing shutil."""
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            try:
                os.unlink(os.path.join(root, name))
            except OSError:
                pass
        for name in dirs:
            full = os.path.join(root, name)
            try:
                if os.path.islink(full):
                    os.unlink(full)
                else:
                    os.rmdir(full)
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass
