"""cli_annual.py: new-edition, diff, export-registers and import-registers from the command line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from strategy_docs.cli import app as cli, annual as cli_annual  # noqa: F401 - importing registers the commands
from strategy_docs.inputs.params import load_params


def _run(*args: str):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def test_commands_are_registered():
    for name in ("new-edition", "diff", "export-registers", "import-registers"):
        assert name in cli.main.commands
        assert _run(name, "--help").exit_code == 0


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_the_annual_cycle_from_the_command_line(workspace, tmp_path):
    ws = str(workspace)
    params = load_params(workspace)
    (authority, group) = sorted(params.strategies)[0]
    project = workspace / "params" / "project.yaml"
    data = yaml.safe_load(project.read_text())
    data["matrix"].update(authorities=[authority], client_groups=[group])  # one document keeps it quick
    project.write_text(yaml.safe_dump(data, sort_keys=False))
    old = params.project.edition

    result = _run("new-edition", "-w", ws, "--date", "2027-02-15")
    assert result.exit_code == 0, result.output
    assert f"Archived the {old.slug} edition" in result.output
    assert "Rolled forward to the" in result.output
    rolled = load_params(workspace)
    assert rolled.project.edition.start_year == old.start_year + 1
    assert rolled.project.previous_edition == old.slug

    book = tmp_path / "registers.xlsx"
    result = _run("export-registers", authority, group, "-w", ws, "--output", str(book))
    assert result.exit_code == 0, result.output
    assert book.is_file() and "import-registers" in result.output

    result = _run("import-registers", str(book), authority, group, "-w", ws)
    assert result.exit_code == 0, result.output
    assert "No changes" in result.output

    wb = openpyxl.load_workbook(book)
    risks = wb["Risks"]
    headings = [c.value for c in risks[1]]
    risks.cell(row=2, column=headings.index("Residual likelihood") + 1).value = 5
    risks.cell(row=2, column=headings.index("Residual impact") + 1).value = 5
    wb.save(book)
    result = _run("import-registers", str(book), authority, group, "-w", ws)
    assert result.exit_code == 0, result.output
    assert "Updated risks" in result.output

    report = tmp_path / "diff.html"
    result = _run("diff", "-w", ws, "--output", str(report))
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert rolled.strategies[(authority, group)].risks[0].id in html
    assert "Score up" in html or rolled.strategies[(authority, group)].risks[0].residual.score == 25

    result = _run("diff", "-w", ws)
    assert result.exit_code == 0, result.output
    default = workspace / "build" / f"diff-{old.slug}-to-{rolled.project.edition.slug}.html"
    assert default.is_file()


def test_bad_workbook_exits_2_with_every_problem(workspace, tmp_path):
    ws = str(workspace)
    authority, group = sorted(load_params(workspace).strategies)[0]
    book = tmp_path / "r.xlsx"
    assert _run("export-registers", authority, group, "-w", ws, "-o", str(book)).exit_code == 0
    wb = openpyxl.load_workbook(book)
    risks = wb["Risks"]
    headings = [c.value for c in risks[1]]
    risks.cell(row=2, column=headings.index("Residual likelihood") + 1).value = "very likely"
    risks.cell(row=3, column=headings.index("Inherent impact") + 1).value = 9
    wb.save(book)
    path = workspace / "params" / "strategies" / authority / f"{group}.yaml"
    before = path.read_bytes()
    result = CliRunner().invoke(cli.main, ["import-registers", str(book), authority, group, "-w", ws])
    assert result.exit_code == 2
    assert "2 problems found" in result.output
    assert "Risks, line 2, field 'Residual likelihood'" in result.output
    assert "Risks, line 3, field 'Inherent impact'" in result.output
    assert path.read_bytes() == before


def test_diff_without_previous_edition_and_unknown_document(workspace):
    result = CliRunner().invoke(cli.main, ["diff", "-w", str(workspace)])
    assert result.exit_code == 2 and "previous_edition" in result.output
    result = CliRunner().invoke(cli.main, ["export-registers", "nowhere", "nobody", "-w", str(workspace)])
    assert result.exit_code == 2 and "not in the build matrix" in result.output


def test_new_edition_twice_on_the_same_archive_is_refused(workspace):
    slug = load_params(workspace).project.edition.slug
    (Path(workspace) / "params" / "editions" / slug).mkdir(parents=True)
    result = CliRunner().invoke(cli.main, ["new-edition", "-w", str(workspace)])
    assert result.exit_code == 2 and "already archived" in result.output
