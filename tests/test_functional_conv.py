"""Tests for cnncourse.functional.conv: conv2d and conv_transpose2d, fast and naive.

Four kinds of reference: naive == fast (float64, tight tolerance), centred-difference gradient
checks, scipy.signal, and tiny arrays worked out by hand. Arrays are kept tiny so that the
loop versions and the finite differences stay fast.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from cnncourse.gradcheck import numerical_gradient

from cnncourse import functional as F
from cnncourse.functional import conv as conv_module, conv_transpose as conv_transpose_module
from cnncourse.functional import (
    ConvGrads, conv2d, conv2d_backward, conv2d_backward_naive, conv2d_forward, conv2d_naive,
    conv_transpose2d, conv_transpose2d_backward, conv_transpose2d_backward_naive,
    conv_transpose2d_forward, conv_transpose2d_naive,
)

RTOL, ATOL = 1e-10, 1e-12


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ------------------------------------------------------------------------------------------
# parameter grids: (x shape, weight shape, stride, padding, dilation, bias?)
# ------------------------------------------------------------------------------------------

CONV_CASES = [
    pytest.param((1, 1, 7, 5), (1, 1, 3, 2), 1, 0, 1, False, id="7x5-in_3x2-k_pad0_nobias"),
    pytest.param((2, 3, 7, 5), (4, 3, 3, 2), 1, 0, 1, True, id="batch2_c3to4_pad0"),
    pytest.param((2, 2, 6, 7), (3, 2, 3, 3), 1, 1, 1, True, id="pad1"),
    pytest.param((2, 2, 6, 7), (3, 2, 2, 3), 1, (2, 1), 1, True, id="pad-pair-2-1"),
    pytest.param((2, 2, 8, 9), (3, 2, 3, 2), (2, 3), 1, 1, True, id="stride-2-3-not-dividing"),
    pytest.param((1, 2, 9, 8), (2, 2, 3, 3), 1, 0, 2, True, id="dilation2"),
    pytest.param((2, 1, 9, 10), (2, 1, 2, 3), (3, 2), (1, 2), (2, 1), False,
                 id="stride-3-2_pad-1-2_dil-2-1"),
    pytest.param((2, 2, 5, 6), (3, 2, 3, 3), 1, "same", 1, True, id="same-odd-kernel"),
    pytest.param((2, 2, 5, 6), (3, 2, 2, 4), 1, "same", 1, True, id="same-even-kernel"),
    pytest.param((1, 2, 6, 5), (2, 2, 2, 3), 1, "same", (2, 1), False, id="same-even-dilated"),
    pytest.param((2, 2, 5, 6), (3, 2, 3, 2), 1, "valid", 1, True, id="valid"),
    pytest.param((1, 1, 4, 4), (1, 1, 4, 4), 1, 0, 1, True, id="kernel-equals-input"),
]

# (x shape, weight shape (C_in, C_out, kH, kW), stride, padding, output_padding, dilation, bias?)
TRANSPOSE_CASES = [
    pytest.param((1, 1, 3, 4), (1, 1, 3, 2), 1, 0, 0, 1, False, id="3x4-in_3x2-k_plain"),
    pytest.param((2, 3, 3, 4), (3, 2, 3, 2), 1, 0, 0, 1, True, id="batch2_c3to2"),
    pytest.param((2, 2, 3, 4), (2, 3, 3, 3), 2, 1, 0, 1, True, id="stride2_pad1"),
    pytest.param((2, 2, 3, 4), (2, 3, 3, 3), 2, 1, 1, 1, True, id="stride2_pad1_outpad1"),
    pytest.param((1, 2, 4, 3), (2, 2, 3, 2), (2, 3), (1, 0), (1, 2), 1, True,
                 id="stride-2-3_pad-1-0_outpad-1-2"),
    pytest.param((2, 2, 4, 3), (2, 2, 3, 3), 1, 1, 1, 2, False, id="dilation2_outpad1"),
    pytest.param((1, 2, 3, 3), (2, 2, 3, 2), 2, 0, (2, 1), 3, True,
                 id="outpad-above-stride-below-dilation"),
]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _conv_data(x_shape, w_shape, with_bias, dtype=np.float64, seed=0):
    rng = _rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    n_out = w_shape[0]
    b = rng.standard_normal(n_out).astype(dtype) if with_bias else None
    return x, w, b


def _transpose_data(x_shape, w_shape, with_bias, dtype=np.float64, seed=0):
    rng = _rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[1]).astype(dtype) if with_bias else None
    return x, w, b


def _assert_grads_close(a: ConvGrads, b: ConvGrads):
    np.testing.assert_allclose(a.dx, b.dx, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(a.dweight, b.dweight, rtol=RTOL, atol=ATOL)
    if a.dbias is None:
        assert b.dbias is None
    else:
        np.testing.assert_allclose(a.dbias, b.dbias, rtol=RTOL, atol=ATOL)


def _conv_out_hw(x_shape, w_shape, stride, padding, dilation):
    """PyTorch's formula, written out independently of the package."""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    if padding == "same":
        return x_shape[2], x_shape[3]
    ph, pw = (0, 0) if padding == "valid" else _pair(padding)
    kh, kw = w_shape[2:]
    return ((x_shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1,
            (x_shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1)


def _transpose_out_hw(x_shape, w_shape, stride, padding, output_padding, dilation):
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = map(_pair, (stride, padding, output_padding, dilation))
    kh, kw = w_shape[2:]
    return ((x_shape[2] - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1,
            (x_shape[3] - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1)


# ------------------------------------------------------------------------------------------
# naive == fast, and PyTorch's output-size formula
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias", CONV_CASES)
def test_conv2d_naive_equals_fast(x_shape, w_shape, stride, padding, dilation, with_bias):
    x, w, b = _conv_data(x_shape, w_shape, with_bias)
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation)
    assert out.shape == (x_shape[0], w_shape[0]) + _conv_out_hw(x_shape, w_shape, stride,
                                                                padding, dilation)
    assert out.flags.c_contiguous
    np.testing.assert_allclose(conv2d_naive(x, w, b, stride, padding, dilation), out,
                               rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(conv2d(x, w, b, stride, padding, dilation), out)
    dout = _rng(1).standard_normal(out.shape)
    fast, naive = conv2d_backward(dout, cache), conv2d_backward_naive(dout, cache)
    assert fast.dx.shape == x.shape and fast.dweight.shape == w.shape
    assert (fast.dbias is None) == (b is None)
    _assert_grads_close(fast, naive)
    # a cache without the im2col matrix (e.g. built by hand) gives the same gradients
    _assert_grads_close(conv2d_backward(dout, cache._replace(cols=None)), fast)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding, dilation, with_bias",
                         TRANSPOSE_CASES)
def test_conv_transpose2d_naive_equals_fast(x_shape, w_shape, stride, padding, output_padding,
                                            dilation, with_bias):
    x, w, b = _transpose_data(x_shape, w_shape, with_bias)
    args = (stride, padding, output_padding, dilation)
    out, cache = conv_transpose2d_forward(x, w, b, *args)
    assert out.shape == (x_shape[0], w_shape[1]) + _transpose_out_hw(x_shape, w_shape, *args)
    assert out.flags.c_contiguous
    np.testing.assert_allclose(conv_transpose2d_naive(x, w, b, *args), out, rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(conv_transpose2d(x, w, b, *args), out)
    dout = _rng(1).standard_normal(out.shape)
    fast = conv_transpose2d_backward(dout, cache)
    assert fast.dx.shape == x.shape and fast.dweight.shape == w.shape
    _assert_grads_close(fast, conv_transpose2d_backward_naive(dout, cache))


# ------------------------------------------------------------------------------------------
# numerical gradient checks (float64, centred differences)
# ------------------------------------------------------------------------------------------

def _check(f, a, analytic, dout):
    """Centred differences (h=1e-5) of ``sum(f() * dout)`` w.r.t. ``a`` vs ``analytic``.

    The error is taken relative to the gradient's largest entry, not element by element
    (``gradcheck.relative_error``): a conv gradient entry can be near zero by chance, and its
    ~1e-10 rounding error then looks like a large relative error although nothing is wrong.
    """
    numerical = numerical_gradient(lambda _: f(), a, dout=dout, h=1e-5)
    scale = max(np.abs(analytic).max(), np.abs(numerical).max(), 1e-12)
    error = np.abs(analytic - numerical).max() / scale
    assert error < 1e-7, f"relative error {error:.2e} (max |analytic - numerical| / max |grad|)"


GRADCHECK_CONV = [CONV_CASES[i] for i in (1, 3, 4, 6, 8)]
GRADCHECK_TRANSPOSE = [TRANSPOSE_CASES[i] for i in (1, 4, 5, 6)]


@pytest.mark.parametrize("backward", [conv2d_backward, conv2d_backward_naive],
                         ids=["fast", "naive"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias", GRADCHECK_CONV)
def test_conv2d_gradcheck(backward, x_shape, w_shape, stride, padding, dilation, with_bias):
    x, w, b = _conv_data(x_shape, w_shape, with_bias)
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation)
    dout = _rng(2).standard_normal(out.shape)
    grads = backward(dout, cache)
    f = lambda: conv2d(x, w, b, stride, padding, dilation)  # noqa: E731
    _check(f, x, grads.dx, dout)
    _check(f, w, grads.dweight, dout)
    if with_bias:
        _check(f, b, grads.dbias, dout)


@pytest.mark.parametrize("backward", [conv_transpose2d_backward, conv_transpose2d_backward_naive],
                         ids=["fast", "naive"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding, dilation, with_bias",
                         GRADCHECK_TRANSPOSE)
def test_conv_transpose2d_gradcheck(backward, x_shape, w_shape, stride, padding, output_padding,
                                    dilation, with_bias):
    x, w, b = _transpose_data(x_shape, w_shape, with_bias)
    args = (stride, padding, output_padding, dilation)
    out, cache = conv_transpose2d_forward(x, w, b, *args)
    dout = _rng(2).standard_normal(out.shape)
    grads = backward(dout, cache)
    f = lambda: conv_transpose2d(x, w, b, *args)  # noqa: E731
    _check(f, x, grads.dx, dout)
    _check(f, w, grads.dweight, dout)
    if with_bias:
        _check(f, b, grads.dbias, dout)


# ------------------------------------------------------------------------------------------
# scipy references and the adjoint relation
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("impl", [conv2d, conv2d_naive], ids=["fast", "naive"])
@pytest.mark.parametrize("padding", [0, 1, (2, 1)], ids=["pad0", "pad1", "pad-2-1"])
def test_conv2d_matches_scipy_correlate2d(impl, padding):
    x = _rng(3).standard_normal((6, 5))
    k = _rng(4).standard_normal((3, 2))
    ph, pw = _pair(padding)
    expected = signal.correlate2d(np.pad(x, ((ph, ph), (pw, pw))), k, mode="valid")
    got = impl(x[None, None], k[None, None], padding=padding)[0, 0]
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("impl", [conv_transpose2d, conv_transpose2d_naive],
                         ids=["fast", "naive"])
def test_conv_transpose2d_stride1_is_scipy_full_convolution(impl):
    x = _rng(3).standard_normal((4, 5))
    k = _rng(4).standard_normal((3, 2))
    expected = signal.convolve2d(x, k, mode="full")
    np.testing.assert_allclose(impl(x[None, None], k[None, None])[0, 0], expected,
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias",
                         [c for c in CONV_CASES if not isinstance(c.values[3], str)])
def test_conv_transpose2d_is_adjoint_of_conv2d(x_shape, w_shape, stride, padding, dilation,
                                               with_bias):
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>, and the latter is conv2d's dx."""
    x, w, _ = _conv_data(x_shape, w_shape, False)
    y_conv, cache = conv2d_forward(x, w, None, stride, padding, dilation)
    y = _rng(5).standard_normal(y_conv.shape)
    # output_padding recovers the rows/columns a stride that does not divide leaves over
    full_h = x_shape[2] + 2 * _pair(padding)[0] - _pair(dilation)[0] * (w_shape[2] - 1) - 1
    full_w = x_shape[3] + 2 * _pair(padding)[1] - _pair(dilation)[1] * (w_shape[3] - 1) - 1
    output_padding = (full_h % _pair(stride)[0], full_w % _pair(stride)[1])
    xt = conv_transpose2d(y, w, None, stride, padding, output_padding, dilation)
    assert xt.shape == x.shape
    np.testing.assert_allclose(np.sum(y_conv * y), np.sum(x * xt), rtol=1e-10)
    np.testing.assert_allclose(conv2d_backward(y, cache).dx, xt, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------------------------------
# tiny arrays worked out by hand
# ------------------------------------------------------------------------------------------

X3 = np.arange(9.0).reshape(1, 1, 3, 3)     # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
K2 = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)


@pytest.mark.parametrize("impl", [conv2d, conv2d_naive], ids=["fast", "naive"])
def test_conv2d_by_hand(impl):
    # out[0, 0] = 0*1 + 1*2 + 3*3 + 4*4 = 27, and so on, window by window
    expected = np.array([[27.0, 37.0], [57.0, 67.0]])
    np.testing.assert_array_equal(impl(X3, K2)[0, 0], expected)
    # bias 10, stride 2: only the top-left window fits
    np.testing.assert_array_equal(impl(X3, K2, np.array([10.0]), stride=2)[0, 0], [[37.0]])


@pytest.mark.parametrize("backward", [conv2d_backward, conv2d_backward_naive],
                         ids=["fast", "naive"])
def test_conv2d_backward_by_hand(backward):
    _, cache = conv2d_forward(X3, K2, np.array([0.0]))
    grads = backward(np.ones((1, 1, 2, 2)), cache)
    # dx: every output pixel sends a copy of the kernel onto its window; copies add up
    np.testing.assert_array_equal(grads.dx[0, 0], [[1, 3, 2], [4, 10, 6], [3, 7, 4]])
    # dweight[a, b] = sum of x over the windows' (a, b) taps = sum(x[a:a+2, b:b+2])
    np.testing.assert_array_equal(grads.dweight[0, 0], [[8, 12], [20, 24]])
    np.testing.assert_array_equal(grads.dbias, [4.0])


@pytest.mark.parametrize("impl", [conv_transpose2d, conv_transpose2d_naive],
                         ids=["fast", "naive"])
def test_conv_transpose2d_by_hand(impl):
    x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    ones = np.ones((1, 1, 2, 2))
    # stride 2, 2x2 kernel of ones: each pixel becomes a 2x2 block (nearest upsampling)
    np.testing.assert_array_equal(impl(x, ones, stride=2)[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    # stride 1: the stamps overlap and add up; padding 1 then crops the border
    full = [[1, 3, 2], [4, 10, 6], [3, 7, 4]]
    np.testing.assert_array_equal(impl(x, ones)[0, 0], full)
    np.testing.assert_array_equal(impl(x, ones, padding=1)[0, 0], [[10]])


# ------------------------------------------------------------------------------------------
# dtype
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("naive", [False, True], ids=["fast", "naive"])
def test_conv2d_keeps_float32(naive):
    x, w, b = _conv_data((2, 2, 6, 5), (3, 2, 3, 2), True, dtype=np.float32)
    out, cache = conv2d_forward(x, w, b, 2, 1, 1)
    dout = np.ones(out.shape, dtype=np.float32)
    if naive:
        out = conv2d_naive(x, w, b, 2, 1, 1)
        grads = conv2d_backward_naive(dout, cache)
    else:
        grads = conv2d_backward(dout, cache)
    assert out.dtype == np.float32
    assert cache.cols.dtype == np.float32
    assert grads.dx.dtype == grads.dweight.dtype == grads.dbias.dtype == np.float32


@pytest.mark.parametrize("naive", [False, True], ids=["fast", "naive"])
def test_conv_transpose2d_keeps_float32(naive):
    x, w, b = _transpose_data((2, 2, 3, 4), (2, 3, 3, 2), True, dtype=np.float32)
    out, cache = conv_transpose2d_forward(x, w, b, 2, 1, 1)
    dout = np.ones(out.shape, dtype=np.float32)
    if naive:
        out = conv_transpose2d_naive(x, w, b, 2, 1, 1)
        grads = conv_transpose2d_backward_naive(dout, cache)
    else:
        grads = conv_transpose2d_backward(dout, cache)
    assert out.dtype == np.float32
    assert grads.dx.dtype == grads.dweight.dtype == grads.dbias.dtype == np.float32


def test_float32_agrees_with_float64():
    x, w, b = _conv_data((2, 3, 8, 7), (4, 3, 3, 3), True)
    out64 = conv2d(x, w, b, padding=1)
    out32 = conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), padding=1)
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)


def test_same_padding_is_asymmetric_like_pytorch():
    # kernel 4: total padding 3 -> 1 on top/left, 2 on bottom/right
    _, cache = conv2d_forward(np.zeros((1, 1, 5, 6)), np.zeros((1, 1, 4, 2)), padding="same")
    assert cache.padding == ((1, 2), (0, 1))   # ((top, bottom), (left, right))
    _, cache = conv2d_forward(np.zeros((1, 1, 5, 6)), np.zeros((1, 1, 3, 3)), padding="same",
                              dilation=2)
    assert cache.padding == ((2, 2), (2, 2))


@pytest.mark.parametrize("module", [conv_module, conv_transpose_module],
                         ids=["conv", "conv_transpose"])
def test_all_lists_every_public_name(module):
    public = {name for name in vars(module) if not name.startswith("_")
              and callable(getattr(module, name))
              and getattr(getattr(module, name), "__module__", None) == module.__name__}
    assert public == set(module.__all__)
    assert set(module.__all__) <= set(F.__all__)


# ------------------------------------------------------------------------------------------
# bad inputs: one test per message
# ------------------------------------------------------------------------------------------

X = np.zeros((8, 1, 28, 28))
W = np.zeros((6, 1, 5, 5))


@pytest.mark.parametrize("impl", [conv2d, conv2d_naive, conv2d_forward], ids=lambda f: f.__name__)
def test_conv2d_rejects_channel_mismatch(impl):
    msg = (r"conv2d\w*: x has 1 channel but weight expects 3 "
           r"\(x.shape=\(8, 1, 28, 28\), weight.shape=\(6, 3, 5, 5\)\)")
    with pytest.raises(ValueError, match=msg):
        impl(X, np.zeros((6, 3, 5, 5)))


@pytest.mark.parametrize("impl", [conv2d, conv2d_naive], ids=["fast", "naive"])
def test_conv2d_rejects_3d_x(impl):
    msg = r"conv2d\w*: x must be 4-D \(N, C, H, W\), got shape \(1, 28, 28\)"
    with pytest.raises(ValueError, match=msg):
        impl(X[0], W)


def test_conv2d_rejects_3d_weight():
    with pytest.raises(ValueError, match=r"conv2d: weight must be 4-D .* got shape \(6, 5, 5\)"):
        conv2d(X, W[:, 0])


def test_conv2d_rejects_list_input():
    with pytest.raises(TypeError, match="conv2d: x must be a numpy ndarray, got list"):
        conv2d(X.tolist(), W)


def test_conv2d_rejects_integer_dtype():
    with pytest.raises(TypeError, match="conv2d: x must have a floating dtype .* got int64"):
        conv2d(X.astype(np.int64), W)


def test_conv2d_rejects_dtype_mismatch():
    with pytest.raises(TypeError, match="conv2d: weight has dtype float32 but x has dtype float64"):
        conv2d(X, W.astype(np.float32))


def test_conv2d_rejects_bias_dtype_mismatch():
    with pytest.raises(TypeError, match="conv2d: bias has dtype float32 but x has dtype float64"):
        conv2d(X, W, np.zeros(6, dtype=np.float32))


@pytest.mark.parametrize("bias_shape", [(5,), (6, 1), (1, 6)], ids=str)
def test_conv2d_rejects_bias_shape(bias_shape):
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(6,\).* got shape"):
        conv2d(X, W, np.zeros(bias_shape))


def test_conv2d_rejects_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"conv2d: the kernel, 5x5 after dilation=\(1, 1\), is "
                                         r"larger than the padded input 4x30"):
        conv2d(np.zeros((1, 1, 4, 30)), np.zeros((1, 1, 5, 5)))


def test_conv2d_rejects_dilated_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"conv2d: the kernel, 9x5 after dilation=\(2, 1\)"):
        conv2d(np.zeros((1, 1, 6, 6)), np.zeros((1, 1, 5, 5)), padding=1, dilation=(2, 1))


@pytest.mark.parametrize("name", ["stride", "dilation"])
@pytest.mark.parametrize("value", [0, -1, (1, 0)], ids=str)
def test_conv2d_rejects_nonpositive_stride_and_dilation(name, value):
    with pytest.raises(ValueError, match=f"conv2d: {name} must be positive, got"):
        conv2d(X, W, **{name: value})


@pytest.mark.parametrize("value", [-1, (0, -2)], ids=str)
def test_conv2d_rejects_negative_padding(value):
    with pytest.raises(ValueError, match=r"conv2d: padding must be >= 0, got"):
        conv2d(X, W, padding=value)


@pytest.mark.parametrize("name", ["stride", "padding", "dilation"])
@pytest.mark.parametrize("value", [1.5, (1, 2.0), (1, 2, 3), True], ids=str)
def test_conv2d_rejects_non_integer_sizes(name, value):
    with pytest.raises(TypeError, match=f"conv2d: {name} must be an int or a pair of ints"):
        conv2d(X, W, **{name: value})


@pytest.mark.parametrize("name", ["stride", "dilation"])
def test_conv2d_rejects_string_sizes(name):
    with pytest.raises(TypeError, match=f"conv2d: {name} must be an int or a pair of ints .*'2'"):
        conv2d(X, W, **{name: "2"})


@pytest.mark.parametrize("value", ["2", "full", "SAME"])
def test_conv2d_rejects_unknown_padding_string(value):
    with pytest.raises(ValueError, match="conv2d: padding must be an int, a pair .*'valid' or "
                                         f"'same', got '{value}'"):
        conv2d(X, W, padding=value)


def test_conv2d_rejects_same_with_stride():
    with pytest.raises(ValueError, match=r"conv2d: padding='same' needs stride 1 .* got "
                                         r"stride=\(2, 2\)"):
        conv2d(X, W, stride=2, padding="same")


@pytest.mark.parametrize("backward", [conv2d_backward, conv2d_backward_naive],
                         ids=["fast", "naive"])
def test_conv2d_backward_rejects_wrong_dout_shape(backward):
    out, cache = conv2d_forward(np.zeros((2, 1, 6, 6)), np.zeros((3, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d_backward\w*: dout must have the shape of the "
                                         r"forward output \(2, 3, 4, 4\), got \(2, 3, 6, 6\)"):
        backward(np.zeros((2, 3, 6, 6)), cache)


def test_conv2d_backward_rejects_dout_dtype():
    out, cache = conv2d_forward(np.zeros((2, 1, 6, 6)), np.zeros((3, 1, 3, 3)))
    with pytest.raises(TypeError, match="conv2d_backward: dout has dtype float32 but the "
                                        "forward ran in float64"):
        conv2d_backward(out.astype(np.float32), cache)


def test_conv_transpose2d_rejects_channel_mismatch():
    msg = (r"conv_transpose2d: x has 2 channels but weight expects 3 "
           r"\(x.shape=\(1, 2, 4, 4\), weight.shape=\(3, 5, 3, 3\)\)")
    with pytest.raises(ValueError, match=msg):
        conv_transpose2d(np.zeros((1, 2, 4, 4)), np.zeros((3, 5, 3, 3)))


def test_conv_transpose2d_rejects_bias_shape():
    # the bias follows the weight's second axis (C_out) for a transposed convolution
    with pytest.raises(ValueError, match=r"conv_transpose2d: bias must have shape \(5,\)"):
        conv_transpose2d(np.zeros((1, 3, 4, 4)), np.zeros((3, 5, 3, 3)), np.zeros(3))


@pytest.mark.parametrize("impl", [conv_transpose2d, conv_transpose2d_naive],
                         ids=["fast", "naive"])
def test_conv_transpose2d_rejects_large_output_padding(impl):
    with pytest.raises(ValueError, match=r"conv_transpose2d\w*: output_padding must be smaller "
                                         r"than either stride or dilation"):
        impl(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), stride=2, output_padding=(1, 2))


def test_conv_transpose2d_rejects_string_padding():
    with pytest.raises(TypeError, match="conv_transpose2d: padding must be an int or a pair"):
        conv_transpose2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), padding="same")


def test_conv_transpose2d_rejects_empty_output():
    with pytest.raises(ValueError, match=r"conv_transpose2d: the output would be -1x-1"):
        conv_transpose2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2)), padding=2)


