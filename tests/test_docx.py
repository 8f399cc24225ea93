"""docx_export.py: accessible Word output from an assembled notebook of display blocks."""

from __future__ import annotations

import io

import nbformat
import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn

from strategy_docs.sections import blocks, display
from strategy_docs.outputs import docx as docx_export, html as render
from strategy_docs.errors import RenderError

try:
    from tests.browser import make_chart
except ImportError:  # tests/ is on sys.path, not a package
    from browser import make_chart

META = {
    "title": "Older people's commissioning strategy",
    "authority_name": "Northshire County Council",
    "client_group_name": "Older people",
    "edition_label": "2027/28 to 2029/30",
    "status": "draft",
    "publication_date": "2027-03-18",
    "author": "Commissioning team",
    "owner": "Director of Adult Social Care",
    "accent_colour": "#1f5c3a",
    "synthetic": True,
}


def _cell(*block_list):
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data=display.bundle(b)) for b in block_list]
    return cell


@pytest.fixture(scope="module")
def chart():
    return make_chart("population-chart")


@pytest.fixture(scope="module")
def notebook(chart):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("## Context and purpose\n\nThis strategy sets out **how** we will "
                                                  "commission *support*. See [the plan](https://example.org/plan)."))
    frame = pd.DataFrame({"Locality": ["Casterby", "Kingsbeck"], "People": [1520, 3], "Rating": ["Good", "Inadequate"]})
    nb.cells.append(_cell(
        blocks.prose("- first point\n- second point\n\n1. one\n2. two"),
        blocks.heading("Needs and demand", level=3, id="needs"),
        blocks.table(frame, caption="People known to services by locality", id="people", statuses=["Rating"],
                     suppress_below=5, footer={"Locality": "Total", "People": 1523, "Rating": None},
                     notes="Source: service records."),
    ))
    nb.cells.append(_cell(*blocks.figure(chart)))
    nb.cells.append(nbformat.v4.new_markdown_cell("### Key figures\n\n#### Detail"))
    nb.cells.append(_cell(
        blocks.facts([("Adults known to services", 1234, "at 31 March 2026"), ("Net budget", "£42.1m")]),
        blocks.cycle(["Analyse", "Plan", "Do", "Review"], [
            {"label": "Home care zones", "current": [1, 1], "expected": [2, 2], "current_text": "Plan",
             "expected_text": "Do"}]),
        blocks.callout("About the figures", "Counts below 5 are **suppressed**.", tone="warning"),
    ))
    return render.assemble([nb])


@pytest.fixture(scope="module")
def docx(notebook):
    data = docx_export.render_docx(notebook, META)
    assert data[:2] == b"PK"
    return Document(io.BytesIO(data))


def _styles(doc):
    return [(p.style.name, p.text) for p in doc.paragraphs]


def test_title_cover_and_properties(docx):
    paragraphs = _styles(docx)
    assert paragraphs[0] == ("Title", META["title"])
    text = "\n".join(t for _, t in paragraphs[:12])
    for expected in ("Authority: Northshire County Council", "Client group: Older people",
                     "Period: 2027/28 to 2029/30", "Status: Draft", "Publication date: 18 March 2027",
                     "synthetic example data"):
        assert expected in text
    props = docx.core_properties
    assert props.title == META["title"]
    assert props.author == "Commissioning team"
    assert props.language == "en-GB"
    lang = docx.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "en-GB"
    assert len([p for p in docx.paragraphs if p.style.name == "Title"]) == 1


def test_real_headings_in_order(docx):
    headings = [(s, t) for s, t in _styles(docx) if s.startswith("Heading")]
    assert headings == [("Heading 1", "Context and purpose"), ("Heading 2", "Needs and demand"),
                        ("Heading 2", "Key figures"), ("Heading 3", "Detail")]


