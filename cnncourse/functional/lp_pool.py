"""Power-average (Lp-norm) pooling: ``(sum |x|^p) ** (1/p)`` over every window.

The five public functions of :mod:`cnncourse.functional`, built on the window sums of
:mod:`cnncourse.functional.pool` (an Lp pool is a sum pool of ``|x|^p``, then a root).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..checks import is_real, reject_unsupported
from .pool import (UNSUPPORTED_POOL, _check_backward, _out_shape, _padded_shape, _pool_params,
                   _window_sum, _window_sum_backward, _windowed_out_shape)
from .window import crop, pad2d, window_slices

__all__ = ["lp_pool2d", "lp_pool2d_naive", "lp_pool2d_forward", "lp_pool2d_backward",
           "lp_pool2d_backward_naive", "LPPool2dCache"]


class LPPool2dCache(NamedTuple):
    """Saved by :func:`lp_pool2d_forward`; ``out`` is the forward output (the window norms)."""
    x: np.ndarray
    norm_type: float
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    out: np.ndarray


# --------------------------------------------------------------------------------------------
# lp_pool2d
# --------------------------------------------------------------------------------------------

def _norm_type(fn, norm_type):
    if not is_real(norm_type):
        raise TypeError(f"{fn}: norm_type must be a real number p >= 1, got {norm_type!r}")
    if not (math.isfinite(norm_type) and norm_type >= 1):
        raise ValueError(f"{fn}: norm_type must be a finite number p >= 1, got {norm_type!r}")
    return float(norm_type)


def _sign(x):
    """The derivative of ``|x|``, taken as +1 at ``x = 0`` (PyTorch's ``x ** p`` has
    derivative 1 there for p = 1; for p > 1 the factor ``|x|^(p-1)`` makes it 0 anyway)."""
    return np.where(x < 0, -1, 1).astype(x.dtype, copy=False)


def _abs_power(x, p):
    return x * x if p == 2 else np.abs(x) ** p


def lp_pool2d(x, norm_type, kernel_size, stride=None, padding=0, **unsupported):
    """2D power-average (Lp-norm) pooling: ``(sum |x|^p) ** (1/p)`` over every window.

    ``p = 1`` is sum pooling of ``|x|``, ``p = 2`` is L2 pooling, and as ``p`` grows the result
    approaches max pooling of ``|x|``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    norm_type : float
        The exponent ``p``, finite and ``>= 1``.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        ``None`` (default) means ``kernel_size``.
    padding : int or (int, int), default 0
        Zero padding on each side, at most half of ``kernel_size`` (PyTorch's ``lp_pool2d``
        has no padding; padded zeros do not change a norm).

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        ``H_out = (H + 2*padding[0] - kernel_size[0]) // stride[0] + 1``, likewise ``W_out``.

    Notes
    -----
    PyTorch raises ``x`` to the power ``p`` without the absolute value; the two agree on
    non-negative inputs (after a ReLU) and for even ``p``. The gradient is
    ``sign(x) * |x|^(p-1) / out^(p-1)``, taken to be 0 in a window whose norm is 0; at an
    exact zero ``sign`` is taken as +1, so for ``p = 1`` an element equal to 0 gets gradient 1
    as in PyTorch (whose ``x ** 1`` has derivative 1 there).
    ``ceil_mode=True`` is not supported (``TypeError`` naming it).

    See Also
    --------
    lp_pool2d_naive : the loop version.
    """
    reject_unsupported("lp_pool2d", unsupported, UNSUPPORTED_POOL["lp_pool2d"])
    return lp_pool2d_forward(x, norm_type, kernel_size, stride, padding)[0]


def lp_pool2d_naive(x, norm_type, kernel_size, stride=None, padding=0, **unsupported):
    """Lp pooling with explicit loops; same arguments as :func:`lp_pool2d`."""
    fn = "lp_pool2d_naive"
    p = _norm_type(fn, norm_type)
    (kh, kw), (sh, sw), pad = _pool_params(fn, x, kernel_size, stride, padding, unsupported)
    xp = pad2d(x, pad)
    out = np.empty(_out_shape(x.shape, (kh, kw), (sh, sw), pad), dtype=x.dtype)
    n_batch, channels, h_out, w_out = out.shape
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = window_slices(i, j, (kh, kw), (sh, sw))
                    window = xp[n, c, rows, cols]
                    out[n, c, i, j] = (np.abs(window) ** p).sum() ** (1 / p)
    return out


def lp_pool2d_forward(x, norm_type, kernel_size, stride=None, padding=0,
                      **unsupported):
    """Fast Lp pooling (a sum pool of ``|x|^p``); returns ``(out, LPPool2dCache)``."""
    fn = "lp_pool2d_forward"
    p = _norm_type(fn, norm_type)
    kernel, stride, pad = _pool_params(fn, x, kernel_size, stride, padding, unsupported)
    shape = _out_shape(x.shape, kernel, stride, pad)
    total = _window_sum(pad2d(_abs_power(x, p), pad), kernel, stride, shape[2:])
    out = np.sqrt(total) if p == 2 else total ** (1 / p)
    return out, LPPool2dCache(x, p, kernel, stride, pad, out)


def lp_pool2d_backward(dout, cache):
    """Gradient of Lp pooling: ``dx = sign(x) |x|^(p-1) * sum over windows of dout / out^(p-1)``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Windows whose norm is 0 pass no gradient.
    """
    fn = "lp_pool2d_backward"
    dout = _check_backward(fn, dout, cache, LPPool2dCache, _windowed_out_shape)
    x, p, kernel, stride, pad, out = cache
    scale = np.zeros_like(out)
    if p == 1:
        scale[out > 0] = 1
    else:
        np.power(out, 1 - p, out=scale, where=out > 0)
    g = crop(_window_sum_backward(dout * scale, _padded_shape(x.shape, pad), kernel, stride),
              pad, x.shape[2:])
    if p == 2:
        return g * x
    if p == 1:
        return g * _sign(x)
    return g * (_sign(x) * np.abs(x) ** (p - 1))


def lp_pool2d_backward_naive(dout, cache):
    """Lp pooling backward with loops over ``n, c, i, j`` (recomputes each window's norm)."""
    fn = "lp_pool2d_backward_naive"
    dout = _check_backward(fn, dout, cache, LPPool2dCache, _windowed_out_shape)
    x, p, (kh, kw), (sh, sw), pad, _ = cache
    xp = pad2d(x, pad)
    dxp = np.zeros_like(xp)
    n_batch, channels, h_out, w_out = dout.shape
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = window_slices(i, j, (kh, kw), (sh, sw))
                    window = xp[n, c, rows, cols]
                    norm = (np.abs(window) ** p).sum() ** (1 / p)
                    if norm > 0:  # d norm / d x = sign(x) (|x| / norm)^(p-1)
                        local = _sign(window) * (np.abs(window) / norm) ** (p - 1)
                        dxp[n, c, rows, cols] += dout[n, c, i, j] * local
    return crop(dxp, pad, x.shape[2:])
