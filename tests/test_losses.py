"""Tests for cnncourse.functional.loss and the loss modules in cnncourse.nn."""
import math

import numpy as np
import pytest

from cnncourse import nn
from cnncourse.functional import loss as F
from cnncourse.gradcheck import check_gradient


def test_cross_entropy_hand_values():
    assert F.cross_entropy(np.zeros((4, 10)), np.array([0, 1, 2, 9])) == pytest.approx(math.log(10))
    logits = np.log(np.array([[0.25, 0.75], [0.5, 0.5]]))
    assert F.cross_entropy(logits, np.array([1, 0])) == pytest.approx(-(math.log(0.75) + math.log(0.5)) / 2)
    assert F.cross_entropy(logits, np.array([1, 0]), reduction="sum") == pytest.approx(
        -(math.log(0.75) + math.log(0.5)))
    loss, cache = F.cross_entropy_forward(logits, np.array([1, 0]))
    np.testing.assert_allclose(F.cross_entropy_backward(1.0, cache),
                               [[0.125, -0.125], [-0.25, 0.25]])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_gradient(reduction):
    rng = np.random.default_rng(0)
    logits, targets = rng.standard_normal((5, 7)), rng.integers(0, 7, 5)
    _, cache = F.cross_entropy_forward(logits, targets, reduction)
    dlogits = F.cross_entropy_backward(2.5, cache)
    report = check_gradient(lambda z: 2.5 * F.cross_entropy(z, targets, reduction), logits, dlogits)
    assert report.passed, str(report)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_large_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=dtype)
    criterion = nn.CrossEntropyLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = criterion(logits, np.array([1, 1]))
        grad = criterion.backward()
    assert np.isfinite(loss) and loss == pytest.approx(1e4)       # (2e4 + 0) / 2
    assert grad.dtype == dtype and np.isfinite(grad).all()
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0], [0, 0, 0]], atol=1e-7)


def test_cross_entropy_module():
    rng = np.random.default_rng(1)
    logits, targets = rng.standard_normal((6, 4)).astype(np.float32), rng.integers(0, 4, 6)
    criterion = nn.CrossEntropyLoss()
    loss = criterion(logits, targets)
    assert isinstance(loss, float) and loss == pytest.approx(F.cross_entropy(logits, targets))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    onehot = np.eye(4)[targets]
    np.testing.assert_allclose(criterion.backward(), (probs - onehot) / 6, rtol=1e-5, atol=1e-7)
    assert criterion.backward().dtype == np.float32
    np.testing.assert_allclose(criterion.backward(3.0), 3 * criterion.backward(), rtol=1e-6)
    assert nn.CrossEntropyLoss(reduction="sum")(logits, targets) == pytest.approx(6 * loss, rel=1e-6)


def test_mse():
    rng = np.random.default_rng(2)
    pred, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert F.mse(pred, target) == pytest.approx(np.mean((pred - target) ** 2))
    assert F.mse(pred, target, "sum") == pytest.approx(np.sum((pred - target) ** 2))
    for reduction in ("mean", "sum"):
        _, cache = F.mse_forward(pred, target, reduction)
        report = check_gradient(lambda p: F.mse(p, target, reduction), pred, F.mse_backward(1.0, cache))
        assert report.passed, str(report)
    criterion = nn.MSELoss()
    assert criterion(pred.astype(np.float32), target.astype(np.float32)) == pytest.approx(
        F.mse(pred, target), rel=1e-6)
    grad = criterion.backward()
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, 2 * (pred - target) / 12, rtol=1e-5)


