"""Exercises of the chapter *Why convolutions* (``book/why-convolutions.ipynb``)."""
from __future__ import annotations

import numpy as np

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


# --------------------------------------------------------------------------- why.unshared-params

def unshared_params(H_out, W_out, M):
    """Weights of a locally connected layer (no sharing): an H_out x W_out map, M x M fields."""
    return H_out * W_out * M * M


def _unshared_cases(rng):
    cases = [
        Case((24, 24, 5), description="a 24x24 map with 5x5 receptive fields"),
        Case((3, 7, 2), description="non-square map"),
        Case((10, 4, 1), description="1x1 receptive fields"),
    ]
    for _ in range(4):
        cases.append(Case(tuple(int(v) for v in rng.integers(1, 30, size=3)), description="random (seeded)"))
    return cases


register(Exercise(
    id="why.unshared-params",
    title="Local connections without weight sharing",
    chapter=CHAPTER,
    kind="function",
    prompt="A layer computes an H_out x W_out feature map from a one-channel image; every output "
           "unit looks at its own M x M patch with its OWN weights (locally connected, no "
           "sharing, no bias). Write unshared_params(H_out, W_out, M), its number of weights.",
    reference=unshared_params,
    cases=_unshared_cases,
    hints=[
        "Each output unit has M * M weights of its own.",
        "How many output units are there? Not H_out squared: the map need not be square.",
    ],
    mistakes=[
        Mistake("shared", "That is the count WITH weight sharing (one M x M kernel for the whole "
                "map). Here every one of the H_out * W_out units has its own M * M weights.",
                wrong=lambda H_out, W_out, M: M * M),
        Mistake("square map", "The map has H_out * W_out units, not H_out ** 2: it is not always "
                "square.", wrong=lambda H_out, W_out, M: H_out * H_out * M * M),
        Mistake("one weight per unit", "Each unit has M * M weights (a whole patch), not one.",
                wrong=lambda H_out, W_out, M: H_out * W_out),
    ],
    examples_wrong=[
        (lambda H_out, W_out, M: M * M, "WITH weight sharing"),
        (lambda H_out, W_out, M: H_out * H_out * M * M, "not always square"),
        (lambda H_out, W_out, M: H_out * W_out * M, "Wrong answer"),
    ],
    explanation="H_out * W_out units times M * M weights each: for an N x N map that is the "
                "N^2 M^2 of the chapter. Sharing one kernel brings it down to M^2.",
    solution_code='''\
def unshared_params(H_out, W_out, M):
    return H_out * W_out * M * M
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
