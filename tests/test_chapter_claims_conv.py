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


# --------------------------------------------------------------------------- issue 12 fixes
def _transposed_by_direct_conv(y, w, S, P, a=0, D=1):
    N, C, H, W = y.shape
    spread = np.zeros((N, C, (H - 1) * S + 1, (W - 1) * S + 1))
    spread[..., ::S, ::S] = y
    q = D * (w.shape[-1] - 1) - P
    padded = np.pad(spread, [(0, 0), (0, 0), (q, q + a), (q, q + a)])
    return F.conv2d(padded, w.transpose(1, 0, 2, 3)[..., ::-1, ::-1], dilation=D)


@pytest.mark.parametrize("S, P, a, D", [(2, 1, 1, 1), (2, 0, 0, 1), (3, 1, 2, 1), (1, 1, 0, 2),
                                        (2, 2, 1, 2)])
def test_transposed_conv_direct_view_rotates_and_swaps(rng, S, P, a, D):
    y = rng.standard_normal((2, 3, 4, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    expected = F.conv_transpose2d(y, w, stride=S, padding=P, output_padding=a, dilation=D)
    np.testing.assert_allclose(_transposed_by_direct_conv(y, w, S, P, a, D), expected, atol=1e-10)


def test_transposed_conv_direct_view_wrong_without_rotation(rng):
    y, w = rng.standard_normal((1, 3, 4, 5)), rng.standard_normal((3, 2, 3, 3))
    unrotated = F.conv2d(np.pad(y, [(0, 0), (0, 0), (2, 2), (2, 2)]), w.transpose(1, 0, 2, 3))
    assert not np.allclose(unrotated, F.conv_transpose2d(y, w))


def test_conv_backward_is_full_true_convolution(rng):
    x, w = rng.standard_normal((1, 1, 5, 6)), rng.standard_normal((1, 1, 3, 3))
    out, cache = F.conv2d_forward(x, w)
    dout = rng.standard_normal(out.shape)
    dx, _, _ = F.conv2d_backward(dout, cache)
    np.testing.assert_allclose(F.conv_transpose2d(dout, w)[0, 0],
                               scipy.signal.convolve2d(dout[0, 0], w[0, 0], mode="full"))
    np.testing.assert_allclose(F.conv_transpose2d(dout, w), dx)


def test_same_padding_parity_and_stride():
    assert arithmetic.same_padding(4) == (1, 2)
    assert arithmetic.same_padding(4, 2) == (3, 3)       # even kernel, even dilation: symmetric
    assert arithmetic.same_padding(4, 3) == (4, 5)
    assert conv_output_size(28, 3, stride=2, padding=1) == 14   # "same" P=1 halves at stride 2
    with pytest.raises(ValueError, match="stride 1"):
        F.conv2d(np.zeros((1, 1, 28, 28)), np.zeros((1, 1, 3, 3)), padding="same", stride=2)


def test_weight_reuse_counts_in_lenet5():
    s = models.summary(models.lenet5(rng=0), (1, 28, 28))
    dense = sum(r.params for r in s.layers if r.layer.startswith("Linear"))
    assert 0.95 < dense / s.total_params < 0.97
    conv_positions = [r.output_shape[-1] * r.output_shape[-2] for r in s.layers
                      if r.layer.startswith("Conv2d")]
    assert conv_positions == [784, 100]


def test_t_image_horizontal_edges_rows():
    from cnncourse.exercises.convolution import T_IMAGE
    k = np.array([[1.0, 1, 1], [0, 0, 0], [-1, -1, -1]])
    t_map = signal.correlate2d(T_IMAGE, k, mode="valid")
    np.testing.assert_array_equal(t_map, [[-1, -2, -2, -1], [1, 1, 1, 1], [0, 0, 0, 0],
                                          [1, 2, 2, 1]])


def test_sharpen_steepens_a_step_and_keeps_flat_regions():
    step = np.zeros((5, 8))
    step[:, 4:] = 1.0
    out = filters.filter2d(step, filters.SHARPEN, boundary="reflect")
    np.testing.assert_allclose(out[:, :3], 0)
    np.testing.assert_allclose(out[:, 5:], 1)
    np.testing.assert_allclose(out[2, 3:5], [-1, 2])


def test_harris_finds_the_eight_corners_of_the_t():
    from cnncourse.exercises.convolution import T_IMAGE
    big = np.kron(T_IMAGE, np.ones((8, 8)))
    found = filters.harris_corners(filters.harris_response(big, sigma=1.5), threshold_rel=0.1,
                                   min_distance=4)
    true = np.array([(8, 8), (8, 39), (15, 8), (15, 39), (16, 16), (16, 31), (39, 16), (39, 31)])
    d = np.abs(found[:, None, :] - true[None]).max(axis=-1)
    assert len(found) == 8 and d.min(axis=0).max() <= 1 and d.min(axis=1).max() <= 1


def test_stride_two_misses_a_one_pixel_dot():
    k = -np.ones((1, 1, 3, 3))
    k[0, 0, 1, 1] = 8.0
    for pos, seen in [((6, 6), 8.0), ((7, 7), 0.0), ((6, 7), 0.0)]:
        dot = np.zeros((1, 1, 16, 16))
        dot[(0, 0) + pos] = 1.0
        assert F.relu(F.conv2d(dot, k, padding=1)).max() == 8.0
        assert F.relu(F.conv2d(dot, k, stride=2, padding=1)).max() == seen


def test_filter_sums_all_channels_into_one_map(rng):
    X, w = rng.standard_normal((1, 3, 9, 8)), rng.standard_normal((1, 3, 3, 3))
    out = F.conv2d(X, w)
    assert out.shape[1] == 1
    for c in range(3):
        changed = X.copy()
        changed[0, c] += 1.0
        assert not np.allclose(F.conv2d(changed, w), out)


def test_relu_between_convs_is_not_linear(rng):
    image, other = rng.standard_normal((2, 1, 1, 12, 10))
    k1, k2 = rng.standard_normal((3, 3)), rng.standard_normal((2, 4))

    def net(im):
        return F.conv2d(F.relu(F.conv2d(im, k1[None, None])), k2[None, None])

    assert np.abs(net(image + other) - net(image) - net(other)).max() > 1
    assert np.abs(net(-image) + net(image)).max() > 1


def test_maxout_table_has_no_floating_point_artefact():
    v, u = np.mgrid[-16:17, -16:17]
    a = np.radians(90)
    exact = (np.round(np.cos(a), 12) * u + np.round(np.sin(a), 12) * v > 0.0)[None, None]
    raw = (np.cos(a) * u + np.sin(a) * v > 0.0)[None, None]
    sobel_x = filters.SOBEL_X[None, None]
    assert F.relu(F.conv2d(exact.astype(float), sobel_x)).max() == 0.0
    assert F.relu(F.conv2d(raw.astype(float), sobel_x)).max() == 2.0   # what the old table showed


def test_pooling_claims():
    assert sum(p.data.size for p in nn.MaxPool2d(2).parameters()) == 0
    assert sum(p.data.size for p in nn.Linear(400, 120, rng=0).parameters()) == 48_120
    assert sum(p.data.size for p in nn.Linear(1600, 120, rng=0).parameters()) == 192_120
    a = np.array([[[[4.0, 1.0], [2.0, 3.0]]]])
    b = np.array([[[[4.0, 0.0], [0.0, 0.0]]]])
    assert np.array_equal(F.max_pool2d(a, 2), F.max_pool2d(b, 2))


def test_locally_connected_versus_fully_connected_counts():
    N, M, H = 24, 5, 28
    assert (N * N * M * M, N * N * H * H) == (14_400, 451_584)
