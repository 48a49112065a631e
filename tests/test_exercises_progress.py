"""Tests of the progress file of cnncourse.exercises: atomic, locked, robust to corruption."""
import json
import multiprocessing
import os

import pytest

import cnncourse.exercises as exs
from cnncourse.exercises import _progress
from cnncourse.exercises.first_convolution import correlate2d_valid


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_passes_are_recorded_and_shown(data_dir):
    assert _progress.progress_path() == str(data_dir / "progress.json")
    assert "0 of" in str(exs.progress())
    assert exs.check("first.correlate2d-valid", correlate2d_valid).passed
    exs.check("first.output-shape", (1, 2, 3, 4))  # wrong: not recorded
    exs.check("first.equivariance", {"a", "b"}, record=False)  # not recorded on request
    assert list(_progress.load()) == ["first.correlate2d-valid"]
    table = exs.progress()
    assert table.passed["first-convolution"] == (1, 3)
    assert "first.output-shape" in str(table) and "first.equivariance" in str(table)
    assert list(table.passed)[0] == "first-convolution"  # the book's order
    assert "<table" not in table._repr_html_() and "<pre" in table._repr_html_()
    exs.reset_progress()
    assert _progress.load() == {}


def test_first_pass_time_is_kept():
    _progress.record_pass("a.b")
    first = _progress.load()["a.b"]
    _progress.record_pass("a.b")
    assert _progress.load() == {"a.b": first}


@pytest.mark.parametrize("content", ["{not json", '["a list"]', "\xff\xfe garbage"])
def test_corrupt_file_is_set_aside_with_a_warning(data_dir, content):
    path = data_dir / "progress.json"
    path.write_bytes(content.encode("latin-1"))
    with pytest.warns(UserWarning, match="was corrupt"):
        assert _progress.load() == {}
    aside = list(data_dir.glob("progress.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == content.encode("latin-1")
    _progress.record_pass("a.b")  # new progress works
    assert list(_progress.load()) == ["a.b"]


def test_check_survives_a_corrupt_file(data_dir):
    (data_dir / "progress.json").write_text("{")
    with pytest.warns(UserWarning, match="was corrupt"):
        assert exs.check("first.equivariance", {"a", "b"}).passed
    assert list(_progress.load()) == ["first.equivariance"]


def test_check_survives_an_unwritable_data_dir(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(blocker / "sub"))
    with pytest.warns(UserWarning, match="could not record progress"):
        assert exs.check("first.equivariance", {"a", "b"}).passed


def test_interrupted_write_leaves_the_old_file_intact(data_dir, monkeypatch):
    _progress.record_pass("a.first")
    before = (data_dir / "progress.json").read_text()

    def broken_dump(obj, f, **kwargs):
        f.write('{"version": 1, "passed": {"a.fir')  # half written, then interrupted
        raise KeyboardInterrupt

    monkeypatch.setattr(_progress.json, "dump", broken_dump)
    with pytest.raises(KeyboardInterrupt):
        _progress.record_pass("a.second")
    monkeypatch.undo()
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(data_dir))
    assert (data_dir / "progress.json").read_text() == before
    assert json.loads(before)["passed"].keys() == {"a.first"}
    assert sorted(os.listdir(data_dir)) == ["progress.json", "progress.json.lock"]  # no temp left
    _progress.record_pass("a.second")
    assert set(_progress.load()) == {"a.first", "a.second"}


def _record_many(prefix, n, barrier, data_dir):
    os.environ["CNNCOURSE_DATA_DIR"] = data_dir
    barrier.wait()
    for i in range(n):
        _progress.record_pass(f"{prefix}.ex-{i}")


def test_concurrent_writers_lose_nothing(data_dir):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    workers = [ctx.Process(target=_record_many, args=(p, 30, barrier, str(data_dir)))
               for p in ("alice", "bob")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    passed = _progress.load()
    assert len(passed) == 60
    assert {k.split(".")[0] for k in passed} == {"alice", "bob"}
