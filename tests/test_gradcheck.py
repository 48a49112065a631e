"""Tests for cnncourse.gradcheck: known gradients pass, wrong ones fail at the right index,
float32 is refused with the reason, and x comes back bit for bit."""
import numpy as np
import pytest

from cnncourse.gradcheck import GradCheckReport, check_gradient, numerical_gradient, relative_error


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --------------------------------------------------------------------------- relative_error
@pytest.mark.parametrize("a, b, expected", [
    ([1.0, 2.0], [1.0, 2.0], 0.0),
    ([0.0, 0.0], [0.0, 0.0], 0.0),
    ([1.0, 2.0], [1.0, 2.2], 0.2 / 4.2),
    ([1.0], [-1.0], 1.0),
    ([0.0], [1e-12], 1.0),
    ([[3.0, 1.0], [2.0, 5.0]], [[3.0, 1.0], [2.0, 4.0]], 1.0 / 9.0),
], ids=["equal", "zeros", "one-off", "opposite", "zero-vs-tiny", "2d"])
def test_relative_error(a, b, expected):
    assert relative_error(a, b) == pytest.approx(expected, rel=1e-12, abs=0)


def test_relative_error_is_symmetric_and_nan_aware(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert relative_error(a, b) == relative_error(b, a)
    a[1, 2] = np.nan
    assert np.isnan(relative_error(a, b))


def test_relative_error_errors():
    with pytest.raises(ValueError, match=r"relative_error: a and b must have the same shape, got \(2,\) and \(3,\)"):
        relative_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match=r"relative_error: a and b must not be empty"):
        relative_error(np.ones(0), np.ones(0))


# --------------------------------------------------------------------------- numerical_gradient
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2, 2), ()], ids=["1d", "2d", "4d", "scalar"])
def test_numerical_gradient_of_cube(rng, shape):
    x = rng.standard_normal(shape)
    grad = numerical_gradient(lambda x: np.sum(x ** 3), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-8, atol=1e-10)


def test_numerical_gradient_with_dout_is_vector_jacobian_product(rng):
    W = rng.standard_normal((4, 3))
    x = rng.standard_normal((5, 4))
    dout = rng.standard_normal((5, 3))
    grad = numerical_gradient(lambda x: x @ W, x, dout)
    np.testing.assert_allclose(grad, dout @ W.T, rtol=1e-8, atol=1e-10)


def test_numerical_gradient_through_a_closure_that_shares_memory(rng):
    # perturbing a layer's weight in place: f closes over W and x is W itself
    W = rng.standard_normal((3, 2))
    X = rng.standard_normal((4, 3))
    dout = rng.standard_normal((4, 2))
    grad = numerical_gradient(lambda _: X @ W, W, dout)
    np.testing.assert_allclose(grad, X.T @ dout, rtol=1e-8, atol=1e-10)


def test_numerical_gradient_restores_x_exactly(rng):
    x = rng.standard_normal((3, 4)) * 1e3 + 0.1          # values where x + h - h != x in float
    before = x.copy()
    numerical_gradient(lambda x: np.sum(np.sin(x)), x)
    assert np.array_equal(x, before)
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_restores_x_when_f_raises(rng):
    x = rng.standard_normal(4)
    before = x.copy()
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return np.sum(x)

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert np.array_equal(x, before)


def test_numerical_gradient_function_returning_view_of_x(rng):
    x = rng.standard_normal(3)
    dout = rng.standard_normal(3)
    np.testing.assert_allclose(numerical_gradient(lambda x: x, x, dout), dout, rtol=1e-8)


def test_numerical_gradient_non_contiguous_x(rng):
    base = rng.standard_normal((4, 6))
    x = base[:, ::2]
    grad = numerical_gradient(lambda x: np.sum(x ** 2), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float16], ids=["float32", "float16"])
@pytest.mark.parametrize("fn", ["numerical_gradient", "check_gradient"])
def test_refuses_low_precision(dtype, fn):
    x = np.ones(3, dtype=dtype)
    call = {"numerical_gradient": lambda: numerical_gradient(np.sum, x),
            "check_gradient": lambda: check_gradient(np.sum, x, np.ones(3))}[fn]
    with pytest.raises(TypeError, match=rf"{fn}: x has dtype {np.dtype(dtype).name}, but a gradient check "
                                        rf"needs float64: .*resolution.*h=1e-5.*meaningless.*"
                                        rf"x.astype\(np.float64\)"):
        call()


@pytest.mark.parametrize("x, exc, match", [
    (np.arange(3), TypeError, r"numerical_gradient: x must have dtype float64, got int64; use x.astype\(np.float64\)"),
    ([1.0, 2.0], TypeError, r"numerical_gradient: x must be a numpy ndarray of float64, got list"),
    (np.ones(0), ValueError, r"numerical_gradient: x must not be empty"),
], ids=["int", "list", "empty"])
def test_numerical_gradient_bad_x(x, exc, match):
    with pytest.raises(exc, match=match):
        numerical_gradient(np.sum, x)


