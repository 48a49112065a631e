"""Tests for cnncourse.viz.training: learning curves, confusion matrix, filters, feature maps."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cnncourse import nn, viz
from cnncourse.train import History


@pytest.fixture
def model():
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, rng=rng), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 3, rng=rng))


def test_plot_history_single_and_dict():
    h = History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.8], val_loss=[1.1, 0.7], val_acc=[0.4, 0.7])
    fig = viz.plot_history(h)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    fig = viz.plot_history({"a": h, "b": History(train_loss=[1.0], train_acc=[0.3])})
    assert len(fig.axes[1].lines) == 3



def test_plot_history_draws_into_given_axes_in_the_book_style():
    """History.plot(ax) and plot_history(ax=...) are one drawing: same markers, dashes, labels."""
    import matplotlib.pyplot as plt

    h = History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.8], val_loss=[1.1, 0.7], val_acc=[0.4, 0.7])
    own = viz.plot_history(h)
    fig, (a, b) = plt.subplots(1, 2)
    assert viz.plot_history(h, ax=(a, b)) is fig and fig.axes == [a, b]
    for mine, ref in zip((a, b), own.axes):
        assert [(ln.get_linestyle(), ln.get_marker(), list(ln.get_ydata())) for ln in mine.lines] == \
               [(ln.get_linestyle(), ln.get_marker(), list(ln.get_ydata())) for ln in ref.lines]
        assert mine.get_ylabel() == ref.get_ylabel()
    assert [t.get_text() for t in a.get_legend().get_texts()] == ["train", "validation"]
    _, single = plt.subplots()
    assert h.plot(single, metric="acc") == [single]
    assert [list(ln.get_ydata()) for ln in single.lines] == [[0.5, 0.8], [0.4, 0.7]]
    assert single.lines[1].get_linestyle() == "--" and single.get_ylabel() == "accuracy"
    with pytest.raises(ValueError, match="plot_history: metric='loss' needs 1 Axes in ax, got 2"):
        viz.plot_history(h, ax=(a, b), metric="loss")
    with pytest.raises(ValueError, match="plot_history: metric must be"):
        viz.plot_history(h, metric="accuracy")
    plt.close("all")

def test_plot_confusion_matrix_writes_counts():
    cm = np.array([[3, 1], [0, 2]])
    fig = viz.plot_confusion_matrix(cm, ["x", "y"])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "2", "3"]
    with pytest.raises(ValueError, match="square"):
        viz.plot_confusion_matrix(np.zeros((2, 3)))


def test_plot_misclassified():
    X = np.zeros((4, 1, 5, 5))
    fig = viz.plot_misclassified(X, np.array([0, 1, 2, 1]), np.array([0, 2, 2, 0]))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["1 -> 2", "1 -> 0"]
    assert viz.plot_misclassified(X, np.array([1, 1, 1, 1]), np.array([1, 1, 1, 1])) is None


def test_layer_outputs_and_feature_maps(model):
    x = np.random.default_rng(0).random((1, 1, 8, 8)).astype(np.float32)
    outs = viz.layer_outputs(model, x)
    assert [name for name, _ in outs] == ["0: Conv2d", "1: ReLU", "2: Flatten", "3: Linear"]
    np.testing.assert_allclose(outs[-1][1], model(x))
    fig = viz.plot_feature_maps(model, x, 1)
    assert len([ax for ax in fig.axes if ax.images]) == 4
    with pytest.raises(ValueError, match="not feature maps"):
        viz.plot_feature_maps(model, x, 2)


def test_plot_filters(model):
    fig = viz.plot_filters(model[0].weight.data)
    assert len([ax for ax in fig.axes if ax.images]) == 4
    with pytest.raises(ValueError, match="4-D"):
        viz.plot_filters(np.zeros((3, 3)))


# ------------------------------------------------------------------------------ animate_filters

def _snapshots(n=4, shape=(6, 1, 5, 5)):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape) * (k + 1) for k in range(n)]


def test_animate_filters_one_frame_per_snapshot_and_draws_each():
    from cnncourse.viz import animate_filters

    snaps = _snapshots()
    anim = animate_filters(snaps, val_acc=[0.5, 0.7, 0.8])
    assert len(list(anim.new_frame_seq())) == len(snaps)
    for k in range(len(snaps)):
        images = anim._func(k)
        for o, image in enumerate(images):
            np.testing.assert_array_equal(image.get_array(), snaps[k][o, 0])
    html = anim.to_jshtml()
    assert html.count("data:image/png") == len(snaps)


def test_animate_filters_uses_one_colour_scale_for_all_frames():
    from cnncourse.viz import animate_filters

    snaps = _snapshots()
    anim = animate_filters(snaps)
    image = anim._func(0)[0]
    vmax = max(np.abs(w).max() for w in snaps)
    assert image.norm.vmin == pytest.approx(-vmax) and image.norm.vmax == pytest.approx(vmax)
    anim.to_jshtml()  # render it, as the book does


@pytest.mark.parametrize("kwargs, match", [
    (dict(snapshots=[]), "snapshots is empty"),
    (dict(snapshots=[np.zeros((6, 1, 5, 5)), np.zeros((6, 1, 3, 3))]), "one shape"),
    (dict(snapshots=[np.zeros((6, 5, 5))]), "4-D"),
    (dict(snapshots=_snapshots(3), val_acc=[0.5]), "one value per epoch"),
    (dict(snapshots=_snapshots(3), in_channel=1), "in_channel"),
    (dict(snapshots=_snapshots(5), max_frames=4), "max_frames"),
], ids=["empty", "shapes-differ", "not-4d", "val-acc-length", "in-channel", "too-many-frames"])
def test_animate_filters_errors(kwargs, match):
    from cnncourse.viz import animate_filters

    with pytest.raises(ValueError, match=match):
        animate_filters(**kwargs)
