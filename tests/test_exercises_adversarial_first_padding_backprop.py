"""Adversarial suite of the exercises added to *A first convolution*, *Padding, stride and
dilation* and *Backpropagation* for issue 12 (first.find-pattern, padding.transpose-scatter,
padding.find-output-padding, backprop.avgpool-backward): at least five realistic wrong answers
per exercise beyond its ``examples_wrong``, each rejected with the hint it must get (or none),
run through the tests of tests/test_exercises_adversarial.py, whose chapters these are (that
file checks its own answers; these are added to its ``WRONG``).

Also: the references agree with the package's own ops (``conv_transpose2d``,
``avg_pool2d_backward``, ``conv_transpose_output_size``) on every case of many seeds, and every
registered mistake is recognised when a learner makes it.
"""
from __future__ import annotations

import numpy as np
import pytest

import cnncourse.exercises as exs
import test_exercises_adversarial as adv
from test_exercises_adversarial import W
from cnncourse import functional as F
from cnncourse.arithmetic import conv_transpose_output_size
from cnncourse.exercises import backprop as B
from cnncourse.exercises import first_convolution as FC
from cnncourse.exercises import padding as P
from cnncourse.signal import correlate2d

IDS = ("first.find-pattern", "padding.transpose-scatter", "padding.find-output-padding",
       "backprop.avgpool-backward")


# --------------------------------------------------------------------------- first.find-pattern

def _fp_flat_index(x, k):                    # np.argmax without unravel_index
    return int(np.argmax(correlate2d(x, k, mode="valid")))


def _fp_list(x, k):
    return list(FC.find_pattern(x, k))


def _fp_brightest_pixel(x, k):               # the image's maximum, the kernel ignored
    i, j = np.unravel_index(np.argmax(x), x.shape)
    return (int(i), int(j))