@pytest.mark.parametrize("logits, targets, error, match", [
    (np.zeros((2, 3)), np.array([0, 3]), ValueError,
     r"cross_entropy: targets must be class indices in \[0, 2\] for 3 classes, got 3"),
    (np.zeros((2, 3)), np.array([-1, 0]), ValueError, r"class indices in \[0, 2\] .*got -1"),
    (np.zeros((2, 3)), np.array([0, 1, 2]), ValueError,
     r"targets must have shape \(N,\) = \(2,\) to match logits.shape=\(2, 3\), got targets.shape=\(3,\)"),
    (np.zeros((2, 3)), np.array([[0], [1]]), ValueError, r"got targets.shape=\(2, 1\)"),
    (np.zeros((2, 3)), np.array([0.0, 1.0]), TypeError,
     r"targets must hold integer class labels, got dtype float64 \(convert with targets.astype\(np.int64\)\)"),
    (np.zeros((2, 3)), [0, 1], TypeError, "targets must be a numpy ndarray"),
    (np.zeros((2, 3, 4)), np.array([0, 1]), ValueError,
     r"cross_entropy: logits must be 2-D \(N, C\) or 4-D \(N, C, H, W\), got logits.shape=\(2, 3, 4\)"),
    (np.zeros(3), np.array([0]), ValueError, "logits must be 2-D"),
    (np.zeros((2, 3), int), np.array([0, 1]), TypeError, "logits must have a floating dtype"),
])
def test_cross_entropy_errors(logits, targets, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(logits, targets)
    with pytest.raises(error, match=match):
        nn.CrossEntropyLoss()(logits, targets)


def test_other_loss_errors():
    with pytest.raises(ValueError, match=r"mse: target must have the shape of input, got "
                                         r"input.shape=\(2, 3\) and target.shape=\(3, 2\)"):
        F.mse(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="cross_entropy: reduction must be 'mean' or 'sum', got 'none'"):
        F.cross_entropy(np.zeros((1, 2)), np.array([0]), reduction="none")
    _, cache = F.cross_entropy_forward(np.zeros((1, 2)), np.array([0]))
    with pytest.raises(TypeError, match="cross_entropy_backward: dloss must be a number"):
        F.cross_entropy_backward(np.ones(2), cache)
    with pytest.raises(RuntimeError, match=r"CrossEntropyLoss\(\): backward\(\) called before forward"):
        nn.CrossEntropyLoss().backward()


@pytest.mark.parametrize("make", [nn.CrossEntropyLoss, lambda: nn.CrossEntropyLoss(reduction="sum"),
                                  nn.MSELoss, lambda: nn.MSELoss(reduction="sum")],
                         ids=["ce-mean", "ce-sum", "mse-mean", "mse-sum"])
def test_loss_modules_gradient(make):
    rng = np.random.default_rng(5)
    criterion = make()
    x = rng.standard_normal((4, 6))
    target = rng.integers(0, 6, 4) if isinstance(criterion, nn.CrossEntropyLoss) else rng.standard_normal((4, 6))
    criterion(x, target)
    grad = criterion.backward()
    report = check_gradient(lambda z: criterion(z, target), x, grad)
    assert report.passed, str(report)


# ---------------------------------------------------------------- smooth L1 and per-pixel CE
def test_smooth_l1_values_gradient_and_module():
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(5, 4)) * 2
    target = rng.normal(size=(5, 4))
    d = pred - target
    for beta in (1.0, 0.3):
        per = np.where(np.abs(d) < beta, 0.5 * d ** 2 / beta, np.abs(d) - 0.5 * beta)
        assert F.smooth_l1(pred, target, beta) == pytest.approx(per.mean())
        assert F.smooth_l1(pred, target, beta, "sum") == pytest.approx(per.sum())
        for reduction in ("mean", "sum"):
            _, cache = F.smooth_l1_forward(pred, target, beta, reduction)
            report = check_gradient(lambda p: F.smooth_l1(p, target, beta, reduction), pred,
                                    F.smooth_l1_backward(1.0, cache))
            assert report.passed, str(report)
    criterion = nn.SmoothL1Loss(beta=0.3)
    assert criterion(pred, target) == pytest.approx(F.smooth_l1(pred, target, 0.3))
    np.testing.assert_allclose(criterion.backward(2.0),
                               2 * np.clip(d / 0.3, -1, 1) / d.size)
    assert F.smooth_l1(np.array([0.0, 3.0]), np.array([0.5, 0.0])) == pytest.approx(1.3125)


@pytest.mark.parametrize("call, err, match", [
    (lambda: F.smooth_l1(np.zeros((2, 3)), np.zeros((3, 2))), ValueError, "smooth_l1: target must have the shape"),
    (lambda: F.smooth_l1(np.zeros(2), np.zeros(2), beta=0), ValueError, "smooth_l1: beta must be a positive"),
    (lambda: F.smooth_l1(np.zeros(2), np.zeros(2), beta="1"), TypeError, "smooth_l1: beta"),
    (lambda: F.smooth_l1(np.zeros(2, dtype=int), np.zeros(2)), TypeError, "smooth_l1: input"),
    (lambda: nn.SmoothL1Loss(beta=-1), ValueError, "SmoothL1Loss: beta"),
])
def test_smooth_l1_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_smooth_l1_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    pred, target = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    expected = torch.nn.functional.smooth_l1_loss(torch.tensor(pred), torch.tensor(target), beta=0.5)
    assert F.smooth_l1(pred, target, 0.5) == pytest.approx(float(expected))


def test_per_pixel_cross_entropy_equals_flattened_and_gradient():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(2, 3, 4, 5))
    targets = rng.integers(0, 3, size=(2, 4, 5))
    flat = logits.transpose(0, 2, 3, 1).reshape(-1, 3)
    assert F.cross_entropy(logits, targets) == pytest.approx(F.cross_entropy(flat, targets.reshape(-1)))
    for reduction in ("mean", "sum"):
        _, cache = F.cross_entropy_forward(logits, targets, reduction)
        grad = F.cross_entropy_backward(1.0, cache)
        assert grad.shape == logits.shape
        report = check_gradient(lambda z: F.cross_entropy(z, targets, reduction), logits, grad)
        assert report.passed, str(report)
    criterion = nn.CrossEntropyLoss()
    criterion(logits, targets)
    assert criterion.backward().shape == logits.shape
    with pytest.raises(ValueError, match=r"cross_entropy: with per-pixel logits .* targets must have shape \(N, H, W\)"):
        F.cross_entropy(logits, targets[:, :2])


def test_per_pixel_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    logits, targets = rng.normal(size=(2, 4, 3, 3)), rng.integers(0, 4, size=(2, 3, 3))
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(targets))
    assert F.cross_entropy(logits, targets) == pytest.approx(float(expected))
