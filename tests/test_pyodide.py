"""cnncourse under a simulated Pyodide (JupyterLite's Python), in a fresh interpreter.

Pyodide itself needs its runtime from a CDN that these machines cannot reach, so the test
imitates what matters: a ``sitecustomize`` that runs at interpreter start-up, before anything
imports ``cnncourse``, sets ``sys.platform = "emscripten"``, removes ``signal.setitimer`` /
``getitimer`` and ``os.fork`` (and the other process-spawning calls), and makes starting a
thread or a subprocess fail the way they fail there. In that interpreter the test imports every
module of the package, checks a wrong, a right and a never-ending answer, trains a tiny network
with a progress bar, and builds widgets. Any warning is an error.

What this does not show: that Pyodide's own numpy/scipy/matplotlib/scikit-learn builds behave
like the CPython ones, nor that the JupyterLite page boots (see book/how-to-use.md). To run the
simulation on the library versions Pyodide ships (numpy 2.4.6, scipy 1.18, matplotlib 3.10.8,
scikit-learn 1.8) rather than this environment's, point ``CNNCOURSE_PYODIDE_PYTHON`` at the
interpreter of a venv that holds them (plus ipywidgets, tqdm, platformdirs, threadpoolctl).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("CNNCOURSE_PYODIDE_PYTHON") or sys.executable
# What jupyterlite-pyodide-kernel 0.8.6 loads: Pyodide 314 (Python 3.14) and its packages
PYODIDE = {"python": "3.14", "numpy": "2.4.6", "scipy": "1.18.0", "matplotlib": "3.10.8",
           "scikit-learn": "1.8.0"}

SITECUSTOMIZE = '''
"""Start-up of a simulated Pyodide: no timers, no fork, no threads, no subprocesses."""
import _thread
import errno
import os
import signal
import subprocess
import sys
import sysconfig
import threading

sysconfig.get_config_vars()  # read the real build's data first: its file name follows sys.platform
sys.platform = "emscripten"
for _name in ("setitimer", "getitimer"):
    if hasattr(signal, _name):
        delattr(signal, _name)
for _name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "register_at_fork",
              "spawnv", "spawnve", "spawnl", "spawnle"):
    if hasattr(os, _name):
        delattr(os, _name)


def _no_thread(*args, **kwargs):
    raise RuntimeError("can't start new thread (simulated Pyodide)")


def _no_process(*args, **kwargs):
    raise OSError(errno.ENOSYS, "no subprocesses (simulated Pyodide)")


class _NotInPyodide:
    """psutil has no Pyodide build (scikit-learn's joblib imports it optionally)."""

    def find_spec(self, name, path=None, target=None):
        if name == "psutil" or name.startswith("psutil."):
            raise ImportError(f"No module named {name!r} (simulated Pyodide)")
        return None


sys.meta_path.insert(0, _NotInPyodide())
_thread.start_new_thread = _no_thread
threading._start_new_thread = _no_thread
threading.Thread.start = _no_thread
subprocess.Popen.__init__ = _no_process
os.system = _no_process
os.popen = _no_process
'''

DRIVER = r'''
import importlib, json, os, pkgutil, subprocess, sys, threading, warnings
warnings.simplefilter("error")
report = {}

# 0. the simulation is in force, and it started before cnncourse
report["platform"] = sys.platform
report["imported_before"] = sorted(m for m in sys.modules if m.startswith("cnncourse"))
for label, attempt in {
    "thread": lambda: threading.Thread(target=print).start(),
    "subprocess": lambda: subprocess.run(["true"]),
}.items():
    try:
        attempt()
        report[label] = "started"
    except (RuntimeError, OSError) as exc:
        report[label] = "refused"
report["fork"] = hasattr(os, "fork")
import signal
report["setitimer"] = hasattr(signal, "setitimer")

# 1. every module imports
import cnncourse
from cnncourse import _platform
report["IS_PYODIDE"] = _platform.IS_PYODIDE
modules = ["cnncourse"]
for info in pkgutil.walk_packages(cnncourse.__path__, "cnncourse."):
    importlib.import_module(info.name)
    modules.append(info.name)
report["modules"] = modules
report["limit_threads"] = type(_platform.limit_threads(1)).__name__
report["threadpoolctl_imported"] = "threadpoolctl" in sys.modules

# 2. the checker: a wrong, a right and an endless answer
import numpy as np
from cnncourse.exercises import check

def wrong(x, k):  # the true convolution (flipped kernel)
    kH, kW = k.shape
    k = k[::-1, ::-1]
    out = np.zeros((x.shape[0] - kH + 1, x.shape[1] - kW + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kH, j:j + kW] * k)
    return out

def right(x, k):
    kH, kW = k.shape
    out = np.zeros((x.shape[0] - kH + 1, x.shape[1] - kW + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kH, j:j + kW] * k)
    return out

def endless(x, k):
    while True:
        pass

verdicts = {}
for name, answer, kwargs in [("wrong", wrong, {}), ("right", right, {}),
                             ("endless", endless, {"timeout": 1})]:
    result = check("first.correlate2d-valid", answer, **kwargs)
    verdicts[name] = {"status": result.status, "passed": result.passed,
                      "mode": getattr(result, "mode", None), "message": result.message[:200]}
report["verdicts"] = verdicts
from cnncourse.exercises import _sandbox
report["checking_mode"] = _sandbox.checking_mode() if hasattr(_sandbox, "checking_mode") else None
# where a JupyterLite learner's passes go: JupyterLite's /drive (here a folder standing in for it)
from cnncourse.exercises import _progress
_saved = {k: os.environ.pop(k) for k in ("CNNCOURSE_DATA_DIR", "CNNCOURSE_PROGRESS_DIR") if k in os.environ}
report["drive_progress_dir"] = report["drive_files"] = None
if hasattr(_progress, "PYODIDE_DRIVE"):
    _progress.PYODIDE_DRIVE = os.environ["SIMULATED_DRIVE"]
    report["drive_progress_dir"] = _progress.data_dir()
    check("first.correlate2d-valid", right)  # records a pass
    report["drive_files"] = sorted(os.listdir(report["drive_progress_dir"]))
os.environ.update(_saved)
report["progress_files"] = sorted(os.listdir(os.environ["CNNCOURSE_DATA_DIR"]))

# 3. a tiny fit, with the progress bar (tqdm) on
from cnncourse import datasets, models, nn, optim, train
X, y = datasets.shapes(2, size=12, seed=0)
model = models.mlp(12 * 12, hidden=(8,), num_classes=int(y.max()) + 1, rng=np.random.default_rng(0))
history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                    (X, y), epochs=2, batch_size=4, rng=np.random.default_rng(0), progress=True)
report["fit_losses"] = [float(v) for v in history.train_loss]
digits = datasets.digits(size=8)  # scikit-learn's digits, as the training chapter loads them
report["digits"] = [len(digits.X_train), len(digits.X_test)]