def test_prose_keeps_bold_italic_lists_and_links(docx):
    para = next(p for p in docx.paragraphs if p.text.startswith("This strategy sets out"))
    assert any(r.bold and r.text == "how" for r in para.runs)
    assert any(r.italic and r.text == "support" for r in para.runs)
    links = para._p.findall(qn("w:hyperlink"))
    assert len(links) == 1
    target = docx.part.rels[links[0].get(qn("r:id"))].target_ref
    assert target == "https://example.org/plan"
    assert "the plan" in "".join(t.text for t in links[0].iter(qn("w:t")))
    styles = _styles(docx)
    assert ("List Bullet", "first point") in styles and ("List Number", "two") in styles


def test_tables_have_captions_and_repeating_headers(docx):
    tables = docx.tables
    assert len(tables) == 3  # people, the chart's data, the cycle
    body = docx.element.body
    for table in tables:
        first_row = table.rows[0]._tr
        header = first_row.trPr.find(qn("w:tblHeader"))
        assert header is not None and header.get(qn("w:val")) == "true"
        caption = table._tbl.getprevious()
        assert caption.tag == qn("w:p")
        caption_text = "".join(t.text for t in caption.iter(qn("w:t")))
        assert caption_text.startswith("Table ")
        assert table._tbl.tblPr.find(qn("w:tblCaption")) is not None
        assert all(run.bold for run in table.rows[0].cells[0].paragraphs[0].runs)
    people = tables[0]
    assert [c.text for c in people.rows[0].cells] == ["Locality", "People", "Rating"]
    assert [c.text for c in people.rows[1].cells] == ["Casterby", "1,520", "Good"]
    assert people.rows[2].cells[1].text == "[c]"
    assert people.rows[2].cells[2].text == "Inadequate"  # the status word, not just a colour
    assert people.rows[3].cells[0].text == "Total" and people.rows[3].cells[0].paragraphs[0].runs[0].bold
    assert people.rows[1].cells[1].paragraphs[0].alignment == 2  # numbers right-aligned
    assert any(p.text.startswith("Notes: Source: service records.") for p in docx.paragraphs)
    captions = [p.text for p in docx.paragraphs if p.style.name == "Caption"]
    assert "Table 1: People known to services by locality" in captions
    assert body is not None


def test_chart_is_a_picture_with_alt_text_then_its_data(docx, chart):
    pytest.importorskip("cairosvg")
    if docx_export.svg_to_png("<svg xmlns='http://www.w3.org/2000/svg' width='2' height='2'/>") is None:
        pytest.skip("no cairo library here")
    shapes = docx.inline_shapes
    assert len(shapes) == 1
    doc_pr = shapes[0]._inline.docPr
    assert doc_pr.get("descr") == chart.alt
    blob = docx.part.related_parts[shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    assert shapes[0].width <= docx_export.Cm(docx_export.TEXT_WIDTH_CM)
    captions = [p.text for p in docx.paragraphs if p.style.name == "Caption"]
    figure_index = captions.index(f"Figure 1: {chart.caption}")
    assert captions[figure_index + 1] == f"Table 2: Data for: {chart.caption}"
    data_table = docx.tables[1]
    assert data_table.rows[0].cells[0].text == "Age band"
    assert len(data_table.rows) == len(chart.table) + 1


def test_chart_without_a_renderer_keeps_its_alt_text(notebook, monkeypatch, chart):
    monkeypatch.setattr(docx_export, "svg_to_png", lambda svg, scale=2.0: None)
    doc = Document(io.BytesIO(docx_export.render_docx(notebook, META)))
    assert len(doc.inline_shapes) == 0
    assert any(p.text == f"[Chart: {chart.alt}]" for p in doc.paragraphs)


def test_facts_cycle_and_callout(docx):
    styles = _styles(docx)
    assert ("List Bullet", "Adults known to services: 1,234 (at 31 March 2026)") in styles
    cycle = docx.tables[2]
    assert [c.text for c in cycle.rows[0].cells] == ["Area", "Analyse", "Plan", "Do", "Review", "Now and expected"]
    assert [c.text for c in cycle.rows[1].cells][:5] == ["Home care zones", "", "Now", "Expected", ""]
    assert any(t.startswith("Warning: About the figures") for _, t in styles)
    note = next(p for p in docx.paragraphs if p.text.startswith("Counts below 5"))
    assert any(r.bold and r.text == "suppressed" for r in note.runs)


def test_logo_on_the_cover_is_described(notebook):
    pytest.importorskip("cairosvg")
    import base64

    svg = ("<svg xmlns='http://www.w3.org/2000/svg' width='120' height='40'><rect width='120' height='40' "
           "fill='#1f5c3a'/></svg>")
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    doc = Document(io.BytesIO(docx_export.render_docx(notebook, dict(META, logo_data_uri=uri))))
    if docx_export.svg_to_png(svg) is None:
        pytest.skip("no cairo library here")
    logo = doc.inline_shapes[0]._inline.docPr
    assert logo.get("descr") == "Northshire County Council logo"
    assert doc.paragraphs[1].style.name == "Title"


def test_final_document_has_no_draft_notice(notebook):
    doc = Document(io.BytesIO(docx_export.render_docx(notebook, dict(META, status="final", synthetic=False))))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Status: Final" in text and "not for publication" not in text and "synthetic" not in text


def test_bad_input_is_a_render_error(notebook):
    with pytest.raises(RenderError):
        docx_export.render_docx(notebook, dict(META, status="published"))
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: {"kind": "heading", "level": 9,
                                                                                    "text": "x", "id": "x"}})]
    nb.cells.append(cell)
    with pytest.raises(RenderError):
        docx_export.render_docx(nb, META)


