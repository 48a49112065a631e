"""Adversarial suite of the chapter *What CNNs are used for*: at least five realistic wrong answers
per exercise, each rejected and given the targeted hint it must get (``None``: no targeted hint).
Run through the tests of tests/test_exercises_adversarial.py, whose table this adds to."""
from __future__ import annotations

import math

import numpy as np
import pytest

import cnncourse.exercises as exs
import test_exercises_adversarial as adv
from test_exercises_adversarial import W
from cnncourse import detection
from cnncourse.exercises import check
from cnncourse.exercises import applications as A


# --------------------------------------------------------------------------- iou

def _iou_int(a, b):
    return int(round(A.iou(a, b) * 100))


def _iou_area_b_twice(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / (2 * (b[2] - b[0]) * (b[3] - b[1]) - w * h)


def _iou_xywh(a, b):
    """Reads the boxes as (x, y, w, h)."""
    return A.iou((a[0], a[1], a[0] + a[2], a[1] + a[3]), (b[0], b[1], b[0] + b[2], b[1] + b[3]))


def _iou_abs(a, b):
    w = abs(min(a[2], b[2]) - max(a[0], b[0]))
    h = abs(min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


IOU = [
    W("no clip at zero", A._iou_no_clip, "clip"),
    W("union = sum of areas", A._iou_union_sum, "twice"),
    W("inclusive +1 pixels", A._iou_plus_one, "added 1"),
    W("intersection over the smaller area", A._iou_over_min, "smaller box"),
    W("percent as an int", _iou_int),
    W("uses b's area for both", _iou_area_b_twice),
    W("boxes read as (x, y, w, h)", _iou_xywh),
    W("abs instead of clipping", _iou_abs),
]


# --------------------------------------------------------------------------- decode-box

def _dec_no_cell(row, col, t, stride):
    """Forgets the cell's position: the offset alone."""
    return A.decode_box(0, 0, t, stride)


def _dec_no_stride_size(row, col, t, stride):
    tx, ty, tw, th = t
    cx, cy = (col + tx) * stride, (row + ty) * stride
    w, h = math.exp(tw), math.exp(th)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _dec_tw_th_swapped(row, col, t, stride):
    tx, ty, tw, th = t
    return A.decode_box(row, col, (tx, ty, th, tw), stride)


def _dec_centre_wh(row, col, t, stride):
    tx, ty, tw, th = t
    return ((col + tx) * stride, (row + ty) * stride, stride * math.exp(tw), stride * math.exp(th))


DECODE = [
    W("row and column swapped", A._dec_swapped, "swapped"),
    W("no exp", A._dec_no_exp, "exp"),
    W("whole width on each side", A._dec_full_width, "width / 2"),
    W("centre used as the corner", A._dec_corner, "centre"),
    W("size without the stride", _dec_no_stride_size),
    W("tw and th swapped", _dec_tw_th_swapped),
    W("returns (cx, cy, w, h)", _dec_centre_wh),
    W("cell position forgotten", _dec_no_cell),
]


# --------------------------------------------------------------------------- nms

def _nms_array(boxes, scores, iou_threshold):
    return np.array(A.nms(boxes, scores, iou_threshold))


def _nms_keep_best_only(boxes, scores, iou_threshold):
    return [int(np.argmax(scores))]


def _nms_ascending(boxes, scores, iou_threshold):
    order, keep = sorted(range(len(scores)), key=lambda i: scores[i]), []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if detection.iou(boxes[i], boxes[j]) <= iou_threshold]
    return keep


def _nms_threshold_ignored(boxes, scores, iou_threshold):
    return A.nms(boxes, scores, 0.5)


def _nms_any_overlap(boxes, scores, iou_threshold):
    return A.nms(boxes, scores, 0.0)


NMS = [
    W("input order, not sorted by score", A._nms_no_sort, "highest score"),
    W(">= instead of >", A._nms_ge, "IoU > iou_threshold"),
    W("suppressed boxes still suppress", A._nms_all_pairs, "only the boxes you keep"),
    W("kept indices in index order", A._nms_index_order, "index order"),
    W("lowest score first", _nms_ascending),
    W("only the best box", _nms_keep_best_only),
    W("threshold hard-coded to 0.5", _nms_threshold_ignored),
    W("any overlap suppresses", _nms_any_overlap),
    W("an ndarray of int64, not a list", _nms_array),
]


# --------------------------------------------------------------------------- decoder-size

def _ds_float(H, n, F, S, P):
    return float(A.decoder_size(H, n, F, S, P))


def _ds_plus_one(H, n, F, S, P):
    for _ in range(n):
        H = (H - 1) * S - 2 * P + F + 1
    return H


def _ds_no_minus_one(H, n, F, S, P):
    for _ in range(n):
        H = H * S - 2 * P + F
    return H


def _ds_square_once(H, n, F, S, P):
    return ((H - 1) * S - 2 * P + F) ** n if n else H


DSIZE = [
    W("the convolution's formula", A._ds_conv, "ordinary convolution"),
    W("one stage only", A._ds_one, "one stage"),
    W("H * S**n", A._ds_times, "ignores the kernel"),
    W("padding removed once", A._ds_pad_once, "- 2P"),
    W("a float", _ds_float),
    W("an extra + 1", _ds_plus_one),
    W("H * S instead of (H - 1) * S", _ds_no_minus_one),
]


# --------------------------------------------------------------------------- pixel-ce

def _pce_first_image(logits, targets):
    return A.pixel_cross_entropy(logits[:1], targets[:1])


def _pce_sum(logits, targets):
    return A.pixel_cross_entropy(logits, targets) * targets.size


def _pce_softmax_over_batch(logits, targets):
    shifted = logits - logits.max(axis=0, keepdims=True)
    lp = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    return float(-np.take_along_axis(lp, targets[:, None], axis=1).mean())


def _pce_global_max(logits, targets):
    with np.errstate(all="ignore"):
        shifted = logits - logits.max()
        lp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-np.take_along_axis(lp, targets[:, None], axis=1).mean())