@pytest.mark.parametrize("name, value, error", [
    ("stride", 0, ValueError), ("dilation", (1, 0), ValueError), ("padding", -1, ValueError),
    ("output_padding", -1, ValueError), ("stride", 1.5, TypeError),
    ("output_padding", "1", TypeError),
], ids=lambda v: str(v) if not isinstance(v, type) else v.__name__)
def test_conv_transpose2d_rejects_bad_sizes(name, value, error):
    with pytest.raises(error, match=f"conv_transpose2d: {name} must be"):
        conv_transpose2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), **{name: value})


def test_conv_transpose2d_rejects_dtype_mismatch():
    with pytest.raises(TypeError, match="conv_transpose2d: weight has dtype float32"):
        conv_transpose2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3), dtype=np.float32))


@pytest.mark.parametrize("backward", [conv_transpose2d_backward, conv_transpose2d_backward_naive],
                         ids=["fast", "naive"])
def test_conv_transpose2d_backward_rejects_wrong_dout_shape(backward):
    out, cache = conv_transpose2d_forward(np.zeros((1, 1, 3, 3)), np.zeros((1, 2, 3, 3)), stride=2)
    msg = (r"conv_transpose2d_backward\w*: dout must have the shape of the forward output "
           r"\(1, 2, 7, 7\), got \(1, 2, 3, 3\)")
    with pytest.raises(ValueError, match=msg):
        backward(np.zeros((1, 2, 3, 3)), cache)


