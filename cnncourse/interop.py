"""The bridge to PyTorch: the same network, the same weights, in ``torch.nn``.

``to_torch(model)`` builds the equivalent ``torch.nn`` module of a :mod:`cnncourse.nn` model
(``Sequential`` of ``Conv2d``, ``Linear``, pooling, activations, ``Flatten``, ``Dropout``,
``BatchNorm2d`` and :class:`~cnncourse.nn.ResidualBlock`) with copies of its parameters and
BatchNorm statistics, in the same mode (train/eval) and dtype; ``from_torch(module)`` does the
reverse. A layer that has no counterpart raises a ``TypeError`` naming it and its position.

torch stays optional: this module imports it only when one of its functions is called, and
``import cnncourse`` never imports it. Equality of outputs, of a round trip and of an SGD step
is tested in ``tests/test_interop.py`` (skipped without torch). See the chapter *Modern CNNs*,
section "Where to go next".

Examples
--------
>>> from cnncourse import models, interop                     # doctest: +SKIP
>>> tmodel = interop.to_torch(models.lenet5(rng=0).eval())    # doctest: +SKIP
"""
from __future__ import annotations

import functools

import numpy as np

from . import nn

__all__ = ["to_torch", "from_torch", "SUPPORTED"]

SUPPORTED = ("Sequential", "Conv2d", "Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "MaxPool2d",
             "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Flatten", "Dropout",
             "BatchNorm2d", "ResidualBlock")


def _torch(fn: str):
    try:
        import torch
    except ImportError:
        raise ImportError(f"{fn}: PyTorch is not installed; install it (pip install torch) to "
                          f"convert models (cnncourse itself never needs it)") from None
    return torch


@functools.lru_cache(maxsize=None)
def _torch_residual_block():
    """The torch twin of :class:`cnncourse.nn.ResidualBlock`: same sub-module names and state."""
    torch = _torch("to_torch")
    tnn = torch.nn

    class ResidualBlock(tnn.Module):
        def __init__(self, in_channels, out_channels, stride=1, *, batch_norm=True):
            super().__init__()
            bias = not batch_norm

            def norm():
                return [tnn.BatchNorm2d(out_channels)] if batch_norm else []

            self.in_channels, self.out_channels = in_channels, out_channels
            self.stride, self.batch_norm = stride, batch_norm
            self.main = tnn.Sequential(
                tnn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=bias), *norm(),
                tnn.ReLU(),
                tnn.Conv2d(out_channels, out_channels, 3, 1, padding=1, bias=bias), *norm())
            self.shortcut = None
            if stride != 1 or in_channels != out_channels:
                self.shortcut = tnn.Sequential(
                    tnn.Conv2d(in_channels, out_channels, 1, stride, bias=bias), *norm())
            self.relu = tnn.ReLU()

        def forward(self, x):
            skip = x if self.shortcut is None else self.shortcut(x)
            return self.relu(self.main(x) + skip)

    ResidualBlock.__module__ = __name__
    ResidualBlock.__qualname__ = "ResidualBlock"
    return ResidualBlock


def torch_residual_block(in_channels: int, out_channels: int, stride: int = 1, *,
                         batch_norm: bool = True):
    """A ``torch.nn.Module`` computing what :class:`cnncourse.nn.ResidualBlock` computes."""
    return _torch_residual_block()(in_channels, out_channels, stride, batch_norm=batch_norm)


# ----------------------------------------------------------------------------------- to_torch
def _tensor(torch, array: np.ndarray):
    return torch.from_numpy(np.array(array, copy=True))


def _pad(padding):
    return padding if isinstance(padding, str) else tuple(padding)


