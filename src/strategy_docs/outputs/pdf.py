"""PDF by Typst: PDF/UA-1, checked while it is made.

:func:`strategy_docs.outputs.typst_markup.typst_source` writes the document (the same assembled notebook
the HTML and DOCX are made from) as Typst markup; :func:`render_pdf` compiles it in this process
with the ``typst`` package to a tagged PDF conforming to PDF/UA-1. Typst refuses a document that
breaks PDF/UA-1 (a chart without alt text, no title or language, skipped heading levels): that
becomes a :class:`RenderError` naming the section and element, and only this document's PDF fails.

The compiler and its fonts are loaded once per process (``_compiler``): only the DejaVu fonts that
matplotlib ships, the same face as the chart text, and never a system font, so every machine makes
the same PDF. Nothing is fetched: the source embeds every image, and no Typst package is imported.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import matplotlib
import typst

from strategy_docs.errors import RenderError
from strategy_docs.outputs import pdf_parts
from strategy_docs.outputs.typst_markup import TypstDocument, typst_source
from strategy_docs.outputs.html import normalise_meta

__all__ = ["render_pdf", "pdf_document", "pdf_source_digest", "font_paths", "PDF_STANDARD"]

PDF_STANDARD = "ua-1"
_LOCK = threading.Lock()
_LINE = re.compile(r"┌─ \S+?:(\d+):(\d+)")


@functools.lru_cache(maxsize=1)
def font_paths() -> tuple[str, ...]:
    """The folder of matplotlib's bundled fonts (DejaVu Sans among them, always installed with matplotlib)."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    files = [folder / name for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
                                       "DejaVuSans-BoldOblique.ttf", "DejaVuSansMono.ttf")]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise RenderError(f"matplotlib's DejaVu fonts are missing ({', '.join(missing)}); reinstall matplotlib")
    return (str(folder),)  # typst reads font folders, not single files


@functools.lru_cache(maxsize=1)
def _compiler():
    """One Typst compiler per process: fonts are read once (layouts are dropped after each PDF: _forget_layouts)."""
    return _new_compiler()


@functools.lru_cache(maxsize=1)
def _helper_compiler():
    """A second compiler, for the second of two parts compiled at once (a compiler runs one compilation at a time)."""
    return _new_compiler()


def _new_compiler():
    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=list(font_paths()))
    return typst.Compiler(font_paths=fonts, ignore_system_fonts=True)


def _cores() -> int:
    return os.cpu_count() or 1  # as the build's default --jobs


def _version() -> str:
    return getattr(typst, "__version__", "")


def pdf_document(document_notebook, meta: Mapping[str, Any]) -> TypstDocument:
    """The Typst source of a document's PDF (see :mod:`strategy_docs.outputs.typst_markup`)."""
    return typst_source(document_notebook, {**dict(meta), **normalise_meta(meta)})


def pdf_source_digest(document: TypstDocument) -> str:
    """What the PDF is made from: equal digests, equal PDFs (the fonts are the pinned DejaVu files).

    The Typst source, the PDF standard, the typst version and the source of this module and of pdf_parts.
    """
    h = hashlib.sha256()
    for part in (document.source, PDF_STANDARD, _version(), Path(__file__).read_text(encoding="utf-8"),
                 Path(pdf_parts.__file__).read_text(encoding="utf-8")):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _explain(exc: Exception, where: Callable[[int], str]) -> str:
    message = str(getattr(exc, "message", "") or exc).strip()
    diagnostic = str(getattr(exc, "diagnostic", "") or "")
    hints = [h for h in (getattr(exc, "hints", None) or []) if h]
    found = _LINE.search(diagnostic)
    place = where(int(found.group(1))) if found else ""
    text = f"PDF not made: {message}"
    if place:
        text += f" in {place}"
    if hints:
        text += f" (fix: {'; '.join(hints)})"
    return text


def render_pdf(document: TypstDocument) -> bytes:
    """Compile the document to PDF/UA-1 bytes; raise RenderError naming what breaks PDF/UA-1.

    A very long document is compiled in parts and put together (:mod:`strategy_docs.outputs.pdf_parts`):
    Typst holds every page it lays out in memory.
    """
    if not isinstance(document, TypstDocument) or not document.source.strip():
        raise RenderError("render_pdf needs the Typst document made by pdf_document")
    compiler = _compiler()
    with _LOCK:  # one compiler per process: documents in threads take turns
        if pdf_parts.needs_parts(document):
            return _render_in_parts(compiler, document)
        return _compile(compiler, document.source, document.where)


def _compile(compiler, source: str, where: Callable[[int], str], standard: bool = True, forget: bool = True) -> bytes:
    """One Typst compilation to PDF (PDF/UA-1 checked unless ``standard`` is false), its layouts
    dropped after unless ``forget`` is false (the caller drops them, see :func:`_compile_parts`)."""
    try:
        try:
            data, warnings = compiler.compile_with_warnings(
                input=source.encode("utf-8"), format="pdf", pdf_standards=[PDF_STANDARD] if standard else [],
                timestamp=0)
        finally:
            if forget:
                _forget_layouts(compiler)
    except typst.TypstError as exc:
        raise RenderError(_explain(exc, where)) from exc
    except Exception as exc:  # noqa: BLE001 - anything else from the compiler is a failed PDF too
        raise RenderError(f"PDF not made: {type(exc).__name__}: {exc}") from exc
    if not isinstance(data, bytes) or not data.startswith(b"%PDF"):
        raise RenderError("PDF not made: typst returned no PDF")
    unsettled = [w for w in warnings or [] if "converge" in str(getattr(w, "message", w))]
    if unsettled:  # page numbers, "(continued)" captions or page breaks would be those of an unfinished layout
        raise RenderError("PDF not made: its layout did not settle in Typst's five passes "
                          f"({getattr(unsettled[0], 'message', unsettled[0])}); this is a bug in strategy-docs' "
                          "PDF layout, please report it")
    return data


