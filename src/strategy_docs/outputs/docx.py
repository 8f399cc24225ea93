"""Word (DOCX) output of an assembled strategy document.

:func:`render_docx` walks the notebook made by :func:`strategy_docs.outputs.html.assemble` (markdown
cells, and display blocks of MIME type ``application/vnd.strategy-docs.block+json``) and writes
an accessible Word document with python-docx:

* the document title in Word's Title style, then a cover with the authority, client group,
  period and status; real Heading 1/2/3 styles for ``##``/``###``/``####`` headings;
* real tables with a header row that repeats on every page, a caption ("Table N: ...") and
  the caption as the table's alternative text; status words are always written out;
* charts as PNG pictures (rendered from the SVG with CairoSVG when it is installed) whose
  description (``docPr/@descr``) is the chart's alt text, each followed by its data table;
* prose converted from the sanitised block HTML to paragraphs, keeping bold, italic, lists and
  links; document properties (title, author, subject) and the language (en-GB).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any
import base64

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from strategy_docs.sections import blocks, markup
from strategy_docs.errors import RenderError
from strategy_docs.i18n import CLOSE, OPEN, N_, mark, segments, strip_marks, translator
from strategy_docs.outputs.html import STATUSES, _have_your_say, normalise_meta

__all__ = ["render_docx", "svg_to_png", "DOCX_MIME"]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT_WIDTH_CM = 16.0  # A4 with 2.5 cm margins
HEADING_STYLE = {2: "Heading 1", 3: "Heading 2", 4: "Heading 3", 5: "Heading 4", 6: "Heading 4"}
TONE_FILL = {"good": "D9EAD3", "warning": "FCE5CD", "bad": "F4CCCC", "neutral": "EEEEEE"}
STATUS_LABELS = {"draft": N_("Draft"), "consultation": N_("Consultation draft"), "final": N_("Final")}
WORD_LANGUAGE = {"en": "en-GB", "cy": "cy-GB"}  # Word's language tags


# ---------------------------------------------------------------------------------------------
# SVG -> PNG


def svg_to_png(svg: str, scale: float = 2.0) -> bytes | None:
    """PNG bytes for an SVG chart, or None if no SVG renderer is available here."""
    try:
        import cairosvg  # optional dependency (needs the cairo library)
    except (ImportError, OSError):
        return None
    try:
        return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
    except Exception:  # noqa: BLE001 - a chart we cannot rasterise falls back to its alt text
        return None


def _svg_width_cm(svg: str) -> float | None:
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px|cm|mm|in)?"', svg)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2) or "px"
    per_cm = {"pt": 72 / 2.54, "px": 96 / 2.54, "cm": 1.0, "mm": 10.0, "in": 1 / 2.54}[unit]
    return value / per_cm


# ---------------------------------------------------------------------------------------------
# low-level helpers


def _set_cell_shading(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc_pr.append(shading)


def _mark_header_row(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _no_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:cantSplit")
    element.set(qn("w:val"), "true")
    tr_pr.append(element)


def _table_alt_text(table, caption: str, description: str = "") -> None:
    tbl_pr = table._tbl.tblPr
    title = OxmlElement("w:tblCaption")
    title.set(qn("w:val"), caption[:255])
    tbl_pr.append(title)
    if description:
        desc = OxmlElement("w:tblDescription")
        desc.set(qn("w:val"), description[:255])
        tbl_pr.append(desc)


def _add_field(paragraph, instruction: str, placeholder: str) -> None:
    """A field (e.g. ``SEQ Table \\* ARABIC`` or ``PAGE``) showing ``placeholder`` until Word updates it."""

    def run_with(child) -> None:
        run = OxmlElement("w:r")
        run.append(child)
        paragraph._p.append(run)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = instruction
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    text = OxmlElement("w:t")
    text.text = placeholder
    run_with(text)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


# --- column widths fitted to content ------------------------------------------------------

CHAR_CM = 0.21  # width of one character of 11pt Arial (bold headings included), with a little to spare
CELL_PADDING_CM = 0.4  # left + right cell margins
WIDE_CELL_CHARS = 45  # a cell longer than this wraps anyway: it asks for no more room


def fit_column_widths(columns_text: list[list[str]], total_cm: float = 16.0,
                      char_cm: float = CHAR_CM) -> list[float]:
    """Column widths (cm) in proportion to each column's longest cell text, but never
    narrower than its longest word, so no word is broken ("Intentio-n"). When even the
    longest words do not fit side by side, widths follow the longest words."""
    def words(text: str) -> list[str]:
        return str(text).split() or [""]

    minimum = [max(len(w) for t in col for w in words(t)) * char_cm + CELL_PADDING_CM for col in columns_text]
    wanted = [min(max((len(str(t)) for t in col), default=1), WIDE_CELL_CHARS) * char_cm + CELL_PADDING_CM
              for col in columns_text]
    if sum(minimum) >= total_cm:
        return [total_cm * m / sum(minimum) for m in minimum]
    if sum(wanted) <= total_cm:
        widths = list(wanted)
        spare = total_cm - sum(widths)
        return [w + spare * w / sum(widths) for w in widths]
    # Give every column its longest word, then share the rest in proportion to what each
    # still wants beyond that.
    widths = list(minimum)
    extra = [max(w - m, 0) for w, m in zip(wanted, minimum)]
    room = total_cm - sum(widths)
    if sum(extra) > 0:
        widths = [w + room * e / sum(extra) for w, e in zip(widths, extra)]
    return widths


def longest_words_cm(columns_text: list[list[str]], char_cm: float = CHAR_CM) -> float:
    """Room the longest word of every column needs, side by side."""
    return sum(max((len(w) for t in col for w in str(t).split()), default=0) * char_cm + CELL_PADDING_CM
               for col in columns_text)


# (landscape?, font size in pt): tried in order until every column's longest word fits.
TABLE_LAYOUTS = ((False, 11.0), (False, 9.5), (False, 8.5), (True, 9.5), (True, 8.5), (True, 7.5))
LANDSCAPE_TEXT_WIDTH_CM = 29.7 - 5.0


def table_layout(columns_text: list[list[str]]) -> tuple[bool, float, float]:
    """(landscape, font size, text width) for a table: portrait at the body size if its words
    fit, else smaller type, else a landscape page; the last choice if nothing fits."""
    for landscape, size in TABLE_LAYOUTS:
        width = LANDSCAPE_TEXT_WIDTH_CM if landscape else TEXT_WIDTH_CM
        if longest_words_cm(columns_text, CHAR_CM * size / 11) <= width:
            return landscape, size, width
    landscape, size = TABLE_LAYOUTS[-1]
    return landscape, size, LANDSCAPE_TEXT_WIDTH_CM


def _block_columns_text(block: Mapping[str, Any]) -> list[list[str]]:
    """Each column's texts (heading first) as they will appear in the table."""
    columns = block["columns"]
    texts = [[c["label"] + (f" ({c['unit']})" if c.get("unit") else "")] for c in columns]
    for group in ("rows", "footer_rows"):
        for row in block.get(group, []) or []:
            values = ([row["header"]] if row.get("header") is not None else []) + list(row["cells"])
            for index, value in enumerate(values[: len(texts)]):
                if value.get("html") is not None:
                    text = re.sub(r"<[^>]+>", " ", str(value["html"]))
                else:
                    text = str((value.get("status") or {}).get("label") or value.get("text", ""))
                texts[index].append(text)
    return texts


