"""changes.py: what changed since the last edition, as blocks and as the matrix-wide diff report."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from strategy_docs.sections import blocks, context
from strategy_docs.annual import changes, edition
from strategy_docs.analysis.cycle import IPC_VOCABULARY, CycleVocabulary
from strategy_docs.errors import ParamsError
from strategy_docs.outputs.scroll_regions import SCROLL_REGION_SCRIPT
from strategy_docs.inputs.params import RiskBand, Strategy, load_params

try:
    from tests.conftest import edit_yaml, first_pair
except ImportError:  # tests/ is on sys.path, not a package
    from conftest import edit_yaml, first_pair

TODAY = dt.date(2027, 2, 15)


# --- compare on models ----------------------------------------------------------------------

def _strategy(ws: Path, authority: str, group: str) -> Strategy:
    return load_params(ws, pairs_filter=lambda p: p == (authority, group)).strategies[(authority, group)]


def _pair(ws: Path) -> tuple[str, str]:
    return first_pair(ws)


def _indicator_frame(rows):
    return pd.DataFrame(rows, columns=["client_group", "indicator_id", "period", "value", "comparator_average"])


def test_compare_lists_exactly_what_changed(workspace):
    authority, group = _pair(workspace)
    old = _strategy(workspace, authority, group)
    new = old.model_copy(deep=True)
    # intentions: one removed, one added, one moved on, one moved back
    removed = new.intentions.pop()
    added = new.intentions[0].model_copy(update={"id": "NEW-1", "title": "A new intention"})
    new.intentions.append(added)
    cycle = load_params(workspace).authorities[authority].cycle
    vocabulary = CycleVocabulary(tuple(cycle.stages), dict(cycle.synonyms))
    last = len(vocabulary.stages) - 1
    new.intentions[0] = new.intentions[0].model_copy(
        update={"cycle": new.intentions[0].cycle.model_copy(update={"current": vocabulary.stages[-1]})})
    new.intentions[1] = new.intentions[1].model_copy(
        update={"cycle": new.intentions[1].cycle.model_copy(update={"current": vocabulary.stages[0]})})
    old_positions = {i.id: vocabulary.parse(i.cycle.current) for i in old.intentions}
    # risks: first up, second down
    r0, r1 = new.risks[0], new.risks[1]
    up = r0.residual.model_copy(update={"likelihood": min(5, r0.residual.likelihood + 1), "impact": 5})
    if up.score == r0.residual.score:
        up = up.model_copy(update={"likelihood": 5})
    new.risks[0] = r0.model_copy(update={"residual": up})
    new.risks[1] = r1.model_copy(update={"residual": r1.residual.model_copy(update={"likelihood": 1, "impact": 1})})
    # indicators: one improves (value now beats target), one worsens
    i0, i1 = new.indicators[0], new.indicators[1]

    def better(ind, by):
        return ind.target + by * abs(ind.target or 1) * (1 if ind.polarity == "higher" else -1)

    prev = _indicator_frame([
        (group, i0.id, "2024/25", better(i0, -0.5), better(i0, 0.2)),
        (group, i1.id, "2024/25", better(i1, 0.1), better(i1, 0.0)),
    ])
    curr = _indicator_frame([
        (group, i0.id, "2024/25", better(i0, -0.5), better(i0, 0.2)),
        (group, i0.id, "2025/26", better(i0, 0.1), better(i0, 0.0)),
        (group, i1.id, "2024/25", better(i1, 0.1), better(i1, 0.0)),
        (group, i1.id, "2025/26", better(i1, -0.5), better(i1, 0.2)),
    ])
    # hypotheses: a recorded verdict flips
    recorded = next((i for i, h in enumerate(new.hypotheses) if h.test is None), None)
    if recorded is not None:
        h = new.hypotheses[recorded]
        flipped = "refuted" if h.verdict != "refuted" else "accepted"
        new.hypotheses[recorded] = h.model_copy(update={"verdict": flipped, "reason": "New evidence."})

    result = changes.compare(changes.StrategyEdition(old, prev), changes.StrategyEdition(new, curr, cycle=vocabulary))
    assert [i.id for i in result.intentions_added] == ["NEW-1"]
    assert [i.id for i in result.intentions_removed] == [removed.id]
    moved = {m.id: m.direction for m in result.intentions_moved}
    first, second = new.intentions[0].id, new.intentions[1].id
    if old_positions[first] != (last, last):
        assert moved[first] == "on"
    if old_positions[second] != (0, 0):
        assert moved[second] in ("back", "new cycle")
    assert set(moved) <= {first, second}
    assert [r.id for r in result.risks_up] == [r0.id]
    assert [r.id for r in result.risks_down] == [r1.id]
    assert result.risks_up[0].current_score == up.score
    assert [i.id for i in result.indicators_improved] == [i0.id]
    assert [i.id for i in result.indicators_worsened] == [i1.id]
    assert result.indicators_improved[0].previous_status == "Off track"
    assert result.indicators_improved[0].current_status == "On track"
    if recorded is not None:
        assert [h.id for h in result.hypotheses_changed] == [new.hypotheses[recorded].id]
        assert result.hypotheses_changed[0].reason == "New evidence."
    assert not result.empty


def test_identical_editions_have_no_changes(workspace):
    authority, group = _pair(workspace)
    old = _strategy(workspace, authority, group)
    frame = _indicator_frame([(group, i.id, "2024/25", i.target, i.target) for i in old.indicators])
    result = changes.compare(changes.StrategyEdition(old, frame), changes.StrategyEdition(old.model_copy(deep=True), frame))
    assert result.empty
    out = changes.changes_blocks(result)
    assert [b["kind"] for b in out] == ["heading", "prose"]
    assert "Nothing has changed" in out[1]["html"]


def test_new_cycle_and_vocabulary():
    assert changes._movement((3, 3), (0, 0), 4) == "new cycle"
    assert changes._movement((0, 1), (1, 2), 4) == "on"
    assert changes._movement((2, 2), (1, 1), 4) == "back"
    assert changes._vocabulary(None) is IPC_VOCABULARY


def test_changes_blocks_are_valid_and_accessible():
    result = changes.Changes(
        previous_label="2026/27 to 2028/29", current_label="2027/28 to 2029/30",
        intentions_added=[changes.IntentionItem("X-1", "New <b>service</b>", "Plan")],
        intentions_moved=[changes.IntentionMove("X-2", "Moved", "Analyse", "Plan", "on")],
        risks_up=[changes.RiskMove("R1", "Workforce", 6, 12, "Medium", "High")],
        indicators_worsened=[changes.IndicatorMove("i1", "Delays", "days", "2024/25", 4.0, 5.0, "On track", "good",
                                                   "2025/26", 7.5, 5.0, "Off track", "bad", "worsened")],
        hypotheses_changed=[changes.HypothesisChange("H1", "Need **grows**", "accepted", "refuted", "Because.")],
    )
    out = changes.changes_blocks(result)
    for block in out:
        blocks.validate_block(block)
    kinds = [(b["kind"], b.get("text")) for b in out if b["kind"] == "heading"]
    assert kinds == [("heading", changes.TITLE), ("heading", "Commissioning intentions"), ("heading", "Risks"),
                     ("heading", "Performance indicators"), ("heading", "Hypotheses")]
    tables = {b["id"]: b for b in out if b["kind"] == "table"}
    risk_row = tables["what-has-changed-risks-table"]["rows"][0]
    assert risk_row["header"]["text"] == "R1: Workforce"
    assert risk_row["cells"][0]["status"] == {"label": "Score up", "tone": "bad"}
    assert [c["text"] for c in risk_row["cells"][1:]] == ["6 (Medium)", "12 (High)"]
    ind_row = tables["what-has-changed-indicators-table"]["rows"][0]
    assert ind_row["cells"][0]["status"]["label"] == "Worsened"
    assert ind_row["cells"][1]["text"] == "4 days (2024/25)"
    assert ind_row["cells"][3]["status"] == {"label": "On track", "tone": "good"}
    assert ind_row["cells"][6]["status"] == {"label": "Off track", "tone": "bad"}
    # every status word is written out (colour is never the only signal)
    for table in tables.values():
        for row in table["rows"]:
            for cell in row["cells"]:
                if "status" in cell:
                    assert cell["text"] == cell["status"]["label"]
    assert "1 new intention" in out[1]["html"] and "1 moved along the commissioning cycle" in out[1]["html"]
    header = tables["what-has-changed-intentions-table"]["rows"][0]["header"]
    assert header == {"text": "X-1: New <b>service</b>"}  # plain text: escaped when rendered, never HTML


# --- the annual cycle end to end --------------------------------------------------------------

def _append_indicator_rows(ws: Path, authority: str, rows: list[tuple]) -> None:
    path = ws / "data" / authority / "indicators.csv"
    frame = pd.read_csv(path)
    extra = pd.DataFrame(rows, columns=list(frame.columns))
    pd.concat([frame, extra], ignore_index=True).to_csv(path, index=False)


def _value(ind, by: float) -> float:
    sign = 1 if ind["polarity"] == "higher" else -1
    return round(float(ind["target"]) + sign * by * abs(float(ind["target"]) or 1.0), 2)


def _one_authority(ws: Path) -> None:
    """Keep the matrix to the first authority's documents so the tests stay quick."""
    authority = _pair(ws)[0]
    edit_yaml(ws / "params" / "project.yaml", lambda d: d.setdefault("matrix", {}).update(authorities=[authority]))


