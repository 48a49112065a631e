"""Tests for cnncourse.checkpoint: exact round trip, clear errors, atomic writes."""
import os

import numpy as np
import pytest

from cnncourse import checkpoint, nn
from cnncourse.checkpoint import info, load, save
from cnncourse.models import lenet5, mlp


@pytest.fixture
def model():
    return lenet5(num_classes=4, input_size=16, rng=np.random.default_rng(0))


def test_round_trip_exact(tmp_path, model):
    path = tmp_path / "lenet.npz"
    save(model, path, metadata={"epochs": 3, "acc": 0.98})
    fresh = lenet5(num_classes=4, input_size=16, rng=np.random.default_rng(99))
    assert load(fresh, path) is fresh
    for (name, a), (_, b) in zip(model.named_parameters(), fresh.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
        assert a.data.dtype == b.data.dtype
    x = np.random.default_rng(1).random((5, 1, 16, 16), dtype=np.float32)
    np.testing.assert_array_equal(model(x), fresh(x))
    meta = info(path)
    assert meta["format"] == checkpoint.FORMAT_VERSION and meta["model"] == "Sequential"
    assert meta["metadata"] == {"epochs": 3, "acc": 0.98}
    assert meta["shapes"]["0.weight"] == (6, 1, 5, 5)
    with np.load(path, allow_pickle=False) as raw:          # a plain .npz, readable by anyone
        assert "3.bias" in raw.files


def test_round_trip_buffers_and_str_path(tmp_path):
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=rng), nn.BatchNorm2d(2), nn.ReLU())
    model(np.random.default_rng(0).random((4, 1, 6, 6), dtype=np.float32))   # update running stats
    path = str(tmp_path / "bn.npz")
    save(model, path)
    other = nn.Sequential(nn.Conv2d(1, 2, 3, rng=rng), nn.BatchNorm2d(2), nn.ReLU())
    load(other, path)
    np.testing.assert_array_equal(other[1].running_mean, model[1].running_mean)
    assert not np.all(other[1].running_mean == 0)


def test_load_missing_file(tmp_path, model):
    with pytest.raises(FileNotFoundError, match=r"load: no checkpoint file at .*nope\.npz"):
        load(model, tmp_path / "nope.npz")


def test_load_corrupted_file(tmp_path, model):
    path = tmp_path / "m.npz"
    save(model, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])                 # truncated
    with pytest.raises(ValueError, match="load: .* is not a readable checkpoint"):
        load(model, path)
    path.write_bytes(b"this is not a checkpoint at all" * 10)
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load(model, path)


