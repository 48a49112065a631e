"""Adversarial suite: realistic wrong answers beyond each exercise's registered ``examples_wrong``.

For every registered exercise, at least five wrong answers a learner could plausibly write
(off-by-one, square-only, stride-1-only, H/W swaps, total vs per-side padding, hard-coded example
outputs, in-place edits of the inputs, dtype changes, lists instead of arrays, masked arrays,
global vs per-row max, an ignored argument, floats where ints are asked). Each must be rejected
(``status != 'correct'``), and each states the targeted hint it must get (a substring of
``Result.hint``) or ``None``: no targeted hint at all, because no registered mistake explains it
(a hint that blamed a mistake the learner did not make would be worse than none).

Value and choice verdicts must never show the expected answer.

Run ``python tests/test_exercises_adversarial.py`` for the counts (answers tried, rejected,
hints shown, hints right).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import cnncourse.exercises as exs
from cnncourse import signal
from cnncourse.exercises import check, fmt

TIMEOUT = 1


@dataclass
class W:
    """A wrong answer and the targeted hint it must get (``None``: no targeted hint)."""

    what: str
    answer: Any
    hint: str | None = None


def _xcorr(x, k):
    return signal.correlate2d(x, k, mode="valid")


# --------------------------------------------------------------------------- why-convolutions

def _nchw_bgr(images):
    return np.transpose(images, (0, 3, 1, 2))[:, ::-1]


def _nchw_list(images):
    return [img.transpose(2, 0, 1) for img in images]


def _nchw_first_only(images):
    return np.transpose(images[:1], (0, 3, 1, 2))


def _nchw_float(images):
    return np.transpose(images, (0, 3, 1, 2)).astype(np.float64)


def _nchw_masked(images):
    return np.ma.masked_array(np.transpose(images, (0, 3, 1, 2)))


def _nchw_hardcoded(images):
    return np.arange(2 * 3 * 4 * 3, dtype=np.float64).reshape(2, 3, 4, 3).transpose(0, 3, 1, 2)


def _lc(x, w, shared=False):
    H_out, W_out, M, _ = w.shape
    out = np.zeros((H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[i, j] = np.sum(x[i:i + M, j:j + M] * (w[0, 0] if shared else w[i, j]))
    return out


def _lc_stride_m(x, w):
    H_out, W_out, M, _ = w.shape
    out = np.zeros((H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            patch = x[i * M:i * M + M, j * M:j * M + M]
            out[i, j] = np.sum(patch * w[i, j]) if patch.shape == (M, M) else 0.0
    return out


WHY = {
    "why.to-nchw": [
        W("swapaxes(1, 3) gives (N, C, W, H)", lambda images: np.swapaxes(images, 1, 3), "(N, C, W, H)"),
        W("moveaxis the wrong way: (N, W, C, H)", lambda images: np.moveaxis(images, 1, -1)),
        W("images.T reverses every axis", lambda images: images.T),
        W("dtype changed to float64 (uint8 pixels)", _nchw_float),
        W("a list of CHW images", _nchw_list),
        W("a masked array", _nchw_masked),
        W("channels reversed (RGB -> BGR)", _nchw_bgr),
        W("only the first image", _nchw_first_only),
        W("hard-coded output of the first case", _nchw_hardcoded),
    ],
    "why.conv-params": [
        W("one bias per input channel, added once", lambda C_in, C_out, kH, kW: C_out * C_in * kH * kW + C_in),
        W("the right count as a float", lambda C_in, C_out, kH, kW: float(C_out * (C_in * kH * kW + 1))),
        W("square kernel from kW only", lambda C_in, C_out, kH, kW: C_out * (C_in * kW * kW + 1)),
        W("hard-coded LeNet answer", lambda C_in, C_out, kH, kW: 156),
        W("(C_out + 1) filters", lambda C_in, C_out, kH, kW: (C_out + 1) * C_in * kH * kW),
        W("two biases per filter", lambda C_in, C_out, kH, kW: C_out * (C_in * kH * kW + 2)),
        W("no bias, written as a product", lambda C_in, C_out, kH, kW: C_in * C_out * kH * kW, "forgot the bias"),
    ],
    "why.locally-connected": [
        W("one shared kernel (a convolution)", lambda x, w: _lc(x, w, shared=True), "its own"),
        W("each kernel flipped", lambda x, w: _lc(x, w[:, :, ::-1, ::-1]), "as they are"),
        W("the mean kernel everywhere", lambda x, w: _lc(x, np.broadcast_to(w.mean(axis=(0, 1)), w.shape))),
        W("kernel of the transposed position", lambda x, w: _lc(x, w.transpose(1, 0, 2, 3))
          if w.shape[0] == w.shape[1] else _lc(x, w) + 1.0),
        W("patches stepped by M (no overlap)", _lc_stride_m),
        W("output transposed", lambda x, w: _lc(x, w).T.copy()),
        W("float32", lambda x, w: _lc(x, w).astype(np.float32)),
        W("a list of rows", lambda x, w: _lc(x, w).tolist()),
        W("masked array, no answer", lambda x, w: np.ma.masked_all(w.shape[:2])),
    ],
    "why.invariance": [
        W("only the invariance statement", {"c"}, "leaves out at least one true statement"),
        W("both wrong properties", {"b", "d"}, "equivariance"),
        W("everything", {"a", "b", "c", "d", "e"}, "approximate"),
        W("an option that does not exist", "a, c, f"),
        W("an int", 1),
        W("invariance and a guarantee", {"c", "e"}, "approximate"),
        W("convolution invariant only", "b", "equivariance"),
    ],
}


# --------------------------------------------------------------------------- first-convolution

def _xc_float32(x, k):
    return _xcorr(x, k).astype(np.float32)


def _xc_square_only(x, k):
    H, kH = x.shape[0], k.shape[0]
    n = H - kH + 1
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = np.sum(x[i:i + kH, j:j + kH] * k)
    return out


def _xc_flip_in_place(x, k):
    k[:] = k[::-1, ::-1]
    return _xcorr(x, k)


def _xc_window_hw_swapped(x, k):
    H, W = x.shape
    kH, kW = k.shape
    out = np.zeros((H - kH + 1, W - kW + 1))
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = np.sum(x[i:i + kW, j:j + kH] * k)
    return out


def _xc_list(x, k):
    return _xcorr(x, k).tolist()


def _xc_hardcoded(x, k):
    return np.array([[4.0, 3.0, 4.0], [2.0, 4.0, 3.0], [2.0, 3.0, 4.0]])


def _xc_rows_one_short(x, k):
    return _xcorr(x, k)[:-1].copy()


def _xc_npflip(x, k):
    return _xcorr(x, np.flip(k))


def _xc_masked(x, k):
    return np.ma.masked_all((x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1))


FIRST = {
    "first.correlate2d-valid": [
        W("right values in float32", _xc_float32),
        W("square-only loops", _xc_square_only),
        W("kernel flipped in place", _xc_flip_in_place),
        W("window sliced (kW, kH)", _xc_window_hw_swapped),
        W("a list of lists", _xc_list),
        W("hard-coded worked example", _xc_hardcoded),
        W("one row short only", _xc_rows_one_short),
        W("np.flip(k): a true convolution", _xc_npflip, "flipped the kernel"),
        W("masked array, no answer", _xc_masked),
    ],
    "first.output-shape": [
        W("spatial sizes as floats", (8, 16, 16.0, 14.0)),
        W("only the spatial sizes", (16, 14)),
        W("no padding at all", (8, 16, 15, 13), "leaving out the padding"),
        W("input channels, no padding", (8, 3, 15, 13), "one channel per filter"),
        W("padding counted twice per side", (8, 16, 17, 15)),
        W("stride ignored", (8, 16, 31, 28)),
        W("a string", "(8, 16, 16, 14)"),
        W("three numbers", (8, 16, 16)),
    ],
    "first.equivariance": [
        W("the invariance chapter's answer", {"a", "c"}, "invariant"),
        W("convolution and a per-pixel bias", {"a", "b", "e"}, "depends on the position"),
        W("invariant and dense", {"c", "d"}, "invariant"),
        W("keys run together", "ab"),
        W("an unknown option", ("a", "b", "f")),
        W("everything", {"a", "b", "c", "d", "e"}, "fully connected"),
        W("dense only", {"d"}, "fully connected"),
    ],
}


# --------------------------------------------------------------------------- convolution

def _cv_rot90(x, k):
    return _xcorr(x, np.rot90(k))


def _cv_transpose(x, k):
    return _xcorr(x, k.T)


def _cv_float32(x, k):
    return signal.convolve2d(x, k, mode="valid").astype(np.float32)


def _cv_full(x, k):
    return signal.convolve2d(x, k, mode="full")


def _cv_same(x, k):
    return signal.convolve2d(x, k, mode="same")


def _cv_fliplr(x, k):
    return _xcorr(x, np.fliplr(k))


def _cv_flip_in_place(x, k):
    k[:] = k[::-1, ::-1]
    return _xcorr(x, k)


def _cv_list(x, k):
    return signal.convolve2d(x, k, mode="valid").tolist()


def _sobel_parts(image, mode="valid"):
    from cnncourse import filters

    return (signal.correlate2d(image, filters.SOBEL_X, mode=mode),
            signal.correlate2d(image, filters.SOBEL_Y, mode=mode))


def _sb_gy_only(image):
    return np.abs(_sobel_parts(image)[1])


def _sb_x_twice(image):
    gx, _ = _sobel_parts(image)
    return np.sqrt(gx ** 2 + gx ** 2)


def _sb_same(image):
    gx, gy = _sobel_parts(image, mode="same")
    return np.sqrt(gx ** 2 + gy ** 2)


def _sb_float32(image):
    gx, gy = _sobel_parts(image)
    return np.sqrt(gx ** 2 + gy ** 2).astype(np.float32)


def _sb_sqrt_each(image):
    gx, gy = _sobel_parts(image)
    return np.sqrt(gx ** 2) + np.sqrt(gy ** 2)


def _sb_mean(image):
    gx, gy = _sobel_parts(image)
    return (gx + gy) / 2


def _sb_normalised(image):
    gx, gy = _sobel_parts(image)
    return np.sqrt(gx ** 2 + gy ** 2) / 8


def _tp_square_only(input_shape, kernel):
    H, _ = input_shape
    kH, _ = kernel.shape
    n = H - kH + 1
    T = np.zeros((n * n, H * H))
    for i in range(n):
        for j in range(n):
            for u in range(kH):
                for v in range(kH):
                    T[i * n + j, (i + u) * H + (j + v)] = kernel[u, v]
    return T


def _tp_loops(input_shape, kernel, row=None, col=None, dtype=float):
    H, W = input_shape
    kH, kW = kernel.shape
    H_out, W_out = H - kH + 1, W - kW + 1
    T = np.zeros((H_out * W_out, H * W), dtype=dtype)
    for i in range(H_out):
        for j in range(W_out):
            for u in range(kH):
                for v in range(kW):
                    r = row(i, j, H_out, W_out) if row else i * W_out + j
                    c = col(i + u, j + v, H, W) if col else (i + u) * W + (j + v)
                    T[r, c] = kernel[u, v]
    return T


def _tp_row_index_h(input_shape, kernel):
    return _tp_loops(input_shape, kernel, row=lambda i, j, H_out, W_out: i * H_out + j)


def _tp_pixel_index_h(input_shape, kernel):
    H, W = input_shape
    T = np.zeros(((H - kernel.shape[0] + 1) * (W - kernel.shape[1] + 1), H * W))
    try:
        return _tp_loops(input_shape, kernel, col=lambda r, c, H, W: (r * H + c) % (H * W))
    except IndexError:
        return T


def _tp_int(input_shape, kernel):
    return _tp_loops(input_shape, kernel, dtype=np.int64)


def _tp_float32(input_shape, kernel):
    return _tp_loops(input_shape, kernel).astype(np.float32)


def _tp_hardcoded(input_shape, kernel):
    return np.array([[1.0, 2, 0, 3, 4, 0, 0, 0, 0], [0, 1, 2, 0, 3, 4, 0, 0, 0],
                     [0, 0, 0, 1, 2, 0, 3, 4, 0], [0, 0, 0, 0, 1, 2, 0, 3, 4]])


def _tp_ravel_contiguous(input_shape, kernel):
    H, W = input_shape
    kH, kW = kernel.shape
    H_out, W_out = H - kH + 1, W - kW + 1
    T = np.zeros((H_out * W_out, H * W))
    for i in range(H_out):
        for j in range(W_out):
            start = i * W + j
            T[i * W_out + j, start:start + kH * kW] = kernel.ravel()[:H * W - start]
    return T


def _tp_masked(input_shape, kernel):
    H, W = input_shape
    return np.ma.masked_all(((H - kernel.shape[0] + 1) * (W - kernel.shape[1] + 1), H * W))


def _t_map():
    from cnncourse.exercises.convolution import EDGE_KERNEL, T_IMAGE

    return _xcorr(np.array(T_IMAGE), np.array(EDGE_KERNEL))


def _t_map_same():
    from cnncourse.exercises.convolution import EDGE_KERNEL, T_IMAGE

    return signal.correlate2d(np.array(T_IMAGE), np.array(EDGE_KERNEL), mode="same")


def _t_map_horizontal():
    from cnncourse.exercises.convolution import T_IMAGE

    k = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]])
    return _xcorr(np.array(T_IMAGE), k)


def _mc(x, w, b):
    return np.stack([sum(_xcorr(x[c], w[o, c]) for c in range(x.shape[0])) + b[o]
                     for o in range(w.shape[0])])


CONVOLUTION = {
    "conv.convolve2d": [
        W("np.rot90: a quarter turn, not a flip", _cv_rot90),
        W("k.T instead of a flip", _cv_transpose),
        W("right values in float32", _cv_float32),
        W("'full' mode", _cv_full),
        W("'same' mode", _cv_same),
        W("np.fliplr: the columns only", _cv_fliplr, "k[:, ::-1] flips the columns"),
        W("kernel flipped in place", _cv_flip_in_place),
        W("a list of lists", _cv_list),
    ],
    "conv.sobel": [
        W("gy only", _sb_gy_only),
        W("SOBEL_X used twice", _sb_x_twice),
        W("'same' mode", _sb_same, "'valid' mode"),
        W("right values in float32", _sb_float32),
        W("sqrt of each square, then summed", _sb_sqrt_each, "Euclidean"),
        W("mean of gx and gy", _sb_mean),
        W("divided by 8", _sb_normalised),
    ],
    "conv.toeplitz": [
        W("square-only loops", _tp_square_only),
        W("row index i * H_out + j", _tp_row_index_h),
        W("pixel index r * H + c", _tp_pixel_index_h),
        W("an int matrix", _tp_int),
        W("float32", _tp_float32),
        W("hard-coded 3x3 input, 2x2 kernel", _tp_hardcoded),
        W("the kernel raveled into consecutive columns", _tp_ravel_contiguous),
        W("masked array, no answer", _tp_masked),
    ],
    "conv.t-feature-map": [
        W("right values as ints", _t_map().astype(np.int64)),
        W("right values as a list of lists", _t_map().tolist()),
        W("transposed map", _t_map().T.copy()),
        W("the horizontal-edge map of the chapter", _t_map_horizontal()),
        W("'same' padding: a 6x6 map", _t_map_same(), "4 x 4"),
        W("a 3x3 map", _t_map()[:3, :3].copy()),
        W("masked array of the right values", np.ma.masked_array(_t_map(), mask=np.zeros((4, 4), bool))),
        W("right values, slightly off", _t_map() + 1e-3),
    ],
    "conv.multichannel-conv": [
        W("only the first channel", lambda x, w, b: _mc(x[:1], w[:, :1], b), "ALL C_in channels"),
        W("channels averaged", lambda x, w, b: _mc(x, w, np.zeros_like(b)) / x.shape[0] + b[:, None, None],
          "SUMS them"),
        W("bias once per input channel", lambda x, w, b: _mc(x, w, b * x.shape[0]), "ONE bias"),
        W("kernels flipped", lambda x, w, b: _mc(x, w[:, :, ::-1, ::-1], b), "no flip"),
        W("bias forgotten", lambda x, w, b: _mc(x, w, np.zeros_like(b))),
        W("channel c correlated with w[c, o]", lambda x, w, b: _mc(x, w.transpose(1, 0, 2, 3), b)
          if w.shape[0] == w.shape[1] else _mc(x, w, b) * 2),
        W("maps per input channel, not summed", lambda x, w, b: np.stack(
            [_xcorr(x[c], w[0, c]) for c in range(x.shape[0])])),
        W("float32", lambda x, w, b: _mc(x, w, b).astype(np.float32)),
        W("a list of maps", lambda x, w, b: list(_mc(x, w, b))),
    ],
    "conv.multichannel-shapes": [
        W("'same' padding assumed", ((10, 3, 5, 5), (4, 10, 32, 32))),
        W("N and C swapped in the output", ((10, 3, 5, 5), (10, 4, 28, 28))),
        W("the weight only", ((10, 3, 5, 5),)),
        W("HWC weight layout", ((10, 5, 5, 3), (4, 10, 28, 28))),
        W("off by one in the output", ((10, 3, 5, 5), (4, 10, 27, 27))),
        W("one filter per channel pair", ((30, 1, 5, 5), (4, 30, 28, 28)), "not 10 * 3 = 30"),
        W("a string", "(10, 3, 5, 5), (4, 10, 28, 28)"),
        W("with a bias shape", ((10, 3, 5, 5), (4, 10, 28, 28), (10,))),
    ],
}


# --------------------------------------------------------------------------- padding-stride

_SIZE_TABLE = {(5, 3, 0, 1): 3, (7, 3, 0, 2): 3, (8, 3, 0, 2): 3, (6, 3, 1, 2): 3, (5, 5, 0, 1): 1,
               (28, 5, 2, 1): 28, (10, 3, 0, 4): 2, (1, 3, 1, 1): 1}

PADDING = {
    "padding.output-size": [
        W("2P added after the division", lambda H, F, P, S: (H - F) // S + 1 + 2 * P),
        W("round() instead of the floor", lambda H, F, P, S: round((H + 2 * P - F) / S) + 1, "rounded up"),
        W("np.floor gives a float", lambda H, F, P, S: np.floor((H + 2 * P - F) / S) + 1),
        W("stride 1 only", lambda H, F, P, S: H + 2 * P - F + 1),
        W("lookup table of the fixed cases", lambda H, F, P, S: _SIZE_TABLE.get((H, F, P, S), 0)),
        W("+ 1 inside the division", lambda H, F, P, S: (H + 2 * P - F + 1) // S, "+ 1"),
        W("padding ignored", lambda H, F, P, S: (H - F) // S + 1),
        W("a string", lambda H, F, P, S: str((H + 2 * P - F) // S + 1)),
    ],
    "padding.output-size-dilated": [
        W("span D*(F - 1), the - 1 forgotten", lambda H, F, P, S, D: (H + 2 * P - D * (F - 1)) // S + 1),
        W("true division: a float", lambda H, F, P, S, D: (H + 2 * P - D * (F - 1) - 1) / S + 1),
        W("ceil", lambda H, F, P, S, D: math.ceil((H + 2 * P - D * (F - 1) - 1) / S) + 1),
        W("padding dilated too", lambda H, F, P, S, D: (H + 2 * P * D - D * (F - 1) - 1) // S + 1),
        W("stride ignored", lambda H, F, P, S, D: H + 2 * P - D * (F - 1)),
        W("(D + 1) gaps", lambda H, F, P, S, D: (H + 2 * P - (D + 1) * (F - 1) - 1) // S + 1),
        W("D and S mixed up", lambda H, F, P, S, D: (H + 2 * P - S * (F - 1) - 1) // D + 1),
    ],
    "padding.same": [
        W("true division: floats", lambda F, D=1: (D * (F - 1) / 2, D * (F - 1) / 2)),
        W("(F - 1) // 2 on both sides", lambda F, D=1: ((F - 1) // 2, (F - 1) // 2)),
        W("the total only, as an int", lambda F, D=1: D * (F - 1)),
        W("dilation ignored", lambda F, D=1: ((F - 1) // 2, (F - 1) - (F - 1) // 2)),
        W("D * F split", lambda F, D=1: (D * F // 2, D * F - D * F // 2)),
        W("everything at the end", lambda F, D=1: (0, D * (F - 1))),
        W("an ndarray", lambda F, D=1: np.array([D * (F - 1) // 2, D * (F - 1) - D * (F - 1) // 2])),
    ],
    "padding.transpose-size": [
        W("output padding subtracted", lambda H, F, P, S, a: (H - 1) * S - 2 * P + F - a),
        W("the convolution's formula", lambda H, F, P, S, a: (H + 2 * P - F) // S + 1),
        W("padding added", lambda H, F, P, S, a: (H - 1) * S + 2 * P + F + a),
        W("off by one", lambda H, F, P, S, a: (H - 1) * S - 2 * P + F + a + 1),
        W("a float", lambda H, F, P, S, a: (H - 1) * S - 2 * P + F + a * 1.0),
        W("stride 1 only", lambda H, F, P, S, a: H + F - 1 - 2 * P + a),
        W("padding and output padding ignored", lambda H, F, P, S, a: (H - 1) * S + F),
    ],
    "padding.lenet-flatten": [
        W("second pooling forgotten", 16 * 12 * 12),
        W("the first conv's 6 channels", 6 * 6 * 6),
        W("padding counted once", 16 * 5 * 5, "padding 2 on EACH side"),
        W("the right count as a float", 576.0),
        W("the shape, not the count", (16, 6, 6)),
        W("a string", "576"),
        W("the next layer's width", 120),
    ],
}


# --------------------------------------------------------------------------- activations-pooling

def _mp(x, k, s, corner=None, shape=None, init=None, dtype=None):
    H, W = x.shape
    H_out, W_out = shape(H, W, k, s) if shape else ((H - k) // s + 1, (W - k) // s + 1)
    out = np.zeros((H_out, W_out), dtype=dtype or x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            r, c = corner(i, j, s) if corner else (i * s, j * s)
            window = x[r:r + k, c:c + k]
            if init is None:
                out[i, j] = window.max()
            else:
                best = init
                for v in window.ravel():
                    best = max(best, v)
                out[i, j] = best
    return out


def _mp_masked(x, k, s):
    return np.ma.masked_all(((x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1))


def _rf(layers, start=1):
    size, jump = start, 1
    for k, s in layers:
        size += (k - 1) * jump
        jump *= s
    return size


def _rf_own_stride_first(layers):
    size, jump = 1, 1
    for k, s in layers:
        jump *= s
        size += (k - 1) * jump
    return size


def _rf_jump_added(layers):
    size, jump = 1, 1
    for k, s in layers:
        size += (k - 1) * jump
        jump += s - 1
    return size


POOLING = {
    "pooling.max-pool-2d": [
        W("window corner moves by 1, not stride", lambda x, k, s: _mp(x, k, s, corner=lambda i, j, s: (i, j))),
        W("H_out and W_out swapped", lambda x, k, s: _mp(
            x, k, s, shape=lambda H, W, k, s: ((W - k) // s + 1, (H - k) // s + 1)) if x.shape[1] <= x.shape[0]
            else _mp(x, k, s).T.copy()),
        W("square-only output", lambda x, k, s: _mp(x, k, s, shape=lambda H, W, k, s: ((H - k) // s + 1,) * 2)),
        W("an int output array", lambda x, k, s: _mp(x, k, s, dtype=np.int64)),
        W("the global maximum everywhere", lambda x, k, s: np.full(((x.shape[0] - k) // s + 1,
                                                                    (x.shape[1] - k) // s + 1), x.max())),
        W("running max started at 0", lambda x, k, s: _mp(x, k, s, init=0.0), "start at -inf"),
        W("masked array, no answer", _mp_masked),
        W("a list of lists", lambda x, k, s: _mp(x, k, s).tolist()),
    ],
    "pooling.receptive-field": [
        W("strides ignored", lambda layers: 1 + sum(k - 1 for k, _ in layers), "BELOW"),
        W("jump multiplied before adding", _rf_own_stride_first, "add (k - 1) * J first"),
        W("sum of the kernel sizes", lambda layers: sum(k for k, _ in layers) if layers else 1),
        W("started at 0", lambda layers: _rf(layers, start=0)),
        W("a float", lambda layers: float(_rf(layers))),
        W("the jump returned", lambda layers: math.prod(s for _, s in layers)),
        W("the first layer skipped",
          lambda layers: _rf(layers[1:]) if layers else 1),
        W("strides added instead of multiplied", _rf_jump_added),
        W("the kernel sizes multiplied", lambda layers: math.prod(k for k, _ in layers), "do not multiply"),
    ],
    "pooling.maxout": [
        W("mean over each group", lambda x, g: x.reshape(x.shape[0], x.shape[1] // g, g, *x.shape[2:]).mean(axis=2)),
        W("max over the group-index axis", lambda x, g: x.reshape(x.shape[0], x.shape[1] // g, g, *x.shape[2:]).max(axis=1)),
        W("max over all channels", lambda x, g: x.max(axis=1, keepdims=True)),
        W("pairs only (g = 2 hard-coded)", lambda x, g: np.maximum(x[:, ::2], x[:, 1::2]) if x.shape[1] % 2 == 0
          else x),
        W("first channel of each group", lambda x, g: x[:, ::g].copy()),
        W("float32", lambda x, g: x.reshape(x.shape[0], x.shape[1] // g, g, *x.shape[2:]).max(axis=2).astype(np.float32)),
        W("a list of maps", lambda x, g: list(x.reshape(x.shape[0], x.shape[1] // g, g, *x.shape[2:]).max(axis=2))),
    ],
    "pooling.stacked-convs": [
        W("matrix product", lambda k1, k2: k1 @ k2),
        W("'valid' convolution", lambda k1, k2: signal.convolve2d(k1, k2, mode="valid")),
        W("correlation of k2 with k1", lambda k1, k2: signal.correlate2d(k2, k1, mode="full")),
        W("Kronecker product", lambda k1, k2: np.kron(k1, k2)),
        W("'same' convolution", lambda k1, k2: signal.convolve2d(k1, k2, mode="same")),
        W("sum of the kernels, padded", lambda k1, k2: np.pad(k1, ((0, k2.shape[0] - 1), (0, k2.shape[1] - 1)))
          + np.pad(k2, ((0, k1.shape[0] - 1), (0, k1.shape[1] - 1)))),
        W("the second kernel only", lambda k1, k2: np.pad(k2, ((0, k1.shape[0] - 1), (0, k1.shape[1] - 1)))),
    ],
}


# --------------------------------------------------------------------------- backprop

def _ce(logits, y, shift="row", in_place=False, axis=1, divide=None, dtype=None):
    if in_place:
        logits -= logits.max(axis=1, keepdims=True)
        z = logits
    elif shift == "row":
        z = logits - logits.max(axis=1, keepdims=True)
    else:
        z = logits - np.max(logits)
    with np.errstate(all="ignore"):
        e = np.exp(z)
        s = e / e.sum(axis=axis, keepdims=True)
    s[np.arange(len(y)), y] -= 1
    out = s / (divide if divide is not None else len(y))
    return out.astype(dtype) if dtype else out


def _ce_hardcoded(logits, y):
    return np.array([[1 / 3 - 1, 1 / 3, 1 / 3]])


def _conv_bw(x, w, b, dout):
    from cnncourse.exercises.backprop import conv_backward

    return conv_backward(x, w, b, dout)


def _conv_dx_overwrite(x, w, b, dout):
    N, C_out, H_out, W_out = dout.shape
    kH, kW = w.shape[2:]
    dx = np.zeros_like(x)
    for n in range(N):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    dx[n, :, i:i + kH, j:j + kW] = dout[n, o, i, j] * w[o]
    _, dw, db = _conv_bw(x, w, b, dout)
    return dx, dw, db


def _conv_dw_first_sample(x, w, b, dout):
    dx, _, db = _conv_bw(x, w, b, dout)
    return dx, _conv_bw(x[:1], w, b, dout[:1])[1], db


def _mpb(x, dout, k, s, pick="first", corner_stride=True, swap=False, dtype=None):
    dx = np.zeros(x.shape, dtype=dtype or x.dtype)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            r, c = (i * s, j * s) if corner_stride else (i, j)
            window = x[r:r + k, c:c + k]
            if pick == "first":
                a, bb = np.unravel_index(np.argmax(window), window.shape)
            else:
                flat = window.ravel()[::-1]
                a, bb = np.unravel_index(window.size - 1 - np.argmax(flat), window.shape)
            if swap:
                a, bb = bb, a
            if r + a < x.shape[0] and c + bb < x.shape[1]:
                dx[r + a, c + bb] += dout[i, j]
    return dx


def _cbs(x, w, dout, s, p, *, dx_step=None, dw_step=None, crop="both", pad_dw=True):
    """Convolution backward with stride and padding, with one thing changed."""
    dx_step = s if dx_step is None else dx_step
    dw_step = s if dw_step is None else dw_step
    _, _, kH, kW = w.shape
    N, C_out, H_out, W_out = dout.shape
    H, W = x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    src = xp if pad_dw else x
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for n in range(N):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    g = dout[n, o, i, j]
                    r, c = i * dx_step, j * dx_step
                    dxp[n, :, r:r + kH, c:c + kW] += g * w[o]
                    r, c = i * dw_step, j * dw_step
                    window = src[n, :, r:r + kH, c:c + kW]
                    if window.shape == w[o].shape:
                        dw[o] += g * window
    if crop is False:
        return dxp, dw
    if crop == "end":
        return dxp[:, :, :H, :W], dw
    return dxp[:, :, p:p + H, p:p + W], dw


def _cbs_crop_minus(x, w, dout, s, p):
    dxp, dw = _cbs(x, w, dout, s, p, crop=False)
    return dxp[:, :, p:-p, p:-p], dw


def _cbs_dw_unpadded(x, w, dout, s, p):
    return _cbs(x, w, dout, s, p, pad_dw=False)


def _ng(f, x, h, restore=True):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        if restore:
            x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def _ng_one_sided(f, x, h):
    grad, base = np.zeros(x.shape), f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f(x) - base) / h
        x[idx] = old
    return grad


def _ng_backward(f, x, h):
    grad, base = np.zeros(x.shape), f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old - h
        grad[idx] = (base - f(x)) / h
        x[idx] = old
    return grad


BACKPROP = {
    "backprop.conv-backward-strided": [
        W("padding cut with p:-p (empty for p = 0)", lambda x, w, dout, s, p: _cbs_crop_minus(x, w, dout, s, p)),
        W("padding not cut off", lambda x, w, dout, s, p: _cbs(x, w, dout, s, p, crop=False)),
        W("windows 1 apart in dx only", lambda x, w, dout, s, p: (_cbs(x, w, dout, s, p, dx_step=1)[0],
                                                                 _cbs(x, w, dout, s, p)[1])),
        W("windows 1 apart", lambda x, w, dout, s, p: _cbs(x, w, dout, s, p, dx_step=1, dw_step=1), "i*stride"),
        W("padding cut off the bottom and right", lambda x, w, dout, s, p: _cbs(x, w, dout, s, p, crop="end"),
          "every side"),
        W("dw from the unpadded input", _cbs_dw_unpadded),
        W("(dw, dx) order", lambda x, w, dout, s, p: _cbs(x, w, dout, s, p)[::-1]),
        W("dx in float32", lambda x, w, dout, s, p: (_cbs(x, w, dout, s, p)[0].astype(np.float32),
                                                    _cbs(x, w, dout, s, p)[1])),
        W("dx only", lambda x, w, dout, s, p: _cbs(x, w, dout, s, p)[0]),
    ],
    "backprop.softmax-ce-grad": [
        W("the batch's maximum subtracted", lambda logits, y: _ce(logits, y, shift="global"), "each row's own maximum"),
        W("max subtracted in place", lambda logits, y: _ce(logits, y, in_place=True)),
        W("softmax over the batch axis", lambda logits, y: _ce(logits, y, axis=0)),
        W("divided by C, not N", lambda logits, y: _ce(logits, y, divide=logits.shape[1])),
        W("float32", lambda logits, y: _ce(logits, y, dtype=np.float32)),
        W("no mean and the wrong sign", lambda logits, y: -_ce(logits, y) * len(y)),
        W("hard-coded first case", _ce_hardcoded),
        W("one-hot only", lambda logits, y: -np.eye(logits.shape[1])[y] / len(y)),
    ],
    "backprop.conv-backward": [
        W("db per image", lambda x, w, b, dout: (*_conv_bw(x, w, b, dout)[:2], dout.sum(axis=(2, 3)))),
        W("db summed to a scalar", lambda x, w, b, dout: (*_conv_bw(x, w, b, dout)[:2], dout.sum())),
        W("(dx, dw) only", lambda x, w, b, dout: _conv_bw(x, w, b, dout)[:2]),
        W("dw from the first image only", _conv_dw_first_sample),
        W("dx overwritten (=) instead of +=", _conv_dx_overwrite),
        W("(dw, dx, db) order", lambda x, w, b, dout: (_conv_bw(x, w, b, dout)[1], _conv_bw(x, w, b, dout)[0],
                                                      _conv_bw(x, w, b, dout)[2])),
        W("dx in float32", lambda x, w, b, dout: (_conv_bw(x, w, b, dout)[0].astype(np.float32),
                                                  *_conv_bw(x, w, b, dout)[1:])),
        W("db forgotten, written as zeros", lambda x, w, b, dout: (*_conv_bw(x, w, b, dout)[:2], np.zeros(len(b))),
          "db is all zeros"),
    ],
    "backprop.numerical-gradient": [
        W("one-sided difference", _ng_one_sided, "one-sided"),
        W("divided by h", lambda f, x, h: 2 * _ng(f, x, h), "divide by 2 * h"),
        W("h hard-coded to 1e-5", lambda f, x, h: _ng(f, x, 1e-5), "ignored the argument h"),
        W("element not restored", lambda f, x, h: _ng(f, x, h, restore=False)),
        W("the whole array nudged at once", lambda f, x, h: np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))),
        W("backward difference", _ng_backward),
        W("float32 gradient", lambda f, x, h: _ng(f, x, h).astype(np.float32)),
        W("a flat gradient", lambda f, x, h: _ng(f, x, h).ravel()),
        W("f(x) returned", lambda f, x, h: f(x)),
    ],
    "backprop.maxpool-backward": [
        W("last maximum on ties", lambda x, dout, k, s: _mpb(x, dout, k, s, pick="last")),
        W("windows at stride 1", lambda x, dout, k, s: _mpb(x, dout, k, s, corner_stride=False)),
        W("dout upsampled", lambda x, dout, k, s: np.kron(dout, np.ones((k, k)))),
        W("row and column of the maximum swapped", lambda x, dout, k, s: _mpb(x, dout, k, s, swap=True)),
        W("float32", lambda x, dout, k, s: _mpb(x, dout, k, s, dtype=np.float32)),
        W("dout itself", lambda x, dout, k, s: dout.copy()),
        W("a list", lambda x, dout, k, s: _mpb(x, dout, k, s).tolist()),
    ],
}


# --------------------------------------------------------------------------- training

def _adam(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, *, fixed=False, fixed_lr=False,
          return_hat=False, correction="1-b^t"):
    if fixed:
        beta1, beta2, eps = 0.9, 0.999, 1e-8
    if fixed_lr:
        lr = 1e-3
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    if correction == "1-b^t":
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    elif correction == "t-1":
        m_hat, v_hat = m / (1 - beta1 ** (t - 1)), v / (1 - beta2 ** (t - 1))
    else:
        m_hat, v_hat = m / beta1 ** t, v / beta2 ** t
    w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return (w, m_hat, v_hat) if return_hat else (w, m, v)


def _adam_in_place(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _kfold(n, k, fold, how="remainder last", dtype=None):
    idx = np.arange(n, dtype=dtype) if dtype else np.arange(n)
    if how == "remainder last":
        size = n // k
        folds = [idx[i * size:(i + 1) * size] for i in range(k - 1)] + [idx[(k - 1) * size:]]
    elif how == "strided":
        folds = [idx[i::k] for i in range(k)]
    else:
        folds = np.array_split(idx, k)
    val = folds[fold]
    others = [f for i, f in enumerate(folds) if i != fold]
    if how == "reversed":
        others = others[::-1]
    return np.concatenate(others), val


def _shift_ref(X, dx, dy, fill=None):
    H, W = X.shape[2:]
    out = np.zeros_like(X)
    for n in range(len(X)):
        a, b = int(dy[n]), int(dx[n])
        if fill == "mean":
            out[n] = X[n].mean()
        if abs(a) < H and abs(b) < W:
            out[n, :, max(a, 0):H + min(a, 0), max(b, 0):W + min(b, 0)] = \
                X[n, :, max(-a, 0):H - max(a, 0), max(-b, 0):W - max(b, 0)]
    return out


def _shift_in_place(X, dx, dy):
    X[...] = _shift_ref(X, dx, dy)
    return X


TRAINING = {
    "training.adam-step": [
        W("beta1, beta2, eps hard-coded", lambda *a, **kw: _adam(*a, **kw, fixed=True)),
        W("lr hard-coded", lambda *a, **kw: _adam(*a, **kw, fixed_lr=True)),
        W("returns the corrected m_hat, v_hat", lambda *a, **kw: _adam(*a, **kw, return_hat=True)),
        W("correction with t - 1", lambda *a, **kw: _adam(*a, **kw, correction="t-1")),
        W("moments updated in place", _adam_in_place),
        W("divided by beta**t", lambda *a, **kw: _adam(*a, **kw, correction="b^t")),
        W("w only", lambda *a, **kw: _adam(*a, **kw)[0]),
    ],
    "training.shift-augment": [
        W("np.roll over the whole batch", lambda X, dx, dy: np.stack(
            [np.roll(X[n], (int(dy[n]), int(dx[n])), axis=(1, 2)) for n in range(len(X))]), "np.roll wraps"),
        W("moved the opposite way", lambda X, dx, dy: _shift_ref(X, -dx, -dy), "opposite way"),
        W("dx and dy swapped", lambda X, dx, dy: _shift_ref(X, dy, dx), "dx is horizontal"),
        W("the first image's shift for all", lambda X, dx, dy: _shift_ref(X, np.full_like(dx, dx[0]),
                                                                         np.full_like(dy, dy[0]))),
        W("shifted in place", _shift_in_place),
        W("filled with the image mean", lambda X, dx, dy: _shift_ref(X, dx, dy, fill="mean")),
        W("horizontal shift only", lambda X, dx, dy: _shift_ref(X, dx, np.zeros_like(dy))),
        W("int result", lambda X, dx, dy: _shift_ref(X, dx, dy).astype(np.int64)),
        W("a list of images", lambda X, dx, dy: list(_shift_ref(X, dx, dy))),
    ],
    "training.kfold-split": [
        W("remainder in the last fold", lambda n, k, fold: _kfold(n, k, fold, "remainder last")),
        W("python lists", lambda n, k, fold: tuple(a.tolist() for a in _kfold(n, k, fold, "array_split"))),
        W("shuffled", lambda n, k, fold: tuple(np.random.default_rng(0).permutation(a)
                                               for a in _kfold(n, k, fold, "array_split"))),
        W("strided folds (i % k)", lambda n, k, fold: _kfold(n, k, fold, "strided")),
        W("training folds in reverse order", lambda n, k, fold: _kfold(n, k, fold, "reversed")),
        W("float indices", lambda n, k, fold: _kfold(n, k, fold, "array_split", dtype=np.float64)),
        W("the next fold", lambda n, k, fold: _kfold(n, k, (fold + 1) % k, "array_split")),
    ],
}

WRONG = {**WHY, **FIRST, **CONVOLUTION, **PADDING, **POOLING, **BACKPROP, **TRAINING}
# Newer exercises of these chapters keep their wrong answers in their own file, which adds them
# to WRONG when it is imported (here, or first, when pytest runs that file alone; the update
# below also serves `python tests/test_exercises_adversarial.py`, where this file is __main__).
import test_exercises_adversarial_training_why as _more  # noqa: E402

WRONG.update(getattr(_more, "TRAINING_WHY", {}))  # absent while that file is importing this one
OWN = frozenset(WRONG)  # the exercises whose wrong answers this file runs (the LATER files run theirs)
# The chapters listed here; a later chapter keeps its wrong answers in
# tests/test_exercises_adversarial_<chapter>.py, which runs the tests below on its exercises.
CHAPTERS = ("first-convolution", "why-convolutions", "convolution", "padding-stride",
            "activations-pooling", "backprop", "training")
# Files holding the wrong answers of later exercises of these chapters (they add them to WRONG
# and run the tests below on them).
LATER = ("test_exercises_adversarial_first_padding_backprop",)
ALL = [e for e in exs.exercises() if e.chapter in CHAPTERS]
OWN_ALL = [e for e in ALL if e.id in OWN]


def _with_later_files():
    import importlib

    for name in LATER:
        # its ADDED answers (it adds them to WRONG itself; this copes with running this
        # file as a script, when it is __main__ and not the module the later file imports)
        WRONG.update(importlib.import_module(name).ADDED)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path))


def test_every_exercise_has_five_adversarial_answers():
    # later chapters' files add their own entries to WRONG (whichever ran first in this
    # process), so compare this file's chapters only; every key must be a registered exercise
    _with_later_files()
    registered = {e.id: e.chapter for e in exs.exercises()}
    assert set(WRONG) <= set(registered), set(WRONG) - set(registered)
    assert {k for k in WRONG if registered[k] in CHAPTERS} == {e.id for e in ALL}
    for ex in ALL:
        assert len(WRONG[ex.id]) >= 5, ex.id


def _leaks(ex, answer, result) -> bool:
    """Does a value/choice verdict show the expected answer (other than inside the learner's own)?"""
    expected = ex.expected_answer()
    message = result.message
    for own in {fmt(answer), repr(answer), str(answer)}:
        message = message.replace(own, "<the learner's answer>")
    if ex.kind == "choice":
        keys = sorted(expected)
        shown = ["{" + ", ".join(repr(k) for k in keys) + "}", "{" + ", ".join(f'"{k}"' for k in keys) + "}"]
    else:
        shown = [fmt(expected)] if isinstance(expected, np.ndarray) else [repr(expected), fmt(expected)]
    return any(s in message for s in shown)


def run_one(ex, wrong: W):
    answer = wrong.answer
    result = check(ex.id, answer, record=False, timeout=TIMEOUT)
    return result


@pytest.mark.parametrize("ex", OWN_ALL, ids=[e.id for e in OWN_ALL])
def test_adversarial_answers_are_rejected_with_the_right_hint(ex):
    problems = []
    for wrong in WRONG[ex.id]:
        result = run_one(ex, wrong)
        if result.status == "correct":
            problems.append(f"ACCEPTED {wrong.what!r}:\n{result}")
            continue
        if wrong.hint is None and result.hint:
            problems.append(f"{wrong.what!r}: no targeted hint expected, got {result.hint!r}\n{result}")
        elif wrong.hint is not None and wrong.hint not in result.hint:
            problems.append(f"{wrong.what!r}: hint should contain {wrong.hint!r}, got {result.hint!r}\n{result}")
        if ex.kind in ("value", "choice") and _leaks(ex, wrong.answer, result):
            problems.append(f"{wrong.what!r}: the verdict shows the expected answer\n{result}")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("ex", [e for e in ALL if e.kind == "function"],
                         ids=[e.id for e in ALL if e.kind == "function"])
def test_each_mistake_differs_from_the_reference_somewhere(ex):
    """A mistake whose ``wrong`` equals the reference on every case could never fire."""
    cases = ex.cases(np.random.default_rng(12345))
    for mistake in ex.mistakes:
        if mistake.wrong is None:
            continue
        differs = False
        for case in cases:
            import copy

            expected = ex.reference(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))
            try:
                with np.errstate(all="ignore"):
                    got = mistake.wrong(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))
            except Exception:  # noqa: BLE001 - a mistake that does not apply to this case
                continue
            if exs.compare(expected, got, ex.rtol, ex.atol) is not None:
                differs = True
                break
        assert differs, f"{ex.id}: mistake {mistake.name!r} equals the reference on every case"


