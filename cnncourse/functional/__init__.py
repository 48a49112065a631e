"""Batched NCHW operations with PyTorch's names and semantics.

Every op comes in five public functions: ``OP`` (fast, vectorized), ``OP_naive`` (explicit
loops, the version the book explains), ``OP_forward`` (fast, also returns what the backward
needs as a named tuple), ``OP_backward`` and ``OP_backward_naive``.

Shared pieces: :mod:`cnncourse.functional.window` (the one window module: views, offsets,
the slices the naive loops take, im2col/col2im, padding and crop), :mod:`cnncourse.geometry`
(output sizes, padding resolution) and :mod:`cnncourse.checks` (validation).
"""
from .conv import *  # noqa: F401,F403
from .conv_transpose import *  # noqa: F401,F403
from .conv1d import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .lp_pool import *  # noqa: F401,F403
from .adaptive_pool import *  # noqa: F401,F403
from .channel_pool import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from . import (activation, adaptive_pool, channel_pool, conv, conv_transpose, loss,  # noqa: F401
               lp_pool, norm, pool, window)
# the modules conv1d, linear and dropout share their names with their ops (as in torch.nn.functional,
# ``functional.linear`` is the op); their lists of names are imported under other names
from .conv1d import __all__ as _conv1d_all
from .linear import __all__ as _linear_all
from .dropout import __all__ as _dropout_all

__all__ = (conv.__all__ + _conv1d_all + conv_transpose.__all__ + pool.__all__ + lp_pool.__all__
           + adaptive_pool.__all__ + channel_pool.__all__ + activation.__all__ + loss.__all__
           + _linear_all + _dropout_all + norm.__all__)
