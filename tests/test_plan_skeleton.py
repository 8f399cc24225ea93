"""The plan's own skeleton, the record types real plans use and the optional guidance sections.

Without a kernel: the skeleton is worked out from params (`narrative.skeleton`) and applied by
`assemble`; text sections are made from params alone; the intentions section shows I statements,
contracts and cycle positions shared with another intention. Every expected value is written
out by hand.
"""

from __future__ import annotations

import copy

import nbformat
import pytest

from strategy_docs.analysis.cycle import vocabulary_of
from strategy_docs.errors import ParamsError
from strategy_docs.inputs.params import (Authority, CycleSettings, Intention, Strategy, Theme, check_strategy)
from strategy_docs.inputs.yamlio import LineMap
from strategy_docs.outputs import html as render
from strategy_docs.sections import blocks, content as sections, narrative

from .conftest import REPO

IDENTITY = {"document_control": {"title": "Older people's commissioning plan 2014 to 2017"}}


def strategy(**fields) -> Strategy:
    return Strategy.model_validate({**IDENTITY, **fields})


def problems(s: Strategy, authority: dict | None = None) -> list:
    from strategy_docs.inputs.params import ClientGroup

    auth = Authority.model_validate(authority or {"name": "Wolds Borough Council", "nation": "england"})
    return [p for p in check_strategy(s, auth, ClientGroup(name="Older people"), "s.yaml", LineMap())
            if p.severity == "error"]


# ---------------------------------------------------------------- the skeleton


def test_the_default_skeleton_is_todays_order_with_no_text_sections():
    assert narrative.skeleton(strategy()) == [
        {"section": name, "title": None, "number": None} for name in
        ("01-context", "02-hypotheses", "03-needs", "04-market-resources", "05-gaps", "06-intentions", "07-risks",
         "08-performance")]


def test_the_plans_order_titles_numbers_and_narrative_sections():
    s = strategy(sections=[
        {"id": "intentions", "title": "Key commissioning work", "number": "2"},
        {"title": "Our vision", "number": 1, "text": "We want older people to live well."},
        {"id": "01-context", "title": "Introduction"},
        "risks",
    ])
    made = narrative.skeleton(s)
    assert [(e["section"], e["title"], e["number"]) for e in made] == [
        ("06-intentions", "Key commissioning work", "2"),
        ("our-vision", "Our vision", "1"),
        ("01-context", "Introduction", None),
        ("07-risks", None, None),
        # not listed: after the plan's own, in the default order (nothing given is dropped)
        ("02-hypotheses", None, None), ("03-needs", None, None), ("04-market-resources", None, None),
        ("05-gaps", None, None), ("08-performance", None, None)]
    assert made[1]["blocks"] == [blocks.prose("We want older people to live well.")]


def test_an_empty_narrative_section_is_left_out():
    made = narrative.skeleton(strategy(sections=[{"title": "Our vision", "text": "  "}]))
    assert "our-vision" not in [e["section"] for e in made]


def test_narrative_headings_sit_under_the_section_and_skip_no_level():
    assert narrative.stepped_headings("# A\n\ntext\n\n#### B\n\n## C\n\n```\n# code\n```") == (
        "### A\n\ntext\n\n#### B\n\n### C\n\n```\n# code\n```")


def _section_notebook(name: str, heading: str, shown: list[dict]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"input_path": f"notebooks/{name}.ipynb"}
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: b}) for b in shown]
    nb.cells = [nbformat.v4.new_markdown_cell(heading, metadata={"tags": ["furniture"]}), cell]
    return nb


