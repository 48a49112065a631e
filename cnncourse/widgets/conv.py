"""Interactive explorers for the convolution chapters (ipywidgets).

Each explorer is an :class:`~cnncourse.widgets._base.Explorer` with a ``widget`` attribute
(displaying the explorer displays it, plus a kernel-free static version for the book),
a plain ``update()`` method that recomputes everything from the controls' current values, and
a ``state`` dict with what was computed. The logic runs without a browser, so the tests set
the controls' values in Python and read ``state``. Figures are rendered to PNG into an
``ipywidgets.Image``, which works with any matplotlib backend.

=============================  ==============================================================
:class:`ConvArithmeticExplorer`  sliders for size, kernel, padding, stride, dilation (and the
                                 transposed case): the layout and the output-size formula
:class:`FilterExplorer`          a preset or hand-edited 3x3 kernel applied to a photo
:class:`SmoothingExplorer`       a 1D noisy signal smoothed by a box or Gaussian kernel
:class:`ShiftExplorer`           shift an image: the feature map moves with it (equivariance),
                                 a classifier's prediction may not (invariance)
=============================  ==============================================================

Static counterparts (for readers of the book without a kernel) are in :mod:`cnncourse.viz.conv`.
"""
from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np

try:
    import ipywidgets as widgets
except ImportError as exc:  # pragma: no cover - ipywidgets is an optional dependency
    raise ImportError("cnncourse.widgets needs ipywidgets: pip install 'cnncourse[widgets]'") from exc

from .. import arithmetic, filters
from ..viz import conv as vconv
from ..viz.style import MAX_WIDTH_IN
from ._base import Explorer, _plain, figure_png

__all__ = ["ConvArithmeticExplorer", "FilterExplorer", "SmoothingExplorer", "ShiftExplorer",
           "conv_arithmetic_explorer", "filter_explorer", "smoothing_explorer", "shift_explorer",
           "PRESET_KERNELS"]


_png = figure_png


class _ControlExplorer(Explorer):
    """An explorer whose state is its controls' values (the widget is built in ``__init__``)."""

    _busy = False

    def _static_set(self, name, value) -> None:
        getattr(self, name).value = value      # the control's observer calls update()

    def _static_frame(self):
        png = bytes(self.image.value or b"")
        return (png or None), _plain(self.label.value)


