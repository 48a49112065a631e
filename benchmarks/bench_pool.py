"""Pooling benchmarks: forward + backward with a fixed upstream gradient, float32.

The target is max pooling 2x2 on a LeNet-sized batch (64, 6, 28, 28): the fast version within
1.5x of PyTorch's CPU kernel at 2 threads. Average pooling and overlapping max pooling (3x3,
stride 2) are shown for information.
"""
from __future__ import annotations

import numpy as np

from run import Case, torch_or_none

from cnncourse.functional import pool


def _fast_impl(op, x, dout, *args):
    forward, backward = getattr(pool, f"{op}_forward"), getattr(pool, f"{op}_backward")

    def run():
        out, cache = forward(x, *args)
        return backward(dout, cache)
    return run


def _naive_impl(op, x, dout, *args):
    forward, backward = getattr(pool, f"{op}_naive"), getattr(pool, f"{op}_backward_naive")
    cache = getattr(pool, f"{op}_forward")(x, *args)[1]  # the naive backward reads only x, params

    def run():
        forward(x, *args)
        return backward(dout, cache)
    return run


def _torch_impl(torch, fn, x, dout, *args):
    xt = torch.from_numpy(x)
    dt = torch.from_numpy(dout)

    def run():
        leaf = xt.detach().requires_grad_(True)
        out = fn(leaf, *args)
        (dx,) = torch.autograd.grad(out, leaf, dt)
        return dx
    return run


def cases(quick: bool) -> list[Case]:
    torch = torch_or_none()
    rng = np.random.default_rng(0)
    shape = (64, 6, 28, 28)
    x = rng.standard_normal(shape, dtype=np.float32)
    specs = [  # name, op, kernel_size, stride
        ("max_pool2d 2x2 (64,6,28,28)", "max_pool2d", 2, 2),
        ("avg_pool2d 2x2 (64,6,28,28)", "avg_pool2d", 2, 2),
        ("max_pool2d 3x3 s2 overlapping (64,6,28,28)", "max_pool2d", 3, 2),
    ]
    result = []
    for name, op, kernel, stride in specs:
        out_shape = getattr(pool, op)(x, kernel, stride).shape
        dout = rng.standard_normal(out_shape, dtype=np.float32)
        impls = {"fast": _fast_impl(op, x, dout, kernel, stride),
                 "naive": _naive_impl(op, x, dout, kernel, stride)}
        if torch is not None:
            impls["torch"] = _torch_impl(torch, getattr(torch.nn.functional, op), x, dout,
                                         kernel, stride)
        result.append(Case(group="pool", name=name, impls=impls, repeats={"naive": 1}))
    return result
