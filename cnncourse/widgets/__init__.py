"""Interactive explorers for the book (ipywidgets). Each has a static counterpart in :mod:`cnncourse.viz`."""
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
from .modern import *  # noqa: F401,F403
from .detection import *  # noqa: F401,F403
from . import conv, detection, pool, training, modern  # noqa: F401

__all__ = conv.__all__ + pool.__all__ + training.__all__ + modern.__all__ + detection.__all__