class ConvArithmeticExplorer(_ControlExplorer):
    """Sliders for a convolution's input size, kernel, padding, stride and dilation.

    ``update()`` redraws the layout (as :func:`cnncourse.viz.conv.draw_conv2d`) and writes the
    output-size formula with the numbers substituted. With ``transposed=True`` the
    transposed convolution (with ``output_padding``) is shown instead. A configuration whose
    output would be empty, or that the op refuses, shows the error message instead of raising.

    Attributes
    ----------
    input_size, kernel_size, padding, stride, dilation, output_padding : IntSlider
    transposed : Checkbox
    step : IntSlider
        Which output pixel's window to highlight.
    state : dict
        ``output_size`` (int or None), ``error`` (str or None), ``formula`` (str).
    """

    description = ("The layout of a convolution: the padded input with the kernel's window on the left, "
                   "the output grid on the right, and the output-size formula")

    def static_sweep(self):
        return "padding", "padding P", list(range(0, 4))

    def __init__(self, input_size=5, kernel_size=3, padding=0, stride=1, dilation=1, transposed=False,
                 output_padding=0):
        s = dict(continuous_update=False, style={"description_width": "90px"})
        self.input_size = widgets.IntSlider(input_size, 1, 12, description="input H=W", **s)
        self.kernel_size = widgets.IntSlider(kernel_size, 1, 7, description="kernel F", **s)
        self.padding = widgets.IntSlider(padding, 0, 4, description="padding P", **s)
        self.stride = widgets.IntSlider(stride, 1, 4, description="stride S", **s)
        self.dilation = widgets.IntSlider(dilation, 1, 3, description="dilation D", **s)
        self.output_padding = widgets.IntSlider(output_padding, 0, 3, description="output_padding a", **s)
        self.transposed = widgets.Checkbox(transposed, description="transposed convolution")
        self.step = widgets.IntSlider(0, 0, 0, description="window", **s)
        self.label = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.state: dict = {}
        controls = (self.input_size, self.kernel_size, self.padding, self.stride, self.dilation,
                    self.output_padding, self.transposed)
        self._observe(*controls, self.step)
        self._ui = widgets.VBox([
            widgets.HBox([widgets.VBox(list(controls[:3])), widgets.VBox(list(controls[3:]))]),
            self.step, self.label, self.image])
        self.update()

    def update(self) -> dict:
        """Recompute the output size and redraw; returns (and stores) ``state``."""
        i, k, p = self.input_size.value, self.kernel_size.value, self.padding.value
        s, d, a = self.stride.value, self.dilation.value, self.output_padding.value
        self.state = {"output_size": None, "error": None, "formula": ""}
        try:
            if self.transposed.value:
                o = arithmetic.conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=a, dilation=d)
                formula = (f"H_out = (H - 1)·S - 2P + D(F - 1) + a + 1 = ({i} - 1)·{s} - 2·{p} + "
                           f"{d}·({k} - 1) + {a} + 1 = {o}")
            else:
                o = arithmetic.conv_output_size(i, k, stride=s, padding=p, dilation=d)
                formula = "H_out = floor((H + 2P - D(F - 1) - 1) / S) + 1:\n" + \
                    arithmetic.explain_conv_output_size(i, k, stride=s, padding=p, dilation=d)
        except (ValueError, TypeError) as err:
            self.state["error"] = str(err)
            self.label.value = f"<b style='color:#b71c1c'>Invalid configuration:</b> {html.escape(str(err))}"
            self.image.value = b""
            return self.state
        self.state.update(output_size=o, formula=formula)
        n_steps = o * o
        if self.step.max != n_steps - 1:
            self._busy = True  # changing the slider's range must not re-enter update()
            try:
                self.step.max = n_steps - 1
            finally:
                self._busy = False
        lines = html.escape(formula).replace("\n", "<br>")
        self.label.value = f"<b>output size {o}×{o}</b><br><code>{lines}</code>"
        try:
            if self.transposed.value:
                ax = vconv.draw_conv_transpose2d(i, k, s, p, a, d, step=self.step.value)
            else:
                ax = vconv.draw_conv2d(i, k, p, s, d, step=self.step.value)
            self.image.value = _png(ax.figure)
        except ValueError as err:  # a layout the drawing cannot show (e.g. padding > D(F-1) transposed)
            self.state["error"] = str(err)
            self.label.value += f"<br><i>(no drawing: {html.escape(str(err))})</i>"
            self.image.value = b""
        return self.state


def conv_arithmetic_explorer(**kwargs) -> ConvArithmeticExplorer:
    """Build a :class:`ConvArithmeticExplorer` (keyword arguments are the initial values)."""
    return ConvArithmeticExplorer(**kwargs)


