"""The learner's progress: which exercises passed, kept in a small JSON file.

The file is ``progress.json`` in ``platformdirs.user_data_dir("cnncourse")``, or in the folder
named by the environment variable ``CNNCOURSE_PROGRESS_DIR`` (else ``CNNCOURSE_DATA_DIR``). It is safe to use from several
notebooks at once:

* every update is a read-modify-write under an exclusive ``fcntl.flock`` on a separate
  ``progress.json.lock`` file, so two processes never lose each other's passes;
* the new content is written to a temporary file in the same folder, flushed, ``fsync``-ed and
  moved over the old one with ``os.replace``: an interrupted write leaves the old file intact;
* a corrupt file (bad JSON, JSON nested too deeply to read, not a progress mapping) is renamed
  ``progress.json.corrupt-<timestamp>`` with a warning, and progress starts afresh;
* a store that cannot be used at all (a directory where the file should be, a read-only folder,
  a lock file that cannot be created) gives one warning, and passes are kept in memory for the
  rest of the session: ``check`` and ``progress`` never crash because of the store.

In Pyodide (JupyterLite, ``sys.platform == "emscripten"``) the folder is ``/drive/cnncourse``
when ``/drive`` (JupyterLite's persistent, browser-backed folder) exists.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import os
import sys
import warnings

from ..io import atomic_write

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, the atomic replace still holds
    fcntl = None

__all__ = ["data_dir", "progress_path", "load", "record_pass", "reset"]

ENV_VAR = "CNNCOURSE_DATA_DIR"
PROGRESS_ENV_VAR = "CNNCOURSE_PROGRESS_DIR"  # wins over ENV_VAR: for progress only (tests use it)
FILENAME = "progress.json"
VERSION = 1
PYODIDE_DRIVE = "/drive"
_MEMORY: dict[str, str] = {}  # passes that could not be written (the store is unusable)
_WARNED: set = set()


class StoreError(Exception):
    """The progress store cannot be read or written."""


def _warn_once(key, text: str) -> None:
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(text, stacklevel=4)


def data_dir() -> str:
    """The folder holding the progress file: ``$CNNCOURSE_PROGRESS_DIR``, else
    ``$CNNCOURSE_DATA_DIR``, else ``/drive/cnncourse`` in JupyterLite (Pyodide), else the user
    data dir."""
    env = os.environ.get(PROGRESS_ENV_VAR) or os.environ.get(ENV_VAR)
    if env:
        return env
    if sys.platform == "emscripten" and os.path.isdir(PYODIDE_DRIVE):
        return os.path.join(PYODIDE_DRIVE, "cnncourse")
    import platformdirs

    return platformdirs.user_data_dir("cnncourse", appauthor=False)


def progress_path() -> str:
    return os.path.join(data_dir(), FILENAME)


@contextlib.contextmanager
def _locked(path: str, need: bool = True):
    """An exclusive lock on ``path + '.lock'``. With ``need=False`` (reading), a lock file that
    cannot be created (a read-only folder) means reading without the lock."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        lock = open(path + ".lock", "a+")
    except OSError as err:
        if need:
            raise StoreError(f"cannot create the lock file {path}.lock ({err})") from err
        yield
        return
    with lock:
        if fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _read(path: str) -> dict:
    """Read the progress file (call under the lock); set a corrupt file aside.

    Raises :class:`StoreError` when the file cannot be read at all."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not (isinstance(data, dict) and isinstance(data.get("passed"), dict)):
            raise ValueError("not a cnncourse progress file (no 'passed' mapping)")
        passed = {str(k): str(v) for k, v in data["passed"].items()}
        return {"version": VERSION, "passed": passed}
    except FileNotFoundError:
        return {"version": VERSION, "passed": {}}
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        reason = "nested too deeply to read" if isinstance(err, RecursionError) else err
        stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        aside = f"{path}.corrupt-{stamp}"
        try:
            os.replace(path, aside)
        except OSError as move_err:
            raise StoreError(f"the progress file {path} is corrupt ({reason}) and cannot be "
                             f"moved aside ({move_err})") from None
        warnings.warn(f"cnncourse: the progress file {path} was corrupt ({reason}); it was moved "
                      f"aside to {aside} and progress starts afresh.", stacklevel=4)
        return {"version": VERSION, "passed": {}}
    except OSError as err:  # a directory in place of the file, no permission, ...
        raise StoreError(f"cannot read the progress file {path} ({err})") from None


def _write(path: str, data: dict) -> None:
    """Write atomically through :func:`cnncourse.io.atomic_write` (temp file, fsync, replace)."""
    def dump(f):
        text = io.TextIOWrapper(f, encoding="utf-8")
        json.dump(data, text, indent=1, sort_keys=True)
        text.flush()
        text.detach()    # leave f open: atomic_write flushes, fsyncs and closes it

    atomic_write(path, dump, fn="progress")


def _unusable(err) -> None:
    _warn_once(("store", str(err)), f"cnncourse: progress cannot be kept on disk: {err}. Passes "
                                    "are kept in memory until the kernel restarts.")


def load() -> dict[str, str]:
    """``{exercise_id: ISO time of the first pass}`` for every exercise passed so far."""
    path = progress_path()
    stored: dict[str, str] = {}
    try:
        if os.path.lexists(path):
            with _locked(path, need=False):
                stored = dict(_read(path)["passed"])
    except (StoreError, OSError) as err:
        _unusable(err)
    return {**_MEMORY, **stored}


def record_pass(exercise_id: str) -> None:
    """Record that ``exercise_id`` passed (keeps the time of the first pass)."""
    path = progress_path()
    try:
        with _locked(path):
            data = _read(path)
            if exercise_id in data["passed"]:
                return
            data["passed"][exercise_id] = _MEMORY.get(exercise_id, _now())
            _write(path, data)
    except (StoreError, OSError) as err:
        _unusable(err)
        _MEMORY.setdefault(exercise_id, _now())


def reset() -> None:
    """Forget all progress (the file is rewritten empty)."""
    _MEMORY.clear()
    path = progress_path()
    try:
        with _locked(path):
            _write(path, {"version": VERSION, "passed": {}})
    except (StoreError, OSError) as err:
        _unusable(err)
