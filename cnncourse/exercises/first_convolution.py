"""Exercises of the chapter *A first convolution* (``book/first-convolution.ipynb``)."""
from __future__ import annotations

import numpy as np

from ._core import Case, Exercise, Mistake, register
from ._refops import correlate_valid as _correlate_valid

CHAPTER = "first-convolution"


# --------------------------------------------------------------------------- first.correlate2d-valid

def correlate2d_valid(x, k):
    """Valid 2D cross-correlation of one image ``x`` (H, W) with one kernel ``k`` (kH, kW).

    ``out[i, j] = sum(x[i:i+kH, j:j+kW] * k)``, shape ``(H - kH + 1, W - kW + 1)``.
    The book's version, written with loops, is :func:`cnncourse.signal.correlate2d`; this
    reference is a private numpy copy, so rebinding the package's function changes nothing.
    """
    return _correlate_valid(x, k)


def _xcorr_cases(rng):
    five = np.array([[1, 1, 1, 0, 0],
                     [0, 1, 1, 1, 0],
                     [0, 0, 1, 1, 1],
                     [0, 0, 1, 1, 0],
                     [0, 1, 1, 0, 0]], dtype=np.float64)
    edge = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    cases = [
        Case((five, edge), description="5x5 binary image, 3x3 kernel (the worked example)"),
        Case((np.arange(24.0).reshape(4, 6), np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])),
             description="non-square image and kernel"),
        Case((np.arange(20.0).reshape(5, 4) % 7, np.array([[1.0], [-2.0], [0.5]])),
             description="non-square image and kernel"),
        Case((np.arange(12.0).reshape(3, 4), np.array([[2.0]])), description="1x1 kernel"),
        Case((np.arange(6.0).reshape(2, 3), np.array([[1.0, -1.0, 2.0], [0.5, 3.0, -2.0]])),
             description="kernel as large as the image"),
    ]
    for _ in range(6):
        H, W = rng.integers(3, 8, size=2)
        kH, kW = rng.integers(1, min(H, W) + 1, size=2)
        cases.append(Case((rng.standard_normal((H, W)), rng.standard_normal((kH, kW))),
                          description="random (seeded)"))
    return cases


def _flipped(x, k):  # true convolution
    return correlate2d_valid(x, k[::-1, ::-1])


def _transposed(x, k):  # i and j (H and W) swapped: the output comes out transposed
    return correlate2d_valid(x, k).T.copy()


def _one_short(x, k):  # range(H - kH) instead of range(H - kH + 1)
    return correlate2d_valid(x, k)[:-1, :-1].copy()


register(Exercise(
    id="first.correlate2d-valid",
    title="Valid 2D cross-correlation with loops",
    chapter=CHAPTER,
    kind="function",
    prompt="Write correlate2d_valid(x, k): slide the kernel k (kH, kW) over the image x (H, W) "
           "without padding and return out (H - kH + 1, W - kW + 1) with "
           "out[i, j] = sum(x[i:i+kH, j:j+kW] * k). Do not flip the kernel.",
    reference=correlate2d_valid,
    cases=_xcorr_cases,
    hints=[
        "The output has H - kH + 1 rows and W - kW + 1 columns: the kernel's top-left corner "
        "can sit on that many positions. Create it with np.zeros((H - kH + 1, W - kW + 1)).",
        "Two loops, `for i in range(H - kH + 1)` and `for j in range(W - kW + 1)`; inside, take "
        "the window x[i:i+kH, j:j+kW] (rows first, then columns).",
        "out[i, j] = np.sum(x[i:i+kH, j:j+kW] * k). No flip: that would be a convolution.",
    ],
    mistakes=[
        Mistake("kernel flipped", "Your answer is the true convolution: you flipped the kernel "
                "(k[::-1, ::-1]). Cross-correlation, what deep-learning libraries compute, uses "
                "the kernel as it is.", wrong=_flipped),
        Mistake("H and W swapped", "Your output is the transpose of the expected one: rows and "
                "columns (H and W, i and j) are swapped somewhere. Rows come first: "
                "x[i:i+kH, j:j+kW] with i over H and j over W.", wrong=_transposed),
        Mistake("off by one", "Your output is one row and one column short: the number of "
                "positions is H - kH + 1, not H - kH (range(H - kH + 1)).", wrong=_one_short),
    ],
    examples_wrong=[
        (_flipped, "flipped the kernel"),
        (_transposed, "transpose"),
        (_one_short, "H - kH + 1"),
        (lambda x, k: x, "shape"),
    ],
    explanation="Each output pixel is the dot product of the kernel with the window under it. "
                "The loops run over the H - kH + 1 by W - kW + 1 positions of the window's "
                "top-left corner; no padding, no flip.",
    solution_code='''\
def correlate2d_valid(x, k):
    H, W = x.shape
    kH, kW = k.shape
    out = np.zeros((H - kH + 1, W - kW + 1))
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = np.sum(x[i:i + kH, j:j + kW] * k)
    return out
''',
))


