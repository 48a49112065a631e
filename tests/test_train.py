"""Tests for cnncourse.train: fit, History, evaluate, predict, confusion_matrix, cross_validate."""
import numpy as np
import pytest

from cnncourse import nn
from cnncourse.models import mlp
from cnncourse.optim import SGD, Adam
from cnncourse.train import (CVResult, History, accuracy, confusion_matrix, cross_validate,
                             evaluate, fit, predict, predict_proba)


def blobs(n_per_class=30, seed=0, classes=3, dim=4):
    """Well-separated Gaussian blobs: (X float32 (N, dim), y int64)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, size=(classes, dim))
    y = np.repeat(np.arange(classes), n_per_class)
    X = centres[y] + rng.normal(0, 0.5, size=(len(y), dim))
    return X.astype(np.float32), y.astype(np.int64)


def make(seed=0, lr=0.05):
    model = mlp(4, (16,), num_classes=3, rng=np.random.default_rng(seed))
    return model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr, momentum=0.9)


def test_fit_learns_and_history_contents():
    X, y = blobs()
    Xv, yv = blobs(10, seed=0)
    model, loss_fn, opt = make()
    history = fit(model, loss_fn, opt, (X, y), (Xv, yv), epochs=6, batch_size=16, rng=0,
                  progress=False)
    assert isinstance(history, History) and history.epochs == 6
    for curve in (history.train_loss, history.train_acc, history.val_loss, history.val_acc):
        assert len(curve) == 6 and all(isinstance(v, float) for v in curve)
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.val_acc[-1] == 1.0
    assert len(history.seconds) == 6 and history.lr == [0.05] * 6
    assert not model.training, "fit leaves the model in eval mode"
    text = repr(history)
    assert text.splitlines()[0].split() == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc"]
    assert len(text.splitlines()) == 7 and "<table>" in history._repr_html_()


def test_fit_without_validation_and_first_loss_near_log_c():
    X, y = blobs()
    model, loss_fn, opt = make()
    first = loss_fn(model(X), y)
    assert abs(first - np.log(3)) < 1.5          # CS231n sanity check at initialisation
    history = fit(model, loss_fn, opt, (X, y), epochs=2, batch_size=200, rng=0, progress=False)
    assert history.val_loss == [] and history.val_acc == []
    assert "val_loss" not in repr(history)


def test_fit_deterministic_for_seed():
    X, y = blobs()
    runs = []
    for _ in range(2):
        model, loss_fn, opt = make(seed=3)
        h = fit(model, loss_fn, opt, (X, y), (X, y), epochs=3, batch_size=7,
                rng=np.random.default_rng(5), progress=False)
        runs.append((h, model.state_dict()))
    assert runs[0][0] == runs[1][0]                                       # identical history
    for key in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][key], runs[1][1][key])
    model, loss_fn, opt = make(seed=3)
    other = fit(model, loss_fn, opt, (X, y), epochs=3, batch_size=7, rng=6, progress=False)
    assert other.train_loss != runs[0][0].train_loss


def test_fit_overfits_tiny_batch():
    X, y = blobs(2)
    model = mlp(4, (32,), num_classes=3, rng=0)
    h = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), lr=0.02), (X, y),
            epochs=60, batch_size=6, rng=0, progress=False)
    assert h.train_loss[-1] < 0.05 and h.train_acc[-1] == 1.0


def test_lr_schedule():
    X, y = blobs()
    model, loss_fn, opt = make()
    h = fit(model, loss_fn, opt, (X, y), epochs=4, batch_size=32, rng=0, progress=False,
            lr_schedule=lambda epoch: 0.1 if epoch <= 2 else 0.01)
    assert h.lr == [0.1, 0.1, 0.01, 0.01] and opt.lr == 0.01
    with pytest.raises(ValueError, match=r"fit: lr_schedule\(1\) must return a number"):
        fit(model, loss_fn, opt, (X, y), epochs=1, batch_size=8, rng=0, progress=False,
            lr_schedule=lambda e: None)


def test_nan_loss_stops_with_clear_error():
    X, y = blobs()
    X = X * 100
    model, loss_fn, _ = make()
    opt = SGD(model.parameters(), lr=1e6)
    with pytest.raises(FloatingPointError, match=r"epoch \d+, batch \d+ of \d+.*lower learning rate"):
        fit(model, loss_fn, opt, (X, y), epochs=20, batch_size=8, rng=0, progress=False)


def test_progress_false_prints_nothing(capsys):
    X, y = blobs(5)
    model, loss_fn, opt = make()
    fit(model, loss_fn, opt, (X, y), (X, y), epochs=2, batch_size=4, rng=0, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_progress_true_shows_bar(capsys):
    X, y = blobs(5)
    model, loss_fn, opt = make()
    fit(model, loss_fn, opt, (X, y), epochs=2, batch_size=4, rng=0, progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(train_data=(np.zeros((0, 4), np.float32), np.zeros(0, np.int64))), ValueError, "empty"),
    (dict(train_data=(np.zeros((5, 4), np.float32), np.zeros(4, np.int64))), ValueError,
     r"different lengths \(5 samples, 4 labels\)"),
    (dict(train_data=np.zeros((5, 4), np.float32)), TypeError, r"pair \(X, y\)"),
    (dict(train_data=(np.zeros((5, 4), np.int64), np.zeros(5, np.int64))), TypeError, "floating"),
    (dict(train_data=(np.zeros((5, 4), np.float32), np.zeros(5))), TypeError, "integer class labels"),
    (dict(batch_size=0), ValueError, r"fit: batch_size must be a positive int \(>= 1\), got 0"),
    (dict(epochs=0), ValueError, r"fit: epochs must be a positive int \(>= 1\), got 0"),
    (dict(epochs=1.5), TypeError, "fit: epochs must be an int"),
    (dict(rng="seed"), TypeError, "fit: rng must be an int seed, None or a numpy Generator"),
    (dict(val_data=(np.zeros((3, 4), np.float32), np.zeros(2, np.int64))), ValueError, "val_data"),
], ids=["empty", "length", "not-pair", "int-X", "float-y", "batch0", "epochs0", "epochs-float",
        "rng", "val-length"])
def test_fit_errors(kwargs, exc, match):
    X, y = blobs(3)
    model, loss_fn, opt = make()
    args = dict(train_data=(X, y), epochs=1, batch_size=4, rng=0, progress=False)
    args.update(kwargs)
    train_data = args.pop("train_data")
    with pytest.raises(exc, match=match):
        fit(model, loss_fn, opt, train_data, **args)


def test_evaluate_predict_independent_of_batch_size():
    X, y = blobs()
    model, loss_fn, opt = make()
    fit(model, loss_fn, opt, (X, y), epochs=2, batch_size=16, rng=0, progress=False)
    model.train()
    l1, a1 = evaluate(model, loss_fn, (X, y), batch_size=7)
    l2, a2 = evaluate(model, loss_fn, (X, y), batch_size=1000)
    assert l1 == pytest.approx(l2, rel=1e-5) and a1 == a2
    assert model.training, "evaluate restores the previous mode"
    labels = predict(model, X, batch_size=5)
    assert labels.dtype == np.int64 and labels.shape == (90,)
    assert accuracy(y, labels) == pytest.approx(a1)
    proba = predict_proba(model, X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(axis=1), labels)
    with pytest.raises(ValueError, match="evaluate: batch_size"):
        evaluate(model, loss_fn, (X, y), batch_size=0)
    with pytest.raises(TypeError, match="predict: X must be a numpy ndarray"):
        predict(model, [[1.0, 2.0]])


def test_evaluate_uses_eval_mode():
    X, y = blobs()
    model = nn.Sequential(nn.Linear(4, 3, rng=np.random.default_rng(0)), nn.Dropout(0.9, rng=np.random.default_rng(0)))
    a = evaluate(model, nn.CrossEntropyLoss(), (X, y))
    b = evaluate(model, nn.CrossEntropyLoss(), (X, y))
    assert a == b, "dropout must be off during evaluation"


def test_confusion_matrix():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    cm = confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert cm.dtype == np.int64
    assert confusion_matrix(y_true, y_pred, num_classes=5).shape == (5, 5)
    with pytest.raises(ValueError, match=r"confusion_matrix: y_true has labels outside \[0, 2\)"):
        confusion_matrix(y_true, y_pred, num_classes=2)
    with pytest.raises(ValueError, match="different lengths"):
        confusion_matrix(y_true, y_pred[:3])
    with pytest.raises(TypeError, match="y_pred must be a 1-D array of integer"):
        confusion_matrix(y_true, y_pred.astype(float))


def test_history_plot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    h = History([1.0, 0.5], [0.5, 0.8], [1.1, 0.7], [0.4, 0.7])
    axes = h.plot()
    assert len(axes) == 2 and "loss" in axes[0].get_ylabel()      # drawn by viz.plot_history
    assert len(axes[1].get_lines()) == 2
    _, ax = plt.subplots()
    assert h.plot(ax, metric="acc")[0] is ax
    with pytest.raises(ValueError, match="History.plot: metric='both' needs 2 Axes, got 1"):
        h.plot(ax)
    plt.close("all")
    assert repr(History()) == "History(epochs=0)"


def test_cross_validate_tiny_problem():
    X, y = blobs(10)
    made = []

    def make_model(hidden, rng):
        made.append(hidden)
        return mlp(4, (hidden,), num_classes=3, rng=rng)

    result = cross_validate(make_model, lambda model, hidden: SGD(model.parameters(), lr=0.05),
                            (X, y), [2, 16], k=3, epochs=3, batch_size=8, rng=0, param="hidden")
    assert isinstance(result, CVResult)
    assert made == [2, 2, 2, 16, 16, 16]
    assert result.scores.shape == (2, 3) and result.losses.shape == (2, 3)
    assert np.all((0 <= result.scores) & (result.scores <= 1))
    np.testing.assert_allclose(result.mean, result.scores.mean(axis=1))
    assert result.best_value in (2, 16)
    text = repr(result)
    assert "hidden" in text and "3-fold" in text and f"best hidden = {result.best_value}" in text
    again = cross_validate(make_model, lambda model, hidden: SGD(model.parameters(), lr=0.05),
                           (X, y), [2, 16], k=3, epochs=3, batch_size=8, rng=0, param="hidden")
    np.testing.assert_array_equal(again.scores, result.scores)


def test_cross_validate_errors():
    X, y = blobs(2)
    mm = lambda v, rng: mlp(4, (4,), num_classes=3, rng=rng)
    mo = lambda m, v: SGD(m.parameters(), lr=v)
    with pytest.raises(ValueError, match="cross_validate: k must be >= 2"):
        cross_validate(mm, mo, (X, y), [0.1], k=1, epochs=1, batch_size=2, rng=0)
    with pytest.raises(ValueError, match="k=7 folds need at least 7 samples, got 6"):
        cross_validate(mm, mo, (X, y), [0.1], k=7, epochs=1, batch_size=2, rng=0)
    with pytest.raises(ValueError, match="values is empty"):
        cross_validate(mm, mo, (X, y), [], k=2, epochs=1, batch_size=2, rng=0)
    with pytest.raises(TypeError, match="make_model must be a callable"):
        cross_validate(None, mo, (X, y), [0.1], k=2, epochs=1, batch_size=2, rng=0)


# --------------------------------------------------------------------------------------------
# issue 13: interrupts, foreign optimizers, labels, non-finite values, None arguments
# --------------------------------------------------------------------------------------------

class _InterruptAt:
    """A loss that raises KeyboardInterrupt (Ctrl-C) at its n-th call."""

    def __init__(self, n):
        self.inner, self.n, self.calls = nn.CrossEntropyLoss(), n, 0

    def __call__(self, logits, y):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return self.inner(logits, y)

    def backward(self):
        return self.inner.backward()


def test_fit_interrupted_keeps_the_history_and_restores_eval_mode():
    X, y = blobs()
    model = mlp(4, (16,), num_classes=3, dropout=0.5, rng=0)
    opt = SGD(model.parameters(), lr=0.05)
    n_batches = -(-len(X) // 16)
    loss_fn = _InterruptAt(2 * n_batches + 3)                   # during epoch 3
    with pytest.warns(UserWarning, match=r"fit: interrupted \(KeyboardInterrupt\) during epoch 3 "
                                         r"of 5; returning the History of the 2 completed epochs"):
        history = fit(model, loss_fn, opt, (X, y), epochs=5, batch_size=16, rng=0, progress=False)
    assert isinstance(history, History) and history.epochs == 2
    assert len(history.train_loss) == len(history.lr) == len(history.seconds) == 2
    assert not model.training and not any(m.training for m in model.modules())
    x = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(model(x), model(x))          # Dropout off afterwards


def test_fit_refuses_an_optimizer_over_other_parameters():
    X, y = blobs()
    model, loss_fn, _ = make()
    other, _, opt = make(seed=1)
    with pytest.raises(ValueError, match=r"fit: the optimizer does not update model's parameters"):
        fit(model, loss_fn, opt, (X, y), epochs=1, batch_size=16, rng=0, progress=False)


@pytest.mark.parametrize("labels, error, match", [
    (lambda y: np.where(np.arange(len(y)) == len(y) - 1, 7, y), ValueError,
     r"fit: train_data y has labels outside \[0, 3\) \(min 0, max 7\)"),
    (lambda y: np.where(np.arange(len(y)) == len(y) - 1, -1, y), ValueError,
     r"fit: train_data y has labels outside \[0, 3\) \(min -1, max 2\)"),
    (lambda y: y.astype(np.float64), TypeError, r"fit: train_data y must be a 1-D array of integer"),
], ids=["too-large", "negative", "float"])
def test_fit_checks_labels_before_any_update(labels, error, match):
    X, y = blobs()
    model, loss_fn, opt = make()
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(error, match=match):
        fit(model, loss_fn, opt, (X, labels(y)), epochs=1, batch_size=16, rng=0, progress=False)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)                # nothing was trained


def test_fit_reports_non_finite_validation_data():
    X, y = blobs()
    Xv = X.copy()
    Xv[3, 1] = np.nan
    model, loss_fn, opt = make()
    with pytest.raises(ValueError, match=r"fit: val_data X has 1 non-finite value \(NaN or inf\)"):
        fit(model, loss_fn, opt, (X, y), (Xv, y), epochs=1, batch_size=16, rng=0, progress=False)
    Xt = X.copy()
    Xt[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"fit: train_data X has 1 non-finite value"):
        fit(model, loss_fn, opt, (Xt, y), epochs=1, batch_size=16, rng=0, progress=False)


def test_fit_reports_non_finite_weights_after_a_step():
    X, y = blobs()
    model, loss_fn, _ = make()

    class Exploding(SGD):
        def step(self):
            super().step()
            self.params[0].data[0, 0] = np.inf

    opt = Exploding(model.parameters(), lr=0.01)
    with pytest.raises(FloatingPointError, match=r"fit: parameter '1.weight' became non-finite "
                                                 r"after the optimizer step at epoch 1, batch 1"):
        fit(model, loss_fn, opt, (X, y), epochs=1, batch_size=16, rng=0, progress=False)
    assert not model.training


@pytest.mark.parametrize("arg", ["model", "loss_fn", "optimizer", "train_data", "epochs",
                                 "batch_size", "rng"])
def test_fit_none_arguments_get_clear_errors(arg):
    X, y = blobs()
    model, loss_fn, opt = make()
    kwargs = dict(model=model, loss_fn=loss_fn, optimizer=opt, train_data=(X, y), epochs=1,
                  batch_size=16, rng=0, progress=False)
    kwargs[arg] = None
    if arg == "rng":
        fit(**kwargs)                 # rng=None: a fresh unseeded generator (one rng policy)
        return
    with pytest.raises(TypeError, match=rf"^fit: {arg} "):
        fit(**kwargs)


def test_evaluate_and_predict_none_arguments():
    X, y = blobs()
    model, loss_fn, _ = make()
    with pytest.raises(TypeError, match=r"^evaluate: model must be a cnncourse.nn.Module"):
        evaluate(None, loss_fn, (X, y))
    with pytest.raises(TypeError, match=r"^evaluate: loss_fn must be"):
        evaluate(model, None, (X, y))
    with pytest.raises(TypeError, match=r"^predict: model must be a cnncourse.nn.Module"):
        predict(None, X)
    with pytest.raises(TypeError, match=r"^evaluate: data must be a pair \(X, y\)"):
        evaluate(model, loss_fn, None)


def test_evaluate_sum_reduction_does_not_depend_on_batch_size():
    X, y = blobs()
    model, _, _ = make()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    results = [evaluate(model, loss_fn, (X, y), batch_size=b)[0] for b in (1, 7, 90, 256)]
    np.testing.assert_allclose(results, results[0], rtol=1e-5)
    mean = evaluate(model, nn.CrossEntropyLoss(), (X, y))[0]
    np.testing.assert_allclose(results[0], mean * len(X), rtol=1e-5)


def _cv(**kwargs):
    X, y = blobs(4)
    args = dict(make_model=lambda v, rng: mlp(4, (4,), num_classes=3, rng=rng),
                make_optimizer=lambda m, v: SGD(m.parameters(), lr=0.1), data=(X, y),
                values=[1], k=2, epochs=1, batch_size=4, rng=0)
    args.update(kwargs)
    return cross_validate(**args)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(values=None), TypeError, r"^cross_validate: values must be a sequence"),
    (dict(param=5), TypeError, r"^cross_validate: param must be the hyperparameter's name"),
    (dict(make_model=lambda v, rng: None), TypeError, r"^cross_validate: make_model\(1, rng\) must return a cnncourse.nn.Module, got NoneType"),
    (dict(make_optimizer=lambda m, v: None), TypeError, r"^fit: optimizer must be an optimizer"),
], ids=["values", "param", "make_model", "make_optimizer"])
def test_cross_validate_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        _cv(**kwargs)


def test_cross_validate_stops_on_ctrl_c():
    X, y = blobs(4)
    calls = []

    class Loss(_InterruptAt):
        def __call__(self, logits, y):
            calls.append(1)
            return super().__call__(logits, y)

    with pytest.warns(UserWarning, match="interrupted"):
        with pytest.raises(KeyboardInterrupt):
            _cv(values=[1, 2, 3], loss_fn=Loss(2))
    assert len(calls) == 2                        # the search stopped at the interrupted fold
