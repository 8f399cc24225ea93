"""Needs analysis: prevalence x population, totals, unmet need and sentences.

Expected values are worked out by hand in the comments, not by the code under test.
"""

from __future__ import annotations

import pandas as pd
import pytest

from strategy_docs.analysis.formatting import (
    fmt_change,
    fmt_int,
    fmt_money,
    fmt_number,
    fmt_percent,
    round_half_up,
)
from strategy_docs.analysis.needs import (
    apply_prevalence,
    need_by_year,
    needs_sentence,
    parse_age_band,
    unmet_need,
)

# WAG Table 13 (003:2404-2431): 70+ population and published count at 0.053%.
TABLE_13 = [
    ("Isle of Anglesey", 9425, 5),
    ("Gwynedd", 16437, 9),
    ("Conwy", 18989, 10),
    ("Denbighshire", 14052, 7),
    ("Flintshire", 16223, 9),
    ("Wrexham", 14960, 8),
    ("Powys", 19165, 10),
    ("Ceredigion", 10552, 6),
    ("Pembrokeshire", 16511, 9),
    ("Carmarthenshire", 25019, 13),
    ("Swansea", 29812, 16),
    ("Neath Port Talbot", 17928, 10),
    ("Bridgend", 15574, 8),
    ("The Vale of Glamorgan", 15027, 8),
    ("Cardiff", 32409, 17),
    ("Rhondda, Cynon, Taff", 27064, 14),
    ("Merthyr Tydfil", 6345, 3),
    ("Caerphilly", 18608, 10),
    ("Blaenau Gwent", 8380, 4),
    ("Torfaen", 11354, 6),
    ("Monmouthshire", 11702, 6),
    ("Newport", 15941, 8),
]
OLDER_CARERS = [{"age_band": "70+", "sex": "all", "rate_percent": 0.053}]


def _pop(rows):
    return pd.DataFrame(
        [
            {"area_code": a, "year": y, "age_band": b, "sex": s, "population": p, "basis": "estimate"}
            for a, y, b, s, p in rows
        ]
    )


@pytest.fixture
def wales_70plus():
    # The table gives persons only; put them all under 'female' so sex 'all' must pick them up.
    return _pop([(name, 2008, "70+", "female", pop) for name, pop, _ in TABLE_13])


# --- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, nd, expected",
    [(2.5, 0, 3), (3.5, 0, 4), (-2.5, 0, -3), (4.995, 0, 5), (4.995, 2, 5.0), (1.005, 2, 1.01), (0.125, 2, 0.13)],
)
def test_round_half_up_is_not_bankers(x, nd, expected):
    assert round_half_up(x, nd) == expected


def test_round_half_up_missing_stays_missing():
    assert round_half_up(None) != round_half_up(None)  # NaN


def test_formatters():
    assert fmt_int(4120.4) == "4,120"
    assert fmt_int(1234567) == "1,234,567"
    assert fmt_int(None) == "not available"
    assert fmt_money(1234567) == "£1,234,567"
    assert fmt_money(-12000) == "(£12,000)"
    assert fmt_money(-12000, brackets_for_negative=False) == "-£12,000"
    assert fmt_money(18.456, dp=2) == "£18.46"
    assert fmt_percent(23.4) == "23.4%"  # one decimal place by default
    assert fmt_percent(23) == "23.0%"
    assert fmt_percent(23.45) == "23.5%"  # half up
    assert fmt_percent(23.4, dp=0) == "23%"
    assert fmt_percent(-0.02) == "0.0%"
    assert fmt_number(78.20) == "78.2"
    assert fmt_number(1234.0) == "1,234"


def test_fmt_change():
    assert fmt_change(4120, 5070) == "up 23.1%"  # 950 / 4120 = 23.06%
    assert fmt_change(100, 96) == "down 4.0%"
    assert fmt_change(50, 50) == "no change"
    assert fmt_change(10000, 10001) == "up less than 0.1%"  # 0.01%
    assert fmt_change(1000, 1001, dp=0) == "up less than 1%"
    assert fmt_change(0, 5) == "up from zero"