@pytest.mark.parametrize("backward", [conv2d_backward, conv2d_backward_naive,
                                      conv_transpose2d_backward, conv_transpose2d_backward_naive],
                         ids=lambda f: f.__name__)
def test_backward_rejects_foreign_cache(backward):
    with pytest.raises(TypeError, match=rf"{backward.__name__}: cache must be the \w+Cache "
                                        r"returned by \w+_forward, got tuple"):
        backward(np.zeros((1, 1, 2, 2)), (np.zeros((1, 1, 3, 3)),))


def test_conv2d_backward_does_not_modify_the_cache():
    x, w, b = _conv_data((2, 2, 5, 4), (3, 2, 2, 2), True)
    out, cache = conv2d_forward(x, w, b, padding=1)
    saved = [a.copy() for a in (cache.x, cache.weight, cache.cols)]
    dout = _rng(1).standard_normal(out.shape)
    first = conv2d_backward(dout, cache)
    for a, b_ in zip((cache.x, cache.weight, cache.cols), saved):
        np.testing.assert_array_equal(a, b_)
    _assert_grads_close(conv2d_backward(dout, cache), first)


# ------------------------------------------------------------------------------------------
# issue 13: skipping dx (PyTorch's output mask), a cache without cols, unsupported groups
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backward", [conv2d_backward, conv2d_backward_naive],
                         ids=["fast", "naive"])
