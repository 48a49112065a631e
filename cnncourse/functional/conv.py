"""2-D convolution and transposed convolution on NCHW batches, with PyTorch's semantics.

Each op comes in five public functions (see :mod:`cnncourse.functional`):

=========================  ====================================================================
``conv2d``                 fast forward: im2col + one matrix multiplication (GEMM)
``conv2d_naive``           the same result with explicit loops (the book's teaching version)
``conv2d_forward``         fast forward that also returns a :class:`Conv2dCache`
``conv2d_backward``        fast backward: two GEMMs and a col2im (slice-adds, no ``np.add.at``)
``conv2d_backward_naive``  loop backward, using only the inputs saved in the cache
=========================  ====================================================================

and likewise ``conv_transpose2d*``. Like PyTorch, "convolution" here is cross-correlation (no
kernel flip). The chapters ``book/convolution``, ``book/padding-stride`` and ``book/backprop``
explain the loops, the output-size formula and the gradients.

The fast path builds the im2col matrix ``cols`` of shape ``(C_in*kH*kW, N*H_out*W_out)``:
column ``(n, i, j)`` holds the window under output pixel ``(i, j)`` of image ``n``. Then

* forward:  ``out = W @ cols`` with ``W = weight.reshape(C_out, C_in*kH*kW)``;
* backward: ``dweight = dout @ cols.T``, ``dbias = dout.sum()``, and ``dx`` is ``W.T @ dout``
  scattered back onto the (padded) input, one strided slice-add per kernel offset (col2im).

The input gradient of ``conv2d`` *is* ``conv_transpose2d``: the two ops are adjoint, so each
one's forward is the other's backward.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._util import check_array, check_same_dtype, out_size, pad2d, pair, windows

__all__ = [
    "Conv2dCache", "ConvTranspose2dCache", "ConvGrads",
    "conv2d", "conv2d_naive", "conv2d_forward", "conv2d_backward", "conv2d_backward_naive",
    "conv_transpose2d", "conv_transpose2d_naive", "conv_transpose2d_forward",
    "conv_transpose2d_backward", "conv_transpose2d_backward_naive",
]


class Conv2dCache(NamedTuple):
    """What :func:`conv2d_forward` saves for the backward pass.

    Attributes
    ----------
    x : ndarray, shape (N, C_in, H, W)
        The (unpadded) input.
    weight : ndarray, shape (C_out, C_in, kH, kW)
    has_bias : bool
        Whether a bias was added (the backward then returns ``dbias``, else ``None``).
    stride, dilation : tuple of int, (h, w)
    padding : tuple of int, (top, bottom, left, right)
        Zero padding per side, already resolved from ``'same'``/``'valid'``/int/pair.
    cols : ndarray, shape (C_in*kH*kW, N*H_out*W_out) or None
        The im2col matrix of the forward, reused by the fast backward for ``dweight``;
        ``None`` when the cache comes from elsewhere (the backward then rebuilds it).
    """

    x: np.ndarray
    weight: np.ndarray
    has_bias: bool
    stride: tuple
    padding: tuple
    dilation: tuple
    cols: Optional[np.ndarray] = None


class ConvTranspose2dCache(NamedTuple):
    """What :func:`conv_transpose2d_forward` saves for the backward pass.

    Attributes
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_in, C_out, kH, kW)
    has_bias : bool
    stride, padding, output_padding, dilation : tuple of int, (h, w)
        ``padding`` is per side and symmetric, as in PyTorch's ``conv_transpose2d``.
    """

    x: np.ndarray
    weight: np.ndarray
    has_bias: bool
    stride: tuple
    padding: tuple
    output_padding: tuple
    dilation: tuple


class ConvGrads(NamedTuple):
    """Gradients of a convolution: ``dx`` like x, ``dweight`` like weight, ``dbias`` (or None)."""

    dx: np.ndarray
    dweight: np.ndarray
    dbias: Optional[np.ndarray]


# --------------------------------------------------------------------------------------------
# validation shared by both ops
# --------------------------------------------------------------------------------------------

def _check_inputs(fn, x, weight, bias, weight_in_axis):
    """Validate x, weight, bias; ``weight_in_axis`` is the weight axis that must equal C_in."""
    x = check_array(x, "x", fn, ndim=4)
    weight = check_array(weight, "weight", fn, ndim=4)
    expected = weight.shape[weight_in_axis]
    if x.shape[1] != expected:
        plural = "" if x.shape[1] == 1 else "s"
        raise ValueError(f"{fn}: x has {x.shape[1]} channel{plural} but weight expects "
                         f"{expected} (x.shape={x.shape}, weight.shape={weight.shape})")
    check_same_dtype(fn, x, weight=weight)
    if bias is not None:
        bias = check_array(bias, "bias", fn)
        n_out = weight.shape[1 - weight_in_axis]
        if bias.shape != (n_out,):
            raise ValueError(f"{fn}: bias must have shape ({n_out},), one value per output "
                             f"channel of weight.shape={weight.shape}, got shape {bias.shape}")
        check_same_dtype(fn, x, bias=bias)
    return x, weight, bias


def _resolve_padding(fn, padding, kernel, stride, dilation):
    """Padding per side ``(top, bottom, left, right)`` from an int, a pair, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{fn}: padding='same' needs stride 1 (as in PyTorch), "
                                 f"got stride={stride}; give the padding as an int or pair")
            (kh, kw), (dh, dw) = kernel, dilation
            th, tw = dh * (kh - 1), dw * (kw - 1)          # total padding per axis
            return (th // 2, th - th // 2, tw // 2, tw - tw // 2)  # extra at bottom/right
        raise ValueError(f"{fn}: padding must be an int, a pair (h, w), 'valid' or 'same', "
                         f"got {padding!r}")
    ph, pw = pair(padding, "padding", fn, min_value=0)
    return (ph, ph, pw, pw)


def _check_kernel_fits(fn, x_shape, kernel, padding, dilation):
    (kh, kw), (dh, dw) = kernel, dilation
    top, bottom, left, right = padding
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    hp, wp = x_shape[2] + top + bottom, x_shape[3] + left + right
    if eh > hp or ew > wp:
        raise ValueError(f"{fn}: the kernel, {eh}x{ew} after dilation={dilation}, is larger than "
                         f"the padded input {hp}x{wp} (x.shape={tuple(x_shape)}, "
                         f"kernel {kh}x{kw}, padding (top, bottom, left, right)={padding})")


def _conv2d_params(fn, x, weight, bias, stride, padding, dilation):
    x, weight, bias = _check_inputs(fn, x, weight, bias, weight_in_axis=1)
    stride = pair(stride, "stride", fn, min_value=1)
    dilation = pair(dilation, "dilation", fn, min_value=1)
    kernel = weight.shape[2:]
    padding = _resolve_padding(fn, padding, kernel, stride, dilation)
    _check_kernel_fits(fn, x.shape, kernel, padding, dilation)
    return x, weight, bias, stride, padding, dilation


def _conv_transpose2d_params(fn, x, weight, bias, stride, padding, output_padding, dilation):
    x, weight, bias = _check_inputs(fn, x, weight, bias, weight_in_axis=0)
    stride = pair(stride, "stride", fn, min_value=1)
    dilation = pair(dilation, "dilation", fn, min_value=1)
    padding = pair(padding, "padding", fn, min_value=0)
    output_padding = pair(output_padding, "output_padding", fn, min_value=0)
    for axis, op, s, d in zip("hw", output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"{fn}: output_padding must be smaller than either stride or "
                             f"dilation (PyTorch's rule), got output_padding={output_padding}, "
                             f"stride={stride}, dilation={dilation} (axis {axis})")
    out_hw = _transpose_out_hw(x.shape, weight.shape, stride, padding, output_padding, dilation)
    if min(out_hw) <= 0:
        raise ValueError(f"{fn}: the output would be {out_hw[0]}x{out_hw[1]} for "
                         f"x.shape={x.shape}, weight.shape={weight.shape}, stride={stride}, "
                         f"padding={padding}, output_padding={output_padding}, "
                         f"dilation={dilation}; reduce padding")
    return x, weight, bias, stride, padding, output_padding, dilation


def _transpose_out_hw(x_shape, w_shape, stride, padding, output_padding, dilation):
    """``H_out = (H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1``, per axis."""
    return tuple((x_shape[2 + a] - 1) * stride[a] - 2 * padding[a]
                 + dilation[a] * (w_shape[2 + a] - 1) + output_padding[a] + 1 for a in (0, 1))


def _check_cache(fn, cache, kind):
    if not isinstance(cache, kind):
        forward = "conv2d_forward" if kind is Conv2dCache else "conv_transpose2d_forward"
        raise TypeError(f"{fn}: cache must be the {kind.__name__} returned by {forward}, "
                        f"got {type(cache).__name__}")


def _check_dout(fn, dout, expected_shape, dtype):
    dout = check_array(dout, "dout", fn, ndim=4)
    if dout.shape != tuple(expected_shape):
        raise ValueError(f"{fn}: dout must have the forward output's shape "
                         f"{tuple(expected_shape)}, got {dout.shape}")
    if dout.dtype != dtype:
        raise TypeError(f"{fn}: dout has dtype {dout.dtype} but the forward ran in {dtype}")
    return dout


def _conv2d_out_shape(cache):
    n, _, h, w = cache.x.shape
    c_out, _, kh, kw = cache.weight.shape
    top, bottom, left, right = cache.padding
    return (n, c_out, out_size(h + top + bottom, kh, cache.stride[0], cache.dilation[0]),
            out_size(w + left + right, kw, cache.stride[1], cache.dilation[1]))


# --------------------------------------------------------------------------------------------
# fast building blocks: im2col and col2im
# --------------------------------------------------------------------------------------------

def _im2col(xp, kernel, stride, dilation, out_hw=None):
    """Windows of a padded input as one matrix, shape (C*kH*kW, N*H_out*W_out), one copy.

    ``out_hw`` keeps only the first ``(H_out, W_out)`` windows (used by conv_transpose2d).
    """
    view = windows(xp, kernel, stride, dilation)          # (N, C, H_out, W_out, kH, kW), no copy
    if out_hw is not None:
        view = view[:, :, :out_hw[0], :out_hw[1]]
    n, c, ho, wo, kh, kw = view.shape
    return view.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * ho * wo)