# --------------------------------------------------------------------------- first.output-shape

def _output_shape():
    """N=8 RGB images of 33x28 (H x W), 16 filters of 5x3, stride 2, padding 1 per side."""
    H_out = (33 + 2 * 1 - 5) // 2 + 1
    W_out = (28 + 2 * 1 - 3) // 2 + 1
    return (8, 16, H_out, W_out)  # (8, 16, 16, 14)


register(Exercise(
    id="first.output-shape",
    title="Shape of a conv2d output",
    chapter=CHAPTER,
    kind="value",
    prompt="A batch of 8 RGB images of height 33 and width 28, in NCHW layout, goes through "
           "conv2d with 16 filters of size 5x3 (kH x kW), stride 2 and padding 1 on every side. "
           "What is the shape of the output, as a tuple (N, C, H, W)?",
    answer=_output_shape,
    hints=[
        "N stays 8; C becomes the number of filters, not the 3 input channels.",
        "H_out = floor((H + 2P - kH) / S) + 1, and the same for W with kW. P is per side, so the "
        "padded height is H + 2P.",
        "H_out = floor((33 + 2 - 5) / 2) + 1; W_out = floor((28 + 2 - 3) / 2) + 1.",
    ],
    mistakes=[
        Mistake("ceil", "You rounded up: the output size uses the floor, (H + 2P - F) // S + 1; "
                "a window that would stick out of the padded image is dropped.",
                wrong=(8, 16, 16, 15)),
        Mistake("total padding", "You counted the padding once: padding=1 adds 1 row at the top "
                "AND 1 at the bottom, so the padded height is H + 2P.", wrong=(8, 16, 15, 14)),
        Mistake("no +1", "(8, 16, 15, 13) comes from forgetting the + 1 (a window fits at "
                "position 0 too) or from leaving out the padding, (33 - 5) // 2 + 1 = 15: "
                "floor((H + 2P - kH) / S) + 1 has both.", wrong=(8, 16, 15, 13)),
        Mistake("H and W swapped", "H and W are swapped (or you gave NHWC): in NCHW the height "
                "comes before the width, and the kernel 5x3 means kH=5, kW=3.",
                wrong=(8, 16, 14, 16)),
        Mistake("input channels", "The output has one channel per filter (16), not the input's "
                "3 channels.", when=lambda got, expected, case: (
                    isinstance(got, (tuple, list)) and len(got) == 4 and got[1] == 3)),
    ],
    examples_wrong=[
        ((8, 16, 16, 15), "rounded up"),
        ((8, 16, 15, 14), "H + 2P"),
        ((8, 3, 16, 14), "one channel per filter"),
        ((8, 16, 14, 16), "swapped"),
        ((8, 16, 15, 13), "+ 1"),
    ],
    explanation="N is unchanged, C is the number of filters, and each spatial size follows "
                "H_out = floor((H + 2P - F) / S) + 1: (33 + 2 - 5) // 2 + 1 = 16 and "
                "(28 + 2 - 3) // 2 + 1 = 14.",
    solution_code='''\
H_out = (33 + 2 * 1 - 5) // 2 + 1   # floor((H + 2P - kH) / S) + 1 = 16
W_out = (28 + 2 * 1 - 3) // 2 + 1   # floor((W + 2P - kW) / S) + 1 = 14
answer = (8, 16, H_out, W_out)      # N unchanged, one channel per filter

# conv2d itself agrees
out = F.conv2d(np.zeros((8, 3, 33, 28)), np.zeros((16, 3, 5, 3)), stride=2, padding=1)
assert out.shape == answer
''',
))


