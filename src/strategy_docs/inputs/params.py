"""Typed models of the parameters, and loading them with every problem reported at once.

A workspace has one project file, one file per authority, one per client group, and one
strategy file per (authority, client group). Models reject unknown keys so a misspelt field
is an error rather than silently ignored; cross-references (a gap citing a hypothesis, an
intention citing a theme) are checked after every file has been read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from strategy_docs.errors import ParamsError, Problem
from strategy_docs.i18n import DEFAULT_LANGUAGE
from strategy_docs.inputs.languages import KIND_OF_MODEL, localise, translation_warning
from strategy_docs.inputs.yamlio import LineMap, format_path, read_yaml
from strategy_docs.wording import plural
from strategy_docs.analysis.cycle import vocabulary_of
from strategy_docs.analysis.hypotheses import METRICS, check_args
from strategy_docs.analysis.risks import DEFAULT_BANDS
from strategy_docs.inputs.workspace import link_problems

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
IDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Ident = Annotated[str, StringConstraints(pattern=IDENT_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
Markdown = Annotated[str, StringConstraints(max_length=20000)]
AGE_BAND_PATTERN = r"^\d{1,3}(-\d{1,3}|\+)$"

IPC_STAGES = ["Analyse", "Plan", "Do", "Review"]


class Model(BaseModel):
    # Numbers written where text is expected (`timescale: 2029`, `version: 1.2`) are what an analyst
    # means, so they become text rather than an error.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False, coerce_numbers_to_str=True)


# ---------------------------------------------------------------- project


class Edition(Model):
    """The strategy period, in financial years (start_year 2026 means 2026/27)."""

    start_year: int = Field(ge=2000, le=2100)
    years: int = Field(default=3, ge=1, le=10)
    look_ahead_years: int = Field(default=17, ge=5, le=25)

    @property
    def end_year(self) -> int:
        return self.start_year + self.years - 1

    @property
    def look_ahead_year(self) -> int:
        return self.start_year + self.look_ahead_years

    @property
    def slug(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        return f"{fy(self.start_year)} to {fy(self.end_year)}"

    @property
    def financial_years(self) -> list[str]:
        return [fy(y) for y in range(self.start_year, self.end_year + 1)]


def fy(year: int) -> str:
    """2026 -> '2026/27'."""
    return f"{year}/{(year + 1) % 100:02d}"


class Exclusion(Model):
    authority: Slug
    client_group: Slug


class Matrix(Model):
    authorities: list[Slug] | Literal["all"] = "all"
    client_groups: list[Slug] | Literal["all"] = "all"
    exclude: list[Exclusion] = []


class BuildSettings(Model):
    cell_timeout_seconds: int = Field(default=300, ge=1, le=3600)
    document_timeout_seconds: int = Field(default=1200, ge=10, le=14400)
    suppress_below: int = Field(default=5, ge=0, le=20)


class Project(Model):
    name: Text
    edition: Edition
    matrix: Matrix = Matrix()
    formats: list[Literal["html", "pdf", "docx"]] = ["html", "pdf"]
    synthetic_data: bool = False
    build: BuildSettings = BuildSettings()
    previous_edition: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")] | None = None

    @model_validator(mode="after")
    def _previous_before_this(self) -> "Project":
        if self.previous_edition is not None and int(self.previous_edition[:4]) >= self.edition.start_year:
            raise ValueError(f"previous_edition {self.previous_edition} is not before this edition "
                             f"({self.edition.slug}); name the edition before it, or leave previous_edition out")
        return self

    @field_validator("formats")
    @classmethod
    def _formats_need_html(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one format: html, pdf or docx")
        return list(dict.fromkeys(value))


# ---------------------------------------------------------------- authority


class Partner(Model):
    name: Text
    role: Text


class Locality(Model):
    code: Ident
    name: Text


HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str = "#ffffff") -> float:
    """WCAG 2.x contrast ratio between two #rrggbb colours."""
    l1, l2 = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (l1 + 0.05) / (l2 + 0.05)


class Branding(Model):
    display_name: Text | None = None
    colour: Annotated[str, StringConstraints(pattern=HEX_COLOUR)] = "#1d4f91"
    logo: str | None = None

    @field_validator("colour")
    @classmethod
    def _colour_contrast(cls, value: str) -> str:
        ratio = contrast_ratio(value)
        if ratio < 4.5:
            raise ValueError(
                f"colour {value} has a contrast ratio of {ratio:.2f}:1 against white; WCAG 2.2 AA needs "
                "at least 4.5:1 for text. Choose a darker shade"
            )
        return value


class CycleSettings(Model):
    """The cycle's stages: a built-in `vocabulary` (ipc, six-stage) or your own `stages`; `synonyms` map the plan's words to a stage ("Implementation: Do").

    Without either, the IPC stages Analyse, Plan, Do, Review."""

    vocabulary: Literal["ipc", "six-stage"] | None = None
    stages: list[Text] = Field(default_factory=lambda: list(IPC_STAGES), min_length=2, max_length=12)
    synonyms: dict[str, str] = {}

    @model_validator(mode="after")
    def _named_or_listed(self) -> "CycleSettings":
        if self.vocabulary is not None and "stages" in self.model_fields_set:
            raise ValueError("give either 'vocabulary' (a built-in cycle: ipc or six-stage) or your own 'stages', "
                             "not both")
        return self


class RiskBand(Model):
    min_score: int = Field(ge=1, le=25)
    label: Text
    tone: Literal["good", "warning", "bad", "neutral"]


# The analysis's default bands (one list of them): Low / Medium / High / Very high.
DEFAULT_RISK_BANDS = [{"min_score": b.min_score, "label": b.label, "tone": b.tone} for b in DEFAULT_BANDS]


class RagRules(Model):
    amber_tolerance_percent: float = Field(default=5.0, ge=0, le=100)
    comparator_rescues: bool = True


class PolicyDriver(Model):
    name: Text
    summary: Markdown = ""
    level: Literal["national", "regional", "local"] = "local"
    # When the driver was made (an act's year, a strategy's date): a driver dated after the
    # plan's publication is never listed in it.
    year: int | None = Field(default=None, ge=1800, le=2100)
    date: dt.date | None = None

    @property
    def when(self) -> dt.date | None:
        return self.date if self.date is not None else (dt.date(self.year, 1, 1) if self.year is not None else None)


class DataSource(Model):
    """Where one data table (or the budget) comes from; synthetic figures get a notice beside them."""

    source: Text | None = None
    synthetic: bool | None = None  # not given: the project's synthetic_data flag


class PolicyDriverSettings(Model):
    """Which national drivers a strategy lists: the built-in defaults, none, or its own list."""

    national_defaults: bool = True
    drivers: list[PolicyDriver] = []  # listed in addition to (or, with national_defaults false, instead of) the defaults


class AccessibilityStatement(Model):
    """Where the authority's accessibility statement is, and who to tell about a problem."""

    url: Text
    contact: Text | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        if not url.startswith("https://"):
            raise ValueError("the accessibility statement address must start with https://")
        return url


class Authority(Model):
    name: Text
    short_name: Text | None = None
    kind: Text | None = None
    nation: Literal["england", "wales"]
    partners: list[Partner] = []
    localities: list[Locality] = []
    comparators: list[Text] = []
    branding: Branding = Branding()
    cycle: CycleSettings = CycleSettings()
    risk_bands: list[RiskBand] = Field(default_factory=lambda: [RiskBand(**b) for b in DEFAULT_RISK_BANDS])
    rag_rules: RagRules = RagRules()
    local_policy: list[PolicyDriver] = []
    data_sources: dict[Literal["population", "service_users", "providers", "budget", "unit_costs", "indicators"],
                       DataSource] = {}
    accessibility_statement: AccessibilityStatement | None = None
    # The languages its documents are published in: English, and Welsh when stated (en first).
    languages: list[Literal["en", "cy"]] = ["en"]

    @field_validator("languages")
    @classmethod
    def _english_first(cls, value: list[str]) -> list[str]:
        if not value or value[0] != "en" or len(set(value)) != len(value):
            raise ValueError("list English first and each language once, e.g. [en, cy]")
        return value

    @field_validator("risk_bands")
    @classmethod
    def _bands_start_at_one(cls, bands: list[RiskBand]) -> list[RiskBand]:
        mins = [b.min_score for b in bands]
        if not bands or min(mins) != 1:
            raise ValueError("the lowest risk band must start at min_score 1")
        if len(set(mins)) != len(mins):
            raise ValueError("two risk bands have the same min_score")
        return sorted(bands, key=lambda b: b.min_score)

    @property
    def regulator(self) -> str:
        return "Care Inspectorate Wales (CIW)" if self.nation == "wales" else "Care Quality Commission (CQC)"


