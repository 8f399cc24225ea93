"""The annual cycle: roll a workspace forward to the next edition.

``roll_forward(workspace)`` (the ``strategy-docs new-edition`` command) first archives the
current edition's parameters (and a snapshot of the data they were published with) into
``params/editions/<current-slug>/``, then moves every parameters file on one year:

* ``params/project.yaml``: ``edition.start_year`` + 1 and ``previous_edition: <old slug>``;
* every strategy file: a new version-history row (next major version), ``status: draft``,
  publication and valid-until dates a year later, each intention's ``cycle.current`` set to its
  old ``cycle.expected``, every risk flagged for review, and each indicator's ``baseline`` set
  to its latest value in ``data/<authority>/indicators.csv``.

Files are edited in place with ruamel.yaml's round-trip mode (:mod:`strategy_docs.inputs.yaml_edit`):
only the values that change are rewritten, so comments, key order, quoting and the authors'
layout survive and the version-control diff shows exactly what moved; the result is checked by
reading it back. Nothing under ``build/`` is
touched, so the previous edition's published documents stay where they are.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from strategy_docs.atomic import atomic_write
from strategy_docs.errors import DataError, ParamsError, Problem, WorkspaceError
from strategy_docs.inputs.yaml_edit import extend, round_trip, set_value
from strategy_docs.analysis.indicators import period_key
from strategy_docs.inputs.data import find_table_file, read_table
from strategy_docs.inputs.params import Edition, Strategy, load_params
from strategy_docs.sections.context import clear_cache
from strategy_docs.i18n import DEFAULT_LANGUAGE
from strategy_docs.inputs.languages import localise

__all__ = [
    "ARCHIVE_FOLDERS",
    "RollForward",
    "archive_edition",
    "edition_dir",
    "latest_indicator_values",
    "next_major_version",
    "roll_forward",
    "shift_year",
]

# What the archive holds (an exact copy), relative to params/; the data snapshot sits beside it.
ARCHIVE_FOLDERS = ("authorities", "client-groups", "strategies")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---------------------------------------------------------------------------------------------
# helpers


def shift_year(value: dt.date, years: int = 1) -> dt.date:
    """The same day a year on (29 February becomes 28 February)."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def next_major_version(versions: Iterable[Any]) -> str:
    """'0.3', '1.0', '1.2' -> '2.0'; 'v2' -> '3.0'; nothing readable -> '1.0'."""
    majors = []
    for version in versions:
        match = re.search(r"(\d+)", str(version))
        if match:
            majors.append(int(match.group(1)))
    return f"{(max(majors) if majors else 0) + 1}.0"


def edition_dir(workspace: Path, slug: str) -> Path:
    """Where an edition's parameters are archived: ``params/editions/<slug>/``."""
    if not re.match(r"^\d{4}-\d{2}$", str(slug)):
        raise WorkspaceError(f"'{slug}' is not an edition slug like 2026-27.")
    return Path(workspace) / "params" / "editions" / slug


def latest_indicator_values(indicators, client_group: str) -> dict[str, tuple[str, float]]:
    """indicator id -> (period, value) of the latest period that has a value."""
    out: dict[str, tuple[str, float]] = {}
    if indicators is None or len(indicators) == 0:
        return out
    frame = indicators
    if "client_group" in frame.columns:
        frame = frame[frame["client_group"].astype(str) == str(client_group)]
    best: dict[str, tuple] = {}
    for ind, period, value in zip(frame["indicator_id"], frame["period"], frame["value"]):
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isnan(number):
            continue
        key = period_key(period)
        if str(ind) not in best or key > best[str(ind)][0]:
            best[str(ind)] = (key, str(period), number)
    for ind, (_, period, number) in best.items():
        out[ind] = (period, int(number) if number.is_integer() and abs(number) < 1e15 else number)
    return out


