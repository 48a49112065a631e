"""Layers and losses: thin, PyTorch-like modules over :mod:`cnncourse.functional`.

Every layer has ``forward(x)`` (also ``layer(x)``) and ``backward(dout) -> dx``, which adds the
gradients of its parameters to their ``.grad``. A network is a ``Sequential`` of layers; a
training step is::

    logits = model(X)                 # forward
    loss = criterion(logits, y)       # CrossEntropyLoss
    model.zero_grad()
    model.backward(criterion.backward())
    optimizer.step()                  # cnncourse.optim.SGD / Adam
"""
from . import init  # noqa: F401
from .module import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .residual import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .upsample import *  # noqa: F401,F403
from . import module, linear, conv, pool, norm, residual, activation, loss, upsample  # noqa: F401

__all__ = (module.__all__ + conv.__all__ + pool.__all__ + linear.__all__ + norm.__all__ + residual.__all__
           + activation.__all__ + loss.__all__ + upsample.__all__ + ["init"])
