"""Sliding-window figures and animations for convolution and transposed convolution.

The pictures follow Dumoulin & Visin's *A guide to convolution arithmetic for deep learning*:
the (padded) input on the left, the output on the right; blue cells are input pixels, white
dashed cells are zero padding, the dark cells are where the kernel currently sits, and the
output cell being written is dark teal. Cells that no window ever visits (a stride that does
not divide the input) are hatched.

``draw_*`` functions draw one frame on an axes; ``animate_*`` functions return a
:class:`~cnncourse.viz.player.BookAnimation` (a ``FuncAnimation``) of at most ``max_frames``
frames. In a notebook the last line of a cell is just::

    animate_conv2d(5, 3, padding=1, stride=2)   # a player: plays in the static book, no kernel

Used by the chapters ``book/convolution`` and ``book/padding-stride``.

About 580 lines: the convolution chapters' figures and their animations; each ``animate_*`` sits
beside the ``draw_*`` it animates, and every number drawn comes from :mod:`cnncourse.functional`.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from .. import functional as F
from ..arithmetic import receptive_field
from ..checks import is_int, pair
from ..functional.window import window_slices
from ..geometry import effective_kernel, out_hw, out_length, resolve_padding, transpose_out_length

from .player import BookAnimation
from .style import BOOK_DPI, FONT_SIZE, LINE_STYLES, MAX_WIDTH_IN, annotate_cells, fit_width, text_color_for

__all__ = [
    "conv_layout", "draw_conv2d", "animate_conv2d", "animate_conv1d",
    "transpose_layout", "draw_conv_transpose2d", "animate_conv_transpose2d",
    "draw_receptive_field", "show_kernels", "draw_connectivity",
]

INPUT, PAD, WINDOW, OUT_DONE, OUT_NOW, OUT_TODO, ZERO_INSERT = (
    "#a6cee3", "#ffffff", "#1f78b4", "#b2dfdb", "#00796b", "#ffffff", "#f2f2f2")


def _resolve_padding(padding, kernel, dilation, stride, fn) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) from an int, a pair, 'valid'/'same' (as conv2d, through
    :func:`cnncourse.geometry.resolve_padding`), and two extras for the drawings: 'full'
    (``d(k - 1)`` on each side) and an explicit 4-tuple."""
    if padding == "full":
        eff = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (eff[0], eff[0], eff[1], eff[1])
    if isinstance(padding, (tuple, list)) and len(padding) == 4 and all(is_int(p) for p in padding):
        if min(padding) < 0:
            raise ValueError(f"{fn}: padding must be >= 0, got {padding!r}")
        return tuple(int(p) for p in padding)
    if isinstance(padding, str) and padding not in ("valid", "same"):
        raise ValueError(f"{fn}: padding must be an int, a pair, 'valid', 'same' or 'full', "
                         f"got {padding!r}")
    (top, bottom), (left, right) = resolve_padding(padding, kernel, stride, dilation, fn)
    return (top, bottom, left, right)


def conv_layout(input_size, kernel_size, padding=0, stride=1, dilation=1, fn="conv_layout") -> dict:
    """Geometry of a 2D convolution: sizes, padding per side and where every window sits.

    Parameters
    ----------
    input_size, kernel_size, stride, dilation : int or (h, w) pair
    padding : int, (h, w) pair, (top, bottom, left, right), or 'valid' / 'same' / 'full'

    Returns
    -------
    layout : dict
        ``input`` (H, W), ``kernel`` (kH, kW), ``stride``, ``dilation``, ``padding``
        (top, bottom, left, right), ``padded`` (H + top + bottom, W + left + right),
        ``output`` (H_out, W_out) with ``H_out = (H + top + bottom - dH (kH - 1) - 1) // sH + 1``,
        and ``visited``: bool array of the padded shape, True where some window reads the cell.

    Raises
    ------
    ValueError
        When the (dilated) kernel does not fit in the padded input, naming the sizes.
    """
    h, w = pair(input_size, fn, "input_size", 1)
    k = pair(kernel_size, fn, "kernel_size", 1)
    s = pair(stride, fn, "stride", 1)
    d = pair(dilation, fn, "dilation", 1)
    pad = _resolve_padding(padding, k, d, s, fn)
    hp, wp = h + pad[0] + pad[1], w + pad[2] + pad[3]
    span = (effective_kernel(k[0], d[0]), effective_kernel(k[1], d[1]))
    if span[0] > hp or span[1] > wp:
        raise ValueError(f"{fn}: the kernel spans {span[0]}x{span[1]} cells (kernel_size={k}, "
                         f"dilation={d}) but the padded input is only {hp}x{wp} "
                         f"(input {h}x{w}, padding {pad}): the output would be empty")
    ho, wo = out_hw((h, w), k, s, ((pad[0], pad[1]), (pad[2], pad[3])), d)
    visited = np.zeros((hp, wp), dtype=bool)
    for i in range(ho):
        for j in range(wo):
            visited[window_slices(i, j, k, s, d)] = True
    return dict(input=(h, w), kernel=k, stride=s, dilation=d, padding=pad, padded=(hp, wp),
                output=(ho, wo), visited=visited)


