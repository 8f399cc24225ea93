"""Typst markup for an assembled strategy document: the source its PDF is compiled from.

:func:`typst_source` walks the same assembled notebook as the HTML and the DOCX (markdown cells
and display blocks, see :func:`strategy_docs.outputs.html.assemble`) and writes one Typst document:

* a cover (logo, title, authority – client group – period, status, notices), then a contents
  page made by Typst's ``outline`` (with page numbers), then the sections, each starting on a
  new page, then "About this document";
* a running header (authority – client group – period, and the status) and a "Page X of Y"
  footer on every page but the cover (Typst tags page furniture as artifacts);
* tables as ``table`` with ``table.header`` (repeated on continuation pages, tagged as header
  cells, with "<caption> (continued)" above them in the page header) and totals in
  ``table.footer(repeat: false)``: once, at the end. Column widths come from the font's metrics
  so every word fits whole (no hyphenation); tables of ten or more columns, or too wide for a
  portrait page even a point smaller, go on landscape pages; short tables are kept on one page;
* charts as the SVG the figure block carries (vector, text stays text), with the block's alt
  text, followed in the flow by their data table as in the HTML.

Every text value is written as an escaped Typst string or escaped markup, so nothing from the
parameters or data can be read as Typst code. Each element's first line is recorded with a
description (section and element) so a PDF/UA-1 violation reported by Typst at a line can be
named in the reader's terms (:meth:`TypstDocument.where`).
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from strategy_docs.sections import blocks, markup
from strategy_docs.errors import RenderError
from strategy_docs.wording import long_date

__all__ = ["TypstDocument", "typst_source", "FONT_FAMILY", "WIDE_TABLE_COLUMNS", "language_of"]

FONT_FAMILY = "DejaVu Sans"  # shipped with matplotlib: the same face as the chart text (charts.py)
WIDE_TABLE_COLUMNS = 10  # tables this wide are set on landscape pages
KEEP_TOGETHER_ROWS = 6  # tables this short are not split across pages (a split would leave < 3 rows)...
KEEP_TOGETHER_HEIGHT_PT = 250.0  # ...unless so tall that moving them whole would leave a page near empty
TEXT_WIDTH_PT = 481.9  # A4 (595.3 pt) less 2 x 2 cm margins
LANDSCAPE_TEXT_WIDTH_PT = 728.5
STATUS_LABELS = {"draft": "Draft", "consultation": "Consultation draft", "final": "Final"}
TONE_FILL = {"good": "#d9ead3", "warning": "#fce5cd", "bad": "#f4cccc", "neutral": "#eeeeee"}
LANGUAGES = {"en-gb": ("en", "GB"), "en": ("en", "GB"), "cy": ("cy", None), "cy-gb": ("cy", "GB"), "welsh": ("cy", None)}

_MARKUP_SPECIAL = re.compile(r"([\\#*_$`<>@\[\]~=\-+/\"'.:;(){}])")


# ---------------------------------------------------------------------------------------------
# escaping


_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_STRING_SPECIAL = re.compile(r'[\\"\x00-\x1f\x7f\u2028\u2029]')


def string(value: Any) -> str:
    """A Typst string literal (code mode) holding ``value`` exactly."""
    return '"' + _STRING_SPECIAL.sub(
        lambda m: _STRING_ESCAPES.get(m.group(), f"\\u{{{ord(m.group()):x}}}"), str(value)) + '"'


def text(value: Any) -> str:
    """``value`` as Typst markup showing exactly its characters (whitespace collapsed)."""
    return _MARKUP_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(value)))


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
                self._emit("=" * level + " " + body + "\n\n")
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
        self._emit(text(data))

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
        text(weight: "bold", fill: black)[#first.value.last() (continued)]
      }}
    }}
  }},
  footer: context if counter(page).get().first() > 1 {{
    set text(8pt, fill: luma(50))
    align(right)[Page #counter(page).display() of #counter(page).final().first()]
  }},
)
#set heading(numbering: none)
#show heading: set text(fill: accent)
#show heading: set block(above: 1.4em, below: 0.7em, sticky: true)
#show heading.where(level: 1): set text(17pt)
#show heading.where(level: 1): it => {{ pagebreak(weak: true); block(width: 100%, stroke: (top: 3pt + accent), inset: (top: 5pt), it) }}
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


@dataclass
class TypstDocument:
    """The Typst source of one document and which element starts on which line."""

    source: str
    places: list[tuple[int, str]] = field(default_factory=list)

    def where(self, line: int | None) -> str:
        """'section "Needs", figure "population-chart"' for a 1-based source line, or ''."""
        if line is None or not self.places:
            return ""
        index = bisect.bisect_right([p[0] for p in self.places], line) - 1
        return self.places[index][1] if index >= 0 else ""


class _Writer:
    def __init__(self, meta: Mapping[str, Any]):
        self.meta = meta
        self.parts: list[str] = []
        self.places: list[tuple[int, str]] = []
        self.lines = 1
        self.section = "the cover"
        self.tables = 0  # tables that may run over pages

    def add(self, markup_text: str, element: str | None = None) -> None:
        if element is not None:
            self.places.append((self.lines, f"section {self.section!r}, {element}"))
        chunk = markup_text.rstrip("\n") + "\n\n"
        self.parts.append(chunk)
        self.lines += chunk.count("\n")

    def section_heading(self, level: int, body_markup: str, plain: str, element: str) -> None:
        if level == 1:
            self.section = plain
        self.add("=" * level + " " + body_markup, element)

    # blocks ----------------------------------------------------------------------------------

    def html(self, html: str, element: str, heading_offset: int = 1) -> None:
        converter = _HtmlToTypst(heading_offset)
        converter.feed(markup.sanitise_html(html or ""))
        body = converter.result()
        if body:
            first = next((h for lvl, h in converter.headings if lvl == 1), None)
            if first is not None:  # a markdown cell's "## Heading" starts a section
                self.section = re.sub(r"\\(.)", r"\1", first)
            self.add(body, element)

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

    def cell(self, value: Mapping[str, Any], numeric: bool, bold: bool = False) -> str:
        status = value.get("status")
        if status:
            fill = TONE_FILL.get(status.get("tone"), TONE_FILL["neutral"])
            return f"table.cell(fill: rgb({string(fill)}))[#strong[{text(status.get('label') or value.get('text', ''))}]]"
        if value.get("html") is not None:
            body = html_to_typst(value["html"], heading_offset=3)
        else:
            body = text(value.get("text", ""))
        if bold and body:
            body = f"#strong[{body}]"
        if numeric or value.get("numeric"):
            return f"table.cell(align: right)[{body}]"
        return f"[{body}]"

    def table(self, block: Mapping[str, Any], caption: str | None = None) -> None:
        columns = block["columns"]
        count = len(columns)
        rows = list(block.get("rows", []) or [])
        footer_rows = list(block.get("footer_rows", []) or [])
        widths, size, wide = _table_layout(block)
        header = []
        for column in columns:
            label = text(column["label"]) + (f" ({text(column['unit'])})" if column.get("unit") else "")
            label = f"#strong[{label}]"
            header.append(f"table.cell(align: right)[{label}]" if column.get("numeric") else f"[{label}]")

        def row_cells(row: Mapping[str, Any], bold: bool) -> list[str]:
            values = ([row["header"]] if row.get("header") is not None else []) + list(row["cells"])
            out = []
            for index, value in enumerate(values):
                numeric = bool(columns[index].get("numeric")) if index < count else False
                is_header = index == 0 and row.get("header") is not None
                out.append(self.cell(value, numeric, bold=bold or is_header))
            return out

        short = len(rows) + len(footer_rows) <= KEEP_TOGETHER_ROWS
        small = _table_height_pt(block, widths, size) < KEEP_TOGETHER_HEIGHT_PT
        breakable = not (short and small)  # moving a tall table whole would leave a page near empty
        body = [row_cells(r, False) for r in rows]
        footer = [c for r in footer_rows for c in row_cells(r, True)]
        if breakable and body:  # where its rows start and end: the page header says "(continued)" between
            self.tables += 1
            mark = f"#metadata(({self.tables}, {string(caption or block['caption'])}))"
            body[0][0] = body[0][0][:-1] + f"{mark} <table-first>]"
            last = footer if footer else body[-1]
            last[-1] = last[-1][:-1] + f"{mark} <table-last>]"
        lines = [f"  table.header({', '.join(header)}),"]
        lines += [f"  {', '.join(cells)}," for cells in body]
        if footer:
            lines.append(f"  table.footer(repeat: false, {', '.join(footer)}),")
        table_markup = (f"text(size: {size}pt, table(columns: {_widths_markup(widths)}, "
                        f"fill: (_, y) => if y == 0 {{ rgb(\"#dde4ee\") }},\n" + "\n".join(lines) + "\n))")
        notes = ""
        if block.get("notes"):
            notes = f"\n#block(above: 0.5em, text(8.5pt)[#strong[Notes:] {text(block['notes'])}])"
        figure = (f"#block(breakable: {'true' if breakable else 'false'}, width: 100%)[#figure(kind: table, supplement: [Table], "
                  f"caption: [{text(caption or block['caption'])}],\n{table_markup})"
                  f"{notes}]")
        element = f"table {block.get('id', '')!r}"
        if wide:
            self.add(f"#page(flipped: true)[\n{figure}\n]", element)
        else:
            self.add(figure, element)

    def figure(self, block: Mapping[str, Any]) -> None:
        width = min(_svg_width_pt(block["svg"]) or TEXT_WIDTH_PT, TEXT_WIDTH_PT)
        alt = str(block.get("alt") or "").strip()
        alt_arg = f", alt: {string(alt)}" if alt else ""
        self.add(
            f"#figure(image(bytes({string(block['svg'])}), format: \"svg\", width: {width:.1f}pt{alt_arg}),\n"
            f"  caption: [{text(block['caption'])}])\n\n"
            f"#text(8.5pt, style: \"italic\")[The numbers in this chart are in the table that follows.]",
            f"figure {block.get('id', '')!r}",
        )

    def facts(self, block: Mapping[str, Any]) -> None:
        items = []
        for item in block.get("items", []):
            detail = f"#linebreak()#text(8.5pt)[{text(item['detail'])}]" if item.get("detail") else ""
            items.append(f"block(width: 100%, inset: 6pt, stroke: (left: 3pt + accent), fill: luma(245))"
                         f"[{text(item['label'])}#linebreak()#text(14pt, weight: \"bold\")[{text(item['value'])}]{detail}]")
        self.add("#grid(columns: (1fr, 1fr, 1fr), gutter: 8pt,\n  " + ",\n  ".join(items) + ")", "key facts")

    def cycle(self, block: Mapping[str, Any]) -> None:
        self.table(blocks.cycle_as_table(block))

    def callout(self, block: Mapping[str, Any]) -> None:
        warning = block.get("tone") == "warning"
        colour = "rgb(\"#8a4b00\")" if warning else "accent"
        title = ("Warning: " if warning else "Note: ") + str(block.get("title", ""))
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
        details = [("Status", STATUS_LABELS.get(status, status))]
        if m.get("publication_date"):
            details.append(("Published", long_date(m["publication_date"])))
        if m.get("owner"):
            details.append(("Owner", m["owner"]))
        parts.append("#v(1cm)\n" + "\n\n".join(f"#strong[{text(k)}:] {text(v)}" for k, v in details))
        from strategy_docs.outputs.html import STATUSES

        notice = STATUSES.get(status, ("", ""))[1]
        if notice:
            parts.append(f"#block(width: 100%, inset: 8pt, stroke: (left: 4pt + rgb(\"#8a4b00\")), fill: rgb(\"#fff7e6\"))"
                         f"[#strong[{text(STATUS_LABELS.get(status, status))}]: {text(notice)}]")
        if m.get("synthetic"):
            parts.append("#block(width: 100%, inset: 8pt, stroke: (left: 4pt + luma(90)), fill: luma(243))"
                         "[#strong[This document uses synthetic example data.] The figures are made up to show how "
                         "the document works; they do not describe real people, services or spending.]")
        self.add("\n\n".join(parts), "cover")
        self.add("#pagebreak()\n#outline(title: [Contents], depth: 1)")
        self.section = "Contents"

    def about(self) -> None:
        m = self.meta
        self.section_heading(1, "About this document", "About this document", "heading 'About this document'")
        status = m["status"]
        rows = [("Title", m["title"]), ("Authority", m["authority_name"]), ("Client group", m["client_group_name"]),
                ("Edition", m["edition_label"]), ("Status", STATUS_LABELS.get(status, status))]
        if m.get("publication_date"):
            rows.append(("Publication date", long_date(m["publication_date"])))
        for label, key in (("Author", "author"), ("Owner", "owner"), ("Generated by", "generator")):
            if m.get(key):
                rows.append((label, m[key]))
        if m.get("build_date"):
            rows.append(("Built", long_date(m["build_date"])))
        body = ",\n".join(f"  [#strong[{text(k)}]], [{text(v)}]" for k, v in rows)
        self.add(f"#figure(kind: table, supplement: [Table], caption: [Document control],\n"
                 f"table(columns: (auto, 1fr),\n{body}))",
                 "document control table")
        if m.get("synthetic"):
            self.add("This document uses synthetic example data.")

    def preamble(self) -> str:
        m = self.meta
        lang, region = language_of(m)
        status = m["status"]
        date = _typst_date(m.get("publication_date"))
        return PREAMBLE.format(
            title=string(f"{m['title']} – {m['authority_name']}"),
            author=string(m.get("author") or m["authority_name"]),
            description=string(f"{m['title']}: {m['authority_name']}, {m['client_group_name']}, {m['edition_label']}."),
            keywords=string(f"{m['client_group_name']}, commissioning strategy"),
            date=date,
            font=string(FONT_FAMILY),
            lang=string(lang),
            region=f", region: {string(region)}" if region else "",
            accent=string(m["accent_colour"]),
            running=string(f"{m['authority_name']} – {m['client_group_name']} – {m['edition_label']}"),
            status=string(STATUS_LABELS.get(status, status)),
        )


TABLE_TEXT_PT = 8.5
CELL_PAD_PT = 10.0  # left and right inset plus a little air


@functools.lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance widths (in em) of DejaVu Sans, from the font file the PDF embeds (fontTools comes with matplotlib)."""
    import matplotlib
    from fontTools.ttLib import TTFont

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    font = TTFont(str(path), lazy=True)
    per_em = float(font["head"].unitsPerEm)
    metrics = font["hmtx"].metrics
    widths = {code: metrics[name][0] / per_em for code, name in font.getBestCmap().items() if name in metrics}
    return widths, max(widths.values())


