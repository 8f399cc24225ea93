"""The package carries everything it needs: a wheel installed with no checkout builds documents.

The slow test builds a real wheel from a copy of the source tree, installs it (no deps, no
index: the dependencies come from this test's own environment through a .pth file) into a
throw-away virtual environment, and runs `init` and `build` in a folder far from any checkout.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

SOURCE_PARTS = ("pyproject.toml", "README.md", "src", "notebooks", "templates", "params", "data")


def _copy_source(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for part in SOURCE_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info",
                                                                             ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, dest / part)
    return dest


def _build_wheel(tmp: Path) -> Path:
    source = _copy_source(tmp / "source")
    wheels = tmp / "wheels"
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w", str(wheels)]
    # With this environment's setuptools and wheel (no download); failing that, pip fetches the backend.
    done = subprocess.run([*base, "--no-index", "--no-build-isolation"], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        done = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = wheels.glob("strategy_docs-*.whl")
    return wheel


def _venv_with(wheel: Path, tmp: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    [purelib] = venv.glob("lib/python*/site-packages")
    # The dependencies, from this environment, after the venv's own packages (so the wheel wins).
    (purelib / "zz-test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "STRATEGY_DOCS_WORKSPACE")}
    # nbconvert's own templates are data files of the environment the dependencies came from.
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                         env.get("JUPYTER_PATH")]))
    return env


@pytest.mark.slow
def test_a_wheel_installed_anywhere_inits_and_builds(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("strategy_docs/_bundled/notebooks/01-context.ipynb",
                     "strategy_docs/_bundled/templates/strategy/index.html.j2",
                     "strategy_docs/_bundled/templates/strategy/static/strategy.css",
                     "strategy_docs/_bundled/templates/index/index.html.j2",
                     "strategy_docs/_bundled/templates/diff/report.html.j2",
                     "strategy_docs/_bundled/example/params/project.yaml",
                     "strategy_docs/_bundled/example/params/logos/northshire.svg",
                     "strategy_docs/_bundled/example/data/northshire/budget.csv",
                     "strategy_docs/scaffolds/strategy.yaml"):
        assert expected in names, expected
    venv = _venv_with(wheel, tmp_path)
    tool = str(venv / "bin" / "strategy-docs")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import strategy_docs; print(strategy_docs.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=_env(), check=True)
    assert where.stdout.startswith(str(venv)), where.stdout  # the wheel, not a checkout

    init = subprocess.run([tool, "init", "team"], capture_output=True, text=True, cwd=elsewhere, env=_env(), timeout=120)
    assert init.returncode == 0, init.stdout + init.stderr
    team = elsewhere / "team"
    assert not (team / "notebooks").exists() and not (team / "templates").exists()  # they come from the package
    build = subprocess.run([tool, "build", "-c", "carers", "-j", "1"], capture_output=True, text=True, cwd=team,
                           env=_env(), timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "1 built" in build.stdout and "of 1 document " in build.stdout
    published = sorted(p.relative_to(team / "build").as_posix() for p in (team / "build").rglob("*") if p.is_file())
    authority = next((team / "params" / "authorities").glob("*.yaml")).stem
    assert published == [f"2026-27/{authority}/carers.html", f"2026-27/{authority}/carers.pdf", "index.html"]
    assert "synthetic" in (team / "build" / "2026-27" / authority / "carers.html").read_text(encoding="utf-8").lower()

    empty = subprocess.run([tool, "init", "--empty", "fresh"], capture_output=True, text=True, cwd=elsewhere,
                           env=_env(), timeout=120)
    assert empty.returncode == 0, empty.stdout + empty.stderr
    first = subprocess.run([tool, "build"], capture_output=True, text=True, cwd=elsewhere / "fresh", env=_env(),
                           timeout=120)
    assert first.returncode == 2 and "Traceback" not in first.stderr, first.stderr
    assert "strategy-docs new authority ID" in first.stderr
