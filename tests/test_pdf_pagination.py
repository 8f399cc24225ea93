"""Pagination a council would print: each PDF read back page by page (tests/pdf_layout.py).

No split table leaves fewer than three rows on a page; totals only on a table's last page; the
headings and text that introduce a table start on its page; wide tables on landscape pages, with
a short section's text beside them; no page under a third full but at a section's end; the
outline is the headings. The example's fifteen PDFs are built and held to the same rules.
"""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pypdf
import pytest
import typst

from strategy_docs.i18n import translator
from strategy_docs.outputs import html as render, pdf
from strategy_docs.outputs.typst_markup import typst_source
from strategy_docs.sections import blocks

from .conftest import build_example
from .pdf_layout import pagination_problems, read_layout

try:
    from tests.browser import sample_meta
except ImportError:  # tests/ is on sys.path, not a package
    from browser import sample_meta

pytestmark = pytest.mark.slow


def make_pdf(notebooks, **meta) -> bytes:
    return pdf.render_pdf(pdf.pdf_document(render.assemble(notebooks), sample_meta(**meta)))


def section(title: str, *items) -> nbformat.NotebookNode:
    """A section: its heading, then markdown text (str) and blocks (dict) in order."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"## {title}"))
    for item in items:
        if isinstance(item, str):
            nb.cells.append(nbformat.v4.new_markdown_cell(item))
        else:
            cell = nbformat.v4.new_code_cell("")
            cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: item})]
            nb.cells.append(cell)
    return nb


def filler(lines: int) -> str:
    """About ``lines`` lines of text across a portrait page."""
    return "\n\n".join("The council and its partners reviewed every service this year, " * 1 + "as planned."
                       for _ in range(lines))


PROVIDERS = pd.DataFrame({"Provider": [f"Provider {i}" for i in range(14)], "Beds": list(range(10, 24))})


def providers_table() -> dict:
    return blocks.table(PROVIDERS, "All providers", footer={"Provider": "Total beds", "Beds": int(PROVIDERS.Beds.sum())})


def test_the_checker_sees_orphan_rows_near_empty_pages_missing_captions_and_portrait_wide_tables():
    """The reader of pages is itself able to fail: a table typeset plainly, at a page's foot."""
    rows = ", ".join(f"[Row {i}], [{i}]" for i in range(12))
    wide = ", ".join(f"[H{i}]" for i in range(10))
    source = ('#set document(title: "t")\n#set text(lang: "en", region: "GB")\n#set page(paper: "a4", '
              'margin: (x: 2cm, top: 2.4cm, bottom: 2.2cm))\n= First\n#v(640pt)\n'
              f'#table(columns: 2, table.header([A], [B]), {rows}, table.footer([Total], [66]))\n'
              f'#pagebreak()\nShort page.\n#table(columns: 10, table.header({wide}), {wide})\n'
              '#pagebreak()\n#v(600pt)\nText.\n#pagebreak()\n= Second\nEnd.')
    layout = read_layout(typst.compile(source.encode(), format="pdf", pdf_standards=["ua-1"]))
    problems = pagination_problems(layout)
    assert any(re.fullmatch(r"table 1 \(pages 1-2\) leaves [12] row\(s\) on page 1", p) for p in problems), problems
    assert any(p.startswith("page 3 is") and "does not end a section" in p for p in problems), problems
    assert "table 2 (pages 3-3) has 10 columns but is on portrait page(s) [3]" in problems
    assert 'table 1 (pages 1-2) runs on to page 2 without a "(continued)" caption' in problems
    assert len(problems) == 4, problems  # page 4 ends the first section: it may be part full
    assert layout.outline == [(1, "First"), (1, "Second")] and layout.section_starts == {0: "First", 4: "Second"}
    assert [max(r) for r in layout.tables[0].footer_rows] == [1]  # the totals, on the table's last page


