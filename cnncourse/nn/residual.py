"""The residual block of ResNet (He et al., 2016): ``relu(F(x) + shortcut(x))``.

The block is a small graph, not a chain: the input goes through two 3x3 convolutions (the
*residual branch* ``F``) and, in parallel, through the *shortcut* (the identity, or a 1x1
convolution when the shape changes); the two are added and passed through a ReLU. Its
backward follows the graph: the gradient of the sum reaches both branches unchanged, and the
gradient with respect to ``x`` is the **sum** of what comes back through each branch::

    d_sum = relu.backward(dout)
    dx    = main.backward(d_sum) + shortcut.backward(d_sum)      # identity: + d_sum

That ``+ d_sum`` is why deep residual networks train: whatever the residual branches do, the
gradient has a path to the first layer that multiplies it by nothing.
"""
from __future__ import annotations

import numpy as np

from .. import checks
from ..arithmetic import conv_output_size
from .activation import ReLU
from .conv import Conv2d
from .module import Module, Sequential
from .norm import BatchNorm2d

__all__ = ["ResidualBlock"]


class ResidualBlock(Module):
    """ResNet's basic block: ``relu(main(x) + shortcut(x))``, as torchvision's ``BasicBlock``.

    ::

        main     = Conv2d(in, out, 3, stride, padding=1) -> BatchNorm2d -> ReLU
                   -> Conv2d(out, out, 3, padding=1) -> BatchNorm2d
        shortcut = identity                                   if stride == 1 and in == out
                   Conv2d(in, out, 1, stride) -> BatchNorm2d  otherwise (the projection)

    With ``batch_norm=False`` the BatchNorm layers are left out and the convolutions get a
    bias (with batch norm a bias is redundant: the norm subtracts it again).

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int, default 1
        Stride of the first 3x3 convolution (and of the projection): 2 halves H and W.
    batch_norm : bool, default True
    rng : int seed, None or numpy.random.Generator
        Initial weights (PyTorch's default initialisation, as every layer here).
    dtype : float dtype, default np.float32

    Attributes
    ----------
    main : Sequential
        The residual branch (names ``main.0.weight``, ... in ``state_dict``).
    shortcut : Sequential or None
        None for the identity.
    relu : ReLU
        The ReLU after the sum.

    Shapes: ``(N, in, H, W) -> (N, out, H_out, W_out)``, ``H_out = (H - 1) // stride + 1``.

    See Also
    --------
    cnncourse.models.small_resnet : a network of these blocks (chapter *Modern CNNs*).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *,
                 batch_norm: bool = True, rng=None, dtype=np.float32):
        super().__init__()
        name = "ResidualBlock"
        self.in_channels = checks.check_positive_int(in_channels, name, "in_channels")
        self.out_channels = checks.check_positive_int(out_channels, name, "out_channels")
        self.stride = checks.check_positive_int(stride, name, "stride")
        self.batch_norm = checks.check_bool(batch_norm, name, "batch_norm")
        rng = checks.as_rng(rng, name)
        dtype = checks.check_floating_dtype(dtype, name)
        bias = not batch_norm

        def norm():
            return [BatchNorm2d(out_channels, dtype=dtype)] if batch_norm else []

        self.main = Sequential(
            Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=bias, rng=rng, dtype=dtype),
            *norm(), ReLU(),
            Conv2d(out_channels, out_channels, 3, 1, padding=1, bias=bias, rng=rng, dtype=dtype),
            *norm())
        if stride != 1 or in_channels != out_channels:
            self.shortcut = Sequential(
                Conv2d(in_channels, out_channels, 1, stride, bias=bias, rng=rng, dtype=dtype),
                *norm())
        else:
            self.shortcut = None
        self.relu = ReLU()

    def forward(self, x: np.ndarray) -> np.ndarray:
        branch = self.main(x)
        skip = x if self.shortcut is None else self.shortcut(x)
        if branch.shape != skip.shape:      # only reachable with a bad input size
            raise ValueError(f"ResidualBlock: the residual branch gives {branch.shape} but the "
                             f"shortcut {skip.shape} (x.shape={x.shape})")
        return self.relu(branch + skip)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        d_sum = self.relu.backward(dout)
        dx = self.main.backward(d_sum)
        if self.shortcut is None:
            # the identity passes the gradient unchanged
            return dx + d_sum
        return dx + self.shortcut.backward(d_sum)

    def mult_adds(self, x: np.ndarray) -> int:
        """Multiply-accumulates of the convolutions for one sample of ``x`` (N, C, H, W)."""
        h, w = (conv_output_size(n, 3, stride=self.stride, padding=1) for n in x.shape[2:])
        total = h * w * self.out_channels * 9 * (self.in_channels + self.out_channels)
        if self.shortcut is not None:
            total += h * w * self.out_channels * self.in_channels
        return int(total)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, stride={self.stride}"
        return text if self.batch_norm else text + ", batch_norm=False"
