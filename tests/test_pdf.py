"""pdf.py + typst_render.py: the PDF made by Typst from the assembled document, read back with pypdf."""

from __future__ import annotations

import copy
import io
import re

import nbformat
import pandas as pd
import pypdf
import pytest

from strategy_docs.sections import blocks
from strategy_docs.outputs import pdf, html as render
from strategy_docs.errors import RenderError
from strategy_docs.i18n import translator

try:
    from tests.browser import TEMPLATE_DIR, make_section_notebooks, sample_meta
    from tests.pdf_layout import pagination_problems, read_layout
except ImportError:  # tests/ is on sys.path, not a package
    from browser import TEMPLATE_DIR, make_section_notebooks, sample_meta
    from pdf_layout import pagination_problems, read_layout

pytestmark = pytest.mark.slow

RUNNING = "Northshire Council – Adults with a learning disability – 2025 to 2030"
CHART_ALT = ("Bar chart: adults with a learning disability by age band, 2024 and 2034. "
             "Numbers grow most in the 35 to 44 and 55 to 64 age bands.")


def make_pdf(notebooks, **meta) -> bytes:
    return pdf.render_pdf(pdf.pdf_document(render.assemble(notebooks), sample_meta(**meta)))


def reader_of(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def one_section(title: str, *outputs) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"## {title}"))
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: b}) for b in outputs]
    nb.cells.append(cell)
    return nb


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return make_pdf(make_section_notebooks())


@pytest.fixture(scope="module")
def reader(sample_pdf):
    return reader_of(sample_pdf)


def outline_titles(items, depth=0):
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(outline_titles(item, depth + 1))
        else:
            out.append((depth, item.title))
    return out


def test_page_count_cover_and_contents(reader):
    # cover, contents, then each section on a page of its own (3 sections), about this document
    assert len(reader.pages) == 6
    cover = reader.pages[0].extract_text()
    assert "Learning disability commissioning strategy" in cover and "Northshire Council" in cover
    assert "Draft" in cover and "2025 to 2030" in cover and "not for publication" in cover
    assert "Page 1 of" not in cover  # no running furniture on the cover
    contents = reader.pages[1].extract_text()
    assert "Contents" in contents
    for title, page in [("Context and purpose", 3), ("Needs and demand", 4), ("Risks", 5), ("About this document", 6)]:
        assert re.search(re.escape(title) + r"[\s.]*" + str(page), contents), (title, contents)


def test_running_header_and_page_x_of_y_footer(reader):
    total = len(reader.pages)
    for number in range(2, total + 1):
        text = reader.pages[number - 1].extract_text()
        assert f"Page {number} of {total}" in text
        assert RUNNING in text
        assert "Draft" in text  # the status is in the header of a draft


def test_outline_follows_section_headings(reader):
    titles = outline_titles(reader.outline)
    assert [t for depth, t in titles if depth == 0] == [
        "Context and purpose", "Needs and demand", "Risks", "About this document"]
    assert (1, "Population") in titles and (1, "Mitigation") in titles
    all_titles = [t for _, t in titles]
    assert "Contents" not in all_titles  # the contents page is not a bookmark
    assert "Learning disability commissioning strategy" not in all_titles  # nor the cover's title


def test_title_language_tags_and_pdf_ua_identification(reader):
    assert reader.metadata.title == "Learning disability commissioning strategy – Northshire Council"
    assert reader.metadata.author == "Commissioning team"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == pypdf.generic.BooleanObject(True)
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert "Typst" in reader.metadata.get("/Creator", "")


def _struct_types(node, found):
    node = node.get_object()
    if isinstance(node, pypdf.generic.DictionaryObject):
        if "/S" in node:
            found.append(str(node["/S"]))
        if node.get("/K") is not None:
            _struct_types(node["/K"], found)
    elif isinstance(node, pypdf.generic.ArrayObject):
        for kid in node:
            _struct_types(kid, found)
    return found


