"""Classification metrics: accuracy and the confusion matrix."""
from __future__ import annotations

import numpy as np

from ..checks import check_positive_int

__all__ = ["accuracy", "confusion_matrix"]


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of equal labels: ``mean(y_true == y_pred)``."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError(f"accuracy: y_true and y_pred must be non-empty 1-D arrays of the same "
                         f"length, got shapes {y_true.shape} and {y_pred.shape}")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : ndarray of int, shape (N,)
    num_classes : int, optional
        Number of classes C; default ``max(y_true.max(), y_pred.max()) + 1``.

    Returns
    -------
    cm : ndarray of int64, shape (C, C)
        ``cm[i, j]`` is the number of samples of true class ``i`` predicted as ``j``: the
        diagonal holds the correct predictions, each row sums to the size of its class.
    """
    fn = "confusion_matrix"
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{fn}: {name} must be a 1-D array of integer labels, got shape "
                            f"{arr.shape} and dtype {arr.dtype}")
    if len(y_true) != len(y_pred):
        raise ValueError(f"{fn}: y_true and y_pred have different lengths "
                         f"({len(y_true)} and {len(y_pred)})")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
        num_classes = max(num_classes, 1)
    num_classes = check_positive_int(num_classes, fn, "num_classes")
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if len(arr) and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(f"{fn}: {name} has labels outside [0, {num_classes}) "
                             f"(min {arr.min()}, max {arr.max()})")
    cm = np.bincount(y_true.astype(np.int64) * num_classes + y_pred.astype(np.int64),
                     minlength=num_classes * num_classes)
    return cm.reshape(num_classes, num_classes).astype(np.int64)