def _p(pair) -> str:
    """'2' for (2, 2), '(2, 1)' otherwise."""
    return str(pair[0]) if pair[0] == pair[1] else str(tuple(pair))


def _fmt(v) -> str:
    v = float(v)
    return f"{v:.0f}" if v == round(v) else f"{v:.1f}"


def _cell(ax, x0, y0, r, c, face, edge="#555555", ls="-", hatch=None, lw=0.8, text=None, tcolor=None,
          fontsize=FONT_SIZE, alpha=1.0, ty=0.5):
    ax.add_patch(Rectangle((x0 + c, y0 + r), 1, 1, facecolor=face, edgecolor=edge, linestyle=ls,
                           linewidth=lw, hatch=hatch, alpha=alpha))
    if text is not None:
        if tcolor is None:
            tcolor = text_color_for(face)
        ax.text(x0 + c + 0.5, y0 + r + ty, text, ha="center", va="center", fontsize=fontsize, color=tcolor)


def draw_conv2d(input_size=None, kernel_size=None, padding=0, stride=1, dilation=1, step=0, *, x=None,
                kernel=None, ax=None, show_unvisited=True, title=None, fontsize=FONT_SIZE):
    """Draw one step of a 2D convolution: the padded input, the kernel's window, the output.

    Parameters
    ----------
    input_size, kernel_size, padding, stride, dilation
        As in :func:`conv_layout` (PyTorch's meaning, padding per side).
    step : int
        Which output pixel is being computed, in row-major order (0 .. H_out*W_out - 1);
        ``None`` draws no window (just the layout).
    x : ndarray, shape (H, W), optional
        Input values to print in the cells (then ``kernel`` values are printed small in the
        window and output values appear as they are computed).
    kernel : ndarray, shape (kH, kW), optional
    ax : matplotlib Axes, optional
    show_unvisited : bool
        Hatch the cells that no window reads (strides that do not divide the input).

    Returns
    -------
    ax : matplotlib Axes
    """
    fn = "draw_conv2d"
    if x is not None:
        x = np.asarray(x, dtype=float)
        input_size = x.shape
    if kernel is not None:
        kernel = np.asarray(kernel, dtype=float)
        kernel_size = kernel.shape
    lay = conv_layout(input_size, kernel_size, padding, stride, dilation, fn=fn)
    (h, w), (kh, kw), s, d = lay["input"], lay["kernel"], lay["stride"], lay["dilation"]
    top, _, left, _ = lay["padding"]
    hp, wp = lay["padded"]
    ho, wo = lay["output"]
    if step is not None and not (is_int(step) and 0 <= step < ho * wo):
        raise ValueError(f"{fn}: step must be an int in [0, {ho * wo - 1}], got {step!r}")
    if ax is None:
        cell = min(0.5, MAX_WIDTH_IN / (wp + wo + 2.5))
        _, ax = plt.subplots(figsize=(cell * (wp + wo + 2.5), cell * (max(hp, ho) + 1.6)), dpi=BOOK_DPI)
    ax.clear()
    xp = None
    out_vals = None
    if x is not None:
        xp = np.zeros((hp, wp))
        xp[top: top + h, left: left + w] = x
        if kernel is not None:
            # the numbers in the output come from functional.conv2d on the padded input
            out_vals = F.conv2d(xp[None, None], np.asarray(kernel, dtype=float)[None, None],
                                stride=s, dilation=d)[0, 0]
    win = set()
    oi = oj = None
    if step is not None:
        oi, oj = divmod(step, wo)
        win = {(oi * s[0] + u * d[0], oj * s[1] + v * d[1]) for u in range(kh) for v in range(kw)}
    for r in range(hp):
        for c in range(wp):
            inside = top <= r < top + h and left <= c < left + w
            face = INPUT if inside else PAD
            hatch = "///" if show_unvisited and not lay["visited"][r, c] else None
            text = _fmt(xp[r, c]) if xp is not None else None
            # in the window, the value moves up to leave room for the kernel weight below it
            ty = 0.32 if (kernel is not None and (r, c) in win) else 0.5
            _cell(ax, 0, 0, r, c, face, ls="-" if inside else "--", hatch=hatch, text=text,
                  edge="#555555" if inside else "#999999", fontsize=fontsize, ty=ty)
    for (r, c) in sorted(win):
        u, v = (r - oi * s[0]) // d[0], (c - oj * s[1]) // d[1]
        _cell(ax, 0, 0, r, c, WINDOW, alpha=0.55, lw=1.5, edge="#08306b")
        if kernel is not None:
            ax.text(c + 0.5, r + 0.95, "×" + _fmt(kernel[u, v]), ha="center", va="bottom",
                    fontsize=fontsize, color="#08306b")
    if step is not None and (d[0] > 1 or d[1] > 1):
        ax.add_patch(Rectangle((oj * s[1], oi * s[0]), d[1] * (kw - 1) + 1, d[0] * (kh - 1) + 1,
                               fill=False, edgecolor="#08306b", linestyle=":", linewidth=1.2))
    x0 = wp + 1.5
    y0 = (hp - ho) / 2 if hp > ho else 0
    for i in range(ho):
        for j in range(wo):
            idx = i * wo + j
            if step is None:
                face, text = OUT_DONE, None
            elif idx < step:
                face = OUT_DONE
            elif idx == step:
                face = OUT_NOW
            else:
                face = OUT_TODO
            text = None
            if out_vals is not None and step is not None and idx <= step:
                text = _fmt(out_vals[i, j])
            _cell(ax, x0, y0, i, j, face, text=text, fontsize=fontsize)
    pad = lay["padding"]
    pad_text = "" if not any(pad) else f", padding {pad[0]}" if len(set(pad)) == 1 else f", padding {pad} (t, b, l, r)"
    ax.text(wp / 2, -0.4, f"input {h}×{w}{pad_text}",
            ha="center", va="bottom", fontsize=fontsize)
    ax.text(x0 + wo / 2, y0 - 0.4, f"output {ho}×{wo}", ha="center", va="bottom", fontsize=fontsize)
    ax.set_xlim(-0.2, x0 + wo + 0.2)
    ax.set_ylim(max(hp, y0 + ho) + 0.2, -1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is None:
        title = f"kernel {kh}×{kw}, stride {_p(s)}" + (f", dilation {_p(d)}" if d != (1, 1) else "")
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    return ax


def _frames(n: int, max_frames: int) -> list[int]:
    if n <= max_frames:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, max_frames).round().astype(int).tolist()))


