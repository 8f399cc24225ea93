"""Pure functions that build the display blocks of docs/design.md ("Display blocks").

A block is a JSON-serialisable dict with a ``kind``. Notebooks do not call these directly: they call
:mod:`strategy_docs.sections.display`, which wraps them. Templates (and the DOCX writer) consume them.

Tables: when rows have a ``header`` (``row_header=True``), ``columns[0]`` describes the header
column and ``len(columns) == 1 + len(cells)`` for every row; without headers,
``len(columns) == len(cells)``.
"""

from __future__ import annotations

import io
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib
import pandas as pd

from strategy_docs.i18n import translator

from strategy_docs.analysis.formatting import fmt_rate
from strategy_docs.sections import markup

__all__ = [
    "MIME_TYPE",
    "KINDS",
    "TONES",
    "heading",
    "prose",
    "table",
    "figure",
    "facts",
    "cycle",
    "callout",
    "validate_block",
    "format_number",
    "svg_from_figure",
]

MIME_TYPE = "application/vnd.strategy-docs.block+json"
KINDS = ("heading", "prose", "table", "figure", "facts", "cycle", "callout")
TONES = ("good", "warning", "bad", "neutral")
CALLOUT_TONES = ("info", "warning")
SVG_HASH_SALT = "strategy-docs"
NOT_AVAILABLE = "[x]"
SUPPRESSED = "[c]"

# Default words -> tone for status columns (RAG ratings, risk bands, quality ratings, trends).
DEFAULT_STATUS_TONES: dict[str, str] = {
    "green": "good", "on track": "good", "good": "good", "outstanding": "good",
    "excellent": "good", "low": "good", "achieved": "good", "met": "good", "improving": "good",
    "complete": "good", "completed": "good",
    "amber": "warning", "at risk": "warning", "medium": "warning", "moderate": "warning",
    "requires improvement": "warning", "some concerns": "warning", "partly met": "warning",
    "in progress": "warning", "no change": "neutral",
    "red": "bad", "off track": "bad", "high": "bad", "very high": "bad", "inadequate": "bad",
    "requires significant improvement": "bad", "not met": "bad", "worsening": "bad",
    "not yet rated": "neutral", "not started": "neutral", "not available": "neutral",
    "grey": "neutral",
}

_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")


# --------------------------------------------------------------------------------------------
# helpers


def _require_text(value: Any, name: str) -> str:
    if value is None or not str(value).strip():
        raise ValueError(f"{name} must not be empty")
    return str(value).strip()


def _block_id(id_: str | None, fallback_text: str, prefix: str) -> str:
    if id_:
        id_ = str(id_)
        if not _ID_RE.match(id_):
            raise ValueError(f"id {id_!r} is not a valid id (letters, digits, . _ -; starts with a letter)")
        return id_
    return f"{prefix}-{markup.slugify(fallback_text)}"


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return isinstance(value, float) and math.isnan(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool) and not _is_missing(value)


def _decimals_needed(values: Iterable[Any], max_decimals: int = 2) -> int:
    needed = 0
    for value in values:
        if not _is_number(value):
            continue
        if isinstance(value, numbers.Integral):
            continue
        v = float(value)
        if math.isinf(v):
            continue
        for d in range(needed, max_decimals + 1):
            if abs(round(v, d) - v) < 1e-9 * max(1.0, abs(v)):
                needed = max(needed, d)
                break
        else:
            needed = max_decimals
    return needed


_UNIT_IN_LABEL = re.compile(r"\(([^()]*)\)\s*$")


def column_unit(label: str, units: Mapping[str, str]) -> str:
    """A column's unit: the one given in ``units``, else the one its heading ends with ('Value (%)')."""
    if units.get(label):
        return units[label]
    found = _UNIT_IN_LABEL.search(label)
    return found.group(1).strip() if found else ""


def _same_decimals_by_unit(decimals: dict[str, int], units: Mapping[str, str]) -> None:
    """Numbers of one unit are written alike: percentages always to one decimal place, and columns
    sharing a unit ('Value (days)', 'Target (days)') with the same decimals, so that 80 does not
    stand beside 81.3."""
    by_unit: dict[str, list[str]] = {}
    for name in decimals:
        unit = column_unit(name, units)
        if unit:
            by_unit.setdefault(unit, []).append(name)
    for unit, names in by_unit.items():
        shared = 1 if unit == "%" else max(decimals[n] for n in names)
        for name in names:
            decimals[name] = shared


