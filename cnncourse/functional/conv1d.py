"""1-D convolution on NCL batches (signals, time series), with PyTorch's semantics.

The same five public functions as :mod:`cnncourse.functional.conv` (2-D):

=========================  ====================================================================
``conv1d``                 fast forward: im2col + one matrix multiplication (GEMM)
``conv1d_naive``           the same result with explicit loops (one dot product per output)
``conv1d_forward``         fast forward that also returns a :class:`Conv1dCache`
``conv1d_backward``        fast backward: two GEMMs and a col2im
``conv1d_backward_naive``  loop backward, using only the inputs saved in the cache
=========================  ====================================================================

Layout ``x (N, C_in, L)``, ``weight (C_out, C_in, k)``, as ``torch.nn.functional.conv1d``;
"convolution" is cross-correlation (no kernel flip). A 1-D signal is a 2-D image of height 1,
so sizes come from :mod:`cnncourse.geometry` (``out_length``), and the windows, im2col and
col2im are :mod:`cnncourse.functional.window`'s, applied to the ``(N, C, 1, L)`` view: nothing
here writes a size formula or a window of its own. The convolution chapter (``book/convolution``)
runs it on an EEG recording.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ..checks import (check_array, check_bool, check_cache, check_dout, check_same_dtype,
                      is_int, reject_unsupported)
from ..geometry import effective_kernel, out_length, resolve_padding
from .conv import UNSUPPORTED_CONV, ConvGrads
from .window import col2im, crop, im2col, pad2d, window_slices

__all__ = [
    "Conv1dCache",
    "conv1d", "conv1d_naive", "conv1d_forward", "conv1d_backward", "conv1d_backward_naive",
]


class Conv1dCache(NamedTuple):
    """What :func:`conv1d_forward` saves for the backward pass.

    Attributes
    ----------
    x : ndarray, shape (N, C_in, L)
        The (unpadded) input.
    weight : ndarray, shape (C_out, C_in, k)
    has_bias : bool
    stride, dilation : int
    padding : (int, int)
        Zeros ``(left, right)``, resolved from ``'same'``/``'valid'``/int (``'same'`` with an
        even span is asymmetric, the extra zero on the right, as PyTorch).
    cols : ndarray, shape (C_in*k, N*L_out) or None
        The im2col matrix, reused by :func:`conv1d_backward`; ``None`` makes it rebuild.
    """

    x: np.ndarray
    weight: np.ndarray
    has_bias: bool
    stride: int
    padding: tuple
    dilation: int
    cols: Optional[np.ndarray] = None


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------

def _single(value, fn: str, name: str, min_value: int) -> int:
    """An int or a one-element tuple/list of an int (PyTorch's ``_single``), validated."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not is_int(value):
        raise TypeError(f"{fn}: {name} must be an int (or a 1-tuple), got {value!r}")
    if value < min_value:
        what = "positive" if min_value == 1 else f">= {min_value}"
        raise ValueError(f"{fn}: {name} must be {what}, got {value!r}")
    return int(value)


def _ncl(value, fn: str, name: str, layout: str) -> np.ndarray:
    value = check_array(value, fn, name)
    if value.ndim != 3:
        raise ValueError(f"{fn}: {name} must be 3-D {layout}, got shape {value.shape}")
    return value


def _conv1d_params(fn, x, weight, bias, stride, padding, dilation, unsupported):
    reject_unsupported(fn, unsupported, UNSUPPORTED_CONV)
    x = _ncl(x, fn, "x", "(N, C_in, L)")
    weight = _ncl(weight, fn, "weight", "(C_out, C_in, k)")
    if x.shape[1] != weight.shape[1]:
        plural = "" if x.shape[1] == 1 else "s"
        raise ValueError(f"{fn}: x has {x.shape[1]} channel{plural} but weight expects "
                         f"{weight.shape[1]} (x.shape={x.shape}, weight.shape={weight.shape})")
    check_same_dtype(fn, x, weight=weight)
    if bias is not None:
        bias = check_array(bias, fn, "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"{fn}: bias must have shape ({weight.shape[0]},), one value per "
                             f"output channel of weight.shape={weight.shape}, got shape "
                             f"{bias.shape}")
        check_same_dtype(fn, x, bias=bias)
    stride = _single(stride, fn, "stride", 1)
    dilation = _single(dilation, fn, "dilation", 1)
    k = weight.shape[2]
    if isinstance(padding, str):
        if padding == "same" and stride != 1:
            raise ValueError(f"{fn}: padding='same' needs stride 1 (as in PyTorch), got "
                             f"stride={stride}; give the padding as an int")
    else:
        padding = _single(padding, fn, "padding", 0)
    # the one padding resolver, on the length axis of the (N, C, 1, L) view
    padding = resolve_padding(padding, (k, k), (stride, stride), (dilation, dilation), fn)[1]
    span = effective_kernel(k, dilation)
    padded = x.shape[2] + sum(padding)
    if span > padded:
        raise ValueError(f"{fn}: the kernel, {span} long after dilation={dilation}, is longer "
                         f"than the padded input {padded} (x.shape={x.shape}, kernel {k}, "
                         f"padding (left, right)={padding})")
    return x, weight, bias, stride, padding, dilation


def _out_length(cache) -> int:
    return out_length(cache.x.shape[2] + sum(cache.padding), cache.weight.shape[2],
                      cache.stride, cache.dilation)


def _pad(x, padding):
    """``x`` (N, C, L) padded ``(left, right)``, as the (N, C, 1, Lp) view the window module uses."""
    return pad2d(x[:, :, None, :], ((0, 0), tuple(padding)))


def _geom2d(cache):
    return (1, cache.weight.shape[2]), (1, cache.stride), (1, cache.dilation)


# --------------------------------------------------------------------------------------------
# conv1d
# --------------------------------------------------------------------------------------------

def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, **unsupported):
    """1-D convolution (cross-correlation) of a batch of signals, as ``torch.nn.functional.conv1d``.

    ``out[n, o, i] = bias[o] + sum_{c, a} weight[o, c, a] * xp[n, c, i*s + a*d]`` where ``xp``
    is ``x`` zero-padded.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, L)
        Input batch, float32 or float64.
    weight : ndarray, shape (C_out, C_in, k)
        Filters, same dtype as ``x``.
    bias : ndarray, shape (C_out,), optional
    stride : int, default 1
    padding : int or {'valid', 'same'}, default 0
        Zeros added on *each* end; ``'same'`` (stride 1 only) keeps ``L_out = L``.
    dilation : int, default 1
    **unsupported
        PyTorch's ``groups`` only at its default 1.

    Returns
    -------
    out : ndarray, shape (N, C_out, L_out), dtype of ``x``
        ``L_out = (L + 2*padding - dilation*(k - 1) - 1) // stride + 1``.

    See Also
    --------
    conv1d_naive : the loop version.
    conv2d : the same op on images; ``conv1d(x, w)`` equals ``conv2d`` on ``x[:, :, None, :]``.

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    >>> conv1d(x, np.array([[[1.0, -1.0]]]))
    array([[[-1., -1., -1.]]])
    """
    return conv1d_forward(x, weight, bias, stride, padding, dilation, keep_cols=False,
                          **unsupported)[0]


