"""Optional cross-check of cnncourse.functional.pool against PyTorch (skipped without torch).

Forward and input gradient of max, average, Lp and adaptive pooling, fast and naive, in float64
(including ties: PyTorch also sends a window's gradient to its first maximum), and the fast
versions once more in float32.
"""
from __future__ import annotations

import numpy as np
import pytest

from cnncourse import functional as P

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def ties(shape, seed=0):
    rng = np.random.default_rng(seed)
    return np.maximum(np.round(rng.standard_normal(shape) * 2) / 2, 0.0)


def normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def positive(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 2.0, shape)


def torch_forward_backward(fn, x, dout, *args):
    leaf = torch.from_numpy(x).requires_grad_(True)
    out = fn(leaf, *args)
    if isinstance(out, tuple):
        out = out[0]
    (dx,) = torch.autograd.grad(out, leaf, torch.from_numpy(dout))
    return out.detach().numpy(), dx.numpy()


def check(ours, theirs, dtype):
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours, theirs, **tol)


def run_ours(name, impl, x, dout, *args):
    if impl == "fast":
        out, cache = getattr(P, f"{name}_forward")(x, *args)
        return out, getattr(P, f"{name}_backward")(dout, cache)
    out = getattr(P, f"{name}_naive")(x, *args)
    cache = getattr(P, f"{name}_forward")(x, *args)[1]
    return out, getattr(P, f"{name}_backward_naive")(dout, cache)


IMPLS = [pytest.param("fast", np.float64, id="fast-f64"),
         pytest.param("naive", np.float64, id="naive-f64"),
         pytest.param("fast", np.float32, id="fast-f32")]

# (x shape, kernel_size, stride, padding)
WINDOW_CASES = [
    pytest.param((2, 3, 6, 6), 2, None, 0, id="6x6-k2"),
    pytest.param((2, 3, 7, 5), (3, 2), None, 0, id="7x5-k3x2"),
    pytest.param((2, 2, 7, 5), 3, 2, 1, id="7x5-k3-s2-pad1-overlapping"),
    pytest.param((1, 2, 7, 8), 3, 1, 0, id="7x8-k3-s1-overlapping"),
    pytest.param((2, 2, 8, 6), (3, 2), (2, 1), (1, 0), id="8x6-k3x2-s2x1-pad1x0"),
    pytest.param((2, 1, 7, 5), 2, 3, 1, id="7x5-k2-s3-pad1-gaps"),
]


@pytest.mark.parametrize("impl, dtype", IMPLS)
@pytest.mark.parametrize("kind", ["ties", "normal"])
@pytest.mark.parametrize("shape, kernel, stride, padding", WINDOW_CASES)
def test_max_pool2d_matches_torch(shape, kernel, stride, padding, kind, impl, dtype):
    x = (ties if kind == "ties" else normal)(shape).astype(dtype)
    out_shape = P.max_pool2d(x, kernel, stride, padding).shape
    dout = normal(out_shape, seed=1).astype(dtype)
    ref_out, ref_dx = torch_forward_backward(TF.max_pool2d, x, dout, kernel, stride, padding)
    out, dx = run_ours("max_pool2d", impl, x, dout, kernel, stride, padding)
    check(out, ref_out, dtype)
    check(dx, ref_dx, dtype)


@pytest.mark.parametrize("impl, dtype", IMPLS)
@pytest.mark.parametrize("shape, kernel, stride, padding", WINDOW_CASES)
def test_avg_pool2d_matches_torch(shape, kernel, stride, padding, impl, dtype):
    x = normal(shape).astype(dtype)
    dout = normal(P.avg_pool2d(x, kernel, stride, padding).shape, seed=1).astype(dtype)
    ref_out, ref_dx = torch_forward_backward(TF.avg_pool2d, x, dout, kernel, stride, padding)
    out, dx = run_ours("avg_pool2d", impl, x, dout, kernel, stride, padding)
    check(out, ref_out, dtype)
    check(dx, ref_dx, dtype)


@pytest.mark.parametrize("impl, dtype", IMPLS)
@pytest.mark.parametrize("norm_type", [1, 2, 3, 1.5])
@pytest.mark.parametrize("shape, kernel, stride, padding",
                         [case for case in WINDOW_CASES if case.values[3] == 0])
def test_lp_pool2d_matches_torch(shape, kernel, stride, padding, norm_type, impl, dtype):
    # PyTorch's lp_pool2d has no padding and raises x (not |x|) to the power p: compare on
    # positive inputs, where the two definitions agree.
    x = positive(shape).astype(dtype)
    dout = normal(P.lp_pool2d(x, norm_type, kernel, stride).shape, seed=1).astype(dtype)
    ref_out, ref_dx = torch_forward_backward(TF.lp_pool2d, x, dout, norm_type, kernel, stride)
    out, dx = run_ours("lp_pool2d", impl, x, dout, norm_type, kernel, stride)
    check(out, ref_out, dtype)
    check(dx, ref_dx, dtype)


