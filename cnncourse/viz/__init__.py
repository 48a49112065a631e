"""Figures and sliding-window animations used by the book (matplotlib; animations via ``to_jshtml``)."""
import inspect

from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
from . import conv, pool, training  # noqa: F401


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


__all__ = conv.__all__ + pool.__all__ + training.__all__ + ["show_source"]
