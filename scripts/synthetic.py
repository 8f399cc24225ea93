"""Deterministic synthetic data for the example workspace and for scaled benchmark workspaces.

Every number this module writes is invented. The tables have realistic magnitudes (ONS-like
age structures, care-home sizes, unit costs, budgets in pounds for a county, a London
borough and a Welsh council) so that the documents read like real ones, but they describe
no real place. Output is a pure function of the parameters files and ``seed``: the same
inputs always give byte-identical CSV files.

Two entry points:

* :func:`generate_workspace_data` rewrites ``data/<authority>/*.csv`` and
  ``data/README.md`` for every authority in a workspace.
* :func:`make_workspace` writes a complete workspace with ``n`` authorities, derived from the
  example authorities (names, localities and numbers varied), for benchmarks.

The example authorities have *scenarios*: per service type knobs (occupancy, share rated
good, out-of-area share, unit cost against comparators, market concentration) chosen so
that each strategy's hypotheses and indicators come out with a mix of findings. Indicator
series are made from each strategy's own indicator list (target and polarity), cycling
through on track / at risk / off track so that every document shows a mix of RAG ratings.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import yaml

from strategy_docs.inputs.schema import AGE_BANDS
from strategy_docs.sections.markup import slugify

DEFAULT_SEED = 20260401
BASE_YEAR = 2025  # mid-year estimate; projections follow
LAST_YEAR = 2045
SERVICE_YEARS = tuple(range(2021, 2026))  # 31 March of each year
INDICATOR_PERIODS = ("2019/20", "2020/21", "2021/22", "2022/23", "2023/24", "2024/25")
BUDGET_YEARS = ("2025/26", "2026/27")
UNIT_COST_YEARS = ("2024/25", "2025/26")
SURVEY_GAP_PERIOD = "2020/21"  # national surveys were not run during the pandemic

TABLE_COLUMNS = {
    "population": ["area_code", "year", "age_band", "sex", "population", "basis"],
    "service_users": ["year", "client_group", "service_type", "area_code", "people", "out_of_area"],
    "providers": ["provider_id", "provider_name", "client_group", "service_type", "sector", "area_code",
                  "capacity", "occupied", "quality_rating"],
    "budget": ["financial_year", "client_group", "group", "line", "amount"],
    "unit_costs": ["financial_year", "client_group", "service_type", "unit", "unit_cost", "comparator_average"],
    "indicators": ["client_group", "indicator_id", "period", "value", "comparator_average"],
}


# ---------------------------------------------------------------- randomness


def _rng(seed: int, *keys: object) -> np.random.Generator:
    """A generator seeded from ``seed`` and any keys, stable across runs and platforms."""
    text = "|".join([str(seed), *map(str, keys)])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


# ---------------------------------------------------------------- population profiles

# Share of the 2025 population in each age band (sums to 1), female share by band, and the
# average annual growth of each band to 2045 (older bands grow fastest, as in ONS projections).
_FEMALE_SHARE = [0.488, 0.490, 0.500, 0.505, 0.506, 0.511, 0.516, 0.526, 0.541, 0.566, 0.636]


@dataclass(frozen=True)
class Profile:
    """What kind of place an authority is: age structure, growth, costs and market size."""

    name: str
    age_shares: tuple[float, ...]
    growth: tuple[float, ...]
    cost_factor: float  # unit costs relative to the England average
    market_scale: float  # providers per service type relative to a county
    nation: str
    default_population: int


PROFILES = {
    "county": Profile(
        "county",
        (0.195, 0.075, 0.110, 0.115, 0.130, 0.140, 0.062, 0.060, 0.050, 0.033, 0.030),
        (-0.003, 0.002, -0.002, 0.003, -0.002, -0.003, 0.008, 0.012, 0.016, 0.026, 0.032),
        1.00, 1.00, "england", 790_000,
    ),
    "london": Profile(
        "london",
        (0.225, 0.090, 0.190, 0.165, 0.120, 0.095, 0.036, 0.030, 0.022, 0.015, 0.012),
        (-0.006, 0.002, 0.001, 0.006, 0.008, 0.012, 0.022, 0.024, 0.026, 0.028, 0.029),
        1.12, 0.60, "england", 320_000,
    ),
    "wales": Profile(
        "wales",
        (0.190, 0.080, 0.110, 0.110, 0.125, 0.140, 0.065, 0.063, 0.052, 0.034, 0.031),
        (-0.005, -0.001, -0.003, 0.001, -0.004, -0.004, 0.005, 0.010, 0.015, 0.023, 0.030),
        0.97, 0.45, "wales", 186_000,
    ),
}


def profile_for(authority: dict) -> str:
    """Guess a profile from an authority's params: Welsh, a London borough, or a county."""
    if authority.get("nation") == "wales":
        return "wales"
    text = f"{authority.get('name', '')} {authority.get('kind', '')}".lower()
    return "london" if "london" in text else "county"


# ---------------------------------------------------------------- services by client group


@dataclass(frozen=True)
class ServiceSpec:
    """One service type: how many people use it, what it costs and what its market is like."""

    name: str
    per_1000: float  # people known at 31 March 2025 per 1,000 of the client group's population
    trend: float  # average annual change in people known, 2021-2025
    unit: str
    unit_cost: float  # England average, 2025/26
    weekly_units: float  # units per person per week, to turn unit costs into budgets
    family: str  # provider pool: care-home, home-care, housing, community
    providers: int  # number of providers in a county
    market_mult: float  # occupied places / people the council funds in the area
    regulated: bool = True
    sectors: tuple[str, ...] = ()  # preferred sectors when choosing providers
    # scenario defaults
    occupancy: float = 0.90
    good: float = 0.82
    ooa: float = 0.0
    premium: float = 0.0
    dominant: float | None = None


