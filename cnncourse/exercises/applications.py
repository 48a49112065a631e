"""Exercises of the chapter *What CNNs are used for* (``book/applications.ipynb``).

About 520 lines: five exercises, each with its reference, cases, mistakes and worked solution
together (the layout every chapter's exercise module follows).
"""
from __future__ import annotations

import math

import numpy as np

from ._core import Case, Exercise, Mistake, register

CHAPTER = "applications"

_exp, _log, _max, _sum = np.exp, np.log, np.max, np.sum


# --------------------------------------------------------------------------- applications.iou

def iou(a, b):
    """IoU of two boxes (x0, y0, x1, y1), written out so the checker depends on nothing else."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _iou_cases(rng):
    cases = [
        Case(((0, 0, 2, 2), (1, 1, 3, 3)), description="corner overlap"),
        Case(((0, 0, 4, 2), (2, 0, 6, 2)), description="non-square boxes, half overlap"),
        Case(((0, 0, 2, 2), (5, 5, 7, 8)), description="disjoint in x and y"),
        Case(((0, 0, 2, 2), (3, 0, 5, 2)), description="disjoint in x only"),
        Case(((0, 0, 2, 2), (2, 0, 4, 2)), description="touching edges"),
        Case(((0, 0, 10, 10), (2, 3, 5, 7)), description="one inside the other"),
        Case(((1.5, 2.0, 4.5, 6.0), (1.5, 2.0, 4.5, 6.0)), description="identical boxes"),
        Case(((2, 3, 5, 7), (0, 0, 10, 10)), description="inside, order swapped"),
    ]
    for _ in range(8):
        a0 = rng.uniform(0, 10, size=2)
        b0 = a0 + rng.uniform(-4, 4, size=2)
        a = (*a0, *(a0 + rng.uniform(0.5, 6, size=2)))
        b = (*b0, *(b0 + rng.uniform(0.5, 6, size=2)))
        cases.append(Case((tuple(float(v) for v in a), tuple(float(v) for v in b)),
                          description="random (seeded)"))
    return cases


def _iou_no_clip(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = w * h
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))


def _iou_union_sum(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return float(w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])))


def _iou_plus_one(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    inter = w * h
    union = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter
    return float(inter / union)


def _iou_over_min(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return float(w * h / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])))


register(Exercise(
    id="applications.iou",
    title="Intersection over union",
    chapter=CHAPTER,
    kind="function",
    prompt="Write iou(a, b) for two boxes a = (x0, y0, x1, y1) and b (corners in pixels, x1 > x0, "
           "y1 > y0): the area of their intersection divided by the area of their union, a float "
           "in [0, 1] (0 for boxes that do not overlap).",
    reference=iou,
    cases=_iou_cases,
    hints=[
        "The intersection is a box too: its left edge is the larger of the two left edges, its "
        "right edge the smaller of the two right edges (same for top and bottom).",
        "Its width is max(0, min(x1a, x1b) - max(x0a, x0b)): without the max(0, ...) two "
        "disjoint boxes get a positive product of two negative numbers. union = area_a + area_b "
        "- intersection.",
    ],
    mistakes=[
        Mistake("no clip", "Two boxes that do not overlap got a non-zero IoU: clip the "
                "intersection's width and height at 0 (two negative sides multiply to a positive "
                "area).", wrong=_iou_no_clip),
        Mistake("union = sum", "Your union counts the intersection twice: union = area_a + area_b "
                "- intersection (identical boxes must give 1).", wrong=_iou_union_sum),
        Mistake("+1 pixels", "You added 1 to widths and heights (the old inclusive-pixel "
                "convention): here corners are pixel edges, so the width is x1 - x0.",
                wrong=_iou_plus_one),
        Mistake("over min", "You divided by the smaller box's area (the intersection over the "
                "minimum), not by the union.", wrong=_iou_over_min),
    ],
    examples_wrong=[
        (_iou_no_clip, "clip"),
        (_iou_union_sum, "twice"),
        (_iou_over_min, "smaller box"),
    ],
    explanation="The intersection of two axis-aligned boxes is the box between the larger left "
                "and top edges and the smaller right and bottom edges, empty when those cross. "
                "IoU = inter / (area_a + area_b - inter) is 1 only for identical boxes and "
                "penalises a box that is too large as much as one that is too small.",
    solution_code='''\
def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area_a + area_b - inter)
''',
))


# --------------------------------------------------------------------------- applications.decode-box

def decode_box(row, col, t, stride):
    """The box of grid cell (row, col) with offsets t = (tx, ty, tw, th)."""
    tx, ty, tw, th = (float(v) for v in t)
    cx, cy = (col + tx) * stride, (row + ty) * stride
    w, h = stride * math.exp(tw), stride * math.exp(th)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _decode_cases(rng):
    cases = [
        Case((0, 0, (0.5, 0.5, 0.0, 0.0), 8), description="cell (0, 0), centred, one cell wide"),
        Case((1, 3, (0.5, 0.5, 0.0, 0.0), 4), description="row and column differ"),
        Case((2, 1, (0.25, 0.75, 0.0, 0.0), 4), description="off-centre, tx != ty"),
        Case((0, 2, (0.5, 0.5, math.log(2.0), 0.0), 4), description="twice as wide as a cell"),
        Case((3, 0, (0.1, 0.9, -0.5, 0.7), 8), description="tw != th, negative tw"),
        Case((1, 1, (0.0, 0.0, 0.0, 0.0), 16), description="stride 16, centre on a corner"),
    ]
    for _ in range(8):
        t = (float(rng.uniform(0, 1)), float(rng.uniform(0, 1)), float(rng.uniform(-1, 1)),
             float(rng.uniform(-1, 1)))
        cases.append(Case((int(rng.integers(0, 8)), int(rng.integers(0, 8)), t,
                           int(rng.choice([2, 4, 8, 16]))), description="random (seeded)"))
    return cases


def _dec_swapped(row, col, t, stride):
    return decode_box(col, row, t, stride)


def _dec_no_exp(row, col, t, stride):
    tx, ty, tw, th = t
    cx, cy = (col + tx) * stride, (row + ty) * stride
    w, h = stride * tw, stride * th
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _dec_full_width(row, col, t, stride):
    tx, ty, tw, th = t
    cx, cy = (col + tx) * stride, (row + ty) * stride
    w, h = stride * math.exp(tw), stride * math.exp(th)
    return (cx - w, cy - h, cx + w, cy + h)


def _dec_corner(row, col, t, stride):
    tx, ty, tw, th = t
    x0, y0 = (col + tx) * stride, (row + ty) * stride
    return (x0, y0, x0 + stride * math.exp(tw), y0 + stride * math.exp(th))


register(Exercise(
    id="applications.decode-box",
    title="Decoding a grid cell's box",
    chapter=CHAPTER,
    kind="function",
    prompt="Write decode_box(row, col, t, stride): the box (x0, y0, x1, y1) that cell (row, col) "
           "of a detector's output grid predicts with t = (tx, ty, tw, th). The centre is "
           "((col + tx) * stride, (row + ty) * stride); the width stride * exp(tw) and the height "
           "stride * exp(th). Return a tuple of 4 floats.",
    reference=decode_box,
    cases=_decode_cases,
    hints=[
        "x goes with the column and y with the row. Compute the centre and the size first.",
        "The corners are the centre minus and plus HALF the width (and height).",
    ],
    mistakes=[
        Mistake("row/col swapped", "x and y are swapped: the column gives x (horizontal), the row "
                "gives y.", wrong=_dec_swapped),
        Mistake("no exp", "The size is stride * exp(tw): the network predicts the log of the size "
                "(so that any tw gives a positive width).", wrong=_dec_no_exp),
        Mistake("full width", "You went a whole width from the centre to each side: the corners "
                "are centre -/+ width / 2.", wrong=_dec_full_width),
        Mistake("corner", "You used (col + tx) * stride as the left edge: it is the box's centre.",
                wrong=_dec_corner),
    ],
    examples_wrong=[
        (_dec_swapped, "swapped"),
        (_dec_no_exp, "exp"),
        (_dec_full_width, "width / 2"),
    ],
    explanation="Each cell predicts its object relative to itself: the centre as a fraction of "
                "the cell added to the cell's position, the size as a log-scale factor of the "
                "stride. Decoding puts the cell's position back and turns centre-and-size into "
                "corners.",
    solution_code='''\
def decode_box(row, col, t, stride):
    tx, ty, tw, th = t
    cx, cy = (col + tx) * stride, (row + ty) * stride
    w, h = stride * np.exp(tw), stride * np.exp(th)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
''',
))


# --------------------------------------------------------------------------- applications.nms

def nms(boxes, scores, iou_threshold):
    """Indices kept by non-maximum suppression, highest score first (a list of ints)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if iou(boxes[i], boxes[j]) <= iou_threshold]
    return keep