@pytest.mark.parametrize("padding", [0, "same", (2, 1)])
def test_conv2d_backward_need_dx_false_skips_only_dx(backward, padding):
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    out, cache = conv2d_forward(x, w, b, padding=padding)
    dout = rng.standard_normal(out.shape)
    full, partial = backward(dout, cache), backward(dout, cache, need_dx=False)
    assert partial.dx is None and full.dx is not None
    np.testing.assert_allclose(partial.dweight, full.dweight, rtol=1e-12)
    np.testing.assert_allclose(partial.dbias, full.dbias, rtol=1e-12)


def test_conv2d_forward_keep_cols_false_holds_no_matrix_and_backward_rebuilds_it():
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((3, 2, 3, 3)), np.ones(3)
    out_keep, keep = conv2d_forward(x, w, b, stride=2, padding=1)
    out_free, free = conv2d_forward(x, w, b, stride=2, padding=1, keep_cols=False)
    assert keep.cols is not None and free.cols is None
    np.testing.assert_array_equal(out_keep, out_free)
    dout = rng.standard_normal(out_keep.shape)
    g_keep, g_free = conv2d_backward(dout, keep), conv2d_backward(dout, free)
    for got, expected in zip(g_free, g_keep):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("kwargs, name", [(dict(need_dx=1), "need_dx"),
                                          (dict(need_dx="no"), "need_dx")])
