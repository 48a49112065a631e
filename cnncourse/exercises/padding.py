"""Exercises of the chapter *Padding, stride and dilation* (``book/padding-stride.ipynb``)."""
from __future__ import annotations

import math

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