def animate_conv2d(input_size=5, kernel_size=3, padding=0, stride=1, dilation=1, *, x=None, kernel=None,
                   max_frames=40, interval=700, dpi=BOOK_DPI, figsize=None, show_unvisited=True, title=None,
                   alt=None):
    """Animate the kernel sliding over the (padded) input, one output pixel per frame.

    Parameters are those of :func:`draw_conv2d`. When there are more than ``max_frames``
    output pixels, evenly spaced steps are shown (always the first and the last).

    Returns
    -------
    anim : BookAnimation
        A ``FuncAnimation`` that displays itself as a player (frames with alt text, labelled
        controls); ``alt`` overrides the generated description.
    """
    if x is not None:
        input_size = np.asarray(x).shape
    if kernel is not None:
        kernel_size = np.asarray(kernel).shape
    lay = conv_layout(input_size, kernel_size, padding, stride, dilation, fn="animate_conv2d")
    (hp, wp), (ho, wo) = lay["padded"], lay["output"]
    if figsize is None:
        cell = min(0.5, MAX_WIDTH_IN / (wp + wo + 2.5))
        figsize = (cell * (wp + wo + 2.5), cell * (max(hp, ho) + 2.0))
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    fig.subplots_adjust(0.01, 0.01, 0.99, 1 - 0.3 / figsize[1])  # room for the title
    steps = _frames(ho * wo, max_frames)

    def frame(t):
        draw_conv2d(input_size, kernel_size, padding, stride, dilation, step=steps[t], x=x, kernel=kernel,
                    ax=ax, show_unvisited=show_unvisited, title=title)
        return []

    if alt is None:
        (h, w), (kh, kw) = lay["input"], lay["kernel"]
        alt = (f"A {kh}×{kw} kernel slides over a {h}×{w} input (padding {_p(lay['padding'][::2])}, "
               f"stride {_p(lay['stride'])}, dilation {_p(lay['dilation'])}); the highlighted window "
               f"produces the highlighted cell of the {ho}×{wo} output")
        if x is not None and kernel is not None:
            alt += ", with the input values, the kernel weights and each output value written in"
    labels = [f"output pixel ({s // wo}, {s % wo}), step {k + 1} of {len(steps)}" for k, s in enumerate(steps)]
    return BookAnimation(fig, frame, frames=len(steps), interval=interval, alt=alt, labels=labels)


