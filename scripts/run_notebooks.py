"""Execute book notebooks in place, so their saved outputs are fresh for nbval.

Usage::

    python scripts/run_notebooks.py                    # every notebook in book/
    python scripts/run_notebooks.py book/convolution.ipynb

nbval compares a notebook's saved text outputs with a fresh run, so after changing a chapter
or the package code it shows, re-run this and commit the notebook. Each notebook runs in a
fresh kernel started in book/ (as Jupyter and the book build do); the time it took is printed.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
# saved outputs as the book shows them: progress bars as one plain final line, not a widget
# (cnncourse/viz/progress.py); the kernels started below inherit it
os.environ["CNNCOURSE_STATIC_OUTPUT"] = "1"


def run(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # no widget state in the saved notebooks: the book shows each explorer's HTML fallback, and
    # a saved state would only draw frozen widgets (cnncourse/widgets/_base.py)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nb.metadata.pop("widgets", None)
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or sorted((ROOT / "book").glob("*.ipynb"))
    for path in paths:
        print(f"{path.relative_to(ROOT)}: ", end="", flush=True)
        print(f"{run(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
