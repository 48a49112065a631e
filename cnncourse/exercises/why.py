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


# --------------------------------------------------------------------------- why.mlp-params

def _mlp_params():
    """A 32x32 RGB image flattened into a Linear layer with 100 outputs (with bias)."""
    return 32 * 32 * 3 * 100 + 100


register(Exercise(
    id="why.mlp-params",
    title="Parameters of a dense layer on pixels",
    chapter=CHAPTER,
    kind="value",
    prompt="A 32x32 RGB image (3 channels) is flattened and fed to a fully connected layer with "
           "100 output units, with a bias per unit. How many parameters does this one layer have?",
    answer=_mlp_params,
    hints=[
        "Flattened, the image is a vector of 32 * 32 * 3 numbers; every output unit has one "
        "weight per input number.",
        "Weights: inputs x outputs. Then add one bias per output unit.",
    ],
    mistakes=[
        Mistake("no bias", "You counted the weights but not the 100 biases.", wrong=32 * 32 * 3 * 100),
        Mistake("one channel", "An RGB image has 3 numbers per pixel: the input has 32*32*3 "
                "entries, not 32*32.", wrong=32 * 32 * 100 + 100),
        Mistake("one channel, no bias", "An RGB image has 3 numbers per pixel (32*32*3 inputs), and "
                "each of the 100 units also has a bias.", wrong=32 * 32 * 100),
    ],
    examples_wrong=[(307200, "biases"), (102500, "3 numbers per pixel"), (3072, "not right")],
    explanation="32 * 32 * 3 = 3072 inputs, times 100 units = 307,200 weights, plus 100 biases: "
                "307,300 parameters for one layer that has not yet learned anything about "
                "images being made of local patches.",
    solution_code='''\
# 32 * 32 * 3 inputs, one weight per input and unit, one bias per unit
answer = 32 * 32 * 3 * 100 + 100

# nn.Linear agrees
layer = nn.Linear(32 * 32 * 3, 100, rng=np.random.default_rng(0))
assert answer == sum(p.data.size for p in layer.parameters())
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
