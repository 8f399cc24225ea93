"""Read a PDF's pages back as a printer's proof reader would: how full each page is, where each
section starts, which rows of which table fall on which page, and the outline.

Page fill comes from the rendered page (PDFium, ``pypdfium2``): the lowest ink inside the text
block, as a fraction of the text block's height. Tables, sections and headings come from the
tagged structure (every PDF is PDF/UA-1): a ``/TR`` is on the pages its marked content is on.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

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
    """How far down its text block each page is inked (0 empty, 1 full), from PDFium's rendering."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    fills = []
    try:
        for index, (width_pt, height_pt) in enumerate(sizes):
            image = document[index].render(scale=RESOLUTION / 72, grayscale=True).to_pil().convert("L")
            scale = image.height / height_pt
            top, bottom = int(BODY_TOP_PT * scale), int((height_pt - BODY_BOTTOM_PT) * scale)
            band = image.crop((0, top, image.width, bottom))
            box = band.point(lambda value: 255 if value < 200 else 0).getbbox()  # where anything darker is
            fills.append(box[3] / band.height if box else 0.0)
    finally:
        document.close()
    return fills


def page_texts(data: bytes) -> list[str]:
    """Each page's text as PDFium reads it (in reading order, lines as laid out)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


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


def tag_coverage(data: bytes) -> dict:
    """What the structure tree of a tagged PDF covers: every marked-content id in the pages'
    content (``marked``) against those the structure tree points at (``tagged``), elements whose
    /P or /Pg is wrong (``problems``), and how many elements of each kind (``counts``)."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    pdf = pikepdf.open(io.BytesIO(data))
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    tagged, problems, counts = set(), [], {}

    def walk(element, parent, page) -> None:
        if isinstance(element, int):
            tagged.add((page, element))
            return
        if not isinstance(element, Dictionary) or element.get("/Type") == Name.OBJR:
            return
        if element.get("/Type") == Name.MCR:
            tagged.add((pages.get(element.Pg.objgen) if "/Pg" in element else page, int(element.MCID)))
            return
        kind = str(element.get("/S"))
        counts[kind] = counts.get(kind, 0) + 1
        if parent is not None and element.get("/P") is not None and element.P.objgen != parent.objgen:
            problems.append(f"{kind}: its /P is not its parent")
        if "/Pg" in element:
            if element.Pg.objgen not in pages:
                problems.append(f"{kind}: its /Pg is not a page of the document")
            page = pages.get(element.Pg.objgen)
        kids = element.get("/K")
        for kid in kids if isinstance(kids, Array) else [kids] if kids is not None else []:
            walk(kid, element, page)

    root = pdf.Root.StructTreeRoot
    for element in root.K if isinstance(root.K, Array) else [root.K]:
        walk(element, None, None)
    marked = set()
    for index, page in enumerate(pdf.pages):
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "BDC" and isinstance(operands[1], Dictionary) and "/MCID" in operands[1]:
                marked.add((index, int(operands[1].MCID)))
    nums = root.ParentTree.get("/Nums", [])
    keys = {int(nums[i]) for i in range(0, len(nums), 2)}
    for index, page in enumerate(pdf.pages):
        if "/StructParents" in page.obj and int(page.obj.StructParents) not in keys:
            problems.append(f"page {index + 1}: its /StructParents is not in the parent tree")
        for annotation in page.obj.get("/Annots", []):
            if "/StructParent" in annotation and int(annotation.StructParent) not in keys:
                problems.append(f"page {index + 1}: a link's /StructParent is not in the parent tree")
    return {"marked": marked, "tagged": tagged, "problems": problems, "counts": counts}
