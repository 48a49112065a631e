"""Tests for cnncourse.detection: IoU, box encoding/decoding, NMS, precision/recall, segmentation
metrics; hand-worked cases, bad inputs, and torchvision semantics where they apply."""
import numpy as np
import pytest

from cnncourse import detection as D


@pytest.mark.parametrize("a, b, expected", [
    ((0, 0, 2, 2), (1, 1, 3, 3), 1 / 7),
    ((0, 0, 4, 2), (2, 0, 6, 2), 4 / 12),
    ((0, 0, 2, 2), (5, 5, 7, 8), 0.0),
    ((0, 0, 2, 2), (3, 0, 5, 2), 0.0),          # disjoint in x only: no negative-area overlap
    ((0, 0, 2, 2), (2, 0, 4, 2), 0.0),          # touching
    ((0, 0, 10, 10), (2, 3, 5, 7), 12 / 100),   # nested
    ((1.5, 2, 4.5, 6), (1.5, 2, 4.5, 6), 1.0),
    ((0, 0, 0, 0), (0, 0, 0, 0), 0.0),          # two empty boxes
], ids=["corner", "half", "disjoint", "disjoint-x", "touching", "nested", "identical", "empty"])
def test_iou_hand_cases(a, b, expected):
    assert D.iou(a, b) == pytest.approx(expected)
    assert D.iou(b, a) == pytest.approx(expected)


def test_iou_broadcasts_and_box_iou_is_pairwise():
    a = np.array([[0, 0, 2, 2], [0, 0, 4, 2.0]])
    b = np.array([[1, 1, 3, 3], [2, 0, 6, 2.0]])
    np.testing.assert_allclose(D.iou(a, b), [1 / 7, 1 / 3])
    m = D.box_iou(a, b)
    assert m.shape == (2, 2)
    np.testing.assert_allclose(np.diag(m), [1 / 7, 1 / 3])
    assert m[0, 1] == pytest.approx(D.iou(a[0], b[1]))


@pytest.mark.parametrize("bad, err, match", [
    ("box", TypeError, "iou: a must be an ndarray"),
    (np.zeros(3), ValueError, "last axis of 4"),
    (np.array([2, 0, 1, 1.0]), ValueError, "x1 >= x0"),
    (np.array([0, 0, np.nan, 1.0]), ValueError, "finite"),
    (np.array([True, False, True, True]), TypeError, "numbers"),
])
def test_iou_bad_inputs(bad, err, match):
    with pytest.raises(err, match=match):
        D.iou(bad, (0, 0, 1, 1))


@pytest.mark.parametrize("box, stride", [((3, 5, 9, 13), 4), ((0, 0, 8, 8), 8), ((10.5, 2, 13, 7.5), 2)])
def test_encode_decode_round_trip(box, stride):
    row, col, t = D.encode_box(box, stride)
    np.testing.assert_allclose(D.decode_box(row, col, t, stride), box)
    assert 0 <= t[0] < 1 and 0 <= t[1] < 1


def test_decode_box_hand_case():
    # cell (1, 2), stride 4: centre ((2 + .5) * 4, (1 + .25) * 4) = (10, 5); size 4*e^0 x 4*e^log2
    np.testing.assert_allclose(D.decode_box(1, 2, (0.5, 0.25, 0.0, np.log(2)), 4), [8, 1, 12, 9])


def test_encode_grid_marks_the_centre_cell():
    obj, t = D.encode_grid([np.array([[3, 5, 9, 13.0]]), np.zeros((0, 4))], 4, 4)
    assert obj.shape == (2, 4, 4) and t.shape == (2, 4, 4, 4)
    assert obj[0, 2, 1] == 1 and obj.sum() == 1
    np.testing.assert_allclose(D.decode_box(2, 1, t[0, :, 2, 1], 4), [3, 5, 9, 13])


