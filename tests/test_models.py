"""Tests for cnncourse.models: lenet5, mlp, all_conv, pool_net and summary."""
import numpy as np
import pytest

from cnncourse import nn
from cnncourse.models import LayerInfo, Summary, all_conv, lenet5, mlp, pool_net, summary


def count(model):
    return sum(p.size for p in model.parameters())


def test_lenet5_classic_parameter_count():
    model = lenet5(rng=0)
    # conv1 6*(1*25)+6, conv2 16*(6*25)+16, fc 400*120+120, 120*84+84, 84*10+10
    expected = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert expected == 61_706
    assert count(model) == 61_706
    out = model(np.zeros((3, 1, 28, 28), np.float32))
    assert out.shape == (3, 10) and out.dtype == np.float32


@pytest.mark.parametrize("size, flat", [(28, 400), (32, 576), (16, 64), (12, 16), ((28, 20), 16 * 5 * 3)],
                         ids=["28", "32", "16", "12", "28x20"])
def test_lenet5_input_sizes(size, flat):
    model = lenet5(in_channels=3, num_classes=4, input_size=size, rng=0)
    assert model[7].in_features == flat
    h, w = (size, size) if isinstance(size, int) else size
    assert model(np.zeros((2, 3, h, w), np.float32)).shape == (2, 4)


def test_lenet5_options_and_seed():
    m = lenet5(activation="tanh", pool="avg", rng=0)
    assert isinstance(m[1], nn.Tanh) and isinstance(m[2], nn.AvgPool2d)
    a, b = lenet5(rng=np.random.default_rng(1)), lenet5(rng=np.random.default_rng(1))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(va, vb)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(input_size=8), ValueError, "lenet5: input_size=8 is too small"),
    (dict(input_size=2.5), TypeError, "lenet5: input_size must be an int or a pair"),
    (dict(activation="gelu"), ValueError, "lenet5: activation must be one of"),
    (dict(pool="min"), ValueError, "lenet5: pool must be one of"),
    (dict(num_classes=0), ValueError, r"lenet5: num_classes must be a positive int \(>= 1\), got 0"),
    (dict(rng="x"), TypeError, "lenet5: rng must be"),
])
def test_lenet5_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        lenet5(**kwargs)


def test_mlp():
    model = mlp(784, (256, 128), num_classes=10, rng=0, dropout=0.3)
    assert count(model) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert sum(isinstance(m, nn.Dropout) for m in model) == 2
    assert model(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)
    linear = mlp(4, (), num_classes=3, rng=0)
    assert count(linear) == 15
    with pytest.raises(TypeError, match="mlp: hidden must be a sequence"):
        mlp(4, 128)
    with pytest.raises(ValueError, match=r"mlp: dropout must be a probability in \[0, 1\)"):
        mlp(4, dropout=1.0)


@pytest.mark.parametrize("size", [28, 17, 40], ids=lambda s: f"{s}x{s}")
def test_all_conv_any_input_size(size):
    model = all_conv(1, 5, rng=0)
    assert not any(isinstance(m, (nn.Linear, nn.MaxPool2d)) for m in model)
    out = model(np.random.default_rng(0).random((2, 1, size, size), dtype=np.float32))
    assert out.shape == (2, 5)
    s = summary(model, (1, size, size))
    assert s.layers[6].output_shape == (32, -(-(-(-size // 2)) // 2), -(-(-(-size // 2)) // 2))
    assert s.total_params == count(model)


def test_all_conv_backward_and_global_max():
    model = all_conv(2, 3, channels=(4,), rng=0, global_pool="max")
    assert isinstance(model[-2], nn.AdaptiveMaxPool2d)
    x = np.random.default_rng(1).random((2, 2, 9, 11), dtype=np.float32)
    out = model(x)
    dx = model.backward(np.ones_like(out))
    assert dx.shape == x.shape


def test_pool_net_translation_invariance_of_global_max():
    model = pool_net(1, 3, rng=0)
    x = np.zeros((1, 1, 48, 48), np.float32)
    x[0, 0, 16:22, 14:22] = 1.0                      # away from the borders (zero padding)
    shifted = np.roll(x, (8, 4), axis=(2, 3))       # a shift by a multiple of 4 = total stride
    np.testing.assert_allclose(model(x), model(shifted), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="pool_net: kernel_size must be odd"):
        pool_net(kernel_size=4)


def test_summary_lenet5_numbers():
    s = summary(lenet5(rng=0), (1, 28, 28))
    assert isinstance(s, Summary) and all(isinstance(r, LayerInfo) for r in s.layers)
    assert s.total_params == 61_706
    assert [r.output_shape for r in s.layers] == [
        (6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10), (16, 5, 5),
        (400,), (120,), (120,), (84,), (84,), (10,)]
    assert [r.params for r in s.layers] == [156, 0, 0, 2416, 0, 0, 0, 48120, 0, 10164, 0, 850]
    # mult-adds: 28*28*6*25, 10*10*16*(6*25), 400*120, 120*84, 84*10
    assert [r.mult_adds for r in s.layers if r.mult_adds] == [117_600, 240_000, 48_000, 10_080, 840]
    assert s.total_mult_adds == 416_520
    # receptive fields: conv5 -> 5, pool2 -> 6, conv5 -> 6 + 4*2 = 14, pool2 -> 16
    rf = [(r.receptive_field, r.jump) for r in s.layers if r.receptive_field]
    assert rf == [((5, 5), (1, 1)), ((6, 6), (2, 2)), ((14, 14), (2, 2)), ((16, 16), (4, 4))]
    assert s.layers[7].receptive_field is None
    text = str(s)
    assert "61,706" in text and "416,520" in text and "MaxPool2d" in text
    assert "<table>" in s._repr_html_()
    assert repr(s) == text


def test_summary_accepts_batch_axis_and_restores_mode():
    model = mlp(16, (8,), num_classes=2, rng=0, dropout=0.5)
    rng_state = model[3].rng.bit_generator.state
    model.train()
    s = summary(model, (1, 1, 4, 4))
    assert s.input_shape == (1, 4, 4) and s.output_shape == (2,)
    assert model.training
    assert model[3].rng.bit_generator.state == rng_state, "summary must not consume dropout randomness"


def test_summary_non_square_and_errors():
    s = summary(lenet5(input_size=(28, 20), rng=0), (1, 28, 20))
    assert s.layers[5].output_shape == (16, 5, 3)
    with pytest.raises(ValueError, match=r"summary: layer 7 .* cannot take an input of shape"):
        summary(lenet5(rng=0), (1, 32, 32))
    with pytest.raises(ValueError, match="summary: input_shape must be a tuple of positive ints"):
        summary(lenet5(rng=0), (1, 0, 28))
    with pytest.raises(ValueError, match="batch size 1"):
        summary(lenet5(rng=0), (8, 1, 28, 28))
    with pytest.raises(TypeError, match="summary: model must be a cnncourse.nn.Module"):
        summary("lenet", (1, 28, 28))


def test_summary_nested_sequential_names():
    inner = nn.Sequential(nn.Conv2d(1, 2, 3, rng=np.random.default_rng(0)), nn.ReLU())
    model = nn.Sequential(inner, nn.MaxPool2d(2), nn.Flatten())
    s = summary(model, (1, 8, 8))
    assert [r.name for r in s.layers] == ["0.0", "0.1", "1", "2"]
    assert s.layers[2].receptive_field == (4, 4) and s.layers[2].jump == (2, 2)