SERVICES: dict[str, list[ServiceSpec]] = {
    "older-people": [
        ServiceSpec("Residential care", 7.5, -0.015, "per week", 880, 1, "care-home", 26, 1.85,
                    occupancy=0.90, good=0.80, ooa=0.07),
        ServiceSpec("Nursing care", 4.3, 0.010, "per week", 1080, 1, "care-home", 15, 1.90,
                    occupancy=0.93, good=0.74, ooa=0.09, premium=2),
        ServiceSpec("Domiciliary care", 15.0, 0.030, "per hour", 26.50, 11, "home-care", 22, 1.25,
                    occupancy=0.93, good=0.85),
        ServiceSpec("Extra care housing", 2.2, 0.020, "per week", 210, 1, "housing", 6, 1.30,
                    occupancy=0.90, good=0.92, premium=-3),
        ServiceSpec("Reablement", 2.0, 0.050, "per hour", 44, 8, "home-care", 2, 1.00,
                    sectors=("in-house", "nhs"), occupancy=0.85, good=1.0),
        ServiceSpec("Day opportunities", 1.6, -0.040, "per day", 62, 2.5, "community", 7, 1.05,
                    regulated=False, sectors=("voluntary", "in-house"), occupancy=0.78),
    ],
    "learning-disability": [
        ServiceSpec("Supported living", 1.15, 0.040, "per week", 1350, 1, "housing", 14, 1.15,
                    occupancy=0.93, good=0.86, ooa=0.03),
        ServiceSpec("Residential care", 0.55, -0.030, "per week", 1750, 1, "care-home", 12, 1.35,
                    occupancy=0.89, good=0.78, ooa=0.20, premium=4),
        ServiceSpec("Day opportunities", 0.90, -0.020, "per day", 78, 3, "community", 9, 1.05,
                    regulated=False, sectors=("in-house", "voluntary"), occupancy=0.80),
        ServiceSpec("Shared lives", 0.12, 0.030, "per week", 520, 1, "housing", 2, 1.00,
                    sectors=("in-house", "voluntary"), occupancy=0.86, good=1.0, ooa=0.02),
        ServiceSpec("Short breaks", 0.35, 0.000, "per night", 270, 0.4, "care-home", 4, 1.00,
                    occupancy=0.82, good=0.85, ooa=0.05),
        ServiceSpec("Supported employment", 0.18, 0.050, "per hour", 31, 4, "community", 3, 1.00,
                    regulated=False, sectors=("voluntary", "in-house"), occupancy=0.88),
    ],
    "mental-health": [
        ServiceSpec("Residential care", 0.35, -0.020, "per week", 980, 1, "care-home", 8, 1.40,
                    occupancy=0.91, good=0.75, ooa=0.25, premium=3),
        ServiceSpec("Supported accommodation", 0.90, 0.020, "per week", 520, 1, "housing", 10, 1.10,
                    occupancy=0.92, good=0.82, ooa=0.06),
        ServiceSpec("Community recovery support", 2.20, 0.040, "per hour", 28, 6, "home-care", 7, 1.05,
                    occupancy=0.90, good=0.88),
        ServiceSpec("Crisis house", 0.04, 0.000, "per night", 330, 7, "housing", 1, 1.00,
                    sectors=("voluntary", "nhs"), occupancy=0.80, good=1.0),
        ServiceSpec("Employment support", 0.45, 0.060, "per hour", 33, 3, "community", 2, 1.00,
                    regulated=False, sectors=("voluntary", "nhs"), occupancy=0.85),
    ],
    "physical-disability-sensory-impairment": [
        ServiceSpec("Domiciliary care", 1.50, 0.020, "per hour", 27, 14, "home-care", 12, 1.00,
                    occupancy=0.93, good=0.84),
        ServiceSpec("Residential care", 0.25, -0.030, "per week", 1450, 1, "care-home", 7, 1.30,
                    occupancy=0.90, good=0.72, ooa=0.15, premium=5),
        ServiceSpec("Supported living", 0.20, 0.040, "per week", 1150, 1, "housing", 5, 1.10,
                    occupancy=0.90, good=0.85, ooa=0.05),
        ServiceSpec("Day opportunities", 0.20, -0.030, "per day", 70, 2, "community", 4, 1.05,
                    regulated=False, sectors=("voluntary", "in-house"), occupancy=0.78),
        ServiceSpec("Sensory support", 0.60, 0.020, "per hour", 48, 1.5, "community", 2, 1.00,
                    regulated=False, sectors=("in-house", "voluntary"), occupancy=0.88),
    ],
    "carers": [
        ServiceSpec("Carer support services", 6.0, 0.050, "per hour", 32, 0.3, "community", 3, 1.00,
                    regulated=False, sectors=("voluntary",), occupancy=0.90),
        ServiceSpec("Replacement care", 0.9, 0.020, "per hour", 26, 5, "home-care", 5, 1.00,
                    occupancy=0.90, good=0.86),
        ServiceSpec("Carers' short breaks", 0.7, 0.030, "per night", 185, 0.35, "care-home", 5, 1.00,
                    occupancy=0.84, good=0.84, ooa=0.02),
    ],
}

# Age range of each client group's population, for people-per-1,000 rates.
GROUP_AGES = {
    "older-people": (65, None),
    "learning-disability": (18, None),
    "mental-health": (18, 64),
    "physical-disability-sensory-impairment": (18, 64),
    "carers": (18, None),
}

# Scenario knobs per example authority: {client group: {service type: {knob: value}}}.
SCENARIOS: dict[str, dict[str, dict[str, dict[str, float]]]] = {
    "northshire": {
        "older-people": {
            "Domiciliary care": {"occupancy": 0.975, "premium": 7.5, "good": 0.82},
            "Extra care housing": {"occupancy": 0.965, "premium": -4},
            "Residential care": {"good": 0.76, "ooa": 0.05, "premium": -3},
            "Nursing care": {"occupancy": 0.94, "good": 0.71},
        },
        "learning-disability": {
            "Residential care": {"ooa": 0.24, "premium": 11, "good": 0.80},
            "Supported living": {"occupancy": 0.95, "premium": 2},
            "Day opportunities": {"occupancy": 0.76},
        },
        "mental-health": {
            "Supported accommodation": {"occupancy": 0.985, "premium": -2},
            "Residential care": {"ooa": 0.31, "premium": 8},
            "Crisis house": {"occupancy": 0.78},
        },
        "physical-disability-sensory-impairment": {
            "Residential care": {"ooa": 0.18, "premium": 6, "good": 0.70},
            "Domiciliary care": {"occupancy": 0.96, "premium": 6},
        },
        "carers": {
            "Replacement care": {"occupancy": 0.95, "premium": 5},
            "Carers' short breaks": {"occupancy": 0.79, "good": 0.88},
        },
    },
    "eastbridge": {
        "older-people": {
            "Nursing care": {"occupancy": 0.985, "good": 0.62, "ooa": 0.32, "premium": -6},
            "Residential care": {"good": 0.70, "ooa": 0.28, "premium": -4, "occupancy": 0.95},
            "Domiciliary care": {"dominant": 0.42, "premium": -8, "good": 0.80, "occupancy": 0.91},
            "Reablement": {"occupancy": 0.94},
        },
        "learning-disability": {
            "Residential care": {"ooa": 0.45, "premium": 7, "good": 0.74},
            "Supported living": {"premium": 9, "occupancy": 0.96},
            "Short breaks": {"occupancy": 0.97},
        },
        "mental-health": {
            "Residential care": {"ooa": 0.38, "premium": 12},
            "Crisis house": {"occupancy": 0.96},
            "Supported accommodation": {"occupancy": 0.94, "good": 0.78},
        },
        "physical-disability-sensory-impairment": {
            "Supported living": {"occupancy": 0.97, "premium": 4},
            "Domiciliary care": {"premium": -5, "dominant": 0.30},
            "Residential care": {"ooa": 0.40},
        },
        "carers": {
            "Carer support services": {"occupancy": 0.97},
            "Carers' short breaks": {"ooa": 0.20, "premium": 8},
        },
    },
    "glanmor": {
        "older-people": {
            "Domiciliary care": {"occupancy": 0.965, "premium": 4, "good": 0.88},
            "Residential care": {"good": 0.86, "ooa": 0.08, "premium": -2},
            "Nursing care": {"occupancy": 0.96, "good": 0.78, "dominant": 0.35},
        },
        "learning-disability": {
            "Residential care": {"ooa": 0.30, "premium": 9},
            "Day opportunities": {"occupancy": 0.73},
            "Shared lives": {"occupancy": 0.97, "premium": -6},
        },
        "mental-health": {
            "Residential care": {"ooa": 0.22, "premium": 5},
            "Supported accommodation": {"occupancy": 0.95},
        },
        "physical-disability-sensory-impairment": {
            "Domiciliary care": {"occupancy": 0.96, "premium": 3},
            "Residential care": {"ooa": 0.12, "good": 0.80},
        },
        "carers": {
            "Replacement care": {"occupancy": 0.96, "premium": 3},
            "Carers' short breaks": {"occupancy": 0.92},
        },
    },
}


# ---------------------------------------------------------------- budgets


@dataclass(frozen=True)
class BudgetLine:
    group: str
    line: str
    basis: tuple[str, ...] = ()  # service types whose cost this line carries
    share: float = 0.0  # or a share of gross service cost
    income_of: str = ""  # income lines: 'residential', 'community', 'gross'