# ---------------------------------------------------------------- client group


class PrevalenceRate(Model):
    age_band: Annotated[str, StringConstraints(pattern=AGE_BAND_PATTERN)]
    sex: Literal["all", "female", "male"] = "all"
    rate_percent: float = Field(ge=0, le=100)


class Measure(Model):
    id: Ident
    label: Text
    source: Text
    rates: list[PrevalenceRate] = Field(min_length=1)
    service_types: list[Text] = []


class AgeRange(Model):
    min: int = Field(ge=0, le=120)
    max: int | None = Field(default=None, ge=0, le=120)

    @model_validator(mode="after")
    def _ordered(self) -> "AgeRange":
        if self.max is not None and self.max < self.min:
            raise ValueError("max must be at least min")
        return self

    @property
    def label(self) -> str:
        return f"{self.min} and over" if self.max is None else f"{self.min} to {self.max}"


class ClientGroup(Model):
    name: Text
    definition: Markdown = ""
    age_range: AgeRange | None = None
    measures: list[Measure] = []
    service_types: list[Text] = []
    # A group that covers others ("all adults"): its data are the sum of theirs (data.for_client_group).
    covers: list[Slug] = []


# ---------------------------------------------------------------- strategy


class VersionEntry(Model):
    version: Text
    date: dt.date
    author: str = ""
    comments: str = ""


class DocumentControl(Model):
    """Only the title is required; every other field is shown only when given."""

    title: Text
    purpose: Markdown = ""
    reference: str = ""
    authors: list[Text] = []
    owner: Text | None = None
    status: Literal["draft", "consultation", "final"] | None = None
    publication_date: dt.date | None = None
    valid_until: dt.date | None = None
    distribution: Text | None = None
    classification: Text | None = None
    version_history: list[VersionEntry] = []

    @model_validator(mode="after")
    def _dates(self) -> "DocumentControl":
        if self.valid_until is not None and self.publication_date is not None and self.valid_until <= self.publication_date:
            raise ValueError("valid_until must be after publication_date")
        return self


class Context(Model):
    summary: Markdown = ""
    scope: Markdown = ""
    services_included: list[Text] = []
    partnership: Markdown = ""
    consultation: Markdown = ""
    local_drivers: list[PolicyDriver] = []
    policy_drivers: PolicyDriverSettings = PolicyDriverSettings()


class HypothesisTest(Model):
    metric: Ident
    args: dict[str, str | int | float | list[str]] = {}
    comparison: Literal[">", ">=", "<", "<="]
    threshold: float = Field(allow_inf_nan=False)
    margin: float = Field(default=0.0, ge=0)


class Hypothesis(Model):
    id: Ident
    statement: Markdown
    service_area: str = ""
    evidence_needed: Text | None = None
    test: HypothesisTest | None = None  # neither test nor verdict: the statement is shown without a verdict
    verdict: Literal["accepted", "refuted", "inconclusive"] | None = None
    reason: str = ""
    implication: Markdown = ""

    @model_validator(mode="after")
    def _test_or_verdict(self) -> "Hypothesis":
        if self.test is not None and self.verdict is not None:
            raise ValueError("give a 'test' or a recorded 'verdict', not both")
        if self.verdict is not None and not self.reason.strip():
            raise ValueError("a recorded verdict needs a 'reason'")
        return self


class Commissioning(Model):
    strategic: list[Text] = []
    local: list[Text] = []
    individual: list[Text] = []
    decommissioning: list[Text] = []


class SubOutcome(Model):
    code: Ident
    text: Text


class Outcome(Model):
    code: Ident | None = None  # "I statements" often have no code (or name); a framework's outcomes have one
    name: Text | None = None  # plans that write outcomes as "I statements" often give them no name
    aspiration: str = ""
    i_statement: str = ""
    sub_outcomes: list[SubOutcome] = []
    commissioning: Commissioning | None = None


class Outcomes(Model):
    style: Literal["framework", "i-statements"] = "framework"
    introduction: Markdown = ""
    items: list[Outcome] = []

    @model_validator(mode="after")
    def _framework_codes(self) -> "Outcomes":
        for i, outcome in enumerate(self.items):
            if outcome.code is None and self.style == "framework":
                raise ValueError(f"items[{i}] needs its 'code' in an outcomes framework (or use style: i-statements "
                                 "for outcomes written as I statements, which need none)")
            if outcome.code is None and not (outcome.i_statement or outcome.name or outcome.aspiration):
                raise ValueError(f"items[{i}] says nothing: give its 'i_statement'")
        return self


class GapRow(Model):
    objective: Text
    service_developments: Markdown = ""
    rationale: Markdown = ""
    implications: Markdown = ""
    hypotheses: list[Ident] = []
    measure: Ident | None = None
    service_types: list[Text] = []
    # Percent of the people with the need who use each service; where given, demand is
    # need x uptake instead of today's users grown with the need (docs/design.md).
    uptake_rate: dict[Text, float] = {}


class Theme(Model):
    id: Ident
    name: Text
    outcomes: list[Ident] = []
    summary: Markdown = ""
    # Outcomes as people would say them ("I can get help when I need it"), as the plan words them:
    # text only, no code or name to invent.
    i_statements: list[Text] = []


class CyclePosition(Model):
    """The `current` (and `expected`) stage in the plan's words, or `same_as`: the id of the intention the plan refers to ("see 1.2 above").

    The stages named are shown as a set; the plan's wording is shown as written."""

    current: Text | None = None
    expected: Text | None = None
    same_as: Ident | None = None

    @model_validator(mode="after")
    def _stated_or_shared(self) -> "CyclePosition":
        if self.same_as is not None and (self.current is not None or self.expected is not None):
            raise ValueError("give either 'same_as' (the id of the intention whose position this one shares) "
                             "or 'current', not both")
        if self.same_as is None and self.current is None:
            raise ValueError("give the current stage ('current: Plan'), or 'same_as: <intention id>' where the "
                             "plan refers to another intention's position; or leave out 'cycle'")
        return self


class Contract(Model):
    """A contract an intention concerns, with only the facts the plan gives."""

    name: Text | None = None
    number: Text | None = None
    provider: Text | None = None
    annual_value: float | None = Field(default=None, ge=0)  # pounds a year
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _named(self) -> "Contract":
        if self.name is None and self.number is None:
            raise ValueError("a contract needs its 'name' or its 'number' (as the plan gives it)")
        if self.start_date is not None and self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class Intention(Model):
    id: Ident
    theme: Ident
    title: Text
    details: Markdown = ""
    drivers: list[Text] = []
    type: Literal["invest", "disinvest", "new", "reconfigure"] | None = None
    cycle: CyclePosition | None = None
    activity: Markdown = ""
    owner: Text | None = None
    timescale: Text | None = None
    outcomes: list[Ident] = []
    contracts: list[Contract] = []


class Score(Model):
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class Risk(Model):
    """A risk as cause, event and effect; scores, owner and review date only when the plan gives them."""

    id: Ident
    title: Text | None = None
    cause: Text | None = None
    event: Text | None = None
    effect: Text | None = None
    inherent: Score | None = None
    residual: Score | None = None
    owner: Text | None = None
    mitigations: list[Text] = []
    review_date: dt.date | None = None
    review_flag: bool = False

    @model_validator(mode="after")
    def _says_something(self) -> "Risk":
        if not any((self.title, self.cause, self.event, self.effect)):
            raise ValueError("a risk needs at least a 'title' or its 'event' (cause and effect when the plan gives them)")
        return self


