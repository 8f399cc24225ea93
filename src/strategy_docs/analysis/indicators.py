"""Performance indicators: latest value, direction of travel and a RAG judgement.

Targets and polarity come from the strategy parameters, values and comparator averages
from the ``indicators`` table. Every RAG status carries its label and a reason sentence,
so colour is never the only signal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Mapping

import pandas as pd

from strategy_docs.analysis.formatting import fmt_percent, fmt_value, fmt_value_change, is_missing
from strategy_docs.i18n import N_, Translator, translator

POLARITIES = ("higher", "lower")


def period_key(period: object) -> tuple:
    """Order periods like '2022/23', '2023/24', '2024 Q1' by the numbers in them."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", str(period)))
    return numbers, str(period)


def _polarity(polarity: str) -> str:
    key = str(polarity).strip().lower().split()[0] if str(polarity).strip() else ""
    if key not in POLARITIES:
        raise ValueError(f"Polarity '{polarity}' must be 'higher' or 'lower' (which is better).")
    return key


def indicator_series(indicators: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """One indicator's rows in period order. Columns: period, value, comparator_average."""
    part = indicators[indicators["indicator_id"].astype(str) == str(indicator_id)]
    if part.empty:
        known = ", ".join(sorted(indicators["indicator_id"].astype(str).unique())) or "none"
        raise ValueError(f"No data for indicator '{indicator_id}'; indicators in the data: {known}.")
    part = part[["period", "value", "comparator_average"]].copy()
    part["period"] = part["period"].astype(str)
    for col in ("value", "comparator_average"):
        part[col] = pd.to_numeric(part[col], errors="coerce").astype(float)
    order = sorted(range(len(part)), key=lambda i: period_key(part["period"].iloc[i]))
    return part.iloc[order].reset_index(drop=True)


def is_better(a: float, b: float, polarity: str) -> bool:
    """True when value ``a`` is strictly better than ``b`` under the polarity."""
    return a > b if _polarity(polarity) == "higher" else a < b


def direction_of_travel(previous: float | None, latest: float | None, polarity: str) -> str:
    """'improving', 'worsening', 'no change' or 'not known' (a value is missing)."""
    if is_missing(previous) or is_missing(latest):
        return "not known"
    if math.isclose(float(previous), float(latest), rel_tol=0, abs_tol=1e-9):
        return "no change"
    return "improving" if is_better(float(latest), float(previous), polarity) else "worsening"


@dataclass(frozen=True)
class RagRules:
    """Configurable RAG rules; the defaults match the design brief.

    On track: latest meets target. At risk: misses target by no more than
    ``amber_tolerance_percent`` of the target, or (if ``comparator_rescues``) misses it
    but is better than the comparator average. Off track: otherwise.
    """

    amber_tolerance_percent: float = 5.0
    comparator_rescues: bool = True
    on_track: tuple[str, str] = ("On track", "good")
    at_risk: tuple[str, str] = ("At risk", "warning")
    off_track: tuple[str, str] = ("Off track", "bad")
    no_data: tuple[str, str] = ("No data", "neutral")
    no_target: tuple[str, str] = ("No target", "neutral")

    @classmethod
    def from_any(cls, rules: "RagRules | Mapping | None") -> "RagRules":
        """Build from the authority's settings (a params model) or a dict such as
        ``{"amber_tolerance_percent": 10, "on_track": {...}}``."""
        if rules is None:
            return cls()
        if isinstance(rules, RagRules):
            return rules
        if not isinstance(rules, Mapping):  # the authority's validated rag_rules (params.RagRules), as it checked them
            return cls(amber_tolerance_percent=rules.amber_tolerance_percent,
                       comparator_rescues=rules.comparator_rescues)
        base, changes = cls(), {}
        for key, value in dict(rules).items():
            if key not in base.__dataclass_fields__:
                raise ValueError(
                    f"Unknown RAG rule '{key}'; allowed: {', '.join(base.__dataclass_fields__)}."
                )
            if key in ("on_track", "at_risk", "off_track", "no_data", "no_target"):
                value = (value["label"], value["tone"]) if isinstance(value, Mapping) else tuple(value)
                if value[1] not in ("good", "warning", "bad", "neutral"):
                    raise ValueError(f"RAG tone '{value[1]}' must be good, warning, bad or neutral.")
            changes[key] = value
        return replace(base, **changes)


# Each reason is one whole sentence with named placeholders (translatable as a whole). A
# reason with several wordings takes them in turn down a table (``variant``), so that rows do
# not repeat one sentence.
REASONS = {
    "no data": N_("No value is available for the latest period{when}."),
    "no target": N_("The latest value{when} is {latest}; no target has been set."),
    "meets": (N_("The latest value{when} is {latest}, which meets the target of {target}."),
              N_("At {latest}{when}, the latest value meets the target of {target}."),
              N_("The target of {target} is met: the latest value{when} is {latest}.")),
    "within tolerance": N_("The latest value{when} is {latest}, which misses the target of {target} by {gap}, "
                           "within the tolerance of {tolerance} of the target ({allowed})."),
    "better than comparator": N_("The latest value{when} is {latest}, which misses the target of {target} by {gap}, "
                                 "but is better than the comparator average of {comparator}."),
    "not better than comparator": N_("The latest value{when} is {latest}, which misses the target of {target} by "
                                     "{gap} and is not better than the comparator average of {comparator}."),
    "misses": N_("The latest value{when} is {latest}, which misses the target of {target} by {gap}."),
}


def rag(
    latest: float | None,
    target: float | None,
    comparator: float | None,
    polarity: str,
    rules: RagRules | Mapping | None = None,
    period: str | None = None,
    unit: str | None = None,
    variant: int = 0,
    t: Translator | None = None,
) -> tuple[str, str, str]:
    """(label, tone, reason) for the latest value against target and comparator; figures in the
    reason are written in the indicator's ``unit`` (params ``indicators[].unit``); ``variant``
    picks among a reason's wordings; ``t`` writes the reason in its language (default English)."""
    r = RagRules.from_any(rules)
    t = t or translator()

    def reason(key: str) -> str:
        wordings = REASONS[key] if isinstance(REASONS[key], tuple) else (REASONS[key],)
        return t(wordings[variant % len(wordings)]).format(**words)

    pol = _polarity(polarity)
    words = {"when": f" ({period})" if period else ""}
    if is_missing(latest):
        label, tone = r.no_data
        return label, tone, reason("no data")
    latest = float(latest)
    words["latest"] = fmt_value(latest, unit, t=t)
    if is_missing(target):
        label, tone = r.no_target
        return label, tone, reason("no target")
    target = float(target)
    words["target"] = fmt_value(target, unit, t=t)
    if latest == target or is_better(latest, target, pol):
        label, tone = r.on_track
        return label, tone, reason("meets")
    gap = abs(latest - target)
    allowed = abs(target) * r.amber_tolerance_percent / 100.0
    words.update(gap=fmt_value_change(gap, unit, t=t), allowed=fmt_value_change(allowed, unit, t=t),
                 tolerance=fmt_percent(r.amber_tolerance_percent))
    if gap <= allowed + 1e-9:
        label, tone = r.at_risk
        return label, tone, reason("within tolerance")
    has_comp = not is_missing(comparator)
    if has_comp:
        words["comparator"] = fmt_value(comparator, unit, t=t)
    if has_comp and r.comparator_rescues and is_better(latest, float(comparator), pol):
        label, tone = r.at_risk
        return label, tone, reason("better than comparator")
    label, tone = r.off_track
    return label, tone, reason("not better than comparator" if has_comp and r.comparator_rescues else "misses")


@dataclass(frozen=True)
class IndicatorStatus:
    """Latest position of one indicator, with direction of travel and RAG."""

    indicator_id: str
    polarity: str | None
    latest_period: str | None
    latest_value: float | None
    previous_period: str | None
    previous_value: float | None
    direction: str | None
    target: float | None
    comparator_average: float | None
    label: str | None  # None: no rating earned (the plan gives no target or no polarity)
    tone: str | None
    reason: str | None

    @property
    def status(self) -> dict | None:
        """The display-block ``status`` object for a table cell (None when there is no rating)."""
        return None if self.label is None else {"label": self.label, "tone": self.tone}


def _none(x: object) -> float | None:
    return None if is_missing(x) else float(x)


def indicator_status(
    indicators: pd.DataFrame,
    indicator_id: str,
    polarity: str | None = "higher",
    target: float | None = None,
    rules: RagRules | Mapping | None = None,
    unit: str | None = None,
    variant: int = 0,
    t: Translator | None = None,
) -> IndicatorStatus:
    """Latest period (even if its value is blank, which gives 'No data'), the previous
    period with a value, direction of travel, and the RAG judgement.

    A rating needs both a target and a polarity: without either the status carries the
    values and no label, tone or reason (nothing is judged that the plan did not ask for);
    without a polarity there is no direction of travel either ("improving" is a judgement)."""
    if polarity is None:
        return _unjudged(indicators, indicator_id, target)
    pol = _polarity(polarity)
    if is_missing(target):
        return replace(_unjudged(indicators, indicator_id, None), polarity=pol, direction=_direction(indicators, indicator_id, pol))
    series = indicator_series(indicators, indicator_id)
    last = series.iloc[-1]
    earlier = series.iloc[:-1].dropna(subset=["value"])
    prev = earlier.iloc[-1] if not earlier.empty else None
    latest_value = _none(last["value"])
    previous_value = None if prev is None else _none(prev["value"])
    comparator = _none(last["comparator_average"])
    label, tone, reason = rag(
        latest_value, _none(target), comparator, pol, rules, period=str(last["period"]), unit=unit, variant=variant, t=t
    )
    return IndicatorStatus(
        indicator_id=str(indicator_id),
        polarity=pol,
        latest_period=str(last["period"]),
        latest_value=latest_value,
        previous_period=None if prev is None else str(prev["period"]),
        previous_value=previous_value,
        direction=direction_of_travel(previous_value, latest_value, pol),
        target=_none(target),
        comparator_average=comparator,
        label=label,
        tone=tone,
        reason=reason,
    )


def _latest(indicators: pd.DataFrame, indicator_id: str) -> tuple:
    series = indicator_series(indicators, indicator_id)
    last = series.iloc[-1]
    earlier = series.iloc[:-1].dropna(subset=["value"])
    prev = earlier.iloc[-1] if not earlier.empty else None
    return last, prev


def _direction(indicators: pd.DataFrame, indicator_id: str, polarity: str) -> str:
    last, prev = _latest(indicators, indicator_id)
    return direction_of_travel(None if prev is None else _none(prev["value"]), _none(last["value"]), polarity)


def _unjudged(indicators: pd.DataFrame, indicator_id: str, target: float | None) -> IndicatorStatus:
    """The values of an indicator the plan sets no rating for."""
    last, prev = _latest(indicators, indicator_id)
    return IndicatorStatus(
        indicator_id=str(indicator_id), polarity=None, latest_period=str(last["period"]),
        latest_value=_none(last["value"]), previous_period=None if prev is None else str(prev["period"]),
        previous_value=None if prev is None else _none(prev["value"]), direction=None,
        target=_none(target), comparator_average=_none(last["comparator_average"]), label=None, tone=None, reason=None,
    )
