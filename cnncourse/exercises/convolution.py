"""Exercises of the chapter *Convolution and cross-correlation* (``book/convolution.ipynb``)."""
from __future__ import annotations

import numpy as np

from cnncourse import filters as _filters

from ._core import Case, Exercise, Mistake, register
from ._refops import correlate_valid as _correlate_valid
from ._refops import frozen as _frozen

CHAPTER = "convolution"

# Private copies, taken at import: a notebook that rebinds or edits filters.SOBEL_X cannot
# change what the checker expects.
_SOBEL_X = _frozen(_filters.SOBEL_X)
_SOBEL_Y = _frozen(_filters.SOBEL_Y)


# --------------------------------------------------------------------------- conv.convolve2d

def convolve2d_valid(x, k):
    """Valid 2D convolution (with the kernel flip) of an image x (H, W) with a kernel k (kH, kW).

    ``out[i, j] = sum_{u, v} x[i + u, j + v] * k[kH - 1 - u, kW - 1 - v]``; equal to
    ``cnncourse.signal.convolve2d(x, k, mode='valid')`` and ``scipy.signal.convolve2d``.
    """
    return _correlate_valid(x, np.asarray(k)[::-1, ::-1])


def _conv_cases(rng):
    cases = [
        Case((np.arange(20.0).reshape(4, 5), np.array([[1.0, 2.0], [0.0, -1.0]])),
             description="non-square image, asymmetric 2x2 kernel"),
        Case((np.arange(24.0).reshape(6, 4) % 5, np.array([[1.0, 0.0, -2.0]])),
             description="1x3 kernel (flip along W only matters)"),
        Case((np.arange(15.0).reshape(5, 3), np.array([[1.0], [3.0], [-1.0]])),
             description="3x1 kernel (flip along H only matters)"),
        Case((np.arange(6.0).reshape(2, 3), np.array([[1.0, -1.0, 2.0], [0.5, 3.0, -2.0]])),
             description="kernel as large as the image"),
    ]
    for _ in range(5):
        H, W = (int(v) for v in rng.integers(3, 8, size=2))
        kH, kW = (int(v) for v in rng.integers(1, 4, size=2))
        cases.append(Case((rng.standard_normal((H, W)), rng.standard_normal((kH, kW))),
                          description="random (seeded)"))
    return cases


register(Exercise(
    id="conv.convolve2d",
    title="True 2D convolution (with the flip) by loops",
    chapter=CHAPTER,
    kind="function",
    prompt="Write convolve2d_valid(x, k): the mathematical convolution of an image x (H, W) with "
           "a kernel k (kH, kW), 'valid' mode (no padding), with two loops over the output. "
           "Output shape (H - kH + 1, W - kW + 1).",
    reference=convolve2d_valid,
    cases=_conv_cases,
    hints=[
        "Convolution = cross-correlation with the kernel flipped in BOTH directions: k[::-1, ::-1].",
        "out[i, j] = np.sum(x[i:i+kH, j:j+kW] * k[::-1, ::-1]) for i in range(H - kH + 1) and "
        "j in range(W - kW + 1).",
    ],
    mistakes=[
        Mistake("no flip", "You computed the cross-correlation (what deep-learning libraries "
                "call convolution): the mathematical convolution flips the kernel first, "
                "k[::-1, ::-1].", wrong=_correlate_valid),
        Mistake("flip rows only", "You flipped the kernel along one axis only (k[::-1] flips the "
                "rows): flip both, k[::-1, ::-1].",
                wrong=lambda x, k: _correlate_valid(x, k[::-1, :])),
        Mistake("flip columns only", "You flipped the kernel along one axis only (k[:, ::-1] "
                "flips the columns): flip both, k[::-1, ::-1].",
                wrong=lambda x, k: _correlate_valid(x, k[:, ::-1])),
        Mistake("transpose", "k.T is not a flip: it swaps rows and columns. Use k[::-1, ::-1] "
                "(a 180 degree rotation).",
                when=lambda got, expected, case: case.args[1].shape[0] == case.args[1].shape[1] and
                isinstance(got, np.ndarray) and got.shape == expected.shape and
                np.allclose(got, _correlate_valid(case.args[0], case.args[1].T))),
    ],
    examples_wrong=[
        (_correlate_valid, "cross-correlation"),
        (lambda x, k: _correlate_valid(x, k[::-1, :]), "one axis only"),
        (lambda x, k: _correlate_valid(x, k[::-1, ::-1])[:, :-1], "shape"),
    ],
    explanation="Flip the kernel in both directions, then slide it as in cross-correlation. On "
                "the 1x3 and 3x1 kernels only one of the two flips changes anything, which is "
                "why they catch a half flip.",
    solution_code='''\
def convolve2d_valid(x, k):
    H, W = x.shape
    kH, kW = k.shape
    flipped = k[::-1, ::-1]                 # rotate by 180 degrees
    out = np.zeros((H - kH + 1, W - kW + 1))
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = np.sum(x[i:i + kH, j:j + kW] * flipped)
    return out
''',
))


