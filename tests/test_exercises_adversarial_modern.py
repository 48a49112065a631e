"""Adversarial suite of the chapter *Modern CNNs* (cnncourse/exercises/modern.py): at least five
realistic wrong answers per exercise beyond its ``examples_wrong``, each rejected with the hint it
must get (or none), run through the tests of tests/test_exercises_adversarial.py."""
from __future__ import annotations

import math

import numpy as np
import pytest

import cnncourse.exercises as exs
import test_exercises_adversarial as adv
from test_exercises_adversarial import W
from cnncourse.functional import conv2d

CHAPTER = "modern-cnns"


def _he_square_kernel(shape):
    k = shape[2] if len(shape) > 2 else 1
    return math.sqrt(2.0 / (shape[1] * k * k))


def _he_gain_tanh(shape):
    return (5 / 3) / math.sqrt(shape[1] * math.prod(shape[2:]))


def _he_hardcoded(shape):
    return math.sqrt(2.0 / 25)               # LeNet's first layer


def _he_array(shape):
    return np.array([math.sqrt(2.0 / (shape[1] * math.prod(shape[2:])))])


def _he_sample(shape):                       # std of one random draw, not the formula
    rng = np.random.default_rng(0)
    return float(rng.normal(0, math.sqrt(2.0 / (shape[1] * math.prod(shape[2:]))), 50).std())


def _bn(x, gamma, beta, eps, axis=(0, 2, 3), ddof=0):
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True, ddof=ddof)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / np.sqrt(var + eps) + beta.reshape(1, -1, 1, 1)


def _bn_in_place(x, gamma, beta, eps):
    x -= x.mean(axis=(0, 2, 3), keepdims=True)
    x /= np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
    return gamma.reshape(1, -1, 1, 1) * x + beta.reshape(1, -1, 1, 1)


def _bn_no_eps(x, gamma, beta, eps):
    return _bn(x, gamma, beta, 0.0)


def _bn_gamma_beta_swapped(x, gamma, beta, eps):
    return _bn(x, beta, gamma, eps)


def _residual(x, w1, w2, padding=1):
    return np.maximum(conv2d(np.maximum(conv2d(x, w1, padding=padding), 0), w2, padding=padding) + x, 0)


def _res_flipped(x, w1, w2):                 # true convolution (flipped kernels)
    return _residual(x, w1[:, :, ::-1, ::-1].copy(), w2[:, :, ::-1, ::-1].copy())


def _res_tanh(x, w1, w2):
    return np.maximum(conv2d(np.tanh(conv2d(x, w1, padding=1)), w2, padding=1) + x, 0)


def _res_float32(x, w1, w2):
    return _residual(x, w1, w2).astype(np.float32)


def _res_no_padding(x, w1, w2):              # shapes do not match: crops x to fit
    out = conv2d(np.maximum(conv2d(x, w1), 0), w2)
    h, w = out.shape[2:]
    return np.maximum(out + x[:, :, 2:2 + h, 2:2 + w], 0)


def _res_shortcut_after_relu(x, w1, w2):
    return np.maximum(conv2d(np.maximum(conv2d(x, w1, padding=1), 0), w2, padding=1), 0) + np.maximum(x, 0)


def _res_w_order(x, w1, w2):                 # only works when B == C
    return _residual(x, w2, w1) if w1.shape == w2.shape else _residual(x, w1, w2) * 0


def _res_in_place(x, w1, w2):
    out = conv2d(np.maximum(conv2d(x, w1, padding=1), 0), w2, padding=1)
    x += out
    np.maximum(x, 0, out=x)
    return x


