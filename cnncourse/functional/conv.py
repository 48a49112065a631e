"""2-D convolution on NCHW batches, with PyTorch's semantics (transposed convolution, its
adjoint, is in :mod:`cnncourse.functional.conv_transpose`).

The op comes in five public functions (see :mod:`cnncourse.functional`):

=========================  ====================================================================
``conv2d``                 fast forward: im2col + one matrix multiplication (GEMM)
``conv2d_naive``           the same result with explicit loops (the book's teaching version)
``conv2d_forward``         fast forward that also returns a :class:`Conv2dCache`
``conv2d_backward``        fast backward: two GEMMs and a col2im (slice-adds, no ``np.add.at``)
``conv2d_backward_naive``  loop backward, using only the inputs saved in the cache
=========================  ====================================================================

Like PyTorch, "convolution" here is cross-correlation (no kernel flip). The chapters
``book/convolution``, ``book/padding-stride`` and ``book/backprop`` explain the loops, the
output-size formula and the gradients. Sizes come from :mod:`cnncourse.geometry`, windows from
:mod:`cnncourse.functional.window`, validation from :mod:`cnncourse.checks`.

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

from ..checks import check_bool, check_cache, check_conv_inputs, check_dout, pair
from ..checks import reject_unsupported
from ..geometry import effective_kernel, out_hw, padded_hw, resolve_padding
from ._workspace import chunk_size, workspace
from .window import col2im_add, crop, grid_col2im_add, grid_im2col_into, grid_layout
from .window import grid_pad_into, grid_unpad_into, im2col_into, pad2d, pad2d_into
from .window import window_slices

from . import _workspace

__all__ = [
    "Conv2dCache", "ConvGrads",
    "conv2d", "conv2d_naive", "conv2d_forward", "conv2d_backward", "conv2d_backward_naive",
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
    padding : ((int, int), (int, int))
        Zero padding per side, ``((top, bottom), (left, right))``, already resolved from
        ``'same'``/``'valid'``/int/pair (the representation every cache in
        :mod:`cnncourse.functional` uses; ``'same'`` with an even kernel is asymmetric).
    cols : ndarray, shape (C_in*kH*kW, N*H_out*W_out) or (C_in*kH*kW, N*Hg*Wg), or None
        The im2col matrix of the forward (in the grid layout when the forward used it, see
        :func:`conv2d_forward`), reused by the fast backward for ``dweight``;
        ``None`` when the forward was told not to keep it (``keep_cols=False``, e.g. in eval
        mode) or the cache comes from elsewhere: the backward then rebuilds it.
    """

    x: np.ndarray
    weight: np.ndarray
    has_bias: bool
    stride: tuple
    padding: tuple
    dilation: tuple
    cols: Optional[np.ndarray] = None


class ConvGrads(NamedTuple):
    """Gradients of a convolution: ``dx`` like x (or None when not asked for), ``dweight``
    like weight, ``dbias`` (or None without a bias)."""

    dx: Optional[np.ndarray]
    dweight: np.ndarray
    dbias: Optional[np.ndarray]


# PyTorch's conv2d/conv_transpose2d arguments that we do not implement: (PyTorch's default, why)
UNSUPPORTED_CONV = {
    "groups": (1, "grouped and depthwise convolutions are not implemented; "
                  "every filter spans all input channels"),
}


# --------------------------------------------------------------------------------------------
# validation shared by conv2d and conv_transpose2d
# --------------------------------------------------------------------------------------------

def _check_cache(fn, cache, kind):
    forward = "conv2d_forward" if kind is Conv2dCache else "conv_transpose2d_forward"
    check_cache(cache, fn, kind, forward)


def _check_kernel_fits(fn, x_shape, kernel, padding, dilation):
    (kh, kw), (dh, dw) = kernel, dilation
    eh, ew = effective_kernel(kh, dh), effective_kernel(kw, dw)
    hp, wp = padded_hw(x_shape[2:], padding)
    if eh > hp or ew > wp:
        raise ValueError(f"{fn}: the kernel, {eh}x{ew} after dilation={dilation}, is larger than "
                         f"the padded input {hp}x{wp} (x.shape={tuple(x_shape)}, "
                         f"kernel {kh}x{kw}, padding ((top, bottom), (left, right))={padding})")