# --------------------------------------------------------------------------- conv.sobel

def edge_magnitude(image):
    """Sobel edge strength: ``sqrt(gx**2 + gy**2)`` with gx, gy the valid cross-correlations
    of ``image`` (H, W) with ``cnncourse.filters.SOBEL_X`` and ``SOBEL_Y``; shape (H-2, W-2)."""
    gx = _correlate_valid(image, _SOBEL_X)
    gy = _correlate_valid(image, _SOBEL_Y)
    return np.sqrt(gx**2 + gy**2)


def _sobel_cases(rng):
    step = np.zeros((5, 6))
    step[:, 3:] = 1.0
    corner = np.zeros((6, 5))
    corner[3:, 2:] = 1.0
    return [
        Case((step,), description="vertical step edge, non-square"),
        Case((step.T.copy(),), description="horizontal step edge"),
        Case((corner,), description="a corner"),
        Case((np.ones((3, 3)),), description="flat 3x3 image (one output, zero)"),
        Case((rng.random((7, 9)),), description="random (seeded)"),
        Case((rng.random((8, 5)),), description="random (seeded)"),
    ]


def _gx_abs(image):
    return np.abs(_correlate_valid(image, _SOBEL_X))


def _l1(image):
    return np.abs(_correlate_valid(image, _SOBEL_X)) + np.abs(_correlate_valid(image, _SOBEL_Y))


register(Exercise(
    id="conv.sobel",
    title="Edge strength with Sobel kernels",
    chapter=CHAPTER,
    kind="function",
    prompt="Write edge_magnitude(image): cross-correlate the image (H, W) with SOBEL_X and with "
           "SOBEL_Y (from cnncourse.filters, 'valid' mode, no padding) to get gx and gy, and "
           "return sqrt(gx**2 + gy**2), shape (H - 2, W - 2). You may use "
           "cnncourse.signal.correlate2d.",
    reference=edge_magnitude,
    cases=_sobel_cases,
    hints=[
        "gx = correlate2d(image, SOBEL_X, mode='valid'), and the same for gy with SOBEL_Y.",
        "Combine the two derivatives with np.sqrt(gx**2 + gy**2): the length of the gradient vector.",
    ],
    mistakes=[
        Mistake("one direction", "You used only the horizontal derivative gx: horizontal edges "
                "(found by SOBEL_Y) are missing. Combine both: sqrt(gx**2 + gy**2).", wrong=_gx_abs),
        Mistake("L1", "You added |gx| + |gy|: that is a common approximation, but the exercise "
                "asks for the Euclidean length sqrt(gx**2 + gy**2).", wrong=_l1),
        Mistake("no sqrt", "You returned gx**2 + gy**2: take the square root.",
                wrong=lambda image: edge_magnitude(image) ** 2),
        Mistake("same padding", "Your output has the image's size: use 'valid' mode (no padding), "
                "shape (H - 2, W - 2).", when=lambda got, expected, case: isinstance(got, np.ndarray)
                and got.shape == case.args[0].shape),
    ],
    examples_wrong=[
        (_gx_abs, "only the horizontal derivative"),
        (_l1, "Euclidean"),
        (lambda image: edge_magnitude(image) ** 2, "square root"),
    ],
    explanation="Sobel x responds to intensity changing along W (vertical edges), Sobel y to "
                "changes along H (horizontal edges); the gradient's length sqrt(gx^2 + gy^2) "
                "does not depend on the edge's direction.",
    solution_code='''\
def edge_magnitude(image):
    gx = signal.correlate2d(image, filters.SOBEL_X, mode="valid")
    gy = signal.correlate2d(image, filters.SOBEL_Y, mode="valid")
    return np.sqrt(gx ** 2 + gy ** 2)
''',
))


