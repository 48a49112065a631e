"""Exercises of the chapter *Why convolutions* (``book/why-convolutions.ipynb``)."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as _windows

from ._core import Case, Exercise, Mistake, register

CHAPTER = "why-convolutions"


# --------------------------------------------------------------------------- why.to-nchw

def to_nchw(images):
    """Convert a batch of HWC images, shape (N, H, W, C), to NCHW, shape (N, C, H, W)."""
    return np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)))


def _nchw_cases(rng):
    return [
        Case((np.arange(2 * 3 * 4 * 3, dtype=np.float64).reshape(2, 3, 4, 3),),
             description="non-square RGB batch (H=3, W=4)"),
        Case((np.arange(1 * 5 * 2 * 1, dtype=np.float64).reshape(1, 5, 2, 1),),
             description="one grayscale image, H=5, W=2"),
        Case((rng.random((3, 4, 6, 3)).astype(np.float32),), description="float32 batch (seeded)"),
        Case((rng.random((2, 7, 5, 4)),), description="4 channels (RGBA, seeded)"),
        Case((rng.integers(0, 256, size=(2, 4, 3, 3), dtype=np.uint8),),
             description="uint8 pixels 0-255, as plt.imread gives them (seeded)"),
    ]


def _reshaped(images):  # right shape, scrambled pixels
    n, h, w, c = images.shape
    return images.reshape(n, c, h, w)


def _hw_swapped(images):  # (N, C, W, H)
    return np.transpose(images, (0, 3, 2, 1))


register(Exercise(
    id="why.to-nchw",
    title="From HWC images to an NCHW batch",
    chapter=CHAPTER,
    kind="function",
    prompt="Write to_nchw(images) that turns a batch of images stored as (N, H, W, C) — the "
           "layout of plt.imread, stacked — into the (N, C, H, W) layout that cnncourse (and "
           "PyTorch) expect. Keep every pixel value where it belongs.",
    reference=to_nchw,
    cases=_nchw_cases,
    hints=[
        "Moving an axis is a transpose (np.transpose or np.moveaxis), not a reshape: reshape "
        "keeps the memory order, so the numbers would land in the wrong places.",
        "The new axis order, written with the old axis numbers (N=0, H=1, W=2, C=3), is (0, 3, 1, 2).",
    ],
    mistakes=[
        Mistake("reshape", "Your output has the right shape but the pixels are scrambled: "
                "reshape(N, C, H, W) only re-reads the same memory with new sizes. Use a "
                "transpose, np.transpose(images, (0, 3, 1, 2)).", wrong=_reshaped),
        Mistake("H and W swapped", "Height and width are swapped: you produced (N, C, W, H). "
                "The axis order is (0, 3, 1, 2).", wrong=_hw_swapped),
    ],
    examples_wrong=[
        (_reshaped, "scrambled"),
        (_hw_swapped, "(N, C, W, H)"),
        (lambda images: images, "shape"),
    ],
    explanation="A transpose permutes the axes and so keeps each pixel value attached to its "
                "(n, h, w, c) position; only the order of the axes changes.",
    solution_code='''\
def to_nchw(images):
    return np.transpose(images, (0, 3, 1, 2))
''',
))


# --------------------------------------------------------------------------- why.conv-params

def conv_params(C_in, C_out, kH, kW):
    """Learnable parameters of Conv2d(C_in, C_out, (kH, kW)) with a bias per output channel."""
    return C_out * (C_in * kH * kW + 1)


def _conv_params_cases(rng):
    cases = [
        Case((1, 6, 5, 5), description="LeNet's first layer"),
        Case((3, 16, 3, 5), description="non-square kernel, RGB input"),
        Case((6, 16, 5, 5), description="LeNet's second layer"),
        Case((64, 1, 1, 1), description="a 1x1 convolution to one channel"),
    ]
    for _ in range(4):
        cases.append(Case(tuple(int(v) for v in rng.integers(1, 20, size=4)), description="random (seeded)"))
    return cases


register(Exercise(
    id="why.conv-params",
    title="Parameters of a convolutional layer",
    chapter=CHAPTER,
    kind="function",
    prompt="Write conv_params(C_in, C_out, kH, kW): the number of learnable parameters of a "
           "convolutional layer with C_in input channels, C_out filters of size kH x kW and one "
           "bias per filter. Note that it does not depend on the image size.",
    reference=conv_params,
    cases=_conv_params_cases,
    hints=[
        "One filter spans all C_in input channels: it has C_in * kH * kW weights.",
        "There are C_out filters, each with its own bias.",
    ],
    mistakes=[
        Mistake("no input channels", "A filter spans all the input channels: it has "
                "C_in * kH * kW weights, not kH * kW.", wrong=lambda C_in, C_out, kH, kW: C_out * (kH * kW + 1)),
        Mistake("no bias", "You forgot the bias: one per filter (C_out of them).",
                wrong=lambda C_in, C_out, kH, kW: C_out * C_in * kH * kW),
        Mistake("bias per input channel", "There is one bias per filter (per output channel), "
                "not one per input channel.", wrong=lambda C_in, C_out, kH, kW: C_out * C_in * (kH * kW + 1)),
    ],
    examples_wrong=[
        (lambda C_in, C_out, kH, kW: C_out * (kH * kW + 1), "spans all the input channels"),
        (lambda C_in, C_out, kH, kW: C_out * C_in * kH * kW, "forgot the bias"),
        (lambda C_in, C_out, kH, kW: C_out * (C_in * kH * kH + 1), "Wrong answer"),
    ],
    explanation="C_out filters, each with C_in * kH * kW weights and one bias: "
                "C_out * (C_in * kH * kW + 1). The same numbers are used at every position, "
                "so the count does not grow with the image.",
    solution_code='''\
def conv_params(C_in, C_out, kH, kW):
    return C_out * (C_in * kH * kW + 1)
''',
))


# --------------------------------------------------------------------------- why.locally-connected

def locally_connected(x, w):
    """A locally connected layer (no weight sharing) on one map: x (H, W), w (H_out, W_out, M, M)
    with H_out = H - M + 1; ``out[i, j] = sum(x[i:i+M, j:j+M] * w[i, j])``."""
    M = w.shape[2]
    return np.einsum("ijuv,ijuv->ij", _windows(x, (M, M)), w)


def _lc_cases(rng):
    x33 = np.arange(1.0, 10.0).reshape(3, 3)
    w_distinct = np.arange(16.0).reshape(2, 2, 2, 2) - 7
    cases = [
        Case((x33, w_distinct), description="3x3 map, a different 2x2 kernel at each of 4 positions"),
        Case((rng.standard_normal((4, 6)), rng.standard_normal((2, 4, 3, 3))),
             description="non-square 4x6 map, 3x3 patches"),
        Case((rng.standard_normal((3, 2)), rng.standard_normal((3, 2, 1, 1))),
             description="1x1 patches: one weight per pixel"),
        Case((rng.standard_normal((3, 3)), rng.standard_normal((1, 1, 3, 3))),
             description="one unit that sees the whole map"),
    ]
    for _ in range(3):
        M = int(rng.integers(1, 4))
        H, W = M + int(rng.integers(0, 4)), M + int(rng.integers(0, 4))
        cases.append(Case((rng.standard_normal((H, W)), rng.standard_normal((H - M + 1, W - M + 1, M, M))),
                          description="random (seeded)"))
    return cases


def _lc_shared(x, w):  # one kernel for every position: a convolution
    M = w.shape[2]
    return np.einsum("ijuv,uv->ij", _windows(x, (M, M)), w[0, 0])


def _lc_flipped(x, w):  # each unit's kernel rotated by 180 degrees
    return locally_connected(x, w[:, :, ::-1, ::-1])


register(Exercise(
    id="why.locally-connected",
    title="A locally connected layer: local, but not shared",
    chapter=CHAPTER,
    kind="function",
    prompt="Write locally_connected(x, w) for one map x (H, W) and weights w of shape (H_out, "
           "W_out, M, M), H_out = H - M + 1 and W_out = W - M + 1: output unit (i, j) looks at "
           "the patch x[i:i+M, j:j+M] with its OWN kernel w[i, j] (no sharing, no bias, no "
           "flip): out[i, j] = sum(x[i:i+M, j:j+M] * w[i, j]). Return out (H_out, W_out).",
    reference=locally_connected,
    cases=_lc_cases,
    hints=[
        "It is the convolution loop with one change: the kernel depends on the output position.",
        "out = np.zeros((H_out, W_out)); for every (i, j): out[i, j] = np.sum(x[i:i+M, "
        "j:j+M] * w[i, j]).",
    ],
    mistakes=[
        Mistake("shared", "You used one kernel (w[0, 0]) at every position: that is a "
                "convolution, the layer WITH weight sharing. Here unit (i, j) has its own "
                "kernel w[i, j].", wrong=_lc_shared),
        Mistake("flipped", "You flipped each kernel: the layer multiplies patch and kernel "
                "element by element as they are (like the book's convolutions, a "
                "cross-correlation).", wrong=_lc_flipped),
    ],
    examples_wrong=[
        (_lc_shared, "its own"),
        (_lc_flipped, "as they are"),
    ],
    explanation="A locally connected layer keeps the locality of a convolution but not the "
                "sharing: H_out * W_out * M * M weights instead of M * M, and a pattern learned "
                "at one position is unknown at every other one. Sharing is what makes the "
                "feature map equivariant to shifts.",
    solution_code='''\
def locally_connected(x, w):
    H_out, W_out, M, _ = w.shape
    out = np.zeros((H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[i, j] = np.sum(x[i:i + M, j:j + M] * w[i, j])   # unit (i, j)'s own kernel
    return out
''',
))


# --------------------------------------------------------------------------- why.detect-anywhere

def detect_anywhere(x, kernels):
    """Weight sharing plus a global max: for one map x (H, W) and kernels (K, kh, kw), the largest
    response of each kernel over every position where it fits, ``max_ij sum(x[i:i+kh, j:j+kw] *
    kernels[k])`` (valid cross-correlation, no flip, no padding). Returns (K,) float64."""
    kh, kw = kernels.shape[1:]
    return np.einsum("ijuv,kuv->kij", _windows(x, (kh, kw)), kernels).max(axis=(1, 2))


def _pattern_at(H, W, pattern, i, j):
    x = np.zeros((H, W))
    x[i:i + pattern.shape[0], j:j + pattern.shape[1]] = pattern
    return x


def _detect_cases(rng):
    ell = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0]])          # a 3x2 'L'
    kernels = np.stack([ell, ell[:, ::-1], -ell])                  # L, mirrored L, negative L
    cases = [
        Case((_pattern_at(6, 7, ell, 1, 1), kernels), description="an L near the top-left corner"),
        Case((_pattern_at(6, 7, ell, 2, 4), kernels), description="the same L moved down and right"),
        Case((_pattern_at(4, 7, ell, 0, 0), kernels),
             description="the L in the corner: a window it needs is cut off"),
        Case((np.full((3, 4), 2.0), -np.ones((1, 2, 3))),
             description="every response negative (a 2x3 kernel on a 3x4 map)"),
        Case((np.arange(12.0).reshape(3, 4), np.arange(6.0).reshape(1, 2, 3) - 2),
             description="non-square kernel, a ramp image"),
        Case((rng.standard_normal((4, 4)), rng.standard_normal((2, 4, 4))),
             description="kernels as large as the map: one position"),
    ]
    for _ in range(3):
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        H, W = kh + int(rng.integers(0, 5)), kw + int(rng.integers(0, 5))
        cases.append(Case((rng.standard_normal((H, W)),
                           rng.standard_normal((int(rng.integers(1, 5)), kh, kw))),
                          description="random map and kernels (seeded)"))
    return cases


def _detect_one_place(x, kernels):  # a dense unit: the pattern compared at one fixed place
    kh, kw = kernels.shape[1:]
    return np.einsum("uv,kuv->k", x[:kh, :kw], kernels)


def _detect_sum(x, kernels):  # global SUM pooling
    kh, kw = kernels.shape[1:]
    return np.einsum("ijuv,kuv->kij", _windows(x, (kh, kw)), kernels).sum(axis=(1, 2))


def _detect_flipped(x, kernels):  # a true convolution
    return detect_anywhere(x, kernels[:, ::-1, ::-1])


def _detect_padded(x, kernels):  # zero 'same'-style padding: windows that stick out count too
    kh, kw = kernels.shape[1:]
    padded = np.pad(x, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return detect_anywhere(padded, kernels)


def _detect_mean(x, kernels):  # global AVERAGE pooling
    kh, kw = kernels.shape[1:]
    return np.einsum("ijuv,kuv->kij", _windows(x, (kh, kw)), kernels).mean(axis=(1, 2))


def _detect_zero_start(x, kernels):  # the running maximum started at 0
    return np.maximum(detect_anywhere(x, kernels), 0.0)


def _detect_abs(x, kernels):
    kh, kw = kernels.shape[1:]
    return np.abs(np.einsum("ijuv,kuv->kij", _windows(x, (kh, kw)), kernels)).max(axis=(1, 2))


register(Exercise(
    id="why.detect-anywhere",
    title="A detector that finds its pattern anywhere",
    chapter=CHAPTER,
    kind="function",
    prompt="Write detect_anywhere(x, kernels) for one map x (H, W) and kernels (K, kh, kw): for "
           "each kernel, slide it over every position where it fits inside x (no padding), "
           "compute the response sum(x[i:i+kh, j:j+kw] * kernels[k]) (no flip), and keep the "
           "LARGEST response over all positions. Return the K scores as a float array of "
           "shape (K,).",
    reference=detect_anywhere,
    cases=_detect_cases,
    hints=[
        "It is a valid cross-correlation of x with each kernel (the same weights at every "
        "position: weight sharing), followed by a max over the whole map (global max pooling).",
        "scores = np.full(K, -np.inf); for every k, i in range(H - kh + 1), j in "
        "range(W - kw + 1): scores[k] = max(scores[k], np.sum(x[i:i+kh, j:j+kw] * kernels[k])).",
    ],
    mistakes=[
        Mistake("one place", "You compared each kernel with one fixed patch of the image, the "
                "way a dense unit's weights are tied to fixed pixels: move the pattern and the "
                "score changes. Slide the kernel over EVERY position and keep the largest "
                "response.", wrong=_detect_one_place),
        Mistake("sum", "You added the responses over all positions (a global SUM): it is "
                "shift-invariant too, but it counts every background window as well; the "
                "detector keeps the largest response, the global MAX pooling of the chapter's "
                "CNN.", wrong=_detect_sum),
        Mistake("mean", "You averaged the responses over all positions (a global AVERAGE): it "
                "is shift-invariant too, but a small pattern in a large map is diluted by the "
                "background windows; the detector keeps the largest response (global MAX "
                "pooling).", wrong=_detect_mean),
        Mistake("zero start", "Your scores are never below 0: did you start the running "
                "maximum at 0 (or clip the responses at 0, as a ReLU does)? When every "
                "response is negative the largest one is negative too; start from -np.inf (or "
                "from the first response).",
                wrong=_detect_zero_start),
        Mistake("flipped", "You flipped the kernels (a true convolution): the responses here "
                "are sum(patch * kernel) with the kernel as it is, like every convolution "
                "layer in the book (a cross-correlation).", wrong=_detect_flipped),
        Mistake("padded", "Your windows also stick out of the image over zero padding: only "
                "positions where the kernel fits wholly inside x count (i from 0 to H - kh, "
                "j from 0 to W - kw). With all responses negative a window over the padding "
                "wins wrongly.", wrong=_detect_padded),
        Mistake("abs", "You kept the largest ABSOLUTE response; a strongly negative response "
                "means the opposite pattern is there, not this one. Keep the sign: the "
                "largest value.", wrong=_detect_abs),
    ],
    examples_wrong=[
        (_detect_one_place, "EVERY position"),
        (_detect_sum, "global SUM"),
        (_detect_flipped, "as it is"),
        (_detect_padded, "fits wholly inside"),
        (_detect_abs, "Keep the sign"),
    ],
    explanation="The same kernel at every position (weight sharing) makes the response map "
                "move with the pattern (equivariance); the max over all positions then forgets "
                "where it was (invariance). So the score is the same wherever the pattern sits, "
                "as long as the windows around it stay inside the map: the first two cases give "
                "the same scores, the L in the corner does not. "
                "A dense unit, whose weights are tied to pixels, has no such property; that is "
                "why the MLP of the experiment below misreads shifted shapes.",
    solution_code='''\
def detect_anywhere(x, kernels):
    K, kh, kw = kernels.shape
    H, W = x.shape
    scores = np.full(K, -np.inf)
    for k in range(K):
        for i in range(H - kh + 1):          # only positions where the kernel fits
            for j in range(W - kw + 1):
                response = np.sum(x[i:i + kh, j:j + kw] * kernels[k])
                scores[k] = max(scores[k], response)
    return scores
''',
))


# --------------------------------------------------------------------------- why.invariance

register(Exercise(
    id="why.invariance",
    title="Invariant or equivariant?",
    chapter=CHAPTER,
    kind="choice",
    prompt="Let g shift an image by a few pixels (with zeros coming in at the border, and the "
           "object staying inside the image). Which statements are true? Give the set of keys.",
    options={
        "a": "a convolution f is equivariant: f(g(x)) = g(f(x)) away from the borders",
        "b": "a convolution f is invariant: f(g(x)) = f(x)",
        "c": "the sum (or the maximum) of a convolution's feature map over all positions is "
             "invariant to the shift",
        "d": "an MLP on the flattened pixels is equivariant, because its first layer is linear",
        "e": "a CNN classifier's predicted class is guaranteed to be exactly invariant to any shift",
    },
    answer={"a", "c"},
    hints=[
        "Equivariant: the output moves with the input. Invariant: the output does not change.",
        "Summing (or taking the max) over all positions forgets WHERE things are; nothing in a "
        "dense layer ties the weights at one position to those at another.",
    ],
    mistakes=[
        Mistake("conv invariant", "A convolution's feature map MOVES with the input: that is "
                "equivariance, f(g(x)) = g(f(x)), not invariance.",
                when=lambda got, expected, case: "b" in got),
        Mistake("mlp", "Linear is not enough: a dense layer has a separate weight per pixel "
                "position, so a shifted image meets different weights.",
                when=lambda got, expected, case: "d" in got),
        Mistake("guaranteed", "Nothing guarantees exact invariance of a CNN's prediction: "
                "strides, pooling windows and borders make it approximate, as the experiment in "
                "the chapter shows.", when=lambda got, expected, case: "e" in got),
        Mistake("too few", "Your set leaves out at least one true statement. For each option "
                "you left out, try it on a small shifted image: does the output move with the "
                "input, stay the same, or change in no simple way?",
                when=lambda got, expected, case: not expected <= got),
    ],
    examples_wrong=[
        ({"a", "b", "c"}, "equivariance"),
        ({"a", "c", "d"}, "separate weight per pixel"),
        ("a", "leaves out at least one true statement"),
        ({"a", "c", "e"}, "approximate"),
    ],
    explanation="Convolution commutes with shifts (equivariance); a global sum or max then "
                "discards the position (invariance). Dense layers have neither property, and "
                "a CNN's prediction is only approximately invariant.",
    solution_code='''\
answer = {"a", "c"}
''',
))
