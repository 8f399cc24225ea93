"""What has changed since the last edition.

When a workspace is rolled forward (:mod:`strategy_docs.annual.edition`), the previous edition's
parameters are archived in ``params/editions/<slug>/`` with a snapshot of the data they were
published with. :func:`compare` sets one strategy against its previous edition and lists:

* commissioning intentions added, removed, and moved along the commissioning cycle;
* risks added, removed, and whose residual score went up or down;
* performance indicators that improved or worsened against their target;
* hypotheses whose verdict changed (tests are evaluated against each edition's data).

:func:`changes_blocks` turns the result into display blocks (a heading, short prose and
tables) for the first section of the document and for the ``strategy-docs diff`` report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from strategy_docs.analysis.indicators import direction_of_travel
from strategy_docs.outputs.scroll_regions import SCROLL_REGION_SCRIPT
from strategy_docs.sections import block_html, blocks
from strategy_docs.analysis.cycle import stated_position
from strategy_docs.errors import ParamsError, Problem
from strategy_docs.i18n import DEFAULT_LANGUAGE, translator
from strategy_docs import __version__
from strategy_docs.analysis.cycle import CycleVocabulary, IPC_VOCABULARY
from strategy_docs.analysis.formatting import fmt_number
from strategy_docs.analysis.hypotheses import IndicatorLabel, evaluate
from strategy_docs.analysis.indicators import indicator_status
from strategy_docs.analysis.risks import risk_band
from strategy_docs.annual.edition import edition_dir
from strategy_docs.inputs.bundled import template_dir
from strategy_docs.inputs.data import load_authority_data
from strategy_docs.inputs.params import Authority, ClientGroup, Project, Strategy, _load_model, load_params
from strategy_docs.sections.context import StrategyContext, note_read
from strategy_docs.sections.registry import PREVIOUS_EDITION

__all__ = [
    "Changes",
    "HypothesisChange",
    "IndicatorMove",
    "IntentionItem",
    "IntentionMove",
    "PreviousEdition",
    "RiskItem",
    "RiskMove",
    "StrategyEdition",
    "DocumentChanges",
    "matrix_changes",
    "changes_blocks",
    "changes_for_context",
    "compare",
    "diff_report",
    "load_previous",
    "previous_project",
    "what_changed_blocks",
]

TITLE = "What has changed since the last edition"
NO_EDITION = "Not in the last edition"
NOT_NOW = "Not in this edition"


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class IntentionItem:
    id: str
    title: str
    position: str  # cycle position text (current)


@dataclass(frozen=True)
class IntentionMove:
    id: str
    title: str
    previous: str  # cycle position then, in the authority's stage names
    current: str
    direction: str  # "on" | "back" | "new cycle" | "changed"


@dataclass(frozen=True)
class RiskItem:
    id: str
    title: str
    score: int | None  # None: the plan gives the risk no score
    band: str


@dataclass(frozen=True)
class RiskMove:
    id: str
    title: str
    previous_score: int
    current_score: int
    previous_band: str
    current_band: str

    @property
    def direction(self) -> str:
        return "up" if self.current_score > self.previous_score else "down"


@dataclass(frozen=True)
class IndicatorMove:
    id: str
    name: str
    unit: str
    previous_period: str | None
    previous_value: float | None
    previous_target: float | None
    previous_status: str
    previous_tone: str
    current_period: str | None
    current_value: float | None
    current_target: float | None
    current_status: str
    current_tone: str
    direction: str  # "improved" | "worsened" (the value moved) | "target changed" (only the target moved)


@dataclass(frozen=True)
class HypothesisChange:
    id: str
    statement: str
    previous_verdict: str
    current_verdict: str
    reason: str


@dataclass
class Changes:
    """Everything that changed in one strategy between two editions."""

    previous_label: str = ""
    current_label: str = ""
    intentions_added: list[IntentionItem] = field(default_factory=list)
    intentions_removed: list[IntentionItem] = field(default_factory=list)
    intentions_moved: list[IntentionMove] = field(default_factory=list)
    risks_added: list[RiskItem] = field(default_factory=list)
    risks_removed: list[RiskItem] = field(default_factory=list)
    risks_up: list[RiskMove] = field(default_factory=list)
    risks_down: list[RiskMove] = field(default_factory=list)
    indicators_improved: list[IndicatorMove] = field(default_factory=list)
    indicators_worsened: list[IndicatorMove] = field(default_factory=list)
    indicators_retargeted: list[IndicatorMove] = field(default_factory=list)
    indicators_added: list[str] = field(default_factory=list)
    indicators_removed: list[str] = field(default_factory=list)
    hypotheses_changed: list[HypothesisChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.counts())

    def counts(self) -> dict[str, int]:
        names = ("intentions_added", "intentions_removed", "intentions_moved", "risks_added", "risks_removed",
                 "risks_up", "risks_down", "indicators_improved", "indicators_worsened", "indicators_retargeted",
                 "indicators_added",
                 "indicators_removed", "hypotheses_changed")
        return {name: len(getattr(self, name)) for name in names}


# ---------------------------------------------------------------------------------------------
# comparing


def _vocabulary(spec):
    if spec is None:
        return IPC_VOCABULARY
    if isinstance(spec, CycleVocabulary):
        return spec
    stages = getattr(spec, "stages", None)
    if stages is not None:  # params.CycleSettings or an Authority's cycle
        from strategy_docs.analysis.cycle import vocabulary_of

        return vocabulary_of(spec)
    return CycleVocabulary.from_spec(spec)


def _position(vocabulary, text: str | None) -> tuple[tuple[int, int] | None, str]:
    if text is None:  # the plan gives no cycle position
        return None, ""
    try:
        rng = vocabulary.parse(text)
    except ValueError:
        return None, str(text)
    return rng, vocabulary.describe(rng)


def _current(intention, intentions: list) -> str | None:
    """The current stage the plan states for an intention: its own, or that of the intention it
    refers to ("see 1.2 above")."""
    _, cycle = stated_position(intention, intentions)
    return cycle.current if cycle is not None else None


def _movement(previous: tuple[int, int], current: tuple[int, int], stages: int) -> str:
    if current[1] < previous[0] and previous[1] == stages - 1 and current[0] == 0:
        return "new cycle"
    before, after = previous[0] + previous[1], current[0] + current[1]
    if after > before:
        return "on"
    if after < before:
        return "back"
    return "changed"


def _compare_intentions(previous, current, vocabulary, previous_vocabulary, out: Changes) -> None:
    prev = {i.id: i for i in previous.intentions}
    curr = {i.id: i for i in current.intentions}
    for i in current.intentions:
        if i.id not in prev:
            out.intentions_added.append(IntentionItem(i.id, i.title, _position(vocabulary, _current(i, current.intentions))[1]))
    for i in previous.intentions:
        if i.id not in curr:
            out.intentions_removed.append(IntentionItem(i.id, i.title, _position(previous_vocabulary, _current(i, previous.intentions))[1]))
    same_stages = tuple(vocabulary.stages) == tuple(previous_vocabulary.stages)
    for i in current.intentions:
        before = prev.get(i.id)
        if before is None:
            continue
        p_range, p_text = _position(previous_vocabulary, _current(before, previous.intentions))
        c_range, c_text = _position(vocabulary, _current(i, current.intentions))
        if p_range is not None and c_range is not None and same_stages:
            if p_range == c_range:
                continue
            direction = _movement(p_range, c_range, len(vocabulary.stages))
        else:
            if p_text.strip().lower() == c_text.strip().lower():
                continue
            direction = "changed"
        out.intentions_moved.append(IntentionMove(i.id, i.title, p_text, c_text, direction))


def _residual(risk, bands) -> tuple[int | None, str]:
    """A risk's score after mitigation, as the model scored it, and its band ("" when unscored)."""
    if risk.residual is None:
        return None, ""
    return risk.residual.score, risk_band(risk.residual.score, bands).label


