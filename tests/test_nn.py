"""Tests for cnncourse.nn: gradient checks of every layer, LeNet-5 sanity checks, Module API
(repr, state_dict, train/eval, to), initialisation and every error message."""
import math

import numpy as np
import pytest

from cnncourse import nn, optim
from cnncourse.gradcheck import check_gradient, relative_error

try:
    from threadpoolctl import threadpool_limits
except ImportError:                                    # pragma: no cover
    threadpool_limits = None


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """OpenBLAS threads spin-wait and run ~10x slower on a loaded machine; these tiny GEMMs
    need only one."""
    if threadpool_limits is None:
        yield
    else:
        with threadpool_limits(limits=1, user_api="blas"):
            yield


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def lenet(rng=None, dtype=np.float32):
    """LeNet-5 for 28x28x1 inputs, built from the layers under test."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=rng, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=rng, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120, rng=rng, dtype=dtype), nn.ReLU(),
        nn.Linear(120, 84, rng=rng, dtype=dtype), nn.ReLU(),
        nn.Linear(84, 10, rng=rng, dtype=dtype),
    )


def check_module(layer, x, rng, tol=1e-7, before_forward=None):
    """Gradient-check a module's input gradient and every parameter gradient in float64.

    ``before_forward`` runs before every forward (Dropout uses it to fix its mask).
    """
    def f(_=None):
        if before_forward is not None:
            before_forward()
        return layer(x)

    out = f()
    dout = rng.standard_normal(out.shape)
    layer.zero_grad()
    dx = layer.backward(dout)
    assert dx.shape == x.shape and dx.dtype == x.dtype
    report = check_gradient(f, x, dx, dout=dout, tol=tol)
    assert report.passed, f"input: {report}"
    grads = {name: p.grad.copy() for name, p in layer.named_parameters()}
    for name, p in layer.named_parameters():
        report = check_gradient(f, p.data, grads[name], dout=dout, tol=tol)
        assert report.passed, f"{name}: {report}"


LAYERS = {
    "conv": lambda rng: (nn.Conv2d(3, 4, (3, 2), rng=rng), (2, 3, 7, 6)),
    "conv-stride-pad": lambda rng: (nn.Conv2d(2, 3, 3, stride=2, padding=1, rng=rng), (2, 2, 7, 8)),
    "conv-dilation-nobias": lambda rng: (nn.Conv2d(2, 3, 3, dilation=2, bias=False, rng=rng), (1, 2, 8, 7)),
    "conv-same": lambda rng: (nn.Conv2d(2, 2, 4, padding="same", rng=rng), (1, 2, 6, 5)),
    "conv-transpose": lambda rng: (nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1,
                                                      rng=rng), (2, 3, 4, 5)),
    "maxpool": lambda rng: (nn.MaxPool2d(2), (2, 3, 6, 5)),
    "maxpool-overlap": lambda rng: (nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    "avgpool": lambda rng: (nn.AvgPool2d((2, 3), stride=1, padding=1), (2, 2, 5, 6)),
    "lppool": lambda rng: (nn.LPPool2d(2, 2), (2, 2, 6, 4)),
    "lppool3": lambda rng: (nn.LPPool2d(3, 3, stride=2), (1, 2, 7, 7)),
    "adaptive-avg": lambda rng: (nn.AdaptiveAvgPool2d((3, 2)), (2, 2, 7, 5)),
    "adaptive-max": lambda rng: (nn.AdaptiveMaxPool2d(3), (2, 2, 7, 5)),
    "relu": lambda rng: (nn.ReLU(), (3, 4, 5)),
    "leaky-relu": lambda rng: (nn.LeakyReLU(0.1), (3, 4, 5)),
    "sigmoid": lambda rng: (nn.Sigmoid(), (3, 4)),
    "tanh": lambda rng: (nn.Tanh(), (3, 4)),
    "softmax": lambda rng: (nn.Softmax(dim=1), (3, 5)),
    "log-softmax": lambda rng: (nn.LogSoftmax(), (3, 5)),
    "flatten": lambda rng: (nn.Flatten(), (2, 3, 4, 5)),
    "linear": lambda rng: (nn.Linear(5, 3, rng=rng), (4, 5)),
    "linear-3d-nobias": lambda rng: (nn.Linear(5, 3, bias=False, rng=rng), (2, 4, 5)),
    "batchnorm-train": lambda rng: (nn.BatchNorm2d(3), (4, 3, 3, 2)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_gradients(name):
    rng = np.random.default_rng(0)
    layer, shape = LAYERS[name](rng)
    layer.to(np.float64)
    for p in layer.parameters():            # move BatchNorm away from weight 1 / bias 0
        p.data += rng.uniform(-0.5, 0.5, p.shape)
    x = rng.standard_normal(shape)
    if name == "lppool3":       # |x|^3 has tiny gradients near 0, swamped by rounding
        x = np.abs(x) + 0.5
    check_module(layer, x, rng)


def test_batchnorm_eval_gradients():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm2d(3).to(np.float64)
    bn.running_mean[:] = rng.standard_normal(3)
    bn.running_var[:] = rng.uniform(0.5, 2, 3)
    bn.eval()
    check_module(bn, rng.standard_normal((2, 3, 4, 3)), rng)


def test_dropout_gradients_with_fixed_mask():
    rng = np.random.default_rng(2)
    drop = nn.Dropout(0.3)

    def reseed():
        drop.rng = np.random.default_rng(7)

    check_module(drop, rng.standard_normal((4, 6)), rng, before_forward=reseed)


def _sampled_check(f, arr, analytic, dout, rng, count, tol):
    """Centred differences at ``count`` random entries of ``arr`` (all when it is small)."""
    flat = np.arange(arr.size) if arr.size <= count else rng.choice(arr.size, count, replace=False)
    h = 1e-5
    numerical, wanted = [], []
    for k in flat:
        idx = np.unravel_index(k, arr.shape)
        old = arr[idx]
        arr[idx] = old + h
        plus = np.sum(f() * dout)
        arr[idx] = old - h
        minus = np.sum(f() * dout)
        arr[idx] = old
        numerical.append((plus - minus) / (2 * h))
        wanted.append(analytic[idx])
    return relative_error(numerical, wanted)


def test_lenet_gradients():
    """A whole LeNet-5 in float64: input gradient and conv weights entry by entry, the large
    fully connected weights at 150 random entries each."""
    rng = np.random.default_rng(3)
    model = lenet(rng).to(np.float64)
    x = rng.standard_normal((2, 1, 28, 28))
    out = model(x)
    dout = rng.standard_normal(out.shape)
    model.zero_grad()
    dx = model.backward(dout)
    report = check_gradient(model, x, dx, dout=dout, tol=1e-6)
    assert report.passed, f"input: {report}"
    for name, p in model.named_parameters():
        err = _sampled_check(lambda: model(x), p.data, p.grad.copy(), dout, rng,
                             count=2500 if name.startswith("0.") or name.startswith("3.") else 150,
                             tol=1e-6)
        assert err < 1e-6, f"{name}: relative error {err:.1e}"


def test_lenet_with_loss_gradients():
    rng = np.random.default_rng(4)
    model = lenet(rng).to(np.float64)
    criterion = nn.CrossEntropyLoss()
    x, y = rng.standard_normal((3, 1, 28, 28)), np.array([1, 7, 3])
    criterion(model(x), y)
    model.zero_grad()
    model.backward(criterion.backward())
    grad = model[-1].weight.grad.copy()
    report = check_gradient(lambda _: criterion(model(x), y), model[-1].weight.data, grad, tol=1e-6)
    assert report.passed, str(report)


# --------------------------------------------------------------------------------------------
# LeNet-5 sanity checks (CS231n): initial loss, overfitting a tiny batch
# --------------------------------------------------------------------------------------------

def test_lenet_shapes_and_dtype():
    model = lenet(np.random.default_rng(0))
    x = np.zeros((5, 1, 28, 28), np.float32)
    out = model(x)
    assert out.shape == (5, 10) and out.dtype == np.float32
    dx = model.backward(np.ones_like(out))
    assert dx.shape == x.shape and dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert model.num_parameters() == 61706


def test_lenet_initial_loss_near_log10():
    rng = np.random.default_rng(5)
    model = lenet(rng)
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    loss = nn.CrossEntropyLoss()(model(x), rng.integers(0, 10, 64))
    assert abs(loss - math.log(10)) < 0.15


def test_lenet_overfits_20_samples():
    rng = np.random.default_rng(6)
    model = lenet(rng)
    x = rng.standard_normal((20, 1, 28, 28)).astype(np.float32)
    y = np.arange(20) % 10
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(300):
        logits = model(x)
        loss = criterion(logits, y)
        if (logits.argmax(axis=1) == y).all() and loss < 0.05:
            break
        optimizer.zero_grad()
        model.backward(criterion.backward())
        optimizer.step()
    assert (model(x).argmax(axis=1) == y).all()
    assert loss < 0.1


# --------------------------------------------------------------------------------------------
# Module API
# --------------------------------------------------------------------------------------------

def test_repr_like_pytorch():
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Sequential(nn.Flatten(), nn.Linear(1176, 10, bias=False)),
                          nn.Dropout(0.25), nn.BatchNorm2d(6), nn.LeakyReLU(),
                          nn.ConvTranspose2d(6, 3, 3, stride=2, output_padding=1, dilation=2),
                          nn.Conv2d(3, 3, 3, padding="same", bias=False))
    assert repr(model) == """Sequential(
  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
  (1): ReLU()
  (2): MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
  (3): Sequential(
    (0): Flatten(start_dim=1, end_dim=-1)
    (1): Linear(in_features=1176, out_features=10, bias=False)
  )
  (4): Dropout(p=0.25)
  (5): BatchNorm2d(6, eps=1e-05, momentum=0.1)
  (6): LeakyReLU(negative_slope=0.01)
  (7): ConvTranspose2d(6, 3, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1), dilation=(2, 2))
  (8): Conv2d(3, 3, kernel_size=(3, 3), stride=(1, 1), padding=same, bias=False)
)"""
    assert repr(nn.LPPool2d(2, 3)) == "LPPool2d(norm_type=2, kernel_size=(3, 3), stride=(3, 3), padding=(0, 0))"
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.Parameter(np.zeros((2, 3)), "weight")) == "Parameter('weight', shape=(2, 3), dtype=float64)"


def test_layer_attributes_are_pairs():
    conv = nn.Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), dilation=3)
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation) == ((3, 5), (2, 2), (1, 2), (3, 3))
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    assert conv.weight.dtype == np.float32
    pool = nn.MaxPool2d(3, padding=1)
    assert (pool.kernel_size, pool.stride, pool.padding) == ((3, 3), (3, 3), (1, 1))
    assert nn.ConvTranspose2d(4, 2, 3).weight.shape == (4, 2, 3, 3)
    assert nn.Linear(7, 2).weight.shape == (2, 7)


def test_sequential_container():
    layers = [nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers and model[-1] is layers[2]
    head = model[1:]
    assert isinstance(head, nn.Sequential) and list(head) == layers[1:]
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.name for p in model.parameters()] == ["weight", "bias", "weight", "bias"]
    assert list(model.children()) == layers
    assert list(model.modules()) == [model] + layers
    assert nn.Sequential(layers).__len__() == 3
    model.append(nn.Sigmoid())
    assert len(model) == 4 and model(np.zeros((1, 4), np.float32)).shape == (1, 2)
    with pytest.raises(IndexError, match="Sequential: index 9 out of range for 4 layers"):
        model[9]


@pytest.mark.parametrize("make", [
    lambda rng: lenet(rng),
    lambda rng: nn.Sequential(nn.Flatten(), nn.Dropout(0.0), nn.Linear(784, 16, rng=rng), nn.Tanh(),
                              nn.Linear(16, 10, rng=rng)),
    lambda rng: nn.Sequential(nn.Sequential(nn.ReLU(), nn.Conv2d(1, 3, 3, stride=2, rng=rng)),
                              nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(507, 10, rng=rng)),
    lambda rng: nn.Sequential(nn.ConvTranspose2d(1, 2, 2, stride=2, rng=rng), nn.AdaptiveAvgPool2d(2),
                              nn.Flatten(), nn.Linear(8, 10, rng=rng)),
], ids=["lenet", "mlp", "nested", "transpose-first"])
def test_backward_without_input_grad(make):
    """input_grad=False gives the same parameter gradients and skips dL/dX."""
    rng = np.random.default_rng(8)
    model = make(rng).to(np.float64)
    x = rng.standard_normal((3, 1, 28, 28))
    dout = rng.standard_normal((3, 10))
    model(x)
    model.zero_grad()
    model.backward(dout)
    full = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model(x)
    assert model.backward(dout, input_grad=False) is None
    for name, p, g in zip([n for n, _ in model.named_parameters()], model.parameters(), full):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-15, err_msg=name)
    assert nn.Sequential(nn.ReLU())(x) is not None
    parameterless = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    parameterless(x)
    assert parameterless.backward(rng.standard_normal((3, 1, 14, 14)), input_grad=False) is None


def test_backward_without_input_grad_checks_dout():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    model(np.zeros((2, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"dout must have the (shape of the )?forward output('s shape)? \(2, 2, 3, 3\)"):
        model.backward(np.zeros((2, 2, 3, 4), np.float32), input_grad=False)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())
    model(np.zeros((2, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"flatten_backward: dout must have the shape of the forward "
                                         r"output \(2, 18\), got \(2, 24\)"):
        model.backward(np.zeros((2, 24), np.float32), input_grad=False)
    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    model(np.zeros((2, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match="conv2d"):
        model.backward(np.zeros((2, 2, 3, 4), np.float32), input_grad=False)


def test_nested_names_and_zero_grad():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3)), nn.Flatten(), nn.Linear(8, 2))
    assert [n for n, _ in model.named_parameters()] == ["0.0.weight", "0.0.bias", "2.weight", "2.bias"]
    x = np.ones((2, 1, 4, 4), np.float32)
    model(x)
    model.backward(np.ones((2, 2), np.float32))
    first = model[2].weight.grad.copy()
    model(x)
    model.backward(np.ones((2, 2), np.float32))
    np.testing.assert_allclose(model[2].weight.grad, 2 * first, rtol=1e-6)   # accumulates
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_state_dict_round_trip():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=rng), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3, rng=rng))
    model(rng.standard_normal((4, 1, 4, 4)).astype(np.float32))       # moves the running stats
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "3.weight", "3.bias"]
    state["0.weight"][...] = 123                                       # a copy, not a view
    assert not (model[0].weight.data == 123).any()
    other = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    result = other.load_state_dict(model.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=k)
    x = rng.standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(model.eval()(x), other.eval()(x))
    # float64 state into a float32 model keeps float32
    other.load_state_dict({k: v.astype(np.float64) for k, v in model.state_dict().items()})
    assert other[0].weight.dtype == np.float32


def test_load_state_dict_errors():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    state = model.state_dict()
    missing = {k: v for k, v in state.items() if k != "2.bias"}
    with pytest.raises(ValueError, match=r"missing keys \['2.bias'\]"):
        model.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"unexpected keys \['5.weight'\]"):
        model.load_state_dict({**state, "5.weight": np.zeros(3)})
    with pytest.raises(ValueError, match=r"shape mismatch for '0.weight': the model has \(3, 4\), "
                                         r"the state_dict has \(4, 3\)"):
        model.load_state_dict({**state, "0.weight": np.zeros((4, 3))})
    result = model.load_state_dict({**missing, "9.x": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["9.x"]


def test_train_eval_recursive():
    model = nn.Sequential(nn.Sequential(nn.Dropout()), nn.BatchNorm2d(1))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_dropout_train_and_eval():
    drop = nn.Dropout(0.25, rng=np.random.default_rng(0))
    x = np.ones((200, 100), np.float32)
    out = drop(x)
    assert out.dtype == np.float32
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.01                # drop probability
    assert abs(out.mean() - 1) < 0.02                          # inverted: expectation kept
    np.testing.assert_array_equal(drop.backward(np.ones_like(x)), drop.mask)
    drop.eval()
    assert drop(x) is x and drop.backward(x) is x
    np.testing.assert_array_equal(nn.Dropout(1.0).train()(x), 0)
    same = [nn.Dropout(rng=np.random.default_rng(3))(x) for _ in range(2)]
    np.testing.assert_array_equal(*same)                       # seeded through rng


def test_batchnorm_train_and_eval():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3, momentum=0.5).to(np.float64)
    x = rng.normal(2.0, 3.0, (8, 3, 5, 4))
    out = bn(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-3)
    np.testing.assert_allclose(bn.running_mean, 0.5 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * x.var(axis=(0, 2, 3), ddof=1))  # unbiased
    bn.eval()
    before = bn.running_mean.copy()
    expected = (x - bn.running_mean[:, None, None]) / np.sqrt(bn.running_var[:, None, None] + 1e-5)
    np.testing.assert_allclose(bn(x), expected)
    np.testing.assert_array_equal(bn.running_mean, before)      # eval does not update
    assert nn.BatchNorm2d(2)(np.ones((2, 2, 2, 2), np.float32)).dtype == np.float32


def test_to_dtype():
    model = lenet(np.random.default_rng(0))
    bn = nn.BatchNorm2d(2)
    assert model.to(np.float64) is model
    assert all(p.data.dtype == np.float64 and p.grad.dtype == np.float64 for p in model.parameters())
    assert bn.to(np.float64).running_var.dtype == np.float64
    assert model(np.zeros((1, 1, 28, 28))).dtype == np.float64
    with pytest.raises(TypeError, match=r"Sequential.to: dtype must be a floating dtype \(float32 or float64\), got int64"):
        model.to(np.int64)


# --------------------------------------------------------------------------------------------
# initialisation
# --------------------------------------------------------------------------------------------

def test_default_init_is_pytorchs_uniform():
    conv = nn.Conv2d(6, 16, 5, rng=np.random.default_rng(0))
    bound = 1 / math.sqrt(6 * 25)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.95 * bound
    np.testing.assert_allclose(conv.weight.data.var(), bound ** 2 / 3, rtol=0.1)
    linear = nn.Linear(400, 120, rng=np.random.default_rng(0))
    assert np.abs(linear.weight.data).max() <= 1 / 20 and np.abs(linear.bias.data).max() <= 1 / 20
    transposed = nn.ConvTranspose2d(16, 6, 5, rng=np.random.default_rng(0))
    assert np.abs(transposed.weight.data).max() <= 1 / math.sqrt(6 * 25)
    a = nn.Linear(3, 2, rng=np.random.default_rng(42))
    b = nn.Linear(3, 2, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


@pytest.mark.parametrize("fn, std", [
    (nn.init.kaiming_normal, math.sqrt(2 / 500)),
    (nn.init.kaiming_uniform, math.sqrt(2 / 500)),
    (nn.init.xavier_normal, math.sqrt(2 / (500 + 5000))),
    (nn.init.xavier_uniform, math.sqrt(2 / (500 + 5000))),
])
def test_init_standard_deviations(fn, std):
    w = fn((200, 20, 5, 5), rng=np.random.default_rng(0), dtype=np.float64)
    assert w.dtype == np.float64 and w.shape == (200, 20, 5, 5)
    np.testing.assert_allclose(w.std(), std, rtol=0.02)
    assert abs(w.mean()) < 0.05 * std


def test_init_helpers():
    assert nn.init.calculate_fan_in_and_fan_out((6, 3, 5, 5)) == (75, 150)
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("tanh") == 5 / 3
    with pytest.raises(ValueError, match="calculate_gain: unknown nonlinearity 'gelu'"):
        nn.init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan'"):
        nn.init.kaiming_normal((3, 3), mode="fan")
    with pytest.raises(TypeError, match="Linear: rng must be an int seed, None or a numpy Generator"):
        nn.Linear(2, 2, rng="0")
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform((3,))


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [
    nn.Conv2d(1, 2, 3), nn.ConvTranspose2d(1, 2, 3), nn.MaxPool2d(2), nn.AvgPool2d(2),
    nn.LPPool2d(2, 2), nn.AdaptiveAvgPool2d(1), nn.AdaptiveMaxPool2d(1), nn.ReLU(),
    nn.LeakyReLU(), nn.Sigmoid(), nn.Tanh(), nn.Softmax(), nn.LogSoftmax(), nn.Flatten(),
    nn.Linear(2, 3), nn.Dropout(), nn.BatchNorm2d(2), nn.Sequential(nn.ReLU()),
], ids=lambda layer: type(layer).__name__)
def test_backward_before_forward(layer):
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=rf"^{name}\(.*\): backward\(\) called before forward\(\)"):
        layer.backward(np.ones((1, 2, 3, 3), np.float32))


def test_loss_backward_before_forward():
    for loss in (nn.CrossEntropyLoss(), nn.MSELoss()):
        with pytest.raises(RuntimeError, match=rf"{type(loss).__name__}\(\): backward\(\) called before forward"):
            loss.backward()


def test_conv_input_errors():
    """The layers let the op validate x: its message names the op and the argument."""
    conv = nn.Conv2d(3, 6, 5)
    with pytest.raises(ValueError, match=r"^conv2d: x has 1 channel but weight expects 3"):
        conv(np.zeros((8, 1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"^conv2d: x must be 4-D \(N, C, H, W\), got shape \(3, 28, 28\)"):
        conv(np.zeros((3, 28, 28), np.float32))
    with pytest.raises(TypeError, match=r"^conv2d: weight has dtype float32 but x has dtype float64"):
        conv(np.zeros((1, 3, 8, 8)))
    with pytest.raises(TypeError, match=r"^conv2d: x must be a numpy ndarray, got list"):
        conv([[1.0]])
    with pytest.raises(TypeError, match=r"x must have a floating dtype \(float32 or float64\), got uint8"):
        conv(np.zeros((1, 3, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"^conv_transpose2d: x has 2 channels but weight expects 4"):
        nn.ConvTranspose2d(4, 2, 3)(np.zeros((1, 2, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"^batch_norm2d: x has 2 channels but weight expects 3"):
        nn.BatchNorm2d(3)(np.zeros((2, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match=r"^max_pool2d\w*: x must be 4-D"):
        nn.MaxPool2d(2)(np.zeros((2, 3, 3), np.float32))


def test_linear_input_errors():
    linear = nn.Linear(400, 120)
    with pytest.raises(ValueError, match=r"^linear: x has 256 features but weight expects 400 "
                                         r"\(x.shape=\(8, 256\), weight.shape=\(120, 400\)\)$"):
        linear(np.zeros((8, 256), np.float32))
    with pytest.raises(ValueError, match=r"x.shape=\(8, 16, 5, 5\).*\(did you forget a Flatten\(\)"):
        linear(np.zeros((8, 16, 5, 5), np.float32))


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.Conv2d(0, 6, 5), ValueError, r"Conv2d: in_channels must be a positive int \(>= 1\), got 0"),
    (lambda: nn.Conv2d(1, 6, 2.5), TypeError, r"Conv2d: kernel_size must be an int or a pair"),
    (lambda: nn.Conv2d(1, 6, 3, padding="full"), ValueError, r"Conv2d: padding must be .*'same', got 'full'"),
    (lambda: nn.Conv2d(1, 6, 3, stride=2, padding="same"), ValueError, "padding='same' needs stride 1"),
    (lambda: nn.Conv2d(1, 6, 3, stride=0), ValueError, r"Conv2d: stride must be positive.*, got 0"),
    (lambda: nn.Linear(3.0, 2), TypeError, "Linear: in_features must be an int, got 3.0"),
    (lambda: nn.MaxPool2d(0), ValueError, "MaxPool2d: kernel_size must be positive"),
    (lambda: nn.Dropout(1.5), ValueError, r"Dropout: p must be in \[0.0, 1.0\], got 1.5"),
    (lambda: nn.BatchNorm2d(3, momentum=2), ValueError, r"BatchNorm2d: momentum must be in \[0.0, 1.0\], got 2.0"),
    (lambda: nn.BatchNorm2d(3, eps=0), ValueError, "BatchNorm2d: eps must be > 0.0, got 0.0"),
    (lambda: nn.Sequential(nn.ReLU(), np.tanh), TypeError, "Sequential: layer 1 must be a Module"),
    (lambda: nn.Parameter([1.0]), TypeError, "Parameter: data must be a floating-point ndarray"),
    (lambda: nn.CrossEntropyLoss(reduction="none"), ValueError, "reduction must be 'mean' or 'sum'"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_batchnorm_needs_more_than_one_value():
    with pytest.raises(ValueError, match="training needs more than one value per channel"):
        nn.BatchNorm2d(2)(np.zeros((1, 2, 1, 1), np.float32))
    assert nn.BatchNorm2d(2).eval()(np.zeros((1, 2, 1, 1), np.float32)).shape == (1, 2, 1, 1)


def test_op_errors_pass_through():
    """Errors from the functional ops (here: a kernel larger than the input) still surface."""
    with pytest.raises(ValueError, match="conv2d"):
        nn.Conv2d(1, 1, 5)(np.zeros((1, 1, 3, 3), np.float32))


# --------------------------------------------------------------------------------------------
# issue 13: one instance used twice, dout checks, tied weights, caches, constructors, kwargs
# --------------------------------------------------------------------------------------------

def _grads(model):
    return [p.grad.copy() for p in model.parameters()]


def test_shared_layer_used_twice_gives_the_gradients_of_two_layers():
    """A Tanh instance used twice in one network: each backward consumes its own forward."""
    rng = np.random.default_rng(0)
    shared_tanh = nn.Tanh()
    lin1, lin2 = nn.Linear(4, 5, rng=rng).to(np.float64), nn.Linear(5, 3, rng=rng).to(np.float64)
    shared = nn.Sequential(lin1, shared_tanh, lin2, shared_tanh)
    separate = nn.Sequential(lin1, nn.Tanh(), lin2, nn.Tanh())
    x, dout = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    out_shared = shared(x)
    shared.zero_grad()
    dx_shared = shared.backward(dout)
    g_shared = _grads(shared)
    np.testing.assert_array_equal(separate(x), out_shared)
    separate.zero_grad()
    dx_separate = separate.backward(dout)
    np.testing.assert_allclose(dx_shared, dx_separate, rtol=1e-12)
    for a, b in zip(g_shared, _grads(separate)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_second_forward_before_backward_is_right_or_refused():
    """forward(x1), forward(x2), backward: the gradient of the last pass; never a mixture."""
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(4, 5, rng=rng), nn.Tanh(), nn.Linear(5, 2, rng=rng)).to(np.float64)
    x1, x2, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    model(x2)
    model.zero_grad()
    expected_dx = model.backward(dout)
    expected = _grads(model)
    model(x1)
    model(x2)
    model.zero_grad()
    np.testing.assert_allclose(model.backward(dout), expected_dx, rtol=1e-12)
    for a, b in zip(_grads(model), expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        model.backward(dout)                  # the pass was consumed; x1's was dropped


@pytest.mark.parametrize("layer, x", [
    (nn.Dropout(0.5, rng=np.random.default_rng(0)), np.ones((4, 3), np.float32)),
    (nn.BatchNorm2d(3), np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)),
    (nn.Linear(3, 2, rng=np.random.default_rng(0)), np.ones((4, 3), np.float32)),
    (nn.Flatten(), np.ones((4, 3, 2), np.float32)),
    (nn.ReLU(), np.ones((4, 3), np.float32)),
], ids=["dropout", "batchnorm", "linear", "flatten", "relu"])
def test_layer_backward_checks_dout(layer, x):
    name = type(layer).__name__.lower()
    fn = {"batchnorm2d": "batch_norm2d"}.get(name, name)
    out = layer(x)
    bad_shape = np.ones(out.shape[:-1] + (1,), np.float32)       # broadcastable, wrong
    with pytest.raises(ValueError, match=rf"{fn}\w*: dout must have .*shape"):
        layer.backward(bad_shape)
    layer(x)
    with pytest.raises(TypeError, match=rf"{fn}\w*: dout .*(dtype|float)"):
        layer.backward(np.ones(out.shape, np.int64))
    layer(x)
    with pytest.raises(TypeError, match=rf"{fn}\w*: dout must be a numpy ndarray, got list"):
        layer.backward(out.tolist())


def test_tied_weights_are_listed_counted_and_updated_once():
    rng = np.random.default_rng(2)
    a, b = nn.Linear(3, 3, rng=rng), nn.Linear(3, 3, rng=rng)
    b.weight = a.weight                                   # tied
    model = nn.Sequential(a, nn.ReLU(), b)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.bias"]      # as PyTorch: first name only
    assert len(list(model.parameters())) == 3
    assert model.num_parameters() == 9 + 3 + 3
    opt = optim.SGD(model.parameters(), lr=1.0)
    before = a.weight.data.copy()
    a.weight.grad[...] = 1.0
    opt.step()
    np.testing.assert_allclose(a.weight.data, before - 1.0, rtol=1e-6)
    opt2 = optim.SGD([a.weight, a.weight], lr=1.0)        # a list with duplicates, too
    opt2.step()
    np.testing.assert_allclose(a.weight.data, before - 2.0, rtol=1e-6)


def test_conv_keeps_no_im2col_in_eval_and_frees_the_cache_after_backward():
    conv = nn.Conv2d(3, 4, 3, rng=0)
    x = np.ones((2, 3, 8, 8), np.float32)
    conv.eval()
    conv(x)
    assert all(c.cols is None for c in conv._caches)       # no (27, 72) matrix held in eval
    conv.train()
    out = conv(x)
    assert conv._caches and conv._caches[-1].cols is not None
    conv.backward(np.ones_like(out))
    assert conv._caches == []                                # freed after backward
    model = nn.Sequential(nn.Conv2d(3, 4, 3, rng=0), nn.ReLU())
    out = model(x)
    model.backward(np.ones_like(out), input_grad=False)
    assert all(not m._caches for m in model.modules())


def test_parameter_data_reassigned_to_another_dtype_keeps_grad_in_step():
    p = nn.Parameter(np.zeros(3, np.float32))
    p.grad[...] = 1.5
    p.data = p.data.astype(np.float64)
    assert p.grad.dtype == np.float64 and p.grad.shape == (3,)
    np.testing.assert_array_equal(p.grad, 1.5)
    p.data = np.zeros((2, 2))
    assert p.grad.shape == (2, 2) and not p.grad.any()
    with pytest.raises(TypeError, match="Parameter: data must be a floating-point ndarray"):
        p.data = np.zeros(3, np.int64)
    layer = nn.Linear(3, 2, rng=0)
    layer.weight.data = layer.weight.data.astype(np.float64)
    assert layer.weight.grad.dtype == np.float64


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.LPPool2d(True, 2), TypeError, "LPPool2d: norm_type must be a real number, got True"),
    (lambda: nn.LPPool2d(0.5, 2), ValueError, "LPPool2d: norm_type must be >= 1"),
    (lambda: nn.Flatten(2.5), TypeError, "Flatten: start_dim must be an int, got 2.5"),
    (lambda: nn.Flatten("1"), TypeError, "Flatten: start_dim must be an int, got '1'"),
    (lambda: nn.Flatten(1, True), TypeError, "Flatten: end_dim must be an int, got True"),
    (lambda: nn.LeakyReLU("0.1"), TypeError, "LeakyReLU: negative_slope must be a real number, got '0.1'"),
    (lambda: nn.Softmax(dim=2.5), TypeError, "Softmax: dim must be an int, got 2.5"),
    (lambda: nn.LogSoftmax(dim="1"), TypeError, "LogSoftmax: dim must be an int, got '1'"),
    (lambda: nn.BatchNorm2d(3, eps=True), TypeError, "BatchNorm2d: eps must be a real number, got True"),
    (lambda: nn.BatchNorm2d(3, momentum=None), TypeError, "BatchNorm2d: momentum must be a real number"),
    (lambda: nn.AdaptiveAvgPool2d((0, 2)), ValueError, r"AdaptiveAvgPool2d: output_size must be positive.*got \(0, 2\)"),
    (lambda: nn.AdaptiveMaxPool2d((2, 2, 2)), TypeError, r"AdaptiveMaxPool2d: output_size must be an int or a pair"),
    (lambda: nn.Dropout("0.5"), TypeError, "Dropout: p must be a real number"),
    (lambda: nn.Linear(3, 2, bias="no"), TypeError, "Linear: bias must be True or False"),
    (lambda: nn.Conv2d(1, 2, 3, bias=None), TypeError, "Conv2d: bias must be True or False"),
    (lambda: nn.Linear(3, 2, dtype=np.int32), TypeError, "Linear: dtype must be a floating"),
    (lambda: nn.Linear(3, 2, rng="x"), TypeError, "Linear: rng must be"),
    (lambda: nn.Dropout(rng=1.5), TypeError, "Dropout: rng must be"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_constructors_validate_instead_of_coercing(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("make, match", [
    (lambda: nn.MaxPool2d(2, ceil_mode=True), r"MaxPool2d: argument 'ceil_mode' is not supported .*got ceil_mode=True"),
    (lambda: nn.MaxPool2d(2, dilation=2), r"MaxPool2d: argument 'dilation' is not supported .*got dilation=2"),
    (lambda: nn.AvgPool2d(2, count_include_pad=False), r"AvgPool2d: argument 'count_include_pad' is not supported .*got count_include_pad=False"),
    (lambda: nn.Conv2d(4, 4, 3, groups=2), r"Conv2d: argument 'groups' is not supported .*got groups=2"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="reflect"), r"Conv2d: argument 'padding_mode' is not supported .*got padding_mode='reflect'"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, groups=4), r"ConvTranspose2d: argument 'groups' is not supported .*got groups=4"),
    (lambda: nn.MaxPool2d(2, return_indices=True), r"MaxPool2d: argument 'return_indices' is not supported .*got return_indices=True"),
    (lambda: nn.ReLU(inplace=True), r"ReLU: argument 'inplace' is not supported .*got inplace=True"),
    (lambda: nn.Linear(3, 2, device="cuda"), r"Linear: argument 'device' is not supported .*got device='cuda'"),
    (lambda: nn.Conv2d(4, 4, 3, colour=1), r"Conv2d\(\) got an unexpected keyword argument 'colour'"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_unsupported_pytorch_arguments_are_named(make, match):
    with pytest.raises(TypeError, match=match):
        make()


def test_pytorch_arguments_at_their_default_are_accepted():
    nn.MaxPool2d(2, ceil_mode=False, dilation=1, return_indices=False)
    nn.AvgPool2d(2, count_include_pad=True, ceil_mode=False)
    nn.Conv2d(4, 4, 3, groups=1, padding_mode="zeros")
    nn.ReLU(inplace=False)


def test_layers_let_the_op_validate_x():
    """The op's message, naming the op and the argument, reaches the learner through the layer."""
    with pytest.raises(ValueError, match=r"^conv2d: x has 1 channel but weight expects 3 "
                                         r"\(x.shape=\(8, 1, 28, 28\), weight.shape=\(6, 3, 5, 5\)\)"):
        nn.Conv2d(3, 6, 5)(np.zeros((8, 1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"^linear: x has 256 features but weight expects 400"):
        nn.Linear(400, 120)(np.zeros((8, 256), np.float32))
    with pytest.raises(ValueError, match=r"did you forget a Flatten\(\)"):
        nn.Linear(400, 120)(np.zeros((8, 16, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"^batch_norm2d: x has 2 channels but weight expects 3"):
        nn.BatchNorm2d(3)(np.zeros((2, 2, 3, 3), np.float32))
    with pytest.raises(TypeError, match=r"^dropout: x must be a numpy ndarray, got list"):
        nn.Dropout()([1.0])


def test_one_rng_policy_int_seed_none_or_generator():
    a = nn.Linear(3, 2, rng=5)
    b = nn.Linear(3, 2, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert nn.Linear(3, 2, rng=None).weight.shape == (2, 3)
    np.testing.assert_array_equal(nn.init.kaiming_normal((3, 3), rng=4),
                                  nn.init.kaiming_normal((3, 3), rng=np.random.default_rng(4)))


_M = nn.Sequential(nn.Linear(2, 2, rng=np.random.default_rng(0)))


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.init.kaiming_uniform("x"), TypeError, r"^calculate_fan_in_and_fan_out: shape must be a tuple of ints"),
    (lambda: nn.init.kaiming_uniform((3, -1)), ValueError, r"^calculate_fan_in_and_fan_out: shape entry must be .*got -1"),
    (lambda: nn.init.kaiming_uniform((3, 0)), ValueError, r"^kaiming_uniform: shape \(3, 0\) has fan_in = 0"),
    (lambda: nn.init.kaiming_uniform((3, 3), dtype=np.int32), TypeError, r"^uniform: dtype must be a floating dtype"),
    (lambda: nn.init.kaiming_normal((3, 3), dtype="x"), TypeError, r"^kaiming_normal: dtype must be a numpy floating dtype"),
    (lambda: nn.init.calculate_gain("leaky_relu", "a"), TypeError, r"^calculate_gain: param must be a real number"),
    (lambda: nn.init.xavier_uniform((3, 3), gain="a"), TypeError, r"^xavier_uniform: gain must be a real number"),
    (lambda: nn.init.default_bias((3,), "a"), TypeError, r"^default_bias: fan_in must be an int"),
    (lambda: nn.init.calculate_fan_in_and_fan_out(None), TypeError, r"^calculate_fan_in_and_fan_out: shape must be a tuple"),
    (lambda: _M.load_state_dict(None), TypeError, r"^Sequential.load_state_dict: state_dict must be a mapping"),
    (lambda: _M.load_state_dict({"0.weight": [[1.0, 2.0]], "0.bias": "ab"}), TypeError,
     r"^Sequential.load_state_dict: state_dict\['0.weight'\] must be a numeric ndarray, got list"),
    (lambda: _M.load_state_dict(_M.state_dict(), strict=1), TypeError, r"^Sequential.load_state_dict: strict must be True or False"),
    (lambda: _M.train("no"), TypeError, r"^Sequential.train: mode must be True or False, got 'no'"),
    (lambda: _M.to("banana"), TypeError, r"^Sequential.to: dtype must be a numpy floating dtype"),
    (lambda: nn.Parameter(np.zeros(2), name=5), TypeError, r"^Parameter: name must be a str or None, got 5"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_module_and_init_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()
