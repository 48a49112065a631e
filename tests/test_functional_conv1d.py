"""Tests for cnncourse.functional.conv1d and nn.Conv1d, in the style of test_functional_conv.py.

References: naive == fast (float64, tight tolerance), centred-difference gradient checks
(cnncourse.gradcheck), scipy.signal.correlate, conv2d on the height-1 view, a hand-worked
array, and PyTorch (optional, behind importorskip).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from cnncourse import functional as F
from cnncourse import nn
from cnncourse.functional import (
    Conv1dCache, ConvGrads, conv1d, conv1d_backward, conv1d_backward_naive, conv1d_forward,
    conv1d_naive, conv2d,
)
import importlib

conv1d_module = importlib.import_module("cnncourse.functional.conv1d")
from cnncourse.gradcheck import numerical_gradient

RTOL, ATOL = 1e-10, 1e-12

# (x shape (N, C_in, L), weight shape (C_out, C_in, k), stride, padding, dilation, bias?)
CASES = [
    pytest.param((1, 1, 7), (1, 1, 3), 1, 0, 1, False, id="L7_k3_plain"),
    pytest.param((2, 3, 9), (4, 3, 2), 1, 0, 1, True, id="batch2_c3to4_even-k"),
    pytest.param((2, 2, 8), (3, 2, 3), 1, 2, 1, True, id="pad2"),
    pytest.param((2, 2, 11), (3, 2, 3), 3, 1, 1, True, id="stride3-not-dividing"),
    pytest.param((1, 2, 13), (2, 2, 3), 1, 0, 3, True, id="dilation3"),
    pytest.param((2, 1, 12), (2, 1, 4), 2, (3,), (2,), False, id="stride2_pad3_dil2_tuples"),
    pytest.param((2, 2, 6), (3, 2, 3), 1, "same", 1, True, id="same-odd-kernel"),
    pytest.param((2, 2, 6), (3, 2, 4), 1, "same", 1, True, id="same-even-kernel"),
    pytest.param((1, 2, 7), (2, 2, 2), 1, "same", 3, False, id="same-even-dilated"),
    pytest.param((2, 2, 5), (3, 2, 3), 1, "valid", 1, True, id="valid"),
    pytest.param((1, 1, 4), (1, 1, 4), 1, 0, 1, True, id="kernel-equals-input"),
]


def _data(x_shape, w_shape, with_bias, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype) if with_bias else None
    return x, w, b


def _expected_length(length, k, stride, padding, dilation):
    # the book's formula, written out by the test (not imported) as an independent check
    if padding == "valid":
        padding = 0
    if padding == "same":
        return length
    p = padding[0] if isinstance(padding, tuple) else padding
    s = stride[0] if isinstance(stride, tuple) else stride
    d = dilation[0] if isinstance(dilation, tuple) else dilation
    return (length + 2 * p - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias", CASES)
def test_conv1d_naive_equals_fast(x_shape, w_shape, stride, padding, dilation, with_bias):
    x, w, b = _data(x_shape, w_shape, with_bias)
    fast = conv1d(x, w, b, stride, padding, dilation)
    naive = conv1d_naive(x, w, b, stride, padding, dilation)
    length = _expected_length(x_shape[2], w_shape[2], stride, padding, dilation)
    assert fast.shape == naive.shape == (x_shape[0], w_shape[0], length)
    np.testing.assert_allclose(fast, naive, rtol=RTOL, atol=ATOL)
    out, cache = conv1d_forward(x, w, b, stride, padding, dilation)
    np.testing.assert_array_equal(out, fast)
    assert isinstance(cache, Conv1dCache)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias", CASES)
def test_conv1d_equals_conv2d_on_height_one_view(x_shape, w_shape, stride, padding, dilation,
                                                 with_bias):
    x, w, b = _data(x_shape, w_shape, with_bias)
    s = stride[0] if isinstance(stride, tuple) else stride
    d = dilation[0] if isinstance(dilation, tuple) else dilation
    p = padding if isinstance(padding, str) else (0, padding[0] if isinstance(padding, tuple)
                                                  else padding)
    ref = conv2d(x[:, :, None, :], w[:, :, None, :], b, (1, s), p, (1, d))[:, :, 0, :]
    np.testing.assert_allclose(conv1d(x, w, b, stride, padding, dilation), ref,
                               rtol=RTOL, atol=ATOL)


def _check(f, a, analytic, dout):
    numerical = numerical_gradient(lambda _: f(), a, dout=dout, h=1e-5)
    scale = max(np.abs(analytic).max(), np.abs(numerical).max(), 1e-12)
    assert np.abs(analytic - numerical).max() / scale < 1e-7


@pytest.mark.parametrize("backward", [conv1d_backward, conv1d_backward_naive],
                         ids=["fast", "naive"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias",
                         [CASES[i] for i in (1, 2, 3, 5, 7)])
def test_conv1d_gradcheck(backward, x_shape, w_shape, stride, padding, dilation, with_bias):
    x, w, b = _data(x_shape, w_shape, with_bias)
    out, cache = conv1d_forward(x, w, b, stride, padding, dilation)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    grads = backward(dout, cache)
    assert isinstance(grads, ConvGrads)
    f = lambda: conv1d(x, w, b, stride, padding, dilation)  # noqa: E731
    _check(f, x, grads.dx, dout)
    _check(f, w, grads.dweight, dout)
    if with_bias:
        _check(f, b, grads.dbias, dout)
    else:
        assert grads.dbias is None


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias", CASES)
def test_conv1d_backward_naive_equals_fast(x_shape, w_shape, stride, padding, dilation,
                                           with_bias):
    x, w, b = _data(x_shape, w_shape, with_bias)
    out, cache = conv1d_forward(x, w, b, stride, padding, dilation)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    fast, naive = conv1d_backward(dout, cache), conv1d_backward_naive(dout, cache)
    for a, c in zip(fast, naive):
        if a is None:
            assert c is None
        else:
            np.testing.assert_allclose(a, c, rtol=RTOL, atol=ATOL)
    # without the saved im2col matrix, the fast backward rebuilds it and agrees
    rebuilt = conv1d_backward(dout, cache._replace(cols=None))
    np.testing.assert_allclose(rebuilt.dweight, fast.dweight, rtol=RTOL, atol=ATOL)
    assert conv1d_backward(dout, cache, need_dx=False).dx is None
    assert conv1d_backward_naive(dout, cache, need_dx=False).dx is None


@pytest.mark.parametrize("impl", [conv1d, conv1d_naive], ids=["fast", "naive"])
@pytest.mark.parametrize("mode", ["valid", "full"])
def test_conv1d_matches_scipy_correlate(impl, mode):
    rng = np.random.default_rng(4)
    x, k = rng.standard_normal(17), rng.standard_normal(5)
    padding = 0 if mode == "valid" else 4
    ours = impl(x[None, None], k[None, None], padding=padding)[0, 0]
    np.testing.assert_allclose(ours, signal.correlate(x, k, mode=mode), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("impl", [conv1d, conv1d_naive], ids=["fast", "naive"])
def test_conv1d_by_hand(impl):
    x = np.array([[[1.0, 2.0, 4.0, 7.0, 11.0]]])
    w = np.array([[[-1.0, 0.0, 1.0]]])           # central difference
    np.testing.assert_array_equal(impl(x, w), [[[3.0, 5.0, 7.0]]])
    np.testing.assert_array_equal(impl(x, w, stride=2, padding=1), [[[2.0, 5.0, -7.0]]])
    np.testing.assert_array_equal(impl(x, w, dilation=2), [[[10.0]]])


def test_conv1d_backward_by_hand():
    x = np.array([[[1.0, 2.0, 3.0]]])
    w = np.array([[[1.0, 10.0]]])
    out, cache = conv1d_forward(x, w, np.zeros(1))
    np.testing.assert_array_equal(out, [[[21.0, 32.0]]])
    g = conv1d_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(g.dx, [[[1.0, 11.0, 10.0]]])
    np.testing.assert_array_equal(g.dweight, [[[3.0, 5.0]]])
    np.testing.assert_array_equal(g.dbias, [2.0])


@pytest.mark.parametrize("impl", [conv1d, conv1d_naive], ids=["fast", "naive"])
def test_conv1d_keeps_float32(impl):
    x, w, b = _data((2, 2, 9), (3, 2, 3), True, dtype=np.float32)
    out = impl(x, w, b, padding=1)
    assert out.dtype == np.float32
    ref = conv1d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), padding=1)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_same_padding_is_asymmetric_like_pytorch():
    x = np.zeros((1, 1, 5))
    x[0, 0, 0] = 1.0
    w = np.array([[[1.0, 2.0, 3.0, 4.0]]])     # total padding 3: 1 on the left, 2 on the right
    _, cache = conv1d_forward(x, w, padding="same")
    assert cache.padding == (1, 2)
    np.testing.assert_array_equal(conv1d(x, w, padding="same")[0, 0], [2.0, 1.0, 0.0, 0.0, 0.0])


def test_all_lists_every_public_name():
    public = {n for n in vars(conv1d_module) if n.startswith(("conv1d", "Conv1d"))}
    assert public == set(conv1d_module.__all__)
    assert set(conv1d_module.__all__) <= set(F.__all__)


# ------------------------------------------------------------------------------------------
# bad inputs: every message names the function and the argument
# ------------------------------------------------------------------------------------------

X, W = np.zeros((1, 2, 8)), np.zeros((3, 2, 3))


@pytest.mark.parametrize("impl, fn", [(conv1d, "conv1d"), (conv1d_naive, "conv1d_naive")])
def test_conv1d_rejects_channel_mismatch(impl, fn):
    with pytest.raises(ValueError, match=rf"{fn}: x has 1 channel but weight expects 2"):
        impl(np.zeros((1, 1, 8)), W)


@pytest.mark.parametrize("x, match", [
    (np.zeros((2, 8)), r"conv1d: x must be 3-D \(N, C_in, L\), got shape \(2, 8\)"),
    (np.zeros((1, 2, 8, 8)), r"conv1d: x must be 3-D"),
])
def test_conv1d_rejects_wrong_ndim_x(x, match):
    with pytest.raises(ValueError, match=match):
        conv1d(x, W)


def test_conv1d_rejects_4d_weight():
    with pytest.raises(ValueError, match=r"conv1d: weight must be 3-D \(C_out, C_in, k\)"):
        conv1d(X, np.zeros((3, 2, 3, 3)))


def test_conv1d_rejects_types():
    with pytest.raises(TypeError, match="conv1d: x must be a numpy ndarray, got list"):
        conv1d([[[1.0, 2.0, 3.0]]], W[:1, :1])
    with pytest.raises(TypeError, match="conv1d: x must have a floating dtype"):
        conv1d(np.zeros((1, 2, 8), dtype=int), W)
    with pytest.raises(TypeError, match="conv1d: weight has dtype float32 but x has dtype"):
        conv1d(X, W.astype(np.float32))


def test_conv1d_rejects_bias_shape():
    with pytest.raises(ValueError, match=r"conv1d: bias must have shape \(3,\)"):
        conv1d(X, W, np.zeros(2))


def test_conv1d_rejects_kernel_longer_than_input():
    with pytest.raises(ValueError, match="conv1d: the kernel, 9 long after dilation=1, is longer"):
        conv1d(X, np.zeros((1, 2, 9)))
    with pytest.raises(ValueError, match="conv1d: the kernel, 9 long after dilation=4"):
        conv1d(X, W, dilation=4)


@pytest.mark.parametrize("name", ["stride", "dilation"])
@pytest.mark.parametrize("value", [0, -1])
def test_conv1d_rejects_nonpositive_sizes(name, value):
    with pytest.raises(ValueError, match=f"conv1d: {name} must be positive, got {value}"):
        conv1d(X, W, **{name: value})


@pytest.mark.parametrize("name, value", [("stride", 1.0), ("padding", 1.5), ("dilation", True),
                                         ("stride", (1, 1)), ("padding", "1")])
def test_conv1d_rejects_non_integer_sizes(name, value):
    err = ValueError if value == "1" else TypeError
    with pytest.raises(err, match=f"conv1d: {name}|conv1d: padding"):
        conv1d(X, W, **{name: value})


def test_conv1d_rejects_negative_padding_and_same_with_stride():
    with pytest.raises(ValueError, match="conv1d: padding must be >= 0, got -1"):
        conv1d(X, W, padding=-1)
    with pytest.raises(ValueError, match="conv1d: padding='same' needs stride 1"):
        conv1d(X, W, stride=2, padding="same")


def test_conv1d_rejects_groups():
    with pytest.raises(TypeError, match="conv1d: argument 'groups' is not supported"):
        conv1d(X, W, groups=2)
    conv1d(X, W, groups=1)


@pytest.mark.parametrize("backward, fn", [(conv1d_backward, "conv1d_backward"),
                                          (conv1d_backward_naive, "conv1d_backward_naive")])
def test_conv1d_backward_rejects_bad_arguments(backward, fn):
    out, cache = conv1d_forward(X, W)
    with pytest.raises(ValueError, match=rf"{fn}: dout must have the shape of the forward"):
        backward(np.zeros((1, 3, 5)), cache)
    with pytest.raises(TypeError, match=rf"{fn}: dout has dtype float32"):
        backward(out.astype(np.float32), cache)
    with pytest.raises(TypeError, match=rf"{fn}: cache must be the Conv1dCache returned by "
                                        r"conv1d_forward"):
        backward(out, tuple(cache))


# ------------------------------------------------------------------------------------------
# nn.Conv1d
# ------------------------------------------------------------------------------------------

def test_nn_conv1d_forward_backward_matches_functional():
    layer = nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, rng=0, dtype=np.float64)
    assert layer.weight.shape == (3, 2, 3) and layer.bias.shape == (3,)
    bound = 1 / np.sqrt(2 * 3)                       # PyTorch's default init, fan_in = C_in * k
    assert np.abs(layer.weight.data).max() <= bound
    x = np.random.default_rng(1).standard_normal((2, 2, 10))
    out = layer(x)
    np.testing.assert_array_equal(out, conv1d(x, layer.weight.data, layer.bias.data, 2, 1, 2))
    dout = np.random.default_rng(2).standard_normal(out.shape)
    layer.zero_grad()
    dx = layer.backward(dout)
    g = conv1d_backward(dout, conv1d_forward(x, layer.weight.data, layer.bias.data, 2, 1, 2)[1])
    np.testing.assert_allclose(dx, g.dx)
    np.testing.assert_allclose(layer.weight.grad, g.dweight)
    np.testing.assert_allclose(layer.bias.grad, g.dbias)
    assert "Conv1d(2, 3, kernel_size=3, stride=2, padding=1, dilation=2)" in repr(layer)


def test_nn_conv1d_in_a_sequential_trains_its_weights():
    model = nn.Sequential(nn.Conv1d(1, 4, 5, padding="same", rng=0, dtype=np.float64), nn.ReLU(),
                          nn.Conv1d(4, 1, 1, bias=False, rng=1, dtype=np.float64))
    x = np.random.default_rng(3).standard_normal((3, 1, 16))
    out = model(x)
    assert out.shape == (3, 1, 16)
    model.zero_grad()
    model.backward(np.ones_like(out))
    assert all(np.abs(p.grad).sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("kwargs, err, match", [
    ({"in_channels": 0}, ValueError, "Conv1d: in_channels must be a positive int"),
    ({"kernel_size": (3, 3)}, TypeError, "Conv1d: kernel_size must be an int"),
    ({"stride": 0}, ValueError, "Conv1d: stride must be positive"),
    ({"padding": "full"}, ValueError, "Conv1d: padding must be an int"),
    ({"padding": "same", "stride": 2}, ValueError, "Conv1d: padding='same' needs stride 1"),
    ({"padding_mode": "reflect"}, TypeError, "Conv1d: argument 'padding_mode' is not supported"),
    ({"bias": 1}, TypeError, "Conv1d: bias"),
])
def test_nn_conv1d_rejects_bad_arguments(kwargs, err, match):
    args = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, **kwargs}
    with pytest.raises(err, match=match):
        nn.Conv1d(**args)


# ------------------------------------------------------------------------------------------
# PyTorch
# ------------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias", CASES)
def test_conv1d_matches_torch(x_shape, w_shape, stride, padding, dilation, with_bias):
    torch = pytest.importorskip("torch")
    x, w, b = _data(x_shape, w_shape, with_bias)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    tout = torch.nn.functional.conv1d(tx, tw, tb, stride, padding, dilation)
    out, cache = conv1d_forward(x, w, b, stride, padding, dilation)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    tout.backward(torch.tensor(dout))
    g = conv1d_backward(dout, cache)
    np.testing.assert_allclose(g.dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.dweight, tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    if with_bias:
        np.testing.assert_allclose(g.dbias, tb.grad.numpy(), rtol=1e-10, atol=1e-12)