def _compare_risks(previous, current, bands, previous_bands, out: Changes) -> None:
    prev = {r.id: r for r in previous.risks}
    curr = {r.id: r for r in current.risks}
    score = (lambda r: r.residual.score if r.residual is not None else None)
    for r in current.risks:
        if r.id not in prev:
            out.risks_added.append(RiskItem(r.id, _risk_title(r), *_residual(r, bands)))
    for r in previous.risks:
        if r.id not in curr:
            out.risks_removed.append(RiskItem(r.id, _risk_title(r), *_residual(r, previous_bands)))
    for r in current.risks:
        before = prev.get(r.id)
        # a move needs a score in both editions: an unscored risk has no score to go up or down
        if before is None or score(before) is None or score(r) is None or score(before) == score(r):
            continue
        (before_score, before_band), (after_score, after_band) = _residual(before, previous_bands), _residual(r, bands)
        move = RiskMove(r.id, _risk_title(r), before_score, after_score, before_band, after_band)
        (out.risks_up if move.direction == "up" else out.risks_down).append(move)


def _risk_title(risk) -> str:
    return risk.title or risk.event or risk.cause or risk.id


def _scored(score, band) -> str:
    return f"{score} ({band})" if score is not None else ""


def _status(frame, indicator, rules):
    if frame is None or len(frame) == 0:
        return None
    try:
        return indicator_status(frame, indicator.id, indicator.polarity, indicator.target, rules, unit=indicator.unit)
    except ValueError:
        return None


