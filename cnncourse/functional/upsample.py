"""Nearest-neighbour upsampling by an integer factor (the parameter-free alternative to a
transposed convolution in a segmentation decoder; the chapter *What CNNs are used for*).

``upsample_nearest(x, s)`` repeats every pixel into an ``s x s`` block; its backward sums the
gradient over each block. ``_naive`` versions loop over output pixels (the one the book shows).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import check_array, check_positive_int

__all__ = ["upsample_nearest", "upsample_nearest_naive", "upsample_nearest_forward",
           "upsample_nearest_backward", "upsample_nearest_backward_naive", "UpsampleCache"]


class UpsampleCache(NamedTuple):
    """What the backward needs: the input's shape and the factor."""

    x_shape: tuple
    scale_factor: int


def _check(x, scale_factor, fn):
    check_array(x, fn, "x", 4)
    return check_positive_int(scale_factor, fn, "scale_factor")


def upsample_nearest(x: np.ndarray, scale_factor: int = 2) -> np.ndarray:
    """Nearest-neighbour upsampling of NCHW ``x``: ``out[n, c, i, j] = x[n, c, i // s, j // s]``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    scale_factor : int >= 1

    Returns
    -------
    out : ndarray, shape (N, C, H*s, W*s), dtype of x
        Matches ``torch.nn.functional.interpolate(x, scale_factor=s, mode='nearest')``.
    """
    s = _check(x, scale_factor, "upsample_nearest")
    return x.repeat(s, axis=2).repeat(s, axis=3)


def upsample_nearest_naive(x: np.ndarray, scale_factor: int = 2) -> np.ndarray:
    """Loop version of :func:`upsample_nearest`."""
    s = _check(x, scale_factor, "upsample_nearest_naive")
    N, C, H, W = x.shape
    out = np.empty((N, C, H * s, W * s), dtype=x.dtype)
    for i in range(H * s):
        for j in range(W * s):
            out[:, :, i, j] = x[:, :, i // s, j // s]
    return out


def upsample_nearest_forward(x: np.ndarray, scale_factor: int = 2):
    """:func:`upsample_nearest` and the cache its backward takes."""
    out = upsample_nearest(x, scale_factor)
    return out, UpsampleCache(x.shape, int(scale_factor))


def _check_dout(dout, cache, fn):
    N, C, H, W = cache.x_shape
    s = cache.scale_factor
    check_array(dout, fn, "dout", 4)
    if dout.shape != (N, C, H * s, W * s):
        raise ValueError(f"{fn}: dout must have the output's shape {(N, C, H * s, W * s)}, "
                         f"got {dout.shape}")
    return N, C, H, W, s


def upsample_nearest_backward(dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """Gradient with respect to x: the sum of ``dout`` over each ``s x s`` block."""
    N, C, H, W, s = _check_dout(dout, cache, "upsample_nearest_backward")
    return dout.reshape(N, C, H, s, W, s).sum(axis=(3, 5))


def upsample_nearest_backward_naive(dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """Loop version of :func:`upsample_nearest_backward`."""
    N, C, H, W, s = _check_dout(dout, cache, "upsample_nearest_backward_naive")
    dx = np.zeros((N, C, H, W), dtype=dout.dtype)
    for i in range(H * s):
        for j in range(W * s):
            dx[:, :, i // s, j // s] += dout[:, :, i, j]
    return dx
