"""A very long document's PDF, made in parts and put together.

Typst holds every page it lays out in memory until the PDF is written: about 1 MB a page of text
and 3 MB a page of tables, so a 5,000-intention plan (1,100 pages) would need gigabytes. A
document whose body is estimated at more than ``PARTS_ABOVE_PAGES`` pages is compiled in parts
instead (:func:`strategy_docs.outputs.pdf.render_pdf`), two at a time where there are two cores,
each pair's layouts dropped before the next: runs of whole sections, or, inside a very long section, of its level-2
headings. Their pages, tags (the structure tree and its parent tree), bookmarks and links are
then put together here into one tagged PDF with pikepdf. What differs from a document compiled
whole, and why:

* a part that starts at a level-2 heading starts a new page (sections start one anyway);
* the contents page is written out (title, dotted leader, page number, link to the section)
  from the pages the parts' section headings landed on, since Typst's outline sees one part;
* a reference to a table in another part reads "Table N" without the link;
* "Page X of Y" is drawn on the merged pages, marked as an artifact like the rest of the page
  furniture, since Y is known only at the end;
* parts that start at a level-2 heading are compiled as tagged PDF without Typst's PDF/UA-1
  check (it requires a document's first heading to be of level 1); what that check would
  refuse in them (a chart without alt text) is refused here (:func:`part_source`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, NumberTree, OutlineItem

from strategy_docs.errors import RenderError
from strategy_docs.outputs.typst_markup import KEEP_ANCHOR, Piece, TypstDocument
from strategy_docs.outputs.typst_tables import PORTRAIT_BODY_PT

__all__ = ["needs_parts", "plan_parts", "part_source", "part_line", "table_numbers", "section_titles",
           "contents_source", "footer_source", "merge", "page_count", "page_sizes", "section_pages",
           "Part", "PARTS_ABOVE_PAGES"]

PARTS_ABOVE_PAGES = 100.0  # estimated body pages; below this a document is compiled whole (~500 MB at most)
SECTION_PART_PAGES = 5.0  # a part ends at the next section heading once it is this long...
HEADING_PART_PAGES = 10.0  # ...or at the next level-2 heading once it is this long (smaller parts: less memory, and faster)
_LABEL = re.compile(r"\) <(tbl-[A-Za-z0-9_-]+)>")
_REF = re.compile(r"#ref\(<(tbl-[A-Za-z0-9_-]+)>\)")
_CONTENTS = "#pagebreak()\n#outline("
_SECTION = re.compile(r"^= (.*)$", re.M)
_PLACEHOLDER_PAGE = 1  # the contents' links point here (y = entry number) until merge() sets them
_FOOTER_FORM = Name("/PageFooter")
_LINK_LIFT_PT = 10  # Typst points a link 10 pt above its target (and no higher than the page's top)


@dataclass
class Part:
    """One part's pieces and what it needs from the parts before it."""

    pieces: list[Piece]
    level: int  # the level of its first heading: 1 (a section) or 2
    tables_before: int = 0
    images_before: int = 0
    first_line: list[int] = field(default_factory=list)  # each piece's first line in the whole source


def _pages(pieces: Sequence[Piece]) -> float:
    return sum(p.height for p in pieces) / PORTRAIT_BODY_PT


def needs_parts(document: TypstDocument) -> bool:
    return bool(document.pieces) and _pages(document.pieces) > PARTS_ABOVE_PAGES


def _front_length(pieces: Sequence[Piece]) -> int:
    """The cover and the contents: the pieces up to and including Typst's outline."""
    for index, piece in enumerate(pieces):
        if piece.markup.startswith(_CONTENTS):
            return index + 1
    raise RenderError("PDF not made: the document has no contents page to start its parts after")