def _compare_indicators(previous, current, prev_df, curr_df, rules, previous_rules, out: Changes) -> None:
    prev = {i.id: i for i in previous.indicators}
    curr_ids = {i.id for i in current.indicators}
    out.indicators_added.extend(i.id for i in current.indicators if i.id not in prev)
    out.indicators_removed.extend(i.id for i in previous.indicators if i.id not in curr_ids)
    for ind in current.indicators:
        before = prev.get(ind.id)
        if before is None:
            continue
        s_prev = _status(prev_df, before, previous_rules)
        s_curr = _status(curr_df, ind, rules)
        if s_prev is None or s_curr is None or s_prev.label is None or s_curr.label is None:
            continue  # no rating in one edition (no target or polarity): nothing to compare
        direction = indicator_change(s_prev.latest_value, s_curr.latest_value, s_curr.polarity,
                                     before.target, ind.target, s_prev.label != s_curr.label)
        if direction is None:
            continue
        move = IndicatorMove(
            ind.id, ind.name, ind.unit,
            s_prev.latest_period, s_prev.latest_value, before.target, s_prev.label, s_prev.tone,
            s_curr.latest_period, s_curr.latest_value, ind.target, s_curr.label, s_curr.tone, direction,
        )
        {"improved": out.indicators_improved, "worsened": out.indicators_worsened,
         "target changed": out.indicators_retargeted}[direction].append(move)


def indicator_change(previous_value, current_value, polarity, previous_target, current_target,
                     rating_changed: bool) -> str | None:
    """How an indicator moved between editions. 'improved' or 'worsened' only when its value moved
    (better or worse by its polarity), whatever happened to the target; 'target changed' when the
    value stayed the same and a new target changed its rating; None when there is nothing to say."""
    travel = direction_of_travel(previous_value, current_value, polarity)
    if travel == "improving":
        return "improved"
    if travel == "worsening":
        return "worsened"
    if rating_changed and previous_target != current_target:
        return "target changed"
    return None


def _verdict(hypothesis, inputs, strategy=None) -> tuple[str | None, str]:
    if hypothesis.test is None:
        return hypothesis.verdict, hypothesis.reason
    if inputs is None:
        return None, ""
    labels = {i.id: IndicatorLabel(i.name, i.unit) for i in strategy.indicators} if strategy is not None else {}
    try:
        result = evaluate(hypothesis.test, inputs, labels)
    except ValueError as exc:  # a test the data cannot answer is inconclusive, not a crash
        return "inconclusive", str(exc)
    return result.verdict, result.evidence


