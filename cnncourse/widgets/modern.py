"""Explore initialisation: :class:`InitExplorer` shows the activations' mean square layer by layer
through a deep plain stack for a chosen initialisation (static counterpart:
:func:`cnncourse.viz.modern.plot_activation_statistics`). Works without a browser::

    ex = InitExplorer()
    ex.update(init="naive", std=0.05, depth=12)
    ex.ms[-1]
"""
from __future__ import annotations

from cnncourse.viz.modern import INITS, activation_statistics, plot_activation_statistics

from .pool import _KeywordExplorer, _positive_int

__all__ = ["InitExplorer"]


class InitExplorer(_KeywordExplorer):
    """Activation statistics of ``depth`` Conv2d(3x3)+ReLU layers under one initialisation.

    Parameters
    ----------
    init : {'he', 'xavier', 'default', 'naive'}
    std : float
        Standard deviation of the naive N(0, std^2) weights (used when init='naive').
    depth : int

    Attributes
    ----------
    ms : ndarray, shape (depth,)
        Mean square of the activations after each layer.
    """

    _fields = ("init", "std", "depth")

    description = ("The mean square of the activations, layer by layer (log scale), through a deep "
                   "plain stack of 3x3 convolutions and ReLUs under one initialisation")

    def static_sweep(self):
        return "init", "initialisation", list(INITS)

    def __init__(self, init: str = "he", std: float = 0.05, depth: int = 20, channels: int = 16):
        super().__init__()
        self.init, self.std, self.depth, self.channels = init, std, depth, channels
        self.update()

    def _validate(self):
        if self.init not in INITS:
            raise ValueError(f"InitExplorer.update: init must be one of {INITS}, got {self.init!r}")
        self.depth = _positive_int(self.depth, "depth", "InitExplorer")
        if not isinstance(self.std, (int, float)) or not self.std > 0:
            raise ValueError(f"InitExplorer.update: std must be a positive number, got {self.std!r}")

    def _compute(self):
        self.ms = activation_statistics(self.init, std=float(self.std), depth=self.depth,
                                        channels=self.channels, batch=2)

    def _clear(self):
        self.ms = None

    def summary(self) -> str:
        if self.error:
            return self.error
        return (f"{self.init} init: mean square {self.ms[0]:.3g} after layer 1, "
                f"{self.ms[-1]:.3g} after layer {self.depth} (ratio {self.ms[-1] / self.ms[0]:.3g})")

    def figure(self):
        label = f"naive N(0, {self.std:g}²)" if self.init == "naive" else self.init
        fig = plot_activation_statistics({label: self.ms})
        fig.axes[0].set_title(self.summary(), fontsize=9)
        return fig

    def _make_controls(self, widgets):
        return {
            "init": widgets.Dropdown(options=list(INITS), value=self.init, description="init"),
            "std": widgets.FloatLogSlider(value=self.std, base=10, min=-3, max=0, step=0.1,
                                          description="naive std"),
            "depth": widgets.IntSlider(value=self.depth, min=2, max=30, description="depth"),
        }
