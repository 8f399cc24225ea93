"""Computed gaps: projected need against current capacity (WAG 5.2 Gap Analysis Template).

The comparison is deliberately simple - estimated people with a need against today's
places in the linked service types - so it feeds the template's 'Rationale' column with
numbers a reader can check, not a forecast of demand for places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

from .formatting import fmt_int
from .needs import need_by_year

if TYPE_CHECKING:  # pragma: no cover
    from . import AnalysisInputs, Measure

MAX_OBJECTIVES = 8


@dataclass(frozen=True)
class ComputedGap:
    """Projected need in one year against current capacity of the linked service types.

    ``difference`` = projected need (rounded) - capacity: positive is a shortfall.
    """

    measure_id: str
    label: str
    horizon: str
    year: int
    projected_need: int
    capacity: float
    service_types: tuple[str, ...]
    difference: float
    finding: str  # "shortfall" | "surplus" | "balanced"
    rationale: str


def _lower_first(label: str) -> str:
    """'People aged 65...' -> 'people aged 65...', but keep acronyms like 'NHS'."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _join(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def capacity_gap(
    population: pd.DataFrame,
    providers: pd.DataFrame,
    measure: "Measure",
    year: int,
    service_types: Iterable[str] | None = None,
    horizon: str = "",
) -> ComputedGap:
    """Compare projected need in ``year`` with current places in the service types."""
    types = tuple(service_types) if service_types is not None else tuple(measure.service_types)
    if not types:
        raise ValueError(f"Measure '{measure.id}' has no linked service types to compare with.")
    need = int(need_by_year(population, measure.rates, years=[year])["estimate_rounded"].iloc[0])
    part = providers[providers["service_type"].astype(str).isin(types)]
    capacity = float(part["capacity"].sum())
    difference = need - capacity
    finding = "shortfall" if difference > 0 else "surplus" if difference < 0 else "balanced"
    when = f"By {year}" + (f" ({horizon})" if horizon else "")
    places = (
        f"{fmt_int(capacity)} current places in {_join(types)}"
        if not part.empty
        else f"no current places recorded in {_join(types)}"
    )
    if finding == "balanced":
        tail = "current capacity matches projected need."
    else:
        tail = (
            f"a {finding} of {fmt_int(abs(difference))} places if capacity stays at "
            f"today's level."
        )
    rationale = (
        f"{when} an estimated {fmt_int(need)} {_lower_first(measure.label)} are projected, "
        f"against {places}: {tail}"
    )
    return ComputedGap(
        measure_id=measure.id,
        label=measure.label,
        horizon=horizon,
        year=int(year),
        projected_need=need,
        capacity=capacity,
        service_types=types,
        difference=difference,
        finding=finding,
        rationale=rationale,
    )


def computed_gaps(
    inputs: "AnalysisInputs", measure_id: str, service_types: Iterable[str] | None = None
) -> list[ComputedGap]:
    """Gaps at the end of the strategy period and at the look-ahead year (one if equal)."""
    if measure_id not in inputs.measures:
        raise ValueError(
            f"Unknown measure '{measure_id}'; known measures: {', '.join(sorted(inputs.measures)) or 'none'}."
        )
    measure = inputs.measures[measure_id]
    horizons = [(inputs.end_year, "end of the strategy period")]
    if inputs.look_ahead_year != inputs.end_year:
        horizons.append((inputs.look_ahead_year, "look-ahead year"))
    return [
        capacity_gap(inputs.population, inputs.providers, measure, year, service_types, horizon)
        for year, horizon in horizons
    ]


def gaps_table(gaps: Iterable[ComputedGap]) -> pd.DataFrame:
    """Gaps as a table (one row per measure and horizon)."""
    cols = [
        "measure_id", "label", "horizon", "year", "projected_need", "capacity",
        "difference", "finding", "rationale",
    ]
    return pd.DataFrame([{c: getattr(g, c) for c in cols} for g in gaps], columns=cols)


def _plain(obj: Any) -> Any:
    """Objects (pydantic models, dataclasses) to dicts/lists so we can walk them."""
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump()
    if hasattr(obj, "__dataclass_fields__"):
        return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
    return obj


def _referenced_hypotheses(obj: Any) -> set[str]:
    """Every id listed under a 'hypothesis_ids' or 'hypotheses' key, at any depth."""
    found: set[str] = set()
    obj = _plain(obj)
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if key in ("hypothesis_ids", "hypotheses") and isinstance(value, (list, tuple, set)):
                found.update(str(v) for v in value if isinstance(v, (str, int)))
            found |= _referenced_hypotheses(value)
    elif isinstance(obj, (list, tuple, set)):
        for item in obj:
            found |= _referenced_hypotheses(item)
    return found


def gap_warnings(
    objectives: Iterable[Any],
    accepted_hypothesis_ids: Iterable[str],
    max_objectives: int = MAX_OBJECTIVES,
) -> list[str]:
    """Warnings from the Gap Analysis Template notes: too many objectives, and accepted
    hypotheses that no gap or service development builds on (WAG 003:1241-1242)."""
    objectives = list(objectives)
    warnings = []
    if len(objectives) > max_objectives:
        warnings.append(
            f"There are {len(objectives)} strategic objectives; the Gap Analysis Template "
            f"suggests {max_objectives} at most."
        )
    referenced = _referenced_hypotheses(objectives)
    for hid in accepted_hypothesis_ids:
        if str(hid) not in referenced:
            warnings.append(
                f"Accepted hypothesis {hid} is not referenced by any gap; accepted hypotheses "
                f"should lead to a service development."
            )
    return warnings