def _set_column_widths(table, widths_cm: list[float]) -> None:
    """Fixed layout with the given widths (grid and every cell, as Word and LibreOffice read both)."""
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for grid_col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_cm):
        grid_col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


# --- contents, bookmarks -----------------------------------------------------------------


def _bookmark(paragraph, name: str, number: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(number))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(number))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def _field_char(kind: str):
    run = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    run.append(char)
    return run


def _left_border(paragraph, colour: str) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    left = OxmlElement("w:left")
    for key, value in (("val", "single"), ("sz", "24"), ("space", "8"), ("color", colour.lstrip("#"))):
        left.set(qn(f"w:{key}"), value)
    borders.append(left)
    p_pr.append(borders)


def _child(parent, tag: str, first: bool = False):
    """`parent`'s `tag` element, made (as its first or last child) if it has none."""
    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        if first:
            parent.insert(0, element)
        else:
            parent.append(element)
    return element


def _set_language(document, language: str) -> None:
    doc_defaults = _child(document.styles.element, "w:docDefaults", first=True)
    rpr = _child(_child(doc_defaults, "w:rPrDefault", first=True), "w:rPr")
    lang = _child(rpr, "w:lang")
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), language)
    lang.set(qn("w:bidi"), "ar-SA")
    for style in document.styles:
        element = getattr(style, "element", None)
        if element is None:
            continue
        style_rpr = element.find(qn("w:rPr"))
        if style_rpr is not None:
            style_lang = style_rpr.find(qn("w:lang"))
            if style_lang is not None:
                style_lang.set(qn("w:val"), language)
    settings = document.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is None:
        theme_lang = OxmlElement("w:themeFontLang")
        settings.append(theme_lang)
    theme_lang.set(qn("w:val"), language)


def _hex_colour(value: str | None, default: str = "1D4F91") -> RGBColor:
    text = str(value or "").lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        text = default
    return RGBColor.from_string(text.upper())


# ---------------------------------------------------------------------------------------------
# HTML (sanitised by markup.py) -> paragraphs


