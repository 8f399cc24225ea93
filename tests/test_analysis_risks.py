"""Risk banding, register order and heat map, from the validated risk models' own scores."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError as PydanticValidationError

from strategy_docs.analysis.risks import heat_map, risk_band, risk_register
from strategy_docs.inputs.params import Authority, Risk, RiskBand, Score


def test_the_model_scores_and_checks_levels():
    assert Score(likelihood=4, impact=5).score == 20
    for bad in (0, 6, 2.5, None, "high"):
        with pytest.raises(PydanticValidationError):
            Score(likelihood=bad, impact=3)


@pytest.mark.parametrize(
    "score, label, tone",
    [(1, "Low", "good"), (4, "Low", "good"), (5, "Medium", "warning"), (9, "Medium", "warning"),
     (10, "High", "bad"), (14, "High", "bad"), (15, "Very high", "bad"), (25, "Very high", "bad")],
)
def test_default_bands(score, label, tone):
    b = risk_band(score)
    assert (b.label, b.tone) == (label, tone)
    # the authority's default bands are the same four
    b = risk_band(score, Authority(name="A", nation="england").risk_bands)
    assert (b.label, b.tone) == (label, tone)


def _bands(*bands):
    return Authority(name="A", nation="england", risk_bands=[dict(zip(("min_score", "label", "tone"), b)) for b in bands]).risk_bands


def test_custom_bands():
    bands = _bands((13, "Red", "bad"), (1, "Green", "good"), (6, "Amber", "warning"))  # the model sorts them
    assert risk_band(5, bands).label == "Green"
    assert risk_band(6, bands).label == "Amber"
    assert risk_band(12, bands).label == "Amber"
    assert risk_band(13, bands).label == "Red"
    # the bands are checked once, by the authority's model
    with pytest.raises(PydanticValidationError, match="start at min_score 1"):
        _bands((2, "x", "good"))
    with pytest.raises(PydanticValidationError, match="tone"):
        _bands((1, "x", "red"))
    with pytest.raises(PydanticValidationError, match="same min_score"):
        _bands((1, "x", "good"), (1, "y", "bad"))


def _risk(rid, title, inherent=None, residual=None, **more):
    score = (lambda pair: None if pair is None else Score(likelihood=pair[0], impact=pair[1]))
    return Risk(id=rid, title=title, inherent=score(inherent), residual=score(residual), **more)


RISKS = [
    _risk("R1", "Provider failure", (3, 5), (2, 4)),    # 15 -> 8
    _risk("R2", "Short-term funding", (4, 4)),          # 16, no residual
    _risk("R3", "Workforce", (5, 4), (2, 4)),           # 20 -> 8
    _risk("R0", "Data quality", (2, 2), (1, 1)),        # 4 -> 1
]


def test_register_scores_and_order():
    reg = risk_register(RISKS)
    # current: R2 16 (no residual), R3 8 (inh 20), R1 8 (inh 15), R0 1
    assert reg["id"].tolist() == ["R2", "R3", "R1", "R0"]
    assert reg["inherent_score"].tolist() == [16, 20, 15, 4]
    assert reg["residual_score"].tolist() == [None, 8, 8, 1]
    assert reg["current_score"].tolist() == [16, 8, 8, 1]
    assert reg["inherent_band"].tolist() == ["Very high", "Very high", "Very high", "Low"]
    assert reg["residual_band"].tolist() == [None, "Medium", "Medium", "Low"]
    assert reg["residual_tone"].tolist() == [None, "warning", "warning", "good"]
    assert reg["title"].tolist() == ["Short-term funding", "Workforce", "Provider failure", "Data quality"]


def test_register_ties_break_on_id():
    reg = risk_register([_risk("B", "b", (2, 2)), _risk("A", "a", (4, 1))])
    assert reg["id"].tolist() == ["A", "B"]


def test_a_risk_scored_only_after_mitigation_sorts_on_that_score():
    # R5 residual 3 x 3 = 9, no inherent: sorts as if 9 before mitigation too, so ahead of R6 (9, inherent 6)
    # and behind R7 (9, inherent 12)
    reg = risk_register([_risk("R6", "six", (3, 2), (3, 3)), _risk("R5", "five", None, (3, 3)),
                         _risk("R7", "seven", (4, 3), (3, 3))])
    assert reg["id"].tolist() == ["R7", "R5", "R6"]
    assert reg["inherent_score"].tolist() == [12, None, 6]
    assert reg["inherent_band"].tolist() == ["High", None, "Medium"]


def test_register_refuses_a_risk_with_no_score():
    with pytest.raises(ValueError, match="Risk R9 has no score"):
        risk_register([_risk("R9", "Unscored")])


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


def test_register_passes_the_risks_other_fields_through():
    bands = _bands((1, "Low", "good"), (12, "High", "bad"))
    reg = risk_register([_risk("R1", "Provider failure", (3, 4), (2, 3), mitigations=["Contingency plan"],
                               review_date=dt.date(2026, 3, 31))], bands)
    assert reg.loc[0, "inherent_band"] == "High" and reg.loc[0, "residual_band"] == "Low"  # 12 and 6
    assert reg.loc[0, "mitigations"] == ["Contingency plan"]
    assert reg.loc[0, "review_date"] == dt.date(2026, 3, 31)
    assert reg.columns.tolist()[:3] == ["id", "title", "cause"]


class Weighted(Score):
    """A score the model works out differently from likelihood x impact (as a council's own matrix might)."""

    @property
    def score(self) -> int:
        return self.likelihood * self.impact + 10


def test_the_models_score_is_used_not_worked_out_again():
    # 2 x 2 = 4 would be Low; the model says 14, which is High: the register, the heat map and
    # the bands must all follow the model
    risk = Risk(id="R1", title="Weighted", inherent=Weighted(likelihood=2, impact=2),
                residual=Weighted(likelihood=1, impact=2))
    assert risk.residual.score == 12  # kept as given, not revalidated into a plain Score
    reg = risk_register([risk, _risk("R2", "Plain", (3, 4), (3, 4))])  # 12 and 12: inherent 14 > 12 breaks the tie
    assert reg["id"].tolist() == ["R1", "R2"]
    assert reg.loc[0, "inherent_score"] == 14 and reg.loc[0, "inherent_band"] == "High"
    assert reg.loc[0, "residual_score"] == 12 and reg.loc[0, "residual_band"] == "High"
    assert reg.loc[0, "current_score"] == 12
    hm = heat_map([risk], which="residual")
    assert hm.counts.loc[1, 2] == 1  # placed by the model's likelihood and impact
