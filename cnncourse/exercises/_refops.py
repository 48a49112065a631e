"""Reference operations of the exercises, written with numpy only and bound at import.

The checker's expected outputs must not change when a notebook rebinds a package function or
constant (``cnncourse.signal.correlate2d = ...``, ``filters.SOBEL_X = ...``): the chapter
modules call these private copies, which look nothing up in ``cnncourse`` at check time.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as _windows

_einsum = np.einsum
_pad = np.pad
_zeros = np.zeros
_asarray = np.asarray

__all__ = ["correlate_valid", "convolve_full", "correlate_full", "frozen"]


def correlate_valid(x, k):
    """Valid 2D cross-correlation of x (H, W) with k (kH, kW): shape (H - kH + 1, W - kW + 1)."""
    x, k = _asarray(x), _asarray(k)
    return _einsum("ijuv,uv->ij", _windows(x, k.shape), k)


def correlate_full(a, b):
    """Full 2D cross-correlation: every position where ``b`` overlaps ``a``."""
    a, b = _asarray(a), _asarray(b)
    c, d = b.shape
    return correlate_valid(_pad(a, ((c - 1, c - 1), (d - 1, d - 1))), b)


def convolve_full(a, b):
    """Full 2D convolution (kernel flipped), shape (a0 + b0 - 1, a1 + b1 - 1)."""
    b = _asarray(b)
    return correlate_full(a, b[::-1, ::-1])


def frozen(array):
    """A read-only private copy of ``array``."""
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out
