"""2-D transposed convolution on NCHW batches, as ``torch.nn.functional.conv_transpose2d``.

The five public functions (``conv_transpose2d``, ``_naive``, ``_forward``, ``_backward``,
``_backward_naive``) mirror those of :mod:`cnncourse.functional.conv`, whose adjoint this op
is: the forward of one is the input gradient of the other, so the fast forward here is
conv2d's col2im and the fast backward conv2d's im2col. The chapter ``book/backprop`` explains
the "stamping" loop of :func:`conv_transpose2d_naive` and the kernel flip it hides.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import check_conv_inputs, check_dout, pair, reject_unsupported
from ..geometry import padded_hw, symmetric_padding, transpose_out_hw
from .conv import UNSUPPORTED_CONV, ConvGrads, _check_cache
from .window import col2im, crop, im2col, pad2d, window_slices

__all__ = [
    "ConvTranspose2dCache",
    "conv_transpose2d", "conv_transpose2d_naive", "conv_transpose2d_forward",
    "conv_transpose2d_backward", "conv_transpose2d_backward_naive",
]


class ConvTranspose2dCache(NamedTuple):
    """What :func:`conv_transpose2d_forward` saves for the backward pass.

    Attributes
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_in, C_out, kH, kW)
    has_bias : bool
    stride, output_padding, dilation : tuple of int, (h, w)
    padding : ((int, int), (int, int))
        Rows/columns cropped per side, ``((top, bottom), (left, right))`` like every cache of
        :mod:`cnncourse.functional`; always symmetric, as in PyTorch's ``conv_transpose2d``.
    """

    x: np.ndarray
    weight: np.ndarray
    has_bias: bool
    stride: tuple
    padding: tuple
    output_padding: tuple
    dilation: tuple


def _conv_transpose2d_params(fn, x, weight, bias, stride, padding, output_padding, dilation,
                             unsupported):
    reject_unsupported(fn, unsupported, UNSUPPORTED_CONV)
    x, weight, bias = check_conv_inputs(fn, x, weight, bias, weight_in_axis=0)
    stride = pair(stride, fn, "stride", min_value=1)
    dilation = pair(dilation, fn, "dilation", min_value=1)
    padding = symmetric_padding(pair(padding, fn, "padding", min_value=0))
    output_padding = pair(output_padding, fn, "output_padding", min_value=0)
    for axis, op, s, d in zip("hw", output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"{fn}: output_padding must be smaller than either stride or "
                             f"dilation (PyTorch's rule), got output_padding={output_padding}, "
                             f"stride={stride}, dilation={dilation} (axis {axis})")
    out_hw = _out_hw(x.shape, weight.shape, stride, padding, output_padding, dilation)
    if min(out_hw) <= 0:
        raise ValueError(f"{fn}: the output would be {out_hw[0]}x{out_hw[1]} for "
                         f"x.shape={x.shape}, weight.shape={weight.shape}, stride={stride}, "
                         f"padding={padding[0][0], padding[1][0]}, "
                         f"output_padding={output_padding}, dilation={dilation}; reduce padding")
    return x, weight, bias, stride, padding, output_padding, dilation


def _out_hw(x_shape, w_shape, stride, padding, output_padding, dilation):
    return transpose_out_hw(x_shape[2:], w_shape[2:], stride, padding, output_padding, dilation)


def _cache_out_hw(cache):
    return _out_hw(cache.x.shape, cache.weight.shape, cache.stride, cache.padding,
                   cache.output_padding, cache.dilation)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1,
                     **unsupported):
    """2-D transposed convolution of a batch, as ``torch.nn.functional.conv_transpose2d``.

    Each input pixel ``x[n, c, i, j]`` stamps the scaled kernel ``x[n, c, i, j] * weight[c]``
    onto the output at ``(i*sH, j*sW)`` (taps spaced by the dilation); overlapping stamps add
    up, then ``padding`` rows/columns are cropped from each side. It is the input gradient of
    :func:`conv2d` with the same weight and hyperparameters (the adjoint), which is how
    transposed convolutions upsample.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_in, C_out, kH, kW)
        Note the order: input channels first, as PyTorch.
    bias : ndarray, shape (C_out,), optional
    stride : int or (int, int), default 1
    padding : int or (int, int), default 0
        Rows/columns *removed* from each side of the full output (``dilation*(k-1) - padding``
        zeros pad the input of the equivalent direct convolution).
    output_padding : int or (int, int), default 0
        Extra rows/columns at the bottom/right, to pick among the input sizes that a strided
        conv2d maps to the same ``H``; must be smaller than stride or dilation.
    dilation : int or (int, int), default 1
    **unsupported
        PyTorch's ``groups`` is accepted only at its default 1 (``TypeError`` otherwise).

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out), dtype of ``x``
        ``H_out = (H - 1)*sH - 2*pH + dH*(kH - 1) + output_padding_H + 1``, likewise W_out.

    See Also
    --------
    conv_transpose2d_naive : the loop ("stamping") version.
    conv2d_backward : whose ``dx`` is this op applied to ``dout``.
    """
    return conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding,
                                    dilation, **unsupported)[0]


def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                             dilation=1, **unsupported):
    """Fast :func:`conv_transpose2d` that also returns the cache the backward needs.

    Computed as conv2d's input gradient: one GEMM ``weight.reshape(C_in, -1).T @ x`` gives the
    columns (C_out*kH*kW, N*H*W), which col2im adds onto a zero buffer before the crop.

    Parameters
    ----------
    x, weight, bias, stride, padding, output_padding, dilation
        As in :func:`conv_transpose2d`.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = (H - 1)*sH - 2*pH + dH*(kH - 1) + output_padding_H + 1``.
    cache : ConvTranspose2dCache
    """
    fn = "conv_transpose2d"
    x, weight, bias, stride, padding, output_padding, dilation = _conv_transpose2d_params(
        fn, x, weight, bias, stride, padding, output_padding, dilation, unsupported)
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    ho, wo = _out_hw(x.shape, weight.shape, stride, padding, output_padding, dilation)
    xmat = x.transpose(1, 0, 2, 3).reshape(c_in, n * h * w)
    dcols = weight.reshape(c_in, -1).T @ xmat               # (C_out*kH*kW, N*H*W)
    full = col2im(dcols, (n, c_out) + padded_hw((ho, wo), padding), (kh, kw), stride,
                  dilation, (h, w))
    out = crop(full, padding, (ho, wo))
    if bias is not None:
        out += bias[:, None, None]
    cache = ConvTranspose2dCache(x, weight, bias is not None, stride, padding, output_padding,
                                 dilation)
    return out, cache


def conv_transpose2d_backward(dout, cache):
    """Fast gradients of :func:`conv_transpose2d`.

    ``dx`` is :func:`conv2d` of ``dout`` with the same weight (adjointness), computed through
    one im2col of ``dout``; ``dweight`` is one more GEMM with the same columns.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out)
    cache : ConvTranspose2dCache

    Returns
    -------
    ConvGrads
        ``dx`` (N, C_in, H, W), ``dweight`` (C_in, C_out, kH, kW), ``dbias`` (C_out,) or None.
    """
    fn = "conv_transpose2d_backward"
    _check_cache(fn, cache, ConvTranspose2dCache)
    x, weight = cache.x, cache.weight
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    dout = check_dout(dout, fn, (n, c_out) + _cache_out_hw(cache), x.dtype)
    # windows of the padded dout; output_padding >= stride (allowed when < dilation) can give
    # more windows than x has pixels, so keep only the first H x W
    cols = im2col(pad2d(dout, cache.padding), (kh, kw), cache.stride, cache.dilation,
                  out_hw=(h, w))                            # (C_out*kH*kW, N*H*W)
    wmat = weight.reshape(c_in, -1)
    dxmat = wmat @ cols                                      # (C_in, N*H*W)
    dx = np.ascontiguousarray(dxmat.reshape(c_in, n, h, w).transpose(1, 0, 2, 3))
    xmat = x.transpose(1, 0, 2, 3).reshape(c_in, n * h * w)
    dweight = (xmat @ cols.T).reshape(weight.shape)
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return ConvGrads(dx, dweight, dbias)


def conv_transpose2d_naive(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                           dilation=1, **unsupported):
    """Loop version of :func:`conv_transpose2d`: every input pixel stamps a scaled kernel.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_in, C_out, kH, kW)
    bias : ndarray, shape (C_out,), optional
    stride, padding, output_padding, dilation
        As in :func:`conv_transpose2d`.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = (H - 1)*sH - 2*pH + dH*(kH - 1) + output_padding_H + 1``.
    """
    x, weight, bias, stride, padding, output_padding, dilation = _conv_transpose2d_params(
        "conv_transpose2d_naive", x, weight, bias, stride, padding, output_padding, dilation,
        unsupported)
    n_batch, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    h_out, w_out = _out_hw(x.shape, weight.shape, stride, padding, output_padding, dilation)
    # the full (uncropped) output: padding rows/columns on each side are cropped at the end
    full = np.zeros((n_batch, c_out) + padded_hw((h_out, w_out), padding), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(c_in):
            for i in range(h):
                for j in range(w):
                    rows, cols = window_slices(i, j, (kh, kw), stride, dilation)
                    # weight[c] has shape (C_out, kH, kW): one stamp per output channel
                    full[n, :, rows, cols] += x[n, c, i, j] * weight[c]
    out = crop(full, padding, (h_out, w_out))
    if bias is not None:
        out += bias[None, :, None, None]
    return out


def conv_transpose2d_backward_naive(dout, cache):
    """Loop version of :func:`conv_transpose2d_backward`.

    Each stamp ``x[n, c, i, j] * weight[c]`` landed on a window of the full output, so
    ``dx[n, c, i, j] = sum(window_of_dout * weight[c])`` and ``dweight[c] += x[n, c, i, j] *
    window_of_dout``: the stamping loop read backwards is a direct convolution.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out)
    cache : ConvTranspose2dCache

    Returns
    -------
    ConvGrads
        ``dx`` (N, C_in, H, W), ``dweight`` (C_in, C_out, kH, kW), ``dbias`` (C_out,) or None.
    """
    _check_cache("conv_transpose2d_backward_naive", cache, ConvTranspose2dCache)
    x, weight = cache.x, cache.weight
    n_batch, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    dout = check_dout(dout, "conv_transpose2d_backward_naive",
                      (n_batch, c_out) + _cache_out_hw(cache), x.dtype)
    # the gradient of the full output is dout surrounded by zeros where it was cropped
    dfull = pad2d(dout, cache.padding)
    dx = np.zeros_like(x)
    dweight = np.zeros_like(weight)
    for n in range(n_batch):
        for c in range(c_in):
            for i in range(h):
                for j in range(w):
                    rows, cols = window_slices(i, j, (kh, kw), cache.stride, cache.dilation)
                    window = dfull[n, :, rows, cols]           # (C_out, kH, kW)
                    dx[n, c, i, j] = np.sum(window * weight[c])
                    dweight[c] += x[n, c, i, j] * window
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return ConvGrads(dx, dweight, dbias)
