"""What a plan does not state is not shown: each consumer given None fields, without a kernel.

Each test takes the example document and leaves out what a real plan often does not state
(risk scores, indicator targets, hypothesis tests...), then checks that nothing is made up in
their place: no band, rating, verdict, placeholder or notice the input did not earn.
"""

from __future__ import annotations

import copy
import datetime as dt

import nbformat
import pytest

from strategy_docs.outputs import html as render
from strategy_docs.sections import content as sections
from strategy_docs.analysis.indicators import indicator_status
from strategy_docs.inputs.data import empty_table
from strategy_docs.inputs.params import DataSource, Hypothesis, Indicator, Intention, PolicyDriver, PolicyDriverSettings, Risk

from .conftest import REPO


@pytest.fixture(scope="module")
def base():
    return sections.load_document(REPO, "northshire", "older-people")


def variant(base, authority=None, data=None, **strategy_changes) -> sections.Document:
    ctx = copy.copy(base.ctx)
    ctx.strategy = base.ctx.strategy.model_copy(update=strategy_changes)
    if authority is not None:
        ctx.authority = base.ctx.authority.model_copy(update=authority)
    if data is not None:
        ctx.data = data
    return sections.Document(ctx)


def labels(table) -> list[str]:
    return [c["label"] for c in table["columns"]]


def cells(table) -> list[list[str]]:
    return [[(c.get("text") if "text" in c else c.get("html")) for c in ([r["header"]] if r["header"] else []) + r["cells"]]
            for r in table["rows"]]


# ---------------------------------------------------------------- risks


def test_risk_without_scores_shows_cause_event_effect_and_no_band(base):
    risk = Risk(id="R1", cause="Low pay in the care sector", event="Providers cannot recruit", effect="Packages are delayed")
    doc = variant(base, risks=[risk])
    assert sections.risk_heat_map(doc) == [] and sections.risk_introduction(doc) == []
    [table] = sections.risk_register(doc)
    assert labels(table) == ["ID", "Cause", "Event", "Effect"]
    assert cells(table) == [["R1", "Low pay in the care sector", "Providers cannot recruit", "Packages are delayed"]]
    assert table["caption"] == "Risk register"


def test_scored_and_unscored_risks_together_band_only_the_scored(base):
    scored = Risk(id="R2", event="Home care market fails", inherent={"likelihood": 4, "impact": 5},
                  residual={"likelihood": 2, "impact": 5})
    unscored = Risk(id="R1", event="Providers cannot recruit")
    doc = variant(base, risks=[unscored, scored])
    [table] = sections.risk_register(doc)
    rows = {row[0]: dict(zip(labels(table), row)) for row in cells(table)}
    assert rows["R2"]["Band"] == "High" and rows["R2"]["After mitigation"] == "2 x 5 = 10"  # 10: the default "High"
    assert rows["R1"]["Band"] == "" and rows["R1"]["Before mitigation"] == ""
    assert [row[0] for row in cells(table)] == ["R2", "R1"]  # scored first; unscored keep the plan's order
    [heat] = sections.risk_heat_map(doc)
    assert sum(int(c["text"].split()[0]) for row in heat["rows"] for c in row["cells"] if c.get("status")) == 1


def test_a_risk_must_say_something():
    with pytest.raises(ValueError, match="at least a 'title' or its 'event'"):
        Risk(id="R1")


# ---------------------------------------------------------------- indicators


def test_indicator_without_target_shows_values_and_no_rating(base):
    kept = base.ctx.strategy.indicators[0]
    bare = Indicator(id=kept.id, name=kept.name)  # no code, source, polarity, unit, target
    doc = variant(base, indicators=[bare])
    [table] = sections.performance_table(doc)  # no "on track" counts either
    assert "Rating" not in labels(table) and "Target" not in labels(table) and "Which is better" not in labels(table)
    assert "Latest" in labels(table) and not table.get("notes")
    latest = dict(zip(labels(table), cells(table)[0]))["Latest"]
    frame = base.ctx.data.indicators
    last = frame[frame["indicator_id"] == kept.id].sort_values("period").iloc[-1]
    assert last["period"] in latest
    assert sections.performance_trends(doc) == []