def conv1d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, *, keep_cols=True,
                   **unsupported):
    """Fast :func:`conv1d` that also returns the :class:`Conv1dCache` for the backward.

    Returns
    -------
    out : ndarray, shape (N, C_out, L_out)
    cache : Conv1dCache
    """
    fn = "conv1d"
    x, weight, bias, stride, padding, dilation = _conv1d_params(
        fn, x, weight, bias, stride, padding, dilation, unsupported)
    keep_cols = check_bool(keep_cols, fn, "keep_cols")
    c_out, _, k = weight.shape
    cols = im2col(_pad(x, padding), (1, k), (1, stride), (1, dilation))   # (C_in*k, N*L_out)
    cache = Conv1dCache(x, weight, bias is not None, stride, padding, dilation,
                        cols if keep_cols else None)
    n, lo = x.shape[0], _out_length(cache)
    out = weight.reshape(c_out, -1) @ cols
    if bias is not None:
        out += bias[:, None]
    return np.ascontiguousarray(out.reshape(c_out, n, lo).transpose(1, 0, 2)), cache


def conv1d_backward(dout, cache, need_dx=True):
    """Fast gradients of :func:`conv1d`.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, L_out)
    cache : Conv1dCache
        From :func:`conv1d_forward`.
    need_dx : bool, default True

    Returns
    -------
    ConvGrads
        ``dx`` (N, C_in, L) or None, ``dweight`` (C_out, C_in, k), ``dbias`` (C_out,) or None.
    """
    fn = "conv1d_backward"
    check_cache(cache, fn, Conv1dCache, "conv1d_forward")
    need_dx = check_bool(need_dx, fn, "need_dx")
    x, weight = cache.x, cache.weight
    n, c_in, length = x.shape
    c_out = weight.shape[0]
    lo = _out_length(cache)
    dout = check_dout(dout, fn, (n, c_out, lo), x.dtype)
    kernel, stride, dilation = _geom2d(cache)
    dmat = dout.transpose(1, 0, 2).reshape(c_out, n * lo)
    cols = cache.cols
    if cols is None:
        cols = im2col(_pad(x, cache.padding), kernel, stride, dilation)
    dweight = (dmat @ cols.T).reshape(weight.shape)
    dbias = dmat.sum(axis=1) if cache.has_bias else None
    dx = None
    if need_dx:
        dcols = weight.reshape(c_out, -1).T @ dmat
        padded = (n, c_in, 1, length + sum(cache.padding))
        dxp = col2im(dcols, padded, kernel, stride, dilation, (1, lo))
        dx = crop(dxp, ((0, 0), cache.padding), (1, length))[:, :, 0, :]
    return ConvGrads(dx, dweight, dbias)