def text_width_pt(value: str, bold: bool = False, size: float = TABLE_TEXT_PT) -> float:
    """How wide ``value`` is set in DejaVu Sans at ``size`` points (no kerning: a little generous)."""
    return _width_em(value, bold) * size


@functools.lru_cache(maxsize=65536)
def _width_em(value: str, bold: bool) -> float:
    """Words repeat across a table's cells and its layout attempts: each is measured once."""
    widths, widest = _advances(bold)
    return sum(widths.get(ord(ch), widest) for ch in value)


def _cell_words(value: Mapping[str, Any]) -> str:
    status = value.get("status") or {}
    return str(status.get("label") or value.get("text") or re.sub(r"<[^>]+>", " ", value.get("html") or ""))


def column_widths(block: Mapping[str, Any], available_pt: float,
                  size: float = TABLE_TEXT_PT) -> tuple[list[float], bool]:
    """Column widths in points, and whether every word fits whole in them.

    Each column needs its longest word (so nothing is hyphenated or runs into the next column) and
    would like its longest line; what is left after every column has its minimum is shared in
    proportion to how much more each would like. Widths are computed here, once, so Typst does not
    measure every cell of every table (``auto`` columns), which is most of its time.
    """
    columns = block["columns"]
    count = len(columns)
    minimum = [0.0] * count
    desired = [0.0] * count
    for index, column in enumerate(columns):
        label = column["label"] + (f" ({column['unit']})" if column.get("unit") else "")
        minimum[index] = max(text_width_pt(w, True, size) for w in label.split() or [""])
        desired[index] = text_width_pt(label, True, size)
    for row in list(block.get("rows", []) or []) + list(block.get("footer_rows", []) or []):
        values = ([row["header"]] if row.get("header") is not None else []) + list(row["cells"])
        for index, value in enumerate(values[:count]):
            words = _cell_words(value).split()
            if not words:
                continue
            bold = (index == 0 and row.get("header") is not None) or bool(value.get("status"))
            if value.get("numeric") or columns[index].get("numeric"):
                words = [" ".join(words)]  # numbers never wrap
            minimum[index] = max(minimum[index], max(text_width_pt(w, bold, size) for w in words))
            desired[index] = max(desired[index], text_width_pt(" ".join(words), bold, size))
    minimum = [m + CELL_PAD_PT for m in minimum]
    desired = [max(d + CELL_PAD_PT, m) for d, m in zip(desired, minimum)]
    if sum(desired) <= available_pt:
        return desired, True
    if sum(minimum) > available_pt:
        scale = available_pt / sum(minimum)
        return [m * scale for m in minimum], False
    spare = available_pt - sum(minimum)
    extra = [d - m for d, m in zip(desired, minimum)]
    return [m + spare * e / sum(extra) for m, e in zip(minimum, extra)], True


