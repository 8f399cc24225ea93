"""Assemble executed section notebooks into one document notebook and render it to HTML.

:func:`assemble` keeps only what readers see (markdown cells and our display blocks);
:func:`render_html` renders the result with nbconvert's ``HTMLExporter`` through our template
folder (``templates/strategy``). Display blocks are turned into HTML by macros in
``blocks.html.j2`` in our own autoescaping Jinja environment; markdown cells by
:mod:`strategy_docs.sections.markup`. The exporter is cached on the templates' content, so rendering many documents in one process
is cheap.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import nbformat
from markupsafe import Markup
from nbformat import NotebookNode

from strategy_docs.sections import blocks, markup
from strategy_docs.errors import RenderError
from strategy_docs.sections.registry import FURNITURE_TAG
from strategy_docs.outputs.scroll_regions import SCROLL_REGION_SCRIPT
from strategy_docs.outputs.scroll_regions import script_hash as scroll_script_hash

__all__ = [
    "MIME_TYPE",
    "DROP_TAGS",
    "STATUSES",
    "assemble",
    "render_html",
    "render_block_html",
    "normalise_meta",
    "default_template_dir",
]

MIME_TYPE = blocks.MIME_TYPE
DROP_TAGS = frozenset({"parameters", "injected-parameters"})
STATUSES = {
    "draft": ("Draft", "this document is a draft and is not for publication. It may change."),
    "consultation": (
        "Consultation draft",
        "this document is published for consultation. It is not final and may change.",
    ),
    "final": ("Final", ""),
}
REQUIRED_META = ("title", "authority_name", "client_group_name", "edition_label")  # a status only when the plan states one
DEFAULT_ACCENT = "#1d4f91"
ABOUT_ID = "about-this-document"
HAVE_YOUR_SAY_ID = "have-your-say"
RESERVED_IDS = frozenset({"main", "top", "contents-heading", ABOUT_ID, HAVE_YOUR_SAY_ID})

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_LOGO = re.compile(r"^data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+$")


def default_template_dir() -> Path:
    """The package's ``templates/strategy``."""
    from strategy_docs.inputs.bundled import template_dir

    return template_dir(None, "strategy")


# ---------------------------------------------------------------------------------------------
# assemble


def _section_name(nb: NotebookNode, index: int, source: Any) -> str:
    if isinstance(source, (str, Path)):
        return Path(source).stem
    path = nb.get("metadata", {}).get("papermill", {}).get("input_path")
    return Path(path).stem if path else f"section {index + 1}"


def _block_from_output(output: Mapping[str, Any]) -> dict | None:
    data = output.get("data") or {}
    if MIME_TYPE not in data:
        return None
    value = data[MIME_TYPE]
    if isinstance(value, str):
        value = json.loads(value)
    return json.loads(json.dumps(value))  # plain dicts and lists, detached from the notebook


def _check_block(block: dict, where: str) -> dict:
    if block.get("kind") == "figure" and not str(block.get("alt") or "").strip():
        raise RenderError(f"{where}: figure {block.get('id', '?')!r} has no alt text")
    try:
        return blocks.validate_block(block)
    except ValueError as exc:
        raise RenderError(f"{where}: {exc}") from exc


_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def heading_of(markdown: str) -> tuple[int, str] | None:
    """(level, text) of a markdown cell's first heading, or None for a cell of prose only."""
    match = _HEADING_LINE.search(markdown)
    return (len(match.group(1)), match.group(2)) if match else None


def is_written_prose(cell) -> bool:
    """A markdown cell whose text (headings aside) is content in its own right: prose someone wrote
    into a notebook, unlike the headings and introductions the section registry generates
    (tagged `furniture`), which would otherwise keep a section with nothing to show."""
    if cell.cell_type != "markdown" or FURNITURE_TAG in cell.get("metadata", {}).get("tags", []):
        return False
    return bool(_HEADING_LINE.sub("", cell.source).strip())