def _read_indicators(workspace: Path, authority: str):
    path = find_table_file(workspace / "data" / authority, "indicators")
    if path is None:
        return None
    problems: list[Problem] = []
    frame = read_table(path, "indicators", path.relative_to(workspace).as_posix(), problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataError(problems)
    return frame


# ---------------------------------------------------------------------------------------------
# archiving and rolling forward


def archive_edition(workspace: Path, slug: str) -> Path:
    """Copy the parameters (and a snapshot of the data) into ``params/editions/<slug>/``.

    The copy is exact (``project.yaml``, ``authorities/``, ``client-groups/``, ``strategies/``),
    plus ``data/`` as it stood, so "what changed" can compare with what was published. The
    archive is written to a temporary folder and renamed, so it is either complete or absent.
    """
    workspace = Path(workspace)
    target = edition_dir(workspace, slug)
    if target.exists():
        raise WorkspaceError(
            f"The edition {slug} is already archived in {target.relative_to(workspace).as_posix()}/. "
            "Fix: if an earlier roll-forward stopped half way, check params/project.yaml and remove the "
            "archive folder before running new-edition again; never roll the same edition forward twice."
        )
    params = workspace / "params"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", dir=target.parent))
    try:
        shutil.copy2(params / "project.yaml", staging / "project.yaml")
        for folder in ARCHIVE_FOLDERS:
            if (params / folder).is_dir():
                shutil.copytree(params / folder, staging / folder)
        if (workspace / "data").is_dir():
            shutil.copytree(workspace / "data", staging / "data")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


@dataclass
class StrategyRoll:
    """What rolling one strategy file forward changed."""

    authority: str
    client_group: str
    path: Path
    version: str
    intentions_moved: int = 0
    risks_flagged: int = 0
    baselines: dict[str, tuple[str, float]] = field(default_factory=dict)
    missing_baselines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RollForward:
    """The result of :func:`roll_forward`."""

    previous_slug: str
    new_slug: str
    new_label: str
    archive: Path
    strategies: list[StrategyRoll] = field(default_factory=list)


def _project_text(text: str, old_start: int, new_start: int, slug: str) -> str:
    doc = round_trip(text)
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("edition"), dict):
        raise ParamsError([Problem("params/project.yaml", "has no 'edition' mapping.", field="edition")])
    set_value(doc.data["edition"], "start_year", new_start)
    set_value(doc.data, "previous_edition", slug)
    out = doc.text()
    # Comments on the edition's lines name its years ("# 2026/27"): move them on too.
    root = yaml.compose(out.lstrip("\ufeff"), Loader=_LOADER)
    span = next(((k.start_mark.line, v.end_mark.line) for k, v in root.value if k.value == "edition"), None)
    if span is None:
        return out
    first, last = span
    lines = out.splitlines(keepends=True)
    shift = new_start - old_start

    def bump(match: re.Match) -> str:
        year = int(match.group(1)) + shift
        if match.group(2):
            return f"{year}/{(year + 1) % 100:02d}"
        return str(year)

    for i in range(first, min(last + 1, len(lines))):
        line = lines[i]
        hash_at = _comment_start(line)
        if hash_at is not None:
            lines[i] = line[:hash_at] + re.sub(r"\b((?:19|20)\d{2})(/\d{2})?\b", bump, line[hash_at:])
    return "".join(lines)