def _nms_cases(rng):
    b = [(0, 0, 4, 4), (1, 0, 5, 4), (10, 10, 14, 14), (0, 1, 4, 5), (11, 10, 15, 14)]
    cases = [
        Case(([(0, 0, 4, 4)], [0.9], 0.5), description="one box"),
        Case((b, [0.9, 0.8, 0.7, 0.6, 0.95], 0.5), description="two clusters, scores unsorted"),
        Case((b, [0.1, 0.8, 0.7, 0.6, 0.2], 0.5), description="best box not first"),
        Case((b, [0.9, 0.8, 0.7, 0.6, 0.5], 0.7), description="high threshold keeps more"),
        Case(([(0, 0, 2, 2), (0, 0, 2, 4)], [0.9, 0.8], 0.5), description="IoU exactly at the threshold"),
        Case(([(0, 0, 4, 4), (2, 0, 6, 4), (4, 0, 8, 4)], [0.9, 0.8, 0.7], 0.3),
             description="chain: the third box overlaps only a suppressed one"),
        Case(([(0, 0, 3, 3), (5, 5, 8, 8), (0, 5, 3, 8)], [0.3, 0.9, 0.5], 0.5),
             description="disjoint boxes, all kept, in score order"),
    ]
    for _ in range(5):
        k = int(rng.integers(3, 9))
        xy = rng.integers(0, 12, size=(k, 2))
        wh = rng.integers(2, 7, size=(k, 2))
        boxes = [tuple(float(v) for v in (*p, *(p + s))) for p, s in zip(xy, wh)]
        scores = [float(s) for s in rng.permutation(k) / k + 0.05]
        cases.append(Case((boxes, scores, float(rng.choice([0.3, 0.5]))), description="random (seeded)"))
    return cases


