"""pdf.py: the PDF made from the document's HTML, read back with pypdf."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from bs4 import BeautifulSoup

from strategy_docs import pdf, render
from strategy_docs.errors import RenderError

try:
    from tests.browser import TEMPLATE_DIR, make_section_notebooks, sample_meta
except ImportError:  # tests/ is on sys.path, not a package
    from browser import TEMPLATE_DIR, make_section_notebooks, sample_meta

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def html():
    return render.render_html(render.assemble(make_section_notebooks()), sample_meta(), TEMPLATE_DIR)


@pytest.fixture(scope="module")
def reader(html):
    return pypdf.PdfReader(io.BytesIO(pdf.render_pdf(html, sample_meta())))


def outline_titles(items, depth=0):
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(outline_titles(item, depth + 1))
        else:
            out.append((depth, item.title))
    return out


def test_page_count_cover_and_contents(reader):
    # cover, contents, one page per section (3), about this document
    assert len(reader.pages) == 6
    cover = reader.pages[0].extract_text()
    assert "Learning disability" in cover and "Northshire Council" in cover and "Draft" in cover
    assert "2025 to 2030" in cover
    assert "Page 1 of" not in cover  # no running furniture on the cover
    contents = reader.pages[1].extract_text()
    assert "Contents" in contents
    # contents entries carry page numbers (target-counter)
    for title, page in [("Context and purpose", 3), ("Needs and demand", 4), ("Risks", 5), ("About this document", 6)]:
        assert re.search(re.escape(title) + r"\s*\.+\s*" + str(page), contents), (title, contents)


def test_running_header_and_footer_on_body_pages(reader):
    total = len(reader.pages)
    for number in range(2, total + 1):
        text = reader.pages[number - 1].extract_text()
        assert f"Page {number} of {total}" in text
        assert "Northshire Council – Adults with a learning disability – 2025 to 2030" in text
        assert "Draft" in text  # the status is repeated in the header of a draft


def test_outline_follows_section_headings(reader, html):
    soup = BeautifulSoup(html, "html.parser")
    sections = [a.get_text(strip=True) for a in soup.select("nav.toc a")]
    titles = outline_titles(reader.outline)
    assert [t for depth, t in titles if depth == 0] == sections
    assert (1, "Population") in titles and (1, "Mitigation") in titles
    all_titles = [t for _, t in titles]
    assert "Contents" not in all_titles  # the contents page is not a bookmark
    assert not any("commissioning strategy" in t for t in all_titles)  # nor the cover's h1


def test_metadata_language_and_tags(reader):
    meta = reader.metadata
    assert meta.title == "Learning disability commissioning strategy – Northshire Council"
    assert meta.author == "Commissioning team"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == pypdf.generic.BooleanObject(True)
    assert "/StructTreeRoot" in root


def test_repeated_table_header_across_pages():
    import pandas as pd
    import nbformat

    from strategy_docs import blocks

    df = pd.DataFrame({"Provider": [f"Provider {i}" for i in range(120)], "Beds": list(range(120))})
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("## Providers"))
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: blocks.table(df, "All providers")})]
    nb.cells.append(cell)
    html = render.render_html(render.assemble([nb]), sample_meta(), TEMPLATE_DIR)
    reader = pypdf.PdfReader(io.BytesIO(pdf.render_pdf(html, sample_meta())))
    pages_with_rows = [p.extract_text() for p in reader.pages if "Provider 1" in p.extract_text()]
    assert len(pages_with_rows) >= 2
    for text in pages_with_rows:
        assert re.search(r"Provider\s+Beds", text), text[:200]


def test_chart_stays_vector(reader):
    page = next(p for p in reader.pages if "Population" in p.extract_text())

    def images(obj, seen):
        resources = obj.get("/Resources")
        if resources is None:
            return 0
        resources = resources.get_object()
        count = 0
        for _, ref in (resources.get("/XObject") or {}).items():
            x = ref.get_object()
            if id(x) in seen:
                continue
            seen.add(id(x))
            if x.get("/Subtype") == "/Image":
                count += 1
            elif x.get("/Subtype") == "/Form":
                count += images(x, seen)
        return count

    assert images(page, set()) == 0
    assert "1750" in page.extract_text() or "1,750" in page.extract_text()  # axis labels are text


def test_final_document_has_no_draft_banner():
    html = render.render_html(render.assemble(make_section_notebooks(chart=False)),
                              sample_meta(status="final", synthetic=False), TEMPLATE_DIR)
    reader = pypdf.PdfReader(io.BytesIO(pdf.render_pdf(html, sample_meta(status="final"))))
    assert "not for publication" not in reader.pages[0].extract_text()
    assert "Draft" not in reader.pages[2].extract_text()


def test_external_resources_are_never_fetched(html):
    fetcher = pdf._offline_fetcher()
    for url in ("http://127.0.0.1:9/x.png", "https://example.org/x.css", "file:///etc/passwd"):
        with pytest.raises(Exception):
            fetcher(url)
    sneaky = html.replace("</main>", '<img src="file:///etc/hostname" alt="x"></main>')
    assert pdf.render_pdf(sneaky, sample_meta()).startswith(b"%PDF")


def test_same_input_same_pdf(html):
    assert pdf.render_pdf(html, sample_meta()) == pdf.render_pdf(html, sample_meta())


def test_titles_with_markup_characters():
    meta = sample_meta(title='Carers & families "plan" <2025>')
    html = render.render_html(render.assemble(make_section_notebooks(chart=False)), meta, TEMPLATE_DIR)
    reader = pypdf.PdfReader(io.BytesIO(pdf.render_pdf(html, meta)))
    assert reader.metadata.title == 'Carers & families "plan" <2025> – Northshire Council'


def test_refuses_non_documents():
    with pytest.raises(RenderError):
        pdf.render_pdf("", sample_meta())
    with pytest.raises(RenderError):
        pdf.render_pdf("<html><body>other</body></html>", sample_meta())


def test_weasyprint_gets_the_print_stylesheet_only(html):
    lean = pdf.print_only_html(html)
    screen = render._read_css(str(TEMPLATE_DIR))[0]
    assert screen.strip()[:200] in html and screen.strip()[:200] not in lean
    assert re.search(r"<style>:root \{ --accent: #[0-9a-fA-F]{3,6}; \}</style>", lean)  # the authority's colour
    assert '<style media="print">' in lean and "@page" in lean
    other = "<html><head><style>p { color: red }</style></head><body><p>x</p></body></html>"
    assert pdf.print_only_html(other) == other  # no print stylesheet to fall back on: unchanged


def test_wide_table_stays_inside_the_page():
    """Eleven columns of long words (a risk register) must not run off the right edge."""
    import nbformat
    import pandas as pd
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from strategy_docs import blocks

    words = ["Commissioning", "underestimate", "procurement", "Intelligence", "reablement"]
    df = pd.DataFrame({f"Heading {i}": [" ".join(words[(i + r) % 5:]) for r in range(6)] for i in range(11)})
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("## Risks"))
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: blocks.table(df, "Risk register")})]
    nb.cells.append(cell)
    html = render.render_html(render.assemble([nb]), sample_meta(), TEMPLATE_DIR)
    document = HTML(string=pdf.print_only_html(html), media_type="print").render()
    widths = []

    def tables(box, page):
        if isinstance(box, boxes.TableBox):
            widths.append((box.content_box_x() + box.width, page.content_box_x() + page.width))
        for child in getattr(box, "children", []):
            tables(child, page)

    for page in document.pages:
        tables(page._page_box, page._page_box)
    assert widths and all(right <= limit + 0.5 for right, limit in widths), widths


def test_pdf_source_digest_ignores_the_screen_stylesheet(html):
    digest = pdf.pdf_source_digest(html, sample_meta())
    screen_change = html.replace("<style>", "<style>\n/* screen only */\n", 1)
    assert screen_change != html and pdf.pdf_source_digest(screen_change, sample_meta()) == digest
    print_change = html.replace('<style media="print">', '<style media="print">\nh3 { color: #000; }\n', 1)
    assert pdf.pdf_source_digest(print_change, sample_meta()) != digest
    assert pdf.pdf_source_digest(html.replace("</main>", "<p>more</p></main>"), sample_meta()) != digest
    assert pdf.pdf_source_digest(html, sample_meta(status="final")) != digest