def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, **unsupported):
    """Loop version of :func:`conv1d`: one dot product per output sample.

    Parameters and returned shape exactly as :func:`conv1d`::

        L_out = (L + 2*padding - dilation*(k - 1) - 1) // stride + 1
    """
    x, weight, bias, stride, padding, dilation = _conv1d_params(
        "conv1d_naive", x, weight, bias, stride, padding, dilation, unsupported)
    xp = _pad(x, padding)[:, :, 0, :]
    n_batch, c_out, k = x.shape[0], weight.shape[0], weight.shape[2]
    l_out = out_length(xp.shape[2], k, stride, dilation)
    out = np.zeros((n_batch, c_out, l_out), dtype=x.dtype)
    for n in range(n_batch):
        for o in range(c_out):
            for i in range(l_out):
                # samples i*s, i*s + d, ... (k of them) of every input channel
                _, taps = window_slices(0, i, (1, k), (1, stride), (1, dilation))
                out[n, o, i] = np.sum(xp[n, :, taps] * weight[o])
            if bias is not None:
                out[n, o] += bias[o]
    return out


def conv1d_backward_naive(dout, cache, need_dx=True):
    """Loop version of :func:`conv1d_backward`: each ``g = dout[n, o, i]`` sends ``g * weight[o]``
    onto its window of x, ``g * window`` onto ``weight[o]`` and ``g`` onto ``bias[o]``."""
    fn = "conv1d_backward_naive"
    check_cache(cache, fn, Conv1dCache, "conv1d_forward")
    need_dx = check_bool(need_dx, fn, "need_dx")
    x, weight = cache.x, cache.weight
    dout = check_dout(dout, fn, (x.shape[0], weight.shape[0], _out_length(cache)), x.dtype)
    kernel, stride, dilation = _geom2d(cache)
    xp = _pad(x, cache.padding)[:, :, 0, :]
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    n_batch, c_out, l_out = dout.shape
    for n in range(n_batch):
        for o in range(c_out):
            for i in range(l_out):
                _, taps = window_slices(0, i, kernel, stride, dilation)
                g = dout[n, o, i]
                dxp[n, :, taps] += g * weight[o]
                dweight[o] += g * xp[n, :, taps]
    left = cache.padding[0]
    dx = np.ascontiguousarray(dxp[:, :, left:left + x.shape[2]]) if need_dx else None
    dbias = dout.sum(axis=(0, 2)) if cache.has_bias else None
    return ConvGrads(dx, dweight, dbias)
