"""Acceptance: a plan that states only identity, context, themes and intentions goes in as it is.

No data folder at all, `synthetic_data: false`: it must validate and build, show every intention,
and show nothing it did not ask for: no risk scores, no hypotheses, no synthetic-data notice, no
national driver list; sections with no content are absent from the contents list.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from strategy_docs.cli.app import main

from .conftest import REPO

PROJECT = {"name": "A council's own plan", "edition": {"start_year": 2014, "years": 3}, "synthetic_data": False,
           "formats": ["html"]}
AUTHORITY = {"name": "Wolds Borough Council", "nation": "england"}
GROUP = {"name": "Older people"}
INTENTIONS = [
    {"id": "1.1", "theme": "home", "title": "Review the home care framework"},
    {"id": "1.2", "theme": "home", "title": "Extend telecare to every extra care scheme",
     "cycle": {"current": "Plan"}},  # a current position only: no expected stage
    {"id": "2.1", "theme": "carers", "title": "Commission a carers' support service",
     "drivers": ["Carers' strategy refresh"]},
]
STRATEGY = {
    "document_control": {"title": "Older people's commissioning plan 2014 to 2017",
                         "publication_date": "2014-02-01",
                         # national drivers are switched off: the plan lists none of its own
                         },
    "context": {"summary": "Our plan for the next three years.", "policy_drivers": {"national_defaults": False}},
    "themes": [{"id": "home", "name": "Living at home"}, {"id": "carers", "name": "Supporting carers"}],
    "intentions": INTENTIONS,
}


def minimal_workspace(root: Path, strategy: dict | None = None) -> Path:
    for folder in ("notebooks", "templates"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    files = {"params/project.yaml": PROJECT, "params/authorities/wolds.yaml": AUTHORITY,
             "params/client-groups/older-people.yaml": GROUP,
             "params/strategies/wolds/older-people.yaml": strategy or STRATEGY}
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return root


def run(ws: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--workspace", str(ws)], catch_exceptions=False)


def test_minimal_plan_validates_and_says_which_sections_are_left_out(tmp_path):
    ws = minimal_workspace(tmp_path / "ws")
    result = run(ws, "validate")
    assert result.exit_code == 0, result.output
    assert "Valid: 1 document," in result.output and "(0 warnings)" in result.output
    [note] = [line for line in result.output.splitlines() if line.startswith("note:")]
    for heading in ("Hypotheses tested against the evidence", "Needs analysis", "Market and resource analysis",
                    "Gap analysis", "Risk register", "Performance and monitoring", "Policy and legislation"):
        assert f"'{heading}'" in note, heading
    assert "'Commissioning intentions'" not in note and "'Context, purpose and document control'" not in note


def test_the_drivers_and_outcomes_sections_come_back_when_given(tmp_path):
    from strategy_docs.build.pipeline import validate
    from strategy_docs.inputs.workspace import Workspace

    strategy = yaml.safe_load(yaml.safe_dump(STRATEGY))
    strategy["context"]["policy_drivers"] = {"national_defaults": True}
    ws = minimal_workspace(tmp_path / "ws", strategy)
    notes = [w for w in validate(Workspace(ws)).warnings if w.severity == "info"]
    assert len(notes) == 1 and "'Policy and legislation'" not in notes[0].message


@pytest.mark.slow
def test_minimal_plan_builds_with_nothing_invented(tmp_path):
    ws = minimal_workspace(tmp_path / "ws")
    result = run(ws, "build", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "1 built" in result.output and "0 failed" in result.output
    html = (ws / "build" / "2014-15" / "wolds" / "older-people.html").read_text(encoding="utf-8")

    for intention in INTENTIONS:  # every intention, in full
        assert intention["title"].replace("'", "&#39;") in html or intention["title"] in html, intention["title"]
    assert "Living at home" in html and "Supporting carers" in html
    assert "Our plan for the next three years." in html

    text = re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)
    lower = re.sub(r"<[^>]+>", " ", text).lower()  # what a reader sees
    for absent in ("synthetic", "hypothes", "risk register", "heat map", "likelihood", "care act 2014",
                   "health and care act", "policy and legislation", "not set", "none listed", "on track",
                   "higher is better", "commission new", "continue to invest"):
        assert absent not in lower, absent
    assert "[x]" not in lower  # no "not available" placeholders either
    assert "synthetic-notice" not in text

    contents = re.search(r'<nav [^>]*class="toc".*?</nav>', html, re.S).group(0)
    entries = re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', contents)
    assert entries == ["Context, purpose and document control", "Commissioning intentions", "About this document"]
    # the cycle shows the one stated position and no expected stage
    cycle = re.search(r'<table class="cycle".*?</table>', html, re.S).group(0)
    assert cycle.count("is-now") == 1 and "is-expected" not in cycle and "<strong>Expected:" not in cycle


@pytest.mark.slow
def test_left_out_sections_are_absent_from_the_pdf_outline_and_the_docx(tmp_path):
    import docx
    from pypdf import PdfReader

    ws = minimal_workspace(tmp_path / "ws")
    project = yaml.safe_load((ws / "params" / "project.yaml").read_text())
    project["formats"] = ["html", "pdf", "docx"]
    (ws / "params" / "project.yaml").write_text(yaml.safe_dump(project))
    result = run(ws, "build", "--jobs", "1")
    assert result.exit_code == 0, result.output
    out = ws / "build" / "2014-15" / "wolds"
    outline = [item.title for item in PdfReader(out / "older-people.pdf").outline if not isinstance(item, list)]
    assert outline == ["Context, purpose and document control", "Commissioning intentions", "About this document"]
    document = docx.Document(out / "older-people.docx")
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Context, purpose and document control", "Summary", "Document control",
                        "Commissioning intentions", "Living at home", "Supporting carers"]
    assert "synthetic" not in "\n".join(p.text for p in document.paragraphs).lower()


def test_registers_round_trip_a_plan_that_states_little(tmp_path):
    """Excel registers export and import what is given and add nothing (no empty scores or owners)."""
    from strategy_docs.annual import registers

    strategy = yaml.safe_load(yaml.safe_dump(STRATEGY))
    strategy["risks"] = [{"id": "R1", "event": "Providers cannot recruit"}]
    strategy["indicators"] = [{"id": "I1", "name": "People supported at home"}]
    strategy["hypotheses"] = [{"id": "H1", "statement": "More people want care at home"}]
    ws = minimal_workspace(tmp_path / "ws", strategy)
    path = ws / "params" / "strategies" / "wolds" / "older-people.yaml"
    before = yaml.safe_load(path.read_text())
    book = registers.export_registers(ws, "wolds", "older-people", tmp_path / "r.xlsx")
    result = registers.import_registers(ws, book, "wolds", "older-people")
    assert result.changed == [] and yaml.safe_load(path.read_text()) == before
