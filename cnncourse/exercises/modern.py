"""Exercises of the chapter *Modern CNNs* (``book/modern-cnns.ipynb``)."""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as _windows

from ._core import Case, Exercise, Mistake, register

CHAPTER = "modern-cnns"

_einsum, _pad, _maximum, _sqrt, _prod = np.einsum, np.pad, np.maximum, math.sqrt, math.prod


# ------------------------------------------------------------------------------- modern.he-std

def he_std(shape):
    """Standard deviation of He (Kaiming) normal initialisation for a weight of ``shape``:
    ``sqrt(2 / fan_in)`` with ``fan_in = shape[1] * kH * kW`` (``shape[1]`` for a Linear)."""
    fan_in = shape[1] * _prod(shape[2:])
    return _sqrt(2.0 / fan_in)


def _he_cases(rng):
    cases = [
        Case(((6, 1, 5, 5),), description="LeNet-5's first convolution"),
        Case(((120, 400),), description="a Linear weight (out, in)"),
        Case(((16, 6, 3, 5),), description="non-square kernel"),
        Case(((64, 256, 1, 1),), description="1x1 convolution (a bottleneck)"),
        Case(((8, 3, 7, 7),), description="more outputs than inputs"),
    ]
    for _ in range(4):
        cases.append(Case(((int(rng.integers(1, 65)), int(rng.integers(1, 65)),
                            int(rng.integers(1, 8)), int(rng.integers(1, 8))),),
                          description="random (seeded)"))
    return cases


def _he_fan_out(shape):
    return _sqrt(2.0 / (shape[0] * _prod(shape[2:])))


def _he_no_kernel(shape):
    return _sqrt(2.0 / shape[1])


def _he_xavier(shape):
    k = _prod(shape[2:])
    return _sqrt(2.0 / (shape[1] * k + shape[0] * k))


def _he_variance(shape):
    return 2.0 / (shape[1] * _prod(shape[2:]))


def _he_no_two(shape):
    return _sqrt(1.0 / (shape[1] * _prod(shape[2:])))


register(Exercise(
    id="modern.he-std",
    title="The standard deviation of He initialisation",
    chapter=CHAPTER,
    kind="function",
    prompt="Write he_std(shape) returning the standard deviation (a float) of He normal "
           "initialisation for a weight of this shape: sqrt(2 / fan_in), where fan_in = "
           "shape[1] * kH * kW for a convolution (C_out, C_in, kH, kW) and shape[1] for a "
           "Linear weight (out, in).",
    reference=he_std,
    cases=_he_cases,
    hints=[
        "fan_in is the number of inputs one output sums over: input channels times the "
        "kernel's area; math.prod(shape[2:]) is 1 for a Linear weight.",
        "He keeps the variance of the activations: Var(w) = 2 / fan_in, and you return the "
        "square root of that.",
    ],
    mistakes=[
        Mistake("fan_out", "You used fan_out (shape[0], the outputs); He's forward rule "
                "divides by fan_in = shape[1] * kH * kW.", wrong=_he_fan_out),
        Mistake("no kernel", "Your fan_in leaves out the kernel: one output of a convolution "
                "sums over C_in * kH * kW inputs, not C_in.", wrong=_he_no_kernel),
        Mistake("xavier", "That is Glorot/Xavier's 2 / (fan_in + fan_out); He for ReLU is "
                "2 / fan_in.", wrong=_he_xavier),
        Mistake("variance", "You returned the variance 2 / fan_in; the standard deviation is "
                "its square root.", wrong=_he_variance),
        Mistake("no factor 2", "sqrt(1 / fan_in) keeps the variance for a linear layer, but a "
                "ReLU zeroes half of its inputs: He doubles it, sqrt(2 / fan_in).",
                wrong=_he_no_two),
    ],
    examples_wrong=[
        (_he_fan_out, "fan_out"),
        (_he_variance, "square root"),
        (_he_xavier, "Xavier"),
    ],
    explanation="With w ~ N(0, s^2) and a ReLU before it, Var(y) = fan_in * s^2 * E[x^2] and "
                "E[x^2] is half the variance of the previous pre-activation; s^2 = 2 / fan_in "
                "makes the factor exactly 1 per layer, so 20 layers neither shrink nor blow up "
                "the signal.",
    solution_code='''\
import math

def he_std(shape):
    fan_in = shape[1] * math.prod(shape[2:])
    return math.sqrt(2.0 / fan_in)
''',
))


