"""Exercises of the chapter *Backpropagation through a CNN* (``book/backprop.ipynb``).

About 850 lines, on purpose: each of the chapter's six exercises keeps its reference, cases,
known mistakes, worked solution and hints side by side, so an author reviews one exercise on
one screen; splitting them by kind would scatter each exercise over several files.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as _windows

from ._core import Case, Exercise, Mistake, register

CHAPTER = "backprop"


# --------------------------------------------------------------------------- backprop.softmax-ce

def softmax_ce_grad(logits, y):
    """Gradient of the mean softmax cross-entropy w.r.t. ``logits`` (N, C): ``(softmax - onehot) / N``."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    s = e / e.sum(axis=1, keepdims=True)
    s[np.arange(len(y)), y] -= 1
    return s / len(y)


def _ce_cases(rng):
    cases = [
        Case((np.zeros((1, 3)), np.array([0])), description="one sample, equal logits"),
        Case((np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 5.0]]), np.array([0, 1])), description="two samples"),
        Case((np.array([[1000.0, 0.0], [-1000.0, 1000.0]]), np.array([1, 1])),
             description="huge logits (subtract the max!)"),
        Case((np.array([[1000.0, 0.0], [0.0, 1.0]]), np.array([0, 1])),
             description="one row far below the batch's maximum (each row's own max!)"),
    ]
    for _ in range(4):
        N, C = rng.integers(1, 7), rng.integers(2, 6)
        cases.append(Case((rng.standard_normal((N, C)) * 3, rng.integers(0, C, size=N)),
                          description="random (seeded)"))
    return cases


def _ce_no_mean(logits, y):  # sum instead of mean
    return softmax_ce_grad(logits, y) * logits.shape[0]


def _ce_no_onehot(logits, y):  # softmax / N, the target never subtracted
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True) / logits.shape[0]


def _ce_global_max(logits, y):  # subtracted the batch's maximum instead of each row's
    with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(logits - logits.max())
        return (e / e.sum(axis=1, keepdims=True) - np.eye(logits.shape[1])[y]) / len(y)


def _overflowed(got, expected, case):
    """Non-finite rows of ``got`` are exactly rows whose own maximum overflows np.exp."""
    if not (isinstance(got, np.ndarray) and got.shape == expected.shape):
        return False
    bad = ~np.isfinite(got).all(axis=1)
    return bool(bad.any()) and bool(np.all(case.args[0][bad].max(axis=1) > 709))


def _ce_unstable(logits, y):  # softmax without subtracting the max: inf / inf = nan
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(logits)
        return (e / e.sum(axis=1, keepdims=True) - np.eye(logits.shape[1])[y]) / len(y)


def _ce_sign(logits, y):
    return -softmax_ce_grad(logits, y)


register(Exercise(
    id="backprop.softmax-ce-grad",
    title="Gradient of softmax cross-entropy",
    chapter=CHAPTER,
    kind="function",
    prompt="Write softmax_ce_grad(logits, y): the gradient of the MEAN cross-entropy loss "
           "L = -(1/N) sum_n log softmax(logits_n)[y_n] with respect to logits (N, C); y holds "
           "N integer labels. Use the result derived in the chapter.",
    reference=softmax_ce_grad,
    cases=_ce_cases,
    hints=[
        "For one sample the gradient is softmax(z) - onehot(y): the predicted probabilities, "
        "minus 1 at the true class.",
        "Compute softmax stably: subtract each row's maximum before np.exp.",
        "The loss is a mean over N samples, so divide the whole gradient by N.",
    ],
    mistakes=[
        Mistake("no mean", "Your gradient is N times too large: the loss is the mean over the "
                "batch, so divide by N.", wrong=_ce_no_mean),
        Mistake("no onehot", "You forgot to subtract the one-hot target: the gradient is "
                "(softmax - onehot(y)) / N, negative at the true class.", wrong=_ce_no_onehot),
        Mistake("sign", "Your gradient has the wrong sign: it is softmax - onehot (the "
                "probability of the true class can only rise if its logit's gradient is "
                "negative).", wrong=_ce_sign),
        Mistake("global max", "Your answer has NaN in a row whose logits are far below the "
                "batch's maximum: you subtracted ONE maximum for the whole batch, so np.exp "
                "underflows to 0 in every entry of that row and 0 / 0 = NaN. Subtract each "
                "row's own maximum: logits.max(axis=1, keepdims=True).", wrong=_ce_global_max),
        Mistake("overflow", "Your answer contains NaN or inf: exp of a large logit overflows. "
                "Subtract each row's maximum before exponentiating; softmax does not change.",
                when=_overflowed),
    ],
    examples_wrong=[
        (_ce_no_mean, "divide by N"),
        (_ce_no_onehot, "one-hot"),
        (_ce_sign, "wrong sign"),
        (_ce_unstable, "maximum"),
        (_ce_global_max, "each row's own maximum"),
    ],
    explanation="d(-log s_y)/dz_k = s_k - [k == y]: the softmax Jacobian and the log cancel into "
                "the simplest gradient in deep learning. The mean over the batch divides by N.",
    solution_code='''\
def softmax_ce_grad(logits, y):
    # softmax is unchanged, exp cannot overflow
    shifted = logits - logits.max(axis=1, keepdims=True)
    s = np.exp(shifted)
    s /= s.sum(axis=1, keepdims=True)
    # minus the one-hot target
    s[np.arange(len(y)), y] -= 1
    return s / len(y)
''',
))