def _compare_hypotheses(previous, current, prev_inputs, curr_inputs, out: Changes) -> None:
    prev = {h.id: h for h in previous.hypotheses}
    for h in current.hypotheses:
        before = prev.get(h.id)
        if before is None:
            continue
        v_prev, _ = _verdict(before, prev_inputs, previous)
        v_curr, reason = _verdict(h, curr_inputs, current)
        if v_prev is None or v_curr is None or v_prev == v_curr:
            continue
        out.hypotheses_changed.append(HypothesisChange(h.id, h.statement, v_prev, v_curr, reason))


@dataclass(frozen=True)
class StrategyEdition:
    """One strategy as it stands in one edition: what :func:`compare` reads from each side.

    ``cycle``: the authority's cycle settings (or a ``CycleVocabulary``; None: IPC).
    ``inputs``: :class:`strategy_docs.analysis.AnalysisInputs` to evaluate hypothesis tests with
    (without them only recorded verdicts are compared). ``rag_rules`` and ``risk_bands``: the
    authority's settings (None: the defaults). On the previous side, a setting left None is the
    current edition's."""

    strategy: Strategy
    indicators: pd.DataFrame | None = None
    cycle: Any = None
    inputs: Any = None
    rag_rules: Any = None
    risk_bands: Any = None
    label: str = ""

    @classmethod
    def of(cls, ctx, strategy: Strategy | None = None, inputs: Any = None, label: str | None = None) -> StrategyEdition:
        """A document's side (:class:`StrategyContext`): its strategy, indicators table and authority's settings."""
        authority = ctx.authority
        return cls(strategy if strategy is not None else ctx.strategy, ctx.data.indicators, authority.cycle, inputs,
                   authority.rag_rules, authority.risk_bands, label if label is not None else ctx.edition.label)


def compare(previous: StrategyEdition, current: StrategyEdition) -> Changes:
    """Compare two editions of one strategy."""
    vocabulary = _vocabulary(current.cycle)
    previous_vocabulary = _vocabulary(previous.cycle) if previous.cycle is not None else vocabulary
    # the authority's settings go to the analysis as they are (models or plain values; None: defaults)
    bands = current.risk_bands
    previous_bands = previous.risk_bands if previous.risk_bands is not None else bands
    rules = current.rag_rules
    previous_rules = previous.rag_rules if previous.rag_rules is not None else rules
    out = Changes(previous_label=previous.label, current_label=current.label)
    _compare_intentions(previous.strategy, current.strategy, vocabulary, previous_vocabulary, out)
    _compare_risks(previous.strategy, current.strategy, bands, previous_bands, out)
    _compare_indicators(previous.strategy, current.strategy, previous.indicators, current.indicators, rules,
                        previous_rules, out)
    _compare_hypotheses(previous.strategy, current.strategy, previous.inputs, current.inputs, out)
    return out


# ---------------------------------------------------------------------------------------------
# blocks


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _value_text(value: float | None, unit: str, period: str | None) -> str:
    if value is None:
        text = "no value"
    else:
        dp = 0 if float(value).is_integer() else (2 if unit == "pounds" else 1)
        text = fmt_number(value, dp)
        if unit == "percent":
            text += "%"
        elif unit == "pounds":
            text = "£" + text
        elif unit not in ("count", "score"):
            text += f" {unit}"
    return f"{text} ({period})" if period else text


def _target_text(value: float | None) -> str:
    if value is None:
        return "none"
    for dp in range(0, 4):
        if abs(round(float(value), dp) - float(value)) < 1e-9:
            return fmt_number(value, dp)
    return fmt_number(value, 3)


_DIRECTION_LABEL = {"on": "Moved on", "back": "Moved back", "new cycle": "New cycle", "changed": "Changed"}
_CHANGE_TONES = {
    "Added": "neutral", "Removed": "neutral", "Moved on": "good", "Moved back": "warning", "New cycle": "neutral",
    "Changed": "neutral", "Score up": "bad", "Score down": "good", "Improved": "good", "Worsened": "bad",
    "Target changed": "neutral",
}


