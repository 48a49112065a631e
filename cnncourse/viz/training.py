"""Figures for the chapter *Training a complete CNN*: learning curves, confusion matrices,
misclassified images, learned filters and the feature maps of a trained network.

Everything is computed from what :mod:`cnncourse.train` and the model return: a
:class:`~cnncourse.train.History`, a confusion matrix from
:func:`~cnncourse.train.confusion_matrix`, and the layers of a :class:`~cnncourse.nn.Sequential`.
"""
from __future__ import annotations

import numpy as np

from .player import BookAnimation
from .pool import plot_maps
from .style import BOOK_DPI, FONT_SIZE, MAX_WIDTH_IN, annotate_cells

__all__ = ["plot_history", "plot_confusion_matrix", "plot_misclassified", "plot_filters",
           "animate_filters", "layer_outputs", "plot_feature_maps"]


def _as_dict(histories) -> dict:
    if isinstance(histories, dict):
        return histories
    return {"": histories}


def plot_history(histories, title: str | None = None, size=(MAX_WIDTH_IN, 3.4), *, ax=None,
                 metric: str = "both"):
    """Learning curves: loss (left) and accuracy (right) per epoch, training solid with circles,
    validation dashed with squares; one colour per run; integer epoch ticks; the legend below the axes.

    Parameters
    ----------
    histories : History or dict of str to History
        From :func:`cnncourse.train.fit`; a dict compares several runs (one colour each).
    title : str, optional
    size : (width, height) in inches, optional
        Of the new figure; ignored when ``ax`` is given.
    ax : matplotlib Axes, or a sequence of Axes, optional
        Where to draw: one Axes per panel (two for ``metric='both'``). ``None``: a new figure
        with the legend below the panels; given Axes get the legend on the first panel.
    metric : {'both', 'loss', 'acc'}, default 'both'

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure drawn on; ``fig.axes`` lists the panels (loss first) for a new figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from .style import MARKERS

    if metric not in ("both", "loss", "acc"):
        raise ValueError(f"plot_history: metric must be 'both', 'loss' or 'acc', got {metric!r}")
    panels = ["loss", "acc"] if metric == "both" else [metric]
    runs = _as_dict(histories)
    if ax is None:
        fig, axes = plt.subplots(1, len(panels), figsize=size, dpi=BOOK_DPI, squeeze=False)
        axes = list(axes[0])
    else:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) != len(panels):
            raise ValueError(f"plot_history: metric={metric!r} needs {len(panels)} Axes in ax, "
                             f"got {len(axes)}")
        fig = axes[0].figure
    labels = {"loss": ("cross-entropy loss", "loss"), "acc": ("accuracy", "accuracy")}
    for k, (name, h) in enumerate(runs.items()):
        colour = f"C{k}"
        epochs = np.arange(1, len(h.train_loss) + 1)
        prefix = f"{name} " if name else ""
        for axis, panel in zip(axes, panels):
            train = h.train_loss if panel == "loss" else h.train_acc
            val = h.val_loss if panel == "loss" else h.val_acc
            # train and validation: a marker of their own per run
            kw = dict(color=colour, marker=MARKERS[(2 * k) % len(MARKERS)], markersize=5)
            axis.plot(epochs, train, ls="-", label=f"{prefix}train", **kw)
            if val:
                kw.update(marker=MARKERS[(2 * k + 1) % len(MARKERS)], mfc="white")
                axis.plot(epochs, val, ls="--", label=f"{prefix}validation", **kw)
    for axis, panel in zip(axes, panels):
        ylabel, name = labels[panel]
        axis.set(xlabel="epoch", ylabel=ylabel, title=name)
        if panel == "acc":
            axis.set_ylim(None, 1.0)
        axis.grid(alpha=0.3)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    n_items = len(axes[0].get_lines())
    if ax is not None:
        axes[0].legend(fontsize=FONT_SIZE)
        if title:
            axes[0].set_title(title)
        return fig
    fig.legend(handles=axes[0].get_lines(), loc="lower center", ncols=min(n_items, 2),
               frameon=False, fontsize=FONT_SIZE)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07 * -(-n_items // 2) + 0.04, 1, 1))
    return fig


def plot_confusion_matrix(cm: np.ndarray, class_names=None, title: str = "confusion matrix"):
    """Counts of true class (rows) against predicted class (columns), numbers written in.

    Parameters
    ----------
    cm : ndarray of int, shape (C, C)
        From :func:`cnncourse.train.confusion_matrix`.
    class_names : sequence of str, optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: cm must be square (C, C), got shape {cm.shape}")
    C = cm.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(C))]
    fig, ax = plt.subplots(figsize=(min(0.5 * C + 2, MAX_WIDTH_IN), min(0.5 * C + 1.6, MAX_WIDTH_IN)),
                           dpi=BOOK_DPI)
    im = ax.imshow(cm, cmap="Blues")
    texts = annotate_cells(ax, im, cm, fmt=lambda v: str(v) if v else "")
    del texts
    ax.set_xticks(range(C), names)
    ax.set_yticks(range(C), names)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    fig.tight_layout()
    return fig