def _fp_same_padding(x, k):                  # argmax of a zero-padded 'same' feature map
    kH, kW = k.shape
    xp = np.pad(x, ((kH // 2, (kH - 1) // 2), (kW // 2, (kW - 1) // 2)))
    r = correlate2d(xp, k, mode="valid")
    i, j = np.unravel_index(np.argmax(r), r.shape)
    return (int(i), int(j))


def _fp_argmin(x, k):
    r = correlate2d(x, k, mode="valid")
    i, j = np.unravel_index(np.argmin(r), r.shape)
    return (int(i), int(j))


def _fp_np_flip(x, k):
    r = correlate2d(x, np.flip(k), mode="valid")
    i, j = np.unravel_index(np.argmax(r), r.shape)
    return (int(i), int(j))


def _fp_loop_ge(x, k):                       # a loop that updates on >=: the last maximum
    r = correlate2d(x, k, mode="valid")
    best, where = -np.inf, None
    for i in range(r.shape[0]):
        for j in range(r.shape[1]):
            if r[i, j] >= best:
                best, where = r[i, j], (i, j)
    return where


def _fp_float(x, k):
    i, j = FC.find_pattern(x, k)
    return (float(i), float(j))


# --------------------------------------------------------------------------- padding.transpose-scatter

def _scatter(y, k, S, Pd, a, *, kernel=None, col_step=None, dtype=None, in_place=False):
    """The loop solution with one thing changed."""
    H, W = y.shape
    kH, kW = k.shape
    cs = S if col_step is None else col_step
    canvas = np.zeros(((H - 1) * S + kH + a, (W - 1) * max(S, cs) + kW + a), dtype=dtype or float)
    for i in range(H):
        for j in range(W):
            if in_place:
                copy = k                          # not a copy
                copy *= y[i, j]
                canvas[i * S:i * S + kH, j * cs:j * cs + kW] += copy
                copy /= y[i, j] if y[i, j] else 1.0
            else:
                canvas[i * S:i * S + kH, j * cs:j * cs + kW] += y[i, j] * (k if kernel is None else kernel)
    Ho, Wo = (H - 1) * S - 2 * Pd + kH + a, (W - 1) * S - 2 * Pd + kW + a
    return canvas[Pd:Pd + Ho, Pd:Pd + Wo]


def _sc_minus_p(y, k, S, Pd, a):             # canvas[P:-P, P:-P]: empty when P = 0
    full = _scatter(y, k, S, 0, a)
    return full[Pd:-Pd, Pd:-Pd]


def _sc_direct_unrotated(y, k, S, Pd, a):    # the direct view with the kernel as it is
    H, W = y.shape
    kH, kW = k.shape
    spread = np.zeros(((H - 1) * S + 1, (W - 1) * S + 1))
    spread[::S, ::S] = y
    padded = np.pad(spread, ((kH - 1 - Pd, kH - 1 - Pd + a), (kW - 1 - Pd, kW - 1 - Pd + a)))
    return F.conv2d(padded[None, None], k[None, None])[0, 0]


def _sc_square_only(y, k, S, Pd, a):         # kH used for the columns too
    kH = k.shape[0]
    return _scatter(y, k[:, :kH] if k.shape[1] >= kH else np.pad(k, ((0, 0), (0, kH - k.shape[1]))),
                    S, Pd, a)


def _sc_rows_strided_only(y, k, S, Pd, a):   # columns 1 apart
    full = _scatter(y, k, S, 0, a, col_step=1)
    Ho, Wo = (y.shape[0] - 1) * S - 2 * Pd + k.shape[0] + a, (y.shape[1] - 1) * S - 2 * Pd + k.shape[1] + a
    return full[Pd:Pd + Ho, Pd:Pd + Wo]


def _sc_without_a(y, k, S, Pd, a):           # H_out - a rows: output_padding cropped away
    Ho = (y.shape[0] - 1) * S - 2 * Pd + k.shape[0]
    Wo = (y.shape[1] - 1) * S - 2 * Pd + k.shape[1]
    return _scatter(y, k, S, 0, a)[Pd:Pd + Ho, Pd:Pd + Wo]


def _sc_transposed_kernel(y, k, S, Pd, a):
    return _scatter(y, k.T, S, Pd, a) if k.shape[0] == k.shape[1] else _scatter(y, k, S, Pd, a).T


# --------------------------------------------------------------------------- padding.find-output-padding

def _fop_int(H, Fk, Pd, S, target):          # a bare int, not a list
    found = P.output_paddings_for(H, Fk, Pd, S, target)
    return found[0] if found else None


def _fop_every_a(H, Fk, Pd, S, target):
    return list(range(S))


def _fop_no_lower_bound(H, Fk, Pd, S, target):   # a < S checked, a >= 0 forgotten
    a = target - ((H - 1) * S - 2 * Pd + Fk)
    return [a] if a < S else []


def _fop_mod(H, Fk, Pd, S, target):          # always in range(S)
    return [(target - ((H - 1) * S - 2 * Pd + Fk)) % S]


def _fop_none(H, Fk, Pd, S, target):         # None instead of []
    found = P.output_paddings_for(H, Fk, Pd, S, target)
    return found or None


def _fop_inclusive(H, Fk, Pd, S, target):
    a = target - ((H - 1) * S - 2 * Pd + Fk)
    return [a] if 0 <= a <= S else []


def _fop_clamped(H, Fk, Pd, S, target):
    return [min(max(target - ((H - 1) * S - 2 * Pd + Fk), 0), S - 1)]


def _fop_padding_ignored(H, Fk, Pd, S, target):
    a = target - ((H - 1) * S + Fk)
    return [a] if 0 <= a < S else []


# --------------------------------------------------------------------------- backprop.avgpool-backward

def _ap(x, dout, k, s, p, *, divisor=None, dtype=None, rows_only=False):
    H, W = x.shape
    dxp = np.zeros((H + 2 * p, W + 2 * p), dtype=dtype or float)
    n = k * k if divisor is None else divisor
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            c = j * (1 if rows_only else s)
            dxp[i * s:i * s + k, c:c + k] += dout[i, j] / n
    return dxp[p:p + H, p:p + W]


def _ap_dout_in_place(x, dout, k, s, p):
    dout /= k * k
    return _ap(x, dout, k, s, p, divisor=1)


def _ap_square_only(x, dout, k, s, p):       # W taken from H
    H = x.shape[0]
    return _ap(np.zeros((H, H)), dout[:, :dout.shape[0]] if dout.shape[1] >= dout.shape[0] else dout, k, s, p)


def _ap_divide_by_stride(x, dout, k, s, p):
    return _ap(x, dout, k, s, p, divisor=s * s)


def _ap_unpadded_windows(x, dout, k, s, p):  # windows on the unpadded x, clipped at its border
    H, W = x.shape
    dx = np.zeros((H, W))
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            dx[i * s:i * s + k, j * s:j * s + k] += dout[i, j] / (k * k)
    return dx


def _ap_package_no_crop(x, dout, k, s, p):   # the padded gradient, as a list
    return _ap(np.pad(x, p), dout, k, s, 0).tolist() if p else _ap(x, dout, k, s, p).tolist()


def _ap_columns_not_strided(x, dout, k, s, p):
    return _ap(x, dout, k, s, p, rows_only=True)


ADDED = {
    "first.find-pattern": [
        W("(column, row)", FC._fp_swapped, "(column, row)"),
        W("a flat index from np.argmax", _fp_flat_index),
        W("the brightest pixel of x", _fp_brightest_pixel),
        W("argmax of a zero-padded 'same' map", _fp_same_padding),
        W("the smallest response", _fp_argmin),
        W("np.flip(k): a true convolution", _fp_np_flip, "FLIPPED kernel"),
        W("a loop updating on >=", _fp_loop_ge, "LAST maximum"),
        W("float coordinates", _fp_float),
    ],
    "padding.transpose-scatter": [
        W("canvas[P:-P, P:-P], empty for P = 0", _sc_minus_p, "explicit ends"),
        W("the direct view with the kernel unrotated", _sc_direct_unrotated, "needs no flip"),
        W("kH used for the columns too", _sc_square_only),
        W("columns 1 apart, rows S apart", _sc_rows_strided_only),
        W("the output_padding rows cropped away", _sc_without_a, "ignored output_padding"),
        W("kernel transposed", _sc_transposed_kernel),
        W("float32 canvas", lambda y, k, S, Pd, a: _scatter(y, k, S, Pd, a, dtype=np.float32)),
        W("k scaled in place", lambda y, k, S, Pd, a: _scatter(y, k, S, Pd, a, in_place=True)),
        W("a list of lists", lambda y, k, S, Pd, a: _scatter(y, k, S, Pd, a).tolist()),
        W("zeros appended as output_padding", P._sc_output_padding_zeros, "zero only where"),
        W("the first H_out rows", P._sc_crop_bottom_right, "shifted"),
    ],
    "padding.find-output-padding": [
        W("a bare int (None when unreachable)", _fop_int),
        W("every a in range(S)", _fop_every_a),
        W("a >= 0 forgotten", _fop_no_lower_bound, "outside 0 <= a < S"),
        W("the difference modulo S", _fop_mod, "remainder"),
        W("None instead of []", _fop_none),
        W("0 <= a <= S", _fop_inclusive, "SMALLER than the stride"),
        W("the nearest allowed a", _fop_clamped, "nearest allowed"),
        W("padding ignored", _fop_padding_ignored),
    ],
    "backprop.avgpool-backward": [
        W("divided by k", B._avg_divide_by_k, "divided by k, not"),
        W("the whole gradient to the window's first pixel", B._avg_to_first, "first input pixel"),
        W("windows on the unpadded x", _ap_unpadded_windows, "unpadded x"),
        W("windows 1 apart", B._avg_no_step, "1 pixel apart"),
        W("the padded gradient returned", B._avg_no_crop, "shape of the padded map"),
        W("dout divided in place", _ap_dout_in_place),
        W("float32", lambda x, dout, k, s, p: _ap(x, dout, k, s, p, dtype=np.float32)),
        W("square-only", _ap_square_only),
        W("divided by stride squared", _ap_divide_by_stride),
        W("columns not strided", _ap_columns_not_strided),
        W("a list", _ap_package_no_crop),
    ],
}


# --------------------------------------------------------------------------- review: more answers
# A second learner's attempts (review of issue 12's exercises): each rejected, and the only hint
# any of them gets names the mistake it made.

def _fp_pos(r):
    i, j = np.unravel_index(np.argmax(r), r.shape)
    return (int(i), int(j))


def _fp_scipy_full(x, k):                    # scipy's correlate2d: mode='full' by default
    from scipy.signal import correlate2d as sp_correlate2d
    return _fp_pos(sp_correlate2d(x, k))


def _fp_loop_short(x, k):                    # range(H - kH): the last row and column missed
    kH, kW = k.shape
    best, where = -np.inf, None
    for i in range(x.shape[0] - kH):
        for j in range(x.shape[1] - kW):
            r = np.sum(x[i:i + kH, j:j + kW] * k)
            if r > best:
                best, where = r, (i, j)
    return where


def _fp_row_col_separately(x, k):            # the row of the max, then the column of the max
    r = correlate2d(x, k, mode="valid")
    return (int(r.max(axis=1).argmax()), int(r.max(axis=0).argmax()))


def _fp_normalised(x, k):                    # normalised cross-correlation
    w = np.lib.stride_tricks.sliding_window_view(x, k.shape)
    return _fp_pos((w * k).sum(axis=(2, 3)) / (np.sqrt((w ** 2).sum(axis=(2, 3))) + 1e-12))


def _fp_unravel_x_shape(x, k):               # np.unravel_index with the IMAGE's shape
    i, j = np.unravel_index(np.argmax(correlate2d(x, k, mode="valid")), x.shape)
    return (int(i), int(j))


def _sc_small_canvas(y, k, S, Pd, a):        # canvas (H - 1)S + kH: no room for output_padding
    H, W = y.shape
    kH, kW = k.shape
    canvas = np.zeros(((H - 1) * S + kH, (W - 1) * S + kW))
    for i in range(H):
        for j in range(W):
            canvas[i * S:i * S + kH, j * S:j * S + kW] += y[i, j] * k
    Ho, Wo = (H - 1) * S - 2 * Pd + kH + a, (W - 1) * S - 2 * Pd + kW + a
    return canvas[Pd:Pd + Ho, Pd:Pd + Wo]


def _sc_direct_a_both_sides(y, k, S, Pd, a):  # the direct view, rotated, a zeros on both sides
    H, W = y.shape
    kH, kW = k.shape
    spread = np.zeros(((H - 1) * S + 1, (W - 1) * S + 1))
    spread[::S, ::S] = y
    padded = np.pad(spread, ((kH - 1 - Pd + a,) * 2, (kW - 1 - Pd + a,) * 2))
    return F.conv2d(padded[None, None], k[::-1, ::-1].copy()[None, None])[0, 0]


def _fop_base(H, Fk, Pd, S):
    return (H - 1) * S - 2 * Pd + Fk


def _fop_if(a, S):
    return [a] if 0 <= a < S else []


def _ap_kron(x, dout, k, s, p):              # np.kron upsampling: right only for s = k, p = 0
    up = np.kron(dout, np.ones((k, k))) / (k * k)
    H, W = x.shape
    up = np.pad(up, ((0, max(0, H + 2 * p - up.shape[0])), (0, max(0, W + 2 * p - up.shape[1]))))
    return up[p:p + H, p:p + W]


def _ap_out_size_unpadded(x, dout, k, s, p):  # loops to (H - k)//s + 1: padding forgotten
    H, W = x.shape
    n = (max(0, (H - k) // s + 1), max(0, (W - k) // s + 1))
    return _ap(x, dout[:n[0], :n[1]], k, s, p)


def _ap_windows(x, dout, k, s, p, *, win, grad):
    H, W = x.shape
    xp = np.pad(x, p)
    dxp = np.zeros(xp.shape)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            rows, cols = slice(i * s, i * s + win), slice(j * s, j * s + win)
            dxp[rows, cols] += grad(dout[i, j], xp[rows, cols])
    return dxp[p:p + H, p:p + W]


def _ap_clipped_real_count(x, dout, k, s, p):  # windows clipped to x, divided by what is left
    H, W = x.shape
    dx = np.zeros((H, W))
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            r0, c0 = max(i * s - p, 0), max(j * s - p, 0)
            r1, c1 = min(i * s - p + k, H), min(j * s - p + k, W)
            if r1 > r0 and c1 > c0:
                dx[r0:r1, c0:c1] += dout[i, j] / ((r1 - r0) * (c1 - c0))
    return dx


ADDED["first.find-pattern"] += [
    W("scipy.signal.correlate2d (mode 'full')", _fp_scipy_full),
    W("loops to range(H - kH)", _fp_loop_short),
    W("row argmax and column argmax taken separately", _fp_row_col_separately),
    W("normalised cross-correlation", _fp_normalised),
    W("one-based (row, column)", lambda x, k: tuple(v + 1 for v in FC.find_pattern(x, k))),
    W("unravel_index with x.shape", _fp_unravel_x_shape),
    W("np.where's two arrays", lambda x, k: np.where(correlate2d(x, k, mode="valid")
                                                     == correlate2d(x, k, mode="valid").max())),
]
ADDED["padding.transpose-scatter"] += [
    W("canvas without room for output_padding", _sc_small_canvas, "no room for them"),
    W("kernel flipped left-right only", lambda y, k, S, Pd, a: _scatter(y, k, S, Pd, a, kernel=k[:, ::-1])),
    W("parameters read as (padding, stride)", lambda y, k, Pd, S, a: _scatter(y, k, S, Pd, a)),
    W("direct view, rotated, output_padding on both sides", _sc_direct_a_both_sides),
    W("y[j, i] (y transposed)", lambda y, k, S, Pd, a: _scatter(y.T.copy(), k, S, Pd, a).T.copy()
      if y.shape[0] == y.shape[1] else _scatter(y, k, S, Pd, a).T.copy()),
    W("rounded to ints", lambda y, k, S, Pd, a: np.rint(_scatter(y, k, S, Pd, a)).astype(int)),
]
ADDED["padding.find-output-padding"] += [
    W("range(1, S): a = 0 left out", lambda H, Fk, Pd, S, t: [
        a for a in range(1, S) if _fop_base(H, Fk, Pd, S) + a == t], "a = 0 reaches the target"),
    W("0 < a < S", lambda H, Fk, Pd, S, t: (lambda a: [a] if 0 < a < S else [])(
        t - _fop_base(H, Fk, Pd, S)), "a = 0 reaches the target"),
    W("a + 1 in the size", lambda H, Fk, Pd, S, t: _fop_if(t - _fop_base(H, Fk, Pd, S) - 1, S)),
    W("abs(target - base)", lambda H, Fk, Pd, S, t: _fop_if(abs(t - _fop_base(H, Fk, Pd, S)), S)),
    W("S and P swapped in the size", lambda H, Fk, Pd, S, t: _fop_if(t - _fop_base(H, Fk, S, Pd), S)),
    W("base - target", lambda H, Fk, Pd, S, t: _fop_if(_fop_base(H, Fk, Pd, S) - t, S)),
    W("a set", lambda H, Fk, Pd, S, t: set(P.output_paddings_for(H, Fk, Pd, S, t))),
    W("an ndarray", lambda H, Fk, Pd, S, t: np.array(P.output_paddings_for(H, Fk, Pd, S, t), dtype=int)),
]
ADDED["backprop.avgpool-backward"] += [
    W("np.kron upsampling", _ap_kron),
    W("loops to (H - k)//s + 1: padding forgotten", _ap_out_size_unpadded),
    W("s x s windows (k and s swapped)",
      lambda x, dout, k, s, p: _ap_windows(x, dout, k, s, p, win=s, grad=lambda g, w: g / (k * k))),
    W("gradient times the input window",
      lambda x, dout, k, s, p: _ap_windows(x, dout, k, s, p, win=k, grad=lambda g, w: g * w / (k * k))),
    W("floor division //",
      lambda x, dout, k, s, p: _ap_windows(x, dout, k, s, p, win=k, grad=lambda g, w: g // (k * k))),
    W("parameters read as (stride, kernel_size)", lambda x, dout, s, k, p: _ap(x, dout, k, s, p)),
    W("divided by k*k and the number of windows",
      lambda x, dout, k, s, p: _ap(x, dout, k, s, p, divisor=k * k * dout.size)),
    W("windows clipped to x, divided by what is left", _ap_clipped_real_count,
      "count_include_pad=False"),
]


def _fp_divmod(x, k, by):
    r = correlate2d(x, k, mode="valid")
    n = {"map rows": r.shape[0], "x width": x.shape[1]}[by]
    return (int(np.argmax(r)) // n, int(np.argmax(r)) % n)


ADDED["first.find-pattern"] += [
    W("divmod by the map's number of rows", lambda x, k: _fp_divmod(x, k, "map rows")),
    W("divmod by the image's width", lambda x, k: _fp_divmod(x, k, "x width")),
]
ADDED["padding.find-output-padding"] += [
    W("every a in range(S) when a convolution maps target back to H",
      lambda H, Fk, Pd, S, t: list(range(S)) if t + 2 * Pd - Fk >= 0
      and (t + 2 * Pd - Fk) // S + 1 == H else []),
    W("the forward remainder for every reachable-looking target",
      lambda H, Fk, Pd, S, t: [(t + 2 * Pd - Fk) % S] if t + 2 * Pd - Fk >= 0 else [], "remainder"),
]
ADDED["backprop.avgpool-backward"] += [
    W("dout indexed [j, i]", lambda x, dout, k, s, p: _ap(x, dout.T.copy(), k, s, p)
      if dout.shape[0] == dout.shape[1] else _ap(x, dout, k, s, p).T.copy()),
    W("np.repeat by the stride, then cropped", lambda x, dout, k, s, p: np.pad(
        dout.repeat(s, 0).repeat(s, 1) / (k * k),
        ((0, max(0, x.shape[0] + 2 * p - dout.shape[0] * s)),
         (0, max(0, x.shape[1] + 2 * p - dout.shape[1] * s))))[p:p + x.shape[0], p:p + x.shape[1]]),
]

adv.WRONG.update(ADDED)
EXERCISES = [exs.get(i) for i in IDS]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path))


def test_every_new_exercise_has_five_adversarial_answers():
    for ex in EXERCISES:
        assert ex.chapter in adv.CHAPTERS
        assert len(ADDED[ex.id]) >= 5, ex.id
    # the answers here are not the registered examples again
    for ex in EXERCISES:
        registered = [a for a, _ in ex.examples_wrong]
        assert not [w.what for w in ADDED[ex.id] if w.answer in registered], ex.id


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_adversarial_answers_are_rejected_with_the_right_hint(ex):
    adv.test_adversarial_answers_are_rejected_with_the_right_hint(ex)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_each_registered_mistake_gets_its_own_hint(ex):
    """A learner who makes exactly a registered mistake is told about THAT mistake."""
    for mistake in ex.mistakes:
        result = exs.check(ex.id, mistake.wrong, record=False, seed=3)
        assert result.status == "incorrect", (ex.id, mistake.name, str(result))
        assert result.hint == mistake.message, (ex.id, mistake.name, result.hint)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_registered_wrong_examples_are_rejected_and_the_reference_passes(ex):
    assert exs.check(ex.id, ex.reference, record=False).status == "correct"
    for answer, text in ex.examples_wrong:
        result = exs.check(ex.id, answer, record=False)
        assert result.status == "incorrect" and text in str(result), (ex.id, text, str(result))


@pytest.mark.parametrize("seed", range(8))
def test_references_agree_with_the_package(seed):
    rng = np.random.default_rng(seed)
    for case in P._scatter_cases(rng):
        y, k, S, Pd, a = case.args
        up = F.conv_transpose2d(y[None, None], k[None, None], stride=S, padding=Pd, output_padding=a)
        assert np.allclose(P.conv_transpose_scatter(*case.args), up[0, 0]), case.description
    for case in B._avg_cases(rng):
        x, dout, k, s, p = case.args
        _, cache = F.avg_pool2d_forward(x[None, None], k, stride=s, padding=p)
        assert np.allclose(B.avgpool_backward(*case.args),
                           F.avg_pool2d_backward(dout[None, None], cache)[0, 0]), case.description
    for case in P._fop_cases(rng):
        H, Fk, Pd, S, target = case.args
        found = [a for a in range(S) if conv_transpose_output_size(H, Fk, S, Pd, a) == target]
        assert P.output_paddings_for(*case.args) == found, case.description
    for case in FC._pattern_cases(rng):
        x, k = case.args
        r = correlate2d(x, k, mode="valid")
        assert FC.find_pattern(x, k) == tuple(int(v) for v in np.unravel_index(np.argmax(r), r.shape))


def test_find_output_padding_includes_unreachable_and_boundary_targets():
    cases = P._fop_cases(np.random.default_rng(0))
    answers = [P.output_paddings_for(*c.args) for c in cases]
    assert [] in answers and any(a and a[0] == c.args[3] - 1 > 0 for a, c in zip(answers, cases))
    # one past the largest reachable size and one below the smallest are both there
    base = lambda H, Fk, Pd, S: (H - 1) * S - 2 * Pd + Fk
    offsets = {c.args[4] - base(*c.args[:4]) for c in cases}
    assert {-1, 3} <= offsets or {-1} <= offsets and any(
        c.args[4] - base(*c.args[:4]) == c.args[3] for c in cases)


def test_scatter_cases_cover_strides_paddings_output_paddings_and_overlaps():
    cases = P._scatter_cases(np.random.default_rng(0))
    assert {c.args[2] for c in cases} >= {1, 2, 3}
    assert {c.args[3] for c in cases} >= {0, 1, 2}
    assert {c.args[4] for c in cases} >= {0, 1, 2}
    assert any(c.args[0].shape[0] != c.args[0].shape[1] for c in cases)
    assert any(c.args[1].shape[0] != c.args[1].shape[1] for c in cases)
    assert any(c.args[1].shape[0] > c.args[2] for c in cases)       # overlapping copies
    assert any(c.args[4] > c.args[3] for c in cases)                # output_padding past the crop