# --------------------------------------------------------------------------- conv.toeplitz

def conv_matrix(input_shape, kernel):
    """The (H_out*W_out, H*W) matrix T with ``T @ x.ravel() == correlate2d(x, kernel, 'valid').ravel()``."""
    H, W = input_shape
    kH, kW = np.shape(kernel)
    H_out, W_out = H - kH + 1, W - kW + 1
    T = np.zeros((H_out * W_out, H * W))
    for i in range(H_out):
        for j in range(W_out):
            for u in range(kH):
                T[i * W_out + j, (i + u) * W + j:(i + u) * W + j + kW] = kernel[u]
    return T


def _toeplitz_cases(rng):
    cases = [
        Case(((3, 3), np.array([[1.0, 2.0], [3.0, 4.0]])), description="3x3 input, 2x2 kernel"),
        Case(((3, 5), np.array([[1.0, -1.0, 2.0], [0.5, 3.0, 0.0]])), description="non-square input and kernel"),
        Case(((4, 2), np.array([[2.0], [-1.0]])), description="tall input, 2x1 kernel"),
        Case(((2, 2), np.array([[1.0, 2.0], [3.0, 4.0]])), description="kernel as large as the input"),
    ]
    for _ in range(3):
        H, W = (int(v) for v in rng.integers(2, 6, size=2))
        kH, kW = (int(v) for v in rng.integers(1, 3, size=2))
        cases.append(Case(((H, W), rng.standard_normal((kH, kW))), description="random (seeded)"))
    return cases


def _toeplitz_flipped(input_shape, kernel):
    return conv_matrix(input_shape, np.ascontiguousarray(kernel[::-1, ::-1]))


def _toeplitz_transposed(input_shape, kernel):
    return conv_matrix(input_shape, kernel).T.copy()


def _toeplitz_col_major(input_shape, kernel):  # pixel index r + c*H instead of r*W + c
    H, W = input_shape
    T = conv_matrix(input_shape, kernel)
    perm = np.arange(H * W).reshape(H, W).T.ravel()
    out = np.zeros_like(T)
    out[:, perm] = T
    return out


register(Exercise(
    id="conv.toeplitz",
    title="Convolution as one matrix multiplication",
    chapter=CHAPTER,
    kind="function",
    prompt="Write conv_matrix(input_shape, kernel) for a single-channel 'valid' "
           "cross-correlation (stride 1, no padding): return the matrix T of shape "
           "(H_out * W_out, H * W) such that T @ x.ravel() equals correlate2d(x, kernel, "
           "'valid').ravel() for every x of shape input_shape = (H, W). Use numpy's row-major "
           "ravel: pixel (r, c) is entry r * W + c.",
    reference=conv_matrix,
    cases=_toeplitz_cases,
    hints=[
        "Row i * W_out + j of T computes output pixel (i, j): it holds the kernel's weights at the "
        "columns of the pixels under the window, zeros elsewhere.",
        "Four loops: over i, j (output) and u, v (kernel): T[i * W_out + j, (i + u) * W + (j + v)] = kernel[u, v].",
    ],
    mistakes=[
        Mistake("flipped", "Your matrix computes the true convolution (the kernel is flipped); "
                "cross-correlation puts kernel[u, v] at pixel (i + u, j + v).", wrong=_toeplitz_flipped),
        Mistake("transposed", "Your matrix is the transpose of T: it should have one ROW per "
                "output pixel, shape (H_out * W_out, H * W). (Its transpose is the transposed "
                "convolution, met in the next chapter.)", wrong=_toeplitz_transposed),
        Mistake("column-major", "You numbered the pixels column by column (r + c * H): numpy's "
                "ravel is row-major, pixel (r, c) is column r * W + c.", wrong=_toeplitz_col_major),
    ],
    examples_wrong=[
        (_toeplitz_flipped, "true convolution"),
        (_toeplitz_transposed, "one ROW per output pixel"),
        (_toeplitz_col_major, "row-major"),
    ],
    explanation="Every output pixel is a dot product of the kernel with a window; written as a "
                "row of T, the window becomes the positions of the kernel's weights in the "
                "flattened image. The same kernel appears in every row, shifted: a Toeplitz "
                "structure, block by block.",
    solution_code='''\
def conv_matrix(input_shape, kernel):
    H, W = input_shape
    kH, kW = kernel.shape
    H_out, W_out = H - kH + 1, W - kW + 1
    T = np.zeros((H_out * W_out, H * W))
    for i in range(H_out):
        for j in range(W_out):
            for u in range(kH):
                for v in range(kW):
                    T[i * W_out + j, (i + u) * W + (j + v)] = kernel[u, v]
    return T
''',
))


