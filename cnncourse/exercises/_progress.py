"""The learner's progress: which exercises passed, kept in a small JSON file.

The file is ``progress.json`` in ``platformdirs.user_data_dir("cnncourse")``, or in the folder
named by the environment variable ``CNNCOURSE_DATA_DIR``. It is safe to use from several
notebooks at once:

* every update is a read-modify-write under an exclusive ``fcntl.flock`` on a separate
  ``progress.json.lock`` file, so two processes never lose each other's passes;
* the new content is written to a temporary file in the same folder, flushed, ``fsync``-ed and
  moved over the old one with ``os.replace``: an interrupted write leaves the old file intact;
* a corrupt file is renamed ``progress.json.corrupt-<timestamp>`` with a warning, and progress
  starts afresh: never a crash.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import tempfile
import warnings

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, the atomic replace still holds
    fcntl = None

__all__ = ["data_dir", "progress_path", "load", "record_pass", "reset"]

ENV_VAR = "CNNCOURSE_DATA_DIR"
FILENAME = "progress.json"
VERSION = 1


def data_dir() -> str:
    """The folder holding the progress file (``$CNNCOURSE_DATA_DIR`` or the user data dir)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    import platformdirs

    return platformdirs.user_data_dir("cnncourse", appauthor=False)


def progress_path() -> str:
    return os.path.join(data_dir(), FILENAME)


@contextlib.contextmanager
def _locked(path: str):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "a+") as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _read(path: str) -> dict:
    """Read the progress file (call under the lock); set a corrupt file aside."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not (isinstance(data, dict) and isinstance(data.get("passed"), dict)):
            raise ValueError("not a cnncourse progress file (no 'passed' mapping)")
        return data
    except FileNotFoundError:
        return {"version": VERSION, "passed": {}}
    except (ValueError, UnicodeDecodeError) as err:
        stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        aside = f"{path}.corrupt-{stamp}"
        os.replace(path, aside)
        warnings.warn(f"cnncourse: the progress file {path} was corrupt ({err}); it was moved "
                      f"aside to {aside} and progress starts afresh.", stacklevel=3)
        return {"version": VERSION, "passed": {}}


def _write(path: str, data: dict) -> None:
    """Write atomically: temp file in the same folder, fsync, os.replace, fsync the folder."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=FILENAME + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def load() -> dict[str, str]:
    """``{exercise_id: ISO time of the first pass}`` for every exercise passed so far."""
    path = progress_path()
    if not os.path.exists(path):
        return {}
    with _locked(path):
        return dict(_read(path)["passed"])


def record_pass(exercise_id: str) -> None:
    """Record that ``exercise_id`` passed (keeps the time of the first pass)."""
    path = progress_path()
    with _locked(path):
        data = _read(path)
        if exercise_id in data["passed"]:
            return
        data["passed"][exercise_id] = _now()
        data["version"] = VERSION
        _write(path, data)


def reset() -> None:
    """Forget all progress (the file is rewritten empty)."""
    path = progress_path()
    with _locked(path):
        _write(path, {"version": VERSION, "passed": {}})
