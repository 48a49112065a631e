"""Pooling to a fixed output size, and pooling across channels.

Adaptive pooling (PyTorch's ``adaptive_avg_pool2d``/``adaptive_max_pool2d``) chooses its windows
from the input size, so inputs of any size give the same output size; global pooling is the
special case of a 1x1 output. ``max_pool_channels`` pools across feature maps instead of across
space (maxout). Each op has the five public functions of :mod:`cnncourse.functional`; the
windowed pools (max, average, sum, Lp) are in :mod:`cnncourse.functional.pool`.
"""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from ._util import check_array, pair
from .pool import _check_backward

__all__ = [
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_naive", "adaptive_avg_pool2d_forward",
    "adaptive_avg_pool2d_backward", "adaptive_avg_pool2d_backward_naive", "AdaptiveAvgPool2dCache",
    "adaptive_max_pool2d", "adaptive_max_pool2d_naive", "adaptive_max_pool2d_forward",
    "adaptive_max_pool2d_backward", "adaptive_max_pool2d_backward_naive", "AdaptiveMaxPool2dCache",
    "global_avg_pool2d", "global_avg_pool2d_naive", "global_avg_pool2d_forward",
    "global_avg_pool2d_backward", "global_avg_pool2d_backward_naive", "GlobalAvgPool2dCache",
    "global_max_pool2d", "global_max_pool2d_naive", "global_max_pool2d_forward",
    "global_max_pool2d_backward", "global_max_pool2d_backward_naive", "GlobalMaxPool2dCache",
    "max_pool_channels", "max_pool_channels_naive", "max_pool_channels_forward",
    "max_pool_channels_backward", "max_pool_channels_backward_naive", "MaxPoolChannelsCache",
    "adaptive_bins",
]


# --------------------------------------------------------------------------------------------
# Caches: what each forward saves for its backward
# --------------------------------------------------------------------------------------------

class AdaptiveAvgPool2dCache(NamedTuple):
    """Saved by :func:`adaptive_avg_pool2d_forward`."""
    x: np.ndarray
    output_size: tuple[int, int]


class AdaptiveMaxPool2dCache(NamedTuple):
    """Saved by :func:`adaptive_max_pool2d_forward`; ``argmax`` indexes the flattened ``H * W``."""
    x: np.ndarray
    output_size: tuple[int, int]
    argmax: np.ndarray


class GlobalAvgPool2dCache(NamedTuple):
    """Saved by :func:`global_avg_pool2d_forward`."""
    x: np.ndarray


class GlobalMaxPool2dCache(NamedTuple):
    """Saved by :func:`global_max_pool2d_forward`; ``argmax`` indexes the flattened ``H * W``."""
    x: np.ndarray
    argmax: np.ndarray


class MaxPoolChannelsCache(NamedTuple):
    """Saved by :func:`max_pool_channels_forward`; ``argmax`` is the winner's index in its group."""
    x: np.ndarray
    pool_size: int
    argmax: np.ndarray


# --------------------------------------------------------------------------------------------
# adaptive pools
# --------------------------------------------------------------------------------------------

