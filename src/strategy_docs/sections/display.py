"""What section notebooks call: each helper builds a block (``strategy_docs.sections.blocks``) and emits
it as an IPython display with MIME type ``application/vnd.strategy-docs.block+json``, plus a
``text/html`` fallback for Jupyter (the same macros as the document) and a ``text/plain`` one.

    from strategy_docs.sections import display
    display.heading("Needs", level=2)
    display.table(df, caption="People known to services")
    display.figure(chart)          # the chart, then its data table
"""

from __future__ import annotations

from typing import Any
import re

from strategy_docs.sections import block_html, blocks
from strategy_docs.sections.blocks import MIME_TYPE

__all__ = ["MIME_TYPE", "emit", "bundle", "heading", "prose", "table", "figure", "facts", "cycle", "callout"]


def fallback_html(block: dict) -> str:
    """The block's HTML for Jupyter: the package's document macros (``block_html``), as published."""
    return str(block_html.render(block))


def plain_text(block: dict) -> str:
    """A one-paragraph text summary of a block."""
    kind = block["kind"]
    if kind == "heading":
        return "#" * block["level"] + " " + block["text"]
    if kind == "table":
        return f"[table {block['id']}: {block['caption']}, {len(block['rows'])} rows]"
    if kind == "figure":
        return f"[figure {block['id']}: {block['caption']}. {block['alt']}]"
    if kind == "facts":
        return "; ".join(f"{i['label']}: {i['value']}" for i in block["items"])
    if kind == "callout":
        return f"[{block['tone']}] {block['title']}"
    if kind == "cycle":
        return f"[cycle: {len(block['rows'])} rows over {', '.join(block['stages'])}]"
    return re.sub(r"<[^>]+>", "", block.get("html", "")).strip()


def bundle(block: dict) -> dict:
    """The MIME bundle for one block."""
    block = blocks.validate_block(block)
    return {MIME_TYPE: block, "text/html": fallback_html(block), "text/plain": plain_text(block)}


def emit(block: dict) -> dict:
    """Display one block in the running kernel (raw MIME bundle); return the block."""
    from IPython.display import display as ipy_display  # lazy: only a kernel emits, and IPython is slow to import

    ipy_display(bundle(block), raw=True)
    return block


def heading(text: str, level: int = 2, id: str | None = None) -> dict:
    return emit(blocks.heading(text, level, id=id))


def prose(markdown: str) -> dict:
    return emit(blocks.prose(markdown))


def table(df, caption: str, **kwargs: Any) -> dict:
    """See :func:`strategy_docs.sections.blocks.table` for the keyword arguments."""
    return emit(blocks.table(df, caption, **kwargs))


def figure(chart, close: bool = True) -> list[dict]:
    """Emit the chart and then its data table; closes the matplotlib figure (no duplicate PNG)."""
    made = blocks.figure(chart)
    if close:
        try:
            import matplotlib.pyplot as plt  # lazy: pyplot picks a backend on import; the chart has loaded it

            plt.close(chart.figure)
        except Exception:  # pragma: no cover - closing is a nicety
            pass
    for block in made:
        emit(block)
    return made


def facts(items) -> dict:
    return emit(blocks.facts(items))


def cycle(stages, rows) -> dict:
    return emit(blocks.cycle(stages, rows))


def callout(title: str, markdown: str, tone: str = "info") -> dict:
    return emit(blocks.callout(title, markdown, tone))


def show(items) -> None:
    """Emit a list of blocks (as built by :mod:`strategy_docs.sections.content`) in order."""
    for block in items or []:
        emit(block)
