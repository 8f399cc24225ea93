"""The synthetic data generator: deterministic, valid, and of realistic size."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import synthetic
from strategy_docs.analysis.indicators import rag
from strategy_docs.analysis.resources import budget_summary, check_stated_totals
from strategy_docs.inputs.data import load_authority_data
from strategy_docs.inputs.schema import AGE_BANDS, RATINGS
from strategy_docs.inputs.params import load_params

EXAMPLE = Path(__file__).resolve().parents[1]
OLDER = ["65-69", "70-74", "75-79", "80-84", "85+"]


def _copy_params(dest: Path) -> Path:
    shutil.copytree(EXAMPLE / "params", dest / "params")
    return dest


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def example_tables():
    """Tables generated from the example params (not read from data/, so this tests the generator)."""
    return {a: synthetic.generate_authority_data(EXAMPLE, a) for a in ("northshire", "eastbridge", "glanmor")}


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_files(tmp_path):
    a = _copy_params(tmp_path / "a")
    b = _copy_params(tmp_path / "b")
    synthetic.generate_workspace_data(a, seed=7)
    synthetic.generate_workspace_data(b, seed=7)
    assert _files(a / "data") == _files(b / "data")


def test_different_seed_gives_different_numbers(tmp_path):
    a = _copy_params(tmp_path / "a")
    b = _copy_params(tmp_path / "b")
    synthetic.generate_workspace_data(a, seed=1)
    synthetic.generate_workspace_data(b, seed=2)
    fa, fb = _files(a / "data"), _files(b / "data")
    assert fa.keys() == fb.keys()
    assert fa["northshire/providers.csv"] != fb["northshire/providers.csv"]


def test_rng_does_not_depend_on_python_hash_seed():
    first = synthetic._rng(3, "population", "x").integers(0, 10**9, 5).tolist()
    again = synthetic._rng(3, "population", "x").integers(0, 10**9, 5).tolist()
    assert first == again
    assert first == synthetic._rng(3, "population", "x").integers(0, 10**9, 5).tolist()


# ---------------------------------------------------------------- validity


def test_generated_tables_have_the_design_columns(example_tables):
    for tables in example_tables.values():
        for table, rows in tables.items():
            assert rows, table
            assert list(rows[0]) == synthetic.TABLE_COLUMNS[table] or set(rows[0]) == set(synthetic.TABLE_COLUMNS[table])


def test_example_data_loads_with_the_schema_checks():
    params = load_params(EXAMPLE)
    for a, auth in params.authorities.items():
        load_authority_data(EXAMPLE, a, {loc.code for loc in auth.localities}, auth.nation,
                            client_groups=set(params.client_groups))


def test_scaled_workspace_validates(tmp_path):
    dest = synthetic.make_workspace(tmp_path / "bench", 4, client_groups=["older-people", "carers"], seed=11)
    params = load_params(dest)
    assert len(params.authorities) == 4
    assert len(params.strategies) == 8
    assert params.project.synthetic_data is True
    assert len({a.name for a in params.authorities.values()}) == 4
    nations = sorted(a.nation for a in params.authorities.values())
    assert nations.count("wales") >= 1 and nations.count("england") >= 2
    for a, auth in params.authorities.items():
        data = load_authority_data(dest, a, {loc.code for loc in auth.localities}, auth.nation,
                                   client_groups=set(params.client_groups))
        assert set(data.budget["client_group"]) == {"older-people", "carers"}
        assert (dest / auth.branding.logo).is_file()
        for g in ("older-people", "carers"):
            stated = params.strategies[(a, g)].budget_totals
            budget = data.budget[(data.budget["client_group"] == g) & (data.budget["financial_year"] == stated.financial_year)]
            assert check_stated_totals(budget, stated.groups, stated.net_total) == []
            text = (dest / "params" / "strategies" / a / f"{g}.yaml").read_text(encoding="utf-8")
            for old in ("Northshire", "Eastbridge", "Glanmor"):
                assert old not in text
    assert (dest / "data" / "README.md").read_text(encoding="utf-8").lower().count("synthetic") >= 2
    assert (dest / "notebooks").is_dir() == (EXAMPLE / "notebooks").is_dir()


def test_make_workspace_refuses_a_used_folder(tmp_path):
    synthetic.make_workspace(tmp_path / "ws", 1, client_groups=["carers"])
    with pytest.raises(FileExistsError):
        synthetic.make_workspace(tmp_path / "ws", 1)
    with pytest.raises(ValueError):
        synthetic.make_workspace(tmp_path / "other", 1, client_groups=["no-such-group"])


def test_cli_check_and_scaled_workspace(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", EXAMPLE / "scripts" / "generate_example_data.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.main(["--check"]) == 0
    assert gen.main(["--workspace", str(tmp_path / "cli"), "--authorities", "2", "--client-groups", "carers"]) == 0
    assert len(list((tmp_path / "cli" / "params" / "authorities").glob("*.yaml"))) == 2


# ---------------------------------------------------------------- magnitudes


def test_population_magnitudes_and_ageing(example_tables):
    expected = {"northshire": (600_000, 1_000_000), "eastbridge": (250_000, 400_000), "glanmor": (120_000, 260_000)}
    for a, tables in example_tables.items():
        pop = pd.DataFrame(tables["population"])
        assert set(pop["age_band"]) == set(AGE_BANDS)
        assert sorted(pop["year"].unique()) == list(range(2025, 2046))
        assert set(pop.loc[pop["year"] == 2025, "basis"]) == {"estimate"}
        assert set(pop.loc[pop["year"] > 2025, "basis"]) == {"projection"}
        total = pop.groupby("year")["population"].sum()
        low, high = expected[a]
        assert low < total[2025] < high, a
        older = pop[pop["age_band"].isin(OLDER)].groupby("year")["population"].sum()
        oldest = pop[pop["age_band"] == "85+"].groupby("year")["population"].sum()
        share_65 = older[2025] / total[2025]
        assert (0.09 < share_65 < 0.16) if a == "eastbridge" else (0.20 < share_65 < 0.30), (a, share_65)
        # older populations grow faster than the whole, the oldest fastest of all
        growth = lambda s: s[2045] / s[2025]  # noqa: E731
        assert growth(oldest) > growth(older) > growth(total), a
        assert 1.5 < growth(oldest) < 2.3, a
        # more women than men among the oldest
        old = pop[(pop["age_band"] == "85+") & (pop["year"] == 2025)].groupby("sex")["population"].sum()
        assert old["female"] > 1.4 * old["male"]


def test_market_and_services_are_plausible(example_tables):
    for a, tables in example_tables.items():
        nation = "wales" if a == "glanmor" else "england"
        providers = pd.DataFrame(tables["providers"])
        assert 30 <= providers["provider_id"].nunique() <= 120, a
        occupancy = providers["occupied"] / providers["capacity"]
        assert occupancy.between(0.69, 1.0).all(), a
        assert set(providers["quality_rating"]) <= set(RATINGS[nation])
        assert set(providers["sector"]) == {"in-house", "private", "voluntary", "nhs"} or \
            set(providers["sector"]) <= {"in-house", "private", "voluntary", "nhs"}
        homes = providers[(providers["client_group"] == "older-people") & (providers["service_type"] == "Residential care")]
        assert 5 <= len(homes) <= 40
        users = pd.DataFrame(tables["service_users"])
        assert sorted(users["year"].unique()) == [2021, 2022, 2023, 2024, 2025]
        assert (users["out_of_area"].isna() | (users["out_of_area"] <= users["people"])).all()
        # blank, not zero, for services nobody is placed through
        assert users.loc[users["service_type"] == "Carer support services", "out_of_area"].isna().all()
        op_2025 = users[(users["client_group"] == "older-people") & (users["year"] == 2025)]["people"].sum()
        pop = pd.DataFrame(tables["population"])
        over_65 = pop[(pop["year"] == 2025) & pop["age_band"].isin(OLDER)]["population"].sum()
        assert 0.02 < op_2025 / over_65 < 0.12, a  # people aged 65+ getting council-funded services


def test_unit_costs_are_realistic(example_tables):
    ranges = {("older-people", "Residential care"): (650, 1400), ("older-people", "Nursing care"): (800, 1600),
              ("older-people", "Domiciliary care"): (18, 36), ("learning-disability", "Supported living"): (900, 2000)}
    for tables in example_tables.values():
        costs = pd.DataFrame(tables["unit_costs"])
        assert set(costs["financial_year"]) == set(synthetic.UNIT_COST_YEARS)
        for (group, service), (low, high) in ranges.items():
            row = costs[(costs["client_group"] == group) & (costs["service_type"] == service)]
            assert row["unit_cost"].between(low, high).all(), (group, service)
            assert row["comparator_average"].between(low * 0.9, high * 1.1).all()


def test_budgets_scale_with_the_kind_of_authority(example_tables):
    op_gross = {}
    for a, tables in example_tables.items():
        budget = pd.DataFrame(tables["budget"])
        assert set(budget["financial_year"]) == set(synthetic.BUDGET_YEARS)
        op = budget[budget["client_group"] == "older-people"]
        summary = budget_summary(op, "2026/27")
        op_gross[a] = summary.gross_expenditure
        income = op[op["group"] == "Income"]
        assert (income["amount"] < 0).all() and len(income) >= 3
        assert (op[op["group"] != "Income"]["amount"] > 0).all()
        assert 0.2 < -summary.income / summary.gross_expenditure < 0.45
        assert (budget["amount"] % 1000 == 0).all()
        lines = set(op["line"])
        if a == "glanmor":
            assert any("Welsh Government" in line for line in lines)
            assert any("Health board" in line for line in lines)
        else:
            assert any("Better Care Fund" in line for line in lines)
    assert 120e6 < op_gross["northshire"] < 320e6  # a large shire county
    assert 25e6 < op_gross["eastbridge"] < 90e6  # a London borough
    assert 25e6 < op_gross["glanmor"] < 90e6  # a rural Welsh county
    assert op_gross["northshire"] > 2.5 * op_gross["eastbridge"]


def test_indicator_series_hit_the_intended_rag_position():
    indicators = [
        {"id": f"i{i}", "target": target, "polarity": polarity, "unit": unit, "source": "Survey of something"}
        for i, (target, polarity, unit) in enumerate([
            (83, "higher", "percent"), (540, "lower", "rate per 100,000"), (12, "lower", "count"),
            (7.5, "higher", "score"), (2.0, "lower", "days"), (96, "higher", "percent"),
            (4, "higher", "count"), (26, "lower", "weeks"), (0.5, "higher", "percent"),
        ])
    ]
    rows = synthetic.make_indicators("a", "carers", indicators, seed=5)
    frame = pd.DataFrame(rows)
    assert sorted(frame["period"].unique()) == list(synthetic.INDICATOR_PERIODS)
    # survey-based measures have no value for the pandemic year, and always one for the latest
    assert frame.loc[frame["period"] == synthetic.SURVEY_GAP_PERIOD, "value"].isna().all()
    labels = []
    for i, ind in enumerate(indicators):
        last = frame[(frame["indicator_id"] == ind["id"]) & (frame["period"] == synthetic.INDICATOR_PERIODS[-1])].iloc[0]
        label, _, _ = rag(last["value"], ind["target"], last["comparator_average"], ind["polarity"])
        labels.append(label)
        expected = synthetic.STATUS_CYCLE[i % 3]
        assert label.lower() == expected, (ind, last.to_dict())
        if ind["unit"] == "percent":
            assert 0 <= last["value"] <= 100
    assert labels[:3] == ["On track", "At risk", "Off track"]


def test_rag_position_matches_the_analysis_rule():
    cases = [(80, 82, 79, True), (80, 78, 79, True), (80, 70, 75, True), (80, 70, 65, True),
             (500, 520, 530, False), (500, 560, 550, False), (500, 560, 580, False), (12, 13, 14, False)]
    for target, latest, comparator, higher in cases:
        mine = synthetic.rag_position(latest, target, comparator, higher)
        theirs = rag(latest, target, comparator, "higher" if higher else "lower")[0]
        assert mine == theirs.lower(), (target, latest, comparator, higher)