def _params_float(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * in_channels / groups * kh * kw + (out_channels if bias else 0.0)


def _params_times_groups(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * in_channels * groups * kh * kw + (out_channels if bias else 0)


def _params_out_over_groups(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return (out_channels // groups) * (in_channels // groups) * kh * kw + (out_channels if bias else 0)


def _params_bias_always(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * (in_channels // groups) * kh * kw + out_channels


def _params_kernel_sum(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * (in_channels // groups) * (kh + kw) + (out_channels if bias else 0)


def _params_int_kernel_only(in_channels, out_channels, kernel_size, groups=1, bias=True):
    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0] * kernel_size[1]
    return out_channels * (in_channels // groups) * k * k + (out_channels if bias else 0)


MODERN = {
    "modern.he-std": [
        W("sqrt(2 / fan_in) forgetting the kernel", lambda shape: math.sqrt(2.0 / shape[1]), "leaves out the kernel"),
        W("kernel's height squared (square-only)", _he_square_kernel),
        W("tanh's gain 5/3 instead of sqrt(2)", _he_gain_tanh),
        W("hard-coded LeNet-5's first layer", _he_hardcoded),
        W("a 1-element array instead of a float", _he_array),
        W("the std of 50 random draws", _he_sample),
        W("sqrt(1 / fan_in)", lambda shape: math.sqrt(1.0 / (shape[1] * math.prod(shape[2:]))), "ReLU zeroes half"),
    ],
    "modern.batch-norm-train": [
        W("normalised over the batch axis only (per pixel)", lambda x, g, b, e: _bn(x, g, b, e, axis=0, )),
        W("unbiased variance", lambda x, g, b, e: _bn(x, g, b, e, ddof=1), "biased one"),
        W("eps ignored", _bn_no_eps),
        W("gamma and beta swapped", _bn_gamma_beta_swapped),
        W("x modified in place", _bn_in_place),
        W("float32 result", lambda x, g, b, e: _bn(x, g, b, e).astype(np.float32)),
        W("std + eps", lambda x, g, b, e: g.reshape(1, -1, 1, 1) * (x - x.mean(axis=(0, 2, 3), keepdims=True))
          / (x.std(axis=(0, 2, 3), keepdims=True) + e) + b.reshape(1, -1, 1, 1), "inside the square root"),
    ],
    "modern.residual-forward": [
        W("true convolution (flipped kernels)", _res_flipped),
        W("tanh inside the branch", _res_tanh),
        W("float32 result", _res_float32),
        W("no padding, input cropped to fit", _res_no_padding),
        W("shortcut added after the ReLU", _res_shortcut_after_relu),
        W("w1 and w2 in the wrong order", _res_w_order),
        W("x updated in place", _res_in_place),
        W("no ReLU after the sum", lambda x, w1, w2: conv2d(np.maximum(conv2d(x, w1, padding=1), 0), w2, padding=1) + x,
          "after the sum"),
    ],
    "modern.conv-params": [
        W("a float count (true division)", _params_float),
        W("weights multiplied by groups", _params_times_groups),
        W("output channels divided by groups too", _params_out_over_groups),
        W("bias counted even when bias=False", _params_bias_always),
        W("kH + kW instead of kH * kW", _params_kernel_sum),
        W("pair kernel's area squared", _params_int_kernel_only),
        W("groups ignored", lambda i, o, k, groups=1, bias=True:
          o * i * (k * k if isinstance(k, int) else k[0] * k[1]) + (o if bias else 0), "in_channels // groups"),
    ],
}

adv.WRONG.update(MODERN)
EXERCISES = [e for e in exs.exercises() if e.chapter == CHAPTER]
FUNCTIONS = [e for e in EXERCISES if e.kind == "function"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path))


def test_every_exercise_of_the_chapter_has_five_adversarial_answers():
    assert len(EXERCISES) >= 4
    assert set(MODERN) == {e.id for e in EXERCISES}
    for ex in EXERCISES:
        assert len(MODERN[ex.id]) >= 5, ex.id


def test_every_chapter_has_an_adversarial_suite():
    from pathlib import Path
    here = Path(__file__).parent
    for chapter in {e.chapter for e in exs.exercises()}:
        own_file = here / f"test_exercises_adversarial_{chapter.split('-')[0]}.py"
        assert chapter in adv.CHAPTERS or own_file.is_file(), chapter


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.id for e in EXERCISES])
def test_adversarial_answers_are_rejected_with_the_right_hint(ex):
    adv.test_adversarial_answers_are_rejected_with_the_right_hint(ex)


@pytest.mark.parametrize("ex", FUNCTIONS, ids=[e.id for e in FUNCTIONS])
def test_each_mistake_differs_from_the_reference_somewhere(ex):
    adv.test_each_mistake_differs_from_the_reference_somewhere(ex)


@pytest.mark.parametrize("ex", FUNCTIONS, ids=[e.id for e in FUNCTIONS])
def test_cases_vary_every_argument(ex):
    adv.test_cases_vary_every_argument(ex)


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.id for e in EXERCISES])
def test_registered_wrong_examples_are_rejected_and_the_reference_passes(ex):
    assert exs.check(ex.id, ex.reference, record=False).status == "correct"
    for answer, text in ex.examples_wrong:
        result = exs.check(ex.id, answer, record=False)
        assert result.status == "incorrect" and text in str(result), (ex.id, text, str(result))
