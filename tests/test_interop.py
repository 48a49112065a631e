"""cnncourse.interop: to_torch / from_torch (skipped without torch, except the import test).

For LeNet-5 and small_resnet: outputs equal to float32 tolerance in eval mode, a round trip
from_torch(to_torch(m)) equal, one SGD step on the same batch giving the same weights as
torch.optim.SGD; the ResidualBlock's forward and gradients equal torch autograd's (float64);
the hand-written PyTorch LeNet-5 the chapter shows (tests/torch_twins.py) computes our outputs.
That importing cnncourse never imports torch is tested in tests/test_interop_no_torch.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from cnncourse import interop, models, nn, optim

torch = pytest.importorskip("torch")
import torch_twins  # noqa: E402  (tests/torch_twins.py, imports torch)


@pytest.fixture(autouse=True, scope="module")
def _few_threads():
    torch.set_num_threads(1)
    yield


def _batch(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, shape[0])


def _nets():
    return [pytest.param(lambda: models.lenet5(rng=0), (6, 1, 28, 28), id="lenet5"),
            pytest.param(lambda: models.small_resnet(rng=0), (6, 1, 16, 16), id="small_resnet"),
            pytest.param(lambda: models.small_resnet(channels=(4, 8, 8), blocks_per_stage=2,
                                                     batch_norm=False, rng=1), (3, 1, 12, 10),
                         id="small_resnet-plain-3stages")]


def _with_statistics(model, x):
    """Train-mode passes so BatchNorm's running statistics are not the defaults 0 and 1."""
    model.train()
    for _ in range(3):
        model(x)
    return model.eval()


@pytest.mark.parametrize("make, shape", _nets())
def test_eval_outputs_equal_and_round_trip(make, shape):
    x, _ = _batch(shape)
    ours = _with_statistics(make(), x * 2 + 1)
    theirs = interop.to_torch(ours)
    assert not theirs.training and list(theirs.state_dict().keys())[:2] == list(ours.state_dict())[:2]
    with torch.no_grad():
        out_t = theirs(torch.from_numpy(x)).numpy()
    out = ours(x)
    assert out_t.dtype == np.float32
    np.testing.assert_allclose(out_t, out, rtol=1e-4, atol=1e-5)
    back = interop.from_torch(theirs)
    assert not back.training
    np.testing.assert_array_equal(back(x), out)
    for (n, a), (m, b) in zip(back.state_dict().items(), ours.state_dict().items()):
        assert n == m and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b, err_msg=n)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("make, shape", _nets())
def test_one_sgd_step_gives_torchs_weights(make, shape, momentum):
    x, y = _batch(shape, seed=1)
    ours = make()
    theirs = interop.to_torch(ours)
    loss_t = torch_twins.train_step(theirs, torch.from_numpy(x), torch.from_numpy(y), lr=0.1,
                                    momentum=momentum)
    loss_fn, opt = nn.CrossEntropyLoss(), optim.SGD(ours.parameters(), lr=0.1, momentum=momentum)
    ours.train()
    loss = loss_fn(ours(x), y)
    opt.zero_grad()
    ours.backward(loss_fn.backward())
    opt.step()
    assert loss == pytest.approx(loss_t, rel=1e-5)
    state_t = theirs.state_dict()
    for name, value in ours.state_dict().items():            # weights and running statistics
        np.testing.assert_allclose(value, state_t[name].numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("in_c, out_c, stride, bn", [(3, 3, 1, True), (2, 4, 2, True),
                                                      (2, 3, 1, False)])
def test_residual_block_matches_torch_autograd_float64(in_c, out_c, stride, bn):
    rng = np.random.default_rng(5)
    ours = nn.ResidualBlock(in_c, out_c, stride, batch_norm=bn, rng=0).to(np.float64)
    theirs = interop.to_torch(ours)
    assert next(theirs.parameters()).dtype == torch.float64
    x = rng.standard_normal((4, in_c, 7, 6))
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    out_t = theirs(xt)
    out = ours(x)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.from_numpy(dout))
    ours.zero_grad()
    dx = ours.backward(dout)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    grads_t = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads_t[name].grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=name)


