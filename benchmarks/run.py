"""Benchmark cnncourse's ops: median times and ratios, paired in one run.

Usage::

    python benchmarks/run.py                 # every group
    python benchmarks/run.py conv pool       # some groups
    python benchmarks/run.py --quick         # fewer repeats (a smoke run)

float32, 2 threads (BLAS and PyTorch). Each case module in this folder (``bench_*.py``) defines
``cases(quick: bool) -> list[Case]``. For every case each implementation ("fast", "naive",
"torch") is timed in the same process, interleaved round by round so that machine noise hits
all of them alike; the table shows medians and the ratios naive/fast and fast/torch, and each
group ends with the geometric mean of fast/torch. PyTorch columns appear only when torch is
installed (``pip install torch==2.13.0``, CPU wheel; never a required dependency).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import importlib  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

GROUPS = ("conv", "pool", "lenet")


@dataclass
class Case:
    """One benchmark row: a name and the implementations to time against each other."""

    group: str
    name: str
    impls: dict[str, Callable[[], object]]
    repeats: dict[str, int] = field(default_factory=dict)  # per-implementation override


def torch_or_none():
    """Return the torch module set to 2 threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    return torch


def median_times(case: Case, repeats: int) -> dict[str, float]:
    """Median wall time in seconds of each implementation, timed round-robin after a warm-up."""
    samples: dict[str, list[float]] = {name: [] for name in case.impls}
    for fn in case.impls.values():
        fn()  # warm-up: allocations, caches, lazy imports
    for round_ in range(repeats):
        for name, fn in case.impls.items():
            if round_ >= case.repeats.get(name, repeats):
                continue
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


def fmt_ms(seconds: float | None) -> str:
    return f"{'-':>9}" if seconds is None else f"{seconds * 1e3:9.2f}"


def fmt_ratio(value: float | None) -> str:
    return f"{'-':>7}" if value is None else f"{value:6.2f}x"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help=f"one or more of {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 repeats, for a smoke run")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {list(GROUPS)}")

    torch = torch_or_none()
    import numpy as np

    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
          f"float32, 2 threads, median of {repeats} (naive: fewer, see case modules)")
    header = f"{'case':<46} {'fast ms':>9} {'naive ms':>9} {'torch ms':>9} {'naive/fast':>10} {'fast/torch':>10}"
    for group in args.groups or GROUPS:
        module = importlib.import_module(f"bench_{group}")
        cases = module.cases(quick=args.quick)
        print(f"\n== {group} ==\n{header}\n{'-' * len(header)}")
        ratios = []
        for case in cases:
            t = median_times(case, repeats)
            fast, naive, ref = t.get("fast"), t.get("naive"), t.get("torch")
            slow_ratio = naive / fast if (naive and fast) else None
            torch_ratio = fast / ref if (fast and ref) else None
            if torch_ratio:
                ratios.append(torch_ratio)
            print(f"{case.name:<46} {fmt_ms(fast)} {fmt_ms(naive)} {fmt_ms(ref)} "
                  f"{fmt_ratio(slow_ratio):>10} {fmt_ratio(torch_ratio):>10}")
        if ratios:
            gmean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
            print(f"{'geometric mean fast/torch':<46} {'':>9} {'':>9} {'':>9} {'':>10} {gmean:9.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
