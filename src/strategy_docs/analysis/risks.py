"""Risk register scoring: score = likelihood x impact, banded, sorted and heat-mapped.

Bands are configurable because councils use different cut-offs; the default is a common
Low / Medium / High / Very high scheme. Each band carries a tone so that the rendered
status shows a label and a colour, never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import pandas as pd

TONES = ("good", "warning", "bad", "neutral")
DEFAULT_BANDS: tuple[dict[str, Any], ...] = (
    {"min": 1, "label": "Low", "tone": "good"},
    {"min": 5, "label": "Medium", "tone": "warning"},
    {"min": 10, "label": "High", "tone": "bad"},
    {"min": 15, "label": "Very high", "tone": "bad"},
)


@dataclass(frozen=True)
class RiskBand:
    """A score band: applies to scores from ``min`` up to the next band's min."""

    min: int
    label: str
    tone: str


def _level(value: Any, name: str) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name} must be a whole number from 1 to 5, got {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number from 1 to 5, got {value!r}.") from None
    if not number.is_integer() or not 1 <= number <= 5:
        raise ValueError(f"{name} must be a whole number from 1 to 5, got {value!r}.")
    return int(number)


def risk_score(likelihood: Any, impact: Any) -> int:
    """likelihood x impact, each a whole number from 1 to 5 (so 1-25)."""
    return _level(likelihood, "Likelihood") * _level(impact, "Impact")


def normalise_bands(bands: Iterable[Mapping[str, Any] | RiskBand] | None = None) -> list[RiskBand]:
    """Validate bands (distinct mins, lowest min <= 1, known tones), sorted by min.

    Each band is a mapping or object with ``min`` (or ``min_score``), ``label``, ``tone``.
    """
    raw = list(DEFAULT_BANDS if bands is None else bands)
    if not raw:
        raise ValueError("At least one risk band is needed.")
    out = []
    for b in raw:
        if not isinstance(b, RiskBand):
            try:
                d = _plain(b)
                low = d["min"] if "min" in d else d["min_score"]
                b = RiskBand(int(low), str(d["label"]), str(d.get("tone", "neutral")))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"Risk band {b!r} needs min (a number), label and tone.") from exc
        if b.tone not in TONES:
            raise ValueError(f"Risk band '{b.label}' tone '{b.tone}' must be one of {', '.join(TONES)}.")
        out.append(b)
    out.sort(key=lambda b: b.min)
    mins = [b.min for b in out]
    if len(set(mins)) != len(mins):
        raise ValueError("Risk bands must have different 'min' scores.")
    if out[0].min > 1:
        raise ValueError(f"The lowest risk band must start at 1 or below, not {out[0].min}.")
    return out


def risk_band(score: int, bands: Iterable[Mapping[str, Any] | RiskBand] | None = None) -> RiskBand:
    """The band with the highest ``min`` that is not above the score."""
    chosen = None
    for band in normalise_bands(bands):
        if band.min <= score:
            chosen = band
    if chosen is None:  # unreachable after validation for scores >= 1
        raise ValueError(f"No risk band covers score {score}.")
    return chosen


def _plain(risk: Any) -> dict[str, Any]:
    dump = getattr(risk, "model_dump", None)
    if callable(dump):
        return dict(dump())
    if hasattr(risk, "__dataclass_fields__"):
        return {k: getattr(risk, k) for k in risk.__dataclass_fields__}
    if isinstance(risk, Mapping):
        return dict(risk)
    raise ValueError(f"A risk must be a mapping or object, got {risk!r}.")


def _pair(risk: Mapping[str, Any], prefix: str) -> tuple[Any, Any]:
    """(likelihood, impact) from flat keys ('residual_likelihood') or a nested dict."""
    nested = risk.get(prefix)
    nested = _plain(nested) if nested is not None and not isinstance(nested, (int, float)) else None
    if nested is not None:
        return nested.get("likelihood"), nested.get("impact")
    if prefix == "inherent":
        return risk.get("likelihood", risk.get("inherent_likelihood")), risk.get(
            "impact", risk.get("inherent_impact")
        )
    return risk.get(f"{prefix}_likelihood"), risk.get(f"{prefix}_impact")


