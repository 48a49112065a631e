"""``Parameter``, the ``Module`` base class and ``Sequential``.

A module is a function with state. ``forward(x)`` computes the output and keeps what the
backward pass needs; ``backward(dout)`` takes the gradient of the loss with respect to that
output, **adds** the gradients of the module's parameters to their ``.grad`` and returns the
gradient with respect to the input. There is no autograd: a network is a chain of modules,
and backpropagation is calling their ``backward`` in reverse order (see ``Sequential``).

Modules find their parameters and sub-modules by looking at their own attributes, in the order
they were assigned, so names and order match PyTorch's (``"0.weight"``, ``"0.bias"``, ...).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Iterator, NamedTuple

import numpy as np

from ..checks import check_bool, check_floating_dtype

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter:
    """A learnable array and its gradient.

    Parameters
    ----------
    data : ndarray, float
        The value; optimizers update it **in place**.
    name : str, optional
        The attribute name inside its module (``"weight"``, ``"bias"``).

    Attributes
    ----------
    data : ndarray
        Reassigning it (``p.data = p.data.astype(np.float64)``, a PyTorch habit) keeps ``grad``
        in step: same dtype and shape as the new data (values kept when the shape is the same,
        zeros otherwise), so gradients are never silently rounded to the old dtype.
    grad : ndarray, same shape and dtype as ``data``
        Starts at zero; ``Module.backward`` adds to it, ``zero_grad()`` resets it.
    name : str or None
    """

    __slots__ = ("_data", "grad", "name")

    def __init__(self, data: np.ndarray, name: str | None = None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Parameter: name must be a str or None, got {name!r}")
        self._data = _check_parameter_data(data)
        self.grad = np.zeros_like(data)
        self.name = name

    @property
    def data(self) -> np.ndarray:
        return self._data

    @data.setter
    def data(self, value: np.ndarray) -> None:
        value = _check_parameter_data(value)
        grad = getattr(self, "grad", None)
        if grad is not None and grad.shape == value.shape:
            if grad.dtype != value.dtype:
                self.grad = grad.astype(value.dtype)
        else:
            self.grad = np.zeros_like(value)
        self._data = value

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def size(self) -> int:
        return self._data.size

    def zero_grad(self) -> None:
        """Set ``grad`` to zero in place."""
        self.grad[...] = 0

    def __repr__(self) -> str:
        name = f"{self.name!r}, " if self.name else ""
        return f"Parameter({name}shape={self._data.shape}, dtype={self._data.dtype})"


def _check_parameter_data(data) -> np.ndarray:
    if not isinstance(data, np.ndarray) or not np.issubdtype(data.dtype, np.floating):
        got = type(data).__name__
        if isinstance(data, np.ndarray):
            got += f" of dtype {data.dtype}"
        raise TypeError(f"Parameter: data must be a floating-point ndarray, got {got}")
    return data


# How deep we are inside Module.__call__: a call at depth 0 starts a new forward pass.
_depth = 0


class LoadResult(NamedTuple):
    """Keys that ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _addindent(text: str, spaces: int = 2) -> str:
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of every layer and network.

    Subclasses implement ``forward(x)`` and ``backward(dout)``, and may list array attributes
    that are state but not learnable (BatchNorm's running statistics) in ``_buffers``. Set
    parameters and sub-modules as plain attributes; they are found automatically.

    What a forward saves for its backward goes on a **stack** (``_push`` in ``forward``,
    ``_saved`` in ``backward`` pops it), so one layer instance used twice in a network (a shared
    ``Tanh``) gets each of its backwards matched with the right forward, last in first out. A
    call ``model(x)`` from outside any module starts a new *forward pass*: the caches of the
    previous pass, in this module and all its sub-modules, are dropped. So
    ``model(x1); model(x2); model.backward(d)`` gives the gradients of the ``x2`` pass (as
    PyTorch's ``loss2.backward()``) and a second ``model.backward`` raises, instead of mixing
    the two passes; and a backward frees what its forward saved.

    Layers validate their constructor arguments only; the functional op they call validates
    ``x`` and ``dout`` (its message names the op and the argument).

    Attributes
    ----------
    training : bool
        True after ``train()`` (the default), False after ``eval()``. Dropout and BatchNorm
        behave differently in the two modes.
    """

    _buffers: tuple[str, ...] = ()
    training = True          # class defaults, so a subclass that forgets super().__init__() works

    def __init__(self):
        self.training = True
        self._caches = []

    # -- computing ----------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Given ``dL/d output``, add ``dL/d parameter`` to each ``.grad``; return ``dL/d input``."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward(dout)")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        global _depth
        if _depth == 0:
            self._start_pass()
        _depth += 1
        try:
            return self.forward(x)
        finally:
            _depth -= 1

    def _start_pass(self) -> None:
        """Drop the caches of a previous forward pass in this module and its sub-modules."""
        for module in self.modules():
            module._cache_stack().clear()

    def _cache_stack(self) -> list:
        stack = vars(self).get("_caches")
        if stack is None:
            stack = self._caches = []
        return stack

    def _push(self, cache) -> None:
        """Save what this forward's backward needs (one entry per forward call)."""
        self._cache_stack().append(cache)

    def _saved(self):
        """Pop the cache of the most recent forward call not yet backpropagated.

        RuntimeError naming the layer when there is none (no forward, or every forward of this
        pass already had its backward).
        """
        stack = self._cache_stack()
        if not stack:
            raise RuntimeError(f"{self._short_repr()}: backward() called before forward() (or "
                               f"more times than forward() in this pass); call the module on "
                               f"an input first")
        return stack.pop()

    def _backward_params(self, dout: np.ndarray) -> None:
        """Only accumulate the parameter gradients (the input gradient is not needed).

        ``Sequential.backward(dout, input_grad=False)`` calls this on its first layer with
        parameters. Layers that can skip work (Conv2d, Linear) override it.
        """
        self.backward(dout)

    def _has_parameters(self) -> bool:
        return next(self.parameters(), None) is not None

    # -- structure ----------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """Direct sub-modules with their attribute names, in assignment order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, "Module"]]:
        """This module (name ``""``) and all sub-modules, depth first, with dotted names.

        A module reachable under two names (used twice) is listed once, under its first name,
        unless ``remove_duplicate=False`` (as PyTorch).
        """
        yield from self._named_modules(prefix, set() if remove_duplicate else None)

    def _named_modules(self, prefix, memo):
        if memo is not None:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child._named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", remove_duplicate: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """All parameters with PyTorch-style dotted names (``"0.weight"``, ``"3.bias"``).

        A Parameter shared by several layers (tied weights) is listed once, under its first
        name, as PyTorch does; ``remove_duplicate=False`` lists every name.
        """
        memo = set() if remove_duplicate else None
        for mod_prefix, module in self.named_modules(prefix, remove_duplicate=False):
            for name, value in vars(module).items():
                if isinstance(value, Parameter):
                    if memo is not None:
                        if id(value) in memo:
                            continue
                        memo.add(id(value))
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def parameters(self) -> Iterator[Parameter]:
        """All parameters, each once, in the order of ``named_parameters()``; pass them to an
        optimizer."""
        for _, param in self.named_parameters():
            yield param

    def num_parameters(self) -> int:
        """Total number of learnable scalars (a shared Parameter counts once)."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to zero (gradients accumulate otherwise)."""
        for param in self.parameters():
            param.zero_grad()

    def train(self, mode: bool = True) -> "Module":
        """Set training mode on this module and every sub-module; returns ``self``."""
        mode = check_bool(mode, f"{type(self).__name__}.train", "mode")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> "Module":
        """Set evaluation mode (``train(False)``); returns ``self``."""
        return self.train(False)

    def to(self, dtype) -> "Module":
        """Convert every parameter (and its gradient) and buffer to ``dtype``; returns ``self``.

        Create the optimizer after calling this: its state keeps the old dtype.
        """
        dtype = check_floating_dtype(dtype, f"{type(self).__name__}.to")
        for module in self.modules():
            for value in vars(module).values():
                if isinstance(value, Parameter):
                    value.data = value.data.astype(dtype, copy=False)
                    value.grad = value.grad.astype(dtype, copy=False)
            for name in module._buffers:
                setattr(module, name, getattr(module, name).astype(dtype, copy=False))
            module._cache_stack().clear()
        return self

    # -- state --------------------------------------------------------------------------------
    def _named_state(self) -> Iterator[tuple[str, Module, str, bool]]:
        """(dotted name, owner module, attribute, is_parameter) for parameters and buffers."""
        for prefix, module in self.named_modules(remove_duplicate=False):
            for name, value in vars(module).items():
                if isinstance(value, Parameter) or name in module._buffers:
                    full = f"{prefix}.{name}" if prefix else name
                    yield full, module, name, isinstance(value, Parameter)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of all parameters and buffers, keyed by dotted name."""
        state = OrderedDict()
        for full, module, name, is_param in self._named_state():
            value = getattr(module, name)
            state[full] = (value.data if is_param else value).copy()
        return state

    def load_state_dict(self, state_dict, strict: bool = True) -> LoadResult:
        """Copy arrays from ``state_dict`` into the parameters and buffers, keeping their dtype.

        Parameters
        ----------
        state_dict : mapping of str to ndarray
            As returned by :meth:`state_dict` (or loaded from a checkpoint).
        strict : bool, default True
            When True, missing or unexpected keys raise ``ValueError``. Shapes must always
            match.

        Returns
        -------
        LoadResult(missing_keys, unexpected_keys)
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where}: state_dict must be a mapping of names to arrays (as "
                            f"returned by state_dict()), got {type(state_dict).__name__}")
        strict = check_bool(strict, where, "strict")
        for key, value in state_dict.items():
            if not isinstance(value, np.ndarray) or not (np.issubdtype(value.dtype, np.floating)
                                                         or np.issubdtype(value.dtype, np.integer)):
                raise TypeError(f"{where}: state_dict[{key!r}] must be a numeric ndarray, got "
                                f"{type(value).__name__}")
        owners = {full: (module, name, is_param) for full, module, name, is_param in self._named_state()}
        missing = [key for key in owners if key not in state_dict]
        unexpected = [key for key in state_dict if key not in owners]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise ValueError(f"{where}: {' and '.join(parts)} (pass strict=False to skip them)")
        for key, (module, name, is_param) in owners.items():
            if key not in state_dict:
                continue
            value = np.asarray(state_dict[key])
            target = getattr(module, name).data if is_param else getattr(module, name)
            if value.shape != target.shape:
                raise ValueError(f"{where}: shape mismatch for {key!r}: the model has "
                                 f"{target.shape}, the state_dict has {value.shape}")
        for key, (module, name, is_param) in owners.items():
            if key in state_dict:
                target = getattr(module, name).data if is_param else getattr(module, name)
                np.copyto(target, np.asarray(state_dict[key]), casting="unsafe")
        return LoadResult(missing, unexpected)

    # -- printing -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The hyperparameters shown between the parentheses of ``repr``."""
        return ""

    def _short_repr(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return self._short_repr()
        lines = [f"({name}): {_addindent(repr(child))}" for name, child in children]
        extra = self.extra_repr()
        head = f"{type(self).__name__}(" + (extra if extra else "")
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """A chain of modules: ``forward`` calls them in order, ``backward`` in reverse order.

    Parameters
    ----------
    *layers : Module

    Examples
    --------
    >>> from cnncourse.nn import Linear, ReLU
    >>> model = Sequential(Linear(4, 8), ReLU(), Linear(8, 2))
    >>> len(model), type(model[1]).__name__, [name for name, _ in model.named_parameters()]
    (3, 'ReLU', ['0.weight', '0.bias', '2.weight', '2.bias'])
    """

    def __init__(self, *layers: Module):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be a Module, got {type(layer).__name__}")
            setattr(self, str(i), layer)
        self._layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        global _depth
        if _depth == 0:              # called directly (model.forward(x)): still one pass
            self._start_pass()
        _depth += 1
        try:
            for layer in self._layers:
                x = layer(x)
        finally:
            _depth -= 1
        self._push(True)
        return x

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate through the layers in reverse order.

        Parameters
        ----------
        dout : ndarray
            Gradient of the loss with respect to the output of the last layer.
        input_grad : bool, default True
            With False, stop as soon as every parameter has its gradient: the first layer
            with parameters only accumulates them, and layers before it are skipped. A
            training step never needs ``dL/dX`` for the images (PyTorch skips it too, since
            the inputs do not require grad); this saves the most expensive part of the
            first convolution's backward.

        Returns
        -------
        dx : ndarray, shape of the input, or None when ``input_grad`` is False
        """
        self._saved()
        layers = self._layers
        if input_grad:
            for layer in reversed(layers):
                dout = layer.backward(dout)
            return dout
        first = next((i for i, layer in enumerate(layers) if layer._has_parameters()), None)
        if first is not None:
            for layer in reversed(layers[first + 1:]):
                dout = layer.backward(dout)
            layers[first]._backward_params(dout)
        return None

    def _backward_params(self, dout: np.ndarray) -> None:
        self.backward(dout, input_grad=False)

    def append(self, layer: Module) -> "Sequential":
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.append: layer must be a Module, got {type(layer).__name__}")
        setattr(self, str(len(self._layers)), layer)
        self._layers.append(layer)
        return self

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        try:
            return self._layers[index]
        except (IndexError, TypeError):
            raise IndexError(f"Sequential: index {index!r} out of range for {len(self)} layers") from None
