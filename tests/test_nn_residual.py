"""ResidualBlock (cnncourse.nn.residual) and models.small_resnet: shapes, gradient checks of the
input and every parameter (float64, both shortcuts, with and without batch norm), mult-adds,
errors. The PyTorch cross-check is in tests/test_interop.py."""
from __future__ import annotations

import numpy as np
import pytest

from cnncourse import models, nn
from cnncourse.gradcheck import check_gradient


def _block(in_c, out_c, stride, batch_norm, seed=0):
    block = nn.ResidualBlock(in_c, out_c, stride, batch_norm=batch_norm, rng=seed).to(np.float64)
    return block


CASES = [pytest.param(3, 3, 1, True, id="identity-bn"),
         pytest.param(3, 3, 1, False, id="identity-plain"),
         pytest.param(2, 4, 2, True, id="projection-stride2-bn"),
         pytest.param(2, 3, 1, False, id="projection-channels-plain")]


@pytest.mark.parametrize("in_c, out_c, stride, batch_norm", CASES)
def test_shapes_and_shortcut_kind(in_c, out_c, stride, batch_norm):
    block = _block(in_c, out_c, stride, batch_norm)
    x = np.random.default_rng(0).standard_normal((2, in_c, 7, 5))
    out = block(x)
    assert out.shape == (2, out_c, (7 - 1) // stride + 1, (5 - 1) // stride + 1)
    assert (block.shortcut is None) == (stride == 1 and in_c == out_c)
    assert np.all(out >= 0)                      # ends in a ReLU
    names = [n for n, _ in block.named_parameters()]
    assert names[0] == "main.0.weight"
    assert any(n.startswith("shortcut.") for n in names) == (block.shortcut is not None)


def test_identity_block_with_zero_residual_branch_is_relu_of_input():
    block = _block(2, 2, 1, False)
    for p in block.main.parameters():
        p.data[...] = 0
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    np.testing.assert_array_equal(block(x), np.maximum(x, 0))
    dout = np.random.default_rng(2).standard_normal(x.shape)
    np.testing.assert_allclose(block.backward(dout), dout * (x > 0))   # the shortcut's gradient


@pytest.mark.parametrize("in_c, out_c, stride, batch_norm", CASES)
def test_gradient_check_input_and_parameters(in_c, out_c, stride, batch_norm):
    block = _block(in_c, out_c, stride, batch_norm)
    # Finite differences are wrong at a ReLU's kink: take the first input (deterministic
    # search) whose pre-activations all lie farther than 1e-4 from zero.
    for seed in range(100):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((3, in_c, 5, 6))
        relu_at = next(i for i, layer in enumerate(block.main) if isinstance(layer, nn.ReLU))
        inner = block.main[:relu_at](x)                    # input of the inner ReLU
        total = block.main(x) + (x if block.shortcut is None else block.shortcut(x))
        if min(np.abs(inner).min(), np.abs(total).min()) > 1e-4:
            break
    else:
        pytest.fail("no input away from the ReLU kinks")
    dout = rng.standard_normal(block(x).shape)
    block.zero_grad()
    block(x)
    dx = block.backward(dout)
    # BatchNorm in training mode updates its running statistics on every call; they do not
    # affect the training-mode output, so the numerical gradient is unaffected.
    report = check_gradient(lambda v: block(v), x, dx, dout, tol=1e-6, relative_to="max")
    assert report.passed, report
    for name, p in block.named_parameters():
        report = check_gradient(lambda _: block(x), p.data, p.grad, dout, tol=1e-6,
                                relative_to="max")
        assert report.passed, (name, report)


def test_backward_without_forward_raises():
    with pytest.raises(RuntimeError, match="backward"):
        nn.ResidualBlock(2, 2).backward(np.zeros((1, 2, 3, 3), np.float32))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"in_channels": 0, "out_channels": 2}, ValueError, "ResidualBlock.*in_channels"),
    ({"in_channels": 2, "out_channels": 2.5}, TypeError, "ResidualBlock.*out_channels"),
    ({"in_channels": 2, "out_channels": 2, "stride": 0}, ValueError, "ResidualBlock.*stride"),
    ({"in_channels": 2, "out_channels": 2, "batch_norm": "yes"}, TypeError, "ResidualBlock.*batch_norm"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        nn.ResidualBlock(**kwargs)


def test_mult_adds_equal_the_sum_over_its_convolutions():
    block = nn.ResidualBlock(4, 8, 2, rng=0)
    x = np.zeros((1, 4, 9, 9), np.float32)
    expected = 0
    for conv in [block.main[0], block.main[3], block.shortcut[0]]:
        out = conv(x if conv is not block.main[3] else np.zeros((1, 8, 5, 5), np.float32))
        expected += int(np.prod(out.shape[1:])) * conv.in_channels * np.prod(conv.kernel_size)
    assert block.mult_adds(x) == expected


def test_small_resnet_shapes_parameters_and_summary():
    model = models.small_resnet(rng=0)
    x = np.random.default_rng(0).standard_normal((5, 1, 16, 16)).astype(np.float32)
    assert model(x).shape == (5, 10)
    assert model(np.zeros((2, 1, 23, 9), np.float32)).shape == (2, 10)   # any input size
    s = models.summary(model, (1, 16, 16))
    assert s.total_params == model.num_parameters()
    blocks = [r for r in s.layers if r.layer.startswith("ResidualBlock")]
    assert len(blocks) == 2 and all(r.mult_adds > 0 and r.receptive_field is None for r in blocks)
    assert models.small_resnet(channels=(4, 8, 16), blocks_per_stage=2, rng=0)(x).shape == (5, 10)
    plain = models.small_resnet(batch_norm=False, rng=0)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())


def test_small_resnet_same_seed_same_weights():
    a, b = models.small_resnet(rng=3), models.small_resnet(rng=3)
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=n)


def test_small_resnet_overfits_a_tiny_batch():
    from cnncourse import optim
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 8, 8)).astype(np.float32)
    y = np.arange(8) % 4
    model = models.small_resnet(num_classes=4, channels=(4, 8), rng=0)
    loss_fn, opt = nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(60):
        loss = loss_fn(model(x), y)
        first = loss if first is None else first
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    assert first > 1.0 and loss < 0.1


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"channels": 8}, TypeError, "small_resnet: channels"),
    ({"channels": ()}, TypeError, "small_resnet: channels"),
    ({"blocks_per_stage": 0}, ValueError, "small_resnet.*blocks_per_stage"),
    ({"batch_norm": 1}, TypeError, "small_resnet: batch_norm"),
    ({"num_classes": 0}, ValueError, "small_resnet.*num_classes"),
])
def test_small_resnet_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        models.small_resnet(**kwargs)