# one converter per leaf layer type: (layer, torch.nn) -> the torch layer (weights copied after)
_TO_TORCH = {
    nn.Conv2d: lambda l, tnn: tnn.Conv2d(l.in_channels, l.out_channels, l.kernel_size, l.stride,
                                         _pad(l.padding), l.dilation, bias=l.bias is not None),
    nn.Linear: lambda l, tnn: tnn.Linear(l.in_features, l.out_features, bias=l.bias is not None),
    nn.BatchNorm2d: lambda l, tnn: tnn.BatchNorm2d(l.num_features, eps=l.eps, momentum=l.momentum),
    nn.ReLU: lambda l, tnn: tnn.ReLU(),
    nn.LeakyReLU: lambda l, tnn: tnn.LeakyReLU(l.negative_slope),
    nn.Tanh: lambda l, tnn: tnn.Tanh(),
    nn.Sigmoid: lambda l, tnn: tnn.Sigmoid(),
    nn.MaxPool2d: lambda l, tnn: tnn.MaxPool2d(l.kernel_size, l.stride, l.padding),
    nn.AvgPool2d: lambda l, tnn: tnn.AvgPool2d(l.kernel_size, l.stride, l.padding),
    nn.AdaptiveAvgPool2d: lambda l, tnn: tnn.AdaptiveAvgPool2d(l.output_size),
    nn.AdaptiveMaxPool2d: lambda l, tnn: tnn.AdaptiveMaxPool2d(l.output_size),
    nn.Flatten: lambda l, tnn: tnn.Flatten(l.start_dim, l.end_dim),
    nn.Dropout: lambda l, tnn: tnn.Dropout(l.p),
}


def _check_convertible(layer, where: str) -> None:
    """Raise :func:`to_torch`'s TypeError for the first layer with no PyTorch counterpart."""
    if isinstance(layer, nn.Sequential):
        for i, child in enumerate(layer):
            _check_convertible(child, f"{where}.{i}" if where else str(i))
    elif isinstance(layer, nn.ResidualBlock):
        _check_convertible(layer.main, f"{where}.main")
        if layer.shortcut is not None:
            _check_convertible(layer.shortcut, f"{where}.shortcut")
    elif type(layer) not in _TO_TORCH:
        raise TypeError(f"to_torch: cannot convert layer {where or '(the model)'} "
                        f"({type(layer).__name__}): no PyTorch counterpart is known; supported "
                        f"layers: {', '.join(SUPPORTED)}")


def _convert_to(layer, where: str, torch):
    tnn = torch.nn
    if isinstance(layer, nn.Sequential):
        return tnn.Sequential(*[_convert_to(child, f"{where}.{i}" if where else str(i), torch)
                                for i, child in enumerate(layer)])
    if isinstance(layer, nn.ResidualBlock):
        out = torch_residual_block(layer.in_channels, layer.out_channels, layer.stride,
                                   batch_norm=layer.batch_norm)
        out.main = _convert_to(layer.main, f"{where}.main", torch)
        if layer.shortcut is not None:
            out.shortcut = _convert_to(layer.shortcut, f"{where}.shortcut", torch)
        return out
    _check_convertible(layer, where)
    out = _TO_TORCH[type(layer)](layer, tnn)
    state = out.state_dict()
    with torch.no_grad():
        for name, value in layer.state_dict().items():
            state[name].copy_(_tensor(torch, value))
    return out


def _dtype_of(model) -> np.dtype:
    for _, value in model.state_dict().items():
        return value.dtype
    return np.dtype(np.float32)