# --- age bands ------------------------------------------------------------------------------


def test_parse_age_band():
    assert parse_age_band("65-74") == (65, 74)
    assert parse_age_band("85+") == (85, None)
    assert parse_age_band(" 0 - 17 ") == (0, 17)
    with pytest.raises(ValueError, match="not understood"):
        parse_age_band("elderly")
    with pytest.raises(ValueError, match="ends before"):
        parse_age_band("74-65")


# --- WAG Table 13 ---------------------------------------------------------------------------


def test_table_13_every_row(wales_70plus):
    rows = need_by_year(wales_70plus, OLDER_CARERS, by_area=True)
    got = dict(zip(rows["area_code"], rows["estimate_rounded"]))
    assert got == {name: count for name, _, count in TABLE_13}
    # Isle of Anglesey: 9,425 x 0.00053 = 4.99525 -> 5
    anglesey = rows[rows["area_code"] == "Isle of Anglesey"].iloc[0]
    assert anglesey["estimate"] == pytest.approx(4.99525)


def test_table_13_wales_total_is_rounded_once(wales_70plus):
    total = need_by_year(wales_70plus, OLDER_CARERS)
    assert total["population"].tolist() == [371477]
    assert total["estimate"].iloc[0] == pytest.approx(196.88281)  # 371,477 x 0.00053
    assert total["estimate_rounded"].tolist() == [197]
    by_area = need_by_year(wales_70plus, OLDER_CARERS, by_area=True)
    assert int(by_area["estimate_rounded"].sum()) == 196  # the published rows add to 196


def test_exact_half_rounds_up():
    # 250 x 0.2% = 0.5 exactly; float arithmetic gives 0.5000000000000001 or 0.49999...
    pop = _pop([("A", 2026, "65-69", "female", 250)])
    out = need_by_year(pop, [{"age_band": "65+", "sex": "all", "rate_percent": 0.2}])
    assert out["estimate_rounded"].tolist() == [1]


# --- multi-band and by-sex ------------------------------------------------------------------


@pytest.fixture
def older_pop():
    rows = []
    # 2026: 65-69 F1000 M900; 70-74 F800 M700; 75-79 F600 M500; 80-84 F400 M300; 85+ F300 M200
    # 2035: every figure x 1.5 ; a 55-64 band that no rate covers.
    base = {"55-64": (2000, 2000), "65-69": (1000, 900), "70-74": (800, 700), "75-79": (600, 500),
            "80-84": (400, 300), "85+": (300, 200)}
    for year, k in ((2026, 1.0), (2035, 1.5)):
        for band, (f, m) in base.items():
            for area, share in (("L1", 0.5), ("L2", 0.5)):
                rows.append((area, year, band, "female", f * k * share))
                rows.append((area, year, band, "male", m * k * share))
    return _pop(rows)


RATES = [
    {"age_band": "65-74", "sex": "all", "rate_percent": 2},
    {"age_band": "75+", "sex": "female", "rate_percent": 10},
    {"age_band": "75+", "sex": "male", "rate_percent": 8},
]


def test_apply_prevalence_multi_band_by_sex(older_pop):
    out = apply_prevalence(older_pop, RATES, years=[2026])
    assert out[["year", "age_band", "sex"]].values.tolist() == [
        [2026, "65-74", "all"], [2026, "75+", "female"], [2026, "75+", "male"]]
    # 65-74 all: 1000+900+800+700 = 3,400 x 2% = 68
    # 75+ female: 600+400+300 = 1,300 x 10% = 130 ; 75+ male: 500+300+200 = 1,000 x 8% = 80
    assert out["population"].tolist() == [3400, 1300, 1000]
    assert out["estimate"].tolist() == pytest.approx([68, 130, 80])


