"""Computed gaps by the guidance's method (demand for each service vs its places) and
Gap Analysis Template warnings. Expected figures are worked out by hand in the comments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
import pytest

from strategy_docs.analysis import AnalysisInputs, Measure
from strategy_docs.analysis.gaps import (
    NoDemandEstimate, capacity_gap, computed_gaps, gap_warnings, gaps_table, service_gap,
)
from strategy_docs.i18n import Translator, mark

EMPTY = pd.DataFrame()


def _inputs(end_year=2028, look_ahead=2040, users=None):
    # 85+ population: 2025 1,000; 2028 1,200; 2040 2,000. Rate 10% -> need 100, 120, 200,
    # so need grows x1.2 by 2028 and x2 by 2040 (from 2025).
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
    if users is None:
        # Residential care: 70 in 2024, 80 in 2025 (50 + 30 over two areas); 999 in 2026 is
        # after the base year and must be ignored. Extra care: 30 in 2025.
        users = [(2024, "Residential care", "L1", 70), (2025, "Residential care", "L1", 50),
                 (2025, "Residential care", "L2", 30), (2026, "Residential care", "L1", 999),
                 (2025, "Extra care", "L1", 30)]
    service_users = pd.DataFrame([
        dict(year=y, client_group="op", service_type=t, area_code=a, people=n, out_of_area=0)
        for y, t, a, n in users
    ])
    measure = Measure("frail", "People aged 85 and over needing care", [
        {"age_band": "85+", "sex": "all", "rate_percent": 10}], ["Residential care", "Extra care"])
    return AnalysisInputs(pop, service_users, providers, EMPTY, EMPTY, EMPTY, {"frail": measure},
                          2025, end_year, look_ahead, "england", (85, None))


def test_demand_is_current_use_grown_with_need():
    gaps, missing = computed_gaps(_inputs(), "frail")
    assert missing == []
    got = [(g.service_type, g.year, g.need, g.current_users, g.demand, g.capacity, g.difference, g.finding)
           for g in gaps]
    assert got == [
        # 80 users x 1.2 = 96 against 90 places -> shortfall 6; 80 x 2 = 160 vs 90 -> shortfall 70
        ("Residential care", 2028, 120, 80, 96, 90, 6, "shortfall"),
        ("Residential care", 2040, 200, 80, 160, 90, 70, "shortfall"),
        # 30 x 1.2 = 36 against 60 places -> spare capacity 24; 30 x 2 = 60 vs 60 -> balanced
        ("Extra care", 2028, 120, 30, 36, 60, -24, "spare capacity"),
        ("Extra care", 2040, 200, 30, 60, 60, 0, "balanced"),
    ]
    assert (gaps[0].shortfall, gaps[0].spare_capacity) == (6, 0)
    assert (gaps[2].shortfall, gaps[2].spare_capacity) == (0, 24)
    # need (120, 200) is reported but never subtracted from places: 120 - 90 = 30 appears nowhere
    assert "30 places" not in gaps[0].rationale
    assert gaps[1].rationale == (
        "By 2040 (look-ahead year) projected demand for Residential care is 160 people against 90 "
        "current places: a shortfall of 70 places."
    )
    assert gaps[1].method == (
        "Demand is the 80 people using Residential care in 2025, grown by 100.0% in line with the "
        "estimated number of people aged 85 and over needing care (100 in 2025; 200 in 2040). It "
        "assumes the same share of people with this need use the service as now, and that places "
        "stay at today's level."
    )
    assert gaps[2].rationale.endswith("spare capacity of 24 places.")
    assert gaps[3].rationale.endswith("places match projected demand.")
    assert gaps_table(gaps)["difference"].tolist() == [6, 70, -24, 0]


def test_uptake_rate_replaces_current_use():
    gaps, _ = computed_gaps(_inputs(), "frail", ["Extra care"], {"Extra care": 25})
    # 25% of need: 120 x 0.25 = 30 vs 60 -> spare 30; 200 x 0.25 = 50 vs 60 -> spare 10
    assert [(g.demand, g.difference, g.demand_basis) for g in gaps] == [
        (30, -30, "uptake rate"), (50, -10, "uptake rate")]
    assert gaps[0].method == (
        "Demand is 25% of the 120 people aged 85 and over needing care estimated for 2028 (the uptake "
        "rate this strategy assumes for Extra care). It assumes that share holds for the whole period "
        "and that places stay at today's level."
    )
    # 2.5% of 120 = 3 (half up from 3.0); of 200 = 5
    gaps, _ = computed_gaps(_inputs(), "frail", ["Extra care"], {"Extra care": 2.5})
    assert [g.demand for g in gaps] == [3, 5]
    assert "2.5% of the 120" in gaps[0].method


def test_no_users_and_no_uptake_is_stated_not_guessed():
    gaps, missing = computed_gaps(_inputs(), "frail", ["Day care", "Extra care"])
    assert [g.service_type for g in gaps] == ["Extra care", "Extra care"]
    assert missing == [
        "No one is recorded using Day care and no uptake rate is given, so demand for it cannot be estimated."
    ]
    with pytest.raises(NoDemandEstimate):
        service_gap(_inputs(), _inputs().measures["frail"], "Day care", 2028)
    # With an uptake rate it can be estimated even with no places: 10% of 120 = 12 -> shortfall 12
    g = service_gap(_inputs(), _inputs().measures["frail"], "Day care", 2028, uptake_rate=10)
    assert (g.capacity, g.demand, g.difference) == (0, 12, 12)


def test_users_before_the_first_population_year_grow_from_that_year():
    inputs = _inputs(users=[(2024, "Extra care", "L1", 40)])
    [g] = computed_gaps(inputs, "frail", ["Extra care"])[0][:1]
    # growth from 2025 (need 100) to 2028 (120): 40 x 1.2 = 48 vs 60 -> spare 12
    assert (g.users_year, g.demand, g.difference) == (2024, 48, -12)
    assert "(100 in 2025, the first year with population figures; 120 in 2028)" in g.method


def test_same_year_horizon_once_and_hypothesis_metric():
    gaps, _ = computed_gaps(_inputs(end_year=2040, look_ahead=2040), "frail", ["Residential care"])
    assert len(gaps) == 1 and gaps[0].difference == 70
    inputs = _inputs()
    # 2028: residential +6, extra care -24 -> -18 in all
    difference, parts = capacity_gap(inputs, inputs.measures["frail"], 2028)
    assert difference == -18 and len(parts) == 2


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


# ------------------------------------------------ every example document, as published

GAP_SENTENCE = re.compile(
    r"projected demand for (?P<service>.+?) is (?P<demand>[\d,]+) people against (?P<places>[\d,]+) "
    r"current places: (?:a shortfall|spare capacity) of (?P<gap>[\d,]+) places")
ANY_GAP = re.compile(r"(shortfall|spare capacity|surplus) of [\d,]+ places")


def _n(text):
    return int(text.replace(",", ""))


def _texts(block):
    for row in block["rows"]:
        for cell in ([row["header"]] if row["header"] else []) + row["cells"]:
            yield str(cell.get("text") or cell.get("html") or "")


@pytest.mark.slow
def test_every_example_gap_figure_is_plausible():
    from strategy_docs.sections import content as sections

    from .conftest import REPO

    spare = shortfall = 0
    for authority in ("northshire", "glanmor", "eastbridge"):
        for group in ("carers", "learning-disability", "mental-health", "older-people",
                      "physical-disability-sensory-impairment"):
            doc = sections.load_document(REPO, authority, group)
            for g in sections.service_gaps(doc):
                where = f"{authority}/{group} {g.service_type} {g.year}"
                assert abs(g.difference) <= g.demand, where
                spare += g.finding == "spare capacity"
                shortfall += g.finding == "shortfall"
            published = [t for b in sections.gap_template(doc) + sections.computed_gap_table(doc)
                         for t in _texts(b)]
            published += [h.statement for h in doc.ctx.strategy.hypotheses]
            published += [e for _, _, e, _ in doc.hypothesis_results if isinstance(e, str)]
            for text in published:
                stated = GAP_SENTENCE.findall(text)
                # every "shortfall/spare capacity of N places" is one of our demand sentences
                assert len(ANY_GAP.findall(text)) == len(stated), (authority, group, text)
                for service, demand, places, gap in stated:
                    assert _n(gap) <= _n(demand), (authority, group, service, text)
                    assert _n(gap) == abs(_n(demand) - _n(places)), (authority, group, service)
    assert spare > 0 and shortfall > 0


def test_one_service_type_may_be_a_string():
    inputs = _inputs()
    # 2028 residential care: 96 demand - 90 places = 6 (not split into letters)
    difference, parts = capacity_gap(inputs, inputs.measures["frail"], 2028, "Residential care")
    assert difference == 6 and [g.service_type for g in parts] == ["Residential care"]


def test_gaps_in_welsh_are_the_same_figures_in_welsh_sentences():
    t = Translator("cy")
    gaps, missing = computed_gaps(_inputs(), "frail", ["Residential care", "Extra care", "Day care"], t=t)
    english, _ = computed_gaps(_inputs(), "frail", ["Residential care", "Extra care", "Day care"])
    assert [g.difference for g in gaps] == [g.difference for g in english]
    residential, extra = mark("Residential care", "en"), mark("Extra care", "en")
    assert gaps[1].rationale == (f"Erbyn 2040 (y flwyddyn edrych ymlaen), y galw a ragwelir am {residential} yw 160 o bobl, "
                                 "o'i gymharu â 90 o leoedd presennol: prinder o 70 o leoedd.")
    assert gaps[1].method == (
        f"Y galw yw'r 80 o bobl a oedd yn defnyddio {residential} yn 2025, wedi cynyddu 100.0% yn unol â'r nifer "
        "amcangyfrifedig (people aged 85 and over needing care: 100 yn 2025; 200 yn 2040). Mae'n tybio y bydd yr "
        "un gyfran o'r bobl sydd â'r angen hwn yn defnyddio'r gwasanaeth ag sy'n gwneud nawr, ac y bydd nifer y "
        "lleoedd yn aros fel y mae heddiw.")
    assert gaps[2].rationale == (f"Erbyn 2028 (diwedd cyfnod y strategaeth), y galw a ragwelir am {extra} yw 36 o bobl, "
                                 "o'i gymharu â 60 o leoedd presennol: capasiti sbâr o 24 o leoedd.")
    assert gaps[3].rationale.endswith("mae nifer y lleoedd yn cyfateb i'r galw a ragwelir.")
    assert missing == [f"Nid oes neb wedi'i gofnodi yn defnyddio {mark('Day care', 'en')} ac ni roddir cyfradd "
                       "defnyddio, felly ni ellir amcangyfrif y galw am y gwasanaeth hwn."]
    assert not t.missing