def format_number(value: Any, decimals: int = 0) -> str:
    """``12345.6 -> '12,346'`` (decimals=0) or ``'12,345.60'`` (decimals=2); missing -> ``[x]``."""
    if _is_missing(value):
        return NOT_AVAILABLE
    if not _is_number(value):
        return str(value)
    v = float(value)
    if math.isinf(v):
        return "infinite" if v > 0 else "minus infinite"
    return fmt_rate(v, decimals)  # half up, as in the text: 0.125 -> '0.13', as the sentences say


def _cell_text(value: Any) -> str:
    if _is_missing(value):
        return NOT_AVAILABLE
    if hasattr(value, "strftime") and not isinstance(value, str):
        try:
            return f"{value.day} {value.strftime('%B %Y')}"
        except (AttributeError, ValueError):
            return str(value)
    return str(value)


def _status_for(value: Any, spec: Any) -> dict | None:
    """Work out ``{label, tone}`` for a status cell from a column's ``statuses`` spec."""
    if _is_missing(value):
        return None
    label = str(value)
    if callable(spec):
        result = spec(value)
        if result is None:
            return None
        if isinstance(result, tuple):
            label, tone = result
        elif isinstance(result, Mapping):
            label, tone = result.get("label", label), result["tone"]
        else:
            tone = result
    elif isinstance(spec, Mapping):
        tone = spec.get(value, spec.get(label, spec.get(label.lower())))
        if tone is None:
            tone = DEFAULT_STATUS_TONES.get(label.strip().lower(), "neutral")
    else:
        tone = DEFAULT_STATUS_TONES.get(label.strip().lower(), "neutral")
    if tone not in TONES:
        raise ValueError(f"status tone {tone!r} is not one of {', '.join(TONES)}")
    return {"label": str(label), "tone": tone}


# --------------------------------------------------------------------------------------------
# blocks


def heading(text: str, level: int = 2, id: str | None = None) -> dict:
    """A section heading (levels 2-4; the document title is the only h1)."""
    text = _require_text(text, "heading text")
    if not isinstance(level, int) or isinstance(level, bool) or not 2 <= level <= 4:
        raise ValueError(f"heading level must be 2, 3 or 4, not {level!r}")
    return validate_block(
        {"kind": "heading", "level": level, "text": text, "id": str(id) if id else markup.slugify(text)}
    )


def prose(markdown: str) -> dict:
    """Body text from Markdown (sanitised; headings are demoted to h3 at most and get no ids)."""
    return validate_block(
        {"kind": "prose", "html": markup.markdown_to_html(markdown or "", min_heading_level=3)}
    )