def test_indicator_status_without_target_or_polarity_has_no_label(base):
    frame = base.ctx.data.indicators
    ind = base.ctx.strategy.indicators[0]
    no_target = indicator_status(frame, ind.id, "higher", None)
    assert no_target.label is None and no_target.tone is None and no_target.reason is None and no_target.status is None
    assert no_target.direction in ("improving", "worsening", "no change", "not known")
    no_polarity = indicator_status(frame, ind.id, None, 50.0)
    assert no_polarity.label is None and no_polarity.direction is None and no_polarity.latest_value is not None


# ---------------------------------------------------------------- hypotheses


def test_hypothesis_without_test_shows_its_statement_and_no_verdict(base):
    h = Hypothesis(id="H1", statement="More people will want to stay at home.",
                   evidence_needed="Survey of older residents")
    doc = variant(base, hypotheses=[h])
    assert sections.hypotheses_summary(doc) == []
    [table] = sections.hypotheses_table(doc)
    assert labels(table) == ["ID", "Hypothesis", "Evidence needed"]
    assert table["caption"] == "Hypotheses"
    assert cells(table)[0][2] == "Survey of older residents"


def test_no_hypotheses_leaves_the_section_out(base):
    doc = variant(base, hypotheses=[], gap_analysis=[])
    assert not any(sections.has_content(doc, f) for f in ("hypotheses_summary", "hypotheses_table",
                                                           "hypotheses_implications", "gap_template"))


# ---------------------------------------------------------------- intentions and outcomes


def test_intention_with_only_identity_shows_no_type_owner_or_cycle(base):
    theme = base.ctx.strategy.themes[0].id
    doc = variant(base, intentions=[Intention(id="1.1", theme=theme, title="Review home care")])
    assert sections.intentions_overview(doc) == []
    blocks = sections.intentions_by_theme(doc)
    [table] = [b for b in blocks if b["kind"] == "table"]
    assert labels(table) == ["ID", "Intention"]
    assert not [b for b in blocks if b["kind"] == "cycle"]
    [intro] = sections.intentions_introduction(doc)
    assert "cycle" not in intro["html"]


def test_current_cycle_position_only(base):
    theme = base.ctx.strategy.themes[0].id
    doc = variant(base, intentions=[Intention(id="1.1", theme=theme, title="Review", cycle={"current": "Plan"})])
    [cycle] = [b for b in sections.intentions_by_theme(doc) if b["kind"] == "cycle"]
    assert cycle["rows"][0]["current"] == [1, 1] and cycle["rows"][0]["expected"] == []
    html = render.render_block_html(dict(cycle, id="cycle-1"))
    assert html.count("is-now") == 1 and "is-expected" not in html and "Expected:" not in html


# ---------------------------------------------------------------- policy drivers


def test_national_drivers_never_newer_than_the_plan(base):
    control = base.ctx.strategy.document_control.model_copy(update={"publication_date": dt.date(2014, 6, 1)})
    doc = variant(base, document_control=control)
    names = [d.name for d in sections.drivers_for(doc.ctx)]
    assert "Care Act 2014" in names and "Health and Care Act 2022" not in names
    assert "Market sustainability and fair cost of care" not in names  # 2021


def test_national_drivers_switched_off_or_replaced(base):
    own = PolicyDriver(name="Better Care Fund plan", level="regional", date=dt.date(2013, 9, 1))
    later = PolicyDriver(name="A later white paper", level="national", year=2030)
    context = base.ctx.strategy.context.model_copy(update={
        "policy_drivers": PolicyDriverSettings(national_defaults=False, drivers=[own, later]), "local_drivers": []})
    doc = variant(base, context=context, authority={"local_policy": []})
    [table] = sections.policy_drivers(doc)
    assert cells(table) == [["Better Care Fund plan", "", "Regional", "2013"]]
    assert table["caption"] == "Policy drivers"
    context = context.model_copy(update={"policy_drivers": PolicyDriverSettings(national_defaults=False)})
    assert sections.policy_drivers(variant(base, context=context, authority={"local_policy": []})) == []


