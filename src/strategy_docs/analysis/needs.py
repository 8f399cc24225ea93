"""Needs analysis: prevalence rates applied to population (WAG 4.3; domain spec 4.1-4.2).

Future need = projected population x prevalence rate, rates held constant. Totals are
computed from the total population and rounded once (half-up), which is how WAG Table 13
gets 197 for Wales while its rounded rows add up to 196.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping

import pandas as pd

from strategy_docs.analysis.formatting import fmt_change, fmt_int, fmt_percent, is_missing, round_half_up

AgeBand = tuple[int, int | None]

_BAND_RE = re.compile(r"^\s*(\d+)\s*(?:(\+)|[-\u2013]\s*(\d+))?\s*$")
SEXES = ("female", "male")
RATE_SEXES = ("all", "female", "male")


def parse_age_band(text: str) -> AgeBand:
    """'65-74' -> (65, 74); '85+' -> (85, None); '70' -> (70, 70). Bounds are inclusive."""
    m = _BAND_RE.match(str(text))
    if not m:
        raise ValueError(
            f"Age band '{text}' is not understood; write it like '65-74' or '85+'."
        )
    lo = int(m.group(1))
    if m.group(2):
        return lo, None
    hi = int(m.group(3)) if m.group(3) else lo
    if hi < lo:
        raise ValueError(f"Age band '{text}' ends before it starts.")
    return lo, hi


def band_inside(inner: AgeBand, outer: AgeBand) -> bool:
    """True when every age in ``inner`` is also in ``outer``."""
    (ilo, ihi), (olo, ohi) = inner, outer
    if ilo < olo:
        return False
    if ohi is None:
        return True
    return ihi is not None and ihi <= ohi


def bands_overlap(a: AgeBand, b: AgeBand) -> bool:
    """True when the two bands share at least one age."""
    (alo, ahi), (blo, bhi) = a, b
    return (bhi is None or alo <= bhi) and (ahi is None or blo <= ahi)


def describe_age_range(age_range: AgeBand) -> str:
    """(65, None) -> 'aged 65 and over'; (18, 64) -> 'aged 18 to 64'."""
    lo, hi = age_range
    if hi is None:
        return f"aged {lo} and over"
    return f"aged {lo} to {hi}"


def population_bands_in_range(bands: Iterable[str], age_range: AgeBand) -> list[str]:
    """Population bands lying inside ``age_range``; a band that straddles its edge is an error.

    Straddling bands cannot be split without assuming an age distribution, so we refuse
    rather than guess.
    """
    chosen = []
    for band in sorted(set(bands), key=lambda b: parse_age_band(b)[0]):
        parsed = parse_age_band(band)
        if band_inside(parsed, age_range):
            chosen.append(band)
        elif bands_overlap(parsed, age_range):
            lo, hi = age_range
            wanted = f"{lo}+" if hi is None else f"{lo}-{hi}"
            raise ValueError(
                f"Population age band '{band}' straddles the boundary of age band '{wanted}'; "
                f"use age bands that line up with the population bands."
            )
    return chosen


@dataclass(frozen=True)
class Rate:
    """One prevalence rate: percent of people in an age band (and sex) with the need."""

    age_band: str
    sex: str
    rate_percent: float

    @classmethod
    def from_any(cls, rate: object) -> "Rate":
        """Accept a dict, a Rate, or any object with the three attributes."""
        if isinstance(rate, Rate):
            return rate
        get = rate.get if isinstance(rate, Mapping) else lambda k, d=None: getattr(rate, k, d)
        age_band, sex, pct = get("age_band"), get("sex", "all"), get("rate_percent")
        if age_band is None or pct is None:
            raise ValueError(
                f"Prevalence rate {rate!r} needs 'age_band' and 'rate_percent' (and optional 'sex')."
            )
        sex = str(sex or "all").strip().lower()
        if sex not in RATE_SEXES:
            raise ValueError(f"Prevalence rate sex '{sex}' must be one of: all, female, male.")
        pct_f = float(pct)
        if not 0 <= pct_f <= 100:
            raise ValueError(f"Prevalence rate {pct_f} for '{age_band}' must be between 0 and 100.")
        parse_age_band(str(age_band))
        return cls(str(age_band).strip(), sex, pct_f)


def _normalise_rates(rates: Iterable[object]) -> list[Rate]:
    out = [Rate.from_any(r) for r in rates]
    if not out:
        raise ValueError("At least one prevalence rate is needed.")
    for i, a in enumerate(out):
        for b in out[i + 1 :]:
            sexes_clash = a.sex == "all" or b.sex == "all" or a.sex == b.sex
            if sexes_clash and bands_overlap(parse_age_band(a.age_band), parse_age_band(b.age_band)):
                raise ValueError(
                    f"Prevalence rates for '{a.age_band}' ({a.sex}) and '{b.age_band}' ({b.sex}) "
                    f"overlap, so some people would be counted twice."
                )
    return out


def _select_years(population: pd.DataFrame, years: Iterable[int] | None) -> list[int]:
    available = sorted(int(y) for y in population["year"].dropna().unique())
    if years is None:
        return available
    wanted = [int(y) for y in years]
    missing = [y for y in wanted if y not in available]
    if missing:
        raise ValueError(
            f"No population data for year(s) {', '.join(map(str, missing))}; "
            f"available years: {', '.join(map(str, available)) or 'none'}."
        )
    return wanted


def apply_prevalence(
    population: pd.DataFrame,
    rates: Iterable[object],
    years: Iterable[int] | None = None,
    by_area: bool = False,
) -> pd.DataFrame:
    """Estimated number of people with a need, per year x rate band x sex (unrounded).

    Population is summed over areas (or kept per ``area_code`` with ``by_area``) and over
    the population age bands that lie inside each rate band. Sex 'all' covers both sexes.
    Columns: year, [area_code,] age_band, sex, population, rate_percent, estimate.
    """
    rate_list = _normalise_rates(rates)
    year_list = _select_years(population, years)
    pop = population[population["year"].isin(year_list)].copy()
    pop["sex"] = pop["sex"].astype(str).str.strip().str.lower()
    pop_bands = sorted(pop["age_band"].astype(str).unique(), key=lambda b: parse_age_band(b)[0])
    keys = ["year", "area_code"] if by_area else ["year"]
    areas = sorted(pop["area_code"].astype(str).unique()) if by_area else [None]

    rows = []
    for rate in rate_list:
        bands = population_bands_in_range(pop_bands, parse_age_band(rate.age_band))
        if not bands:
            raise ValueError(
                f"No population age bands fall inside prevalence band '{rate.age_band}'."
            )
        sexes = list(SEXES) if rate.sex == "all" else [rate.sex]
        part = pop[pop["age_band"].astype(str).isin(bands) & pop["sex"].isin(sexes)]
        if by_area:
            part = part.assign(area_code=part["area_code"].astype(str))
        sums = part.groupby(keys)["population"].sum()
        for year in year_list:
            for area in areas:
                key = (year, area) if by_area else year
                p = float(sums.get(key, 0.0))
                row = {"year": year, "age_band": rate.age_band, "sex": rate.sex}
                if by_area:
                    row["area_code"] = area
                row.update(
                    population=p,
                    rate_percent=rate.rate_percent,
                    estimate=p * rate.rate_percent / 100.0,
                )
                rows.append(row)
    cols = keys + ["age_band", "sex", "population", "rate_percent", "estimate"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _exact_total(part: pd.DataFrame) -> Decimal:
    """Sum of population x rate in decimal, so a true .5 is not lost to float error."""
    total = Decimal(0)
    for p, r in zip(part["population"], part["rate_percent"]):
        if not is_missing(p):
            total += Decimal(str(p)) * Decimal(str(r)) / Decimal(100)
    return total


def need_by_year(
    population: pd.DataFrame,
    rates: Iterable[object],
    years: Iterable[int] | None = None,
    by_area: bool = False,
) -> pd.DataFrame:
    """Total estimated need per year (and per area with ``by_area``).

    Columns: year, [area_code,] population (people in the rate bands), estimate
    (unrounded), estimate_rounded (half-up, computed once from the total).
    """
    detail = apply_prevalence(population, rates, years, by_area=by_area)
    keys = ["year", "area_code"] if by_area else ["year"]
    rows = []
    for key, part in detail.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key))
        row["year"] = int(row["year"])
        row.update(
            population=float(part["population"].sum()),
            estimate=float(part["estimate"].sum()),
            estimate_rounded=round_half_up(_exact_total(part)),
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=keys + ["population", "estimate", "estimate_rounded"])


@dataclass(frozen=True)
class UnmetNeed:
    """Estimated need compared with people known to services (WAG 003:1010-1012)."""

    year: int
    need: float
    known: float
    unmet: float
    unmet_percent: float | None

    def sentence(self, label: str) -> str:
        """E.g. 'In 2026 an estimated 4,120 people ... ; 3,000 are known to services ...'."""
        pct = "" if self.unmet_percent is None else f" ({fmt_percent(self.unmet_percent)} of estimated need)"
        return (
            f"{label}: an estimated {fmt_int(self.need)} in {self.year}, of whom "
            f"{fmt_int(self.known)} are known to services, leaving an estimated "
            f"{fmt_int(self.unmet)} not known to services{pct}."
        )


def unmet_need(
    need_total_for_year: float,
    service_users: pd.DataFrame,
    service_types: Iterable[str],
    client_group: str | None,
    year: int,
) -> UnmetNeed:
    """Estimated need minus people known to the given service types, never below zero.

    People using two service types are counted in both, so 'known' can overstate the
    number of individuals and unmet need is then a lower bound.
    """
    types = [str(t) for t in service_types]
    if not types:
        raise ValueError("unmet_need needs at least one service type.")
    su = service_users
    if client_group is not None and "client_group" in su.columns:
        su = su[su["client_group"].astype(str) == str(client_group)]
    su = su[su["service_type"].astype(str).isin(types) & (su["year"] == year)]
    if su.empty:
        raise ValueError(
            f"there are no figures for people known to {', '.join(types)} in {year}, so unmet need "
            f"cannot be estimated"
        )
    known = float(su["people"].sum())
    need = float(need_total_for_year)
    unmet = max(need - known, 0.0)
    pct = unmet / need * 100.0 if need > 0 else None
    return UnmetNeed(year=int(year), need=need, known=known, unmet=unmet, unmet_percent=pct)


def needs_sentence(
    label: str, base_year: int, base_value: float, later_year: int, later_value: float
) -> str:
    """'People aged 65 and over with dementia: 4,120 in 2026, projected 5,070 in 2035, up 23%'."""
    return (
        f"{label}: {fmt_int(base_value)} in {base_year}, projected "
        f"{fmt_int(later_value)} in {later_year}, {fmt_change(base_value, later_value)}"
    )