def test_conv2d_backward_need_dx_must_be_bool(kwargs, name):
    out, cache = conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(TypeError, match=rf"^conv2d_backward: {name} must be True or False, got "):
        conv2d_backward(np.zeros_like(out), cache, **kwargs)


def test_conv2d_forward_keep_cols_must_be_bool():
    with pytest.raises(TypeError, match=r"^conv2d: keep_cols must be True or False, got 0 \(int\)"):
        conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), keep_cols=0)


@pytest.mark.parametrize("op", [conv2d, conv2d_naive, conv_transpose2d, conv_transpose2d_naive],
                         ids=["conv2d", "conv2d_naive", "conv_transpose2d", "conv_transpose2d_naive"])
def test_groups_is_named_as_unsupported(op):
    x, w = np.zeros((1, 2, 5, 5)), np.zeros((2, 2, 3, 3))
    name = op.__name__.replace("_naive", "")
    with pytest.raises(TypeError, match=rf"^{name}\w*: argument 'groups' is not supported "
                                        rf"\(grouped and depthwise convolutions are not "
                                        rf"implemented; .*\); got groups=2"):
        op(x, w, groups=2)
    op(x, w, groups=1)          # PyTorch's default is what we compute
    with pytest.raises(TypeError, match=rf"^{name}\w*\(\) got an unexpected keyword argument 'padding_mode'"):
        op(x, w, padding_mode="zeros")


