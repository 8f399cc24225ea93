"""Risk scoring, banding, register order and heat map."""

from __future__ import annotations

import pytest

from strategy_docs.analysis.risks import heat_map, risk_band, risk_register, risk_score


def test_risk_score_validates():
    assert risk_score(4, 5) == 20
    assert risk_score(1.0, 3) == 3
    for bad in (0, 6, 2.5, None, True, "high"):
        with pytest.raises(ValueError, match="1 to 5"):
            risk_score(bad, 3)


@pytest.mark.parametrize(
    "score, label, tone",
    [(1, "Low", "good"), (4, "Low", "good"), (5, "Medium", "warning"), (9, "Medium", "warning"),
     (10, "High", "bad"), (14, "High", "bad"), (15, "Very high", "bad"), (25, "Very high", "bad")],
)
def test_default_bands(score, label, tone):
    b = risk_band(score)
    assert (b.label, b.tone) == (label, tone)


def test_custom_bands():
    bands = [{"min": 13, "label": "Red", "tone": "bad"}, {"min": 1, "label": "Green", "tone": "good"},
             {"min": 6, "label": "Amber", "tone": "warning"}]
    assert risk_band(6, bands).label == "Amber"
    assert risk_band(12, bands).label == "Amber"
    assert risk_band(13, bands).label == "Red"
    with pytest.raises(ValueError, match="start at 1"):
        risk_band(5, [{"min": 2, "label": "x", "tone": "good"}])
    with pytest.raises(ValueError, match="tone"):
        risk_band(5, [{"min": 1, "label": "x", "tone": "red"}])
    with pytest.raises(ValueError, match="different"):
        risk_band(5, [{"min": 1, "label": "x", "tone": "good"}, {"min": 1, "label": "y", "tone": "bad"}])


RISKS = [
    {"id": "R1", "title": "Provider failure", "likelihood": 3, "impact": 5,
     "residual_likelihood": 2, "residual_impact": 4},                       # 15 -> 8
    {"id": "R2", "title": "Short-term funding", "likelihood": 4, "impact": 4},  # 16, no residual
    {"id": "R3", "title": "Workforce", "inherent": {"likelihood": 5, "impact": 4},
     "residual": {"likelihood": 2, "impact": 4}},                              # 20 -> 8
    {"id": "R0", "title": "Data quality", "likelihood": 2, "impact": 2,
     "residual_likelihood": 1, "residual_impact": 1},                       # 4 -> 1
]


def test_register_scores_and_order():
    reg = risk_register(RISKS)
    # current: R2 16 (no residual), R3 8 (inh 20), R1 8 (inh 15), R0 1
    assert reg["id"].tolist() == ["R2", "R3", "R1", "R0"]
    assert reg["inherent_score"].tolist() == [16, 20, 15, 4]
    assert reg["residual_score"].tolist() == [None, 8, 8, 1]
    assert reg["inherent_band"].tolist() == ["Very high", "Very high", "Very high", "Low"]
    assert reg["residual_band"].tolist() == [None, "Medium", "Medium", "Low"]
    assert reg["residual_tone"].tolist() == [None, "warning", "warning", "good"]
    assert reg["title"].tolist() == ["Short-term funding", "Workforce", "Provider failure", "Data quality"]


def test_register_ties_break_on_id():
    reg = risk_register([
        {"id": "B", "likelihood": 2, "impact": 2}, {"id": "A", "likelihood": 4, "impact": 1},
    ])
    assert reg["id"].tolist() == ["A", "B"]


def test_register_error_names_risk():
    with pytest.raises(ValueError, match="Risk R9: Impact"):
        risk_register([{"id": "R9", "likelihood": 2, "impact": 7}])


def test_heat_map():
    hm = heat_map(RISKS)  # current position
    assert hm.counts.index.tolist() == [5, 4, 3, 2, 1]
    assert hm.counts.columns.tolist() == [1, 2, 3, 4, 5]
    # R2 at (4,4); R3 and R1 at residual (2,4); R0 at (1,1)
    assert hm.counts.loc[4, 4] == 1
    assert hm.counts.loc[2, 4] == 2
    assert hm.counts.loc[1, 1] == 1
    assert int(hm.counts.to_numpy().sum()) == 4
    assert hm.bands.loc[5, 5] == "Very high" and hm.tones.loc[5, 5] == "bad"
    assert hm.bands.loc[1, 4] == "Low" and hm.bands.loc[1, 5] == "Medium"
    assert hm.bands.loc[2, 5] == "High"
    inherent = heat_map(RISKS, which="inherent")
    assert inherent.counts.loc[3, 5] == 1 and inherent.counts.loc[5, 4] == 1
    residual = heat_map(RISKS, which="residual")
    assert int(residual.counts.to_numpy().sum()) == 3  # R2 has no residual score


def test_params_shapes_are_accepted():
    import datetime as dt

    class Band:  # like a pydantic model: has model_dump()
        def __init__(self, **kw):
            self.kw = kw

        def model_dump(self):
            return dict(self.kw)

    bands = [Band(min_score=1, label="Low", tone="good"), {"min_score": 12, "label": "High", "tone": "bad"}]
    reg = risk_register([{"id": "R1", "inherent": {"likelihood": 3, "impact": 4},
                          "residual": {"likelihood": 2, "impact": 3}, "mitigations": ["Contingency plan"],
                          "review_date": dt.date(2026, 3, 31)}], bands)
    assert reg.loc[0, "inherent_band"] == "High" and reg.loc[0, "residual_band"] == "Low"
    assert reg.loc[0, "mitigations"] == ["Contingency plan"]
    assert reg.loc[0, "review_date"] == dt.date(2026, 3, 31)
