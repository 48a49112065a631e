"""Windowed pooling: max, average and sum (Lp-norm pooling is in
:mod:`cnncourse.functional.lp_pool`, adaptive and global pooling in
:mod:`cnncourse.functional.adaptive_pool`, channel pooling in
:mod:`cnncourse.functional.channel_pool`).

Every op comes in five public functions, as everywhere in :mod:`cnncourse.functional`:
``OP`` (fast), ``OP_naive`` (explicit loops over ``n, c, i, j``: the version the chapter
``book/activations-pooling.ipynb`` walks through), ``OP_forward`` (fast, also returns a named
tuple cache), ``OP_backward(dout, cache) -> dx`` and ``OP_backward_naive(dout, cache) -> dx``.

Pooling has no parameters to learn. Its backward *routes* the gradient: max pooling sends each
window's gradient to the window's first maximal element (row-major order, as PyTorch), average
pooling spreads it evenly over the window. Where windows overlap (``stride < kernel_size``) the
gradients that reach one input element add up.

The fast versions loop over the ``kH * kW`` offsets inside a window instead of over the
``H_out * W_out`` windows: offset ``(a, b)`` of every window at once is the strided slice
``xp[..., a::sH, b::sW]`` (:func:`cnncourse.functional.window.offsets`), so a pool is
``kH * kW`` whole-array operations. The naive loops take each window with
:func:`cnncourse.functional.window.window_slices`.

PyTorch's ``ceil_mode``, ``count_include_pad=False``, ``divisor_override``, pooling
``dilation`` and ``return_indices`` are not implemented: passing them with a value other than
PyTorch's default raises a ``TypeError`` that names the argument.

Every cache stores ``padding`` per side as ``((top, bottom), (left, right))``, the same
representation as :class:`cnncourse.functional.Conv2dCache`.

(About 510 lines: three ops times five functions with their docstrings; the naive loops stay
here because the pooling and backprop chapters show them from this file.)
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import check_array, check_cache, check_dout, pair, reject_unsupported
from ..geometry import out_hw, padded_hw, symmetric_padding
from .window import crop, offsets, pad2d, window_slices

__all__ = [
    "max_pool2d", "max_pool2d_naive", "max_pool2d_forward", "max_pool2d_backward",
    "max_pool2d_backward_naive", "MaxPool2dCache", "avg_pool2d", "avg_pool2d_naive",
    "avg_pool2d_forward", "avg_pool2d_backward", "avg_pool2d_backward_naive", "AvgPool2dCache",
    "sum_pool2d", "sum_pool2d_naive", "sum_pool2d_forward", "sum_pool2d_backward",
    "sum_pool2d_backward_naive", "SumPool2dCache",
]


# --------------------------------------------------------------------------------------------
# Caches: what each forward saves for its backward
# --------------------------------------------------------------------------------------------

class MaxPool2dCache(NamedTuple):
    """Saved by :func:`max_pool2d_forward`.

    ``argmax[n, c, i, j]`` is the row-major offset ``a * kW + b`` of the first maximum inside
    window ``(i, j)``; the naive backward ignores it and searches the windows again.
    """
    x: np.ndarray
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    argmax: np.ndarray


class AvgPool2dCache(NamedTuple):
    """Saved by :func:`avg_pool2d_forward` (the backward only needs shapes and parameters)."""
    x: np.ndarray
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


class SumPool2dCache(NamedTuple):
    """Saved by :func:`sum_pool2d_forward`."""
    x: np.ndarray
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


# --------------------------------------------------------------------------------------------
# Validation and the window sums shared by the windowed pools
# --------------------------------------------------------------------------------------------

# PyTorch's pooling arguments that we do not implement: name -> (PyTorch's default, why).
# Passing the default is accepted (it is what we compute); anything else is refused by name.
_CEIL = {"ceil_mode": (False, "output sizes are always rounded down (floor)")}
UNSUPPORTED_POOL = {
    "max_pool2d": {**_CEIL,
                   "dilation": (1, "pooling windows are never dilated here"),
                   "return_indices": (False, "use max_pool2d_forward, whose cache holds argmax")},
    "avg_pool2d": {**_CEIL,
                   "count_include_pad": (True, "padded zeros always count in the average"),
                   "divisor_override": (None, "the divisor is always kH * kW")},
    "lp_pool2d": dict(_CEIL),
}


def _pool_params(fn, x, kernel_size, stride, padding, unsupported=None):
    """Validate the arguments of a windowed pool.

    Returns ``(kernel, stride, padding)``: two ``(h, w)`` pairs and the per-side padding
    ``((top, bottom), (left, right))`` that the caches store.
    """
    if unsupported is not None:
        op = fn.replace("_naive", "").replace("_forward", "")
        reject_unsupported(fn, unsupported, UNSUPPORTED_POOL[op])
    check_array(x, fn, "x", 4)
    kernel = pair(kernel_size, fn, "kernel_size", 1)
    stride = kernel if stride is None else pair(stride, fn, "stride", 1)
    ph, pw = pair(padding, fn, "padding", 0)
    if 2 * ph > kernel[0] or 2 * pw > kernel[1]:
        raise ValueError(f"{fn}: padding must be at most half of kernel_size (PyTorch's rule), "
                         f"got padding={(ph, pw)} with kernel_size={kernel}")
    pad = symmetric_padding((ph, pw))
    padded = padded_hw(x.shape[2:], pad)
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(f"{fn}: kernel_size={kernel} is larger than the padded input {padded} "
                         f"(x.shape={x.shape}, padding={(ph, pw)})")
    return kernel, stride, pad


def _out_shape(x_shape, kernel, stride, pad):
    """(N, C, H_out, W_out) with H_out = (H + 2*padding - kH) // sH + 1 (geometry.out_hw)."""
    return tuple(x_shape[:2]) + out_hw(x_shape[2:], kernel, stride, pad)