def to_torch(model: nn.Module):
    """The ``torch.nn`` module equivalent to ``model``, with copies of its weights.

    Parameters
    ----------
    model : cnncourse.nn.Module
        A supported layer (see ``SUPPORTED``) or a ``Sequential`` of them, nested freely.

    Returns
    -------
    torch.nn.Module
        ``torch.nn.Sequential`` for a ``Sequential``; parameters in the model's dtype
        (float32 or float64), the same ``state_dict`` names, the same train/eval mode.

    Raises
    ------
    TypeError
        If ``model`` is not a cnncourse module, or a layer inside it has no counterpart (the
        message names the layer's position, e.g. ``3.main.1``, and its class).
    ImportError
        If PyTorch is not installed.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"to_torch: model must be a cnncourse.nn.Module, got {type(model).__name__}")
    _check_convertible(model, "")      # before importing torch: the same answer with or without it
    torch = _torch("to_torch")
    out = _convert_to(model, "", torch)
    dtype = _dtype_of(model)
    out = out.double() if dtype == np.float64 else out.float()
    out.train(model.training)
    for ours, theirs in zip(model.modules(), out.modules()):
        theirs.train(ours.training)
    return out


# --------------------------------------------------------------------------------- from_torch
def _unsupported(where, layer, what):
    return TypeError(f"from_torch: cannot convert layer {where or '(the module)'} "
                     f"({type(layer).__name__}): {what}")


def _convert_from(layer, where: str, torch):
    tnn = torch.nn
    residual = _torch_residual_block()
    if isinstance(layer, residual):
        out = nn.ResidualBlock(layer.in_channels, layer.out_channels, layer.stride,
                               batch_norm=layer.batch_norm)
        out.main = _convert_from(layer.main, f"{where}.main", torch)
        if layer.shortcut is not None:
            out.shortcut = _convert_from(layer.shortcut, f"{where}.shortcut", torch)
        return out
    kind = type(layer)
    if kind is tnn.Sequential:
        return nn.Sequential(*[_convert_from(child, f"{where}.{name}" if where else name, torch)
                               for name, child in layer.named_children()])
    if kind is tnn.Conv2d:
        if layer.groups != 1:
            raise _unsupported(where, layer, f"groups={layer.groups} (only groups=1 is implemented)")
        if layer.padding_mode != "zeros":
            raise _unsupported(where, layer, f"padding_mode={layer.padding_mode!r} (only 'zeros')")
        out = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                        _pad(layer.padding), layer.dilation, bias=layer.bias is not None)
    elif kind is tnn.Linear:
        out = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
    elif kind is tnn.BatchNorm2d:
        if not layer.affine or not layer.track_running_stats or layer.momentum is None:
            raise _unsupported(where, layer, "only affine=True, track_running_stats=True and a "
                               "numeric momentum are implemented")
        out = nn.BatchNorm2d(layer.num_features, layer.eps, layer.momentum)
    elif kind is tnn.ReLU:
        out = nn.ReLU()
    elif kind is tnn.LeakyReLU:
        out = nn.LeakyReLU(layer.negative_slope)
    elif kind is tnn.Tanh:
        out = nn.Tanh()
    elif kind is tnn.Sigmoid:
        out = nn.Sigmoid()
    elif kind in (tnn.MaxPool2d, tnn.AvgPool2d):
        if layer.ceil_mode:
            raise _unsupported(where, layer, "ceil_mode=True (only floor rounding)")
        if kind is tnn.MaxPool2d:
            if layer.dilation not in (1, (1, 1)) or layer.return_indices:
                raise _unsupported(where, layer, "dilation or return_indices")
            out = nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding)
        else:
            if not layer.count_include_pad or layer.divisor_override is not None:
                raise _unsupported(where, layer, "count_include_pad=False or divisor_override")
            out = nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding)
    elif kind is tnn.AdaptiveAvgPool2d:
        out = nn.AdaptiveAvgPool2d(layer.output_size)
    elif kind is tnn.AdaptiveMaxPool2d:
        if layer.return_indices:
            raise _unsupported(where, layer, "return_indices=True")
        out = nn.AdaptiveMaxPool2d(layer.output_size)
    elif kind is tnn.Flatten:
        out = nn.Flatten(layer.start_dim, layer.end_dim)
    elif kind is tnn.Dropout:
        out = nn.Dropout(layer.p)
    else:
        raise _unsupported(where, layer, f"no cnncourse counterpart; supported layers: "
                                         f"{', '.join(SUPPORTED)}")
    state = {name: value.detach().cpu().numpy().copy() for name, value in layer.state_dict().items()
             if not name.endswith("num_batches_tracked")}
    out.load_state_dict(state)
    return out


def from_torch(module):
    """The :mod:`cnncourse.nn` model equivalent to a ``torch.nn`` module, with its weights.

    Parameters
    ----------
    module : torch.nn.Module
        A ``torch.nn.Sequential`` (nested freely) of the layers ``to_torch`` produces, or one of
        them. Layer options that cnncourse does not implement (``groups``, ``ceil_mode``,
        ``padding_mode``...) are refused, never silently dropped.

    Returns
    -------
    cnncourse.nn.Module
        Parameters as numpy arrays of the module's dtype; the same train/eval mode.

    Raises
    ------
    TypeError
        If a layer has no counterpart, naming its position (``features.3``) and its class.
    """
    torch = _torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: module must be a torch.nn.Module, got {type(module).__name__}")
    out = _convert_from(module, "", torch)
    params = [p for p in module.parameters()]
    if params:
        out.to(np.dtype(str(params[0].dtype).replace("torch.", "")))
    out.train(module.training)
    for ours, theirs in zip(out.modules(), module.modules()):
        ours.train(theirs.training)
    return out