class _HtmlToDocx(HTMLParser):
    """Convert the small HTML vocabulary markup.py allows into Word paragraphs and runs."""

    def __init__(self, writer: "_Writer", container, base_style: str | None = None, indent: bool = False,
                 border: str | None = None):
        super().__init__(convert_charrefs=True)
        self.writer = writer
        self.container = container
        self.base_style = base_style
        self.indent = indent
        self.border = border
        self.paragraph = None
        self.bold = 0
        self.italic = 0
        self.code = 0
        self.strike = 0
        self.sub = 0
        self.sup = 0
        self.pre = 0
        self.link: str | None = None
        self.link_element = None
        self.lists: list[str] = []
        self.quote = 0
        self.table: list[list[tuple[str, bool]]] | None = None
        self.cell_text: list[str] | None = None
        self.cell_header = False
        self.heading_level: int | None = None

    # paragraphs

    def _new_paragraph(self, style: str | None = None):
        paragraph = self.writer.paragraph(self.container, style or self.base_style)
        if self.indent or self.quote:
            paragraph.paragraph_format.left_indent = Cm(0.6 * max(1, self.quote) if not self.indent else 0.6)
        if self.border:
            _left_border(paragraph, self.border)
        self.paragraph = paragraph
        return paragraph

    def _ensure_paragraph(self):
        if self.paragraph is None:
            self._new_paragraph("Quote" if self.quote else None)
        return self.paragraph

    def _close_paragraph(self) -> None:
        self.paragraph = None

    # parser callbacks

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = dict(attrs)
        if self.table is not None:
            if tag == "tr":
                self.table.append([])
            elif tag in ("td", "th"):
                self.cell_text = []
                self.cell_header = tag == "th"
            elif tag == "br" and self.cell_text is not None:
                self.cell_text.append(" ")
            return
        if tag == "p":
            if self.lists and self.paragraph is not None and not self.paragraph.text:
                return  # a loose list item's first paragraph: keep the list paragraph
            self._new_paragraph("Quote" if self.quote else None)
        elif tag in ("h2", "h3", "h4", "h5", "h6"):
            self.heading_level = int(tag[1])
            self._new_paragraph(HEADING_STYLE[self.heading_level])
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            self._close_paragraph()
        elif tag == "li":
            depth = min(len(self.lists), 3)
            kind = "List Number" if self.lists and self.lists[-1] == "ol" else "List Bullet"
            self._new_paragraph(kind if depth <= 1 else f"{kind} {depth}")
        elif tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "code":
            self.code += 1
        elif tag in ("s", "del"):
            self.strike += 1
        elif tag == "sub":
            self.sub += 1
        elif tag == "sup":
            self.sup += 1
        elif tag == "pre":
            self.pre += 1
            self._new_paragraph()
        elif tag == "blockquote":
            self.quote += 1
            self._close_paragraph()
        elif tag == "br":
            self._ensure_paragraph().add_run().add_break()
        elif tag == "a":
            href = attrs.get("href") or ""
            self.link = href
            self.link_element = self.writer.hyperlink(self._ensure_paragraph(), href) if href else None
        elif tag == "table":
            self._close_paragraph()
            self.table = []
        elif tag == "hr":
            self._close_paragraph()

    def handle_endtag(self, tag: str) -> None:
        if self.table is not None:
            if tag in ("td", "th") and self.cell_text is not None:
                text = re.sub(r"\s+", " ", "".join(self.cell_text)).strip()
                if self.table:
                    self.table[-1].append((text, self.cell_header))
                self.cell_text = None
            elif tag == "table":
                rows, self.table = self.table, None
                self.writer.simple_table(self.container, rows)
            return
        if tag in ("p", "li", "pre") or tag in ("h2", "h3", "h4", "h5", "h6"):
            self._close_paragraph()
            if tag == "pre":
                self.pre -= 1
            if tag.startswith("h"):
                self.heading_level = None
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._close_paragraph()
        elif tag in ("strong", "b"):
            self.bold -= 1
        elif tag in ("em", "i"):
            self.italic -= 1
        elif tag == "code":
            self.code -= 1
        elif tag in ("s", "del"):
            self.strike -= 1
        elif tag == "sub":
            self.sub -= 1
        elif tag == "sup":
            self.sup -= 1
        elif tag == "blockquote":
            self.quote -= 1
            self._close_paragraph()
        elif tag == "a":
            self.link = None
            self.link_element = None

    def handle_data(self, data: str) -> None:
        if self.table is not None:
            if self.cell_text is not None:
                self.cell_text.append(data)
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
            if self.paragraph is None or not self.paragraph.text:
                data = data.lstrip()
            if not data:
                return
        paragraph = self._ensure_paragraph()
        if self.link_element is not None:
            self.writer.hyperlink_run(self.link_element, data, bold=self.bold > 0, italic=self.italic > 0)
            return
        run = paragraph.add_run(data)
        run.bold = True if self.bold else None
        run.italic = True if self.italic else None
        if self.strike:
            run.font.strike = True
        if self.sub:
            run.font.subscript = True
        if self.sup:
            run.font.superscript = True
        if self.code or self.pre:
            run.font.name = "Consolas"

    def close(self) -> None:
        super().close()
        self._close_paragraph()