def test_the_chapters_pytorch_lenet_computes_our_outputs():
    ours = models.lenet5(rng=0).eval()
    theirs = torch_twins.lenet5()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    theirs.eval()
    x, _ = _batch((4, 1, 28, 28))
    with torch.no_grad():
        np.testing.assert_allclose(theirs(torch.from_numpy(x)).numpy(), ours(x), rtol=1e-4,
                                   atol=1e-5)
    converted = interop.from_torch(theirs)
    np.testing.assert_allclose(converted(x), ours(x), rtol=1e-6, atol=1e-6)
    assert [type(a).__name__ for a in converted] == [type(b).__name__ for b in ours]


def test_every_supported_layer_round_trips():
    layers = nn.Sequential(nn.Conv2d(2, 3, 3, stride=(1, 2), padding=1, rng=0),
                           nn.LeakyReLU(0.2), nn.Tanh(), nn.Sigmoid(), nn.AvgPool2d(2, padding=1),
                           nn.MaxPool2d(3, 1, 1), nn.AdaptiveMaxPool2d((2, 3)),
                           nn.BatchNorm2d(3, eps=1e-3, momentum=0.2), nn.Flatten(), nn.Dropout(0.3),
                           nn.Linear(18, 4, bias=False, rng=0), nn.ReLU())
    theirs = interop.to_torch(layers.eval())
    assert [type(m).__name__ for m in theirs] == [type(m).__name__ for m in layers]
    assert theirs[7].eps == 1e-3 and theirs[7].momentum == 0.2 and theirs[9].p == 0.3
    x, _ = _batch((2, 2, 8, 9))
    with torch.no_grad():
        np.testing.assert_allclose(theirs(torch.from_numpy(x)).numpy(), layers(x), rtol=1e-5, atol=1e-6)
    back = interop.from_torch(theirs)
    np.testing.assert_array_equal(back(x), layers(x))
    assert back[10].bias is None and back[0].stride == (1, 2)


def test_same_padding_and_training_mode_carry_over():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding="same", rng=0))
    theirs = interop.to_torch(model)
    assert theirs.training and theirs[0].padding == "same"
    assert interop.from_torch(theirs)[0].padding == "same"


class _Custom(nn.Module):
    def forward(self, x):
        return x


def test_to_torch_names_the_layer_it_cannot_convert():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.Sequential(nn.ReLU(), _Custom()))
    with pytest.raises(TypeError, match=r"to_torch: cannot convert layer 1\.1 \(_Custom\)"):
        interop.to_torch(model)
    with pytest.raises(TypeError, match="to_torch: model must be a cnncourse.nn.Module"):
        interop.to_torch(torch.nn.ReLU())


@pytest.mark.parametrize("module, match", [
    (torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.GELU()), r"layer 1 \(GELU\)"),
    (torch.nn.Sequential(torch.nn.Conv2d(4, 4, 3, groups=2)), r"layer 0 \(Conv2d\): groups=2"),
    (torch.nn.Sequential(torch.nn.ReLU(), torch.nn.MaxPool2d(2, ceil_mode=True)), r"layer 1 \(MaxPool2d\): ceil_mode"),
    (torch.nn.Sequential(torch.nn.BatchNorm2d(3, affine=False)), r"layer 0 \(BatchNorm2d\)"),
    (torch.nn.Sequential(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1, padding_mode="reflect"))),
     r"layer 0\.0 \(Conv2d\): padding_mode"),
])
def test_from_torch_names_the_layer_it_cannot_convert(module, match):
    with pytest.raises(TypeError, match="from_torch: cannot convert " + match):
        interop.from_torch(module)
    with pytest.raises(TypeError, match="from_torch: module must be a torch.nn.Module"):
        interop.from_torch(models.lenet5(rng=0))
