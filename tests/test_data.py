"""Data loading: what Excel and other systems produce is read correctly or rejected clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from strategy_docs.inputs.data import read_table

HEADER = "year,client_group,service_type,area_code,people,out_of_area"


def load(path: Path, table: str = "service_users"):
    problems = []
    frame = read_table(path, table, path.name, problems)
    return frame, problems


def write(tmp_path: Path, text: str, name: str = "service_users.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_plain_csv(tmp_path):
    frame, problems = load(write(tmp_path, HEADER + "\n2025,carers,Carer support,A1,120,3\n"))
    assert problems == []
    assert frame.loc[0, "people"] == 120 and frame.loc[0, "out_of_area"] == 3
    assert str(frame["people"].dtype) == "int64"


def test_excel_csv_with_bom_semicolons_and_thousands(tmp_path):
    text = HEADER.replace(",", ";") + '\n2025;carers;Carer support;A1;"1,234";0\n'
    frame, problems = load(write(tmp_path, "\ufeff" + text))
    assert problems == []
    assert list(frame.columns)[0] == "year"
    assert frame.loc[0, "people"] == 1234


def test_windows_1252_text(tmp_path):
    text = "financial_year,client_group,group,line,amount\n2026/27,carers,Café support,Grants to carers’ centres,\"£12,500\"\n"
    frame, problems = load(write(tmp_path, text, "budget.csv", encoding="cp1252"), "budget")
    assert problems == []
    assert frame.loc[0, "group"] == "Café support"
    assert frame.loc[0, "line"] == "Grants to carers’ centres"
    assert frame.loc[0, "amount"] == 12500.0


def test_income_in_brackets_is_negative(tmp_path):
    text = "financial_year,client_group,group,line,amount\n2026/27,carers,Income,Client contributions,\"(4,000)\"\n"
    frame, problems = load(write(tmp_path, text, "budget.csv"), "budget")
    assert problems == [] and frame.loc[0, "amount"] == -4000.0


def test_missing_and_renamed_columns_are_named(tmp_path):
    text = "year,client_group,service,area_code,people,out_of_area\n2025,carers,x,A1,1,0\n"
    frame, problems = load(write(tmp_path, text))
    assert frame is None
    assert problems[0].field == "service_type"
    assert "'service_type'" in problems[0].message and "'service'" in problems[0].message


def test_wrong_type_and_negative_count_name_column_and_row(tmp_path):
    text = HEADER + "\n2025,carers,x,A1,twelve,0\n2025,carers,y,A1,-5,0\n"
    frame, problems = load(write(tmp_path, text))
    assert frame is None
    wrong = next(p for p in problems if "twelve" in p.message)
    assert wrong.field == "people" and wrong.line == 2
    negative = next(p for p in problems if "negative" in p.message)
    assert negative.field == "people" and negative.line == 3


def test_duplicate_rows_rejected(tmp_path):
    text = HEADER + "\n2025,carers,x,A1,1,0\n2025,carers,x,A1,2,0\n"
    frame, problems = load(write(tmp_path, text))
    assert frame is None
    assert any("repeats an earlier row" in p.message and p.line == 3 for p in problems)


def test_empty_file_and_header_only(tmp_path):
    frame, problems = load(write(tmp_path, ""))
    assert frame is None and "empty" in problems[0].message
    frame, problems = load(write(tmp_path, HEADER + "\n"))
    assert frame is None and "no rows" in problems[0].message


def test_xlsx_with_title_rows_and_merged_cells(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Northshire budget 2026/27 (synthetic)"])
    ws.append([])
    ws.append(["financial_year", "client_group", "group", "line", "amount"])
    ws.append(["2026/27", "carers", "Community support", "Carers' centres", 250000])
    ws.append(["2026/27", "carers", None, "Breaks for carers", 180000])
    ws.merge_cells("C4:C5")  # the group label spans two lines, as finance teams lay it out
    path = tmp_path / "budget.xlsx"
    wb.save(path)
    frame, problems = load(path, "budget")
    assert problems == []
    assert list(frame["group"]) == ["Community support", "Community support"]
    assert list(frame["amount"]) == [250000.0, 180000.0]


def test_unknown_area_code_via_authority_loader(workspace):
    from strategy_docs.inputs.data import load_authority_data
    from strategy_docs.errors import DataError

    from .conftest import first_authority

    authority = first_authority(workspace)
    path = workspace / "data" / authority / "service_users.csv"
    lines = path.read_text().splitlines()
    parts = lines[1].split(",")
    parts[3] = "ZZ999"
    lines[1] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n")
    from strategy_docs.inputs.params import load_params

    params = load_params(workspace)
    auth = params.authorities[authority]
    with pytest.raises(DataError) as info:
        load_authority_data(workspace, authority, {l.code for l in auth.localities}, auth.nation, set(params.client_groups))
    problem = info.value.problems[0]
    assert problem.field == "area_code" and problem.line == 2 and "ZZ999" in problem.message
    assert problem.file == f"data/{authority}/service_users.csv"
