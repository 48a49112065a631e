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
import numbers

import numpy as np

from .nn.module import Parameter

__all__ = ["Optimizer", "SGD", "Adam"]


def _check_number(value, name: str, owner: str, low: float = 0.0, high: float | None = None,
                  high_open: bool = False) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise TypeError(f"{owner}: {name} must be a finite number, got {value!r}")
    value = float(value)
    if value < low or (high is not None and (value >= high if high_open else value > high)):
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{owner}: {name} must be {bound}, got {value}")
    return value


class Optimizer:
    """Base class: keeps the parameters and implements ``zero_grad``; subclasses ``step``.

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``model.parameters()``.
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
        self.lr = _check_number(lr, "lr", "SGD")
        self.momentum = _check_number(momentum, "momentum", "SGD")
        self.weight_decay = _check_number(weight_decay, "weight_decay", "SGD")
        self.nesterov = bool(nesterov)
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
        self.lr = _check_number(lr, "lr", "Adam")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_check_number(betas[0], "betas[0]", "Adam", 0.0, 1.0, high_open=True),
                      _check_number(betas[1], "betas[1]", "Adam", 0.0, 1.0, high_open=True))
        self.eps = _check_number(eps, "eps", "Adam")
        self.weight_decay = _check_number(weight_decay, "weight_decay", "Adam")
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
