"""Markdown to sanitised HTML, and slugs for ids.

Everything a user or a parameters file writes as Markdown goes through :func:`markdown_to_html`:
markdown-it-py renders it with raw HTML switched off, then nh3 cleans the result against a tight
allow-list. Links may only be ``http``, ``https``, ``mailto`` or a fragment (``#id``) within the
document, and every link gets ``rel="noopener"``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml as escape_html

__all__ = [
    "Heading",
    "markdown_to_html",
    "render_markdown",
    "inline_markdown",
    "escape_markdown",
    "sanitise_html",
    "slugify",
    "unique_id",
]

# Tags that may survive sanitisation, and the attributes each may keep.
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "s", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "abbr", "sub", "sup", "span",
        "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope", "style"},
    "td": {"style"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

_SAFE_HREF = re.compile(r"^(?:https?://|mailto:|#[A-Za-z0-9][A-Za-z0-9._-]*$)", re.IGNORECASE)
_SAFE_STYLE = re.compile(r"^text-align:\s*(?:left|right|center)\s*;?$")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        # Control characters and whitespace can smuggle a scheme past simple checks.
        compact = re.sub(r"[\x00-\x20\x7f]", "", value)
        return value if _SAFE_HREF.match(compact) and compact == value.strip() else None
    if attribute == "style":  # markdown-it writes table alignment as style="text-align:right"
        return value if _SAFE_STYLE.match(value) else None
    if attribute == "id":
        return value if _ID.match(value) else None
    if attribute == "scope":
        return value if value in {"col", "row", "colgroup", "rowgroup"} else None
    if attribute == "start":
        return value if value.isdigit() else None
    return value


# Bidirectional embeddings, overrides and isolates: one left open in a cell would reverse or reorder
# the text after it on the page (and can make "1,000" read as "000,1"). Right-to-left text shows
# correctly without them, so they are removed rather than trusted.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi_controls(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def sanitise_html(html: str) -> str:
    """Clean an HTML fragment against the allow-list (also used for ``{html: ...}`` cells)."""
    return nh3.clean(
        strip_bidi_controls(html),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener",
        strip_comments=True,
        attribute_filter=_attribute_filter,
        clean_content_tags={"script", "style"},
    )


def slugify(text: str, used: set[str] | None = None, *, fallback: str = "section") -> str:
    """A lower-case ASCII slug for ``text`` that is a valid HTML id (starts with a letter).

    If ``used`` is given, the slug is made unique against it (``-2``, ``-3``, ...) and added to it.
    """
    normalised = unicodedata.normalize("NFKD", str(text))
    ascii_text = normalised.encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = ascii_text.replace("&", " and ")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)[:80].strip("-")
    if not slug:
        slug = fallback
    if not slug[0].isalpha():
        slug = f"{fallback}-{slug}"
    if used is None:
        return slug
    return unique_id(slug, used)


def unique_id(candidate: str, used: set[str]) -> str:
    """``candidate``, or ``candidate-2``, ``candidate-3``...: the first not in ``used`` (then added)."""
    slug = candidate
    n = 2
    while slug in used:
        slug = f"{candidate}-{n}"
        n += 1
    used.add(slug)
    return slug


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str


def _new_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    # Images would need alt text we cannot check and may point off-line: show the alt text only.
    md.add_render_rule("image", _render_image_as_text)
    return md


def _render_image_as_text(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    return escape_html(alt)


_MD = _new_parser()


def _inline_text(token) -> str:
    """Plain text of an inline token (what a reader sees in a heading)."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def render_markdown(
    text: str,
    *,
    heading_ids: bool = True,
    used_ids: set[str] | None = None,
    min_heading_level: int = 2,
) -> tuple[str, list[Heading]]:
    """Render Markdown to sanitised HTML; return the HTML and the headings found.

    Headings above ``min_heading_level`` are demoted to it (the document title is the only h1).
    With ``heading_ids``, headings get slug ids, unique against ``used_ids`` (which is updated).
    """
    used = used_ids if used_ids is not None else set()
    tokens = _MD.parse(str(text or ""))
    headings: list[Heading] = []
    for index, token in enumerate(tokens):
        if token.type in {"heading_open", "heading_close"}:
            level = max(int(token.tag[1]), min_heading_level)
            token.tag = f"h{min(level, 6)}"
            if token.type == "heading_open":
                title = _inline_text(tokens[index + 1])
                hid = slugify(title, used) if heading_ids else ""
                if hid:
                    token.attrSet("id", hid)
                headings.append(Heading(level=min(level, 6), text=title, id=hid))
        elif token.type == "th_open":
            token.attrSet("scope", "col")
    html = _MD.renderer.render(tokens, _MD.options, {})
    return sanitise_html(html), headings


def markdown_to_html(text: str, *, heading_ids: bool = False, used_ids: set[str] | None = None,
                     min_heading_level: int = 2) -> str:
    """Render Markdown to sanitised HTML (block level: paragraphs, lists, tables...)."""
    if not heading_ids:  # no ids to keep unique: the same text always gives the same HTML
        return _html_without_ids(str(text or ""), min_heading_level)
    html, _ = render_markdown(
        text, heading_ids=heading_ids, used_ids=used_ids, min_heading_level=min_heading_level
    )
    return html


@functools.lru_cache(maxsize=4096)
def _html_without_ids(text: str, min_heading_level: int) -> str:
    # Plans repeat their words (an activity, an owner, "Yes"): a 5,000-intention plan's table
    # cells are half repeats, and each rendering costs a Markdown parse and a sanitising pass.
    html, _ = render_markdown(text, heading_ids=False, min_heading_level=min_heading_level)
    return html


def escape_markdown(text: str) -> str:
    """Plain text from params put into generated Markdown: its characters are never read as Markdown."""
    return re.sub(r"([\\`*_#\[\]<>])", r"\\\1", str(text))


def inline_markdown(text: str) -> str:
    """Render one line of Markdown (emphasis, links, code) without a wrapping paragraph."""
    html = _MD.renderer.render(_MD.parseInline(str(text or "")), _MD.options, {})
    return sanitise_html(html)


def plain_text(values: Iterable[str]) -> str:
    """Join strings with single spaces (helper for alt text and summaries)."""
    return re.sub(r"\s+", " ", " ".join(str(v) for v in values if v)).strip()