@pytest.fixture
def annual(workspace):
    """The example rolled forward, with known edits to one strategy and its data."""
    ws = workspace
    _one_authority(ws)
    edition.roll_forward(ws, today=TODAY)
    authority, group = _pair(ws)
    ctx = context.load(ws, authority, group)
    baseline = changes.changes_for_context(ctx, changes.load_previous(ws, authority, group, ctx.project.previous_edition))
    path = ws / "params" / "strategies" / authority / f"{group}.yaml"
    edits = {}

    def change(data):
        removed = data["intentions"].pop()
        new = dict(data["intentions"][0])
        new.update(id="NEW-1", title="Night-time support <script>alert(1)</script>")
        data["intentions"].append(new)
        r0, r1 = data["risks"][0], data["risks"][1]
        r0["residual"] = {"likelihood": 5, "impact": 5}
        r1["residual"] = {"likelihood": 1, "impact": 1}
        edits.update(removed=removed["id"], up=r0["id"], down=r1["id"])
        edits["up_changed"] = ctx.strategy.risks[0].residual.score != 25
        edits["down_changed"] = ctx.strategy.risks[1].residual.score != 1
        inds = data["indicators"]
        edits["indicators"] = (inds[0], inds[1])

    edit_yaml(path, change)
    i0, i1 = edits["indicators"]
    _append_indicator_rows(ws, authority, [
        (group, i0["id"], "2025/26", _value(i0, 0.2), _value(i0, 0.0)),
        (group, i1["id"], "2025/26", _value(i1, -0.6), _value(i1, 0.2)),
    ])
    context.clear_cache()
    return ws, authority, group, baseline, edits