def _padded_shape(x_shape, pad):
    return tuple(x_shape[:2]) + padded_hw(x_shape[2:], pad)


def _check_backward(fn, dout, cache, cache_type, out_shape):
    """Validate a backward's arguments: the right cache, and a ``dout`` with exactly the
    forward output's shape and dtype (never broadcast or cast). ``out_shape`` is a function
    of the cache."""
    forward = fn.replace("_backward_naive", "_forward").replace("_backward", "_forward")
    check_cache(cache, fn, cache_type, forward)
    return check_dout(dout, fn, out_shape(cache), cache.x.dtype)


def _windowed_out_shape(cache):
    return _out_shape(cache.x.shape, cache.kernel_size, cache.stride, cache.padding)


def _window_sum(xp, kernel, stride, out_hw):
    """Sum of every window of the padded ``xp``, shape (N, C, H_out, W_out), dtype kept."""
    total = None
    for _, index in offsets(kernel, stride, out_hw):
        if total is None:
            total = xp[index].copy()
        else:
            total += xp[index]
    return total


def _window_sum_backward(g, padded_shape, kernel, stride):
    """Gradient of :func:`_window_sum`: every window element receives its window's ``g``."""
    dxp = np.zeros(padded_shape, dtype=g.dtype)
    overlapping = kernel[0] > stride[0] or kernel[1] > stride[1]
    for _, index in offsets(kernel, stride, g.shape[2:]):
        if overlapping:
            view = dxp[index]
            view += g          # in place on the strided view of dxp
        else:
            dxp[index] = g     # each input element lies in at most one window
    return dxp


def _real_mask(hw, pad):
    """Padded boolean map: True on input pixels, False on padding."""
    return pad2d(np.ones(hw, dtype=bool), pad, value=False)


def _first_max(window, real):
    """``(a, b)`` of the first maximum of ``window`` in row-major order; padding (``real``
    False) loses every tie, so a window of -inf routes to its first real element (PyTorch)."""
    k = np.argmax(np.where(real, window, -np.inf))
    if not real.flat[k]:            # only -inf in the window: the first cell was padding
        k = np.argmax(real)         # the first real element
    return np.unravel_index(k, window.shape)


# --------------------------------------------------------------------------------------------
# max_pool2d
# --------------------------------------------------------------------------------------------

