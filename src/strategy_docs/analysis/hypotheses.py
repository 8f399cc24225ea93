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
from strategy_docs.i18n import N_, Translator, data_word, translator
from strategy_docs.wording import list_in_words

if TYPE_CHECKING:  # pragma: no cover
    from strategy_docs.analysis import AnalysisInputs
    from strategy_docs.inputs.params import HypothesisTest

COMPARISONS = {">": N_("more than"), ">=": N_("at least"), "<": N_("less than"), "<=": N_("at most")}
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
    "need_change_percent": N_("the change in estimated need"),
    "unmet_need_percent": N_("the share of estimated need not known to services"),
    "occupancy_percent": N_("occupancy"),
    "good_or_better_percent": N_("the share of rated services rated good or better"),
    "out_of_area_percent": N_("the share placed out of area"),
    "unit_cost_vs_comparator_percent": N_("the difference from the comparator average"),
    "spend_share_percent": N_("the share of gross expenditure"),
    "indicator_latest": N_("the latest value"),
    "indicator_change": N_("the change since the previous value"),
    "concentration_hhi": N_("the Herfindahl-Hirschman index"),
    "capacity_gap": N_("projected demand minus current places"),
}
assert set(SUBJECTS) == set(METRICS)


@dataclass(frozen=True)
class IndicatorLabel:
    """How a hypothesis sentence names an indicator: the plan's name and unit, never its id."""

    name: str
    unit: str | None = None


# What the data shows, before the verdict: whole sentences with named placeholders. Indicator
# names are noun phrases ("Carers assessed in the year"), so they take a colon, not a verb.
NEED_RISES = N_("The estimated number of {need} is projected to rise from {before} in {then} to {after} in {later} "
                  "(population projections × prevalence rates)")
NEED_FALLS = N_("The estimated number of {need} is projected to fall from {before} in {then} to {after} in {later} "
                  "(population projections × prevalence rates)")
NEED_STEADY = N_("The estimated number of {need} is projected to stay at {after} from {then} to {later} "
                   "(population projections × prevalence rates)")
UNIT_COST = N_("The unit cost of {service} in {year} is {cost} {unit}, against a comparator average of {comparator}")
INDICATOR_LATEST = N_("{name}: {value} in {period}")
INDICATOR_SAME = N_("{name}: {after} in both {then} and {now}")
INDICATOR_ABOUT_SAME = N_("{name}: about {after} in both {then} and {now}")
INDICATOR_MOVED = N_("{name}: {before} in {then} and {after} in {now}")


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


def _scope(service_type: str | None, t: Translator) -> str:
    return data_word(service_type, t) if service_type else t(ALL_SERVICE_TYPES)


# Why a metric could not be worked out (the end of NOT_COMPUTED's sentence).
ALL_SERVICE_TYPES = N_("all service types")
_TABLE_WORDS = {"providers": N_("the provider figures have nothing for {service} (they cover: {known})"),
                "service_users": N_("the figures on people known to services have nothing for {service} "
                                    "(they cover: {known})"),
                "unit_costs": N_("the unit cost figures have nothing for {service} (they cover: {known})")}
NEED_IS_ZERO = N_("estimated need in {year} is zero")
NO_SERVICES_LINKED = N_("no services are linked to {need}")
NO_OCCUPANCY = N_("no capacity with occupancy is recorded for {scope}")
NOT_RATED_YET = N_("no services in {scope} have a rating yet")
NO_PEOPLE = N_("no people are recorded as known to {scope}")
NO_UNIT_COST = N_("no {service} unit cost in {year}")
SEVERAL_UNIT_COSTS = N_("{service} has {count} unit costs (different units)")
NO_COMPARATOR = N_("no comparator average for {service}")
NO_BUDGET_GROUP = N_("the {year} budget has no {group} group (its groups are {groups})")
NO_EXPENDITURE = N_("the budget has no expenditure")
NO_FIGURES = N_("there are no figures for {name}")
NO_VALUE_FOR = N_("{name} has no value for {period}")
NO_EARLIER_VALUE = N_("{name} has no earlier value to compare with")
NONE = N_("none")
NO_POPULATION = N_("there are no population figures for {years} (the figures cover {available})")

