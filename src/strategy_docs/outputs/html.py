"""Assemble executed section notebooks into one document notebook and render it to HTML.

:func:`assemble` keeps only what readers see (markdown cells and our display blocks);
:func:`render_html` renders the result with nbconvert's ``HTMLExporter`` through our template
folder (``templates/strategy``). Display blocks are turned into HTML by macros in
``blocks.html.j2`` (:mod:`strategy_docs.sections.block_html`, the one block renderer); markdown cells by
:mod:`strategy_docs.sections.markup`. The exporter is cached on the templates' content, so rendering many documents in one process
is cheap.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import nbformat
import pandas as pd
from markupsafe import Markup
from nbformat import NotebookNode
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from traitlets.config import Config

from strategy_docs.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, OPEN, Translator, mark, hreflang, html_language_marks, translator
from strategy_docs.sections import block_html, blocks, glossary, markup
from strategy_docs.sections.block_html import template_digest
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
    "draft": (N_("Draft"), N_("this document is a draft and is not for publication. It may change.")),
    "consultation": (
        N_("Consultation draft"),
        N_("this document is published for consultation. It is not final and may change."),
    ),
    "final": (N_("Final"), ""),
}
SWITCH_LANGUAGE = N_("Read this document in English")  # in each language's own words (the catalogue)
REQUIRED_META = ("title", "authority_name", "client_group_name", "edition_label")  # a status only when the plan states one
DEFAULT_ACCENT = "#1d4f91"
ABOUT_ID = "about-this-document"
DOCUMENT_CONTROL_ID = "document-control"  # the strategy's own document control table (sections/content.py)
HAVE_YOUR_SAY_ID = "have-your-say"
RESERVED_IDS = frozenset({"main", "top", "contents-heading", ABOUT_ID, HAVE_YOUR_SAY_ID})

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_LOGO = re.compile(r"^data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+$")


def default_template_dir() -> Path:
    """The package's ``templates/strategy``."""
    return block_html.strategy_template_dir()


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


def _furniture_in(markdown: str, t: Translator) -> str:
    """A registry heading or introduction in the document's language; one the catalogue lacks stays
    in English, each heading and paragraph marked as English (the '##' kept in front)."""
    translated = t(markdown)
    if not translated.startswith(OPEN):
        return translated
    parts = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        hashes = re.match(r"^(#{1,6}\s+)(.*)$", paragraph, re.DOTALL)
        parts.append(hashes.group(1) + mark(hashes.group(2), DEFAULT_LANGUAGE) if hashes
                     else mark(paragraph, DEFAULT_LANGUAGE))
    return "\n\n".join(parts)


def assemble(section_notebooks: Iterable[NotebookNode | str | Path], skeleton: list[dict] | None = None,
             language: str = DEFAULT_LANGUAGE) -> NotebookNode:
    """Join executed section notebooks into one notebook of markdown cells and block outputs.

    Drops cells tagged ``parameters``/``injected-parameters``, raw cells, every code input and
    every output that is not a display block (streams, plain results, images), and every heading
    whose section has no content (:func:`drop_empty_sections`). The registry's headings and
    introductions (cells tagged ``furniture``) are put in the document's `language`. Raises :class:`RenderError` for an
    ``error`` output, an invalid block or a figure without alt text.

    ``skeleton`` (`sections.narrative.skeleton`, carried in the document's metadata) puts the
    sections in the plan's order with its titles and numbers, and adds the sections made from
    params alone; without it the notebooks keep their own order.
    """
    doc = nbformat.v4.new_notebook()
    doc.metadata["language_info"] = {"name": "python"}
    sections: list[str] = []
    left_out: list[str] = []
    assembled: list[tuple[str, list]] = []  # (section, its cells) in the notebooks' order
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
                    if furniture:
                        source_text = _furniture_in(source_text.strip(), translator(language))
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
        assembled.append((name, kept_cells))
        left_out.extend(dropped)
    if skeleton is None:
        order = sections
        for _, kept_cells in assembled:
            doc.cells.extend(kept_cells)
    else:
        order = []
        by_section = dict(reversed(assembled))  # a notebook given twice: the first
        for entry in skeleton:
            name = entry["section"]
            if "blocks" in entry:
                doc.cells.extend(_text_section_cells(entry, f"section {name!r}"))
            elif by_section.get(name):
                doc.cells.extend(_retitled(by_section.pop(name), entry.get("title"), entry.get("number")))
            else:  # left out (no content), or a notebook this workspace does not run
                by_section.pop(name, None)
                continue
            order.append(name)
        for name, kept_cells in assembled:  # a notebook the skeleton does not know
            if by_section.get(name):
                doc.cells.extend(by_section.pop(name))
                order.append(name)
    doc.cells.extend(glossary_cells(doc.cells, translator(language)))
    doc.metadata["strategy_docs"] = {"sections": order, "left_out": left_out}
    return doc


