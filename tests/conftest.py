"""Shared fixtures: a private copy of the bundled example workspace for each test that edits it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

# The example-data generator lives with the other example tools in scripts/, outside the package.
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

REPO = Path(__file__).resolve().parents[1]


def copy_workspace(dest: Path, authorities: list[str] | None = None) -> Path:
    for folder in ("params", "data", "notebooks", "templates"):
        shutil.copytree(REPO / folder, dest / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    if authorities is not None:
        project_file = dest / "params" / "project.yaml"
        project = yaml.safe_load(project_file.read_text())
        project.setdefault("matrix", {})["authorities"] = authorities
        project_file.write_text(yaml.safe_dump(project, sort_keys=False))
    return dest


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A writable copy of the example workspace (params, data, notebooks, templates)."""
    return copy_workspace(tmp_path / "ws")


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def first_authority(ws: Path) -> str:
    return sorted(p.stem for p in (ws / "params" / "authorities").glob("*.yaml"))[0]


def first_pair(ws: Path) -> tuple[str, str]:
    authority = first_authority(ws)
    group = sorted(p.stem for p in (ws / "params" / "strategies" / authority).glob("*.yaml"))[0]
    return authority, group


def build_example(folder: Path, fmt: str) -> tuple[Path, str]:
    """A copy of the whole bundled example in `folder`, built in one format as a user would
    (`strategy-docs build --format <fmt> --jobs 2`): the workspace and what the build printed."""
    from click.testing import CliRunner

    from strategy_docs.cli.app import main

    ws = copy_workspace(folder / "ws")
    result = CliRunner().invoke(main, ["build", "--format", fmt, "--jobs", "2", "--workspace", str(ws)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return ws, result.output


@pytest.fixture(scope="session")
def example_build(tmp_path_factory):
    """The whole bundled example (21 documents with the Welsh versions), built once per session (HTML)."""
    return build_example(tmp_path_factory.mktemp("example"), "html")