def test_tables_are_tagged_with_header_cells(reader):
    types = _struct_types(reader.trailer["/Root"]["/StructTreeRoot"], [])
    # four data tables (chart data, people, risks, cycle) and the document control table
    assert types.count("/Table") == 5
    # column headings: 3 + 4 + 4 + 6 (Area, four stages, Now and expected) + Field and Value of document control
    assert types.count("/TH") == 19
    assert "/Caption" in types and types.count("/H1") == 5  # Contents and the four sections


def test_welsh_document_is_tagged_cy():
    reader = reader_of(make_pdf(make_section_notebooks(chart=False), language="cy"))
    assert reader.trailer["/Root"]["/Lang"] == "cy"


def _struct_alts(node, found):
    node = node.get_object()
    if isinstance(node, pypdf.generic.DictionaryObject):
        if "/Alt" in node:
            found.append((node.get("/S"), str(node["/Alt"])))
        kids = node.get("/K")
        if kids is not None:
            _struct_alts(kids, found)
    elif isinstance(node, pypdf.generic.ArrayObject):
        for kid in node:
            _struct_alts(kid, found)
    return found


def test_chart_is_vector_with_its_alt_text(reader):
    page = next(p for p in reader.pages if "Population" in p.extract_text())

    def images(obj, seen):
        resources = obj.get("/Resources")
        if resources is None:
            return 0
        count = 0
        for _, ref in (resources.get_object().get("/XObject") or {}).items():
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
    assert "18-24" in page.extract_text()  # the chart's axis labels are text
    alts = _struct_alts(reader.trailer["/Root"]["/StructTreeRoot"], [])
    assert ("/Figure", CHART_ALT) in alts


def test_chart_without_alt_text_fails_the_pdf_naming_section_and_figure():
    document = render.assemble(make_section_notebooks())
    for cell in document.cells:
        for output in cell.get("outputs", []):
            block = output["data"][blocks.MIME_TYPE]
            if block["kind"] == "figure":
                block["alt"] = ""  # the HTML stage refuses this; the PDF's own check must too
    with pytest.raises(RenderError) as failure:
        pdf.render_pdf(pdf.pdf_document(document, sample_meta()))
    message = str(failure.value)
    assert "PDF/UA-1" in message and "alt text" in message
    assert "'Needs and demand'" in message and "'population-chart'" in message


def test_long_table_repeats_its_header_and_shows_totals_once_at_the_end():
    df = pd.DataFrame({"Provider": [f"Provider {i}" for i in range(120)], "Beds": list(range(120))})
    table = blocks.table(df, "All providers", footer={"Provider": "Total beds", "Beds": 7140})
    reader = reader_of(make_pdf([one_section("Providers", table)]))
    pages = [p.extract_text() for p in reader.pages]
    with_rows = [i for i, text in enumerate(pages) if re.search(r"Provider \d+\b", text)]
    assert len(with_rows) >= 2
    for i in with_rows:
        assert re.search(r"Provider\s+Beds", pages[i]), pages[i][:300]  # the header row, on every page
        assert ("All providers (continued)" in pages[i]) == (i != with_rows[0])
    totals = [i for i, text in enumerate(pages) if "Total beds" in text]
    assert totals == [with_rows[-1]]  # once, on the table's last page
    assert "7,140" in pages[with_rows[-1]]
    # no page of the table is left with fewer than three of its rows
    for i in with_rows:
        assert len(re.findall(r"Provider \d+\b", pages[i])) >= 3


def test_wide_table_goes_on_a_landscape_page_and_is_not_hyphenated():
    words = ["Commissioning", "underestimate", "procurement", "Intelligence", "reablement"]
    df = pd.DataFrame({f"Heading {i}": [" ".join(words[(i + r) % 5:]) for r in range(6)] for i in range(11)})
    narrow = blocks.table(pd.DataFrame({"Risk": ["Provider failure"], "Score": [12]}), "Summary")
    reader = reader_of(make_pdf([one_section("Risks", narrow, blocks.table(df, "Risk register"))]))
    shapes = [(p.mediabox.width > p.mediabox.height, p.extract_text()) for p in reader.pages]
    landscape = [text for wide, text in shapes if wide]
    assert landscape and all("Heading 10" in text for text in landscape)
    assert any("Risk register" in text for text in landscape)
    assert not shapes[0][0] and not shapes[-1][0]  # cover and end matter stay portrait
    for text in landscape:
        assert not re.search(r"[a-z]-\n", text), text  # no word broken with a hyphen
        assert "Commissioning" in text


