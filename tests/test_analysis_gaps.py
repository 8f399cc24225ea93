"""Computed gaps (need vs capacity) and Gap Analysis Template warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pytest

from strategy_docs.analysis import AnalysisInputs, Measure
from strategy_docs.analysis.gaps import capacity_gap, computed_gaps, gap_warnings, gaps_table

EMPTY = pd.DataFrame()


def _inputs(end_year=2028, look_ahead=2040):
    # 85+ population: 2025 1,000; 2028 1,200; 2040 2,000. Rate 10% -> 100, 120, 200.
    pop = pd.DataFrame([
        dict(area_code="L1", year=y, age_band="85+", sex=s, population=n, basis="projection")
        for y, total in ((2025, 1000), (2028, 1200), (2040, 2000))
        for s, n in (("female", total * 3 // 5), ("male", total * 2 // 5))
    ])
    providers = pd.DataFrame([
        dict(provider_id="P1", provider_name="A", client_group="op", service_type="Residential care",
             sector="private", area_code="L1", capacity=90, occupied=80, quality_rating="Good"),
        dict(provider_id="P2", provider_name="B", client_group="op", service_type="Extra care",
             sector="private", area_code="L1", capacity=60, occupied=50, quality_rating="Good"),
    ])
    measure = Measure("frail", "People aged 85 and over needing care", [
        {"age_band": "85+", "sex": "all", "rate_percent": 10}], ["Residential care", "Extra care"])
    return AnalysisInputs(pop, EMPTY, providers, EMPTY, EMPTY, EMPTY, {"frail": measure},
                          2025, end_year, look_ahead, "england", (85, None))


def test_computed_gaps_two_horizons():
    gaps = computed_gaps(_inputs(), "frail")
    assert [(g.year, g.horizon) for g in gaps] == [(2028, "end of the strategy period"), (2040, "look-ahead year")]
    end, ahead = gaps
    # 2028: 120 need vs 150 places -> surplus 30 ; 2040: 200 vs 150 -> shortfall 50
    assert (end.projected_need, end.capacity, end.difference, end.finding) == (120, 150, -30, "surplus")
    assert (ahead.projected_need, ahead.difference, ahead.finding) == (200, 50, "shortfall")
    assert ahead.rationale == (
        "By 2040 (look-ahead year) an estimated 200 people aged 85 and over needing care are projected, "
        "against 150 current places in Residential care and Extra care: a shortfall of 50 places if "
        "capacity stays at today's level."
    )
    assert end.rationale.endswith("a surplus of 30 places if capacity stays at today's level.")
    t = gaps_table(gaps)
    assert t["difference"].tolist() == [-30, 50]


def test_same_year_horizon_once_and_service_type_override():
    gaps = computed_gaps(_inputs(end_year=2040, look_ahead=2040), "frail", ["Residential care"])
    assert len(gaps) == 1
    # 200 - 90
    assert gaps[0].difference == 110


def test_balanced_and_absent_service():
    inputs = _inputs()
    m = inputs.measures["frail"]
    g = capacity_gap(inputs.population, inputs.providers, m, 2025, ["Residential care", "Day care"])
    # 100 vs 90
    assert g.finding == "shortfall" and g.difference == 10
    g = capacity_gap(inputs.population, inputs.providers, m, 2028, ["Day care"])
    assert g.capacity == 0 and g.difference == 120
    assert "no current places recorded in Day care" in g.rationale
    providers = inputs.providers.assign(capacity=[60, 60])
    g = capacity_gap(inputs.population, providers, m, 2028)
    assert g.finding == "balanced"
    assert g.rationale.endswith("current capacity matches projected need.")


def test_unknown_measure():
    with pytest.raises(ValueError, match="Unknown measure 'x'.*frail"):
        computed_gaps(_inputs(), "x")


@dataclass
class Development:
    text: str
    hypothesis_ids: list = field(default_factory=list)


def test_gap_warnings():
    objectives = [
        {"objective": "Live at home", "service_developments": [{"text": "More extra care", "hypothesis_ids": ["H3"]}]},
        {"objective": "Carers", "gaps": [Development("Respite", ["H1"])]},
    ]
    assert gap_warnings(objectives, ["H1", "H3"]) == []
    assert gap_warnings(objectives, ["H1", "H2", "H3"]) == [
        "Accepted hypothesis H2 is not referenced by any gap; accepted hypotheses should lead to a "
        "service development."
    ]
    many = [{"objective": str(i)} for i in range(9)]
    assert gap_warnings(many, []) == [
        "There are 9 strategic objectives; the Gap Analysis Template suggests 8 at most."
    ]
    assert gap_warnings(many[:8], []) == []