class Indicator(Model):
    """An indicator; without a target (or polarity) it shows its values and no rating."""

    id: Ident
    name: Text
    source: Text | None = None
    code: Text | None = None
    codes: list[Text] = []  # several codes as the plan gives them ("ASCOF 1D", "ASCOF 3B")
    framework: Text | None = None  # ASCOF, NHS Outcomes Framework, PHOF, a statutory return, a local measure...
    theme: Text | None = None  # how the plan groups its indicators: theme, then area
    area: Text | None = None
    polarity: Literal["higher", "lower"] | None = None
    unit: Literal["percent", "count", "rate per 100,000", "rate per 10,000", "rate per 1,000", "days", "weeks", "years",
                  "score", "ratio", "pounds"] | None = None
    target: float | None = None
    frequency: Text | None = None
    action: Markdown = ""
    baseline: float | None = None


class IndicatorGroup(Model):
    """Free-text notes the plan gives for one group of indicators (a theme, an area, or both)."""

    theme: Text | None = None
    area: Text | None = None
    notes: Markdown = ""


class Monitoring(Model):
    arrangements: Markdown = ""
    frequency: Text | None = None
    review_group: Text | None = None
    next_review: dt.date | None = None


class BudgetTotals(Model):
    """Totals the budget holder has signed off; computed totals must agree with them."""

    financial_year: Annotated[str, StringConstraints(pattern=r"^\d{4}/\d{2}$")]
    groups: dict[str, float] = {}
    net_total: float | None = None


class TableLabels(Model):
    """The plan's own words for a table: its caption ("Table 2: Commissioning intentions") and column
    headings ("Activity this year" -> "Key commissioning work")."""

    caption: Text | None = None
    columns: dict[str, Text] = {}


class Consultation(Model):
    """How to respond to a draft or consultation document (shown on those only)."""

    how_to_respond: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    closing_date: dt.date
    email: Text | None = None
    address: Text | None = None
    other_formats: Text | None = None  # e.g. "Easy Read, large print and audio versions on request"

    @model_validator(mode="after")
    def _a_way_to_respond(self) -> "Consultation":
        if not (self.email or self.address):
            raise ValueError("give an email or a postal address for responses")
        if self.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.email):
            raise ValueError(f"'{self.email}' is not an email address")
        return self


# ---------------------------------------------------------------- record types and guidance sections


class Principle(Model):
    """A principle the plan sets out: its name, its text, or both, as the plan words them."""

    name: Text | None = None
    text: Markdown = ""

    @model_validator(mode="after")
    def _says_something(self) -> "Principle":
        if self.name is None and not self.text.strip():
            raise ValueError("a principle needs its 'name' or its 'text'")
        return self


class CaseExample(Model):
    """A person's story the plan tells, mapped to the outcomes (codes) or themes (ids) it illustrates."""

    title: Text
    text: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    outcomes: list[Ident] = []
    themes: list[Ident] = []
    source: Text | None = None  # e.g. "Told at a carers' listening event; name changed"


class Signatory(Model):
    name: Text
    role: Text | None = None


class Foreword(Model):
    text: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    signed_by: list[Signatory] = []


class Fact(Model):
    """A key figure as the plan states it (its own words and units: "9.5%", "about 4,200")."""

    label: Text
    value: Text
    detail: Text | None = None


class TextTable(Model):
    """A table the plan gives, transcribed cell by cell as text (no number is worked out from it)."""

    caption: Text
    columns: list[Text] = Field(min_length=1)
    rows: list[list[str]] = Field(min_length=1)
    notes: Text | None = None

    @model_validator(mode="after")
    def _rectangular(self) -> "TextTable":
        if len(set(self.columns)) != len(self.columns):
            raise ValueError("two columns have the same heading; give each column its own")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"row {i + 1} has {len(row)} cells but the table has {len(self.columns)} columns")
        return self


class Workforce(Model):
    """The workforce the strategy relies on (WAG chapter 8): what the plan says, its figures as stated."""

    summary: Markdown = ""
    facts: list[Fact] = []
    tables: list[TextTable] = []


class GroupImpact(Model):
    group: Text  # a protected characteristic or another group the assessment names
    impact: Text


class EqualityImpact(Model):
    """The equality impact assessment's summary, as the plan reports it."""

    summary: Markdown = ""
    assessment: Text | None = None  # where the full assessment is, e.g. "EqIA 2026/14, published with this plan"
    date: dt.date | None = None
    impacts: list[GroupImpact] = []


class SectionEntry(Model):
    """A section in the plan's order: a built-in one by `id` (its `title` and `number` if the plan gives them), or a narrative one (`title` and Markdown `text`).

    Built-in ids are listed in docs/sections.md; sections not listed follow in the default order."""

    id: Ident | None = None
    title: Text | None = None
    number: Annotated[str, StringConstraints(min_length=1, max_length=20, strip_whitespace=True)] | None = None
    text: Markdown | None = None

    @property
    def narrative(self) -> bool:
        return self.text is not None

    @field_validator("title", "number")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and ("\n" in value or "\r" in value):
            raise ValueError("a heading is one line: remove the line break")
        return value

    @model_validator(mode="after")
    def _identified(self) -> "SectionEntry":
        if self.text is not None and self.title is None:
            raise ValueError("a narrative section needs a 'title' (its heading)")
        if self.text is None and self.id is None:
            raise ValueError("name a built-in section by its 'id' (e.g. 'intentions'), or give a 'title' and "
                             "'text' for a narrative section of the plan's own")
        return self


class Strategy(Model):
    """Only document_control.title is required; a section whose content is not given is left out."""

    document_control: DocumentControl
    context: Context = Context()
    hypotheses: list[Hypothesis] = []
    outcomes: Outcomes = Outcomes()
    gap_analysis: list[GapRow] = []
    themes: list[Theme] = []
    intentions: list[Intention] = []
    risks: list[Risk] = []
    indicators: list[Indicator] = []
    indicator_groups: list[IndicatorGroup] = []
    monitoring: Monitoring | None = None
    budget_totals: BudgetTotals | None = None
    # Keyed by a table's id (e.g. "risk-register", "intentions-<theme id>") or its default caption;
    # "*" renames columns in every table.
    table_labels: dict[str, TableLabels] = {}

    consultation: Consultation | None = None
    # The plan's own skeleton: its sections' order, titles and numbers, and narrative sections of its own.
    sections: list[SectionEntry] = []
    principles: list[Principle] = []
    case_examples: list[CaseExample] = []
    foreword: Foreword | None = None
    workforce: Workforce | None = None
    for_providers: Markdown = ""  # what the strategy means for providers
    equality_impact: EqualityImpact | None = None

    @field_validator("sections", mode="before")
    @classmethod
    def _section_ids(cls, entries: Any) -> Any:
        """`- intentions` is short for `- id: intentions`."""
        if isinstance(entries, list):
            return [{"id": e} if isinstance(e, str) else e for e in entries]
        return entries

    @model_validator(mode="after")
    def _consultation_closes_after_publication(self) -> "Strategy":
        publication = self.document_control.publication_date
        if self.consultation and publication is not None and self.consultation.closing_date <= publication:
            raise ValueError("consultation.closing_date must be after document_control.publication_date")
        return self

# ---------------------------------------------------------------- summaries across authorities


class SummaryMeasure(Model):
    """A prevalence rate applied to one age band of each authority's population table: stated here,
    or taken from one of the client group's measures (`from_client_group: <measure id>`)."""

    from_client_group: Ident | None = None
    label: Text | None = None  # what is counted, e.g. "People with a learning disability living with carers aged 70+"
    rate_percent: float | None = Field(default=None, ge=0, le=100)
    age_band: Annotated[str, StringConstraints(pattern=AGE_BAND_PATTERN)] | None = None
    sex: Literal["all", "female", "male"] = "all"
    year: int | None = Field(default=None, ge=1900, le=2200)  # None: the table holds one year (or states none)
    basis: Literal["estimate", "projection"] | None = None  # None: whichever the table has for the year
    source: str = ""  # where the rate comes from

    @model_validator(mode="after")
    def _stated_or_taken(self) -> "SummaryMeasure":
        stated = [name for name in ("label", "rate_percent", "age_band") if getattr(self, name) is not None]
        if self.from_client_group is not None and stated:
            raise ValueError(f"give either from_client_group or the rate itself, not both (remove {', '.join(stated)})")
        if self.from_client_group is None and len(stated) < 3:
            raise ValueError("give label, rate_percent and age_band, or from_client_group naming one of the client "
                             "group's measures")
        return self