# --------------------------------------------------------------------------- backprop.conv-backward

def conv_backward(x, w, b, dout):
    """Gradients ``(dx, dw, db)`` of ``out = conv2d(x, w, b)`` (stride 1, no padding).

    x (N, C_in, H, W), w (C_out, C_in, kH, kW), b (C_out,), dout (N, C_out, H_out, W_out).
    """
    _, _, kH, kW = w.shape
    _, _, H_out, W_out = dout.shape
    dw = np.einsum("nohw,nchwuv->ocuv", dout, _windows(x, (kH, kW), axis=(2, 3)))
    dx = np.zeros(x.shape, dtype=np.result_type(x, w, dout))
    for u in range(kH):
        for v in range(kW):
            dx[:, :, u:u + H_out, v:v + W_out] += np.einsum("nohw,oc->nchw", dout, w[:, :, u, v])
    return dx, dw, dout.sum(axis=(0, 2, 3))


def _conv_case(rng, N, C_in, H, W, C_out, kH, kW, description):
    x = rng.standard_normal((N, C_in, H, W))
    w = rng.standard_normal((C_out, C_in, kH, kW))
    b = rng.standard_normal(C_out)
    dout = rng.standard_normal((N, C_out, H - kH + 1, W - kW + 1))
    return Case((x, w, b, dout), description=description)


def _conv_cases(rng):
    cases = [
        Case((np.arange(9.0).reshape(1, 1, 3, 3), np.array([[[[1.0, 2.0], [3.0, 4.0]]]]),
              np.array([0.5]), np.ones((1, 1, 2, 2))), description="one 3x3 image, one 2x2 kernel"),
        _conv_case(rng, 1, 1, 4, 6, 1, 2, 3, "non-square image and kernel"),
        _conv_case(rng, 2, 3, 5, 4, 2, 3, 2, "batch 2, 3 channels in, 2 out"),
        _conv_case(rng, 1, 2, 3, 3, 4, 1, 1, "1x1 kernels"),
    ]
    for _ in range(3):
        N, C_in, C_out = (int(v) for v in rng.integers(1, 4, size=3))
        kH, kW = (int(v) for v in rng.integers(1, 4, size=2))
        H, W = kH + int(rng.integers(0, 4)), kW + int(rng.integers(0, 4))
        cases.append(_conv_case(rng, N, C_in, H, W, C_out, kH, kW, "random (seeded)"))
    return cases


def _conv_no_bias(x, w, b, dout):  # forgot the bias
    dx, dw, _ = conv_backward(x, w, b, dout)
    return dx, dw, np.zeros_like(b)


def _conv_no_flip(x, w, b, dout):  # dx with the kernel not flipped (a correlation instead)
    dx, dw, db = conv_backward(x, w, b, dout)
    return conv_backward(x, w[:, :, ::-1, ::-1].copy(), b, dout)[0], dw, db


def _conv_bias_first_sample(x, w, b, dout):  # db from the first sample only
    dx, dw, _ = conv_backward(x, w, b, dout)
    return dx, dw, dout[0].sum(axis=(1, 2))


def _conv_dw_mean(x, w, b, dout):  # dw averaged over the output positions instead of summed
    dx, dw, db = conv_backward(x, w, b, dout)
    return dx, dw / (dout.shape[2] * dout.shape[3]), db


