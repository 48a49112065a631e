"""Batch normalisation of NCHW feature maps as an op, as ``torch.nn.functional.batch_norm``.

Each channel ``c`` is normalised over ``(N, H, W)`` and then scaled and shifted::

    out = weight[c] * (x - mean[c]) / sqrt(var[c] + eps) + bias[c]

In training the batch mean and (biased) variance are used and the running statistics are
updated **in place** with the unbiased variance,
``running = (1 - momentum) * running + momentum * batch``; in evaluation the running
statistics are used.

==============================  ===============================================================
``batch_norm2d``                fast forward
``batch_norm2d_naive``          the same with an explicit loop over the channels
``batch_norm2d_forward``        fast forward that also returns a :class:`BatchNorm2dCache`
``batch_norm2d_backward``       the compact formula (subtract the mean and the projection)
``batch_norm2d_backward_naive`` the chain rule step by step: through x_hat, var and mean
==============================  ===============================================================
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ..checks import (check_array, check_bool, check_cache, check_dout, check_real,
                      check_same_dtype)

__all__ = ["BatchNorm2dCache", "BatchNormGrads", "batch_norm2d", "batch_norm2d_naive",
           "batch_norm2d_forward", "batch_norm2d_backward", "batch_norm2d_backward_naive"]


class BatchNorm2dCache(NamedTuple):
    """What :func:`batch_norm2d_forward` saves for the backward pass.

    Attributes
    ----------
    x_hat : ndarray, shape (N, C, H, W)
        The normalised input ``(x - mean) * inv_std``.
    inv_std : ndarray, shape (C,)
        ``1 / sqrt(var + eps)``.
    weight : ndarray, shape (C,), or None
        The scale (None: no affine transform).
    has_bias : bool
    training : bool
        Whether batch statistics were used (then the mean and variance depend on x too).
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    weight: Optional[np.ndarray]
    has_bias: bool
    training: bool


class BatchNormGrads(NamedTuple):
    """Gradients of :func:`batch_norm2d`: ``dx`` like x, ``dweight`` and ``dbias`` (C,) or None."""

    dx: np.ndarray
    dweight: Optional[np.ndarray]
    dbias: Optional[np.ndarray]


def _check_inputs(fn, x, running_mean, running_var, weight, bias, training, momentum, eps):
    x = check_array(x, fn, "x", 4)
    training = check_bool(training, fn, "training")
    momentum = check_real(momentum, fn, "momentum", low=0.0, high=1.0)
    eps = check_real(eps, fn, "eps", low=0.0, low_open=True)
    c = x.shape[1]
    for name, arr in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                      ("running_var", running_var)):
        if arr is None:
            continue
        check_array(arr, fn, name, 1)
        if arr.shape[0] != c:
            plural = "" if c == 1 else "s"
            raise ValueError(f"{fn}: x has {c} channel{plural} but {name} expects "
                             f"{arr.shape[0]} (x.shape={x.shape}, {name}.shape={arr.shape})")
    check_same_dtype(fn, x, weight=weight, bias=bias, running_mean=running_mean,
                     running_var=running_var)
    if not training and (running_mean is None or running_var is None):
        raise ValueError(f"{fn}: training=False needs running_mean and running_var")
    if training and x.shape[0] * x.shape[2] * x.shape[3] < 2:
        raise ValueError(f"{fn}: training needs more than one value per channel, got "
                         f"x.shape={x.shape}")
    return x, training, momentum, eps


def _update_running(running_mean, running_var, mean, var, m, momentum, dt):
    mom = dt(momentum)
    if running_mean is not None:
        running_mean *= 1 - mom
        running_mean += mom * mean
    if running_var is not None:
        running_var *= 1 - mom
        running_var += mom * var * dt(m / (m - 1))


def batch_norm2d(x, running_mean, running_var, weight=None, bias=None, training=False,
                 momentum=0.1, eps=1e-5):
    """Batch normalisation over ``(N, H, W)`` per channel, as ``torch.nn.functional.batch_norm``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    running_mean, running_var : ndarray, shape (C,), or None
        Updated in place when ``training``; used instead of the batch statistics otherwise.
    weight, bias : ndarray, shape (C,), optional
        Scale and shift (default 1 and 0).
    training : bool, default False
    momentum : float in [0, 1], default 0.1
    eps : float > 0, default 1e-5

    Returns
    -------
    out : ndarray, shape and dtype of x

    See Also
    --------
    batch_norm2d_naive : the loop over channels.
    """
    return batch_norm2d_forward(x, running_mean, running_var, weight, bias, training,
                                momentum, eps)[0]