def test_numerical_gradient_read_only_x():
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match=r"numerical_gradient: x must be writeable"):
        numerical_gradient(np.sum, x)


def test_numerical_gradient_other_errors():
    x = np.ones(3)
    with pytest.raises(ValueError, match=r"numerical_gradient: f\(x\) returned an array of shape \(3,\), "
                                         r"not a scalar; pass dout"):
        numerical_gradient(lambda x: 2 * x, x)
    with pytest.raises(ValueError, match=r"numerical_gradient: dout must have the shape of f\(x\), "
                                         r"got dout.shape=\(2,\) and f\(x\).shape=\(3,\)"):
        numerical_gradient(lambda x: 2 * x, x, dout=np.ones(2))
    with pytest.raises(TypeError, match=r"numerical_gradient: f must be callable, got int"):
        numerical_gradient(3, x)
    with pytest.raises(ValueError, match=r"numerical_gradient: h must be a positive finite float, got 0"):
        numerical_gradient(np.sum, x, h=0)
    with pytest.raises(TypeError, match=r"numerical_gradient: h must be a positive float, got '1e-5'"):
        numerical_gradient(np.sum, x, h="1e-5")


# --------------------------------------------------------------------------- check_gradient
def test_check_gradient_passes_on_cube(rng):
    x = rng.standard_normal((2, 3, 4, 4))
    report = check_gradient(lambda x: np.sum(x ** 3), x, 3 * x ** 2)
    assert isinstance(report, GradCheckReport)
    assert report.passed and bool(report)
    assert report.max_rel_error < 1e-7
    assert report.tol == 1e-7
    assert len(report.index) == 4 and all(type(i) is int for i in report.index)
    assert report.numerical.shape == report.analytic.shape == x.shape


def test_check_gradient_passes_on_matmul(rng):
    W = rng.standard_normal((4, 3))
    x = rng.standard_normal((5, 4))
    dout = rng.standard_normal((5, 3))
    report = check_gradient(lambda x: x @ W, x, dout @ W.T, dout=dout)
    assert report.passed, str(report)


@pytest.mark.parametrize("index", [(0, 0), (1, 2), (3, 1)], ids=lambda i: f"at{i[0]}{i[1]}")
def test_check_gradient_fails_at_the_wrong_entry(rng, index):
    W = rng.standard_normal((3, 2))
    x = rng.standard_normal((4, 3))
    dout = rng.standard_normal((4, 2))
    wrong = dout @ W.T
    wrong[index] *= 1.5                                   # a bug in one entry
    report = check_gradient(lambda x: x @ W, x, wrong, dout=dout)
    assert not report.passed and not bool(report)
    assert report.index == index
    assert report.max_rel_error == pytest.approx(0.5 / 2.5, rel=1e-6)
    assert report.analytic[index] == wrong[index]
    assert report.numerical[index] == pytest.approx((dout @ W.T)[index], rel=1e-8)


def test_check_gradient_restores_x(rng):
    x = rng.standard_normal((3, 3)) + 100.0
    before = x.copy()
    check_gradient(lambda x: np.sum(np.exp(x / 100)), x, np.exp(x / 100) / 100)
    assert x.tobytes() == before.tobytes()


def test_check_gradient_tolerance(rng):
    x = rng.standard_normal(4)
    nearly = 3 * x ** 2 * (1 + 1e-5)
    assert not check_gradient(lambda x: np.sum(x ** 3), x, nearly).passed
    assert check_gradient(lambda x: np.sum(x ** 3), x, nearly, tol=1e-4).passed


def test_check_gradient_relative_to_max_tolerates_near_zero_entries():
    # d/dx sum(x^2) at x = [1e-12, 1]: the first entry is ~1e-12 and its numerical value is
    # pure rounding noise, so the element-wise check fails although the gradient is right
    x = np.array([1e-12, 1.0, 2.0])
    f = lambda x: np.sum(x ** 2) + 10.0                          # noqa: E731
    strict = check_gradient(f, x, 2 * x)
    assert not strict.passed and strict.index == (0,)
    loose = check_gradient(f, x, 2 * x, relative_to="max")
    assert loose.passed, str(loose)
    wrong = 2 * x
    wrong[2] = 4.1
    report = check_gradient(f, x, wrong, relative_to="max")
    assert not report.passed and report.index == (2,)
    assert report.max_rel_error == pytest.approx(0.1 / 4.1, rel=1e-6)
    with pytest.raises(ValueError, match=r"check_gradient: relative_to must be 'element' or 'max', got 'sum'"):
        check_gradient(f, x, 2 * x, relative_to="sum")