register(Exercise(
    id="backprop.conv-backward",
    title="Convolution backward with loops",
    chapter=CHAPTER,
    kind="function",
    prompt="Write conv_backward(x, w, b, dout) for out = conv2d(x, w, b) with stride 1 and no "
           "padding (out[n, o, i, j] = sum(x[n, :, i:i+kH, j:j+kW] * w[o]) + b[o]). Return the "
           "tuple (dx, dw, db) of the gradients with respect to x (N, C_in, H, W), w (C_out, "
           "C_in, kH, kW) and b (C_out,), given dout (N, C_out, H_out, W_out).",
    reference=conv_backward,
    cases=_conv_cases,
    hints=[
        "Loop over n, o, i, j exactly as the forward pass does. Each output pixel used one "
        "window of x, the kernel w[o] and the bias b[o]; send its gradient g = dout[n, o, i, j] "
        "back to each of them.",
        "dx[n, :, i:i+kH, j:j+kW] += g * w[o];  dw[o] += g * x[n, :, i:i+kH, j:j+kW]. Use +=: "
        "windows overlap and every position adds to the same kernel.",
        "b[o] was added to every output pixel of channel o in every image: db = "
        "dout.sum(axis=(0, 2, 3)).",
    ],
    mistakes=[
        Mistake("forgot the bias", "Your db is all zeros: the bias was added to every output pixel, "
                "so its gradient is the sum of dout over the batch and both spatial axes, "
                "dout.sum(axis=(0, 2, 3)).", wrong=_conv_no_bias),
        Mistake("kernel not flipped", "Your dx is the upstream gradient correlated with the kernel; "
                "the gradient with respect to the input is a FULL CONVOLUTION with the kernel "
                "(the kernel flipped), i.e. a transposed convolution. Scatter g * w[o] onto each "
                "window and the flip happens by itself.", wrong=_conv_no_flip),
        Mistake("bias one sample", "Your db only counts the first image: sum dout over the batch "
                "axis too, dout.sum(axis=(0, 2, 3)).", wrong=_conv_bias_first_sample),
        Mistake("dw averaged", "Your dw is too small by a factor H_out * W_out: the kernel's "
                "gradient is the SUM of its contributions from every output position.",
                wrong=_conv_dw_mean),
    ],
    examples_wrong=[
        (_conv_no_bias, "db is all zeros"),
        (_conv_no_flip, "FULL CONVOLUTION"),
        (_conv_bias_first_sample, "batch axis"),
        (_conv_dw_mean, "SUM"),
    ],
    explanation="Every output pixel is a dot product of a window with the kernel plus the bias, "
                "so its gradient goes back to the window (times the kernel), to the kernel "
                "(times the window) and to the bias (as is). Summed over all output pixels these "
                "are a full convolution of dout with the kernel (dx), a cross-correlation of x "
                "with dout (dw) and a sum (db).",
    solution_code='''\
def conv_backward(x, w, b, dout):
    N, C_out, H_out, W_out = dout.shape
    _, _, kH, kW = w.shape
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for n in range(N):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    g = dout[n, o, i, j]
                    # back onto the window
                    dx[n, :, i : i + kH, j : j + kW] += g * w[o]
                    # the window, weighted
                    dw[o] += g * x[n, :, i : i + kH, j : j + kW]
    # added everywhere
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db
''',
))


# --------------------------------------------------------------------------- backprop.conv-backward-strided

def conv_backward_strided(x, w, dout, stride, padding):
    """Gradients ``(dx, dw)`` of ``out = conv2d(x, w, stride=stride, padding=padding)`` (no bias).

    x (N, C_in, H, W), w (C_out, C_in, kH, kW), dout (N, C_out, H_out, W_out); ``padding`` zeros
    on each side, the same ``stride`` along both axes.
    """
    s, p = stride, padding
    _, _, kH, kW = w.shape
    _, _, H_out, W_out = dout.shape
    H, W = x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dtype = np.result_type(x, w, dout)
    dxp = np.zeros(xp.shape, dtype=dtype)
    dw = np.zeros(w.shape, dtype=dtype)
    for u in range(kH):
        for v in range(kW):
            # tap (u, v) of every window: rows u, u + s, ..., columns v, v + s, ...
            rows = slice(u, u + s * (H_out - 1) + 1, s)
            cols = slice(v, v + s * (W_out - 1) + 1, s)
            dxp[:, :, rows, cols] += np.einsum("nohw,oc->nchw", dout, w[:, :, u, v])
            dw[:, :, u, v] = np.einsum("nohw,nchw->oc", dout, xp[:, :, rows, cols])
    return dxp[:, :, p:p + H, p:p + W], dw


def _strided_case(rng, N, C_in, H, W, C_out, kH, kW, s, p, description):
    x = rng.standard_normal((N, C_in, H, W))
    w = rng.standard_normal((C_out, C_in, kH, kW))
    H_out, W_out = (H + 2 * p - kH) // s + 1, (W + 2 * p - kW) // s + 1
    dout = rng.standard_normal((N, C_out, H_out, W_out))
    return Case((x, w, dout, s, p), description=description)


def _strided_cases(rng):
    cases = [
        Case((np.arange(16.0).reshape(1, 1, 4, 4), np.array([[[[1.0, 2.0], [3.0, 4.0]]]]),
              np.ones((1, 1, 3, 3)), 2, 1), description="4x4 image, 2x2 kernel, stride 2, padding 1"),
        _strided_case(rng, 1, 1, 5, 5, 1, 3, 3, 2, 0, "stride 2, padding 0"),
        _strided_case(rng, 1, 1, 6, 6, 1, 3, 3, 2, 0, "stride 2 does not divide: the last row is unused"),
        _strided_case(rng, 2, 2, 6, 7, 3, 3, 2, 2, 1, "batch 2, channels 2 -> 3, non-square, stride 2, padding 1"),
        _strided_case(rng, 1, 3, 7, 5, 2, 3, 3, 3, 2, "stride 3, padding 2"),
    ]
    for _ in range(3):
        N, C_in, C_out = (int(v) for v in rng.integers(1, 4, size=3))
        kH, kW = (int(v) for v in rng.integers(1, 4, size=2))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        H, W = kH + int(rng.integers(0, 6)), kW + int(rng.integers(0, 6))
        cases.append(_strided_case(rng, N, C_in, H, W, C_out, kH, kW, s, p, "random (seeded)"))
    return cases


