"""Broken and Excel-mangled data files: each is either read correctly or rejected with a message
naming the file, the column and the row (through the loader and through `strategy-docs validate`)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategy_docs.inputs.data import load_authority_data, read_table
from strategy_docs.inputs.schema import TABLES
from strategy_docs.errors import DataError, Problem
from strategy_docs.inputs.params import load_params

from .robust_support import AUTHORITY, cli, prune

FOLDER = f"data/{AUTHORITY}"


@pytest.fixture
def ws(workspace: Path) -> Path:
    return prune(workspace)


def load(ws: Path):
    params = load_params(ws)
    authority = params.authorities[AUTHORITY]
    return load_authority_data(ws, AUTHORITY, {loc.code for loc in authority.localities}, authority.nation,
                               set(params.client_groups))


def problems_of(ws: Path) -> list[Problem]:
    with pytest.raises(DataError) as info:
        load(ws)
    assert info.value.problems
    return info.value.problems


def rows(ws: Path, table: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((ws / FOLDER / f"{table}.csv").read_text(encoding="utf-8"))))


def write_rows(ws: Path, table: str, data: list[list[str]], *, delimiter=",", encoding="utf-8", newline="\n",
               name: str | None = None) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(data)
    path = ws / FOLDER / (name or f"{table}.csv")
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def set_cell(ws: Path, table: str, row: int, column: str, value: str) -> int:
    """Change one cell (row 1 is the first data row); returns the file line of that row."""
    data = rows(ws, table)
    data[row][data[0].index(column)] = value
    write_rows(ws, table, data)
    return row + 1


def one(problems: list[Problem], table: str, column: str) -> Problem:
    mine = [p for p in problems if p.file == f"{FOLDER}/{table}.csv" and p.field == column]
    assert len(mine) == 1, [str(p) for p in problems]
    return mine[0]


def test_pruned_data_is_valid(ws):
    data = load(ws)
    assert len(data.population) > 100 and len(data.providers) > 10


# ---------------------------------------------------------------- structure


def test_missing_column(ws):
    data = rows(ws, "service_users")
    at = data[0].index("out_of_area")
    write_rows(ws, "service_users", [r[:at] + r[at + 1:] for r in data])
    problem = one(problems_of(ws), "service_users", "out_of_area")
    assert problem.line == 1 and "missing the column 'out_of_area'" in problem.message
    assert "year, client_group" in problem.fix


def test_renamed_column_is_rejected_with_what_was_found(ws):
    data = rows(ws, "providers")
    data[0][data[0].index("capacity")] = "beds"
    write_rows(ws, "providers", data)
    problem = one(problems_of(ws), "providers", "capacity")
    assert "'capacity'" in problem.message and "'beds'" in problem.message


def test_header_case_spaces_and_column_order_do_not_matter(ws):
    before = load(ws).unit_costs
    data = rows(ws, "unit_costs")
    order = list(reversed(range(len(data[0]))))
    data = [[r[i] for i in order] for r in data]
    data[0] = [f" {h.replace('_', ' ').title()} " for h in data[0]]
    write_rows(ws, "unit_costs", data)
    pd.testing.assert_frame_equal(load(ws).unit_costs, before)


def test_duplicate_header(ws):
    data = rows(ws, "service_users")
    write_rows(ws, "service_users", [r + [r[data[0].index("people")]] for r in data])
    problem = one(problems_of(ws), "service_users", "people")
    assert "2 columns named 'people'" in problem.message and problem.line == 1


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(ws, content):
    (ws / FOLDER / "budget.csv").write_bytes(content)
    [problem] = [p for p in problems_of(ws) if p.file == f"{FOLDER}/budget.csv"]
    assert "empty" in problem.message and "financial_year" in problem.fix


def test_header_only(ws):
    write_rows(ws, "budget", rows(ws, "budget")[:1])
    [problem] = [p for p in problems_of(ws) if p.file == f"{FOLDER}/budget.csv"]
    assert "no rows" in problem.message


def test_missing_file_is_allowed(ws):
    """An absent table is not an error: the sections that need it are left out."""
    (ws / FOLDER / "indicators.csv").unlink()
    data = load(ws)
    assert not data.has("indicators") and data.indicators.empty and "indicator_id" in data.indicators.columns
    assert data.has("budget") and not data.budget.empty


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
                                     b"PK\x03\x04\x14\x00\x06\x00" + bytes(200)])
def test_binary_file_named_csv(ws, content):
    (ws / FOLDER / "providers.csv").write_bytes(content)
    problems = [p for p in problems_of(ws) if p.file == f"{FOLDER}/providers.csv"]
    assert problems and all(p.message for p in problems)


def test_csv_renamed_to_xlsx(ws):
    path = ws / FOLDER / "providers.csv"
    path.rename(path.with_suffix(".xlsx"))
    [problem] = [p for p in problems_of(ws) if p.file == f"{FOLDER}/providers.xlsx"]
    assert "cannot be read as a spreadsheet" in problem.message and str(ws) not in problem.message


# ---------------------------------------------------------------- values


def test_wrong_type_names_column_and_row(ws):
    line = set_cell(ws, "service_users", 7, "people", "twelve")
    problem = one(problems_of(ws), "service_users", "people")
    assert problem.line == line and f"row {line}" in problem.message and "'twelve'" in problem.message
    assert "number" in problem.message


def test_fraction_in_a_count(ws):
    line = set_cell(ws, "providers", 3, "capacity", "12.5")
    problem = one(problems_of(ws), "providers", "capacity")
    assert problem.line == line and "whole number" in problem.message


def test_negative_count(ws):
    line = set_cell(ws, "population", 12, "population", "-40")
    problem = one(problems_of(ws), "population", "population")
    assert problem.line == line and "cannot be negative" in problem.message


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e400", "99999999999999999999999"])
def test_non_finite_or_absurd_numbers_are_rejected_not_crashed(ws, value):
    line = set_cell(ws, "service_users", 2, "people", value)
    problem = one(problems_of(ws), "service_users", "people")
    assert problem.line == line and value in problem.message


def test_blank_required_value(ws):
    line = set_cell(ws, "budget", 4, "line", "  ")
    problem = one(problems_of(ws), "budget", "line")
    assert problem.line == line and "no value" in problem.message


def test_unknown_area_code(ws):
    line = set_cell(ws, "service_users", 5, "area_code", "E99999999")
    problem = one(problems_of(ws), "service_users", "area_code")
    assert problem.line == line and "E99999999" in problem.message and "use one of" in problem.fix


def test_unknown_client_group(ws):
    line = set_cell(ws, "unit_costs", 1, "client_group", "older_people")
    problem = one(problems_of(ws), "unit_costs", "client_group")
    assert problem.line == line and "older_people" in problem.message


def test_value_outside_vocabulary(ws):
    line = set_cell(ws, "providers", 2, "sector", "charity")
    problem = one(problems_of(ws), "providers", "sector")
    assert problem.line == line and "in-house" in problem.fix
    line = set_cell(ws, "providers", 2, "sector", "private")
    line = set_cell(ws, "providers", 4, "quality_rating", "Excellent")  # a CIW word in an English authority
    problem = one(problems_of(ws), "providers", "quality_rating")
    assert problem.line == line and "CQC" in problem.message


def test_bad_financial_year(ws):
    line = set_cell(ws, "budget", 2, "financial_year", "2026-27")
    problem = one(problems_of(ws), "budget", "financial_year")
    assert problem.line == line and "2026/27" in problem.fix


def test_occupied_more_than_capacity(ws):
    data = rows(ws, "providers")
    header = data[0]
    data[3][header.index("occupied")] = str(int(data[3][header.index("capacity")]) + 5)
    write_rows(ws, "providers", data)
    problem = one(problems_of(ws), "providers", "occupied")
    assert problem.line == 4


def test_duplicate_rows(ws):
    data = rows(ws, "service_users")
    data.insert(9, list(data[3]))
    write_rows(ws, "service_users", data)
    problems = [p for p in problems_of(ws) if p.file == f"{FOLDER}/service_users.csv"]
    [problem] = [p for p in problems if "repeats" in p.message]
    assert problem.line == 10 and "row 10" in problem.message


def test_row_numbers_count_blank_lines_and_multiline_cells(ws):
    data = rows(ws, "providers")
    header = data[0]
    data[1][header.index("provider_name")] = "Two\nline name"
    data[6][header.index("capacity")] = "lots"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(data[:3])
    buffer.write("\n,,,,,,,,\n")  # a blank row and an empty-looking row, as Excel leaves them
    writer.writerows(data[3:])
    (ws / FOLDER / "providers.csv").write_text(buffer.getvalue(), encoding="utf-8")
    expected_line = buffer.getvalue().splitlines().index(next(l for l in buffer.getvalue().splitlines() if ",lots," in l)) + 1
    problem = one(problems_of(ws), "providers", "capacity")
    assert problem.line == expected_line and f"row {expected_line}" in problem.message


def test_unquoted_thousands_separator_shifts_cells(ws):
    data = rows(ws, "service_users")
    text = "\n".join(",".join(r) for r in data) + "\n"
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if i and not line.endswith(","))  # a row with out_of_area given
    parts = lines[at].split(",")
    parts[4] = "1,234"  # Excel-style thousands in a CSV without quotes
    lines[at] = ",".join(parts)
    (ws / FOLDER / "service_users.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = [p for p in problems_of(ws) if p.file == f"{FOLDER}/service_users.csv"]
    assert any(p.line == at + 1 and "more cells than the header" in p.message for p in problems)


# ---------------------------------------------------------------- what Excel produces


def test_excel_csv_bom_semicolons_thousands_crlf(ws):
    before = load(ws)
    for table in ("population", "service_users", "providers", "budget"):
        data = rows(ws, table)
        for r in data[1:]:
            for i, name in enumerate(data[0]):
                if name in ("population", "people", "capacity") and r[i].isdigit() and int(r[i]) >= 1000:
                    r[i] = f"{int(r[i]):,}"
                if name == "amount":
                    amount = float(r[i])
                    r[i] = f"({abs(amount):,.2f})" if amount < 0 else f"£{amount:,.2f}"
        write_rows(ws, table, data, delimiter=";", encoding="utf-8-sig", newline="\r\n")
    assert (ws / FOLDER / "budget.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    after = load(ws)
    for table in ("population", "service_users", "providers", "budget"):
        pd.testing.assert_frame_equal(getattr(after, table), getattr(before, table), check_exact=False)


def test_windows_1252_text_is_read(ws):
    data = rows(ws, "providers")
    name = data[0].index("provider_name")
    data[2][name] = "Café Crème Care – St Mary’s"
    write_rows(ws, "providers", data, encoding="cp1252")
    frame = load(ws).providers
    assert "Café Crème Care – St Mary’s" in set(frame["provider_name"])


def test_utf16_tab_separated_unicode_text_is_read(ws):
    before = load(ws).unit_costs
    write_rows(ws, "unit_costs", rows(ws, "unit_costs"), delimiter="\t", encoding="utf-16")
    pd.testing.assert_frame_equal(load(ws).unit_costs, before)


def _to_xlsx(ws: Path, table: str, *, title_rows: int = 0, merge_column: str | None = None) -> Path:
    from openpyxl import Workbook

    data = rows(ws, table)
    book = Workbook()
    sheet = book.active
    sheet.title = table
    for i in range(title_rows):
        sheet.append([f"Northshire County Council - {table} extract" if i == 0 else None])
    if title_rows:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(data[0]))
    header_row = sheet.max_row + 1 if title_rows else 1
    for r, values in enumerate(data):
        out = []
        for name, value in zip(data[0], values):
            column = next((c for c in TABLES[table].columns if c.name == name), None)
            if r and column is not None and column.kind in ("int", "float") and value.strip():
                out.append(float(value) if column.kind == "float" else int(value))
            else:
                out.append(value if value != "" else None)
        for c, value in enumerate(out, start=1):
            sheet.cell(header_row + r, c, value)
    if merge_column:  # merge runs of equal values down a column, as people do for readability
        col = data[0].index(merge_column) + 1
        start = header_row + 1
        for r in range(header_row + 2, header_row + len(data) + 1):
            if sheet.cell(r, col).value != sheet.cell(start, col).value or r == header_row + len(data):
                end = r if sheet.cell(r, col).value == sheet.cell(start, col).value else r - 1
                if end > start:
                    sheet.merge_cells(start_row=start, start_column=col, end_row=end, end_column=col)
                start = r
    path = ws / FOLDER / f"{table}.xlsx"
    book.save(path)
    (ws / FOLDER / f"{table}.csv").unlink()
    return path


def test_xlsx_with_title_rows_and_merged_cells_reads_like_the_csv(ws):
    before = load(ws)
    _to_xlsx(ws, "providers", title_rows=2, merge_column="client_group")
    _to_xlsx(ws, "budget", title_rows=1, merge_column="group")
    after = load(ws)
    pd.testing.assert_frame_equal(after.providers, before.providers)
    pd.testing.assert_frame_equal(after.budget, before.budget)


def test_xlsx_problem_names_the_sheet_row(ws):
    data = rows(ws, "unit_costs")
    data[5][data[0].index("unit")] = "per fortnight"
    write_rows(ws, "unit_costs", data)
    _to_xlsx(ws, "unit_costs", title_rows=2)
    problems = [p for p in problems_of(ws) if p.file == f"{FOLDER}/unit_costs.xlsx"]
    [problem] = problems
    assert problem.field == "unit" and "per fortnight" in problem.message
    from openpyxl import load_workbook

    sheet = load_workbook(ws / FOLDER / "unit_costs.xlsx").active
    assert "per fortnight" in [c.value for c in sheet[problem.line]], "the problem must name the sheet's own row number"
    assert problem.line == 3 + 5  # title rows 1-2, header row 3, fifth data row


# ---------------------------------------------------------------- through the command line


def test_cli_validate_reports_file_column_row_and_exits_2(ws):
    set_cell(ws, "service_users", 3, "people", "-2")
    set_cell(ws, "providers", 2, "area_code", "XX1")
    (ws / FOLDER / "budget.csv").write_bytes(b"")
    result = cli(ws, "validate")
    assert result.returncode == 2, result.stdout + result.stderr
    err = result.stderr
    assert f"{FOLDER}/service_users.csv, line 4, field 'people': row 4: 'people' cannot be negative" in err
    assert f"{FOLDER}/providers.csv, line 3, field 'area_code': row 3: unknown area code 'XX1'" in err
    assert f"{FOLDER}/budget.csv: is empty" in err
    assert "Traceback" not in err and "Nothing was built" in err


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_cli_build_with_bad_data_executes_nothing(ws):
    set_cell(ws, "indicators", 1, "period", "last year")
    result = cli(ws, "build", "--format", "html", "--jobs", "1", timeout=120)
    assert result.returncode == 2 and f"{FOLDER}/indicators.csv, line 2, field 'period'" in result.stderr
    assert not (ws / "build" / "2026-27").exists() and not (ws / ".strategy-docs" / "work").exists()


# ---------------------------------------------------------------- property: junk cells never crash the reader

cell = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
                 st.sampled_from(["", "1,234", "(12)", "£5", "-0", "1e999", "nan", "NaN", "[x]", "0x1F", "1_000",
                                  "12.5", "\u00a0", "=1+1", "TRUE", "2026/27", "per week", "85+"]),
                 st.integers(-10**25, 10**25).map(str), st.floats().map(str))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(sorted(TABLES)), data=st.data(), delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
def test_property_junk_cells_are_read_or_rejected(tmp_path, table, data, delimiter, encoding):
    header = TABLES[table].column_names
    body = data.draw(st.lists(st.lists(cell, min_size=len(header) - 1, max_size=len(header) + 1), max_size=6))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([header, *body])
    path = tmp_path / f"{table}.csv"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    problems: list[Problem] = []
    frame = read_table(path, table, f"data/x/{table}.csv", problems)
    assert (frame is None) == bool([p for p in problems if p.severity == "error"])
    for problem in problems:
        assert problem.file == f"data/x/{table}.csv" and problem.message
        if problem.line is not None:
            assert 1 <= problem.line <= buffer.getvalue().count("\n") + 1


# ---------------------------------------------------------------- control characters and links (issue 15)


def test_vertical_tab_and_form_feed_in_a_text_cell_become_line_breaks(ws):
    data = rows(ws, "providers")
    column = data[0].index("provider_name")
    data[1][column] = "Bramley\vCarers\fCentre"
    write_rows(ws, "providers", data)
    assert load(ws).providers["provider_name"].iloc[0] == "Bramley\nCarers\nCentre"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\ufffe"])
def test_other_control_characters_are_refused_with_their_place(ws, control):
    data = rows(ws, "providers")
    column = data[0].index("provider_name")
    data[2][column] = "Bram" + control + "ley"
    write_rows(ws, "providers", data)
    problem = one(problems_of(ws), "providers", "provider_name")
    assert problem.line == 3 and f"U+{ord(control):04X} at position 5" in problem.message


def test_bidi_overrides_are_removed_from_text_cells(ws):
    data = rows(ws, "providers")
    column = data[0].index("provider_name")
    data[1][column] = "Bramley \u202eCentre\u202c"
    write_rows(ws, "providers", data)
    assert load(ws).providers["provider_name"].iloc[0] == "Bramley Centre"


def test_a_looping_data_link_is_a_loop_not_missing(ws):
    path = ws / FOLDER / "unit_costs.csv"
    path.unlink()
    path.symlink_to("unit_costs.csv")
    problem = next(p for p in problems_of(ws) if p.file == f"{FOLDER}/unit_costs.csv")
    assert "loops" in problem.message and "missing" not in problem.message


def test_only_the_schema_columns_are_kept_and_row_numbers_survive_gaps(ws):
    data = rows(ws, "service_users")
    data = [r + ["note"] for r in data]
    data[0][-1] = "comments"
    data.insert(3, [""] * len(data[0]))  # a blank line: rows after it are one further down the file
    write_rows(ws, "service_users", data)
    people = data[0].index("people")
    data[5][people] = "-3"
    write_rows(ws, "service_users", data)
    problem = one(problems_of(ws), "service_users", "people")
    assert problem.line == 6


@pytest.mark.slow
def test_a_50_mb_population_table_validates_in_under_500_mb(ws):
    import subprocess
    import sys

    from .robust_support import cli_env

    from .conftest import edit_yaml

    # 700 more localities, so 50 MB is reached in real years (1990 to about 2070), not years like 10500
    edit_yaml(ws / "params" / "authorities" / f"{AUTHORITY}.yaml", lambda d: d["localities"].extend(
        {"code": f"L{i:03d}", "name": f"Locality {i}"} for i in range(700)))
    codes = [loc["code"] for loc in __import__("yaml").safe_load(
        (ws / "params" / "authorities" / f"{AUTHORITY}.yaml").read_text())["localities"]]
    bands = TABLES["population"].columns[2].allowed
    path = ws / FOLDER / "population.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("area_code,year,age_band,sex,population,basis\n")
        year, size = 1990, 0
        while size < 50 * 2**20:
            for code in codes:
                for band in bands:
                    for sex in ("female", "male"):
                        line = f"{code},{year},{band},{sex},{(year * 7919 + len(band) * 104729) % 90000 + 10},projection\n"
                        size += out.write(line)
            year += 1
    # The peak is VmHWM, this process's own high-water mark: ru_maxrss survives exec, so a child of a
    # large test process would report the parent's size (535 MB once, in a full run, for 320 MB used).
    script = ("import re, sys\nfrom strategy_docs.cli.app import main\n"
              "try:\n    main(['validate', '--workspace', sys.argv[1]])\nexcept SystemExit as e:\n    code = e.code\n"
              "status = open('/proc/self/status').read()\n"
              "print('PEAK', re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", script, str(ws)], capture_output=True, text=True, env=cli_env(), timeout=600)
    peak_kb = int(done.stdout.rsplit("PEAK", 1)[1])
    assert "Valid:" in done.stdout, done.stdout + done.stderr
    assert peak_kb < 500 * 1024, f"{peak_kb // 1024} MB"


def test_a_formula_without_a_saved_result_is_not_called_empty(ws):
    import openpyxl

    data = rows(ws, "unit_costs")
    (ws / FOLDER / "unit_costs.csv").unlink()
    book = openpyxl.Workbook()
    sheet = book.active
    for row in data:
        sheet.append([float(v) if re.fullmatch(r"\d+\.\d+", v) else v for v in row])
    column = data[0].index("unit_cost") + 1
    sheet.cell(row=3, column=column).value = "=B2*2"  # openpyxl saves formulas without results
    book.save(ws / FOLDER / "unit_costs.xlsx")
    [problem] = [p for p in problems_of(ws) if p.file == f"{FOLDER}/unit_costs.xlsx" and p.field == "unit_cost"]
    assert problem.line == 3 and "=B2*2" in problem.message and "never saved" in problem.message
    assert "no value" not in problem.message


# ---------------------------------------------------------------- values that read as something else


def test_a_financial_year_whose_second_year_does_not_follow_the_first_is_refused(ws):
    # '2025/27' matched the pattern, became the "latest" year and the unit costs showed its one row alone
    line = set_cell(ws, "unit_costs", 3, "financial_year", "2025/27")
    problem = one(problems_of(ws), "unit_costs", "financial_year")
    assert problem.line == line and "'2025/27'" in problem.message and "2025/26" in problem.message


@pytest.mark.parametrize("year", ["21", "45382", "1066"])
def test_a_year_that_is_not_a_calendar_year_is_refused(ws, year):
    line = set_cell(ws, "service_users", 4, "year", year)
    problem = one(problems_of(ws), "service_users", "year")
    assert problem.line == line and "not a year" in problem.message and "four-digit" in problem.fix


def test_spaces_in_a_number_are_thousands_separators_only_in_groups_of_three(ws):
    before = load(ws).budget["amount"].iloc[2]
    data = rows(ws, "budget")
    amount = data[0].index("amount")
    data[3][amount] = f"{int(before):,}".replace(",", "\u00a0")  # '67 211 000' as Excel in French or a web page writes it
    data[4][amount] = "672 11000"  # a typo, not a number
    write_rows(ws, "budget", data)
    problem = one(problems_of(ws), "budget", "amount")
    assert problem.line == 5 and "'672 11000'" in problem.message


@pytest.mark.parametrize("marker", ["[c]", "*", "<5", "~"])
def test_a_suppression_marker_is_refused_and_named_as_one(ws, marker):
    line = set_cell(ws, "service_users", 2, "people", marker)
    problem = one(problems_of(ws), "service_users", "people")
    assert problem.line == line and "suppressed" in problem.fix and "never as 0" in problem.fix


def test_a_percent_sign_in_a_number_says_to_drop_it(ws):
    set_cell(ws, "indicators", 2, "value", "45%")
    assert "45 for 45%" in one(problems_of(ws), "indicators", "value").fix


def test_an_implausibly_large_count_is_refused(ws):
    line = set_cell(ws, "population", 1, "population", "900000000000")
    problem = one(problems_of(ws), "population", "population")
    assert problem.line == line and "900,000,000,000" in problem.message


def test_a_zero_width_space_does_not_make_a_second_budget_group(ws):
    before = load(ws).budget
    data = rows(ws, "budget")
    group = data[0].index("group")
    data[1][group] += "\u200b"  # pasted from a web page: looks the same, and split the group in two
    data[2][group] = "\u200b" + data[2][group]
    write_rows(ws, "budget", data)
    pd.testing.assert_frame_equal(load(ws).budget, before)


# ---------------------------------------------------------------- workbooks: which sheet, and what it shows


def _workbook(ws: Path, table: str, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, data in sheets.items():
        sheet = book.create_sheet(title)
        for values in data:
            sheet.append([_cell(v) for v in values])
        if title in hidden:
            sheet.sheet_state = "hidden"
    path = ws / FOLDER / f"{table}.xlsx"
    book.save(path)
    (ws / FOLDER / f"{table}.csv").unlink(missing_ok=True)
    return path


def _cell(value: str):
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return float(value)
    return value or None


def test_the_table_is_read_from_the_sheet_with_its_header_not_the_first(ws):
    before = load(ws).unit_costs
    data = rows(ws, "unit_costs")
    _workbook(ws, "unit_costs", {"Notes": [["About this file"], ["Unit costs from the finance system"]], "Empty": [],
                                 "unit_costs": data})
    pd.testing.assert_frame_equal(load(ws).unit_costs, before)


def test_two_sheets_with_the_table_are_refused_not_guessed_between(ws):
    data = rows(ws, "unit_costs")
    _workbook(ws, "unit_costs", {"2023 archive": data, "current": data})
    [problem] = [p for p in problems_of(ws) if p.file == f"{FOLDER}/unit_costs.xlsx"]
    assert "'2023 archive'" in problem.message and "'current'" in problem.message and problem.fix


def test_a_hidden_sheet_is_not_read_instead_of_the_visible_one(ws):
    data = rows(ws, "unit_costs")
    old = [data[0]] + [r[:4] + [str(float(r[4]) / 2)] + r[5:] for r in data[1:]]
    before = load(ws).unit_costs
    _workbook(ws, "unit_costs", {"old": old, "unit_costs": data}, hidden=("old",))
    pd.testing.assert_frame_equal(load(ws).unit_costs, before)
    _workbook(ws, "unit_costs", {"old": old, "notes": [["nothing here"]]}, hidden=("old",))
    [problem] = [p for p in problems_of(ws) if p.file == f"{FOLDER}/unit_costs.xlsx"]
    assert "hidden sheet 'old'" in problem.message and "unhide" in problem.fix


def test_hidden_rows_are_refused_with_their_row_numbers(ws):
    from openpyxl import load_workbook

    path = _workbook(ws, "unit_costs", {"unit_costs": rows(ws, "unit_costs")})
    book = load_workbook(path)
    for row in (4, 5):
        book.active.row_dimensions[row].hidden = True  # as a filter leaves them
    book.save(path)
    [problem] = [p for p in problems_of(ws) if p.file == f"{FOLDER}/unit_costs.xlsx"]
    assert problem.line == 4 and "rows 4, 5" in problem.message and "hidden" in problem.message


def test_a_cell_formatted_as_a_percentage_is_refused(ws):
    from openpyxl import load_workbook

    path = _workbook(ws, "indicators", {"indicators": rows(ws, "indicators")})
    book = load_workbook(path)
    cell = book.active.cell(row=3, column=4)
    cell.value, cell.number_format = 0.45, "0%"  # the sheet shows 45%, the cell holds 0.45
    book.save(path)
    [problem] = [p for p in problems_of(ws) if p.file == f"{FOLDER}/indicators.xlsx"]
    assert problem.line == 3 and problem.field == "value" and "45%" in problem.message and "0.45" in problem.message


def _save_results(path: Path, results: dict[str, float]) -> None:
    """Store formula results in the file, as Excel does on saving (openpyxl writes formulas without them)."""
    import zipfile

    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, value in results.items():
        sheet = re.sub(rf'(<c r="{ref}"[^>]*>)<f>([^<]*)</f><v\s*/?>(?:</v>)?', rf"\1<f>\2</f><v>{value}</v>", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as book:
        for name, content in parts.items():
            book.writestr(name, content)


def _providers_workbook_with_row(ws, name: str, capacity: str, occupied: str):
    """providers.xlsx with one more row: (its path, that row's number, the rows it was made from)."""
    from openpyxl import load_workbook

    data = rows(ws, "providers")
    path = _workbook(ws, "providers", {"providers": data})
    book = load_workbook(path)
    sheet = book.active
    last = sheet.max_row + 1
    for column, value in enumerate(["NS-9999", name, *data[1][2:6], capacity, occupied, "Good"], start=1):
        sheet.cell(row=last, column=column, value=value)
    book.save(path)
    return path, last, data


def test_a_totals_row_made_by_a_sum_formula_is_refused(ws):
    path, last, data = _providers_workbook_with_row(ws, "All homes", "=SUM(G2:G5)", "=H2+H3+H4")
    capacity = sum(int(r[6]) for r in data[1:5])
    _save_results(path, {f"G{last}": capacity, f"H{last}": sum(int(r[7]) for r in data[1:4])})
    found = [p for p in problems_of(ws) if p.file == f"{FOLDER}/providers.xlsx"]
    assert {p.field for p in found} >= {"capacity", "occupied"} and all(p.line == last for p in found)
    assert "=SUM(G2:G5)" in next(p.message for p in found if p.field == "capacity")


@pytest.mark.parametrize("column", ["unit_cost", "comparator_average"])
def test_a_unit_cost_of_zero_is_refused(ws, column):
    # a comparator of £0 printed "£868.40 (not available) above the comparator average of £0"
    line = set_cell(ws, "unit_costs", 2, column, "0")
    problem = one(problems_of(ws), "unit_costs", column)
    assert problem.line == line and "is 0" in problem.message and "empty" in problem.fix


def test_a_totals_row_refused_by_its_year_or_age_band_is_called_one(ws):
    data = rows(ws, "population") + [["CAS", "2025", "All ages", "female", "123456", "estimate"]]
    write_rows(ws, "population", data)
    problem = one(problems_of(ws), "population", "age_band")
    assert "totals row" in problem.fix and "use one of: 0-17" in problem.fix
    data = rows(ws, "service_users") + [["Total", "", "", "", "8123", ""]]
    write_rows(ws, "service_users", data)
    problem = one(problems_of(ws), "service_users", "year")
    assert problem.line == len(data) and "totals row" in problem.fix


def test_an_excel_table_totals_row_is_refused(ws):
    path, last, _ = _providers_workbook_with_row(ws, "Homes", "=SUBTOTAL(109,Table1[capacity])",
                                                  "=SUBTOTAL(109,Table1[occupied])")
    _save_results(path, {f"G{last}": 1000, f"H{last}": 900})
    found = [p for p in problems_of(ws) if p.file == f"{FOLDER}/providers.xlsx"]
    assert {p.field for p in found} == {"capacity", "occupied"} and "adds up other rows" in found[0].message