def plan_parts(document: TypstDocument) -> tuple[list[Piece], list[Part]]:
    """(the cover and contents pieces, the body's parts)."""
    pieces = document.pieces
    front = _front_length(pieces)
    whole_preamble = document.source[:len(document.source) - sum(len(p.markup) for p in pieces)]
    line = whole_preamble.count("\n") + 1
    lines = []
    for piece in pieces:
        lines.append(line)
        line += piece.markup.count("\n")
    parts: list[Part] = []
    tables = images = 0
    for index in range(front, len(pieces)):
        piece = pieces[index]
        limit = SECTION_PART_PAGES if piece.opens == 1 else HEADING_PART_PAGES
        if not parts or (piece.opens and _pages(parts[-1].pieces) >= limit):
            parts.append(Part([], piece.opens or 1, tables, images))
        parts[-1].pieces.append(piece)
        parts[-1].first_line.append(lines[index])
        tables += piece.numbered == "table"
        images += piece.numbered == "image"
    return pieces[:front], parts


def table_numbers(parts: Sequence[Part]) -> dict[str, int]:
    """The number of each labelled table ("Table N"), counted over the whole body."""
    numbers, count = {}, 0
    for part in parts:
        for piece in part.pieces:
            if piece.numbered == "table":
                count += 1
                for label in _LABEL.findall(piece.markup):
                    numbers[label] = count
    return numbers


def section_titles(parts: Sequence[Part]) -> list[str]:
    """The markup of every section heading of the body, in order (what the contents lists)."""
    titles = []
    for part in parts:
        for piece in part.pieces:
            if not piece.markup.startswith(KEEP_ANCHOR):  # its copy of a heading is only measured
                titles += _SECTION.findall(piece.markup)
    return titles


def part_line(document: TypstDocument, part: Part, line: int) -> int | None:
    """The line of the whole source that line ``line`` of the part's source is (None: its preamble)."""
    start = (document.part_preamble + _counters(part, 0)).count("\n") + 1
    for piece, first in zip(part.pieces, part.first_line):
        length = piece.markup.count("\n")
        if line < start + length:
            return first + (line - start) if line >= start else None
        start += length
    return None


def _counters(part: Part) -> str:
    # Page 2, for every part: only the cover (page 1) has no running header, and nothing else in a
    # part depends on its page number (the footers are drawn once the parts are put together).
    return ("#counter(page).update(2)\n"
            f"#counter(figure.where(kind: table)).update({part.tables_before})\n"
            f"#counter(figure.where(kind: image)).update({part.images_before})\n")


def part_source(document: TypstDocument, part: Part, numbers: dict[str, int]) -> str:
    """A part's Typst source: the preamble without the footer, its counters, then its pieces.

    A reference to a table in another part becomes the text "Table N". A chart without alt text in
    a part compiled without Typst's PDF/UA-1 check (one starting at a level-2 heading) is refused
    here, as that check would.
    """
    body = "".join(piece.markup for piece in part.pieces)
    own = set(_LABEL.findall(body))
    table_word = document.words.get("Table", "Table")
    body = _REF.sub(lambda m: m.group(0) if m.group(1) in own or m.group(1) not in numbers
                    else f"{table_word}~{numbers[m.group(1)]}", body)
    if part.level != 1:
        for piece, line in zip(part.pieces, part.first_line):
            if piece.numbered == "image" and ", alt: " not in piece.markup.split("\n", 1)[0]:
                raise RenderError(f"PDF not made: PDF/UA-1 error: a chart has no alt text in "
                                  f"{document.where(line) or f'line {line}'} (fix: give the figure its alt text)")
    return document.part_preamble + _counters(part) + body


def contents_source(document: TypstDocument, front: Sequence[Piece], entries: Sequence[tuple[str, int | str]]) -> str:
    """The cover and a written-out contents page: each entry (title, page) links to a placeholder
    on page 1, one point lower for each entry, which :func:`merge` points at the section."""
    cover = "".join(piece.markup for piece in front if not piece.markup.startswith(_CONTENTS))
    lines = [f"#pagebreak()\n#heading(level: 1, outlined: false, bookmarked: false)[{document.words['Contents']}]\n"]
    for number, (title, page) in enumerate(entries, start=1):
        lines.append(f"#block(above: 0.8em, link((page: {_PLACEHOLDER_PAGE}, x: 0pt, y: {_LINK_LIFT_PT + number}pt))"
                     f"[{title} #box(width: 1fr, repeat(gap: 0.15em)[.]) {page}])\n")
    return document.part_preamble + cover + "".join(lines)


