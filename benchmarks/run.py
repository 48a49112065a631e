"""Benchmark cnncourse's ops: paired time ratios, GFLOP/s against the GEMM peak, peak memory.

Usage::

    python benchmarks/run.py                 # every group
    python benchmarks/run.py conv lenet      # some groups
    python benchmarks/run.py --quick         # small shapes, few repeats (a smoke run, seconds)
    python benchmarks/run.py --no-memory     # skip the memory column (no subprocesses)
    python benchmarks/run.py --json out.json # also write every number as JSON

float32, 2 threads (BLAS and PyTorch). Each case module in this folder (``bench_*.py``) defines
``cases(quick: bool) -> list[Case]``.

Time. The implementations of a case ("fast", "naive", "torch") are timed in alternating blocks
(fast, torch, then torch, fast, ...), at least five; a block times a few calls of each, long
enough to dwarf the clock. A ratio such as fast/torch is computed *per block*, from the two
medians measured side by side, and the table shows the median of those per-block ratios, so
one noisy block (another process taking the cores) cannot decide it. The naive loops are
timed once (they take seconds) and shown for information.

Throughput. The run first measures numpy's float32 GEMM peak (best of a few 1024^3 products)
with the same threads; a case that knows its floating-point work (``Case.flops``) shows the
fast version's GFLOP/s and its share of that peak.

Memory. Each implementation of each case runs in a fresh subprocess (``--memory-child``): it
builds the inputs, runs the case once to warm up (lazy initialisation, code pages), reads its
resident set size, runs it again and reports the growth of the resident high-water mark, plus
for cnncourse the workspaces it keeps between calls (Linux
``VmHWM`` after resetting it through ``/proc/self/clear_refs``; elsewhere ``ru_maxrss``). Python's
allocation tracing cannot see PyTorch's memory; the kernel's accounting sees both alike. The
child fixes glibc's mmap threshold so that freed large blocks go back to the system for both.

PyTorch columns appear only when torch is installed (``pip install torch==2.13.0``, CPU wheel;
never a required dependency); without it the ratios are omitted and everything else runs.
Set ``CNNCOURSE_BENCH_NO_TORCH=1`` to leave torch out even when it is installed.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Optional  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))    # benchmark the checkout this file is in, not an install

GROUPS = ("conv", "pool", "lenet")
MIN_BLOCKS = 5
MiB = 1 << 20


@dataclass
class Case:
    """One benchmark row: a name and the implementations to time against each other."""

    group: str
    name: str
    impls: dict[str, Callable[[], object]]
    repeats: dict[str, int] = field(default_factory=dict)  # {"naive": 1}: timed once, apart
    flops: Optional[float] = None       # floating-point operations of one call of "fast"
    timed: bool = True                  # False: a memory-only row (too big to time often)


def torch_or_none():
    """Return the torch module set to 2 threads, or None when it is not installed (or hidden
    with ``CNNCOURSE_BENCH_NO_TORCH=1``)."""
    if os.environ.get("CNNCOURSE_BENCH_NO_TORCH"):
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    return torch


# --------------------------------------------------------------------------------------------
# time: paired blocks
# --------------------------------------------------------------------------------------------

def _calls_per_block(fn, target_s: float) -> int:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    return max(1, min(20, int(target_s / max(elapsed, 1e-6))))


def time_case(case: Case, blocks: int, target_s: float) -> dict:
    """Per-implementation median block times and the paired ratios (median of per-block)."""
    paired = [name for name in case.impls if case.repeats.get(name) != 1]
    once = [name for name in case.impls if case.repeats.get(name) == 1]
    calls = {name: _calls_per_block(case.impls[name], target_s) for name in paired}  # warm-up
    per_block: dict[str, list[float]] = {name: [] for name in paired}
    for block in range(blocks):
        order = paired if block % 2 == 0 else paired[::-1]
        for name in order:
            fn, samples = case.impls[name], []
            for _ in range(calls[name]):
                start = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - start)
            per_block[name].append(statistics.median(samples))
    times = {name: statistics.median(v) for name, v in per_block.items()}
    for name in once:
        start = time.perf_counter()
        case.impls[name]()
        times[name] = time.perf_counter() - start
    ratio = None
    if "fast" in per_block and "torch" in per_block:
        ratio = statistics.median(f / t for f, t in zip(per_block["fast"], per_block["torch"]))
    return {"times": times, "fast_over_torch": ratio, "blocks": blocks,
            "block_ratios": ([f / t for f, t in zip(per_block["fast"], per_block["torch"])]
                             if ratio is not None else None)}


def gemm_peak_gflops(n: int, tries: int = 5) -> float:
    """Best float32 GEMM rate of numpy (n x n times n x n) with this process's threads."""
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b
    best = math.inf
    for _ in range(tries):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


# --------------------------------------------------------------------------------------------
# memory: one fresh subprocess per implementation and case
# --------------------------------------------------------------------------------------------

def _status_kib(field_name: str) -> Optional[int]:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")          # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def peak_growth_bytes(fn: Callable[[], object], calls: int = 1) -> int:
    """Growth of the resident high-water mark while ``fn`` runs ``calls`` times, after one
    warm-up call (lazy library initialisation, code pages) that is not counted."""
    fn()
    gc.collect()
    if _reset_peak() and _status_kib("VmHWM") is not None:
        base = _status_kib("VmRSS")
        for _ in range(calls):
            fn()
        return max(0, _status_kib("VmHWM") - base) * 1024
    import resource
    scale = 1 if sys.platform == "darwin" else 1024       # ru_maxrss: bytes on macOS, KiB else
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(calls):
        fn()
    return max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * scale


