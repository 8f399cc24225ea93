"""Risk register: the validated risks' scores banded, sorted and heat-mapped.

The scores (likelihood x impact, each 1-5) are the params models' own (``params.Score.score``);
the bands are the authority's validated ``risk_bands``. Nothing here checks or scores them again.

Bands are configurable because councils use different cut-offs; the default is a common
Low / Medium / High / Very high scheme. Each band carries a tone so that the rendered
status shows a label and a colour, never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence, Union

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover - the params models import this package, so only for annotations
    from strategy_docs.inputs import params

    Risk = params.Risk
    Band = Union[params.RiskBand, "RiskBand"]

@dataclass(frozen=True)
class RiskBand:
    """A score band: applies to scores from ``min_score`` up to the next band's ``min_score``.

    Shaped like the authority's validated ``risk_bands`` entries (:class:`strategy_docs.inputs.params.RiskBand`),
    which are what the sections pass."""

    min_score: int
    label: str
    tone: str


DEFAULT_BANDS: tuple[RiskBand, ...] = (
    RiskBand(1, "Low", "good"),
    RiskBand(5, "Medium", "warning"),
    RiskBand(10, "High", "bad"),
    RiskBand(15, "Very high", "bad"),
)


def risk_band(score: int, bands: Sequence["Band"] | None = None) -> "Band":
    """The band with the highest ``min_score`` that is not above the score.

    ``bands``: the authority's validated risk bands (their lowest starts at 1, no two share a
    ``min_score``); None: the defaults."""
    chosen = None
    for band in DEFAULT_BANDS if bands is None else bands:
        if band.min_score <= score and (chosen is None or band.min_score > chosen.min_score):
            chosen = band
    if chosen is None:  # a validated set of bands starts at 1, and every score is at least 1
        raise ValueError(f"No risk band covers score {score}.")
    return chosen


COMPUTED = [
    "likelihood", "impact", "inherent_score", "inherent_band", "inherent_tone",
    "residual_likelihood", "residual_impact", "residual_score", "residual_band", "residual_tone",
    "current_score",
]
_SCORES = ("inherent", "residual")


def risk_register(risks: Iterable["Risk"], bands: Sequence["Band"] | None = None) -> pd.DataFrame:
    """Band each scored risk; sort by the current score desc, then the inherent score desc, then id.

    ``risks``: validated risks (:class:`strategy_docs.inputs.params.Risk`), each with a score before
    (``inherent``) or after (``residual``) mitigation or both; the scores are the models' own
    (``Score.score``), never worked out again here. The current position (``current_score``) is the
    residual score where given, else the inherent one; a risk scored only after mitigation sorts on
    that score in both places. The risks' other fields (title, owner, ...) are passed through.
    """
    rows = []
    for risk in risks:
        inherent, residual = risk.inherent, risk.residual
        if inherent is None and residual is None:
            raise ValueError(f"Risk {risk.id} has no score before or after mitigation.")
        row = {k: v for k, v in dict(risk).items() if k not in _SCORES and k not in COMPUTED}
        ib = None if inherent is None else risk_band(inherent.score, bands)
        rb = None if residual is None else risk_band(residual.score, bands)
        row.update(
            id=risk.id,
            likelihood=None if inherent is None else inherent.likelihood,
            impact=None if inherent is None else inherent.impact,
            inherent_score=None if inherent is None else inherent.score,
            inherent_band=None if ib is None else ib.label,
            inherent_tone=None if ib is None else ib.tone,
            residual_likelihood=None if residual is None else residual.likelihood,
            residual_impact=None if residual is None else residual.impact,
            residual_score=None if residual is None else residual.score,
            residual_band=None if rb is None else rb.label,
            residual_tone=None if rb is None else rb.tone,
            current_score=(inherent if residual is None else residual).score,
        )
        rows.append(row)
    rows.sort(key=lambda r: (-r["current_score"], -(r["inherent_score"] or r["current_score"]), r["id"]))
    extra = [k for r in rows for k in r if k not in COMPUTED and k != "id"]
    columns = ["id"] + list(dict.fromkeys(extra)) + COMPUTED
    frame = pd.DataFrame(rows, columns=columns)
    # Keep missing scores as None (not NaN) so they serialise and compare cleanly.
    for col in COMPUTED[:-1]:
        frame[col] = pd.Series([r[col] for r in rows], index=frame.index, dtype="object")
    return frame


@dataclass
class HeatMap:
    """5x5 grid: rows likelihood 5 -> 1, columns impact 1 -> 5.

    ``counts`` holds the number of risks per cell; ``bands`` and ``tones`` the band of
    each cell's score (likelihood x impact).
    """

    counts: pd.DataFrame
    bands: pd.DataFrame
    tones: pd.DataFrame
    basis: str


def heat_map(
    risks: Iterable["Risk"],
    bands: Sequence["Band"] | None = None,
    which: str = "current",
) -> HeatMap:
    """Count validated risks per likelihood x impact cell, from the models' own scores.

    ``which``: 'inherent' or 'residual' (risks without that score are left out) or 'current'
    (residual where scored, otherwise inherent).
    """
    if which not in ("inherent", "residual", "current"):
        raise ValueError("which must be 'inherent', 'residual' or 'current'.")
    levels_l, levels_i = [5, 4, 3, 2, 1], [1, 2, 3, 4, 5]
    counts = pd.DataFrame(0, index=pd.Index(levels_l, name="likelihood"),
                          columns=pd.Index(levels_i, name="impact"))
    for risk in risks:
        score = {"inherent": risk.inherent, "residual": risk.residual,
                 "current": risk.residual if risk.residual is not None else risk.inherent}[which]
        if score is not None:
            counts.loc[score.likelihood, score.impact] += 1
    labels = counts.copy().astype(object)
    tones = counts.copy().astype(object)
    for lk in levels_l:
        for im in levels_i:
            b = risk_band(lk * im, bands)
            labels.loc[lk, im] = b.label
            tones.loc[lk, im] = b.tone
    return HeatMap(counts=counts, bands=labels, tones=tones, basis=which)
