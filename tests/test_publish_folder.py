"""The publish folder is the website: build/ holds only what readers are served.

Executed and failed notebooks, records, the plan cache, manifests and the lock live in the
work folder .strategy-docs/ beside it. The index lists exactly the documents of the current
matrix: a pair taken out of the matrix is withdrawn (its files moved to .strategy-docs/withdrawn/).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from strategy_docs.cli.app import main
from strategy_docs.build.publish import remove_legacy_working_files, write_manifest_and_index
from strategy_docs.inputs.workspace import Workspace

from .conftest import copy_workspace, edit_yaml

SERVED = {".html", ".pdf", ".docx", ".xlsx", ".csv", ".css", ".js", ".svg", ".png"}


def run(ws: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--workspace", str(ws)], catch_exceptions=False)


def published(ws: Path) -> list[str]:
    return sorted(p.relative_to(ws / "build").as_posix() for p in (ws / "build").rglob("*") if p.is_file())


@pytest.mark.slow
def test_build_folder_holds_only_what_is_served_and_follows_the_matrix(tmp_path):
    ws = copy_workspace(tmp_path / "ws", authorities=["northshire"])
    edit_yaml(ws / "params" / "project.yaml", lambda d: d["matrix"].update(client_groups=["carers", "mental-health"]))
    result = run(ws, "build", "--format", "html", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert published(ws) == ["2026-27/northshire/carers.html", "2026-27/northshire/mental-health.html", "index.html"]
    everything = [p for p in (ws / "build").rglob("*")]
    assert not [p for p in everything if p.suffix in (".ipynb", ".json", ".lock") or p.name.startswith(".")]
    work = ws / ".strategy-docs"
    assert sorted(p.name for p in (work / "notebooks" / "2026-27" / "northshire" / "carers").glob("*.ipynb"))[0] \
        == "01-context.ipynb"
    assert (work / "records" / "2026-27" / "northshire" / "carers.json").is_file() and (work / "build.lock").exists()

    # Take mental-health out of the matrix: the next build withdraws it from the site and the index.
    edit_yaml(ws / "params" / "project.yaml", lambda d: d["matrix"].update(client_groups=["carers"]))
    again = run(ws, "build", "--format", "html", "--jobs", "1")
    assert again.exit_code == 0, again.output
    assert "1 up to date" in again.output and "of 1 document " in again.output
    assert published(ws) == ["2026-27/northshire/carers.html", "index.html"]
    index = (ws / "build" / "index.html").read_text(encoding="utf-8")
    assert "carers.html" in index and "mental-health" not in index
    assert (work / "withdrawn" / "2026-27" / "northshire" / "mental-health.html").is_file()
    assert not (work / "records" / "2026-27" / "northshire" / "mental-health.json").exists()
    assert not (work / "notebooks" / "2026-27" / "northshire" / "mental-health").exists()


def _fake_record(ws: Workspace, authority: str, group: str) -> None:
    """A record and its published HTML, as a build leaves them (no notebook needs to run)."""
    html = ws.build / "2026-27" / authority / f"{group}.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(f"<html>{authority} {group}</html>")
    record = {"edition": "2026-27", "authority": authority, "client_group": group, "built_at": "2026-04-01",
              "executed_at": "2026-04-01", "inputs": {}, "exec_key": "e", "render_key": "r",
              "files": {"html": {"path": f"2026-27/{authority}/{group}.html", "bytes": html.stat().st_size}},
              "meta": {"title": f"{authority} {group} strategy"}}
    path = ws.work / "records" / "2026-27" / authority / f"{group}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def test_a_pair_out_of_the_matrix_is_withdrawn_from_the_site(tmp_path):
    ws = Workspace(tmp_path)
    _fake_record(ws, "northshire", "carers")
    _fake_record(ws, "glanmor", "carers")
    entries = write_manifest_and_index(ws, "Test project", matrix={("northshire", "carers")})
    assert [(e["authority_id"], e["client_group_id"]) for e in entries] == [("northshire", "carers")]
    assert published(tmp_path) == ["2026-27/northshire/carers.html", "index.html"]  # glanmor/ folder gone too
    assert (ws.work / "withdrawn" / "2026-27" / "glanmor" / "carers.html").read_text() == "<html>glanmor carers</html>"
    assert json.loads((ws.work / "manifests" / "2026-27.json").read_text())["documents"][0]["authority"] == "northshire"


def test_working_files_left_in_build_by_earlier_versions_are_removed(tmp_path):
    ws = Workspace(tmp_path)
    for legacy in (".state/records", "failed/2026-27/northshire/carers", "2026-27/northshire/carers/notebooks"):
        (ws.build / legacy).mkdir(parents=True)
        (ws.build / legacy / "x.ipynb").write_text("{}")
    (ws.build / "2026-27" / "northshire" / "carers.html").write_text("<html></html>")
    (ws.build / "prepared" / "northshire" / "carers").mkdir(parents=True)
    (ws.build / "prepared" / "northshire" / "carers" / "03-needs.ipynb").write_text("analyst's edits")
    (ws.build / ".git").mkdir()  # someone publishes build/ with git: not ours, left alone
    remove_legacy_working_files(ws)
    assert published(tmp_path) == ["2026-27/northshire/carers.html"]
    assert (ws.build / ".git").is_dir()
    # Prepared notebooks may hold an analyst's work: moved beside build/, not deleted.
    assert (ws.root / "prepared" / "northshire" / "carers" / "03-needs.ipynb").read_text() == "analyst's edits"