# --------------------------------------------------------------------------- first.equivariance

register(Exercise(
    id="first.equivariance",
    title="Which operations are translation-equivariant?",
    chapter=CHAPTER,
    kind="choice",
    prompt="f is translation-equivariant when shifting the input shifts the output by the same "
           "amount: f(shift(x)) = shift(f(x)) (away from the borders). Which of these are? Give "
           "the keys of ALL the equivariant ones as a Python set of strings.",
    options={
        "a": "a 2D convolution with a 3x3 kernel, stride 1, 'same' padding",
        "b": "ReLU applied to every pixel",
        "c": "global max pooling (one number per feature map)",
        "d": "a fully connected layer applied to the flattened image",
        "e": "adding a fixed, position-dependent bias map (a different bias per pixel)",
    },
    answer={"a", "b"},
    hints=[
        "Shift a small image by one pixel and ask: does the output of each operation shift by one "
        "pixel too, or change in another way, or not change at all?",
        "An operation that gives the same output whatever the shift is invariant, not equivariant. "
        "An operation whose weights depend on the position is neither.",
    ],
    mistakes=[
        Mistake("invariance", "Global max pooling is invariant (its output does not change at "
                "all when the input shifts), which is not the same as equivariant (the output "
                "shifts with the input).", wrong="c"),
        Mistake("dense", "A fully connected layer has a different weight for every pixel "
                "position, so shifting the input changes its output in no simple way.", wrong="d"),
        Mistake("position bias", "A bias that differs per pixel depends on the position: "
                "shift then add is not add then shift.", wrong="e"),
        Mistake("too few", "Your set leaves out at least one equivariant operation. For each "
                "option you left out, ask: does it do the same thing at every position? Then "
                "shifting the input first or last gives the same result.",
                when=lambda got, expected, case: not expected <= got),
    ],
    examples_wrong=[
        ({"a", "b", "c"}, "invariant"),
        ("a", "leaves out at least one"),
        ({"a", "b", "d"}, "fully connected"),
        ("b", "same thing at every position"),
    ],
    explanation="Convolution uses the same kernel at every position and ReLU does the same thing "
                "to every pixel, so both commute with shifts. Global max pooling is invariant "
                "(the output ignores the shift); a dense layer and a per-pixel bias depend on "
                "the position.",
    solution_code='''\
# shift a random image by one pixel and compare "shift, then f" with "f, then shift"
x = np.random.default_rng(0).standard_normal((1, 1, 12, 12))
shift = lambda a: np.roll(a, 1, axis=-1)
inner = (..., slice(2, -2), slice(2, -2))            # away from the borders
conv = lambda a: F.conv2d(a, np.ones((1, 1, 3, 3)), padding=1)
relu = lambda a: np.maximum(a, 0)
assert np.allclose(conv(shift(x))[inner], shift(conv(x))[inner])   # (a) equivariant
assert np.allclose(relu(shift(x)), shift(relu(x)))                 # (b) equivariant
assert np.max(shift(x)) == np.max(x)   # (c) global max: the same number, invariant
answer = {"a", "b"}
''',
))


# --------------------------------------------------------------------------- first.find-pattern

def find_pattern(x, k):
    """``(row, col)`` of the top-left corner of the window where the valid cross-correlation of
    ``x`` with ``k`` is largest (the first such window in row-major order), as two ints."""
    response = _correlate_valid(x, k)
    i, j = np.unravel_index(np.argmax(response), response.shape)
    return (int(i), int(j))


_SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
_SOBEL_X.setflags(write=False)


def _clear_maximum(x, k, gap=1e-3):
    r = np.sort(_correlate_valid(x, k).ravel())
    return r.size == 1 or r[-1] - r[-2] > gap


def _pattern_cases(rng):
    five = np.array([[1, 1, 1, 0, 0],
                     [0, 1, 1, 1, 0],
                     [0, 0, 1, 1, 1],
                     [0, 0, 1, 1, 0],
                     [0, 1, 1, 0, 0]], dtype=np.float64)
    x_filter = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    step = np.zeros((5, 8))
    step[:, 5:] = 1.0                       # dark left, bright right
    ell = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    noisy = np.round(rng.uniform(0, 0.3, size=(6, 9)), 2)
    noisy[2:5, 5:7] += ell                  # the L ...
    noisy[0:3, 1:3] += 0.9 * ell[::-1, ::-1]  # ... and, a little fainter, the L rotated by 180 degrees
    bright = np.zeros((5, 6))
    bright[3:5, 0:2] = ell[1:]              # an exact copy of the pattern ...
    bright[0:2, 3:5] = 2.0                  # ... and a brighter flat patch
    edges = np.zeros((4, 9))
    edges[:, :5] = 3.0                      # a strong bright-to-dark edge at column 5 ...
    edges[:, 7:] = 1.0                      # ... and a weak dark-to-bright one at column 7
    dark = np.zeros((5, 6))
    dark[1:3, 3:5] = 5.0                    # a bright block ...
    dark[3, 0] = -1.0                       # ... and one dark pixel
    cases = [
        Case((five, x_filter), description="the worked example: the maximum 4 appears three "
             "times, the first one counts"),
        Case((step, _SOBEL_X.copy()), description="SOBEL_X on a vertical step: two windows tie"),
        Case((noisy, ell), description="an L and its 180-degree rotation in a noisy, non-square image"),
        Case((bright, ell[1:].copy()), description="a bright flat patch outscores an exact copy"),
        Case((edges, _SOBEL_X.copy()), description="a strong bright-to-dark edge and a weak "
             "dark-to-bright one"),
        Case((dark, -np.ones((2, 2))), description="a kernel of negative weights: the darkest "
             "window, not the brightest"),
        # two tied maxima, (0, 2) and (1, 0): the first one is not in the leftmost column of
        # maxima, so a row argmax and a column argmax taken separately give (0, 0)
        Case((np.array([[0.5, 1.0, -4.0], [-4.0, 5.0, 1.0]]), np.array([[-2.0]])),
             description="a 1x1 kernel with a negative weight"),
        Case((np.arange(12.0).reshape(3, 4) % 5, np.ones((1, 3))), description="a 1x3 kernel"),
    ]
    while len(cases) < 13:
        H, W = (int(v) for v in rng.integers(3, 9, size=2))
        kH, kW = (int(v) for v in rng.integers(1, 4, size=2))
        x, k = rng.standard_normal((H, W)), rng.standard_normal((kH, kW))
        if kH <= H and kW <= W and _clear_maximum(x, k):
            cases.append(Case((x, k), description="random (seeded)"))
    return cases


def _fp_argmax(response, last=False):
    if last:
        flat = response.size - 1 - int(np.argmax(response.ravel()[::-1]))
    else:
        flat = int(np.argmax(response))
    i, j = np.unravel_index(flat, response.shape)
    return (int(i), int(j))


def _fp_flipped(x, k):  # true convolution: the kernel flipped
    return _fp_argmax(_correlate_valid(x, k[::-1, ::-1]))