# --------------------------------------------------------------------------- conv.t-feature-map

T_IMAGE = np.array([[0, 0, 0, 0, 0, 0],
                    [0, 1, 1, 1, 1, 0],
                    [0, 0, 1, 1, 0, 0],
                    [0, 0, 1, 1, 0, 0],
                    [0, 0, 1, 1, 0, 0],
                    [0, 0, 0, 0, 0, 0]], dtype=np.float64)
T_IMAGE.setflags(write=False)
#: A vertical-edge kernel: positive on the left, negative on the right.
EDGE_KERNEL = np.array([[1.0, 0.0, -1.0],
                        [1.0, 0.0, -1.0],
                        [1.0, 0.0, -1.0]])
EDGE_KERNEL.setflags(write=False)


_T_MAP = _frozen(_correlate_valid(np.array(T_IMAGE), np.array(EDGE_KERNEL)))


def _t_map():
    return np.array(_T_MAP)


register(Exercise(
    id="conv.t-feature-map",
    title="The 'T' image through an edge filter, by hand",
    chapter=CHAPTER,
    kind="value",
    prompt="Cross-correlate the 6x6 'T' image T_IMAGE with the 3x3 EDGE_KERNEL "
           "(cnncourse.exercises.convolution), stride 1, no padding. Give the feature map as a "
           "4x4 float ndarray. Work it out by hand (or with loops), not with a library call.",
    answer=_t_map,
    hints=[
        "The output is (6 - 3 + 1) x (6 - 3 + 1) = 4 x 4. Output (i, j) looks at rows i..i+2 and "
        "columns j..j+2.",
        "The kernel computes (sum of the window's left column) - (sum of its right column).",
    ],
    mistakes=[
        Mistake("flipped", "Your map has the opposite sign: you flipped the kernel (a true "
                "convolution). Deep-learning 'convolution' uses the kernel as it is.",
                when=lambda got, expected, case: isinstance(got, np.ndarray) and got.shape == expected.shape
                and np.allclose(got, -expected)),
        Mistake("padding", "Stride 1 and no padding give a 4 x 4 map; 6 x 6 would need padding 1.",
                when=lambda got, expected, case: np.shape(got) == (6, 6)),
    ],
    examples_wrong=[
        (-_correlate_valid(np.array(T_IMAGE), np.array(EDGE_KERNEL)), "opposite sign"),
        (np.zeros((6, 6)), "4 x 4"),
        (np.zeros((4, 4)), "values differ"),
    ],
    explanation="Each output is the window's left-column sum minus its right-column sum: "
                "negative on the left edges of the T's strokes (brightness rises to the right), "
                "positive on their right edges, and small where the window sees no vertical change.",
    solution_code='''\
answer = np.zeros((4, 4))
for i in range(4):
    for j in range(4):
        window = T_IMAGE[i:i + 3, j:j + 3]
        # EDGE_KERNEL: left column minus right column
        answer[i, j] = window[:, 0].sum() - window[:, 2].sum()
print(answer)
''',
))