def _conv2d_params(fn, x, weight, bias, stride, padding, dilation, unsupported):
    reject_unsupported(fn, unsupported, UNSUPPORTED_CONV)
    x, weight, bias = check_conv_inputs(fn, x, weight, bias, weight_in_axis=1)
    stride = pair(stride, fn, "stride", min_value=1)
    dilation = pair(dilation, fn, "dilation", min_value=1)
    kernel = weight.shape[2:]
    padding = resolve_padding(padding, kernel, stride, dilation, fn)
    _check_kernel_fits(fn, x.shape, kernel, padding, dilation)
    return x, weight, bias, stride, padding, dilation


def _conv2d_out_shape(cache):
    n, c_out = cache.x.shape[0], cache.weight.shape[0]
    return (n, c_out) + out_hw(cache.x.shape[2:], cache.weight.shape[2:], cache.stride,
                               cache.padding, cache.dilation)


# --------------------------------------------------------------------------------------------
# conv2d
# --------------------------------------------------------------------------------------------

def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, **unsupported):
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
    **unsupported
        PyTorch's ``groups`` is accepted only at its default 1; any other value raises a
        ``TypeError`` that names it (grouped convolutions are not implemented).

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
    return conv2d_forward(x, weight, bias, stride, padding, dilation, keep_cols=False,
                          **unsupported)[0]


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, *, keep_cols=True,
                   **unsupported):
    """Fast :func:`conv2d` that also returns the cache the backward needs.

    Works through the batch in chunks of about ``_workspace.CHUNK_BYTES`` of im2col columns:
    for each chunk, the columns are built in a reused workspace, one GEMM
    ``weight.reshape(C_out, -1) @ cols`` computes its outputs, and one pass adds the bias while
    writing them in NCHW order. Peak memory is one chunk's columns, not the batch's.

    The columns come in one of two layouts (same rows, same GEMM): when the grid of
    :func:`cnncourse.functional.window.grid_layout` wastes at most :data:`GRID_MAX_WASTE`
    positions per output pixel, the *grid* form (the padded chunk split into stride phases,
    one contiguous copy per kernel tap, ``(C_in*kH*kW, B*Hg*Wg)``); otherwise one strided copy
    of every window (``(C_in*kH*kW, B*H_out*W_out)``, no waste).

    Parameters
    ----------
    x, weight, bias, stride, padding, dilation
        As in :func:`conv2d`.
    keep_cols : bool, default True
        Keep ``cols`` in the cache so that :func:`conv2d_backward` reuses it for ``dweight``,
        when the whole batch's columns fit in one chunk (otherwise the backward rebuilds them
        chunk by chunk, which measures faster than holding a large matrix). ``False`` stores
        ``None``: use it when no backward follows (eval mode), since ``cols`` is ``kH*kW``
        times the size of the input.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = (H + 2*pH - dH*(kH - 1) - 1) // sH + 1``.
    cache : Conv2dCache
        Inputs, resolved hyperparameters and ``cols`` (or None), for :func:`conv2d_backward`.
    """
    fn = "conv2d"
    x, weight, bias, stride, padding, dilation = _conv2d_params(
        fn, x, weight, bias, stride, padding, dilation, unsupported)
    keep_cols = check_bool(keep_cols, fn, "keep_cols")
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    ho, wo = out_hw((h, w), (kh, kw), stride, padding, dilation)
    grid = _grid(x.shape, (kh, kw), stride, padding, dilation)
    rows, hw = c_in * kh * kw, (ho * wo if grid is None else grid.size)
    # the whole batch's columns are kept only when they fit in one chunk: a bigger matrix costs
    # more in fresh pages than rebuilding it chunk by chunk in the backward (measured)
    keep = keep_cols and rows * n * hw * x.itemsize <= _workspace.CHUNK_BYTES
    cols_all = np.empty((rows, n * hw), x.dtype) if keep else None
    step = n if keep else chunk_size(n, rows * hw * x.itemsize)
    wmat = weight.reshape(c_out, rows)
    out = np.empty((n, c_out, ho, wo), x.dtype)
    for start in range(0, n, step):
        stop = min(n, start + step)
        b = stop - start
        cols = cols_all if keep else workspace("conv.cols", (rows, b * hw), x.dtype)
        _cols_chunk(x[start:stop], (kh, kw), stride, padding, dilation, (ho, wo), grid, cols)
        prod = workspace("conv.prod", (c_out, b * hw), x.dtype)
        np.matmul(wmat, cols, out=prod)                    # (C_out, B*HW)
        # (C_out, B, HW) -> (B, C_out, HW) (on the grid: its valid corner), bias in the pass
        if grid is None:
            src = prod.reshape(c_out, b, hw).transpose(1, 0, 2)
            dst = out[start:stop].reshape(b, c_out, hw)
        else:
            src = prod.reshape(c_out, b, *grid.hw)[:, :, :ho, :wo].transpose(1, 0, 2, 3)
            dst = out[start:stop]
        if bias is not None:
            np.add(src, bias.reshape((c_out,) + (1,) * (src.ndim - 2)), out=dst)
        else:
            dst[...] = src
    cache = Conv2dCache(x, weight, bias is not None, stride, padding, dilation, cols_all)
    return out, cache


