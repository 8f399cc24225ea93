"""Helpers shared by the robustness, publishing-safety and security tests.

The example workspace is being completed by other engineers, so these tests prune their private
copy to the one document that is known to be complete (northshire / older-people) and, where two
documents are needed, clone that authority under another slug (same params, same data).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import REPO, edit_yaml

AUTHORITY = "northshire"
GROUP = "older-people"
EDITION = "2026-27"


def prune(ws: Path, clones: tuple[str, ...] = ()) -> Path:
    """Build only northshire / older-people; add `clones` as copies of northshire (same params and data).

    Every client-group file stays (the data tables name all of them); the matrix selects one.
    """
    params = ws / "params"
    for path in (params / "authorities").glob("*.yaml"):
        if path.stem != AUTHORITY:
            path.unlink()
    for folder in (params / "strategies").iterdir():
        if folder.name != AUTHORITY:
            shutil.rmtree(folder)
    for path in (params / "strategies" / AUTHORITY).glob("*.yaml"):
        if path.stem != GROUP:
            path.unlink()
    for folder in (ws / "data").iterdir():
        if folder.is_dir() and folder.name != AUTHORITY:
            shutil.rmtree(folder)
    for clone in clones:
        shutil.copy(params / "authorities" / f"{AUTHORITY}.yaml", params / "authorities" / f"{clone}.yaml")
        shutil.copytree(params / "strategies" / AUTHORITY, params / "strategies" / clone)
        shutil.copytree(ws / "data" / AUTHORITY, ws / "data" / clone)
    edit_yaml(params / "project.yaml", lambda d: d.update(matrix={"authorities": "all", "client_groups": [GROUP], "exclude": []}))
    return ws


def strategy_file(ws: Path, authority: str = AUTHORITY, group: str = GROUP) -> Path:
    return ws / "params" / "strategies" / authority / f"{group}.yaml"


def published(ws: Path, authority: str = AUTHORITY, group: str = GROUP, fmt: str = "html") -> Path:
    return ws / "build" / EDITION / authority / f"{group}.{fmt}"


def cli_env() -> dict[str, str]:
    src = str(REPO / "src")
    env = dict(os.environ)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("COLUMNS", None)
    return env


def cli(ws: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m strategy_docs ARGS --workspace WS` in a subprocess, as a user would (`env`: extra variables)."""
    return subprocess.run([sys.executable, "-m", "strategy_docs", *args, "--workspace", str(ws)], cwd=ws,
                          capture_output=True, text=True, timeout=timeout, env=cli_env() | (env or {}))


def start_cli(ws: Path, *args: str) -> subprocess.Popen:
    """Start a build in its own process group (so a test can signal it like a terminal would)."""
    return subprocess.Popen([sys.executable, "-m", "strategy_docs", *args, "--workspace", str(ws)], cwd=ws,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(),
                            start_new_session=True)


def snapshot(ws: Path) -> dict[str, bytes]:
    """Every file under build/ except the private build state."""
    build = ws / "build"
    if not build.exists():
        return {}
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in sorted(build.rglob("*"))
            if p.is_file() and ".state" not in p.relative_to(build).parts}


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))