def table(
    df,
    caption: str,
    id: str | None = None,
    numeric_columns: Sequence[str] | None = None,
    units: Mapping[str, str] | None = None,
    row_header: bool = True,
    statuses: Mapping[str, Any] | Sequence[str] | None = None,
    suppress_below: float | None = None,
    suppress_columns: Sequence[str] | None = None,
    footer=None,
    notes: str | None = None,
    markdown_columns: Sequence[str] | None = None,
    t=None,
) -> dict:
    """A data table from a DataFrame.

    - ``numeric_columns``: columns right-aligned and formatted with thousands separators
      (default: columns with a numeric dtype, other than the row-header column).
    - ``units``: ``{column: unit}``, shown in the column heading, e.g. ``Amount (£)``.
    - ``row_header``: the first column heads each row (``<th scope="row">``).
    - ``statuses``: ``{column: {value: tone}}`` (or a callable returning a tone or
      ``(label, tone)``, or ``None``/a list of columns for the default RAG/risk/rating words);
      the word is always shown next to its colour.
    - ``suppress_below``: counts greater than 0 and below this in ``suppress_columns`` (default:
      all numeric columns) are shown as ``[c]``, with a note.
    - ``markdown_columns``: text columns holding Markdown from params (rendered and sanitised).
    - ``footer``: rows shown in ``<tfoot>`` (e.g. totals): a DataFrame with the same columns, a
      dict for one row, or a list of dicts.
    - ``t``: the document's translator, for the notes this function writes (status words come in the
      document's language from the caller).
    """
    t = t or translator()

    caption = _require_text(caption, "table caption")
    if not isinstance(df, pd.DataFrame):
        df = pd.DataFrame(df)
    names = [str(c) for c in df.columns]
    if not names:
        raise ValueError(f"table {caption!r} has no columns")
    if len(set(names)) != len(names):
        raise ValueError(f"table {caption!r} has duplicate column names")
    df = df.copy()
    df.columns = names
    units = {str(k): str(v) for k, v in (units or {}).items()}
    header_col = names[0] if row_header else None
    if numeric_columns is None:
        numeric = {
            c for c in names
            if c != header_col
            and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        }
    else:
        numeric = {str(c) for c in numeric_columns}
        unknown = numeric - set(names)
        if unknown:
            raise ValueError(f"numeric_columns not in table: {', '.join(sorted(unknown))}")
    if statuses is None:
        status_specs: dict[str, Any] = {}
    elif isinstance(statuses, Mapping):
        status_specs = {str(k): v for k, v in statuses.items()}
    else:
        status_specs = {str(k): None for k in statuses}
    for name in list(status_specs) + list(units):
        if name not in names:
            raise ValueError(f"column {name!r} is not in table {caption!r}")
    if suppress_columns is not None:
        suppress_cols = {str(c) for c in suppress_columns}
    else:  # counts: numeric columns whose values are all whole numbers
        suppress_cols = {
            name for name in numeric
            if all(float(v).is_integer() for v in df[name] if _is_number(v))
        }

    footer_df = None
    if footer is not None:
        if isinstance(footer, pd.DataFrame):
            footer_df = footer
        elif isinstance(footer, Mapping):
            footer_df = pd.DataFrame([footer])
        else:
            footer_df = pd.DataFrame(list(footer))
        footer_df.columns = [str(c) for c in footer_df.columns]
        footer_df = footer_df.reindex(columns=names)

    decimals = {}
    for name in numeric:
        values = list(df[name])
        if footer_df is not None:
            values += list(footer_df[name])
        decimals[name] = _decimals_needed(values)
    _same_decimals_by_unit(decimals, units)

    state = {"suppressed": False, "missing": False}
    markdown_set = {str(c) for c in (markdown_columns or [])}
    if markdown_set - set(names):
        raise ValueError(f"markdown_columns not in table: {', '.join(sorted(markdown_set - set(names)))}")

    def make_cell(name: str, value: Any, *, allow_suppress: bool, blank_missing: bool = False) -> dict:
        if blank_missing and _is_missing(value):
            return {"text": "", "numeric": True} if name in numeric else {"text": ""}
        if name in status_specs:
            if isinstance(value, str) and not value.strip():  # not stated (no rating earned): a blank cell
                return {"text": ""}
            status = _status_for(value, status_specs[name])
            if status is None and value == "":
                return {"text": ""}  # deliberately blank (e.g. an empty heat-map cell)
            if status is None:
                state["missing"] = True
                return {"text": NOT_AVAILABLE}
            return {"text": status["label"], "status": status}
        if name in numeric:
            if _is_missing(value):
                state["missing"] = True
                return {"text": NOT_AVAILABLE, "numeric": True}
            if not _is_number(value):
                return {"text": str(value), "numeric": True}
            if (allow_suppress and suppress_below is not None and name in suppress_cols
                    and 0 < float(value) < suppress_below):
                state["suppressed"] = True
                return {"text": SUPPRESSED, "numeric": True, "suppressed": True}
            return {"text": format_number(value, decimals[name]), "numeric": True,
                    "sort": float(value)}
        if _is_missing(value):
            state["missing"] = True
        elif name in markdown_set:
            return {"html": markup.markdown_to_html(str(value), min_heading_level=4)}
        return {"text": _cell_text(value)}

    def make_rows(frame, *, allow_suppress: bool, blank_missing: bool = False) -> list[dict]:
        rows = []
        frame = frame.copy()
        frame.columns = names
        for record in frame.itertuples(index=False, name=None):
            values = dict(zip(names, record))
            header = None
            if header_col is not None:
                header = make_cell(header_col, values[header_col], allow_suppress=False,
                                   blank_missing=blank_missing)
            cells = [make_cell(n, values[n], allow_suppress=allow_suppress, blank_missing=blank_missing)
                     for n in names if n != header_col]
            rows.append({"header": header, "cells": cells})
        return rows

    rows = make_rows(df, allow_suppress=True)
    footer_rows = make_rows(footer_df, allow_suppress=True, blank_missing=True) if footer_df is not None else []

    columns = [
        {"label": name, "unit": units.get(name, ""), "numeric": name in numeric} for name in names
    ]
    note_parts = [str(notes).strip()] if notes and str(notes).strip() else []
    if state["suppressed"]:
        threshold = format_number(suppress_below, _decimals_needed([suppress_below]))
        note_parts.append(t("{mark} = suppressed: fewer than {threshold}, not shown to protect confidentiality.")
                          .format(mark=SUPPRESSED, threshold=threshold))
    if state["missing"]:
        note_parts.append(t("{mark} = not available.").format(mark=NOT_AVAILABLE))
    block = {
        "kind": "table",
        "id": _block_id(id, caption, "table"),
        "caption": caption,
        "columns": columns,
        "rows": rows,
    }
    if footer_rows:
        block["footer_rows"] = footer_rows
    if note_parts:
        block["notes"] = " ".join(note_parts)
    return validate_block(block)