def animate_conv1d(x, kernel, padding=0, stride=1, dilation=1, *, max_frames=40, interval=700, dpi=BOOK_DPI,
                   title=None, alt=None):
    """Animate a 1D cross-correlation of a short signal with a kernel, with the numbers.

    Parameters
    ----------
    x : array_like, shape (L,)
    kernel : array_like, shape (K,)
    padding, stride, dilation : int

    Returns
    -------
    anim : BookAnimation
    """
    x = np.asarray(x, dtype=float).reshape(1, -1)
    kernel = np.asarray(kernel, dtype=float).reshape(1, -1)
    if not is_int(padding):
        raise TypeError(f"animate_conv1d: padding must be an int, got {padding!r}")
    return animate_conv2d(x=x, kernel=kernel, padding=(0, padding), stride=(1, stride), dilation=(1, dilation),
                          max_frames=max_frames, interval=interval, dpi=dpi,
                          alt=alt or (f"A 1D kernel {kernel.ravel().tolist()} slides along the signal "
                                      f"{x.ravel().tolist()} (padding {padding}, stride {stride}); each "
                                      f"step writes one output value, the sum of the products in the window"),
                          title=title if title is not None else
                          f"kernel {kernel.ravel().tolist()}, stride {stride}, padding {padding}")


def transpose_layout(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                     fn="transpose_layout") -> dict:
    """Geometry of a transposed convolution seen as a direct convolution (Dumoulin & Visin).

    The input is spread out with ``stride - 1`` zeros between pixels, padded with
    ``dilation*(kernel_size - 1) - padding`` zeros on each side plus ``output_padding`` (the
    ``a`` term) at the bottom/right, and convolved with stride 1:
    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1``.

    Returns
    -------
    layout : dict
        ``input``, ``kernel``, ``stride``, ``dilation``, ``padding``, ``output_padding``,
        ``pad`` (top, bottom, left, right of the equivalent direct convolution), ``grid``
        (size of the spread-out, padded input), ``output`` and ``is_input`` (bool mask of the
        grid cells that hold an input pixel).
    """
    h, w = pair(input_size, fn, "input_size", 1)
    k = pair(kernel_size, fn, "kernel_size", 1)
    s = pair(stride, fn, "stride", 1)
    p = pair(padding, fn, "padding", 0)
    a = pair(output_padding, fn, "output_padding", 0)
    d = pair(dilation, fn, "dilation", 1)
    for ax_ in (0, 1):
        if a[ax_] >= max(s[ax_], d[ax_]):
            raise ValueError(f"{fn}: output_padding must be smaller than stride or dilation "
                             f"(as PyTorch), got output_padding={a}, stride={s}, dilation={d}")
        if p[ax_] > d[ax_] * (k[ax_] - 1):
            raise ValueError(f"{fn}: this drawing needs padding <= dilation*(kernel_size-1) "
                             f"= {d[ax_] * (k[ax_] - 1)}, got padding={p}")
    pad = tuple(v for ax_ in (0, 1) for v in (d[ax_] * (k[ax_] - 1) - p[ax_], d[ax_] * (k[ax_] - 1) - p[ax_] + a[ax_]))
    grid = ((h - 1) * s[0] + 1 + pad[0] + pad[1], (w - 1) * s[1] + 1 + pad[2] + pad[3])
    out = tuple(transpose_out_length(n, k[i], s[i], p[i], a[i], d[i]) for i, n in enumerate((h, w)))
    is_input = np.zeros(grid, dtype=bool)
    is_input[pad[0]: pad[0] + (h - 1) * s[0] + 1: s[0], pad[2]: pad[2] + (w - 1) * s[1] + 1: s[1]] = True
    return dict(input=(h, w), kernel=k, stride=s, dilation=d, padding=p, output_padding=a, pad=pad,
                grid=grid, output=out, is_input=is_input)


