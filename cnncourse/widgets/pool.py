"""Pooling explorers: the forward pass (:class:`PoolingExplorer`) and the backward pass
(:class:`PoolRoutingExplorer`).

Each explorer is a plain object whose state lives in attributes and whose :meth:`update`
recomputes everything with :mod:`cnncourse.functional`; the ipywidgets controls only call
:meth:`update`. So the logic can be tested (and used in a script) without a browser::

    ex = PoolingExplorer(feature_map)
    ex.update(kind="avg", kernel_size=3, stride=2)
    ex.output.shape, ex.sensitivity

In a notebook, display the object (or ``ex.widget``) to get sliders; in the static book the
same display shows a slider over precomputed pictures (:class:`~cnncourse.widgets._base.Explorer`).
Their animated counterparts are :func:`cnncourse.viz.animate_pool2d` and :func:`cnncourse.viz.animate_pool_backward`.
"""
from __future__ import annotations

import numpy as np

from cnncourse.checks import is_int
from cnncourse.viz.pool import POOL_KINDS, pool2d, shift_sensitivity
from cnncourse.viz.style import MAX_WIDTH_IN

from ._base import Explorer, figure_png

__all__ = ["PoolingExplorer", "PoolRoutingExplorer"]


def _as_map(x, cls: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{cls}: feature_map must be a 2D float array (H, W), got shape {x.shape} "
                         f"and dtype {x.dtype}")
    return x


def _positive_int(value, name: str, cls: str, minimum: int = 1) -> int:
    if not is_int(value):
        raise TypeError(f"{cls}.update: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{cls}.update: {name} must be >= {minimum}, got {value}")
    return int(value)


class _KeywordExplorer(Explorer):
    """An explorer whose state lives in attributes: ``update(**changes)`` validates, recomputes, redraws."""

    _fields: tuple[str, ...] = ()

    def __init__(self):
        self._image = None      # ipywidgets.Image (and HTML summary) once the widget is built
        self._text = None
        self._controls = {}
        self._syncing = False

    def update(self, **changes):
        """Set any of the explorer's parameters, recompute, and redraw if displayed.

        Returns ``self``. An invalid combination (e.g. padding larger than half the window)
        does not raise: :attr:`error` holds the package's message and the outputs are ``None``.
        """
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__}.update: unknown parameter(s) {sorted(unknown)}; "
                            f"expected some of {list(self._fields)}")
        for name, value in changes.items():
            setattr(self, name, value)
        self._validate()
        try:
            self._compute()
            self.error = None
        except ValueError as exc:
            self.error = str(exc)
            self._clear()
        self._sync_controls()
        self._redraw()
        return self

    def _sync_controls(self):
        if not self._controls:
            return
        self._syncing = True
        try:
            for name, control in self._controls.items():
                if control.value != getattr(self, name):
                    control.value = getattr(self, name)
        finally:
            self._syncing = False

    def _on_change(self, name):
        def handler(change):
            if not self._syncing:
                self.update(**{name: change["new"]})
        return handler

    def _redraw(self):
        """Render the figure to PNG bytes in an ``Image`` widget and the summary in an ``HTML`` one.

        No ``Output`` widget and no ``clear_output``: only widget values change, which is
        robust in headless execution (nbclient, the book build) and keeps the last picture in
        the saved widget state.
        """
        if self._image is None:
            return
        import html
        import io

        import matplotlib.pyplot as plt

        if not self.error:
            self._image.value = figure_png(self.figure())
        self._text.value = f"<pre style='white-space:pre-wrap'>{html.escape(self.summary())}</pre>"

    def _build_widget(self):
        import ipywidgets as widgets

        self._image = widgets.Image(format="png")
        self._text = widgets.HTML()
        self._controls = self._make_controls(widgets)
        for name, control in self._controls.items():
            control.observe(self._on_change(name), names="value")
        ui = widgets.VBox([widgets.HBox(list(self._controls.values()),
                                        layout=widgets.Layout(flex_flow="row wrap")), self._text, self._image])
        self._redraw()
        return ui

    # the static version
    def _static_set(self, name, value) -> None:
        self.update(**{name: value})

    def _static_frame(self):
        if self.error:
            return None, self.error
        return figure_png(self.figure()), self.summary().replace("\n", "; ")