@pytest.mark.parametrize("ex", [e for e in ALL if e.kind != "function"],
                         ids=[e.id for e in ALL if e.kind != "function"])
def test_value_mistakes_are_wrong_and_do_not_reveal_the_answer(ex):
    expected = ex.expected_answer()
    if ex.kind == "choice":
        revealing = ["{" + ", ".join(repr(k) for k in sorted(expected)) + "}"]
    else:
        parts = list(expected) if isinstance(expected, tuple) else []
        revealing = [fmt(expected), repr(expected)] + [repr(p) for p in parts if isinstance(p, tuple)]
    for text in [m.message for m in ex.mistakes] + list(ex.hints[:1]):
        for r in revealing:
            assert r not in text, f"{ex.id}: {text!r} reveals {r}"
    for mistake in ex.mistakes:
        if mistake.wrong is not None:
            wrong = mistake.wrong
            if ex.kind == "choice":
                wrong = frozenset({wrong}) if isinstance(wrong, str) else frozenset(wrong)
                assert wrong != ex.expected_answer(), (ex.id, mistake.name)
            else:
                assert exs.compare(ex.expected_answer(), wrong) is not None, (ex.id, mistake.name)


def tally():
    """Counts over the whole suite: (tried, rejected, hints shown, hints right, no-hint right)."""
    _with_later_files()
    tried = rejected = shown = right = silent_right = 0
    for ex in ALL:
        for wrong in WRONG[ex.id]:
            result = run_one(ex, wrong)
            tried += 1
            rejected += result.status != "correct"
            if result.hint:
                shown += 1
                right += wrong.hint is not None and wrong.hint in result.hint
            else:
                silent_right += wrong.hint is None
    return tried, rejected, shown, right, silent_right


