"""The book's one figure style: resolution, font sizes, widths, and text colour on coloured cells.

Every chapter calls :func:`use_book_style` once in its imports cell, and every figure that
:mod:`cnncourse.viz` and :mod:`cnncourse.widgets` draw uses the same numbers, so a figure's
text has the same size on the page wherever it comes from.

How big text is on the page: a PNG of natural width ``width_in * DPI`` pixels is shown at
``min(natural, column)`` CSS pixels, so a text of ``s`` points is

    s * DPI / 72 * min(1, column / (width_in * DPI))   pixels tall.

With ``FONT_SIZE = 11`` and figures at most ``MAX_WIDTH_IN = 6.4`` inches wide this is at least
13 px in the 688 px column of a 1280 px window and 8 px in the ~340 px column of a 390 px phone.

Examples
--------
>>> from cnncourse.viz import style
>>> style.text_color_for("#08306b")      # dark navy: white text
'white'
>>> style.text_color_for((1.0, 1.0, 0.8))  # pale yellow: black text
'black'
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt

__all__ = ["BOOK_DPI", "FONT_SIZE", "MAX_WIDTH_IN", "BOOK_STYLE", "LINE_STYLES", "MARKERS",
           "use_book_style", "book_figure", "text_color_for", "relative_luminance",
           "contrast_ratio", "annotate_cells", "fit_width"]

#: Resolution of every PNG figure and animation frame in the book (dots per inch).
BOOK_DPI = 120
#: The smallest text in any figure, in points (tick labels, legends, cell values included).
FONT_SIZE = 11
#: Widest figure, in inches: wider ones would shrink their text below 8 px on a phone.
MAX_WIDTH_IN = 6.4
#: Line styles and markers, cycled together with the colours so curves differ without colour.
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P")
_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")  # Okabe-Ito

#: The rcParams of the book style (applied by :func:`use_book_style`).
BOOK_STYLE = {
    "figure.dpi": BOOK_DPI,
    "savefig.dpi": BOOK_DPI,
    "figure.figsize": (MAX_WIDTH_IN, 4.0),
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 1,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE,
    "ytick.labelsize": FONT_SIZE,
    "legend.fontsize": FONT_SIZE,
    "legend.title_fontsize": FONT_SIZE,
    "figure.titlesize": FONT_SIZE + 1,
    "lines.linewidth": 1.8,
    "lines.markersize": 6,
    # colour and line style change together, so curves differ without colour; markers are not in
    # the cycle (a dense curve would become a row of dots): sparse plots set them from MARKERS
    "axes.prop_cycle": mpl.cycler(color=_COLORS) + mpl.cycler(linestyle=LINE_STYLES),
    "axes.grid": False,
    "animation.embed_limit": 40.0,
}


def use_book_style() -> dict:
    """Apply the book's figure style to matplotlib (``rcParams``); returns the values set.

    Call once, in a chapter's imports cell::

        from cnncourse import viz
        viz.use_book_style()
    """
    plt.rcParams.update(BOOK_STYLE)
    _compact_inline_figures()
    return dict(BOOK_STYLE)


def _compact_inline_figures() -> None:
    """In a notebook, save inline figures as palette PNGs (:func:`viz.player.compact_png`).

    The same picture in about half the bytes: a chapter's saved notebook stays small enough to
    review and the built page loads faster. Outside IPython this does nothing.
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:  # pragma: no cover - IPython comes with every notebook
        return
    shell = get_ipython()
    if shell is None or "image/png" not in shell.display_formatter.formatters:
        return
    from matplotlib.figure import Figure

    from .player import compact_png

    # Load the backend now: matplotlib resolves it at the first figure, and the inline backend
    # then installs its own PNG formatter, which would replace ours.
    if not plt.get_fignums():   # (with a figure open, the backend is loaded already)
        plt.switch_backend(plt.get_backend())

    def png(fig):
        data = print_figure(fig, "png", bbox_inches="tight")
        return None if data is None else compact_png(data)

    shell.display_formatter.formatters["image/png"].for_type(Figure, png)


def fit_width(width_in: float, height_in: float) -> tuple[float, float]:
    """Scale a figure size down (keeping its aspect) so it is at most :data:`MAX_WIDTH_IN` wide."""
    if width_in <= MAX_WIDTH_IN:
        return (width_in, height_in)
    k = MAX_WIDTH_IN / width_in
    return (MAX_WIDTH_IN, height_in * k)


def book_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, **kwargs):
    """``plt.subplots`` at the book's resolution, with a figure no wider than :data:`MAX_WIDTH_IN`."""
    if figsize is not None:
        figsize = fit_width(*figsize)
    kwargs.setdefault("dpi", BOOK_DPI)
    return plt.subplots(nrows, ncols, figsize=figsize, **kwargs)


def relative_luminance(color) -> float:
    """WCAG 2 relative luminance of a matplotlib colour (0 black .. 1 white)."""
    try:
        r, g, b, _ = mcolors.to_rgba(color)
    except ValueError as exc:
        raise ValueError(f"relative_luminance: color must be a matplotlib colour, got {color!r}") from exc

    def lin(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_ratio(color_a, color_b) -> float:
    """WCAG 2 contrast ratio of two colours (1 .. 21)."""
    la, lb = sorted((relative_luminance(color_a), relative_luminance(color_b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_color_for(background) -> str:
    """``'black'`` or ``'white'``, whichever contrasts more with ``background``.

    The one rule for numbers written on coloured cells (annotated heatmaps, kernels, grids).
    """
    return "black" if contrast_ratio(background, "black") >= contrast_ratio(background, "white") else "white"


def annotate_cells(ax, image, values, fmt="{:.2g}", fontsize=None, **text_kwargs):
    """Write ``values[i, j]`` on each cell of ``image`` (an ``AxesImage``) in a readable colour.

    The colour of each number comes from :func:`text_color_for` applied to the cell's colour
    under the image's colormap and normalisation. Returns the 2D list of ``Text`` objects
    (``None`` where ``fmt`` gives an empty label).
    """
    import numpy as np

    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"annotate_cells: values must be 2D, got shape {values.shape}")
    data = np.asarray(image.get_array())
    rgba = image.cmap(image.norm(data))
    fs = FONT_SIZE if fontsize is None else fontsize
    texts = []
    for i in range(values.shape[0]):
        row = []
        for j in range(values.shape[1]):
            label = fmt(values[i, j]) if callable(fmt) else fmt.format(values[i, j])
            if label == "":
                row.append(None)
                continue
            row.append(ax.text(j, i, label, ha="center", va="center", fontsize=fs,
                               color=text_color_for(rgba[i, j]), **text_kwargs))
        texts.append(row)
    return texts
