"""The UCI handwritten digits, bundled with scikit-learn (no download), split into train and
test, optionally upsampled for LeNet-5."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..checks import as_rng, check_int, check_real, is_int

__all__ = ["DIGITS_CLASSES", "Split", "digits"]

DIGITS_CLASSES = tuple(str(d) for d in range(10))

class Split(NamedTuple):
    """A train/test split: ``X_train, y_train, X_test, y_test = split``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits(seed=None, *, test_size: float = 0.25, size: int = 8, rng=None) -> Split:
    """The UCI handwritten digits (scikit-learn's ``load_digits``), split into train and test.

    1,797 grayscale 8x8 images of the digits 0-9 (values 0..16 in the original), bundled with
    scikit-learn, so no download. Pixels are divided by 16 to lie in [0, 1].

    Larger sizes, for networks designed for bigger inputs such as LeNet-5: the 8x8 image is
    upsampled by the largest whole factor ``k = size // 8`` by repeating each pixel in a k x k
    block (``np.kron``, no interpolation, so the values stay exact), then zero-padded to
    ``size`` (equally on both sides, the odd pixel at the bottom/right). ``size=16`` doubles
    each pixel; ``size=28`` gives 24x24 digits in a 2-pixel border, like MNIST's layout.

    Parameters
    ----------
    seed : int, optional
        Seed of the stratified split (scikit-learn's ``random_state``, an int in
        ``[0, 2**32)``): the same seed gives the same split. Default 0.
    rng : int seed, None or numpy.random.Generator, optional
        The package's rng policy, instead of ``seed``: an int is the seed itself; a Generator
        draws the seed (``None``: a fresh one). Give ``seed`` or ``rng``, not both.
    test_size : float, default 0.25
        Fraction of the images in the test set (0 < test_size < 1); 0.25 gives 1,347 training
        and 450 test images.
    size : int, default 8
        Height and width of the returned images (>= 8).

    Returns
    -------
    Split
        ``X_train`` (N_train, 1, size, size) float32 in [0, 1], ``y_train`` (N_train,) int64,
        ``X_test``, ``y_test`` likewise. Each class is represented in the same proportion in
        both parts. :data:`DIGITS_CLASSES` names the labels.
    """
    fn = "digits"
    if seed is not None and rng is not None:
        raise TypeError(f"{fn}: give seed or rng, not both")
    if seed is None and rng is None:
        seed = 0
    if seed is None:                          # rng given: an int is used as the seed itself
        seed = rng if is_int(rng) else int(as_rng(rng, fn).integers(2**32))
        name = "rng"
    else:
        name = "seed"
    if not is_int(seed):
        as_rng(seed, fn, name)                # the policy's message for a wrong type
        raise TypeError(f"{fn}: {name} must be an int seed, got {type(seed).__name__}")
    if seed < 0:
        as_rng(seed, fn, name)                # raises the policy's message for negative seeds
    if seed >= 2**32:
        raise ValueError(f"{fn}: {name} must be < 2**32 (scikit-learn's random_state), got {seed}")
    test_size = check_real(test_size, fn, "test_size", low=0.0, high=1.0, low_open=True,
                           high_open=True)
    size = check_int(size, fn, "size", min_value=8)
    n_total, n_classes = 1797, 10
    n_test = math.ceil(test_size * n_total)
    n_train = n_total - n_test
    if min(n_test, n_train) < n_classes:
        which, count = ("test", n_test) if n_test < n_classes else ("training", n_train)
        raise ValueError(f"{fn}: test_size={test_size:g} leaves {count} {which} image"
                         f"{'' if count == 1 else 's'}; need at least one per class "
                         f"({n_classes})")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    X = (data.images.astype(np.float32) / np.float32(16.0))[:, None]   # (1797, 1, 8, 8)
    X = _upsample_and_pad(X, size)
    y = data.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=int(seed), stratify=y)
    return Split(np.ascontiguousarray(X_train), y_train, np.ascontiguousarray(X_test), y_test)


def _upsample_and_pad(X: np.ndarray, size: int) -> np.ndarray:
    h = X.shape[-1]
    k = size // h
    if k > 1:
        X = np.kron(X, np.ones((1, 1, k, k), dtype=X.dtype))
    extra = size - X.shape[-1]
    if extra:
        before = extra // 2
        X = np.pad(X, ((0, 0), (0, 0), (before, extra - before), (before, extra - before)))
    return X

