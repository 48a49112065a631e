"""Argument checks shared by the modules of :mod:`cnncourse.train` (data pairs, model, loss,
optimizer); the basic checks come from :mod:`cnncourse.checks`."""
from __future__ import annotations

import numpy as np

from ..checks import check_array
from ..nn import Module


def check_X(X, name: str, fn: str) -> np.ndarray:
    X = check_array(X, fn, name)
    if X.ndim < 1 or X.shape[0] == 0:
        raise ValueError(f"{fn}: {name} is empty (shape {X.shape}); need at least one sample")
    return X


def check_finite(X: np.ndarray, name: str, fn: str) -> None:
    bad = ~np.isfinite(X)
    count = int(bad.sum())
    if count:
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        plural = "" if count == 1 else "s"
        raise ValueError(f"{fn}: {name} has {count} non-finite value{plural} (NaN or inf), the "
                         f"first at index {first}; clean them (np.nan_to_num) or drop those "
                         f"samples")


def check_data(data, name: str, fn: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{fn}: {name} must be a pair (X, y), got {type(data).__name__}"
                        + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    X, y = data
    X = check_X(X, f"{name} X", fn)
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{fn}: {name} y must be a numpy ndarray, got {type(y).__name__}")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{fn}: {name} y must be a 1-D array of integer class labels, got "
                        f"shape {y.shape} and dtype {y.dtype}")
    if len(X) != len(y):
        raise ValueError(f"{fn}: {name} X and y have different lengths ({len(X)} samples, "
                         f"{len(y)} labels)")
    return X, y


def check_labels(y: np.ndarray, num_classes: int, name: str, fn: str) -> None:
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= num_classes:
        raise ValueError(f"{fn}: {name} y has labels outside [0, {num_classes}) (min {low}, "
                         f"max {high}); the model has {num_classes} outputs")


def check_model(model, fn: str):
    if not isinstance(model, Module):
        raise TypeError(f"{fn}: model must be a cnncourse.nn.Module, got {type(model).__name__}")
    return model


def check_loss(loss_fn, fn: str):
    if not callable(loss_fn) or not callable(getattr(loss_fn, "backward", None)):
        raise TypeError(f"{fn}: loss_fn must be a loss module such as nn.CrossEntropyLoss() "
                        f"(callable, with backward()), got {type(loss_fn).__name__}")
    return loss_fn


def check_optimizer(optimizer, model, fn: str):
    if not (callable(getattr(optimizer, "step", None))
            and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(f"{fn}: optimizer must be an optimizer such as "
                        f"optim.SGD(model.parameters(), lr=0.1) (with step() and zero_grad()), "
                        f"got {type(optimizer).__name__}")
    params = getattr(optimizer, "params", None)
    if params is not None:
        mine = {id(p) for p in model.parameters()}
        if mine and not any(id(p) in mine for p in params):
            raise ValueError(f"{fn}: the optimizer does not update model's parameters (it was "
                             f"built on another model's, so training would change nothing); "
                             f"build it on this one: {type(optimizer).__name__}"
                             f"(model.parameters(), ...)")
    return optimizer


def batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))