def svg_from_figure(fig, svg_id: str | None = None) -> str:
    """Deterministic SVG text (no XML declaration) for a matplotlib Figure: text stays text."""
    params = {"svg.fonttype": "none", "svg.hashsalt": SVG_HASH_SALT}
    if svg_id and "svg.id" in matplotlib.rcParams:
        params["svg.id"] = svg_id
    buffer = io.StringIO()
    with matplotlib.rc_context(params):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    start = text.find("<svg")
    if start < 0:  # pragma: no cover - matplotlib always writes an svg element
        raise ValueError("matplotlib did not produce SVG")
    return text[start:].strip()


def figure(chart, t=None) -> list[dict]:
    """A chart as a figure block followed by the table block with its numbers.

    ``chart`` has ``id, figure (matplotlib Figure), alt, caption, table (DataFrame)``.
    Raises ValueError if the alt text is empty or there is no data table.
    """
    chart_id = _block_id(getattr(chart, "id", None), getattr(chart, "caption", "") or "chart", "figure")
    alt = getattr(chart, "alt", None)
    if alt is None or not str(alt).strip():
        raise ValueError(f"chart {chart_id!r} has no alt text: describe what the chart shows")
    caption = _require_text(getattr(chart, "caption", None), f"caption of chart {chart_id!r}")
    data = getattr(chart, "table", None)
    if data is None:
        raise ValueError(f"chart {chart_id!r} has no data table")
    fig = getattr(chart, "figure", None)
    if fig is None or not hasattr(fig, "savefig"):
        raise ValueError(f"chart {chart_id!r} has no matplotlib figure")
    table_id = f"{chart_id}-data"
    t = t or translator()
    table_block = table(data, caption=t("Data for: {caption}").format(caption=caption), id=table_id, t=t)
    figure_block = validate_block({
        "kind": "figure",
        "id": chart_id,
        "svg": svg_from_figure(fig, svg_id=f"{chart_id}-svg"),
        "alt": str(alt).strip(),
        "caption": caption,
        "table_id": table_id,
    })
    return [figure_block, table_block]


def facts(items: Iterable[Any]) -> dict:
    """Key figures: items are dicts ``{label, value, detail}`` or tuples ``(label, value[, detail])``."""
    out = []
    for item in items:
        if isinstance(item, Mapping):
            label, value, detail = item.get("label"), item.get("value"), item.get("detail", "")
        else:
            seq = list(item)
            if len(seq) not in (2, 3):
                raise ValueError("a fact is (label, value) or (label, value, detail)")
            label, value = seq[0], seq[1]
            detail = seq[2] if len(seq) == 3 else ""
        if _is_number(value):
            value = format_number(value, _decimals_needed([value], 1))
        out.append({
            "label": _require_text(label, "fact label"),
            "value": _require_text(_cell_text(value), "fact value"),
            "detail": "" if detail is None else str(detail),
        })
    if not out:
        raise ValueError("facts needs at least one item")
    return validate_block({"kind": "facts", "items": out})