COMPUTED = [
    "likelihood", "impact", "inherent_score", "inherent_band", "inherent_tone",
    "residual_likelihood", "residual_impact", "residual_score", "residual_band", "residual_tone",
    "current_score",
]


def risk_register(
    risks: Iterable[Any], bands: Iterable[Mapping[str, Any] | RiskBand] | None = None
) -> pd.DataFrame:
    """Score and band each risk; sort by residual score desc, then inherent desc, then id.

    Residual (after mitigation) scores are optional; where absent the inherent score is
    the risk's current position (``current_score``) and is used for sorting. Other
    scalar fields on each risk (title, owner, ...) are passed through.
    """
    band_list = normalise_bands(bands)
    rows = []
    for raw in risks:
        risk = _plain(raw)
        rid = str(risk.get("id", ""))
        if not rid:
            raise ValueError(f"Every risk needs an id: {risk!r}.")
        try:
            il, ii = _pair(risk, "inherent")
            inherent = risk_score(il, ii)
            rl, ri = _pair(risk, "residual")
            residual = None if rl is None and ri is None else risk_score(rl, ri)
        except ValueError as exc:
            raise ValueError(f"Risk {rid}: {exc}") from None
        row = {
            k: v for k, v in risk.items()
            if k not in ("inherent", "residual") and k not in COMPUTED and not isinstance(v, Mapping)
        }
        ib = risk_band(inherent, band_list)
        row.update(
            id=rid,
            likelihood=int(il),
            impact=int(ii),
            inherent_score=inherent,
            inherent_band=ib.label,
            inherent_tone=ib.tone,
            residual_likelihood=None if residual is None else int(rl),
            residual_impact=None if residual is None else int(ri),
            residual_score=residual,
            residual_band=None,
            residual_tone=None,
            current_score=inherent if residual is None else residual,
        )
        if residual is not None:
            rb = risk_band(residual, band_list)
            row.update(residual_band=rb.label, residual_tone=rb.tone)
        rows.append(row)
    rows.sort(key=lambda r: (-r["current_score"], -r["inherent_score"], r["id"]))
    extra = [k for r in rows for k in r if k not in COMPUTED and k != "id"]
    columns = ["id"] + list(dict.fromkeys(extra)) + COMPUTED
    frame = pd.DataFrame(rows, columns=columns)
    # Keep missing residual values as None (not NaN) so they serialise and compare cleanly.
    for col in ("residual_likelihood", "residual_impact", "residual_score", "residual_band", "residual_tone"):
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
    risks: Iterable[Any] | pd.DataFrame,
    bands: Iterable[Mapping[str, Any] | RiskBand] | None = None,
    which: str = "current",
) -> HeatMap:
    """Count risks per likelihood x impact cell.

    ``which``: 'inherent', 'residual' (risks without residual scores are left out) or
    'current' (residual where scored, otherwise inherent).
    """
    if which not in ("inherent", "residual", "current"):
        raise ValueError("which must be 'inherent', 'residual' or 'current'.")
    band_list = normalise_bands(bands)
    register = risks if isinstance(risks, pd.DataFrame) else risk_register(risks, band_list)
    levels_l, levels_i = [5, 4, 3, 2, 1], [1, 2, 3, 4, 5]
    counts = pd.DataFrame(0, index=pd.Index(levels_l, name="likelihood"),
                          columns=pd.Index(levels_i, name="impact"))
    for r in register.to_dict("records"):
        has_residual = r.get("residual_score") is not None and not pd.isna(r.get("residual_score"))
        if which == "inherent" or (which == "current" and not has_residual):
            lk, im = r["likelihood"], r["impact"]
        elif has_residual:
            lk, im = r["residual_likelihood"], r["residual_impact"]
        else:
            continue
        counts.loc[int(lk), int(im)] += 1
    labels = counts.copy().astype(object)
    tones = counts.copy().astype(object)
    for lk in levels_l:
        for im in levels_i:
            b = risk_band(lk * im, band_list)
            labels.loc[lk, im] = b.label
            tones.loc[lk, im] = b.tone
    return HeatMap(counts=counts, bands=labels, tones=tones, basis=which)