def test_roll_forward_alone_only_moves_intentions(workspace):
    edition.roll_forward(workspace, today=TODAY)
    authority, group = _pair(workspace)
    ctx = context.load(workspace, authority, group)
    previous = changes.load_previous(workspace, authority, group, ctx.project.previous_edition)
    result = changes.changes_for_context(ctx, previous)
    vocabulary = CycleVocabulary(tuple(ctx.authority.cycle.stages), dict(ctx.authority.cycle.synonyms))
    expected = {i.id for i in previous.strategy.intentions
                if vocabulary.parse(i.cycle.current) != vocabulary.parse(i.cycle.expected)}
    assert {m.id for m in result.intentions_moved} == expected
    assert not (result.intentions_added or result.intentions_removed or result.risks_up or result.risks_down
                or result.indicators_improved or result.indicators_worsened or result.risks_added
                or result.risks_removed)
    assert result.previous_label == previous.label and result.current_label == ctx.edition.label


def test_what_changed_blocks_reflect_the_edits(annual):
    ws, authority, group, baseline, edits = annual
    ctx = context.load(ws, authority, group)
    out = changes.what_changed_blocks(ctx)
    assert out[0] == blocks.heading(changes.TITLE, level=2, id="what-has-changed")
    result = changes.changes_for_context(ctx, changes.load_previous(ws, authority, group, ctx.project.previous_edition))
    assert [i.id for i in result.intentions_added] == ["NEW-1"]
    assert [i.id for i in result.intentions_removed] == [edits["removed"]]
    assert {m.id for m in result.intentions_moved} == {m.id for m in baseline.intentions_moved} - {edits["removed"]}
    assert [r.id for r in result.risks_up] == ([edits["up"]] if edits["up_changed"] else [])
    assert [r.id for r in result.risks_down] == ([edits["down"]] if edits["down_changed"] else [])
    i0, i1 = edits["indicators"]
    assert [i.id for i in result.indicators_improved] == [i0["id"]]
    assert [i.id for i in result.indicators_worsened] == [i1["id"]]
    assert result.indicators_improved[0].current_period == "2025/26"
    # hypotheses: as after the roll, except tests on the two indicators whose data changed
    touched = {h.id for h in ctx.strategy.hypotheses
               if h.test is not None and h.test.args.get("indicator_id") in (i0["id"], i1["id"])}
    assert {h.id for h in result.hypotheses_changed} - touched == {h.id for h in baseline.hypotheses_changed} - touched
    table = next(b for b in out if b["kind"] == "table" and b["id"] == "what-has-changed-intentions-table")
    labels = {row["header"]["text"]: row["cells"][0]["text"] for row in table["rows"]}
    assert labels["NEW-1: Night-time support <script>alert(1)</script>"] == "Added"


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_hypothesis_verdict_changes_are_found(workspace):
    edition.roll_forward(workspace, today=TODAY)
    authority, group = _pair(workspace)
    ctx = context.load(workspace, authority, group)
    previous = changes.load_previous(workspace, authority, group, ctx.project.previous_edition)
    prev_inputs, curr_inputs = previous.context().analysis_inputs(), ctx.analysis_inputs()

    def changed(current):
        result = changes.compare(changes.StrategyEdition(previous.strategy, inputs=prev_inputs),
                                 changes.StrategyEdition(current, inputs=curr_inputs))
        return {h.id: h for h in result.hypotheses_changed}

    before = changed(ctx.strategy)
    from strategy_docs.analysis.hypotheses import evaluate

    tested = next((h for h in ctx.strategy.hypotheses if h.test is not None and h.id not in before
                   and evaluate(h.test, curr_inputs).value is not None), None)
    if tested is None:
        pytest.skip("no tested hypothesis can be computed from the example data")
    comparison = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}[tested.test.comparison]
    current = ctx.strategy.model_copy(deep=True)
    index = [h.id for h in current.hypotheses].index(tested.id)
    current.hypotheses[index] = tested.model_copy(
        update={"test": tested.test.model_copy(update={"comparison": comparison, "margin": 0.0})})
    after = changed(current)
    assert set(after) - set(before) == {tested.id}
    assert after[tested.id].previous_verdict != after[tested.id].current_verdict
    assert after[tested.id].reason  # the evidence sentence that decided it