# --------------------------------------------------------------------------- conv.multichannel-conv

def conv2d_multichannel(x, w, b):
    """Valid, stride-1 multi-channel cross-correlation of one image: x (C_in, H, W),
    w (C_out, C_in, kH, kW), b (C_out,) -> (C_out, H - kH + 1, W - kW + 1)."""
    return np.stack([sum(_correlate_valid(x[c], w[o, c]) for c in range(x.shape[0])) + b[o]
                     for o in range(w.shape[0])])


def _mc_case(rng, C_in, H, W, C_out, kH, kW, description):
    return Case((rng.standard_normal((C_in, H, W)), rng.standard_normal((C_out, C_in, kH, kW)),
                 rng.standard_normal(C_out)), description=description)


def _mc_cases(rng):
    x = np.arange(2 * 3 * 3, dtype=np.float64).reshape(2, 3, 3) % 5
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]], [[2.0, 1.0], [0.0, 0.0]]]])
    cases = [
        Case((x, w, np.array([0.5])), description="2 channels, one 2x2 filter"),
        _mc_case(rng, 3, 4, 6, 2, 3, 2, "3 channels in, 2 filters, non-square image and kernel"),
        _mc_case(rng, 1, 5, 4, 3, 2, 2, "1 channel in, 3 filters"),
        _mc_case(rng, 4, 3, 3, 2, 1, 1, "1x1 filters: a mix of the channels"),
    ]
    for _ in range(3):
        C_in, C_out = (int(v) for v in rng.integers(1, 5, size=2))
        kH, kW = (int(v) for v in rng.integers(1, 4, size=2))
        H, W = kH + int(rng.integers(0, 4)), kW + int(rng.integers(0, 4))
        cases.append(_mc_case(rng, C_in, H, W, C_out, kH, kW, "random (seeded)"))
    return cases


def _mc_first_channel(x, w, b):  # only channel 0 of the input used
    return conv2d_multichannel(x[:1], w[:, :1], b)


def _mc_mean(x, w, b):  # averaged over the input channels instead of summed
    return (conv2d_multichannel(x, w, np.zeros_like(b)) / x.shape[0]
            + np.asarray(b)[:, None, None])


def _mc_bias_per_channel(x, w, b):  # bias added once per input channel
    return conv2d_multichannel(x, w, b * x.shape[0])


def _mc_flipped(x, w, b):  # true convolution (kernel flipped)
    return conv2d_multichannel(x, w[:, :, ::-1, ::-1], b)