def test_same_input_same_pdf(sample_pdf):
    assert make_pdf(make_section_notebooks()) == sample_pdf


def test_titles_with_markup_characters_stay_text():
    meta = dict(title='Carers & families "plan" <2025> #1 [draft] $x$ *bold*')
    reader = reader_of(make_pdf(make_section_notebooks(chart=False), **meta))
    assert reader.metadata.title == 'Carers & families "plan" <2025> #1 [draft] $x$ *bold* – Northshire Council'
    assert "#1 [draft] $x$ *bold*" in " ".join(reader.pages[0].extract_text().split())


def test_text_from_data_is_never_run_as_typst():
    df = pd.DataFrame({"Provider": ['#read("/etc/passwd")', "= heading", "- item", "`raw` <label> @ref"],
                       "Beds": [1, 2, 3, 4]})
    reader = reader_of(make_pdf([one_section("Providers", blocks.table(df, "Providers"))]))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert '#read("/etc/passwd")' in text and "= heading" in text and "`raw` <label> @ref" in text
    assert "root:" not in text


def test_final_document_has_no_draft_notice():
    reader = reader_of(make_pdf(make_section_notebooks(chart=False), status="final", synthetic=False))
    assert "not for publication" not in reader.pages[0].extract_text()
    assert "Draft" not in reader.pages[2].extract_text()


def test_pdf_source_digest_follows_the_typst_source():
    document = render.assemble(make_section_notebooks(chart=False))
    digest = pdf.pdf_source_digest(pdf.pdf_document(document, sample_meta()))
    assert pdf.pdf_source_digest(pdf.pdf_document(copy.deepcopy(document), sample_meta())) == digest
    assert pdf.pdf_source_digest(pdf.pdf_document(document, sample_meta(status="final"))) != digest
    document.cells.append(nbformat.v4.new_markdown_cell("More text."))
    assert pdf.pdf_source_digest(pdf.pdf_document(document, sample_meta())) != digest


def test_refuses_what_is_not_a_typst_document():
    with pytest.raises(RenderError):
        pdf.render_pdf("<html><body>other</body></html>")


def test_pdf_failure_keeps_the_html_published(tmp_path):
    """A PDF/UA-1 violation the HTML allows (a skipped heading level) fails the PDF only."""
    from strategy_docs.build import pipeline as build, execute
    from strategy_docs.build.plan import DocumentJob
    from strategy_docs.build.publish import document_paths, is_up_to_date, read_record
    from strategy_docs.inputs.workspace import Workspace

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("## Needs\n\nText.\n\n#### Too deep\n\nMore text."))
    workspace = Workspace(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "strategy").symlink_to(TEMPLATE_DIR)
    meta = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in sample_meta().items()}  # as plan.py gives it
    job = DocumentJob("2026-27", "northshire", "carers", ("html", "pdf"), "e", "r", 60, 600, meta=meta)
    stale = document_paths(workspace, job.key)["pdf"]
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF an older version")
    result = execute.DocumentResult(job)
    execute.render_outputs(job, tmp_path, [nb], result)
    assert result.failure is not None and result.failure.kind == "pdf"
    assert "skipped from heading level" in result.failure.message and "'Needs'" in result.failure.message
    assert build._publish_available_formats(workspace, result, "2026-01-01T00:00:00+00:00") == ("html",)
    paths = document_paths(workspace, job.key)
    assert paths["html"].read_bytes() == result.outputs["html"]
    assert not paths["pdf"].exists()  # never a PDF of other inputs beside the new HTML
    assert read_record(workspace, job.key)["formats"] == ["html"]
    assert not is_up_to_date(workspace, job)  # the next build tries the PDF again


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_cover_logo_is_described_for_screen_readers(kind):
    import base64

    if kind == "png":
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (40, 20), "#1d4f91").save(buffer, format="PNG")
        uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    else:
        svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    reader = reader_of(make_pdf(make_section_notebooks(chart=False), logo_data_uri=uri))
    alts = _struct_alts(reader.trailer["/Root"]["/StructTreeRoot"], [])
    assert ("/Figure", "Northshire Council logo") in alts