def _text_section_cells(entry: Mapping[str, Any], where: str) -> list:
    """A section made from params alone: its heading, then its blocks as one cell's outputs."""
    heading = nbformat.v4.new_markdown_cell("## " + _heading_text(entry["title"], entry.get("number")))
    cell = nbformat.v4.new_code_cell(source="")
    cell.outputs = [nbformat.v4.new_output("display_data", data={MIME_TYPE: _check_block(dict(b), where)})
                    for b in entry["blocks"]]
    return [heading, cell]


def _heading_text(title: str, number: str | None) -> str:
    return markup.escape_markdown(f"{number} {title}" if number else str(title))  # never read as Markdown


def _retitled(cells: list, title: str | None, number: str | None) -> list:
    """A notebook's section under the plan's own heading: its first `##` line rewritten."""
    if not cells or (title is None and number is None):
        return cells
    for cell in cells:
        mark = heading_of(cell.source) if cell.cell_type == "markdown" else None
        if mark is None or mark[0] != 2:
            continue
        match = next(m for m in _HEADING_LINE.finditer(cell.source) if len(m.group(1)) == 2)
        heading = "## " + (_heading_text(title, number) if title is not None else
                           f"{_heading_text('', number).strip()} {match.group(2)}")
        cell.source = cell.source[:match.start()] + heading + cell.source[match.end():]
        break
    return cells


def document_terms(cells: list) -> list:
    """The glossary terms the text of these cells uses (markdown and display blocks)."""
    texts = []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            texts.append(cell.get("source", ""))
        for output in cell.get("outputs", []) or []:
            if output.get("data", {}).get(MIME_TYPE, {}).get("id") == glossary.TABLE_ID:
                continue  # the glossary itself
            texts += glossary.block_texts(output.get("data", {}).get(MIME_TYPE, {}))
    return glossary.terms_used(texts)


def glossary_cells(cells: list, t: Translator) -> list:
    """A closing 'Glossary' section listing the abbreviations and terms the document's text uses
    (none used: no section), in the document's language (every meaning is in the catalogue)."""
    terms = document_terms(cells)
    if not terms:
        return []
    rows = [{t("Term"): row["Term"], t("Meaning"): row["Meaning"]} for row in glossary.glossary_rows(terms, t)]
    table = blocks.table(pd.DataFrame(rows), caption=t("Abbreviations and terms used in this document"),
                         id=glossary.TABLE_ID, numeric_columns=[], t=t)
    code = nbformat.v4.new_code_cell(source="")
    code.outputs = [nbformat.v4.new_output("display_data", data={MIME_TYPE: table})]
    return [nbformat.v4.new_markdown_cell(f"## {t(glossary.TITLE)}"), code]


# ---------------------------------------------------------------------------------------------
# meta


