"""Market analysis on a small hand-built providers table."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from strategy_docs.analysis.market import (
    concentration,
    good_or_better_percent,
    hhi_band,
    occupancy_by_service_type,
    occupancy_percent,
    out_of_area,
    quality_ratings,
    sector_mix,
)

COLS = ["provider_id", "provider_name", "client_group", "service_type", "sector", "area_code",
        "capacity", "occupied", "quality_rating"]


def _providers(rows):
    return pd.DataFrame([dict(zip(COLS, r)) for r in rows])


@pytest.fixture
def providers():
    return _providers([
        ("P1", "Oak House", "op", "Residential care", "private", "L1", 40, 38, "Good"),
        ("P1", "Oak Annexe", "op", "Residential care", "private", "L2", 20, 18, "Outstanding"),
        ("P2", "Ash Court", "op", "Residential care", "voluntary", "L1", 30, 24, "Requires improvement"),
        ("P3", "Council home", "op", "Residential care", "in-house", "L2", 10, 10, "Not yet rated"),
        ("P4", "Elm Nursing", "op", "Nursing care", "private", "L1", 50, 45, "Inadequate"),
        ("P5", "Birch Nursing", "op", "Nursing care", "nhs", "L2", 50, None, "Good"),
    ])


def test_occupancy_by_service_type(providers):
    t = occupancy_by_service_type(providers)
    assert t["service_type"].tolist() == ["Nursing care", "Residential care"]
    nursing, residential = t.iloc[0], t.iloc[1]
    # Residential: providers P1,P2,P3 = 3; capacity 40+20+30+10 = 100; occupied 38+18+24+10 = 90
    assert (residential["providers"], residential["capacity"], residential["occupied"]) == (3, 100, 90)
    assert residential["occupancy_percent"] == pytest.approx(90.0)
    assert residential["vacancies"] == 10
    # Nursing: P5 has no occupancy return, so occupancy = 45 / 50 = 90%, capacity still 100
    assert (nursing["providers"], nursing["capacity"], nursing["occupied"]) == (2, 100, 45)
    assert nursing["occupancy_percent"] == pytest.approx(90.0)
    assert nursing["vacancies"] == 5


def test_occupancy_percent(providers):
    # (90 + 45) / (100 + 50)
    assert occupancy_percent(providers) == pytest.approx(90.0)
    assert occupancy_percent(providers, "Residential care") == pytest.approx(90.0)
    assert math.isnan(occupancy_percent(providers, "Day care"))


def test_sector_mix(providers):
    t = sector_mix(providers)
    assert t["sector"].tolist() == ["in-house", "private", "voluntary", "nhs"]
    # capacity 200: in-house 10, private 40+20+50 = 110, voluntary 30, nhs 50
    assert t["capacity"].tolist() == [10, 110, 30, 50]
    assert t["share_percent"].tolist() == pytest.approx([5.0, 55.0, 15.0, 25.0])
    assert t["providers"].tolist() == [1, 2, 1, 1]
    res = sector_mix(providers, "Residential care")
    assert res["share_percent"].tolist() == pytest.approx([10.0, 60.0, 30.0, 0.0])


def test_sector_mix_rejects_unknown_sector(providers):
    bad = providers.copy()
    bad.loc[0, "sector"] = "charity"
    with pytest.raises(ValueError, match="charity"):
        sector_mix(bad)


def test_quality_ratings_england(providers):
    t = quality_ratings(providers, "England")
    assert t["rating"].tolist() == ["Outstanding", "Good", "Requires improvement", "Inadequate", "Not yet rated"]
    assert t["services"].tolist() == [1, 2, 1, 1, 1]
    # 5 rated services: 20%, 40%, 20%, 20%; not yet rated has no share
    assert t["percent_of_rated"].iloc[:4].tolist() == pytest.approx([20.0, 40.0, 20.0, 20.0])
    assert math.isnan(t["percent_of_rated"].iloc[4])
    # Outstanding + Good = 3 of 5 rated
    assert good_or_better_percent(providers, "england") == pytest.approx(60.0)
    assert good_or_better_percent(providers, "england", "Nursing care") == pytest.approx(50.0)


def test_quality_ratings_wales_vocabulary():
    p = _providers([
        ("W1", "A", "op", "Care home", "private", "L1", 10, 9, "Excellent"),
        ("W2", "B", "op", "Care home", "private", "L1", 10, 9, "requires significant improvement"),
        ("W3", "C", "op", "Care home", "private", "L1", 10, 9, "Good"),
        ("W4", "D", "op", "Care home", "private", "L1", 10, 9, None),
    ])
    t = quality_ratings(p, "wales")
    assert t["services"].tolist() == [1, 1, 0, 1, 1]  # blank counts as not yet rated
    assert good_or_better_percent(p, "wales") == pytest.approx(200 / 3)
    with pytest.raises(ValueError, match="CQC vocabulary"):
        quality_ratings(p, "england")  # 'Excellent' is a CIW word
    with pytest.raises(ValueError, match="england, wales"):
        quality_ratings(p, "scotland")


def test_concentration(providers):
    c = concentration(providers, "Residential care")
    # shares by provider: P1 60, P2 30, P3 10 -> HHI 3600 + 900 + 100 = 4600
    assert c.hhi == pytest.approx(4600)
    assert c.band == "highly concentrated"
    assert c.top3_share_percent == pytest.approx(100.0)
    assert (c.providers, c.capacity) == (3, 100)
    assert c.sentence("residential care") == (
        "Capacity in residential care is highly concentrated (Herfindahl-Hirschman index 4,600 "
        "across 3 providers); the three largest providers hold 100.0% of 100 places."
    )


def test_concentration_many_providers():
    # ten providers of 10 places each: shares 10% -> HHI 10 x 100 = 1,000; top 3 = 30%
    p = _providers([(f"P{i}", "x", "op", "Home care", "private", "L1", 10, 10, "Good") for i in range(10)])
    c = concentration(p)
    assert c.hhi == pytest.approx(1000)
    assert c.band == "unconcentrated"
    assert c.top3_share_percent == pytest.approx(30.0)


@pytest.mark.parametrize("hhi, band", [(1499.9, "unconcentrated"), (1500, "moderately concentrated"),
                                       (2500, "moderately concentrated"), (2500.1, "highly concentrated")])
def test_hhi_band_edges(hhi, band):
    assert hhi_band(hhi) == band


def test_out_of_area():
    su = pd.DataFrame([
        {"year": 2025, "client_group": "ld", "service_type": "Residential care", "area_code": "L1", "people": 50, "out_of_area": 10},
        {"year": 2025, "client_group": "ld", "service_type": "Supported living", "area_code": "L1", "people": 150, "out_of_area": 2},
        {"year": 2024, "client_group": "ld", "service_type": "Residential care", "area_code": "L1", "people": 60, "out_of_area": 20},
    ])
    o = out_of_area(su)
    # latest year 2025: 12 of 200 = 6%
    assert (o.year, o.people, o.out_of_area) == (2025, 200, 12)
    assert o.percent == pytest.approx(6.0)
    assert o.sentence() == "At 31 March 2025, 12 of 200 people known to services (6.0%) were placed outside the area."
    r = out_of_area(su, "Residential care", year=2024)
    assert r.percent == pytest.approx(100 * 20 / 60)
