"""render.py: assembling section notebooks and rendering them to one accessible HTML document."""

from __future__ import annotations

import base64
import re
import time

import nbformat
import pytest
from bs4 import BeautifulSoup

from strategy_docs.sections import blocks
from strategy_docs.outputs import html as render
from strategy_docs.errors import RenderError

try:
    from tests.browser import TEMPLATE_DIR, make_section_notebooks, sample_meta
except ImportError:  # tests/ is on sys.path, not a package
    from browser import TEMPLATE_DIR, make_section_notebooks, sample_meta

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def document():
    return render.assemble(make_section_notebooks())


@pytest.fixture(scope="module")
def html(document):
    return render.render_html(document, sample_meta(), TEMPLATE_DIR)


@pytest.fixture(scope="module")
def soup(html):
    return BeautifulSoup(html, "html.parser")


# --- assemble -----------------------------------------------------------------------------

def test_assemble_keeps_only_markdown_and_blocks(document):
    kinds = [c.cell_type for c in document.cells]
    assert set(kinds) == {"markdown", "code"}
    for cell in document.cells:
        if cell.cell_type == "code":
            assert cell.source == ""
            assert cell.outputs
            for output in cell.outputs:
                assert output.output_type == "display_data"
                assert set(output.data) == {blocks.MIME_TYPE}
    text = nbformat.writes(document)
    assert "INJECTED-SECRET" not in text  # injected-parameters cell dropped
    assert "a warning" not in text  # stderr dropped
    assert "display.something" not in text  # code input dropped
    assert document.metadata["strategy_docs"]["sections"] == ["01-context", "03-needs", "07-risks"]


def test_assemble_reads_notebook_files(tmp_path):
    paths = []
    for nb in make_section_notebooks(chart=False):
        path = tmp_path / (nb.metadata["papermill"]["input_path"].split("/")[-1])
        nbformat.write(nb, str(path))
        paths.append(path)
    doc = render.assemble(paths)
    assert doc.metadata["strategy_docs"]["sections"] == ["01-context", "03-needs", "07-risks"]
    assert any(c.cell_type == "code" for c in doc.cells)


def test_assemble_raises_on_error_output():
    nbs = make_section_notebooks(chart=False)
    cell = nbformat.v4.new_code_cell("1/0")
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]
    nbs[1].cells.append(cell)
    with pytest.raises(RenderError, match="ZeroDivisionError"):
        render.assemble(nbs)


def test_assemble_raises_on_figure_without_alt():
    nbs = make_section_notebooks(chart=False)
    bad = {"kind": "figure", "id": "f", "svg": "<svg></svg>", "alt": " ", "caption": "c", "table_id": "t"}
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: bad})]
    nbs[0].cells.append(cell)
    with pytest.raises(RenderError, match="alt text"):
        render.assemble(nbs)


def test_assemble_drops_other_outputs():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
        nbformat.v4.new_output("stream", name="stdout", text="hello"),
    ]
    nb.cells.append(cell)
    assert render.assemble([nb]).cells == []


# --- render_html: structure ---------------------------------------------------------------

def test_one_h1_and_language(soup, html):
    assert len(soup.find_all("h1")) == 1
    assert soup.html["lang"] == "en-GB"
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert soup.title.string == "Learning disability commissioning strategy – Northshire Council"
    assert soup.find("meta", attrs={"name": "author"})["content"] == "Commissioning team"


def test_headings_in_order_without_skipped_levels(soup):
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    assert levels[0] == 1
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, levels
    texts = [h.get_text(" ", strip=True) for h in soup.select("main h2")]
    assert texts == ["Context and purpose", "Needs and demand", "Risks"]


def test_skip_link_and_landmarks(soup):
    first_link = soup.body.find("a")
    assert "skip-link" in first_link["class"] and first_link["href"] == "#main"
    assert soup.find("main", id="main") is not None
    assert soup.find("header") is not None and soup.find("footer") is not None
    nav = soup.find("nav")
    assert nav is not None and nav["aria-labelledby"] == "contents-heading"
    assert len(soup.find_all("main")) == 1


def test_contents_links_to_every_section(soup):
    links = [a["href"] for a in soup.select("nav.toc a")]
    section_ids = ["#" + h["id"] for h in soup.select("main h2")] + ["#about-this-document"]
    assert links == section_ids
    for href in links:
        assert soup.find(id=href[1:]) is not None


