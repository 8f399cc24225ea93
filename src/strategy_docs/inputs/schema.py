"""Every table's columns, declared once: the data tables (``data/<authority>/<table>.csv``) and
the register sheets of the Excel round trip (``annual/registers.py``).

A :class:`Column` says what a column is called, what type its values have, what they mean
(a count of people, money, a rate...), whether it must be there, the checks its values get and,
on a register sheet, its heading and layout. Data loading (``inputs/data.py``), the checks,
the registers' export and import and ``docs/params.md`` (``scripts/make_params_doc.py``) all
read these declarations; the strategy's own fields are the pydantic models in ``params.py``,
which a register column names by its ``name`` (a dotted field path).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGE_BANDS", "FINANCIAL_YEAR", "KINDS", "MEANINGS", "RATINGS", "REGISTERS", "REGISTER_BY_SHEET", "SECTORS",
    "TABLES", "UNITS", "Column", "Register", "Table",
]

AGE_BANDS = ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-69", "70-74", "75-79", "80-84", "85+"]
SECTORS = ["in-house", "private", "voluntary", "nhs"]
RATINGS = {
    "england": ["Outstanding", "Good", "Requires improvement", "Inadequate", "Not yet rated"],
    "wales": ["Excellent", "Good", "Requires improvement", "Requires significant improvement", "Not yet rated"],
}
UNITS = ["per week", "per hour", "per day", "per night"]
FINANCIAL_YEAR = r"^\d{4}/\d{2}$"

# How a value is written: numbers, text, or (register sheets) Markdown text, a date, yes/no, a run of
# numbered columns, '; '-separated identifiers, or name=value test arguments.
KINDS = ("int", "float", "text", "bool", "markdown", "date", "numbered", "ids", "args")
# What a value means, in the words the docs use.
MEANINGS = {
    "id": "an identifier or code",
    "text": "text",
    "category": "one of a fixed list",
    "year": "a year",
    "period": "a financial year like 2024/25",
    "date": "a date",
    "count": "a number of people, places or services",
    "money": "pounds",
    "rate": "a number in the indicator's own unit (a rate, a percentage, days...)",
    "score": "a score from 1 to 5",
    "flag": "yes or no",
}


@dataclass(frozen=True)
class Column:
    """One column of a table: a data table's column, or a register sheet's (``label`` is its heading)."""

    name: str  # the exact column name of a data table; for a register, the field path ("residual.likelihood")
    kind: str  # KINDS
    meaning: str  # MEANINGS
    required: bool = True  # a data table without it is refused; a register item without the field is invalid
    non_negative: bool = False
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    blank_ok: bool = False  # a cell may be empty
    label: str = ""  # register sheets: the column heading
    width: int = 24  # register sheets: the column width in characters
    choices: str | None = None  # register sheets: a named drop-down list on the Lists sheet
    strict: bool = True  # register sheets: a value off the drop-down stops the entry (False: warn, allow)
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.meaning not in MEANINGS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r} or meaning {self.meaning!r}")

    @property
    def path(self) -> tuple[str, ...]:
        """A register column's field path in a strategy item."""
        return tuple(self.name.split("."))

    @property
    def heading(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Table:
    """A data table: its columns, the columns whose values may not repeat together, what it holds."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # a row is a duplicate if these repeat
    description: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


TABLES: dict[str, Table] = {
    "population": Table(
        "population",
        (
            Column("area_code", "text", "id"),
            Column("year", "int", "year", non_negative=True),
            Column("age_band", "text", "category", allowed=tuple(AGE_BANDS)),
            Column("sex", "text", "category", allowed=("female", "male")),
            Column("population", "int", "count", non_negative=True),
            Column("basis", "text", "category", allowed=("estimate", "projection")),
        ),
        key=("area_code", "year", "age_band", "sex"),
        description="Population by area, year, age band and sex: mid-year estimates and projections.",
    ),
    "service_users": Table(
        "service_users",
        (
            Column("year", "int", "year", non_negative=True),
            Column("client_group", "text", "id"),
            Column("service_type", "text", "id"),
            Column("area_code", "text", "id"),
            Column("people", "int", "count", non_negative=True),
            Column("out_of_area", "int", "count", non_negative=True, blank_ok=True),  # blank: not recorded
        ),
        key=("year", "client_group", "service_type", "area_code"),
        description="People known to services at 31 March, by service type; out_of_area of them placed outside the "
                    "authority (blank where placements are not recorded).",
    ),
    "providers": Table(
        "providers",
        (
            Column("provider_id", "text", "id"),
            Column("provider_name", "text", "text"),
            Column("client_group", "text", "id"),
            Column("service_type", "text", "id"),
            Column("sector", "text", "category", allowed=tuple(SECTORS)),
            Column("area_code", "text", "id"),
            Column("capacity", "int", "count", non_negative=True),
            Column("occupied", "int", "count", non_negative=True),
            Column("quality_rating", "text", "category", blank_ok=True,  # blank: a service the regulator does not rate
                   help="the regulator's ratings for the authority's nation (CQC in England, CIW in Wales)"),
        ),
        key=("provider_id", "client_group", "service_type"),
        description="The provider market: capacity, occupancy and regulator rating per service.",
    ),
    "budget": Table(
        "budget",
        (
            Column("financial_year", "text", "period", pattern=FINANCIAL_YEAR),
            Column("client_group", "text", "id"),
            Column("group", "text", "text"),
            Column("line", "text", "text"),
            Column("amount", "float", "money"),
        ),
        key=("financial_year", "client_group", "group", "line"),
        description="Budget by service line in pounds; income lines are negative.",
    ),
    "unit_costs": Table(
        "unit_costs",
        (
            Column("financial_year", "text", "period", pattern=FINANCIAL_YEAR),
            Column("client_group", "text", "id"),
            Column("service_type", "text", "id"),
            Column("unit", "text", "category", allowed=tuple(UNITS)),
            Column("unit_cost", "float", "money", non_negative=True),
            Column("comparator_average", "float", "money", non_negative=True, blank_ok=True),
        ),
        key=("financial_year", "client_group", "service_type", "unit"),
        description="Unit costs with the comparator group's average.",
    ),
    "indicators": Table(
        "indicators",
        (
            Column("client_group", "text", "id"),
            Column("indicator_id", "text", "id"),
            Column("period", "text", "period", pattern=FINANCIAL_YEAR),
            Column("value", "float", "rate", blank_ok=True),
            Column("comparator_average", "float", "rate", blank_ok=True),
        ),
        key=("client_group", "indicator_id", "period"),
        description="Indicator values by period with the comparator average.",
    ),
}


# ---------------------------------------------------------------------------------------------
# register sheets (annual/registers.py): one row per item of a strategy register


@dataclass(frozen=True)
class Register:
    key: str  # the strategy key
    sheet: str
    model_name: str  # the pydantic model of one item (params.py)
    columns: tuple[Column, ...]
    computed: tuple[str, ...] = ()  # read-only formula columns (ignored on import)


LEVEL_HELP = "A whole number from 1 (lowest) to 5 (highest)."


def _sheet(label: str, name: str, kind: str = "text", meaning: str = "text", width: int = 24, choices: str | None = None,
           required: bool = False, **more) -> Column:
    return Column(name, kind, meaning, required=required, label=label, width=width, choices=choices, **more)


REGISTERS: tuple[Register, ...] = (
    Register("risks", "Risks", "Risk", (
        _sheet("ID", "id", meaning="id", width=10, required=True),
        _sheet("Title", "title", width=30),
        _sheet("Cause", "cause", "markdown", width=40),
        _sheet("Event", "event", "markdown", width=40),
        _sheet("Effect", "effect", "markdown", width=40),
        _sheet("Inherent likelihood", "inherent.likelihood", "int", "score", 12, "levels", help=LEVEL_HELP),
        _sheet("Inherent impact", "inherent.impact", "int", "score", 12, "levels", help=LEVEL_HELP),
        _sheet("Residual likelihood", "residual.likelihood", "int", "score", 12, "levels", help=LEVEL_HELP),
        _sheet("Residual impact", "residual.impact", "int", "score", 12, "levels", help=LEVEL_HELP),
        _sheet("Owner", "owner", width=28),
        _sheet("Mitigation", "mitigations", "numbered", width=40),
        _sheet("Review date", "review_date", "date", "date", 14),
        _sheet("Flagged for review", "review_flag", "bool", "flag", 12, "yes_no"),
    ), computed=("Inherent score", "Inherent band", "Residual score", "Residual band")),
    Register("intentions", "Intentions", "Intention", (
        _sheet("ID", "id", meaning="id", width=10, required=True),
        _sheet("Theme", "theme", meaning="category", width=10, choices="themes", required=True),
        _sheet("Title", "title", width=30, required=True),
        _sheet("Details", "details", "markdown", width=50),
        _sheet("Driver", "drivers", "numbered", width=28),
        _sheet("Type", "type", meaning="category", width=13, choices="intention_types"),
        _sheet("Current stage", "cycle.current", meaning="category", width=18, choices="stages", strict=False,
               help="A stage of the commissioning cycle, or several joined with 'to' (e.g. 'Analyse to Plan')."),
        _sheet("Expected stage", "cycle.expected", meaning="category", width=18, choices="stages", strict=False,
               help="Where the intention is expected to be by the next edition."),
        _sheet("Same stage as", "cycle.same_as", meaning="id", width=12,
               help="Where the plan says 'see intention 1.2': that intention's ID (leave the stages empty)."),
        _sheet("Activity", "activity", "markdown", width=45),
        _sheet("Owner", "owner", width=28),
        _sheet("Timescale", "timescale", width=16),
        _sheet("Outcomes", "outcomes", "ids", "id", 16, help="Outcome codes separated by '; '."),
    )),
    Register("indicators", "Indicators", "Indicator", (
        _sheet("ID", "id", meaning="id", width=16, required=True),
        _sheet("Name", "name", width=40, required=True),
        _sheet("Source", "source", width=30),
        _sheet("Code", "code", meaning="id", width=14),
        _sheet("Codes", "codes", "ids", "id", 18, help="Several codes separated by '; '."),
        _sheet("Framework", "framework", width=18),
        _sheet("Theme", "theme", width=18),
        _sheet("Area", "area", width=18),
        _sheet("Polarity", "polarity", meaning="category", width=10, choices="polarities",
               help="Which is better: higher or lower."),
        _sheet("Unit", "unit", meaning="category", width=16, choices="units"),
        _sheet("Target", "target", "float", "rate", 10),
        _sheet("Frequency", "frequency", width=14),
        _sheet("Action", "action", "markdown", width=45),
        _sheet("Baseline", "baseline", "float", "rate", 10),
    )),
    Register("hypotheses", "Hypotheses", "Hypothesis", (
        _sheet("ID", "id", meaning="id", width=8, required=True),
        _sheet("Statement", "statement", "markdown", width=50, required=True),
        _sheet("Service area", "service_area", width=18),
        _sheet("Evidence needed", "evidence_needed", "markdown", width=40),
        _sheet("Test metric", "test.metric", meaning="category", width=26, choices="metrics"),
        _sheet("Test arguments", "test.args", "args", width=34,
               help="name=value pairs separated by '; ', e.g. 'measure=dementia; to_year=2036'."),
        _sheet("Test comparison", "test.comparison", meaning="category", width=10, choices="comparisons"),
        _sheet("Test threshold", "test.threshold", "float", "rate", 10),
        _sheet("Test margin", "test.margin", "float", "rate", 10),
        _sheet("Recorded verdict", "verdict", meaning="category", width=14, choices="verdicts",
               help="Only for a hypothesis without a test: accepted, refuted or inconclusive."),
        _sheet("Reason", "reason", "markdown", width=40),
        _sheet("Implication", "implication", "markdown", width=40),
    )),
)
REGISTER_BY_SHEET = {r.sheet: r for r in REGISTERS}
