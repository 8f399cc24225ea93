"""What section notebooks call: each helper builds a block (``strategy_docs.sections.blocks``) and emits
it as an IPython display with MIME type ``application/vnd.strategy-docs.block+json``, plus a
readable ``text/html`` fallback for Jupyter and a ``text/plain`` one.

    from strategy_docs.sections import display
    display.heading("Needs", level=2)
    display.table(df, caption="People known to services")
    display.figure(chart)          # the chart, then its data table
"""

from __future__ import annotations

import html as _html
from typing import Any

from strategy_docs.sections import blocks
from strategy_docs.sections.blocks import MIME_TYPE

__all__ = ["MIME_TYPE", "emit", "bundle", "heading", "prose", "table", "figure", "facts", "cycle", "callout"]


def _e(value: Any) -> str:
    return _html.escape(str(value if value is not None else ""), quote=True)


def _cell_html(cell: dict, tag: str = "td", scope: str = "") -> str:
    attrs = f' scope="{scope}"' if scope else ""
    if cell.get("numeric"):
        attrs += ' style="text-align:right"'
    if cell.get("status"):
        content = f"<strong>{_e(cell['status']['label'])}</strong>"
    elif cell.get("html") is not None:
        from strategy_docs.sections.markup import sanitise_html

        content = sanitise_html(cell["html"])
    else:
        content = _e(cell.get("text", ""))
    return f"<{tag}{attrs}>{content}</{tag}>"


def fallback_html(block: dict) -> str:
    """Simple HTML for Jupyter (the published document uses the template macros instead)."""
    kind = block["kind"]
    if kind == "heading":
        return f'<h{block["level"]} id="{_e(block["id"])}">{_e(block["text"])}</h{block["level"]}>'
    if kind in ("prose",):
        return block["html"]
    if kind == "callout":
        return (f'<div role="note" style="border-left:4px solid #1d4f91;padding:0 1em">'
                f'<p><strong>{_e(block["title"])}</strong></p>{block["html"]}</div>')
    if kind == "table":
        head = "".join(
            f'<th scope="col">{_e(c["label"])}{" (" + _e(c["unit"]) + ")" if c.get("unit") else ""}</th>'
            for c in block["columns"]
        )
        body = []
        for group in ("rows", "footer_rows"):
            for row in block.get(group, []) or []:
                cells = _cell_html(row["header"], "th", "row") if row.get("header") is not None else ""
                cells += "".join(_cell_html(c) for c in row["cells"])
                body.append(f"<tr>{cells}</tr>")
        notes = f"<p>Notes: {_e(block['notes'])}</p>" if block.get("notes") else ""
        return (f'<table id="{_e(block["id"])}"><caption>{_e(block["caption"])}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{notes}")
    if kind == "figure":
        import base64

        uri = "data:image/svg+xml;base64," + base64.b64encode(block["svg"].encode()).decode()
        return (f'<figure id="{_e(block["id"])}"><img src="{uri}" alt="{_e(block["alt"])}">'
                f'<figcaption>{_e(block["caption"])}</figcaption></figure>')
    if kind == "facts":
        items = "".join(
            f"<div><dt>{_e(i['label'])}</dt><dd><strong>{_e(i['value'])}</strong> {_e(i.get('detail', ''))}</dd></div>"
            for i in block["items"]
        )
        return f"<dl>{items}</dl>"
    if kind == "cycle":
        rows = "".join(
            f"<li><strong>{_e(r['label'])}</strong>: now {_e(block['stages'][r['current'][0]])}"
            f"–{_e(block['stages'][r['current'][1]])}"
            + (f"; expected {_e(block['stages'][r['expected'][0]])}–{_e(block['stages'][r['expected'][1]])}"
               if r["expected"] else "") + "</li>"
            for r in block["rows"]
        )
        return f"<ul>{rows}</ul>"
    return ""


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
    import re

    return re.sub(r"<[^>]+>", "", block.get("html", "")).strip()


def bundle(block: dict) -> dict:
    """The MIME bundle for one block."""
    block = blocks.validate_block(block)
    return {MIME_TYPE: block, "text/html": fallback_html(block), "text/plain": plain_text(block)}


def emit(block: dict) -> dict:
    """Display one block in the running kernel (raw MIME bundle); return the block."""
    from IPython.display import display as ipy_display

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
            import matplotlib.pyplot as plt

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
