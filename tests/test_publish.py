"""The publishing workflow (.github/workflows/publish.yml) cannot run here; these tests check it.

- its build step is exactly the README's first command (so the published book is the book the
  README builds), and it deploys _build/html to GitHub Pages on every push to main;
- its tagging script, run in a scratch repository, tags v<version> once per new version;
- the repository's URL is written once, in _config.yml.
"""
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _readme_first_command() -> str:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks, "README.md has no ```bash block"
    lines = [line for line in blocks[0].splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return " ".join(line.rstrip("\\").strip() for line in lines)


def _steps(job: str) -> list[dict]:
    return _workflow()["jobs"][job]["steps"]


def test_runs_on_every_push_to_main():
    wf = _workflow()
    triggers = wf.get("on", wf.get(True))          # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]


def test_build_step_is_the_readme_command():
    (build,) = [s for s in _steps("build") if s.get("name") == "Build the book"]
    assert build["run"].strip() == _readme_first_command()
    assert "jupyter-book build ." in build["run"]


def test_deploys_the_built_html_to_pages():
    upload = [s for s in _steps("build") if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@")]
    assert upload and upload[0]["with"]["path"] == "_build/html"
    deploy = _workflow()["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in deploy["steps"])


def _git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_tag_script_tags_each_new_version_once(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (step,) = [s for s in _steps("tag") if "run" in s]
    assert _workflow()["jobs"]["tag"]["permissions"] == {"contents": "write"}
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    _git(tmp_path, "init", "-q", "--bare", str(remote))
    _git(tmp_path, "init", "-q", str(work))
    _git(work, "config", "user.email", "t@example.org")
    _git(work, "config", "user.name", "t")
    _git(work, "remote", "add", "origin", str(remote))

    def commit(version):
        (work / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "{version}"\n')
        _git(work, "add", "pyproject.toml")
        _git(work, "commit", "-q", "-m", f"version {version}")

    def run_step():
        return subprocess.run(["bash", "-c", step["run"]], cwd=work, check=True, capture_output=True,
                              text=True).stdout

    commit("0.1.0")
    assert "tagged v0.1.0" in run_step()
    assert _git(remote, "tag").split() == ["v0.1.0"]
    (work / "README").write_text("change without a new version")
    _git(work, "add", "README")
    _git(work, "commit", "-q", "-m", "no version change")
    assert "already exists" in run_step()
    assert _git(remote, "tag").split() == ["v0.1.0"]
    commit("0.2.0")
    run_step()
    assert _git(remote, "tag").split() == ["v0.1.0", "v0.2.0"]
    assert _git(remote, "rev-list", "-n", "1", "v0.2.0") == _git(work, "rev-parse", "HEAD")


def _install_cell_module():
    spec = importlib.util.spec_from_file_location("install_cell", ROOT / "scripts" / "install_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_repository_url_is_written_once_in_config():
    """The URL is written in _config.yml only; every other copy is generated from it and pinned.

    Two places cannot read _config.yml when they run, so they hold a generated copy that a test
    holds equal to it: each chapter's install cell (written by scripts/install_cell.py from
    _config.yml; Colab runs it with nothing else at hand; test_run_anywhere checks the cells are
    what the script writes) and pyproject.toml's [project.urls] (package metadata;
    test_run_anywhere checks them against _config.yml). Anything else must read the config.
    """
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    assert url.startswith("https://github.com/")
    owner_repo = url.removeprefix("https://github.com/")
    install_cell = _install_cell_module()
    generated_cell = install_cell.cell_source(ROOT)
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True,
                           text=True).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if name in ("_config.yml", "pyproject.toml") or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if name.endswith(".ipynb"):
            nb = nbformat.reads(text, as_version=4)
            cells = [c for c in nb["cells"] if not install_cell.is_install_cell(c)]
            for c in nb["cells"]:
                if install_cell.is_install_cell(c):
                    src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                    assert src == generated_cell, f"{name}: install cell differs from the generated one"
            text = json.dumps([c["source"] for c in cells])
        if f"github.com/{owner_repo}" in text or f"github.com:{owner_repo}" in text:
            found.append(name)
    assert found == [], f"the repository URL is also written in {found}; read it from _config.yml"