def test_assemble_puts_sections_in_the_plans_order_under_its_headings():
    notebooks = [_section_notebook("01-context", "## Context, purpose and document control", [blocks.prose("Context.")]),
                 _section_notebook("02-hypotheses", "## Hypotheses tested against the evidence\n\nIntro.", []),
                 _section_notebook("06-intentions", "## Commissioning intentions", [blocks.prose("Intentions.")])]
    s = strategy(sections=[{"id": "intentions", "title": "Key commissioning work", "number": "2"},
                           {"title": "Our *vision*", "text": "Vision."},
                           {"id": "context", "number": "3"}],
                 foreword={"text": "Welcome."})
    doc = render.assemble(notebooks, narrative.skeleton(s))
    headings = [c.source.splitlines()[0] for c in doc.cells if c.cell_type == "markdown"]
    assert headings == ["## 2 Key commissioning work", r"## Our \*vision\*", "## 3 Context, purpose and document control",
                        "## Foreword"]
    assert doc.metadata["strategy_docs"]["sections"] == ["06-intentions", "our-vision", "01-context", "foreword"]
    html = render.render_html(doc, {"title": "T", "authority_name": "A", "client_group_name": "C",
                                    "edition_label": "2014/15 to 2016/17"}, render.default_template_dir())
    toc = html[html.index('class="toc"'):html.index("</nav>")]
    assert toc.index("2 Key commissioning work") < toc.index("Our *vision*") < toc.index("3 Context") < toc.index(
        "Foreword")
    assert "Hypotheses" not in html  # a section with no content stays out, skeleton or not


def test_unknown_or_repeated_sections_are_refused_with_a_fix():
    found = problems(strategy(sections=["intentions", "risk", {"id": "06-intentions"},
                                        {"id": "needs", "title": "Vision", "text": "x"}]))
    assert [(p.field, p.message) for p in found] == [
        ("sections[risk].id", "there is no built-in section 'risk'."),  # entries named by their id
        ("sections[06-intentions]", "the section 'intentions' is listed twice (also at sections[0])."),
        ("sections[needs].id", "the narrative section's id 'needs' is the id of a built-in section."),
    ]
    assert "risks" in found[0].fix and "title' and 'text'" in found[0].fix


def test_a_narrative_section_needs_a_title():
    with pytest.raises(ValueError, match="needs a 'title'"):
        strategy(sections=[{"text": "Vision."}])


# ---------------------------------------------------------------- cycle positions


@pytest.fixture(scope="module")
def base():
    return sections.load_document(REPO, "northshire", "older-people")


def variant(base, authority=None, **strategy_changes) -> sections.Document:
    ctx = copy.copy(base.ctx)
    ctx.strategy = base.ctx.strategy.model_copy(update=strategy_changes)
    if authority is not None:
        ctx.authority = base.ctx.authority.model_copy(update=authority)
    doc = sections.Document(ctx)
    return doc


def _cycle(out: list[dict]) -> dict:
    return next(b for b in out if b["kind"] == "cycle")


def test_see_earlier_intention_shows_that_intentions_position_and_says_so(base):
    theme = Theme(id="home", name="Living at home")
    intentions = [Intention(id="I3", theme="home", title="Review home care", cycle={"current": "Plan and Do"}),
                  Intention(id="I4", theme="home", title="Extend telecare", cycle={"same_as": "I3"})]
    [first, second] = _cycle(sections.intentions_by_theme(variant(base, themes=[theme], intentions=intentions)))["rows"]
    assert second["current_stages"] == first["current_stages"] == [1, 2]
    assert second["current_text"] == "As for I3 (Plan and Do)" and first["current_text"] == "Plan and Do"


def test_cycle_references_must_name_another_intention_and_end_in_a_stage():
    themes = [{"id": "home", "name": "Living at home"}]
    def with_cycles(*cycles):
        return strategy(themes=themes, intentions=[{"id": f"I{n}", "theme": "home", "title": f"Intention {n}", "cycle": c}
                                                   for n, c in enumerate(cycles, start=1)])
    [unknown] = problems(with_cycles({"same_as": "I9"}))
    assert unknown.field == "intentions[I1].cycle.same_as" and "'I9', which is not defined" in unknown.message
    [own] = problems(with_cycles({"same_as": "I1"}))
    assert own.message == "an intention cannot share its own cycle position."
    loop = problems(with_cycles({"same_as": "I2"}, {"same_as": "I1"}))
    assert [p.field for p in loop] == ["intentions[I1].cycle.same_as", "intentions[I2].cycle.same_as"]
    assert problems(with_cycles({"current": "Plan"}, {"same_as": "I1"}), ) == []
    with pytest.raises(ValueError, match="either 'same_as'"):
        with_cycles({"same_as": "I1", "current": "Plan"})


