"""Summaries across authorities: the practice guidance's Table 13, row for row, from params and data.

Table 13 (WAG practice guidance, 2010; /work/shared/seeds/003_57956d1f9784ecbf.txt lines 2404-2431)
applies 0.053% to each Welsh authority's 70+ population. The expected rows below are the table's
own right-hand column; the Wales row is 197 (0.053% of 371,477 = 196.88, rounded once) while the
rounded rows add up to 196. tests/fixtures/table13 holds the 22 published populations.
"""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from strategy_docs.build import pipeline as build_module
from strategy_docs.analysis.summary import population_in_band, rate_summary, total_note
from strategy_docs.errors import ValidationError
from strategy_docs.inputs.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "table13"

# (authority as printed, population aged 70+, estimate as printed): Table 13, in its order.
TABLE_13 = [
    ("Isle of Anglesey", 9425, 5), ("Gwynedd", 16437, 9), ("Conwy", 18989, 10), ("Denbighshire", 14052, 7),
    ("Flintshire", 16223, 9), ("Wrexham", 14960, 8), ("Powys", 19165, 10), ("Ceredigion", 10552, 6),
    ("Pembrokeshire", 16511, 9), ("Carmarthenshire", 25019, 13), ("Swansea", 29812, 16),
    ("Neath Port Talbot", 17928, 10), ("Bridgend", 15574, 8), ("The Vale of Glamorgan", 15027, 8),
    ("Cardiff", 32409, 17), ("Rhondda, Cynon, Taff", 27064, 14), ("Merthyr Tydfil", 6345, 3),
    ("Caerphilly", 18608, 10), ("Blaenau Gwent", 8380, 4), ("Torfaen", 11354, 6), ("Monmouthshire", 11702, 6),
    ("Newport", 15941, 8),
]
WALES_POPULATION = 371477  # the table's Wales row
WALES_ROUNDED_TOTAL = 197  # the table's Wales row
SUM_OF_ROUNDED_ROWS = 196  # 5+9+10+7+9+8+10+6+9+13+16+10+8+8+17+14+3+10+4+6+6+8


# ---------------------------------------------------------------- the computation


def test_table_13_rows_and_both_totals():
    populations = {name: pop for name, pop, _ in TABLE_13}
    for convention, expected_total in (("rounded_total", WALES_ROUNDED_TOTAL),
                                       ("sum_of_rounded_rows", SUM_OF_ROUNDED_ROWS)):
        summary = rate_summary(populations, 0.053, decimals=0, total=convention)
        assert list(summary.rows["name"]) == [name for name, _, _ in TABLE_13]
        assert list(summary.rows["estimate"]) == [estimate for _, _, estimate in TABLE_13]
        assert summary.total_population == WALES_POPULATION
        assert summary.rounded_total == WALES_ROUNDED_TOTAL
        assert summary.sum_of_rounded_rows == SUM_OF_ROUNDED_ROWS
        assert summary.total == expected_total


def test_rounding_is_half_up_on_exact_decimals():
    # 0.053% of 9,434 is 4.99999...; of 1,000 exactly 0.53; 50% of 5 is exactly 2.5 -> 3, not 2 (banker's).
    summary = rate_summary({"a": 5, "b": 1000}, 50, total="sum_of_rounded_rows")
    assert list(summary.rows["estimate"]) == [3, 500]
    one_decimal = rate_summary({"a": 9425}, 0.053, decimals=1)
    assert list(one_decimal.rows["estimate"]) == [5.0]  # 4.99525 -> 5.0
    assert rate_summary({"a": 9425}, 0.053, decimals=2).rows["estimate"][0] == 5.0  # 4.99525 -> 5.00
    assert rate_summary({"a": 9425}, 0.053, decimals=3).rows["estimate"][0] == 4.995  # 4.99525 -> 4.995


def test_the_note_states_the_convention_and_the_other_total():
    populations = {name: pop for name, pop, _ in TABLE_13}
    rounded = total_note(rate_summary(populations, 0.053, total="rounded_total"), "Wales")
    assert "rounded once" in rounded and "not the sum of the rounded rows" in rounded
    assert "add up to 196" in rounded
    summed = total_note(rate_summary(populations, 0.053, total="sum_of_rounded_rows"), "Wales")
    assert "the sum of the rounded rows" in summed and "gives 197" in summed
    agree = total_note(rate_summary({"a": 1000, "b": 1000}, 1, total="rounded_total"), "X")
    assert "add up to" not in agree  # 10 + 10 = 20 either way: nothing more to say