def _summary_markdown(changes: Changes) -> str:
    if changes.previous_label:
        intro = (f"This edition ({changes.current_label}) compared with the last edition "
                 f"({changes.previous_label}).") if changes.current_label else \
            f"Compared with the last edition ({changes.previous_label})."
    else:
        intro = "Compared with the last edition."
    c = changes.counts()
    items = []
    parts = []
    if c["intentions_added"]:
        parts.append(f"{_plural(c['intentions_added'], 'new intention')}")
    if c["intentions_removed"]:
        parts.append(f"{c['intentions_removed']} removed")
    if c["intentions_moved"]:
        parts.append(f"{c['intentions_moved']} moved along the commissioning cycle")
    if parts:
        items.append("Commissioning intentions: " + ", ".join(parts) + ".")
    parts = []
    if c["risks_up"]:
        parts.append(f"{_plural(c['risks_up'], 'score')} up")
    if c["risks_down"]:
        parts.append(f"{_plural(c['risks_down'], 'score')} down")
    if c["risks_added"]:
        parts.append(f"{_plural(c['risks_added'], 'new risk')}")
    if c["risks_removed"]:
        parts.append(f"{c['risks_removed']} removed")
    if parts:
        items.append("Risks (residual scores): " + ", ".join(parts) + ".")
    parts = []
    if c["indicators_improved"]:
        parts.append(f"{c['indicators_improved']} improved")
    if c["indicators_worsened"]:
        parts.append(f"{c['indicators_worsened']} worsened")
    if c["indicators_retargeted"]:
        parts.append(f"{c['indicators_retargeted']} rated differently against a new target")
    if c["indicators_added"]:
        parts.append(f"{_plural(c['indicators_added'], 'new indicator')}")
    if c["indicators_removed"]:
        parts.append(f"{c['indicators_removed']} no longer reported")
    if parts:
        items.append("Performance indicators: " + ", ".join(parts) + ".")
    if c["hypotheses_changed"]:
        items.append(f"Hypotheses: {_plural(c['hypotheses_changed'], 'verdict')} changed.")
    if not items:
        return intro + " Nothing has changed in the commissioning intentions, the risks, the performance " \
                       "indicators against target or the hypothesis verdicts."
    return intro + "\n\n" + "\n".join(f"- {item}" for item in items)


