"""Optimizers: SGD (with momentum, Nesterov, weight decay) and Adam, with PyTorch's update rules.

An optimizer holds a list of :class:`~cnncourse.nn.Parameter` and updates their ``.data`` **in
place** from their ``.grad`` (keeping the dtype). Typical step::

    optimizer.zero_grad()
    model.backward(criterion.backward())
    optimizer.step()

The chapter *Training* derives the updates; they match ``torch.optim.SGD`` and
``torch.optim.Adam`` step for step (the tests check this).
"""
from __future__ import annotations

import math

import numpy as np

from .checks import check_bool, check_real
from .nn.module import Parameter

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: keeps the parameters and implements ``zero_grad``; subclasses ``step``.

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``model.parameters()``. A Parameter given twice is kept once, so it is
        updated once per step.
    """

    def __init__(self, params):
        owner = type(self).__name__
        if isinstance(params, Parameter):
            raise TypeError(f"{owner}: params must be an iterable of Parameters (e.g. "
                            f"model.parameters()), got a single Parameter")
        try:
            self.params = list(params)
        except TypeError:
            raise TypeError(f"{owner}: params must be an iterable of Parameters (e.g. "
                            f"model.parameters()), got {type(params).__name__}") from None
        if not self.params:
            raise ValueError(f"{owner}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(f"{owner}: params[{i}] must be a Parameter, got {type(p).__name__}")
        # a Parameter listed twice (tied weights gathered by hand) is updated once per step
        unique = {id(p): p for p in self.params}
        self.params = list(unique.values())
        self.state: list[dict] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.params:
            p.grad[...] = 0

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in self.defaults().items())
        return f"{type(self).__name__}({hyper})"

    def defaults(self) -> dict:
        return {}


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay.

    For each parameter ``p`` with gradient ``g`` (as ``torch.optim.SGD`` with dampening 0)::

        g = g + weight_decay * p                       # L2 regularisation
        buf = g                 (first step)
        buf = momentum * buf + g (later steps)
        g = g + momentum * buf  if nesterov else buf   # only when momentum > 0
        p = p - lr * g

    Parameters
    ----------
    params : iterable of Parameter
    lr : float >= 0
        Learning rate.
    momentum : float >= 0, default 0
    nesterov : bool, default False
        Requires ``momentum > 0``.
    weight_decay : float >= 0, default 0
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        self.lr = check_real(lr, "SGD", "lr", low=0.0)
        self.momentum = check_real(momentum, "SGD", "momentum", low=0.0)
        self.weight_decay = check_real(weight_decay, "SGD", "weight_decay", low=0.0)
        self.nesterov = check_bool(nesterov, "SGD", "nesterov")
        if self.nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True requires momentum > 0")
        super().__init__(params)

    def defaults(self) -> dict:
        return dict(lr=self.lr, momentum=self.momentum, nesterov=self.nesterov,
                    weight_decay=self.weight_decay)

    def step(self) -> None:
        """Update every parameter in place."""
        for p, state in zip(self.params, self.state):
            g = p.grad
            if self.weight_decay:
                g = g + p.data.dtype.type(self.weight_decay) * p.data
            if self.momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= p.data.dtype.type(self.momentum)
                    buf += g
                g = g + p.data.dtype.type(self.momentum) * buf if self.nesterov else buf
            p.data -= p.data.dtype.type(self.lr) * g


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), as ``torch.optim.Adam``.

    For each parameter, at step ``t = 1, 2, ...``::

        g = g + weight_decay * p                   # L2 penalty added to the gradient
        m = beta1 * m + (1 - beta1) * g            # running mean of gradients
        v = beta2 * v + (1 - beta2) * g**2         # running mean of squared gradients
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)   # bias correction
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    Parameters
    ----------
    params : iterable of Parameter
    lr : float >= 0, default 1e-3
    betas : (float, float) in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        self.lr = check_real(lr, "Adam", "lr", low=0.0)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (check_real(betas[0], "Adam", "betas[0]", low=0.0, high=1.0, high_open=True),
                      check_real(betas[1], "Adam", "betas[1]", low=0.0, high=1.0, high_open=True))
        self.eps = check_real(eps, "Adam", "eps", low=0.0)
        self.weight_decay = check_real(weight_decay, "Adam", "weight_decay", low=0.0)
        super().__init__(params)

    def defaults(self) -> dict:
        return dict(lr=self.lr, betas=self.betas, eps=self.eps, weight_decay=self.weight_decay)

    def step(self) -> None:
        """Update every parameter in place."""
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state):
            t = state["step"] = state.get("step", 0) + 1
            if t == 1:
                state["exp_avg"] = np.zeros_like(p.data)
                state["exp_avg_sq"] = np.zeros_like(p.data)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            dt = p.data.dtype.type
            g = p.grad
            if self.weight_decay:
                g = g + dt(self.weight_decay) * p.data
            m *= dt(beta1)
            m += dt(1 - beta1) * g
            v *= dt(beta2)
            v += dt(1 - beta2) * g * g
            step_size = self.lr / (1 - beta1 ** t)
            denom = np.sqrt(v)
            denom /= dt(math.sqrt(1 - beta2 ** t))
            denom += dt(self.eps)
            p.data -= dt(step_size) * m / denom