def _population(rows):
    return pd.DataFrame(rows, columns=["area_code", "year", "age_band", "sex", "population", "basis"])


def test_population_band_as_published_or_from_narrower_bands():
    published = _population([("a", None, "70+", "persons", 9425, None)])
    assert population_in_band(published, "70+") == 9425
    split = _population([
        ("a", 2024, "65-69", "female", 100, "estimate"), ("a", 2024, "65-69", "male", 90, "estimate"),
        ("a", 2024, "70-74", "female", 50, "estimate"), ("a", 2024, "70-74", "male", 40, "estimate"),
        ("b", 2024, "70-74", "female", 5, "estimate"), ("b", 2024, "70-74", "male", 4, "estimate"),
        ("a", 2024, "75+", "female", 30, "estimate"), ("a", 2024, "75+", "male", 20, "estimate"),
    ])
    assert population_in_band(split, "70+", 2024) == 50 + 40 + 5 + 4 + 30 + 20
    assert population_in_band(split, "70+", 2024, sex="female") == 50 + 5 + 30
    assert population_in_band(split, "65-74", 2024) == 100 + 90 + 50 + 40 + 5 + 4


def test_population_band_refuses_to_guess():
    gap = _population([("a", 2024, "70-74", "persons", 10, "estimate"), ("a", 2024, "80+", "persons", 5, "estimate")])
    with pytest.raises(ValueError, match="do not cover it exactly"):
        population_in_band(gap, "70+", 2024)
    straddle = _population([("a", 2024, "65-74", "persons", 10, "estimate"), ("a", 2024, "75+", "persons", 5, "estimate")])
    with pytest.raises(ValueError, match="do not cover it exactly"):
        population_in_band(straddle, "70+", 2024)
    one_sex = _population([("a", 2024, "70+", "female", 10, "estimate")])
    with pytest.raises(ValueError, match="not both sexes"):
        population_in_band(one_sex, "70+", 2024)
    disagree = _population([("a", 2024, "70+", "female", 10, "estimate"), ("a", 2024, "70+", "male", 10, "estimate"),
                             ("a", 2024, "70+", "persons", 25, "estimate")])
    with pytest.raises(ValueError, match="is not female \\+ male"):
        population_in_band(disagree, "70+", 2024)
    years = _population([("a", 2023, "70+", "persons", 10, "estimate"), ("a", 2024, "70+", "persons", 11, "estimate")])
    with pytest.raises(ValueError, match="several years"):
        population_in_band(years, "70+")
    assert population_in_band(years, "70+", 2024) == 11


# ---------------------------------------------------------------- the workspace, validated and built


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURE, root)
    for folder in ("notebooks", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    return Workspace(root)


def _summary_file(ws: Workspace) -> Path:
    return ws.params / "summaries" / "older-carers.yaml"


def _edit_summary(ws: Workspace, **changes) -> None:
    path = _summary_file(ws)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _html(ws: Workspace) -> str:
    return (ws.build / "2010-11" / "_summaries" / "older-carers.html").read_text(encoding="utf-8")


def _table(html: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], str]:
    """(body rows, footer rows, notes) of the summary table, as text."""
    table = re.search(r"<table[^>]*>.*?</table>", html[html.index("<main"):], re.S).group(0)

    def rows(part: str) -> list[tuple[str, ...]]:
        found = re.search(fr"<{part}>(.*?)</{part}>", table, re.S)
        return [tuple(unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S))
                for r in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)] if found else []

    text = unescape(re.sub(r"<[^>]+>", " ", html[html.index("<main"):html.index("</main>")]))
    return rows("tbody"), rows("tfoot"), " ".join(text.split())


def _build(ws: Workspace, force: bool = False):
    return build_module.build(ws, build_module.BuildOptions(jobs=1, executor="serial", force=force))


def test_table_13_reproduced_row_for_row_from_params_and_data(ws: Workspace):
    build_module.validate(ws)
    report = _build(ws)
    assert report.ok and [j.id for j in report.summaries] == ["older-carers"]
    body, footer, text = _table(_html(ws))
    assert body == [(name, f"{pop:,}", str(estimate)) for name, pop, estimate in TABLE_13]
    assert footer == [("Wales", "371,477", "197")]
    assert "The Wales total is the estimate for the whole population of Wales, rounded once" in text
    assert "The rounded rows add up to 196." in text
    assert "Table 13: Prevalence rate of older carers aged 70+" in text
    # Real published figures: their provenance is shown, and no synthetic-data notice anywhere.
    assert "Appendix 1, Table 13; year and basis not stated" in text
    shown = _html(ws).split("</style>")[-1]  # past the stylesheets, which name the notice's class
    assert "synthetic" not in shown.lower()
    index = (ws.build / "index.html").read_text(encoding="utf-8")
    assert 'href="2010-11/_summaries/older-carers.html"' in index and "Wales" in index