def test_ids_are_unique(soup):
    ids = [el["id"] for el in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))


def test_tables_have_captions_and_scoped_headers(soup):
    tables = soup.find_all("table")
    assert len(tables) >= 4
    for table in tables:
        assert table.caption is not None and table.caption.get_text(strip=True)
        for th in table.find_all("th"):
            assert th.get("scope") in {"col", "row"}, th


def test_numbers_are_right_aligned_and_formatted(soup):
    table = soup.find("table", id="table-people-known-to-services-by-locality")
    row = table.tbody.find_all("tr")[0]
    nums = row.find_all("td", class_="num")
    assert [td.get_text() for td in nums] == ["1,520", "1,234.50"]
    assert "Weekly cost (£)" in table.thead.get_text(" ", strip=True)
    assert "[c]" in table.get_text()
    assert "[c] = suppressed" in soup.get_text()
    assert table.tfoot is not None and "2,393" in table.tfoot.get_text()


def test_status_words_next_to_colours(soup):
    badges = soup.select(".status")
    assert badges
    for badge in badges:
        assert badge.get_text(strip=True), badge  # every colour has its word
        assert any(c.startswith("status-") for c in badge["class"])
    words = {b.get_text(strip=True) for b in badges}
    assert {"Good", "Inadequate", "High", "Red", "Amber"} <= words


def test_figure_is_an_image_with_alt_caption_and_data_link(soup):
    fig = soup.find("figure", id="population-chart")
    img = fig.find("img")
    assert img["src"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(img["src"].split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and "<text" in svg
    assert img["alt"].startswith("Bar chart")
    assert fig.figcaption.get_text(" ", strip=True).startswith("Adults with a learning disability")
    link = fig.figcaption.find("a")
    assert link["href"] == "#population-chart-data"
    assert soup.find("table", id="population-chart-data") is not None


def test_facts_cycle_and_callout(soup):
    assert [dt.get_text() for dt in soup.select("dl.facts dt")] == ["Adults known to services", "Net budget"]
    cycle = soup.find("table", class_="cycle")
    assert [td.get_text() for td in cycle.tbody.find_all("td", class_="stage")] == ["Now", "Now", "Expected", "Expected"]
    assert soup.find("div", class_="callout")["role"] == "note"


# --- banners and meta ---------------------------------------------------------------------

def test_draft_banner_and_synthetic_notice(soup):
    banner = soup.find(class_="status-banner")
    assert banner is not None and banner.get_text(strip=True).startswith("Draft")
    assert "This document uses synthetic example data" in soup.get_text()


def test_consultation_banner(document):
    html = render.render_html(document, sample_meta(status="consultation"), TEMPLATE_DIR)
    banner = BeautifulSoup(html, "html.parser").find(class_="status-banner")
    assert "Consultation draft" in banner.get_text()


def test_final_has_no_banner_and_real_data_no_notice(document):
    html = render.render_html(document, sample_meta(status="final", synthetic=False), TEMPLATE_DIR)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find(class_="status-banner") is None
    assert "synthetic" not in soup.get_text().lower()
    assert "Final" in soup.find("table", class_="doc-control").get_text()


def test_accent_colour_and_logo(document):
    logo = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    html = render.render_html(document, sample_meta(accent_colour="#7a1f5c", logo_data_uri=logo), TEMPLATE_DIR)
    assert "--accent: #7a1f5c;" in html
    img = BeautifulSoup(html, "html.parser").find("img", class_="logo")
    assert img["src"] == logo and img["alt"] == "Northshire Council logo"


@pytest.mark.parametrize("bad", [
    {"status": "published"},
    {"accent_colour": "red; background:url(http://x)"},
    {"logo_data_uri": "https://example.org/logo.png"},
    {"title": ""},
])
def test_bad_meta_is_refused(document, bad):
    with pytest.raises(RenderError):
        render.render_html(document, sample_meta(**bad), TEMPLATE_DIR)


# --- self-contained and safe --------------------------------------------------------------

def test_no_external_resources_or_scripts(html):
    from strategy_docs.outputs.scroll_regions import SCROLL_REGION_SCRIPT, script_hash

    # the one script is our own tab-stop script, inline and allowed by its hash only
    soup = BeautifulSoup(html, "html.parser")
    assert [s.string for s in soup.find_all("script")] == [SCROLL_REGION_SCRIPT]
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert f"script-src '{script_hash()}'" in csp
    lowered = html.lower().replace(f"<script>{SCROLL_REGION_SCRIPT}</script>".lower(), "")
    assert "<script" not in lowered
    assert "<link" not in lowered
    assert "@import" not in lowered
    assert "url(http" not in lowered.replace(" ", "")
    assert "mathjax" not in lowered and "require.js" not in lowered and "requirejs" not in lowered
    assert 'src="http' not in lowered and "src='http" not in lowered
    assert "jp-notebook" not in lowered and "jp-cell" not in lowered  # no lab template markup


def test_user_text_cannot_inject_markup():
    html = render.render_html(render.assemble(make_section_notebooks(evil=True)), sample_meta(
        title='Strategy <script>alert("t")</script>', author='"><img src=x onerror=alert(1)>',
    ), TEMPLATE_DIR)
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.find_all("script")) == 1  # only our own tab-stop script
    for tag in soup.find_all(True):
        for attr in tag.attrs:
            assert not attr.lower().startswith("on"), (tag.name, attr)
        href = tag.get("href")
        if href:
            assert re.match(r"^(https?://|mailto:|#)", href), href
    assert "javascript:" not in " ".join(str(a.get("href")) for a in soup.find_all("a"))
    assert 'Strategy <script>alert("t")</script>' in soup.h1.get_text()  # shown as text


def test_block_html_fields_are_sanitised_again_at_render_time():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    forged = {"kind": "prose", "html": '<p>ok</p><script>alert(1)</script><a href="javascript:x">j</a>'}
    cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: forged})]
    nb.cells.append(cell)
    html = render.render_html(render.assemble([nb]), sample_meta(), TEMPLATE_DIR)
    assert "alert(1)" not in html and "javascript:" not in html
    assert html.lower().count("<script") == 1  # only our own tab-stop script
    assert "<p>ok</p>" in html


