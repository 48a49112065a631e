"""Boxes, IoU, a grid detector's encoding and decoding, non-maximum suppression, and the
metrics of localisation, detection and segmentation (the chapter *What CNNs are used for*).

Boxes are ``(x0, y0, x1, y1)`` in pixels, corners at pixel edges (``x1 - x0`` is the width),
as ``torchvision.ops`` ("xyxy"). A grid detector with stride ``s`` predicts, for every output
cell ``(row, col)``, five numbers ``(objectness logit, tx, ty, tw, th)``: the box centre is
``((col + tx) * s, (row + ty) * s)`` and its size ``(s * exp(tw), s * exp(th))``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["iou", "box_iou", "decode_box", "encode_box", "encode_grid", "decode_grid", "nms",
           "match_detections", "precision_recall", "pixel_accuracy", "mean_iou",
           "confusion_segmentation"]


def _boxes(b, fn, name):
    if isinstance(b, (list, tuple)):
        b = np.asarray(b, dtype=np.float64)
    if not isinstance(b, np.ndarray):
        raise TypeError(f"{fn}: {name} must be an ndarray (or sequence) of boxes "
                        f"(x0, y0, x1, y1), got {type(b).__name__}")
    if not (np.issubdtype(b.dtype, np.floating) or np.issubdtype(b.dtype, np.integer)) \
            or b.dtype == np.bool_:
        raise TypeError(f"{fn}: {name} must hold numbers, got dtype {b.dtype}")
    if b.ndim == 0 or b.shape[-1] != 4:
        raise ValueError(f"{fn}: {name} must have a last axis of 4 (x0, y0, x1, y1), got shape "
                         f"{b.shape}")
    b = b.astype(np.float64)
    if not np.all(np.isfinite(b)):
        raise ValueError(f"{fn}: {name} must be finite")
    if np.any(b[..., 2] < b[..., 0]) or np.any(b[..., 3] < b[..., 1]):
        raise ValueError(f"{fn}: {name} must have x1 >= x0 and y1 >= y0 (corners (x0, y0, x1, "
                         f"y1)), got a box with a negative width or height")
    return b


def _iou(a, b):
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = w * h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def iou(a, b):
    """Intersection over union of boxes ``a`` and ``b`` (broadcast over leading axes).

    ``IoU = area(a & b) / area(a | b)``, 1 for equal boxes, 0 for disjoint ones (and for two
    empty boxes). Returns a float for two single boxes, else an array.

    >>> iou([0, 0, 2, 2], [1, 1, 3, 3])   # overlap 1, union 4 + 4 - 1
    0.14285714285714285
    """
    a, b = _boxes(a, "iou", "a"), _boxes(b, "iou", "b")
    out = _iou(a, b)
    return float(out) if out.ndim == 0 else out


def box_iou(a, b) -> np.ndarray:
    """Pairwise IoU: ``a`` (N, 4), ``b`` (M, 4) -> (N, M), as ``torchvision.ops.box_iou``."""
    a, b = _boxes(a, "box_iou", "a"), _boxes(b, "box_iou", "b")
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"box_iou: a and b must be 2-D (N, 4) and (M, 4), got {a.shape}, {b.shape}")
    return _iou(a[:, None, :], b[None, :, :])


def decode_box(row: int, col: int, t, stride: float) -> np.ndarray:
    """The box ``(x0, y0, x1, y1)`` that cell ``(row, col)`` of a grid of ``stride`` pixels
    predicts with ``t = (tx, ty, tw, th)``: centre ``((col + tx)*stride, (row + ty)*stride)``,
    width ``stride*exp(tw)``, height ``stride*exp(th)``."""
    tx, ty, tw, th = (float(v) for v in np.asarray(t, dtype=np.float64).reshape(4))
    cx, cy = (col + tx) * stride, (row + ty) * stride
    w, h = stride * np.exp(tw), stride * np.exp(th)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def encode_box(box, stride: float):
    """Inverse of :func:`decode_box`: ``(row, col, (tx, ty, tw, th))`` of the cell that holds
    the box's centre."""
    x0, y0, x1, y1 = _boxes(box, "encode_box", "box").reshape(4)
    if x1 <= x0 or y1 <= y0:
        raise ValueError("encode_box: box must have a positive width and height")
    cx, cy = (x0 + x1) / 2 / stride, (y0 + y1) / 2 / stride
    row, col = int(np.floor(cy)), int(np.floor(cx))
    t = np.array([cx - col, cy - row, np.log((x1 - x0) / stride), np.log((y1 - y0) / stride)])
    return row, col, t


def encode_grid(boxes_list, grid: int, stride: float) -> tuple[np.ndarray, np.ndarray]:
    """Training targets of a grid detector: ``objectness`` (N, grid, grid) in {0, 1} (1 at the
    cell holding an object's centre) and ``t`` (N, 4, grid, grid) (the offsets there, 0
    elsewhere). A second object in an occupied cell overwrites the first."""
    n = len(boxes_list)
    obj = np.zeros((n, grid, grid), dtype=np.float32)
    t = np.zeros((n, 4, grid, grid), dtype=np.float32)
    for i, boxes in enumerate(boxes_list):
        for box in np.asarray(boxes).reshape(-1, 4):
            row, col, ti = encode_box(box, stride)
            row, col = min(max(row, 0), grid - 1), min(max(col, 0), grid - 1)
            obj[i, row, col] = 1.0
            t[i, :, row, col] = ti
    return obj, t


