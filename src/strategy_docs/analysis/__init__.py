"""Pure pandas/python analysis behind the strategy sections.

Nothing here knows about notebooks, YAML or rendering: inputs are the DataFrames from
docs/design.md (already filtered to one authority and client group) and plain values;
outputs are DataFrames, dataclasses and plain-English sentences. That keeps every
number in the documents testable without running a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Measure:
    """A need to estimate: prevalence rates by age band/sex, and the services that meet it.

    ``rates``: the client group's validated prevalence rates (``params.PrevalenceRate``), or dicts
    ``{age_band, sex: 'all'|'female'|'male', rate_percent}``;
    ``service_types`` link the need to supply (providers/service_users ``service_type``).
    """

    id: str
    label: str
    rates: list[Any]
    service_types: list[str] = field(default_factory=list)


@dataclass
class AnalysisInputs:
    """Everything the metric catalogue and gap analysis need for one document.

    ``end_year`` is the last year of the strategy period; ``look_ahead_year`` the long
    view (WAG: plan for 3-5 years while looking 15-20 ahead). ``age_range`` is the client
    group's (min, max or None).
    """

    population: pd.DataFrame
    service_users: pd.DataFrame
    providers: pd.DataFrame
    budget: pd.DataFrame
    unit_costs: pd.DataFrame
    indicators: pd.DataFrame
    measures: dict[str, Measure]
    base_year: int
    end_year: int
    look_ahead_year: int
    nation: str
    age_range: tuple[int, int | None] | None  # None: the client group states no age range
    client_group: str | None = None


# Submodules import the dataclasses above, so they come after them.
from strategy_docs.analysis import (  # noqa: E402
    cycle,
    formatting,
    gaps,
    hypotheses,
    indicators,
    market,
    needs,
    resources,
    risks,
)
from strategy_docs.analysis.cycle import CycleVocabulary, IPC_VOCABULARY, SIX_STAGE_VOCABULARY  # noqa: E402
from strategy_docs.analysis.formatting import (  # noqa: E402
    fmt_change,
    fmt_int,
    fmt_money,
    fmt_number,
    fmt_percent,
    round_half_up,
)
from strategy_docs.analysis.gaps import ComputedGap, capacity_gap, computed_gaps, gap_warnings, service_gap  # noqa: E402
from strategy_docs.analysis.hypotheses import METRICS, Evaluation, evaluate, evaluate_metric  # noqa: E402
from strategy_docs.analysis.indicators import IndicatorStatus, RagRules, indicator_series, indicator_status  # noqa: E402
from strategy_docs.analysis.market import (  # noqa: E402
    concentration,
    good_or_better_percent,
    occupancy_by_service_type,
    out_of_area,
    quality_ratings,
    sector_mix,
)
from strategy_docs.analysis.needs import apply_prevalence, need_by_year, needs_sentence, parse_age_band, unmet_need  # noqa: E402
from strategy_docs.analysis.resources import (  # noqa: E402
    budget_summary,
    check_stated_totals,
    spend_per_head,
    spend_share,
    unit_cost_comparison,
)
from strategy_docs.analysis.risks import DEFAULT_BANDS, RiskBand, heat_map, risk_band, risk_register  # noqa: E402

__all__ = [
    "AnalysisInputs",
    "Measure",
    "cycle",
    "formatting",
    "gaps",
    "hypotheses",
    "indicators",
    "market",
    "needs",
    "resources",
    "risks",
    "CycleVocabulary",
    "IPC_VOCABULARY",
    "SIX_STAGE_VOCABULARY",
    "fmt_change",
    "fmt_int",
    "fmt_money",
    "fmt_number",
    "fmt_percent",
    "round_half_up",
    "ComputedGap",
    "capacity_gap",
    "computed_gaps",
    "gap_warnings",
    "METRICS",
    "Evaluation",
    "evaluate",
    "evaluate_metric",
    "IndicatorStatus",
    "RagRules",
    "indicator_series",
    "indicator_status",
    "concentration",
    "good_or_better_percent",
    "occupancy_by_service_type",
    "out_of_area",
    "quality_ratings",
    "sector_mix",
    "apply_prevalence",
    "need_by_year",
    "needs_sentence",
    "parse_age_band",
    "unmet_need",
    "budget_summary",
    "check_stated_totals",
    "spend_per_head",
    "spend_share",
    "unit_cost_comparison",
    "DEFAULT_BANDS",
    "heat_map",
    "risk_band",
    "risk_register",
    "RiskBand",
]
