"""The fully connected (linear) layer as an op: ``out = x @ weight.T + bias``, as PyTorch's
``torch.nn.functional.linear``.

Five public functions, as for every op (see :mod:`cnncourse.functional`):

=========================  ====================================================================
``linear``                 fast forward: one matrix multiplication
``linear_naive``           the same with explicit loops: one dot product per output value
``linear_forward``         fast forward that also returns a :class:`LinearCache`
``linear_backward``        ``dx = dout @ W``, ``dweight = dout.T @ x``, ``dbias = dout.sum(0)``
``linear_backward_naive``  the same three sums written as loops
=========================  ====================================================================

``x`` may have any number of leading dimensions ``(*, in_features)``; they are flattened into
one batch axis for the matrix products and restored in the output.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ..checks import check_array, check_bool, check_cache, check_dout, check_same_dtype

__all__ = ["LinearCache", "LinearGrads", "linear", "linear_naive", "linear_forward",
           "linear_backward", "linear_backward_naive"]


class LinearCache(NamedTuple):
    """What :func:`linear_forward` saves for the backward pass.

    Attributes
    ----------
    x : ndarray, shape (*, in_features)
        The input.
    weight : ndarray, shape (out_features, in_features)
    has_bias : bool
        Whether a bias was added (the backward then returns ``dbias``, else ``None``).
    """

    x: np.ndarray
    weight: np.ndarray
    has_bias: bool


class LinearGrads(NamedTuple):
    """Gradients of :func:`linear`: ``dx`` like x (None when not asked for), ``dweight`` like
    weight, ``dbias`` (None without a bias)."""

    dx: Optional[np.ndarray]
    dweight: np.ndarray
    dbias: Optional[np.ndarray]


def _check_inputs(fn, x, weight, bias):
    x = check_array(x, fn, "x")
    weight = check_array(weight, fn, "weight", 2)
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        features = "no features" if x.ndim == 0 else f"{x.shape[-1]} features"
        hint = ""
        if x.ndim > 2 and int(np.prod(x.shape[1:])) == weight.shape[1]:
            hint = " (did you forget a Flatten() before this layer?)"
        raise ValueError(f"{fn}: x has {features} but weight expects {weight.shape[1]} "
                         f"(x.shape={x.shape}, weight.shape={weight.shape}){hint}")
    if bias is not None:
        bias = check_array(bias, fn, "bias", 1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"{fn}: bias must have shape ({weight.shape[0]},) to match "
                             f"weight.shape={weight.shape}, got {bias.shape}")
    check_same_dtype(fn, x, weight=weight, bias=bias)
    return x, weight, bias


def linear(x, weight, bias=None):
    """Fully connected layer ``out = x @ weight.T + bias``, as ``torch.nn.functional.linear``.

    Parameters
    ----------
    x : ndarray, shape (*, in_features)
        Usually (N, in_features), e.g. flattened feature maps.
    weight : ndarray, shape (out_features, in_features)
        Same dtype as ``x``.
    bias : ndarray, shape (out_features,), optional

    Returns
    -------
    out : ndarray, shape (*, out_features), dtype of ``x``
        ``out[n, o] = bias[o] + sum_i x[n, i] * weight[o, i]``.

    See Also
    --------
    linear_naive : the loop version (one dot product per output value).

    Examples
    --------
    >>> linear(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, -1.0]]), np.array([0.5, 0.0]))
    array([[ 3.5, -2. ]])
    """
    return linear_forward(x, weight, bias)[0]


def linear_forward(x, weight, bias=None):
    """Fast :func:`linear` that also returns the cache the backward needs.

    Returns
    -------
    out : ndarray, shape (*, out_features)
    cache : LinearCache
    """
    x, weight, bias = _check_inputs("linear", x, weight, bias)
    out = x.reshape(-1, weight.shape[1]) @ weight.T
    if bias is not None:
        out += bias
    return out.reshape(*x.shape[:-1], weight.shape[0]), LinearCache(x, weight, bias is not None)


def linear_naive(x, weight, bias=None):
    """Loop version of :func:`linear`: each output value is one dot product.

    Parameters and result as :func:`linear`.
    """
    x, weight, bias = _check_inputs("linear_naive", x, weight, bias)
    x2 = x.reshape(-1, weight.shape[1])
    out = np.zeros((x2.shape[0], weight.shape[0]), dtype=x.dtype)
    for n in range(x2.shape[0]):
        for o in range(weight.shape[0]):
            total = bias[o] if bias is not None else x.dtype.type(0)
            for i in range(weight.shape[1]):
                total += x2[n, i] * weight[o, i]
            out[n, o] = total
    return out.reshape(*x.shape[:-1], weight.shape[0])


def _out_shape(cache):
    return (*cache.x.shape[:-1], cache.weight.shape[0])


def linear_backward(dout, cache, need_dx: bool = True):
    """Gradients of :func:`linear` with respect to x, weight and bias.

    Parameters
    ----------
    dout : ndarray, shape (*, out_features)
        Upstream gradient, exactly the forward output's shape and dtype.
    cache : LinearCache
        From :func:`linear_forward`.
    need_dx : bool, default True
        With False, ``dx`` is not computed (returned as None): the first layer of a network
        never needs the gradient with respect to the images (PyTorch's output mask).

    Returns
    -------
    LinearGrads
        ``dx = dout @ weight`` shape (*, in_features); ``dweight = dout.T @ x`` shape
        (out_features, in_features); ``dbias = dout.sum over the batch`` shape (out_features,).
    """
    fn = "linear_backward"
    check_cache(cache, fn, LinearCache, "linear_forward")
    need_dx = check_bool(need_dx, fn, "need_dx")
    dout = check_dout(dout, fn, _out_shape(cache), cache.x.dtype)
    d2 = dout.reshape(-1, cache.weight.shape[0])
    x2 = cache.x.reshape(-1, cache.weight.shape[1])
    dweight = d2.T @ x2
    dbias = d2.sum(axis=0) if cache.has_bias else None
    dx = (d2 @ cache.weight).reshape(cache.x.shape) if need_dx else None
    return LinearGrads(dx, dweight, dbias)


def linear_backward_naive(dout, cache):
    """Loop version of :func:`linear_backward`: the three sums of the chain rule.

    ``dx[n, i] = sum_o dout[n, o] * weight[o, i]``, ``dweight[o, i] = sum_n dout[n, o] * x[n, i]``,
    ``dbias[o] = sum_n dout[n, o]``.
    """
    fn = "linear_backward_naive"
    check_cache(cache, fn, LinearCache, "linear_forward")
    dout = check_dout(dout, fn, _out_shape(cache), cache.x.dtype)
    weight = cache.weight
    out_f, in_f = weight.shape
    d2, x2 = dout.reshape(-1, out_f), cache.x.reshape(-1, in_f)
    dx = np.zeros_like(x2)
    dweight = np.zeros_like(weight)
    dbias = np.zeros(out_f, dtype=dout.dtype) if cache.has_bias else None
    for n in range(d2.shape[0]):
        for o in range(out_f):
            for i in range(in_f):
                dx[n, i] += d2[n, o] * weight[o, i]
                dweight[o, i] += d2[n, o] * x2[n, i]
            if dbias is not None:
                dbias[o] += d2[n, o]
    return LinearGrads(dx.reshape(cache.x.shape), dweight, dbias)