#: The grid form of im2col (:class:`cnncourse.functional.window.Grid`) is used when it
#: computes at most this many grid positions per output pixel; beyond, the strided im2col
#: (no waste, slower copies) measured faster.
GRID_MAX_WASTE = 1.25


def _grid(x_shape, kernel, stride, padding, dilation):
    """The :class:`Grid` the fast conv2d uses for these sizes, or None for strided im2col."""
    hp, wp = padded_hw(x_shape[2:], padding)
    grid = grid_layout((hp, wp), kernel, stride, dilation,
                       out_hw(x_shape[2:], kernel, stride, padding, dilation))
    return grid if grid.waste <= GRID_MAX_WASTE else None


def _cols_chunk(x, kernel, stride, padding, dilation, out_hw_, grid, cols):
    """The columns of the (unpadded) chunk ``x`` into ``cols``: grid form when ``grid``."""
    if grid is None:
        return _im2col_chunk(x, kernel, stride, padding, dilation, out_hw_, cols)
    xg = workspace("conv.xg", (grid.phases, x.shape[1], x.shape[0] * grid.size + grid.tail),
                   x.dtype)
    grid_pad_into(x, padding, grid, xg)
    return grid_im2col_into(xg, grid, cols)


def _im2col_chunk(x, kernel, stride, padding, dilation, out_hw_, cols):
    """im2col of the (unpadded) chunk ``x`` into ``cols``, padding through a workspace."""
    if any(p for side in padding for p in side):
        xp = workspace("conv.xp", x.shape[:2] + padded_hw(x.shape[2:], padding), x.dtype)
        x = pad2d_into(x, padding, xp)
    return im2col_into(x, kernel, stride, dilation, out_hw_, cols)


def conv2d_backward(dout, cache, need_dx=True):
    """Fast gradients of :func:`conv2d` with respect to x, weight and bias.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out)
        Upstream gradient dL/dout, same dtype as the forward.
    cache : Conv2dCache
        From :func:`conv2d_forward`.
    need_dx : bool, default True
        ``False`` skips the input gradient (PyTorch's output mask): the first layer of a
        network needs only ``dweight`` and ``dbias``, and ``dx`` is the costlier half.

    Returns
    -------
    ConvGrads
        ``dx`` shape (N, C_in, H, W), or None when ``need_dx=False``; ``dweight`` shape
        (C_out, C_in, kH, kW); ``dbias`` shape (C_out,) or None when the forward had no bias.

    Notes
    -----
    With ``D = dout`` as a (C_out, N*H_out*W_out) matrix: ``dweight = D @ cols.T`` (the
    cross-correlation of the input with ``dout``), ``dbias = D.sum(axis=1)``, and
    ``dx = col2im(W.T @ D)`` -- the full convolution of ``dout`` with the flipped kernel, i.e.
    :func:`conv_transpose2d` of ``dout``. ``cols`` is rebuilt when the cache holds None (one
    GEMM per chunk for ``dweight`` measured steadier, on a shared machine, than one per kernel
    tap on the shifted views of the grid). The batch is processed in the forward's chunks,
    with reused workspaces; ``dweight`` sums the chunks' GEMMs.

    See Also
    --------
    conv2d_backward_naive : the loop version shown in the backpropagation chapter
        (``book/backprop``).
    """
    fn = "conv2d_backward"
    _check_cache(fn, cache, Conv2dCache)
    need_dx = check_bool(need_dx, fn, "need_dx")
    x, weight = cache.x, cache.weight
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    _, _, ho, wo = shape = _conv2d_out_shape(cache)
    dout = check_dout(dout, fn, shape, x.dtype)

    grid = _grid(x.shape, (kh, kw), cache.stride, cache.padding, cache.dilation)
    rows, hw = c_in * kh * kw, (ho * wo if grid is None else grid.size)
    (top, _), (left, _) = cache.padding
    hp, wp = padded_hw((h, w), cache.padding)
    step = n if cache.cols is not None else chunk_size(n, rows * hw * x.itemsize)
    wmat = weight.reshape(c_out, rows)
    dwmat = np.zeros((c_out, rows), dtype=x.dtype)
    dx = np.empty_like(x) if need_dx else None
    for start in range(0, n, step):
        stop = min(n, start + step)
        b = stop - start
        cols = cache.cols
        if cols is None:
            cols = workspace("conv.cols", (rows, b * hw), x.dtype)
            _cols_chunk(x[start:stop], (kh, kw), cache.stride, cache.padding,
                        cache.dilation, (ho, wo), grid, cols)
        dmat = workspace("conv.dmat", (c_out, b * hw), x.dtype)   # dout as (C_out, B*HW)
        if grid is None:
            dmat.reshape(c_out, b, hw)[...] = (
                dout[start:stop].reshape(b, c_out, hw).transpose(1, 0, 2))
        else:                                  # zeros where the grid holds no output pixel
            d4 = dmat.reshape(c_out, b, *grid.hw)
            d4[:, :, ho:] = 0
            d4[:, :, :ho, wo:] = 0
            d4[:, :, :ho, :wo] = dout[start:stop].transpose(1, 0, 2, 3)
        dwmat += np.matmul(dmat, cols.T)
        if need_dx:
            dcols = workspace("conv.dcols", (rows, b * hw), x.dtype)
            np.matmul(wmat.T, dmat, out=dcols)             # (C_in*kH*kW, B*HW)
            if grid is None:
                dxp = workspace("conv.dxp", (c_in, b, hp, wp), x.dtype)   # channel-first
                dxp[...] = 0
                col2im_add(dcols, dxp, (kh, kw), cache.stride, cache.dilation, (ho, wo))
                dx[start:stop] = dxp[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3)
            else:
                dxg = workspace("conv.dxp", (grid.phases, c_in, b * hw + grid.tail), x.dtype)
                dxg[...] = 0
                grid_col2im_add(dcols, dxg, grid)
                grid_unpad_into(dxg, cache.padding, grid, dx[start:stop])
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return ConvGrads(dx, dwmat.reshape(weight.shape), dbias)


