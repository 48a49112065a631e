"""The one window module of :mod:`cnncourse.functional`: every way the ops look at windows.

Convolution and pooling are the same loop over windows with a different reduction (tinygrad's
``_pool``). Everything that finds, copies or scatters windows lives here, in three forms that
compute the same thing:

* :func:`window_slices`: the two slices a *naive loop* takes for output pixel ``(i, j)``
  (``xp[n, c, rows, cols]``), the form the book's loops use;
* :func:`windows`: all windows at once as a read-only strided view
  (``sliding_window_view``, no copy), shape ``(N, C, H_out, W_out, kH, kW)``;
* :func:`offsets`: the ``kH * kW`` strided slices "offset ``(a, b)`` of every window", which
  the fast pools and :func:`col2im` loop over (a few whole-array operations instead of
  ``H_out * W_out`` small ones).

On top of them: :func:`im2col` (every window copied into a column, the matrix a convolution
multiplies), its adjoint :func:`col2im`, and :func:`pad2d`/:func:`crop`, which add and remove
padding given per side as ``((top, bottom), (left, right))`` (the representation every cache
stores, see :mod:`cnncourse.geometry`).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..geometry import effective_kernel

__all__ = ["pad2d", "crop", "window_slices", "windows", "offsets", "im2col", "col2im",
           "pad2d_into", "im2col_into", "col2im_add"]


def pad2d(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of ``x`` by ``((top, bottom), (left, right))``; no copy if all 0."""
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return x
    width = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, width, mode="constant", constant_values=value)


def crop(xp: np.ndarray, padding, hw) -> np.ndarray:
    """Remove ``padding`` from the last two axes, keeping ``hw = (H, W)`` (a contiguous array).

    The ends are explicit (``top:top + H``): ``xp[..., p:-p]`` would be empty for ``p = 0``.
    """
    (top, _), (left, _) = padding
    return np.ascontiguousarray(xp[..., top:top + hw[0], left:left + hw[1]])


def window_slices(i: int, j: int, kernel, stride, dilation=(1, 1)) -> tuple[slice, slice]:
    """``(rows, cols)``: the window under output pixel ``(i, j)`` of a padded input.

    ``rows`` starts at ``i * sH`` and takes ``kH`` rows spaced by the dilation ``dH``;
    likewise ``cols``. ``xp[n, c, rows, cols]`` is then the ``kH x kW`` window.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    top, left = i * sh, j * sw
    return (slice(top, top + effective_kernel(kh, dh), dh),
            slice(left, left + effective_kernel(kw, dw), dw))


def windows(xp: np.ndarray, kernel, stride, dilation=(1, 1)) -> np.ndarray:
    """All windows of a padded NCHW array as a read-only view.

    Returns
    -------
    view : ndarray, shape (N, C, H_out, W_out, kH, kW)
        ``view[n, c, i, j] == xp[n, c, rows, cols]`` with ``rows, cols = window_slices(i, j,
        ...)``. No data is copied.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span = (effective_kernel(kh, dh), effective_kernel(kw, dw))
    view = sliding_window_view(xp, span, axis=(-2, -1))
    return view[..., ::sh, ::sw, ::dh, ::dw]


