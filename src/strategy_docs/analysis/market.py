"""Market analysis: supply, occupancy, sector mix, quality and concentration (WAG 4.4).

Inputs are the ``providers`` and ``service_users`` tables from docs/design.md, already
filtered to one authority and client group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from strategy_docs.analysis.formatting import fmt_int, fmt_percent
from strategy_docs.i18n import N_

SECTORS = ("in-house", "private", "voluntary", "nhs")
SECTOR_LABELS = {"in-house": "In-house", "private": "Private", "voluntary": "Voluntary", "nhs": "NHS"}

# Regulator vocabularies, best first (design.md). "Not yet rated" is kept out of shares.
RATINGS = {
    "england": ("Outstanding", "Good", "Requires improvement", "Inadequate", "Not yet rated"),
    "wales": (
        "Excellent",
        "Good",
        "Requires improvement",
        "Requires significant improvement",
        "Not yet rated",
    ),
}
GOOD_OR_BETTER = {"england": ("Outstanding", "Good"), "wales": ("Excellent", "Good")}
REGULATOR = {"england": N_("CQC"), "wales": N_("CIW")}
NOT_RATED = "Not yet rated"

HHI_BANDS = ((2500, "highly concentrated"), (1500, "moderately concentrated"))


def _nation(nation: str) -> str:
    key = str(nation).strip().lower()
    if key not in RATINGS:
        raise ValueError(f"Nation '{nation}' has no rating vocabulary; use one of: england, wales.")
    return key


def _filter_types(df: pd.DataFrame, service_type: str | Iterable[str] | None) -> pd.DataFrame:
    if service_type is None:
        return df
    types = [service_type] if isinstance(service_type, str) else list(service_type)
    return df[df["service_type"].astype(str).isin(types)]


def occupancy_by_service_type(providers: pd.DataFrame) -> pd.DataFrame:
    """Providers, capacity, occupied, occupancy % and vacancies per service type.

    Occupancy uses only rows where both capacity and occupied are known, so a provider
    with a blank return does not drag the rate down. Vacancies = capacity - occupied.
    Columns: service_type, providers, capacity, occupied, occupancy_percent, vacancies.
    """
    rows = []
    for stype, part in providers.groupby(providers["service_type"].astype(str), sort=True):
        both = part.dropna(subset=["capacity", "occupied"])
        cap_both = float(both["capacity"].sum())
        occupied = float(both["occupied"].sum()) if not both.empty else float("nan")
        capacity = float(part["capacity"].sum())
        rows.append(
            {
                "service_type": stype,
                "providers": int(part["provider_id"].nunique()),
                "capacity": capacity,
                "occupied": occupied,
                "occupancy_percent": occupied / cap_both * 100.0 if cap_both > 0 else float("nan"),
                "vacancies": cap_both - occupied if not both.empty else float("nan"),
            }
        )
    cols = ["service_type", "providers", "capacity", "occupied", "occupancy_percent", "vacancies"]
    return pd.DataFrame(rows, columns=cols)


def occupancy_percent(providers: pd.DataFrame, service_type: str | None = None) -> float:
    """Overall occupancy % (optionally for one service type); NaN when no capacity is known."""
    part = _filter_types(providers, service_type).dropna(subset=["capacity", "occupied"])
    cap = float(part["capacity"].sum())
    return float(part["occupied"].sum()) / cap * 100.0 if cap > 0 else float("nan")


def sector_mix(providers: pd.DataFrame, service_type: str | None = None) -> pd.DataFrame:
    """Capacity and share of capacity by sector, always listing all four sectors.

    Columns: sector, label, providers, capacity, share_percent.
    """
    part = _filter_types(providers, service_type)
    sectors = part["sector"].astype(str).str.strip().str.lower()
    unknown = sorted(set(sectors) - set(SECTORS))
    if unknown:
        raise ValueError(
            f"Unknown sector(s) {', '.join(unknown)}; allowed: {', '.join(SECTORS)}."
        )
    total = float(part["capacity"].sum())
    rows = []
    for sector in SECTORS:
        s = part[sectors == sector]
        cap = float(s["capacity"].sum())
        rows.append(
            {
                "sector": sector,
                "label": SECTOR_LABELS[sector],
                "providers": int(s["provider_id"].nunique()),
                "capacity": cap,
                "share_percent": cap / total * 100.0 if total > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=["sector", "label", "providers", "capacity", "share_percent"])


def _normalise_ratings(ratings: pd.Series, nation: str) -> pd.Series:
    vocab = RATINGS[nation]
    lookup = {v.lower(): v for v in vocab}
    cleaned = ratings.fillna(NOT_RATED).astype(str).str.strip()
    cleaned = cleaned.where(cleaned != "", NOT_RATED)
    normalised = cleaned.str.lower().map(lookup)
    bad = sorted(set(cleaned[normalised.isna()]))
    if bad:
        raise ValueError(
            f"Quality rating(s) {', '.join(repr(b) for b in bad)} are not in the "
            f"{REGULATOR[nation]} vocabulary: {', '.join(vocab)}."
        )
    return normalised


def quality_ratings(
    providers: pd.DataFrame, nation: str, service_type: str | None = None
) -> pd.DataFrame:
    """Count of services by rating in the regulator's order, with % of rated services.

    Each providers row is one registered service. A blank rating counts as 'Not yet rated'
    and is shown but left out of the percentages (it says nothing about quality).
    Columns: rating, services, percent_of_rated.
    """
    key = _nation(nation)
    part = _filter_types(providers, service_type)
    ratings = _normalise_ratings(part["quality_rating"], key)
    rated = int((ratings != NOT_RATED).sum())
    rows = []
    for rating in RATINGS[key]:
        n = int((ratings == rating).sum())
        pct = float("nan") if rating == NOT_RATED or rated == 0 else n / rated * 100.0
        rows.append({"rating": rating, "services": n, "percent_of_rated": pct})
    return pd.DataFrame(rows, columns=["rating", "services", "percent_of_rated"])


def good_or_better_percent(
    providers: pd.DataFrame, nation: str, service_type: str | None = None
) -> float:
    """Share of rated services rated Good or better (Outstanding/Good or Excellent/Good)."""
    table = quality_ratings(providers, nation, service_type)
    key = _nation(nation)
    rated = int(table.loc[table["rating"] != NOT_RATED, "services"].sum())
    if rated == 0:
        return float("nan")
    good = int(table.loc[table["rating"].isin(GOOD_OR_BETTER[key]), "services"].sum())
    return good / rated * 100.0


@dataclass(frozen=True)
class Concentration:
    """How concentrated supply is among providers (by share of capacity)."""

    hhi: float
    band: str
    top3_share_percent: float
    providers: int
    capacity: float

    def sentence(self, scope: str = "the market") -> str:
        """Plain-English summary for the market section."""
        return (
            f"Capacity in {scope} is {self.band} (Herfindahl-Hirschman index "
            f"{fmt_int(self.hhi)} across {fmt_int(self.providers)} providers); the three "
            f"largest providers hold {fmt_percent(self.top3_share_percent)} of "
            f"{fmt_int(self.capacity)} places."
        )


def hhi_band(hhi: float) -> str:
    """Usual competition-authority bands: <1,500 un-, 1,500-2,500 moderately, >2,500 highly."""
    if hhi > HHI_BANDS[0][0]:
        return HHI_BANDS[0][1]
    if hhi >= HHI_BANDS[1][0]:
        return HHI_BANDS[1][1]
    return "unconcentrated"


def concentration(providers: pd.DataFrame, service_type: str | None = None) -> Concentration:
    """Herfindahl-Hirschman index (0-10,000) on providers' shares of capacity, and top-3 share.

    A provider with several rows (homes) is one firm: capacities are summed by provider_id.
    """
    part = _filter_types(providers, service_type)
    by_provider = part.groupby(part["provider_id"].astype(str))["capacity"].sum()
    by_provider = by_provider[by_provider > 0]
    total = float(by_provider.sum())
    if total <= 0:
        raise ValueError("no places are recorded, so how concentrated the market is cannot be measured")
    shares = by_provider / total * 100.0
    hhi = float((shares**2).sum())
    top3 = float(shares.sort_values(ascending=False).head(3).sum())
    return Concentration(
        hhi=hhi,
        band=hhi_band(hhi),
        top3_share_percent=top3,
        providers=int(len(by_provider)),
        capacity=total,
    )


@dataclass(frozen=True)
class OutOfArea:
    """People placed outside the authority, of those known to services at 31 March."""

    year: int
    people: float  # people known to the services that record out-of-area placements
    out_of_area: float
    percent: float
    service_types: tuple[str, ...] = ()  # the services whose figures these are

    def sentence(self, scope: str = "services") -> str:
        """E.g. 'At 31 March 2025, 12 of 240 people known to services (5%) were placed out of area.'"""
        return (
            f"At 31 March {self.year}, {fmt_int(self.out_of_area)} of {fmt_int(self.people)} "
            f"people known to {scope} ({fmt_percent(self.percent)}) were placed outside the area."
        )


def out_of_area(
    service_users: pd.DataFrame, service_type: str | Iterable[str] | None = None, year: int | None = None
) -> OutOfArea:
    """Out-of-area placements for the latest year (or ``year``), count and % of people known."""
    part = _filter_types(service_users, service_type)
    if part.empty:
        raise ValueError("there are no figures for people known to these services")
    if year is None:
        year = int(part["year"].max())
    part = part[part["year"] == year]
    if part.empty:
        raise ValueError(f"there are no figures for people known to services at 31 March {year}")
    recorded = part[part["out_of_area"].notna()]  # a blank is not recorded, not zero
    if recorded.empty:
        services = ", ".join(dict.fromkeys(part["service_type"].astype(str)))
        raise ValueError(f"no out-of-area placements are recorded for {services} in {year}")
    part = recorded
    people = float(part["people"].sum())
    ooa = float(part["out_of_area"].sum())
    pct = ooa / people * 100.0 if people > 0 else float("nan")
    types = tuple(dict.fromkeys(part["service_type"].astype(str)))
    return OutOfArea(year=int(year), people=people, out_of_area=ooa, percent=pct, service_types=types)


def records_out_of_area(service_users: pd.DataFrame) -> bool:
    """Whether the figures record out-of-area placements at all (any value, zero included)."""
    return "out_of_area" in service_users.columns and bool(service_users["out_of_area"].notna().any())