# 4. widgets
from cnncourse.widgets import ConvArithmeticExplorer, PoolingExplorer
explorer = ConvArithmeticExplorer(input_size=5, kernel_size=3, padding=1, stride=2)
report["widget"] = type(explorer).__name__
pool = PoolingExplorer(np.random.default_rng(0).random((16, 16)))
report["pool_widget"] = type(pool).__name__
from importlib.metadata import version
report["versions"] = dict(python=sys.version.split()[0], **{
    name: version(name) for name in ("numpy", "scipy", "matplotlib", "scikit-learn")})
report["simulated_drive"] = os.environ["SIMULATED_DRIVE"]
print("REPORT " + json.dumps(report))
'''


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pyodide")
    (tmp / "driver.py").write_text(DRIVER)
    data = tmp / "data"
    data.mkdir()
    drive = tmp / "drive"
    drive.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONSTARTUP") and not k.startswith("CNNCOURSE_")}
    env.update(PYTHONPATH=os.pathsep.join([str(tmp), str(ROOT)]), CNNCOURSE_DATA_DIR=str(data),
               MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp / "mpl"), PYTHONDONTWRITEBYTECODE="1",
               SIMULATED_DRIVE=str(drive))
    # matplotlib builds its font cache on first use, starting a thread to say so; Pyodide's
    # matplotlib comes with the cache built. Build it here, outside the simulation.
    subprocess.run([PYTHON, "-c", "import matplotlib.font_manager"], env=env, cwd=tmp,
                   check=True, timeout=300)
    (tmp / "sitecustomize.py").write_text(SITECUSTOMIZE)
    proc = subprocess.run([PYTHON, str(tmp / "driver.py")], env=env, cwd=tmp,
                          capture_output=True, text=True, timeout=300)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("REPORT ")]
    assert proc.returncode == 0 and lines, (
        f"the simulated-Pyodide run failed (exit {proc.returncode}):\n"
        f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return json.loads(lines[-1][len("REPORT "):])


def test_the_simulation_is_in_force_before_cnncourse_is_imported(report):
    assert report["platform"] == "emscripten"
    assert report["imported_before"] == []
    assert report["thread"] == "refused" and report["subprocess"] == "refused"
    assert report["fork"] is False and report["setitimer"] is False


def test_every_module_imports_and_pyodide_is_detected(report):
    assert report["IS_PYODIDE"] is True
    expected = {"cnncourse." + p.stem for p in (ROOT / "cnncourse").glob("*.py") if p.stem != "__init__"}
    expected |= {"cnncourse." + p.name for p in (ROOT / "cnncourse").iterdir()
                 if (p / "__init__.py").is_file()}
    assert expected <= set(report["modules"])


def test_thread_limits_are_a_no_op_without_probing_blas(report):
    assert report["limit_threads"] == "nullcontext"


def test_check_gives_the_right_verdicts_in_process(report):
    verdicts = report["verdicts"]
    assert verdicts["wrong"]["status"] == "incorrect" and verdicts["wrong"]["passed"] is False
    assert "flipped the kernel" in verdicts["wrong"]["message"] or "Incorrect" in verdicts["wrong"]["message"]
    assert verdicts["right"]["status"] == "correct" and verdicts["right"]["passed"] is True
    # no setitimer: the time limit falls back to the in-process trace
    assert verdicts["endless"]["status"] == "timeout"
    # where the checker reports its mode, it is the in-process one (no fork here)
    if report["checking_mode"] is not None:
        assert report["checking_mode"] == "in-process"
        assert verdicts["wrong"]["mode"] == verdicts["right"]["mode"] == "in-process"
    assert "progress.json" in report["progress_files"]


def test_progress_is_kept_where_jupyterlite_keeps_files(report, tmp_path_factory):
    # JupyterLite persists /drive (the browser's storage) across reloads; the home folder is
    # in memory and lost. The checker (issue 9) chooses the folder; the simulation points its
    # PYODIDE_DRIVE at a temporary folder, since this machine has no /drive.
    if report["drive_progress_dir"] is None:
        pytest.skip("this checker has no Pyodide progress folder (cnncourse.exercises._progress.PYODIDE_DRIVE)")
    drive = Path(report["simulated_drive"])
    assert Path(report["drive_progress_dir"]) == drive / "cnncourse"
    assert "progress.json" in report["drive_files"]


def test_a_tiny_fit_trains_with_a_progress_bar(report):
    losses = report["fit_losses"]
    assert len(losses) == 2 and losses[-1] < losses[0]


def test_the_digits_load_through_scikit_learn(report):
    assert report["digits"] == [1347, 450]


def test_widgets_build(report):
    assert report["widget"] == "ConvArithmeticExplorer"
    assert report["pool_widget"] == "PoolingExplorer"


def test_limit_threads_validates_its_argument():
    from cnncourse._platform import limit_threads

    with pytest.raises(ValueError, match="limit_threads: limits must be at least 1"):
        limit_threads(0)
    with pytest.raises(TypeError, match="limit_threads: limits must be an int"):
        limit_threads(1.5)
    with limit_threads(None):
        pass


def test_limit_threads_limits_blas_on_cpython():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import numpy  # noqa: F401  (loads the BLAS library)
    from cnncourse._platform import limit_threads

    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    if not blas:
        pytest.skip("no BLAS library loaded whose threads threadpoolctl can limit")
    with limit_threads(1):
        assert all(i["num_threads"] == 1 for i in threadpoolctl.threadpool_info()
                   if i["user_api"] == "blas")


def test_declared_dependencies_admit_what_pyodide_ships():
    import tomllib
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert SpecifierSet(project["requires-python"]).contains(PYODIDE["python"])
    names = set()
    for dep in project["dependencies"]:
        req = Requirement(dep)
        if req.name in PYODIDE:
            names.add(req.name)
            assert req.specifier.contains(PYODIDE[req.name]), f"{dep} excludes Pyodide's {PYODIDE[req.name]}"
    assert names == set(PYODIDE) - {"python"}


def test_report_names_the_versions_it_ran(report):
    print(report["versions"])  # shown with -s: which stack the simulation used
    assert set(report["versions"]) == set(PYODIDE)


def _chapter_script(name: str) -> str:
    """A chapter's code cells as one script (the install cell and IPython magics left out)."""
    nb = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)
    cells = [c.source for c in nb.cells
             if c.cell_type == "code" and "cnncourse install cell" not in c.source]
    lines = [line for src in cells for line in src.splitlines()
             if not line.lstrip().startswith(("%", "!"))]
    return ("import sys\nassert sys.platform == 'emscripten'  # the simulation is in force\n"
            + "\n".join(lines) + "\nprint('CHAPTER OK')\n")


@pytest.mark.parametrize("name", ["applications", "modern-cnns"])
def test_the_new_chapters_run_under_the_simulation(name, tmp_path):
    """The chapters added after the run-anywhere work execute top to bottom under it."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (tmp_path / "chapter.py").write_text(_chapter_script(name))
    for folder in ("data", "drive", "mpl"):
        (tmp_path / folder).mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONSTARTUP") and not k.startswith("CNNCOURSE_")}
    env.update(PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]), MPLBACKEND="Agg",
               MPLCONFIGDIR=str(tmp_path / "mpl"), CNNCOURSE_DATA_DIR=str(tmp_path / "data"),
               SIMULATED_DRIVE=str(tmp_path / "drive"), PYTHONDONTWRITEBYTECODE="1")
    # build matplotlib's font cache outside the simulation (Pyodide ships it built)
    subprocess.run([PYTHON, "-c", "import matplotlib.font_manager"], env=env, check=True,
                   timeout=300)
    proc = subprocess.run([PYTHON, str(tmp_path / "chapter.py")], env=env, cwd=ROOT / "book",
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "CHAPTER OK" in proc.stdout, proc.stderr[-4000:]
