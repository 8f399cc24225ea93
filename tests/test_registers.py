"""registers.py: the Excel round trip of risks, intentions, indicators and hypotheses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import yaml

from strategy_docs.annual import registers
from strategy_docs.errors import ParamsError
from strategy_docs.inputs.params import load_params

try:
    from tests.conftest import first_pair
except ImportError:  # tests/ is on sys.path, not a package
    from conftest import first_pair

REGISTER_KEYS = ("risks", "intentions", "indicators", "hypotheses")


def _pair(ws: Path) -> tuple[str, str]:
    return first_pair(ws)


def _yaml_path(ws: Path, authority: str, group: str) -> Path:
    return ws / "params" / "strategies" / authority / f"{group}.yaml"


def _headings(sheet) -> list[str]:
    return [c.value for c in sheet[1] if c.value is not None]


def _column(sheet, heading: str) -> int:
    return _headings(sheet).index(heading) + 1


def _outside_registers(text: str) -> list[str]:
    """The file's text with the four register blocks cut out (what must stay byte for byte)."""
    root = yaml.compose(text)
    lines = text.splitlines(keepends=True)
    starts = [sum(len(line) for line in lines[:n]) for n in range(len(lines) + 1)]
    spans = []
    for key_node, value_node in root.value:
        if key_node.value in REGISTER_KEYS:
            first = key_node.start_mark.line
            last = value_node.end_mark.line  # blank lines and comments after the register are not part of it
            while last > first and (not lines[last - 1].strip() or lines[last - 1].lstrip().startswith("#")):
                last -= 1
            spans.append((starts[first], starts[last]))
    out, last = [], 0
    for start, end in sorted(spans):
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return out


# --- the untouched round trip ---------------------------------------------------------------

@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_untouched_export_imports_back_identically(workspace, tmp_path):
    """Every example strategy: export, import unchanged, identical params and identical file."""
    params = load_params(workspace)
    assert params.strategies
    for (authority, group), strategy in sorted(params.strategies.items()):
        path = _yaml_path(workspace, authority, group)
        text = path.read_bytes()
        book = registers.export_registers(workspace, authority, group, tmp_path / f"{authority}-{group}.xlsx",
                                          params=params)
        result = registers.import_registers(workspace, book, authority, group, params=params)
        assert result.changed == [], (authority, group)
        assert path.read_bytes() == text, (authority, group)
        assert result.counts == {key: len(getattr(strategy, key)) for key in REGISTER_KEYS}
    after = load_params(workspace)
    for key, strategy in params.strategies.items():
        assert after.strategies[key].model_dump() == strategy.model_dump(), key


def test_round_trip_through_excel_style_values(workspace, tmp_path):
    """Values as Excel gives them back (numbers typed into text cells, dates as datetimes)."""
    authority, group = _pair(workspace)
    params = load_params(workspace)
    before = params.strategies[(authority, group)].model_dump()
    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx", params=params)
    wb = openpyxl.load_workbook(book)
    sheet = wb["Risks"]
    col = _column(sheet, "Review date")
    for row in range(2, sheet.max_row + 1):
        value = sheet.cell(row=row, column=col).value
        if isinstance(value, dt.datetime):
            sheet.cell(row=row, column=col).value = value.strftime("%d/%m/%Y")  # typed as text, UK style
    sheet = wb["Indicators"]
    col = _column(sheet, "Target")
    for row in range(2, sheet.max_row + 1):
        value = sheet.cell(row=row, column=col).value
        if value is not None:
            sheet.cell(row=row, column=col).value = f"{value}"  # a number stored as text
    wb.save(book)
    registers.import_registers(workspace, book, authority, group)
    assert load_params(workspace).strategies[(authority, group)].model_dump() == before


# --- the workbook -------------------------------------------------------------------------