def changes_blocks(changes: Changes, heading_level: int = 2, title: str = TITLE,
                   id_prefix: str = "what-has-changed") -> list[dict]:
    """Display blocks for one strategy's changes: a heading, a short summary and tables."""
    sub = min(heading_level + 1, 4)
    out = [blocks.heading(title, level=heading_level, id=id_prefix), blocks.prose(_summary_markdown(changes))]
    change_status = {"Change": _CHANGE_TONES}

    rows = []
    for item in changes.intentions_added:
        rows.append({"Intention": f"{item.id}: {item.title}", "Change": "Added", "Then": NO_EDITION, "Now": item.position})
    for move in changes.intentions_moved:
        rows.append({"Intention": f"{move.id}: {move.title}", "Change": _DIRECTION_LABEL[move.direction],
                     "Then": move.previous, "Now": move.current})
    for item in changes.intentions_removed:
        rows.append({"Intention": f"{item.id}: {item.title}", "Change": "Removed", "Then": item.position, "Now": NOT_NOW})
    if rows:
        out.append(blocks.heading("Commissioning intentions", level=sub, id=f"{id_prefix}-intentions"))
        out.append(blocks.table(
            pd.DataFrame(rows, columns=["Intention", "Change", "Then", "Now"]),
            caption="Commissioning intentions added, removed or moved along the commissioning cycle",
            id=f"{id_prefix}-intentions-table", statuses=change_status,
            notes="Then and Now are the intention's current stage in the commissioning cycle in each edition.",
        ))

    rows = []
    for move in changes.risks_up + changes.risks_down:
        rows.append({"Risk": f"{move.id}: {move.title}", "Change": "Score up" if move.direction == "up" else "Score down",
                     "Then": f"{move.previous_score} ({move.previous_band})", "Now": f"{move.current_score} ({move.current_band})"})
    for item in changes.risks_added:
        rows.append({"Risk": f"{item.id}: {item.title}", "Change": "Added", "Then": NO_EDITION,
                     "Now": _scored(item.score, item.band)})
    for item in changes.risks_removed:
        rows.append({"Risk": f"{item.id}: {item.title}", "Change": "Removed", "Then": _scored(item.score, item.band),
                     "Now": NOT_NOW})
    if rows:
        out.append(blocks.heading("Risks", level=sub, id=f"{id_prefix}-risks"))
        out.append(blocks.table(
            pd.DataFrame(rows, columns=["Risk", "Change", "Then", "Now"]),
            caption="Risks whose residual score changed, and risks added or removed",
            id=f"{id_prefix}-risks-table", statuses=change_status,
            notes="Scores are residual scores (likelihood × impact after mitigation, 1 to 25), with their band.",
        ))

    rows = []
    moves = changes.indicators_improved + changes.indicators_worsened + changes.indicators_retargeted
    for move in moves:
        rows.append({
            "Indicator": move.name,
            "Change": {"improved": "Improved", "worsened": "Worsened", "target changed": "Target changed"}[move.direction],
            "Then": _value_text(move.previous_value, move.unit, move.previous_period),
            "Target then": _target_text(move.previous_target),
            "Status then": move.previous_status,
            "Now": _value_text(move.current_value, move.unit, move.current_period),
            "Target now": _target_text(move.current_target),
            "Status now": move.current_status,
        })
    if rows:
        tones = {m.previous_status: m.previous_tone for m in moves}
        tones.update({m.current_status: m.current_tone for m in moves})
        out.append(blocks.heading("Performance indicators", level=sub, id=f"{id_prefix}-indicators"))
        out.append(blocks.table(
            pd.DataFrame(rows, columns=["Indicator", "Change", "Then", "Target then", "Status then", "Now",
                                        "Target now", "Status now"]),
            caption="Performance indicators whose value or rating changed",
            id=f"{id_prefix}-indicators-table", numeric_columns=[],
            statuses={"Change": _CHANGE_TONES, "Status then": tones, "Status now": tones},
            notes="Then is the latest value when the last edition was published; Now is the latest value now. "
                  "Improved and worsened describe the value itself; a rating that changed only because the "
                  "target changed is shown as target changed.",
        ))

    rows = []
    for change in changes.hypotheses_changed:
        rows.append({"Hypothesis": change.id, "Statement": change.statement,
                     "Verdict then": change.previous_verdict.capitalize(),
                     "Verdict now": change.current_verdict.capitalize(), "Why": change.reason})
    if rows:
        verdicts = {"Accepted": "neutral", "Refuted": "neutral", "Inconclusive": "neutral"}
        out.append(blocks.heading("Hypotheses", level=sub, id=f"{id_prefix}-hypotheses"))
        out.append(blocks.table(
            pd.DataFrame(rows, columns=["Hypothesis", "Statement", "Verdict then", "Verdict now", "Why"]),
            caption="Hypotheses whose verdict changed", id=f"{id_prefix}-hypotheses-table",
            statuses={"Verdict then": verdicts, "Verdict now": verdicts}, markdown_columns=["Statement"],
        ))
    return out


# ---------------------------------------------------------------------------------------------
# the previous edition


@dataclass
class PreviousEdition:
    """One strategy as archived in ``params/editions/<slug>/`` (validated with the same models)."""

    slug: str
    folder: Path
    workspace: Path
    authority_id: str
    client_group_id: str
    project: Any
    authority: Any
    client_group: Any
    strategy: Any

    @property
    def label(self) -> str:
        return self.project.edition.label

    def data(self, cache: dict | None = None):
        """The data snapshot taken when the edition was archived, for this client group (or None).

        ``cache`` (a dict) keeps each authority's tables for the next strategy of the same authority."""
        if not (self.folder / "data" / self.authority_id).is_dir():
            return None
        key = (str(self.folder), self.authority_id)
        data = cache.get(key) if cache is not None else None
        if data is None:
            groups = {p.stem for p in (self.folder / "client-groups").glob("*.y*ml")}
            data = load_authority_data(self.folder, self.authority_id, {loc.code for loc in self.authority.localities},
                                       self.authority.nation, client_groups=groups or None)
            if cache is not None:
                cache[key] = data
        return data.for_client_group(self.client_group_id)

    def context(self, data=None):
        """A :class:`strategy_docs.sections.context.StrategyContext` for the archived edition."""
        return StrategyContext(self.folder, self.project, self.authority_id, self.authority, self.client_group_id,
                               self.client_group, self.strategy, data if data is not None else self.data())


