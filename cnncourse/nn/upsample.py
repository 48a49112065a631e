"""Upsampling layer: a thin module over :mod:`cnncourse.functional.upsample`."""
from __future__ import annotations

import numpy as np

from .. import checks
from ..functional import upsample as F
from .module import Module

__all__ = ["Upsample"]


class Upsample(Module):
    """Nearest-neighbour upsampling by an integer ``scale_factor`` (no parameters).

    ``x (N, C, H, W) -> (N, C, H*s, W*s)``; as ``torch.nn.Upsample(scale_factor=s,
    mode='nearest')``. Follow it with a ``Conv2d`` to get a learned upsampling without the
    checkerboard pattern a ``ConvTranspose2d`` with stride 2 and kernel 3 tends to leave.
    """

    def __init__(self, scale_factor: int = 2, mode: str = "nearest"):
        super().__init__()
        self.scale_factor = checks.check_positive_int(scale_factor, "Upsample", "scale_factor")
        if mode != "nearest":
            raise ValueError(f"Upsample: mode must be 'nearest' (the only one implemented), "
                             f"got {mode!r}")
        self.mode = mode

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, cache = F.upsample_nearest_forward(x, self.scale_factor)
        self._push(cache)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.upsample_nearest_backward(dout, self._saved())

    def extra_repr(self) -> str:
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"