class Summary(Model):
    """params/summaries/<id>.yaml: one table with a row per authority and a total (docs/summaries.md)."""

    title: Text
    area: Text  # what the authorities make up: the total row's label ("Wales")
    client_group: Slug
    status: Literal["draft", "consultation", "final"]
    publication_date: dt.date | None = None
    authorities: list[Slug] | Literal["all"] = "all"  # all: the matrix's authorities
    measure: SummaryMeasure
    decimals: int = Field(default=0, ge=0, le=3)  # 0: whole numbers
    total: Literal["rounded_total", "sum_of_rounded_rows"]
    caption: str = ""
    columns: dict[Literal["authority", "population", "estimate"], Text] = {}
    introduction: Markdown = ""
    notes: list[Text] = []
    population_source: str = ""  # provenance of the population figures
    synthetic: bool | None = None  # None: as the project's synthetic_data says


# ---------------------------------------------------------------- loading


@dataclass
class Params:
    """Every parameters file of a workspace, validated."""

    workspace: Path
    project: Project
    authorities: dict[str, Authority]
    client_groups: dict[str, ClientGroup]
    strategies: dict[tuple[str, str], Strategy]
    files: dict[str, Path] = field(default_factory=dict)  # logical name -> path, for cache keys
    warnings: list[Problem] = field(default_factory=list)
    summaries: dict[str, Summary] = field(default_factory=dict)  # params/summaries/<id>.yaml

    def pairs(self) -> list[tuple[str, str]]:
        """The matrix: every (authority, client group) to build, in a stable order."""
        return matrix_pairs(self.project, list(self.authorities), list(self.client_groups))


def matrix_pairs(project: Project, authorities: list[str], client_groups: list[str]) -> list[tuple[str, str]]:
    auths = sorted(authorities) if project.matrix.authorities == "all" else list(project.matrix.authorities)
    groups = sorted(client_groups) if project.matrix.client_groups == "all" else list(project.matrix.client_groups)
    excluded = {(e.authority, e.client_group) for e in project.matrix.exclude}
    return [(a, g) for a in auths for g in groups if (a, g) not in excluded]


def _shown(value: Any, limit: int = 80) -> str:
    """A value as echoed back in a message: repr, cut short (a pasted essay must not flood the report)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_UNION_TAG = re.compile(r"^(?:list\[.*\]|literal\[.*\]|constrained-str|str|int|float|bool)$")
_TAG_WORDS = {"constrained-str": "text", "str": "text", "int": "a whole number", "float": "a number", "bool": "true or false"}


def _union_errors(errors: list[dict]) -> list[dict]:
    """Pydantic reports every branch of a union (`list[Slug] | 'all'`) with the branch's tag in the
    location. Keep the branch whose structure the value matched (the list item that is wrong), or
    else say in one error which kinds of value the field takes."""
    out: list[dict] = []
    branches: dict[tuple, list[tuple[str, tuple, dict]]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        at = next((i for i, part in enumerate(loc) if isinstance(part, str) and _UNION_TAG.match(part)
                   and not (i == len(loc) - 1 and err["type"] == "extra_forbidden")), None)
        if at is None:
            out.append(err)
        else:
            branches.setdefault(loc[:at], []).append((loc[at], loc[:at] + loc[at + 1:], err))
    for root, items in branches.items():
        deeper = [dict(err, loc=loc) for _, loc, err in items if len(loc) > len(root)]
        if deeper:
            out.extend(deeper)
            continue
        kinds = [_TAG_WORDS.get(tag, "a list" if tag.startswith("list[") else tag[len("literal["):-1])
                 for tag, _, _ in items]
        first = items[0][2]
        out.append({"loc": root, "type": "union", "input": first.get("input"),
                    "msg": "should be " + " or ".join(dict.fromkeys(kinds))})
    return out


def named_path(loc: tuple, data: Any) -> str:
    """A field path naming list items by their id or code where they have one: `risks[R2].owner`,
    not `risks[1].owner` (a zero-based position means nothing to the person editing the file)."""
    out = ""
    here = data
    for part in loc:
        if isinstance(part, int):
            item = here[part] if isinstance(here, list) and 0 <= part < len(here) else None
            key = next((item[k] for k in ("id", "code") if isinstance(item, dict)
                        and isinstance(item.get(k), (str, int)) and not isinstance(item.get(k), bool)), None)
            if key is not None and sum(isinstance(other, dict) and other.get(k) == key
                                       for other in here for k in ("id", "code")) != 1:
                key = None  # a duplicated id names no one item: say its position
            out += f"[{part if key is None else key}]"
            here = item
        else:
            out += ("." if out else "") + str(part)
            here = here.get(part) if isinstance(here, dict) else None
    return out


def _pydantic_problems(exc: PydanticValidationError, file: str, lines: LineMap, data: Any = None) -> list[Problem]:
    problems = []
    for err in _union_errors(exc.errors()):
        loc = tuple(err["loc"])
        kind = err["type"]
        path = named_path(loc, data)
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'."
            fix = "remove it or correct its spelling (see docs/params.md for the allowed keys)."
        elif kind == "missing":
            message = "is required but missing."
            fix = "add it."
        elif kind == "literal_error":
            message = f"{err['msg']}, got {_shown(err.get('input'))}."
            fix = ""
        elif kind == "string_pattern_mismatch":
            pattern = (err.get("ctx") or {}).get("pattern", "")
            message = f"{_shown(err.get('input'))} is not allowed here."
            fix = {
                SLUG_PATTERN: "use lower-case letters, digits and hyphens only (e.g. 'older-people').",
                IDENT_PATTERN: "use letters, digits, '.', '_' or '-' only, no spaces (e.g. 'H1').",
                HEX_COLOUR: "write the colour as #rrggbb (e.g. #1d4f91).",
                AGE_BAND_PATTERN: "write an age band as '65-74' or '85+'.",
            }.get(pattern, f"it must match {pattern}.")
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            message = f"{msg} (got {_shown(err.get('input'))})." if kind != "value_error" else msg + "."
            fix = ""
            if kind == "string_type" and isinstance(err.get("input"), (dt.date, dt.datetime)):
                fix = "YAML reads an unquoted date as a date: put the text in quotes (e.g. '2026-03-31')."
            elif kind in ("int_parsing", "float_parsing", "int_from_float") and isinstance(err.get("input"), str):
                fix = "write a plain number such as 3 or 2.5 (no %, £ or words such as yes)." if kind != "int_from_float" \
                    else "write a whole number."
        if kind != "extra_forbidden":
            fix = (fix + " " if fix else "") + _leave_out_fix(loc)
        problems.append(Problem(file=file, line=lines.line_for(loc), field=path, message=message, fix=fix))
    return problems


def _leave_out_fix(loc: tuple) -> str:
    """How to leave the thing out: the innermost optional field holding the problem, else the rule."""
    entry = list(loc)
    last_index = max((i for i, part in enumerate(entry) if isinstance(part, int)), default=-1)
    names = [part for part in entry[last_index + 1:] if isinstance(part, str)]  # within the list entry
    optional = next((name for name in reversed(names) if name not in _REQUIRED_NAMES), None)
    if optional is None:
        return ("This field identifies the document or the entry, so it cannot be left out; any other field the "
                "plan does not state can be (see 'Saying \"not stated\"' in docs/writing-a-strategy.md).")
    return f"If the plan does not state it, leave out '{optional}': nothing is shown in its place."
# The fields that identify a document or an entry; everything else may be left out.
_REQUIRED_NAMES = {"title", "name", "id", "code", "theme", "nation", "value", "group", "impact", "caption", "columns",
                   "rows", "start_year", "metric", "comparison", "threshold",
                   "authority", "client_group", "financial_year", "age_band", "rate_percent", "label", "rates", "text",
                   "min", "role", "current", "version", "date", "likelihood", "impact", "min_score", "tone"}





def _load_model(path: Path, model: type[Model], workspace: Path, problems: list[Problem],
                language: str = DEFAULT_LANGUAGE, raw: dict | None = None):
    display = path.relative_to(workspace).as_posix()
    data, lines, read_problems = read_yaml(path, display)
    problems.extend(read_problems)
    if raw is not None:
        raw[display] = (data, lines)
    if isinstance(data, dict) and model.__name__ in KIND_OF_MODEL:  # free text in this document's language
        data, language_problems = localise(data, KIND_OF_MODEL[model.__name__], language, display, lines)
        problems.extend(language_problems)
    if data is None:
        if not read_problems:  # only comments, or a bare '---': as good as empty
            problems.append(Problem(display, "is empty (it has no values, only comments or blank lines).", line=1,
                                    fix="add the required fields (see docs/params.md)."))
        return None, lines
    if not isinstance(data, dict):
        problems.append(Problem(display, f"must be a mapping of keys to values, not a {type(data).__name__}.",
                                line=1, fix="start the file with 'key: value' lines."))
        return None, lines
    try:
        validated = model.model_validate(data)
        problems.extend(_scaffold_text(data, display, lines))
        return validated, lines
    except PydanticValidationError as exc:
        problems.extend(_pydantic_problems(exc, display, lines, data))
        # The cross-checks need a valid model; duplicate ids can still be found in the raw
        # data, so one run lists them alongside the schema problems.
        for list_name, key in _ID_LISTS.get(model, ()):
            items = data.get(list_name)
            if isinstance(items, list):
                values = [item.get(key) if isinstance(item, dict) and isinstance(item.get(key), str) else object()
                          for item in items]
                _duplicates(values, list_name, key, display, lines, problems)
        return None, lines


_SCAFFOLD_TEXT = re.compile(r"^TO[ -]DO\b")  # what `strategy-docs new` writes where a value is still to come


def _scaffold_text(data: Any, display: str, lines: LineMap) -> list[Problem]:
    """One warning per file still holding a scaffold's "TO DO" values: they would be published as written."""
    found: list[tuple] = []

    def walk(value: Any, loc: tuple) -> None:
        if isinstance(value, str) and _SCAFFOLD_TEXT.match(value):
            found.append(loc)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*loc, i))

    walk(data, ())
    if not found:
        return []
    first = found[0]
    return [Problem(display, f"still holds {len(found)} 'TO DO' value{'s' if len(found) != 1 else ''} from the "
                             "scaffold; they would be published as written.", field=named_path(first, data),
                    line=lines.line_for(first), severity="warning",
                    fix="write the real values (the comment beside each says what it is for).")]