def test_conv2d_backward_refuses_a_cache_of_the_other_op():
    _, cache = conv_transpose2d_forward(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(TypeError, match=r"^conv2d_backward: cache must be the Conv2dCache "
                                        r"returned by conv2d_forward, got ConvTranspose2dCache"):
        conv2d_backward(np.zeros((1, 1, 5, 5)), cache)


# ------------------------------------------------------------------------------------------
# issue 15: the chunked fast path (batch chunks, reused workspaces) equals the naive loops
# ------------------------------------------------------------------------------------------

@pytest.fixture
def tiny_chunks(monkeypatch):
    """A chunk budget of a few hundred bytes: every shape below runs in several chunks."""
    from cnncourse.functional import _workspace
    monkeypatch.setattr(_workspace, "CHUNK_BYTES", 600)
    return _workspace


@pytest.mark.parametrize("stride, padding, dilation", [
    (1, 0, 1), (1, 2, 1), (2, 1, 1), ((2, 1), (0, 2), 1), (1, "same", 2), (3, 1, (2, 1)),
], ids=["plain", "pad2", "stride2", "asym-stride-pad", "same-dil2", "stride3-dil"])
@pytest.mark.parametrize("keep_cols", [True, False], ids=["keep", "rebuild"])
@pytest.mark.parametrize("layout", ["grid", "strided"])
def test_conv2d_chunked_equals_naive(tiny_chunks, monkeypatch, stride, padding, dilation,
                                     keep_cols, layout):
    from cnncourse.functional import conv as conv_module
    # force one of the two im2col layouts whatever the waste of the grid
    monkeypatch.setattr(conv_module, "GRID_MAX_WASTE", np.inf if layout == "grid" else 0.0)
    x, w, b = _conv_data((5, 3, 9, 8), (4, 3, 3, 2), True)
    per_image = 3 * 3 * 2 * 8 * 8 * 8                          # >= 1 image of columns per chunk
    assert tiny_chunks.chunk_size(5, per_image) < 5
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation, keep_cols=keep_cols)
    assert cache.cols is None                                  # too big for one chunk
    np.testing.assert_allclose(out, conv2d_naive(x, w, b, stride, padding, dilation),
                               rtol=RTOL, atol=ATOL)
    dout = _rng(3).standard_normal(out.shape)
    _assert_grads_close(conv2d_backward(dout, cache), conv2d_backward_naive(dout, cache))
    partial = conv2d_backward(dout, cache, need_dx=False)
    assert partial.dx is None
    np.testing.assert_allclose(partial.dweight, conv2d_backward_naive(dout, cache).dweight,
                               rtol=RTOL, atol=ATOL)