#: Kernels offered by :class:`FilterExplorer` (all 3x3).
PRESET_KERNELS = {
    "identity": np.array([[0.0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box blur": filters.box_kernel(3),
    "Gaussian blur": filters.gaussian_kernel(0.85, size=3),
    "sharpen": np.array(filters.SHARPEN),
    "Sobel x (vertical edges)": np.array(filters.SOBEL_X),
    "Sobel y (horizontal edges)": np.array(filters.SOBEL_Y),
    "Laplacian": np.array(filters.LAPLACIAN),
}


class FilterExplorer(_ControlExplorer):
    """Choose a preset 3x3 kernel or edit its nine numbers, and see it applied to an image.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        A grayscale image (e.g. ``filters.to_grayscale(photo)``); large images are shown
        downsampled by ``2`` per axis until they fit in ``max_size`` pixels for speed.

    Attributes
    ----------
    preset : Dropdown
    cells : list of 9 FloatText, row-major
    state : dict
        ``kernel`` (3, 3) ndarray, ``output`` (H', W') ndarray, ``error`` (str or None).
    """

    description = "A grayscale photograph (left) and the same photograph filtered by a 3×3 kernel (right)"

    def static_sweep(self):
        return "preset", "kernel", list(PRESET_KERNELS)

    def __init__(self, image: np.ndarray, preset: str = "Sobel x (vertical edges)", max_size: int = 256):
        image = np.asarray(image, dtype=np.float32)
        if image.ndim != 2:
            raise ValueError(f"FilterExplorer: image must be 2-D grayscale (H, W), got shape {image.shape}")
        if preset not in PRESET_KERNELS:
            raise ValueError(f"FilterExplorer: preset must be one of {list(PRESET_KERNELS)}, got {preset!r}")
        while max(image.shape) > max_size:
            image = image[::2, ::2]
        self.image_data = image
        self.preset = widgets.Dropdown(options=list(PRESET_KERNELS) + ["custom"], value=preset,
                                       description="kernel")
        self.cells = [widgets.FloatText(0.0, layout=widgets.Layout(width="70px")) for _ in range(9)]
        self.label = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.state: dict = {}
        self._setting = False
        self.preset.observe(lambda change: self._on_preset(), names="value")
        for c in self.cells:
            c.observe(lambda change: self._on_cell(), names="value")
        grid = widgets.GridBox(self.cells, layout=widgets.Layout(grid_template_columns="repeat(3, 75px)"))
        self._ui = widgets.VBox([widgets.HBox([self.preset, grid]), self.label, self.image])
        self._on_preset()

    def _on_preset(self):
        if self.preset.value == "custom":
            return
        self._setting = True
        for c, v in zip(self.cells, PRESET_KERNELS[self.preset.value].ravel()):
            c.value = float(np.round(v, 4))
        self._setting = False
        self.update()

    def _on_cell(self):
        if self._setting:
            return
        kernel = self.kernel
        if not any(np.allclose(kernel, np.round(k, 4)) for k in PRESET_KERNELS.values()):
            self._setting = True
            self.preset.value = "custom"
            self._setting = False
        self.update()

    @property
    def kernel(self) -> np.ndarray:
        """The kernel currently in the nine boxes, shape (3, 3)."""
        return np.array([c.value for c in self.cells], dtype=float).reshape(3, 3)

    def set_kernel(self, kernel) -> None:
        """Fill the nine boxes (as a reader typing them) and update once."""
        kernel = np.asarray(kernel, dtype=float)
        if kernel.shape != (3, 3):
            raise ValueError(f"FilterExplorer.set_kernel: kernel must have shape (3, 3), got {kernel.shape}")
        self._setting = True
        for c, v in zip(self.cells, kernel.ravel()):
            c.value = float(v)
        self._setting = False
        self._on_cell()

    def update(self) -> dict:
        """Apply the current kernel (cross-correlation, reflected border) and redraw."""
        kernel = self.kernel
        self.state = {"kernel": kernel, "output": None, "error": None}
        if not np.all(np.isfinite(kernel)):
            self.state["error"] = "filter_explorer: the kernel has a non-finite value"
            self.label.value = f"<b style='color:#b71c1c'>{self.state['error']}</b>"
            return self.state
        out = filters.filter2d(self.image_data, kernel.astype(np.float32), boundary="reflect")
        self.state["output"] = out
        total = kernel.sum()
        note = ("sums to 1: keeps the average brightness" if np.isclose(total, 1) else
                "sums to 0: flat regions become 0, only changes show" if np.isclose(total, 0) else
                f"sums to {total:.3g}: brightness scaled by {total:.3g}")
        self.label.value = f"kernel {note}; output range [{out.min():.2f}, {out.max():.2f}]"
        fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 3.4))
        axes[0].imshow(self.image_data, cmap="gray")
        axes[0].set_title("input")
        signed = out.min() < -1e-6
        m = np.abs(out).max() or 1.0
        axes[1].imshow(out, cmap="RdBu_r" if signed else "gray", vmin=-m if signed else None,
                       vmax=m if signed else None)
        axes[1].set_title(f"filtered ({self.preset.value})")
        for ax in axes:
            ax.axis("off")
        fig.tight_layout()
        self.image.value = _png(fig)
        return self.state


def filter_explorer(image: np.ndarray, **kwargs) -> FilterExplorer:
    """Build a :class:`FilterExplorer` for a grayscale image."""
    return FilterExplorer(image, **kwargs)


class SmoothingExplorer(_ControlExplorer):
    """Smooth a noisy 1D signal with a box or Gaussian kernel of adjustable width.

    Parameters
    ----------
    clean : ndarray, shape (L,)
        The underlying signal; ``noisy = clean + noise`` with Gaussian noise of ``noise``
        standard deviation (``rng`` seeded by ``seed``).

    Attributes
    ----------
    kind : ToggleButtons ('box' | 'gaussian')
    width : IntSlider (odd kernel length)
    state : dict
        ``kernel``, ``smoothed``, ``error_noisy`` and ``error_smoothed`` (RMS error to ``clean``).
    """

    description = ("A noisy 1D signal (grey), the clean signal (black dashes) and the signal smoothed by "
                   "the kernel (blue)")

    def static_sweep(self):
        return "width", "kernel width", list(range(3, 24, 4))   # 6 frames: a page stays light

    def __init__(self, clean: np.ndarray, noise: float = 0.3, seed: int = 0, width: int = 9, kind: str = "box"):
        clean = np.asarray(clean, dtype=float)
        if clean.ndim != 1 or clean.size < 3:
            raise ValueError(f"SmoothingExplorer: clean must be 1-D with at least 3 samples, got shape {clean.shape}")
        self.clean = clean
        self.noisy = clean + noise * np.random.default_rng(seed).standard_normal(clean.size)
        self.kind = widgets.ToggleButtons(options=["box", "gaussian"], value=kind, description="kernel")
        self.width = widgets.IntSlider(width, 1, 41, step=2, description="width", continuous_update=False)
        self.label = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.state: dict = {}
        self._observe(self.kind, self.width)
        self._ui = widgets.VBox([widgets.HBox([self.kind, self.width]), self.label, self.image])
        self.update()

    def update(self) -> dict:
        """Rebuild the kernel, smooth (``'same'`` cross-correlation) and redraw."""
        from ..signal import correlate1d

        w = self.width.value
        if w % 2 == 0:
            w += 1
        if self.kind.value == "box":
            kernel = np.full(w, 1.0 / w)
        else:
            u = np.arange(w) - w // 2
            kernel = np.exp(-(u**2) / (2 * (w / 6) ** 2))
            kernel /= kernel.sum()
        smoothed = correlate1d(self.noisy, kernel, mode="same")
        rms = lambda e: float(np.sqrt(np.mean(e**2)))  # noqa: E731
        self.state = {"kernel": kernel, "smoothed": smoothed, "error_noisy": rms(self.noisy - self.clean),
                      "error_smoothed": rms(smoothed - self.clean)}
        self.label.value = (f"RMS error to the clean signal: noisy {self.state['error_noisy']:.3f}, "
                            f"smoothed {self.state['error_smoothed']:.3f}")
        fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN, 3.2))
        ax.plot(self.noisy, color="0.65", lw=1, ls="-", marker="", label="noisy")
        ax.plot(self.clean, color="k", lw=1.5, ls="--", marker="", label="clean")
        ax.plot(smoothed, color="#0072B2", lw=2.2, ls="-", marker="", label=f"{self.kind.value}, width {w}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, frameon=False)
        fig.tight_layout()
        self.image.value = _png(fig)
        return self.state


def smoothing_explorer(clean: np.ndarray, **kwargs) -> SmoothingExplorer:
    """Build a :class:`SmoothingExplorer`."""
    return SmoothingExplorer(clean, **kwargs)


class ShiftExplorer(_ControlExplorer):
    """Shift an image and compare what a convolution and what classifiers do with it.

    Parameters
    ----------
    image : ndarray, shape (H, W)
    kernel : ndarray, shape (kH, kW)
        Applied with ``filters.filter2d`` (zero padding): its feature map moves with the image
        (equivariance).
    models : dict name -> callable, optional
        Each maps a batch ``(1, 1, H, W)`` float32 to logits ``(1, num_classes)``; their
        predicted class and probability are shown for the shifted image (invariance or not).
    class_names : sequence of str, optional

    Attributes
    ----------
    dx, dy : IntSlider
    state : dict
        ``shifted``, ``feature_map``, ``predictions`` {name: (class index, probability)}.
    """

    description = ("A shifted image (left) and the feature map of a kernel applied to it (right): the map "
                   "moves with the image")

    def static_sweep(self):
        m = self.dx.max
        return "dx", "shift right (pixels)", list(range(-m, m + 1, 1 if m <= 6 else 2))

    def __init__(self, image: np.ndarray, kernel: np.ndarray, models=None, class_names=None, max_shift: int = 8):
        image = np.asarray(image, dtype=np.float32)
        if image.ndim != 2:
            raise ValueError(f"ShiftExplorer: image must be 2-D (H, W), got shape {image.shape}")
        self.image_data, self.kernel = image, np.asarray(kernel, dtype=np.float32)
        self.models = dict(models or {})
        self.class_names = class_names
        s = dict(continuous_update=False)
        self.dx = widgets.IntSlider(0, -max_shift, max_shift, description="shift right", **s)
        self.dy = widgets.IntSlider(0, -max_shift, max_shift, description="shift down", **s)
        self.label = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.state: dict = {}
        self._observe(self.dx, self.dy)
        self._ui = widgets.VBox([widgets.HBox([self.dx, self.dy]), self.label, self.image])
        self.update()

    @staticmethod
    def shift(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
        """Shift right by ``dx`` and down by ``dy`` pixels, filling with zeros (no wrap-around)."""
        out = np.zeros_like(image)
        h, w = image.shape
        out[max(dy, 0): h + min(dy, 0), max(dx, 0): w + min(dx, 0)] = \
            image[max(-dy, 0): h + min(-dy, 0), max(-dx, 0): w + min(-dx, 0)]
        return out

    def update(self) -> dict:
        """Shift, filter, classify and redraw."""
        shifted = self.shift(self.image_data, self.dx.value, self.dy.value)
        fmap = filters.filter2d(shifted, self.kernel)
        preds = {}
        for name, model in self.models.items():
            logits = np.asarray(model(shifted[None, None]), dtype=float)[0]
            p = np.exp(logits - logits.max())
            p /= p.sum()
            preds[name] = (int(p.argmax()), float(p.max()))
        self.state = {"shifted": shifted, "feature_map": fmap, "predictions": preds}
        parts = []
        for name, (c, prob) in preds.items():
            cname = self.class_names[c] if self.class_names is not None else str(c)
            parts.append(f"{html.escape(name)}: <b>{html.escape(cname)}</b> ({prob:.0%})")
        self.label.value = "; ".join(parts) if parts else "shift the image: the feature map moves with it"
        fig, axes = plt.subplots(1, 2, figsize=(5.6, 3.0))
        axes[0].imshow(shifted, cmap="gray")
        axes[0].set_title(f"image shifted by\n({self.dy.value}, {self.dx.value})")
        m = np.abs(fmap).max() or 1.0
        axes[1].imshow(fmap, cmap="RdBu_r", vmin=-m, vmax=m)
        axes[1].set_title("feature map\nof the kernel")
        for ax in axes:
            ax.axis("off")
        fig.tight_layout()
        self.image.value = _png(fig)
        return self.state


def shift_explorer(image: np.ndarray, kernel: np.ndarray, **kwargs) -> ShiftExplorer:
    """Build a :class:`ShiftExplorer`."""
    return ShiftExplorer(image, kernel, **kwargs)
