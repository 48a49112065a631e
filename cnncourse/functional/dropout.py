"""Inverted dropout as an op, as PyTorch's ``torch.nn.functional.dropout``.

In training, each element is zeroed with probability ``p`` and the survivors are scaled by
``1 / (1 - p)``, so the expectation is unchanged and evaluation is the identity.

=====================  ========================================================================
``dropout``            forward (a random mask from ``rng``)
``dropout_forward``    forward that also returns a :class:`DropoutCache` (the scaled mask)
``dropout_backward``   ``dx = dout * mask``: the gradient flows only through the kept elements
=====================  ========================================================================

There is no ``_naive`` pair: the op is one elementwise product, already as plain as a loop.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ..checks import as_rng, check_array, check_bool, check_cache, check_dout, check_real

__all__ = ["DropoutCache", "dropout", "dropout_forward", "dropout_backward"]


class DropoutCache(NamedTuple):
    """What :func:`dropout_forward` saves for the backward pass.

    Attributes
    ----------
    mask : ndarray (shape of x) or None
        The scaled mask, 0 or ``1/(1-p)``; None when the forward was the identity (evaluation
        mode or ``p = 0``).
    shape : tuple
        The input's (and output's) shape.
    dtype : numpy dtype
    """

    mask: Optional[np.ndarray]
    shape: tuple
    dtype: np.dtype


def dropout(x, p: float = 0.5, training: bool = True, rng=None):
    """Inverted dropout of ``x`` (any shape), as ``torch.nn.functional.dropout``.

    Parameters
    ----------
    x : ndarray, float
    p : float in [0, 1], default 0.5
        Probability of zeroing an element.
    training : bool, default True
        With False the op is the identity (returns ``x`` itself).
    rng : int seed, None or numpy.random.Generator
        Source of the mask (the package's one rng policy, :func:`cnncourse.checks.as_rng`).

    Returns
    -------
    out : ndarray, shape and dtype of x
        ``x * keep / (1 - p)`` with ``keep`` 1 with probability ``1 - p``.

    Examples
    --------
    >>> out = dropout(np.ones((2, 4)), p=0.5, rng=0)
    >>> sorted(set(out.ravel().tolist()))
    [0.0, 2.0]
    """
    return dropout_forward(x, p, training, rng)[0]


def dropout_forward(x, p: float = 0.5, training: bool = True,
                    rng=None):
    """:func:`dropout` that also returns the cache (the scaled mask)
    for the backward.

    Returns
    -------
    out : ndarray, shape and dtype of x
    cache : DropoutCache
    """
    fn = "dropout"
    x = check_array(x, fn, "x")
    p = check_real(p, fn, "p", low=0.0, high=1.0)
    training = check_bool(training, fn, "training")
    rng = as_rng(rng, fn)
    if not training or p == 0:
        return x, DropoutCache(None, x.shape, x.dtype)
    float_dtype = x.dtype in (np.float32, np.float64)
    draw_dtype = x.dtype if float_dtype else np.float64
    keep = rng.random(x.shape, dtype=draw_dtype) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    mask = keep.astype(x.dtype) * x.dtype.type(scale)
    return x * mask, DropoutCache(mask, x.shape, x.dtype)


def dropout_backward(dout, cache):
    """Gradient of :func:`dropout`: ``dx = dout * mask`` (``dout`` itself in evaluation mode).

    Parameters
    ----------
    dout : ndarray, exactly the forward output's shape and dtype
    cache : DropoutCache

    Returns
    -------
    dx : ndarray, shape of x
    """
    fn = "dropout_backward"
    check_cache(cache, fn, DropoutCache, "dropout_forward")
    dout = check_dout(dout, fn, cache.shape, cache.dtype)
    return dout if cache.mask is None else dout * cache.mask