def _col2im(dcols, shape_cnhw, kernel, stride, dilation, out_hw):
    """Adjoint of :func:`_im2col`: add each column back onto its window.

    ``dcols`` has shape (C*kH*kW, N*H_out*W_out); the result has layout (C, N, Hp, Wp)
    (channels first, so that every slice-add below is over contiguous blocks).
    One strided slice-add per kernel offset (kH*kW of them), never ``np.add.at``.
    """
    c, n, hp, wp = shape_cnhw
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    d6 = dcols.reshape(c, kh, kw, n, ho, wo)
    buf = np.zeros(shape_cnhw, dtype=dcols.dtype)
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)
        for b in range(kw):
            buf[:, :, rows, b * dw: b * dw + sw * (wo - 1) + 1: sw] += d6[:, a, b]
    return buf


def _crop_to_nchw(buf_cnhw, top, height, left, width):
    """Crop rows ``top:top+height`` and columns ``left:left+width`` (explicit ends, so a zero
    padding never turns into an empty ``[0:-0]`` slice) and return a contiguous NCHW array."""
    cropped = buf_cnhw[:, :, top:top + height, left:left + width]
    return np.ascontiguousarray(cropped.transpose(1, 0, 2, 3))


# --------------------------------------------------------------------------------------------
# conv2d
# --------------------------------------------------------------------------------------------

