"""The hypothesis metric catalogue and verdicts, on a small hand-computed data set.

Hand figures for the fixture:
- need (dementia): 2025 = 4,000 x 2% + 2,000 x 10% + 1,000 x 20% = 480; 2028 = 528; 2040 = 720
- capacity of Residential + Nursing care = 100 + 100 + 200 = 400; occupied 95 + 85 + 190 = 370
- ratings: Good, Requires improvement, Outstanding -> 2 of 3 good or better
- HHI: shares 25, 25, 50 -> 625 + 625 + 2,500 = 3,750
- people known 2025: Residential 180 (18 out of area), Nursing 190, Home care 50
"""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError as PydanticValidationError

from strategy_docs.analysis import AnalysisInputs, Measure
from strategy_docs.analysis.hypotheses import (
    METRICS,
    CannotCompute,
    evaluate,
    evaluate_metric,
)
from strategy_docs.inputs.params import HypothesisTest
from strategy_docs.i18n import Translator, mark, segments


def make_inputs() -> AnalysisInputs:
    pop_rows = []
    for year, k in ((2025, 1.0), (2028, 1.1), (2040, 1.5)):
        for band, n in (("65-74", 2000), ("75-84", 1000), ("85+", 500)):
            for sex in ("female", "male"):
                pop_rows.append(dict(area_code="L1", year=year, age_band=band, sex=sex,
                                     population=round(n * k), basis="projection"))
    providers = pd.DataFrame([
        dict(provider_id=p, provider_name=p, client_group="op", service_type=t, sector=s, area_code="L1",
             capacity=c, occupied=o, quality_rating=q)
        for p, t, s, c, o, q in [
            ("P1", "Residential care", "private", 100, 95, "Good"),
            ("P2", "Residential care", "voluntary", 100, 85, "Requires improvement"),
            ("P3", "Nursing care", "private", 200, 190, "Outstanding"),
        ]
    ])
    users = pd.DataFrame([
        dict(year=2025, client_group="op", service_type=t, area_code="L1", people=n, out_of_area=o)
        for t, n, o in [("Residential care", 180, 18), ("Nursing care", 190, 0), ("Home care", 50, 0)]
    ])
    budget = pd.DataFrame([
        dict(financial_year="2024/25", client_group="op", group=g, line=g, amount=a)
        for g, a in [("Residential care", 3_000_000), ("Nursing care", 1_000_000), ("Income", -500_000)]
    ])
    unit_costs = pd.DataFrame([
        dict(financial_year="2024/25", client_group="op", service_type="Residential care", unit="per week",
             unit_cost=700, comparator_average=650),
        dict(financial_year="2024/25", client_group="op", service_type="Home care", unit="per hour",
             unit_cost=20, comparator_average=None),
    ])
    indicators = pd.DataFrame([
        dict(client_group="op", indicator_id="i1", period=p, value=v, comparator_average=70)
        for p, v in [("2022/23", 70.0), ("2023/24", 75.0)]
    ] + [dict(client_group="op", indicator_id="i2", period="2023/24", value=None, comparator_average=None)])
    measures = {
        "dementia": Measure(
            id="dementia", label="People aged 65 and over with dementia",
            rates=[{"age_band": "65-74", "sex": "all", "rate_percent": 2},
                   {"age_band": "75-84", "sex": "all", "rate_percent": 10},
                   {"age_band": "85+", "sex": "all", "rate_percent": 20}],
            service_types=["Residential care", "Nursing care"],
        ),
        "unlinked": Measure(id="unlinked", label="Unlinked", rates=[{"age_band": "85+", "sex": "all", "rate_percent": 1}]),
    }
    return AnalysisInputs(
        population=pd.DataFrame(pop_rows), service_users=users, providers=providers, budget=budget,
        unit_costs=unit_costs, indicators=indicators, measures=measures, base_year=2025, end_year=2028,
        look_ahead_year=2040, nation="england", age_range=(65, None),
    )


@pytest.fixture(scope="module")
def inputs():
    return make_inputs()


