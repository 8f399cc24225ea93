"""Testing hypotheses against the evidence (WAG 003:779-800).

WAG asks that hypotheses be "accepted or refuted on the basis of the evidence gathered".
A hypothesis test names a metric from a small catalogue, a comparison and a threshold;
the metric is computed from the document's data and the verdict comes with a sentence
saying which number, from which data, decided it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from strategy_docs.analysis import gaps as _gaps
from strategy_docs.analysis import indicators as _indicators
from strategy_docs.analysis import market as _market
from strategy_docs.analysis import needs as _needs
from strategy_docs.analysis import resources as _resources
from strategy_docs.analysis.formatting import (
    UNIT_WORDS,
    WHOLE_UNITS,
    fmt_int,
    fmt_money_auto,
    fmt_number,
    fmt_percent,
    fmt_rate,
    fmt_value,
    round_half_up,
)
from strategy_docs.wording import plural

if TYPE_CHECKING:  # pragma: no cover
    from strategy_docs.analysis import AnalysisInputs
    from strategy_docs.inputs.params import HypothesisTest

COMPARISONS = {">": "more than", ">=": "at least", "<": "less than", "<=": "at most"}
VERDICTS = ("accepted", "refuted", "inconclusive")


def _arg(required: bool, kind: str, description: str) -> dict:
    return {"required": required, "type": kind, "description": description}


METRICS: dict[str, dict[str, Any]] = {
    "need_change_percent": {
        "short": "Change in estimated need",
        "description": "Percentage change in estimated need for a measure between two years "
        "(defaults: base year to end of strategy period).",
        "unit": "percent",
        "args": {
            "measure": _arg(True, "str", "measure id"),
            "from_year": _arg(False, "int", "first year (default base year)"),
            "to_year": _arg(False, "int", "second year (default end of strategy period)"),
        },
    },
    "unmet_need_percent": {
        "short": "Estimated need not known to services",
        "description": "Estimated need not known to the measure's service types, as % of need.",
        "unit": "percent",
        "args": {
            "measure": _arg(True, "str", "measure id"),
            "year": _arg(False, "int", "year (default base year)"),
        },
    },
    "occupancy_percent": {
        "short": "Occupancy",
        "description": "Occupied places as % of capacity.",
        "unit": "percent",
        "args": {"service_type": _arg(False, "str", "one service type (default all)")},
    },
    "good_or_better_percent": {
        "short": "Share rated good or better",
        "description": "Rated services rated Good or better (Outstanding/Excellent or Good), %.",
        "unit": "percent",
        "args": {"service_type": _arg(False, "str", "one service type (default all)")},
    },
    "out_of_area_percent": {
        "short": "Share placed out of area",
        "description": "People known to services placed outside the area, % (latest year).",
        "unit": "percent",
        "args": {"service_type": _arg(False, "str", "one service type (default all)")},
    },
    "unit_cost_vs_comparator_percent": {
        "short": "Difference from the comparator average",
        "description": "How far the unit cost is above (+) or below (-) the comparator average, %.",
        "unit": "signed percent",
        "args": {"service_type": _arg(True, "str", "service type")},
    },
    "spend_share_percent": {
        "short": "Share of gross expenditure",
        "description": "A budget group's share of gross expenditure, % (latest financial year).",
        "unit": "percent",
        "args": {"group": _arg(True, "str", "budget group")},
    },
    "indicator_latest": {
        "short": "Latest value",
        "description": "Latest value of a performance indicator.",
        "unit": "value",
        "args": {"indicator_id": _arg(True, "str", "indicator id")},
    },
    "indicator_change": {
        "short": "Change since the previous value",
        "description": "Latest value minus the previous available value of an indicator.",
        "unit": "signed value",
        "args": {"indicator_id": _arg(True, "str", "indicator id")},
    },
    "concentration_hhi": {
        "short": "Herfindahl-Hirschman index",
        "description": "Herfindahl-Hirschman index of capacity shares (0-10,000).",
        "unit": "index",
        "args": {"service_type": _arg(False, "str", "one service type (default all)")},
    },
    "capacity_gap": {
        "short": "Projected demand minus capacity",
        "description": "Projected demand for the linked service types (people using them now, "
        "grown with the projected need) minus their current places (positive = shortfall).",
        "unit": "signed places",
        "args": {
            "measure": _arg(True, "str", "measure id"),
            "service_types": _arg(False, "list", "service types (default the measure's)"),
            "year": _arg(False, "int", "year (default end of strategy period)"),
        },
    },
}


# What each metric measures, as the subject of a sentence ("Occupancy is 97.1%, ...").
SUBJECTS = {
    "need_change_percent": "the change in estimated need",
    "unmet_need_percent": "the share of estimated need not known to services",
    "occupancy_percent": "occupancy",
    "good_or_better_percent": "the share of rated services rated good or better",
    "out_of_area_percent": "the share placed out of area",
    "unit_cost_vs_comparator_percent": "the difference from the comparator average",
    "spend_share_percent": "the share of gross expenditure",
    "indicator_latest": "the latest value",
    "indicator_change": "the change since the previous value",
    "concentration_hhi": "the Herfindahl-Hirschman index",
    "capacity_gap": "projected demand minus current places",
}
assert set(SUBJECTS) == set(METRICS)


@dataclass(frozen=True)
class IndicatorLabel:
    """How a hypothesis sentence names an indicator: the plan's name and unit, never its id."""

    name: str
    unit: str | None = None


