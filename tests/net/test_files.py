"""Peer-supplied paths never leave dest_path; partial files never show."""
import os

import pytest

from picoos.net.errors import FileTooLargeError, NetError, PathEscapeError
from picoos.net.files import TMP_PREFIX, IncomingFile, resolve


def test_plain_names_resolve_inside(tmp_path):
    root = os.path.realpath(tmp_path)
    assert resolve(str(tmp_path), "a.txt") == os.path.join(root, "a.txt")
    assert resolve(str(tmp_path), "a.txt", "sub/dir") == os.path.join(root, "sub", "dir", "a.txt")


@pytest.mark.parametrize("name,subdir,msg", [
    ("../x", None, "path separator"),
    ("..", None, "plain, non-empty"),
    ("", None, "plain, non-empty"),
    ("/etc/passwd", None, "path separator"),
    ("x", "/etc", "is absolute"),
    ("x", "a/../../b", "'..' component"),
    ("x", "..", "'..' component"),
    ("x\x00", None, "NUL"),
    ("x", 5, "relative path string"),
])
def test_escapes_refused(tmp_path, name, subdir, msg):
    with pytest.raises(PathEscapeError, match=msg):
        resolve(str(tmp_path), name, subdir)


def test_symlinked_dir_and_file_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(str(outside), str(root / "link"))
    with pytest.raises(PathEscapeError, match="outside dest_path"):
        resolve(str(root), "f", "link")
    os.symlink(str(outside / "target"), str(root / "evil"))
    with pytest.raises(PathEscapeError, match="outside dest_path"):
        resolve(str(root), "evil")


def test_incoming_file_renamed_only_when_complete(tmp_path):
    path = resolve(str(tmp_path), "f.bin")
    inc = IncomingFile(path, 6, mtime=1_000_000)
    inc.write(b"abc")
    assert not os.path.exists(path)             # only the temp name exists
    assert [p.name.startswith(TMP_PREFIX) for p in tmp_path.iterdir()] == [True]
    inc.write(b"def")
    inc.commit()
    assert open(path, "rb").read() == b"abcdef"
    assert os.stat(path).st_mtime == 1_000_000
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_incoming_file_limits_and_abort(tmp_path):
    path = str(tmp_path / "g")
    with pytest.raises(FileTooLargeError, match="at most 10"):
        IncomingFile(path, 11, max_size=10)
    inc = IncomingFile(path, 2)
    with pytest.raises(FileTooLargeError, match="more bytes arrived"):
        inc.write(b"xyz")
    assert list(tmp_path.iterdir()) == []
    inc = IncomingFile(path, 5)
    inc.write(b"ab")
    with pytest.raises(NetError, match="got 2 bytes, expected 5"):
        inc.commit()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        IncomingFile(path, -1)
