"""Exercises of the chapter *Activations and pooling* (``book/activations-pooling.ipynb``)."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as _windows

from ._core import Case, Exercise, Mistake, register
from ._refops import convolve_full as _convolve_full
from ._refops import correlate_full as _correlate_full

CHAPTER = "activations-pooling"


# --------------------------------------------------------------------------- pooling.max-pool-2d

def max_pool_2d(x, kernel_size, stride):
    """Max pooling of one feature map ``x`` (H, W), square window, no padding.

    ``out[i, j] = max(x[i*s : i*s + k, j*s : j*s + k])``, shape
    ``((H - k) // s + 1, (W - k) // s + 1)``. The package's loop version is
    :func:`cnncourse.functional.max_pool2d_naive`.
    """
    k, s = kernel_size, stride
    return np.array(_windows(x, (k, k))[::s, ::s].max(axis=(2, 3)))


def _max_pool_cases(rng):
    cases = [
        Case((np.arange(16.0).reshape(4, 4), 2, 2), description="4x4, window 2, stride 2"),
        Case((-np.arange(1.0, 17.0).reshape(4, 4), 2, 2), description="all values negative"),
        Case((np.arange(24.0).reshape(4, 6) % 5, 2, 2), description="non-square 4x6"),
        Case((np.arange(35.0).reshape(5, 7) % 6, 2, 2), description="stride does not divide (5x7)"),
        Case((np.arange(30.0).reshape(5, 6) % 7 - 3, 3, 1), description="overlapping windows (3, stride 1)"),
        Case((np.arange(42.0).reshape(6, 7) % 4 - 2, 3, 2), description="overlapping windows (3, stride 2)"),
        Case((np.arange(6.0).reshape(2, 3), 1, 1), description="window 1"),
    ]
    for _ in range(5):
        H, W = rng.integers(4, 10, size=2)
        k = int(rng.integers(1, 4))
        s = int(rng.integers(1, 4))
        cases.append(Case((rng.standard_normal((H, W)), k, s), description="random (seeded)"))
    return cases


def _max_from_zero(x, kernel_size, stride):  # running max started at 0 instead of -inf
    return np.maximum(max_pool_2d(x, kernel_size, stride), 0.0)


def _max_one_short(x, kernel_size, stride):  # H_out = (H - k) // s, without the + 1
    return max_pool_2d(x, kernel_size, stride)[:-1, :-1].copy()


def _max_ceil(x, kernel_size, stride):  # windows that stick out of the map kept (ceil)
    H, W = x.shape
    extra_h = (-(H - kernel_size)) % stride
    extra_w = (-(W - kernel_size)) % stride
    xp = np.pad(x, ((0, extra_h), (0, extra_w)), constant_values=-np.inf)
    return max_pool_2d(xp, kernel_size, stride)


def _max_stride_one(x, kernel_size, stride):  # stride ignored
    return max_pool_2d(x, kernel_size, 1)


def _avg_instead(x, kernel_size, stride):
    k, s = kernel_size, stride
    return _windows(x, (k, k))[::s, ::s].mean(axis=(2, 3))


register(Exercise(
    id="pooling.max-pool-2d",
    title="Max pooling with loops",
    chapter=CHAPTER,
    kind="function",
    prompt="Write max_pool_2d(x, kernel_size, stride) for one feature map x (H, W): a square "
           "window of kernel_size, moved by stride, no padding; return out of shape "
           "((H - k) // s + 1, (W - k) // s + 1) with out[i, j] the maximum of the window whose "
           "top-left corner is (i*s, j*s).",
    reference=max_pool_2d,
    cases=_max_pool_cases,
    hints=[
        "The output size is the convolution formula with no padding: H_out = (H - k) // s + 1, "
        "and the same for W. Windows that would stick out are dropped (floor).",
        "Two loops over i in range(H_out) and j in range(W_out); the window is "
        "x[i*s : i*s + k, j*s : j*s + k] (rows first).",
        "out[i, j] = window.max(). Start from np.empty((H_out, W_out)) or np.full(..., -np.inf), "
        "never from zeros.",
    ],
    mistakes=[
        Mistake("started at zero", "Your maxima are never negative: the running maximum seems to "
                "start at 0. A window of negative values has a negative maximum; start at -inf "
                "or use window.max().", wrong=_max_from_zero),
        Mistake("no +1", "Your output is one row and one column short: H_out = (H - k) // s + 1; "
                "the + 1 counts the window at position 0.", wrong=_max_one_short),
        Mistake("ceil", "Your output has an extra row or column where the stride does not divide: "
                "you kept windows that stick out of the map (ceil). Without padding only windows "
                "that fit count: H_out = (H - k) // s + 1 (floor).", wrong=_max_ceil),
        Mistake("stride ignored", "Your output is as large as with stride 1: move the window by "
                "stride, i.e. its corner is at (i*stride, j*stride).", wrong=_max_stride_one),
        Mistake("average", "You computed the average of each window; max pooling keeps the "
                "largest value.", wrong=_avg_instead),
    ],
    examples_wrong=[
        (_max_from_zero, "start at -inf"),
        (_max_one_short, "+ 1"),
        (_max_ceil, "floor"),
        (_max_stride_one, "stride"),
        (_avg_instead, "largest value"),
    ],
    explanation="Each output value is the maximum of one window; the windows' corners are "
                "stride apart, and only windows that fit entirely in the map count, hence the "
                "floor in (H - k) // s + 1.",
    solution_code='''\
def max_pool_2d(x, kernel_size, stride):
    H, W = x.shape
    H_out = (H - kernel_size) // stride + 1
    W_out = (W - kernel_size) // stride + 1
    out = np.empty((H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            window = x[
                i * stride : i * stride + kernel_size,
                j * stride : j * stride + kernel_size,
            ]
            out[i, j] = window.max()
    return out
''',
))


# --------------------------------------------------------------------------- pooling.receptive-field

def receptive_field(layers):
    """Receptive field (input pixels along one axis) of one unit after ``layers``.

    ``layers`` is a list of ``(kernel_size, stride)`` pairs, convolutions and poolings alike,
    first layer first. ``R = 1, J = 1``; each layer adds ``(k - 1) * J`` to ``R`` and then
    multiplies the jump ``J`` by its stride.
    """
    size, jump = 1, 1
    for kernel_size, stride in layers:
        size += (kernel_size - 1) * jump
        jump *= stride
    return size


def _rf_cases(rng):
    cases = [
        Case(([(3, 1)],), description="one 3x3 convolution"),
        Case(([(3, 1), (3, 1)],), description="two 3x3 convolutions"),
        Case(([(2, 2), (2, 2)],), description="two 2x2 poolings, stride 2"),
        Case(([(5, 1), (2, 2), (5, 1), (2, 2)],), description="LeNet-5's conv, pool, conv, pool"),
        Case(([(3, 1), (2, 2), (3, 1), (3, 1)],), description="a pool between 3x3 convolutions"),
        Case(([(1, 2), (3, 1)],), description="a 1x1 layer with stride 2, then a 3x3"),
        Case(([(3, 2), (3, 2), (3, 2)],), description="three 3x3 layers, each with stride 2"),
        Case(([],), description="no layer at all"),
    ]
    for _ in range(4):
        depth = int(rng.integers(1, 7))
        layers = [(int(rng.integers(1, 8)), int(rng.integers(1, 4))) for _ in range(depth)]
        cases.append(Case((layers,), description="random stack (seeded)"))
    return cases


def _rf_no_jump(layers):  # every layer adds k - 1, whatever the strides below it
    return 1 + sum(k - 1 for k, _ in layers)


def _rf_own_stride(layers):  # multiplied the jump by the layer's own stride before adding
    size, jump = 1, 1
    for k, s in layers:
        jump *= s
        size += (k - 1) * jump
    return size


def _rf_product(layers):  # kernels multiplied
    size = 1
    for k, _ in layers:
        size *= k
    return size


register(Exercise(
    id="pooling.receptive-field",
    title="Receptive field through convolutions and poolings",
    chapter=CHAPTER,
    kind="function",
    prompt="Write receptive_field(layers): the receptive field, in input pixels along one axis, "
           "of one unit after a stack of layers given as a list of (kernel_size, stride) pairs, "
           "first layer first. A pooling window counts like a convolution kernel (no padding "
           "or dilation here: they move the field, not its size). Return an int; an empty "
           "stack sees 1 pixel.",
    reference=receptive_field,
    cases=_rf_cases,
    hints=[
        "Keep two numbers: the receptive field R (starts at 1) and the jump J, the distance in "
        "input pixels between neighbouring units of the current layer (starts at 1).",
        "A layer with kernel k spans k units of the layer below, k - 1 jumps: R += (k - 1) * J. "
        "Then its stride spreads its own units further apart: J *= s.",
    ],
    mistakes=[
        Mistake("no jump", "You added k - 1 per layer as if every stride were 1. After a stride-2 "
                "layer (a 2x2 pooling, say) neighbouring units are 2 input pixels apart, so a "
                "later kernel's k - 1 steps cover (k - 1) * J pixels, J the product of the "
                "strides BELOW it.", wrong=_rf_no_jump),
        Mistake("own stride", "You multiplied the jump by a layer's own stride before adding its "
                "kernel; a layer's stride only spreads its own outputs, so it affects the layers "
                "above it: add (k - 1) * J first, then J *= s.", wrong=_rf_own_stride),
        Mistake("product", "Kernel sizes do not multiply: two 3x3 layers see 5x5, not 9x9. Each "
                "layer adds (k - 1) * J.", wrong=_rf_product),
    ],
    examples_wrong=[
        (_rf_no_jump, "BELOW"),
        (_rf_own_stride, "add (k - 1) * J first"),
        (_rf_product, "do not multiply"),
    ],
    explanation="Pooling has no weights, but its stride multiplies the jump: every layer after "
                "a 2x2 pooling grows the receptive field twice as fast. That is how a few "
                "small kernels with poolings in between come to see the whole digit.",
    solution_code='''\
def receptive_field(layers):
    size, jump = 1, 1
    for kernel_size, stride in layers:
        size += (kernel_size - 1) * jump   # k - 1 steps of the layer below
        jump *= stride                     # then this layer's units are stride times further apart
    return size
''',
))


# --------------------------------------------------------------------------- pooling.maxout

def maxout(x, pool_size):
    """Max over groups of ``pool_size`` consecutive channels: (N, C, H, W) -> (N, C // pool_size, H, W)."""
    N, C, H, W = x.shape
    return x.reshape(N, C // pool_size, pool_size, H, W).max(axis=2)


def _maxout_cases(rng):
    base = np.arange(2 * 4 * 2 * 3, dtype=np.float64).reshape(2, 4, 2, 3)
    cases = [
        Case((np.array([1.0, 5.0, 2.0, -1.0]).reshape(1, 4, 1, 1), 2), description="4 channels, pairs"),
        Case(((base * 7) % 11 - 5, 2), description="batch 2, 4 channels, non-square 2x3"),
        Case(((base * 5) % 13, 4), description="all channels in one group"),
        Case(((base * 3) % 7, 1), description="groups of 1 (identity)"),
    ]
    for _ in range(4):
        g = int(rng.integers(1, 4))
        C = g * int(rng.integers(1, 4))
        N, H, W = rng.integers(1, 5, size=3)
        cases.append(Case((rng.standard_normal((N, C, H, W)), g), description="random (seeded)"))
    return cases


def _maxout_interleaved(x, pool_size):  # groups {c, c + G, c + 2G, ...} instead of consecutive
    N, C, H, W = x.shape
    return x.reshape(N, pool_size, C // pool_size, H, W).max(axis=1)


def _maxout_spatial(x, pool_size):  # pooled over space instead of channels
    return x.max(axis=(2, 3), keepdims=True)


register(Exercise(
    id="pooling.maxout",
    title="Pooling across channels (maxout)",
    chapter=CHAPTER,
    kind="function",
    prompt="Write maxout(x, pool_size) for x of shape (N, C, H, W): split the channels into "
           "groups of pool_size consecutive channels (0..pool_size-1, then the next ones, ...) "
           "and keep the maximum of each group at every pixel; return shape "
           "(N, C // pool_size, H, W).",
    reference=maxout,
    cases=_maxout_cases,
    hints=[
        "Reshape the channel axis into (groups, pool_size): x.reshape(N, C // pool_size, "
        "pool_size, H, W).",
        "Then take the maximum over the pool_size axis (axis 2). The spatial axes are untouched.",
    ],
    mistakes=[
        Mistake("interleaved groups", "Your groups are interleaved (channels c, c + G, c + 2G, ...): "
                "reshape to (N, C // pool_size, pool_size, H, W), with the group index first, so "
                "each group holds consecutive channels.", wrong=_maxout_interleaved),
        Mistake("spatial pooling", "You pooled over space (H and W); maxout pools across channels "
                "and keeps the spatial size.", wrong=_maxout_spatial),
    ],
    examples_wrong=[
        (_maxout_interleaved, "consecutive channels"),
        (_maxout_spatial, "across channels"),
    ],
    explanation="A maxout unit responds when any one of its group's filters responds, so it is "
                "invariant to which of them fired, e.g. to a pattern's orientation when the "
                "filters are rotated copies.",
    solution_code='''\
def maxout(x, pool_size):
    N, C, H, W = x.shape
    return x.reshape(N, C // pool_size, pool_size, H, W).max(axis=2)
''',
))


# --------------------------------------------------------------------------- pooling.stacked-convs

def stacked_kernel(k1, k2):
    """The one kernel equal to cross-correlating with ``k1`` and then with ``k2`` ('valid' mode).

    ``correlate(correlate(x, k1), k2) == correlate(x, K)`` with ``K = convolve2d(k1, k2, 'full')``,
    shape ``(a + c - 1, b + d - 1)`` for kernels (a, b) and (c, d).
    """
    return _convolve_full(k1, k2)


def _stacked_cases(rng):
    cases = [
        Case((np.array([[2.0]]), np.array([[3.0]])), description="two 1x1 kernels"),
        Case((np.array([[1.0, 2.0, 0.0]]), np.array([[0.0], [1.0], [-1.0]])),
             description="a 1x3 then a 3x1 kernel"),
        Case((np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 1.0], [-1.0, 2.0]])),
             description="two non-symmetric 2x2 kernels"),
        Case((np.arange(6.0).reshape(2, 3) - 2, np.array([[1.0, -2.0, 0.5]])),
             description="non-square kernels"),
    ]
    for _ in range(4):
        a, b, c, d = rng.integers(1, 4, size=4)
        cases.append(Case((rng.standard_normal((a, b)), rng.standard_normal((c, d))),
                          description="random (seeded)"))
    return cases


def _stacked_correlate(k1, k2):  # cross-correlation of the kernels: the flip is missing
    return _correlate_full(k1, k2)


def _stacked_product(k1, k2):  # elementwise product (same-size kernels) / matrix-like guess
    return k1 * k2


register(Exercise(
    id="pooling.stacked-convs",
    title="Two linear convolutions are one convolution",
    chapter=CHAPTER,
    kind="function",
    prompt="Cross-correlating an image with k1 (a, b) and then with k2 (c, d), both in 'valid' "
           "mode and without any activation in between, equals one cross-correlation with a "
           "single kernel K. Write stacked_kernel(k1, k2) that returns K, of shape "
           "(a + c - 1, b + d - 1).",
    reference=stacked_kernel,
    cases=_stacked_cases,
    hints=[
        "Try it with an image that is a single 1 (a delta) in a sea of zeros: what comes out is "
        "the kernel, flipped. What comes out of the two-step pipeline?",
        "Cross-correlation with k is convolution with k flipped, and convolutions compose: "
        "conv(conv(x, f1), f2) = conv(x, f1 * f2) where * is the full convolution.",
        "K = cnncourse.signal.convolve2d(k1, k2, mode='full'). Check it against the two-step "
        "pipeline on a random image.",
    ],
    mistakes=[
        Mistake("no flip", "You cross-correlated the two kernels; composing two "
                "cross-correlations gives the full *convolution* of the kernels (one of them "
                "appears flipped).", wrong=_stacked_correlate),
    ],
    examples_wrong=[
        (_stacked_correlate, "convolution"),
        (_stacked_product, "shape"),
    ],
    explanation="correlate(x, k) = convolve(x, flip(k)), convolution is associative, and "
                "flip(k1) * flip(k2) = flip(k1 * k2): so two correlations are one correlation "
                "with k1 * k2. Without a non-linearity, depth adds no expressive power.",
    solution_code='''\
def stacked_kernel(k1, k2):
    return signal.convolve2d(k1, k2, mode="full")
''',
))
