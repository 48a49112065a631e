"""Exercises of the chapter *Training a complete CNN* (``book/training.ipynb``)."""
from __future__ import annotations

import numpy as np

from ._core import Case, Exercise, Mistake, register

CHAPTER = "training"


# --------------------------------------------------------------------------- training.sgd-momentum

def sgd_momentum_step(w, grad, velocity, lr, momentum):
    """One SGD-with-momentum update in PyTorch's form; returns ``(w_new, velocity_new)``.

    ``velocity_new = momentum * velocity + grad`` and ``w_new = w - lr * velocity_new``
    (what :class:`cnncourse.optim.SGD` does with ``momentum > 0``).
    """
    velocity_new = momentum * velocity + grad
    return w - lr * velocity_new, velocity_new


def _momentum_cases(rng):
    cases = [
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.zeros(2), 0.1, 0.9),
             description="first step (velocity 0)"),
        Case((np.array([1.0, -2.0]), np.array([0.5, -1.0]), np.array([1.0, 2.0]), 0.1, 0.9),
             description="velocity already built up"),
        Case((np.array([[3.0, 1.0]]), np.array([[1.0, 1.0]]), np.array([[2.0, -2.0]]), 0.5, 0.0),
             description="momentum 0 (plain SGD)"),
    ]
    for _ in range(4):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=2))
        cases.append(Case((rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape),
                           float(rng.uniform(0.001, 0.5)), float(rng.uniform(0.5, 0.99))),
                          description="random (seeded)"))
    return cases


def _momentum_ignored(w, grad, velocity, lr, momentum):
    return w - lr * grad, grad


def _momentum_plus(w, grad, velocity, lr, momentum):  # stepped uphill
    v = momentum * velocity + grad
    return w + lr * v, v


def _momentum_old_velocity(w, grad, velocity, lr, momentum):  # used the velocity before updating it
    return w - lr * velocity, momentum * velocity + grad


register(Exercise(
    id="training.sgd-momentum",
    title="One step of SGD with momentum",
    chapter=CHAPTER,
    kind="function",
    prompt="Write sgd_momentum_step(w, grad, velocity, lr, momentum) returning (w_new, "
           "velocity_new) with PyTorch's update: velocity_new = momentum * velocity + grad, "
           "then w_new = w - lr * velocity_new.",
    reference=sgd_momentum_step,
    cases=_momentum_cases,
    hints=[
        "First update the velocity: it is a running sum of past gradients, decayed by momentum.",
        "Then step against the NEW velocity: w - lr * velocity_new. Return both as a tuple.",
    ],
    mistakes=[
        Mistake("momentum ignored", "Your step uses the current gradient only: the velocity "
                "must accumulate past gradients, velocity_new = momentum * velocity + grad.",
                wrong=_momentum_ignored),
        Mistake("uphill", "Your step goes uphill: subtract lr * velocity_new from w, the "
                "gradient points to where the loss increases.", wrong=_momentum_plus),
        Mistake("old velocity", "You stepped with the old velocity; update the velocity first "
                "(including this step's gradient), then step with the new one.",
                wrong=_momentum_old_velocity),
    ],
    examples_wrong=[
        (_momentum_ignored, "accumulate past gradients"),
        (_momentum_plus, "uphill"),
        (_momentum_old_velocity, "update the velocity first"),
    ],
    explanation="Momentum averages the recent gradients: directions that agree from step to "
                "step build up speed, directions that flip sign cancel, so the iterate moves "
                "faster along a ravine and oscillates less across it.",
    solution_code='''\
def sgd_momentum_step(w, grad, velocity, lr, momentum):
    velocity_new = momentum * velocity + grad
    return w - lr * velocity_new, velocity_new
''',
))


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


# --------------------------------------------------------------------------- training.dropout

def dropout_forward(x, keep, p):
    """Inverted dropout in training mode: ``x * keep / (1 - p)``.

    ``keep`` is a boolean mask (True = the unit is kept, drawn with probability ``1 - p``);
    dividing by ``1 - p`` keeps the expected value of every unit unchanged, so nothing needs
    rescaling at test time (what :class:`cnncourse.nn.Dropout` does).
    """
    return x * keep / (1 - p)


def _dropout_cases(rng):
    cases = [
        Case((np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, False, True, False]), 0.5),
             description="p = 0.5"),
        Case((np.array([[2.0, -2.0], [4.0, 1.0]]), np.array([[True, True], [False, True]]), 0.25),
             description="p = 0.25, negative values"),
        Case((np.ones(3), np.array([True, True, True]), 0.0), description="p = 0 (identity)"),
    ]
    for _ in range(4):
        shape = tuple(int(s) for s in rng.integers(1, 6, size=2))
        p = float(rng.uniform(0.1, 0.8))
        cases.append(Case((rng.standard_normal(shape), rng.random(shape) >= p, p), description="random (seeded)"))
    return cases


def _dropout_no_scale(x, keep, p):
    return x * keep


def _dropout_scale_p(x, keep, p):
    return x * keep * (1 - p)


register(Exercise(
    id="training.dropout",
    title="Inverted dropout",
    chapter=CHAPTER,
    kind="function",
    prompt="Write dropout_forward(x, keep, p): inverted dropout in training mode. keep is a "
           "boolean array of x's shape (True where the unit is kept); zero the dropped units "
           "and scale the kept ones so that the expected value of every unit is unchanged.",
    reference=dropout_forward,
    cases=_dropout_cases,
    hints=[
        "A unit is kept with probability 1 - p. What is the expected value of x * keep?",
        "E[x * keep] = (1 - p) x, so divide by (1 - p): x * keep / (1 - p).",
    ],
    mistakes=[
        Mistake("no scale", "You dropped units but did not rescale: the expected activation "
                "shrinks to (1 - p) x during training and the network sees larger values at test "
                "time. Divide the kept units by (1 - p).", wrong=_dropout_no_scale),
        Mistake("scaled down", "You multiplied by (1 - p); inverted dropout DIVIDES by (1 - p) "
                "so that the expectation stays x.", wrong=_dropout_scale_p),
    ],
    examples_wrong=[
        (_dropout_no_scale, "Divide the kept units"),
        (_dropout_scale_p, "DIVIDES"),
    ],
    explanation="Scaling during training (inverted dropout) leaves evaluation untouched: in "
                "eval mode the layer is the identity.",
    solution_code='''\
def dropout_forward(x, keep, p):
    return x * keep / (1 - p)
''',
))