def test_no_previous_edition_means_no_blocks(workspace):
    authority, group = _pair(workspace)
    assert changes.what_changed_blocks(context.load(workspace, authority, group)) == []


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_load_previous_tolerates_new_authorities_and_groups(workspace):
    edition.roll_forward(workspace, today=TODAY)
    authority, group = _pair(workspace)
    slug = load_params(workspace).project.previous_edition
    assert changes.load_previous(workspace, authority, group, slug).strategy.intentions
    archive = workspace / "params" / "editions" / slug
    (archive / "strategies" / authority / f"{group}.yaml").unlink()
    assert changes.load_previous(workspace, authority, group, slug) is None
    ctx = context.load(workspace, authority, group)
    out = changes.what_changed_blocks(ctx)
    assert out[0]["text"] == changes.TITLE and "new in this edition" in out[1]["html"]
    shutil.rmtree(archive / "client-groups")
    assert changes.load_previous(workspace, authority, group, slug) is None
    assert changes.load_previous(workspace, "no-such-authority", group, slug) is None


def test_missing_archive_is_a_clear_error(workspace):
    edit_yaml(workspace / "params" / "project.yaml", lambda d: d.update(previous_edition="2020-21"))
    authority, group = _pair(workspace)
    with pytest.raises(ParamsError, match="no archive params/editions/2020-21"):
        changes.load_previous(workspace, authority, group, "2020-21")