def test_conv2d_one_chunk_keeps_cols_in_the_layout_of_window_im2col():
    from cnncourse.functional.window import im2col, pad2d
    x, w, b = _conv_data((3, 2, 6, 5), (4, 2, 3, 3), True)
    _, cache = conv2d_forward(x, w, b, 2, 1)
    np.testing.assert_array_equal(cache.cols, im2col(pad2d(x, ((1, 1), (1, 1))), (3, 3), (2, 2)))


@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 1, 1), ((2, 3), 2, (1, 2))])
@pytest.mark.parametrize("layout", ["grid", "strided"])
def test_conv2d_one_chunk_equals_naive_in_both_layouts(monkeypatch, stride, padding, dilation,
                                                       layout):
    from cnncourse.functional import conv as conv_module
    from cnncourse.functional.window import im2col, im2col_grid, pad2d
    monkeypatch.setattr(conv_module, "GRID_MAX_WASTE", np.inf if layout == "grid" else 0.0)
    x, w, b = _conv_data((3, 2, 9, 7), (4, 2, 3, 2), True)
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation)
    np.testing.assert_allclose(out, conv2d_naive(x, w, b, stride, padding, dilation),
                               rtol=RTOL, atol=ATOL)
    xp = pad2d(x, cache.padding)
    kept = (im2col_grid if layout == "grid" else im2col)(xp, (3, 2), cache.stride, cache.dilation)
    np.testing.assert_array_equal(cache.cols, kept)        # the layout the backward reuses
    dout = _rng(4).standard_normal(out.shape)
    _assert_grads_close(conv2d_backward(dout, cache), conv2d_backward_naive(dout, cache))
    _assert_grads_close(conv2d_backward(dout, cache._replace(cols=None)),
                        conv2d_backward_naive(dout, cache))


