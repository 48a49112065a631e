"""The training loop (:func:`fit`), evaluation and prediction."""
from __future__ import annotations

import time
import warnings

import numpy as np

from ..checks import as_rng, check_bool, check_positive_int, is_real
from ._data import (batches, check_data, check_finite, check_labels, check_loss, check_model,
                    check_optimizer, check_X)
from .history import History

__all__ = ["fit", "evaluate", "predict", "predict_proba"]


def _num_outputs(model, X: np.ndarray) -> int | None:
    """Number of logits per sample, from one sample in evaluation mode (nothing is updated)."""
    was_training = model.training
    model.eval()
    try:
        out = model(X[:1])
    finally:
        model.train(was_training)
    return int(out.shape[1]) if getattr(out, "ndim", 0) == 2 else None


def _check_parameters_finite(model, epoch: int, b: int, n_batches: int) -> None:
    for name, p in model.named_parameters():
        if not np.isfinite(p.data).all():
            raise FloatingPointError(
                f"fit: parameter {name!r} became non-finite after the optimizer step at epoch "
                f"{epoch}, batch {b} of {n_batches}: training diverged. Try a lower learning "
                f"rate (e.g. 10x smaller) or check the gradients")


def fit(model, loss_fn, optimizer, train_data, val_data=None, *, epochs: int, batch_size: int,
        rng, progress: bool = True, lr_schedule=None) -> History:
    """Train ``model`` with minibatch gradient descent and record the learning curves.

    Each epoch visits the training samples once in a fresh random order (drawn from ``rng``),
    in minibatches of ``batch_size`` (the last one may be smaller). For each batch: forward,
    loss, ``optimizer.zero_grad()``, ``model.backward(loss_fn.backward())``,
    ``optimizer.step()``. The model is in training mode (``model.train()``) while it learns
    and in evaluation mode for the validation pass after each epoch; it is left in evaluation
    mode at the end, also when training stops early (an error or Ctrl-C), so Dropout is off.

    Before the first update, everything that can be checked is: the arguments, that the
    optimizer updates this model's parameters, that the labels lie in ``[0, C)`` for the
    model's ``C`` outputs, and that the data hold no NaN or inf.

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
    rng : int seed, None or numpy.random.Generator
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

    Interrupting
    ------------
    Ctrl-C (``KeyboardInterrupt``) stops training **without re-raising**: ``fit`` warns and
    returns the History of the completed epochs (``history.interrupted`` is True), so
    ``history = fit(...)`` in a notebook keeps the curves so far. The weights keep the updates
    of the interrupted epoch. :func:`cross_validate` re-raises it, stopping the whole search.

    Raises
    ------
    FloatingPointError
        When the loss or a parameter becomes NaN or infinite; the message names the epoch and
        batch (and the parameter). The usual cause is a learning rate that is too high.
    """
    fn = "fit"
    model = check_model(model, fn)
    loss_fn = check_loss(loss_fn, fn)
    optimizer = check_optimizer(optimizer, model, fn)
    X, y = check_data(train_data, "train_data", fn)
    if val_data is not None:
        Xv, yv = check_data(val_data, "val_data", fn)
    epochs = check_positive_int(epochs, fn, "epochs")
    batch_size = check_positive_int(batch_size, fn, "batch_size")
    rng = as_rng(rng, fn)
    progress = check_bool(progress, fn, "progress")
    if lr_schedule is not None:
        if not callable(lr_schedule):
            raise TypeError(f"{fn}: lr_schedule must be a callable epoch -> learning rate, got "
                            f"{type(lr_schedule).__name__}")
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"{fn}: lr_schedule needs an optimizer with an .lr attribute, got "
                            f"{type(optimizer).__name__}")
    check_finite(X, "train_data X", fn)
    if val_data is not None:
        check_finite(Xv, "val_data X", fn)
    num_classes = _num_outputs(model, X)
    if num_classes is not None:
        check_labels(y, num_classes, "train_data", fn)
        if val_data is not None:
            check_labels(yv, num_classes, "val_data", fn)

    n = len(X)
    n_batches = -(-n // batch_size)
    history = History()
    bar = None
    if progress:
        # tqdm.auto (Pyodide-safe, cnncourse._platform); one plain final line in the built book
        from ..viz.progress import progress_bar as tqdm
        bar = tqdm(total=epochs * n_batches, unit="batch", leave=True)
    epoch = 0
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            lr_used = getattr(optimizer, "lr", None)
            if lr_schedule is not None:
                lr = lr_schedule(epoch)
                if not is_real(lr) or not lr >= 0:
                    raise ValueError(f"{fn}: lr_schedule({epoch}) must return a number >= 0, "
                                     f"got {lr!r}")
                optimizer.lr = lr_used = float(lr)
            model.train()
            order = rng.permutation(n)
            total_loss, correct, seen = 0.0, 0, 0
            if bar is not None:
                bar.set_description(f"epoch {epoch}/{epochs}")
            for b, batch in enumerate(batches(n, batch_size), start=1):
                idx = order[batch]
                xb, yb = X[idx], y[idx]
                # Overflow warnings are replaced by the explicit checks below, which say where
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
                _check_parameters_finite(model, epoch, b, n_batches)
                total_loss += loss * len(idx)
                correct += int((np.argmax(logits, axis=1) == yb).sum())
                seen += len(idx)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}",
                                    refresh=False)
            if val_data is not None:
                val_loss, val_acc = evaluate(model, loss_fn, (Xv, yv),
                                             batch_size=max(batch_size, 256))
            # the epoch is recorded only once complete, so every list has one entry per epoch
            history.lr.append(lr_used)
            history.train_loss.append(total_loss / seen)
            history.train_acc.append(correct / seen)
            if val_data is not None:
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
                if bar is not None:
                    bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}",
                                    val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.3f}")
            history.seconds.append(time.perf_counter() - start)
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(f"fit: interrupted (KeyboardInterrupt) during epoch {epoch} of {epochs}; "
                      f"returning the History of the {history.epochs} completed epochs (the "
                      f"weights include the updates made during epoch {epoch})",
                      UserWarning, stacklevel=2)
    finally:
        if bar is not None:
            bar.close()
        model.eval()
    return history


