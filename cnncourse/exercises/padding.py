"""Exercises of the chapter *Padding, stride and dilation* (``book/padding-stride.ipynb``)."""
from __future__ import annotations

import math

import numpy as np

from ._core import Case, Exercise, Mistake, register

CHAPTER = "padding-stride"


# --------------------------------------------------------------------------- padding.output-size

def output_size(H, F, P, S):
    """Output size of a convolution: input H, kernel F, padding P per side, stride S.

    The same formula as :func:`cnncourse.arithmetic.conv_output_size`, written out here so
    that the checker depends on nothing a notebook can rebind.
    """
    return (H + 2 * P - F) // S + 1


def _size_cases(rng):
    cases = [
        Case((5, 3, 0, 1), description="padding 0, stride 1"),
        Case((7, 3, 0, 2), description="stride 2 divides"),
        Case((8, 3, 0, 2), description="stride 2 does not divide"),
        Case((6, 3, 1, 2), description="padding 1, stride does not divide"),
        Case((5, 5, 0, 1), description="kernel as large as the input"),
        Case((28, 5, 2, 1), description="'same' padding"),
        Case((10, 3, 0, 4), description="stride 4 leaves columns unvisited"),
        Case((1, 3, 1, 1), description="1-pixel input"),
    ]
    for _ in range(8):
        F = int(rng.integers(1, 8))
        P = int(rng.integers(0, 4))
        H = int(rng.integers(max(1, F - 2 * P), 40))
        cases.append(Case((H, F, P, int(rng.integers(1, 5))), description="random (seeded)"))
    return cases


def _ceil(H, F, P, S):
    return math.ceil((H + 2 * P - F) / S) + 1


def _total_padding(H, F, P, S):
    return (H + P - F) // S + 1


def _no_plus_one(H, F, P, S):
    return (H + 2 * P - F) // S


register(Exercise(
    id="padding.output-size",
    title="The output-size formula",
    chapter=CHAPTER,
    kind="function",
    prompt="Write output_size(H, F, P, S): the output height of a convolution with input height "
           "H, kernel size F, zero padding P on EACH side and stride S (dilation 1). Return an int.",
    reference=output_size,
    cases=_size_cases,
    hints=[
        "The padded input has H + 2P rows; the kernel's first position is row 0 and the last "
        "one must still fit inside.",
        "Count the positions 0, S, 2S, ... with k*S + F <= H + 2P: floor((H + 2P - F) / S) + 1. "
        "Use // (integer division), which is the floor for non-negative numbers.",
    ],
    mistakes=[
        Mistake("ceil", "You rounded up: a window that would stick out of the padded input is "
                "not computed, so the division is floored: (H + 2P - F) // S + 1.", wrong=_ceil),
        Mistake("total padding", "P is the padding on EACH side: the padded input is H + 2P, "
                "not H + P.", wrong=_total_padding),
        Mistake("no +1", "You forgot the + 1: the window at position 0 counts too.", wrong=_no_plus_one),
        Mistake("float", "Your result is a float: use // for the floor division (and return an "
                "int), a size cannot be 3.5.",
                when=lambda got, expected, case: isinstance(got, float)),
    ],
    examples_wrong=[
        (_ceil, "rounded up"),
        (_total_padding, "EACH side"),
        (_no_plus_one, "+ 1"),
        (lambda H, F, P, S: (H + 2 * P - F) / S + 1, "float"),
    ],
    explanation="The window's top row can be at 0, S, 2S, ... as long as the window fits in the "
                "H + 2P padded rows: floor((H + 2P - F) / S) + 1 positions. When S does not "
                "divide H + 2P - F, the last (H + 2P - F) mod S rows are never visited.",
    solution_code='''\
def output_size(H, F, P, S):
    return (H + 2 * P - F) // S + 1
''',
))


# --------------------------------------------------------------------------- padding.output-size-dilated

def output_size_dilated(H, F, P, S, D):
    """Output size with dilation D: the kernel's taps are D apart, spanning D*(F-1)+1 rows."""
    return (H + 2 * P - D * (F - 1) - 1) // S + 1


def _dil_cases(rng):
    cases = [
        Case((7, 3, 0, 1, 2), description="dilation 2, no padding"),
        Case((7, 3, 2, 1, 2), description="dilation 2 with 'same' padding"),
        Case((10, 3, 0, 3, 2), description="dilation 2, stride 3 does not divide"),
        Case((9, 2, 0, 1, 4), description="even kernel, dilation 4"),
        Case((5, 3, 0, 1, 1), description="dilation 1 (ordinary)"),
        Case((7, 2, 0, 3, 2), description="even kernel, dilation 2, stride 3 does not divide"),
    ]
    for _ in range(8):
        F, D, P = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        H = int(rng.integers(max(1, D * (F - 1) + 1 - 2 * P), 40))
        cases.append(Case((H, F, P, int(rng.integers(1, 4)), D), description="random (seeded)"))
    return cases