@pytest.mark.parametrize(
    "metric, args, expected",
    [
        ("need_change_percent", {"measure": "dementia"}, 10.0),              # 480 -> 528
        ("need_change_percent", {"measure": "dementia", "to_year": 2040}, 50.0),
        ("unmet_need_percent", {"measure": "dementia"}, 110 / 480 * 100),    # 480 - 370
        ("occupancy_percent", {}, 92.5),                                     # 370 / 400
        ("occupancy_percent", {"service_type": "Residential care"}, 90.0),
        ("good_or_better_percent", {}, 200 / 3),
        ("out_of_area_percent", {}, 18 / 420 * 100),
        ("unit_cost_vs_comparator_percent", {"service_type": "Residential care"}, 50 / 650 * 100),
        ("spend_share_percent", {"group": "Residential care"}, 75.0),        # 3m of 4m gross
        ("indicator_latest", {"indicator_id": "i1"}, 75.0),
        ("indicator_change", {"indicator_id": "i1"}, 5.0),
        ("concentration_hhi", {}, 3750.0),
        ("concentration_hhi", {"service_type": "Nursing care"}, 10000.0),
        # demand = people using each service in 2025 grown with need (480 -> 528 is x1.1):
        # residential 180 x 1.1 = 198 - 200 places = -2; nursing 190 x 1.1 = 209 - 200 = 9
        ("capacity_gap", {"measure": "dementia"}, 7.0),
        # 2040: need 720 = x1.5; nursing 190 x 1.5 = 285 - 200 places = 85
        ("capacity_gap", {"measure": "dementia", "year": 2040, "service_types": ["Nursing care"]}, 85.0),
    ],
)
def test_metric_values(inputs, metric, args, expected):
    assert evaluate_metric(metric, args, inputs).value == pytest.approx(expected)


def test_catalogue_is_complete():
    assert sorted(METRICS) == sorted([
        "need_change_percent", "unmet_need_percent", "occupancy_percent", "good_or_better_percent",
        "out_of_area_percent", "unit_cost_vs_comparator_percent", "spend_share_percent",
        "indicator_latest", "indicator_change", "concentration_hhi", "capacity_gap",
    ])
    for spec in METRICS.values():
        assert spec["description"] and spec["short"] and isinstance(spec["args"], dict)


def _t(metric, comparison, threshold, margin=0, **args):
    return HypothesisTest(metric=metric, args=args, comparison=comparison, threshold=threshold, margin=margin)


def test_verdicts(inputs):
    # occupancy 92.5%
    assert evaluate(_t("occupancy_percent", ">", 90), inputs).verdict == "accepted"
    assert evaluate(_t("occupancy_percent", ">", 95), inputs).verdict == "refuted"
    assert evaluate(_t("occupancy_percent", "<", 95), inputs).verdict == "accepted"
    assert evaluate(_t("occupancy_percent", ">", 92, margin=1), inputs).verdict == "inconclusive"
    assert evaluate(_t("occupancy_percent", ">", 91, margin=1), inputs).verdict == "accepted"
    assert evaluate(_t("occupancy_percent", "<", 94, margin=1), inputs).verdict == "accepted"
    assert evaluate(_t("occupancy_percent", ">", 94, margin=1), inputs).verdict == "refuted"
    assert evaluate(_t("occupancy_percent", ">", 93.5, margin=1), inputs).verdict == "inconclusive"
    # exactly equal: >= holds, > fails
    assert evaluate(_t("occupancy_percent", ">=", 92.5), inputs).verdict == "accepted"
    assert evaluate(_t("occupancy_percent", ">", 92.5), inputs).verdict == "refuted"
    assert evaluate(_t("occupancy_percent", "<=", 92.5), inputs).verdict == "accepted"