def _budget_lines(client_group: str, nation: str) -> list[BudgetLine]:
    """Budget structure per client group; income lines follow each nation's funding regime."""
    wales = nation == "wales"
    res_income = "Client contributions (residential care)"
    com_income = ("Client contributions (non-residential, capped at the weekly maximum)" if wales
                  else "Client contributions (non-residential)")
    nhs_income = ("Health board contributions (joint funding and funded nursing care)" if wales
                  else "NHS contribution (Better Care Fund and joint funding)")
    grant_income = ("Welsh Government grants (Regional Integration Fund)" if wales
                    else "Grant income (Social Care Grant and Market Sustainability and Improvement Fund)")
    acm = "Assessment and care management"
    inc = "Income"
    if client_group == "older-people":
        return [
            BudgetLine("Residential and nursing care", "Residential care placements", ("Residential care",)),
            BudgetLine("Residential and nursing care", "Nursing care placements", ("Nursing care",)),
            BudgetLine("Residential and nursing care", "Short-term and respite beds", share=0.025),
            BudgetLine("Community support", "Domiciliary care", ("Domiciliary care",)),
            BudgetLine("Community support", "Extra care housing (care element)", ("Extra care housing",)),
            BudgetLine("Community support", "Reablement", ("Reablement",)),
            BudgetLine("Community support", "Day opportunities", ("Day opportunities",)),
            BudgetLine("Community support", "Direct payments", share=0.055),
            BudgetLine("Community support", "Equipment and assistive technology", share=0.018),
            BudgetLine(acm, "Social work and assessment teams", share=0.060),
            BudgetLine(acm, "Hospital discharge team", share=0.014),
            BudgetLine(acm, "Brokerage and commissioning", share=0.007),
            BudgetLine(inc, res_income, income_of="residential"),
            BudgetLine(inc, com_income, income_of="community"),
            BudgetLine(inc, nhs_income, income_of="gross"),
            BudgetLine(inc, grant_income, income_of="grant"),
        ]
    if client_group == "learning-disability":
        return [
            BudgetLine("Residential and nursing care", "Residential care placements", ("Residential care",)),
            BudgetLine("Residential and nursing care", "Short breaks (residential)", ("Short breaks",)),
            BudgetLine("Supported living", "Supported living", ("Supported living",)),
            BudgetLine("Supported living", "Shared lives", ("Shared lives",)),
            BudgetLine("Community support", "Day opportunities", ("Day opportunities",)),
            BudgetLine("Community support", "Supported employment", ("Supported employment",)),
            BudgetLine("Community support", "Direct payments", share=0.090),
            BudgetLine(acm, "Community learning disability team (social work)", share=0.045),
            BudgetLine(acm, "Transition team", share=0.012),
            BudgetLine(inc, res_income, income_of="residential"),
            BudgetLine(inc, com_income, income_of="community"),
            BudgetLine(inc, nhs_income, income_of="gross"),
        ]
    if client_group == "mental-health":
        return [
            BudgetLine("Residential and nursing care", "Residential care placements", ("Residential care",)),
            BudgetLine("Supported accommodation", "Supported accommodation", ("Supported accommodation",)),
            BudgetLine("Supported accommodation", "Crisis house", ("Crisis house",)),
            BudgetLine("Community support", "Community recovery support", ("Community recovery support",)),
            BudgetLine("Community support", "Employment support", ("Employment support",)),
            BudgetLine("Community support", "Direct payments", share=0.030),
            BudgetLine(acm, "Approved mental health professional service", share=0.060),
            BudgetLine(acm, "Social work in community mental health teams", share=0.080),
            BudgetLine(inc, res_income, income_of="residential"),
            BudgetLine(inc, "Section 117 aftercare contributions from the NHS" if not wales
                       else "Section 117 aftercare contributions from the health board", income_of="gross"),
        ]
    if client_group == "physical-disability-sensory-impairment":
        return [
            BudgetLine("Residential and nursing care", "Residential and nursing placements", ("Residential care",)),
            BudgetLine("Community support", "Domiciliary care", ("Domiciliary care",)),
            BudgetLine("Community support", "Supported living", ("Supported living",)),
            BudgetLine("Community support", "Day opportunities", ("Day opportunities",)),
            BudgetLine("Community support", "Direct payments", share=0.210),
            BudgetLine("Community support", "Equipment and adaptations", share=0.060),
            BudgetLine("Sensory services", "Sensory support and rehabilitation", ("Sensory support",)),
            BudgetLine(acm, "Occupational therapy and assessment", share=0.050),
            BudgetLine(inc, res_income, income_of="residential"),
            BudgetLine(inc, com_income, income_of="community"),
            BudgetLine(inc, nhs_income, income_of="gross"),
        ]
    if client_group == "carers":
        return [
            BudgetLine("Carer support", "Carers' centre and support services", ("Carer support services",)),
            BudgetLine("Carer support", "Carers' personal budgets and direct payments", share=0.14),
            BudgetLine("Breaks and replacement care", "Replacement care at home", ("Replacement care",)),
            BudgetLine("Breaks and replacement care", "Carers' short breaks", ("Carers' short breaks",)),
            BudgetLine(acm, "Carers' assessments and reviews", share=0.10),
            BudgetLine(inc, nhs_income if not wales else
                       "Health board contribution (carers' funding)", income_of="gross"),
            BudgetLine(inc, grant_income if wales else
                       "Grant income (carers' breaks funding)", income_of="grant"),
        ]
    raise KeyError(client_group)


INCOME_RATES = {
    # (residential contributions, community contributions, NHS/health share of gross, grants)
    "england": {"older-people": (0.30, 0.13, 0.075, 0.035), "learning-disability": (0.06, 0.04, 0.07, 0.0),
                "mental-health": (0.08, 0.0, 0.12, 0.0),
                "physical-disability-sensory-impairment": (0.10, 0.07, 0.06, 0.0),
                "carers": (0.0, 0.0, 0.35, 0.10)},
    "wales": {"older-people": (0.30, 0.06, 0.085, 0.040), "learning-disability": (0.05, 0.02, 0.09, 0.0),
              "mental-health": (0.07, 0.0, 0.14, 0.0),
              "physical-disability-sensory-impairment": (0.09, 0.03, 0.07, 0.0),
              "carers": (0.0, 0.0, 0.20, 0.25)},
}
ASSESSMENT_GROUP = "Assessment and care management"
INCOME_GROUP = "Income"


# ---------------------------------------------------------------- settings per authority


@dataclass
class AuthoritySettings:
    """What the generator needs to know about an authority beyond its params file."""

    profile: str
    population: int
    scenario: str | None = None  # which example's scenario knobs to use
    locality_weights: dict[str, float] = field(default_factory=dict)
    locality_tilt: dict[str, float] = field(default_factory=dict)  # +1 older ... -1 younger
    provider_prefix: str = "P"


EXAMPLE_SETTINGS: dict[str, AuthoritySettings] = {
    "northshire": AuthoritySettings(
        "county", 790_000, "northshire",
        {"CAS": 1.65, "KIN": 1.20, "ALD": 1.10, "FEN": 1.05, "WEN": 1.10, "SAL": 0.95, "BRK": 0.85},
        {"CAS": -0.8, "KIN": -0.2, "ALD": 0.2, "FEN": 0.4, "WEN": 0.3, "SAL": 1.0, "BRK": 0.8},
        "NS",
    ),
    "eastbridge": AuthoritySettings(
        "london", 322_000, "eastbridge",
        {"CEN": 1.15, "MAR": 1.05, "NOR": 0.95, "STA": 0.90, "RIV": 1.10, "HOL": 0.85},
        {"CEN": -0.8, "MAR": -0.4, "NOR": 0.3, "STA": 0.6, "RIV": -0.2, "HOL": 0.9},
        "EB",
    ),
    "glanmor": AuthoritySettings(
        "wales", 186_000, "glanmor",
        {"ABG": 1.30, "DYM": 1.05, "BCE": 0.90, "UCH": 0.75},
        {"ABG": 0.3, "DYM": -0.4, "BCE": 0.2, "UCH": 0.9},
        "GL",
    ),
}


def default_settings(authority_id: str, authority: dict, seed: int) -> AuthoritySettings:
    """Settings for an authority with no entry in EXAMPLE_SETTINGS: guessed from its params."""
    if authority_id in EXAMPLE_SETTINGS:
        return EXAMPLE_SETTINGS[authority_id]
    profile = profile_for(authority)
    rng = _rng(seed, "settings", authority_id)
    base = PROFILES[profile].default_population
    population = int(round(base * rng.uniform(0.7, 1.3), -3))
    codes = [loc["code"] for loc in authority.get("localities", [])]
    weights = {c: float(rng.uniform(0.7, 1.4)) for c in codes}
    tilt = {c: float(rng.uniform(-0.8, 0.8)) for c in codes}
    prefix = re.sub(r"[^A-Z]", "", authority_id.upper())[:3] or "P"
    return AuthoritySettings(profile, population, None, weights, tilt, prefix)


