"""Training loop, evaluation, prediction, metrics and k-fold cross-validation.

One training step is the four lines every chapter repeats::

    logits = model(X_batch)                    # forward pass
    loss = loss_fn(logits, y_batch)            # e.g. CrossEntropyLoss
    optimizer.zero_grad(); model.backward(loss_fn.backward())   # backpropagation
    optimizer.step()                           # weight update (SGD, Adam)

:func:`fit` repeats it over shuffled minibatches for several epochs and records the learning
curves in a :class:`History`. Data are always ``(X, y)`` pairs: ``X`` (N, ...) float and
``y`` (N,) integer class labels.

The package has one job per module: :mod:`~cnncourse.train.loop` (``fit``, ``evaluate``,
``predict``), :mod:`~cnncourse.train.history` (``History``), :mod:`~cnncourse.train.metrics`
(``accuracy``, ``confusion_matrix``) and :mod:`~cnncourse.train.crossval`
(``cross_validate``, ``CVResult``) and :mod:`~cnncourse.train.recipe` (the training
chapter's recipe: ``DIGITS_RECIPE``, ``digits_data``, ``fit_recipe``); every name is importable from ``cnncourse.train``.
"""
from .history import History
from .loop import evaluate, fit, predict, predict_proba
from .metrics import accuracy, confusion_matrix
from .crossval import CVResult, cross_validate
from .recipe import DIGITS_RECIPE, DigitsData, DigitsRecipe, digits_data, fit_recipe

__all__ = ["History", "CVResult", "fit", "evaluate", "predict", "predict_proba",
           "accuracy", "confusion_matrix", "cross_validate",
           "DigitsRecipe", "DIGITS_RECIPE", "DigitsData", "digits_data", "fit_recipe"]
