"""The numerical claims of book/training.ipynb, checked outside the notebook.

The notebook asserts each claim where it makes it; these tests re-run the chapter's recipe in
a plain pytest process so a change to the package that breaks a claim fails the test suite
directly, with a readable message, even when the notebooks are not executed.
"""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from cnncourse import checkpoint, datasets, models, nn, optim, train


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def digits():
    """The chapter's data, from the recipe the chapter asserts it uses (train.digits_data)."""
    d = train.digits_data()
    return dict(X=d.X, y=d.y, X_val=d.X_val, y_val=d.y_val, X_test=d.X_test, y_test=d.y_test,
                X_test_raw=d.X_test_raw, normalise=d.normalise, data=d)


def _fit_recipe(model, d, lr):
    train.fit_recipe(model, d["data"], lr, validate=False)
    return model


@pytest.fixture(scope="module")
def trained(digits):
    cnn = _fit_recipe(models.lenet5(input_size=28, rng=np.random.default_rng(0)), digits, 3e-3)
    mlp = _fit_recipe(models.mlp(28 * 28, hidden=(128,), rng=np.random.default_rng(0)), digits, 1e-3)
    return cnn, mlp


def test_lenet5_and_mlp_sizes():
    summary = models.summary(models.lenet5(input_size=28, rng=0), (1, 1, 28, 28))
    assert summary.total_params == 61_706
    conv = [row for row in summary.layers if row.layer.startswith("Conv2d")]
    assert sum(r.params for r in conv) == 2_572 and sum(r.mult_adds for r in conv) == 357_600
    assert summary.total_mult_adds == 416_520
    assert sum(p.data.size for p in models.mlp(28 * 28, hidden=(128,), rng=0).parameters()) == 101_770


@pytest.mark.parametrize("lr", [1e-3, 3e-3], ids=["lr=1e-3", "lr=3e-3"])
def test_recipe_reaches_97_percent_on_the_test_set(digits, lr):
    model = _fit_recipe(models.lenet5(input_size=28, rng=np.random.default_rng(0)), digits, lr)
    _, acc = train.evaluate(model, nn.CrossEntropyLoss(), (digits["X_test"], digits["y_test"]))
    assert acc >= 0.97, f"LeNet-5 reached only {acc:.1%} test accuracy with lr={lr}"


def test_cnn_beats_mlp_and_degrades_less_under_shifts(digits, trained):
    cnn, mlp = trained
    acc = {"cnn": [], "mlp": []}
    for s in (0, 2, 4, 6):
        moved = digits["normalise"](datasets.shift_images(digits["X_test_raw"], s, s))
        for name, net in (("cnn", cnn), ("mlp", mlp)):
            acc[name].append(train.accuracy(digits["y_test"], train.predict(net, moved)))
    cnn_acc, mlp_acc = np.array(acc["cnn"]), np.array(acc["mlp"])
    assert np.all(cnn_acc > mlp_acc), acc
    assert mlp_acc[0] - mlp_acc[-1] > cnn_acc[0] - cnn_acc[-1], acc


def test_adam_then_momentum_then_sgd_on_the_same_budget(digits):
    final = {}
    for name, make in {"sgd": lambda p: optim.SGD(p, lr=0.05),
                       "momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
                       "adam": lambda p: optim.Adam(p, lr=1e-3)}.items():
        net = models.lenet5(input_size=28, rng=np.random.default_rng(0))
        h = train.fit(net, nn.CrossEntropyLoss(), make(net.parameters()), (digits["X"][:600], digits["y"][:600]),
                      epochs=4, batch_size=32, rng=np.random.default_rng(0), progress=False)
        final[name] = h.train_loss[-1]
    assert final["adam"] < final["momentum"] < final["sgd"], final


def test_checkpoint_round_trip_keeps_predictions(tmp_path, digits, trained):
    cnn, _ = trained
    path = tmp_path / "lenet.npz"
    checkpoint.save(cnn, path, metadata={"epochs": 8})
    restored = checkpoint.load(models.lenet5(input_size=28, rng=123), path)
    for (name, a), (name_b, b) in zip(cnn.state_dict().items(), restored.state_dict().items()):
        assert name == name_b and np.array_equal(a, b)
    np.testing.assert_array_equal(train.predict(restored, digits["X_test"]), train.predict(cnn, digits["X_test"]))
    assert checkpoint.info(path)["metadata"] == {"epochs": 8}


def test_mirrored_asymmetric_digits_are_not_recognised(digits, trained):
    # the chapter's "popular claim" box: a mirrored 2, 3 or 7 is not the same kind of object
    cnn, _ = trained
    sel = np.isin(digits["y_test"], [2, 3, 7])
    X, y = digits["X_test"][sel], digits["y_test"][sel]
    as_is = train.accuracy(y, train.predict(cnn, X))
    mirrored = train.accuracy(y, train.predict(cnn, X[..., ::-1]))
    # the box says "over 95% as written, under 10% mirrored"; the cell asserts the same off
    # the light path (in the browser it trains less and asserts only under 50%)
    assert as_is > 0.95 and mirrored < 0.1, (as_is, mirrored)


def test_recipe_data_match_the_chapter_cells():
    # the chapter builds its data step by step and asserts equality with train.digits_data();
    # this repeats those steps here, so a change to either side fails without the notebook
    rng = np.random.default_rng(0)
    data = datasets.digits(size=28)
    order = rng.permutation(len(data.X_train))
    n_val = len(order) // 6
    X_fit = data.X_train[order[n_val:]]
    shifts = rng.integers(-3, 4, size=(2, len(X_fit)))
    X_aug = np.concatenate([X_fit, datasets.shift_images(X_fit, shifts[0], shifts[1])])
    d = train.digits_data()
    np.testing.assert_array_equal(d.X, (X_aug - X_aug.mean()) / X_aug.std())
    assert train.DIGITS_RECIPE.epochs == 6 and train.DIGITS_RECIPE.finish_epochs == 2


def test_recipe_rejects_bad_arguments():
    with pytest.raises(TypeError, match="digits_data: recipe"):
        train.digits_data({"size": 28})
    with pytest.raises(TypeError, match="fit_recipe: data"):
        train.fit_recipe(models.mlp(4, hidden=(2,), rng=0), (np.zeros((2, 4)), np.zeros(2)), 1e-3)
    with pytest.raises(ValueError, match="fit_recipe: lr"):
        train.fit_recipe(models.mlp(4, hidden=(2,), rng=0), train.digits_data(), -1.0)
