"""Sphinx extension: the "Run in the browser" (JupyterLite) site, built by the book build.

At the end of an HTML build (``build-finished``) it

1. builds a ``cnncourse`` wheel from this repository (:func:`build_wheel`: a pure-Python wheel
   written directly from ``pyproject.toml`` and the package files, offline, no build backend);
2. runs ``jupyter lite build`` (jupyterlite-core with the Pyodide kernel) into
   ``<html>/lite/``, with every chapter notebook under ``book/`` and the wheel in the site's
   ``pypi/`` index, so that a chapter's install cell (``%pip install cnncourse``) finds it;
3. logs how long that took and how large the site is.

It also sets the theme's ``launch_buttons.jupyterlite_url`` to an absolute URL derived from
``repository.url`` in ``_config.yml`` (sphinx-book-theme uses it verbatim, so a relative URL
would break on every page below the root) and renames the theme's "JupyterLite" launch button
to "Run in the browser".

Nothing here downloads anything: the JupyterLite app ships inside the jupyterlite-core wheel,
and the Pyodide runtime is fetched by the reader's browser from Pyodide's CDN when a notebook
starts.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

LITE_DIRNAME = "lite"          # the site lives at <html>/lite/
LITE_APP = "notebooks/index.html"  # the single-notebook interface of JupyterLite
BUTTON_TEXT = "Run in the browser"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same wheel


# --------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------
def pages_url(repository_url: str) -> str:
    """The GitHub Pages address of a GitHub repository, with a trailing slash.

    >>> pages_url("https://github.com/someone/some-book")
    'https://someone.github.io/some-book/'
    """
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repository_url.strip())
    if m is None:
        raise ValueError(f"pages_url: repository_url must be https://github.com/<owner>/<repo>, "
                         f"got {repository_url!r}")
    owner, repo = m.groups()
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{repo}/"


def jupyterlite_url(repository_url: str) -> str:
    """The absolute URL of the lite site's notebook app (the theme appends ``?path=...``)."""
    return pages_url(repository_url) + f"{LITE_DIRNAME}/{LITE_APP}"


def _set_launch_url(app: Sphinx, config) -> None:
    options = config.html_theme_options
    repo = options.get("repository_url") or ""
    if not repo:
        raise ExtensionError("cnncourse_lite: repository.url is not set in _config.yml")
    launch = options.setdefault("launch_buttons", {})
    launch["jupyterlite_url"] = jupyterlite_url(repo)


def _rename_button(app, pagename, templatename, context, doctree) -> None:
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if button.get("text") == "JupyterLite":
                button["text"] = BUTTON_TEXT
                button["tooltip"] = "Run this notebook in your browser (JupyterLite): nothing to install"


# --------------------------------------------------------------------------------------------
# The wheel
# --------------------------------------------------------------------------------------------
def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _metadata(project: dict, readme: str) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
    ]
    if "license" in project and isinstance(project["license"], str):
        lines.append(f"License: {project['license']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    for label, url in project.get("urls", {}).items():
        lines.append(f"Project-URL: {label}, {url}")
    for req in project.get("dependencies", []):
        lines.append(f"Requires-Dist: {req}")
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for req in reqs:
            spec, _, marker = req.partition(";")
            marker = f"({marker.strip()}) and " if marker.strip() else ""
            lines.append(f'Requires-Dist: {spec.strip()}; {marker}extra == "{extra}"')
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + readme


def build_wheel(root: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` for the project at ``root`` into ``dest``.

    The package is pure Python, so a wheel is a zip of its files plus ``.dist-info``
    (METADATA from ``pyproject.toml``, WHEEL, RECORD with sha256 hashes). Every file under the
    package folder goes in, except caches. Returns the wheel's path.
    """
    root, dest = Path(root), Path(dest)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    name, version = project["name"], project["version"]
    readme = project.get("readme")
    readme_text = (root / readme).read_text(encoding="utf-8") if isinstance(readme, str) else ""
    package_dir = root / name
    if not (package_dir / "__init__.py").is_file():
        raise ValueError(f"build_wheel: no package folder {package_dir}")
    files = sorted(
        p for p in package_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    dist_info = f"{name}-{version}.dist-info"
    entries = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in files]
    entries += [
        (f"{dist_info}/METADATA", _metadata(project, readme_text).encode()),
        (f"{dist_info}/WHEEL", (
            "Wheel-Version: 1.0\nGenerator: cnncourse book/_ext/cnncourse_lite.py\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n").encode()),
        (f"{dist_info}/top_level.txt", f"{name}\n".encode()),
    ]
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in entries)
    record += f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))

    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    wheel.write_bytes(buffer.getvalue())
    return wheel


# --------------------------------------------------------------------------------------------
# The lite site
# --------------------------------------------------------------------------------------------
def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_lite(root: Path, html_dir: Path, work_dir: Path, notebooks: list[Path]) -> dict:
    """Build the JupyterLite site into ``html_dir / 'lite'``; return what it took."""
    start = time.perf_counter()
    lite_dir = work_dir / "lite-dir"
    contents = work_dir / "contents"
    for folder in (lite_dir / "pypi", contents):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    wheel = build_wheel(root, lite_dir / "pypi")
    for nb in notebooks:  # keep the repository's layout: book/<chapter>.ipynb
        target = contents / nb.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, target)
    output = html_dir / LITE_DIRNAME
    shutil.rmtree(output, ignore_errors=True)
    command = [
        sys.executable, "-m", "jupyterlite_core", "build",
        "--lite-dir", str(lite_dir),
        "--output-dir", str(output),
        "--contents", str(contents),
        "--no-sourcemaps",
        "--no-unused-shared-packages",
    ]
    proc = subprocess.run(command, cwd=lite_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise ExtensionError(f"cnncourse_lite: `jupyter lite build` failed ({proc.returncode}):\n{tail}")
    served = output / "pypi" / wheel.name
    if not served.is_file():
        raise ExtensionError(f"cnncourse_lite: the lite site does not serve {wheel.name}")
    missing = [nb.name for nb in notebooks if not (output / "files" / nb.relative_to(root)).is_file()]
    if missing:
        raise ExtensionError(f"cnncourse_lite: the lite site lacks {missing}")
    info = {
        "seconds": round(time.perf_counter() - start, 1),
        "megabytes": round(_tree_size(output) / 1e6, 1),
        "wheel": wheel.name,
        "notebooks": [nb.relative_to(root).as_posix() for nb in notebooks],
    }
    (work_dir / "lite-build.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def _chapter_notebooks(app: Sphinx, root: Path) -> list[Path]:
    found = []
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        if path.suffix == ".ipynb":
            found.append(path.resolve())
    return [p for p in found if root in p.parents]


def _build_finished(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir).resolve()
    html_dir = Path(app.outdir)
    work_dir = html_dir.parent / "jupyterlite"
    notebooks = _chapter_notebooks(app, root)
    if not notebooks:
        raise ExtensionError("cnncourse_lite: no chapter notebooks found")
    logger.info("cnncourse_lite: building the JupyterLite site (%d notebooks)...", len(notebooks))
    info = build_lite(root, html_dir, work_dir, notebooks)
    logger.info("cnncourse_lite: lite site built in %.1f s, %.1f MB, serving %s",
                info["seconds"], info["megabytes"], info["wheel"])


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _set_launch_url)
    # after sphinx-book-theme's add_launch_buttons (priority 500)
    app.connect("html-page-context", _rename_button, priority=900)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