def _nms_no_sort(boxes, scores, iou_threshold):
    order, keep = list(range(len(scores))), []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if iou(boxes[i], boxes[j]) <= iou_threshold]
    return keep


def _nms_ge(boxes, scores, iou_threshold):
    order, keep = sorted(range(len(scores)), key=lambda i: -scores[i]), []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if iou(boxes[i], boxes[j]) < iou_threshold]
    return keep


def _nms_all_pairs(boxes, scores, iou_threshold):
    """Drops a box when ANY higher-scoring box overlaps it, suppressed ones included."""
    keep = []
    for i in sorted(range(len(scores)), key=lambda i: -scores[i]):
        if all(iou(boxes[i], boxes[j]) <= iou_threshold
               for j in range(len(scores)) if scores[j] > scores[i]):
            keep.append(i)
    return keep


def _nms_index_order(boxes, scores, iou_threshold):
    return sorted(nms(boxes, scores, iou_threshold))


register(Exercise(
    id="applications.nms",
    title="Non-maximum suppression",
    chapter=CHAPTER,
    kind="function",
    prompt="Write nms(boxes, scores, iou_threshold): boxes is a list of (x0, y0, x1, y1), scores "
           "a list of floats. Repeatedly keep the highest-scoring box left and remove every "
           "remaining box whose IoU with it is greater than iou_threshold. Return the kept "
           "indices as a list of ints, highest score first. Use detection.iou(a, b) (imported "
           "at the top of the chapter) for the overlaps.",
    reference=nms,
    cases=_nms_cases,
    hints=[
        "Sort the indices by score, highest first; then loop: take the first, keep it, and "
        "filter the rest against it.",
        "Only KEPT boxes suppress others: a box removed earlier must not remove anything. Remove "
        "when IoU > iou_threshold (strictly), keep when it is equal.",
    ],
    mistakes=[
        Mistake("no sort", "You processed the boxes in the given order: start with the "
                "highest score (sort the indices by score, descending).", wrong=_nms_no_sort),
        Mistake(">=", "A box whose IoU equals the threshold must stay: remove only when IoU > "
                "iou_threshold.", wrong=_nms_ge),
        Mistake("all pairs", "A box that was itself suppressed still suppressed others: only the "
                "boxes you keep may remove a box.", wrong=_nms_all_pairs),
        Mistake("index order", "The kept boxes must come highest score first, not in index "
                "order.", wrong=_nms_index_order),
    ],
    examples_wrong=[
        (_nms_no_sort, "highest score"),
        (_nms_ge, "IoU > iou_threshold"),
        (_nms_all_pairs, "only the boxes you keep"),
    ],
    explanation="A detector fires in several neighbouring cells on the same object; NMS keeps the "
                "most confident box of each cluster and drops the duplicates that overlap it, "
                "greedily, from the best score down.",
    solution_code='''\
def nms(boxes, scores, iou_threshold):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    while order:
        best = order.pop(0)
        keep.append(best)
        order = [j for j in order if detection.iou(boxes[best], boxes[j]) <= iou_threshold]
    return keep
''',
))