_ID_LISTS: dict[type, tuple[tuple[str, str], ...]] = {
    Strategy: (("hypotheses", "id"), ("themes", "id"), ("intentions", "id"), ("risks", "id"), ("indicators", "id")),
    Authority: (("localities", "code"),),
}


def _safe_yaml_files(folder: Path, workspace: Path, problems: list[Problem]) -> list[Path]:
    """YAML files in a folder, refusing symlinks that lead outside the workspace."""
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml"):
            continue
        linked = link_problems([path], workspace)  # outside the workspace, a loop, or dangling
        if linked:
            problems.extend(linked)
            continue
        files.append(path)
    return files


def is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):  # outside, or unresolvable (a symlink loop, a NUL byte)
        return False


def _check_id_from_filename(path: Path, workspace: Path, problems: list[Problem]) -> bool:
    if re.match(SLUG_PATTERN, path.stem):
        return True
    if path.stem.endswith(".cy") and re.match(SLUG_PATTERN, path.stem[:-3]):
        problems.append(Problem(path.relative_to(workspace).as_posix(),
                                "is not read: there are no separate Welsh parameter files.",
                                fix=f"write the Welsh texts in {path.stem[:-3]}{path.suffix}, each as {{en: ..., cy: ...}} "
                                    "(docs/params.md, 'Welsh and English'), and delete this file."))
        return False
    problems.append(Problem(path.relative_to(workspace).as_posix(),
                            f"the file name '{path.stem}' is not a valid identifier.",
                            fix="rename the file using lower-case letters, digits and hyphens (e.g. 'older-people.yaml')."))
    return False


def load_params(workspace: Path, pairs_filter=None, language: str = DEFAULT_LANGUAGE) -> Params:
    """Read and validate every parameters file; raise ParamsError listing every problem.

    Free text is taken in `language` (inputs/languages.py); English (the default) also warns
    about the texts of bilingual documents that have no version in their other languages."""
    raw: dict = {}
    workspace = Path(workspace).resolve()
    problems: list[Problem] = []
    params_dir = workspace / "params"
    project_file = params_dir / "project.yaml"
    files: dict[str, Path] = {}
    project = None
    project_lines = LineMap()
    linked = link_problems([project_file], workspace)  # a loop, or a link out of the workspace, is never followed
    problems.extend(linked)
    if linked:
        pass
    elif not project_file.is_file():
        problems.append(Problem("params/project.yaml", "is missing.", fix="run 'strategy-docs init' or copy the example project file."))
    else:
        project, project_lines = _load_model(project_file, Project, workspace, problems)
        files["project"] = project_file

    authorities, auth_lines = _load_folder(params_dir / "authorities", Authority, "authority", workspace, files, problems,
                                           language, raw)
    client_groups, group_lines = _load_folder(params_dir / "client-groups", ClientGroup, "client-group", workspace, files,
                                              problems, language, raw)
    problems.extend(_check_covers(client_groups, group_lines))
    summaries, _ = _load_folder(params_dir / "summaries", Summary, "summary", workspace, files, problems)

    # A file whose name is not an identifier is reported by _load_folder, and is no authority or group.
    all_authority_ids = {p.stem for p in (params_dir / "authorities").glob("*.y*ml") if re.match(SLUG_PATTERN, p.stem)}
    all_group_ids = {p.stem for p in (params_dir / "client-groups").glob("*.y*ml") if re.match(SLUG_PATTERN, p.stem)}
    problems.extend(_stray_strategies(params_dir, workspace, all_authority_ids, all_group_ids))
    if not all_authority_ids:
        problems.append(Problem("params/authorities/", "has no authority files.",
                                fix="run 'strategy-docs new authority ID' (ID in lower-case letters, digits and "
                                    "hyphens, e.g. 'northshire') to add one from a commented scaffold."))
    if not all_group_ids:
        problems.append(Problem("params/client-groups/", "has no client group files.", fix="add one YAML file per client group."))

    strategies: dict[tuple[str, str], Strategy] = {}
    pairs: list[tuple[str, str]] = []
    if project is not None:
        _check_matrix(project, all_authority_ids, all_group_ids, problems, project_lines)
        pairs = matrix_pairs(project, sorted(all_authority_ids), sorted(all_group_ids))
        if not pairs and all_authority_ids and all_group_ids and not summaries:  # summaries alone are a build
            authority = sorted(all_authority_ids)[0]
            problems.append(Problem("params/project.yaml", "the matrix has no documents to build yet.", field="matrix",
                                    line=project_lines.line_for(("matrix",)),
                                    fix=f"add a strategy with 'strategy-docs new strategy {authority} CLIENT_GROUP' "
                                        f"(client groups: {', '.join(sorted(all_group_ids))}); it puts the pair "
                                        "in the matrix."))
    else:  # the matrix is unknown: still check every strategy file there is, so one run lists every problem
        pairs = sorted({(p.parent.name, p.stem) for p in (params_dir / "strategies").glob("*/*.yaml")
                        if re.match(SLUG_PATTERN, p.parent.name) and re.match(SLUG_PATTERN, p.stem)})
    if pairs_filter is not None:
        pairs = [p for p in pairs if pairs_filter(p)]
    for authority_id, group_id in pairs:
        path = params_dir / "strategies" / authority_id / f"{group_id}.yaml"
        linked = link_problems([path], workspace)
        if linked:
            problems.extend(linked)
            continue
        if not path.is_file():
            problems.append(Problem(f"params/strategies/{authority_id}/{group_id}.yaml", "is missing.",
                                    fix=f"add the strategy content for {authority_id} / {group_id}, "
                                        "or exclude the pair in params/project.yaml under matrix.exclude."))
            continue
        if not is_inside(path, workspace):
            problems.append(Problem(path.relative_to(workspace).as_posix(), "is a link to a file outside the workspace.",
                                    fix="copy the file into the workspace."))
            continue
        model, lines = _load_model(path, Strategy, workspace, problems, language, raw)
        files[f"strategy:{authority_id}/{group_id}"] = path
        if model is not None:
            strategies[(authority_id, group_id)] = model
            authority = authorities.get(authority_id)
            group = client_groups.get(group_id)
            if authority is not None and group is not None:
                problems.extend(check_strategy(model, authority, group, path.relative_to(workspace).as_posix(), lines))
            if project is not None:
                problems.extend(_check_dates(model, project.edition, path.relative_to(workspace).as_posix(), lines))

    for authority_id, authority in authorities.items():
        problems.extend(_check_authority(authority, authority_id, workspace, auth_lines[authority_id]))
    if language == DEFAULT_LANGUAGE:
        problems.extend(_translation_warnings(authorities, strategies, raw))

    errors = [p for p in problems if p.severity == "error"]
    if errors or project is None:
        raise ParamsError(problems)
    return Params(workspace, project, authorities, client_groups, strategies, files,
                  warnings=[p for p in problems if p.severity != "error"], summaries=summaries)


