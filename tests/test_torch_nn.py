"""Optional cross-check of cnncourse.nn and cnncourse.optim against PyTorch (skipped without torch).

Every layer's forward, input gradient and parameter gradients with identical weights (float64),
the losses, BatchNorm's running statistics, and three SGD / Adam steps of a whole LeNet-5.
"""
from __future__ import annotations

import numpy as np
import pytest

from cnncourse import nn, optim

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


@pytest.fixture(autouse=True, scope="module")
def _few_threads():
    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                                # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def copy_weights(ours: nn.Module, theirs) -> None:
    """Give the torch module the parameters (and BatchNorm statistics) of ours."""
    state = theirs.state_dict()
    with torch.no_grad():
        for name, value in ours.state_dict().items():
            state[name].copy_(torch.from_numpy(value))


def compare(ours: nn.Module, theirs, x: np.ndarray, seed: int = 0, atol: float = 1e-10) -> None:
    ours.to(np.float64)
    theirs.double()
    copy_weights(ours, theirs)
    out = ours(x)
    tx = torch.tensor(x, requires_grad=True)
    tout = theirs(tx)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-9, atol=atol, err_msg="forward")
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    ours.zero_grad()
    dx = ours.backward(dout)
    tout.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=atol, err_msg="dx")
    tparams = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert sorted(names) == sorted(tparams)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), rtol=1e-9, atol=atol, err_msg=name)


CASES = {
    "conv": lambda: (nn.Conv2d(3, 4, (3, 2)), tnn.Conv2d(3, 4, (3, 2)), (2, 3, 7, 6)),
    "conv-stride-pad-dil": lambda: (nn.Conv2d(2, 3, 3, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
                                    tnn.Conv2d(2, 3, 3, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
                                    (2, 2, 7, 8)),
    "conv-same-nobias": lambda: (nn.Conv2d(2, 3, 4, padding="same", bias=False),
                                 tnn.Conv2d(2, 3, 4, padding="same", bias=False), (1, 2, 6, 5)),
    "conv-transpose": lambda: (nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
                               tnn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
                               (2, 3, 4, 5)),
    "maxpool": lambda: (nn.MaxPool2d(3, stride=2, padding=1), tnn.MaxPool2d(3, stride=2, padding=1),
                        (2, 2, 7, 6)),
    "avgpool": lambda: (nn.AvgPool2d((2, 3), stride=1, padding=1), tnn.AvgPool2d((2, 3), stride=1, padding=1),
                        (2, 2, 5, 6)),
    "lppool2": lambda: (nn.LPPool2d(2, 2), tnn.LPPool2d(2, 2), (2, 2, 6, 4)),
    "adaptive-avg": lambda: (nn.AdaptiveAvgPool2d((3, 2)), tnn.AdaptiveAvgPool2d((3, 2)), (2, 2, 7, 5)),
    "adaptive-max": lambda: (nn.AdaptiveMaxPool2d(3), tnn.AdaptiveMaxPool2d(3), (2, 2, 7, 5)),
    "relu": lambda: (nn.ReLU(), tnn.ReLU(), (3, 4, 5)),
    "leaky-relu": lambda: (nn.LeakyReLU(0.1), tnn.LeakyReLU(0.1), (3, 4, 5)),
    "sigmoid": lambda: (nn.Sigmoid(), tnn.Sigmoid(), (3, 4)),
    "tanh": lambda: (nn.Tanh(), tnn.Tanh(), (3, 4)),
    "softmax": lambda: (nn.Softmax(dim=1), tnn.Softmax(dim=1), (3, 5)),
    "log-softmax": lambda: (nn.LogSoftmax(dim=1), tnn.LogSoftmax(dim=1), (3, 5)),
    "flatten": lambda: (nn.Flatten(), tnn.Flatten(), (2, 3, 4, 5)),
    "linear": lambda: (nn.Linear(5, 3), tnn.Linear(5, 3), (4, 5)),
    "linear-3d-nobias": lambda: (nn.Linear(5, 3, bias=False), tnn.Linear(5, 3, bias=False), (2, 4, 5)),
    "batchnorm": lambda: (nn.BatchNorm2d(3), tnn.BatchNorm2d(3), (4, 3, 3, 2)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_layer_matches_torch(name):
    ours, theirs, shape = CASES[name]()
    rng = np.random.default_rng(1)
    for p in ours.parameters():
        p.data += rng.uniform(-0.5, 0.5, p.shape).astype(p.dtype)
    compare(ours, theirs, rng.standard_normal(shape))


def test_batchnorm_running_stats_and_eval_match_torch():
    rng = np.random.default_rng(2)
    ours, theirs = nn.BatchNorm2d(3, momentum=0.3).to(np.float64), tnn.BatchNorm2d(3, momentum=0.3).double()
    for _ in range(3):
        x = rng.normal(1.0, 2.0, (4, 3, 5, 2))
        ours(x)
        theirs(torch.from_numpy(x))
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, rng.standard_normal((2, 3, 4, 4)))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_losses_match_torch(reduction):
    rng = np.random.default_rng(3)
    logits, targets = rng.standard_normal((6, 5)) * 4, rng.integers(0, 5, 6)
    criterion = nn.CrossEntropyLoss(reduction=reduction)
    tlogits = torch.tensor(logits, requires_grad=True)
    tloss = tnn.CrossEntropyLoss(reduction=reduction)(tlogits, torch.from_numpy(targets))
    tloss.backward()
    assert criterion(logits, targets) == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(criterion.backward(), tlogits.grad.numpy(), rtol=1e-10, atol=1e-14)

    pred, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    mse = nn.MSELoss(reduction=reduction)
    tpred = torch.tensor(pred, requires_grad=True)
    tloss = tnn.MSELoss(reduction=reduction)(tpred, torch.from_numpy(target))
    tloss.backward()
    assert mse(pred, target) == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(mse.backward(), tpred.grad.numpy(), rtol=1e-10)


def lenet_pair(seed=0):
    ours = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=np.random.default_rng(seed)), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=np.random.default_rng(seed + 1)), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120, rng=np.random.default_rng(seed + 2)), nn.ReLU(),
        nn.Linear(120, 84, rng=np.random.default_rng(seed + 3)), nn.ReLU(),
        nn.Linear(84, 10, rng=np.random.default_rng(seed + 4)))
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
        tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    ours.to(np.float64)
    theirs.double()
    copy_weights(ours, theirs)
    return ours, theirs


