"""The numerical claims of the chapters why-convolutions, convolution and padding-stride.

Each notebook asserts its claims as it runs; these tests repeat the cheap ones so that a change
in the package that breaks a chapter's statement fails the test suite too, without executing
the notebooks.
"""
import numpy as np
import pytest
import scipy.signal

from cnncourse import arithmetic, datasets, filters, models, nn, signal
from cnncourse import functional as F
from cnncourse.arithmetic import conv_output_size, conv_transpose_output_size


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --------------------------------------------------------------------------- why-convolutions

def test_hwc_to_nchw_is_a_transpose():
    photo = np.arange(4 * 5 * 3).reshape(4, 5, 3)
    X = np.transpose(photo, (2, 0, 1))[None]
    assert X.shape == (1, 3, 4, 5)
    assert np.array_equal(X[0, :, 2, 3], photo[2, 3])
    assert not np.array_equal(photo.reshape(1, 3, 4, 5), X)        # reshape scrambles


def test_parameter_counts(rng):
    H = W = 28
    M = 5
    N = H - M + 1
    n = lambda layer: sum(p.data.size for p in layer.parameters())  # noqa: E731
    assert n(nn.Linear(H * W, N * N, bias=False, rng=rng)) == N**2 * H * W
    assert n(nn.Conv2d(1, 1, M, bias=False, rng=rng)) == M**2
    assert n(nn.Conv2d(1, 6, 5, rng=rng)) == 156
    mlp = models.summary(models.mlp(784, (128,), num_classes=10, rng=0), (1, 28, 28))
    lenet = models.summary(models.lenet5(rng=0), (1, 28, 28))
    assert lenet.total_params < mlp.total_params
    assert lenet.total_mult_adds > mlp.total_mult_adds


def test_conv_equivariant_and_global_max_invariant(rng):
    x = datasets.shapes(1, size=28, classes=("square",), seed=3)[0]
    k = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    f = lambda img: F.conv2d(img, k, padding=1)  # noqa: E731
    dy, dx = 2, 4
    g = lambda img: datasets.shift_images(img, dx, dy)  # noqa: E731
    assert np.allclose(f(g(x))[..., dy + 1:-1, dx + 1:-1], g(f(x))[..., dy + 1:-1, dx + 1:-1], atol=1e-6)
    assert np.allclose(f(g(x)).max(axis=(2, 3)), f(x).max(axis=(2, 3)))
    assert not np.allclose(f(g(x)), f(x))


# --------------------------------------------------------------------------- convolution

def test_1d_flip_and_numpy():
    x = np.arange(7.0) ** 2
    k = np.array([1.0, 0.0, -1.0])
    assert np.allclose(signal.correlate1d(x, k, "valid"), np.correlate(x, k, "valid"))
    assert np.allclose(signal.convolve1d(x, k, "valid"), np.convolve(x, k, "valid"))
    assert np.allclose(signal.convolve1d(x, k, "valid"), -signal.correlate1d(x, k, "valid"))


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_2d_flip_and_scipy(rng, mode):
    x = rng.standard_normal((6, 8))
    k = rng.standard_normal((3, 2))
    assert np.allclose(signal.convolve2d(x, k, mode), scipy.signal.convolve2d(x, k, mode))
    assert np.allclose(signal.correlate2d(x, k, mode), scipy.signal.correlate2d(x, k, mode))
    if mode != "same":
        assert np.allclose(signal.convolve2d(x, k, mode), signal.correlate2d(x, k[::-1, ::-1], mode))


def test_conv2d_is_cross_correlation(rng):
    x = rng.standard_normal((6, 8))
    k = rng.standard_normal((3, 2))
    out = F.conv2d(x[None, None], k[None, None])[0, 0]
    assert np.allclose(out, scipy.signal.correlate2d(x, k, "valid"))
    assert not np.allclose(out, scipy.signal.convolve2d(x, k, "valid"))