def draw_conv_transpose2d(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                          step=0, *, ax=None, title=None, fontsize=FONT_SIZE):
    """Draw one step of a transposed convolution as a stride-1 convolution over a spread-out input.

    Blue cells are input pixels, light grey cells the zeros inserted between them
    (``stride - 1`` per gap), white dashed cells the padding; the output grid on the right.

    Returns
    -------
    ax : matplotlib Axes
    """
    lay = transpose_layout(input_size, kernel_size, stride, padding, output_padding, dilation,
                           fn="draw_conv_transpose2d")
    gh, gw = lay["grid"]
    ho, wo = lay["output"]
    (kh, kw), d = lay["kernel"], lay["dilation"]
    if step is not None and not (is_int(step) and 0 <= step < ho * wo):
        raise ValueError(f"draw_conv_transpose2d: step must be an int in [0, {ho * wo - 1}], got {step!r}")
    if ax is None:
        cell = min(0.45, MAX_WIDTH_IN / (gw + wo + 2.5))
        _, ax = plt.subplots(figsize=(cell * (gw + wo + 2.5), cell * (max(gh, ho) + 1.6)), dpi=BOOK_DPI)
    ax.clear()
    top, _, left, _ = lay["pad"]
    h, w, s = *lay["input"], lay["stride"]
    for r in range(gh):
        for c in range(gw):
            if lay["is_input"][r, c]:
                _cell(ax, 0, 0, r, c, INPUT)
            elif top <= r <= top + (h - 1) * s[0] and left <= c <= left + (w - 1) * s[1]:
                _cell(ax, 0, 0, r, c, ZERO_INSERT, ls=":", edge="#999999")
            else:
                _cell(ax, 0, 0, r, c, PAD, ls="--", edge="#999999")
    if step is not None:
        oi, oj = divmod(step, wo)
        for u in range(kh):
            for v in range(kw):
                _cell(ax, 0, 0, oi + u * d[0], oj + v * d[1], WINDOW, alpha=0.55, lw=1.5, edge="#08306b")
    x0 = gw + 1.5
    y0 = (gh - ho) / 2 if gh > ho else 0
    for i in range(ho):
        for j in range(wo):
            idx = i * wo + j
            face = OUT_DONE if step is None or idx < step else OUT_NOW if idx == step else OUT_TODO
            _cell(ax, x0, y0, i, j, face)
    ax.text(gw / 2, -0.4, f"input {h}×{w}, spread out and padded", ha="center",
            va="bottom", fontsize=fontsize)
    ax.text(x0 + wo / 2, y0 - 0.4, f"output {ho}×{wo}", ha="center", va="bottom", fontsize=fontsize)
    ax.set_xlim(-0.2, x0 + wo + 0.2)
    ax.set_ylim(max(gh, y0 + ho) + 0.2, -1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is None:
        title = (f"transposed conv: kernel {kh}×{kw}, stride {_p(s)},\npadding {_p(lay['padding'])}, "
                 f"output_padding {_p(lay['output_padding'])}")
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    return ax


def animate_conv_transpose2d(input_size=2, kernel_size=3, stride=1, padding=0, output_padding=0, dilation=1,
                             *, max_frames=40, interval=700, dpi=BOOK_DPI, figsize=None, title=None, alt=None):
    """Animate a transposed convolution as the equivalent direct convolution (see :func:`transpose_layout`).

    Returns
    -------
    anim : BookAnimation
    """
    lay = transpose_layout(input_size, kernel_size, stride, padding, output_padding, dilation,
                           fn="animate_conv_transpose2d")
    (gh, gw), (ho, wo) = lay["grid"], lay["output"]
    if figsize is None:
        cell = min(0.45, MAX_WIDTH_IN / (gw + wo + 2.5))
        figsize = (cell * (gw + wo + 2.5), cell * (max(gh, ho) + 2.0) + 0.3)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    fig.subplots_adjust(0.01, 0.01, 0.99, 1 - 0.6 / figsize[1])  # room for the two-line title
    steps = _frames(ho * wo, max_frames)

    def frame(t):
        draw_conv_transpose2d(input_size, kernel_size, stride, padding, output_padding, dilation,
                              step=steps[t], ax=ax, title=title)
        return []

    if alt is None:
        (h, w), (kh, kw) = lay["input"], lay["kernel"]
        alt = (f"A transposed convolution of a {h}×{w} input with a {kh}×{kw} kernel drawn as a direct "
               f"convolution: the input pixels are spread out with zeros between them and padded, and a "
               f"window slides over that grid to fill the {ho}×{wo} output")
    labels = [f"output pixel ({s // wo}, {s % wo}), step {k + 1} of {len(steps)}" for k, s in enumerate(steps)]
    return BookAnimation(fig, frame, frames=len(steps), interval=interval, alt=alt, labels=labels)


def draw_receptive_field(layers, input_length=None, *, ax=None, fontsize=FONT_SIZE):
    """Draw, in 1D, which input cells one output unit depends on through a stack of layers.

    Parameters
    ----------
    layers : sequence of (kernel_size, stride, padding, dilation) tuples (missing items default
        to stride 1, padding 0, dilation 1), one axis, as :func:`cnncourse.arithmetic.receptive_field`.
    input_length : int, optional
        Defaults to just enough cells to show the receptive field of the centre unit.

    Returns
    -------
    ax : matplotlib Axes
        Rows from bottom (input) to top (last layer); highlighted cells are those that reach the
        centre unit of the top layer, with the count ``RF`` printed per row.
    """
    fn = "draw_receptive_field"
    norm = []
    for i, layer in enumerate(layers):
        t = tuple(layer) if isinstance(layer, (tuple, list)) else (layer,)
        t = t + (1, 0, 1)[len(t) - 1:]
        if len(t) != 4 or not all(is_int(v) for v in t) or t[0] < 1 or t[1] < 1 or t[2] < 0 or t[3] < 1:
            raise ValueError(f"{fn}: layer {i} must be (kernel_size, stride, padding, dilation) ints, got {layer!r}")
        norm.append(t)
    if input_length is None:
        input_length = (receptive_field(norm)[-1].size if norm else 1) + 4
    sizes = [input_length]
    for k, s, p, d in norm:
        n = out_length(sizes[-1] + 2 * p, k, s, d)
        if n <= 0:
            raise ValueError(f"{fn}: input_length={input_length} is too short for layer {len(sizes) - 1}")
        sizes.append(n)
    # back-propagate the dependency of the centre unit
    active = [set() for _ in sizes]
    active[-1] = {sizes[-1] // 2}
    for li in range(len(norm) - 1, -1, -1):
        k, s, p, d = norm[li]
        for o in active[li + 1]:
            for u in range(k):
                i = o * s - p + u * d
                if 0 <= i < sizes[li]:
                    active[li].add(i)
    if ax is None:
        _, ax = plt.subplots(figsize=fit_width(0.3 * (max(sizes) + 16), 0.3 * 1.6 * len(sizes) + 0.4),
                             dpi=BOOK_DPI)
    width = max(sizes)
    nrows = len(sizes)
    for li, n in enumerate(sizes):
        y = li
        off = (width - n) / 2
        for i in range(n):
            face = (OUT_NOW if li == nrows - 1 else WINDOW) if i in active[li] else (INPUT if li == 0 else OUT_DONE)
            ax.add_patch(Rectangle((off + i, y * 1.6), 1, 1, facecolor=face, edgecolor="#555555", linewidth=0.6))
        label = "input" if li == 0 else f"layer {li} (k={norm[li - 1][0]}, s={norm[li - 1][1]}, d={norm[li - 1][3]})"
        ax.text(-0.5, y * 1.6 + 0.5, label, ha="right", va="center", fontsize=fontsize)
        ax.text(width + 0.5, y * 1.6 + 0.5, f"{len(active[li])} cell{'s' if len(active[li]) != 1 else ''}",
                ha="left", va="center", fontsize=fontsize)
    # room on the left for the longest row label at `fontsize` (about 0.55 cells per character
    # when cells are 0.3 in and text 11 pt)
    longest = max(len("input"), *(len(f"layer {i + 1} (k={k}, s={s}, d={d})") for i, (k, s, p, d) in enumerate(norm)))
    ax.set_xlim(-0.2 - 0.5 * longest * fontsize / FONT_SIZE, width + 3)
    ax.set_ylim(-0.3, nrows * 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def show_kernels(kernels, titles=None, *, ax=None, fontsize=FONT_SIZE, cmap="RdBu_r"):
    """Show small kernels side by side as coloured grids with their values printed.

    Parameters
    ----------
    kernels : sequence of ndarray, shape (kH, kW) each
    titles : sequence of str, optional

    Returns
    -------
    axes : list of matplotlib Axes
    """
    kernels = [np.asarray(k, dtype=float) for k in kernels]
    if titles is not None and len(titles) != len(kernels):
        raise ValueError(f"show_kernels: got {len(kernels)} kernels but {len(titles)} titles")
    if ax is None:
        fig, axes = plt.subplots(1, len(kernels), figsize=fit_width(1.9 * len(kernels), 2.1), dpi=BOOK_DPI,
                                 squeeze=False)
        axes = list(axes[0])
    else:
        axes = list(np.atleast_1d(ax))
    for i, (a, k) in enumerate(zip(axes, kernels)):
        m = max(np.abs(k).max(), 1e-12)
        im = a.imshow(k, cmap=cmap, vmin=-m, vmax=m)
        if k.size <= 49:
            annotate_cells(a, im, k, fmt="{:.2g}", fontsize=fontsize)
        a.set_xticks([])
        a.set_yticks([])
        if titles is not None:
            a.set_title(titles[i], fontsize=fontsize + 1)
    return axes


def draw_connectivity(n_inputs: int = 7, kernel_size: int = 3, kind: str = "shared", *, ax=None,
                      fontsize=FONT_SIZE):
    """Draw a 1D layer's connections: dense, local (sparse, no sharing) or convolutional (shared).

    Parameters
    ----------
    n_inputs : int
        Input units (bottom row); a dense layer keeps ``n_inputs`` outputs, the local and
        shared layers have ``n_inputs - kernel_size + 1`` (no padding).
    kernel_size : int
    kind : {'dense', 'local', 'shared'}
        ``'dense'``: every output connected to every input, each edge its own weight (grey);
        ``'local'``: each output sees ``kernel_size`` neighbours, each edge its own weight;
        ``'shared'``: the same, with the same ``kernel_size`` weights reused at every position
        (one colour per weight).

    Returns
    -------
    ax : matplotlib Axes, titled with the number of weights.
    """
    fn = "draw_connectivity"
    if kind not in ("dense", "local", "shared"):
        raise ValueError(f"{fn}: kind must be 'dense', 'local' or 'shared', got {kind!r}")
    if not (is_int(n_inputs) and is_int(kernel_size) and 1 <= kernel_size <= n_inputs):
        raise ValueError(f"{fn}: need ints with 1 <= kernel_size <= n_inputs, got "
                         f"n_inputs={n_inputs!r}, kernel_size={kernel_size!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=fit_width(0.5 * n_inputs + 0.5, 2.0), dpi=BOOK_DPI)
    n_out = n_inputs if kind == "dense" else n_inputs - kernel_size + 1
    off = (n_inputs - n_out) / 2
    colors = plt.get_cmap("tab10")
    if kind == "dense":
        edges = [(o, i, None) for o in range(n_out) for i in range(n_inputs)]
        n_weights = n_out * n_inputs
    else:
        edges = [(o, o + u, u) for o in range(n_out) for u in range(kernel_size)]
        n_weights = kernel_size if kind == "shared" else n_out * kernel_size
    for o, i, u in edges:
        shared = u is not None and kind == "shared"
        color = colors(u) if shared else "0.6"
        ls = LINE_STYLES[u % len(LINE_STYLES)] if shared else "-"   # one colour and line style per weight
        ax.plot([i, off + o], [0, 1], color=color, ls=ls, lw=1.6 if shared else 0.8, zorder=1)
    ax.scatter(range(n_inputs), [0] * n_inputs, s=120, color=INPUT, edgecolor="#555555", zorder=2)
    ax.scatter([off + o for o in range(n_out)], [1] * n_out, s=120, color=OUT_DONE, edgecolor="#555555", zorder=2)
    names = {"dense": "dense", "local": "local, no sharing", "shared": "convolution (shared)"}
    ax.set_title(f"{names[kind]}: {n_weights} weights", fontsize=fontsize + 1)
    ax.set_xlim(-0.6, n_inputs - 0.4)
    ax.set_ylim(-0.3, 1.3)
    ax.axis("off")
    return ax