def nms(boxes, scores, iou_threshold: float = 0.5) -> np.ndarray:
    """Non-maximum suppression: indices of the boxes kept, highest score first.

    Repeatedly keep the highest-scoring box left and drop every remaining box whose IoU with
    it is **greater than** ``iou_threshold`` (as ``torchvision.ops.nms``).
    """
    boxes = _boxes(boxes, "nms", "boxes")
    if boxes.ndim != 2:
        raise ValueError(f"nms: boxes must be 2-D (K, 4), got shape {boxes.shape}")
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (boxes.shape[0],):
        raise ValueError(f"nms: scores must have shape ({boxes.shape[0]},), one per box, got "
                         f"{scores.shape}")
    if isinstance(iou_threshold, bool) or not 0 <= float(iou_threshold) <= 1:
        raise ValueError(f"nms: iou_threshold must be in [0, 1], got {iou_threshold!r}")
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if _iou(boxes[i], boxes[j]) <= iou_threshold]
    return np.array(keep, dtype=np.int64)


def decode_grid(out: np.ndarray, stride: float, score_threshold: float = 0.5,
                iou_threshold: float = 0.3):
    """Boxes and scores from a grid detector's output (N, 5, G, G): sigmoid of the objectness,
    :func:`decode_box` of every cell above ``score_threshold``, then :func:`nms`. Returns a list
    of N pairs ``(boxes (K, 4), scores (K,))``."""
    if not isinstance(out, np.ndarray) or out.ndim != 4 or out.shape[1] != 5:
        raise ValueError(f"decode_grid: out must be an ndarray of shape (N, 5, G, G), got "
                         f"{getattr(out, 'shape', type(out).__name__)}")
    result = []
    prob = 1 / (1 + np.exp(-out[:, 0].astype(np.float64)))
    for i in range(out.shape[0]):
        rows, cols = np.nonzero(prob[i] > score_threshold)
        boxes = np.array([decode_box(r, c, out[i, 1:, r, c], stride) for r, c in zip(rows, cols)]
                         ).reshape(-1, 4)
        scores = prob[i, rows, cols]
        if len(scores):
            keep = nms(boxes, scores, iou_threshold)
            boxes, scores = boxes[keep], scores[keep]
        result.append((boxes, scores))
    return result


def match_detections(pred_boxes, true_boxes, iou_threshold: float = 0.5) -> int:
    """Number of true positives: predictions (in the given order, best first) matched greedily
    to a not-yet-matched true box with IoU >= ``iou_threshold``."""
    pred = _boxes(np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4), "match_detections",
                  "pred_boxes")
    true = _boxes(np.asarray(true_boxes, dtype=np.float64).reshape(-1, 4), "match_detections",
                  "true_boxes")
    if len(pred) == 0 or len(true) == 0:
        return 0
    ious = _iou(pred[:, None], true[None])
    used = np.zeros(len(true), dtype=bool)
    tp = 0
    for i in range(len(pred)):
        cand = np.where(~used & (ious[i] >= iou_threshold), ious[i], -1)
        j = int(np.argmax(cand))
        if cand[j] >= 0:
            used[j] = True
            tp += 1
    return tp


def precision_recall(pred_list, true_list, iou_threshold: float = 0.5) -> tuple[float, float]:
    """Precision (true positives / predictions) and recall (true positives / objects) over a
    set of images; ``pred_list[i]`` and ``true_list[i]`` are the boxes of image ``i``. A
    prediction is a true positive when it matches an unmatched object with IoU >= threshold."""
    if len(pred_list) != len(true_list):
        raise ValueError(f"precision_recall: pred_list has {len(pred_list)} images, true_list "
                         f"{len(true_list)}")
    tp = n_pred = n_true = 0
    for pred, true in zip(pred_list, true_list):
        tp += match_detections(pred, true, iou_threshold)
        n_pred += len(np.asarray(pred).reshape(-1, 4))
        n_true += len(np.asarray(true).reshape(-1, 4))
    return (tp / n_pred if n_pred else 0.0), (tp / n_true if n_true else 0.0)


# --- segmentation metrics --------------------------------------------------------------------

def _labels(pred, target, fn):
    for name, a in (("pred", pred), ("target", target)):
        if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"{fn}: {name} must be an integer ndarray of class labels, got "
                            f"{type(a).__name__} {getattr(a, 'dtype', '')}")
    if pred.shape != target.shape:
        raise ValueError(f"{fn}: pred and target must have the same shape, got {pred.shape} and "
                         f"{target.shape}")


def pixel_accuracy(pred: np.ndarray, target: np.ndarray) -> float:
    """Fraction of pixels whose predicted class equals the target's."""
    _labels(pred, target, "pixel_accuracy")
    return float(np.mean(pred == target))


def confusion_segmentation(pred, target, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) pixel counts, rows = target class, columns = predicted."""
    _labels(pred, target, "confusion_segmentation")
    idx = target.reshape(-1).astype(np.int64) * num_classes + pred.reshape(-1)
    return np.bincount(idx, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def mean_iou(pred: np.ndarray, target: np.ndarray, num_classes: int) -> float:
    """Mean over classes of ``|pred == c & target == c| / |pred == c | target == c|``, over the
    classes that occur in ``pred`` or ``target`` (background, class 0, included)."""
    _labels(pred, target, "mean_iou")
    cm = confusion_segmentation(pred, target, num_classes)
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    present = union > 0
    return float(np.mean(inter[present] / union[present]))
