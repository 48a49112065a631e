"""Adversarial suite of the exercises on the central experiments of *Why convolutions* and
*Training a complete CNN* (cnncourse/exercises/why.py, training.py): why.detect-anywhere,
training.shift-predict, training.shift-curve and training.head-shift. At least five realistic
wrong answers per exercise beyond its ``examples_wrong``, each rejected with the hint it must get
(or none).

Both chapters are in ``CHAPTERS`` of tests/test_exercises_adversarial.py, so its tests run on
these exercises too; that file imports this one, which adds the answers below to its ``WRONG``.
The tests here run the same checks when this file runs alone.
"""
from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import cnncourse.exercises as exs
import test_exercises_adversarial as adv
from test_exercises_adversarial import W

IDS = ("why.detect-anywhere", "training.shift-predict", "training.shift-curve",
       "training.head-shift")
REMOVED = ("why.mlp-params", "training.sgd-momentum", "training.dropout")


# --------------------------------------------------------------------------- why.detect-anywhere

def _responses(x, kernels):
    return np.einsum("ijuv,kuv->kij", sliding_window_view(x, kernels.shape[1:]), kernels)


def _detect_last_position(x, kernels):        # `score = response` in the loop: the last one kept
    return _responses(x, kernels)[:, -1, -1].copy()


def _detect_non_overlapping(x, kernels):      # windows stepped by the kernel size
    kh, kw = kernels.shape[1:]
    return _responses(x, kernels)[:, ::kh, ::kw].max(axis=(1, 2))


def _detect_transposed_kernel(x, kernels):    # kernel read as (kw, kh)
    return _responses(x, np.ascontiguousarray(kernels.transpose(0, 2, 1))).max(axis=(1, 2))


