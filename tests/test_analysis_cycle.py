"""Commissioning-cycle vocabularies and stage parsing."""

from __future__ import annotations

import re

import pytest

from strategy_docs.analysis.cycle import IPC_VOCABULARY, SIX_STAGE_VOCABULARY, CycleVocabulary

IPC, SIX = IPC_VOCABULARY, SIX_STAGE_VOCABULARY


@pytest.mark.parametrize(
    "text, expected",
    [("Plan", (1, 1)), ("plan", (1, 1)), ("Analysis", (0, 0)), ("Securing Services", (2, 2)),
     ("Secure services", (2, 2)), ("Reviewing", (3, 3)), ("Analyse to Plan", (0, 1)),
     ("Analyse-Plan", (0, 1)), ("Plan, Do", (1, 2)), ("Analyse and Review", (0, 3)),
     ("ANALYSE  /  PLAN", (0, 1))],
)
def test_ipc_parse(text, expected):
    assert IPC.parse(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("Design and prepare", (1, 2)), ("Analyse, Preparation and Implementation", (0, 3)),
     ("Evaluation", (5, 5)), ("Implement – Manage", (3, 4)), ("Managing", (4, 4))],
)
def test_six_stage_parse(text, expected):
    assert SIX.parse(text) == expected


def test_unknown_words_list_allowed_stages():
    with pytest.raises(ValueError) as exc:
        IPC.parse("Procure and Plan")
    msg = str(exc.value)
    assert "'procure'" in msg and "Allowed stages: Analyse, Plan, Do, Review" in msg
    with pytest.raises(ValueError, match="No commissioning-cycle stage"):
        SIX.parse("  ")
    with pytest.raises(ValueError, match="Design"):
        SIX.parse("Do")  # 'Do' is IPC, not six-stage


def test_describe_and_progress():
    assert IPC.describe("Analysis to Planning") == "Analyse to Plan"
    assert IPC.progress("Analyse", "Plan") == "Moving from Analyse to Plan"
    assert IPC.progress("Plan", "plan") == "Staying at Plan"
    assert SIX.progress("Analyse", "Design and prepare") == "Moving from Analyse to Design and Prepare"
    assert SIX.progress("Analyse, Preparation", "Implement") == (
        "Moving from Analyse, Design and Prepare to Implement"
    )
    assert IPC.progress("Review", "Analyse") == "Moving from Review back to Analyse to start a new cycle"
    assert IPC.progress("Do", "Plan") == "The expected stage (Plan) is earlier than the current stage (Do)"


def test_custom_vocabulary_and_cycle_row():
    v = CycleVocabulary.from_spec({"stages": ["Understand", "Plan", "Do", "Review"],
                                   "synonyms": {"Understanding": "Understand"}})
    assert v.parse("Understanding to Do") == (0, 2)
    assert v.cycle_row("Extra care housing", "Understand", "Plan-Do") == {
        "label": "Extra care housing", "current": [0, 0], "expected": [1, 2],
        "current_text": "Understand", "expected_text": "Plan-Do",
    }
    assert CycleVocabulary.from_spec("six-stage") is SIX
    with pytest.raises(ValueError, match="not a stage"):
        CycleVocabulary(stages=("A", "B"), synonyms={"C": "D"})
    with pytest.raises(ValueError, match="built in"):
        CycleVocabulary.from_spec("seven-stage")


def test_compound_cells_name_a_set_of_stages_not_the_range_between():
    from strategy_docs.analysis.cycle import SIX_STAGE_VOCABULARY as six

    assert six.stages_in("Prepare and Manage") == (2, 4)
    assert six.stages_in("Analyse, Preparation and Implementation") == (0, 2, 3)  # Design is not lit
    assert six.stages_in("Analyse to Prepare") == (0, 1, 2)  # "to" spans
    assert six.stages_in("Design-Implement") == (1, 2, 3)
    assert six.stages_in("Managing") == (4,)
    assert six.parse("Prepare and Manage") == (2, 4)  # the range stays for ordering checks


def test_the_cycle_block_lights_only_the_stages_named():
    from strategy_docs.sections import blocks
    from strategy_docs.outputs import html as render

    block = blocks.cycle(["Analyse", "Design", "Prepare", "Implement", "Manage", "Evaluate"], [
        {"label": "EB-OP-06", "current": [0, 3], "current_stages": [0, 2, 3], "expected": [4, 4], "expected_stages": [4],
         "current_text": "Analyse, Preparation and Implementation", "expected_text": "Manage"}])
    html = render.render_block_html(dict(block, id="cycle-1"))
    cells = re.findall(r'<td class="stage([^"]*)"', html)
    assert cells == [" is-now", "", " is-now", " is-now", " is-expected", ""]
    assert "Analyse, Preparation and Implementation" in html  # the source's own wording


def test_stated_position_follows_references_the_same_through_a_list_or_intentions_by_id():
    from types import SimpleNamespace as NS

    from strategy_docs.analysis.cycle import intentions_by_id, stated_position

    own = NS(id="1.1", cycle=NS(current="Plan", expected="Do", same_as=None))
    refers = NS(id="1.2", cycle=NS(current=None, expected=None, same_as="1.3"))
    chained = NS(id="1.3", cycle=NS(current=None, expected=None, same_as="1.1"))
    unstated = NS(id="1.4", cycle=None)
    plan = [own, refers, chained, unstated]
    by_id = intentions_by_id(plan)
    for intentions in (plan, by_id):
        assert stated_position(own, intentions) == (own, own.cycle)
        assert stated_position(refers, intentions) == (own, own.cycle)  # 1.2 -> 1.3 -> 1.1
        assert stated_position(unstated, intentions) == (None, None)
