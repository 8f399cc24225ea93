"""Resource analysis: budget subtotals, stated-total checks, unit costs, spend per head.

Budget ``amount`` is in pounds with income lines negative (docs/design.md), so gross
expenditure is the sum of positive lines, income the sum of negative lines and net the
sum of all lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from strategy_docs.analysis.formatting import fmt_int, fmt_money, fmt_money_auto, fmt_percent, percent_change
from strategy_docs.analysis.needs import AgeBand, describe_age_range, population_bands_in_range
from strategy_docs.i18n import N_, Translator, data_word


def _fy_key(fy: str) -> tuple:
    """Sort '2023/24' style years numerically, falling back to text."""
    digits = "".join(ch if ch.isdigit() else " " for ch in str(fy)).split()
    return tuple(int(d) for d in digits) or (math.inf,), str(fy)


def latest_financial_year(df: pd.DataFrame) -> str:
    """The most recent financial_year in a table."""
    years = [str(y) for y in df["financial_year"].dropna().unique()]
    if not years:
        raise ValueError("The table has no financial_year values.")
    return max(years, key=_fy_key)


def _one_year(df: pd.DataFrame, financial_year: str | None) -> tuple[pd.DataFrame, str]:
    fy = latest_financial_year(df) if financial_year is None else str(financial_year)
    part = df[df["financial_year"].astype(str) == fy]
    if part.empty:
        raise ValueError(
            f"No rows for financial year {fy}; available: "
            f"{', '.join(sorted({str(y) for y in df['financial_year'].unique()}, key=_fy_key))}."
        )
    return part, fy


@dataclass
class BudgetSummary:
    """A budget for one financial year, grouped with subtotals.

    ``table`` keeps the input order of groups and lines and adds a 'subtotal' row after
    each group (columns: group, line, amount, kind in {'line', 'subtotal'}).
    ``groups`` has one row per group: group, gross, income, net, share_percent (share of
    gross expenditure).
    """

    financial_year: str
    table: pd.DataFrame
    groups: pd.DataFrame
    gross_expenditure: float
    income: float
    net_total: float

    def sentence(self) -> str:
        """One-line summary with income in brackets, as finance tables show it."""
        return (
            f"In {self.financial_year} gross expenditure is {fmt_money(self.gross_expenditure)}, "
            f"income {fmt_money(self.income)} and net expenditure {fmt_money(self.net_total)}."
        )


def budget_summary(budget: pd.DataFrame, financial_year: str | None = None) -> BudgetSummary:
    """Group lines under their ``group`` heading with subtotals and overall totals."""
    part, fy = _one_year(budget, financial_year)
    amounts = part["amount"].astype(float)
    part = part.assign(amount=amounts)
    table_rows, group_rows = [], []
    gross_all = float(amounts[amounts > 0].sum())
    for group in dict.fromkeys(part["group"].astype(str)):
        g = part[part["group"].astype(str) == group]
        for line, amount in zip(g["line"], g["amount"]):
            table_rows.append({"group": group, "line": str(line), "amount": float(amount), "kind": "line"})
        net = float(g["amount"].sum())
        table_rows.append({"group": group, "line": f"Total {group}", "amount": net, "kind": "subtotal"})
        gross = float(g.loc[g["amount"] > 0, "amount"].sum())
        group_rows.append(
            {
                "group": group,
                "gross": gross,
                "income": float(g.loc[g["amount"] < 0, "amount"].sum()),
                "net": net,
                "share_percent": gross / gross_all * 100.0 if gross_all > 0 else float("nan"),
            }
        )
    return BudgetSummary(
        financial_year=fy,
        table=pd.DataFrame(table_rows, columns=["group", "line", "amount", "kind"]),
        groups=pd.DataFrame(group_rows, columns=["group", "gross", "income", "net", "share_percent"]),
        gross_expenditure=gross_all,
        income=float(amounts[amounts < 0].sum()),
        net_total=float(amounts.sum()),
    )


@dataclass
class TotalMismatch:
    """A stated total that does not match the sum of its lines."""

    group: str | None  # None for the net total
    lines: list[str] = field(default_factory=list)
    stated: float = 0.0
    computed: float = 0.0

    @property
    def message(self) -> str:
        """Says which total, what was stated, what the lines add up to, and from which lines."""
        what = "The net total" if self.group is None else f"The stated total for '{self.group}'"
        lines = ", ".join(self.lines) if self.lines else "no lines"
        return (
            f"{what} is {fmt_money(self.stated)} but the lines add up to "
            f"{fmt_money(self.computed)} (difference {fmt_money(self.stated - self.computed)}; "
            f"lines: {lines})."
        )


def check_stated_totals(
    budget: pd.DataFrame,
    stated_group_totals: Mapping[str, float],
    stated_net_total: float | None = None,
    tolerance: float = 0.5,
    financial_year: str | None = None,
) -> list[TotalMismatch]:
    """Compare totals typed into a plan with the sum of the budget lines.

    Hand-copied budget tables often carry stale subtotals; a mismatch greater than
    ``tolerance`` pounds is reported. An empty list means everything reconciles.
    """
    summary = budget_summary(budget, financial_year)
    lines = summary.table[summary.table["kind"] == "line"]
    nets = dict(zip(summary.groups["group"], summary.groups["net"]))
    problems = []
    for group, stated in stated_group_totals.items():
        computed = float(nets.get(str(group), 0.0))
        if abs(float(stated) - computed) > tolerance:
            names = lines.loc[lines["group"] == str(group), "line"].tolist()
            problems.append(TotalMismatch(str(group), names, float(stated), computed))
    if stated_net_total is not None and abs(float(stated_net_total) - summary.net_total) > tolerance:
        problems.append(
            TotalMismatch(None, lines["line"].tolist(), float(stated_net_total), summary.net_total)
        )
    return problems


def unit_cost_comparison(unit_costs: pd.DataFrame, financial_year: str | None = None) -> pd.DataFrame:
    """Unit costs against the comparator average for one financial year (latest by default).

    Columns: service_type, unit, unit_cost, comparator_average, difference (£),
    difference_percent, position ('above', 'below', 'same' or 'no comparator'), sentence.
    """
    part, fy = _one_year(unit_costs, financial_year)
    rows = []
    for r in part.itertuples(index=False):
        cost, comp = float(r.unit_cost), r.comparator_average
        comp = float(comp) if pd.notna(comp) else float("nan")
        diff = cost - comp
        if math.isnan(comp):
            position = "no comparator"
        elif abs(diff) < 0.005:
            position = "same"
        else:
            position = "above" if diff > 0 else "below"
        rows.append(
            {
                "financial_year": fy,
                "service_type": str(r.service_type),
                "unit": str(r.unit),
                "unit_cost": cost,
                "comparator_average": comp,
                "difference": diff,
                "difference_percent": percent_change(comp, cost),
                "position": position,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "financial_year", "service_type", "unit", "unit_cost", "comparator_average",
            "difference", "difference_percent", "position",
        ],
    )
    out["sentence"] = [unit_cost_sentence(r) for r in out.to_dict("records")]
    return out


# "{service}: ..." as a list item, so a plural service name ("Carers' short breaks") reads as well as a singular one.
UNIT_COST_SENTENCES = {
    "above": N_("{service}: {cost} {unit}, {difference} ({percent}) above the comparator average of {comparator}."),
    "below": N_("{service}: {cost} {unit}, {difference} ({percent}) below the comparator average of {comparator}."),
    "same": N_("{service}: {cost} {unit}, the same as the comparator average."),
    "no comparator": N_("{service}: {cost} {unit}; no comparator average is available."),
}
# A difference of less than 0.05% prints as 0.0%: the sentence then says so in words.
UNIT_COST_SMALL = {
    "above": N_("{service}: {cost} {unit}, {difference} above the comparator average of {comparator} "
                "(less than 0.1% more)."),
    "below": N_("{service}: {cost} {unit}, {difference} below the comparator average of {comparator} "
                "(less than 0.1% less)."),
}


def unit_cost_sentence(row: Mapping, t: Translator | None = None) -> str:
    """'Residential care: £712 per week, £42 (6.3%) above the comparator average of £670.'; in ``t``'s
    language (a Translator; default English), the service's name from the data marked as English."""
    words = t or (lambda message: message)
    position = row["position"]
    values = {"service": data_word(row["service_type"], t), "cost": fmt_money_auto(row["unit_cost"]),
              "unit": words(str(row["unit"]))}
    if position in ("same", "no comparator"):
        return words(UNIT_COST_SENTENCES[position]).format(**values)
    values.update(difference=fmt_money_auto(abs(row["difference"])), percent=fmt_percent(abs(row["difference_percent"])),
                  comparator=fmt_money_auto(row["comparator_average"]))
    small = fmt_percent(abs(row["difference_percent"])) == fmt_percent(0)
    return words((UNIT_COST_SMALL if small else UNIT_COST_SENTENCES)[position]).format(**values)


