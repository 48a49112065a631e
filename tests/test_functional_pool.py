"""Tests for cnncourse.functional.pool and adaptive_pool: every pooling op, fast and naive, with its backward.

References: naive == fast (float64, tight tolerance) forward and backward; centred-difference
gradient checks of every backward; tiny arrays worked out by hand (including how max pooling
routes the gradient through ties and overlapping windows); one test per bad input. Arrays are
tiny so that the loop versions and the finite differences stay fast.
"""
from __future__ import annotations

import numpy as np
import pytest

from cnncourse import functional as P
from cnncourse.gradcheck import numerical_gradient, relative_error

RTOL, ATOL = 1e-10, 1e-12
GRAD_TOL = 1e-7


def ties(shape, seed=0):
    """Post-ReLU-like input: many exact zeros and repeated values (rounded to 0.5)."""
    rng = np.random.default_rng(seed)
    return np.maximum(np.round(rng.standard_normal(shape) * 2) / 2, 0.0)


def distinct(shape, seed=0):
    """Distinct values in [-0.5, 0.5], at least 0.5/size apart (far more than the step h=1e-5
    of the gradient checks, so max pooling is differentiable there), both signs."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    values = (rng.permutation(size) + rng.uniform(0, 0.5, size)) / size - 0.5
    return values.reshape(shape)


def away_from_zero(shape, seed=0):
    """Random signs, magnitudes in [0.5, 1.5]: Lp pooling is smooth there for every p."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 1.5, shape)


INPUTS = {"ties": ties, "distinct": distinct}


# ------------------------------------------------------------------------------------------
# windowed pools: max, avg, sum, Lp
# ------------------------------------------------------------------------------------------

WINDOW_OPS = {  # name -> (forward, naive, fwd+cache, backward, backward naive, extra args)
    name: (getattr(P, op), getattr(P, f"{op}_naive"), getattr(P, f"{op}_forward"),
           getattr(P, f"{op}_backward"), getattr(P, f"{op}_backward_naive"), extra)
    for name, op, extra in [
        ("max", "max_pool2d", ()), ("avg", "avg_pool2d", ()), ("sum", "sum_pool2d", ()),
        ("lp1", "lp_pool2d", (1,)), ("lp2", "lp_pool2d", (2,)), ("lp3", "lp_pool2d", (3,)),
        ("lp1.5", "lp_pool2d", (1.5,)),
    ]
}

# (x shape, kernel_size, stride, padding)
WINDOW_CASES = [
    pytest.param((2, 3, 6, 6), 2, None, 0, id="6x6-k2-default-stride"),
    pytest.param((2, 3, 7, 5), (3, 2), None, 0, id="7x5-k3x2-stride-not-dividing"),
    pytest.param((2, 3, 7, 5), (3, 2), None, 1, id="7x5-k3x2-pad1"),
    pytest.param((2, 2, 7, 5), 3, 2, 1, id="7x5-k3-s2-pad1-overlapping"),
    pytest.param((1, 2, 7, 8), 3, 1, 0, id="7x8-k3-s1-overlapping"),
    pytest.param((2, 2, 8, 6), (3, 2), (2, 1), (1, 0), id="8x6-k3x2-s2x1-pad1x0-overlapping"),
    pytest.param((2, 1, 7, 5), 2, 3, 0, id="7x5-k2-s3-gaps"),
    pytest.param((1, 2, 5, 7), (2, 3), (1, 2), 1, id="5x7-k2x3-s1x2-pad1"),
    pytest.param((1, 1, 3, 2), (3, 2), 1, 0, id="kernel-equals-input"),
]


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("shape, kernel, stride, padding", WINDOW_CASES)
@pytest.mark.parametrize("op", list(WINDOW_OPS))
def test_window_pool_naive_equals_fast(op, shape, kernel, stride, padding, kind):
    fast, naive, forward, backward, backward_naive, extra = WINDOW_OPS[op]
    x = INPUTS[kind](shape)
    out, cache = forward(x, *extra, kernel, stride, padding)
    np.testing.assert_allclose(out, naive(x, *extra, kernel, stride, padding), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(out, fast(x, *extra, kernel, stride, padding))
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx = backward(dout, cache)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, backward_naive(dout, cache), rtol=RTOL, atol=ATOL)


def _gradcheck(f, x, analytic, dout):
    numerical = numerical_gradient(f, x, dout)
    error = relative_error(numerical, analytic)
    assert error < GRAD_TOL, f"max relative error {error:.2e}"


GRAD_CASES = [case for case in WINDOW_CASES if case.id != "kernel-equals-input"]


@pytest.mark.parametrize("shape, kernel, stride, padding", GRAD_CASES)
@pytest.mark.parametrize("op", list(WINDOW_OPS))
@pytest.mark.parametrize("which", ["fast", "naive"])
def test_window_pool_gradient(which, op, shape, kernel, stride, padding):
    fast, _, forward, backward, backward_naive, extra = WINDOW_OPS[op]
    x = away_from_zero(shape) if op.startswith("lp") else distinct(shape)
    out, cache = forward(x, *extra, kernel, stride, padding)
    rng = np.random.default_rng(2)
    if op.startswith("lp"):
        # Positive dout: where Lp windows overlap, signed terms can cancel into a gradient entry
        # of ~1e-4 whose finite difference has a relative rounding error above 1e-7.
        dout = rng.uniform(0.5, 1.5, out.shape)
    else:
        dout = rng.standard_normal(out.shape)
    dx = (backward if which == "fast" else backward_naive)(dout, cache)
    _gradcheck(lambda v: fast(v, *extra, kernel, stride, padding), x, dx, dout)


