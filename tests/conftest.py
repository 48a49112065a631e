"""Shared test configuration.

The suite runs with ``pytest -n 2``: two worker processes on two cores. Each worker limits BLAS
to one thread, since two workers with two BLAS threads each oversubscribe the cores and make
the many tiny matrix products in the tests an order of magnitude slower.
"""
import os

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread_per_worker():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(autouse=True)
def _private_progress_file(tmp_path_factory, monkeypatch):
    """Exercise checks record passes in a progress file: keep the tests' out of the user's own."""
    if "CNNCOURSE_DATA_DIR" not in os.environ:
        monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path_factory.getbasetemp() / "cnncourse-data"))