# ----------------------------------------------------------------------- modern.batch-norm-train

def batch_norm_train(x, gamma, beta, eps):
    """Batch normalisation of NCHW ``x`` in training mode: per channel, over (N, H, W), with
    the biased variance; then ``gamma[c] * x_hat + beta[c]``."""
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)


def _bn_cases(rng):
    cases = [
        Case((np.arange(8.0).reshape(2, 2, 1, 2), np.ones(2), np.zeros(2), 1e-5),
             description="two channels, gamma 1, beta 0"),
        Case((np.array([[[[1.0, 3.0]], [[10.0, 30.0]]], [[[5.0, 7.0]], [[50.0, 70.0]]]]),
              np.array([2.0, 0.5]), np.array([1.0, -1.0]), 1e-5),
             description="channels on different scales, gamma and beta"),
        Case((np.array([[[[0.0, 2.0], [4.0, 6.0]]]]), np.array([1.5]), np.array([0.25]), 1.0),
             description="one image, eps 1 (large)"),
    ]
    for _ in range(4):
        n, c = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        h, w = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        cases.append(Case((rng.standard_normal((n, c, h, w)) * rng.uniform(0.5, 4, (1, c, 1, 1))
                           + rng.uniform(-3, 3, (1, c, 1, 1)), rng.uniform(0.5, 2, c),
                           rng.uniform(-1, 1, c), float(rng.choice([1e-5, 0.1, 0.5]))),
                          description="random (seeded)"))
    return cases


def _bn_global(x, gamma, beta, eps):
    x_hat = (x - x.mean()) / np.sqrt(x.var() + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)


def _bn_unbiased(x, gamma, beta, eps):
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True, ddof=1)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / np.sqrt(var + eps) + beta.reshape(1, -1, 1, 1)


def _bn_eps_outside(x, gamma, beta, eps):
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    std = x.std(axis=(0, 2, 3), keepdims=True)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / (std + eps) + beta.reshape(1, -1, 1, 1)


def _bn_per_sample(x, gamma, beta, eps):  # layer norm
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    var = x.var(axis=(1, 2, 3), keepdims=True)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / np.sqrt(var + eps) + beta.reshape(1, -1, 1, 1)


def _bn_no_affine(x, gamma, beta, eps):
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)


register(Exercise(
    id="modern.batch-norm-train",
    title="Batch normalisation in training mode",
    chapter=CHAPTER,
    kind="function",
    prompt="Write batch_norm_train(x, gamma, beta, eps) for x of shape (N, C, H, W): normalise "
           "each channel with the mean and the (biased) variance of that channel over the "
           "batch and the positions (N, H, W), x_hat = (x - mean) / sqrt(var + eps), then "
           "return gamma[c] * x_hat + beta[c].",
    reference=batch_norm_train,
    cases=_bn_cases,
    hints=[
        "One mean and one variance per channel: x.mean(axis=(0, 2, 3), keepdims=True) has "
        "shape (1, C, 1, 1) and broadcasts against x.",
        "Use x.var(...) (divides by the count, as PyTorch's normalisation does) and put eps "
        "inside the square root; reshape gamma and beta to (1, C, 1, 1).",
    ],
    mistakes=[
        Mistake("global", "You normalised with one mean and variance over the whole tensor; "
                "batch norm keeps one per channel (axes (0, 2, 3)).", wrong=_bn_global),
        Mistake("unbiased", "You used the unbiased variance (ddof=1): the normalisation uses "
                "the biased one (divide by N*H*W); the unbiased one only goes into the running "
                "statistics.", wrong=_bn_unbiased),
        Mistake("eps outside", "eps goes inside the square root: sqrt(var + eps), not "
                "std + eps.", wrong=_bn_eps_outside),
        Mistake("per sample", "You normalised each sample over (C, H, W): that is layer norm. "
                "Batch norm normalises each channel over (N, H, W).", wrong=_bn_per_sample),
        Mistake("no affine", "You forgot the learned scale and shift: return "
                "gamma[c] * x_hat + beta[c].", wrong=_bn_no_affine),
    ],
    examples_wrong=[
        (_bn_global, "one per channel"),
        (_bn_per_sample, "layer norm"),
        (_bn_no_affine, "scale and shift"),
    ],
    explanation="Each channel is one feature detector; batch norm gives its outputs mean 0 and "
                "variance 1 over the batch (and every position, since the same filter produced "
                "them all), and gamma, beta let the network undo that if it helps.",
    solution_code='''\
def batch_norm_train(x, gamma, beta, eps):
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)
''',
))