def _strided_loops(x, w, dout, stride, padding, *, step=None, crop="both", batch=None):
    """The loop solution with one thing changed (the wrong answers below)."""
    s, p = stride, padding
    step = s if step is None else step
    _, _, kH, kW = w.shape
    N, C_out, H_out, W_out = dout.shape
    H, W = x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for n in range(N if batch is None else batch):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    g = dout[n, o, i, j]
                    r, c = i * step, j * step
                    dxp[n, :, r:r + kH, c:c + kW] += g * w[o]
                    dw[o] += g * xp[n, :, r:r + kH, c:c + kW]
    if crop == "bottom-right":
        return dxp[:, :, :H, :W], dw
    return dxp[:, :, p:p + H, p:p + W], dw


def _strided_no_step(x, w, dout, stride, padding):  # windows 1 apart, not stride apart
    return _strided_loops(x, w, dout, stride, padding, step=1)


def _strided_crop_bottom_right(x, w, dout, stride, padding):  # cut the padding off one side only
    return _strided_loops(x, w, dout, stride, padding, crop="bottom-right")


def _strided_first_image(x, w, dout, stride, padding):  # dw from the first image only
    dx = _strided_loops(x, w, dout, stride, padding)[0]
    return dx, _strided_loops(x, w, dout, stride, padding, batch=1)[1]


register(Exercise(
    id="backprop.conv-backward-strided",
    title="Convolution backward with stride and padding",
    chapter=CHAPTER,
    kind="function",
    prompt="Write conv_backward_strided(x, w, dout, stride, padding) for out = conv2d(x, w, "
           "stride=stride, padding=padding) without bias: padding zeros on each side, the same "
           "stride along both axes, out[n, o, i, j] = sum(xp[n, :, i*s:i*s+kH, j*s:j*s+kW] * "
           "w[o]) with xp the padded x. Return the tuple (dx, dw): dx with the shape of x (N, "
           "C_in, H, W), dw with the shape of w.",
    reference=conv_backward_strided,
    cases=_strided_cases,
    hints=[
        "Pad x first, xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))), and accumulate the input "
        "gradient in an array dxp of xp's shape: every window lives in the padded input.",
        "Window (i, j) starts at row i*stride and column j*stride. Scatter g * w[o] onto "
        "dxp[n, :, i*s:i*s+kH, j*s:j*s+kW] and add g times that window of xp to dw[o] (+=).",
        "At the end cut the padding off with explicit ends, dxp[:, :, p:p+H, p:p+W]: the "
        "shorthand dxp[:, :, p:-p, p:-p] is EMPTY when p = 0. Rows that no window reached keep "
        "a zero gradient.",
    ],
    mistakes=[
        Mistake("windows 1 apart", "Your windows start 1 pixel apart; in a strided convolution "
                "window (i, j) starts at row i*stride and column j*stride, in the backward pass "
                "as in the forward one.", wrong=_strided_no_step),
        Mistake("crop one side", "You cut the padding off the bottom and right only; it was added "
                "on every side, so the input's gradient is dxp[:, :, p:p+H, p:p+W].",
                wrong=_strided_crop_bottom_right),
        Mistake("dw first image", "Your dw only counts the first image: the kernel is shared by "
                "every image of the batch, so its gradient sums over n too.",
                wrong=_strided_first_image),
    ],
    examples_wrong=[
        (_strided_no_step, "i*stride"),
        (_strided_crop_bottom_right, "every side"),
        (_strided_first_image, "sums over n"),
    ],
    explanation="The backward pass visits the same windows as the forward pass: each output "
                "pixel's gradient goes back onto its window of the PADDED input (times the "
                "kernel) and onto the kernel (times the window). Then the padding, which is no "
                "input, is cut off; with a stride that does not divide, the rows no window "
                "reached get a zero gradient.",
    solution_code='''\
def conv_backward_strided(x, w, dout, stride, padding):
    s, p = stride, padding
    N, C_out, H_out, W_out = dout.shape
    _, _, kH, kW = w.shape
    H, W = x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for n in range(N):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    g = dout[n, o, i, j]
                    r, c = i * s, j * s          # the window's corner, stride apart
                    dxp[n, :, r:r + kH, c:c + kW] += g * w[o]
                    dw[o] += g * xp[n, :, r:r + kH, c:c + kW]
    # explicit ends: dxp[:, :, p:-p, p:-p] would be empty for p = 0
    return dxp[:, :, p:p + H, p:p + W], dw
''',
))


# --------------------------------------------------------------------------- backprop.maxpool-backward