def offsets(kernel, stride, out_hw, dilation=(1, 1)):
    """Yield ``(k, index)`` for every offset ``(a, b)`` inside a window, ``k = a * kW + b``.

    ``xp[index]`` has shape ``(..., H_out, W_out)``: element ``(a, b)`` of every window at once,
    the strided slice ``xp[..., a*dH::sH, b*dW::sW]`` cut to ``H_out x W_out``.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)
        for b in range(kw):
            yield a * kw + b, (Ellipsis, rows, slice(b * dw, b * dw + sw * (wo - 1) + 1, sw))


def im2col(xp: np.ndarray, kernel, stride, dilation=(1, 1), out_hw=None) -> np.ndarray:
    """Every window of a padded input copied into one column: the matrix conv2d multiplies.

    Parameters
    ----------
    xp : ndarray, shape (N, C, Hp, Wp)
        The input, already padded.
    kernel, stride, dilation : (int, int)
    out_hw : (int, int), optional
        Keep only the first ``(H_out, W_out)`` windows (conv_transpose2d's backward needs it).

    Returns
    -------
    cols : ndarray, shape (C * kH * kW, N * H_out * W_out)
        Column ``n * H_out * W_out + i * W_out + j`` holds the window under output pixel
        ``(i, j)`` of image ``n``, channel-major (row ``c * kH * kW + a * kW + b``), the order
        of ``weight.reshape(C_out, -1)``: a convolution is one product ``W @ cols``.
    """
    view = windows(xp, kernel, stride, dilation)
    # (N, C, H_out, W_out, kH, kW), a view of xp: no copy
    if out_hw is not None:
        view = view[:, :, :out_hw[0], :out_hw[1]]
    n, c, ho, wo, kh, kw = view.shape
    # (C, kH, kW, N, H_out, W_out): one row per (channel, tap), one
    # column per output pixel
    cols = view.transpose(1, 4, 5, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * ho * wo)


def col2im(cols: np.ndarray, padded_shape, kernel, stride, dilation, out_hw) -> np.ndarray:
    """Adjoint of :func:`im2col`: add every column back onto its window.

    ``cols`` has shape ``(C*kH*kW, N*H_out*W_out)``; the result has shape
    ``padded_shape = (N, C, Hp, Wp)``. One strided slice-add per kernel offset (``kH * kW`` of
    them, see :func:`offsets`), never ``np.add.at``.
    """
    n, c, hp, wp = padded_shape
    (kh, kw), (ho, wo) = kernel, out_hw
    d6 = cols.reshape(c, kh, kw, n, ho, wo)
    buf = np.zeros((c, n, hp, wp), dtype=cols.dtype)   # channels first: contiguous slice-adds
    for k, index in offsets(kernel, stride, out_hw, dilation):
        buf[index] += d6[:, k // kw, k % kw]
    return buf.transpose(1, 0, 2, 3)


# --------------------------------------------------------------------------------------------
# the fast paths' chunked forms: the same matrices, written into buffers the caller owns
# --------------------------------------------------------------------------------------------

def pad2d_into(x: np.ndarray, padding, out: np.ndarray) -> np.ndarray:
    """:func:`pad2d` written into ``out`` (shape of the padded ``x``), which may hold garbage:
    the interior is copied and only the border strips are zeroed."""
    (top, bottom), (left, right) = padding
    h, w = x.shape[-2:]
    out[..., top:top + h, left:left + w] = x
    if top:
        out[..., :top, :] = 0
    if bottom:
        out[..., top + h:, :] = 0
    if left:
        out[..., top:top + h, :left] = 0
    if right:
        out[..., top:top + h, left + w:] = 0
    return out


def im2col_into(xp: np.ndarray, kernel, stride, dilation, out_hw, out: np.ndarray) -> np.ndarray:
    """:func:`im2col` of the padded chunk ``xp`` (B, C, Hp, Wp), written into the C-contiguous
    ``out`` of shape (C*kH*kW, B*H_out*W_out) with one strided copy (no temporary)."""
    view = windows(xp, kernel, stride, dilation)[:, :, :out_hw[0], :out_hw[1]]
    b, c, ho, wo, kh, kw = view.shape
    if not out.flags.c_contiguous or out.shape != (c * kh * kw, b * ho * wo):
        raise ValueError(f"im2col_into: out must be C-contiguous with shape "
                         f"{(c * kh * kw, b * ho * wo)}, got {out.shape}")
    np.copyto(out.reshape(c, kh, kw, b, ho, wo), view.transpose(1, 4, 5, 0, 2, 3))
    return out


def col2im_add(cols: np.ndarray, buf: np.ndarray, kernel, stride, dilation, out_hw) -> np.ndarray:
    """Adjoint of :func:`im2col_into`: add the columns (C*kH*kW, B*H_out*W_out) onto ``buf``,
    a *channel-first* padded chunk (C, B, Hp, Wp), in place: one strided slice-add per kernel
    offset, as :func:`col2im` (which allocates and zeroes the buffer itself)."""
    c, b = buf.shape[:2]
    (kh, kw), (ho, wo) = kernel, out_hw
    d6 = cols.reshape(c, kh, kw, b, ho, wo)
    for k, index in offsets(kernel, stride, out_hw, dilation):
        view = buf[index]
        view += d6[:, k // kw, k % kw]
    return buf