def batch_norm2d_forward(x, running_mean, running_var, weight=None, bias=None, training=False,
                         momentum=0.1, eps=1e-5):
    """Fast :func:`batch_norm2d` that also returns the cache the backward needs.

    Returns
    -------
    out : ndarray, shape (N, C, H, W)
    cache : BatchNorm2dCache
    """
    fn = "batch_norm2d"
    x, training, momentum, eps = _check_inputs(fn, x, running_mean, running_var, weight, bias,
                                               training, momentum, eps)
    dt = x.dtype.type
    if training:
        m = x.shape[0] * x.shape[2] * x.shape[3]
        mean = x.mean(axis=(0, 2, 3))
        x_c = x - mean[:, None, None]
        var = np.square(x_c).mean(axis=(0, 2, 3))
        _update_running(running_mean, running_var, mean, var, m, momentum, dt)
    else:
        x_c = x - running_mean[:, None, None]
        var = running_var
    inv_std = 1 / np.sqrt(var + dt(eps))
    x_hat = x_c * inv_std[:, None, None]
    out = x_hat if weight is None else x_hat * weight[:, None, None]
    if bias is not None:
        out = out + bias[:, None, None]
    return out, BatchNorm2dCache(x_hat, inv_std, weight, bias is not None, training)


def batch_norm2d_naive(x, running_mean, running_var, weight=None, bias=None, training=False,
                       momentum=0.1, eps=1e-5):
    """Loop version of :func:`batch_norm2d`: one channel at a time, the statistics written out.

    Parameters and result as :func:`batch_norm2d` (the running statistics are updated the
    same way).
    """
    fn = "batch_norm2d_naive"
    x, training, momentum, eps = _check_inputs(fn, x, running_mean, running_var, weight, bias,
                                               training, momentum, eps)
    n, c, h, w = x.shape
    m = n * h * w
    out = np.empty_like(x)
    for k in range(c):
        values = x[:, k]
        if training:
            mean = values.sum() / m
            var = ((values - mean) ** 2).sum() / m
            if running_mean is not None:
                running_mean[k] = (1 - momentum) * running_mean[k] + momentum * mean
            if running_var is not None:
                running_var[k] = (1 - momentum) * running_var[k] + momentum * var * m / (m - 1)
        else:
            mean, var = running_mean[k], running_var[k]
        normalised = (values - mean) / np.sqrt(var + eps)
        scale = 1.0 if weight is None else weight[k]
        shift = 0.0 if bias is None else bias[k]
        out[:, k] = scale * normalised + shift
    return out


def _check_backward(fn, dout, cache):
    check_cache(cache, fn, BatchNorm2dCache, "batch_norm2d_forward")
    return check_dout(dout, fn, cache.x_hat.shape, cache.x_hat.dtype)


def batch_norm2d_backward(dout, cache):
    """Gradients of :func:`batch_norm2d` with respect to x, weight and bias.

    With ``g = dout * weight`` and ``m = N*H*W`` values per channel, in training::

        dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat))

    (the batch mean and variance depend on x: subtract the gradient's mean and its projection
    on x_hat); in evaluation ``dx = inv_std * g``. ``dweight = sum(dout * x_hat)``,
    ``dbias = sum(dout)``, over ``(N, H, W)``.

    Returns
    -------
    BatchNormGrads
    """
    dout = _check_backward("batch_norm2d_backward", dout, cache)
    x_hat, inv_std, weight = cache.x_hat, cache.inv_std, cache.weight
    dbias_full = dout.sum(axis=(0, 2, 3))
    dweight_full = (dout * x_hat).sum(axis=(0, 2, 3))
    scale = inv_std if weight is None else weight * inv_std
    scale = scale[:, None, None]
    if cache.training:
        m = dout.shape[0] * dout.shape[2] * dout.shape[3]
        dx = scale * (dout - (dbias_full / m)[:, None, None]
                      - x_hat * (dweight_full / m)[:, None, None])
    else:
        dx = dout * scale
    return BatchNormGrads(dx, None if weight is None else dweight_full,
                          dbias_full if cache.has_bias else None)


def batch_norm2d_backward_naive(dout, cache):
    """Loop version of :func:`batch_norm2d_backward`: the chain rule one step at a time.

    Per channel: ``dx_hat = dout * weight``; in training the variance and the mean depend on x,
    ``dvar = sum(dx_hat * (x - mean)) * -1/2 * inv_std**3`` and
    ``dmean = -sum(dx_hat) * inv_std``, and ``dx = dx_hat * inv_std + dvar * 2 (x - mean) / m
    + dmean / m``.
    """
    dout = _check_backward("batch_norm2d_backward_naive", dout, cache)
    x_hat, inv_std, weight = cache.x_hat, cache.inv_std, cache.weight
    n, c, h, w = dout.shape
    m = n * h * w
    dx = np.empty_like(dout)
    dweight = np.zeros(c, dtype=dout.dtype)
    dbias = np.zeros(c, dtype=dout.dtype)
    for k in range(c):
        g = dout[:, k]
        dweight[k] = (g * x_hat[:, k]).sum()
        dbias[k] = g.sum()
        dx_hat = g * (1.0 if weight is None else weight[k])
        if not cache.training:
            dx[:, k] = dx_hat * inv_std[k]
            continue
        centred = x_hat[:, k] / inv_std[k]                  # x - mean
        dvar = (dx_hat * centred).sum() * -0.5 * inv_std[k] ** 3
        dmean = -dx_hat.sum() * inv_std[k]                  # the dvar term's mean part is 0
        dx[:, k] = dx_hat * inv_std[k] + dvar * 2 * centred / m + dmean / m
    return BatchNormGrads(dx, None if weight is None else dweight,
                          dbias if cache.has_bias else None)
