"""Tests for cnncourse.functional.window (the one window module) and cnncourse.geometry."""
from __future__ import annotations

import numpy as np
import pytest

from cnncourse import geometry as G
from cnncourse.functional import window as W

CASES = [
    pytest.param((2, 3, 7, 5), (3, 2), (1, 1), (1, 1), id="k3x2"),
    pytest.param((1, 2, 9, 8), (3, 3), (2, 3), (1, 1), id="stride-2-3-not-dividing"),
    pytest.param((2, 1, 10, 9), (2, 3), (3, 2), (2, 1), id="dilated-strided"),
    pytest.param((1, 1, 4, 4), (4, 4), (1, 1), (1, 1), id="kernel-equals-input"),
]


@pytest.mark.parametrize("shape, kernel, stride, dilation", CASES)
def test_three_views_of_the_windows_agree(shape, kernel, stride, dilation):
    xp = np.random.default_rng(0).standard_normal(shape)
    view = W.windows(xp, kernel, stride, dilation)
    ho, wo = G.out_hw(shape[2:], kernel, stride, ((0, 0), (0, 0)), dilation)
    assert view.shape == shape[:2] + (ho, wo) + tuple(kernel)
    for i in range(ho):
        for j in range(wo):
            rows, cols = W.window_slices(i, j, kernel, stride, dilation)
            np.testing.assert_array_equal(view[:, :, i, j], xp[:, :, rows, cols])
    for k, index in W.offsets(kernel, stride, (ho, wo), dilation):
        a, b = divmod(k, kernel[1])
        np.testing.assert_array_equal(xp[index], view[..., a, b])


@pytest.mark.parametrize("shape, kernel, stride, dilation", CASES)
def test_col2im_is_the_adjoint_of_im2col(shape, kernel, stride, dilation):
    rng = np.random.default_rng(1)
    xp = rng.standard_normal(shape)
    cols = W.im2col(xp, kernel, stride, dilation)
    ho, wo = G.out_hw(shape[2:], kernel, stride, ((0, 0), (0, 0)), dilation)
    assert cols.shape == (shape[1] * kernel[0] * kernel[1], shape[0] * ho * wo)
    c = rng.standard_normal(cols.shape)
    back = W.col2im(c, shape, kernel, stride, dilation, (ho, wo))
    assert back.shape == shape
    np.testing.assert_allclose(np.sum(cols * c), np.sum(xp * back), rtol=1e-12)


def test_im2col_column_is_the_window_channel_major():
    xp = np.arange(2 * 2 * 4 * 5, dtype=float).reshape(2, 2, 4, 5)
    cols = W.im2col(xp, (2, 3), (1, 2))
    # column of image 1, output pixel (i, j) = (2, 1); H_out, W_out = 3, 2
    np.testing.assert_array_equal(cols[:, 1 * 6 + 2 * 2 + 1], xp[1, :, 2:4, 2:5].ravel())


@pytest.mark.parametrize("padding", [((0, 0), (0, 0)), ((1, 2), (0, 1)), ((2, 2), (3, 3))])
def test_pad2d_and_crop_are_inverse(padding):
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    xp = W.pad2d(x, padding, value=-1.0)
    assert xp.shape[2:] == G.padded_hw((4, 5), padding)
    back = W.crop(xp, padding, (4, 5))
    np.testing.assert_array_equal(back, x)
    assert back.flags.c_contiguous
    if padding == ((0, 0), (0, 0)):
        assert xp is x                      # no copy when there is nothing to pad


# ------------------------------------------------------------------------------------ geometry
@pytest.mark.parametrize("i, k, s, p, d", [(28, 5, 1, 0, 1), (7, 3, 2, 1, 1), (8, 3, 2, 0, 1),
                                           (10, 3, 3, 2, 2), (5, 5, 1, 0, 1)])
def test_out_length_is_pytorchs_formula(i, k, s, p, d):
    assert G.out_length(i + 2 * p, k, s, d) == (i + 2 * p - d * (k - 1) - 1) // s + 1
    # the number of window positions, counted one by one
    span = d * (k - 1) + 1
    assert G.out_length(i + 2 * p, k, s, d) == len(range(0, i + 2 * p - span + 1, s))


def test_transpose_out_length_inverts_the_conv():
    for i in range(3, 12):
        o = G.out_length(i + 2, 3, 2)                    # padding 1 per side, stride 2
        a = (i + 2 - 3) % 2
        assert G.transpose_out_length(o, 3, 2, 1, a) == i