def test_workbook_layout_and_formatting(workspace, tmp_path):
    authority, group = _pair(workspace)
    params = load_params(workspace)
    strategy = params.strategies[(authority, group)]
    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:5] == ["Read me", "Risks", "Intentions", "Indicators", "Hypotheses"]
    assert wb["Lists"].sheet_state == "hidden"
    assert wb.properties.identifier == f"strategy-docs registers:{authority}/{group}"
    for name, key in (("Risks", "risks"), ("Intentions", "intentions"), ("Indicators", "indicators"),
                      ("Hypotheses", "hypotheses")):
        sheet = wb[name]
        assert sheet.freeze_panes == "B2"
        assert all(c.font.bold for c in sheet[1] if c.value)
        assert sheet.max_row >= len(getattr(strategy, key)) + 1
        assert [sheet.cell(row=i + 2, column=1).value for i in range(len(getattr(strategy, key)))] == \
            [item.id for item in getattr(strategy, key)]
        assert sheet.cell(row=2, column=2).alignment.wrap_text
        assert all(8 <= (sheet.column_dimensions[c.column_letter].width or 0) <= 60 for c in sheet[1] if c.value)
        assert sheet.auto_filter.ref.startswith("A1:")
    risks = wb["Risks"]
    headings = _headings(risks)
    assert headings[:10] == ["ID", "Title", "Cause", "Event", "Effect", "Inherent likelihood", "Inherent impact",
                             "Residual likelihood", "Residual impact", "Owner"]
    most = max(len(r.mitigations) for r in strategy.risks)
    assert [h for h in headings if h.startswith("Mitigation ")] == [f"Mitigation {n}" for n in range(1, most + 2)]
    assert headings[-4:] == ["Inherent score", "Inherent band", "Residual score", "Residual band"]
    first = strategy.risks[0]
    assert risks.cell(row=2, column=_column(risks, "Residual impact")).value == first.residual.impact
    assert risks.cell(row=2, column=_column(risks, "Mitigation 1")).value == first.mitigations[0]
    assert risks.cell(row=2, column=_column(risks, "Review date")).value.date() == first.review_date
    assert risks.cell(row=2, column=_column(risks, "Residual band")).value.startswith("=IF(")
    intentions = wb["Intentions"]
    assert intentions.cell(row=2, column=_column(intentions, "Outcomes")).value == \
        ("; ".join(strategy.intentions[0].outcomes) or None)
    assert intentions.cell(row=2, column=_column(intentions, "Current stage")).value == strategy.intentions[0].cycle.current

    def validation(sheet, heading):
        letter = openpyxl.utils.get_column_letter(_column(sheet, heading))
        for dv in sheet.data_validations.dataValidation:
            if any(str(r).startswith(f"{letter}2:") for r in dv.sqref.ranges):
                return dv
        return None

    lists = wb["Lists"]
    names = [c.value for c in lists[1]]

    def listed(name):
        col = names.index(name) + 1
        return [lists.cell(row=r, column=col).value for r in range(2, lists.max_row + 1)
                if lists.cell(row=r, column=col).value is not None]

    for sheet, heading, name in ((risks, "Residual likelihood", "levels"), (intentions, "Type", "intention_types"),
                                 (intentions, "Current stage", "stages"), (intentions, "Theme", "themes"),
                                 (wb["Indicators"], "Polarity", "polarities"), (wb["Indicators"], "Unit", "units"),
                                 (wb["Hypotheses"], "Test metric", "metrics"), (risks, "Flagged for review", "yes_no")):
        dv = validation(sheet, heading)
        assert dv is not None and dv.type == "list", heading
        assert dv.formula1.startswith("Lists!$"), heading
    assert listed("levels") == [1, 2, 3, 4, 5]
    assert listed("stages") == list(params.authorities[authority].cycle.stages)
    assert listed("themes") == [t.id for t in strategy.themes]
    assert validation(intentions, "Current stage").errorStyle == "warning"  # "Analyse to Plan" is allowed
    assert validation(risks, "Review date").type == "date"


def test_args_format_and_parse():
    args = {"measure": "dementia", "from_year": 2026, "to_year": 2036}
    text = registers.format_args(args, "need_change_percent")
    assert text == "measure=dementia; from_year=2026; to_year=2036"
    assert registers.parse_args(text, "need_change_percent") == args
    tricky = {"service_type": "Care; nursing", "indicator_id": "123"}
    assert registers.parse_args(registers.format_args(tricky), None) == tricky
    assert registers.parse_args(registers.format_args({"indicator_id": "42"}, "indicator_latest"),
                                "indicator_latest") == {"indicator_id": "42"}
    with pytest.raises(ValueError):
        registers.parse_args("measure dementia", "need_change_percent")