def test_every_ascii_character_after_markup_stays_text():
    """Text right after bold, a link or code must not continue them as Typst code: `**b**(x)` is text."""
    ascii_ = "".join(chr(c) for c in range(33, 127))
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "## Symbols\n\n**bold**(x).y[z] [link](https://example.org)(w) `code`(v) *it*{u}\n\n" + ascii_.replace("\\", "\\\\")
        .replace("*", "\\*").replace("_", "\\_").replace("`", "\\`").replace("[", "\\[").replace("<", "\\<")))
    reader = reader_of(make_pdf([nb]))
    text = "".join(reader.pages[2].extract_text().split())
    assert "bold(x).y[z]link(w)code(v)it{u}" in text
    assert ascii_ in text


def test_typst_string_literals_hold_any_text_exactly():
    import json

    import typst

    from strategy_docs.outputs.typst_markup import string

    value = 'a\\b"c\nd\te\x01f\x0cg\u2028h #x [y] $z$'
    source = f'#metadata({string(value)}) <v>'.encode()
    assert json.loads(typst.query(source, "<v>", field="value")) == [value]


def test_document_control_is_shown_once():
    """The strategy's own document control table is the record: the end matter and cover point to it."""
    control = blocks.table(pd.DataFrame({"Field": ["Title", "Owner"], "Value": ["Our plan", "Director of Care"]}),
                           caption="Document control", id="document-control")
    statement = {"url": "https://example.org/accessibility", "contact": "access@example.org"}
    reader = reader_of(make_pdf([one_section("Context", control)], owner="Director of Care",
                                accessibility_statement=statement))
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert sum(page.count("Document control") for page in pages) == 1
    assert sum(page.count("Director of Care") for page in pages) == 1  # not on the cover too
    about = pages[-1]
    assert "About this document" in about and "The document control record of this strategy is Table 1." in about
    assert "accessibility statement" in about and "access@example.org" in about
    small = blocks.table(pd.DataFrame({"Area": ["North"], "Places": [12]}), "Places")
    without = reader_of(make_pdf([one_section("Context", small)], owner="Director of Care"))
    texts = [" ".join(p.extract_text().split()) for p in without.pages]
    assert "Owner: Director of Care" in texts[0] and "Owner Director of Care" in texts[-1]


def _long_document(n: int) -> list:
    frame = pd.DataFrame({"Intention": [f"Intention {n}-{i}: respite in district {i % 17}" for i in range(800)],
                          "Owner": [f"Commissioning officer {i % 9}" for i in range(800)]})
    return [one_section(f"Intentions {n}", blocks.table(frame, caption=f"Intentions {n}", id=f"t{n}"))]


@pytest.mark.parametrize("forget", [True, False])
def test_a_worker_does_not_keep_the_layouts_of_earlier_pdfs(forget, monkeypatch):
    """Issue 15: Typst keeps every layout in a process-wide cache that typst-py empties only of what
    ten compilations did not use, so a worker held its last ten PDFs (45 MB each for an example
    document). After each PDF the cache is emptied: five more documents leave memory where it was."""
    import psutil

    if not forget:  # the same test without the fix: shows it would catch the growth
        monkeypatch.setattr(pdf, "_forget_layouts", lambda compiler: None)
    process = psutil.Process()
    make_pdf(_long_document(0))
    settled = process.memory_info().rss
    for n in range(1, 6):
        make_pdf(_long_document(n))
    grown = (process.memory_info().rss - settled) / 2**20
    if forget:
        assert grown < 60, f"memory grew by {grown:.0f} MB over five PDFs"
    else:
        assert grown > 100, f"without emptying the cache memory grew by only {grown:.0f} MB"


