"""Figures and sliding-window animations used by the book.

One figure style (:mod:`.style`, applied by :func:`use_book_style`), and animations that display
themselves as a kernel-free player (:mod:`.player`).
"""
import inspect

from .style import (BOOK_DPI, BOOK_STYLE, FONT_SIZE, MAX_WIDTH_IN, annotate_cells,  # noqa: F401
                    contrast_ratio, text_color_for, use_book_style)
from .player import BookAnimation, player_html  # noqa: F401
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
from . import conv, player, pool, style, training  # noqa: F401


def show_source(obj):
    """The source code of a cnncourse function or class, syntax-highlighted in Jupyter.

    The book shows the package's own code with this (or a MyST ``literalinclude``), never a
    pasted copy, so the text and the code cannot drift apart.

    Examples
    --------
    >>> from cnncourse.signal import correlate1d
    >>> code = show_source(correlate1d)
    >>> "def correlate1d" in code.data
    True
    """
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")


__all__ = conv.__all__ + pool.__all__ + training.__all__ + [
    "show_source", "use_book_style", "text_color_for", "contrast_ratio", "annotate_cells", "BookAnimation",
    "player_html", "BOOK_DPI", "BOOK_STYLE", "FONT_SIZE", "MAX_WIDTH_IN"]