def test_evidence_sentence(inputs):
    e = evaluate(_t("occupancy_percent", ">", 90), inputs)
    assert e.value == pytest.approx(92.5)
    assert e.evidence == (  # 370 / 400 = 92.5%
        "370 of the 400 places are occupied. Occupancy is 92.5%, which is more than 90.0%, so the "
        "evidence supports the hypothesis."
    )
    e = evaluate(_t("occupancy_percent", ">", 92.5), inputs)
    assert e.evidence.endswith("Occupancy is 92.5%, which is not more than 92.5%, so the evidence does not "
                               "support the hypothesis.")
    e = evaluate(_t("occupancy_percent", ">", 92.5), inputs, variant=1)
    assert e.evidence.endswith("The test asks for more than 92.5%; at 92.5%, occupancy does not meet it and "
                               "the hypothesis is refuted.")
    e = evaluate(_t("capacity_gap", ">", 5, margin=1, measure="dementia"), inputs)
    assert e.verdict == "accepted"
    assert e.evidence.startswith(
        "By 2028 projected demand for Residential care is 198 people against 200 current places: "
        "spare capacity of 2 places. Demand is the 180 people using Residential care in 2025, grown by "
        "10.0% in line with the estimated number of people aged 65 and over with dementia (480 in 2025; "
        "528 in 2028)."
    )
    assert "By 2028 projected demand for Nursing care is 209 people against 200 current places: a shortfall of 9 places." in e.evidence
    # 198 + 209 demand - 400 places = +7, more than 5 by more than the margin of 1
    assert e.evidence.endswith("Projected demand minus current places is +7, which is more than +5, so the "
                               "evidence supports the hypothesis. The difference is larger than the margin of "
                               "1 place that the test allows.")
    assert ".." not in e.evidence


def test_inconclusive_when_data_missing(inputs):
    e = evaluate(_t("occupancy_percent", ">", 90, service_type="Day care"), inputs)
    assert (e.value, e.verdict) == (None, "inconclusive")
    assert e.evidence == ("Occupancy could not be worked out because the provider figures have nothing for Day "
                          "care (they cover: Nursing care, Residential care), so the evidence is inconclusive.")
    e = evaluate(_t("indicator_latest", ">", 1, indicator_id="i2"), inputs)
    assert e.verdict == "inconclusive" and "no value for 2023/24" in e.evidence
    e = evaluate(_t("unit_cost_vs_comparator_percent", ">", 1, service_type="Home care"), inputs)
    assert e.verdict == "inconclusive" and "no comparator average" in e.evidence
    e = evaluate(_t("need_change_percent", ">", 1, measure="dementia", to_year=2031), inputs)
    assert e.verdict == "inconclusive" and "2031" in e.evidence
    e = evaluate(_t("unmet_need_percent", ">", 1, measure="unlinked"), inputs)
    assert e.verdict == "inconclusive" and "no services are linked to" in e.evidence
    e = evaluate(_t("spend_share_percent", ">", 1, group="Day care"), inputs)
    assert e.verdict == "inconclusive" and "has no Day care group" in e.evidence
    with pytest.raises(CannotCompute):
        evaluate_metric("indicator_change", {"indicator_id": "i2"}, inputs)


def test_bad_tests_raise_value_error(inputs):
    with pytest.raises(ValueError, match="Unknown metric 'occupancy'.*occupancy_percent"):
        evaluate(_t("occupancy", ">", 1), inputs)
    with pytest.raises(ValueError, match="unknown arg\\(s\\) service.*Valid args: service_type \\(optional\\)"):
        evaluate(_t("occupancy_percent", ">", 1, service="x"), inputs)
    with pytest.raises(ValueError, match="missing required arg\\(s\\) measure"):
        evaluate(_t("capacity_gap", ">", 1), inputs)
    with pytest.raises(ValueError, match="Unknown measure 'falls'.*dementia"):
        evaluate(_t("capacity_gap", ">", 1, measure="falls"), inputs)
    with pytest.raises(ValueError, match="whole year"):
        evaluate(_t("need_change_percent", ">", 1, measure="dementia", to_year="soon"), inputs)



@pytest.mark.parametrize("comparison, threshold, margin", [("=>", 1, 0), (">", "high", 0), (">", 1, -1),
                                                           (">", float("nan"), 0), (">", float("inf"), 0)])
def test_the_model_refuses_a_test_evaluate_could_not_decide(comparison, threshold, margin):
    # comparison, threshold and margin are checked once, by the params model, and evaluate uses them as they are
    with pytest.raises(PydanticValidationError):
        _t("occupancy_percent", comparison, threshold, margin)


