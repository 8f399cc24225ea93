"""Command-line habits, and the commands that make workspaces and files: init, init --empty, new."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from strategy_docs.cli.app import main, plural
from strategy_docs.errors import WorkspaceError
from strategy_docs.inputs.params import load_params
from strategy_docs.inputs.workspace import find_workspace, locate_workspace

from .conftest import copy_workspace, edit_yaml

STRATEGY = "params/strategies/northshire/older-people.yaml"


def invoke(*args: str, cwd: Path | None = None, monkeypatch=None):
    if cwd is not None and monkeypatch is not None:
        monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def warned(tmp_path):
    """The example with one warning: a residual risk score above its inherent score."""
    ws = copy_workspace(tmp_path / "ws", authorities=["northshire"])
    edit_yaml(ws / STRATEGY, lambda d: d["risks"][0].update(inherent={"likelihood": 1, "impact": 1},
                                                            residual={"likelihood": 2, "impact": 2}))
    return ws


# ---------------------------------------------------------------- habits


def test_plural():
    assert plural(1, "document") == "1 document" and plural(2, "document") == "2 documents"
    assert plural(1, "authority", "authorities") == "1 authority" and plural(0, "authority", "authorities") == "0 authorities"


def test_one_document_is_singular_and_strict_passes_clean_input(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    result = invoke("validate", "--strict", "-w", str(ws), "-a", "northshire", "-c", "carers")
    assert result.exit_code == 0, result.output
    assert "Valid: 1 document, 4 authorities, 5 client groups (0 warnings)" in result.output


def test_quiet_and_verbose_go_before_or_after_the_command(warned):
    loud = invoke("validate", "-w", str(warned))
    assert loud.exit_code == 0 and "warning: " + STRATEGY in loud.output
    for args in (("-q", "validate", "-w", str(warned)), ("validate", "-q", "-w", str(warned))):
        quiet = invoke(*args)
        assert quiet.exit_code == 0, quiet.output
        assert "warning: " not in quiet.output  # the warning itself is detail...
        assert "Valid: 5 documents" in quiet.output and "(1 warning; --strict would fail on them)" in quiet.output
    # -v before and -q after cancel out.
    assert "warning: " + STRATEGY in invoke("-v", "validate", "-q", "-w", str(warned)).output


def test_strict_validate_fails_on_warnings(warned):
    result = invoke("validate", "--strict", "-w", str(warned))
    assert result.exit_code == 2
    assert "--strict: 1 warning counted as failures. Nothing was built." in result.output
    assert f"{STRATEGY}, line " in result.output and "field 'risks[R1].residual'" in result.output


def test_strict_build_fails_on_warnings_before_building(warned):
    result = invoke("build", "--strict", "--format", "html", "-w", str(warned))
    assert result.exit_code == 2, result.output
    assert "--strict: 1 warning counted as failures" in result.output
    assert not (warned / "build").exists() and not (warned / ".strategy-docs" / "work").exists()



# ---------------------------------------------------------------- finding the workspace


def test_no_workspace_names_the_folders_searched(tmp_path, monkeypatch):
    monkeypatch.delenv("STRATEGY_DOCS_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkspaceError) as caught:
        find_workspace()
    message = str(caught.value)
    assert str(tmp_path.resolve()) in message and "$STRATEGY_DOCS_WORKSPACE (not set)" in message


def test_a_notebook_finds_its_workspace_upwards_then_from_the_environment(tmp_path, monkeypatch):
    ws = copy_workspace(tmp_path / "ws")
    (ws / "notebooks" / "scratch").mkdir()
    monkeypatch.delenv("STRATEGY_DOCS_WORKSPACE", raising=False)
    monkeypatch.chdir(ws / "notebooks" / "scratch")
    assert locate_workspace(None) == ws.resolve()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("STRATEGY_DOCS_WORKSPACE", str(ws))
    assert locate_workspace(None) == ws.resolve()
    assert locate_workspace(str(ws)) == ws.resolve()  # the parameter, when set, wins
    with pytest.raises(WorkspaceError, match="has no params/project.yaml"):
        locate_workspace(str(elsewhere))  # set but wrong: said, not silently replaced


# ---------------------------------------------------------------- init


def test_init_works_outside_any_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("STRATEGY_DOCS_WORKSPACE", raising=False)
    result = invoke("init", "team", cwd=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert "Next: cd team && strategy-docs build" in result.output
    project = yaml.safe_load((tmp_path / "team" / "params" / "project.yaml").read_text())
    assert project["synthetic_data"] is True  # it carries the example's synthetic data, so it says so
    assert project["matrix"]["authorities"] == ["eastbridge"]
    assert "# Example workspace" in (tmp_path / "team" / "params" / "project.yaml").read_text()  # comments kept
    params = load_params(tmp_path / "team")
    assert len(params.pairs()) == 5
    assert ".strategy-docs/" in (tmp_path / "team" / ".gitignore").read_text()


def test_init_refuses_a_used_folder_and_leaves_it_alone(tmp_path, monkeypatch):
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "notes.txt").write_text("mine")
    result = invoke("init", "team", cwd=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "not empty" in result.output
    assert [p.name for p in (tmp_path / "team").iterdir()] == ["notes.txt"]


def test_empty_workspace_says_what_to_add_next_at_each_step(tmp_path, monkeypatch):
    monkeypatch.delenv("STRATEGY_DOCS_WORKSPACE", raising=False)
    result = invoke("init", "--empty", "fresh", cwd=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert "Next: cd fresh && strategy-docs new authority ID" in result.output
    ws = tmp_path / "fresh"
    project_text = (ws / "params" / "project.yaml").read_text()
    project = yaml.safe_load(project_text)
    assert "synthetic_data" not in project and "example" not in project["name"].lower()
    monkeypatch.chdir(ws)

    for command in ("validate", "build"):
        first = invoke(command)
        assert first.exit_code == 2, first.output
        assert "params/authorities/: has no authority files. Fix: run 'strategy-docs new authority ID'" in first.output

    added = invoke("new", "authority", "westmoor")
    assert added.exit_code == 0, added.output
    assert "'strategy-docs new strategy westmoor CLIENT_GROUP'" in added.output
    second = invoke("validate")
    assert second.exit_code == 2
    assert "the matrix has no documents to build yet. Fix: add a strategy with " \
           "'strategy-docs new strategy westmoor CLIENT_GROUP'" in second.output

    started = time.perf_counter()
    assert invoke("new", "strategy", "westmoor", "carers").exit_code == 0
    assert time.perf_counter() - started < 2  # the round-trip YAML edit is not slow
    third = invoke("validate", "-v")
    # Every file is now valid. Data tables are optional: without them the sections that need
    # them are left out, and validate says which, as notes rather than failures.
    assert third.exit_code == 0, third.output
    assert "Valid: 1 document, 1 authority" in third.output
    assert "note:" in third.output and "is missing" not in third.output
    params = load_params(ws)
    assert params.pairs() == [("westmoor", "carers")]
    # Until they are written, the scaffolds' TO DO values are a warning (a failure with --strict).
    todo = {w.file for w in params.warnings if "'TO DO' value" in w.message}
    assert todo == {"params/authorities/westmoor.yaml", "params/strategies/westmoor/carers.yaml"}
    assert "# which documents to build" in (ws / "params" / "project.yaml").read_text()  # comments kept


def test_new_in_a_matrix_of_all_excludes_what_has_no_strategy_yet(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    assert invoke("new", "authority", "westmoor", "-w", str(ws)).exit_code == 0
    text = (ws / "params" / "authorities" / "westmoor.yaml").read_text()
    assert "# on the cover and in the index" in text  # each field says what it is for
    params = load_params(ws)
    assert not [p for p in params.pairs() if p[0] == "westmoor"]  # 'all' client groups, none written yet: excluded
    assert invoke("new", "strategy", "westmoor", "carers", "-w", str(ws)).exit_code == 0
    params = load_params(ws)
    assert [p for p in params.pairs() if p[0] == "westmoor"] == [("westmoor", "carers")]
    assert params.project.matrix.authorities == "all"
    assert "# Example workspace" in (ws / "params" / "project.yaml").read_text()


def test_new_refuses_bad_ids_and_existing_files(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    bad = invoke("new", "authority", "West Moor", "-w", str(ws))
    assert bad.exit_code == 2 and "lower-case letters, digits and hyphens" in bad.output
    again = invoke("new", "authority", "northshire", "-w", str(ws))
    assert again.exit_code == 2 and "already exists" in again.output
    unknown = invoke("new", "strategy", "northshire", "dementia", "-w", str(ws))
    assert unknown.exit_code == 2 and "use one of: carers," in unknown.output
