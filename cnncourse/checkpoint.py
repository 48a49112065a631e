"""Save and load a model's weights as a ``.npz`` file, safely.

* :func:`save` writes ``model.state_dict()`` as an ordinary ``.npz`` through
  :func:`cnncourse.io.atomic_write`: a temporary file in the same folder, flushed to disk and
  renamed over the target, so if anything fails (a full disk, an interrupted kernel, SIGTERM)
  the previous checkpoint is still there, whole, and the temporary file is removed; after a
  SIGKILL, the next save or load of that file removes it. The file follows the umask, and
  records the type of every layer.
* :func:`load` reads with ``allow_pickle=False`` (a checkpoint cannot run code) and checks,
  before reading any parameter's data, that the file is a cnncourse checkpoint, that its entry
  names and shapes (read from the headers) match the model's parameters and that its layer
  types match the model's (a ``Conv2d`` checkpoint does not load into a ``ConvTranspose2d`` of
  the same shapes), so a mismatch leaves the model untouched and a hostile archive cannot make
  it allocate memory for entries it does not need.

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
import zipfile
from pathlib import Path

import numpy as np

from .checks import check_bool
from .io import atomic_write, remove_stale

__all__ = ["save", "load", "info", "FORMAT_VERSION"]

FORMAT_VERSION = 2          # 2 adds the layer types; files of format 1 still load
_VERSION_KEY = "__cnncourse_checkpoint__"
_MODEL_KEY = "__model__"
_META_KEY = "__metadata__"
_LAYERS_KEY = "__layers__"
_RESERVED = (_VERSION_KEY, _MODEL_KEY, _META_KEY, _LAYERS_KEY)


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
    state = model.state_dict()
    clash = [key for key in state if key in _RESERVED]
    if clash:
        raise ValueError(f"{fn}: state_dict keys {clash} are reserved by the checkpoint format")
    arrays = dict(state)
    arrays[_VERSION_KEY] = np.array(FORMAT_VERSION)
    arrays[_MODEL_KEY] = np.array(type(model).__name__)
    arrays[_LAYERS_KEY] = np.array(json.dumps(_layer_types(model)))
    if metadata is not None:
        try:
            arrays[_META_KEY] = np.array(json.dumps(metadata))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{fn}: metadata must be JSON-serialisable (numbers, strings, lists, "
                            f"dicts), got {metadata!r}: {exc}") from None
    atomic_write(path, lambda f: _write_npz(f, arrays), fn=fn)


def _layer_types(model) -> dict:
    if not hasattr(model, "named_modules"):
        return {}
    return {name: type(module).__name__ for name, module in model.named_modules()}


def _write_npz(f, arrays: dict) -> None:
    """What ``np.savez`` writes (one ``.npy`` per entry in a zip), without its ``file``
    argument, so an entry may be called ``file`` (a parameter ``self.file``)."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, value in arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(value), allow_pickle=False)