@dataclass(frozen=True)
class SpendPerHead:
    """Net spend divided by the population in the client group's age range."""

    year: int
    age_range: AgeBand
    net_spend: float
    population: float
    spend_per_head: float

    def sentence(self) -> str:
        return (
            f"Net spend of {fmt_money(self.net_spend)} is {fmt_money_auto(round(self.spend_per_head, 2))} "
            f"per head of the {fmt_int(self.population)} people {describe_age_range(self.age_range)} "
            f"in {self.year}."
        )


def spend_per_head(
    net_spend: float, population: pd.DataFrame, year: int, age_range: AgeBand
) -> SpendPerHead:
    """Benchmark-style spend per head of population (domain spec 4.5), all areas and sexes."""
    part = population[population["year"] == year]
    if part.empty:
        raise ValueError(f"No population data for {year}.")
    bands = population_bands_in_range(part["age_band"].astype(str).unique(), tuple(age_range))
    pop = float(part[part["age_band"].astype(str).isin(bands)]["population"].sum())
    if pop <= 0:
        raise ValueError(f"No population {describe_age_range(tuple(age_range))} in {year}.")
    return SpendPerHead(int(year), tuple(age_range), float(net_spend), pop, float(net_spend) / pop)


def spend_share(budget: pd.DataFrame, financial_year: str | None = None) -> pd.DataFrame:
    """Each group's share of gross expenditure (income left out). Columns: group, gross, share_percent."""
    return budget_summary(budget, financial_year).groups[["group", "gross", "share_percent"]].copy()
