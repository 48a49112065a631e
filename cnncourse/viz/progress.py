"""Progress bars that suit where the output ends up: live in Jupyter, one plain line in the book.

With a kernel, :func:`progress_bar` is ``tqdm.auto.tqdm`` (a widget in Jupyter, text in a
terminal; through :func:`cnncourse._platform.tqdm`, so it also works under Pyodide). When the book is built, its Sphinx extension (``book/_ext/cnn_exercises.py``) sets
``CNNCOURSE_STATIC_OUTPUT=1`` for the kernels it starts: the bar is then plain text on stdout
that is drawn only when closed, without a bar, so the saved output
(after myst-nb folds carriage returns) is one final line such as
``epoch 6/6: 96/96 batch in 00:03, acc=0.970, loss=0.1234``: no widget to freeze.
"""
from __future__ import annotations

import os
import sys

__all__ = ["progress_bar", "STATIC_ENV"]

#: Set to "1" (by the book build) for text-only, final-line progress bars.
STATIC_ENV = "CNNCOURSE_STATIC_OUTPUT"


def progress_bar(**kwargs):
    """A ``tqdm`` bar: ``tqdm.auto`` normally, a single plain line when output is static."""
    if os.environ.get(STATIC_ENV) == "1":
        from tqdm.std import tqdm

        class FinalLine(tqdm):
            """Draws nothing until ``close()``, which writes the final state once."""

            def refresh(self, *args, **kwargs):
                return None

        # no bar (the line is written once, complete) and no truncation: every number stays whole
        kwargs.update(file=sys.stdout, mininterval=float("inf"), ncols=None, ascii=True, dynamic_ncols=False,
                      bar_format="{desc}{n_fmt}/{total_fmt} {unit} in {elapsed}{postfix}")
        return FinalLine(**kwargs)
    from .._platform import tqdm   # tqdm.auto, without its monitor thread under Pyodide

    return tqdm(**kwargs)
