"""Training loop, evaluation, prediction and k-fold cross-validation.

One training step is the four lines every chapter repeats::

    logits = model(X_batch)                    # forward pass
    loss = loss_fn(logits, y_batch)            # e.g. CrossEntropyLoss
    optimizer.zero_grad(); model.backward(loss_fn.backward())   # backpropagation
    optimizer.step()                           # weight update (SGD, Adam)

:func:`fit` repeats it over shuffled minibatches for several epochs and records the learning
curves in a :class:`History`. Data are always ``(X, y)`` pairs: ``X`` (N, ...) float and
``y`` (N,) integer class labels.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

__all__ = ["History", "CVResult", "fit", "evaluate", "predict", "predict_proba",
           "accuracy", "confusion_matrix", "cross_validate"]


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_positive_int(value, name: str, fn: str) -> int:
    if not _is_int(value):
        raise TypeError(f"{fn}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{fn}: {name} must be >= 1, got {value}")
    return int(value)


def _check_rng(rng, fn: str) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if _is_int(rng):
        return np.random.default_rng(int(rng))
    raise TypeError(f"{fn}: rng must be a numpy Generator (np.random.default_rng(seed)) or an "
                    f"int seed, got {type(rng).__name__}")


def _check_X(X, name: str, fn: str) -> np.ndarray:
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy ndarray, got {type(X).__name__}")
    if not np.issubdtype(X.dtype, np.floating):
        raise TypeError(f"{fn}: {name} must have a floating dtype, got {X.dtype} "
                        f"(convert with .astype(np.float32))")
    if X.ndim < 1 or X.shape[0] == 0:
        raise ValueError(f"{fn}: {name} is empty (shape {X.shape}); need at least one sample")
    return X


def _check_data(data, name: str, fn: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{fn}: {name} must be a pair (X, y), got {type(data).__name__}"
                        + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    X, y = data
    X = _check_X(X, f"{name} X", fn)
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{fn}: {name} y must be a numpy ndarray, got {type(y).__name__}")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{fn}: {name} y must be a 1-D array of integer class labels, got "
                        f"shape {y.shape} and dtype {y.dtype}")
    if len(X) != len(y):
        raise ValueError(f"{fn}: {name} X and y have different lengths ({len(X)} samples, "
                         f"{len(y)} labels)")
    return X, y


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------
@dataclass
class History:
    """Learning curves recorded by :func:`fit`, one value per epoch.

    Attributes
    ----------
    train_loss, train_acc : list of float
        Mean loss and accuracy over the epoch's minibatches, measured during training (in
        training mode, with the weights as they were at each batch).
    val_loss, val_acc : list of float
        Loss and accuracy on the validation data after each epoch (evaluation mode); empty
        when :func:`fit` got no ``val_data``.
    lr : list of float
        The optimizer's learning rate during each epoch (None if it has no ``lr``).
    seconds : list of float
        Wall-clock time of each epoch (not compared by ``==`` and not printed, so two runs
        with the same seed give equal histories).
    """

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list, compare=False, repr=False)

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.train_loss)

    def _rows(self):
        has_val = bool(self.val_loss)
        header = ["epoch", "train_loss", "train_acc"] + (["val_loss", "val_acc"] if has_val else [])
        rows = []
        for e in range(self.epochs):
            row = [str(e + 1), f"{self.train_loss[e]:.4f}", f"{self.train_acc[e]:.4f}"]
            if has_val:
                row += [f"{self.val_loss[e]:.4f}", f"{self.val_acc[e]:.4f}"]
            rows.append(row)
        return header, rows

    def __repr__(self) -> str:
        header, rows = self._rows()
        if not rows:
            return "History(epochs=0)"
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        header, rows = self._rows()
        head = "".join(f"<th>{h}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def plot(self, ax=None, metric: str = "both"):
        """Draw the learning curves with matplotlib.

        Parameters
        ----------
        ax : matplotlib Axes, or a pair of Axes, optional
            Where to draw. ``None``: a new figure (two side-by-side panels for
            ``metric='both'``). A single Axes needs ``metric='loss'`` or ``'acc'``.
        metric : {'both', 'loss', 'acc'}, default 'both'

        Returns
        -------
        axes : list of Axes
            The panels drawn on (loss first).
        """
        if metric not in ("both", "loss", "acc"):
            raise ValueError(f"History.plot: metric must be 'both', 'loss' or 'acc', got {metric!r}")
        panels = ["loss", "acc"] if metric == "both" else [metric]
        if ax is None:
            import matplotlib.pyplot as plt
            _, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
            axes = list(axes[0])
        else:
            axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
            if len(axes) != len(panels):
                raise ValueError(f"History.plot: metric={metric!r} needs {len(panels)} Axes, "
                                 f"got {len(axes)}")
        epochs = np.arange(1, self.epochs + 1)
        for axis, panel in zip(axes, panels):
            train = self.train_loss if panel == "loss" else self.train_acc
            val = self.val_loss if panel == "loss" else self.val_acc
            axis.plot(epochs, train, "o-", label="train")
            if val:
                axis.plot(epochs, val, "s-", label="validation")
            axis.set_xlabel("epoch")
            axis.set_ylabel("loss" if panel == "loss" else "accuracy")
            axis.set_title("Loss" if panel == "loss" else "Accuracy")
            axis.legend()
            axis.grid(alpha=0.3)
        return axes


# --------------------------------------------------------------------------------------------
# fit / evaluate / predict
# --------------------------------------------------------------------------------------------
def fit(model, loss_fn, optimizer, train_data, val_data=None, *, epochs: int, batch_size: int,
        rng, progress: bool = True, lr_schedule=None) -> History:
    """Train ``model`` with minibatch gradient descent and record the learning curves.

    Each epoch visits the training samples once in a fresh random order (drawn from ``rng``),
    in minibatches of ``batch_size`` (the last one may be smaller). For each batch: forward,
    loss, ``optimizer.zero_grad()``, ``model.backward(loss_fn.backward())``,
    ``optimizer.step()``. The model is in training mode (``model.train()``) while it learns
    and in evaluation mode for the validation pass after each epoch; it is left in evaluation
    mode at the end.

    Parameters
    ----------
    model : cnncourse.nn.Module
        Maps X (N, ...) to logits (N, C).
    loss_fn : loss module
        ``loss_fn(logits, y) -> float`` and ``loss_fn.backward() -> dlogits``, e.g.
        :class:`cnncourse.nn.CrossEntropyLoss`.
    optimizer : cnncourse.optim.SGD or Adam
        Built on ``model.parameters()``.
    train_data : (X, y)
        X ndarray (N, ...) float, y ndarray (N,) int.
    val_data : (X, y), optional
        Evaluated after each epoch.
    epochs : int
        Number of passes over the training data (>= 1).
    batch_size : int
        Samples per minibatch (>= 1).
    rng : numpy.random.Generator or int
        Shuffles the batches. With the same seed (and the same initial model), two runs give
        identical histories and weights.
    progress : bool, default True
        Show a tqdm progress bar (notebook-aware) with the running loss and accuracy;
        ``False`` prints nothing.
    lr_schedule : callable ``epoch -> lr``, optional
        Called at the start of every epoch (``epoch = 1, 2, ..., epochs``); its result is
        assigned to ``optimizer.lr``. E.g. step decay:
        ``lambda epoch: 2e-3 if epoch <= 15 else 2e-4``. The rates used are in
        ``History.lr``.

    Returns
    -------
    History
        ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc`` per epoch.

    Raises
    ------
    FloatingPointError
        When the loss becomes NaN or infinite; the message names the epoch and batch. The
        usual cause is a learning rate that is too high.
    """
    fn = "fit"
    X, y = _check_data(train_data, "train_data", fn)
    if val_data is not None:
        _check_data(val_data, "val_data", fn)
    epochs = _check_positive_int(epochs, "epochs", fn)
    batch_size = _check_positive_int(batch_size, "batch_size", fn)
    rng = _check_rng(rng, fn)
    if not isinstance(progress, bool):
        raise TypeError(f"{fn}: progress must be True or False, got {progress!r}")
    if lr_schedule is not None:
        if not callable(lr_schedule):
            raise TypeError(f"{fn}: lr_schedule must be a callable epoch -> learning rate, got "
                            f"{type(lr_schedule).__name__}")
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"{fn}: lr_schedule needs an optimizer with an .lr attribute, got "
                            f"{type(optimizer).__name__}")

    import time
    n = len(X)
    n_batches = -(-n // batch_size)
    history = History()
    bar = None
    if progress:
        from .viz.progress import progress_bar  # one plain final line in the built book
        bar = progress_bar(total=epochs * n_batches, unit="batch", leave=True)
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            if lr_schedule is not None:
                lr = lr_schedule(epoch)
                if not isinstance(lr, numbers.Real) or isinstance(lr, bool) or not lr >= 0:
                    raise ValueError(f"{fn}: lr_schedule({epoch}) must return a number >= 0, "
                                     f"got {lr!r}")
                optimizer.lr = float(lr)
            history.lr.append(getattr(optimizer, "lr", None))
            model.train()
            order = rng.permutation(n)
            total_loss, correct, seen = 0.0, 0, 0
            if bar is not None:
                bar.set_description(f"epoch {epoch}/{epochs}")
            for b, batch in enumerate(_batches(n, batch_size), start=1):
                idx = order[batch]
                xb, yb = X[idx], y[idx]
                # Overflow warnings are replaced by the explicit check below, which says where
                # training diverged and what to do about it.
                with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                    logits = model(xb)
                    loss = float(loss_fn(logits, yb))
                    if not np.isfinite(loss):
                        raise FloatingPointError(
                            f"fit: the loss became {loss} at epoch {epoch}, batch {b} of "
                            f"{n_batches}: training diverged. Try a lower learning rate "
                            f"(e.g. 10x smaller), check the inputs for NaN/inf, or normalise "
                            f"them to [0, 1]")
                    optimizer.zero_grad()
                    model.backward(loss_fn.backward())
                    optimizer.step()
                total_loss += loss * len(idx)
                correct += int((np.argmax(logits, axis=1) == yb).sum())
                seen += len(idx)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}",
                                    refresh=False)
            history.train_loss.append(total_loss / seen)
            history.train_acc.append(correct / seen)
            if val_data is not None:
                val_loss, val_acc = evaluate(model, loss_fn, val_data, batch_size=max(batch_size, 256))
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
                if bar is not None:
                    bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}",
                                    val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.3f}")
            history.seconds.append(time.perf_counter() - start)
    finally:
        if bar is not None:
            bar.close()
    model.eval()
    return history


def evaluate(model, loss_fn, data, batch_size: int = 256) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``data``, in evaluation mode.

    Parameters
    ----------
    model : cnncourse.nn.Module
    loss_fn : loss module, e.g. CrossEntropyLoss() (with mean reduction)
    data : (X, y)
        X (N, ...) float, y (N,) int.
    batch_size : int, default 256
        Only limits memory; the result does not depend on it.

    Returns
    -------
    loss : float
        Mean loss over the N samples.
    acc : float
        Fraction of samples whose largest logit is the true class.

    The model's training/evaluation mode is restored afterwards.
    """
    fn = "evaluate"
    X, y = _check_data(data, "data", fn)
    batch_size = _check_positive_int(batch_size, "batch_size", fn)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        total, correct = 0.0, 0
        for batch in _batches(len(X), batch_size):
            logits = model(X[batch])
            total += float(loss_fn(logits, y[batch])) * (batch.stop - batch.start)
            correct += int((np.argmax(logits, axis=1) == y[batch]).sum())
    finally:
        model.train(was_training)
    return total / len(X), correct / len(X)


