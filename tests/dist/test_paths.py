"""dist's file names from peers, and shipped files put into server folders."""
import os

import pytest

from picoos.dist.paths import UnsafePath, link_or_copy, safe_join


def test_safe_join_keeps_names_inside(tmp_path):
    assert safe_join(str(tmp_path), "data/input.csv") == str(tmp_path / "data" / "input.csv")
    for bad in ("../x", "/etc/passwd", "", "a/../../x"):
        with pytest.raises(UnsafePath):
            safe_join(str(tmp_path), bad)


def test_link_or_copy_links_and_replaces(tmp_path):
    source = tmp_path / "session" / "input.dat"
    source.parent.mkdir()
    source.write_bytes(b"first")
    target = tmp_path / "session" / "server-1" / "data" / "input.dat"
    link_or_copy(str(source), str(target))          # makes the folders too
    assert target.read_bytes() == b"first"
    assert os.stat(source).st_ino == os.stat(target).st_ino     # a hard link, no copy
    source.unlink()                                  # shipped again: new content
    source.write_bytes(b"second")
    link_or_copy(str(source), str(target))
    assert target.read_bytes() == b"second"