register(Exercise(
    id="padding.output-size-dilated",
    title="The output-size formula with dilation",
    chapter=CHAPTER,
    kind="function",
    prompt="Write output_size_dilated(H, F, P, S, D): as output_size, with dilation D (D - 1 "
           "gaps between the kernel's taps; D = 1 is an ordinary kernel).",
    reference=output_size_dilated,
    cases=_dil_cases,
    hints=[
        "A dilated kernel of F taps spans D * (F - 1) + 1 input rows: replace F by that in the formula.",
        "floor((H + 2P - D*(F - 1) - 1) / S) + 1.",
    ],
    mistakes=[
        Mistake("D*F", "A dilated kernel spans D*(F - 1) + 1 rows, not D*F: there are F - 1 gaps "
                "between F taps.", wrong=lambda H, F, P, S, D: (H + 2 * P - D * F) // S + 1),
        Mistake("ignored dilation", "Your answer ignores the dilation: the kernel's taps are D apart, "
                "so it spans D*(F - 1) + 1 rows.", wrong=lambda H, F, P, S, D: (H + 2 * P - F) // S + 1),
    ],
    examples_wrong=[
        (lambda H, F, P, S, D: (H + 2 * P - D * F) // S + 1, "not D*F"),
        (lambda H, F, P, S, D: (H + 2 * P - F) // S + 1, "ignores the dilation"),
    ],
    explanation="Only the span of the kernel changes: the effective kernel size is D(F - 1) + 1, "
                "so H_out = floor((H + 2P - D(F - 1) - 1) / S) + 1.",
    solution_code='''\
def output_size_dilated(H, F, P, S, D):
    effective = D * (F - 1) + 1
    return (H + 2 * P - effective) // S + 1
''',
))


# --------------------------------------------------------------------------- padding.same

def same_padding(F, D=1):
    """Per-side padding (before, after) that keeps the size at stride 1; extra at the end."""
    total = D * (F - 1)
    return (total // 2, total - total // 2)


def _same_cases(rng):
    return [
        Case((3,), description="odd kernel 3"),
        Case((4,), description="even kernel 4 (asymmetric)"),
        Case((1,), description="1x1 kernel (no padding)"),
        Case((2,), description="even kernel 2"),
        Case((3, 2), description="kernel 3, dilation 2"),
        Case((2, 3), description="even kernel 2, dilation 3 (odd span)"),
        Case((6, 1), description="even kernel 6"),
        Case((5, 3), description="kernel 5, dilation 3"),
    ] + [Case((int(rng.integers(1, 9)), int(rng.integers(1, 5))), description="random (seeded)")
         for _ in range(4)]


def _total_not_per_side(F, D=1):
    t = D * (F - 1)
    return (t, t)


def _before_larger(F, D=1):
    t = D * (F - 1)
    return (t - t // 2, t // 2)


register(Exercise(
    id="padding.same",
    title="'Same' padding, per side",
    chapter=CHAPTER,
    kind="function",
    prompt="Write same_padding(F, D=1) returning (before, after): the zero padding on each side "
           "that makes a stride-1 convolution with kernel size F and dilation D keep the input "
           "size. When the total is odd, put the extra row at the END (bottom/right), as PyTorch "
           "does.",
    reference=same_padding,
    cases=_same_cases,
    hints=[
        "With stride 1, H_out = H + (before + after) - D(F - 1). What total makes H_out = H?",
        "Total = D * (F - 1); before = total // 2, after = total - before.",
    ],
    mistakes=[
        Mistake("total on each side", "You put the TOTAL padding on each side: before + after "
                "must equal D(F - 1), so split it.", wrong=_total_not_per_side),
        Mistake("extra at start", "When the total is odd the extra row goes at the END (bottom/"
                "right), so `after` is the larger one.", wrong=_before_larger),
        Mistake("F // 2", "F // 2 on both sides works only for odd kernels without dilation: for "
                "an even kernel it adds one row too many.",
                wrong=lambda F, D=1: (D * (F // 2), D * (F // 2))),
    ],
    examples_wrong=[
        (_total_not_per_side, "TOTAL padding"),
        (_before_larger, "END"),
        (lambda F, D=1: (F // 2, F // 2), "Wrong answer"),
    ],
    explanation="At stride 1 the output loses D(F - 1) rows, so the padding must add that many in "
                "total; split as evenly as possible, extra at the end (PyTorch's padding='same').",
    solution_code='''\
def same_padding(F, D=1):
    total = D * (F - 1)
    before = total // 2
    return (before, total - before)
''',
))


# --------------------------------------------------------------------------- padding.transpose-size

def transposed_output_size(H, F, P, S, a):
    """Output size of a transposed convolution (dilation 1) with output_padding a."""
    return (H - 1) * S - 2 * P + F + a


def _tsize_cases(rng):
    cases = [
        Case((2, 3, 0, 1, 0), description="stride 1, no padding"),
        Case((3, 3, 1, 2, 0), description="stride 2, padding 1"),
        Case((3, 3, 1, 2, 1), description="stride 2 with output_padding 1"),
        Case((4, 4, 1, 2, 0), description="even kernel doubling the size"),
        Case((1, 5, 0, 3, 2), description="1-pixel input"),
    ]
    for _ in range(8):
        S = int(rng.integers(1, 4))
        F = int(rng.integers(1, 6))
        cases.append(Case((int(rng.integers(1, 20)), F, int(rng.integers(0, (F + 1) // 2)), S,
                           int(rng.integers(0, S))), description="random (seeded)"))
    return cases


register(Exercise(
    id="padding.transpose-size",
    title="Output size of a transposed convolution",
    chapter=CHAPTER,
    kind="function",
    prompt="Write transposed_output_size(H, F, P, S, a): the output size of a transposed "
           "convolution (dilation 1) with input size H, kernel F, padding P, stride S and "
           "output_padding a (the extra rows added at the end, 0 <= a < S).",
    reference=transposed_output_size,
    cases=_tsize_cases,
    hints=[
        "A transposed convolution undoes the SHAPE change of a convolution with the same F, P, S. "
        "Invert H = floor((H_out + 2P - F) / S) + 1 for the smallest H_out.",
        "(H - 1) * S - 2P + F + a: a picks which of the S sizes that all map to H you want.",
    ],
    mistakes=[
        Mistake("forgot a", "You ignored output_padding a: it adds a rows at the end.",
                wrong=lambda H, F, P, S, a: (H - 1) * S - 2 * P + F),
        Mistake("H*S", "The input's H pixels are S apart: they span (H - 1) * S + 1 rows, not H * S.",
                wrong=lambda H, F, P, S, a: H * S - 2 * P + F + a),
        Mistake("P once", "Padding P is removed on EACH side of the output: - 2P.",
                wrong=lambda H, F, P, S, a: (H - 1) * S - P + F + a),
    ],
    examples_wrong=[
        (lambda H, F, P, S, a: (H - 1) * S - 2 * P + F, "output_padding"),
        (lambda H, F, P, S, a: H * S - 2 * P + F + a, "(H - 1) * S + 1"),
        (lambda H, F, P, S, a: (H - 1) * S - P + F + a, "EACH side"),
    ],
    explanation="Spread the H input pixels S apart ((H - 1)S + 1 rows), let each one paint an F-row "
                "kernel (adding F - 1), crop P from each end and add a at the end: "
                "(H - 1)S - 2P + F + a. Because a convolution floors, S different input sizes give the "
                "same output; a says which one to go back to.",
    solution_code='''\
def transposed_output_size(H, F, P, S, a):
    return (H - 1) * S - 2 * P + F + a
''',
))


# --------------------------------------------------------------------------- padding.lenet-flatten

def _lenet_flatten():
    """cnncourse's lenet5 on a 1x32x32 input: conv5 p2 (6) -> pool2 -> conv5 (16) -> pool2 -> flatten."""
    h = (32 + 2 * 2 - 5) // 1 + 1   # 32
    h = (h - 2) // 2 + 1            # 16
    h = (h - 5) // 1 + 1            # 12
    h = (h - 2) // 2 + 1            # 6
    return 16 * h * h               # 576


register(Exercise(
    id="padding.lenet-flatten",
    title="Shapes through LeNet-5 on a 32x32 input",
    chapter=CHAPTER,
    kind="value",
    prompt="cnncourse's lenet5 is: conv 5x5 with 6 filters and padding 2, 2x2 max pooling with "
           "stride 2, conv 5x5 with 16 filters (no padding), 2x2 max pooling with stride 2, "
           "flatten. Feed it 1x32x32 images (lenet5(input_size=32)) instead of 28x28: how many "
           "numbers does the flattened vector have per image, i.e. the in_features of the first "
           "Linear layer?",
    answer=_lenet_flatten,
    hints=[
        "Track H (= W): 32 -> conv 5, padding 2 -> ? -> pool 2 -> ? -> conv 5 -> ? -> pool 2 -> ?",
        "Padding 2 with a 5x5 kernel is 'same' padding: 32 stays 32; then 16, 12, 6. The last "
        "layer has 16 channels.",
    ],
    mistakes=[
        Mistake("no padding", "The first convolution has padding 2 on EACH side, which keeps "
                "32x32 (400 is what you get without that padding, as in the 1998 LeNet-5, or "
                "with the padding counted once, or on a 28x28 input).", wrong=400),
        Mistake("channels", "Keep the 16 channels of the last convolution: the flattened vector "
                "has C * H * W entries.", wrong=36),
        Mistake("no pooling", "Each 2x2 pooling with stride 2 halves H and W.", wrong=16 * 28 * 28),
    ],
    examples_wrong=[(400, "padding 2 on EACH side"), (36, "16 channels"), (12544, "halves")],
    explanation="32 -> 32 (5x5 with padding 2) -> 16 -> 12 -> 6: the flattened vector has "
                "16 * 6 * 6 = 576 entries. On 28x28 inputs the same network gives 16 * 5 * 5 = 400, "
                "the size LeNet-5 had on its original 32x32 inputs without padding "
                "(LeCun et al., 1998).",
    solution_code='''\
h = (32 + 2 * 2 - 5) + 1     # conv 5x5, padding 2 per side: 32 ('same')
h = (h - 2) // 2 + 1         # 2x2 max pooling, stride 2: 16
h = (h - 5) + 1              # conv 5x5, no padding: 12
h = (h - 2) // 2 + 1         # pooling: 6
answer = 16 * h * h          # 16 channels of 6 x 6

# the summary of cnncourse's lenet5 agrees
big = models.summary(models.lenet5(input_size=32, rng=0), (1, 32, 32))
assert big.layers[6].output_shape == (answer,)     # the Flatten layer
''',
))


# --------------------------------------------------------------------------- padding.transpose-scatter

def conv_transpose_scatter(y, k, stride, padding, output_padding):
    """One-channel transposed convolution by scattering, as ``conv_transpose2d`` computes it.

    Every input pixel ``y[i, j]`` paints ``y[i, j] * k`` (no flip) into a canvas with its
    top-left corner at ``(i*stride, j*stride)``; overlapping copies add up. Then ``padding``
    rows/columns are cropped from EACH side, and ``output_padding`` extra rows/columns are kept
    at the bottom/right: ``H_out = (H - 1)*stride - 2*padding + kH + output_padding``.
    """
    S, P, a = stride, padding, output_padding
    (H, W), (kH, kW) = y.shape, k.shape
    H_out, W_out = (H - 1) * S - 2 * P + kH + a, (W - 1) * S - 2 * P + kW + a
    canvas = np.zeros(((H - 1) * S + kH + a, (W - 1) * S + kW + a), dtype=np.result_type(y, k))
    for i in range(H):
        for j in range(W):
            canvas[i * S:i * S + kH, j * S:j * S + kW] += y[i, j] * k
    return canvas[P:P + H_out, P:P + W_out].copy()


def _scatter_case(rng, yshape, kshape, S, P, a, description, integers=False):
    if integers:
        y = rng.integers(-3, 4, size=yshape).astype(np.float64)
        k = rng.integers(-3, 4, size=kshape).astype(np.float64)
    else:
        y, k = rng.standard_normal(yshape), rng.standard_normal(kshape)
    return Case((y, k, S, P, a), description=description)


def _scatter_cases(rng):
    cases = [
        Case((np.array([[1.0, 2.0], [3.0, 4.0]]), np.arange(1.0, 10.0).reshape(3, 3), 1, 0, 0),
             description="2x2 input, 3x3 kernel, stride 1: copies overlap"),
        _scatter_case(rng, (2, 2), (3, 3), 2, 0, 0, "stride 2: copies 2 apart overlap by a row", True),
        _scatter_case(rng, (2, 3), (3, 3), 2, 1, 1, "stride 2, padding 1, output_padding 1", True),
        _scatter_case(rng, (3, 2), (2, 3), 3, 0, 2, "stride 3, no overlap, output_padding 2 past the "
                      "canvas (zeros)"),
        _scatter_case(rng, (2, 4), (4, 3), 2, 1, 0, "non-square input and kernel, padding 1"),
        _scatter_case(rng, (3, 3), (3, 3), 3, 2, 1, "stride 3, padding 2, output_padding 1 (a < P)"),
        _scatter_case(rng, (1, 1), (3, 2), 1, 0, 0, "one pixel paints one copy of the kernel"),
        _scatter_case(rng, (3, 2), (4, 4), 1, 2, 0, "stride 1, padding 2 on each side"),
    ]
    while len(cases) < 13:
        S = int(rng.integers(1, 4))
        kH, kW = (int(v) for v in rng.integers(1, 5, size=2))
        H, W = (int(v) for v in rng.integers(1, 5, size=2))
        P, a = int(rng.integers(0, min(kH, kW))), int(rng.integers(0, S))
        if (H - 1) * S - 2 * P + kH + a >= 1 and (W - 1) * S - 2 * P + kW + a >= 1:
            cases.append(_scatter_case(rng, (H, W), (kH, kW), S, P, a, "random (seeded)"))
    return cases


def _canvas(y, k, S, a, *, step=None, flip=False, assign=False, dilate=1):
    """The painted canvas, with one thing changed (the wrong answers below)."""
    step = S if step is None else step
    k = k[::-1, ::-1] if flip else k
    (H, W), (kH, kW) = y.shape, k.shape
    eh, ew = dilate * (kH - 1) + 1, dilate * (kW - 1) + 1
    size = lambda n, e: max((n - 1) * step + e, (n - 1) * S + e) + a + max(S, dilate) * 4
    canvas = np.zeros((size(H, eh), size(W, ew)), dtype=np.result_type(y, k))
    for i in range(H):
        for j in range(W):
            rows = slice(i * step, i * step + eh, dilate)
            cols = slice(j * step, j * step + ew, dilate)
            if assign:
                canvas[rows, cols] = y[i, j] * k
            else:
                canvas[rows, cols] += y[i, j] * k
    return canvas


def _out_hw(y, k, S, P, a):
    return (y.shape[0] - 1) * S - 2 * P + k.shape[0] + a, (y.shape[1] - 1) * S - 2 * P + k.shape[1] + a


def _sc_no_crop(y, k, S, P, a):  # the whole canvas: padding never cropped
    Ho, Wo = _out_hw(y, k, S, 0, a)
    return _canvas(y, k, S, a)[:Ho, :Wo].copy()


def _sc_crop_top_left_only(y, k, S, P, a):  # canvas[P:, P:]: the padding cropped once
    Ho, Wo = _out_hw(y, k, S, 0, a)
    return _canvas(y, k, S, a)[P:Ho, P:Wo].copy()


def _sc_crop_bottom_right(y, k, S, P, a):  # the first H_out rows: cropped at the end only
    Ho, Wo = _out_hw(y, k, S, P, a)
    return _canvas(y, k, S, a)[:Ho, :Wo].copy()


def _sc_minus_p(y, k, S, P, a):  # canvas[P:-P, P:-P]: right for P > 0, EMPTY for P = 0
    canvas = _canvas(y, k, S, a)
    Ho, Wo = _out_hw(y, k, S, 0, a)
    return canvas[:Ho, :Wo][P:-P, P:-P].copy()


def _sc_output_padding_top_left(y, k, S, P, a):  # the a extra rows at the top/left
    Ho, Wo = _out_hw(y, k, S, P, 0)
    core = _canvas(y, k, S, a)[P:P + Ho, P:P + Wo]
    return np.pad(core, ((a, 0), (a, 0)))


def _sc_output_padding_zeros(y, k, S, P, a):  # a rows of zeros appended after cropping
    Ho, Wo = _out_hw(y, k, S, P, 0)
    core = _canvas(y, k, S, a)[P:P + Ho, P:P + Wo]
    return np.pad(core, ((0, a), (0, a)))


def _sc_flipped(y, k, S, P, a):  # the kernel rotated by 180 degrees before painting
    Ho, Wo = _out_hw(y, k, S, P, a)
    return _canvas(y, k, S, a, flip=True)[P:P + Ho, P:P + Wo].copy()


def _sc_assign(y, k, S, P, a):  # = instead of +=: overlapping copies overwrite each other
    Ho, Wo = _out_hw(y, k, S, P, a)
    return _canvas(y, k, S, a, assign=True)[P:P + Ho, P:P + Wo].copy()


def _sc_stride_on_kernel(y, k, S, P, a):  # copies 1 apart, the KERNEL spread S apart
    Ho, Wo = _out_hw(y, k, S, P, a)
    return _canvas(y, k, S, a, step=1, dilate=S)[P:P + Ho, P:P + Wo].copy()


def _sc_small_canvas(y, k, S, P, a):  # canvas without the + a: the slice stops at its end
    Ho, Wo = _out_hw(y, k, S, P, a)
    Hc, Wc = _out_hw(y, k, S, 0, 0)
    return _canvas(y, k, S, a)[:Hc, :Wc][P:P + Ho, P:P + Wo].copy()


def _sc_no_output_padding(y, k, S, P, a):  # output_padding ignored
    Ho, Wo = _out_hw(y, k, S, P, 0)
    return _canvas(y, k, S, a)[P:P + Ho, P:P + Wo].copy()


register(Exercise(
    id="padding.transpose-scatter",
    title="A transposed convolution by scattering",
    chapter=CHAPTER,
    kind="function",
    prompt="Write conv_transpose_scatter(y, k, stride, padding, output_padding) for one channel: "
           "y (H, W) and k (kH, kW). Every input pixel y[i, j] paints the copy y[i, j] * k into "
           "a canvas, with its top-left corner at row i*stride and column j*stride; where "
           "copies overlap they add up. Then crop `padding` rows and columns from EACH side and "
           "keep `output_padding` extra rows and columns at the bottom and right, so that the "
           "result has the shape of F.conv_transpose2d's output, H_out = (H - 1)*stride - "
           "2*padding + kH + output_padding (likewise W_out), and equals it.",
    reference=conv_transpose_scatter,
    cases=_scatter_cases,
    hints=[
        "Make the canvas big enough for every copy AND the output padding: "
        "np.zeros(((H - 1)*S + kH + a, (W - 1)*S + kW + a)).",
        "canvas[i*S:i*S + kH, j*S:j*S + kW] += y[i, j] * k: the positions are S apart, the "
        "kernel stays as it is (no flip, no gaps), and += adds the overlaps.",
        "Crop P at the top and left and keep H_out rows: canvas[P:P + H_out, P:P + W_out]. The "
        "last a rows are canvas rows too (zero only where no copy reached).",
    ],
    mistakes=[
        Mistake("no crop", "You returned the whole canvas: the padding P is cropped from every "
                "side of it, P rows at the top and P at the bottom (and the same for columns).",
                wrong=_sc_no_crop),
        Mistake("crop once", "You cropped the padding at the top and left only: it comes off "
                "EACH side, canvas[P:P + H_out, P:P + W_out], so the output is 2P smaller than "
                "the canvas, not P.", wrong=_sc_crop_top_left_only),
        Mistake("P:-P", "Your output is empty when padding is 0: canvas[P:-P, P:-P] with P = 0 "
                "is canvas[0:0, 0:0]. Crop with explicit ends, canvas[P:P + H_out, P:P + W_out].",
                wrong=_sc_minus_p),
        Mistake("crop at the end", "Your output has the right shape but is shifted: you kept "
                "the first H_out rows, i.e. cropped 2P at the bottom/right. The crop takes P "
                "from the top and left too: canvas[P:P + H_out, P:P + W_out].",
                wrong=_sc_crop_bottom_right),
        Mistake("output_padding at the top", "You put the output_padding rows at the top/left: "
                "output_padding adds its a rows and columns at the BOTTOM and RIGHT only (the "
                "top-left corner stays where the padding crop puts it).",
                wrong=_sc_output_padding_top_left),
        Mistake("output_padding zeros", "You appended a rows of zeros after cropping. The a "
                "extra rows are rows of the canvas that the bottom crop would otherwise remove: "
                "crop P at the top but only P - a at the bottom (canvas[P:P + H_out]). They are "
                "zero only where no copy of the kernel reached, e.g. when P = 0.",
                wrong=_sc_output_padding_zeros),
        Mistake("kernel flipped", "You rotated the kernel by 180 degrees. Scattering needs no "
                "flip: each pixel paints y[i, j] * k as it is. The flip belongs to the other "
                "picture, the direct view that gathers with an ordinary (cross-correlating) "
                "conv2d; there the kernel must be rotated.", wrong=_sc_flipped),
        Mistake("assigned", "Where copies overlap you overwrote (=) instead of adding (+=): an "
                "output pixel reached by several copies is the SUM of their contributions.",
                wrong=_sc_assign),
        Mistake("stride on the kernel", "You spread the kernel's taps S apart and moved the "
                "copies 1 apart: it is the other way round. The stride spaces the POSITIONS of "
                "the copies (i*S, j*S); each copy is the plain kH x kW kernel.",
                wrong=_sc_stride_on_kernel),
        Mistake("canvas too small", "Your output is short of output_padding rows and "
                "columns exactly where output_padding is larger than padding: your canvas has "
                "no room for them ((H - 1)S + kH rows), and a slice past the end of an array "
                "stops silently. Make the canvas (H - 1)S + kH + a rows by (W - 1)S + kW + a "
                "columns, then take canvas[P:P + H_out, P:P + W_out].", wrong=_sc_small_canvas),
        Mistake("no output_padding", "You ignored output_padding: it keeps a extra rows and "
                "columns at the bottom and right (H_out = (H - 1)S - 2P + kH + a).",
                wrong=_sc_no_output_padding),
    ],
    examples_wrong=[
        (_sc_no_crop, "whole canvas"),
        (_sc_crop_top_left_only, "EACH side"),
        (_sc_flipped, "needs no flip"),
        (_sc_assign, "+="),
        (_sc_output_padding_top_left, "BOTTOM and RIGHT"),
        (_sc_stride_on_kernel, "POSITIONS"),
    ],
    explanation="A transposed convolution is the adjoint of a convolution: where the convolution "
                "GATHERS a window into one output pixel, the transposed one SCATTERS one input "
                "pixel onto a window, weighted by the same kernel taps, so no flip appears. "
                "The padding P of the forward convolution added P rows on each side, so its "
                "transpose removes them from each side; output_padding keeps a of the bottom "
                "rows that crop would have removed, to reach the sizes the forward floor merged.",
    solution_code='''\
def conv_transpose_scatter(y, k, stride, padding, output_padding):
    S, P, a = stride, padding, output_padding
    H, W = y.shape
    kH, kW = k.shape
    canvas = np.zeros(((H - 1) * S + kH + a, (W - 1) * S + kW + a))
    for i in range(H):
        for j in range(W):
            # each pixel paints a scaled copy of k, S apart
            canvas[i * S:i * S + kH, j * S:j * S + kW] += y[i, j] * k
    H_out = (H - 1) * S - 2 * P + kH + a
    W_out = (W - 1) * S - 2 * P + kW + a
    out = canvas[P:P + H_out, P:P + W_out]
    # conv_transpose2d agrees
    up = F.conv_transpose2d(y[None, None], k[None, None], stride=S,
                            padding=P, output_padding=a)
    assert np.allclose(out, up[0, 0])
    return out
''',
))


# --------------------------------------------------------------------------- padding.find-output-padding

def output_paddings_for(H, F, P, S, target):
    """Every output_padding ``a`` (``0 <= a < S``, increasing) that makes a transposed
    convolution (input size H, kernel F, padding P, stride S, dilation 1) produce ``target``
    rows: a list of at most one element, empty when no ``a`` reaches the target. The inverse
    question of :func:`transposed_output_size`."""
    a = target - ((H - 1) * S - 2 * P + F)
    return [a] if 0 <= a < S else []


def _fop_cases(rng):
    cases = [
        Case((4, 3, 1, 2, 8), description="undo a stride-2 conv 8 -> 4: a = 1"),
        Case((4, 3, 1, 2, 7), description="undo a stride-2 conv 7 -> 4: a = 0"),
        Case((3, 3, 0, 3, 11), description="stride 3, the largest a = S - 1"),
        Case((3, 3, 0, 3, 12), description="one past the largest reachable size: none"),
        Case((4, 3, 1, 2, 6), description="one below the smallest reachable size: none"),
        Case((5, 4, 1, 1, 8), description="stride 1: only a = 0 exists"),
        Case((5, 4, 1, 1, 9), description="stride 1, one past: none"),
        Case((2, 5, 2, 4, 4), description="stride 4, padding 2: a = 3"),
        Case((6, 2, 0, 2, 24), description="far too large a target: none"),
        Case((6, 5, 2, 3, 9), description="far too small a target: none"),
        Case((3, 3, 1, 2, 9), description="4P past the smallest size, S = 2: none"),
    ]
    for _ in range(6):
        S, F = int(rng.integers(1, 5)), int(rng.integers(1, 6))
        H, P = int(rng.integers(1, 12)), int(rng.integers(0, (F + 1) // 2))
        base = (H - 1) * S - 2 * P + F
        target = max(1, base + int(rng.integers(-2, S + 2)))
        cases.append(Case((H, F, P, S, target), description="random (seeded)"))
    return cases


def _fop_base(H, F, P, S):
    return (H - 1) * S - 2 * P + F


def _fop_no_range(H, F, P, S, target):  # the difference, whether or not 0 <= a < S
    return [target - _fop_base(H, F, P, S)]


def _fop_forward_remainder(H, F, P, S, target):  # the remainder the forward floor dropped
    return [(target + 2 * P - F) % S]


def _fop_inclusive(H, F, P, S, target):  # 0 <= a <= S
    a = target - _fop_base(H, F, P, S)
    return [a] if 0 <= a <= S else []


def _fop_clamped(H, F, P, S, target):  # the nearest allowed a instead of none
    return [min(max(target - _fop_base(H, F, P, S), 0), S - 1)]


def _fop_no_zero(H, F, P, S, target):  # range(1, S), or 0 < a < S: a = 0 left out
    a = target - _fop_base(H, F, P, S)
    return [a] if 0 < a < S else []


def _fop_h_times_s(H, F, P, S, target):  # H*S instead of (H - 1)*S
    a = target - (H * S - 2 * P + F)
    return [a] if 0 <= a < S else []


def _fop_padding_once(H, F, P, S, target):  # - P instead of - 2P
    a = target - ((H - 1) * S - P + F)
    return [a] if 0 <= a < S else []


def _fop_plus_padding(H, F, P, S, target):  # the padding added as in the forward formula
    a = target - ((H - 1) * S + 2 * P + F)
    return [a] if 0 <= a < S else []


register(Exercise(
    id="padding.find-output-padding",
    title="Which output_padding reaches a target size?",
    chapter=CHAPTER,
    kind="function",
    prompt="Write output_paddings_for(H, F, P, S, target): the list of every output_padding a "
           "(PyTorch allows 0 <= a < S) that makes a transposed convolution with input size H, "
           "kernel F, padding P and stride S (dilation 1) produce exactly `target` rows, in "
           "increasing order; the empty list [] when no allowed a reaches the target.",
    reference=output_paddings_for,
    cases=_fop_cases,
    hints=[
        "Without output padding the size is (H - 1)*S - 2P + F (the exercise above); a adds a "
        "rows to that. Solve for a, or try every a in range(S).",
        "a = target - ((H - 1)*S - 2P + F) is a valid output_padding only when 0 <= a < S: "
        "return [a] then, and [] otherwise.",
    ],
    mistakes=[
        Mistake("a <= S", "You allowed a = S: output_padding must be SMALLER than the stride "
                "(0 <= a < S); with a = S the same size comes from H + 1 with a = 0.",
                wrong=_fop_inclusive),
        Mistake("no range check", "Your list holds an a outside 0 <= a < S, which PyTorch "
                "refuses: a target that needs a negative a, or an a >= S, cannot be reached "
                "(another H can reach it); return [] then.", wrong=_fop_no_range),
        Mistake("forward remainder", "You took the remainder the forward convolution's floor "
                "drops, (target + 2P - F) % S. That is the right a only when a convolution maps "
                "target back to H; for other targets it is a number in range(S) that does not "
                "give the target. Check that (H - 1)*S - 2P + F + a == target.",
                wrong=_fop_forward_remainder),
        Mistake("clamped", "You returned the nearest allowed a, which does not reach the "
                "target: when no a in range(S) gives exactly `target`, return [].",
                wrong=_fop_clamped),
        Mistake("a = 0 left out", "Your list is empty where a = 0 reaches the target: 0 is an "
                "allowed output_padding too (0 <= a < S), the one a stride-1 transposed "
                "convolution always uses. Try every a in range(S), or keep a when 0 <= a, not "
                "0 < a.", wrong=_fop_no_zero),
        Mistake("H*S", "You started from H*S: the H input pixels are S apart, so they span "
                "(H - 1)*S + 1 rows and the size without output padding is (H - 1)*S - 2P + F.",
                wrong=_fop_h_times_s),
        Mistake("P once", "You subtracted the padding once: the transposed convolution crops P "
                "from EACH end, - 2P.", wrong=_fop_padding_once),
        Mistake("plus padding", "You ADDED the padding, as the forward formula does: the "
                "transposed convolution undoes the forward padding, so it subtracts 2P.",
                wrong=_fop_plus_padding),
    ],
    examples_wrong=[
        (_fop_no_range, "outside 0 <= a < S"),
        (_fop_forward_remainder, "remainder"),
        (_fop_h_times_s, "(H - 1)*S + 1"),
        (_fop_padding_once, "EACH end"),
        (_fop_plus_padding, "ADDED"),
    ],
    explanation="The S sizes (H - 1)S - 2P + F + a, a = 0, ..., S - 1, are consecutive, so at "
                "most one a gives the target: the list has one element or none. They are "
                "exactly the input sizes that a convolution with kernel F, padding P and "
                "stride S maps to H (its floor merges them); any other target cannot come out "
                "of this transposed convolution (a larger one needs a larger H, a smaller one "
                "a smaller H). PyTorch's ConvTranspose2d(...)(x, output_size=...) does this "
                "search and raises an error on an empty list.",
    solution_code='''\
def output_paddings_for(H, F, P, S, target):
    found = []
    for a in range(S):              # PyTorch allows 0 <= a < S
        size = conv_transpose_output_size(H, F, stride=S, padding=P,
                                          output_padding=a)
        if size == target:
            found.append(a)
    return found        # [] when no output_padding reaches the target
''',
))
