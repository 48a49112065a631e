"""Tests for cnncourse.widgets.pool: the explorers' state after programmatic updates."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cnncourse import functional as F
from cnncourse.viz import shift_sensitivity
from cnncourse.widgets import PoolingExplorer, PoolRoutingExplorer


@pytest.fixture
def fmap():
    return np.random.default_rng(0).random((12, 15))


def test_pooling_explorer_defaults(fmap):
    ex = PoolingExplorer(fmap)
    assert (ex.kind, ex.kernel_size, ex.stride, ex.padding) == ("max", 2, 2, 0)
    np.testing.assert_array_equal(ex.output, F.max_pool2d(fmap[None, None], 2)[0, 0])
    assert ex.error is None
    assert ex.sensitivity.shape == ex.unpooled_sensitivity.shape == (3,)


@pytest.mark.parametrize("kind, k, s, p", [("avg", 3, 2, 1), ("sum", 2, 1, 0), ("l2", 3, 3, 1),
                                           ("max", 4, 3, 2)])
def test_pooling_explorer_update_matches_functional(fmap, kind, k, s, p):
    ex = PoolingExplorer(fmap).update(kind=kind, kernel_size=k, stride=s, padding=p)
    op = {"max": lambda x: F.max_pool2d(x, k, s, p), "avg": lambda x: F.avg_pool2d(x, k, s, p),
          "sum": lambda x: F.sum_pool2d(x, k, s, p), "l2": lambda x: F.lp_pool2d(x, 2, k, s, p)}[kind]
    np.testing.assert_allclose(ex.output, op(fmap[None, None])[0, 0])
    np.testing.assert_allclose(ex.sensitivity, shift_sensitivity(fmap, kind, k, s, p))
    assert f"{fmap.shape[0]}x{fmap.shape[1]} -> {ex.output.shape[0]}x{ex.output.shape[1]}" in ex.summary()


def test_pooling_explorer_invalid_padding_reports_error_and_recovers(fmap):
    ex = PoolingExplorer(fmap, kernel_size=2)
    ex.update(padding=2)
    assert ex.output is None and "padding" in ex.error
    assert ex.summary() == ex.error
    ex.update(padding=1)
    assert ex.error is None and ex.output is not None


def test_pooling_explorer_bad_arguments(fmap):
    with pytest.raises(TypeError, match="unknown parameter"):
        PoolingExplorer(fmap).update(window=3)
    with pytest.raises(ValueError, match="kind must be one of"):
        PoolingExplorer(fmap).update(kind="median")
    with pytest.raises(ValueError, match="2D float"):
        PoolingExplorer(np.zeros((1, 1, 4, 4)))


def test_pooling_explorer_widget_controls_drive_update(fmap):
    ex = PoolingExplorer(fmap)
    ui = ex.widget
    assert ui is ex.widget
    ex._controls["kind"].value = "avg"
    ex._controls["kernel_size"].value = 3
    assert ex.kind == "avg" and ex.kernel_size == 3
    ex.update(stride=1)
    assert ex._controls["stride"].value == 1
    assert ex.figure() is not None


def test_routing_explorer_max_routes_to_first_maximum():
    x = np.array([[1.0, 1.0, 0.0],
                  [0.0, 2.0, 2.0],
                  [0.0, 0.0, 1.0]])
    ex = PoolRoutingExplorer(x, kernel_size=2, stride=1)
    assert ex.dx.sum() == 1 and ex.dx[1, 1] == 1           # tie 2, 2: the first one wins
    np.testing.assert_array_equal(ex.dx_all, [[0, 0, 0], [0, 4, 0], [0, 0, 0]])
    ex.update(i=0, j=1)
    assert ex.dx[1, 1] == 1 and ex.dx.sum() == 1
    assert "1 input element(s) [(1, 1)]" in ex.summary()


def test_routing_explorer_avg_spreads_and_clamps_position():
    x = np.arange(16.0).reshape(4, 4)
    ex = PoolRoutingExplorer(x, kind="avg", kernel_size=2, i=7, j=7)
    assert (ex.i, ex.j) == (1, 1)
    np.testing.assert_allclose(ex.dx[2:, 2:], 0.25)
    assert ex.dx.sum() == pytest.approx(1.0)
    ex.update(kind="sum", stride=1)
    assert ex.dx_all.max() == 4


def test_routing_explorer_widget_and_errors():
    ex = PoolRoutingExplorer(np.zeros((4, 4)))
    ex.widget
    ex._controls["j"].value = 1
    assert ex.j == 1
    with pytest.raises(ValueError, match="kind"):
        ex.update(kind="l2")
    ex = PoolRoutingExplorer(np.zeros((4, 4)))
    ex.update(kernel_size=5)
    assert ex.dx is None and ex.error


def test_widget_shows_png_and_summary_without_output_widget(fmap):
    ex = PoolingExplorer(fmap)
    ex.widget
    assert ex._image.value[:4] == b"\x89PNG"
    first = ex._image.value
    ex._controls["kernel_size"].value = 3
    assert ex._image.value != first and "3x3" in ex._text.value
    ex.update(padding=3)
    assert "padding" in ex._text.value and ex._image.value       # last good picture kept