def _comment_start(line: str) -> int | None:
    """Index of a '#' comment on a YAML line (outside quotes), or None."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
    return None


def _roll_strategy(path: Path, workspace: Path, authority: str, group: str, new_label: str, old_start: int,
                   today: dt.date, indicators) -> tuple[str, StrategyRoll, dict]:
    display = path.relative_to(workspace).as_posix()
    doc = round_trip(path.read_text(encoding="utf-8-sig"))
    data = doc.data
    if not isinstance(data, dict):
        raise ParamsError([Problem(display, "is not a mapping of keys to values.")])
    control = data.get("document_control") or {}
    history = control.get("version_history") or []
    version = next_major_version(entry.get("version") for entry in history if isinstance(entry, dict))
    roll = StrategyRoll(authority, group, path, version)
    entry = {"version": version, "date": today, "comments": f"Rolled forward to the {new_label} edition"}
    if isinstance(control.get("version_history"), list) and control["version_history"]:
        extend(control["version_history"], [entry])
    else:  # none yet (the field is optional)
        set_value(control, "version_history", [entry])
    if control.get("status") != "draft":
        set_value(control, "status", "draft")
    for key in ("publication_date", "valid_until"):
        if key in control:
            set_value(control, key, shift_year(_as_date(control[key])))
    consultation = data.get("consultation")
    if isinstance(consultation, dict) and "closing_date" in consultation:
        # It must still close after the (moved) publication date; the authors set the real one.
        set_value(consultation, "closing_date", shift_year(_as_date(consultation["closing_date"])))
        roll.notes.append("the consultation closing date moved on a year: set the new consultation's dates.")
    for i, intention in enumerate(data.get("intentions") or []):
        cycle = intention.get("cycle") if isinstance(intention, dict) else None
        if isinstance(cycle, dict) and "expected" in cycle and cycle.get("current") != cycle["expected"]:
            set_value(cycle, "current", copy.deepcopy(cycle["expected"]))
            roll.intentions_moved += 1
    for i, risk in enumerate(data.get("risks") or []):
        if isinstance(risk, dict):
            if risk.get("review_flag") is not True:
                set_value(risk, "review_flag", True)
            roll.risks_flagged += 1
    latest = latest_indicator_values(indicators, group)
    for i, indicator in enumerate(data.get("indicators") or []):
        if not isinstance(indicator, dict):
            continue
        found = latest.get(str(indicator.get("id")))
        if found is None:
            roll.missing_baselines.append(str(indicator.get("id")))
            continue
        roll.baselines[str(indicator.get("id"))] = found
        if indicator.get("baseline") != found[1]:
            set_value(indicator, "baseline", found[1])
    title = str(control.get("title", ""))
    if re.search(rf"\b{old_start}\b", title):
        roll.notes.append(f"the title mentions {old_start}: check whether it names the period.")
    reference = str(control.get("reference", ""))
    if re.search(rf"\b{old_start}\b", reference):
        roll.notes.append(f"the reference mentions {old_start}: update it if it names the edition.")
    text = doc.text()
    new_data = yaml.load(text.lstrip("\ufeff"), Loader=_LOADER)
    try:
        Strategy.model_validate(localise(new_data, "strategy", DEFAULT_LANGUAGE, display)[0])
    except Exception as exc:  # pydantic ValidationError: should not happen for a valid file
        raise ParamsError([Problem(display, f"would not be valid after rolling forward: {exc}")]) from exc
    return text, roll, new_data


def roll_forward(workspace: Path | str, today: dt.date | None = None) -> RollForward:
    """Archive the current edition and move every parameters file on one year.

    Validates the workspace first (nothing is changed if it is invalid), archives it, and
    writes each changed file atomically. Returns what was done, for the command to report.
    """
    workspace = Path(workspace).resolve()
    today = today or dt.date.today()
    params = load_params(workspace)  # raises ParamsError listing every problem: nothing changed yet
    edition = params.project.edition
    old_slug = edition.slug
    new_edition = Edition(start_year=edition.start_year + 1, years=edition.years,
                          look_ahead_years=edition.look_ahead_years)
    if edition_dir(workspace, old_slug).exists():
        archive_edition(workspace, old_slug)  # raises the clear "already archived" error

    # Work out every new file in memory first, so a problem stops the roll before any change.
    strategy_dir = workspace / "params" / "strategies"
    indicators_by_authority: dict[str, Any] = {}
    in_matrix = {a for a, _ in params.pairs()}
    planned: list[tuple[Path, str]] = []
    rolls: list[StrategyRoll] = []
    for path in sorted(strategy_dir.glob("*/*.y*ml")):
        authority, group = path.parent.name, path.stem
        data_note = None
        if authority not in indicators_by_authority:
            try:
                indicators_by_authority[authority] = _read_indicators(workspace, authority)
            except DataError:
                if authority in in_matrix:
                    raise
                indicators_by_authority[authority] = None  # outside the matrix: do not block the roll
        if indicators_by_authority[authority] is None:
            data_note = f"no readable data/{authority}/indicators table: indicator baselines were left as they were."
        text, roll, _ = _roll_strategy(path, workspace, authority, group, new_edition.label, edition.start_year,
                                       today, indicators_by_authority[authority])
        if data_note:
            roll.notes.append(data_note)
        planned.append((path, text))
        rolls.append(roll)
    project_file = workspace / "params" / "project.yaml"
    project_text = _project_text(project_file.read_text(encoding="utf-8-sig"),
                                                    edition.start_year, new_edition.start_year, old_slug)

    archive = archive_edition(workspace, old_slug)
    for path, text in planned:
        atomic_write(path, text)
    atomic_write(project_file, project_text)  # last: the project file marks the roll as done
    clear_cache()
    return RollForward(old_slug, new_edition.slug, new_edition.label, archive, rolls)


def copy_data(data: Any) -> Any:
    """A deep copy of plain YAML data (helper for callers that edit what they read)."""
    return copy.deepcopy(data)
