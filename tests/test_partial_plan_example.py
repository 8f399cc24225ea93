"""The second bundled example: Holmdale's older people's plan, shaped like a real partial plan.

It holds document control, an introduction, a narrative vision, principles, themes with
I statements, intentions with cycle positions (one "see 1.2 above") and a case example, in the
plan's own order under its own numbered headings; no data at all. Built as the README's first
command builds it, it must come out as it stands: every intention, nothing it did not ask for,
and the same sections in the contents list, the PDF outline and the Word headings.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from strategy_docs.cli.app import main
from strategy_docs.inputs.params import load_params

from .conftest import REPO, copy_workspace, edit_yaml

AUTHORITY, GROUP = "holmdale", "older-people"
PLAN_SECTIONS = ["1 Our vision", "2 Introduction", "3 The principles we work to", "4 Key commissioning work",
                 "5 What this means for people"]


def test_the_partial_plan_is_in_the_matrix_with_no_data():
    params = load_params(REPO)
    assert (AUTHORITY, GROUP) in params.pairs()
    assert [p for p in params.pairs() if p[0] == AUTHORITY] == [(AUTHORITY, GROUP)]
    assert not (REPO / "data" / AUTHORITY).exists()


def test_the_partial_plan_validates_and_notes_what_it_leaves_out(tmp_path):
    ws = copy_workspace(tmp_path / "ws", authorities=[AUTHORITY])
    result = CliRunner().invoke(main, ["validate", "--strict", "--workspace", str(ws)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "(0 warnings)" in result.output
    [note] = [line for line in result.output.splitlines() if line.startswith("note:")]
    for heading in ("Hypotheses tested against the evidence", "Risk register", "Needs analysis",
                    "Policy and legislation"):
        assert f"'{heading}'" in note


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    ws = copy_workspace(tmp_path_factory.mktemp("partial") / "ws", authorities=[AUTHORITY])
    edit_yaml(ws / "params" / "project.yaml", lambda p: p.update(formats=["html", "pdf", "docx"]))
    result = CliRunner().invoke(main, ["build", "--jobs", "1", "--workspace", str(ws)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 built" in result.output and "0 failed" in result.output
    return ws / "build" / "2026-27" / AUTHORITY


def _visible(html: str) -> str:
    text = re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


@pytest.mark.slow
def test_the_partial_plan_comes_out_as_it_stands(built):
    html = (built / f"{GROUP}.html").read_text(encoding="utf-8")
    contents = re.search(r'<nav [^>]*class="toc".*?</nav>', html, re.S).group(0)
    # the glossary explains the abbreviations the plan's own text uses (its only section not the plan's)
    assert re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', contents) == PLAN_SECTIONS + ["Glossary",
                                                                                         "About this document"]
    main_part = html[html.index('<main'):html.index("</main>")]
    assert re.findall(r"<h2[^>]*>([^<]+)</h2>", main_part) == PLAN_SECTIONS + ["Glossary"]  # the body in the plan's order

    text = _visible(html)
    strategy = load_params(REPO).strategies[(AUTHORITY, GROUP)]
    for intention in strategy.intentions:
        assert f"{intention.id} {intention.title}" in text, intention.id
    for shown in ("I can stay in my own home for as long as I want to.", "Prevention first.", "Mr B's story",
                  "What will be different by 2029", "Now: As for 1.2 (Implementation)",
                  "Now: Prepare and Implementation", "Ref Intention"):
        assert shown in text, shown
    lower = text.lower()
    for absent in ("synthetic", "hypothes", "risk register", "likelihood", "heat map", "care act 2014",
                   "policy and legislation", "on track", "higher is better", "not set", "none listed",
                   "commission new", "continue to invest", "budget", "expected"):
        assert absent not in lower, absent
    assert "synthetic-notice" not in re.sub(r"<style\b.*?</style>", "", html, flags=re.S)
    # "Prepare and Implementation" lights Plan and Do only, in the plan's own stage words
    row = re.search(r"<tr><th scope=\"row\">2\.1 .*?</tr>", html, re.S).group(0)
    assert re.findall(r'class="stage is-now" data-label="(\w+)"', row) == ["Plan", "Do"]


@pytest.mark.slow
def test_the_pdf_outline_and_word_headings_follow_the_plan(built):
    import docx
    from pypdf import PdfReader

    outline = [item.title for item in PdfReader(built / f"{GROUP}.pdf").outline if not isinstance(item, list)]
    assert outline == PLAN_SECTIONS + ["Glossary", "About this document"]
    document = docx.Document(built / f"{GROUP}.docx")
    top = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert top == PLAN_SECTIONS + ["Glossary"]


def test_the_excel_registers_keep_see_earlier_intention_and_contracts(tmp_path):
    """A round trip through Excel drops nothing the plan states: `same_as` has its column, and
    fields with no column (an intention's contracts) stay as the YAML has them."""
    import datetime as dt

    import yaml

    from strategy_docs.annual import registers

    ws = copy_workspace(tmp_path / "ws", authorities=[AUTHORITY])
    path = ws / "params" / "strategies" / AUTHORITY / f"{GROUP}.yaml"
    edit_yaml(path, lambda s: s["intentions"][0].update(contracts=[
        {"name": "Home care framework", "number": "C/2026/1", "annual_value": 2145300.5, "end_date": dt.date(2027, 3, 31)}]))
    before = yaml.safe_load(path.read_text(encoding="utf-8"))
    book = registers.export_registers(ws, AUTHORITY, GROUP, tmp_path / "registers.xlsx")
    result = registers.import_registers(ws, book, AUTHORITY, GROUP)
    assert result.changed == [] and yaml.safe_load(path.read_text(encoding="utf-8")) == before
    assert before["intentions"][2]["cycle"] == {"same_as": "1.2"}
