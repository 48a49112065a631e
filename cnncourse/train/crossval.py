"""k-fold cross-validation of one hyperparameter, and its result table."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_rng, check_positive_int
from ..tables import html_table, text_table
from ..nn import Module
from ._data import check_data
from .loop import evaluate, fit

__all__ = ["CVResult", "cross_validate"]


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
        k = self.scores.shape[1]
        return (text_table(*self._rows())
                + f"\n({k}-fold cross-validation; best {self.param} = {self.best_value!r})")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return html_table(*self._rows(), bold_row=int(np.argmax(self.mean)))


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
    rng : int seed, None or numpy.random.Generator
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
    X, y = check_data(data, "data", fn)
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{fn}: values must be a sequence of hyperparameter values such as "
                        f"[0.01, 0.1], got {values!r}")
    if not isinstance(param, str):
        raise TypeError(f"{fn}: param must be the hyperparameter's name (a str), got {param!r}")
    values = list(values)
    if not values:
        raise ValueError(f"{fn}: values is empty; give at least one hyperparameter value")
    k = check_positive_int(k, fn, "k")
    if k < 2:
        raise ValueError(f"{fn}: k must be >= 2 folds, got {k}")
    if k > len(X):
        raise ValueError(f"{fn}: k={k} folds need at least {k} samples, got {len(X)}")
    epochs = check_positive_int(epochs, fn, "epochs")
    batch_size = check_positive_int(batch_size, fn, "batch_size")
    rng = as_rng(rng, fn)
    if loss_fn is None:
        from ..nn import CrossEntropyLoss
        loss_fn = CrossEntropyLoss()

    folds = _stratified_folds(y, k, rng)
    fold_seeds = rng.integers(0, 2**63, size=k)
    scores = np.zeros((len(values), k))
    losses = np.zeros((len(values), k))
    bar = None
    if progress:
        # tqdm.auto (Pyodide-safe, cnncourse._platform); one plain final line in the built book
        from ..viz.progress import progress_bar as tqdm
        bar = tqdm(total=len(values) * k, unit="run", desc=f"cross-validating {param}")
    try:
        for i, value in enumerate(values):
            for f in range(k):
                init_seq, fit_seq = np.random.SeedSequence(int(fold_seeds[f])).spawn(2)
                model = make_model(value, np.random.default_rng(init_seq))
                if not isinstance(model, Module):
                    raise TypeError(f"{fn}: make_model({value!r}, rng) must return a "
                                    f"cnncourse.nn.Module, got {type(model).__name__}")
                optimizer = make_optimizer(model, value)
                train, val = folds != f, folds == f
                history = fit(model, loss_fn, optimizer, (X[train], y[train]), epochs=epochs,
                              batch_size=batch_size, rng=np.random.default_rng(fit_seq),
                              progress=False)
                if history.interrupted:          # Ctrl-C stops the whole search, not one fold
                    raise KeyboardInterrupt
                losses[i, f], scores[i, f] = evaluate(model, loss_fn, (X[val], y[val]))
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return CVResult(param=param, values=values, scores=scores, losses=losses)