def adaptive_bins(input_size, output_size):
    """PyTorch's adaptive-pooling bins along one axis.

    Bin ``i`` is ``[floor(i * H / H_out), ceil((i + 1) * H / H_out))`` with ``H = input_size``
    and ``H_out = output_size``.
    Bins overlap when ``input_size`` is not a multiple of ``output_size``, and repeat elements
    when ``output_size > input_size``.

    Returns
    -------
    bins : list of (start, end)

    Examples
    --------
    >>> adaptive_bins(5, 3)
    [(0, 2), (1, 4), (3, 5)]
    """
    return [((i * input_size) // output_size, -((-(i + 1) * input_size) // output_size))
            for i in range(output_size)]


def _adaptive_params(fn, x, output_size):
    """Validate an adaptive pool's arguments; return the output size (h, w)."""
    check_array(x, "x", fn, 4)
    h, w = x.shape[2:]
    if h < 1 or w < 1:
        raise ValueError(f"{fn}: x must have H >= 1 and W >= 1, got shape {x.shape}")
    if output_size is None:
        raise TypeError(f"{fn}: output_size must be an int or a pair (h, w) whose entries are "
                        f"ints or None, got None")
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        sizes = [size if value is None else value for value, size in zip(output_size, (h, w))]
    else:
        sizes = output_size
    return pair(sizes, "output_size", fn, 1)


def adaptive_avg_pool2d(x, output_size):
    """Adaptive average pooling to a fixed output size, whatever the input size.

    Output cell ``(i, j)`` is the mean of the rows in bin ``i`` and columns in bin ``j`` (see
    :func:`adaptive_bins`). This is how networks accept images of any size before a dense head.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        ``H, W >= 1``.
    output_size : int or (int or None, int or None)
        ``(H_out, W_out)``; ``None`` keeps the input's size along that axis.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)

    Notes
    -----
    The op is linear and separable: ``out = A_h @ x @ A_w.T`` where row ``i`` of ``A_h`` holds
    ``1 / len(bin_i)`` on bin ``i``. The fast version computes exactly that.

    See Also
    --------
    adaptive_avg_pool2d_naive : the loop version.
    global_avg_pool2d : ``output_size = 1``.
    """
    return adaptive_avg_pool2d_forward(x, output_size)[0]


def _averaging_matrix(input_size, output_size, dtype):
    matrix = np.zeros((output_size, input_size), dtype=dtype)
    for i, (start, end) in enumerate(adaptive_bins(input_size, output_size)):
        matrix[i, start:end] = 1 / (end - start)
    return matrix


def adaptive_avg_pool2d_naive(x, output_size):
    """Adaptive average pooling with loops; same arguments as :func:`adaptive_avg_pool2d`."""
    h_out, w_out = _adaptive_params("adaptive_avg_pool2d_naive", x, output_size)
    n_batch, channels, h, w = x.shape
    out = np.empty((n_batch, channels, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    h0, h1 = (i * h) // h_out, math.ceil((i + 1) * h / h_out)
                    w0, w1 = (j * w) // w_out, math.ceil((j + 1) * w / w_out)
                    out[n, c, i, j] = x[n, c, h0:h1, w0:w1].mean()
    return out


def adaptive_avg_pool2d_forward(x, output_size):
    """Fast adaptive average pooling; returns ``(out, AdaptiveAvgPool2dCache)``."""
    size = _adaptive_params("adaptive_avg_pool2d_forward", x, output_size)
    a_h = _averaging_matrix(x.shape[2], size[0], x.dtype)
    a_w = _averaging_matrix(x.shape[3], size[1], x.dtype)
    out = a_h @ x @ a_w.T
    return out, AdaptiveAvgPool2dCache(x, size)


def adaptive_avg_pool2d_backward(dout, cache):
    """Gradient of adaptive average pooling: ``dx = A_h.T @ dout @ A_w``."""
    dout = _check_backward("adaptive_avg_pool2d_backward", dout, cache, AdaptiveAvgPool2dCache,
                           _adaptive_out_shape(cache, AdaptiveAvgPool2dCache))
    x, (h_out, w_out) = cache
    a_h = _averaging_matrix(x.shape[2], h_out, x.dtype)
    a_w = _averaging_matrix(x.shape[3], w_out, x.dtype)
    return a_h.T @ dout @ a_w


def adaptive_avg_pool2d_backward_naive(dout, cache):
    """Adaptive average pooling backward with loops: each bin spreads ``dout`` evenly."""
    fn = "adaptive_avg_pool2d_backward_naive"
    dout = _check_backward(fn, dout, cache, AdaptiveAvgPool2dCache,
                           _adaptive_out_shape(cache, AdaptiveAvgPool2dCache))
    x, (h_out, w_out) = cache
    n_batch, channels, h, w = x.shape
    dx = np.zeros_like(x)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    h0, h1 = (i * h) // h_out, math.ceil((i + 1) * h / h_out)
                    w0, w1 = (j * w) // w_out, math.ceil((j + 1) * w / w_out)
                    dx[n, c, h0:h1, w0:w1] += dout[n, c, i, j] / ((h1 - h0) * (w1 - w0))
    return dx


def _adaptive_out_shape(cache, cache_type):
    if not isinstance(cache, cache_type):
        return None
    return cache.x.shape[:2] + tuple(cache.output_size)


def adaptive_max_pool2d(x, output_size):
    """Adaptive max pooling to a fixed output size, whatever the input size.

    Output cell ``(i, j)`` is the maximum over the rows in bin ``i`` and the columns in bin
    ``j`` (see :func:`adaptive_bins`).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        ``H, W >= 1``.
    output_size : int or (int or None, int or None)
        ``(H_out, W_out)``; ``None`` keeps the input's size along that axis.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)

    See Also
    --------
    adaptive_max_pool2d_naive : the loop version.
    global_max_pool2d : ``output_size = 1``.
    """
    return adaptive_max_pool2d_forward(x, output_size)[0]


def adaptive_max_pool2d_naive(x, output_size):
    """Adaptive max pooling with explicit loops; same arguments as :func:`adaptive_max_pool2d`."""
    h_out, w_out = _adaptive_params("adaptive_max_pool2d_naive", x, output_size)
    n_batch, channels, h, w = x.shape
    out = np.empty((n_batch, channels, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    h0, h1 = (i * h) // h_out, math.ceil((i + 1) * h / h_out)
                    w0, w1 = (j * w) // w_out, math.ceil((j + 1) * w / w_out)
                    out[n, c, i, j] = x[n, c, h0:h1, w0:w1].max()
    return out


def adaptive_max_pool2d_forward(x, output_size):
    """Fast adaptive max pooling; returns ``(out, AdaptiveMaxPool2dCache)``.

    Separable: first the maximum over each column bin (for every row), then over each row bin.
    Reducing the columns first keeps PyTorch's tie rule (the first maximum in row-major order).
    """
    h_out, w_out = _adaptive_params("adaptive_max_pool2d_forward", x, output_size)
    n_batch, channels, h, w = x.shape
    col_max = np.empty((n_batch, channels, h, w_out), dtype=x.dtype)
    col_arg = np.empty((n_batch, channels, h, w_out), dtype=np.intp)
    for j, (w0, w1) in enumerate(adaptive_bins(w, w_out)):
        part = x[:, :, :, w0:w1]
        arg = part.argmax(axis=3)[..., None]
        col_max[..., j] = np.take_along_axis(part, arg, axis=3)[..., 0]
        col_arg[..., j] = arg[..., 0] + w0
    out = np.empty((n_batch, channels, h_out, w_out), dtype=x.dtype)
    argmax = np.empty((n_batch, channels, h_out, w_out), dtype=np.intp)
    for i, (h0, h1) in enumerate(adaptive_bins(h, h_out)):
        part = col_max[:, :, h0:h1]
        row = part.argmax(axis=2)[:, :, None]
        out[:, :, i] = np.take_along_axis(part, row, axis=2)[:, :, 0]
        col = np.take_along_axis(col_arg[:, :, h0:h1], row, axis=2)[:, :, 0]
        argmax[:, :, i] = (row[:, :, 0] + h0) * w + col
    return out, AdaptiveMaxPool2dCache(x, (h_out, w_out), argmax)


def _scatter_add(dout, argmax, x):
    """``dx[n, c].flat[argmax[n, c, i, j]] += dout[n, c, i, j]`` with accumulation."""
    n_batch, channels, h, w = x.shape
    plane = np.arange(n_batch * channels).reshape(n_batch, channels, 1, 1) * (h * w)
    dx = np.bincount((plane + argmax).ravel(), weights=dout.ravel(), minlength=x.size)
    return dx.astype(x.dtype, copy=False).reshape(x.shape)


def adaptive_max_pool2d_backward(dout, cache):
    """Gradient of adaptive max pooling: each bin's ``dout`` goes to its first maximum
    (overlapping bins add up)."""
    dout = _check_backward("adaptive_max_pool2d_backward", dout, cache, AdaptiveMaxPool2dCache,
                           _adaptive_out_shape(cache, AdaptiveMaxPool2dCache))
    return _scatter_add(dout, cache.argmax, cache.x)


def adaptive_max_pool2d_backward_naive(dout, cache):
    """Adaptive max pooling backward with loops: search every bin again for its first maximum."""
    fn = "adaptive_max_pool2d_backward_naive"
    dout = _check_backward(fn, dout, cache, AdaptiveMaxPool2dCache,
                           _adaptive_out_shape(cache, AdaptiveMaxPool2dCache))
    x, (h_out, w_out) = cache.x, cache.output_size
    n_batch, channels, h, w = x.shape
    dx = np.zeros_like(x)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    h0, h1 = (i * h) // h_out, math.ceil((i + 1) * h / h_out)
                    w0, w1 = (j * w) // w_out, math.ceil((j + 1) * w / w_out)
                    window = x[n, c, h0:h1, w0:w1]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, h0 + a, w0 + b] += dout[n, c, i, j]
    return dx


# --------------------------------------------------------------------------------------------
# global pools
# --------------------------------------------------------------------------------------------

def _global_params(fn, x):
    check_array(x, "x", fn, 4)
    if x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"{fn}: x must have H >= 1 and W >= 1, got shape {x.shape}")


def global_avg_pool2d(x):
    """Global average pooling: the mean of every feature map.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)

    Returns
    -------
    out : ndarray, shape (N, C, 1, 1)
        Equal to ``adaptive_avg_pool2d(x, 1)``.
    """
    return global_avg_pool2d_forward(x)[0]


def global_avg_pool2d_naive(x):
    """Global average pooling with loops over ``n, c`` (and every pixel)."""
    _global_params("global_avg_pool2d_naive", x)
    n_batch, channels, h, w = x.shape
    out = np.zeros((n_batch, channels, 1, 1), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            total = 0.0
            for i in range(h):
                for j in range(w):
                    total += x[n, c, i, j]
            out[n, c, 0, 0] = total / (h * w)
    return out


def global_avg_pool2d_forward(x):
    """Fast global average pooling; returns ``(out, GlobalAvgPool2dCache)``."""
    _global_params("global_avg_pool2d_forward", x)
    return x.mean(axis=(2, 3), keepdims=True), GlobalAvgPool2dCache(x)


def global_avg_pool2d_backward(dout, cache):
    """Gradient of global average pooling: ``dout / (H * W)`` at every pixel."""
    dout = _check_backward("global_avg_pool2d_backward", dout, cache, GlobalAvgPool2dCache,
                           _global_out_shape(cache, GlobalAvgPool2dCache))
    h, w = cache.x.shape[2:]
    return np.broadcast_to(dout / (h * w), cache.x.shape).copy()


def global_avg_pool2d_backward_naive(dout, cache):
    """Global average pooling backward with loops over ``n, c, i, j``."""
    dout = _check_backward("global_avg_pool2d_backward_naive", dout, cache, GlobalAvgPool2dCache,
                           _global_out_shape(cache, GlobalAvgPool2dCache))
    n_batch, channels, h, w = cache.x.shape
    dx = np.zeros_like(cache.x)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h):
                for j in range(w):
                    dx[n, c, i, j] = dout[n, c, 0, 0] / (h * w)
    return dx


def _global_out_shape(cache, cache_type):
    return cache.x.shape[:2] + (1, 1) if isinstance(cache, cache_type) else None


def global_max_pool2d(x):
    """Global max pooling: the maximum of every feature map.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)

    Returns
    -------
    out : ndarray, shape (N, C, 1, 1)
        Equal to ``adaptive_max_pool2d(x, 1)``.
    """
    return global_max_pool2d_forward(x)[0]


def global_max_pool2d_naive(x):
    """Global max pooling with loops over ``n, c`` (and every pixel)."""
    _global_params("global_max_pool2d_naive", x)
    n_batch, channels, h, w = x.shape
    out = np.empty((n_batch, channels, 1, 1), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            best = -np.inf
            for i in range(h):
                for j in range(w):
                    if x[n, c, i, j] > best:
                        best = x[n, c, i, j]
            out[n, c, 0, 0] = best
    return out


def global_max_pool2d_forward(x):
    """Fast global max pooling; returns ``(out, GlobalMaxPool2dCache)``."""
    _global_params("global_max_pool2d_forward", x)
    flat = x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    argmax = flat.argmax(axis=2)[:, :, None, None]  # first maximum in row-major order
    out = np.take_along_axis(flat, argmax[..., 0], axis=2)[..., None]
    return out, GlobalMaxPool2dCache(x, argmax)


def global_max_pool2d_backward(dout, cache):
    """Gradient of global max pooling: all of ``dout`` goes to the first maximum of each map."""
    dout = _check_backward("global_max_pool2d_backward", dout, cache, GlobalMaxPool2dCache,
                           _global_out_shape(cache, GlobalMaxPool2dCache))
    return _scatter_add(dout, cache.argmax, cache.x)


def global_max_pool2d_backward_naive(dout, cache):
    """Global max pooling backward with loops: find each map's first maximum again."""
    dout = _check_backward("global_max_pool2d_backward_naive", dout, cache, GlobalMaxPool2dCache,
                           _global_out_shape(cache, GlobalMaxPool2dCache))
    x = cache.x
    n_batch, channels, h, w = x.shape
    dx = np.zeros_like(x)
    for n in range(n_batch):
        for c in range(channels):
            best, where = -np.inf, (0, 0)
            for i in range(h):
                for j in range(w):
                    if x[n, c, i, j] > best:  # strictly greater: the first maximum wins
                        best, where = x[n, c, i, j], (i, j)
            dx[n, c, where[0], where[1]] = dout[n, c, 0, 0]
    return dx


# --------------------------------------------------------------------------------------------
# max_pool_channels (maxout)
# --------------------------------------------------------------------------------------------

def _channel_params(fn, x, pool_size):
    check_array(x, "x", fn, 4)
    if not isinstance(pool_size, numbers.Integral) or isinstance(pool_size, bool):
        raise TypeError(f"{fn}: pool_size must be an int, got {pool_size!r}")
    if pool_size < 1:
        raise ValueError(f"{fn}: pool_size must be positive, got {pool_size}")
    if x.shape[1] % pool_size:
        raise ValueError(f"{fn}: the number of channels C={x.shape[1]} must be divisible by "
                         f"pool_size={pool_size} (x.shape={x.shape})")
    return int(pool_size)


def _channels_out_shape(cache):
    if not isinstance(cache, MaxPoolChannelsCache):
        return None
    n_batch, channels, h, w = cache.x.shape
    return (n_batch, channels // cache.pool_size, h, w)


def max_pool_channels(x, pool_size):
    """Max pooling across feature maps (maxout): the maximum of each group of channels.

    Channels ``g * pool_size, ..., (g + 1) * pool_size - 1`` form group ``g``; the output keeps
    the spatial size and has ``C // pool_size`` channels. A unit that takes the maximum over
    several filters becomes invariant to whichever of them responds (e.g. rotated versions of
    one pattern).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    pool_size : int
        Channels per group; must divide ``C``.

    Returns
    -------
    out : ndarray, shape (N, C // pool_size, H, W)

    See Also
    --------
    max_pool_channels_naive : the loop version.
    """
    return max_pool_channels_forward(x, pool_size)[0]


def max_pool_channels_naive(x, pool_size):
    """Channel max pooling with loops over ``n, g, i, j``; see :func:`max_pool_channels`."""
    k = _channel_params("max_pool_channels_naive", x, pool_size)
    n_batch, channels, h, w = x.shape
    out = np.empty((n_batch, channels // k, h, w), dtype=x.dtype)
    for n in range(n_batch):
        for g in range(channels // k):
            for i in range(h):
                for j in range(w):
                    out[n, g, i, j] = x[n, g * k:(g + 1) * k, i, j].max()
    return out


def max_pool_channels_forward(x, pool_size):
    """Fast channel max pooling; returns ``(out, MaxPoolChannelsCache)``."""
    k = _channel_params("max_pool_channels_forward", x, pool_size)
    n_batch, channels, h, w = x.shape
    groups = x.reshape(n_batch, channels // k, k, h, w)
    out = groups[:, :, 0].copy()
    argmax = np.zeros(out.shape, dtype=np.intp)
    greater = np.empty(out.shape, dtype=bool)
    for member in range(1, k):
        np.greater(groups[:, :, member], out, out=greater)
        np.maximum(argmax, greater * member, out=argmax)  # = where(greater, member, argmax)
        np.maximum(out, groups[:, :, member], out=out)
    return out, MaxPoolChannelsCache(x, k, argmax)


def max_pool_channels_backward(dout, cache):
    """Gradient of channel max pooling: each output's ``dout`` goes to its group's first maximum."""
    dout = _check_backward("max_pool_channels_backward", dout, cache, MaxPoolChannelsCache,
                           _channels_out_shape(cache))
    x, k, argmax = cache
    n_batch, channels, h, w = x.shape
    dx = np.empty((n_batch, channels // k, k, h, w), dtype=x.dtype)
    for member in range(k):
        np.multiply(dout, argmax == member, out=dx[:, :, member])
    return dx.reshape(x.shape)


def max_pool_channels_backward_naive(dout, cache):
    """Channel max pooling backward with loops over ``n, g, i, j``."""
    dout = _check_backward("max_pool_channels_backward_naive", dout, cache, MaxPoolChannelsCache,
                           _channels_out_shape(cache))
    x, k = cache.x, cache.pool_size
    n_batch, channels, h, w = x.shape
    dx = np.zeros_like(x)
    for n in range(n_batch):
        for g in range(channels // k):
            for i in range(h):
                for j in range(w):
                    first = np.argmax(x[n, g * k:(g + 1) * k, i, j])
                    dx[n, g * k + first, i, j] += dout[n, g, i, j]
    return dx
