"""Read a PDF's pages back as a printer's proof reader would: how full each page is, where each
section starts, which rows of which table fall on which page, and the outline.

Page fill comes from the rendered page (``pdftoppm``, poppler): the lowest ink inside the text
block, as a fraction of the text block's height. Tables, sections and headings come from the
tagged structure (every PDF is PDF/UA-1): a ``/TR`` is on the pages its marked content is on.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pypdf
from pypdf.generic import ArrayObject, DictionaryObject

PT_PER_CM = 72 / 2.54
BODY_TOP_PT = 2.4 * PT_PER_CM  # the page margins of typst_markup.PREAMBLE
BODY_BOTTOM_PT = 2.2 * PT_PER_CM
RESOLUTION = 24  # dots per inch: enough to see where the ink ends, fast to render


@dataclass
class Table:
    index: int  # 1-based, in reading order
    columns: int
    body_rows: list[set[int]] = field(default_factory=list)  # 0-based pages of each body row
    footer_rows: list[set[int]] = field(default_factory=list)

    @property
    def pages(self) -> list[int]:
        return sorted(set().union(*self.body_rows, *self.footer_rows))

    def rows_on(self, page: int) -> int:
        return sum(1 for pages in self.body_rows + self.footer_rows if page in pages)


@dataclass
class Layout:
    landscape: list[bool]
    fill: list[float]  # 0 (empty) to 1 (full) per page
    section_starts: dict[int, str]  # page -> H1 title
    headings: list[tuple[int, str]]  # (level, title) in reading order
    heading_pages: list[int]  # 0-based page of each heading
    outline: list[tuple[int, str]]  # (depth from 1, title)
    tables: list[Table]
    text: list[str] = field(default_factory=list)  # each page's text (pdftotext), furniture included

    def section_ends(self) -> set[int]:
        """Pages that may be part full: the last page of each section, and the pages either side of a
        change of orientation (a wide table starts a landscape page; the portrait text after it starts
        a new page): the last portrait page before landscape ones and the last landscape page."""
        starts = sorted(self.section_starts)
        ends = {p - 1 for p in starts if p > 0} | {len(self.fill) - 1}
        ends |= {p for p in range(len(self.fill) - 1) if self.landscape[p] != self.landscape[p + 1]}
        return ends

    def page_of(self, title: str) -> int:
        return self.heading_pages[[t for _, t in self.headings].index(title)]


def _pages_of(node, page_numbers: dict[int, int], found: set[int]) -> set[int]:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, ArrayObject):
        for kid in node:
            _pages_of(kid, page_numbers, found)
    elif isinstance(node, DictionaryObject):
        page = node.get("/Pg")
        if page is not None and page.idnum in page_numbers:
            found.add(page_numbers[page.idnum])
        if "/K" in node:
            _pages_of(node["/K"], page_numbers, found)
    return found


def _rows(group, page_numbers) -> list[set[int]]:
    kids = group.get("/K")
    kids = kids if isinstance(kids, ArrayObject) else [kids]
    return [_pages_of(kid, page_numbers, set()) for kid in kids
            if isinstance(kid.get_object(), DictionaryObject) and kid.get_object().get("/S") == "/TR"]


def _walk(node, page_numbers, layout: Layout) -> None:
    node = node.get_object()
    if isinstance(node, ArrayObject):
        for kid in node:
            _walk(kid, page_numbers, layout)
        return
    if not isinstance(node, DictionaryObject):
        return
    kind = node.get("/S")
    if kind == "/Table":
        table = Table(len(layout.tables) + 1, 0)
        kids = node.get("/K")
        for group in (kids if isinstance(kids, ArrayObject) else [kids]):
            group = group.get_object()
            if not isinstance(group, DictionaryObject):
                continue
            if group.get("/S") == "/THead":
                first = group["/K"][0].get_object() if isinstance(group["/K"], ArrayObject) else group["/K"].get_object()
                cells = first["/K"]
                table.columns = len(cells) if isinstance(cells, ArrayObject) else 1
            elif group.get("/S") == "/TBody":
                table.body_rows += _rows(group, page_numbers)
            elif group.get("/S") == "/TFoot":
                table.footer_rows += _rows(group, page_numbers)
        layout.tables.append(table)
        return
    if kind in ("/H1", "/H2", "/H3", "/H4", "/H5", "/H6"):
        title = str(node.get("/T", ""))
        layout.headings.append((int(kind[2]), title))
        pages = _pages_of(node, page_numbers, set())
        layout.heading_pages.append(min(pages) if pages else -1)
        if kind == "/H1" and pages:
            layout.section_starts.setdefault(min(pages), title)
        return
    if "/K" in node:
        _walk(node["/K"], page_numbers, layout)


def _outline(reader: pypdf.PdfReader, items, depth: int, out: list) -> list:
    for item in items:
        if isinstance(item, list):
            _outline(reader, item, depth + 1, out)
        else:
            out.append((depth, str(item.title)))
    return out


def page_fill(data: bytes, sizes: list[tuple[float, float]]) -> list[float]:
    """How far down its text block each page is inked (0 empty, 1 full), from pdftoppm's rendering."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", str(RESOLUTION), "-gray", str(source), str(Path(folder) / "p")],
                       check=True, capture_output=True)
        images = sorted(Path(folder).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[-1]))
        fills = []
        for image_path, (width_pt, height_pt) in zip(images, sizes):
            image = Image.open(image_path)
            scale = image.height / height_pt
            top, bottom = int(BODY_TOP_PT * scale), int((height_pt - BODY_BOTTOM_PT) * scale)
            band = image.crop((0, top, image.width, bottom))
            box = band.point(lambda value: 255 if value < 200 else 0).getbbox()  # where anything darker is
            fills.append(box[3] / band.height if box else 0.0)
    return fills