# What the data shows, for the metrics whose sentence is not above.
UNMET = N_("In {year} an estimated {need} {label} compare with {known} people known to {services}")
OCCUPIED = N_("{occupied} of the {capacity} places are occupied")
OCCUPIED_IN = N_("{occupied} of the {capacity} places in {service} are occupied")
GOOD_OR_BETTER = N_("{good} of {rated} rated services are rated {ratings} by the {regulator}")
GOOD_OR_BETTER_IN = N_("{good} of {rated} rated services in {service} are rated {ratings} by the {regulator}")
OUT_OF_AREA = N_("At 31 March {year}, {placed} of {people} people known to services were placed outside the area")
OUT_OF_AREA_IN = N_("At 31 March {year}, {placed} of {people} people known to {service} were placed outside the area")
SPEND_SHARE = N_("{group} accounts for {gross} of the {total} gross expenditure in {year}")
HHI_MANY = N_("Capacity is {band}: {providers} providers, the largest three holding {share} of places")
HHI_MANY_IN = N_("Capacity in {service} is {band}: {providers} providers, the largest three holding {share} of places")
HHI_ONE = N_("Capacity is {band}: 1 provider holds all {capacity} places")
HHI_ONE_IN = N_("Capacity in {service} is {band}: 1 provider holds all {capacity} places")
HHI_FEW = N_("Capacity is {band}: {providers} providers hold all {capacity} places")
HHI_FEW_IN = N_("Capacity in {service} is {band}: {providers} providers hold all {capacity} places")
THE_INDICATOR = N_("the indicator {id}")


def _require_type(df, service_type: str | None, table: str, t: Translator) -> None:
    if service_type and not (df["service_type"].astype(str) == service_type).any():
        known = ", ".join(data_word(k, t) for k in sorted(df["service_type"].astype(str).unique())) or t(NONE)
        raise CannotCompute(t(_TABLE_WORDS[table]).format(service=data_word(service_type, t), known=known))


def _population_years(inputs, years, t: Translator) -> None:
    """Population figures for each of ``years``, or the reason there are none."""
    available = sorted(int(y) for y in inputs.population["year"].dropna().unique())
    missing = [int(y) for y in dict.fromkeys(years) if int(y) not in available]
    if missing:
        raise CannotCompute(t(NO_POPULATION).format(
            years=list_in_words([str(y) for y in missing], t("and")),
            available=list_in_words([str(y) for y in available], t("and")) or t(NONE)))


def _m_need_change(inputs, measure, from_year=None, to_year=None, t=None) -> MetricValue:
    m = _measure(inputs, measure)
    y0 = inputs.base_year if from_year is None else from_year
    y1 = inputs.end_year if to_year is None else to_year
    _population_years(inputs, (y0, y1), t)
    totals = _needs.need_by_year(inputs.population, m.rates, years=[y0, y1])
    est = dict(zip(totals["year"], totals["estimate"]))
    rnd = dict(zip(totals["year"], totals["estimate_rounded"]))
    if est[y0] == 0:
        raise CannotCompute(t(NEED_IS_ZERO).format(year=y0))
    value = (est[y1] - est[y0]) / est[y0] * 100.0
    words = {"need": _gaps._lower_first(m.label), "before": fmt_int(rnd[y0]), "after": fmt_int(rnd[y1]),
             "then": y0, "later": y1}
    wording = NEED_RISES if rnd[y1] > rnd[y0] else NEED_FALLS if rnd[y1] < rnd[y0] else NEED_STEADY
    return MetricValue(value, "percent", t(wording).format(**words))