# --- the diff report -------------------------------------------------------------------------

@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_diff_report_for_the_matrix(annual):
    ws, authority, group, baseline, edits = annual
    html, summary = changes.diff_report(ws, today=dt.date(2027, 3, 1))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "en-GB"
    assert len(soup.find_all("h1")) == 1
    assert soup.find("main", id="main") is not None
    assert soup.find("a", class_="skip-link")["href"] == "#main"
    assert not soup.find_all("link") and not soup.find_all(src=True)  # self-contained
    # the only script is the documents' own scroll-region one; block tables come from their macros
    assert [s.string for s in soup.find_all("script")] == [SCROLL_REGION_SCRIPT]
    block_tables = soup.find_all("table", class_="data-table")
    assert block_tables and all(t.find_parent(attrs={"data-scroll-region": True}) for t in block_tables)
    assert all(td.get("data-label") for t in block_tables for td in t.find_all("td"))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html  # autoescaped
    for table in soup.find_all("table"):
        assert table.caption is not None and table.caption.get_text(strip=True)
        for th in table.find_all("th"):
            assert th.get("scope") in ("col", "row")
    ids = [el["id"] for el in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    levels = [int(h.name[1]) for h in soup.find_all(["h1", "h2", "h3", "h4"])]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))
    params = load_params(ws)
    assert set(summary["documents"]) == {f"{a}/{g}" for a, g in params.pairs()}
    counts = summary["documents"][f"{authority}/{group}"]
    assert counts["intentions_added"] == 1 and counts["intentions_removed"] == 1
    assert counts["indicators_improved"] == 1 and counts["indicators_worsened"] == 1
    assert counts["risks_up"] == int(edits["up_changed"]) and counts["risks_down"] == int(edits["down_changed"])
    section = soup.find(id=f"doc-{authority}-{group}").find_parent("section")
    text = section.get_text(" ", strip=True)
    assert "NEW-1" in text and edits["removed"] in text and "Improved" in text and "Worsened" in text
    link = soup.find("a", href=f"#doc-{authority}-{group}")
    assert link is not None
    for a, g in params.pairs():
        if (a, g) != (authority, group):
            assert summary["documents"][f"{a}/{g}"]["intentions_added"] == 0


