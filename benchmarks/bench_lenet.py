"""One LeNet-5 training step (float32, batch 64, 28x28x1): cnncourse.nn vs PyTorch CPU.

A step is forward, cross-entropy, backward and an SGD update with momentum, on the same fixed
batch. The architecture: conv 5x5x6 (padding 2), ReLU, max pool 2, conv 5x5x16, ReLU, max
pool 2, flatten, fc 120, ReLU, fc 84, ReLU, fc 10. As in any training loop, neither computes
the gradient with respect to the input images (``model.backward(..., input_grad=False)``; in
PyTorch the images do not require grad). ``quick`` uses batch 16.
"""
from __future__ import annotations

import numpy as np

from run import Case, torch_or_none

from cnncourse import nn, optim


def lenet(rng) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120, rng=rng), nn.ReLU(),
        nn.Linear(120, 84, rng=rng), nn.ReLU(),
        nn.Linear(84, 10, rng=rng))


def cases(quick: bool) -> list[Case]:
    torch = torch_or_none()
    n = 16 if quick else 64
    rng = np.random.default_rng(0)
    X = rng.random((n, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n)

    model = lenet(rng)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def fast():
        loss = criterion(model(X), y)
        optimizer.zero_grad()
        model.backward(criterion.backward(), input_grad=False)   # no dL/dX, as PyTorch
        optimizer.step()
        return loss

    impls = {"fast": fast}
    if torch is not None:
        tnn = torch.nn
        tmodel = tnn.Sequential(
            tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
            tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
        with torch.no_grad():                       # identical starting weights
            for name, value in model.state_dict().items():
                tmodel.state_dict()[name].copy_(torch.from_numpy(value))
        tcriterion = tnn.CrossEntropyLoss()
        toptimizer = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)

        def torch_impl():
            toptimizer.zero_grad()
            loss = tcriterion(tmodel(tX), ty)
            loss.backward()
            toptimizer.step()
            return loss

        impls["torch"] = torch_impl
    return [Case(group="lenet", name=f"LeNet-5 train step, batch {n}, 28x28x1", impls=impls)]