# What the data shows, before the verdict: whole sentences with named placeholders. Indicator
# names are noun phrases ("Carers assessed in the year"), so they take a colon, not a verb.
NEED_RISES = ("The estimated number of {need} is projected to rise from {before} in {then} to {after} in {later} "
              "(population projections × prevalence rates)")
NEED_FALLS = ("The estimated number of {need} is projected to fall from {before} in {then} to {after} in {later} "
              "(population projections × prevalence rates)")
NEED_STEADY = ("The estimated number of {need} is projected to stay at {after} from {then} to {later} "
               "(population projections × prevalence rates)")
UNIT_COST = "The unit cost of {service} in {year} is {cost} {unit}, against a comparator average of {comparator}"
INDICATOR_LATEST = "{name}: {value} in {period}"
INDICATOR_SAME = "{name}: {after} in both {then} and {now}"
INDICATOR_ABOUT_SAME = "{name}: about {after} in both {then} and {now}"
INDICATOR_MOVED = "{name}: {before} in {then} and {after} in {now}"


class CannotCompute(Exception):
    """The data cannot produce the metric; the test is then inconclusive, not an error."""


@dataclass(frozen=True)
class MetricValue:
    """A metric's value with its unit and a sentence on where it came from."""

    value: float
    unit: str
    detail: str
    value_unit: str | None = None  # an indicator's own unit (percent, days...), for indicator metrics


@dataclass(frozen=True)
class Evaluation:
    """Outcome of one hypothesis test."""

    value: float | None
    verdict: str  # accepted | refuted | inconclusive
    evidence: str


def _list_metrics() -> str:
    return ", ".join(sorted(METRICS))


