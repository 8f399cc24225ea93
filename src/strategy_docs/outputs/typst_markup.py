"""Typst markup for an assembled strategy document: the source its PDF is compiled from.

:func:`typst_source` walks the same assembled notebook as the HTML and the DOCX (markdown cells
and display blocks, see :func:`strategy_docs.outputs.html.assemble`) and writes one Typst document:

* a cover (logo, title, authority – client group – period, status, notices), then a contents
  page made by Typst's ``outline`` (with page numbers), then the sections, each starting on a
  new page, then "Have your say" (drafts and consultation drafts with a consultation block),
  then "About this document";
* a running header (authority – client group – period, and the status) and a "Page X of Y"
  footer on every page but the cover (Typst tags page furniture as artifacts);
* tables as ``table`` with ``table.header`` (repeated on continuation pages, tagged as header
  cells, with "<caption> (continued)" above them in the page header) and totals in
  ``table.footer(repeat: false)``: once, at the end. Column widths come from the font's metrics
  so every word fits whole (no hyphenation); tables of ten or more columns, too wide for a
  portrait page even a point smaller, or whose portrait rows would run over pages, go on
  landscape pages, with the headings and text that introduce them (and the whole section so far
  when it would fill under a third of a portrait page);
* pagination a council would print: short tables are kept on one page; a table that may split
  starts where its caption, heading row and first three rows fit (a Typst ``context`` measures
  them against what is left of the page), and its last three rows travel with its totals in the
  unbreakable footer, so no page holds fewer than three of its rows; rows too tall for that may
  run over a page break; the headings and short text introducing a table stick to it;
* charts as the SVG the figure block carries (vector, text stays text, scaled to fit a page), with
  the block's alt text and a note naming the data table that follows them in the flow.

Every text value is written as an escaped Typst string or escaped markup, so nothing from the
parameters or data can be read as Typst code. Each element's first line is recorded with a
description (section and element) so a PDF/UA-1 violation reported by Typst at a line can be
named in the reader's terms (:meth:`TypstDocument.where`).
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from strategy_docs.outputs.typst_tables import (
    HEADER_ROW_PT, LANDSCAPE_BODY_PT, LANDSCAPE_TEXT_WIDTH_PT, PORTRAIT_BODY_PT, TEXT_WIDTH_PT, WIDE_TABLE_COLUMNS,
    cell_lines, prose_height_pt, row_heights, table_layout, widths_markup)
from strategy_docs.sections import blocks, markup
from strategy_docs.errors import RenderError
from strategy_docs.i18n import N_, segments, strip_marks, translator
from strategy_docs.outputs.html import STATUSES, _have_your_say

__all__ = ["TypstDocument", "typst_source", "FONT_FAMILY", "WIDE_TABLE_COLUMNS", "language_of"]

FONT_FAMILY = "DejaVu Sans"  # shipped with matplotlib: the same face as the chart text (charts.py)
KEEP_TOGETHER_ROWS = 6  # tables this short are not split across pages (a split would leave < 3 rows)...
KEEP_TOGETHER_HEIGHT_PT = 250.0  # ...unless so tall that moving them whole would leave a page near empty
ORPHAN_ROWS = 3  # a table split over pages has at least this many rows on its first and last page
TALL_ROW_PT = 180.0  # rows taller than this may run over a page break (others are kept whole)
HEADING_PT = 30.0
ANCHOR_GAP_PT = 20.0  # the widest space above a heading or paragraph after a keep anchor (13 pt x 1.4em)
CHART_MAX_HEIGHT_PT = 560.0  # charts are scaled to fit a page with their caption
STATUS_LABELS = {"draft": N_("Draft"), "consultation": N_("Consultation draft"), "final": N_("Final")}
TONE_FILL = {"good": "#d9ead3", "warning": "#fce5cd", "bad": "#f4cccc", "neutral": "#eeeeee"}
LANGUAGES = {"en-gb": ("en", "GB"), "en": ("en", "GB"), "cy": ("cy", None), "cy-gb": ("cy", "GB"), "welsh": ("cy", None)}

SECTION_BREAK = "#pagebreak(weak: true)\n"  # before each section's heading: sections start on a new page
_MARKUP_SPECIAL = re.compile(r"([\\#*_$`<>@\[\]~=\-+/\"'.:;(){}])")


# ---------------------------------------------------------------------------------------------
# escaping


_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_STRING_SPECIAL = re.compile(r'[\\"\x00-\x1f\x7f\u2028\u2029]')


def string(value: Any) -> str:
    """A Typst string literal (code mode) holding ``value`` exactly (language marks removed)."""
    return '"' + _STRING_SPECIAL.sub(
        lambda m: _STRING_ESCAPES.get(m.group(), f"\\u{{{ord(m.group()):x}}}"), strip_marks(value)) + '"'


def text(value: Any, carry: list | None = None) -> str:
    """``value`` as Typst markup showing exactly its characters (whitespace collapsed); a passage
    marked as another language (i18n.mark) is set in that language. `carry` holds the language
    left open by the text before (HTML split into several runs)."""
    plain = re.sub(r"\s+", " ", str(value))
    pieces, still_open = segments(plain, carry[0] if carry else None)
    if carry is not None:
        carry[0] = still_open
    out = []
    for language, piece in pieces:
        escaped = _MARKUP_SPECIAL.sub(r"\\\1", piece)
        if language is None or not piece.strip():
            out.append(escaped)
        else:
            lang, region = LANGUAGES[language]
            out.append(f"#text(lang: {string(lang)}{f', region: {string(region)}' if region else ''})[{escaped}]")
    return "".join(out)


def language_of(meta: Mapping[str, Any]) -> tuple[str, str | None]:
    """(ISO 639 language, region) for ``set text``: en-GB unless the metadata says Welsh."""
    value = str(meta.get("language") or meta.get("lang") or "en-GB").strip().lower()
    if value not in LANGUAGES:
        raise RenderError(f"document language {meta.get('language') or meta.get('lang')!r} is not en-GB or cy")
    return LANGUAGES[value]


# ---------------------------------------------------------------------------------------------
# sanitised HTML (markup.py's vocabulary) -> Typst markup


class _HtmlToTypst(HTMLParser):
    """Paragraphs, lists, emphasis, links, code and simple tables, as Typst markup."""

    def __init__(self, heading_offset: int = 1):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []  # closing text for open inline elements
        self.lists: list[list] = []  # [kind, start] per open list
        self.heading_offset = heading_offset
        self.table: list[list[tuple[str, bool]]] | None = None
        self.cell: list[str] | None = None
        self.cell_header = False
        self.headings: list[tuple[int, str]] = []
        self._heading: list[str] | None = None
        self.language: list = [None]  # a passage in another language still open (text())

    def _emit(self, value: str) -> None:
        if self.cell is not None:
            self.cell.append(value)
        elif self._heading is not None:
            self._heading.append(value)
        else:
            self.out.append(value)

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = dict(attrs)
        if tag == "table":
            self.table = []
        elif self.table is not None and tag == "tr":
            self.table.append([])
        elif self.table is not None and tag in ("td", "th"):
            self.cell, self.cell_header = [], tag == "th"
        elif tag in ("p", "blockquote", "pre", "hr"):
            if not self.lists:
                self._emit("\n\n")
            if tag == "blockquote":
                self._emit("#quote(block: true)[")
            elif tag == "pre":
                self._emit("#raw(block: true, ")
                self.stack.append("pre")
            elif tag == "hr":
                self._emit("#line(length: 100%, stroke: 0.5pt + luma(160))\n\n")
        elif tag in ("h2", "h3", "h4", "h5", "h6"):
            self._emit("\n\n")
            self._heading = []
        elif tag in ("ul", "ol"):
            self.lists.append([tag, int(attrs.get("start") or 1)])
            self._emit("\n")
        elif tag == "li":
            depth = len(self.lists) - 1
            kind = self.lists[-1][0] if self.lists else "ul"
            if kind == "ol":
                marker = f"{self.lists[-1][1]}."
                self.lists[-1][1] += 1
            else:
                marker = "-"
            self._emit("\n" + "  " * max(depth, 0) + marker + " ")
        elif tag in ("strong", "b"):
            self._emit("#strong[")
        elif tag in ("em", "i"):
            self._emit("#emph[")
        elif tag in ("s", "del"):
            self._emit("#strike[")
        elif tag == "sub":
            self._emit("#sub[")
        elif tag == "sup":
            self._emit("#super[")
        elif tag == "code":
            if "pre" not in self.stack:
                self._emit("#raw(")
                self.stack.append("code")
        elif tag == "a":
            href = attrs.get("href") or ""
            if href.startswith(("http://", "https://", "mailto:")):
                self._emit(f"#link({string(href)})[")
            else:
                self._emit("#[")
        elif tag == "br":
            self._emit(" \\\n")
        elif tag in ("abbr", "span"):
            self._emit("#[")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            rows, self.table = self.table or [], None
            self._emit(_simple_table(rows))
        elif self.table is not None and tag in ("td", "th"):
            if self.cell is not None and self.table:
                self.table[-1].append(("".join(self.cell).strip(), self.cell_header))
            self.cell = None
        elif self.table is not None:
            return
        elif tag in ("h2", "h3", "h4", "h5", "h6"):
            body = "".join(self._heading or []).strip()
            self._heading = None
            level = max(1, int(tag[1]) - self.heading_offset)
            if body:
                self.headings.append((level, body))
                top = level == 1 and self.heading_offset == 1  # a section's heading, not one inside a cell
                self._emit((SECTION_BREAK if top else "") + "=" * level + " " + body + "\n\n")
        elif tag == "blockquote":
            self._emit("]\n\n")
        elif tag == "pre":
            self._emit(")\n\n")
            if "pre" in self.stack:
                self.stack.remove("pre")
        elif tag == "p":
            self._emit("\n\n" if not self.lists else "")
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._emit("\n\n")
        elif tag in ("strong", "b", "em", "i", "s", "del", "sub", "sup", "a", "abbr", "span"):
            self._emit("]")
        elif tag == "code" and "code" in self.stack:
            self._emit(")")
            self.stack.remove("code")

    def handle_data(self, data: str) -> None:
        if self.table is not None and self.cell is None:
            return
        if self.stack and self.stack[-1] in ("code", "pre"):
            self._emit(string(data))
            return
        if self.lists and not data.strip():
            return
        self._emit(text(data, self.language))

    def result(self) -> str:
        self.close()
        return re.sub(r"\n{3,}", "\n\n", "".join(self.out)).strip()


def _simple_table(rows: list[list[tuple[str, bool]]]) -> str:
    """A Markdown table from prose: its first row is the header."""
    rows = [r for r in rows if r]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    cells = lambda row: ", ".join(f"[{c}]" for c, _ in row + [("", False)] * (width - len(row)))  # noqa: E731
    body = ",\n".join(cells(r) for r in rows[1:])
    header = ", ".join(f"[#strong[{c}]]" for c, _ in rows[0] + [("", False)] * (width - len(rows[0])))
    return f"\n\n#table(columns: {width}, table.header({header}),\n{body})\n\n"


def html_to_typst(html: str, heading_offset: int = 1) -> str:
    parser = _HtmlToTypst(heading_offset)
    parser.feed(markup.sanitise_html(html or ""))
    return parser.result()


# ---------------------------------------------------------------------------------------------
# the document


PREAMBLE = """\
#set document(title: {title}, author: {author}, description: {description}, keywords: {keywords}, date: {date})
#set text(font: {font}, size: 10pt, lang: {lang}{region}, hyphenate: false)
#set par(leading: 0.62em, spacing: 1em)
#let accent = rgb({accent})
#let running = {running}
#let status-word = {status}
#let body-top = 2.4cm
#let body-bottom() = (if page.flipped {{ page.width }} else {{ page.height }}) - 2.2cm
#set page(paper: "a4", margin: (x: 2cm, top: 2.4cm, bottom: 2.2cm),
  header: context if counter(page).get().first() > 1 {{
    set text(8pt, fill: luma(50))
    grid(columns: (1fr, auto), column-gutter: 1em, running, strong(status-word))
    v(-4pt)
    line(length: 100%, stroke: 0.5pt + luma(170))
    let page = here().page()
    let lasts = query(<table-last>)
    for first in query(<table-first>) {{
      let last = lasts.find(m => m.value.first() == first.value.first())
      if last != none and first.location().page() < page and page <= last.location().page() {{
        v(-2pt)
        text(weight: "bold", fill: black)[#first.value.last() {continued}]
      }}
    }}
  }},
  footer: {footer},
)
#set heading(numbering: none)
#show heading: set text(fill: accent)
#show heading: set block(above: 1.4em, below: 0.7em, sticky: true)
#show heading.where(level: 1): set text(17pt)
#show heading.where(level: 1): it => {{ block(width: 100%, stroke: (top: 3pt + accent), inset: (top: 5pt), it) }}
#show heading.where(level: 2): set text(13pt)
#show heading.where(level: 3): set text(11pt)
#show heading.where(level: 4): set text(10pt, fill: black)
#show link: set text(fill: rgb("#1d4f91"))
#show link: underline
#show figure: set block(breakable: true)
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.where(kind: table): set align(left)
#show figure.caption: set text(weight: "bold")
#show figure.caption: set align(left)
#set figure(gap: 0.6em)
#set table(stroke: 0.5pt + luma(150), inset: (x: 4pt, y: 3.5pt), align: left)
#set table.cell(breakable: false)
#show table: set par(justify: false)
#show outline.entry.where(level: 1): set block(above: 0.8em)
"""
FOOTER = """context if counter(page).get().first() > 1 {{
    set text(8pt, fill: luma(50))
    align(right)[{page_word} #counter(page).display() {of_word} {total}]
  }}"""
KEEP_ANCHOR = "#block(height: 0pt, above: 0pt, below: 0pt)[#metadata(none) <keep-"


@dataclass
class Piece:
    """One piece of a document's body, for a PDF made in parts (:mod:`strategy_docs.outputs.pdf_parts`)."""

    markup: str
    opens: int = 0  # 1 or 2: a part may start here, with a heading of that level; 0: it may not
    numbered: str | None = None  # "table" or "image": it holds a numbered figure of that kind
    height: float = 0.0  # roughly how tall it is set on a portrait page, in points


@dataclass
class TypstDocument:
    """The Typst source of one document and which element starts on which line.

    ``pieces`` are the same source cut where a part of a very long document's PDF may start: the
    preamble (``part_preamble``: without the "Page X of Y" footer, which is drawn on the merged
    PDF), the cover, the contents, then the body (see :mod:`strategy_docs.outputs.pdf_parts`).
    """

    source: str
    places: list[tuple[int, str]] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    part_preamble: str = ""
    words: dict[str, str] = field(default_factory=dict)  # "Contents", "Table", "Page", "of" as markup

    def where(self, line: int | None) -> str:
        """'section "Needs", figure "population-chart"' for a 1-based source line, or ''."""
        if line is None or not self.places:
            return ""
        index = bisect.bisect_right([p[0] for p in self.places], line) - 1
        return self.places[index][1] if index >= 0 else ""


@dataclass
class _Part:
    kind: str  # "section" (holds a section's heading), "heading", "prose", "table" or "other"
    height: float  # roughly how tall it is set on a portrait page, in points
    element: str | None  # what the reader calls it (TypstDocument.places), None for layout only
    numbered: str | None = None  # "table" or "image": it holds a numbered figure of that kind
    depth: int = 0  # inside how many landscape constructs (a part of a PDF made in parts cannot start there)


class _Writer:
    def __init__(self, meta: Mapping[str, Any]):
        self.meta = meta
        self.t = translator(meta.get("language") or "en")
        self.parts: list[str] = []
        self.about_parts: list[_Part] = []  # one per part
        self.places: list[tuple[int, str]] = []
        self.lines = 1
        self.section = "the cover"
        self.tables = 0  # tables that may run over pages
        self.labels: dict[str, str] = {}  # table block id -> Typst label
        self.depth = 0  # landscape constructs open

    def add(self, markup_text: str, element: str | None = None, kind: str = "other", height: float = 0.0,
            numbered: str | None = None) -> None:
        if element is not None:
            self.places.append((self.lines, f"section {self.section!r}, {element}"))
        chunk = markup_text.rstrip("\n") + "\n\n"
        self.parts.append(chunk)
        self.about_parts.append(_Part(kind, height, element, numbered, self.depth))
        self.lines += chunk.count("\n")

    def take_back(self, count: int) -> list[tuple[str, _Part]]:
        """Remove the last ``count`` parts (and their places), to be written again inside something."""
        taken = []
        for _ in range(count):
            chunk, part = self.parts.pop(), self.about_parts.pop()
            self.lines -= chunk.count("\n")
            if part.element is not None and self.places and self.places[-1][0] == self.lines:
                self.places.pop()
            taken.insert(0, (chunk, part))
        return taken

    def put_back(self, taken: list[tuple[str, _Part]]) -> None:
        for chunk, part in taken:
            if part.element is not None:
                self.places.append((self.lines, f"section {self.section!r}, {part.element}"))
            part.depth = self.depth
            self.parts.append(chunk)
            self.about_parts.append(part)
            self.lines += chunk.count("\n")

    def section_heading(self, level: int, body_markup: str, plain: str, element: str) -> None:
        if level == 1:
            self.section = plain
            self.add(SECTION_BREAK + "= " + body_markup, element, "section", HEADING_PT)
        else:
            self.add("=" * level + " " + body_markup, element, "heading", HEADING_PT)

    # blocks ----------------------------------------------------------------------------------

    def html(self, html: str, element: str, heading_offset: int = 1) -> None:
        converter = _HtmlToTypst(heading_offset)
        converter.feed(markup.sanitise_html(html or ""))
        body = converter.result()
        if body:
            first = next((h for lvl, h in converter.headings if lvl == 1), None)
            if first is not None:  # a markdown cell's "## Heading" starts a section
                self.section = re.sub(r"\\(.)", r"\1", first)
            kind = ("section" if first is not None else
                    "heading" if re.fullmatch(r"={2,} [^\n]*", body) else "prose")
            self.add(body, element, kind, prose_height_pt(body))

    def block(self, block: Mapping[str, Any]) -> None:
        kind = block.get("kind")
        if kind == "heading":
            self.section_heading(int(block["level"]) - 1, text(block["text"]), block["text"],
                                 f"heading {block['text']!r}")
        elif kind == "prose":
            self.html(block.get("html", ""), "text", heading_offset=1)
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

    def cell(self, value: Mapping[str, Any], numeric: bool, bold: bool = False, breakable: bool = False) -> str:
        options = ["breakable: true"] if breakable else []
        status = value.get("status")
        if status:
            fill = TONE_FILL.get(status.get("tone"), TONE_FILL["neutral"])
            options.append(f"fill: rgb({string(fill)})")
            return f"table.cell({', '.join(options)})[#strong[{text(status.get('label') or value.get('text', ''))}]]"
        if value.get("html") is not None:
            body = html_to_typst(value["html"], heading_offset=3)
        else:
            body = text(value.get("text", ""))
        if bold and body:
            body = f"#strong[{body}]"
        if numeric or value.get("numeric"):
            options.append("align: right")
        return f"table.cell({', '.join(options)})[{body}]" if options else f"[{body}]"

    def _introduction(self) -> int:
        """How many of the last parts introduce what comes next: back to the nearest heading (not a
        section's own), through short text only. They are kept on the page of what they introduce."""
        parts, start = self.about_parts, len(self.about_parts)
        while start > 0 and parts[start - 1].kind in ("heading", "prose"):
            start -= 1
            if parts[start].kind == "heading" or "\n=" in "\n" + self.parts[start]:
                break
        else:
            return 0
        if sum(p.height for p in parts[start:]) > LANDSCAPE_BODY_PT / 3:
            return 0
        return len(parts) - start

    def _landscape_lead(self) -> tuple[list[tuple[str, _Part]], bool]:
        """What goes on a landscape page before a wide table, and whether it opens the section.

        The headings and short text that introduce the table; or the whole section so far, when it
        is so short that leaving it alone on a portrait page would leave that page nearly empty.
        """
        parts = self.about_parts
        start = len(parts) - self._introduction()
        if start == len(parts) and parts and parts[-1].kind == "section":
            start -= 1  # the section's own heading and text introduce it
        opening = next((i for i in range(len(parts) - 1, -1, -1) if parts[i].kind == "section"), None)
        if (opening is not None and self.parts[opening].startswith(SECTION_BREAK)
                and "".join(self.parts[opening:]).count(SECTION_BREAK) == 1  # only its own page break
                and sum(p.height for p in parts[opening:]) < PORTRAIT_BODY_PT / 2):
            start = opening
        elif SECTION_BREAK in "".join(self.parts[start:]):
            start = len(parts)  # a section's heading in the middle of its text: left where it is
        return self.take_back(len(parts) - start), start == opening

    def table(self, block: Mapping[str, Any], caption: str | None = None) -> None:
        columns = block["columns"]
        count = len(columns)
        rows = list(block.get("rows", []) or [])
        footer_rows = list(block.get("footer_rows", []) or [])
        widths, size, wide = table_layout(block)
        header = []
        for column in columns:
            label = text(column["label"]) + (f" ({text(column['unit'])})" if column.get("unit") else "")
            label = f"#strong[{label}]"
            header.append(f"table.cell(align: right)[{label}]" if column.get("numeric") else f"[{label}]")

        def row_cells(row: Mapping[str, Any], bold: bool, breakable: bool = False) -> list[str]:
            values = ([row["header"]] if row.get("header") is not None else []) + list(row["cells"])
            out = []
            for index, value in enumerate(values):
                numeric = bool(columns[index].get("numeric")) if index < count else False
                is_header = index == 0 and row.get("header") is not None
                out.append(self.cell(value, numeric, bold=bold or is_header, breakable=breakable))
            return out

        heights = row_heights(block, widths, size)
        body_heights, footer_heights = heights[:len(rows)], heights[len(rows):]
        page_body = LANDSCAPE_BODY_PT if wide else PORTRAIT_BODY_PT
        short = len(rows) + len(footer_rows) <= KEEP_TOGETHER_ROWS
        total = HEADER_ROW_PT + sum(heights)
        # A table is kept on one page if it is short, or if it has too few rows to leave at least
        # ORPHAN_ROWS on each page and moving it whole would still leave a third of the page used.
        introduced = 0 if wide else self._introduction()
        intro_height = sum(part.height for part in self.about_parts[len(self.about_parts) - introduced:])
        few = len(heights) < 2 * ORPHAN_ROWS
        breakable = not ((short and total < KEEP_TOGETHER_HEIGHT_PT)
                         or (few and total + intro_height < 2 / 3 * page_body))
        # Rows that are tall, or all rows of a table with too few rows to split it, may run over a
        # page break: the table then fills the page it starts on.
        tall = [breakable and (few or h > TALL_ROW_PT) for h in body_heights]
        body = [row_cells(r, False, t) for r, t in zip(rows, tall)]
        footer = [row_cells(r, True) for r in footer_rows]
        # The last rows go with the totals into the footer, which Typst keeps whole and prints once,
        # at the end: a page break never leaves fewer than ORPHAN_ROWS rows on the table's last page.
        kept = 0
        while kept < min(ORPHAN_ROWS, len(body) - ORPHAN_ROWS) and not tall[len(body) - 1 - kept]:
            kept += 1  # rows too tall to keep whole may run over the page break instead
        if not breakable or kept < 2 or sum(body_heights[len(body) - kept:]) + sum(footer_heights) > page_body / 2:
            kept = 0
        footer = body[len(body) - kept:] + footer
        body = body[:len(body) - kept]
        title = text(caption or block["caption"])

        def figure_of(body_rows: list[list[str]], footer_rows_: list[list[str]]) -> str:
            lines = [f"  table.header({', '.join(header)}),"]
            lines += [f"  {', '.join(cells)}," for cells in body_rows]
            if footer_rows_:
                lines.append(f"  table.footer(repeat: false, {', '.join(c for r in footer_rows_ for c in r)}),")
            table_markup = (f"text(size: {size}pt, table(columns: {widths_markup(widths)}, "
                            f"fill: (_, y) => if y == 0 {{ rgb(\"#dde4ee\") }},\n" + "\n".join(lines) + "\n))")
            return f"figure(kind: table, supplement: [{text(self.t('Table'))}], caption: [{title}],\n{table_markup})"

        # The caption, heading row and first rows of a table that may run over pages, with the
        # headings and text that introduce it, start on one page: if they do not fit in what is left
        # of this one, and this one is already a third full, they start the next page.
        first, extra = [], 0.0
        if breakable:
            for cells, is_tall in zip(body + footer, tall + [False] * len(footer)):
                if len(first) == ORPHAN_ROWS or is_tall:
                    extra = 5 * size * 1.35 if is_tall else 0.0  # a few lines of a tall row
                    break
                first.append(cells)
        start = figure_of(first, [])

        def keep(intro: list[tuple[str, _Part]], width: float) -> str:
            self.tables += 1
            anchor = f"keep-{self.tables}"
            before = "".join(chunk for chunk, _ in intro)
            # + the space above what follows the anchor (a heading's 1.4em), which measure() leaves out
            need = f"measure(width: {width}pt, [{before}#{start}]).height + {extra + ANCHOR_GAP_PT:.1f}pt"
            if breakable:  # rows so tall that three fill more than a third of a page need only that third
                cap = sum(part.height for _, part in intro) + HEADER_ROW_PT + 30 + page_body / 3
                need = f"calc.min({need}, {cap:.1f}pt)"
            # the anchor sits in a block of its own: a bare metadata would travel with the next
            # content, so a page break here would move it to the next page, the test would flip, and
            # Typst's layout would never settle
            return (f"#block(height: 0pt, above: 0pt, below: 0pt)[#metadata(none) <{anchor}>]\n"
                    f"#context {{ let y = locate(<{anchor}>).position().y\n"
                    f"  if {need} > body-bottom() - y and y > body-top + (body-bottom() - body-top) / 3 "
                    f"{{ pagebreak(weak: true) }} }}")

        if breakable and body:  # where its rows start and end: the page header says "(continued)" between
            self.tables += 1
            mark = f"#metadata(({self.tables}, {string(caption or block['caption'])}))"
            body[0][0] = body[0][0][:-1] + f"{mark} <table-first>]"
            # in the last row's cell that ends lowest (its longest), so on the table's last page
            # even when that row is split over a page break
            last_row = (footer_rows or rows)[-1]
            values = ([last_row["header"]] if last_row.get("header") is not None else []) + list(last_row["cells"])
            lowest = max(range(min(len(values), len(widths))), key=lambda i: cell_lines(values[i], widths[i], size))
            last = (footer or body)[-1]
            last[lowest] = last[lowest][:-1] + f"{mark} <table-last>]"
        notes = ""
        if block.get("notes"):
            notes = f"\n#block(above: 0.5em, text(8.5pt)[#strong[{text(self.t('Notes:'))}] {text(block['notes'])}])"
        label = self.labels.get(block.get("id"))
        figure = (f"#block(breakable: {'true' if breakable else 'false'}, width: 100%)[#{figure_of(body, footer)}"
                  f"{f' <{label}>' if label else ''}{notes}]")
        element = f"table {block.get('id', '')!r}"
        height = HEADER_ROW_PT + sum(heights) + 24
        if not wide:
            # the text introducing the table sticks to it, as headings do: never left at a page's foot
            intro = [(chunk if part.kind == "heading" else f"#block(sticky: true)[\n{chunk.rstrip()}\n]\n\n", part)
                     for chunk, part in self.take_back(introduced)]
            if breakable:
                self.add(keep(intro, TEXT_WIDTH_PT))
            self.put_back(intro)
            self.add(figure, element, "table", height, numbered="table")
            return
        lead, opens_section = self._landscape_lead()
        count = 0
        while count < len(lead) - 1 and lead[-1 - count][1].kind == "heading":
            count += 1
        headings = lead[len(lead) - count:]
        lead = lead[:len(lead) - count]
        check = f"{keep(headings, LANDSCAPE_TEXT_WIDTH_PT)}\n" if breakable else ""
        if not opens_section:
            self.add("#page(flipped: true)[", None)
            self.depth += 1
            self.put_back(lead)
            if check:
                self.add(check)
            self.put_back(headings)
            self.depth -= 1
            self.add(f"{figure}\n]", element, "table", numbered="table")
            return
        # The section so far goes on the landscape page too if it would fill under a third of a
        # portrait page; measured by Typst, the section's page break left out (it cannot be measured).
        self.tables += 1
        name = f"lead-{self.tables}"
        lead[0] = (lead[0][0].replace(SECTION_BREAK, "", 1), lead[0][1])
        self.add(f"#let {name} = [", None)
        self.depth += 1
        self.put_back(lead)
        self.add(f"]\n#let {name}-table = [{check}", None)
        self.put_back(headings)
        self.depth -= 1
        self.add(f"{figure}]\n"
                 f"#context if measure(width: {TEXT_WIDTH_PT}pt, {name}).height < {PORTRAIT_BODY_PT / 3:.1f}pt "
                 f"{{ page(flipped: true)[#{name}\n#{name}-table] }} else "
                 f"{{ pagebreak(weak: true); {name}; page(flipped: true, {name}-table) }}", element, "table",
                 numbered="table")

    def figure(self, block: Mapping[str, Any]) -> None:
        natural_width, natural_height = _svg_size_pt(block["svg"])
        width = min(natural_width or TEXT_WIDTH_PT, TEXT_WIDTH_PT)
        height = natural_height * width / natural_width if natural_width and natural_height else None
        if height is not None and height > CHART_MAX_HEIGHT_PT:  # a tall chart is made smaller to fit a page
            width, height = width * CHART_MAX_HEIGHT_PT / height, CHART_MAX_HEIGHT_PT
        alt = str(block.get("alt") or "").strip()
        alt_arg = f", alt: {string(alt)}" if alt else ""
        label = self.labels.get(block.get("table_id"))
        where = f"in #ref(<{label}>)" if label else "in the table that follows"
        self.add(
            f"#figure(image(bytes({string(block['svg'])}), format: \"svg\", width: {width:.1f}pt{alt_arg}),\n"
            f"  caption: [{text(block['caption'])} \\ #text(8.5pt, weight: \"regular\", style: \"italic\")"
            f"[The numbers in this chart are {where}.]])",
            f"figure {block.get('id', '')!r}", numbered="image",
        )

    def facts(self, block: Mapping[str, Any]) -> None:
        items = []
        for item in block.get("items", []):
            detail = f"#linebreak()#text(8.5pt)[{text(item['detail'])}]" if item.get("detail") else ""
            items.append(f"block(width: 100%, inset: 6pt, stroke: (left: 3pt + accent), fill: luma(245))"
                         f"[{text(item['label'])}#linebreak()#text(14pt, weight: \"bold\")[{text(item['value'])}]{detail}]")
        self.add("#grid(columns: (1fr, 1fr, 1fr), gutter: 8pt,\n  " + ",\n  ".join(items) + ")", "key facts")

    def cycle(self, block: Mapping[str, Any]) -> None:
        self.table(blocks.cycle_as_table(block, self.t))

    def callout(self, block: Mapping[str, Any]) -> None:
        warning = block.get("tone") == "warning"
        colour = "rgb(\"#8a4b00\")" if warning else "accent"
        title = (self.t("Warning:") if warning else self.t("Note:")) + " " + str(block.get("title", ""))
        body = html_to_typst(block.get("html", ""), heading_offset=2)
        self.add(f"#block(width: 100%, inset: (left: 10pt, y: 6pt), stroke: (left: 4pt + {colour}), breakable: false)"
                 f"[#strong[{text(title)}]\n\n{body}]", f"note {block.get('title', '')!r}")

    # cover and end matter ---------------------------------------------------------------------

    def cover(self) -> None:
        m = self.meta
        status = m["status"]
        parts = []
        logo = _logo(m)
        if logo:
            parts.append(logo)
        parts.append(f"#v(2cm)\n#title[{text(m['title'])}]")
        parts.append(f"#text(14pt)[{text(m['authority_name'])} – {text(m['client_group_name'])} – "
                     f"{text(m['edition_label'])}]")
        t = self.t
        details = [(t("Status"), t(STATUS_LABELS[status]) if status in STATUS_LABELS else status)]
        if m.get("publication_date"):
            details.append((t("Published"), t.date(m["publication_date"])))
        if m.get("owner") and "document-control" not in self.labels:  # else the owner is in document control
            details.append((t("Owner"), m["owner"]))
        parts.append("#v(1cm)\n" + "\n\n".join(f"#strong[{text(k)}:] {text(v)}" for k, v in details))
        notice = t(STATUSES[status][1]) if status in STATUSES and STATUSES[status][1] else ""
        if notice:
            parts.append(f"#block(width: 100%, inset: 8pt, stroke: (left: 4pt + rgb(\"#8a4b00\")), fill: rgb(\"#fff7e6\"))"
                         f"[#strong[{text(t(STATUS_LABELS[status]))}]: {text(notice)}]")
        if m.get("synthetic"):
            parts.append("#block(width: 100%, inset: 8pt, stroke: (left: 4pt + luma(90)), fill: luma(243))"
                         f"[#strong[{text(t('This document uses synthetic example data.'))}] "
                         f"{text(t('The figures are made up to show how the document works; they do not describe real people, services or spending.'))}]")
        for other in m.get("alternates") or []:  # the other language's version, named in its own words
            words = translator(other["language"])("Read this document in English")
            region = ', region: "GB"' if other["language"] == "en" else ""
            parts.append(f"#text(lang: {string(other['language'])}{region})[{text(words)}"
                         f"{': ' + text(other['title']) if other.get('title') else ''}]")
        self.add("\n\n".join(parts), "cover")
        self.add(f"#pagebreak()\n#outline(title: [{text(t('Contents'))}], depth: 1)")
        self.section = "Contents"

    def have_your_say(self) -> None:
        """Drafts and consultation drafts with a consultation block end with how to respond, as the
        HTML and the DOCX do (html._have_your_say): by when, how, where to write, other formats."""
        t = self.t
        h = _have_your_say(self.meta, t)
        if not h:
            return
        heading = t("Have your say")
        self.section_heading(1, text(heading), heading, "heading 'Have your say'")
        closing = f"{text(t('This is a draft. Tell us what you think by'))} #strong[{text(h['closing_date'])}]."
        self.add(closing, "closing date", "prose", prose_height_pt(closing))
        self.html(str(h["how_to_respond"]), "how to respond")  # its ### under the section, as in the HTML
        if h["email"]:
            email = f"{text(t('Email:'))} #link({string(h['mailto'])})[{text(h['email'])}]"
            self.add(email, "email", "prose", prose_height_pt(email))
        if h["address"]:
            address = f"{text(t('Write to:'))} {text(h['address'])}"
            self.add(address, "address", "prose", prose_height_pt(address))
        if h["other_formats"]:
            formats = text(h["other_formats"])
            self.add(formats, "other formats", "prose", prose_height_pt(formats))

    def about(self) -> None:
        """The end matter. The document control record is shown once: the strategy's own (Table N
        in its first section) when it has one, else the identity rows of the metadata."""
        m = self.meta
        t = self.t
        about = t("About this document")
        self.section_heading(1, text(about), about, "heading 'About this document'")
        control = self.labels.get("document-control")
        if control is not None:
            lines = [t("The document control record of this strategy is {table}.").format(table=f"#ref(<{control}>)")]
            if m.get("generator"):
                lines.append(t("Made with {generator} on {date}.").format(
                    generator=text(m["generator"]), date=text(t.date(m["build_date"]))) if m.get("build_date")
                    else t("Made with {generator}.").format(generator=text(m["generator"])))
            self.add(" ".join(lines), "document control")
        else:
            status = m["status"]
            rows = [(t("Title"), m["title"]), (t("Authority"), m["authority_name"]),
                    (t("Client group"), m["client_group_name"]), (t("Edition"), m["edition_label"]),
                    (t("Status"), t(STATUS_LABELS[status]) if status in STATUS_LABELS else status)]
            if m.get("publication_date"):
                rows.append((t("Publication date"), t.date(m["publication_date"])))
            for label, key in ((t("Author"), "author"), (t("Owner"), "owner"), (t("Generated by"), "generator")):
                if m.get(key):
                    rows.append((label, m[key]))
            if m.get("build_date"):
                rows.append((t("Built"), t.date(m["build_date"])))
            body = ",\n".join(f"  [#strong[{text(k)}]], [{text(v)}]" for k, v in rows)
            self.add(f"#figure(kind: table, supplement: [{text(t('Table'))}], caption: [{text(t('Document control'))}],\n"
                     f"table(columns: (auto, 1fr), table.header([#strong[{text(t('Field'))}]], [#strong[{text(t('Value'))}]]),\n{body}))",
                     "document control table", numbered="table")
        if m.get("synthetic"):
            self.add(text(t("This document uses synthetic example data.")))
        statement = m.get("accessibility_statement") or {}
        if statement.get("url"):
            line = t("Read {authority}'s {link}.").format(
                authority=text(m["authority_name"]),
                link=f"#link({string(statement['url'])})[{text(t('accessibility statement'))}]")
            if statement.get("contact"):
                line += " " + t("To report a problem with this document or ask for it in another format, contact {contact}.").format(
                    contact=text(statement["contact"]))
            self.add(line, "accessibility statement")

    def preamble(self, footer: bool = True) -> str:
        """The preamble; without the footer for the parts of a PDF made in parts (pdf_parts draws it)."""
        m = self.meta
        lang, region = language_of(m)
        status = m["status"]
        date = _typst_date(m.get("publication_date"))
        return PREAMBLE.format(
            title=string(f"{m['title']} – {m['authority_name']}"),
            author=string(m.get("author") or m["authority_name"]),
            description=string(self.t("{title}: {authority}, {client_group}, {edition}.").format(
                title=m["title"], authority=m["authority_name"], client_group=m["client_group_name"],
                edition=m["edition_label"])),
            keywords=string(f"{m['client_group_name']}, {self.t('commissioning strategy')}"),
            date=date,
            font=string(FONT_FAMILY),
            lang=string(lang),
            region=f", region: {string(region)}" if region else "",
            accent=string(m["accent_colour"]),
            running=string(f"{m['authority_name']} – {m['client_group_name']} – {m['edition_label']}"),
            status=string(self.t(STATUS_LABELS[status]) if status in STATUS_LABELS else status),
            continued=text(self.t("(continued)")),
            footer=FOOTER.format(page_word=text(self.t("Page")), of_word=text(self.t("of")),
                                 total="#counter(page).final().first()") if footer else "none",
        )

    def pieces(self) -> list[Piece]:
        """The body as pieces, each marked with whether a part of the PDF may start there: at a
        section's or a level-2 heading (with the keep anchor just before it), never inside a
        landscape construct."""
        pieces = []
        for index, (chunk, part) in enumerate(zip(self.parts, self.about_parts)):
            opens = 0
            if part.depth == 0:
                if chunk.startswith(SECTION_BREAK + "= "):
                    opens = 1
                elif chunk.startswith("== "):
                    opens = 2
                elif chunk.startswith("#let lead-") and index + 1 < len(self.parts) and \
                        self.about_parts[index + 1].kind == "section":
                    opens = 1  # a short section set on the landscape page of its wide table
            if opens and pieces and pieces[-1].markup.startswith(KEEP_ANCHOR):
                pieces[-1].opens, opens = opens, 0  # the keep test travels with the heading it measures
            pieces.append(Piece(chunk, opens, part.numbered, part.height))
        return pieces


def _svg_length_pt(svg: str, name: str) -> float | None:
    match = re.search(r'<svg[^>]*\s' + name + r'="([\d.]+)(pt|px|cm|mm|in)?"', svg)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2) or "px"
    return value * {"pt": 1.0, "px": 0.75, "cm": 72 / 2.54, "mm": 7.2 / 2.54, "in": 72.0}[unit]