def test_learned_kernel_comes_out_flipped(rng):
    K_hidden = rng.standard_normal((3, 3))
    X = rng.standard_normal((32, 1, 8, 8))
    y = F.conv2d(X, K_hidden[None, None])

    def flip(w):
        return np.ascontiguousarray(w[..., ::-1, ::-1])

    def fit(definition, lr=0.2, num_epochs=150):
        W = np.random.default_rng(1).standard_normal((1, 1, 3, 3)) * 0.1
        for _ in range(num_epochs):
            used = W if definition == "corr" else flip(W)
            out, cache = F.conv2d_forward(X, used)
            dW = F.conv2d_backward(2 * (out - y) / out.size, cache).dweight
            W = W - lr * (dW if definition == "corr" else flip(dW))
        return W[0, 0]

    learned_corr, learned_conv = fit("corr"), fit("conv")
    assert np.allclose(learned_corr, K_hidden, atol=1e-4)
    assert np.allclose(learned_conv, learned_corr[::-1, ::-1], atol=1e-4)


def test_worked_examples():
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], float)
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], float)
    assert np.array_equal(signal.correlate2d(image, kernel, "valid"), [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    from cnncourse.exercises.convolution import T_IMAGE
    horizontal_edge = np.array([[1.0, 1, 1], [0, 0, 0], [-1, -1, -1]])
    t_map = signal.correlate2d(T_IMAGE, horizontal_edge, "valid")
    assert t_map.shape == (4, 4)
    assert np.array_equal(t_map[0], [-1, -2, -2, -1])
    assert np.array_equal(t_map[2], [0, 0, 0, 0])


def test_gaussian_blur_removes_noise(rng):
    from matplotlib import cbook
    import matplotlib.pyplot as plt

    gray = filters.to_grayscale(plt.imread(cbook.get_sample_data("grace_hopper.jpg")))[100:300, 100:300]
    noisy = gray + 0.1 * rng.standard_normal(gray.shape).astype(np.float32)
    denoised = filters.filter2d(noisy, filters.gaussian_kernel(1.0), boundary="reflect")
    rms = lambda e: np.sqrt(np.mean(e**2))  # noqa: E731
    assert rms(denoised - gray) < 0.6 * rms(noisy - gray)


def test_toeplitz_and_im2col_equal_conv2d(rng):
    x = rng.standard_normal((4, 5))
    k = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    T = filters.conv_matrix(x.shape, k)
    assert np.allclose((T @ x.ravel()).reshape(3, 3), F.conv2d(x[None, None], k[None, None])[0, 0])
    X = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    assert np.allclose(filters.conv2d_im2col(X, w, b, stride=2, padding=1), F.conv2d(X, w, b, stride=2, padding=1))


def test_multichannel_filter_sums_channels(rng):
    X = rng.standard_normal((1, 3, 9, 7))
    w = rng.standard_normal((1, 3, 3, 3))
    per_channel = sum(signal.correlate2d(X[0, c], w[0, c], "valid") for c in range(3))
    assert np.allclose(F.conv2d(X, w)[0, 0], per_channel)
    assert F.conv2d(X, rng.standard_normal((4, 3, 3, 3)), padding=1).shape == (1, 4, 9, 7)


# --------------------------------------------------------------------------- padding-stride

@pytest.mark.parametrize("H,W", [(5, 7), (8, 6), (11, 4)])
def test_formula_matches_conv2d(H, W):
    for F_ in (1, 2, 3, 4):
        for S in (1, 2, 3):
            for P in (0, 1, 2):
                for D in (1, 2):
                    if D * (F_ - 1) + 1 > min(H, W) + 2 * P:
                        continue
                    out = F.conv2d(np.zeros((1, 1, H, W)), np.zeros((1, 1, F_, F_)), stride=S, padding=P, dilation=D)
                    assert out.shape[2:] == (conv_output_size(H, F_, S, P, D), conv_output_size(W, F_, S, P, D))


def test_dumoulin_relationships():
    H, F_ = 5, 3
    assert conv_output_size(H, F_) == H - F_ + 1
    assert conv_output_size(H, F_, padding=F_ // 2) == H
    assert conv_output_size(H, F_, padding=F_ - 1) == H + F_ - 1
    for i, k, s, p in [(5, 3, 2, 0), (6, 3, 2, 0), (5, 3, 2, 1), (6, 4, 3, 2)]:
        assert conv_output_size(i, k, s, p) == (i + 2 * p - k) // s + 1


def test_same_padding_even_kernel():
    assert arithmetic.same_padding(4) == (1, 2)
    for F_ in (3, 4, 5):
        assert F.conv2d(np.zeros((1, 1, 6, 7)), np.zeros((1, 1, F_, F_)), padding="same").shape[2:] == (6, 7)


def test_padding_is_per_side():
    x = np.ones((1, 1, 5, 5))
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    w = np.ones((1, 1, 3, 3))
    assert np.allclose(F.conv2d(x, w, padding=1), F.conv2d(padded, w))


def test_unvisited_rows_do_not_matter(rng):
    x = rng.standard_normal((1, 1, 6, 6))
    w = rng.standard_normal((1, 1, 3, 3))
    changed = x.copy()
    changed[..., 5, :] = 100.0
    changed[..., :, 5] = -100.0
    assert np.allclose(F.conv2d(x, w, stride=2), F.conv2d(changed, w, stride=2))


def test_dilation_is_a_kernel_with_holes(rng):
    x = rng.standard_normal((1, 1, 9, 8))
    w = rng.standard_normal((1, 1, 3, 3))
    holes = np.zeros((1, 1, 5, 5))
    holes[..., ::2, ::2] = w
    assert np.allclose(F.conv2d(x, w, dilation=2), F.conv2d(x, holes))


def test_dilated_receptive_field_by_impulse():
    layers = [(3, 1, 1, 1), (3, 1, 2, 2), (3, 1, 4, 4)]
    h = np.zeros((1, 1, 1, 41))
    h[..., 20] = 1.0
    for k, s, p, d in layers:
        h = F.conv2d(h, np.ones((1, 1, 1, k)), stride=(1, s), padding=(0, p), dilation=(1, d))
    assert int((h > 0).sum()) == arithmetic.receptive_field(layers)[-1].size == 15
    assert [r.size for r in arithmetic.receptive_field([(3, 1, 1, 1)] * 3)] == [3, 5, 7]


def test_transposed_conv_is_multiplication_by_T_transpose(rng):
    k = rng.standard_normal((3, 3))
    T = filters.conv_matrix((5, 5), k, stride=2, padding=1)
    y = rng.standard_normal((3, 3))
    up = F.conv_transpose2d(y[None, None], k[None, None], stride=2, padding=1)
    assert np.allclose(up[0, 0], (T.T @ y.ravel()).reshape(5, 5))


def test_output_padding_recovers_the_size():
    for H in (7, 8):
        small = conv_output_size(H, 3, stride=2, padding=1)
        a = (H + 2 - 3) % 2
        assert small == 4
        assert conv_transpose_output_size(small, 3, stride=2, padding=1, output_padding=a) == H
        out = F.conv_transpose2d(np.zeros((1, 1, small, small)), np.zeros((1, 1, 3, 3)),
                                 stride=2, padding=1, output_padding=a)
        assert out.shape[2] == H


def test_lenet_shapes(rng):
    model = models.lenet5(rng=np.random.default_rng(0))
    summary = models.summary(model, (1, 28, 28))
    h = rng.standard_normal((2, 1, 28, 28)).astype(np.float32)
    for layer, info in zip(model, summary.layers):
        h = layer(h)
        assert h.shape[1:] == tuple(info.output_shape)
    assert summary.layers[6].output_shape == (400,)
    assert models.summary(models.lenet5(input_size=32, rng=0), (1, 32, 32)).layers[6].output_shape == (576,)


def test_translation_experiment_mlp_fails_cnn_robust():
    """The why-convolutions experiment, same data, models and training as the chapter."""
    from cnncourse import optim, train

    rng = np.random.default_rng(0)
    kw = dict(size=28, scale=(0.8, 1.1), max_rotation=15, noise=0.05)
    X_train, y_train = datasets.shapes(50, seed=0, **kw)
    X_test, y_test = datasets.shapes(40, seed=1, **kw)
    mlp = models.mlp(28 * 28, (64,), num_classes=4, rng=0)
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(16, 4, rng=rng),
    )
    loss_fn = nn.CrossEntropyLoss()
    for model, lr, epochs in [(mlp, 2e-3, 15), (cnn, 1e-2, 8)]:
        train.fit(model, loss_fn, optim.Adam(model.parameters(), lr=lr), (X_train, y_train),
                  epochs=epochs, batch_size=20, rng=np.random.default_rng(0), progress=False)

    def acc(model, s):
        return train.evaluate(model, loss_fn, (datasets.shift_images(X_test, s, 0), y_test))[1]

    assert acc(mlp, 0) > 0.9 and acc(cnn, 0) > 0.9
    assert max(acc(mlp, s) for s in (-6, -5, -4, 4, 5, 6)) < 0.5
    assert min(acc(cnn, s) for s in range(-6, 7)) > 0.9