def max_pool2d(x, kernel_size, stride=None, padding=0, **unsupported):
    """2D max pooling: the largest value of every ``kH x kW`` window.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Floating-point input; the output keeps its dtype.
    kernel_size : int or (int, int)
        Window size ``(kH, kW)``.
    stride : int or (int, int), optional
        Step between windows; ``None`` (default) means ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int), default 0
        Padding added on *each* side, filled with ``-inf`` so that it never wins. At most half
        of ``kernel_size`` (PyTorch's rule).

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        ``H_out = (H + 2*padding[0] - kernel_size[0]) // stride[0] + 1``, likewise ``W_out``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating ndarray or a size is not an int / pair of ints.
    ValueError
        If ``x`` is not 4-D, ``stride < 1``, ``padding < 0`` or more than half the kernel, or
        the kernel is larger than the padded input.

    See Also
    --------
    max_pool2d_naive : the loop version shown in the pooling chapter.
    max_pool2d_forward, max_pool2d_backward : with the gradient.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2)[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    reject_unsupported("max_pool2d", unsupported, UNSUPPORTED_POOL["max_pool2d"])
    return max_pool2d_forward(x, kernel_size, stride, padding)[0]


def max_pool2d_naive(x, kernel_size, stride=None, padding=0,
                     **unsupported):
    """Max pooling with explicit loops over ``n, c, i, j``.

    Same arguments as :func:`max_pool2d`.
    """
    kernel, stride, pad = _pool_params("max_pool2d_naive", x,
                                       kernel_size, stride, padding,
                                       unsupported)
    xp = pad2d(x, pad, value=-np.inf)
    out_shape = _out_shape(x.shape, kernel, stride, pad)
    out = np.empty(out_shape, dtype=x.dtype)
    n_batch, channels, h_out, w_out = out.shape
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    # rows i*sH, ..., i*sH + kH - 1, columns likewise
                    rows, cols = window_slices(i, j, kernel, stride)
                    window = xp[n, c, rows, cols]
                    out[n, c, i, j] = window.max()
    return out


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, **unsupported):
    """Fast max pooling that also returns a :class:`MaxPool2dCache` for the backward.

    Loops over the ``kH * kW`` window offsets; ``argmax`` records the offset of the *first*
    maximum (it is only replaced where a later offset is strictly greater). Padding loses
    every tie: a window that is all ``-inf`` and starts in the padding records its first
    real element, as PyTorch (which never looks at the padding).

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
    cache : MaxPool2dCache
    """
    kernel, stride, pad = _pool_params("max_pool2d_forward", x, kernel_size, stride, padding,
                                       unsupported)
    xp = pad2d(x, pad, value=-np.inf)
    shape = _out_shape(x.shape, kernel, stride, pad)
    # only a leading (top/left) padding cell can win a tie against a real -inf
    real = _real_mask(x.shape[2:], pad) if pad[0][0] or pad[1][0] else None
    best_is_pad = None
    index_type = np.uint8 if kernel[0] * kernel[1] <= 256 else np.int32
    argmax = np.zeros(shape, dtype=index_type)
    greater = np.empty(shape, dtype=bool)
    update = np.empty(shape, dtype=index_type)
    out = None
    for k, index in offsets(kernel, stride, shape[2:]):
        candidate = xp[index]
        if out is None:
            out = candidate.copy()
            if real is not None:
                best_is_pad = np.broadcast_to(~real[index], shape).copy()
            continue
        np.greater(candidate, out, out=greater)
        if real is not None:      # a real element replaces a padding "maximum" even on a tie
            greater |= best_is_pad & real[index]
            best_is_pad &= ~greater
        # argmax = where(greater, k, argmax), written as max(argmax, k * greater): offsets only
        # grow, so k exceeds every earlier offset (and this is ~10x faster than a masked copy).
        np.multiply(greater, index_type(k), out=update)
        np.maximum(argmax, update, out=argmax)
        np.maximum(out, candidate, out=out)
    return out, MaxPool2dCache(x, kernel, stride, pad, argmax)


def max_pool2d_backward(dout, cache):
    """Gradient of max pooling: each window's ``dout`` goes to its first maximum.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Upstream gradient.
    cache : MaxPool2dCache
        From :func:`max_pool2d_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Overlapping windows (``stride < kernel_size``) add their contributions.
    """
    dout = _check_backward("max_pool2d_backward", dout, cache, MaxPool2dCache,
                           _windowed_out_shape)
    x, kernel, stride, pad, argmax = cache
    dxp = np.zeros(_padded_shape(x.shape, pad), dtype=x.dtype)
    overlapping = kernel[0] > stride[0] or kernel[1] > stride[1]
    for k, index in offsets(kernel, stride, argmax.shape[2:]):
        winners = argmax == k
        if overlapping:
            view = dxp[index]
            view += dout * winners
        else:
            np.multiply(dout, winners, out=dxp[index])
    return crop(dxp, pad, x.shape[2:])


def max_pool2d_backward_naive(dout, cache):
    """Max pooling backward with loops.

    Search every window again for its first maximum.
    """
    dout = _check_backward("max_pool2d_backward_naive", dout, cache,
                           MaxPool2dCache, _windowed_out_shape)
    x, pad = cache.x, cache.padding
    (kh, kw), (sh, sw) = cache.kernel_size, cache.stride
    xp = pad2d(x, pad, value=-np.inf)
    dxp = np.zeros_like(xp)
    n_batch, channels, h_out, w_out = dout.shape
    real = _real_mask(x.shape[2:], pad)     # False on the padding
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = window_slices(i, j, (kh, kw),
                                               (sh, sw))
                    window = xp[n, c, rows, cols]
                    # padding loses ties
                    a, b = _first_max(window, real[rows, cols])
                    g = dout[n, c, i, j]
                    dxp[n, c, rows.start + a, cols.start + b] += g
    return crop(dxp, pad, x.shape[2:])


# --------------------------------------------------------------------------------------------
# avg_pool2d and sum_pool2d
# --------------------------------------------------------------------------------------------

def avg_pool2d(x, kernel_size, stride=None, padding=0, **unsupported):
    """2D average pooling (``count_include_pad=True``, PyTorch's default).

    Every window's sum divided by ``kH * kW``; padded zeros count in the average.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        ``None`` (default) means ``kernel_size``.
    padding : int or (int, int), default 0
        Zero padding on each side, at most half of ``kernel_size``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        ``H_out = (H + 2*padding[0] - kernel_size[0]) // stride[0] + 1``, likewise ``W_out``.

    See Also
    --------
    avg_pool2d_naive : the loop version.
    sum_pool2d : the same without the division.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> avg_pool2d(x, 2)[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    reject_unsupported("avg_pool2d", unsupported, UNSUPPORTED_POOL["avg_pool2d"])
    return avg_pool2d_forward(x, kernel_size, stride, padding)[0]


def avg_pool2d_naive(x, kernel_size, stride=None, padding=0, **unsupported):
    """Average pooling with explicit loops; same arguments as :func:`avg_pool2d`."""
    kernel, stride, pad = _pool_params("avg_pool2d_naive", x, kernel_size, stride, padding,
                                       unsupported)
    (kh, kw), (sh, sw) = kernel, stride
    xp = pad2d(x, pad)  # zeros, counted in the mean
    out = np.empty(_out_shape(x.shape, kernel, stride, pad), dtype=x.dtype)
    n_batch, channels, h_out, w_out = out.shape
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = window_slices(i, j, (kh, kw), (sh, sw))
                    window = xp[n, c, rows, cols]
                    out[n, c, i, j] = window.sum() / (kh * kw)
    return out


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, **unsupported):
    """Fast average pooling; returns ``(out, AvgPool2dCache)``."""
    kernel, stride, pad = _pool_params("avg_pool2d_forward", x, kernel_size, stride, padding,
                                       unsupported)
    shape = _out_shape(x.shape, kernel, stride, pad)
    out = _window_sum(pad2d(x, pad), kernel, stride, shape[2:])
    out /= kernel[0] * kernel[1]
    return out, AvgPool2dCache(x, kernel, stride, pad)


def avg_pool2d_backward(dout, cache):
    """Gradient of average pooling: each window spreads ``dout / (kH * kW)`` over its elements.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    dout = _check_backward("avg_pool2d_backward", dout, cache, AvgPool2dCache,
                           _windowed_out_shape)
    x, kernel, stride, pad = cache
    g = dout / (kernel[0] * kernel[1])
    return crop(_window_sum_backward(g, _padded_shape(x.shape, pad), kernel, stride), pad, x.shape[2:])


def avg_pool2d_backward_naive(dout, cache):
    """Average pooling backward with loops over ``n, c, i, j``."""
    dout = _check_backward("avg_pool2d_backward_naive", dout, cache, AvgPool2dCache,
                           _windowed_out_shape)
    x, (kh, kw), (sh, sw), pad = cache
    dxp = np.zeros(_padded_shape(x.shape, pad), dtype=x.dtype)
    n_batch, channels, h_out, w_out = dout.shape
    area = kh * kw
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    # every element of the window contributed 1/area of the output
                    rows, cols = window_slices(i, j, (kh, kw), (sh, sw))
                    dxp[n, c, rows, cols] += dout[n, c, i, j] / area
    return crop(dxp, pad, x.shape[2:])


def sum_pool2d(x, kernel_size, stride=None, padding=0):
    """2D sum pooling: the sum of every window (``avg_pool2d`` times ``kH * kW``).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        ``None`` (default) means ``kernel_size``.
    padding : int or (int, int), default 0
        Zero padding on each side, at most half of ``kernel_size``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        ``H_out = (H + 2*padding[0] - kernel_size[0]) // stride[0] + 1``, likewise ``W_out``.

    See Also
    --------
    sum_pool2d_naive : the loop version.
    avg_pool2d : the window mean.
    """
    return sum_pool2d_forward(x, kernel_size, stride, padding)[0]


def sum_pool2d_naive(x, kernel_size, stride=None, padding=0):
    """Sum pooling with explicit loops; same arguments as :func:`sum_pool2d`."""
    kernel, stride, pad = _pool_params("sum_pool2d_naive", x, kernel_size, stride, padding)
    (kh, kw), (sh, sw) = kernel, stride
    xp = pad2d(x, pad)
    out = np.empty(_out_shape(x.shape, kernel, stride, pad), dtype=x.dtype)
    n_batch, channels, h_out, w_out = out.shape
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = window_slices(i, j, (kh, kw), (sh, sw))
                    out[n, c, i, j] = xp[n, c, rows, cols].sum()
    return out


def sum_pool2d_forward(x, kernel_size, stride=None, padding=0):
    """Fast sum pooling; returns ``(out, SumPool2dCache)``."""
    kernel, stride, pad = _pool_params("sum_pool2d_forward", x, kernel_size, stride, padding)
    shape = _out_shape(x.shape, kernel, stride, pad)
    out = _window_sum(pad2d(x, pad), kernel, stride, shape[2:])
    return out, SumPool2dCache(x, kernel, stride, pad)


def sum_pool2d_backward(dout, cache):
    """Gradient of sum pooling: every window element receives the window's ``dout``."""
    dout = _check_backward("sum_pool2d_backward", dout, cache, SumPool2dCache,
                           _windowed_out_shape)
    x, kernel, stride, pad = cache
    return crop(_window_sum_backward(dout, _padded_shape(x.shape, pad), kernel, stride),
                 pad, x.shape[2:])


def sum_pool2d_backward_naive(dout, cache):
    """Sum pooling backward with loops over ``n, c, i, j``."""
    dout = _check_backward("sum_pool2d_backward_naive", dout, cache, SumPool2dCache,
                           _windowed_out_shape)
    x, (kh, kw), (sh, sw), pad = cache
    dxp = np.zeros(_padded_shape(x.shape, pad), dtype=x.dtype)
    n_batch, channels, h_out, w_out = dout.shape
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = window_slices(i, j, (kh, kw), (sh, sw))
                    dxp[n, c, rows, cols] += dout[n, c, i, j]
    return crop(dxp, pad, x.shape[2:])
