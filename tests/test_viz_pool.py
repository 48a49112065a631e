"""Tests for cnncourse.viz.pool: pooling dispatch, shift sensitivity, figures and animations."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cnncourse import functional as F
from cnncourse import viz
from cnncourse.viz.pool import _routing


@pytest.fixture
def fmap():
    return np.random.default_rng(0).random((6, 7))


@pytest.mark.parametrize("kind, op", [
    ("max", lambda x: F.max_pool2d(x, 2)),
    ("avg", lambda x: F.avg_pool2d(x, 2)),
    ("sum", lambda x: F.sum_pool2d(x, 2)),
    ("l2", lambda x: F.lp_pool2d(x, 2, 2)),
], ids=["max", "avg", "sum", "l2"])
def test_pool2d_dispatches_to_functional(fmap, kind, op):
    x = fmap[None, None]
    np.testing.assert_array_equal(viz.pool2d(x, kind, 2), op(x))


def test_pool2d_rejects_unknown_kind(fmap):
    with pytest.raises(ValueError, match="pool2d: kind must be one of"):
        viz.pool2d(fmap[None, None], "median", 2)


def test_relative_change():
    a = np.array([3.0, 4.0])
    assert viz.relative_change(a, a) == 0.0
    assert viz.relative_change(a, np.zeros(2)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        viz.relative_change(a, np.zeros(3))
    with pytest.raises(ValueError, match="all zeros"):
        viz.relative_change(np.zeros(2), a)


def test_shift_sensitivity_zero_shift_and_constant_rows():
    x = np.tile(np.arange(12.0), (12, 1)).T.copy()     # constant along W
    assert np.all(viz.shift_sensitivity(x, None, shifts=(0, 1, 2)) == 0)
    assert np.all(viz.shift_sensitivity(x, "max", 2, shifts=(1, 2)) == 0)
    assert viz.shift_sensitivity(x, None, shifts=(1,), axis="h")[0] > 0


def test_pooling_reduces_shift_sensitivity_on_sparse_maps():
    rng = np.random.default_rng(0)
    x = (rng.random((1, 1, 40, 40)) > 0.9).astype(np.float64)
    raw = viz.shift_sensitivity(x, None)
    pooled = viz.shift_sensitivity(x, "max", 4)
    assert raw.shape == pooled.shape == (3,)
    assert np.all(pooled < raw)


def test_shift_sensitivity_errors(fmap):
    with pytest.raises(ValueError, match="too small"):
        viz.shift_sensitivity(fmap, None, shifts=(3,))
    with pytest.raises(ValueError, match="axis"):
        viz.shift_sensitivity(fmap, None, shifts=(1,), axis="x")
    with pytest.raises(ValueError, match="non-negative"):
        viz.shift_sensitivity(fmap, None, shifts=(-1,))


def test_routing_goes_to_first_max_on_ties():
    x = np.array([[1.0, 1.0], [0.0, 1.0]])
    assert _routing(x, "max", 2, None, 0) == [(0, 0)]


@pytest.mark.parametrize("kind", ["max", "avg", "sum", "l2"])
def test_animate_pool2d_frames_and_final_output(fmap, kind):
    anim = viz.animate_pool2d(fmap, 3, 2, padding=1, kind=kind)
    out = viz.pool2d(fmap[None, None], kind, 3, 2, 1)[0, 0]
    assert anim._save_count == out.size or len(list(anim.new_frame_seq())) == out.size
    anim._init_draw()
    anim._func(out.size - 1)
    texts = [t.get_text() for t in anim._fig.axes[1].texts]
    assert texts == [f"{v:.3g}" for v in out.ravel()]


def test_animate_pool2d_refuses_too_many_frames():
    with pytest.raises(ValueError, match="max_frames"):
        viz.animate_pool2d(np.zeros((20, 20)), 2, 1)


@pytest.mark.parametrize("kind", ["max", "avg", "sum"])
def test_animate_pool_backward_last_frame_is_package_backward(fmap, kind):
    anim = viz.animate_pool_backward(fmap, 3, 2, kind=kind)
    fwd = getattr(F, f"{kind}_pool2d_forward")
    bwd = getattr(F, f"{kind}_pool2d_backward")
    out, cache = fwd(fmap[None, None], 3, 2)
    dout = np.arange(1, out.size + 1, dtype=np.float64).reshape(out.shape)
    expected = bwd(dout, cache)[0, 0]
    anim._init_draw()
    anim._func(out.size - 1)
    shown = anim._fig.axes[2].images[0].get_array()
    np.testing.assert_allclose(np.asarray(shown), expected)


def test_animate_pool_backward_errors(fmap):
    with pytest.raises(ValueError, match="kind"):
        viz.animate_pool_backward(fmap, 2, kind="l2")
    with pytest.raises(ValueError, match="dout"):
        viz.animate_pool_backward(fmap, 2, dout=np.ones((2, 2)))


def test_plot_activations_and_maps():
    fig = viz.plot_activations()
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) >= 3
    fig = viz.plot_maps([np.zeros((3, 3))] * 5, titles=list("abcde"), ncols=3)
    assert len(fig.axes) == 6
    with pytest.raises(ValueError, match="2D"):
        viz.plot_maps([np.zeros(3)])
    fig = viz.plot_shift_sensitivity([1, 2], {"unpooled": [0.5, 0.6], "max": [0.1, 0.2]})
    assert len(fig.axes[0].lines) == 2