def footer_source(document: TypstDocument, sizes: Sequence[tuple[float, float]]) -> str:
    """One page per page of the merged PDF but the cover, each with only its "Page X of Y" footer,
    placed as the whole document's footer is (same margins, size and style)."""
    total = len(sizes) + 1
    lines = [document.part_preamble.split("\n#set page(", 1)[0] + "\n"]
    for number, (width, height) in enumerate(sizes, start=2):
        lines.append(f"#page(width: {width}pt, height: {height}pt, margin: (x: 2cm, top: 2.4cm, bottom: 2.2cm), "
                     f"header: none, footer: {{ set text(8pt, fill: luma(50)); align(right)[{document.words['Page']} "
                     f"{number} {document.words['of']} {total}] }})[]\n")
    return "".join(lines)


# reading the parts and merging them -------------------------------------------------------------

def _open(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def page_count(data: bytes) -> int:
    with _open(data) as pdf:
        return len(pdf.pages)


def page_sizes(parts: Sequence[bytes]) -> list[tuple[float, float]]:
    """(width, height) in points of every page of the parts, in order."""
    sizes = []
    for data in parts:
        with _open(data) as pdf:
            for page in pdf.pages:
                box = [float(v) for v in page.obj.MediaBox]
                sizes.append((round(box[2] - box[0], 3), round(box[3] - box[1], 3)))
    return sizes


def section_pages(data: bytes, level: int) -> list[int]:
    """The page index (in the part) of each section heading of a part whose first heading has ``level``."""
    if level != 1:
        return []
    with _open(data) as pdf:
        return [page for _, page, _, _, _ in _bookmarks(pdf)]


def _document_element(pdf: pikepdf.Pdf) -> Dictionary:
    kids = pdf.Root.StructTreeRoot.K
    element = kids[0] if isinstance(kids, Array) else kids
    if element.get("/S") != Name.Document:
        raise RenderError("PDF not made: a part's structure tree has no Document element (a bug in strategy-docs)")
    return element


def _kids(element: Dictionary) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _number_tree(pdf: pikepdf.Pdf) -> list[tuple[int, object]]:
    tree = pdf.Root.StructTreeRoot.get("/ParentTree")
    return [] if tree is None else [(int(key), value) for key, value in NumberTree(tree).items()]


def _bookmarks(pdf: pikepdf.Pdf) -> list[tuple[str, int, list, bool, list]]:
    """(title, page index, the /XYZ position, closed, children) for each bookmark, as a tree."""
    index = {page.objgen: number for number, page in enumerate(pdf.pages)}

    def read(items) -> list:
        found = []
        for item in items:
            dest = item.destination
            if not isinstance(dest, Array) or len(dest) < 2:
                continue
            found.append((str(item.title), index[dest[0].objgen], list(dest[1:]), item.is_closed,
                          read(item.children)))
        return found

    with pdf.open_outline() as outline:
        return read(outline.root)


def merge(front: bytes, parts: Sequence[bytes], levels: Sequence[int],
          footers: Callable[[], bytes] | None = None) -> bytes:
    """One tagged PDF from the front (cover and contents, its catalogue and metadata kept) and the
    body's parts (``levels``: the level of each part's first heading), with "Page X of Y" drawn
    from the PDF ``footers`` returns (one page per page but the cover; asked for only once the
    rest is merged, so it can be compiled meanwhile)."""
    out = _open(front)
    tree = out.Root.StructTreeRoot
    document = _document_element(out)
    kids = _kids(document)
    numbers = _number_tree(out)
    next_key = int(tree.get("/ParentTreeNextKey", 0))
    roles = tree.get("/RoleMap")
    bookmarks: list = []
    for data, level in zip(parts, levels):
        part = _open(data)
        base = len(out.pages)
        part_tree = part.Root.StructTreeRoot
        part_kids = _kids(_document_element(part))
        for kid in part_kids:  # cut from the part's Document, so copying them copies only their subtree
            if isinstance(kid, Dictionary) and "/P" in kid:
                del kid["/P"]
        out.pages.extend(part.pages)  # first: the copied elements' /Pg then point at these pages
        entries = _number_tree(part)
        # one copy of everything (each copy_foreign call walks what it copies: one call, one walk)
        holder = part.make_indirect(Array([Array(part_kids), Array([value for _, value in entries])]))
        copied_kids, copied_values = out.copy_foreign(holder)
        for kid in copied_kids:
            if isinstance(kid, Dictionary):
                kid.P = document
            kids.append(kid)
        numbers += [(key + next_key, value) for (key, _), value in zip(entries, copied_values)]
        for page in out.pages[base:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + next_key
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + next_key
        next_key += int(part_tree.get("/ParentTreeNextKey", 0))
        if roles is not None and "/RoleMap" in part_tree:
            for role, standard in part_tree.RoleMap.items():
                if role not in roles:
                    roles[role] = standard
        found = [(title, page + base, where, closed, children)
                 for title, page, where, closed, children in _bookmarks(part)]
        if level > 1 and bookmarks:
            bookmarks[-1][4].extend(found)  # a part starting inside a section: its headings are that section's
        else:
            bookmarks.extend(found)
    document.K = Array(kids)
    tree.ParentTree = out.make_indirect(Dictionary(Nums=Array(
        [item for key, value in sorted(numbers, key=lambda kv: kv[0]) for item in (key, value)])))
    tree.ParentTreeNextKey = next_key
    _write_bookmarks(out, bookmarks)
    _point_contents(out, bookmarks)
    if footers is not None:
        _draw_footers(out, _open(footers()))
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _write_bookmarks(out: pikepdf.Pdf, bookmarks: list) -> None:
    def make(entry) -> OutlineItem:
        title, page, where, closed, children = entry
        item = OutlineItem(title, Array([out.pages[page].obj, *where]))
        item.children.extend(make(child) for child in children)
        item.is_closed = closed
        return item

    with out.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(make(entry) for entry in bookmarks)


def _point_contents(out: pikepdf.Pdf, bookmarks: list) -> None:
    """The contents' links (placeholders on page 1, one point lower per entry) to their sections."""
    placeholder = out.pages[_PLACEHOLDER_PAGE - 1].obj
    height = float(placeholder.MediaBox[3])
    for page in out.pages:
        for annotation in page.obj.get("/Annots", []):
            dest = annotation.get("/Dest")
            if dest is None and "/A" in annotation:
                dest = annotation.A.get("/D")
            if not isinstance(dest, Array) or len(dest) < 4 or dest[0].objgen != placeholder.objgen:
                continue
            number = round(height - float(dest[3]))
            if not 1 <= number <= len(bookmarks):
                continue
            _, target, where, _, _ = bookmarks[number - 1]
            new = Array([out.pages[target].obj, *where])
            if "/Dest" in annotation:
                annotation.Dest = new
            else:
                annotation.A.D = new


def _draw_footers(out: pikepdf.Pdf, footers: pikepdf.Pdf) -> None:
    """Each footer page drawn on its page, inside an /Artifact marked-content sequence."""
    if len(footers.pages) != len(out.pages) - 1:
        raise RenderError("PDF not made: the page footers do not match the pages (a bug in strategy-docs)")
    for page, footer in zip(out.pages[1:], footers.pages):
        form = out.copy_foreign(footer.as_form_xobject())
        if "/Resources" not in page.obj:
            page.obj.Resources = Dictionary()
        if "/XObject" not in page.obj.Resources:
            page.obj.Resources.XObject = Dictionary()
        xobjects = page.obj.Resources.XObject
        name = _FOOTER_FORM  # a fixed name, not pikepdf's random one: the same document, the same bytes
        while name in xobjects:
            name = Name(str(name) + "x")
        xobjects[name] = form
        page.contents_add(out.make_stream(b"/Artifact BMC q " + str(name).encode() + b" Do Q EMC"), prepend=False)
