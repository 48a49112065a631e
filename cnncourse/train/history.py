"""The learning curves recorded by :func:`cnncourse.train.fit`."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..tables import html_table, text_table

__all__ = ["History"]


@dataclass
class History:
    """Learning curves recorded by :func:`fit`, one value per epoch.

    Attributes
    ----------
    train_loss, train_acc : list of float
        Mean loss and accuracy over the epoch's minibatches, measured during training (in
        training mode, with the weights as they were at each batch).
    val_loss, val_acc : list of float
        Loss and accuracy on the validation data after each epoch (evaluation mode); empty
        when :func:`fit` got no ``val_data``.
    lr : list of float
        The optimizer's learning rate during each epoch (None if it has no ``lr``).
    seconds : list of float
        Wall-clock time of each epoch (not compared by ``==`` and not printed, so two runs
        with the same seed give equal histories).
    interrupted : bool
        True when :func:`fit` was stopped by Ctrl-C (KeyboardInterrupt): the curves hold the
        completed epochs only.
    """

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list, compare=False, repr=False)
    interrupted: bool = field(default=False, compare=False, repr=False)

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.train_loss)

    def _rows(self):
        has_val = bool(self.val_loss)
        header = ["epoch", "train_loss", "train_acc"] + (["val_loss", "val_acc"] if has_val else [])
        rows = []
        for e in range(self.epochs):
            row = [str(e + 1), f"{self.train_loss[e]:.4f}", f"{self.train_acc[e]:.4f}"]
            if has_val:
                row += [f"{self.val_loss[e]:.4f}", f"{self.val_acc[e]:.4f}"]
            rows.append(row)
        return header, rows

    def __repr__(self) -> str:
        header, rows = self._rows()
        if not rows:
            return "History(epochs=0)"
        return text_table(header, rows)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return html_table(*self._rows())

    def plot(self, ax=None, metric: str = "both"):
        """Draw the learning curves with matplotlib.

        Parameters
        ----------
        ax : matplotlib Axes, or a pair of Axes, optional
            Where to draw. ``None``: a new figure, drawn by
            :func:`cnncourse.viz.plot_history` (two side-by-side panels for ``metric='both'``).
            A single Axes needs ``metric='loss'`` or ``'acc'``.
        metric : {'both', 'loss', 'acc'}, default 'both'

        Returns
        -------
        axes : list of Axes
            The panels drawn on (loss first).
        """
        from ..viz import plot_history

        if metric not in ("both", "loss", "acc"):
            raise ValueError(f"History.plot: metric must be 'both', 'loss' or 'acc', got {metric!r}")
        n_panels = 2 if metric == "both" else 1
        if ax is not None:
            axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
            if len(axes) != n_panels:
                raise ValueError(f"History.plot: metric={metric!r} needs {n_panels} Axes, "
                                 f"got {len(axes)}")
            plot_history(self, ax=axes, metric=metric)
            return axes
        return list(plot_history(self, metric=metric).axes)
