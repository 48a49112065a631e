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

The fast conv2d also uses a *grid* form of the same matrix (:class:`Grid`,
:func:`grid_layout`, :func:`im2col_grid`): with the padded input split into its stride phases
and flattened channel-first, the rows of every kernel tap are one contiguous slice, so the
matrix is built by ``kH * kW`` fast copies (and col2im is as many contiguous slice-adds), at
the price of a few columns that belong to no output pixel.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..geometry import effective_kernel

__all__ = ["pad2d", "crop", "window_slices", "windows", "offsets", "im2col", "col2im",
           "pad2d_into", "im2col_into", "col2im_add", "Grid", "grid_layout", "grid_pad_into",
           "grid_unpad_into", "grid_im2col_into", "grid_col2im_add", "im2col_grid"]


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


# --------------------------------------------------------------------------------------------
# the "grid" form of im2col: every column block a contiguous slice (shifted views)
# --------------------------------------------------------------------------------------------

class Grid(NamedTuple):
    """How :func:`grid_layout` lays a padded chunk out so that every kernel tap is a shift.

    The padded input (B, C, Hp, Wp) is split into its ``sH * sW`` stride phases (phase
    ``(p, q)`` holds rows ``p, p + sH, ...`` and columns ``q, q + sW, ...``; one phase when the
    stride is 1), each stored channel-first and flattened: ``xg[phase, c, n*Hg*Wg + u*Wg + v]``.
    Output pixel ``(i, j)`` of image ``n`` sits at grid position ``n*Hg*Wg + i*Wg + j`` and
    reads tap ``(a, b)`` at that position plus a fixed ``shift`` in one phase: the tap's block
    of im2col rows is a *contiguous* slice of ``xg`` (one fast copy, or a BLAS-ready view).
    Grid positions with ``i >= H_out`` or ``j >= W_out`` are computed and thrown away (the
    "waste"); ``tail`` zero columns after the last image keep every shifted slice in bounds.

    Attributes
    ----------
    stride : (int, int)
        ``(sH, sW)``, the number of phases along each axis.
    hw : (int, int)
        ``(Hg, Wg) = (ceil(Hp / sH), ceil(Wp / sW))``, one phase's grid.
    out_hw : (int, int)
        ``(H_out, W_out)``, the valid corner of the grid.
    taps : tuple of (phase, shift)
        One per kernel tap ``k = a*kW + b``, in im2col's row order.
    tail : int
        The largest shift.
    """

    stride: tuple
    hw: tuple
    out_hw: tuple
    taps: tuple
    tail: int

    @property
    def phases(self) -> int:
        return self.stride[0] * self.stride[1]

    @property
    def size(self) -> int:
        """Grid positions of one image, ``Hg * Wg``."""
        return self.hw[0] * self.hw[1]

    @property
    def waste(self) -> float:
        """Grid positions per output pixel (>= 1)."""
        return self.size / (self.out_hw[0] * self.out_hw[1])


