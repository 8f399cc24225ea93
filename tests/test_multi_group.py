"""Strategies that cover more than one client group ('all adults', older people with physical disability).

A client group file may say `covers: [older-people, physical-disability-sensory-impairment]`; a
strategy for it sits in the matrix like any other, and its data are the covered groups' rows
added up (counts, places, money), while unit costs and indicator values (rates) stay its own.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from strategy_docs.build import pipeline as build_module
from strategy_docs.inputs.data import AuthorityData
from strategy_docs.errors import ParamsError
from strategy_docs.inputs.params import load_params
from strategy_docs.inputs.workspace import Workspace

from .conftest import copy_workspace

GROUP = "older-people-physical-disability"
COVERED = ["older-people", "physical-disability-sensory-impairment"]


def _frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split(","))


def test_covered_groups_are_summed_rates_are_not():
    data = AuthorityData(
        population=_frame("area_code,year,age_band,sex,population,basis", []),
        service_users=_frame("year,client_group,service_type,area_code,people,out_of_area", [
            (2025, "a", "Domiciliary care", "X", 74, 0), (2025, "b", "Domiciliary care", "X", 20, 1),
            (2025, "a", "Nursing care", "X", 22, 7), (2025, "c", "Domiciliary care", "X", 1000, 0),
            (2025, "all", "Domiciliary care", "X", 3, 0)]),
        providers=_frame("provider_id,provider_name,client_group,service_type,sector,area_code,capacity,occupied,quality_rating", [
            ("P1", "One", "a", "Residential care", "private", "X", 30, 25, "Good"),
            ("P1", "One", "b", "Residential care", "private", "X", 10, 9, "Good"),
            ("P2", "Two", "b", "Supported living", "voluntary", "X", 8, 8, None)]),
        budget=_frame("financial_year,client_group,group,line,amount", [
            ("2026/27", "a", "Community support", "Domiciliary care", 9177000.0),
            ("2026/27", "b", "Community support", "Domiciliary care", 6949000.0),
            ("2026/27", "b", "Community support", "Supported living", 3363000.0),
            ("2026/27", "a", "Income", "Client contributions", -1883000.0)]),
        unit_costs=_frame("financial_year,client_group,service_type,unit,unit_cost,comparator_average", [
            ("2026/27", "a", "Domiciliary care", "per hour", 24.5, None),
            ("2026/27", "all", "Domiciliary care", "per hour", 23.0, None)]),
        indicators=_frame("client_group,indicator_id,period,value,comparator_average", [
            ("a", "I1", "2024/25", 80.0, None), ("all", "I1", "2024/25", 75.0, None)]),
        files={},
    )
    mixed = data.for_client_group("all", ["a", "b"])
    su = mixed.service_users
    assert list(zip(su["service_type"], su["people"], su["out_of_area"])) == [
        ("Domiciliary care", 74 + 20 + 3, 1), ("Nursing care", 22, 7)]  # 'c' is not covered
    assert set(su["client_group"]) == {"all"}
    providers = mixed.providers
    assert list(zip(providers["provider_id"], providers["service_type"], providers["capacity"], providers["occupied"])) == [
        ("P1", "Residential care", 40, 34), ("P2", "Supported living", 8, 8)]
    budget = mixed.budget
    assert list(zip(budget["group"], budget["line"], budget["amount"])) == [
        ("Community support", "Domiciliary care", 16126000.0), ("Community support", "Supported living", 3363000.0),
        ("Income", "Client contributions", -1883000.0)]
    assert list(mixed.unit_costs["unit_cost"]) == [23.0]  # its own rows: unit costs do not add
    assert list(mixed.indicators["value"]) == [75.0]
    single = data.for_client_group("a")  # a group covering none: exactly its rows, as before
    assert list(single.service_users["people"]) == [74, 22] and list(single.indicators["value"]) == [80.0]


def _covering_workspace(tmp_path: Path) -> Path:
    """The example workspace, one authority, with a group covering older people and physical disability."""
    ws = copy_workspace(tmp_path / "ws", authorities=["eastbridge"])
    groups = ws / "params" / "client-groups"
    older = yaml.safe_load((groups / "older-people.yaml").read_text(encoding="utf-8"))
    physical = yaml.safe_load((groups / f"{COVERED[1]}.yaml").read_text(encoding="utf-8"))
    older["name"] = "Older people with a physical disability or sensory impairment"
    older["service_types"] = list(dict.fromkeys(older["service_types"] + physical["service_types"]))
    older["covers"] = COVERED
    (groups / f"{GROUP}.yaml").write_text(yaml.safe_dump(older, sort_keys=False), encoding="utf-8")
    strategy = yaml.safe_load((ws / "params/strategies/eastbridge/older-people.yaml").read_text(encoding="utf-8"))
    strategy.pop("budget_totals", None)  # the older people's signed-off totals are not this strategy's
    (ws / f"params/strategies/eastbridge/{GROUP}.yaml").write_text(yaml.safe_dump(strategy, sort_keys=False),
                                                                     encoding="utf-8")
    # Unit costs and indicator values are rates, which do not add: the covering strategy states its own
    # (here the older people's, restated under the covering group's id).
    for table in ("unit_costs", "indicators"):
        path = ws / "data" / "eastbridge" / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        own = frame[frame["client_group"] == "older-people"].assign(client_group=GROUP)
        pd.concat([frame, own]).to_csv(path, index=False)
    project_file = ws / "params" / "project.yaml"
    project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    project["matrix"]["client_groups"] = [GROUP]
    project["formats"] = ["html"]
    project_file.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return ws


def _people(ws: Path, service_type: str, year: int) -> int:
    """People known to services, by hand from the CSV: the covered groups' rows added up."""
    frame = pd.read_csv(ws / "data" / "eastbridge" / "service_users.csv")
    rows = frame[frame["client_group"].isin(COVERED) & (frame["service_type"] == service_type) & (frame["year"] == year)]
    assert rows["client_group"].nunique() == 2 or service_type != "Domiciliary care"  # both groups really contribute
    return int(rows["people"].sum())


