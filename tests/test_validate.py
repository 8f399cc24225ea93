"""`strategy-docs validate`: params and data checked together, nothing executed."""

from __future__ import annotations

from click.testing import CliRunner

from strategy_docs.cli.app import main

from .conftest import edit_yaml


def test_stated_budget_total_that_disagrees_with_the_lines_is_an_error(workspace):
    path = workspace / "params" / "strategies" / "northshire" / "carers.yaml"
    group = {}

    def change(data):
        totals = data["budget_totals"]["groups"]
        name = next(iter(totals))
        group["name"], group["stated"] = name, totals[name]
        totals[name] = totals[name] + 1000

    edit_yaml(path, change)
    result = CliRunner().invoke(main, ["validate", "--workspace", str(workspace)])
    assert result.exit_code == 2, result.output
    assert "params/strategies/northshire/carers.yaml" in result.output
    assert f"budget_totals.groups.{group['name']}" in result.output
    assert f"{group['stated'] + 1000:,.0f}" in result.output.replace("£", "")
    assert not (workspace / "build" / "2026-27").exists()


def test_valid_workspace_reports_counts(workspace):
    result = CliRunner().invoke(main, ["validate", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    assert "Valid: 16 documents, 4 authorities, 5 client groups" in result.output


def test_unknown_authority_filter_is_a_usage_error(workspace):
    result = CliRunner().invoke(main, ["build", "-a", "atlantis", "--workspace", str(workspace)])
    assert result.exit_code == 2
    assert "'atlantis' is not an authority in the build matrix" in result.output


# ---------------------------------------------------------------- issue 15: what validate catches first


def _cli(workspace):
    return CliRunner().invoke(main, ["validate", "--workspace", str(workspace)])


def test_a_total_row_in_the_budget_exits_2_naming_file_row_and_fix(workspace):
    path = workspace / "data" / "northshire" / "budget.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append("2026/27,carers,Income,Total,5806000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _cli(workspace)
    assert result.exit_code == 2, result.output
    assert f"data/northshire/budget.csv, line {len(lines)}, field 'line'" in result.output
    assert "Fix: remove the row; totals are computed" in result.output


def test_a_yml_beside_a_yaml_exits_2_naming_both(workspace):
    folder = workspace / "params" / "authorities"
    (folder / "northshire.yml").write_bytes((folder / "northshire.yaml").read_bytes())
    result = _cli(workspace)
    assert result.exit_code == 2, result.output
    assert "params/authorities/northshire.yaml: has a twin, params/authorities/northshire.yml" in result.output


def test_ten_thousand_intentions_are_not_taken_for_an_alias_bomb(tmp_path):
    from strategy_docs.inputs.yamlio import read_yaml

    items = "".join(f"  - {{id: I{i}, theme: T1, title: Intention {i}, details: d, drivers: [x], type: new,"
                    f" cycle: {{current: Plan, expected: Do}}, activity: a, owner: o, timescale: t}}\n" for i in range(10_000))
    path = tmp_path / "big.yaml"
    path.write_text("intentions:\n" + items, encoding="utf-8")
    data, lines, found = read_yaml(path, "big.yaml")
    assert found == [] and len(data["intentions"]) == 10_000
    assert lines.line_for(("intentions", 9_999, "title")) == 10_001


def test_an_alias_bomb_is_still_refused(tmp_path):
    from strategy_docs.inputs.yamlio import read_yaml

    text = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        text += f"{level}: &{level} [" + ",".join([f"*{previous}"] * 10) + "]\n"
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    data, _, [problem] = read_yaml(path, "bomb.yaml")
    assert data is None and "anchors and aliases" in problem.message


def test_yaml_text_control_characters(tmp_path):
    from strategy_docs.inputs.yamlio import read_yaml

    path = tmp_path / "p.yaml"
    path.write_text('a: "one\\vtwo\\fthree"\nb:\n  - "bad\\0here"\nc: .nan\n', encoding="utf-8")
    data, _, found = read_yaml(path, "p.yaml")
    assert data["a"] == "one\ntwo\nthree"
    by_field = {p.field: p for p in found}
    assert set(by_field) == {"b[0]", "c"}
    assert by_field["b[0]"].line == 3 and "U+0000 at position 4" in by_field["b[0]"].message
    assert by_field["c"].line == 4 and "nan" in by_field["c"].message


def test_docx_properties_are_fitted_to_words_255_characters():
    import io

    import nbformat
    from docx import Document

    from strategy_docs.outputs import docx as docx_export, html as render

    title = "A" * 281
    meta = {"title": title, "authority_name": "Northshire", "client_group_name": "Older people", "edition_label": "2026/27",
            "status": "draft", "publication_date": "2026-04-01", "author": "B" * 300, "owner": "C"}
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("## Context\n\nText."))
    document = Document(io.BytesIO(docx_export.render_docx(render.assemble([nb]), meta)))
    assert document.core_properties.title == "A" * 254 + "\u2026"
    assert len(document.core_properties.author) == 255


def test_bidi_overrides_do_not_reach_html():
    from strategy_docs.sections.markup import markdown_to_html

    html = markdown_to_html("Budget \u202e000,1\u202c and \u2067isolate\u2069 end")
    assert "\u202e" not in html and "\u2067" not in html and "000,1" in html


# ---------------------------------------------------------------- import-registers: one pass, deletions said


def _column(sheet, heading: str) -> int:
    return [c.value for c in sheet[1] if c.value is not None].index(heading) + 1


def test_import_registers_reports_row_and_cross_check_problems_in_one_pass(workspace, tmp_path):
    import openpyxl
    import pytest

    from strategy_docs.annual import registers
    from strategy_docs.errors import ParamsError

    book = registers.export_registers(workspace, "northshire", "carers", tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)
    intentions = wb["Intentions"]
    intentions.cell(row=2, column=_column(intentions, "Type")).value = "buy"  # the row itself is invalid
    intentions.cell(row=3, column=_column(intentions, "Current stage")).value = "Dreaming"  # a cross-check
    intentions.cell(row=4, column=_column(intentions, "Theme")).value = "no-such-theme"  # a cross-check
    wb.save(book)
    with pytest.raises(ParamsError) as info:
        registers.import_registers(workspace, book, "northshire", "carers")
    where = {(p.file, p.line, p.field) for p in info.value.problems}
    assert {("Intentions", 2, "Type"), ("Intentions", 3, "Current stage"), ("Intentions", 4, "Theme")} <= where


def test_import_registers_says_what_a_deleted_row_removes(workspace, tmp_path):
    import openpyxl

    from strategy_docs.annual import registers

    book = registers.export_registers(workspace, "northshire", "carers", tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)
    risks = wb["Risks"]
    risk_id = risks.cell(row=3, column=1).value
    risks.delete_rows(3)
    wb.save(book)
    result = registers.import_registers(workspace, book, "northshire", "carers")
    [warning] = [w for w in result.warnings if "removes" in w.message]
    assert f"the risk {risk_id}" in warning.message and "params/strategies/northshire/carers.yaml" in warning.message
    assert result.changed == ["risks"]
