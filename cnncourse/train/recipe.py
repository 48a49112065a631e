"""The training chapter's recipe, in one place that the chapter and the tests both use.

``book/training.ipynb`` trains LeNet-5 on the UCI digits with this recipe and asserts that its
own data equal :func:`digits_data`'s; ``tests/test_experiments.py`` and
``tests/test_chapter_claims_training.py`` train with :func:`fit_recipe`. A change to the
recipe therefore changes the chapter and the tests together instead of letting them drift.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

__all__ = ["DigitsRecipe", "DIGITS_RECIPE", "DigitsData", "digits_data", "fit_recipe"]


@dataclass(frozen=True)
class DigitsRecipe:
    """The numbers of the training chapter's LeNet-5 recipe.

    size : image size (the 8x8 digits upsampled 3x, in a 2-pixel border)
    val_fraction_denominator : one image in this many becomes validation data
    max_shift : augmentation shift, up to this many pixels in each direction
    batch_size, epochs, finish_epochs, lr_decay : Adam for ``epochs`` at the chosen rate, then
        ``finish_epochs`` more at ``lr / lr_decay``
    lr_candidates : the rates the chapter's cross-validation compares
    seed : the seed of the split, the augmentation shifts and the batch order
    """
    size: int = 28
    val_fraction_denominator: int = 6
    max_shift: int = 3
    batch_size: int = 32
    epochs: int = 6
    finish_epochs: int = 2
    lr_decay: float = 10.0
    lr_candidates: tuple = (3e-4, 1e-3, 3e-3)
    seed: int = 0


#: The recipe ``book/training.ipynb`` uses (its full, non-browser path).
DIGITS_RECIPE = DigitsRecipe()


class DigitsData(NamedTuple):
    """Normalised training (augmented), validation and test data, and the normaliser."""
    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_test_raw: np.ndarray
    normalise: Callable[[np.ndarray], np.ndarray]


def digits_data(recipe: DigitsRecipe = DIGITS_RECIPE) -> DigitsData:
    """The chapter's data: validation split, shift augmentation, normalisation.

    The same random draws in the same order as the chapter's cells (one Generator seeded with
    ``recipe.seed``: first the permutation of the training images, then the shifts).
    """
    from ..datasets import digits, shift_images

    if not isinstance(recipe, DigitsRecipe):
        raise TypeError(f"digits_data: recipe must be a DigitsRecipe, got {type(recipe).__name__}")
    rng = np.random.default_rng(recipe.seed)
    data = digits(size=recipe.size)
    order = rng.permutation(len(data.X_train))
    n_val = len(order) // recipe.val_fraction_denominator
    X_val, y_val = data.X_train[order[:n_val]], data.y_train[order[:n_val]]
    X_fit, y_fit = data.X_train[order[n_val:]], data.y_train[order[n_val:]]
    shifts = rng.integers(-recipe.max_shift, recipe.max_shift + 1, size=(2, len(X_fit)))
    X_aug = np.concatenate([X_fit, shift_images(X_fit, shifts[0], shifts[1])])
    mean, std = X_aug.mean(), X_aug.std()

    def normalise(images):
        return (images - mean) / std

    return DigitsData(normalise(X_aug), np.concatenate([y_fit, y_fit]), normalise(X_val), y_val,
                      normalise(data.X_test), data.y_test, data.X_test, normalise)


def fit_recipe(model, data: DigitsData, lr: float, recipe: DigitsRecipe = DIGITS_RECIPE, *,
               validate: bool = True, progress: bool = False):
    """Train ``model`` with the chapter's schedule; returns the combined :class:`History`."""
    from .. import nn, optim
    from .loop import fit

    if not isinstance(data, DigitsData):
        raise TypeError(f"fit_recipe: data must be the DigitsData of digits_data(), "
                        f"got {type(data).__name__}")
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"fit_recipe: lr must be a positive number, got {lr!r}")
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    val = (data.X_val, data.y_val) if validate else None
    history = fit(model, criterion, optimizer, (data.X, data.y), val, epochs=recipe.epochs,
                  batch_size=recipe.batch_size, rng=np.random.default_rng(recipe.seed),
                  progress=progress)
    optimizer.lr = lr / recipe.lr_decay
    finish = fit(model, criterion, optimizer, (data.X, data.y), val,
                 epochs=recipe.finish_epochs, batch_size=recipe.batch_size,
                 rng=np.random.default_rng(recipe.seed + 1), progress=progress)
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        getattr(history, key).extend(getattr(finish, key))
    return history