def test_duplicate_ids_across_sections_are_made_unique():
    nbs = make_section_notebooks(chart=True)
    nbs.append(make_section_notebooks(chart=True)[1])  # needs section twice: same heading, figure, table ids
    html = render.render_html(render.assemble(nbs), sample_meta(), TEMPLATE_DIR)
    soup = BeautifulSoup(html, "html.parser")
    ids = [el["id"] for el in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    figures = soup.find_all("figure", class_="chart")
    assert len(figures) == 2
    for fig in figures:  # each figure links to its own data table
        target = fig.figcaption.find("a")["href"][1:]
        table = soup.find("table", id=target)
        assert table is not None and table.caption.get_text().startswith("Data for:")
    assert [a["href"] for a in soup.select("nav.toc a")].count("#needs-and-demand-2") == 1


def test_exporter_is_cached_and_reuse_is_fast(document):
    render.render_html(document, sample_meta(), TEMPLATE_DIR)
    exporter = render._exporter(TEMPLATE_DIR.resolve())
    started = time.perf_counter()
    render.render_html(document, sample_meta(), TEMPLATE_DIR)
    elapsed = time.perf_counter() - started
    assert render._exporter(TEMPLATE_DIR.resolve()) is exporter
    assert elapsed < 2.0


def test_render_block_html_uses_the_macros():
    html = render.render_block_html(blocks.heading("Needs <b>", 3), TEMPLATE_DIR)
    assert html.strip() == '<h3 id="needs-b">Needs &lt;b&gt;</h3>'


def test_blocks_survive_a_real_kernel():
    """display.* in a real IPython kernel -> assemble -> render: the MIME bundle round-trips."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Kernel section"),
        nbformat.v4.new_code_cell(
            "import pandas as pd, matplotlib\n"
            "matplotlib.use('Agg')\n"
            "import matplotlib.pyplot as plt\n"
            "from types import SimpleNamespace\n"
            "from strategy_docs.sections import display\n"
            "display.heading('Detail', 3)\n"
            "display.table(pd.DataFrame({'Area': ['N', 'S'], 'People': [1200, 3]}), 'People', suppress_below=5)\n"
            "fig, ax = plt.subplots(); ax.plot([1, 2], [3, 4])\n"
            "display.figure(SimpleNamespace(id='k-chart', figure=fig, alt='Line going up', caption='Trend',\n"
            "                               table=pd.DataFrame({'x': [1, 2], 'y': [3, 4]})))\n"
            "print('stdout is dropped')\n"
        ),
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    doc = render.assemble([nb])
    kinds = [o.data[blocks.MIME_TYPE]["kind"] for c in doc.cells if c.cell_type == "code" for o in c.outputs]
    assert kinds == ["heading", "table", "figure", "table"]
    html = render.render_html(doc, sample_meta(), TEMPLATE_DIR)
    assert "stdout is dropped" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("figure", id="k-chart").img["alt"] == "Line going up"
    assert "[c]" in soup.find("table", id="table-people").get_text()


# --- about this document ------------------------------------------------------------------

def _with_document_control(heading_first: bool = False) -> nbformat.NotebookNode:
    """The sample sections with the strategy's own document control table (as sections/content.py
    makes it) in the first; ``heading_first`` puts a "Document control" heading before it, which
    takes the id ``document-control`` so the table gets another."""
    import pandas as pd

    notebooks = make_section_notebooks()
    control = blocks.table(pd.DataFrame({"Field": ["Title", "Reference", "Owner"],
                                         "Value": ["Our plan", "NSC-LD-7", "Director of Care"]}),
                           caption="Document control", id="document-control")
    if heading_first:
        notebooks[0].cells.append(nbformat.v4.new_markdown_cell("### Document control"))
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: control})]
    notebooks[0].cells.append(cell)
    return render.assemble(notebooks)


@pytest.mark.parametrize("heading_first", [False, True])
def test_document_control_is_shown_once(heading_first):
    """Issue 16: the strategy's own document control table is the record. The closing "About this
    document" links to it and does not repeat its fields; the cover leaves the owner to it."""
    html = render.render_html(_with_document_control(heading_first), sample_meta(owner="Director of Care"),
                              TEMPLATE_DIR)
    soup = BeautifulSoup(html, "html.parser")
    page = soup.body.get_text(" ")
    assert page.count("Director of Care") == 1 and page.count("NSC-LD-7") == 1
    assert page.count("Commissioning team") == 0  # the metadata's author: not a row of this table
    [table] = [t for t in soup.find_all("table") if t.caption and t.caption.get_text() == "Document control"]
    assert table["id"] == ("document-control-2" if heading_first else "document-control")
    footer = soup.find("footer", class_="doc-footer")
    assert footer.find("table") is None
    [link] = footer.find_all("a", href="#" + table["id"])
    assert link.get_text() == "Document control"
    about = " ".join(footer.get_text(" ").split())
    assert ("The document control record of this strategy is in the table Document control . "
            "Made with strategy-docs 0.1.0 on 14 March 2025, 09:30.") in about
    assert "This document uses synthetic example data." in about
    assert soup.find("dl", class_="cover-meta").get_text(" ").split() == ["Status", "Draft", "Published", "1", "April", "2025"]


def test_without_document_control_about_this_document_keeps_its_record(soup):
    """A plan with no document control table (a partial plan) keeps the record in the end matter."""
    footer = soup.find("footer", class_="doc-footer")
    rows = {tr.th.get_text(): tr.td.get_text() for tr in footer.find("table", class_="doc-control").find_all("tr")}
    assert rows["Owner"] == "Director of Adult Social Care" and rows["Author"] == "Commissioning team"
    assert rows["Title"] == "Learning disability commissioning strategy" and rows["Edition"] == "2025 to 2030"
    assert soup.body.get_text(" ").count("Director of Adult Social Care") == 2  # the cover and the record
    assert footer.find("p", class_="doc-control-link") is None


def test_document_control_link_in_welsh():
    html = render.render_html(_with_document_control(), sample_meta(language="cy"), TEMPLATE_DIR)
    footer = BeautifulSoup(html, "html.parser").find("footer", class_="doc-footer")
    text = " ".join(footer.get_text(" ").split())
    assert "Mae cofnod rheoli dogfen y strategaeth hon yn y tabl Document control ." in text
    assert "Gwnaed gyda strategy-docs 0.1.0 ar" in text and footer.find("table") is None