def _stray_strategies(params_dir: Path, workspace: Path, authority_ids: set[str], group_ids: set[str]) -> list[Problem]:
    """Strategy files no document reads: a folder that is no authority, a file that is no client group
    (a Welsh `older-people.cy.yaml` most often: Welsh goes in the English file), a `.yml` file."""
    from strategy_docs.inputs.checks import did_you_mean  # lazy: checks reads data, which params need not

    problems: list[Problem] = []
    folder = params_dir / "strategies"
    if not folder.is_dir():
        return problems
    welsh = ("Welsh texts go in the strategy's own file, each written as {en: ..., cy: ...} (docs/params.md, "
             "'Welsh and English'); move them there and delete this file.")
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if p.suffix in (".yaml", ".yml"))
        display = sub.relative_to(workspace).as_posix() + "/"
        if files and sub.name not in authority_ids:
            problems.append(Problem(display, f"is a folder of strategies for '{sub.name}', which is not an authority "
                                             f"(no params/authorities/{sub.name}.yaml), so none of them is built.",
                                    fix=did_you_mean(sub.name, authority_ids) +
                                        "rename the folder to an authority's identifier, or add that authority's file."))
            continue
        for path in files:
            display = path.relative_to(workspace).as_posix()
            stem = path.stem
            if path.suffix == ".yml":
                if path.with_suffix(".yaml").exists():
                    continue  # two files for one strategy: source_problems names both
                problems.append(Problem(display, "is never read: strategy files end in '.yaml'.",
                                        fix=f"rename it to {stem}.yaml (or delete it if that file exists)."))
            elif stem.endswith(".cy") and stem[:-3] in group_ids:
                problems.append(Problem(display, "is never read: there are no separate Welsh strategy files.", fix=welsh))
            elif stem not in group_ids:
                problems.append(Problem(display, f"is never read: '{stem}' is not a client group (no "
                                                 f"params/client-groups/{stem}.yaml).",
                                        fix=did_you_mean(stem, group_ids) +
                                            "name the file after a client group, or add that client group's file."))
    return problems


def _translation_warnings(authorities: dict[str, Authority], strategies: dict, raw: dict) -> list[Problem]:
    """One warning per file of a bilingual document whose free texts lack a version in one of its languages."""
    wanted: dict[str, tuple[str, set[str]]] = {}  # file -> (kind, languages)
    for (authority_id, group_id) in strategies:
        authority = authorities.get(authority_id)
        for language in (authority.languages[1:] if authority else ()):
            for kind, file in (("authority", f"params/authorities/{authority_id}.yaml"),
                               ("client-group", f"params/client-groups/{group_id}.yaml"),
                               ("strategy", f"params/strategies/{authority_id}/{group_id}.yaml")):
                wanted.setdefault(file, (kind, set()))[1].add(language)
    models = {"authority": Authority, "client-group": ClientGroup, "strategy": Strategy}
    problems = []
    for file, (kind, languages) in sorted(wanted.items()):
        if file not in raw or not isinstance(raw[file][0], dict):
            continue
        data, lines = raw[file]
        for language in sorted(languages):
            warning = translation_warning(data, kind, language, file, lines, named_path)
            if warning is not None:
                problems.append(warning)
            # The other language's texts must pass the same checks (length, required, ...): a
            # document that validates never fails in one of its languages.
            localised, _ = localise(data, kind, language, file, lines)
            try:
                models[kind].model_validate(localised)
            except PydanticValidationError as exc:
                problems.extend(dataclasses.replace(problem, message=f"(in its {language} version) {problem.message}")
                                for problem in _pydantic_problems(exc, file, lines, data))
    return problems


def _load_folder(folder: Path, model: type[Model], kind: str, workspace: Path, files: dict[str, Path],
                 problems: list[Problem], language: str = DEFAULT_LANGUAGE,
                 raw: dict | None = None) -> tuple[dict, dict[str, LineMap]]:
    """One model per YAML file in a folder, keyed by the file name (the identifier)."""
    models: dict = {}
    lines_by_id: dict[str, LineMap] = {}
    for path in _safe_yaml_files(folder, workspace, problems):
        if not _check_id_from_filename(path, workspace, problems):
            continue
        loaded, lines = _load_model(path, model, workspace, problems, language, raw)
        files[f"{kind}:{path.stem}"] = path
        if loaded is not None:
            models[path.stem] = loaded
            lines_by_id[path.stem] = lines
    return models, lines_by_id


def _check_matrix(project: Project, authority_ids: set[str], group_ids: set[str], problems: list[Problem],
                  lines: LineMap | None = None) -> None:
    file = "params/project.yaml"
    lines = lines or LineMap()
    if project.matrix.authorities != "all":
        for i, a in enumerate(project.matrix.authorities):
            if a not in authority_ids:
                problems.append(Problem(file, f"names authority '{a}', which has no file params/authorities/{a}.yaml.",
                                        field=f"matrix.authorities[{i}]", line=lines.line_for(("matrix", "authorities", i)),
                                        fix=f"add the file or use one of: {', '.join(sorted(authority_ids)) or 'none yet'}."))
    if project.matrix.client_groups != "all":
        for i, g in enumerate(project.matrix.client_groups):
            if g not in group_ids:
                problems.append(Problem(file, f"names client group '{g}', which has no file params/client-groups/{g}.yaml.",
                                        field=f"matrix.client_groups[{i}]", line=lines.line_for(("matrix", "client_groups", i)),
                                        fix=f"add the file or use one of: {', '.join(sorted(group_ids)) or 'none yet'}."))
    for i, e in enumerate(project.matrix.exclude):
        if e.authority not in authority_ids or e.client_group not in group_ids:
            problems.append(Problem(file, f"excludes {e.authority} / {e.client_group}, which is not in the matrix.",
                                    field=f"matrix.exclude[{i}]", line=lines.line_for(("matrix", "exclude", i)),
                                    fix="check the spelling of both identifiers."))


def _check_covers(groups: dict[str, ClientGroup], lines: dict[str, LineMap]) -> list[Problem]:
    """A covering group names other groups that exist and cover none themselves (one level, so no cycles)."""
    problems = []
    for group_id, group in groups.items():
        for i, covered in enumerate(group.covers):
            where = dict(file=f"params/client-groups/{group_id}.yaml", field=f"covers[{i}]",
                         line=lines[group_id].line_for(("covers", i)))
            if covered == group_id:
                problems.append(Problem(message="a client group cannot cover itself.", fix="remove it from covers.", **where))
            elif covered not in groups:
                problems.append(Problem(message=f"names client group '{covered}', which has no file "
                                        f"params/client-groups/{covered}.yaml.",
                                        fix=f"use one of: {', '.join(sorted(set(groups) - {group_id}))}.", **where))
            elif groups[covered].covers:
                problems.append(Problem(message=f"'{covered}' covers other groups itself.",
                                        fix=f"list the groups '{covered}' covers here instead.", **where))
        if len(set(group.covers)) != len(group.covers):
            problems.append(Problem(f"params/client-groups/{group_id}.yaml", "names a client group twice.",
                                    field="covers", line=lines[group_id].line_for(("covers",)),
                                    fix="list each covered group once."))
    return problems