def test_sum_of_rounded_rows_convention(ws: Workspace):
    _edit_summary(ws, total="sum_of_rounded_rows")
    assert _build(ws).ok
    body, footer, text = _table(_html(ws))
    assert [row[2] for row in body] == [str(e) for _, _, e in TABLE_13]
    assert footer == [("Wales", "371,477", "196")]
    assert "The Wales total is the sum of the rounded rows. Rounding the estimate for the whole population of Wales once gives 197." in text


def test_incremental_summary_publishes_what_a_forced_build_would(ws: Workspace):
    assert _build(ws).ok
    first = _html(ws)
    again = _build(ws)
    assert again.summaries == []  # up to date: not rendered again
    assert _html(ws) == first
    # An edit of one authority's data shows, and matches a forced build byte for byte.
    cardiff = ws.data / "cardiff" / "population.csv"
    cardiff.write_text(cardiff.read_text(encoding="utf-8").replace("32409", "33000"), encoding="utf-8")
    assert [j.id for j in _build(ws).summaries] == ["older-carers"]
    incremental = _html(ws)
    body, footer, _ = _table(incremental)
    assert ("Cardiff", "33,000", "17") in body  # 17.49 -> 17
    assert footer == [("Wales", f"{WALES_POPULATION - 32409 + 33000:,}", "197")]  # 372,068 x 0.053% = 197.20
    assert _build(ws, force=True).ok
    assert _html(ws) == incremental


def test_authorities_default_to_the_matrix(ws: Workspace):
    data = yaml.safe_load(_summary_file(ws).read_text(encoding="utf-8"))
    data.pop("authorities")
    _summary_file(ws).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert _build(ws).ok
    body, footer, _ = _table(_html(ws))
    assert [row[0] for row in body][:2] == ["Blaenau Gwent", "Bridgend"]  # blaenau-gwent, bridgend, ...
    assert len(body) == 22 and footer == [("Wales", "371,477", "197")]


