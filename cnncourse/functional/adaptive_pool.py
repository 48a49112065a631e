"""Pooling to a fixed output size: adaptive and global pooling.

Adaptive pooling (PyTorch's ``adaptive_avg_pool2d``/``adaptive_max_pool2d``) chooses its windows
from the input size, so inputs of any size give the same output size; global pooling is the
special case of a 1x1 output. Each op has the five public functions of
:mod:`cnncourse.functional`; the windowed pools are in :mod:`cnncourse.functional.pool` and
:mod:`cnncourse.functional.lp_pool`, pooling across channels (maxout) in
:mod:`cnncourse.functional.channel_pool`.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import check_array, pair
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
    check_array(x, fn, "x", 4)
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
    return pair(sizes, fn, "output_size", 1)


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


def _bin_sums(x, bins, axis):
    """Sum of ``x`` over every bin ``[start, end)`` along ``axis``, stacked on that axis.

    One slice-sum per bin, so a NaN or inf stays in the bins that contain it (an averaging
    matrix would multiply it by 0 and spread NaN over whole rows).
    """
    index = [slice(None)] * x.ndim
    sums = []
    for start, end in bins:
        index[axis] = slice(start, end)
        sums.append(x[tuple(index)].sum(axis=axis))
    return np.stack(sums, axis=axis)


def _bin_spread(g, bins, axis, size):
    """Adjoint of :func:`_bin_sums`: add each bin's ``g`` onto all of the bin's elements."""
    shape = list(g.shape)
    shape[axis] = size
    out = np.zeros(shape, dtype=g.dtype)
    index, take = [slice(None)] * g.ndim, [slice(None)] * g.ndim
    for i, (start, end) in enumerate(bins):
        index[axis], take[axis] = slice(start, end), slice(i, i + 1)
        out[tuple(index)] += g[tuple(take)]
    return out


def _bin_areas(hw, size, dtype):
    """``(H_out, W_out)`` array of the number of elements in each adaptive bin."""
    lengths = [np.array([end - start for start, end in adaptive_bins(n, m)], dtype=dtype)
               for n, m in zip(hw, size)]
    return np.outer(lengths[0], lengths[1])


def adaptive_avg_pool2d_naive(x, output_size):
    """Adaptive average pooling with loops; same arguments as :func:`adaptive_avg_pool2d`."""
    h_out, w_out = _adaptive_params("adaptive_avg_pool2d_naive", x, output_size)
    n_batch, channels, h, w = x.shape
    out = np.empty((n_batch, channels, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    (h0, h1), (w0, w1) = adaptive_bins(h, h_out)[i], adaptive_bins(w, w_out)[j]
                    out[n, c, i, j] = x[n, c, h0:h1, w0:w1].mean()
    return out


def adaptive_avg_pool2d_forward(x, output_size):
    """Fast adaptive average pooling; returns ``(out, AdaptiveAvgPool2dCache)``.

    Separable: the bin sums along H (one slice-sum per output row), then along W, divided by
    the bin areas. A NaN or inf stays in its bins, as in the loop version and PyTorch.
    """
    size = _adaptive_params("adaptive_avg_pool2d_forward", x, output_size)
    (h, w), (h_out, w_out) = x.shape[2:], size
    rows = _bin_sums(x, adaptive_bins(h, h_out), axis=2)       # (N, C, H_out, W)
    out = _bin_sums(rows, adaptive_bins(w, w_out), axis=3)      # (N, C, H_out, W_out)
    out /= _bin_areas((h, w), size, x.dtype)
    return out, AdaptiveAvgPool2dCache(x, size)


def adaptive_avg_pool2d_backward(dout, cache):
    """Gradient of adaptive average pooling: each bin spreads ``dout / area`` over its elements."""
    dout = _check_backward("adaptive_avg_pool2d_backward", dout, cache, AdaptiveAvgPool2dCache,
                           _adaptive_out_shape)
    x, size = cache
    h, w = x.shape[2:]
    g = dout / _bin_areas((h, w), size, x.dtype)
    rows = _bin_spread(g, adaptive_bins(w, size[1]), axis=3, size=w)      # (N, C, H_out, W)
    return _bin_spread(rows, adaptive_bins(h, size[0]), axis=2, size=h)


def adaptive_avg_pool2d_backward_naive(dout, cache):
    """Adaptive average pooling backward with loops: each bin spreads ``dout`` evenly."""
    fn = "adaptive_avg_pool2d_backward_naive"
    dout = _check_backward(fn, dout, cache, AdaptiveAvgPool2dCache,
                           _adaptive_out_shape)
    x, (h_out, w_out) = cache
    n_batch, channels, h, w = x.shape
    dx = np.zeros_like(x)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    (h0, h1), (w0, w1) = adaptive_bins(h, h_out)[i], adaptive_bins(w, w_out)[j]
                    dx[n, c, h0:h1, w0:w1] += dout[n, c, i, j] / ((h1 - h0) * (w1 - w0))
    return dx


def _adaptive_out_shape(cache):
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
                    (h0, h1), (w0, w1) = adaptive_bins(h, h_out)[i], adaptive_bins(w, w_out)[j]
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
                           _adaptive_out_shape)
    return _scatter_add(dout, cache.argmax, cache.x)


def adaptive_max_pool2d_backward_naive(dout, cache):
    """Adaptive max pooling backward with loops: search every bin again for its first maximum."""
    fn = "adaptive_max_pool2d_backward_naive"
    dout = _check_backward(fn, dout, cache, AdaptiveMaxPool2dCache,
                           _adaptive_out_shape)
    x, (h_out, w_out) = cache.x, cache.output_size
    n_batch, channels, h, w = x.shape
    dx = np.zeros_like(x)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    (h0, h1), (w0, w1) = adaptive_bins(h, h_out)[i], adaptive_bins(w, w_out)[j]
                    window = x[n, c, h0:h1, w0:w1]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, h0 + a, w0 + b] += dout[n, c, i, j]
    return dx


# --------------------------------------------------------------------------------------------
# global pools
# --------------------------------------------------------------------------------------------

def _global_params(fn, x):
    check_array(x, fn, "x", 4)
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
                           _global_out_shape)
    h, w = cache.x.shape[2:]
    return np.broadcast_to(dout / (h * w), cache.x.shape).copy()


def global_avg_pool2d_backward_naive(dout, cache):
    """Global average pooling backward with loops over ``n, c, i, j``."""
    dout = _check_backward("global_avg_pool2d_backward_naive", dout, cache, GlobalAvgPool2dCache,
                           _global_out_shape)
    n_batch, channels, h, w = cache.x.shape
    dx = np.zeros_like(cache.x)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h):
                for j in range(w):
                    dx[n, c, i, j] = dout[n, c, 0, 0] / (h * w)
    return dx


def _global_out_shape(cache):
    return cache.x.shape[:2] + (1, 1)


def _beats(value, best):
    """Whether ``value`` replaces the running maximum ``best``: strictly greater, or the first
    NaN (a NaN propagates, as in ``np.max``, ``np.argmax`` and PyTorch)."""
    return value > best or (np.isnan(value) and not np.isnan(best))


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
                    if _beats(x[n, c, i, j], best):
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
                           _global_out_shape)
    return _scatter_add(dout, cache.argmax, cache.x)


def global_max_pool2d_backward_naive(dout, cache):
    """Global max pooling backward with loops: find each map's first maximum again."""
    dout = _check_backward("global_max_pool2d_backward_naive", dout, cache, GlobalMaxPool2dCache,
                           _global_out_shape)
    x = cache.x
    n_batch, channels, h, w = x.shape
    dx = np.zeros_like(x)
    for n in range(n_batch):
        for c in range(channels):
            best, where = -np.inf, (0, 0)
            for i in range(h):
                for j in range(w):
                    if _beats(x[n, c, i, j], best):  # the first maximum (or NaN) wins
                        best, where = x[n, c, i, j], (i, j)
            dx[n, c, where[0], where[1]] = dout[n, c, 0, 0]
    return dx