def _format_date(value: Any, t: Translator | None = None) -> str:
    t = t or translator(DEFAULT_LANGUAGE)
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10]) if len(value) == 10 else dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return t.datetime(value)
    if isinstance(value, dt.date):
        return t.date(value)
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
        "build_date", "generator", "consultation", "accessibility_statement", "language", "alternates",
    )}
    out["language"] = str(out["language"] or DEFAULT_LANGUAGE)
    if out["language"] not in LANGUAGES:
        raise RenderError(f"language must be one of {', '.join(LANGUAGES)}, not {out['language']!r}")
    out["alternates"] = [dict(a) for a in out["alternates"] or [] if a.get("language") in LANGUAGES and a.get("href")]
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


def render_block_html(block: Mapping[str, Any], template_dir: str | Path | None = None,
                      language: str = DEFAULT_LANGUAGE) -> str:
    """HTML for one block with the document's macros (also handy for previews)."""
    return str(block_html.render(block, template_dir, language))


# ---------------------------------------------------------------------------------------------
# exporter


_EXPORTERS: dict[str, Any] = {}
_EXPORT_LOCK = threading.RLock()


_RENDERING = {"language": DEFAULT_LANGUAGE}  # the document being rendered (under _EXPORT_LOCK)


def _block_filter(template_dir: str, digest: str, output: Mapping[str, Any]) -> Markup:
    block = (output.get("data") or {}).get(MIME_TYPE)
    if block is None:
        return Markup("")
    words = translator(_RENDERING["language"])
    return Markup(block_html.macros(template_dir, digest).render_block(block_html.prepare(block), words))  # noqa: S704


def _markdown_filter(cell: Mapping[str, Any]) -> Markup:
    html = cell.get("metadata", {}).get("strategy_html")
    if html is None:  # not prepared by render_html: render (and sanitise) it now
        html = markup.markdown_to_html(cell.get("source", ""))
    return Markup(html)  # noqa: S704 - produced by markup.py (sanitised)


_NO_ALT = re.compile(r"<img(?![^>]*\salt=)", re.IGNORECASE)


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

    def _preprocess(self, nb, resources):
        """nbconvert copies the notebook twice more, normalises it and validates it once per
        preprocessor (eleven times) even when none is enabled, as here (_exporter turns them
        off): a third of a 5,000-intention plan's HTML time, for a notebook from_notebook_node
        has already copied. With a preprocessor enabled, nbconvert's own steps run."""
        if any(preprocessor.enabled for preprocessor in self._preprocessors):
            return super()._preprocess(nb, resources)
        return nb, resources