if __name__ == "__main__":  # pragma: no cover - the report's counts
    import os
    import tempfile

    os.environ["CNNCOURSE_DATA_DIR"] = tempfile.mkdtemp()
    t, r, s, h, q = tally()
    expected_hints = sum(w.hint is not None for ws in WRONG.values() for w in ws)
    print(f"answers tried {t}, rejected {r}, hints shown {s} (expected {expected_hints}), "
          f"hints right {h}, no hint where none applies {q} of {t - expected_hints}")


def test_expected_outputs_do_not_change_when_a_notebook_rebinds_the_package(monkeypatch):
    """References are private copies bound at import: rebinding or editing package functions and
    constants in a notebook (``signal.correlate2d = ...``, ``filters.SOBEL_X = filters.SOBEL_X / 8``,
    ``filters.SOBEL_X[0, 0] = 99``) changes no expected output."""
    import copy

    from cnncourse import arithmetic, filters, functional, train

    def expected_all():
        out = {}
        for ex in ALL:
            if ex.kind == "function":
                cases = ex.cases(np.random.default_rng(7))
                out[ex.id] = [ex.reference(*copy.deepcopy(c.args), **copy.deepcopy(dict(c.kwargs)))
                              for c in cases]
            else:
                out[ex.id] = ex.expected_answer()
        return out

    before = expected_all()

    def sabotaged(*args, **kwargs):
        raise AssertionError("a package function was looked up at check time")

    for module in (signal, filters, functional, arithmetic, train):
        for name in dir(module):
            if not name.startswith("__") and callable(getattr(module, name)) and not isinstance(
                    getattr(module, name), type):
                monkeypatch.setattr(module, name, sabotaged)
    monkeypatch.setattr(filters, "SOBEL_X", np.full((3, 3), 99.0))
    monkeypatch.setattr(filters, "SOBEL_Y", np.zeros((3, 3)))
    after = expected_all()
    for ex_id, values in before.items():
        assert exs.compare(values, after[ex_id], rtol=0, atol=0) is None, ex_id