# ---------------------------------------------------------------- table generators


def _band_age(band: str) -> tuple[int, int | None]:
    if band.endswith("+"):
        return int(band[:-1]), None
    lo, hi = band.split("-")
    return int(lo), int(hi)


def _bands_in(age_range: tuple[int, int | None]) -> list[int]:
    lo, hi = age_range
    out = []
    for i, band in enumerate(AGE_BANDS):
        blo, bhi = _band_age(band)
        if blo >= lo and (hi is None or (bhi is not None and bhi <= hi)):
            out.append(i)
    return out


def make_population(authority_id: str, codes: list[str], settings: AuthoritySettings, seed: int) -> list[dict]:
    """Mid-year 2025 estimates and projections to 2045 by locality, age band and sex."""
    profile = PROFILES[settings.profile]
    rng = _rng(seed, "population", authority_id)
    weights = np.array([settings.locality_weights.get(c, 1.0) for c in codes], dtype=float)
    weights = weights / weights.sum()
    shares = np.array(profile.age_shares)
    older = np.array([0, 0, 0, 0, 0, 0.3, 1, 1, 1, 1, 1], dtype=float)
    younger = np.array([1, 1, 1, 0.5, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    rows = []
    for code, weight in zip(codes, weights):
        tilt = settings.locality_tilt.get(code, 0.0)
        local = shares * (1 + 0.22 * tilt * older - 0.10 * tilt * younger)
        local = local * (1 + rng.normal(0, 0.015, len(local)))
        local = local / local.sum()
        total = settings.population * weight
        growth = np.array(profile.growth) + rng.normal(0, 0.0015, len(local)) + 0.0015 * tilt * older
        for year in range(BASE_YEAR, LAST_YEAR + 1):
            t = year - BASE_YEAR
            for i, band in enumerate(AGE_BANDS):
                people = total * local[i] * (1 + growth[i]) ** t
                female = _FEMALE_SHARE[i] + (0.004 * tilt if i >= 8 else 0.0)
                for sex, share in (("female", female), ("male", 1 - female)):
                    rows.append({
                        "area_code": code, "year": year, "age_band": band, "sex": sex,
                        "population": _round_half_up(people * share),
                        "basis": "estimate" if year == BASE_YEAR else "projection",
                    })
    return rows


def _population_in(pop_rows: list[dict], year: int, age_range: tuple[int, int | None]) -> dict[str, float]:
    wanted = {AGE_BANDS[i] for i in _bands_in(age_range)}
    out: dict[str, float] = {}
    for r in pop_rows:
        if r["year"] == year and r["age_band"] in wanted:
            out[r["area_code"]] = out.get(r["area_code"], 0.0) + r["population"]
    return out


def _knobs(spec: ServiceSpec, scenario: dict[str, dict[str, float]], rng: np.random.Generator,
           jitter: bool) -> ServiceSpec:
    changes = dict(scenario.get(spec.name, {}))
    spec = replace(spec, **changes)
    if jitter:  # derived authorities: same character, different numbers
        spec = replace(
            spec,
            occupancy=float(np.clip(spec.occupancy + rng.normal(0, 0.015), 0.72, 0.99)),
            good=float(np.clip(spec.good + rng.normal(0, 0.04), 0.5, 1.0)),
            ooa=float(np.clip(spec.ooa * rng.uniform(0.8, 1.2), 0, 0.6)),
            premium=float(spec.premium + rng.normal(0, 1.5)),
        )
    return spec


def _specs(client_group: str, settings: AuthoritySettings, seed: int, authority_id: str) -> list[ServiceSpec]:
    scenario = SCENARIOS.get(settings.scenario or "", {}).get(client_group, {})
    jitter = settings.scenario is not None and authority_id != settings.scenario
    rng = _rng(seed, "knobs", authority_id, client_group)
    return [_knobs(s, scenario, rng, jitter) for s in SERVICES[client_group]]


def make_service_users(authority_id: str, client_group: str, specs: list[ServiceSpec], pop_rows: list[dict],
                       codes: list[str], seed: int) -> list[dict]:
    """People known to services at 31 March 2021-2025, by service type and locality."""
    rng = _rng(seed, "service_users", authority_id, client_group)
    base_pop = _population_in(pop_rows, BASE_YEAR, GROUP_AGES[client_group])
    rows = []
    for spec in specs:
        area_noise = {c: rng.uniform(0.85, 1.15) for c in codes}
        for code in codes:
            level = spec.per_1000 * base_pop.get(code, 0.0) / 1000 * area_noise[code]
            for year in SERVICE_YEARS:
                t = BASE_YEAR - year
                people = max(0, _round_half_up(level / (1 + spec.trend) ** t * rng.uniform(0.97, 1.03)))
                away = min(people, _round_half_up(people * spec.ooa * rng.uniform(0.9, 1.1)))
                rows.append({"year": year, "client_group": client_group, "service_type": spec.name,
                             "area_code": code, "people": people, "out_of_area": away})
    return rows


# Provider names: invented from generic place and tree words, so no real firm is named.
_NAME_WORDS = {
    "england": ["Oakleigh", "Meadowbank", "Beechwood", "Riverview", "Heatherfield", "Ashgrove", "Willowmead",
                "Elmstead", "Foxhollow", "Larkrise", "Hawthorn", "Cedarlea", "Brookside", "Orchard",
                "Rowan", "Kestrel", "Harebell", "Millbrook", "Linden", "Saxon", "Highcroft", "Primrose",
                "Juniper", "Bramley", "Holly", "Fernleigh", "Marram", "Sandpiper", "Chestnut", "Kingfisher",
                "Bluebell", "Maple", "Greenacre", "Thistle", "Amberley", "Wrenfield", "Falconer", "Copperbeech",
                "Swallow", "Elderflower", "Lavender", "Poplar", "Skylark", "Mulberry", "Fieldfare", "Sorrel",
                "Laurel", "Whitethorn", "Hazel", "Clover", "Sycamore", "Avocet", "Bracken", "Heron"],
    "wales": ["Bryn Celyn", "Hafod", "Cartref", "Glan-yr-Afon", "Ty Gwyn", "Llys", "Derwen", "Pen-y-Bryn",
              "Maes-y-Coed", "Min-y-Mor", "Bron Haul", "Ffynnon", "Gwenllian", "Awel", "Cwm Nant", "Tawelfan",
              "Bodlondeb", "Plas", "Rhosyn", "Afallon", "Meillion", "Eithin", "Helyg", "Onnen", "Celyn",
              "Tegfan", "Dolwen", "Gorwel", "Heulwen", "Nant-y-Felin", "Caerau", "Pen-y-Graig", "Ysgallen",
              "Glyn", "Llwyn", "Bedw", "Derwydd", "Teifi"],
}
_FAMILY_SUFFIX = {
    "care-home": {"private": ["Care Home", "Lodge", "House", "Court Care Centre"],
                  "voluntary": ["Care Trust", "Housing and Care"], "in-house": ["Resource Centre"],
                  "nhs": ["Care Centre"]},
    "home-care": {"private": ["Home Care", "Homecare Services", "Care at Home", "Community Care"],
                  "voluntary": ["Care Co-operative", "Community Care Trust"], "in-house": ["Reablement Service"],
                  "nhs": ["Community Rehabilitation Team"]},
    "housing": {"private": ["Living", "Support Services", "Supported Living"],
                "voluntary": ["Housing Association", "Housing and Support", "Homes Trust"],
                "in-house": ["Shared Lives Scheme"], "nhs": ["Recovery House"]},
    "community": {"private": ["Community Services", "Pathways"],
                  "voluntary": ["Community Trust", "Centre", "Network", "Carers' Centre"],
                  "in-house": ["Day Service", "Community Hub"], "nhs": ["Employment Service"]},
}
_FAMILY_SECTORS = {
    "care-home": {"private": 0.84, "voluntary": 0.12, "in-house": 0.04, "nhs": 0.0},
    "home-care": {"private": 0.80, "voluntary": 0.10, "in-house": 0.07, "nhs": 0.03},
    "housing": {"private": 0.35, "voluntary": 0.57, "in-house": 0.05, "nhs": 0.03},
    "community": {"private": 0.06, "voluntary": 0.62, "in-house": 0.26, "nhs": 0.06},
}
_POOL_SIZE = {"care-home": 45, "home-care": 30, "housing": 22, "community": 20}


@dataclass
class _Pool:
    entries: dict[str, list[dict]]


def _provider_pool(authority_id: str, authority: dict, settings: AuthoritySettings, seed: int) -> _Pool:
    """Named provider organisations, per family, each with a fixed sector and home locality."""
    profile = PROFILES[settings.profile]
    rng = _rng(seed, "pool", authority_id)
    words = list(_NAME_WORDS[profile.nation])
    rng.shuffle(words)
    short = _english(authority.get("short_name") or authority.get("name", authority_id))
    codes = [loc["code"] for loc in authority.get("localities", [])]
    names = {loc["code"]: loc["name"] for loc in authority.get("localities", [])}
    used: set[str] = set()
    entries: dict[str, list[dict]] = {}
    counter = 0
    word_i = 0
    for family, size in _POOL_SIZE.items():
        n = max(4, int(round(size * profile.market_scale * (settings.population / profile.default_population) ** 0.3)))
        n = min(n, size)
        pool = []
        sectors = list(_FAMILY_SECTORS[family])
        probs = np.array([_FAMILY_SECTORS[family][s] for s in sectors])
        drawn = list(rng.choice(sectors, size=n, p=probs / probs.sum()))
        # every family has at least one in-house and one voluntary provider to choose from
        for must in ("in-house", "voluntary"):
            if must not in drawn:
                drawn[-1 if must == "in-house" else -2] = must
        for sector in drawn:
            counter += 1
            code = codes[int(rng.integers(len(codes)))]
            suffix = rng.choice(_FAMILY_SUFFIX[family][sector])
            if sector == "in-house":
                name = f"{short} {names[code]} {suffix}"
            elif sector == "nhs":
                name = f"{short} NHS {suffix} ({names[code]})"
            else:
                name = f"{words[word_i % len(words)]} {suffix}"
                if word_i >= len(words):
                    name = f"{name} ({names[code]})"
                word_i += 1
            while name in used:
                name = f"{name} {names[code]}" if names[code] not in name else f"{name} II"
            used.add(name)
            pool.append({"provider_id": f"{settings.provider_prefix}-{counter:04d}", "provider_name": name,
                         "sector": sector, "area_code": code})
        entries[family] = pool
    return _Pool(entries)


def _ratings_vocab(nation: str) -> tuple[str, str, str, str, str]:
    if nation == "wales":
        return ("Excellent", "Good", "Requires improvement", "Requires significant improvement", "Not yet rated")
    return ("Outstanding", "Good", "Requires improvement", "Inadequate", "Not yet rated")


def make_providers(authority_id: str, client_group: str, specs: list[ServiceSpec], su_rows: list[dict],
                   pool: _Pool, settings: AuthoritySettings, seed: int) -> list[dict]:
    """The provider market for one client group: capacity, occupancy and ratings."""
    profile = PROFILES[settings.profile]
    rng = _rng(seed, "providers", authority_id, client_group)
    top, good_word, weak, poor, unrated = _ratings_vocab(profile.nation)
    rows = []
    for spec in specs:
        in_area = sum(r["people"] - r["out_of_area"] for r in su_rows
                      if r["service_type"] == spec.name and r["year"] == BASE_YEAR)
        occupied_total = max(4.0, in_area * spec.market_mult)
        capacity_total = occupied_total / spec.occupancy
        n = max(1, int(round(spec.providers * profile.market_scale)))
        n = min(n, max(1, int(capacity_total // 6)))
        family = pool.entries[spec.family]
        if spec.sectors:
            preferred = [p for p in family if p["sector"] in spec.sectors]
            others = [p for p in family if p["sector"] not in spec.sectors]
            order = list(rng.permutation(len(preferred))) + [len(preferred) + i for i in rng.permutation(len(others))]
            candidates = preferred + others
            chosen = [candidates[i] for i in order[:n]]
        else:
            idx = rng.permutation(len(family))[: min(n, len(family))]
            chosen = [family[i] for i in idx]
        n = len(chosen)
        weights = rng.lognormal(0, 0.45, n)
        if spec.dominant and n > 1:
            weights = weights / weights.sum() * (1 - spec.dominant)
            weights[0] = spec.dominant
        weights = weights / weights.sum()
        caps = [max(3, _round_half_up(capacity_total * w)) for w in weights]
        # occupancy per provider around the target, between 70% and 100%
        occs = np.clip(spec.occupancy + rng.normal(0, 0.035, n), 0.70, 1.0)
        # ratings: exact shares so small markets still show the intended picture
        n_unrated = 0 if n < 4 else int(rng.integers(0, 2))
        rated = n - n_unrated
        n_good = _round_half_up(spec.good * rated)
        n_top = _round_half_up(n_good * 0.06) if rated >= 8 else 0
        n_poor = _round_half_up((rated - n_good) * 0.2)
        labels = [top] * n_top + [good_word] * (n_good - n_top) + [poor] * n_poor
        labels += [weak] * (rated - len(labels)) + [unrated] * n_unrated
        labels = [labels[i] for i in rng.permutation(n)]
        for entry, cap, occ, rating in zip(chosen, caps, occs, labels):
            rows.append({
                **{k: entry[k] for k in ("provider_id", "provider_name")},
                "client_group": client_group, "service_type": spec.name, "sector": entry["sector"],
                "area_code": entry["area_code"], "capacity": cap,
                "occupied": min(cap, _round_half_up(cap * occ)),
                "quality_rating": rating if spec.regulated else unrated,
            })
    return rows


def make_unit_costs(authority_id: str, client_group: str, specs: list[ServiceSpec], settings: AuthoritySettings,
                    seed: int) -> list[dict]:
    """Unit costs with the comparator group's average, for the last two financial years."""
    profile = PROFILES[settings.profile]
    rng = _rng(seed, "unit_costs", authority_id, client_group)
    rows = []
    for spec in specs:
        comparator = spec.unit_cost * profile.cost_factor * rng.uniform(0.97, 1.03)
        for i, fy in enumerate(UNIT_COST_YEARS):
            back = (1.055) ** (len(UNIT_COST_YEARS) - 1 - i)
            comp = comparator / back
            cost = comp * (1 + (spec.premium + rng.normal(0, 0.4)) / 100)
            rows.append({"financial_year": fy, "client_group": client_group, "service_type": spec.name,
                         "unit": spec.unit, "unit_cost": round(cost, 2), "comparator_average": round(comp, 2)})
    return rows


def make_budget(authority_id: str, client_group: str, specs: list[ServiceSpec], su_rows: list[dict],
                uc_rows: list[dict], nation: str, seed: int) -> list[dict]:
    """Budget lines in pounds for 2025/26 and 2026/27 (income negative), rounded to £1,000."""
    rng = _rng(seed, "budget", authority_id, client_group)
    people = {s.name: sum(r["people"] for r in su_rows if r["service_type"] == s.name and r["year"] == BASE_YEAR)
              for s in specs}
    cost = {r["service_type"]: r["unit_cost"] for r in uc_rows if r["financial_year"] == UNIT_COST_YEARS[-1]}
    service_cost = {s.name: people[s.name] * cost[s.name] * s.weekly_units * 52 for s in specs}
    services_total = sum(service_cost.values())
    res_rate, com_rate, nhs_rate, grant_rate = INCOME_RATES[nation][client_group]
    rows = []
    growth = {"2025/26": 1.0}
    for fy in BUDGET_YEARS:
        factor = 1.0 if fy == BUDGET_YEARS[0] else None
        lines = _budget_lines(client_group, nation)
        amounts: dict[tuple[str, str], float] = {}
        gross = 0.0
        residential = 0.0
        community = 0.0
        for line in lines:
            if line.income_of:
                continue
            if line.basis:
                amount = sum(service_cost[b] for b in line.basis)
            else:
                amount = services_total * line.share
            amount *= rng.uniform(0.98, 1.02)
            if factor is None:
                amount *= rng.uniform(1.035, 1.075)
            amounts[(line.group, line.line)] = amount
            gross += amount
            if line.group == "Residential and nursing care":
                residential += amount
            elif line.group != ASSESSMENT_GROUP:
                community += amount
        for line in lines:
            if not line.income_of:
                continue
            base = {"residential": residential * res_rate, "community": community * com_rate,
                    "gross": gross * nhs_rate, "grant": gross * grant_rate}[line.income_of]
            amounts[(line.group, line.line)] = -base * rng.uniform(0.97, 1.03)
        for (group, name), amount in amounts.items():
            value = int(round(amount, -3))
            if value == 0:
                continue
            rows.append({"financial_year": fy, "client_group": client_group, "group": group, "line": name,
                         "amount": value})
        growth[fy] = 1.0
    return rows


# ---------------------------------------------------------------- indicators

_UNIT_DP = {"percent": 1, "count": 0, "rate per 100,000": 1, "rate per 10,000": 1, "days": 1, "score": 1,
            "pounds": 2, "weeks": 1}
STATUS_CYCLE = ("on track", "at risk", "off track")


def _indicator_series(ind: dict, status: str, rng: np.random.Generator,
                      tolerance_percent: float = 5.0) -> list[tuple[str, float | None, float]]:
    """Six years of values ending in the wanted RAG position against the target."""
    target = float(ind["target"])
    higher = ind.get("polarity", "higher") == "higher"
    unit = ind.get("unit", "percent")
    dp = _UNIT_DP.get(unit, 1)
    scale = abs(target) if target else 1.0
    sign = 1 if higher else -1
    if status == "on track":
        latest = target + sign * scale * rng.uniform(0.015, 0.045)
        comparator = target + sign * scale * rng.uniform(-0.06, 0.01)
        drift = sign * scale * rng.uniform(0.01, 0.025)  # improving into the latest year
    elif status == "at risk":
        latest = target - sign * scale * rng.uniform(0.012, 0.035)
        comparator = latest + sign * scale * rng.uniform(-0.04, 0.04)
        drift = sign * scale * rng.uniform(-0.01, 0.012)
    else:
        latest = target - sign * scale * rng.uniform(0.07, 0.11)
        comparator = latest + sign * scale * rng.uniform(0.04, 0.08)  # comparator better: no rescue
        drift = -sign * scale * rng.uniform(0.005, 0.02)  # worsening
    if unit == "percent":
        latest = float(np.clip(latest, 0.5, 99.5))
        comparator = float(np.clip(comparator, 0.5, 99.5))
    values = []
    n = len(INDICATOR_PERIODS)
    for i, period in enumerate(INDICATOR_PERIODS):
        steps = n - 1 - i
        value = latest - drift * steps + (rng.normal(0, scale * 0.008) if steps else 0.0)
        comp = comparator - drift * 0.4 * steps + (rng.normal(0, scale * 0.005) if steps else 0.0)
        if unit == "percent":
            value, comp = float(np.clip(value, 0.0, 100.0)), float(np.clip(comp, 0.0, 100.0))
        value, comp = max(value, 0.0), max(comp, 0.0)
        survey = "survey" in str(ind.get("source", "")).lower()
        shown: float | None = round(value, dp)
        if survey and period == SURVEY_GAP_PERIOD:
            shown = None
        values.append((period, shown, round(comp, dp)))
    # Rounding can move a small count across the target: nudge the latest value (and its
    # comparator) by whole display units until the published figures give the wanted status.
    period, last, comp = values[-1]
    step = 10.0 ** -dp
    for _ in range(1000):
        got = rag_position(last, target, comp, higher, tolerance_percent)
        if got == status:
            break
        if status == "on track":
            last += sign * step
        elif status == "at risk":
            if got == "on track":
                last -= sign * step
            else:  # beyond tolerance: a comparator worse than the latest value rescues it
                comp = last - sign * step * max(1.0, round(scale * 0.03 / step))
        else:
            last -= sign * step
            comp = max(comp, last + step) if higher else min(comp, last - step)
        last, comp = round(max(last, 0.0), dp), round(max(comp, 0.0), dp)
    values[-1] = (period, last, comp)
    return values


def rag_position(latest: float, target: float, comparator: float | None, higher: bool,
                 tolerance_percent: float = 5.0, comparator_rescues: bool = True) -> str:
    """The RAG rule of docs/design.md, used to check the generated series: on track if the
    target is met; at risk if missed by no more than the tolerance (a percentage of the
    target) or, when comparators rescue, if better than the comparator; otherwise off track."""
    better = (lambda a, b: a > b) if higher else (lambda a, b: a < b)
    if latest == target or better(latest, target):
        return "on track"
    if abs(latest - target) <= abs(target) * tolerance_percent / 100 + 1e-9:
        return "at risk"
    if comparator_rescues and comparator is not None and better(latest, comparator):
        return "at risk"
    return "off track"


def make_indicators(authority_id: str, client_group: str, indicators: list[dict], seed: int,
                    tolerance_percent: float = 5.0) -> list[dict]:
    """Indicator series for one strategy. The RAG position cycles with the indicator's place in
    the strategy's list (first on track, second at risk, third off track, and again), so every
    document with three or more indicators shows a mix."""
    rows = []
    for i, ind in enumerate(indicators):
        status = STATUS_CYCLE[i % 3]
        rng = _rng(seed, "indicator", authority_id, client_group, ind["id"])
        for period, value, comp in _indicator_series(ind, status, rng, tolerance_percent):
            rows.append({"client_group": client_group, "indicator_id": ind["id"], "period": period,
                         "value": value, "comparator_average": comp})
    return rows


# ---------------------------------------------------------------- writing


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            text = f"{value:.1f}"
        else:
            text = repr(round(value, 4))
        return text
    return str(value)


def write_table(path: Path, table: str, rows: list[dict]) -> None:
    """Write one CSV with the exact columns of docs/design.md, LF line endings, UTF-8."""
    columns = TABLE_COLUMNS[table]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_fmt(row[c]) for c in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _english(text):
    """A params text as written, or its English where it is given in two languages ({en:, cy:})."""
    return text.get("en", "") if isinstance(text, dict) else text


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ten times faster


def _read_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER) or {}  # noqa: S506 - a safe loader


_TOP_LEVEL_BLOCK = r"^{key}:[^\n]*\n(?:[ \t#][^\n]*\n?|\n)*"


def _strategy_indicators(path: Path) -> list[dict]:
    """The ``indicators`` list of a strategy file; only that block is parsed (files are long)."""
    text = path.read_text(encoding="utf-8")
    match = re.search(_TOP_LEVEL_BLOCK.format(key="indicators"), text, re.MULTILINE)
    if match is None:
        return (yaml.load(text, Loader=_LOADER) or {}).get("indicators") or []  # noqa: S506
    return (yaml.load(match.group(0), Loader=_LOADER) or {}).get("indicators") or []  # noqa: S506


def generate_authority_data(workspace: Path, authority_id: str, seed: int = DEFAULT_SEED,
                            settings: AuthoritySettings | None = None) -> dict[str, list[dict]]:
    """Every table for one authority, as lists of rows (not written)."""
    workspace = Path(workspace)
    authority = _read_yaml(workspace / "params" / "authorities" / f"{authority_id}.yaml")
    settings = settings or default_settings(authority_id, authority, seed)
    nation = authority.get("nation", PROFILES[settings.profile].nation)
    codes = [loc["code"] for loc in authority["localities"]]
    groups = sorted(p.stem for p in (workspace / "params" / "client-groups").glob("*.yaml"))
    tables: dict[str, list[dict]] = {t: [] for t in TABLE_COLUMNS}
    tables["population"] = make_population(authority_id, codes, settings, seed)
    pool = _provider_pool(authority_id, authority, settings, seed)
    for group in groups:
        if group not in SERVICES:
            continue
        specs = _specs(group, settings, seed, authority_id)
        su = make_service_users(authority_id, group, specs, tables["population"], codes, seed)
        # a service nobody is placed through (support at home, a carers' centre) records no
        # out-of-area placements: blank, not zero
        unplaced = {s.name for s in specs if s.ooa == 0}
        tables["service_users"] += [dict(r, out_of_area=None) if r["service_type"] in unplaced else r for r in su]
        tables["providers"] += make_providers(authority_id, group, specs, su, pool, settings, seed)
        uc = make_unit_costs(authority_id, group, specs, settings, seed)
        tables["unit_costs"] += uc
        tables["budget"] += make_budget(authority_id, group, specs, su, uc, nation, seed)
        strategy_path = workspace / "params" / "strategies" / authority_id / f"{group}.yaml"
        if strategy_path.is_file():
            indicators = _strategy_indicators(strategy_path)
            tolerance = float((authority.get("rag_rules") or {}).get("amber_tolerance_percent", 5.0))
            tables["indicators"] += make_indicators(authority_id, group, indicators, seed, tolerance)
    return tables


def budget_group_totals(rows: list[dict], client_group: str, financial_year: str) -> dict[str, float]:
    """Net total per budget group, in the order the groups appear (for strategy budget_totals)."""
    totals: dict[str, float] = {}
    for r in rows:
        if r["client_group"] == client_group and r["financial_year"] == financial_year:
            totals[r["group"]] = totals.get(r["group"], 0) + r["amount"]
    return totals


DATA_README = """# Synthetic data: not real

Every table in this folder is **synthetic**. The numbers were made up by a computer program
to show how the strategy documents work. They describe no real council, health board, care
provider or person, and must not be quoted as facts about anywhere.

The authorities, localities and providers are fictional. Any likeness to a real name is a
coincidence.

## How the data was made

`{command}` runs `strategy_docs.synthetic` with seed {seed}. The same seed and parameters
always give the same files, byte for byte.

- **population**: a mid-year {base} estimate and projections for every year to {last}, by locality,
  age band and sex. Each authority has an age structure like its kind of place (an English
  county, a London borough, a Welsh county) and older age bands grow fastest, as in ONS and
  Welsh Government projections. Localities differ in how old their population is.
- **service_users**: people known to services at 31 March {first_su}-{last_su}, per client group,
  service type and locality, from typical rates per 1,000 of the client group's population,
  with a trend over the five years. `out_of_area` is the share placed outside the authority
  (blank for services nobody is placed through, such as home care or a carers' centre).
- **providers**: invented provider organisations with capacities sized to local demand,
  occupancy between 70% and 100% and ratings in the regulator's vocabulary (CQC in England,
  CIW in Wales). Services that the regulator does not inspect (day services, carers' centres,
  employment and sensory support) are shown as "Not yet rated".
- **budget**: budget lines in pounds for {budget_years}, built from people known to services
  and unit costs; client contributions, NHS or health board contributions and grants are
  income and are negative.
- **unit_costs**: the council's unit costs and its comparator group's average for
  {uc_years}.
- **indicators**: six years ({first_period} to {last_period}) for each indicator named in each
  strategy, ending on track, at risk or off track against the strategy's target in turn, so
  every document shows a mix. Survey-based indicators have no value for {gap} (the surveys
  were paused during the pandemic).

The example strategies were written with this data in view: each has hypotheses that the data
supports and others that it refutes. Budget totals quoted in the strategies match these tables.

## Regenerating

```
python scripts/generate_example_data.py            # rewrite this folder
python scripts/generate_example_data.py --workspace /tmp/bench --authorities 20
```
"""


def data_readme(seed: int, command: str = "python scripts/generate_example_data.py") -> str:
    return DATA_README.format(
        command=command, seed=seed, base=BASE_YEAR, last=LAST_YEAR, first_su=SERVICE_YEARS[0],
        last_su=SERVICE_YEARS[-1], budget_years=" and ".join(BUDGET_YEARS), uc_years=" and ".join(UNIT_COST_YEARS),
        first_period=INDICATOR_PERIODS[0], last_period=INDICATOR_PERIODS[-1], gap=SURVEY_GAP_PERIOD,
    )


def _authorities_with_data(workspace: Path) -> list[str]:
    """The authorities with localities to place rows in. One without (the example's partial plan,
    Holmdale) has no data at all: its plan gives no figures, and none are made up for it."""
    return sorted(p.stem for p in (Path(workspace) / "params" / "authorities").glob("*.yaml")
                  if _read_yaml(p).get("localities"))


def generate_workspace_data(workspace: Path | str, seed: int = DEFAULT_SEED,
                            settings: dict[str, AuthoritySettings] | None = None,
                            authorities: Iterable[str] | None = None) -> dict[str, dict[str, list[dict]]]:
    """Write data/<authority>/*.csv for every authority (or those given) and data/README.md."""
    workspace = Path(workspace)
    settings = settings or {}
    ids = _authorities_with_data(workspace)
    if authorities is not None:
        ids = [a for a in ids if a in set(authorities)]
    out = {}
    for authority_id in ids:
        tables = generate_authority_data(workspace, authority_id, seed, settings.get(authority_id))
        folder = workspace / "data" / authority_id
        for table, rows in tables.items():
            write_table(folder / f"{table}.csv", table, rows)
        out[authority_id] = tables
    (workspace / "data").mkdir(parents=True, exist_ok=True)
    (workspace / "data" / "README.md").write_text(data_readme(seed), encoding="utf-8")
    return out


# ---------------------------------------------------------------- scaled workspaces


def example_workspace() -> Path:
    """The bundled example workspace (the repository root in a source checkout)."""
    from strategy_docs.inputs.bundled import example_dir

    candidate = example_dir()
    if (candidate / "params" / "project.yaml").is_file():
        return candidate
    raise FileNotFoundError("The example workspace (params/project.yaml) was not found in the package.")


_PLACE_START = ["Ash", "Brad", "Carr", "Dun", "Elm", "Fair", "Glen", "Hart", "Ivy", "King", "Lang", "Marl",
                "Nor", "Oak", "Pen", "Quar", "Red", "Stan", "Thorn", "Up", "Wick", "Yar", "Bram", "Chel",
                "Alder", "Birch", "Cold", "Deep", "East", "Fern", "Gold", "Hazel", "Iron", "Kest", "Lark", "Mill",
                "New", "Over", "Pike", "Rush", "Salt", "Tarn", "Under", "West", "Wold", "Yew"]
_PLACE_END = ["ford", "wick", "ley", "ton", "bury", "mere", "dale", "field", "worth", "stead", "combe", "holm",
              "by", "thorpe", "haven", "minster", "brook", "hurst", "moor", "well", "gate", "wood", "cliffe", "bourne"]
_WELSH_START = ["Aber", "Llan", "Pen", "Cwm", "Bryn", "Glyn", "Tre", "Caer", "Nant", "Pont", "Rhyd", "Maes",
                "Bod", "Dol", "Hafod", "Coed", "Llwyn", "Porth", "Ystrad", "Cefn", "Gwaun", "Mynydd", "Pant", "Tal"]
_WELSH_END = ["teifi", "dewi", "gwyn", "celyn", "meurig", "afon", "derwen", "eithin", "hafren", "mawr", "fach",
              "onnen", "wen", "ddu", "goch", "y-bont", "y-coed", "garth", "fryn", "eglwys"]


def _place(rng: np.random.Generator, welsh: bool, used: set[str]) -> str:
    for _ in range(200):
        if welsh:
            name = rng.choice(_WELSH_START) + rng.choice(_WELSH_END)
        else:
            name = rng.choice(_PLACE_START) + rng.choice(_PLACE_END)
        if name not in used:
            used.add(name)
            return name
    name = f"{name} {len(used)}"
    used.add(name)
    return name


def _replace_all(text: str, mapping: list[tuple[str, str]]) -> str:
    for old, new in mapping:
        if old:
            text = text.replace(old, new)
    return text


def make_workspace(dest: Path | str, n_authorities: int, client_groups: list[str] | None = None,
                   seed: int = DEFAULT_SEED, source: Path | str | None = None) -> Path:
    """Write a complete synthetic workspace with ``n_authorities`` authorities to ``dest``.

    The project, client groups, notebooks and templates are copied from the example; each new
    authority is derived from one of the example authorities in turn (name, localities,
    population and market varied), its strategies from that authority's strategies with the
    names replaced and budget totals recomputed, and all data regenerated.
    """
    if n_authorities < 1:
        raise ValueError("n_authorities must be at least 1")
    source = Path(source) if source is not None else example_workspace()
    dest = Path(dest)
    if (dest / "params").exists() or (dest / "data").exists():
        raise FileExistsError(f"{dest} already has params/ or data/; choose an empty folder.")
    dest.mkdir(parents=True, exist_ok=True)
    templates = _authorities_with_data(source)
    all_groups = sorted(p.stem for p in (source / "params" / "client-groups").glob("*.yaml"))
    groups = list(client_groups) if client_groups else all_groups
    unknown = sorted(set(groups) - set(all_groups))
    if unknown:
        raise ValueError(f"Unknown client group(s): {', '.join(unknown)}; known: {', '.join(all_groups)}.")

    for folder in ("notebooks", "templates"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, dest / folder)
    (dest / "params" / "client-groups").mkdir(parents=True)
    for group in groups:
        shutil.copy2(source / "params" / "client-groups" / f"{group}.yaml", dest / "params" / "client-groups")
    project = _read_yaml(source / "params" / "project.yaml")
    project["name"] = f"Synthetic benchmark workspace ({n_authorities} authorities)"
    project["synthetic_data"] = True
    project["matrix"] = {"authorities": "all", "client_groups": "all", "exclude": []}
    _dump_yaml(dest / "params" / "project.yaml", project)

    rng = _rng(seed, "make_workspace", n_authorities)
    used_names: set[str] = set()
    used_ids: set[str] = set()
    settings: dict[str, AuthoritySettings] = {}
    strategy_texts: dict[tuple[str, str], str] = {}
    for i in range(n_authorities):
        template = templates[i % len(templates)]
        auth_text = (source / "params" / "authorities" / f"{template}.yaml").read_text(encoding="utf-8")
        auth = yaml.safe_load(auth_text)
        base_settings = default_settings(template, auth, seed)
        welsh = auth.get("nation") == "wales"
        place = _place(rng, welsh, used_names)
        new_id = slugify(place)
        while new_id in used_ids:
            new_id = f"{new_id}-{i}"
        used_ids.add(new_id)
        old_short = _english(auth.get("short_name", ""))
        old_place = old_short.split()[0] if old_short else template.title()
        mapping: list[tuple[str, str]] = []
        new_codes = []
        for j, loc in enumerate(auth["localities"]):
            new_loc = _place(rng, welsh, used_names)
            mapping.append((loc["name"], new_loc))
            new_codes.append((loc["code"], loc["code"]))
        mapping.append((old_place, place))
        mapping.append((old_place.upper(), place.upper()))
        new_text = _replace_all(auth_text, mapping)
        # Derived authorities publish in English only: a scaled benchmark times the same documents.
        new_text = re.sub(r"^languages:.*\n", "", new_text, flags=re.MULTILINE)
        logo = (auth.get("branding") or {}).get("logo")
        if logo:  # a plain logo with the new name, so no document shows another council's mark
            colour = (auth.get("branding") or {}).get("colour", "#1d4f91")
            name = _replace_all(_english(auth.get("name", place)), mapping)
            (dest / "params" / "logos").mkdir(parents=True, exist_ok=True)
            (dest / "params" / "logos" / f"{new_id}.svg").write_text(_plain_logo(name, colour), encoding="utf-8")
            new_text = new_text.replace(logo, f"params/logos/{new_id}.svg")
        (dest / "params" / "authorities").mkdir(parents=True, exist_ok=True)
        (dest / "params" / "authorities" / f"{new_id}.yaml").write_text(new_text, encoding="utf-8")
        scale = float(rng.uniform(0.6, 1.5))
        settings[new_id] = replace(
            base_settings,
            population=int(round(base_settings.population * scale, -3)),
            scenario=base_settings.scenario or template,
            provider_prefix=f"{re.sub(r'[^A-Z]', '', place.upper())[:3]}{i:03d}",
        )
        for group in groups:
            path = source / "params" / "strategies" / template / f"{group}.yaml"
            if path.is_file():
                strategy_texts[(new_id, group)] = _replace_all(path.read_text(encoding="utf-8"), mapping)

    for (authority_id, group), text in strategy_texts.items():
        out = dest / "params" / "strategies" / authority_id / f"{group}.yaml"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")

    tables = generate_workspace_data(dest, seed, settings)

    # Budget totals quoted in each strategy must match the regenerated budget lines.
    sync_budget_totals(dest, tables)
    return dest


# Possessive: a block that is not the file's last key must fail fast, not backtrack for minutes.
_BUDGET_BLOCK = re.compile(r"^budget_totals:\n(?:[ \t][^\n]*\n|\n)*+(?:[ \t][^\n]*)?\Z", re.MULTILINE)


def budget_totals_yaml(financial_year: str, totals: dict[str, float]) -> str:
    """The ``budget_totals`` block for a strategy file, net total per group in pounds."""
    lines = ["budget_totals:", f"  financial_year: {financial_year}", "  groups:"]
    for group, amount in totals.items():
        lines.append(f"    {json_quote(group)}: {int(round(amount))}")
    lines.append(f"  net_total: {int(round(sum(totals.values())))}")
    return "\n".join(lines) + "\n"


def json_quote(text: str) -> str:
    """A YAML-safe double-quoted key."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sync_budget_totals(workspace: Path | str, tables: dict[str, dict[str, list[dict]]]) -> list[Path]:
    """Rewrite the ``budget_totals`` block at the end of each strategy file to match the data.

    Only a block that is the last top-level key of the file is rewritten (the rest of the
    file, comments included, is left alone); returns the files changed.
    """
    workspace = Path(workspace)
    changed = []
    for authority_id, authority_tables in tables.items():
        folder = workspace / "params" / "strategies" / authority_id
        for path in sorted(folder.glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            match = _BUDGET_BLOCK.search(text)
            if not match:
                continue
            current = yaml.safe_load(match.group(0))["budget_totals"] or {}
            fy = str(current.get("financial_year") or BUDGET_YEARS[-1])
            totals = budget_group_totals(authority_tables["budget"], path.stem, fy)
            if not totals:
                continue
            new_text = text[: match.start()] + budget_totals_yaml(fy, totals)
            if new_text != text:
                path.write_text(new_text, encoding="utf-8")
                changed.append(path)
    return changed


def _plain_logo(name: str, colour: str) -> str:
    """A simple text logo for a derived fictional authority."""
    from xml.sax.saxutils import escape

    initial = escape(name.replace("London Borough of ", "")[:1])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 64" width="320" height="64" role="img" '
        'aria-labelledby="title">\n'
        f'  <title id="title">{escape(name)} (fictional)</title>\n'
        f'  <rect x="2" y="2" width="60" height="60" rx="8" fill="{colour}"/>\n'
        f'  <text x="32" y="44" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" font-size="34" '
        f'font-weight="700" fill="#ffffff">{initial}</text>\n'
        f'  <text x="72" y="40" font-family="Arial, Helvetica, sans-serif" font-size="16" font-weight="700" '
        f'fill="{colour}">{escape(name)}</text>\n'
        "</svg>\n"
    )


def _dump_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