def _pce_array(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    lp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.take_along_axis(lp, targets[:, None], axis=1)[:, 0]


PCE = [
    W("softmax over the width", A._pce_wrong_axis, "axis 1"),
    W("summed over each image's pixels", A._pce_sum_over_pixels, "N*H*W"),
    W("no max shift (overflow)", A._pce_unstable, "max"),
    W("probabilities, no log", A._pce_no_log, "LOG"),
    W("only the first image", _pce_first_image),
    W("sum over everything", _pce_sum),
    W("softmax over the batch axis", _pce_softmax_over_batch),
    W("global max (underflows per pixel)", _pce_global_max, "each pixel's max"),
    W("per-pixel losses, not their mean", _pce_array),
]

APPLICATIONS = {"applications.iou": IOU, "applications.decode-box": DECODE, "applications.nms": NMS,
         "applications.decoder-size": DSIZE, "applications.pixel-ce": PCE}
adv.WRONG.update(APPLICATIONS)
ALL = [e for e in exs.exercises() if e.chapter == "applications"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path))


def test_every_exercise_of_the_chapter_has_five_adversarial_answers():
    assert set(APPLICATIONS) == {e.id for e in ALL}
    assert len(ALL) >= 4
    for ex in ALL:
        assert len(APPLICATIONS[ex.id]) >= 5, ex.id


@pytest.mark.parametrize("ex", ALL, ids=[e.id for e in ALL])
def test_adversarial_answers_are_rejected_with_the_right_hint(ex):
    adv.test_adversarial_answers_are_rejected_with_the_right_hint(ex)


@pytest.mark.parametrize("ex", ALL, ids=[e.id for e in ALL])
def test_each_mistake_differs_from_the_reference_somewhere(ex):
    adv.test_each_mistake_differs_from_the_reference_somewhere(ex)


@pytest.mark.parametrize("ex", ALL, ids=[e.id for e in ALL])
def test_worked_solution_passes_and_reference_matches_the_package(ex):
    ns = {"np": np, "detection": detection}
    exec(ex.solution_code, ns)  # noqa: S102 - our own solution text
    name = ex.solution_code.split("def ", 1)[1].split("(", 1)[0]
    assert check(ex.id, ns[name], record=False, timeout=5).status == "correct"


def test_references_agree_with_cnncourse_detection():
    rng = np.random.default_rng(7)
    for case in A._iou_cases(rng):
        assert A.iou(*case.args) == pytest.approx(detection.iou(*case.args))
    for case in A._decode_cases(rng):
        np.testing.assert_allclose(A.decode_box(*case.args), detection.decode_box(*case.args))
    for case in A._nms_cases(rng):
        assert A.nms(*case.args) == list(detection.nms(*case.args))
