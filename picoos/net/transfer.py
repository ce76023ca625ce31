"""send_file / del_file: files between kernels, over the peer's link.

The sender opens a transfer (name, relative dir, size, mtime, mode,
overwrite), then sends chunks, each acknowledged before the next is read,
so memory stays at one chunk however large the file; then it closes the
transfer, and only then does the file appear under its name (files.py).
The receiver checks every peer-supplied path with `files.resolve`, refuses
files over `max_file_size` before a byte is written, and drops a
half-received file when the transfer is aborted or the peer is lost.

Return values follow pycos: `send_file` gives 0 when the file was sent, 1
when the same file (size and mtime) is already there, -1 on any error
(including "exists and overwrite=False"; pycos returned a stat structure
there, which compares badly with 0 on Python 3). `del_file` gives 0 or -1,
and removes the directories under dest_path it leaves empty.
"""
from __future__ import annotations

import logging
import os
import stat
from itertools import count
from typing import Optional

from picoos.kernel.location import Location
from picoos.kernel.threadpool import run_in_thread
from picoos.kernel.traps import coro
from picoos.net.errors import NetError
from picoos.net.files import IncomingFile, resolve
from picoos.net.requests import LOST, TIMED_OUT

__all__ = ["FileTransfer", "CHUNK"]

log = logging.getLogger("picoos.net")

CHUNK = 1024 * 1024
_ids = count(1)


def _read_chunk(f, n):
    return f.read(n)


class FileTransfer:
    """Mixin of the networked kernel: both ends of file transfers."""

    @coro
    def send_file(self, location: Location, file: str, dir: Optional[str] = None,
                  overwrite: bool = False, timeout: Optional[float] = 10):
        """`r = yield kernel.send_file(loc, path, dir=None, overwrite=False)`:
        copy a local file to the peer's dest_path (under `dir`, relative).
        0 sent, 1 already there, -1 error. `timeout` bounds each step."""
        try:
            st = os.stat(file)
        except OSError as exc:
            log.warning("send_file: cannot read %r: %s", file, exc)
            return -1
        if not stat.S_ISREG(st.st_mode):
            log.warning("send_file: %r is not a regular file", file)
            return -1
        if dir is not None and (not isinstance(dir, str) or os.path.isabs(dir)):
            log.warning("send_file: dir %r must be a relative path", dir)
            return -1
        if location not in self._peers and (yield self.peer(location)) != 0:
            return -1
        name = os.path.basename(file)
        r = yield self._request([location], "file_open",
                                (name, dir, st.st_size, st.st_mtime, stat.S_IMODE(st.st_mode),
                                 bool(overwrite)), timeout)
        if r == 1:
            return 1
        if not isinstance(r, int) or r <= 1:
            if r is TIMED_OUT:
                log.warning("send_file %s to %s: no reply in %s s", name, location, timeout)
            return -1
        xid = r
        try:
            f = yield run_in_thread(open, file, "rb")
        except OSError as exc:
            log.warning("send_file: cannot open %r: %s", file, exc)
            yield self._request([location], "file_abort", (xid,), timeout)
            return -1
        try:
            while True:
                data = yield run_in_thread(_read_chunk, f, CHUNK)
                if not data:
                    break
                r = yield self._request([location], "file_chunk", (xid, data), timeout)
                if r != 0:
                    if r is not LOST:
                        yield self._request([location], "file_abort", (xid,), timeout)
                    return -1
        finally:
            f.close()
        r = yield self._request([location], "file_close", (xid,), timeout)
        return 0 if r == 0 else -1

    @coro
    def del_file(self, location: Location, file: str, dir: Optional[str] = None,
                 timeout: Optional[float] = 10):
        """`r = yield kernel.del_file(loc, name, dir)`: delete a file sent
        with send_file; 0 or -1."""
        r = yield self._request([location], "del_file", (os.path.basename(file), dir), timeout)
        return 0 if r == 0 else -1

    # -- receiving side --------------------------------------------------

    def _serve_file_open(self, peer, name, subdir, size, mtime, mode, overwrite):
        try:
            path = resolve(self._dest_path, name, subdir)
        except NetError as exc:
            log.warning("file %r from %s refused: %s", name, peer.location, exc)
            return -1
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        if st is not None:
            if st.st_size == size and int(st.st_mtime) == int(mtime):
                return 1
            if not overwrite:
                log.warning("file %s from %s refused: it exists and overwrite is False",
                            path, peer.location)
                return -1
        try:
            inc = IncomingFile(path, size, self.max_file_size, mode=int(mode) & 0o777,
                               mtime=mtime)
        except (NetError, ValueError, OSError) as exc:
            log.warning("file %r from %s refused: %s", name, peer.location, exc)
            return -1
        xid = next(_ids) + 1    # 0 and 1 are status codes
        self._incoming[(peer.location, xid)] = inc
        return xid

    def _serve_file_chunk(self, peer, xid, data):
        inc = self._incoming.get((peer.location, xid))
        if inc is None:
            return -1
        try:
            inc.write(data)
        except (NetError, OSError) as exc:
            del self._incoming[(peer.location, xid)]
            inc.abort()
            log.warning("file %s from %s dropped: %s", inc.path, peer.location, exc)
            return -1
        return 0

    def _serve_file_close(self, peer, xid):
        inc = self._incoming.pop((peer.location, xid), None)
        if inc is None:
            return -1
        try:
            inc.commit()
        except (NetError, OSError) as exc:
            log.warning("file %s from %s dropped: %s", inc.path, peer.location, exc)
            return -1
        log.debug("received %s (%d bytes) from %s", inc.path, inc.size, peer.location)
        return 0

    def _serve_file_abort(self, peer, xid):
        inc = self._incoming.pop((peer.location, xid), None)
        if inc is not None:
            inc.abort()
        return 0

    def _serve_del_file(self, peer, name, subdir):
        try:
            path = resolve(self._dest_path, name, subdir)
            os.unlink(path)
        except (NetError, OSError) as exc:
            log.warning("del_file %r in %r from %s refused: %s", name, subdir, peer.location, exc)
            return -1
        # the directories send_file made for it go too, once empty (as in
        # pycos); never dest_path itself
        root = os.path.realpath(self._dest_path)
        d = os.path.dirname(path)
        while d != root and os.path.commonpath([root, d]) == root:
            try:
                os.rmdir(d)
            except OSError:
                break
            d = os.path.dirname(d)
        return 0

    def _abort_incoming(self, location) -> None:
        for key in [k for k in self._incoming if k[0] == location]:
            self._incoming.pop(key).abort()