def test_html_is_never_passed_through(notebook):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(_cell({"kind": "prose", "html": "<p>Hi <script>alert(1)</script><b>there</b></p>"}))
    doc = Document(io.BytesIO(docx_export.render_docx(nb, META)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "alert" not in text and "Hi there" in text


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_column_widths_follow_content_and_never_break_a_word():
    from strategy_docs.outputs.docx import fit_column_widths

    cols = [["ID", "H1"], ["Intentions", " ".join(["word"] * 20)]]
    # minimum = longest word x 0.2 cm + 0.4 cm padding: 0.8 and 10 x 0.2 + 0.4 = 2.4
    # wanted = longest cell (capped at 45 chars): 2 -> 0.8; 99 -> 45 x 0.2 + 0.4 = 9.4
    # 16 cm: everything fits, scaled up in proportion: 0.8 x 16/10.2, 9.4 x 16/10.2
    assert fit_column_widths(cols, 16, 0.2) == pytest.approx([0.8 * 16 / 10.2, 9.4 * 16 / 10.2])
    # 5 cm: each gets its longest word (0.8, 2.4); the 1.8 cm left goes to the column that
    # still wants more (extra 0 and 7.0): 0.8 and 4.2
    assert fit_column_widths(cols, 5, 0.2) == pytest.approx([0.8, 4.2])
    # 2 cm: not even the longest words fit; widths follow them: 2 x 0.8/3.2, 2 x 2.4/3.2
    assert fit_column_widths(cols, 2, 0.2) == pytest.approx([0.5, 1.5])


def test_tables_have_fitted_fixed_widths(notebook):
    nb = nbformat.v4.new_notebook()
    frame = pd.DataFrame({"ID": ["I1", "I2"], "Intentions": ["Commission more extra care " * 6, "Decommission"],
                          "Stage": ["Plan", "Do"]})
    nb.cells.append(_cell(blocks.table(frame, caption="Intentions", id="intentions")))
    doc = Document(io.BytesIO(docx_export.render_docx(render.assemble([nb]), META)))
    [table] = doc.tables
    grid = [int(c.get(qn("w:w"))) / 567 for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]  # twips -> cm
    assert sum(grid) == pytest.approx(16.0, abs=0.05)
    assert grid[1] > grid[0] and grid[1] > grid[2]  # the long text column is the widest
    # "Decommission" (12 characters) fits whole: at least 12 x 0.21 + 0.4 cm
    assert grid[1] >= 12 * 0.21 + 0.4 and grid[2] >= len("Stage") * 0.21 + 0.4 - 0.01
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


def test_contents_field_and_bookmarked_headings(docx):
    body = docx.element.body
    instructions = [t.text for t in body.iter(qn("w:instrText"))]
    assert any(i.strip().startswith('TOC \\o "1-3"') for i in instructions)
    headings = [p for p in docx.paragraphs if p.style.name.startswith("Heading")]
    names = []
    for p in headings:
        [start] = p._p.findall(qn("w:bookmarkStart"))
        names.append(start.get(qn("w:name")))
    assert len(set(names)) == len(headings) > 2
    # the contents list every heading, in order, linked to its bookmark, before the first heading
    links = [(h.get(qn("w:anchor")), "".join(t.text for t in h.iter(qn("w:t")))) for h in body.iter(qn("w:hyperlink"))
             if h.get(qn("w:anchor"))]
    assert links == list(zip(names, [p.text for p in headings]))
    assert docx.settings.element.find(qn("w:updateFields")).get(qn("w:val")) == "true"


def test_footer_says_page_x_of_y(docx):
    footer = docx.sections[0].footer.paragraphs[0]
    instructions = [t.text.strip() for t in footer._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert " of " in "".join(t.text for t in footer._p.iter(qn("w:t")))


def test_a_table_too_wide_for_portrait_gets_smaller_type_then_a_landscape_page():
    from strategy_docs.outputs.docx import table_layout

    # 5 columns with a 12-letter word: 5 x (12 x 0.21 + 0.4) = 14.6 cm <= 16 -> portrait, 11pt
    assert table_layout([["Decommission"]] * 5) == (False, 11.0, 16.0)
    # 6 columns: 17.52 cm at 11pt; at 9.5pt 6 x (12 x 0.21 x 9.5/11 + 0.4) = 15.46 -> portrait 9.5pt
    assert table_layout([["Decommission"]] * 6) == (False, 9.5, 16.0)
    # 10 columns: 8.5pt gives 10 x (2.52 x 8.5/11 + 0.4) = 23.47 > 16; landscape 9.5pt: 25.76 > 24.7;
    # landscape 8.5pt: 23.47 <= 24.7
    assert table_layout([["Decommission"]] * 10) == (True, 8.5, 24.7)
    nb = nbformat.v4.new_notebook()
    frame = pd.DataFrame({f"Decommission {i}": ["Decommission"] for i in range(10)})
    nb.cells.append(_cell(blocks.table(frame, caption="Wide", id="wide"), blocks.prose("After the table.")))
    doc = Document(io.BytesIO(docx_export.render_docx(render.assemble([nb]), META)))
    orientations = [s.orientation for s in doc.sections]
    from docx.enum.section import WD_ORIENT

    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert doc.sections[1].page_width > doc.sections[1].page_height
    runs = [r for c in doc.tables[0].rows[1].cells for p in c.paragraphs for r in p.runs]
    assert {r.font.size.pt for r in runs} == {8.5}


def test_document_control_is_shown_once(notebook):
    """With the strategy's own document control table, the cover leaves its rows (the owner) to it."""
    def cover(document_notebook) -> str:
        doc = Document(io.BytesIO(docx_export.render_docx(document_notebook, dict(META, owner="Director of Care"))))
        return "\n".join(p.text for p in doc.paragraphs[:10])

    assert "Owner: Director of Care" in cover(notebook)  # no document control table: the cover says it
    control = blocks.table(pd.DataFrame({"Field": ["Title", "Owner"], "Value": ["Plan", "Director of Care"]}),
                           caption="Document control", id="document-control")
    with_control = render.assemble([nbformat.v4.new_notebook(cells=[_cell(control)])])
    text = cover(with_control)
    assert "Owner" not in text and "Status: Draft" in text
