"""Tests for cnncourse.optim: updates against the written-out formulas, dtype, state, errors."""
import math

import numpy as np
import pytest

from cnncourse import nn, optim


def make_param(values, dtype=np.float64):
    return nn.Parameter(np.array(values, dtype=dtype))


GRADS = [np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.3, -0.2]), np.array([-0.4, 0.0, 1.0])]


@pytest.mark.parametrize("momentum, nesterov, weight_decay", [
    (0.0, False, 0.0), (0.9, False, 0.0), (0.9, True, 0.0), (0.0, False, 0.1), (0.5, True, 0.01),
], ids=["plain", "momentum", "nesterov", "weight-decay", "nesterov-wd"])
def test_sgd_matches_formula(momentum, nesterov, weight_decay):
    p = make_param([1.0, 2.0, -3.0])
    opt = optim.SGD([p], lr=0.1, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    expected, buf = p.data.copy(), None
    for g in GRADS:
        p.grad[...] = g
        opt.step()
        d = g + weight_decay * expected
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + d
            d = d + momentum * buf if nesterov else buf
        expected = expected - 0.1 * d
        np.testing.assert_allclose(p.data, expected, rtol=1e-12)


def test_sgd_by_hand():
    p = make_param([1.0])
    opt = optim.SGD([p], lr=0.5, momentum=0.9)
    p.grad[...] = 2.0
    opt.step()                       # buf = 2,   p = 1 - 0.5*2 = 0
    opt.step()                       # buf = 3.8, p = 0 - 0.5*3.8 = -1.9
    np.testing.assert_allclose(p.data, [-1.9])


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_matches_formula(weight_decay):
    p = make_param([1.0, 2.0, -3.0])
    lr, (b1, b2), eps = 0.01, (0.8, 0.95), 1e-6
    opt = optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay)
    expected, m, v = p.data.copy(), 0.0, 0.0
    for t, g in enumerate(GRADS, start=1):
        p.grad[...] = g
        opt.step()
        g = g + weight_decay * expected
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        expected = expected - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(p.data, expected, rtol=1e-12)


def test_adam_first_step_is_lr_times_sign():
    p = make_param([0.0, 0.0])
    opt = optim.Adam([p], lr=0.1)
    p.grad[...] = [3.0, -1e-3]
    opt.step()
    np.testing.assert_allclose(p.data, [-0.1, 0.1], rtol=1e-4)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: optim.Adam(ps, lr=1e-2, weight_decay=1e-3),
], ids=["sgd", "adam"])
def test_in_place_and_keeps_float32(make):
    p = make_param(np.ones((2, 3)), np.float32)
    data = p.data
    opt = make([p])
    p.grad[...] = 0.5
    for _ in range(3):
        opt.step()
    assert p.data is data and p.data.dtype == np.float32
    assert (p.data < 1).all()


def test_zero_grad_and_parameters_from_model():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    opt = optim.SGD(model.parameters(), lr=0.1)          # a generator is fine
    assert len(opt.params) == 4
    for p in model.parameters():
        p.grad[...] = 1
    opt.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())
    assert repr(opt) == "SGD(lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0)"


def test_minimises_a_quadratic():
    target = np.array([3.0, -2.0])
    for opt_cls, kwargs in [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, dict(lr=0.1))]:
        p = make_param([0.0, 0.0])
        opt = opt_cls([p], **kwargs)
        for _ in range(300):
            p.grad[...] = 2 * (p.data - target)
            opt.step()
        np.testing.assert_allclose(p.data, target, atol=1e-3, err_msg=opt_cls.__name__)


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.SGD(p, lr=-0.1), ValueError, "SGD: lr must be >= 0.0, got -0.1"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), ValueError, "SGD: momentum must be >= 0.0"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), ValueError, "SGD: weight_decay must be >= 0.0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, "SGD: nesterov=True requires momentum > 0"),
    (lambda p: optim.SGD(p, lr="0.1"), TypeError, "SGD: lr must be a real number, got '0.1'"),
    (lambda p: optim.SGD(p, lr=math.nan), ValueError, "SGD: lr must be a finite number"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=1), TypeError, "SGD: nesterov must be True or False"),
    (lambda p: optim.Adam(p, lr=-1), ValueError, "Adam: lr must be >= 0.0"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, r"Adam: betas\[1\] must be in \[0.0, 1.0\), got 1.0"),
    (lambda p: optim.Adam(p, betas=0.9), TypeError, r"Adam: betas must be a pair"),
    (lambda p: optim.Adam(p, eps=-1e-8), ValueError, "Adam: eps must be >= 0.0"),
    (lambda p: optim.SGD([], lr=0.1), ValueError, "SGD: got an empty parameter list"),
    (lambda p: optim.SGD(p[0], lr=0.1), TypeError, "got a single Parameter"),
    (lambda p: optim.SGD([np.zeros(3)], lr=0.1), TypeError, r"SGD: params\[0\] must be a Parameter, got ndarray"),
    (lambda p: optim.Adam(3), TypeError, "Adam: params must be an iterable of Parameters"),
])
def test_errors(make, error, match):
    with pytest.raises(error, match=match):
        make([make_param([1.0])])