def _detect_centre(x, kernels):               # one fixed place, the centre window
    r = _responses(x, kernels)
    return r[:, r.shape[1] // 2, r.shape[2] // 2].copy()


def _detect_zero_start_loop(x, kernels):      # best = 0 before the loop
    K, kh, kw = kernels.shape
    scores = np.zeros(K)
    for k in range(K):
        for i in range(x.shape[0] - kh + 1):
            for j in range(x.shape[1] - kw + 1):
                scores[k] = max(scores[k], np.sum(x[i:i + kh, j:j + kw] * kernels[k]))
    return scores


# --------------------------------------------------------------------------- training.shift-curve

def _moved(X, dx, dy):
    out = np.zeros_like(X)
    H, Wd = X.shape[2:]
    if abs(dy) < H and abs(dx) < Wd:
        out[:, :, max(dy, 0):H + min(dy, 0), max(dx, 0):Wd + min(dx, 0)] = \
            X[:, :, max(-dy, 0):H - max(dy, 0), max(-dx, 0):Wd - max(dx, 0)]
    return out


def _curve(predict, X, y, shifts, *, move=_moved, per_image_ink=False, scale=1.0):
    acc, ink = [], []
    for dx, dy in shifts:
        m = move(X, dx, dy)
        acc.append(np.mean(predict(m) == y) * scale)
        if per_image_ink:
            ink.append(np.mean(m.sum(axis=(1, 2, 3)) / X.sum(axis=(1, 2, 3))))
        else:
            ink.append(m.sum() / X.sum())
    return np.array(acc), np.array(ink)


def _roll_per_image(X, dx, dy):
    return np.stack([np.roll(img, (dy, dx), axis=(1, 2)) for img in X])


def _crop_up_left(X, dx, dy):                 # X[..., dy:, dx:] padded at the end: moved up, left
    H, Wd = X.shape[2:]
    out = np.zeros_like(X)
    out[:, :, :H - dy, :Wd - dx] = X[:, :, dy:, dx:] if dy >= 0 and dx >= 0 else 0
    return out if dy >= 0 and dx >= 0 else _moved(X, -dx, -dy)


def _curve_labels_rolled(predict, X, y, shifts):  # the labels shifted along with the images
    acc, ink = _curve(predict, X, y, shifts)
    acc2 = [np.mean(predict(_moved(X, dx, dy)) == np.roll(y, dx)) for dx, dy in shifts]
    return np.array(acc2), ink


# --------------------------------------------------------------------------- training.head-shift

def _head(weight, feature_shape, dx, dy):
    C, H, Wd = feature_shape
    K = weight.shape[0]
    return _moved(weight.reshape(K, C, H, Wd), dx, dy).reshape(K, -1)


def _head_in_place(weight, feature_shape, dx, dy):
    weight[...] = _head(weight, feature_shape, dx, dy)
    return weight


def _head_cells_times_four(weight, feature_shape, dx, dy):  # pixels of the input, not cells
    return _head(weight, feature_shape, 4 * dx, 4 * dy)


def _head_hwc_shape(weight, feature_shape, dx, dy):  # feature_shape read as (H, W, C)
    H, Wd, C = feature_shape
    return _head(weight, (C, H, Wd), dx, dy)


TRAINING_WHY = {
    "why.detect-anywhere": [
        W("one number: the max over every kernel too", lambda x, k: float(_responses(x, k).max())),
        W("the last position's response (no max)", _detect_last_position),
        W("windows stepped by the kernel size", _detect_non_overlapping),
        W("kernel read as (kw, kh)", _detect_transposed_kernel),
        W("the centre window only", _detect_centre),
        W("best = 0 before the loop", _detect_zero_start_loop, "start from -np.inf"),
        W("global average pooling", lambda x, k: _responses(x, k).mean(axis=(1, 2)), "global AVERAGE"),
        W("the position of the maximum", lambda x, k: _responses(x, k).reshape(len(k), -1).argmax(axis=1)),
        W("float32 scores", lambda x, k: _responses(x, k).max(axis=(1, 2)).astype(np.float32)),
        W("a list of scores", lambda x, k: _responses(x, k).max(axis=(1, 2)).tolist()),
    ],
    "training.shift-predict": [
        W("only the Flatten head's fall", {"a"}, "leaves out at least one statement"),
        W("every statement", {"a", "b", "c", "d", "e"}, "nearly flat, not exactly flat"),
        W("equivariance makes Flatten flat", {"b", "c"}, "each feature meets the weight"),
        W("global max exactly invariant", {"a", "d"}, "guarantees exactly the same"),
        W("augmentation needed, as a list", ["a", "b", "e"], "not the only one"),
        W("an option that does not exist", {"a", "b", "f"}),
        W("an int", 2),
    ],
    "training.shift-curve": [
        W("np.roll image by image", lambda p, X, y, s: _curve(p, X, y, s, move=_roll_per_image),
          "np.roll wraps"),
        W("cropped X[..., dy:, dx:] (moved up and left)",
          lambda p, X, y, s: _curve(p, X, y, s, move=_crop_up_left), "wrong way"),
        W("the pairs read as (dy, dx)", lambda p, X, y, s: _curve(p, X, y, [(b, a) for a, b in s]),
          "dx is horizontal"),
        W("accuracy in percent", lambda p, X, y, s: _curve(p, X, y, s, scale=100.0)),
        W("ink kept per image, averaged", lambda p, X, y, s: _curve(p, X, y, s, per_image_ink=True)),
        W("the labels rolled too", _curve_labels_rolled),
        W("(ink, accuracy) order", lambda p, X, y, s: _curve(p, X, y, s)[::-1]),
        W("the accuracy only", lambda p, X, y, s: _curve(p, X, y, s)[0]),
        W("lists instead of arrays", lambda p, X, y, s: tuple(a.tolist() for a in _curve(p, X, y, s))),
        W("dy ignored (right only)", lambda p, X, y, s: _curve(p, X, y, [(a, 0) for a, b in s])),
    ],
    "training.head-shift": [
        W("weight moved in place", _head_in_place),
        W("left as (K, C, H, W)", lambda w, fs, dx, dy: _head(w, fs, dx, dy).reshape(w.shape[0], *fs)),
        W("transposed (C*H*W, K)", lambda w, fs, dx, dy: _head(w, fs, dx, dy).T.copy()),
        W("moved by 4 cells per cell (input pixels)", _head_cells_times_four),
        W("feature_shape read as (H, W, C)", _head_hwc_shape),
        W("flat np.roll by dx only", lambda w, fs, dx, dy: np.roll(w, dx, axis=1)),
        W("flat shift, zeros coming in", lambda w, fs, dx, dy: _flat_zero(w, dy * fs[2] + dx),
          "flat weight vector"),
        W("float32 weights", lambda w, fs, dx, dy: _head(w, fs, dx, dy).astype(np.float32)),
    ],
}


def _flat_zero(w, s):
    out = np.zeros_like(w)
    if s >= 0:
        out[:, s:] = w[:, :w.shape[1] - s]
    else:
        out[:, :s] = w[:, -s:]
    return out



# --------------------------------------------------------------------------- review: more answers
# A second learner's attempts (review of issue 12's exercises): each rejected, and the only hint
# any of them gets names the mistake it made.

def _detect_loops(x, kernels, *, stop=1, all_kernels=False):
    K, kh, kw = kernels.shape
    scores = np.full(K, -np.inf)
    for k in range(K):
        for i in range(x.shape[0] - kh + stop):          # stop = 0: range(H - kh), one short
            for j in range(x.shape[1] - kw + stop):
                patch = x[i:i + kh, j:j + kw]
                r = np.sum(patch * kernels) if all_kernels else np.sum(patch * kernels[k])
                scores[k] = max(scores[k], r)
    return scores


def _detect_same_mode(x, kernels):           # scipy's correlate2d(mode='same'): zero padded
    from scipy.signal import correlate2d as sp_correlate2d
    return np.array([sp_correlate2d(x, k, mode="same").max() for k in kernels])


def _curve_agreement(predict, X, y, shifts):  # accuracy against the unshifted predictions
    return np.array([np.mean(predict(_moved(X, dx, dy)) == predict(X)) for dx, dy in shifts]), \
        _curve(predict, X, y, shifts)[1]


def _curve_ink(predict, X, y, shifts, ink):
    return _curve(predict, X, y, shifts)[0], np.array([ink(_moved(X, dx, dy), X) for dx, dy in shifts])


def _curve_overwrite_x(predict, X, y, shifts):  # X itself overwritten by each shifted batch
    orig, total, acc, ink = X.copy(), X.sum(), [], []
    for dx, dy in shifts:
        X[...] = _moved(orig, dx, dy)
        acc.append(np.mean(predict(X) == y))
        ink.append(X.sum() / total)
    return np.array(acc), np.array(ink)


def _curve_nearest(predict, X, y, shifts):   # scipy.ndimage.shift, mode='nearest': edges smeared
    from scipy.ndimage import shift
    return _curve(predict, X, y, shifts,
                  move=lambda X, dx, dy: shift(X, (0, 0, dy, dx), order=0, mode="nearest"))


def _head_nearest(weight, feature_shape, dx, dy):  # edge weights repeated instead of 0
    from scipy.ndimage import shift
    K = weight.shape[0]
    return shift(weight.reshape(K, *feature_shape), (0, 0, dy, dx), order=0,
                 mode="nearest").reshape(K, -1)


def _head_first_channel_only(weight, feature_shape, dx, dy):
    C, H, Wd = feature_shape
    K = weight.shape[0]
    new = weight.reshape(K, C, H * Wd).copy()
    new[:, 0] = _head(weight, feature_shape, dx, dy).reshape(K, C, H * Wd)[:, 0]
    return new.reshape(K, -1)


TRAINING_WHY["why.detect-anywhere"] += [
    W("range(H - kh): the last positions missed", lambda x, k: _detect_loops(x, k, stop=0)),
    W("scipy correlate2d mode='same'", _detect_same_mode),
    W("np.sum(patch * kernels): every kernel at once", lambda x, k: _detect_loops(x, k, all_kernels=True)),
    W("responses clipped at 0 (a ReLU) before the max",
      lambda x, k: np.maximum(_responses(x, k), 0).max(axis=(1, 2)), "clip the responses at 0"),
    W("scores divided by each kernel's norm",
      lambda x, k: _responses(x, k).max(axis=(1, 2)) / np.linalg.norm(k.reshape(len(k), -1), axis=1)),
    W("int scores", lambda x, k: _responses(x, k).max(axis=(1, 2)).astype(int)),
]
TRAINING_WHY["training.shift-predict"] += [
    W("only the pooled head's flat curve", {"b"}, "leaves out at least one statement"),
    W("both wrong statements about the two heads", {"c", "d"}, "each feature meets the weight"),
    W("only augmentation helps", {"e"}, "not the only one"),
    W("Flatten flat, pooled flat", {"b", "c"}, "each feature meets the weight"),
    W("the empty set", set()),
    W("'ab' as one word", "ab"),
]
TRAINING_WHY["training.shift-curve"] += [
    W("accuracy against predict(X), not y", _curve_agreement),
    W("ink as the fraction of nonzero pixels kept",
      lambda p, X, y, s: _curve_ink(p, X, y, s, lambda m, X: (m > 0).sum() / (X > 0).sum())),
    W("ink inverted, X.sum() / moved.sum()",
      lambda p, X, y, s: _curve_ink(p, X, y, s, lambda m, X: X.sum() / max(m.sum(), 1e-300))),
    W("typo: (dx, dx)", lambda p, X, y, s: _curve(p, X, y, [(a, a) for a, b in s])),
    W("accuracy rounded to 2 decimals",
      lambda p, X, y, s: (np.round(_curve(p, X, y, s)[0], 2), _curve(p, X, y, s)[1])),
    W("one (len(shifts), 2) array", lambda p, X, y, s: np.column_stack(_curve(p, X, y, s))),
    W("X overwritten by each shifted batch", _curve_overwrite_x),
    W("accuracy by integer division",
      lambda p, X, y, s: (np.array([int(np.sum(p(_moved(X, a, b)) == y)) // len(y) for a, b in s]),
                          _curve(p, X, y, s)[1])),
    W("scipy.ndimage.shift with mode='nearest'", _curve_nearest),
]
TRAINING_WHY["training.head-shift"] += [
    W("reshaped (K, C, W, H)", lambda w, fs, dx, dy: _head(w, (fs[0], fs[2], fs[1]), dx, dy)),
    W("edge weights repeated (mode='nearest')", _head_nearest),
    W("dx ignored", lambda w, fs, dx, dy: _head(w, fs, 0, dy)),
    W("dx the wrong way, dy right", lambda w, fs, dx, dy: _head(w, fs, -dx, dy)),
    W("flat shift by dy*H + dx", lambda w, fs, dx, dy: _flat_zero(w, dy * fs[1] + dx)),
    W("only the first channel moved", _head_first_channel_only),
]


def _head_roll_zero_positive_only(weight, feature_shape, dx, dy):  # the wrapped strip cleared
    K = weight.shape[0]                                               # for dx, dy > 0 only
    m = np.roll(weight.reshape(K, *feature_shape), (dy, dx), axis=(2, 3))
    if dy > 0:
        m[:, :, :dy] = 0
    if dx > 0:
        m[:, :, :, :dx] = 0
    return m.reshape(K, -1)


def _head_through_a_view(weight, feature_shape, dx, dy):  # w4 = weight.reshape(...) is a view
    K = weight.shape[0]
    w4 = weight.reshape(K, *feature_shape)
    w4[...] = _head(weight.copy(), feature_shape, dx, dy).reshape(w4.shape)
    return w4.reshape(K, -1)


TRAINING_WHY["training.head-shift"] += [
    W("np.roll, the wrapped strip cleared for positive shifts only", _head_roll_zero_positive_only),
    W("written through a reshape view of weight", _head_through_a_view),
]

adv.WRONG.update(TRAINING_WHY)
EXERCISES = [exs.get(ex_id) for ex_id in IDS]
FUNCTIONS = [e for e in EXERCISES if e.kind == "function"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path))


def test_each_new_exercise_has_five_adversarial_answers_and_the_chapters_keep_four():
    assert set(TRAINING_WHY) == set(IDS)
    for ex in EXERCISES:
        assert len(TRAINING_WHY[ex.id]) >= 5, ex.id
    for chapter in ("why-convolutions", "training"):
        assert len(exs.exercises(chapter)) >= 4, chapter


def test_the_replaced_one_liners_are_gone():
    registered = {e.id for e in exs.exercises()}
    for ex_id in REMOVED:
        assert ex_id not in registered and ex_id not in adv.WRONG, ex_id


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_adversarial_answers_are_rejected_with_the_right_hint(ex):
    adv.test_adversarial_answers_are_rejected_with_the_right_hint(ex)


@pytest.mark.parametrize("ex", FUNCTIONS, ids=[e.id for e in FUNCTIONS])
def test_each_mistake_differs_from_the_reference_somewhere(ex):
    adv.test_each_mistake_differs_from_the_reference_somewhere(ex)


@pytest.mark.parametrize("ex", FUNCTIONS, ids=[e.id for e in FUNCTIONS])
def test_cases_vary_every_argument(ex):
    adv.test_cases_vary_every_argument(ex)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_registered_wrong_examples_are_rejected_and_the_reference_passes(ex):
    answer = ex.reference if ex.kind == "function" else set(ex.expected_answer())
    assert exs.check(ex.id, answer, record=False).status == "correct"
    for wrong, text in ex.examples_wrong:
        result = exs.check(ex.id, wrong, record=False)
        assert result.status == "incorrect" and text in str(result), (ex.id, text, str(result))


def test_the_detector_is_shift_invariant_and_a_dense_unit_is_not():
    """The property the exercise is about: the same pattern moved inside the map gets the same
    scores from ``detect_anywhere``, but not from one fixed window (a dense unit)."""
    from cnncourse.exercises import why

    cases = why._detect_cases(np.random.default_rng(0))
    (x0, k), (x1, _) = cases[0].args, cases[1].args
    assert not np.array_equal(x0, x1)
    assert np.array_equal(why.detect_anywhere(x0, k), why.detect_anywhere(x1, k))
    assert not np.array_equal(why._detect_one_place(x0, k), why._detect_one_place(x1, k))
    corner = cases[2].args[0]                 # the windows the mirrored L needs are cut off
    assert not np.array_equal(why.detect_anywhere(corner, k), why.detect_anywhere(x0, k))


def test_shift_curve_classifiers_behave_as_their_docstrings_say():
    """The position-blind classifier gives a flat curve with all ink kept; the position-tied ones
    do not; a shift that crops shows in the ink."""
    from cnncourse.exercises import training

    rng = np.random.default_rng(3)
    X = training._digit(rng, 20, 1, 12, 12, 4)
    shifts = [(0, 0), (2, 2), (-3, 1), (3, -3)]
    y = training.pooled_classifier(X)
    acc, ink = training.shift_curve(training.pooled_classifier, X, y, shifts)
    assert np.all(acc == 1.0) and np.all(ink == 1.0)
    for tied in (training.dense_classifier, training.centre_classifier):
        acc, ink = training.shift_curve(tied, X, tied(X), shifts)
        assert acc[0] == 1.0 and acc[1:].min() < 1.0 and np.all(ink == 1.0)
    edge = training._digit(rng, 5, 1, 6, 6, 0)
    _, ink = training.shift_curve(training.dense_classifier, edge, np.zeros(5, int), [(5, 5)])
    assert ink[0] < 1.0


def test_head_shift_makes_a_dense_head_read_moved_features():
    """What the exercise is for: a dense head moved with the features gives the logits of the
    unmoved head on the unmoved features (when nothing falls off the map)."""
    from cnncourse.exercises import training

    rng = np.random.default_rng(1)
    C, H, Wd, K = 3, 6, 5, 4
    feats = np.zeros((2, C, H, Wd))
    feats[:, :, 1:3, 1:3] = rng.standard_normal((2, C, 2, 2))
    weight = rng.standard_normal((K, C * H * Wd))
    moved = training._shift_all(feats, 2, 1)
    new = training.shift_head(weight, (C, H, Wd), 2, 1)
    assert np.allclose(moved.reshape(2, -1) @ new.T, feats.reshape(2, -1) @ weight.T)
    assert not np.allclose(moved.reshape(2, -1) @ weight.T, feats.reshape(2, -1) @ weight.T)
