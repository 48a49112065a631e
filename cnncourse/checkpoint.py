"""Save and load a model's weights as a ``.npz`` file, safely.

* :func:`save` writes ``model.state_dict()`` with ``np.savez`` to a temporary file in the same
  folder, flushes it to disk (``fsync``) and renames it over the target with ``os.replace``,
  which is atomic: if anything fails (a full disk, an interrupted kernel) the previous
  checkpoint is still there, whole, and no temporary file is left behind.
* :func:`load` reads with ``allow_pickle=False`` (a checkpoint cannot run code), checks that
  the file is a cnncourse checkpoint, and that its arrays match the model's parameters by name
  and shape before copying anything, so a mismatch leaves the model untouched.

>>> import tempfile, os
>>> from cnncourse.models import lenet5
>>> model = lenet5(rng=0)
>>> path = os.path.join(tempfile.mkdtemp(), "lenet.npz")
>>> save(model, path, metadata={"epochs": 3})
>>> other = load(lenet5(rng=1), path)
>>> bool((other[0].weight.data == model[0].weight.data).all()), info(path)["metadata"]
(True, {'epochs': 3})
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["save", "load", "info", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_VERSION_KEY = "__cnncourse_checkpoint__"
_MODEL_KEY = "__model__"
_META_KEY = "__metadata__"
_RESERVED = (_VERSION_KEY, _MODEL_KEY, _META_KEY)


def _check_model(model, fn: str):
    if not hasattr(model, "state_dict") or not hasattr(model, "load_state_dict"):
        raise TypeError(f"{fn}: model must be a cnncourse.nn.Module (with state_dict), got "
                        f"{type(model).__name__}")


def _check_path(path, fn: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fn}: path must be a str or a path-like object, got {type(path).__name__}")
    return Path(path)


def save(model, path, *, metadata: dict | None = None) -> None:
    """Save the parameters and buffers of ``model`` to ``path``, atomically.

    Parameters
    ----------
    model : cnncourse.nn.Module
    path : str or path-like
        The file to write, used exactly as given (no ``.npz`` is appended; ``.npz`` is the
        recommended suffix). Its folder must exist. An existing file is replaced only once the
        new one is completely written.
    metadata : dict, optional
        JSON-serialisable information stored alongside (epochs, accuracy, hyperparameters...);
        read it back with :func:`info`.

    The file is an ordinary ``.npz``: ``np.load(path)`` shows one array per parameter, named
    as in ``model.state_dict()`` (``"0.weight"``...), plus a format version and the model's
    class name.
    """
    fn = "save"
    _check_model(model, fn)
    path = _check_path(path, fn)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"{fn}: folder {folder} does not exist (create it first, e.g. "
                                f"os.makedirs({str(folder)!r}))")
    state = model.state_dict()
    clash = [key for key in state if key in _RESERVED]
    if clash:
        raise ValueError(f"{fn}: state_dict keys {clash} are reserved by the checkpoint format")
    arrays = dict(state)
    arrays[_VERSION_KEY] = np.array(FORMAT_VERSION)
    arrays[_MODEL_KEY] = np.array(type(model).__name__)
    if metadata is not None:
        try:
            arrays[_META_KEY] = np.array(json.dumps(metadata))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{fn}: metadata must be JSON-serialisable (numbers, strings, lists, "
                            f"dicts), got {metadata!r}: {exc}") from None

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise
    try:                                   # make the rename itself durable (POSIX only)
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _read(path, fn: str) -> dict:
    """All arrays of a checkpoint file, with clear errors for missing or corrupted files."""
    path = _check_path(path, fn)
    if not path.exists():
        raise FileNotFoundError(f"{fn}: no checkpoint file at {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{fn}: {path} is a folder, not a checkpoint file")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive")
        try:
            arrays = {key: data[key] for key in data.files}
        finally:
            data.close()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise ValueError(f"{fn}: {path} is not a readable checkpoint (corrupted, truncated, or "
                         f"not an .npz file): {exc}") from None
    if _VERSION_KEY not in arrays:
        raise ValueError(f"{fn}: {path} is an .npz file but not a cnncourse checkpoint (no "
                         f"{_VERSION_KEY!r} entry); it holds {sorted(arrays)[:8]}")
    version = int(arrays[_VERSION_KEY])
    if version > FORMAT_VERSION:
        raise ValueError(f"{fn}: {path} has checkpoint format {version}, this version of "
                         f"cnncourse reads up to {FORMAT_VERSION}; upgrade cnncourse")
    return arrays


def load(model, path, *, strict: bool = True):
    """Load weights saved by :func:`save` into ``model`` (in place) and return ``model``.

    Parameters
    ----------
    model : cnncourse.nn.Module
        A model with the same architecture as the saved one (build it the same way first).
    path : str or path-like
    strict : bool, default True
        When False, parameters missing from the file keep their values and extra arrays in
        the file are ignored. Shapes must match in any case.

    Returns
    -------
    model
        The same object, for ``model = load(lenet5(), "lenet.npz")``.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is corrupted or not a cnncourse checkpoint, or its arrays do not match the
        model (missing or unexpected names, or a shape mismatch: the message lists them).
        The model is left unchanged.
    """
    fn = "load"
    _check_model(model, fn)
    arrays = _read(path, fn)
    saved_model = str(arrays.get(_MODEL_KEY, "?"))
    state = {k: v for k, v in arrays.items() if k not in _RESERVED}
    current = model.state_dict()
    missing = [k for k in current if k not in state]
    unexpected = [k for k in state if k not in current]
    mismatched = [f"{k}: model {current[k].shape}, file {state[k].shape}"
                  for k in current if k in state and state[k].shape != current[k].shape]
    problems = []
    if mismatched:
        problems.append("shape mismatch for " + "; ".join(mismatched))
    if strict and missing:
        problems.append(f"missing from the file: {missing}")
    if strict and unexpected:
        problems.append(f"unexpected in the file: {unexpected}")
    if problems:
        raise ValueError(f"{fn}: {path} (saved from a {saved_model}) does not fit this "
                         f"{type(model).__name__}: " + "; ".join(problems)
                         + ". Build the model with the same architecture as when it was saved")
    model.load_state_dict({k: v for k, v in state.items() if k in current}, strict=False)
    return model


def info(path) -> dict:
    """Describe a checkpoint without loading it into a model.

    Returns
    -------
    dict
        ``format`` (int), ``model`` (class name), ``shapes`` ({name: shape}) and
        ``metadata`` (the dict given to :func:`save`, or None).
    """
    arrays = _read(path, "info")
    meta = arrays.get(_META_KEY)
    return {"format": int(arrays[_VERSION_KEY]),
            "model": str(arrays.get(_MODEL_KEY, "?")),
            "shapes": {k: tuple(v.shape) for k, v in arrays.items() if k not in _RESERVED},
            "metadata": None if meta is None else json.loads(str(meta))}
