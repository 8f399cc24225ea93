"""Section content built from the example workspace, without a kernel: the blocks readers see."""

from __future__ import annotations

import pytest

from strategy_docs.sections import content as sections

from .conftest import REPO


@pytest.fixture(scope="module")
def doc():
    return sections.load_document(REPO, "northshire", "older-people")


def table_rows(block):
    return [[(c.get("text") if "text" in c else c.get("html")) for c in ([r["header"]] if r["header"] else []) + r["cells"]]
            for r in block["rows"]]


def test_gap_template_has_the_guidance_columns(doc):
    [table] = sections.gap_template(doc)
    assert [c["label"] for c in table["columns"]] == [
        "Strategic Objective", "The Gap – Service Developments", "Rationale", "Commissioning Implications"]
    assert len(table["rows"]) == len(doc.ctx.strategy.gap_analysis)


def test_risk_register_is_sorted_by_residual_score(doc):
    [table] = sections.risk_register(doc)
    scores = [int(row[7].split("=")[-1]) for row in table_rows(table)]
    assert scores == sorted(scores, reverse=True)
    bands = [row[8] for row in table_rows(table)]
    assert all(band in {"Low", "Medium", "High", "Very high"} for band in bands)


def test_heat_map_counts_every_risk(doc):
    [table] = sections.risk_heat_map(doc)
    counts = 0
    for row in table_rows(table):
        for cell in row[1:]:
            # a cell is blank or "N risk(s) (Band)": never "0 (Very high)"
            assert cell == "" or (int(cell.split(" ")[0]) > 0 and cell.split(" ")[1] in ("risk", "risks")), cell
            counts += int(cell.split(" ")[0]) if cell else 0
    assert counts == len(doc.ctx.strategy.risks)
    assert any(cell == "" for row in table_rows(table) for cell in row[1:])


def test_budget_totals_agree_with_lines(doc):
    from strategy_docs.analysis import resources

    blocks = sections.budget(doc)
    table = blocks[0]
    year = sections._budget_year(doc)
    summary = resources.budget_summary(doc.ctx.data.budget, year)
    footer = {r["cells"][0]["text"]: r["cells"][1]["text"] for r in table["footer_rows"]}
    assert footer["Net budget"] == f"£{summary.net_total:,.0f}"
    stated = doc.ctx.strategy.budget_totals
    if stated is not None and stated.net_total is not None:
        assert round(summary.net_total) == round(stated.net_total)


def test_needs_sentences_state_the_numbers(doc):
    [prose] = sections.needs_sentences(doc)
    measure = doc.ctx.client_group.measures[0]
    base = int(doc.need_in(measure.id, doc.ctx.base_year))
    assert f"{measure.label}: {base:,} in {doc.ctx.base_year}" in prose["html"]


def test_intentions_show_cycle_positions_for_every_intention(doc):
    blocks = sections.intentions_by_theme(doc)
    cycles = [b for b in blocks if b["kind"] == "cycle"]
    assert sum(len(c["rows"]) for c in cycles) == len(doc.ctx.strategy.intentions)
    assert cycles[0]["stages"] == doc.ctx.authority.cycle.stages


def test_hypotheses_have_accepted_and_refuted(doc):
    verdicts = {v for _, v, _, _ in doc.hypothesis_results}
    assert {"accepted", "refuted"} <= verdicts
