"""Indicator latest value, direction of travel and RAG."""

from __future__ import annotations

import pandas as pd
import pytest

from strategy_docs.analysis.indicators import (
    direction_of_travel,
    indicator_series,
    indicator_status,
    rag,
)
from strategy_docs.analysis.formatting import fmt_change
from strategy_docs.i18n import Translator


@pytest.fixture
def indicators():
    rows = [
        ("ascof-1c", "2023/24", 82.0, 80.0),
        ("ascof-1c", "2021/22", 75.0, 78.0),
        ("ascof-1c", "2022/23", None, 79.0),
        ("delayed", "2022/23", 12.0, 10.0),
        ("delayed", "2023/24", 14.0, 15.0),
        ("blank", "2023/24", None, 3.0),
        ("blank", "2022/23", 2.0, 3.0),
    ]
    return pd.DataFrame([dict(client_group="op", indicator_id=i, period=p, value=v, comparator_average=c)
                         for i, p, v, c in rows])


def test_series_sorted_by_period(indicators):
    s = indicator_series(indicators, "ascof-1c")
    assert s["period"].tolist() == ["2021/22", "2022/23", "2023/24"]
    with pytest.raises(ValueError, match="ascof-1c"):
        indicator_series(indicators, "nope")


def test_direction_of_travel():
    assert direction_of_travel(75, 82, "higher") == "improving"
    assert direction_of_travel(75, 82, "lower") == "worsening"
    assert direction_of_travel(12, 14, "lower is better") == "worsening"
    assert direction_of_travel(5, 5, "higher") == "no change"
    assert direction_of_travel(None, 5, "higher") == "not known"
    with pytest.raises(ValueError, match="higher"):
        direction_of_travel(1, 2, "up")


def test_status_uses_previous_available_value(indicators):
    s = indicator_status(indicators, "ascof-1c", "higher", target=80)
    assert (s.latest_period, s.latest_value) == ("2023/24", 82.0)
    assert (s.previous_period, s.previous_value) == ("2021/22", 75.0)  # 2022/23 is blank
    assert s.direction == "improving"
    assert (s.label, s.tone) == ("On track", "good")
    assert s.reason == "The latest value (2023/24) is 82, which meets the target of 80."
    assert s.status == {"label": "On track", "tone": "good"}


def test_status_no_data(indicators):
    s = indicator_status(indicators, "blank", "higher", target=3)
    assert (s.label, s.tone) == ("No data", "neutral")
    assert s.latest_value is None and s.direction == "not known"
    assert s.reason == "No value is available for the latest period (2023/24)."


def test_rag_rules_higher_is_better():
    # target 80, tolerance 5% = 4: 77 misses by 3 -> At risk
    assert rag(77, 80, None, "higher")[:2] == ("At risk", "warning")
    assert rag(77, 80, None, "higher")[2] == (
        "The latest value is 77, which misses the target of 80 by 3, within the tolerance of 5.0% "
        "of the target (4)."
    )
    assert rag(76, 80, None, "higher")[0] == "At risk"  # exactly 4 short
    # 70 misses by 10 but beats comparator 65 -> At risk
    label, tone, reason = rag(70, 80, 65, "higher")
    assert (label, tone) == ("At risk", "warning")
    assert reason.endswith("but is better than the comparator average of 65.")
    # 70 misses by 10 and comparator is 72 -> Off track
    label, tone, reason = rag(70, 80, 72, "higher")
    assert (label, tone) == ("Off track", "bad")
    assert reason.endswith("and is not better than the comparator average of 72.")
    assert rag(80, 80, None, "higher")[0] == "On track"
    assert rag(5, None, None, "higher")[:2] == ("No target", "neutral")


def test_rag_rules_lower_is_better(indicators):
    s = indicator_status(indicators, "delayed", "lower", target=13)
    # 14 vs target 13: misses by 1 > 5% of 13 (0.65) but better than comparator 15 -> At risk
    assert (s.label, s.direction) == ("At risk", "worsening")
    # 13.7 misses by 0.7 > 0.65, and the comparator is switched off
    assert rag(13.5, 13, 20, "lower")[0] == "At risk"  # misses by 0.5 <= 0.65
    assert rag(13.7, 13, 20, "lower", rules={"amber_tolerance_percent": 5, "comparator_rescues": False})[0] == "Off track"
    assert rag(12.9, 13, None, "lower")[0] == "On track"
    assert rag(13.6, 13, None, "lower", rules={"amber_tolerance_percent": 10})[0] == "At risk"


def test_custom_labels():
    rules = {"on_track": {"label": "Green", "tone": "good"}, "off_track": ("Red", "bad")}
    assert rag(90, 80, None, "higher", rules)[:2] == ("Green", "good")
    assert rag(10, 80, None, "higher", rules)[:2] == ("Red", "bad")
    with pytest.raises(ValueError, match="Unknown RAG rule"):
        rag(1, 2, None, "higher", {"amber": 3})


def test_the_authoritys_rag_rules_model_is_taken_as_it_is():
    from strategy_docs.analysis.indicators import RagRules
    from strategy_docs.inputs.params import RagRules as RagRulesModel

    model = RagRulesModel(amber_tolerance_percent=10, comparator_rescues=False)
    assert RagRules.from_any(model) == RagRules(amber_tolerance_percent=10.0, comparator_rescues=False)
    # 13.6 misses a target of 13 (lower is better) by 0.6, within 10% (1.3): At risk; the comparator
    # 20 would rescue 14.5 (1.5 over) only if comparator_rescues were on
    assert rag(13.6, 13, None, "lower", rules=model)[0] == "At risk"
    assert rag(14.5, 13, 20, "lower", rules=model)[0] == "Off track"
    assert rag(14.5, 13, 20, "lower", rules=RagRulesModel(amber_tolerance_percent=10))[0] == "At risk"


def test_a_reason_in_welsh_has_welsh_words_and_units_and_the_english_is_unchanged():
    t = Translator("cy")
    label, tone, reason = rag(15.5, 14, None, "lower", period="2024/25", unit="days", t=t)
    assert reason == "Y gwerth diweddaraf (2024/25) yw 15.5 diwrnod, sy'n methu'r targed o 14.0 diwrnod o 1.5 diwrnod."
    assert (label, tone) == rag(15.5, 14, None, "lower", period="2024/25", unit="days")[:2]
    assert rag(15.5, 14, None, "lower", period="2024/25", unit="days")[2] == (
        "The latest value (2024/25) is 15.5 days, which misses the target of 14.0 days by 1.5 days.")
    _, _, met = rag(82, 80, None, "higher", period="2023/24", unit="percent", variant=2, t=t)
    assert met == "Mae'r targed o 80.0% wedi'i gyrraedd: y gwerth diweddaraf (2023/24) yw 82.0%."
    assert not t.missing


def test_a_change_in_words_in_welsh():
    t = Translator("cy")
    assert fmt_change(100, 123.1, t=t) == "i fyny 23.1%" and fmt_change(100, 123.1) == "up 23.1%"
    assert fmt_change(5, 5) == "no change" and fmt_change(5, 5, t=t) == t("no change") != "no change"
    assert not t.missing