def test_a_built_in_six_stage_vocabulary_with_the_plans_own_synonyms():
    vocabulary = vocabulary_of(CycleSettings(vocabulary="six-stage", synonyms={"Procurement": "Implement"}))
    assert vocabulary.stages == ("Analyse", "Design", "Prepare", "Implement", "Manage", "Evaluate")
    assert vocabulary.stages_in("Preparation and Procurement") == (2, 3)  # a built-in synonym and the plan's own
    assert vocabulary.stages_in("Analyse, Preparation and Implementation") == (0, 2, 3)  # not Design between
    with pytest.raises(ValueError, match="either 'vocabulary'"):
        CycleSettings(vocabulary="ipc", stages=["A", "B"])


def test_an_authoritys_own_stages_with_synonyms_keep_the_sources_wording(base):
    authority = {"cycle": CycleSettings(stages=["Analyse", "Plan", "Do", "Review"],
                                        synonyms={"Prepare": "Plan", "Implementation": "Do"})}
    theme = Theme(id="home", name="Living at home")
    intentions = [Intention(id="I1", theme="home", title="Review home care", cycle={"current": "Prepare and Implementation"})]
    [row] = _cycle(sections.intentions_by_theme(variant(base, authority, themes=[theme], intentions=intentions)))["rows"]
    assert row["current_stages"] == [1, 2] and row["current_text"] == "Prepare and Implementation"


# ---------------------------------------------------------------- record types


def test_i_statements_are_shown_under_their_theme_as_written(base):
    theme = Theme(id="home", name="Living at home", i_statements=["I can stay in my own home", "I have *choice*"])
    intentions = [Intention(id="I1", theme="home", title="Review home care")]
    out = sections.intentions_by_theme(variant(base, themes=[theme], intentions=intentions))
    [statements] = [b for b in out if b["kind"] == "prose" and "What people will be able to say" in b["html"]]
    assert "<li>I can stay in my own home</li>" in statements["html"]
    assert "<li>I have *choice*</li>" in statements["html"]  # the plan's words, not Markdown


def test_contract_facts_show_only_the_columns_the_plan_gives(base):
    theme = Theme(id="home", name="Living at home")
    intentions = [Intention(id="I1", theme="home", title="Review home care",
                            contracts=[{"number": "C/2014/7", "annual_value": 2145300.5, "end_date": "2016-03-31"}]),
                  Intention(id="I2", theme="home", title="Extend telecare",
                            contracts=[{"name": "Telecare monitoring", "provider": "Wolds Careline"}])]
    [table] = sections.intention_contracts(variant(base, themes=[theme], intentions=intentions))
    assert [c["label"] for c in table["columns"]] == ["Intention", "Contract", "Contract number", "Provider",
                                                      "Annual value", "Ends"]
    rows = [[r["header"]["text"]] + [c["text"] for c in r["cells"]] for r in table["rows"]]
    assert rows == [["I1", "", "C/2014/7", "", "£2,145,300.50", "31 March 2016"],
                    ["I2", "Telecare monitoring", "", "Wolds Careline", "", ""]]
    assert sections.intention_contracts(variant(base, themes=[theme], intentions=[Intention(
        id="I1", theme="home", title="Review home care")])) == []
    with pytest.raises(ValueError, match="'name' or its 'number'"):
        Intention(id="I1", theme="home", title="x", contracts=[{"provider": "Wolds Careline"}])


def test_principles_and_case_examples_mapped_to_outcomes():
    s = strategy(outcomes={"style": "i-statements", "items": [{"code": "O1", "i_statement": "I feel safe"}]},
                 themes=[{"id": "home", "name": "Living at home"}],
                 principles=[{"name": "Prevention first", "text": "We act early."}, {"text": "Choice and control"}],
                 case_examples=[{"title": "Mrs A's story", "text": "Mrs A is 84.", "outcomes": ["O1"],
                                 "themes": ["home"], "source": "Told by her daughter; name changed"}])
    [principles] = narrative.principles(s)
    assert principles["html"] == ("<ul>\n<li><strong>Prevention first.</strong> We act early.</li>\n"
                                  "<li>Choice and control</li>\n</ul>\n")
    heading, story = narrative.case_examples(s)
    assert heading["text"] == "Mrs A's story" and heading["level"] == 3
    for shown in ("Mrs A is 84.", "<li>O1: I feel safe</li>", "<strong>Themes:</strong> Living at home.",
                  "<em>Source: Told by her daughter; name changed</em>"):
        assert shown in story["html"], shown
    [unknown] = problems(strategy(case_examples=[{"title": "A", "text": "B", "outcomes": ["O9"]}]))
    assert unknown.field == "case_examples[0].outcomes[0]" and "'O9', which is not defined" in unknown.message