def drop_empty_sections(cells: list) -> tuple[list, list[str]]:
    """Leave out every heading whose section has no content, and return the kept cells and the
    headings left out.

    A section function says it has nothing to show by returning no blocks; a markdown heading cell
    is kept only when some display block, or prose written into the notebook, follows it before
    the next heading of the same or a higher level (content under its sub-headings counts). The
    registry's own headings and introductions (tagged `furniture`) follow their heading.
    """
    marks: list[tuple[int, str] | None] = []
    for cell in cells:
        marks.append(heading_of(cell.source) if cell.cell_type == "markdown" else None)
    keep = [True] * len(cells)
    for i, (cell, mark) in enumerate(zip(cells, marks)):
        if mark is None:
            continue
        level, has_content = mark[0], is_written_prose(cell)
        for later, later_mark in zip(cells[i + 1:], marks[i + 1:]):
            if later_mark is not None and later_mark[0] <= level:
                break
            if later.cell_type == "code" or is_written_prose(later):
                has_content = True
                break
        keep[i] = has_content
    governed = True
    for i, (cell, mark) in enumerate(zip(cells, marks)):
        if mark is not None:
            governed = keep[i]
        elif cell.cell_type == "markdown":
            keep[i] = governed
    left_out = [marks[i][1] for i in range(len(cells)) if not keep[i] and marks[i] is not None]
    return [c for c, k in zip(cells, keep) if k], left_out


def assemble(section_notebooks: Iterable[NotebookNode | str | Path]) -> NotebookNode:
    """Join executed section notebooks into one notebook of markdown cells and block outputs.

    Drops cells tagged ``parameters``/``injected-parameters``, raw cells, every code input and
    every output that is not a display block (streams, plain results, images), and every heading
    whose section has no content (:func:`drop_empty_sections`). Raises :class:`RenderError` for an
    ``error`` output, an invalid block or a figure without alt text.
    """
    doc = nbformat.v4.new_notebook()
    doc.metadata["language_info"] = {"name": "python"}
    sections: list[str] = []
    left_out: list[str] = []
    for index, source in enumerate(section_notebooks):
        nb = nbformat.read(str(source), as_version=4) if isinstance(source, (str, Path)) else source
        name = _section_name(nb, index, source)
        sections.append(name)
        cells: list = []
        for cell_index, cell in enumerate(nb.get("cells", [])):
            tags = set(cell.get("metadata", {}).get("tags", []) or [])
            if tags & DROP_TAGS:
                continue
            where = f"section {name!r}, cell {cell_index}"
            if cell.get("cell_type") == "markdown":
                source_text = cell.get("source", "")
                if isinstance(source_text, list):
                    source_text = "".join(source_text)
                if source_text.strip():
                    furniture = {"tags": [FURNITURE_TAG]} if FURNITURE_TAG in tags else {}
                    cells.append(nbformat.v4.new_markdown_cell(source_text, metadata=furniture))
            elif cell.get("cell_type") == "code":
                kept = []
                for output in cell.get("outputs", []) or []:
                    kind = output.get("output_type")
                    if kind == "error":
                        raise RenderError(
                            f"{where} raised {output.get('ename', 'an error')}: "
                            f"{output.get('evalue', '')}".rstrip(": ")
                        )
                    if kind not in ("display_data", "execute_result"):
                        continue
                    block = _block_from_output(output)
                    if block is None:
                        continue
                    kept.append(nbformat.v4.new_output(
                        "display_data", data={MIME_TYPE: _check_block(block, where)}
                    ))
                if kept:
                    new_cell = nbformat.v4.new_code_cell(source="")
                    new_cell.outputs = kept
                    cells.append(new_cell)
        kept_cells, dropped = drop_empty_sections(cells)  # per notebook: a heading never borrows the next one's content
        doc.cells.extend(kept_cells)
        left_out.extend(dropped)
    doc.metadata["strategy_docs"] = {"sections": sections, "left_out": left_out}
    return doc


# ---------------------------------------------------------------------------------------------
# meta