class PoolingExplorer(_KeywordExplorer):
    """Pool a feature map with any reduction, window, stride and padding; see its shift sensitivity.

    Parameters
    ----------
    feature_map : ndarray, shape (H, W), float
        E.g. a ReLU'd edge response of a photograph.
    kind : {'max', 'avg', 'sum', 'l2'}
    kernel_size, stride, padding : int
        ``stride=None`` means ``stride = kernel_size``.
    shifts : sequence of int
        The shifts (pixels, horizontal) at which :attr:`sensitivity` is measured.

    Attributes
    ----------
    output : ndarray (H_out, W_out) or None
        The pooled map (``None`` when the settings are invalid, see :attr:`error`).
    sensitivity : ndarray (len(shifts),) or None
        Relative change of the pooled map when the input moves by each shift
        (:func:`cnncourse.viz.shift_sensitivity`).
    unpooled_sensitivity : ndarray (len(shifts),)
        The same measured on the feature map itself, for comparison.
    error : str or None
        Why the current settings are invalid, in the package's words.
    """

    _fields = ("kind", "kernel_size", "stride", "padding")
    description = ("A feature map (left), the same map pooled (middle) and how much each representation "
                   "changes when the input shifts by a few pixels (right)")

    def static_sweep(self):
        return "kernel_size", "window (stride = window)", list(range(1, 7))

    def _static_set(self, name, value) -> None:
        self.update(**{name: value, "stride": value} if name == "kernel_size" else {name: value})

    def static_frames(self):
        stride = self.stride
        try:
            return super().static_frames()
        finally:
            self.update(stride=stride)

    def __init__(self, feature_map, kind: str = "max", kernel_size: int = 2, stride: int | None = None,
                 padding: int = 0, shifts=(1, 2, 3)):
        super().__init__()
        self.x = _as_map(feature_map, "PoolingExplorer")
        self.shifts = tuple(int(s) for s in shifts)
        self.unpooled_sensitivity = shift_sensitivity(self.x, None, shifts=self.shifts)
        self.kind, self.kernel_size, self.stride, self.padding = kind, kernel_size, stride, padding
        self.update()

    def _validate(self):
        if self.kind not in POOL_KINDS:
            raise ValueError(f"PoolingExplorer.update: kind must be one of {POOL_KINDS}, got {self.kind!r}")
        self.kernel_size = _positive_int(self.kernel_size, "kernel_size", "PoolingExplorer")
        if self.stride is None:
            self.stride = self.kernel_size
        self.stride = _positive_int(self.stride, "stride", "PoolingExplorer")
        self.padding = _positive_int(self.padding, "padding", "PoolingExplorer", minimum=0)

    def _compute(self):
        args = (self.kind, self.kernel_size, self.stride, self.padding)
        self.output = pool2d(self.x[None, None], *args)[0, 0]
        self.sensitivity = shift_sensitivity(self.x, *args, shifts=self.shifts)

    def _clear(self):
        self.output = None
        self.sensitivity = None

    def summary(self) -> str:
        """One line describing the current result."""
        if self.error:
            return self.error
        sens = ", ".join(f"{s}px: {p:.2f} (unpooled {u:.2f})"
                         for s, p, u in zip(self.shifts, self.sensitivity, self.unpooled_sensitivity))
        # one line per fact, each short enough for the book's column
        return (f"{self.kind} pool {self.kernel_size}x{self.kernel_size}, stride {self.stride}, "
                f"padding {self.padding}: {self.x.shape[0]}x{self.x.shape[1]} -> "
                f"{self.output.shape[0]}x{self.output.shape[1]}\nrelative change under shifts: {sens}")

    def figure(self):
        """Input, pooled output and the shift sensitivity, as a matplotlib figure."""
        import matplotlib.pyplot as plt
        from cnncourse.viz.pool import plot_shift_sensitivity

        fig = plt.figure(figsize=(MAX_WIDTH_IN, 6.0))
        grid = fig.add_gridspec(2, 2, height_ratios=[1, 1])
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
        axes[0].imshow(self.x, cmap="gray")
        axes[0].set_title(f"feature map {self.x.shape[0]}×{self.x.shape[1]}")
        axes[1].imshow(self.output, cmap="gray")
        axes[1].set_title(f"{self.kind} pool → {self.output.shape[0]}×{self.output.shape[1]}")
        for ax in axes[:2]:
            ax.set_xticks([])
            ax.set_yticks([])
        plot_shift_sensitivity(self.shifts, {"unpooled": self.unpooled_sensitivity,
                                             f"{self.kind} {self.kernel_size}×{self.kernel_size}, stride "
                                             f"{self.stride}": self.sensitivity}, ax=axes[2])
        axes[2].legend(loc="upper left", frameon=False)
        fig.tight_layout()
        return fig

    def _make_controls(self, widgets):
        return {
            "kind": widgets.Dropdown(options=list(POOL_KINDS), value=self.kind, description="kind"),
            "kernel_size": widgets.IntSlider(value=self.kernel_size, min=1, max=8, description="window"),
            "stride": widgets.IntSlider(value=self.stride, min=1, max=8, description="stride"),
            "padding": widgets.IntSlider(value=self.padding, min=0, max=4, description="padding"),
        }