def _table_layout(block: Mapping[str, Any]) -> tuple[list[float], float, bool]:
    """(column widths, text size, landscape?) for a table: every word whole, as large as fits.

    Portrait at the normal size, else portrait a point smaller, else a landscape page; tables of
    ten or more columns always go on a landscape page.
    """
    if len(block["columns"]) < WIDE_TABLE_COLUMNS:
        for size in (TABLE_TEXT_PT, TABLE_TEXT_PT - 1):
            widths, fits = column_widths(block, TEXT_WIDTH_PT, size)
            if fits:
                return widths, size, False
    for size in (TABLE_TEXT_PT, TABLE_TEXT_PT - 1):
        widths, fits = column_widths(block, LANDSCAPE_TEXT_WIDTH_PT, size)
        if fits:
            return widths, size, True
    return widths, size, True


def _table_height_pt(block: Mapping[str, Any], widths: list[float], size: float) -> float:
    """Roughly how tall the table is set in these column widths (lines of text per row)."""
    line = size * 1.35
    total = 2 * line + 8  # the heading row
    for row in list(block.get("rows", []) or []) + list(block.get("footer_rows", []) or []):
        values = ([row["header"]] if row.get("header") is not None else []) + list(row["cells"])
        lines = max((math.ceil(text_width_pt(_cell_words(v), False, size) / max(w - CELL_PAD_PT, 1.0))
                     for v, w in zip(values, widths)), default=1)
        total += max(lines, 1) * line + 7
    return total


def _widths_markup(widths: list[float]) -> str:
    return "(" + ", ".join(f"{w:.1f}pt" for w in widths) + ("," if len(widths) == 1 else "") + ")"


def _svg_width_pt(svg: str) -> float | None:
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px|cm|mm|in)?"', svg)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2) or "px"
    return value * {"pt": 1.0, "px": 0.75, "cm": 72 / 2.54, "mm": 7.2 / 2.54, "in": 72.0}[unit]


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
    writer.about()
    return TypstDocument(preamble + "".join(writer.parts), writer.places)