# --- edits made in Excel -----------------------------------------------------------------------

def test_user_edits_change_only_the_registers(workspace, tmp_path):
    authority, group = _pair(workspace)
    params = load_params(workspace)
    strategy = params.strategies[(authority, group)]
    path = _yaml_path(workspace, authority, group)
    original = path.read_text(encoding="utf-8")
    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx")

    wb = openpyxl.load_workbook(book)
    risks = wb["Risks"]
    risks.cell(row=2, column=_column(risks, "Residual likelihood")).value = 1
    risks.cell(row=2, column=_column(risks, "Residual impact")).value = 2
    removed_risk = risks.cell(row=3, column=1).value
    risks.delete_rows(3)
    intentions = wb["Intentions"]
    row = intentions.max_row + 1
    values = {"ID": "NEW-1", "Theme": strategy.themes[0].id, "Title": "Night-time home care",
              "Details": "A night service.\n\nWith **two** paragraphs.", "Driver 1": "Consultation feedback",
              "Driver 2": "Hospital discharge data", "Type": "new", "Current stage": strategy.intentions[0].cycle.current,
              "Expected stage": strategy.intentions[0].cycle.expected, "Activity": "Design the service",
              "Owner": "Head of Commissioning", "Timescale": "2028", "Outcomes": strategy.outcomes.items[0].code}
    for heading, value in values.items():
        intentions.cell(row=row, column=_column(intentions, heading)).value = value
    indicators = wb["Indicators"]
    indicators.cell(row=2, column=_column(indicators, "Target")).value = 99.5
    hypotheses = wb["Hypotheses"]
    hypotheses.cell(row=2, column=_column(hypotheses, "Implication")).value = "A new implication."
    wb.save(book)

    result = registers.import_registers(workspace, book, authority, group)
    assert set(result.changed) == {"risks", "intentions", "indicators", "hypotheses"}
    after = load_params(workspace).strategies[(authority, group)]
    assert after.risks[0].residual.likelihood == 1 and after.risks[0].residual.impact == 2
    assert removed_risk not in [r.id for r in after.risks]
    assert len(after.risks) == len(strategy.risks) - 1
    new = after.intentions[-1]
    assert new.id == "NEW-1" and new.drivers == ["Consultation feedback", "Hospital discharge data"]
    assert new.details == "A night service.\n\nWith **two** paragraphs."
    assert new.timescale == "2028" and new.outcomes == [strategy.outcomes.items[0].code]
    assert after.indicators[0].target == 99.5
    assert after.hypotheses[0].implication == "A new implication."
    # everything else is as it was, value for value and byte for byte
    exclude = set(REGISTER_KEYS)
    assert after.model_dump(exclude=exclude) == strategy.model_dump(exclude=exclude)
    assert [h.model_dump() for h in after.hypotheses[1:]] == [h.model_dump() for h in strategy.hypotheses[1:]]
    text = path.read_text(encoding="utf-8")
    assert _outside_registers(text) == _outside_registers(original)
    # untouched items keep their exact lines
    untouched = strategy.intentions[1].title
    assert sum(untouched in line for line in original.splitlines()) == sum(untouched in line for line in text.splitlines())


def _expect_problems(workspace, book, authority, group) -> list:
    path = _yaml_path(workspace, authority, group)
    before = path.read_bytes()
    with pytest.raises(ParamsError) as info:
        registers.import_registers(workspace, book, authority, group)
    assert path.read_bytes() == before  # nothing written
    return info.value.problems