def test_nms_hand_cases():
    boxes = np.array([[0, 0, 4, 4], [1, 0, 5, 4], [10, 10, 14, 14], [0, 1, 4, 5]], dtype=float)
    assert list(D.nms(boxes, [0.9, 0.8, 0.7, 0.6], 0.5)) == [0, 2]
    assert list(D.nms(boxes, [0.1, 0.8, 0.7, 0.6], 0.5)) == [1, 2, 3]   # 3 overlaps 1 by 0.39
    assert list(D.nms(boxes, [0.9, 0.8, 0.7, 0.6], 0.9)) == [0, 1, 2, 3]
    # IoU exactly at the threshold is kept (torchvision: suppress only when IoU > threshold)
    assert list(D.nms([[0, 0, 2, 2], [0, 0, 2, 4]], [0.9, 0.8], 0.5)) == [0, 1]
    # a chain: only kept boxes suppress
    assert list(D.nms([[0, 0, 4, 4], [2, 0, 6, 4], [4, 0, 8, 4]], [0.9, 0.8, 0.7], 0.3)) == [0, 2]


def test_nms_matches_torchvision():
    tv = pytest.importorskip("torchvision")
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 20, size=(30, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 8, size=(30, 2))], axis=1)
    scores = rng.permutation(30) / 30
    expected = tv.ops.nms(torch.tensor(boxes), torch.tensor(scores), 0.4).numpy()
    np.testing.assert_array_equal(D.nms(boxes, scores, 0.4), expected)


@pytest.mark.parametrize("kwargs, match", [
    (dict(boxes=np.zeros((2, 4)), scores=[1.0]), "scores must have shape"),
    (dict(boxes=np.zeros(4), scores=[1.0]), "boxes must be 2-D"),
    (dict(boxes=np.zeros((1, 4)), scores=[1.0], iou_threshold=1.5), r"iou_threshold must be in \[0, 1\]"),
])
def test_nms_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match="nms: " + match):
        D.nms(**kwargs)


def test_precision_recall_hand_case():
    true = [np.array([[0, 0, 4, 4], [10, 10, 14, 14.0]]), np.array([[0, 0, 2, 2.0]])]
    pred = [np.array([[0, 0, 4, 4], [0, 0, 4, 4.2], [20, 20, 22, 22.0]]), np.zeros((0, 4))]
    # image 0: one match, a duplicate (the true box is already matched) and a miss; image 1: none
    assert D.precision_recall(pred, true) == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert D.precision_recall([np.zeros((0, 4))], [np.zeros((0, 4))]) == (0.0, 0.0)
    with pytest.raises(ValueError, match="precision_recall: pred_list has 1 images"):
        D.precision_recall(pred[:1], true)


def test_decode_grid_suppresses_duplicates():
    out = np.full((1, 5, 3, 3), -10.0)
    out[0, 0, 1, 1] = out[0, 0, 1, 2] = 5.0       # two cells fire on one object
    out[0, 1:, 1, 1] = [0.5, 0.5, np.log(2), np.log(2)]
    out[0, 1:, 1, 2] = [0.0, 0.5, np.log(2), np.log(2)]   # same box, shifted by one offset
    (boxes, scores), = D.decode_grid(out, 4, 0.5, 0.3)
    assert boxes.shape == (1, 4) and scores.shape == (1,)
    with pytest.raises(ValueError, match=r"decode_grid: out must be an ndarray of shape \(N, 5, G, G\)"):
        D.decode_grid(np.zeros((1, 4, 3, 3)), 4)


def test_segmentation_metrics():
    target = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    pred = np.array([[0, 0, 1, 0], [0, 2, 1, 1]])
    assert D.pixel_accuracy(pred, target) == pytest.approx(6 / 8)
    # IoU per class: 0: 3/4, 1: 2/4, 2: 1/2
    assert D.mean_iou(pred, target, 3) == pytest.approx((3 / 4 + 2 / 4 + 1 / 2) / 3)
    assert D.mean_iou(target, target, 5) == 1.0          # absent classes are not counted
    bg = np.zeros_like(target)
    assert D.mean_iou(bg, target, 3) == pytest.approx((3 / 8) / 3)
    with pytest.raises(TypeError, match="pixel_accuracy: pred must be an integer ndarray"):
        D.pixel_accuracy(pred.astype(float), target)
    with pytest.raises(ValueError, match="mean_iou: pred and target must have the same shape"):
        D.mean_iou(pred[:1], target, 3)
