"""Datasets for the course: procedurally drawn shapes, the bundled UCI digits, and (M)NIST loaders.

Everything the book executes and the tests run works offline:

* :func:`shapes` (module :mod:`~cnncourse.datasets.procedural`) draws circles, squares,
  triangles, crosses and plusses with numpy only, with controlled translation, scale,
  rotation, mirroring and noise, so the invariance experiments of the book are exact and
  reproducible; :func:`shift_images` translates images.
* :func:`digits` (:mod:`~cnncourse.datasets.uci_digits`) loads scikit-learn's copy of the UCI
  handwritten digits (1,797 images, 8x8), which ships with scikit-learn (no download), and can
  upsample them for LeNet-5.
* :func:`mnist` and :func:`fashion_mnist` (:mod:`~cnncourse.datasets.idx`) download the
  official gzipped IDX files once, verify each file's SHA-256, and cache them (readers who are
  online only; nothing in the book needs them). :func:`read_idx` parses IDX files.

All image arrays are NCHW ``float32`` in ``[0, 1]``; labels are ``int64``. Randomness follows
the package's one policy (:func:`cnncourse.checks.as_rng`): ``rng`` is an int seed, None or a
Generator (``seed``, the older name, still works).
"""
from .procedural import SHAPE_CLASSES, Scenes, boxes_from_masks, scenes, shapes, shift_images
from .uci_digits import DIGITS_CLASSES, Split, digits
from .idx import (FASHION_MNIST_CLASSES, FASHION_MNIST_SHA256, MNIST_CLASSES, MNIST_SHA256,
                  DownloadError, data_dir, fashion_mnist, mnist, read_idx)

__all__ = [
    "SHAPE_CLASSES", "DIGITS_CLASSES", "MNIST_CLASSES", "FASHION_MNIST_CLASSES",
    "Split", "shapes", "scenes", "Scenes", "boxes_from_masks", "shift_images", "digits", "class_names",
    "mnist", "fashion_mnist", "read_idx", "data_dir", "DownloadError",
    "MNIST_SHA256", "FASHION_MNIST_SHA256",
]


def class_names(dataset: str) -> tuple[str, ...]:
    """Names of the labels of ``dataset``: 'digits', 'mnist', 'fashion_mnist' or 'shapes'.

    For 'shapes' this is :data:`SHAPE_CLASSES`; with a custom ``classes=`` argument to
    :func:`shapes`, the names are that argument itself.
    """
    table = {"digits": DIGITS_CLASSES, "mnist": MNIST_CLASSES,
             "fashion_mnist": FASHION_MNIST_CLASSES, "shapes": SHAPE_CLASSES}
    if not isinstance(dataset, str):
        raise TypeError(f"class_names: dataset must be a str, got {type(dataset).__name__}")
    if dataset not in table:
        raise ValueError(f"class_names: unknown dataset {dataset!r}; expected one of "
                         f"{tuple(table)}")
    return table[dataset]