def _load(path: Path, model, workspace: Path):
    problems: list[Problem] = []
    value, _ = _load_model(path, model, workspace, problems)
    if value is None or [p for p in problems if p.severity == "error"]:
        raise ParamsError(problems or [Problem(path.relative_to(workspace).as_posix(), "could not be read.")])
    return value


def _edition_folder(workspace: Path, slug: str) -> Path:
    note_read(PREVIOUS_EDITION)  # every read of the archive comes through here: an input of the section
    folder = edition_dir(workspace, slug)
    if not (folder / "project.yaml").is_file():
        raise ParamsError([Problem(
            "params/project.yaml", f"previous_edition is {slug}, but there is no archive params/editions/{slug}/.",
            field="previous_edition",
            fix="roll editions forward with 'strategy-docs new-edition' (it writes the archive), or remove "
                "previous_edition if there is no earlier edition.",
        )])
    return folder


def previous_project(workspace: str | Path, slug: str):
    """The archived edition's project settings (:class:`strategy_docs.inputs.params.Project`)."""
    workspace = Path(workspace).resolve()
    return _load(_edition_folder(workspace, slug) / "project.yaml", Project, workspace)


def load_previous(workspace: str | Path, authority: str, client_group: str, previous_slug: str) -> PreviousEdition | None:
    """One strategy of an archived edition, or None if the authority, client group or strategy
    did not exist then. Raises ParamsError if the edition was never archived or a file is invalid."""
    workspace = Path(workspace).resolve()
    folder = _edition_folder(workspace, previous_slug)
    paths = {
        "authority": folder / "authorities" / f"{authority}.yaml",
        "client_group": folder / "client-groups" / f"{client_group}.yaml",
        "strategy": folder / "strategies" / authority / f"{client_group}.yaml",
    }
    if not all(p.is_file() for p in paths.values()):
        return None
    return PreviousEdition(
        slug=previous_slug, folder=folder, workspace=workspace, authority_id=authority, client_group_id=client_group,
        project=_load(folder / "project.yaml", Project, workspace),
        authority=_load(paths["authority"], Authority, workspace),
        client_group=_load(paths["client_group"], ClientGroup, workspace),
        strategy=_load(paths["strategy"], Strategy, workspace),
    )


def changes_for_context(ctx, previous: PreviousEdition, data_cache: dict | None = None) -> Changes:
    """Compare a loaded document (:class:`StrategyContext`) with its previous edition."""
    prev_data = previous.data(data_cache)
    prev_ctx = previous.context(prev_data if prev_data is not None else ctx.data)
    try:
        prev_inputs = prev_ctx.analysis_inputs()
    except Exception:  # noqa: BLE001 - an archive the analysis cannot read: compare recorded verdicts only
        prev_inputs = None
    return compare(StrategyEdition.of(prev_ctx, inputs=prev_inputs, label=previous.label),
                   StrategyEdition.of(ctx, inputs=ctx.analysis_inputs()))


def what_changed_blocks(ctx) -> list[dict]:
    """Blocks for the first section: [] when the project has no previous edition."""
    slug = getattr(ctx.project, "previous_edition", None)
    if not slug:
        return []
    previous = load_previous(ctx.workspace, ctx.authority_id, ctx.client_group_id, slug)
    if previous is None:
        label = previous_project(ctx.workspace, slug).edition.label
        return [
            blocks.heading(TITLE, level=2, id="what-has-changed"),
            blocks.prose(f"This strategy is new in this edition: there was no {ctx.client_group.name.lower()} "
                         f"strategy for {ctx.authority_name} in the last edition ({label})."),
        ]
    return changes_blocks(changes_for_context(ctx, previous))


# ---------------------------------------------------------------------------------------------
# the diff report for the whole matrix