def test_covering_strategy_sums_its_groups_in_the_document(tmp_path: Path):
    ws = _covering_workspace(tmp_path)
    params = build_module.validate(Workspace(ws))
    assert (("eastbridge", GROUP)) in params.strategies
    from strategy_docs.sections import content as sections

    doc = sections.load_document(ws, "eastbridge", GROUP)
    table = sections.service_use_table(doc)[0]
    headings = [c["label"] for c in table["columns"]]
    year = max(int(h) for h in headings if h.isdigit())
    row = next(r for r in table["rows"] if r["header"]["text"] == "Domiciliary care")
    shown = row["cells"][headings.index(str(year)) - 1]["text"]
    assert int(shown.replace(",", "")) == _people(ws, "Domiciliary care", year)
    budget = doc.ctx.data.budget
    dom = budget[(budget["financial_year"] == "2026/27") & (budget["line"] == "Domiciliary care")]
    assert list(dom["amount"]) == [9177000.0 + 6949000.0]  # data/eastbridge/budget.csv, both groups' lines


@pytest.mark.slow
def test_covering_strategy_builds(tmp_path: Path):
    ws = _covering_workspace(tmp_path)
    report = build_module.build(Workspace(ws), build_module.BuildOptions(jobs=1, executor="serial"))
    assert report.ok and [j.client_group for j in report.built] == [GROUP]
    html = (ws / "build" / "2026-27" / "eastbridge" / f"{GROUP}.html").read_text(encoding="utf-8")
    assert "Older people with a physical disability or sensory impairment" in html
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert f"{_people(ws, 'Domiciliary care', 2025):,}" in text


def test_covers_problems_name_file_field_and_fix(tmp_path: Path):
    ws = _covering_workspace(tmp_path)
    path = ws / "params" / "client-groups" / f"{GROUP}.yaml"
    group = yaml.safe_load(path.read_text(encoding="utf-8"))
    group["covers"] = ["older-peple", GROUP]
    path.write_text(yaml.safe_dump(group, sort_keys=False), encoding="utf-8")
    nested = ws / "params" / "client-groups" / "carers.yaml"
    carers = yaml.safe_load(nested.read_text(encoding="utf-8"))
    carers["covers"] = [GROUP]
    nested.write_text(yaml.safe_dump(carers, sort_keys=False), encoding="utf-8")
    with pytest.raises(ParamsError) as caught:
        load_params(ws)
    found = {(p.file, p.field): p for p in caught.value.problems}
    unknown = found[(f"params/client-groups/{GROUP}.yaml", "covers[0]")]
    assert "older-peple" in unknown.message and unknown.line is not None and "older-people" in unknown.fix
    assert "cannot cover itself" in found[(f"params/client-groups/{GROUP}.yaml", "covers[1]")].message
    assert "covers other groups itself" in found[("params/client-groups/carers.yaml", "covers[0]")].message