def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation) of a batch, as ``torch.nn.functional.conv2d``.

    ``out[n, o, i, j] = bias[o] + sum_{c, a, b} weight[o, c, a, b]
    * xp[n, c, i*sH + a*dH, j*sW + b*dW]`` where ``xp`` is ``x`` zero-padded.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
        Input batch, float32 or float64.
    weight : ndarray, shape (C_out, C_in, kH, kW)
        Filters, same dtype as ``x``.
    bias : ndarray, shape (C_out,), optional
        One value added to each output channel.
    stride : int or (int, int), default 1
        Step between windows, ``(sH, sW)``.
    padding : int or (int, int) or {'valid', 'same'}, default 0
        Zeros added on *each* side, ``(pH, pW)``. ``'valid'`` is 0; ``'same'`` (stride 1 only)
        keeps ``H_out = H``: total ``dilation*(k - 1)`` split with the extra row/column at the
        bottom/right when it is odd, as PyTorch.
    dilation : int or (int, int), default 1
        Spacing between kernel taps.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out), dtype of ``x``
        ``H_out = (H + 2*pH - dH*(kH - 1) - 1) // sH + 1`` and likewise ``W_out``.

    Raises
    ------
    TypeError
        Non-array or non-float inputs, mismatched dtypes, non-integer sizes.
    ValueError
        Wrong number of dimensions, channel or bias mismatch, stride/dilation < 1, negative
        padding, ``'same'`` with stride > 1, a (dilated) kernel larger than the padded input.

    See Also
    --------
    conv2d_naive : the loop version shown in the convolution chapter (``book/convolution``).
    conv2d_forward : the same, also returning the cache for :func:`conv2d_backward`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = np.ones((1, 1, 2, 2))
    >>> conv2d(x, w)[0, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    return conv2d_forward(x, weight, bias, stride, padding, dilation)[0]


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Fast :func:`conv2d` that also returns the cache the backward needs.

    Builds the im2col matrix ``cols``, shape (C_in*kH*kW, N*H_out*W_out), with a single copy
    of the strided window view, and computes all outputs with one GEMM
    ``weight.reshape(C_out, -1) @ cols``.

    Parameters
    ----------
    x, weight, bias, stride, padding, dilation
        As in :func:`conv2d`.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = (H + 2*pH - dH*(kH - 1) - 1) // sH + 1``.
    cache : Conv2dCache
        Inputs, resolved hyperparameters and ``cols``, for :func:`conv2d_backward`.
    """
    fn = "conv2d"
    x, weight, bias, stride, padding, dilation = _conv2d_params(
        fn, x, weight, bias, stride, padding, dilation)
    c_out, _, kh, kw = weight.shape
    cols = _im2col(pad2d(x, padding), (kh, kw), stride, dilation)
    cache = Conv2dCache(x, weight, bias is not None, stride, padding, dilation, cols)
    n, _, ho, wo = _conv2d_out_shape(cache)
    out = weight.reshape(c_out, -1) @ cols                 # (C_out, N*H_out*W_out)
    if bias is not None:
        out += bias[:, None]
    out = np.ascontiguousarray(out.reshape(c_out, n, ho, wo).transpose(1, 0, 2, 3))
    return out, cache


def conv2d_backward(dout, cache):
    """Fast gradients of :func:`conv2d` with respect to x, weight and bias.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out)
        Upstream gradient dL/dout, same dtype as the forward.
    cache : Conv2dCache
        From :func:`conv2d_forward`.

    Returns
    -------
    ConvGrads
        ``dx`` shape (N, C_in, H, W); ``dweight`` shape (C_out, C_in, kH, kW);
        ``dbias`` shape (C_out,) or None when the forward had no bias.

    Notes
    -----
    With ``D = dout`` as a (C_out, N*H_out*W_out) matrix: ``dweight = D @ cols.T`` (the
    cross-correlation of the input with ``dout``), ``dbias = D.sum(axis=1)``, and
    ``dx = col2im(W.T @ D)`` -- the full convolution of ``dout`` with the flipped kernel, i.e.
    :func:`conv_transpose2d` of ``dout``.

    See Also
    --------
    conv2d_backward_naive : the loop version shown in the backpropagation chapter
        (``book/backprop``).
    """
    fn = "conv2d_backward"
    _check_cache(fn, cache, Conv2dCache)
    x, weight = cache.x, cache.weight
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    _, _, ho, wo = shape = _conv2d_out_shape(cache)
    dout = _check_dout(fn, dout, shape, x.dtype)
    top, bottom, left, right = cache.padding

    dmat = dout.transpose(1, 0, 2, 3).reshape(c_out, n * ho * wo)
    cols = cache.cols
    if cols is None:
        cols = _im2col(pad2d(x, cache.padding), (kh, kw), cache.stride, cache.dilation)
    dweight = (dmat @ cols.T).reshape(weight.shape)
    dbias = dmat.sum(axis=1) if cache.has_bias else None
    dcols = weight.reshape(c_out, -1).T @ dmat             # (C_in*kH*kW, N*H_out*W_out)
    buf = _col2im(dcols, (c_in, n, h + top + bottom, w + left + right), (kh, kw),
                  cache.stride, cache.dilation, (ho, wo))
    dx = _crop_to_nchw(buf, top, h, left, w)
    return ConvGrads(dx, dweight, dbias)


def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Loop version of :func:`conv2d`: one dot product per output pixel.

    Parameters and returned shape exactly as :func:`conv2d`::

        H_out = (H + 2*pH - dH*(kH - 1) - 1) // sH + 1

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_out, C_in, kH, kW)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation
        As in :func:`conv2d`.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)

    See Also
    --------
    conv2d : the fast (im2col) version, equal to this one to rounding.
    """
    x, weight, bias, (sh, sw), padding, (dh, dw) = _conv2d_params(
        "conv2d_naive", x, weight, bias, stride, padding, dilation)
    xp = pad2d(x, padding)
    n_batch, _, hp, wp = xp.shape
    c_out, _, kh, kw = weight.shape
    h_out = (hp - dh * (kh - 1) - 1) // sh + 1
    w_out = (wp - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n_batch, c_out, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    # the window under output pixel (i, j): every input channel, kH x kW taps
                    top, left = i * sh, j * sw
                    rows = slice(top, top + dh * (kh - 1) + 1, dh)
                    cols = slice(left, left + dw * (kw - 1) + 1, dw)
                    window = xp[n, :, rows, cols]
                    out[n, o, i, j] = np.sum(window * weight[o])
            if bias is not None:
                out[n, o] += bias[o]
    return out


def conv2d_backward_naive(dout, cache):
    """Loop version of :func:`conv2d_backward`.

    Every output pixel ``out[n, o, i, j]`` was ``sum(window * weight[o])`` (+ bias), so its
    gradient ``g = dout[n, o, i, j]`` flows back as ``g * weight[o]`` onto the window of x,
    ``g * window`` onto ``weight[o]``, and ``g`` onto ``bias[o]``. Uses only the cache's
    inputs and hyperparameters (not its im2col matrix).

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out)
    cache : Conv2dCache

    Returns
    -------
    ConvGrads
        ``dx`` (N, C_in, H, W), ``dweight`` (C_out, C_in, kH, kW), ``dbias`` (C_out,) or None.
    """
    _check_cache("conv2d_backward_naive", cache, Conv2dCache)
    x, weight = cache.x, cache.weight
    dout = _check_dout("conv2d_backward_naive", dout, _conv2d_out_shape(cache), x.dtype)
    (sh, sw), (dh, dw) = cache.stride, cache.dilation
    top_pad, _, left_pad, _ = cache.padding
    xp = pad2d(x, cache.padding)
    n_batch, c_out, h_out, w_out = dout.shape
    _, _, kh, kw = weight.shape
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    for n in range(n_batch):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    top, left = i * sh, j * sw
                    rows = slice(top, top + dh * (kh - 1) + 1, dh)
                    cols = slice(left, left + dw * (kw - 1) + 1, dw)
                    g = dout[n, o, i, j]
                    dxp[n, :, rows, cols] += g * weight[o]
                    dweight[o] += g * xp[n, :, rows, cols]
    h, w = x.shape[2:]
    dx = dxp[:, :, top_pad:top_pad + h, left_pad:left_pad + w].copy()   # drop the padding
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return ConvGrads(dx, dweight, dbias)


# --------------------------------------------------------------------------------------------
# conv_transpose2d
# --------------------------------------------------------------------------------------------

def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
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
                                    dilation)[0]


