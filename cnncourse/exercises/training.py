"""Exercises of the chapter *Training a complete CNN* (``book/training.ipynb``)."""
from __future__ import annotations

import numpy as np

from ._core import Case, Exercise, Mistake, register

CHAPTER = "training"


# --------------------------------------------------------------------------- training.adam-step

def adam_step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update (Kingma & Ba); ``t`` is the step number starting at 1. Returns ``(w, m, v)``.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``, ``m_hat = m / (1 - b1^t)``,
    ``v_hat = v / (1 - b2^t)``, ``w = w - lr * m_hat / (sqrt(v_hat) + eps)``.
    """
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_cases(rng):
    cases = [
        Case((np.array([1.0, -1.0]), np.array([0.5, -2.0]), np.zeros(2), np.zeros(2), 1),
             description="first step (t = 1, zero moments)"),
        Case((np.array([1.0, -1.0]), np.array([0.5, -2.0]), np.array([0.1, 0.1]), np.array([0.2, 0.3]), 5),
             description="fifth step"),
        Case((np.array([0.3]), np.array([1e-3]), np.zeros(1), np.zeros(1), 1, 0.1),
             description="tiny gradient, lr 0.1"),
        Case((np.array([1.0, -1.0]), np.array([0.5, -2.0]), np.array([0.1, 0.1]), np.array([0.2, 0.3]), 3),
             {"lr": 0.01, "beta1": 0.5, "beta2": 0.9, "eps": 0.1},
             description="beta1, beta2 and eps of your choice (keyword arguments)"),
        Case((np.array([2.0, 0.0, -3.0]), np.array([1.0, 0.0, -1.0]), np.zeros(3), np.zeros(3), 2,
              0.1, 0.8, 0.99, 0.5), description="every argument given, eps large"),
    ]
    for _ in range(4):
        shape = (int(rng.integers(1, 5)),)
        cases.append(Case((rng.standard_normal(shape), rng.standard_normal(shape),
                           rng.standard_normal(shape) * 0.1, rng.uniform(0, 1, shape),
                           int(rng.integers(1, 50))), description="random (seeded)"))
    for _ in range(3):
        shape = (int(rng.integers(1, 5)),)
        cases.append(Case((rng.standard_normal(shape), rng.standard_normal(shape),
                           rng.standard_normal(shape) * 0.1, rng.uniform(0, 1, shape),
                           int(rng.integers(1, 20))),
                          {"lr": float(rng.uniform(0.001, 0.5)), "beta1": float(rng.uniform(0.3, 0.95)),
                           "beta2": float(rng.uniform(0.5, 0.999)), "eps": float(rng.uniform(0.01, 1.0))},
                          description="random, every argument random (seeded)"))
    return cases


def _adam_no_correction(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * m / (np.sqrt(v) + eps), m, v


def _adam_eps_inside(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / np.sqrt(v_hat + eps), m, v


def _adam_grad_not_squared(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * np.abs(grad)
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


register(Exercise(
    id="training.adam-step",
    title="One step of Adam",
    chapter=CHAPTER,
    kind="function",
    prompt="Write adam_step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8) "
           "returning (w_new, m_new, v_new): update the two moving averages, correct their bias "
           "with the step number t (starting at 1), and step by lr * m_hat / (sqrt(v_hat) + eps).",
    reference=adam_step,
    cases=_adam_cases,
    hints=[
        "m is a moving average of the gradient, v of the SQUARED gradient: "
        "m = beta1 * m + (1 - beta1) * grad, v = beta2 * v + (1 - beta2) * grad**2.",
        "Both start at 0, so early on they are too small: divide by (1 - beta1**t) and "
        "(1 - beta2**t) to get m_hat and v_hat. Return the uncorrected m and v.",
        "w_new = w - lr * m_hat / (np.sqrt(v_hat) + eps): eps outside the square root.",
    ],
    mistakes=[
        Mistake("no bias correction", "You skipped the bias correction: at t = 1 the moving "
                "averages are only (1 - beta) times the gradient; divide m by (1 - beta1**t) and "
                "v by (1 - beta2**t) before the step.", wrong=_adam_no_correction),
        Mistake("eps inside", "You put eps inside the square root; Adam (and PyTorch) divide by "
                "sqrt(v_hat) + eps.", wrong=_adam_eps_inside),
        Mistake("not squared", "v must average the SQUARED gradient (grad ** 2), not its absolute "
                "value.", wrong=_adam_grad_not_squared),
    ],
    examples_wrong=[
        (_adam_no_correction, "bias correction"),
        (_adam_eps_inside, "sqrt(v_hat) + eps"),
        (_adam_grad_not_squared, "SQUARED"),
    ],
    explanation="m_hat / sqrt(v_hat) is the gradient's mean divided by its root mean square: "
                "about +-1 for a consistent gradient whatever its scale, so every parameter "
                "moves by about lr per step. The bias correction matters only for the first "
                "few hundred steps, when the averages are still dominated by their zero start.",
    solution_code='''\
def adam_step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
''',
))


# --------------------------------------------------------------------------- training.shift-augment

def shift_batch(X, dx, dy):
    """Shift image ``n`` of ``X`` (N, C, H, W) by ``dx[n]`` columns right and ``dy[n]`` rows down,
    filling with zeros: ``out[n, :, i, j] = X[n, :, i - dy[n], j - dx[n]]`` where that exists."""
    out = np.zeros_like(X)
    H, W = X.shape[2:]
    for n in range(X.shape[0]):
        a, b = int(dy[n]), int(dx[n])
        if abs(a) >= H or abs(b) >= W:
            continue                                   # shifted out of the frame: all zeros
        out[n, :, max(a, 0):H + min(a, 0), max(b, 0):W + min(b, 0)] = \
            X[n, :, max(-a, 0):H - max(a, 0), max(-b, 0):W - max(b, 0)]
    return out


def _shift_case(rng, N, C, H, W, reach, description):
    X = rng.integers(1, 10, size=(N, C, H, W)).astype(np.float64)
    dx = rng.integers(-reach, reach + 1, size=N)
    dy = rng.integers(-reach, reach + 1, size=N)
    return Case((X, dx, dy), description=description)


def _shift_cases(rng):
    x33 = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    cases = [
        Case((x33, np.array([1]), np.array([0])), description="one 3x3 image, 1 pixel right"),
        Case((x33, np.array([0]), np.array([-1])), description="1 pixel up"),
        Case((np.arange(1.0, 13.0).reshape(1, 1, 3, 4), np.array([-2]), np.array([1])),
             description="non-square 3x4, 2 left and 1 down"),
        Case((np.arange(1.0, 19.0).reshape(2, 1, 3, 3), np.array([0, 3]), np.array([0, 0])),
             description="batch 2: no shift, and a shift by the whole width"),
        Case((np.arange(1.0, 25.0).reshape(1, 2, 3, 4), np.array([1]), np.array([2])),
             description="2 channels move together"),
    ]
    for _ in range(3):
        N, C = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        H, W = int(rng.integers(3, 8)), int(rng.integers(3, 8))
        cases.append(_shift_case(rng, N, C, H, W, 3, "random batch, shifts up to 3 (seeded)"))
    return cases


def _shift_roll(X, dx, dy):  # np.roll: what leaves one side comes back on the other
    return np.stack([np.roll(X[n], (int(dy[n]), int(dx[n])), axis=(1, 2)) for n in range(len(X))])


def _shift_reversed(X, dx, dy):  # out[i] = X[i + dy]: moved up and left
    return shift_batch(X, -np.asarray(dx), -np.asarray(dy))


def _shift_swapped(X, dx, dy):  # dx applied to the rows, dy to the columns
    return shift_batch(X, dy, dx)


register(Exercise(
    id="training.shift-augment",
    title="Shift augmentation with zero fill",
    chapter=CHAPTER,
    kind="function",
    prompt="Write shift_batch(X, dx, dy) for a batch X (N, C, H, W) and int arrays dx, dy of "
           "shape (N,): image n moved dx[n] pixels to the right and dy[n] pixels down "
           "(negative: left, up), all its channels together, the uncovered pixels filled with "
           "0: out[n, :, i, j] = X[n, :, i - dy[n], j - dx[n]] where that pixel exists, else 0. "
           "Return a new array of X's shape and dtype; leave X unchanged.",
    reference=shift_batch,
    cases=_shift_cases,
    hints=[
        "Start from out = np.zeros_like(X) and copy one rectangle per image: the part of the "
        "image that is still inside the frame after the shift.",
        "For a shift a >= 0 down, rows 0 .. H - a - 1 of the source land on rows a .. H - 1; "
        "for a < 0 rows -a .. H - 1 land on 0 .. H + a - 1. The same for columns with dx. A "
        "shift of H or more leaves nothing.",
    ],
    mistakes=[
        Mistake("roll", "Pixels that leave one side of your image come back on the other: "
                "np.roll wraps around. A shifted digit must leave zeros behind (the canvas "
                "outside the image is empty), so copy the part that stays inside the frame.",
                wrong=_shift_roll),
        Mistake("reversed", "Your images move the opposite way: a positive dx moves the content "
                "to the RIGHT, so out[:, :, :, dx:] = X[:, :, :, :W - dx].", wrong=_shift_reversed),
        Mistake("swapped", "You moved the rows by dx and the columns by dy: dx is horizontal "
                "(the last axis, W), dy vertical (axis 2, H).", wrong=_shift_swapped),
    ],
    examples_wrong=[
        (_shift_roll, "np.roll wraps"),
        (_shift_reversed, "opposite way"),
        (_shift_swapped, "dx is horizontal"),
    ],
    explanation="Augmentation shows the network the variation it should ignore. A convolution is "
                "equivariant to shifts that keep the content inside the frame, but the dense "
                "head is not: shifted copies of the training digits teach the whole network "
                "to tolerate small moves. Wrap-around would teach it something false: digits "
                "are not periodic.",
    solution_code='''\
def shift_batch(X, dx, dy):
    out = np.zeros_like(X)
    H, W = X.shape[2:]
    for n in range(X.shape[0]):
        a, b = int(dy[n]), int(dx[n])
        if abs(a) >= H or abs(b) >= W:
            continue  # shifted out of the frame: all zeros
        # destination rows/columns <- source rows/columns that stay inside the frame
        out[n, :, max(a, 0):H + min(a, 0), max(b, 0):W + min(b, 0)] = \\
            X[n, :, max(-a, 0):H - max(a, 0), max(-b, 0):W - max(b, 0)]
    return out
''',
))


# --------------------------------------------------------------------------- training.kfold-split

def kfold_split(n, k, fold):
    """Indices ``(train_idx, val_idx)`` of fold ``fold`` of ``k`` for ``n`` samples (no shuffling).

    The folds are ``np.array_split(np.arange(n), k)``: sizes differ by at most one, the first
    ``n % k`` folds are one longer. ``val_idx`` is fold ``fold``; ``train_idx`` the others, in
    increasing order.
    """
    folds = np.array_split(np.arange(n), k)
    val = folds[fold]
    train = np.concatenate([f for i, f in enumerate(folds) if i != fold])
    return train, val


def _kfold_cases(rng):
    cases = [
        Case((6, 3, 0), description="6 samples, 3 folds, first fold"),
        Case((6, 3, 2), description="last fold"),
        Case((10, 3, 0), description="k does not divide n (first fold is longer)"),
        Case((10, 3, 2), description="k does not divide n (last fold)"),
        Case((5, 5, 4), description="leave-one-out"),
    ]
    for _ in range(4):
        k = int(rng.integers(2, 6))
        n = int(rng.integers(k, 30))
        cases.append(Case((n, k, int(rng.integers(0, k))), description="random (seeded)"))
    return cases


def _kfold_drop_remainder(n, k, fold):  # fold size n // k: the last samples are never validated
    size = n // k
    val = np.arange(fold * size, (fold + 1) * size)
    return np.setdiff1d(np.arange(n), val), val


def _kfold_leak(n, k, fold):  # validation samples left in the training set
    return np.arange(n), kfold_split(n, k, fold)[1]


def _kfold_swapped(n, k, fold):
    train, val = kfold_split(n, k, fold)
    return val, train


register(Exercise(
    id="training.kfold-split",
    title="k-fold cross-validation indices",
    chapter=CHAPTER,
    kind="function",
    prompt="Write kfold_split(n, k, fold) returning (train_idx, val_idx) for fold number fold "
           "(0 <= fold < k) of n samples, without shuffling: split np.arange(n) into k "
           "consecutive folds whose sizes differ by at most one (the first n % k folds one "
           "longer, as np.array_split does); val_idx is the chosen fold, train_idx all the other "
           "indices in increasing order.",
    reference=kfold_split,
    cases=_kfold_cases,
    hints=[
        "np.array_split(np.arange(n), k) gives the k folds as a list, sizes differing by at most 1.",
        "val_idx = folds[fold]; train_idx = np.concatenate of the other folds.",
    ],
    mistakes=[
        Mistake("leak", "Your training indices include the validation fold: a model validated on "
                "samples it was trained on looks better than it is. Leave the fold out.",
                wrong=_kfold_leak),
        Mistake("swapped", "You swapped the two: val_idx is the ONE chosen fold, train_idx the "
                "other k - 1.", wrong=_kfold_swapped),
        Mistake("remainder dropped", "Your folds all have n // k samples, so the last n % k "
                "samples are never validated. Let the first n % k folds be one longer "
                "(np.array_split).", wrong=_kfold_drop_remainder),
    ],
    examples_wrong=[
        (_kfold_leak, "Leave the fold out"),
        (_kfold_swapped, "ONE chosen fold"),
        (_kfold_drop_remainder, "never validated"),
    ],
    explanation="Every sample is validated exactly once and trained on k - 1 times; averaging "
                "the k validation scores gives an estimate that does not depend on one lucky "
                "or unlucky split.",
    solution_code='''\
def kfold_split(n, k, fold):
    folds = np.array_split(np.arange(n), k)
    val_idx = folds[fold]
    train_idx = np.concatenate([f for i, f in enumerate(folds) if i != fold])
    return train_idx, val_idx
''',
))


# --------------------------------------------------------------------------- training.shift-predict

register(Exercise(
    id="training.shift-predict",
    title="Predict the shift curves of the two heads",
    chapter=CHAPTER,
    kind="choice",
    prompt="The same convolutional body, trained on centred digits without augmentation, with "
           "two heads: Flatten + Linear, and global max pooling + Linear. The test digits are "
           "shifted by 0, 2, 4 and 6 pixels right and down on a canvas where no shift crops "
           "any ink. Before you run the experiment: which statements will it bear out? Give "
           "the set of keys.",
    options={
        "a": "Flatten + Linear: the accuracy falls as the digits move, although no ink is lost",
        "b": "global max pooling + Linear: the accuracy stays within a few points of its "
             "accuracy on centred digits at every shift",
        "c": "Flatten + Linear stays flat too: the convolutions are equivariant, so the "
             "features move with the digit",
        "d": "the global-pooling network is guaranteed to give exactly the same predictions at "
             "every shift, since a global max cannot see positions",
        "e": "neither copes with shifts: both were trained on centred digits only, and only "
             "augmentation with shifted copies teaches a network to tolerate them",
    },
    answer={"a", "b"},
    hints=[
        "Follow one feature map through each head: the convolutions move it with the digit. "
        "What does each head do with a map that has moved?",
        "A Linear layer on the flattened maps has one weight per feature AND position; a global "
        "max keeps one number per map, wherever the feature is. Between the input and the "
        "global max there are two 2 x 2 poolings with stride 2.",
    ],
    mistakes=[
        Mistake("flatten flat", "The convolutions are equivariant, so the features do move with "
                "the digit, and that is the Flatten + Linear head's problem: after a shift "
                "each feature meets the weight of another position, one the head never "
                "learned for it.", wrong="c"),
        Mistake("exact", "Nothing guarantees exactly the same predictions: after the two "
                "2 x 2 poolings with stride 2, a 2-pixel shift of the input is not a plain "
                "shift of the pooled maps (their windows now group other pixels), so the global "
                "max changes a little. The curve is nearly flat, not exactly flat.", wrong="d"),
        Mistake("needs augmentation", "Augmentation is one way to tolerate shifts, but not the "
                "only one: a global max keeps one number per feature map wherever the feature "
                "is, so the pooled head copes with shifts it never saw in training.",
                wrong="e"),
        Mistake("too few", "Your set leaves out at least one statement the experiment bears "
                "out. For each head, ask what it does with a feature map that has moved by a "
                "few cells.", when=lambda got, expected, case: not expected <= got),
    ],
    examples_wrong=[
        ({"a", "b", "c"}, "each feature meets the weight of another position"),
        ({"a", "b", "d"}, "nearly flat, not exactly flat"),
        ({"a", "e"}, "not the only one"),
        ("b", "leaves out at least one statement"),
    ],
    explanation="The convolutional body is equivariant: the feature maps move with the digit. "
                "A Flatten + Linear head gives every feature at every position its own weight, "
                "so it reads a moved map with weights learned for other positions and its "
                "accuracy collapses, with no ink lost. A global max keeps one number per map "
                "wherever the feature is: nearly invariant, and not exactly, because the "
                "stride-2 poolings sample a 2-pixel shift differently from a 4-pixel one.",
    solution_code='''\
# (a) the dense head ties each feature to its position: it falls.
# (b) global max pooling forgets the position: nearly flat.
# (c) is the reason for (a), not its opposite; (d) forgets the stride-2
# poolings; (e) forgets what a global max does.
answer = {"a", "b"}
''',
))


# --------------------------------------------------------------------------- training.shift-curve

def _shift_all(X, dx, dy):
    """Every image of X moved dx pixels right and dy down, zero fill (one shift for all)."""
    n = X.shape[0]
    return shift_batch(X, np.full(n, int(dx)), np.full(n, int(dy)))


def shift_curve(predict, X, y, shifts):
    """Accuracy of ``predict`` and the ink kept, for every shift ``(dx, dy)`` of ``shifts``.

    Every image of ``X`` (N, C, H, W) is moved ``dx`` pixels right and ``dy`` down with zero
    fill (nothing wraps around). Returns ``(accuracy, ink)``, float arrays of shape
    ``(len(shifts),)``: the fraction of images whose predicted label ``predict(moved)`` equals
    ``y``, and the fraction of the batch's total ink ``moved.sum() / X.sum()`` still on the
    canvas (1 where no shift crops).
    """
    accuracy, ink = [], []
    total = X.sum()
    for dx, dy in shifts:
        moved = _shift_all(X, dx, dy)
        accuracy.append(np.mean(predict(moved) == y))
        ink.append(moved.sum() / total)
    return np.array(accuracy, dtype=np.float64), np.array(ink, dtype=np.float64)


def _templates(shape, k, salt):
    seed = int(np.prod(shape)) * 7 + sum(int(s) * 31 ** i for i, s in enumerate(shape)) + salt
    return np.random.default_rng(seed).standard_normal((k,) + tuple(shape))


def dense_classifier(X):
    """A position-tied classifier, like Flatten + Linear: 4 fixed random templates of X's image
    shape, predicted class = the template with the largest dot product with the image."""
    T = _templates(X.shape[1:], 4, 0)
    return np.argmax(np.einsum("nchw,kchw->nk", X, T), axis=1)


def pooled_classifier(X):
    """A position-blind classifier, like global pooling + Linear: per channel the maximum and the
    sum of the image, then a fixed random linear map to 4 classes."""
    feats = np.concatenate([X.max(axis=(2, 3)), X.sum(axis=(2, 3)) / 8], axis=1)
    M = _templates((feats.shape[1],), 4, 1)
    return np.argmax(feats @ M.T, axis=1)


def centre_classifier(X):
    """Class from where the ink is: the row and column of its centre of mass, in 2-pixel bands
    (4 classes). Moving the ink right, left, up or down changes the answer differently."""
    ink = X.sum(axis=1)
    total = np.maximum(ink.sum(axis=(1, 2)), 1e-12)
    rows = (ink.sum(axis=2) * np.arange(ink.shape[1])).sum(axis=1) / total
    cols = (ink.sum(axis=1) * np.arange(ink.shape[2])).sum(axis=1) / total
    return ((np.floor(cols / 2) + 2 * np.floor(rows / 2)) % 4).astype(np.int64)


def _digit(rng, N, C, H, W, margin):
    """Integer 'ink' (1..9) in a random blob at least ``margin`` pixels from every edge."""
    X = np.zeros((N, C, H, W))
    for n in range(N):
        h = int(rng.integers(1, H - 2 * margin + 1))
        w = int(rng.integers(1, W - 2 * margin + 1))
        i = int(rng.integers(margin, H - margin - h + 1))
        j = int(rng.integers(margin, W - margin - w + 1))
        X[n, :, i:i + h, j:j + w] = rng.integers(1, 10, size=(C, h, w))
    return X


def _curve_case(rng, predict, N, C, H, W, margin, shifts, description):
    X = _digit(rng, N, C, H, W, margin)
    k = int(rng.integers(len(shifts)))
    y = predict(_shift_all(X, *shifts[k]))                   # right at one of the shifts ...
    noisy = rng.random(N) < 0.25
    y = np.where(noisy, rng.integers(0, 4, size=N), y)       # ... except for a few images
    return Case((predict, X, y.astype(np.int64), list(shifts)), description=description)


def _curve_cases(rng):
    x = np.zeros((2, 1, 6, 6))
    x[0, 0, 2:4, 1:3] = [[1, 2], [3, 4]]
    x[1, 0, 1:3, 3:5] = [[5, 0], [6, 7]]
    cases = [
        Case((centre_classifier, x, centre_classifier(x), [(0, 0), (2, 0), (0, 2)]),
             description="two 6x6 images, 2 pixels right, then 2 down"),
        Case((centre_classifier, x, centre_classifier(_shift_all(x, -1, -1)),
              [(-1, -1), (1, 1), (2, 1)]),
             description="left and up, then right and down"),
        _curve_case(rng, dense_classifier, 6, 1, 6, 8, 2, [(0, 0), (1, 2), (2, 1)],
                    "non-square 6x8 canvas, a position-tied classifier"),
        _curve_case(rng, pooled_classifier, 6, 2, 8, 8, 3, [(0, 0), (2, 2), (-3, 3), (3, -2)],
                    "roomy canvas, 2 channels, a position-blind classifier: a flat curve"),
        _curve_case(rng, dense_classifier, 5, 1, 6, 6, 0, [(0, 0), (2, 2), (4, 0)],
                    "ink at the edge: a shift crops it (ink lost, not wrapped)"),
        _curve_case(rng, centre_classifier, 4, 1, 7, 5, 1, [(3, 3)],
                    "one shift only"),
    ]
    for predict in (dense_classifier, pooled_classifier, centre_classifier):
        N, C = int(rng.integers(3, 9)), int(rng.integers(1, 3))
        H, W = int(rng.integers(5, 10)), int(rng.integers(5, 10))
        shifts = [tuple(int(v) for v in rng.integers(-3, 4, size=2))
                  for _ in range(int(rng.integers(2, 5)))]
        cases.append(_curve_case(rng, predict, N, C, H, W, int(rng.integers(0, 2)), shifts,
                                 "random canvas and shifts (seeded)"))
    return cases


def _curve_roll(predict, X, y, shifts):  # np.roll: ink that leaves one side comes back
    acc, ink = [], []
    for dx, dy in shifts:
        moved = np.roll(X, (int(dy), int(dx)), axis=(2, 3))
        acc.append(np.mean(predict(moved) == y))
        ink.append(moved.sum() / X.sum())
    return np.array(acc), np.array(ink)


def _curve_reversed(predict, X, y, shifts):  # moved left and up
    return shift_curve(predict, X, y, [(-dx, -dy) for dx, dy in shifts])


def _curve_swapped(predict, X, y, shifts):  # dx applied to the rows
    return shift_curve(predict, X, y, [(dy, dx) for dx, dy in shifts])


def _curve_count(predict, X, y, shifts):  # number of right answers, not the fraction
    acc, ink = shift_curve(predict, X, y, shifts)
    return acc * len(y), ink


def _curve_cumulative(predict, X, y, shifts):  # each shift applied to the last shifted batch
    acc, ink = [], []
    moved = X
    for dx, dy in shifts:
        moved = _shift_all(moved, dx, dy)
        acc.append(np.mean(predict(moved) == y))
        ink.append(moved.sum() / X.sum())
    return np.array(acc), np.array(ink)


def _curve_ink_lost(predict, X, y, shifts):  # the ink cut off instead of the ink kept
    acc, ink = shift_curve(predict, X, y, shifts)
    return acc, 1 - ink


def _curve_no_channel_axis(predict, X, y, shifts):  # slicing written for (N, H, W): axes 1, 2
    acc, ink = [], []
    for dx, dy in shifts:
        moved = np.moveaxis(_shift_all(np.moveaxis(X, 3, 1), dy, dx), 1, 3)
        acc.append(np.mean(predict(moved) == y))
        ink.append(moved.sum() / X.sum())
    return np.array(acc), np.array(ink)


register(Exercise(
    id="training.shift-curve",
    title="Measure a shift curve, and the ink it keeps",
    chapter=CHAPTER,
    kind="function",
    prompt="Write shift_curve(predict, X, y, shifts). predict maps a batch (N, C, H, W) to "
           "predicted labels (N,); X is a batch of images on a canvas, y their labels, shifts a "
           "list of (dx, dy) pairs. For each pair move every image dx pixels right and dy "
           "pixels down (negative: left, up), filling with zeros: "
           "moved[n, c, i, j] = X[n, c, i - dy, j - dx] where that pixel exists, else 0. "
           "Return (accuracy, ink), two float arrays of shape (len(shifts),): the fraction of "
           "images with predict(moved) == y, and the fraction of the batch's ink still on the "
           "canvas, moved.sum() / X.sum() (1 where no shift crops).",
    reference=shift_curve,
    cases=_curve_cases,
    hints=[
        "Loop over the pairs; for each, build the moved batch from the ORIGINAL X: "
        "moved = np.zeros_like(X), then copy the rectangle of X that stays inside the "
        "frame (rows and columns are axes 2 and 3 of an NCHW batch).",
        "For dy >= 0 the rows 0 .. H - dy - 1 of X land on rows dy .. H - 1; for dy < 0 rows "
        "-dy .. H - 1 land on 0 .. H + dy - 1 (the same for the columns with dx). Then "
        "np.mean(predict(moved) == y) and moved.sum() / X.sum().",
    ],
    mistakes=[
        Mistake("roll", "Your ink never gets lost: np.roll wraps the ink that leaves one side "
                "back in at the other, so a digit pushed off the canvas comes back in pieces "
                "and the accuracy is measured on images that never existed. Fill with zeros; "
                "then the ink kept tells you whether a shift cropped.", wrong=_curve_roll),
        Mistake("reversed", "Your images move the wrong way: a positive dx moves the content "
                "to the RIGHT (moved[..., j] = X[..., j - dx]), a positive dy DOWN.",
                wrong=_curve_reversed),
        Mistake("swapped", "You moved the rows by dx and the columns by dy: dx is horizontal "
                "(the last axis, W), dy vertical (axis 2, H).", wrong=_curve_swapped),
        Mistake("count", "Your accuracies are counts of right answers: divide by the number "
                "of images, so that curves of different test sets compare.", wrong=_curve_count),
        Mistake("cumulative", "Each of your shifts starts from the previous shifted batch, so "
                "the shifts add up: move the ORIGINAL X by each pair.", wrong=_curve_cumulative),
        Mistake("ink lost", "You returned the ink cut off (1 - kept); the second array is the "
                "fraction of ink still on the canvas, moved.sum() / X.sum().",
                wrong=_curve_ink_lost),
        Mistake("channel axis", "You shifted the wrong axes: in an NCHW batch the channels are "
                "axis 1, the rows axis 2 and the columns axis 3. Slicing written for (N, H, W) "
                "images moves the channels instead of the rows.", wrong=_curve_no_channel_axis),
    ],
    examples_wrong=[
        (_curve_roll, "np.roll wraps"),
        (_curve_reversed, "wrong way"),
        (_curve_swapped, "dx is horizontal"),
        (_curve_count, "counts of right answers"),
        (_curve_cumulative, "the shifts add up"),
        (_curve_no_channel_axis, "wrong axes"),
    ],
    explanation="A shift curve measures shift sensitivity only where the ink stays on the "
                "canvas: a shift that crops a digit measures the crop as well, the confound of "
                "the first MLP-versus-CNN comparison. Returning the ink kept next to the "
                "accuracy makes that visible in the same table. On the no-crop canvas of this "
                "section, shift_curve(lambda X: train.predict(net, X / scale), canvas_test, "
                "small.y_test, [(s, s) for s in shift_px]) gives the rows printed above and an "
                "ink of 1 everywhere.",
    solution_code='''\
def shift_curve(predict, X, y, shifts):
    H, W = X.shape[2:]
    accuracy, ink = [], []
    for dx, dy in shifts:
        moved = np.zeros_like(X)   # from the ORIGINAL X, zeros coming in
        if abs(dy) < H and abs(dx) < W:
            moved[:, :, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
                X[:, :, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
        accuracy.append(np.mean(predict(moved) == y))
        ink.append(moved.sum() / X.sum())
    return np.array(accuracy), np.array(ink)
''',
))


# --------------------------------------------------------------------------- training.head-shift

def shift_head(weight, feature_shape, dx, dy):
    """The weights of a Flatten + Linear head moved with its features.

    ``weight`` (K, C*H*W) reads features flattened in NCHW order (feature ``(c, i, j)`` at
    column ``c*H*W + i*W + j``); ``feature_shape`` is ``(C, H, W)``. Returns the weights for
    features moved ``dx`` cells right and ``dy`` down:
    ``new[k, c, i, j] = old[k, c, i - dy, j - dx]`` where that exists, else 0.
    """
    C, H, W = feature_shape
    K = weight.shape[0]
    return _shift_all(weight.reshape(K, C, H, W), dx, dy).reshape(K, C * H * W)


def _head_cases(rng):
    w12 = np.arange(1.0, 13.0).reshape(1, 12)
    cases = [
        Case((w12, (1, 3, 4), 1, 0), description="one class, one 3x4 map, 1 cell right"),
        Case((w12, (1, 3, 4), 0, -1), description="1 cell up"),
        Case((w12, (3, 2, 2), 1, 1), description="3 channels of 2x2: each moves on its own"),
        Case((np.arange(1.0, 25.0).reshape(2, 12), (1, 4, 3), -1, 2),
             description="two classes, a 4x3 map, 1 left and 2 down"),
        Case((np.arange(1.0, 9.0).reshape(2, 4), (1, 2, 2), 0, 0), description="no shift"),
        Case((np.arange(1.0, 9.0).reshape(1, 8), (2, 2, 2), 2, 0),
             description="a shift by the whole width: nothing left"),
    ]
    for _ in range(4):
        K, C = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        H, W = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        cases.append(Case((rng.standard_normal((K, C * H * W)), (C, H, W),
                           int(rng.integers(-2, 3)), int(rng.integers(-2, 3))),
                          description="random head and shift (seeded)"))
    return cases


def _head_flat(weight, feature_shape, dx, dy):  # the flat vector shifted by dy*W + dx
    C, H, W = feature_shape
    return np.roll(weight, dy * W + dx, axis=1)


def _head_flat_zero_fill(weight, feature_shape, dx, dy):  # flat shift, zeros coming in
    C, H, W = feature_shape
    s = dy * W + dx
    new = np.zeros_like(weight)
    if abs(s) >= weight.shape[1]:                 # everything shifted out
        return new
    if s >= 0:
        new[:, s:] = weight[:, :weight.shape[1] - s]
    else:
        new[:, :s] = weight[:, -s:]
    return new


def _head_channels_last(weight, feature_shape, dx, dy):  # read as (K, H, W, C)
    C, H, W = feature_shape
    K = weight.shape[0]
    w = np.moveaxis(weight.reshape(K, H, W, C), 3, 1)
    return np.moveaxis(_shift_all(w, dx, dy), 1, 3).reshape(K, -1)


def _head_reversed(weight, feature_shape, dx, dy):
    return shift_head(weight, feature_shape, -dx, -dy)


def _head_swapped(weight, feature_shape, dx, dy):
    return shift_head(weight, feature_shape, dy, dx)


def _head_roll(weight, feature_shape, dx, dy):  # wraps around each map
    C, H, W = feature_shape
    K = weight.shape[0]
    return np.roll(weight.reshape(K, C, H, W), (dy, dx), axis=(2, 3)).reshape(K, -1)


register(Exercise(
    id="training.head-shift",
    title="Move the dense head with the features",
    chapter=CHAPTER,
    kind="function",
    prompt="A Flatten + Linear head reads features of shape (C, H, W) flattened in NCHW order: "
           "feature (c, i, j) meets column c*H*W + i*W + j of the weight (K, C*H*W). Write "
           "shift_head(weight, feature_shape, dx, dy) returning new weights, same shape, that "
           "read features moved dx cells right and dy cells down as the old weights read the "
           "unmoved ones: new[k, c, i, j] = old[k, c, i - dy, j - dx] where that cell exists, "
           "else 0 (a position the head never learned). Leave weight unchanged.",
    reference=shift_head,
    cases=_head_cases,
    hints=[
        "Reshape the weight to (K, C, H, W): one weight map per class and channel, laid out "
        "like the feature maps. Moving the head is then moving these maps.",
        "new = np.zeros_like(w4); copy the rectangle that stays inside each map, as for an "
        "image shift (rows are axis 2, columns axis 3); then reshape back to (K, C*H*W).",
    ],
    mistakes=[
        Mistake("flat", "You shifted the flat weight vector: a flat shift by dy*W + dx carries "
                "the weights at the end of each row into the start of the next row, and from "
                "one channel into the next. Reshape to (K, C, H, W) first and move each map.",
                wrong=_head_flat),
        Mistake("flat, zero fill", "You shifted the flat weight vector by dy*W + dx: that "
                "carries the weights at the end of each row into the start of the next row, "
                "and from one channel into the next. Reshape to (K, C, H, W) first and move "
                "each map.", wrong=_head_flat_zero_fill),
        Mistake("channels last", "You read the weight as (K, H, W, C); Flatten keeps the NCHW "
                "order, so feature (c, i, j) sits at column c*H*W + i*W + j: reshape to "
                "(K, C, H, W).", wrong=_head_channels_last),
        Mistake("reversed", "Your weights move the opposite way: for features moved dx cells "
                "to the RIGHT, the weight of cell j must land on cell j + dx: "
                "new[..., j] = old[..., j - dx].", wrong=_head_reversed),
        Mistake("swapped", "You moved the rows by dx and the columns by dy: dx is horizontal "
                "(the last axis, W), dy vertical (H).", wrong=_head_swapped),
        Mistake("roll", "Your weights wrap around: np.roll carries the weights that leave one "
                "side of a map in at the other, so the head reads cells with weights learned "
                "for the opposite edge. Those cells get 0.", wrong=_head_roll),
    ],
    examples_wrong=[
        (_head_flat, "flat weight vector"),
        (_head_channels_last, "NCHW order"),
        (_head_reversed, "opposite way"),
        (_head_swapped, "dx is horizontal"),
        (_head_roll, "wrap around"),
    ],
    explanation="The convolutions move the features with the digit; the Flatten + Linear head "
                "has a weight per feature and position and does not move. Moving its weights by "
                "the features' shift (a 4-pixel shift of the input is one cell of the 7 x 7 "
                "maps after two stride-2 poolings) gives the network back its accuracy at that "
                "shift, and costs it at every other one: the head, not the convolutions, ties "
                "the classifier to positions. A global max removes that tie for all shifts at "
                "once.",
    solution_code='''\
def shift_head(weight, feature_shape, dx, dy):
    C, H, W = feature_shape
    K = weight.shape[0]
    w4 = weight.reshape(K, C, H, W)   # Flatten's order: one weight map per class and channel
    new = np.zeros_like(w4)
    if abs(dy) < H and abs(dx) < W:
        new[:, :, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
            w4[:, :, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return new.reshape(K, C * H * W)
''',
))