def test_a_layout_that_never_settles_fails_the_pdf_instead_of_publishing_it():
    """Typst gives up after five passes and writes what it has, page numbers and "(continued)"
    captions of an unfinished layout: that PDF is refused, as a bug, never published."""
    from strategy_docs.outputs.typst_markup import TypstDocument

    source = ('#set document(title: [Never settles])\n#set text(lang: "en")\n'
              '#let c = counter("c")\n#context c.update(c.final().first() + 1)\nText.\n')
    with pytest.raises(RenderError, match="did not settle"):
        pdf.render_pdf(TypstDocument(source))


def test_a_long_table_settles_wherever_the_page_ends():
    """The table's first rows are kept with their heading: wherever the text before it ends on the
    page, the keep decision settles (its anchor never travels to the next page with the break)."""
    frame = pd.DataFrame({"Field": [f"Row {i}" for i in range(40)],
                          "Value": [f"A value that takes a little room {i}" for i in range(40)]})
    for lines in range(20, 60):
        notebook = one_section("Context", blocks.prose("\n\n".join(["Carers are offered an assessment."] * lines)))
        notebook.cells.append(nbformat.v4.new_markdown_cell("### Document control"))
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [nbformat.v4.new_output("display_data", data={blocks.MIME_TYPE: blocks.table(
            frame, caption="Document control", id="document-control")})]
        notebook.cells.append(cell)
        assert reader_of(make_pdf([notebook])).pages, lines  # render_pdf refuses a layout that did not settle


CONSULTATION = {
    "how_to_respond": "Fill in the **questionnaire** at any library.\n\n### Meetings\n\nCome to a meeting in Saltmere.",
    "closing_date": "2026-07-20",
    "email": "carers.strategy@northshire.example",
    "address": "County Hall, Saltmere NS1 1AA",
    "other_formats": "Easy Read and large print on request.",
}


def test_a_consultation_draft_says_how_to_have_your_say():
    """Issue 17: as the HTML and the DOCX, a draft with a consultation block ends with how to
    respond, by when, the email and address and other formats, in that order; the outline lists it."""
    data = make_pdf(make_section_notebooks(), status="consultation", consultation=CONSULTATION)
    reader = reader_of(data)
    titles = [title for depth, title in outline_titles(reader.outline) if depth == 0]
    assert titles[-2:] == ["Have your say", "About this document"]
    [page] = [" ".join(p.extract_text().split()) for p in reader.pages if "Have your say" in p.extract_text()
              and "Tell us" in p.extract_text()]
    expected = ["Have your say", "This is a draft. Tell us what you think by 20 July 2026.",
                "Fill in the questionnaire at any library.", "Meetings", "Come to a meeting in Saltmere.",
                "Email: carers.strategy@northshire.example", "Write to: County Hall, Saltmere NS1 1AA",
                "Easy Read and large print on request."]
    places = [page.find(words) for words in expected]
    assert -1 not in places and places == sorted(places), places
    links = [a["/A"]["/URI"] for p in reader.pages for a in (p.get("/Annots") or [])
             if a.get_object().get("/A", {}).get("/URI")]
    assert "mailto:carers.strategy@northshire.example" in [str(u) for u in links]
    assert [depth for depth, title in outline_titles(reader.outline) if title == "Meetings"] == [1]
    assert pagination_problems(read_layout(data)) == []


@pytest.mark.parametrize("meta", [{"status": "final", "consultation": CONSULTATION}, {"status": "draft"}])
def test_final_documents_and_plans_without_a_consultation_block_have_no_have_your_say(meta):
    reader = reader_of(make_pdf(make_section_notebooks(), **meta))
    assert "Have your say" not in [title for _, title in outline_titles(reader.outline)]
    assert not any("Tell us what you think" in p.extract_text() for p in reader.pages)


def test_have_your_say_in_welsh():
    reader = reader_of(make_pdf(make_section_notebooks(), status="consultation", consultation=CONSULTATION,
                                language="cy"))
    cy = translator("cy")
    titles = [title for depth, title in outline_titles(reader.outline) if depth == 0]
    assert titles[-2:] == [cy("Have your say"), cy("About this document")] and cy("Have your say") != "Have your say"
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert f"{cy('This is a draft. Tell us what you think by')} 20 Gorffennaf 2026." in text
    assert f"{cy('Email:')} carers.strategy@northshire.example" in text