@pytest.mark.parametrize("op", list(WINDOW_OPS))
def test_window_pool_keeps_float32(op):
    fast, naive, forward, backward, backward_naive, extra = WINDOW_OPS[op]
    x = distinct((2, 2, 5, 4)).astype(np.float32)
    out, cache = forward(x, *extra, 3, 2, 1)
    assert out.dtype == np.float32 and naive(x, *extra, 3, 2, 1).dtype == np.float32
    dout = np.ones(out.shape, dtype=np.float32)
    assert backward(dout, cache).dtype == np.float32
    assert backward_naive(dout, cache).dtype == np.float32


@pytest.mark.parametrize("op", list(WINDOW_OPS))
def test_window_pool_does_not_modify_input(op):
    fast, naive, forward, backward, backward_naive, extra = WINDOW_OPS[op]
    x = ties((1, 2, 5, 5))
    copy = x.copy()
    out, cache = forward(x, *extra, 3, 2, 1)
    backward(np.ones_like(out), cache)
    backward_naive(np.ones_like(out), cache)
    naive(x, *extra, 3, 2, 1)
    np.testing.assert_array_equal(x, copy)


# ------------------------------------------------------------------------------------------
# hand-worked examples
# ------------------------------------------------------------------------------------------

X44 = np.array([[1.0, 3.0, 2.0, 0.0],
                [4.0, 2.0, 1.0, 5.0],
                [0.0, 1.0, 7.0, 2.0],
                [6.0, 2.0, 3.0, 3.0]])[None, None]


@pytest.mark.parametrize("impl", ["fast", "naive"])
def test_max_pool_4x4_by_hand(impl):
    f = P.max_pool2d if impl == "fast" else P.max_pool2d_naive
    np.testing.assert_array_equal(f(X44, 2)[0, 0], [[4.0, 5.0], [6.0, 7.0]])
    out, cache = P.max_pool2d_forward(X44, 2)
    backward = P.max_pool2d_backward if impl == "fast" else P.max_pool2d_backward_naive
    dx = backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0, 0],
                                             [10, 0, 0, 20],
                                             [0, 0, 40, 0],
                                             [30, 0, 0, 0]])


@pytest.mark.parametrize("impl", ["fast", "naive"])
def test_avg_pool_4x4_by_hand(impl):
    f = P.avg_pool2d if impl == "fast" else P.avg_pool2d_naive
    np.testing.assert_allclose(f(X44, 2)[0, 0], [[2.5, 2.0], [2.25, 3.75]])
    out, cache = P.avg_pool2d_forward(X44, 2)
    backward = P.avg_pool2d_backward if impl == "fast" else P.avg_pool2d_backward_naive
    dx = backward(np.array([[[[4.0, 8.0], [12.0, 16.0]]]]), cache)
    np.testing.assert_allclose(dx[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])


def test_sum_and_lp_pool_4x4_by_hand():
    np.testing.assert_allclose(P.sum_pool2d(X44, 2)[0, 0], [[10.0, 8.0], [9.0, 15.0]])
    # L2 of the top-left window (1, 3, 4, 2) is sqrt(30)
    np.testing.assert_allclose(P.lp_pool2d(X44, 2, 2)[0, 0, 0, 0], np.sqrt(30.0))
    # p = 1 on a non-negative input is sum pooling
    np.testing.assert_allclose(P.lp_pool2d(X44, 1, 2), P.sum_pool2d(X44, 2))


def test_avg_pool_padding_counts_zeros():
    x = np.ones((1, 1, 2, 2))
    # 2x2 windows with padding 1: each window holds one real 1 and three padded zeros
    np.testing.assert_allclose(P.avg_pool2d(x, 2, 2, 1)[0, 0], [[0.25, 0.25], [0.25, 0.25]])


def test_max_pool_padding_is_minus_infinity():
    x = -np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(P.max_pool2d(x, 2, 2, 1), -np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(P.max_pool2d_naive(x, 2, 2, 1), -np.ones((1, 1, 2, 2)))


@pytest.mark.parametrize("impl", ["fast", "naive"])
def test_max_pool_ties_go_to_first_max(impl):
    backward = P.max_pool2d_backward if impl == "fast" else P.max_pool2d_backward_naive
    x = np.array([[0.0, 0.0, 1.0, 2.0],
                  [0.0, 0.0, 2.0, 2.0],
                  [3.0, 1.0, 5.0, 5.0],
                  [0.0, 3.0, 5.0, 5.0]])[None, None]
    out, cache = P.max_pool2d_forward(x, 2)
    dx = backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 0, 2],
                                             [0, 0, 0, 0],
                                             [3, 0, 4, 0],
                                             [0, 0, 0, 0]])