register(Exercise(
    id="conv.multichannel-conv",
    title="Multi-channel convolution with loops",
    chapter=CHAPTER,
    kind="function",
    prompt="Write conv2d_multichannel(x, w, b) for one image x (C_in, H, W), filters w (C_out, "
           "C_in, kH, kW) and biases b (C_out,): the valid, stride-1 cross-correlation "
           "out[o, i, j] = b[o] + sum over c, u, v of x[c, i+u, j+v] * w[o, c, u, v], shape "
           "(C_out, H - kH + 1, W - kW + 1). Use loops (or one correlation per channel); no "
           "library convolution.",
    reference=conv2d_multichannel,
    cases=_mc_cases,
    hints=[
        "One output map per filter o. Each filter has one kH x kW slice per input channel: "
        "correlate channel c of x with w[o, c] and SUM the C_in results, then add b[o] once.",
        "out[o, i, j] = np.sum(x[:, i:i+kH, j:j+kW] * w[o]) + b[o]: the window spans all "
        "channels, so one np.sum does the sum over c, u and v.",
    ],
    mistakes=[
        Mistake("first channel", "Your output only depends on the first input channel: a filter "
                "spans ALL C_in channels and sums their correlations into one map.",
                wrong=_mc_first_channel),
        Mistake("mean", "You averaged the channels' correlations; the filter SUMS them (the "
                "weights can learn any scaling).", wrong=_mc_mean),
        Mistake("bias per channel", "You added the bias once per input channel; each filter has "
                "ONE bias, added once to its summed map.", wrong=_mc_bias_per_channel),
        Mistake("flipped", "You flipped the kernels (a true convolution). Deep-learning layers "
                "compute the cross-correlation: x[c, i+u, j+v] * w[o, c, u, v], no flip.",
                wrong=_mc_flipped),
    ],
    examples_wrong=[
        (_mc_first_channel, "ALL C_in channels"),
        (_mc_mean, "SUMS them"),
        (_mc_bias_per_channel, "ONE bias"),
    ],
    explanation="A filter is a 3D block of weights that sees every channel of its window: it "
                "correlates each channel with its own slice and sums the results plus one bias "
                "into a single map. C_out filters give C_out maps, the channels of the output.",
    solution_code='''\
def conv2d_multichannel(x, w, b):
    C_out, C_in, kH, kW = w.shape
    H_out, W_out = x.shape[1] - kH + 1, x.shape[2] - kW + 1
    out = np.zeros((C_out, H_out, W_out))
    for o in range(C_out):
        for i in range(H_out):
            for j in range(W_out):
                window = x[:, i:i + kH, j:j + kW]          # all C_in channels
                out[o, i, j] = np.sum(window * w[o]) + b[o]  # sum over c, u, v; one bias
    return out
''',
))


# --------------------------------------------------------------------------- conv.multichannel-shapes

def _multichannel():
    """10 filters of 5x5 on a batch of 4 RGB 32x32 images, no padding, stride 1."""
    return ((10, 3, 5, 5), (4, 10, 28, 28))


register(Exercise(
    id="conv.multichannel-shapes",
    title="Weights and output of a multi-channel convolution",
    chapter=CHAPTER,
    kind="value",
    prompt="A batch of 4 RGB images of 32x32 (NCHW) goes through a convolution with 10 filters "
           "of 5x5, stride 1, no padding. Give (weight shape, output shape) as a pair of tuples, "
           "using cnncourse's (and PyTorch's) weight layout (C_out, C_in, kH, kW).",
    answer=_multichannel,
    hints=[
        "Each filter spans ALL 3 input channels: it is a 3 x 5 x 5 block, and there are 10 of them.",
        "Each filter gives ONE map of (32 - 5 + 1) x (32 - 5 + 1); the batch size does not change.",
    ],
    mistakes=[
        Mistake("filter per channel", "Each filter spans all the input channels and sums over "
                "them: 10 filters give 10 output channels, not 10 * 3 = 30.",
                when=lambda got, expected, case: "30" in str(got)),
        Mistake("missing C_in", "A filter has a depth: it spans all the input channels, so the "
                "weight has four axes, (C_out, C_in, kH, kW), not three.",
                when=lambda got, expected, case: "(10, 5, 5)" in str(got)),
        Mistake("layout", "cnncourse and PyTorch store a convolution's weight as (C_out, C_in, kH, kW): "
                "(3, 10, 5, 5) is the layout of a TRANSPOSED convolution.",
                when=lambda got, expected, case: "(3, 10, 5, 5)" in str(got)),
    ],
    examples_wrong=[
        (((10, 3, 5, 5), (4, 30, 28, 28)), "not 10 * 3 = 30"),
        (((10, 5, 5), (4, 10, 28, 28)), "has a depth"),
        (((3, 10, 5, 5), (4, 10, 28, 28)), "TRANSPOSED"),
    ],
    explanation="weight (C_out, C_in, kH, kW) = (10, 3, 5, 5); each filter sums its three "
                "channel-wise correlations into one 28x28 map, so the output is (4, 10, 28, 28).",
    solution_code='''\
# a filter spans all 3 input channels; each filter gives one (32 - 5 + 1)-sided map
answer = ((10, 3, 5, 5), (4, 10, 28, 28))

# conv2d agrees
out = F.conv2d(np.zeros((4, 3, 32, 32)), np.zeros(answer[0]))
assert out.shape == answer[1]
''',
))