def test_evaluate_reads_the_models_args_as_the_plan_wrote_them(inputs):
    # a year written as text or as a float, and one service type for the list: as in test_metric_values,
    # 2040 need 720 (x1.5 of 480) and nursing 190 x 1.5 = 285 - 200 places = 85; need 480 -> 720 is +50%
    gap = _t("capacity_gap", ">", 80, measure="dementia", year="2040", service_types="Nursing care")
    assert evaluate(gap, inputs).value == pytest.approx(85.0)
    change = _t("need_change_percent", ">", 49, measure="dementia", to_year=2040.0)
    assert evaluate(change, inputs).value == pytest.approx(50.0)


# Every metric, with cases that cannot be worked out, as the Welsh page shows it.
WELSH_CASES = [
    ("need_change_percent", {"measure": "dementia"}), ("need_change_percent", {"measure": "dementia", "to_year": 2031}),
    ("unmet_need_percent", {"measure": "dementia"}), ("unmet_need_percent", {"measure": "unlinked"}),
    ("occupancy_percent", {}), ("occupancy_percent", {"service_type": "Residential care"}),
    ("occupancy_percent", {"service_type": "Day care"}),
    ("good_or_better_percent", {}), ("good_or_better_percent", {"service_type": "Nursing care"}),
    ("out_of_area_percent", {}), ("out_of_area_percent", {"service_type": "Residential care"}),
    ("unit_cost_vs_comparator_percent", {"service_type": "Residential care"}),
    ("unit_cost_vs_comparator_percent", {"service_type": "Home care"}),
    ("spend_share_percent", {"group": "Residential care"}), ("spend_share_percent", {"group": "Day care"}),
    ("indicator_latest", {"indicator_id": "i1"}), ("indicator_latest", {"indicator_id": "i2"}),
    ("indicator_latest", {"indicator_id": "i9"}), ("indicator_change", {"indicator_id": "i1"}),
    ("concentration_hhi", {}), ("concentration_hhi", {"service_type": "Nursing care"}),
    ("capacity_gap", {"measure": "dementia"}), ("capacity_gap", {"measure": "dementia", "year": 2031}),
    ("capacity_gap", {"measure": "unlinked"}),
]
DATA_NAMES = {"Residential care", "Nursing care", "Home care", "Day care", "Income"}


@pytest.mark.parametrize("metric, args", WELSH_CASES)
def test_evidence_in_welsh_comes_from_the_catalogue_and_only_the_datas_names_stay_english(inputs, metric, args):
    for variant, (comparison, margin) in enumerate(((">", 0), ("<", 0), (">=", 0.5))):
        t = Translator("cy")
        evidence = evaluate(_t(metric, comparison, 1, margin, **args), inputs, variant=variant, t=t).evidence
        assert t.missing == set(), evidence  # every sentence and word the code writes has its Welsh
        english = {piece for language, piece in segments(evidence)[0] if language == "en"}
        assert english <= DATA_NAMES, evidence  # service types and budget groups: the data's own English names


def test_welsh_evidence_by_hand(inputs):
    t = Translator("cy")
    occupancy = evaluate(_t("occupancy_percent", ">", 90), inputs, t=t)
    assert occupancy.verdict == "accepted"
    assert occupancy.evidence == ("Mae 370 o'r 400 o leoedd yn llawn. Y gyfradd defnydd yw 92.5%, sy'n bodloni'r prawf "
                                  "(mwy na 90.0%), felly mae'r dystiolaeth yn cefnogi'r ddamcaniaeth.")
    hhi = evaluate(_t("concentration_hhi", "<", 5000, service_type="Nursing care"), inputs, variant=1, t=t)
    assert hhi.evidence == (f"Mae'r capasiti yn {mark('Nursing care', 'en')} wedi'i grynhoi'n fawr: mae 1 darparwr yn dal "
                            "pob un o'r 200 o leoedd. Y prawf yw llai na 5,000; nid yw 10,000 (mynegai Herfindahl-Hirschman) "
                            "yn ei fodloni, felly mae'r ddamcaniaeth yn cael ei gwrthod.")
    # the English is as it was
    assert evaluate(_t("occupancy_percent", ">", 90), inputs).evidence == (
        "370 of the 400 places are occupied. Occupancy is 92.5%, which is more than 90.0%, so the evidence supports "
        "the hypothesis.")