def test_problems_name_sheet_row_and_column(workspace, tmp_path):
    authority, group = _pair(workspace)
    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)
    risks = wb["Risks"]
    risks.cell(row=3, column=_column(risks, "Residual likelihood")).value = "high"
    risks.cell(row=4, column=_column(risks, "Inherent impact")).value = 7
    intentions = wb["Intentions"]
    intentions.cell(row=2, column=_column(intentions, "Type")).value = "buy"
    intentions.cell(row=3, column=_column(intentions, "Current stage")).value = "Dreaming"
    intentions.cell(row=4, column=_column(intentions, "Theme")).value = "no-such-theme"
    indicators = wb["Indicators"]
    indicators.cell(row=3, column=1).value = indicators.cell(row=2, column=1).value  # duplicate id
    hypotheses = wb["Hypotheses"]
    hypotheses.cell(row=2, column=_column(hypotheses, "Test arguments")).value = "measure dementia"
    wb.save(book)
    problems = _expect_problems(workspace, book, authority, group)
    where = {(p.file, p.line, p.field) for p in problems}
    assert ("Risks", 3, "Residual likelihood") in where
    assert ("Risks", 4, "Inherent impact") in where
    assert ("Intentions", 2, "Type") in where
    assert ("Hypotheses", 2, "Test arguments") in where
    # cross-reference checks after the rows are valid are reported separately, so fix the rows
    wb = openpyxl.load_workbook(book)
    wb["Risks"].cell(row=3, column=_column(wb["Risks"], "Residual likelihood")).value = 2
    wb["Risks"].cell(row=4, column=_column(wb["Risks"], "Inherent impact")).value = 3
    wb["Intentions"].cell(row=2, column=_column(wb["Intentions"], "Type")).value = "new"
    wb["Hypotheses"].cell(row=2, column=_column(wb["Hypotheses"], "Test arguments")).value = None
    wb.save(book)
    problems = _expect_problems(workspace, book, authority, group)
    where = {(p.file, p.line, p.field) for p in problems}
    assert ("Intentions", 3, "Current stage") in where
    assert ("Intentions", 4, "Theme") in where
    assert ("Indicators", 3, "ID") in where
    assert all(str(p) for p in problems)


def test_unknown_and_missing_columns(workspace, tmp_path):
    authority, group = _pair(workspace)
    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)
    risks = wb["Risks"]
    risks.cell(row=1, column=_column(risks, "ID")).value = "Risk ID"  # the id is required; an owner may be left out
    wb.save(book)
    problems = _expect_problems(workspace, book, authority, group)
    where = {(p.file, p.line, p.field) for p in problems}
    assert ("Risks", 1, "Risk ID") in where and ("Risks", 1, "ID") in where


def test_workbook_for_another_strategy_is_refused(workspace, tmp_path):
    params = load_params(workspace)
    (a1, g1), (a2, g2) = sorted(params.strategies)[:2]
    book = registers.export_registers(workspace, a1, g1, tmp_path / "r.xlsx")
    problems = _expect_problems(workspace, book, a2, g2)
    assert any(f"exported for {a1} / {g1}" in p.message for p in problems)


def test_missing_sheet_is_refused_but_an_empty_register_is_not(workspace, tmp_path):
    authority, group = _pair(workspace)
    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["Indicators"].delete_rows(2, wb["Indicators"].max_row)  # an empty register is allowed: a plan may have none
    del wb["Hypotheses"]
    wb.save(book)
    problems = _expect_problems(workspace, book, authority, group)
    assert any("no sheet called 'Hypotheses'" in p.message for p in problems)


def test_text_that_looks_like_a_formula_stays_text(workspace, tmp_path):
    authority, group = _pair(workspace)
    path = _yaml_path(workspace, authority, group)
    data = yaml.safe_load(path.read_text())
    data["risks"][0]["title"] = "=SUM(A1:A2) is not a formula"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)
    assert wb["Risks"].cell(row=2, column=2).data_type == "s"
    result = registers.import_registers(workspace, book, authority, group)
    assert result.changed == []


def test_true_in_a_score_cell_is_refused_not_read_as_one(workspace, tmp_path):
    authority, group = _pair(workspace)
    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)
    risks = wb["Risks"]
    risks.cell(row=2, column=_column(risks, "Inherent likelihood")).value = True  # Excel's TRUE
    indicators = wb["Indicators"]
    indicators.cell(row=2, column=_column(indicators, "Target")).value = False
    wb.save(book)
    problems = _expect_problems(workspace, book, authority, group)
    found = {(p.file, p.line, p.field): p for p in problems}
    assert "'TRUE'" in found[("Risks", 2, "Inherent likelihood")].message
    assert "'FALSE'" in found[("Indicators", 2, "Target")].message