def plot_misclassified(X: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, max_images: int = 10,
                       class_names=None):
    """The first ``max_images`` images whose prediction is wrong, titled 'true -> predicted'.

    Parameters
    ----------
    X : ndarray, shape (N, 1, H, W) or (N, H, W)
    y_true, y_pred : ndarray of int, shape (N,)

    Returns
    -------
    fig : matplotlib.figure.Figure, or None when every prediction is right
    """
    X = np.asarray(X)
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))[:max_images]
    if len(wrong) == 0:
        return None
    names = class_names if class_names is not None else [str(c) for c in range(int(max(y_true.max(), y_pred.max())) + 1)]
    images = [X[i, 0] if X.ndim == 4 else X[i] for i in wrong]
    titles = [f"{names[y_true[i]]} -> {names[y_pred[i]]}" for i in wrong]
    return plot_maps(images, titles, ncols=min(len(images), 10), cmap="gray_r", size=1.2)


def plot_filters(weight: np.ndarray, in_channel: int = 0, title: str | None = None, ncols: int = 8):
    """The learned kernels of a convolution layer, one panel per output channel.

    Parameters
    ----------
    weight : ndarray, shape (C_out, C_in, kH, kW)
        E.g. ``model[0].weight.data``.
    in_channel : int
        Which input channel's slice to show.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(f"plot_filters: weight must be 4-D (C_out, C_in, kH, kW), got shape {weight.shape}")
    kernels = [weight[o, in_channel] for o in range(weight.shape[0])]
    return plot_maps(kernels, [f"filter {o}" for o in range(len(kernels))], ncols=min(ncols, len(kernels)),
                     cmap="RdBu_r", size=1.3, suptitle=title)


def animate_filters(snapshots, val_acc=None, in_channel: int = 0, interval: int = 600,
                    dpi: int = BOOK_DPI, max_frames: int = 40):
    """Animate a convolution layer's filters as they are learned, one frame per epoch.

    Top, the kernels of ``snapshots[k]`` (red positive, blue negative, one colour scale for the
    whole animation so that growing weights look stronger); bottom, the validation accuracy up
    to epoch ``k`` when ``val_acc`` is given.

    Parameters
    ----------
    snapshots : sequence of ndarray, each of shape (C_out, C_in, kH, kW)
        The layer's weights before training (epoch 0) and after each epoch, e.g. copies of
        ``model[0].weight.data``.
    val_acc : sequence of float, optional
        Validation accuracy after each epoch: ``len(snapshots) - 1`` values.
    in_channel : int
        Which input channel's slice of each kernel to draw.
    interval : int
        Milliseconds per frame.
    dpi : int
    max_frames : int
        Refuse more snapshots than this (each frame is an image embedded in the page).

    Returns
    -------
    anim : BookAnimation
        Its figure is closed; displaying it shows the player.
    """
    import matplotlib.pyplot as plt

    fn = "animate_filters"
    frames = [np.asarray(w) for w in snapshots]
    if not frames:
        raise ValueError(f"{fn}: snapshots is empty; pass the weights before and after each epoch")
    if any(w.ndim != 4 or w.shape != frames[0].shape for w in frames):
        raise ValueError(f"{fn}: every snapshot must be 4-D (C_out, C_in, kH, kW) with one shape, "
                         f"got shapes {sorted({w.shape for w in frames})}")
    if len(frames) > max_frames:
        raise ValueError(f"{fn}: {len(frames)} snapshots make {len(frames)} frames, more than "
                         f"max_frames={max_frames}; keep every k-th snapshot")
    if val_acc is not None and len(val_acc) != len(frames) - 1:
        raise ValueError(f"{fn}: val_acc needs one value per epoch ({len(frames) - 1}), "
                         f"got {len(val_acc)}")
    if not 0 <= in_channel < frames[0].shape[1]:
        raise ValueError(f"{fn}: in_channel must be in [0, {frames[0].shape[1]}), got {in_channel}")

    n_filters = frames[0].shape[0]
    vmax = max(float(np.abs(w[:, in_channel]).max()) for w in frames) or 1.0
    rows = 2 if val_acc is not None else 1
    width = min(1.2 * max(n_filters, 4), MAX_WIDTH_IN)
    fig = plt.figure(figsize=(width, 0.25 + width / max(n_filters, 4) * 1.3 + 1.8 * (rows - 1)), dpi=dpi)
    grid = fig.add_gridspec(rows, n_filters, height_ratios=[1] * rows)
    images = []
    for o in range(n_filters):
        ax = fig.add_subplot(grid[0, o])
        images.append(ax.imshow(frames[0][o, in_channel], cmap="RdBu_r", vmin=-vmax, vmax=vmax))
        ax.set_title(f"{o}", fontsize=FONT_SIZE)
        ax.set_xticks([])
        ax.set_yticks([])
    if val_acc is not None:
        ax_acc = fig.add_subplot(grid[1, :])
        epochs = np.arange(1, len(val_acc) + 1)
        (line,) = ax_acc.plot([], [], marker="o", color="C1")
        ax_acc.set(xlim=(0.5, len(val_acc) + 0.5), ylim=(0, 1), xlabel="epoch",
                   ylabel="val. accuracy")
        ax_acc.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    title = fig.suptitle("placeholder", fontsize=FONT_SIZE + 1)
    fig.tight_layout()

    def draw(k):
        for o, image in enumerate(images):
            image.set_data(frames[k][o, in_channel])
        title.set_text("initial weights (epoch 0)" if k == 0 else f"after epoch {k}")
        if val_acc is not None:
            line.set_data(epochs[:k], np.asarray(val_acc)[:k])
        return images

    alt = (f"The {n_filters} learned {frames[0].shape[2]}×{frames[0].shape[3]} kernels of the first convolution "
           f"(input channel {in_channel}, blue negative, red positive), from their random initial weights "
           f"through {len(frames) - 1} epochs of training"
           + (", with the validation accuracy after each epoch plotted below" if val_acc is not None else ""))
    labels = ["initial weights (epoch 0)"] + [
        f"after epoch {k}" + (f": validation accuracy {val_acc[k - 1]:.3f}" if val_acc is not None else "")
        for k in range(1, len(frames))]
    title.set_text("")
    return BookAnimation(fig, draw, frames=len(frames), interval=interval, alt=alt, labels=labels)


def layer_outputs(model, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Run ``x`` through a :class:`~cnncourse.nn.Sequential` layer by layer, in evaluation mode.

    Parameters
    ----------
    model : Sequential
    x : ndarray, shape (N, C, H, W)

    Returns
    -------
    outputs : list of (name, ndarray)
        ``name`` is ``'<index>: <LayerClass>'``; one entry per layer, in order.
    """
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        outputs = []
        for i, layer in enumerate(model):
            x = layer(x)
            outputs.append((f"{i}: {type(layer).__name__}", x))
        return outputs
    finally:
        model.train(was_training)


def plot_feature_maps(model, x: np.ndarray, layer: int, max_maps: int = 16, title: str | None = None):
    """The feature maps of one image after layer ``layer`` of ``model``.

    Parameters
    ----------
    model : Sequential
    x : ndarray, shape (1, C, H, W)
        One image, as a batch of one.
    layer : int
        Index of a layer whose output is 4-D (a convolution, activation or pooling).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    name, out = layer_outputs(model, x)[layer]
    if out.ndim != 4:
        raise ValueError(f"plot_feature_maps: layer {name} outputs shape {out.shape}, not feature "
                         f"maps (N, C, H, W); pick a convolution, activation or pooling layer")
    maps = out[0, :max_maps]
    return plot_maps(list(maps), [f"map {c}" for c in range(len(maps))], ncols=min(8, len(maps)),
                     cmap="viridis", size=1.3, suptitle=title or f"after layer {name}, {out.shape[2]}x{out.shape[3]}")