def _m_unmet_need(inputs, measure, year=None, t=None) -> MetricValue:
    m = _measure(inputs, measure)
    y = inputs.base_year if year is None else year
    if not m.service_types:
        raise CannotCompute(t(NO_SERVICES_LINKED).format(need=_gaps._lower_first(m.label)))
    _population_years(inputs, (y,), t)
    need = _needs.need_by_year(inputs.population, m.rates, years=[y])["estimate"].iloc[0]
    result = _needs.unmet_need(need, inputs.service_users, m.service_types, inputs.client_group, y)
    if result.unmet_percent is None:
        raise CannotCompute(t(NEED_IS_ZERO).format(year=y))
    return MetricValue(
        result.unmet_percent,
        "percent",
        t(UNMET).format(year=y, need=fmt_int(need), label=_gaps._lower_first(m.label), known=fmt_int(result.known),
                        services=list_in_words([data_word(s, t) for s in m.service_types], t("and"))),
    )


def _m_occupancy(inputs, service_type=None, t=None) -> MetricValue:
    _require_type(inputs.providers, service_type, "providers", t)
    part = _market._filter_types(inputs.providers, service_type).dropna(subset=["capacity", "occupied"])
    value = _market.occupancy_percent(inputs.providers, service_type)
    if math.isnan(value):
        raise CannotCompute(t(NO_OCCUPANCY).format(scope=_scope(service_type, t)))
    return MetricValue(
        value,
        "percent",
        t(OCCUPIED_IN if service_type else OCCUPIED).format(
            occupied=fmt_int(part["occupied"].sum()), capacity=fmt_int(part["capacity"].sum()),
            service=data_word(service_type, t)),
    )


def _m_good_or_better(inputs, service_type=None, t=None) -> MetricValue:
    _require_type(inputs.providers, service_type, "providers", t)
    table = _market.quality_ratings(inputs.providers, inputs.nation, service_type)
    value = _market.good_or_better_percent(inputs.providers, inputs.nation, service_type)
    if math.isnan(value):
        raise CannotCompute(t(NOT_RATED_YET).format(scope=_scope(service_type, t)))
    rated = int(table.loc[table["rating"] != _market.NOT_RATED, "services"].sum())
    nation = _market._nation(inputs.nation)
    good = int(table.loc[table["rating"].isin(_market.GOOD_OR_BETTER[nation]), "services"].sum())
    return MetricValue(
        value,
        "percent",
        t(GOOD_OR_BETTER_IN if service_type else GOOD_OR_BETTER).format(
            good=fmt_int(good), rated=fmt_int(rated), service=data_word(service_type, t),
            ratings=list_in_words([t(r) for r in _market.GOOD_OR_BETTER[nation]], t(OR)),
            regulator=t(_market.REGULATOR[nation])),
    )


OR = N_("or")


def _m_out_of_area(inputs, service_type=None, t=None) -> MetricValue:
    _require_type(inputs.service_users, service_type, "service_users", t)
    ooa = _market.out_of_area(inputs.service_users, service_type)
    if math.isnan(ooa.percent):
        raise CannotCompute(t(NO_PEOPLE).format(scope=_scope(service_type, t)))
    return MetricValue(
        ooa.percent,
        "percent",
        t(OUT_OF_AREA_IN if service_type else OUT_OF_AREA).format(
            year=ooa.year, placed=fmt_int(ooa.out_of_area), people=fmt_int(ooa.people),
            service=data_word(service_type, t)),
    )


def _m_unit_cost(inputs, service_type, t=None) -> MetricValue:
    _require_type(inputs.unit_costs, service_type, "unit_costs", t)
    table = _resources.unit_cost_comparison(inputs.unit_costs)
    rows = table[table["service_type"] == service_type]
    service = data_word(service_type, t)
    if rows.empty:
        raise CannotCompute(t(NO_UNIT_COST).format(service=service, year=table["financial_year"].iloc[0]))
    if len(rows) > 1:
        raise CannotCompute(t(SEVERAL_UNIT_COSTS).format(service=service, count=len(rows)))
    row = rows.iloc[0]
    if row["position"] == "no comparator":
        raise CannotCompute(t(NO_COMPARATOR).format(service=service))
    return MetricValue(
        row["difference_percent"],
        "signed percent",
        t(UNIT_COST).format(service=service, cost=fmt_money_auto(row["unit_cost"]), unit=t(str(row["unit"])),
                            comparator=fmt_money_auto(row["comparator_average"]), year=row["financial_year"]),
    )