@pytest.mark.parametrize("lines", range(15, 50, 3))
def test_a_split_table_keeps_three_rows_on_each_page_and_its_totals_at_the_end(lines):
    """Wherever the page break falls, the table's first and last pages hold three rows or more."""
    reader = read_layout(make_pdf([section("Providers", filler(lines), providers_table())]))
    table = next(t for t in reader.tables if t.columns == 2 and len(t.body_rows) + len(t.footer_rows) == 15)
    assert all(table.rows_on(page) >= 3 for page in table.pages), [table.rows_on(p) for p in table.pages]
    assert len(table.footer_rows) >= 1 and all(max(r) == table.pages[-1] for r in table.footer_rows)
    assert pagination_problems(reader) == []


@pytest.mark.parametrize("lines", range(28, 48, 2))
def test_a_heading_and_its_introduction_start_on_the_page_of_their_table(lines):
    intro = "### Providers in the county\n\nEvery provider registered with the regulator, by beds."
    short = blocks.table(PROVIDERS.head(5), "Five providers")
    layout = read_layout(make_pdf([section("Providers", filler(lines), intro, short)]))
    table = next(t for t in layout.tables if len(t.body_rows) == 5)
    assert table.pages == [layout.page_of("Providers in the county")]
    assert pagination_problems(layout) == []


def test_a_short_section_shares_the_landscape_page_of_its_wide_table():
    wide = pd.DataFrame({f"Column {i}": [f"Value {i}.{r}" for r in range(4)] for i in range(11)})
    risks = section("Risk register", "Each risk is scored for likelihood and impact.",
                    blocks.table(pd.DataFrame({"Likelihood": [1, 2], "Count": [3, 4]}), "Risks by likelihood"),
                    blocks.table(wide, "Risk register"))
    layout = read_layout(make_pdf([section("Context", "Text."), risks]))
    start = layout.page_of("Risk register")
    assert layout.landscape[start] and not layout.landscape[layout.page_of("Context")]
    assert [t.pages for t in layout.tables if t.columns == 11] == [[start]]
    assert pagination_problems(layout) == []


def test_a_tall_chart_is_scaled_to_fit_a_page_and_names_its_data_table():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="500pt" height="1200pt" viewBox="0 0 500 1200">'
           '<rect width="500" height="1200" fill="#1d4f91"/></svg>')
    figure = {"kind": "figure", "id": "tall", "svg": svg, "alt": "A tall bar.", "caption": "Tall chart",
              "table_id": "tall-data"}
    data = blocks.table(pd.DataFrame({"Year": ["2025"], "Value": [1]}), "Data for: Tall chart", id="tall-data")
    notebook = render.assemble([section("Needs", figure, data)])
    source = typst_source(notebook, {**sample_meta(), **render.normalise_meta(sample_meta())}).source
    assert re.search(r'format: "svg", width: 233\.3pt', source)  # 500 pt wide at most 560 pt tall
    reader = pypdf.PdfReader(__import__("io").BytesIO(make_pdf([section("Needs", figure, data)])))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "The numbers in this chart are in Table 1." in text
    assert "Table 1: Data for: Tall chart" in text


@pytest.fixture(scope="module")
def example_pdfs(tmp_path_factory):
    ws, _ = build_example(tmp_path_factory.mktemp("example-pdf"), "pdf")
    return sorted((ws / "build").glob("*/*/*.pdf"))


def _pagination_of(paths) -> dict:
    found = {}
    for path in paths:
        layout = read_layout(path.read_bytes())
        t = translator("cy" if path.name.endswith(".cy.pdf") else "en")
        problems = pagination_problems(layout, continued=t("(continued)"), contents=t("Contents"))
        if problems:  # tables without a tagged heading row among them
            found[path.relative_to(path.parents[2]).as_posix()] = problems
        if path.parent.name != "holmdale":  # its plan scores no risks: a register of four columns
            assert any(layout.landscape), path  # the others' risk registers have eleven columns
    return found


def test_every_example_pdf_is_paginated_as_a_council_would_print_it(example_pdfs):
    assert len(example_pdfs) == 21  # 16 strategies, and Glanmor's five again in Welsh
    assert _pagination_of(example_pdfs) == {}
