"""Where a file sent by a peer may land, and how it is written.

`send_file` lets a peer put a file under our `dest_path`. The peer names the
file and, optionally, a sub-directory; both are untrusted. pycos joined them
unchecked (`del_file`) or checked with a bare `startswith` (`send_file`), so
`../` or a symlink took a file anywhere. Here every peer-supplied path goes
through `resolve()`: the file name must be a plain name, the directory must
be relative without `..`, and the *real* path of the result (symlinks
resolved) must still be inside the real `dest_path` (`os.path.commonpath`).

A received file is written to a hidden temporary name in the target
directory and renamed over the final name only once all of its bytes have
arrived, so a dropped link never leaves a half file under the real name.
"""
from __future__ import annotations

import os
from typing import Optional

from picoos.net.errors import FileTooLargeError, NetError, PathEscapeError

__all__ = ["resolve", "IncomingFile", "TMP_PREFIX"]

TMP_PREFIX = ".picoos-part-"


def _check_part(part: str, what: str) -> None:
    if "\x00" in part:
        raise PathEscapeError("%s %r contains a NUL byte" % (what, part))


def resolve(dest_root: str, name: str, subdir: Optional[str] = None) -> str:
    """The absolute path for file `name` in `subdir` under `dest_root`.

    Raises `PathEscapeError` (a `ValueError`) if `name` is not a plain file
    name, if `subdir` is absolute or has a `..` component, or if the result,
    with symlinks resolved, would lie outside `dest_root`.
    """
    if not isinstance(name, str) or not name or name in (".", ".."):
        raise PathEscapeError("file name %r: expected a plain, non-empty file name" % (name,))
    _check_part(name, "file name")
    if os.sep in name or (os.altsep and os.altsep in name):
        raise PathEscapeError("file name %r contains a path separator: expected a plain name"
                              % (name,))
    root = os.path.realpath(dest_root)
    target_dir = root
    if subdir:
        if not isinstance(subdir, str):
            raise PathEscapeError("dir %r: expected a relative path string" % (subdir,))
        _check_part(subdir, "dir")
        if os.path.isabs(subdir):
            raise PathEscapeError("dir %r is absolute: expected a path relative to dest_path"
                                  % (subdir,))
        parts = subdir.replace(os.altsep or os.sep, os.sep).split(os.sep)
        if ".." in parts:
            raise PathEscapeError("dir %r has a '..' component: expected a path inside dest_path"
                                  % (subdir,))
        target_dir = os.path.realpath(os.path.join(root, subdir))
    path = os.path.realpath(os.path.join(target_dir, name))
    if os.path.commonpath([root, path]) != root or path == root:
        raise PathEscapeError("%r in dir %r resolves to %s, outside dest_path %s (symlink?)"
                              % (name, subdir, path, root))
    return path


class IncomingFile:
    """A file being received: written to a temporary name, renamed when done.

    `write(chunk)` raises `FileTooLargeError` once more than `size` (the size
    the sender announced) or `max_size` bytes arrive; `commit()` checks the
    byte count and renames; `abort()` removes the temporary file. The
    temporary file is created with O_EXCL|O_NOFOLLOW, so a symlink planted
    at its name is never followed.
    """

    def __init__(self, path: str, size: int, max_size: Optional[int] = None,
                 mode: int = 0o644, mtime: Optional[float] = None) -> None:
        if type(size) is not int or size < 0:
            raise ValueError("file size %r: expected a non-negative int" % (size,))
        if max_size is not None and size > max_size:
            raise FileTooLargeError("file %s is %d bytes: this kernel accepts at most %d (max_file_size)"
                                    % (os.path.basename(path), size, max_size))
        self.path = path
        self.size = size
        self.mtime = mtime
        self.received = 0
        d = os.path.dirname(path)
        os.makedirs(d, exist_ok=True)
        self.tmp = os.path.join(d, TMP_PREFIX + os.urandom(6).hex())
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        self._fd = os.open(self.tmp, flags, mode & 0o777)

    def write(self, chunk: bytes) -> None:
        if self._fd is None:
            raise NetError("file %s is already closed" % self.path)
        if self.received + len(chunk) > self.size:
            self.abort()
            raise FileTooLargeError("file %s: more bytes arrived than the %d announced"
                                    % (os.path.basename(self.path), self.size))
        view = memoryview(chunk)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        self.received += len(chunk)

    def commit(self) -> None:
        if self.received != self.size:
            self.abort()
            raise NetError("file %s: got %d bytes, expected %d: discarded"
                           % (os.path.basename(self.path), self.received, self.size))
        os.close(self._fd)
        self._fd = None
        if self.mtime is not None:
            os.utime(self.tmp, (self.mtime, self.mtime))
        os.replace(self.tmp, self.path)     # atomic; replaces a symlink, never follows it

    def abort(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass
