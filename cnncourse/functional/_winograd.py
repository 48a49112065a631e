"""Winograd's F(2x2, 3x3): the fast conv2d's path for 3x3 kernels at stride 1 (no dilation).

Each 2x2 block of outputs of one channel pair is computed from the 4x4 input tile under it
with 16 multiplications instead of 36 (Lavin & Gray, *Fast Algorithms for Convolutional
Neural Networks*, 2016)::

    Y = A^T [ (G g G^T) * (B^T d B) ] A        (* elementwise, summed over input channels)

with the constant matrices below. Summed over channels, the 16 elementwise products become 16
matrix products ``U[k] @ V[k]`` of shapes (C_out, C_in) @ (C_in, tiles): 2.25 times fewer
floating-point operations than im2col's GEMM, at the price of the transforms, which are GEMMs
with the small constant matrices. Everything is linear, so the backward is the same pieces
transposed: ``dU[k] = dM[k] @ V[k].T`` (then ``dweight = G^T dU G``) and ``dV[k] = U[k].T @
dM[k]`` (then added back onto the tiles, which overlap by two rows and columns).

The 4x4 tiles at stride 2 are a convolution's windows, so they use the grid of
:func:`cnncourse.functional.window.grid_layout` (kernel 4x4, stride 2): each of the 16 tile
elements is a contiguous slice of the padded chunk. The transforms' constants are exact in
binary (0, +-1, +-1/2); float32 results differ from im2col's by rounding only (the tests
compare both with the loops).
"""
from __future__ import annotations

import numpy as np

from ..geometry import padded_hw
from ._workspace import chunk_size, workspace
from .window import grid_col2im_add, grid_im2col_into, grid_layout, grid_pad_into
from .window import grid_unpad_into

#: Input transform B^T (4x4), filter transform G (4x3), output transform A^T (2x4).
BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)
_KB = np.kron(BT, BT)       # (16, 16): vec(B^T d B) = _KB @ vec(d), row-major vec
_KA = np.kron(AT, AT)       # (4, 16):  vec(A^T m A) = _KA @ vec(m)


#: The transformed tiles ``V`` of the whole batch are kept from the forward for the backward
#: (instead of being rebuilt: a padded copy, a 16-tap copy and a GEMM per chunk) when they
#: take at most this many bytes; the (64, 64, 64, 64) memory case (285 MiB) rebuilds them.
KEEP_BYTES = 64 << 20


def layout(x_shape, padding):
    """The tiles of a 3x3, stride-1 convolution of an ``x_shape`` input padded per side.

    Returns ``(grid, padding, tiles)``: the 4x4/stride-2 grid, the padding extended at the
    bottom/right so that the ``tiles = (Th, Tw) = ceil(H_out / 2), ceil(W_out / 2)`` tiles fit,
    and the tile counts.
    """
    hp, wp = padded_hw(x_shape[2:], padding)
    th, tw = (hp - 1) // 2, (wp - 1) // 2           # ceil((Hp - 2) / 2)
    (top, bottom), (left, right) = padding
    extended = ((top, bottom + 2 * th + 2 - hp), (left, right + 2 * tw + 2 - wp))
    grid = grid_layout((2 * th + 2, 2 * tw + 2), (4, 4), (2, 2), (1, 1), (th, tw))
    return grid, extended, (th, tw)


def _filters(weight):
    """``U = G g G^T`` for every filter, as (16, C_out, C_in)."""
    g = G.astype(weight.dtype)
    c_out, c_in = weight.shape[:2]
    return np.einsum("xa,ocab,yb->xyoc", g, weight, g, optimize=True).reshape(16, c_out, c_in)


def _tiles_chunk(x, grid, padding, c_in):
    """``V`` of a chunk: (C_in, 16, B*Hg*Wg), ``V[:, k]`` the k-th transformed tile element."""
    b, length = x.shape[0], x.shape[0] * grid.size
    xg = workspace("conv.xg", (grid.phases, c_in, length + grid.tail), x.dtype)
    grid_pad_into(x, padding, grid, xg)
    cols = grid_im2col_into(xg, grid, workspace("conv.cols", (c_in * 16, length), x.dtype))
    v = workspace("conv.wino_v", (c_in, 16, length), x.dtype)
    return np.matmul(_KB.astype(x.dtype), cols.reshape(c_in, 16, length), out=v)


def _parities(hw):
    """``(e, f, rows, cols)``: output pixels ``(2*ti + e, 2*tj + f)`` as slices of the output
    and the tile counts that hold them."""
    for e in range(2):
        for f in range(2):
            yield e, f, len(range(e, hw[0], 2)), len(range(f, hw[1], 2))


def forward(x, weight, bias, padding, out, keep):
    """Fill ``out`` (N, C_out, H_out, W_out) with the convolution; return ``V`` of the whole
    batch when ``keep`` and it fits in one chunk (the backward then reuses it), else None."""
    n, c_in = x.shape[:2]
    c_out = weight.shape[0]
    grid, padding, _ = layout(x.shape, padding)
    per_image = 16 * max(c_in, c_out) * grid.size * x.itemsize
    keep = keep and n * 16 * c_in * grid.size * x.itemsize <= KEEP_BYTES
    step = chunk_size(n, per_image)
    u, ka = _filters(weight), _KA.astype(x.dtype)
    kept = np.empty((c_in, 16, n * grid.size), x.dtype) if keep else None
    for start in range(0, n, step):
        stop = min(n, start + step)
        b, length = stop - start, (stop - start) * grid.size
        v = _tiles_chunk(x[start:stop], grid, padding, c_in)
        if keep:
            kept[:, :, start * grid.size:stop * grid.size] = v
        m = workspace("conv.wino_m", (16, c_out, length), x.dtype)
        for k in range(16):
            np.matmul(u[k], v[:, k], out=m[k])
        y = np.matmul(ka, m.reshape(16, c_out * length),
                      out=workspace("conv.prod", (4, c_out * length), x.dtype))
        y6 = y.reshape(2, 2, c_out, b, *grid.hw)
        for e, f, rows, cols in _parities(out.shape[2:]):
            src = y6[e, f, :, :, :rows, :cols].transpose(1, 0, 2, 3)
            dst = out[start:stop, :, e::2, f::2]
            if bias is not None:
                np.add(src, bias[:, None, None], out=dst)
            else:
                dst[...] = src
    return kept


def backward(dout, x, weight, padding, kept, need_dx, dx):
    """``dweight`` (returned) and, when ``need_dx``, ``dx`` (filled in place)."""
    n, c_in = x.shape[:2]
    c_out = weight.shape[0]
    grid, padding, _ = layout(x.shape, padding)
    per_image = 16 * max(c_in, c_out) * grid.size * x.itemsize
    step = chunk_size(n, per_image)
    u, ka = _filters(weight), _KA.astype(x.dtype)
    kb_t = np.ascontiguousarray(_KB.T.astype(x.dtype))
    du = np.zeros((16, c_out, c_in), x.dtype)
    tap = workspace("conv.tap", (c_out, c_in), x.dtype)
    for start in range(0, n, step):
        stop = min(n, start + step)
        b, length = stop - start, (stop - start) * grid.size
        if kept is not None:
            v = kept[:, :, start * grid.size:stop * grid.size]
        else:
            v = _tiles_chunk(x[start:stop], grid, padding, c_in)
        # dout onto its tiles: (4, C_out, B, Hg, Wg), zeros where a tile has no output pixel
        d4 = workspace("conv.dmat", (4, c_out, b) + grid.hw, x.dtype)
        d4[...] = 0
        for e, f, rows, cols in _parities(dout.shape[2:]):
            d4[2 * e + f, :, :, :rows, :cols] = dout[start:stop, :, e::2, f::2].transpose(1, 0, 2, 3)
        dm = np.matmul(ka.T, d4.reshape(4, c_out * length),
                       out=workspace("conv.wino_m", (16, c_out * length), x.dtype))
        dm = dm.reshape(16, c_out, length)
        for k in range(16):
            du[k] += np.matmul(dm[k], v[:, k].T, out=tap)
        if need_dx:
            dv = workspace("conv.dcols", (c_in, 16, length), x.dtype)
            for k in range(16):
                np.matmul(u[k].T, dm[k], out=dv[:, k])
            dcols = np.matmul(kb_t, dv, out=workspace("conv.wino_v", (c_in, 16, length), x.dtype))
            dxg = workspace("conv.dxp", (grid.phases, c_in, length + grid.tail), x.dtype)
            dxg[...] = 0
            grid_col2im_add(dcols.reshape(c_in * 16, length), dxg, grid)
            grid_unpad_into(dxg, padding, grid, dx[start:stop])
    g = G.astype(x.dtype)
    return np.einsum("xa,xyoc,yb->ocab", g, du.reshape(4, 4, c_out, c_in), g, optimize=True)