@pytest.mark.parametrize("ex", [e for e in ALL if e.kind == "function"],
                         ids=[e.id for e in ALL if e.kind == "function"])
def test_cases_vary_every_argument(ex):
    """An answer that ignores an argument (Adam's beta1, beta2, eps; the stride; the batch) or
    hard-codes its default must meet a case where that argument matters."""
    import inspect

    signature = inspect.signature(ex.reference)
    seen: dict[str, set] = {name: set() for name in signature.parameters}
    for case in ex.cases(np.random.default_rng(0)):
        bound = signature.bind(*case.args, **dict(case.kwargs))
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            key = (value.shape, value.dtype.str, value.tobytes()) if isinstance(value, np.ndarray) else repr(value)
            seen[name].add(key)
    constant = [name for name, values in seen.items() if len(values) < 2]
    assert not constant, f"{ex.id}: no case varies {constant}"


def test_receptive_field_reference_agrees_with_arithmetic():
    """The exercise's reference is the recurrence ``arithmetic.receptive_field`` implements."""
    from cnncourse import arithmetic
    from cnncourse.exercises import pooling

    for seed in range(10):
        for case in pooling._rf_cases(np.random.default_rng(seed)):
            layers = case.args[0]
            if layers:
                rf = arithmetic.receptive_field([(k, s, 0, 1) for k, s in layers])
                assert pooling.receptive_field(layers) == rf[-1].size, layers