def test_load_other_npz_or_npy(tmp_path, model):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a cnncourse checkpoint"):
        load(model, tmp_path / "other.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        load(model, tmp_path / "single.npy")


def test_load_wrong_architecture_names_the_problem(tmp_path, model):
    path = tmp_path / "m.npz"
    save(model, path)
    before = {k: v.copy() for k, v in mlp(16, (8,), num_classes=4, rng=0).state_dict().items()}
    other = mlp(16, (8,), num_classes=4, rng=0)
    with pytest.raises(ValueError, match=r"missing from the file: .*unexpected in the file"):
        load(other, path)
    for k, v in other.state_dict().items():                  # untouched
        np.testing.assert_array_equal(v, before[k])
    wider = lenet5(num_classes=7, input_size=16, rng=0)
    with pytest.raises(ValueError, match=r"shape mismatch for 11\.weight: model \(7, 84\), file \(4, 84\)"):
        load(wider, path)


def test_load_non_strict_ignores_extra_keys(tmp_path):
    rng = np.random.default_rng(0)
    small = nn.Sequential(nn.Linear(3, 2, rng=rng))
    big = nn.Sequential(nn.Linear(3, 2, rng=rng), nn.ReLU(), nn.Linear(2, 2, rng=rng))
    save(big, tmp_path / "big.npz")
    load(small, tmp_path / "big.npz", strict=False)
    np.testing.assert_array_equal(small[0].weight.data, big[0].weight.data)


def test_crash_during_savez_keeps_old_file(tmp_path, model, monkeypatch):
    path = tmp_path / "m.npz"
    save(model, path)
    good = path.read_bytes()

    def boom(f, arrays):
        f.write(b"half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(checkpoint, "_write_npz", boom)
    with pytest.raises(OSError, match="No space left"):
        save(lenet5(num_classes=4, input_size=16, rng=5), path)
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["m.npz"], "no temporary file left behind"


def test_crash_during_replace_keeps_old_file(tmp_path, model, monkeypatch):
    path = tmp_path / "m.npz"
    save(model, path)
    good = path.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(lenet5(num_classes=4, input_size=16, rng=5), path)
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]
    monkeypatch.undo()
    load(lenet5(num_classes=4, input_size=16, rng=1), path)   # still a valid checkpoint


def test_save_errors(tmp_path, model):
    with pytest.raises(FileNotFoundError, match="save: folder .* does not exist"):
        save(model, tmp_path / "missing" / "m.npz")
    with pytest.raises(TypeError, match="save: metadata must be JSON-serialisable"):
        save(model, tmp_path / "m.npz", metadata={"x": object()})
    with pytest.raises(TypeError, match="save: model must be a cnncourse.nn.Module"):
        save("model", tmp_path / "m.npz")
    with pytest.raises(TypeError, match="save: path must be a str"):
        save(model, 42)
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------------------------
# issue 13: kills during save, umask, lazy name checks, bad versions, names, layer types
# --------------------------------------------------------------------------------------------

import signal
import subprocess
import sys
import textwrap
import time


_SLOW_SAVER = textwrap.dedent("""
    import sys, time, numpy as np
    from cnncourse import checkpoint, nn
    model = nn.Sequential(*[nn.Linear(400, 400, rng=0) for _ in range(30)])
    real_write = checkpoint._write_npz
    def slow_write(f, arrays):
        real_write(f, arrays)
        f.flush()
        print("writing", flush=True)
        time.sleep(60)                            # killed here: a full temp file on disk
    checkpoint._write_npz = slow_write
    checkpoint.save(model, sys.argv[1])
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_no_temp_file_left_after_a_kill_during_save(tmp_path, sig):
    target = tmp_path / "model.npz"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_SAVER, str(target)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "writing"
        leftovers = [p for p in tmp_path.iterdir()]
        assert leftovers, "the temp file exists while writing"
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    if sig == signal.SIGTERM:                     # handled: removed at once
        assert list(tmp_path.iterdir()) == []
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    save(model, target)                           # the next save cleans a killed save's leftovers
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_load_cleans_leftovers_of_a_killed_save(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    target = tmp_path / "model.npz"
    save(model, target)
    stale = tmp_path / f".model.npz.{999999999}.cnncourse-tmp"
    stale.write_bytes(b"x" * 100)
    load(model, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_saved_file_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        save(nn.Sequential(nn.Linear(2, 2, rng=0)), tmp_path / "a.npz")
        os.umask(0o077)
        save(nn.Sequential(nn.Linear(2, 2, rng=0)), tmp_path / "b.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "a.npz").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.npz").stat().st_mode & 0o777 == 0o600


def test_load_checks_entry_names_before_reading_data(tmp_path, monkeypatch):
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    path = tmp_path / "big.npz"
    np.savez(path, **{"__cnncourse_checkpoint__": np.array(1), "huge": np.zeros(10)})
    read = []
    real_getitem = np.lib.npyio.NpzFile.__getitem__

    def spy(self, key):
        read.append(key)
        return real_getitem(self, key)

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", spy)
    with pytest.raises(ValueError, match=r"unexpected in the file: \['huge'\]"):
        load(model, path)
    assert "huge" not in read


@pytest.mark.parametrize("version", [np.array("one"), np.array([1, 2]), np.array(1.5)],
                         ids=["str", "array", "float"])
def test_bad_version_entry_is_a_clear_error(tmp_path, version):
    path = tmp_path / "bad.npz"
    np.savez(path, **{"__cnncourse_checkpoint__": version})
    with pytest.raises(ValueError, match=r"load: .*bad.npz has a malformed format version entry "
                                         r"'__cnncourse_checkpoint__'"):
        load(nn.Sequential(nn.Linear(2, 2, rng=0)), path)


def test_a_parameter_named_file_round_trips(tmp_path):
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.file = nn.Parameter(np.arange(3.0))
            self.allow_pickle = nn.Parameter(np.ones(2))

    path = tmp_path / "odd.npz"
    save(Odd(), path)
    other = Odd()
    other.file.data[...] = 0
    load(other, path)
    np.testing.assert_array_equal(other.file.data, np.arange(3.0))


def test_layer_types_are_recorded_and_checked(tmp_path):
    path = tmp_path / "conv.npz"
    save(nn.Sequential(nn.Conv2d(6, 6, 3, rng=0)), path)
    assert info(path)["layers"] == {"": "Sequential", "0": "Conv2d"}
    with pytest.raises(ValueError, match=r"load: .*conv.npz holds layer '0' of type Conv2d, the "
                                         r"model has ConvTranspose2d"):
        load(nn.Sequential(nn.ConvTranspose2d(6, 6, 3, rng=0)), path)
    load(nn.Sequential(nn.Conv2d(6, 6, 3, rng=1)), path)


def test_load_strict_must_be_a_bool(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2, rng=np.random.default_rng(0)))
    save(model, tmp_path / "m.npz")
    with pytest.raises(TypeError, match=r"^load: strict must be True or False, got 'no'"):
        load(model, tmp_path / "m.npz", strict="no")