ADAPTIVE_CASES = [
    pytest.param((2, 3, 7, 5), 3, id="7x5-to-3-overlapping-bins"),
    pytest.param((2, 2, 7, 5), (4, None), id="7x5-to-4xNone"),
    pytest.param((1, 2, 10, 10), (3, 7), id="10x10-to-3x7"),
    pytest.param((2, 2, 3, 2), (5, 4), id="3x2-to-5x4-larger-than-input"),
    pytest.param((2, 2, 5, 6), 1, id="global"),
]


@pytest.mark.parametrize("impl, dtype", IMPLS)
@pytest.mark.parametrize("kind", ["ties", "normal"])
@pytest.mark.parametrize("shape, output_size", ADAPTIVE_CASES)
@pytest.mark.parametrize("op", ["avg", "max"])
def test_adaptive_pool_matches_torch(op, shape, output_size, kind, impl, dtype):
    x = (ties if kind == "ties" else normal)(shape).astype(dtype)
    name = f"adaptive_{op}_pool2d"
    dout = normal(getattr(P, name)(x, output_size).shape, seed=1).astype(dtype)
    ref_out, ref_dx = torch_forward_backward(getattr(TF, name), x, dout, output_size)
    out, dx = run_ours(name, impl, x, dout, output_size)
    check(out, ref_out, dtype)
    check(dx, ref_dx, dtype)


@pytest.mark.parametrize("impl, dtype", IMPLS)
@pytest.mark.parametrize("op", ["avg", "max"])
def test_global_pool_matches_torch(op, impl, dtype):
    x = ties((2, 3, 5, 4)).astype(dtype)
    dout = normal((2, 3, 1, 1), seed=1).astype(dtype)
    ref_out, ref_dx = torch_forward_backward(getattr(TF, f"adaptive_{op}_pool2d"), x, dout, 1)
    out, dx = run_ours(f"global_{op}_pool2d", impl, x, dout)
    check(out, ref_out, dtype)
    check(dx, ref_dx, dtype)


@pytest.mark.parametrize("impl, dtype", IMPLS)
def test_max_pool_channels_matches_torch_max(impl, dtype):
    # maxout: the max over each group of consecutive channels (torch.max returns the first max)
    x = ties((2, 6, 3, 4)).astype(dtype)
    dout = normal((2, 3, 3, 4), seed=1).astype(dtype)
    ref_out, ref_dx = torch_forward_backward(
        lambda t: t.reshape(2, 3, 2, 3, 4).max(dim=2).values, x, dout)
    out, dx = run_ours("max_pool_channels", impl, x, dout, 2)
    check(out, ref_out, dtype)
    check(dx, ref_dx, dtype)


# ------------------------------------------------------------------------------------------
# issue 13: the edge cases where we used to differ from PyTorch
# ------------------------------------------------------------------------------------------

def _torch_grad(op, x, dout):
    t = torch.tensor(x, requires_grad=True)
    out = op(t)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("backward", ["fast", "naive"])
def test_max_pool_minus_inf_windows_in_padding_match_torch(backward):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 7, 6))
    x[rng.random(x.shape) < 0.7] = -np.inf
    for kernel, stride, padding in [(3, 2, 1), (2, 1, 1), (4, 3, 2)]:
        out, cache = P.max_pool2d_forward(x, kernel, stride, padding)
        dout = rng.standard_normal(out.shape)
        t_out, t_dx = _torch_grad(lambda t: TF.max_pool2d(t, kernel, stride, padding), x, dout)
        np.testing.assert_array_equal(out, t_out)
        bwd = P.max_pool2d_backward if backward == "fast" else P.max_pool2d_backward_naive
        np.testing.assert_allclose(bwd(dout, cache), t_dx, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backward", ["fast", "naive"])
def test_lp_pool_p1_gradient_at_exact_zeros_matches_torch(backward):
    x = ties((2, 2, 6, 6), seed=5)            # non-negative, many exact zeros, some all-zero windows
    assert (x == 0).any()
    out, cache = P.lp_pool2d_forward(x, 1, 2)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    t_out, t_dx = _torch_grad(lambda t: TF.lp_pool2d(t, 1, 2), x, dout)
    np.testing.assert_allclose(out, t_out, rtol=1e-12)
    bwd = P.lp_pool2d_backward if backward == "fast" else P.lp_pool2d_backward_naive
    np.testing.assert_allclose(bwd(dout, cache), t_dx, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", ["fast", "naive"])
@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_adaptive_avg_pool_non_finite_matches_torch(op, bad):
    x = normal((1, 2, 7, 5), seed=6)
    x[0, 0, 3, 2] = bad
    fn = P.adaptive_avg_pool2d if op == "fast" else P.adaptive_avg_pool2d_naive
    expected = TF.adaptive_avg_pool2d(torch.tensor(x), (3, 2)).numpy()
    np.testing.assert_allclose(fn(x, (3, 2)), expected, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("op", ["fast", "naive"])
def test_global_max_pool_nan_matches_torch(op):
    x = normal((2, 3, 4, 4), seed=7)
    x[1, 2, 1, 3] = np.nan
    fn = P.global_max_pool2d if op == "fast" else P.global_max_pool2d_naive
    expected = TF.adaptive_max_pool2d(torch.tensor(x), 1).numpy()
    np.testing.assert_array_equal(fn(x), expected)
