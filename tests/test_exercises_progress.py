"""Tests of the progress file of cnncourse.exercises: atomic, locked, robust to corruption."""
import json
import multiprocessing
import os

import pytest

import cnncourse.exercises as exs
from cnncourse.exercises import _progress
from cnncourse.exercises.first_convolution import correlate2d_valid

VALUE_ID = "first.output-shape"  # a value exercise used as a vehicle
VALUE_ANSWER = exs.get(VALUE_ID).expected_answer()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_PROGRESS_DIR", str(tmp_path))
    _progress._MEMORY.clear()
    _progress._WARNED.clear()
    yield tmp_path
    _progress._MEMORY.clear()
    _progress._WARNED.clear()


def test_passes_are_recorded_and_shown(data_dir):
    assert _progress.progress_path() == str(data_dir / "progress.json")
    assert "0 of" in str(exs.progress())
    assert exs.check("first.correlate2d-valid", correlate2d_valid).passed
    exs.check(VALUE_ID, (1, 2, 3, 4))  # wrong: not recorded
    exs.check(VALUE_ID, VALUE_ANSWER, record=False)  # not recorded on request
    assert list(_progress.load()) == ["first.correlate2d-valid"]
    table = exs.progress()
    assert table.passed["first-convolution"] == (1, len(exs.exercises("first-convolution")))
    assert VALUE_ID in str(table)
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
        assert exs.check(VALUE_ID, VALUE_ANSWER).passed
    assert list(_progress.load()) == [VALUE_ID]


def test_check_survives_an_unwritable_data_dir(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CNNCOURSE_PROGRESS_DIR", str(blocker / "sub"))
    with pytest.warns(UserWarning, match="progress cannot be kept on disk"):
        assert exs.check(VALUE_ID, VALUE_ANSWER).passed
    assert VALUE_ID in _progress.load()  # kept in memory


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
    monkeypatch.setenv("CNNCOURSE_PROGRESS_DIR", str(data_dir))
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


# --------------------------------------------------------------------------- damaged stores (issue 9)

def test_deeply_nested_json_is_set_aside(data_dir):
    (data_dir / "progress.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.warns(UserWarning, match="nested too deeply"):
        assert "0 of" in str(exs.progress())
    assert exs.check(VALUE_ID, VALUE_ANSWER).passed
    assert list(_progress.load()) == [VALUE_ID]


def test_a_directory_in_place_of_the_file(data_dir):
    (data_dir / "progress.json").mkdir()
    with pytest.warns(UserWarning, match="progress cannot be kept on disk"):
        assert exs.check(VALUE_ID, VALUE_ANSWER).passed
    table = exs.progress()  # no crash, and the pass is there (in memory)
    assert table.passed["first-convolution"][0] == 1
    with pytest.warns(UserWarning, match="progress cannot be kept on disk"):
        exs.reset_progress()
        assert _progress.load() == {}


def _read_only(folder, monkeypatch):
    """Make ``folder`` read-only (simulated for root, whom permissions do not stop)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    import builtins
    import tempfile

    real_open = builtins.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if str(file).startswith(str(folder)) and any(c in mode for c in "wax+"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    def no_temp(*args, **kwargs):
        raise PermissionError(13, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(tempfile, "mkstemp", no_temp)
    return lambda: None


def test_read_only_folder_with_the_file_but_no_lock_file(data_dir, monkeypatch):
    _progress.record_pass("first.correlate2d-valid")
    os.remove(data_dir / "progress.json.lock")
    undo = _read_only(data_dir, monkeypatch)
    try:
        assert list(_progress.load()) == ["first.correlate2d-valid"]  # read without the lock
        with pytest.warns(UserWarning, match="progress cannot be kept on disk"):
            assert exs.check(VALUE_ID, VALUE_ANSWER).passed
        table = exs.progress()
        assert table.passed["first-convolution"][0] == 2  # the file's pass and the new one
    finally:
        undo()


def test_pyodide_keeps_progress_under_drive(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNCOURSE_PROGRESS_DIR")
    monkeypatch.delenv("CNNCOURSE_DATA_DIR", raising=False)
    monkeypatch.setattr(_progress.sys, "platform", "emscripten")
    monkeypatch.setattr(_progress, "PYODIDE_DRIVE", str(tmp_path / "drive"))
    (tmp_path / "drive").mkdir()
    assert _progress.data_dir() == str(tmp_path / "drive" / "cnncourse")
    _progress.record_pass("a.b")
    assert (tmp_path / "drive" / "cnncourse" / "progress.json").exists()


def test_record_false_and_seed_never_record():
    assert exs.check("first.correlate2d-valid", correlate2d_valid, record=False).passed
    assert exs.check("first.correlate2d-valid", correlate2d_valid, seed=5).passed
    assert exs.check(VALUE_ID, VALUE_ANSWER, seed=5).passed
    assert _progress.load() == {}


def test_the_data_dir_variable_is_the_fallback(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNCOURSE_PROGRESS_DIR")
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path / "d"))
    assert _progress.progress_path() == str(tmp_path / "d" / "progress.json")