def maxpool_backward(x, dout, kernel_size, stride):
    """Max-pool backward for one map ``x`` (H, W), square window, no padding.

    Each ``dout[i, j]`` goes to the FIRST maximum (row-major) of its window; overlapping
    windows add up.
    """
    k, s = kernel_size, stride
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * s:i * s + k, j * s:j * s + k]
            a, b = divmod(int(np.argmax(window)), window.shape[1])
            dx[i * s + a, j * s + b] += dout[i, j]
    return dx


def _pool_case(x, k, s, description, rng=None):
    H_out = (x.shape[0] - k) // s + 1
    W_out = (x.shape[1] - k) // s + 1
    dout = (np.arange(1.0, H_out * W_out + 1).reshape(H_out, W_out) if rng is None
            else rng.standard_normal((H_out, W_out)))
    return Case((x, dout, k, s), description=description)


def _maxpool_cases(rng):
    cases = [
        _pool_case(np.array([[1.0, 2.0], [4.0, 3.0]]), 2, 2, "one 2x2 window"),
        _pool_case(np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]), 2, 2,
                   "ties (post-ReLU zeros): only the first maximum gets the gradient"),
        _pool_case(np.array([[1.0, 5.0, 2.0], [0.0, 3.0, 1.0], [2.0, 0.0, 4.0]]), 2, 1,
                   "overlapping windows share a maximum: gradients add"),
        _pool_case(np.arange(20.0).reshape(4, 5) % 7, 2, 2, "non-square, stride does not divide"),
        _pool_case(np.arange(30.0).reshape(6, 5) % 4, 3, 2, "overlapping windows with ties"),
    ]
    for _ in range(4):
        H, W = (int(v) for v in rng.integers(3, 8, size=2))
        k, s = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        x = np.round(rng.standard_normal((H, W)), 1)
        cases.append(_pool_case(x, k, s, "random (seeded)", rng))
    return cases


def _maxpool_all_ties(x, dout, kernel_size, stride):  # every tied maximum gets the gradient
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            dx[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] += \
                dout[i, j] * (window == window.max())
    return dx


def _maxpool_overwrite(x, dout, kernel_size, stride):  # = instead of +=
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            a, b = np.unravel_index(np.argmax(window), window.shape)
            dx[i * stride + a, j * stride + b] = dout[i, j]
    return dx


def _maxpool_spread(x, dout, kernel_size, stride):  # average-pool backward instead
    k, s = kernel_size, stride
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            dx[i * s:i * s + k, j * s:j * s + k] += dout[i, j] / (k * k)
    return dx


register(Exercise(
    id="backprop.maxpool-backward",
    title="Max-pool backward with loops",
    chapter=CHAPTER,
    kind="function",
    prompt="Write maxpool_backward(x, dout, kernel_size, stride) for one map x (H, W) max-pooled "
           "with square windows and no padding: return dx (H, W). Each dout[i, j] goes to the "
           "position of the maximum of window (i, j); when several elements tie, only the FIRST "
           "one in row-major order (what np.argmax finds) gets it; where windows overlap the "
           "gradients add up.",
    reference=maxpool_backward,
    cases=_maxpool_cases,
    hints=[
        "Start from dx = np.zeros_like(x) and loop over the output positions (i, j) of dout.",
        "In the window x[i*s:i*s+k, j*s:j*s+k], a, b = np.unravel_index(np.argmax(window), "
        "window.shape) is the first maximum.",
        "dx[i*s + a, j*s + b] += dout[i, j]; with +=, an element that wins two overlapping "
        "windows receives both gradients.",
    ],
    mistakes=[
        Mistake("all ties", "You sent the gradient to every tied maximum. The forward pass "
                "picked one element (the first), so only that element receives the gradient; "
                "otherwise the gradient is counted twice. Use np.argmax.", wrong=_maxpool_all_ties),
        Mistake("overwrite", "Where windows overlap you overwrote the gradient (=) instead of "
                "adding (+=): an element that is the maximum of two windows receives both "
                "gradients.", wrong=_maxpool_overwrite),
        Mistake("spread", "You spread the gradient over the window as average pooling does; "
                "max pooling routes it all to the maximum.", wrong=_maxpool_spread),
    ],
    examples_wrong=[
        (_maxpool_all_ties, "every tied maximum"),
        (_maxpool_overwrite, "+="),
        (_maxpool_spread, "routes it all"),
    ],
    explanation="max is locally the identity on the winning element and constant in the others, "
                "so the gradient flows only to the winner. Ties need a rule that matches the "
                "forward pass (the first maximum, as PyTorch), and overlapping windows "
                "accumulate.",
    solution_code='''\
def maxpool_backward(x, dout, kernel_size, stride):
    k, s = kernel_size, stride
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * s : i * s + k, j * s : j * s + k]
            # the first maximum
            a, b = np.unravel_index(np.argmax(window), window.shape)
            # += : windows may overlap
            dx[i * s + a, j * s + b] += dout[i, j]
    return dx
''',
))


