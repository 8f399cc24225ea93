"""Computed gaps by the guidance's method (WAG 5.2 Gap Analysis; 003:1218-1244).

Three things are kept apart, because a reader must be able to check each one:

- **need**: people estimated to have the need (population projection x prevalence);
- **current provision**: today's places in one service type (providers data);
- **projected demand** for that service: either the people using it now, grown in line
  with the projected need (population and prevalence), or - where the strategy gives an
  ``uptake_rate`` for the service - that percentage of the people with the need.

A shortfall or spare capacity is projected demand minus current places, for one service
at a time. Total need minus places is never a gap: most people with a need do not use
any one service, so that difference says nothing about the places a service needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

from strategy_docs.analysis.formatting import fmt_int, fmt_number, fmt_percent, round_half_up
from strategy_docs.analysis.needs import need_by_year
from strategy_docs.i18n import N_, Translator, data_word, translator

if TYPE_CHECKING:  # pragma: no cover
    from strategy_docs.analysis import AnalysisInputs, Measure

MAX_OBJECTIVES = 8

FINDINGS = ("shortfall", "spare capacity", "balanced")

# The sentences a computed gap is stated in: whole sentences with named placeholders.
METHOD_UPTAKE = N_("Demand is {rate}% of the {need} {label} estimated for {year} (the uptake rate this strategy "
                   "assumes for {service}). It assumes that share holds for the whole period and that places stay "
                   "at today's level.")
METHOD_CURRENT_USE = {
    "grown": N_("Demand is the {users} people using {service} in {users_year}, grown by {change} in line with the "
                "estimated number of {label} ({since}; {need} in {year}). It assumes the same share of people with "
                "this need use the service as now, and that places stay at today's level."),
    "reduced": N_("Demand is the {users} people using {service} in {users_year}, reduced by {change} in line with the "
                  "estimated number of {label} ({since}; {need} in {year}). It assumes the same share of people with "
                  "this need use the service as now, and that places stay at today's level."),
    "kept": N_("Demand is the {users} people using {service} in {users_year}, kept in line with the estimated number "
               "of {label} ({since}; {need} in {year}). It assumes the same share of people with this need use the "
               "service as now, and that places stay at today's level."),
}
SINCE = N_("{need} in {year}")
SINCE_FIRST = N_("{need} in {year}, the first year with population figures")
NO_DEMAND = N_("No one is recorded using {service} and no uptake rate is given, so demand for it cannot be estimated.")
BY_YEAR = N_("By {year}")
BY_YEAR_HORIZON = N_("By {year} ({horizon})")
RATIONALE = N_("{when} projected demand for {service} is {demand} people against {capacity} current places: {tail}")
TAILS = {"balanced": N_("places match projected demand."), "shortfall": N_("a shortfall of {places}."),
         "spare capacity": N_("spare capacity of {places}.")}
ONE_PLACE, PLACES = N_("{count} place"), N_("{count} places")
END_OF_PERIOD, LOOK_AHEAD = N_("end of the strategy period"), N_("look-ahead year")


@dataclass(frozen=True)
class ComputedGap:
    """Projected demand for one service type in one year against its current places.

    ``difference`` = projected demand - current places: positive is a shortfall,
    negative is spare capacity. ``method`` says in plain English how demand was worked
    out and what it assumes; ``rationale`` states the finding.
    """

    measure_id: str
    label: str
    horizon: str
    year: int
    service_type: str
    need: int
    demand_basis: str  # "current use" | "uptake rate"
    current_users: int | None
    users_year: int | None
    uptake_rate: float | None
    demand: int
    capacity: float
    difference: float
    finding: str
    method: str
    rationale: str

    @property
    def shortfall(self) -> float:
        return max(self.difference, 0)

    @property
    def spare_capacity(self) -> float:
        return max(-self.difference, 0)


class NoDemandEstimate(ValueError):
    """Neither people using the service nor an uptake rate: demand cannot be estimated."""


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


def _need_series(population: pd.DataFrame, measure: "Measure") -> pd.DataFrame:
    return need_by_year(population, measure.rates).set_index("year")


def _current_use(service_users: pd.DataFrame, service_type: str, base_year: int) -> tuple[int, int] | None:
    """(people, year) using the service in the latest year up to the base year."""
    if service_users is None or service_users.empty or "service_type" not in service_users:
        return None
    part = service_users[service_users["service_type"].astype(str) == service_type]
    part = part[part["year"].astype(int) <= int(base_year)]
    if part.empty:
        return None
    year = int(part["year"].astype(int).max())
    people = part[part["year"].astype(int) == year]["people"].sum()
    return int(round_half_up(people)), year


def service_gap(
    inputs: "AnalysisInputs",
    measure: "Measure",
    service_type: str,
    year: int,
    horizon: str = "",
    uptake_rate: float | None = None,
    t: Translator | None = None,
) -> ComputedGap:
    """Projected demand for ``service_type`` in ``year`` against its current places.

    ``uptake_rate`` (percent of people with the need who use the service) replaces the
    current-use basis when given. Raises NoDemandEstimate when there is neither. ``t`` writes
    the method and the finding in its language (default English).
    """
    t = t or translator()
    series = _need_series(inputs.population, measure)
    if int(year) not in series.index:
        raise ValueError(f"No population figures for {year} to estimate '{measure.id}'.")
    need_exact = float(series.loc[int(year), "estimate"])
    need = int(series.loc[int(year), "estimate_rounded"])
    label = _lower_first(measure.label)
    service = data_word(service_type, t)
    part = inputs.providers[inputs.providers["service_type"].astype(str) == service_type]
    capacity = float(part["capacity"].sum())
    use = _current_use(inputs.service_users, service_type, inputs.base_year)
    users = users_year = None
    if uptake_rate is not None:
        basis = "uptake rate"
        demand = int(round_half_up(need * float(uptake_rate) / 100))
        method = t(METHOD_UPTAKE).format(rate=fmt_number(uptake_rate, _dp(uptake_rate)), need=fmt_int(need),
                                         label=label, year=year, service=service)
    elif use is not None:
        basis = "current use"
        users, users_year = use
        ref_year = users_year if users_year in series.index else int(min(series.index))
        ref_exact = float(series.loc[ref_year, "estimate"])
        ref_need = int(series.loc[ref_year, "estimate_rounded"])
        growth = need_exact / ref_exact if ref_exact else 1.0
        demand = int(round_half_up(users * growth))
        change = (growth - 1) * 100
        moved = "grown" if change > 0 else "reduced" if change < 0 else "kept"
        since = t(SINCE if ref_year == users_year else SINCE_FIRST).format(need=fmt_int(ref_need), year=ref_year)
        method = t(METHOD_CURRENT_USE[moved]).format(
            users=fmt_int(users), service=service, users_year=users_year, change=fmt_percent(abs(change)),
            label=label, since=since, need=fmt_int(need), year=year)
    else:
        raise NoDemandEstimate(t(NO_DEMAND).format(service=service))
    difference = demand - capacity
    finding = "shortfall" if difference > 0 else "spare capacity" if difference < 0 else "balanced"
    when = (t(BY_YEAR_HORIZON).format(year=year, horizon=t(horizon)) if horizon
            else t(BY_YEAR).format(year=year))
    count = fmt_int(abs(difference))
    places = t(ONE_PLACE if count == "1" else PLACES).format(count=count)
    rationale = t(RATIONALE).format(when=when, service=service, demand=fmt_int(demand), capacity=fmt_int(capacity),
                                    tail=t(TAILS[finding]).format(places=places))
    return ComputedGap(
        measure_id=measure.id, label=measure.label, horizon=horizon, year=int(year),
        service_type=service_type, need=need, demand_basis=basis, current_users=users,
        users_year=users_year, uptake_rate=None if uptake_rate is None else float(uptake_rate),
        demand=demand, capacity=capacity, difference=difference, finding=finding,
        method=method, rationale=rationale,
    )


def _dp(x: float) -> int:
    return 0 if float(x) == int(float(x)) else 1


def horizons(inputs: "AnalysisInputs") -> list[tuple[int, str]]:
    """End of the strategy period and the look-ahead year (once if they are equal)."""
    out = [(inputs.end_year, END_OF_PERIOD)]
    if inputs.look_ahead_year != inputs.end_year:
        out.append((inputs.look_ahead_year, LOOK_AHEAD))
    return out


def computed_gaps(
    inputs: "AnalysisInputs",
    measure_id: str,
    service_types: Iterable[str] | None = None,
    uptake_rates: Mapping[str, float] | None = None,
    t: Translator | None = None,
) -> tuple[list[ComputedGap], list[str]]:
    """Gaps per service type at each horizon, and sentences for services whose demand
    cannot be estimated (stated, not guessed), in ``t``'s language (default English)."""
    if measure_id not in inputs.measures:
        raise ValueError(
            f"Unknown measure '{measure_id}'; known measures: {', '.join(sorted(inputs.measures)) or 'none'}."
        )
    measure = inputs.measures[measure_id]
    types = list(service_types) if service_types else list(measure.service_types)
    rates = dict(uptake_rates or {})
    found: list[ComputedGap] = []
    missing: list[str] = []
    for service_type in types:
        for year, horizon in horizons(inputs):
            try:
                found.append(service_gap(inputs, measure, service_type, year, horizon, rates.get(service_type), t))
            except NoDemandEstimate as exc:
                missing.append(str(exc))
                break
    return found, missing


def capacity_gap(
    inputs: "AnalysisInputs",
    measure: "Measure",
    year: int,
    service_types: Iterable[str] | None = None,
    uptake_rates: Mapping[str, float] | None = None,
    t: Translator | None = None,
) -> tuple[float, list[ComputedGap]]:
    """Projected demand minus current places summed over the service types (the
    hypothesis metric), with the per-service gaps behind it. One service type may be a string."""
    if isinstance(service_types, str):
        service_types = [service_types]
    types = tuple(service_types) if service_types else tuple(measure.service_types)
    if not types:
        raise ValueError(f"Measure '{measure.id}' has no linked service types to compare with.")
    rates = dict(uptake_rates or {})
    gaps = [service_gap(inputs, measure, kind, year, "", rates.get(kind), t) for kind in types]
    return float(sum(g.difference for g in gaps)), gaps


def gaps_table(gaps: Iterable[ComputedGap]) -> pd.DataFrame:
    """Gaps as a table (one row per service type and horizon)."""
    cols = [
        "measure_id", "service_type", "horizon", "year", "need", "current_users", "demand",
        "capacity", "difference", "finding", "method",
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
