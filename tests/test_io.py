"""Tests for cnncourse.io: atomic writes, temp-file names, stale-file cleaning, umask."""
import os

import pytest

from cnncourse.io import TEMP_SUFFIX, atomic_write, remove_stale, temp_path


def test_atomic_write_replaces_only_when_complete(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write(path, lambda f: f.write(b"old"))
    assert path.read_bytes() == b"old"

    def fail(f):
        f.write(b"half")
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_temp_path_and_remove_stale_keep_live_writers(tmp_path):
    path = tmp_path / "f.bin"
    mine = temp_path(path)
    assert mine.name == f".f.bin.{os.getpid()}{TEMP_SUFFIX}"
    mine.write_bytes(b"being written")                       # a live writer (this process)
    dead = temp_path(path, pid=999999999)
    dead.write_bytes(b"left by SIGKILL")
    other = tmp_path / ".g.bin.999999999.cnncourse-tmp"       # another target's: not touched
    other.write_bytes(b"x")
    assert remove_stale(path) == [dead]
    assert mine.exists() and other.exists() and not dead.exists()


def test_atomic_write_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "f", lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("call, error, match", [
    (lambda p: atomic_write(None, lambda f: None), TypeError, r"^atomic_write: path must be a str"),
    (lambda p: atomic_write(p / "f", b"data"), TypeError, r"^atomic_write: write must be a callable"),
    (lambda p: atomic_write(p / "missing" / "f", lambda f: None), FileNotFoundError,
     r"^atomic_write: folder .*missing does not exist"),
    (lambda p: remove_stale(3), TypeError, r"^remove_stale: path must be a str"),
], ids=["path", "write", "folder", "remove_stale"])
def test_errors(tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        call(tmp_path)
