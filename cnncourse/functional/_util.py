"""Validation and windowing helpers shared by every op in :mod:`cnncourse.functional`.

Convolution and pooling are the same loop over windows with a different reduction, so both
are built on :func:`windows`, one strided view made with ``sliding_window_view``.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["pair", "check_array", "check_same_dtype", "pad2d", "windows", "out_size"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def pair(value, name: str, fn: str, min_value: int = 0) -> tuple[int, int]:
    """Normalise an int or an ``(h, w)`` pair to a tuple of two ints, validating both.

    Raises ``TypeError`` for non-integers and ``ValueError`` for values below ``min_value``,
    naming the function ``fn`` and the argument ``name``.
    """
    if _is_int(value):
        values = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        values = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{fn}: {name} must be an int or a pair of ints (h, w), got {value!r}")
    if min(values) < min_value:
        what = "positive" if min_value == 1 else f">= {min_value}"
        raise ValueError(f"{fn}: {name} must be {what}, got {value!r}")
    return values


def check_array(x, name: str, fn: str, ndim: int | None = None) -> np.ndarray:
    """Check that ``x`` is a floating-point ndarray with ``ndim`` dimensions and return it."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy ndarray, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{fn}: {name} must have a floating dtype (float32 or float64), got {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        layout = {4: "(N, C, H, W)", 2: "(N, D)", 1: "(C,)"}.get(ndim, f"{ndim} dimensions")
        raise ValueError(f"{fn}: {name} must be {ndim}-D {layout}, got shape {x.shape}")
    return x


def check_same_dtype(fn: str, x: np.ndarray, **others) -> None:
    """Raise ``TypeError`` when any array in ``others`` has a different dtype from ``x``."""
    for name, arr in others.items():
        if arr is not None and arr.dtype != x.dtype:
            raise TypeError(f"{fn}: {name} has dtype {arr.dtype} but x has dtype {x.dtype}; "
                            f"convert one of them with .astype()")


def pad2d(x: np.ndarray, padding: tuple[int, int, int, int], value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of ``x`` by ``(top, bottom, left, right)``; no copy when all are 0."""
    top, bottom, left, right = padding
    if top == bottom == left == right == 0:
        return x
    width = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, width, mode="constant", constant_values=value)


def out_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Output length along one axis of an already padded input: ``(size - d(k-1) - 1) // s + 1``."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
            dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """All windows of a padded NCHW array as a read-only view.

    Returns
    -------
    view : ndarray, shape (N, C, H_out, W_out, kH, kW)
        ``view[n, c, i, j]`` is the (dilated) window whose top-left corner is at
        ``(i * sH, j * sW)`` of ``xp``. No data is copied.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    view = sliding_window_view(xp, (span_h, span_w), axis=(-2, -1))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]