@pytest.mark.parametrize("impl", ["fast", "naive"])
def test_max_pool_overlapping_windows_accumulate(impl):
    backward = P.max_pool2d_backward if impl == "fast" else P.max_pool2d_backward_naive
    # 3x3 windows with stride 1 over a 4x4 input: the centre 9 is the max of all four windows
    x = np.array([[1.0, 2.0, 3.0, 4.0],
                  [5.0, 9.0, 6.0, 7.0],
                  [1.0, 2.0, 3.0, 8.0],
                  [0.0, 1.0, 2.0, 3.0]])[None, None]
    out, cache = P.max_pool2d_forward(x, 3, 1)
    np.testing.assert_array_equal(out[0, 0], [[9.0, 9.0], [9.0, 9.0]])
    dx = backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    expected = np.zeros((4, 4))
    expected[1, 1] = 10.0
    np.testing.assert_array_equal(dx[0, 0], expected)


@pytest.mark.parametrize("impl", ["fast", "naive"])
@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 3, 1)],
                         ids=["k2-s2", "k3-s2-pad1", "k3-s1-pad1", "k2-s3-pad1"])
def test_max_pool_ties_conserve_gradient_mass(impl, kernel, stride, padding):
    """Each window sends its whole gradient to exactly one element, even with ties."""
    backward = P.max_pool2d_backward if impl == "fast" else P.max_pool2d_backward_naive
    x = np.zeros((2, 2, 7, 6))  # all ties
    x[0, 0, 3, 3] = 1.0
    out, cache = P.max_pool2d_forward(x, kernel, stride, padding)
    dout = np.random.default_rng(0).standard_normal(out.shape)
    dx = backward(dout, cache)
    np.testing.assert_allclose(dx.sum(), dout.sum())
    # one window with all zeros: everything at its first real (non-padded) element
    assert np.count_nonzero(dx[1, 1]) <= out.shape[2] * out.shape[3]


def test_max_pool_all_equal_window_routes_to_top_left():
    x = np.full((1, 1, 2, 2), 3.0)
    out, cache = P.max_pool2d_forward(x, 2)
    for backward in (P.max_pool2d_backward, P.max_pool2d_backward_naive):
        np.testing.assert_array_equal(backward(np.ones((1, 1, 1, 1)), cache)[0, 0],
                                      [[1.0, 0.0], [0.0, 0.0]])


def test_max_pool_ties_first_max_in_row_major_order():
    # maxima at (0, 1) and (1, 0): row-major order visits (0, 1) first
    x = np.array([[0.0, 5.0], [5.0, 0.0]])[None, None]
    out, cache = P.max_pool2d_forward(x, 2)
    for backward in (P.max_pool2d_backward, P.max_pool2d_backward_naive):
        np.testing.assert_array_equal(backward(np.ones((1, 1, 1, 1)), cache)[0, 0],
                                      [[0.0, 1.0], [0.0, 0.0]])


def test_lp_pool_zero_window_has_zero_gradient():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = 2.0
    for p in (1, 1.5, 2, 3):
        out, cache = P.lp_pool2d_forward(x, p, 2)
        np.testing.assert_allclose(out[0, 0], [[2.0, 0.0], [0.0, 0.0]])
        for backward in (P.lp_pool2d_backward, P.lp_pool2d_backward_naive):
            dx = backward(np.ones_like(out), cache)
            expected = np.zeros((4, 4))
            expected[0, 0] = 1.0
            if p == 1:   # exact zeros in a window of nonzero norm: gradient 1, as PyTorch
                expected[0:2, 0:2] = 1.0
            np.testing.assert_allclose(dx[0, 0], expected, err_msg=f"p={p}")


def test_lp_pool_large_p_approaches_max_of_abs():
    x = away_from_zero((1, 2, 6, 6))
    np.testing.assert_allclose(P.lp_pool2d(x, 200, 2), P.max_pool2d(np.abs(x), 2), rtol=1e-2)


def test_sum_pool_is_avg_pool_times_area():
    x = distinct((2, 2, 7, 5))
    np.testing.assert_allclose(P.sum_pool2d(x, (3, 2), 2, 1), P.avg_pool2d(x, (3, 2), 2, 1) * 6)


def test_default_stride_is_kernel_size():
    x = distinct((1, 1, 7, 5))
    np.testing.assert_array_equal(P.max_pool2d(x, (3, 2)), P.max_pool2d(x, (3, 2), (3, 2)))
    assert P.max_pool2d(x, (3, 2)).shape == (1, 1, 2, 2)


# ------------------------------------------------------------------------------------------
# adaptive and global pools
# ------------------------------------------------------------------------------------------

ADAPTIVE_CASES = [  # (x shape, output_size, expected output HxW)
    pytest.param((2, 3, 7, 5), 3, (3, 3), id="7x5-to-3-overlapping-bins"),
    pytest.param((2, 2, 7, 5), (4, None), (4, 5), id="7x5-to-4xNone"),
    pytest.param((1, 2, 10, 10), (3, 7), (3, 7), id="10x10-to-3x7"),
    pytest.param((2, 2, 3, 2), (5, 4), (5, 4), id="3x2-to-5x4-larger-than-input"),
    pytest.param((1, 2, 6, 4), (3, 2), (3, 2), id="6x4-to-3x2-divisible"),
    pytest.param((2, 2, 5, 6), 1, (1, 1), id="5x6-to-1-global"),
    pytest.param((1, 1, 1, 1), (2, 3), (2, 3), id="1x1-to-2x3"),
    pytest.param((1, 2, 4, 5), (None, None), (4, 5), id="None-None-identity"),
]