def cycle(stages: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> dict:
    """Where each area is in a cycle of stages now and where it is expected to be.

    ``rows``: ``{label, current: [i, j], expected: [k, l], current_text, expected_text}`` with
    inclusive stage indices.
    """
    stages = [_require_text(s, "stage") for s in stages]
    out = []
    for row in rows:
        out.append({
            "label": _require_text(row.get("label"), "cycle row label"),
            "current": [int(v) for v in row.get("current", [])],
            "expected": [int(v) for v in row.get("expected", [])],
            "current_text": str(row.get("current_text") or ""),
            "expected_text": str(row.get("expected_text") or ""),
        })
        for key in ("current_stages", "expected_stages"):  # the stages named, when not every one in the range
            if key in row:
                out[-1][key] = sorted({int(v) for v in row[key]})
    return validate_block({"kind": "cycle", "stages": stages, "rows": out})


def cycle_marks(row: Mapping[str, Any], index: int) -> tuple[bool, bool]:
    """Whether a cycle row is at stage ``index`` now, and whether it is expected there: the stages
    named when the source names a set, else the range; no expected stage when none was stated."""
    def at(key: str) -> bool:
        if f"{key}_stages" in row:
            return index in row[f"{key}_stages"]
        span = row.get(key) or []
        return bool(span) and span[0] <= index <= span[-1]

    return at("current"), at("expected")


def cycle_as_table(block: Mapping[str, Any], t=None) -> dict:
    """A cycle block as a plain table block (stages as columns), for formats that draw no grid
    of their own (PDF, Word): each stage cell says Now, Expected or both (in translator `t`'s words)."""
    t = t or translator()
    stages = list(block["stages"])
    any_expected = any(row.get("expected_text") for row in block.get("rows", []))  # spoken of only when given
    columns = [{"label": t("Area")}] + [{"label": s} for s in stages] + [
        {"label": t("Now and expected") if any_expected else t("Now")}]
    rows = []
    for row in block.get("rows", []):
        cells = []
        for index in range(len(stages)):
            now, later = cycle_marks(row, index)
            cells.append({"text": t("Now and expected") if now and later else t("Now") if now
                          else t("Expected") if later else ""})
        detail = [f"{label} {row[key]}" for label, key in ((t("Now:"), "current_text"), (t("Expected:"), "expected_text"))
                  if row.get(key)]
        cells.append({"text": ". ".join(detail)})
        rows.append({"header": {"text": row["label"]}, "cells": cells})
    return {"kind": "table", "id": block.get("id", "cycle"), "columns": columns, "rows": rows,
            "caption": t("Where each area is in the cycle now, and where it is expected to be") if any_expected
            else t("Where each area is in the cycle now")}


def relabel_tables(labels: Mapping[str, Any], items: list[dict]) -> list[dict]:
    """Table captions and column headings in the plan's own words (a strategy's ``table_labels``,
    keyed by a table's id or default caption; ``"*"`` renames columns in every table)."""
    if not labels:
        return items
    every = labels.get("*")
    for block in items:
        if block.get("kind") != "table":
            continue
        spec = labels.get(block["id"]) or labels.get(block["caption"])
        renames = {**(every.columns if every else {}), **(spec.columns if spec else {})}
        for column in block["columns"]:
            column["label"] = renames.get(column["label"], column["label"])
        if spec is not None and spec.caption:
            block["caption"] = spec.caption
    return items


def callout(title: str, markdown: str, tone: str = "info") -> dict:
    """A boxed note (tone ``info`` or ``warning``)."""
    return validate_block({
        "kind": "callout",
        "tone": tone,
        "title": _require_text(title, "callout title"),
        "html": markup.markdown_to_html(markdown or "", min_heading_level=3),
    })


# --------------------------------------------------------------------------------------------
# validation


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _validate_cell(cell: Any, where: str) -> None:
    _check(isinstance(cell, Mapping), f"{where}: a cell must be an object")
    has_text = isinstance(cell.get("text"), str)
    has_html = isinstance(cell.get("html"), str)
    _check(has_text != has_html, f"{where}: a cell has exactly one of text or html")
    if "status" in cell:
        status = cell["status"]
        _check(isinstance(status, Mapping) and isinstance(status.get("label"), str)
               and status.get("label", "").strip() != "",
               f"{where}: status needs a label")
        _check(status.get("tone") in TONES, f"{where}: status tone must be one of {TONES}")
    if "sort" in cell:
        _check(_is_number(cell["sort"]), f"{where}: sort must be a number")


def validate_block(block: Mapping[str, Any]) -> dict:
    """Check a block against the contract; return it (as a dict) or raise ValueError."""
    _check(isinstance(block, Mapping), "a block must be an object")
    kind = block.get("kind")
    _check(kind in KINDS, f"unknown block kind {kind!r}")

    def need_text(field: str) -> None:
        _check(isinstance(block.get(field), str) and block[field].strip() != "",
               f"{kind} block: {field} must be non-empty text")

    def need_id(field: str = "id") -> None:
        need_text(field)
        _check(bool(_ID_RE.match(block[field])), f"{kind} block: {field} {block[field]!r} is not a valid id")

    if kind == "heading":
        need_text("text")
        need_id()
        level = block.get("level")
        _check(isinstance(level, int) and not isinstance(level, bool) and 2 <= level <= 4,
               "heading block: level must be 2, 3 or 4")
    elif kind == "prose":
        _check(isinstance(block.get("html"), str), "prose block: html must be text")
    elif kind == "table":
        need_id()
        need_text("caption")
        columns = block.get("columns")
        _check(isinstance(columns, list) and columns, "table block: columns must be a non-empty list")
        for col in columns:
            _check(isinstance(col, Mapping) and isinstance(col.get("label"), str),
                   "table block: each column needs a label")
        for group in ("rows", "footer_rows"):
            rows = block.get(group, [] if group == "footer_rows" else None)
            _check(isinstance(rows, list), f"table block: {group} must be a list")
            for r, row in enumerate(rows):
                where = f"table {block['id']!r} {group}[{r}]"
                _check(isinstance(row, Mapping) and isinstance(row.get("cells"), list),
                       f"{where}: needs cells")
                header = row.get("header")
                if header is not None:
                    _validate_cell(header, where + " header")
                expected = len(columns) - (1 if header is not None else 0)
                _check(len(row["cells"]) == expected,
                       f"{where}: has {len(row['cells'])} cells, expected {expected}")
                for c, cell in enumerate(row["cells"]):
                    _validate_cell(cell, f"{where} cell {c}")
        if "notes" in block:
            _check(isinstance(block["notes"], str), "table block: notes must be text")
    elif kind == "figure":
        need_id()
        need_id("table_id")
        need_text("svg")
        _check(block["svg"].lstrip().startswith("<svg"), "figure block: svg must be SVG text")
        need_text("alt")
        need_text("caption")
    elif kind == "facts":
        items = block.get("items")
        _check(isinstance(items, list) and items, "facts block: items must be a non-empty list")
        for item in items:
            _check(isinstance(item, Mapping) and all(isinstance(item.get(k), str) for k in ("label", "value")),
                   "facts block: each item needs label and value text")
    elif kind == "cycle":
        stages = block.get("stages")
        _check(isinstance(stages, list) and stages and all(isinstance(s, str) for s in stages),
               "cycle block: stages must be a non-empty list of text")
        rows = block.get("rows")
        _check(isinstance(rows, list), "cycle block: rows must be a list")
        for row in rows:
            _check(isinstance(row, Mapping) and isinstance(row.get("label"), str),
                   "cycle block: each row needs a label")
            for field in ("current", "expected"):
                span = row.get(field)
                if field == "expected" and span == []:  # the plan states no expected position
                    continue
                _check(isinstance(span, list) and len(span) == 2
                       and all(isinstance(i, int) and 0 <= i < len(stages) for i in span)
                       and span[0] <= span[1],
                       f"cycle block: {row['label']!r} {field} must be [first, last] stage indices")
                named = row.get(f"{field}_stages")
                if named is not None:
                    _check(isinstance(named, list) and all(isinstance(i, int) and span[0] <= i <= span[1] for i in named)
                           and (named[:1] == span[:1] and named[-1:] == span[1:]),
                           f"cycle block: {row['label']!r} {field}_stages must be stage indices from {span[0]} to {span[1]}")
    elif kind == "callout":
        _check(block.get("tone") in CALLOUT_TONES, f"callout block: tone must be one of {CALLOUT_TONES}")
        need_text("title")
        _check(isinstance(block.get("html"), str), "callout block: html must be text")
    return dict(block)
