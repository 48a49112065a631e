"""Figures and sliding-window animations used by the book (matplotlib; animations via ``to_jshtml``)."""
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
from . import conv, pool, training  # noqa: F401

__all__ = conv.__all__ + pool.__all__ + training.__all__