@pytest.mark.parametrize("padding, kernel, dilation, expected", [
    (0, (3, 3), (1, 1), ((0, 0), (0, 0))),
    ((1, 2), (3, 3), (1, 1), ((1, 1), (2, 2))),
    ("valid", (3, 3), (1, 1), ((0, 0), (0, 0))),
    ("same", (3, 4), (1, 1), ((1, 1), (1, 2))),
    ("same", (3, 2), (2, 1), ((2, 2), (0, 1))),
], ids=["int", "pair", "valid", "same-even", "same-dilated"])
def test_resolve_padding(padding, kernel, dilation, expected):
    assert G.resolve_padding(padding, kernel, (1, 1), dilation, "f") == expected


def test_resolve_padding_errors():
    with pytest.raises(ValueError, match=r"^conv2d: padding='same' needs stride 1 \(as in "
                                         r"PyTorch\), got stride=\(2, 1\); give the padding"):
        G.resolve_padding("same", (3, 3), (2, 1), (1, 1), "conv2d")
    with pytest.raises(ValueError, match=r"^conv2d: padding must be an int, a pair \(h, w\), "
                                         r"'valid' or 'same', got 'full'$"):
        G.resolve_padding("full", (3, 3), (1, 1), (1, 1), "conv2d")
    with pytest.raises(TypeError, match=r"^conv2d: padding must be an int or a pair of ints"):
        G.resolve_padding(1.5, (3, 3), (1, 1), (1, 1), "conv2d")
    with pytest.raises(ValueError, match=r"^conv2d: padding must be >= 0, got -1$"):
        G.resolve_padding(-1, (3, 3), (1, 1), (1, 1), "conv2d")


def test_same_padding_keeps_the_size():
    for k in range(1, 8):
        for d in (1, 2, 3):
            before, after = G.same_padding(k, d)
            assert after - before in (0, 1)
            assert G.out_length(10 + before + after, k, 1, d) == 10


# ------------------------------------------------------------------ the grid form of im2col
@pytest.mark.parametrize("shape, kernel, stride, dilation", CASES + [
    pytest.param((2, 3, 8, 8), (4, 4), (2, 2), (1, 1), id="winograd-like-4x4-stride-2"),
    pytest.param((1, 2, 7, 9), (1, 1), (1, 1), (1, 1), id="1x1"),
])
def test_im2col_grid_holds_im2col_in_its_valid_corner(shape, kernel, stride, dilation):
    xp = np.random.default_rng(3).standard_normal(shape)
    n, c = shape[:2]
    ho, wo = G.out_hw(shape[2:], kernel, stride, ((0, 0), (0, 0)), dilation)
    grid = W.grid_layout(shape[2:], kernel, stride, dilation, (ho, wo))
    assert grid.hw == (-(-shape[2] // stride[0]), -(-shape[3] // stride[1]))
    assert grid.waste >= 1
    cols = W.im2col_grid(xp, kernel, stride, dilation)
    assert cols.shape == (c * kernel[0] * kernel[1], n * grid.size)
    corner = cols.reshape(-1, n, *grid.hw)[:, :, :ho, :wo]
    np.testing.assert_array_equal(corner, W.im2col(xp, kernel, stride, dilation).reshape(-1, n, ho, wo))


@pytest.mark.parametrize("shape, kernel, stride, dilation", CASES)
@pytest.mark.parametrize("padding", [((0, 0), (0, 0)), ((1, 2), (2, 0))], ids=["no-pad", "pad"])
def test_grid_col2im_is_the_adjoint_of_grid_im2col(shape, kernel, stride, dilation, padding):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape)
    hp, wp = G.padded_hw(shape[2:], padding)
    grid = W.grid_layout((hp, wp), kernel, stride, dilation,
                         G.out_hw(shape[2:], kernel, stride, padding, dilation))
    n, c = shape[:2]
    xg = W.grid_pad_into(x, padding, grid, np.full((grid.phases, c, n * grid.size + grid.tail), np.nan))
    assert np.isfinite(xg).all()                       # every cell written: no stale values
    back = W.grid_unpad_into(xg, padding, grid, np.empty_like(x))
    np.testing.assert_array_equal(back, x)             # pad and unpad are inverse
    cols = W.grid_im2col_into(xg, grid, np.empty((c * kernel[0] * kernel[1], n * grid.size)))
    r = rng.standard_normal(cols.shape)
    adj = W.grid_col2im_add(r, np.zeros_like(xg), grid)
    np.testing.assert_allclose(np.sum(cols * r), np.sum(xg * adj), rtol=1e-12)
