"""Tests for functional.upsample (nearest) and nn.Upsample: naive == fast, gradient check, torch."""
import numpy as np
import pytest

from cnncourse import nn
from cnncourse.functional import upsample as U
from cnncourse.gradcheck import check_gradient


@pytest.mark.parametrize("shape, s", [((1, 1, 2, 3), 2), ((2, 3, 3, 2), 3), ((1, 2, 1, 1), 1)],
                         ids=["non-square-x2", "batch-channels-x3", "x1"])
def test_naive_equals_fast_and_gradient(shape, s):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    out, cache = U.upsample_nearest_forward(x, s)
    np.testing.assert_array_equal(out, U.upsample_nearest_naive(x, s))
    assert out.shape == shape[:2] + (shape[2] * s, shape[3] * s)
    dout = rng.normal(size=out.shape)
    dx = U.upsample_nearest_backward(dout, cache)
    np.testing.assert_allclose(dx, U.upsample_nearest_backward_naive(dout, cache))
    report = check_gradient(lambda z: float((U.upsample_nearest(z, s) * dout).sum()), x, dx)
    assert report.passed, str(report)


def test_hand_case_and_layer():
    x = np.array([[[[1.0, 2.0]]]])
    np.testing.assert_array_equal(U.upsample_nearest(x, 2)[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2]])
    layer = nn.Upsample(2)
    out = layer(x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(out)), [[[[4.0, 4.0]]]])
    assert "scale_factor=2" in repr(layer)


@pytest.mark.parametrize("call, err, match", [
    (lambda: U.upsample_nearest(np.zeros((2, 2)), 2), ValueError, "upsample_nearest: x must be 4-D"),
    (lambda: U.upsample_nearest(np.zeros((1, 1, 2, 2)), 0), ValueError, "upsample_nearest: scale_factor"),
    (lambda: U.upsample_nearest(np.zeros((1, 1, 2, 2), dtype=int), 2), TypeError, "upsample_nearest: x"),
    (lambda: U.upsample_nearest_backward(np.zeros((1, 1, 3, 3)), U.UpsampleCache((1, 1, 2, 2), 2)),
     ValueError, "upsample_nearest_backward: dout must have the output's shape"),
    (lambda: nn.Upsample(2, mode="bilinear"), ValueError, "Upsample: mode must be 'nearest'"),
])
def test_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 5))
    expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=3, mode="nearest").numpy()
    np.testing.assert_allclose(U.upsample_nearest(x, 3), expected)
