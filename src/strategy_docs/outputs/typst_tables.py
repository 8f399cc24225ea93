"""How big things are set in the PDF: page geometry, DejaVu Sans metrics, table column widths
and row heights, and whether a table goes on a landscape page.

Widths are computed here, once per table, so Typst does not measure every cell (``auto``
columns); heights are estimates, good enough to decide what to keep together (typst_markup.py).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
from fontTools.ttLib import TTFont

WIDE_TABLE_COLUMNS = 10  # tables this wide are set on landscape pages
TEXT_WIDTH_PT = 481.9  # A4 (595.3 pt) less 2 x 2 cm margins
LANDSCAPE_TEXT_WIDTH_PT = 728.5
PORTRAIT_BODY_PT = 841.89 - (2.4 + 2.2) * 72 / 2.54  # A4 less the top and bottom margins
LANDSCAPE_BODY_PT = 595.28 - (2.4 + 2.2) * 72 / 2.54
HEADER_ROW_PT = 2 * 8.5 * 1.35 + 8

TABLE_TEXT_PT = 8.5
CELL_PAD_PT = 10.0  # left and right inset plus a little air


@functools.lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance widths (in em) of DejaVu Sans, from the font file the PDF embeds (fontTools comes with matplotlib)."""
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    font = TTFont(str(path), lazy=True)
    per_em = float(font["head"].unitsPerEm)
    metrics = font["hmtx"].metrics
    widths = {code: metrics[name][0] / per_em for code, name in font.getBestCmap().items() if name in metrics}
    return widths, max(widths.values())


def text_width_pt(value: str, bold: bool = False, size: float = TABLE_TEXT_PT) -> float:
    """How wide ``value`` is set in DejaVu Sans at ``size`` points (no kerning: a little generous)."""
    return _width_em(value, bold) * size


@functools.lru_cache(maxsize=65536)
def _width_em(value: str, bold: bool) -> float:
    """Words repeat across a table's cells and its layout attempts: each is measured once."""
    widths, widest = _advances(bold)
    return sum(widths.get(ord(ch), widest) for ch in value)


def _cell_words(value: Mapping[str, Any]) -> str:
    status = value.get("status") or {}
    return str(status.get("label") or value.get("text") or re.sub(r"<[^>]+>", " ", value.get("html") or ""))


def column_widths(block: Mapping[str, Any], available_pt: float,
                  size: float = TABLE_TEXT_PT) -> tuple[list[float], bool]:
    """Column widths in points, and whether every word fits whole in them.

    Each column needs its longest word (so nothing is hyphenated or runs into the next column) and
    would like its longest line; what is left after every column has its minimum is shared in
    proportion to how much more each would like. Widths are computed here, once, so Typst does not
    measure every cell of every table (``auto`` columns), which is most of its time.
    """
    columns = block["columns"]
    count = len(columns)
    minimum = [0.0] * count
    desired = [0.0] * count
    for index, column in enumerate(columns):
        label = column["label"] + (f" ({column['unit']})" if column.get("unit") else "")
        minimum[index] = max(text_width_pt(w, True, size) for w in label.split() or [""])
        desired[index] = text_width_pt(label, True, size)
    for row in list(block.get("rows", []) or []) + list(block.get("footer_rows", []) or []):
        values = ([row["header"]] if row.get("header") is not None else []) + list(row["cells"])
        for index, value in enumerate(values[:count]):
            words = _cell_words(value).split()
            if not words:
                continue
            bold = (index == 0 and row.get("header") is not None) or bool(value.get("status"))
            if value.get("numeric") or columns[index].get("numeric"):
                words = [" ".join(words)]  # numbers never wrap
            minimum[index] = max(minimum[index], max(text_width_pt(w, bold, size) for w in words))
            desired[index] = max(desired[index], text_width_pt(" ".join(words), bold, size))
    minimum = [m + CELL_PAD_PT for m in minimum]
    desired = [max(d + CELL_PAD_PT, m) for d, m in zip(desired, minimum)]
    if sum(desired) <= available_pt:
        return desired, True
    if sum(minimum) > available_pt:
        scale = available_pt / sum(minimum)
        return [m * scale for m in minimum], False
    spare = available_pt - sum(minimum)
    extra = [d - m for d, m in zip(desired, minimum)]
    return [m + spare * e / sum(extra) for m, e in zip(minimum, extra)], True


def table_layout(block: Mapping[str, Any]) -> tuple[list[float], float, bool]:
    """(column widths, text size, landscape?) for a table: every word whole, as large as fits.

    Portrait at the normal size, else portrait a point smaller, else a landscape page; tables of
    ten or more columns always go on a landscape page, and so do tables whose portrait columns
    are so narrow that their rows run over pages (landscape prints them on far fewer pages).
    """
    if len(block["columns"]) < WIDE_TABLE_COLUMNS:
        for size in (TABLE_TEXT_PT, TABLE_TEXT_PT - 1):
            widths, fits = column_widths(block, TEXT_WIDTH_PT, size)
            if fits:
                if not better_landscape(block, widths, size):
                    return widths, size, False
                break
    for size in (TABLE_TEXT_PT, TABLE_TEXT_PT - 1):
        widths, fits = column_widths(block, LANDSCAPE_TEXT_WIDTH_PT, size)
        if fits:
            return widths, size, True
    return widths, size, True


def better_landscape(block: Mapping[str, Any], widths: list[float], size: float) -> bool:
    """Whether a table set in these portrait widths runs over pages, has rows taller than a third
    of a page, and would take at most two thirds as many pages on landscape ones."""
    portrait = row_heights(block, widths, size)
    if not portrait or max(portrait) < PORTRAIT_BODY_PT / 3 or sum(portrait) < PORTRAIT_BODY_PT:
        return False
    landscape = row_heights(block, column_widths(block, LANDSCAPE_TEXT_WIDTH_PT, size)[0], size)
    return sum(landscape) / LANDSCAPE_BODY_PT <= 2 / 3 * sum(portrait) / PORTRAIT_BODY_PT


def cell_lines(value: Mapping[str, Any], width: float, size: float) -> int:
    """Roughly how many lines a cell's text takes in a column this wide."""
    return math.ceil(text_width_pt(_cell_words(value), False, size) / max(width - CELL_PAD_PT, 1.0))


def row_heights(block: Mapping[str, Any], widths: list[float], size: float) -> list[float]:
    """Roughly how tall each body row, then each footer row, is set in these column widths."""
    line = size * 1.35
    heights = []
    for row in list(block.get("rows", []) or []) + list(block.get("footer_rows", []) or []):
        values = ([row["header"]] if row.get("header") is not None else []) + list(row["cells"])
        lines = max((cell_lines(v, w, size) for v, w in zip(values, widths)), default=1)
        heights.append(max(lines, 1) * line + 7)
    return heights


def prose_height_pt(markup_text: str) -> float:
    """Roughly how tall text is set across a portrait page (about 95 characters a line)."""
    lines = sum(math.ceil(len(paragraph) / 95) for paragraph in markup_text.split("\n") if paragraph.strip())
    return lines * 12.4 + markup_text.count("\n\n") * 10


def widths_markup(widths: list[float]) -> str:
    return "(" + ", ".join(f"{w:.1f}pt" for w in widths) + ("," if len(widths) == 1 else "") + ")"
