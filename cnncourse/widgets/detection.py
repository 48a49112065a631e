"""Explorer of a grid detector's score threshold (the chapter *What CNNs are used for*)."""
from __future__ import annotations

import numpy as np

from .. import detection
from ._base import Explorer, figure_png

__all__ = ["DetectionExplorer"]


class DetectionExplorer(Explorer):
    """Move the score threshold of a trained grid detector; see its boxes, precision and recall.

    Parameters
    ----------
    images : ndarray (N, 1, H, W)
    out : ndarray (N, 5, G, G)
        The detector's outputs (objectness logit, tx, ty, tw, th) on ``images``.
    truth : list of (k_i, 4) arrays
        The true boxes.
    stride : float
    threshold : float, default 0.5
    show : int, default 4
        How many images the figure draws (precision and recall use all of them).
    """

    description = "Scenes of shapes with the true boxes (green, solid) and a grid detector's boxes after NMS (orange, dashed)"

    def __init__(self, images, out, truth, stride, threshold=0.5, show=4):
        if not isinstance(out, np.ndarray) or out.ndim != 4 or out.shape[1] != 5:
            raise ValueError(f"DetectionExplorer: out must have shape (N, 5, G, G), got "
                             f"{getattr(out, 'shape', type(out).__name__)}")
        if len(images) != len(out) or len(truth) != len(out):
            raise ValueError("DetectionExplorer: images, out and truth must hold the same number of images")
        self.images, self.out, self.truth, self.stride = images, out, truth, stride
        self.threshold = float(threshold)
        self.show = int(show)

    def detections(self):
        return detection.decode_grid(self.out, self.stride, self.threshold, 0.3)

    def summary(self) -> str:
        p, r = detection.precision_recall([b for b, _ in self.detections()], self.truth)
        return f"threshold {self.threshold:.2f}: precision {p:.2f}, recall {r:.2f}"

    def figure(self):
        import matplotlib.pyplot as plt

        dets = self.detections()
        fig, axes = plt.subplots(1, self.show, figsize=(6.4, 6.4 / self.show + 0.4))
        for ax, i in zip(np.atleast_1d(axes), range(self.show)):
            ax.imshow(self.images[i, 0], cmap="gray")
            for (x0, y0, x1, y1) in self.truth[i]:
                ax.add_patch(plt.Rectangle((x0 - .5, y0 - .5), x1 - x0, y1 - y0, fill=False, color="tab:green", lw=2))
            for (x0, y0, x1, y1) in dets[i][0]:
                ax.add_patch(plt.Rectangle((x0 - .5, y0 - .5), x1 - x0, y1 - y0, fill=False,
                                           color="tab:orange", lw=2, ls="--"))
            ax.axis("off")
        fig.suptitle(self.summary())
        return fig

    def update(self, threshold=None):
        if threshold is not None:
            self.threshold = float(threshold)
        if self._ui is not None:
            self._image.value = figure_png(self.figure())

    def _build_widget(self):
        import ipywidgets as widgets

        self._image = widgets.Image(format="png")
        self._slider = widgets.FloatSlider(value=self.threshold, min=0.05, max=0.95, step=0.05,
                                           description="threshold")
        self._slider.observe(lambda change: self.update(change["new"]), names="value")
        ui = widgets.VBox([self._slider, self._image])
        self._image.value = figure_png(self.figure())
        return ui

    def static_sweep(self):
        return "threshold", "score threshold", [0.2, 0.35, 0.5, 0.65, 0.8]

    def _static_set(self, name, value) -> None:
        self.threshold = float(value)

    def _static_frame(self):
        return figure_png(self.figure()), self.summary()
