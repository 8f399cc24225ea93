"""'Have your say' on drafts and consultation drafts, and the authority's accessibility statement."""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from docx import Document

from strategy_docs.outputs import docx as docx_export, html as render
from strategy_docs.build import plan
from strategy_docs.errors import ParamsError
from strategy_docs.inputs.params import load_params

from .conftest import REPO, edit_yaml

try:
    from tests import browser as b
except ImportError:  # tests/ is on sys.path, not a package
    import browser as b

CONSULTATION = {
    "how_to_respond": "Fill in the **questionnaire** at any library.",
    "closing_date": "2026-07-20",
    "email": "carers.strategy@northshire.example",
    "address": "County Hall, Saltmere NS1 1AA",
    "other_formats": "Easy Read and large print on request.",
}
STATEMENT = {"url": "https://www.northshire.example/accessibility", "contact": "accessibility@northshire.example"}


def _html(**meta):
    return BeautifulSoup(render.render_html(render.assemble(b.make_section_notebooks()), b.sample_meta(**meta),
                                            b.TEMPLATE_DIR), "html.parser")


@pytest.mark.parametrize("status", ["draft", "consultation"])
def test_drafts_say_how_to_respond_by_when(status):
    soup = _html(status=status, consultation=CONSULTATION)
    section = soup.find("section", class_="have-your-say")
    assert section.h2.get_text() == "Have your say" and section.h2["id"] == "have-your-say"
    text = section.get_text(" ", strip=True)
    assert "Tell us what you think by 20 July 2026" in text
    assert section.find("time")["datetime"] == "2026-07-20"
    assert section.find("strong", string="questionnaire")  # the Markdown is rendered
    assert section.find("a", href="mailto:carers.strategy@northshire.example")
    assert "Write to: County Hall, Saltmere NS1 1AA" in text
    assert "Easy Read and large print on request." in text
    assert soup.select_one('nav.toc a[href="#have-your-say"]').get_text() == "Have your say"


def test_final_documents_and_documents_without_a_block_have_none():
    for soup in (_html(status="final", consultation=CONSULTATION), _html(status="draft")):
        assert soup.find("section", class_="have-your-say") is None
        assert soup.select_one('nav.toc a[href="#have-your-say"]') is None


def test_accessibility_statement_link_and_contact():
    soup = _html(accessibility_statement=STATEMENT)
    p = soup.find("p", class_="accessibility")
    assert p.find("a")["href"] == STATEMENT["url"]
    assert "contact accessibility@northshire.example" in p.get_text()
    assert _html().find("p", class_="accessibility") is None


def test_docx_has_your_say_and_statement():
    meta = dict(b.sample_meta(status="consultation"), consultation=CONSULTATION, accessibility_statement=STATEMENT)
    doc = Document(io.BytesIO(docx_export.render_docx(render.assemble(b.make_section_notebooks()), meta)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"][-1] == "Have your say"
    assert "Tell us what you think by 20 July 2026." in text
    assert "Email: carers.strategy@northshire.example" in text
    assert "Read " in text and "accessibility statement" in text


def test_example_consultation_reaches_the_document_meta():
    params = load_params(REPO)
    meta = plan.document_meta(params, "northshire", "carers")
    assert meta["consultation"]["closing_date"] == "2026-07-20"
    assert meta["accessibility_statement"]["url"].startswith("https://")
    assert plan.document_meta(params, "northshire", "older-people")["consultation"] is None  # final


def test_consultation_needs_a_way_to_respond_and_a_later_closing_date(workspace):
    path = workspace / "params" / "strategies" / "northshire" / "carers.yaml"

    def no_contact(data):
        data["consultation"].pop("email")
        data["consultation"].pop("address")

    edit_yaml(path, no_contact)
    with pytest.raises(ParamsError) as info:
        load_params(workspace)
    assert "email or a postal address" in " ".join(p.message for p in info.value.problems)

    def early(data):
        data["consultation"].update(email="a@b.example", closing_date="2026-01-01")

    edit_yaml(path, early)
    with pytest.raises(ParamsError) as info:
        load_params(workspace)
    assert "closing_date must be after" in " ".join(p.message for p in info.value.problems)