def test_conv2d_picks_the_grid_unless_it_wastes_too_much():
    from cnncourse.functional import conv as conv_module
    big = conv_module._grid((32, 64, 32, 32), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    assert big is not None and big.waste == 34 * 34 / (32 * 32)
    assert big.phases == 1 and big.taps[4] == (0, 34 + 1)     # tap (1, 1): one row, one column
    stride2 = conv_module._grid((32, 32, 32, 32), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1))
    assert stride2.phases == 4 and stride2.hw == (17, 17)
    # LeNet's 28x28 -> 28x28 under 5x5, padding 2: 1024 positions for 784 pixels, too many
    assert conv_module._grid((64, 1, 28, 28), (5, 5), (1, 1), ((2, 2), (2, 2)), (1, 1)) is None
    # 14x14 -> 10x10 under a 5x5 kernel: the grid would compute 196 positions for 100 pixels
    assert conv_module._grid((64, 6, 14, 14), (5, 5), (1, 1), ((0, 0), (0, 0)), (1, 1)) is None


def test_conv2d_results_never_alias_the_reused_workspaces(tiny_chunks):
    x, w, b = _conv_data((4, 2, 7, 7), (3, 2, 3, 3), True)
    out1, cache1 = conv2d_forward(x, w, b, padding=1)
    g1 = conv2d_backward(np.ones_like(out1), cache1)
    kept = [a.copy() for a in (out1, *g1)]
    x2, w2, b2 = _conv_data((4, 2, 7, 7), (3, 2, 3, 3), True, seed=9)
    out2, cache2 = conv2d_forward(x2, w2, b2, padding=1)     # same shapes: same workspaces
    conv2d_backward(out2, cache2)
    for a, saved in zip((out1, *g1), kept):
        np.testing.assert_array_equal(a, saved)


def test_workspaces_stay_within_the_chunk_budget():
    from cnncourse.functional import _workspace
    x, w, b = _conv_data((64, 4, 20, 20), (8, 4, 3, 3), True, dtype=np.float32)
    out, cache = conv2d_forward(x, w, b, padding=1)
    conv2d_backward(out, cache)
    # six named buffers (cols, prod, xg or xp, dmat, dcols, dxp), none above the budget
    assert _workspace.pooled_bytes() <= 6 * _workspace.CHUNK_BYTES
    big = _workspace.workspace("test.big", (_workspace.CHUNK_BYTES + 8,), np.uint8)
    assert big.nbytes > _workspace.CHUNK_BYTES
    assert all(buf.nbytes <= _workspace.CHUNK_BYTES for buf in _workspace._local.pool.values())
