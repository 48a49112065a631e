"""Tests for the ops behind the thin layers: functional.linear, functional.dropout and
functional.batch_norm2d (naive == fast, numerical gradients, tiny hand-worked cases, PyTorch)."""
import numpy as np
import pytest

from cnncourse import functional as F, nn
from cnncourse.gradcheck import check_gradient

RTOL, ATOL = 1e-12, 1e-12


# ----------------------------------------------------------------------------------- linear
@pytest.mark.parametrize("x_shape, out_f, bias", [
    ((4, 5), 3, True), ((2, 3, 5), 2, False), ((1, 1), 1, True), ((6, 7), 4, True),
], ids=["2d", "3d-nobias", "one", "wide"])
def test_linear_naive_equals_fast_and_gradients(x_shape, out_f, bias):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((out_f, x_shape[-1]))
    b = rng.standard_normal(out_f) if bias else None
    out, cache = F.linear_forward(x, w, b)
    np.testing.assert_allclose(F.linear_naive(x, w, b), out, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(F.linear(x, w, b), out, rtol=RTOL, atol=ATOL)
    dout = rng.standard_normal(out.shape)
    grads = F.linear_backward(dout, cache)
    naive = F.linear_backward_naive(dout, cache)
    for a, n in zip(grads, naive):
        if a is None:
            assert n is None
        else:
            np.testing.assert_allclose(a, n, rtol=1e-10, atol=1e-12)
    assert check_gradient(lambda _: F.linear(x, w, b), x, grads.dx, dout=dout)
    assert check_gradient(lambda _: F.linear(x, w, b), w, grads.dweight, dout=dout)
    if bias:
        assert check_gradient(lambda _: F.linear(x, w, b), b, grads.dbias, dout=dout)
    assert F.linear_backward(dout, cache, need_dx=False).dx is None


def test_linear_by_hand_and_errors():
    x, w = np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, -1.0]])
    np.testing.assert_array_equal(F.linear(x, w, np.array([0.5, 0.0])), [[3.5, -2.0]])
    with pytest.raises(ValueError, match=r"^linear: bias must have shape \(2,\)"):
        F.linear(x, w, np.zeros(3))
    with pytest.raises(TypeError, match=r"^linear: weight has dtype float64 but x has dtype float32"):
        F.linear(x.astype(np.float32), w)
    _, cache = F.linear_forward(x, w)
    with pytest.raises(TypeError, match=r"^linear_backward: cache must be the LinearCache"):
        F.linear_backward(np.ones((1, 2)), cache._asdict())
    with pytest.raises(TypeError, match=r"^linear_backward: dout has dtype float32"):
        F.linear_backward(np.ones((1, 2), np.float32), cache)


