"""Summaries across authorities: one rate applied to each authority's population, and a total.

The practice guidance's Table 13 applies 0.053% to each Welsh authority's 70+ population and
rounds each row to a whole number; its Wales row is the rounded estimate for the whole 70+
population (197), while the rounded rows add up to 196. Which of the two a total row shows is a
convention the document must state, so both are computed and the caller picks one.

Pure pandas and decimals: no params models, no IPython.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

import pandas as pd

from strategy_docs.analysis.formatting import round_half_up
from strategy_docs.analysis.needs import AgeBand, band_inside, parse_age_band

TOTAL_CONVENTIONS = ("rounded_total", "sum_of_rounded_rows")
PERSONS = "persons"


def _band_label(band: AgeBand) -> str:
    lo, hi = band
    return f"{lo}+" if hi is None else f"{lo}-{hi}"


def _tiles(bands: list[str], wanted: AgeBand) -> bool:
    """True when the bands, in age order, cover `wanted` exactly with no gap and no overlap."""
    parsed = sorted((parse_age_band(b) for b in bands), key=lambda b: b[0])
    if not parsed or parsed[0][0] != wanted[0]:
        return False
    for (_, hi), (lo, _) in zip(parsed, parsed[1:]):
        if hi is None or lo != hi + 1:
            return False
    return parsed[-1][1] == wanted[1]


def population_in_band(population: pd.DataFrame, age_band: str, year: int | None = None, sex: str = "all",
                       basis: str | None = None) -> int:
    """People of `age_band` (e.g. '70+') in `year`, summed over the table's areas.

    The band is taken as given when the table has it (a source that publishes '70+'), or else
    from the table's narrower bands that tile it exactly (70-74, 75-79, 80-84, 85+). Sex 'all'
    uses the table's 'persons' rows where a band has them, else female + male. Raises
    ValueError, saying what is wrong, when the table cannot give the figure without a guess.
    """
    wanted = parse_age_band(age_band)
    if year is None:  # the source states no year: the table must hold one year only (or none stated)
        years = sorted({"not stated" if pd.isna(y) else str(int(y)) for y in population["year"]})
        if len(years) > 1:
            raise ValueError(f"has several years ({', '.join(years)}), and the summary does not say which.")
        frame = population
    else:
        frame = population[population["year"] == year]
    if basis is not None:
        frame = frame[frame["basis"] == basis]
    if frame.empty:
        raise ValueError(f"has no rows for {year or 'any year'}" + (f" with basis {basis}" if basis else "") + ".")
    frame = frame.assign(age_band=frame["age_band"].astype(str).str.strip(),
                         sex=frame["sex"].astype(str).str.strip().str.lower())
    when = f"in {year}" if year is not None else "(year not stated)"
    bands = sorted(set(frame["age_band"]), key=lambda b: parse_age_band(b)[0])
    exact = [b for b in bands if parse_age_band(b) == wanted]
    if exact:
        chosen = exact
    else:
        chosen = [b for b in bands if band_inside(parse_age_band(b), wanted)]
        if not _tiles(chosen, wanted):
            found = ", ".join(chosen) or "none"
            raise ValueError(f"has no age band {_band_label(wanted)} {when}, and its bands inside it ({found}) "
                             "do not cover it exactly.")
    total = 0
    for band in chosen:
        rows = frame[frame["age_band"] == band]
        by_sex = rows.groupby("sex")["population"].sum()
        if sex != "all":
            if sex not in by_sex:
                raise ValueError(f"has no {sex} rows for age band {band} {when}.")
            total += int(by_sex[sex])
            continue
        split = [s for s in ("female", "male") if s in by_sex]
        if PERSONS in by_sex:
            if len(split) == 2 and int(by_sex["female"] + by_sex["male"]) != int(by_sex[PERSONS]):
                raise ValueError(f"age band {band} {when}: persons ({int(by_sex[PERSONS])}) is not female + male "
                                 f"({int(by_sex['female'] + by_sex['male'])}).")
            total += int(by_sex[PERSONS])
        elif len(split) == 2:
            total += int(by_sex["female"] + by_sex["male"])
        else:
            raise ValueError(f"age band {band} {when} has {', '.join(split) or 'no'} rows but not both sexes "
                             "or persons.")
    return total


@dataclass(frozen=True)
class RateSummary:
    """Rows in the order given; estimates rounded half-up to `decimals`."""

    rows: pd.DataFrame  # name, population, estimate (rounded)
    total_population: int
    rounded_total: int | float  # the unrounded sum (= total population x rate), rounded once
    sum_of_rounded_rows: int | float
    convention: str

    @property
    def total(self) -> int | float:
        return self.rounded_total if self.convention == "rounded_total" else self.sum_of_rounded_rows


def rate_summary(populations: Mapping[str, int], rate_percent: float, decimals: int = 0,
                 total: str = "rounded_total") -> RateSummary:
    """`rate_percent` of each population (name -> people), rounded, with both totals."""
    if total not in TOTAL_CONVENTIONS:
        raise ValueError(f"total must be one of {', '.join(TOTAL_CONVENTIONS)}, not {total!r}")
    rate = Decimal(str(rate_percent)) / Decimal(100)
    exact = {name: Decimal(int(p)) * rate for name, p in populations.items()}
    rounded = {name: round_half_up(value, decimals) for name, value in exact.items()}
    rows = pd.DataFrame({"name": list(populations), "population": [int(p) for p in populations.values()],
                         "estimate": list(rounded.values())})
    rounded_total = round_half_up(sum(exact.values(), Decimal(0)), decimals)
    sum_rows = sum(rounded.values()) if decimals <= 0 else round_half_up(sum(Decimal(str(v)) for v in rounded.values()),
                                                                           decimals)
    return RateSummary(rows, int(sum(int(p) for p in populations.values())), rounded_total, sum_rows, total)


def total_note(summary: RateSummary, area: str) -> str:
    """The sentence under the table saying which total it shows, and the other one when they differ."""
    if summary.convention == "rounded_total":
        note = (f"The {area} total is the estimate for the whole population of {area}, rounded once; "
                "it is not the sum of the rounded rows.")
        if summary.sum_of_rounded_rows != summary.rounded_total:
            note += f" The rounded rows add up to {summary.sum_of_rounded_rows:,}."
    else:
        note = f"The {area} total is the sum of the rounded rows."
        if summary.sum_of_rounded_rows != summary.rounded_total:
            note += f" Rounding the estimate for the whole population of {area} once gives {summary.rounded_total:,}."
    return note