# ---------------------------------------------------------------------------------------------
# the writer


class _Writer:
    def __init__(self, meta: Mapping[str, Any]):
        self.meta = meta
        self.t = translator(meta.get("language") or "en")
        self.language = WORD_LANGUAGE[self.t.language]
        self.document = Document()
        self.accent = _hex_colour(meta.get("accent_colour"))
        self.tables = 0
        self.figures = 0
        self.has_document_control = False  # the strategy's own document control table is in the document
        self._setup()

    # set-up

    def _setup(self) -> None:
        doc = self.document
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.5))
        section.top_margin = section.bottom_margin = Cm(2.2)
        styles = doc.styles
        normal = styles["Normal"]
        normal.font.name = "Arial"
        normal.font.size = Pt(11)
        normal.paragraph_format.space_after = Pt(6)
        normal.paragraph_format.line_spacing = 1.15
        rpr = normal.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is not None:
            for key in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
                fonts.set(qn(key), "Arial")
        for name, size in (("Title", 26), ("Heading 1", 18), ("Heading 2", 14), ("Heading 3", 12), ("Heading 4", 11)):
            style = styles[name]
            style.font.name = "Arial"
            style.font.size = Pt(size)
            style.font.color.rgb = self.accent if name != "Heading 4" else RGBColor(0x0B, 0x0C, 0x0C)
            style.font.bold = True
            style_rpr = style.element.get_or_add_rPr()
            style_fonts = style_rpr.find(qn("w:rFonts"))
            if style_fonts is not None:
                for attr in list(style_fonts.attrib):
                    del style_fonts.attrib[attr]
                for key in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
                    style_fonts.set(qn(key), "Arial")
        caption = styles["Caption"]
        caption.font.size = Pt(10)
        caption.font.bold = True
        caption.font.italic = False
        caption.font.color.rgb = RGBColor(0x0B, 0x0C, 0x0C)
        _set_language(doc, self.language)

        props = doc.core_properties
        fit = lambda text: text if len(text) <= 255 else text[:254] + "\u2026"  # noqa: E731 - Word's 255-character limit
        props.title = fit(strip_marks(self.meta.get("title") or ""))
        props.author = fit(strip_marks(self.meta.get("author") or self.meta.get("owner") or ""))
        props.subject = fit(strip_marks(self.t("{client_group} commissioning strategy, {authority}, {edition}").format(
            client_group=self.meta.get("client_group_name", ""), authority=self.meta.get("authority_name", ""),
            edition=self.meta.get("edition_label", ""))))
        props.language = self.language
        props.keywords = fit(strip_marks(self.t("commissioning strategy") + "; " + str(self.meta.get("client_group_name") or "")))
        props.comments = fit(str(self.meta.get("generator") or "strategy-docs"))
        props.last_modified_by = "strategy-docs"
        props.revision = 1
        stamp = self._timestamp()
        props.created = stamp
        props.modified = stamp
        props.category = self.t(STATUS_LABELS[str(self.meta.get("status"))]) if self.meta.get("status") in STATUS_LABELS else ""

    def _timestamp(self) -> dt.datetime:
        for key in ("build_date", "publication_date"):
            value = self.meta.get(key)
            if isinstance(value, dt.datetime):
                return value
            if isinstance(value, dt.date):
                return dt.datetime(value.year, value.month, value.day)
            if isinstance(value, str) and value:
                try:
                    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                    return parsed.replace(tzinfo=None)
                except ValueError:
                    continue
        return dt.datetime(2000, 1, 1)

    # primitives

    def paragraph(self, container, style: str | None = None):
        """A new paragraph in the document or in a table cell (reusing a cell's empty first one)."""
        if container is self.document:
            return self.document.add_paragraph(style=style)
        paragraphs = container.paragraphs
        if len(paragraphs) == 1 and not paragraphs[0].text and not paragraphs[0].runs \
                and not getattr(container, "_strategy_used", False):
            container._strategy_used = True
            paragraph = paragraphs[0]
            if style:
                paragraph.style = style
        else:
            paragraph = container.add_paragraph(style=style)
        paragraph.paragraph_format.space_after = Pt(2)  # compact table cells
        paragraph.paragraph_format.line_spacing = 1.0
        return paragraph

    def hyperlink(self, paragraph, href: str):
        link = OxmlElement("w:hyperlink")
        if href.startswith("#"):
            link.set(qn("w:anchor"), href[1:])
        else:
            r_id = paragraph.part.relate_to(href, RT.HYPERLINK, is_external=True)
            link.set(qn("r:id"), r_id)
        link.set(qn("w:history"), "1")
        paragraph._p.append(link)
        return link

    def hyperlink_run(self, link, text: str, bold: bool = False, italic: bool = False) -> None:
        run = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        colour = OxmlElement("w:color")
        colour.set(qn("w:val"), "1D4F91")
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        if bold:
            rpr.append(OxmlElement("w:b"))
        if italic:
            rpr.append(OxmlElement("w:i"))
        rpr.append(colour)
        rpr.append(underline)
        run.append(rpr)
        element = OxmlElement("w:t")
        element.text = text
        element.set(qn("xml:space"), "preserve")
        run.append(element)
        link.append(run)

    def html(self, container, html: str, **kwargs) -> None:
        parser = _HtmlToDocx(self, container, **kwargs)
        parser.feed(markup.sanitise_html(html or ""))
        parser.close()

    def caption(self, kind: str, text: str, keep_with_next: bool):
        number = self.tables if kind == "Table" else self.figures
        paragraph = self.document.add_paragraph(style="Caption")
        paragraph.add_run(f"{self.t('Table') if kind == 'Table' else self.t('Figure')} ")
        _add_field(paragraph, f" SEQ {kind} \\* ARABIC ", str(number))
        paragraph.add_run(f": {text}")
        paragraph.paragraph_format.keep_with_next = keep_with_next
        return paragraph

    def simple_table(self, container, rows: list[list[tuple[str, bool]]]) -> None:
        """A table from prose HTML (a Markdown table): the first row is the header."""
        rows = [r for r in rows if r]
        if not rows:
            return
        width = max(len(r) for r in rows)
        host = self.document if container is self.document else container
        table = host.add_table(rows=0, cols=width)
        table.style = "Table Grid"
        for index, row in enumerate(rows):
            cells = table.add_row().cells
            for c, (text, header) in enumerate(row):
                paragraph = cells[c].paragraphs[0]
                run = paragraph.add_run(text)
                if header or index == 0:
                    run.bold = True
            if index == 0:
                _mark_header_row(table.rows[0])
        _set_column_widths(table, fit_column_widths([[c.text for c in col.cells] for col in table.columns],
                                                    TEXT_WIDTH_CM))

    # blocks

    def heading(self, text: str, level: int) -> None:
        self.document.add_paragraph(text, style=HEADING_STYLE.get(level, "Heading 3"))

    def markdown(self, source: str) -> None:
        self.html(self.document, markup.markdown_to_html(source or ""))

    def block(self, block: Mapping[str, Any]) -> None:
        kind = block.get("kind")
        if kind == "heading":
            self.heading(block["text"], int(block["level"]))
        elif kind == "prose":
            self.html(self.document, block.get("html", ""))
        elif kind == "table":
            self.table(block)
        elif kind == "figure":
            self.figure(block)
        elif kind == "facts":
            self.facts(block)
        elif kind == "cycle":
            self.cycle(block)
        elif kind == "callout":
            self.callout(block)

    def _cell(self, cell, value: Mapping[str, Any], bold: bool = False, numeric: bool = False) -> None:
        if value.get("html") is not None:
            self.html(cell, value["html"])
            if bold:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.bold = True
            return
        paragraph = self.paragraph(cell)
        status = value.get("status")
        text = str(value.get("text", ""))
        if status:
            run = paragraph.add_run(str(status.get("label") or text))
            run.bold = True
            _set_cell_shading(cell, TONE_FILL.get(status.get("tone"), TONE_FILL["neutral"]))
        else:
            run = paragraph.add_run(text)
            if bold:
                run.bold = True
        if numeric or value.get("numeric"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    def _orientation(self, landscape: bool) -> None:
        """Start a new section (new page) when a table needs the other orientation."""
        current = self.document.sections[-1]
        if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
            return
        section = self.document.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        short, long = sorted((section.page_width, section.page_height))
        section.page_width, section.page_height = (long, short) if landscape else (short, long)

    def table(self, block: Mapping[str, Any]) -> None:
        self.tables += 1
        columns = block["columns"]
        columns_text = _block_columns_text(block)
        landscape, font_size, text_width = table_layout(columns_text)
        self._orientation(landscape)
        self.caption("Table", block["caption"], keep_with_next=True)
        table = self.document.add_table(rows=1, cols=len(columns))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        _table_alt_text(table, block["caption"], block.get("notes", ""))
        header = table.rows[0]
        _mark_header_row(header)
        for index, column in enumerate(columns):
            label = column["label"] + (f" ({column['unit']})" if column.get("unit") else "")
            cell = header.cells[index]
            paragraph = self.paragraph(cell)
            paragraph.add_run(label).bold = True
            if column.get("numeric"):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _set_cell_shading(cell, "DDE4EE")
        for group, bold in (("rows", False), ("footer_rows", True)):
            for row in block.get(group, []) or []:
                values = ([row["header"]] if row.get("header") is not None else []) + list(row["cells"])
                cells = table.add_row().cells
                _no_split(table.rows[-1])
                for index, value in enumerate(values):
                    is_header = index == 0 and row.get("header") is not None
                    numeric = bool(columns[index].get("numeric")) if index < len(columns) else False
                    self._cell(cells[index], value, bold=bold or is_header, numeric=numeric)
        _set_column_widths(table, fit_column_widths(columns_text, text_width, CHAR_CM * font_size / 11))
        if font_size != 11:
            for row in table.rows:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        for run in paragraph.runs:
                            run.font.size = Pt(font_size)
        if block.get("notes"):
            paragraph = self.document.add_paragraph()
            paragraph.add_run(self.t("Notes:") + " ").bold = True
            paragraph.add_run(str(block["notes"]))
            for run in paragraph.runs:
                run.font.size = Pt(9.5)
        else:
            self.document.add_paragraph()  # keeps consecutive tables apart
        self._orientation(False)

    def figure(self, block: Mapping[str, Any]) -> None:
        self.figures += 1
        alt = str(block.get("alt") or "").strip()
        if not alt:
            raise RenderError(f"figure {block.get('id', '?')!r} has no alt text")
        png = svg_to_png(block["svg"])
        paragraph = self.document.add_paragraph()
        paragraph.paragraph_format.keep_with_next = True
        if png is not None:
            width_cm = min(_svg_width_cm(block["svg"]) or TEXT_WIDTH_CM, TEXT_WIDTH_CM)
            shape = paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm))
            doc_pr = shape._inline.docPr
            doc_pr.set("descr", strip_marks(alt))
            doc_pr.set("title", strip_marks(block.get("caption") or "")[:255])
            doc_pr.set("name", f"Figure {self.figures}")
        else:
            run = paragraph.add_run("[" + self.t("Chart: {caption}").format(caption=alt) + "]")
            run.italic = True
        self.caption("Figure", block["caption"], keep_with_next=False)
        note = self.document.add_paragraph()
        note.add_run(self.t("The numbers in this chart are in the table that follows.")).italic = True

    def facts(self, block: Mapping[str, Any]) -> None:
        for item in block.get("items", []):
            paragraph = self.document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{item['label']}: ")
            paragraph.add_run(str(item["value"])).bold = True
            if item.get("detail"):
                paragraph.add_run(f" ({item['detail']})")

    def cycle(self, block: Mapping[str, Any]) -> None:
        self.table(blocks.cycle_as_table(block, self.t))

    def callout(self, block: Mapping[str, Any]) -> None:
        colour = "8A4B00" if block.get("tone") == "warning" else str(self.meta.get("accent_colour") or "1D4F91")
        title = self.document.add_paragraph()
        title.paragraph_format.left_indent = Cm(0.6)
        _left_border(title, colour)
        title.add_run((self.t("Warning:") if block.get("tone") == "warning" else self.t("Note:")) + " "
                      + str(block.get("title", ""))).bold = True
        self.html(self.document, block.get("html", ""), indent=True, border=colour)

    # cover and body

    def logo(self) -> None:
        """The authority's logo at the top of the cover, described for screen readers."""
        uri = self.meta.get("logo_data_uri")
        if not uri:
            return
        header, _, payload = str(uri).partition(",")
        try:
            data = base64.b64decode(payload)
        except ValueError:
            return
        if "svg" in header:
            data = svg_to_png(data.decode("utf-8", "replace"))
        elif not any(kind in header for kind in ("png", "jpeg", "gif")):
            data = None
        if not data:
            return
        try:
            shape = self.document.add_paragraph().add_run().add_picture(io.BytesIO(data), height=Cm(2.0))
        except Exception:  # noqa: BLE001 - an unreadable logo is left out, never a failed document
            return
        if shape.width > Cm(TEXT_WIDTH_CM / 2):
            ratio = Cm(TEXT_WIDTH_CM / 2) / shape.width
            shape.width, shape.height = int(shape.width * ratio), int(shape.height * ratio)
        shape._inline.docPr.set("descr", f"{self.meta.get('authority_name', '')} logo")
        shape._inline.docPr.set("name", "Logo")

    def cover(self) -> None:
        meta = self.meta
        doc = self.document
        self.logo()
        doc.add_paragraph(str(meta.get("title") or ""), style="Title")
        status = str(meta.get("status") or "")
        t = self.t
        details = [
            (t("Authority"), meta.get("authority_name")),
            (t("Client group"), meta.get("client_group_name")),
            (t("Period"), meta.get("edition_label")),
            (t("Status"), t(STATUS_LABELS[status]) if status in STATUS_LABELS else status.capitalize()),
        ]
        publication = meta.get("publication_date")
        if publication:
            details.append((t("Publication date"), t.date(publication)))
        if meta.get("owner") and not self.has_document_control:  # else the owner is in document control
            details.append((t("Owner"), meta.get("owner")))
        for label, value in details:
            if not value:
                continue
            paragraph = doc.add_paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(str(value))
        notice = t(STATUSES.get(status, ("", ""))[1]) if STATUSES.get(status, ("", ""))[1] else ""
        if notice:
            paragraph = doc.add_paragraph()
            _left_border(paragraph, "8A4B00")
            paragraph.add_run(f"{t(STATUS_LABELS[status]) if status in STATUS_LABELS else status}: ").bold = True
            paragraph.add_run(notice[0].upper() + notice[1:] if notice else "")
        if meta.get("synthetic"):
            paragraph = doc.add_paragraph()
            _left_border(paragraph, "505A5F")
            paragraph.add_run(t("This document uses synthetic example data.") + " ").bold = True
            paragraph.add_run(t("The figures are made up to show how the document works; they do not describe real people, "
                                "services or spending."))
        for other in meta.get("alternates") or []:  # the other language's version, in its own words
            paragraph = doc.add_paragraph()
            paragraph.add_run(mark(translator(other["language"])("Read this document in English")
                                            + (f": {other['title']}" if other.get("title") else ""), other["language"]))
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        # Not a Heading style, so the contents do not list themselves.
        self.contents_anchor = doc.add_paragraph()
        title = self.contents_anchor.add_run(t("Contents"))
        title.bold, title.font.size = True, Pt(16)

    def contents(self) -> None:
        """Bookmark every heading and put a contents field (TOC) after the cover. The field's
        shown result is the real list of headings, each linked to its bookmark; Word fills in
        page numbers when it updates fields (it is asked to on opening)."""
        anchor = getattr(self, "contents_anchor", None)
        headings = [p for p in self.document.paragraphs
                    if p.style is not None and p.style.name.startswith("Heading ") and p.text.strip()]
        if anchor is None or not headings:
            if anchor is not None:
                anchor._p.getparent().remove(anchor._p)
            return
        for number, paragraph in enumerate(headings, start=1):
            _bookmark(paragraph, f"_Toc{number:06d}", number)
        entries = []
        for number, paragraph in enumerate(headings, start=1):
            level = int(paragraph.style.name.split()[-1])
            entry = self.document.add_paragraph()
            entry.paragraph_format.left_indent = Cm(0.6 * (level - 1))
            entry.paragraph_format.space_after = Pt(2)
            link = OxmlElement("w:hyperlink")
            link.set(qn("w:anchor"), f"_Toc{number:06d}")
            run = OxmlElement("w:r")
            text = OxmlElement("w:t")
            text.set(qn("xml:space"), "preserve")
            text.text = paragraph.text
            run.append(text)
            link.append(run)
            entry._p.append(link)
            entries.append(entry)
        first, last = entries[0]._p, entries[-1]._p
        instr_run = OxmlElement("w:r")
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = ' TOC \\o "1-3" \\h \\z \\u '
        instr_run.append(instr)
        insert_at = 1 if first.pPr is not None else 0
        for offset, element in enumerate((_field_char("begin"), instr_run, _field_char("separate"))):
            first.insert(insert_at + offset, element)
        last.append(_field_char("end"))
        previous = anchor._p
        for entry in entries:
            previous.addnext(entry._p)
            previous = entry._p
        page_break = OxmlElement("w:p")
        run = OxmlElement("w:r")
        br = OxmlElement("w:br")
        br.set(qn("w:type"), "page")
        run.append(br)
        page_break.append(run)
        previous.addnext(page_break)
        settings = self.document.settings.element
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)

    def have_your_say(self) -> None:
        """Drafts and consultation drafts end with how to respond (render._have_your_say);
        every document that has one gets the authority's accessibility statement."""
        t = self.t
        h = _have_your_say(self.meta, t)
        if h:
            self.heading(t("Have your say"), 2)
            paragraph = self.document.add_paragraph(t("This is a draft. Tell us what you think by") + " ")
            paragraph.add_run(h["closing_date"]).bold = True
            paragraph.add_run(".")
            self.html(self.document, str(h["how_to_respond"]))
            if h["email"]:
                paragraph = self.document.add_paragraph(t("Email:") + " ")
                self.hyperlink_run(self.hyperlink(paragraph, h["mailto"]), h["email"])
            if h["address"]:
                self.document.add_paragraph(f"{t('Write to:')} {h['address']}")
            if h["other_formats"]:
                self.document.add_paragraph(h["other_formats"])
        statement = self.meta.get("accessibility_statement")
        if statement:
            before, _, after = t("Read {authority}'s {link}.").partition("{link}")
            paragraph = self.document.add_paragraph(before.format(authority=self.meta["authority_name"]))
            self.hyperlink_run(self.hyperlink(paragraph, statement["url"]), t("accessibility statement"))
            paragraph.add_run(after.format(authority=self.meta["authority_name"]))
            if statement.get("contact"):
                paragraph.add_run(" " + t("To report a problem with this document or ask for it in another format, "
                                          "contact {contact}.").format(contact=statement["contact"]))

    def footer(self) -> None:
        section = self.document.sections[0]
        paragraph = section.footer.paragraphs[0]
        paragraph.text = ""
        status = str(self.meta.get("status") or "")
        label = f"{self.meta.get('title', '')}"
        if status and status != "final":
            label += f" ({self.t(STATUS_LABELS[status]) if status in STATUS_LABELS else status})"
        run = paragraph.add_run(f"{label}. {self.t('Page')} ")
        run.font.size = Pt(9)
        _add_field(paragraph, " PAGE ", "1")
        paragraph.add_run(f" {self.t('of')} ").font.size = Pt(9)
        _add_field(paragraph, " NUMPAGES ", "1")

    def bytes(self) -> bytes:
        _language_runs(self.document)
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def _language_runs(document) -> None:
    """Turn language marks (i18n.mark) into Word's own: each run of a marked passage gets
    ``w:lang`` and loses the marks; a run holding both kinds of text is split."""
    open_language = None
    parts = [document.element.body] + [s.footer._element for s in document.sections]
    for part in parts:
        for element in part.iter():  # alt text and captions of tables and pictures: plain text
            for name, value in element.attrib.items():
                if OPEN in value or CLOSE in value:
                    element.set(name, strip_marks(value))
        for run in list(part.iter(qn("w:r"))):
            texts = run.findall(qn("w:t"))
            value = "".join(t.text or "" for t in texts)
            if not texts:
                continue
            if OPEN not in value and CLOSE not in value:
                if open_language:
                    _run_language(run, WORD_LANGUAGE.get(open_language, open_language))
                continue
            pieces, open_language = segments(value, open_language)
            pieces = [(lang, piece) for lang, piece in pieces if piece]
            for extra in texts[1:]:
                run.remove(extra)
            if not pieces:
                texts[0].text = ""
                continue
            texts[0].text = pieces[0][1]
            texts[0].set(qn("xml:space"), "preserve")
            if pieces[0][0]:
                _run_language(run, WORD_LANGUAGE.get(pieces[0][0], pieces[0][0]))
            previous = run
            for lang, piece in pieces[1:]:
                twin = copy.deepcopy(run)
                for old in twin.findall(qn("w:t"))[1:]:
                    twin.remove(old)
                twin.find(qn("w:t")).text = piece
                rpr = twin.find(qn("w:rPr"))
                if rpr is not None and rpr.find(qn("w:lang")) is not None and not lang:
                    rpr.remove(rpr.find(qn("w:lang")))
                if lang:
                    _run_language(twin, WORD_LANGUAGE.get(lang, lang))
                previous.addnext(twin)
                previous = twin