def _check_authority(authority: Authority, authority_id: str, workspace: Path, lines: LineMap) -> list[Problem]:
    file = f"params/authorities/{authority_id}.yaml"
    problems = []
    _duplicates([loc.code for loc in authority.localities], "localities", "code", file, lines, problems)
    logo = authority.branding.logo
    if logo:
        logo_path = workspace / logo
        where = dict(file=file, field="branding.logo", line=lines.line_for(("branding", "logo")))
        try:
            outside = Path(logo).is_absolute() or ".." in Path(logo).parts or not is_inside(logo_path, workspace)
            exists = not outside and logo_path.is_file()
        except (OSError, ValueError):  # a name too long for the filesystem, a NUL byte...
            outside, exists = False, False
        if outside:
            problems.append(Problem(message=f"{_shown(logo)} points outside the workspace.",
                                    fix="put the logo inside the workspace (e.g. params/logos/) and give a relative path.", **where))
        elif not exists:
            problems.append(Problem(message=f"the logo file {_shown(logo)} does not exist.", fix="check the path, relative to the workspace folder.", **where))
        elif logo_path.suffix.lower() not in (".svg", ".png", ".jpg", ".jpeg"):
            problems.append(Problem(message="the logo must be an SVG, PNG or JPEG file.", fix="convert it to SVG or PNG.", **where))
    try:
        vocabulary_of(authority.cycle)
    except ValueError as exc:
        problems.append(Problem(file, str(exc), field="cycle", line=lines.line_for(("cycle",))))
    return problems