def _format_date(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10]) if len(value) == 10 else dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return f"{value.day} {value:%B %Y}, {value:%H:%M}"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def _w3c_date(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


def normalise_meta(meta: Mapping[str, Any]) -> dict:
    """Check the document metadata and fill defaults. Raises RenderError if it is unusable."""
    missing = [k for k in REQUIRED_META if not str(meta.get(k) or "").strip()]
    if missing:
        raise RenderError(f"document metadata is missing {', '.join(missing)}")
    out = {key: meta.get(key) for key in (
        "title", "authority_name", "client_group_name", "edition_label", "status",
        "publication_date", "author", "owner", "accent_colour", "logo_data_uri", "synthetic",
        "build_date", "generator", "consultation", "accessibility_statement",
    )}
    for key in ("title", "authority_name", "client_group_name", "edition_label", "author", "owner", "generator"):
        out[key] = str(out[key] or "").strip()
    out["status"] = str(out["status"] or "").strip().lower()
    if out["status"] and out["status"] not in STATUSES:
        raise RenderError(f"status must be one of {', '.join(STATUSES)}, not {meta.get('status')!r}")
    accent = str(out["accent_colour"] or DEFAULT_ACCENT).strip()
    if not _HEX.match(accent):
        raise RenderError(f"accent_colour {accent!r} is not a hex colour like #1d4f91")
    out["accent_colour"] = accent
    logo = out["logo_data_uri"]
    if logo:
        if not _LOGO.match(str(logo)):
            raise RenderError("logo_data_uri must be a base64 data: URI of a PNG, JPEG, GIF, WebP or SVG image")
        out["logo_data_uri"] = re.sub(r"\s+", "", str(logo))
    else:
        out["logo_data_uri"] = None
    out["synthetic"] = bool(out["synthetic"])
    return out


# ---------------------------------------------------------------------------------------------
# block rendering (our own autoescaping environment)


@functools.lru_cache(maxsize=8)
def _block_macros(template_dir: str, digest: str):  # digest: template_digest, so an edit compiles anew
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        autoescape=True,
        extensions=["jinja2.ext.do"],
        trim_blocks=False,
    )
    return env.get_template("blocks.html.j2").module


def _safe_html(value: Any) -> Markup:
    return Markup(markup.sanitise_html(str(value or "")))  # noqa: S704 - sanitised just now


def _prepare_block(block: Mapping[str, Any]) -> dict:
    """A copy of a block ready for the macros: html fields re-sanitised, SVG as a data URI."""
    view = copy.deepcopy(dict(block))
    kind = view.get("kind")
    if kind in ("prose", "callout"):
        view["html"] = _safe_html(view.get("html"))
    elif kind == "table":
        for group in ("rows", "footer_rows"):
            for row in view.get(group, []) or []:
                cells = list(row.get("cells", []))
                if row.get("header") is not None:
                    cells.append(row["header"])
                for cell in cells:
                    if cell.get("html") is not None:
                        cell["html"] = _safe_html(cell["html"])
    elif kind == "figure":
        svg = str(view.get("svg", "")).encode("utf-8")
        view["svg_data_uri"] = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        view["width"], view["height"] = _svg_css_size(svg.decode("utf-8"))
    return view


def _svg_css_size(svg: str) -> tuple[int | None, int | None]:
    """The chart's own size in CSS px (matplotlib writes pt): the page shows it at this size
    and never smaller, so its text stays as large as it was drawn (charts.STYLE)."""
    head = svg[: svg.find(">") + 1]
    sizes = []
    for name in ("width", "height"):
        found = re.search(rf'\b{name}="([\d.]+)(pt|px)?"', head)
        if not found:
            return None, None
        value = float(found.group(1)) * (4 / 3 if found.group(2) == "pt" else 1)
        sizes.append(int(round(value)))
    return sizes[0], sizes[1]


def render_block_html(block: Mapping[str, Any], template_dir: str | Path | None = None) -> str:
    """HTML for one block with the document's macros (also handy for previews)."""
    folder = Path(template_dir or default_template_dir()).resolve()
    macros = _block_macros(str(folder), template_digest(folder))
    return str(macros.render_block(_prepare_block(block)))


# ---------------------------------------------------------------------------------------------
# exporter