def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                             dilation=1):
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
        fn, x, weight, bias, stride, padding, output_padding, dilation)
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    ho, wo = _transpose_out_hw(x.shape, weight.shape, stride, padding, output_padding, dilation)
    xmat = x.transpose(1, 0, 2, 3).reshape(c_in, n * h * w)
    dcols = weight.reshape(c_in, -1).T @ xmat               # (C_out*kH*kW, N*H*W)
    buf = _col2im(dcols, (c_out, n, ho + 2 * padding[0], wo + 2 * padding[1]), (kh, kw),
                  stride, dilation, (h, w))
    out = _crop_to_nchw(buf, padding[0], ho, padding[1], wo)
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
    ph, pw = cache.padding
    ho, wo = _transpose_out_hw(x.shape, weight.shape, cache.stride, cache.padding,
                               cache.output_padding, cache.dilation)
    dout = _check_dout(fn, dout, (n, c_out, ho, wo), x.dtype)
    # windows of the padded dout; output_padding >= stride (allowed when < dilation) can give
    # more windows than x has pixels, so keep only the first H x W
    cols = _im2col(pad2d(dout, (ph, ph, pw, pw)), (kh, kw), cache.stride, cache.dilation,
                   out_hw=(h, w))                            # (C_out*kH*kW, N*H*W)
    wmat = weight.reshape(c_in, -1)
    dxmat = wmat @ cols                                      # (C_in, N*H*W)
    dx = np.ascontiguousarray(dxmat.reshape(c_in, n, h, w).transpose(1, 0, 2, 3))
    xmat = x.transpose(1, 0, 2, 3).reshape(c_in, n * h * w)
    dweight = (xmat @ cols.T).reshape(weight.shape)
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return ConvGrads(dx, dweight, dbias)


