"""Tests for cnncourse.widgets.training: the feature-map explorer driven from code."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cnncourse import nn
from cnncourse.widgets import FeatureMapExplorer


@pytest.fixture
def model():
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3 * 3 * 4, 5, rng=rng))


@pytest.fixture
def X():
    return np.random.default_rng(1).random((6, 1, 8, 10)).astype(np.float32)


def test_layers_are_those_with_feature_maps(model, X):
    ex = FeatureMapExplorer(model, X)
    assert ex.layers == [(0, "0: Conv2d"), (1, "1: ReLU"), (2, "2: MaxPool2d")]


def test_update_picks_image_and_layer(model, X):
    ex = FeatureMapExplorer(model, X, y=np.arange(6) % 5)
    model.eval()
    np.testing.assert_allclose(ex.maps, model[0](X[:1])[0])
    ex.update(index=4, layer=2)
    expected = model[2](model[1](model[0](X[4:5])))[0]
    assert ex.maps.shape == (3, 3, 4)
    np.testing.assert_allclose(ex.maps, expected)
    assert ex.prediction == int(np.argmax(model(X[4:5])[0]))
    assert "image 4, label 4" in ex.summary() and "2: MaxPool2d: 3 maps of 3x4" in ex.summary()


def test_explorer_keeps_the_model_mode(model, X):
    model.train()
    FeatureMapExplorer(model, X)
    assert model.training


def test_class_names_in_summary(model, X):
    ex = FeatureMapExplorer(model, X, y=np.zeros(6, dtype=int), class_names=list("abcde"))
    assert "label a" in ex.summary()


def test_errors(model, X):
    ex = FeatureMapExplorer(model, X)
    with pytest.raises(ValueError, match="index must be < 6"):
        ex.update(index=6)
    ex = FeatureMapExplorer(model, X)
    with pytest.raises(ValueError, match="layer must be < 3"):
        ex.update(layer=3)
    with pytest.raises(TypeError, match="unknown parameter"):
        ex.update(image=1)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        FeatureMapExplorer(model, X[0])
    with pytest.raises(ValueError, match="no layer with 4-D"):
        FeatureMapExplorer(nn.Sequential(nn.Flatten(), nn.Linear(80, 2)), X)


def test_widget_controls_drive_update(model, X):
    ex = FeatureMapExplorer(model, X)
    ex.widget
    ex._controls["index"].value = 3
    ex._controls["layer"].value = 1
    assert (ex.index, ex.layer) == (3, 1)
    assert ex.figure() is not None