def test_lenet_matches_torch():
    ours, theirs = lenet_pair()
    compare(ours, theirs, np.random.default_rng(4).standard_normal((3, 1, 28, 28)), atol=1e-12)


@pytest.mark.parametrize("make_ours, make_theirs", [
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    (lambda p: optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=0.01), lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01)),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.05),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.05)),
    (lambda p: optim.Adam(p, lr=1e-2), lambda p: torch.optim.Adam(p, lr=1e-2)),
    (lambda p: optim.Adam(p, lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
     lambda p: torch.optim.Adam(p, lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
], ids=["sgd-momentum", "sgd-nesterov", "sgd-weight-decay", "sgd-all", "adam", "adam-all"])
def test_three_training_steps_match_torch(make_ours, make_theirs):
    ours, theirs = lenet_pair(seed=5)
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((8, 1, 28, 28)), rng.integers(0, 10, 8)
    criterion, tcriterion = nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()
    opt, topt = make_ours(ours.parameters()), make_theirs(theirs.parameters())
    for _ in range(3):
        loss = criterion(ours(x), y)
        opt.zero_grad()
        ours.backward(criterion.backward())
        opt.step()
        topt.zero_grad()
        tloss = tcriterion(theirs(torch.from_numpy(x)), torch.from_numpy(y))
        tloss.backward()
        topt.step()
        assert loss == pytest.approx(tloss.item(), rel=1e-9)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.data, tparams[name].detach().numpy(), rtol=1e-8, atol=1e-11,
                                   err_msg=name)


def test_default_init_distribution_matches_torch():
    """Same bounds as torch's default init (uniform +-1/sqrt(fan_in) for weight and bias)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    for ours, theirs, fan_in in [(nn.Conv2d(6, 16, 5, rng=rng), tnn.Conv2d(6, 16, 5), 6 * 25),
                                 (nn.Linear(400, 120, rng=rng), tnn.Linear(400, 120), 400),
                                 (nn.ConvTranspose2d(16, 6, 5, rng=rng), tnn.ConvTranspose2d(16, 6, 5), 6 * 25)]:
        bound = 1 / np.sqrt(fan_in)
        for name, p in ours.named_parameters():
            t = dict(theirs.named_parameters())[name].detach().numpy()
            assert np.abs(p.data).max() <= bound and np.abs(t).max() <= bound * (1 + 1e-6)
            assert np.abs(p.data).max() > 0.75 * bound and np.abs(t).max() > 0.75 * bound
            if name == "weight":                  # thousands of samples: the spreads agree
                np.testing.assert_allclose(p.data.std(), t.std(), rtol=0.1)
