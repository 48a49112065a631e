"""Optional cross-check of cnncourse.functional.conv against PyTorch (skipped without torch).

Forward, dx, dweight and dbias of conv2d and conv_transpose2d, fast and naive, in float64, and
the fast versions once more in float32.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from cnncourse import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# (x shape, weight shape (C_out, C_in, kH, kW), stride, padding, dilation, bias?)
CONV_CASES = [
    pytest.param((2, 3, 7, 5), (4, 3, 3, 2), 1, 0, 1, True, id="7x5-in_3x2-k"),
    pytest.param((2, 2, 6, 7), (3, 2, 3, 3), 1, 1, 1, False, id="pad1_nobias"),
    pytest.param((2, 2, 6, 7), (3, 2, 2, 3), 1, (2, 1), 1, True, id="pad-pair-2-1"),
    pytest.param((2, 2, 8, 9), (3, 2, 3, 2), (2, 3), 1, 1, True, id="stride-2-3"),
    pytest.param((1, 2, 9, 8), (2, 2, 3, 3), 1, 0, 2, True, id="dilation2"),
    pytest.param((2, 1, 9, 10), (2, 1, 2, 3), (3, 2), (1, 2), (2, 1), True,
                 id="stride-3-2_pad-1-2_dil-2-1"),
    pytest.param((2, 2, 5, 6), (3, 2, 3, 3), 1, "same", 1, True, id="same-odd"),
    pytest.param((2, 2, 5, 6), (3, 2, 2, 4), 1, "same", 1, True, id="same-even"),
    pytest.param((1, 2, 6, 5), (2, 2, 2, 3), 1, "same", (2, 1), True, id="same-even-dilated"),
    pytest.param((2, 2, 5, 6), (3, 2, 3, 2), 1, "valid", 1, True, id="valid"),
]

# (x shape, weight shape (C_in, C_out, kH, kW), stride, padding, output_padding, dilation, bias?)
TRANSPOSE_CASES = [
    pytest.param((2, 3, 3, 4), (3, 2, 3, 2), 1, 0, 0, 1, True, id="plain"),
    pytest.param((2, 2, 3, 4), (2, 3, 3, 3), 2, 1, 0, 1, False, id="stride2_pad1_nobias"),
    pytest.param((2, 2, 3, 4), (2, 3, 3, 3), 2, 1, 1, 1, True, id="stride2_pad1_outpad1"),
    pytest.param((1, 2, 4, 3), (2, 2, 3, 2), (2, 3), (1, 0), (1, 2), 1, True,
                 id="stride-2-3_pad-1-0_outpad-1-2"),
    pytest.param((2, 2, 4, 3), (2, 2, 3, 3), 1, 1, 1, 2, True, id="dilation2_outpad1"),
    pytest.param((1, 2, 3, 3), (2, 2, 3, 2), 2, 0, (2, 1), 3, True, id="outpad-below-dilation"),
]

IMPLS = ["fast", "naive"]


def _torch_grads(fn, x, w, b, dout, **kwargs):
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    out = fn(tx, tw, tb, **kwargs)
    out.backward(torch.tensor(dout))
    return (out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(),
            None if b is None else tb.grad.numpy())


def _compare(ours, reference, rtol, atol):
    for got, expected, name in zip(ours, reference, ["out", "dx", "dweight", "dbias"]):
        if expected is None:
            assert got is None, name
        else:
            assert got.dtype == expected.dtype, name
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, with_bias", CONV_CASES)
def test_conv2d_matches_torch(impl, x_shape, w_shape, stride, padding, dilation, with_bias):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0]) if with_bias else None
    args = dict(stride=stride, padding=padding, dilation=dilation)
    out, cache = F.conv2d_forward(x, w, b, **args)
    dout = rng.standard_normal(out.shape)
    if impl == "naive":
        out, grads = F.conv2d_naive(x, w, b, **args), F.conv2d_backward_naive(dout, cache)
    else:
        grads = F.conv2d_backward(dout, cache)
    with warnings.catch_warnings():  # torch notes that even 'same' kernels need a padded copy
        warnings.simplefilter("ignore", UserWarning)
        reference = _torch_grads(TF.conv2d, x, w, b, dout, **args)
    _compare((out,) + tuple(grads), reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding, dilation, with_bias",
                         TRANSPOSE_CASES)
def test_conv_transpose2d_matches_torch(impl, x_shape, w_shape, stride, padding, output_padding,
                                        dilation, with_bias):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[1]) if with_bias else None
    args = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    out, cache = F.conv_transpose2d_forward(x, w, b, **args)
    dout = rng.standard_normal(out.shape)
    if impl == "naive":
        out = F.conv_transpose2d_naive(x, w, b, **args)
        grads = F.conv_transpose2d_backward_naive(dout, cache)
    else:
        grads = F.conv_transpose2d_backward(dout, cache)
    reference = _torch_grads(TF.conv_transpose2d, x, w, b, dout, **args)
    _compare((out,) + tuple(grads), reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d"])
def test_float32_matches_torch(op):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8, 12, 10), dtype=np.float32)
    if op == "conv2d":
        w = rng.standard_normal((6, 8, 3, 3), dtype=np.float32)
        args = dict(stride=2, padding=1)
        out, cache = F.conv2d_forward(x, w, np.ones(6, np.float32), **args)
        grads = F.conv2d_backward(np.ones_like(out), cache)
        reference = _torch_grads(TF.conv2d, x, w, np.ones(6, np.float32), np.ones_like(out),
                                 **args)
    else:
        w = rng.standard_normal((8, 6, 3, 3), dtype=np.float32)
        args = dict(stride=2, padding=1, output_padding=1)
        out, cache = F.conv_transpose2d_forward(x, w, np.ones(6, np.float32), **args)
        grads = F.conv_transpose2d_backward(np.ones_like(out), cache)
        reference = _torch_grads(TF.conv_transpose2d, x, w, np.ones(6, np.float32),
                                 np.ones_like(out), **args)
    _compare((out,) + tuple(grads), reference, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("layout", ["strided", "grid"])
@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, 1e-10, 1e-12), (np.float32, 1e-4, 1e-3)],
                         ids=["float64", "float32"])
@pytest.mark.parametrize("x_shape, stride, padding, dilation", [
    ((3, 16, 9, 8), 1, 1, 1), ((2, 16, 7, 10), 1, (0, 2), 1), ((2, 16, 9, 8), 2, 1, 1),
    ((2, 5, 11, 9), (2, 3), (1, 2), (2, 1)),
], ids=["3x3-pad1", "3x3-pad-0-2", "3x3-stride2", "stride-2-3_dil-2-1"])
def test_both_fast_layouts_match_torch(monkeypatch, layout, dtype, rtol, atol, x_shape, stride,
                                       padding, dilation):
    """The fast conv2d's two im2col layouts (strided copy of every window; the grid of
    contiguous per-tap slices), each forced, against PyTorch."""
    from cnncourse.functional import conv as conv_module
    monkeypatch.setattr(conv_module, "GRID_MAX_WASTE", np.inf if layout == "grid" else 0.0)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((6, x_shape[1], 3, 3)).astype(dtype)
    b = rng.standard_normal(6).astype(dtype)
    out, cache = F.conv2d_forward(x, w, b, stride, padding, dilation)
    dout = rng.standard_normal(out.shape).astype(dtype)
    grads = F.conv2d_backward(dout, cache)
    reference = _torch_grads(TF.conv2d, x, w, b, dout, stride=stride, padding=padding,
                             dilation=dilation)
    _compare((out,) + tuple(grads), reference, rtol=rtol, atol=atol)
