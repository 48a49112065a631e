"""Figures and animations for the chapters *Activations and pooling* and *Backpropagation*.

Everything numeric here is computed by :mod:`cnncourse.functional`: the animations only draw
what the package's own ops return (the value of each pooled window, and where the backward
pass sends each gradient), so a figure can never disagree with the code it illustrates.

Animations are :class:`~cnncourse.viz.player.BookAnimation` objects (a ``FuncAnimation`` whose
figure is already closed) that display themselves as a player, in the static book too.
"""
from __future__ import annotations

import numpy as np

from .player import BookAnimation
from .style import BOOK_DPI, FONT_SIZE, MAX_WIDTH_IN, text_color_for

__all__ = [
    "POOL_KINDS", "pool2d", "relative_change", "shift_sensitivity",
    "plot_activations", "plot_maps", "plot_shift_sensitivity",
    "animate_pool2d", "animate_pool_backward",
]

#: The pooling reductions the book compares, by the short name used in figures and widgets.
POOL_KINDS = ("max", "avg", "sum", "l2")


def pool2d(x: np.ndarray, kind: str, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Pool ``x`` with the :mod:`cnncourse.functional` op named by ``kind``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kind : {'max', 'avg', 'sum', 'l2'}
        ``max_pool2d``, ``avg_pool2d``, ``sum_pool2d`` or ``lp_pool2d`` with ``norm_type=2``.
    kernel_size, stride, padding
        As in :func:`cnncourse.functional.max_pool2d`.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
    """
    from cnncourse import functional as F

    if kind == "max":
        return F.max_pool2d(x, kernel_size, stride, padding)
    if kind == "avg":
        return F.avg_pool2d(x, kernel_size, stride, padding)
    if kind == "sum":
        return F.sum_pool2d(x, kernel_size, stride, padding)
    if kind == "l2":
        return F.lp_pool2d(x, 2, kernel_size, stride, padding)
    raise ValueError(f"pool2d: kind must be one of {POOL_KINDS}, got {kind!r}")


def _pool_forward_backward(kind: str):
    from cnncourse import functional as F

    ops = {"max": (F.max_pool2d_forward, F.max_pool2d_backward),
           "avg": (F.avg_pool2d_forward, F.avg_pool2d_backward),
           "sum": (F.sum_pool2d_forward, F.sum_pool2d_backward)}
    if kind not in ops:
        raise ValueError(f"animate_pool_backward: kind must be one of {tuple(ops)}, got {kind!r}")
    return ops[kind]


def relative_change(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / ||a||`` (Frobenius norms): how much ``b`` differs from the reference ``a``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_change: a and b must have the same shape, got {a.shape} and {b.shape}")
    norm = np.linalg.norm(a)
    if norm == 0:
        raise ValueError("relative_change: the reference a is all zeros")
    return float(np.linalg.norm(a - b) / norm)


def shift_sensitivity(x: np.ndarray, kind: str | None = None, kernel_size=2, stride=None,
                      padding=0, shifts=(1, 2, 3), axis: str = "w") -> np.ndarray:
    """How much a (pooled) representation changes when the image content moves by a few pixels.

    The input is cropped to its centre, leaving a margin of ``max(shifts)`` pixels on each side;
    the *shifted* input is the same crop taken ``s`` pixels further along ``axis``, so the shift
    brings in real content instead of wrapped-around or zero pixels. For each shift ``s`` the
    result is ``relative_change(P(crop), P(crop shifted by s))``, where ``P`` is the pooling
    named by ``kind`` (see :func:`pool2d`), or the identity when ``kind`` is ``None``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (H, W)
        Feature maps, e.g. ReLU responses of edge filters.
    kind : {None, 'max', 'avg', 'sum', 'l2'}
        ``None`` measures the unpooled maps.
    kernel_size, stride, padding
        Of the pooling.
    shifts : sequence of int
        Shifts in pixels, each >= 0.
    axis : {'w', 'h'}
        Shift horizontally (along W) or vertically (along H).

    Returns
    -------
    change : ndarray, shape (len(shifts),), float64
        Relative change for each shift; 0 means perfectly invariant.
    """
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[None, None]
    if x.ndim != 4:
        raise ValueError("shift_sensitivity: x must be (H, W) or "
                         f"(N, C, H, W), got shape {x.shape}")
    if axis not in ("w", "h"):
        raise ValueError("shift_sensitivity: axis must be 'w' or 'h', "
                         f"got {axis!r}")
    shifts = [int(s) for s in shifts]
    if not shifts or min(shifts) < 0:
        raise ValueError("shift_sensitivity: shifts must be "
                         f"non-negative ints, got {shifts}")
    m = max(shifts)
    H, W = x.shape[-2:]
    if min(H, W) <= 2 * m:
        raise ValueError(f"shift_sensitivity: x of size {H}x{W} is too "
                         f"small for shifts up to {m}")

    def crop(s):
        dh, dw = (0, s) if axis == "w" else (s, 0)
        return x[..., m + dh:H - m + dh, m + dw:W - m + dw]

    def rep(a):
        if kind is None:
            return a
        return pool2d(np.ascontiguousarray(a), kind, kernel_size, stride,
                      padding)

    ref = rep(crop(0))
    return np.array([relative_change(ref, rep(crop(s))) for s in shifts])


# --- static figures --------------------------------------------------------------------------

def plot_activations(x: np.ndarray | None = None):
    """ReLU, tanh and sigmoid (left) and their derivatives (right), from :mod:`cnncourse.functional`.

    The derivatives are the activations' own ``*_backward`` functions applied to an upstream
    gradient of ones, so the figure shows exactly what backpropagation multiplies by.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from cnncourse import functional as F

    x = np.linspace(-6, 6, 241) if x is None else np.asarray(x, dtype=np.float64)
    ones = np.ones_like(x)
    curves = {
        "ReLU": (F.relu(x), F.relu_backward(ones, x)),
        "tanh": (F.tanh(x), F.tanh_backward(ones, F.tanh(x))),
        "sigmoid": (F.sigmoid(x), F.sigmoid_backward(ones, F.sigmoid(x))),
    }
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 3.2), dpi=BOOK_DPI)
    styles = {"ReLU": ("-", "#0072B2"), "tanh": ("--", "#D55E00"), "sigmoid": (":", "#009E73")}
    for name, (y, dy) in curves.items():
        ls, colour = styles[name]
        ax0.plot(x, y, ls=ls, color=colour, lw=2.2, label=name)
        ax1.plot(x, dy, ls=ls, color=colour, lw=2.2, label=name)
    ax0.set(title="activation f(x)", xlabel="x", ylim=(-1.5, 3))
    ax1.set(title="derivative f'(x)", xlabel="x", ylim=(-0.05, 1.1))
    for ax in (ax0, ax1):
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_maps(maps, titles=None, ncols: int | None = None, cmap: str = "gray",
              size: float = 2.0, suptitle: str | None = None, colorbar: bool = False):
    """A grid of 2D maps (images, feature maps, filters), each with its own colour scale.

    Parameters
    ----------
    maps : sequence of ndarray (H, W), or ndarray (K, H, W)
    titles : sequence of str, optional
    ncols : int, optional
        Default: as many as fit in the book's width at 1.6 in per panel (4).
    cmap : str
    size : float
        Size of each panel in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    maps = [np.asarray(m) for m in maps]
    if not maps or any(m.ndim != 2 for m in maps):
        raise ValueError("plot_maps: maps must be a non-empty sequence of 2D arrays, "
                         f"got shapes {[m.shape for m in maps]}")
    k = len(maps)
    # default: as many columns as fit at 1.6 in each, so titles at the book's font size do not collide
    ncols = min(k, max(1, int(MAX_WIDTH_IN // 1.6))) if ncols is None else ncols
    nrows = -(-k // ncols)
    if size * ncols > MAX_WIDTH_IN:
        size = MAX_WIDTH_IN / ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.3 if suptitle else 0)),
                             squeeze=False, dpi=BOOK_DPI)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= k:
            ax.axis("off")
            continue
        im = ax.imshow(maps[i], cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=FONT_SIZE)
        if colorbar:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_shift_sensitivity(shifts, changes: dict, ax=None):
    """Relative change of each representation against the shift in pixels.

    Parameters
    ----------
    shifts : sequence of int
    changes : dict of str to sequence of float
        ``{"unpooled": [...], "max 4x4": [...], ...}``, e.g. from :func:`shift_sensitivity`.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN, 3.8), dpi=BOOK_DPI)
    else:
        fig = ax.figure
    from .style import LINE_STYLES, MARKERS
    k = 0
    for name, values in changes.items():
        if name == "unpooled":
            ax.plot(shifts, values, marker="o", ls="-", label=name, lw=2.8, color="k")
            continue
        ax.plot(shifts, values, marker=MARKERS[(k + 1) % len(MARKERS)], ls=LINE_STYLES[(k + 1) % len(LINE_STYLES)],
                markersize=7, label=name, lw=1.8, color=f"C{k}")
        k += 1
    ax.set(xlabel="shift (pixels)", ylabel="relative change", xticks=list(shifts), ylim=(0, None),
           title="How much the representation moves")
    ax.legend(fontsize=FONT_SIZE, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.tight_layout()
    return fig


# --- animations ------------------------------------------------------------------------------

def _check_map(x, fn):
    x = np.asarray(x)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{fn}: x must be a 2D float array (H, W), got shape {x.shape} and dtype {x.dtype}")
    return x


def _cell_text_color(im, v):
    """Text colour for a cell of a translucent ``_grid`` image (its colour blended with white)."""
    if not np.isfinite(v):
        return "black"
    r, g, b, _ = im.cmap(im.norm(v))
    a = im.get_alpha() or 1.0
    return text_color_for((1 - a + a * r, 1 - a + a * g, 1 - a + a * b))


def _grid(ax, values, title, fmt, mask=None, cmap="Blues", vmin=None, vmax=None):
    """Draw a small array as a table of coloured cells with their values written in."""
    shown = np.where(np.isfinite(values), values, np.nan)
    im = ax.imshow(shown, cmap=cmap, vmin=vmin, vmax=vmax, alpha=0.55)  # light: black text stays readable
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    ax.tick_params(length=0, labelsize=FONT_SIZE)
    ax.set_title(title, fontsize=FONT_SIZE + 1)
    texts = np.empty(values.shape, dtype=object)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            label = "pad" if not np.isfinite(v) else fmt.format(v)
            if mask is not None and not mask[i, j]:
                label = ""
            texts[i, j] = ax.text(j, i, label, ha="center", va="center", fontsize=FONT_SIZE,
                                  color=_cell_text_color(im, v))
    ax.set_facecolor("0.92")
    return im, texts


def animate_pool2d(x, kernel_size, stride=None, padding=0, kind: str = "max",
                   interval: int = 600, dpi: int = BOOK_DPI, max_frames: int = 40):
    """Animate pooling: the window slides over ``x`` and each result is written to the output.

    Left, the (padded) input with the current window outlined; for max pooling the cell that
    wins is circled — found by the package's backward pass, so ties go where the package sends
    them. Right, the output filled in up to the current window. The numbers come from
    :func:`pool2d` and :mod:`cnncourse.functional`.

    Parameters
    ----------
    x : ndarray, shape (H, W), float
        A small feature map (up to about 10 x 10 so the numbers stay readable).
    kernel_size, stride, padding
        As in :func:`cnncourse.functional.max_pool2d`.
    kind : {'max', 'avg', 'sum', 'l2'}
    interval : int
        Milliseconds per frame.
    dpi : int
    max_frames : int
        Refuse inputs that need more frames than this (one frame per output value).

    Returns
    -------
    anim : BookAnimation
        Its figure is closed; displaying it shows the player.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Rectangle
    from cnncourse.checks import pair
    from cnncourse.functional.window import pad2d

    x = _check_map(x, "animate_pool2d")
    out = pool2d(x[None, None], kind, kernel_size, stride, padding)[0, 0]
    (kh, kw) = pair(kernel_size, "animate_pool2d", "kernel_size", 1)
    (sh, sw) = pair(kernel_size if stride is None else stride, "animate_pool2d", "stride", 1)
    (ph, pw) = pair(padding, "animate_pool2d", "padding", 0)
    n_frames = out.size
    if n_frames > max_frames:
        raise ValueError(f"animate_pool2d: the output has {out.shape[0]}x{out.shape[1]} = {n_frames} "
                         f"values, more than max_frames={max_frames}; use a smaller input or a larger stride")
    xp = pad2d(x.astype(np.float64), ((ph, ph), (pw, pw)), value=np.nan)
    winners = None
    if kind == "max":
        winners = _routing(x, "max", kernel_size, stride, padding)
    name = {"max": "max", "avg": "average", "sum": "sum", "l2": "L2"}[kind]

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 3.6), dpi=dpi,
                                   gridspec_kw={"width_ratios": [xp.shape[1], max(out.shape[1], 2)]})
    finite = xp[np.isfinite(xp)]
    _grid(ax0, xp, f"input {x.shape[0]}×{x.shape[1]}" + (f", padding {padding}" if ph or pw else ""),
          "{:.2g}", vmin=finite.min(), vmax=finite.max())
    rect = Rectangle((-0.5, -0.5), kw, kh, fill=False, lw=3, ec="tab:red")
    ax0.add_patch(rect)
    circle = Circle((0, 0), 0.42, fill=False, lw=2, ec="tab:orange", visible=False)
    ax0.add_patch(circle)
    _, out_texts = _grid(ax1, np.full(out.shape, np.nan), f"output {out.shape[0]}×{out.shape[1]}",
                         "", cmap="Oranges")
    out_im = ax1.images[0]
    out_im.set_clim(np.nanmin(out), np.nanmax(out) if np.nanmax(out) > np.nanmin(out) else np.nanmin(out) + 1)
    title = fig.suptitle("placeholder for the layout")
    fig.tight_layout()
    title.set_text("")

    def draw(frame):
        i, j = divmod(frame, out.shape[1])
        rect.set_xy((j * sw - 0.5, i * sh - 0.5))
        if winners is not None:
            r, c = winners[frame]
            circle.center = (c + pw, r + ph)
            circle.set_visible(True)
        shown = np.full(out.shape, np.nan)
        shown.flat[:frame + 1] = out.flat[:frame + 1]
        out_im.set_data(shown)
        for k in range(out.size):
            out_texts.flat[k].set_text(f"{out.flat[k]:.3g}" if k <= frame else "")
            out_texts.flat[k].set_color(_cell_text_color(out_im, shown.flat[k]))
        title.set_text(f"{name} pool, window ({i}, {j}) → {out[i, j]:.3g}")
        return [rect, circle, out_im, title]

    alt = (f"{name.capitalize()} pooling of a {x.shape[0]}×{x.shape[1]} map with a {kh}×{kw} window, stride "
           f"{sh}×{sw}" + (f", padding {ph}×{pw}" if ph or pw else "") + ": a red frame moves over the input"
           + (", the maximum of each window circled," if kind == "max" else "")
           + f" and each window's result is written into the {out.shape[0]}×{out.shape[1]} output")
    labels = [f"window ({k // out.shape[1]}, {k % out.shape[1]}): {name} = {out.flat[k]:.3g}" for k in range(n_frames)]
    return BookAnimation(fig, draw, frames=n_frames, interval=interval, alt=alt, labels=labels)


def _routing(x, kind, kernel_size, stride, padding):
    """For each output position (row-major), the input cell that receives its gradient (max pool)."""
    fwd, bwd = _pool_forward_backward(kind)
    out, cache = fwd(x[None, None].astype(np.float64), kernel_size, stride, padding)
    cells = []
    for k in range(out.size):
        dout = np.zeros_like(out)
        dout.flat[k] = 1.0
        dx = bwd(dout, cache)[0, 0]
        cells.append(np.unravel_index(np.argmax(dx), dx.shape))
    return cells


def animate_pool_backward(x, kernel_size, stride=None, padding=0, kind: str = "max", dout=None,
                          interval: int = 700, dpi: int = BOOK_DPI, max_frames: int = 40):
    """Animate the backward pass of pooling: each output's gradient flows back into its window.

    Frame ``k`` shows ``dx`` after the gradients of the first ``k + 1`` outputs (row-major) have
    been sent back. Each frame is the package's own backward,
    ``F.<kind>_pool2d_backward(dout * mask_k, cache)`` with ``mask_k`` keeping only those outputs,
    so max pooling routes each gradient to the first maximum of its window and average pooling
    spreads it evenly; with overlapping windows the contributions add up.

    Parameters
    ----------
    x : ndarray, shape (H, W), float
    kernel_size, stride, padding
        As in :func:`cnncourse.functional.max_pool2d`.
    kind : {'max', 'avg', 'sum'}
    dout : ndarray, shape (H_out, W_out), optional
        Upstream gradient; default ``1, 2, 3, ...`` so each contribution can be traced.

    Returns
    -------
    anim : BookAnimation
        Its figure is closed; displaying it shows the player.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from cnncourse.checks import pair

    x = _check_map(x, "animate_pool_backward").astype(np.float64)
    fwd, bwd = _pool_forward_backward(kind)
    out, cache = fwd(x[None, None], kernel_size, stride, padding)
    H_out, W_out = out.shape[-2:]
    if dout is None:
        dout = np.arange(1, out.size + 1, dtype=np.float64).reshape(H_out, W_out)
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != (H_out, W_out):
        raise ValueError(f"animate_pool_backward: dout must have the output's shape {(H_out, W_out)}, "
                         f"got {dout.shape}")
    if out.size > max_frames:
        raise ValueError(f"animate_pool_backward: {out.size} output values need more than "
                         f"max_frames={max_frames} frames; use a smaller input or a larger stride")
    (kh, kw) = pair(kernel_size, "animate_pool_backward", "kernel_size", 1)
    (sh, sw) = pair(kernel_size if stride is None else stride, "animate_pool_backward", "stride", 1)
    (ph, pw) = pair(padding, "animate_pool_backward", "padding", 0)
    partial = []
    for k in range(out.size):
        mask = np.zeros(out.size)
        mask[:k + 1] = 1
        partial.append(bwd((dout.ravel() * mask).reshape(out.shape), cache)[0, 0])
    dx_final = partial[-1]
    lo, hi = min(dx_final.min(), 0.0), max(dx_final.max(), 1e-12)

    fig, axes = plt.subplots(1, 3, figsize=(MAX_WIDTH_IN, 3.0), dpi=dpi,
                             gridspec_kw={"width_ratios": [x.shape[1], max(W_out, 2), x.shape[1]]})
    _grid(axes[0], x, "input x", "{:.2g}")
    _grid(axes[1], dout, "dout", "{:.3g}", cmap="Oranges")
    dx_im, dx_texts = _grid(axes[2], np.zeros_like(x), "dx so far", "{:.3g}", cmap="Greens",
                            vmin=lo, vmax=hi)
    rect_in = Rectangle((-0.5, -0.5), kw, kh, fill=False, lw=3, ec="tab:red")
    rect_dx = Rectangle((-0.5, -0.5), kw, kh, fill=False, lw=3, ec="tab:red")
    rect_out = Rectangle((-0.5, -0.5), 1, 1, fill=False, lw=3, ec="tab:red")
    for ax, r in zip(axes, (rect_in, rect_out, rect_dx)):
        ax.add_patch(r)
    title = fig.suptitle("placeholder\nfor the layout")
    fig.tight_layout()
    title.set_text("")
    name = {"max": "max", "avg": "average", "sum": "sum"}[kind]

    def draw(frame):
        i, j = divmod(frame, W_out)
        corner = (j * sw - pw - 0.5, i * sh - ph - 0.5)
        rect_in.set_xy(corner)
        rect_dx.set_xy(corner)
        rect_out.set_xy((j - 0.5, i - 0.5))
        dx = partial[frame]
        dx_im.set_data(dx)
        for t, v in zip(dx_texts.flat, dx.flat):
            t.set_text(f"{v:.3g}")
            t.set_color(_cell_text_color(dx_im, v))
        verb = "routes" if kind == "max" else "spreads"
        title.set_text(f"{name} pool backward: dout[{i}, {j}] = {dout[i, j]:.3g}\n{verb} into its window")
        return [rect_in, rect_dx, rect_out, dx_im, title]

    verb = "is routed to the maximum of its window" if kind == "max" else "is spread over its window"
    alt = (f"Backward pass of {name} pooling on a {x.shape[0]}×{x.shape[1]} input with a {kh}×{kw} window, "
           f"stride {sh}×{sw}: step by step, each upstream gradient value {verb}, and the input gradient "
           f"dx accumulates the contributions")
    labels = [f"dout[{k // W_out}, {k % W_out}] = {dout.flat[k]:.3g} sent back" for k in range(out.size)]
    return BookAnimation(fig, draw, frames=out.size, interval=interval, alt=alt, labels=labels)