def check_args(metric: str, args: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate names and types of a metric's args; raise ValueError listing valid ones.

    Validating the plan calls this too, so a test that passes `validate` is never refused here."""
    if metric not in METRICS:
        raise ValueError(f"Unknown metric '{metric}'. Valid metrics: {_list_metrics()}.")
    spec = METRICS[metric]["args"]
    valid = ", ".join(f"{k} ({'required' if v['required'] else 'optional'})" for k, v in spec.items())
    args = dict(args or {})
    unknown = sorted(set(args) - set(spec))
    missing = sorted(k for k, v in spec.items() if v["required"] and args.get(k) in (None, ""))
    if unknown or missing:
        problem = []
        if unknown:
            problem.append(f"unknown arg(s) {', '.join(unknown)}")
        if missing:
            problem.append(f"missing required arg(s) {', '.join(missing)}")
        raise ValueError(f"Metric '{metric}': {'; '.join(problem)}. Valid args: {valid}.")
    clean = {}
    for key, value in args.items():
        if value is None:
            continue
        kind = spec[key]["type"]
        if kind == "int":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
                raise ValueError(f"Metric '{metric}': arg '{key}' must be a whole year, got {value!r}.")
            value = int(value)
        elif kind == "list":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"Metric '{metric}': arg '{key}' must be a list of names.")
            value = list(value)
        elif not isinstance(value, str):
            raise ValueError(f"Metric '{metric}': arg '{key}' must be text, got {value!r}.")
        clean[key] = value
    return clean


# --- metric implementations -------------------------------------------------------------


def _measure(inputs: "AnalysisInputs", measure_id: str):
    if measure_id not in inputs.measures:
        raise ValueError(
            f"Unknown measure '{measure_id}'; known measures: "
            f"{', '.join(sorted(inputs.measures)) or 'none'}."
        )
    return inputs.measures[measure_id]


def _scope(service_type: str | None) -> str:
    return service_type if service_type else "all service types"


def _in(service_type: str | None) -> str:
    return f" in {service_type}" if service_type else ""


_TABLE_WORDS = {"providers": "the provider figures", "service_users": "the figures on people known to services",
                "unit_costs": "the unit cost figures"}


def _require_type(df, service_type: str | None, table: str) -> None:
    if service_type and not (df["service_type"].astype(str) == service_type).any():
        known = ", ".join(sorted(df["service_type"].astype(str).unique())) or "none"
        raise CannotCompute(f"{_TABLE_WORDS[table]} have nothing for {service_type} (they cover: {known})")


def _m_need_change(inputs, measure, from_year=None, to_year=None) -> MetricValue:
    m = _measure(inputs, measure)
    y0 = inputs.base_year if from_year is None else from_year
    y1 = inputs.end_year if to_year is None else to_year
    totals = _needs.need_by_year(inputs.population, m.rates, years=[y0, y1])
    est = dict(zip(totals["year"], totals["estimate"]))
    rnd = dict(zip(totals["year"], totals["estimate_rounded"]))
    if est[y0] == 0:
        raise CannotCompute(f"estimated need in {y0} is zero")
    value = (est[y1] - est[y0]) / est[y0] * 100.0
    words = {"need": _gaps._lower_first(m.label), "before": fmt_int(rnd[y0]), "after": fmt_int(rnd[y1]),
             "then": y0, "later": y1}
    wording = NEED_RISES if rnd[y1] > rnd[y0] else NEED_FALLS if rnd[y1] < rnd[y0] else NEED_STEADY
    return MetricValue(value, "percent", wording.format(**words))


def _m_unmet_need(inputs, measure, year=None) -> MetricValue:
    m = _measure(inputs, measure)
    y = inputs.base_year if year is None else year
    if not m.service_types:
        raise CannotCompute(f"no services are linked to {_gaps._lower_first(m.label)}")
    need = _needs.need_by_year(inputs.population, m.rates, years=[y])["estimate"].iloc[0]
    result = _needs.unmet_need(need, inputs.service_users, m.service_types, inputs.client_group, y)
    if result.unmet_percent is None:
        raise CannotCompute(f"estimated need in {y} is zero")
    return MetricValue(
        result.unmet_percent,
        "percent",
        f"In {y} an estimated {fmt_int(need)} {_gaps._lower_first(m.label)} compare with "
        f"{fmt_int(result.known)} people known to {_gaps._join(m.service_types)}",
    )


def _m_occupancy(inputs, service_type=None) -> MetricValue:
    _require_type(inputs.providers, service_type, "providers")
    part = _market._filter_types(inputs.providers, service_type).dropna(subset=["capacity", "occupied"])
    value = _market.occupancy_percent(inputs.providers, service_type)
    if math.isnan(value):
        raise CannotCompute(f"no capacity with occupancy is recorded for {_scope(service_type)}")
    return MetricValue(
        value,
        "percent",
        f"{fmt_int(part['occupied'].sum())} of the {fmt_int(part['capacity'].sum())} places"
        f"{_in(service_type)} are occupied",
    )


def _m_good_or_better(inputs, service_type=None) -> MetricValue:
    _require_type(inputs.providers, service_type, "providers")
    table = _market.quality_ratings(inputs.providers, inputs.nation, service_type)
    value = _market.good_or_better_percent(inputs.providers, inputs.nation, service_type)
    if math.isnan(value):
        raise CannotCompute(f"no services in {_scope(service_type)} have a rating yet")
    rated = int(table.loc[table["rating"] != _market.NOT_RATED, "services"].sum())
    nation = _market._nation(inputs.nation)
    good = int(table.loc[table["rating"].isin(_market.GOOD_OR_BETTER[nation]), "services"].sum())
    return MetricValue(
        value,
        "percent",
        f"{fmt_int(good)} of {fmt_int(rated)} rated services{_in(service_type)} are rated "
        f"{' or '.join(_market.GOOD_OR_BETTER[nation])} by the {_market.REGULATOR[nation]}",
    )


def _m_out_of_area(inputs, service_type=None) -> MetricValue:
    _require_type(inputs.service_users, service_type, "service_users")
    ooa = _market.out_of_area(inputs.service_users, service_type)
    if math.isnan(ooa.percent):
        raise CannotCompute(f"no people are recorded as known to {_scope(service_type)}")
    return MetricValue(
        ooa.percent,
        "percent",
        f"At 31 March {ooa.year}, {fmt_int(ooa.out_of_area)} of {fmt_int(ooa.people)} people "
        f"known to {service_type or 'services'} were placed outside the area",
    )


def _m_unit_cost(inputs, service_type) -> MetricValue:
    _require_type(inputs.unit_costs, service_type, "unit_costs")
    table = _resources.unit_cost_comparison(inputs.unit_costs)
    rows = table[table["service_type"] == service_type]
    if rows.empty:
        raise CannotCompute(f"no {service_type} unit cost in {table['financial_year'].iloc[0]}")
    if len(rows) > 1:
        raise CannotCompute(f"{service_type} has {len(rows)} unit costs (different units)")
    row = rows.iloc[0]
    if row["position"] == "no comparator":
        raise CannotCompute(f"no comparator average for {service_type}")
    return MetricValue(
        row["difference_percent"],
        "signed percent",
        UNIT_COST.format(service=service_type, cost=fmt_money_auto(row["unit_cost"]), unit=row["unit"],
                         comparator=fmt_money_auto(row["comparator_average"]), year=row["financial_year"]),
    )


def _m_spend_share(inputs, group) -> MetricValue:
    summary = _resources.budget_summary(inputs.budget)
    groups = summary.groups
    row = groups[groups["group"] == group]
    if row.empty:
        raise CannotCompute(
            f"the {summary.financial_year} budget has no {group} group (its groups are "
            f"{', '.join(groups['group'])})"
        )
    if summary.gross_expenditure <= 0:
        raise CannotCompute("the budget has no expenditure")
    return MetricValue(
        float(row["share_percent"].iloc[0]),
        "percent",
        f"{group} accounts for {fmt_money_auto(row['gross'].iloc[0])} of the "
        f"{fmt_money_auto(summary.gross_expenditure)} gross expenditure in "
        f"{summary.financial_year}",
    )


def _series(inputs, indicator_id, label: IndicatorLabel):
    try:
        return _indicators.indicator_series(inputs.indicators, indicator_id)
    except ValueError as exc:
        raise CannotCompute(f"there are no figures for {_gaps._lower_first(label.name)}") from exc


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _label(labels, indicator_id) -> IndicatorLabel:
    """The plan's name for an indicator; an indicator the plan does not list is named by the data's
    own identifier, the only name there is."""
    return labels.get(indicator_id) or IndicatorLabel(f"the indicator {indicator_id}")


def _m_indicator_latest(inputs, indicator_id, labels=None) -> MetricValue:
    label = _label(labels or {}, indicator_id)
    series = _series(inputs, indicator_id, label)
    last = series.iloc[-1]
    if math.isnan(last["value"]):
        raise CannotCompute(f"{_gaps._lower_first(label.name)} has no value for {last['period']}")
    return MetricValue(
        float(last["value"]),
        "value",
        INDICATOR_LATEST.format(name=_capital(label.name), value=fmt_value(last["value"], label.unit),
                                period=last["period"]),
        label.unit,
    )


def _m_indicator_change(inputs, indicator_id, labels=None) -> MetricValue:
    label = _label(labels or {}, indicator_id)
    series = _series(inputs, indicator_id, label)
    last = series.iloc[-1]
    if math.isnan(last["value"]):
        raise CannotCompute(f"{_gaps._lower_first(label.name)} has no value for {last['period']}")
    earlier = series.iloc[:-1].dropna(subset=["value"])
    if earlier.empty:
        raise CannotCompute(f"{_gaps._lower_first(label.name)} has no earlier value to compare with")
    prev = earlier.iloc[-1]
    values = {"name": _capital(label.name), "before": fmt_value(prev["value"], label.unit),
              "after": fmt_value(last["value"], label.unit), "then": prev["period"], "now": last["period"]}
    if float(prev["value"]) == float(last["value"]):
        detail = INDICATOR_SAME.format(**values)
    elif values["before"] == values["after"]:  # a change too small to show at this precision
        detail = INDICATOR_ABOUT_SAME.format(**values)
    else:
        detail = INDICATOR_MOVED.format(**values)
    return MetricValue(float(last["value"]) - float(prev["value"]), "signed value", detail, label.unit)


def _m_hhi(inputs, service_type=None) -> MetricValue:
    _require_type(inputs.providers, service_type, "providers")
    try:
        c = _market.concentration(inputs.providers, service_type)
    except ValueError as exc:
        raise CannotCompute(str(exc).rstrip(".")) from exc
    return MetricValue(
        c.hhi,
        "index",
        (f"Capacity{_in(service_type)} is {c.band}: {plural(c.providers, 'provider')}, the largest "
         f"three holding {fmt_percent(c.top3_share_percent)} of places") if c.providers > 3 else
        (f"Capacity{_in(service_type)} is {c.band}: {plural(c.providers, 'provider')} "
         f"{'holds' if c.providers == 1 else 'hold'} all {fmt_int(c.capacity)} places"),
    )


def _m_capacity_gap(inputs, measure, service_types=None, year=None) -> MetricValue:
    m = _measure(inputs, measure)
    y = inputs.end_year if year is None else year
    if not (service_types or m.service_types):
        raise CannotCompute(f"no services are linked to {_gaps._lower_first(m.label)}")
    try:
        difference, gaps = _gaps.capacity_gap(inputs, m, y, service_types)
    except ValueError as exc:
        raise CannotCompute(str(exc).rstrip(".")) from exc
    return MetricValue(
        difference,
        "signed places",
        " ".join(f"{g.rationale} {g.method}" for g in gaps).rstrip("."),
    )


_IMPLEMENTATIONS: dict[str, Callable[..., MetricValue]] = {
    "need_change_percent": _m_need_change,
    "unmet_need_percent": _m_unmet_need,
    "occupancy_percent": _m_occupancy,
    "good_or_better_percent": _m_good_or_better,
    "out_of_area_percent": _m_out_of_area,
    "unit_cost_vs_comparator_percent": _m_unit_cost,
    "spend_share_percent": _m_spend_share,
    "indicator_latest": _m_indicator_latest,
    "indicator_change": _m_indicator_change,
    "concentration_hhi": _m_hhi,
    "capacity_gap": _m_capacity_gap,
}
assert set(_IMPLEMENTATIONS) == set(METRICS)


def evaluate_metric(
    metric: str, args: Mapping[str, Any] | None, inputs: "AnalysisInputs",
    labels: Mapping[str, IndicatorLabel] | None = None,
) -> MetricValue:
    """Compute one metric. Raises ValueError for an unknown metric, bad args or an unknown
    measure id; raises CannotCompute when the data cannot give a value. ``labels`` names the
    plan's indicators (id -> name and unit) for the indicator metrics."""
    return _compute(metric, check_args(metric, args), inputs, labels)


def _compute(metric: str, clean: dict[str, Any], inputs: "AnalysisInputs",
             labels: Mapping[str, IndicatorLabel] | None) -> MetricValue:
    """One metric from args already checked by :func:`check_args`."""
    if metric.startswith("indicator_"):
        clean = {**clean, "labels": dict(labels or {})}
    try:
        return _IMPLEMENTATIONS[metric](inputs, **clean)
    except CannotCompute:
        raise
    except ValueError as exc:
        if str(exc).startswith("Unknown measure"):
            raise
        raise CannotCompute(str(exc).rstrip(".")) from exc


def _format(value: float, unit: str, dp: int, value_unit: str | None = None) -> str:
    signed = unit.startswith("signed")
    if unit.endswith("percent"):
        text = fmt_percent(value, dp)
    elif unit.endswith("places") or unit == "index":
        text = fmt_number(value, dp) if dp else fmt_int(value)
    elif value_unit == "pounds":
        text = fmt_money_auto(value, brackets_for_negative=False)
    elif value_unit == "percent":
        text = f"{fmt_rate(value, dp)} percentage points" if signed else fmt_percent(value, dp)
    else:
        words = UNIT_WORDS.get(value_unit or "", "")
        text = fmt_rate(value, dp) + (f" {words}" if words else "")
    if signed and round_half_up(value, dp) > 0:
        text = "+" + text
    return text


def _first_dp(unit: str, value_unit: str | None) -> int:
    """Decimals a metric is written with: whole places, counts and index points; one decimal otherwise."""
    if unit.endswith("places") or unit == "index" or value_unit in WHOLE_UNITS or value_unit == "pounds":
        return 0
    return 1


def _format_pair(value: float, threshold: float, unit: str, value_unit: str | None = None) -> tuple[str, str]:
    """Show enough decimals that a value just over a threshold does not print equal to it."""
    start = _first_dp(unit, value_unit)
    # never round the user's own threshold: 92.55 must not print as 92.6%
    exact = next((d for d in range(4) if float(round_half_up(threshold, d)) == threshold), 3)
    for dp in range(max(start, exact), 4):
        v, t = _format(value, unit, dp, value_unit), _format(threshold, unit, dp, value_unit)
        if v != t or value == threshold:
            return v, t
    return v, t


def _margin_text(margin: float, unit: str, value_unit: str | None = None) -> str:
    if margin == 0:
        return ""
    if unit.endswith("percent") or value_unit == "percent":
        return f"{fmt_number(margin, 2)} percentage points"
    if unit.endswith("places"):
        return f"{fmt_number(margin, 2)} place{'' if margin == 1 else 's'}"
    return _format(margin, "value", 2, value_unit) if value_unit else fmt_number(margin, 2)


# Each sentence is one whole format string with named placeholders (so that it can be
# translated as a whole). Consecutive hypotheses take consecutive wordings, so a table of
# results does not repeat one sentence row after row.
ACCEPTED = (
    "{Subject} is {value}, which is {comparison} {threshold}, so the evidence supports the hypothesis.",
    "The test asks for {comparison} {threshold}; at {value}, {subject} meets it and the hypothesis is accepted.",
    "With {subject} at {value} against a test of {comparison} {threshold}, we accept the hypothesis.",
)
REFUTED = (
    "{Subject} is {value}, which is not {comparison} {threshold}, so the evidence does not support the hypothesis.",
    "The test asks for {comparison} {threshold}; at {value}, {subject} does not meet it and the hypothesis is refuted.",
    "With {subject} at {value} against a test of {comparison} {threshold}, we reject the hypothesis.",
)
WITHIN_MARGIN = (
    "{Subject} is {value}, within {margin} of the test of {comparison} {threshold}, so the evidence is "
    "inconclusive.",
    "At {value}, {subject} is too close to the test of {comparison} {threshold} (within {margin}) to decide, "
    "so the hypothesis stays open.",
)
MARGIN_CLEARED = "The difference is larger than the margin of {margin} that the test allows."
NOT_COMPUTED = "{Subject} could not be worked out because {reason}, so the evidence is inconclusive."
NO_VALUE = "{Subject} has no value, so the evidence is inconclusive."
WITH_DETAIL = "{detail}. {sentence}"


def evaluate(
    test: "HypothesisTest", inputs: "AnalysisInputs",
    labels: Mapping[str, IndicatorLabel] | None = None, variant: int = 0,
) -> Evaluation:
    """Accept, refute or leave inconclusive one hypothesis test.

    ``test``: the plan's validated test (:class:`strategy_docs.inputs.params.HypothesisTest`), whose
    comparison, threshold and margin are used as the model checked them. Accepted if the comparison
    holds by more than the margin, refuted if it fails by more than the margin; inconclusive if the
    value is within the margin of the threshold or cannot be computed from the data. ``variant``
    picks the wording (the hypothesis's position, so neighbouring rows read differently);
    ``labels`` names indicators. Raises ValueError for an unknown metric, bad args or an unknown
    measure id (which validating the plan reports first).
    """
    args = check_args(test.metric, test.args)
    subject = SUBJECTS[test.metric]
    words = {"subject": subject, "Subject": _capital(subject), "comparison": COMPARISONS[test.comparison]}
    try:
        mv = _compute(test.metric, args, inputs, labels)
    except CannotCompute as exc:
        return Evaluation(None, "inconclusive", NOT_COMPUTED.format(reason=exc, **words))
    value = float(mv.value)
    if math.isnan(value):
        return Evaluation(None, "inconclusive", NO_VALUE.format(**words))
    threshold, margin = test.threshold, test.margin
    diff = round(value - threshold, 9)
    words["value"], words["threshold"] = _format_pair(value, threshold, mv.unit, mv.value_unit)
    words["margin"] = _margin_text(margin, mv.unit, mv.value_unit)
    if margin > 0 and abs(diff) <= margin:
        verdict, wordings = "inconclusive", WITHIN_MARGIN
    else:
        holds = {">": diff > 0, ">=": diff >= 0, "<": diff < 0, "<=": diff <= 0}[test.comparison]
        verdict, wordings = ("accepted", ACCEPTED) if holds else ("refuted", REFUTED)
    sentence = wordings[variant % len(wordings)].format(**words)
    if margin > 0 and verdict != "inconclusive":
        sentence += " " + MARGIN_CLEARED.format(**words)
    return Evaluation(value, verdict, WITH_DETAIL.format(detail=mv.detail, sentence=sentence))
