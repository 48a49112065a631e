"""viz.modern (activation statistics through a deep plain stack, histogram animation) and
widgets.InitExplorer."""
from __future__ import annotations

import math

import numpy as np
import pytest

from cnncourse.viz import modern as vizm
from cnncourse.viz.player import BookAnimation
from cnncourse.widgets import InitExplorer


def test_he_keeps_the_scale_and_the_others_do_not():
    he = vizm.activation_statistics("he", depth=12, channels=16, batch=2)
    assert he.shape == (12,) and all(1 / 8 < m / he[0] < 8 for m in he)
    small = vizm.activation_statistics("naive", std=0.01, depth=12, channels=16, batch=2)
    large = vizm.activation_statistics("naive", std=1.0, depth=12, channels=16, batch=2)
    default = vizm.activation_statistics("default", depth=12, channels=16, batch=2)
    assert small[-1] / small[0] < 1e-15 and large[-1] / large[0] > 1e15
    assert default[-1] / default[0] < 1e-5


def test_naive_with_he_std_matches_he_in_expectation():
    ms = vizm.activation_statistics("naive", std=math.sqrt(2 / (16 * 9)), depth=10, channels=16, batch=2)
    assert all(1 / 8 < m / ms[0] < 8 for m in ms)


def test_keep_returns_the_activations_and_bad_init_raises():
    ms, acts = vizm.activation_statistics("xavier", depth=3, channels=4, batch=1, keep=True)
    assert len(acts) == 3 and np.isclose(np.mean(acts[-1] ** 2), ms[-1])
    assert acts[0].shape == (1, 4, 8, 8) and acts[-1].shape == (1, 4, 4, 4)
    with pytest.raises(ValueError, match="init_weight: init must be one of"):
        vizm.activation_statistics("kaiming", depth=2)
    with pytest.raises(ValueError, match="activation_statistics.*depth"):
        vizm.activation_statistics("he", depth=0)


def test_animation_has_one_frame_per_layer_and_alt_text():
    _, acts = vizm.activation_statistics("he", depth=4, channels=4, batch=1, keep=True)
    anim = vizm.animate_activation_histograms({"he": acts, "he again": acts})
    assert isinstance(anim, BookAnimation) and "Histograms" in anim.alt
    assert len(anim.frames_png()) == 4


def test_plot_has_one_line_per_initialisation():
    fig = vizm.plot_activation_statistics({"a": np.ones(3), "b": np.full(3, 0.1)})
    assert len(fig.axes[0].get_lines()) == 2


def test_init_explorer_update_summary_errors_and_static_frames():
    ex = InitExplorer(depth=6, channels=4)
    assert ex.ms.shape == (6,) and "he init" in ex.summary()
    ex.update(init="naive", std=0.01)
    assert ex.ms[-1] / ex.ms[0] < 1e-6
    with pytest.raises(ValueError, match="InitExplorer.update: init must be one of"):
        ex.update(init="kaiming")
    with pytest.raises(ValueError, match="InitExplorer.update: std must be a positive number"):
        ex.update(init="he", std=-1)
    ex.update(init="he", std=0.05, depth=4)
    frames = ex.static_frames()
    assert [f["value"] for f in frames] == list(vizm.INITS) and all(f["png"] for f in frames)
    with pytest.raises(TypeError, match="unknown parameter"):
        ex.update(width=3)
