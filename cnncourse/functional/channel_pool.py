"""Pooling across channels (maxout): the maximum over groups of ``pool_size`` feature maps.

The five public functions of :mod:`cnncourse.functional`; spatial pooling is in
:mod:`cnncourse.functional.pool` and :mod:`cnncourse.functional.adaptive_pool`.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import check_array, check_positive_int
from .pool import _check_backward

__all__ = ["max_pool_channels", "max_pool_channels_naive", "max_pool_channels_forward",
           "max_pool_channels_backward", "max_pool_channels_backward_naive",
           "MaxPoolChannelsCache"]


class MaxPoolChannelsCache(NamedTuple):
    """Saved by :func:`max_pool_channels_forward`; ``argmax`` is the winner's index in its group."""
    x: np.ndarray
    pool_size: int
    argmax: np.ndarray


# --------------------------------------------------------------------------------------------
# max_pool_channels (maxout)
# --------------------------------------------------------------------------------------------

def _channel_params(fn, x, pool_size):
    check_array(x, fn, "x", 4)
    pool_size = check_positive_int(pool_size, fn, "pool_size")
    if x.shape[1] % pool_size:
        raise ValueError(f"{fn}: the number of channels C={x.shape[1]} must be divisible by "
                         f"pool_size={pool_size} (x.shape={x.shape})")
    return int(pool_size)


def _channels_out_shape(cache):
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
                           _channels_out_shape)
    x, k, argmax = cache
    n_batch, channels, h, w = x.shape
    dx = np.empty((n_batch, channels // k, k, h, w), dtype=x.dtype)
    for member in range(k):
        np.multiply(dout, argmax == member, out=dx[:, :, member])
    return dx.reshape(x.shape)


def max_pool_channels_backward_naive(dout, cache):
    """Channel max pooling backward with loops over ``n, g, i, j``."""
    dout = _check_backward("max_pool_channels_backward_naive", dout, cache, MaxPoolChannelsCache,
                           _channels_out_shape)
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
