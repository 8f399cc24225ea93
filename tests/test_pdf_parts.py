"""A very long document's PDF made in parts (outputs/pdf_parts.py) reads like the one made whole.

The thresholds are lowered so that a document of a dozen pages is made in parts: the same
document is compiled whole and in parts, and the two PDFs compared for what a reader and a
screen reader rely on: the sections and their bookmarks, every page's "Page X of Y", the
contents' page numbers and links, the numbering of tables and a reference across parts, the
"(continued)" captions, and a structure tree covering every piece of marked content.
"""

from __future__ import annotations

import contextlib
import io
import re

import pandas as pd
import pikepdf
import pypdf
import pytest

from strategy_docs.outputs import html as render, pdf, pdf_parts
from strategy_docs.sections import blocks

from .pdf_layout import tag_coverage
from .test_pdf_pagination import section

try:
    from tests.browser import sample_meta
except ImportError:  # tests/ is on sys.path, not a package
    from browser import sample_meta

pytestmark = pytest.mark.slow


def long_table(name: str, rows: int, table_id: str | None = None) -> dict:
    frame = pd.DataFrame({"Intention": [f"{name} intention {i}" for i in range(rows)],
                          "People": [10 + i for i in range(rows)]})
    block = blocks.table(frame, f"{name} intentions")
    if table_id:
        block["id"] = table_id
    return block


def notebooks() -> list:
    control = blocks.table(pd.DataFrame({"Version": ["0.1", "0.2"], "Change": ["First draft", "Consultation"]}),
                           "Version history")
    control["id"] = "document-control"
    return [
        section("Context", "Why this strategy matters.", control),
        section("Commissioning intentions", "What we will do.",
                "### Theme 1: carers", long_table("Carers", 70),
                "### Theme 2: respite", long_table("Respite", 70),
                "### Theme 3: housing", long_table("Housing", 70)),
        section("Risk register", "The risks we watch.", long_table("Risk", 8)),
    ]


@pytest.fixture(scope="module")
def document():
    return pdf.pdf_document(render.assemble(notebooks()), sample_meta())


@pytest.fixture(scope="module")
def whole(document):
    return pdf.render_pdf(document)


@contextlib.contextmanager
def small_parts():
    saved = pdf_parts.PARTS_ABOVE_PAGES, pdf_parts.SECTION_PART_PAGES, pdf_parts.HEADING_PART_PAGES
    pdf_parts.PARTS_ABOVE_PAGES, pdf_parts.SECTION_PART_PAGES, pdf_parts.HEADING_PART_PAGES = 2.0, 0.5, 1.0
    try:
        yield
    finally:
        pdf_parts.PARTS_ABOVE_PAGES, pdf_parts.SECTION_PART_PAGES, pdf_parts.HEADING_PART_PAGES = saved


@pytest.fixture(scope="module")
def in_parts(document):
    with small_parts():
        assert pdf_parts.needs_parts(document)
        front, parts = pdf_parts.plan_parts(document)
        # context to theme 1, theme 2, theme 3 (each starting at its heading), the risks to the end
        assert [part.level for part in parts] == [1, 2, 2, 1]
        first = pdf.render_pdf(document)
        assert pdf.render_pdf(document) == first  # the same document, the same bytes
        return first


@pytest.mark.parametrize("cores", [1, 2])
def test_parts_made_one_or_two_at_a_time_give_the_same_bytes(document, in_parts, cores, monkeypatch):
    """Two cores: parts are compiled two at a time, each not knowing the page it starts on."""
    monkeypatch.setattr(pdf, "_cores", lambda: cores)
    with small_parts():
        assert pdf.render_pdf(document) == in_parts


def texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def bookmarks(data: bytes) -> list[tuple[int, str, int]]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return found


def test_a_short_document_is_compiled_whole(document):
    assert not pdf_parts.needs_parts(document)


def test_the_sections_and_their_headings_are_bookmarked_as_in_the_whole_pdf(whole, in_parts):
    assert [(depth, title) for depth, title, _ in bookmarks(in_parts)] == \
        [(depth, title) for depth, title, _ in bookmarks(whole)]
    assert (1, "Theme 2: respite") in [(d, t) for d, t, _ in bookmarks(in_parts)]  # under its section


def test_a_part_starting_at_a_heading_starts_a_new_page(in_parts):
    pages = {title: page for _, title, page in bookmarks(in_parts)}
    for theme in ("Theme 2: respite", "Theme 3: housing"):
        # the running header, then the heading, then its table
        assert theme in texts(in_parts)[pages[theme] - 1].split("\n")[:3]


def test_every_page_but_the_cover_says_page_x_of_y(in_parts):
    pages = texts(in_parts)
    assert "Page" not in pages[0]
    for number, text in enumerate(pages[1:], start=2):
        assert text.rstrip().endswith(f"Page {number} of {len(pages)}"), (number, text[-60:])


def test_the_contents_lists_each_section_at_its_page_and_links_to_it(in_parts):
    sections = [(title, page) for depth, title, page in bookmarks(in_parts) if depth == 0]
    contents = texts(in_parts)[1]
    for title, page in sections:
        assert re.search(re.escape(title) + r" \.+ " + str(page) + r"\b", contents), (title, page, contents)
    reader = pypdf.PdfReader(io.BytesIO(in_parts))
    targets = [reader.get_page_number(annotation.get_object()["/Dest"][0].get_object()) + 1
               for annotation in reader.pages[1]["/Annots"]]
    assert targets == [page for _, page in sections]


def test_tables_are_numbered_on_across_parts_and_a_reference_across_parts_names_its_table(whole, in_parts):
    def numbers(data):
        return re.findall(r"Table\s(\d+)", "\n".join(texts(data)))
    assert numbers(in_parts) == numbers(whole)
    about = texts(in_parts)[-1]
    assert "The document control record of this strategy is Table\xa01." in about  # Table 1, in the first part


def test_continued_captions_and_repeated_headers_stay(in_parts):
    pages = texts(in_parts)
    assert any("Carers intentions (continued)" in text for text in pages)


def test_the_structure_tree_covers_every_marked_piece_of_content(whole, in_parts):
    merged, single = tag_coverage(in_parts), tag_coverage(whole)
    assert merged["problems"] == []
    assert merged["marked"] == merged["tagged"] and merged["marked"]
    for kind in ("/H1", "/H2", "/Table", "/TH", "/TR"):
        assert merged["counts"].get(kind) == single["counts"].get(kind), kind


def test_the_merged_pdf_keeps_its_title_language_and_pdf_ua_identification(in_parts):
    with pikepdf.open(io.BytesIO(in_parts)) as merged:
        assert merged.open_metadata().get("pdfuaid:part") == "1"
        assert str(merged.Root.Lang) == "en-GB"
        assert bool(merged.Root.ViewerPreferences.DisplayDocTitle) and bool(merged.Root.MarkInfo.Marked)
        assert str(merged.docinfo.Title).startswith("Learning disability commissioning strategy")