def _render_in_parts(compiler, document: TypstDocument) -> bytes:
    """The cover and contents, then the body's parts, then the footers; put together.

    The contents is compiled twice: first with blank page numbers, for how many pages it takes
    (where the body's page numbers start), then with the pages the parts' sections landed on. A
    part does not depend on the page it starts on (the footers are drawn after), so parts are
    compiled two at a time where there are two cores, and the footers while the parts are merged.
    """
    front, parts = pdf_parts.plan_parts(document)
    titles = pdf_parts.section_titles(parts)
    numbers = pdf_parts.table_numbers(parts)
    front_pages = pdf_parts.page_count(_compile(
        compiler, pdf_parts.contents_source(document, front, [(title, "") for title in titles]), lambda _: "the contents"))
    compiled = _compile_parts(compiler, [
        (pdf_parts.part_source(document, part, numbers),
         lambda line, part=part: document.where(pdf_parts.part_line(document, part, line)), part.level == 1)
        for part in parts])
    page, section_pages = front_pages + 1, []
    for part, data in zip(parts, compiled):
        section_pages += [page + index for index in pdf_parts.section_pages(data, part.level)]
        page += pdf_parts.page_count(data)
    if len(section_pages) != len(titles):
        raise RenderError(f"PDF not made: {len(titles)} sections but {len(section_pages)} section bookmarks in "
                          "its parts (a bug in strategy-docs' PDF parts, please report it)")
    front_pdf = _compile(compiler, pdf_parts.contents_source(document, front, list(zip(titles, section_pages))),
                         lambda _: "the contents")
    if pdf_parts.page_count(front_pdf) != front_pages:
        raise RenderError("PDF not made: the contents changed length once its page numbers were filled in "
                          "(a bug in strategy-docs' PDF parts, please report it)")
    sizes = pdf_parts.page_sizes([front_pdf, *compiled])[1:]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="strategy-docs-typst") as pool:
        # Typst lets go of the GIL while it compiles; pikepdf's merge runs meanwhile.
        footers = pool.submit(_compile, _helper_compiler(), pdf_parts.footer_source(document, sizes),
                              lambda _: "the page footers", standard=False)
        try:
            return pdf_parts.merge(front_pdf, compiled, [part.level for part in parts], lambda: _result(footers))
        finally:
            _wait(footers)


def _compile_parts(compiler, jobs: list[tuple[str, Callable[[int], str], bool]]) -> list[bytes]:
    """Each part's PDF, in order: ``jobs`` are (source, where, standard) for :func:`_compile`.

    Two at a time on a machine with two cores or more (Typst lets go of the GIL while it
    compiles), each pair's layouts dropped before the next pair: Typst's layout cache is shared by
    the process, and dropping it while the other part is being laid out would only slow that one down.
    """
    width = 2 if _cores() > 1 and len(jobs) > 1 else 1
    compilers = (compiler, _helper_compiler())[:width]  # the n-th part of a pair: the n-th compiler
    compiled: list[bytes] = []
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="strategy-docs-typst") as pool:
        for start in range(0, len(jobs), width):
            futures = [pool.submit(_compile, own, *job, forget=False)
                       for own, job in zip(compilers, jobs[start:start + width])]
            try:
                compiled += [_result(future) for future in futures]  # the earliest part's error first
            finally:
                for future in futures:
                    _wait(future)
                _forget_layouts(compiler)
                _return_freed_memory()
    return compiled


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc
    except (OSError, AttributeError):
        return None


def _return_freed_memory() -> None:
    """Give the memory Typst freed back to the system. Each thread allocates from its own glibc
    arena, and memory freed in one is not reused by the other: without this, compiling parts
    two at a time keeps about 200 MB more for a 1,000-page document."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _wait(future: Future) -> None:
    # Timed waits: a signal (Ctrl-C, SIGTERM) is acted on only when the main thread runs code.
    while not future.done():
        wait([future], timeout=0.2)


def _result(future: Future):
    _wait(future)
    return future.result()


CACHE_AGE = 10  # typst-py drops layouts not used in the last 10 compilations (comemo::evict(10))


def _forget_layouts(compiler) -> None:
    """Let Typst drop this document's layouts now, not ten documents later.

    Typst keeps every layout it made in a process-wide cache, and typst-py only drops what the
    last ten compilations did not use: a worker would hold its last ten PDFs' layouts (about
    45 MB each for an example document, gigabytes for a very long one). Compiling an empty
    document ages the cache by one; it takes well under a millisecond.
    """
    for _ in range(CACHE_AGE + 1):
        try:
            compiler.compile(input=b"", format="svg")
        except Exception:  # noqa: BLE001 - only memory is at stake
            return