def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, **unsupported):
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
    x, weight, bias, stride, padding, dilation = _conv2d_params(
        "conv2d_naive", x, weight, bias, stride, padding, dilation, unsupported)
    xp = pad2d(x, padding)
    n_batch, c_out, kernel = x.shape[0], weight.shape[0], weight.shape[2:]
    h_out, w_out = out_hw(x.shape[2:], kernel, stride, padding, dilation)
    out = np.zeros((n_batch, c_out, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    # the window under output pixel (i, j): rows i*sH, i*sH + dH, ... (kH of
                    # them), columns likewise, and every input channel
                    rows, cols = window_slices(i, j, kernel, stride, dilation)
                    window = xp[n, :, rows, cols]
                    out[n, o, i, j] = np.sum(window * weight[o])
            if bias is not None:
                out[n, o] += bias[o]
    return out


def conv2d_backward_naive(dout, cache, need_dx=True):
    """Loop version of :func:`conv2d_backward`.

    Every output pixel ``out[n, o, i, j]`` was ``sum(window * weight[o])`` (+ bias), so its
    gradient ``g = dout[n, o, i, j]`` flows back as ``g * weight[o]`` onto the window of x,
    ``g * window`` onto ``weight[o]``, and ``g`` onto ``bias[o]``. Uses only the cache's
    inputs and hyperparameters (not its im2col matrix).

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out)
    cache : Conv2dCache
    need_dx : bool, default True
        As in :func:`conv2d_backward` (``False`` returns ``dx=None``).

    Returns
    -------
    ConvGrads
        ``dx`` (N, C_in, H, W), ``dweight`` (C_out, C_in, kH, kW), ``dbias`` (C_out,) or None.
    """
    _check_cache("conv2d_backward_naive", cache, Conv2dCache)
    need_dx = check_bool(need_dx, "conv2d_backward_naive", "need_dx")
    x, weight = cache.x, cache.weight
    dout = check_dout(dout, "conv2d_backward_naive",
                      _conv2d_out_shape(cache), x.dtype)
    kernel, stride = weight.shape[2:], cache.stride
    dilation = cache.dilation
    xp = pad2d(x, cache.padding)
    n_batch, c_out, h_out, w_out = dout.shape
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    for n in range(n_batch):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = window_slices(i, j, kernel, stride,
                                               dilation)
                    g = dout[n, o, i, j]
                    dxp[n, :, rows, cols] += g * weight[o]
                    dweight[o] += g * xp[n, :, rows, cols]
    # drop the padding
    dx = crop(dxp, cache.padding, x.shape[2:]) if need_dx else None
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return ConvGrads(dx, dweight, dbias)