def _svg_size_pt(svg: str) -> tuple[float | None, float | None]:
    return _svg_length_pt(svg, "width"), _svg_length_pt(svg, "height")


def _table_labels(document_notebook) -> dict[str, str]:
    """A Typst label for each table block id that occurs once (charts refer to their data table by it)."""
    seen: dict[str, int] = {}
    for cell in document_notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []) or []:
            block = _block_of(output)
            if block is not None and block.get("kind") == "table" and block.get("id"):
                seen[str(block["id"])] = seen.get(str(block["id"]), 0) + 1
    return {key: "tbl-" + re.sub(r"[^A-Za-z0-9_-]", "-", key) for key, n in seen.items() if n == 1}


def _logo(meta: Mapping[str, Any]) -> str:
    uri = meta.get("logo_data_uri")
    if not uri:
        return ""
    header, _, payload = str(uri).partition(",")
    formats = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
    kind = next((fmt for mime, fmt in formats.items() if mime in header), None)
    if kind is None:
        return ""
    try:
        data = base64.b64decode(payload, validate=True)
        svg = data.decode("utf-8") if kind == "svg" else ""
    except (ValueError, UnicodeDecodeError) as exc:
        raise RenderError(f"the logo of {meta['authority_name']} cannot be read ({exc}); fix branding.logo") from exc
    if kind == "svg":
        source = f"bytes({string(svg)})"
    else:  # raster logos travel as base64 inside the source, decoded by Typst's own helper
        source = f"bytes(array(json(bytes({string(json.dumps(list(data)))}))))"
    return f"#image({source}, format: {string(kind)}, height: 2cm, alt: {string(str(meta['authority_name']) + ' logo')})"