# ---------------------------------------------------------------- optional guidance sections


def test_guidance_sections_are_shown_only_when_given():
    assert [e["section"] for e in narrative.skeleton(strategy()) if "blocks" in e] == []
    s = strategy(foreword={"text": "Welcome.", "signed_by": [{"name": "Cllr A Smith", "role": "Cabinet Member"}]},
                 workforce={"summary": "About 4,200 people work in care.",
                            "facts": [{"label": "Vacancy rate", "value": "9.5%", "detail": "Skills for Care, 2024"}],
                            "tables": [{"caption": "Staff by service", "columns": ["Service", "Staff"],
                                        "rows": [["Home care", "1,900"], ["Care homes", "about 2,300"]]}]},
                 for_providers="We will publish a market position statement.",
                 equality_impact={"assessment": "EqIA 2014/3", "date": "2014-01-20",
                                  "impacts": [{"group": "Age", "impact": "Positive"}]})
    made = {e["section"]: e for e in narrative.skeleton(s) if "blocks" in e}
    assert [(name, e["title"]) for name, e in made.items()] == [
        ("foreword", "Foreword"), ("workforce", "Workforce"),
        ("for-providers", "What this strategy means for providers"), ("equality-impact", "Equality impact")]
    signed = made["foreword"]["blocks"][1]["html"]
    assert signed == "<p><strong>Cllr A Smith</strong><br>\nCabinet Member</p>\n"
    prose, facts, table = made["workforce"]["blocks"]
    assert facts["items"] == [{"label": "Vacancy rate", "value": "9.5%", "detail": "Skills for Care, 2024"}]
    # the plan's cells as text: nothing parsed, summed or right-aligned
    assert [[r["header"]["text"]] + [c["text"] for c in r["cells"]] for r in table["rows"]] == [
        ["Home care", "1,900"], ["Care homes", "about 2,300"]]
    assert not any(c.get("numeric") for c in table["columns"])
    assert made["equality-impact"]["blocks"][0]["items"] == [
        {"label": "Assessment", "value": "EqIA 2014/3", "detail": ""}, {"label": "Date", "value": "20 January 2014", "detail": ""}]
    with pytest.raises(ValueError, match="row 1 has 1 cells"):
        strategy(workforce={"tables": [{"caption": "T", "columns": ["A", "B"], "rows": [["x"]]}]})


def test_a_misplaced_field_is_an_error_with_the_file_and_field(tmp_path):
    from .test_minimal_plan import STRATEGY, minimal_workspace
    from strategy_docs.inputs.params import load_params

    bad = copy.deepcopy(STRATEGY)
    bad["sections"] = [{"id": "intentions", "heading": "Key work"}]
    ws = minimal_workspace(tmp_path / "ws", bad)
    with pytest.raises(ParamsError) as caught:
        load_params(ws)
    [problem] = caught.value.problems
    assert problem.file == "params/strategies/wolds/older-people.yaml" and problem.field == "sections[intentions].heading"


def test_i_statement_outcomes_need_no_code_or_name(base):
    outcomes = {"style": "i-statements", "items": [{"i_statement": "I feel safe at home"},
                                                    {"i_statement": "I choose who supports me"}]}
    [table] = sections.outcomes(variant(base, outcomes=strategy(outcomes=outcomes).outcomes))
    assert [c["label"] for c in table["columns"]] == ["What it means to people"]
    assert [r["header"]["text"] for r in table["rows"]] == ["I feel safe at home", "I choose who supports me"]
    with pytest.raises(ValueError, match="needs its 'code' in an outcomes framework"):
        strategy(outcomes={"items": [{"name": "Improved health"}]})
    with pytest.raises(ValueError, match="says nothing"):
        strategy(outcomes={"style": "i-statements", "items": [{}]})