ADAPTIVE_OPS = {
    name: tuple(getattr(P, f"adaptive_{name}_pool2d{suffix}")
                for suffix in ("", "_naive", "_forward", "_backward", "_backward_naive"))
    for name in ("avg", "max")
}


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("shape, output_size, expected", ADAPTIVE_CASES)
@pytest.mark.parametrize("op", list(ADAPTIVE_OPS))
def test_adaptive_pool_naive_equals_fast(op, shape, output_size, expected, kind):
    fast, naive, forward, backward, backward_naive = ADAPTIVE_OPS[op]
    x = INPUTS[kind](shape)
    out, cache = forward(x, output_size)
    assert out.shape == shape[:2] + expected
    np.testing.assert_allclose(out, naive(x, output_size), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(out, fast(x, output_size))
    dout = np.random.default_rng(1).standard_normal(out.shape)
    np.testing.assert_allclose(backward(dout, cache), backward_naive(dout, cache),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape, output_size, expected", ADAPTIVE_CASES)
@pytest.mark.parametrize("op", list(ADAPTIVE_OPS))
@pytest.mark.parametrize("which", ["fast", "naive"])
def test_adaptive_pool_gradient(which, op, shape, output_size, expected):
    fast, _, forward, backward, backward_naive = ADAPTIVE_OPS[op]
    x = distinct(shape)
    out, cache = forward(x, output_size)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    dx = (backward if which == "fast" else backward_naive)(dout, cache)
    _gradcheck(lambda v: fast(v, output_size), x, dx, dout)


def test_adaptive_bins_match_pytorch_formula():
    assert P.adaptive_bins(5, 3) == [(0, 2), (1, 4), (3, 5)]
    assert P.adaptive_bins(6, 3) == [(0, 2), (2, 4), (4, 6)]
    assert P.adaptive_bins(2, 4) == [(0, 1), (0, 1), (1, 2), (1, 2)]


def test_adaptive_avg_pool_divisible_equals_avg_pool():
    x = distinct((2, 3, 6, 8))
    np.testing.assert_allclose(P.adaptive_avg_pool2d(x, (3, 2)), P.avg_pool2d(x, (2, 4)))


def test_adaptive_max_pool_divisible_equals_max_pool():
    x = ties((2, 3, 6, 8))
    np.testing.assert_array_equal(P.adaptive_max_pool2d(x, (3, 2)), P.max_pool2d(x, (2, 4)))
    dout = np.random.default_rng(0).standard_normal((2, 3, 3, 2))
    dx_adaptive = P.adaptive_max_pool2d_backward(dout, P.adaptive_max_pool2d_forward(x, (3, 2))[1])
    dx_pool = P.max_pool2d_backward(dout, P.max_pool2d_forward(x, (2, 4))[1])
    np.testing.assert_array_equal(dx_adaptive, dx_pool)


@pytest.mark.parametrize("backward", ["fast", "naive"])
def test_adaptive_max_pool_ties_go_to_first_max_and_overlaps_add(backward):
    # 3 columns into 2 bins: (0, 2) and (1, 3) share column 1
    x = np.array([[1.0, 5.0, 5.0],
                  [5.0, 0.0, 2.0]])[None, None]
    out, cache = P.adaptive_max_pool2d_forward(x, (1, 2))
    np.testing.assert_array_equal(out[0, 0], [[5.0, 5.0]])
    f = {"fast": P.adaptive_max_pool2d_backward, "naive": P.adaptive_max_pool2d_backward_naive}
    dx = f[backward](np.array([[[[1.0, 10.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0.0, 11.0, 0.0], [0.0, 0.0, 0.0]])


GLOBAL_OPS = {
    name: tuple(getattr(P, f"global_{name}_pool2d{suffix}")
                for suffix in ("", "_naive", "_forward", "_backward", "_backward_naive"))
    for name in ("avg", "max")
}


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("op", list(GLOBAL_OPS))
def test_global_pool(op, kind):
    fast, naive, forward, backward, backward_naive = GLOBAL_OPS[op]
    x = INPUTS[kind]((2, 3, 5, 4))
    out, cache = forward(x)
    assert out.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(out, naive(x), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(out, ADAPTIVE_OPS[op][0](x, 1), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(out, fast(x))
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx = backward(dout, cache)
    np.testing.assert_allclose(dx, backward_naive(dout, cache), rtol=RTOL, atol=ATOL)
    adaptive_cache = ADAPTIVE_OPS[op][2](x, 1)[1]
    np.testing.assert_allclose(dx, ADAPTIVE_OPS[op][3](dout, adaptive_cache), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx.sum(axis=(2, 3)), dout[:, :, 0, 0])  # mass conserved


@pytest.mark.parametrize("op", list(GLOBAL_OPS))
@pytest.mark.parametrize("which", ["fast", "naive"])
def test_global_pool_gradient(which, op):
    fast, _, forward, backward, backward_naive = GLOBAL_OPS[op]
    x = distinct((2, 3, 4, 3))
    out, cache = forward(x)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    dx = (backward if which == "fast" else backward_naive)(dout, cache)
    _gradcheck(fast, x, dx, dout)


# ------------------------------------------------------------------------------------------
# max pooling across channels (maxout)
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("pool_size", [1, 2, 3, 6])
def test_max_pool_channels_naive_equals_fast(pool_size, kind):
    x = INPUTS[kind]((2, 6, 3, 4))
    out, cache = P.max_pool_channels_forward(x, pool_size)
    assert out.shape == (2, 6 // pool_size, 3, 4)
    np.testing.assert_array_equal(out, P.max_pool_channels_naive(x, pool_size))
    np.testing.assert_array_equal(out, P.max_pool_channels(x, pool_size))
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx = P.max_pool_channels_backward(dout, cache)
    np.testing.assert_array_equal(dx, P.max_pool_channels_backward_naive(dout, cache))
    np.testing.assert_allclose(dx.sum(), dout.sum())


@pytest.mark.parametrize("which", ["fast", "naive"])
def test_max_pool_channels_gradient(which):
    x = distinct((2, 6, 3, 2))
    out, cache = P.max_pool_channels_forward(x, 3)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    backward = {"fast": P.max_pool_channels_backward,
                "naive": P.max_pool_channels_backward_naive}[which]
    _gradcheck(lambda v: P.max_pool_channels(v, 3), x, backward(dout, cache), dout)


def test_max_pool_channels_by_hand():
    # two groups of two channels at one pixel: (1, 3) -> 3, (4, 4) -> 4 (tie: first channel)
    x = np.array([1.0, 3.0, 4.0, 4.0]).reshape(1, 4, 1, 1)
    out, cache = P.max_pool_channels_forward(x, 2)
    np.testing.assert_array_equal(out.ravel(), [3.0, 4.0])
    for backward in (P.max_pool_channels_backward, P.max_pool_channels_backward_naive):
        dx = backward(np.array([10.0, 20.0]).reshape(1, 2, 1, 1), cache)
        np.testing.assert_array_equal(dx.ravel(), [0.0, 10.0, 20.0, 0.0])


def test_adaptive_global_channels_keep_float32():
    x = distinct((2, 4, 5, 3)).astype(np.float32)
    for forward, backward, args in [
        (P.adaptive_avg_pool2d_forward, P.adaptive_avg_pool2d_backward, (2,)),
        (P.adaptive_max_pool2d_forward, P.adaptive_max_pool2d_backward, (2,)),
        (P.global_avg_pool2d_forward, P.global_avg_pool2d_backward, ()),
        (P.global_max_pool2d_forward, P.global_max_pool2d_backward, ()),
        (P.max_pool_channels_forward, P.max_pool_channels_backward, (2,)),
    ]:
        out, cache = forward(x, *args)
        assert out.dtype == np.float32, forward.__name__
        assert backward(np.ones_like(out), cache).dtype == np.float32, backward.__name__
    for naive, args in [(P.adaptive_avg_pool2d_naive, (2,)), (P.adaptive_max_pool2d_naive, (2,)),
                        (P.global_avg_pool2d_naive, ()), (P.global_max_pool2d_naive, ()),
                        (P.max_pool_channels_naive, (2,))]:
        assert naive(x, *args).dtype == np.float32, naive.__name__


ALL_OPS = [  # (op, extra arguments after x)
    pytest.param("max_pool2d", (3, 2, 1), id="max_pool2d"),
    pytest.param("avg_pool2d", (2,), id="avg_pool2d"),
    pytest.param("sum_pool2d", (3, 1, 1), id="sum_pool2d"),
    pytest.param("lp_pool2d", (3, 2), id="lp_pool2d"),
    pytest.param("adaptive_avg_pool2d", ((3, 4),), id="adaptive_avg_pool2d"),
    pytest.param("adaptive_max_pool2d", (4,), id="adaptive_max_pool2d"),
    pytest.param("global_avg_pool2d", (), id="global_avg_pool2d"),
    pytest.param("global_max_pool2d", (), id="global_max_pool2d"),
    pytest.param("max_pool_channels", (2,), id="max_pool_channels"),
]


def _five(op):
    return [getattr(P, op + suffix)
            for suffix in ("", "_naive", "_forward", "_backward", "_backward_naive")]


@pytest.mark.parametrize("op, args", ALL_OPS)
def test_non_contiguous_input(op, args):
    fast, naive, forward, backward, backward_naive = _five(op)
    x = ties((2, 4, 6, 5)).transpose(0, 1, 3, 2)  # a view, shape (2, 4, 5, 6)
    out, cache = forward(x, *args)
    np.testing.assert_allclose(out, naive(np.ascontiguousarray(x), *args), rtol=RTOL, atol=ATOL)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    np.testing.assert_allclose(backward(dout, cache), backward_naive(dout, cache),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("op, args", ALL_OPS)
def test_empty_batch(op, args):
    fast, naive, forward, backward, backward_naive = _five(op)
    x = np.zeros((0, 4, 5, 6))
    out, cache = forward(x, *args)
    assert out.shape[0] == 0 and naive(x, *args).shape == out.shape
    assert backward(out, cache).shape == x.shape == backward_naive(out, cache).shape


def test_all_lists_every_public_function():
    for name in P.__all__:
        assert hasattr(P, name), name
    ops = ["max_pool2d", "avg_pool2d", "sum_pool2d", "lp_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d", "global_avg_pool2d", "global_max_pool2d", "max_pool_channels"]
    for op in ops:
        for suffix in ("", "_naive", "_forward", "_backward", "_backward_naive"):
            assert op + suffix in P.__all__
            assert getattr(P, op + suffix).__doc__


# ------------------------------------------------------------------------------------------
# bad inputs: one test per message
# ------------------------------------------------------------------------------------------

X = distinct((1, 2, 5, 4))


def test_error_x_not_ndarray():
    with pytest.raises(TypeError, match=r"max_pool2d_forward: x must be a numpy ndarray, got list"):
        P.max_pool2d([[1.0]], 2)


def test_error_x_integer_dtype():
    with pytest.raises(TypeError, match=r"avg_pool2d_forward: x must have a floating dtype.*int64"):
        P.avg_pool2d(np.ones((1, 1, 4, 4), dtype=np.int64), 2)


def test_error_x_wrong_ndim():
    with pytest.raises(ValueError, match=r"max_pool2d_naive: x must be 4-D \(N, C, H, W\), "
                                         r"got shape \(5, 4\)"):
        P.max_pool2d_naive(X[0, 0], 2)


def test_error_kernel_not_int():
    with pytest.raises(TypeError, match=r"max_pool2d_forward: kernel_size must be an int or a "
                                        r"pair of ints \(h, w\), got 2.0"):
        P.max_pool2d(X, 2.0)


def test_error_kernel_zero():
    with pytest.raises(ValueError, match=r"sum_pool2d_forward: kernel_size must be positive, "
                                         r"got 0"):
        P.sum_pool2d(X, 0)


def test_error_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"max_pool2d_forward: kernel_size=\(6, 2\) is larger than "
                                         r"the padded input \(5, 4\) \(x.shape=\(1, 2, 5, 4\), "
                                         r"padding=\(0, 0\)\)"):
        P.max_pool2d(X, (6, 2))


def test_error_stride_zero():
    with pytest.raises(ValueError, match=r"max_pool2d_forward: stride must be positive, got 0"):
        P.max_pool2d(X, 2, 0)


def test_error_stride_not_int():
    with pytest.raises(TypeError, match=r"avg_pool2d_naive: stride must be an int or a pair"):
        P.avg_pool2d_naive(X, 2, "1")


def test_error_negative_padding():
    with pytest.raises(ValueError, match=r"max_pool2d_forward: padding must be >= 0, got -1"):
        P.max_pool2d(X, 2, 2, -1)


def test_error_padding_more_than_half_kernel():
    with pytest.raises(ValueError, match=r"avg_pool2d_forward: padding must be at most half of "
                                         r"kernel_size \(PyTorch's rule\), got padding=\(2, 2\) "
                                         r"with kernel_size=\(3, 3\)"):
        P.avg_pool2d(X, 3, 1, 2)


def test_error_lp_norm_type_below_one():
    with pytest.raises(ValueError, match=r"lp_pool2d_forward: norm_type must be a finite number "
                                         r"p >= 1, got 0.5"):
        P.lp_pool2d(X, 0.5, 2)


def test_error_lp_norm_type_infinite():
    with pytest.raises(ValueError, match=r"lp_pool2d_naive: norm_type must be a finite number"):
        P.lp_pool2d_naive(X, float("inf"), 2)


def test_error_lp_norm_type_not_number():
    with pytest.raises(TypeError, match=r"lp_pool2d_forward: norm_type must be a real number "
                                        r"p >= 1, got '2'"):
        P.lp_pool2d(X, "2", 2)


def test_error_backward_dout_shape_mismatch():
    out, cache = P.max_pool2d_forward(X, 2)
    with pytest.raises(ValueError, match=r"max_pool2d_backward: dout must have the shape of the "
                                         r"forward output \(1, 2, 2, 2\), got \(1, 2, 3, 2\)"):
        P.max_pool2d_backward(np.ones((1, 2, 3, 2)), cache)


def test_error_backward_naive_dout_shape_mismatch():
    out, cache = P.avg_pool2d_forward(X, 2)
    with pytest.raises(ValueError, match=r"avg_pool2d_backward_naive: dout must have the shape"):
        P.avg_pool2d_backward_naive(np.ones((1, 2, 2, 3)), cache)


def test_error_backward_dout_wrong_ndim():
    out, cache = P.lp_pool2d_forward(X, 2, 2)
    with pytest.raises(ValueError, match=r"lp_pool2d_backward: dout must be 4-D"):
        P.lp_pool2d_backward(out[0], cache)


def test_error_backward_wrong_cache():
    out, cache = P.avg_pool2d_forward(X, 2)
    with pytest.raises(TypeError, match=r"max_pool2d_backward: cache must be the MaxPool2dCache "
                                        r"returned by max_pool2d_forward, got AvgPool2dCache"):
        P.max_pool2d_backward(out, cache)


def test_error_sum_backward_given_avg_cache():
    out, cache = P.avg_pool2d_forward(X, 2)
    with pytest.raises(TypeError, match=r"sum_pool2d_backward_naive: cache must be the "
                                        r"SumPool2dCache"):
        P.sum_pool2d_backward_naive(out, cache)


def test_error_adaptive_output_size_zero():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d_forward: output_size must be "
                                         r"positive, got \[0, 4\]"):
        P.adaptive_avg_pool2d(X, (0, None))


def test_error_adaptive_output_size_none():
    with pytest.raises(TypeError, match=r"adaptive_max_pool2d_forward: output_size must be an int "
                                        r"or a pair \(h, w\) whose entries are ints or None"):
        P.adaptive_max_pool2d(X, None)


def test_error_adaptive_output_size_not_int():
    with pytest.raises(TypeError, match=r"adaptive_max_pool2d_naive: output_size must be an int "
                                        r"or a pair of ints"):
        P.adaptive_max_pool2d_naive(X, 1.5)


def test_error_adaptive_empty_input():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d_naive: x must have H >= 1 and "
                                         r"W >= 1, got shape \(1, 2, 0, 4\)"):
        P.adaptive_avg_pool2d_naive(np.ones((1, 2, 0, 4)), 2)


def test_error_adaptive_backward_dout_shape():
    out, cache = P.adaptive_max_pool2d_forward(X, 3)
    with pytest.raises(ValueError, match=r"adaptive_max_pool2d_backward: dout must have the shape "
                                         r"of the forward output \(1, 2, 3, 3\), "
                                         r"got \(1, 2, 3, 2\)"):
        P.adaptive_max_pool2d_backward(np.ones((1, 2, 3, 2)), cache)


def test_error_global_wrong_ndim():
    with pytest.raises(ValueError, match=r"global_avg_pool2d_forward: x must be 4-D"):
        P.global_avg_pool2d(np.ones((2, 3, 4)))


def test_error_global_backward_dout_shape():
    out, cache = P.global_max_pool2d_forward(X)
    with pytest.raises(ValueError, match=r"global_max_pool2d_backward_naive: dout must have the "
                                         r"shape of the forward output \(1, 2, 1, 1\)"):
        P.global_max_pool2d_backward_naive(np.ones((1, 2, 2, 1)), cache)


def test_error_channels_not_divisible():
    with pytest.raises(ValueError, match=r"max_pool_channels_forward: the number of channels C=2 "
                                         r"must be divisible by pool_size=3 "
                                         r"\(x.shape=\(1, 2, 5, 4\)\)"):
        P.max_pool_channels(X, 3)


def test_error_channels_pool_size_not_int():
    with pytest.raises(TypeError, match=r"max_pool_channels_naive: pool_size must be an int, "
                                        r"got 2.0"):
        P.max_pool_channels_naive(X, 2.0)


def test_error_channels_pool_size_zero():
    with pytest.raises(ValueError, match=r"max_pool_channels_forward: pool_size must be a positive int \(>= 1\), "
                                         r"got 0"):
        P.max_pool_channels(X, 0)


def test_error_channels_backward_dout_shape():
    out, cache = P.max_pool_channels_forward(X, 2)
    with pytest.raises(ValueError, match=r"max_pool_channels_backward: dout must have the shape "
                                         r"of the forward output \(1, 1, 5, 4\), "
                                         r"got \(1, 2, 5, 4\)"):
        P.max_pool_channels_backward(X, cache)


# ------------------------------------------------------------------------------------------
# issue 13: pooling edge cases (each failed before the fix), PyTorch keyword arguments we do
# not support, a wrong dout dtype, one padding representation
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_adaptive_avg_pool_keeps_a_non_finite_value_in_its_bins(bad):
    x = np.arange(1 * 2 * 7 * 6, dtype=float).reshape(1, 2, 7, 6)
    x[0, 1, 5, 1] = bad
    fast, naive = P.adaptive_avg_pool2d(x, (3, 4)), P.adaptive_avg_pool2d_naive(x, (3, 4))
    np.testing.assert_array_equal(fast, naive)          # NaN == NaN for assert_array_equal
    # only the bins that contain (5, 1) are non-finite: rows [4, 7) -> bin 2; cols [0, 2), [1, 3)
    hit = ~np.isfinite(fast[0, 1])
    expected = np.zeros((3, 4), dtype=bool)
    expected[2, 0:2] = True
    np.testing.assert_array_equal(hit, expected)
    assert np.isfinite(fast[0, 0]).all()


def test_adaptive_avg_pool_backward_keeps_a_nan_dout_in_its_bin():
    x = np.zeros((1, 1, 6, 6))
    out, cache = P.adaptive_avg_pool2d_forward(x, (2, 3))
    dout = np.ones_like(out)
    dout[0, 0, 0, 0] = np.nan
    fast = P.adaptive_avg_pool2d_backward(dout, cache)
    np.testing.assert_array_equal(fast, P.adaptive_avg_pool2d_backward_naive(dout, cache))
    assert np.isnan(fast[0, 0, :3, :2]).all() and np.isfinite(fast[0, 0, 3:]).all()


@pytest.mark.parametrize("backward", ["fast", "naive"])
def test_max_pool_all_minus_inf_window_starting_in_padding_routes_to_first_real(backward):
    # PyTorch: the window never looks at the padding, so its gradient goes to the first real
    # element, even when every real element is -inf
    x = np.full((1, 1, 4, 4), -np.inf)
    x[0, 0, 2:, 2:] = 1.0
    out, cache = P.max_pool2d_forward(x, 3, stride=2, padding=1)
    np.testing.assert_array_equal(out[0, 0], [[-np.inf, -np.inf], [-np.inf, 1.0]])
    bwd = P.max_pool2d_backward if backward == "fast" else P.max_pool2d_backward_naive
    dx = bwd(np.ones_like(out), cache)
    expected = np.zeros((4, 4))
    # windows (0, 0), (0, 1), (1, 0) start in the padding and see only -inf: each routes to
    # its first real element, (0, 0), (0, 1) and (1, 0); window (1, 1) picks the 1.0 at (2, 2)
    expected[0, 0] = expected[0, 1] = expected[1, 0] = expected[2, 2] = 1.0
    np.testing.assert_array_equal(dx[0, 0], expected)
    assert dx.sum() == out.size     # no gradient is lost in the padding


def test_max_pool_minus_inf_ties_in_padding_random_naive_equals_fast():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 6))
    x[rng.random(x.shape) < 0.6] = -np.inf
    for kernel, stride, padding in [(3, 2, 1), (2, 1, 1), ((3, 2), (1, 2), (1, 1)), (4, 3, 2)]:
        out, cache = P.max_pool2d_forward(x, kernel, stride, padding)
        dout = rng.standard_normal(out.shape)
        fast, naive = P.max_pool2d_backward(dout, cache), P.max_pool2d_backward_naive(dout, cache)
        np.testing.assert_allclose(fast, naive, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fast.sum(), dout.sum(), rtol=1e-10)   # nothing lost


def test_global_max_pool_naive_propagates_nan_like_fast():
    x = np.arange(2 * 2 * 3 * 3, dtype=float).reshape(2, 2, 3, 3)
    x[0, 1, 1, 0] = np.nan
    x[0, 1, 2, 2] = np.nan
    fast, naive = P.global_max_pool2d(x), P.global_max_pool2d_naive(x)
    assert np.isnan(naive[0, 1, 0, 0]) and np.isnan(fast[0, 1, 0, 0])
    np.testing.assert_array_equal(fast, naive)
    out, cache = P.global_max_pool2d_forward(x)
    dout = np.arange(1.0, 5.0).reshape(2, 2, 1, 1)
    dx_fast = P.global_max_pool2d_backward(dout, cache)
    dx_naive = P.global_max_pool2d_backward_naive(dout, cache)
    np.testing.assert_array_equal(dx_fast, dx_naive)
    assert dx_naive[0, 1, 1, 0] == dout[0, 1, 0, 0]       # the first NaN gets the gradient


@pytest.mark.parametrize("op, kwargs, name", [
    ("max_pool2d", dict(ceil_mode=True), "ceil_mode"),
    ("max_pool2d", dict(dilation=2), "dilation"),
    ("max_pool2d", dict(return_indices=True), "return_indices"),
    ("avg_pool2d", dict(count_include_pad=False), "count_include_pad"),
    ("avg_pool2d", dict(ceil_mode=True), "ceil_mode"),
    ("avg_pool2d", dict(divisor_override=3), "divisor_override"),
    ("lp_pool2d", dict(ceil_mode=True), "ceil_mode"),
], ids=lambda v: v if isinstance(v, str) else None)
@pytest.mark.parametrize("variant", ["", "_naive", "_forward"])
def test_unsupported_pytorch_arguments_are_named(op, kwargs, name, variant):
    x = np.zeros((1, 1, 4, 4))
    args = (x, 2) if op != "lp_pool2d" else (x, 2, 2)
    fn = getattr(P, op + variant)
    with pytest.raises(TypeError, match=rf"^{op}{variant}: argument '{name}' is not supported "
                                        rf"\(.+\); got {name}=.*only PyTorch's default"):
        fn(*args, **kwargs)


def test_pytorch_defaults_are_accepted_and_unknown_names_refused():
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    np.testing.assert_array_equal(P.max_pool2d(x, 2, ceil_mode=False, dilation=1,
                                               return_indices=False), P.max_pool2d(x, 2))
    np.testing.assert_array_equal(P.avg_pool2d(x, 2, count_include_pad=True, ceil_mode=False,
                                               divisor_override=None), P.avg_pool2d(x, 2))
    with pytest.raises(TypeError, match=r"^max_pool2d\(\) got an unexpected keyword argument 'kernel'"):
        P.max_pool2d(x, 2, kernel=2)


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "sum_pool2d", "lp_pool2d"])
@pytest.mark.parametrize("variant", ["_backward", "_backward_naive"])
def test_windowed_backward_refuses_a_wrong_dout_dtype(name, variant):
    # before: silently cast to the forward's dtype (conv's backward raised)
    x = np.zeros((1, 1, 4, 4))
    args = (x, 2) if name != "lp_pool2d" else (x, 2, 2)
    out, cache = getattr(P, name + "_forward")(*args)
    with pytest.raises(TypeError, match=rf"^{name}{variant}: dout has dtype float32 but the "
                                        rf"forward ran in float64"):
        getattr(P, name + variant)(out.astype(np.float32), cache)


def test_every_pool_cache_stores_padding_per_side_like_conv():
    from cnncourse.functional import conv2d_forward, conv_transpose2d_forward
    x = np.zeros((1, 1, 6, 6))
    caches = [P.max_pool2d_forward(x, 3, 1, (1, 0))[1], P.avg_pool2d_forward(x, 3, 1, (1, 0))[1],
              P.sum_pool2d_forward(x, 3, 1, (1, 0))[1], P.lp_pool2d_forward(x, 2, 3, 1, (1, 0))[1],
              conv2d_forward(x, np.zeros((1, 1, 3, 3)), padding=(1, 0))[1],
              conv_transpose2d_forward(x, np.zeros((1, 1, 3, 3)), padding=(1, 0))[1]]
    for cache in caches:
        assert cache.padding == ((1, 1), (0, 0)), type(cache).__name__