def grid_layout(padded_hw, kernel, stride, dilation, out_hw) -> Grid:
    """The :class:`Grid` of a padded ``Hp x Wp`` input for a kernel, stride and dilation."""
    (hp, wp), (kh, kw), (sh, sw), (dh, dw) = padded_hw, kernel, stride, dilation
    hg, wg = -(-hp // sh), -(-wp // sw)
    taps = []
    for a in range(kh):
        for b in range(kw):
            (du, p), (dv, q) = divmod(a * dh, sh), divmod(b * dw, sw)
            taps.append((p * sw + q, du * wg + dv))
    return Grid((sh, sw), (hg, wg), tuple(out_hw), tuple(taps), max(s for _, s in taps))


def _phase_parts(grid: Grid, padding, hw):
    """Yield ``(phase, x_index, grid_index)``: the pixels of an unpadded ``H x W`` image that
    land in each phase, as slices of ``x[..., rows, cols]`` and of the phase's ``(Hg, Wg)``."""
    (sh, sw), ((top, _), (left, _)) = grid.stride, padding
    for p in range(sh):
        i0 = (p - top) % sh                   # first image row whose padded row is p mod sH
        ni = len(range(i0, hw[0], sh))
        u0 = (top + i0) // sh
        for q in range(sw):
            j0 = (q - left) % sw
            nj = len(range(j0, hw[1], sw))
            v0 = (left + j0) // sw
            yield (p * sw + q, (slice(i0, None, sh), slice(j0, None, sw)),
                   (slice(u0, u0 + ni), slice(v0, v0 + nj)))


def grid_pad_into(x: np.ndarray, padding, grid: Grid, out: np.ndarray) -> np.ndarray:
    """Lay the unpadded chunk ``x`` (B, C, H, W) out on ``grid`` in ``out``, shape
    ``(phases, C, B*Hg*Wg + tail)``: zeros everywhere, then one copy per phase."""
    b, c = x.shape[:2]
    hg, wg = grid.hw
    out[...] = 0
    for phase, x_index, g_index in _phase_parts(grid, padding, x.shape[2:]):
        dst = out[phase, :, :b * grid.size].reshape(c, b, hg, wg)
        dst[(Ellipsis,) + g_index] = x[(Ellipsis,) + x_index].transpose(1, 0, 2, 3)
    return out


def grid_unpad_into(xg: np.ndarray, padding, grid: Grid, out: np.ndarray) -> np.ndarray:
    """Inverse of :func:`grid_pad_into`: the image pixels of ``xg`` into ``out`` (B, C, H, W)."""
    b, c = out.shape[:2]
    hg, wg = grid.hw
    for phase, x_index, g_index in _phase_parts(grid, padding, out.shape[2:]):
        src = xg[phase, :, :b * grid.size].reshape(c, b, hg, wg)
        out[(Ellipsis,) + x_index] = src[(Ellipsis,) + g_index].transpose(1, 0, 2, 3)
    return out


def grid_im2col_into(xg: np.ndarray, grid: Grid, out: np.ndarray) -> np.ndarray:
    """The grid form of im2col: ``out`` (C*kH*kW, L) gets, for tap ``k`` with ``(phase,
    shift)``, rows ``c*kH*kW + k`` = ``xg[phase, c, shift:shift + L]`` (one contiguous-row copy
    per tap). Column ``n*Hg*Wg + i*Wg + j`` is im2col's column of output pixel ``(i, j)``."""
    c, length = xg.shape[1], out.shape[1]
    rows = out.reshape(c, len(grid.taps), length)
    for k, (phase, shift) in enumerate(grid.taps):
        rows[:, k] = xg[phase, :, shift:shift + length]
    return out


def grid_col2im_add(cols: np.ndarray, xg: np.ndarray, grid: Grid) -> np.ndarray:
    """Adjoint of :func:`grid_im2col_into`: add every tap's rows back onto its shifted slice
    of ``xg`` (in place; one contiguous slice-add per tap)."""
    c, length = xg.shape[1], cols.shape[1]
    rows = cols.reshape(c, len(grid.taps), length)
    for k, (phase, shift) in enumerate(grid.taps):
        view = xg[phase, :, shift:shift + length]
        view += rows[:, k]
    return xg


def im2col_grid(xp: np.ndarray, kernel, stride, dilation=(1, 1)) -> np.ndarray:
    """:func:`im2col` on the grid (an allocating reference for the tests and the book).

    Returns
    -------
    cols : ndarray, shape (C*kH*kW, N*Hg*Wg)
        ``cols.reshape(-1, N, Hg, Wg)[:, :, :H_out, :W_out]`` is ``im2col(xp, ...)`` reshaped
        to ``(-1, N, H_out, W_out)``; the other columns belong to no output pixel.
    """
    n, c, hp, wp = xp.shape
    (kh, kw), (dh, dw), (sh, sw) = kernel, dilation, stride
    out_hw_ = ((hp - effective_kernel(kh, dh)) // sh + 1, (wp - effective_kernel(kw, dw)) // sw + 1)
    grid = grid_layout((hp, wp), kernel, stride, dilation, out_hw_)
    xg = np.empty((grid.phases, c, n * grid.size + grid.tail), xp.dtype)
    grid_pad_into(xp, ((0, 0), (0, 0)), grid, xg)
    return grid_im2col_into(xg, grid, np.empty((c * kh * kw, n * grid.size), xp.dtype))
