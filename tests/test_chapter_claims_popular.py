"""Measurements behind the "What the popular explanations get wrong" boxes (training chapter).

Heavier than a chapter may run: the shift-invariance experiment of the training chapter
(section "Where the invariance comes from: the head") with three seeds, and MLP versus CNN on
10%, 30% and 100% of the digits with the chapter's recipe. Set ``CNNCOURSE_SKIP_SLOW=1`` to
skip them.
"""
import os

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from cnncourse import datasets, models, nn, optim, train

pytestmark = pytest.mark.skipif(os.environ.get("CNNCOURSE_SKIP_SLOW") == "1",
                                reason="CNNCOURSE_SKIP_SLOW=1")

SHIFTS = (0, 2, 4, 6)


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def canvas():
    """16x16 digits in a 6-pixel border (28x28): no shift up to 6 pixels crops any ink."""
    small = datasets.digits(size=16)
    border = [(0, 0), (0, 0), (6, 6), (6, 6)]
    X_train, X_test = np.pad(small.X_train[:600], border), np.pad(small.X_test, border)
    return X_train, small.y_train[:600], X_test, small.y_test, X_train.std()


def _head_net(head, seed):
    # the chapter's make_head_net: LeNet-5's padded conv body, then one of two heads
    rng = np.random.default_rng(seed)
    body = [nn.Conv2d(1, 6, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2)]
    if head == "flatten":
        top = [nn.Flatten(), nn.Linear(16 * 7 * 7, 10, rng=rng)]
    else:
        top = [nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(16, 10, rng=rng)]
    return nn.Sequential(*body, *top)


def test_no_shift_crops_the_canvas(canvas):
    _, _, X_test, _, _ = canvas
    for s in SHIFTS:
        moved = datasets.shift_images(X_test, s, s)
        np.testing.assert_allclose(moved.sum(axis=(1, 2, 3)), X_test.sum(axis=(1, 2, 3)),
                                   rtol=1e-5)


def test_the_28x28_digits_lose_ink_when_shifted():
    X = datasets.digits(size=28).X_test
    ink = X.sum(axis=(1, 2, 3))
    lost = [float(np.mean(1 - datasets.shift_images(X, s, s).sum(axis=(1, 2, 3)) / ink))
            for s in SHIFTS]
    assert lost[1] == 0 and 0.08 < lost[2] < 0.09 and 0.18 < lost[3] < 0.19, lost


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_global_pooling_head_is_shift_robust_flatten_head_is_not(canvas, seed):
    X_train, y_train, X_test, y_test, scale = canvas
    acc = {}
    for head in ("flatten", "gmp"):
        net = _head_net(head, seed)
        train.fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=3e-3),
                  (X_train / scale, y_train), epochs=5, batch_size=32,
                  rng=np.random.default_rng(seed), progress=False)
        acc[head] = np.array([train.accuracy(y_test, train.predict(
            net, datasets.shift_images(X_test, s, s) / scale)) for s in SHIFTS])
    flat, gmp = acc["flatten"], acc["gmp"]
    assert flat[0] > 0.85 and gmp[0] > 0.8, acc
    assert flat[2] < 0.3 and flat[3] < 0.3, acc
    assert gmp.min() > 0.7, acc
    assert gmp[0] - gmp[3] < 0.2 < flat[0] - flat[3], acc


def test_cnn_versus_mlp_on_10_30_100_percent_of_the_digits(capsys):
    """Measured, not assumed: with the chapter's recipe the CNN's lead appears at 30% of the
    data, not at 10% (where the two are level), and holds at 100%."""
    d = train.digits_data()
    n = len(d.y) // 2          # the originals; their shifted copies follow
    result = {}
    for frac in (0.1, 0.3, 1.0):
        k = int(round(frac * n))
        idx = np.r_[0:k, n:n + k]
        sub = d._replace(X=d.X[idx], y=d.y[idx])
        for name, net, lr in [
            ("MLP", models.mlp(28 * 28, hidden=(128,), rng=np.random.default_rng(0)), 1e-3),
            ("CNN", models.lenet5(input_size=28, rng=np.random.default_rng(0)), 3e-3),
        ]:
            train.fit_recipe(net, sub, lr, validate=False)
            result[frac, name] = train.accuracy(d.y_test, train.predict(net, d.X_test))
    with capsys.disabled():
        for frac in (0.1, 0.3, 1.0):
            print(f"\n[claim] {frac:.0%} of the digits: MLP {result[frac, 'MLP']:.3f}, "
                  f"CNN {result[frac, 'CNN']:.3f}", end="")
        print()
    assert abs(result[0.1, "CNN"] - result[0.1, "MLP"]) < 0.03, result      # level at 10%
    assert result[0.3, "CNN"] - result[0.3, "MLP"] > 0.015, result          # CNN ahead at 30%
    assert result[1.0, "CNN"] > result[1.0, "MLP"], result                  # ... and at 100%
    assert result[0.1, "CNN"] < result[0.3, "CNN"] < result[1.0, "CNN"], result
