"""LeNet-5 and its training step written in plain PyTorch, line by line like ours.

The chapter *Modern CNNs* ("Where to go next") shows this file next to
:func:`cnncourse.models.lenet5`; ``tests/test_interop.py`` runs it: given our weights it
computes our outputs, and ``train_step`` updates the weights as our SGD does. It imports torch,
so it lives with the tests, outside the package (``import cnncourse`` never imports torch).
"""
from __future__ import annotations

import torch
from torch import nn


def lenet5(in_channels: int = 1, num_classes: int = 10,
           flat_side: int = 5) -> nn.Sequential:
    """LeNet-5 with ReLU and max pooling.

    ``flat_side`` = 5 for 28x28 inputs, 1 for 16x16.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=2), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * flat_side * flat_side, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )


def train_step(model: nn.Module, images, labels, lr: float = 0.1,
               momentum: float = 0.0) -> float:
    """One SGD step on one batch, as in every PyTorch training loop.

    Returns the loss.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=lr,
                                momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()