def test_check_gradient_nan_fails():
    x = np.array([1.0, 2.0])
    report = check_gradient(lambda x: np.sum(x ** 2), x, np.array([2.0, np.nan]))
    assert not report.passed
    assert report.index == (1,)
    assert "FAILED" in str(report)


def test_report_str_passed():
    report = GradCheckReport(passed=True, max_rel_error=3.2e-10, index=(0, 1, 2, 2),
                             numerical=np.zeros((1, 2, 3, 3)), analytic=np.zeros((1, 2, 3, 3)), tol=1e-7)
    assert str(report) == "gradient check PASSED: max relative error 3.2e-10 at index (0, 1, 2, 2) (tolerance 1e-07)"
    assert repr(report).startswith("GradCheckReport(passed=True, max_rel_error=3.200e-10, index=(0, 1, 2, 2)")
    assert "PASSED" in report._repr_html_()


def test_report_str_failed_shows_both_values():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    wrong = 3 * x ** 2
    wrong[1, 0] += 0.01
    report = check_gradient(lambda x: np.sum(x ** 3), x, wrong)
    assert str(report) == ("gradient check FAILED: max relative error 6.6e-03 at index (1, 0) "
                           "(tolerance 1e-07): numerical 7.500000e-01, analytic 7.600000e-01")
    html = report._repr_html_()
    assert "FAILED" in html and "#cf222e" in html


def test_check_gradient_errors():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"check_gradient: analytic must have the shape of x, "
                                         r"got analytic.shape=\(3, 2\) and x.shape=\(2, 3\)"):
        check_gradient(np.sum, x, np.ones((3, 2)))
    with pytest.raises(TypeError, match=r"check_gradient: analytic must be a real numeric array"):
        check_gradient(np.sum, x, np.full((2, 3), "a"))
    with pytest.raises(ValueError, match=r"check_gradient: tol must be a positive float, got 0"):
        check_gradient(np.sum, x, np.ones((2, 3)), tol=0)
    with pytest.raises(TypeError, match=r"check_gradient: x must have dtype float64, got int64"):
        check_gradient(np.sum, np.ones(3, dtype=np.int64), np.ones(3))


def test_check_gradient_on_functional_conv2d(rng):
    """End to end with the package's own conv2d backward, when it exists."""
    import cnncourse.functional as F
    if not all(hasattr(F, name) for name in ("conv2d_forward", "conv2d_backward")):
        pytest.skip("cnncourse.functional.conv2d_forward/backward not available yet")
    x = rng.standard_normal((2, 2, 5, 4))
    w = rng.standard_normal((3, 2, 3, 2))
    out, cache = F.conv2d_forward(x, w, None, 2, 1, 1)
    dout = rng.standard_normal(out.shape)
    grads = F.conv2d_backward(dout, cache)
    report = check_gradient(lambda x: F.conv2d(x, w, None, 2, 1, 1), x, grads.dx, dout=dout)
    assert report.passed, str(report)
    report = check_gradient(lambda w_: F.conv2d(x, w, None, 2, 1, 1), w, grads.dweight, dout=dout)
    assert report.passed, str(report)


# ------------------------------------------------------------------------------------------
# a float64 x through a float32 layer: refused with the same message as float32 x (issue 13)
# ------------------------------------------------------------------------------------------

def _float32_conv(x):
    """A float32 layer seen from a float64 x: the weights are float32, so is the output."""
    weight = np.linspace(-1, 1, 2 * 1 * 3 * 3, dtype=np.float32).reshape(2, 1, 3, 3)
    from cnncourse.functional import conv2d
    return conv2d(x.astype(np.float32), weight)


@pytest.mark.parametrize("fn", ["numerical_gradient", "check_gradient"])
def test_refuses_a_float32_computation_on_float64_x(rng, fn):
    x = rng.standard_normal((1, 1, 5, 5))
    dout = rng.standard_normal((1, 2, 3, 3))
    call = {"numerical_gradient": lambda: numerical_gradient(_float32_conv, x, dout=dout),
            "check_gradient": lambda: check_gradient(_float32_conv, x, np.zeros_like(x),
                                                     dout=dout)}[fn]
    with pytest.raises(TypeError, match=rf"^{fn}: f\(x\) has dtype float32, but a gradient check "
                                        rf"needs float64: .*resolution.*h=1e-5.*meaningless.*"
                                        rf"float32 layer"):
        call()
    np.testing.assert_array_equal(x, x)   # x was restored (no exception escaped mid-way)


def test_refuses_a_float32_analytic_gradient(rng):
    x = rng.standard_normal(4)
    with pytest.raises(TypeError, match=r"^check_gradient: analytic has dtype float32, but a "
                                        r"gradient check needs float64: .*meaningless"):
        check_gradient(lambda x: np.sum(x ** 2), x, (2 * x).astype(np.float32))
