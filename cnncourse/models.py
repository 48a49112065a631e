"""Ready-made networks (LeNet-5, an MLP, an all-convolutional net, a small ResNet) and :func:`summary`.

Every builder returns a :class:`cnncourse.nn.Sequential`, so ``model[0]`` is the first layer,
``model.parameters()`` feeds an optimizer and :func:`summary` prints the layer table.

About 520 lines: five builders and :func:`summary`, whose shape, parameter, mult-add and
receptive-field bookkeeping covers every layer type the builders use.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from . import nn
from .arithmetic import conv_output_size, pool_output_size, receptive_field
from .checks import as_rng, check_positive_int, is_int, is_real
from .tables import html_table, text_table

__all__ = ["lenet5", "mlp", "all_conv", "pool_net", "small_resnet", "summary", "Summary", "LayerInfo"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}
_GLOBAL_POOLS = {"avg": nn.AdaptiveAvgPool2d, "max": nn.AdaptiveMaxPool2d}


def _choice(value, table: dict, name: str, fn: str):
    if value not in table:
        raise ValueError(f"{fn}: {name} must be one of {tuple(table)}, got {value!r}")
    return table[value]


def lenet5(in_channels: int = 1, num_classes: int = 10, input_size=28, *, rng=None,
           activation: str = "relu", pool: str = "max") -> nn.Sequential:
    """LeNet-5 (LeCun et al., 1998) with modern defaults: ReLU and max pooling.

    ::

        Conv2d(in, 6, 5, padding=2) -> act -> pool 2      (H, W) -> (H/2, W/2)
        Conv2d(6, 16, 5)            -> act -> pool 2      -> s = ((H/2 - 4) / 2)
        Flatten -> Linear(16*s_h*s_w, 120) -> act -> Linear(120, 84) -> act -> Linear(84, classes)

    At ``input_size=28`` (MNIST) ``s = 5`` and the network has 61,706 parameters for 10
    classes. The sizes are computed with :mod:`cnncourse.arithmetic`, so any input of at least
    10x10 works; for the 8x8 UCI digits use ``digits(size=16)`` and ``input_size=16``.

    Parameters
    ----------
    in_channels : int, default 1
    num_classes : int, default 10
    input_size : int or (int, int), default 28
        Height and width of the input images.
    rng : int seed, None or numpy.random.Generator
        Initial weights; the same seed gives the same network.
    activation : {'relu', 'tanh', 'sigmoid'}, default 'relu'
        The 1998 paper used a scaled tanh.
    pool : {'max', 'avg'}, default 'max'
        The 1998 paper used trainable average-like subsampling.

    Returns
    -------
    Sequential
        Input (N, in_channels, H, W), output logits (N, num_classes).
    """
    fn = "lenet5"
    in_channels = check_positive_int(in_channels, fn, "in_channels")
    num_classes = check_positive_int(num_classes, fn, "num_classes")
    if is_int(input_size):
        size = (int(input_size), int(input_size))
    elif (isinstance(input_size, (tuple, list)) and len(input_size) == 2
          and all(is_int(v) for v in input_size)):
        size = (int(input_size[0]), int(input_size[1]))
    else:
        raise TypeError(f"{fn}: input_size must be an int or a pair (H, W), got {input_size!r}")
    Act = _choice(activation, _ACTIVATIONS, "activation", fn)
    Pool = _choice(pool, _POOLS, "pool", fn)
    rng = as_rng(rng, fn)

    def flat_size(n: int) -> int:
        try:
            n = pool_output_size(conv_output_size(n, 5, padding=2), 2)
            return pool_output_size(conv_output_size(n, 5), 2)
        except ValueError:
            raise ValueError(f"{fn}: input_size={input_size!r} is too small: the second 5x5 "
                             f"convolution needs at least 5x5 after the first pooling, so "
                             f"H and W must be >= 10") from None

    s_h, s_w = flat_size(size[0]), flat_size(size[1])
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=2, rng=rng), Act(),
        Pool(2),
        nn.Conv2d(6, 16, 5, rng=rng), Act(), Pool(2),
        nn.Flatten(),
        nn.Linear(16 * s_h * s_w, 120, rng=rng), Act(),
        nn.Linear(120, 84, rng=rng), Act(),
        nn.Linear(84, num_classes, rng=rng),
    )


def mlp(in_features: int, hidden: Sequence[int] = (128,), num_classes: int = 10, *, rng=None,
        dropout: float = 0.0, activation: str = "relu") -> nn.Sequential:
    """A multilayer perceptron on flattened pixels (the baseline the CNN is compared with).

    ``Flatten -> [Linear -> act (-> Dropout)] for each hidden width -> Linear(num_classes)``.
    The leading ``Flatten`` lets it take the same (N, C, H, W) images as a CNN; then
    ``in_features = C * H * W``.

    Parameters
    ----------
    in_features : int
        Inputs per sample after flattening (784 for 28x28 grayscale).
    hidden : sequence of int, default (128,)
        Widths of the hidden layers (may be empty: a linear classifier).
    num_classes : int, default 10
    rng : int seed, None or numpy.random.Generator
        Initial weights and dropout masks.
    dropout : float in [0, 1), default 0.0
        Dropout probability after each hidden activation (0: no Dropout layers).
    activation : {'relu', 'tanh', 'sigmoid'}, default 'relu'

    Returns
    -------
    Sequential
        Input (N, ...) with ``in_features`` values per sample, output logits (N, num_classes).
    """
    fn = "mlp"
    in_features = check_positive_int(in_features, fn, "in_features")
    num_classes = check_positive_int(num_classes, fn, "num_classes")
    if is_int(hidden) or not isinstance(hidden, (tuple, list)):
        raise TypeError(f"{fn}: hidden must be a sequence of layer widths such as (128,) or "
                        f"(256, 128), got {hidden!r}")
    widths = [check_positive_int(h, fn, "hidden width") for h in hidden]
    if not is_real(dropout) or not 0 <= dropout < 1:
        raise ValueError(f"{fn}: dropout must be a probability in [0, 1), got {dropout!r}")
    Act = _choice(activation, _ACTIVATIONS, "activation", fn)
    rng = as_rng(rng, fn)
    layers = [nn.Flatten()]
    prev = in_features
    for width in widths:
        layers += [nn.Linear(prev, width, rng=rng), Act()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout, rng=rng))
        prev = width
    layers.append(nn.Linear(prev, num_classes, rng=rng))
    return nn.Sequential(*layers)


def all_conv(in_channels: int = 1, num_classes: int = 10, *, channels: Sequence[int] = (16, 32),
             rng=None, activation: str = "relu", global_pool: str = "avg") -> nn.Sequential:
    """A small all-convolutional network (Springenberg et al., 2015): no pooling, no dense layer.

    For each width ``c`` in ``channels`` (a "stage")::

        Conv2d(c_prev, c, 3, padding=1) -> act -> Conv2d(c, c, 3, stride=2, padding=1) -> act

    The stride-2 convolution replaces pooling (a learned downsampling that halves H and W,
    rounding up). The head is a 1x1 convolution to ``num_classes`` maps followed by global
    average pooling, which gives one logit per class whatever the input size::

        Conv2d(c_last, num_classes, 1) -> AdaptiveAvgPool2d(1) -> Flatten

    Parameters
    ----------
    in_channels : int, default 1
    num_classes : int, default 10
    channels : sequence of int, default (16, 32)
        Width of each stage; ``len(channels)`` stages divide the resolution by
        ``2 ** len(channels)``.
    rng : int seed, None or numpy.random.Generator
    activation : {'relu', 'tanh', 'sigmoid'}, default 'relu'
    global_pool : {'avg', 'max'}, default 'avg'
        Global average pooling (as in the paper) or global max pooling.

    Returns
    -------
    Sequential
        Input (N, in_channels, H, W) for any H, W >= 1, output logits (N, num_classes).

    Notes
    -----
    Stride-2 convolutions sample their input on a fixed grid, so a shift by an odd number of
    pixels changes what they see (aliasing): trained on centred images only, this network is
    much less robust to translation than :func:`pool_net`, even though both end in global
    pooling.
    """
    fn = "all_conv"
    in_channels = check_positive_int(in_channels, fn, "in_channels")
    num_classes = check_positive_int(num_classes, fn, "num_classes")
    if is_int(channels) or not isinstance(channels, (tuple, list)) or not channels:
        raise TypeError(f"{fn}: channels must be a non-empty sequence of widths such as "
                        f"(16, 32), got {channels!r}")
    widths = [check_positive_int(c, fn, "channel width") for c in channels]
    Act = _choice(activation, _ACTIVATIONS, "activation", fn)
    rng = as_rng(rng, fn)
    layers = []
    prev = in_channels
    for width in widths:
        layers += [nn.Conv2d(prev, width, 3, padding=1, rng=rng), Act(),
                   nn.Conv2d(width, width, 3, stride=2, padding=1, rng=rng), Act()]
        prev = width
    GlobalPool = _choice(global_pool, _GLOBAL_POOLS, "global_pool", fn)
    layers += [nn.Conv2d(prev, num_classes, 1, rng=rng), GlobalPool(1), nn.Flatten()]
    return nn.Sequential(*layers)


def pool_net(in_channels: int = 1, num_classes: int = 10, *, channels: Sequence[int] = (8, 16),
             kernel_size: int = 5, rng=None, activation: str = "relu",
             global_pool: str = "max") -> nn.Sequential:
    """A fully convolutional network with max pooling and a global-pooling head.

    For each width ``c`` in ``channels``::

        Conv2d(c_prev, c, kernel_size, padding='same') -> act -> MaxPool2d(2)

    then ``Conv2d(c_last, num_classes, 1) -> global pooling -> Flatten``. Every layer is
    translation-equivariant and the global pooling is translation-invariant, so the network
    recognises a pattern wherever it appears: the course's measurement of invariance trains
    it on centred shapes and tests it on shifted ones. With ``global_pool='max'`` each logit
    is "the strongest evidence for this class anywhere in the image".

    Parameters
    ----------
    in_channels : int, default 1
    num_classes : int, default 10
    channels : sequence of int, default (8, 16)
    kernel_size : int, default 5
        Odd, so that ``'same'`` padding is symmetric.
    rng : int seed, None or numpy.random.Generator
    activation : {'relu', 'tanh', 'sigmoid'}, default 'relu'
    global_pool : {'max', 'avg'}, default 'max'

    Returns
    -------
    Sequential
        Input (N, in_channels, H, W) with H, W >= ``2 ** len(channels)``, output logits
        (N, num_classes).
    """
    fn = "pool_net"
    in_channels = check_positive_int(in_channels, fn, "in_channels")
    num_classes = check_positive_int(num_classes, fn, "num_classes")
    if is_int(channels) or not isinstance(channels, (tuple, list)) or not channels:
        raise TypeError(f"{fn}: channels must be a non-empty sequence of widths such as "
                        f"(8, 16), got {channels!r}")
    widths = [check_positive_int(c, fn, "channel width") for c in channels]
    kernel_size = check_positive_int(kernel_size, fn, "kernel_size")
    if kernel_size % 2 == 0:
        raise ValueError(f"{fn}: kernel_size must be odd (symmetric 'same' padding), got {kernel_size}")
    Act = _choice(activation, _ACTIVATIONS, "activation", fn)
    GlobalPool = _choice(global_pool, _GLOBAL_POOLS, "global_pool", fn)
    rng = as_rng(rng, fn)
    layers = []
    prev = in_channels
    for width in widths:
        layers += [nn.Conv2d(prev, width, kernel_size, padding=kernel_size // 2, rng=rng), Act(),
                   nn.MaxPool2d(2)]
        prev = width
    layers += [nn.Conv2d(prev, num_classes, 1, rng=rng), GlobalPool(1), nn.Flatten()]
    return nn.Sequential(*layers)


def small_resnet(in_channels: int = 1, num_classes: int = 10, *, channels: Sequence[int] = (8, 16),
                 blocks_per_stage: int = 1, batch_norm: bool = True, rng=None) -> nn.Sequential:
    """A small residual network (He et al., 2016) for small images such as the digits.

    ::

        stem:   Conv2d(in, c0, 3, padding=1) -> BatchNorm2d -> ReLU
        stages: for each width c in channels, blocks_per_stage ResidualBlocks; the first
                block of every stage but the first has stride 2 (halves H and W) and a
                1x1 projection shortcut
        head:   AdaptiveAvgPool2d(1) -> Flatten -> Linear(c_last, num_classes)

    The global-average-pooling head takes any input size and has only
    ``c_last * num_classes + num_classes`` parameters.

    Parameters
    ----------
    in_channels : int, default 1
    num_classes : int, default 10
    channels : sequence of int, default (8, 16)
        Width of each stage.
    blocks_per_stage : int, default 1
    batch_norm : bool, default True
        With False, no BatchNorm2d anywhere (the convolutions get biases).
    rng : int seed, None or numpy.random.Generator

    Returns
    -------
    Sequential
        Input (N, in_channels, H, W), output logits (N, num_classes).

    See Also
    --------
    cnncourse.nn.ResidualBlock, lenet5 (the chapter *Modern CNNs* compares the two).
    """
    fn = "small_resnet"
    in_channels = check_positive_int(in_channels, fn, "in_channels")
    num_classes = check_positive_int(num_classes, fn, "num_classes")
    if is_int(channels) or not isinstance(channels, (tuple, list)) or not channels:
        raise TypeError(f"{fn}: channels must be a non-empty sequence of widths such as "
                        f"(8, 16), got {channels!r}")
    widths = [check_positive_int(c, fn, "channel width") for c in channels]
    blocks_per_stage = check_positive_int(blocks_per_stage, fn, "blocks_per_stage")
    if not isinstance(batch_norm, bool):
        raise TypeError(f"{fn}: batch_norm must be True or False, got {batch_norm!r}")
    rng = as_rng(rng, fn)
    layers = [nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=not batch_norm, rng=rng)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(widths[0]))
    layers.append(nn.ReLU())
    prev = widths[0]
    for stage, width in enumerate(widths):
        for block in range(blocks_per_stage):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(nn.ResidualBlock(prev, width, stride, batch_norm=batch_norm, rng=rng))
            prev = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(prev, num_classes, rng=rng)]
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------
class LayerInfo(NamedTuple):
    """One row of a :class:`Summary`.

    Attributes
    ----------
    name : str
        Dotted name inside the model (``"0"``, ``"3"``, ``"features.1"``).
    layer : str
        The layer's repr, e.g. ``"Conv2d(1, 6, kernel_size=(5, 5), ...)"``.
    output_shape : tuple of int
        Shape of the output for one sample, without the batch axis: (C, H, W) or (features,).
    params : int
        Number of learnable scalars in this layer.
    mult_adds : int
        Multiply-accumulate operations for one sample (see :func:`summary`).
    receptive_field : (int, int) or None
        Height and width, in input pixels, of the region one output pixel of this layer sees;
        None for layers that are not convolutions or poolings.
    jump : (int, int) or None
        Distance in input pixels between neighbouring outputs (product of the strides so far).
    """

    name: str
    layer: str
    output_shape: tuple
    params: int
    mult_adds: int
    receptive_field: tuple | None
    jump: tuple | None


class Summary:
    """Layer-by-layer table of a model, returned by :func:`summary`.

    Prints as a text table (``print(summary(model, (1, 28, 28)))``) and as an HTML table in a
    notebook. Attributes: ``layers`` (list of :class:`LayerInfo`), ``input_shape``,
    ``output_shape``, ``total_params``, ``total_mult_adds``.
    """

    def __init__(self, model_name: str, input_shape: tuple, layers: list[LayerInfo],
                 total_params: int, param_bytes: int):
        self.model_name = model_name
        self.input_shape = input_shape
        self.layers = layers
        self.output_shape = layers[-1].output_shape if layers else input_shape
        self.total_params = total_params
        self.total_mult_adds = sum(row.mult_adds for row in layers)
        self.param_bytes = param_bytes

    @staticmethod
    def _fmt_pair(pair):
        if pair is None:
            return ""
        return f"{pair[0]}x{pair[1]}" if pair[0] != pair[1] else str(pair[0])

    def _table(self):
        header = ["Layer", "Output shape", "Params", "Mult-adds", "RF", "Jump"]
        rows = [[f"{r.name}: {r.layer.split('(')[0]}", str(r.output_shape), f"{r.params:,}",
                 f"{r.mult_adds:,}", self._fmt_pair(r.receptive_field), self._fmt_pair(r.jump)]
                for r in self.layers]
        return header, rows

    def _footer(self) -> list[str]:
        return [f"Input shape: {self.input_shape}    Output shape: {self.output_shape}",
                f"Total params: {self.total_params:,} ({self.param_bytes / 1024:.1f} KiB)",
                f"Total mult-adds per sample: {self.total_mult_adds:,}",
                "RF = receptive field in input pixels (height x width when they differ); "
                "Jump = input pixels between neighbouring outputs"]

    def __repr__(self) -> str:
        header, rows = self._table()
        align = [str.ljust, str.ljust, str.rjust, str.rjust, str.rjust, str.rjust]
        table = text_table(header, rows, align).split("\n")
        rule = "-" * max(len(line) for line in table)
        out = [f"{self.model_name} summary", rule, table[0], rule] + table[1:]
        out += [rule] + self._footer()
        return "\n".join(out)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return html_table(*self._table(), caption=f"{self.model_name} summary",
                          footer=self._footer())


def _leaves(module, prefix: str = ""):
    """(name, layer) in forward order, descending into nested Sequentials."""
    if isinstance(module, nn.Sequential):
        for i, layer in enumerate(module):
            name = f"{prefix}.{i}" if prefix else str(i)
            yield from _leaves(layer, name)
    else:
        yield (prefix or type(module).__name__), module


def _mult_adds(layer, x: np.ndarray, out: np.ndarray) -> int:
    """Multiply-accumulates of conv, transposed-conv and linear layers for one sample.

    A composite layer (``nn.ResidualBlock``) reports its own through ``mult_adds(x)``."""
    if hasattr(layer, "mult_adds"):
        return int(layer.mult_adds(x))
    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        return int(np.prod(out.shape[1:])) * layer.in_channels * kh * kw
    if isinstance(layer, nn.ConvTranspose2d):
        kh, kw = layer.kernel_size
        return int(np.prod(x.shape[1:])) * layer.out_channels * kh * kw
    if isinstance(layer, nn.Linear):
        return int(np.prod(out.shape[1:-1], dtype=np.int64)) * layer.in_features * layer.out_features
    return 0


def summary(model, input_shape) -> Summary:
    """Output shape, parameters, multiply-adds and receptive field of every layer.

    The shapes come from running one zero image through the layers (in evaluation mode, so
    Dropout draws no random numbers and BatchNorm keeps its statistics; the previous mode is
    restored). Nested ``Sequential`` models are listed layer by layer.

    Conventions:

    * **Mult-adds** counts the multiply-accumulate operations of convolutions and linear
      layers for one sample (``H_out * W_out * C_out * C_in * kH * kW`` for a convolution,
      ``in * out`` for a linear layer); biases, activations and pooling are not counted. One
      multiply-add is two floating-point operations, so FLOPs ~ 2 x mult-adds.
    * **RF** (receptive field) and **Jump** are given for convolution and pooling layers,
      from :func:`cnncourse.arithmetic.receptive_field` over the layers up to that one. After
      a ``Flatten``, ``Linear`` or adaptive pooling every output sees the whole input, so no
      RF is shown.

    Parameters
    ----------
    model : cnncourse.nn.Module
        Usually a ``Sequential``.
    input_shape : tuple of int
        One sample's shape (C, H, W), or (features,) for an MLP; a leading batch axis
        (1, C, H, W) is also accepted.

    Returns
    -------
    Summary
        Prints as a table; ``.layers``, ``.total_params``, ``.total_mult_adds``.

    Examples
    --------
    >>> s = summary(lenet5(rng=0), (1, 28, 28))
    >>> s.total_params, s.layers[0].output_shape, s.layers[5].receptive_field
    (61706, (6, 28, 28), (16, 16))
    """
    fn = "summary"
    if not isinstance(model, nn.Module):
        raise TypeError(f"{fn}: model must be a cnncourse.nn.Module, got {type(model).__name__}")
    if (not isinstance(input_shape, (tuple, list)) or not input_shape
            or not all(is_int(v) and v >= 1 for v in input_shape)):
        raise ValueError(f"{fn}: input_shape must be a tuple of positive ints such as "
                         f"(1, 28, 28), got {input_shape!r}")
    input_shape = tuple(int(v) for v in input_shape)
    if len(input_shape) == 4:
        if input_shape[0] != 1:
            raise ValueError(f"{fn}: input_shape with a batch axis must have batch size 1, "
                             f"got {input_shape}; give one sample's shape (C, H, W)")
        input_shape = input_shape[1:]
    params = list(model.parameters())
    dtype = params[0].data.dtype if params else np.float32
    x = np.zeros((1, *input_shape), dtype=dtype)
    rows = []
    spatial = []           # conv/pool layers so far, for the receptive field
    global_ = False        # once positions are mixed, receptive fields stop making sense
    was_training = model.training
    model.eval()
    try:
        for name, layer in _leaves(model):
            try:
                out = layer(x)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{fn}: layer {name} ({layer!r}) cannot take an input of shape "
                                 f"{x.shape[1:]} (per sample): {exc}") from None
            n_params = sum(p.size for p in layer.parameters())
            rf = jump = None
            kind = type(layer).__name__
            if isinstance(layer, (nn.Flatten, nn.Linear)) or kind.startswith("Adaptive"):
                global_ = True
            elif isinstance(layer, nn.ResidualBlock):
                global_ = True    # a graph of two branches: no single receptive-field chain
            elif hasattr(layer, "kernel_size") and not global_ and x.ndim == 4:
                spatial.append(layer)
                if not isinstance(layer, nn.ConvTranspose2d):
                    fh = receptive_field(spatial, axis=0)[-1]
                    fw = receptive_field(spatial, axis=1)[-1]
                    rf, jump = (fh.size, fw.size), (fh.jump, fw.jump)
            rows.append(LayerInfo(name, repr(layer).split("\n")[0], tuple(out.shape[1:]),
                                  int(n_params), _mult_adds(layer, x, out), rf, jump))
            if isinstance(layer, nn.ConvTranspose2d):
                global_ = True    # the receptive-field recurrence does not cover upsampling
            x = out
    finally:
        model.train(was_training)
    total = sum(p.size for p in params)
    nbytes = sum(p.data.nbytes for p in params)
    return Summary(type(model).__name__, input_shape, rows, int(total), int(nbytes))