# -------------------------------------------------------------------- modern.residual-forward

def _conv3_same(x, w):
    """Private 3x3 convolution (cross-correlation), padding 1, stride 1, no bias (NCHW)."""
    windows = _windows(_pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
    return _einsum("ncijuv,ocuv->noij", windows, w)


def residual_forward(x, w1, w2):
    """``relu(conv(relu(conv(x, w1)), w2) + x)`` with 3x3 convolutions, padding 1, no bias."""
    return _maximum(_conv3_same(_maximum(_conv3_same(x, w1), 0), w2) + x, 0)


def _residual_cases(rng):
    eye = np.zeros((1, 1, 3, 3))
    eye[0, 0, 1, 1] = 1.0
    cases = [
        Case((np.array([[[[1.0, -2.0], [3.0, -4.0]]]]), eye, -2 * eye),
             description="one channel, centre-only kernels"),
        Case((np.arange(-6.0, 6.0).reshape(1, 1, 3, 4), np.ones((1, 1, 3, 3)) / 9,
              np.ones((1, 1, 3, 3))), description="averaging kernels, non-square image"),
    ]
    for _ in range(4):
        n, c, b = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
        h, w = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        cases.append(Case((rng.standard_normal((n, c, h, w)), rng.standard_normal((b, c, 3, 3)) * 0.5,
                           rng.standard_normal((c, b, 3, 3)) * 0.5),
                          description="random, inner width != channels (seeded)"))
    return cases


def _res_no_final_relu(x, w1, w2):
    return _conv3_same(_maximum(_conv3_same(x, w1), 0), w2) + x


def _res_relu_before_add(x, w1, w2):
    return _maximum(_conv3_same(_maximum(_conv3_same(x, w1), 0), w2), 0) + x


def _res_no_inner_relu(x, w1, w2):
    return _maximum(_conv3_same(_conv3_same(x, w1), w2) + x, 0)


def _res_no_shortcut(x, w1, w2):
    return _maximum(_conv3_same(_maximum(_conv3_same(x, w1), 0), w2), 0)


register(Exercise(
    id="modern.residual-forward",
    title="The forward pass of a residual block",
    chapter=CHAPTER,
    kind="function",
    prompt="Write residual_forward(x, w1, w2) for x of shape (N, C, H, W), w1 of shape "
           "(B, C, 3, 3) and w2 of shape (C, B, 3, 3): two 3x3 convolutions with padding 1 and "
           "no bias, a ReLU after the first, the input x added to the second's output, and a "
           "ReLU after the sum. Use conv2d(x, weight, padding=1).",
    reference=residual_forward,
    cases=_residual_cases,
    hints=[
        "The residual branch is conv2d -> relu -> conv2d; the shortcut is x itself.",
        "Add first, then apply the last ReLU: np.maximum(branch + x, 0).",
    ],
    mistakes=[
        Mistake("no final relu", "You left out the ReLU after the sum: the block returns "
                "relu(F(x) + x).", wrong=_res_no_final_relu),
        Mistake("relu before add", "You applied the last ReLU to the branch before adding x; "
                "the ReLU comes after the sum, relu(F(x) + x).", wrong=_res_relu_before_add),
        Mistake("no inner relu", "The branch needs a ReLU between its two convolutions; "
                "without it the two are one linear map.", wrong=_res_no_inner_relu),
        Mistake("no shortcut", "You forgot the shortcut: add x to the branch's output before "
                "the last ReLU.", wrong=_res_no_shortcut),
    ],
    examples_wrong=[
        (_res_no_shortcut, "forgot the shortcut"),
        (_res_relu_before_add, "after the sum"),
        (_res_no_final_relu, "after the sum"),
    ],
    explanation="The block learns a correction F(x) to its input rather than a whole new map; "
                "with F = 0 it passes x through (for x >= 0), which is why stacking many of them "
                "does not make the network worse to start with.",
    solution_code='''\
def residual_forward(x, w1, w2):
    branch = conv2d(np.maximum(conv2d(x, w1, padding=1), 0), w2, padding=1)
    return np.maximum(branch + x, 0)
''',
))


# ------------------------------------------------------------------------- modern.conv-params

def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True):
    """Learnable parameters of ``Conv2d(in, out, kernel_size, groups=groups, bias=bias)``:
    ``out * (in / groups) * kH * kW`` weights plus ``out`` biases."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * (in_channels // groups) * kh * kw + (out_channels if bias else 0)


def _params_cases(rng):
    cases = [
        Case((1, 6, 5), description="LeNet-5's first convolution"),
        Case((64, 256, 1), {"bias": False}, description="1x1 bottleneck, no bias"),
        Case((32, 32, 3), {"groups": 32}, description="depthwise (groups = channels)"),
        Case((16, 8, (3, 5)), description="non-square kernel"),
        Case((12, 24, 3, 4, False), description="groups 4, no bias"),
    ]
    for _ in range(4):
        groups = int(rng.choice([1, 2, 4]))
        cases.append(Case((groups * int(rng.integers(1, 9)), groups * int(rng.integers(1, 9)),
                           (int(rng.integers(1, 8)), int(rng.integers(1, 8))), groups,
                           bool(rng.integers(0, 2))), description="random (seeded)"))
    return cases


def _kernel(kernel_size):
    return (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)


def _params_no_bias(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = _kernel(kernel_size)
    return out_channels * (in_channels // groups) * kh * kw


def _params_no_groups(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = _kernel(kernel_size)
    return out_channels * in_channels * kh * kw + (out_channels if bias else 0)


def _params_square(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh = _kernel(kernel_size)[0]
    return out_channels * (in_channels // groups) * kh * kh + (out_channels if bias else 0)


def _params_bias_per_input(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = _kernel(kernel_size)
    return out_channels * (in_channels // groups) * kh * kw + (in_channels if bias else 0)


register(Exercise(
    id="modern.conv-params",
    title="Parameters of a convolution (with groups)",
    chapter=CHAPTER,
    kind="function",
    prompt="Write conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True) "
           "returning the number (an int) of learnable parameters of PyTorch's "
           "Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=bias). "
           "kernel_size is an int or a pair (kH, kW); with groups, each filter sees only "
           "in_channels // groups input channels.",
    reference=conv_params,
    cases=_params_cases,
    hints=[
        "One filter has (in_channels // groups) * kH * kW weights, and there are out_channels "
        "filters.",
        "A bias adds one number per output channel, only when bias is True; an int kernel_size "
        "k means (k, k).",
    ],
    mistakes=[
        Mistake("no bias", "You left out the biases: one per output channel when bias=True.",
                wrong=_params_no_bias),
        Mistake("groups ignored", "With groups, each filter sees in_channels // groups input "
                "channels, not all of them.", wrong=_params_no_groups),
        Mistake("square", "Your count assumes a square kernel: use kH * kW from the pair.",
                wrong=_params_square),
        Mistake("bias per input", "There is one bias per output channel (filter), not per "
                "input channel.", wrong=_params_bias_per_input),
    ],
    examples_wrong=[
        (_params_no_groups, "in_channels // groups"),
        (_params_square, "square kernel"),
        (_params_no_bias, "biases"),
    ],
    explanation="A depthwise-separable block replaces one k x k convolution "
                "(C_out * C_in * k^2 weights) by a depthwise k x k (groups = C_in: C_in * k^2) "
                "and a 1x1 (C_out * C_in): for 3x3 and 64 -> 64 channels, 4,672 weights instead "
                "of 36,864, about 8 times fewer.",
    solution_code='''\
def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True):
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    kh, kw = kernel_size
    weights = out_channels * (in_channels // groups) * kh * kw
    return weights + (out_channels if bias else 0)
''',
))
