"""Atomic file writes: a file is either its old self or completely new, never half written.

:func:`atomic_write` is the one helper the package uses to write files (checkpoints,
downloaded datasets; the exercises' progress file may use it too). It writes into a temporary
file **in the same folder** (so the final rename never crosses file systems), flushes it to disk
(``fsync``), renames it over the target with ``os.replace`` (atomic on POSIX and Windows) and
makes the rename durable (``fsync`` of the folder).

What is left behind when the writer dies:

* an exception, Ctrl-C (KeyboardInterrupt) or **SIGTERM** (the signal a notebook server or
  ``kill`` sends; handled while writing, in the main thread): the temporary file is removed at
  once, then the exception propagates or the process ends by SIGTERM as it would have;
* **SIGKILL** or a power cut cannot be caught: the temporary file stays, under the predictable
  name ``.<target name>.<pid>.cnncourse-tmp``, and the next :func:`atomic_write` or
  :func:`remove_stale` of that target deletes it (unless process ``<pid>`` is still alive, i.e.
  still writing).

Files are created with mode ``0o666`` filtered by the umask, as ``open()`` does (not the
``0o600`` of ``tempfile.mkstemp``).

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "hello.txt")
>>> atomic_write(path, lambda f: f.write(b"hello"))
>>> open(path, "rb").read()
b'hello'
"""
from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Callable

__all__ = ["atomic_write", "remove_stale", "temp_path", "TEMP_SUFFIX"]

TEMP_SUFFIX = ".cnncourse-tmp"


def _check_path(path, fn: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fn}: path must be a str or a path-like object, got {type(path).__name__}")
    return Path(path)


def temp_path(path, pid: int | None = None) -> Path:
    """The temporary file :func:`atomic_write` uses for ``path``:
    ``<folder>/.<name>.<pid>.cnncourse-tmp``."""
    path = _check_path(path, "temp_path")
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}{TEMP_SUFFIX}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True                     # exists (another user's), or unknown: keep its file
    return True


def remove_stale(path) -> list[Path]:
    """Delete the temporary files that writers of ``path`` killed by SIGKILL left behind.

    Only files named ``.<name>.<pid>.cnncourse-tmp`` whose process ``<pid>`` is gone are
    removed. Returns the removed paths.
    """
    path = _check_path(path, "remove_stale")
    folder = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}."
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid = name[len(prefix):-len(TEMP_SUFFIX)]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            entry.unlink()
            removed.append(entry)
        except OSError:
            pass
    return removed


class _Terminated(BaseException):
    """SIGTERM arrived while writing: unwind, remove the temporary file, then die by SIGTERM."""


def _fsync_folder(folder: Path) -> None:
    try:                                   # make the rename itself durable (POSIX only)
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, write: Callable, *, fn: str = "atomic_write") -> None:
    """Write ``path`` atomically: ``write(f)`` fills a binary file object ``f``.

    Parameters
    ----------
    path : str or path-like
        The target; its folder must exist. It is replaced only once the new content is
        completely on disk.
    write : callable ``f -> None``
        Writes the content into ``f`` (opened ``"wb"``).
    fn : str
        The public function calling this, for error messages.
    """
    path = _check_path(path, fn)
    if not callable(write):
        raise TypeError(f"{fn}: write must be a callable f -> None, got {type(write).__name__}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"{fn}: folder {folder} does not exist (create it first, e.g. "
                                f"os.makedirs({str(folder)!r}))")
    remove_stale(path)
    tmp = temp_path(path)
    handle_term = threading.current_thread() is threading.main_thread()
    previous = None
    if handle_term:
        def on_term(signum, frame):
            raise _Terminated
        try:
            previous = signal.signal(signal.SIGTERM, on_term)
        except (ValueError, OSError):       # not allowed here (embedded interpreters)
            handle_term = False
    terminated = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                     0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.remove(tmp)
            except FileNotFoundError:
                pass
            raise
    except _Terminated:
        terminated = True
    finally:
        if handle_term:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
    if terminated:
        os.kill(os.getpid(), signal.SIGTERM)   # end as the signal's previous handler would
        return
    _fsync_folder(folder)