def evaluate(model, loss_fn, data, batch_size: int = 256) -> tuple[float, float]:
    """Loss and accuracy of ``model`` on ``data``, in evaluation mode.

    Parameters
    ----------
    model : cnncourse.nn.Module
    loss_fn : loss module, e.g. CrossEntropyLoss()
    data : (X, y)
        X (N, ...) float, y (N,) int.
    batch_size : int, default 256
        Only limits memory; the result does not depend on it.

    Returns
    -------
    loss : float
        The loss over all N samples with ``loss_fn``'s reduction: the mean for
        ``reduction='mean'`` (the default), the sum for ``reduction='sum'``.
    acc : float
        Fraction of samples whose largest logit is the true class.

    The model's training/evaluation mode is restored afterwards.
    """
    fn = "evaluate"
    model = check_model(model, fn)
    loss_fn = check_loss(loss_fn, fn)
    X, y = check_data(data, "data", fn)
    batch_size = check_positive_int(batch_size, fn, "batch_size")
    summed = getattr(loss_fn, "reduction", "mean") == "sum"
    was_training = model.training
    model.eval()
    try:
        total, correct = 0.0, 0
        for batch in batches(len(X), batch_size):
            logits = model(X[batch])
            loss = float(loss_fn(logits, y[batch]))
            total += loss if summed else loss * (batch.stop - batch.start)
            correct += int((np.argmax(logits, axis=1) == y[batch]).sum())
    finally:
        model.train(was_training)
    return (total if summed else total / len(X)), correct / len(X)


def _logits(model, X, batch_size: int, fn: str) -> np.ndarray:
    model = check_model(model, fn)
    X = check_X(X, "X", fn)
    batch_size = check_positive_int(batch_size, fn, "batch_size")
    was_training = model.training
    model.eval()
    try:
        return np.concatenate([model(X[batch]) for batch in batches(len(X), batch_size)])
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