def _logits(model, X, batch_size: int, fn: str) -> np.ndarray:
    X = _check_X(X, "X", fn)
    batch_size = _check_positive_int(batch_size, "batch_size", fn)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        return np.concatenate([model(X[batch]) for batch in _batches(len(X), batch_size)])
    finally:
        model.train(was_training)


def predict(model, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Predicted class labels, shape (N,) int64: the argmax of the logits (evaluation mode)."""
    return np.argmax(_logits(model, X, batch_size, "predict"), axis=1).astype(np.int64)


def predict_proba(model, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities, shape (N, C): the softmax of the logits (evaluation mode); rows sum to 1."""
    logits = _logits(model, X, batch_size, "predict_proba")
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of equal labels: ``mean(y_true == y_pred)``."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError(f"accuracy: y_true and y_pred must be non-empty 1-D arrays of the same "
                         f"length, got shapes {y_true.shape} and {y_pred.shape}")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : ndarray of int, shape (N,)
    num_classes : int, optional
        Number of classes C; default ``max(y_true.max(), y_pred.max()) + 1``.

    Returns
    -------
    cm : ndarray of int64, shape (C, C)
        ``cm[i, j]`` is the number of samples of true class ``i`` predicted as ``j``: the
        diagonal holds the correct predictions, each row sums to the size of its class.
    """
    fn = "confusion_matrix"
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{fn}: {name} must be a 1-D array of integer labels, got shape "
                            f"{arr.shape} and dtype {arr.dtype}")
    if len(y_true) != len(y_pred):
        raise ValueError(f"{fn}: y_true and y_pred have different lengths "
                         f"({len(y_true)} and {len(y_pred)})")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
        num_classes = max(num_classes, 1)
    num_classes = _check_positive_int(num_classes, "num_classes", fn)
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if len(arr) and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(f"{fn}: {name} has labels outside [0, {num_classes}) "
                             f"(min {arr.min()}, max {arr.max()})")
    cm = np.bincount(y_true.astype(np.int64) * num_classes + y_pred.astype(np.int64),
                     minlength=num_classes * num_classes)
    return cm.reshape(num_classes, num_classes).astype(np.int64)


# --------------------------------------------------------------------------------------------
# cross-validation
# --------------------------------------------------------------------------------------------
@dataclass
class CVResult:
    """Result of :func:`cross_validate`: validation accuracy per value and fold.

    Attributes
    ----------
    param : str
        Name of the hyperparameter (for the table header).
    values : list
        The values tried, in order.
    scores : ndarray, shape (len(values), k)
        Validation accuracy of each value on each fold (after the last epoch).
    losses : ndarray, shape (len(values), k)
        Validation loss likewise.
    """

    param: str
    values: list
    scores: np.ndarray
    losses: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Mean validation accuracy over the folds, one per value."""
        return self.scores.mean(axis=1)

    @property
    def std(self) -> np.ndarray:
        """Standard deviation of the validation accuracy over the folds, one per value."""
        return self.scores.std(axis=1)

    @property
    def best_value(self):
        """The value with the highest mean validation accuracy (the first one on ties)."""
        return self.values[int(np.argmax(self.mean))]

    def _rows(self):
        header = [self.param, "mean val_acc", "std", "mean val_loss"]
        rows = [[repr(v), f"{m:.4f}", f"{s:.4f}", f"{l:.4f}"]
                for v, m, s, l in zip(self.values, self.mean, self.std, self.losses.mean(axis=1))]
        return header, rows

    def __repr__(self) -> str:
        header, rows = self._rows()
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        k = self.scores.shape[1]
        lines.append(f"({k}-fold cross-validation; best {self.param} = {self.best_value!r})")
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        header, rows = self._rows()
        best = int(np.argmax(self.mean))
        head = "".join(f"<th>{h}</th>" for h in header)
        body = "".join(("<tr style='font-weight:bold'>" if i == best else "<tr>")
                       + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for i, r in enumerate(rows))
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _stratified_folds(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Fold index (0..k-1) of every sample: shuffled, with each class spread evenly."""
    order = rng.permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]      # shuffled within each class
    folds = np.empty(len(y), dtype=np.int64)
    folds[order] = np.arange(len(y)) % k                     # deal them out like cards
    return folds


def cross_validate(make_model, make_optimizer, data, values, *, k: int = 5, epochs: int,
                   batch_size: int, rng, loss_fn=None, param: str = "value",
                   progress: bool = False) -> CVResult:
    """k-fold cross-validation of one hyperparameter.

    The data are split once into ``k`` stratified folds (each class spread evenly). For each
    value in ``values`` and each fold, a fresh model is trained with :func:`fit` on the other
    ``k - 1`` folds and evaluated on that fold. Every value sees the same folds and the same
    random seeds (initial weights, batch order), so differences in score come from the
    hyperparameter alone. Choose the value with the best mean score, then retrain on all the
    training data; the test set is never used here.

    Parameters
    ----------
    make_model : callable ``(value, rng) -> Module``
        Builds a fresh, untrained model for a hyperparameter value; use ``rng``
        (a numpy Generator) for its initial weights.
    make_optimizer : callable ``(model, value) -> optimizer``
        Builds the optimizer for that model, e.g. ``lambda m, lr: Adam(m.parameters(), lr=lr)``
        to tune the learning rate; ignore ``value`` when tuning something else.
    data : (X, y)
        The training data (N, ...) float and (N,) int; needs at least ``k`` samples.
    values : sequence
        The hyperparameter values to compare.
    k : int, default 5
        Number of folds (>= 2).
    epochs, batch_size : int
        Passed to :func:`fit`.
    rng : numpy.random.Generator or int
        Seeds the folds and every training run.
    loss_fn : loss module, optional
        Default :class:`cnncourse.nn.CrossEntropyLoss`.
    param : str, default 'value'
        Name of the hyperparameter, for the printed table.
    progress : bool, default False
        Progress bar over the ``len(values) * k`` training runs.

    Returns
    -------
    CVResult
        ``.scores`` (len(values), k) validation accuracies, ``.mean``, ``.std``,
        ``.best_value``; prints as a table.

    Examples
    --------
    Tune the learning rate of an MLP::

        result = cross_validate(lambda lr, rng: mlp(64, rng=rng),
                                lambda model, lr: SGD(model.parameters(), lr=lr),
                                (X_train.reshape(len(X_train), -1), y_train),
                                [0.01, 0.1, 1.0], k=5, epochs=5, batch_size=32, rng=0,
                                param="lr")
    """
    fn = "cross_validate"
    if not callable(make_model):
        raise TypeError(f"{fn}: make_model must be a callable (value, rng) -> model, got "
                        f"{type(make_model).__name__}")
    if not callable(make_optimizer):
        raise TypeError(f"{fn}: make_optimizer must be a callable (model, value) -> optimizer, "
                        f"got {type(make_optimizer).__name__}")
    X, y = _check_data(data, "data", fn)
    values = list(values)
    if not values:
        raise ValueError(f"{fn}: values is empty; give at least one hyperparameter value")
    k = _check_positive_int(k, "k", fn)
    if k < 2:
        raise ValueError(f"{fn}: k must be >= 2 folds, got {k}")
    if k > len(X):
        raise ValueError(f"{fn}: k={k} folds need at least {k} samples, got {len(X)}")
    epochs = _check_positive_int(epochs, "epochs", fn)
    batch_size = _check_positive_int(batch_size, "batch_size", fn)
    rng = _check_rng(rng, fn)
    if loss_fn is None:
        from .nn import CrossEntropyLoss
        loss_fn = CrossEntropyLoss()

    folds = _stratified_folds(y, k, rng)
    fold_seeds = rng.integers(0, 2**63, size=k)
    scores = np.zeros((len(values), k))
    losses = np.zeros((len(values), k))
    bar = None
    if progress:
        from .viz.progress import progress_bar  # one plain final line in the built book
        bar = progress_bar(total=len(values) * k, unit="run", desc=f"cross-validating {param}")
    try:
        for i, value in enumerate(values):
            for f in range(k):
                init_seq, fit_seq = np.random.SeedSequence(int(fold_seeds[f])).spawn(2)
                model = make_model(value, np.random.default_rng(init_seq))
                optimizer = make_optimizer(model, value)
                train, val = folds != f, folds == f
                fit(model, loss_fn, optimizer, (X[train], y[train]), epochs=epochs,
                    batch_size=batch_size, rng=np.random.default_rng(fit_seq), progress=False)
                losses[i, f], scores[i, f] = evaluate(model, loss_fn, (X[val], y[val]))
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return CVResult(param=param, values=values, scores=scores, losses=losses)