class _Archive:
    """An open checkpoint: entry names, shapes from the ``.npy`` headers, and arrays read one
    at a time, only when asked for."""

    def __init__(self, path, fn: str):
        self.path = path = _check_path(path, fn)
        self.fn = fn
        if not path.exists():
            raise FileNotFoundError(f"{fn}: no checkpoint file at {path}")
        if path.is_dir():
            raise IsADirectoryError(f"{fn}: {path} is a folder, not a checkpoint file")
        remove_stale(path)
        try:
            data = np.load(path, allow_pickle=False)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise self._unreadable(exc) from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{fn}: {path} is not a readable checkpoint (corrupted, truncated, "
                             f"or not an .npz file): it holds a single array, not an .npz archive")
        self.data = data
        self.names = list(data.files)
        if _VERSION_KEY not in self.names:
            self.close()
            raise ValueError(f"{fn}: {path} is an .npz file but not a cnncourse checkpoint (no "
                             f"{_VERSION_KEY!r} entry); it holds {sorted(self.names)[:8]}")
        version = self.array(_VERSION_KEY)
        if (version.shape != () or not np.issubdtype(version.dtype, np.integer)
                or int(version) < 1):
            self.close()
            raise ValueError(f"{fn}: {path} has a malformed format version entry "
                             f"{_VERSION_KEY!r}: expected an int >= 1, got an array of dtype "
                             f"{version.dtype} and shape {version.shape}; the file is corrupted "
                             f"or was not written by cnncourse.checkpoint.save")
        self.version = int(version)
        if self.version > FORMAT_VERSION:
            self.close()
            raise ValueError(f"{fn}: {path} has checkpoint format {self.version}, this version "
                             f"of cnncourse reads up to {FORMAT_VERSION}; upgrade cnncourse")

    def _unreadable(self, exc):
        return ValueError(f"{self.fn}: {self.path} is not a readable checkpoint (corrupted, "
                          f"truncated, or not an .npz file): {exc}")

    def array(self, key: str) -> np.ndarray:
        try:
            return self.data[key]
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
            self.close()
            raise self._unreadable(exc) from None

    def shape(self, key: str) -> tuple:
        """The entry's shape, from its ``.npy`` header (its data is not read)."""
        try:
            with self.data.zip.open(key + ".npy") as f:
                major, _ = np.lib.format.read_magic(f)
                read = (np.lib.format.read_array_header_1_0 if major == 1
                        else np.lib.format.read_array_header_2_0)
                return tuple(read(f)[0])
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
            self.close()
            raise self._unreadable(exc) from None

    def text(self, key: str):
        return str(self.array(key)) if key in self.names else None

    @property
    def state_names(self) -> list:
        return [k for k in self.names if k not in _RESERVED]

    def close(self) -> None:
        self.data.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
    strict = check_bool(strict, fn, "strict")
    with _Archive(path, fn) as archive:
        saved_model = archive.text(_MODEL_KEY) or "?"
        names = archive.state_names
        current = model.state_dict()
        missing = [k for k in current if k not in names]
        unexpected = [k for k in names if k not in current]
        problems = []
        if strict and missing:
            problems.append(f"missing from the file: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected in the file: {unexpected}")
        if problems:
            raise ValueError(f"{fn}: {path} (saved from a {saved_model}) does not fit this "
                             f"{type(model).__name__}: " + "; ".join(problems)
                             + ". Build the model with the same architecture as when it was saved")
        mismatched = [f"{k}: model {current[k].shape}, file {archive.shape(k)}"
                      for k in current if k in names and archive.shape(k) != current[k].shape]
        if mismatched:
            raise ValueError(f"{fn}: {path} (saved from a {saved_model}) does not fit this "
                             f"{type(model).__name__}: shape mismatch for " + "; ".join(mismatched)
                             + ". Build the model with the same architecture as when it was saved")
        layers = archive.text(_LAYERS_KEY)
        if layers is not None:
            saved_types = json.loads(layers)
            for name, kind in _layer_types(model).items():
                if name in saved_types and saved_types[name] != kind:
                    where = f"layer {name!r}" if name else "the model"
                    raise ValueError(f"{fn}: {path} holds {where} of type {saved_types[name]}, "
                                     f"the model has {kind}; build the model with the same layer "
                                     f"types as when it was saved")
        state = {k: archive.array(k) for k in names if k in current}
    model.load_state_dict(state, strict=False)
    return model


def info(path) -> dict:
    """Describe a checkpoint without loading it into a model (no parameter data is read).

    Returns
    -------
    dict
        ``format`` (int), ``model`` (class name), ``layers`` ({name: layer type}, empty for
        format 1 files), ``shapes`` ({name: shape}) and ``metadata`` (the dict given to
        :func:`save`, or None).
    """
    with _Archive(path, "info") as archive:
        meta = archive.text(_META_KEY)
        layers = archive.text(_LAYERS_KEY)
        return {"format": archive.version,
                "model": archive.text(_MODEL_KEY) or "?",
                "layers": {} if layers is None else json.loads(layers),
                "shapes": {k: archive.shape(k) for k in archive.state_names},
                "metadata": None if meta is None else json.loads(meta)}