def _fp_centre(x, k):  # the window's centre instead of its top-left corner
    i, j = find_pattern(x, k)
    return (i + k.shape[0] // 2, j + k.shape[1] // 2)


def _fp_swapped(x, k):  # (column, row)
    i, j = find_pattern(x, k)
    return (j, i)


def _fp_abs(x, k):  # the strongest response of either sign
    return _fp_argmax(np.abs(_correlate_valid(x, k)))


def _fp_ssd(x, k):  # the window closest to the kernel (least squared difference)
    windows = np.lib.stride_tricks.sliding_window_view(x, k.shape)
    ssd = ((windows - k) ** 2).sum(axis=(2, 3))
    return _fp_argmax(-ssd)


def _fp_last(x, k):  # the last maximum on ties (a loop with >=)
    return _fp_argmax(_correlate_valid(x, k), last=True)


register(Exercise(
    id="first.find-pattern",
    title="Where does the feature map peak?",
    chapter=CHAPTER,
    kind="function",
    prompt="Write find_pattern(x, k): compute the feature map of the image x (H, W) with the "
           "kernel k (kH, kW), the valid cross-correlation correlate2d(x, k, mode='valid'), and "
           "return the position of its LARGEST value as a tuple (row, column) of two ints. That "
           "position is the top-left corner of the window of x the kernel responds to most. On "
           "ties, the first one in row-major order (what np.argmax finds).",
    reference=find_pattern,
    cases=_pattern_cases,
    hints=[
        "feature_map = correlate2d(x, k, mode='valid'); its entry (i, j) is the response to the "
        "window x[i:i+kH, j:j+kW], so (i, j) is already the window's top-left corner.",
        "np.argmax(feature_map) is an index into the flattened array (the first maximum); "
        "np.unravel_index(..., feature_map.shape) turns it into (row, column). Return "
        "(int(i), int(j)).",
    ],
    mistakes=[
        Mistake("kernel flipped", "You found where the FLIPPED kernel responds most (a true "
                "convolution, e.g. F.conv2d with k[::-1, ::-1] or scipy.signal.convolve2d). "
                "The feature map is the cross-correlation: the kernel is used as it is, and it "
                "responds most to windows that look like k, not like k rotated by 180 degrees.",
                wrong=_fp_flipped),
        Mistake("centre", "You returned the window's centre. Entry (i, j) of the valid feature "
                "map belongs to the window x[i:i+kH, j:j+kW], whose TOP-LEFT corner is (i, j): "
                "return (i, j) itself.", wrong=_fp_centre),
        Mistake("swapped", "You returned (column, row): the position is (row, column), rows "
                "first, as an array index.", wrong=_fp_swapped),
        Mistake("absolute value", "You took the largest |response|. A strongly NEGATIVE response "
                "means the window is the kernel's opposite (a bright-to-dark edge for a "
                "dark-to-bright edge kernel): the largest value is the best match.",
                wrong=_fp_abs),
        Mistake("closest window", "You returned the window closest to the kernel (least "
                "squared difference). The feature map is a dot product: it also grows with the "
                "window's brightness, so a bright patch can outscore an exact copy. The question "
                "is where the feature map peaks.", wrong=_fp_ssd),
        Mistake("last maximum", "On ties you returned the LAST maximum; take the first one in "
                "row-major order, as np.argmax does (in a loop: update only on a strictly larger "
                "value, >, not >=).", wrong=_fp_last),
    ],
    examples_wrong=[
        (_fp_flipped, "FLIPPED kernel"),
        (_fp_centre, "TOP-LEFT"),
        (_fp_abs, "NEGATIVE"),
        (_fp_ssd, "brightness"),
        (_fp_last, "LAST maximum"),
    ],
    explanation="Each entry of the feature map is the dot product of the kernel with one window, "
                "so it is large where the window has large values where the kernel has large "
                "weights: a dark-to-bright edge for SOBEL_X, an L for an L-shaped kernel. It is a "
                "dot product, not a distance: it responds to brightness as well as to shape, and "
                "a kernel's opposite gives a large NEGATIVE response. Entry (i, j) of the valid "
                "map is the window whose top-left corner is (i, j).",
    solution_code='''\
def find_pattern(x, k):
    feature_map = correlate2d(x, k, mode="valid")
    # the first maximum, as (row, column) of the window's top-left corner
    i, j = np.unravel_index(np.argmax(feature_map), feature_map.shape)
    return (int(i), int(j))
''',
))