def _duplicates(values: list[str], list_name: str, key: str, file: str, lines: LineMap, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            problems.append(Problem(file, f"the {key} '{value}' is used twice (also at {list_name}[{seen[value]}]).",
                                    field=f"{list_name}[{index}].{key}", line=lines.line_for((list_name, index, key)),
                                    fix=f"give each entry its own {key}."))
        else:
            seen[value] = index


def check_strategy(strategy: Strategy, authority: Authority, group: ClientGroup, file: str, lines: LineMap,
                   name_items: bool = True) -> list[Problem]:
    """Cross-reference checks within one strategy file, against its authority and client group.

    Field paths name list items by id (`risks[R2]`); `name_items=False` keeps positions, for
    callers that map a problem back to a row (registers.py)."""
    problems: list[Problem] = []

    def problem(path: tuple, message: str, fix: str = "", severity: str = "error") -> None:
        field = named_path(path, strategy.model_dump(include={path[0]})) if name_items else format_path(path)
        problems.append(Problem(file, message, field=field, line=lines.line_for(path), fix=fix, severity=severity))

    _duplicates([h.id for h in strategy.hypotheses], "hypotheses", "id", file, lines, problems)
    _duplicates([t.id for t in strategy.themes], "themes", "id", file, lines, problems)
    _duplicates([i.id for i in strategy.intentions], "intentions", "id", file, lines, problems)
    _duplicates([r.id for r in strategy.risks], "risks", "id", file, lines, problems)
    _duplicates([i.id for i in strategy.indicators], "indicators", "id", file, lines, problems)
    outcome_codes = [o.code for o in strategy.outcomes.items if o.code is not None]
    sub_codes = [s.code for o in strategy.outcomes.items for s in o.sub_outcomes]
    seen_codes: set[str] = set()
    for i, code in enumerate(outcome_codes + sub_codes):
        if code in seen_codes:
            problem(("outcomes", "items"), f"the outcome code '{code}' is used twice.", "give each outcome and sub-outcome its own code.")
        seen_codes.add(code)

    n = len(strategy.hypotheses)
    if n and not 8 <= n <= 10:
        problem(("hypotheses",), f"has {plural(n, 'hypothesis', 'hypotheses')}; the practice guidance recommends 8 to 10 key hypotheses.",
                "consider merging or adding hypotheses.", severity="warning")
    if len(strategy.gap_analysis) > 8:
        problem(("gap_analysis",), f"has {len(strategy.gap_analysis)} strategic objectives; the guidance suggests 7-8 at most.",
                "merge related objectives.", severity="warning")

    hypothesis_ids = {h.id for h in strategy.hypotheses}
    measure_ids = {m.id for m in group.measures}
    service_types = set(group.service_types)
    for i, h in enumerate(strategy.hypotheses):
        if h.test is None:
            continue
        spec = METRICS.get(h.test.metric)
        if spec is None:
            problem(("hypotheses", i, "test", "metric"), f"unknown metric '{h.test.metric}'.",
                    f"use one of: {', '.join(sorted(METRICS))}.")
            continue
        allowed = set(_metric_args(spec))
        before = len(problems)
        required = {name for name, arg in (spec.get("args") or {}).items() if isinstance(arg, dict) and arg.get("required")}
        for arg in sorted(required - set(h.test.args)):
            problem(("hypotheses", i, "test", "args"), f"the metric '{h.test.metric}' needs the argument '{arg}'.",
                    f"add args.{arg}, or leave out 'test' (the hypothesis is then shown without a verdict).")
        for arg, value in h.test.args.items():
            if arg not in allowed:
                problem(("hypotheses", i, "test", "args", arg), f"the metric '{h.test.metric}' has no argument '{arg}'.",
                        f"allowed: {', '.join(sorted(allowed)) or 'none'}.")
            elif arg in ("measure", "service_type", "indicator_id") and not isinstance(value, str):
                problem(("hypotheses", i, "test", "args", arg), f"the argument '{arg}' must be one identifier, not {_shown(value)}.",
                        "give a single value.")
            elif arg == "measure" and value not in measure_ids:
                problem(("hypotheses", i, "test", "args", arg), f"unknown measure '{value}'.",
                        f"use one of the client group's measures: {', '.join(sorted(measure_ids))}.")
            elif arg == "service_types" and not set([value] if isinstance(value, str) else value) <= service_types:
                problem(("hypotheses", i, "test", "args", arg), f"unknown service type in {value!r}.",
                        f"use these: {', '.join(sorted(service_types))}.")
            elif arg in ("service_type",) and value not in service_types:
                problem(("hypotheses", i, "test", "args", arg), f"unknown service type '{value}'.",
                        f"use one of: {', '.join(sorted(service_types))}.")
            elif arg == "indicator_id" and value not in {ind.id for ind in strategy.indicators}:
                problem(("hypotheses", i, "test", "args", arg), f"unknown indicator '{value}'.",
                        "use the id of one of this strategy's indicators.")
        if len(problems) == before:  # the shape evaluating the test needs (a year a whole number, a name text)
            try:
                check_args(h.test.metric, h.test.args)
            except ValueError as exc:
                problem(("hypotheses", i, "test", "args"), str(exc)[:1].lower() + str(exc)[1:],
                        "write a year as a number such as 2030, and a name as text.")

    for i, gap in enumerate(strategy.gap_analysis):
        for j, hid in enumerate(gap.hypotheses):
            if hid not in hypothesis_ids:
                problem(("gap_analysis", i, "hypotheses", j), f"refers to hypothesis '{hid}', which is not defined.",
                        f"use one of: {', '.join(sorted(hypothesis_ids))}.")
        if gap.measure is not None and gap.measure not in measure_ids:
            problem(("gap_analysis", i, "measure"), f"unknown measure '{gap.measure}'.",
                    f"use one of the client group's measures: {', '.join(sorted(measure_ids))}.")
        for j, st in enumerate(gap.service_types):
            if st not in service_types:
                problem(("gap_analysis", i, "service_types", j), f"unknown service type '{st}'.",
                        f"use one of: {', '.join(sorted(service_types))}.")
        for st, rate in gap.uptake_rate.items():
            if st not in service_types:
                problem(("gap_analysis", i, "uptake_rate", st), f"unknown service type '{st}'.",
                        f"use one of: {', '.join(sorted(service_types))}.")
            elif not 0 < rate <= 100:
                problem(("gap_analysis", i, "uptake_rate", st), f"uptake rate {rate} is not a percentage above 0.",
                        "give the percent of people with the need who use the service, e.g. 2.5.")
            elif gap.measure is None:
                problem(("gap_analysis", i, "uptake_rate"), "an uptake rate needs a measure to apply to.",
                        "add 'measure:' to this row or remove 'uptake_rate'.")

    all_codes = set(outcome_codes) | set(sub_codes)
    theme_ids = {t.id for t in strategy.themes}
    for i, theme in enumerate(strategy.themes):
        for j, code in enumerate(theme.outcomes):
            if code not in all_codes:
                problem(("themes", i, "outcomes", j), f"refers to outcome '{code}', which is not defined.",
                        f"use one of the outcome codes: {', '.join(sorted(all_codes))}.")

    try:
        vocabulary = vocabulary_of(authority.cycle)
    except ValueError:
        vocabulary = None
    intention_ids = [i.id for i in strategy.intentions]
    shares = {i.id: i.cycle.same_as for i in strategy.intentions if i.cycle is not None and i.cycle.same_as}
    for i, intention in enumerate(strategy.intentions):
        same_as = intention.cycle.same_as if intention.cycle is not None else None
        if same_as is None:
            pass
        elif same_as == intention.id:
            problem(("intentions", i, "cycle", "same_as"), "an intention cannot share its own cycle position.",
                    "give its 'current' stage instead.")
        elif same_as not in intention_ids:
            problem(("intentions", i, "cycle", "same_as"), f"refers to intention '{same_as}', which is not defined.",
                    f"use the id of another intention: {', '.join(x for x in intention_ids if x != intention.id)}; "
                    "or give this one's 'current' stage.")
        else:
            seen, at = {intention.id}, same_as
            while at in shares and at not in seen:
                seen.add(at)
                at = shares[at]
            if at in seen:
                problem(("intentions", i, "cycle", "same_as"),
                        f"'{intention.id}' and '{same_as}' refer to each other's cycle position, so neither states one.",
                        "give the 'current' stage of one of them.")
    used_themes = {intention.theme for intention in strategy.intentions}
    for i, theme in enumerate(strategy.themes):
        if theme.id not in used_themes:  # the document shows a theme as the heading of its intentions
            problem(("themes", i), f"the theme '{theme.id}' has no intentions, so it would not be shown (nor its "
                                   "summary or outcomes).",
                    f"give it intentions ('theme: {theme.id}' in an intention), or remove the theme.",
                    severity="warning")  # a warning: the last intention of a theme is often done and removed
    for i, intention in enumerate(strategy.intentions):
        if intention.theme not in theme_ids:
            problem(("intentions", i, "theme"), f"refers to theme '{intention.theme}', which is not defined.",
                    f"use one of: {', '.join(sorted(theme_ids))}." if theme_ids else
                    f"add the theme under 'themes' (- id: {intention.theme}, with its name).")
        for j, code in enumerate(intention.outcomes):
            if code not in all_codes:
                problem(("intentions", i, "outcomes", j), f"refers to outcome '{code}', which is not defined.",
                        f"use one of the outcome codes: {', '.join(sorted(all_codes))}.")
        if vocabulary is not None and intention.cycle is not None:
            for key in ("current", "expected"):
                if getattr(intention.cycle, key) is None:
                    continue
                try:
                    vocabulary.parse(getattr(intention.cycle, key))
                except ValueError as exc:
                    problem(("intentions", i, "cycle", key), str(exc),
                            "use one of the stages, or map the plan's word to a stage under cycle.synonyms in "
                            "the authority's file (e.g. 'Implementation: Do').")
            if intention.cycle.expected is not None:
                try:
                    cur = vocabulary.parse(intention.cycle.current)
                    exp = vocabulary.parse(intention.cycle.expected)
                except ValueError:
                    continue
                if exp[1] < cur[0]:
                    problem(("intentions", i, "cycle", "expected"),
                            "the expected position is earlier in the cycle than the current one.",
                            "check the two positions (the cycle only moves forward within a year).", severity="warning")

    _check_skeleton(strategy, problem)
    for i, case in enumerate(strategy.case_examples):
        for j, code in enumerate(case.outcomes):
            if code not in all_codes:
                problem(("case_examples", i, "outcomes", j), f"refers to outcome '{code}', which is not defined.",
                        f"use one of the outcome codes: {', '.join(sorted(all_codes)) or 'none yet (add outcomes.items)'}; "
                        "or map the example to a theme under 'themes'.")
        for j, theme in enumerate(case.themes):
            if theme not in theme_ids:
                problem(("case_examples", i, "themes", j), f"refers to theme '{theme}', which is not defined.",
                        f"use one of: {', '.join(sorted(theme_ids)) or 'none yet (add themes)'}.")

    for i, ind in enumerate(strategy.indicators):
        if ind.polarity is None or ind.target is None or ind.baseline is None:
            continue
        worse = ind.target < ind.baseline if ind.polarity == "higher" else ind.target > ind.baseline
        if worse or ind.target == ind.baseline:
            better = "higher" if ind.polarity == "higher" else "lower"
            problem(("indicators", i, "target"),
                    f"the target {ind.target:g} is {'worse than' if worse else 'the same as'} the baseline {ind.baseline:g}, "
                    f"although {better} is better (polarity: {ind.polarity}).",
                    "check the target, the baseline and the polarity.", severity="warning")
    for i, risk in enumerate(strategy.risks):
        if risk.residual is not None and risk.inherent is not None and risk.residual.score > risk.inherent.score:
            problem(("risks", i, "residual"), "the residual score is higher than the score before mitigation.",
                    "check likelihood and impact after mitigation.", severity="warning")
    return problems


def _check_dates(strategy: Strategy, edition: Edition, file: str, lines: LineMap) -> list[Problem]:
    """The plan's dates against its period (1 April of the start year to 31 March after the end year)."""
    start, end = dt.date(edition.start_year, 4, 1), dt.date(edition.end_year + 1, 3, 31)
    period = f"the strategy period ({edition.label}, {start:%-d %B %Y} to {end:%-d %B %Y})"
    control = strategy.document_control
    problems: list[Problem] = []

    def problem(path: tuple, message: str, fix: str) -> None:
        problems.append(Problem(file, message, field=format_path(path), line=lines.line_for(path), fix=fix))

    published = control.publication_date
    if published is not None and published > end:
        problem(("document_control", "publication_date"), f"the plan is published on {published}, after the end of {period}.",
                "check the date, or the edition's start_year and years in params/project.yaml.")
    if control.valid_until is not None and control.valid_until < start:
        problem(("document_control", "valid_until"), f"the plan is valid until {control.valid_until}, before the start of "
                                                     f"{period}.", "check the date, or the edition in params/project.yaml.")
    return problems


def _check_skeleton(strategy: Strategy, problem) -> None:
    """The plan's own skeleton names built-in sections that exist, each once, and narrative sections
    with ids of their own."""
    from strategy_docs.sections.markup import slugify
    from strategy_docs.sections.registry import DEFAULT_ORDER, resolve, short_id

    known = ", ".join(short_id(s) for s in DEFAULT_ORDER)
    placed: dict[str, int] = {}
    numbered: dict[str, int] = {}
    for i, entry in enumerate(strategy.sections):
        if entry.number is not None:
            if entry.number in numbered:
                problem(("sections", i, "number"), f"the number '{entry.number}' is also given to sections[{numbered[entry.number]}].",
                        "give each section its own number, as the plan numbers them.")
            numbered.setdefault(entry.number, i)
        if entry.narrative:
            name = entry.id or slugify(entry.title)
            if resolve(name) is not None:
                problem(("sections", i, "id"), f"the narrative section's id '{name}' is the id of a built-in section.",
                        "give it an 'id' of its own (e.g. 'our-vision').")
                continue
        else:
            name = resolve(entry.id) or ""
            if not name:
                problem(("sections", i, "id"), f"there is no built-in section '{entry.id}'.",
                        f"use one of: {known}; or give 'title' and 'text' for a narrative section of the plan's own.")
                continue
        if name in placed:
            problem(("sections", i), f"the section '{short_id(name)}' is listed twice (also at sections[{placed[name]}]).",
                    "list each section once, where the plan has it" +
                    ("; give a narrative section an 'id' of its own." if entry.narrative else "."))
        placed.setdefault(name, i)


def _metric_args(spec: Any) -> list[str]:
    if isinstance(spec, dict):
        args = spec.get("args", [])
    else:
        args = getattr(spec, "args", [])
    if isinstance(args, dict):
        return list(args)
    return [a.rstrip("?") for a in args]