def _m_spend_share(inputs, group, t=None) -> MetricValue:
    summary = _resources.budget_summary(inputs.budget)
    groups = summary.groups
    row = groups[groups["group"] == group]
    if row.empty:
        raise CannotCompute(t(NO_BUDGET_GROUP).format(
            year=summary.financial_year, group=data_word(group, t),
            groups=", ".join(data_word(g, t) for g in groups["group"])))
    if summary.gross_expenditure <= 0:
        raise CannotCompute(t(NO_EXPENDITURE))
    return MetricValue(
        float(row["share_percent"].iloc[0]),
        "percent",
        t(SPEND_SHARE).format(group=data_word(group, t), gross=fmt_money_auto(row["gross"].iloc[0]),
                              total=fmt_money_auto(summary.gross_expenditure), year=summary.financial_year),
    )


def _series(inputs, indicator_id, label: IndicatorLabel, t: Translator):
    try:
        return _indicators.indicator_series(inputs.indicators, indicator_id)
    except ValueError as exc:
        raise CannotCompute(t(NO_FIGURES).format(name=_gaps._lower_first(label.name))) from exc


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _label(labels, indicator_id, t: Translator) -> IndicatorLabel:
    """The plan's name for an indicator; an indicator the plan does not list is named by the data's
    own identifier, the only name there is."""
    return labels.get(indicator_id) or IndicatorLabel(t(THE_INDICATOR).format(id=indicator_id))


def _m_indicator_latest(inputs, indicator_id, labels=None, t=None) -> MetricValue:
    label = _label(labels or {}, indicator_id, t)
    series = _series(inputs, indicator_id, label, t)
    last = series.iloc[-1]
    if math.isnan(last["value"]):
        raise CannotCompute(t(NO_VALUE_FOR).format(name=_gaps._lower_first(label.name), period=last["period"]))
    return MetricValue(
        float(last["value"]),
        "value",
        t(INDICATOR_LATEST).format(name=_capital(label.name), value=fmt_value(last["value"], label.unit, t=t),
                                   period=last["period"]),
        label.unit,
    )


def _m_indicator_change(inputs, indicator_id, labels=None, t=None) -> MetricValue:
    label = _label(labels or {}, indicator_id, t)
    series = _series(inputs, indicator_id, label, t)
    last = series.iloc[-1]
    if math.isnan(last["value"]):
        raise CannotCompute(t(NO_VALUE_FOR).format(name=_gaps._lower_first(label.name), period=last["period"]))
    earlier = series.iloc[:-1].dropna(subset=["value"])
    if earlier.empty:
        raise CannotCompute(t(NO_EARLIER_VALUE).format(name=_gaps._lower_first(label.name)))
    prev = earlier.iloc[-1]
    values = {"name": _capital(label.name), "before": fmt_value(prev["value"], label.unit, t=t),
              "after": fmt_value(last["value"], label.unit, t=t), "then": prev["period"], "now": last["period"]}
    if float(prev["value"]) == float(last["value"]):
        detail = t(INDICATOR_SAME).format(**values)
    elif values["before"] == values["after"]:  # a change too small to show at this precision
        detail = t(INDICATOR_ABOUT_SAME).format(**values)
    else:
        detail = t(INDICATOR_MOVED).format(**values)
    return MetricValue(float(last["value"]) - float(prev["value"]), "signed value", detail, label.unit)


def _m_hhi(inputs, service_type=None, t=None) -> MetricValue:
    _require_type(inputs.providers, service_type, "providers", t)
    try:
        c = _market.concentration(inputs.providers, service_type)
    except ValueError as exc:
        raise CannotCompute(str(exc).rstrip(".")) from exc
    if c.providers > 3:
        wording = HHI_MANY_IN if service_type else HHI_MANY
    elif c.providers == 1:
        wording = HHI_ONE_IN if service_type else HHI_ONE
    else:
        wording = HHI_FEW_IN if service_type else HHI_FEW
    band = _gaps._lower_first(t(c.band[:1].upper() + c.band[1:]))  # the table's word ('Highly concentrated')
    return MetricValue(
        c.hhi,
        "index",
        t(wording).format(service=data_word(service_type, t), band=band, providers=f"{c.providers:,}",
                          share=fmt_percent(c.top3_share_percent), capacity=fmt_int(c.capacity)),
    )


