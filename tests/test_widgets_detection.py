"""Tests for widgets.DetectionExplorer: live update, static frames, bad input."""
import numpy as np
import pytest

pytest.importorskip("ipywidgets")
from cnncourse import datasets, detection  # noqa: E402
from cnncourse.widgets import DetectionExplorer  # noqa: E402


def _explorer():
    sc = datasets.scenes(4, size=16, rng=0)
    out = np.full((4, 5, 4, 4), -5.0)
    for i, boxes in enumerate(sc.boxes):          # a perfect detector from the true boxes
        for box in boxes:
            r, c, t = detection.encode_box(box, 4)
            out[i, 0, r, c] = 0.0 + 1.0 * (i % 2)     # scores 0.5 or 0.73
            out[i, 1:, r, c] = t
    return DetectionExplorer(sc.X, out, sc.boxes, 4), sc


def test_threshold_changes_recall_and_static_frames():
    ex, sc = _explorer()
    ex.update(0.3)
    assert "recall 1.00" in ex.summary() and "precision 1.00" in ex.summary()
    ex.update(0.6)                                 # the 0.5-score images drop out
    n_high = sum(len(b) for i, b in enumerate(sc.boxes) if i % 2)
    assert f"recall {n_high / sum(len(b) for b in sc.boxes):.2f}" in ex.summary()
    frames = ex.static_frames()
    assert len(frames) == 5 and all(f["png"].startswith(b"\x89PNG") for f in frames)
    assert ex.threshold == 0.6                     # restored after the sweep
    assert "cnn-explorer-static" in ex.static_html()
    ex.widget                                      # builds the live view
    ex._slider.value = 0.2
    assert ex.threshold == pytest.approx(0.2)


def test_bad_input():
    with pytest.raises(ValueError, match="DetectionExplorer: out must have shape"):
        DetectionExplorer(np.zeros((1, 1, 8, 8)), np.zeros((1, 4, 2, 2)), [np.zeros((0, 4))], 4)
    with pytest.raises(ValueError, match="same number of images"):
        DetectionExplorer(np.zeros((2, 1, 8, 8)), np.zeros((1, 5, 2, 2)), [np.zeros((0, 4))], 4)
