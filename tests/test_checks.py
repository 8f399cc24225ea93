"""The semantic checks of `validate` (checks.py), and the law they serve: an input that passes
`validate` never fails a section. The law is tested with generated mutations of a small workspace:
for each, either validate reports a problem naming its file, or every section function the
notebooks call runs without an error."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from strategy_docs.sections import content as sections
from strategy_docs.build.pipeline import validate
from strategy_docs.inputs.checks import did_you_mean
from strategy_docs.errors import ValidationError
from strategy_docs.inputs.workspace import Workspace

from .conftest import REPO, copy_workspace, edit_yaml
from .robust_support import AUTHORITY, GROUP, prune

FOLDER = f"data/{AUTHORITY}"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return prune(copy_workspace(tmp_path / "ws"))


def read(ws: Path, table: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((ws / FOLDER / f"{table}.csv").read_text(encoding="utf-8"))))


def write(ws: Path, table: str, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (ws / FOLDER / f"{table}.csv").write_text(buffer.getvalue(), encoding="utf-8")


def problems(ws: Path) -> list:
    with pytest.raises(ValidationError) as info:
        validate(Workspace(ws))
    return info.value.problems


def mine(found: list, file: str, field: str | None = None) -> list:
    return [p for p in found if p.file == file and (field is None or p.field == field)]


# ---------------------------------------------------------------- totals rows


def test_a_total_line_in_the_budget_is_refused(ws):
    rows = read(ws, "budget")
    head = rows[0]
    rows.append(["2026/27", GROUP, "Income", "Total", "5806000"])
    write(ws, "budget", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/budget.csv")
    assert problem.line == len(rows) and problem.field == "line"
    assert "total" in problem.message and "remove the row" in problem.fix
    assert head[3] == "line"


def test_a_line_equal_to_the_sum_of_its_group_is_refused(ws):
    rows = read(ws, "budget")
    head = rows[0]
    year, group = "2026/27", None
    lines = [r for r in rows[1:] if r[0] == year and r[1] == GROUP]
    by_group: dict[str, list[float]] = {}
    for r in lines:
        by_group.setdefault(r[2], []).append(float(r[4]))
    group, amounts = next((g, a) for g, a in by_group.items() if len(a) >= 3)
    rows.append([year, GROUP, group, "Everything in this group", str(sum(amounts))])
    write(ws, "budget", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/budget.csv", "amount")
    assert problem.line == len(rows) and f"sum of the other {len(amounts)} lines in its group" in problem.message
    assert head[4] == "amount"


def test_a_line_that_happens_to_equal_two_others_is_only_a_warning(ws):
    rows = read(ws, "budget")
    year = min(r[0] for r in rows[1:])  # an earlier year: a later one would leave the plan's spend tests no group
    rows.append([year, GROUP, "Carers", "Respite", "50000"])
    rows.append([year, GROUP, "Carers", "Sitting service", "50000"])
    rows.append([year, GROUP, "Carers", "Carers' centre", "100000"])
    write(ws, "budget", rows)
    params = validate(Workspace(ws))
    [warning] = [p for p in params.warnings if p.file == f"{FOLDER}/budget.csv"]
    assert warning.severity == "warning" and warning.line == len(rows) and "sum of the other 2 lines" in warning.message


def test_real_budget_lines_are_not_mistaken_for_totals(ws):
    validate(Workspace(ws))  # the example's budget has groups of two or more lines and no totals


# ---------------------------------------------------------------- ids known to params


def test_a_misspelt_indicator_id_suggests_the_right_one(ws):
    rows = read(ws, "indicators")
    index = next(i for i, r in enumerate(rows) if r[0] == GROUP and "-" in r[1])
    right = rows[index][1]
    rows[index][1] = right.replace("-", "", 1)
    write(ws, "indicators", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/indicators.csv", "indicator_id")
    assert problem.line == index + 1
    assert f"did you mean {right!r}?" in problem.fix


def test_a_misspelt_service_type_suggests_the_right_one(ws):
    rows = read(ws, "service_users")
    index = next(i for i, r in enumerate(rows) if r[1] == GROUP)
    right = rows[index][2]
    rows[index][2] = right + "s"
    write(ws, "service_users", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/service_users.csv", "service_type")
    assert problem.line == index + 1 and f"did you mean {right!r}?" in problem.fix


def test_a_misspelt_area_code_suggests_the_right_one(ws):
    rows = read(ws, "providers")
    col = rows[0].index("area_code")
    right = rows[1][col]
    rows[1][col] = right.lower()
    write(ws, "providers", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/providers.csv", "area_code")
    assert problem.line == 2 and f"did you mean {right!r}?" in problem.fix


def test_did_you_mean_only_when_something_is_close():
    assert did_you_mean("Domiciliary cares", ["Domiciliary care", "Day services"]) == "did you mean 'Domiciliary care'? "
    assert did_you_mean("zzz", ["Domiciliary care"]) == ""


# ---------------------------------------------------------------- ranges by unit


def _indicator_of_unit(ws: Path, unit: str) -> str:
    strategy = yaml.safe_load((ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml").read_text())
    return next(i["id"] for i in strategy["indicators"] if i["unit"] == unit)


def test_a_percentage_above_100_is_refused(ws):
    ident = _indicator_of_unit(ws, "percent")
    rows = read(ws, "indicators")
    index = next(i for i, r in enumerate(rows) if r[0] == GROUP and r[1] == ident)
    rows[index][3] = "185"
    write(ws, "indicators", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/indicators.csv", "value")
    assert problem.line == index + 1 and "percentage" in problem.message and "185" in problem.message


def test_a_negative_count_indicator_is_refused(ws):
    strategy = yaml.safe_load((ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml").read_text())
    ident = next(i["id"] for i in strategy["indicators"] if i["unit"] != "percent" and i["unit"] not in ("score", "ratio", "pounds"))
    rows = read(ws, "indicators")
    index = next(i for i, r in enumerate(rows) if r[0] == GROUP and r[1] == ident)
    rows[index][4] = "-1443"
    write(ws, "indicators", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/indicators.csv", "comparator_average")
    assert problem.line == index + 1 and "-1443" in problem.message


def test_an_infinite_target_is_refused_with_its_line(ws):
    path = ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml"
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^(\s*)target: .*$", text, flags=re.M)
    line = text[: match.start()].count("\n") + 1
    path.write_text(text[: match.start()] + f"{match.group(1)}target: .inf" + text[match.end():], encoding="utf-8")
    [problem] = [p for p in problems(ws) if p.field.endswith("target")]
    assert problem.file == f"params/strategies/{AUTHORITY}/{GROUP}.yaml" and problem.line == line
    assert problem.field == "indicators[0].target"


# ---------------------------------------------------------------- what sections need


def test_a_prevalence_band_across_population_bands_names_them(ws):
    path = ws / "params" / "client-groups" / f"{GROUP}.yaml"
    edit_yaml(path, lambda d: d["measures"][0]["rates"][0].update(age_band="60-69"))
    found = mine(problems(ws), f"params/client-groups/{GROUP}.yaml", "measures[0].rates[0].age_band")
    assert len(found) == 1 and "'55-64'" in found[0].message and "60-69" in found[0].message


def test_a_client_group_without_service_users_rows_is_an_error(ws):
    rows = read(ws, "service_users")
    write(ws, "service_users", [rows[0]] + [r for r in rows[1:] if r[1] != GROUP])
    found = mine(problems(ws), f"{FOLDER}/service_users.csv", "client_group")
    assert found and GROUP in found[0].message and "no rows" in found[0].message


def test_zero_population_is_an_error_before_any_section_runs(ws):
    rows = read(ws, "population")
    col = rows[0].index("population")
    write(ws, "population", [rows[0]] + [r[:col] + ["0"] + r[col + 1:] for r in rows[1:]])
    found = mine(problems(ws), f"{FOLDER}/population.csv", "population")
    assert found and "spend per head" in found[0].message


def test_a_budget_with_no_expenditure_is_an_error(ws):
    edit_yaml(ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml", lambda d: d.pop("budget_totals", None))
    rows = read(ws, "budget")
    write(ws, "budget", [rows[0]] + [r[:4] + [str(-abs(float(r[4])))] for r in rows[1:]])
    found = mine(problems(ws), f"{FOLDER}/budget.csv", "amount")
    assert found and "no expenditure" in found[0].message


def test_a_missing_projection_year_is_an_error(ws):
    project = yaml.safe_load((ws / "params" / "project.yaml").read_text())
    edition = project["edition"]
    look_ahead = edition["start_year"] + edition.get("look_ahead_years", 17)
    rows = read(ws, "population")
    write(ws, "population", [rows[0]] + [r for r in rows[1:] if int(r[1]) != look_ahead])
    found = mine(problems(ws), f"{FOLDER}/population.csv", "year")
    assert found and str(look_ahead) in found[0].message


# ---------------------------------------------------------------- sources


def test_two_sources_for_one_table_are_both_named(ws):
    shutil.copy(ws / FOLDER / "budget.csv", ws / FOLDER / "budget.xlsx")
    [problem] = [p for p in problems(ws) if "two sources" in p.message]
    assert problem.file == f"{FOLDER}/budget.csv" and f"{FOLDER}/budget.xlsx" in problem.message


def test_two_sources_for_one_params_file_are_both_named(ws):
    authorities = ws / "params" / "authorities"
    shutil.copy(authorities / f"{AUTHORITY}.yaml", authorities / f"{AUTHORITY}.yml")
    [problem] = [p for p in problems(ws) if "two sources" in p.message]
    assert problem.file == f"params/authorities/{AUTHORITY}.yaml"
    assert f"params/authorities/{AUTHORITY}.yml" in problem.message


def test_a_project_file_linked_from_outside_is_refused(ws, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    shutil.move(ws / "params" / "project.yaml", outside)
    (ws / "params" / "project.yaml").symlink_to(outside)
    found = [p for p in problems(ws) if p.file == "params/project.yaml"]
    assert [p.message for p in found] == ["is a link to a file outside the workspace."]


def test_a_looping_link_is_reported_as_a_loop(ws):
    (ws / FOLDER / "budget.csv").unlink()
    (ws / FOLDER / "budget.csv").symlink_to("budget.csv")
    found = mine(problems(ws), f"{FOLDER}/budget.csv")
    assert len(found) == 1 and "loops" in found[0].message


def test_a_looping_project_file_is_reported_once_as_a_loop(ws):
    (ws / "params" / "project.yaml").unlink()
    (ws / "params" / "project.yaml").symlink_to("project.yaml")
    found = [p for p in problems(ws) if p.file == "params/project.yaml"]
    assert len(found) == 1 and "loops" in found[0].message


# ---------------------------------------------------------------- the law, with generated inputs

SECTION_FUNCTIONS = sorted(set(re.findall(r"sections\.(\w+)\(", "".join(
    p.read_text(encoding="utf-8") for p in (REPO / "notebooks").glob("*.ipynb")))) - {"load_document"})
TABLES = ("population", "service_users", "providers", "budget", "unit_costs", "indicators")
CONTROL = ["\x00", "\x01", "\x0b", "\x0c", "\x1f", "\u202e", "\ufffe"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return prune(copy_workspace(tmp_path_factory.mktemp("law") / "ws"))


def _mutate_table(ws: Path, draw) -> str:
    table = draw(st.sampled_from(TABLES))
    rows = read(ws, table)
    head, body = rows[0], rows[1:]
    kind = draw(st.sampled_from(["drop", "drop-group", "negate", "zero", "rename", "control", "total", "blank",
                                 "blank-column", "one-value", "duplicate"]))
    index = draw(st.integers(0, len(body) - 1))
    column = draw(st.integers(0, len(head) - 1))
    if kind == "drop":
        keep = draw(st.integers(0, 9))
        body = [r for i, r in enumerate(body) if i % 10 != keep]
    elif kind == "drop-group":  # every row of one value of one column: a client group, a year, a service type
        value = body[index][column]
        body = [r for r in body if r[column] != value]
    elif kind in ("negate", "zero"):
        numeric = [i for i, v in enumerate(body[index]) if re.fullmatch(r"-?\d+(\.\d+)?", v)]
        if not numeric:
            return f"{table}: nothing numeric"
        col = draw(st.sampled_from(numeric))
        rows_to_change = range(len(body)) if kind == "zero" else [index]
        for i in rows_to_change:
            if re.fullmatch(r"-?\d+(\.\d+)?", body[i][col]):
                body[i][col] = "0" if kind == "zero" else ("-" + body[i][col]).replace("--", "")
        column = col
    elif kind == "rename":
        body[index][column] = body[index][column] + draw(st.sampled_from(["s", " ", "x", "-2"]))
    elif kind == "control":
        value = body[index][column]
        at = draw(st.integers(0, len(value)))
        body[index][column] = value[:at] + draw(st.sampled_from(CONTROL)) + value[at:]
    elif kind == "total":
        total = list(body[index])
        total[column] = "Total"
        body.append(total)
    elif kind == "blank":
        body[index][column] = ""
    elif kind == "blank-column":
        for row in body:
            row[column] = ""
    elif kind == "one-value":  # every row given one row's value: one year, one sector, one sign...
        for row in body:
            row[column] = body[index][column]
    elif kind == "duplicate":
        body.insert(index, list(body[index]))
    write(ws, table, [head] + body)
    return f"{table}: {kind} row {index} column {head[column]}"


def _mutate_params(ws: Path, draw) -> str:
    kind = draw(st.sampled_from(["band", "target", "service-types", "age-range", "sex", "start-year", "unit",
                                 "no-totals", "no-totals"]))
    group_file = ws / "params" / "client-groups" / f"{GROUP}.yaml"
    strategy_file = ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml"
    if kind == "band":
        band = draw(st.sampled_from(["60-69", "65-74", "66-70", "90+", "18-24", "0-17"]))
        edit_yaml(group_file, lambda d: d["measures"][0]["rates"][0].update(age_band=band))
        return f"band {band}"
    if kind == "target":
        value = draw(st.sampled_from([float("inf"), float("nan"), -5.0, 150.0, 0.0]))
        edit_yaml(strategy_file, lambda d: d["indicators"][0].update(target=value))
        return f"target {value}"
    if kind == "service-types":
        edit_yaml(group_file, lambda d: d["measures"][0].update(service_types=["Nothing of the kind"]))
        return "service types"
    if kind == "no-totals":  # stated totals catch most budget damage: without them the checks must
        edit_yaml(strategy_file, lambda d: d.pop("budget_totals", None))
        return "no budget_totals"
    if kind == "sex":
        sex = draw(st.sampled_from(["all", "male", "female"]))
        edit_yaml(group_file, lambda d: d["measures"][0]["rates"][0].update(sex=sex))
        return f"sex {sex}"
    if kind == "start-year":
        year = draw(st.sampled_from([2020, 2024, 2027, 2030, 2045]))
        edit_yaml(ws / "params" / "project.yaml", lambda d: d["edition"].update(start_year=year))
        return f"start year {year}"
    if kind == "unit":
        unit = draw(st.sampled_from(["percent", "count", "pounds", "score"]))
        edit_yaml(strategy_file, lambda d: [i.update(unit=unit) for i in d["indicators"]])
        return f"unit {unit}"
    low = draw(st.sampled_from([18, 60, 65, 70, 100]))
    edit_yaml(group_file, lambda d: d.update(age_range={"min": low}))
    return f"age range {low}+"


@settings(max_examples=int(os.environ.get("LAW_EXAMPLES", "15")), deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking:
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # each example copies a workspace
@given(data=st.data())
def test_input_that_passes_validate_never_fails_a_section(base, data):
    folder = Path(tempfile.mkdtemp(prefix="law-"))
    try:
        ws = folder / "ws"
        for name in ("params", "data"):
            shutil.copytree(base / name, ws / name)
        draws = data.draw(st.integers(1, 2), label="mutations")
        done = [(_mutate_table if data.draw(st.booleans()) else _mutate_params)(ws, data.draw) for _ in range(draws)]
        try:
            validate(Workspace(ws))
        except ValidationError as exc:
            assert exc.problems, done
            for problem in exc.problems:
                assert problem.file and problem.message, (done, str(problem))
            return
        doc = sections.load_document(ws, AUTHORITY, GROUP)
        for name in SECTION_FUNCTIONS:
            try:
                getattr(sections, name)(doc)
            except Exception as exc:  # noqa: BLE001 - the law: nothing that validated may fail here
                pytest.fail(f"after {done}, validate passed but sections.{name} raised {type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_percentage_target_above_100_is_refused_with_its_line(ws):
    path = ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml"
    strategy = yaml.safe_load(path.read_text())
    index = next(i for i, ind in enumerate(strategy["indicators"]) if ind["unit"] == "percent")
    edit_yaml(path, lambda d: d["indicators"][index].update(target=150))
    text = path.read_text().splitlines()
    line = [n for n, t in enumerate(text, 1) if t.strip() == "target: 150"][0]
    [problem] = [p for p in problems(ws) if p.field == f"indicators[{index}].target"]
    assert problem.line == line and "percentage" in problem.message


def test_a_measure_linking_an_unknown_service_type_suggests_the_right_one(ws):
    path = ws / "params" / "client-groups" / f"{GROUP}.yaml"
    group = yaml.safe_load(path.read_text())
    index = next(i for i, m in enumerate(group["measures"]) if m.get("service_types"))
    right = group["measures"][index]["service_types"][0]
    edit_yaml(path, lambda d: d["measures"][index]["service_types"].__setitem__(0, right + "s"))
    [problem] = [p for p in problems(ws) if p.field == f"measures[{index}].service_types[0]"]
    assert problem.file == f"params/client-groups/{GROUP}.yaml" and problem.line is not None
    assert f"did you mean {right!r}?" in problem.fix


# ---------------------------------------------------------------- totals the labels do not give away


def _without_stated_totals(ws: Path) -> None:
    """The stated totals catch most budget damage; these checks must catch it without them."""
    edit_yaml(ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml", lambda d: d.pop("budget_totals", None))


def test_a_gross_expenditure_row_is_refused(ws):
    # income lines make the gross figure differ from the sum of all the other lines, so it was not seen
    _without_stated_totals(ws)
    rows = read(ws, "budget")
    spending = [float(r[4]) for r in rows[1:] if r[0] == "2026/27" and r[1] == GROUP and float(r[4]) > 0]
    assert any(float(r[4]) < 0 for r in rows[1:] if r[0] == "2026/27" and r[1] == GROUP)
    rows.append(["2026/27", GROUP, "Summary", "Gross expenditure", str(sum(spending))])
    write(ws, "budget", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/budget.csv", "amount")
    assert problem.line == len(rows) and f"other {len(spending)} lines for the year that are spending" in problem.message


def test_a_total_income_row_is_refused(ws):
    _without_stated_totals(ws)
    rows = read(ws, "budget")
    income = [float(r[4]) for r in rows[1:] if r[0] == "2026/27" and r[1] == GROUP and float(r[4]) < 0]
    rows.append(["2026/27", GROUP, "Funding", "Income from all sources", str(sum(income))])
    write(ws, "budget", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/budget.csv", "amount")
    assert problem.line == len(rows) and "that are income" in problem.message


def test_a_providers_row_adding_up_the_others_is_refused(ws):
    rows = read(ws, "providers")
    part = [r for r in rows[1:] if r[2] == GROUP and r[3] == "Residential care"]
    rows.append(["NS-9999", "Northshire care homes", GROUP, "Residential care", "private", part[0][5],
                 str(sum(int(r[6]) for r in part)), str(sum(int(r[7]) for r in part)), "Good"])
    write(ws, "providers", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/providers.csv")
    assert problem.line == len(rows) and f"sums of the other {len(part)} rows" in problem.message


@pytest.mark.parametrize("label", ["England", "Wales average", "Overall"])
def test_a_nation_or_an_average_is_a_totals_row(ws, label):
    rows = read(ws, "providers")
    rows.append(["NS-9998", label, *rows[1][2:]])
    write(ws, "providers", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/providers.csv", "provider_name")
    assert problem.line == len(rows) and "total" in problem.message and "budget_totals" not in problem.fix


# ---------------------------------------------------------------- one label written two ways


def test_a_budget_group_written_two_ways_is_refused(ws):
    _without_stated_totals(ws)  # the group was shown twice, each with part of its lines and a subtotal of them
    rows = read(ws, "budget")
    index = next(i for i, r in enumerate(rows) if r[0] == "2026/27" and r[1] == GROUP)
    original = rows[index][2]
    rows[index][2] = original.lower().replace(" ", "  ", 1)
    write(ws, "budget", rows)
    found = mine(problems(ws), f"{FOLDER}/budget.csv", "group")
    assert found and found[0].line == index + 2 and repr(rows[index][2]) in found[0].message
    assert all(original in p.message for p in found)


def test_a_provider_id_written_two_ways_is_refused(ws):
    rows = read(ws, "providers")
    ids = [r[0] for r in rows[1:]]
    index = next(i for i, r in enumerate(rows) if i and ids.count(r[0]) > 1 and r[0] != r[0].lower())
    later = next(i for i in range(index + 1, len(rows)) if rows[i][0] == rows[index][0])
    rows[later][0] = rows[later][0].lower()  # one firm counted as two in the concentration measure
    write(ws, "providers", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/providers.csv", "provider_id")
    assert problem.line == later + 1 and f"(row {index + 1})" in problem.message


# ---------------------------------------------------------------- years that have not happened, people left out


def test_a_count_of_people_for_a_future_year_is_refused(ws):
    rows = read(ws, "service_users")
    rows.append(["2031", *next(r for r in rows[1:] if r[1] == GROUP)[1:]])
    write(ws, "service_users", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/service_users.csv", "year")
    assert problem.line == len(rows) and "31 March 2031" in problem.message


def test_an_indicator_value_for_a_future_year_is_refused(ws):
    rows = read(ws, "indicators")
    rows.append([*next(r for r in rows[1:] if r[0] == GROUP)[:2], "2030/31", "50", ""])
    write(ws, "indicators", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/indicators.csv", "period")
    assert problem.line == len(rows) and "2030/31" in problem.message


def test_a_locality_missing_from_the_population_is_refused(ws):
    rows = read(ws, "population")
    write(ws, "population", [rows[0]] + [r for r in rows[1:] if r[0] != "CAS"])  # need was 17% lower, without a word
    [problem] = mine(problems(ws), f"{FOLDER}/population.csv")
    assert "locality CAS" in problem.message and problem.fix


def test_an_age_band_missing_from_one_year_of_the_population_is_refused(ws):
    rows = read(ws, "population")
    write(ws, "population", [rows[0]] + [r for r in rows[1:] if not (r[0] == "KIN" and r[1] == "2028" and r[2] == "85+")])
    [problem] = mine(problems(ws), f"{FOLDER}/population.csv")
    assert "KIN" in problem.message and "2028" in problem.message and "85+ female, 85+ male" in problem.message


# ---------------------------------------------------------------- percentages written as fractions


def test_a_percentage_written_as_a_fraction_is_refused(ws):
    strategy = yaml.safe_load((ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml").read_text())
    ident = next(i["id"] for i in strategy["indicators"] if i["unit"] == "percent" and (i.get("target") or 0) > 10)
    rows = read(ws, "indicators")
    index = max(i for i, r in enumerate(rows) if r[0] == GROUP and r[1] == ident)
    value = float(rows[index][3])
    rows[index][3] = str(value / 100)  # 0.83 for 83%: in range, and rated against a target of 83
    write(ws, "indicators", rows)
    [problem] = mine(problems(ws), f"{FOLDER}/indicators.csv", "value")
    assert problem.line == index + 1 and "fraction" in problem.message and f"{value:g} for {value:g}%" in problem.fix


def test_small_real_percentages_are_not_taken_for_fractions(ws):
    strategy = yaml.safe_load((ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml").read_text())
    ident = next(i["id"] for i in strategy["indicators"] if i["unit"] == "percent" and (i.get("target") or 99) < 10)
    rows = read(ws, "indicators")
    index = max(i for i, r in enumerate(rows) if r[0] == GROUP and r[1] == ident)
    rows[index][3] = "0.9"  # a real fall, a quarter of the target: not a fraction
    write(ws, "indicators", rows)
    validate(Workspace(ws))


# ---------------------------------------------------------------- files named almost like a table


@pytest.mark.parametrize("name", ["Budget.csv", "budget.CSV", "budgets.csv", "budget (1).csv", "budget.xls", "unit-costs.csv"])
def test_a_table_file_named_almost_right_is_named_not_left_out(ws, name):
    # without stated totals, the budget (or unit costs) section was left out without a word
    _without_stated_totals(ws)
    table = "unit_costs" if "unit" in name else "budget"
    (ws / FOLDER / f"{table}.csv").rename(ws / FOLDER / name)
    [problem] = mine(problems(ws), f"{FOLDER}/{name}")
    assert "is not read" in problem.message and f"{table}.csv or {table}.xlsx" in problem.message
    assert (f"save it as {table}.xlsx" if name.endswith(".xls") else f"rename it {table}.csv") in problem.fix


def test_a_data_folder_named_almost_like_its_authority_is_named(ws):
    (ws / "data" / AUTHORITY).rename(ws / "data" / AUTHORITY.capitalize())
    found = mine(problems(ws), f"data/{AUTHORITY.capitalize()}")
    assert len(found) == 1 and f"rename the folder to data/{AUTHORITY}" in found[0].fix


def test_other_files_beside_the_tables_are_not_questioned(ws):
    for name in ("README.md", "budget_2019_archive.csv", "notes.txt", "~$budget.xlsx"):
        (ws / FOLDER / name).write_text("x\n", encoding="utf-8")
    validate(Workspace(ws))


def test_a_linked_service_type_missing_from_the_latest_year_is_refused(ws):
    # known to services at 31 March 2025 counted residential care only, and unmet need grew by the nursing care users
    rows = read(ws, "service_users")
    write(ws, "service_users", [r for r in rows if not (r[0] == "2025" and r[1] == GROUP and r[2] == "Nursing care")])
    [problem] = mine(problems(ws), f"{FOLDER}/service_users.csv", "service_type")
    assert "in 2025" in problem.message and "Nursing care" in problem.message and "for 2024" in problem.message


# ---------------------------------------------------------------- hypothesis tests against the data


def _test_of(ws: Path, hypothesis_id: str, **test) -> None:
    def change(d):
        [h] = [h for h in d["hypotheses"] if h["id"] == hypothesis_id]
        h["test"].update(test)
    edit_yaml(ws / STRATEGY_FILE, change)


STRATEGY_FILE = f"params/strategies/{AUTHORITY}/{GROUP}.yaml"


def test_a_misspelt_budget_group_in_a_test_is_an_error_not_an_inconclusive_verdict(ws):
    _test_of(ws, "H6", args={"group": "Residential and nursing"})
    [p] = mine(problems(ws), STRATEGY_FILE, "hypotheses[H6].test.args.group")
    assert p.message == "the budget has no group 'Residential and nursing'." and p.line is not None
    assert p.fix.startswith("did you mean 'Residential and nursing care'?")


def test_a_test_year_outside_the_population_data_is_an_error(ws):
    _test_of(ws, "H1", args={"measure": "dementia", "from_year": 2026, "to_year": 2060})
    [p] = mine(problems(ws), STRATEGY_FILE, "hypotheses[H1].test.args.to_year")
    assert p.message == "asks for 2060, but the population data covers 2025 to 2045."


def test_a_change_over_no_time_is_an_error(ws):
    _test_of(ws, "H1", args={"measure": "dementia", "from_year": 2030, "to_year": 2030})
    [p] = mine(problems(ws), STRATEGY_FILE, "hypotheses[H1].test.args.to_year")
    assert "from 2030 to 2030" in p.message and "after from_year" in p.fix


def test_a_test_of_an_indicator_with_no_figures_is_an_error(ws):
    def change(d):
        d["indicators"].append({"id": "new-measure", "name": "A measure with no figures yet"})
        [h] = [h for h in d["hypotheses"] if h["id"] == "H6"]
        h["test"] = {"metric": "indicator_latest", "args": {"indicator_id": "new-measure"}, "comparison": ">",
                     "threshold": 5}
    edit_yaml(ws / STRATEGY_FILE, change)
    [p] = mine(problems(ws), STRATEGY_FILE, "hypotheses[H6].test.args.indicator_id")
    assert "'new-measure' has no figures" in p.message


def test_a_test_whose_table_is_not_supplied_is_an_error(tmp_path):
    from .test_minimal_plan import STRATEGY, minimal_workspace

    plan = {**STRATEGY, "hypotheses": [{"id": "H1", "statement": "Homes are full.",
                                        "test": {"metric": "occupancy_percent", "comparison": ">", "threshold": 90}}]}
    [p] = [p for p in problems(minimal_workspace(tmp_path / "ws", plan)) if p.severity == "error"]
    assert p.field == "hypotheses[H1].test.metric"
    assert p.message == "the metric 'occupancy_percent' is worked out from data/wolds/providers.csv, which is not supplied."