def page_texts(data: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(data)
        out = subprocess.run(["pdftotext", "-q", str(source), "-"], check=True, capture_output=True).stdout
    return out.decode("utf-8").split("\f")


def read_layout(data: bytes) -> Layout:
    reader = pypdf.PdfReader(io.BytesIO(data))
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    page_numbers = {page.indirect_reference.idnum: index for index, page in enumerate(reader.pages)}
    layout = Layout([w > h for w, h in sizes], page_fill(data, sizes), {}, [], [],
                    _outline(reader, reader.outline, 1, []), [])
    _walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"], page_numbers, layout)
    layout.text = page_texts(data)
    return layout


def pagination_problems(layout: Layout, wide_columns: int = 10, min_fill: float = 1 / 3,
                        min_rows: int = 3, continued: str = "(continued)", contents: str = "Contents") -> list[str]:
    """What a reader would call bad pagination, one sentence per problem (page numbers from 1).
    `continued` and `contents`: those words in the document's language ("(parhad)", "Cynnwys")."""
    problems = []
    ends = layout.section_ends()
    for page, fill in enumerate(layout.fill):
        if page >= 2 and page not in ends and fill < min_fill:  # the cover and contents are exempt
            problems.append(f"page {page + 1} is {fill:.0%} full and does not end a section")
    for table in layout.tables:
        pages = table.pages
        name = f"table {table.index} (pages {pages[0] + 1}-{pages[-1] + 1})" if pages else f"table {table.index}"
        if len(pages) > 1:
            for page in pages:
                rows = table.rows_on(page)
                split = any(page in r and len(r) > 1 for r in table.body_rows)  # a row too tall for a page
                # rows so tall that the table averages under min_rows + 1 a page cannot leave three
                tall = len(table.body_rows) + len(table.footer_rows) < (min_rows + 1) * len(pages)
                if rows < min_rows and not split and not tall:
                    problems.append(f"{name} leaves {rows} row(s) on page {page + 1}")
        if table.columns == 0:
            problems.append(f"{name} has no heading row tagged as table headers")
        for page in pages[1:]:
            if continued not in layout.text[page]:
                problems.append(f"{name} runs on to page {page + 1} without a \"{continued}\" caption")
        for footer in table.footer_rows:
            if pages and footer and max(footer) != pages[-1]:
                problems.append(f"{name} has its totals on page {min(footer) + 1}, not its last page")
        if table.columns >= wide_columns:
            portrait = [p + 1 for p in pages if not layout.landscape[p]]
            if portrait:
                problems.append(f"{name} has {table.columns} columns but is on portrait page(s) {portrait}")
    runs_on = {page for table in layout.tables for page in table.pages[1:]}
    for page, words in enumerate(layout.text):
        if continued in words and page not in runs_on:
            problems.append(f"page {page + 1} says \"{continued}\" but no table runs on to it")
    headings = [(level, title) for level, title in layout.headings if title != contents]
    if layout.outline != headings:
        problems.append(f"the outline {layout.outline} is not the headings {headings}")
    return problems