def memory_child(group: str, index: int, impl: str, quick: bool) -> int:
    """Entry point of the subprocess: build one case, print its implementation's growth."""
    case = importlib.import_module(f"bench_{group}").cases(quick=quick)[index]
    growth = peak_growth_bytes(case.impls[impl])
    if impl != "torch":
        # cnncourse's reused workspaces stay resident between calls (so the warm-up hid
        # them): count them as part of every call's peak
        from cnncourse.functional import _workspace
        growth += _workspace.pooled_bytes()
    print(json.dumps({"bytes": growth}))
    return 0


def measure_memory(group: str, index: int, impl: str, quick: bool) -> Optional[int]:
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072")
    if impl != "torch":
        env["CNNCOURSE_BENCH_NO_TORCH"] = "1"        # the numpy child never imports torch
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", group, str(index),
           impl] + (["--quick"] if quick else [])
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        print(f"  (memory of {group}[{index}] {impl} failed: {done.stderr.strip()[-300:]})",
              file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["bytes"]


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------

def _ms(seconds):
    return f"{'-':>9}" if seconds is None else f"{seconds * 1e3:9.2f}"


def _x(value, width=7):
    return f"{'-':>{width}}" if value is None else f"{value:{width - 1}.2f}x"


def _mib(nbytes):
    return f"{'-':>8}" if nbytes is None else f"{nbytes / MiB:8.1f}"


def _load() -> str:
    try:
        return "load average {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help=f"one or more of {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--blocks", type=int, default=7,
                        help=f"alternating timing blocks per case (at least {MIN_BLOCKS})")
    parser.add_argument("--block-seconds", type=float, default=0.15,
                        help="target time of one implementation within one block")
    parser.add_argument("--quick", action="store_true",
                        help="small shapes, one call per block, no naive loops, a small GEMM: a smoke run")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory column")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--memory-child", nargs=3, metavar=("GROUP", "INDEX", "IMPL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        group, index, impl = args.memory_child
        return memory_child(group, int(index), impl, args.quick)
    if args.blocks < MIN_BLOCKS:
        parser.error(f"--blocks must be at least {MIN_BLOCKS}, got {args.blocks}")
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {list(GROUPS)}")
    target = 0.0 if args.quick else args.block_seconds

    torch = torch_or_none()
    import numpy as np

    peak = gemm_peak_gflops(256 if args.quick else 1024)
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
          f"float32, {threads} threads; {_load()}")
    print(f"numpy float32 GEMM peak: {peak:.1f} GFLOP/s; ratios: median of per-block ratios "
          f"over {args.blocks} alternating blocks; memory: peak RSS growth, fresh subprocess")
    header = (f"{'case':<44} {'fast ms':>9} {'naive ms':>9} {'torch ms':>9} {'naive/fast':>10} "
              f"{'fast/torch':>10} {'GFLOP/s':>8} {'%peak':>6} {'fast MiB':>8} {'torch MiB':>9} "
              f"{'mem f/t':>7}")
    results = {"gemm_peak_gflops": peak, "torch": torch.__version__ if torch else None,
               "blocks": args.blocks, "load_before": _load(), "groups": {}}
    for group in args.groups or GROUPS:
        module = importlib.import_module(f"bench_{group}")
        cases = module.cases(quick=args.quick)
        if args.quick:                      # a smoke run: the loops take seconds, skip them
            for case in cases:
                case.impls.pop("naive", None)
        print(f"\n== {group} ==\n{header}\n{'-' * len(header)}")
        ratios, rows = [], []
        for index, case in enumerate(cases):
            row = {"name": case.name, "times": {}, "fast_over_torch": None}
            if case.timed:
                row.update(time_case(case, args.blocks, target))
            if row["fast_over_torch"] is not None:
                ratios.append(row["fast_over_torch"])
            t = row["times"]
            fast, naive, ref = t.get("fast"), t.get("naive"), t.get("torch")
            gflops = case.flops / fast / 1e9 if (case.flops and fast) else None
            row["gflops"] = gflops
            row["percent_of_peak"] = 100 * gflops / peak if gflops else None
            memory = {}
            if not args.no_memory:
                memory = {impl: measure_memory(group, index, impl, args.quick)
                          for impl in case.impls if impl in ("fast", "torch")}
            row["memory_bytes"] = memory
            mem_ratio = (memory["fast"] / memory["torch"]
                         if memory.get("fast") is not None and memory.get("torch") else None)
            row["memory_fast_over_torch"] = mem_ratio
            rows.append(row)
            rate = "-" if gflops is None else f"{gflops:.1f}"
            share = "-" if gflops is None else f"{row['percent_of_peak']:.0f}%"
            print(f"{case.name:<44} {_ms(fast)} {_ms(naive)} {_ms(ref)} "
                  f"{_x(naive / fast if naive and fast else None, 10)} "
                  f"{_x(row['fast_over_torch'], 10)} {rate:>8} {share:>6} "
                  f"{_mib(memory.get('fast'))} {_mib(memory.get('torch')):>9} {_x(mem_ratio)}",
                  flush=True)
        gmean = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else None
        if gmean is not None:
            print(f"{'geometric mean fast/torch':<44} {'':>9} {'':>9} {'':>9} {'':>10} "
                  f"{gmean:9.2f}x")
        results["groups"][group] = {"cases": rows, "geometric_mean_fast_over_torch": gmean}
    results["load_after"] = _load()
    print(f"\n{results['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