def _run_language(run, tag: str) -> None:
    _child(_child(run, "w:rPr", first=True), "w:lang").set(qn("w:val"), tag)


def _block_of(output: Mapping[str, Any]) -> dict | None:
    data = output.get("data") or {}
    value = data.get(blocks.MIME_TYPE)
    if value is None:
        return None
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value)


def _has_document_control(document_notebook) -> bool:
    """Whether the strategy's own document control table (context section) is in the document."""
    return any((_block_of(output) or {}).get("id") == "document-control"
               for cell in document_notebook.get("cells", []) if cell.get("cell_type") == "code"
               for output in cell.get("outputs", []) or [])


def render_docx(document_notebook, meta: Mapping[str, Any]) -> bytes:
    """Word document bytes for an assembled notebook (see :func:`strategy_docs.outputs.html.assemble`)."""
    meta = normalise_meta(meta)
    writer = _Writer(meta)
    writer.has_document_control = _has_document_control(document_notebook)
    writer.cover()
    writer.footer()
    for index, cell in enumerate(document_notebook.get("cells", [])):
        kind = cell.get("cell_type")
        if kind == "markdown":
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            writer.markdown(source)
        elif kind == "code":
            for output in cell.get("outputs", []) or []:
                if output.get("output_type") == "error":
                    raise RenderError(f"cell {index}: an error output cannot be rendered")
                block = _block_of(output)
                if block is None:
                    continue
                try:
                    block = blocks.validate_block(block)
                except ValueError as exc:
                    raise RenderError(f"cell {index}: {exc}") from exc
                writer.block(block)
    writer.have_your_say()
    writer.contents()
    return writer.bytes()