# ---------------------------------------------------------------- data and provenance


def test_absent_tables_leave_their_sections_out(base):
    data = copy.copy(getattr(base.ctx.data, "_target", base.ctx.data))  # the data itself, not the recording view
    data.budget, data.unit_costs = empty_table("budget"), empty_table("unit_costs")
    data.files = {k: v for k, v in data.files.items() if k not in ("budget", "unit_costs")}
    doc = variant(base, data=data)
    assert sections.budget(doc) == [] and sections.unit_costs(doc) == [] and sections.spend_per_head(doc) == []
    assert sections.market_tables(doc)  # providers are still there


def test_synthetic_notice_only_beside_synthetic_figures(base):
    real = {"budget": DataSource(source="Council budget book 2026/27", synthetic=False)}
    doc = variant(base, authority={"data_sources": real})  # the project says synthetic_data: true for the rest
    assert not sections.document_is_synthetic(doc.ctx)
    budget = sections.budget(doc)
    assert not [b for b in budget if b["kind"] == "callout"]
    assert any(b["kind"] == "prose" and "Council budget book 2026/27" in b["html"] for b in budget)
    needs = sections.needs_period_table(doc)
    assert [b["title"] for b in needs if b["kind"] == "callout"] == ["Synthetic example data"]


def test_no_notice_anywhere_when_nothing_is_synthetic(base):
    ctx = copy.copy(base.ctx)
    ctx.project = base.ctx.project.model_copy(update={"synthetic_data": False})
    doc = sections.Document(ctx)
    assert not sections.document_is_synthetic(ctx)
    for name in ("needs_period_table", "budget", "market_tables", "performance_table", "unit_costs"):
        assert not [b for b in getattr(sections, name)(doc) if b["kind"] == "callout"], name


def test_every_section_honours_its_content_test(base):
    """has_content (what validate reports) agrees with what each function shows, both ways."""
    bare = variant(base, hypotheses=[], risks=[], indicators=[], gap_analysis=[], monitoring=None)
    for doc in (base, bare):
        for name in sections.SHOWN_WHEN:
            assert bool(getattr(sections, name)(doc)) == sections.has_content(doc, name), name


# ---------------------------------------------------------------- leaving sections out


def md(text):
    return nbformat.v4.new_markdown_cell(text)


def code():
    return nbformat.v4.new_code_cell(source="")


def test_drop_empty_sections_keeps_headings_with_content_below_them():
    # The registry's headings and introductions are furniture: alone they keep nothing. Prose an
    # analyst wrote into a notebook is content, like a block.
    intro = md("## B\n\nWhat this section is about.")
    intro.metadata["tags"] = [render.FURNITURE_TAG]
    cells = [md("## A"), md("### A1"), code(), md("### A2"), md("Some prose of A2"), intro, md("### B1"),
             md("## C"), code(), md("## D\n\nWritten here.")]
    kept, left_out = render.drop_empty_sections(cells)
    assert [c.source for c in kept if c.cell_type == "markdown"] == [
        "## A", "### A1", "### A2", "Some prose of A2", "## C", "## D\n\nWritten here."]
    assert left_out == ["B", "B1"]