def _typst_date(value: Any) -> str:
    """The publication date for the PDF's metadata, or none: a PDF never gets today's date by accident."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return "none"
    if isinstance(value, dt.date):
        return f"datetime(year: {value.year}, month: {value.month}, day: {value.day})"
    return "none"


def _block_of(output: Mapping[str, Any]) -> dict | None:
    value = (output.get("data") or {}).get(blocks.MIME_TYPE)
    if value is None:
        return None
    return dict(json.loads(value) if isinstance(value, str) else value)


def typst_source(document_notebook, meta: Mapping[str, Any]) -> TypstDocument:
    """The Typst document for an assembled notebook and its (normalised) metadata."""
    writer = _Writer(meta)
    writer.labels = _table_labels(document_notebook)
    preamble = writer.preamble()
    writer.lines = preamble.count("\n") + 1
    writer.cover()
    for index, cell in enumerate(document_notebook.get("cells", [])):
        kind = cell.get("cell_type")
        if kind == "markdown":
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            writer.html(markup.markdown_to_html(source or ""), f"text of cell {index}")
        elif kind == "code":
            for output in cell.get("outputs", []) or []:
                if output.get("output_type") == "error":
                    raise RenderError(f"cell {index}: an error output cannot be rendered")
                block = _block_of(output)
                if block is None:
                    continue
                writer.block(block)
    writer.have_your_say()
    writer.about()
    t = writer.t
    words = {"Contents": text(t("Contents")), "Table": text(t("Table")),
             "Page": text(t("Page")), "of": text(t("of"))}
    return TypstDocument(preamble + "".join(writer.parts), writer.places, writer.pieces(),
                         writer.preamble(footer=False), words)