# --------------------------------------------------------------------------- backprop.avgpool-backward

def avgpool_backward(x, dout, kernel_size, stride, padding):
    """Average-pool backward for one map ``x`` (H, W): square windows, zero ``padding`` on each
    side COUNTED in the average (``count_include_pad=True``, what ``F.avg_pool2d`` computes).

    Each ``dout[i, j]`` is spread as ``dout[i, j] / k**2`` over window (i, j) of the padded
    map; overlapping windows add up; the padding's share is dropped with the padding.
    """
    k, s, p = kernel_size, stride, padding
    H, W = x.shape
    dxp = np.zeros((H + 2 * p, W + 2 * p), dtype=np.result_type(x, dout))
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            dxp[i * s:i * s + k, j * s:j * s + k] += dout[i, j] / (k * k)
    return dxp[p:p + H, p:p + W].copy()


def _avg_case(rng, H, W, k, s, p, description, counting=False):
    x = np.round(rng.standard_normal((H, W)), 1)
    H_out, W_out = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    dout = (np.arange(1.0, H_out * W_out + 1).reshape(H_out, W_out) if counting
            else rng.standard_normal((H_out, W_out)))
    return Case((x, dout, k, s, p), description=description)


def _avg_cases(rng):
    cases = [
        _avg_case(rng, 4, 4, 2, 2, 0, "2x2 windows, stride 2: no overlap, no padding", True),
        _avg_case(rng, 5, 5, 3, 2, 0, "3x3 windows, stride 2: the middle row and column overlap", True),
        _avg_case(rng, 4, 5, 3, 1, 1, "stride 1, padding 1 ('same'): every pixel in up to 9 windows"),
        _avg_case(rng, 3, 4, 2, 2, 1, "padding 1 with 2x2 windows: corner windows are 3/4 padding"),
        _avg_case(rng, 6, 5, 3, 3, 1, "stride 3 = kernel, padding 1, non-square"),
        _avg_case(rng, 7, 6, 2, 3, 0, "stride 3 > kernel: some pixels are in no window"),
        _avg_case(rng, 5, 7, 4, 2, 2, "4x4 windows, padding 2"),
    ]
    for _ in range(5):
        k = int(rng.integers(1, 5))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, k // 2 + 1))
        H, W = (int(v) for v in rng.integers(max(1, k - 2 * p), 8, size=2))
        cases.append(_avg_case(rng, H, W, k, s, p, "random (seeded)"))
    return cases


def _avg_loops(x, dout, k, s, p, *, divide="area", assign=False, step=None, route=None, crop="both"):
    """The loop solution with one thing changed (the wrong answers below)."""
    H, W = x.shape
    step = s if step is None else step
    xp = np.pad(x, p, constant_values=-np.inf)  # -inf padding: never the maximum
    real = np.pad(np.ones(x.shape), p)
    dxp = np.zeros(xp.shape)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            rows, cols = slice(i * step, i * step + k), slice(j * step, j * step + k)
            g = dout[i, j]
            if route is not None:
                window = xp[rows, cols] if route == "max" else real[rows, cols]
                a, b = np.unravel_index(np.argmax(window), window.shape)
                dxp[i * step + a, j * step + b] += g
                continue
            n = {"area": k * k, "none": 1, "k": k, "real": real[rows, cols].sum()}[divide]
            if assign:
                dxp[rows, cols] = g / n
            else:
                dxp[rows, cols] += g / n
    if crop == "minus":
        return dxp[p:-p, p:-p].copy()
    if crop == "bottom-right":
        return dxp[:H, :W].copy()
    if crop == "none":
        return dxp
    return dxp[p:p + H, p:p + W].copy()


def _avg_no_division(x, dout, kernel_size, stride, padding):  # sum-pool backward
    return _avg_loops(x, dout, kernel_size, stride, padding, divide="none")


def _avg_divide_by_k(x, dout, kernel_size, stride, padding):  # k instead of k * k
    return _avg_loops(x, dout, kernel_size, stride, padding, divide="k")


def _avg_overwrite(x, dout, kernel_size, stride, padding):  # = instead of +=
    return _avg_loops(x, dout, kernel_size, stride, padding, assign=True)


def _avg_to_max(x, dout, kernel_size, stride, padding):  # routed to the maximum, as max pooling
    return _avg_loops(x, dout, kernel_size, stride, padding, route="max")


def _avg_to_first(x, dout, kernel_size, stride, padding):  # all to the window's first input pixel
    return _avg_loops(x, dout, kernel_size, stride, padding, route="first")


def _avg_count_real(x, dout, kernel_size, stride, padding):  # count_include_pad=False
    return _avg_loops(x, dout, kernel_size, stride, padding, divide="real")


def _avg_crop_minus(x, dout, kernel_size, stride, padding):  # dxp[p:-p, p:-p]: empty for p = 0
    return _avg_loops(x, dout, kernel_size, stride, padding, crop="minus")