_EXPORTERS: dict[str, Any] = {}
_EXPORT_LOCK = threading.RLock()


def _block_filter(template_dir: str, digest: str, output: Mapping[str, Any]) -> Markup:
    block = (output.get("data") or {}).get(MIME_TYPE)
    if block is None:
        return Markup("")
    return Markup(_block_macros(template_dir, digest).render_block(_prepare_block(block)))  # noqa: S704


def _markdown_filter(cell: Mapping[str, Any]) -> Markup:
    html = cell.get("metadata", {}).get("strategy_html")
    if html is None:  # not prepared by render_html: render (and sanitise) it now
        html = markup.markdown_to_html(cell.get("source", ""))
    return Markup(html)  # noqa: S704 - produced by markup.py (sanitised)


def template_digest(template_dir: str | Path) -> str:
    """The content of a template folder's Jinja files: what a cached exporter was compiled from."""
    h = hashlib.sha256()
    root = Path(template_dir)
    for path in sorted(root.rglob("*.j2")) + sorted(root.rglob("*.json")):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


_NO_ALT = re.compile(r"<img(?![^>]*\salt=)", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class StrategyHTMLExporter(HTMLExporter):
        """nbconvert's HTML exporter without its last step, which parses the whole page again with
        BeautifulSoup (to give images without alt text a stock one and JupyterLab's cell classes tab
        stops) and writes it out anew: for a 5,000-intention plan, most of the HTML's time. Our
        templates use no JupyterLab classes; an image without alt text still gets nbconvert's."""

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _NO_ALT.sub('<img alt="No description has been provided for this image"', html), resources

    return StrategyHTMLExporter


def _exporter(template_dir: Path):
    from traitlets.config import Config

    HTMLExporter = _exporter_class()

    # Keyed on the templates' content: Jinja compiles a template once per environment, so a
    # long-lived process (the preview) must get a new exporter when a template is edited.
    key = str(template_dir)
    digest = template_digest(template_dir)
    with _EXPORT_LOCK:
        exporter = _EXPORTERS.get((key, digest))
        if exporter is None:
            for old in [k for k in _EXPORTERS if k[0] == key]:
                del _EXPORTERS[old]
            config = Config()
            # Our template reads our MIME type itself; keep nbconvert from doing extra work.
            config.HTMLExporter.preprocessors = []
            config.TagRemovePreprocessor.enabled = False
            config.RegexRemovePreprocessor.enabled = False
            config.HighlightMagicsPreprocessor.enabled = False
            config.CSSHTMLHeaderPreprocessor.enabled = False
            exporter = HTMLExporter(
                config=config,
                template_name=template_dir.name,
                extra_template_basedirs=[str(template_dir.parent)],
                exclude_input=True,
                exclude_input_prompt=True,
                exclude_output_prompt=True,
            )
            exporter.register_filter("strategy_block", functools.partial(_block_filter, key, digest))
            exporter.register_filter("strategy_markdown", _markdown_filter)
            _EXPORTERS[(key, digest)] = exporter
        return exporter


def _read_css(template_dir: str) -> tuple[str, str]:
    """The stylesheets as they are now (read each time: an mtime can miss an edit in the same tick)."""
    static = Path(template_dir) / "static"
    screen = (static / "strategy.css").read_text(encoding="utf-8")
    paged = (static / "paged.css").read_text(encoding="utf-8")
    for text in (screen, paged):
        if "</" in text:
            raise RenderError("stylesheets must not contain '</'")
    return screen, paged


def _prepare_notebook(notebook: NotebookNode) -> tuple[NotebookNode, list[dict]]:
    """Copy the notebook, give every heading/table/figure a unique id, collect the contents."""
    nb = copy.deepcopy(notebook)
    used: set[str] = set(RESERVED_IDS)
    toc: list[dict] = []
    cycle_count = 0
    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        if cell.cell_type == "markdown":
            html, headings = markup.render_markdown(cell.source, heading_ids=True, used_ids=used)
            # A new section (##) closes the one before it with a link back to the contents.
            cell.metadata["strategy_back_link"] = bool(toc) and any(h.level == 2 for h in headings)
            cell.metadata["strategy_html"] = html
            toc.extend({"id": h.id, "text": h.text} for h in headings if h.level == 2)
        elif cell.cell_type == "code":
            pending_tables: dict[str, str] = {}  # a figure's table_id -> the id reserved for it
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    raise RenderError(f"{where}: an error output cannot be rendered")
                block = _block_from_output(output)
                if block is None:
                    continue
                block = _check_block(block, where)
                kind = block["kind"]
                if kind == "cycle":
                    cycle_count += 1
                    block["id"] = markup.unique_id(f"cycle-{cycle_count}", used)
                elif kind == "table" and block["id"] in pending_tables:
                    block["id"] = pending_tables.pop(block["id"])
                elif kind in ("heading", "table", "figure"):
                    block["id"] = markup.unique_id(block["id"], used)
                if kind == "figure":
                    reserved = markup.unique_id(block["table_id"], used)
                    pending_tables[block["table_id"]] = reserved
                    block["table_id"] = reserved
                if kind == "heading" and block["level"] == 2:
                    toc.append({"id": block["id"], "text": block["text"]})
                output.data = {MIME_TYPE: block}
        else:
            cell.source = ""
    return nb, toc


def _have_your_say(m: Mapping[str, Any]) -> dict | None:
    """The consultation block for drafts and consultation drafts: how to respond, by when,
    contacts, other formats. Nothing for a final document or when params give none."""
    c = m.get("consultation")
    if not c or m["status"] == "final":
        return None
    html, _ = markup.render_markdown(str(c.get("how_to_respond") or ""), heading_ids=False)
    email = str(c.get("email") or "").strip()
    return {
        "closing_date": _format_date(c.get("closing_date")),
        "closing_iso": str(c.get("closing_date") or ""),
        "how_to_respond": _safe_html(html),
        "email": email,
        "mailto": "mailto:" + email if email else "",
        "address": str(c.get("address") or "").strip(),
        "other_formats": str(c.get("other_formats") or "").strip(),
    }


def render_html(notebook: NotebookNode, meta: Mapping[str, Any], template_dir: str | Path) -> str:
    """Render an assembled notebook to a complete, self-contained HTML document."""
    template_dir = Path(template_dir).resolve()
    if not (template_dir / "index.html.j2").is_file():
        raise RenderError(f"no index.html.j2 in template folder {template_dir}")
    m = normalise_meta(meta)
    nb, toc = _prepare_notebook(notebook)
    have_your_say = _have_your_say(m)
    if have_your_say:
        toc.append({"id": HAVE_YOUR_SAY_ID, "text": "Have your say"})
    toc.append({"id": ABOUT_ID, "text": "About this document"})
    screen_css, paged_css = _read_css(str(template_dir))
    status_label, status_message = STATUSES.get(m["status"], ("", ""))
    accent_rule = f":root {{ --accent: {m['accent_colour']}; }}\n"
    resources = {
        "strategy": {
            "meta": m,
            "toc": toc,
            "css": screen_css + "\n" + accent_rule,
            "print_css": paged_css,
            "page_title": f"{m['title']} – {m['authority_name']}",
            "description": f"{m['title']}: {m['authority_name']}, {m['client_group_name']}, {m['edition_label']}.",
            "status_label": status_label,
            "status_message": status_message,
            "publication_date": _format_date(m["publication_date"]),
            "build_date": _format_date(m["build_date"]),
            "created": _w3c_date(m["build_date"]),
            "about_id": ABOUT_ID,
            "have_your_say": have_your_say,
            "have_your_say_id": HAVE_YOUR_SAY_ID,
            "scroll_script": SCROLL_REGION_SCRIPT,
            "scroll_script_hash": scroll_script_hash(),
        }
    }
    exporter = _exporter(template_dir)
    with _EXPORT_LOCK:
        try:
            html, _ = exporter.from_notebook_node(nb, resources=resources)
        except jinja2.TemplateError as exc:
            raise RenderError(f"template error: {exc}") from exc
    return html
