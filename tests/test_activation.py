"""Tests for cnncourse.functional.activation: hand values, stability, dtype, gradient checks,
errors."""
import numpy as np
import pytest

from cnncourse.functional import activation as F
from cnncourse.gradcheck import check_gradient

# (forward, backward, what the backward takes: "x" the input or "out" the output)
OPS = {
    "relu": (F.relu, F.relu_backward, "x"),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda d, x: F.leaky_relu_backward(d, x, 0.2), "x"),
    "sigmoid": (F.sigmoid, F.sigmoid_backward, "out"),
    "tanh": (F.tanh, F.tanh_backward, "out"),
    "softmax": (F.softmax, F.softmax_backward, "out"),
    "softmax_axis0": (lambda x: F.softmax(x, axis=0), lambda d, o: F.softmax_backward(d, o, axis=0), "out"),
    "log_softmax": (F.log_softmax, F.log_softmax_backward, "out"),
    "log_softmax_axis1": (lambda x: F.log_softmax(x, axis=1),
                          lambda d, o: F.log_softmax_backward(d, o, axis=1), "out"),
}


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)], ids=str)
def test_gradient(name, shape):
    forward, backward, saved = OPS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    if name == "log_softmax_axis1" and len(shape) < 2:
        forward, backward = F.log_softmax, F.log_softmax_backward
    out = forward(x)
    dout = rng.standard_normal(out.shape)
    dx = backward(dout, x if saved == "x" else out)
    report = check_gradient(forward, x, dx, dout=dout)
    assert report.passed, str(report)


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_dtype(name, dtype):
    forward, backward, saved = OPS[name]
    x = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    out = forward(x)
    assert out.dtype == dtype and out.shape == x.shape
    assert backward(np.ones_like(out), x if saved == "x" else out).dtype == dtype


def test_hand_values():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(F.relu(x), [0, 0, 0, 0.5, 2])
    np.testing.assert_array_equal(F.relu_backward(np.ones(5), x), [0, 0, 0, 1, 1])   # 0 at x=0
    np.testing.assert_allclose(F.leaky_relu(x), [-0.02, -0.005, 0, 0.5, 2])
    np.testing.assert_allclose(F.leaky_relu_backward(np.ones(5), x), [0.01, 0.01, 0.01, 1, 1])
    np.testing.assert_allclose(F.sigmoid(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.tanh(x), np.tanh(x))
    np.testing.assert_allclose(F.softmax(np.log([[1.0, 3.0]])), [[0.25, 0.75]])
    np.testing.assert_allclose(F.log_softmax(np.log([[1.0, 3.0]])), np.log([[0.25, 0.75]]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_for_large_inputs(dtype):
    big = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # no overflow
        np.testing.assert_array_equal(F.sigmoid(big), [[0, 0.5, 1], [1, 1, 0]])
        np.testing.assert_allclose(F.softmax(big), [[0, 0, 1], [0.5, 0.5, 0]])
        log_p = F.log_softmax(big)
        assert np.isfinite(log_p).all()
        np.testing.assert_allclose(log_p[0], [-2e4, -1e4, 0])
        np.testing.assert_allclose(F.tanh(big), np.sign(big))
    np.testing.assert_allclose(F.softmax(big).sum(axis=1), 1)


def test_softmax_is_shift_invariant():
    x = np.random.default_rng(0).standard_normal((4, 6))
    np.testing.assert_allclose(F.softmax(x + 100), F.softmax(x))
    np.testing.assert_allclose(np.exp(F.log_softmax(x)), F.softmax(x))


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.relu([1.0, 2.0]), TypeError, "relu: x must be a numpy ndarray, got list"),
    (lambda: F.sigmoid(np.arange(3)), TypeError, "sigmoid: x must have a floating dtype"),
    (lambda: F.relu_backward(np.ones(3), np.ones(4)), ValueError,
     r"relu_backward: dout must have the shape of the forward output \(4,\), got \(3,\)"),
    (lambda: F.tanh_backward(np.ones((2, 2)), np.ones((2, 3))), ValueError, "tanh_backward: dout must have"),
    (lambda: F.softmax(np.ones((2, 3)), axis=2), ValueError,
     r"softmax: axis 2 is out of range for an input with 2 dimensions"),
    (lambda: F.log_softmax(np.ones(3), axis=0.5), TypeError, "log_softmax: axis must be an int"),
    (lambda: F.leaky_relu(np.ones(3), "0.1"), TypeError, "leaky_relu: negative_slope must be a number"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
