"""Figures of the chapter *Modern CNNs*: activation statistics through a deep plain stack.

:func:`activation_statistics` runs random images through ``depth`` layers of
``Conv2d(3x3, no padding) -> ReLU`` initialised one way; :func:`plot_activation_statistics` draws
the mean square of the activations layer by layer, and :func:`animate_activation_histograms` their
histograms as the signal goes deeper (a :class:`~cnncourse.viz.player.BookAnimation`,
which displays itself as the book's player).
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..checks import check_positive_int
from .player import BookAnimation
from .style import BOOK_DPI, fit_width

__all__ = ["INITS", "init_weight", "activation_statistics", "plot_activation_statistics",
           "animate_activation_histograms"]

INITS = ("he", "xavier", "default", "naive")


def init_weight(shape, init: str, rng, std: float = 0.01) -> np.ndarray:
    """A float64 weight: He normal, Xavier normal, PyTorch's default, or naive ``N(0, std^2)``."""
    if init == "he":
        return nn.init.kaiming_normal(shape, nonlinearity="relu", rng=rng, dtype=np.float64)
    if init == "xavier":
        return nn.init.xavier_normal(shape, rng=rng, dtype=np.float64)
    if init == "default":
        return nn.init.default_weight(shape, rng=rng, dtype=np.float64)
    if init == "naive":
        return std * rng.standard_normal(shape)
    raise ValueError(f"init_weight: init must be one of {INITS}, got {init!r}")


def activation_statistics(init: str, *, std: float = 0.01, depth: int = 20, channels: int = 32,
                          batch: int = 4, seed: int = 0, keep: bool = False):
    """Mean square of the activations after each ReLU of a deep plain stack.

    ``depth`` layers of ``Conv2d(channels, channels, 3)`` (no padding, so no border effect;
    input side ``2 * depth + 4``) and ReLU, weights from :func:`init_weight`, input
    ``N(0, 1)`` images. Returns ``ms`` of shape (depth,), and with ``keep=True`` also the list
    of activations (float64).
    """
    depth = check_positive_int(depth, "activation_statistics", "depth")
    channels = check_positive_int(channels, "activation_statistics", "channels")
    rng = np.random.default_rng(seed)
    size = 2 * depth + 4
    x = rng.standard_normal((batch, channels, size, size))
    ms, kept = [], []
    for _ in range(depth):
        conv = nn.Conv2d(channels, channels, 3, bias=False, dtype=np.float64, rng=rng)
        conv.weight.data = init_weight(conv.weight.shape, init, rng, std)
        x = np.maximum(conv(x), 0)
        ms.append(float(np.mean(x ** 2)))
        if keep:
            kept.append(x)
    ms = np.array(ms)
    return (ms, kept) if keep else ms


def plot_activation_statistics(stats: dict, ax=None):
    """``stats``: {label: mean squares per layer}; a log-scale line per initialisation."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6))   # the book width (style.MAX_WIDTH_IN)
    markers = "osD^vx"
    for k, (label, ms) in enumerate(stats.items()):
        ax.semilogy(np.arange(1, len(ms) + 1), ms, marker=markers[k % len(markers)], label=label)
    ax.set_xlabel("layer")
    ax.set_ylabel("mean square of the activations")
    ax.legend(fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    return ax.figure


def animate_activation_histograms(activations: dict, *, bins: int = 40, interval: int = 500,
                                  dpi: int = BOOK_DPI):
    """One frame per layer: a histogram of the (non-zero) activations of each initialisation.

    ``activations``: {label: list of arrays, one per layer}. The x axis is each layer's values
    divided by their root mean square at layer 1, so a collapsing signal piles up at 0.
    """
    import matplotlib.pyplot as plt

    labels = list(activations)
    depth = len(activations[labels[0]])
    fig, axes = plt.subplots(1, len(labels), figsize=fit_width(3.2 * len(labels), 2.8), dpi=dpi,
                             squeeze=False)
    axes = axes[0]
    scale = {k: float(np.sqrt(np.mean(activations[k][0] ** 2))) or 1.0 for k in labels}

    def draw(layer):
        for ax, label in zip(axes, labels):
            ax.cla()
            values = activations[label][layer].ravel() / scale[label]
            values = values[values > 0]
            ax.hist(np.clip(values, 0, 4), bins=bins, range=(0, 4), color="#4477aa")
            rms = float(np.sqrt(np.mean(activations[label][layer] ** 2)))
            ax.set_title(f"{label}: layer {layer + 1}\nrms {rms:.2g}", fontsize=10)
            ax.set_xlabel("activation / rms at layer 1", fontsize=9)
            ax.set_yticks([])
        fig.tight_layout()

    alt = (f"Histograms of the activations of a {depth}-layer plain stack, one frame per layer, "
           f"for the initialisations {', '.join(labels)}: the values divided by their root mean "
           f"square at layer 1, so a shrinking signal piles up at zero")
    captions = [f"layer {k + 1} of {depth}" for k in range(depth)]
    return BookAnimation(fig, draw, frames=depth, interval=interval, alt=alt, labels=captions)
