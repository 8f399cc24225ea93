"""Typed models of the parameters, and loading them with every problem reported at once.

A workspace has one project file, one file per authority, one per client group, and one
strategy file per (authority, client group). Models reject unknown keys so a misspelt field
is an error rather than silently ignored; cross-references (a gap citing a hypothesis, an
intention citing a theme) are checked after every file has been read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from .errors import ParamsError, Problem
from .yamlio import LineMap, format_path, read_yaml

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
    """The commissioning-cycle vocabulary this authority uses (IPC analyse/plan/do/review by default)."""

    stages: list[Text] = Field(default_factory=lambda: list(IPC_STAGES), min_length=2, max_length=12)
    synonyms: dict[str, str] = {}


class RiskBand(Model):
    min_score: int = Field(ge=1, le=25)
    label: Text
    tone: Literal["good", "warning", "bad", "neutral"]


DEFAULT_RISK_BANDS = [
    {"min_score": 1, "label": "Low", "tone": "good"},
    {"min_score": 5, "label": "Medium", "tone": "warning"},
    {"min_score": 10, "label": "High", "tone": "bad"},
    {"min_score": 15, "label": "Very high", "tone": "bad"},
]


class RagRules(Model):
    amber_tolerance_percent: float = Field(default=5.0, ge=0, le=100)
    comparator_rescues: bool = True


class PolicyDriver(Model):
    name: Text
    summary: Markdown = ""
    level: Literal["national", "regional", "local"] = "local"


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
    short_name: Text
    kind: Text
    nation: Literal["england", "wales"]
    partners: list[Partner] = Field(min_length=1)
    localities: list[Locality] = Field(min_length=1)
    comparators: list[Text] = []
    branding: Branding = Branding()
    cycle: CycleSettings = CycleSettings()
    risk_bands: list[RiskBand] = Field(default_factory=lambda: [RiskBand(**b) for b in DEFAULT_RISK_BANDS])
    rag_rules: RagRules = RagRules()
    local_policy: list[PolicyDriver] = []
    accessibility_statement: AccessibilityStatement | None = None

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
    definition: Markdown
    age_range: AgeRange
    measures: list[Measure] = Field(min_length=1)
    service_types: list[Text] = Field(min_length=1)


# ---------------------------------------------------------------- strategy


class VersionEntry(Model):
    version: Text
    date: dt.date
    author: str = ""
    comments: str = ""


class DocumentControl(Model):
    title: Text
    purpose: Markdown
    reference: str = ""
    authors: list[Text] = Field(min_length=1)
    owner: Text
    status: Literal["draft", "consultation", "final"]
    publication_date: dt.date
    valid_until: dt.date
    distribution: Text
    classification: Text = "OFFICIAL"
    version_history: list[VersionEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates(self) -> "DocumentControl":
        if self.valid_until <= self.publication_date:
            raise ValueError("valid_until must be after publication_date")
        return self


class Context(Model):
    summary: Markdown
    scope: Markdown
    services_included: list[Text] = Field(min_length=1)
    partnership: Markdown = ""
    consultation: Markdown = ""
    local_drivers: list[PolicyDriver] = []


class HypothesisTest(Model):
    metric: Ident
    args: dict[str, str | int | float | list[str]] = {}
    comparison: Literal[">", ">=", "<", "<="]
    threshold: float
    margin: float = Field(default=0.0, ge=0)


class Hypothesis(Model):
    id: Ident
    statement: Markdown
    service_area: str = ""
    evidence_needed: Text
    test: HypothesisTest | None = None
    verdict: Literal["accepted", "refuted", "inconclusive"] | None = None
    reason: str = ""
    implication: Markdown = ""

    @model_validator(mode="after")
    def _test_or_verdict(self) -> "Hypothesis":
        if self.test is None and self.verdict is None:
            raise ValueError("give either a 'test' bound to the data or a recorded 'verdict' with its 'reason'")
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
    code: Ident
    name: Text
    aspiration: str = ""
    i_statement: str = ""
    sub_outcomes: list[SubOutcome] = []
    commissioning: Commissioning | None = None


class Outcomes(Model):
    style: Literal["framework", "i-statements"] = "framework"
    introduction: Markdown = ""
    items: list[Outcome] = Field(min_length=1)


class GapRow(Model):
    objective: Text
    service_developments: Markdown
    rationale: Markdown
    implications: Markdown
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


class CyclePosition(Model):
    current: Text
    expected: Text


class Intention(Model):
    id: Ident
    theme: Ident
    title: Text
    details: Markdown
    drivers: list[Text] = Field(min_length=1)
    type: Literal["invest", "disinvest", "new", "reconfigure"]
    cycle: CyclePosition
    activity: Markdown
    owner: Text
    timescale: Text
    outcomes: list[Ident] = []


class Score(Model):
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class Risk(Model):
    id: Ident
    title: Text
    cause: Text
    event: Text
    effect: Text
    inherent: Score
    residual: Score
    owner: Text
    mitigations: list[Text] = Field(min_length=1)
    review_date: dt.date
    review_flag: bool = False


class Indicator(Model):
    id: Ident
    name: Text
    source: Text
    code: Text
    polarity: Literal["higher", "lower"]
    unit: Literal["percent", "count", "rate per 100,000", "rate per 10,000", "rate per 1,000", "days", "weeks", "years",
                  "score", "ratio", "pounds"]
    target: float
    frequency: Text = "Quarterly"
    action: Markdown = ""
    baseline: float | None = None


class Monitoring(Model):
    arrangements: Markdown
    frequency: Text
    review_group: Text
    next_review: dt.date


class BudgetTotals(Model):
    """Totals the budget holder has signed off; computed totals must agree with them."""

    financial_year: Annotated[str, StringConstraints(pattern=r"^\d{4}/\d{2}$")]
    groups: dict[str, float] = {}
    net_total: float | None = None


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


class Strategy(Model):
    document_control: DocumentControl
    context: Context
    hypotheses: list[Hypothesis] = Field(min_length=1)
    outcomes: Outcomes
    gap_analysis: list[GapRow] = Field(min_length=1)
    themes: list[Theme] = Field(min_length=1)
    intentions: list[Intention] = Field(min_length=1)
    risks: list[Risk] = Field(min_length=1)
    indicators: list[Indicator] = Field(min_length=1)
    monitoring: Monitoring
    budget_totals: BudgetTotals | None = None
    consultation: Consultation | None = None

    @model_validator(mode="after")
    def _consultation_closes_after_publication(self) -> "Strategy":
        if self.consultation and self.consultation.closing_date <= self.document_control.publication_date:
            raise ValueError("consultation.closing_date must be after document_control.publication_date")
        return self


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


def _pydantic_problems(exc: PydanticValidationError, file: str, lines: LineMap) -> list[Problem]:
    problems = []
    for err in _union_errors(exc.errors()):
        loc = tuple(err["loc"])
        kind = err["type"]
        path = format_path(loc)
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
        problems.append(Problem(file=file, line=lines.line_for(loc), field=path, message=message, fix=fix))
    return problems


def _load_model(path: Path, model: type[Model], workspace: Path, problems: list[Problem]):
    display = path.relative_to(workspace).as_posix()
    data, lines, read_problems = read_yaml(path, display)
    problems.extend(read_problems)
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
        return model.model_validate(data), lines
    except PydanticValidationError as exc:
        problems.extend(_pydantic_problems(exc, display, lines))
        # The cross-checks need a valid model; duplicate ids can still be found in the raw
        # data, so one run lists them alongside the schema problems.
        for list_name, key in _ID_LISTS.get(model, ()):
            items = data.get(list_name)
            if isinstance(items, list):
                values = [item.get(key) if isinstance(item, dict) and isinstance(item.get(key), str) else object()
                          for item in items]
                _duplicates(values, list_name, key, display, lines, problems)
        return None, lines


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
        if not is_inside(path, workspace):
            problems.append(Problem(path.relative_to(workspace).as_posix(),
                                    "is a link to a file outside the workspace.",
                                    fix="copy the file into the workspace instead of linking to it."))
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
    problems.append(Problem(path.relative_to(workspace).as_posix(),
                            f"the file name '{path.stem}' is not a valid identifier.",
                            fix="rename the file using lower-case letters, digits and hyphens (e.g. 'older-people.yaml')."))
    return False


def load_params(workspace: Path, pairs_filter=None) -> Params:
    """Read and validate every parameters file; raise ParamsError listing every problem."""
    workspace = Path(workspace).resolve()
    problems: list[Problem] = []
    params_dir = workspace / "params"
    project_file = params_dir / "project.yaml"
    files: dict[str, Path] = {}
    project = None
    project_lines = LineMap()
    if not project_file.is_file():
        problems.append(Problem("params/project.yaml", "is missing.", fix="run 'strategy-docs init' or copy the example project file."))
    else:
        project, project_lines = _load_model(project_file, Project, workspace, problems)
        files["project"] = project_file

    authorities, auth_lines = _load_folder(params_dir / "authorities", Authority, "authority", workspace, files, problems)
    client_groups, _ = _load_folder(params_dir / "client-groups", ClientGroup, "client-group", workspace, files, problems)

    all_authority_ids = {p.stem for p in (params_dir / "authorities").glob("*.y*ml")}
    all_group_ids = {p.stem for p in (params_dir / "client-groups").glob("*.y*ml")}
    if not all_authority_ids:
        problems.append(Problem("params/authorities/", "has no authority files.", fix="add one YAML file per authority."))
    if not all_group_ids:
        problems.append(Problem("params/client-groups/", "has no client group files.", fix="add one YAML file per client group."))

    strategies: dict[tuple[str, str], Strategy] = {}
    pairs: list[tuple[str, str]] = []
    if project is not None:
        _check_matrix(project, all_authority_ids, all_group_ids, problems, project_lines)
        pairs = matrix_pairs(project, sorted(all_authority_ids), sorted(all_group_ids))
    else:  # the matrix is unknown: still check every strategy file there is, so one run lists every problem
        pairs = sorted({(p.parent.name, p.stem) for p in (params_dir / "strategies").glob("*/*.yaml")
                        if re.match(SLUG_PATTERN, p.parent.name) and re.match(SLUG_PATTERN, p.stem)})
    if pairs_filter is not None:
        pairs = [p for p in pairs if pairs_filter(p)]
    for authority_id, group_id in pairs:
        path = params_dir / "strategies" / authority_id / f"{group_id}.yaml"
        if not path.is_file():
            problems.append(Problem(f"params/strategies/{authority_id}/{group_id}.yaml", "is missing.",
                                    fix=f"add the strategy content for {authority_id} / {group_id}, "
                                        "or exclude the pair in params/project.yaml under matrix.exclude."))
            continue
        if not is_inside(path, workspace):
            problems.append(Problem(path.relative_to(workspace).as_posix(), "is a link to a file outside the workspace.",
                                    fix="copy the file into the workspace."))
            continue
        model, lines = _load_model(path, Strategy, workspace, problems)
        files[f"strategy:{authority_id}/{group_id}"] = path
        if model is not None:
            strategies[(authority_id, group_id)] = model
            authority = authorities.get(authority_id)
            group = client_groups.get(group_id)
            if authority is not None and group is not None:
                problems.extend(check_strategy(model, authority, group, path.relative_to(workspace).as_posix(), lines))

    for authority_id, authority in authorities.items():
        problems.extend(_check_authority(authority, authority_id, workspace, auth_lines[authority_id]))

    errors = [p for p in problems if p.severity == "error"]
    if errors or project is None:
        raise ParamsError(problems)
    return Params(workspace, project, authorities, client_groups, strategies, files,
                  warnings=[p for p in problems if p.severity != "error"])


def _load_folder(folder: Path, model: type[Model], kind: str, workspace: Path, files: dict[str, Path],
                 problems: list[Problem]) -> tuple[dict, dict[str, LineMap]]:
    """One model per YAML file in a folder, keyed by the file name (the identifier)."""
    models: dict = {}
    lines_by_id: dict[str, LineMap] = {}
    for path in _safe_yaml_files(folder, workspace, problems):
        if not _check_id_from_filename(path, workspace, problems):
            continue
        loaded, lines = _load_model(path, model, workspace, problems)
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
        from .analysis.cycle import CycleVocabulary

        CycleVocabulary(authority.cycle.stages, authority.cycle.synonyms)
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


def check_strategy(strategy: Strategy, authority: Authority, group: ClientGroup, file: str, lines: LineMap) -> list[Problem]:
    """Cross-reference checks within one strategy file, against its authority and client group."""
    problems: list[Problem] = []

    def problem(path: tuple, message: str, fix: str = "", severity: str = "error") -> None:
        problems.append(Problem(file, message, field=format_path(path), line=lines.line_for(path), fix=fix, severity=severity))

    _duplicates([h.id for h in strategy.hypotheses], "hypotheses", "id", file, lines, problems)
    _duplicates([t.id for t in strategy.themes], "themes", "id", file, lines, problems)
    _duplicates([i.id for i in strategy.intentions], "intentions", "id", file, lines, problems)
    _duplicates([r.id for r in strategy.risks], "risks", "id", file, lines, problems)
    _duplicates([i.id for i in strategy.indicators], "indicators", "id", file, lines, problems)
    outcome_codes = [o.code for o in strategy.outcomes.items]
    sub_codes = [s.code for o in strategy.outcomes.items for s in o.sub_outcomes]
    seen_codes: set[str] = set()
    for i, code in enumerate(outcome_codes + sub_codes):
        if code in seen_codes:
            problem(("outcomes", "items"), f"the outcome code '{code}' is used twice.", "give each outcome and sub-outcome its own code.")
        seen_codes.add(code)

    n = len(strategy.hypotheses)
    if not 8 <= n <= 10:
        problem(("hypotheses",), f"has {n} hypotheses; the practice guidance recommends 8 to 10 key hypotheses.",
                "consider merging or adding hypotheses.", severity="warning")
    if len(strategy.gap_analysis) > 8:
        problem(("gap_analysis",), f"has {len(strategy.gap_analysis)} strategic objectives; the guidance suggests 7-8 at most.",
                "merge related objectives.", severity="warning")

    hypothesis_ids = {h.id for h in strategy.hypotheses}
    measure_ids = {m.id for m in group.measures}
    service_types = set(group.service_types)
    from .analysis.hypotheses import METRICS

    for i, h in enumerate(strategy.hypotheses):
        if h.test is None:
            continue
        spec = METRICS.get(h.test.metric)
        if spec is None:
            problem(("hypotheses", i, "test", "metric"), f"unknown metric '{h.test.metric}'.",
                    f"use one of: {', '.join(sorted(METRICS))}.")
            continue
        allowed = set(_metric_args(spec))
        for arg, value in h.test.args.items():
            if arg not in allowed:
                problem(("hypotheses", i, "test", "args", arg), f"the metric '{h.test.metric}' has no argument '{arg}'.",
                        f"allowed: {', '.join(sorted(allowed)) or 'none'}.")
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

    from .analysis.cycle import CycleVocabulary

    try:
        vocabulary = CycleVocabulary(authority.cycle.stages, authority.cycle.synonyms)
    except ValueError:
        vocabulary = None
    for i, intention in enumerate(strategy.intentions):
        if intention.theme not in theme_ids:
            problem(("intentions", i, "theme"), f"refers to theme '{intention.theme}', which is not defined.",
                    f"use one of: {', '.join(sorted(theme_ids))}.")
        for j, code in enumerate(intention.outcomes):
            if code not in all_codes:
                problem(("intentions", i, "outcomes", j), f"refers to outcome '{code}', which is not defined.",
                        f"use one of the outcome codes: {', '.join(sorted(all_codes))}.")
        if vocabulary is not None:
            for key in ("current", "expected"):
                try:
                    vocabulary.parse(getattr(intention.cycle, key))
                except ValueError as exc:
                    problem(("intentions", i, "cycle", key), str(exc))
            try:
                cur = vocabulary.parse(intention.cycle.current)
                exp = vocabulary.parse(intention.cycle.expected)
                if exp[1] < cur[0]:
                    problem(("intentions", i, "cycle", "expected"),
                            "the expected position is earlier in the cycle than the current one.",
                            "check the two positions (the cycle only moves forward within a year).", severity="warning")
            except ValueError:
                pass

    for i, risk in enumerate(strategy.risks):
        if risk.residual.score > risk.inherent.score:
            problem(("risks", i, "residual"), "the residual score is higher than the score before mitigation.",
                    "check likelihood and impact after mitigation.", severity="warning")
    return problems


def _metric_args(spec: Any) -> list[str]:
    if isinstance(spec, dict):
        args = spec.get("args", [])
    else:
        args = getattr(spec, "args", [])
    if isinstance(args, dict):
        return list(args)
    return [a.rstrip("?") for a in args]
