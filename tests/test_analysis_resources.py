"""Budget subtotals, stated-total checks, unit costs and spend per head."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from strategy_docs.analysis.resources import (
    budget_summary,
    check_stated_totals,
    spend_per_head,
    spend_share,
    unit_cost_comparison,
)


@pytest.fixture
def budget():
    rows = [
        ("2024/25", "Residential care", "Independent sector placements", 1_200_000),
        ("2024/25", "Residential care", "In-house homes", 300_000),
        ("2024/25", "Residential care", "Client contributions", -250_000),
        ("2024/25", "Community support", "Home care", 400_000),
        ("2024/25", "Community support", "Direct payments", 100_000),
        ("2024/25", "Income", "NHS contribution", -150_000),
        ("2023/24", "Residential care", "Independent sector placements", 999),
    ]
    return pd.DataFrame(
        [dict(financial_year=f, client_group="op", group=g, line=ln, amount=a) for f, g, ln, a in rows]
    )


def test_budget_summary_latest_year(budget):
    s = budget_summary(budget)
    assert s.financial_year == "2024/25"
    # gross 1.2m + 0.3m + 0.4m + 0.1m = 2.0m ; income -250k - 150k = -400k ; net 1.6m
    assert (s.gross_expenditure, s.income, s.net_total) == (2_000_000, -400_000, 1_600_000)
    assert s.table["kind"].tolist() == ["line", "line", "line", "subtotal", "line", "line", "subtotal",
                                        "line", "subtotal"]
    subtotals = s.table[s.table["kind"] == "subtotal"]
    assert subtotals["line"].tolist() == ["Total Residential care", "Total Community support", "Total Income"]
    assert subtotals["amount"].tolist() == [1_250_000, 500_000, -150_000]
    g = s.groups.set_index("group")
    assert g.loc["Residential care", ["gross", "income", "net"]].tolist() == [1_500_000, -250_000, 1_250_000]
    assert g["share_percent"].tolist() == pytest.approx([75.0, 25.0, 0.0])
    assert s.sentence() == (
        "In 2024/25 gross expenditure is £2,000,000, income (£400,000) and net expenditure £1,600,000."
    )


def test_budget_summary_other_year_and_unknown_year(budget):
    assert budget_summary(budget, "2023/24").net_total == 999
    with pytest.raises(ValueError, match="2022/23"):
        budget_summary(budget, "2022/23")


def test_check_stated_totals(budget):
    assert check_stated_totals(budget, {"Residential care": 1_250_000, "Community support": 500_000}, 1_600_000) == []
    # within the 50p tolerance
    assert check_stated_totals(budget, {"Income": -150_000.4}) == []
    problems = check_stated_totals(
        budget, {"Residential care": 1_500_000, "Respite": 10_000}, stated_net_total=1_700_000
    )
    assert [p.group for p in problems] == ["Residential care", "Respite", None]
    res = problems[0]
    assert (res.stated, res.computed) == (1_500_000, 1_250_000)
    assert res.lines == ["Independent sector placements", "In-house homes", "Client contributions"]
    assert res.message == (
        "The stated total for 'Residential care' is £1,500,000 but the lines add up to £1,250,000 "
        "(difference £250,000; lines: Independent sector placements, In-house homes, Client contributions)."
    )
    assert problems[1].computed == 0 and problems[1].lines == []
    assert problems[2].message.startswith("The net total is £1,700,000 but the lines add up to £1,600,000")


def test_unit_cost_comparison():
    uc = pd.DataFrame([
        dict(financial_year="2024/25", client_group="op", service_type="Residential care", unit="per week",
             unit_cost=712, comparator_average=670),
        dict(financial_year="2024/25", client_group="op", service_type="Home care", unit="per hour",
             unit_cost=18.45, comparator_average=20.5),
        dict(financial_year="2024/25", client_group="op", service_type="Day care", unit="per day",
             unit_cost=55, comparator_average=None),
        dict(financial_year="2023/24", client_group="op", service_type="Residential care", unit="per week",
             unit_cost=650, comparator_average=600),
    ])
    t = unit_cost_comparison(uc)
    assert t["service_type"].tolist() == ["Residential care", "Home care", "Day care"]
    # 712 - 670 = 42 ; 42 / 670 = 6.27% ; 18.45 - 20.5 = -2.05 ; -2.05 / 20.5 = -10%
    assert t["difference"].iloc[:2].tolist() == pytest.approx([42, -2.05])
    assert t["difference_percent"].iloc[:2].tolist() == pytest.approx([6.2687, -10.0], abs=1e-4)
    assert t["position"].tolist() == ["above", "below", "no comparator"]
    assert t["sentence"].tolist() == [
        "Residential care: £712 per week, £42 (6.3%) above the comparator average of £670.",
        "Home care: £18.45 per hour, £2.05 (10.0%) below the comparator average of £20.50.",
        "Day care: £55 per day; no comparator average is available.",
    ]
    assert math.isnan(t["difference"].iloc[2])


def test_spend_per_head():
    pop = pd.DataFrame([
        dict(area_code="L1", year=2026, age_band=b, sex=s, population=p, basis="estimate")
        for b, s, p in [("18-24", "female", 1000), ("18-24", "male", 1000), ("25-64", "female", 3000),
                        ("25-64", "male", 3000), ("65-69", "female", 500), ("65-69", "male", 500),
                        ("0-17", "female", 900)]
    ])
    r = spend_per_head(1_600_000, pop, 2026, (18, 64))
    # 18-64 population: 2,000 + 6,000 = 8,000 ; £1.6m / 8,000 = £200
    assert (r.population, r.spend_per_head) == (8000, 200)
    assert r.sentence() == "Net spend of £1,600,000 is £200 per head of the 8,000 people aged 18 to 64 in 2026."
    assert spend_per_head(900_000, pop, 2026, (65, None)).spend_per_head == 900
    with pytest.raises(ValueError, match="straddles"):
        spend_per_head(1, pop, 2026, (20, 64))
    with pytest.raises(ValueError, match="2030"):
        spend_per_head(1, pop, 2030, (18, 64))


def test_spend_share(budget):
    t = spend_share(budget)
    assert t["group"].tolist() == ["Residential care", "Community support", "Income"]
    assert t["gross"].tolist() == [1_500_000, 500_000, 0]
    assert t["share_percent"].tolist() == pytest.approx([75.0, 25.0, 0.0])


def test_unit_cost_sentences_in_welsh_say_a_tiny_difference_in_words_too():
    from strategy_docs.analysis.resources import unit_cost_sentence
    from strategy_docs.i18n import Translator, mark

    t = Translator("cy")
    row = {"service_type": "Reablement", "unit": "per hour", "unit_cost": 1120.50, "comparator_average": 1120.00,
           "difference": 0.50, "difference_percent": 0.50 / 1120 * 100, "position": "above"}  # 0.045%: prints 0.0%
    assert unit_cost_sentence(row, t=t) == (f"{mark('Reablement', 'en')}: £1,120.50 yr awr, £0.50 yn uwch na'r "
                                            "cyfartaledd cymharol o £1,120 (llai na 0.1% yn fwy).")
    row.update(position="no comparator")
    assert unit_cost_sentence(row, t=t) == f"{mark('Reablement', 'en')}: £1,120.50 yr awr; nid oes cyfartaledd cymharol ar gael."
    assert unit_cost_sentence(row) == "Reablement: £1,120.50 per hour; no comparator average is available."
    assert not t.missing