def test_validate_notes_left_out_sections_under_the_plans_headings(tmp_path):
    from strategy_docs.build.pipeline import validate
    from strategy_docs.inputs.workspace import Workspace

    from .test_minimal_plan import STRATEGY, minimal_workspace

    plan = copy.deepcopy(STRATEGY)
    plan["sections"] = [{"id": "risks", "title": "Risks to delivery", "number": "5"},
                        {"title": "Where we are now", "text": ""}, {"id": "foreword", "number": "0"}]
    [note] = [w for w in validate(Workspace(minimal_workspace(tmp_path / "ws", plan))).warnings if w.severity == "info"]
    assert "'5 Risks to delivery'" in note.message and "'Risk register'" not in note.message
    assert "'Where we are now'" in note.message and "'0 Foreword'" in note.message


def test_table_labels_rename_the_text_sections_tables_too():
    s = strategy(equality_impact={"impacts": [{"group": "Age", "impact": "Positive"}]},
                 table_labels={"equality-impacts": {"caption": "Table 9: Equality impacts",
                                                    "columns": {"Group": "Protected characteristic"}}})
    [entry] = [e for e in narrative.skeleton(s) if e["section"] == "equality-impact"]
    [table] = entry["blocks"]
    assert table["caption"] == "Table 9: Equality impacts"
    assert [c["label"] for c in table["columns"]] == ["Protected characteristic", "Impact"]


def test_the_plans_words_are_never_read_as_markdown():
    s = strategy(principles=[{"name": "Choice *and* control", "text": "We *mean* it."}],
                 foreword={"text": "Hello.", "signed_by": [{"name": "A_B [Leader]"}]})
    [principles] = narrative.principles(s)
    assert "Choice *and* control." in principles["html"] and "<em>mean</em>" in principles["html"]  # text is Markdown
    assert "A_B [Leader]" in narrative.foreword(s)[1]["html"]
    with pytest.raises(ValueError, match="same heading"):
        strategy(workforce={"tables": [{"caption": "T", "columns": ["A", "A"], "rows": [["x", "y"]]}]})


def test_what_has_changed_follows_a_shared_cycle_position():
    """An intention that says "see 1.1" moves on when 1.1 does, in "What has changed"."""
    from strategy_docs.annual import changes
    from strategy_docs.inputs.data import empty_table

    def plan(stage: str) -> Strategy:
        return strategy(themes=[{"id": "home", "name": "Living at home"}], intentions=[
            {"id": "1.1", "theme": "home", "title": "Review home care", "cycle": {"current": stage}},
            {"id": "1.2", "theme": "home", "title": "Extend telecare", "cycle": {"same_as": "1.1"}}])

    result = changes.compare(changes.StrategyEdition(plan("Analyse"), empty_table("indicators")),
                             changes.StrategyEdition(plan("Plan"), empty_table("indicators")))
    assert [(m.id, m.previous, m.current) for m in result.intentions_moved] == [
        ("1.1", "Analyse", "Plan"), ("1.2", "Analyse", "Plan")]


def test_a_cycle_with_no_expected_stage_speaks_of_none():
    """Never invent: no "expected" caption or column when the plan states current positions only."""
    now_only = blocks.cycle(["Analyse", "Plan", "Do", "Review"],
                            [{"label": "1.1 Review home care", "current": [1, 1], "current_text": "Prepare"}])
    html = render.render_block_html({**now_only, "id": "cycle-1"})
    assert "Where each area is in the cycle now</caption>" in html and "xpected" not in html
    table = blocks.cycle_as_table(now_only)
    assert table["caption"] == "Where each area is in the cycle now"
    assert table["columns"][-1] == {"label": "Now"} and table["rows"][0]["cells"][-1] == {"text": "Now: Prepare"}
    both = blocks.cycle(["Analyse", "Plan"], [{"label": "A", "current": [0, 0], "expected": [1, 1],
                                              "current_text": "Analyse", "expected_text": "Plan"}])
    assert blocks.cycle_as_table(both)["caption"] == "Where each area is in the cycle now, and where it is expected to be"
    assert "Now and expected</th>" in render.render_block_html({**both, "id": "cycle-2"})


def test_a_heading_is_one_line():
    with pytest.raises(ValueError, match="a heading is one line"):
        strategy(sections=[{"id": "intentions", "title": "Key\ncommissioning work"}])
