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


def _dementia_need(population, year: int) -> float:
    rates = {("65-69", "male"): 1.5, ("65-69", "female"): 1.8, ("70-74", "male"): 3.1, ("70-74", "female"): 2.9,
             ("75-79", "male"): 5.1, ("75-79", "female"): 6.6, ("80-84", "male"): 10.2, ("80-84", "female"): 12.9,
             ("85+", "male"): 20.5, ("85+", "female"): 27.4}  # params/client-groups/older-people.yaml
    part = population[population["year"] == year]
    return sum(p * rates.get((b, s), 0) / 100 for b, s, p in zip(part["age_band"], part["sex"], part["population"]))


def test_unmet_need_compares_need_and_people_known_in_one_year(doc):
    # it put the 2026 need (14,224) beside the people known at 31 March 2025, under the caption '2025'
    [table] = [b for b in sections.unmet_need_table(doc) if b.get("id") == "unmet-need"]
    assert table["caption"].endswith(", 2025")
    need, known = table_rows(table)[0][1:3]
    assert need == f"{round(_dementia_need(doc.inputs.population, 2025)):,}" == "13,880"
    assert known == "2,200"  # residential and nursing care, 31 March 2025, data/northshire/service_users.csv


def test_unmet_need_names_both_years_when_the_population_has_not_the_count_year(tmp_path):
    from .conftest import copy_workspace
    from .robust_support import prune

    ws = prune(copy_workspace(tmp_path / "ws"))
    path = ws / "data" / "northshire" / "service_users.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0]] + [line for line in lines[1:] if line.startswith("2021,")]) + "\n", encoding="utf-8")
    doc = sections.load_document(ws, "northshire", "older-people")
    [table] = [b for b in sections.unmet_need_table(doc) if b.get("id") == "unmet-need"]
    assert table["caption"] == "Estimated need in 2026 compared with people known to services at 31 March 2021"
    assert table_rows(table)[0][1] == f"{round(_dementia_need(doc.inputs.population, 2026)):,}"
