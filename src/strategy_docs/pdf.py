"""PDF from the document's HTML with WeasyPrint.

The HTML from :func:`strategy_docs.render.render_html` carries everything: the print stylesheet
(``templates/strategy/static/paged.css``, inlined with ``media="print"``) lays out an A4 cover,
a contents page with page numbers, a running header taken from the cover's
"authority – client group – edition" line, "Page X of Y" footers and bookmarks from h2-h4.
WeasyPrint gets that print stylesheet only: the screen stylesheet (the first, media-less
``<style>``) is replaced by the authority's ``--accent`` rule before rendering, which saves
cascading screen rules nobody sees in print (README, "Performance").
This module only runs WeasyPrint: offline (only ``data:`` URLs are fetched), tagged
(PDF/UA-1), with the title, author and language from the HTML.
"""

from __future__ import annotations

import hashlib
import re
import threading
from html import unescape
from collections.abc import Mapping
from typing import Any

from .errors import RenderError

__all__ = ["render_pdf", "print_only_html", "pdf_source_digest", "PDF_VARIANT"]

PDF_VARIANT = "pdf/ua-1"  # WeasyPrint >= 63: implies pdf_tags=True and PDF 1.7

_LOCAL = threading.local()


def _font_config():
    """One FontConfiguration per thread: building it costs time, reusing it is safe."""
    config = getattr(_LOCAL, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _LOCAL.font_config = FontConfiguration()
    return config


def _offline_fetcher():
    """A fetcher for ``data:`` URLs only: a published document never reaches the network or disk."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint >= 68
    except ImportError:  # pragma: no cover - older WeasyPrint takes a function
        from weasyprint.urls import default_url_fetcher

        def fetch(url, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError(f"refusing to fetch {url[:80]!r}: documents must be self-contained")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"data"}, timeout=1)


_SCREEN_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_ACCENT = re.compile(r"--accent:\s*(#[0-9a-fA-F]{3,6})\s*;")


def print_only_html(html: str) -> str:
    """The document with its screen stylesheet swapped for the accent rule the print one uses.

    Only the first ``<style>`` without a ``media`` attribute inside ``<head>`` is replaced, and
    only when a ``<style media="print">`` follows it; anything else is returned unchanged.
    """
    head_end = html.find("</head>")
    found = _SCREEN_STYLE.search(html, 0, head_end if head_end >= 0 else len(html))
    if found is None or '<style media="print">' not in html[found.end():head_end]:
        return html
    accents = _ACCENT.findall(found.group(1))
    rule = f":root {{ --accent: {accents[-1]}; }}" if accents else ""
    return html[:found.start()] + f"<style>{rule}</style>" + html[found.end():]


def pdf_source_digest(html: str, meta: Mapping[str, Any] | None = None) -> str:
    """What the PDF of this HTML is made from: equal digests, equal PDFs (same fonts assumed).

    The print-only HTML (so a screen-only style change does not count), the fields that make
    the PDF identifier, the PDF variant, the WeasyPrint version and this module's source.
    """
    from pathlib import Path

    import weasyprint

    meta = dict(meta or {})
    h = hashlib.sha256()
    for part in (print_only_html(html), PDF_VARIANT, weasyprint.__version__, Path(__file__).read_text(encoding="utf-8"),
                 *(str(meta.get(k) or "") for k in ("authority_name", "client_group_name", "edition_label", "title", "status"))):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def render_pdf(html: str, meta: Mapping[str, Any] | None = None) -> bytes:
    """Render the document HTML to PDF bytes.

    ``meta`` (the same dict as for ``render_html``) is used for the PDF identifier and to check
    that the HTML is the document it should be; title, author and language come from the HTML
    (``<title>``, ``<meta name=author>``, ``<html lang>``).
    """
    try:
        from weasyprint import HTML
    except ImportError as exc:  # pragma: no cover - weasyprint is a dependency
        raise RenderError(f"WeasyPrint is not available: {exc}") from exc
    if not html or "<html" not in html:
        raise RenderError("render_pdf needs a complete HTML document")
    meta = dict(meta or {})
    title = str(meta.get("title") or "").strip()
    found = re.search(r"<title>(.*?)</title>", html, re.S | re.I)
    if title and (found is None or title not in unescape(found.group(1))):
        raise RenderError("the HTML is not the document described by meta (its <title> differs)")
    # A stable identifier: the same document gets the same /ID, so rebuilds diff cleanly.
    identity = "|".join(str(meta.get(k) or "") for k in (
        "authority_name", "client_group_name", "edition_label", "title", "status"))
    identifier = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32].encode("ascii")
    try:
        document = HTML(string=print_only_html(html), url_fetcher=_offline_fetcher(), media_type="print").render(
            font_config=_font_config(),
            pdf_variant=PDF_VARIANT,
        )
        return document.write_pdf(
            pdf_variant=PDF_VARIANT,
            pdf_identifier=identifier,
            uncompressed_pdf=False,
        )
    except RenderError:
        raise
    except Exception as exc:  # WeasyPrint raises many kinds; report them as a render failure
        raise RenderError(f"PDF rendering failed: {type(exc).__name__}: {exc}") from exc