@dataclass
class DocumentChanges:
    authority_id: str
    client_group_id: str
    authority_name: str
    client_group_name: str
    changes: Changes | None  # None: new in this edition
    blocks: list[dict] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"doc-{self.authority_id}-{self.client_group_id}"


def matrix_changes(workspace: str | Path) -> tuple[Any, Any, list[DocumentChanges], list[tuple[str, str]]]:
    """(params, previous project, one entry per document of the matrix, archived pairs no longer built)."""
    workspace = Path(workspace).resolve()
    params = load_params(workspace)
    slug = params.project.previous_edition
    if not slug:
        raise ParamsError([Problem(
            "params/project.yaml", "has no previous_edition, so there is nothing to compare with.",
            field="previous_edition", fix="roll the workspace forward with 'strategy-docs new-edition' first.")])
    prev_project = previous_project(workspace, slug)
    data_by_authority: dict[str, Any] = {}
    previous_data: dict = {}
    documents: list[DocumentChanges] = []
    for authority_id, group_id in params.pairs():
        authority = params.authorities[authority_id]
        group = params.client_groups[group_id]
        if authority_id not in data_by_authority:
            data_by_authority[authority_id] = load_authority_data(
                workspace, authority_id, {loc.code for loc in authority.localities}, authority.nation,
                client_groups=set(params.client_groups))
        ctx = StrategyContext(workspace, params.project, authority_id, authority, group_id, group,
                              params.strategies[(authority_id, group_id)],
                              data_by_authority[authority_id].for_client_group(group_id, group.covers))
        name = authority.branding.display_name or authority.name
        previous = load_previous(workspace, authority_id, group_id, slug)
        entry = DocumentChanges(authority_id, group_id, name, group.name, None)
        if previous is not None:
            entry.changes = changes_for_context(ctx, previous, previous_data)
            entry.blocks = changes_blocks(entry.changes, heading_level=2, title=f"{name}: {group.name}",
                                          id_prefix=entry.anchor)
        documents.append(entry)
    folder = _edition_folder(workspace, slug)
    current = set(params.pairs())
    dropped = sorted((p.parent.name, p.stem) for p in (folder / "strategies").glob("*/*.y*ml")
                     if (p.parent.name, p.stem) not in current)
    return params, prev_project, documents, dropped


def diff_template_dir(workspace: str | Path | None = None) -> Path:
    """``templates/diff`` of the workspace if it has one, else the package's."""
    return template_dir(workspace, "diff")


def diff_report(workspace: str | Path, today: dt.date | None = None) -> tuple[str, dict]:
    """The whole matrix's changes as one self-contained, accessible HTML page.

    Returns (html, summary) where summary holds the edition slugs and per-document counts.
    """
    params, prev_project, documents, dropped = matrix_changes(workspace)
    env = block_html.environment(diff_template_dir(workspace), block_html.strategy_template_dir(workspace))
    names = {}
    for a, g in dropped:
        names[(a, g)] = f"{a} / {g}"
    for doc in documents:
        doc.blocks = [block_html.prepare(b) for b in doc.blocks]
    today = today or dt.date.today()
    html = env.get_template("report.html.j2").render(
        t=translator(DEFAULT_LANGUAGE),  # the blocks' fixed words: the report is in English
        project_name=params.project.name,
        previous_label=prev_project.edition.label,
        current_label=params.project.edition.label,
        previous_slug=prev_project.edition.slug,
        current_slug=params.project.edition.slug,
        documents=documents,
        dropped=[names[p] for p in dropped],
        date=f"{today.day} {today:%B %Y}",
        generator=f"strategy-docs {__version__}",
        scroll_script=Markup(SCROLL_REGION_SCRIPT),  # noqa: S704 - our own constant
    )
    summary = {
        "previous": prev_project.edition.slug,
        "current": params.project.edition.slug,
        "documents": {f"{d.authority_id}/{d.client_group_id}": (d.changes.counts() if d.changes else None)
                      for d in documents},
        "dropped": [f"{a}/{g}" for a, g in dropped],
    }
    return html, summary