# ---------------------------------------------------------------------------------- dropout
def test_dropout_mask_scale_and_gradient():
    x = np.random.default_rng(0).standard_normal((50, 40))
    out, cache = F.dropout_forward(x, 0.3, True, rng=1)
    assert set(np.unique(cache.mask)) == {0.0, 1 / 0.7}
    np.testing.assert_allclose(out, x * cache.mask)
    dout = np.random.default_rng(2).standard_normal(x.shape)
    dx = F.dropout_backward(dout, cache)
    assert check_gradient(lambda _: x * cache.mask, x, dx, dout=dout, relative_to="max")
    same, _ = F.dropout_forward(x, 0.3, True, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(same, out)                        # one rng policy
    ident, cache = F.dropout_forward(x, 0.3, training=False)
    assert ident is x and cache.mask is None and F.dropout_backward(dout, cache) is dout
    np.testing.assert_array_equal(F.dropout(x, 1.0, rng=0), 0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.dropout(np.ones(3), p=1.5), ValueError, r"^dropout: p must be in \[0.0, 1.0\]"),
    (lambda: F.dropout(np.ones(3), training=1), TypeError, r"^dropout: training must be True or False"),
    (lambda: F.dropout(np.ones(3), rng="x"), TypeError, r"^dropout: rng must be an int seed"),
    (lambda: F.dropout([1.0]), TypeError, r"^dropout: x must be a numpy ndarray, got list"),
    (lambda: F.dropout_backward(np.ones((3, 1)), F.dropout_forward(np.ones((3, 2)), rng=0)[1]),
     ValueError, r"^dropout_backward: dout must have the shape of the forward output \(3, 2\)"),
], ids=["p", "training", "rng", "x", "dout"])
def test_dropout_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_batch_norm_naive_equals_fast_and_gradients(training, affine):
    rng = np.random.default_rng(3)
    x = rng.normal(1.0, 2.0, (4, 3, 5, 2))
    w = rng.uniform(0.5, 1.5, 3) if affine else None
    b = rng.standard_normal(3) if affine else None
    stats = lambda: (rng_state[0].copy(), rng_state[1].copy())
    rng_state = (rng.standard_normal(3), rng.uniform(0.5, 2.0, 3))
    rm, rv = stats()
    out, cache = F.batch_norm2d_forward(x, rm, rv, w, b, training, 0.2, 1e-5)
    rm_n, rv_n = stats()
    np.testing.assert_allclose(F.batch_norm2d_naive(x, rm_n, rv_n, w, b, training, 0.2, 1e-5), out,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm_n, rm, rtol=1e-12)                  # same running update
    np.testing.assert_allclose(rv_n, rv, rtol=1e-12)
    dout = rng.standard_normal(x.shape)
    grads = F.batch_norm2d_backward(dout, cache)
    naive = F.batch_norm2d_backward_naive(dout, cache)
    for a, n in zip(grads, naive):
        if a is None:
            assert n is None
        else:
            np.testing.assert_allclose(a, n, rtol=1e-9, atol=1e-12)

    def f(_):
        m, v = stats()
        return F.batch_norm2d(x, m, v, w, b, training, 0.2, 1e-5)

    assert check_gradient(f, x, grads.dx, dout=dout)
    if affine:
        assert check_gradient(f, w, grads.dweight, dout=dout)
        assert check_gradient(f, b, grads.dbias, dout=dout)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.batch_norm2d(np.ones((2, 2, 2, 2)), None, None, np.ones(3)), ValueError,
     r"^batch_norm2d: x has 2 channels but weight expects 3"),
    (lambda: F.batch_norm2d(np.ones((2, 2, 2, 2)), None, None), ValueError,
     r"^batch_norm2d: training=False needs running_mean and running_var"),
    (lambda: F.batch_norm2d(np.ones((1, 2, 1, 1)), None, None, training=True), ValueError,
     r"training needs more than one value per channel"),
    (lambda: F.batch_norm2d(np.ones((2, 2, 2, 2)), None, None, training=True, eps=0), ValueError,
     r"^batch_norm2d: eps must be > 0.0"),
    (lambda: F.batch_norm2d(np.ones((2, 2, 2)), None, None, training=True), ValueError,
     r"^batch_norm2d: x must be 4-D"),
], ids=["channels", "no-stats", "one-value", "eps", "ndim"])
def test_batch_norm_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_layers_call_the_ops():
    """The layers are thin: their outputs are the ops' outputs, their caches the ops' tuples."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2, 4, 4)).astype(np.float32)
    bn = nn.BatchNorm2d(2)
    bn(x)
    assert isinstance(bn._caches[-1], F.BatchNorm2dCache)
    lin = nn.Linear(5, 2, rng=0)
    lin(rng.standard_normal((3, 5)).astype(np.float32))
    assert isinstance(lin._caches[-1], F.LinearCache)
    drop = nn.Dropout(0.5, rng=0)
    drop(x)
    assert isinstance(drop._caches[-1], F.DropoutCache)
    relu = nn.ReLU()
    relu(x)
    assert relu._caches[-1]._fields == ("x",)


# ------------------------------------------------------------------------------------ torch
def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 5, 6))
    w, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    dout = rng.standard_normal(x.shape)
    for training in (True, False):
        ours_rm, ours_rv = rm.copy(), rv.copy()
        out, cache = F.batch_norm2d_forward(x, ours_rm, ours_rv, w, b, training, 0.1, 1e-5)
        grads = F.batch_norm2d_backward(dout, cache)
        tx = torch.tensor(x, requires_grad=True)
        tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
        trm, trv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
        tout = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training, 0.1, 1e-5)
        tout.backward(torch.tensor(dout))
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads.dx, tx.grad.numpy(), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(grads.dweight, tw.grad.numpy(), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(grads.dbias, tb.grad.numpy(), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(ours_rm, trm.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours_rv, trv.numpy(), rtol=1e-12)
    x2, w2, b2 = rng.standard_normal((2, 3, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    out, cache = F.linear_forward(x2, w2, b2)
    d2 = rng.standard_normal(out.shape)
    grads = F.linear_backward(d2, cache)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x2, w2, b2))
    tout = torch.nn.functional.linear(tx, tw, tb)
    tout.backward(torch.tensor(d2))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(grads, (tx, tw, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