# --------------------------------------------------------------------------- applications.decoder-size

def decoder_size(H, n_stages, F, S, P):
    """Size after n_stages ConvTranspose2d(kernel F, stride S, padding P) layers in a row."""
    for _ in range(n_stages):
        H = (H - 1) * S - 2 * P + F
    return H


def _dsize_cases(rng):
    cases = [
        Case((4, 1, 4, 2, 1), description="one stage, kernel 4, stride 2, padding 1 (doubles)"),
        Case((4, 3, 4, 2, 1), description="three stages that double"),
        Case((5, 2, 3, 2, 1), description="kernel 3, stride 2, padding 1 (2H - 1)"),
        Case((7, 1, 2, 2, 0), description="kernel 2, stride 2, no padding"),
        Case((3, 2, 3, 1, 0), description="stride 1 grows by F - 1"),
        Case((6, 0, 4, 2, 1), description="zero stages"),
        Case((1, 2, 5, 3, 1), description="1-pixel input, stride 3"),
    ]
    for _ in range(8):
        F, S = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        P = int(rng.integers(0, (F + 1) // 2))
        cases.append(Case((int(rng.integers(2, 12)), int(rng.integers(1, 4)), F, S, P),
                          description="random (seeded)"))
    return cases


def _ds_conv(H, n, F, S, P):
    for _ in range(n):
        H = (H + 2 * P - F) // S + 1
    return H


def _ds_one(H, n, F, S, P):
    return (H - 1) * S - 2 * P + F


def _ds_times(H, n, F, S, P):
    return H * S ** n


def _ds_pad_once(H, n, F, S, P):
    for _ in range(n):
        H = (H - 1) * S - P + F
    return H


register(Exercise(
    id="applications.decoder-size",
    title="The output size of a decoder",
    chapter=CHAPTER,
    kind="function",
    prompt="Write decoder_size(H, n_stages, F, S, P): the height after n_stages transposed "
           "convolutions in a row, each with kernel F, stride S, padding P (no output padding, "
           "dilation 1), starting from height H. Return an int.",
    reference=decoder_size,
    cases=_dsize_cases,
    hints=[
        "One transposed convolution maps H to (H - 1) * S - 2P + F: the inverse of the "
        "convolution's formula.",
        "Apply it n_stages times, each stage's output being the next one's input (zero stages "
        "leave H unchanged).",
    ],
    mistakes=[
        Mistake("conv formula", "That is the size of an ordinary convolution (it shrinks): a "
                "transposed convolution gives (H - 1) * S - 2P + F.", wrong=_ds_conv),
        Mistake("one stage", "You applied one stage only: repeat the formula n_stages times.",
                wrong=_ds_one),
        Mistake("H * S**n", "H * S**n ignores the kernel and the padding: (H - 1) * S - 2P + F "
                "per stage (it equals 2H only for F = 4, S = 2, P = 1).", wrong=_ds_times),
        Mistake("P once", "The padding is removed on both sides: - 2P, not - P.", wrong=_ds_pad_once),
    ],
    examples_wrong=[
        (_ds_conv, "ordinary convolution"),
        (_ds_one, "one stage"),
        (_ds_times, "ignores the kernel"),
    ],
    explanation="A transposed convolution spreads the H inputs S apart ((H - 1) * S + 1 rows), "
                "adds a kernel's F - 1 rows and removes P from each side. Kernel 4, stride 2, "
                "padding 1 doubles the size exactly, which is why decoders use it.",
    solution_code='''\
def decoder_size(H, n_stages, F, S, P):
    for _ in range(n_stages):
        H = (H - 1) * S - 2 * P + F
    return H
''',
))


# --------------------------------------------------------------------------- applications.pixel-ce

def pixel_cross_entropy(logits, targets):
    """Mean over all N*H*W pixels of -log softmax(logits[n, :, i, j])[targets[n, i, j]]."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - _max(logits, axis=1, keepdims=True)
    log_probs = shifted - _log(_sum(_exp(shifted), axis=1, keepdims=True))
    picked = np.take_along_axis(log_probs, np.asarray(targets)[:, None], axis=1)
    return float(-picked.mean())


def _pce_cases(rng):
    def case(N, C, H, W, scale, description):
        logits = rng.normal(0, scale, size=(N, C, H, W))
        targets = rng.integers(0, C, size=(N, H, W))
        return Case((logits, targets), description=description)
    cases = [
        Case((np.zeros((1, 3, 1, 1)), np.array([[[2]]])), description="one pixel, equal logits: log 3"),
        case(1, 2, 2, 3, 1.0, "two classes, non-square"),
        case(2, 4, 3, 2, 1.0, "batch 2, four classes"),
        case(3, 3, 2, 2, 1.0, "batch 3, C = H = 3 x 2 x 2"),
        Case((np.array([[[[1000.0, 0.0]], [[0.0, 1000.0]]]]), np.array([[[0, 0]]])),
             description="logits of 1000 (overflow without the max shift)"),
        Case((np.array([[[[1000.0, 0.0]], [[999.0, 1.0]]]]), np.array([[[1, 0]]])),
             description="one pixel's logits near 1000, the other's near 0"),
        case(1, 3, 2, 2, 400.0, "large logits"),
        case(2, 5, 4, 4, 2.0, "five classes"),
    ]
    for _ in range(4):
        N, C, H, W = (int(v) for v in rng.integers(1, 5, size=4))
        cases.append(case(N, max(C, 2), H, W, 1.5, "random (seeded)"))
    return cases


def _pce_wrong_axis(logits, targets):
    lp = logits - np.log(np.sum(np.exp(logits - logits.max(-1, keepdims=True)), -1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    picked = np.take_along_axis(lp, np.asarray(targets)[:, None], axis=1)
    return float(-picked.mean())


def _pce_sum_over_pixels(logits, targets):
    return pixel_cross_entropy(logits, targets) * logits.shape[2] * logits.shape[3]


def _pce_unstable(logits, targets):
    with np.errstate(all="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return float(-np.log(np.take_along_axis(p, np.asarray(targets)[:, None], axis=1)).mean())


def _pce_no_log(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    return float(-np.take_along_axis(p, np.asarray(targets)[:, None], axis=1).mean())


register(Exercise(
    id="applications.pixel-ce",
    title="Per-pixel cross-entropy",
    chapter=CHAPTER,
    kind="function",
    prompt="Write pixel_cross_entropy(logits, targets): logits has shape (N, C, H, W) (a score per "
           "class for every pixel), targets (N, H, W) holds each pixel's class. Return the mean "
           "over all N*H*W pixels of -log softmax(logits[n, :, i, j])[targets[n, i, j]], as a "
           "float, and stay finite for logits of a few hundred.",
    reference=pixel_cross_entropy,
    cases=_pce_cases,
    rtol=1e-6,
    hints=[
        "Every pixel is one classification over the C channels: the softmax runs over axis 1.",
        "Subtract each pixel's max over axis 1 before exp (log-sum-exp), then pick the target's "
        "log-probability with np.take_along_axis(log_probs, targets[:, None], axis=1) and average.",
    ],
    mistakes=[
        Mistake("wrong axis", "Your softmax normalises over the last axis (the image width): the "
                "classes are axis 1 of (N, C, H, W).", wrong=_pce_wrong_axis),
        Mistake("sum over pixels", "You summed over the pixels of each image: the mean is over "
                "all N*H*W pixels.", wrong=_pce_sum_over_pixels),
        Mistake("no log", "You averaged the probabilities: the loss is minus the LOG of the "
                "target's probability.", wrong=_pce_no_log),
        Mistake("overflow", "Your loss is not finite for large logits: subtract each pixel's max "
                "over the classes before exp.",
                when=lambda got, expected, case: isinstance(got, float) and not math.isfinite(got)),
    ],
    examples_wrong=[
        (_pce_wrong_axis, "axis 1"),
        (_pce_sum_over_pixels, "N*H*W"),
        (_pce_unstable, "max"),
    ],
    explanation="Segmentation is classification at every pixel: the same cross-entropy as for "
                "one image, applied to each of the N*H*W pixels and averaged (what "
                "torch.nn.functional.cross_entropy does with (N, C, H, W) logits).",
    solution_code='''\
def pixel_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[:, None], axis=1)
    return float(-picked.mean())
''',
))
