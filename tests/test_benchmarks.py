"""benchmarks/run.py: the paired-block ratios, the memory probe, and a --quick smoke run with
PyTorch hidden (the harness must run, and omit the ratios, where torch is not installed)."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def run():
    sys.path.insert(0, str(RUN.parent))
    spec = importlib.util.spec_from_file_location("bench_run_under_test", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module               # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)
    sys.path.remove(str(RUN.parent))


def test_ratio_is_the_median_of_paired_blocks_and_blocks_alternate(run, monkeypatch):
    clock = [0.0]
    calls = []

    def impl(name, cost):
        def fn():
            calls.append(name)
            # two noisy blocks (fast's 2nd timed call, torch's 3rd) must not decide the ratio
            noisy = (name, calls.count(name)) in (("fast", 3), ("torch", 4))
            clock[0] += cost * (10 if noisy else 1)
        return fn

    monkeypatch.setattr(run.time, "perf_counter", lambda: clock[0])
    case = run.Case("conv", "fake", {"fast": impl("fast", 1.0), "torch": impl("torch", 2.0)})
    result = run.time_case(case, blocks=5, target_s=1.0)   # one call per block
    assert result["fast_over_torch"] == pytest.approx(0.5)
    assert result["block_ratios"] == pytest.approx([0.5, 5.0, 0.05, 0.5, 0.5])
    assert calls[2:] == ["fast", "torch", "torch", "fast", "fast", "torch", "torch", "fast",
                         "fast", "torch"]                  # after one warm-up call each


def test_naive_is_timed_once_outside_the_blocks(run, monkeypatch):
    counts = {"fast": 0, "naive": 0}

    def count(name):
        def fn():
            counts[name] += 1
        return fn

    case = run.Case("conv", "fake", {"fast": count("fast"), "naive": count("naive")},
                    repeats={"naive": 1})
    result = run.time_case(case, blocks=5, target_s=0.0)
    assert counts["naive"] == 1 and counts["fast"] == 1 + 5
    assert result["fast_over_torch"] is None and set(result["times"]) == {"fast", "naive"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_peak_growth_sees_a_touched_allocation(run):
    def allocate():
        a = np.ones(64 << 20, dtype=np.uint8)      # 64 MiB, every page touched
        return int(a[::4096].sum())

    env_note = "glibc may reuse freed memory; the first call is the warm-up"
    growth = run.peak_growth_bytes(allocate)
    assert growth >= 60 << 20, env_note


def test_gemm_peak_is_positive(run):
    assert run.gemm_peak_gflops(64, tries=2) > 0


def test_fewer_than_five_blocks_is_refused():
    done = subprocess.run([sys.executable, str(RUN), "--blocks", "4", "--no-memory", "lenet"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2 and "--blocks must be at least 5" in done.stderr


def test_quick_run_without_torch(tmp_path):
    """--quick with ``import torch`` failing: every fast time, GFLOP/s and memory, no ratios."""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "torch.py").write_text("raise ImportError('torch hidden by test_benchmarks')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(hide), str(ROOT)]))
    env.pop("CNNCOURSE_BENCH_NO_TORCH", None)
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(RUN), "--quick", "conv", "lenet", "--json", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "torch not installed" in done.stdout and "failed" not in done.stderr
    result = json.loads(out.read_text())
    assert result["torch"] is None and result["gemm_peak_gflops"] > 0
    conv = result["groups"]["conv"]
    assert conv["geometric_mean_fast_over_torch"] is None
    timed = [row for row in conv["cases"] if row["times"]]
    assert len(timed) == 4 and len(conv["cases"]) == 5            # + the memory-only row
    for row in conv["cases"]:
        assert set(row["memory_bytes"]) == {"fast"} and row["memory_bytes"]["fast"] > 0
        assert row["fast_over_torch"] is None and row["memory_fast_over_torch"] is None
    for row in timed:
        assert row["times"]["fast"] > 0 and row["gflops"] > 0 and "torch" not in row["times"]
    lenet = result["groups"]["lenet"]["cases"][0]
    assert lenet["times"]["fast"] > 0 and lenet["memory_bytes"]["fast"] > 0


def test_quick_run_with_torch(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "result.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CNNCOURSE_BENCH_NO_TORCH", None)
    done = subprocess.run([sys.executable, str(RUN), "--quick", "lenet", "--json", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    row = json.loads(out.read_text())["groups"]["lenet"]["cases"][0]
    assert row["fast_over_torch"] > 0 and len(row["block_ratios"]) == 7
    assert row["memory_bytes"]["torch"] > 0 and row["memory_fast_over_torch"] > 0