class PoolRoutingExplorer(_KeywordExplorer):
    """Where does the gradient of one pooled output go? Max pooling routes, average spreads.

    Pick an output position ``(i, j)``: :attr:`dx` is the package's backward pass for an
    upstream gradient that is 1 at ``(i, j)`` and 0 elsewhere, i.e. how much each input
    element receives. :attr:`dx_all` is the backward of an all-ones gradient: with overlapping
    windows an input element that wins several windows receives several gradients.

    Parameters
    ----------
    x : ndarray, shape (H, W), float
    kind : {'max', 'avg', 'sum'}
    kernel_size, stride : int
        ``stride=None`` means ``stride = kernel_size``.
    i, j : int
        Output position; clamped into the output when the settings change.

    Attributes
    ----------
    output, dx, dx_all : ndarray or None
    error : str or None
    """

    _fields = ("kind", "kernel_size", "stride", "i", "j")
    KINDS = ("max", "avg", "sum")
    description = ("An input with one pooling window outlined (left), the gradient it receives from that "
                   "window's output (middle) and from all outputs (right)")

    def static_sweep(self):
        return "stride", "stride", list(range(1, self.kernel_size + 2))

    def __init__(self, x, kind: str = "max", kernel_size: int = 2, stride: int | None = None,
                 i: int = 0, j: int = 0):
        super().__init__()
        self.x = _as_map(x, "PoolRoutingExplorer").astype(np.float64)
        self.kind, self.kernel_size, self.stride, self.i, self.j = kind, kernel_size, stride, i, j
        self.update()

    def _validate(self):
        if self.kind not in self.KINDS:
            raise ValueError(f"PoolRoutingExplorer.update: kind must be one of {self.KINDS}, got {self.kind!r}")
        self.kernel_size = _positive_int(self.kernel_size, "kernel_size", "PoolRoutingExplorer")
        if self.stride is None:
            self.stride = self.kernel_size
        self.stride = _positive_int(self.stride, "stride", "PoolRoutingExplorer")
        self.i = _positive_int(self.i, "i", "PoolRoutingExplorer", minimum=0)
        self.j = _positive_int(self.j, "j", "PoolRoutingExplorer", minimum=0)

    def _compute(self):
        from cnncourse.viz.pool import _pool_forward_backward

        fwd, bwd = _pool_forward_backward(self.kind)
        out, cache = fwd(self.x[None, None], self.kernel_size, self.stride, 0)
        H_out, W_out = out.shape[-2:]
        self.i, self.j = min(self.i, H_out - 1), min(self.j, W_out - 1)
        dout = np.zeros_like(out)
        dout[0, 0, self.i, self.j] = 1.0
        self.output = out[0, 0]
        self.dx = bwd(dout, cache)[0, 0]
        self.dx_all = bwd(np.ones_like(out), cache)[0, 0]

    def _clear(self):
        self.output = self.dx = self.dx_all = None

    def summary(self) -> str:
        if self.error:
            return self.error
        receivers = [tuple(int(v) for v in idx) for idx in np.argwhere(self.dx != 0)]
        return (f"{self.kind} pool {self.kernel_size}x{self.kernel_size}, stride {self.stride}: output "
                f"({self.i}, {self.j}) = {self.output[self.i, self.j]:.3g}\nsends its gradient to "
                f"{len(receivers)} input element(s) {receivers}\nthe most any element receives from "
                f"all windows is {self.dx_all.max():.3g}")

    def figure(self):
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
        from cnncourse.viz.pool import _grid

        fig, grid = plt.subplots(2, 2, figsize=(MAX_WIDTH_IN, 6.2))
        grid[0, 1].axis("off")
        grid[0, 1].text(0.05, 0.5, f"{self.kind} pool\nwindow {self.kernel_size}×{self.kernel_size}\n"
                        f"stride {self.stride}\noutput ({self.i}, {self.j})", va="center", ha="left",
                        transform=grid[0, 1].transAxes)
        axes = [grid[0, 0], grid[1, 0], grid[1, 1]]
        _grid(axes[0], self.x, "input x", "{:.2g}")
        _grid(axes[1], self.dx, f"dx for dout = 1 at ({self.i}, {self.j})", "{:.2g}", cmap="Greens")
        _grid(axes[2], self.dx_all, "dx for dout = all ones", "{:.2g}", cmap="Greens")
        k, s = self.kernel_size, self.stride
        for ax in axes[:2]:
            ax.add_patch(Rectangle((self.j * s - 0.5, self.i * s - 0.5), k, k, fill=False, lw=3, ec="tab:red"))
        fig.tight_layout()
        return fig

    def _make_controls(self, widgets):
        return {
            "kind": widgets.Dropdown(options=list(self.KINDS), value=self.kind, description="kind"),
            "kernel_size": widgets.IntSlider(value=self.kernel_size, min=1, max=4, description="window"),
            "stride": widgets.IntSlider(value=self.stride, min=1, max=4, description="stride"),
            "i": widgets.IntSlider(value=self.i, min=0, max=self.x.shape[0] - 1, description="out row i"),
            "j": widgets.IntSlider(value=self.j, min=0, max=self.x.shape[1] - 1, description="out col j"),
        }