def test_diff_report_needs_a_previous_edition(workspace):
    with pytest.raises(ParamsError, match="previous_edition"):
        changes.diff_report(workspace)


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_diff_report_shows_new_and_dropped_documents(workspace):
    _one_authority(workspace)
    edition.roll_forward(workspace, today=TODAY)
    params = load_params(workspace)
    slug = params.project.previous_edition
    (authority, group), (authority2, group2) = sorted(params.strategies)[:2]
    archive = workspace / "params" / "editions" / slug
    (archive / "strategies" / authority / f"{group}.yaml").unlink()  # "new" in this edition
    edit_yaml(workspace / "params" / "project.yaml", lambda d: d["matrix"].setdefault("exclude", []).append(
        {"authority": authority2, "client_group": group2}))
    html, summary = changes.diff_report(workspace)
    assert summary["documents"][f"{authority}/{group}"] is None
    assert f"{authority2}/{group2}" in summary["dropped"]
    assert "New in this edition" in html and f"{authority2} / {group2}" in html
    assert yaml.safe_load((workspace / "params" / "project.yaml").read_text())["previous_edition"] == slug


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_changes_made_in_excel_show_exactly(workspace, tmp_path):
    """Roll forward, edit the registers in a spreadsheet as a user would, import: the what-changed
    blocks and the diff report list exactly those edits."""
    import openpyxl

    from strategy_docs.annual import registers

    authority, group = _pair(workspace)
    edit_yaml(workspace / "params" / "project.yaml",  # one document keeps the test quick
              lambda d: d.setdefault("matrix", {}).update(authorities=[authority], client_groups=[group]))
    edition.roll_forward(workspace, today=TODAY)
    authority, group = _pair(workspace)
    ctx = context.load(workspace, authority, group)
    previous = changes.load_previous(workspace, authority, group, ctx.project.previous_edition)
    baseline = changes.changes_for_context(ctx, previous)
    moved_before = {m.id for m in baseline.intentions_moved}
    reset = sorted(moved_before)[0]  # put this one back where it was: no longer moved
    old_current = next(i.cycle.current for i in previous.strategy.intentions if i.id == reset)
    strategy = ctx.strategy
    indicator = next(i for i in strategy.indicators if i.baseline is not None)
    easy = indicator.baseline - 1000 if indicator.polarity == "higher" else indicator.baseline + 1000
    r0, r1 = strategy.risks[0], strategy.risks[1]

    book = registers.export_registers(workspace, authority, group, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(book)

    def col(sheet, heading):
        return [c.value for c in sheet[1]].index(heading) + 1

    intentions = wb["Intentions"]
    ids = [intentions.cell(row=r, column=1).value for r in range(2, intentions.max_row + 1)]
    intentions.cell(row=ids.index(reset) + 2, column=col(intentions, "Current stage")).value = old_current
    deleted = next(i for i in reversed(ids) if i and i != reset)
    intentions.delete_rows(ids.index(deleted) + 2)
    row = len([i for i in ids if i]) + 1
    for heading in [c.value for c in intentions[1] if c.value]:
        intentions.cell(row=row, column=col(intentions, heading)).value = intentions.cell(row=2, column=col(
            intentions, heading)).value
    intentions.cell(row=row, column=1).value = "XL-1"
    risks = wb["Risks"]
    for heading, value in (("Residual likelihood", 5), ("Residual impact", 5)):
        risks.cell(row=2, column=col(risks, heading)).value = value
    for heading, value in (("Residual likelihood", 1), ("Residual impact", 1)):
        risks.cell(row=3, column=col(risks, heading)).value = value
    indicators = wb["Indicators"]
    ind_row = [indicators.cell(row=r, column=1).value for r in range(1, indicators.max_row + 1)].index(indicator.id) + 1
    indicators.cell(row=ind_row, column=col(indicators, "Target")).value = easy
    wb.save(book)
    registers.import_registers(workspace, book, authority, group)

    context.clear_cache()
    ctx = context.load(workspace, authority, group)
    result = changes.changes_for_context(ctx, previous)
    assert [i.id for i in result.intentions_added] == ["XL-1"]
    assert [i.id for i in result.intentions_removed] == [deleted]
    assert {m.id for m in result.intentions_moved} == moved_before - {reset, deleted}
    assert [r.id for r in result.risks_up] == ([r0.id] if r0.residual.score != 25 else [])
    assert [r.id for r in result.risks_down] == ([r1.id] if r1.residual.score != 1 else [])
    # only the target moved (same data in both editions): never called improved or worsened
    assert result.indicators_improved == [] and result.indicators_worsened == []
    assert {i.id for i in result.indicators_retargeted} <= {indicator.id}
    assert all(m.direction == "target changed" for m in result.indicators_retargeted)
    assert [h.id for h in result.hypotheses_changed] == [h.id for h in baseline.hypotheses_changed]

    out = changes.what_changed_blocks(ctx)
    tables = {b["id"]: b for b in out if b["kind"] == "table"}
    rows = {r["header"]["text"].split(":")[0]: r["cells"][0]["text"]
            for r in tables["what-has-changed-intentions-table"]["rows"]}
    assert rows["XL-1"] == "Added" and rows[deleted] == "Removed" and reset not in rows
    html, summary = changes.diff_report(workspace)
    counts = summary["documents"][f"{authority}/{group}"]
    assert counts["intentions_added"] == 1 and counts["intentions_removed"] == 1
    assert counts["intentions_moved"] == len(moved_before - {reset, deleted})
    assert counts["indicators_improved"] == 0 and counts["indicators_worsened"] == 0
    assert "XL-1" in html and deleted in html


def test_a_strategy_edition_carries_its_authority_settings(workspace):
    """compare() takes two editions; a side left without settings uses the current edition's."""
    authority, group = _pair(workspace)
    ctx = context.load(workspace, authority, group)
    side = changes.StrategyEdition.of(ctx)
    assert side.strategy is ctx.strategy and side.label == ctx.edition.label
    assert side.cycle is ctx.authority.cycle and side.risk_bands is ctx.authority.risk_bands
    risk = ctx.strategy.risks[0]
    assert risk.residual is not None and risk.residual.score >= 2
    # bands where the risk's score is "High" in the current edition and "Low" in the previous one
    high = [RiskBand(min_score=1, label="Low", tone="good"), RiskBand(min_score=risk.residual.score, label="High", tone="bad")]
    low = [RiskBand(min_score=1, label="Low", tone="good")]
    before, after = ctx.strategy.model_copy(update={"risks": [risk]}), ctx.strategy.model_copy(update={"risks": []})
    removed = changes.compare(changes.StrategyEdition(before, risk_bands=low), changes.StrategyEdition(after, risk_bands=high))
    assert [(r.id, r.band) for r in removed.risks_removed] == [(risk.id, "Low")]  # scored in its own edition's bands
    removed = changes.compare(changes.StrategyEdition(before), changes.StrategyEdition(after, risk_bands=high))
    assert [(r.id, r.band) for r in removed.risks_removed] == [(risk.id, "High")]  # none given: the current's


def test_compare_takes_the_authoritys_settings_as_models(workspace):
    from strategy_docs.inputs.params import RagRules

    authority, group = _pair(workspace)
    old = _strategy(workspace, authority, group)
    indicator = next(i for i in old.indicators if i.target is not None and i.polarity is not None)
    miss = indicator.target * 0.9 if indicator.polarity == "higher" else indicator.target * 1.1  # 10% off target
    worse = miss * 0.99 if indicator.polarity == "higher" else miss * 1.01  # last edition's value, a little worse
    before = _indicator_frame([(group, indicator.id, "2023/24", worse, None)])
    frame = _indicator_frame([(group, indicator.id, "2024/25", miss, None)])
    lenient, strict = RagRules(amber_tolerance_percent=20), RagRules(amber_tolerance_percent=1, comparator_rescues=False)
    # each edition is rated by its own rules: strict last year (Off track), lenient this year (At risk)
    result = changes.compare(changes.StrategyEdition(old, before, rag_rules=strict),
                             changes.StrategyEdition(old.model_copy(deep=True), frame, rag_rules=lenient))
    moved = {i.id: (i.previous_status, i.current_status) for i in result.indicators_improved}
    assert moved.get(indicator.id) == ("Off track", "At risk")
    bands = [RiskBand(min_score=1, label="Low", tone="good"), RiskBand(min_score=2, label="Raised", tone="bad")]
    risk = next(r for r in old.risks if r.residual is not None and r.residual.score >= 2)
    gone = changes.compare(changes.StrategyEdition(old.model_copy(update={"risks": [risk]}), risk_bands=bands),
                           changes.StrategyEdition(old.model_copy(update={"risks": []})))
    assert [(r.id, r.band) for r in gone.risks_removed] == [(risk.id, "Raised")]


def test_risk_moves_use_the_scores_the_models_give(workspace):
    """A move is read from each edition's Risk.residual.score, never worked out again from likelihood x impact."""
    from strategy_docs.inputs.params import Risk, Score

    class Weighted(Score):  # a score the model works out differently (1 x 1 + 10 = 11)
        @property
        def score(self) -> int:
            return self.likelihood * self.impact + 10

    old = _strategy(workspace, *_pair(workspace))
    then = Risk(id="RX", title="Market exit", residual=Score(likelihood=1, impact=1))      # 1: Low
    now = Risk(id="RX", title="Market exit", residual=Weighted(likelihood=1, impact=1))    # 11: High
    result = changes.compare(changes.StrategyEdition(old.model_copy(update={"risks": [then]})),
                             changes.StrategyEdition(old.model_copy(update={"risks": [now]})))
    [move] = result.risks_up
    assert (move.id, move.previous_score, move.current_score, move.previous_band, move.current_band) == (
        "RX", 1, 11, "Low", "High")
    added = changes.compare(changes.StrategyEdition(old.model_copy(update={"risks": []})),
                            changes.StrategyEdition(old.model_copy(update={"risks": [now]})))
    assert [(r.id, r.score, r.band) for r in added.risks_added] == [("RX", 11, "High")]