def conv_transpose2d_naive(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                           dilation=1):
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
    x, weight, bias, (sh, sw), (ph, pw), output_padding, (dh, dw) = _conv_transpose2d_params(
        "conv_transpose2d_naive", x, weight, bias, stride, padding, output_padding, dilation)
    n_batch, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    h_out, w_out = _transpose_out_hw(x.shape, weight.shape, (sh, sw), (ph, pw),
                                     output_padding, (dh, dw))
    # the full (uncropped) output: padding rows/columns on each side are cropped at the end
    full = np.zeros((n_batch, c_out, h_out + 2 * ph, w_out + 2 * pw), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(c_in):
            for i in range(h):
                for j in range(w):
                    top, left = i * sh, j * sw
                    rows = slice(top, top + dh * (kh - 1) + 1, dh)
                    cols = slice(left, left + dw * (kw - 1) + 1, dw)
                    # weight[c] has shape (C_out, kH, kW): one stamp per output channel
                    full[n, :, rows, cols] += x[n, c, i, j] * weight[c]
    out = full[:, :, ph:ph + h_out, pw:pw + w_out].copy()
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
    (sh, sw), (ph, pw), (dh, dw) = cache.stride, cache.padding, cache.dilation
    h_out, w_out = _transpose_out_hw(x.shape, weight.shape, cache.stride, cache.padding,
                                     cache.output_padding, cache.dilation)
    dout = _check_dout("conv_transpose2d_backward_naive", dout, (n_batch, c_out, h_out, w_out),
                       x.dtype)
    # the gradient of the full output is dout surrounded by zeros where it was cropped
    dfull = pad2d(dout, (ph, ph, pw, pw))
    dx = np.zeros_like(x)
    dweight = np.zeros_like(weight)
    for n in range(n_batch):
        for c in range(c_in):
            for i in range(h):
                for j in range(w):
                    top, left = i * sh, j * sw
                    rows = slice(top, top + dh * (kh - 1) + 1, dh)
                    cols = slice(left, left + dw * (kw - 1) + 1, dw)
                    window = dfull[n, :, rows, cols]           # (C_out, kH, kW)
                    dx[n, c, i, j] = np.sum(window * weight[c])
                    dweight[c] += x[n, c, i, j] * window
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return ConvGrads(dx, dweight, dbias)