def _m_capacity_gap(inputs, measure, service_types=None, year=None, t=None) -> MetricValue:
    m = _measure(inputs, measure)
    y = inputs.end_year if year is None else year
    if not (service_types or m.service_types):
        raise CannotCompute(t(NO_SERVICES_LINKED).format(need=_gaps._lower_first(m.label)))
    _population_years(inputs, (y,), t)
    try:
        difference, gaps = _gaps.capacity_gap(inputs, m, y, service_types, t=t)
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
    labels: Mapping[str, IndicatorLabel] | None = None, t: Translator | None = None,
) -> MetricValue:
    """Compute one metric. Raises ValueError for an unknown metric, bad args or an unknown
    measure id; raises CannotCompute when the data cannot give a value. ``labels`` names the
    plan's indicators (id -> name and unit) for the indicator metrics; ``t`` writes the sentences
    in its language (default English)."""
    return _compute(metric, check_args(metric, args), inputs, labels, t)


def _compute(metric: str, clean: dict[str, Any], inputs: "AnalysisInputs",
             labels: Mapping[str, IndicatorLabel] | None, t: Translator | None = None) -> MetricValue:
    """One metric from args already checked by :func:`check_args`."""
    clean = {**clean, "t": t or translator()}
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


def _format(value: float, unit: str, dp: int, value_unit: str | None = None, t: Translator | None = None) -> str:
    t = t or translator()
    signed = unit.startswith("signed")
    if unit.endswith("percent"):
        text = fmt_percent(value, dp)
    elif unit.endswith("places") or unit == "index":
        text = fmt_number(value, dp) if dp else fmt_int(value)
    elif value_unit == "pounds":
        text = fmt_money_auto(value, brackets_for_negative=False)
    elif value_unit == "percent":
        text = t(POINTS).format(points=fmt_rate(value, dp)) if signed else fmt_percent(value, dp)
    else:
        words = UNIT_WORDS.get(value_unit or "", "")
        text = fmt_rate(value, dp) + (f" {t(words)}" if words else "")
    if signed and round_half_up(value, dp) > 0:
        text = "+" + text
    return text


def _first_dp(unit: str, value_unit: str | None) -> int:
    """Decimals a metric is written with: whole places, counts and index points; one decimal otherwise."""
    if unit.endswith("places") or unit == "index" or value_unit in WHOLE_UNITS or value_unit == "pounds":
        return 0
    return 1


POINTS = N_("{points} percentage points")
ONE_PLACE, PLACES = N_("{count} place"), N_("{count} places")


def _format_pair(value: float, threshold: float, unit: str, value_unit: str | None = None,
                 t: Translator | None = None) -> tuple[str, str]:
    """Show enough decimals that a value just over a threshold does not print equal to it."""
    start = _first_dp(unit, value_unit)
    # never round the user's own threshold: 92.55 must not print as 92.6%
    exact = next((d for d in range(4) if float(round_half_up(threshold, d)) == threshold), 3)
    for dp in range(max(start, exact), 4):
        v, limit = _format(value, unit, dp, value_unit, t), _format(threshold, unit, dp, value_unit, t)
        if v != limit or value == threshold:
            return v, limit
    return v, limit


def _margin_text(margin: float, unit: str, value_unit: str | None = None, t: Translator | None = None) -> str:
    t = t or translator()
    if margin == 0:
        return ""
    if unit.endswith("percent") or value_unit == "percent":
        return t(POINTS).format(points=fmt_number(margin, 2))
    if unit.endswith("places"):
        return t(ONE_PLACE if margin == 1 else PLACES).format(count=fmt_number(margin, 2))
    return _format(margin, "value", 2, value_unit, t) if value_unit else fmt_number(margin, 2)


