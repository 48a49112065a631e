"""cnncourse.interop without PyTorch: importing cnncourse never imports torch, and the
conversion functions say how to get it. (These run whether torch is installed or not.)"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cnncourse import interop, models

ROOT = Path(__file__).resolve().parent.parent


def test_importing_cnncourse_never_imports_torch():
    code = ("import sys, cnncourse, cnncourse.interop, cnncourse.models, cnncourse.nn, "
            "cnncourse.exercises; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_without_torch_the_error_says_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)       # import torch -> ImportError
    with pytest.raises(ImportError, match="to_torch: PyTorch is not installed"):
        interop.to_torch(models.lenet5(rng=0))


def test_an_unconvertible_layer_is_named_with_or_without_torch(monkeypatch):
    """The model is checked before torch is imported, so the answer does not depend on it."""
    from cnncourse import nn

    class Custom(nn.Module):
        def forward(self, x):
            return x

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.ReLU(), Custom()))
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(TypeError, match=r"to_torch: cannot convert layer 1\.1 \(Custom\)"):
        interop.to_torch(model)