def test_indicators_grouped_by_theme_and_area_with_several_codes(base):
    from strategy_docs.inputs.params import IndicatorGroup

    inds = [Indicator(id="a", name="Delayed transfers", codes=["ASCOF 2C", "NHS OF 3B"], framework="ASCOF",
                      theme="Independence", area="Hospital discharge"),
            Indicator(id="b", name="Permanent admissions", code="ASCOF 2A", theme="Independence", area="Care homes"),
            Indicator(id="c", name="Carers' quality of life", codes=["ASCOF 1D", "ASCOF 3B", "ASCOF 3C"],
                      theme="Independence", area="Hospital discharge")]
    groups = [IndicatorGroup(theme="Independence", area="Hospital discharge", notes="Reported monthly to the board.")]
    doc = variant(base, indicators=inds, indicator_groups=groups)
    tables = [b for b in sections.performance_table(doc) if b["kind"] == "table"]
    assert [t["caption"] for t in tables] == ["Performance indicators (Independence, Hospital discharge)",
                                              "Performance indicators (Independence, Care homes)"]
    assert [row[0] for row in cells(tables[0])] == ["ASCOF 2C, NHS OF 3B: Delayed transfers",
                                                    "ASCOF 1D, ASCOF 3B, ASCOF 3C: Carers' quality of life"]
    assert labels(tables[0])[:2] == ["Indicator", "Framework"] and "Framework" not in labels(tables[1])
    assert tables[0]["notes"] == "Reported monthly to the board." and not tables[1].get("notes")


def test_captions_and_column_headings_in_the_plans_own_words(base):
    from strategy_docs.inputs.params import TableLabels

    theme = base.ctx.strategy.themes[0]
    labels = {f"intentions-{theme.id}": TableLabels(caption="Table 2: Commissioning intentions",
                                                     columns={"Activity this year": "Key commissioning work"}),
              "Risk register, highest risk after mitigation first": TableLabels(caption="Table 5: Risks"),
              "*": TableLabels(columns={"ID": "Ref"})}
    doc = variant(base, table_labels=labels)
    [table] = [b for b in sections.intentions_by_theme(doc) if b["kind"] == "table" and b["id"] == f"intentions-{theme.id}"]
    assert table["caption"] == "Table 2: Commissioning intentions"
    assert labels_of(table)[0] == "Ref" and "Key commissioning work" in labels_of(table)
    assert "Activity this year" not in labels_of(table)
    [risks] = sections.risk_register(doc)
    assert risks["caption"] == "Table 5: Risks" and labels_of(risks)[0] == "Ref"


def labels_of(table) -> list[str]:
    return [c["label"] for c in table["columns"]]


def test_every_strategy_field_is_an_input_of_some_section():
    """Never stale: a strategy field no section key covers would not rebuild the section that reads it."""
    from strategy_docs.sections import registry
    from strategy_docs.inputs.params import Strategy

    covered = {name.removeprefix("strategy.") for s in registry.SECTIONS for name in s.inputs if name.startswith("strategy.")}
    covered |= set(registry.RENDERED_FROM_METADATA)
    assert set(Strategy.model_fields) <= covered, set(Strategy.model_fields) - covered


# ---------------------------------------------------------------- outcomes' commissioning layers, intentions' outcomes


def test_commissioning_layers_the_plan_does_not_give_are_not_shown_as_none(base):
    from strategy_docs.inputs.params import Outcomes

    framework = Outcomes.model_validate({"items": [{"code": "IH", "name": "Improved health", "commissioning": {
        "strategic": ["Jointly commission a dementia service"], "decommissioning": []}}]})
    [table] = sections.outcomes(variant(base, outcomes=framework))
    # local and individual are not given: no row; decommissioning is given as none: "None", as the plan says
    assert cells(table) == [["Strategic commissioning", "Jointly commission a dementia service"],
                            ["Decommissioning", "None"]]


def test_an_intention_without_outcomes_has_an_empty_cell_not_none_listed(base):
    intentions = [Intention(id="1.1", theme="T1", title="Review home care", outcomes=["IH"]),
                  Intention(id="1.2", theme="T1", title="Extend telecare")]
    themes = [base.ctx.strategy.themes[0].model_copy(update={"id": "T1", "outcomes": []})]
    doc = variant(base, intentions=intentions, themes=themes)
    [table] = [b for b in sections.intentions_by_theme(doc) if b["kind"] == "table"]
    column = labels(table).index("Outcomes")
    assert [row[column] for row in cells(table)] == ["IH", ""]