# Each sentence is one whole format string with named placeholders (so that it can be
# translated as a whole). Consecutive hypotheses take consecutive wordings, so a table of
# results does not repeat one sentence row after row.
ACCEPTED = (
    N_("{Subject} is {value}, which is {comparison} {threshold}, so the evidence supports the hypothesis."),
    N_("The test asks for {comparison} {threshold}; at {value}, {subject} meets it and the hypothesis is accepted."),
    N_("With {subject} at {value} against a test of {comparison} {threshold}, we accept the hypothesis."),
)
REFUTED = (
    N_("{Subject} is {value}, which is not {comparison} {threshold}, so the evidence does not support the "
       "hypothesis."),
    N_("The test asks for {comparison} {threshold}; at {value}, {subject} does not meet it and the hypothesis is "
       "refuted."),
    N_("With {subject} at {value} against a test of {comparison} {threshold}, we reject the hypothesis."),
)
WITHIN_MARGIN = (
    N_("{Subject} is {value}, within {margin} of the test of {comparison} {threshold}, so the evidence is "
       "inconclusive."),
    N_("At {value}, {subject} is too close to the test of {comparison} {threshold} (within {margin}) to decide, "
       "so the hypothesis stays open."),
)
MARGIN_CLEARED = N_("The difference is larger than the margin of {margin} that the test allows.")
NOT_COMPUTED = N_("{Subject} could not be worked out because {reason}, so the evidence is inconclusive.")
NO_VALUE = N_("{Subject} has no value, so the evidence is inconclusive.")
WITH_DETAIL = N_("{detail}. {sentence}")


def evaluate(
    test: "HypothesisTest", inputs: "AnalysisInputs",
    labels: Mapping[str, IndicatorLabel] | None = None, variant: int = 0, t: Translator | None = None,
) -> Evaluation:
    """Accept, refute or leave inconclusive one hypothesis test.

    ``test``: the plan's validated test (:class:`strategy_docs.inputs.params.HypothesisTest`), whose
    comparison, threshold and margin are used as the model checked them. Accepted if the comparison
    holds by more than the margin, refuted if it fails by more than the margin; inconclusive if the
    value is within the margin of the threshold or cannot be computed from the data. ``variant``
    picks the wording (the hypothesis's position, so neighbouring rows read differently);
    ``labels`` names indicators; ``t`` writes the evidence in its language (default English).
    Raises ValueError for an unknown metric, bad args or an unknown measure id (which validating
    the plan reports first).
    """
    t = t or translator()
    args = check_args(test.metric, test.args)
    subject = t(SUBJECTS[test.metric])
    words = {"subject": subject, "Subject": _capital(subject), "comparison": t(COMPARISONS[test.comparison])}
    try:
        mv = _compute(test.metric, args, inputs, labels, t)
    except CannotCompute as exc:
        return Evaluation(None, "inconclusive", t(NOT_COMPUTED).format(reason=exc, **words))
    value = float(mv.value)
    if math.isnan(value):
        return Evaluation(None, "inconclusive", t(NO_VALUE).format(**words))
    threshold, margin = test.threshold, test.margin
    diff = round(value - threshold, 9)
    words["value"], words["threshold"] = _format_pair(value, threshold, mv.unit, mv.value_unit, t)
    words["margin"] = _margin_text(margin, mv.unit, mv.value_unit, t)
    if margin > 0 and abs(diff) <= margin:
        verdict, wordings = "inconclusive", WITHIN_MARGIN
    else:
        holds = {">": diff > 0, ">=": diff >= 0, "<": diff < 0, "<=": diff <= 0}[test.comparison]
        verdict, wordings = ("accepted", ACCEPTED) if holds else ("refuted", REFUTED)
    sentence = t(wordings[variant % len(wordings)]).format(**words)
    if margin > 0 and verdict != "inconclusive":
        sentence += " " + t(MARGIN_CLEARED).format(**words)
    return Evaluation(value, verdict, t(WITH_DETAIL).format(detail=mv.detail, sentence=sentence))
