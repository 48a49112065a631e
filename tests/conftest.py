"""Shared test configuration.

The suite runs with ``pytest -n 2``: two worker processes on two cores. Each worker limits BLAS
to one thread, since two workers with two BLAS threads each oversubscribe the cores and make
the many tiny matrix products in the tests an order of magnitude slower.

Progress isolation (issue 9): the session (the xdist controller, before it starts the workers)
points ``CNNCOURSE_PROGRESS_DIR`` (the progress store only; datasets keep their cache) at a
fresh folder, which the workers and the notebook kernels that
nbval starts inherit. Python tests get a folder of their own per test (the autouse fixture
below), so the session folder only ever sees what the notebooks record. At the end of the
session, if notebook cells ran, that folder must hold no pass: executing every notebook top to
bottom (worked solutions included) records nothing. Otherwise the session fails.
"""
import json
import os
import shutil
import tempfile

import pytest
from threadpoolctl import threadpool_limits

SESSION_DIR_VAR = "CNNCOURSE_TEST_SESSION_DATA_DIR"


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config):
    if _is_worker(config) or SESSION_DIR_VAR in os.environ:
        return
    folder = tempfile.mkdtemp(prefix="cnncourse-notebook-progress-")
    config._cnncourse_saved_env = os.environ.get("CNNCOURSE_PROGRESS_DIR")
    config._cnncourse_notebook_cells = 0
    os.environ["CNNCOURSE_PROGRESS_DIR"] = folder
    os.environ[SESSION_DIR_VAR] = folder


def pytest_runtest_logreport(report):
    """Count the notebook cells that ran (in the controller, reports come from the workers)."""
    if report.when == "call" and ".ipynb" in report.nodeid:
        _COUNT["cells"] += 1


_COUNT = {"cells": 0}


def notebook_passes(folder: str) -> dict:
    """The passes recorded in ``folder`` (what the notebooks recorded)."""
    path = os.path.join(folder, "progress.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return dict(json.load(f).get("passed", {}))


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if _is_worker(config) or not hasattr(config, "_cnncourse_notebook_cells"):
        return
    folder = os.environ.pop(SESSION_DIR_VAR, None)
    saved = config._cnncourse_saved_env
    if saved is None:
        os.environ.pop("CNNCOURSE_PROGRESS_DIR", None)
    else:
        os.environ["CNNCOURSE_PROGRESS_DIR"] = saved
    if folder is None:
        return
    try:
        recorded = notebook_passes(folder)
    except (OSError, ValueError) as err:
        recorded = {"<unreadable progress file>": str(err)}
    if _COUNT["cells"] and recorded:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        text = ("FAILED (issue 9): executing the notebooks recorded passes the learner never made: "
                + ", ".join(sorted(recorded)))
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(text, red=True, bold=True)
        else:
            print(text)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread_per_worker():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(autouse=True)
def _private_progress_file(tmp_path, tmp_path_factory, monkeypatch):
    """Exercise checks record passes in a progress file: each test gets its own, so neither the
    user's file nor the session's notebook folder ever sees a test's passes."""
    monkeypatch.setenv("CNNCOURSE_PROGRESS_DIR", str(tmp_path / "cnncourse-progress"))
    if "CNNCOURSE_DATA_DIR" not in os.environ:  # datasets' cache: never the user's own
        monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path_factory.getbasetemp() / "cnncourse-data"))
    try:
        from cnncourse.exercises import _progress
    except ImportError:
        yield
        return
    _progress._MEMORY.clear()
    yield
    _progress._MEMORY.clear()