def test_problems_name_file_field_and_fix(ws: Workspace):
    data = yaml.safe_load(_summary_file(ws).read_text(encoding="utf-8"))
    data["authorities"][1] = "gwynnedd"
    data["client_group"] = "learning-disabilities"
    _summary_file(ws).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (ws.data / "conwy" / "population.csv").write_text(
        "area_code,year,age_band,sex,population,basis\nwhole,,70-74,persons,9000,\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        build_module.validate(ws)
    problems = {(p.file, p.field): p for p in caught.value.problems}
    gwynedd = problems[("params/summaries/older-carers.yaml", "authorities.1")]
    assert "gwynnedd" in gwynedd.message and gwynedd.line is not None and gwynedd.fix
    assert problems[("params/summaries/older-carers.yaml", "client_group")].fix.startswith("use one of: learning-disability")
    conwy = problems[("data/conwy/population.csv", "age_band")]
    assert "no age band 70+" in conwy.message and "70-74" in conwy.message and conwy.fix
    assert not (ws.build / "2010-11").exists()  # nothing built from doubtful input


def test_summary_marked_synthetic_shows_the_notice(ws: Workspace):
    _edit_summary(ws, synthetic=True)
    assert _build(ws).ok
    assert "This document uses synthetic example data." in _html(ws)


def test_a_removed_summary_is_unpublished(ws: Workspace):
    second = ws.params / "summaries" / "north-wales.yaml"
    data = yaml.safe_load(_summary_file(ws).read_text(encoding="utf-8"))
    second.write_text(yaml.safe_dump(dict(data, area="North Wales", authorities=data["authorities"][:6]), sort_keys=False),
                      encoding="utf-8")
    assert _build(ws).ok
    published = ws.build / "2010-11" / "_summaries" / "north-wales.html"
    _, footer, _ = _table(published.read_text(encoding="utf-8"))
    assert footer == [("North Wales", f"{9425 + 16437 + 18989 + 14052 + 16223 + 14960:,}", "48")]  # 90,086 x 0.053% = 47.7
    second.unlink()
    assert _build(ws).ok
    assert not published.exists()
    assert (ws.work / "withdrawn" / "2010-11" / "_summaries" / "north-wales.html").is_file()  # kept, not published
    index = (ws.build / "index.html").read_text(encoding="utf-8")
    assert "north-wales" not in index and "older-carers.html" in index  # the other summary stays


def test_pdf_when_the_project_asks_for_it(ws: Workspace):
    project = ws.params / "project.yaml"
    project.write_text(project.read_text(encoding="utf-8").replace("formats: [html]", "formats: [html, pdf, docx]"),
                       encoding="utf-8")
    assert _build(ws).ok
    folder = ws.build / "2010-11" / "_summaries"
    assert (folder / "older-carers.pdf").read_bytes().startswith(b"%PDF")
    assert not (folder / "older-carers.docx").exists()  # not offered for summaries
    index = (ws.build / "index.html").read_text(encoding="utf-8")
    assert 'href="2010-11/_summaries/older-carers.pdf"' in index


def test_cli_validates_and_builds_the_summary(ws: Workspace):
    from click.testing import CliRunner

    from strategy_docs.cli.app import main

    checked = CliRunner().invoke(main, ["validate", "--workspace", str(ws.root)], catch_exceptions=False)
    assert checked.exit_code == 0 and "Valid: 0 documents, 1 summary, 22 authorities" in checked.output
    built = CliRunner().invoke(main, ["build", "--workspace", str(ws.root)], catch_exceptions=False)
    assert built.exit_code == 0 and "Summaries published: 1." in built.output
    _edit_summary(ws, authorities=["cardiff", "atlantis"])
    refused = CliRunner().invoke(main, ["validate", "--workspace", str(ws.root)], catch_exceptions=False)
    assert refused.exit_code == 2 and "atlantis" in refused.output


def test_a_no_op_build_reads_no_params(ws: Workspace, monkeypatch):
    from strategy_docs.inputs import params as params_module
    from strategy_docs.build import plan as plan_module

    monkeypatch.setattr(plan_module, "RACY_SECONDS", 0.0)  # files copied a moment ago count as settled
    assert _build(ws).ok
    first = _html(ws)

    def refuse(*args, **kwargs):
        raise AssertionError("params were read although no input changed")

    monkeypatch.setattr(params_module, "load_params", refuse)
    report = _build(ws)
    assert report.ok and report.summaries == [] and _html(ws) == first


def test_the_rate_taken_from_the_client_groups_measure(ws: Workspace):
    _edit_summary(ws, measure={"from_client_group": "living-with-carers-70plus"})
    assert _build(ws).ok
    body, footer, text = _table(_html(ws))
    assert body == [(name, f"{pop:,}", str(estimate)) for name, pop, estimate in TABLE_13]
    assert footer == [("Wales", "371,477", "197")]
    # the client group's label and source, as params/client-groups/learning-disability.yaml states them
    assert ("People with a learning disability living with carers aged 70+: estimated as 0.053% of each authority's "
            "population aged 70 and over (rate: WAG practice guidance (2010), Table 13: about 53 per 100,000, applied "
            "to the 70+ population).") in text


def test_a_measure_stated_twice_or_not_found_is_refused(ws: Workspace):
    _edit_summary(ws, measure={"from_client_group": "living-with-carers-70plus", "rate_percent": 0.05})
    with pytest.raises(ValidationError) as caught:
        build_module.validate(ws)
    [problem] = [p for p in caught.value.problems if p.file == "params/summaries/older-carers.yaml"]
    assert problem.field == "measure" and "not both" in problem.message and "rate_percent" in problem.message
    _edit_summary(ws, measure={"from_client_group": "older-carers"})
    with pytest.raises(ValidationError) as caught:
        build_module.validate(ws)
    [problem] = caught.value.problems
    assert problem.field == "measure.from_client_group" and "living-with-carers-70plus" in problem.fix


def test_a_population_table_with_several_years_needs_the_year_named(ws: Workspace):
    path = ws.data / "powys" / "population.csv"
    path.write_text("area_code,year,age_band,sex,population,basis\nwhole,2008,70+,persons,19165,\n"
                    "whole,2009,70+,persons,19500,\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        build_module.validate(ws)
    [problem] = caught.value.problems
    assert (problem.file, problem.field) == ("data/powys/population.csv", "year") and "2008, 2009" in problem.message


def test_authorities_of_different_years_need_the_year_named(ws: Workspace):
    path = ws.data / "powys" / "population.csv"
    path.write_text("area_code,year,age_band,sex,population,basis\nwhole,2009,70+,persons,19165,\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        build_module.validate(ws)
    [problem] = caught.value.problems
    assert (problem.file, problem.field) == ("params/summaries/older-carers.yaml", "measure.year")
    assert "2009 (Powys)" in problem.message and "not stated (Isle of Anglesey" in problem.message