def _avg_crop_bottom_right(x, dout, kernel_size, stride, padding):  # padding cut off one side
    return _avg_loops(x, dout, kernel_size, stride, padding, crop="bottom-right")


def _avg_no_crop(x, dout, kernel_size, stride, padding):  # the padded dxp returned
    return _avg_loops(x, dout, kernel_size, stride, padding, crop="none")


def _avg_no_step(x, dout, kernel_size, stride, padding):  # windows 1 apart
    return _avg_loops(x, dout, kernel_size, stride, padding, step=1)


register(Exercise(
    id="backprop.avgpool-backward",
    title="Average-pool backward with padding and overlaps",
    chapter=CHAPTER,
    kind="function",
    prompt="Write avgpool_backward(x, dout, kernel_size, stride, padding) for one map x (H, W) "
           "average-pooled as F.avg_pool2d does: square k x k windows, `stride` apart, on x "
           "padded with `padding` zeros on each side, each output the window's sum divided by "
           "k*k (the padded zeros COUNT in the average: count_include_pad=True, PyTorch's "
           "default). Return dx (H, W); where windows overlap the gradients add up.",
    reference=avgpool_backward,
    cases=_avg_cases,
    hints=[
        "Work in the padded map: dxp = np.zeros((H + 2p, W + 2p)); window (i, j) is "
        "dxp[i*s:i*s + k, j*s:j*s + k].",
        "Each of the k*k elements of a window contributed 1/(k*k) of its output, padding "
        "included: dxp[i*s:i*s + k, j*s:j*s + k] += dout[i, j] / (k * k). Use +=: windows "
        "overlap when the stride is smaller than k.",
        "Cut the padding off with explicit ends, dxp[p:p + H, p:p + W] (dxp[p:-p, p:-p] is "
        "empty when p = 0); the padding's share of the gradient is simply dropped.",
    ],
    mistakes=[
        Mistake("no division", "Your gradient is k*k times too large: each output is the "
                "window's sum DIVIDED by k*k, so every element receives dout[i, j] / (k*k) "
                "(what you wrote is the backward of sum pooling).", wrong=_avg_no_division),
        Mistake("divided by k", "You divided by k, not by the window's k*k elements.",
                wrong=_avg_divide_by_k),
        Mistake("count non-padding", "You divided by the number of REAL (non-padding) elements "
                "of each window, i.e. count_include_pad=False. F.avg_pool2d counts the padded "
                "zeros too: the divisor is always k*k, even for a window that is half padding.",
                wrong=_avg_count_real),
        Mistake("overwrite", "Where windows overlap you overwrote (=) instead of adding (+=): "
                "an element in several windows receives a share of each of their gradients.",
                wrong=_avg_overwrite),
        Mistake("to the maximum", "You routed each gradient to its window's maximum, as max "
                "pooling does. Average pooling uses every element with the same weight 1/(k*k), "
                "so it SPREADS the gradient over the whole window.", wrong=_avg_to_max),
        Mistake("to the first", "You gave each window's whole gradient to one element (its "
                "first input pixel). Every element of the window contributed equally to the "
                "average, so each receives dout[i, j] / (k*k).", wrong=_avg_to_first),
        Mistake("p:-p", "Your dx is empty on the cases without padding: dxp[p:-p, p:-p] with "
                "p = 0 is dxp[0:0, 0:0]. Crop with explicit ends, dxp[p:p + H, p:p + W].",
                wrong=_avg_crop_minus),
        Mistake("crop one side", "Your gradients sit p pixels too far up and left: you cut "
                "the padding off the bottom and right only (or placed the windows on the "
                "unpadded x). Window (i, j) starts at row i*stride of the PADDED map, and dx is "
                "dxp[p:p + H, p:p + W].", wrong=_avg_crop_bottom_right),
        Mistake("no crop", "Your dx has the shape of the padded map: cut the padding off, "
                "dxp[p:p + H, p:p + W]; its share of the gradient goes nowhere.",
                wrong=_avg_no_crop),
        Mistake("windows 1 apart", "Your windows start 1 pixel apart: window (i, j) starts at "
                "row i*stride and column j*stride of the padded map, as in the forward pass.",
                wrong=_avg_no_step),
    ],
    examples_wrong=[
        (_avg_no_division, "k*k times too large"),
        (_avg_count_real, "count_include_pad=False"),
        (_avg_overwrite, "+="),
        (_avg_to_max, "SPREADS"),
        (_avg_crop_minus, "explicit ends"),
    ],
    explanation="out[i, j] = (1/k^2) * (sum of window (i, j) of the padded map), a linear "
                "function in which every window element has the weight 1/k^2. Its gradient "
                "sends dout[i, j]/k^2 to every element of the window, and an element in several "
                "windows adds up their shares. The padded zeros get their share too, and it is "
                "dropped with them, so near a border less than dout[i, j] reaches the input: "
                "the divisor k^2 does not change at the border (count_include_pad=True).",
    solution_code='''\
def avgpool_backward(x, dout, kernel_size, stride, padding):
    k, s, p = kernel_size, stride, padding
    H, W = x.shape
    dxp = np.zeros((H + 2 * p, W + 2 * p))   # the padded map
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            # every element, padding included, had weight 1 / (k * k)
            dxp[i * s:i * s + k, j * s:j * s + k] += dout[i, j] / (k * k)
    # explicit ends: dxp[p:-p, p:-p] would be empty for p = 0
    return dxp[p:p + H, p:p + W]
''',
))


