"""Look inside a trained network: :class:`FeatureMapExplorer` picks an image and a layer.

Like the other explorers, its state lives in attributes and :meth:`update` recomputes it, so it
works (and is tested) without a browser::

    ex = FeatureMapExplorer(model, X_test, y_test)
    ex.update(index=7, layer=2)
    ex.maps.shape, ex.prediction

The static counterpart is :func:`cnncourse.viz.plot_feature_maps`.
"""
from __future__ import annotations

import numpy as np

from cnncourse.viz.training import layer_outputs

from cnncourse.viz.style import MAX_WIDTH_IN

from .pool import _KeywordExplorer, _positive_int

__all__ = ["FeatureMapExplorer"]


class FeatureMapExplorer(_KeywordExplorer):
    """Feature maps of any image at any convolution/activation/pooling layer of a Sequential.

    Parameters
    ----------
    model : cnncourse.nn.Sequential
        A (trained) CNN whose first layers output feature maps (N, C, H, W).
    X : ndarray, shape (N, C, H, W)
        Images to choose from.
    y : ndarray of int, shape (N,), optional
        Their labels, shown with the prediction.
    class_names : sequence of str, optional
    index, layer : int
        The initial image and layer; ``layer`` indexes :attr:`layers`.

    Attributes
    ----------
    layers : list of (int, str)
        The layers with 4-D outputs: (position in the model, 'position: ClassName').
    maps : ndarray, shape (C, H_l, W_l)
        The chosen image's feature maps after the chosen layer.
    prediction : int
        The model's predicted class for the chosen image.
    """

    _fields = ("index", "layer")

    description = "A test image (left) and the feature maps a layer of the trained network computes from it"

    def static_sweep(self):
        return "layer", "layer", list(range(len(self.layers)))

    def _static_label(self, name, value) -> str:
        return self.layers[value][1]

    def __init__(self, model, X, y=None, class_names=None, index: int = 0, layer: int = 0):
        super().__init__()
        X = np.asarray(X)
        if X.ndim != 4 or len(X) == 0:
            raise ValueError(f"FeatureMapExplorer: X must be a non-empty batch (N, C, H, W), got shape {X.shape}")
        self.model, self.X, self.y = model, X, (None if y is None else np.asarray(y))
        self.class_names = class_names
        probe = layer_outputs(model, X[:1])
        self.layers = [(i, name) for i, (name, out) in enumerate(probe) if out.ndim == 4]
        if not self.layers:
            raise ValueError("FeatureMapExplorer: the model has no layer with 4-D (N, C, H, W) output")
        self.index, self.layer = index, layer
        self.update()

    def _validate(self):
        self.index = _positive_int(self.index, "index", "FeatureMapExplorer", minimum=0)
        self.layer = _positive_int(self.layer, "layer", "FeatureMapExplorer", minimum=0)
        if self.index >= len(self.X):
            raise ValueError(f"FeatureMapExplorer.update: index must be < {len(self.X)} (the number "
                             f"of images), got {self.index}")
        if self.layer >= len(self.layers):
            raise ValueError(f"FeatureMapExplorer.update: layer must be < {len(self.layers)} (layers "
                             f"with feature maps: {[n for _, n in self.layers]}), got {self.layer}")

    def _compute(self):
        outputs = layer_outputs(self.model, self.X[self.index:self.index + 1])
        position, self.layer_name = self.layers[self.layer]
        self.maps = outputs[position][1][0]
        self.prediction = int(np.argmax(outputs[-1][1][0]))

    def _clear(self):
        self.maps = None
        self.prediction = None

    def _name(self, label) -> str:
        return str(self.class_names[label]) if self.class_names is not None else str(label)

    def summary(self) -> str:
        if self.error:
            return self.error
        truth = "" if self.y is None else f", label {self._name(int(self.y[self.index]))}"
        C, H, W = self.maps.shape
        return (f"image {self.index}{truth}, predicted {self._name(self.prediction)}; "
                f"layer {self.layer_name}: {C} maps of {H}x{W}")

    def figure(self):
        import matplotlib.pyplot as plt

        maps = self.maps[:16]
        ncols = min(8, len(maps))
        nrows = -(-len(maps) // ncols)
        fig = plt.figure(figsize=(MAX_WIDTH_IN, MAX_WIDTH_IN / (ncols + 2) * 1.25 * max(nrows, 2) + 0.5))
        grid = fig.add_gridspec(max(nrows, 2), ncols + 2)
        ax = fig.add_subplot(grid[:2, :2])
        ax.imshow(self.X[self.index, 0], cmap="gray_r")
        ax.set_title(f"image {self.index}")
        ax.axis("off")
        for k, m in enumerate(maps):
            ax = fig.add_subplot(grid[k // ncols, 2 + k % ncols])
            ax.imshow(m, cmap="viridis")
            ax.set_title(f"{k}")
            ax.axis("off")
        fig.suptitle(f"layer {self.layer_name}: {self.maps.shape[0]} maps of "
                     f"{self.maps.shape[1]}×{self.maps.shape[2]}")
        return fig

    def _make_controls(self, widgets):
        return {
            "index": widgets.IntSlider(value=self.index, min=0, max=len(self.X) - 1, description="image"),
            "layer": widgets.Dropdown(options=[(name, k) for k, (_, name) in enumerate(self.layers)],
                                      value=self.layer, description="layer"),
        }