def _exporter(template_dir: Path):
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
            exporter = StrategyHTMLExporter(
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


def _prepare_notebook(notebook: NotebookNode) -> tuple[NotebookNode, list[dict], dict | None]:
    """Copy the notebook, give every heading/table/figure a unique id, collect the contents and
    find the strategy's own document control table ({id, caption} as the page has them, or None)."""
    nb = copy.deepcopy(notebook)
    used: set[str] = set(RESERVED_IDS)
    toc: list[dict] = []
    document_control: dict | None = None
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
                    own_id = block["id"]
                    block["id"] = markup.unique_id(own_id, used)
                    if kind == "table" and own_id == DOCUMENT_CONTROL_ID and document_control is None:
                        document_control = {"id": block["id"], "caption": block["caption"]}
                if kind == "figure":
                    reserved = markup.unique_id(block["table_id"], used)
                    pending_tables[block["table_id"]] = reserved
                    block["table_id"] = reserved
                if kind == "heading" and block["level"] == 2:
                    toc.append({"id": block["id"], "text": block["text"]})
                output.data = {MIME_TYPE: block}
        else:
            cell.source = ""
    return nb, toc, document_control


def _have_your_say(m: Mapping[str, Any], t: Translator) -> dict | None:
    """The consultation block for drafts and consultation drafts: how to respond, by when,
    contacts, other formats. Nothing for a final document or when params give none."""
    c = m.get("consultation")
    if not c or m["status"] == "final":
        return None
    html, _ = markup.render_markdown(str(c.get("how_to_respond") or ""), heading_ids=False)
    email = str(c.get("email") or "").strip()
    return {
        "closing_date": _format_date(c.get("closing_date"), t),
        "closing_iso": str(c.get("closing_date") or ""),
        "how_to_respond": block_html.safe_html(html),
        "email": email,
        "mailto": "mailto:" + email if email else "",
        "address": str(c.get("address") or "").strip(),
        "other_formats": str(c.get("other_formats") or "").strip(),
    }


def page_resources(notebook: NotebookNode, meta: Mapping[str, Any], template_dir: str | Path) -> tuple[NotebookNode, dict]:
    """The notebook as the page template reads it and the template's resources (contents, words,
    stylesheets, metadata): what :func:`render_html` hands nbconvert (also the benchmark's naive loop)."""
    template_dir = Path(template_dir).resolve()
    m = normalise_meta(meta)
    t = translator(m["language"])
    nb, toc, document_control = _prepare_notebook(notebook)
    have_your_say = _have_your_say(m, t)
    if have_your_say:
        toc.append({"id": HAVE_YOUR_SAY_ID, "text": t("Have your say")})
    toc.append({"id": ABOUT_ID, "text": t("About this document")})
    screen_css, paged_css = _read_css(str(template_dir))
    status_label, status_message = (t(word) if word else "" for word in STATUSES.get(m["status"], ("", "")))
    # Each other version, linked in its own language ("Darllenwch y ddogfen hon yn Gymraeg").
    alternates = [dict(a, tag=hreflang(a["language"]), link_text=translator(a["language"])(SWITCH_LANGUAGE))
                  for a in m["alternates"]]
    accent_rule = f":root {{ --accent: {m['accent_colour']}; }}\n"
    resources = {
        "strategy": {
            "meta": m,
            "t": t,
            "lang": t.tag,
            "alternates": alternates,
            "toc": toc,
            "css": screen_css + "\n" + accent_rule,
            "print_css": paged_css,
            "page_title": f"{m['title']} – {m['authority_name']}",
            "description": t("{title}: {authority}, {client_group}, {edition}.").format(
                title=m["title"], authority=m["authority_name"], client_group=m["client_group_name"],
                edition=m["edition_label"]),
            "status_label": status_label,
            "status_message": status_message,
            "publication_date": _format_date(m["publication_date"], t),
            "build_date": _format_date(m["build_date"], t),
            "created": _w3c_date(m["build_date"]),
            "about_id": ABOUT_ID,
            "document_control": document_control,
            "have_your_say": have_your_say,
            "have_your_say_id": HAVE_YOUR_SAY_ID,
            "scroll_script": SCROLL_REGION_SCRIPT,
            "scroll_script_hash": scroll_script_hash(),
        }
    }
    return nb, resources


def render_html(notebook: NotebookNode, meta: Mapping[str, Any], template_dir: str | Path) -> str:
    """Render an assembled notebook to a complete, self-contained HTML document."""
    template_dir = Path(template_dir).resolve()
    if not (template_dir / "index.html.j2").is_file():
        raise RenderError(f"no index.html.j2 in template folder {template_dir}")
    nb, resources = page_resources(notebook, meta, template_dir)
    m = resources["strategy"]["meta"]
    exporter = _exporter(template_dir)
    with _EXPORT_LOCK:
        _RENDERING["language"] = m["language"]  # the blocks' words (the filter is shared by every document)
        try:
            html, _ = exporter.from_notebook_node(nb, resources=resources)
        except jinja2.TemplateError as exc:
            raise RenderError(f"template error: {exc}") from exc
        finally:
            _RENDERING["language"] = DEFAULT_LANGUAGE
    # each abbreviation explained where it is first used (the glossary lists them all)
    return glossary.mark_first_use(html_language_marks(html), document_terms(notebook.cells), translator(m["language"]))