# --------------------------------------------------------------------------- backprop.numerical-gradient

def numerical_gradient(f, x, h):
    """Centred differences of a scalar ``f`` at ``x``: ``(f(x + h e_i) - f(x - h e_i)) / (2h)``
    for every element ``i``; ``x`` is restored after each nudge."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def _sum_of_cubes(v):
    """sum(v ** 3): the centred difference is 3 v**2 + h**2, so h shows in the answer."""
    return float(np.sum(v ** 3))


def _weighted_square(v):
    """sum(c * v**2) with a fixed weight per element (the gradient differs element by element)."""
    c = np.arange(1.0, v.size + 1.0).reshape(v.shape)
    return float(np.sum(c * v ** 2))


def _exp_of_first_row(v):
    """exp of the first row's sum: a gradient that is zero on every other row."""
    return float(np.exp(np.sum(v[0]) / 4))


def _ng_cases(rng):
    cases = [
        Case((_sum_of_cubes, np.array([1.0, -2.0, 0.5]), 0.1),
             description="sum(x**3), 3 elements, h = 0.1"),
        Case((_weighted_square, np.array([[1.0, 2.0], [-1.0, 0.5], [3.0, 0.0]]), 1e-3),
             description="a 3x2 array, h = 1e-3"),
        Case((_exp_of_first_row, np.array([[0.5, -0.5, 1.0], [2.0, 2.0, 2.0]]), 1e-4),
             description="only the first row matters, h = 1e-4"),
        Case((_sum_of_cubes, np.array([[[2.0]], [[-1.0]]]), 0.5),
             description="3-D array, h = 0.5"),
    ]
    for f in (_sum_of_cubes, _weighted_square):
        shape = tuple(int(v) for v in rng.integers(1, 4, size=int(rng.integers(1, 4))))
        h = float(rng.choice([0.05, 0.2, 0.3]))
        cases.append(Case((f, rng.standard_normal(shape), h), description="random (seeded)"))
    return cases


def _ng_forward(f, x, h):  # one-sided difference
    grad = np.zeros(x.shape)
    base = f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f(x) - base) / h
        x[idx] = old
    return grad


def _ng_over_h(f, x, h):  # divided by h instead of 2h
    return 2 * numerical_gradient(f, x, h)


def _ng_fixed_h(f, x, h):  # h ignored, the usual 1e-5 used
    return numerical_gradient(f, x, 1e-5)


register(Exercise(
    id="backprop.numerical-gradient",
    title="Writing numerical_gradient",
    chapter=CHAPTER,
    kind="function",
    prompt="Write my_numerical_gradient(f, x, h): the gradient of a scalar function f at the "
           "float64 array x (any shape) by centred differences, grad[i] = (f(x + h e_i) - "
           "f(x - h e_i)) / (2h) for every element i, returned as an array of x's shape. Nudge "
           "x in place one element at a time and restore it: x must be unchanged when you "
           "return.",
    reference=numerical_gradient,
    cases=_ng_cases,
    hints=[
        "Loop over every index of x, whatever its shape: for idx in np.ndindex(x.shape).",
        "old = x[idx]; x[idx] = old + h; plus = f(x); x[idx] = old - h; minus = f(x); "
        "x[idx] = old; grad[idx] = (plus - minus) / (2 * h).",
    ],
    mistakes=[
        Mistake("forward", "You used the one-sided difference (f(x + h) - f(x)) / h; its error is "
                "O(h), the centred one's O(h^2): nudge both ways and divide by 2h.",
                wrong=_ng_forward),
        Mistake("over h", "Your gradient is twice too large: the two nudges are 2h apart, so "
                "divide by 2 * h.", wrong=_ng_over_h),
        Mistake("fixed h", "You ignored the argument h (the checker varies it, up to 0.5): use "
                "the step you are given.", wrong=_ng_fixed_h),
    ],
    examples_wrong=[
        (_ng_forward, "one-sided"),
        (_ng_over_h, "divide by 2 * h"),
        (_ng_fixed_h, "ignored the argument h"),
    ],
    explanation="Centred differences cancel the h^2 term of the Taylor series, so the error is "
                "O(h^2); restoring each element before the next nudge keeps the other "
                "coordinates where they were, and leaves x as it came.",
    solution_code='''\
def my_numerical_gradient(f, x, h):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old                      # restore before the next element
        grad[idx] = (plus - minus) / (2 * h)
    return grad
''',
))
