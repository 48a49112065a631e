"""conv2d forward + backward (float32): cnncourse's im2col version vs its loops vs PyTorch CPU.

Every implementation does one forward and one backward for x, weight and bias with the same
fixed upstream gradient. The loop version would take minutes on the two largest shapes (about
2 million window dot products forward, twice that backward), so it is timed only on the two
LeNet shapes, once each; the other case names say "(no naive)". ``quick`` divides the batch
by 8 (the names show the batch actually used). The last row, (64, 64, 64, 64) with 64 3x3
filters, is measured for memory only.
"""
from __future__ import annotations

import numpy as np

from run import Case, torch_or_none

from cnncourse.functional import conv as F

# (label, N, C_in, H, W, C_out, k, stride, padding, time the naive loops?, timed?)
SHAPES = [
    ("LeNet c1", 64, 1, 28, 28, 6, 5, 1, 2, True, True),
    ("LeNet c2", 64, 6, 14, 14, 16, 5, 1, 0, True, True),
    ("", 32, 64, 32, 32, 64, 3, 1, 1, False, True),
    ("", 32, 32, 32, 32, 64, 3, 2, 1, False, True),
    # the memory case: its whole-batch im2col matrix alone would be 576 MiB (memory column only)
    ("memory", 64, 64, 64, 64, 64, 3, 1, 1, False, False),
]


def conv_flops(n, c_in, c_out, k, out_hw, need_dx=True):
    """Multiply-adds x 2 of one forward + backward: the three GEMMs (out, dweight, dx)."""
    gemm = 2 * n * out_hw[0] * out_hw[1] * c_out * c_in * k * k
    return gemm * (3 if need_dx else 2)


def _case(label, n, c_in, h, w, c_out, k, stride, padding, with_naive, timed, quick, torch):
    rng = np.random.default_rng(0)
    if quick:
        n = max(2, n // 8)
        if not timed:
            n, h, w = 2, h // 2, w // 2
    name = (f"{label} {n}x{c_in}x{h}x{w} {c_out}@{k}x{k}".strip()
            + (f" s{stride}" if stride != 1 else "") + (f" p{padding}" if padding else "")
            + ("" if with_naive or not timed else " (no naive)"))
    x = rng.standard_normal((n, c_in, h, w), dtype=np.float32)
    weight = rng.standard_normal((c_out, c_in, k, k), dtype=np.float32) * np.float32(0.1)
    bias = rng.standard_normal(c_out, dtype=np.float32)
    out_shape = F.conv2d(x, weight, bias, stride, padding).shape
    dout = rng.standard_normal(out_shape, dtype=np.float32)

    def fast():
        out, cache = F.conv2d_forward(x, weight, bias, stride, padding)
        return F.conv2d_backward(dout, cache)

    # the loop backward reads only the inputs and hyperparameters from the cache
    naive_cache = F.Conv2dCache(x, weight, True, (stride, stride), ((padding, padding),) * 2, (1, 1))

    def naive():
        F.conv2d_naive(x, weight, bias, stride, padding)
        return F.conv2d_backward_naive(dout, naive_cache)

    impls = {"fast": fast}
    if with_naive:
        impls["naive"] = naive
    if torch is not None:
        tx = torch.from_numpy(x).requires_grad_()
        tw = torch.from_numpy(weight).requires_grad_()
        tb = torch.from_numpy(bias).requires_grad_()
        tdout = torch.from_numpy(dout)

        def torch_impl():
            out = torch.nn.functional.conv2d(tx, tw, tb, stride, padding)
            return torch.autograd.grad(out, (tx, tw, tb), tdout)

        impls["torch"] = torch_impl
    return Case(group="conv", name=name, impls=impls, repeats={"naive": 1},
                flops=conv_flops(n, c_in, c_out, k, out_shape[2:]), timed=timed)


def cases(quick: bool) -> list[Case]:
    """The four timed shapes and the memory-only one (batch divided by 8 with ``quick``)."""
    torch = torch_or_none()
    return [_case(*shape, quick=quick, torch=torch) for shape in SHAPES]