def test_need_by_year_totals(older_pop):
    out = need_by_year(older_pop, RATES)
    assert out["year"].tolist() == [2026, 2035]
    assert out["population"].tolist() == [5700, 8550]
    assert out["estimate"].tolist() == pytest.approx([278, 417])  # 2035 = 278 x 1.5
    assert out["estimate_rounded"].tolist() == [278, 417]


def test_need_by_area(older_pop):
    out = need_by_year(older_pop, RATES, years=[2026], by_area=True)
    assert out["area_code"].tolist() == ["L1", "L2"]
    assert out["estimate"].tolist() == pytest.approx([139, 139])


def test_straddling_band_is_named(older_pop):
    with pytest.raises(ValueError, match="'65-69' straddles .*'67-74'"):
        apply_prevalence(older_pop, [{"age_band": "67-74", "sex": "all", "rate_percent": 1}])
    with pytest.raises(ValueError, match="'85\\+' straddles"):
        apply_prevalence(older_pop, [{"age_band": "80-89", "sex": "all", "rate_percent": 1}])


def test_overlapping_rates_and_bad_rates_rejected(older_pop):
    with pytest.raises(ValueError, match="overlap"):
        apply_prevalence(older_pop, [
            {"age_band": "65+", "sex": "all", "rate_percent": 1},
            {"age_band": "75+", "sex": "male", "rate_percent": 1}])
    with pytest.raises(ValueError, match="sex"):
        apply_prevalence(older_pop, [{"age_band": "65+", "sex": "persons", "rate_percent": 1}])
    with pytest.raises(ValueError, match="No population data for year"):
        apply_prevalence(older_pop, RATES, years=[2030])


# --- unmet need -----------------------------------------------------------------------------


def _users():
    return pd.DataFrame(
        [
            {"year": 2026, "client_group": "older-people", "service_type": "Residential care",
             "area_code": "L1", "people": 100, "out_of_area": 5},
            {"year": 2026, "client_group": "older-people", "service_type": "Home care",
             "area_code": "L1", "people": 120, "out_of_area": 0},
            {"year": 2026, "client_group": "older-people", "service_type": "Day care",
             "area_code": "L1", "people": 40, "out_of_area": 0},
            {"year": 2025, "client_group": "older-people", "service_type": "Home care",
             "area_code": "L1", "people": 999, "out_of_area": 0},
        ]
    )


def test_unmet_need():
    r = unmet_need(278, _users(), ["Residential care", "Home care"], "older-people", 2026)
    # 278 - (100 + 120) = 58 ; 58 / 278 = 20.86%
    assert (r.need, r.known, r.unmet) == (278, 220, 58)
    assert r.unmet_percent == pytest.approx(20.8633, abs=1e-4)
    assert r.sentence("People aged 65 and over with dementia") == (
        "People aged 65 and over with dementia: an estimated 278 in 2026, of whom 220 are "
        "known to services, leaving an estimated 58 not known to services (20.9% of estimated need)."
    )


def test_unmet_need_never_negative():
    r = unmet_need(150, _users(), ["Residential care", "Home care"], None, 2026)
    assert r.unmet == 0 and r.unmet_percent == 0


def test_unmet_need_without_data():
    with pytest.raises(ValueError, match="no figures for people known to Home care in 2020"):
        unmet_need(150, _users(), ["Home care"], "older-people", 2020)


def test_needs_sentence_exact():
    assert needs_sentence("People aged 65 and over with dementia", 2026, 4120, 2035, 5070) == (
        "People aged 65 and over with dementia: 4,120 in 2026, projected 5,070 in 2035, up 23.1%"
    )
    assert needs_sentence("Older carers", 2026, 200.4, 2030, 190) == (
        "Older carers: 200 in 2026, projected 190 in 2030, down 5.2%"  # 10.4 / 200.4 = 5.19%
    )
